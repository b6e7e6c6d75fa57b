#!/usr/bin/env bash
# Faults: what a cancel, a killed backend, statement_timeout and lock_timeout
# leave behind, in the migration (CREATE EXTENSION), the one-transaction
# backfill (SELECT cowrie_backfill) and the committing backfill
# (CALL cowrie_backfill_commit).
#   - the migration and the function: the statement fails with a clear SQLSTATE
#     (57014 cancel/statement timeout, 55P03 lock timeout) and nothing changed:
#     no new relation, column, constraint, trigger, function, type or extension,
#     schema_version still 15, the session rows byte for byte the same;
#   - the procedure: the batches committed before the fault stay (some rows
#     filled, not all), a rerun completes (in the same session, or in a new one
#     after the backend was killed) and its rows equal a clean run's.
# Prints TAP. Needs the suite's cluster (PGHOST, PGPORT, PGUSER, PGBIN) and,
# for kill -9 of a backend, to run as root or as the server's OS user.
# Databases: ft_big (200k sessions), ft_small (20k) and copies; all dropped.
cd "$(dirname "$0")/../.."
. test/lib/tap.sh
PSQL="$PSQL -v VERBOSITY=verbose"   # errors carry their SQLSTATE
DBS="ft_big ft_small ft_ref ft_cancel ft_kill ft_lock"
CLIENT_PREFIX=faults
. test/lib/clients.sh

# Everything the migration may create, as one md5: relations and their columns,
# constraints, triggers, functions, types, extensions.
CATALOG="SELECT md5(string_agg(x, ',' ORDER BY x)) FROM (
	SELECT 'rel ' || c.oid::regclass || ' ' || c.relkind::text || COALESCE(' ' || a.attname || ' ' || format_type(a.atttypid, a.atttypmod), '') AS x
	FROM pg_class c JOIN pg_namespace s ON s.oid = c.relnamespace
	LEFT JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
	WHERE s.nspname !~ '^(pg_|information_schema$)'
	UNION ALL SELECT 'con ' || c.conrelid::regclass || ' ' || c.conname FROM pg_constraint c
	JOIN pg_namespace s ON s.oid = c.connamespace WHERE s.nspname !~ '^(pg_|information_schema$)'
	UNION ALL SELECT 'trg ' || tgrelid::regclass || ' ' || tgname FROM pg_trigger WHERE NOT tgisinternal
	UNION ALL SELECT 'fn ' || p.oid::regprocedure FROM pg_proc p
	JOIN pg_namespace s ON s.oid = p.pronamespace WHERE s.nspname !~ '^(pg_|information_schema$)'
	UNION ALL SELECT 'type ' || t.oid::regtype FROM pg_type t
	JOIN pg_namespace s ON s.oid = t.typnamespace WHERE s.nspname !~ '^(pg_|information_schema$)'
	UNION ALL SELECT 'ext ' || extname || ' ' || extversion FROM pg_extension) d"
STATE="SELECT (SELECT count(*) FROM pg_extension WHERE extname = 'cowrie_snapshot') || ' ' || (SELECT value FROM schema_state WHERE key = 'schema_version')"
ROWS="SELECT md5(string_agg(md5(s::text), '' ORDER BY session_id)) FROM session_summaries s"
FILLED="SELECT count(*) FILTER (WHERE source_ip IS NOT NULL OR snapshot_asn IS NOT NULL OR snapshot_country IS NOT NULL
	OR snapshot_ip_type IS NOT NULL OR enrichment_at IS NOT NULL) || '/' || count(*) FROM session_summaries"
ADVISORY="SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND classid = 1668249458 AND objid = 1 AND objsubid = 2"
q() { $PSQL -At -d "$1" -c "$2"; }
fingerprint() { echo "$(q "$1" "$CATALOG" || echo catalog-failed) $(q "$1" "$STATE" || echo state-failed) $(q "$1" "$ROWS" || echo rows-failed)"; }
# A fingerprint whose three queries all answered.
valid_fp() { [[ $1 =~ ^[0-9a-f]{32}\ [0-9]+\ [0-9]+\ [0-9a-f]{32}$ ]]; }
# "filled/total" with 0 < filled < total
partly() { local f=${1%/*} t=${1#*/}; [ -n "$f" ] && [ "$f" -gt 0 ] && [ "$f" -lt "$t" ]; }

