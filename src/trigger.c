/*
 * Ingestion-time snapshots: a BEFORE INSERT OR UPDATE row trigger on
 * session_summaries (installed by the migration) that fills NULL source_ip
 * and snapshot columns from ip_inventory. It never overwrites a valid value,
 * so upstream's ON CONFLICT ... COALESCE upsert keeps its meaning; a value
 * the rule can never produce counts as absent. Outcomes that enrichment may
 * still change (public IP not yet in the inventory, or without a country)
 * are left NULL for cowrie_backfill to decide later. Rows whose snapshot is
 * already valid return at once.
 */
#include "postgres.h"

#include "access/htup_details.h"
#include "catalog/pg_type.h"
#include "commands/trigger.h"
#include "executor/spi.h"
#include "fmgr.h"
#include "miscadmin.h"
#include "utils/builtins.h"
#include "utils/rel.h"

#include "cowrie_iptype.h"
#include "cowrie_snapshot_rule.h"
#include "enrichment_functions.h"
#include "snapshot.h"

PG_FUNCTION_INFO_V1(cowrie_session_snapshot_trigger);

typedef struct session_columns
{
	int			source_ip;
	int			enrichment;
	int			snapshot_asn;
	int			snapshot_country;
	int			snapshot_ip_type;
	int			enrichment_at;
} session_columns;

static int
column(TupleDesc desc, const char *name, Relation rel)
{
	int			attnum = SPI_fnumber(desc, name);

	if (attnum <= 0)
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_COLUMN),
				 errmsg("cowrie_session_snapshot_trigger: column \"%s\" of \"%s\" not found",
						name, RelationGetRelationName(rel)),
				 errhint("The trigger belongs on session_summaries after the v16 migration.")));
	return attnum;
}

/* The session's IP, canonical (cowrie_session_ip), or NULL. */
static text *
session_ip(HeapTuple tup, TupleDesc desc, const session_columns *cols)
{
	bool		source_null;
	bool		doc_null;
	Datum		source = SPI_getbinval(tup, desc, cols->source_ip, &source_null);
	Datum		doc = SPI_getbinval(tup, desc, cols->enrichment, &doc_null);

	return cowrie_session_ip(source_null ? NULL : DatumGetTextPP(source), doc, doc_null,
							 TupleDescAttr(desc, cols->enrichment - 1)->atttypid == JSONBOID);
}

/* Is the text column set to a value the rule could produce? false when NULL. */
static bool
valid_text(HeapTuple tup, TupleDesc desc, int attnum, bool (*valid) (const char *, size_t), bool *isnull)
{
	Datum		d = SPI_getbinval(tup, desc, attnum, isnull);
	text	   *t;

	if (*isnull)
		return false;
	t = DatumGetTextPP(d);
	return valid(VARDATA_ANY(t), VARSIZE_ANY_EXHDR(t));
}

/*
 * The inventory probe, prepared once per backend and session table: finding
 * the extension's schema and planning the query cost more than running it,
 * and the trigger runs for every session the loader writes. The plan cache
 * replans it after DDL on ip_inventory.
 */
static SPIPlanPtr inventory_plan = NULL;
static Oid	inventory_plan_table = InvalidOid;

static SPIPlanPtr
inventory_probe(Relation sessions)
{
	Oid			argtypes[1] = {TEXTOID};
	SPIPlanPtr	plan;

	if (inventory_plan != NULL && inventory_plan_table == RelationGetRelid(sessions))
		return inventory_plan;
	plan = SPI_prepare(psprintf("SELECT current_asn, geo_country::pg_catalog.text, ip_types, "
								"enrichment, enrichment_updated_at FROM %s "
								"WHERE ip_address OPERATOR(pg_catalog.=) $1::pg_catalog.varchar",
								cowrie_inventory_relname()),
					   1, argtypes);
	if (plan == NULL)
		elog(ERROR, "cowrie_session_snapshot_trigger: SPI_prepare failed: %s", SPI_result_code_string(SPI_result));
	if (SPI_keepplan(plan) != 0)
		elog(ERROR, "cowrie_session_snapshot_trigger: SPI_keepplan failed");
	if (inventory_plan != NULL)
		SPI_freeplan(inventory_plan);
	inventory_plan = plan;
	inventory_plan_table = RelationGetRelid(sessions);
	return plan;
}

