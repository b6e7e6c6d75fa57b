#!/usr/bin/env bash
# The extension on Citus (docs/citus.md), the operator's path: a v15 cowrie
# database whose session_summaries is distributed by session_id, raw_events
# co-located with it and schema_state a reference table, on a coordinator and
# two workers (unix sockets, Citus built once per major and Citus version into
# a cache by test/lib/citus.sh, from ../shared/vendor/citus). On the
# coordinator: CREATE EXTENSION, then SELECT cowrie_migrate(), in default and
# in deferred mode. Every snapshot column must equal a single node's on the
# same data (the suite's own cluster); the inventories are reference tables; a
# session inserted through the coordinator gets its snapshot at ingestion, as
# on the single node; DROP EXTENSION leaves every row. Prints TAP.
# Without the Citus sources (a clone without ../shared) it prints one line
# "# citus: skipped (...)" and counts nothing.
# The backfill on Citus: deferred mode then CALL cowrie_backfill_commit ends
# with the default mode's rows; a completion after one IP gains types changes
# exactly that IP's sessions; a scheduled run with nothing to do; the
# non-canonical inventory report; the backfill refused on a worker. In
# deferred mode the tables belong to a login role that is not a superuser
# (cowrie_app, as on production's road), and it runs the backfill.
cd "$(dirname "$0")/../.."
. tools/cluster.sh
. tools/deps.sh
. test/lib/tap.sh
. test/lib/citus.sh

if ! citus_sources_present; then
	echo "# citus: skipped (no sources in ../shared/vendor/citus for PostgreSQL $CITUS_MAJOR)"
	echo "1..0 # SKIP no Citus sources"
	exit 0
fi

N=${CITUS_SESSIONS:-2000}
SINGLE_HOST=$PGHOST SINGLE_PORT=$PGPORT # the suite's cluster: the single node
BASE=${PGHOST}_citus
finish() { citus_cluster_stop; rm -rf "${BASE}_c" "${BASE}_w1" "${BASE}_w2" "$WORK"; }
trap finish EXIT
trap 'exit 130' INT TERM

out=$(install_deps "${COWRIE_CITUS_DEPS[@]}" 2>&1); rc=$?
[ $rc -ne 0 ] && echo "$out" | tail -n 5 | sed 's/^/# /'
setup $rc "Citus build dependencies: ${COWRIE_CITUS_DEPS[*]}"
t0=$SECONDS
out=$(citus_build 2>&1); rc=$?
echo "$out" | sed 's/^/# /'
setup $rc "Citus $CITUS_VERSION built or reused for PostgreSQL $CITUS_MAJOR ($((SECONDS - t0)) s)"
citus_install; setup $? "Citus installed into $("$PG_CONFIG" --pkglibdir)"
t0=$SECONDS
citus_cluster_start "$BASE" "${COWRIE_CITUS_PORT:-$((SINGLE_PORT + 10))}" >"$WORK/start.log" 2>&1
rc=$?; [ $rc -ne 0 ] && sed 's/^/# /' "$WORK/start.log"
setup $rc "a coordinator and two workers started ($((SECONDS - t0)) s)"

# check STATUS DESCRIPTION [OUTPUT]: a TAP line; on failure the output's last lines as comments
check() { ok "$1" "$2"; [ "$1" != 0 ] && [ -n "${3:-}" ] && echo "$3" | tail -n 20 | sed 's/^/# /'; return 0; }

# psql on the coordinator, on a worker (1 or 2), on the single node
C() { $PSQL -h "$CITUS_COORD" -p "$CITUS_PORT" "$@"; }
W() { local w=${CITUS_WORKERS[$(($1 - 1))]}; shift; $PSQL -h "${w%:*}" -p "${w##*:}" "$@"; }
S() { $PSQL -h "$SINGLE_HOST" -p "$SINGLE_PORT" "$@"; }

