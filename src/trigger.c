/*
 * Ingestion-time snapshots: a BEFORE INSERT OR UPDATE row trigger on
 * session_summaries (installed by the migration) that fills NULL source_ip
 * and snapshot columns from ip_inventory. It never overwrites a valid value,
 * so upstream's ON CONFLICT ... COALESCE upsert keeps its meaning; a value
 * the rule can never produce counts as absent. Outcomes that enrichment may
 * still change (public IP not yet in the inventory, or without a country)
 * are left NULL for cowrie_backfill to decide later. Rows whose snapshot
 * columns all hold valid values return at once.
 */
#include "postgres.h"

#include "access/htup_details.h"
#include "access/relation.h"
#include "catalog/pg_class.h"
#include "catalog/pg_type.h"
#include "mb/pg_wchar.h"
#include "commands/trigger.h"
#include "executor/spi.h"
#include "fmgr.h"
#include "miscadmin.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"
#include "utils/syscache.h"
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

/* The types the trigger reads and writes each session column as. */
static const Oid text_types[] = {TEXTOID, VARCHAROID};
static const Oid country_types[] = {TEXTOID, VARCHAROID, BPCHAROID};
static const Oid json_types[] = {JSONOID, JSONBOID};
static const Oid int4_types[] = {INT4OID};
static const Oid time_types[] = {TIMESTAMPTZOID, TIMESTAMPOID};

typedef struct column_rule
{
	const char *name;
	const Oid  *types;
	int			ntypes;
	const char *expected;		/* the types, for messages */
	int			min_length;		/* of a varchar or char limit: what the trigger writes */
} column_rule;

static const column_rule country_rule = {"snapshot_country", country_types, lengthof(country_types), "text, varchar or char(2)", 2};
static const column_rule ip_type_rule = {"snapshot_ip_type", text_types, lengthof(text_types), "text or varchar", 0};
static const column_rule source_ip_rule = {"source_ip", text_types, lengthof(text_types), "text or varchar", 0};
static const column_rule enrichment_rule = {"enrichment", json_types, lengthof(json_types), "json or jsonb", 0};
static const column_rule asn_rule = {"snapshot_asn", int4_types, lengthof(int4_types), "integer", 0};
static const column_rule enrichment_at_rule = {"enrichment_at", time_types, lengthof(time_types),
"timestamptz, or timestamp holding UTC", 0};

static const column_rule *const session_rules[] = {
	&source_ip_rule, &enrichment_rule, &asn_rule, &country_rule, &ip_type_rule, &enrichment_at_rule
};

/*
 * Does the column have a type the trigger reads and writes it as? A length
 * limit too short for what the trigger writes does not fit either (the
 * executor does not check a BEFORE trigger's values against it).
 */
static bool
column_fits(Form_pg_attribute att, const column_rule *rule)
{
	int			i;

	for (i = 0; i < rule->ntypes; i++)
		if (att->atttypid == rule->types[i])
			break;
	return i < rule->ntypes &&
		!(att->atttypmod >= 0 && att->atttypmod - VARHDRSZ < rule->min_length) &&
		!(att->atttypid == BPCHAROID && att->atttypmod >= 0 && att->atttypmod - VARHDRSZ != rule->min_length);
}

/*
 * The column's number, after checking its type: the trigger may be attached
 * to any table, and a datum read or written as another type crashes the
 * server.
 */
static int
column(TupleDesc desc, Relation rel, const column_rule *rule)
{
	int			attnum = SPI_fnumber(desc, rule->name);
	Form_pg_attribute att;

	if (attnum <= 0)
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_COLUMN),
				 errmsg("cowrie_session_snapshot_trigger: column \"%s\" of \"%s\" not found",
						rule->name, RelationGetRelationName(rel)),
				 errhint("The trigger belongs on session_summaries after the v16 migration.")));
	att = TupleDescAttr(desc, attnum - 1);
	if (!column_fits(att, rule))
		ereport(ERROR,
				(errcode(ERRCODE_DATATYPE_MISMATCH),
				 errmsg("cowrie_session_snapshot_trigger: column \"%s\" of \"%s\" is of type %s",
						rule->name, RelationGetRelationName(rel), format_type_with_typemod(att->atttypid, att->atttypmod)),
				 errdetail("The trigger reads and writes \"%s\" as %s.", rule->name, rule->expected),
				 errhint("The trigger belongs on session_summaries with the column types the v16 migration creates.")));
	return attnum;
}

/*
 * cowrie_session_columns_refused(regclass) -> text[]: the columns of a
 * session table that exist with a type the trigger would refuse, so that the
 * migration refuses them before it writes (the same rule, not a copy).
 */
PG_FUNCTION_INFO_V1(cowrie_session_columns_refused);

