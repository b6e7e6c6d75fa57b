-- Hostile search_path, privileges, row-level security, declarations.
\set QUIET 1
\set ON_ERROR_STOP 1
SET client_min_messages = warning;
\set n 200
\ir ../fixtures/cowrie_v15.sql
\set ON_ERROR_STOP 1
BEGIN;

-- A schema that shadows what the scripts and functions call, first in search_path.
CREATE SCHEMA evil;
CREATE TABLE evil.calls (name text);
CREATE FUNCTION evil.upper(text) RETURNS text LANGUAGE sql AS $$ INSERT INTO evil.calls VALUES ('upper') RETURNING 'ZZ' $$;
CREATE FUNCTION evil.lower(text) RETURNS text LANGUAGE sql AS $$ INSERT INTO evil.calls VALUES ('lower') RETURNING 'true' $$;
CREATE FUNCTION evil.btrim(text) RETURNS text LANGUAGE sql AS $$ INSERT INTO evil.calls VALUES ('btrim') RETURNING '9' $$;
CREATE FUNCTION evil.now() RETURNS timestamptz LANGUAGE sql AS $$ INSERT INTO evil.calls VALUES ('now') RETURNING 'epoch'::timestamptz $$;
CREATE FUNCTION evil.count(anyelement) RETURNS bigint LANGUAGE sql AS $$ INSERT INTO evil.calls VALUES ('count') RETURNING 0::bigint $$;
CREATE FUNCTION evil.format(text, VARIADIC text[]) RETURNS text LANGUAGE sql AS $$ INSERT INTO evil.calls VALUES ('format') RETURNING 'SELECT 1' $$;
CREATE FUNCTION evil.to_regclass(text) RETURNS regclass LANGUAGE sql AS $$ INSERT INTO evil.calls VALUES ('to_regclass') RETURNING NULL::regclass $$;
CREATE FUNCTION evil.texteq_evil(text, text) RETURNS boolean LANGUAGE sql AS $$ INSERT INTO evil.calls VALUES ('=') RETURNING true $$;
CREATE OPERATOR evil.= (LEFTARG = text, RIGHTARG = text, FUNCTION = evil.texteq_evil);
CREATE FUNCTION evil.vceq_evil(varchar, varchar) RETURNS boolean LANGUAGE sql AS $$ INSERT INTO evil.calls VALUES ('=') RETURNING true $$;
CREATE OPERATOR evil.= (LEFTARG = varchar, RIGHTARG = varchar, FUNCTION = evil.vceq_evil);
CREATE FUNCTION evil.cowrie_normalize_ip(text) RETURNS text LANGUAGE sql AS $$ INSERT INTO evil.calls VALUES ('cowrie_normalize_ip') RETURNING '6.6.6.6' $$;
CREATE TABLE evil.ip_inventory (ip_address varchar(45));
CREATE TABLE evil.session_summaries (session_id varchar(64));
GRANT USAGE ON SCHEMA evil TO PUBLIC;
SELECT plan(15);
-- pgTAP itself is not hardened, so the hostile path is set only around our calls.
SET search_path = evil, public, pg_catalog;

CREATE EXTENSION cowrie_snapshot SCHEMA public;
SELECT pg_catalog.count(*) AS calls_after_migration FROM evil.calls \gset
INSERT INTO public.session_summaries (session_id, enrichment)
SELECT 'trigger-' OPERATOR(pg_catalog.||) session_id, enrichment FROM public.session_summaries LIMIT 20;
SELECT pg_catalog.count(*) FROM public.cowrie_lookup_snapshots(ARRAY(SELECT ip_address::text FROM public.ip_inventory)) \g /dev/null
SELECT public.cowrie_backfill(10, retry_unenrichable => true) \g /dev/null
RESET search_path;
SELECT is(:calls_after_migration::bigint, 0::bigint, 'the migration never called a shadowing function or operator');
SELECT is((SELECT count(*) FROM public.session_summaries WHERE snapshot_country IS NULL), 0::bigint, 'and migrated every session');
SELECT is((SELECT count(*) FROM evil.session_summaries), 0::bigint, 'without touching the shadowing tables');
SELECT is((SELECT count(*) FROM evil.calls), 0::bigint, 'nor did the trigger, the lookup or the backfill');

-- Declarations.
SELECT is((SELECT pg_catalog.count(*) FROM pg_proc p JOIN pg_depend d ON d.objid = p.oid AND d.deptype = 'e'
           JOIN pg_extension e ON e.oid = d.refobjid AND e.extname = 'cowrie_snapshot' WHERE p.prosecdef), 0::bigint, 'no SECURITY DEFINER');
