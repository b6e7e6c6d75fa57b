-- v15 plus the ORM-shaped inventories upstream's create_all leaves behind:
-- adopted with ALTER, every row kept (upstream drops ip_inventory, B4).
\set QUIET 1
\set ON_ERROR_STOP 1
SET client_min_messages = warning;
\set n 300
\set orm_inventories 1
\ir ../fixtures/cowrie_v15.sql
\set ON_ERROR_STOP 1
BEGIN;
CREATE TEMP TABLE ip_before AS SELECT ip_address, current_asn, enrichment::text AS doc, session_count FROM ip_inventory;
CREATE TEMP TABLE asn_before AS SELECT asn_number, organization_name, rir_registry FROM asn_inventory;
SELECT count(*) AS history_before FROM ip_asn_history \gset
CREATE EXTENSION cowrie_snapshot;
SELECT plan(14);

SELECT is((SELECT count(*) FROM ip_before b WHERE NOT EXISTS (SELECT FROM ip_inventory i WHERE i.ip_address = b.ip_address)), 0::bigint,
          'every ip_inventory row is kept');
SELECT is((SELECT count(*) FROM ip_before b JOIN ip_inventory i USING (ip_address) WHERE i.enrichment IS DISTINCT FROM b.doc::jsonb), 0::bigint,
          'their enrichment documents are kept');
SELECT is((SELECT count(*) FROM ip_before b JOIN ip_inventory i USING (ip_address) WHERE i.session_count IS DISTINCT FROM b.session_count), 0::bigint,
          'and their counters');
SELECT is((SELECT count(*) FROM asn_before b WHERE NOT EXISTS (SELECT FROM asn_inventory a WHERE a.asn_number = b.asn_number AND a.rir_registry IS NOT DISTINCT FROM b.rir_registry)), 0::bigint,
          'every asn_inventory row is kept, rir_registry included');
SELECT is((SELECT count(*) FROM ip_asn_history), :history_before::bigint, 'ip_asn_history is untouched');
SELECT col_type_is('ip_inventory', 'enrichment', 'jsonb', 'ip_inventory.enrichment converted to jsonb');
SELECT col_type_is('ip_inventory', 'enrichment_version', 'character varying(20)', 'enrichment_version widened');
SELECT has_column('ip_inventory', 'geo_country', 'geo_country added with ALTER');
SELECT ok((SELECT count(*) FROM ip_inventory WHERE cardinality(ip_types) > 0) > 0, 'ip_types filled for adopted rows');
SELECT is((SELECT count(*) FROM pg_constraint WHERE conrelid = 'ip_inventory'::regclass AND contype = 'f'), 1::bigint,
          'the ORM foreign key is renamed, not duplicated');
SELECT fk_ok('ip_inventory', 'current_asn', 'asn_inventory', 'asn_number', 'fk_ip_current_asn');
SELECT is((SELECT conname::text FROM pg_constraint WHERE conrelid = 'ip_inventory'::regclass AND contype = 'f'), 'fk_ip_current_asn', 'named fk_ip_current_asn');
SELECT is((SELECT count(*) FROM session_summaries WHERE snapshot_country IS NULL), 0::bigint, 'every session has a snapshot');
SELECT is((SELECT geo_country FROM ip_inventory i JOIN ip_before b USING (ip_address) WHERE b.doc::jsonb -> 'maxmind' ->> 'country' ~ '^[A-Z]{2}$' LIMIT 1)::text,
          (SELECT b.doc::jsonb -> 'maxmind' ->> 'country' FROM ip_inventory i JOIN ip_before b USING (ip_address) WHERE b.doc::jsonb -> 'maxmind' ->> 'country' ~ '^[A-Z]{2}$' LIMIT 1),
          'geo_country computed from the kept enrichment');

SELECT * FROM finish();
ROLLBACK;
