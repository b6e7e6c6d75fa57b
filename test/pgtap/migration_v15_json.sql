-- The v16 migration on a v15 database with json enrichment: schema, data,
-- and upstream's intended-behaviour assertions (reference §7).
\ir include/empty_v15.sql
BEGIN;

INSERT INTO session_summaries (session_id, first_event_at, last_event_at, created_at, enrichment) VALUES
 ('s1', '2025-01-01 10:00+00', '2025-01-01 11:00+00', '2025-01-02', '{"dshield": {"ip": {"number": "8.8.8.8"}}, "cymru": {"asn": 15169, "country": "us"}, "maxmind": {"country": "US"}, "spur": {"client": {"types": "RESIDENTIAL"}}}'),
 ('s2', '2025-01-02 10:00+00', '2025-01-02 11:00+00', '2025-01-03', '{"dshield": {"ip": {"number": "8.8.4.4"}}, "cymru": {"asn": 15169}, "maxmind": {"country": "GB"}, "spur": {"client": {"types": ["DATACENTER", "VPN"]}}}'),
 ('s3', '2025-01-03 10:00+00', '2025-01-03 11:00+00', '2025-01-04', '{"dshield": {"ip": {"number": "47.242.217.70", "ascountry": "CN"}}, "cymru": {"asn": "45102"}}'),
 ('old', '2025-01-01 00:00+00', '2025-01-01 00:10+00', '2025-01-01', '{"dshield": {"ip": {"number": "1.1.1.1"}}, "maxmind": {"country": "OLD"}, "cymru": {"country": "AU", "asn": 13335}}'),
 ('new', '2025-02-01 00:00+00', '2025-02-01 00:10+00', '2025-02-01', '{"dshield": {"ip": {"number": "1.1.1.1"}}, "maxmind": {"country": "de"}, "cymru": {"asn": 13335}}'),
 ('nullts', NULL, NULL, '2025-03-01', '{"dshield": {"ip": {"number": "1.1.1.1"}}, "maxmind": {"country": "FR"}}'),
 ('private', '2025-01-05 10:00+00', '2025-01-05 11:00+00', '2025-01-05', '{"dshield": {"ip": {"number": "10.1.2.3"}}, "cymru": {"asn": 0}}'),
 ('v6', '2025-01-06 10:00+00', '2025-01-06 11:00+00', '2025-01-06', '{"session": {"2606:4700:0:0::1111": {"dshield": {"ip": {"ascountry": "us"}}}}}'),
 ('nul', '2025-01-07 10:00+00', '2025-01-07 11:00+00', '2025-01-07', '{"note": "bad\u0000byte", "dshield": {"ip": {"number": "9.9.9.9", "ascountry": "CH"}}}'),
 ('garbage', '2025-01-08 10:00+00', '2025-01-08 11:00+00', '2025-01-08', '{"dshield": {"ip": {"number": "not-an-ip"}}, "greynoise": {"noise": "unknown"}}'),
 ('sentinel', '2025-01-09 10:00+00', '2025-01-09 11:00+00', '2025-01-09', '{"dshield": {"ip": {"asname": "", "ascountry": ""}}}'),
 ('nodoc', '2025-01-10 10:00+00', '2025-01-10 11:00+00', '2025-01-10', NULL);
INSERT INTO session_summaries (session_id, first_event_at, last_event_at, enrichment)
SELECT 'w' || g, '2025-04-01'::timestamptz + g * interval '1 hour', '2025-04-01'::timestamptz + g * interval '2 hour',
       '{"dshield": {"ip": {"number": "203.0.114.9"}}, "maxmind": {"country": "NL"}}'
FROM generate_series(1, 5) g;

CREATE TEMP TABLE before_ts AS SELECT session_id, first_event_at, last_event_at FROM session_summaries;
SET TimeZone = 'America/New_York';
CREATE EXTENSION cowrie_snapshot;

SELECT plan(51);

