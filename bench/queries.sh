#!/usr/bin/env bash
# ADR-007's query classes side by side in one run (issue 31): each answered
# from the snapshot columns, through a JOIN with ip_inventory, and straight
# from the documents (bench/queries/queries.sql), on a v15 fixture migrated in
# default mode whose inventory is then classified as upstream's cascade
# enricher writes it (ADR-009) and whose ASNs are named as cowrie-enrich-asn
# names them, followed by one ordinary backfill run and VACUUM ANALYZE.
# Then what the three indexes 1.3 adds cost: their build in the migration, a
# loader's INSERT of 20,000 sessions, and the backfill's writing of 20,000.
#
#   N=100000 RUNS=5 bash bench/queries.sh
#   N=300000 RUNS=5 DOC_BYTES=5000 DOCUMENTS=0 COST_RUNS=0 bash bench/queries.sh
#
# Medians of RUNS, after one warm-up round; the ways of a class alternate in
# order from round to round. The costs: medians of COST_RUNS (default 9; a
# shared machine's noise is larger than three index insertions a row). Durable settings as bench/run.sh, autovacuum off.
# Prints a markdown report; BENCH_PORT (default 56220) and BENCH_DIR choose
# the throwaway cluster.
set -euo pipefail
cd "$(dirname "$0")/.."
. tools/cluster.sh
N=${N:-100000} RUNS=${RUNS:-5} DOC_BYTES=${DOC_BYTES:-0} COST_RUNS=${COST_RUNS:-9}
PORT=${BENCH_PORT:-56220} DIR=${BENCH_DIR:-/tmp/cowrie_queries_$PORT}
OUT=$(mktemp -d)
# The indexes 1.3 adds for snapshot queries.
NEW_INDEXES="ix_session_summaries_snapshot_ip_type idx_session_snapshot_cluster idx_session_snapshot_country_first_event"
NEW_INDEXES_COMMA=${NEW_INDEXES// /, }
make -s PG_CONFIG="$PG_CONFIG" >/dev/null && make -s PG_CONFIG="$PG_CONFIG" install >/dev/null
trap 'cluster_stop; rm -rf "$OUT"' EXIT
cluster_start "$DIR" "$PORT" fsync=on synchronous_commit=on full_page_writes=on shared_buffers=1GB \
	max_wal_size=4GB autovacuum=off
psql_db() { "$PGBIN/psql" -X -q -v ON_ERROR_STOP=1 -d cowrie "$@"; }
ms() { sed -n 's/^Time: \([0-9.]*\) ms.*/\1/p'; }

"$PGBIN/createdb" cowrie
args=(-v n="$N" -v enrichment_type=json)
[ "$DOC_BYTES" != 0 ] && args+=(-v doc_bytes="$DOC_BYTES")
psql_db "${args[@]}" -f test/fixtures/cowrie_v15.sql >/dev/null 2>&1
migrate_ms=$(psql_db -c 'SET client_min_messages = warning' -c '\timing on' -c 'CREATE EXTENSION cowrie_snapshot' | ms)
psql_db -c 'SET client_min_messages = warning' -f test/pgtap/include/classify_inventory.sql \
	-c "UPDATE asn_inventory SET organization_name = 'Org ' || asn_number, organization_country = 'us'" \
	-c 'SELECT cowrie_backfill(1000)' >/dev/null
# The migration's cost of each new index: its build, on the filled table.
declare -A build
for ix in $NEW_INDEXES; do
	def=$(psql_db -At -c "SELECT pg_get_indexdef('$ix'::regclass)")
	build[$ix]=$(psql_db -c "DROP INDEX $ix" -c '\timing on' -c "$def" | ms)
done
psql_db -c 'VACUUM ANALYZE' >/dev/null
read -r country month < <(psql_db -At -F ' ' -c "SELECT (SELECT snapshot_country FROM session_summaries WHERE snapshot_country <> 'XX'
	GROUP BY 1 ORDER BY count(*) DESC LIMIT 1), (SELECT date_trunc('month', first_event_at)::date FROM session_summaries
	WHERE first_event_at IS NOT NULL GROUP BY 1 ORDER BY count(*) DESC LIMIT 1)")

# The query script: warm-up round 0, then RUNS rounds, ways alternating.
# DOCUMENTS=0 leaves out the documents' way (a minute a query at 300k).
mapfile -t lines < <(grep -v '^--' bench/queries/queries.sql | grep . | { [ "${DOCUMENTS:-1}" = 0 ] && grep -v '|documents|' || cat; })
{
	echo '\set country '"$country"; echo "\\set month $month"; echo '\o /dev/null'; echo '\timing on'
	for ((r = 0; r <= RUNS; r++)); do
		if ((r % 2)); then order=$(seq $((${#lines[@]} - 1)) -1 0); else order=$(seq 0 $((${#lines[@]} - 1))); fi
		for i in $order; do
			IFS='|' read -r class way sql <<<"${lines[$i]}"
			echo "\\echo Q $r $class $way"; echo "$sql;"
		done
	done
} >"$OUT/run.sql"
psql_db -f "$OUT/run.sql" >"$OUT/times.txt"

# Ingestion and backfill with and without the three indexes, alternating, each
# in a rolled-back transaction, after a VACUUM (the dead rows of the last
# one) and a CHECKPOINT (as many full-page images for each).
cost_sql() { # $1 with|without, $2 insert|backfill
	echo 'VACUUM session_summaries;'
	echo 'CHECKPOINT;'
	echo 'BEGIN;'
	[ "$1" = without ] && echo "DROP INDEX $NEW_INDEXES_COMMA;"
	if [ "$2" = insert ]; then
		echo "CREATE TEMP TABLE batch AS SELECT * FROM session_summaries WHERE snapshot_country <> 'XX' ORDER BY session_id LIMIT 20000;"
		echo "UPDATE batch SET session_id = 'n' || session_id, snapshot_ip_type = NULL, enrichment_at = NULL;"
		echo '\timing on'
		echo "\\echo C $1 $2"
		echo 'INSERT INTO session_summaries SELECT * FROM batch;'
	else
		echo 'ALTER TABLE session_summaries DISABLE TRIGGER cowrie_session_snapshot;'
		echo "UPDATE session_summaries SET snapshot_country = NULL, snapshot_asn = NULL, snapshot_ip_type = NULL, enrichment_at = NULL
		      WHERE session_id IN (SELECT session_id FROM session_summaries ORDER BY session_id LIMIT 20000);"
		echo '\timing on'
		echo "\\echo C $1 $2"
		echo 'SELECT cowrie_backfill(1000);'
	fi
	echo '\timing off'; echo 'ROLLBACK;'
}
for ((r = 0; r < COST_RUNS; r++)); do
	for what in insert backfill; do
		if ((r % 2)); then ways="without with"; else ways="with without"; fi
		for w in $ways; do cost_sql "$w" "$what" | psql_db -c 'SET client_min_messages = warning' -f - >>"$OUT/cost.txt" 2>&1; done
	done
done

/usr/bin/python3 - "$OUT/times.txt" "$OUT/cost.txt" <<PY
import re, statistics, sys
def collect(path, tag):
    cur, out = None, {}
    for line in open(path):
        m = re.match(r'^' + tag + r' (.*)$', line.strip())
        if m: cur = m.group(1).split(); continue
        t = re.match(r'^Time: ([0-9.]+) ms', line)
        if t and cur: out.setdefault(tuple(cur), []).append(float(t.group(1))); cur = None
    return out
q = collect(sys.argv[1], 'Q')
med = {}
for (r, cls, way), v in ((k, v) for k, v in q.items()):
    if r != '0': med.setdefault((cls, way), []).extend(v)
print('N = $N sessions%s, RUNS = $RUNS (medians, ms), country $country, month $month' % (', documents padded to about $DOC_BYTES bytes' if $DOC_BYTES else ''))
print()
print('| question | snapshot | JOIN ip_inventory | documents | JOIN / snapshot | documents / snapshot |')
print('|---|---|---|---|---|---|')
classes = []
for line in open('bench/queries/queries.sql'):
    if line.startswith('--') or not line.strip(): continue
    c = line.split('|')[0]
    if c not in classes: classes.append(c)
for c in classes:
    s, j = (statistics.median(med[(c, w)]) for w in ('snapshot', 'join'))
    d = statistics.median(med[(c, 'documents')]) if (c, 'documents') in med else None
    print(f'| {c} | {s:.1f} | {j:.1f} | ' + (f'{d:.1f} | {j/s:.1f}x | {d/s:.1f}x |' if d else f'not run | {j/s:.1f}x | |'))
print()

c = collect(sys.argv[2], 'C') if $COST_RUNS > 0 else {}
if c:
    print(f'| 20,000 sessions (medians of $COST_RUNS) | with the three indexes | without | cost |')
    print('|---|---|---|---|')
for what in ('insert', 'backfill') if c else ():
    w, wo = statistics.median(c[('with', what)]), statistics.median(c[('without', what)])
    print(f'| {"loader INSERT (country and ASN written, type by the trigger)" if what == "insert" else "cowrie_backfill(1000) writing them"} | {w:.0f} ms | {wo:.0f} ms | {w - wo:+.0f} ms ({(w / wo - 1) * 100:+.0f}%) |')
print()
print('migration: CREATE EXTENSION (default mode) $migrate_ms ms; index builds: ' + ', '.join(x.replace('=', ' ') + ' ms' for x in '$(for ix in $NEW_INDEXES; do printf '%s=%s ' $ix ${build[$ix]}; done)'.split()))
PY
"$PGBIN/psql" -X -At -d cowrie -c "SELECT 'sizes: table ' || pg_size_pretty(pg_table_size('session_summaries')) || ', ' || (SELECT string_agg(i || ' ' || pg_size_pretty(pg_relation_size(i::regclass)), ', ') FROM unnest(string_to_array('$NEW_INDEXES', ' ')) i) || '; ' || version()"
echo "machine: $(nproc) cores, $(free -g | awk '/Mem:/ {print $2}') GB, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)"
