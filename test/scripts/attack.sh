#!/usr/bin/env bash
# Issue 14: no role that can only CREATE in public (and in a schema first on
# the victim's search_path) hijacks the extension. The attacker plants
# exact-type overloads that record their call and raise: every operator name
# the installed scripts and the C strings use, on every pair of types that
# pg_catalog resolves only through a cast; the built-in functions by name;
# look-alikes of every extension member (pg_depend) with each argument
# replaced by a type that reaches it; every call site seen in the parse trees
# of a clean run, with the argument types it had before the parser's casts
# (variadic calls included); and views shadowing the cowrie tables. Then a
# superuser installs (both modes), updates from 1.1, migrates, backfills,
# inserts and updates sessions, looks up, reads coverage and drops. Nothing
# planted may run, no role may gain anything, and the constraints and
# defaults the migration made may depend on pg_catalog only.
# ATTACK_PASSTHROUGH=1: plants return what they imitate instead of raising,
# so one run lists every hijacked call (for fixing, not for the suite).
cd "$(dirname "$0")/../.."
. test/lib/tap.sh
: "${PG_CONFIG:=$PGBIN/pg_config}"
SHARE=$("$PG_CONFIG" --sharedir)/extension
ATK=cowrie_attack_planter
N=${ATTACK_N:-300}
PASSTHROUGH=${ATTACK_PASSTHROUGH:-0}
DBS="atk_base atk_ref1 atk_ref2 atk_ref3 atk_tpl atk_s1 atk_s2 atk_s3 atk_s4 atk_s5"

# Harness statements see pg_catalog only (public holds plants); the victim's
# path puts the attacker's schema first.
clean() { PGOPTIONS="-c search_path=pg_catalog ${EXTRA_OPTS:-}" $PSQL "$@"; }
hostile() { PGOPTIONS="-c search_path=atk_first,public ${EXTRA_OPTS:-}" $PSQL "$@"; }
q() { clean -At -d "$1" -c "$2" 2>/dev/null; }

drop_all() {
	for db in $DBS; do clean -d postgres -c "DROP DATABASE IF EXISTS $db" 2>/dev/null; done
	clean -d postgres -c "DROP ROLE IF EXISTS $ATK" 2>/dev/null
}
trap '[ "${ATTACK_KEEP:-0}" = 1 ] || drop_all; rm -rf "$WORK"' EXIT   # ATTACK_KEEP=1 keeps the databases to look at
drop_all >/dev/null 2>&1
clean -d postgres -c "CREATE ROLE $ATK NOLOGIN" || exit 1

ctl=$(grep -E '^[[:space:]]*schema[[:space:]]*=' "$SHARE/cowrie_snapshot.control" 2>/dev/null)
SCHEMA_CLAUSE=$([ -z "$ctl" ] && echo 'SCHEMA public')
DEFAULT_VERSION=$(sed -n "s/^default_version *= *'\(.*\)'/\1/p" "$SHARE/cowrie_snapshot.control")

# --- The base: a v15 database, the harness, the attacker's recorder ---------
clean -c 'CREATE DATABASE atk_base' >/dev/null
$PSQL -d atk_base -v n="$N" -f test/fixtures/cowrie_v15.sql >/dev/null || exit 1
clean -d atk_base -c 'DROP SCHEMA fixture CASCADE' >/dev/null
clean -d atk_base -v atk="$ATK" -f test/lib/attack_harness.sql >/dev/null || exit 1
clean -d atk_base -c "SET ROLE $ATK" -c 'SELECT atk_harness.make_recorder()' >/dev/null || exit 1
[ "$PASSTHROUGH" = 1 ] && clean -d atk_base -c 'UPDATE atk_first.atk_mode SET passthrough = true' >/dev/null

