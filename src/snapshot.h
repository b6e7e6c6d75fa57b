/* Glue around the core snapshot rule, shared by SQL function, lookup and trigger. */
#ifndef COWRIE_SNAPSHOT_H
#define COWRIE_SNAPSHOT_H

#include "postgres.h"
#include "utils/array.h"
#include "utils/jsonb.h"

#include "cowrie_snapshot_rule.h"

/* An ip_inventory row as the rule needs it; found = false when there is none. */
typedef struct cowrie_inventory_row
{
	bool		found;
	bool		asn_isnull;
	int32		asn;
	text	   *geo_country;	/* NULL when SQL NULL */
	ArrayType  *ip_types;		/* NULL when SQL NULL */
	/* Detoasted only when ip_types has no usable type: most rows never need it. */
	Datum		enrichment;		/* jsonb; (Datum) 0 when SQL NULL */
} cowrie_inventory_row;

/*
 * Decide a session's snapshot. ip may be NULL. *ip_type is set to a palloc'd
 * text (the primary type) or NULL.
 */
void		cowrie_snapshot_compute(text *ip, const cowrie_inventory_row *inv,
									cowrie_snapshot *out, text **ip_type);

/* The extension's schema (where ip_inventory and session_summaries live). */
Oid			cowrie_extension_schema(void);

/*
 * SELECT of the inventory columns the rule reads, each cast to the type the
 * C code reads it as (ip_address first when with_ip), FROM schema's
 * ip_inventory. A timestamp without time zone is read as UTC (cowrie_utc).
 */
char	   *cowrie_inventory_select(Oid schema, bool with_ip);

/* Errors out unless the columns from first on are int4, text, text[], jsonb, timestamptz. */
void		cowrie_inventory_check_result(TupleDesc desc, int first, const char *caller);

/*
 * cowrie_snapshot.writer_active (module.c): on while the extension's snapshot
 * writer runs its statements (its functions' SET clause), so that the
 * ingestion trigger does not decide again the rows the writer has just decided.
 */
extern bool cowrie_writer_active;

#endif
