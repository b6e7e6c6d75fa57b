/* cowrie_ip: parsing, PostgreSQL host() text, Python 3.13 private ranges. */
#include <string.h>

#include "unit.h"
#include "cowrie_ip.h"

/* Expected text is PostgreSQL 15's host(input::inet), captured from a server. */
static const struct
{
	const char *in;
	const char *out;
}			format_cases[] = {
	{"::", "::"},
	{"::1", "::1"},
	{"::2", "::2"},
	{"::0.0.0.2", "::2"},
	{"::0.0.0.1", "::1"},
	{"::0.0.1.0", "::100"},
	{"::0.1.0.0", "::0.1.0.0"},
	{"::1:0", "::0.1.0.0"},
	{"::1:2", "::0.1.0.2"},
	{"::ffff", "::ffff"},
	{"::ffff:0", "::255.255.0.0"},
	{"::ffff:1", "::255.255.0.1"},
	{"::ffff:0.0.0.0", "::ffff:0.0.0.0"},
	{"::ffff:0.0.0.1", "::ffff:0.0.0.1"},
	{"::ffff:1.2.3.4", "::ffff:1.2.3.4"},
	{"::ffff:255.255.255.255", "::ffff:255.255.255.255"},
	{"0:0:0:0:0:ffff:0102:0304", "::ffff:1.2.3.4"},
	{"::FFFF:1.2.3.4", "::ffff:1.2.3.4"},
	{"::ffff:0:0", "::ffff:0.0.0.0"},
	{"::ffff:0:1.2.3.4", "::ffff:0:102:304"},
	{"::ffff:1:0:0", "::ffff:1:0:0"},
	{"::1:ffff:1.2.3.4", "::1:ffff:102:304"},
	{"::1.2.3.4", "::1.2.3.4"},
	{"::1.0.0.0", "::1.0.0.0"},
	{"::0.1.2.3", "::0.1.2.3"},
	{"::255.255.255.255", "::255.255.255.255"},
	{"::1:0:0:0", "::1:0:0:0"},
	{"::1:0:0", "::1:0:0"},
	{"1::", "1::"},
	{"1:0::", "1::"},
	{"1::1", "1::1"},
	{"1:0:0:1:0:0:0:1", "1:0:0:1::1"},
	{"1:0:0:0:1:0:0:1", "1::1:0:0:1"},
	{"1:0:1:0:1:0:1:0", "1:0:1:0:1:0:1:0"},
	{"0:1:0:1:0:1:0:1", "0:1:0:1:0:1:0:1"},
	{"1:2:3:4:5:6:7:8", "1:2:3:4:5:6:7:8"},
	{"1:2:3:4:5:6:7::", "1:2:3:4:5:6:7:0"},
	{"::1:2:3:4:5:6:7", "0:1:2:3:4:5:6:7"},
	{"1:2:3:4:5::", "1:2:3:4:5::"},
	{"0:0:1::", "0:0:1::"},
	{"1:0:0:2:0:0:3:4", "1::2:0:0:3:4"},
	{"1:2::3:4:0:0", "1:2::3:4:0:0"},
	{"2001:db8::1", "2001:db8::1"},
	{"2001:DB8:0:0:8:800:200C:417A", "2001:db8::8:800:200c:417a"},
	{"2001:0db8:0000:0000:0000:0000:0000:0001", "2001:db8::1"},
	{"2001:db8:0:1:1:1:1:1", "2001:db8:0:1:1:1:1:1"},
	{"2001:0:0:1::1", "2001:0:0:1::1"},
	{"fe80::1", "fe80::1"},
	{"FE80::ABCD:EF01", "fe80::abcd:ef01"},
	{"ff02::1", "ff02::1"},
	{"64:ff9b::1.2.3.4", "64:ff9b::102:304"},
	{"64:ff9b::", "64:ff9b::"},
	{"1:2:3:4:5:6:1.2.3.4", "1:2:3:4:5:6:102:304"},
	{"ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff"},
	{"0000:0000:0000:0000:0000:ffff:255.255.255.255", "::ffff:255.255.255.255"},
	{"0:0:0:0:0:0:0:0", "::"},
	{"0:0:0:0:0:0:0:1", "::1"},
	{"000a:00b0:0c00:d000::", "a:b0:c00:d000::"},
	{"1.2.3.4", "1.2.3.4"},
	{"0.0.0.0", "0.0.0.0"},
	{"255.255.255.255", "255.255.255.255"},
	{"10.0.0.1", "10.0.0.1"},
	/* surrounding ASCII whitespace is trimmed (inet itself rejects it) */
	{" 1.2.3.4", "1.2.3.4"},
	{"1.2.3.4 ", "1.2.3.4"},
	{"\t\n\r\f\v1.2.3.4\v\f\r\n\t", "1.2.3.4"},
	{"  ::1  ", "::1"},
	{"\t2001:DB8::1\n", "2001:db8::1"},
};

