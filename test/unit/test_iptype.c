/* cowrie_iptype: priority, typesets, primary pick, SPUR layouts. */
#include <string.h>

#include "unit.h"
#include "cowrie_iptype.h"

#define LENGTHOF(a) (sizeof(a) / sizeof((a)[0]))

static const struct
{
	const char *in;
	int			priority;
}			priority_cases[] = {
	{"VPN", 1}, {"TOR", 2}, {"PROXY", 3}, {"DATACENTER", 4},
	{"RESIDENTIAL", 5}, {"MOBILE", 6},
	{"vpn", 1}, {"Tor", 2}, {"pRoXy", 3}, {"datacenter", 4},
	{" RESIDENTIAL ", 5}, {"\t\n mobile\r\f\v", 6},
	{"", 99}, {"   ", 99}, {"SERVER", 99}, {"DESKTOP", 99}, {"VPNX", 99},
	{"VP", 99}, {"V PN", 99}, {"'VPN'", 99}, {"[VPN]", 99}, {"VPN,TOR", 99},
	{"cloud", 7}, {"CLOUD", 7}, {" Cloud\t", 7}, {"CLOUDS", 99}, {"tor ", 2},
};

static void
test_priority(void)
{
	size_t		i;
	int			p;

	for (i = 0; i < LENGTHOF(priority_cases); i++)
	{
		const char *in = priority_cases[i].in;
		int			got = cowrie_ip_type_priority(in, strlen(in));

		CHECK(got == priority_cases[i].priority, "priority('%s') = %d, want %d",
			  in, got, priority_cases[i].priority);
	}
	CHECK(cowrie_ip_type_priority(NULL, 3) == COWRIE_TYPE_PRIORITY_UNKNOWN, "NULL");
	CHECK(cowrie_ip_type_priority("VPN\0", 4) == 99, "embedded NUL");
	CHECK(cowrie_ip_type_priority("VPNS", 3) == 1, "length bounds the read");

	for (p = 1; p <= 7; p++)
	{
		const char *name = cowrie_ip_type_name(p);

		CHECK(name != NULL && cowrie_ip_type_priority(name, strlen(name)) == p,
			  "name(%d) round trip", p);
	}
	CHECK(strcmp(cowrie_ip_type_name(1), "VPN") == 0, "name(1)");
	CHECK(strcmp(cowrie_ip_type_name(6), "MOBILE") == 0, "name(6)");
	CHECK(cowrie_ip_type_name(0) == NULL, "name(0)");
	CHECK(strcmp(cowrie_ip_type_name(7), "CLOUD") == 0, "name(7)");
	CHECK(cowrie_ip_type_name(8) == NULL, "name(8)");
	CHECK(cowrie_ip_type_name(99) == NULL, "name(99)");
	CHECK(cowrie_ip_type_name(-1) == NULL, "name(-1)");
}

/* ADR-009's ip_classification.ip_type values, and what is not one. */
static const struct
{
	const char *in;
	const char *want;			/* NULL: no type */
}			classification_cases[] = {
	{"tor", "TOR"}, {"cloud", "CLOUD"}, {"datacenter", "DATACENTER"}, {"residential", "RESIDENTIAL"},
	{"TOR", "TOR"}, {"Cloud", "CLOUD"}, {" datacenter ", "DATACENTER"}, {"\tresidential\n", "RESIDENTIAL"},
	{"unknown", NULL}, {"UNKNOWN", NULL}, {"", NULL}, {"  ", NULL},
	/* upstream's other type names are not classification values */
	{"vpn", NULL}, {"proxy", NULL}, {"mobile", NULL}, {"hosting", NULL},
	{"clouds", NULL}, {"cloud,tor", NULL}, {"'cloud'", NULL}, {"[\"tor\"]", NULL}, {"t or", NULL},
};

