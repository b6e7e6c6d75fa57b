-- What upstream's own loader (HEAD bulk.py) writes into a v16 database: its
-- flush carries snapshot_country = '' when the inventory's DShield ascountry
-- is '', and snapshot_ip_type as the JSON text of the SPUR types list. The
-- trigger treats such values as absent and computes them by the rule; a
-- valid value is never overwritten; updated_at is the loader's own.
\ir include/empty_v15.sql
BEGIN;
CREATE EXTENSION cowrie_snapshot;

INSERT INTO asn_inventory (asn_number, first_seen, last_seen) VALUES (64500, now(), now());
INSERT INTO ip_inventory (ip_address, current_asn, first_seen, last_seen, enrichment, ip_types) VALUES
 ('8.8.8.8', 64500, now(), now(), '{"maxmind": {"country": "US"}}', '{RESIDENTIAL,MOBILE,DESKTOP}'),
 ('5.5.5.5', 64500, now(), now(), '{"dshield": {"ip": {"ascountry": ""}}}', '{}');

SELECT plan(16);

SELECT is((SELECT tgqual IS NULL FROM pg_trigger WHERE tgname = 'cowrie_session_snapshot' AND tgrelid = 'session_summaries'::regclass), true,
          'the trigger has no WHEN clause: it sees the values a loader supplies');

-- Upstream's flush, as it sends it: values it took from the inventory.
PREPARE flush(text, text, text, text) AS
    INSERT INTO session_summaries (session_id, source_ip, enrichment, snapshot_asn, snapshot_country, snapshot_ip_type, updated_at)
    VALUES ($1, $2, ('{"dshield": {"ip": {"number": "' || $2 || '"}}}')::json, 64500, $3, $4, '2020-01-01 00:00+00')
    ON CONFLICT (session_id) DO UPDATE SET
        snapshot_country = COALESCE(session_summaries.snapshot_country, EXCLUDED.snapshot_country),
        snapshot_ip_type = COALESCE(session_summaries.snapshot_ip_type, EXCLUDED.snapshot_ip_type),
        updated_at = EXCLUDED.updated_at;

SELECT lives_ok($$EXECUTE flush('l1', '5.5.5.5', '', NULL)$$, 'a flush carrying snapshot_country = '''' succeeds (no CheckViolation)');
SELECT is((SELECT snapshot_country::text FROM session_summaries WHERE session_id = 'l1'), NULL,
          'and the '''' is treated as absent (the inventory has no country yet: left to the backfill)');
SELECT is(cowrie_backfill(100), 1::bigint, 'the backfill then takes that session');
SELECT is((SELECT snapshot_country::text FROM session_summaries WHERE session_id = 'l1'), 'XX', 'and gives it the rule''s XX');
SELECT lives_ok($$EXECUTE flush('l2', '8.8.8.8', 'US', '["DESKTOP", "MOBILE"]')$$, 'a flush carrying a JSON list as the type succeeds');
SELECT is((SELECT snapshot_ip_type FROM session_summaries WHERE session_id = 'l2'), 'RESIDENTIAL',
          'and the session gets the rule''s type (the highest priority of the inventory''s types)');
SELECT is((SELECT snapshot_country::text FROM session_summaries WHERE session_id = 'l2'), 'US', 'its valid country is kept');
SELECT is((SELECT l.snapshot_ip_type FROM session_summaries s
           JOIN LATERAL cowrie_lookup_snapshots(ARRAY[s.source_ip::text]) l ON true WHERE s.session_id = 'l2'),
          (SELECT snapshot_ip_type FROM session_summaries WHERE session_id = 'l2'), 'the same type as cowrie_lookup_snapshots gives');

-- Not decided yet (no country in the inventory): the invalid type is nulled
-- for the backfill, as the invalid country is.
SELECT lives_ok($$EXECUTE flush('l4', '5.5.5.5', '', '["DESKTOP"]')$$, 'a flush of an undecided session carrying a JSON list as the type');
SELECT is((SELECT (snapshot_country IS NULL AND snapshot_ip_type IS NULL AND source_ip = '5.5.5.5') FROM session_summaries WHERE session_id = 'l4'), true,
          'the trigger nulls the invalid type and country, and leaves the session to the backfill');

-- A valid value is never overwritten, whatever the rule would say.
SELECT lives_ok($$EXECUTE flush('l3', '8.8.8.8', 'DE', 'TOR')$$, 'a flush with valid values');
SELECT is((SELECT (snapshot_country, snapshot_ip_type)::text FROM session_summaries WHERE session_id = 'l3'), '(DE,TOR)',
          'keeps them (upstream''s per-session values stay)');
-- The upsert's update of an existing session with a bad value.
EXECUTE flush('l3', '8.8.8.8', '', '["VPN"]');
SELECT is((SELECT (snapshot_country, snapshot_ip_type)::text FROM session_summaries WHERE session_id = 'l3'), '(DE,TOR)',
          'a later flush with bad values keeps the valid ones stored');
UPDATE session_summaries SET snapshot_ip_type = '["VPN"]' WHERE session_id = 'l3';
SELECT is((SELECT snapshot_ip_type FROM session_summaries WHERE session_id = 'l3'), 'RESIDENTIAL',
          'an UPDATE writing a JSON list as the type gets the rule''s type instead');
SELECT is((SELECT count(*) FROM session_summaries WHERE updated_at = '2020-01-01 00:00+00'), 4::bigint,
          'updated_at stays what the loader wrote (the trigger never sets it)');

SELECT * FROM finish();
ROLLBACK;
