#!/usr/bin/env bash
# The benchmark: the extension against its peers, side by side, on a throwaway
# PostgreSQL 15 cluster with durable settings (fsync, synchronous_commit and
# full_page_writes on).
#
#   bash bench/run.sh                      (N=1000000 sessions, RUNS=3)
#   N=100000 RUNS=3 bash bench/run.sh      (what BENCHMARKS.md quotes first)
#   BENCH=lookup_memory bash bench/run.sh  (only the lookup's backend memory; N=100000 by default)
#   BENCH=scheduled bash bench/run.sh      (only scheduled runs on a complete database; N=1000000)
#   BENCH=scale N=1680000 DOC_BYTES=5000 bash bench/run.sh
#                                          (only the migration and the backfill, at N alone: production's shape)
#   BENCH=backfill_v16 N=100000 bash bench/run.sh
#                                          (only the backfill on upstream's v16 state)
#   BENCH=partitioned N=100000 DOC_BYTES=5000 bash bench/run.sh
#                                          (the backfill on the same v15 rows in a plain and in a
#                                           partitioned session_summaries, side by side)
#   BENCH=write_once N=100000 DOC_BYTES=5000 bash bench/run.sh
#                                          (the default-mode write: UPDATE of every row or table rewrite)
#   BENCH=citus N=1000000 RUNS=1 bash bench/run.sh
#                                          (the same v15 rows on this single node and on a Citus
#                                           coordinator with two workers, same machine, side by side:
#                                           migration, backfill, scheduled runs; test/lib/citus.sh)
#   BENCH=road N=100000 DOC_BYTES=5000 bash bench/run.sh
#                                          (the repair and the backfill on production's road:
#                                           upstream's own v16, test/fixtures/production_road.sql)
#
# Variables:
#   N                 sessions in the generated v15 database (default 1000000)
#   RUNS              runs of each benchmark, each on a fresh database copy (default 3)
#   SCALE_BASE        the smaller size the scaling benchmark compares N with (default 100000)
#   CLIENT_LOOP_MAX   largest size at which the client-loop peer runs (default 1000000);
#                     above it the peer is reported as not run
#   BENCH_PORT        port of the throwaway cluster's unix socket (default 55497)
#   BENCH_DIR         directory of the throwaway cluster (default /tmp/cowrie_bench_$BENCH_PORT)
#   BENCH             all (default), scale, lookup_memory, scheduled, backfill_v16, road, partitioned,
#                     write_once or citus (the Citus nodes on BENCH_PORT+10..+12, in BENCH_DIR_citus_c, _w1, _w2)
#   DOC_BYTES         pad each session document to about this many bytes (default: unpadded,
#                     about 1.5 KB; production's are about 5 KB)
#   LOOKUP_MEMORY_IPS distinct IPs in the lookup memory benchmark's array (default 1000000)
#   LOOKUP_BASELINE   a commit whose cowrie_lookup_snapshots the lookup memory benchmark runs
#                     beside the current one (built as the library cowrie_lookup_baseline)
#
# Writes the markdown report to stdout, bench/results/<timestamp>.md (and .json)
# and regenerates BENCHMARKS.md from the latest result of each N (N >= 100000).
set -euo pipefail
cd "$(dirname "$0")/.."
. tools/deps.sh
install_deps python3-psycopg python3-psycopg2 python3-sqlalchemy
[ "${BENCH:-}" = citus ] && install_deps "${COWRIE_CITUS_DEPS[@]}" # to build Citus (test/lib/citus.sh)
. tools/cluster.sh

export BENCH=${BENCH:-all}
[ "$BENCH" = lookup_memory ] && export N=${N:-100000}
export N=${N:-1000000} RUNS=${RUNS:-3}
export SCALE_BASE=${SCALE_BASE:-100000} CLIENT_LOOP_MAX=${CLIENT_LOOP_MAX:-1000000}
BENCH_PORT=${BENCH_PORT:-55497}
BENCH_DIR=${BENCH_DIR:-/tmp/cowrie_bench_$BENCH_PORT}

echo "== building and installing the extension (PG_CONFIG=$PG_CONFIG)"
make -s PG_CONFIG="$PG_CONFIG" >/dev/null
make -s PG_CONFIG="$PG_CONFIG" install >/dev/null
if [ -n "${LOOKUP_BASELINE:-}" ]; then
	# Only the library, under its own name: the extension's scripts stay the current ones.
	echo "== building the baseline lookup from $LOOKUP_BASELINE"
	base=$(mktemp -d)
	git archive "$LOOKUP_BASELINE" | tar -C "$base" -xf -
	make -s -C "$base" PG_CONFIG="$PG_CONFIG" MODULE_big=cowrie_lookup_baseline cowrie_lookup_baseline.so >/dev/null
	install -m 755 "$base/cowrie_lookup_baseline.so" "$("$PG_CONFIG" --pkglibdir)/"
	rm -rf "$base"
	export LOOKUP_BASELINE=$(git rev-parse --short "$LOOKUP_BASELINE")
fi

# Durable settings: the cluster helper passes fsync=off, the later -c wins.
# autovacuum is off so that one run's vacuum never overlaps the next run's
# timing or WAL; every run starts from a freshly copied, vacuumed template.
SETTINGS=(fsync=on synchronous_commit=on full_page_writes=on shared_buffers=1GB max_wal_size=4GB
	autovacuum=off)
trap cluster_stop EXIT
echo "== starting a throwaway cluster in $BENCH_DIR: ${SETTINGS[*]}"
cluster_start "$BENCH_DIR" "$BENCH_PORT" "${SETTINGS[@]}"
export BENCH_DATADIRS=$CLUSTER_DIR/data
if [ "$BENCH" = citus ]; then
	# Citus from the test's cache (built there once), into the same server; its three
	# nodes with the single node's settings, so that only the layout differs.
	. test/lib/citus.sh
	citus_build || exit 1
	citus_install || exit 1
	trap 'citus_cluster_stop; cluster_stop' EXIT
	echo "== starting a Citus coordinator and two workers in ${BENCH_DIR}_citus_{c,w1,w2}"
	CITUS_NODE_SETTINGS="${SETTINGS[*]}" citus_cluster_start "${BENCH_DIR}_citus" $((BENCH_PORT + 10)) || exit 1
	export BENCH_CITUS_NODES="$CITUS_COORD:$CITUS_PORT ${CITUS_WORKERS[*]}"
	BENCH_DATADIRS="$CLUSTER_DIR/data $CITUS_COORD/data ${CITUS_WORKERS[0]%:*}/data ${CITUS_WORKERS[1]%:*}/data"
	export PGHOST=$CLUSTER_DIR PGPORT=$BENCH_PORT # back to the single node
fi
export BENCH_SETTINGS="${SETTINGS[*]}"
export BENCH_COMMAND="$([ "$BENCH" = all ] || echo "BENCH=$BENCH ")$([ -z "${DOC_BYTES:-}" ] || echo "DOC_BYTES=$DOC_BYTES ")N=$N RUNS=$RUNS bash bench/run.sh"
"$PGBIN/psql" -X -At -c "SELECT name || ' = ' || setting || coalesce(' ' || unit, '') FROM pg_settings
	WHERE name IN ('fsync', 'synchronous_commit', 'full_page_writes', 'shared_buffers', 'work_mem',
	               'max_wal_size', 'autovacuum', 'wal_level', 'checkpoint_timeout') ORDER BY name" | sed 's/^/   /'

# Debian's python3, where python3-psycopg is installed (not a pyenv/venv python on PATH).
/usr/bin/python3 bench/lib/bench.py
