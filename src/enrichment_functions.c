/*
 * SQL glue for reading enrichment documents and raw events, in json and
 * jsonb. The rules live in core/cowrie_enrichment.c; json is read lazily
 * with the core reader, jsonb in place through jsonb_access.c.
 */
#include "postgres.h"

#include "access/detoast.h"
#include "access/htup_details.h"
#include "catalog/namespace.h"
#include "catalog/pg_type.h"
#include "fmgr.h"
#include "funcapi.h"
#include "mb/pg_wchar.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/jsonb.h"
#if PG_VERSION_NUM >= 160000
#include "nodes/miscnodes.h"
#endif

#include "cowrie_enrichment.h"
#include "cowrie_ip.h"
#include "cowrie_json.h"
#include "enrichment_functions.h"
#include "fmgr_util.h"
#include "jsonb_access.h"

PG_FUNCTION_INFO_V1(cowrie_extract_ip_jsonb);
PG_FUNCTION_INFO_V1(cowrie_extract_ip_json);
PG_FUNCTION_INFO_V1(cowrie_ip_types_jsonb);
PG_FUNCTION_INFO_V1(cowrie_ip_types_json);
PG_FUNCTION_INFO_V1(cowrie_enrichment_facts_jsonb);
PG_FUNCTION_INFO_V1(cowrie_enrichment_facts_json);
PG_FUNCTION_INFO_V1(cowrie_event_ip_jsonb);
PG_FUNCTION_INFO_V1(cowrie_event_ip_json);
PG_FUNCTION_INFO_V1(cowrie_jsonb_safe);
PG_FUNCTION_INFO_V1(cowrie_json_fits_jsonb);
PG_FUNCTION_INFO_V1(cowrie_session_ip_jsonb);
PG_FUNCTION_INFO_V1(cowrie_session_ip_json);

/* A json argument's root node; false for text the reader cannot start on. */
static bool
json_root(text *doc, cowrie_jnode *root)
{
	return cowrie_text_json_root(VARDATA_ANY(doc), VARSIZE_ANY_EXHDR(doc), root);
}

/* Facts of an enrichment document (json or jsonb); with ip_only the ASN is not read. */
static void
facts_of(Datum doc, bool is_jsonb, bool ip_only, cowrie_enrichment_facts *facts)
{
	cowrie_jnode root;
	const cowrie_json_ops *ops;

	if (is_jsonb)
	{
		cowrie_jsonb_root(DatumGetJsonbP(doc), &root);
		ops = &cowrie_jsonb_ops;
	}
	else if (json_root(DatumGetTextPP(doc), &root))
		ops = &cowrie_text_json_ops;
	else
	{
		memset(facts, 0, sizeof(*facts));
		return;
	}
	/* json keeps key order, so its nested session map has a first key. */
	if (ip_only)
		cowrie_enrichment_extract_ip(ops, &root, !is_jsonb, facts);
	else
		cowrie_enrichment_extract(ops, &root, !is_jsonb, facts);
}

text *
cowrie_document_ip(Datum doc, bool is_jsonb)
{
	cowrie_enrichment_facts facts;

	facts_of(doc, is_jsonb, true, &facts);
	return facts.ip_len > 0 ? cstring_to_text_with_len(facts.ip, (int) facts.ip_len) : NULL;
}

text *
cowrie_session_ip(text *source_ip, Datum doc, bool doc_isnull, bool is_jsonb)
{
	if (source_ip != NULL)
	{
		char		buf[COWRIE_IP_TEXT_MAX];
		size_t		len = cowrie_ip_canonical(VARDATA_ANY(source_ip), VARSIZE_ANY_EXHDR(source_ip), buf);

		if (len > 0)
			return cstring_to_text_with_len(buf, (int) len);
	}
	return doc_isnull ? NULL : cowrie_document_ip(doc, is_jsonb);
}