-- Schema
SELECT has_column('session_summaries', 'source_ip', 'phase 1: source_ip');
SELECT col_type_is('session_summaries', 'source_ip', 'character varying(45)', 'source_ip is varchar(45)');
SELECT has_index('session_summaries', 'idx_session_source_ip', 'idx_session_source_ip');
SELECT has_table('asn_inventory', 'phase 2: asn_inventory');
SELECT col_type_is('asn_inventory', 'enrichment', 'jsonb', 'asn_inventory.enrichment is jsonb');
SELECT col_is_pk('asn_inventory', 'asn_number', 'asn_number is the key');
SELECT has_table('ip_inventory', 'phase 3: ip_inventory');
SELECT col_is_pk('ip_inventory', 'ip_address', 'ip_address is the key');
SELECT col_type_is('ip_inventory', 'ip_types', 'text[]', 'ip_types is text[]');
SELECT is((SELECT attgenerated::text FROM pg_attribute WHERE attrelid = 'ip_inventory'::regclass AND attname = 'geo_country'), 's', 'geo_country is generated');
SELECT is((SELECT attgenerated::text FROM pg_attribute WHERE attrelid = 'ip_inventory'::regclass AND attname = 'is_scanner'), 's', 'is_scanner is generated');
SELECT is((SELECT attgenerated::text FROM pg_attribute WHERE attrelid = 'ip_inventory'::regclass AND attname = 'is_bogon'), 's', 'is_bogon is generated');
SELECT has_index('ip_inventory', 'idx_ip_geo_country', 'idx_ip_geo_country');
SELECT has_index('ip_inventory', 'idx_ip_staleness_active', 'idx_ip_staleness_active');
SELECT columns_are('session_summaries', ARRAY['session_id', 'first_event_at', 'last_event_at', 'event_count', 'command_count',
    'file_downloads', 'login_attempts', 'ssh_key_injections', 'unique_ssh_keys', 'vt_flagged', 'dshield_flagged', 'risk_score',
    'matcher', 'source_files', 'enrichment', 'created_at', 'updated_at', 'source_ip', 'enrichment_at', 'snapshot_asn',
    'snapshot_country', 'snapshot_ip_type'], 'phase 4: the snapshot columns, nothing else');
SELECT col_type_is('session_summaries', 'snapshot_country', 'character varying(2)', 'snapshot_country is varchar(2)');
SELECT has_check('session_summaries', 'snapshot_country_iso CHECK');
SELECT has_index('session_summaries', 'idx_session_snapshot_asn', 'idx_session_snapshot_asn');
SELECT has_index('session_summaries', 'idx_session_snapshot_country', 'idx_session_snapshot_country');
SELECT has_index('session_summaries', 'idx_session_first_event_brin', 'idx_session_first_event_brin');
SELECT fk_ok('ip_inventory', 'current_asn', 'asn_inventory', 'asn_number', 'phase 5: fk_ip_current_asn');
SELECT fk_ok('session_summaries', 'source_ip', 'ip_inventory', 'ip_address', 'phase 5: fk_session_source_ip');
SELECT is((SELECT bool_and(convalidated) FROM pg_constraint WHERE conname IN ('fk_ip_current_asn', 'fk_session_source_ip')), true, 'both foreign keys validated');
SELECT is((SELECT value FROM schema_state WHERE key = 'schema_version'), '16', 'schema_version is 16');
SELECT has_trigger('session_summaries', 'cowrie_session_snapshot', 'ingestion trigger installed');

-- Timestamps did not move under a non-UTC TimeZone (B5)
SELECT is((SELECT count(*) FROM session_summaries s JOIN before_ts b USING (session_id)
           WHERE s.first_event_at IS DISTINCT FROM b.first_event_at OR s.last_event_at IS DISTINCT FROM b.last_event_at), 0::bigint,
          'no timestamp changed under America/New_York');

