#!/usr/bin/env bash
# The whole suite (test/suite.sh; without the C unit tests and the fuzzer, which
# test/run.sh runs once on the host: COWRIE_UNIT=0) and the package test
# (test/package.sh: the Debian package postgresql-N-cowrie-snapshot built,
# installed and checked there)
# against PostgreSQL 17 (Debian trixie) or 18 (Debian sid) in a debootstrap chroot
# under /tmp/cowrie-chroots, built once and reused while its stamp matches the
# package list. Needs root.
#   bash test/matrix.sh 17|18     one version; no argument runs both
# RESULTS_FILE: where to write "PASSED FAILED" of both (left empty on failure).
# Overrides: COWRIE_MATRIX_SUITE (e.g. forky for 18), COWRIE_MATRIX_EXTRA_PKGS,
# COWRIE_MATRIX_REBUILD=1 (ignore the stamp, e.g. to refresh sid), COWRIE_CHROOT_BASE,
# COWRIE_MIRROR.
set -uo pipefail
[ -n "${RESULTS_FILE:-}" ] && RESULTS_FILE=$(realpath -m "$RESULTS_FILE") # before the cd
cd "$(dirname "$0")/.."
SRC=$PWD
. test/matrix/chroot.sh

if [ $# -eq 0 ]; then # both, with the results added up
	rc=0 passed=0 failed=0 res=$(mktemp)
	for v in 17 18; do
		: >"$res"
		RESULTS_FILE=$res bash "$SRC/test/matrix.sh" "$v" || rc=1
		if [ -s "$res" ]; then read -r p f <"$res"; passed=$((passed + p)); failed=$((failed + f)); else failed=$((failed + 1)); fi
	done
	rm -f "$res"
	[ -n "${RESULTS_FILE:-}" ] && echo "$passed $failed" >"$RESULTS_FILE"
	echo "matrix: $passed passed, $failed failed"
	exit $rc
fi

V=$1
case $V in
17) SUITE=${COWRIE_MATRIX_SUITE:-trixie} ;;
18) SUITE=${COWRIE_MATRIX_SUITE:-sid} ;; # forky has 18 too but lags sid; no reason to prefer it yet
*) echo "usage: bash test/matrix.sh [17|18]" >&2; exit 2 ;;
esac
# clang and libclang-rt-dev (the metapackage for the suite's default clang) for the
# ASan/UBSan build of the unit tests; pg_cron for the scheduling test; pg_partman
# for the partitioned layout's test (test/scripts/partitioned.sh); the rest
# for the package test (make dist, dpkg-buildpackage) as in tools/deps.sh
PKGS=(postgresql-$V postgresql-server-dev-$V postgresql-$V-pgtap libtap-parser-sourcehandler-pgtap-perl
	make gcc libc6-dev clang libclang-rt-dev util-linux postgresql-$V-cron postgresql-$V-partman
	git python3 unzip build-essential dpkg-dev debhelper postgresql-server-dev-all ${COWRIE_MATRIX_EXTRA_PKGS:-})
BASE=${COWRIE_CHROOT_BASE:-/tmp/cowrie-chroots}
ROOT=$BASE/$SUITE
CHROOT_LOG=$BASE/$SUITE.log
PGC=/usr/lib/postgresql/$V/bin/pg_config
[ -n "${RESULTS_FILE:-}" ] && : >"$RESULTS_FILE"

fail() { chroot_say "FAIL (PostgreSQL $V, $SUITE): $*"; exit 1; }
[ "$(id -u)" = 0 ] || fail "needs root (debootstrap, chroot, mount)"
mkdir -p "$BASE" || fail "cannot create $BASE"

chroot_lock "$ROOT"

cleanup() {
	local rc=$?
	trap - EXIT INT TERM
	chroot_reap "$ROOT"
	chroot_down "$ROOT" || rc=1
	exit $rc
}
trap cleanup EXIT
trap 'chroot_say "interrupted"; exit 130' INT
trap 'chroot_say "terminated"; exit 143' TERM
chroot_reap "$ROOT" # a run killed with SIGKILL may have left a postmaster

t0=$SECONDS
if [ "${COWRIE_MATRIX_REBUILD:-0}" != 1 ] && chroot_stamp_ok "$ROOT" "$SUITE" "${PKGS[@]}"; then
	chroot_say "reusing $ROOT (Debian $SUITE, built $(sed -n 's/^built=//p' "$ROOT/$CHROOT_STAMP"))"
