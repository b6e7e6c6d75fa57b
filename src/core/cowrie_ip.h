/*
 * IP address parsing, canonical text and private/reserved classification.
 * PostgreSQL-free: unit tested and fuzzed on its own (test/unit, test/fuzz).
 */
#ifndef COWRIE_IP_H
#define COWRIE_IP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Longest canonical text is 45 characters; one more for the NUL. */
#define COWRIE_IP_TEXT_MAX 46

typedef struct cowrie_ip
{
	int			family;		/* 4 or 6 */
	uint8_t		addr[16];	/* network order; IPv4 uses addr[0..3] */
} cowrie_ip;

/*
 * Parse len bytes (need not be NUL-terminated). Surrounding ASCII whitespace
 * is trimmed. IPv4: strict dotted quad (four parts, 0-255, no leading zeros).
 * IPv6: every RFC 4291 text form, embedded IPv4 included. Zone IDs, prefixes,
 * brackets and anything else give false.
 */
bool		cowrie_ip_parse(const char *s, size_t len, cowrie_ip *out);

/*
 * Canonical text, identical to PostgreSQL's host(x::inet): lower
 * case, longest zero run compressed, ::ffff:a.b.c.d for mapped addresses.
 * buf must hold COWRIE_IP_TEXT_MAX bytes; returns the length written.
 */
size_t		cowrie_ip_format(const cowrie_ip *ip, char *buf);

/*
 * Python 3.13 ipaddress: is_private or is_loopback or is_link_local or
 * is_multicast or is_reserved or is_unspecified. IPv4-mapped IPv6 addresses
 * follow the IPv4 rules.
 */
bool		cowrie_ip_is_private(const cowrie_ip *ip);

/*
 * Parse and format in one step: writes the canonical text into buf
 * (COWRIE_IP_TEXT_MAX bytes) and returns its length, or 0 when invalid.
 */
size_t		cowrie_ip_canonical(const char *s, size_t len, char *buf);

#endif
