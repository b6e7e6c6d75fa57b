------------------------------------------------------------------------------
-- Citus (docs/citus.md): session_summaries distributed by session_id across
-- worker nodes. CREATE EXTENSION on the coordinator does not migrate there:
-- Citus creates the extension on the workers only after the script ends, and
-- the migration's statements run functions of the extension on the workers'
-- shards. SELECT cowrie_migrate() afterwards takes the Citus path: the
-- inventories become reference tables (a copy on every node, so the trigger
-- and the writer on a shard read them locally), the transaction's multi-shard
-- statements go over one connection per node (they read what it created), and
-- the triggers go onto every shard.
------------------------------------------------------------------------------

-- What Citus makes of a table: 'distributed' (hash), 'reference', 'citus_local',
-- 'other'; NULL without Citus or for a table Citus does not know.
CREATE OR REPLACE FUNCTION @extschema@.cowrie_citus_kind(tbl regclass) RETURNS text
LANGUAGE plpgsql STABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
    kind text;
BEGIN
    IF tbl IS NULL OR pg_catalog.to_regclass('pg_catalog.pg_dist_partition') IS NULL THEN
        RETURN NULL;
    END IF;
    -- Dynamic: pg_dist_partition exists only where Citus is installed.
    EXECUTE $q$SELECT CASE WHEN p.partmethod = 'h' THEN 'distributed'
                           WHEN p.partmethod = 'n' AND p.repmodel = 't' THEN 'reference'
                           WHEN p.partmethod = 'n' THEN 'citus_local'
                           ELSE 'other' END
               FROM pg_catalog.pg_dist_partition p WHERE p.logicalrelid = $1$q$
        INTO kind USING tbl;
    RETURN kind;
END
$fn$;
COMMENT ON FUNCTION @extschema@.cowrie_citus_kind(regclass) IS
'Internal: what Citus makes of a table (distributed, reference, citus_local, other), NULL without Citus';

-- Whether session_summaries (in this schema) is a Citus table: the migration
-- then takes the Citus path, and CREATE EXTENSION leaves it to cowrie_migrate().
CREATE OR REPLACE FUNCTION @extschema@.cowrie_citus_sessions() RETURNS boolean
LANGUAGE sql STABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
RETURN @extschema@.cowrie_citus_kind(pg_catalog.to_regclass('@extschema@.session_summaries')) IS NOT NULL;
COMMENT ON FUNCTION @extschema@.cowrie_citus_sessions() IS
'Internal: is session_summaries a Citus table (the migration''s Citus path)';

-- What CREATE and ALTER EXTENSION run on a Citus table instead of the
-- migration (99_run_migration.sql): it says what to run, and changes nothing.
CREATE OR REPLACE FUNCTION @extschema@.cowrie_citus_postpone() RETURNS jsonb
LANGUAGE plpgsql VOLATILE PARALLEL UNSAFE
SET search_path = pg_catalog, pg_temp
AS $fn$
BEGIN
    -- INFO: inside CREATE/ALTER EXTENSION a NOTICE is not shown.
    RAISE INFO 'cowrie_snapshot: session_summaries is a Citus table: nothing migrated yet'
        USING DETAIL = 'Citus creates the extension on the worker nodes once this statement ends, and the migration runs the extension''s functions there.',
              HINT = 'Run SELECT cowrie_migrate(); on the coordinator now (docs/citus.md).';
    RETURN pg_catalog.jsonb_build_object('status', 'citus_postponed');
END
$fn$;
COMMENT ON FUNCTION @extschema@.cowrie_citus_postpone() IS
'Internal: CREATE/ALTER EXTENSION on a Citus table: says to run SELECT cowrie_migrate() afterwards; changes nothing';

-- The migration's Citus path, before it writes anything: on the coordinator
-- only, session_summaries distributed by session_id; then, for the rest of
-- the transaction, one connection per node for multi-shard statements (a new
-- connection would not see the tables, constraints and rows the migration
-- made: 42704, 25001) and triggers allowed on Citus tables.
CREATE OR REPLACE FUNCTION @extschema@.cowrie_citus_prepare() RETURNS boolean
LANGUAGE plpgsql VOLATILE PARALLEL UNSAFE
SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
    sessions regclass := '@extschema@.session_summaries'::regclass;
    kind text := @extschema@.cowrie_citus_kind(sessions);
    coordinator boolean;
    dist_column text;