Datum
cowrie_session_columns_refused(PG_FUNCTION_ARGS)
{
	Relation	rel = relation_open(PG_GETARG_OID(0), AccessShareLock);
	TupleDesc	desc = RelationGetDescr(rel);
	ArrayBuildState *refused = initArrayResult(TEXTOID, CurrentMemoryContext, false);
	int			i;

	for (i = 0; i < (int) lengthof(session_rules); i++)
	{
		const column_rule *rule = session_rules[i];
		int			attnum = SPI_fnumber(desc, rule->name);
		Form_pg_attribute att;

		if (attnum <= 0)
			continue;			/* the migration adds it */
		att = TupleDescAttr(desc, attnum - 1);
		if (column_fits(att, rule))
			continue;
		accumArrayResult(refused,
						 CStringGetTextDatum(psprintf("%s is %s (expected %s)", rule->name,
													  format_type_with_typemod(att->atttypid, att->atttypmod),
													  rule->expected)),
						 false, TEXTOID, CurrentMemoryContext);
	}
	relation_close(rel, AccessShareLock);
	PG_RETURN_DATUM(makeArrayResult(refused, CurrentMemoryContext));
}

/* A text value the trigger writes, refused like the column's own input would refuse it. */
static Datum
fitting_text(TupleDesc desc, int attnum, text *value)
{
	Form_pg_attribute att = TupleDescAttr(desc, attnum - 1);

	if (att->atttypmod >= 0 &&
		pg_mbstrlen_with_len(VARDATA_ANY(value), VARSIZE_ANY_EXHDR(value)) > att->atttypmod - VARHDRSZ)
		ereport(ERROR,
				(errcode(ERRCODE_STRING_DATA_RIGHT_TRUNCATION),
				 errmsg("cowrie_session_snapshot_trigger: value too long for column \"%s\" (%s)",
						NameStr(att->attname), format_type_with_typemod(att->atttypid, att->atttypmod)),
				 errdetail("The value is \"%s\".", text_to_cstring(value)),
				 errhint("Widen the column.")));
	return PointerGetDatum(value);
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
 * The inventory probe, prepared once per backend, trigger function and
 * session table: finding the extension's schema and planning the query cost
 * more than running it, and the trigger runs for every session the loader
 * writes. The plan cache replans it after DDL on ip_inventory (by name, so a
 * recreated table is found); a re-created extension has a new function oid,
 * so its schema is looked up and the query prepared again.
 */
static SPIPlanPtr inventory_plan = NULL;
static Oid	inventory_plan_function = InvalidOid;
static Oid	inventory_plan_table = InvalidOid;
static Oid	inventory_plan_schema = InvalidOid;

static SPIPlanPtr
inventory_probe(Relation sessions, Oid function)
{
	Oid			argtypes[1] = {TEXTOID};
	Oid			schema;
	SPIPlanPtr	plan;

	if (inventory_plan != NULL && inventory_plan_function == function &&
		inventory_plan_table == RelationGetRelid(sessions))
		return inventory_plan;
	/* Forgotten first: an error below must not leave a plan for another key. */
	if (inventory_plan != NULL)
	{
		plan = inventory_plan;
		inventory_plan = NULL;
		SPI_freeplan(plan);
	}
	schema = cowrie_extension_schema();
	plan = SPI_prepare(psprintf("%s WHERE ip_address OPERATOR(pg_catalog.=) $1::pg_catalog.varchar",
								cowrie_inventory_select(schema, false)),
					   1, argtypes);
	if (plan == NULL)
		elog(ERROR, "cowrie_session_snapshot_trigger: SPI_prepare failed: %s", SPI_result_code_string(SPI_result));
	if (SPI_keepplan(plan) != 0)
		elog(ERROR, "cowrie_session_snapshot_trigger: SPI_keepplan failed");
	elog(DEBUG1, "cowrie_session_snapshot_trigger: inventory probe prepared for \"%s\"",
		 RelationGetRelationName(sessions));
	inventory_plan = plan;
	inventory_plan_function = function;
	inventory_plan_table = RelationGetRelid(sessions);
	inventory_plan_schema = schema;
	return plan;
}

/*
 * Context for any error of the probe; a GRANT hint only for a permission
 * error. Runs while the error is being reported: no catalog access.
 */
static void
probe_error_context(void *arg)
{
	Relation	sessions = (Relation) arg;

	errcontext("trigger cowrie_session_snapshot on \"%s\" reading ip_inventory as its owner",
			   RelationGetRelationName(sessions));
	if (geterrcode() == ERRCODE_INSUFFICIENT_PRIVILEGE)
		errhint("The trigger reads ip_inventory as the table's owner (as a foreign-key check reads the "
				"referenced table): that role needs SELECT on ip_inventory and USAGE on its schema.");
}

/*
 * The probe runs as the owner of ip_inventory, in a restricted security
 * context, as PostgreSQL's foreign-key checks read the referenced table as
 * its owner (ri_triggers.c): a loader that may write sessions needs no
 * right on the inventory. An error aborts the (sub)transaction, which
 * restores the user.
 */
static int
probe_as_owner(Relation sessions, Oid function, Datum *args)
{
	ErrorContextCallback errcallback;
	SPIPlanPtr	plan;
	HeapTuple	inventory;
	Oid			owner;
	Oid			save_userid;
	int			save_sec_context;
	int			rc;

	errcallback.callback = probe_error_context;
	errcallback.arg = (void *) sessions;
	errcallback.previous = error_context_stack;
	error_context_stack = &errcallback;

	plan = inventory_probe(sessions, function);
	inventory = SearchSysCache2(RELNAMENSP, CStringGetDatum("ip_inventory"),
								ObjectIdGetDatum(inventory_plan_schema));
	if (!HeapTupleIsValid(inventory))
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_TABLE),
				 errmsg("relation \"%s.ip_inventory\" does not exist", get_namespace_name(inventory_plan_schema))));
	owner = ((Form_pg_class) GETSTRUCT(inventory))->relowner;
	ReleaseSysCache(inventory);

	GetUserIdAndSecContext(&save_userid, &save_sec_context);
	SetUserIdAndSecContext(owner, save_sec_context | SECURITY_LOCAL_USERID_CHANGE |
						   SECURITY_NOFORCE_RLS | SECURITY_RESTRICTED_OPERATION);
	rc = SPI_execute_plan(plan, args, NULL, true, 1);
	SetUserIdAndSecContext(save_userid, save_sec_context);
	if (rc == SPI_OK_SELECT)
		cowrie_inventory_check_result(SPI_tuptable->tupdesc, 1, "cowrie_session_snapshot_trigger");

	error_context_stack = errcallback.previous;
	return rc;
}