/*
 * The probe runs as the owner of session_summaries, in a restricted security
 * context, as PostgreSQL's own foreign-key checks run as the referenced
 * table's owner: a loader that may write sessions needs no right on the
 * inventory. An error names the trigger and says what to grant.
 */
static int
probe_as_owner(Relation sessions, Datum *args)
{
	Oid			owner = RelationGetForm(sessions)->relowner;
	Oid			save_userid;
	int			save_sec_context;
	MemoryContext caller = CurrentMemoryContext;
	int			rc = 0;

	GetUserIdAndSecContext(&save_userid, &save_sec_context);
	SetUserIdAndSecContext(owner, save_sec_context | SECURITY_LOCAL_USERID_CHANGE |
						   SECURITY_RESTRICTED_OPERATION);
	PG_TRY();
	{
		rc = SPI_execute_plan(inventory_probe(sessions), args, NULL, true, 1);
	}
	PG_CATCH();
	{
		ErrorData  *edata;

		SetUserIdAndSecContext(save_userid, save_sec_context);
		MemoryContextSwitchTo(caller);
		edata = CopyErrorData();
		FlushErrorState();
		edata->message = psprintf("trigger cowrie_session_snapshot on \"%s\": %s",
								  RelationGetRelationName(sessions), edata->message);
		if (edata->hint == NULL)
			edata->hint = psprintf("The trigger reads ip_inventory as the owner of \"%s\" (role \"%s\"): "
								   "GRANT SELECT ON ip_inventory TO that role.",
								   RelationGetRelationName(sessions), GetUserNameFromId(owner, true));
		ReThrowError(edata);
	}
	PG_END_TRY();
	SetUserIdAndSecContext(save_userid, save_sec_context);
	return rc;
}

/* ip is canonical (cowrie_session_ip). */
static void
fetch_inventory(Relation sessions, text *ip, cowrie_inventory_row *inv, Datum *enrichment_at,
				bool *enrichment_at_null)
{
	Datum		args[1];
	int			rc;

	memset(inv, 0, sizeof(*inv));
	inv->asn_isnull = true;
	*enrichment_at_null = true;
	args[0] = PointerGetDatum(ip);
	rc = probe_as_owner(sessions, args);
	if (rc != SPI_OK_SELECT || SPI_processed == 0)
		return;
	{
		HeapTuple	tup = SPI_tuptable->vals[0];
		TupleDesc	desc = SPI_tuptable->tupdesc;
		bool		isnull;
		Datum		d;

		inv->found = true;
		d = SPI_getbinval(tup, desc, 1, &inv->asn_isnull);
		inv->asn = inv->asn_isnull ? 0 : DatumGetInt32(d);
		d = SPI_getbinval(tup, desc, 2, &isnull);
		inv->geo_country = isnull ? NULL : DatumGetTextPP(SPI_datumTransfer(d, false, -1));
		d = SPI_getbinval(tup, desc, 3, &isnull);
		inv->ip_types = isnull ? NULL : DatumGetArrayTypeP(SPI_datumTransfer(d, false, -1));
		d = SPI_getbinval(tup, desc, 4, &isnull);
		inv->enrichment = isnull ? (Datum) 0 : SPI_datumTransfer(d, false, -1);
		*enrichment_at = SPI_getbinval(tup, desc, 5, enrichment_at_null);
	}
}