/* Accepted by inet or Python but rejected here (upstream-cowrieprocessor.md 4.5). */
static const char *const reject_cases[] = {
	"", " ", "\t\n",
	/* IPv4 */
	"010.1.1.1", "1.010.1.1", "1.1.1.010", "00.1.1.1", "01.2.3.4",
	"1.2.3.4/32", "1.2.3.4/24", "1.2.3", "1.2.3.4.5", "1.2.3.256", "256.1.1.1",
	"1000.1.1.1", "+1.2.3.4", "1.+2.3.4", "-1.2.3.4", "1..3.4", "1.2.3.", ".1.2.3",
	"1.2.3.4.", "1.2.3.4 x", "1 .2.3.4", "1. 2.3.4", "0x1.2.3.4", "1.2.3.0x4",
	"1.2.3.4%eth0", "a.b.c.d", "1,2,3,4", "4294967295", "1", "1.2",
	/* IPv6 */
	"fe80::1%eth0", "fe80::1%1", "::1%", "[::1]", "[::1", "::1]", "::1/128",
	"2001:db8::/32", "1:2:3:4:5:6:7:8:9", "1::2::3", "::1::", ":::", "::::",
	"1:", ":1", "1:2:3:4:5:6:7", "1:2:3:4:5:6:7:", ":1:2:3:4:5:6:7", "12345::",
	"::12345", "g::", "::g", "1:2:3:4:5:6:7:1.2.3.4", "1:2:3:4:5:6::1.2.3.4",
	"::1.2.3", "::1.2.3.4.5", "::01.2.3.4", "::ffff:01.2.3.4", "::1.2.3.4:5",
	"1.2.3.4::", "::ffff:1.2.3.256", "1::2:3:4:5:6:7:8", "1:2:3:4:5:6:7:8::",
	"::1:2:3:4:5:6:7:8", "::ffff:1.2.3.4/128", "1 ::", ": :1", "::-1", "::+1",
	"0x1::", "::1.2.3.4 x", "1:2:3:4:5:6:7:8 9", "\xff::", "::\xc3\xa9",
};

/* Python 3.13 predicate at every boundary of 4.5: first and last address of
 * each range, and the neighbours just outside. Expected values come from
 * CPython's ipaddress (3.13.0 plus the 3.13.1 3fff::/20 and gh-122792 fixes). */
