/*
 * cowrie_as_owner(rel, step, args): runs one of the extension's steps as the
 * owner of rel, in a security-restricted operation, the way PostgreSQL runs
 * VACUUM, ANALYZE, CREATE INDEX and REFRESH since CVE-2022-1552. A batch of
 * the backfill writes session_summaries, so the owner's triggers, generated
 * columns and index expressions run; run by a superuser (pg_cron) they would
 * otherwise run as the superuser. A caller without the owner's privileges
 * stays who it is: it gains nothing, and row-level security still applies.
 */
#include "postgres.h"

#include "access/htup_details.h"
#include "catalog/dependency.h"
#include "catalog/pg_class.h"
#include "catalog/pg_proc.h"
#include "catalog/pg_type.h"
#include "commands/extension.h"
#include "fmgr.h"
#include "miscadmin.h"
#include "utils/acl.h"
#include "utils/builtins.h"
#include "utils/guc.h"
#include "utils/lsyscache.h"
#include "utils/regproc.h"
#include "utils/syscache.h"

PG_FUNCTION_INFO_V1(cowrie_as_owner);

/* Only the extension's own (jsonb) -> jsonb functions are steps. */
static void
check_step(Oid step)
{
	HeapTuple	tp = SearchSysCache1(PROCOID, ObjectIdGetDatum(step));
	Form_pg_proc proc;
	bool		shape_ok;

	if (!HeapTupleIsValid(tp))
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_FUNCTION),
				 errmsg("cowrie_as_owner: function %u does not exist", step)));
	proc = (Form_pg_proc) GETSTRUCT(tp);
	shape_ok = proc->pronargs == 1 && proc->proargtypes.values[0] == JSONBOID &&
		proc->prorettype == JSONBOID && !proc->proretset && proc->prokind == PROKIND_FUNCTION;
	ReleaseSysCache(tp);
	if (!shape_ok || getExtensionOfObject(ProcedureRelationId, step) != get_extension_oid("cowrie_snapshot", false))
		ereport(ERROR,
				(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
				 errmsg("cowrie_as_owner: %s is not a step of cowrie_snapshot", format_procedure(step)),
				 errdetail("Only the extension's own functions taking and returning jsonb run through cowrie_as_owner.")));
}

Datum
cowrie_as_owner(PG_FUNCTION_ARGS)
{
	Oid			relid = PG_GETARG_OID(0);
	Oid			step = PG_GETARG_OID(1);
	Datum		args = PG_GETARG_DATUM(2);
	HeapTuple	tp;
	Oid			owner;
	Oid			save_userid;
	int			save_sec_context;
	int			save_nestlevel;
	Datum		result;

	tp = SearchSysCache1(RELOID, ObjectIdGetDatum(relid));
	if (!HeapTupleIsValid(tp))
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_TABLE),
				 errmsg("cowrie_as_owner: relation %u does not exist", relid)));
	owner = ((Form_pg_class) GETSTRUCT(tp))->relowner;
	ReleaseSysCache(tp);
	check_step(step);

	GetUserIdAndSecContext(&save_userid, &save_sec_context);
	SetUserIdAndSecContext(has_privs_of_role(save_userid, owner) ? owner : save_userid,
						   save_sec_context | SECURITY_LOCAL_USERID_CHANGE |
						   SECURITY_RESTRICTED_OPERATION);
	/* Settings the step makes end with it; an error restores both at abort. */
	save_nestlevel = NewGUCNestLevel();
	result = OidFunctionCall1(step, args);
	AtEOXact_GUC(false, save_nestlevel);
	SetUserIdAndSecContext(save_userid, save_sec_context);
	PG_RETURN_DATUM(result);
}
