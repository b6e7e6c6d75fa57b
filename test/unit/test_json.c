/* cowrie_json: the lazy reader on valid, hostile and truncated text. */
#include <stdlib.h>
#include <string.h>

#include "unit.h"
#include "cowrie_json.h"

#define LENGTHOF(a) (sizeof(a) / sizeof((a)[0]))

static bool
root(const char *doc, cj_value *v)
{
	return cj_root(doc, strlen(doc), v);
}

/* Member key's value must be exactly the raw text want (NULL: absent). */
static bool
get_is(const char *doc, const char *key, const char *want)
{
	cj_value	r,
				v;

	if (!root(doc, &r))
		return false;
	if (!cj_object_get(&r, key, strlen(key), &v))
		return want == NULL;
	return want != NULL && v.len == strlen(want) && memcmp(v.p, want, v.len) == 0;
}

static const struct
{
	const char *doc;
	cj_type		type;
	const char *raw;			/* the value's bytes; NULL when cj_root fails */
}			root_cases[] = {
	{"{}", CJ_OBJECT, "{}"},
	{"  {\"a\":1}  ", CJ_OBJECT, "{\"a\":1}"},
	{"\t\r\n[1,2]\n", CJ_ARRAY, "[1,2]"},
	{"\"x\"", CJ_STRING, "\"x\""},
	{"\"a\\\"b\"", CJ_STRING, "\"a\\\"b\""},
	{"\"\\\\\"", CJ_STRING, "\"\\\\\""},
	{"\"a\\\\\\\"b\\\\\"", CJ_STRING, "\"a\\\\\\\"b\\\\\""},
	{"\"\\\\\" \"", CJ_INVALID, NULL},
	{"\"\\u0022\\\"\"", CJ_STRING, "\"\\u0022\\\"\""},
	{"0", CJ_NUMBER, "0"},
	{"-12.5e+3", CJ_NUMBER, "-12.5e+3"},
	{"1E9", CJ_NUMBER, "1E9"},
	{"true", CJ_TRUE, "true"},
	{"false", CJ_FALSE, "false"},
	{"null", CJ_NULL, "null"},
	{"", CJ_INVALID, NULL},
	{"   ", CJ_INVALID, NULL},
	{"{", CJ_INVALID, NULL},
	{"}", CJ_INVALID, NULL},
	{"[1,2", CJ_INVALID, NULL},
	{"\"abc", CJ_INVALID, NULL},
	{"\"abc\\\"", CJ_INVALID, NULL},
	{"\"abc\\", CJ_INVALID, NULL},
	{"tru", CJ_INVALID, NULL},
	{"nul", CJ_INVALID, NULL},
	{"True", CJ_INVALID, NULL},
	{"{} {}", CJ_INVALID, NULL},
	{"{}x", CJ_INVALID, NULL},
	{"1 2", CJ_INVALID, NULL},
	{"01", CJ_INVALID, NULL},
	{"-", CJ_INVALID, NULL},
	{"1.", CJ_INVALID, NULL},
	{".5", CJ_INVALID, NULL},
	{"1e", CJ_INVALID, NULL},
	{"+1", CJ_INVALID, NULL},
	{"truex", CJ_INVALID, NULL},
	{"x", CJ_INVALID, NULL},
	{"\xef\xbb\xbf{}", CJ_INVALID, NULL},
	{"[\"]\"]", CJ_ARRAY, "[\"]\"]"},
	{"[\"\\\\\"]", CJ_ARRAY, "[\"\\\\\"]"},
};

