/*
 * SQL glue for reading enrichment documents and raw events, in json and
 * jsonb. The rules live in core/cowrie_enrichment.c; json is read lazily
 * with the core reader, jsonb in place through jsonb_access.c.
 */
#include "postgres.h"

#include "access/htup_details.h"
#include "catalog/pg_type.h"
#include "fmgr.h"
#include "funcapi.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/jsonb.h"
#if PG_VERSION_NUM >= 160000
#include "nodes/miscnodes.h"
#endif

#include "cowrie_enrichment.h"
#include "cowrie_ip.h"
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

	tupdesc = cowrie_result_tupdesc(fcinfo, "cowrie_enrichment_facts");
	facts_of(PG_GETARG_DATUM(0), is_jsonb, false, &facts);

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
		text	   *doc = PG_GETARG_TEXT_PP(0);

		values[4] = BoolGetDatum(cj_has_nul_escape(VARDATA_ANY(doc), VARSIZE_ANY_EXHDR(doc)));
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
 * json to jsonb that cannot fail on what json stores and jsonb refuses:
 * \u0000 and unpaired surrogate escapes become U+FFFD (upstream's sanitiser
 * strips them), numbers beyond numeric's range become strings of their text.
 */
Datum
cowrie_jsonb_safe(PG_FUNCTION_ARGS)
{
	text	   *doc = PG_GETARG_TEXT_PP(0);
	size_t		len = VARSIZE_ANY_EXHDR(doc);
	char	   *cstr;
	bool		changed;
	size_t		n;

	/*
	 * jsonb cannot hold a document this large (its entries address 2^28
	 * bytes): NULL, which the migration counts, rather than an error that
	 * would abort it for one document.
	 */
	if (len >= JENTRY_OFFLENMASK)
		PG_RETURN_NULL();
	cstr = palloc(CJ_STORABLE_CAPACITY(len) + 1);
	n = cj_make_jsonb_storable(VARDATA_ANY(doc), len, cstr, &changed);
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
