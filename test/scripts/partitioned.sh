#!/usr/bin/env bash
# A partitioned session_summaries (issue 30), on the plain and the partitioned
# layouts side by side; the layouts are test/lib/partition_sessions.sql's:
#   - acceptance A: a partitioned copy of the same v15 data (range by month
#     plus DEFAULT, range by hour over many heaps, a hash-sub-partitioned
#     month, list, hash), default mode and deferred mode followed by
#     CALL cowrie_backfill_commit(1000), ends with the plain table's snapshot
#     checksum; fk_session_source_ip is valid and the trigger is on every leaf;
#     a partition created or attached after the install is filled;
#   - acceptance B: after ip_types = '{VPN}' on one IP, a completion run
#     changes exactly that IP's sessions lacking a type (full row images
#     compared), plain, range by month, range by hour, hash;
#   - acceptance C: the operator partitions a migrated database later: the
#     next scheduled run ends and changes nothing; completions and a deferred
#     backfill finish there as on the plain table; SELECT cowrie_migrate()
#     adds the foreign key and the trigger back when they were forgotten;
#   - pg_partman manages the table (create_parent, run_maintenance): the
#     install, then sessions in partitions made after it get their snapshots
#     at ingestion and from the backfill (only where pg_partman is installed);
#   - refusals before anything is written (55000, message, detail, hint): a
#     foreign-table partition (file_fdw), a partitioned ip_inventory;
#   - live load: a loader and an enricher beside CALL cowrie_backfill_commit
#     on a schedule: every session whose IP the enricher added has its
#     snapshot after one more run, with no retry run (plain and range).
# Scheduled runs are bounded by statement_timeout (60 s), so a hang fails.
# Waits are on states (a client's end, counts), never on sleeps. Prints TAP;
# needs the suite's cluster (PGHOST, PGPORT, PGUSER, PGBIN).
cd "$(dirname "$0")/../.."
. test/lib/tap.sh
PSQL="$PSQL -v VERBOSITY=verbose"
DBS="pt_v15 pt_plain_default pt_plain_deferred pt_a_range pt_a_range_d pt_a_range_1h pt_a_range_1h_d pt_a_sub pt_a_sub_d
	pt_a_list pt_a_list_d pt_a_hash pt_a_hash_d pt_b_plain pt_b_range pt_b_range_1h pt_b_hash_later pt_b_hash pt_c_base pt_c pt_c_plain
	pt_c_deferred pt_c_forgot pt_pm pt_pm_plain pt_fdw pt_fdw_d pt_inv pt_inv_d pt_live_plain pt_live_range"
CLIENT_PREFIX=pt
. test/lib/clients.sh
for db in $DBS; do $PSQL -d postgres -c "DROP DATABASE IF EXISTS $db WITH (FORCE)" >/dev/null 2>&1; done

# q DB SQL: its result; its error (a first line) as a comment on stderr.
q() { $PSQL -At -d "$1" -c "$2" 2> >(grep -E '^ERROR' | head -n 1 | note >&2); }
copy() { $PSQL -d postgres -c "CREATE DATABASE $2 TEMPLATE $1" >/dev/null; }
# part DB LAYOUT [INTERVAL] [OBJECTS]: partition_sessions.sql, its summary as a comment.
part() {
	$PSQL -d "$1" -v partition_layout="$2" ${3:+-v partition_interval="$3"} ${4:+-v partition_extension_objects="$4"} \
		-f test/lib/partition_sessions.sql >"$WORK/part_$1.out" 2>&1
	local rc=$?
	sed -nE 's/.*NOTICE:  [0-9A-Z]{5}: set-up: (.*)/# \1/p; /ERROR/p' "$WORK/part_$1.out" | cut -c1-200
	return $rc
}
# install DB default|deferred: CREATE EXTENSION (deferred: then CALL
# cowrie_backfill_commit(1000)); the error, if any, as a comment.
install() {
	if [ "$2" = deferred ]; then
		$PSQL -d "$1" -c 'SET cowrie_snapshot.defer_session_backfill = on' -c 'CREATE EXTENSION cowrie_snapshot' \
			-c 'SET statement_timeout = 60000' -c 'CALL cowrie_backfill_commit(1000)' >"$WORK/install_$1.out" 2>&1
	else
		$PSQL -d "$1" -c 'CREATE EXTENSION cowrie_snapshot' >"$WORK/install_$1.out" 2>&1
	fi
	local rc=$?
	[ $rc = 0 ] || grep -E 'ERROR|DETAIL' "$WORK/install_$1.out" | head -n 2 | note
	return $rc
}
# run DB SQL: one statement under statement_timeout 60 s (a hang fails); its
# result in $WORK/run.out, its messages in $WORK/run.err, its error as a
# comment. said: its last NOTICE (the backfill's closing line).
run() {
	$PSQL -At -d "$1" -c 'SET statement_timeout = 60000' -c "$2" >"$WORK/run.out" 2>"$WORK/run.err"
	local rc=$?
	[ $rc = 0 ] || grep -E 'ERROR' "$WORK/run.err" | head -n 1 | note
	return $rc
}
said() { grep -E '^(NOTICE|INFO|WARNING|ERROR)' "$WORK/run.err" | tail -n 1 | cut -c1-120; }
# Every column of every session, one md5.
ROWS="SELECT md5(string_agg(s::text, E'\n' ORDER BY session_id)) FROM session_summaries s"
rows_sum() { q "$1" "$ROWS"; }
# The layout's foreign key and trigger: fk_session_source_ip validated, the trigger on every leaf.
FK_TRIGGER="SELECT (SELECT convalidated FROM pg_constraint WHERE conrelid = 'session_summaries'::regclass AND conname = 'fk_session_source_ip')
	AND (SELECT bool_and(EXISTS (SELECT FROM pg_trigger t WHERE t.tgrelid = p.relid AND t.tgname = 'cowrie_session_snapshot' AND t.tgenabled = 'O'))
	     FROM pg_partition_tree('session_summaries') p)"
