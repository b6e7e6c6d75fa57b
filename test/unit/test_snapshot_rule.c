/* cowrie_snapshot_rule: every outcome of the one snapshot rule, and its helpers. */
#include <stdint.h>
#include <string.h>

#include "unit.h"
#include "cowrie_snapshot_rule.h"

#define LENGTHOF(a) (sizeof(a) / sizeof((a)[0]))

#define E COWRIE_OUTCOME_ENRICHED
#define P COWRIE_OUTCOME_PRIVATE
#define U COWRIE_OUTCOME_UNPARSEABLE
#define NI COWRIE_OUTCOME_NO_INVENTORY
#define NC COWRIE_OUTCOME_NO_COUNTRY

/* Marks "no inventory row" in the table. */
#define NOINV false
#define INV true

static const struct
{
	const char *ip;				/* NULL: no IP */
	bool		inv;
	bool		asn_isnull;
	int64_t		asn;
	const char *country;		/* NULL: NULL */
	const char *ip_type;		/* NULL: NULL */
	cowrie_outcome outcome;
	bool		want_asn_isnull;
	int32_t		want_asn;
	const char *want_country;
	bool		want_type_isnull;
	bool		want_from_inventory;
}			decide_cases[] = {
	/* unparseable or missing IP: XX, nothing else, whatever the inventory says */
	{NULL, INV, false, 15169, "US", "VPN", U, true, 0, "XX", true, false},
	{NULL, NOINV, true, 0, NULL, NULL, U, true, 0, "XX", true, false},
	{"", INV, false, 15169, "US", "VPN", U, true, 0, "XX", true, false},
	{"   ", NOINV, true, 0, NULL, NULL, U, true, 0, "XX", true, false},
	{"bogus", INV, false, 15169, "US", "VPN", U, true, 0, "XX", true, false},
	{"TIMEOUT", NOINV, true, 0, NULL, NULL, U, true, 0, "XX", true, false},
	{"1.2.3", INV, false, 15169, "US", NULL, U, true, 0, "XX", true, false},
	{"1.2.3.256", NOINV, true, 0, NULL, NULL, U, true, 0, "XX", true, false},
	{"8.8.8.8/32", INV, false, 15169, "US", NULL, U, true, 0, "XX", true, false},
	{"fe80::1%eth0", INV, false, 15169, "US", NULL, U, true, 0, "XX", true, false},
	{"[2001:db8::1]", INV, false, 15169, "US", NULL, U, true, 0, "XX", true, false},
	{"8.8.8.8:22", INV, false, 15169, "US", NULL, U, true, 0, "XX", true, false},

	/* private, reserved, loopback ...: XX, even with an inventory row */
	{"10.0.0.1", INV, false, 15169, "US", "VPN", P, true, 0, "XX", true, false},
	{"10.0.0.1", NOINV, true, 0, NULL, NULL, P, true, 0, "XX", true, false},
	{"192.168.1.10", INV, false, 1, "DE", NULL, P, true, 0, "XX", true, false},
	{"172.16.5.4", NOINV, true, 0, NULL, NULL, P, true, 0, "XX", true, false},
	{"127.0.0.1", NOINV, true, 0, NULL, NULL, P, true, 0, "XX", true, false},
	{"169.254.1.1", NOINV, true, 0, NULL, NULL, P, true, 0, "XX", true, false},
	{"0.0.0.0", NOINV, true, 0, NULL, NULL, P, true, 0, "XX", true, false},
	{"224.0.0.1", NOINV, true, 0, NULL, NULL, P, true, 0, "XX", true, false},
	{"240.0.0.1", NOINV, true, 0, NULL, NULL, P, true, 0, "XX", true, false},
	{"255.255.255.255", NOINV, true, 0, NULL, NULL, P, true, 0, "XX", true, false},
	{"192.0.2.1", INV, false, 64496, "US", NULL, P, true, 0, "XX", true, false},
	{"::1", NOINV, true, 0, NULL, NULL, P, true, 0, "XX", true, false},
	{"::", NOINV, true, 0, NULL, NULL, P, true, 0, "XX", true, false},
	{"fe80::1", NOINV, true, 0, NULL, NULL, P, true, 0, "XX", true, false},
	{"fc00::1", NOINV, true, 0, NULL, NULL, P, true, 0, "XX", true, false},
	{"ff02::1", NOINV, true, 0, NULL, NULL, P, true, 0, "XX", true, false},
	{"2001:db8::1", INV, false, 64496, "US", "VPN", P, true, 0, "XX", true, false},
	{"2001:DB8::1", NOINV, true, 0, NULL, NULL, P, true, 0, "XX", true, false},
	/* IPv4-mapped addresses follow the IPv4 rules */
	{"::ffff:10.0.0.1", INV, false, 15169, "US", "VPN", P, true, 0, "XX", true, false},
	{"::ffff:192.168.0.1", NOINV, true, 0, NULL, NULL, P, true, 0, "XX", true, false},
	{"::FFFF:127.0.0.1", NOINV, true, 0, NULL, NULL, P, true, 0, "XX", true, false},
	{"::ffff:a00:1", NOINV, true, 0, NULL, NULL, P, true, 0, "XX", true, false},
	{" 10.0.0.1 ", NOINV, true, 0, NULL, NULL, P, true, 0, "XX", true, false},

	/* public, no inventory row: XX, left to the backfill */
	{"8.8.8.8", NOINV, true, 0, NULL, NULL, NI, true, 0, "XX", true, false},
	{"8.8.8.8", NOINV, false, 15169, "US", "VPN", NI, true, 0, "XX", true, false},
	{"2001:4860:4860::8888", NOINV, true, 0, NULL, NULL, NI, true, 0, "XX", true, false},
	{"::ffff:8.8.8.8", NOINV, true, 0, NULL, NULL, NI, true, 0, "XX", true, false},

	/* inventory with a usable country */
	{"8.8.8.8", INV, false, 15169, "US", "DATACENTER", E, false, 15169, "US", false, true},
	{"47.242.217.70", INV, false, 45102, "CN", NULL, E, false, 45102, "CN", true, true},
	{"2001:4860:4860::8888", INV, false, 15169, "US", "VPN", E, false, 15169, "US", false, true},
	{"2001:4860:4860:0:0:0:0:8888", INV, false, 15169, "US", "VPN", E, false, 15169, "US", false, true},
	{"::ffff:8.8.8.8", INV, false, 15169, "US", "VPN", E, false, 15169, "US", false, true},
	{" 8.8.8.8\n", INV, false, 15169, "US", "VPN", E, false, 15169, "US", false, true},
	{"8.8.8.8", INV, true, 15169, "AZ", "VPN", E, true, 0, "AZ", false, true},
	{"8.8.8.8", INV, false, 1, "ZZ", "", E, false, 1, "ZZ", true, true},
	{"8.8.8.8", INV, false, INT32_MAX, "XA", "SERVER", E, false, INT32_MAX, "XA", false, true},
	{"8.8.8.8", INV, false, 15169, "AX", NULL, E, false, 15169, "AX", true, true},
	/* an unusable ASN becomes NULL, the country stays */
	{"8.8.8.8", INV, false, 0, "US", NULL, E, true, 0, "US", true, true},
	{"8.8.8.8", INV, false, -1, "US", NULL, E, true, 0, "US", true, true},
	{"8.8.8.8", INV, false, -15169, "US", NULL, E, true, 0, "US", true, true},
	{"8.8.8.8", INV, false, (int64_t) INT32_MAX + 1, "US", NULL, E, true, 0, "US", true, true},
	{"8.8.8.8", INV, false, INT64_C(4294967296) + 15169, "US", NULL, E, true, 0, "US", true, true},
	{"8.8.8.8", INV, false, INT64_MAX, "US", NULL, E, true, 0, "US", true, true},
	{"8.8.8.8", INV, false, INT64_MIN, "US", NULL, E, true, 0, "US", true, true},

	/* inventory without a usable country: XX, but the ASN and type are kept */
	{"8.8.8.8", INV, false, 15169, "XX", "VPN", NC, false, 15169, "XX", false, true},
	{"8.8.8.8", INV, false, 15169, "us", "VPN", NC, false, 15169, "XX", false, true},
	{"8.8.8.8", INV, false, 15169, "Us", "VPN", NC, false, 15169, "XX", false, true},
	{"8.8.8.8", INV, false, 15169, "uS", NULL, NC, false, 15169, "XX", true, true},
	{"8.8.8.8", INV, false, 15169, "xx", "VPN", NC, false, 15169, "XX", false, true},
	{"8.8.8.8", INV, false, 15169, "A", "VPN", NC, false, 15169, "XX", false, true},
	{"8.8.8.8", INV, false, 15169, "USA", "VPN", NC, false, 15169, "XX", false, true},
	{"8.8.8.8", INV, false, 15169, NULL, "VPN", NC, false, 15169, "XX", false, true},
	{"8.8.8.8", INV, false, 15169, "", "VPN", NC, false, 15169, "XX", false, true},
	{"8.8.8.8", INV, false, 15169, "TIMEOUT", "VPN", NC, false, 15169, "XX", false, true},
	{"8.8.8.8", INV, false, 15169, "U1", "VPN", NC, false, 15169, "XX", false, true},
	{"8.8.8.8", INV, false, 15169, "1A", "VPN", NC, false, 15169, "XX", false, true},
	{"8.8.8.8", INV, false, 15169, "U ", "VPN", NC, false, 15169, "XX", false, true},
	{"8.8.8.8", INV, false, 15169, " U", "VPN", NC, false, 15169, "XX", false, true},
	{"8.8.8.8", INV, false, 15169, "@A", "VPN", NC, false, 15169, "XX", false, true},
	{"8.8.8.8", INV, false, 15169, "[A", "VPN", NC, false, 15169, "XX", false, true},
	{"8.8.8.8", INV, false, 15169, "\xc3\x9c", "VPN", NC, false, 15169, "XX", false, true},
	{"8.8.8.8", INV, true, 0, NULL, NULL, NC, true, 0, "XX", true, true},
	{"8.8.8.8", INV, false, 0, "XX", "", NC, true, 0, "XX", true, true},
	{"8.8.8.8", INV, false, (int64_t) INT32_MAX + 1, NULL, "TOR", NC, true, 0, "XX", false, true},
	{"2001:4860:4860::8888", INV, false, 15169, "us", "VPN", NC, false, 15169, "XX", false, true},
};