started=$SECONDS
for db in $DBS; do $PSQL -d postgres -c "DROP DATABASE IF EXISTS $db WITH (FORCE)" >/dev/null 2>&1; done
$PSQL -d postgres -c 'CREATE DATABASE ft_big' -c 'CREATE DATABASE ft_small'
$PSQL -d ft_big -v n=200000 -f test/fixtures/cowrie_v15.sql
$PSQL -d ft_small -v n=20000 -f test/fixtures/cowrie_v15.sql
apply_layout ft_big && apply_layout ft_small; setup $? "session_summaries in the ${COWRIE_LAYOUT:-plain} layout"
# Vacuumed now, so that autovacuum, whose SHARE UPDATE EXCLUSIVE lock the
# migration's SHARE lock waits for, does not pick the freshly loaded tables
# during a lock_timeout test (seen on PostgreSQL 18: 55P03 at the LOCK).
for db in ft_big ft_small; do $PSQL -d $db -c 'VACUUM'; done
echo "# fixtures: $((SECONDS - started)) s"

### The migration (default mode, 200k sessions): cancelled after its first ALTER TABLE.
before=$(fingerprint ft_big)
bg migrate ft_big -c 'CREATE EXTENSION cowrie_snapshot'
pid=$(active_pid migrate 0 'CREATE EXTENSION%') && lock_held ft_big migrate AccessExclusiveLock 60 && sleep 1 &&
	[ -n "$(active_pid migrate 0 'CREATE EXTENSION%')" ] && cancel "$pid"
bg_wait "$BG_PID" 60; rc=$?
[ $rc != 0 ] && [ "$(sqlstate migrate)" = 57014 ]
ok $? "CREATE EXTENSION cancelled mid-migration (after its first ALTER TABLE) fails with 57014"
note <"$WORK/migrate.out"
after=$(fingerprint ft_big)
valid_fp "$before" && valid_fp "$after" && [ "${after%% *}" = "${before%% *}" ]; ok $? "  nothing created: relations, columns, constraints, triggers, functions, types as before"
[ "$(q ft_big "$STATE")" = "0 15" ]; ok $? "  extension not installed, schema_version still 15"
[ "${after##* }" = "${before##* }" ]; ok $? "  session rows unchanged (md5 of 200000 rows)"

### The migration under lock_timeout (20k sessions).
# A reader holds ACCESS SHARE: the migration reads every session, then its ALTER TABLE times out.
small_before=$(fingerprint ft_small)
bg reader ft_small -c 'BEGIN' -c 'SELECT count(*) FROM session_summaries' -c 'SELECT pg_sleep(120)'
reader=$BG_PID
lock_held ft_small reader AccessShareLock
bg migrate_lock ft_small -c "SET lock_timeout = '200ms'" -c 'CREATE EXTENSION cowrie_snapshot'
bg_wait "$BG_PID" 60; rc=$?
[ $rc != 0 ] && [ "$(sqlstate migrate_lock)" = 55P03 ] && grep -q 'ALTER TABLE' "$WORK/migrate_lock.out"
ok $? "migration behind a reader's ACCESS SHARE lock, lock_timeout 200ms: 55P03 at its ALTER TABLE"
note <"$WORK/migrate_lock.out"
cancel "$(active_pid reader 0 '%pg_sleep%')"; bg_wait "$reader" 10
# A writer holds ROW EXCLUSIVE: the migration's LOCK ... IN SHARE MODE times out.
bg writer ft_small -c 'BEGIN' -c "UPDATE session_summaries SET event_count = event_count WHERE session_id = (SELECT min(session_id) FROM session_summaries)" -c 'SELECT pg_sleep(120)'
writer=$BG_PID
lock_held ft_small writer RowExclusiveLock
bg migrate_lock2 ft_small -c "SET lock_timeout = '200ms'" -c 'CREATE EXTENSION cowrie_snapshot'
bg_wait "$BG_PID" 60; rc=$?
[ $rc != 0 ] && [ "$(sqlstate migrate_lock2)" = 55P03 ]
ok $? "migration behind a writer's open transaction, lock_timeout 200ms: 55P03"
note <"$WORK/migrate_lock2.out"
cancel "$(active_pid writer 0 '%pg_sleep%')"; bg_wait "$writer" 10
after=$(fingerprint ft_small)
valid_fp "$small_before" && [ "$after" = "$small_before" ] && [ "$(q ft_small "$STATE")" = "0 15" ]
ok $? "  after both: nothing created, extension not installed, schema_version 15, session rows unchanged"

### The function, in one transaction (deferred-mode database, 200k sessions).
$PSQL -d ft_big -c 'SET cowrie_snapshot.defer_session_backfill = on' -c 'CREATE EXTENSION cowrie_snapshot' 2>/dev/null
before=$(q ft_big "$ROWS")
[ "$(q ft_big "$FILLED")" = 0/200000 ]; ok $? "deferred-mode migration leaves every session's snapshot columns NULL"

