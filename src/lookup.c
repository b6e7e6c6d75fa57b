/*
 * cowrie_lookup_snapshots(text[]): the snapshot each IP would give a session,
 * for many IPs in one query. Materialize mode: rows go to a tuplestore that
 * spills past work_mem, and inventory rows are fetched through a cursor in
 * chunks, so a 100,000-IP array runs in bounded memory.
 */
#include "postgres.h"

#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "fmgr.h"
#include "funcapi.h"
#include "utils/builtins.h"
#include "utils/memutils.h"

#include "compat.h"
#include "cowrie_ip.h"
#include "snapshot.h"

PG_FUNCTION_INFO_V1(cowrie_lookup_snapshots);

#define FETCH_CHUNK 1000

static int
compare_cstrings(const void *a, const void *b)
{
	return strcmp(*(char *const *) a, *(char *const *) b);
}

/* Canonical, distinct, sorted; invalid and NULL inputs dropped. */
static ArrayType *
canonical_distinct(ArrayType *arr)
{
	Datum	   *elems;
	bool	   *nulls;
	int			n,
				i,
				kept = 0,
				distinct = 0;
	char	  **ips;
	Datum	   *out;

	if (ARR_NDIM(arr) > 1)
		ereport(ERROR,
				(errcode(ERRCODE_ARRAY_SUBSCRIPT_ERROR),
				 errmsg("cowrie_lookup_snapshots expects a one-dimensional array"),
				 errdetail("The array has %d dimensions.", ARR_NDIM(arr))));
	deconstruct_array(arr, TEXTOID, -1, false, TYPALIGN_INT, &elems, &nulls, &n);
	ips = palloc(sizeof(char *) * Max(n, 1));
	for (i = 0; i < n; i++)
	{
		text	   *t;
		char		buf[COWRIE_IP_TEXT_MAX];
		size_t		len;

		if (nulls[i])
			continue;
		t = DatumGetTextPP(elems[i]);
		len = cowrie_ip_canonical(VARDATA_ANY(t), VARSIZE_ANY_EXHDR(t), buf);
		if (len > 0)
			ips[kept++] = pnstrdup(buf, len);
	}
	qsort(ips, kept, sizeof(char *), compare_cstrings);
	out = palloc(sizeof(Datum) * Max(kept, 1));
	for (i = 0; i < kept; i++)
		if (distinct == 0 || strcmp(ips[i], ips[i - 1]) != 0)
			out[distinct++] = CStringGetTextDatum(ips[i]);
	return construct_array(out, distinct, TEXTOID, -1, false, TYPALIGN_INT);
}

Datum
cowrie_lookup_snapshots(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	ArrayType  *ips;
	char	   *query;
	SPIPlanPtr	plan;
	Portal		portal;
	Oid			argtypes[1] = {TEXTARRAYOID};
	Datum		args[1];
	MemoryContext rowcxt,
				oldcxt;

	cowrie_init_materialized_srf(fcinfo);
	ips = canonical_distinct(PG_GETARG_ARRAYTYPE_P(0));
	if (ArrayGetNItems(ARR_NDIM(ips), ARR_DIMS(ips)) == 0)
		return (Datum) 0;

	query = psprintf("SELECT ip_address::pg_catalog.text, current_asn, geo_country::pg_catalog.text, "
					 "ip_types, enrichment, enrichment_updated_at FROM %s "
					 "WHERE ip_address OPERATOR(pg_catalog.=) ANY ($1::pg_catalog.varchar[])",
					 cowrie_inventory_relname());
	args[0] = PointerGetDatum(ips);
	rowcxt = AllocSetContextCreate(CurrentMemoryContext, "cowrie lookup row",
								   ALLOCSET_DEFAULT_SIZES);

	SPI_connect();
	plan = SPI_prepare(query, 1, argtypes);
	if (plan == NULL)
		elog(ERROR, "SPI_prepare failed for cowrie_lookup_snapshots: %s",
			 SPI_result_code_string(SPI_result));
	portal = SPI_cursor_open(NULL, plan, args, NULL, true);
	for (;;)
	{
		uint64		r;

		SPI_cursor_fetch(portal, true, FETCH_CHUNK);
		if (SPI_processed == 0)
			break;
		for (r = 0; r < SPI_processed; r++)
		{
			HeapTuple	tup = SPI_tuptable->vals[r];
			TupleDesc	desc = SPI_tuptable->tupdesc;
			cowrie_inventory_row inv;
			cowrie_snapshot snap;
			text	   *type;
			bool		isnull;
			Datum		d,
						values[5];
			bool		nulls[5] = {false, false, false, false, false};

			oldcxt = MemoryContextSwitchTo(rowcxt);
			inv.found = true;
			d = SPI_getbinval(tup, desc, 2, &inv.asn_isnull);
			inv.asn = inv.asn_isnull ? 0 : DatumGetInt32(d);
			d = SPI_getbinval(tup, desc, 3, &isnull);
			inv.geo_country = isnull ? NULL : DatumGetTextPP(d);
			d = SPI_getbinval(tup, desc, 4, &isnull);
			inv.ip_types = isnull ? NULL : DatumGetArrayTypeP(d);
			d = SPI_getbinval(tup, desc, 5, &isnull);
			inv.enrichment = isnull ? (Datum) 0 : d;
			values[0] = SPI_getbinval(tup, desc, 1, &isnull);
			cowrie_snapshot_compute(DatumGetTextPP(values[0]), &inv, &snap, &type);

			values[1] = Int32GetDatum(snap.asn);
			nulls[1] = snap.asn_isnull;
			/* The lookup reports what is known: 'XX' is "no country" here. */
			nulls[2] = snap.outcome != COWRIE_OUTCOME_ENRICHED;
			values[2] = nulls[2] ? (Datum) 0 : PointerGetDatum(cstring_to_text(snap.country));
			nulls[3] = (type == NULL);
			values[3] = type ? PointerGetDatum(type) : (Datum) 0;
			values[4] = SPI_getbinval(tup, desc, 6, &nulls[4]);
			nulls[4] = nulls[4] || !snap.enrichment_at_from_inventory;
			MemoryContextSwitchTo(oldcxt);

			tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
			MemoryContextReset(rowcxt);
		}
		SPI_freetuptable(SPI_tuptable);
	}
	SPI_cursor_close(portal);
	SPI_finish();
	MemoryContextDelete(rowcxt);
	return (Datum) 0;
}
