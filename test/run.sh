#!/usr/bin/env bash
# The README's test command: installs what it needs, runs the whole suite on the
# host's PostgreSQL 15, then on PostgreSQL 17 and 18 in Debian chroots
# (COWRIE_MATRIX=0 skips those), and ends with one line "N passed, N failed".
set -uo pipefail
cd "$(dirname "$0")/.."
. tools/deps.sh
install_deps || exit 1

passed=0 failed=0
add_results() { # add_results FILE
	if [ -s "$1" ]; then
		read -r p f <"$1"; passed=$((passed + p)); failed=$((failed + f))
	else
		failed=$((failed + 1))
	fi
}

res=$(mktemp)
RESULTS_FILE=$res PG_CONFIG=/usr/lib/postgresql/15/bin/pg_config bash test/suite.sh
add_results "$res"

# The Debian package and the PGXN archive, built from a clean copy and tested
# installed (TAP lines).
out=$(bash test/package.sh 2>&1); rc=$?
echo "$out" | grep -E '^(ok|not ok) ' ; [ $rc -ne 0 ] && echo "$out" | grep -vE '^ok ' | tail -n 40
p=$(echo "$out" | grep -cE '^ok [0-9]+'); f=$(echo "$out" | grep -cE '^not ok [0-9]+')
[ $rc -ne 0 ] && [ "$f" -eq 0 ] && f=1
echo "== package: $p passed, $f failed"
passed=$((passed + p)); failed=$((failed + f))

# cppcheck and clang-tidy over the C sources (host only: the chroots' tool
# versions differ).
out=$(bash test/static_analysis.sh 2>&1); rc=$?
echo "$out" | grep -E '^(ok|not ok) |^# (FINDING|KNOWN)'
p=$(echo "$out" | grep -cE '^ok [0-9]+'); f=$(echo "$out" | grep -cE '^not ok [0-9]+')
[ $rc -ne 0 ] && [ "$f" -eq 0 ] && f=1
echo "== static analysis: $p passed, $f failed"
passed=$((passed + p)); failed=$((failed + f))

if [ "${COWRIE_MATRIX:-1}" != 0 ]; then
	for v in 17 18; do
		: >"$res"
		RESULTS_FILE=$res bash test/matrix.sh "$v"
		add_results "$res"
	done
fi
rm -f "$res"

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