BEGIN
    IF kind IS NULL THEN
        RETURN false;
    END IF;
    EXECUTE 'SELECT pg_catalog.citus_is_coordinator()' INTO coordinator;
    IF NOT coordinator THEN
        RAISE EXCEPTION 'cowrie_snapshot: the migration runs on the Citus coordinator, not on a worker'
            USING ERRCODE = 'object_not_in_prerequisite_state',
                  HINT = 'Connect to the coordinator and run SELECT cowrie_migrate() there; nothing was changed.';
    END IF;
    IF kind = 'distributed' THEN
        EXECUTE 'SELECT pg_catalog.column_to_column_name(p.logicalrelid, p.partkey) FROM pg_catalog.pg_dist_partition p WHERE p.logicalrelid = $1'
            INTO dist_column USING sessions;
    END IF;
    IF dist_column IS DISTINCT FROM 'session_id' THEN
        RAISE EXCEPTION 'cowrie_snapshot: session_summaries is a Citus table not distributed by session_id'
            USING ERRCODE = 'object_not_in_prerequisite_state',
                  DETAIL = pg_catalog.format('It is a %s table%s.', kind, COALESCE(' distributed by ' || dist_column, '')),
                  HINT = 'Distribute it by session_id (SELECT create_distributed_table(''session_summaries'', ''session_id'')); nothing was changed.';
    END IF;
    PERFORM pg_catalog.set_config('citus.multi_shard_modify_mode', 'sequential', true);
    PERFORM pg_catalog.set_config('citus.enable_unsafe_triggers', 'on', true);
    RETURN true;
END
$fn$;
COMMENT ON FUNCTION @extschema@.cowrie_citus_prepare() IS
'Internal: the migration''s Citus path (false without Citus): refuses a worker and a session_summaries not distributed by session_id; sequential multi-shard mode and triggers on Citus tables for the transaction';

-- A table the migration reads beside session_summaries becomes a Citus
-- reference table (its rows copied to every node) when session_summaries is a
-- Citus table and it is not one yet. Before any trigger is put on it: Citus
-- refuses to distribute a table with triggers.
CREATE OR REPLACE FUNCTION @extschema@.cowrie_citus_reference(tbl regclass) RETURNS boolean
LANGUAGE plpgsql VOLATILE PARALLEL UNSAFE
SET search_path = pg_catalog, pg_temp
AS $fn$
BEGIN
    IF NOT @extschema@.cowrie_citus_sessions() OR @extschema@.cowrie_citus_kind(tbl) IS NOT NULL THEN
        RETURN false;
    END IF;
    EXECUTE 'SELECT pg_catalog.create_reference_table($1)' USING tbl;
    -- The rows now live in the table's shards; the coordinator's local copy goes.
    EXECUTE 'SELECT pg_catalog.truncate_local_data_after_distributing_table($1)' USING tbl;
    RETURN true;
END
$fn$;
COMMENT ON FUNCTION @extschema@.cowrie_citus_reference(regclass) IS
'Internal: makes an inventory a Citus reference table when session_summaries is a Citus table';

-- The migration's triggers on a Citus table (begin: true before CREATE
-- TRIGGER, false after its DEPENDS ON EXTENSION): with
-- citus.enable_metadata_sync off for those statements, Citus puts the trigger
-- on the coordinator's table and on every shard, where it fires, and not on
-- the workers' copies of the table's definition, where it never fires: a
-- trigger there would depend on the extension's function without depending
-- on the extension, and keep DROP EXTENSION from running on the workers.
-- Without Citus it does nothing.
CREATE OR REPLACE FUNCTION @extschema@.cowrie_citus_trigger_ddl(tbl regclass, begin boolean) RETURNS void
LANGUAGE plpgsql VOLATILE PARALLEL UNSAFE
SET search_path = pg_catalog, pg_temp
AS $fn$
BEGIN
    IF @extschema@.cowrie_citus_kind(tbl) IS NULL THEN
        RETURN;
    END IF;
    PERFORM pg_catalog.set_config('citus.enable_metadata_sync',
        CASE WHEN begin THEN 'off'
             ELSE (SELECT s.reset_val FROM pg_catalog.pg_settings s WHERE s.name = 'citus.enable_metadata_sync') END, true);
END
$fn$;
COMMENT ON FUNCTION @extschema@.cowrie_citus_trigger_ddl(regclass, boolean) IS
'Internal: around the migration''s CREATE TRIGGER on a Citus table: the trigger on the coordinator and every shard, not on the workers'' table definitions';

-- ALTER TRIGGER ... DEPENDS ON EXTENSION cowrie_snapshot, so that DROP
-- EXTENSION drops the trigger and no table, column or row. On a Citus table
-- (inside cowrie_citus_trigger_ddl) Citus runs it on every shard too, where
-- each worker's copy of the extension then owns the shard's trigger; Citus
-- refuses it only with citus.enable_metadata_sync on (its check expects the
-- extension's own script to make the trigger on each worker, which a
-- migration after CREATE EXTENSION cannot).
CREATE OR REPLACE FUNCTION @extschema@.cowrie_trigger_depends_on_extension(tbl regclass, trigger_name text) RETURNS void
LANGUAGE plpgsql VOLATILE PARALLEL UNSAFE
SET search_path = pg_catalog, pg_temp
AS $fn$
BEGIN
    IF EXISTS (SELECT FROM pg_catalog.pg_extension WHERE extname = 'cowrie_snapshot') THEN
        EXECUTE pg_catalog.format('ALTER TRIGGER %I ON %s DEPENDS ON EXTENSION cowrie_snapshot', trigger_name, tbl);
    END IF;
END
$fn$;
COMMENT ON FUNCTION @extschema@.cowrie_trigger_depends_on_extension(regclass, text) IS
'Internal: makes a trigger the migration created depend on the extension (on a Citus table, on every shard too)';
