#!/usr/bin/env bash
# Issue 28, findings 1 and 5: no table shape a non-superuser can create or
# alter crashes the server through the extension's C code. The trigger
# function is not PUBLIC's (a plain role cannot attach it to a table of its
# own), and even attached by a superuser to a table of the wrong shape it
# refuses with 42804. The inventory's owner changes ip_inventory's column
# types, the sessions' owner those of session_summaries: the loader's INSERT,
# the lookup and the backfill then give the snapshot the original shape gave,
# or a clean error; never a crash. A timestamp without time zone is read as
# UTC by the trigger, the lookup and the backfill alike, under any TimeZone.
# Prints TAP.
cd "$(dirname "$0")/../.."
. test/lib/tap.sh
N=${ATTACK_COLUMN_TYPES_N:-40}
APP=ct_app LOADER=ct_loader PLAIN=ct_plain
ROLES="$APP $LOADER $PLAIN"
TPL=ct_tpl DB=ct_db
LOG=${PGHOST:-}/server.log

dba() { PGOPTIONS="-c search_path=public -c client_min_messages=warning ${EXTRA_OPTS:-}" $PSQL "$@"; }
as_role() { local r=$1; shift; PGOPTIONS="-c client_min_messages=warning ${EXTRA_OPTS:-}" $PSQL -U "$r" "$@"; }
q() { dba -At -d "$1" -c "$2" 2>/dev/null; }
drop_all() {
	for db in $DB $TPL; do dba -d postgres -c "DROP DATABASE IF EXISTS $db"; done
	for r in $ROLES; do dba -d postgres -c "DROP ROLE IF EXISTS $r"; done
}
trap '[ "${ATTACK_KEEP:-0}" = 1 ] || drop_all >/dev/null 2>&1; rm -rf "$WORK"' EXIT

# Waits for the server (back from crash recovery, if the last statement crashed it).
wait_up() { for _ in $(seq 1 60); do "$PGBIN/pg_isready" -q && dba -d postgres -c 'SELECT 1' >/dev/null 2>&1 && return 0; sleep 1; done; return 1; }
crashes() { if [ -r "$LOG" ]; then grep -c 'terminated by signal' "$LOG"; else echo 0; fi; }

# Runs SQL as ROLE in $DB; prints nothing when it succeeded, "SQLSTATE message"
# when it failed cleanly, "CRASH ..." when the connection was lost.
result_of() { # ROLE SQL
	as_role "$1" -d $DB -v VERBOSITY=verbose -c "$2" >"$WORK/out" 2>&1 && return 0
	if grep -qE 'server closed the connection|terminated abnormally|connection to server .* failed|no connection to the server' "$WORK/out"; then
		echo "CRASH $(head -c 200 "$WORK/out" | tr '\n' ' ')"; wait_up
	else
		sed -nE 's/^(psql:[^ ]* )?ERROR:  ([0-9A-Z]{5}): (.*)$/\2 \3/p' "$WORK/out" | head -n 1
	fi
}
# A clean error: a SQLSTATE other than an internal error (XX000) or a crash.
clean_error() { [ -n "$1" ] && [ "${1%% *}" != CRASH ] && [ "${1%% *}" != XX000 ]; }

drop_all >/dev/null 2>&1
for r in $ROLES; do dba -d postgres -c "CREATE ROLE $r LOGIN" >/dev/null || exit 1; done
crashes_before=$(crashes)

# --- The template: production's roles, the extension installed -------------
dba -d postgres -c "CREATE DATABASE $TPL OWNER $APP" >/dev/null
as_role $APP -d $TPL -v n="$N" -f test/fixtures/cowrie_v15.sql >/dev/null 2>&1 &&
	as_role $APP -d $TPL -c 'DROP SCHEMA fixture CASCADE' >/dev/null 2>&1 &&
	dba -d $TPL -c 'CREATE EXTENSION cowrie_snapshot SCHEMA public' >/dev/null &&
	as_role $APP -d $TPL -c "GRANT SELECT, INSERT, UPDATE ON session_summaries TO $LOADER" >/dev/null
