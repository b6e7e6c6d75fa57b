#!/usr/bin/env bash
# make lint: plpgsql_check over every PL/pgSQL routine of the extension, with
# every check on (fatal errors as findings, other, performance, extra, security
# and compatibility warnings: all_warnings). Each trigger function is checked
# against the table its trigger is on. The extension is installed into the
# server of PG_CONFIG (COWRIE_LINT_INSTALL=0: already installed) and created, in
# default mode, on a small v15 fixture in a throwaway cluster.
# A finding fails unless test/lint_allow.txt explains it: lines
#   routine<TAB>message<TAB>reason
# (the routine's name without arguments, the message as plpgsql_check prints it;
# no line numbers, so edits elsewhere do not break an entry). An entry that no
# longer matches fails too, so that the list stays true.
# Prints TAP ("ok 1 - ..."), 1..N; exits 1 on a failure. Needs the Debian package
# postgresql-15-plpgsql-check (or -N for the major of PG_CONFIG) and root.
set -uo pipefail
cd "$(dirname "$0")/.."
: "${PG_CONFIG:=/usr/lib/postgresql/15/bin/pg_config}"
. tools/cluster.sh
ALLOW=test/lint_allow.txt
DIR=${COWRIE_LINT_DIR:-/tmp/cowrie_lint}
PORT=${COWRIE_LINT_PORT:-55491}
MAJOR=$("$PG_CONFIG" --version | sed -E 's/^PostgreSQL ([0-9]+).*/\1/')
WORK=$(mktemp -d)
n=0 failed=0 T0=$SECONDS
ok() { n=$((n + 1)); if [ "$1" = 0 ]; then echo "ok $n - $2"; else echo "not ok $n - $2"; failed=$((failed + 1)); fi; }
bail() { ok 1 "$1"; echo "1..$n"; exit 1; }
trap 'cluster_stop; rm -rf "$WORK"' EXIT

[ -f "$("$PG_CONFIG" --pkglibdir)/plpgsql_check.so" ] ||
	bail "plpgsql_check is installed (Debian: postgresql-$MAJOR-plpgsql-check)"
if [ "${COWRIE_LINT_INSTALL:-1}" != 0 ]; then
	make -s PG_CONFIG="$PG_CONFIG" >"$WORK/build.log" 2>&1 && make -s PG_CONFIG="$PG_CONFIG" install >>"$WORK/build.log" 2>&1 ||
		{ cat "$WORK/build.log"; bail "the extension builds and installs"; }
fi
cluster_start "$DIR" "$PORT" || bail "a throwaway cluster starts ($DIR)"
PSQL="$PGBIN/psql -X -q -v ON_ERROR_STOP=1 -d cowrie_lint"
"$PGBIN/createdb" cowrie_lint &&
	$PSQL -v n=50 -f test/fixtures/cowrie_v15.sql >/dev/null 2>&1 &&
	$PSQL -c 'SET client_min_messages = warning' -c 'DROP SCHEMA fixture CASCADE' \
		-c 'CREATE EXTENSION cowrie_snapshot' -c 'CREATE EXTENSION plpgsql_check' >"$WORK/setup.log" 2>&1 ||
	{ cat "$WORK/setup.log"; bail "the extension is created on the v15 fixture"; }

# Every finding as routine<TAB>message<TAB>level, line, statement (for the reader).
$PSQL -At -F $'\t' >"$WORK/findings" 2>"$WORK/check.err" <<'EOF'
WITH routines AS (
	SELECT p.oid, p.proname, coalesce((SELECT min(t.tgrelid) FROM pg_trigger t WHERE t.tgfoid = p.oid), 0) AS relid
	FROM pg_depend d
	JOIN pg_proc p ON p.oid = d.objid
	JOIN pg_language l ON l.oid = p.prolang AND l.lanname = 'plpgsql'
	WHERE d.classid = 'pg_proc'::regclass AND d.deptype = 'e'
	  AND d.refobjid = (SELECT oid FROM pg_extension WHERE extname = 'cowrie_snapshot')
)
SELECT r.proname, regexp_replace(c.message, '\s+', ' ', 'g'), c.level, c.lineno, coalesce(c.statement, '')
FROM routines r,
LATERAL plpgsql_check_function_tb(r.oid, r.relid::regclass, fatal_errors => false, other_warnings => true,
	performance_warnings => true, extra_warnings => true, security_warnings => true,
	compatibility_warnings => true, all_warnings => true) c
ORDER BY 1, 4, 2;
EOF
[ -s "$WORK/check.err" ] && { cat "$WORK/check.err"; bail "plpgsql_check_function_tb runs on every routine"; }
routines=$($PSQL -At -c "SELECT count(*) FROM pg_depend d JOIN pg_proc p ON p.oid = d.objid JOIN pg_language l ON l.oid = p.prolang
	WHERE l.lanname = 'plpgsql' AND d.classid = 'pg_proc'::regclass AND d.deptype = 'e'
	AND d.refobjid = (SELECT oid FROM pg_extension WHERE extname = 'cowrie_snapshot')")

# Match against the allow-list.
grep -vE '^\s*(#|$)' "$ALLOW" 2>/dev/null >"$WORK/allow"
new=0 errors=0
while IFS=$'\t' read -r routine message level line stmt; do
	[ "$level" = error ] && errors=$((errors + 1))
	reason=$(awk -F '\t' -v r="$routine" -v m="$message" '$1 == r && $2 == m { print $3; exit }' "$WORK/allow")
	if [ -n "$reason" ]; then
		echo "# KNOWN $routine line $line ($stmt, $level): $message -- $reason"
	else
		echo "# FINDING $routine line $line ($stmt, $level): $message"
		new=$((new + 1))
	fi
done <"$WORK/findings"
stale=0
while IFS=$'\t' read -r routine message reason; do
	awk -F '\t' -v r="$routine" -v m="$message" '$1 == r && $2 == m { f = 1 } END { exit !f }' "$WORK/findings" && continue
	echo "# allow-list entry no longer matched, delete it: $routine: $message"
	stale=$((stale + 1))
done <"$WORK/allow"
total=$(wc -l <"$WORK/findings")
echo "# plpgsql_check $($PSQL -At -c "SELECT extversion FROM pg_extension WHERE extname = 'plpgsql_check'"): $routines routines, $total findings ($errors errors), $((total - new)) explained in $ALLOW, $new not; $((SECONDS - T0)) s"
[ "$new" = 0 ]; ok $? "plpgsql_check, every check on, over the $routines PL/pgSQL routines: no finding that $ALLOW does not explain ($new)"
[ "$stale" = 0 ]; ok $? "every entry of $ALLOW still matches a finding ($stale stale)"
echo "1..$n"
[ "$failed" = 0 ]
