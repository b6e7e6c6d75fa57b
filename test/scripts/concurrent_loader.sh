#!/usr/bin/env bash
# The committing backfill next to a loader: pgbench clients upsert sessions the
# way upstream's loader does (ON CONFLICT ... COALESCE) while
# cowrie_backfill_commit runs. No deadlock, no error, no lost update, and the
# snapshots equal a serial run's. A second concurrent backfill is refused.
# Prints TAP. Needs the suite's cluster (PGHOST...).
cd "$(dirname "$0")/../.."
. test/lib/tap.sh

for db in cl_base cl_serial cl_concurrent; do $PSQL -c "DROP DATABASE IF EXISTS $db" 2>/dev/null; done
$PSQL -c 'CREATE DATABASE cl_base'
$PSQL -d cl_base -v n=3000 -f test/fixtures/cowrie_v15.sql
apply_layout cl_base; setup $? "session_summaries in the ${COWRIE_LAYOUT:-plain} layout"
$PSQL -d cl_base -c "SET cowrie_snapshot.defer_session_backfill = on" -c 'CREATE EXTENSION cowrie_snapshot' 2>/dev/null
$PSQL -d cl_base -c 'CREATE TABLE loader_ids AS SELECT row_number() OVER (ORDER BY session_id)::int AS k, session_id FROM session_summaries' \
	-c 'ALTER TABLE loader_ids ADD PRIMARY KEY (k)'
$PSQL -c 'CREATE DATABASE cl_serial TEMPLATE cl_base' -c 'CREATE DATABASE cl_concurrent TEMPLATE cl_base'

# The serial reference.
$PSQL -d cl_serial -c 'CALL cowrie_backfill_commit(50)' 2>/dev/null

# The loader: upstream's upsert, adding one event to an existing session.
cat >"$WORK/loader.sql" <<'SQL'
\set k random(1, 3000)
INSERT INTO session_summaries AS s (session_id, event_count, enrichment, source_ip, snapshot_asn, snapshot_country, snapshot_ip_type, enrichment_at)
SELECT l.session_id, 1, NULL, NULL, NULL, NULL, NULL, NULL FROM loader_ids l WHERE l.k = :k
ON CONFLICT (session_id) DO UPDATE SET
    event_count = s.event_count + excluded.event_count,
    enrichment = COALESCE(excluded.enrichment, s.enrichment),
    source_ip = COALESCE(s.source_ip, excluded.source_ip),
    snapshot_asn = COALESCE(s.snapshot_asn, excluded.snapshot_asn),
    snapshot_country = COALESCE(s.snapshot_country, excluded.snapshot_country),
    snapshot_ip_type = COALESCE(s.snapshot_ip_type, excluded.snapshot_ip_type),
    enrichment_at = COALESCE(s.enrichment_at, excluded.enrichment_at),
    updated_at = now();
SQL
events_before=$($PSQL -At -d cl_concurrent -c 'SELECT sum(event_count) FROM session_summaries')
"$PGBIN/pgbench" -n -c 4 -j 2 -T 6 -f "$WORK/loader.sql" cl_concurrent >"$WORK/pgbench.out" 2>&1 &
loader=$!
sleep 0.5
$PSQL -d cl_concurrent -c 'CALL cowrie_backfill_commit(20, batch_lock_timeout => $$500ms$$)' >"$WORK/backfill.out" 2>&1
backfill_rc=$?
# A second run while one holds the lock is refused at once.
$PSQL -d cl_concurrent -c "SELECT pg_advisory_lock(1668249458, 1), pg_sleep(3)" >/dev/null 2>&1 &
holder=$!
sleep 1
$PSQL -d cl_concurrent -c 'CALL cowrie_backfill_commit(20)' >"$WORK/second.out" 2>&1
second_rc=$?
wait $holder
wait $loader
loader_rc=$?
$PSQL -d cl_concurrent -c 'CALL cowrie_backfill_commit(50)' >/dev/null 2>&1   # rows the loader held are picked up now

[ $backfill_rc = 0 ]; ok $? "the committing backfill completes beside the loader"
[ -s "$WORK/backfill.out" ] && sed 's/^/# /' "$WORK/backfill.out" | head -n 5
[ $loader_rc = 0 ] && grep -q 'number of failed transactions: 0' "$WORK/pgbench.out"
ok $? "the loader saw no error and no deadlock"
grep -E 'number of transactions actually processed|failed' "$WORK/pgbench.out" | sed 's/^/# /'
txns=$(sed -nE 's/number of transactions actually processed: ([0-9]+).*/\1/p' "$WORK/pgbench.out")
events_after=$($PSQL -At -d cl_concurrent -c 'SELECT sum(event_count) FROM session_summaries')
[ -n "$txns" ] && [ "$events_after" = $((events_before + txns)) ]; ok $? "no lost update ($events_before + $txns upserts = $events_after events)"
[ "$($PSQL -At -d cl_concurrent -c 'SELECT count(*) FROM session_summaries WHERE snapshot_country IS NULL')" = 0 ]
ok $? "every session has its snapshot"
[ "$(snapshot_sum cl_concurrent)" = "$(snapshot_sum cl_serial)" ]
ok $? "the snapshots equal those of a serial run"
[ $second_rc != 0 ] && grep -q "advisory lock is held by another session" "$WORK/second.out" &&
	grep -q "its current query is not a cowrie_backfill_commit call: SELECT pg_advisory_lock" "$WORK/second.out"
ok $? "a second run while the lock is held is refused with a clear error that says what holds it"
sed 's/^/# /' "$WORK/second.out" | head -n 3

for db in cl_base cl_serial cl_concurrent; do $PSQL -c "DROP DATABASE IF EXISTS $db" 2>/dev/null; done
echo "1..$n"