static void
test_root(void)
{
	size_t		i;
	cj_value	v;

	for (i = 0; i < LENGTHOF(root_cases); i++)
	{
		bool		ok = root(root_cases[i].doc, &v);

		if (root_cases[i].raw == NULL)
			CHECK(!ok, "root('%s') should fail", root_cases[i].doc);
		else
			CHECK(ok && v.type == root_cases[i].type &&
				  v.len == strlen(root_cases[i].raw) &&
				  memcmp(v.p, root_cases[i].raw, v.len) == 0,
				  "root('%s')", root_cases[i].doc);
	}
	/* On valid JSON the lazy root of a json datum is the strict root. */
	for (i = 0; i < LENGTHOF(root_cases); i++)
	{
		cj_value	lazy;

		if (root_cases[i].raw != NULL)
			CHECK(cj_root_of_json(root_cases[i].doc, strlen(root_cases[i].doc), &lazy) && root(root_cases[i].doc, &v) &&
				  lazy.type == v.type && lazy.p == v.p && lazy.len == v.len,
				  "cj_root_of_json('%s') = cj_root", root_cases[i].doc);
	}
	CHECK(!cj_root_of_json(NULL, 0, &v) && !cj_root_of_json("{}", 2, NULL), "cj_root_of_json: NULL arguments");
	CHECK(!cj_root_of_json("{", 1, &v) && !cj_root_of_json("  ", 2, &v) && !cj_root_of_json("{}x", 3, &v),
		  "cj_root_of_json: no container from first to last byte, and no valid scalar");
	/* Not valid JSON inside: the root is taken, and the member readers fail cleanly. */
	CHECK(cj_root_of_json("{\"a\":1} {\"b\":2}", 15, &v) && !cj_object_get(&v, "b", 1, &v),
		  "cj_root_of_json: two documents, the reader finds the garbage");
	CHECK(cj_root_of_json("{\"a\": [1, }", 11, &v) && !cj_object_get(&v, "a", 1, &v),
		  "cj_root_of_json: an unclosed array inside");
	{
		/* A long string of escapes, then its quote: each byte is read a bounded number of times. */
		size_t		n = 2 + 2 * 200000;
		char	   *d = malloc(n + 1);
		size_t		k;

		CHECK(d != NULL, "malloc");
		if (d != NULL)
		{
			d[0] = '"';
			for (k = 1; k + 1 < n; k += 2)
				memcpy(d + k, (k / 2) % 2 ? "\\\"" : "\\n", 2);
			d[n - 1] = '"';
			d[n] = '\0';
			CHECK(cj_root(d, n, &v) && v.type == CJ_STRING && v.len == n, "200,000 escapes in one string");
			CHECK(!cj_root(d, n - 1, &v), "the same without its closing quote");
			free(d);
		}
	}
	CHECK(!cj_root(NULL, 0, &v), "NULL doc");
	CHECK(!cj_root("{}", 2, NULL), "NULL out");
	CHECK(cj_root("[1]]", 3, &v) && v.len == 3, "len bounds the read");
	CHECK(!cj_root("{\0}", 3, &v) || v.len == 3, "NUL inside braces is harmless");
	CHECK(!cj_root("\"a\0b\"", 5, &v) || v.len == 5, "NUL inside string is harmless");
}