else
	command -v debootstrap >/dev/null || {
		[ "${COWRIE_SKIP_APT:-0}" = 1 ] && fail "debootstrap is not installed"
		chroot_say "installing debootstrap on the host"
		DEBIAN_FRONTEND=noninteractive apt-get install -y -qq debootstrap >/dev/null 2>&1 ||
			{ apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq debootstrap >/dev/null; } ||
			fail "cannot install debootstrap"
	}
	MIRROR=$(chroot_mirror) || fail "no Debian mirror found in /etc/apt/sources.list*; set COWRIE_MIRROR"
	: >"$CHROOT_LOG"
	chroot_say "building $ROOT (Debian $SUITE) from scratch"
	chroot_build "$ROOT" "$SUITE" "$MIRROR" "${PKGS[@]}"
	case $? in
	0) chroot_say "built $ROOT in $((SECONDS - t0)) s, $(du -sxh "$ROOT" | cut -f1)" ;;
	3)
		case " $CHROOT_MISSING " in *" postgresql-$V "*)
			chroot_say "PostgreSQL $V is not (or no longer) in Debian $SUITE; COWRIE_MATRIX_SUITE=<suite> tries another, e.g. forky" ;;
		esac
		fail "missing from Debian $SUITE: $CHROOT_MISSING" ;;
	*) tail -n 30 "$CHROOT_LOG" | sed 's/^/  | /'; fail "could not build the $SUITE chroot (full log: $CHROOT_LOG)" ;;
	esac
fi
chroot_up "$ROOT" || fail "cannot mount /proc, /dev in $ROOT"

# Exact versions first, and a check that clang can link the sanitizer runtimes.
ver=$(chroot_run "$ROOT" "$PGC" --version) || fail "$PGC missing in $ROOT"
chroot_say "$ver in Debian $SUITE ($ROOT)"
chroot_say "$(chroot_run "$ROOT" dpkg-query -W -f='${Package} ${Version}\n' "postgresql-$V-pgtap" postgresql-server-dev-$V | xargs)"
chroot_say "$(chroot_run "$ROOT" clang --version | head -n 1), $(chroot_run "$ROOT" dpkg-query -W -f='${Package} ${Version}\n' 'libclang-rt-*-dev' 2>/dev/null | xargs)"
# The C unit tests and the fuzzer are not run here (COWRIE_UNIT=0): the core includes
# no PostgreSQL header, so they test the same code as on the host, where test/run.sh
# runs them once. COWRIE_MATRIX_UNIT=1 runs them here too.
MATRIX_UNIT=${COWRIE_MATRIX_UNIT:-0}
if [ "$MATRIX_UNIT" != 0 ]; then
	echo 'int main(void) { return 0; }' >"$ROOT/tmp/asan_check.c"
	chroot_run "$ROOT" clang -fsanitize=address,undefined -o /tmp/asan_check /tmp/asan_check.c >/dev/null 2>&1 ||
		fail "clang in $SUITE cannot link -fsanitize=address,undefined (libclang-rt-dev not matching clang?)"
fi

# A fresh copy of the working tree: tracked and untracked-not-ignored files,
# without build products (patterns here, and any ELF file, e.g. test binaries).
rm -rf --one-file-system "$ROOT/root/ext" && mkdir -p "$ROOT/root/ext" || fail "cannot clear $ROOT/root/ext"
git -C "$SRC" ls-files -z --cached --others --exclude-standard \
	-x '*.o' -x '*.so' -x '*.a' -x '*.bc' -x results/ -x log/ -x tmp_check/ -x 'regression.*' |
	while IFS= read -r -d '' f; do
		[ -f "$f" ] || [ -L "$f" ] || continue
		[ "$(head -c 4 "$f" | od -An -tx1 | tr -d ' ')" = 7f454c46 ] && continue # ELF
		printf '%s\0' "$f"
	done | tar -C "$SRC" --null -T - --ignore-failed-read -cf - 2>/dev/null |
	tar -C "$ROOT/root/ext" --no-same-owner -xf - || fail "copying the working tree failed"
chroot_say "copied $(find "$ROOT/root/ext" -type f | wc -l) files to $ROOT/root/ext"
# test/package.sh copies the tree as git lists it: a one-commit repository of the copy
chroot_run "$ROOT" bash -c 'cd /root/ext && git init -q && git add -A &&
	git -c user.name=matrix -c user.email=matrix@localhost commit -qm "work tree copy"' >/dev/null ||
	fail "cannot make $ROOT/root/ext a git repository"

# The released sources the upgrade test builds, which the copy has no history for.
. "$SRC/test/lib/releases.sh"
mkdir -p "$ROOT/root/releases" || fail "cannot create $ROOT/root/releases"
for rel in "$RELEASE_1_1" "$RELEASE_1_2"; do
	git -C "$SRC" archive -o "$ROOT/root/releases/$rel.tar" "$rel" || fail "cannot archive release $rel from $SRC"
done

