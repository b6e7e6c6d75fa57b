-- The type (or ASN) of an IP that enrichment adds later reaches the sessions
-- that already have a snapshot: ip_inventory's ip_types follows its document
-- (the inventory trigger), and a retry_unenrichable run takes every session
-- with a NULL type or ASN the rule can now fill, then reaches 0 again; an
-- ordinary run leaves them (it takes sessions without a country).
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

SELECT plan(10);
SELECT is((SELECT count(*) FROM session_summaries WHERE snapshot_country = 'GB' AND snapshot_ip_type IS NULL AND snapshot_asn IS NULL),
          3::bigint, 'sessions get their snapshot at ingestion, without a type or an ASN yet');
SELECT is(cowrie_backfill(100), 0::bigint, 'nothing for the backfill to add yet');

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

SELECT is(cowrie_backfill(100), 0::bigint, 'an ordinary run does not re-examine sessions that have a country');
SELECT is(cowrie_backfill(100, retry_unenrichable => true), 3::bigint, 'a retry run takes the three sessions the new type and ASN reach');
SELECT is((SELECT count(*) FROM session_summaries WHERE session_id LIKE 'later-%' AND snapshot_ip_type = 'DATACENTER' AND snapshot_asn = 64500),
          3::bigint, 'and fills their type and ASN');
SELECT is((SELECT count(*) FROM session_summaries WHERE snapshot_country = 'GB' AND session_id LIKE 'later-%'), 3::bigint,
          'their country is kept');
SELECT is((SELECT (snapshot_country, snapshot_asn, snapshot_ip_type)::text FROM session_summaries WHERE session_id = 'private-1'),
          '(XX,,)', 'a private IP gets no type or ASN, whatever the inventory says');
SELECT is(cowrie_backfill(100, retry_unenrichable => true), 0::bigint, 'the next retry run has nothing left to do');

SELECT * FROM finish();
ROLLBACK;