static void
test_object_get(void)
{
	static const char *doc =
		"{\"dshield\": {\"ip\": {\"number\": \"1.2.3.4\", \"ascountry\": \"CN\", \"count\": \"12\"}},"
		" \"spur\": [\"a\", [], \"\", {\"x\": \"}]\\\"[{\"}], \"n\": null, \"t\": true,"
		" \"f\": false, \"num\": -1.5e3, \"s\": \"\\u0000\", \"e\": {}}";
	cj_value	r,
				v,
				w;

	CHECK(get_is(doc, "n", "null"), "null member");
	CHECK(get_is(doc, "t", "true"), "true member");
	CHECK(get_is(doc, "f", "false"), "false member");
	CHECK(get_is(doc, "num", "-1.5e3"), "number member");
	CHECK(get_is(doc, "s", "\"\\u0000\""), "string with NUL escape is still returned raw");
	CHECK(get_is(doc, "e", "{}"), "empty object member");
	CHECK(get_is(doc, "spur", "[\"a\", [], \"\", {\"x\": \"}]\\\"[{\"}]"),
		  "nested value with brackets and quotes inside strings");
	CHECK(get_is(doc, "missing", NULL), "missing key");
	CHECK(get_is(doc, "ip", NULL), "nested keys are not top-level keys");
	CHECK(get_is(doc, "x", NULL), "keys inside arrays are not top-level keys");
	CHECK(get_is(doc, "", NULL), "empty key absent");
	CHECK(get_is(doc, "dshiel", NULL), "key prefix does not match");
	CHECK(get_is(doc, "dshieldx", NULL), "longer key does not match");

	/* walk dshield.ip.number */
	CHECK(root(doc, &r) && cj_object_get(&r, "dshield", 7, &v) && v.type == CJ_OBJECT &&
		  cj_object_get(&v, "ip", 2, &w) && w.type == CJ_OBJECT &&
		  cj_object_get(&w, "number", 6, &v) && v.type == CJ_STRING &&
		  v.len == 9 && memcmp(v.p, "\"1.2.3.4\"", 9) == 0, "path walk");
	CHECK(cj_object_count(&r) == 8, "count = %zu", cj_object_count(&r));

	/* keys compare after de-escaping */
	CHECK(get_is("{\"\\u0064shield\": 1}", "dshield", "1"), "\\u escape in key");
	CHECK(get_is("{\"d\\u0073hi\\u0065ld\": 1}", "dshield", "1"), "several escapes");
	CHECK(get_is("{\"a\\/b\": 1}", "a/b", "1"), "\\/ in key");
	CHECK(get_is("{\"a\\\"b\": 1}", "a\"b", "1"), "\\\" in key");
	CHECK(get_is("{\"a\\\\b\": 1}", "a\\b", "1"), "\\\\ in key");
	CHECK(get_is("{\"\\u00e9\": 1}", "\xc3\xa9", "1"), "non-ASCII escape in key");
	CHECK(get_is("{\"\xc3\xa9\": 1}", "\xc3\xa9", "1"), "raw UTF-8 key");
	CHECK(get_is("{\"\\ud83d\\ude00\": 1}", "\xf0\x9f\x98\x80", "1"), "surrogate pair in key");
	CHECK(get_is("{\"a\\u0000\": 1}", "a", NULL), "NUL escape key matches nothing");
	CHECK(get_is("{\"\\u0041\": 1}", "a", NULL), "keys are case-sensitive");
	CHECK(get_is("{\"\": 7}", "", "7"), "empty key");

	/* duplicates: the last one wins, as jsonb */
	CHECK(get_is("{\"a\": 1, \"a\": 2}", "a", "2"), "duplicate key");
	CHECK(get_is("{\"a\": 1, \"b\": 0, \"\\u0061\": 3}", "a", "3"), "escaped duplicate");
	CHECK(get_is("{\"a\": {\"a\": 9}, \"b\": 0}", "a", "{\"a\": 9}"), "nested same key");

	/* malformed members */
	CHECK(get_is("{\"a\" 1}", "a", NULL), "missing colon");
	CHECK(get_is("{\"a\":}", "a", NULL), "missing value");
	CHECK(get_is("{\"a\":1,}", "a", NULL), "trailing comma");
	CHECK(get_is("{,\"a\":1}", "a", NULL), "leading comma");
	CHECK(get_is("{\"a\":1 \"b\":2}", "a", NULL), "missing comma");
	CHECK(get_is("{a:1}", "a", NULL), "bare key");
	CHECK(get_is("{1:1}", "a", NULL), "number key");
	CHECK(get_is("{\"a\":1, \"a\" 2}", "a", NULL), "malformed after the match");
	CHECK(get_is("{\"a\":1}", "a", "1"), "control");

	/* not an object */
	CHECK(root("[1, 2]", &r) && !cj_object_get(&r, "a", 1, &v), "array");
	CHECK(root("\"a\"", &r) && !cj_object_get(&r, "a", 1, &v), "string");
	CHECK(!cj_object_get(NULL, "a", 1, &v), "NULL object");
	CHECK(root("{\"a\":1}", &r) && cj_object_get(&r, "a", 1, NULL), "NULL out");
	r.type = CJ_OBJECT;
	r.p = "{]";
	r.len = 2;
	CHECK(!cj_object_get(&r, "a", 1, &v), "mismatched brackets");
}

static void
test_object_count(void)
{
	cj_value	r,
				k;

	CHECK(root("{}", &r) && cj_object_count(&r) == 0, "empty");
	CHECK(root("{ }", &r) && cj_object_count(&r) == 0 && !cj_object_first_key(&r, &k),
		  "empty, no first key");
	CHECK(root("{\"a\":1}", &r) && cj_object_count(&r) == 1, "one");
	CHECK(root("{\"a\":1,\"a\":2}", &r) && cj_object_count(&r) == 2, "duplicates count raw");
	CHECK(root("{\"a\":1,}", &r) && cj_object_count(&r) == 0, "malformed gives 0");
	CHECK(root("[1,2]", &r) && cj_object_count(&r) == 0, "array gives 0");
	CHECK(cj_object_count(NULL) == 0, "NULL");
	CHECK(root(" { \"1.2.3.4\" : {\"x\": [1]} } ", &r) && cj_object_first_key(&r, &k) &&
		  k.type == CJ_STRING && k.len == 9 && memcmp(k.p, "\"1.2.3.4\"", 9) == 0,
		  "first key is the raw string");
	CHECK(root("{\"\\u0061\":1, \"b\":2}", &r) && cj_object_first_key(&r, &k) &&
		  k.len == 8, "first key raw, escapes kept");
	CHECK(root("{\"a\" 1}", &r) && !cj_object_first_key(&r, &k), "malformed first member");
	CHECK(root("[\"a\"]", &r) && !cj_object_first_key(&r, &k), "array has no first key");
}

