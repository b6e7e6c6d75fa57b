#!/usr/bin/env bash
# Issue 28, findings 2-4: code of another role never runs as the superuser who
# installs the extension or runs the backfill.
#   - a role with CREATE on public squats ip_inventory or asn_inventory (with
#     a statement trigger), or a missing raw_events (a view calling its own
#     function): the migration refuses with 55000 before writing, in both
#     modes, and the backfill refuses a raw_events view planted after the
#     install; the planted function never runs as the superuser;
#   - the application role owns session_summaries and puts a trigger and an
#     expression index on it: the migration refuses with 55000 naming them; a
#     disabled trigger is not in the way; the backfill (function and
#     procedure) run by a superuser runs them as the owner, who never becomes
#     superuser.
# Each planted function records current_user and tries ALTER ROLE ... SUPERUSER.
cd "$(dirname "$0")/../.."
. test/lib/tap.sh
PSQL="$PSQL -v VERBOSITY=verbose"
N=${ATTACK_OWNER_N:-200}
APP=oc_app SQUAT=oc_squat MEMBER=oc_member
DBS="oc_ipinv oc_asninv oc_rawview oc_rawlater oc_owner"

dba() { PGOPTIONS="-c client_min_messages=warning" $PSQL "$@"; }
as_role() { local r=$1; shift; PGOPTIONS="-c client_min_messages=warning" $PSQL -U "$r" "$@"; }
q() { dba -At -d "$1" -c "$2" 2>/dev/null; }
drop_all() {
	for db in $DBS; do dba -d postgres -c "DROP DATABASE IF EXISTS $db"; done
	for r in $MEMBER $APP $SQUAT; do dba -d postgres -c "DROP ROLE IF EXISTS $r"; done
}
trap '[ "${ATTACK_KEEP:-0}" = 1 ] || drop_all >/dev/null 2>&1; rm -rf "$WORK"' EXIT
drop_all >/dev/null 2>&1
for r in $APP $SQUAT; do dba -d postgres -c "CREATE ROLE $r LOGIN" >/dev/null || exit 1; done

# A v15 database the application role owns, with a table of calls and the
# planted function PUBLIC may write through.
new_db() { # DB
	dba -d postgres -c "CREATE DATABASE $1 OWNER $APP" >/dev/null &&
		as_role $APP -d "$1" -v n="$N" -f test/fixtures/cowrie_v15.sql >/dev/null 2>&1 &&
		dba -d "$1" -c "GRANT CREATE ON SCHEMA public TO $SQUAT" >/dev/null &&
		as_role $SQUAT -d "$1" >/dev/null <<-'EOF'
		CREATE TABLE public.oc_calls (who text, what text);
		GRANT INSERT ON public.oc_calls TO PUBLIC;
		CREATE FUNCTION public.oc_evil(what text) RETURNS boolean LANGUAGE plpgsql AS $$
		BEGIN
		    INSERT INTO public.oc_calls VALUES (current_user, what);
		    BEGIN
		        EXECUTE format('ALTER ROLE %I SUPERUSER', 'oc_squat');
		    EXCEPTION WHEN OTHERS THEN NULL;
		    END;
		    RETURN true;
		END $$;
		CREATE FUNCTION public.oc_evil_trigger() RETURNS trigger LANGUAGE plpgsql AS $$
		BEGIN PERFORM public.oc_evil(TG_TABLE_NAME || ' ' || TG_OP); RETURN NULL; END $$;
		EOF
}
# "SQLSTATE message" of the error a superuser's statement gets, or nothing.
error_of() { # DB SQL...
	local db=$1; shift
	local args=()
	for s in "$@"; do args+=(-c "$s"); done
	dba -d "$db" "${args[@]}" >"$WORK/err" 2>&1 && return 0
	sed -nE 's/^(psql:[^ ]* )?ERROR:  ([0-9A-Z]{5}): (.*)$/\2 \3/p' "$WORK/err" | head -n 1
}
supers() { q "$1" "SELECT count(*) FROM pg_roles WHERE rolname IN ('$APP', '$SQUAT') AND rolsuper"; }
calls_as_super() { q "$1" "SELECT count(*) FROM public.oc_calls c JOIN pg_roles r ON r.rolname = c.who WHERE r.rolsuper"; }
installed() { q "$1" "SELECT count(*) FROM pg_extension WHERE extname = 'cowrie_snapshot'"; }

