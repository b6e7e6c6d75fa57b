-- ADR-009's ip_classification (what upstream's cascade enricher writes into
-- ip_inventory.enrichment): the type of an IP SPUR does not type, through
-- every reader of the one C rule: cowrie_ip_types, the inventory's trigger,
-- the snapshot rule, the lookup, the session trigger and the backfill.
\ir include/empty_v15.sql
BEGIN;
CREATE EXTENSION cowrie_snapshot;

SELECT plan(43);

-- The rule, as cowrie_ip_types reads it (jsonb and json alike).
CREATE TEMP TABLE cls (ip_type text, want text[]);
INSERT INTO cls VALUES ('"tor"', '{TOR}'), ('"cloud"', '{CLOUD}'), ('"datacenter"', '{DATACENTER}'),
    ('"residential"', '{RESIDENTIAL}'), ('"Cloud"', '{CLOUD}'), ('"unknown"', '{}'), ('"vpn"', '{}'),
    ('""', '{}'), ('null', '{}'), ('7', '{}'), ('["tor"]', '{}'), ('{"v": "tor"}', '{}');
SELECT is(cowrie_ip_types(('{"ip_classification": {"ip_type": ' || ip_type || ', "provider": "aws", "confidence": 0.99}}')::jsonb),
          want, 'jsonb ip_type ' || ip_type || ' gives ' || want::text) FROM cls;
SELECT is((SELECT count(*) FROM cls WHERE cowrie_ip_types(('{"ip_classification": {"ip_type": ' || ip_type || '}}')::json)
                                        IS DISTINCT FROM want), 0::bigint, 'json gives the same as jsonb for each');
SELECT is(cowrie_ip_types(d::jsonb), '{}'::text[], 'malformed classification ' || d || ': no type')
FROM unnest(ARRAY['{"ip_classification": "cloud"}', '{"ip_classification": null}', '{"ip_classification": {}}',
                  '{"ip_classification": [{"ip_type": "cloud"}]}', '{"ip_type": "cloud"}']) d;
SELECT is(cowrie_ip_types('{"spur": {"client": {"types": "MOBILE"}}, "ip_classification": {"ip_type": "cloud"}}'::jsonb),
          '{MOBILE}'::text[], 'SPUR''s types come first: the classification is read only when SPUR names none');
SELECT is(cowrie_ip_types('{"spur": {"client": {"types": []}}, "ip_classification": {"ip_type": "tor"}}'::jsonb),
          '{TOR}'::text[], 'an empty SPUR list names none');
SELECT is(ARRAY(SELECT cowrie_ip_type_priority(t) FROM unnest(ARRAY['VPN','TOR','PROXY','DATACENTER','RESIDENTIAL','MOBILE','CLOUD','cloud','SERVER']) t),
          '{1,2,3,4,5,6,7,7,99}'::int[], 'upstream''s six priorities unchanged; CLOUD is 7, after them');
SELECT is(cowrie_primary_ip_type('{cloud,MOBILE}'), 'MOBILE', 'any of upstream''s six outranks CLOUD');
SELECT is(cowrie_primary_ip_type('{cloud,SERVER}'), 'CLOUD', 'CLOUD outranks a type the vocabulary does not know, and is upper-cased');

-- The snapshot rule: the inventory's document when ip_types is empty; a private IP none.
SELECT is((cowrie_session_snapshot('8.8.8.8', true, 15169, 'US', '{}', '{"ip_classification": {"ip_type": "datacenter"}}', NULL)).snapshot_ip_type,
          'DATACENTER', 'the snapshot rule types a public IP by its classification');
SELECT is((cowrie_session_snapshot('10.0.0.1', true, NULL, 'US', '{}', '{"ip_classification": {"ip_type": "cloud"}}', NULL)).snapshot_ip_type,
          NULL, 'a private IP gets no type, whatever its classification');
SELECT is((cowrie_session_snapshot('8.8.8.8', true, 15169, 'US', '{VPN}', '{"ip_classification": {"ip_type": "cloud"}}', NULL)).snapshot_ip_type,
          'VPN', 'ip_types (SPUR''s) win over the document''s classification');

