#!/usr/bin/env bash
# Upstream data that violates a constraint the migration adds: the constraint
# is not added (a NOT VALID check would still fail every later write of such a
# row), no row is changed or dropped for it, and an INFO says so (a NOTICE is
# never shown inside CREATE EXTENSION); once the rows are corrected, the next
# cowrie_migrate() adds it.
# ip_inventory_session_count_check (an adopted ORM inventory with a negative
# session_count) and snapshot_country_iso (a database upstream migrated whose
# snapshot_country holds a value that is not an ISO code). Prints TAP; needs
# the suite's cluster.
cd "$(dirname "$0")/../.."
. test/lib/tap.sh
DBS="nv_inventory nv_country"
cleanup() {
	for db in $DBS; do $PSQL -d postgres -c "DROP DATABASE IF EXISTS $db" >/dev/null 2>&1; done
	rm -rf "$WORK"
}
trap cleanup EXIT
q() { $PSQL -At -d "$1" -c "$2"; }
VALID="SELECT convalidated FROM pg_constraint WHERE conname = "

for db in $DBS; do $PSQL -d postgres -c "DROP DATABASE IF EXISTS $db" -c "CREATE DATABASE $db" >/dev/null 2>&1; done

$PSQL -d nv_inventory -v n=500 -v orm_inventories=1 -f test/fixtures/cowrie_v15.sql >/dev/null 2>&1
# Two bad rows: one phase 3 has nothing to fill in, one whose types it fills
# (an update a NOT VALID check would have failed).
bad_ip=$(q nv_inventory "UPDATE ip_inventory SET session_count = -3, enrichment = '{}'
                         WHERE ip_address = (SELECT min(ip_address) FROM ip_inventory WHERE current_asn IS NOT NULL)
                         RETURNING ip_address" | tail -n 1)
# (The ORM table has no ip_types yet: phase 3 adds it empty, then fills it from the document.)
repaired_ip=$(q nv_inventory "UPDATE ip_inventory SET session_count = -1,
                enrichment = '{\"spur\": {\"client\": {\"types\": [\"MOBILE\"]}}}'
                WHERE ip_address = (SELECT max(ip_address COLLATE \"C\") FROM ip_inventory) RETURNING ip_address" | tail -n 1)
$PSQL -d nv_inventory -c 'CREATE EXTENSION cowrie_snapshot' >"$WORK/inventory.out" 2>&1
ok $? "a v15 database whose ORM ip_inventory has negative session_counts migrates, also where phase 3 fills a bad row's types"
grep -qF "INFO:  cowrie_snapshot: ip_inventory has negative session_count values; ip_inventory_session_count_check not added" "$WORK/inventory.out"
ok $? "  with an INFO (a NOTICE is not shown inside CREATE EXTENSION) that ip_inventory_session_count_check is not added"
[ "$(q nv_inventory "SELECT count(*) FROM pg_constraint WHERE conname = 'ip_inventory_session_count_check'")" = 0 ] &&
	[ -n "$repaired_ip" ] && [ "$(q nv_inventory "SELECT array_to_string(ip_types, ',') FROM ip_inventory WHERE ip_address = '$repaired_ip'")" = MOBILE ]
ok $? "  the constraint is not there, and the bad row phase 3 repaired has its type"
[ "$(q nv_inventory "SELECT session_count FROM ip_inventory WHERE ip_address = '$bad_ip'")" = -3 ]
ok $? "  the row keeps its value ($bad_ip: -3)"
q nv_inventory "UPDATE ip_inventory SET session_count = 0 WHERE session_count < 0" >/dev/null
q nv_inventory "SELECT cowrie_migrate()" >/dev/null 2>&1 &&
	[ "$(q nv_inventory "$VALID'ip_inventory_session_count_check' AND conrelid = 'ip_inventory'::regclass")" = t ]
ok $? "  once the rows are corrected, cowrie_migrate() adds it, validated"

$PSQL -d nv_country -v n=500 -f test/fixtures/cowrie_v15.sql >/dev/null 2>&1
$PSQL -d nv_country -f test/fixtures/upstream_v16.sql >/dev/null 2>&1
bad_session=$(q nv_country "ALTER TABLE session_summaries DROP CONSTRAINT snapshot_country_iso;
                            UPDATE session_summaries SET snapshot_country = 'us'
                            WHERE session_id = (SELECT min(session_id) FROM session_summaries WHERE snapshot_country IS NOT NULL)
                            RETURNING session_id" | tail -n 1)
$PSQL -d nv_country -c 'CREATE EXTENSION cowrie_snapshot' >"$WORK/country.out" 2>&1
ok $? "a database upstream migrated, with snapshot_country 'us' and no ISO check, migrates"
grep -qF "INFO:  cowrie_snapshot: session_summaries has snapshot_country values that are not ISO codes; snapshot_country_iso not added" "$WORK/country.out"
ok $? "  with an INFO that snapshot_country_iso is not added"
[ "$(q nv_country "SELECT count(*) FROM pg_constraint WHERE conname = 'snapshot_country_iso'")" = 0 ]
ok $? "  and the constraint is not there"
[ -n "$bad_session" ] && [ "$(q nv_country "SELECT snapshot_country FROM session_summaries WHERE session_id = '$bad_session'")" = us ]
ok $? "  the session keeps its value ($bad_session: us)"
q nv_country "UPDATE session_summaries SET snapshot_country = 'US' WHERE snapshot_country = 'us'" >/dev/null
q nv_country "SELECT cowrie_migrate()" >/dev/null 2>&1 &&
	[ "$(q nv_country "$VALID'snapshot_country_iso' AND conrelid = 'session_summaries'::regclass")" = t ]
ok $? "  once the session is corrected, cowrie_migrate() adds it, validated"
echo "1..$n"
