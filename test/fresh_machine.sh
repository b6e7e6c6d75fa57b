#!/usr/bin/env bash
# The README's promise, checked: on a fresh Debian 12 (bookworm) minbase root, from
# a clone of the committed tree, the README's two commands (read from its section
# "The two commands") succeed as root, and the test command's closing line is
# "N passed, 0 failed". The test command runs there with COWRIE_MATRIX=0: the
# outer run covers PostgreSQL 17 and 18. Prints TAP; a check that cannot run
# because an earlier step failed is a "not ok". Needs root.
#
# The pristine root (debootstrap only) is built once under COWRIE_CHROOT_BASE
# (default /tmp/cowrie-chroots) and reused while its stamp matches; each run works
# in a copy of it, removed afterwards unless the run failed.
# COWRIE_FRESH_REBUILD=1 rebuilds the pristine root.
set -uo pipefail
cd "$(dirname "$0")/.."
SRC=$PWD
. test/matrix/chroot.sh
chroot_say() { echo "# fresh: $*"; }

SUITE=bookworm
BASE=${COWRIE_CHROOT_BASE:-/tmp/cowrie-chroots}
PRISTINE=$BASE/$SUITE-pristine
ROOT=$BASE/$SUITE-fresh
CHROOT_LOG=$BASE/$SUITE-pristine.log
LOG=$BASE/$SUITE-fresh
CLONE=/root/cowrie_snapshot
export CHROOT_PLAIN=1 # Debian as debootstrap leaves it: Recommends on, a "main" cluster per server

