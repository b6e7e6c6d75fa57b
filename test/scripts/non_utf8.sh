#!/usr/bin/env bash
# A database that is not UTF-8 (LATIN1, SQL_ASCII) migrates and backfills like
# a UTF-8 one: CREATE EXTENSION used to abort in phase 2 on the U+FFFD that
# cowrie_jsonb_safe wrote for \u0000, which LATIN1 cannot hold. An escape the
# encoding cannot hold becomes U+FFFD where it can, else "?". Prints TAP;
# needs the suite's cluster.
cd "$(dirname "$0")/../.."
. test/lib/tap.sh
DBS="enc_utf8 enc_latin1 enc_ascii enc_latin1_deferred"
cleanup() {
	for db in $DBS; do $PSQL -d postgres -c "DROP DATABASE IF EXISTS $db" >/dev/null 2>&1; done
	rm -rf "$WORK"
}
trap cleanup EXIT
q() { $PSQL -At -d "$1" -c "$2"; }

# One session whose document has escapes of é, 中 and \u0000; it is its IP's
# latest, so its document is the inventory's.
EXTRA="INSERT INTO session_summaries (session_id, first_event_at, last_event_at, enrichment) VALUES
 ('escapes', '2030-01-01', '2030-01-01 00:10',
  '{\"dshield\": {\"ip\": {\"number\": \"9.9.9.9\"}}, \"maxmind\": {\"country\": \"CH\"}, \"note\": \"\\u00e9\\u4e2d\\u0000\"}')"
NOTE="SELECT encode(convert_to(enrichment->>'note', 'UTF8'), 'hex') FROM ip_inventory WHERE ip_address = '9.9.9.9'"

for spec in enc_utf8:UTF8 enc_latin1:LATIN1 enc_ascii:SQL_ASCII enc_latin1_deferred:LATIN1; do
	db=${spec%%:*} enc=${spec#*:}
	$PSQL -d postgres -c "DROP DATABASE IF EXISTS $db" \
		-c "CREATE DATABASE $db ENCODING '$enc' LC_COLLATE 'C' LC_CTYPE 'C' TEMPLATE template0" >/dev/null 2>&1
	$PSQL -d "$db" -v n=1000 -f test/fixtures/cowrie_v15.sql >/dev/null 2>&1
	$PSQL -d "$db" -c "$EXTRA" >/dev/null
done

for db in enc_utf8 enc_latin1 enc_ascii; do
	$PSQL -d "$db" -c 'CREATE EXTENSION cowrie_snapshot' >"$WORK/$db.out" 2>&1
	ok $? "$db ($(q "$db" 'SHOW server_encoding')): CREATE EXTENSION migrates the v15 fixture"
	grep -E '^(ERROR|DETAIL|CONTEXT)' "$WORK/$db.out" | grep -v 'rows:' | head -n 3 | sed 's/^/# /'
done
$PSQL -d enc_latin1_deferred -c 'SET cowrie_snapshot.defer_session_backfill = on' -c 'CREATE EXTENSION cowrie_snapshot' \
	-c 'CALL cowrie_backfill_commit(100)' >"$WORK/deferred.out" 2>&1
ok $? "enc_latin1_deferred: deferred mode, then CALL cowrie_backfill_commit(100)"

utf8=$(snapshot_sum enc_utf8)
[ -n "$utf8" ] && [ "$(snapshot_sum enc_latin1)" = "$utf8" ]; ok $? "LATIN1 gives the snapshots of UTF8, session for session"
[ -n "$utf8" ] && [ "$(snapshot_sum enc_ascii)" = "$utf8" ]; ok $? "SQL_ASCII gives the snapshots of UTF8"
[ -n "$utf8" ] && [ "$(snapshot_sum enc_latin1_deferred)" = "$utf8" ]; ok $? "LATIN1 deferred plus the backfill gives them too"
count="SELECT cowrie_migrate() -> 'counts' ->> 'sanitised_nul_escapes'"
[ "$(q enc_latin1 "$count" 2>/dev/null)" = "$(q enc_utf8 "$count" 2>/dev/null)" ]; ok $? "the same count of sanitised \\u0000 escapes"

[ "$(q enc_utf8 "$NOTE")" = c3a9e4b8adefbfbd ]; ok $? "UTF8: é and 中 kept, \\u0000 becomes U+FFFD"
[ "$(q enc_latin1 "$NOTE")" = c3a93f3f ]; ok $? "LATIN1: é kept, 中 and \\u0000 (no U+FFFD in LATIN1) become ?"
[ "$(q enc_ascii "$NOTE")" = 3f3f3f ]; ok $? "SQL_ASCII: every escape above U+007F becomes ?"
[ "$(q enc_latin1 "SELECT cowrie_jsonb_safe('{\"a\": \"\\u00ff\\u0100\\ud83d\\ude00\\ud800\"}'::json)->>'a' = convert_from('\\xff3f3f3f', 'LATIN1')")" = t ]
ok $? "LATIN1: U+00FF kept, U+0100, a surrogate pair and a lone surrogate become ?"
echo "1..$n"
