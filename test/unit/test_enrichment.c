/*
 * cowrie_enrichment over the JSON text accessor: source IP and ASN of every
 * enrichment shape (upstream-cowrieprocessor.md 3.2-3.6), the SPUR IP types
 * (3.4), a raw event's IP, and cowrie_parse_int64.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "unit.h"
#include "cowrie_enrichment.h"

#define LENGTHOF(a) (sizeof(a) / sizeof((a)[0]))

/* Which first_key_ordered values a case runs with. */
enum mode
{
	BOTH = 0,
	ORDERED,					/* first_key_ordered = true (json) */
	UNORDERED					/* first_key_ordered = false (jsonb) */
};

static const bool mode_values[3][2] = {{false, true}, {true, true}, {false, false}};

/* A root for doc; an unparseable document gives a CJ_INVALID root. */
static cowrie_jnode
text_root(const char *doc, size_t len)
{
	cowrie_jnode root;

	if (!cowrie_text_json_root(doc, len, &root))
	{
		root.type = CJ_INVALID;
		root.ptr = doc;
		root.len = len;
	}
	return root;
}

/* ---- cowrie_parse_int64 ---- */

static const struct
{
	const char *in;
	bool		ok;
	int64_t		want;
}			int64_cases[] = {
	{"0", true, 0},
	{"-0", true, 0},
	{"7", true, 7},
	{"15169", true, 15169},
	{"-15169", true, -15169},
	{"15169.0", true, 15169},
	{"15169.000", true, 15169},
	{"-15169.0", true, -15169},
	{"0.0", true, 0},
	{"00012", true, 12},
	{"2147483647", true, INT32_MAX},
	{"2147483648", true, INT64_C(2147483648)},
	{"9223372036854775800", true, INT64_C(9223372036854775800)},
	{"9223372036854775806", true, INT64_C(9223372036854775806)},
	{"9223372036854775807", true, INT64_MAX},
	{"9223372036854775807.00", true, INT64_MAX},
	{"-9223372036854775807", true, -INT64_MAX},
	{"-9223372036854775808", true, INT64_MIN},
	{"0009223372036854775807", true, INT64_MAX},
	/* exponents: what jsonb's numeric gives for the same JSON text */
	{"1e3", true, 1000},
	{"1E3", true, 1000},
	{"1e+3", true, 1000},
	{"1.5169e4", true, 15169},
	{"1.5169E+4", true, 15169},
	{"151690e-1", true, 15169},
	{"1516900e-2", true, 15169},
	{"15169.0e0", true, 15169},
	{"-2e1", true, -20},
	{"1e18", true, INT64_C(1000000000000000000)},
	{"9.223372036854775807e18", true, INT64_MAX},
	{"-9.223372036854775808e18", true, INT64_MIN},
	{"0e999999999999999999999", true, 0},
	{"0.000e-5", true, 0},
	{"0e-99", true, 0},
	{"1e19", false, 0},
	{"1e999999999999999999999", false, 0},
	{"1e-1", false, 0},
	{"15169e-1", false, 0},
	{"1.25e1", false, 0},
	{"1e-999999999999999999999", false, 0},
	{"9.223372036854775808e18", false, 0},
	/* out of range */
	{"9223372036854775808", false, 0},
	{"9223372036854775810", false, 0},
	{"-9223372036854775809", false, 0},
	{"99999999999999999999999", false, 0},
	{"18446744073709551616", false, 0},
	/* not integral */
	{"15169.5", false, 0},
	{"1.05", false, 0},
	{"0.1", false, 0},
	{"15169.0000001", false, 0},
	/* not JSON number text */
	{"", false, 0},
	{"-", false, 0},
	{".", false, 0},
	{"-.", false, 0},
	{".0", false, 0},
	{"-.0", false, 0},
	{"15169.", false, 0},
	{"15169.e1", false, 0},
	{"1e", false, 0},
	{"1e+", false, 0},
	{"1e-", false, 0},
	{"e3", false, 0},
	{"1ee3", false, 0},
	{"1e3.0", false, 0},
	{"+1", false, 0},
	{"--1", false, 0},
	{"1-", false, 0},
	{" 1", false, 0},
	{"1 ", false, 0},
	{"0x10", false, 0},
	{"1,000", false, 0},
	{"AS4134", false, 0},
	{"NaN", false, 0},
	{"Infinity", false, 0},
	{"1.0.0", false, 0},
};

static void
test_parse_int64(void)
{
	size_t		i;

	for (i = 0; i < LENGTHOF(int64_cases); i++)
	{
		const char *in = int64_cases[i].in;
		int64_t		got = -12345;
		bool		ok = cowrie_parse_int64(in, strlen(in), &got);

		CHECK(ok == int64_cases[i].ok, "parse_int64('%s') ok=%d, want %d", in, ok, int64_cases[i].ok);
		if (ok && int64_cases[i].ok)
			CHECK(got == int64_cases[i].want, "parse_int64('%s') = %lld, want %lld", in,
				  (long long) got, (long long) int64_cases[i].want);
		if (!ok)
			CHECK(got == -12345, "parse_int64('%s') wrote its output on failure", in);
	}
	{
		int64_t		v = 0;

		/* the length bounds the read */
		CHECK(cowrie_parse_int64("123abc", 3, &v) && v == 123, "length 3 of 123abc");
		CHECK(cowrie_parse_int64("15169.0x", 7, &v) && v == 15169, "length 7 of 15169.0x");
		CHECK(!cowrie_parse_int64("12", 0, &v), "length 0");
		CHECK(!cowrie_parse_int64("1\0", 2, &v), "embedded NUL");
	}
}

/* ---- cowrie_enrichment_extract ---- */

#define FLAT_DOC \
	"{\"dshield\": {\"ip\": {\"number\": \"47.242.217.70\", \"count\": \"12\", \"attacks\": \"3\"," \
	" \"asname\": \"ALIBABA-CN-NET Alibaba US Technology Co., Ltd.\", \"ascountry\": \"CN\"," \
	" \"as\": 45102, \"network\": \"47.242.0.0/15\", \"comment\": null}}," \
	" \"urlhaus\": \"elf,mirai\"," \
	" \"spur\": [\"Alibaba US Technology Co., Ltd.\", [], \"\", \"\", \"\", \"\", \"\", [], \"\"," \
	" [\"SERVER\"], \"DATACENTER\", \"Hong Kong\", \"HK\", \"\", \"Alibaba Cloud\", [], [\"SSH\"], []]," \
	" \"password_stats\": {\"total_attempts\": 3, \"novel_password_hashes\": []}}"

#define NESTED_DOC \
	"{\"session\": {\"47.242.217.70\": {\"dshield\": {\"ip\": {\"number\": \"47.242.217.70\"," \
	" \"ascountry\": \"CN\", \"count\": 12, \"attacks\": 3}}, \"urlhaus\": \"\"," \
	" \"spur\": [\"\", \"\", \"\", \"\", \"\", \"\", \"\", \"\", \"\", \"\", \"\", \"\", \"\", \"\", \"\", \"\", \"\", \"\"]}}," \
	" \"virustotal\": {}}"

#define INVENTORY_DOC \
	"{\"maxmind\": {\"country\": \"CN\", \"asn\": 45102, \"asn_org\": \"Alibaba\"}," \
	" \"cymru\": {\"asn\": 45102, \"country\": \"CN\", \"registry\": \"apnic\"}," \
	" \"greynoise\": {\"noise\": true, \"riot\": false}," \
	" \"dshield\": {\"ip\": {\"number\": \"47.242.217.70\", \"ascountry\": \"CN\"}}, \"urlhaus\": \"\"}"

