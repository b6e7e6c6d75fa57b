#!/usr/bin/env bash
# make coverage: C line and branch coverage (gcovr) of src/ over the C unit tests
# and the SQL-level suite, and PL/pgSQL statement and branch coverage
# (plpgsql_check's profiler) of the extension's routines over the SQL-level suite.
#   1. the unit tests of the core, built with --coverage, run once;
#   2. test/suite.sh with COWRIE_UNIT=0 and COWRIE_COVERAGE set: the extension
#      built with --coverage -O0 and installed into PG_CONFIG's server, its cluster
#      started with plpgsql_check preloaded and its profiler on, pg_regress, pgTAP
#      and the scripts run as usual; before the cluster stops, every database
#      that still has the extension (pg_regress's, each pgTAP file's: the scripts
#      drop theirs) gives its profile (test/coverage/collect_plpgsql.sql);
#   3. gcovr over src/, test/coverage/plpgsql_coverage.py over the profiles;
#   4. the extension rebuilt and installed without --coverage.
# Prints "C: lines ..., branches ..." and "PL/pgSQL: statements ..., branches ...".
# Reports go to COWRIE_COVERAGE_DIR (default /tmp/cowrie_coverage; coverage.html
# there). Needs root, gcovr and plpgsql_check (tools/deps.sh lists them).
set -uo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
: "${PG_CONFIG:=/usr/lib/postgresql/15/bin/pg_config}"
export PG_CONFIG
MAJOR=$("$PG_CONFIG" --version | sed -E 's/^PostgreSQL ([0-9]+).*/\1/')
OUT=$(realpath -m "${COWRIE_COVERAGE_DIR:-/tmp/cowrie_coverage}")
T0=$SECONDS
fail() { echo "coverage: $*" >&2; exit 1; }
command -v gcovr >/dev/null || fail "gcovr is not installed (apt-get install gcovr, or bash tools/deps.sh)"
[ -f "$("$PG_CONFIG" --pkglibdir)/plpgsql_check.so" ] || fail "plpgsql_check is not installed (Debian: postgresql-$MAJOR-plpgsql-check)"
rm -rf "$OUT" && mkdir -p "$OUT/gcda" "$OUT/plpgsql" || fail "cannot create $OUT"
# the server (as postgres) writes its .gcda files and profiles there
[ "$(id -u)" = 0 ] && chown -R postgres: "$OUT/gcda" "$OUT/plpgsql"
clean_gcov() { find src test/unit \( -name '*.gcda' -o -name '*.gcno' \) -delete; }
make -s clean >/dev/null 2>&1; make -s -C test/unit clean >/dev/null 2>&1; clean_gcov

# 1. The unit tests (the warnings of test/unit/Makefile, -O0 for exact lines).
t=$SECONDS
make -s -C test/unit unit_tests CFLAGS='-std=c99 -O0 --coverage -Wall -Wextra -Werror' >"$OUT/unit.log" 2>&1 &&
	(cd test/unit && ./unit_tests) >>"$OUT/unit.log" 2>&1 || { tail -n 20 "$OUT/unit.log"; fail "the unit tests failed"; }
echo "# unit tests with --coverage: $(grep -E '^unit:' "$OUT/unit.log"), $((SECONDS - t)) s"

# 2. The SQL-level suite.
t=$SECONDS
COWRIE_UNIT=0 COWRIE_COVERAGE="$OUT" COWRIE_SUITE_WORK="${COWRIE_SUITE_WORK:-/tmp/cowrie_coverage_suite}" \
	COWRIE_SUITE_PORT="${COWRIE_SUITE_PORT:-55490}" bash test/suite.sh >"$OUT/suite.log" 2>&1
rc=$?
grep -E '^== (pg_regress|pgTAP|scripts)|^pg[0-9]+:' "$OUT/suite.log" | sed 's/^/# /'
echo "# the suite with --coverage and the profiler: $((SECONDS - t)) s (log: $OUT/suite.log)"
[ $rc -eq 0 ] || echo "# the suite failed: the figures below count what ran"
# the server's .gcda files, written under GCOV_PREFIX, next to their .gcno files
[ -d "$OUT/gcda$ROOT" ] && cp -r "$OUT/gcda$ROOT/." "$ROOT/"

# 3. The figures.
gcovr -r . -f 'src/' --html-details "$OUT/coverage.html" --print-summary >"$OUT/gcovr.txt" 2>&1 ||
	{ cat "$OUT/gcovr.txt"; fail "gcovr failed"; }
c_lines=$(sed -nE 's/^lines: (.*)$/\1/p' "$OUT/gcovr.txt"); c_branches=$(sed -nE 's/^branches: (.*)$/\1/p' "$OUT/gcovr.txt")
plpgsql=$(python3 test/coverage/plpgsql_coverage.py "$OUT/plpgsql/reference.tsv" "$OUT"/plpgsql/db_*.tsv "$OUT"/plpgsql/tap_*.tsv 2>&1)

# 4. The ordinary build back in place.
clean_gcov; make -s clean >/dev/null 2>&1
make -s PG_CONFIG="$PG_CONFIG" >/dev/null 2>&1 && make -s PG_CONFIG="$PG_CONFIG" install >/dev/null 2>&1 ||
	echo "# could not reinstall the build without --coverage: run make install"
make -s clean >/dev/null 2>&1; make -s -C test/unit clean >/dev/null 2>&1

echo "# $((SECONDS - T0)) s in all; reports in $OUT (coverage.html, gcovr.txt)"
echo "C (src/, unit tests and SQL-level suite): lines ${c_lines:-?}, branches ${c_branches:-?}"
echo "$plpgsql"
[ -n "$c_lines" ] && [[ $plpgsql == PL/pgSQL:* ]] && [ $rc -eq 0 ]