# The v15 fixture in a plain database on the coordinator (the template of each
# Citus database) and on the single node.
C -d postgres -c 'CREATE DATABASE citus_fixture' &&
	C -d citus_fixture -v n="$N" -f test/fixtures/cowrie_v15.sql >/dev/null &&
	C -d citus_fixture -c 'SET client_min_messages = warning' -c 'DROP SCHEMA fixture CASCADE'
setup $? "the v15 fixture ($N sessions)"

# The operator's distribution of a v15 database (docs/citus.md).
DISTRIBUTE="
SET client_min_messages = warning;
ALTER TABLE password_session_usage DROP CONSTRAINT password_session_usage_session_id_fkey;
ALTER TABLE longtail_detection_sessions DROP CONSTRAINT longtail_detection_sessions_session_id_fkey;
ALTER TABLE raw_events DROP CONSTRAINT raw_events_pkey, ADD PRIMARY KEY (session_id, id);
SELECT create_distributed_table('session_summaries', 'session_id');
SELECT create_distributed_table('raw_events', 'session_id', colocate_with => 'session_summaries');
SELECT truncate_local_data_after_distributing_table(t) FROM unnest(ARRAY['session_summaries', 'raw_events']::regclass[]) t;
SELECT create_reference_table('schema_state');
SELECT truncate_local_data_after_distributing_table('schema_state');"

# Every snapshot column, and the inventories' rows without their clock columns.
INVENTORY_SUM="SELECT md5(string_agg(concat_ws('|', ip_address, current_asn, geo_country, ip_types, is_scanner, is_bogon, session_count, enrichment, first_seen, last_seen), ',' ORDER BY ip_address)) FROM ip_inventory"
ASN_SUM="SELECT md5(string_agg(concat_ws('|', asn_number, first_seen, last_seen, unique_ip_count, total_session_count, enrichment), ',' ORDER BY asn_number)) FROM asn_inventory"
# New sessions as a loader writes them: one INSERT each, through the coordinator;
# documents of sessions of every shape, under new session ids.
INGEST="SELECT format('INSERT INTO session_summaries (session_id, enrichment, first_event_at, last_event_at) VALUES (%L, %L, %L, %L);',
               'ingest-' || session_id, enrichment, first_event_at, last_event_at)
        FROM session_summaries WHERE session_id NOT LIKE 'ingest-%' ORDER BY md5(session_id) LIMIT 200"
INGESTED_SUM="SELECT md5(string_agg(concat_ws('|', session_id, source_ip, snapshot_asn, snapshot_country, snapshot_ip_type, enrichment_at), ',' ORDER BY session_id)) FROM session_summaries WHERE session_id LIKE 'ingest-%'"
ROWS="SELECT (SELECT count(*) FROM session_summaries) || '/' || (SELECT count(*) FROM raw_events) || '/' || (SELECT count(*) FROM ip_inventory) || '/' || (SELECT count(*) FROM asn_inventory) || '/' || (SELECT count(*) FROM schema_state)"

