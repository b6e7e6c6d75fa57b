-- The snapshot writer (cowrie_write_snapshots: the backfill, the migration's
-- phase 4) sets cowrie_snapshot.writer_active for its own statements, and the
-- ingestion trigger then leaves the rows as the writer decided them instead
-- of looking each one up again. Outside the writer the setting is off, and
-- a role that sets it itself only loses the fill at ingestion of its own
-- rows, which the backfill then makes with the same rows as the trigger.
\ir include/empty_v15.sql
BEGIN;
CREATE EXTENSION cowrie_snapshot;

INSERT INTO asn_inventory (asn_number, first_seen, last_seen) VALUES (64500, now(), now());
INSERT INTO ip_inventory (ip_address, current_asn, first_seen, last_seen, enrichment, ip_types, enrichment_updated_at) VALUES
 ('8.8.8.8', 64500, now(), now(), '{"maxmind": {"country": "US"}}', '{RESIDENTIAL}', '2026-01-02 03:04:05+00');

SELECT plan(11);

SELECT is(current_setting('cowrie_snapshot.writer_active'), 'off', 'the setting is off by default');
SELECT ok((SELECT 'cowrie_snapshot.writer_active=on' = ANY (p.proconfig) FROM pg_proc p
           WHERE p.oid = 'cowrie_write_snapshots(regclass, tid[], text[], boolean, boolean)'::regprocedure),
          'the writer turns it on for its own statements only (a SET clause: back off when it returns or fails)');
SELECT is((SELECT count(*) FROM pg_settings WHERE name = 'cowrie_snapshot.writer_active'), 0::bigint,
          'an internal setting: SHOW ALL does not list it');

-- The trigger fills a session at ingestion.
INSERT INTO session_summaries (session_id, enrichment, first_event_at, last_event_at)
VALUES ('by-trigger', '{"dshield": {"ip": {"number": "8.8.8.8"}}}', now(), now());
SELECT is((SELECT (source_ip, snapshot_asn, snapshot_country, snapshot_ip_type)::text FROM session_summaries WHERE session_id = 'by-trigger'),
          '(8.8.8.8,64500,US,RESIDENTIAL)', 'the trigger fills a new session at ingestion');

-- With the setting on, the trigger leaves the row as written.
SET LOCAL cowrie_snapshot.writer_active = on;
INSERT INTO session_summaries (session_id, enrichment, first_event_at, last_event_at)
VALUES ('by-backfill', '{"dshield": {"ip": {"number": "8.8.8.8"}}}', now(), now());
SELECT is((SELECT (source_ip, snapshot_asn, snapshot_country, snapshot_ip_type, enrichment_at)::text FROM session_summaries WHERE session_id = 'by-backfill'),
          '(,,,,)', 'with writer_active on, the trigger leaves the row as written');
RESET cowrie_snapshot.writer_active;

SELECT is(cowrie_backfill(100), 1::bigint, 'the backfill takes that session');
SELECT is(current_setting('cowrie_snapshot.writer_active'), 'off', 'and the setting is off again after the writer returned');
SELECT is((SELECT (source_ip, snapshot_asn, snapshot_country, snapshot_ip_type, enrichment_at)::text FROM session_summaries WHERE session_id = 'by-backfill'),
          (SELECT (source_ip, snapshot_asn, snapshot_country, snapshot_ip_type, enrichment_at)::text FROM session_summaries WHERE session_id = 'by-trigger'),
          'the backfill gives it the row the trigger gives at ingestion');

-- A loader's UPDATE outside the writer still has the trigger: a session
-- whose type was never filled gets it.
UPDATE session_summaries SET snapshot_ip_type = NULL WHERE session_id = 'by-trigger';
SELECT is((SELECT snapshot_ip_type FROM session_summaries WHERE session_id = 'by-trigger'), 'RESIDENTIAL',
          'an UPDATE outside the writer still gets the trigger''s fill');

-- An error inside the writer leaves the setting off: the function's SET
-- clause is undone with the failed call.
SELECT throws_ok($$SELECT * FROM cowrie_write_snapshots('pg_class'::regclass, '{}'::tid[], '{}'::text[], false, true)$$,
                 '22023', 'cowrie_snapshot: pg_class is not a heap of session_summaries',
                 'the writer refuses a relation that is not a heap of session_summaries');
SELECT is(current_setting('cowrie_snapshot.writer_active'), 'off', 'and the setting is off after the failed call');

SELECT * FROM finish();
ROLLBACK;
