#!/usr/bin/env bash
# Production's road (test/fixtures/production_road.sql): a database upstream
# migrated to v16 (e980629, then its fix script, then v17) ends, after
# CREATE EXTENSION in default mode, or in deferred mode plus one ordinary
# backfill run (the same rows), at least as complete as the same data
# migrated from v15 by the extension (upstream's own per-session ASNs are
# kept, so more), the same source_ip coverage, the same snapshots where
# the inputs are the same, every source_ip canonical, what the extension wrote equal
# to cowrie_lookup_snapshots, upstream's valid values kept, every other
# column unchanged, upstream's legacy column carried and kept, non-canonical
# inventory keys kept and listed. Prints TAP; needs the suite's cluster.
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
	setup $? "$type: production's documents on a v15 database ($N sessions)"
	for db in road15 road16; do
		$PSQL -c "DROP DATABASE IF EXISTS ${db}_$type" -c "CREATE DATABASE ${db}_$type TEMPLATE $base" >/dev/null 2>&1
	done
	$PSQL -d road16_$type -v version=16 -f test/fixtures/production_road.sql >/dev/null 2>&1 &&
		$PSQL -c "DROP DATABASE IF EXISTS road17_$type" -c "CREATE DATABASE road17_$type TEMPLATE $base" >/dev/null 2>&1 &&
		$PSQL -d road17_$type -v shape=fixed -v version=17 -f test/fixtures/production_road.sql >/dev/null 2>&1
	setup $? "$type: upstream's road to v16 (e980629) and, after its fix script, to v17"
	nc=$(q road16_$type "SELECT count(*) FROM session_summaries WHERE source_ip !~ '^[0-9]{1,3}(\.[0-9]{1,3}){3}$' AND source_ip !~ '^[0-9a-f:]+$'")
	[ "${nc:-0}" -gt 0 ]; setup $? "$type: upstream left source_ip values that are not the canonical IP ($nc)"
	for db in road16 road17; do
		keep_before ${db}_$type
		$PSQL -c "DROP DATABASE IF EXISTS ${db}d_$type" -c "CREATE DATABASE ${db}d_$type TEMPLATE ${db}_$type" >/dev/null 2>&1
	done

	# The v15 road: the extension migrates the same data.
	$PSQL -d road15_$type -c 'DROP SCHEMA fixture CASCADE' -c 'CREATE EXTENSION cowrie_snapshot' >/dev/null 2>&1
	ok $? "$type: the v15 road: CREATE EXTENSION migrates"

	# Production's road, at v16 (e980629 shape) and v17 (fixed shape): default
	# mode, and deferred mode plus an ordinary backfill run (the function at
	# v16, the committing procedure at v17).
	for db in road16 road17; do
		$PSQL -d ${db}_$type -c 'DROP SCHEMA fixture CASCADE' -c 'CREATE EXTENSION cowrie_snapshot' >/dev/null 2>"$WORK/$db.err"
		ok $? "${db}_$type: CREATE EXTENSION verifies and repairs" || grep -E "ERROR|CONTEXT" "$WORK/$db.err" | note
		run=$([ $db = road16 ] && echo 'SELECT cowrie_backfill(1000)' || echo 'CALL cowrie_backfill_commit(1000)')
		$PSQL -d ${db}d_$type -c 'DROP SCHEMA fixture CASCADE' -c 'SET cowrie_snapshot.defer_session_backfill = on' \
			-c 'CREATE EXTENSION cowrie_snapshot' -c "$run" >/dev/null 2>"$WORK/${db}d.err"
		ok $? "${db}d_$type: deferred CREATE EXTENSION, then $run" || grep -E "ERROR|CONTEXT" "$WORK/${db}d.err" | note
		grep -q 'sessions, done' "$WORK/${db}d.err"; ok $? "${db}d_$type: the run says done"
		grep -q 'walking every session the rule may still add to' "$WORK/${db}d.err" &&
			[ "$(q ${db}d_$type "SELECT count(*) FROM cowrie_inventory_queue WHERE ip = '*'")" = 0 ]
		ok $? "${db}d_$type: the deferred repair queued one walk over every session with the wider predicate, and the run answered it"
		# The completion phase, not a retry run, gives upstream's sessions their types and ASNs.
		sums=$(for d in ${db}_$type ${db}d_$type; do q $d "SELECT md5(string_agg(concat_ws('|', session_id, source_ip, snapshot_asn,
			snapshot_country, snapshot_ip_type, enrichment_at), ',' ORDER BY session_id)) FROM session_summaries"; done | sort -u | wc -l)
		[ "$sums" = 1 ]; ok $? "${db}d_$type: deferred mode plus one ordinary run gives the rows of default mode"
		[ "$(q ${db}d_$type 'SELECT cowrie_backfill(1000)' 2>/dev/null)" = 0 ]
		ok $? "${db}d_$type: a second ordinary run finds nothing to do"
		left=$(q ${db}d_$type 'SELECT cowrie_backfill(1000, retry_unenrichable => true)' 2>/dev/null)
		[ "$left" = 0 ]; ok $? "${db}d_$type: a retry run finds nothing left either ($left)"
	done

	# The v15 road's rows, and the md5 of the inventory document each session's
	# IP has there, beside each database of production's road.
	$PSQL -d road15_$type -c "COPY (SELECT s.session_id, s.source_ip, s.snapshot_asn, s.snapshot_country, s.snapshot_ip_type,
		md5(i.enrichment::jsonb::text) FROM session_summaries s LEFT JOIN ip_inventory i ON i.ip_address = s.source_ip) TO STDOUT" >"$WORK/v15.tsv"
	for d in road16_$type road16d_$type road17_$type road17d_$type; do
		$PSQL -d $d -c "CREATE TABLE road_check.v15 (session_id text, source_ip text, snapshot_asn integer, snapshot_country text,
			snapshot_ip_type text, inventory_md5 text)" -c "\\copy road_check.v15 FROM '$WORK/v15.tsv'" >/dev/null
	done
	for d in road16_$type road16d_$type road17_$type road17d_$type; do
		a=$(pct road15_$type with_source_ip); b=$(pct $d with_source_ip)
		awk -v a="$a" -v b="$b" 'BEGIN { exit !(a != "" && b != "" && b >= a - 0.5 && b <= a + 0.5) }'
		ok $? "$d: with_source_ip $b %, the v15 road's $a % within 0.5 points"
		# Upstream's valid per-session country and ASN are kept, and its
		# inventory documents are upstream's "latest" (B14: NULL timestamps
		# first), which name other types: so coverage is at least the v15
		# road's, and equal where the inputs are equal (below).
		for m in with_snapshot_ip_type with_snapshot_asn with_snapshot_country; do
			a=$(pct road15_$type $m); b=$(pct $d $m)
			awk -v a="$a" -v b="$b" 'BEGIN { exit !(a != "" && b != "" && b >= a - 0.5) }'
			ok $? "$d: $m $b %, at least the v15 road's $a % (0.5 points of tolerance)"
		done
		# Same inputs, same outputs: where both roads give a session the same
		# source_ip and that IP the same inventory document, what the extension
		# wrote equals the v15 road's (the type always; the ASN and country where
		# upstream had left them NULL or invalid).
		same=$(q $d "SELECT count(*) || ' ' || count(*) FILTER (WHERE s.snapshot_ip_type IS DISTINCT FROM v.snapshot_ip_type
			    OR (b.snapshot_asn IS NULL AND s.snapshot_asn IS DISTINCT FROM v.snapshot_asn)
			    OR (b.snapshot_country !~ '^[A-Z]{2}\$' OR b.snapshot_country IS NULL) AND s.snapshot_country::text IS DISTINCT FROM v.snapshot_country)
			FROM session_summaries s JOIN road_check.before b USING (session_id) JOIN road_check.v15 v USING (session_id)
			JOIN ip_inventory i ON i.ip_address = s.source_ip
			WHERE s.source_ip = v.source_ip AND md5(i.enrichment::jsonb::text) = v.inventory_md5")
		[ "${same% *}" -gt $((N / 2)) ] && [ "${same#* }" = 0 ]
		ok $? "$d: where the inputs are the v15 road's, so are the snapshots (${same% *} sessions, ${same#* } differ)"
		q $d "SELECT 'unlike the v15 road: source_ip ' || count(*) FILTER (WHERE s.source_ip IS DISTINCT FROM v.source_ip)
			|| ' (upstream''s valid dshield IP), inventory document ' || count(*) FILTER (WHERE s.source_ip = v.source_ip
				AND md5(i.enrichment::jsonb::text) IS DISTINCT FROM v.inventory_md5)
			|| ' (upstream''s latest), upstream''s own ASN ' || count(*) FILTER (WHERE v.snapshot_asn IS NULL AND b.snapshot_asn IS NOT NULL)
			FROM session_summaries s JOIN road_check.before b USING (session_id) JOIN road_check.v15 v USING (session_id)
			LEFT JOIN ip_inventory i ON i.ip_address = s.source_ip" | note
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
		grep -q '"inventory_rows_not_canonical": [1-9]' "$WORK/road16.err" && grep -q '"inventory_asn_filled": [1-9]' "$WORK/road16.err"
	ok $? "$type: the summary counts the respelled and non-IP source_ip values, the non-canonical inventory keys and the inventory ASNs filled"
	grep -E 'source_ip_|not_canonical|legacy' "$WORK/road16.err" | grep -oE '"(source_ip_[a-z_]+|inventory_rows_not_canonical|inventory_asn_filled|legacy_[a-z_]+)": [0-9]+' | tr '\n' ' ' | note
done
for type in json jsonb; do
	for db in road_base road15 road16 road16d road17 road17d; do $PSQL -c "DROP DATABASE IF EXISTS ${db}_$type" >/dev/null 2>&1; done
done
echo "1..$n"
