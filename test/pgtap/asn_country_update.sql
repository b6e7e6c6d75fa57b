-- A database 1.2 migrated carries asn_inventory's '^[A-Z]{2}$' country check,
-- which makes every run of cowrie-enrich-asn that meets `us` roll back.
-- ALTER EXTENSION ... UPDATE replaces it with the check a fresh 1.3 creates.
\ir include/empty_v15.sql
INSERT INTO session_summaries (session_id, enrichment) VALUES
 ('s1', '{"dshield": {"ip": {"number": "8.8.8.8"}}, "cymru": {"asn": 15169}, "maxmind": {"country": "US"}}');
BEGIN;
CREATE EXTENSION cowrie_snapshot VERSION '1.2';
SELECT plan(5);
SELECT throws_ok($$UPDATE asn_inventory SET organization_country = 'us'$$, '23514', NULL,
                 '1.2''s check refuses cowrie-enrich-asn''s lower-case country');
ALTER EXTENSION cowrie_snapshot UPDATE;
SELECT lives_ok($$UPDATE asn_inventory SET organization_country = 'us'$$, 'after the update to 1.3 it is accepted');
SELECT is((SELECT organization_country::text FROM asn_inventory WHERE asn_number = 15169), 'us', 'and stored as written');
SELECT is((SELECT pg_get_constraintdef(oid) FROM pg_constraint
           WHERE conrelid = 'asn_inventory'::regclass AND conname = 'asn_inventory_organization_country_check'),
          'CHECK (((organization_country IS NULL) OR ((organization_country)::text ~ ''^[A-Za-z]{2}$''::text)))',
          'the same check a fresh 1.3 install creates, under the same name');
SELECT throws_ok($$UPDATE asn_inventory SET organization_country = '1'$$, '23514', NULL, 'what is not two letters is still refused');
SELECT * FROM finish();
ROLLBACK;
