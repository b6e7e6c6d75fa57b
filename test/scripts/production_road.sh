#!/usr/bin/env bash
# Production's road (test/fixtures/production_road.sql): a database upstream
# migrated to v16 (e980629, then its fix script, then v17) ends, after
# CREATE EXTENSION (default mode, or deferred plus the backfill), as complete
# as the same data migrated from v15 by the extension: the same source_ip,
# IP-type and ASN coverage (within 0.5 points), every source_ip canonical,
# what the extension wrote equal to cowrie_lookup_snapshots, upstream's valid
# values kept, every other column unchanged, upstream's legacy column carried
# and kept, non-canonical inventory keys kept and listed. Prints TAP; needs
# the suite's cluster.
cd "$(dirname "$0")/../.."
. test/lib/tap.sh
N=${ROAD_N:-5000}
q() { $PSQL -At -d "$1" -c "$2"; }
note() { sed 's/^/# /' | cut -c1-200; }
pct() { q "$1" "SELECT percent FROM cowrie_snapshot_coverage() WHERE metric = '$2'"; }

# The session columns before the migration, kept in the same database.
keep_before() {
	$PSQL -d "$1" -c "CREATE SCHEMA road_check" -c "CREATE TABLE road_check.before AS
		SELECT session_id, source_ip::text AS source_ip, snapshot_asn, snapshot_country::text AS snapshot_country,
		       $(q "$1" "SELECT CASE WHEN EXISTS (SELECT FROM pg_attribute WHERE attrelid = 'session_summaries'::regclass
		                 AND attname = 'snapshot_ip_type' AND NOT attisdropped) THEN 'snapshot_ip_type' ELSE 'NULL::text' END") AS snapshot_ip_type,
		       enrichment_at,
		       md5((to_jsonb(s) - ARRAY['source_ip', 'snapshot_asn', 'snapshot_country', 'snapshot_ip_type', 'enrichment_at'])::text) AS others
		FROM session_summaries s" >/dev/null
}