static void
test_array(void)
{
	cj_value	r,
				v;
	size_t		i;
	static const char *spur =
		"[\"Alibaba\", [], \"\", \"\", \"\", \"\", \"\", [], \"\", [\"SERVER\"], \"DATACENTER\","
		" \"Hong Kong\", \"HK\", \"\", \"Alibaba Cloud\", [], [\"SSH\"], []]";

	CHECK(root(spur, &r) && cj_array_length(&r) == 18, "SPUR list length");
	CHECK(cj_array_get(&r, 10, &v) && v.type == CJ_STRING && v.len == 12 &&
		  memcmp(v.p, "\"DATACENTER\"", 12) == 0, "element 10");
	CHECK(cj_array_get(&r, 9, &v) && v.type == CJ_ARRAY && cj_array_length(&v) == 1,
		  "element 9");
	CHECK(cj_array_get(&r, 1, &v) && v.type == CJ_ARRAY && cj_array_length(&v) == 0,
		  "element 1");
	CHECK(cj_array_get(&r, 17, &v) && v.type == CJ_ARRAY, "element 17");
	CHECK(!cj_array_get(&r, 18, &v), "element 18 out of range");
	CHECK(!cj_array_get(&r, (size_t) -1, &v), "huge index");
	CHECK(cj_array_get(&r, 0, NULL), "NULL out");

	CHECK(root("[]", &r) && cj_array_length(&r) == 0 && !cj_array_get(&r, 0, &v), "empty");
	CHECK(root("[ ]", &r) && cj_array_length(&r) == 0, "empty with space");
	CHECK(root("[1,[2,[3]],{\"a\":[4]},\"]\",null]", &r) && cj_array_length(&r) == 5,
		  "mixed");
	for (i = 0; i < 5; i++)
		CHECK(cj_array_get(&r, i, &v), "mixed element %zu", i);
	CHECK(cj_array_get(&r, 3, &v) && v.type == CJ_STRING && v.len == 3, "string ']'");
	CHECK(root("[1,,2]", &r) && cj_array_length(&r) == 0, "empty element");
	CHECK(root("[1,2,]", &r) && cj_array_length(&r) == 0, "trailing comma");
	CHECK(root("[1 2]", &r) && cj_array_length(&r) == 0, "missing comma");
	CHECK(root("[1,x]", &r) && cj_array_get(&r, 0, &v) && !cj_array_get(&r, 1, &v),
		  "lazy: elements before garbage are reachable");
	CHECK(root("{\"a\":1}", &r) && cj_array_length(&r) == 0 && !cj_array_get(&r, 0, &v),
		  "object is not an array");
	CHECK(cj_array_length(NULL) == 0 && !cj_array_get(NULL, 0, &v), "NULL");
}

static bool
decode_is(const char *raw, const char *want, size_t wantlen)
{
	cj_value	v;
	char		buf[64];
	size_t		n = 12345;

	if (!root(raw, &v))
		return false;
	if (!cj_string_decode(&v, buf, sizeof(buf), &n))
		return want == NULL;
	return want != NULL && n == wantlen && memcmp(buf, want, n) == 0;
}