LEAVES="SELECT count(*) FROM pg_partition_tree('session_summaries') WHERE isleaf"

$PSQL -d postgres -c 'CREATE DATABASE pt_v15' >/dev/null
$PSQL -d pt_v15 -v n=3000 -f test/fixtures/cowrie_v15.sql >/dev/null 2>&1
[ "$(q pt_v15 'SELECT count(*) FROM session_summaries')" = 3000 ]; setup $? "a v15 fixture of 3000 sessions"
[ "$(q pt_v15 'SELECT count(*) FROM session_summaries WHERE first_event_at IS NULL')" -gt 0 ]
setup $? "some sessions have no first_event_at (the DEFAULT partition takes them)"

# The plain table's rows: the reference.
copy pt_v15 pt_plain_default; copy pt_v15 pt_plain_deferred
install pt_plain_default default; setup $? "default mode on the plain table"
install pt_plain_deferred deferred; setup $? "deferred mode and CALL cowrie_backfill_commit(1000) on the plain table"
reference=$(snapshot_sum pt_plain_default)
[ "$(snapshot_sum pt_plain_deferred)" = "$reference" ]
ok $? "plain table: deferred mode plus CALL cowrie_backfill_commit(1000) gives default mode's snapshots"

# ---------------------------------------------------------------- acceptance A
echo "# $SECONDS s"
for layout in range range:1h sub list hash; do
	name=${layout%%:*}; interval=
	[ "$layout" = range:1h ] && { name=range_1h; interval='1 hour'; }
	db=pt_a_$name
	copy pt_v15 "$db"
	part "$db" "${layout%%:*}" "$interval"; setup $? "$name: session_summaries partitioned, $(q "$db" "$LEAVES") leaf partitions"
	copy "$db" "${db}_d"
	install "$db" default
	[ "$(snapshot_sum "$db")" = "$reference" ]; ok $? "$name: default mode gives the plain table's snapshots (session_id, source_ip, snapshot_*, enrichment_at)"
	[ "$(q "$db" "$FK_TRIGGER")" = t ]; ok $? "$name: fk_session_source_ip is validated on the partitioned table, and the trigger is on every leaf"
	install "${db}_d" deferred
	[ "$(snapshot_sum "${db}_d")" = "$reference" ]
	ok $? "$name: deferred mode plus CALL cowrie_backfill_commit(1000) gives the plain table's snapshots"
done
echo "# rows per leaf (range by hour): $(q pt_a_range_1h "SELECT string_agg(n::text, ' ' ORDER BY t) FROM (SELECT tableoid::regclass::text AS t, count(*) AS n FROM session_summaries GROUP BY 1) x")"

# Partitions created and attached after the install (range by month, default
# mode): copies of sessions whose IP is in their enrichment, a year later.
# A new partition: the trigger, cloned onto it, fills at ingestion those whose
# IP has a country (the others wait for the backfill, as on a plain table). An
# attached one, filled before it was attached (no trigger ran): the backfill.
# Then each copy has its original's snapshot.
db=pt_a_range
COPIES="SELECT s.session_id, s.first_event_at, s.last_event_at, s.enrichment FROM session_summaries s
	JOIN fixture.session_shape f USING (session_id) WHERE f.expected_ip IS NOT NULL AND s.session_id NOT LIKE 'new-%' AND s.session_id NOT LIKE 'att-%'
	ORDER BY s.session_id LIMIT 200"
$PSQL -d $db -c "CREATE TABLE session_summaries_p2026_02 PARTITION OF session_summaries FOR VALUES FROM ('2026-02-01 00:00+00') TO ('2026-03-01 00:00+00')" \
	-c "INSERT INTO session_summaries (session_id, first_event_at, last_event_at, enrichment)
	    SELECT 'new-' || session_id, timestamptz '2026-02-01 00:00+00' + (row_number() OVER ()) * interval '1 minute', NULL, enrichment FROM ($COPIES) c" \
	-c "CREATE TABLE session_summaries_p2026_03 (LIKE session_summaries INCLUDING DEFAULTS INCLUDING CONSTRAINTS)" \
	-c "INSERT INTO session_summaries_p2026_03 (session_id, first_event_at, last_event_at, enrichment)
	    SELECT 'att-' || session_id, timestamptz '2026-03-01 00:00+00' + (row_number() OVER ()) * interval '1 minute', NULL, enrichment FROM ($COPIES) c" \
	-c "ALTER TABLE session_summaries ATTACH PARTITION session_summaries_p2026_03 FOR VALUES FROM ('2026-03-01 00:00+00') TO ('2026-04-01 00:00+00')" \
	>"$WORK/later.out" 2>&1