for type in json jsonb; do
	base=road_base_$type
	$PSQL -c "DROP DATABASE IF EXISTS $base" -c "CREATE DATABASE $base" >/dev/null 2>&1
	$PSQL -d $base -v n=$N -v enrichment_type=$type -f test/fixtures/cowrie_v15.sql >/dev/null 2>&1
	$PSQL -d $base -v version=15 -f test/fixtures/production_road.sql >/dev/null 2>"$WORK/base.err"
	ok $? "$type: production's documents on a v15 database ($N sessions)"
	for db in road15 road16 road17; do
		$PSQL -c "DROP DATABASE IF EXISTS ${db}_$type" -c "CREATE DATABASE ${db}_$type TEMPLATE $base" >/dev/null 2>&1
	done
	$PSQL -d road16_$type -v version=16 -f test/fixtures/production_road.sql >/dev/null 2>&1 &&
		$PSQL -d road17_$type -v shape=fixed -v version=17 -f test/fixtures/production_road.sql >/dev/null 2>&1
	ok $? "$type: upstream's road to v16 (e980629) and, after its fix script, to v17"
	nc=$(q road16_$type "SELECT count(*) FROM session_summaries WHERE source_ip !~ '^[0-9]{1,3}(\.[0-9]{1,3}){3}$' AND source_ip !~ '^[0-9a-f:]+$'")
	[ "${nc:-0}" -gt 0 ]; ok $? "$type: upstream left source_ip values that are not the canonical IP ($nc)"
	for db in road16 road17; do keep_before ${db}_$type; done

	# The v15 road: the extension migrates the same data.
	$PSQL -d road15_$type -c 'DROP SCHEMA fixture CASCADE' -c 'CREATE EXTENSION cowrie_snapshot' >/dev/null 2>&1
	ok $? "$type: the v15 road: CREATE EXTENSION migrates"

	# Production's road: default mode at v16 (e980629 shape), deferred plus the backfill at v17.
	$PSQL -d road16_$type -c 'DROP SCHEMA fixture CASCADE' -c 'CREATE EXTENSION cowrie_snapshot' >/dev/null 2>"$WORK/road16.err"
	ok $? "$type: v16 (e980629): CREATE EXTENSION verifies and repairs" || grep -E "ERROR|CONTEXT" "$WORK/road16.err" | note
	$PSQL -d road17_$type -c 'DROP SCHEMA fixture CASCADE' -c 'SET cowrie_snapshot.defer_session_backfill = on' \
		-c 'CREATE EXTENSION cowrie_snapshot' -c 'SELECT cowrie_backfill(1000)' >/dev/null 2>"$WORK/road17.err"
	ok $? "$type: v17 (fixed shape): deferred CREATE EXTENSION, then SELECT cowrie_backfill(1000)" ||
		grep -E "ERROR|CONTEXT" "$WORK/road17.err" | note
	# The retry run completes upstream's sessions: types, ASNs, canonical source_ip.
	$PSQL -d road17_$type -c 'SELECT cowrie_backfill(1000, retry_unenrichable => true)' >/dev/null 2>>"$WORK/road17.err"
	ok $? "$type: v17: then once with retry_unenrichable"

	for db in road16 road17; do
		d=${db}_$type
		for m in with_source_ip with_snapshot_ip_type with_snapshot_asn with_snapshot_country; do
			a=$(pct road15_$type $m); b=$(pct $d $m)
			awk -v a="$a" -v b="$b" 'BEGIN { exit !(a != "" && b != "" && b >= a - 0.5) }'
			ok $? "$d: $m $b %, at least the v15 road's $a % (0.5 points of tolerance)"
		done
		[ "$(q $d "SELECT count(*) FROM session_summaries WHERE source_ip IS NOT NULL AND cowrie_normalize_ip(source_ip::text) IS DISTINCT FROM source_ip::text")" = 0 ]
		ok $? "$d: every source_ip is a canonical IP"
		# What the extension wrote (columns NULL before) is what the lookup gives.
		bad=$(q $d "SELECT count(*) FROM session_summaries s JOIN road_check.before b USING (session_id)
			LEFT JOIN LATERAL cowrie_lookup_snapshots(ARRAY[s.source_ip::text]) l ON true
			WHERE s.source_ip IS NOT NULL AND l.ip_address IS NOT NULL AND s.snapshot_country <> 'XX'
			  AND ((b.snapshot_asn IS NULL AND s.snapshot_asn IS DISTINCT FROM l.snapshot_asn)
			    OR (b.snapshot_country IS NULL AND s.snapshot_country IS DISTINCT FROM l.snapshot_country)
			    OR (b.snapshot_ip_type IS NULL AND s.snapshot_ip_type IS DISTINCT FROM l.snapshot_ip_type))")
		[ "$bad" = 0 ]; ok $? "$d: every snapshot value the extension wrote equals cowrie_lookup_snapshots(source_ip) ($bad differ)"
		kept=$(q $d "SELECT count(*) FILTER (WHERE b.snapshot_country ~ '^[A-Z]{2}$' AND s.snapshot_country::text IS DISTINCT FROM b.snapshot_country)
			+ count(*) FILTER (WHERE b.snapshot_asn > 0 AND s.snapshot_asn IS DISTINCT FROM b.snapshot_asn)
			+ count(*) FILTER (WHERE b.enrichment_at IS NOT NULL AND s.enrichment_at IS DISTINCT FROM b.enrichment_at)
			FROM session_summaries s JOIN road_check.before b USING (session_id)")
		[ "$kept" = 0 ]; ok $? "$d: upstream's valid country, ASN and enrichment_at are kept ($kept changed)"
		others=$(q $d "SELECT count(*) FROM session_summaries s JOIN road_check.before b USING (session_id)
			WHERE md5((to_jsonb(s) - ARRAY['source_ip', 'snapshot_asn', 'snapshot_country', 'snapshot_ip_type', 'enrichment_at'])::text) <> b.others")
		[ "$others" = 0 ]; ok $? "$d: every other column is unchanged, updated_at included ($others rows differ)"
		nc=$(q $d "SELECT count(*) || '/' || count(*) FILTER (WHERE referencing_sessions = 0) FROM cowrie_noncanonical_inventory()")
		[ "${nc%/*}" -gt 0 ] && [ "${nc%/*}" = "${nc#*/}" ]
		ok $? "$d: non-canonical inventory keys are kept and no longer referenced ($nc)"
	done
	grep -q 'legacy column snapshot_ip_types' "$WORK/road16.err" && grep -q 'DROP COLUMN snapshot_ip_types' "$WORK/road16.err" &&
		[ "$(q road16_$type "SELECT count(*) FROM pg_attribute WHERE attrelid = 'session_summaries'::regclass AND attname = 'snapshot_ip_types' AND NOT attisdropped")" = 1 ]
	ok $? "$type: e980629's snapshot_ip_types is kept and reported, with the DROP COLUMN as hint"
	grep -q '"source_ip_respelled": [1-9]' "$WORK/road16.err" && grep -q '"source_ip_not_an_ip": [1-9]' "$WORK/road16.err" &&
		grep -q '"inventory_rows_not_canonical": [1-9]' "$WORK/road16.err"
	ok $? "$type: the summary counts the respelled and non-IP source_ip values and the non-canonical inventory keys"
	grep -E 'source_ip_|not_canonical|legacy' "$WORK/road16.err" | grep -oE '"(source_ip_[a-z_]+|inventory_rows_not_canonical|legacy_[a-z_]+)": [0-9]+' | tr '\n' ' ' | note
done
for type in json jsonb; do
	for db in road_base road15 road16 road17; do $PSQL -c "DROP DATABASE IF EXISTS ${db}_$type" >/dev/null 2>&1; done
done
echo "1..$n"