static const struct
{
	const char *in;
	bool		private_;
}			range_cases[] = {
	{"0.0.0.0", true},	/* 0.0.0.0/8 */
	{"0.255.255.255", true},	/* 0.0.0.0/8 */
	{"1.0.0.0", false},	/* 0.0.0.0/8 */
	{"::ffff:0.0.0.0", true},	/* mapped 0.0.0.0/8 */
	{"::ffff:0.255.255.255", true},	/* mapped 0.0.0.0/8 */
	{"::ffff:1.0.0.0", false},	/* mapped 0.0.0.0/8 */
	{"10.0.0.0", true},	/* 10.0.0.0/8 */
	{"10.255.255.255", true},	/* 10.0.0.0/8 */
	{"9.255.255.255", false},	/* 10.0.0.0/8 */
	{"11.0.0.0", false},	/* 10.0.0.0/8 */
	{"::ffff:10.0.0.0", true},	/* mapped 10.0.0.0/8 */
	{"::ffff:10.255.255.255", true},	/* mapped 10.0.0.0/8 */
	{"::ffff:9.255.255.255", false},	/* mapped 10.0.0.0/8 */
	{"::ffff:11.0.0.0", false},	/* mapped 10.0.0.0/8 */
	{"127.0.0.0", true},	/* 127.0.0.0/8 */
	{"127.255.255.255", true},	/* 127.0.0.0/8 */
	{"126.255.255.255", false},	/* 127.0.0.0/8 */
	{"128.0.0.0", false},	/* 127.0.0.0/8 */
	{"::ffff:127.0.0.0", true},	/* mapped 127.0.0.0/8 */
	{"::ffff:127.255.255.255", true},	/* mapped 127.0.0.0/8 */
	{"::ffff:126.255.255.255", false},	/* mapped 127.0.0.0/8 */
	{"::ffff:128.0.0.0", false},	/* mapped 127.0.0.0/8 */
	{"169.254.0.0", true},	/* 169.254.0.0/16 */
	{"169.254.255.255", true},	/* 169.254.0.0/16 */
	{"169.253.255.255", false},	/* 169.254.0.0/16 */
	{"169.255.0.0", false},	/* 169.254.0.0/16 */
	{"::ffff:169.254.0.0", true},	/* mapped 169.254.0.0/16 */
	{"::ffff:169.254.255.255", true},	/* mapped 169.254.0.0/16 */
	{"::ffff:169.253.255.255", false},	/* mapped 169.254.0.0/16 */
	{"::ffff:169.255.0.0", false},	/* mapped 169.254.0.0/16 */
	{"172.16.0.0", true},	/* 172.16.0.0/12 */
	{"172.31.255.255", true},	/* 172.16.0.0/12 */
	{"172.15.255.255", false},	/* 172.16.0.0/12 */
	{"172.32.0.0", false},	/* 172.16.0.0/12 */
	{"::ffff:172.16.0.0", true},	/* mapped 172.16.0.0/12 */
	{"::ffff:172.31.255.255", true},	/* mapped 172.16.0.0/12 */
	{"::ffff:172.15.255.255", false},	/* mapped 172.16.0.0/12 */
	{"::ffff:172.32.0.0", false},	/* mapped 172.16.0.0/12 */
	{"192.0.0.0", true},	/* 192.0.0.0/24 */
	{"192.0.0.255", true},	/* 192.0.0.0/24 */
	{"191.255.255.255", false},	/* 192.0.0.0/24 */
	{"192.0.1.0", false},	/* 192.0.0.0/24 */
	{"::ffff:192.0.0.0", true},	/* mapped 192.0.0.0/24 */
	{"::ffff:192.0.0.255", true},	/* mapped 192.0.0.0/24 */
	{"::ffff:191.255.255.255", false},	/* mapped 192.0.0.0/24 */
	{"::ffff:192.0.1.0", false},	/* mapped 192.0.0.0/24 */
	{"192.0.0.9", false},	/* 192.0.0.9/32 */
	{"192.0.0.8", true},	/* 192.0.0.9/32 */
	{"192.0.0.10", false},	/* 192.0.0.9/32 */
	{"::ffff:192.0.0.9", false},	/* mapped 192.0.0.9/32 */
	{"::ffff:192.0.0.8", true},	/* mapped 192.0.0.9/32 */
	{"::ffff:192.0.0.10", false},	/* mapped 192.0.0.9/32 */
	{"192.0.0.11", true},	/* 192.0.0.10/32 */
	{"::ffff:192.0.0.11", true},	/* mapped 192.0.0.10/32 */
	{"192.0.0.170", true},	/* 192.0.0.170/31 */
	{"192.0.0.171", true},	/* 192.0.0.170/31 */
	{"192.0.0.169", true},	/* 192.0.0.170/31 */
	{"192.0.0.172", true},	/* 192.0.0.170/31 */
	{"::ffff:192.0.0.170", true},	/* mapped 192.0.0.170/31 */
	{"::ffff:192.0.0.171", true},	/* mapped 192.0.0.170/31 */
	{"::ffff:192.0.0.169", true},	/* mapped 192.0.0.170/31 */
	{"::ffff:192.0.0.172", true},	/* mapped 192.0.0.170/31 */
	{"192.0.2.0", true},	/* 192.0.2.0/24 */
	{"192.0.2.255", true},	/* 192.0.2.0/24 */
	{"192.0.1.255", false},	/* 192.0.2.0/24 */
	{"192.0.3.0", false},	/* 192.0.2.0/24 */
	{"::ffff:192.0.2.0", true},	/* mapped 192.0.2.0/24 */
	{"::ffff:192.0.2.255", true},	/* mapped 192.0.2.0/24 */
	{"::ffff:192.0.1.255", false},	/* mapped 192.0.2.0/24 */
	{"::ffff:192.0.3.0", false},	/* mapped 192.0.2.0/24 */
	{"192.168.0.0", true},	/* 192.168.0.0/16 */
	{"192.168.255.255", true},	/* 192.168.0.0/16 */
	{"192.167.255.255", false},	/* 192.168.0.0/16 */
	{"192.169.0.0", false},	/* 192.168.0.0/16 */
	{"::ffff:192.168.0.0", true},	/* mapped 192.168.0.0/16 */
	{"::ffff:192.168.255.255", true},	/* mapped 192.168.0.0/16 */
	{"::ffff:192.167.255.255", false},	/* mapped 192.168.0.0/16 */
	{"::ffff:192.169.0.0", false},	/* mapped 192.168.0.0/16 */
	{"198.18.0.0", true},	/* 198.18.0.0/15 */
	{"198.19.255.255", true},	/* 198.18.0.0/15 */
	{"198.17.255.255", false},	/* 198.18.0.0/15 */
	{"198.20.0.0", false},	/* 198.18.0.0/15 */
	{"::ffff:198.18.0.0", true},	/* mapped 198.18.0.0/15 */
	{"::ffff:198.19.255.255", true},	/* mapped 198.18.0.0/15 */
	{"::ffff:198.17.255.255", false},	/* mapped 198.18.0.0/15 */
	{"::ffff:198.20.0.0", false},	/* mapped 198.18.0.0/15 */
	{"198.51.100.0", true},	/* 198.51.100.0/24 */
	{"198.51.100.255", true},	/* 198.51.100.0/24 */
	{"198.51.99.255", false},	/* 198.51.100.0/24 */
	{"198.51.101.0", false},	/* 198.51.100.0/24 */
	{"::ffff:198.51.100.0", true},	/* mapped 198.51.100.0/24 */
	{"::ffff:198.51.100.255", true},	/* mapped 198.51.100.0/24 */
	{"::ffff:198.51.99.255", false},	/* mapped 198.51.100.0/24 */
	{"::ffff:198.51.101.0", false},	/* mapped 198.51.100.0/24 */
	{"203.0.113.0", true},	/* 203.0.113.0/24 */
	{"203.0.113.255", true},	/* 203.0.113.0/24 */
	{"203.0.112.255", false},	/* 203.0.113.0/24 */
	{"203.0.114.0", false},	/* 203.0.113.0/24 */
	{"::ffff:203.0.113.0", true},	/* mapped 203.0.113.0/24 */
	{"::ffff:203.0.113.255", true},	/* mapped 203.0.113.0/24 */
	{"::ffff:203.0.112.255", false},	/* mapped 203.0.113.0/24 */
	{"::ffff:203.0.114.0", false},	/* mapped 203.0.113.0/24 */
	{"224.0.0.0", true},	/* 224.0.0.0/4 */
	{"239.255.255.255", true},	/* 224.0.0.0/4 */
	{"223.255.255.255", false},	/* 224.0.0.0/4 */
	{"240.0.0.0", true},	/* 224.0.0.0/4 */
	{"::ffff:224.0.0.0", true},	/* mapped 224.0.0.0/4 */
	{"::ffff:239.255.255.255", true},	/* mapped 224.0.0.0/4 */
	{"::ffff:223.255.255.255", false},	/* mapped 224.0.0.0/4 */
	{"::ffff:240.0.0.0", true},	/* mapped 224.0.0.0/4 */
	{"255.255.255.255", true},	/* 240.0.0.0/4 */
	{"::ffff:255.255.255.255", true},	/* mapped 240.0.0.0/4 */
	{"255.255.255.254", true},	/* 255.255.255.255/32 */
	{"::ffff:255.255.255.254", true},	/* mapped 255.255.255.255/32 */
	{"100.64.0.0", false},	/* 100.64.0.0/10 */
	{"100.127.255.255", false},	/* 100.64.0.0/10 */
	{"100.63.255.255", false},	/* 100.64.0.0/10 */
	{"100.128.0.0", false},	/* 100.64.0.0/10 */
	{"::ffff:100.64.0.0", false},	/* mapped 100.64.0.0/10 */
	{"::ffff:100.127.255.255", false},	/* mapped 100.64.0.0/10 */
	{"::ffff:100.63.255.255", false},	/* mapped 100.64.0.0/10 */
	{"::ffff:100.128.0.0", false},	/* mapped 100.64.0.0/10 */
	{"192.88.99.0", false},	/* 192.88.99.0/24 */
	{"192.88.99.255", false},	/* 192.88.99.0/24 */
	{"192.88.98.255", false},	/* 192.88.99.0/24 */
	{"192.88.100.0", false},	/* 192.88.99.0/24 */
	{"::ffff:192.88.99.0", false},	/* mapped 192.88.99.0/24 */
	{"::ffff:192.88.99.255", false},	/* mapped 192.88.99.0/24 */
	{"::ffff:192.88.98.255", false},	/* mapped 192.88.99.0/24 */
	{"::ffff:192.88.100.0", false},	/* mapped 192.88.99.0/24 */
	{"::", true},	/* ::/128 */
	{"::1", true},	/* ::/128 */
	{"::2", true},	/* ::1/128 */
	{"64:ff9b::", true},	/* 64:ff9b::/96 */
	{"64:ff9b::ffff:ffff", true},	/* 64:ff9b::/96 */
	{"64:ff9a:ffff:ffff:ffff:ffff:ffff:ffff", true},	/* 64:ff9b::/96 */
	{"64:ff9b::1:0:0", true},	/* 64:ff9b::/96 */
	{"64:ff9b:1::", true},	/* 64:ff9b:1::/48 */
	{"64:ff9b:1:ffff:ffff:ffff:ffff:ffff", true},	/* 64:ff9b:1::/48 */
	{"64:ff9b:0:ffff:ffff:ffff:ffff:ffff", true},	/* 64:ff9b:1::/48 */
	{"64:ff9b:2::", true},	/* 64:ff9b:1::/48 */
	{"100::", true},	/* 100::/64 */
	{"100::ffff:ffff:ffff:ffff", true},	/* 100::/64 */
	{"ff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", true},	/* 100::/64 */
	{"100:0:0:1::", true},	/* 100::/64 */
	{"2001::", true},	/* 2001::/23 */
	{"2001:1ff:ffff:ffff:ffff:ffff:ffff:ffff", true},	/* 2001::/23 */
	{"2000:ffff:ffff:ffff:ffff:ffff:ffff:ffff", false},	/* 2001::/23 */
	{"2001:200::", false},	/* 2001::/23 */
	{"2001:1::1", false},	/* 2001:1::1/128 */
	{"2001:1::", true},	/* 2001:1::1/128 */
	{"2001:1::2", false},	/* 2001:1::1/128 */
	{"2001:1::3", true},	/* 2001:1::2/128 */
	{"2001:2::", true},	/* 2001:2::/48 */
	{"2001:2:0:ffff:ffff:ffff:ffff:ffff", true},	/* 2001:2::/48 */
	{"2001:1:ffff:ffff:ffff:ffff:ffff:ffff", true},	/* 2001:2::/48 */
	{"2001:2:1::", true},	/* 2001:2::/48 */
	{"2001:3::", false},	/* 2001:3::/32 */
	{"2001:3:ffff:ffff:ffff:ffff:ffff:ffff", false},	/* 2001:3::/32 */
	{"2001:2:ffff:ffff:ffff:ffff:ffff:ffff", true},	/* 2001:3::/32 */
	{"2001:4::", true},	/* 2001:3::/32 */
	{"2001:4:112::", false},	/* 2001:4:112::/48 */
	{"2001:4:112:ffff:ffff:ffff:ffff:ffff", false},	/* 2001:4:112::/48 */
	{"2001:4:111:ffff:ffff:ffff:ffff:ffff", true},	/* 2001:4:112::/48 */
	{"2001:4:113::", true},	/* 2001:4:112::/48 */
	{"2001:20::", false},	/* 2001:20::/28 */
	{"2001:2f:ffff:ffff:ffff:ffff:ffff:ffff", false},	/* 2001:20::/28 */
	{"2001:1f:ffff:ffff:ffff:ffff:ffff:ffff", true},	/* 2001:20::/28 */
	{"2001:30::", false},	/* 2001:20::/28 */
	{"2001:3f:ffff:ffff:ffff:ffff:ffff:ffff", false},	/* 2001:30::/28 */
	{"2001:40::", true},	/* 2001:30::/28 */
	{"2001:db8::", true},	/* 2001:db8::/32 */
	{"2001:db8:ffff:ffff:ffff:ffff:ffff:ffff", true},	/* 2001:db8::/32 */
	{"2001:db7:ffff:ffff:ffff:ffff:ffff:ffff", false},	/* 2001:db8::/32 */
	{"2001:db9::", false},	/* 2001:db8::/32 */
	{"2002::", true},	/* 2002::/16 */
	{"2002:ffff:ffff:ffff:ffff:ffff:ffff:ffff", true},	/* 2002::/16 */
	{"2001:ffff:ffff:ffff:ffff:ffff:ffff:ffff", false},	/* 2002::/16 */
	{"2003::", false},	/* 2002::/16 */
	{"3fff::", true},	/* 3fff::/20 */
	{"3fff:fff:ffff:ffff:ffff:ffff:ffff:ffff", true},	/* 3fff::/20 */
	{"3ffe:ffff:ffff:ffff:ffff:ffff:ffff:ffff", false},	/* 3fff::/20 */
	{"3fff:1000::", false},	/* 3fff::/20 */
	{"fc00::", true},	/* fc00::/7 */
	{"fdff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", true},	/* fc00::/7 */
	{"fbff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", true},	/* fc00::/7 */
	{"fe00::", true},	/* fc00::/7 */
	{"fe80::", true},	/* fe80::/10 */
	{"febf:ffff:ffff:ffff:ffff:ffff:ffff:ffff", true},	/* fe80::/10 */
	{"fe7f:ffff:ffff:ffff:ffff:ffff:ffff:ffff", true},	/* fe80::/10 */
	{"fec0::", false},	/* fe80::/10 */
	{"feff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", false},	/* fec0::/10 */
	{"ff00::", true},	/* fec0::/10 */
	{"ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", true},	/* ff00::/8 */
	{"1ff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", true},	/* 100::/8 */
	{"200::", true},	/* 100::/8 */
	{"3ff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", true},	/* 200::/7 */
	{"400::", true},	/* 200::/7 */
	{"7ff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", true},	/* 400::/6 */
	{"800::", true},	/* 400::/6 */
	{"fff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", true},	/* 800::/5 */
	{"1000::", true},	/* 800::/5 */
	{"1fff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", true},	/* 1000::/4 */
	{"2000::", false},	/* 1000::/4 */
	{"3fff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", false},	/* 2000::/3 */
	{"4000::", true},	/* 2000::/3 */
	{"5fff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", true},	/* 4000::/3 */
	{"6000::", true},	/* 4000::/3 */
	{"7fff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", true},	/* 6000::/3 */
	{"8000::", true},	/* 6000::/3 */
	{"9fff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", true},	/* 8000::/3 */
	{"a000::", true},	/* 8000::/3 */
	{"bfff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", true},	/* a000::/3 */
	{"c000::", true},	/* a000::/3 */
	{"dfff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", true},	/* c000::/3 */
	{"e000::", true},	/* c000::/3 */
	{"efff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", true},	/* e000::/4 */
	{"f000::", true},	/* e000::/4 */
	{"f7ff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", true},	/* f000::/5 */
	{"f800::", true},	/* f000::/5 */
	{"::fffe:ffff:ffff", true},	/* ::ffff:0:0/96 */
	{"::1:0:0:0", true},	/* ::ffff:0:0/96 */
	/* hand-picked */
	{"8.8.8.8", false},
	{"1.1.1.1", false},
	{"100.64.0.1", false},
	{"192.88.99.1", false},
	{"2001:4860:4860::8888", false},
	{"::ffff:8.8.8.8", false},
	{"::ffff:10.0.0.1", true},
	{"::ffff:127.0.0.1", true},
	{"::ffff:100.64.0.1", false},
	{"::8.8.8.8", true},
	{"64:ff9b::8.8.8.8", true},
	{"fec0::1", false},
	{"2001:2::1", true},
	{"2001:5::1", true},
	{"2001:1::3", true},
	{"3fff:fff::1", true},
	{"2a00:1450::1", false},
};

