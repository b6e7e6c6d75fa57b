#!/usr/bin/env bash
# Issue 28, findings 6 and 11: a role with CREATE on public (not a superuser)
# takes names the extension uses before a superuser installs or updates it.
#  - Squatted index names: the migration refuses (55000, naming the index and
#    what holds the name) instead of skipping the index; an index that is the
#    right one (same table, definition, valid) is adopted.
#  - Routines new in 1.2 planted before ALTER EXTENSION UPDATE: the update
#    refuses up front (55000), names them and their owner, and leaves them.
#  - Overloads of cowrie_backfill / cowrie_backfill_commit planted after
#    install: the README's calls never run them; other argument types lose to
#    the extension's exact match; the same types make the call ambiguous
#    (42725, in docs/troubleshooting.md: no signature can avoid it).
# Prints TAP. Needs the suite's cluster (PGHOST, PGPORT, PGUSER a superuser).
cd "$(dirname "$0")/../.."
. test/lib/tap.sh
CURRENT=$(sed -n "s/^default_version *= *'\(.*\)'/\1/p" cowrie_snapshot.control)
PL=cowrie_planted_names
DBS="pn_base pn_idx pn_trg pn_upd11 pn_upd10 pn_fresh pn_bf"

drop_all() {
	for db in $DBS; do $PSQL -d postgres -c "DROP DATABASE IF EXISTS $db" 2>/dev/null; done
	$PSQL -d postgres -c "DROP ROLE IF EXISTS $PL" 2>/dev/null
}
trap 'drop_all >/dev/null 2>&1; rm -rf "$WORK"' EXIT
drop_all >/dev/null 2>&1
$PSQL -d postgres -c "CREATE ROLE $PL NOLOGIN" || exit 1

q() { $PSQL -At -d "$1" -c "$2" 2>&1; }
# as_planter DB SQL: SQL run as the planting role (CREATE on public only).
as_planter() { $PSQL -d "$1" -c "SET ROLE $PL" -c "$2" 2>&1; }
# superuser DB SQL: verbose errors (with SQLSTATE) into $WORK/out; the exit status.
superuser() { $PSQL -v VERBOSITY=verbose -d "$1" -c "$2" >"$WORK/out" 2>&1; }
has() { grep -qF -- "$1" "$WORK/out"; }
show() { awk '/^ERROR/ { e = 1 } e && /^(ERROR|DETAIL|HINT)/' "$WORK/out" | head -n 3 | cut -c1-300 | sed 's/^/# /'; }
installed() { [ -n "$(q "$1" "SELECT extversion FROM pg_extension WHERE extname = 'cowrie_snapshot'")" ]; }

$PSQL -d postgres -c 'CREATE DATABASE pn_base' >/dev/null
if ! $PSQL -d pn_base -v n=200 -f test/fixtures/cowrie_v15.sql >/dev/null 2>&1; then
	ok 1 "the v15 fixture loads"; echo "1..$n"; exit 1
fi
$PSQL -d pn_base -c 'DROP SCHEMA fixture CASCADE' -c "GRANT CREATE ON SCHEMA public TO $PL" >/dev/null 2>&1
copy() { $PSQL -d postgres -c "DROP DATABASE IF EXISTS $1" -c "CREATE DATABASE $1 TEMPLATE pn_base" >/dev/null 2>&1; }

# --- Finding 6: squatted index names ------------------------------------------
SQUAT="idx_session_source_ip idx_session_snapshot_asn idx_session_snapshot_country idx_session_source_ip_no_type"
SQUAT_LIST=$(printf "'%s'," $SQUAT)
copy pn_idx
for i in $SQUAT; do as_planter pn_idx "CREATE TABLE public.$i ()" >/dev/null; done
superuser pn_idx 'CREATE EXTENSION cowrie_snapshot'; rc=$?
[ $rc -ne 0 ] && has 'ERROR:  55000: cowrie_snapshot: cannot create index idx_session_source_ip' &&
	has "public.idx_session_source_ip is a table owned by $PL" && has 'HINT:  Drop or rename public.idx_session_source_ip'
ok $? "four tables squatting the session index names: CREATE EXTENSION refuses with 55000, naming the index and what holds the name"
show
! installed pn_idx &&
	[ "$(q pn_idx "SELECT count(*) FROM pg_class WHERE relname IN (${SQUAT_LIST%,}) AND relkind = 'r' AND relowner = '$PL'::regrole")" = 4 ]
ok $? "nothing was installed, and the squatting tables are left as they were (not adopted, not dropped)"
PGOPTIONS="-c cowrie_snapshot.defer_session_backfill=on" superuser pn_idx 'CREATE EXTENSION cowrie_snapshot'; rc=$?
[ $rc -ne 0 ] && has 'ERROR:  55000: cowrie_snapshot: cannot create index idx_session_source_ip'
ok $? "deferred mode refuses the same way"

