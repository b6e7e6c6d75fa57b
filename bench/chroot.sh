#!/usr/bin/env bash
# The benchmark (bench/run.sh) on PostgreSQL 17 (Debian trixie) or 18 (sid), in
# the chroot test/matrix.sh builds and keeps under /tmp/cowrie-chroots (run the
# matrix once first). Needs root. The results come back to bench/results and
# BENCHMARKS.md is regenerated.
#   BENCH=scale N=1680000 DOC_BYTES=5000 bash bench/chroot.sh 17
# Passes N, RUNS, BENCH, DOC_BYTES, SCALE_BASE, CLIENT_LOOP_MAX through.
set -uo pipefail
cd "$(dirname "$0")/.."
SRC=$PWD
. test/matrix/chroot.sh

V=${1:-17}
case $V in
17) SUITE=trixie ;;
18) SUITE=sid ;;
*) echo "usage: bash bench/chroot.sh [17|18]" >&2; exit 2 ;;
esac
ROOT=${COWRIE_CHROOT_BASE:-/tmp/cowrie-chroots}/$SUITE
fail() { echo "bench/chroot.sh: $*" >&2; exit 1; }
[ "$(id -u)" = 0 ] || fail "needs root (chroot, mount)"
[ -f "$ROOT/$CHROOT_STAMP" ] || fail "no $SUITE chroot in $ROOT: run bash test/matrix.sh $V first"

chroot_lock "$ROOT"
cleanup() {
	local rc=$?
	trap - EXIT INT TERM
	chroot_reap "$ROOT"
	chroot_down "$ROOT" || rc=1
	exit $rc
}
trap cleanup EXIT INT TERM
chroot_up "$ROOT" || fail "cannot mount /proc, /dev in $ROOT"

# The drivers' Python packages, once.
chroot_run "$ROOT" sh -c 'dpkg -s python3-psycopg python3-psycopg2 python3-sqlalchemy procps >/dev/null 2>&1 ||
	{ apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q python3-psycopg python3-psycopg2 python3-sqlalchemy procps; }' \
	>/dev/null || fail "cannot install the Python drivers in $ROOT"

# The working tree as git lists it (bench/results included, so BENCHMARKS.md keeps every section).
rm -rf --one-file-system "$ROOT/root/bench-ext" && mkdir -p "$ROOT/root/bench-ext" || fail "cannot clear $ROOT/root/bench-ext"
git -C "$SRC" ls-files -z --cached --others --exclude-standard | tar -C "$SRC" --null -T - -cf - |
	tar -C "$ROOT/root/bench-ext" --no-same-owner -xf - || fail "copying the working tree failed"
ls "$ROOT/root/bench-ext/bench/results" >"$ROOT/root/bench-results-before"

# The copy has no .git: the commit goes in by name.
commit=$(git -C "$SRC" rev-parse --short HEAD)
[ -z "$(git -C "$SRC" status --porcelain -- src sql Makefile cowrie_snapshot.control)" ] ||
	commit="$commit with uncommitted changes in src/ or sql/"
chroot_run "$ROOT" COWRIE_SKIP_APT=1 PG_CONFIG=/usr/lib/postgresql/$V/bin/pg_config BENCH_EXTENSION_COMMIT="$commit" \
	${N:+N=$N} ${RUNS:+RUNS=$RUNS} ${BENCH:+BENCH=$BENCH} ${DOC_BYTES:+DOC_BYTES=$DOC_BYTES} \
	${SCALE_BASE:+SCALE_BASE=$SCALE_BASE} ${CLIENT_LOOP_MAX:+CLIENT_LOOP_MAX=$CLIENT_LOOP_MAX} \
	bash -c 'cd /root/bench-ext && exec bash bench/run.sh' </dev/null &
wait $!
rc=$?
# The new result files, then BENCHMARKS.md from all of them.
for f in $(ls "$ROOT/root/bench-ext/bench/results" | grep -vxF -f "$ROOT/root/bench-results-before"); do
	cp "$ROOT/root/bench-ext/bench/results/$f" bench/results/ && echo "bench/chroot.sh: bench/results/$f"
done
/usr/bin/python3 bench/lib/bench.py --benchmarks-md || rc=1
exit $rc