/* ip is canonical (cowrie_session_ip). */
static void
fetch_inventory(Relation sessions, Oid function, text *ip, cowrie_inventory_row *inv, Datum *enrichment_at,
				bool *enrichment_at_null)
{
	Datum		args[1];
	int			rc;

	memset(inv, 0, sizeof(*inv));
	inv->asn_isnull = true;
	*enrichment_at_null = true;
	args[0] = PointerGetDatum(ip);
	rc = probe_as_owner(sessions, function, args);
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
		/* timestamptz (cowrie_utc): by value, the same integer in a timestamp column */
		*enrichment_at = SPI_getbinval(tup, desc, 5, enrichment_at_null);
	}
}

static bool
column_null(HeapTuple tup, TupleDesc desc, int attnum)
{
	bool		isnull;

	(void) SPI_getbinval(tup, desc, attnum, &isnull);
	return isnull;
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
	/*
	 * The writer has decided these rows by the same rule a moment ago; a
	 * second inventory lookup per row cost 10% of a backfill, and on Citus,
	 * where each lookup of the reference table is planned again, 31%.
	 */
	if (cowrie_writer_active)
		return PointerGetDatum(tup);
	cols.snapshot_country = column(desc, rel, &country_rule);
	cols.snapshot_ip_type = column(desc, rel, &ip_type_rule);

	/*
	 * A value the rule can never produce (a country that is not two letters
	 * A-Z, such as upstream's '', or the JSON text of a type list) counts as
	 * absent: the rule computes it as if the loader had left it NULL. A
	 * valid value is never overwritten. Rows whose snapshot columns all hold
	 * values return here. A written country does not end it: upstream's
	 * loader always writes one, and reads types from SPUR only.
	 */
	country_absent = !valid_text(tup, desc, cols.snapshot_country, cowrie_country_code_valid, &country_null);
	type_absent = !valid_text(tup, desc, cols.snapshot_ip_type, cowrie_ip_type_valid, &type_null);
	cols.snapshot_asn = column(desc, rel, &asn_rule);
	cols.enrichment_at = column(desc, rel, &enrichment_at_rule);
	if (!country_absent && !type_absent && !column_null(tup, desc, cols.snapshot_asn) &&
		!column_null(tup, desc, cols.enrichment_at))
		return PointerGetDatum(tup);
	cols.source_ip = column(desc, rel, &source_ip_rule);
	cols.enrichment = column(desc, rel, &enrichment_rule);

	SPI_connect();
	ip = session_ip(tup, desc, &cols);
	if (ip != NULL)
		fetch_inventory(rel, fcinfo->flinfo->fn_oid, ip, &inv, &enrichment_at, &enrichment_at_null);
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
		values[n] = fitting_text(desc, cols.source_ip, ip);
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
			values[n] = ip_type != NULL ? fitting_text(desc, cols.snapshot_ip_type, ip_type) : (Datum) 0;
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
