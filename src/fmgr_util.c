#include "postgres.h"

#include "catalog/pg_type.h"
#include "utils/builtins.h"

#include "cowrie_iptype.h"
#include "fmgr_util.h"

/*
 * The blessed result descriptor, kept in fn_extra for the calls that follow:
 * looking the row type up again costs as much as deciding a snapshot.
 */
TupleDesc
cowrie_result_tupdesc(FunctionCallInfo fcinfo, const char *function_name)
{
	TupleDesc	tupdesc;
	MemoryContext old;

	if (fcinfo->flinfo->fn_extra != NULL)
		return (TupleDesc) fcinfo->flinfo->fn_extra;
	old = MemoryContextSwitchTo(fcinfo->flinfo->fn_mcxt);
	if (get_call_result_type(fcinfo, NULL, &tupdesc) != TYPEFUNC_COMPOSITE)
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("%s must be called where a record is expected", function_name)));
	tupdesc = BlessTupleDesc(tupdesc);
	MemoryContextSwitchTo(old);
	fcinfo->flinfo->fn_extra = tupdesc;
	return tupdesc;
}

text *
cowrie_array_primary_type(ArrayType *types)
{
	Datum	   *elems;
	bool	   *nulls;
	int			n,
				i,
				pick;
	const char **s;
	size_t	   *len;
	const char *name;

	if (ARR_NDIM(types) != 1)
		return NULL;
	deconstruct_array(types, TEXTOID, -1, false, TYPALIGN_INT, &elems, &nulls, &n);
	if (n == 0)
		return NULL;
	s = palloc(sizeof(char *) * n);
	len = palloc(sizeof(size_t) * n);
	for (i = 0; i < n; i++)
	{
		text	   *t = nulls[i] ? NULL : DatumGetTextPP(elems[i]);

		s[i] = t ? VARDATA_ANY(t) : NULL;
		len[i] = t ? VARSIZE_ANY_EXHDR(t) : 0;
	}
	pick = cowrie_pick_primary(s, len, n);
	if (pick < 0)
		return NULL;
	name = cowrie_ip_type_name(cowrie_ip_type_priority(s[pick], len[pick]));
	return name ? cstring_to_text(name) : cstring_to_text_with_len(s[pick], (int) len[pick]);
}