for mode in default deferred; do
	db=citus_$mode single=citus_single_$mode
	[ $mode = deferred ] && defer=on || defer=off
	citus_db_create "$db" citus_fixture >"$WORK/db.log" 2>&1 && C -q -d "$db" -c "$DISTRIBUTE" >>"$WORK/db.log" 2>&1
	rc=$?; [ $rc -ne 0 ] && sed 's/^/# /' "$WORK/db.log"
	setup $rc "$mode: database $db on three nodes, session_summaries distributed by session_id, raw_events co-located, schema_state a reference table"
	# Deferred mode: the tables belong to the application's role, as on
	# production's road, and that role (not a superuser) runs the backfill.
	RUN_AS=()
	if [ $mode = deferred ]; then
		C -q -d "$db" -c 'SET client_min_messages = warning' -c 'CREATE ROLE cowrie_app LOGIN' \
			-c 'ALTER TABLE session_summaries OWNER TO cowrie_app' -c 'ALTER TABLE raw_events OWNER TO cowrie_app' \
			-c 'ALTER TABLE schema_state OWNER TO cowrie_app' >"$WORK/db.log" 2>&1
		rc=$?; [ $rc -ne 0 ] && sed 's/^/# /' "$WORK/db.log"
		setup $rc "$mode: the tables belong to the login role cowrie_app (Citus creates it on the workers)"
		RUN_AS=(-U cowrie_app)
	fi

	# The single node: the same rows, the same mode.
	S -d postgres -c 'SET client_min_messages = warning' -c "DROP DATABASE IF EXISTS $single" -c "CREATE DATABASE $single" >/dev/null &&
		S -d "$single" -v n="$N" -f test/fixtures/cowrie_v15.sql >/dev/null &&
		S -d "$single" -c 'SET client_min_messages = warning' -c 'DROP SCHEMA fixture CASCADE' \
			-c "SET cowrie_snapshot.defer_session_backfill = $defer" -c 'CREATE EXTENSION cowrie_snapshot' >/dev/null 2>&1
	setup $? "$mode: the single node migrated"

	out=$(C -d "$db" -c "SET cowrie_snapshot.defer_session_backfill = $defer" -c 'CREATE EXTENSION cowrie_snapshot' 2>&1)
	echo "$out" | grep -q 'INFO:  cowrie_snapshot: session_summaries is a Citus table: nothing migrated yet' &&
		[ -z "$(C -At -d "$db" -c "SELECT to_regclass('ip_inventory')")" ] &&
		[ "$(W 1 -At -d "$db" -c "SELECT extversion FROM pg_extension WHERE extname = 'cowrie_snapshot'")" = "$(C -At -d "$db" -c "SELECT extversion FROM pg_extension WHERE extname = 'cowrie_snapshot'")" ]
	check $? "$mode: CREATE EXTENSION on the coordinator migrates nothing, says to run cowrie_migrate(), and Citus creates the extension on the workers" "$out"

	out=$(W 1 -d "$db" -c '\set VERBOSITY verbose' -c 'SELECT cowrie_migrate()' 2>&1)
	echo "$out" | grep -q 'ERROR:  55000: cowrie_snapshot: the migration runs on the Citus coordinator, not on a worker'
	check $? "$mode: cowrie_migrate() on a worker is refused (55000)" "$out"

	t0=$SECONDS
	out=$(C -At -d "$db" -c "SET cowrie_snapshot.defer_session_backfill = $defer" \
		-c "SELECT r->>'status', r->>'deferred', r->>'citus' FROM cowrie_migrate() r" 2>&1)
	echo "$out" | grep -qx "migrated|$([ $defer = on ] && echo true || echo false)|true"
	check $? "$mode: SELECT cowrie_migrate() on the coordinator migrates ($((SECONDS - t0)) s)" "$out"

	a=$(S -At -d "$single" -c "$SNAPSHOT_SUM") b=$(C -At -d "$db" -c "$SNAPSHOT_SUM")
	[ -n "$a" ] && [ "$a" = "$b" ]; ok $? "$mode: every snapshot column equals the single node's ($b)"
	a=$(S -At -d "$single" -c "$INVENTORY_SUM" -c "$ASN_SUM") b=$(C -At -d "$db" -c "$INVENTORY_SUM" -c "$ASN_SUM")
	[ -n "$a" ] && [ "$a" = "$b" ]; ok $? "$mode: ip_inventory and asn_inventory hold the single node's rows"
	[ "$(C -At -d "$db" -c "SELECT string_agg(table_name::text || ':' || citus_table_type, ' ' ORDER BY table_name::text) FROM citus_tables WHERE table_name::text IN ('ip_inventory', 'asn_inventory')")" = "asn_inventory:reference ip_inventory:reference" ]
	ok $? "$mode: the inventories are reference tables"
	a=$(S -At -d "$single" -c 'SELECT * FROM cowrie_snapshot_coverage()') b=$(C -At -d "$db" -c 'SELECT * FROM cowrie_snapshot_coverage()' 2>&1)
	[ -n "$a" ] && [ "$a" = "$b" ]; check $? "$mode: cowrie_snapshot_coverage() gives the single node's figures" "$b"
	[ "$(C -At -d "$db" -c "SELECT value FROM schema_state WHERE key = 'schema_version'")" = 16 ]
	ok $? "$mode: schema_state says 16"

	[ $mode = default ] && DEFAULT_SUM=$(C -At -d "$db" -c "$SNAPSHOT_SUM")

	# The backfill: each node walks its own shards. Deferred, the committing
	# procedure fills every session; then both modes are the default mode's.
	if [ $mode = deferred ]; then
		t0=$SECONDS
		out=$(C "${RUN_AS[@]}" -d "$db" -c 'CALL cowrie_backfill_commit(1000)' 2>&1); rc=$?
		secs=$((SECONDS - t0))
		t0=$SECONDS
		S -d "$single" -c 'CALL cowrie_backfill_commit(1000)' >/dev/null 2>&1
		single_secs=$((SECONDS - t0))
		[ $rc = 0 ] && echo "$out" | grep -qE "NOTICE:  cowrie_backfill: ([0-9]+)/\1 sessions, done"
		check $? "$mode: CALL cowrie_backfill_commit(1000) on the coordinator, as the tables' owner cowrie_app, fills every session, with the closing line ($secs s; the single node: $single_secs s)" "$out"
		a=$(S -At -d "$single" -c "$SNAPSHOT_SUM") b=$(C -At -d "$db" -c "$SNAPSHOT_SUM")
		[ -n "$a" ] && [ "$a" = "$b" ] && [ "$b" = "$DEFAULT_SUM" ]
		ok $? "$mode: then every snapshot column equals the single node's and the default mode's ($b)"
		[ "$(C -At -d "$db" -c "SELECT count(*) FROM session_summaries WHERE snapshot_country IS NULL")" = 0 ]
		ok $? "$mode: no session is left without a country"
	fi

	# A completion: one IP gains types; the next run changes exactly that IP's sessions.
	ip=$(S -At -d "$single" -c "SELECT s.source_ip FROM session_summaries s JOIN ip_inventory i ON i.ip_address = s.source_ip
		WHERE s.snapshot_ip_type IS NULL AND COALESCE(cardinality(i.ip_types), 0) = 0 GROUP BY 1 ORDER BY count(*) DESC, 1 LIMIT 1")
	ROWS_OF="SELECT session_id || '|' || concat_ws('|', source_ip, snapshot_asn, snapshot_country, snapshot_ip_type, enrichment_at) FROM session_summaries ORDER BY session_id"
	C -At -d "$db" -c "$ROWS_OF" >"$WORK/before" && S -q -d "$single" -c "UPDATE ip_inventory SET ip_types = '{VPN}' WHERE ip_address = '$ip'" &&
		C -q -d "$db" -c "UPDATE ip_inventory SET ip_types = '{VPN}' WHERE ip_address = '$ip'"
	setup $? "$mode: ip_inventory row $ip gains ip_types {VPN} on both"
	out=$(C "${RUN_AS[@]}" -d "$db" -c 'SELECT cowrie_backfill(1000)' 2>&1); rc=$?
	S -d "$single" -c 'SELECT cowrie_backfill(1000)' >/dev/null 2>&1
	C -At -d "$db" -c "$ROWS_OF" >"$WORK/after"
	changed=$(diff "$WORK/before" "$WORK/after" | grep '^>' | cut -d'|' -f1 | cut -c3- | sort)
	expected=$(C -At -d "$db" -c "SELECT session_id FROM session_summaries WHERE source_ip = '$ip' ORDER BY 1" | sort)
	[ $rc = 0 ] && [ -n "$changed" ] && [ "$changed" = "$expected" ] &&
		[ "$(C -At -d "$db" -c "SELECT count(*) FROM session_summaries WHERE source_ip = '$ip' AND snapshot_ip_type IS DISTINCT FROM 'VPN'")" = 0 ]
	check $? "$mode: SELECT cowrie_backfill(1000)${RUN_AS:+ as cowrie_app} after the change completes exactly that IP's $(echo "$expected" | wc -l) sessions, to VPN" "$out"
	a=$(S -At -d "$single" -c "$SNAPSHOT_SUM") b=$(C -At -d "$db" -c "$SNAPSHOT_SUM")
	[ -n "$a" ] && [ "$a" = "$b" ]; ok $? "$mode: then every snapshot column equals the single node's ($b)"
	[ "$(C -At -d "$db" -c "SELECT count(*) FROM cowrie_inventory_queue")/$(W 1 -At -d "$db" -c "SELECT count(*) FROM cowrie_inventory_queue")/$(W 2 -At -d "$db" -c "SELECT count(*) FROM cowrie_inventory_queue")" = 0/0/0 ]
	ok $? "$mode: the run emptied every node's queue"

	# A scheduled run with nothing to do: it ends at once, with the closing line.
	t0=$(date +%s%N)
	out=$(C "${RUN_AS[@]}" -At -d "$db" -c 'SELECT cowrie_backfill(1000)' 2>&1); rc=$?
	ms=$((($(date +%s%N) - t0) / 1000000))
	[ $rc = 0 ] && echo "$out" | grep -qx 0 && echo "$out" | grep -q 'NOTICE:  cowrie_backfill: 0/0 sessions, done'
	check $? "$mode: a scheduled run with nothing to do returns 0 with the closing line ($ms ms)" "$out"
	out=$(C "${RUN_AS[@]}" -d "$db" -c 'CALL cowrie_backfill_commit(1000)' 2>&1)
	[ $? = 0 ] && echo "$out" | grep -q 'NOTICE:  cowrie_backfill: 0/0 sessions, done' &&
		[ "$(C -At -d "$db" -c "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND classid = 1668249458")" = 0 ]
	check $? "$mode: so does CALL cowrie_backfill_commit(1000), and it leaves no advisory lock" "$out"
	out=$(W 1 -d "$db" -c '\set VERBOSITY verbose' -c 'SELECT cowrie_backfill(1000)' 2>&1)
	echo "$out" | grep -q 'ERROR:  0A000: cowrie_snapshot: the backfill runs on the Citus coordinator'
	check $? "$mode: the backfill on a worker is refused (0A000)" "$out"

	# The other reports.
	a=$(S -At -d "$single" -c 'SELECT * FROM cowrie_noncanonical_inventory()' 2>&1) b=$(C -At -d "$db" -c 'SELECT * FROM cowrie_noncanonical_inventory()' 2>&1)
	[ "$a" = "$b" ] && ! echo "$b" | grep -q ERROR
	check $? "$mode: cowrie_noncanonical_inventory() gives the single node's rows ($(echo "$b" | grep -c .) rows)" "$b"
	a=$(S -At -d "$single" -c 'SELECT * FROM cowrie_snapshot_coverage()') b=$(C -At -d "$db" -c 'SELECT * FROM cowrie_snapshot_coverage()' 2>&1)
	[ -n "$a" ] && [ "$a" = "$b" ]; check $? "$mode: cowrie_snapshot_coverage() still gives the single node's figures" "$b"

	# The ingestion trigger: on every shard, owned there by the worker's extension.
	shards=$(C -At -d "$db" -c "SELECT count(*) FROM pg_dist_shard WHERE logicalrelid = 'session_summaries'::regclass")
	owned=0
	for w in 1 2; do
		owned=$((owned + $(W $w -At -d "$db" -c "SELECT count(*) FROM pg_trigger t JOIN pg_depend d ON d.classid = 'pg_trigger'::regclass AND d.objid = t.oid AND d.deptype = 'x' AND d.refobjid = (SELECT oid FROM pg_extension WHERE extname = 'cowrie_snapshot') WHERE t.tgname LIKE 'cowrie_session_snapshot_%' AND t.tgrelid::regclass::text LIKE 'session_summaries_%'")))
	done
	[ "$shards" -gt 0 ] && [ "$owned" = "$shards" ]; ok $? "$mode: the ingestion trigger is on each of the $shards shards, owned by the worker's extension ($owned)"

	C -At -d "$db" -c "$INGEST" >"$WORK/ingest.sql" && S -At -d "$single" -c "$INGEST" >"$WORK/ingest_single.sql" &&
		cmp -s "$WORK/ingest.sql" "$WORK/ingest_single.sql"
	setup $? "$mode: 200 INSERTs of new sessions, the same for both"
	C -q -d "$db" -f "$WORK/ingest.sql" >/dev/null 2>"$WORK/ingest.err" && S -q -d "$single" -f "$WORK/ingest.sql" >/dev/null 2>>"$WORK/ingest.err"
	check $? "$mode: 200 new sessions inserted one by one through the coordinator" "$(head -n 5 "$WORK/ingest.err")"
	a=$(S -At -d "$single" -c "$INGESTED_SUM") b=$(C -At -d "$db" -c "$INGESTED_SUM")
	[ -n "$a" ] && [ "$a" = "$b" ] && [ "$(C -At -d "$db" -c "SELECT count(*) FROM session_summaries WHERE session_id LIKE 'ingest-%' AND snapshot_country IS NOT NULL")" -gt 0 ]
	ok $? "$mode: they got their snapshots at ingestion, the single node's ($b)"

	if [ $mode = default ]; then
		# Again, after the ingestion: the single node's repair, on both.
		out=$(C -At -d "$db" -c "SELECT r->>'status' FROM cowrie_migrate() r" 2>&1)
		S -d "$single" -c 'SELECT cowrie_migrate()' >/dev/null 2>&1
		a=$(S -At -d "$single" -c "$SNAPSHOT_SUM" -c "$INVENTORY_SUM" -c "$ASN_SUM") b=$(C -At -d "$db" -c "$SNAPSHOT_SUM" -c "$INVENTORY_SUM" -c "$ASN_SUM")
		echo "$out" | grep -qx repaired && [ -n "$a" ] && [ "$a" = "$b" ]
		check $? "$mode: SELECT cowrie_migrate() again (repair) ends with the single node's snapshots and inventories" "$out"

		# DROP EXTENSION: every row stays, on every node nothing of the extension.
		before=$(C -At -d "$db" -c "$ROWS" -c "$SNAPSHOT_SUM" -c "$INVENTORY_SUM")
		out=$(C -d "$db" -c 'DROP EXTENSION cowrie_snapshot' 2>&1)
		check $? "$mode: DROP EXTENSION on the coordinator" "$out"
		[ "$(C -At -d "$db" -c "$ROWS" -c "$SNAPSHOT_SUM" -c "$INVENTORY_SUM")" = "$before" ]
		ok $? "$mode: it leaves every row ($(echo "$before" | head -n 1))"
		left=$(C -At -d "$db" -c "SELECT count(*) FROM pg_extension WHERE extname = 'cowrie_snapshot'")/$(C -At -d "$db" -c "SELECT count(*) FROM pg_trigger WHERE tgname LIKE 'cowrie%'")
		for w in 1 2; do
			left="$left $(W $w -At -d "$db" -c "SELECT count(*) FROM pg_extension WHERE extname = 'cowrie_snapshot'")/$(W $w -At -d "$db" -c "SELECT count(*) FROM pg_trigger WHERE tgname LIKE 'cowrie%'")"
		done
		[ "$left" = "0/0 0/0 0/0" ]; ok $? "$mode: no extension and no trigger of it left on the coordinator and the workers (extensions/triggers: $left)"
	fi
	citus_db_drop "$db"
	S -d postgres -c "DROP DATABASE IF EXISTS $single" >/dev/null
done
C -d postgres -c 'DROP DATABASE citus_fixture' >/dev/null
echo "1..$n"
