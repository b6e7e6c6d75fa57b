/* SQL glue for IP canonical form, classification and type priority. */
#include "postgres.h"

#include "fmgr.h"
#include "utils/array.h"
#include "utils/builtins.h"

#include "cowrie_ip.h"
#include "cowrie_iptype.h"
#include "fmgr_util.h"

PG_FUNCTION_INFO_V1(cowrie_normalize_ip);
PG_FUNCTION_INFO_V1(cowrie_ip_is_private_sql);
PG_FUNCTION_INFO_V1(cowrie_ip_type_priority_sql);
PG_FUNCTION_INFO_V1(cowrie_primary_ip_type);

Datum
cowrie_normalize_ip(PG_FUNCTION_ARGS)
{
	text	   *in = PG_GETARG_TEXT_PP(0);
	char		buf[COWRIE_IP_TEXT_MAX];
	size_t		len = cowrie_ip_canonical(VARDATA_ANY(in), VARSIZE_ANY_EXHDR(in), buf);

	if (len == 0)
		PG_RETURN_NULL();
	PG_RETURN_TEXT_P(cstring_to_text_with_len(buf, (int) len));
}

Datum
cowrie_ip_is_private_sql(PG_FUNCTION_ARGS)
{
	text	   *in = PG_GETARG_TEXT_PP(0);
	cowrie_ip	ip;

	if (!cowrie_ip_parse(VARDATA_ANY(in), VARSIZE_ANY_EXHDR(in), &ip))
		PG_RETURN_NULL();
	PG_RETURN_BOOL(cowrie_ip_is_private(&ip));
}

Datum
cowrie_ip_type_priority_sql(PG_FUNCTION_ARGS)
{
	text	   *in = PG_GETARG_TEXT_PP(0);

	PG_RETURN_INT32(cowrie_ip_type_priority(VARDATA_ANY(in), VARSIZE_ANY_EXHDR(in)));
}

Datum
cowrie_primary_ip_type(PG_FUNCTION_ARGS)
{
	ArrayType  *arr = PG_GETARG_ARRAYTYPE_P(0);
	text	   *type;

	if (ARR_NDIM(arr) > 1)
		ereport(ERROR,
				(errcode(ERRCODE_ARRAY_SUBSCRIPT_ERROR),
				 errmsg("cowrie_primary_ip_type expects a one-dimensional array"),
				 errdetail("The array has %d dimensions.", ARR_NDIM(arr))));
	type = cowrie_array_primary_type(arr);
	if (type == NULL)
		PG_RETURN_NULL();
	PG_RETURN_TEXT_P(type);
}
