/*
 * IP address parsing, canonical text and private/reserved classification.
 * See cowrie_ip.h; PostgreSQL-free.
 */
#include "cowrie_ip.h"

#include <string.h>

static bool
is_space(unsigned char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

static int
hex_value(unsigned char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/*
 * Strict dotted quad over exactly [p, p+n): four decimal parts 0-255, no
 * leading zeros (Python rejects '010' as ambiguous; inet would accept it).
 */
static bool
parse_ipv4(const char *p, size_t n, uint8_t out[4])
{
	size_t		i = 0;
	int			part;

	for (part = 0; part < 4; part++)
	{
		unsigned	v = 0;
		size_t		start = i;

		while (i < n && p[i] >= '0' && p[i] <= '9' && i - start < 3)
		{
			v = v * 10 + (unsigned) (p[i] - '0');
			i++;
		}
		if (i == start || v > 255)
			return false;
		if (i - start > 1 && p[start] == '0')
			return false;
		out[part] = (uint8_t) v;
		if (part < 3)
		{
			if (i >= n || p[i] != '.')
				return false;
			i++;
		}
	}
	return i == n;
}

/*
 * RFC 4291 text over exactly [p, p+n). '::' must stand for at least one
 * group (as Python requires), and an IPv4 tail only fills the last 32 bits.
 */
static bool
parse_ipv6(const char *p, size_t n, uint8_t out[16])
{
	unsigned	words[8];
	int			nw = 0;
	int			gap = -1;		/* index in words where '::' stood */
	size_t		i = 0;
	int			k;

	if (n >= 2 && p[0] == ':' && p[1] == ':')
	{
		gap = 0;
		i = 2;
	}
	else if (n >= 1 && p[0] == ':')
		return false;

	while (i < n)
	{
		unsigned	v = 0;
		size_t		start = i;

		if (nw >= 8)
			return false;
		while (i < n && i - start < 4 && hex_value((unsigned char) p[i]) >= 0)
		{
			v = (v << 4) | (unsigned) hex_value((unsigned char) p[i]);
			i++;
		}
		if (i < n && p[i] == '.')
		{
			uint8_t		v4[4];

			if (nw > 6 || !parse_ipv4(p + start, n - start, v4))
				return false;
			words[nw++] = ((unsigned) v4[0] << 8) | v4[1];
			words[nw++] = ((unsigned) v4[2] << 8) | v4[3];
			i = n;
			break;
		}
		if (i == start)
			return false;
		words[nw++] = v;
		if (i == n)
			break;
		if (p[i] != ':')
			return false;		/* fifth hex digit, '%zone', '/len', ... */
		i++;
		if (i < n && p[i] == ':')
		{
			if (gap >= 0)
				return false;
			gap = nw;
			i++;
		}
		else if (i == n)
			return false;		/* a single trailing ':' */
	}

	if (gap >= 0)
	{
		int			tail = nw - gap;

		if (nw > 7)
			return false;
		for (k = 0; k < tail; k++)
			words[7 - k] = words[nw - 1 - k];
		for (k = gap; k < 8 - tail; k++)
			words[k] = 0;
	}
	else if (nw != 8)
		return false;

	for (k = 0; k < 8; k++)
	{
		out[2 * k] = (uint8_t) (words[k] >> 8);
		out[2 * k + 1] = (uint8_t) (words[k] & 0xff);
	}
	return true;
}

bool
cowrie_ip_parse(const char *s, size_t len, cowrie_ip *out)
{
	cowrie_ip	ip;
	bool		ok;

	if (s == NULL || out == NULL)
		return false;
	while (len > 0 && is_space((unsigned char) s[0]))
	{
		s++;
		len--;
	}
	while (len > 0 && is_space((unsigned char) s[len - 1]))
		len--;
	if (len == 0)
		return false;

	memset(&ip, 0, sizeof(ip));
	if (memchr(s, ':', len) != NULL)
	{
		ip.family = 6;
		ok = parse_ipv6(s, len, ip.addr);
	}
	else
	{
		ip.family = 4;
		ok = parse_ipv4(s, len, ip.addr);
	}
	if (ok)
		*out = ip;
	return ok;
}

static size_t
put_dec(char *buf, size_t pos, unsigned v)
{
	if (v >= 100)
		buf[pos++] = (char) ('0' + v / 100);
	if (v >= 10)
		buf[pos++] = (char) ('0' + (v / 10) % 10);
	buf[pos++] = (char) ('0' + v % 10);
	return pos;
}

static size_t
put_quad(char *buf, size_t pos, const uint8_t *b)
{
	int			i;

	for (i = 0; i < 4; i++)
	{
		if (i > 0)
			buf[pos++] = '.';
		pos = put_dec(buf, pos, b[i]);
	}
	return pos;
}

static size_t
put_hex(char *buf, size_t pos, unsigned v)
{
	static const char digits[] = "0123456789abcdef";
	int			shift;
	bool		started = false;

	for (shift = 12; shift >= 0; shift -= 4)
	{
		unsigned	d = (v >> shift) & 0xf;

		if (d != 0 || started || shift == 0)
		{
			buf[pos++] = digits[d];
			started = true;
		}
	}
	return pos;
}

/*
 * Mirrors PostgreSQL's inet_net_ntop_ipv6 (src/port/inet_net_ntop.c):
 * the first longest run of >= 2 zero words becomes '::', and the last 32
 * bits print as a.b.c.d only when that run is exactly words 0-5, or words
 * 0-4 with word 5 = ffff. (BIND's "run of 7 and word 7 != 1" case is dead
 * code there: word 6 lies inside the run, so it is never reached.)
 */
static size_t
format_ipv6(const uint8_t *a, char *buf)
{
	unsigned	w[8];
	int			best_base = -1,
				best_len = 0,
				cur_base = -1,
				cur_len = 0;
	int			i;
	size_t		pos = 0;

	for (i = 0; i < 8; i++)
		w[i] = ((unsigned) a[2 * i] << 8) | a[2 * i + 1];
	for (i = 0; i < 8; i++)
	{
		if (w[i] == 0)
		{
			if (cur_base < 0)
			{
				cur_base = i;
				cur_len = 1;
			}
			else
				cur_len++;
			if (cur_len > best_len)
			{
				best_base = cur_base;
				best_len = cur_len;
			}
		}
		else
			cur_base = -1;
	}
	if (best_len < 2)
		best_base = -1;

	for (i = 0; i < 8; i++)
	{
		if (best_base >= 0 && i >= best_base && i < best_base + best_len)
		{
			if (i == best_base)
				buf[pos++] = ':';
			continue;
		}
		if (i != 0)
			buf[pos++] = ':';
		if (i == 6 && best_base == 0 &&
			(best_len == 6 || (best_len == 5 && w[5] == 0xffff)))
		{
			pos = put_quad(buf, pos, a + 12);
			buf[pos] = '\0';
			return pos;
		}
		pos = put_hex(buf, pos, w[i]);
	}
	if (best_base >= 0 && best_base + best_len == 8)
		buf[pos++] = ':';
	buf[pos] = '\0';
	return pos;
}

size_t
cowrie_ip_format(const cowrie_ip *ip, char *buf)
{
	size_t		pos;

	if (buf == NULL)
		return 0;
	buf[0] = '\0';
	if (ip == NULL)
		return 0;
	if (ip->family == 4)
	{
		pos = put_quad(buf, 0, ip->addr);
		buf[pos] = '\0';
		return pos;
	}
	if (ip->family == 6)
		return format_ipv6(ip->addr, buf);
	return 0;
}

size_t
cowrie_ip_canonical(const char *s, size_t len, char *buf)
{
	cowrie_ip	ip;

	if (buf == NULL)
		return 0;
	buf[0] = '\0';
	if (!cowrie_ip_parse(s, len, &ip))
		return 0;
	return cowrie_ip_format(&ip, buf);
}

/* A network: the first bytes of its prefix, and the prefix length in bits. */
typedef struct ip_range
{
	uint8_t		prefix[16];
	int			bits;
} ip_range;

/*
 * Python 3.13 ipaddress (3.13.1+: CVE-2024-4032 lists, 3fff::/20,
 * gh-122792 mapped rules), union of is_private, is_loopback,
 * is_link_local, is_multicast, is_reserved and is_unspecified.
 * Redundant entries are kept so each list matches Python's line by line.
 */
static const ip_range ipv4_true[] = {
	{{0, 0, 0, 0}, 8},			/* private; 0.0.0.0 is also unspecified */
	{{10, 0, 0, 0}, 8},
	{{127, 0, 0, 0}, 8},		/* loopback */
	{{169, 254, 0, 0}, 16},		/* link-local */
	{{172, 16, 0, 0}, 12},
	{{192, 0, 0, 0}, 24},		/* minus the exceptions below */
	{{192, 0, 0, 170}, 31},
	{{192, 0, 2, 0}, 24},
	{{192, 168, 0, 0}, 16},
	{{198, 18, 0, 0}, 15},
	{{198, 51, 100, 0}, 24},
	{{203, 0, 113, 0}, 24},
	{{224, 0, 0, 0}, 4},		/* multicast */
	{{240, 0, 0, 0}, 4},		/* reserved */
	{{255, 255, 255, 255}, 32},
};

/* Python's _private_networks_exceptions; no other predicate covers them. */
static const ip_range ipv4_exceptions[] = {
	{{192, 0, 0, 9}, 32},
	{{192, 0, 0, 10}, 32},
};

static const ip_range ipv6_true[] = {
	{{0}, 128},					/* :: private, unspecified */
	{{0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1}, 128},	/* ::1 loopback */
	{{0x00, 0x64, 0xff, 0x9b, 0x00, 0x01}, 48},	/* 64:ff9b:1::/48 */
	{{0x01, 0x00}, 64},			/* 100::/64 */
	{{0x20, 0x01, 0x00, 0x00}, 23},	/* 2001::/23, minus the exceptions */
	{{0x20, 0x01, 0x0d, 0xb8}, 32}, /* 2001:db8::/32 */
	{{0x20, 0x02}, 16},			/* 2002::/16 */
	{{0x3f, 0xff}, 20},			/* 3fff::/20 */
	{{0xfc}, 7},				/* fc00::/7 */
	{{0xfe, 0x80}, 10},			/* fe80::/10 link-local */
	{{0xff}, 8},				/* ff00::/8 multicast */
	/* reserved */
	{{0x00}, 8},				/* ::/8, includes 64:ff9b::/96 */
	{{0x01}, 8},				/* 100::/8 */
	{{0x02}, 7},				/* 200::/7 */
	{{0x04}, 6},				/* 400::/6 */
	{{0x08}, 5},				/* 800::/5 */
	{{0x10}, 4},				/* 1000::/4 */
	{{0x40}, 3},				/* 4000::/3 */
	{{0x60}, 3},				/* 6000::/3 */
	{{0x80}, 3},				/* 8000::/3 */
	{{0xa0}, 3},				/* a000::/3 */
	{{0xc0}, 3},				/* c000::/3 */
	{{0xe0}, 4},				/* e000::/4 */
	{{0xf0}, 5},				/* f000::/5 */
	{{0xf8}, 6},				/* f800::/6 */
	{{0xfe, 0x00}, 9},			/* fe00::/9 */
};

/* All inside 2001::/23, which only is_private covers. */
static const ip_range ipv6_exceptions[] = {
	{{0x20, 0x01, 0x00, 0x01, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1}, 128},	/* 2001:1::1 */
	{{0x20, 0x01, 0x00, 0x01, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2}, 128},	/* 2001:1::2 */
	{{0x20, 0x01, 0x00, 0x03}, 32}, /* 2001:3::/32 */
	{{0x20, 0x01, 0x00, 0x04, 0x01, 0x12}, 48},	/* 2001:4:112::/48 */
	{{0x20, 0x01, 0x00, 0x20}, 28}, /* 2001:20::/28 */
	{{0x20, 0x01, 0x00, 0x30}, 28}, /* 2001:30::/28 */
};

static bool
in_range(const uint8_t *addr, const ip_range *r)
{
	int			full = r->bits / 8;
	int			rest = r->bits % 8;

	if (memcmp(addr, r->prefix, (size_t) full) != 0)
		return false;
	if (rest != 0)
	{
		uint8_t		mask = (uint8_t) (0xff << (8 - rest));

		if ((addr[full] & mask) != (r->prefix[full] & mask))
			return false;
	}
	return true;
}

static bool
in_any(const uint8_t *addr, const ip_range *tab, size_t n)
{
	size_t		i;

	for (i = 0; i < n; i++)
		if (in_range(addr, &tab[i]))
			return true;
	return false;
}

#define LENGTHOF(a) (sizeof(a) / sizeof((a)[0]))

static bool
ipv4_is_private(const uint8_t *a)
{
	return in_any(a, ipv4_true, LENGTHOF(ipv4_true)) &&
		!in_any(a, ipv4_exceptions, LENGTHOF(ipv4_exceptions));
}

bool
cowrie_ip_is_private(const cowrie_ip *ip)
{
	static const uint8_t mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};

	if (ip == NULL)
		return false;
	if (ip->family == 4)
		return ipv4_is_private(ip->addr);
	if (ip->family != 6)
		return false;
	/* ::ffff:0:0/96 follows the IPv4 rules (gh-122792) */
	if (memcmp(ip->addr, mapped, sizeof(mapped)) == 0)
		return ipv4_is_private(ip->addr + 12);
	return in_any(ip->addr, ipv6_true, LENGTHOF(ipv6_true)) &&
		!in_any(ip->addr, ipv6_exceptions, LENGTHOF(ipv6_exceptions));
}