static void
test_classification(void)
{
	size_t		i;

	for (i = 0; i < LENGTHOF(classification_cases); i++)
	{
		const char *in = classification_cases[i].in;
		const char *want = classification_cases[i].want;
		const char *got = cowrie_classification_type(in, strlen(in));

		CHECK(want == NULL ? got == NULL : (got != NULL && strcmp(got, want) == 0),
			  "classification('%s') = %s, want %s", in, got ? got : "NULL", want ? want : "NULL");
		if (got != NULL)
			CHECK(cowrie_ip_type_priority(got, strlen(got)) != COWRIE_TYPE_PRIORITY_UNKNOWN,
				  "classification('%s') is a known type", in);
	}
	CHECK(cowrie_classification_type(NULL, 3) == NULL, "NULL");
	CHECK(cowrie_classification_type("tor\0", 4) == NULL, "embedded NUL");
	CHECK(cowrie_classification_type("torx", 3) != NULL, "length bounds the read");
}

/* Expected set contents, comma-joined, after add_text and before sort. */
static const struct
{
	const char *in;
	const char *want;
}			text_cases[] = {
	{"DATACENTER", "DATACENTER"},
	{"  vpn  ", "VPN"},
	{"['VPN', 'PROXY']", "VPN,PROXY"},
	{"[\"VPN\", \"PROXY\"]", "VPN,PROXY"},
	{"[\"VPN\",\"PROXY\"]", "VPN,PROXY"},
	{"VPN,PROXY", "VPN,PROXY"},
	{"VPN, proxy ,TOR", "VPN,PROXY,TOR"},
	{"['SERVER']", "SERVER"},
	{"[]", ""},
	{"", ""},
	{"['']", ""},
	{"[\"\", \"TOR\"]", "TOR"},
	{",,,", ""},
	{"['VPN', 'vpn', 'Vpn']", "VPN"},
	{"[['VPN']]", "VPN"},
	{"['RESIDENTIAL', 'VPN', 'PROXY']", "RESIDENTIAL,VPN,PROXY"},
	{"['DATA CENTER', 'CALLBACK_PROXY', 'X-Y']", "DATA CENTER,CALLBACK_PROXY,X-Y"},
	{"['VPN\\u0000', 'TOR']", "TOR"},	/* escapes are not type characters */
	{"['it''s', 'TOR']", "TOR"},
	{"{'a': 'VPN'}", ""},
	{"[\n  \"MOBILE\",\n  \"TOR\"\n]", "MOBILE,TOR"},
	{"['ABCDEFGHIJKLMNOPQRSTUVWXYZ012345']", "ABCDEFGHIJKLMNOPQRSTUVWXYZ012345"},
	{"['ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456', 'TOR']", "TOR"},	/* 33 chars */
	{"A,B,C,D,E,F,G,H,I,J,K,L,M,N,O,P,Q,R,VPN", "A,B,C,D,E,F,G,H,I,J,K,L,M,N,O,P"},
};

static void
join(const cowrie_typeset *set, char *buf, size_t size)
{
	int			i;
	size_t		n = 0;

	buf[0] = '\0';
	for (i = 0; i < set->count; i++)
	{
		size_t		l = strlen(set->name[i]);

		if (n + l + 2 > size)
			break;
		if (i > 0)
			buf[n++] = ',';
		memcpy(buf + n, set->name[i], l + 1);
		n += l;
	}
}