setup $? "range: a partition created after the install (200 sessions inserted) and one attached (200 sessions inserted before)"
# The copies (whose id starts with the pattern) that differ from their original's snapshot (or lack one), and all of them.
COPY_DIFF="SELECT count(*) FILTER (WHERE c.snapshot_country IS NULL OR (c.source_ip, c.snapshot_asn, c.snapshot_country, c.snapshot_ip_type, c.enrichment_at)
	      IS DISTINCT FROM (o.source_ip, o.snapshot_asn, o.snapshot_country, o.snapshot_ip_type, o.enrichment_at)) || ' of ' || count(*)
	FROM session_summaries c JOIN session_summaries o ON o.session_id = substr(c.session_id, 5) WHERE c.session_id LIKE"
diff=$(q $db "$COPY_DIFF 'new-%' AND o.snapshot_country <> 'XX'")
[ "${diff%% *}" = 0 ] && [ "${diff##* }" -gt 100 ] && [ "$(q $db "SELECT count(*) FROM session_summaries_p2026_02")" = 200 ]
ok $? "range: sessions inserted into a partition created after the install get their snapshots at ingestion (those whose IP has a country: $diff differ)"
run $db 'SELECT cowrie_backfill(1000)'
diff=$(q $db "$COPY_DIFF 'new-%' OR c.session_id LIKE 'att-%'")
[ "$diff" = "0 of 400" ] && [ "$(q $db "SELECT count(*) FROM session_summaries_p2026_03")" = 200 ]
ok $? "range: then SELECT cowrie_backfill(1000) gives every copy, in the attached partition too, its original's snapshot ($diff differ; $(said))"

# ---------------------------------------------------------------- acceptance B
echo "# $SECONDS s"
# After one IP gains a type in the inventory, one ordinary run: only that IP's
# sessions lacking a type change, and only their type (the issue: a join on
# ctid matched the same heap position in every partition).
# The IP whose sessions lacking a type are the most among those with such
# sessions in two monthly partitions (a NULL first_event_at goes to DEFAULT);
# the same IP on every layout.
vpn_ip=$(q pt_plain_default "SELECT s.source_ip FROM session_summaries s JOIN ip_inventory i ON i.ip_address = s.source_ip
	WHERE s.snapshot_ip_type IS NULL AND s.snapshot_country <> 'XX' AND NOT 'VPN' = ANY (coalesce(i.ip_types, '{}'))
	GROUP BY s.source_ip ORDER BY bool_or(s.first_event_at IS NULL) AND bool_or(s.first_event_at IS NOT NULL) DESC, count(*) DESC, s.source_ip LIMIT 1")
[ -n "$vpn_ip" ]; setup $? "the IP given ip_types = '{VPN}': $vpn_ip, $(q pt_plain_default "SELECT count(*) FROM session_summaries WHERE source_ip = '$vpn_ip' AND snapshot_ip_type IS NULL") of its sessions lack a type"
# The partitioned layouts: installed on the partitioned table (hash), and
# partitioned after a default-mode install on the plain table (the issue's road;
# the foreign key and trigger added again).
copy pt_plain_default pt_b_plain; copy pt_a_hash pt_b_hash
copy pt_plain_default pt_b_range; part pt_b_range range >/dev/null
copy pt_plain_default pt_b_range_1h; part pt_b_range_1h range '1 hour' >/dev/null
copy pt_plain_default pt_b_hash_later; part pt_b_hash_later hash >/dev/null
for name in plain range range_1h hash_later hash; do
	db=pt_b_$name
	# Plain copies of every row before and after (same columns: the same row text).
	$PSQL -d $db -c "CREATE TABLE pt_before AS SELECT * FROM session_summaries" \
		-c "UPDATE ip_inventory SET ip_types = '{VPN}' WHERE ip_address = '$vpn_ip'" >"$WORK/b.err" 2>&1 || note <"$WORK/b.err"
	echo "# $name: the IP's sessions in $(q $db "SELECT count(DISTINCT tableoid) FROM session_summaries WHERE source_ip = '$vpn_ip'") heap(s)"
	run $db 'SELECT cowrie_backfill(1000)'
	$PSQL -d $db -c "CREATE TABLE pt_after AS SELECT * FROM session_summaries" >/dev/null 2>&1
	EXPECTED="b.source_ip = '$vpn_ip' AND b.snapshot_ip_type IS NULL"
	$PSQL -At -F ' ' -d $db -c "SELECT count(*) FILTER (WHERE b::text IS DISTINCT FROM a::text),
	       count(*) FILTER (WHERE b::text IS DISTINCT FROM a::text AND NOT coalesce($EXPECTED, false)),
	       count(*) FILTER (WHERE $EXPECTED)
	    FROM pt_before b FULL JOIN pt_after a USING (session_id)" >"$WORK/b.out" 2>&1
	read -r changed others expected <"$WORK/b.out"
	[ "${others:-x}" = 0 ] && [ "${expected:-0}" -gt 0 ]
	ok $? "$name: the completion changes no session but the $expected of the IP given a type that lack one (rows changed: ${changed:-?}, others: ${others:-?})"
	# Those sessions with their VPN taken back: byte for byte what they were.
	reverted=$(q $db "WITH u AS (UPDATE pt_after a SET snapshot_ip_type = NULL FROM pt_before b
	                           WHERE b.session_id = a.session_id AND $EXPECTED AND a.snapshot_ip_type = 'VPN' RETURNING 1) SELECT count(*) FROM u")
	[ "$(q $db "SELECT count(*) FROM pt_before b JOIN pt_after a USING (session_id) WHERE $EXPECTED AND b::text IS DISTINCT FROM a::text")" = 0 ] &&
		[ "${reverted:-?}" = "${expected:-x}" ]
	ok $? "$name: each of them gains snapshot_ip_type VPN and nothing else (${reverted:-?} of ${expected:-?} have VPN)"
done

# ---------------------------------------------------------------- acceptance C
echo "# $SECONDS s"
# A database the extension migrated (default mode), which the operator then
# partitions by month: old table renamed, partitioned one made, rows copied,
# fk_session_source_ip (valid) and the trigger added as the extension has them.
copy pt_v15 pt_c_base; install pt_c_base default; setup $? "default mode on the plain table"
copy pt_c_base pt_c; copy pt_c_base pt_c_plain
part pt_c range; setup $? "the migrated table partitioned later, its foreign key and trigger added again"
before=$(rows_sum pt_c)
run pt_c 'SELECT cowrie_backfill(1000)'; rc=$?
[ $rc = 0 ]; ok $? "later partitioning: the next scheduled SELECT cowrie_backfill(1000) ends (statement_timeout 60 s) ($(said))"
[ $rc = 0 ] && [ "$(head -n 1 "$WORK/run.out")" = 0 ] && [ "$(rows_sum pt_c)" = "$before" ]
ok $? "  and changes nothing (every column of every session)"
# The enricher then gives a type to many IPs whose sessions lack one: the
# completion takes them on the partitioned table as on the plain one.
MANY_TYPES="UPDATE ip_inventory SET ip_types = ip_types || '{TOR}' WHERE ip_address IN (
	SELECT source_ip FROM session_summaries WHERE snapshot_ip_type IS NULL AND source_ip IS NOT NULL AND snapshot_country <> 'XX'
	AND abs(hashtext(source_ip)) % 3 = 0)"
