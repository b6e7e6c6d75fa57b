#!/usr/bin/env bash
# The committing backfill as a scheduled job (cron, pg_cron, a driver that
# opens a transaction by default): it never leaves its advisory lock behind
# when it cannot run, says who holds the lock when another run does, reports
# the sessions a run had to leave, and walks the table again after a rewrite
# (VACUUM FULL) under it. Waits are on states (pg_locks, pg_stat_activity,
# counts), never on sleeps. Prints TAP; needs the suite's cluster.
cd "$(dirname "$0")/../.."
. test/lib/tap.sh
PSQL="$PSQL -v VERBOSITY=verbose"
DBS="job_base job_lock job_left job_rewrite"
CLIENT_PREFIX=job
. test/lib/clients.sh

LOCKS="SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND classid = 1668249458 AND objid = 1 AND objsubid = 2"
NULLS="SELECT count(*) FROM session_summaries WHERE snapshot_country IS NULL"
q() { $PSQL -At -d "$1" -c "$2"; }

$PSQL -d postgres -c 'CREATE DATABASE job_base' >/dev/null
$PSQL -d job_base -v n=20000 -f test/fixtures/cowrie_v15.sql >/dev/null 2>&1
apply_layout job_base; setup $? "session_summaries in the ${COWRIE_LAYOUT:-plain} layout"
$PSQL -d job_base -c 'DROP SCHEMA fixture CASCADE' -c 'SET cowrie_snapshot.defer_session_backfill = on' \
	-c 'CREATE EXTENSION cowrie_snapshot' >/dev/null 2>&1
[ "$(q job_base "$NULLS")" = 20000 ]; setup $? "a deferred install leaves 20000 sessions to the backfill"
for db in job_lock job_left job_rewrite; do $PSQL -d postgres -c "CREATE DATABASE $db TEMPLATE job_base" >/dev/null; done

# A driver's transaction block: the CALL fails before it takes the lock, so
# the session (still open, idle) holds nothing and a run elsewhere proceeds.
cat >"$WORK/block.sql" <<SQL
\\set ON_ERROR_STOP off
BEGIN;
CALL cowrie_backfill_commit(10);
ROLLBACK;
SELECT 'locks after rollback: ' || count(*) FROM pg_locks WHERE locktype = 'advisory' AND pid = pg_backend_pid();
\\! $PSQL -d job_lock -c 'CALL cowrie_backfill_commit(1000)' >$WORK/other_run.out 2>&1; echo "other run: \$?"
SQL
$PSQL -d job_lock -At -f "$WORK/block.sql" >"$WORK/block.out" 2>"$WORK/block.err"
grep -q 'ERROR:  2D000' "$WORK/block.err"; ok $? "CALL inside a transaction block fails with 2D000"
grep -q '^locks after rollback: 0$' "$WORK/block.out"; ok $? "  and the session holds no advisory lock after the ROLLBACK"
grep -q '^other run: 0$' "$WORK/block.out" && [ "$(q job_lock "$NULLS")" = 0 ]
ok $? "  while it stays open, a run in another session is not refused and fills every session"
[ "$(q job_lock "$LOCKS")" = 0 ]; ok $? "  and that run leaves no lock either"

# Another session holds the run's lock, idle: the refusal names it and says
# that only pg_terminate_backend frees it.
cat >"$WORK/holder.sql" <<SQL
SELECT 'holder: ' || pg_backend_pid() WHERE pg_try_advisory_lock(1668249458, 1);
\\! $PSQL -d job_left -c 'CALL cowrie_backfill_commit(1000)' >$WORK/refused.out 2>&1
SQL
$PSQL -d job_left -At -f "$WORK/holder.sql" >"$WORK/holder.out" 2>&1
holder=$(sed -nE 's/^holder: //p' "$WORK/holder.out")
grep -q "ERROR:  55P03: cowrie_snapshot: the committing backfill's advisory lock is held by another session" "$WORK/refused.out" &&
	grep -q "DETAIL:  Advisory lock (1668249458, 1) is held by backend $holder (role .*, state: idle); its last query is not a cowrie_backfill_commit call" "$WORK/refused.out"
ok $? "a second run is refused with 55P03, naming the holder (backend $holder), its state, and that its query is not a backfill"
grep -q "HINT: .*pg_terminate_backend($holder)" "$WORK/refused.out"; ok $? "  and the hint says to end an idle holder with pg_terminate_backend"
[ "$(q job_left "$NULLS")" = 20000 ]; ok $? "  the refused run changed nothing"

# A session the loader holds locked is skipped: the run says how many are left.
cat >"$WORK/left.sql" <<SQL
BEGIN;
SELECT 'locked: ' || session_id FROM session_summaries ORDER BY session_id LIMIT 1 FOR UPDATE;
\\! $PSQL -d job_left -c 'CALL cowrie_backfill_commit(1000)' >$WORK/left_proc.out 2>&1
COMMIT;
SQL
$PSQL -d job_left -At -f "$WORK/left.sql" >"$WORK/left.out" 2>&1
grep -q 'WARNING:  01000: cowrie_backfill: 19999/20000 sessions, 1 sessions left without a snapshot' "$WORK/left_proc.out"
ok $? "a run that had to skip a locked session ends with a WARNING and the count left (not 'done')"
[ "$(q job_left "$NULLS")" = 1 ]; ok $? "  and exactly that session is left"
out=$($PSQL -d job_left -c 'CALL cowrie_backfill_commit(1000)' 2>&1)
grep -q <<<"$out" 'NOTICE:  00000: cowrie_backfill: 1/1 sessions, done' && [ "$(q job_left "$NULLS")" = 0 ]
ok $? "  the next run takes it and says done"

# VACUUM FULL between two batches moves every row behind the watermark: the
# run notices the new relfilenode, walks the table again and fills everything.
bg rewrite job_rewrite -c "CALL cowrie_backfill_commit(20, batch_lock_timeout => '60s')"
filled=$(POLL_DB=job_rewrite poll 60 "SELECT n FROM (SELECT count(*) AS n FROM session_summaries
	WHERE snapshot_country IS NOT NULL) x WHERE n >= 2000")
# The filenodes of every heap (the table, or each partition in a partitioned layout).
FILENODES="SELECT string_agg(pg_relation_filenode(h)::text, ',' ORDER BY h) FROM unnest(cowrie_session_heaps()) h"
before=$(q job_rewrite "$FILENODES")
$PSQL -d job_rewrite -c 'VACUUM FULL session_summaries' >/dev/null 2>&1
after=$(q job_rewrite "$FILENODES")
[ -n "$filled" ] && [ "$filled" -lt 20000 ] && [ "$before" != "$after" ]
ok $? "VACUUM FULL rewrote session_summaries mid-run ($filled of 20000 filled when it started)"
bg_wait "$BG_PID" 120; ok $? "  the run completes"
grep -qE 'NOTICE:  00000: cowrie_backfill: (session_summaries|partition .* of session_summaries) was rewritten during the run' "$WORK/rewrite.out"
ok $? "  after a NOTICE that it reads the table again from its first block"
grep -q 'cowrie_backfill: .*, done' "$WORK/rewrite.out" && [ "$(q job_rewrite "$NULLS")" = 0 ]
ok $? "  its closing line says done, and no session is left"
[ "$(q job_rewrite "$LOCKS")" = 0 ]; ok $? "  and no advisory lock is left"
grep -E 'WARNING|ERROR' "$WORK/rewrite.out" | note

echo "1..$n"
