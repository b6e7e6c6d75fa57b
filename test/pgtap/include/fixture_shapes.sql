-- Shared by fixture_shapes_json.sql and fixture_shapes_jsonb.sql: every
-- fixture shape, with enrichment of type :enrichment_type. Extraction matches
-- the expected IP, the migration gives one snapshot per session, and default
-- mode equals deferred mode plus backfill, row for row.
\set QUIET 1
\set ON_ERROR_STOP 1
SET client_min_messages = warning;
\set n 400
\ir ../../fixtures/cowrie_v15.sql
\ir layout.sql
\set ON_ERROR_STOP 1
-- Functions only; each block below migrates with ALTER EXTENSION ... UPDATE and rolls back.
CREATE EXTENSION cowrie_snapshot VERSION '1.0';
-- Set-up, not a check: the fixture has its shapes (an error stops the file, which fails).
DO $$ BEGIN
	IF (SELECT count(DISTINCT shape) FROM fixture.session_shape) < 50 THEN
		RAISE EXCEPTION 'set-up: the fixture covers fewer than 50 shapes';
	END IF;
END $$;
SELECT plan(10);

SELECT is((SELECT count(*) FROM session_summaries s JOIN fixture.session_shape f USING (session_id)
           WHERE cowrie_extract_ip(s.enrichment) IS DISTINCT FROM f.expected_ip), 0::bigint,
          :'enrichment_type' || ': cowrie_extract_ip finds the expected IP in every shape');
SELECT lives_ok($$SELECT cowrie_ip_types(enrichment), cowrie_enrichment_facts(enrichment) FROM session_summaries$$,
                :'enrichment_type' || ': every document reads without error');

-- pgTAP keeps its results in tables a ROLLBACK would undo: each migration
-- runs in a transaction that is rolled back, and its numbers are kept in psql
-- variables for the assertions that follow.
BEGIN;
ALTER EXTENSION cowrie_snapshot UPDATE;
SELECT md5(string_agg(concat_ws('|', session_id, source_ip, snapshot_asn, snapshot_country, snapshot_ip_type, enrichment_at), ',' ORDER BY session_id)) AS default_rows,
       count(*) FILTER (WHERE snapshot_country IS NULL) AS without_snapshot,
       count(*) FILTER (WHERE snapshot_ip_type IS NOT NULL) AS with_type,
       count(*) FILTER (WHERE source_ip IS NOT NULL AND NOT EXISTS (SELECT FROM ip_inventory i WHERE i.ip_address = s.source_ip)) AS orphans,
       (SELECT count(*) FROM ip_inventory WHERE ip_address <> cowrie_normalize_ip(ip_address)) AS non_canonical,
       (SELECT value FROM schema_state WHERE key = 'schema_version') AS version,
       format_type((SELECT atttypid FROM pg_attribute WHERE attrelid = 'session_summaries'::regclass AND attname = 'enrichment'), NULL) AS enrichment_type_after
FROM session_summaries s \gset
ROLLBACK;
BEGIN;
SET LOCAL cowrie_snapshot.defer_session_backfill = on;
ALTER EXTENSION cowrie_snapshot UPDATE;
SELECT cowrie_backfill(37) AS backfilled \gset
SELECT md5(string_agg(concat_ws('|', session_id, source_ip, snapshot_asn, snapshot_country, snapshot_ip_type, enrichment_at), ',' ORDER BY session_id)) AS deferred_rows
FROM session_summaries \gset
ROLLBACK;

SELECT is(:without_snapshot::bigint, 0::bigint, :'enrichment_type' || ' default mode: every session has a snapshot');
SELECT is(:orphans::bigint, 0::bigint, :'enrichment_type' || ': no orphan source_ip');
SELECT cmp_ok(:with_type::bigint, '>', 0::bigint, :'enrichment_type' || ': IP types are filled');
SELECT is(:non_canonical::bigint, 0::bigint, :'enrichment_type' || ': inventory keys are canonical');
SELECT is(:'version'::text, '16', :'enrichment_type' || ': schema_version 16');
SELECT is(:'enrichment_type_after'::text, :'enrichment_type', :'enrichment_type' || ': the enrichment column keeps its type');
SELECT is(:backfilled::bigint, 400::bigint, :'enrichment_type' || ' deferred: the backfill processes every session');
SELECT is(:'deferred_rows'::text, :'default_rows', :'enrichment_type' || ': deferred mode plus backfill equals default mode, row for row');

SELECT * FROM finish();
