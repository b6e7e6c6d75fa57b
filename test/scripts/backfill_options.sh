#!/usr/bin/env bash
# cowrie_backfill_commit's options and its advisory lock. NULL options and a
# batch_size past 1,000,000 are refused before the run takes its lock; the
# lock (any role can take it: pg_advisory_lock(1668249458, 1)) is reported by
# who holds it, never as "another cowrie_backfill_commit is running" unless
# the holder's query is one. Prints TAP; needs the suite's cluster.
cd "$(dirname "$0")/../.."
. test/lib/tap.sh
PSQL="$PSQL -v VERBOSITY=verbose"
DB=opt_backfill
LOCKS="SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND classid = 1668249458 AND objid = 1 AND objsubid = 2"
FILLED="SELECT count(*) FROM session_summaries WHERE snapshot_country IS NOT NULL"
q() { $PSQL -At -d $DB -c "$1"; }
cleanup() {
	[ -n "${holder_pid:-}" ] && kill "$holder_pid" 2>/dev/null
	$PSQL -d postgres -c "DROP DATABASE IF EXISTS $DB" -c 'DROP ROLE IF EXISTS opt_squatter' >/dev/null 2>&1
	rm -rf "$WORK"
}
trap cleanup EXIT

$PSQL -d postgres -c "DROP DATABASE IF EXISTS $DB" -c "CREATE DATABASE $DB" -c 'DROP ROLE IF EXISTS opt_squatter' \
	-c 'CREATE ROLE opt_squatter LOGIN' >/dev/null 2>&1
$PSQL -d $DB -v n=2000 -f test/fixtures/cowrie_v15.sql >/dev/null 2>&1
$PSQL -d $DB -c 'SET cowrie_snapshot.defer_session_backfill = on' -c 'CREATE EXTENSION cowrie_snapshot' >/dev/null 2>&1

# refused CALL SQLSTATE MESSAGE DETAIL: the CALL fails so, and leaves no lock and no session written.
refused() {
	local call=$1 state=$2 msg=$3 detail=$4 out
	out=$($PSQL -d $DB -c "$call" 2>&1)
	grep -qF <<<"$out" "ERROR:  $state: $msg" && grep -qF <<<"$out" "DETAIL:  $detail" &&
		grep -q <<<"$out" "HINT:  " && [ "$(q "$LOCKS")" = 0 ] && [ "$(q "$FILLED")" = 0 ]
	ok $? "$call: $state, and no lock or session left"
	echo "$out" | grep -E 'ERROR|DETAIL|HINT' | sed 's/^/# /'
}
refused 'CALL cowrie_backfill_commit(1000, retry_unenrichable => NULL)' 22004 \
	'cowrie_snapshot: retry_unenrichable of cowrie_backfill_commit must not be NULL' \
	'cowrie_backfill_commit was called with retry_unenrichable => NULL.'
refused 'CALL cowrie_backfill_commit(NULL)' 22004 \
	'cowrie_snapshot: batch_size of cowrie_backfill_commit must not be NULL' \
	'cowrie_backfill_commit was called with batch_size => NULL.'
refused 'CALL cowrie_backfill_commit(1000, batch_lock_timeout => NULL)' 22004 \
	'cowrie_snapshot: batch_lock_timeout of cowrie_backfill_commit must not be NULL' \
	'cowrie_backfill_commit was called with batch_lock_timeout => NULL.'
refused 'CALL cowrie_backfill_commit(42949673)' 22023 \
	'cowrie_snapshot: batch_size of cowrie_backfill_commit must be between 1 and 1000000' 'batch_size is 42949673.'
refused 'CALL cowrie_backfill_commit(0)' 22023 \
	'cowrie_snapshot: batch_size of cowrie_backfill_commit must be between 1 and 1000000' 'batch_size is 0.'

# A role that only connects holds the lock, idle, under an application_name.
mkfifo "$WORK/fifo"
(PGAPPNAME=squatting_app $PGBIN/psql -X -q -At -U opt_squatter -d $DB <"$WORK/fifo" >"$WORK/holder.out" 2>&1) &
holder_pid=$!
exec 7>"$WORK/fifo"
echo "SELECT 'holder: ' || pg_backend_pid() WHERE pg_try_advisory_lock(1668249458, 1);" >&7
for _ in $(seq 200); do grep -q '^holder: ' "$WORK/holder.out" && break; sleep 0.05; done
holder=$(sed -nE 's/^holder: //p' "$WORK/holder.out")
out=$($PSQL -d $DB -c 'CALL cowrie_backfill_commit(1000)' 2>&1)
echo "$out" | grep -E 'ERROR|DETAIL|HINT' | sed 's/^/# /'
grep -qF <<<"$out" "ERROR:  55P03: cowrie_snapshot: the committing backfill's advisory lock is held by another session"
ok $? "a run behind a lock some role took fails with 55P03"
! grep -q <<<"$out" 'another cowrie_backfill_commit is running'
ok $? "  and does not claim that a backfill is running"
grep -qF <<<"$out" "DETAIL:  Advisory lock (1668249458, 1) is held by backend $holder (role opt_squatter, application_name 'squatting_app', state: idle); its last query is not a cowrie_backfill_commit call: SELECT 'holder: '"
ok $? "  the DETAIL names the holder's pid ($holder), role, application_name, state, and that its query is not a backfill"
grep -qF <<<"$out" "pg_terminate_backend($holder)" && grep -qF <<<"$out" "pg_stat_activity WHERE pid = $holder"
ok $? "  the HINT says how to find and end it"
[ "$(q "$FILLED")" = 0 ]; ok $? "  and the refused run wrote nothing"
echo '\q' >&7
exec 7>&-
wait "$holder_pid" 2>/dev/null
holder_pid=

# A real run holds it: the refusal says that the holder's query is one.
$PSQL -d $DB -c 'CALL cowrie_backfill_commit(1)' >"$WORK/running.out" 2>&1 &
running=$!
for _ in $(seq 400); do [ "$(q "$LOCKS")" = 1 ] && break; sleep 0.025; done
out=$($PSQL -d $DB -c 'CALL cowrie_backfill_commit(1000)' 2>&1)
wait $running
echo "$out" | grep -E 'DETAIL' | sed 's/^/# /'
grep -qF <<<"$out" "ERROR:  55P03: cowrie_snapshot: the committing backfill's advisory lock is held by another session" &&
	grep -qF <<<"$out" "state: active); its current query is a cowrie_backfill_commit call: CALL cowrie_backfill_commit(1)"
ok $? "a run behind a running CALL cowrie_backfill_commit(1) is refused, saying the holder's query is a backfill call"

# Once it is gone, the run proceeds and fills every session.
$PSQL -d $DB -c 'CALL cowrie_backfill_commit(1000000)' >/dev/null 2>&1
[ "$(q "SELECT count(*) FROM session_summaries WHERE snapshot_country IS NULL AND source_ip IS NOT NULL")" = 0 ] &&
	[ "$(q "$LOCKS")" = 0 ]
ok $? "after the holder ends, CALL cowrie_backfill_commit(1000000) fills every session and releases the lock"
echo "1..$n"