$PSQL -d pt_c -c "$MANY_TYPES" >/dev/null && $PSQL -d pt_c_plain -c "$MANY_TYPES" >/dev/null
setup $? "ip_types gains TOR for a third of the IPs whose sessions lack a type ($(q pt_c_plain "SELECT count(*) FROM session_summaries s JOIN ip_inventory i ON i.ip_address = s.source_ip WHERE s.snapshot_ip_type IS NULL AND 'TOR' = ANY (i.ip_types)") sessions)"
run pt_c_plain 'SELECT cowrie_backfill(1000)'
run pt_c 'SELECT cowrie_backfill(1000)'; rc=$?
TOR="SELECT count(*) FILTER (WHERE snapshot_ip_type = 'TOR') || ' sessions TOR, md5 of the other snapshots '
	|| md5(string_agg(concat_ws('|', session_id, source_ip, snapshot_asn, snapshot_country, snapshot_ip_type, enrichment_at), ',' ORDER BY session_id)
	       FILTER (WHERE snapshot_ip_type IS DISTINCT FROM 'TOR')) FROM session_summaries"
echo "# plain: $(q pt_c_plain "$TOR"); partitioned: $(q pt_c "$TOR")"
[ $rc = 0 ] && [ "$(rows_sum pt_c)" = "$(rows_sum pt_c_plain)" ]
ok $? "later partitioning: a completion of many sessions ends and gives the plain table's rows ($(said))"
# Deferred mode, half backfilled, then partitioned: the scheduled runs finish it.
copy pt_v15 pt_c_deferred
$PSQL -d pt_c_deferred -c 'SET cowrie_snapshot.defer_session_backfill = on' -c 'CREATE EXTENSION cowrie_snapshot' \
	-c 'SELECT cowrie_backfill(500, max_batches => 3)' >/dev/null 2>&1
setup $? "deferred mode, $(q pt_c_deferred 'SELECT count(*) FROM session_summaries WHERE snapshot_country IS NOT NULL') of 3000 sessions backfilled"
part pt_c_deferred range; setup $? "then partitioned"
run pt_c_deferred 'CALL cowrie_backfill_commit(1000)'; rc=$?
[ $rc = 0 ] && [ "$(snapshot_sum pt_c_deferred)" = "$reference" ]
ok $? "later partitioning mid-backfill: CALL cowrie_backfill_commit(1000) ends and gives the plain table's snapshots ($(said); $(q pt_c_deferred 'SELECT count(*) FROM session_summaries WHERE snapshot_country IS NULL') left)"
# The operator forgot the foreign key and the trigger: SELECT cowrie_migrate() adds them back.
copy pt_c_base pt_c_forgot
part pt_c_forgot range '' 0; setup $? "the migrated table partitioned later, without its foreign key and trigger"
run pt_c_forgot 'SELECT cowrie_migrate()'; rc=$?
[ $rc = 0 ] && [ "$(q pt_c_forgot "$FK_TRIGGER")" = t ] &&
	[ "$(q pt_c_forgot "SELECT count(*) FROM pg_depend d JOIN pg_trigger t ON d.objid = t.oid WHERE d.classid = 'pg_trigger'::regclass
	     AND t.tgrelid = 'session_summaries'::regclass AND t.tgname = 'cowrie_session_snapshot' AND d.deptype = 'x'")" = 1 ]
