#include "cowrie_enrichment.h"

#include <string.h>

#define KEY(ops, node, name, out) ((ops)->object_get((node), (name), sizeof(name) - 1, (out)))

/* Longest string value worth reading as an IP or a type list. */
#define VALUE_BUF 512

static bool
text_object_get(const cowrie_jnode *obj, const char *key, size_t keylen, cowrie_jnode *out)
{
	cj_value	o = {obj->type, obj->ptr, obj->len};
	cj_value	v;

	if (obj->type != CJ_OBJECT || !cj_object_get(&o, key, keylen, &v))
		return false;
	out->type = v.type;
	out->ptr = v.p;
	out->len = v.len;
	return true;
}

static bool
text_array_get(const cowrie_jnode *arr, size_t idx, cowrie_jnode *out)
{
	cj_value	a = {arr->type, arr->ptr, arr->len};
	cj_value	v;

	if (arr->type != CJ_ARRAY || !cj_array_get(&a, idx, &v))
		return false;
	out->type = v.type;
	out->ptr = v.p;
	out->len = v.len;
	return true;
}

static size_t
text_array_length(const cowrie_jnode *arr)
{
	cj_value	a = {arr->type, arr->ptr, arr->len};

	return arr->type == CJ_ARRAY ? cj_array_length(&a) : 0;
}

static size_t
text_object_count(const cowrie_jnode *obj)
{
	cj_value	o = {obj->type, obj->ptr, obj->len};

	return obj->type == CJ_OBJECT ? cj_object_count(&o) : 0;
}

static bool
text_object_first_key(const cowrie_jnode *obj, char *buf, size_t bufsize, size_t *len)
{
	cj_value	o = {obj->type, obj->ptr, obj->len};
	cj_value	k;

	if (obj->type != CJ_OBJECT || !cj_object_first_key(&o, &k))
		return false;
	return cj_string_decode(&k, buf, bufsize, len);
}

static bool
text_string(const cowrie_jnode *s, char *buf, size_t bufsize, size_t *len)
{
	cj_value	v = {s->type, s->ptr, s->len};

	return s->type == CJ_STRING && cj_string_decode(&v, buf, bufsize, len);
}

/*
 * JSON number text: -?digits(.digits)?([eE][+-]?digits)?, integral and within
 * int64. Exponents are accepted so that json agrees with jsonb, whose numeric
 * turns 1.5169e4 into 15169 before the jsonb accessor sees it. Leading zeros
 * are tolerated (digit strings such as "0015169"). *out is written only on
 * success.
 */
bool
cowrie_parse_int64(const char *p, size_t len, int64_t *out)
{
	size_t		i = 0,
				int_start,
				nint,
				frac_start = 0,
				nfrac = 0,
				ndig,
				k;
	bool		neg = false;
	bool		exp_neg = false;
	int64_t		expo = 0,
				shift,
				nkeep;
	uint64_t	limit,
				v = 0;

	if (p == NULL)
		return false;
	if (i < len && p[i] == '-')
	{
		neg = true;
		i++;
	}
	int_start = i;
	while (i < len && p[i] >= '0' && p[i] <= '9')
		i++;
	nint = i - int_start;
	if (nint == 0)
		return false;
	if (i < len && p[i] == '.')
	{
		frac_start = ++i;
		while (i < len && p[i] >= '0' && p[i] <= '9')
			i++;
		nfrac = i - frac_start;
		if (nfrac == 0)
			return false;
	}
	if (i < len && (p[i] == 'e' || p[i] == 'E'))
	{
		size_t		exp_start;

		i++;
		if (i < len && (p[i] == '+' || p[i] == '-'))
			exp_neg = p[i++] == '-';
		exp_start = i;
		/* clamped far beyond any digit count, so the result is unchanged */
		for (; i < len && p[i] >= '0' && p[i] <= '9'; i++)
			if (expo < INT64_C(1000000000000))
				expo = expo * 10 + (p[i] - '0');
		if (i == exp_start)
			return false;
		if (exp_neg)
			expo = -expo;
	}
	if (i != len)
		return false;

	/*
	 * The value is the digit sequence (integer then fraction digits) times
	 * 10^shift: the first nkeep digits form the integer, the rest must be 0.
	 */
	ndig = nint + nfrac;
	shift = expo - (int64_t) nfrac;
	nkeep = (int64_t) ndig + shift;
	if (nkeep < 0)
		nkeep = 0;
	limit = neg ? (uint64_t) INT64_MAX + 1 : (uint64_t) INT64_MAX;
	for (k = 0; k < ndig; k++)
	{
		unsigned	d = (unsigned) ((k < nint ? p[int_start + k] : p[frac_start + k - nint]) - '0');

		if ((int64_t) k >= nkeep)
		{
			if (d != 0)
				return false;
			continue;
		}
		if (v > (limit - d) / 10)
			return false;
		v = v * 10 + d;
	}
	for (; shift > 0 && v != 0; shift--)
	{
		if (v > limit / 10)
			return false;
		v *= 10;
	}
	if (neg)
		*out = v == (uint64_t) INT64_MAX + 1 ? INT64_MIN : -(int64_t) v;
	else
		*out = (int64_t) v;
	return true;
}

