-- One json document too large for jsonb by its number of values rather than
-- its bytes: an array of 16,777,217 numbers (33.5 MB; jsonb_in fails with
-- "invalid memory alloc request size 1073741824" on it) is skipped and
-- counted, and the migration and the backfill go on, in both modes.
\set QUIET 1
\set ON_ERROR_STOP 1
SET client_min_messages = warning;
\set n 200
\set enrichment_type json
\ir ../fixtures/cowrie_v15.sql
INSERT INTO session_summaries (session_id, first_event_at, last_event_at, enrichment) VALUES
 ('huge', '2030-01-01 00:00', '2030-01-01 00:10',
  ('{"dshield": {"ip": {"number": "1.1.1.1"}}, "maxmind": {"country": "AU"}, "cymru": {"asn": 13335}, "values": ['
   || repeat('1,', 16777216) || '1]}')::json);
\set rows 'SELECT md5(string_agg(concat_ws(''|'', session_id, source_ip, snapshot_asn, snapshot_country, snapshot_ip_type, enrichment_at), '','' ORDER BY session_id)) FROM session_summaries'
\set wrong 'SELECT count(*) FROM session_summaries s JOIN fixture.session_shape f USING (session_id) WHERE f.expected_ip IS NOT NULL AND s.source_ip IS DISTINCT FROM f.expected_ip'

-- Default mode. pgTAP keeps its results in tables a ROLLBACK would undo: the
-- numbers are kept in psql variables for the assertions below.
\set ON_ERROR_STOP 0
\set default_installed 0
\set deferred_installed 0
BEGIN;
CREATE EXTENSION cowrie_snapshot;
SELECT 1 AS default_installed,
       (cowrie_migrate() -> 'counts' ->> 'documents_too_large_for_jsonb') AS default_counted,
       (:rows) AS default_rows, (:wrong) AS default_wrong,
       (SELECT source_ip FROM session_summaries WHERE session_id = 'huge') AS default_huge_ip,
       (SELECT enrichment::text FROM ip_inventory WHERE ip_address = '1.1.1.1') AS default_inventory_doc,
       (SELECT count(*) FROM asn_inventory WHERE asn_number = 13335) AS default_asn_rows
\gset
-- The limits themselves: jsonb_in collects at most 2^24 array elements and
-- 2^23 object members (its buffer doubles past 1 GB after that).
SELECT cowrie_json_fits_jsonb(enrichment) AS huge_fits, cowrie_jsonb_safe(enrichment) IS NULL AS huge_null
FROM session_summaries WHERE session_id = 'huge' \gset
SELECT cowrie_json_fits_jsonb(('{' || repeat('"":1,', 8388608) || '"":1}')::json) AS pairs_over_fits,
       cowrie_json_fits_jsonb(('{' || repeat('"":1,', 8388607) || '"":1}')::json) AS pairs_at_fits \gset
SELECT cowrie_json_fits_jsonb(d) AS elems_at_fits, jsonb_array_length(cowrie_jsonb_safe(d)) AS elems_at_length
FROM (SELECT ('[' || repeat('true,', 16777215) || 'true]')::json AS d) x \gset
SELECT cowrie_json_fits_jsonb('{"a": 1}') AS small_fits \gset
ROLLBACK;

-- Deferred mode, then the backfill.
BEGIN;
SET LOCAL cowrie_snapshot.defer_session_backfill = on;
CREATE EXTENSION cowrie_snapshot;
SELECT 1 AS deferred_installed, cowrie_backfill(50) AS backfilled,
       (SELECT count(*) FROM session_summaries WHERE snapshot_country IS NULL AND source_ip IS NOT NULL) AS deferred_left
\gset
SELECT (cowrie_migrate() -> 'counts' ->> 'documents_too_large_for_jsonb') AS deferred_counted,
       (:rows) AS deferred_rows, (:wrong) AS deferred_wrong
\gset
ROLLBACK;
\set ON_ERROR_STOP 1

SELECT plan(19);
SELECT is(:'default_installed'::text, '1', 'default mode: CREATE EXTENSION migrates a database holding a json array of 16,777,217 numbers');
SELECT is(:'default_counted'::text, '1', 'default mode: the document is counted in documents_too_large_for_jsonb');
SELECT is(:'default_wrong'::text, '0', 'default mode: every other session whose document names an IP has that IP');
SELECT is(:'default_huge_ip'::text, '1.1.1.1', 'default mode: the document''s own session still gets its IP (the json reader has no such limit)');
SELECT is(:'default_inventory_doc'::text, '{}', 'default mode: its IP''s inventory row is made with an empty document');
SELECT is(:'default_asn_rows'::text, '1', 'default mode: its ASN''s inventory row is made');
SELECT is(:'huge_fits'::text, 'f', 'cowrie_json_fits_jsonb says the document does not fit');
SELECT is(:'huge_null'::text, 't', 'cowrie_jsonb_safe gives NULL for it, without an error');
SELECT is(:'pairs_over_fits'::text, 'f', 'an object of 2^23 + 1 members does not fit');
SELECT is(:'pairs_at_fits'::text, 't', 'an object of 2^23 members fits');
SELECT is(:'elems_at_fits'::text, 't', 'an array of 2^24 elements fits');
SELECT is(:'elems_at_length'::text, '16777216', '  and cowrie_jsonb_safe converts it');
SELECT is(:'small_fits'::text, 't', 'a small document fits');
SELECT is(:'deferred_installed'::text, '1', 'deferred mode: CREATE EXTENSION migrates the same database');
SELECT is(:'deferred_left'::text, '0', 'deferred mode: the backfill fills every session that has an IP');
SELECT is(:'deferred_counted'::text, '1', 'deferred mode: the document is counted');
SELECT is(:'deferred_wrong'::text, '0', 'deferred mode: every other session whose document names an IP has that IP');
SELECT is(:'deferred_rows'::text, :'default_rows', 'deferred mode plus the backfill gives the rows of default mode');
SELECT is((SELECT count(*) FROM pg_extension WHERE extname = 'cowrie_snapshot'), 0::bigint, 'both migrations were rolled back');
SELECT * FROM finish();