/* cowrie_session_ip(source_ip text, enrichment json or jsonb); not STRICT. */
static Datum
session_ip(FunctionCallInfo fcinfo, bool is_jsonb)
{
	text	   *ip = cowrie_session_ip(PG_ARGISNULL(0) ? NULL : PG_GETARG_TEXT_PP(0),
									   PG_ARGISNULL(1) ? (Datum) 0 : PG_GETARG_DATUM(1),
									   PG_ARGISNULL(1), is_jsonb);

	if (ip == NULL)
		PG_RETURN_NULL();
	PG_RETURN_TEXT_P(ip);
}

Datum
cowrie_session_ip_jsonb(PG_FUNCTION_ARGS)
{
	return session_ip(fcinfo, true);
}

Datum
cowrie_session_ip_json(PG_FUNCTION_ARGS)
{
	return session_ip(fcinfo, false);
}

static Datum
extract_ip(FunctionCallInfo fcinfo, bool is_jsonb)
{
	text	   *ip = cowrie_document_ip(PG_GETARG_DATUM(0), is_jsonb);

	if (ip == NULL)
		PG_RETURN_NULL();
	PG_RETURN_TEXT_P(ip);
}

Datum
cowrie_extract_ip_jsonb(PG_FUNCTION_ARGS)
{
	return extract_ip(fcinfo, true);
}

Datum
cowrie_extract_ip_json(PG_FUNCTION_ARGS)
{
	return extract_ip(fcinfo, false);
}

static ArrayType *
cowrie_typeset_to_array(const cowrie_typeset *set)
{
	Datum		elems[COWRIE_TYPESET_MAX];
	int			i;

	for (i = 0; i < set->count; i++)
		elems[i] = PointerGetDatum(cstring_to_text_with_len(set->name[i], (int) set->len[i]));
	return construct_array(elems, set->count, TEXTOID, -1, false, TYPALIGN_INT);
}

void
cowrie_jsonb_ip_types(Jsonb *jb, cowrie_typeset *set)
{
	cowrie_jnode root;

	cowrie_jsonb_root(jb, &root);
	cowrie_enrichment_ip_types(&cowrie_jsonb_ops, &root, false, set);
}

Datum
cowrie_ip_types_jsonb(PG_FUNCTION_ARGS)
{
	cowrie_typeset set;

	cowrie_jsonb_ip_types(PG_GETARG_JSONB_P(0), &set);
	PG_RETURN_ARRAYTYPE_P(cowrie_typeset_to_array(&set));
}

Datum
cowrie_ip_types_json(PG_FUNCTION_ARGS)
{
	cowrie_typeset set;
	cowrie_jnode root;

	if (json_root(PG_GETARG_TEXT_PP(0), &root))
		cowrie_enrichment_ip_types(&cowrie_text_json_ops, &root, true, &set);
	else
		cowrie_typeset_init(&set);
	PG_RETURN_ARRAYTYPE_P(cowrie_typeset_to_array(&set));
}

/* (ip text, ip_invalid boolean, asn integer, asn_invalid boolean, nul_escape boolean) */
static Datum
facts_record(FunctionCallInfo fcinfo, bool is_jsonb)
{
	cowrie_enrichment_facts facts;
	TupleDesc	tupdesc;
	Datum		values[5];
	bool		nulls[5] = {false, false, false, false, false};
	Datum		doc;

	/* detoasted once: facts_of and the NUL scan below read the same copy */
	doc = is_jsonb ? PointerGetDatum(PG_GETARG_JSONB_P(0)) : PointerGetDatum(PG_GETARG_TEXT_PP(0));
	tupdesc = cowrie_result_tupdesc(fcinfo, "cowrie_enrichment_facts");
	facts_of(doc, is_jsonb, false, &facts);

	if (facts.ip_len > 0)
		values[0] = PointerGetDatum(cstring_to_text_with_len(facts.ip, (int) facts.ip_len));
	else
		nulls[0] = true;
	values[1] = BoolGetDatum(facts.ip_invalid);
	values[2] = Int32GetDatum(facts.asn);
	nulls[2] = !facts.asn_found;
	values[3] = BoolGetDatum(facts.asn_invalid);
	if (is_jsonb)
		values[4] = BoolGetDatum(false);
	else
	{
		text	   *t = (text *) DatumGetPointer(doc);

		values[4] = BoolGetDatum(cj_has_nul_escape(VARDATA_ANY(t), VARSIZE_ANY_EXHDR(t)));
	}
	PG_RETURN_DATUM(HeapTupleGetDatum(heap_form_tuple(tupdesc, values, nulls)));
}

