-- The migration's facts table is probed by session_id once per session in
-- phase 4. Its index must be usable in the migration's own transaction: an
-- index built after the table was updated (the raw_events fallback updates
-- it) is ignored there (pg_index.indcheckxmin), and each probe became a scan
-- of the whole table (48 s instead of 2 s at 20,000 sessions).
\ir include/empty_v15.sql
BEGIN;
CREATE EXTENSION cowrie_snapshot;
INSERT INTO session_summaries (session_id, enrichment)
SELECT 's' || g, pg_catalog.json_build_object('dshield', pg_catalog.json_build_object('ip', pg_catalog.json_build_object('number', '81.2.69.' || g)))
FROM generate_series(1, 50) g;
-- Sessions whose documents name no IP: the facts table is updated from raw_events.
INSERT INTO session_summaries (session_id, enrichment) SELECT 'r' || g, '{"note": "no ip"}' FROM generate_series(1, 5) g;
INSERT INTO raw_events (session_id, event_type, payload, source, source_offset, event_timestamp)
SELECT 'r' || g, 'cowrie.session.connect', pg_catalog.json_build_object('src_ip', '81.2.70.' || g), 'fixture', g, now()
FROM generate_series(1, 5) g;
CREATE FUNCTION pg_temp.plan_of(query text) RETURNS text LANGUAGE plpgsql AS $$
DECLARE
    line text;
    plan text := '';
BEGIN
    FOR line IN EXECUTE 'EXPLAIN ' || query LOOP
        plan := plan || line || ' ';
    END LOOP;
    RETURN plan;
END $$;
SELECT plan(3);
-- The reading step alone, on sessions the migration has not seen (inserted after it).
SELECT is((cowrie_migrate_read_sessions() ->> 'ip_from_raw_events')::int, 5, 'the facts of five sessions come from raw_events (the facts table is updated)');
SELECT is((SELECT count(*) FROM pg_index WHERE indrelid = 'pg_temp.cowrie_migrate_facts'::regclass AND indisvalid AND NOT indcheckxmin),
          1::bigint, 'its session_id index is usable in the transaction that built it');
SET LOCAL enable_seqscan = off;
SELECT ok(pg_temp.plan_of($$SELECT f.ip FROM pg_temp.cowrie_migrate_facts f WHERE f.session_id = 's1' LIMIT 1$$) ~ 'Index',
          'phase 4''s probe of a session''s facts is an index scan');
SELECT * FROM finish();
ROLLBACK;
