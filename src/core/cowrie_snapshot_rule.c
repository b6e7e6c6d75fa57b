#include "cowrie_snapshot_rule.h"

#include "cowrie_ip.h"

#include <string.h>

bool
cowrie_country_code_valid(const char *s, size_t len)
{
	return s != NULL && len == 2 && s[0] >= 'A' && s[0] <= 'Z' && s[1] >= 'A' && s[1] <= 'Z';
}

bool
cowrie_country_usable(const char *s, size_t len)
{
	return cowrie_country_code_valid(s, len) && !(s[0] == 'X' && s[1] == 'X');
}

bool
cowrie_asn_usable(int64_t asn)
{
	return asn > 0 && asn <= INT32_MAX;
}

void
cowrie_snapshot_decide(const cowrie_snapshot_input *in, cowrie_snapshot *out)
{
	cowrie_ip	ip;

	out->asn_isnull = true;
	out->asn = 0;
	out->country_isnull = false;
	memcpy(out->country, "XX", 3);
	out->ip_type_isnull = true;
	out->enrichment_at_from_inventory = false;

	if (in->ip == NULL || !cowrie_ip_parse(in->ip, in->ip_len, &ip))
	{
		out->outcome = COWRIE_OUTCOME_UNPARSEABLE;
		return;
	}
	if (cowrie_ip_is_private(&ip))
	{
		out->outcome = COWRIE_OUTCOME_PRIVATE;
		return;
	}
	if (!in->inventory_found)
	{
		out->outcome = COWRIE_OUTCOME_NO_INVENTORY;
		return;
	}

	/* What the inventory knows is kept even when its country is unusable. */
	if (!in->asn_isnull && cowrie_asn_usable(in->asn))
	{
		out->asn_isnull = false;
		out->asn = (int32_t) in->asn;
	}
	out->ip_type_isnull = (in->ip_type == NULL || in->ip_type_len == 0);
	out->enrichment_at_from_inventory = true;

	if (cowrie_country_usable(in->country, in->country_len))
	{
		out->outcome = COWRIE_OUTCOME_ENRICHED;
		out->country[0] = in->country[0];
		out->country[1] = in->country[1];
	}
	else
		out->outcome = COWRIE_OUTCOME_NO_COUNTRY;
}

const char *
cowrie_outcome_name(cowrie_outcome outcome)
{
	switch (outcome)
	{
		case COWRIE_OUTCOME_ENRICHED:
			return "enriched";
		case COWRIE_OUTCOME_PRIVATE:
			return "private";
		case COWRIE_OUTCOME_UNPARSEABLE:
			return "unparseable";
		case COWRIE_OUTCOME_NO_INVENTORY:
			return "no_inventory";
		case COWRIE_OUTCOME_NO_COUNTRY:
			return "no_country";
	}
	return "unknown";
}

bool
cowrie_outcome_is_final(cowrie_outcome outcome)
{
	/*
	 * Enrichment may still arrive for a public IP, and a session whose
	 * document has no usable IP may have one in raw_events, which only the
	 * backfill reads: those wait for it.
	 */
	return outcome == COWRIE_OUTCOME_ENRICHED || outcome == COWRIE_OUTCOME_PRIVATE;
}