Datum
cowrie_enrichment_facts_jsonb(PG_FUNCTION_ARGS)
{
	return facts_record(fcinfo, true);
}

Datum
cowrie_enrichment_facts_json(PG_FUNCTION_ARGS)
{
	return facts_record(fcinfo, false);
}

static Datum
event_ip(FunctionCallInfo fcinfo, bool is_jsonb)
{
	cowrie_jnode root;
	char		buf[COWRIE_IP_TEXT_MAX];
	size_t		len = 0;

	if (is_jsonb)
	{
		cowrie_jsonb_root(PG_GETARG_JSONB_P(0), &root);
		len = cowrie_event_ip(&cowrie_jsonb_ops, &root, buf);
	}
	else if (json_root(PG_GETARG_TEXT_PP(0), &root))
		len = cowrie_event_ip(&cowrie_text_json_ops, &root, buf);
	if (len == 0)
		PG_RETURN_NULL();
	PG_RETURN_TEXT_P(cstring_to_text_with_len(buf, (int) len));
}

Datum
cowrie_event_ip_jsonb(PG_FUNCTION_ARGS)
{
	return event_ip(fcinfo, true);
}

Datum
cowrie_event_ip_json(PG_FUNCTION_ARGS)
{
	return event_ip(fcinfo, false);
}

/*
 * jsonb_in collects an array's elements (an object's members) in a buffer that
 * starts at 4 and doubles, and fails with "invalid memory alloc request size"
 * once the doubled buffer passes MaxAllocSize, below its own limit
 * JSONB_MAX_ELEMS (2^24 elements, 2^23 members on 64-bit; PostgreSQL 15-18).
 */
static size_t
jsonb_collect_limit(size_t item_size)
{
	size_t		size = 4;
	size_t		hard = Min(MaxAllocSize / item_size, JB_CMASK);

	while (size * 2 * item_size <= MaxAllocSize)
		size *= 2;
	return Min(size, hard);
}

/*
 * Can jsonb_in convert this json text (after cj_make_jsonb_storable)? No when
 * jsonb's root container could pass JENTRY_OFFLENMASK bytes or one container
 * hold more than jsonb_in can collect; the byte count is an upper bound, so a
 * document near the limits is refused rather than failing. Text short enough
 * that no count can reach a limit is not read.
 */
static bool
json_short_for_jsonb(size_t len)
{
	/* at most len/2 + 1 elements, len/4 + 1 members, CJ_JSONB_BYTES_BOUND bytes */
	return len < MaxAllocSize / 10 && CJ_JSONB_BYTES_BOUND(len) <= JENTRY_OFFLENMASK &&
		len / 2 + 1 <= jsonb_collect_limit(sizeof(JsonbValue)) &&
		len / 4 + 1 <= jsonb_collect_limit(sizeof(JsonbPair));
}

static bool
json_fits_jsonb(const char *doc, size_t len)
{
	size_t		depth;
	size_t	   *stack;
	cj_jsonb_size est;
	bool		ok;

	if (json_short_for_jsonb(len))
		return true;
	depth = cj_depth(doc, len);
	stack = palloc_extended((depth + 1) * sizeof(size_t), MCXT_ALLOC_HUGE);
	ok = cj_jsonb_size_estimate(doc, len, stack, depth + 1, &est) &&
		est.bytes <= JENTRY_OFFLENMASK && est.max_array <= jsonb_collect_limit(sizeof(JsonbValue)) &&
		est.max_object <= jsonb_collect_limit(sizeof(JsonbPair));
	pfree(stack);
	return ok;
}

