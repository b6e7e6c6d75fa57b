/*
 * cowrie_lookup_snapshots(text[]): the snapshot each IP would give a session,
 * for many IPs in one query, in memory bounded by work_mem whatever the
 * array's size. Each valid IP goes as its binary address into a tuplesort
 * (IPv4 as int8, IPv6 as the 16 bytes of a uuid), which spills past
 * work_mem; the sorted keys are read back once, duplicates skipped, and the
 * inventory is probed PROBE_CHUNK distinct IPs at a time in a context reset
 * after each chunk. Rows go to the materialize-mode tuplestore, which spills
 * past work_mem too.
 */
#include "postgres.h"

#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "fmgr.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/memutils.h"
#include "utils/tuplesort.h"
#include "utils/typcache.h"
#include "utils/uuid.h"

#include "compat.h"
#include "cowrie_ip.h"
#include "snapshot.h"

PG_FUNCTION_INFO_V1(cowrie_lookup_snapshots);

/*
 * Distinct IPs per inventory probe (one SPI execution, its rows freed after).
 * Small: the index scan sorts each chunk's keys again, with the column's
 * collation, and 100-1000 measured within 10% of each other.
 */
#define PROBE_CHUNK 256

/* PostgreSQL 16 added the copy argument; without it a by-ref datum is a fresh palloc. */
#if PG_VERSION_NUM >= 160000
#define lookup_getdatum(state, val, isnull) tuplesort_getdatum((state), true, false, (val), (isnull), NULL)
#else
#define lookup_getdatum(state, val, isnull) tuplesort_getdatum((state), true, (val), (isnull), NULL)
#endif

typedef struct lookup_state
{
	ReturnSetInfo *rsinfo;
	SPIPlanPtr	plan;
	MemoryContext chunkcxt;		/* the chunk's texts and array; reset per chunk */
	MemoryContext rowcxt;		/* one inventory row's decoding; reset per row */
	Datum		ips[PROBE_CHUNK];	/* canonical texts, in chunkcxt */
	int			n;
} lookup_state;

static Tuplesortstate *
begin_sort(Oid type)
{
	TypeCacheEntry *tc = lookup_type_cache(type, TYPECACHE_LT_OPR);

	return tuplesort_begin_datum(type, tc->lt_opr, InvalidOid, false, work_mem, NULL, TUPLESORT_NONE);
}

/* One inventory row of the probe's result into the tuplestore. */
static void
emit_row(lookup_state *st, HeapTuple tup, TupleDesc desc)
{
	cowrie_inventory_row inv;
	cowrie_snapshot snap;
	text	   *type;
	bool		isnull;
	Datum		d,
				values[5];
	bool		nulls[5] = {false, false, false, false, false};
	MemoryContext oldcxt = MemoryContextSwitchTo(st->rowcxt);

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

	/* tuplestore_putvalues copies into the tuplestore's own context. */
	tuplestore_putvalues(st->rsinfo->setResult, st->rsinfo->setDesc, values, nulls);
	MemoryContextReset(st->rowcxt);
}

/* Probe the inventory for the chunk's IPs, then free everything the chunk used. */
static void
flush_chunk(lookup_state *st)
{
	Datum		args[1];
	int			rc;
	uint64		r;
	MemoryContext oldcxt;

	if (st->n == 0)
		return;
	/* In the chunk's context, not SPI's: that one lives until SPI_finish. */
	oldcxt = MemoryContextSwitchTo(st->chunkcxt);
	args[0] = PointerGetDatum(construct_array(st->ips, st->n, TEXTOID, -1, false, TYPALIGN_INT));
	MemoryContextSwitchTo(oldcxt);
	rc = SPI_execute_plan(st->plan, args, NULL, true, 0);
	if (rc != SPI_OK_SELECT)
		elog(ERROR, "cowrie_lookup_snapshots: inventory probe failed: %s", SPI_result_code_string(rc));
	for (r = 0; r < SPI_processed; r++)
		emit_row(st, SPI_tuptable->vals[r], SPI_tuptable->tupdesc);
	SPI_freetuptable(SPI_tuptable);
	MemoryContextReset(st->chunkcxt);
	st->n = 0;
}

static void
add_ip(lookup_state *st, const cowrie_ip *ip)
{
	char		buf[COWRIE_IP_TEXT_MAX];
	size_t		len = cowrie_ip_format(ip, buf);
	MemoryContext oldcxt = MemoryContextSwitchTo(st->chunkcxt);

	st->ips[st->n++] = PointerGetDatum(cstring_to_text_with_len(buf, (int) len));
	MemoryContextSwitchTo(oldcxt);
	if (st->n == PROBE_CHUNK)
		flush_chunk(st);
}

/* The sorted IPv4 keys, each distinct one once. */
static void
drain_v4(lookup_state *st, Tuplesortstate *sort)
{
	Datum		d;
	bool		isnull;
	int64		prev = -1;

	tuplesort_performsort(sort);
	while (lookup_getdatum(sort, &d, &isnull))
	{
		int64		key = DatumGetInt64(d);
		cowrie_ip	ip;

		CHECK_FOR_INTERRUPTS();
		if (key == prev)
			continue;
		prev = key;
		memset(&ip, 0, sizeof(ip));
		ip.family = 4;
		ip.addr[0] = (uint8) (key >> 24);
		ip.addr[1] = (uint8) (key >> 16);
		ip.addr[2] = (uint8) (key >> 8);
		ip.addr[3] = (uint8) key;
		add_ip(st, &ip);
	}
}

