/*
 * cowrie_session_snapshot(): the SQL face of the core snapshot rule, and the
 * helper the lookup and the trigger call, so all of them decide alike.
 */
#include "postgres.h"

#include "access/htup_details.h"
#include "catalog/namespace.h"
#include "catalog/pg_type.h"
#include "commands/extension.h"
#include "executor/spi.h"
#include "fmgr.h"
#include "funcapi.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"
#include "utils/timestamp.h"

#include "compat.h"
#include "cowrie_iptype.h"
#include "enrichment_functions.h"
#include "fmgr_util.h"
#include "snapshot.h"

PG_FUNCTION_INFO_V1(cowrie_session_snapshot);

/* Highest-priority entry of ip_types, else of the SPUR data in the inventory document. */
static text *
primary_type(const cowrie_inventory_row *inv)
{
	if (inv->ip_types != NULL)
	{
		text	   *type = cowrie_array_primary_type(inv->ip_types);

		if (type != NULL)
			return type;
	}
	if (inv->enrichment != (Datum) 0)
	{
		cowrie_typeset set;

		cowrie_jsonb_ip_types(DatumGetJsonbP(inv->enrichment), &set);
		if (set.count > 0)
			return cstring_to_text_with_len(set.name[0], (int) set.len[0]);
	}
	return NULL;
}

void
cowrie_snapshot_compute(text *ip, const cowrie_inventory_row *inv,
						cowrie_snapshot *out, text **ip_type)
{
	cowrie_snapshot_input in;
	text	   *type = NULL;

	memset(&in, 0, sizeof(in));
	if (ip != NULL)
	{
		in.ip = VARDATA_ANY(ip);
		in.ip_len = VARSIZE_ANY_EXHDR(ip);
	}
	in.inventory_found = inv->found;
	in.asn_isnull = inv->asn_isnull;
	in.asn = inv->asn;
	if (inv->geo_country != NULL)
	{
		in.country = VARDATA_ANY(inv->geo_country);
		in.country_len = VARSIZE_ANY_EXHDR(inv->geo_country);
	}
	if (inv->found)
	{
		type = primary_type(inv);
		if (type != NULL)
		{
			in.ip_type = VARDATA_ANY(type);
			in.ip_type_len = VARSIZE_ANY_EXHDR(type);
		}
	}
	cowrie_snapshot_decide(&in, out);
	*ip_type = out->ip_type_isnull ? NULL : type;
}

Oid
cowrie_extension_schema(void)
{
	return cowrie_get_extension_schema(get_extension_oid("cowrie_snapshot", false));
}

char *
cowrie_inventory_select(Oid schema, bool with_ip)
{
	const char *nsp = quote_identifier(get_namespace_name(schema));

	return psprintf("SELECT %scurrent_asn::pg_catalog.int4, geo_country::pg_catalog.text, "
					"ip_types::pg_catalog.text[], enrichment::pg_catalog.jsonb, "
					"%s.cowrie_utc(enrichment_updated_at) FROM %s.ip_inventory",
					with_ip ? "ip_address::pg_catalog.text, " : "", nsp, nsp);
}

/*
 * The SQL casts already give these types; checked again because reading a
 * datum as another type crashes the server.
 */
void
cowrie_inventory_check_result(TupleDesc desc, int first, const char *caller)
{
	static const Oid expected[5] = {INT4OID, TEXTOID, TEXTARRAYOID, JSONBOID, TIMESTAMPTZOID};
	int			i;

	if (desc->natts != first - 1 + 5)
		ereport(ERROR,
				(errcode(ERRCODE_DATATYPE_MISMATCH),
				 errmsg("%s: the inventory query returned %d columns, not %d", caller, desc->natts, first - 1 + 5)));
	for (i = 0; i < 5; i++)
	{
		Oid			got = SPI_gettypeid(desc, first + i);

		if (got != expected[i])
			ereport(ERROR,
					(errcode(ERRCODE_DATATYPE_MISMATCH),
					 errmsg("%s: inventory column %d is of type %s, not %s", caller, first + i,
							format_type_be(got), format_type_be(expected[i])),
					 errdetail("The inventory query casts each column to the type the C code reads."),
					 errhint("Give ip_inventory the column types the v16 migration creates.")));
	}
}

/*
 * cowrie_utc(timestamp or timestamptz) -> timestamptz, and
 * cowrie_utc_as(timestamp or timestamptz, timestamptz) -> its first
 * argument's type: a timestamp without time zone is UTC's wall clock, as
 * the migration converts one (AT TIME ZONE 'UTC'), so trigger, lookup and
 * backfill store the same instant under any TimeZone. Both types count
 * microseconds from 2000-01-01 00:00, so UTC's reading is the same integer.
 */
PG_FUNCTION_INFO_V1(cowrie_utc);
Datum
cowrie_utc(PG_FUNCTION_ARGS)
{
	PG_RETURN_DATUM(PG_GETARG_DATUM(0));
}

PG_FUNCTION_INFO_V1(cowrie_utc_as);
Datum
cowrie_utc_as(PG_FUNCTION_ARGS)
{
	if (PG_ARGISNULL(1))
		PG_RETURN_NULL();
	PG_RETURN_DATUM(PG_GETARG_DATUM(1));
}

/*
 * cowrie_session_snapshot(ip, inventory_found, current_asn, geo_country,
 * ip_types, enrichment, enrichment_updated_at)
 *   -> (snapshot_asn, snapshot_country, snapshot_ip_type, enrichment_at, outcome)
 */
Datum
cowrie_session_snapshot(PG_FUNCTION_ARGS)
{
	cowrie_inventory_row inv;
	cowrie_snapshot snap;
	text	   *type;
	TupleDesc	tupdesc;
	Datum		values[5];
	bool		nulls[5] = {false, false, false, false, false};

	tupdesc = cowrie_result_tupdesc(fcinfo, "cowrie_session_snapshot");

	inv.found = !PG_ARGISNULL(1) && PG_GETARG_BOOL(1);
	inv.asn_isnull = PG_ARGISNULL(2);
	inv.asn = inv.asn_isnull ? 0 : PG_GETARG_INT32(2);
	inv.geo_country = PG_ARGISNULL(3) ? NULL : PG_GETARG_TEXT_PP(3);
	inv.ip_types = PG_ARGISNULL(4) ? NULL : PG_GETARG_ARRAYTYPE_P(4);
	inv.enrichment = PG_ARGISNULL(5) ? (Datum) 0 : PG_GETARG_DATUM(5);

	cowrie_snapshot_compute(PG_ARGISNULL(0) ? NULL : PG_GETARG_TEXT_PP(0), &inv, &snap, &type);

	values[0] = Int32GetDatum(snap.asn);
	nulls[0] = snap.asn_isnull;
	values[1] = PointerGetDatum(cstring_to_text(snap.country));
	nulls[1] = snap.country_isnull;
	values[2] = type ? PointerGetDatum(type) : (Datum) 0;
	nulls[2] = (type == NULL);
	nulls[3] = !snap.enrichment_at_from_inventory || PG_ARGISNULL(6);
	values[3] = nulls[3] ? (Datum) 0 : PG_GETARG_DATUM(6);
	values[4] = PointerGetDatum(cstring_to_text(cowrie_outcome_name(snap.outcome)));
	PG_RETURN_DATUM(HeapTupleGetDatum(heap_form_tuple(tupdesc, values, nulls)));
}
