/* Module magic and the extension's settings. */
#include "postgres.h"

#include "fmgr.h"
#include "utils/guc.h"

#include "module.h"

PG_MODULE_MAGIC;

bool		cowrie_defer_session_backfill = false;

void		_PG_init(void);

void
_PG_init(void)
{
	DefineCustomBoolVariable("cowrie_snapshot.defer_session_backfill",
							 "Leave session rows to cowrie_backfill during the v16 migration.",
							 "When on, the migration creates and fills the inventories but does not "
							 "write session_summaries rows; run cowrie_backfill afterwards.",
							 &cowrie_defer_session_backfill,
							 false,
							 PGC_USERSET,
							 0,
							 NULL, NULL, NULL);
	MarkGUCPrefixReserved("cowrie_snapshot");
}