static const struct
{
	const char *doc;
	enum mode	mode;
	const char *ip;				/* canonical, "" for none */
	bool		ip_invalid;
	bool		asn_found;
	int32_t		asn;
	bool		asn_invalid;
}			extract_cases[] = {
	/* flat dshield (refresh path) */
	{FLAT_DOC, BOTH, "47.242.217.70", false, false, 0, false},
	{"{\"dshield\":{\"ip\":{\"number\":\"8.8.8.8\"}}}", BOTH, "8.8.8.8", false, false, 0, false},
	{"{\"dshield\":{\"ip\":{\"number\":\"2001:DB8::1\"}}}", BOTH, "2001:db8::1", false, false, 0, false},
	{"{\"dshield\":{\"ip\":{\"number\":\"2001:0db8:0000:0000:0000:0000:0000:0001\"}}}", BOTH, "2001:db8::1", false, false, 0, false},
	{"{\"dshield\":{\"ip\":{\"number\":\" 1.2.3.4\\t\"}}}", BOTH, "1.2.3.4", false, false, 0, false},
	{"{\"dshield\":{\"ip\":{\"number\":\"\\u0031.2.3.4\"}}}", BOTH, "1.2.3.4", false, false, 0, false},
	{"{\"dshield\":{\"ip\":{\"number\":\"::ffff:10.0.0.1\"}}}", BOTH, "::ffff:10.0.0.1", false, false, 0, false},
	{"{\"dshield\":{\"ip\":{\"number\":\"::FFFF:0a00:0001\"}}}", BOTH, "::ffff:10.0.0.1", false, false, 0, false},
	{"{\"dshield\":{\"ip\":{\"number\":\"10.0.0.1\"}}}", BOTH, "10.0.0.1", false, false, 0, false},
	{INVENTORY_DOC, BOTH, "47.242.217.70", false, true, 45102, false},
	/* the empty and TIMEOUT sentinels carry no number */
	{"{\"dshield\":{\"ip\":{\"asname\":\"\",\"ascountry\":\"\"}}}", BOTH, "", false, false, 0, false},
	{"{\"dshield\":{\"ip\":{\"asname\":\"TIMEOUT\",\"ascountry\":\"TIMEOUT\"}}}", BOTH, "", false, false, 0, false},
	{"{\"dshield\":{\"error\":\"timeout\"}}", BOTH, "", false, false, 0, false},
	{"{\"dshield\":\"TIMEOUT\"}", BOTH, "", false, false, 0, false},
	{"{\"dshield\":{\"ip\":\"8.8.8.8\"}}", BOTH, "", false, false, 0, false},
	{"{\"dshield\":{\"ip\":[\"8.8.8.8\"]}}", BOTH, "", false, false, 0, false},
	{"{\"dshield\":null}", BOTH, "", false, false, 0, false},
	{"{\"dshield\":{\"ip\":{\"number\":null}}}", BOTH, "", false, false, 0, false},
	/* present but not a valid IP */
	{"{\"dshield\":{\"ip\":{\"number\":\"TIMEOUT\"}}}", BOTH, "", true, false, 0, false},
	{"{\"dshield\":{\"ip\":{\"number\":\"\"}}}", BOTH, "", true, false, 0, false},
	{"{\"dshield\":{\"ip\":{\"number\":\"   \"}}}", BOTH, "", true, false, 0, false},
	{"{\"dshield\":{\"ip\":{\"number\":134744072}}}", BOTH, "", true, false, 0, false},
	{"{\"dshield\":{\"ip\":{\"number\":[\"8.8.8.8\"]}}}", BOTH, "", true, false, 0, false},
	{"{\"dshield\":{\"ip\":{\"number\":{\"v\":\"8.8.8.8\"}}}}", BOTH, "", true, false, 0, false},
	{"{\"dshield\":{\"ip\":{\"number\":true}}}", BOTH, "", true, false, 0, false},
	{"{\"dshield\":{\"ip\":{\"number\":false}}}", BOTH, "", true, false, 0, false},
	{"{\"dshield\":{\"ip\":{\"number\":\"1.2.3\"}}}", BOTH, "", true, false, 0, false},
	{"{\"dshield\":{\"ip\":{\"number\":\"1.2.3.256\"}}}", BOTH, "", true, false, 0, false},
	{"{\"dshield\":{\"ip\":{\"number\":\"01.2.3.4\"}}}", BOTH, "", true, false, 0, false},
	{"{\"dshield\":{\"ip\":{\"number\":\"1.2.3.4/32\"}}}", BOTH, "", true, false, 0, false},
	{"{\"dshield\":{\"ip\":{\"number\":\"1.2.3.4:22\"}}}", BOTH, "", true, false, 0, false},
	{"{\"dshield\":{\"ip\":{\"number\":\"fe80::1%eth0\"}}}", BOTH, "", true, false, 0, false},
	{"{\"dshield\":{\"ip\":{\"number\":\"[::1]\"}}}", BOTH, "", true, false, 0, false},
	{"{\"dshield\":{\"ip\":{\"number\":\"2001:db8:::1\"}}}", BOTH, "", true, false, 0, false},
	{"{\"dshield\":{\"ip\":{\"number\":\"1.2.3.4\\u0000\"}}}", BOTH, "", true, false, 0, false},
	{"{\"dshield\":{\"ip\":{\"number\":\"\\u0000\"}}}", BOTH, "", true, false, 0, false},
	{"{\"dshield\":{\"ip\":{\"number\":\"\\ud800\"}}}", BOTH, "", true, false, 0, false},
	{"{\"dshield\":{\"ip\":{\"number\":\"\xef\xbc\x91.2.3.4\"}}}", BOTH, "", true, false, 0, false},

	/* session_metadata.source_ip comes first */
	{"{\"session_metadata\":{\"source_ip\":\"8.8.4.4\"},\"dshield\":{\"ip\":{\"number\":\"8.8.8.8\"}}}",
	BOTH, "8.8.4.4", false, false, 0, false},
	{"{\"dshield\":{\"ip\":{\"number\":\"8.8.8.8\"}},\"session_metadata\":{\"source_ip\":\"2001:DB8::2\"}}",
	BOTH, "2001:db8::2", false, false, 0, false},
	{"{\"session_metadata\":{\"source_ip\":\"8.8.4.4\"},\"session\":{\"1.1.1.1\":{},\"2.2.2.2\":{}}}",
	BOTH, "8.8.4.4", false, false, 0, false},
	{"{\"session_metadata\":{\"source_ip\":\"8.8.4.4\"}}", BOTH, "8.8.4.4", false, false, 0, false},
	/* its invalid forms fall through to dshield and the session map */
	{"{\"session_metadata\":{\"source_ip\":\"bogus\"},\"dshield\":{\"ip\":{\"number\":\"8.8.8.8\"}}}",
	BOTH, "8.8.8.8", false, false, 0, false},
	{"{\"session_metadata\":{\"source_ip\":null},\"dshield\":{\"ip\":{\"number\":\"8.8.8.8\"}}}",
	BOTH, "8.8.8.8", false, false, 0, false},
	{"{\"session_metadata\":{\"source_ip\":134744072},\"dshield\":{\"ip\":{\"number\":\"8.8.8.8\"}}}",
	BOTH, "8.8.8.8", false, false, 0, false},
	{"{\"session_metadata\":{\"source_ip\":\"bogus\"},\"session\":{\"1.1.1.1\":{}}}",
	BOTH, "1.1.1.1", false, false, 0, false},
	{"{\"session_metadata\":\"8.8.4.4\",\"dshield\":{\"ip\":{\"number\":\"8.8.8.8\"}}}",
	BOTH, "8.8.8.8", false, false, 0, false},
	{"{\"session_metadata\":\"8.8.4.4\"}", BOTH, "", false, false, 0, false},
	{"{\"session_metadata\":[\"8.8.4.4\"]}", BOTH, "", false, false, 0, false},
	{"{\"session_metadata\":[{\"source_ip\":\"8.8.4.4\"}]}", BOTH, "", false, false, 0, false},
	{"{\"session_metadata\":null}", BOTH, "", false, false, 0, false},
	{"{\"session_metadata\":{}}", BOTH, "", false, false, 0, false},
	{"{\"session_metadata\":{\"source_ip\":null}}", BOTH, "", false, false, 0, false},
	{"{\"session_metadata\":{\"src_ip\":\"8.8.4.4\"}}", BOTH, "", false, false, 0, false},
	{"{\"session_metadata\":{\"source_ip\":\"bogus\"}}", BOTH, "", true, false, 0, false},
	{"{\"session_metadata\":{\"source_ip\":\"\"}}", BOTH, "", true, false, 0, false},
	{"{\"session_metadata\":{\"source_ip\":134744072}}", BOTH, "", true, false, 0, false},
	{"{\"session_metadata\":{\"source_ip\":[\"8.8.4.4\"]}}", BOTH, "", true, false, 0, false},
	{"{\"session_metadata\":{\"source_ip\":true}}", BOTH, "", true, false, 0, false},
	/* invalid everywhere: still invalid */
	{"{\"session_metadata\":{\"source_ip\":\"x\"},\"dshield\":{\"ip\":{\"number\":\"y\"}}}",
	BOTH, "", true, false, 0, false},
	/* an invalid one after a missing one */
	{"{\"session_metadata\":{},\"dshield\":{\"ip\":{\"number\":\"y\"}}}", BOTH, "", true, false, 0, false},

	/* nested session map (bulk loader), one key */
	{NESTED_DOC, BOTH, "47.242.217.70", false, false, 0, false},
	{"{\"session\":{\"8.8.8.8\":{}}}", BOTH, "8.8.8.8", false, false, 0, false},
	{"{\"session\":{\"2001:DB8::1\":{}}}", BOTH, "2001:db8::1", false, false, 0, false},
	{"{\"session\":{\"\\u0038.8.8.8\":{}}}", BOTH, "8.8.8.8", false, false, 0, false},
	{"{\"session\":{\"8.8.8.8\":null}}", BOTH, "8.8.8.8", false, false, 0, false},
	{"{\"session\":{\"bogus\":{}}}", BOTH, "", true, false, 0, false},
	{"{\"session\":{\"\":{}}}", BOTH, "", true, false, 0, false},
	{"{\"session\":{}}", BOTH, "", false, false, 0, false},
	{"{\"session\":\"8.8.8.8\"}", BOTH, "", false, false, 0, false},
	{"{\"session\":[\"8.8.8.8\"]}", BOTH, "", false, false, 0, false},
	{"{\"session\":null}", BOTH, "", false, false, 0, false},
	/* two keys: the first in document order (json), or nothing (jsonb) */
	{"{\"session\":{\"8.8.8.8\":{},\"1.1.1.1\":{}}}", ORDERED, "8.8.8.8", false, false, 0, false},
	{"{\"session\":{\"8.8.8.8\":{},\"1.1.1.1\":{}}}", UNORDERED, "", false, false, 0, false},
	{"{\"session\":{\"bogus\":{},\"1.1.1.1\":{}}}", ORDERED, "", true, false, 0, false},
	{"{\"session\":{\"bogus\":{},\"1.1.1.1\":{}}}", UNORDERED, "", false, false, 0, false},
	{"{\"session\":{\"8.8.8.8\":{},\"bogus\":{}}}", ORDERED, "8.8.8.8", false, false, 0, false},
	/* dshield before the session map; an invalid dshield is replaced by a valid key */
	{"{\"dshield\":{\"ip\":{\"number\":\"8.8.8.8\"}},\"session\":{\"1.1.1.1\":{}}}",
	BOTH, "8.8.8.8", false, false, 0, false},
	{"{\"session\":{\"1.1.1.1\":{}},\"dshield\":{\"ip\":{\"asname\":\"\",\"ascountry\":\"\"}}}",
	BOTH, "1.1.1.1", false, false, 0, false},
	{"{\"dshield\":{\"ip\":{\"number\":\"bogus\"}},\"session\":{\"1.1.1.1\":{}}}",
	BOTH, "1.1.1.1", false, false, 0, false},
	{"{\"dshield\":{\"ip\":{\"number\":\"bogus\"}},\"session\":{\"8.8.8.8\":{},\"1.1.1.1\":{}}}",
	UNORDERED, "", true, false, 0, false},

	/* duplicate keys: the last one wins, as in jsonb */
	{"{\"dshield\":{\"ip\":{\"number\":\"1.1.1.1\",\"number\":\"2.2.2.2\"}}}", BOTH, "2.2.2.2", false, false, 0, false},
	{"{\"dshield\":{\"ip\":{\"number\":\"1.1.1.1\",\"number\":null}}}", BOTH, "", false, false, 0, false},
	{"{\"dshield\":{\"ip\":{\"number\":\"1.1.1.1\",\"number\":\"x\"}}}", BOTH, "", true, false, 0, false},
	{"{\"dshield\":{\"ip\":{\"number\":\"1.1.1.1\"}},\"dshield\":{\"ip\":{}}}", BOTH, "", false, false, 0, false},
	{"{\"session_metadata\":{\"source_ip\":\"1.1.1.1\"},\"session_metadata\":null}", BOTH, "", false, false, 0, false},
	{"{\"session\":{\"1.1.1.1\":{}},\"session\":{\"2.2.2.2\":{}}}", BOTH, "2.2.2.2", false, false, 0, false},
	{"{\"session\":{\"1.1.1.1\":{},\"1.1.1.1\":{}}}", ORDERED, "1.1.1.1", false, false, 0, false},
	{"{\"cymru\":{\"asn\":1},\"cymru\":{\"asn\":2}}", BOTH, "", false, true, 2, false},
	{"{\"cymru\":{\"asn\":1,\"asn\":\"AS1\"}}", BOTH, "", false, false, 0, true},
	{"{\"cymru\":{\"asn\":\"AS1\",\"asn\":3}}", BOTH, "", false, true, 3, false},

	/* ASN: cymru, then maxmind */
	{"{\"cymru\":{\"asn\":15169}}", BOTH, "", false, true, 15169, false},
	{"{\"maxmind\":{\"asn\":15169}}", BOTH, "", false, true, 15169, false},
	{"{\"cymru\":{\"asn\":4134},\"maxmind\":{\"asn\":15169}}", BOTH, "", false, true, 4134, false},
	{"{\"maxmind\":{\"asn\":15169},\"cymru\":{\"asn\":4134}}", BOTH, "", false, true, 4134, false},
	{"{\"cymru\":{\"asn\":null},\"maxmind\":{\"asn\":15169}}", BOTH, "", false, true, 15169, false},
	{"{\"cymru\":{\"asn_org\":\"x\"},\"maxmind\":{\"asn\":15169}}", BOTH, "", false, true, 15169, false},
	{"{\"cymru\":\"15169\",\"maxmind\":{\"asn\":7}}", BOTH, "", false, true, 7, false},
	{"{\"cymru\":null,\"maxmind\":{\"asn\":7}}", BOTH, "", false, true, 7, false},
	{"{\"cymru\":{\"asn\":\"AS4134\"},\"maxmind\":{\"asn\":4134}}", BOTH, "", false, true, 4134, false},
	{"{\"cymru\":{\"asn\":\"AS4134\"},\"maxmind\":{\"asn\":null}}", BOTH, "", false, false, 0, true},
	{"{\"cymru\":{\"asn\":\"AS4134\"},\"maxmind\":{\"asn\":\"x\"}}", BOTH, "", false, false, 0, true},
	{"{\"cymru\":{\"asn\":null},\"maxmind\":{\"asn\":null}}", BOTH, "", false, false, 0, false},
	{"{\"cymru\":{},\"maxmind\":{}}", BOTH, "", false, false, 0, false},
	{"{\"cymru\":{\"asn\":null},\"maxmind\":{\"asn\":0}}", BOTH, "", false, false, 0, true},
	/* as a number, a digit string, and what is not usable */
	{"{\"cymru\":{\"asn\":\"15169\"}}", BOTH, "", false, true, 15169, false},
	{"{\"cymru\":{\"asn\":\"\\u0031\\u0035169\"}}", BOTH, "", false, true, 15169, false},
	{"{\"cymru\":{\"asn\":\"0015169\"}}", BOTH, "", false, true, 15169, false},
	{"{\"cymru\":{\"asn\":15169.0}}", BOTH, "", false, true, 15169, false},
	{"{\"cymru\":{\"asn\":15169.00}}", BOTH, "", false, true, 15169, false},
	{"{\"cymru\":{\"asn\":1.5169e4}}", BOTH, "", false, true, 15169, false},
	{"{\"cymru\":{\"asn\":1E3}}", BOTH, "", false, true, 1000, false},
	{"{\"cymru\":{\"asn\":1}}", BOTH, "", false, true, 1, false},
	{"{\"cymru\":{\"asn\":2147483647}}", BOTH, "", false, true, INT32_MAX, false},
	{"{\"cymru\":{\"asn\":\"2147483647\"}}", BOTH, "", false, true, INT32_MAX, false},
	{"{\"cymru\":{\"asn\":2147483648}}", BOTH, "", false, false, 0, true},
	{"{\"cymru\":{\"asn\":\"2147483648\"}}", BOTH, "", false, false, 0, true},
	{"{\"cymru\":{\"asn\":4294967295}}", BOTH, "", false, false, 0, true},
	{"{\"cymru\":{\"asn\":9223372036854775807}}", BOTH, "", false, false, 0, true},
	{"{\"cymru\":{\"asn\":99999999999999999999999}}", BOTH, "", false, false, 0, true},
	{"{\"cymru\":{\"asn\":\"99999999999999999999999999999999999999\"}}", BOTH, "", false, false, 0, true},
	{"{\"cymru\":{\"asn\":\"AS4134\"}}", BOTH, "", false, false, 0, true},
	{"{\"cymru\":{\"asn\":\"\"}}", BOTH, "", false, false, 0, true},
	{"{\"cymru\":{\"asn\":\"NA\"}}", BOTH, "", false, false, 0, true},
	{"{\"cymru\":{\"asn\":\"15169.0\"}}", BOTH, "", false, false, 0, true},
	{"{\"cymru\":{\"asn\":\"1e3\"}}", BOTH, "", false, false, 0, true},
	{"{\"cymru\":{\"asn\":\" 15169\"}}", BOTH, "", false, false, 0, true},
	{"{\"cymru\":{\"asn\":\"15169 \"}}", BOTH, "", false, false, 0, true},
	{"{\"cymru\":{\"asn\":\"+15169\"}}", BOTH, "", false, false, 0, true},
	{"{\"cymru\":{\"asn\":\"-15169\"}}", BOTH, "", false, false, 0, true},
	{"{\"cymru\":{\"asn\":\"15169\\u0000\"}}", BOTH, "", false, false, 0, true},
	{"{\"cymru\":{\"asn\":15169.5}}", BOTH, "", false, false, 0, true},
	{"{\"cymru\":{\"asn\":15169e-1}}", BOTH, "", false, false, 0, true},
	{"{\"cymru\":{\"asn\":-1}}", BOTH, "", false, false, 0, true},
	{"{\"cymru\":{\"asn\":-15169}}", BOTH, "", false, false, 0, true},
	{"{\"cymru\":{\"asn\":0}}", BOTH, "", false, false, 0, true},
	{"{\"cymru\":{\"asn\":-0}}", BOTH, "", false, false, 0, true},
	{"{\"cymru\":{\"asn\":0.0}}", BOTH, "", false, false, 0, true},
	{"{\"cymru\":{\"asn\":\"0\"}}", BOTH, "", false, false, 0, true},
	{"{\"cymru\":{\"asn\":true}}", BOTH, "", false, false, 0, true},
	{"{\"cymru\":{\"asn\":[15169]}}", BOTH, "", false, false, 0, true},
	{"{\"cymru\":{\"asn\":{\"number\":15169}}}", BOTH, "", false, false, 0, true},
	{"{\"cymru\":{\"asn\":null}}", BOTH, "", false, false, 0, false},
	{"{\"maxmind\":{\"asn\":null}}", BOTH, "", false, false, 0, false},
	{"{\"maxmind\":{\"asn\":-1}}", BOTH, "", false, false, 0, true},
	/* the dshield ASN is not read */
	{"{\"dshield\":{\"ip\":{\"number\":\"8.8.8.8\",\"as\":15169,\"asn\":15169}}}", BOTH, "8.8.8.8", false, false, 0, false},
	/* the ASN is read whichever way the IP was found */
	{"{\"session_metadata\":{\"source_ip\":\"8.8.4.4\"},\"cymru\":{\"asn\":15169}}", BOTH, "8.8.4.4", false, true, 15169, false},
	{"{\"session\":{\"8.8.8.8\":{}},\"maxmind\":{\"asn\":\"15169\"}}", BOTH, "8.8.8.8", false, true, 15169, false},
	{"{\"dshield\":{\"ip\":{\"number\":\"bogus\"}},\"cymru\":{\"asn\":\"AS1\"}}", BOTH, "", true, false, 0, true},

	/* roots that are not objects, and text that is not JSON */
	{"[]", BOTH, "", false, false, 0, false},
	{"[{\"dshield\":{\"ip\":{\"number\":\"8.8.8.8\"}}}]", BOTH, "", false, false, 0, false},
	{"\"8.8.8.8\"", BOTH, "", false, false, 0, false},
	{"null", BOTH, "", false, false, 0, false},
	{"15169", BOTH, "", false, false, 0, false},
	{"{}", BOTH, "", false, false, 0, false},
	{"", BOTH, "", false, false, 0, false},
	{"{\"dshield\":{\"ip\":{\"number\":\"8.8.8.8\"}}", BOTH, "", false, false, 0, false},
	{"{\"dshield\":{\"ip\":{\"number\":\"8.8.8.8\"}}} x", BOTH, "", false, false, 0, false},
};

