#!/usr/bin/env bash
# cowrie_enrichment_facts(json) before and after it read its argument once:
# the library of BASELINE (default a142eac, which detoasted the document twice)
# is loaded under its own name beside the current one, and both run the
# migration's read (count(cowrie_enrichment_facts(enrichment)) over every
# session) alternately on the same table, RUNS times each.
#
#   N=100000 DOC_BYTES=5000 RUNS=7 bash bench/facts_detoast.sh
set -euo pipefail
cd "$(dirname "$0")/.."
. tools/cluster.sh
N=${N:-100000} DOC_BYTES=${DOC_BYTES:-5000} RUNS=${RUNS:-7} BASELINE=${BASELINE:-a142eac}
PORT=${BENCH_PORT:-55498}
make -s PG_CONFIG="$PG_CONFIG" >/dev/null && make -s PG_CONFIG="$PG_CONFIG" install >/dev/null
base=$(mktemp -d)
git archive "$BASELINE" | tar -C "$base" -xf -
make -s -C "$base" PG_CONFIG="$PG_CONFIG" MODULE_big=cowrie_facts_baseline cowrie_facts_baseline.so >/dev/null
install -m 755 "$base/cowrie_facts_baseline.so" "$("$PG_CONFIG" --pkglibdir)/"
rm -rf "$base"
trap 'cluster_stop; rm -f "$("$PG_CONFIG" --pkglibdir)/cowrie_facts_baseline.so"' EXIT
cluster_start "${BENCH_DIR:-/tmp/cowrie_facts_$PORT}" "$PORT" shared_buffers=1GB
P="$PGBIN/psql -X -q -v ON_ERROR_STOP=1 -d postgres"
$P -v n="$N" -v doc_bytes="$DOC_BYTES" -f test/fixtures/cowrie_v15.sql >/dev/null 2>&1
$P -c "CREATE EXTENSION cowrie_snapshot VERSION '1.0'" >/dev/null 2>&1 # the type and the functions, no migration
# Each library in a backend of its own: both define the extension's settings.
$P -c "CREATE FUNCTION facts_before(json) RETURNS cowrie_enrichment_facts AS 'cowrie_facts_baseline', 'cowrie_enrichment_facts_json' LANGUAGE C IMMUTABLE STRICT"
$P -c "CREATE FUNCTION facts_after(json) RETURNS cowrie_enrichment_facts AS 'cowrie_snapshot', 'cowrie_enrichment_facts_json' LANGUAGE C IMMUTABLE STRICT" \
   -c 'VACUUM ANALYZE session_summaries' -c 'SET max_parallel_workers_per_gather = 0' >/dev/null
$P -At -c "SELECT 'documents: ' || count(*) || ', average ' || round(avg(octet_length(enrichment::text))) || ' bytes, '
           || count(*) FILTER (WHERE pg_column_size(enrichment) < octet_length(enrichment::text)) || ' stored compressed or out of line; toast '
           || pg_size_pretty(pg_total_relation_size(reltoastrelid)) FROM session_summaries, pg_class WHERE relname = 'session_summaries'
           GROUP BY reltoastrelid"
# Same answers first; then one warm-up of each, then RUNS alternating pairs.
sum() { $P -At -c "SELECT md5(string_agg($1(enrichment)::text, ',' ORDER BY session_id)) FROM session_summaries"; }
[ "$(sum facts_before)" = "$(sum facts_after)" ] && echo "same results: true" || echo "same results: FALSE"
times=$(mktemp)
for i in $(seq 0 "$RUNS"); do
	for f in before after; do
		ms=$($P -At -c 'SET max_parallel_workers_per_gather = 0' -c '\timing on' \
			-c "SELECT count((facts_$f(enrichment)).ip) FROM session_summaries" | sed -nE 's/^Time: ([0-9.]+) ms.*/\1/p')
		[ "$i" = 0 ] || echo "$f $ms" >>"$times"
	done
done
median() { grep "^$1 " "$times" | cut -d' ' -f2 | sort -n | awk '{a[NR] = $1} END {print (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2}'; }
for f in before after; do echo "$f: median $(median $f) ms of $(grep -c "^$f " "$times") runs:$(grep "^$f " "$times" | cut -d' ' -f2 | tr '\n' ' ')"; done
awk -v a="$(median after)" -v b="$(median before)" 'BEGIN {printf "ratio after/before: %.3f\n", a / b}'
rm -f "$times"
