/*
 * What a cowrie enrichment document says about its session: the source IP,
 * the ASN and the SPUR IP types. Written once against a tiny accessor
 * interface, so json (cowrie_json reader) and jsonb (PostgreSQL's container
 * API, in the glue) share the same rules. PostgreSQL-free.
 */
#ifndef COWRIE_ENRICHMENT_H
#define COWRIE_ENRICHMENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cowrie_ip.h"
#include "cowrie_iptype.h"
#include "cowrie_json.h"

/* A value inside a document; what ptr and len mean is up to the accessor. */
typedef struct cowrie_jnode
{
	cj_type		type;
	const void *ptr;
	size_t		len;
} cowrie_jnode;

typedef struct cowrie_json_ops
{
	bool		(*object_get) (const cowrie_jnode *obj, const char *key, size_t keylen, cowrie_jnode *out);
	bool		(*array_get) (const cowrie_jnode *arr, size_t idx, cowrie_jnode *out);
	size_t		(*array_length) (const cowrie_jnode *arr);
	size_t		(*object_count) (const cowrie_jnode *obj);
	/* Decoded first key in document order (jsonb has no order: callers only use it when count is 1). */
	bool		(*object_first_key) (const cowrie_jnode *obj, char *buf, size_t bufsize, size_t *len);
	/* Decoded string value; false when not a string, too long, or holding a NUL. */
	bool		(*string) (const cowrie_jnode *s, char *buf, size_t bufsize, size_t *len);
	/* An integral JSON number that fits int64. */
	bool		(*number_int64) (const cowrie_jnode *n, int64_t *out);
	/* Optional: several members in one pass (text); NULL means one object_get each. */
	bool		(*object_get_many) (const cowrie_jnode *obj, const char *const *keys, const size_t *keylens,
									int n, cowrie_jnode *out, bool *found);
} cowrie_json_ops;

/* An integer in JSON number text (15169 or 15169.0), within int64. */
bool		cowrie_parse_int64(const char *p, size_t len, int64_t *out);

/* The accessor over JSON text, built on cowrie_json.h; the root of a json datum's text (cj_root_of_json). */
extern const cowrie_json_ops cowrie_text_json_ops;
bool		cowrie_text_json_root(const char *doc, size_t len, cowrie_jnode *root);

typedef struct cowrie_enrichment_facts
{
	char		ip[COWRIE_IP_TEXT_MAX];	/* canonical, "" when none */
	size_t		ip_len;
	bool		ip_invalid;		/* an IP value was present but none was valid */
	bool		asn_found;
	int32_t		asn;
	bool		asn_invalid;	/* an ASN value was present but unusable */
} cowrie_enrichment_facts;

/*
 * Source IP: the first valid of session_metadata.source_ip, dshield.ip.number,
 * and the key of the nested `session` map (when it has exactly one key, or,
 * with first_key_ordered, its first key). ASN: cymru.asn, else maxmind.asn,
 * as a JSON integer or a string of digits, positive and within int32.
 */
void		cowrie_enrichment_extract(const cowrie_json_ops *ops, const cowrie_jnode *root,
									  bool first_key_ordered, cowrie_enrichment_facts *out);

/* The source IP part alone (asn fields left empty): the per-row hot path. */
void		cowrie_enrichment_extract_ip(const cowrie_json_ops *ops, const cowrie_jnode *root,
									  bool first_key_ordered, cowrie_enrichment_facts *out);

/*
 * IP types carried by a SPUR payload, or by an enrichment document holding
 * one (`spur`, or `session.<ip>.spur` of the nested shape): object form
 * client.types (string or array), infrastructure, tunnels[].type; the 18
 * element lists of both layouts; the {"spur_data": [...]} wrapper.
 * When SPUR names none: the type of ADR-009's top-level
 * ip_classification.ip_type (cowrie_classification_type), if any.
 * The set is sorted into priority order.
 */
void		cowrie_enrichment_ip_types(const cowrie_json_ops *ops, const cowrie_jnode *root,
									   bool first_key_ordered, cowrie_typeset *out);

/* A raw cowrie event's IP: src_ip, else peer_ip; canonical text length, 0 if none. */
size_t		cowrie_event_ip(const cowrie_json_ops *ops, const cowrie_jnode *root,
							char buf[COWRIE_IP_TEXT_MAX]);

#endif
