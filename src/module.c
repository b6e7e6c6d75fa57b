/* Module magic and the extension's settings. */
#include "postgres.h"

#include "fmgr.h"
#include "utils/guc.h"

#include "snapshot.h"

PG_MODULE_MAGIC;

/* Only SQL reads it (current_setting); a GUC needs storage all the same. */
static bool defer_session_backfill = false;

bool		cowrie_writer_active = false;

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
	/*
	 * Set only by the SET clause of the writer's functions, so it is back off
	 * when they return or fail. Any role may set it (those functions run as
	 * their caller); a role that does gets no snapshots filled at ingestion in
	 * its own statements, which the backfill then fills.
	 */
	DefineCustomBoolVariable("cowrie_snapshot.writer_active",
							 "Internal: the snapshot writer is writing (the ingestion trigger leaves its rows as written).",
							 NULL,
							 &cowrie_writer_active,
							 false,
							 PGC_USERSET,
							 GUC_NO_SHOW_ALL | GUC_NOT_IN_SAMPLE,
							 NULL, NULL, NULL);
	MarkGUCPrefixReserved("cowrie_snapshot");
}