#define LENGTHOF(a) (sizeof(a) / sizeof((a)[0]))

static void
test_format(void)
{
	size_t		i;

	for (i = 0; i < LENGTHOF(format_cases); i++)
	{
		const char *in = format_cases[i].in;
		const char *want = format_cases[i].out;
		char		buf[COWRIE_IP_TEXT_MAX];
		char		buf2[COWRIE_IP_TEXT_MAX];
		cowrie_ip	ip;
		size_t		n;

		memset(buf, 'x', sizeof(buf));
		n = cowrie_ip_canonical(in, strlen(in), buf);
		CHECK(n == strlen(want) && strcmp(buf, want) == 0,
			  "canonical('%s') = '%s', want '%s'", in, buf, want);
		/* canonical text parses back to the same address and text */
		CHECK(cowrie_ip_parse(buf, n, &ip) && cowrie_ip_format(&ip, buf2) == n &&
			  strcmp(buf, buf2) == 0, "round trip of '%s'", buf);
	}
}

static void
test_reject(void)
{
	size_t		i;

	for (i = 0; i < LENGTHOF(reject_cases); i++)
	{
		const char *in = reject_cases[i];
		cowrie_ip	ip;
		char		buf[COWRIE_IP_TEXT_MAX];

		ip.family = 42;
		CHECK(!cowrie_ip_parse(in, strlen(in), &ip) && ip.family == 42,
			  "parse('%s') should fail and leave out alone", in);
		buf[0] = 'x';
		CHECK(cowrie_ip_canonical(in, strlen(in), buf) == 0 && buf[0] == '\0',
			  "canonical('%s') should be empty", in);
	}
}