static void
test_decode(void)
{
	cj_value	v;
	char		buf[16];
	size_t		n;

	CHECK(decode_is("\"\"", "", 0), "empty");
	CHECK(decode_is("\"abc\"", "abc", 3), "plain");
	CHECK(decode_is("\"\\\"\\\\\\/\\b\\f\\n\\r\\t\"", "\"\\/\b\f\n\r\t", 8), "short escapes");
	CHECK(decode_is("\"\\u0041\\u00e9\\u20AC\"", "A\xc3\xa9\xe2\x82\xac", 6), "\\u escapes");
	CHECK(decode_is("\"\\u007f\\u0080\\u07ff\\u0800\\uffff\"",
					"\x7f\xc2\x80\xdf\xbf\xe0\xa0\x80\xef\xbf\xbf", 11), "UTF-8 edges");
	CHECK(decode_is("\"\\ud83d\\ude00\"", "\xf0\x9f\x98\x80", 4), "surrogate pair");
	CHECK(decode_is("\"\\uD800\\uDC00\"", "\xf0\x90\x80\x80", 4), "first astral");
	CHECK(decode_is("\"\\udbff\\udfff\"", "\xf4\x8f\xbf\xbf", 4), "last astral");
	CHECK(decode_is("\"\\ufffd\"", "\xef\xbf\xbd", 3), "replacement character");
	CHECK(decode_is("\"\xc3\xa9\"", "\xc3\xa9", 2), "raw UTF-8 copied");
	CHECK(decode_is("\"\\u0000\"", NULL, 0), "NUL escape");
	CHECK(decode_is("\"a\\u0000b\"", NULL, 0), "NUL escape in the middle");
	CHECK(decode_is("\"\\ud83d\"", NULL, 0), "lone high surrogate");
	CHECK(decode_is("\"\\ud83dx\"", NULL, 0), "high surrogate then text");
	CHECK(decode_is("\"\\ud83d\\u0041\"", NULL, 0), "high surrogate then BMP");
	CHECK(decode_is("\"\\ud83d\\ud83d\"", NULL, 0), "two high surrogates");
	CHECK(decode_is("\"\\ude00\"", NULL, 0), "lone low surrogate");
	CHECK(decode_is("\"\\ude00\\ud83d\"", NULL, 0), "reversed pair");
	CHECK(decode_is("\"\\x41\"", NULL, 0), "unknown escape");
	CHECK(decode_is("\"\\U0041\"", NULL, 0), "upper-case U");
	CHECK(decode_is("\"\\u004\"", NULL, 0), "short \\u");
	CHECK(decode_is("\"\\u00g1\"", NULL, 0), "bad hex");
	CHECK(decode_is("\"\\ud83d\\ude0\"", NULL, 0), "short low surrogate");

	/* raw NUL byte decodes to NUL */
	v.type = CJ_STRING;
	v.p = "\"a\0b\"";
	v.len = 5;
	CHECK(!cj_string_decode(&v, buf, sizeof(buf), &n), "raw NUL byte");

	/* buffer bounds: exact fit works, one byte short fails */
	CHECK(root("\"abcdefgh\"", &v) && cj_string_decode(&v, buf, 8, &n) && n == 8, "exact fit");
	CHECK(!cj_string_decode(&v, buf, 7, &n), "one byte short");
	CHECK(root("\"abcdef\\u20ac\"", &v) && !cj_string_decode(&v, buf, 8, &n),
		  "multi-byte does not fit");
	CHECK(cj_string_decode(&v, buf, 9, &n) && n == 9, "multi-byte fits");
	CHECK(root("\"\"", &v) && cj_string_decode(&v, NULL, 0, &n) && n == 0, "empty, no buffer");
	CHECK(root("\"x\"", &v) && !cj_string_decode(&v, NULL, 0, &n), "no buffer");
	CHECK(root("\"x\"", &v) && cj_string_decode(&v, buf, 1, NULL), "NULL outlen");

	/* not a string */
	CHECK(root("123", &v) && !cj_string_decode(&v, buf, sizeof(buf), &n), "number");
	CHECK(root("[\"a\"]", &v) && !cj_string_decode(&v, buf, sizeof(buf), &n), "array");
	CHECK(!cj_string_decode(NULL, buf, sizeof(buf), &n), "NULL value");
	v.type = CJ_STRING;
	v.p = "\"ab\"cd\"";
	v.len = 7;
	CHECK(!cj_string_decode(&v, buf, sizeof(buf), &n), "quote inside the span");
	v.p = "\"ab";
	v.len = 3;
	CHECK(!cj_string_decode(&v, buf, sizeof(buf), &n), "unterminated");
	v.p = "\"ab\\\"";
	v.len = 5;
	CHECK(!cj_string_decode(&v, buf, sizeof(buf), &n), "escaped closing quote");
}

static const struct
{
	const char *doc;
	bool		has;
	const char *sanitized;
}			nul_cases[] = {
	{"{\"a\": \"\\u0000\"}", true, "{\"a\": \"\\ufffd\"}"},
	{"{\"\\u0000\": 1}", true, "{\"\\ufffd\": 1}"},
	{"\"x\\u0000y\\u0000\"", true, "\"x\\ufffdy\\ufffd\""},
	{"[\"\\\\u0000\"]", false, "[\"\\\\u0000\"]"},
	{"[\"\\\\\\u0000\"]", true, "[\"\\\\\\ufffd\"]"},
	{"[\"\\\\\\\\u0000\"]", false, "[\"\\\\\\\\u0000\"]"},
	{"[\"\\u00000\"]", true, "[\"\\ufffd0\"]"},
	{"[\"\\u0001\", \"\\u000\"]", false, "[\"\\u0001\", \"\\u000\"]"},
	{"[\"\\U0000\"]", false, "[\"\\U0000\"]"},
	{"[\"\\\"\\u0000\"]", true, "[\"\\\"\\ufffd\"]"},
	{"[\"a\", \\u0000]", false, "[\"a\", \\u0000]"},	/* outside a string */
	{"", false, ""},
	{"\"\\u000", false, "\"\\u000"},
	{"\"\\", false, "\"\\"},
	{"\"\\u0000", true, "\"\\ufffd"},
};