static void
test_extract(void)
{
	size_t		i;
	int			m;

	for (i = 0; i < LENGTHOF(extract_cases); i++)
	{
		const char *doc = extract_cases[i].doc;
		cowrie_jnode root = text_root(doc, strlen(doc));

		for (m = 0; m < 2; m++)
		{
			bool		ordered = mode_values[extract_cases[i].mode][m];
			cowrie_enrichment_facts f;

			if (m == 1 && mode_values[extract_cases[i].mode][0] == ordered)
				break;
			memset(&f, 0x5a, sizeof(f));
			cowrie_enrichment_extract(&cowrie_text_json_ops, &root, ordered, &f);
			CHECK(f.ip_len == strlen(extract_cases[i].ip) && f.ip_len < COWRIE_IP_TEXT_MAX &&
				  strcmp(f.ip, extract_cases[i].ip) == 0,
				  "case %zu ordered=%d: ip '%.*s', want '%s'", i, ordered,
				  (int) (f.ip_len < COWRIE_IP_TEXT_MAX ? f.ip_len : 0), f.ip, extract_cases[i].ip);
			CHECK(f.ip_invalid == extract_cases[i].ip_invalid,
				  "case %zu ordered=%d: ip_invalid %d, want %d", i, ordered,
				  f.ip_invalid, extract_cases[i].ip_invalid);
			CHECK(f.asn_found == extract_cases[i].asn_found &&
				  (!f.asn_found || f.asn == extract_cases[i].asn),
				  "case %zu ordered=%d: asn found=%d %ld, want found=%d %ld", i, ordered,
				  f.asn_found, (long) f.asn, extract_cases[i].asn_found, (long) extract_cases[i].asn);
			CHECK(f.asn_invalid == extract_cases[i].asn_invalid,
				  "case %zu ordered=%d: asn_invalid %d, want %d", i, ordered,
				  f.asn_invalid, extract_cases[i].asn_invalid);
			CHECK(!(f.asn_found && f.asn_invalid) && !(f.ip_len > 0 && f.ip_invalid),
				  "case %zu: a found value is never also invalid", i);
		}
	}
}