ok $? "later partitioning: SELECT cowrie_migrate() adds fk_session_source_ip (valid) and the trigger (part of the extension) back"
[ $rc = 0 ] && [ "$(snapshot_sum pt_c_forgot)" = "$reference" ]; ok $? "  and the snapshots stay the plain table's"

# ---------------------------------------------------------------- pg_partman
echo "# $SECONDS s"
if [ -f "$("$PG_CONFIG" --sharedir)/extension/pg_partman.control" ]; then
	# pg_partman's control column is NOT NULL: the operator fills first_event_at first (both copies).
	FILL="UPDATE session_summaries SET first_event_at = created_at WHERE first_event_at IS NULL;
	      ALTER TABLE session_summaries ALTER COLUMN first_event_at SET NOT NULL"
	copy pt_v15 pt_pm; copy pt_v15 pt_pm_plain
	$PSQL -d pt_pm_plain -c "$FILL" >/dev/null && install pt_pm_plain default; setup $? "pg_partman reference: the plain table, first_event_at filled, default mode"
	$PSQL -d pt_pm -v ON_ERROR_STOP=1 >"$WORK/partman.out" 2>&1 <<SQL
$FILL;
CREATE SCHEMA partman;
CREATE EXTENSION pg_partman SCHEMA partman;
ALTER TABLE password_session_usage DROP CONSTRAINT password_session_usage_session_id_fkey;
ALTER TABLE longtail_detection_sessions DROP CONSTRAINT longtail_detection_sessions_session_id_fkey;
ALTER TABLE session_summaries RENAME TO session_summaries_old;
ALTER INDEX session_summaries_pkey RENAME TO session_summaries_old_pkey;
CREATE TABLE session_summaries (LIKE session_summaries_old INCLUDING DEFAULTS INCLUDING CONSTRAINTS INCLUDING STORAGE)
	PARTITION BY RANGE (first_event_at);
ALTER TABLE session_summaries ADD CONSTRAINT session_summaries_pkey PRIMARY KEY (session_id, first_event_at);
-- pg_partman 4 (Debian 12) wants p_type 'native'; 5 (17, 18) has range by default and no 'native'.
SELECT extversion LIKE '4.%' AS partman4 FROM pg_extension WHERE extname = 'pg_partman' \gset
\if :partman4
SELECT partman.create_parent(p_parent_table := 'public.session_summaries', p_control := 'first_event_at', p_type := 'native',
                             p_interval := '1 month', p_premake := 2, p_start_partition := '2024-11-01', p_jobmon := false);
\else
SELECT partman.create_parent(p_parent_table := 'public.session_summaries', p_control := 'first_event_at',
                             p_interval := '1 month', p_premake := 2, p_start_partition := '2024-11-01', p_jobmon := false);