for i in $SQUAT; do as_planter pn_idx "DROP TABLE public.$i" >/dev/null; done
as_planter pn_idx 'CREATE TABLE public.planted_t (snapshot_asn integer); CREATE INDEX idx_session_snapshot_asn ON public.planted_t (snapshot_asn)' >/dev/null
superuser pn_idx 'CREATE EXTENSION cowrie_snapshot'; rc=$?
[ $rc -ne 0 ] && has 'ERROR:  55000: cowrie_snapshot: cannot create index idx_session_snapshot_asn' &&
	has "public.idx_session_snapshot_asn is an index on public.planted_t (owner $PL)"
ok $? "an index of that name on another table (the planter's) is refused, naming its table and owner"
show
as_planter pn_idx 'DROP TABLE public.planted_t' >/dev/null

# v15 columns only: the snapshot columns do not exist before the migration.
q pn_idx "CREATE INDEX idx_session_first_event_brin ON session_summaries (first_event_at)" >/dev/null
superuser pn_idx 'CREATE EXTENSION cowrie_snapshot'; rc=$?
[ $rc -ne 0 ] && has 'ERROR:  55000: cowrie_snapshot: cannot create index idx_session_first_event_brin' &&
	has "defined as USING btree (first_event_at)" &&
	has 'the migration needs an index on public.session_summaries USING brin (first_event_at)'
ok $? "a valid index of that name on session_summaries with another definition is refused, showing both definitions"
show
q pn_idx "DROP INDEX idx_session_first_event_brin; CREATE INDEX idx_session_first_event_brin ON session_summaries USING brin (first_event_at);
          UPDATE pg_index SET indisvalid = false WHERE indexrelid = 'idx_session_first_event_brin'::regclass" >/dev/null
superuser pn_idx 'CREATE EXTENSION cowrie_snapshot'; rc=$?
[ $rc -ne 0 ] && has 'ERROR:  55000: cowrie_snapshot: cannot create index idx_session_first_event_brin' && has 'that is not valid'
ok $? "an invalid index of that name (an interrupted CREATE INDEX CONCURRENTLY) is refused"

# The right index, made by the table's owner before (as upstream's v16 does), is adopted, storage parameters and all.
q pn_idx "DROP INDEX idx_session_first_event_brin;
          CREATE INDEX idx_session_first_event_brin ON session_summaries USING brin (first_event_at) WITH (pages_per_range = 64);
          CREATE INDEX idx_session_last_event_brin ON session_summaries USING brin (last_event_at)" >/dev/null
OIDS="SELECT 'idx_session_first_event_brin'::regclass::oid || ' ' || 'idx_session_last_event_brin'::regclass::oid"
before=$(q pn_idx "$OIDS")
superuser pn_idx 'CREATE EXTENSION cowrie_snapshot' && installed pn_idx && [ "$(q pn_idx "$OIDS")" = "$before" ]
ok $? "the same valid index on the intended table is adopted (kept, not rebuilt), with or without storage parameters"
show
[ "$(q pn_idx "SELECT count(*) FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid WHERE (c.relname LIKE 'idx\_%' OR c.relname = 'ix_session_summaries_snapshot_ip_type') AND i.indisvalid
               AND i.indrelid IN ('session_summaries'::regclass, 'ip_inventory'::regclass, 'asn_inventory'::regclass)")" = 18 ]
ok $? "all 18 indexes of the migration exist and are valid"
superuser pn_idx 'SELECT cowrie_migrate()'
ok $? "a second migration adopts every index the first made (their definitions are as this server prints them)"
show

# The migration's triggers are found by name too: one of that name made by a
# role with the TRIGGER privilege is refused, not taken for the extension's.
copy pn_trg
q pn_trg "GRANT TRIGGER ON session_summaries TO $PL" >/dev/null
as_planter pn_trg "CREATE FUNCTION public.planted_trg() RETURNS trigger LANGUAGE plpgsql AS 'BEGIN RETURN NEW; END';
                   CREATE TRIGGER cowrie_session_snapshot BEFORE INSERT OR UPDATE ON public.session_summaries
                   FOR EACH ROW WHEN (NEW.session_id IS NULL) EXECUTE FUNCTION public.planted_trg()" >/dev/null
