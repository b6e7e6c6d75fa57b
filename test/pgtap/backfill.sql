-- cowrie_backfill: eligibility, outcomes, immutability, dry run, raw_events
-- fallback, retry of unenrichable sessions, termination, permissions.
\ir include/empty_v15.sql
BEGIN;

INSERT INTO session_summaries (session_id, first_event_at, last_event_at, enrichment) VALUES
 ('a-enriched', '2025-01-01', '2025-03-01', '{"dshield": {"ip": {"number": "8.8.8.8"}}, "cymru": {"asn": 15169}, "maxmind": {"country": "US"}, "spur": {"client": {"types": ["RESIDENTIAL", "VPN"]}}}'),
 ('b-again', '2025-01-02', '2025-01-02', '{"dshield": {"ip": {"number": "8.8.8.8"}}}'),
 ('c-private', '2025-01-03', '2025-01-03', '{"dshield": {"ip": {"number": "192.168.1.1"}}, "maxmind": {"country": "US"}}'),
 ('d-garbage', '2025-01-04', '2025-01-04', '{"dshield": {"ip": {"number": "1.2.3.4/32"}}}'),
 ('e-nocountry', '2025-01-05', '2025-01-05', '{"dshield": {"ip": {"number": "5.5.5.5", "ascountry": "TIMEOUT"}}, "cymru": {"asn": 64500}}'),
 ('f-raw', '2025-01-06', '2025-01-06', '{"password_stats": {}}'),
 ('g-keep', '2025-01-07', '2025-01-07', '{"dshield": {"ip": {"number": "8.8.8.8"}}}'),
 ('h-mapped', '2025-01-08', '2025-01-08', '{"dshield": {"ip": {"number": "::ffff:10.0.0.1"}}}');
INSERT INTO raw_events (source, source_offset, payload, session_id, event_timestamp) VALUES
 ('a.json', 2, '{"eventid": "cowrie.session.connect", "src_ip": "6.6.6.6"}', 'f-raw', '2025-01-06 00:00:02+00'),
 ('a.json', 1, '{"eventid": "cowrie.login.failed"}', 'f-raw', '2025-01-06 00:00:01+00'),
 ('a.json', 3, '{"eventid": "cowrie.session.connect", "src_ip": "7.7.7.7"}', 'f-raw', '2025-01-06 00:00:03+00'),
 ('a.json', 4, '{"eventid": "cowrie.session.connect", "src_ip": "8.8.8.8"}', 'f-raw', NULL);

SET cowrie_snapshot.defer_session_backfill = on;
CREATE EXTENSION cowrie_snapshot;
-- The enricher has since looked at the IP the raw events name.
UPDATE ip_inventory SET enrichment = '{"maxmind": {"country": "fr"}}', enrichment_updated_at = '2025-06-01 00:00+00'
WHERE ip_address = '6.6.6.6';
UPDATE ip_inventory SET enrichment_updated_at = '2025-05-01 00:00+00' WHERE ip_address = '8.8.8.8';
-- A value written before the backfill is never overwritten (the trigger would fill the row now, so it is held off).
ALTER TABLE session_summaries DISABLE TRIGGER cowrie_session_snapshot;
UPDATE session_summaries SET snapshot_asn = 1, snapshot_ip_type = 'MOBILE' WHERE session_id = 'g-keep';
ALTER TABLE session_summaries ENABLE TRIGGER cowrie_session_snapshot;

SELECT plan(27);

SELECT is((SELECT count(*) FROM session_summaries WHERE snapshot_country IS NULL), 8::bigint, 'deferred mode left every session to the backfill');
SELECT is(cowrie_backfill(3, dry_run => true), 8::bigint, 'dry run examines every eligible session and ends');
SELECT is((SELECT count(*) FROM session_summaries WHERE snapshot_country IS NOT NULL), 0::bigint, 'dry run changes nothing');
SELECT is(cowrie_backfill(3, max_batches => 1), 3::bigint, 'max_batches bounds the work');
SELECT is(cowrie_backfill(3), 5::bigint, 'the rest, in keyset batches');
SELECT is(cowrie_backfill(3), 0::bigint, 'repeated calls reach 0');

SELECT is((SELECT (source_ip, snapshot_asn, snapshot_country, snapshot_ip_type, enrichment_at)::text FROM session_summaries WHERE session_id = 'a-enriched'),
          '(8.8.8.8,15169,US,VPN,"2025-05-01 00:00:00+00")', 'enriched: inventory values, type by priority, enrichment_at = enrichment_updated_at');
SELECT is((SELECT (snapshot_asn, snapshot_country)::text FROM session_summaries WHERE session_id = 'b-again'), '(15169,US)', 'same IP, same snapshot');
SELECT is((SELECT (source_ip, snapshot_asn, snapshot_country, snapshot_ip_type)::text FROM session_summaries WHERE session_id = 'c-private'),
          '(192.168.1.1,,XX,)', 'private IP: XX only');