-- Populations
SELECT is((SELECT count(*) FROM asn_inventory), 3::bigint, 'ASNs 15169, 45102, 13335 (0 is not an ASN)');
SELECT is((SELECT (unique_ip_count, total_session_count)::text FROM asn_inventory WHERE asn_number = 15169), '(2,2)', 'ASN 15169: 2 IPs, 2 sessions');
SELECT is((SELECT count(*) FROM ip_inventory), 8::bigint, 'one row per distinct canonical IP');
SELECT is((SELECT current_asn FROM ip_inventory WHERE ip_address = '8.8.8.8'), 15169, 'current_asn from the session');
SELECT is((SELECT geo_country FROM ip_inventory WHERE ip_address = '8.8.8.8')::text, 'US', 'geo_country maxmind first');
SELECT is((SELECT ip_types FROM ip_inventory WHERE ip_address = '8.8.8.8'), ARRAY['RESIDENTIAL'], 'ip_types filled from SPUR');
SELECT is((SELECT ip_types FROM ip_inventory WHERE ip_address = '8.8.4.4'), ARRAY['VPN', 'DATACENTER'], 'ip_types in priority order');
SELECT is((SELECT geo_country FROM ip_inventory WHERE ip_address = '1.1.1.1')::text, 'DE', 'the latest session''s enrichment (NULL timestamps last), country upper-cased');
SELECT is((SELECT session_count FROM ip_inventory WHERE ip_address = '203.0.114.9'), 5, 'session_count 5 for 5 sessions');
SELECT is((SELECT session_count FROM ip_inventory WHERE ip_address = '1.1.1.1'), 3, 'sessions with NULL timestamps counted');
SELECT ok((SELECT bool_and(first_seen IS NOT NULL AND last_seen IS NOT NULL) FROM ip_inventory), 'first_seen/last_seen never NULL');
SELECT is((SELECT geo_country FROM ip_inventory WHERE ip_address = '9.9.9.9')::text, 'CH', 'a \u0000 document migrates (sanitised)');
SELECT is((SELECT geo_country FROM ip_inventory WHERE ip_address = '2606:4700::1111')::text, 'XX', 'nested shape: canonical IPv6 key; no top-level country gives XX');
SELECT is((SELECT current_asn FROM ip_inventory WHERE ip_address = '10.1.2.3'), NULL::int, 'ASN 0 becomes NULL');

-- Session rows, written once
SELECT is((SELECT (source_ip, snapshot_asn, snapshot_country, snapshot_ip_type)::text FROM session_summaries WHERE session_id = 's1'),
          '(8.8.8.8,15169,US,RESIDENTIAL)', 'snapshot from ip_inventory');
SELECT is((SELECT (snapshot_asn, snapshot_country, snapshot_ip_type)::text FROM session_summaries WHERE session_id = 's2'),
          '(15169,GB,VPN)', 'type by priority');
SELECT is((SELECT snapshot_country FROM session_summaries WHERE session_id = 'old')::text, 'DE', 'every session of an IP gets the inventory''s current values');
SELECT is((SELECT (source_ip, snapshot_country)::text FROM session_summaries WHERE session_id = 'private'), '(10.1.2.3,XX)', 'private IP: XX');
SELECT is((SELECT (source_ip, snapshot_country)::text FROM session_summaries WHERE session_id = 'v6'), '(2606:4700::1111,XX)', 'IPv6 without country: XX');
SELECT is((SELECT (source_ip, snapshot_country)::text FROM session_summaries WHERE session_id = 'garbage'), '(,XX)', 'unparseable IP: XX, no source_ip');
SELECT is((SELECT (source_ip, snapshot_country)::text FROM session_summaries WHERE session_id = 'nodoc'), '(,XX)', 'NULL enrichment: XX');
SELECT is((SELECT count(*) FROM session_summaries WHERE snapshot_country IS NULL), 0::bigint, 'every session has a snapshot');

-- Data safety
SELECT is((SELECT array_agg(d.objid::regclass::text ORDER BY d.objid::regclass::text) FROM pg_depend d JOIN pg_extension e ON e.oid = d.refobjid
           WHERE e.extname = 'cowrie_snapshot' AND d.deptype = 'e' AND d.classid = 'pg_class'::regclass),
          '{cowrie_inventory_queue,cowrie_pending_sessions}'::text[],
          'no table holding user data is an extension member (only the backfill''s queue and pending sessions)');
SELECT lives_ok('SELECT cowrie_migrate()', 'the migration runs again');
SELECT is((SELECT count(*) FROM ip_inventory), 8::bigint, 'and changes nothing');

SELECT * FROM finish();
ROLLBACK;
