#!/usr/bin/env bash
# The README's pg_cron line, run by pg_cron. pg_cron needs
# shared_preload_libraries and cron.database_name, so this test starts
# throwaway clusters of its own (own ports and socket directories, stopped
# on any exit): one where jobs connect through libpq (cron.host = the socket
# directory, the cluster has no TCP port) and one where they run in
# background workers. In each, pg_cron goes into a v15 cowrie database
# migrated in deferred mode (2,500 sessions: three batches of the README's
# 1000, so the CALL commits under pg_cron), plus sessions the ingestion
# trigger leaves pending; the README's command is scheduled and the test
# waits, with a time limit, for states (a succeeded run in
# cron.job_run_details, no NULL snapshot_country left but the session
# waiting for its IP's inventory row), never for a fixed
# time. The result must equal a direct CALL's. Prints TAP. A missing
# postgresql-N-cron package is a failure, not a skip.
cd "$(dirname "$0")/../.."
. tools/cluster.sh
. test/lib/tap.sh

MAJOR=$("$PG_CONFIG" --version | sed -E 's/^PostgreSQL ([0-9]+).*/\1/')
# The suite's port + 50 and + 60: no clash with the suites of other majors (55400 + major)
BASE_PORT=${CRON_PORT:-$((${PGPORT:-55400} + 50))}
LIMIT=${CRON_WAIT_SECONDS:-180}
DB=cowrie_cron
MODES="libpq bgworker"
declare -A PORT DIR JOB

# Only this test's clusters: CLUSTER_DIR is cluster.sh's global, set here per cluster.
finish() {
	local m
	for m in $MODES; do
		[ -n "${DIR[$m]:-}" ] || continue
		CLUSTER_DIR=${DIR[$m]} cluster_stop
		rm -rf "${DIR[$m]}"
	done
	rm -rf "$WORK"
}
trap finish EXIT
trap 'exit 130' INT TERM
bail() { # bail MESSAGE: not ok, the plan, a failing exit
	ok 1 "$1"
	echo "1..$n"
	exit 1
}
# at MODE [psql args...]: psql against that mode's cluster
at() { local m=$1; shift; $PSQL -h "${DIR[$m]}" -p "${PORT[$m]}" "$@"; }
q() { at "$1" -At -d "$DB" -c "$2"; }

if [ ! -f "$("$PG_CONFIG" --pkglibdir)/pg_cron.so" ] || [ ! -f "$("$PG_CONFIG" --sharedir)/extension/pg_cron.control" ]; then
	bail "pg_cron is installed for PostgreSQL $MAJOR (missing: install the Debian package postgresql-$MAJOR-cron)"
fi
echo "# set-up: pg_cron is installed for PostgreSQL $MAJOR"

line=$(grep -o "SELECT cron\.schedule('[^']*', *'[^']*')" README.md | head -n 1)
[ -n "$line" ] || bail "README.md has a pg_cron line (SELECT cron.schedule('<schedule>', '<command>'))"
echo "# set-up: README.md's pg_cron line: $line"
schedule=$(echo "$line" | sed -E "s/^SELECT cron\.schedule\('([^']*)', *'([^']*)'\)$/\1/")
command=$(echo "$line" | sed -E "s/^SELECT cron\.schedule\('([^']*)', *'([^']*)'\)$/\2/")

i=0
for m in $MODES; do
	PORT[$m]=$((BASE_PORT + i)); DIR[$m]=/tmp/cowrie_cron_${PORT[$m]}; i=$((i + 10))
	case $m in
	# the cluster listens on its unix socket only: libpq jobs must connect there, not to localhost
	libpq) settings="cron.use_background_workers=off cron.host=${DIR[$m]}" ;;
	bgworker) settings="cron.use_background_workers=on" ;;
	esac
	cluster_start "${DIR[$m]}" "${PORT[$m]}" shared_preload_libraries=pg_cron cron.database_name=$DB $settings ||
		bail "$m: a cluster with pg_cron in shared_preload_libraries starts"
	echo "# set-up: $m: a cluster of its own (port ${PORT[$m]}, socket ${DIR[$m]}): shared_preload_libraries=pg_cron cron.database_name=$DB $settings"

	# The same database twice: one for pg_cron, one for a direct CALL to compare with.
	at $m -c 'CREATE DATABASE cron_base'
	at $m -d cron_base -v n=2500 -f test/fixtures/cowrie_v15.sql >/dev/null
	at $m -d cron_base -c 'SET client_min_messages = warning' -c 'DROP SCHEMA fixture CASCADE'
	at $m -c "CREATE DATABASE $DB TEMPLATE cron_base" -c 'CREATE DATABASE cron_direct TEMPLATE cron_base'
	for db in $DB cron_direct; do
		at $m -d $db -c 'SET cowrie_snapshot.defer_session_backfill = on' -c 'CREATE EXTENSION cowrie_snapshot' 2>/dev/null
		# Sessions the trigger leaves to the backfill: no IP in the document; a public IP not in the inventory.
		at $m -d $db -c "INSERT INTO session_summaries (session_id, enrichment) VALUES
			('cron-no-ip', '{\"note\": \"no ip\"}'), ('cron-unenriched', '{\"dshield\": {\"ip\": {\"number\": \"11.22.33.44\"}}}')"
	done
	pending=$(q $m 'SELECT count(*) FROM session_summaries WHERE snapshot_country IS NULL')
	total=$(q $m 'SELECT count(*) FROM session_summaries')
	[ "${pending:-0}" -gt 2 ] && [ "$pending" = "$total" ]
	setup $? "$m: deferred mode and the trigger leave every session pending ($pending of $total)"

	q $m 'CREATE EXTENSION pg_cron' >/dev/null 2>"$WORK/cron_ext.err"
	setup $? "$m: CREATE EXTENSION pg_cron in cron.database_name (pg_cron $(q $m "SELECT extversion FROM pg_extension WHERE extname = 'pg_cron'"))"
	sed 's/^/# /' "$WORK/cron_ext.err"

	JOB[$m]=$(q $m "$line" 2>&1)
	[ "$(q $m "SELECT schedule || '|' || command || '|' || database FROM cron.job WHERE jobid = ${JOB[$m]:-0}" 2>/dev/null)" = "$schedule|$command|$DB" ]
	ok $? "$m: the README's line, run as written in $DB, schedules job ${JOB[$m]:-?} ('$schedule', '$command')"

	# The README's schedule could mean a wait of up to ten minutes: the same job, more often.
	# Interval schedules ('N seconds') exist from pg_cron 1.5 on; before, the finest is every minute.
	if q $m "SELECT string_to_array(split_part(extversion, '-', 1), '.')::int[] >= '{1,5}' FROM pg_extension WHERE extname = 'pg_cron'" | grep -qx t; then
		fast='2 seconds'
	else
		fast='* * * * *'
	fi
	q $m "SELECT cron.alter_job(${JOB[$m]:-0}, schedule => '$fast')" >/dev/null
	[ "$(q $m "SELECT schedule || '|' || command FROM cron.job WHERE jobid = ${JOB[$m]:-0}")" = "$fast|$command" ]
	setup $? "$m: the same job rescheduled with cron.alter_job to '$fast' (instead of '$schedule')"
