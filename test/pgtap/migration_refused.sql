-- What the migration refuses, and what it leaves alone (nothing changed).
\set QUIET 1
\set ON_ERROR_STOP 1
SET client_min_messages = warning;
\set n 50
\set schema_version 14
\ir ../fixtures/cowrie_v15.sql
BEGIN;
SELECT plan(10);

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

-- No cowrie tables at all (pg_restore creates the extension first): nothing done.
CREATE SCHEMA empty;
CREATE EXTENSION cowrie_snapshot SCHEMA empty;
SELECT is((SELECT count(*) FROM pg_class WHERE relnamespace = 'empty'::regnamespace AND relkind = 'r'), 0::bigint,
          'empty schema: no table created');
SELECT is(empty.cowrie_migrate() ->> 'status', 'no_cowrie_tables', 'cowrie_migrate reports it');

SELECT * FROM finish();
ROLLBACK;
