#!/usr/bin/env bash
# The README's main job: a throwaway cluster, a generated v15 cowrie database,
# the v16 migration and the backfill, then coverage and timings.
#   bash tools/demo.sh            (N=100000 sessions; N=... to change)
set -euo pipefail
cd "$(dirname "$0")/.."
. tools/deps.sh
install_deps
. tools/cluster.sh

N=${N:-100000}
make -s PG_CONFIG="$PG_CONFIG" >/dev/null
make -s PG_CONFIG="$PG_CONFIG" install >/dev/null
trap cluster_stop EXIT
cluster_start /tmp/cowrie_demo 55490 shared_buffers=512MB
psql() { "$PGBIN/psql" -X -v ON_ERROR_STOP=1 "$@"; }
seconds() { echo "$EPOCHREALTIME"; }
elapsed() { awk -v a="$1" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.2f", b - a }'; }

echo "== generating a v15 cowrie database with $N sessions (json enrichment)"
t=$(seconds)
psql -q -c 'CREATE DATABASE cowrie_v15'
psql -q -d cowrie_v15 -v n="$N" -f test/fixtures/cowrie_v15.sql
echo "   generated in $(elapsed "$t") s; $(psql -At -d cowrie_v15 -c "SELECT pg_size_pretty(pg_total_relation_size('session_summaries'))") of session_summaries"
psql -q -c 'CREATE DATABASE cowrie_deferred TEMPLATE cowrie_v15'

echo
echo "== 1. default mode: CREATE EXTENSION cowrie_snapshot migrates and fills every session"
t=$(seconds)
psql -d cowrie_v15 -c 'CREATE EXTENSION cowrie_snapshot'
echo "   migration: $(elapsed "$t") s"
psql -d cowrie_v15 -c 'SELECT * FROM cowrie_snapshot_coverage()'

echo "== 2. deferred mode: migrate the schema now, backfill the sessions afterwards"
t=$(seconds)
PGOPTIONS='-c cowrie_snapshot.defer_session_backfill=on' psql -d cowrie_deferred -c 'CREATE EXTENSION cowrie_snapshot'
echo "   migration: $(elapsed "$t") s"
t=$(seconds)
psql -d cowrie_deferred -c 'SELECT cowrie_backfill(1000)'
echo "   backfill: $(elapsed "$t") s"
psql -d cowrie_deferred -c 'SELECT cowrie_backfill(1000) AS left_to_do'
psql -d cowrie_deferred -c 'SELECT * FROM cowrie_snapshot_coverage()'
echo "== the same sessions, the same snapshots either way:"
psql -d cowrie_v15 -At -c "SELECT md5(string_agg(concat_ws('|', session_id, source_ip, snapshot_asn, snapshot_country, snapshot_ip_type, enrichment_at), ',' ORDER BY session_id)) FROM session_summaries" >/tmp/cowrie_demo_a
psql -d cowrie_deferred -At -c "SELECT md5(string_agg(concat_ws('|', session_id, source_ip, snapshot_asn, snapshot_country, snapshot_ip_type, enrichment_at), ',' ORDER BY session_id)) FROM session_summaries" >/tmp/cowrie_demo_b
echo "   default: $(cat /tmp/cowrie_demo_a)  deferred+backfill: $(cat /tmp/cowrie_demo_b)"
cmp -s /tmp/cowrie_demo_a /tmp/cowrie_demo_b && echo "   identical" || { echo "   DIFFERENT"; exit 1; }