# Citus for test/scripts/citus.sh, where its sources are (../shared/vendor/citus beside
# this tree): the sources beside the copy, as beside a clone; the build cache shared
# with other runs (bind-mounted; chroot_down unmounts it); the build dependencies
# installed into the chroot (added, not in the stamp's package list: no rebuild).
CITUS_ENV=()
if [ -d "$SRC/../shared/vendor/citus" ]; then
	mkdir -p "$ROOT/root/shared/vendor" "$BASE/citus-cache" "$ROOT/root/citus-cache" || fail "cannot create the Citus directories"
	rm -rf "$ROOT/root/shared/vendor/citus" && cp -r "$SRC/../shared/vendor/citus" "$ROOT/root/shared/vendor/citus" ||
		fail "cannot copy the Citus sources"
	mountpoint -q "$ROOT/root/citus-cache" || mount --bind "$BASE/citus-cache" "$ROOT/root/citus-cache" ||
		fail "cannot mount the Citus cache"
	. "$SRC/tools/deps.sh"
	missing=$(for p in "${COWRIE_CITUS_DEPS[@]}"; do chroot_run "$ROOT" dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || echo "$p"; done | xargs)
	if [ -n "$missing" ]; then
		chroot_say "installing the Citus build dependencies in $SUITE: $missing"
		{ chroot_run "$ROOT" DEBIAN_FRONTEND=noninteractive apt-get install -y -o Dpkg::Use-Pty=0 $missing ||
			{ chroot_run "$ROOT" apt-get update && chroot_run "$ROOT" DEBIAN_FRONTEND=noninteractive apt-get install -y -o Dpkg::Use-Pty=0 $missing; }; } \
			>>"$CHROOT_LOG" 2>&1 || chroot_say "could not install $missing (the Citus test will fail its set-up)"
		chroot_run "$ROOT" apt-get clean
	fi
	CITUS_ENV=(COWRIE_CITUS_CACHE=/root/citus-cache)
fi

rm -f "$ROOT/root/results"
chroot_say "running test/suite.sh in the chroot"
t1=$SECONDS
# In the background so that a TERM/INT trap runs at once (bash defers traps until a
# foreground child ends); the cleanup then stops everything inside the chroot.
# The environment is clean; only the suite's own knobs (FUZZ_SECONDS, COWRIE_SUITE_PORT) pass through.
chroot_run "$ROOT" COWRIE_SKIP_APT=1 COWRIE_UNIT="$MATRIX_UNIT" RESULTS_FILE=/root/results PG_CONFIG="$PGC" COWRIE_RELEASES=/root/releases "${CITUS_ENV[@]}" \
	${FUZZ_SECONDS:+FUZZ_SECONDS="$FUZZ_SECONDS"} ${COWRIE_SUITE_PORT:+COWRIE_SUITE_PORT="$COWRIE_SUITE_PORT"} bash -c 'cd /root/ext && exec bash test/suite.sh' </dev/null &
wait $!
rc=$?
chroot_say "suite exited $rc after $((SECONDS - t1)) s"
passed=0 failed=0
if [ -s "$ROOT/root/results" ]; then
	read -r passed failed <"$ROOT/root/results"
else
	chroot_say "the suite wrote no results"
	failed=1
	[ $rc -eq 0 ] && rc=1
fi

# The Debian package for this major, built from a clean copy, installed in the
# chroot and checked there (TAP; a check that cannot run is a "not ok").
chroot_say "running test/package.sh in the chroot"
t1=$SECONDS
chroot_run "$ROOT" COWRIE_SKIP_APT=1 PG_CONFIG="$PGC" bash -c 'cd /root/ext && exec bash test/package.sh' \
	</dev/null >"$BASE/$SUITE.package.log" 2>&1 &
wait $!
prc=$?
grep -E '^(ok|not ok) [0-9]+' "$BASE/$SUITE.package.log"
p=$(grep -cE '^ok [0-9]+' "$BASE/$SUITE.package.log"); f=$(grep -cE '^not ok [0-9]+' "$BASE/$SUITE.package.log")
if [ $prc -ne 0 ]; then
	grep -vE '^ok ' "$BASE/$SUITE.package.log" | tail -n 40
	[ "$f" -eq 0 ] && f=1
	rc=1
fi
echo "== package (PostgreSQL $V): $((p + f)) checks, $p passed, $f failed"
chroot_say "package test exited $prc after $((SECONDS - t1)) s (log: $BASE/$SUITE.package.log)"
passed=$((passed + p)); failed=$((failed + f))
[ -n "${RESULTS_FILE:-}" ] && echo "$passed $failed" >"$RESULTS_FILE"
[ $rc -eq 0 ] && chroot_say "PostgreSQL $V ($SUITE): OK" || chroot_say "FAIL (PostgreSQL $V, $SUITE): $failed failed"
exit $rc