bg fn_cancel ft_big -c 'SELECT cowrie_backfill(1000)'
pid=$(active_pid fn_cancel 0.2 'SELECT cowrie_backfill%') && cancel "$pid"
bg_wait "$BG_PID" 60; rc=$?
[ $rc != 0 ] && [ "$(sqlstate fn_cancel)" = 57014 ]; ok $? "SELECT cowrie_backfill(1000) cancelled mid-run fails with 57014"
note <"$WORK/fn_cancel.out"
[ "$(q ft_big "$FILLED")" = 0/200000 ] && [ "$(q ft_big "$ROWS")" = "$before" ]
ok $? "  nothing changed: every snapshot column still NULL, session rows unchanged"

bg fn_timeout ft_big -c "SET statement_timeout = '1s'" -c 'SELECT cowrie_backfill(100)'
bg_wait "$BG_PID" 60; rc=$?
[ $rc != 0 ] && [ "$(sqlstate fn_timeout)" = 57014 ] && grep -q 'statement timeout' "$WORK/fn_timeout.out"
ok $? "SELECT cowrie_backfill(100) under statement_timeout 1s fails with 57014 (statement timeout)"
note <"$WORK/fn_timeout.out"
[ "$(q ft_big "$FILLED")" = 0/200000 ] && [ "$(q ft_big "$ROWS")" = "$before" ]
ok $? "  nothing changed"

# Another session holds ACCESS EXCLUSIVE on session_summaries.
bg locker ft_big -c 'BEGIN' -c 'LOCK TABLE session_summaries IN ACCESS EXCLUSIVE MODE' -c 'SELECT pg_sleep(120)'
locker=$BG_PID
lock_held ft_big locker AccessExclusiveLock
bg fn_lock ft_big -c "SET lock_timeout = '200ms'" -c 'SELECT cowrie_backfill(1000)'
bg_wait "$BG_PID" 30; rc=$?
[ $rc != 0 ] && [ "$(sqlstate fn_lock)" = 55P03 ]; ok $? "SELECT cowrie_backfill(1000) on a locked table, lock_timeout 200ms: 55P03"
note <"$WORK/fn_lock.out"
# The procedure's batch_lock_timeout must also bound the wait before its first
# batch (statement_timeout 5s is only a guard against a hang).
t0=$SECONDS
bg proc_lock0 ft_big -c "SET statement_timeout = '5s'" -c "CALL cowrie_backfill_commit(100, batch_lock_timeout => '200ms')"
bg_wait "$BG_PID" 30; rc=$?
[ $rc != 0 ] && [ "$(sqlstate proc_lock0)" = 55P03 ]
ok $? "CALL cowrie_backfill_commit(100, batch_lock_timeout => '200ms') on a locked table: 55P03, no hang ($((SECONDS - t0)) s)"
note <"$WORK/proc_lock0.out"
cancel "$(active_pid locker 0 '%pg_sleep%')"; bg_wait "$locker" 10
[ "$(q ft_big "$FILLED")" = 0/200000 ] && [ "$(q ft_big "$ROWS")" = "$before" ] && [ "$(q ft_big "$ADVISORY")" = 0 ]
ok $? "  nothing changed, no backfill advisory lock left"
$PSQL -d postgres -c 'DROP DATABASE ft_big'

### The procedure, committing per batch (deferred-mode database, 20k sessions).
$PSQL -d ft_small -c 'SET cowrie_snapshot.defer_session_backfill = on' -c 'CREATE EXTENSION cowrie_snapshot' 2>/dev/null
# Control: the fingerprint that found "nothing changed" above does see a migration.
after=$(fingerprint ft_small)
[ "${after%% *}" != "${small_before%% *}" ] && [ "${after##* }" != "${small_before##* }" ]
ok $? "control: the catalog and row fingerprints change when the migration succeeds"
for db in ft_ref ft_cancel ft_kill ft_lock; do $PSQL -d postgres -c "CREATE DATABASE $db TEMPLATE ft_small"; done
$PSQL -d ft_ref -c 'CALL cowrie_backfill_commit(100)' 2>/dev/null
ref=$(snapshot_sum ft_ref)
[ "$(q ft_ref "$FILLED")" = 20000/20000 ]; ok $? "clean run on a copy fills every session (the reference)"

