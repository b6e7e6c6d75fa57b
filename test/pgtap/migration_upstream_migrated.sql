-- A database upstream already migrated to v16 and v17 (0% IP-type coverage):
-- verified and repaired, version never lowered, timestamps never touched.
\set QUIET 1
\set ON_ERROR_STOP 1
SET client_min_messages = warning;
\set n 300
\ir ../fixtures/cowrie_v15.sql
\ir ../fixtures/upstream_v16.sql
\ir ../fixtures/upstream_v17.sql
\ir include/layout.sql
\set ON_ERROR_STOP 1
BEGIN;
-- Text of timestamptz follows TimeZone: set it before the first reading.
SET TimeZone = 'Asia/Tokyo';
SELECT md5(string_agg(concat_ws('|', session_id, first_event_at, last_event_at), ',' ORDER BY session_id)) AS timestamps_before,
       md5(string_agg(concat_ws('|', session_id, snapshot_asn, snapshot_country, snapshot_ip_type, enrichment_at), ',' ORDER BY session_id)
           FILTER (WHERE snapshot_country IS NOT NULL)) AS snapshots_before,
       count(*) FILTER (WHERE snapshot_ip_type IS NOT NULL) AS had_type
FROM session_summaries \gset
CREATE TEMP TABLE had_snapshot AS
    SELECT session_id, snapshot_asn, snapshot_country, snapshot_ip_type, enrichment_at
    FROM session_summaries WHERE snapshot_country IS NOT NULL;
-- Break some of what a repair must restore.
DROP INDEX idx_session_snapshot_country;
ALTER TABLE session_summaries DROP CONSTRAINT fk_session_source_ip;
CREATE EXTENSION cowrie_snapshot;
SELECT plan(12);

SELECT is((SELECT value FROM schema_state WHERE key = 'schema_version'), '17', 'schema_version stays 17');
SELECT has_column('session_summaries', 'ssh_key_fingerprint', 'v17 columns kept');
SELECT is((SELECT md5(string_agg(concat_ws('|', session_id, first_event_at, last_event_at), ',' ORDER BY session_id)) FROM session_summaries),
          :'timestamps_before', 'no timestamp moved (TimeZone Asia/Tokyo)');
SELECT has_index('session_summaries', 'idx_session_snapshot_country', 'a missing index is restored');
SELECT fk_ok('session_summaries', 'source_ip', 'ip_inventory', 'ip_address', 'a missing foreign key is restored');
SELECT is((SELECT bool_and(convalidated) FROM pg_constraint WHERE conname IN ('fk_ip_current_asn', 'fk_session_source_ip')), true, 'and validated');
SELECT has_trigger('session_summaries', 'cowrie_session_snapshot', 'the ingestion trigger is installed');
SELECT ok((SELECT count(*) FROM ip_inventory WHERE cardinality(ip_types) > 0) > 0, 'ip_types, which upstream never fills, is filled');
SELECT is((SELECT count(*) FROM session_summaries WHERE snapshot_country IS NULL), 0::bigint, 'every empty snapshot is filled');
SELECT cmp_ok((SELECT count(*) FROM session_summaries WHERE snapshot_ip_type IS NOT NULL), '>', :had_type::bigint, 'IP-type coverage rises above upstream''s');
-- Issue 15: a NULL column of such a session is filled where the rule has a
-- value; no value upstream wrote changes.
SELECT is((SELECT count(*) FROM session_summaries s JOIN had_snapshot h USING (session_id)
           WHERE (h.snapshot_asn IS NOT NULL AND s.snapshot_asn IS DISTINCT FROM h.snapshot_asn)
              OR s.snapshot_country IS DISTINCT FROM h.snapshot_country
              OR (h.snapshot_ip_type IS NOT NULL AND s.snapshot_ip_type IS DISTINCT FROM h.snapshot_ip_type)
              OR (h.enrichment_at IS NOT NULL AND s.enrichment_at IS DISTINCT FROM h.enrichment_at)), 0::bigint,
          'snapshot values upstream had written are not changed');
SELECT is(cowrie_migrate() -> 'counts' ->> 'sessions_filled', '0', 'a second run fills nothing');

SELECT * FROM finish();
ROLLBACK;