static bool
text_number_int64(const cowrie_jnode *n, int64_t *out)
{
	return n->type == CJ_NUMBER && cowrie_parse_int64(n->ptr, n->len, out);
}

#define TEXT_MANY_MAX 8

static bool
text_object_get_many(const cowrie_jnode *obj, const char *const *keys, const size_t *keylens,
					 int n, cowrie_jnode *out, bool *found)
{
	cj_value	o = {obj->type, obj->ptr, obj->len};
	cj_value	v[TEXT_MANY_MAX];
	int			i;

	if (obj->type != CJ_OBJECT || n > TEXT_MANY_MAX)
	{
		for (i = 0; i < n; i++)
			found[i] = false;
		return false;
	}
	if (!cj_object_get_many(&o, keys, keylens, n, v, found))
		return false;
	for (i = 0; i < n; i++)
		if (found[i])
		{
			out[i].type = v[i].type;
			out[i].ptr = v[i].p;
			out[i].len = v[i].len;
		}
	return true;
}

const cowrie_json_ops cowrie_text_json_ops = {
	text_object_get,
	text_array_get,
	text_array_length,
	text_object_count,
	text_object_first_key,
	text_string,
	text_number_int64,
	text_object_get_many,
};

/* The top-level members the rules read, in one scan where the accessor can. */
enum
{
	TOP_METADATA, TOP_DSHIELD, TOP_SESSION, TOP_CYMRU, TOP_MAXMIND, TOP_COUNT
};
static const char *const top_keys[TOP_COUNT] = {"session_metadata", "dshield", "session", "cymru", "maxmind"};
static const size_t top_keylens[TOP_COUNT] = {16, 7, 7, 5, 7};

static void
top_members(const cowrie_json_ops *ops, const cowrie_jnode *root, int n,
			cowrie_jnode *nodes, bool *found)
{
	int			i;

	if (ops->object_get_many != NULL)
	{
		(void) ops->object_get_many(root, top_keys, top_keylens, n, nodes, found);
		return;
	}
	for (i = 0; i < n; i++)
		found[i] = ops->object_get(root, top_keys[i], top_keylens[i], &nodes[i]);
}

bool
cowrie_text_json_root(const char *doc, size_t len, cowrie_jnode *root)
{
	cj_value	v;

	if (!cj_root_of_json(doc, len, &v))
		return false;
	root->type = v.type;
	root->ptr = v.p;
	root->len = v.len;
	return true;
}

