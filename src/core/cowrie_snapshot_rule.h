/*
 * The one definition of a session's snapshot. The migration, the backfill,
 * the batch lookup and the ingestion trigger all decide through here.
 * PostgreSQL-free.
 */
#ifndef COWRIE_SNAPSHOT_RULE_H
#define COWRIE_SNAPSHOT_RULE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef enum cowrie_outcome
{
	COWRIE_OUTCOME_ENRICHED = 0,	/* inventory row with a usable country */
	COWRIE_OUTCOME_PRIVATE,			/* private, reserved, loopback ... IP */
	COWRIE_OUTCOME_UNPARSEABLE,		/* no IP found, or not a valid address */
	COWRIE_OUTCOME_NO_INVENTORY,	/* public IP that ip_inventory lacks */
	COWRIE_OUTCOME_NO_COUNTRY		/* inventory row without a usable country */
} cowrie_outcome;

typedef struct cowrie_snapshot_input
{
	const char *ip;				/* session IP text as found, or NULL */
	size_t		ip_len;
	bool		inventory_found;
	bool		asn_isnull;
	int64_t		asn;			/* ip_inventory.current_asn */
	const char *country;		/* ip_inventory.geo_country, or NULL */
	size_t		country_len;
	const char *ip_type;		/* primary type already picked, or NULL */
	size_t		ip_type_len;
} cowrie_snapshot_input;

typedef struct cowrie_snapshot
{
	cowrie_outcome outcome;
	bool		asn_isnull;
	int32_t		asn;
	bool		country_isnull;
	char		country[3];		/* two upper-case letters, or "XX" */
	bool		ip_type_isnull;	/* else the input's ip_type */
	bool		enrichment_at_from_inventory;
} cowrie_snapshot;

/* A value snapshot_country may hold: two letters A-Z, the 'XX' sentinel included. */
bool		cowrie_country_code_valid(const char *s, size_t len);

/* A stored country code: exactly two letters A-Z, and not the 'XX' sentinel. */
bool		cowrie_country_usable(const char *s, size_t len);

/* A positive ASN that fits in a PostgreSQL integer. */
bool		cowrie_asn_usable(int64_t asn);

void		cowrie_snapshot_decide(const cowrie_snapshot_input *in, cowrie_snapshot *out);

/* Stable names for outcomes, as reported in NOTICEs and dry runs. */
const char *cowrie_outcome_name(cowrie_outcome outcome);

/* Is the outcome final at ingestion time (the trigger writes only these)? */
bool		cowrie_outcome_is_final(cowrie_outcome outcome);

#endif