static void
test_decide(void)
{
	size_t		i;

	for (i = 0; i < LENGTHOF(decide_cases); i++)
	{
		cowrie_snapshot_input in;
		cowrie_snapshot out;

		memset(&in, 0, sizeof(in));
		in.ip = decide_cases[i].ip;
		in.ip_len = in.ip != NULL ? strlen(in.ip) : 0;
		in.inventory_found = decide_cases[i].inv;
		in.asn_isnull = decide_cases[i].asn_isnull;
		in.asn = decide_cases[i].asn;
		in.country = decide_cases[i].country;
		in.country_len = in.country != NULL ? strlen(in.country) : 0;
		in.ip_type = decide_cases[i].ip_type;
		in.ip_type_len = in.ip_type != NULL ? strlen(in.ip_type) : 0;

		memset(&out, 0x5a, sizeof(out));
		cowrie_snapshot_decide(&in, &out);
		CHECK(out.outcome == decide_cases[i].outcome, "decide case %zu (%s): outcome %s, want %s", i,
			  in.ip != NULL ? in.ip : "NULL", cowrie_outcome_name(out.outcome),
			  cowrie_outcome_name(decide_cases[i].outcome));
		CHECK(out.asn_isnull == decide_cases[i].want_asn_isnull &&
			  (out.asn_isnull ? out.asn == 0 : out.asn == decide_cases[i].want_asn),
			  "decide case %zu: asn isnull=%d %ld", i, out.asn_isnull, (long) out.asn);
		CHECK(!out.country_isnull && memcmp(out.country, decide_cases[i].want_country, 3) == 0,
			  "decide case %zu: country isnull=%d '%.2s', want '%s'", i, out.country_isnull,
			  out.country, decide_cases[i].want_country);
		CHECK(out.ip_type_isnull == decide_cases[i].want_type_isnull,
			  "decide case %zu: ip_type_isnull %d", i, out.ip_type_isnull);
		CHECK(out.enrichment_at_from_inventory == decide_cases[i].want_from_inventory,
			  "decide case %zu: enrichment_at_from_inventory %d", i, out.enrichment_at_from_inventory);
		/* the outcome and the columns agree */
		CHECK((out.outcome == E) == (memcmp(out.country, "XX", 3) != 0),
			  "decide case %zu: only enriched has a real country", i);
		CHECK(out.enrichment_at_from_inventory == (out.outcome == E || out.outcome == NC),
			  "decide case %zu: enrichment_at only from an inventory row", i);
	}
}