static void
test_parse_misc(void)
{
	cowrie_ip	ip;
	char		buf[COWRIE_IP_TEXT_MAX];
	static const uint8_t v6[16] = {0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0,
	0, 0, 0, 0, 0, 0, 0x12, 0x34};

	/* embedded NUL bytes, inside or after the text */
	CHECK(!cowrie_ip_parse("1.2.3.4\0", 8, &ip), "trailing NUL");
	CHECK(!cowrie_ip_parse("1.2\0.3.4", 8, &ip), "inner NUL");
	CHECK(!cowrie_ip_parse("::1\0", 4, &ip), "IPv6 trailing NUL");
	CHECK(!cowrie_ip_parse("\0::1", 4, &ip), "IPv6 leading NUL");
	/* len bounds the read: the bytes after len are never looked at */
	CHECK(cowrie_ip_parse("1.2.3.45", 7, &ip) && ip.family == 4 &&
		  ip.addr[3] == 4, "prefix of a longer buffer");
	CHECK(cowrie_ip_parse("::1:2", 3, &ip) && ip.family == 6 && ip.addr[15] == 1,
		  "IPv6 prefix of a longer buffer");
	CHECK(!cowrie_ip_parse(NULL, 0, &ip), "NULL input");
	CHECK(!cowrie_ip_parse("1.2.3.4", 0, &ip), "zero length");
	CHECK(cowrie_ip_parse("2001:DB8::1234", 14, &ip) && ip.family == 6 &&
		  memcmp(ip.addr, v6, 16) == 0, "IPv6 bytes");
	CHECK(cowrie_ip_parse("192.0.2.1", 9, &ip) && ip.family == 4 &&
		  ip.addr[0] == 192 && ip.addr[1] == 0 && ip.addr[2] == 2 && ip.addr[3] == 1,
		  "IPv4 bytes");
	/* the longest input form (45 bytes) and the longest output (39) */
	CHECK(cowrie_ip_canonical("0000:0000:0000:0000:0000:ffff:255.255.255.255", 45, buf) == 22,
		  "45-byte input");
	CHECK(cowrie_ip_canonical("ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", 39, buf) == 39,
		  "39-byte output");
	/* format of an unknown family writes an empty string */
	memset(&ip, 0, sizeof(ip));
	ip.family = 5;
	buf[0] = 'x';
	CHECK(cowrie_ip_format(&ip, buf) == 0 && buf[0] == '\0', "bad family");
	CHECK(!cowrie_ip_is_private(&ip), "bad family is not private");
	CHECK(!cowrie_ip_is_private(NULL), "NULL is not private");
}