# --- Squatted inventories ---------------------------------------------------
for inv in ip_inventory asn_inventory; do
	db=oc_${inv%%_*}inv
	[ $inv = asn_inventory ] && db=oc_asninv
	new_db $db || { ok 1 "set up $db"; continue; }
	if [ $inv = ip_inventory ]; then
		cols="ip_address varchar(45) PRIMARY KEY, first_seen timestamptz, last_seen timestamptz, session_count integer, enrichment jsonb, current_asn integer"
	else
		cols="asn_number integer PRIMARY KEY, first_seen timestamptz, last_seen timestamptz, unique_ip_count integer, total_session_count integer, enrichment jsonb"
	fi
	as_role $SQUAT -d $db -c "CREATE TABLE public.$inv ($cols)" \
		-c "CREATE TRIGGER oc_stmt AFTER INSERT OR UPDATE ON public.$inv FOR EACH STATEMENT EXECUTE FUNCTION public.oc_evil_trigger()" >/dev/null
	for mode in default deferred; do
		set_defer=$([ $mode = deferred ] && echo 'SET cowrie_snapshot.defer_session_backfill = on' || echo 'SELECT 1')
		e=$(error_of $db "$set_defer" 'CREATE EXTENSION cowrie_snapshot')
		[ "${e%% *}" = 55000 ] && echo "$e" | grep -q "$inv"
		ok $? "$inv squatted by another role: CREATE EXTENSION ($mode mode) refuses with 55000 naming it (${e:-no error})"
	done
	[ "$(installed $db)" = 0 ] && [ "$(q $db "SELECT value FROM schema_state WHERE key = 'schema_version'")" = 15 ] &&
		[ "$(q $db "SELECT count(*) FROM public.$inv")" = 0 ]
	ok $? "$inv squatted: nothing was installed, migrated or written"
	[ "$(calls_as_super $db)" = 0 ] && [ "$(q $db 'SELECT count(*) FROM public.oc_calls')" = 0 ] && [ "$(supers $db)" = 0 ]
	ok $? "$inv squatted: the squatter's trigger never ran and no role became superuser"
done

# --- A raw_events view where the database has none --------------------------
db=oc_rawview
if new_db $db; then
	as_role $APP -d $db -c 'DROP TABLE raw_events' >/dev/null
	as_role $SQUAT -d $db -c "CREATE VIEW public.raw_events AS
		SELECT 1::bigint AS id, s.session_id, '{}'::json AS payload, now() AS event_timestamp, ''::text AS source, 0::bigint AS source_offset
		FROM public.session_summaries s WHERE public.oc_evil('raw_events view')" >/dev/null
	e=$(error_of $db 'CREATE EXTENSION cowrie_snapshot')
	[ "${e%% *}" = 55000 ] && echo "$e" | grep -q raw_events
	ok $? "raw_events squatted by a view: CREATE EXTENSION refuses with 55000 naming it (${e:-no error})"
	[ "$(installed $db)" = 0 ] && [ "$(calls_as_super $db)" = 0 ] && [ "$(supers $db)" = 0 ]
	ok $? "raw_events view: nothing installed, the view's function never ran as a superuser, no role became superuser"
fi

db=oc_rawlater
if new_db $db; then
	as_role $APP -d $db -c 'DROP TABLE raw_events' >/dev/null
	dba -d $db -c 'SET cowrie_snapshot.defer_session_backfill = on' -c 'CREATE EXTENSION cowrie_snapshot' >/dev/null 2>&1
	ok $? "without raw_events the deferred install succeeds"
	as_role $SQUAT -d $db -c "CREATE VIEW public.raw_events AS
		SELECT 1::bigint AS id, s.session_id, '{}'::json AS payload, now() AS event_timestamp, ''::text AS source, 0::bigint AS source_offset
		FROM public.session_summaries s WHERE public.oc_evil('raw_events view')" >/dev/null
	for call in 'CALL cowrie_backfill_commit(1000)' 'SELECT cowrie_backfill(1000)'; do
		e=$(error_of $db "$call")
		[ "${e%% *}" = 55000 ] && echo "$e" | grep -q raw_events
		ok $? "a raw_events view planted after the install: '$call' refuses with 55000 (${e:-no error})"
	done
	[ "$(calls_as_super $db)" = 0 ] && [ "$(supers $db)" = 0 ]
	ok $? "raw_events view planted later: its function never ran as a superuser, no role became superuser"
fi

