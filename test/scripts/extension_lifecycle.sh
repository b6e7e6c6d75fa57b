#!/usr/bin/env bash
# Fresh install equals upgraded install; pg_dump | pg_restore of a migrated
# database is exact; DROP EXTENSION (with and without CASCADE) keeps every
# table, column and row. Prints TAP. Needs the suite's cluster (PGHOST...).
cd "$(dirname "$0")/../.."
. test/lib/tap.sh

# Everything in the database that is data or schema, with the migration's
# own clock columns blanked (they record when it ran).
snapshot_db() {
	"$PGBIN/pg_dump" --no-owner -d "$1" -f "$WORK/$1.sql"
	# COPY follows physical row order, which a restore changes: compare sorted lines.
	sed -E -e 's/[0-9]{4}-[0-9]{2}-[0-9]{2} [0-9:.]+\+00/TS/g' -e '/^\\(un)?restrict /d' "$WORK/$1.sql" | LC_ALL=C sort >"$WORK/$1.norm"
}

$PSQL -c 'DROP DATABASE IF EXISTS lc_base' -c 'CREATE DATABASE lc_base'
$PSQL -d lc_base -v n=500 -f test/fixtures/cowrie_v15.sql
$PSQL -d lc_base -c 'DROP SCHEMA fixture CASCADE'
for db in lc_fresh lc_upgraded lc_restored; do
	$PSQL -c "DROP DATABASE IF EXISTS $db"
done
$PSQL -c 'CREATE DATABASE lc_fresh TEMPLATE lc_base' -c 'CREATE DATABASE lc_upgraded TEMPLATE lc_base'

$PSQL -d lc_fresh -c 'CREATE EXTENSION cowrie_snapshot' 2>/dev/null
$PSQL -d lc_upgraded -c "CREATE EXTENSION cowrie_snapshot VERSION '1.0'" 2>/dev/null
v=$($PSQL -At -d lc_upgraded -c "SELECT extversion FROM pg_extension WHERE extname = 'cowrie_snapshot'")
[ "$v" = 1.0 ]; ok $? "base version 1.0 installs the functions only (extversion $v)"
[ -z "$($PSQL -At -d lc_upgraded -c "SELECT to_regclass('ip_inventory')")" ]; ok $? "1.0 does not migrate"
out=$($PSQL -At -d lc_upgraded -c '\set VERBOSITY verbose' -c 'SELECT cowrie_backfill()' 2>&1)
grep -q <<<"$out" 'ERROR:  55000: cowrie_snapshot: session_summaries has no snapshot columns yet' && grep -q <<<"$out" 'HINT:  Run the v16 migration first'
ok $? "cowrie_backfill before the migration: 55000 with a hint"
$PSQL -d lc_upgraded -c 'ALTER EXTENSION cowrie_snapshot UPDATE' 2>/dev/null; ok $? "ALTER EXTENSION cowrie_snapshot UPDATE migrates"
snapshot_db lc_fresh; snapshot_db lc_upgraded
diff -u "$WORK/lc_fresh.norm" "$WORK/lc_upgraded.norm" >"$WORK/fresh_vs_upgraded.diff"
ok $? "fresh install and upgraded install: identical schema and data"
[ -s "$WORK/fresh_vs_upgraded.diff" ] && head -n 30 "$WORK/fresh_vs_upgraded.diff" | cut -c1-200 | sed 's/^/# /'

grep -q 'CREATE TABLE public.ip_inventory' "$WORK/lc_fresh.sql"; ok $? "pg_dump contains ip_inventory's DDL"
grep -q 'COPY public.ip_inventory' "$WORK/lc_fresh.sql"; ok $? "pg_dump contains ip_inventory's rows"

# pg_restore: the extension is created before the tables exist, and migrates nothing.
"$PGBIN/pg_dump" -Fc -d lc_fresh -f "$WORK/lc_fresh.dump"
$PSQL -c 'CREATE DATABASE lc_restored'
"$PGBIN/pg_restore" --exit-on-error -d lc_restored "$WORK/lc_fresh.dump" 2>"$WORK/restore.err"; ok $? "pg_restore of a migrated database succeeds"
snapshot_db lc_restored
diff -u "$WORK/lc_fresh.norm" "$WORK/lc_restored.norm" >"$WORK/restored.diff"; ok $? "the restored database equals the original"
[ -s "$WORK/restored.diff" ] && head -n 30 "$WORK/restored.diff" | cut -c1-200 | sed 's/^/# /'
[ "$(snapshot_sum lc_fresh)" = "$(snapshot_sum lc_restored)" ]; ok $? "restored snapshots are the same rows"
out=$($PSQL -At -d lc_restored -c "INSERT INTO session_summaries (session_id, enrichment) SELECT 'restored-1', enrichment FROM session_summaries WHERE snapshot_country ~ '^[A-WYZ]' AND cowrie_extract_ip(enrichment) = source_ip ORDER BY session_id LIMIT 1 RETURNING snapshot_country IS NOT NULL")
[ "$out" = t ]; ok $? "the ingestion trigger works after the restore"

# DROP EXTENSION keeps all user data.
counts() { $PSQL -At -d "$1" -c "SELECT (SELECT count(*) FROM session_summaries) || '/' || (SELECT count(*) FROM ip_inventory) || '/' || (SELECT count(*) FROM asn_inventory) || '/' || (SELECT count(*) FROM pg_attribute WHERE attrelid = 'session_summaries'::regclass AND attnum > 0 AND NOT attisdropped) || '/' || (SELECT count(*) FROM session_summaries WHERE snapshot_country IS NOT NULL)"; }
before=$(counts lc_fresh)
$PSQL -d lc_fresh -c 'DROP EXTENSION cowrie_snapshot' 2>"$WORK/drop.err"; ok $? "DROP EXTENSION without CASCADE succeeds"
[ "$(counts lc_fresh)" = "$before" ]; ok $? "and keeps every table, column and row ($before)"
[ -z "$($PSQL -At -d lc_fresh -c "SELECT tgname FROM pg_trigger WHERE tgname = 'cowrie_session_snapshot'")" ]; ok $? "the trigger went with the extension"
$PSQL -d lc_fresh -c 'CREATE EXTENSION cowrie_snapshot' 2>/dev/null; ok $? "CREATE EXTENSION again on the migrated database (repair mode)"
[ "$(counts lc_fresh)" = "$before" ]; ok $? "changes no data"
$PSQL -d lc_fresh -c 'DROP EXTENSION cowrie_snapshot CASCADE' 2>/dev/null; ok $? "DROP EXTENSION CASCADE succeeds"
[ "$(counts lc_fresh)" = "$before" ]; ok $? "and keeps every table, column and row too"

for db in lc_base lc_fresh lc_upgraded lc_restored; do $PSQL -c "DROP DATABASE IF EXISTS $db"; done
echo "1..$n"