done

# Wait for states in both clusters: a succeeded run, then no pending session; a failed run ends the wait.
declare -A STATE
deadline=$((SECONDS + LIMIT))
while [ $SECONDS -lt $deadline ]; do
	waiting=0
	for m in $MODES; do
		[ -z "${STATE[$m]:-}" ] || continue
		runs=$(q $m "SELECT count(*) FILTER (WHERE status = 'succeeded') || ' ' || count(*) FILTER (WHERE status = 'failed')
			FROM cron.job_run_details WHERE jobid = ${JOB[$m]:-0}")
		# A session whose public IP has no inventory row yet waits in cowrie_pending_sessions.
		left=$(q $m 'SELECT count(*) FROM session_summaries s WHERE snapshot_country IS NULL
			AND NOT EXISTS (SELECT FROM cowrie_pending_sessions p WHERE p.session_id = s.session_id)')
		case $runs in
		0\ 0) waiting=1 ;;
		0\ *) STATE[$m]=failed ;;
		*) if [ "$left" = 0 ]; then STATE[$m]="done after $((LIMIT - deadline + SECONDS)) s"; else waiting=1; fi ;;
		esac
	done
	[ $waiting = 0 ] && break
	sleep 0.5
done

for m in $MODES; do
	case ${STATE[$m]:-} in done*) true ;; *) false ;; esac
	ok $? "$m: a scheduled run succeeded and no session is left pending (${STATE[$m]:-still waiting after $LIMIT s})"
	case ${STATE[$m]:-} in
	done*) ;;
	*) q $m "SELECT '# run ' || runid || ': ' || status || ' ' || coalesce(return_message, '') FROM cron.job_run_details WHERE jobid = ${JOB[$m]:-0} ORDER BY runid"
		tail -n 20 "${DIR[$m]}/server.log" | sed 's/^/# /' ;;
	esac
	q $m "SELECT '# run ' || runid || ': ' || status || ', ' || coalesce(return_message, '') || ', ' ||
		round(extract(epoch FROM end_time - start_time)::numeric, 3) || ' s' FROM cron.job_run_details WHERE jobid = ${JOB[$m]:-0} ORDER BY runid LIMIT 2"
	ran=$(q $m "SELECT count(*) FROM cron.job_run_details WHERE jobid = ${JOB[$m]:-0} AND status = 'succeeded'
		AND command = '$command' AND return_message = 'CALL'")
	[ "${ran:-0}" -ge 1 ]; ok $? "$m: the run executed '$command' (return message CALL)"
	q $m "SELECT cron.unschedule(${JOB[$m]:-0})" >/dev/null

	at $m -d cron_direct -c "$command" 2>/dev/null
	[ "$(at $m -At -d cron_direct -c 'SELECT count(*) FROM session_summaries s WHERE snapshot_country IS NULL
		AND NOT EXISTS (SELECT FROM cowrie_pending_sessions p WHERE p.session_id = s.session_id)')" = 0 ] &&
		[ "$(at $m -At -d $DB -c "$SNAPSHOT_SUM")" = "$(at $m -At -d cron_direct -c "$SNAPSHOT_SUM")" ]
	ok $? "$m: the scheduled run's snapshots equal those of a direct $command"
	[ "$(q $m "SELECT snapshot_country FROM session_summaries WHERE session_id = 'cron-no-ip'")" = XX ]
	ok $? "$m: the sessions the trigger left were filled too (no IP: XX)"
	[ "$(q $m "SELECT ip FROM cowrie_pending_sessions WHERE session_id = 'cron-unenriched'")" = 11.22.33.44 ]
	ok $? "$m: the session whose public IP has no inventory row waits for it, its IP recorded"
done

echo "1..$n"