# --- The owner's own code on session_summaries ------------------------------
db=oc_owner
if new_db $db; then
	as_role $APP -d $db >/dev/null <<-'EOF'
	CREATE FUNCTION public.oc_app_trigger() RETURNS trigger LANGUAGE plpgsql AS $$
	BEGIN PERFORM public.oc_evil('owner ' || TG_LEVEL); RETURN NEW; END $$;
	CREATE TRIGGER oc_row BEFORE UPDATE ON public.session_summaries FOR EACH ROW EXECUTE FUNCTION public.oc_app_trigger();
	CREATE TRIGGER oc_stmt AFTER UPDATE ON public.session_summaries FOR EACH STATEMENT EXECUTE FUNCTION public.oc_app_trigger();
	-- IMMUTABLE, so it can index; it reports who evaluates it.
	CREATE FUNCTION public.oc_app_key(t text) RETURNS text LANGUAGE plpgsql IMMUTABLE AS $$
	BEGIN RAISE NOTICE 'oc_app_key evaluated as %', current_user; RETURN t; END $$;
	EOF
	for mode in default deferred; do
		set_defer=$([ $mode = deferred ] && echo 'SET cowrie_snapshot.defer_session_backfill = on' || echo 'SELECT 1')
		e=$(error_of $db "$set_defer" 'CREATE EXTENSION cowrie_snapshot')
		[ "${e%% *}" = 55000 ] && grep -q 'trigger oc_row' "$WORK/err" && grep -q 'trigger oc_stmt' "$WORK/err"
		ok $? "the owner's triggers on session_summaries: CREATE EXTENSION ($mode mode) refuses with 55000 naming both (${e:-no error})"
	done
	[ "$(installed $db)" = 0 ] && [ "$(q $db 'SELECT count(*) FROM public.oc_calls')" = 0 ]
	ok $? "the owner's triggers: nothing installed, no trigger ran"

	as_role $APP -d $db -c 'ALTER TABLE session_summaries DISABLE TRIGGER oc_row' -c 'ALTER TABLE session_summaries DISABLE TRIGGER oc_stmt' >/dev/null
	dba -d $db -c 'SET cowrie_snapshot.defer_session_backfill = on' -c 'CREATE EXTENSION cowrie_snapshot' >/dev/null 2>&1
	ok $? "with its triggers disabled the owner's table migrates"
	as_role $APP -d $db -c 'ALTER TABLE session_summaries ENABLE TRIGGER oc_row' -c 'ALTER TABLE session_summaries ENABLE TRIGGER oc_stmt' \
		-c 'CREATE INDEX oc_app_idx ON session_summaries (oc_app_key(session_id))' >/dev/null 2>&1
	e=$(error_of $db 'SELECT cowrie_migrate()')
	[ "${e%% *}" = 55000 ] && grep -q 'index public.oc_app_idx calls public.oc_app_key' "$WORK/err"
	ok $? "SELECT cowrie_migrate() by a superuser also refuses, naming the expression index (${e:-no error})"

	dba -d $db -c 'SELECT cowrie_backfill(50, 2)' >"$WORK/fn.out" 2>&1
	ok $? "a superuser runs SELECT cowrie_backfill(50, 2) on the owner's table"
	dba -d $db -c 'SET client_min_messages = notice' -c 'CALL cowrie_backfill_commit(1000)' >"$WORK/proc.out" 2>&1
	ok $? "a superuser runs CALL cowrie_backfill_commit(1000) on the owner's table"
	[ "$(q $db "SELECT count(*) FROM session_summaries WHERE snapshot_country IS NULL")" = 0 ]
	ok $? "and every session has its snapshot"
	ran=$(q $db "SELECT string_agg(DISTINCT who || ':' || what, ',' ORDER BY who || ':' || what) FROM public.oc_calls")
	[ "$ran" = "$APP:owner ROW,$APP:owner STATEMENT" ]
	ok $? "the owner's row and statement triggers ran, only as the owner ($ran)"
	grep -q "oc_app_key evaluated as $APP" "$WORK/proc.out" && ! grep -q "oc_app_key evaluated as postgres" "$WORK/fn.out" "$WORK/proc.out"
	ok $? "the owner's index expression was evaluated as the owner, never as the superuser"
	# A member role of the owner: its batches run as the owner too.
	dba -d postgres -c "CREATE ROLE $MEMBER LOGIN IN ROLE $APP" >/dev/null
	as_role $APP -d $db -c 'ALTER TABLE session_summaries DISABLE TRIGGER cowrie_session_snapshot' \
		-c 'UPDATE session_summaries SET snapshot_country = NULL WHERE session_id IN (SELECT session_id FROM session_summaries ORDER BY 1 LIMIT 20)' \
		-c 'ALTER TABLE session_summaries ENABLE TRIGGER cowrie_session_snapshot' -c 'TRUNCATE public.oc_calls' >/dev/null 2>&1
	got=$(as_role $MEMBER -At -d $db -c 'SELECT cowrie_backfill(1000)' 2>"$WORK/err")
	ran=$(q $db "SELECT string_agg(DISTINCT who, ',') FROM public.oc_calls")
	[ "$got" = 20 ] && [ "$ran" = "$APP" ]
	ok $? "a member role of the owner backfills 20 sessions ($got), the owner's triggers run as the owner ($ran)"
	[ "$(supers $db)" = 0 ]
	ok $? "no role became superuser"

	# cowrie_as_owner runs only the extension's jsonb steps, and only for whom it was granted to.
	for step in 'pg_catalog.jsonb_typeof(jsonb)' 'public.cowrie_migrate()' 'public.oc_evil(text)'; do
		e=$(error_of $db "SELECT cowrie_as_owner('session_summaries', '$step', '{}')")
		[ "${e%% *}" = 42501 ]
		ok $? "cowrie_as_owner refuses $step with 42501 (${e:-no error})"
	done
	e=$(as_role $SQUAT -d $db -v VERBOSITY=verbose -c "SELECT cowrie_as_owner('session_summaries', 'public.cowrie_backfill_step(jsonb)', '{}')" 2>&1 | sed -nE 's/^ERROR:  ([0-9A-Z]{5}): (.*)$/\1 \2/p')
	[ "${e%% *}" = 42501 ] && echo "$e" | grep -q 'cowrie_as_owner'
	ok $? "another role may not execute cowrie_as_owner (${e:-no error})"
fi

echo "1..$n"
