-- Issue 31's acceptance on the v15 fixture: migrated in default mode, then
-- every inventory row classified as upstream's cascade enricher writes it,
-- then one ordinary backfill run (the scheduled job). And cowrie-enrich-asn's
-- lower-case organization_country on the migrated database.
\set QUIET 1
\set ON_ERROR_STOP 1
SET client_min_messages = warning;
\set n 600
\set enrichment_type json
\ir ../fixtures/cowrie_v15.sql
BEGIN;
CREATE EXTENSION cowrie_snapshot;
CREATE TEMP TABLE typed_before AS
    SELECT session_id, snapshot_ip_type FROM session_summaries WHERE snapshot_ip_type IS NOT NULL;
\ir include/classify_inventory.sql
SELECT cowrie_backfill(1000) AS ran \gset

SELECT plan(9);
\ir include/classification_checks.sql
SELECT is((SELECT count(*) FROM ip_inventory WHERE cardinality(ip_types) = 0
             AND enrichment->'ip_classification'->>'ip_type' <> 'unknown'), 0::bigint,
          'every inventory row classified other than unknown has ip_types');

-- cowrie-enrich-asn writes organization_country as it gets it.
SELECT lives_ok($$UPDATE asn_inventory SET organization_country = 'us' WHERE asn_number = (SELECT min(asn_number) FROM asn_inventory)$$,
                'asn_inventory accepts cowrie-enrich-asn''s lower-case organization_country');
SELECT lives_ok($$INSERT INTO asn_inventory (asn_number, organization_country, first_seen, last_seen) VALUES (4200000, 'Us', now(), now())$$,
                'and a mixed-case one');
SELECT throws_ok($$INSERT INTO asn_inventory (asn_number, organization_country, first_seen, last_seen) VALUES (4200001, 'u1', now(), now())$$,
                 '23514', NULL, 'what is not two letters is still refused');
SELECT * FROM finish();
ROLLBACK;