-- The inventory's trigger derives ip_types from the classification.
INSERT INTO asn_inventory (asn_number, first_seen, last_seen) VALUES (64500, now(), now());
INSERT INTO ip_inventory (ip_address, current_asn, first_seen, last_seen, enrichment, enrichment_updated_at) VALUES
 ('45.33.100.1', 64500, now(), now(), '{"maxmind": {"country": "US"}, "ip_classification": {"ip_type": "cloud", "provider": "aws"}}', '2025-11-10 12:00+00'),
 ('45.33.100.2', 64500, now(), now(), '{"maxmind": {"country": "DE"}, "spur": {"client": {"types": ["MOBILE"]}}, "ip_classification": {"ip_type": "tor"}}', '2025-11-10 12:00+00'),
 ('45.33.100.3', 64500, now(), now(), '{"maxmind": {"country": "FR"}, "ip_classification": {"ip_type": "unknown"}}', '2025-11-10 12:00+00'),
 ('45.33.100.4', NULL, now(), now(), '{"maxmind": {"country": "NL"}}', '2025-11-10 12:00+00'),
 ('10.9.9.9', NULL, now(), now(), '{"maxmind": {"country": "US"}, "ip_classification": {"ip_type": "residential"}}', NULL);
SELECT results_eq($$SELECT ip_types FROM ip_inventory WHERE ip_address LIKE '45.33.100.%' OR ip_address = '10.9.9.9' ORDER BY ip_address$$,
    $$VALUES ('{RESIDENTIAL}'::text[]), ('{CLOUD}'::text[]), ('{MOBILE}'::text[]), ('{}'::text[]), ('{}'::text[])$$,
    'an inserted inventory row gets ip_types from SPUR, else from its classification; unknown gives none');

-- The session trigger, as upstream's loader writes: the country (and ASN) it
-- took from the inventory, the type only from SPUR (NULL here).
INSERT INTO session_summaries (session_id, source_ip, enrichment, snapshot_asn, snapshot_country)
VALUES ('load1', '45.33.100.1', '{"dshield": {"ip": {"number": "45.33.100.1"}}}', 64500, 'US');
SELECT is((SELECT (snapshot_country, snapshot_asn, snapshot_ip_type, enrichment_at)::text FROM session_summaries WHERE session_id = 'load1'),
          '(US,64500,CLOUD,"2025-11-10 12:00:00+00")', 'a loader INSERT that writes a country but no type gets the type at ingestion');
INSERT INTO session_summaries (session_id, source_ip, enrichment, snapshot_country)
VALUES ('load2', '45.33.100.2', '{"dshield": {"ip": {"number": "45.33.100.2"}}}', 'DE');
SELECT is((SELECT (snapshot_country, snapshot_asn, snapshot_ip_type)::text FROM session_summaries WHERE session_id = 'load2'),
          '(DE,64500,MOBILE)', 'and a NULL ASN too; SPUR''s type wins over the classification');
INSERT INTO session_summaries (session_id, enrichment, snapshot_country)
VALUES ('load3', '{"dshield": {"ip": {"number": "45.33.100.1"}}}', 'GB');
SELECT is((SELECT (source_ip, snapshot_country, snapshot_ip_type)::text FROM session_summaries WHERE session_id = 'load3'),
          '(45.33.100.1,GB,CLOUD)', 'a written country is never overwritten, even when the inventory says another');
INSERT INTO session_summaries (session_id, enrichment) VALUES ('trg1', '{"dshield": {"ip": {"number": "45.33.100.1"}}}');
SELECT is((SELECT (snapshot_country, snapshot_ip_type)::text FROM session_summaries WHERE session_id = 'trg1'), '(US,CLOUD)',
          'a session the loader leaves empty gets the classification''s type');
INSERT INTO session_summaries (session_id, enrichment) VALUES ('trg2', '{"dshield": {"ip": {"number": "45.33.100.3"}}}');
SELECT is((SELECT (snapshot_country, snapshot_ip_type)::text FROM session_summaries WHERE session_id = 'trg2'), '(FR,)',
          'unknown gives no type');
INSERT INTO session_summaries (session_id, enrichment, snapshot_country) VALUES ('trg3', '{"dshield": {"ip": {"number": "10.9.9.9"}}}', 'XX');
SELECT is((SELECT (snapshot_country, snapshot_ip_type)::text FROM session_summaries WHERE session_id = 'trg3'), '(XX,)',
          'a private IP gets no type from its classification');