/* Lengths are honoured: the rule never reads past ip_len or country_len. */
static void
test_decide_lengths(void)
{
	cowrie_snapshot_input in;
	cowrie_snapshot out;

	memset(&in, 0, sizeof(in));
	in.ip = "8.8.8.8garbage";
	in.ip_len = 7;
	in.inventory_found = true;
	in.asn = 15169;
	in.country = "USA";
	in.country_len = 2;
	in.ip_type = "VPN";
	in.ip_type_len = 3;
	cowrie_snapshot_decide(&in, &out);
	CHECK(out.outcome == E && memcmp(out.country, "US", 3) == 0 && !out.asn_isnull && out.asn == 15169,
		  "prefixes of longer buffers");

	in.ip_len = 0;
	cowrie_snapshot_decide(&in, &out);
	CHECK(out.outcome == U, "ip_len 0 is unparseable");

	in.ip_len = 7;
	in.country_len = 3;
	cowrie_snapshot_decide(&in, &out);
	CHECK(out.outcome == NC && memcmp(out.country, "XX", 3) == 0, "country_len 3");

	in.country = "U";
	in.country_len = 1;
	cowrie_snapshot_decide(&in, &out);
	CHECK(out.outcome == NC, "country_len 1");

	in.country = "US";
	in.country_len = 2;
	in.ip_type = "VPN";
	in.ip_type_len = 0;
	cowrie_snapshot_decide(&in, &out);
	CHECK(out.outcome == E && out.ip_type_isnull, "ip_type_len 0 is NULL");

	in.ip_type = NULL;
	in.ip_type_len = 3;
	cowrie_snapshot_decide(&in, &out);
	CHECK(out.outcome == E && out.ip_type_isnull, "ip_type NULL is NULL");

	in.ip = NULL;
	in.ip_len = 7;
	cowrie_snapshot_decide(&in, &out);
	CHECK(out.outcome == U, "ip NULL with a length");
}