SELECT is((SELECT pg_catalog.count(*) FROM pg_proc p JOIN pg_depend d ON d.objid = p.oid AND d.deptype = 'e'
           JOIN pg_extension e ON e.oid = d.refobjid AND e.extname = 'cowrie_snapshot'
           WHERE p.prolang = (SELECT oid FROM pg_language WHERE lanname = 'plpgsql')
             AND p.prokind = 'f' AND NOT COALESCE(p.proconfig::text LIKE '%search_path=pg_catalog, pg_temp%', false)), 0::bigint,
          'every PL/pgSQL function pins search_path');
SELECT is((SELECT pg_catalog.count(*) FROM pg_proc p JOIN pg_depend d ON d.objid = p.oid AND d.deptype = 'e'
           JOIN pg_extension e ON e.oid = d.refobjid AND e.extname = 'cowrie_snapshot'
           WHERE p.prolang = (SELECT oid FROM pg_language WHERE lanname = 'sql') AND p.proconfig IS NULL), 0::bigint,
          'every SQL function pins search_path');
SELECT is((SELECT pg_catalog.count(*) FROM pg_proc p JOIN pg_depend d ON d.objid = p.oid AND d.deptype = 'e'
           JOIN pg_extension e ON e.oid = d.refobjid AND e.extname = 'cowrie_snapshot'
           WHERE p.prolang = (SELECT oid FROM pg_language WHERE lanname = 'c') AND p.proname NOT LIKE '%trigger'
             AND (p.provolatile <> 'i' OR p.proparallel <> 's') AND p.proname NOT IN ('cowrie_lookup_snapshots', 'cowrie_session_columns_refused', 'cowrie_as_owner')), 0::bigint,
          'C functions are IMMUTABLE PARALLEL SAFE (the lookup and the column check read tables: STABLE; cowrie_as_owner VOLATILE)');
SELECT ok((SELECT p.provolatile = 'v' AND p.proparallel = 'u' AND NOT has_function_privilege('public', p.oid, 'EXECUTE')
           FROM pg_proc p WHERE p.oid = 'public.cowrie_as_owner(regclass, regprocedure, jsonb)'::regprocedure),
          'cowrie_as_owner is VOLATILE PARALLEL UNSAFE and not executable by PUBLIC');
SELECT is((SELECT trusted FROM pg_available_extension_versions WHERE name = 'cowrie_snapshot' AND version = '1.1'), false, 'not a trusted extension');

-- Privileges: a role without UPDATE on session_summaries.
CREATE ROLE cowrie_sec_reader;
GRANT SELECT ON ALL TABLES IN SCHEMA public TO cowrie_sec_reader;
ALTER TABLE public.session_summaries DISABLE TRIGGER cowrie_session_snapshot;
UPDATE public.session_summaries SET snapshot_country = NULL WHERE session_id IN (SELECT session_id FROM public.session_summaries ORDER BY 1 LIMIT 10);
ALTER TABLE public.session_summaries ENABLE TRIGGER cowrie_session_snapshot;
SET LOCAL ROLE cowrie_sec_reader;
SELECT throws_ok('SELECT public.cowrie_backfill(5)', '42501', NULL, 'without UPDATE: permission denied');
RESET ROLE;
SELECT is((SELECT pg_catalog.count(*) FROM public.session_summaries WHERE snapshot_country IS NULL), 10::bigint, 'no row changed');

-- Row-level security: a role that may update only some rows fills only those.
CREATE ROLE cowrie_sec_sensor1;
GRANT SELECT, UPDATE ON public.session_summaries TO cowrie_sec_sensor1;
GRANT SELECT ON public.ip_inventory, public.raw_events TO cowrie_sec_sensor1;
ALTER TABLE public.session_summaries ENABLE ROW LEVEL SECURITY;
CREATE POLICY sensor1 ON public.session_summaries USING (matcher = 'cowrie-sensor-01');
SELECT pg_catalog.count(*) AS sensor1_rows FROM public.session_summaries WHERE snapshot_country IS NULL AND matcher = 'cowrie-sensor-01' \gset
SET LOCAL ROLE cowrie_sec_sensor1;
SELECT is(public.cowrie_backfill(5), :sensor1_rows::bigint, 'under RLS the backfill sees only the rows the policy allows');
RESET ROLE;
SELECT is((SELECT pg_catalog.count(*) FROM public.session_summaries WHERE snapshot_country IS NULL), 10 - :sensor1_rows::bigint, 'and changes no other row');
SELECT cmp_ok(:sensor1_rows::bigint, '<', 10::bigint, 'the policy hid some rows');

SELECT * FROM finish();
ROLLBACK;
