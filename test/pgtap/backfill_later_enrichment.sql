-- The type (or ASN) of an IP that enrichment adds later reaches the sessions
-- that already have a snapshot: ip_inventory's ip_types follows its document
-- (the inventory trigger), the queue trigger queues the IP, and an ordinary
-- run's completion takes every session of the queued IPs with a NULL type or
-- ASN the rule can now fill, in batches of IPs, a private IP never; the next
-- run, ordinary or retry, finds nothing, and with nothing queued reads no
-- inventory.
\ir include/empty_v15.sql
BEGIN;
CREATE EXTENSION cowrie_snapshot;
INSERT INTO asn_inventory (asn_number, first_seen, last_seen) VALUES (64500, now(), now());
INSERT INTO ip_inventory (ip_address, first_seen, last_seen, enrichment) VALUES
 ('81.2.69.160', now(), now(), '{"maxmind": {"country": "GB"}}'),
 ('10.1.2.3', now(), now(), '{"maxmind": {"country": "GB"}}');
INSERT INTO session_summaries (session_id, enrichment)
SELECT 'later-' || g, '{"dshield": {"ip": {"number": "81.2.69.160"}}}' FROM generate_series(1, 3) g;
INSERT INTO session_summaries (session_id, enrichment) VALUES ('private-1', '{"dshield": {"ip": {"number": "10.1.2.3"}}}');

SELECT plan(27);
SELECT is((SELECT count(*) FROM session_summaries WHERE snapshot_country = 'GB' AND snapshot_ip_type IS NULL AND snapshot_asn IS NULL),
          3::bigint, 'sessions get their snapshot at ingestion, without a type or an ASN yet');
SELECT is(cowrie_backfill(100), 0::bigint, 'nothing for the backfill to add yet');
SELECT has_index('session_summaries', 'idx_session_source_ip_no_type', 'the completion''s index of sessions without a type');
SELECT has_index('session_summaries', 'idx_session_source_ip_no_asn', 'the completion''s index of sessions without an ASN');

-- The enricher's upsert, as upstream writes it: SPUR data and an ASN, no ip_types.
UPDATE ip_inventory SET enrichment = enrichment || '{"spur": {"client": {"types": ["MOBILE"]}, "infrastructure": "DATACENTER"}}',
                        current_asn = 64500, enrichment_updated_at = now()
WHERE ip_address IN ('81.2.69.160', '10.1.2.3');
SELECT is((SELECT ip_types FROM ip_inventory WHERE ip_address = '81.2.69.160'), '{DATACENTER,MOBILE}'::text[],
          'ip_types follows the document the enricher wrote');
UPDATE ip_inventory SET ip_types = '{VPN}' WHERE ip_address = '10.1.2.3';
UPDATE ip_inventory SET enrichment = enrichment || '{"cymru": {"asn": 64500}}' WHERE ip_address = '10.1.2.3';
SELECT is((SELECT ip_types FROM ip_inventory WHERE ip_address = '10.1.2.3'), '{VPN}'::text[],
          'types a statement wrote itself are kept, also when the document changes later');

SELECT is(cowrie_backfill(100, dry_run => true), 3::bigint, 'a dry run counts the three sessions the new type and ASN reach');
SELECT is((SELECT count(*) FROM session_summaries WHERE snapshot_ip_type IS NOT NULL OR snapshot_asn IS NOT NULL), 0::bigint,
          'and writes nothing');
SELECT is(cowrie_backfill(100), 3::bigint, 'an ordinary run takes them');
SELECT is((SELECT count(*) FROM session_summaries WHERE session_id LIKE 'later-%' AND snapshot_ip_type = 'DATACENTER' AND snapshot_asn = 64500),
          3::bigint, 'and fills their type and ASN');
SELECT is((SELECT count(*) FROM session_summaries WHERE snapshot_country = 'GB' AND session_id LIKE 'later-%'), 3::bigint,
          'their country is kept');
SELECT is((SELECT (snapshot_country, snapshot_asn, snapshot_ip_type)::text FROM session_summaries WHERE session_id = 'private-1'),
          '(XX,,)', 'a private IP gets no type or ASN, whatever the inventory says');
SELECT is(cowrie_backfill(100), 0::bigint, 'the next ordinary run has nothing left to do');
SELECT is(cowrie_backfill(100, retry_unenrichable => true), 0::bigint, 'nor has a retry run');