/* Values too long to hold, and a CJ_INVALID root, built at run time. */
static void
test_extract_long(void)
{
	char		doc[2048];
	char		pad[1200];
	cowrie_jnode root;
	cowrie_enrichment_facts f;

	memset(pad, ' ', sizeof(pad) - 1);
	pad[sizeof(pad) - 1] = '\0';

	/* an IP wrapped in more whitespace than the value buffer holds */
	snprintf(doc, sizeof(doc), "{\"dshield\":{\"ip\":{\"number\":\"%s8.8.8.8\"}}}", pad);
	root = text_root(doc, strlen(doc));
	cowrie_enrichment_extract(&cowrie_text_json_ops, &root, true, &f);
	CHECK(f.ip_len == 0 && f.ip[0] == '\0' && f.ip_invalid, "over-long number is invalid");

	snprintf(doc, sizeof(doc), "{\"session\":{\"%s8.8.8.8\":{}}}", pad);
	root = text_root(doc, strlen(doc));
	cowrie_enrichment_extract(&cowrie_text_json_ops, &root, true, &f);
	CHECK(f.ip_len == 0 && f.ip[0] == '\0', "over-long session key gives no IP");

	/* whitespace that still fits is trimmed */
	snprintf(doc, sizeof(doc), "{\"dshield\":{\"ip\":{\"number\":\"%.400s8.8.8.8\"}}}", pad);
	root = text_root(doc, strlen(doc));
	cowrie_enrichment_extract(&cowrie_text_json_ops, &root, true, &f);
	CHECK(f.ip_len == 7 && strcmp(f.ip, "8.8.8.8") == 0 && !f.ip_invalid, "400 spaces then an IP");

	snprintf(doc, sizeof(doc), "{\"cymru\":{\"asn\":\"%.40s\"}}", "0000000000000000000000000000000000000001");
	root = text_root(doc, strlen(doc));
	cowrie_enrichment_extract(&cowrie_text_json_ops, &root, true, &f);
	CHECK(!f.asn_found && f.asn_invalid, "over-long digit string");

	root.type = CJ_INVALID;
	root.ptr = "{}";
	root.len = 2;
	cowrie_enrichment_extract(&cowrie_text_json_ops, &root, true, &f);
	CHECK(f.ip_len == 0 && !f.ip_invalid && !f.asn_found && !f.asn_invalid, "invalid root");
}