\endif
INSERT INTO session_summaries SELECT * FROM session_summaries_old;
DROP TABLE session_summaries_old;
CREATE INDEX ix_session_summaries_first_event ON session_summaries (first_event_at);
CREATE INDEX ix_session_summaries_last_event ON session_summaries (last_event_at);
ANALYZE session_summaries;
SQL
	setup $? "pg_partman $(q pt_pm "SELECT extversion FROM pg_extension WHERE extname = 'pg_partman'") manages session_summaries (create_parent monthly, premake 2): $(q pt_pm "$LEAVES") leaf partitions"
	install pt_pm default
	[ "$(snapshot_sum pt_pm)" = "$(snapshot_sum pt_pm_plain)" ]
	ok $? "pg_partman: CREATE EXTENSION gives the plain table's snapshots"
	leaves_before=$(q pt_pm "$LEAVES")
	$PSQL -d pt_pm -c "UPDATE partman.part_config SET premake = premake + 3, infinite_time_partitions = true WHERE parent_table = 'public.session_summaries'" \
		-c 'SELECT partman.run_maintenance()' >>"$WORK/partman.out" 2>&1
	newest=$(q pt_pm "SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
		WHERE i.inhparent = 'session_summaries'::regclass AND pg_get_expr(c.relpartbound, c.oid) <> 'DEFAULT'
		ORDER BY pg_get_expr(c.relpartbound, c.oid) DESC LIMIT 1")
	from=$(q pt_pm "SELECT (regexp_match(pg_get_expr(relpartbound, oid), \$\$FROM \('([^']+)'\)\$\$))[1] FROM pg_class WHERE relname = '$newest'")
	[ "$(q pt_pm "$LEAVES")" -gt "$leaves_before" ] && [ -n "$from" ]
	setup $? "partman.run_maintenance() made $(( $(q pt_pm "$LEAVES") - leaves_before )) partitions after the install; the newest, $newest, from $from"
	known=$(q pt_pm "SELECT ip_address || ' ' || geo_country FROM ip_inventory WHERE geo_country <> 'XX' ORDER BY ip_address LIMIT 1")
	$PSQL -d pt_pm -c "INSERT INTO session_summaries (session_id, first_event_at, enrichment) VALUES
		('pm-known', timestamptz '$from' + interval '1 day', '{\"dshield\": {\"ip\": {\"number\": \"${known% *}\"}}}'),
		('pm-private', timestamptz '$from' + interval '1 day', '{\"dshield\": {\"ip\": {\"number\": \"10.1.2.3\"}}}'),
		('pm-new', timestamptz '$from' + interval '1 day', '{\"dshield\": {\"ip\": {\"number\": \"41.250.7.9\"}}}')" >>"$WORK/partman.out" 2>&1
	setup $? "three sessions inserted into $newest"
	[ "$(q pt_pm "SELECT tableoid::regclass || ' ' || source_ip || ' ' || snapshot_country FROM session_summaries WHERE session_id = 'pm-known'")" = "$newest $known" ]
	ok $? "pg_partman: a session in a partition made by run_maintenance() after the install gets its snapshot at ingestion ($known)"
	[ "$(q pt_pm "SELECT tableoid::regclass || ' ' || snapshot_country FROM session_summaries WHERE session_id = 'pm-private'")" = "$newest XX" ]
	ok $? "pg_partman:   and a private IP's session XX"
	$PSQL -d pt_pm -c "INSERT INTO ip_inventory (ip_address, first_seen, last_seen, session_count, enrichment, enrichment_updated_at)
		VALUES ('41.250.7.9', now(), now(), 1, '{\"maxmind\": {\"country\": \"NL\"}}', '2026-01-01 00:00+00')" >>"$WORK/partman.out" 2>&1
	run pt_pm 'SELECT cowrie_backfill(1000)'
	[ "$(q pt_pm "SELECT source_ip || ' ' || snapshot_country FROM session_summaries WHERE session_id = 'pm-new'")" = "41.250.7.9 NL" ]
	ok $? "pg_partman: a session there whose IP the enricher added later gets its snapshot from SELECT cowrie_backfill(1000)"
	grep -E 'ERROR' "$WORK/partman.out" | head -n 3 | note
else
	echo "# pg_partman is not installed for this PostgreSQL: its checks do not run here"
fi

# ---------------------------------------------------------------- refusals
echo "# $SECONDS s"
# Everything the migration may create or change, as one md5 (as faults.sh).
CATALOG="SELECT md5(string_agg(x, ',' ORDER BY x)) FROM (
	SELECT 'rel ' || c.oid::regclass || ' ' || c.relkind::text || COALESCE(' ' || a.attname || ' ' || format_type(a.atttypid, a.atttypmod), '') AS x
	FROM pg_class c JOIN pg_namespace s ON s.oid = c.relnamespace
	LEFT JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
	WHERE s.nspname !~ '^(pg_|information_schema$)'
	UNION ALL SELECT 'con ' || c.conrelid::regclass || ' ' || c.conname || ' ' || c.convalidated FROM pg_constraint c
	JOIN pg_namespace s ON s.oid = c.connamespace WHERE s.nspname !~ '^(pg_|information_schema$)'
	UNION ALL SELECT 'trg ' || tgrelid::regclass || ' ' || tgname FROM pg_trigger WHERE NOT tgisinternal
	UNION ALL SELECT 'fn ' || p.oid::regprocedure FROM pg_proc p
	JOIN pg_namespace s ON s.oid = p.pronamespace WHERE s.nspname !~ '^(pg_|information_schema$)'
	UNION ALL SELECT 'ext ' || extname || ' ' || extversion FROM pg_extension) d"
STATE="SELECT (SELECT count(*) FROM pg_extension WHERE extname = 'cowrie_snapshot') || ' ' || (SELECT value FROM schema_state WHERE key = 'schema_version')
	|| ' ' || (SELECT md5(string_agg(s::text, E'\n' ORDER BY session_id)) FROM session_summaries s)"
