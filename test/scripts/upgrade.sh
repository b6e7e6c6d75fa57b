#!/usr/bin/env bash
# The released versions update to the current one and end where a fresh
# install ends: the same catalog (the extension's objects, the cowrie tables,
# owners, grants, comments) and the same rows, on json and jsonb databases.
# Roads: 1.0, 1.1 and 1.2 from their frozen scripts with the current library;
# and the roads users travel, 1.1 and 1.2 migrated by their released libraries
# (built from the release commits), then the current library and ALTER
# EXTENSION UPDATE. Prints TAP. Needs the suite's cluster and root (it swaps the library
# file for the released one and puts the current one back).
cd "$(dirname "$0")/../.."
. test/lib/tap.sh
. test/lib/releases.sh
CURRENT=$(sed -n "s/^default_version *= *'\(.*\)'/\1/p" cowrie_snapshot.control)
LIBDIR=$("$PG_CONFIG" --pkglibdir)
LIB=$LIBDIR/cowrie_snapshot.so

# A new file renamed over the old: backends still mapping the old one keep it.
put_library() { install -m 755 "$1" "$LIB.new" && mv -f "$LIB.new" "$LIB"; }
restore_library() { [ -f "$WORK/current.so" ] && put_library "$WORK/current.so"; }
trap 'restore_library; rm -rf "$WORK"' EXIT

ext() { $PSQL -At -d "$1" -c "SELECT extversion FROM pg_extension WHERE extname = 'cowrie_snapshot'"; }

# The extension's objects (definitions, ACLs, comments) and the cowrie tables
# (pg_dump of everything that is not a member), one sorted text.
catalog() {
	$PSQL -At -d "$1" >"$WORK/$1.catalog" <<'SQL'
SELECT pg_describe_object(d.classid, d.objid, 0) || ' | ' ||
       COALESCE(CASE d.classid
           WHEN 'pg_proc'::regclass THEN pg_get_functiondef(d.objid) || ' acl=' || COALESCE(p.proacl::text, 'default')
           WHEN 'pg_type'::regclass THEN (SELECT string_agg(a.attname || ' ' || format_type(a.atttypid, a.atttypmod), ', ' ORDER BY a.attnum)
                                          FROM pg_type t JOIN pg_attribute a ON a.attrelid = t.typrelid WHERE t.oid = d.objid)
       END, '') || ' | ' || COALESCE(obj_description(d.objid, (SELECT relname FROM pg_class WHERE oid = d.classid)), '')
FROM pg_depend d
LEFT JOIN pg_proc p ON d.classid = 'pg_proc'::regclass AND p.oid = d.objid
WHERE d.refclassid = 'pg_extension'::regclass AND d.deptype = 'e'
  AND d.refobjid = (SELECT oid FROM pg_extension WHERE extname = 'cowrie_snapshot')
ORDER BY 1;
SQL
	# Column order, which the sorted dump below cannot show.
	$PSQL -At -d "$1" >>"$WORK/$1.catalog" -c "SELECT 'column ' || attrelid::regclass || ' #' ||
		row_number() OVER (PARTITION BY attrelid ORDER BY attnum) || ' ' || attname || ' ' || format_type(atttypid, atttypmod)
		FROM pg_attribute WHERE attrelid IN ('session_summaries'::regclass, 'ip_inventory'::regclass, 'asn_inventory'::regclass)
		  AND attnum > 0 AND NOT attisdropped ORDER BY 1"
	"$PGBIN/pg_dump" --schema-only -d "$1" | grep -vE '^(--|SET |SELECT pg_catalog.set_config|\\(un)?restrict )' |
		grep -v '^$' | LC_ALL=C sort >>"$WORK/$1.catalog"
}

# Every column of the three tables, in key order; values the migration takes
# from its own clock (today's timestamps) are blanked.
rows() {
	local today
	today=$(date -u +%F)
	for t in "session_summaries ORDER BY session_id" "ip_inventory ORDER BY ip_address" "asn_inventory ORDER BY asn_number"; do
		$PSQL -d "$1" -c "COPY (SELECT * FROM $t) TO STDOUT"
	done | sed -E "s/$today [0-9:.]+\+00/NOW/g" >"$WORK/$1.rows"
}

same() { # same DB_A DB_B WHAT: catalog and rows equal
	catalog "$1"; catalog "$2"; rows "$1"; rows "$2"
	diff -u "$WORK/$1.catalog" "$WORK/$2.catalog" >"$WORK/$2.catalog.diff"
	ok $? "$3: the same catalog as a fresh install"
	[ -s "$WORK/$2.catalog.diff" ] && head -n 40 "$WORK/$2.catalog.diff" | cut -c1-240 | sed 's/^/# /'
	diff -q "$WORK/$1.rows" "$WORK/$2.rows" >/dev/null
	ok $? "$3: the same rows as a fresh install ($(wc -l <"$WORK/$1.rows") rows)"
	[ -s "$WORK/$1.rows" ] || { ok 1 "$3: rows were read"; }
	diff "$WORK/$1.rows" "$WORK/$2.rows" | head -n 10 | cut -c1-240 | sed 's/^/# /'
}