/* Try one IP candidate; remembers that something invalid was seen. */
static bool
take_ip(const cowrie_json_ops *ops, const cowrie_jnode *v, cowrie_enrichment_facts *out)
{
	char		buf[VALUE_BUF];
	size_t		len;

	if (v->type == CJ_NULL)
		return false;
	if (v->type != CJ_STRING || !ops->string(v, buf, sizeof(buf), &len))
	{
		out->ip_invalid = true;
		return false;
	}
	out->ip_len = cowrie_ip_canonical(buf, len, out->ip);
	if (out->ip_len == 0)
	{
		out->ip[0] = '\0';
		out->ip_invalid = true;
		return false;
	}
	out->ip_invalid = false;
	return true;
}

/*
 * The single (or, in document order, first) key of the nested session map.
 * *unreadable is set when that key is there but cannot be decoded into buf
 * (too long, or a \u0000 or unpaired surrogate escape in json): a value that
 * is present and not a valid IP.
 */
static bool
session_key(const cowrie_json_ops *ops, const cowrie_jnode *sessions, bool first_key_ordered,
			char *buf, size_t bufsize, size_t *len, cowrie_jnode *entry, bool *unreadable)
{
	size_t		count;

	if (unreadable != NULL)
		*unreadable = false;
	if (sessions == NULL || sessions->type != CJ_OBJECT)
		return false;
	count = ops->object_count(sessions);
	if (count == 0 || (count > 1 && !first_key_ordered))
		return false;
	if (!ops->object_first_key(sessions, buf, bufsize, len))
	{
		if (unreadable != NULL)
			*unreadable = true;
		return false;
	}
	if (entry != NULL && !ops->object_get(sessions, buf, *len, entry))
		return false;
	return true;
}

static size_t
strspn_digits(const char *s, size_t len)
{
	size_t		i = 0;

	while (i < len && s[i] >= '0' && s[i] <= '9')
		i++;
	return i;
}

static bool
take_asn(const cowrie_json_ops *ops, const cowrie_jnode *block, cowrie_enrichment_facts *out)
{
	cowrie_jnode v;
	int64_t		asn;
	char		buf[32];
	size_t		len;
	bool		ok;

	if (block->type != CJ_OBJECT || !KEY(ops, block, "asn", &v) || v.type == CJ_NULL)
		return false;
	if (v.type == CJ_NUMBER)
		ok = ops->number_int64(&v, &asn);
	else if (v.type == CJ_STRING && ops->string(&v, buf, sizeof(buf), &len))
		ok = len > 0 && strspn_digits(buf, len) == len && cowrie_parse_int64(buf, len, &asn);
	else
		ok = false;
	if (!ok || asn <= 0 || asn > INT32_MAX)
	{
		out->asn_invalid = true;
		return false;
	}
	out->asn_found = true;
	out->asn_invalid = false;
	out->asn = (int32_t) asn;
	return true;
}

/* The source IP from the top-level members (TOP_METADATA .. TOP_SESSION). */
static void
extract_ip_from(const cowrie_json_ops *ops, const cowrie_jnode *top, const bool *found,
				bool first_key_ordered, cowrie_enrichment_facts *out)
{
	cowrie_jnode a,
				b;
	char		key[VALUE_BUF];
	size_t		keylen;
	bool		unreadable;

	if (found[TOP_METADATA] && top[TOP_METADATA].type == CJ_OBJECT &&
		KEY(ops, &top[TOP_METADATA], "source_ip", &b) && take_ip(ops, &b, out))
		return;
	if (found[TOP_DSHIELD] && top[TOP_DSHIELD].type == CJ_OBJECT &&
		KEY(ops, &top[TOP_DSHIELD], "ip", &b) && b.type == CJ_OBJECT &&
		KEY(ops, &b, "number", &a) && take_ip(ops, &a, out))
		return;
	if (session_key(ops, found[TOP_SESSION] ? &top[TOP_SESSION] : NULL, first_key_ordered,
					key, sizeof(key), &keylen, NULL, &unreadable))
	{
		out->ip_len = cowrie_ip_canonical(key, keylen, out->ip);
		if (out->ip_len > 0)
			out->ip_invalid = false;
		else
		{
			out->ip[0] = '\0';
			out->ip_invalid = true;
		}
	}
	else if (unreadable)
		out->ip_invalid = true;
}

