-- A timestamp without time zone holds UTC's wall clock (issue 28): the
-- migration converts the session timestamps AT TIME ZONE 'UTC' (README,
-- "Timestamps"), and an inventory's timestamp enrichment_updated_at gives
-- the same enrichment_at through the trigger, the lookup and the backfill,
-- under any TimeZone of any of them.
\ir include/empty_v15.sql
BEGIN;
ALTER TABLE session_summaries ALTER COLUMN first_event_at TYPE timestamp, ALTER COLUMN last_event_at TYPE timestamp;
INSERT INTO session_summaries (session_id, first_event_at, last_event_at) VALUES ('ts0', '2025-05-01 12:00', '2025-05-01 13:00');
SET LOCAL TimeZone = 'America/New_York';
CREATE EXTENSION cowrie_snapshot;
SELECT plan(7);
SELECT is((SELECT format_type(atttypid, atttypmod) FROM pg_attribute WHERE attrelid = 'session_summaries'::regclass AND attname = 'first_event_at'),
          'timestamp with time zone', 'the migration converts first_event_at to timestamptz');
SELECT is((SELECT (first_event_at, last_event_at) = ('2025-05-01 12:00+00'::timestamptz, '2025-05-01 13:00+00'::timestamptz) FROM session_summaries WHERE session_id = 'ts0'),
          true, 'as UTC, under TimeZone America/New_York');

-- The inventory's enrichment_updated_at as timestamp (upstream's ORM could make one).
DROP TRIGGER cowrie_inventory_types ON ip_inventory;
ALTER TABLE ip_inventory ALTER COLUMN enrichment_updated_at TYPE timestamp USING enrichment_updated_at AT TIME ZONE 'UTC';
INSERT INTO asn_inventory (asn_number, first_seen, last_seen) VALUES (64500, now(), now());
INSERT INTO ip_inventory (ip_address, current_asn, first_seen, last_seen, enrichment, enrichment_updated_at)
VALUES ('81.2.69.142', 64500, now(), now(), '{"maxmind": {"country": "NL"}}', '2025-05-01 12:00');
INSERT INTO session_summaries (session_id, enrichment) VALUES ('ts1', '{"session_metadata": {"source_ip": "81.2.69.142"}}');
SET LOCAL TimeZone = 'UTC';
INSERT INTO session_summaries (session_id, enrichment) VALUES ('ts2', '{"session_metadata": {"source_ip": "81.2.69.142"}}');
SELECT is((SELECT array_agg(enrichment_at ORDER BY session_id) FROM session_summaries WHERE session_id IN ('ts1', 'ts2')),
          ARRAY['2025-05-01 12:00+00', '2025-05-01 12:00+00']::timestamptz[], 'the trigger reads it as UTC under New York''s and UTC''s TimeZone');
SELECT is((SELECT enrichment_at FROM cowrie_lookup_snapshots(ARRAY['81.2.69.142'])), '2025-05-01 12:00+00'::timestamptz, 'so does the lookup (UTC)');
SET LOCAL TimeZone = 'America/New_York';
SELECT is((SELECT enrichment_at FROM cowrie_lookup_snapshots(ARRAY['81.2.69.142'])), '2025-05-01 12:00+00'::timestamptz, 'and under New York''s');
ALTER TABLE session_summaries DISABLE TRIGGER cowrie_session_snapshot;
INSERT INTO session_summaries (session_id, enrichment) VALUES ('ts3', '{"session_metadata": {"source_ip": "81.2.69.142"}}');
ALTER TABLE session_summaries ENABLE TRIGGER cowrie_session_snapshot;
SELECT ok(cowrie_backfill(100) >= 1, 'the backfill takes the session the trigger did not see');
SELECT is((SELECT enrichment_at FROM session_summaries WHERE session_id = 'ts3'), '2025-05-01 12:00+00'::timestamptz,
          'and writes the same instant under New York''s TimeZone');

SELECT * FROM finish();
ROLLBACK;