static void
test_private(void)
{
	size_t		i;

	for (i = 0; i < LENGTHOF(range_cases); i++)
	{
		const char *in = range_cases[i].in;
		cowrie_ip	ip;

		if (!cowrie_ip_parse(in, strlen(in), &ip))
		{
			CHECK(false, "parse('%s')", in);
			continue;
		}
		CHECK(cowrie_ip_is_private(&ip) == range_cases[i].private_,
			  "is_private('%s') should be %s", in,
			  range_cases[i].private_ ? "true" : "false");
	}
}

/* Every mapped address agrees with its IPv4 address, over a sweep of /8s. */
static void
test_mapped_sweep(void)
{
	unsigned	a;
	int			bad = 0;

	for (a = 0; a < 256; a++)
	{
		unsigned	b;

		for (b = 0; b < 256; b += 5)
		{
			cowrie_ip	v4,
						v6;

			memset(&v4, 0, sizeof(v4));
			memset(&v6, 0, sizeof(v6));
			v4.family = 4;
			v4.addr[0] = (uint8_t) a;
			v4.addr[1] = (uint8_t) b;
			v4.addr[3] = (uint8_t) (a ^ b);
			v6.family = 6;
			v6.addr[10] = v6.addr[11] = 0xff;
			memcpy(v6.addr + 12, v4.addr, 4);
			if (cowrie_ip_is_private(&v4) != cowrie_ip_is_private(&v6))
				bad++;
		}
	}
	CHECK(bad == 0, "%d mapped addresses disagree with IPv4", bad);
}

void
test_ip(void)
{
	test_format();
	test_reject();
	test_parse_misc();
	test_private();
	test_mapped_sweep();
}