static void
test_typeset(void)
{
	cowrie_typeset set;
	char		buf[1024];
	size_t		i;
	int			k;

	for (i = 0; i < LENGTHOF(text_cases); i++)
	{
		cowrie_typeset_init(&set);
		cowrie_typeset_add_text(&set, text_cases[i].in, strlen(text_cases[i].in));
		join(&set, buf, sizeof(buf));
		CHECK(strcmp(buf, text_cases[i].want) == 0, "add_text(%s) = '%s', want '%s'",
			  text_cases[i].in, buf, text_cases[i].want);
		for (k = 0; k < set.count; k++)
			CHECK(set.len[k] == strlen(set.name[k]) &&
				  set.priority[k] == cowrie_ip_type_priority(set.name[k], set.len[k]),
				  "entry %d of '%s' consistent", k, text_cases[i].in);
	}

	/* add: trimming, upper-casing, de-duplication, bounds */
	cowrie_typeset_init(&set);
	CHECK(set.count == 0, "init");
	cowrie_typeset_add(&set, " proxy ", 7);
	cowrie_typeset_add(&set, "PROXY", 5);
	cowrie_typeset_add(&set, "Proxy\t", 6);
	CHECK(set.count == 1 && strcmp(set.name[0], "PROXY") == 0 && set.len[0] == 5 &&
		  set.priority[0] == 3, "add de-duplicates");
	cowrie_typeset_add(&set, "", 0);
	cowrie_typeset_add(&set, "  ", 2);
	cowrie_typeset_add(&set, "a'b", 3);
	cowrie_typeset_add(&set, "a.b", 3);
	cowrie_typeset_add(&set, "VPN\0", 4);
	cowrie_typeset_add(&set, "\xc3\xa9", 2);
	cowrie_typeset_add(&set, NULL, 3);
	CHECK(set.count == 1, "bad tokens ignored");
	cowrie_typeset_add(&set, "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456", 33);
	CHECK(set.count == 1, "33 characters ignored");
	cowrie_typeset_add(&set, "ABCDEFGHIJKLMNOPQRSTUVWXYZ012345", 32);
	CHECK(set.count == 2 && set.len[1] == 32 && set.priority[1] == 99, "32 characters kept");
	cowrie_typeset_add(&set, "   ABCDEFGHIJKLMNOPQRSTUVWXYZ012345   ", 38);
	CHECK(set.count == 2, "trimmed before the length bound");

	/* sort: known types by priority, unknown ones stay in first-seen order */
	cowrie_typeset_init(&set);
	{
		const char *in = "SERVER, mobile, ZED, tor, VPN, ALPHA, DATACENTER, proxy, residential";

		cowrie_typeset_add_text(&set, in, strlen(in));
	}
	cowrie_typeset_sort(&set);
	join(&set, buf, sizeof(buf));
	CHECK(strcmp(buf, "VPN,TOR,PROXY,DATACENTER,RESIDENTIAL,MOBILE,SERVER,ZED,ALPHA") == 0,
		  "sort = '%s'", buf);
	for (k = 1; k < set.count; k++)
		CHECK(set.priority[k - 1] <= set.priority[k], "sorted at %d", k);
	CHECK(set.len[0] == 3 && set.len[3] == 10 && set.len[8] == 5, "lengths move with names");

	cowrie_typeset_init(&set);
	cowrie_typeset_sort(&set);
	CHECK(set.count == 0, "sort of empty set");
	cowrie_typeset_add_text(&set, "['RESIDENTIAL', 'VPN', 'PROXY']", 31);
	cowrie_typeset_sort(&set);
	join(&set, buf, sizeof(buf));
	CHECK(strcmp(buf, "VPN,PROXY,RESIDENTIAL") == 0, "upstream test case: '%s'", buf);
}