/* ---- cowrie_enrichment_ip_types ---- */

#define E18 "\"\",\"\",\"\",\"\",\"\",\"\",\"\",\"\",\"\",\"\",\"\",\"\",\"\",\"\",\"\",\"\",\"\",\"\""

/* hybrid cache: [1] behaviors, [9] client.types, [10] infrastructure, [17] tunnels */
#define HYBRID \
	"[\"Alibaba\", [\"TOR_PROXY_USER\"], \"CN\", \"wx4g\", 0.5, [\"CN\"], 3, [\"LUMINATI\"], 2," \
	" [\"MOBILE\", \"proxy\"], \"DATACENTER\", \"Hangzhou\", \"CN\", \"ZJ\", \"Alibaba\"," \
	" [\"CALLBACK_PROXY\"], [\"SSH\"], [{\"anonymous\": true, \"operator\": \"NORD_VPN\", \"type\": \"VPN\"}]]"

/* legacy file cache: [3] infrastructure, [6] client types, [17] first tunnel's type */
#define LEGACY \
	"[\"45102\", \"Alibaba\", \"Alibaba Cloud\", \"DATACENTER\", \"['TOR_PROXY_USER']\", \"\"," \
	" \"['MOBILE', 'proxy']\", \"3\", \"CN\", \"['CN']\", \"2\", \"['CALLBACK_PROXY']\", \"['SSH']\"," \
	" \"Hangzhou, ZJ, CN\", \"True\", \"\", \"NORD_VPN\", \"VPN\"]"

#define HYBRID_SERVER \
	"[\"Alibaba US Technology Co., Ltd.\", [], \"\", \"\", \"\", \"\", \"\", [], \"\", [\"SERVER\"]," \
	" \"DATACENTER\", \"Hong Kong\", \"HK\", \"\", \"Alibaba Cloud\", [], [\"SSH\"], []]"

