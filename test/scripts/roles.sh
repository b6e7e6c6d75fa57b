#!/usr/bin/env bash
# Issue 14, production's roles: the application role owns the cowrie tables
# (it loads the v15 fixture itself, as upstream's create_all runs as it), a
# superuser installs (default and deferred mode), and then the owner, a
# loader with only INSERT/UPDATE/SELECT on session_summaries and a read-only
# role work as upstream's loader, enricher and reports do; row-level security
# on session_summaries stays in force; internal helpers are not PUBLIC's;
# ownership and grants survive DROP EXTENSION and pg_dump | pg_restore; a
# trigger error names the trigger and says what to grant. Prints TAP.
cd "$(dirname "$0")/../.."
. test/lib/tap.sh
N=${ROLES_N:-300}
APP=rm_app LOADER=rm_loader READER=rm_reader PLAIN=rm_plain OTHER=rm_other
ROLES="$APP $LOADER $READER $PLAIN $OTHER"
DBS="rm_default rm_deferred rm_restored_default rm_restored_deferred"

dba() { PGOPTIONS="-c search_path=public -c client_min_messages=warning" $PSQL "$@"; }
as_role() { local r=$1; shift; PGOPTIONS="-c client_min_messages=warning" $PSQL -U "$r" "$@"; }
q() { dba -At -d "$1" -c "$2" 2>/dev/null; }
drop_all() {
	for db in $DBS; do dba -d postgres -c "DROP DATABASE IF EXISTS $db"; done
	for r in $ROLES; do dba -d postgres -c "DROP ROLE IF EXISTS $r"; done
}
trap '[ "${ROLES_KEEP:-0}" = 1 ] || drop_all >/dev/null 2>&1; rm -rf "$WORK"' EXIT
drop_all >/dev/null 2>&1
for r in $ROLES; do dba -d postgres -c "CREATE ROLE $r LOGIN" >/dev/null || exit 1; done

# Tries SQL as ROLE; prints "SQLSTATE message" of the error (verbose), or nothing.
error_of() { # ROLE DB SQL
	as_role "$1" -d "$2" -v VERBOSITY=verbose -c "$3" >"$WORK/err" 2>&1 && return 0
	sed -nE 's/^(psql:[^ ]* )?ERROR:  ([0-9A-Z]{5}): (.*)$/\2 \3/p' "$WORK/err" | head -n 1
}
# Ownership, privileges and policies of what the schema holds, one line each.
fingerprint() {
	q "$1" "SELECT x FROM (
	    SELECT format('rel %s %s owner=%s rls=%s/%s acl=%s', c.relname, c.relkind, c.relowner::regrole, c.relrowsecurity, c.relforcerowsecurity,
	                  (SELECT string_agg(a::text, ',' ORDER BY a::text) FROM unnest(c.relacl) a)) AS x
	    FROM pg_class c WHERE c.relnamespace = 'public'::regnamespace AND c.relkind IN ('r', 'p', 'S', 'v', 'm')
	      AND c.relname NOT IN ('cowrie_inventory_queue', 'cowrie_pending_sessions')   -- the extension's own, dropped with it
	    UNION ALL
	    SELECT format('col %s.%s acl=%s', c.relname, a.attname, (SELECT string_agg(x::text, ',' ORDER BY x::text) FROM unnest(a.attacl) x))
	    FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid WHERE c.relnamespace = 'public'::regnamespace AND a.attacl IS NOT NULL
	    UNION ALL
	    SELECT format('policy %s.%s %s %s %s %s', polrelid::regclass, polname, polcmd, polroles::regrole[], pg_get_expr(polqual, polrelid), pg_get_expr(polwithcheck, polrelid))
	    FROM pg_policy p JOIN pg_class c ON c.oid = p.polrelid WHERE c.relnamespace = 'public'::regnamespace
	      AND c.relname NOT IN ('cowrie_inventory_queue', 'cowrie_pending_sessions')) s ORDER BY x"
}
nulls() { q "$1" "SELECT count(*) FILTER (WHERE matcher = 'cowrie-sensor-01') || ' ' || count(*) FILTER (WHERE matcher IS DISTINCT FROM 'cowrie-sensor-01') FROM session_summaries WHERE snapshot_country IS NULL"; }
inventory_ip() { q "$1" "SELECT ip_address FROM ip_inventory WHERE geo_country ~ '^[A-WYZ][A-Z]$' AND NOT cowrie_ip_is_private(ip_address::text) ORDER BY ip_address OFFSET ${2:-0} LIMIT 1"; }
# Some sessions back to no snapshot, so the backfill has work (trigger off).
reset_sessions() {
	dba -d "$1" -c 'ALTER TABLE session_summaries DISABLE TRIGGER cowrie_session_snapshot' \
		-c "UPDATE session_summaries SET snapshot_country = NULL, snapshot_asn = NULL, snapshot_ip_type = NULL, enrichment_at = NULL
		    WHERE ctid = ANY (ARRAY(SELECT ctid FROM session_summaries ORDER BY session_id LIMIT 120))" \
		-c 'ALTER TABLE session_summaries ENABLE TRIGGER cowrie_session_snapshot' >/dev/null
}

