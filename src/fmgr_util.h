/* Small helpers shared by the SQL-callable functions. */
#ifndef COWRIE_FMGR_UTIL_H
#define COWRIE_FMGR_UTIL_H

#include "postgres.h"

#include "fmgr.h"
#include "funcapi.h"
#include "utils/array.h"

/* The blessed row type a composite-returning function must produce. */
TupleDesc	cowrie_result_tupdesc(FunctionCallInfo fcinfo, const char *function_name);

/*
 * The highest-priority type of a one-dimensional text[] (known types in
 * upper case, others as given), or NULL when none is usable.
 */
text	   *cowrie_array_primary_type(ArrayType *types);

#endif