/*
 * A non-UTF-8 database: can it hold this code point (above U+007F)? As
 * jsonb_in's pg_unicode_to_server decides, without its error: SQL_ASCII
 * holds none, another encoding what its conversion from UTF-8 converts.
 */
typedef struct holds_state
{
	int			encoding;
	Oid			proc;
	bool		looked_up;
} holds_state;

static bool
server_holds(unsigned long cp, void *arg)
{
	holds_state *st = (holds_state *) arg;
	unsigned char utf8[8];
	unsigned char out[4 * MAX_CONVERSION_GROWTH + 1];
	int			n;

	if (st->encoding == PG_SQL_ASCII || cp > 0x10FFFF)
		return false;
	if (!st->looked_up)
	{
		st->proc = FindDefaultConversionProc(PG_UTF8, st->encoding);
		st->looked_up = true;
	}
	if (!OidIsValid(st->proc))
		return false;
	unicode_to_utf8((pg_wchar) cp, utf8);
	n = pg_utf_mblen(utf8);
	return pg_do_encoding_conversion_buf(st->proc, PG_UTF8, st->encoding, utf8, n,
										 out, (int) sizeof(out), true) == n;
}

/*
 * json to jsonb that cannot fail on what json stores and jsonb refuses:
 * \u0000, unpaired surrogate escapes and, in a database that is not UTF-8,
 * escapes of characters its encoding lacks become U+FFFD (upstream's
 * sanitiser strips them), or "?" where the encoding has no U+FFFD; numbers
 * beyond numeric's range become strings of their text; a document too large
 * for jsonb gives NULL, which the migration counts, whatever its byte size.
 */
Datum
cowrie_jsonb_safe(PG_FUNCTION_ARGS)
{
	text	   *doc = PG_GETARG_TEXT_PP(0);
	size_t		len = VARSIZE_ANY_EXHDR(doc);
	char	   *cstr;
	bool		changed;
	size_t		n;
	holds_state st = {GetDatabaseEncoding(), InvalidOid, false};

	if (!json_fits_jsonb(VARDATA_ANY(doc), len))
		PG_RETURN_NULL();
	/* up to 2 GB for a document of 1 GB */
	cstr = palloc_extended(CJ_STORABLE_CAPACITY(len) + 1, MCXT_ALLOC_HUGE);
	n = cj_make_jsonb_storable_in(VARDATA_ANY(doc), len, cstr, &changed,
								  st.encoding == PG_UTF8 ? NULL : server_holds, &st);
	cstr[n] = '\0';
#if PG_VERSION_NUM >= 160000
	{
		/* A container past jsonb's limits is a soft error since 16. */
		ErrorSaveContext escontext = {T_ErrorSaveContext};
		Datum		result;

		if (!DirectInputFunctionCallSafe(jsonb_in, cstr, InvalidOid, -1, (Node *) &escontext, &result))
			PG_RETURN_NULL();
		return result;
	}
#else
	return DirectFunctionCall1(jsonb_in, CStringGetDatum(cstr));
#endif
}

/*
 * cowrie_json_fits_jsonb(json): false exactly when cowrie_jsonb_safe gives
 * NULL for size; a short document is decided from its stored size, without
 * detoasting it.
 */
Datum
cowrie_json_fits_jsonb(PG_FUNCTION_ARGS)
{
	Size		raw = toast_raw_datum_size(PG_GETARG_DATUM(0));
	text	   *doc;

	if (raw >= VARHDRSZ && json_short_for_jsonb(raw - VARHDRSZ))
		PG_RETURN_BOOL(true);
	doc = PG_GETARG_TEXT_PP(0);
	PG_RETURN_BOOL(json_fits_jsonb(VARDATA_ANY(doc), VARSIZE_ANY_EXHDR(doc)));
}