static void
test_nul(void)
{
	size_t		i;
	char		out[CJ_STORABLE_CAPACITY(64)];
	bool		changed;

	for (i = 0; i < LENGTHOF(nul_cases); i++)
	{
		const char *d = nul_cases[i].doc;
		size_t		len = strlen(d);
		size_t		n;

		CHECK(cj_has_nul_escape(d, len) == nul_cases[i].has, "has_nul_escape(%s)", d);
		memset(out, 'Z', sizeof(out));
		n = cj_make_jsonb_storable(d, len, out, &changed);
		CHECK(n == len && memcmp(out, nul_cases[i].sanitized, len) == 0 && out[len] == 'Z',
			  "storable(%s) = %.*s", d, (int) n, out);
		CHECK(changed == nul_cases[i].has, "storable(%s) changed", d);
		CHECK(!cj_has_nul_escape(out, n), "storable text of %s has no NUL escape", d);
	}
	CHECK(!cj_has_nul_escape(NULL, 0), "NULL");
	CHECK(cj_make_jsonb_storable(NULL, 0, out, &changed) == 0, "NULL storable");
	/* len bounds the scan */
	CHECK(!cj_has_nul_escape("\"\\u0000\"", 6), "escape cut by len");
}

static const struct
{
	const char *doc;
	bool		changed;
	const char *storable;
}			storable_cases[] = {
	{"{\"a\": 1}", false, "{\"a\": 1}"},
	{"\"\\u0000\"", true, "\"\\ufffd\""},
	{"\"\\ud800\"", true, "\"\\ufffd\""},
	{"\"\\udc00x\"", true, "\"\\ufffdx\""},
	{"\"\\ud800\\u0041\"", true, "\"\\ufffd\\u0041\""},
	{"\"\\ud83d\\ude00\"", false, "\"\\ud83d\\ude00\""},
	{"\"\\\\u0000\"", false, "\"\\\\u0000\""},
	{"[1e1000, 1e1001, -2E-1001, 1.5e+3]", true, "[1e1000, \"1e1001\", \"-2E-1001\", 1.5e+3]"},
	{"{\"n\": 1e99999999999999999999}", true, "{\"n\": \"1e99999999999999999999\"}"},
	{"\"1e1001\"", false, "\"1e1001\""},
	{"-", false, "-"},
	{"\"\\", false, "\"\\"},
};

static void
test_storable(void)
{
	size_t		i;
	char		out[256];
	char		again[256];

	for (i = 0; i < LENGTHOF(storable_cases); i++)
	{
		const char *d = storable_cases[i].doc;
		size_t		len = strlen(d);
		bool		changed;
		size_t		n = cj_make_jsonb_storable(d, len, out, &changed);

		CHECK(changed == storable_cases[i].changed && n == strlen(storable_cases[i].storable) &&
			  memcmp(out, storable_cases[i].storable, n) == 0, "storable(%s) = %.*s", d, (int) n, out);
		CHECK(n <= CJ_STORABLE_CAPACITY(len), "storable(%s) within capacity", d);
		(void) cj_make_jsonb_storable(out, n, again, &changed);
		CHECK(!changed, "storable(%s) is a fixed point", d);
	}
}

/* A LATIN1 database: code points up to U+00FF. */
static bool
holds_latin1(unsigned long cp, void *arg)
{
	(*(int *) arg)++;
	return cp <= 0xFF;
}

/* SQL_ASCII: nothing above U+007F. */
static bool
holds_none(unsigned long cp, void *arg)
{
	(void) cp;
	(*(int *) arg)++;
	return false;
}

/* An encoding with U+FFFD but not U+4E2D. */
static bool
holds_fffd(unsigned long cp, void *arg)
{
	(void) arg;
	return cp != 0x4E2D;
}

static const struct
{
	const char *doc;
	cj_holds_fn holds;
	bool		changed;
	const char *storable;
}			encoding_cases[] = {
	{"\"\\u00e9\\u4e2d\"", holds_latin1, true, "\"\\u00e9?\""},
	{"\"\\u0000 \\ud800 \\ud83d\\ude00\"", holds_latin1, true, "\"? ? ?\""},
	{"\"\\u0041\\u007f\"", holds_none, false, "\"\\u0041\\u007f\""},
	{"\"\\u0080\"", holds_none, true, "\"?\""},
	{"{\"k\\u00ff\": [\"\\u4e2d\", \"\\u00e9\"]}", holds_fffd, true, "{\"k\\u00ff\": [\"\\ufffd\", \"\\u00e9\"]}"},
	{"\"\\u00e9\\u4e2d\"", NULL, false, "\"\\u00e9\\u4e2d\""},
	{"\"\\u0000\"", NULL, true, "\"\\ufffd\""},
};