# Cancel, then a rerun in the same session: it reuses the advisory lock it still holds.
cat >"$WORK/cancel.sql" <<'SQL'
CALL cowrie_backfill_commit(100);
SELECT 'after cancel: ' || count(*) FILTER (WHERE snapshot_country IS NOT NULL) || '/' || count(*) FROM session_summaries;
CALL cowrie_backfill_commit(batch_size => 100);
SELECT 'advisory locks held: ' || count(*) FROM pg_locks WHERE locktype = 'advisory' AND pid = pg_backend_pid();
SQL
PGAPPNAME=faults_proc_cancel $PGBIN/psql -X -q -v VERBOSITY=verbose -d ft_cancel -At -f "$WORK/cancel.sql" >"$WORK/proc_cancel.out" 2>&1 &
BG_PID=$!; BG+=("$BG_PID")
pid=$(active_pid proc_cancel 0.5 'CALL cowrie_backfill_commit(100)%') && cancel "$pid"
bg_wait "$BG_PID" 60
[ "$(grep -cE '^(psql:[^ ]*: )?ERROR:' "$WORK/proc_cancel.out")" = 1 ] && [ "$(sqlstate proc_cancel)" = 57014 ]
ok $? "CALL cowrie_backfill_commit(100) cancelled mid-run fails with 57014"
mid=$(sed -nE 's/^after cancel: //p' "$WORK/proc_cancel.out")
partly "$mid"; ok $? "  the committed batches stay: $mid sessions filled"
grep -q 'cowrie_backfill: .*, done' "$WORK/proc_cancel.out" && [ "$(q ft_cancel "$FILLED")" = 20000/20000 ]
ok $? "  a rerun in the same session completes"
grep -q '^advisory locks held: 0$' "$WORK/proc_cancel.out"; ok $? "  and releases the advisory lock"
[ "$(snapshot_sum ft_cancel)" = "$ref" ]; ok $? "  the rows equal the clean run's"
grep -vE '^(NOTICE|DETAIL|LOCATION|CONTEXT)' "$WORK/proc_cancel.out" | note

# kill -9 of the backend: the postmaster ends every backend and recovers.
bg proc_kill ft_kill -c 'CALL cowrie_backfill_commit(100)'
pid=$(active_pid proc_kill 0.5 'CALL cowrie_backfill_commit%')
[ -n "$pid" ] && kill -9 "$pid"; rc=$?
setup $rc "kill -9 of the backend running CALL cowrie_backfill_commit(100) (pid ${pid:-none})"
bg_wait "$BG_PID" 30
grep -q 'server closed the connection unexpectedly' "$WORK/proc_kill.out"; setup $? "  its client sees the connection closed"
t0=$(date +%s%N)
up=1; while [ $((($(date +%s%N) - t0) / 1000000000)) -lt 60 ]; do
	[ "$($PSQL -At -d ft_kill -c 'SELECT 1' 2>/dev/null)" = 1 ] && { up=0; break; }
	sleep 0.1
done
setup $up "  the server accepts connections again after crash recovery ($((($(date +%s%N) - t0) / 1000000)) ms)"
mid=$(q ft_kill "$FILLED")
partly "$mid"; ok $? "  the committed batches stay: $mid sessions filled"
[ "$(q ft_kill "$ADVISORY")" = 0 ]; ok $? "  the killed session's advisory lock is gone"
$PSQL -d ft_kill -c 'CALL cowrie_backfill_commit(100)' >"$WORK/proc_kill2.out" 2>&1
ok $? "  a rerun in a new session is not refused and completes"
[ "$(q ft_kill "$FILLED")" = 20000/20000 ] && [ "$(snapshot_sum ft_kill)" = "$ref" ]
ok $? "  the rows equal the clean run's"

# lock_timeout mid-run: another session takes ACCESS EXCLUSIVE between two batches.
bg proc_lock ft_lock -c "CALL cowrie_backfill_commit(100, batch_lock_timeout => '200ms')"
proc=$BG_PID
active_pid proc_lock 0.5 'CALL cowrie_backfill_commit%' >/dev/null
bg locker2 ft_lock -c 'BEGIN' -c 'LOCK TABLE session_summaries IN ACCESS EXCLUSIVE MODE' -c 'SELECT pg_sleep(120)'
locker=$BG_PID
bg_wait "$proc" 30; rc=$?
[ $rc != 0 ] && [ "$(sqlstate proc_lock)" = 55P03 ]
ok $? "CALL cowrie_backfill_commit(100, batch_lock_timeout => '200ms'), table locked mid-run: 55P03"
note <"$WORK/proc_lock.out"
lock_held ft_lock locker2 AccessExclusiveLock && cancel "$(active_pid locker2 0 '%pg_sleep%')"
bg_wait "$locker" 10
mid=$(q ft_lock "$FILLED")
partly "$mid"; ok $? "  the batches committed before the lock stay: $mid sessions filled"
$PSQL -d ft_lock -c 'CALL cowrie_backfill_commit(100)' >/dev/null 2>&1 && [ "$(q ft_lock "$FILLED")" = 20000/20000 ]
ok $? "  a rerun after the lock is released completes"
[ "$(snapshot_sum ft_lock)" = "$ref" ]; ok $? "  the rows equal the clean run's"

echo "# faults: $((SECONDS - started)) s"
echo "1..$n"
