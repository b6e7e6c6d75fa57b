/*
 * libFuzzer target for the PostgreSQL-free core: every input goes through
 * the IP parser and formatter, the type-set functions, the JSON reader, the
 * enrichment rules over the JSON text accessor and the snapshot rule, and a
 * few cross-checks that must hold for any bytes. A failed check aborts,
 * which libFuzzer reports as a crash.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cowrie_enrichment.h"
#include "cowrie_ip.h"
#include "cowrie_iptype.h"
#include "cowrie_json.h"
#include "cowrie_snapshot_rule.h"

int			LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define REQUIRE(c) do { if (!(c)) abort(); } while (0)

static void
fuzz_ip(const char *s, size_t n)
{
	cowrie_ip	ip,
				ip2;
	char		buf[COWRIE_IP_TEXT_MAX],
				buf2[COWRIE_IP_TEXT_MAX],
				buf3[COWRIE_IP_TEXT_MAX];
	size_t		len,
				len2;
	bool		priv;

	if (!cowrie_ip_parse(s, n, &ip))
	{
		REQUIRE(cowrie_ip_canonical(s, n, buf3) == 0 && buf3[0] == '\0');
		return;
	}
	REQUIRE(ip.family == 4 || ip.family == 6);
	len = cowrie_ip_format(&ip, buf);
	REQUIRE(len > 0 && len < COWRIE_IP_TEXT_MAX && strlen(buf) == len);
	/* format -> parse -> format is a fixed point, and the address survives */
	REQUIRE(cowrie_ip_parse(buf, len, &ip2));
	REQUIRE(ip2.family == ip.family && memcmp(ip2.addr, ip.addr, ip.family == 4 ? 4 : 16) == 0);
	len2 = cowrie_ip_format(&ip2, buf2);
	REQUIRE(len2 == len && memcmp(buf, buf2, len) == 0);
	REQUIRE(cowrie_ip_canonical(s, n, buf3) == len && memcmp(buf, buf3, len) == 0);
	priv = cowrie_ip_is_private(&ip);
	REQUIRE(cowrie_ip_is_private(&ip2) == priv);
	if (ip.family == 6)
	{
		static const uint8_t mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};

		if (memcmp(ip.addr, mapped, 12) == 0)
		{
			memset(&ip2, 0, sizeof(ip2));
			ip2.family = 4;
			memcpy(ip2.addr, ip.addr + 12, 4);
			REQUIRE(cowrie_ip_is_private(&ip2) == priv);
		}
	}
}