static void
test_storable_encoding(void)
{
	size_t		i;
	char		out[256];
	char		again[256];
	int			asked = 0;

	for (i = 0; i < LENGTHOF(encoding_cases); i++)
	{
		const char *d = encoding_cases[i].doc;
		size_t		len = strlen(d);
		bool		changed;
		size_t		n = cj_make_jsonb_storable_in(d, len, out, &changed, encoding_cases[i].holds, &asked);

		CHECK(changed == encoding_cases[i].changed && n == strlen(encoding_cases[i].storable) &&
			  memcmp(out, encoding_cases[i].storable, n) == 0, "storable_in(%s) = %.*s", d, (int) n, out);
		CHECK(n <= CJ_STORABLE_CAPACITY(len), "storable_in(%s) within capacity", d);
		(void) cj_make_jsonb_storable_in(out, n, again, &changed, encoding_cases[i].holds, &asked);
		CHECK(!changed, "storable_in(%s) is a fixed point", d);
	}
	/* asked only above U+007F: \u0041 and \u007f never reach holds */
	asked = 0;
	(void) cj_make_jsonb_storable_in("\"\\u0041\\u007f\"", 14, out, &(bool) {false}, holds_none, &asked);
	CHECK(asked == 0, "holds asked %d times about ASCII", asked);
}

static const struct
{
	const char *doc;
	bool		ok;
	size_t		bytes;
	size_t		max_array;
	size_t		max_object;
	size_t		depth;
}			size_cases[] = {
	{"1", true, 4 + 19, 0, 0, 0},
	{"\"abc\"", true, 4 + 4 + 3, 0, 0, 0},
	{"[1, 2, 3]", true, 4 + 3 * 19, 3, 0, 1},
	{"[]", true, 4, 0, 0, 1},
	{"{}", true, 4, 0, 0, 1},
	{"{\"a\": 1, \"a\": 2}", true, 4 + 2 * (4 + 1) + 2 * 19, 0, 2, 1},
	{" {\"x\": [true, [false, null, \"[\"]], \"y\": {}} ", true,
	 4 + (4 + 1) + 11 + 4 + 11 + 4 + 4 + (4 + 1) + (4 + 1) + 11, 3, 2, 3},
	/* 9 digits: 13 + 2 * 3 */
	{"[123456789]", true, 4 + 4 + 19, 1, 0, 1},
	/* beyond numeric, stored as a string: within the numeric bound (5 digits), and past it (28 bytes) */
	{"1e1001", true, 4 + 4 + 17, 0, 0, 0},
	{"[1e10000000000000000000000000]", true, 4 + 4 + 28, 1, 0, 1},
	{"[1, 2", false, 0, 0, 0, 1},
	{"]", false, 0, 0, 0, 0},
	{"[1}", false, 0, 0, 0, 1},
	{"1 2", false, 0, 0, 0, 0},
	{"{1: 2}", false, 0, 0, 0, 1},
	{"{\"a\": [1]}", true, 4 + 5 + 11 + 19, 1, 1, 2},
	{"{\"a\" [1]}", false, 0, 0, 0, 2},
	{"[1,]", false, 0, 0, 0, 1},
	{"[,1]", false, 0, 0, 0, 1},
	{"[00000000]", false, 0, 0, 0, 1},
	{"{\"a\":}", false, 0, 0, 0, 1},
	{"{\"a\"::1}", false, 0, 0, 0, 1},
	{"[1]]", false, 0, 0, 0, 1},
	{"", false, 0, 0, 0, 0},
	{"x", false, 0, 0, 0, 0},
	{"\"abc", false, 0, 0, 0, 0},
};

static void
test_jsonb_size(void)
{
	size_t		i;
	size_t		stack[8];
	cj_jsonb_size s;

	for (i = 0; i < LENGTHOF(size_cases); i++)
	{
		const char *d = size_cases[i].doc;
		size_t		len = strlen(d);
		bool		ok = cj_jsonb_size_estimate(d, len, stack, LENGTHOF(stack), &s);

		CHECK(cj_depth(d, len) == size_cases[i].depth, "depth(%s) = %zu", d, cj_depth(d, len));
		CHECK(ok == size_cases[i].ok, "size_estimate(%s) = %d", d, ok);
		if (ok && size_cases[i].ok)
		{
			CHECK(s.bytes == size_cases[i].bytes && s.max_array == size_cases[i].max_array &&
				  s.max_object == size_cases[i].max_object,
				  "size_estimate(%s) = %zu bytes, array %zu, object %zu", d, s.bytes, s.max_array, s.max_object);
			CHECK(s.bytes <= CJ_JSONB_BYTES_BOUND(len), "size_estimate(%s) within the bound", d);
		}
	}
	CHECK(!cj_jsonb_size_estimate("[[1]]", 5, stack, 1, &s), "deeper than the stack");
	CHECK(cj_jsonb_size_estimate("[[1]]", 5, stack, 2, &s) && s.max_array == 1, "as deep as the stack");
	CHECK(!cj_jsonb_size_estimate(NULL, 0, stack, 1, &s) && cj_depth(NULL, 0) == 0, "NULL");
	CHECK(!cj_jsonb_size_estimate("[]", 2, NULL, 1, &s), "NULL stack");
	CHECK(!cj_jsonb_size_estimate("[]", 2, stack, 1, NULL), "NULL out");
}