static void
test_pick_primary(void)
{
	static const char *const a[] = {"RESIDENTIAL", "VPN", "PROXY"};
	static const char *const b[] = {"SERVER", "DESKTOP"};
	static const char *const c[] = {NULL, "  ", "", "proxy", "PROXY", "TOR"};
	static const char *const d[] = {NULL, "", " \t "};
	static const char *const e[] = {"PROXY", "proxy", " Proxy"};
	static const char *const f[] = {"SERVER", "MOBILE", "mobile"};
	static const char *const g[] = {"VPNX", "VPN  "};
	size_t		lens[] = {3, 3, 5};
	static const char *const h[] = {"VPN_EXTRA", "TORN", "PROXY"};

	CHECK(cowrie_pick_primary(a, NULL, 3) == 1, "RESIDENTIAL,VPN,PROXY -> VPN");
	CHECK(cowrie_pick_primary(b, NULL, 2) == 0, "unknowns: first wins");
	CHECK(cowrie_pick_primary(c, NULL, 6) == 5, "TOR beats PROXY; blanks skipped");
	CHECK(cowrie_pick_primary(c, NULL, 5) == 3, "ties keep input order");
	CHECK(cowrie_pick_primary(d, NULL, 3) == -1, "nothing usable");
	CHECK(cowrie_pick_primary(e, NULL, 3) == 0, "case-insensitive tie");
	CHECK(cowrie_pick_primary(f, NULL, 3) == 1, "MOBILE beats unknown");
	CHECK(cowrie_pick_primary(g, NULL, 2) == 1, "trimmed");
	CHECK(cowrie_pick_primary(h, lens, 3) == 0, "explicit lengths: VPN");
	CHECK(cowrie_pick_primary(a, NULL, 0) == -1, "n = 0");
	CHECK(cowrie_pick_primary(a, NULL, -3) == -1, "n < 0");
	CHECK(cowrie_pick_primary(NULL, NULL, 3) == -1, "NULL array");
	CHECK(cowrie_pick_primary(a, NULL, 1) == 0, "single");
}

static void
test_spur(void)
{
	int			idx[4] = {-1, -1, -1, -1};

	/* hybrid cache: [1] behaviors and [9] client.types are lists */
	CHECK(cowrie_spur_list_type_indexes(18, true, true, idx) == 3 &&
		  idx[0] == 10 && idx[1] == 9 && idx[2] == 17, "hybrid");
	CHECK(cowrie_spur_list_type_indexes(18, true, false, idx) == 3 &&
		  idx[0] == 10 && idx[1] == 9 && idx[2] == 17, "hybrid, [1] only");
	CHECK(cowrie_spur_list_type_indexes(18, false, true, idx) == 3 &&
		  idx[0] == 10 && idx[1] == 9 && idx[2] == 17, "hybrid, [9] only");
	/* legacy file cache: every element is a string */
	CHECK(cowrie_spur_list_type_indexes(18, false, false, idx) == 3 &&
		  idx[0] == 3 && idx[1] == 6 && idx[2] == 17, "legacy");
	CHECK(cowrie_spur_list_type_indexes(0, false, false, idx) == 0, "empty list");
	CHECK(cowrie_spur_list_type_indexes(3, false, false, idx) == 0, "stale 3-element shape");
	CHECK(cowrie_spur_list_type_indexes(4, false, false, idx) == 0, "4 elements");
	CHECK(cowrie_spur_list_type_indexes(17, true, true, idx) == 0, "17 elements");
	CHECK(cowrie_spur_list_type_indexes(19, true, true, idx) == 0, "19 elements");
	CHECK(cowrie_spur_list_type_indexes((size_t) -1, false, false, idx) == 0, "huge");
}

static void
test_type_valid(void)
{
	static const struct
	{
		const char *s;
		bool		valid;
	}			cases[] = {
		{"VPN", true}, {"DATACENTER", true}, {"DESKTOP", true}, {"X_1", true}, {"A-B C", true},
		{"vpn", false}, {"Vpn", false}, {" VPN", false}, {"VPN ", false}, {"", false},
		{"[\"DESKTOP\", \"MOBILE\"]", false}, {"['VPN']", false}, {"VPN,TOR", false},
		{"ABCDEFGHIJKLMNOPQRSTUVWXYZ012345", true}, {"ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456", false},
		{"\xc3\x9c", false},
	};
	size_t		i;

	for (i = 0; i < LENGTHOF(cases); i++)
		CHECK(cowrie_ip_type_valid(cases[i].s, strlen(cases[i].s)) == cases[i].valid,
			  "ip_type_valid case %zu ('%s')", i, cases[i].s);
	CHECK(!cowrie_ip_type_valid(NULL, 3), "ip_type_valid NULL");
	CHECK(!cowrie_ip_type_valid("VPN\0", 4), "ip_type_valid NUL inside");
}

void
test_iptype(void)
{
	test_priority();
	test_classification();
	test_typeset();
	test_pick_primary();
	test_spur();
	test_type_valid();
}
