-- One json document that jsonb cannot hold (a string of 256 MB or more) is
-- skipped and counted; it never aborts the migration (upstream's 283 MB
-- enrichment made CREATE EXTENSION fail with "string too long to represent
-- as jsonb string").
\ir include/empty_v15.sql
BEGIN;
-- 'x' compresses to almost nothing: the row is small on disk, 268 MB when read.
INSERT INTO session_summaries (session_id, first_event_at, last_event_at, enrichment) VALUES
 ('big1', '2024-11-01 00:00', '2024-11-01 00:10',
  ('{"dshield": {"ip": {"number": "8.8.8.8"}}, "maxmind": {"country": "US"}, "blob": "' || repeat('x', 268435456) || '"}')::json),
 ('small1', '2024-11-01 00:00', '2024-11-01 00:05', '{"dshield": {"ip": {"number": "9.9.9.9"}}, "maxmind": {"country": "DE"}}');

SELECT plan(6);
SELECT lives_ok('CREATE EXTENSION cowrie_snapshot', 'CREATE EXTENSION migrates a database holding such a document');
SELECT is(cowrie_jsonb_safe((SELECT enrichment FROM session_summaries WHERE session_id = 'big1')), NULL,
          'cowrie_jsonb_safe gives NULL for a document jsonb cannot hold');
SELECT is((SELECT cowrie_extract_ip(enrichment) FROM session_summaries WHERE session_id = 'big1'), '8.8.8.8',
          'its IP is still read (the json reader has no such limit)');
SELECT is((cowrie_migrate() -> 'counts' ->> 'documents_too_large_for_jsonb')::int, 1, 'and counts it');
SELECT is((SELECT enrichment FROM ip_inventory WHERE ip_address = '8.8.8.8'), '{}'::jsonb,
          'its IP''s inventory row is made with an empty document');
SELECT is((SELECT (source_ip, snapshot_country)::text FROM session_summaries WHERE session_id = 'small1'), '(9.9.9.9,DE)',
          'the other sessions are migrated as usual');

SELECT * FROM finish();
ROLLBACK;
