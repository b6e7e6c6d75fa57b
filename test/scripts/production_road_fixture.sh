#!/usr/bin/env bash
# test/fixtures/production_road.sql at 20,000 sessions, json and jsonb, in each
# shape (e980629 v16, after the fix script, each taken on to v17): the figures
# of production-road.md's table, upstream's rules on every row, every other
# column unchanged (checksums against the database each step came from), the
# column set of each shape. Needs no extension. Prints TAP. Needs the
# suite's cluster (PGHOST...). ROAD_FIXTURE_N (default 20000) for a quicker
# run: the rates scale, so the targets are production-road.md's times
# N / 20,000, the tolerances wider by sqrt(20,000 / N) (fewer IPs, more noise).
cd "$(dirname "$0")/../.."
. test/lib/tap.sh
export PGTZ=UTC
N=${ROAD_FIXTURE_N:-20000}
T0=$(date +%s.%N)
F=test/fixtures
q() { $PSQL -At -d "$1" -c "$2"; }
drop_all() { for db in "$@"; do $PSQL -c "DROP DATABASE IF EXISTS $db" 2>/dev/null; done; }
secs() { awk -v a="$1" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }'; }

# within DESC ACTUAL TARGET_AT_20000 TOLERANCE_PERCENT
within() {
	local t=$(( $3 * N / 20000 )) p
	p=$(awk -v p="$4" -v n="$N" 'BEGIN { printf "%.3g", (n >= 20000 ? p : p * sqrt(20000 / n)) }')
	awk -v a="$2" -v t="$t" -v p="$p" 'BEGIN { d = a - t; if (d < 0) d = -d; exit !(a != "" && d <= t * p / 100) }'
	ok $? "$1: $2 (production-road.md $3$( [ "$N" = 20000 ] || echo ", $t at $N"), within $p%)"
}

# Checksums of every column of every public table, as REF has them, taken in
# REF and in DB; SKIP: a regexp of table or table.column to leave out.
same_columns() { # same_columns DESC REF DB SKIP
	$PSQL -At -d "$2" -v skip="$4" >"$WORK/sums.sql" <<-'EOF'
		SELECT format('SELECT %L, md5(coalesce(string_agg(md5(r::text), '''' ORDER BY md5(r::text)), '''')) FROM (SELECT %s FROM public.%I) r;',
		              c.relname || '(' || string_agg(a.attname, ',' ORDER BY a.attnum) || ')',
		              string_agg(quote_ident(a.attname), ', ' ORDER BY a.attnum), c.relname)
		FROM pg_class c JOIN pg_attribute a ON a.attrelid = c.oid
		WHERE c.relnamespace = 'public'::regnamespace AND c.relkind = 'r' AND a.attnum > 0 AND NOT a.attisdropped
		  AND c.relname !~ :'skip' AND c.relname || '.' || a.attname !~ :'skip'
		GROUP BY c.relname ORDER BY c.relname
	EOF
	$PSQL -At -d "$2" -f "$WORK/sums.sql" >"$WORK/ref.sums"
	$PSQL -At -d "$3" -f "$WORK/sums.sql" >"$WORK/db.sums"
	[ -s "$WORK/ref.sums" ] && diff "$WORK/ref.sums" "$WORK/db.sums" >"$WORK/sums.diff"
	ok $? "$1 ($(wc -l <"$WORK/ref.sums") tables)"
	sed 's/^/# /' "$WORK/sums.diff" | cut -c1-200 | head -n 10
}

