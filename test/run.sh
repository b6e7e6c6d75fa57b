#!/usr/bin/env bash
# The README's test command: installs what it needs, runs the whole suite on the
# host's PostgreSQL 15, the package and static-analysis tests, then the suite and
# the package test on PostgreSQL 17 and 18 in Debian chroots, and the README's two
# commands on a fresh Debian 12 root (COWRIE_MATRIX=0 skips all three chroots;
# COWRIE_FRESH=0 only the fresh root). Ends with one line "N passed, N failed",
# each distinct check counted once: the C unit cases once (on the host, each
# passing only if it passed plain and under the sanitizers; the chroots do not
# repeat them), the SQL-level checks once per major (15, 17, 18), as the lines
# before it add up (TESTING.md has the table).
set -uo pipefail
cd "$(dirname "$0")/.."
. tools/deps.sh
install_deps || { echo "0 passed, 1 failed"; exit 1; }

passed=0 failed=0 START=$SECONDS
parts=() # "NAME: N checks" of each part, printed above the closing line
add_results() { # add_results NAME FILE: "PASSED FAILED" written by the suite; none is 1 failed
	local p=0 f=1
	[ -s "$2" ] && read -r p f <"$2"
	passed=$((passed + p)); failed=$((failed + f))
	parts+=("$1: $((p + f)) checks, $p passed, $f failed")
}
# tap NAME COMMAND...: a TAP-printing test; its TAP lines and comments (PATTERN
# lines) go out as they come, its checks are counted, and a non-zero exit without
# a "not ok" counts as one failure.
tap() {
	local name=$1 log t0=$SECONDS rc p f; shift
	log=$(mktemp)
	"$@" 2>&1 | tee "$log" | grep --line-buffered -E "^(ok|not ok) |${PATTERN:-^# (fresh|cowrie|postgresql)}"
	rc=${PIPESTATUS[0]}
	p=$(grep -cE '^ok [0-9]+' "$log"); f=$(grep -cE '^not ok [0-9]+' "$log")
	[ $rc -ne 0 ] && grep -vE '^ok ' "$log" | tail -n 40
	[ $rc -ne 0 ] && [ "$f" -eq 0 ] && f=1
	rm -f "$log"
	echo "== $name: $((p + f)) checks, $p passed, $f failed, $((SECONDS - t0)) s"
	passed=$((passed + p)); failed=$((failed + f))
	parts+=("$name: $((p + f)) checks, $p passed, $f failed")
}

res=$(mktemp)
trap 'rm -f "$res"' EXIT
RESULTS_FILE=$res PG_CONFIG=/usr/lib/postgresql/15/bin/pg_config bash test/suite.sh
add_results "suite on PostgreSQL 15 (with the C unit tests and the fuzzer)" "$res"

# The Debian package and the PGXN archive, built from a clean copy and tested
# installed.
tap package bash test/package.sh

# cppcheck and clang-tidy over the C sources (host only: the chroots' tool
# versions differ).
PATTERN='^# (FINDING|KNOWN)' tap "static analysis" bash test/static_analysis.sh

# plpgsql_check's lint over every PL/pgSQL routine (make lint; about 10 s): a
# finding test/lint_allow.txt does not explain is a failure.
PATTERN='^# (FINDING|plpgsql_check)' tap "PL/pgSQL lint" bash test/lint.sh

if [ "${COWRIE_MATRIX:-1}" != 0 ]; then
	for v in 17 18; do
		: >"$res"
		RESULTS_FILE=$res bash test/matrix.sh "$v"
		add_results "suite and package on PostgreSQL $v" "$res"
	done
	# Last: it clones the committed tree and runs this command inside, with
	# COWRIE_MATRIX=0 (which is also what stops it from recursing).
	[ "${COWRIE_FRESH:-1}" != 0 ] && tap "fresh Debian 12 machine" bash test/fresh_machine.sh
fi

printf '# %s\n' "${parts[@]}"
echo "# $((SECONDS - START)) s in all"
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
