/*
 * IP type vocabulary: priority, de-duplicated sets, SPUR payload layouts.
 * PostgreSQL-free.
 */
#ifndef COWRIE_IPTYPE_H
#define COWRIE_IPTYPE_H

#include <stdbool.h>
#include <stddef.h>

#define COWRIE_TYPE_PRIORITY_UNKNOWN 99
/* Bounds that keep hostile payloads from producing huge arrays. */
#define COWRIE_TYPESET_MAX 16
#define COWRIE_TYPE_NAME_MAX 32

/*
 * VPN 1, TOR 2, PROXY 3, DATACENTER 4, RESIDENTIAL 5, MOBILE 6 (upstream's
 * loader), CLOUD 7, else 99. CLOUD comes only from ADR-009's classification,
 * which the rule reads only when SPUR names no type: after upstream's six,
 * any SPUR type outranks it in a merged set too.
 * Case-insensitive; surrounding ASCII whitespace ignored.
 */
int			cowrie_ip_type_priority(const char *s, size_t len);

/* Upper-case name of a known priority (1..7), or NULL. */
const char *cowrie_ip_type_name(int priority);

typedef struct cowrie_typeset
{
	int			count;
	int			priority[COWRIE_TYPESET_MAX];
	size_t		len[COWRIE_TYPESET_MAX];
	char		name[COWRIE_TYPESET_MAX][COWRIE_TYPE_NAME_MAX + 1];
} cowrie_typeset;

void		cowrie_typeset_init(cowrie_typeset *set);

/*
 * The type an ADR-009 classification's ip_type names: tor, cloud,
 * datacenter, residential (any case, surrounding whitespace ignored) give
 * TOR, CLOUD, DATACENTER, RESIDENTIAL; unknown and anything else NULL.
 */
const char *cowrie_classification_type(const char *s, size_t len);

/*
 * Add one type token: trimmed, upper-cased, de-duplicated. Empty tokens,
 * tokens longer than COWRIE_TYPE_NAME_MAX or with characters outside
 * [A-Za-z0-9_ -] are ignored, as is anything past COWRIE_TYPESET_MAX.
 */
void		cowrie_typeset_add(cowrie_typeset *set, const char *s, size_t len);

/*
 * A value the rule can give snapshot_ip_type: one token as cowrie_typeset_add
 * keeps it (upper case, trimmed, [A-Z0-9_ -], at most COWRIE_TYPE_NAME_MAX).
 * The JSON text of a list, say, is not one.
 */
bool		cowrie_ip_type_valid(const char *s, size_t len);

/*
 * Add every type named in a text value as SPUR stores it: a single token
 * ("DATACENTER"), a Python list repr ("['VPN', 'PROXY']"), JSON array text
 * ('["VPN","PROXY"]') or a comma-separated list.
 */
void		cowrie_typeset_add_text(cowrie_typeset *set, const char *s, size_t len);

/*
 * Sort into priority order: known types by priority, then unknown ones in
 * the order first seen (stable).
 */
void		cowrie_typeset_sort(cowrie_typeset *set);

/*
 * Index of the highest-priority entry among n candidate strings (ties keep
 * order; NULL or blank candidates skipped), or -1 when none is usable.
 */
int			cowrie_pick_primary(const char *const *s, const size_t *len, int n);

/*
 * SPUR 18-element lists (upstream-cowrieprocessor.md 3.4): the hybrid-cache
 * layout keeps lists at [1] and [9]; the legacy layout is all strings.
 * Fills idx with the element indexes that carry types (infrastructure,
 * client types, tunnel type) and returns how many, 0 when the list is not
 * a SPUR list.
 */
int			cowrie_spur_list_type_indexes(size_t nelems, bool elem1_is_array,
										  bool elem9_is_array, int idx[4]);

#endif