# The documents of BASE and ROAD (production_road.sql version=15 on a copy):
# what the patch does not name is unchanged.
same_members() { # same_members BASE ROAD DESC
	$PSQL -At -d $1 -c "COPY (SELECT session_id, enrichment FROM session_summaries) TO STDOUT" >"$WORK/base_docs.tsv"
	cat >"$WORK/members.sql" <<-'EOF'
		CREATE TEMP TABLE b (session_id text, enrichment text);
		\copy b FROM pstdin
		-- an empty patch (and no \u0000 removed): the same text; else the top-level
		-- members the patch does not name: the same, in the same order (json: same text)
		SELECT count(*) FILTER (WHERE CASE
		    WHEN r.patch = '{}' AND NOT r.nul_removed THEN s.enrichment::text IS DISTINCT FROM b.enrichment
		    WHEN b.enrichment IS NULL THEN false
		    ELSE (SELECT array_agg(o.key || '=' || o.value::text ORDER BY o.n)
		          FROM json_each(replace(b.enrichment, '\u0000', '')::json) WITH ORDINALITY o(key, value, n) WHERE NOT r.patch ? o.key)
		         IS DISTINCT FROM
		         (SELECT array_agg(o.key || '=' || o.value::text ORDER BY o.n)
		          FROM json_each(s.enrichment::json) WITH ORDINALITY o(key, value, n) WHERE NOT r.patch ? o.key) END)
		FROM session_summaries s JOIN b USING (session_id) JOIN fixture.road_session r USING (session_id);
	EOF
	out=$($PSQL -At -d $2 -f "$WORK/members.sql" <"$WORK/base_docs.tsv")
	out=${out##*$'\n'}
	[ "$out" = 0 ]; ok $? "$3: documents keep every member their patch does not name, json text and order included ($out differ)"
}

columns() { q "$1" "SELECT string_agg(attname || ' ' || format_type(atttypid, atttypmod), ', ' ORDER BY attnum) FROM pg_attribute
                    WHERE attrelid = 'public.$2'::regclass AND attnum > 0 AND NOT attisdropped"; }
V15_COLUMNS='session_id character varying(64), first_event_at timestamp with time zone, last_event_at timestamp with time zone, event_count integer, command_count integer, file_downloads integer, login_attempts integer, ssh_key_injections integer, unique_ssh_keys integer, vt_flagged boolean, dshield_flagged boolean, risk_score integer, matcher character varying(32), source_files json, enrichment ETYPE, created_at timestamp with time zone, updated_at timestamp with time zone'
V16_COLUMNS='source_ip character varying(45), enrichment_at timestamp with time zone, snapshot_asn integer, snapshot_country character varying(2)'
V17_COLUMNS='ssh_key_fingerprint character varying(128), password_hash character varying(64), command_signature text'
IP_INVENTORY_COLUMNS='ip_address character varying(45), current_asn integer, asn_last_verified timestamp with time zone, first_seen timestamp with time zone, last_seen timestamp with time zone, session_count integer, enrichment jsonb, enrichment_updated_at timestamp with time zone, enrichment_version character varying(20), geo_country character varying(2), ip_types text[], is_scanner boolean, is_bogon boolean, created_at timestamp with time zone, updated_at timestamp with time zone'
ASN_INVENTORY_COLUMNS='asn_number integer, organization_name text, organization_country character varying(2), rir_registry character varying(10), asn_type text, is_known_hosting boolean, is_known_vpn boolean, first_seen timestamp with time zone, last_seen timestamp with time zone, unique_ip_count integer, total_session_count integer, enrichment json, enrichment_updated_at timestamp with time zone, created_at timestamp with time zone, updated_at timestamp with time zone'

# The figures of production-road.md's table, one line.
FIGURES=$(cat <<-'EOF'
	CREATE FUNCTION pg_temp.canon(t text) RETURNS text LANGUAGE plpgsql IMMUTABLE STRICT AS $$
	BEGIN RETURN host(t::inet); EXCEPTION WHEN invalid_text_representation THEN RETURN NULL; END $$;
	SELECT count(source_ip), count(*) FILTER (WHERE source_ip IS DISTINCT FROM pg_temp.canon(source_ip) AND source_ip IS NOT NULL),
	       count(*) FILTER (WHERE source_ip IS NULL),
	       count(*) FILTER (WHERE source_ip IS NULL AND (jsonb_typeof(d -> 'session_metadata' -> 'source_ip') = 'string'
	                                                     OR jsonb_typeof(d -> 'session') = 'object' AND d -> 'session' <> '{}')),
	       (SELECT count(*) FROM ip_inventory), (SELECT count(*) FROM ip_inventory WHERE ip_address IS DISTINCT FROM pg_temp.canon(ip_address)),
	       count(snapshot_country), count(snapshot_asn),
	       count(*) FILTER (WHERE source_ip IS NULL AND snapshot_country IS NOT NULL)
	FROM session_summaries CROSS JOIN LATERAL (SELECT enrichment::jsonb AS d) x
EOF
)

# Upstream's rules on every row: each count must be 0.
RULES=$(cat <<-'EOF'
	SELECT concat_ws(' ',
	  'raw_copy=' || count(*) FILTER (WHERE source_ip IS DISTINCT FROM d -> 'dshield' -> 'ip' ->> 'number'),
	  'asn=' || count(*) FILTER (WHERE snapshot_asn IS DISTINCT FROM (d -> 'cymru' ->> 'asn')::int),
	  'country=' || count(*) FILTER (WHERE snapshot_country IS DISTINCT FROM
	                                   upper(coalesce(d -> 'maxmind' ->> 'country', d -> 'cymru' ->> 'country'))),
	  'enrichment_at=' || count(*) FILTER (WHERE enrichment_at IS NULL OR enrichment_at IS DISTINCT FROM
	                                   coalesce((d ->> 'enriched_at')::timestamptz, created_at, last_event_at)),
	  'inventory_keys=' || (SELECT count(*) FROM (SELECT DISTINCT source_ip FROM session_summaries WHERE source_ip IS NOT NULL) s
	                        FULL JOIN ip_inventory i ON i.ip_address = s.source_ip WHERE s.source_ip IS NULL OR i.ip_address IS NULL),
	  'ip_types=' || (SELECT count(*) FROM ip_inventory WHERE ip_types IS DISTINCT FROM '{}'),
	  'inventory_rows=' || (SELECT count(*) FROM ip_inventory i JOIN (
	        SELECT DISTINCT ON (source_ip) source_ip, enrichment::jsonb AS doc, (enrichment -> 'cymru' ->> 'asn')::int AS asn,
	               count(*) OVER w AS n, min(first_event_at) OVER w AS first_seen, max(last_event_at) OVER w AS last_seen
	        FROM session_summaries WHERE source_ip IS NOT NULL
	        WINDOW w AS (PARTITION BY source_ip) ORDER BY source_ip, last_event_at DESC, session_id) l ON l.source_ip = i.ip_address
	     WHERE (i.enrichment, i.current_asn, i.session_count, i.first_seen, i.last_seen, i.enrichment_updated_at)
	           IS DISTINCT FROM (l.doc, l.asn, l.n::int, l.first_seen, l.last_seen, NULL::timestamptz)),
	  'asn_rows=' || (SELECT count(*) FROM asn_inventory a FULL JOIN (
	        SELECT g.*, l.doc FROM (
	            SELECT (enrichment -> 'cymru' ->> 'asn')::int AS asn, count(*) AS n, count(DISTINCT source_ip) AS ips,
	                   min(first_event_at) AS first_seen, max(last_event_at) AS last_seen
	            FROM session_summaries WHERE (enrichment -> 'cymru' ->> 'asn')::int > 0 GROUP BY 1) g
	        JOIN (SELECT DISTINCT ON ((enrichment -> 'cymru' ->> 'asn')::int) (enrichment -> 'cymru' ->> 'asn')::int AS asn, enrichment::jsonb AS doc
	              FROM session_summaries WHERE (enrichment -> 'cymru' ->> 'asn')::int > 0
	              ORDER BY 1, last_event_at DESC, session_id) l USING (asn)) x ON x.asn = a.asn_number
	     WHERE (a.total_session_count, a.unique_ip_count, a.first_seen, a.last_seen, a.enrichment::jsonb, a.enrichment_updated_at)
	           IS DISTINCT FROM (x.n::int, x.ips::int, x.first_seen, x.last_seen, x.doc, NULL::timestamptz)),
	  'constraints=' || 3 - (SELECT count(*) FROM pg_constraint WHERE convalidated AND
	                         conname IN ('fk_session_source_ip', 'fk_ip_current_asn', 'snapshot_country_iso')))
	FROM session_summaries CROSS JOIN LATERAL (SELECT enrichment::jsonb AS d OFFSET 0) x
EOF
)
RULES_OK='raw_copy=0 asn=0 country=0 enrichment_at=0 inventory_keys=0 ip_types=0 inventory_rows=0 asn_rows=0 constraints=0'

# Production's kinds of non-canonical source_ip (production-road.md), each present.
KINDS="SELECT string_agg(k, ' ' ORDER BY k) FROM (VALUES ('N/A', '^N/A\$'), ('not-an-ip', '^not-an-ip\$'), ('256', '^256\\.'),
         ('list', '^\\[\"'), ('object', '^\\{\"ip\": '), ('port', ':2222\$'), ('/32', '/32\$'), ('%eth0', '%eth0\$'),
         ('leading_zero', '^0[0-9]'), ('space', '^ | \$'), ('tab', '^\t|\t\$'), ('upper_v6', ':.*[A-F]|[A-F].*:'),
         ('expanded_v6', '^([0-9a-fA-F]{4}:){7}[0-9a-fA-F]{4}\$|^0:0:0:0:0:')) AS v(k, re)
       WHERE NOT EXISTS (SELECT FROM session_summaries WHERE source_ip ~ v.re)"

for et in json jsonb; do
	base=pr_${et}_base road=pr_${et}_v15 e16=pr_${et}_e16 e17=pr_${et}_e17 f16=pr_${et}_f16 f17=pr_${et}_f17
	drop_all $base $road $e16 $e17 $f16 $f17
	$PSQL -c "CREATE DATABASE $base"
	t=$(date +%s.%N)
	$PSQL -d $base -v n=$N -v enrichment_type=$et -f $F/cowrie_v15.sql; setup $? "$et: cowrie_v15.sql, $N sessions ($(secs $t) s)"
	$PSQL -c "CREATE DATABASE $road TEMPLATE $base"
	t=$(date +%s.%N)
	$PSQL -d $road -v version=15 -f $F/production_road.sql; setup $? "$et: production's documents, version=15 ($(secs $t) s)"
	$PSQL -c "CREATE DATABASE $e16 TEMPLATE $road"
	t=$(date +%s.%N)
	$PSQL -d $e16 -f $F/production_road.sql; setup $? "$et: e980629's v16 on them, unguarded ($(secs $t) s)"
	$PSQL -c "CREATE DATABASE $f16 TEMPLATE $e16" -c "CREATE DATABASE $e17 TEMPLATE $e16"
	t=$(date +%s.%N)
	$PSQL -d $f16 -v shape=fixed -f $F/production_road.sql; setup $? "$et: the fix script ($(secs $t) s)"
	$PSQL -c "CREATE DATABASE $f17 TEMPLATE $f16"
	$PSQL -d $e17 -v version=17 -f $F/production_road.sql; setup $? "$et: e980629 shape on to v17"
	$PSQL -d $f17 -v shape=fixed -v version=17 -f $F/production_road.sql; setup $? "$et: fixed shape on to v17"

	# Production's documents: only enrichment changed, and only what the patch names.
	same_columns "$et: production's documents change no other column" $base $road '^session_summaries\.enrichment$'
	[ "$(q $road "SELECT value FROM schema_state WHERE key = 'schema_version'")" = 15 ]; ok $? "$et: version=15 stays at 15"
	out=$(q $road "SELECT count(*) FROM session_summaries") && [ "$out" = $N ]; setup $? "$et: every session kept ($out)"
	echo "# $et: $(q $road "SELECT count(*) FILTER (WHERE patch <> '{}') || ' of ' || count(*) || ' documents patched; roads: ' || (SELECT string_agg(road || ' ' || c, ', ' ORDER BY road) FROM (SELECT road, count(*) c FROM fixture.road_session GROUP BY road) x) FROM fixture.road_session")"

	# e980629's v16: production-road.md's table.
	read -r set noncanon null named inv invnc country asn nullcountry <<<"$(q $e16 "$FIGURES" | tail -n 1 | tr '|' ' ')"
	echo "# $et e980629 v16: source_ip $set, non-canonical $noncanon, NULL $null ($named name an IP elsewhere, $nullcountry of them with a country), inventory $inv ($invnc non-canonical), snapshot_country $country, snapshot_asn $asn"
	[ "$et" = json ] && json_figures="$set $noncanon $null $named $inv $invnc $country $asn"
	within "$et: source_ip set" "$set" 19572 0.5
	within "$et: source_ip not canonical" "$noncanon" 514 10
	within "$et: source_ip NULL" "$null" 428 10
	within "$et: NULL but the documents name an IP" "$named" 374 10
	within "$et: ip_inventory rows" "$inv" 2159 3
	within "$et: ip_inventory keys not canonical" "$invnc" 183 10
	within "$et: snapshot_country" "$country" 18371 1
	within "$et: snapshot_asn" "$asn" 18801 1
	[ "$nullcountry" -gt $((null / 2)) ]; ok $? "$et: most sessions without source_ip still have upstream's country ($nullcountry of $null)"
	out=$(q $e16 "$KINDS"); [ -z "$out" ] || [ "$N" -lt 20000 ]
	ok $? "$et: every kind of non-canonical source_ip production-road.md names is there${out:+ (missing: $out)}$( [ "$N" -ge 20000 ] || echo ' # SKIP below 20,000 sessions')"
	out=$(q $e16 "$RULES"); [ "$out" = "$RULES_OK" ]; ok $? "$et: e980629's rules hold on every row ($out)"
	out=$(q $e16 "SELECT count(*) FILTER (WHERE snapshot_ip_types IS NOT NULL) || ' ' || (SELECT value FROM schema_state WHERE key = 'schema_version') FROM session_summaries")
	[ "$out" = "0 16" ]; ok $? "$et: snapshot_ip_types all NULL, schema_version 16 ($out)"
	[ "$(columns $e16 session_summaries)" = "${V15_COLUMNS/ETYPE/$et}, $V16_COLUMNS, snapshot_ip_types text[]" ]; ok $? "$et e980629 v16: session_summaries columns"
	[ "$(columns $e16 ip_inventory)" = "$IP_INVENTORY_COLUMNS" ]; ok $? "$et: ip_inventory recreated in migration shape"
	[ "$(columns $e16 asn_inventory)" = "$ASN_INVENTORY_COLUMNS" ]; ok $? "$et: asn_inventory in ORM shape (create_all)"
	out=$(q $e16 "SELECT string_agg(indexname, ' ' ORDER BY indexname) FROM pg_indexes WHERE tablename = 'session_summaries' AND indexname LIKE 'idx_%'")
	[ "$out" = "idx_session_first_event_brin idx_session_last_event_brin idx_session_snapshot_asn idx_session_snapshot_country idx_session_source_ip" ]
	ok $? "$et: e980629's session indexes ($out)"
	same_columns "$et e980629 v16: every v15 column unchanged" $road $e16 '^(schema_state|fixture)$'

	# The fix script and v17.
	[ "$(columns $f16 session_summaries)" = "${V15_COLUMNS/ETYPE/$et}, $V16_COLUMNS, snapshot_ip_type text" ]; ok $? "$et fixed v16: snapshot_ip_types dropped, snapshot_ip_type text added"
	out=$(q $f16 "SELECT count(snapshot_ip_type) || ' ' || (SELECT value FROM schema_state WHERE key = 'schema_version') FROM session_summaries")
	[ "$out" = "0 16" ]; ok $? "$et fixed v16: snapshot_ip_type all NULL, schema_version 16 ($out)"
	same_columns "$et fixed v16: every other column unchanged" $e16 $f16 '^session_summaries\.snapshot_ip_types$'
	[ "$(columns $e17 session_summaries)" = "${V15_COLUMNS/ETYPE/$et}, $V16_COLUMNS, snapshot_ip_types text[], $V17_COLUMNS" ]; ok $? "$et e980629 v17: session_summaries columns"
	[ "$(columns $f17 session_summaries)" = "${V15_COLUMNS/ETYPE/$et}, $V16_COLUMNS, snapshot_ip_type text, $V17_COLUMNS" ]; ok $? "$et fixed v17: session_summaries columns"
	for db in $e17 $f17; do
		out=$(q $db "SELECT count(*) FILTER (WHERE ssh_key_fingerprint IS NOT NULL OR password_hash IS NOT NULL OR command_signature IS NOT NULL)
		             || ' ' || (SELECT value FROM schema_state WHERE key = 'schema_version')
		             || ' ' || (SELECT count(*) FROM pg_indexes WHERE indexname IN ('idx_session_ssh_key_fp', 'idx_session_password_hash', 'idx_session_command_sig'))
		             FROM session_summaries")
		[ "$out" = "0 17 3" ]; ok $? "$db: v17 columns all NULL, schema_version 17, their indexes ($out)"
	done
	same_columns "$et e980629 v17: every v16 column unchanged" $e16 $e17 '^schema_state$'
	same_columns "$et fixed v17: every v16 column unchanged" $f16 $f17 '^schema_state$'
	if [ $et = json ]; then
		out=$($PSQL -d $e17 -v version=16 -f $F/production_road.sql 2>&1); rc=$?
		[ $rc -ne 0 ] && grep -q <<<"$out" 'at version 17'; r=$?
		ok $r "refuses to take a v17 database back to 16"
		[ $r = 0 ] || sed 's/^/# /' <<<"psql exited $rc: $out"
		out=$($PSQL -d $e17 -v shape=fixed -v version=17 -f $F/production_road.sql 2>&1); [ $? -ne 0 ] && grep -q <<<"$out" 'cannot be reached'
		ok $? "the fix script refuses an e980629 database at 17 (as upstream's does)"
		out=$($PSQL -d $e17 -v n=300 -f $F/production_road.sql 2>&1); [ $? -ne 0 ] && grep -q <<<"$out" 'n is 300'
		ok $? "refuses an n that is not the database's"
	fi
	drop_all $base $road $e16 $e17 $f16 $f17
done

# The same figures with jsonb as with json.
[ -n "${json_figures:-}" ] && [ "$json_figures" = "$set $noncanon $null $named $inv $invnc $country $asn" ]
ok $? "json and jsonb give the same figures"

# At 2,000 sessions (every shape of cowrie_v15.sql 20 times): production's
# documents keep what their patch does not name; one run equals its steps
# (and the same n gives the same data).
small=2000
for et in json jsonb; do
	drop_all pr_small pr_direct pr_steps
	$PSQL -c 'CREATE DATABASE pr_small'
	$PSQL -d pr_small -v n=$small -v enrichment_type=$et -f $F/cowrie_v15.sql
	$PSQL -c 'CREATE DATABASE pr_direct TEMPLATE pr_small' -c 'CREATE DATABASE pr_steps TEMPLATE pr_small'
	$PSQL -d pr_steps -v version=15 -f $F/production_road.sql
	same_members pr_small pr_steps "$et, $small sessions"
	[ $et = jsonb ] && continue
	$PSQL -d pr_direct -v n=$small -v shape=fixed -v version=17 -f $F/production_road.sql; setup $? "one run to fixed v17 ($small sessions)"
	for step in "-v version=16" "-v shape=fixed" "-v shape=fixed -v version=17"; do
		$PSQL -d pr_steps $step -f $F/production_road.sql || echo "# step $step failed"
	done
	# (the inventories' created_at and updated_at are the time of the run)
	same_columns "one run equals its four steps" pr_direct pr_steps '^(ip|asn)_inventory\.(created_at|updated_at)$'
	rs="SELECT md5(string_agg(r::text, ',' ORDER BY session_id)) FROM fixture.road_session r"
	[ "$(q pr_direct "$rs")" = "$(q pr_steps "$rs")" ]; ok $? "and the same fixture.road_session"
done
drop_all pr_small pr_direct pr_steps
echo "# $(secs $T0) s in all"
echo "1..$n"