static const struct
{
	const char *doc;
	enum mode	mode;
	const char *want;			/* names in order, comma-joined */
}			types_cases[] = {
	/* object form */
	{"{\"client\":{\"types\":\"DATACENTER\"}}", BOTH, "DATACENTER"},
	{"{\"client\":{\"types\":\"vpn\"}}", BOTH, "VPN"},
	{"{\"client\":{\"types\":\" Tor \"}}", BOTH, "TOR"},
	{"{\"client\":{\"types\":[\"RESIDENTIAL\",\"VPN\",\"PROXY\"]}}", BOTH, "VPN,PROXY,RESIDENTIAL"},
	{"{\"client\":{\"types\":[\"vpn\",\"VPN\",\" Vpn \"]}}", BOTH, "VPN"},
	{"{\"client\":{\"types\":\"['MOBILE', 'vpn']\"}}", BOTH, "VPN,MOBILE"},
	{"{\"client\":{\"types\":\"[\\\"MOBILE\\\",\\\"TOR\\\"]\"}}", BOTH, "TOR,MOBILE"},
	{"{\"client\":{\"types\":\"MOBILE, PROXY\"}}", BOTH, "PROXY,MOBILE"},
	{"{\"client\":{\"types\":[1,null,true,{},[\"VPN\"],\"TOR\"]}}", BOTH, "TOR"},
	{"{\"client\":{\"types\":[{\"type\":\"VPN\"}]}}", BOTH, "VPN"},
	{"{\"client\":{\"types\":[]}}", BOTH, ""},
	{"{\"client\":{\"types\":\"\"}}", BOTH, ""},
	{"{\"client\":{\"types\":null}}", BOTH, ""},
	{"{\"client\":{\"types\":42}}", BOTH, ""},
	{"{\"client\":\"VPN\"}", BOTH, ""},
	{"{\"client\":[\"VPN\"]}", BOTH, ""},
	{"{\"client\":{\"type\":\"VPN\"}}", BOTH, ""},
	{"{\"infrastructure\":\"DATACENTER\"}", BOTH, "DATACENTER"},
	{"{\"infrastructure\":[\"MOBILE\",\"DATACENTER\"]}", BOTH, "DATACENTER,MOBILE"},
	{"{\"tunnels\":[{\"anonymous\":true,\"operator\":\"NORD_VPN\",\"type\":\"VPN\"},{\"type\":\"TOR\"}]}", BOTH, "VPN,TOR"},
	/* a bare string in tunnels[] names a tunnel, not an IP type */
	{"{\"tunnels\":[{\"type\":\"tor\"},{\"operator\":\"X\"},{\"type\":null},\"PROXY\"]}", BOTH, "TOR"},
	{"{\"tunnels\":[\"x\"]}", BOTH, ""},
	{"{\"tunnels\":\"VPN\"}", BOTH, ""},
	{"{\"tunnels\":{\"type\":\"VPN\"}}", BOTH, ""},
	{"{\"tunnels\":[]}", BOTH, ""},
	/* the raw SPUR API object: all three places together */
	{"{\"as\":{\"number\":45102,\"organization\":\"Alibaba\"},"
		"\"client\":{\"behaviors\":[\"TOR_PROXY_USER\"],\"concentration\":{\"country\":\"CN\"},"
		"\"count\":3,\"proxies\":[\"LUMINATI\"],\"types\":[\"MOBILE\",\"DESKTOP\"]},"
		"\"infrastructure\":\"DATACENTER\",\"location\":{\"city\":\"Hangzhou\",\"country\":\"CN\"},"
		"\"organization\":\"Alibaba\",\"risks\":[\"CALLBACK_PROXY\"],\"services\":[\"SSH\"],"
	"\"tunnels\":[{\"anonymous\":true,\"entries\":[\"1.2.3.4\"],\"operator\":\"NORD_VPN\",\"type\":\"VPN\"}]}",
	BOTH, "VPN,DATACENTER,MOBILE,DESKTOP"},
	/* unknown types are kept, after the known ones, in the order first seen */
	{"{\"client\":{\"types\":[\"SERVER\",\"DESKTOP\",\"PROXY\"]}}", BOTH, "PROXY,SERVER,DESKTOP"},
	{"{\"client\":{\"types\":[\"server\",\"TOR\",\"cloud-x\",\"VPN\",\"Server\"]}}", BOTH, "VPN,TOR,SERVER,CLOUD-X"},
	{"{\"client\":{\"types\":[\"SERVER\"]},\"infrastructure\":\"HOSTING\"}", BOTH, "SERVER,HOSTING"},
	/* tokens that are not type names are dropped */
	{"{\"client\":{\"types\":[\"V.P.N\",\"<b>\",\"VPN;\",\"\",\"   \",\"MOBILE\"]}}", BOTH, "MOBILE"},
	{"{\"client\":{\"types\":[\"ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456\",\"ABCDEFGHIJKLMNOPQRSTUVWXYZ012345\"]}}",
	BOTH, "ABCDEFGHIJKLMNOPQRSTUVWXYZ012345"},
	{"{\"client\":{\"types\":[\"VPN\\u0000\",\"TOR\"]}}", BOTH, "TOR"},
	{"{\"ip_type\":\"VPN\"}", BOTH, ""},

	/* 18-element lists, both layouts */
	{HYBRID, BOTH, "VPN,PROXY,DATACENTER,MOBILE"},
	{LEGACY, BOTH, "VPN,PROXY,DATACENTER,MOBILE"},
	{HYBRID_SERVER, BOTH, "DATACENTER,SERVER"},
	{"[" E18 "]", BOTH, ""},
	/* hybrid recognised by either list: [1] alone, or [9] alone */
	{"[\"\",[],\"\",\"VPN\",\"\",\"\",\"TOR\",\"\",\"\",\"\",\"MOBILE\",\"\",\"\",\"\",\"\",\"\",\"\",\"\"]", BOTH, "MOBILE"},
	{"[\"\",\"\",\"\",\"VPN\",\"\",\"\",\"TOR\",\"\",\"\",[\"PROXY\"],\"MOBILE\",\"\",\"\",\"\",\"\",\"\",\"\",\"\"]", BOTH, "PROXY,MOBILE"},
	/* legacy: [9] and [10] are not type fields */
	{"[\"\",\"\",\"\",\"VPN\",\"\",\"\",\"TOR\",\"\",\"\",\"PROXY\",\"MOBILE\",\"\",\"\",\"\",\"\",\"\",\"\",\"RESIDENTIAL\"]", BOTH, "VPN,TOR,RESIDENTIAL"},
	/* hybrid tunnels as strings, infrastructure as a list */
	{"[\"\",[],\"\",\"\",\"\",\"\",\"\",[],\"\",[],[\"DATACENTER\"],\"\",\"\",\"\",\"\",[],[],[\"TOR\",{\"type\":\"VPN\"}]]", BOTH, "VPN,TOR,DATACENTER"},
	/* 17 and 19 elements: not a SPUR list */
	{"[\"\",[],\"\",\"VPN\",\"\",\"\",\"TOR\",\"\",\"\",[\"PROXY\"],\"MOBILE\",\"\",\"\",\"\",\"\",\"\",\"DATACENTER\"]", BOTH, ""},
	{"[\"\",\"\",\"\",\"VPN\",\"\",\"\",\"TOR\",\"\",\"\",\"PROXY\",\"MOBILE\",\"\",\"\",\"\",\"\",\"\",\"DATACENTER\"]", BOTH, ""},
	{"[\"\",[],\"\",\"VPN\",\"\",\"\",\"TOR\",\"\",\"\",[\"PROXY\"],\"MOBILE\",\"\",\"\",\"\",\"\",\"\",\"\",\"VPN\",\"TOR\"]", BOTH, ""},
	{"[\"\",\"\",\"\",\"VPN\",\"\",\"\",\"TOR\",\"\",\"\",\"PROXY\",\"MOBILE\",\"\",\"\",\"\",\"\",\"\",\"\",\"VPN\",\"TOR\"]", BOTH, ""},
	{"[\"VPN\"]", BOTH, ""},
	{"[]", BOTH, ""},

	/* the spur_data wrapper */
	{"{\"spur_data\":" HYBRID "}", BOTH, "VPN,PROXY,DATACENTER,MOBILE"},
	{"{\"spur_data\":" LEGACY "}", BOTH, "VPN,PROXY,DATACENTER,MOBILE"},
	{"{\"spur_data\":[" E18 "]}", BOTH, ""},
	{"{\"spur_data\":{\"client\":{\"types\":\"TOR\"}}}", BOTH, "TOR"},
	{"{\"spur_data\":null,\"client\":{\"types\":\"TOR\"}}", BOTH, ""},
	{"{\"spur_data\":[\"VPN\"]}", BOTH, ""},

	/* an enrichment document holding `spur` */
	{FLAT_DOC, BOTH, "DATACENTER,SERVER"},
	{"{\"dshield\":{},\"spur\":" HYBRID "}", BOTH, "VPN,PROXY,DATACENTER,MOBILE"},
	{"{\"spur\":" LEGACY ",\"urlhaus\":\"\"}", BOTH, "VPN,PROXY,DATACENTER,MOBILE"},
	{"{\"spur\":{\"client\":{\"types\":\"DATACENTER\"}}}", BOTH, "DATACENTER"},
	{"{\"spur\":{\"client\":{\"types\":[\"RESIDENTIAL\",\"VPN\",\"PROXY\"]}}}", BOTH, "VPN,PROXY,RESIDENTIAL"},
	{"{\"spur\":{\"spur_data\":" HYBRID "}}", BOTH, "VPN,PROXY,DATACENTER,MOBILE"},
	{"{\"spur\":[" E18 "]}", BOTH, ""},
	{"{\"spur\":null}", BOTH, ""},
	{"{\"spur\":\"VPN\"}", BOTH, ""},
	{"{\"spur\":\"\"}", BOTH, ""},
	{"{\"spur\":{\"ip_type\":\"VPN\"}}", BOTH, ""},
	/* a top-level spur wins over the session map and over a top-level payload */
	{"{\"spur\":{\"client\":{\"types\":\"TOR\"}},\"session\":{\"1.1.1.1\":{\"spur\":{\"client\":{\"types\":\"VPN\"}}}}}", BOTH, "TOR"},
	{"{\"spur\":null,\"client\":{\"types\":\"VPN\"}}", BOTH, ""},
	/* the nested session shape */
	{NESTED_DOC, BOTH, ""},
	{"{\"session\":{\"47.242.217.70\":{\"dshield\":{},\"spur\":" HYBRID "}},\"virustotal\":{}}", BOTH, "VPN,PROXY,DATACENTER,MOBILE"},
	{"{\"session\":{\"47.242.217.70\":{\"spur\":" LEGACY "}}}", BOTH, "VPN,PROXY,DATACENTER,MOBILE"},
	{"{\"session\":{\"1.1.1.1\":{\"spur\":{\"client\":{\"types\":\"vpn\"}}}}}", BOTH, "VPN"},
	{"{\"session\":{\"1.1.1.1\":{\"spur\":{\"spur_data\":" HYBRID_SERVER "}}}}", BOTH, "DATACENTER,SERVER"},
	{"{\"session\":{\"not-an-ip\":{\"spur\":{\"client\":{\"types\":\"TOR\"}}}}}", BOTH, "TOR"},
	{"{\"session\":{\"1.1.1.1\":{\"urlhaus\":\"\"}}}", BOTH, ""},
	{"{\"session\":{\"1.1.1.1\":null}}", BOTH, ""},
	{"{\"session\":{\"1.1.1.1\":\"VPN\"}}", BOTH, ""},
	{"{\"session\":{\"1.1.1.1\":{\"spur\":{\"client\":{\"types\":\"TOR\"}}},"
	"\"2.2.2.2\":{\"spur\":{\"client\":{\"types\":\"VPN\"}}}}}", ORDERED, "TOR"},
	{"{\"session\":{\"1.1.1.1\":{\"spur\":{\"client\":{\"types\":\"TOR\"}}},"
	"\"2.2.2.2\":{\"spur\":{\"client\":{\"types\":\"VPN\"}}}}}", UNORDERED, ""},
	{"{\"session\":{\"1.1.1.1\":{\"spur\":{\"client\":{\"types\":\"TOR\"}}},"
	"\"1.1.1.1\":{\"spur\":{\"client\":{\"types\":\"VPN\"}}}}}", ORDERED, "VPN"},

	/* ADR-009's classification, when SPUR names no type */
#define CLS(t) "\"ip_classification\":{\"ip_type\":" t ",\"provider\":\"aws\",\"confidence\":0.99}"
	{"{" CLS("\"cloud\"") "}", BOTH, "CLOUD"},
	{"{" CLS("\"tor\"") "}", BOTH, "TOR"},
	{"{" CLS("\"datacenter\"") "}", BOTH, "DATACENTER"},
	{"{" CLS("\"residential\"") "}", BOTH, "RESIDENTIAL"},
	{"{" CLS("\"Residential\"") "}", BOTH, "RESIDENTIAL"},
	{"{" CLS("\"unknown\"") "}", BOTH, ""},
	{"{" CLS("\"vpn\"") "}", BOTH, ""},
	{"{" CLS("\"\"") "}", BOTH, ""},
	{"{" CLS("null") "}", BOTH, ""},
	{"{" CLS("7") "}", BOTH, ""},
	{"{" CLS("[\"tor\"]") "}", BOTH, ""},
	{"{" CLS("{\"v\":\"tor\"}") "}", BOTH, ""},
	{"{" CLS("\"tor\\u0000\"") "}", BOTH, ""},
	{"{" CLS("\"residential                                  \"") "}", BOTH, ""},
	{"{\"ip_classification\":{}}", BOTH, ""},
	{"{\"ip_classification\":null}", BOTH, ""},
	{"{\"ip_classification\":\"cloud\"}", BOTH, ""},
	{"{\"ip_classification\":[{\"ip_type\":\"cloud\"}]}", BOTH, ""},
	{"{\"ip_classification\":{\"type\":\"cloud\"}}", BOTH, ""},
	{"{\"ip_type\":\"cloud\"}", BOTH, ""},
	/* SPUR's types win, whatever the classification says */
	{"{\"spur\":{\"client\":{\"types\":\"MOBILE\"}}," CLS("\"cloud\"") "}", BOTH, "MOBILE"},
	{"{" CLS("\"tor\"") ",\"spur\":" HYBRID "}", BOTH, "VPN,PROXY,DATACENTER,MOBILE"},
	{"{\"spur\":{\"client\":{\"types\":[]}}," CLS("\"cloud\"") "}", BOTH, "CLOUD"},
	{"{\"spur\":[" E18 "]," CLS("\"datacenter\"") "}", BOTH, "DATACENTER"},
	/* beside a nested session map; only the top level holds it */
	{"{\"session\":{\"1.1.1.1\":{\"spur\":{\"client\":{\"types\":\"VPN\"}}}}," CLS("\"cloud\"") "}", BOTH, "VPN"},
	{"{\"session\":{\"1.1.1.1\":{\"urlhaus\":\"\"}}," CLS("\"cloud\"") "}", BOTH, "CLOUD"},
	{"{\"session\":{\"1.1.1.1\":{" CLS("\"cloud\"") "}}}", BOTH, ""},
	{"{\"spur\":{" CLS("\"cloud\"") "}}", BOTH, ""},
#undef CLS

	/* roots that carry nothing */
	{"{}", BOTH, ""},
	{"\"VPN\"", BOTH, ""},
	{"null", BOTH, ""},
	{"42", BOTH, ""},
	{"", BOTH, ""},
	{"{\"client\":{\"types\":\"VPN\"}", BOTH, ""},
};

