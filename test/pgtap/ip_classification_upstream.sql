-- Production's road: a database upstream migrated to v16 and v17 whose
-- inventory the cascade enricher has classified for months (ADR-009), then
-- CREATE EXTENSION in default mode: its types come from the repair.
\set QUIET 1
\set ON_ERROR_STOP 1
SET client_min_messages = warning;
\set n 600
\ir ../fixtures/cowrie_v15.sql
\ir ../fixtures/upstream_v16.sql
\ir ../fixtures/upstream_v17.sql
\set ON_ERROR_STOP 1
BEGIN;
\ir include/classify_inventory.sql
CREATE TEMP TABLE typed_before AS
    SELECT session_id, snapshot_ip_type FROM session_summaries
    WHERE snapshot_ip_type IS NOT NULL AND snapshot_ip_type ~ '^[A-Z0-9_ -]{1,32}$';
SELECT count(*) AS typed_upstream FROM session_summaries WHERE snapshot_ip_type IS NOT NULL \gset
CREATE EXTENSION cowrie_snapshot;

SELECT plan(6);
\ir include/classification_checks.sql
SELECT cmp_ok((SELECT count(*) FROM session_summaries WHERE snapshot_ip_type IS NOT NULL), '>',
              (SELECT count(*) FROM session_summaries s JOIN ip_inventory i ON i.ip_address = s.source_ip
               WHERE cardinality(cowrie_ip_types(i.enrichment::jsonb - 'ip_classification')) > 0) + :typed_upstream,
              'more sessions are typed than SPUR and upstream type');
SELECT * FROM finish();
ROLLBACK;