SELECT is((SELECT (source_ip, snapshot_country)::text FROM session_summaries WHERE session_id = 'd-garbage'), '(,XX)', 'unparseable IP: XX, source_ip stays NULL');
SELECT is((SELECT (source_ip, snapshot_asn, snapshot_country)::text FROM session_summaries WHERE session_id = 'e-nocountry'),
          '(5.5.5.5,64500,XX)', 'public IP without a usable country: XX, ASN kept');
SELECT is((SELECT (source_ip, snapshot_country, enrichment_at)::text FROM session_summaries WHERE session_id = 'f-raw'),
          '(6.6.6.6,FR,"2025-06-01 00:00:00+00")', 'IP from the earliest raw event carrying one');
SELECT is((SELECT (snapshot_asn, snapshot_country, snapshot_ip_type)::text FROM session_summaries WHERE session_id = 'g-keep'),
          '(1,US,MOBILE)', 'existing snapshot values are never overwritten');
SELECT is((SELECT (source_ip, snapshot_country)::text FROM session_summaries WHERE session_id = 'h-mapped'),
          '(::ffff:10.0.0.1,XX)', 'IPv4-mapped private address follows the IPv4 rules');
SELECT ok((SELECT bool_and(snapshot_country ~ '^[A-Z]{2}$') FROM session_summaries), 'every value passes snapshot_country_iso');

-- An IP that has a country by now: the inventory trigger queued it.
UPDATE ip_inventory SET enrichment = enrichment || '{"maxmind": {"country": "NL"}}' WHERE ip_address = '5.5.5.5';
SELECT is(cowrie_backfill(100), 1::bigint, 'an ordinary run gives the XX session the country its IP''s inventory row gained');
SELECT is(cowrie_backfill(100, retry_unenrichable => true), 0::bigint, 'a retry run finds nothing more to add');
SELECT is((SELECT snapshot_country FROM session_summaries WHERE session_id = 'e-nocountry')::text, 'NL', 'and fills them');
SELECT is((SELECT snapshot_country FROM session_summaries WHERE session_id = 'c-private')::text, 'XX', 'private stays XX');
SELECT is(cowrie_backfill(100, retry_unenrichable => true), 0::bigint, 'retry also reaches 0');

-- Errors are clear.
SELECT throws_ok('SELECT cowrie_backfill(0)', '22023', 'cowrie_snapshot: batch_size of cowrie_backfill must be between 1 and 1000000', 'bad batch size');
SELECT throws_ok('SELECT cowrie_backfill(NULL)', '22004', NULL, 'NULL batch size');

-- Permissions: a role without UPDATE on session_summaries gets an error and changes nothing.
CREATE ROLE cowrie_reader;
GRANT USAGE ON SCHEMA public TO cowrie_reader;
GRANT SELECT ON ALL TABLES IN SCHEMA public TO cowrie_reader;
UPDATE session_summaries SET snapshot_country = NULL, snapshot_asn = NULL, snapshot_ip_type = NULL, enrichment_at = NULL, source_ip = NULL
WHERE session_id = 'b-again';
-- The trigger refilled it; clear without firing it.
ALTER TABLE session_summaries DISABLE TRIGGER cowrie_session_snapshot;
UPDATE session_summaries SET snapshot_country = NULL, snapshot_asn = NULL WHERE session_id = 'b-again';
ALTER TABLE session_summaries ENABLE TRIGGER cowrie_session_snapshot;
SET LOCAL ROLE cowrie_reader;
SELECT throws_ok('SELECT cowrie_backfill(10)', '42501', NULL, 'no UPDATE privilege: permission denied');
RESET ROLE;
SELECT is((SELECT snapshot_country FROM session_summaries WHERE session_id = 'b-again'), NULL, 'and no row changed');

-- A table owner who is not a superuser can run it.
CREATE ROLE cowrie_owner;
GRANT USAGE, CREATE ON SCHEMA public TO cowrie_owner;
ALTER TABLE session_summaries OWNER TO cowrie_owner;
GRANT SELECT ON ip_inventory TO cowrie_owner;
GRANT SELECT ON raw_events TO cowrie_owner;
SET LOCAL ROLE cowrie_owner;
SELECT is(cowrie_backfill(10), 1::bigint, 'the owner of session_summaries runs the backfill');
RESET ROLE;
SELECT is((SELECT snapshot_country FROM session_summaries WHERE session_id = 'b-again')::text, 'US', 'and the row is filled');
SELECT is((SELECT count(*) FROM session_summaries WHERE snapshot_country IS NULL), 0::bigint, 'nothing left');

SELECT * FROM finish();
ROLLBACK;