Datum
cowrie_session_snapshot_trigger(PG_FUNCTION_ARGS)
{
	TriggerData *trig = (TriggerData *) fcinfo->context;
	Relation	rel;
	TupleDesc	desc;
	HeapTuple	tup;
	session_columns cols;
	text	   *ip;
	text	   *ip_type;
	cowrie_inventory_row inv;
	cowrie_snapshot snap;
	Datum		enrichment_at = (Datum) 0;
	bool		enrichment_at_null;
	int			attnums[5];
	Datum		values[5];
	bool		nulls[5];
	int			n = 0;
	bool		isnull;
	bool		country_null,
				country_absent,
				type_null,
				type_absent;
	MemoryContext caller = CurrentMemoryContext;

	if (!CALLED_AS_TRIGGER(fcinfo) || !TRIGGER_FIRED_BEFORE(trig->tg_event) ||
		!TRIGGER_FIRED_FOR_ROW(trig->tg_event) || TRIGGER_FIRED_BY_DELETE(trig->tg_event))
		ereport(ERROR,
				(errcode(ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED),
				 errmsg("cowrie_session_snapshot_trigger must fire BEFORE INSERT OR UPDATE FOR EACH ROW")));

	rel = trig->tg_relation;
	desc = RelationGetDescr(rel);
	tup = TRIGGER_FIRED_BY_UPDATE(trig->tg_event) ? trig->tg_newtuple : trig->tg_trigtuple;
	cols.snapshot_country = column(desc, "snapshot_country", rel);
	cols.snapshot_ip_type = column(desc, "snapshot_ip_type", rel);

	/*
	 * A value the rule can never produce (a country that is not two letters
	 * A-Z, such as upstream's '', or the JSON text of a type list) counts as
	 * absent: the rule computes it as if the loader had left it NULL. A
	 * valid value is never overwritten. Rows with a valid snapshot (most of a
	 * loader's upserts) return here, after two column lookups.
	 */
	country_absent = !valid_text(tup, desc, cols.snapshot_country, cowrie_country_code_valid, &country_null);
	type_absent = !valid_text(tup, desc, cols.snapshot_ip_type, cowrie_ip_type_valid, &type_null);
	if (!country_absent && (type_null || !type_absent))
		return PointerGetDatum(tup);
	cols.source_ip = column(desc, "source_ip", rel);
	cols.enrichment = column(desc, "enrichment", rel);
	cols.snapshot_asn = column(desc, "snapshot_asn", rel);
	cols.enrichment_at = column(desc, "enrichment_at", rel);

	SPI_connect();
	ip = session_ip(tup, desc, &cols);
	if (ip != NULL)
		fetch_inventory(rel, ip, &inv, &enrichment_at, &enrichment_at_null);
	else
	{
		memset(&inv, 0, sizeof(inv));
		inv.asn_isnull = true;
		enrichment_at_null = true;
	}
	cowrie_snapshot_compute(ip, &inv, &snap, &ip_type);

	/* source_ip only when the inventory has it (the foreign key). */
	(void) SPI_getbinval(tup, desc, cols.source_ip, &isnull);
	if (isnull && inv.found)
	{
		attnums[n] = cols.source_ip;
		values[n] = PointerGetDatum(ip);
		nulls[n++] = false;
	}
	if (cowrie_outcome_is_final(snap.outcome))
	{
		if (country_absent)
		{
			attnums[n] = cols.snapshot_country;
			values[n] = PointerGetDatum(cstring_to_text(snap.country));
			nulls[n++] = false;
		}
		(void) SPI_getbinval(tup, desc, cols.snapshot_asn, &isnull);
		if (isnull && !snap.asn_isnull)
		{
			attnums[n] = cols.snapshot_asn;
			values[n] = Int32GetDatum(snap.asn);
			nulls[n++] = false;
		}
		if (type_absent && (ip_type != NULL || !type_null))
		{
			attnums[n] = cols.snapshot_ip_type;
			values[n] = ip_type != NULL ? PointerGetDatum(ip_type) : (Datum) 0;
			nulls[n++] = ip_type == NULL;
		}
		(void) SPI_getbinval(tup, desc, cols.enrichment_at, &isnull);
		if (isnull && snap.enrichment_at_from_inventory && !enrichment_at_null)
		{
			attnums[n] = cols.enrichment_at;
			values[n] = enrichment_at;
			nulls[n++] = false;
		}
	}
	else
	{
		/* Not decided yet (the backfill will): an invalid value becomes NULL. */
		if (country_absent && !country_null)
		{
			attnums[n] = cols.snapshot_country;
			values[n] = (Datum) 0;
			nulls[n++] = true;
		}
		if (type_absent && !type_null)
		{
			attnums[n] = cols.snapshot_ip_type;
			values[n] = (Datum) 0;
			nulls[n++] = true;
		}
	}
	if (n > 0)
	{
		/* The new tuple must outlive SPI's memory. */
		MemoryContext spi = MemoryContextSwitchTo(caller);

		tup = heap_modify_tuple_by_cols(tup, desc, n, attnums, values, nulls);
		MemoryContextSwitchTo(spi);
	}
	SPI_finish();
	return PointerGetDatum(tup);
}