superuser pn_trg 'CREATE EXTENSION cowrie_snapshot'; rc=$?
# Refused as another role's code the migration would run, or as not the extension's trigger.
[ $rc -ne 0 ] && has 'ERROR:  55000: cowrie_snapshot: ' && has 'public.planted_trg() ' && ! installed pn_trg &&
	[ "$(q pn_trg "SELECT count(*) FROM pg_trigger WHERE tgname = 'cowrie_session_snapshot' AND tgfoid = 'public.planted_trg()'::regprocedure")" = 1 ]
ok $? "a trigger named cowrie_session_snapshot executing another function: refused with 55000 (it was neither taken for ours nor dropped)"
show
q pn_trg "DROP TRIGGER cowrie_session_snapshot ON session_summaries" >/dev/null
superuser pn_trg 'CREATE EXTENSION cowrie_snapshot' &&
	[ "$(q pn_trg "SELECT tgfoid::regprocedure FROM pg_trigger WHERE tgname = 'cowrie_session_snapshot'")" = cowrie_session_snapshot_trigger\(\) ]
ok $? "once it is dropped, the migration installs the extension's trigger"
show

# --- Finding 11 (a): routines new in 1.2 planted before the update ---------------
PLANT_NEW="CREATE FUNCTION public.cowrie_migrate_phase2_asn_inventory() RETURNS jsonb LANGUAGE sql AS \$\$SELECT '{\"planted\": 1}'::jsonb\$\$;
           CREATE FUNCTION public.cowrie_has_column(regclass, text) RETURNS boolean LANGUAGE sql AS 'SELECT true'"
for v in 1.1 1.0; do
	db=pn_upd${v/./}
	copy "$db"
	superuser "$db" "CREATE EXTENSION cowrie_snapshot VERSION '$v'" || { ok 1 "$v installs"; show; continue; }
	as_planter "$db" "$PLANT_NEW" >/dev/null
	superuser "$db" 'ALTER EXTENSION cowrie_snapshot UPDATE'; rc=$?
	[ $rc -ne 0 ] && has "ERROR:  55000: cowrie_snapshot: cannot update to $CURRENT: routines it creates already exist" &&
		has "public.cowrie_has_column(regclass, text) (owner $PL)" &&
		has "public.cowrie_migrate_phase2_asn_inventory() (owner $PL)" && has 'HINT:  Look at them'
	ok $? "$v -> $CURRENT with two planted routines of $CURRENT: refused up front with 55000, naming both and their owner"
	show
	[ "$(q "$db" "SELECT extversion FROM pg_extension WHERE extname = 'cowrie_snapshot'")" = "$v" ] &&
		[ "$(q "$db" "SELECT count(*) FROM pg_proc WHERE proname IN ('cowrie_migrate_phase2_asn_inventory', 'cowrie_has_column')
		                AND proowner = '$PL'::regrole")" = 2 ] &&
		[ "$(q "$db" "SELECT public.cowrie_migrate_phase2_asn_inventory()")" = '{"planted": 1}' ]
	ok $? "$v -> $CURRENT refused: still at $v, the planted routines neither replaced nor dropped"
	q "$db" "DROP FUNCTION public.cowrie_migrate_phase2_asn_inventory(), public.cowrie_has_column(regclass, text)" >/dev/null
	superuser "$db" 'ALTER EXTENSION cowrie_snapshot UPDATE' &&
		[ "$(q "$db" "SELECT extversion FROM pg_extension WHERE extname = 'cowrie_snapshot'")" = "$CURRENT" ]
	ok $? "$v -> $CURRENT once the DBA has dropped them: the update goes through"
	show
done

# The update's list of the current version's routines is what a fresh install creates.
copy pn_fresh
$PSQL -d pn_fresh -c 'CREATE EXTENSION cowrie_snapshot' >/dev/null 2>&1
PGOPTIONS="-c search_path=pg_catalog" $PSQL -At -d pn_fresh -c "
	SELECT replace(p.proname || '(' || oidvectortypes(p.proargtypes) || ')', 'public.', '@extschema@.')
	FROM pg_depend d JOIN pg_proc p ON p.oid = d.objid JOIN pg_extension e ON e.oid = d.refobjid
	WHERE e.extname = 'cowrie_snapshot' AND d.classid = 'pg_proc'::regclass AND d.deptype = 'e'" | LC_ALL=C sort >"$WORK/fresh"
sed -n "/-- routines of the current version: begin/,/-- routines of the current version: end/p" sql/updates/planted_routines.sql |
	sed -nE "s/^ *'(.*)',?$/\1/p" | LC_ALL=C sort >"$WORK/listed"
[ -s "$WORK/fresh" ] && diff "$WORK/listed" "$WORK/fresh" >"$WORK/list.diff"
ok $? "sql/updates/planted_routines.sql lists exactly the routines a fresh $CURRENT install creates ($(wc -l <"$WORK/fresh"))"
sed 's/^</# only in the list: /; s/^>/# add to the list: /' "$WORK/list.diff" | grep '^#' | head -n 20