static void
join_types(const cowrie_typeset *set, char *buf, size_t bufsize)
{
	int			i;
	size_t		n = 0;

	buf[0] = '\0';
	for (i = 0; i < set->count && i < COWRIE_TYPESET_MAX; i++)
		n += (size_t) snprintf(buf + n, n < bufsize ? bufsize - n : 0, "%s%s",
							   i > 0 ? "," : "", set->name[i]);
}

static void
check_set_shape(const cowrie_typeset *set, size_t caseno)
{
	int			i;

	CHECK(set->count >= 0 && set->count <= COWRIE_TYPESET_MAX, "case %zu: count %d", caseno, set->count);
	for (i = 0; i < set->count && i < COWRIE_TYPESET_MAX; i++)
	{
		const char *known = cowrie_ip_type_name(set->priority[i]);

		CHECK(set->len[i] > 0 && set->len[i] == strlen(set->name[i]), "case %zu: name %d length", caseno, i);
		CHECK(set->priority[i] == cowrie_ip_type_priority(set->name[i], set->len[i]),
			  "case %zu: priority of %s", caseno, set->name[i]);
		CHECK(known == NULL || strcmp(known, set->name[i]) == 0, "case %zu: known name %s", caseno, set->name[i]);
		if (i > 0)
			CHECK(set->priority[i - 1] <= set->priority[i], "case %zu: order at %d", caseno, i);
	}
}

static void
test_ip_types(void)
{
	size_t		i;
	int			m;
	char		got[1024];

	for (i = 0; i < LENGTHOF(types_cases); i++)
	{
		const char *doc = types_cases[i].doc;
		cowrie_jnode root = text_root(doc, strlen(doc));

		for (m = 0; m < 2; m++)
		{
			bool		ordered = mode_values[types_cases[i].mode][m];
			cowrie_typeset set;

			if (m == 1 && mode_values[types_cases[i].mode][0] == ordered)
				break;
			memset(&set, 0x5a, sizeof(set));
			cowrie_enrichment_ip_types(&cowrie_text_json_ops, &root, ordered, &set);
			join_types(&set, got, sizeof(got));
			CHECK(strcmp(got, types_cases[i].want) == 0, "types case %zu ordered=%d: '%s', want '%s'",
				  i, ordered, got, types_cases[i].want);
			check_set_shape(&set, i);
		}
	}
}

