/*
 * IP type vocabulary: priority, de-duplicated sets, SPUR payload layouts.
 * See cowrie_iptype.h; PostgreSQL-free.
 */
#include "cowrie_iptype.h"

#include <string.h>

/*
 * Upstream loader _lookup_ip_snapshots order (upstream-cowrieprocessor.md
 * 4.2), then CLOUD (ADR-009's classification, see the header).
 */
static const char *const type_names[] = {
	NULL, "VPN", "TOR", "PROXY", "DATACENTER", "RESIDENTIAL", "MOBILE", "CLOUD"
};

#define CLOUD_PRIORITY 7

#define N_TYPE_NAMES ((int) (sizeof(type_names) / sizeof(type_names[0])))

static bool
is_space(unsigned char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

static unsigned char
to_upper(unsigned char c)
{
	return (c >= 'a' && c <= 'z') ? (unsigned char) (c - 'a' + 'A') : c;
}

static void
trim(const char **s, size_t *len)
{
	while (*len > 0 && is_space((unsigned char) (*s)[0]))
	{
		(*s)++;
		(*len)--;
	}
	while (*len > 0 && is_space((unsigned char) (*s)[*len - 1]))
		(*len)--;
}

int
cowrie_ip_type_priority(const char *s, size_t len)
{
	int			p;

	if (s == NULL)
		return COWRIE_TYPE_PRIORITY_UNKNOWN;
	trim(&s, &len);
	for (p = 1; p < N_TYPE_NAMES; p++)
	{
		const char *name = type_names[p];
		size_t		i;

		if (strlen(name) != len)
			continue;
		for (i = 0; i < len; i++)
			if (to_upper((unsigned char) s[i]) != (unsigned char) name[i])
				break;
		if (i == len)
			return p;
	}
	return COWRIE_TYPE_PRIORITY_UNKNOWN;
}

const char *
cowrie_classification_type(const char *s, size_t len)
{
	int			p = cowrie_ip_type_priority(s, len);

	/* ADR-009's vocabulary: tor|cloud|datacenter|residential|unknown */
	if (p == 2 || p == 4 || p == 5 || p == CLOUD_PRIORITY)
		return type_names[p];
	return NULL;
}

const char *
cowrie_ip_type_name(int priority)
{
	if (priority < 1 || priority >= N_TYPE_NAMES)
		return NULL;
	return type_names[priority];
}

void
cowrie_typeset_init(cowrie_typeset *set)
{
	if (set != NULL)
		memset(set, 0, sizeof(*set));
}

static bool
token_char_ok(unsigned char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
		(c >= '0' && c <= '9') || c == '_' || c == ' ' || c == '-';
}

void
cowrie_typeset_add(cowrie_typeset *set, const char *s, size_t len)
{
	char		name[COWRIE_TYPE_NAME_MAX + 1];
	size_t		i;
	int			k;

	if (set == NULL || s == NULL)
		return;
	if (set->count < 0 || set->count > COWRIE_TYPESET_MAX)
		return;
	trim(&s, &len);
	if (len == 0 || len > COWRIE_TYPE_NAME_MAX)
		return;
	for (i = 0; i < len; i++)
	{
		if (!token_char_ok((unsigned char) s[i]))
			return;
		name[i] = (char) to_upper((unsigned char) s[i]);
	}
	name[len] = '\0';
	for (k = 0; k < set->count; k++)
		if (set->len[k] == len && memcmp(set->name[k], name, len) == 0)
			return;
	if (set->count >= COWRIE_TYPESET_MAX)
		return;
	k = set->count++;
	memcpy(set->name[k], name, len + 1);
	set->len[k] = len;
	set->priority[k] = cowrie_ip_type_priority(name, len);
}

bool
cowrie_ip_type_valid(const char *s, size_t len)
{
	size_t		i;

	if (s == NULL || len == 0 || len > COWRIE_TYPE_NAME_MAX || is_space((unsigned char) s[0]) ||
		is_space((unsigned char) s[len - 1]))
		return false;
	for (i = 0; i < len; i++)
		if (!token_char_ok((unsigned char) s[i]) || to_upper((unsigned char) s[i]) != (unsigned char) s[i])
			return false;
	return true;
}

/* Whitespace, brackets and quotes that wrap a token in a list repr. */
static bool
is_wrapper(unsigned char c)
{
	return is_space(c) || c == '[' || c == ']' || c == '\'' || c == '"';
}

/*
 * Comma-separated tokens, each stripped of surrounding whitespace, brackets
 * and quotes: covers "VPN", "['VPN', 'PROXY']", '["VPN","PROXY"]' and
 * "VPN, PROXY" alike. A token that still holds a quote or other odd
 * character is dropped by cowrie_typeset_add.
 */
void
cowrie_typeset_add_text(cowrie_typeset *set, const char *s, size_t len)
{
	size_t		start = 0;

	if (set == NULL || s == NULL)
		return;
	while (start <= len)
	{
		size_t		end = start;
		size_t		a,
					b;

		while (end < len && s[end] != ',')
			end++;
		a = start;
		b = end;
		while (a < b && is_wrapper((unsigned char) s[a]))
			a++;
		while (b > a && is_wrapper((unsigned char) s[b - 1]))
			b--;
		if (b > a)
			cowrie_typeset_add(set, s + a, b - a);
		start = end + 1;
	}
}

void
cowrie_typeset_sort(cowrie_typeset *set)
{
	int			i;

	if (set == NULL || set->count < 0 || set->count > COWRIE_TYPESET_MAX)
		return;
	/* insertion sort: stable, and n <= COWRIE_TYPESET_MAX */
	for (i = 1; i < set->count; i++)
	{
		int			pr = set->priority[i];
		size_t		ln = set->len[i];
		char		nm[COWRIE_TYPE_NAME_MAX + 1];
		int			j = i;

		memcpy(nm, set->name[i], sizeof(nm));
		while (j > 0 && set->priority[j - 1] > pr)
		{
			set->priority[j] = set->priority[j - 1];
			set->len[j] = set->len[j - 1];
			memcpy(set->name[j], set->name[j - 1], sizeof(nm));
			j--;
		}
		set->priority[j] = pr;
		set->len[j] = ln;
		memcpy(set->name[j], nm, sizeof(nm));
	}
}

/* len may be NULL, in which case the candidates are NUL-terminated. */
int
cowrie_pick_primary(const char *const *s, const size_t *len, int n)
{
	int			best = -1;
	int			best_pr = 0;
	int			i;

	if (s == NULL)
		return -1;
	for (i = 0; i < n; i++)
	{
		const char *p = s[i];
		size_t		l;
		int			pr;

		if (p == NULL)
			continue;
		l = len != NULL ? len[i] : strlen(p);
		trim(&p, &l);
		if (l == 0)
			continue;
		pr = cowrie_ip_type_priority(p, l);
		if (best < 0 || pr < best_pr)
		{
			best = i;
			best_pr = pr;
		}
	}
	return best;
}

/*
 * The two 18-element layouts of upstream-cowrieprocessor.md 3.4 differ in
 * [1] and [9]: the hybrid cache stores behaviors and client.types there as
 * lists, the legacy file cache stores only strings (ASN org, countries).
 * An empty hybrid list is still a JSON array, so the test is reliable.
 *   hybrid: [10] infrastructure, [9] client.types, [17] tunnels
 *   legacy: [3] infrastructure,  [6] client types, [17] first tunnel's type
 */
int
cowrie_spur_list_type_indexes(size_t nelems, bool elem1_is_array,
							  bool elem9_is_array, int idx[4])
{
	if (nelems != 18 || idx == NULL)
		return 0;
	if (elem1_is_array || elem9_is_array)
	{
		idx[0] = 10;
		idx[1] = 9;
		idx[2] = 17;
	}
	else
	{
		idx[0] = 3;
		idx[1] = 6;
		idx[2] = 17;
	}
	return 3;
}