INVENTORY="SELECT md5(string_agg(i::text, E'\n' ORDER BY ip_address)) FROM ip_inventory i"
state() {
	echo "$(q "$1" "$CATALOG") $(q "$1" "$STATE") $([ "$(q "$1" "SELECT to_regclass('ip_inventory') IS NULL")" = t ] && echo none || q "$1" "$INVENTORY")"
}
# refused DB WHAT NAME: CREATE EXTENSION, in both modes (deferred on a copy
# made first), refused with 55000, a message, detail and hint naming NAME, and
# nothing changed.
refused() {
	local db=$1 what=$2 name=$3 before mode target
	copy "$db" "${db}_d"
	before=$(state "$db")
	[[ $before =~ ^[0-9a-f]{32}\ 0\ 15\ [0-9a-f]{32}\ ([0-9a-f]{32}|none)$ ]]; setup $? "$what: the state before is read"
	for mode in default deferred; do
		if [ $mode = deferred ]; then
			target=${db}_d
			$PSQL -d "$target" -c 'SET cowrie_snapshot.defer_session_backfill = on' -c 'CREATE EXTENSION cowrie_snapshot' >"$WORK/refused.out" 2>&1
		else
			target=$db
			$PSQL -d "$target" -c 'CREATE EXTENSION cowrie_snapshot' >"$WORK/refused.out" 2>&1
		fi
		grep -E 'ERROR|DETAIL|HINT' "$WORK/refused.out" | head -n 3 | note
		grep -qE '^ERROR:  55000: ' "$WORK/refused.out"
		ok $? "$what ($mode mode): CREATE EXTENSION is refused with 55000"
		if [ $mode = default ]; then
			grep -qE '^DETAIL:  .+' "$WORK/refused.out" && grep -qE '^HINT:  .+' "$WORK/refused.out" && grep -E '^(ERROR|DETAIL):' "$WORK/refused.out" | grep -q "$name"
			ok $? "$what: the error has a detail and a hint, and names $name"
		fi
		[ "$(state "$target")" = "$before" ]
		ok $? "$what ($mode mode): nothing was written (catalog, extension, schema_version, every session and inventory row)"
	done
}
# A foreign-table partition (file_fdw). A partitioned table with a foreign
# partition has no unique index (PostgreSQL refuses one), so the operator has none.
copy pt_v15 pt_fdw; part pt_fdw range >/dev/null
$PSQL -d pt_fdw >"$WORK/fdw.out" 2>&1 <<'SQL'
ALTER TABLE session_summaries DROP CONSTRAINT session_summaries_session_key;
CREATE EXTENSION file_fdw;
CREATE SERVER cowrie_archive FOREIGN DATA WRAPPER file_fdw;
CREATE FOREIGN TABLE session_summaries_archive PARTITION OF session_summaries
	FOR VALUES FROM ('2020-01-01 00:00+00') TO ('2021-01-01 00:00+00') SERVER cowrie_archive OPTIONS (filename '/dev/null', format 'csv');
SQL
setup $? "session_summaries has a foreign-table partition (file_fdw)"
refused pt_fdw "a foreign-table partition" session_summaries_archive
# A partitioned ip_inventory (the ORM-shaped inventories, hash on ip_address).
$PSQL -d postgres -c 'CREATE DATABASE pt_inv' >/dev/null
$PSQL -d pt_inv -v n=300 -v orm_inventories=1 -f test/fixtures/cowrie_v15.sql >/dev/null 2>&1
$PSQL -d pt_inv >"$WORK/inv.out" 2>&1 <<'SQL'
ALTER TABLE ip_inventory RENAME TO ip_inventory_plain;
ALTER INDEX ip_inventory_pkey RENAME TO ip_inventory_plain_pkey;
CREATE TABLE ip_inventory (LIKE ip_inventory_plain INCLUDING DEFAULTS INCLUDING CONSTRAINTS) PARTITION BY HASH (ip_address);
ALTER TABLE ip_inventory ADD CONSTRAINT ip_inventory_pkey PRIMARY KEY (ip_address);
CREATE TABLE ip_inventory_h0 PARTITION OF ip_inventory FOR VALUES WITH (MODULUS 2, REMAINDER 0);
CREATE TABLE ip_inventory_h1 PARTITION OF ip_inventory FOR VALUES WITH (MODULUS 2, REMAINDER 1);
INSERT INTO ip_inventory SELECT * FROM ip_inventory_plain;
DROP TABLE ip_inventory_plain CASCADE;
ALTER TABLE ip_inventory ADD FOREIGN KEY (current_asn) REFERENCES asn_inventory (asn_number);
SQL
[ "$(q pt_inv 'SELECT relkind FROM pg_class WHERE oid = $$ip_inventory$$::regclass')" = p ] && [ "$(q pt_inv 'SELECT count(*) > 0 FROM ip_inventory')" = t ]
setup $? "ip_inventory (ORM shape, $(q pt_inv 'SELECT count(*) FROM ip_inventory') rows) is partitioned by hash"
refused pt_inv "a partitioned ip_inventory" ip_inventory

# ---------------------------------------------------------------- live load
echo "# $SECONDS s"
# A loader inserts sessions of 60 new public IPs; an enricher adds an IP's
# inventory row only once a session of it has arrived (so its first sessions
# are always pending); CALL cowrie_backfill_commit(1000) runs again and again
# meanwhile, as a schedule would. Then the enricher adds the IPs left, and one
# more scheduled run: every session of those IPs has its snapshot, no retry run.
cat >"$WORK/loader.sql" <<'SQL'
\set k random(1, 60)
INSERT INTO session_summaries (session_id, first_event_at, last_event_at, enrichment)
SELECT 'live-' || nextval('live_ids'), timestamptz '2025-02-01 00:00+00' + :k * interval '1 day',
       timestamptz '2025-02-01 00:10+00' + :k * interval '1 day', ('{"dshield": {"ip": {"number": "' || ip || '"}}}')::json