static const struct
{
	const char *s;
	size_t		len;
	bool		usable;
}			country_cases[] = {
	{"US", 2, true}, {"CN", 2, true}, {"AZ", 2, true}, {"ZA", 2, true}, {"ZZ", 2, true},
	{"AA", 2, true}, {"XA", 2, true}, {"AX", 2, true}, {"XY", 2, true}, {"YX", 2, true},
	{"USA", 2, true},
	{"XX", 2, false}, {"xx", 2, false}, {"Xx", 2, false}, {"us", 2, false}, {"Us", 2, false},
	{"uS", 2, false}, {"A", 1, false}, {"USA", 3, false}, {"", 0, false}, {"US", 0, false},
	{"US", 1, false}, {NULL, 2, false}, {NULL, 0, false}, {"U1", 2, false}, {"1U", 2, false},
	{"@A", 2, false}, {"A@", 2, false}, {"[A", 2, false}, {"A[", 2, false}, {"`A", 2, false},
	{"{A", 2, false}, {"U ", 2, false}, {" U", 2, false}, {"U\0", 2, false}, {"\0\0", 2, false},
	{"\xc3\x9c", 2, false}, {"--", 2, false}, {"TIMEOUT", 7, false},
};

static void
test_country_usable(void)
{
	size_t		i;

	for (i = 0; i < LENGTHOF(country_cases); i++)
	{
		bool		xx = country_cases[i].s != NULL && country_cases[i].len == 2 &&
			country_cases[i].s[0] == 'X' && country_cases[i].s[1] == 'X';

		CHECK(cowrie_country_usable(country_cases[i].s, country_cases[i].len) == country_cases[i].usable,
			  "country_usable case %zu ('%.*s', %zu)", i,
			  country_cases[i].s != NULL ? (int) country_cases[i].len : 0,
			  country_cases[i].s != NULL ? country_cases[i].s : "", country_cases[i].len);
		/* valid is usable plus the XX sentinel */
		CHECK(cowrie_country_code_valid(country_cases[i].s, country_cases[i].len) == (country_cases[i].usable || xx),
			  "country_code_valid case %zu", i);
	}
}