-- Batches by IP: seven sessions of two IPs in batches of two, one batch
-- ending inside an IP's sessions, among 300 complete sessions (so few that
-- the completion probes their IPs rather than reading the heap).
INSERT INTO session_summaries (session_id, enrichment)
SELECT 'many-' || g, '{"dshield": {"ip": {"number": "81.2.69.160"}}}' FROM generate_series(1, 300) g;
INSERT INTO ip_inventory (ip_address, first_seen, last_seen, enrichment) VALUES
 ('81.2.69.161', now(), now(), '{"maxmind": {"country": "GB"}}'),
 ('81.2.69.162', now(), now(), '{"maxmind": {"country": "GB"}}');
INSERT INTO session_summaries (session_id, enrichment)
SELECT 'batch-' || g, pg_catalog.jsonb_build_object('dshield', pg_catalog.jsonb_build_object('ip',
           pg_catalog.jsonb_build_object('number', CASE WHEN g <= 4 THEN '81.2.69.161' ELSE '81.2.69.162' END)))
FROM generate_series(1, 7) g;
UPDATE ip_inventory SET enrichment = enrichment || '{"spur": {"infrastructure": "MOBILE"}}' WHERE ip_address IN ('81.2.69.161', '81.2.69.162');
SELECT is(cowrie_backfill(2), 7::bigint, 'batches of two take all seven sessions of two IPs');
SELECT is((SELECT count(*) FROM session_summaries WHERE session_id LIKE 'batch-%' AND snapshot_ip_type = 'MOBILE'), 7::bigint,
          'each gets its type');

-- A few sessions without a country among many (a scheduled run): one range,
-- in batches of two.
ALTER TABLE session_summaries DISABLE TRIGGER cowrie_session_snapshot;
INSERT INTO session_summaries (session_id, enrichment)
SELECT 'few-' || g, '{"dshield": {"ip": {"number": "81.2.69.160"}}}' FROM generate_series(1, 5) g;
ALTER TABLE session_summaries ENABLE TRIGGER cowrie_session_snapshot;
SELECT is(cowrie_backfill(2), 5::bigint, 'a run takes the five sessions without a country among 300 complete ones');
SELECT is((SELECT count(*) FROM session_summaries WHERE session_id LIKE 'few-%' AND snapshot_country = 'GB' AND snapshot_ip_type = 'DATACENTER'),
          5::bigint, 'and fills them');

-- With nothing queued, a run reads no inventory (the counters of this
-- transaction's scans of ip_inventory stay as they are).
SELECT is((SELECT count(*) FROM cowrie_inventory_queue), 0::bigint, 'the runs emptied the queue');
SELECT COALESCE(seq_scan, 0) + COALESCE(idx_scan, 0) AS inventory_scans FROM pg_stat_xact_user_tables WHERE relname = 'ip_inventory' \gset
SELECT is(cowrie_backfill(3), 0::bigint, 'a run with nothing queued and nothing new has nothing to do');
SELECT is((SELECT COALESCE(seq_scan, 0) + COALESCE(idx_scan, 0) FROM pg_stat_xact_user_tables WHERE relname = 'ip_inventory'),
          :inventory_scans::bigint, 'and reads no inventory');

-- Many sessions lacking their type (upstream's road): the IPs whose rows
-- gained it are queued, and one ordinary run completes all their sessions.
INSERT INTO ip_inventory (ip_address, first_seen, last_seen, enrichment)
SELECT '81.2.70.' || g, now(), now(), '{"maxmind": {"country": "GB"}}' FROM generate_series(1, 10) g;
INSERT INTO session_summaries (session_id, enrichment)
SELECT 'bulk-' || g, pg_catalog.jsonb_build_object('dshield', pg_catalog.jsonb_build_object('ip',
           pg_catalog.jsonb_build_object('number', '81.2.70.' || (g % 10 + 1))))
FROM generate_series(1, 600) g;
UPDATE ip_inventory SET enrichment = enrichment || '{"spur": {"infrastructure": "MOBILE"}}' WHERE ip_address LIKE '81.2.70.%';
SELECT is((SELECT count(*) FROM cowrie_inventory_queue WHERE ip LIKE '81.2.70.%'), 10::bigint, 'the ten IPs are queued');
SELECT is(cowrie_backfill(3, dry_run => true), 600::bigint, 'a dry run counts the 600 sessions');
SELECT is((SELECT count(*) FROM cowrie_inventory_queue WHERE ip LIKE '81.2.70.%'), 10::bigint, 'and leaves the queue as it is');
SELECT is(cowrie_backfill(3), 600::bigint, 'an ordinary run in batches of three completes them');
SELECT is((SELECT count(*) FROM session_summaries WHERE session_id LIKE 'bulk-%' AND snapshot_ip_type = 'MOBILE' AND snapshot_country = 'GB'),
          600::bigint, 'each gets its type and keeps its country');
SELECT is(cowrie_backfill(3), 0::bigint, 'the next run has nothing left to do');

SELECT * FROM finish();
ROLLBACK;