FROM live_pool WHERE k = :k;
INSERT INTO live_seen SELECT ip FROM live_pool WHERE k = :k ON CONFLICT DO NOTHING;
SQL
ENRICH="INSERT INTO ip_inventory (ip_address, first_seen, last_seen, session_count, enrichment, enrichment_updated_at)
	SELECT s.ip, now(), now(), 1, jsonb_build_object('maxmind', jsonb_build_object('country', p.cc)), now()
	FROM live_seen s JOIN live_pool p USING (ip) WHERE NOT EXISTS (SELECT FROM ip_inventory i WHERE i.ip_address = s.ip)
	ORDER BY s.ip LIMIT %s ON CONFLICT (ip_address) DO NOTHING"
for name in plain range; do
	db=pt_live_$name
	copy pt_v15 $db
	[ $name = plain ] || part $db range >/dev/null
	install $db default
	$PSQL -d $db -c "CREATE SEQUENCE live_ids" \
		-c "CREATE TABLE live_pool AS SELECT k, '41.' || (100 + k) || '.7.9' AS ip, (ARRAY['DE', 'FR', 'JP'])[1 + k % 3] AS cc FROM generate_series(1, 60) k" \
		-c "CREATE TABLE live_seen (ip text PRIMARY KEY)" >/dev/null 2>&1
	# (When the install failed there is no inventory: the checks below fail.)
	[ "$(q $db "SELECT to_regclass('ip_inventory') IS NULL")" = t ] ||
		[ "$(q $db "SELECT count(*) FROM live_pool p WHERE NOT EXISTS (SELECT FROM ip_inventory i WHERE i.ip_address = p.ip)")" = 60 ]
	setup $? "$name: 60 public IPs no inventory has yet"
	PGAPPNAME=pt_loader "$PGBIN/pgbench" -n -c 2 -j 2 -T 5 -f "$WORK/loader.sql" $db >"$WORK/loader.out" 2>&1 &
	loader=$!; BG+=("$loader")
	( while kill -0 $loader 2>/dev/null; do $PSQL -d $db -c "$(printf "$ENRICH" 1)" >/dev/null 2>>"$WORK/enricher.err"; done ) &
	enricher=$!; BG+=("$enricher")
	runs=0 failed_runs=0
	while kill -0 $loader 2>/dev/null; do
		$PSQL -d $db -c 'SET statement_timeout = 60000' -c 'CALL cowrie_backfill_commit(1000)' >"$WORK/sched.out" 2>&1 ||
			{ failed_runs=$((failed_runs + 1)); grep ERROR "$WORK/sched.out" | head -n 1 | note; }
		runs=$((runs + 1))
	done
	bg_wait $loader 60; loader_rc=$?
	bg_wait $enricher 60
	$PSQL -d $db -c "$(printf "$ENRICH" ALL)" >/dev/null 2>>"$WORK/enricher.err"
	$PSQL -d $db -c 'SET statement_timeout = 60000' -c 'CALL cowrie_backfill_commit(1000)' >"$WORK/sched.out" 2>&1 ||
		{ failed_runs=$((failed_runs + 1)); grep ERROR "$WORK/sched.out" | head -n 1 | note; }
	runs=$((runs + 1))
	live=$(q $db "SELECT count(*) FROM session_summaries WHERE session_id LIKE 'live-%'")
	pending=$(q $db "SELECT count(*) FROM session_summaries s JOIN ip_inventory i ON i.ip_address = (SELECT ip FROM live_pool p WHERE s.enrichment::text LIKE '%\"' || p.ip || '\"%')
		WHERE s.session_id LIKE 'live-%' AND s.created_at < i.created_at")
	echo "# $name: $live sessions loaded, $pending of them before their IP's inventory row; $runs scheduled runs"
	[ $loader_rc = 0 ] && [ $failed_runs = 0 ] && [ "${live:-0}" -gt 0 ] && [ "${pending:-0}" -gt 0 ]
	ok $? "$name live load: the loader and every one of the $runs scheduled CALL cowrie_backfill_commit(1000) runs succeed"
	missing=$(q $db "SELECT count(*) FROM session_summaries s JOIN live_pool p ON s.enrichment::text LIKE '%\"' || p.ip || '\"%'
		WHERE s.session_id LIKE 'live-%' AND (s.source_ip, s.snapshot_country) IS DISTINCT FROM (p.ip, p.cc)")
	[ "$missing" = 0 ] || echo "# $name: the sessions without, by (snapshot_country, source_ip): $(q $db "SELECT string_agg(k || ' ' || n, ', ') FROM (
		SELECT coalesce(s.snapshot_country, 'NULL') || '/' || coalesce(s.source_ip, 'NULL') AS k, count(*) AS n FROM session_summaries s
		JOIN live_pool p ON s.enrichment::text LIKE '%\"' || p.ip || '\"%' WHERE s.session_id LIKE 'live-%'
		AND (s.source_ip, s.snapshot_country) IS DISTINCT FROM (p.ip, p.cc) GROUP BY 1 ORDER BY 2 DESC LIMIT 3) x")"
	[ "$missing" = 0 ] && [ "${live:-0}" -gt 0 ]
	ok $? "$name live load: every session whose IP the enricher added has its snapshot after one more scheduled run, no retry run ($missing of $live without)"
done

for db in $DBS; do $PSQL -d postgres -c "DROP DATABASE IF EXISTS $db WITH (FORCE)" >/dev/null 2>&1; done
echo "# $SECONDS s in all"
echo "1..$n"