static void
test_asn_usable(void)
{
	CHECK(cowrie_asn_usable(1), "1");
	CHECK(cowrie_asn_usable(15169), "15169");
	CHECK(cowrie_asn_usable(INT32_MAX), "INT32_MAX");
	CHECK(!cowrie_asn_usable(0), "0");
	CHECK(!cowrie_asn_usable(-1), "-1");
	CHECK(!cowrie_asn_usable((int64_t) INT32_MAX + 1), "INT32_MAX + 1");
	CHECK(!cowrie_asn_usable(INT64_C(4294967295)), "UINT32_MAX");
	CHECK(!cowrie_asn_usable(INT64_MAX), "INT64_MAX");
	CHECK(!cowrie_asn_usable(INT64_MIN), "INT64_MIN");
	CHECK(!cowrie_asn_usable(INT32_MIN), "INT32_MIN");
}

static void
test_outcome_names(void)
{
	static const struct
	{
		cowrie_outcome o;
		const char *name;
		bool		final;
	}			cases[] = {
		{COWRIE_OUTCOME_ENRICHED, "enriched", true},
		{COWRIE_OUTCOME_PRIVATE, "private", true},
		{COWRIE_OUTCOME_UNPARSEABLE, "unparseable", false},	/* raw_events may have the IP */
		{COWRIE_OUTCOME_NO_INVENTORY, "no_inventory", false},
		{COWRIE_OUTCOME_NO_COUNTRY, "no_country", false},
	};
	size_t		i,
				j;

	for (i = 0; i < LENGTHOF(cases); i++)
	{
		const char *got = cowrie_outcome_name(cases[i].o);

		CHECK(got != NULL && strcmp(got, cases[i].name) == 0, "name of %d: '%s', want '%s'",
			  (int) cases[i].o, got != NULL ? got : "NULL", cases[i].name);
		CHECK(cowrie_outcome_is_final(cases[i].o) == cases[i].final, "is_final(%s)", cases[i].name);
		for (j = 0; j < i; j++)
			CHECK(strcmp(cowrie_outcome_name(cases[j].o), got) != 0, "names distinct: %s", got);
	}
	CHECK(strcmp(cowrie_outcome_name((cowrie_outcome) 5), "unknown") == 0, "name of 5");
	CHECK(strcmp(cowrie_outcome_name((cowrie_outcome) -1), "unknown") == 0, "name of -1");
	CHECK(strcmp(cowrie_outcome_name((cowrie_outcome) 1000), "unknown") == 0, "name of 1000");
	CHECK(!cowrie_outcome_is_final((cowrie_outcome) 5), "is_final(5)");
	CHECK(!cowrie_outcome_is_final((cowrie_outcome) -1), "is_final(-1)");
}

void
test_snapshot_rule(void)
{
	test_decide();
	test_decide_lengths();
	test_country_usable();
	test_asn_usable();
	test_outcome_names();
}