# --- Names from the installed scripts and the C sources' SQL strings --------
texts() {
	for f in "$SHARE"/cowrie_snapshot--*.sql; do sed 's/--.*$//' "$f"; done
	grep -ohE '"([^"\\]|\\.)*"' src/*.c src/core/*.c 2>/dev/null
}
texts | grep -oE '[-+*/<>=~!@#%^&|`?]+' | sort -u >"$WORK/ops"
texts | grep -oiE '[a-z_][a-z0-9_]*[[:space:]]*\(' | tr -d ' \t(' | tr 'A-Z' 'a-z' | sort -u >"$WORK/funcs"
echo "# names from $(ls "$SHARE"/cowrie_snapshot--*.sql | wc -l) installed scripts and src/: $(wc -l <"$WORK/ops") operator names, $(wc -l <"$WORK/funcs") identifiers before '('"

# --- The superuser's statements ----------------------------------------------
XS=public   # the schema of the extension's functions, once installed
ext_schema() { XS=$(q "$1" "SELECT pronamespace::regnamespace FROM pg_proc WHERE proname = 'cowrie_backfill' LIMIT 1"); XS=${XS:-public}; }

# Statements a superuser runs after install, in order: LABEL<TAB>SQL. Values
# are typed exactly; harness-side names are qualified.
usage_statements() { # IP: an inventory IP with a country
	local ip=$1
	cat <<-EOF
	backfill dry run	SELECT $XS.cowrie_backfill(50::pg_catalog.int4, dry_run => true)
	backfill function	SELECT $XS.cowrie_backfill(40::pg_catalog.int4, 2::pg_catalog.int4)
	backfill procedure	CALL $XS.cowrie_backfill_commit(40::pg_catalog.int4)
	backfill retry_unenrichable	SELECT $XS.cowrie_backfill(1000::pg_catalog.int4, retry_unenrichable => true)
	trigger on insert (IP in the document)	INSERT INTO public.session_summaries (session_id, enrichment) VALUES ('atk-ins-1', '{"session_metadata": {"source_ip": "$ip"}}')
	trigger on insert (source_ip given)	INSERT INTO public.session_summaries (session_id, source_ip) VALUES ('atk-ins-2', '$ip')
	trigger on update	UPDATE public.session_summaries SET snapshot_country = NULL, snapshot_asn = NULL, enrichment_at = NULL, snapshot_ip_type = NULL WHERE session_id OPERATOR(pg_catalog.=) 'atk-ins-1'::pg_catalog.text
	lookup	SELECT * FROM $XS.cowrie_lookup_snapshots(ARRAY['$ip', '10.0.0.1', 'not an ip']::pg_catalog.text[])
	coverage	SELECT * FROM $XS.cowrie_snapshot_coverage()
	cowrie_migrate()	SELECT $XS.cowrie_migrate()
	DROP EXTENSION	DROP EXTENSION cowrie_snapshot
	CREATE EXTENSION on the migrated database	CREATE EXTENSION cowrie_snapshot $SCHEMA_CLAUSE
	DROP EXTENSION again	DROP EXTENSION cowrie_snapshot
	EOF
}

# Some sessions back to no snapshot (and no source_ip), so the backfill has
# work; the trigger is disabled for it and the path is pg_catalog only.
reset_sessions() {
	clean -d "$1" -c "ALTER TABLE public.session_summaries DISABLE TRIGGER cowrie_session_snapshot" \
		-c "UPDATE public.session_summaries SET snapshot_country = NULL, snapshot_asn = NULL, snapshot_ip_type = NULL, enrichment_at = NULL,
		        source_ip = CASE WHEN pg_catalog.substr(session_id::pg_catalog.text, 1, 1) OPERATOR(pg_catalog.<) '8' THEN NULL ELSE source_ip END
		    WHERE ctid OPERATOR(pg_catalog.=) ANY (ARRAY(SELECT ctid FROM public.session_summaries ORDER BY session_id LIMIT 120))" \
		-c "ALTER TABLE public.session_summaries ENABLE TRIGGER cowrie_session_snapshot" >/dev/null
}
inventory_ip() { q "$1" "SELECT ip_address FROM public.ip_inventory WHERE geo_country OPERATOR(pg_catalog.~) '^[A-WYZ][A-Z]\$'::pg_catalog.text AND NOT $XS.cowrie_ip_is_private(ip_address::pg_catalog.text) ORDER BY ip_address LIMIT 1"; }

# --- Reference run: the same statements, no plants, parse trees logged -------
# tools/cluster.sh logs to the cluster directory; a logging collector elsewhere.
datadir=$(q postgres 'SHOW data_directory'); logfile=$(q postgres 'SELECT pg_current_logfile()')
case $logfile in '') logfile=$(dirname "$datadir")/server.log ;; /*) ;; *) logfile=$datadir/$logfile ;; esac
[ -r "$logfile" ]; setup $? "the server log is readable for the parse trees ($logfile)"
offset=$(stat -c %s "$logfile" 2>/dev/null || echo 0)
: >"$WORK/pids"
ref() { # DB SQL: as the victim, logging parse trees; records the backend
	local out rc
	out=$(EXTRA_OPTS="-c debug_print_parse=on -c debug_pretty_print=off" hostile -At -d "$1" -c 'SELECT pg_backend_pid()' -c "$2" 2>&1); rc=$?
	echo "$1 $(echo "$out" | head -n 1)" >>"$WORK/pids"
	[ $rc = 0 ] || echo "# reference run: $2: $(echo "$out" | grep -m1 ERROR)"
}
ref_usage() {
	ext_schema "$1"; reset_sessions "$1"
	local ip; ip=$(inventory_ip "$1")
	while IFS=$'\t' read -r label sql; do ref "$1" "$sql"; done < <(usage_statements "$ip")
}
for db in atk_ref1 atk_ref2 atk_ref3; do clean -c "CREATE DATABASE $db TEMPLATE atk_base" >/dev/null; done
ref atk_ref1 "CREATE EXTENSION cowrie_snapshot $SCHEMA_CLAUSE"
ref_usage atk_ref1
ref atk_ref1 "CREATE EXTENSION cowrie_snapshot $SCHEMA_CLAUSE"   # for the catalogs below
ref atk_ref2 "SET cowrie_snapshot.defer_session_backfill = on; CREATE EXTENSION cowrie_snapshot $SCHEMA_CLAUSE"
ref_usage atk_ref2
if [ "$DEFAULT_VERSION" != 1.1 ]; then
	clean -d atk_ref3 -c "CREATE EXTENSION cowrie_snapshot VERSION '1.1' $SCHEMA_CLAUSE" >/dev/null 2>&1
	ref atk_ref3 'ALTER EXTENSION cowrie_snapshot UPDATE'
fi
tail -c +"$((offset + 1))" "$logfile" | perl test/lib/call_sites.pl >"$WORK/sites.tsv"
echo "# parse trees: $(wc -l <"$WORK/sites.tsv") distinct call sites from $(wc -l <"$WORK/pids") backends"

# --- Requests: what to plant, derived in the reference databases -------------
: >"$WORK/req.tsv"
REQCOLS="origin, kind, name, argtypes, argnames, outnames, outtypes, rettype, retset, target, target_args, ret_attnames, ret_atttypes, schemas, volatility"
for db in atk_ref1 atk_ref2 atk_ref3; do
	pids=$(awk -v d="$db" '$1 == d && $2 ~ /^[0-9]+$/ { printf "%s%s", s, $2; s = "," }' "$WORK/pids")
	clean -d "$db" -c "\\copy atk_harness.sites FROM '$WORK/sites.tsv'" -c "SELECT atk_harness.req_sites('{${pids}}', '{public,atk_first}')" >/dev/null
done
# Names the extension's SQL-standard bodies depend on (pg_depend), added to the text's.
q atk_ref1 "SELECT DISTINCT CASE WHEN d.refclassid = 'pg_operator'::regclass THEN 'o ' || o.oprname ELSE 'f ' || p.proname END
            FROM pg_depend d JOIN pg_depend m ON m.classid = 'pg_proc'::regclass AND m.objid = d.objid AND m.deptype = 'e'
            JOIN pg_extension e ON e.oid = m.refobjid AND e.extname = 'cowrie_snapshot'
            LEFT JOIN pg_operator o ON d.refclassid = 'pg_operator'::regclass AND o.oid = d.refobjid
            LEFT JOIN pg_proc p ON d.refclassid = 'pg_proc'::regclass AND p.oid = d.refobjid
            WHERE d.classid = 'pg_proc'::regclass AND COALESCE(o.oprnamespace, p.pronamespace) = 'pg_catalog'::regnamespace" >"$WORK/deps"
sed -n 's/^o //p' "$WORK/deps" >>"$WORK/ops"; sed -n 's/^f //p' "$WORK/deps" >>"$WORK/funcs"
# Function names seen in the parse trees (built-ins only: the members have look-alikes).
q atk_ref1 "SELECT DISTINCT proname FROM pg_proc WHERE pronamespace = 'pg_catalog'::regnamespace AND oid = ANY ('{$(awk -F'\t' '$2 != "o" { printf "%s%s", s, $3; s = "," }' "$WORK/sites.tsv")}'::oid[])" >>"$WORK/funcs"
q atk_ref1 "SELECT DISTINCT oprname FROM pg_operator WHERE oid = ANY ('{$(awk -F'\t' '$2 == "o" { printf "%s%s", s, $3; s = "," }' "$WORK/sites.tsv")}'::oid[])" >>"$WORK/ops"
sort -u -o "$WORK/ops" "$WORK/ops"; sort -u -o "$WORK/funcs" "$WORK/funcs"
arr() { echo "ARRAY(SELECT x FROM pg_catalog.regexp_split_to_table(\$l\$$(cat "$1")\$l\$, E'\\n') x WHERE x <> '')"; }
clean -d atk_ref1 >/dev/null <<-EOF
	SELECT atk_harness.req_operators($(arr "$WORK/ops"), atk_harness.types('public'), '{public,atk_first}');
	SELECT atk_harness.req_functions($(arr "$WORK/funcs"), atk_harness.types('public'), '{public,atk_first}');
	SELECT atk_harness.req_lookalikes(atk_harness.types('public'));
	SELECT atk_harness.req_relations('public');
EOF
for db in atk_ref1 atk_ref2 atk_ref3; do
	clean -d "$db" -c 'SELECT atk_harness.drop_collisions()' >/dev/null
	clean -d "$db" -c "\\copy (SELECT $REQCOLS FROM atk_harness.req) TO STDOUT" >>"$WORK/req.tsv"
done
clean -d atk_base -c "\\copy atk_harness.req ($REQCOLS) FROM '$WORK/req.tsv'" >/dev/null
q atk_base "SELECT origin || ': ' || count(*) || ' requests' FROM atk_harness.req GROUP BY origin ORDER BY 1" | sed 's/^/# /'
for o in 'operator names x types' 'built-in function names' 'extension look-alikes' 'call sites in parse trees' 'relations'; do
	[ "$(q atk_base "SELECT count(*) FROM atk_harness.req WHERE origin = '$o'")" -gt 0 ]; setup $? "requests derived: $o"
done
# A variadic built-in the scripts call, if any, must be among the call sites.
variadic=$(q atk_ref1 "SELECT proname FROM pg_proc WHERE pronamespace = 'pg_catalog'::regnamespace AND provariadic = '\"any\"'::regtype
                       AND proname = ANY ($(arr "$WORK/funcs")) ORDER BY proname = 'jsonb_build_object' DESC, 1 LIMIT 1")
[ -z "$variadic" ] || [ "$(q atk_base "SELECT count(*) FROM atk_harness.req WHERE origin = 'call sites in parse trees' AND name = '$variadic'")" -gt 0 ]
setup $? "variadic calls are among the call sites, as non-variadic exact-type requests (${variadic:-none used})"

# --- Planting, as the attacker -----------------------------------------------
plant() { # DB [SCENARIO]: every request not planted yet (those whose types exist now)
	clean -d "$1" -c "SET ROLE $ATK" -c 'SELECT count(*) FROM atk_harness.plant()' >/dev/null 2>&1
	local made; made=$(q "$1" 'SELECT count(*) FROM atk_harness.planted WHERE ok')
	echo "# ${2:-$1}: $made planted, $(q "$1" 'SELECT count(*) FROM atk_harness.planted WHERE NOT ok') not plantable (yet)"
	[ -z "${2:-}" ] || { [ "$made" -gt 1000 ]; setup $? "$2: the attacker's plants are in place"; }
}
hits() { q "$1" 'SELECT CASE WHEN is_called THEN last_value ELSE 0 END FROM atk_first.atk_hits'; }
roles() { q atk_base 'SELECT atk_harness.roles()'; }

clean -c 'CREATE DATABASE atk_tpl TEMPLATE atk_base' >/dev/null
plant atk_tpl "template, planted before install"
q atk_tpl "SELECT format('#   %s / %s: %s planted', origin, kind, count(*) FILTER (WHERE ok)) FROM atk_harness.planted GROUP BY origin, kind ORDER BY origin, kind"
[ "$(q atk_tpl 'SELECT count(*) FROM atk_harness.planted WHERE ok')" -gt 100 ]; setup $? "the attacker, with CREATE on public and atk_first only, planted overloads"
[ "$(q atk_tpl "SELECT count(DISTINCT p.proowner) FROM pg_proc p WHERE p.pronamespace IN ('public'::regnamespace, 'atk_first'::regnamespace)")" = 1 ] &&
	[ "$(q atk_tpl "SELECT rolsuper FROM pg_roles WHERE rolname = '$ATK'")" = f ]
setup $? "every plant belongs to the attacker, who is no superuser"

# --- Scenarios ---------------------------------------------------------------
planted_ran() { grep -oE 'ATTACK-PLANT-RAN .*' "$1" | sed -E 's/ATTACK-PLANT-RAN //; s/ \(as [^)]*\)$//'; }
ran_since() { # DB FILE: the plants a statement's output says ran, most often first
	planted_ran "$2" | sort | uniq -c | sort -rn | head -n 16 | sed 's/^/#     /'
}
keep_hits() { planted_ran "$WORK/out" | sort -u | sed "s|\$| <- $1|" >>"$WORK/allhits"; }   # for the summary
step() { # SCENARIO DB LABEL SQL: succeeds, and runs nothing planted
	local scn=$1 db=$2 label=$3 sql=$4 before after rc
	before=$(hits "$db")
	hostile -d "$db" -c "$sql" >"$WORK/out" 2>&1; rc=$?
	after=$(hits "$db")
	ok $rc "$scn: $label succeeds"
	[ $rc = 0 ] || grep -m 2 -E 'ERROR|DETAIL' "$WORK/out" | cut -c1-220 | sed 's/^/#   /'
	[ "$after" = "$before" ]; ok $? "$scn: $label runs no planted object"
	[ "$after" = "$before" ] || { echo "#   $((after - before)) planted call(s) by: $(echo "$sql" | cut -c1-160)"; ran_since "$db" "$WORK/out"; }
	keep_hits "$scn: $label"
	return $rc
}
# DROP EXTENSION; when only the attacker's objects (look-alikes taking the
# extension's types) block it, that is said, and CASCADE is what is checked.
drop_step() { # SCENARIO DB LABEL SQL
	local scn=$1 db=$2 label=$3 sql=$4 before after rc
	before=$(hits "$db")
	hostile -d "$db" -c "$sql" >"$WORK/out" 2>&1; rc=$?
	if [ $rc != 0 ] && grep -q 'depend on it' "$WORK/out"; then
		echo "#   $scn: $label is blocked by the attacker's objects that use the extension's types (a denial of service): $(grep -m1 -oE 'function [^ ]+ depends on type [^ ]+' "$WORK/out")"
		label="$label (CASCADE)"
		hostile -d "$db" -c "$sql CASCADE" >>"$WORK/out" 2>&1; rc=$?
	fi
	after=$(hits "$db")
	ok $rc "$scn: $label succeeds"
	[ $rc = 0 ] || grep -m 2 -E 'ERROR|DETAIL' "$WORK/out" | cut -c1-220 | sed 's/^/#   /'
	[ "$after" = "$before" ]; ok $? "$scn: $label runs no planted object"
	keep_hits "$scn: $label"
}
depends_ok() { # SCENARIO DB
	local dep; dep=$(q "$2" "SELECT * FROM atk_harness.foreign_dependencies('public')")
	[ -z "$dep" ]; ok $? "$1: CHECK constraints, defaults, generated columns and members' SQL bodies depend on pg_catalog (and the extension) only"
	[ -z "$dep" ] || echo "$dep" | head -n 10 | sed 's/^/#   /'
}
filled() { q "$1" "SELECT count(*) FROM public.session_summaries WHERE snapshot_country IS NULL"; }
usage() { # SCENARIO DB
	local scn=$1 db=$2 ip label sql
	ext_schema "$db"; reset_sessions "$db"; ip=$(inventory_ip "$db")
	[ -n "$ip" ]; setup $? "$scn: an inventory IP with a country to insert sessions with ($ip)"
	while IFS=$'\t' read -r label sql; do
		case $label in
		'DROP EXTENSION'*) drop_step "$scn" "$db" "$label" "$sql"; continue ;;
		esac
		step "$scn" "$db" "$label" "$sql"
		case $label in
		'backfill retry_unenrichable')
			[ "$(filled "$db")" = 0 ]; ok $? "$scn: the backfill filled every session" ;;
		'trigger on insert (IP in the document)')
			[ "$(q "$db" "SELECT snapshot_country IS NOT NULL AND source_ip IS NOT NULL FROM public.session_summaries WHERE session_id OPERATOR(pg_catalog.=) 'atk-ins-1'::text")" = t ]
			ok $? "$scn: the trigger filled the inserted session" ;;
		'trigger on update')
			[ "$(q "$db" "SELECT snapshot_country IS NOT NULL FROM public.session_summaries WHERE session_id OPERATOR(pg_catalog.=) 'atk-ins-1'::text")" = t ]
			ok $? "$scn: the trigger filled the updated session" ;;
		lookup)
			[ "$(hostile -At -d "$db" -c "$sql" 2>/dev/null | grep -c "^$ip|")" = 1 ]; ok $? "$scn: the lookup returns the inventory IP" ;;
		coverage)
			[ "$(hostile -At -d "$db" -c "$sql" 2>/dev/null | grep -c '|')" -ge 7 ]; ok $? "$scn: coverage returns its metrics" ;;
		esac
	done < <(usage_statements "$ip")
}
scenario_end() { # SCENARIO DB ROLES_BEFORE
	[ "$(roles)" = "$3" ]; ok $? "$1: no role gained an attribute or a membership"
	[ "$(q "$2" 'SELECT count(*) FROM atk_first.atk_log')" = 0 ] || { echo "#   planted calls recorded in committed transactions:"; q "$2" "SELECT DISTINCT id || ' (as ' || ran_as || ')' FROM atk_first.atk_log ORDER BY 1" | head -n 40 | sed 's/^/#     /'; }
	clean -d postgres -c "ALTER ROLE $ATK NOSUPERUSER NOCREATEROLE NOCREATEDB NOREPLICATION NOBYPASSRLS" >/dev/null
}
install_step() { # SCENARIO DB LABEL SQL: the install, then what it should have done
	step "$1" "$2" "$3" "$4" || return 1
	[ "$(q "$2" "SELECT extversion FROM pg_extension WHERE extname = 'cowrie_snapshot'")" = "$DEFAULT_VERSION" ]
	ok $? "$1: the extension is at $DEFAULT_VERSION"
	[ "$(q "$2" "SELECT value FROM public.schema_state WHERE key OPERATOR(pg_catalog.=) 'schema_version'::text")" = 16 ]
	ok $? "$1: the database is at schema v16"
	depends_ok "$1" "$2"
	return 0
}
skipped() { ok 1 "$1: the rest of the scenario (not run: $2)"; }

# S1, S2: planted before the install (and again after it), both modes.
for s in 1 2; do
	scn="S$s planted before install, $([ $s = 1 ] && echo default || echo deferred) mode"
	db=atk_s$s; r0=$(roles)
	clean -c "CREATE DATABASE $db TEMPLATE atk_tpl" >/dev/null
	set_defer=$([ $s = 2 ] && echo 'SET cowrie_snapshot.defer_session_backfill = on; ')
	install_step "$scn" "$db" "CREATE EXTENSION" "${set_defer}CREATE EXTENSION cowrie_snapshot $SCHEMA_CLAUSE" ||
		{ skipped "$scn" 'the install failed'; scenario_end "$scn" "$db" "$r0"; continue; }
	if [ $s = 1 ]; then
		[ "$(filled "$db")" = 0 ]; ok $? "$scn: the migration filled every session"
	else
		[ "$(q "$db" 'SELECT count(*) FROM public.session_summaries WHERE snapshot_country IS NOT NULL')" = 0 ]; ok $? "$scn: the migration left the sessions to the backfill"
	fi
	plant "$db" "$scn, after install"
	usage "$scn" "$db"
	scenario_end "$scn" "$db" "$r0"
done

# S3: the 1.1 road. 1.1's scripts are known vulnerable, so the attacker plants
# after the 1.1 install and before the update.
scn="S3 update from 1.1"; db=atk_s3; r0=$(roles)
clean -c "CREATE DATABASE $db TEMPLATE atk_base" >/dev/null
clean -d "$db" -c "CREATE EXTENSION cowrie_snapshot VERSION '1.1' $SCHEMA_CLAUSE" >/dev/null 2>&1; setup $? "$scn: 1.1 installs (clean)"
[ "$DEFAULT_VERSION" != 1.1 ] &&
	[ "$(q "$db" "SELECT count(*) FROM pg_extension_update_paths('cowrie_snapshot') WHERE source = '1.1' AND target = '$DEFAULT_VERSION' AND path IS NOT NULL")" = 1 ]
ok $? "$scn: an update path from 1.1 to the default version ($DEFAULT_VERSION) is installed"
plant "$db" "$scn, after the 1.1 install"
if install_step "$scn" "$db" "ALTER EXTENSION UPDATE" 'ALTER EXTENSION cowrie_snapshot UPDATE'; then
	plant "$db" "$scn, after the update"
	usage "$scn" "$db"
else
	skipped "$scn" 'the update failed'
fi
scenario_end "$scn" "$db" "$r0"

# S4, S5: a clean install, then the attacker plants and the superuser works.
for s in 4 5; do
	scn="S$s planted after a clean install, $([ $s = 4 ] && echo default || echo deferred) mode"
	db=atk_s$s; r0=$(roles)
	clean -c "CREATE DATABASE $db TEMPLATE atk_base" >/dev/null
	set_defer=$([ $s = 5 ] && echo 'SET cowrie_snapshot.defer_session_backfill = on; ')
	clean -d "$db" -c "${set_defer}CREATE EXTENSION cowrie_snapshot $SCHEMA_CLAUSE" >/dev/null 2>&1; ok $? "$scn: clean install"
	plant "$db" "$scn"
	if [ $s = 4 ]; then
		# Controls: the record works, so an empty record means nothing ran.
		before=$(hits "$db")
		hostile -d "$db" -c "SELECT 'a'::pg_catalog.varchar ~ 'b'::pg_catalog.varchar" >/dev/null 2>&1
		[ "$(hits "$db")" -gt "$before" ]; ok $? "control: an unqualified varchar ~ varchar runs the planted operator, and the record shows it"
		before=$(hits "$db")
		hostile -d "$db" -c "SELECT $XS.cowrie_normalize_ip('1.2.3.4'::pg_catalog.varchar)" >/dev/null 2>&1
		[ "$(hits "$db")" -gt "$before" ]; ok $? "control: cowrie_normalize_ip(varchar) runs the look-alike"
		before=$(hits "$db")
		hostile -d "$db" -c "SELECT 1 FROM session_summaries LIMIT 1" >/dev/null 2>&1
		[ "$(hits "$db")" -gt "$before" ]; ok $? "control: an unqualified session_summaries reads the attacker's view"
		if [ "$PASSTHROUGH" != 1 ]; then
			hostile -d "$db" -c "SELECT 'a'::pg_catalog.varchar ~ 'b'::pg_catalog.varchar" >/dev/null 2>&1; [ $? != 0 ]
			ok $? "control: and the planted operator raises"
		fi
	fi
	depends_ok "$scn" "$db"
	usage "$scn" "$db"
	scenario_end "$scn" "$db" "$r0"
done

# Every plant that ran, with the first statement that ran it (controls aside).
if [ -s "$WORK/allhits" ]; then
	echo "# planted objects that ran: $(cut -d'<' -f1 "$WORK/allhits" | sort -u | wc -l)"
	sort -t'<' -k1,1 -u "$WORK/allhits" | sed 's/^/#   /'
fi
echo "1..$n"