/* Reads the first n top-level members and the source IP; false for a non-object. */
static bool
extract_top_and_ip(const cowrie_json_ops *ops, const cowrie_jnode *root, bool first_key_ordered,
				   int n, cowrie_jnode *top, bool *found, cowrie_enrichment_facts *out)
{
	memset(out, 0, sizeof(*out));
	if (root->type != CJ_OBJECT)
		return false;
	top_members(ops, root, n, top, found);
	extract_ip_from(ops, top, found, first_key_ordered, out);
	return true;
}

void
cowrie_enrichment_extract_ip(const cowrie_json_ops *ops, const cowrie_jnode *root,
							 bool first_key_ordered, cowrie_enrichment_facts *out)
{
	cowrie_jnode top[TOP_COUNT];
	bool		found[TOP_COUNT];

	(void) extract_top_and_ip(ops, root, first_key_ordered, TOP_SESSION + 1, top, found, out);
}

void
cowrie_enrichment_extract(const cowrie_json_ops *ops, const cowrie_jnode *root,
						  bool first_key_ordered, cowrie_enrichment_facts *out)
{
	cowrie_jnode top[TOP_COUNT];
	bool		found[TOP_COUNT];

	if (!extract_top_and_ip(ops, root, first_key_ordered, TOP_COUNT, top, found, out))
		return;
	if (found[TOP_CYMRU] && take_asn(ops, &top[TOP_CYMRU], out))
		return;
	if (found[TOP_MAXMIND])
		take_asn(ops, &top[TOP_MAXMIND], out);
}

static void
add_string_value(const cowrie_json_ops *ops, const cowrie_jnode *v, cowrie_typeset *set)
{
	char		buf[VALUE_BUF];
	size_t		len;

	if (v->type == CJ_STRING && ops->string(v, buf, sizeof(buf), &len))
		cowrie_typeset_add_text(set, buf, len);
}

/*
 * A string, or an array of strings or of objects with a `type`. With
 * objects_only (SPUR's tunnels[]) only the objects' `type` counts: a bare
 * string there names a tunnel, not an IP type.
 */
static void
add_types_elements(const cowrie_json_ops *ops, const cowrie_jnode *v, bool objects_only, cowrie_typeset *set)
{
	size_t		n,
				i;

	if (v->type == CJ_STRING && !objects_only)
	{
		add_string_value(ops, v, set);
		return;
	}
	if (v->type != CJ_ARRAY)
		return;
	n = ops->array_length(v);
	for (i = 0; i < n && i < 64; i++)
	{
		cowrie_jnode e,
					t;

		if (!ops->array_get(v, i, &e))
			break;
		if (e.type == CJ_OBJECT && KEY(ops, &e, "type", &t))
			add_string_value(ops, &t, set);
		else if (!objects_only)
			add_string_value(ops, &e, set);
	}
}

static void
add_types_value(const cowrie_json_ops *ops, const cowrie_jnode *v, cowrie_typeset *set)
{
	add_types_elements(ops, v, false, set);
}

static void
spur_list_types(const cowrie_json_ops *ops, const cowrie_jnode *list, cowrie_typeset *set)
{
	cowrie_jnode e1,
				e9,
				e;
	int			idx[4];
	int			n,
				i;
	size_t		len = ops->array_length(list);

	if (len != 18)
		return;
	if (!ops->array_get(list, 1, &e1) || !ops->array_get(list, 9, &e9))
		return;
	n = cowrie_spur_list_type_indexes(len, e1.type == CJ_ARRAY, e9.type == CJ_ARRAY, idx);
	for (i = 0; i < n; i++)
		if (ops->array_get(list, (size_t) idx[i], &e))
			add_types_value(ops, &e, set);
}