PLAN=(
	"a pristine Debian 12 minbase root"
	"a copy of it with a git clone of the committed tree in $CLONE"
	"README.md names two commands in \"The two commands\""
	"the demo command succeeds"
	"the demo gives identical rows in default and deferred mode"
	"the test command (COWRIE_MATRIX=0) succeeds"
	"its closing line is \"N passed, 0 failed\""
	"nothing is left running in the root after the two commands"
)
n=0 failed=0 START=$SECONDS
ok() { n=$((n + 1)); echo "ok $n - ${PLAN[n - 1]}${1:+ ($1)}"; }
not_ok() { # not_ok [DETAIL [LOG]]: the log's tail goes out as TAP comments
	n=$((n + 1)); failed=$((failed + 1)); echo "not ok $n - ${PLAN[n - 1]}${1:+ ($1)}"
	[ -n "${2:-}" ] && [ -f "$2" ] && tail -n 40 "$2" | sed 's/^/# /'
	return 0
}
finish() { # finish [REASON]: the checks not run yet fail with REASON
	while [ "$n" -lt ${#PLAN[@]} ]; do not_ok "not run: ${1:-an earlier step failed}"; done
	echo "1..$n"
	echo "# fresh machine: $((n - failed)) passed, $failed failed, $((SECONDS - START)) s"
	[ "$failed" -eq 0 ]
	exit
}

[ "$(id -u)" = 0 ] || finish "needs root (debootstrap, chroot, mount)"
command -v debootstrap >/dev/null || finish "debootstrap is not installed (tools/deps.sh installs it)"
mkdir -p "$BASE" || finish "cannot create $BASE"
chroot_lock "$ROOT" # the pristine root is only touched under this lock too

cleanup() {
	local rc=$?
	trap - EXIT INT TERM
	chroot_reap "$ROOT"; chroot_down "$ROOT" || rc=1
	chroot_down "$PRISTINE" || rc=1
	if [ "$failed" -eq 0 ] && [ "$n" -gt 0 ]; then
		chroot_remove "$ROOT"
	elif [ -d "$ROOT" ]; then
		chroot_say "kept $ROOT for a look (the next run replaces it); logs: $LOG.*.log"
	fi
	exit $rc
}
trap cleanup EXIT
trap 'chroot_say "interrupted"; exit 130' INT
trap 'chroot_say "terminated"; exit 143' TERM
chroot_reap "$ROOT" # a run killed with SIGKILL may have left processes

# 1. The pristine root, built once.
t0=$SECONDS
if [ "${COWRIE_FRESH_REBUILD:-0}" != 1 ] && chroot_stamp_ok "$PRISTINE" "$SUITE"; then
	ok "reused $PRISTINE, built $(sed -n 's/^built=//p' "$PRISTINE/$CHROOT_STAMP")"
else
	MIRROR=$(chroot_mirror) || { not_ok "no Debian mirror in /etc/apt/sources.list*; set COWRIE_MIRROR"; finish; }
	: >"$CHROOT_LOG"
	if chroot_build "$PRISTINE" "$SUITE" "$MIRROR" && chroot_down "$PRISTINE"; then
		ok "built $PRISTINE in $((SECONDS - t0)) s, $(du -sxh "$PRISTINE" | cut -f1)"
	else
		chroot_down "$PRISTINE"
		not_ok "debootstrap failed; log: $CHROOT_LOG" "$CHROOT_LOG"; finish
	fi
fi

# 2. A working copy of it, and the committed tree cloned into it (HEAD of the
# branch checked out here; uncommitted changes are not part of it).
t0=$SECONDS
copy_root() {
	chroot_remove "$ROOT" && mkdir "$ROOT" && cp -a "$PRISTINE/." "$ROOT/" &&
		git clone -q --no-local "$SRC" "$ROOT$CLONE" && chroot_up "$ROOT"
}
if copy_root >"$LOG.copy.log" 2>&1; then
	ok "commit $(git -C "$ROOT$CLONE" rev-parse --short HEAD), $((SECONDS - t0)) s"
else
	not_ok "" "$LOG.copy.log"; finish "no fresh root"
fi

# 3. The commands: the first sh block of the cloned README's section, comments stripped.
mapfile -t CMDS < <(awk '
	/^## / { insec = ($0 == "## The two commands") }
	insec && /^```/ { if (inblock) exit; inblock = 1; next }
	inblock { sub(/[ \t]+#.*$/, ""); sub(/^[ \t]+/, ""); if ($0 != "") print }' "$ROOT$CLONE/README.md")
if [ ${#CMDS[@]} -eq 2 ]; then
	ok "$(printf '`%s` ' "${CMDS[@]}" | sed 's/ $//')"
else
	not_ok "found ${#CMDS[@]}: ${CMDS[*]:-none}"; finish "the README's commands are unknown"
fi

# run_cmd NAME CMD: as root in the clone, with a clean environment plus
# COWRIE_MATRIX=0; in the background so that a TERM/INT trap runs at once.
run_cmd() {
	local name=$1 cmd=$2
	chroot_say "running \`$cmd\` in $ROOT (log: $LOG.$name.log)"
	chroot_run "$ROOT" COWRIE_MATRIX=0 bash -c "cd $CLONE && $cmd" </dev/null >"$LOG.$name.log" 2>&1 &
	wait $!
}

# 4-5. The demo.
t0=$SECONDS
if run_cmd demo "${CMDS[0]}"; then ok "$((SECONDS - t0)) s"; else not_ok "exit $?, $((SECONDS - t0)) s" "$LOG.demo.log"; fi
grep -E '^ +(default|migration|backfill|generated)' "$LOG.demo.log" | sed 's/^ */# fresh: demo: /'
if grep -qE '^ *identical$' "$LOG.demo.log"; then ok; else not_ok "no \"identical\" line"; fi

# 6-7. The test command.
t0=$SECONDS
if run_cmd test "${CMDS[1]}"; then ok "$((SECONDS - t0)) s"; else not_ok "exit $?, $((SECONDS - t0)) s" "$LOG.test.log"; fi
grep -E '^(== |pg[0-9]+: )' "$LOG.test.log" | sed 's/^/# fresh: test: /'
last=$(tail -n 1 "$LOG.test.log")
if [[ $last =~ ^[0-9]+\ passed,\ 0\ failed$ ]]; then ok "$last"; else not_ok "it is \"$last\""; fi

# 8. Both commands stop what they start.
left=$(for p in $(chroot_pids "$ROOT"); do cat "/proc/$p/cmdline" 2>/dev/null | tr '\0' ' '; echo; done)
if [ -z "$left" ]; then ok; else not_ok "$(echo "$left" | head -n 5 | tr '\n' ';')"; fi

chroot_say "$(du -sxh "$ROOT" | cut -f1) in $ROOT after the run"
finish
