#!/usr/bin/env bash
# The whole suite against one PostgreSQL (PG_CONFIG): C unit tests of the core
# (unless COWRIE_UNIT=0), build with -Werror, install, then pg_regress, pgTAP and
# the shell-driven tests on a throwaway cluster. Each layer's line gives its number
# of distinct checks; the last line is "pgN: N passed, N failed", and the two
# numbers go to $RESULTS_FILE when set. Needs root (installs into the server).
set -uo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
. tools/cluster.sh

MAJOR=$("$PG_CONFIG" --version | sed -E 's/^PostgreSQL ([0-9]+).*/\1/')
# COWRIE_SUITE_WORK and COWRIE_SUITE_PORT let two suites run side by side.
WORK=${COWRIE_SUITE_WORK:-/tmp/cowrie_suite_$MAJOR}
PORT=${COWRIE_SUITE_PORT:-$((55400 + MAJOR))}
passed=0 failed=0
failures=()

finish() { # finish: report the totals so far and exit with their verdict
	[ ${#failures[@]} -gt 0 ] && printf 'FAILED: %s\n' "${failures[@]}"
	[ -n "${RESULTS_FILE:-}" ] && echo "$passed $failed" >"$RESULTS_FILE"
	echo "pg$MAJOR: $passed passed, $failed failed"
	[ "$failed" -eq 0 ]
	exit
}

record() { # record NAME PASSED FAILED: a layer's line, with its number of distinct checks
	passed=$((passed + $2)); failed=$((failed + $3))
	[ "$3" -gt 0 ] && failures+=("$1: $3 failed")
	echo "== $1: $(($2 + $3)) checks, $2 passed, $3 failed"
}

echo "== $("$PG_CONFIG" --version) ($PG_CONFIG)"

# C unit tests of the PostgreSQL-free core (src/core includes no PostgreSQL
# header, so the code under test is the same on every major): run once plain and
# once under ASan/UBSan, and each case counted once, passing only when it passed
# in both runs (a case is a CHECK; a failure prints its file, line and message, so
# the failed cases are the distinct FAIL lines of the two runs). A run that ends
# without its summary line (a sanitizer abort) fails the layer. Then a bounded
# libFuzzer run. COWRIE_UNIT=0 skips both: test/matrix.sh sets it, test/run.sh
# having run them on the host.
if [ "${COWRIE_UNIT:-1}" != 0 ]; then
	total=0 crashed=0 fails=$(mktemp)
	for target in check check-sanitize; do
		out=$(make -s -C test/unit "$target" 2>&1); rc=$?
		echo "$out" | grep -E 'FAIL|ERROR|^unit:' | tail -n 5 | sed "s/^/   $target: /"
		echo "$out" | grep -E ': FAIL: ' >>"$fails"
		line=$(echo "$out" | grep -E '^unit: [0-9]+ passed, [0-9]+ failed' | tail -n 1)
		if [ -z "$line" ] || { [ $rc -ne 0 ] && ! echo "$out" | grep -qE ': FAIL: '; }; then
			crashed=1; echo "$out" | tail -n 40
		else
			n=$(echo "$line" | sed -E 's/unit: ([0-9]+) passed, ([0-9]+) failed/\1 + \2/')
			[ "$total" -lt $((n)) ] && total=$((n))
		fi
	done
	f=$(sort -u "$fails" | wc -l); rm -f "$fails"
	[ "$crashed" = 1 ] && [ "$f" -eq 0 ] && f=1
	[ "$f" -gt "$total" ] && total=$f
	record "unit (each case plain and under ASan/UBSan)" $((total - f)) "$f"

	# A bounded libFuzzer run over the core (the long runs are in TESTING.md): one check.
	out=$(make -s -C test/unit fuzz FUZZ_SECONDS="${FUZZ_SECONDS:-30}" 2>&1); rc=$?
	echo "$out" | grep -E 'stat::number_of_executed_units|Done|ERROR' | head -n 5
	if [ $rc -eq 0 ]; then record "fuzz (${FUZZ_SECONDS:-30} s)" 1 0; else echo "$out" | tail -n 40; record "fuzz" 0 1; fi
	make -s -C test/unit clean >/dev/null 2>&1
else
	echo "== unit and fuzz: not run here (COWRIE_UNIT=0)"
fi

# COWRIE_COVERAGE=DIR (test/coverage.sh): the build with --coverage -O0, the
# server's .gcda files under DIR/gcda (GCOV_PREFIX, inherited by every cluster
# the scripts start), plpgsql_check's profiler on in the suite's cluster, and
# the profiles of every database with the extension to DIR/plpgsql at the end.
COPT_COVERAGE=() CLUSTER_SETTINGS=()
if [ -n "${COWRIE_COVERAGE:-}" ]; then
	COPT_COVERAGE=(COPT="--coverage -O0")
	export GCOV_PREFIX=$COWRIE_COVERAGE/gcda
	CLUSTER_SETTINGS=(shared_preload_libraries=plpgsql_check plpgsql_check.profiler=on)
fi

# Build with -Werror and install into this server.
make -s clean >/dev/null 2>&1
if make -s PG_CONFIG="$PG_CONFIG" "${COPT_COVERAGE[@]}" >"$WORK.build.log" 2>&1 && make -s PG_CONFIG="$PG_CONFIG" install >>"$WORK.build.log" 2>&1; then
	record "build with -Werror, install" 1 0
else
	cat "$WORK.build.log"; record "build with -Werror, install" 0 1
	finish
fi

trap cluster_stop EXIT
cluster_start "$WORK" "$PORT" "${CLUSTER_SETTINGS[@]}" || { record "cluster start" 0 1; finish; }

# pg_regress: files in sql/ and expected/.
make -s PG_CONFIG="$PG_CONFIG" installcheck >"$WORK/regress.out" 2>&1; rc=$?
cat "$WORK/regress.out" | grep -vE '^(=|\+\+|#)' | sed -n '1,200p'
p=$(grep -cE '^(test |ok |     )?.* \.\.\. ok|^ok [0-9]+ ' "$WORK/regress.out")
f=$(grep -cE '\.\.\. FAILED|^not ok [0-9]+ ' "$WORK/regress.out")
[ $rc -ne 0 ] && [ "$f" -eq 0 ] && f=1
[ -f regression.diffs ] && [ "$f" -gt 0 ] && head -n 300 regression.diffs
record "pg_regress (one check a file)" "$p" "$f"

# pgTAP: every file under test/pgtap, each on a fresh database from a template.
"$PGBIN/createdb" cowrie_tap_template && "$PGBIN/psql" -qX -d cowrie_tap_template -c 'CREATE EXTENSION pgtap' >/dev/null
# pgtap_file FILE [LAYOUT]: one file on a fresh database (COWRIE_LAYOUT=LAYOUT
# when given: test/pgtap/include/layout.sql partitions session_summaries);
# adds its assertions to p and f.
pgtap_file() {
	local t=$1 layout=${2:-} db file out rc n bad
	db=tap_$(basename "$t" .sql)${layout:+_$layout}
	"$PGBIN/createdb" -T cowrie_tap_template "$db"
	file=$(basename "$t")
	if [ -n "${COWRIE_COVERAGE:-}" ]; then
		# Most files roll back, the extension with them: a copy reads the
		# profiles before each ROLLBACK (the collection's rows go to a file).
		file=.coverage_$file
		awk -v out="$COWRIE_COVERAGE/plpgsql/$db" -v collect="$ROOT/test/coverage/collect_plpgsql.sql" '
			/^ROLLBACK;/ { k++; printf "\\pset fieldsep \x27\\t\x27\n\\o %s_%d.tsv\n\\i %s\n\\o\n\\pset fieldsep \x27|\x27\n", out, k, collect }
			{ print }' "$t" >"test/pgtap/$file"
	fi
	out=$(cd test/pgtap && COWRIE_LAYOUT=$layout pg_prove --psql-bin "$PGBIN/psql" -d "$db" "$file" 2>&1); rc=$?
	[ -n "${COWRIE_COVERAGE:-}" ] && rm -f "test/pgtap/$file"
	n=$(echo "$out" | sed -nE 's/.*Tests=([0-9]+),.*/\1/p'); n=${n:-0}
	bad=$(echo "$out" | sed -nE 's/.*Failed ([0-9]+)\/[0-9]+ subtests.*/\1/p' | awk '{s+=$1} END {print s+0}')
	[ $rc -ne 0 ] && [ "$bad" -eq 0 ] && bad=1
	[ "$bad" -gt 0 ] && echo "$out" | grep -vE '^ok ' | head -n 80
	p=$((p + n - (bad < n ? bad : n))); f=$((f + bad))
	echo "   $t${layout:+ ($layout)}: $n tests, $bad failed"
}
p=0; f=0
for t in test/pgtap/*.sql; do
	[ -e "$t" ] || continue
	pgtap_file "$t"
done
record "pgTAP (one check an assertion)" "$p" "$f"

# The migration, backfill, trigger and completion files again on a partitioned
# session_summaries (issue 30), each assertion a distinct check: monthly range
# partitions on first_event_at plus a DEFAULT partition, one month
# hash-sub-partitioned (sub), and hash on session_id for the files whose
# loader upserts ON CONFLICT (session_id), which only a partition key of
# session_id leaves possible (test/lib/partition_sessions.sql).
PARTITIONED_PGTAP="migration_v15_json:range fixture_shapes_json:range migration_upstream_migrated:range
	backfill:range backfill_later_enrichment:range backfill_options:sub trigger_and_lookup:hash trigger_loader_values:hash"
p=0; f=0
for entry in $PARTITIONED_PGTAP; do
	pgtap_file "test/pgtap/${entry%%:*}.sql" "${entry#*:}"
done
record "pgTAP, partitioned layout (one check an assertion)" "$p" "$f"
if [ -n "${COWRIE_COVERAGE:-}" ]; then
	# A fresh install's routines (the statements to cover), then the profile of
	# every database that kept the extension. Here, before the scripts: the
	# SIGKILLs of faults.sh reset the server's shared memory, profiles included,
	# and the scripts drop their databases (their PL/pgSQL runs are not counted).
	"$PGBIN/createdb" cov_reference && "$PGBIN/psql" -qX -d cov_reference -v n=10 -f test/fixtures/cowrie_v15.sql >/dev/null 2>&1 &&
		"$PGBIN/psql" -qX -d cov_reference -c 'SET client_min_messages = warning' -c 'DROP SCHEMA fixture CASCADE' -c 'CREATE EXTENSION cowrie_snapshot' >/dev/null &&
		"$PGBIN/psql" -qX -At -F $'\t' -d cov_reference -f test/coverage/collect_plpgsql.sql >"$COWRIE_COVERAGE/plpgsql/reference.tsv"
	for db in $("$PGBIN/psql" -X -At -d postgres -c "SELECT datname FROM pg_database WHERE datallowconn AND datname <> 'cov_reference'"); do
		[ "$("$PGBIN/psql" -X -At -d "$db" -c "SELECT count(*) FROM pg_extension WHERE extname = 'cowrie_snapshot'" 2>/dev/null)" = 1 ] || continue
		"$PGBIN/psql" -qX -At -F $'\t' -d "$db" -f test/coverage/collect_plpgsql.sql >"$COWRIE_COVERAGE/plpgsql/db_$db.tsv" 2>&1
	done
	echo "== PL/pgSQL profiles of $(ls "$COWRIE_COVERAGE"/plpgsql/tap_*.tsv 2>/dev/null | wc -l) pgTAP transactions and $(ls "$COWRIE_COVERAGE"/plpgsql/db_*.tsv 2>/dev/null | wc -l) databases in $COWRIE_COVERAGE/plpgsql"
fi


# Shell-driven tests (dump/restore, faults, concurrency): each prints TAP.
# run_script SCRIPT [LAYOUT]: adds its checks to p and f; a non-zero exit
# without a "not ok" is one failure.
run_script() {
	local out rc ok bad
	out=$(COWRIE_LAYOUT=${2:-} bash "$1" 2>&1); rc=$?
	ok=$(echo "$out" | grep -cE '^ok [0-9]+'); bad=$(echo "$out" | grep -cE '^not ok [0-9]+')
	[ $rc -ne 0 ] && [ "$bad" -eq 0 ] && bad=1
	# The failed checks with the lines after each (a long error can push them out of the tail).
	[ "$bad" -gt 0 ] && { echo "$out" | grep -A 8 -E '^not ok [0-9]+' | head -n 120; echo "$out" | tail -n 20; }
	p=$((p + ok)); f=$((f + bad))
	echo "   $1${2:+ ($2)}: $ok passed, $bad failed"
	# A script that cannot run here says so on a line of its own (citus.sh without ../shared).
	echo "$out" | grep -E '^# [a-z_]+: skipped' | sed 's/^/   /'
	# Its set-up figures worth seeing in the log (the Citus build's time).
	echo "$out" | grep -E '^# (built|reusing) ' | sed 's/^/   /'
}
p=0; f=0
for t in test/scripts/*.sh; do
	[ -e "$t" ] && run_script "$t"
done
record "scripts (one check a TAP line)" "$p" "$f"

# The fault, scheduled-job and concurrency scripts again on a partitioned
# session_summaries (test/lib/tap.sh's apply_layout): range for the first two,
# hash for the loader's ON CONFLICT (session_id) upserts.
p=0; f=0
for entry in faults.sh:range backfill_job.sh:range concurrent_loader.sh:hash; do
	run_script "test/scripts/${entry%%:*}" "${entry#*:}"
done
record "scripts, partitioned layout (one check a TAP line)" "$p" "$f"

# No backend crashed during the whole run (faults.sh kills some with SIGKILL on purpose).
crashes=$(grep -E 'terminated by signal' "$WORK/server.log" | grep -vE 'signal 9: Killed')
if [ -z "$crashes" ]; then
	record "server log: no backend terminated by a signal but the SIGKILLs faults.sh sends" 1 0
else
	echo "$crashes" | head -n 20
	record "server log: backends terminated by a signal" 0 1
fi

finish
