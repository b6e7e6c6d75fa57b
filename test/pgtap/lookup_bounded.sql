-- cowrie_lookup_snapshots keeps its memory within work_mem by matching
-- distinct keys in batches, by index probes or by one pass over the
-- inventory; under a tiny work_mem (many batches) both ways give exactly
-- what the snapshot rule gives each distinct canonical IP of the array (the
-- lookup reports the XX sentinel as NULL: "no country").
\ir include/empty_v15.sql
BEGIN;
CREATE EXTENSION cowrie_snapshot;
INSERT INTO asn_inventory (asn_number, first_seen, last_seen) VALUES (64500, now(), now());
-- 3,000 inventory rows; every third has SPUR types, every fifth no country.
INSERT INTO ip_inventory (ip_address, current_asn, first_seen, last_seen, enrichment, enrichment_updated_at, ip_types)
SELECT '81.2.' || (i / 250) || '.' || (i % 250), CASE WHEN i % 2 = 0 THEN 64500 END, now(), now(),
       CASE WHEN i % 5 = 0 THEN '{}'::jsonb ELSE '{"maxmind": {"country": "NL"}}'::jsonb END,
       '2025-01-01 00:00+00'::timestamptz + i * interval '1 minute',
       CASE WHEN i % 3 = 0 THEN '{RESIDENTIAL,VPN}'::text[] ELSE '{}'::text[] END
FROM generate_series(0, 2999) i;
ANALYZE ip_inventory;

-- The array: each inventory IP twice (once in another spelling), plus IPs
-- the inventory lacks and text that is not an IP.
CREATE TEMP TABLE lookup_input AS
SELECT ARRAY(SELECT x FROM (
    SELECT ip_address::text AS x FROM ip_inventory
    UNION ALL SELECT ' ' || ip_address || ' ' FROM ip_inventory
    UNION ALL SELECT '203.0.113.' || g FROM generate_series(1, 200) g
    -- 20,000 more the inventory lacks: 23,000 distinct keys of 4 bytes
    -- overflow one batch of 64 kB (16,384 keys)
    UNION ALL SELECT '100.' || (g / 250) || '.' || (g % 250) || '.1' FROM generate_series(0, 19999) g
    UNION ALL SELECT 'not-an-ip' UNION ALL SELECT NULL) s) AS ips;

CREATE TEMP VIEW lookup_reference AS
SELECT i.ip_address::text AS ip_address, (r).snapshot_asn, NULLIF((r).snapshot_country, 'XX')::varchar(2), (r).snapshot_ip_type, (r).enrichment_at
FROM (SELECT DISTINCT cowrie_normalize_ip(x) AS ip FROM lookup_input, unnest(ips) x) k
JOIN ip_inventory i ON i.ip_address = k.ip
CROSS JOIN LATERAL cowrie_session_snapshot(k.ip, true, i.current_asn, i.geo_country::text, i.ip_types, i.enrichment,
                                           i.enrichment_updated_at) r;

SELECT plan(5);
SET LOCAL work_mem = '64kB';
SELECT results_eq($$SELECT * FROM cowrie_lookup_snapshots((SELECT ips FROM lookup_input)) ORDER BY 1$$,
                  $$SELECT * FROM lookup_reference ORDER BY 1$$,
                  'work_mem 64kB, many keys per inventory row: the rule''s snapshot for each distinct canonical IP');
SELECT is((SELECT count(*) FROM cowrie_lookup_snapshots((SELECT ips FROM lookup_input))), 3000::bigint,
          'each inventory IP once, whatever its spellings in the array');
-- Each batch of this shape is one pass over the inventory (a sequential scan
-- counted in this transaction's statistics): two batches, two scans.
SELECT seq_scan AS scans_before FROM pg_stat_xact_user_tables WHERE relid = 'ip_inventory'::regclass \gset
SELECT count(*) AS lookup_rows FROM cowrie_lookup_snapshots((SELECT ips FROM lookup_input)) \gset
SELECT is((SELECT seq_scan FROM pg_stat_xact_user_tables WHERE relid = 'ip_inventory'::regclass) - :scans_before, 2::bigint,
          'work_mem 64kB and 23,200 distinct keys: the lookup matched them in two batches');
-- Few keys against a large inventory: probes.
INSERT INTO ip_inventory (ip_address, first_seen, last_seen)
SELECT '82.3.' || (i / 250) || '.' || (i % 250), now(), now() FROM generate_series(0, 49999) i;
ANALYZE ip_inventory;
SELECT results_eq($$SELECT * FROM cowrie_lookup_snapshots(ARRAY['81.2.0.3', ' 81.2.0.3', '81.2.11.249', '82.3.0.1', '9.9.9.9']) ORDER BY 1$$,
                  $$SELECT i.ip_address::text, (r).snapshot_asn, NULLIF((r).snapshot_country, 'XX')::varchar(2), (r).snapshot_ip_type, (r).enrichment_at
                    FROM ip_inventory i CROSS JOIN LATERAL cowrie_session_snapshot(i.ip_address::text, true, i.current_asn,
                         i.geo_country::text, i.ip_types, i.enrichment, i.enrichment_updated_at) r
                    WHERE i.ip_address IN ('81.2.0.3', '81.2.11.249', '82.3.0.1') ORDER BY 1$$,
                  'few keys against 53,000 rows: the same');
SELECT is((SELECT count(*) FROM cowrie_lookup_snapshots(ARRAY[]::text[])), 0::bigint, 'an empty array gives no rows');

SELECT * FROM finish();
ROLLBACK;