INSERT INTO session_summaries (session_id, enrichment, snapshot_country, snapshot_ip_type, snapshot_asn)
VALUES ('typed', '{"dshield": {"ip": {"number": "45.33.100.1"}}}', 'US', 'VPN', 64500);
SELECT is((SELECT snapshot_ip_type FROM session_summaries WHERE session_id = 'typed'), 'VPN', 'a type the loader wrote is kept');

-- The lookup.
SELECT results_eq($$SELECT ip_address, snapshot_ip_type FROM cowrie_lookup_snapshots(ARRAY['45.33.100.1', '45.33.100.2', '45.33.100.3', '10.9.9.9']) ORDER BY 1$$,
    $$VALUES ('10.9.9.9', NULL::text), ('45.33.100.1', 'CLOUD'), ('45.33.100.2', 'MOBILE'), ('45.33.100.3', NULL)$$,
    'cowrie_lookup_snapshots follows the same rule');

-- The backfill: a session whose IP was not enriched at ingestion, then classified.
INSERT INTO session_summaries (session_id, enrichment) VALUES ('late', '{"dshield": {"ip": {"number": "45.34.0.77"}}}');
SELECT is((SELECT snapshot_country FROM session_summaries WHERE session_id = 'late'), NULL, 'not in the inventory yet: left for the backfill');
INSERT INTO ip_inventory (ip_address, current_asn, first_seen, last_seen, enrichment, enrichment_updated_at) VALUES
 ('45.34.0.77', 64500, now(), now(), '{"maxmind": {"country": "JP"}, "ip_classification": {"ip_type": "residential"}}', '2025-11-11 00:00+00');
SELECT cowrie_backfill(100) AS ran \gset
SELECT is((SELECT (snapshot_country, snapshot_asn, snapshot_ip_type)::text FROM session_summaries WHERE session_id = 'late'), '(JP,64500,RESIDENTIAL)',
          'the backfill gives the classification''s type');

-- A classification that arrives later, on an inventory row without types.
INSERT INTO session_summaries (session_id, enrichment) VALUES ('later', '{"dshield": {"ip": {"number": "45.33.100.4"}}}');
SELECT is((SELECT (snapshot_country, snapshot_ip_type)::text FROM session_summaries WHERE session_id = 'later'), '(NL,)', 'decided without a type');
UPDATE ip_inventory SET enrichment = enrichment || '{"ip_classification": {"ip_type": "datacenter"}}', enrichment_updated_at = now()
WHERE ip_address = '45.33.100.4';
SELECT is((SELECT ip_types FROM ip_inventory WHERE ip_address = '45.33.100.4'), '{DATACENTER}'::text[],
          'the enricher''s update of the document gives the inventory row its type');
SELECT cowrie_backfill(100) AS ran \gset
SELECT is((SELECT snapshot_ip_type FROM session_summaries WHERE session_id = 'later'), 'DATACENTER',
          'an ordinary backfill run gives it to the session whose type is still NULL');

-- A type once set never changes.
UPDATE ip_inventory SET enrichment = enrichment || '{"ip_classification": {"ip_type": "tor"}}' WHERE ip_address = '45.33.100.1';
SELECT is((SELECT ip_types FROM ip_inventory WHERE ip_address = '45.33.100.1'), '{TOR}'::text[], 'a re-classification changes the inventory''s types');
SELECT cowrie_backfill(100) AS ran \gset
SELECT cowrie_backfill(100, retry_unenrichable => true) AS ran \gset
SELECT is((SELECT string_agg(session_id || '=' || snapshot_ip_type, ',' ORDER BY session_id) FROM session_summaries
           WHERE session_id IN ('load1', 'load3', 'trg1', 'typed')), 'load1=CLOUD,load3=CLOUD,trg1=CLOUD,typed=VPN',
          'but not the sessions'' types, through ordinary and retry runs');
UPDATE session_summaries SET updated_at = now() WHERE session_id = 'load1';
SELECT is((SELECT snapshot_ip_type FROM session_summaries WHERE session_id = 'load1'), 'CLOUD', 'nor through the trigger on UPDATE');

SELECT * FROM finish();
ROLLBACK;
