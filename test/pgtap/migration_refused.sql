-- What the migration refuses, and what it leaves alone (nothing changed).
\set QUIET 1
\set ON_ERROR_STOP 1
SET client_min_messages = warning;
\set n 50
\set schema_version 14
\ir ../fixtures/cowrie_v15.sql
BEGIN;
SELECT plan(17);

SELECT md5(string_agg(s::text, ',' ORDER BY session_id)) AS rows_before FROM session_summaries s \gset
SELECT throws_ok('CREATE EXTENSION cowrie_snapshot', '55000', 'cowrie_snapshot: schema version ''14'' is not supported',
                 'schema v14: clear error');
SELECT hasnt_column('session_summaries', 'source_ip', 'v14: no column added');
SELECT hasnt_table('ip_inventory', 'v14: no table created');
SELECT is((SELECT md5(string_agg(s::text, ',' ORDER BY session_id)) FROM session_summaries s), :'rows_before', 'v14: no row changed');

UPDATE schema_state SET value = 'invalid' WHERE key = 'schema_version';
SELECT throws_ok('CREATE EXTENSION cowrie_snapshot', '55000', NULL, 'a non-numeric version: clear error');
DELETE FROM schema_state;
SELECT throws_ok('CREATE EXTENSION cowrie_snapshot', '55000', 'cowrie_snapshot: session_summaries has no schema version',
                 'no schema_state row: clear error');
SELECT hasnt_column('session_summaries', 'source_ip', 'still nothing added');

INSERT INTO schema_state VALUES ('schema_version', '15');
ALTER TABLE session_summaries ALTER COLUMN enrichment TYPE text;
SELECT throws_ok('CREATE EXTENSION cowrie_snapshot', '55000', 'cowrie_snapshot: session_summaries.enrichment is not json or jsonb',
                 'enrichment of another type: clear error');

ALTER TABLE session_summaries ALTER COLUMN enrichment TYPE json USING enrichment::json;
-- Snapshot columns someone added with other types: the C trigger would read them as its own.
ALTER TABLE session_summaries ADD COLUMN snapshot_asn numeric, ADD COLUMN enrichment_at timestamp;
SELECT throws_ok('CREATE EXTENSION cowrie_snapshot', '55000', 'cowrie_snapshot: session_summaries or ip_inventory has columns of the wrong type',
                 'snapshot_asn numeric: clear error');
SELECT hasnt_column('session_summaries', 'source_ip', 'wrong snapshot types: nothing added');
ALTER TABLE session_summaries DROP COLUMN snapshot_asn, DROP COLUMN enrichment_at;
-- The trigger's length rule too: it writes two-letter countries.
ALTER TABLE session_summaries ADD COLUMN snapshot_country varchar(1);
SELECT throws_ok('CREATE EXTENSION cowrie_snapshot', '55000', 'cowrie_snapshot: session_summaries or ip_inventory has columns of the wrong type',
                 'snapshot_country varchar(1), which the trigger refuses: the migration refuses it first');
ALTER TABLE session_summaries DROP COLUMN snapshot_country;
-- An inventory whose timestamp the trigger could not read.
CREATE TABLE ip_inventory (ip_address varchar(45) PRIMARY KEY, enrichment json, enrichment_updated_at text);
SELECT throws_ok('CREATE EXTENSION cowrie_snapshot', '55000', 'cowrie_snapshot: session_summaries or ip_inventory has columns of the wrong type',
                 'ip_inventory.enrichment_updated_at text: clear error');
DROP TABLE ip_inventory;
-- A view under a name the extension would adopt.
CREATE VIEW ip_inventory AS SELECT NULL::varchar(45) AS ip_address;
SELECT throws_ok('CREATE EXTENSION cowrie_snapshot', '55000', 'cowrie_snapshot: public.ip_inventory is not a table the extension can trust',
                 'a view named ip_inventory: clear error');
DROP VIEW ip_inventory;
SELECT lives_ok('CREATE EXTENSION cowrie_snapshot', 'the same table without them migrates');
SELECT ok(NOT has_function_privilege('public', 'public.cowrie_session_snapshot_trigger()', 'EXECUTE')
          AND NOT has_function_privilege('public', 'public.cowrie_inventory_types_trigger()', 'EXECUTE'),
          'both trigger functions are not PUBLIC''s (trigger functions fire without a permission check)');
DROP EXTENSION cowrie_snapshot;

-- No cowrie tables at all (pg_restore creates the extension first): nothing done.
CREATE SCHEMA empty;
CREATE EXTENSION cowrie_snapshot SCHEMA empty;
SELECT is((SELECT array_agg(relname::text ORDER BY relname) FROM pg_class WHERE relnamespace = 'empty'::regnamespace AND relkind = 'r'),
          '{cowrie_inventory_queue,cowrie_pending_sessions}'::text[],
          'empty schema: no cowrie table created, only the backfill''s queue and pending sessions');
SELECT is(empty.cowrie_migrate() ->> 'status', 'no_cowrie_tables', 'cowrie_migrate reports it');

SELECT * FROM finish();
ROLLBACK;