/* The sorted IPv6 keys, each distinct one once. */
static void
drain_v6(lookup_state *st, Tuplesortstate *sort)
{
	Datum		d;
	bool		isnull;
	bool		have_prev = false;
	cowrie_ip	ip;

	memset(&ip, 0, sizeof(ip));
	ip.family = 6;
	tuplesort_performsort(sort);
	for (;;)
	{
		bool		more;
		MemoryContext oldcxt = MemoryContextSwitchTo(st->chunkcxt);

		/* Before PostgreSQL 16 each key comes back as a palloc'd copy: freed with the chunk. */
		more = lookup_getdatum(sort, &d, &isnull);
		MemoryContextSwitchTo(oldcxt);
		if (!more)
			break;
		CHECK_FOR_INTERRUPTS();
		if (have_prev && memcmp(ip.addr, DatumGetUUIDP(d)->data, UUID_LEN) == 0)
			continue;
		memcpy(ip.addr, DatumGetUUIDP(d)->data, UUID_LEN);
		have_prev = true;
		add_ip(st, &ip);
	}
}

Datum
cowrie_lookup_snapshots(PG_FUNCTION_ARGS)
{
	ArrayType  *arr;
	ArrayIterator it;
	Datum		d;
	bool		isnull;
	Tuplesortstate *v4 = NULL,
			   *v6 = NULL;
	lookup_state *st;
	char	   *query;
	Oid			argtypes[1] = {TEXTARRAYOID};

	cowrie_init_materialized_srf(fcinfo);
	arr = PG_GETARG_ARRAYTYPE_P(0);
	if (ARR_NDIM(arr) > 1)
		ereport(ERROR,
				(errcode(ERRCODE_ARRAY_SUBSCRIPT_ERROR),
				 errmsg("cowrie_lookup_snapshots expects a one-dimensional array"),
				 errdetail("The array has %d dimensions.", ARR_NDIM(arr))));

	/* The elements are read in place; invalid and NULL ones are dropped. */
	it = array_create_iterator(arr, 0, NULL);
	while (array_iterate(it, &d, &isnull))
	{
		text	   *t;
		cowrie_ip	ip;

		CHECK_FOR_INTERRUPTS();
		if (isnull)
			continue;
		t = DatumGetTextPP(d);
		if (!cowrie_ip_parse(VARDATA_ANY(t), VARSIZE_ANY_EXHDR(t), &ip))
			continue;
		if (ip.family == 4)
		{
			int64		key = ((int64) ip.addr[0] << 24) | (ip.addr[1] << 16) | (ip.addr[2] << 8) | ip.addr[3];

			if (v4 == NULL)
				v4 = begin_sort(INT8OID);
			tuplesort_putdatum(v4, Int64GetDatum(key), false);
		}
		else
		{
			pg_uuid_t	key;

			StaticAssertStmt(sizeof(key.data) == sizeof(ip.addr), "an IPv6 address is a uuid's size");
			memcpy(key.data, ip.addr, UUID_LEN);
			if (v6 == NULL)
				v6 = begin_sort(UUIDOID);
			tuplesort_putdatum(v6, UUIDPGetDatum(&key), false);
		}
	}
	array_free_iterator(it);
	PG_FREE_IF_COPY(arr, 0);
	if (v4 == NULL && v6 == NULL)
		return (Datum) 0;

	query = psprintf("SELECT ip_address::pg_catalog.text, current_asn, geo_country::pg_catalog.text, "
					 "ip_types, enrichment, enrichment_updated_at FROM %s "
					 "WHERE ip_address OPERATOR(pg_catalog.=) ANY ($1::pg_catalog.varchar[])",
					 cowrie_inventory_relname());
	st = palloc0(sizeof(lookup_state));
	st->rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	st->chunkcxt = AllocSetContextCreate(CurrentMemoryContext, "cowrie lookup chunk", ALLOCSET_DEFAULT_SIZES);
	st->rowcxt = AllocSetContextCreate(CurrentMemoryContext, "cowrie lookup row", ALLOCSET_DEFAULT_SIZES);

	SPI_connect();
	/* One plan for every chunk: a custom plan would be made again for each array. */
	st->plan = SPI_prepare_cursor(query, 1, argtypes, CURSOR_OPT_GENERIC_PLAN);
	if (st->plan == NULL)
		elog(ERROR, "SPI_prepare failed for cowrie_lookup_snapshots: %s",
			 SPI_result_code_string(SPI_result));
	if (v4 != NULL)
	{
		drain_v4(st, v4);
		tuplesort_end(v4);
	}
	if (v6 != NULL)
	{
		drain_v6(st, v6);
		tuplesort_end(v6);
	}
	flush_chunk(st);
	SPI_finish();
	MemoryContextDelete(st->chunkcxt);
	MemoryContextDelete(st->rowcxt);
	pfree(st);
	pfree(query);
	return (Datum) 0;
}