setup $? "the application role's v15 database, installed by a superuser, a loader with rights on session_summaries only"
# An inventory row that fills every snapshot column; its type comes from the
# SPUR data in its document (ip_types is empty), so the document is read.
IP=81.2.69.142
dba -d $TPL -c "INSERT INTO asn_inventory (asn_number, first_seen, last_seen) VALUES (64500, now(), now()) ON CONFLICT DO NOTHING" \
	-c "INSERT INTO ip_inventory (ip_address, current_asn, first_seen, last_seen, enrichment, enrichment_updated_at)
	    VALUES ('$IP', 64500, now(), now(), '{\"maxmind\": {\"country\": \"NL\"}, \"spur\": {\"client\": {\"types\": [\"DATACENTER\", \"VPN\"]}}}', '2025-05-01 12:00+00')" \
	-c "UPDATE ip_inventory SET ip_types = '{}' WHERE ip_address = '$IP'" >/dev/null
# enrichment_at as seconds since the epoch: a timestamp column is read as UTC.
COLS="source_ip, snapshot_asn, snapshot_country, snapshot_ip_type, extract(epoch FROM enrichment_at)"
SNAP="SELECT concat_ws('|', $COLS) FROM session_summaries WHERE session_id = "
LOOKUP="SELECT concat_ws('|', ip_address, snapshot_asn, snapshot_country, snapshot_ip_type, extract(epoch FROM enrichment_at)) FROM cowrie_lookup_snapshots(ARRAY['$IP'])"
INSERT="INSERT INTO session_summaries (session_id, enrichment) VALUES ('%s', '{\"session_metadata\": {\"source_ip\": \"$IP\"}}')"

fresh() { dba -d postgres -c "DROP DATABASE IF EXISTS $DB" -c "CREATE DATABASE $DB TEMPLATE $TPL OWNER $APP" >/dev/null; }
fresh
e=$(result_of $LOADER "$(printf "$INSERT" ct-ref)")
REF=$(q $DB "$SNAP 'ct-ref'")
[ -z "$e" ] && [ "$(q $DB "SELECT snapshot_ip_type = 'VPN' AND snapshot_asn IS NOT NULL AND enrichment_at IS NOT NULL FROM session_summaries WHERE session_id = 'ct-ref'")" = t ]
ok $? "the loader inserts and the trigger (not executable by PUBLIC) fills the whole snapshot: $REF${e:+ ($e)}"
REF_LOOKUP=$(q $DB "$LOOKUP")
[ "$REF_LOOKUP" = "$REF" ]; ok $? "the lookup gives the same: $REF_LOOKUP"

