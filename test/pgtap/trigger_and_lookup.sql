-- The ingestion trigger (upstream's loader upsert keeps its meaning) and the
-- batch lookup.
\ir include/empty_v15.sql
BEGIN;
CREATE EXTENSION cowrie_snapshot;

INSERT INTO asn_inventory (asn_number, first_seen, last_seen) VALUES (15169, now(), now()), (64500, now(), now());
INSERT INTO ip_inventory (ip_address, current_asn, first_seen, last_seen, enrichment, enrichment_updated_at, ip_types) VALUES
 ('8.8.8.8', 15169, now(), now(), '{"maxmind": {"country": "US"}}', '2025-05-01 00:00+00', '{RESIDENTIAL,VPN}'),
 ('2001:db8:1::1', NULL, now(), now(), '{"maxmind": {"country": "DE"}}', NULL, '{}'),
 ('2606:4700::1111', 64500, now(), now(), '{"cymru": {"country": "au"}, "spur": ["o", [], "", "", "", "", "", [], "", ["MOBILE"], "", "", "", "", "", [], [], []]}', NULL, '{}'),
 ('5.5.5.5', 64500, now(), now(), '{"dshield": {"ip": {"ascountry": ""}}}', NULL, '{}'),
 ('10.0.0.1', NULL, now(), now(), '{"maxmind": {"country": "US"}}', NULL, '{}');

SELECT plan(28);

-- Generated columns: geo_country takes maxmind, else cymru, else dshield, else XX;
-- is_scanner and is_bogon never fail a row (upstream: "unknown" raised).
INSERT INTO ip_inventory (ip_address, first_seen, last_seen, enrichment) VALUES
 ('198.51.1.1', now(), now(), '{"maxmind": {"country": "GB"}, "cymru": {"country": "FR"}, "dshield": {"ip": {"ascountry": "DE"}}}'),
 ('198.51.1.2', now(), now(), '{"maxmind": {"country": "TIMEOUT"}, "cymru": {"country": "fr"}, "dshield": {"ip": {"ascountry": "DE"}}}'),
 ('198.51.1.3', now(), now(), '{"maxmind": {"country": {"iso_code": "GB"}}, "cymru": {"country": ""}, "dshield": {"ip": {"ascountry": "DE"}}, "greynoise": {"noise": "unknown"}}'),
 ('198.51.1.4', now(), now(), '{"dshield": {"ip": {"ascountry": ""}}, "greynoise": {"noise": true}, "validation": {"is_bogon": "t"}}'),
 ('198.51.1.5', now(), now(), '[1, 2]');
SELECT results_eq($$SELECT geo_country::text, is_scanner, is_bogon FROM ip_inventory WHERE ip_address LIKE '198.51.1.%' ORDER BY ip_address$$,
    $$VALUES ('GB', false, false), ('FR', false, false), ('DE', false, false), ('XX', true, true), ('XX', false, false)$$,
    'geo_country falls through maxmind, cymru, dshield, XX; is_scanner/is_bogon are total');
SELECT is((SELECT ip_types FROM ip_inventory WHERE ip_address = '198.51.1.1'), '{}'::text[], 'ip_types defaults to {}');
SELECT is((SELECT session_count FROM ip_inventory WHERE ip_address = '198.51.1.1'), 1, 'session_count defaults to 1');
SELECT is((SELECT enrichment_version::text FROM ip_inventory WHERE ip_address = '198.51.1.1'), '2.2', 'enrichment_version defaults to 2.2');
SELECT throws_ok($$INSERT INTO ip_inventory (ip_address, first_seen, last_seen, session_count) VALUES ('198.51.1.9', now(), now(), -1)$$,
                 '23514', NULL, 'session_count >= 0 is enforced');

-- Trigger
INSERT INTO session_summaries (session_id, enrichment) VALUES ('t1', '{"dshield": {"ip": {"number": "8.8.8.8"}}}');
SELECT is((SELECT (source_ip, snapshot_asn, snapshot_country, snapshot_ip_type, enrichment_at)::text FROM session_summaries WHERE session_id = 't1'),
          '(8.8.8.8,15169,US,VPN,"2025-05-01 00:00:00+00")', 'insert: filled from ip_inventory');
INSERT INTO session_summaries (session_id, enrichment) VALUES ('t2', '{"dshield": {"ip": {"number": "9.9.9.9"}}}');
SELECT is((SELECT (source_ip, snapshot_country)::text FROM session_summaries WHERE session_id = 't2'), '(,)',
          'IP not in the inventory yet: left for the backfill (no FK violation)');
INSERT INTO session_summaries (session_id, enrichment) VALUES ('t3', '{"dshield": {"ip": {"number": "10.0.0.1"}}}');
SELECT is((SELECT (source_ip, snapshot_country)::text FROM session_summaries WHERE session_id = 't3'), '(10.0.0.1,XX)', 'private IP: XX at once');
INSERT INTO session_summaries (session_id, enrichment) VALUES ('t4', '{"dshield": {"ip": {"number": "5.5.5.5"}}}');
SELECT is((SELECT (source_ip, snapshot_asn, snapshot_country)::text FROM session_summaries WHERE session_id = 't4'), '(5.5.5.5,,)',
          'inventory without a country: source_ip only; the snapshot waits for enrichment');
INSERT INTO session_summaries (session_id, enrichment) VALUES ('t6', '{"dshield": {"ip": {"asname": "", "ascountry": ""}}}');
SELECT is((SELECT (source_ip, snapshot_country)::text FROM session_summaries WHERE session_id = 't6'), '(,)',
          'no usable IP in the document: left for the backfill, which also reads raw_events');
INSERT INTO session_summaries (session_id, source_ip, snapshot_country, enrichment) VALUES ('t5', NULL, 'GB', '{"dshield": {"ip": {"number": "8.8.8.8"}}}');
SELECT is((SELECT (source_ip, snapshot_asn, snapshot_country)::text FROM session_summaries WHERE session_id = 't5'), '(8.8.8.8,15169,GB)',
          'a row that already has a country keeps it, and gets the NULL columns the rule fills (source_ip, ASN)');

-- Upstream's loader upsert: COALESCE keeps the first non-NULL snapshot.
INSERT INTO session_summaries AS s (session_id, event_count, enrichment, source_ip, snapshot_asn, snapshot_country, snapshot_ip_type, enrichment_at)
VALUES ('t1', 2, '{"dshield": {"ip": {"number": "2001:db8:1::1"}}}', NULL, NULL, NULL, NULL, NULL)
ON CONFLICT (session_id) DO UPDATE SET
    event_count = s.event_count + excluded.event_count,
    enrichment = COALESCE(excluded.enrichment, s.enrichment),
    source_ip = COALESCE(s.source_ip, excluded.source_ip),
    snapshot_asn = COALESCE(s.snapshot_asn, excluded.snapshot_asn),
    snapshot_country = COALESCE(s.snapshot_country, excluded.snapshot_country),
    snapshot_ip_type = COALESCE(s.snapshot_ip_type, excluded.snapshot_ip_type),
    enrichment_at = COALESCE(s.enrichment_at, excluded.enrichment_at);
SELECT is((SELECT (source_ip, snapshot_asn, snapshot_country, snapshot_ip_type, event_count)::text FROM session_summaries WHERE session_id = 't1'),
          '(8.8.8.8,15169,US,VPN,2)', 'upsert keeps the original snapshot; counts add up');
UPDATE ip_inventory SET enrichment = '{"maxmind": {"country": "NL"}}' WHERE ip_address = '5.5.5.5';
UPDATE session_summaries SET event_count = event_count + 1 WHERE session_id = 't4';
SELECT is((SELECT (snapshot_asn, snapshot_country)::text FROM session_summaries WHERE session_id = 't4'), '(64500,NL)',
          'a later write fills the snapshot once the IP is enriched');
INSERT INTO ip_inventory (ip_address, first_seen, last_seen, enrichment) VALUES ('9.9.9.9', now(), now(), '{"maxmind": {"country": "CH"}}');
UPDATE session_summaries SET event_count = 5 WHERE session_id = 't2';
SELECT is((SELECT (source_ip, snapshot_country)::text FROM session_summaries WHERE session_id = 't2'), '(9.9.9.9,CH)', 'and source_ip once the inventory has the IP');
UPDATE ip_inventory SET enrichment = '{"maxmind": {"country": "FR"}}' WHERE ip_address = '8.8.8.8';
UPDATE session_summaries SET event_count = 9 WHERE session_id = 't1';
SELECT is((SELECT snapshot_country FROM session_summaries WHERE session_id = 't1')::text, 'US', 'snapshots are immutable: the IP moving country changes nothing');

-- The trigger keeps its prepared inventory probe for the backend: it must
-- follow DDL on ip_inventory and a re-created extension in the same session.
ALTER TABLE ip_inventory ADD COLUMN operator_note text;
INSERT INTO session_summaries (session_id, enrichment) VALUES ('t7', '{"dshield": {"ip": {"number": "9.9.9.9"}}}');
SELECT is((SELECT (source_ip, snapshot_country)::text FROM session_summaries WHERE session_id = 't7'), '(9.9.9.9,CH)',
          'the trigger after a column was added to ip_inventory');
DROP EXTENSION cowrie_snapshot;
CREATE EXTENSION cowrie_snapshot;
INSERT INTO session_summaries (session_id, enrichment) VALUES ('t8', '{"dshield": {"ip": {"number": "8.8.8.8"}}}');
SELECT is((SELECT (source_ip, snapshot_country)::text FROM session_summaries WHERE session_id = 't8'), '(8.8.8.8,FR)',
          'the trigger after DROP and CREATE EXTENSION in the same session');

-- Lookup
SELECT results_eq(
    $$SELECT ip_address, snapshot_asn, snapshot_country::text, snapshot_ip_type FROM cowrie_lookup_snapshots(
        ARRAY['8.8.8.8', ' 8.8.8.8', '2001:DB8:1:0:0:0:0:1', '2606:4700:0::1111', '5.5.5.5', '10.0.0.1', '1.2.3.4', 'junk', NULL]) ORDER BY 1$$,
    $$VALUES ('10.0.0.1', NULL::int, NULL::text, NULL::text),
             ('2001:db8:1::1', NULL, NULL, NULL),
             ('2606:4700::1111', 64500, 'AU', 'MOBILE'),
             ('5.5.5.5', 64500, 'NL', NULL),
             ('8.8.8.8', 15169, 'FR', 'VPN')$$,
    'lookup: canonical, distinct, missing omitted, private and reserved give no values, type from ip_types else SPUR');
SELECT is((SELECT count(*) FROM cowrie_lookup_snapshots('{}')), 0::bigint, 'empty array: no rows');
SELECT is((SELECT enrichment_at FROM cowrie_lookup_snapshots(ARRAY['8.8.8.8'])), '2025-05-01 00:00+00'::timestamptz, 'enrichment_at = enrichment_updated_at');
SELECT throws_ok($$SELECT * FROM cowrie_lookup_snapshots('{{1,2},{3,4}}'::text[])$$, '2202E', NULL, 'two-dimensional arrays are refused');
SELECT is((SELECT count(*) FROM cowrie_lookup_snapshots(ARRAY(SELECT '8.8.' || (g / 256) || '.' || (g % 256) FROM generate_series(0, 99999) g))),
          1::bigint, '100,000 IPs in one call');
SELECT is((SELECT provolatile::text || proparallel::text FROM pg_proc WHERE proname = 'cowrie_lookup_snapshots'), 'ss', 'STABLE, PARALLEL SAFE');
SELECT cmp_ok((SELECT prorows FROM pg_proc WHERE proname = 'cowrie_lookup_snapshots'), '>', 0::real, 'has a ROWS estimate');

-- The SQL face of the rule agrees with the lookup.
SELECT is((SELECT (s).snapshot_country::text FROM (SELECT cowrie_session_snapshot('8.8.8.8', true, 15169, 'FR', '{}', '{}', NULL) s) x), 'FR', 'rule: enriched');
SELECT is((SELECT (s).outcome FROM (SELECT cowrie_session_snapshot('8.8.8.8', false, NULL, NULL, NULL, NULL, NULL) s) x), 'no_inventory', 'rule: no inventory');
SELECT is((SELECT (s).outcome FROM (SELECT cowrie_session_snapshot('x', true, NULL, 'US', NULL, NULL, NULL) s) x), 'unparseable', 'rule: unparseable');
SELECT is((SELECT (s).snapshot_asn FROM (SELECT cowrie_session_snapshot('8.8.8.8', true, -3, 'US', NULL, NULL, NULL) s) x), NULL::int, 'rule: non-positive ASN is NULL');

SELECT * FROM finish();
ROLLBACK;
