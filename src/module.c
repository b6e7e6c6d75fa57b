/* Module magic and the extension's setting (read by the migration in SQL). */
#include "postgres.h"

#include "fmgr.h"
#include "utils/guc.h"

PG_MODULE_MAGIC;

/* Only SQL reads it (current_setting); a GUC needs storage all the same. */
static bool defer_session_backfill = false;

void		_PG_init(void);

void
_PG_init(void)
{
	DefineCustomBoolVariable("cowrie_snapshot.defer_session_backfill",
							 "Leave session rows to cowrie_backfill during the v16 migration.",
							 "When on, the migration creates and fills the inventories but does not "
							 "write session_summaries rows; run cowrie_backfill afterwards.",
							 &defer_session_backfill,
							 false,
							 PGC_USERSET,
							 0,
							 NULL, NULL, NULL);
	MarkGUCPrefixReserved("cowrie_snapshot");
}