/* More types than a set holds; arrays past 64 elements are not read. */
static void
test_ip_types_bounds(void)
{
	char		doc[4096];
	size_t		n = 0;
	int			i;
	cowrie_jnode root;
	cowrie_typeset set;

	n += (size_t) snprintf(doc + n, sizeof(doc) - n, "{\"client\":{\"types\":[");
	for (i = 0; i < 30; i++)
		n += (size_t) snprintf(doc + n, sizeof(doc) - n, "%s\"T%d\"", i > 0 ? "," : "", i);
	n += (size_t) snprintf(doc + n, sizeof(doc) - n, ",\"VPN\"]}}");
	root = text_root(doc, n);
	cowrie_enrichment_ip_types(&cowrie_text_json_ops, &root, true, &set);
	CHECK(set.count == COWRIE_TYPESET_MAX, "30 types: count %d", set.count);
	CHECK(set.count > 0 && strcmp(set.name[0], "T0") == 0 && strcmp(set.name[COWRIE_TYPESET_MAX - 1], "T15") == 0,
		  "the first COWRIE_TYPESET_MAX are kept");

	n = 0;
	n += (size_t) snprintf(doc + n, sizeof(doc) - n, "{\"tunnels\":[");
	for (i = 0; i < 70; i++)
		n += (size_t) snprintf(doc + n, sizeof(doc) - n, "%s{\"type\":\"%s\"}", i > 0 ? "," : "",
							   i == 63 ? "TOR" : i == 64 ? "VPN" : "");
	n += (size_t) snprintf(doc + n, sizeof(doc) - n, "]}");
	root = text_root(doc, n);
	cowrie_enrichment_ip_types(&cowrie_text_json_ops, &root, true, &set);
	CHECK(set.count == 1 && strcmp(set.name[0], "TOR") == 0, "64-element bound: count %d", set.count);

	/* a wrapper is unwrapped once, however deep the document nests it */
	n = 0;
	for (i = 0; i < 200; i++)
		n += (size_t) snprintf(doc + n, sizeof(doc) - n, "{\"spur_data\":");
	n += (size_t) snprintf(doc + n, sizeof(doc) - n, "{\"client\":{\"types\":\"VPN\"}}");
	for (i = 0; i < 200; i++)
		doc[n++] = '}';
	doc[n] = '\0';
	root = text_root(doc, n);
	cowrie_enrichment_ip_types(&cowrie_text_json_ops, &root, true, &set);
	CHECK(set.count == 0, "200 nested spur_data wrappers: count %d", set.count);

	root.type = CJ_INVALID;
	root.ptr = "{}";
	root.len = 2;
	memset(&set, 0x5a, sizeof(set));
	cowrie_enrichment_ip_types(&cowrie_text_json_ops, &root, true, &set);
	CHECK(set.count == 0, "invalid root");
}

/* ---- cowrie_event_ip ---- */

static const struct
{
	const char *doc;
	const char *want;			/* "" for none */
}			event_cases[] = {
	{"{\"eventid\":\"cowrie.session.connect\",\"src_ip\":\"47.242.217.70\",\"src_port\":51234,"
	"\"dst_ip\":\"10.0.0.5\",\"dst_port\":22,\"session\":\"a1b2c3\"}", "47.242.217.70"},
	{"{\"src_ip\":\"2001:DB8::1\",\"peer_ip\":\"8.8.8.8\"}", "2001:db8::1"},
	{"{\"src_ip\":\"::ffff:10.0.0.1\"}", "::ffff:10.0.0.1"},
	{"{\"src_ip\":\" 8.8.8.8 \"}", "8.8.8.8"},
	{"{\"src_ip\":\"\\u0038.8.8.8\"}", "8.8.8.8"},
	{"{\"src_ip\":\"10.0.0.1\"}", "10.0.0.1"},
	/* missing or empty src_ip falls back to peer_ip */
	{"{\"peer_ip\":\"8.8.8.8\"}", "8.8.8.8"},
	{"{\"src_ip\":\"\",\"peer_ip\":\"8.8.8.8\"}", "8.8.8.8"},
	{"{\"peer_ip\":\"8.8.8.8\",\"src_ip\":\"\"}", "8.8.8.8"},
	{"{\"src_ip\":null,\"peer_ip\":\"8.8.8.8\"}", "8.8.8.8"},
	{"{\"src_ip\":false,\"peer_ip\":\"8.8.8.8\"}", "8.8.8.8"},
	{"{\"src_ip\":134744072,\"peer_ip\":\"8.8.8.8\"}", "8.8.8.8"},
	{"{\"src_ip\":[\"1.1.1.1\"],\"peer_ip\":\"8.8.8.8\"}", "8.8.8.8"},
	{"{\"src_ip\":\"\",\"peer_ip\":\"2001:DB8::1\"}", "2001:db8::1"},
	/* a non-empty src_ip is the IP, valid or not (upstream takes it as it is) */
	{"{\"src_ip\":\"bogus\",\"peer_ip\":\"8.8.8.8\"}", ""},
	{"{\"src_ip\":\" \",\"peer_ip\":\"8.8.8.8\"}", ""},
	{"{\"src_ip\":\"1.2.3.4:22\"}", ""},
	{"{\"src_ip\":\"fe80::1%eth0\"}", ""},
	{"{\"peer_ip\":\"bogus\"}", ""},
	{"{\"src_ip\":\"\",\"peer_ip\":\"\"}", ""},
	{"{\"src_ip\":\"\"}", ""},
	{"{\"peer_ip\":null}", ""},
	{"{\"dst_ip\":\"8.8.8.8\"}", ""},
	{"{\"src_ip\":\"1.1.1.1\",\"src_ip\":\"2.2.2.2\"}", "2.2.2.2"},
	{"{\"src_ip\":\"1.1.1.1\",\"src_ip\":\"\",\"peer_ip\":\"3.3.3.3\"}", "3.3.3.3"},
	{"{\"data\":{\"src_ip\":\"8.8.8.8\"}}", ""},
	{"{}", ""},
	{"[]", ""},
	{"[{\"src_ip\":\"8.8.8.8\"}]", ""},
	{"\"8.8.8.8\"", ""},
	{"null", ""},
	{"", ""},
	{"{\"src_ip\":\"8.8.8.8\"", ""},
};

static void
test_event_ip(void)
{
	size_t		i;

	for (i = 0; i < LENGTHOF(event_cases); i++)
	{
		const char *doc = event_cases[i].doc;
		cowrie_jnode root = text_root(doc, strlen(doc));
		char		buf[COWRIE_IP_TEXT_MAX];
		size_t		len;

		memset(buf, 'Z', sizeof(buf));
		len = cowrie_event_ip(&cowrie_text_json_ops, &root, buf);
		CHECK(len == strlen(event_cases[i].want) &&
			  (len == 0 || (len < COWRIE_IP_TEXT_MAX && memcmp(buf, event_cases[i].want, len) == 0 &&
							buf[len] == '\0')),
			  "event case %zu: '%.*s' (%zu), want '%s'", i,
			  (int) (len < COWRIE_IP_TEXT_MAX ? len : 0), buf, len, event_cases[i].want);
	}
}

void
test_enrichment(void)
{
	test_parse_int64();
	test_extract();
	test_extract_long();
	test_ip_types();
	test_ip_types_bounds();
	test_event_ip();
}