/* The estimate's counts at jsonb's own limits (2^24 + 1 numbers: the document). */
static void
test_jsonb_size_large(void)
{
	const size_t n = (1u << 24) + 1;
	char	   *d = malloc(2 * n + 2);
	size_t		len = 0,
				i;
	size_t		stack[2];
	cj_jsonb_size s;

	if (d == NULL)
	{
		CHECK(false, "malloc");
		return;
	}
	d[len++] = '[';
	for (i = 0; i < n; i++)
	{
		d[len++] = (char) ('0' + i % 10);
		d[len++] = i + 1 < n ? ',' : ']';
	}
	CHECK(cj_depth(d, len) == 1, "large depth");
	CHECK(cj_jsonb_size_estimate(d, len, stack, 2, &s) && s.max_array == n && s.bytes == 4 + 19 * n &&
		  s.bytes <= CJ_JSONB_BYTES_BOUND(len), "%zu numbers: array %zu, bytes %zu", n, s.max_array, s.bytes);
	free(d);
}

/* 100k-deep nesting costs no stack: the reader never recurses. */
static void
test_deep(void)
{
	const size_t depth = 100000;
	size_t		n = 0;
	size_t		i;
	char	   *d = malloc(4 * depth + 64);
	cj_value	r,
				v;

	if (d == NULL)
	{
		CHECK(false, "malloc");
		return;
	}
	for (i = 0; i < depth; i++)
		d[n++] = '[';
	for (i = 0; i < depth; i++)
		d[n++] = ']';
	CHECK(cj_root(d, n, &r) && r.type == CJ_ARRAY && r.len == n, "deep array");
	CHECK(cj_array_length(&r) == 1 && cj_array_get(&r, 0, &v) && v.len == n - 2, "deep child");
	CHECK(!cj_root(d, n - 1, &r), "deep array, one bracket short");
	CHECK(!cj_root(d, depth, &r), "only openers");

	/* {"x": [[[...]]], "y": 1}: skip the deep value to reach "y" */
	n = 0;
	memcpy(d, "{\"x\": ", 6);
	n = 6;
	for (i = 0; i < depth; i++)
		d[n++] = '[';
	for (i = 0; i < depth; i++)
		d[n++] = ']';
	memcpy(d + n, ", \"y\": 1}", 9);
	n += 9;
	CHECK(cj_root(d, n, &r) && cj_object_get(&r, "y", 1, &v) && v.len == 1 && v.p[0] == '1',
		  "member after a deep value");
	CHECK(cj_object_count(&r) == 2, "count around a deep value");

	/* {"a":{"a":...}} nested objects */
	n = 0;
	for (i = 0; i < depth / 2; i++)
	{
		memcpy(d + n, "{\"a\":", 5);
		n += 5;
	}
	d[n++] = '1';
	for (i = 0; i < depth / 2; i++)
		d[n++] = '}';
	CHECK(cj_root(d, n, &r) && cj_object_get(&r, "a", 1, &v) && v.type == CJ_OBJECT,
		  "deep objects");
	CHECK(!cj_has_nul_escape(d, n), "deep has no NUL escape");
	free(d);
}

/* Every proper prefix of a valid document is rejected, and nothing reads past it. */
static void
test_truncated(void)
{
	static const char *doc =
		"{\"dshield\": {\"ip\": {\"number\": \"1.2.3.4\", \"ascountry\": \"CN\"}},"
		" \"spur\": [\"x\", [], \"\\ud83d\\ude00\", {\"k\": [1, -2.5e-3, true, false, null]}],"
		" \"s\": \"\\u0000\\\\\\\"\"}";
	size_t		len = strlen(doc);
	size_t		i;
	int			bad = 0;
	cj_value	r;

	for (i = 0; i < len; i++)
	{
		/* a heap copy of exactly i bytes lets sanitizers catch over-reads */
		char	   *p = malloc(i + 1);

		if (p == NULL)
			break;
		memcpy(p, doc, i);
		if (cj_root(p, i, &r))
			bad++;
		(void) cj_has_nul_escape(p, i);
		free(p);
	}
	CHECK(bad == 0, "%d prefixes accepted", bad);
	CHECK(cj_root(doc, len, &r) && cj_object_count(&r) == 3, "the whole document");
}

void
test_json(void)
{
	test_root();
	test_object_get();
	test_object_count();
	test_array();
	test_decode();
	test_nul();
	test_storable();
	test_storable_encoding();
	test_jsonb_size();
	test_jsonb_size_large();
	test_deep();
	test_truncated();
}