# --- Finding 1: the trigger function on a table of the attacker's own -------
e=$(result_of $PLAIN "CREATE TEMP TABLE t (snapshot_country int, snapshot_ip_type int, source_ip int, enrichment int, snapshot_asn int, enrichment_at int);
	CREATE TRIGGER x BEFORE INSERT ON t FOR EACH ROW EXECUTE FUNCTION public.cowrie_session_snapshot_trigger();
	INSERT INTO t VALUES (1, 1, 1, 1, 1, 1)")
[ "${e%% *}" = 42501 ] && echo "$e" | grep -q 'cowrie_session_snapshot_trigger'
ok $? "a plain role cannot attach the trigger function to its temp table (${e:-no error})"
[ "$(q $DB "SELECT has_function_privilege('$PLAIN', 'public.cowrie_session_snapshot_trigger()', 'EXECUTE')")" = f ]
ok $? "the trigger function is not executable by PUBLIC"

# A superuser attaches it to tables of the wrong shape: each column in turn.
shape() { # COLUMN TYPE: a table of the right shape but that column
	local cols="source_ip text, enrichment jsonb, snapshot_asn int, snapshot_country varchar(2), snapshot_ip_type text, enrichment_at timestamptz"
	echo "$cols" | sed -E "s/(^|, )$1 [^,]+/\1$1 $2/"
}
dba -d $DB -c "CREATE TABLE ct_all_int (snapshot_country int, snapshot_ip_type int, source_ip int, enrichment int, snapshot_asn int, enrichment_at int);
	CREATE TRIGGER x BEFORE INSERT ON ct_all_int FOR EACH ROW EXECUTE FUNCTION cowrie_session_snapshot_trigger();
	GRANT INSERT ON ct_all_int TO $PLAIN" >/dev/null
e=$(result_of $PLAIN "INSERT INTO ct_all_int VALUES (1, 1, 1, 1, 1, 1)")
[ "${e%% *}" = 42804 ]; ok $? "the issue's all-int table, the trigger attached by a superuser: 42804 (${e:-no error})"
for c in "source_ip int" "source_ip bytea" "source_ip bpchar" "enrichment text" "enrichment int" "snapshot_asn numeric" "snapshot_asn bigint" \
	"snapshot_asn text" "snapshot_country int" "snapshot_country char(3)" "snapshot_country varchar(1)" "snapshot_ip_type int" "snapshot_ip_type text[]" \
	"enrichment_at text" "enrichment_at date" "enrichment_at int"; do
	t=ct_$(echo "$c" | tr -c 'a-z0-9_\n' '_')
	dba -d $DB -c "CREATE TABLE $t ($(shape $c)); GRANT INSERT ON $t TO $LOADER;
		CREATE TRIGGER x BEFORE INSERT ON $t FOR EACH ROW EXECUTE FUNCTION cowrie_session_snapshot_trigger()" >/dev/null
	e=$(result_of $LOADER "INSERT INTO $t DEFAULT VALUES")
	[ "${e%% *}" = 42804 ] && echo "$e" | grep -q "${c%% *}"
	ok $? "the trigger on a table whose $c: 42804 naming the column (${e:-no error})"
done
# The right shape, bpchar(2) and timestamp accepted: the snapshot lands.
dba -d $DB -c "CREATE TABLE ct_right (source_ip varchar(45), enrichment json, snapshot_asn int, snapshot_country char(2), snapshot_ip_type varchar(20), enrichment_at timestamp);
	GRANT INSERT, SELECT ON ct_right TO $LOADER;
	CREATE TRIGGER x BEFORE INSERT ON ct_right FOR EACH ROW EXECUTE FUNCTION cowrie_session_snapshot_trigger()" >/dev/null
e=$(EXTRA_OPTS="-c TimeZone=America/New_York" result_of $LOADER "INSERT INTO ct_right (source_ip) VALUES ('$IP')")
got=$(q $DB "SELECT concat_ws('|', $COLS) FROM ct_right")
[ -z "$e" ] && [ "$got" = "$REF" ]
ok $? "varchar, json, char(2) and timestamp (as UTC, under America/New_York) are accepted: $got${e:+ ($e)}"

# --- Finding 5: the inventory's owner changes ip_inventory's column types ----
# Generated columns, foreign keys and the types trigger (its WHEN reads the
# columns) would stop ALTER TYPE: the owner removes them first.
UNLOCK="DROP TRIGGER IF EXISTS cowrie_inventory_types ON ip_inventory; DO \$\$ DECLARE c text; BEGIN
	FOR c IN SELECT attname FROM pg_attribute WHERE attrelid = 'ip_inventory'::regclass AND attgenerated = 's' LOOP
		EXECUTE format('ALTER TABLE ip_inventory ALTER COLUMN %I DROP EXPRESSION', c); END LOOP;
	FOR c IN SELECT conname FROM pg_constraint WHERE conrelid = 'ip_inventory'::regclass AND contype = 'f' LOOP
		EXECUTE format('ALTER TABLE ip_inventory DROP CONSTRAINT %I', c); END LOOP; END \$\$"
i=0
while IFS='|' read -r col type using; do
	[ -n "$col" ] || continue
	i=$((i + 1)); fresh
	e=$(result_of $APP "$UNLOCK; ALTER TABLE ip_inventory ALTER COLUMN $col TYPE $type USING $using")
	[ -z "$e" ] || { ok 1 "the owner alters ip_inventory.$col to $type ($e)"; continue; }
	for tz in UTC America/New_York; do
		e=$(EXTRA_OPTS="-c TimeZone=$tz" result_of $LOADER "$(printf "$INSERT" "ct-$i-$tz")")
		got=$(q $DB "$SNAP 'ct-$i-$tz'")
		{ [ -z "$e" ] && [ "$got" = "$REF" ]; } || { [ -z "$got" ] && clean_error "$e"; }
		ok $? "ip_inventory.$col $type, TimeZone $tz: the loader's insert gives the snapshot or a clean error (${e:-$got})"
		e=$(EXTRA_OPTS="-c TimeZone=$tz" result_of $APP "$LOOKUP")
		got=$(EXTRA_OPTS="-c TimeZone=$tz" q $DB "$LOOKUP")
		{ [ -z "$e" ] && [ "$got" = "$REF" ]; } || clean_error "$e"
		ok $? "ip_inventory.$col $type, TimeZone $tz: the lookup gives the snapshot or a clean error (${e:-$got})"
		dba -d $DB -c "ALTER TABLE session_summaries DISABLE TRIGGER cowrie_session_snapshot" -c "$(printf "$INSERT" "ct-b$i-$tz")" \
			-c "ALTER TABLE session_summaries ENABLE TRIGGER cowrie_session_snapshot" >/dev/null
		e=$(EXTRA_OPTS="-c TimeZone=$tz" result_of $APP "SELECT cowrie_backfill(100)")
		got=$(q $DB "$SNAP 'ct-b$i-$tz'")
		{ [ -z "$e" ] && [ "$got" = "$REF" ]; } || clean_error "$e"
		ok $? "ip_inventory.$col $type, TimeZone $tz: the backfill gives the snapshot or a clean error (${e:-$got})"
	done
done <<-'EOF'
	enrichment|json|enrichment::json
	enrichment|text|enrichment::text
	current_asn|bigint|current_asn
	current_asn|numeric|current_asn
	current_asn|text|current_asn::text
	ip_types|varchar[]|ip_types
	ip_types|text|ip_types::text
	enrichment_updated_at|timestamp|enrichment_updated_at AT TIME ZONE 'UTC'
	enrichment_updated_at|text|enrichment_updated_at::text
EOF

# --- ... and the sessions' owner those of session_summaries -----------------
while IFS='|' read -r col type using accepted; do
	[ -n "$col" ] || continue
	i=$((i + 1)); fresh
	e=$(result_of $APP "ALTER TABLE session_summaries ALTER COLUMN $col TYPE $type USING $using")
	[ -z "$e" ] || { ok 1 "the owner alters session_summaries.$col to $type ($e)"; continue; }
	e=$(EXTRA_OPTS="-c TimeZone=America/New_York" result_of $LOADER "$(printf "$INSERT" "ct-$i")")
	if [ "$accepted" = yes ]; then
		got=$(q $DB "$SNAP 'ct-$i'")
		[ -z "$e" ] && [ "$got" = "$REF" ]
		ok $? "session_summaries.$col $type (TimeZone America/New_York): the trigger writes the snapshot ($got${e:+, $e})"
	else
		[ "${e%% *}" = 42804 ] && echo "$e" | grep -q "$col"
		ok $? "session_summaries.$col $type: the loader's insert fails with 42804 naming the column (${e:-no error})"
	fi
done <<-'EOF'
	snapshot_asn|numeric|snapshot_asn|no
	snapshot_asn|bigint|snapshot_asn|no
	snapshot_country|text|snapshot_country|yes
	snapshot_ip_type|text[]|NULL|no
	source_ip|text|source_ip|yes
	enrichment|text|enrichment::text|no
	enrichment_at|text|enrichment_at::text|no
	enrichment_at|timestamp|enrichment_at AT TIME ZONE 'UTC'|yes
EOF

# --- The trigger's cached probe in one backend: extension re-created, inventory replaced
fresh
dba -d $DB -v ON_ERROR_STOP=1 -c 'SET client_min_messages = debug1' -c "$(printf "$INSERT" ct-p1)" \
	-c 'DROP EXTENSION cowrie_snapshot' -c 'CREATE EXTENSION cowrie_snapshot SCHEMA public' -c "$(printf "$INSERT" ct-p2)" \
	-c 'ALTER TABLE ip_inventory RENAME TO ip_inventory_old' \
	-c "CREATE TABLE ip_inventory AS SELECT enrichment_updated_at, ip_types, enrichment, 'DE'::varchar(2) AS geo_country, current_asn, ip_address FROM ip_inventory_old" \
	-c "$(printf "$INSERT" ct-p3)" >"$WORK/plan" 2>&1
rc=$?
[ $rc = 0 ] && [ "$(grep -c 'inventory probe prepared' "$WORK/plan")" = 2 ] &&
	[ "$(q $DB "$SNAP 'ct-p1'")" = "$REF" ] && [ "$(q $DB "$SNAP 'ct-p2'")" = "$REF" ]
ok $? "one backend: the probe is prepared again after DROP and CREATE EXTENSION, and fills the snapshot ($(grep -c 'inventory probe prepared' "$WORK/plan") prepared)"
[ $rc = 0 ] && [ "$(q $DB "$SNAP 'ct-p3'")" = "$(echo "$REF" | sed 's/|NL|/|DE|/')" ]
ok $? "ip_inventory replaced by another table (new oid, other column order): the cached probe reads the new one ($(q $DB "$SNAP 'ct-p3'"))"

# --- The server survived all of it ------------------------------------------
wait_up; ok $? "the server is up"
c=$(crashes)
[ -r "$LOG" ] && [ "$c" = "$crashes_before" ]
ok $? "the server log has no new 'terminated by signal' ($(( ${c:-0} - ${crashes_before:-0} )) new; log ${LOG})"

echo "1..$n"