static bool
name_ok(const char *nm, size_t len)
{
	size_t		i;

	if (len == 0 || len > COWRIE_TYPE_NAME_MAX || strlen(nm) != len)
		return false;
	for (i = 0; i < len; i++)
	{
		char		c = nm[i];

		if (!((c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == ' ' || c == '-'))
			return false;
	}
	return nm[0] != ' ' && nm[len - 1] != ' ';
}

static bool
is_blank(const char *p, size_t n)
{
	size_t		i;

	for (i = 0; i < n; i++)
		if (!(p[i] == ' ' || (p[i] >= '\t' && p[i] <= '\r')))
			return false;
	return true;
}

static void
fuzz_types(const char *s, size_t n)
{
	cowrie_typeset set;
	const char *cand[32];
	size_t		clen[32];
	int			nc = 0;
	int			i,
				pick;
	size_t		start = 0,
				k;

	(void) cowrie_ip_type_priority(s, n);
	{
		/* a classification type is one of ADR-009's four, by the same priority */
		const char *cls = cowrie_classification_type(s, n);
		int			p = cowrie_ip_type_priority(s, n);

		if (cls != NULL)
			REQUIRE((p == 2 || p == 4 || p == 5 || p == 7) && strcmp(cls, cowrie_ip_type_name(p)) == 0);
		else
			REQUIRE(p != 2 && p != 4 && p != 5 && p != 7);
	}
	cowrie_typeset_init(&set);
	cowrie_typeset_add(&set, s, n);
	cowrie_typeset_add_text(&set, s, n);
	REQUIRE(set.count >= 0 && set.count <= COWRIE_TYPESET_MAX);
	cowrie_typeset_sort(&set);
	for (i = 0; i < set.count; i++)
	{
		int			j;

		REQUIRE(name_ok(set.name[i], set.len[i]));
		REQUIRE(set.priority[i] == cowrie_ip_type_priority(set.name[i], set.len[i]));
		if (i > 0)
			REQUIRE(set.priority[i - 1] <= set.priority[i]);
		for (j = 0; j < i; j++)
			REQUIRE(!(set.len[j] == set.len[i] && memcmp(set.name[j], set.name[i], set.len[i]) == 0));
	}

	/* newline-separated candidates for pick_primary */
	for (k = 0; k <= n && nc < 32; k++)
	{
		if (k == n || s[k] == '\n')
		{
			cand[nc] = (k - start == 1) ? NULL : s + start;
			clen[nc] = k - start;
			nc++;
			start = k + 1;
		}
	}
	pick = cowrie_pick_primary(cand, clen, nc);
	REQUIRE(pick >= -1 && pick < nc);
	if (pick >= 0)
	{
		int			best = cowrie_ip_type_priority(cand[pick], clen[pick]);

		REQUIRE(cand[pick] != NULL);
		REQUIRE(!is_blank(cand[pick], clen[pick]));
		for (i = 0; i < pick; i++)
			if (cand[i] != NULL && !is_blank(cand[i], clen[i]))
				REQUIRE(cowrie_ip_type_priority(cand[i], clen[i]) > best);
		for (i = pick + 1; i < nc; i++)
			if (cand[i] != NULL && !is_blank(cand[i], clen[i]))
				REQUIRE(cowrie_ip_type_priority(cand[i], clen[i]) >= best);
	}
	else
		for (i = 0; i < nc; i++)
			REQUIRE(cand[i] == NULL || is_blank(cand[i], clen[i]));
	{
		int			idx[4];
		int			r = cowrie_spur_list_type_indexes(n, n & 1, n & 2, idx);

		REQUIRE(r == (n == 18 ? 3 : 0));
	}
}

/* Strict UTF-8: no overlongs, no surrogates, nothing above U+10FFFF. */
static bool
utf8_valid(const unsigned char *p, size_t n)
{
	size_t		i = 0;

	while (i < n)
	{
		unsigned char c = p[i];
		size_t		k,
					need;
		unsigned long cp;

		if (c < 0x80)
		{
			i++;
			continue;
		}
		if (c >= 0xC2 && c <= 0xDF)
			need = 1, cp = c & 0x1F;
		else if (c >= 0xE0 && c <= 0xEF)
			need = 2, cp = c & 0x0F;
		else if (c >= 0xF0 && c <= 0xF4)
			need = 3, cp = c & 0x07;
		else
			return false;
		if (n - i <= need)
			return false;
		for (k = 1; k <= need; k++)
		{
			if ((p[i + k] & 0xC0) != 0x80)
				return false;
			cp = (cp << 6) | (p[i + k] & 0x3F);
		}
		if ((need == 2 && cp < 0x800) || (need == 3 && (cp < 0x10000 || cp > 0x10FFFF)) ||
			(cp >= 0xD800 && cp <= 0xDFFF))
			return false;
		i += need + 1;
	}
	return true;
}

static void
check_decode(const cj_value *v)
{
	char		big[512];
	char	   *exact;
	size_t		out = 0,
				out2 = 0;

	if (!cj_string_decode(v, big, sizeof(big), &out))
		return;
	REQUIRE(v->type == CJ_STRING && out <= sizeof(big));
	/* an exact-size buffer works, one byte less fails */
	exact = malloc(out + 1);
	REQUIRE(exact != NULL);
	REQUIRE(cj_string_decode(v, exact, out, &out2) && out2 == out && memcmp(exact, big, out) == 0);
	if (out > 0)
		REQUIRE(!cj_string_decode(v, exact, out - 1, &out2));
	REQUIRE(memchr(big, '\0', out) == NULL);
	/* escapes never make valid UTF-8 text invalid */
	if (utf8_valid((const unsigned char *) v->p, v->len))
		REQUIRE(utf8_valid((const unsigned char *) big, out));
	free(exact);
}

/* Breadth-bounded walk with an explicit work list: never recursive. */
static void
walk(const cj_value *rootv)
{
	cj_value	todo[64];
	int			ntodo = 0,
				steps = 0;

	todo[ntodo++] = *rootv;
	while (ntodo > 0 && steps++ < 200)
	{
		cj_value	v = todo[--ntodo];
		cj_value	x;
		size_t		i,
					cnt;

		switch (v.type)
		{
			case CJ_OBJECT:
				cnt = cj_object_count(&v);
				if (cj_object_first_key(&v, &x))
				{
					char		key[256];
					size_t		klen;
					cj_value	got;

					REQUIRE(x.type == CJ_STRING);
					check_decode(&x);
					/* a well-formed object finds its own first key */
					if (cnt > 0 && cj_string_decode(&x, key, sizeof(key), &klen))
						REQUIRE(cj_object_get(&v, key, klen, &got));
					if (cnt > 0 && ntodo < 64 && cj_string_decode(&x, key, sizeof(key), &klen) &&
						cj_object_get(&v, key, klen, &got))
						todo[ntodo++] = got;
				}
				else
					REQUIRE(cnt == 0);
				if (cj_object_get(&v, "dshield", 7, &x) && ntodo < 64)
					todo[ntodo++] = x;
				(void) cj_object_get(&v, "", 0, &x);
				break;
			case CJ_ARRAY:
				cnt = cj_array_length(&v);
				for (i = 0; i < cnt && i < 20; i++)
				{
					REQUIRE(cj_array_get(&v, i, &x));
					if (ntodo < 64)
						todo[ntodo++] = x;
				}
				if (cnt > 0)
					REQUIRE(!cj_array_get(&v, cnt, &x));
				break;
			case CJ_STRING:
				check_decode(&v);
				break;
			default:
				break;
		}
	}
}

/* A LATIN1 database holds code points up to U+00FF. */
static bool
holds_latin1(unsigned long cp, void *arg)
{
	(void) arg;
	return cp <= 0xFF;
}

static void
fuzz_json(const char *s, size_t n)
{
	cj_value	r,
				raw;
	bool		has;
	int			t;

	if (cj_root(s, n, &r))
	{
		REQUIRE(r.p >= s && r.len > 0 && r.p + r.len <= s + n);
		walk(&r);
	}
	/* The lazy root takes containers it has not checked: the walk must stay safe. */
	if (cj_root_of_json(s, n, &r))
	{
		REQUIRE(r.p >= s && r.len > 0 && r.p + r.len <= s + n);
		walk(&r);
	}

	/* the same functions on an arbitrary span claiming every type */
	for (t = CJ_INVALID; t <= CJ_NULL; t++)
	{
		char		buf[64];
		size_t		ol;

		raw.type = (cj_type) t;
		raw.p = s;
		raw.len = n;
		(void) cj_object_get(&raw, "a", 1, &r);
		(void) cj_object_count(&raw);
		(void) cj_object_first_key(&raw, &r);
		(void) cj_array_get(&raw, 3, &r);
		(void) cj_array_length(&raw);
		(void) cj_string_decode(&raw, buf, sizeof(buf), &ol);
	}

	has = cj_has_nul_escape(s, n);
	{
		/* Storable for jsonb: within capacity, and a fixed point. */
		char	   *st = malloc(CJ_STORABLE_CAPACITY(n));
		char	   *st2;
		size_t		sn,
					sn2;
		bool		changed;

		REQUIRE(st != NULL);
		sn = cj_make_jsonb_storable(s, n, st, &changed);
		REQUIRE(sn <= CJ_STORABLE_CAPACITY(n));
		REQUIRE(!cj_has_nul_escape(st, sn));
		REQUIRE(!has || changed);
		REQUIRE(changed || (sn == n && memcmp(st, s, n) == 0));
		st2 = malloc(CJ_STORABLE_CAPACITY(sn));
		REQUIRE(st2 != NULL);
		sn2 = cj_make_jsonb_storable(st, sn, st2, &changed);
		REQUIRE(!changed && sn2 == sn && memcmp(st2, st, sn) == 0);
		/* In a LATIN1-like encoding: within capacity, a fixed point, never more bytes than UTF-8's */
		sn = cj_make_jsonb_storable_in(s, n, st, &changed, holds_latin1, NULL);
		REQUIRE(sn <= CJ_STORABLE_CAPACITY(n));
		REQUIRE(!cj_has_nul_escape(st, sn));
		sn2 = cj_make_jsonb_storable_in(st, sn, st2, &changed, holds_latin1, NULL);
		REQUIRE(!changed && sn2 == sn && memcmp(st2, st, sn) == 0);
		free(st2);
		free(st);
	}
	{
		/* The jsonb size estimate: total, within its bound, counts within the text */
		size_t		depth = cj_depth(s, n);
		size_t	   *stack = malloc((depth + 1) * sizeof(size_t));
		cj_jsonb_size js;

		REQUIRE(stack != NULL && depth <= n);
		if (cj_jsonb_size_estimate(s, n, stack, depth + 1, &js))
		{
			REQUIRE(js.bytes <= CJ_JSONB_BYTES_BOUND(n));
			REQUIRE(js.max_array <= n / 2 + 1 && js.max_object <= n / 4 + 1);
		}
		(void) cj_jsonb_size_estimate(s, n, stack, depth / 2, &js);
		free(stack);
	}
}

/* A non-empty canonical IP re-parses and formats to itself. */
static void
check_canonical(const char *ip, size_t len)
{
	char		buf[COWRIE_IP_TEXT_MAX];

	REQUIRE(len < COWRIE_IP_TEXT_MAX && strlen(ip) == len);
	if (len == 0)
		return;
	REQUIRE(cowrie_ip_canonical(ip, len, buf) == len && memcmp(buf, ip, len) == 0);
}

static void
check_facts(const cowrie_enrichment_facts *f)
{
	check_canonical(f->ip, f->ip_len);
	REQUIRE(!(f->ip_len > 0 && f->ip_invalid));
	REQUIRE(!(f->asn_found && f->asn_invalid));
	if (f->asn_found)
		REQUIRE(f->asn > 0 && cowrie_asn_usable(f->asn));
}

static void
check_typeset(const cowrie_typeset *set)
{
	int			i,
				j;

	REQUIRE(set->count >= 0 && set->count <= COWRIE_TYPESET_MAX);
	for (i = 0; i < set->count; i++)
	{
		const char *known = cowrie_ip_type_name(set->priority[i]);

		REQUIRE(name_ok(set->name[i], set->len[i]));
		REQUIRE(set->priority[i] == cowrie_ip_type_priority(set->name[i], set->len[i]));
		REQUIRE(set->priority[i] == COWRIE_TYPE_PRIORITY_UNKNOWN || known != NULL);
		if (known != NULL)
			REQUIRE(strcmp(known, set->name[i]) == 0);
		if (i > 0)
			REQUIRE(set->priority[i - 1] <= set->priority[i]);
		for (j = 0; j < i; j++)
			REQUIRE(!(set->len[j] == set->len[i] && memcmp(set->name[j], set->name[i], set->len[i]) == 0));
	}
}

static bool
upper2(const char *c)
{
	return c[0] >= 'A' && c[0] <= 'Z' && c[1] >= 'A' && c[1] <= 'Z' && c[2] == '\0';
}

/* Decide once and check everything the rule promises about its result. */
static void
check_decide(const cowrie_snapshot_input *in)
{
	cowrie_snapshot out;
	cowrie_ip	ip;
	bool		parsed = in->ip != NULL && cowrie_ip_parse(in->ip, in->ip_len, &ip);
	bool		usable = cowrie_country_usable(in->country, in->country_len);

	memset(&out, 0x5a, sizeof(out));
	cowrie_snapshot_decide(in, &out);
	REQUIRE(out.outcome >= COWRIE_OUTCOME_ENRICHED && out.outcome <= COWRIE_OUTCOME_NO_COUNTRY);
	REQUIRE(strcmp(cowrie_outcome_name(out.outcome), "unknown") != 0);
	/* the country: never NULL, "XX" or two letters A-Z */
	REQUIRE(!out.country_isnull);
	REQUIRE(memcmp(out.country, "XX", 3) == 0 || upper2(out.country));
	REQUIRE((out.outcome == COWRIE_OUTCOME_ENRICHED) == (memcmp(out.country, "XX", 3) != 0));
	/* the ASN: positive and within integer when not NULL */
	if (!out.asn_isnull)
		REQUIRE(out.asn > 0 && !in->asn_isnull && out.asn == in->asn);
	/* which outcome, and what it carries */
	switch (out.outcome)
	{
		case COWRIE_OUTCOME_UNPARSEABLE:
			REQUIRE(!parsed);
			break;
		case COWRIE_OUTCOME_PRIVATE:
			REQUIRE(parsed && cowrie_ip_is_private(&ip));
			break;
		case COWRIE_OUTCOME_NO_INVENTORY:
			REQUIRE(parsed && !cowrie_ip_is_private(&ip) && !in->inventory_found);
			break;
		case COWRIE_OUTCOME_ENRICHED:
			REQUIRE(parsed && !cowrie_ip_is_private(&ip) && in->inventory_found && usable);
			REQUIRE(out.country[0] == in->country[0] && out.country[1] == in->country[1]);
			break;
		case COWRIE_OUTCOME_NO_COUNTRY:
			REQUIRE(parsed && !cowrie_ip_is_private(&ip) && in->inventory_found && !usable);
			break;
	}
	REQUIRE(out.enrichment_at_from_inventory == (parsed && !cowrie_ip_is_private(&ip) && in->inventory_found));
	if (out.enrichment_at_from_inventory)
	{
		REQUIRE(out.asn_isnull == (in->asn_isnull || !cowrie_asn_usable(in->asn)));
		REQUIRE(out.ip_type_isnull == (in->ip_type == NULL || in->ip_type_len == 0));
	}
	else
		REQUIRE(out.asn_isnull && out.ip_type_isnull);
	if (cowrie_outcome_is_final(out.outcome))
		REQUIRE(out.outcome == COWRIE_OUTCOME_ENRICHED || out.outcome == COWRIE_OUTCOME_PRIVATE);
}

static uint64_t
load64(const unsigned char *p)
{
	uint64_t	v = 0;
	int			i;

	for (i = 0; i < 8; i++)
		v = (v << 8) | p[i];
	return v;
}

/*
 * The snapshot rule with inventory fields taken from the input's last bytes
 * (read only: the whole input is still the JSON document), and once more
 * with a country and ASN from small tables, so every outcome is reached.
 */
static void
fuzz_decide(const char *s, size_t n, const char *fact_ip, size_t fact_len,
			const char *event_ip, size_t event_len)
{
	static const char *const countries[] = {"US", "XX", "us", "A", "USA", NULL, "CN", "", "Z1"};
	static const int64_t asns[] = {15169, 0, -1, INT32_MAX, (int64_t) INT32_MAX + 1, INT64_MIN, 1};
	unsigned char tail[12] = {0};
	size_t		t = n < sizeof(tail) ? n : sizeof(tail);
	cowrie_snapshot_input in;
	int			variant;

	memcpy(tail + sizeof(tail) - t, s + n - t, t);
	for (variant = 0; variant < 2; variant++)
	{
		unsigned char f = tail[0];

		memset(&in, 0, sizeof(in));
		switch (f & 3)
		{
			case 0:
				in.ip = fact_ip;
				in.ip_len = fact_len;
				break;
			case 1:
				in.ip = event_ip;
				in.ip_len = event_len;
				break;
			case 2:
				in.ip = s;		/* the raw input, up to its first newline */
				in.ip_len = 0;
				while (in.ip_len < n && s[in.ip_len] != '\n')
					in.ip_len++;
				break;
			default:
				in.ip = NULL;
				in.ip_len = (size_t) tail[1];
				break;
		}
		in.inventory_found = (f & 4) != 0;
		in.asn_isnull = (f & 8) != 0;
		if (variant == 0)
		{
			in.asn = (int64_t) load64(tail + 1);
			in.country = (f & 16) ? NULL : (const char *) tail + 9;
			in.country_len = (f >> 5) & 3;
		}
		else
		{
			in.asn = asns[tail[1] % (sizeof(asns) / sizeof(asns[0]))];
			in.country = countries[tail[2] % (sizeof(countries) / sizeof(countries[0]))];
			in.country_len = in.country != NULL ? strlen(in.country) : 0;
		}
		in.ip_type = (f & 128) ? "VPN" : (tail[11] & 1) ? "" : NULL;
		in.ip_type_len = in.ip_type != NULL ? strlen(in.ip_type) : (size_t) tail[11];
		check_decide(&in);
		/* an IP that extraction found is never unparseable */
		if (fact_len > 0)
		{
			cowrie_snapshot out;

			in.ip = fact_ip;
			in.ip_len = fact_len;
			cowrie_snapshot_decide(&in, &out);
			REQUIRE(out.outcome != COWRIE_OUTCOME_UNPARSEABLE);
			check_decide(&in);
		}
		tail[0] = (unsigned char) (tail[0] ^ 0xff);
	}
}

/* cowrie_parse_int64 against strtoll where both apply. */
static void
fuzz_int64(const char *s, size_t n)
{
	int64_t		v = 0x5a5a;
	bool		ok = cowrie_parse_int64(s, n, &v);
	size_t		i = 0,
				digits;
	char		buf[32];

	if (n > 0 && s[0] == '-')
		i++;
	digits = i;
	while (digits < n && s[digits] >= '0' && s[digits] <= '9')
		digits++;
	if (!ok)
	{
		REQUIRE(v == 0x5a5a);
		/* plain digit text of up to 18 digits always fits */
		REQUIRE(!(digits == n && n > i && n - i <= 18));
		return;
	}
	/* an integer part, and no exponent: its value is the integer part's */
	REQUIRE(digits > i);
	if (memchr(s, 'e', n) == NULL && memchr(s, 'E', n) == NULL && digits < sizeof(buf))
	{
		memcpy(buf, s, digits);
		buf[digits] = '\0';
		REQUIRE((long long) v == strtoll(buf, NULL, 10));
	}
}

static void
fuzz_enrichment(const char *s, size_t n)
{
	cowrie_jnode root;
	cowrie_enrichment_facts ordered,
				unordered;
	cowrie_typeset set;
	char		ev[COWRIE_IP_TEXT_MAX];
	size_t		evlen = 0;
	int			k;

	fuzz_int64(s, n);
	if (n == 2)
	{
		char		c[3] = {s[0], s[1], '\0'};

		REQUIRE(cowrie_country_usable(s, n) == (upper2(c) && strcmp(c, "XX") != 0));
	}
	else
		REQUIRE(!cowrie_country_usable(s, n));

	if (!cowrie_text_json_root(s, n, &root))
	{
		/* a root that is not a document, of every claimed type, is harmless */
		for (k = CJ_INVALID; k <= CJ_NULL; k++)
		{
			root.type = (cj_type) k;
			root.ptr = s;
			root.len = n;
			cowrie_enrichment_extract(&cowrie_text_json_ops, &root, k & 1, &ordered);
			check_facts(&ordered);
			cowrie_enrichment_ip_types(&cowrie_text_json_ops, &root, k & 1, &set);
			check_typeset(&set);
			evlen = cowrie_event_ip(&cowrie_text_json_ops, &root, ev);
			if (evlen > 0)
				check_canonical(ev, evlen);
		}
		fuzz_decide(s, n, "", 0, "", 0);
		return;
	}
	REQUIRE((const char *) root.ptr >= s && root.len > 0 && (const char *) root.ptr + root.len <= s + n);

	cowrie_enrichment_extract(&cowrie_text_json_ops, &root, true, &ordered);
	cowrie_enrichment_extract(&cowrie_text_json_ops, &root, false, &unordered);
	check_facts(&ordered);
	check_facts(&unordered);
	/* the key order only matters for a session map with several keys */
	REQUIRE(ordered.asn_found == unordered.asn_found && ordered.asn == unordered.asn &&
			ordered.asn_invalid == unordered.asn_invalid);
	if (unordered.ip_len > 0)
		REQUIRE(ordered.ip_len == unordered.ip_len && memcmp(ordered.ip, unordered.ip, ordered.ip_len) == 0);
	{
		/* The IP-only hot path agrees with the full extraction. */
		cowrie_enrichment_facts ip_only;

		cowrie_enrichment_extract_ip(&cowrie_text_json_ops, &root, true, &ip_only);
		REQUIRE(ip_only.ip_len == ordered.ip_len && memcmp(ip_only.ip, ordered.ip, ip_only.ip_len) == 0 &&
				ip_only.ip_invalid == ordered.ip_invalid && !ip_only.asn_found);
	}

	for (k = 0; k < 2; k++)
	{
		cowrie_enrichment_ip_types(&cowrie_text_json_ops, &root, k == 1, &set);
		check_typeset(&set);
	}

	memset(ev, 'Z', sizeof(ev));
	evlen = cowrie_event_ip(&cowrie_text_json_ops, &root, ev);
	if (evlen > 0)
		check_canonical(ev, evlen);
	else
		ev[0] = '\0';
	if (root.type != CJ_OBJECT)
		REQUIRE(evlen == 0 && ordered.ip_len == 0 && !ordered.ip_invalid && !ordered.asn_found);

	fuzz_decide(s, n, ordered.ip, ordered.ip_len, ev, evlen);
	fuzz_decide(s, n, unordered.ip, unordered.ip_len, ev, evlen);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* an exact-size copy, so any over-read hits the redzone */
	char	   *s = malloc(size > 0 ? size : 1);

	if (s == NULL)
		return 0;
	if (size > 0)
		memcpy(s, data, size);
	fuzz_ip(s, size);
	fuzz_types(s, size);
	fuzz_json(s, size);
	fuzz_enrichment(s, size);
	free(s);
	return 0;
}
