/*
 * libFuzzer target for the PostgreSQL-free core: every input goes through
 * the IP parser and formatter, the type-set functions and the JSON reader,
 * and a few cross-checks that must hold for any bytes. A failed check
 * aborts, which libFuzzer reports as a crash.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cowrie_ip.h"
#include "cowrie_iptype.h"
#include "cowrie_json.h"

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

static void
fuzz_json(const char *s, size_t n)
{
	cj_value	r,
				raw;
	char	   *out;
	size_t		len;
	bool		has;
	int			t;

	if (cj_root(s, n, &r))
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
	out = malloc(n > 0 ? n : 1);
	REQUIRE(out != NULL);
	len = cj_sanitize(s, n, out);
	REQUIRE(len == n);
	REQUIRE(!cj_has_nul_escape(out, len));
	REQUIRE(has == (memcmp(out, s, n) != 0));
	free(out);
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
	free(s);
	return 0;
}
