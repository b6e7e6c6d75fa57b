/*
 * cowrie_lookup_snapshots(text[]): the snapshot each IP would give a session,
 * for many IPs in one query. Beyond the array itself, memory stays within a
 * few times work_mem (two sorts, a batch of keys, the result) whatever the
 * array's size.
 *
 * Each valid IP goes as its binary address into a tuplesort (IPv4 as int8,
 * IPv6 as the 16 bytes of a uuid), which spills past work_mem. The sorted
 * keys are read back once, duplicates skipped, into batches of at most
 * work_mem bytes. A batch is matched against ip_inventory either by index
 * probes, PROBE_CHUNK canonical IPs per execution, or, when the planner
 * expects fewer than SCAN_RATIO inventory rows per key of the batch, by one
 * pass over the inventory that looks each row's IP up in the batch. Both
 * use SQL through SPI (permissions and row security apply) and give the same
 * rows. Rows go to the materialize-mode tuplestore, which spills past
 * work_mem too.
 */
#include "postgres.h"

#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "fmgr.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "nodes/plannodes.h"
#include "port/pg_bswap.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/memutils.h"
#include "utils/plancache.h"
#include "utils/tuplesort.h"
#include "utils/typcache.h"
#include "utils/uuid.h"

#include "compat.h"
#include "cowrie_ip.h"
#include "snapshot.h"

PG_FUNCTION_INFO_V1(cowrie_lookup_snapshots);

/*
 * Distinct IPs per index probe (one SPI execution, its rows freed after), and
 * rows per fetch of the inventory pass. Small: the index scan sorts each
 * chunk's keys again, with the column's collation; 100-1000 measured within
 * 10% of each other.
 */
#define PROBE_CHUNK 256

/*
 * The inventory pass is taken when the planner expects fewer than
 * SCAN_RATIO inventory rows per key of the batch: a row read and looked up
 * cost 0.2 us here, an index probe 1.1 us (100k and 1M keys against 7.5k
 * and 1M rows); a little below that ratio, since the probes of a small batch
 * touch fewer pages than a pass.
 */
#define SCAN_RATIO 4.0

/* PostgreSQL 16 added the copy argument; without it a by-ref datum is a fresh palloc. */
#if PG_VERSION_NUM >= 160000
#define lookup_getdatum(state, val, isnull) tuplesort_getdatum((state), true, false, (val), (isnull), NULL)
#else
#define lookup_getdatum(state, val, isnull) tuplesort_getdatum((state), true, (val), (isnull), NULL)
#endif

typedef struct ip6key
{
	uint8		b[16];
} ip6key;

/* Distinct keys in ascending order (IPv4 numerically, IPv6 bytewise), in batchcxt. */
typedef struct key_batch
{
	uint32	   *v4;
	ip6key	   *v6;
	Size		n4,
				n6,
				cap4,
				cap6;
} key_batch;

typedef struct lookup_state
{
	ReturnSetInfo *rsinfo;
	SPIPlanPtr	probe;			/* the rows of an array of canonical IPs */
	SPIPlanPtr	scan;			/* every row */
	double		inventory_rows; /* the planner's estimate for scan */
	Size		budget;			/* bytes of keys per batch */
	int			batches;		/* matched so far (DEBUG1 says each) */
	key_batch	batch;
	MemoryContext batchcxt;		/* the batch's keys; reset per batch */
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

static SPIPlanPtr
prepare(const char *query, int nargs, Oid *argtypes)
{
	/* Generic: a custom plan would be made again for each array. */
	SPIPlanPtr	plan = SPI_prepare_cursor(query, nargs, argtypes, CURSOR_OPT_GENERIC_PLAN);

	if (plan == NULL)
		elog(ERROR, "SPI_prepare failed for cowrie_lookup_snapshots: %s",
			 SPI_result_code_string(SPI_result));
	return plan;
}

/* Rows the planner expects a plan to return (it estimates unanalyzed tables from their size). */
static double
planned_rows(SPIPlanPtr plan)
{
	CachedPlan *cplan = SPI_plan_get_cached_plan(plan);
	double		rows = -1;

	if (cplan == NULL)
		return -1;
	if (list_length(cplan->stmt_list) == 1)
		rows = linitial_node(PlannedStmt, cplan->stmt_list)->planTree->plan_rows;
	ReleaseCachedPlan(cplan, NULL);
	return rows;
}

/* The query casts every column; checked again, since a datum read as another type crashes. */
static void
check_result(TupleDesc desc)
{
	if (SPI_gettypeid(desc, 1) != TEXTOID)
		ereport(ERROR,
				(errcode(ERRCODE_DATATYPE_MISMATCH),
				 errmsg("cowrie_lookup_snapshots: inventory column 1 is of type %s, not text",
						format_type_be(SPI_gettypeid(desc, 1)))));
	cowrie_inventory_check_result(desc, 2, "cowrie_lookup_snapshots");
}

/* One inventory row into the tuplestore. */
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
	rc = SPI_execute_plan(st->probe, args, NULL, true, 0);
	if (rc != SPI_OK_SELECT)
		elog(ERROR, "cowrie_lookup_snapshots: inventory probe failed: %s", SPI_result_code_string(rc));
	check_result(SPI_tuptable->tupdesc);
	for (r = 0; r < SPI_processed; r++)
		emit_row(st, SPI_tuptable->vals[r], SPI_tuptable->tupdesc);
	SPI_freetuptable(SPI_tuptable);
	MemoryContextReset(st->chunkcxt);
	st->n = 0;
}