# --- Finding 11 (b): overloads of the README's entry points planted after install ---
copy pn_bf
$PSQL -d pn_bf -c 'CREATE EXTENSION cowrie_snapshot' >/dev/null 2>&1
as_planter pn_bf "CREATE TABLE public.planted_calls (f text); GRANT INSERT ON public.planted_calls TO PUBLIC" >/dev/null
plant() { # plant FUNCTION|PROCEDURE NAME ARGS: a routine that records its call
	local ret="RETURNS bigint" body="INSERT INTO public.planted_calls VALUES ('$2($3)'); SELECT 0::bigint"
	[ "$1" = PROCEDURE ] && { ret=""; body="INSERT INTO public.planted_calls VALUES ('$2($3)')"; }
	as_planter pn_bf "CREATE $1 public.$2($3) $ret LANGUAGE sql AS \$p\$$body\$p\$" | grep -i error | sed 's/^/# /'
}
planted_ran() { q pn_bf 'SELECT count(*) FROM public.planted_calls'; }
README_CALLS=("SELECT cowrie_backfill(1000)" "SELECT cowrie_backfill(1000, dry_run => true)"
	"SELECT cowrie_backfill(1000, retry_unenrichable => true)" "CALL cowrie_backfill_commit(1000)"
	"CALL cowrie_backfill_commit(1000, max_batches => 10)")
for t in bigint numeric smallint text real; do
	plant FUNCTION cowrie_backfill "batch_size $t"; plant PROCEDURE cowrie_backfill_commit "batch_size $t"
done
plant FUNCTION cowrie_backfill "batch_size bigint, max_batches integer DEFAULT NULL, dry_run boolean DEFAULT false, retry_unenrichable boolean DEFAULT false"
plant PROCEDURE cowrie_backfill_commit "batch_size numeric, max_batches integer DEFAULT NULL"
good=0
for c in "${README_CALLS[@]}"; do if superuser pn_bf "$c"; then good=$((good + 1)); else show; fi; done
[ "$good" = ${#README_CALLS[@]} ] && [ "$(planted_ran)" = 0 ]
ok $? "12 overloads of other argument types planted in public: the README's ${#README_CALLS[@]} calls run the extension's routines ($good did), no plant runs"

# The same types in the positions the call gives (with any further parameters
# defaulted): PostgreSQL cannot choose between two routines of one schema with
# identical effective arguments, whatever the extension's own signatures are.
plant FUNCTION cowrie_backfill "batch_size integer"
plant PROCEDURE cowrie_backfill_commit "batch_size integer, x text DEFAULT ''"
superuser pn_bf 'SELECT cowrie_backfill(1000)'; rc1=$?; has 'ERROR:  42725: function cowrie_backfill(integer) is not unique'; r1=$?
superuser pn_bf 'CALL cowrie_backfill_commit(1000)'; rc2=$?; has 'ERROR:  42725'; r2=$?
[ $rc1 -ne 0 ] && [ $r1 = 0 ] && [ $rc2 -ne 0 ] && [ $r2 = 0 ] && [ "$(planted_ran)" = 0 ]
ok $? "a plant of the same argument types (cowrie_backfill(integer), as in the issue) makes the call fail with 42725, and never runs"
grep -qF '| 42725 | function cowrie_backfill(integer) is not unique' docs/troubleshooting.md
ok $? "docs/troubleshooting.md says what 42725 on a backfill call means and what to do"
# The DBA's way out, as docs/troubleshooting.md gives it: the routines of that name that are not the extension's, dropped.
NOT_MEMBER="FROM pg_proc p WHERE p.proname IN ('cowrie_backfill', 'cowrie_backfill_commit')
            AND NOT EXISTS (SELECT FROM pg_depend d WHERE d.classid = 'pg_proc'::regclass AND d.objid = p.oid AND d.deptype = 'e')"
found=$(q pn_bf "SELECT count(*) || ' ' || count(*) FILTER (WHERE p.proowner = '$PL'::regrole) $NOT_MEMBER")
$PSQL -d pn_bf >/dev/null 2>&1 <<-SQL
	SELECT 'DROP ROUTINE ' || p.oid::regprocedure $NOT_MEMBER \gexec
	SQL
superuser pn_bf 'SELECT cowrie_backfill(1000)' && superuser pn_bf 'CALL cowrie_backfill_commit(1000)' && [ "$found" = "14 14" ]
ok $? "the non-members of those names are the 14 plants; once they are dropped, the calls work again"
show
echo "1..$n"