/* The object form: client.types, infrastructure, tunnels[].type. */
static void
spur_object_types(const cowrie_json_ops *ops, const cowrie_jnode *spur, cowrie_typeset *set)
{
	cowrie_jnode a,
				b;

	if (KEY(ops, spur, "client", &a) && a.type == CJ_OBJECT && KEY(ops, &a, "types", &b))
		add_types_value(ops, &b, set);
	if (KEY(ops, spur, "infrastructure", &a))
		add_types_value(ops, &a, set);
	if (KEY(ops, spur, "tunnels", &a))
		add_types_elements(ops, &a, true, set);
}

static void
spur_payload_types(const cowrie_json_ops *ops, const cowrie_jnode *spur, cowrie_typeset *set)
{
	cowrie_jnode a;

	if (spur->type == CJ_ARRAY)
	{
		spur_list_types(ops, spur, set);
		return;
	}
	if (spur->type != CJ_OBJECT)
		return;
	/* the cache wrapper, unwrapped once: no recursion however deep the nesting */
	if (KEY(ops, spur, "spur_data", &a))
	{
		if (a.type == CJ_ARRAY)
			spur_list_types(ops, &a, set);
		else if (a.type == CJ_OBJECT)
			spur_object_types(ops, &a, set);
		return;
	}
	spur_object_types(ops, spur, set);
}

/* ADR-009: {"ip_classification": {"ip_type": "cloud", ...}} at the document's top level. */
static void
classification_type(const cowrie_json_ops *ops, const cowrie_jnode *root, cowrie_typeset *set)
{
	cowrie_jnode c,
				t;
	char		buf[COWRIE_TYPE_NAME_MAX + 1];
	size_t		len;
	const char *name;

	if (root->type == CJ_OBJECT && KEY(ops, root, "ip_classification", &c) && c.type == CJ_OBJECT &&
		KEY(ops, &c, "ip_type", &t) && t.type == CJ_STRING && ops->string(&t, buf, sizeof(buf), &len) &&
		(name = cowrie_classification_type(buf, len)) != NULL)
		cowrie_typeset_add(set, name, strlen(name));
}

void
cowrie_enrichment_ip_types(const cowrie_json_ops *ops, const cowrie_jnode *root,
						   bool first_key_ordered, cowrie_typeset *out)
{
	cowrie_jnode spur,
				sessions,
				entry;
	char		key[VALUE_BUF];
	size_t		keylen;

	cowrie_typeset_init(out);
	if (root->type == CJ_OBJECT && KEY(ops, root, "spur", &spur))
		spur_payload_types(ops, &spur, out);
	else if (root->type == CJ_OBJECT && KEY(ops, root, "session", &sessions) &&
			 session_key(ops, &sessions, first_key_ordered, key, sizeof(key), &keylen, &entry, NULL) &&
			 entry.type == CJ_OBJECT && KEY(ops, &entry, "spur", &spur))
		spur_payload_types(ops, &spur, out);
	else
		spur_payload_types(ops, root, out);
	/* SPUR first; the classification only when SPUR names no type. */
	if (out->count == 0)
		classification_type(ops, root, out);
	cowrie_typeset_sort(out);
}

size_t
cowrie_event_ip(const cowrie_json_ops *ops, const cowrie_jnode *root, char buf[COWRIE_IP_TEXT_MAX])
{
	cowrie_jnode v;
	char		raw[VALUE_BUF];
	size_t		len;

	if (root->type != CJ_OBJECT)
		return 0;
	/*
	 * A non-empty src_ip string is the IP, valid or not; one that cannot be
	 * decoded (too long, a \u0000 or unpaired surrogate escape) is non-empty
	 * and not an IP, so it does not fall back to peer_ip either.
	 */
	if (KEY(ops, root, "src_ip", &v) && v.type == CJ_STRING)
	{
		if (!ops->string(&v, raw, sizeof(raw), &len))
			return 0;
		if (len > 0)
			return cowrie_ip_canonical(raw, len, buf);
	}
	if (KEY(ops, root, "peer_ip", &v) && ops->string(&v, raw, sizeof(raw), &len) && len > 0)
		return cowrie_ip_canonical(raw, len, buf);
	return 0;
}