for mode in default deferred; do
	db=rm_$mode; m="$mode mode"
	# --- The application's database, as upstream's application makes it ---
	dba -d postgres -c "CREATE DATABASE $db OWNER $APP" >/dev/null
	as_role $APP -d "$db" -v n="$N" -f test/fixtures/cowrie_v15.sql >/dev/null 2>&1 &&
		as_role $APP -d "$db" -c 'DROP SCHEMA fixture CASCADE' >/dev/null 2>&1
	setup $? "$m: the application role loads the v15 database and owns it"
	as_role $APP -d "$db" >/dev/null 2>&1 <<-EOF
		GRANT SELECT, INSERT, UPDATE ON session_summaries TO $LOADER;
		GRANT SELECT ON ALL TABLES IN SCHEMA public TO $READER;
		ALTER TABLE session_summaries ENABLE ROW LEVEL SECURITY;
		CREATE POLICY loader_sensor ON session_summaries TO $LOADER USING (matcher = 'cowrie-sensor-01');
		CREATE POLICY reader_all ON session_summaries FOR SELECT TO $READER USING (true);
	EOF
	setup $? "$m: the owner grants the loader and the reader, and hides other sensors' sessions from the loader (RLS)"
	visible=$(q "$db" "SELECT count(*) FROM session_summaries WHERE matcher = 'cowrie-sensor-01'")

	# --- A superuser installs ---
	set_defer=$([ $mode = deferred ] && echo 'SET cowrie_snapshot.defer_session_backfill = on; ')
	dba -d "$db" -c "${set_defer}CREATE EXTENSION cowrie_snapshot SCHEMA public" >"$WORK/install" 2>&1
	ok $? "$m: a superuser installs the extension"
	grep -m1 ERROR "$WORK/install" | sed 's/^/#   /'
	wrong=$(q "$db" "SELECT string_agg(relname || ' (' || relowner::regrole || ')', ', ' ORDER BY relname) FROM pg_class
	                 WHERE relnamespace = 'public'::regnamespace AND relkind IN ('r', 'p', 'S', 'v', 'm') AND relowner <> '$APP'::regrole")
	[ -z "$wrong" ]; ok $? "$m: every table is the owner's of session_summaries ($APP)${wrong:+; not: $wrong}"
	[ "$(q "$db" "SELECT relrowsecurity FROM pg_class WHERE oid = 'session_summaries'::regclass")/$(q "$db" "SELECT count(*) FROM pg_policy WHERE polrelid = 'session_summaries'::regclass")" = t/2 ]
	ok $? "$m: row-level security and both policies are still on session_summaries"
	[ "$(as_role $LOADER -At -d "$db" -c 'SELECT count(*) FROM session_summaries' 2>/dev/null)" = "$visible" ]
	ok $? "$m: the loader still sees only its sensor's $visible sessions"

	# --- The owner: loader, enricher ---
	ip=$(inventory_ip "$db"); ip2=$(inventory_ip "$db" 1)
	e=$(error_of $APP "$db" "INSERT INTO session_summaries (session_id, matcher, enrichment) VALUES ('rm-own-1', 'cowrie-sensor-02', '{\"session_metadata\": {\"source_ip\": \"$ip\"}}')")
	[ -z "$e" ]; ok $? "$m: the owner inserts a session${e:+ ($e)}"
	[ "$(q "$db" "SELECT snapshot_country IS NOT NULL AND source_ip = '$ip' FROM session_summaries WHERE session_id = 'rm-own-1'")" = t ]
	ok $? "$m: and the trigger fills its snapshot"
	e=$(error_of $APP "$db" "INSERT INTO asn_inventory (asn_number, organization_name, first_seen, last_seen, enrichment, updated_at)
	                          VALUES (64500, 'Example AS', now(), now(), '{}', now())
	                          ON CONFLICT (asn_number) DO UPDATE SET last_seen = EXCLUDED.last_seen, organization_name = EXCLUDED.organization_name, updated_at = now()")
	[ -z "$e" ]; ok $? "$m: the owner upserts asn_inventory (as the cascade enricher)${e:+ ($e)}"
	upsert="INSERT INTO ip_inventory AS i (ip_address, current_asn, first_seen, last_seen, session_count, enrichment, enrichment_updated_at, updated_at)
	        VALUES (%s, 64500, now(), now(), 1, '{\"maxmind\": {\"country\": \"CN\", \"asn\": 64500}, \"cymru\": {\"asn\": 64500, \"country\": \"CN\"}}', now(), now())
	        ON CONFLICT (ip_address) DO UPDATE SET enrichment = EXCLUDED.enrichment, enrichment_updated_at = EXCLUDED.enrichment_updated_at,
	            current_asn = EXCLUDED.current_asn, last_seen = GREATEST(i.last_seen, EXCLUDED.last_seen), session_count = i.session_count + 1, updated_at = now()"
	e=$(error_of $APP "$db" "$(printf "$upsert" "'$ip2'")")
	[ -z "$e" ]; ok $? "$m: the owner upserts an existing ip_inventory row (INSERT ... ON CONFLICT DO UPDATE)${e:+ ($e)}"
	e=$(error_of $APP "$db" "$(printf "$upsert" "'9.9.9.77'")")
	[ -z "$e" ]; ok $? "$m: and a new one${e:+ ($e)}"
	error_of $APP "$db" "INSERT INTO session_summaries (session_id, matcher, source_ip) VALUES ('rm-own-2', 'cowrie-sensor-02', '9.9.9.77')" >/dev/null
	[ "$(q "$db" "SELECT snapshot_country || '/' || snapshot_asn FROM session_summaries WHERE session_id = 'rm-own-2'")" = CN/64500 ]
	ok $? "$m: a session on the new IP gets the enricher's country and ASN"

	# --- The loader: INSERT/UPDATE/SELECT on session_summaries, nothing else ---
	e=$(error_of $LOADER "$db" "INSERT INTO session_summaries (session_id, matcher, enrichment) VALUES ('rm-load-1', 'cowrie-sensor-01', '{\"session_metadata\": {\"source_ip\": \"$ip\"}}')")
	[ -z "$e" ]; ok $? "$m: the loader inserts a session${e:+ ($e)}"
	[ "$(q "$db" "SELECT snapshot_country IS NOT NULL AND snapshot_asn IS NOT NULL FROM session_summaries WHERE session_id = 'rm-load-1'")" = t ]
	ok $? "$m: and gets its snapshot"
	e=$(error_of $LOADER "$db" "INSERT INTO session_summaries (session_id, matcher, source_ip) VALUES ('rm-load-2', 'cowrie-sensor-01', '$ip2')")
	[ -z "$e" ]; ok $? "$m: the loader inserts a session with source_ip given${e:+ ($e)}"
	[ "$(q "$db" "SELECT snapshot_country FROM session_summaries WHERE session_id = 'rm-load-2'")" = CN ]
	ok $? "$m: and gets its snapshot (from the enricher's row)"
	# one of the fixture's sessions the loader sees, whose IP has a country
	sess=$(q "$db" "SELECT s.session_id FROM session_summaries s JOIN ip_inventory i ON i.ip_address = cowrie_extract_ip(s.enrichment)
	                WHERE s.matcher = 'cowrie-sensor-01' AND i.geo_country <> 'XX' ORDER BY 1 LIMIT 1")
	e=$(error_of $LOADER "$db" "UPDATE session_summaries SET snapshot_country = NULL, snapshot_asn = NULL, snapshot_ip_type = NULL, enrichment_at = NULL, event_count = 4242 WHERE session_id = '$sess'")
	[ -z "$e" ] && [ "$(q "$db" "SELECT event_count FROM session_summaries WHERE session_id = '$sess'")" = 4242 ]
	ok $? "$m: the loader updates a session${e:+ ($e)}"
	[ -z "$e" ] && [ "$(q "$db" "SELECT snapshot_country IS NOT NULL AND snapshot_country <> 'XX' FROM session_summaries WHERE session_id = '$sess'")" = t ]
	ok $? "$m: and the trigger fills its snapshot again"
	e=$(error_of $LOADER "$db" "INSERT INTO session_summaries (session_id, matcher) VALUES ('rm-load-3', 'cowrie-sensor-02')")
	[ "${e%% *}" = 42501 ]; ok $? "$m: the loader cannot insert a session its policy hides (42501: ${e:-none})"

	# --- The read-only role ---
	[ $mode = default ] && reset_sessions "$db"
	before=$(nulls "$db")
	[ "$(as_role $READER -At -d "$db" -c 'SELECT count(*) FROM cowrie_snapshot_coverage()' 2>/dev/null)" = 8 ]
	ok $? "$m: the reader runs cowrie_snapshot_coverage()"
	for w in "INSERT INTO session_summaries (session_id) VALUES ('rm-read-1')" \
		"UPDATE session_summaries SET risk_score = 1 WHERE session_id = 'rm-own-1'" \
		'SELECT cowrie_backfill(10)' 'CALL cowrie_backfill_commit(10)'; do
		e=$(error_of $READER "$db" "$w")
		[ "${e%% *}" = 42501 ] && echo "$e" | grep -qiE 'permission denied|privilege|must be granted' && echo "$e" | grep -qE 'session_summaries|cowrie_backfill'
		ok $? "$m: the reader is refused '$(echo "$w" | cut -c1-40)' with 42501 naming what (${e:-no error})"
	done
	[ "$(nulls "$db")" = "$before" ]; ok $? "$m: and nothing changed"

	# --- Privileges of the extension's functions ---
	# Helpers: the migration's (DDL, ownership, disowning) and those taking
	# SQL text are closed to PUBLIC. None returns SQL text for another to
	# splice (1.2 had *_sql builders; 1.3 has none).
	members="SELECT p.oid, p.proname, obj_description(p.oid, 'pg_proc') AS note, p.proargnames FROM pg_proc p
	         JOIN pg_depend d ON d.classid = 'pg_proc'::regclass AND d.objid = p.oid AND d.deptype = 'e'
	         JOIN pg_extension e ON e.oid = d.refobjid AND e.extname = 'cowrie_snapshot'"
	for kind in migration sql; do
		if [ $kind = migration ]; then
			which="(note ~* '^internal' OR proname ~ '^cowrie_migrate_|^cowrie_(apply_snapshots|create_index|disown_tables)$'
			        OR EXISTS (SELECT FROM unnest(proargnames) a WHERE a ~* 'sql|definition')) AND proname !~ '_sql$'"
			what="internal helpers (the migration's, DDL, SQL text arguments)"
		else
			which="proname ~ '_sql$'"; what="helpers that return SQL text (*_sql)"
		fi
		count=$(q "$db" "SELECT count(*) FROM ($members) m WHERE $which")
		if [ $kind = migration ]; then
			open=$(q "$db" "SELECT string_agg(oid::regprocedure::text, ', ' ORDER BY 1) FROM ($members) m WHERE ($which) AND has_function_privilege('$PLAIN', oid, 'EXECUTE')")
			[ "${count:-0}" -gt 0 ] && [ -z "$open" ]
			ok $? "$m: none of the ${count:-0} $what is executable by a plain role${open:+; executable: $open}"
		else
			named=$(q "$db" "SELECT string_agg(oid::regprocedure::text, ', ' ORDER BY 1) FROM ($members) m WHERE $which")
			[ "${count:-0}" = 0 ]
			ok $? "$m: no routine returns SQL text for another to splice (no $what)${named:+; found: $named}"
		fi
	done
	closed=$(q "$db" "SELECT string_agg(f, ', ') FROM unnest(ARRAY['cowrie_snapshot_coverage()', 'cowrie_backfill(integer,integer,boolean,boolean)',
	                  'cowrie_backfill_commit(integer,integer,boolean,text)', 'cowrie_lookup_snapshots(text[])', 'cowrie_extract_ip(jsonb)',
	                  'cowrie_normalize_ip(text)']) f
	                  WHERE to_regprocedure(f) IS NULL OR NOT has_function_privilege('$PLAIN', to_regprocedure(f), 'EXECUTE')")
	[ -z "$closed" ]; ok $? "$m: the functions meant for users are executable by any role${closed:+; not: $closed}"

	# --- Row-level security: the loader's backfill touches only what it sees ---
	dba -d "$db" -c "GRANT SELECT ON ip_inventory, raw_events TO $LOADER" >/dev/null   # README: what the backfill needs
	read -r vis hid <<<"$(nulls "$db")"
	[ "${vis:-0}" -gt 0 ] && [ "${hid:-0}" -gt 0 ]; setup $? "$m: sessions to fill, some visible to the loader ($vis) and some hidden ($hid)"
	got=$(as_role $LOADER -At -d "$db" -c 'SELECT cowrie_backfill(1000)' 2>"$WORK/err"); rc=$?
	[ $rc = 0 ] && [ "$got" = "$vis" ]; ok $? "$m: under RLS the loader's backfill fills the $vis sessions it sees (returned ${got:-$(grep -m1 ERROR "$WORK/err")})"
	[ "$(nulls "$db")" = "0 $hid" ]; ok $? "$m: and none of the $hid it does not see"

	# --- The owner's backfill, function and procedure ---
	got=$(as_role $APP -At -d "$db" -c 'SELECT cowrie_backfill(50, 2)' 2>"$WORK/err"); rc=$?
	[ $rc = 0 ] && [ "${got:-0}" -gt 0 ]; ok $? "$m: the owner runs SELECT cowrie_backfill(50, 2) (returned ${got:-$(grep -m1 ERROR "$WORK/err")})"
	as_role $APP -d "$db" -c 'CALL cowrie_backfill_commit(100)' >/dev/null 2>"$WORK/err"
	ok $? "$m: the owner runs CALL cowrie_backfill_commit(100)$(grep -m1 ERROR "$WORK/err" | sed 's/^/: /')"
	[ "$(nulls "$db")" = "0 0" ]; ok $? "$m: every session has its snapshot"

	# --- Ownership and grants survive DROP EXTENSION and a dump and restore ---
	fingerprint "$db" >"$WORK/f0"
	"$PGBIN/pg_dump" -Fc -d "$db" -f "$WORK/$db.dump"; ok $? "$m: pg_dump"
	dba -d "$db" -c 'DROP EXTENSION cowrie_snapshot' >/dev/null 2>&1; ok $? "$m: DROP EXTENSION"
	fingerprint "$db" >"$WORK/f1"
	diff "$WORK/f0" "$WORK/f1" >"$WORK/d1"; ok $? "$m: ownership, grants and policies are the same after DROP EXTENSION"
	head -n 6 "$WORK/d1" | sed 's/^/#   /'
	rdb=rm_restored_$mode
	dba -d postgres -c "CREATE DATABASE $rdb OWNER $APP" >/dev/null
	"$PGBIN/pg_restore" --exit-on-error -d "$rdb" "$WORK/$db.dump" 2>"$WORK/err"; ok $? "$m: pg_restore$(grep -m1 ERROR "$WORK/err" | sed 's/^/: /')"
	fingerprint "$rdb" >"$WORK/f2"
	diff "$WORK/f0" "$WORK/f2" >"$WORK/d2"; ok $? "$m: ownership, grants and policies are the same after pg_dump | pg_restore"
	head -n 6 "$WORK/d2" | sed 's/^/#   /'
	dba -d "$rdb" -c "REVOKE SELECT ON ip_inventory FROM $LOADER" >/dev/null
	e=$(error_of $LOADER "$rdb" "INSERT INTO session_summaries (session_id, matcher, enrichment) VALUES ('rm-load-9', 'cowrie-sensor-01', '{\"session_metadata\": {\"source_ip\": \"$ip\"}}')")
	[ -z "$e" ] && [ "$(q "$rdb" "SELECT snapshot_country IS NOT NULL FROM session_summaries WHERE session_id = 'rm-load-9'")" = t ]
	ok $? "$m: after the restore the loader (no right on ip_inventory) inserts and gets its snapshot${e:+ ($e)}"

	# --- A trigger error names the trigger and says what to do ---
	# The probe reads ip_inventory as its owner (issue 28): the inventory
	# handed to another role still works; that role's own rights revoked, the
	# probe cannot read it.
	dba -d "$rdb" -c "ALTER TABLE ip_inventory OWNER TO $OTHER" -c "REVOKE ALL ON ip_inventory FROM $APP, $LOADER, PUBLIC" >/dev/null
	e=$(error_of $LOADER "$rdb" "INSERT INTO session_summaries (session_id, matcher, enrichment) VALUES ('rm-load-11', 'cowrie-sensor-01', '{\"session_metadata\": {\"source_ip\": \"$ip\"}}')")
	[ -z "$e" ] && [ "$(q "$rdb" "SELECT snapshot_country IS NOT NULL FROM session_summaries WHERE session_id = 'rm-load-11'")" = t ]
	ok $? "$m: the inventory given to another role: the probe reads it as that owner${e:+ ($e)}"
	dba -d "$rdb" -c "REVOKE ALL ON ip_inventory FROM $OTHER" >/dev/null
	as_role $LOADER -d "$rdb" -v VERBOSITY=verbose -c "INSERT INTO session_summaries (session_id, matcher, enrichment) VALUES ('rm-load-10', 'cowrie-sensor-01', '{\"session_metadata\": {\"source_ip\": \"$ip\"}}')" >"$WORK/err" 2>&1
	[ $? != 0 ] && grep -qE '^(psql:[^ ]* )?ERROR:  42501' "$WORK/err" &&
		grep -q 'trigger cowrie_session_snapshot on "session_summaries"' "$WORK/err" && grep -q '^HINT:.*SELECT on ip_inventory' "$WORK/err"
	ok $? "$m: when the trigger cannot read ip_inventory, its 42501 names the trigger and has a hint"
	grep -E '^(psql:[^ ]* )?(ERROR|DETAIL|HINT):' "$WORK/err" | head -n 3 | cut -c1-200 | sed 's/^/#   /'
	# Any other error keeps its own message and gets no GRANT hint (issue 28, finding 8).
	dba -d "$rdb" -c "GRANT ALL ON ip_inventory TO $OTHER" -c "ALTER TABLE ip_inventory RENAME COLUMN current_asn TO asn_renamed" >/dev/null
	as_role $LOADER -d "$rdb" -v VERBOSITY=verbose -c "INSERT INTO session_summaries (session_id, matcher, enrichment) VALUES ('rm-load-12', 'cowrie-sensor-01', '{\"session_metadata\": {\"source_ip\": \"$ip\"}}')" >"$WORK/err" 2>&1
	[ $? != 0 ] && grep -qE '^(psql:[^ ]* )?ERROR:  42703: column "current_asn" does not exist' "$WORK/err" &&
		grep -q 'trigger cowrie_session_snapshot on "session_summaries"' "$WORK/err" && ! grep -q '^HINT:.*GRANT\|^HINT:.*SELECT on' "$WORK/err"
	ok $? "$m: a renamed inventory column gives 42703 as it is, in the trigger's context, without a GRANT hint"
	grep -E '^(psql:[^ ]* )?(ERROR|CONTEXT|HINT):' "$WORK/err" | head -n 3 | cut -c1-200 | sed 's/^/#   /'
done

echo "1..$n"