static uint32
v4_key(const cowrie_ip *ip)
{
	uint32		be;

	memcpy(&be, ip->addr, sizeof(be));
	return pg_ntoh32(be);
}

static void
v4_ip(uint32 key, cowrie_ip *ip)
{
	memset(ip, 0, sizeof(*ip));
	ip->family = 4;
	ip->addr[0] = (uint8) (key >> 24);
	ip->addr[1] = (uint8) (key >> 16);
	ip->addr[2] = (uint8) (key >> 8);
	ip->addr[3] = (uint8) key;
}

static void
probe_ip(lookup_state *st, const cowrie_ip *ip)
{
	char		buf[COWRIE_IP_TEXT_MAX];
	size_t		len = cowrie_ip_format(ip, buf);
	MemoryContext oldcxt = MemoryContextSwitchTo(st->chunkcxt);

	st->ips[st->n++] = PointerGetDatum(cstring_to_text_with_len(buf, (int) len));
	MemoryContextSwitchTo(oldcxt);
	if (st->n == PROBE_CHUNK)
		flush_chunk(st);
}

static bool
batch_has_v4(const key_batch *b, uint32 key)
{
	Size		lo = 0,
				hi = b->n4;

	while (lo < hi)
	{
		Size		mid = lo + (hi - lo) / 2;

		if (b->v4[mid] < key)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < b->n4 && b->v4[lo] == key;
}

static bool
batch_has_v6(const key_batch *b, const uint8 *key)
{
	Size		lo = 0,
				hi = b->n6;

	while (lo < hi)
	{
		Size		mid = lo + (hi - lo) / 2;

		if (memcmp(b->v6[mid].b, key, 16) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < b->n6 && memcmp(b->v6[lo].b, key, 16) == 0;
}

/*
 * One pass over the inventory: each row whose ip_address is canonical (the
 * probe matches canonical text with =, so only those) and in the batch.
 */
static void
scan_batch(lookup_state *st)
{
	Portal		portal = SPI_cursor_open(NULL, st->scan, NULL, NULL, true);

	for (;;)
	{
		uint64		r;

		SPI_cursor_fetch(portal, true, PROBE_CHUNK);
		if (SPI_processed == 0)
			break;
		check_result(SPI_tuptable->tupdesc);
		for (r = 0; r < SPI_processed; r++)
		{
			HeapTuple	tup = SPI_tuptable->vals[r];
			bool		isnull;
			Datum		d = SPI_getbinval(tup, SPI_tuptable->tupdesc, 1, &isnull);
			text	   *t;
			cowrie_ip	ip;
			char		buf[COWRIE_IP_TEXT_MAX];
			size_t		len;
			bool		hit;

			CHECK_FOR_INTERRUPTS();
			if (isnull)
				continue;
			t = DatumGetTextPP(d);
			if (!cowrie_ip_parse(VARDATA_ANY(t), VARSIZE_ANY_EXHDR(t), &ip))
				continue;
			len = cowrie_ip_format(&ip, buf);
			if (len != VARSIZE_ANY_EXHDR(t) || memcmp(buf, VARDATA_ANY(t), len) != 0)
				continue;
			if (ip.family == 4)
				hit = batch_has_v4(&st->batch, v4_key(&ip));
			else
				hit = batch_has_v6(&st->batch, ip.addr);
			if (hit)
				emit_row(st, tup, SPI_tuptable->tupdesc);
			if ((Pointer) t != DatumGetPointer(d))
				pfree(t);
		}
		SPI_freetuptable(SPI_tuptable);
	}
	SPI_cursor_close(portal);
}

/* Match the batch's keys against the inventory, the cheaper way, then empty it. */
static void
flush_batch(lookup_state *st)
{
	key_batch  *b = &st->batch;
	double		keys = (double) (b->n4 + b->n6);

	if (keys == 0)
		return;
	st->batches++;
	elog(DEBUG1, "cowrie_lookup_snapshots: batch %d, %.0f keys, %s", st->batches, keys,
		 st->inventory_rows >= 0 && st->inventory_rows < SCAN_RATIO * keys ? "one pass over the inventory" : "index probes");
	if (st->inventory_rows >= 0 && st->inventory_rows < SCAN_RATIO * keys)
		scan_batch(st);
	else
	{
		cowrie_ip	ip;
		Size		i;

		for (i = 0; i < b->n4; i++)
		{
			v4_ip(b->v4[i], &ip);
			probe_ip(st, &ip);
		}
		memset(&ip, 0, sizeof(ip));
		ip.family = 6;
		for (i = 0; i < b->n6; i++)
		{
			memcpy(ip.addr, b->v6[i].b, 16);
			probe_ip(st, &ip);
		}
		flush_chunk(st);
	}
	MemoryContextReset(st->batchcxt);
	memset(b, 0, sizeof(*b));
}

static void *
grow(MemoryContext cxt, void *p, Size *cap, Size elem)
{
	Size		n = *cap == 0 ? 1024 : *cap * 2;

	p = p == NULL ? MemoryContextAllocHuge(cxt, n * elem) : repalloc_huge(p, n * elem);
	*cap = n;
	return p;
}

static void
batch_add_v4(lookup_state *st, uint32 key)
{
	key_batch  *b = &st->batch;

	if (b->n4 == b->cap4)
		b->v4 = grow(st->batchcxt, b->v4, &b->cap4, sizeof(uint32));
	b->v4[b->n4++] = key;
	if (b->n4 * sizeof(uint32) + b->n6 * sizeof(ip6key) >= st->budget)
		flush_batch(st);
}

static void
batch_add_v6(lookup_state *st, const uint8 *key)
{
	key_batch  *b = &st->batch;

	if (b->n6 == b->cap6)
		b->v6 = grow(st->batchcxt, b->v6, &b->cap6, sizeof(ip6key));
	memcpy(b->v6[b->n6++].b, key, 16);
	if (b->n4 * sizeof(uint32) + b->n6 * sizeof(ip6key) >= st->budget)
		flush_batch(st);
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

		CHECK_FOR_INTERRUPTS();
		if (key == prev)
			continue;
		prev = key;
		batch_add_v4(st, (uint32) key);
	}
}

/* The sorted IPv6 keys, each distinct one once. */
static void
drain_v6(lookup_state *st, Tuplesortstate *sort)
{
	Datum		d;
	bool		isnull;
	bool		have_prev = false;
	uint8		prev[16];

	tuplesort_performsort(sort);
	for (;;)
	{
		bool		more;
		MemoryContext oldcxt = MemoryContextSwitchTo(st->rowcxt);

		/* Before PostgreSQL 16 each key comes back as a palloc'd copy. */
		more = lookup_getdatum(sort, &d, &isnull);
		MemoryContextSwitchTo(oldcxt);
		if (!more)
			break;
		CHECK_FOR_INTERRUPTS();
		if (!have_prev || memcmp(prev, DatumGetUUIDP(d)->data, 16) != 0)
		{
			memcpy(prev, DatumGetUUIDP(d)->data, 16);
			have_prev = true;
			MemoryContextReset(st->rowcxt);
			batch_add_v6(st, prev);
		}
		else
			MemoryContextReset(st->rowcxt);
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
	char	   *probe_sql,
			   *scan_sql;
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
			if (v4 == NULL)
				v4 = begin_sort(INT8OID);
			tuplesort_putdatum(v4, Int64GetDatum((int64) v4_key(&ip)), false);
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

	scan_sql = cowrie_inventory_select(cowrie_extension_schema(), true);
	probe_sql = psprintf("%s WHERE ip_address OPERATOR(pg_catalog.=) ANY ($1::pg_catalog.varchar[])", scan_sql);
	st = palloc0(sizeof(lookup_state));
	st->rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	st->budget = Max((Size) work_mem * 1024, 64 * 1024);
	st->batchcxt = AllocSetContextCreate(CurrentMemoryContext, "cowrie lookup batch", ALLOCSET_DEFAULT_SIZES);
	st->chunkcxt = AllocSetContextCreate(CurrentMemoryContext, "cowrie lookup chunk", ALLOCSET_DEFAULT_SIZES);
	st->rowcxt = AllocSetContextCreate(CurrentMemoryContext, "cowrie lookup row", ALLOCSET_DEFAULT_SIZES);

	SPI_connect();
	st->probe = prepare(probe_sql, 1, argtypes);
	st->scan = prepare(scan_sql, 0, NULL);
	st->inventory_rows = planned_rows(st->scan);
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
	flush_batch(st);
	SPI_finish();
	MemoryContextDelete(st->batchcxt);
	MemoryContextDelete(st->chunkcxt);
	MemoryContextDelete(st->rowcxt);
	pfree(st);
	pfree(probe_sql);
	pfree(scan_sql);
	return (Datum) 0;
}