RELEASED="1.0 1.1 1.2"
[ -n "$CURRENT" ] && [ "$CURRENT" != 1.2 ]; ok $? "the control file's default version is past the released 1.2 ($CURRENT)"
for v in $RELEASED; do
	path=$($PSQL -At -c "SELECT path FROM pg_extension_update_paths('cowrie_snapshot') WHERE source = '$v' AND target = '$CURRENT'")
	[ "$path" = "$v--$CURRENT" ]; ok $? "$v updates to $CURRENT in one step, running no older migration (path: $path)"
done

# Released libraries, built from the release commits with this server's PGXS.
declare -A RELEASE_COMMIT=([1.1]=$RELEASE_1_1 [1.2]=$RELEASE_1_2)
for v in 1.1 1.2; do
	old_src=$WORK/release-$v
	if release_tree "${RELEASE_COMMIT[$v]}" "$old_src" 2>"$WORK/archive.err" &&
		make -s -C "$old_src" PG_CONFIG="$PG_CONFIG" >"$WORK/old_build.log" 2>&1; then
		setup 0 "the released $v library builds from ${RELEASE_COMMIT[$v]}"
	else
		cat "$WORK/archive.err" "$WORK/old_build.log" | tail -n 20 | sed 's/^/# /'
		setup 1 "the released $v library builds from ${RELEASE_COMMIT[$v]}"
	fi
done
# The released scripts are frozen: those in sql/ are the release commits' own.
declare -A FROZEN=([1.1]="cowrie_snapshot--1.0.sql cowrie_snapshot--1.0--1.1.sql"
                   [1.2]="cowrie_snapshot--1.2.sql cowrie_snapshot--1.0--1.2.sql cowrie_snapshot--1.1--1.2.sql")
for v in 1.1 1.2; do
	changed=""
	for name in ${FROZEN[$v]}; do cmp -s "$WORK/release-$v/sql/$name" "sql/$name" || changed="$changed $name"; done
	[ -z "$changed" ]; ok $? "the scripts of $v in sql/ are those of its release commit${changed:+; differ:$changed}"
done
cp "$LIB" "$WORK/current.so"

for type in json jsonb; do
	base=up_base_$type
	$PSQL -c "DROP DATABASE IF EXISTS $base" -c "CREATE DATABASE $base" 2>/dev/null
	$PSQL -d "$base" -v n=600 -v enrichment_type=$type -f test/fixtures/cowrie_v15.sql >/dev/null 2>&1
	$PSQL -d "$base" -c "DROP SCHEMA fixture CASCADE" 2>/dev/null
	for road in fresh from10 from11 from12 released11 released12; do
		$PSQL -c "DROP DATABASE IF EXISTS up_${road}_$type" -c "CREATE DATABASE up_${road}_$type TEMPLATE $base" 2>/dev/null
	done

	$PSQL -d up_fresh_$type -c 'CREATE EXTENSION cowrie_snapshot' 2>/dev/null
	[ "$(ext up_fresh_$type)" = "$CURRENT" ]; ok $? "$type: a fresh install is at $CURRENT"

	for v in $RELEASED; do
		db=up_from${v/./}_$type
		$PSQL -d "$db" -c "CREATE EXTENSION cowrie_snapshot VERSION '$v'" 2>/dev/null &&
			[ "$(ext "$db")" = "$v" ]
		ok $? "$type: CREATE EXTENSION VERSION '$v' from the frozen scripts"
		$PSQL -d "$db" -c 'ALTER EXTENSION cowrie_snapshot UPDATE' 2>"$WORK/$db.err" && [ "$(ext "$db")" = "$CURRENT" ]
		ok $? "$type: ALTER EXTENSION UPDATE from $v reaches $CURRENT"
		sed 's/^/# /' "$WORK/$db.err" | grep -v '^# INFO\|^# DETAIL' | head -n 5
		same up_fresh_$type "$db" "$type, from $v"
	done

	# The users' roads: the released library migrates under its version's
	# rules, the package is upgraded, sessions keep arriving, then the update.
	for v in 1.1 1.2; do
		db=up_released${v/./}_$type
		if [ -f "$WORK/release-$v/cowrie_snapshot.so" ] && put_library "$WORK/release-$v/cowrie_snapshot.so"; then
			$PSQL -d "$db" -c "CREATE EXTENSION cowrie_snapshot VERSION '$v'" 2>/dev/null
			ok $? "$type: the released $v library migrates the database"
		else
			ok 1 "$type: the released $v library migrates the database"
		fi
		restore_library
		n_before=$($PSQL -At -d "$db" -c "SELECT count(*) FROM session_summaries WHERE snapshot_country IS NOT NULL")
		out=$($PSQL -At -d "$db" -c "SELECT cowrie_extract_ip(enrichment) IS NOT NULL FROM session_summaries LIMIT 1" 2>&1)
		[ -n "$out" ] && [ "$n_before" -gt 0 ]; ok $? "$type: still at $v, the database works with the current library"
		$PSQL -d "$db" -c 'ALTER EXTENSION cowrie_snapshot UPDATE' 2>"$WORK/$db.err" && [ "$(ext "$db")" = "$CURRENT" ]
		ok $? "$type: then ALTER EXTENSION UPDATE reaches $CURRENT"
		same up_fresh_$type "$db" "$type, $v migrated by the released library"
	done
done

for type in json jsonb; do
	for db in up_base up_fresh up_from10 up_from11 up_from12 up_released11 up_released12; do $PSQL -c "DROP DATABASE IF EXISTS ${db}_$type"; done
done
echo "1..$n"
