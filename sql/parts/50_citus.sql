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
'Backfill internals: what Citus makes of a table (distributed, reference, citus_local, other), NULL without Citus';

-- Whether session_summaries (in this schema) is a Citus table: the migration
-- then takes the Citus path, and CREATE EXTENSION leaves it to cowrie_migrate().
CREATE OR REPLACE FUNCTION @extschema@.cowrie_citus_sessions() RETURNS boolean
LANGUAGE sql STABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
RETURN @extschema@.cowrie_citus_kind(pg_catalog.to_regclass('@extschema@.session_summaries')) IS NOT NULL;
COMMENT ON FUNCTION @extschema@.cowrie_citus_sessions() IS
'Backfill internals: is session_summaries a Citus table (the migration''s Citus path, the backfill''s and the reports'' per-node counts)';

-- What CREATE and ALTER EXTENSION run on a Citus table instead of the
-- migration (99_run_migration.sql): it says what to run, and changes nothing.
CREATE OR REPLACE FUNCTION @extschema@.cowrie_citus_postpone() RETURNS jsonb
LANGUAGE plpgsql STABLE PARALLEL UNSAFE
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

-- The backfill on Citus (docs/citus.md): each node walks its own shards of
-- session_summaries with the per-heap step, and completes them from its own
-- queue and pending sessions, which the triggers on its placements of the
-- inventories fill. The coordinator's run sends each node its part over a
-- connection of its own (master_run_on_worker): a batch commits on its node
-- as it would on a single node.

-- The nodes of the run: every active primary node (each has a queue to
-- empty), with the shards of session_summaries it holds, schema-qualified.
CREATE OR REPLACE FUNCTION @extschema@.cowrie_citus_nodes() RETURNS jsonb
LANGUAGE plpgsql STABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
    nodes jsonb;
BEGIN
    -- Static: PL/pgSQL plans it only when called, on a Citus table.
    SELECT pg_catalog.jsonb_agg(pg_catalog.jsonb_build_object('name', n.nodename, 'port', n.nodeport,
               'shards', COALESCE((SELECT pg_catalog.jsonb_agg(pg_catalog.shard_name(s.logicalrelid, s.shardid, false)
                                                               ORDER BY s.shardid)
                                   FROM pg_catalog.pg_dist_shard s
                                   JOIN pg_catalog.pg_dist_placement p ON p.shardid = s.shardid
                                   WHERE s.logicalrelid = '@extschema@.session_summaries'::regclass
                                     AND p.groupid = n.groupid), '[]'))
               ORDER BY n.groupid)
      INTO nodes
    FROM pg_catalog.pg_dist_node n
    WHERE n.isactive AND n.noderole = 'primary';
    RETURN COALESCE(nodes, '[]');
END
$fn$;
COMMENT ON FUNCTION @extschema@.cowrie_citus_nodes() IS
'Backfill internals: the Citus nodes a backfill run visits, each with its shards of session_summaries';

-- Runs one step on each of these nodes ([{name, port, shards}], in parallel
-- or one after the other): with step, cowrie_backfill_local over the node's
-- shards with step's arguments; without, the count of the node's pending
-- sessions. The commands are made here from typed values: no caller passes
-- SQL text. Returns each node's one-value result; a node's error is raised
-- here, with the node named (a committing step releases the run's lock first).
CREATE OR REPLACE FUNCTION @extschema@.cowrie_citus_on_nodes(nodes jsonb, step jsonb, parallel boolean) RETURNS text[]
LANGUAGE plpgsql VOLATILE PARALLEL UNSAFE
SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
    r record;
    results text[] := '{}'::text[];
    node_names text[] := ARRAY(SELECT e ->> 'name' FROM pg_catalog.jsonb_array_elements(nodes) WITH ORDINALITY x(e, i) ORDER BY i);
    node_ports integer[] := ARRAY(SELECT (e ->> 'port')::integer FROM pg_catalog.jsonb_array_elements(nodes) WITH ORDINALITY x(e, i) ORDER BY i);
    commands text[] := ARRAY(
        SELECT CASE WHEN step IS NULL
                    THEN 'SELECT pg_catalog.count(DISTINCT p.session_id) FROM @extschema@.cowrie_pending_sessions p'
                    ELSE pg_catalog.format('CALL @extschema@.cowrie_backfill_local(%L::pg_catalog.regclass[], %L, %L, %L, %L, %L, %L, %L, %L, %L::pg_catalog.jsonb)',
                                           ARRAY(SELECT pg_catalog.jsonb_array_elements_text(e -> 'shards')),
                                           (step ->> 'batch_size')::integer, (step ->> 'max_batches')::integer,
                                           (step ->> 'wide')::boolean, (step ->> 'dry_run')::boolean, (step ->> 'committing')::boolean,
                                           step ->> 'batch_lock_timeout', (step ->> 'walk')::boolean, (step ->> 'completion')::boolean,
                                           step -> 'state') END
        FROM pg_catalog.jsonb_array_elements(nodes) WITH ORDINALITY x(e, i) ORDER BY i);
BEGIN
    FOR r IN SELECT * FROM pg_catalog.master_run_on_worker(node_names, node_ports, commands, parallel) LOOP
        IF NOT r.success THEN
            IF COALESCE((step ->> 'committing')::boolean, false) THEN
                PERFORM @extschema@.cowrie_backfill_unlock();
            END IF;
            RAISE EXCEPTION 'cowrie_snapshot: the backfill failed on Citus node %:%', r.node_name, r.node_port
                USING ERRCODE = 'external_routine_exception',
                      DETAIL = r.result,
                      HINT = 'Batches the node committed stay; run the backfill again once the cause is fixed.';
        END IF;
        results := results || r.result;
    END LOOP;
    RETURN results;
END
$fn$;
COMMENT ON FUNCTION @extschema@.cowrie_citus_on_nodes(jsonb, jsonb, boolean) IS
'Backfill internals: runs one backfill step (or the pending count) on each of these Citus nodes (master_run_on_worker), raising a node''s error';

-- The run on Citus: the walk in rounds of one shard per node, the nodes in
-- parallel (one command at a time when max_batches bounds the run, so that
-- the bound holds; a progress NOTICE between rounds), then the completion on
-- every node at once.
CREATE OR REPLACE FUNCTION @extschema@.cowrie_backfill_citus(nodes jsonb, state jsonb, batch_size integer, max_batches integer,
                                                           wide boolean, dry_run boolean, committing boolean,
                                                           batch_lock_timeout text) RETURNS jsonb
LANGUAGE plpgsql VOLATILE PARALLEL UNSAFE
SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
    -- (round, node, shard): round i takes each node's i-th shard.
    tasks jsonb := (SELECT COALESCE(pg_catalog.jsonb_agg(pg_catalog.jsonb_build_object('name', e ->> 'name', 'port', (e ->> 'port')::integer,
                                                                                      'shards', pg_catalog.jsonb_build_array(sh.shard))
                                                         ORDER BY sh.i, n.i), '[]')
                    FROM pg_catalog.jsonb_array_elements(nodes) WITH ORDINALITY n(e, i),
                         pg_catalog.jsonb_array_elements_text(e -> 'shards') WITH ORDINALITY sh(shard, i));
    chunk jsonb;
    pos integer := 0;
    n_tasks integer := pg_catalog.jsonb_array_length(tasks);
    width integer;
    per_node jsonb;
    result text;
    walk boolean := true;
    -- Few sessions to walk (a scheduled run): one command per node, its walk
    -- and its completion together, so the run costs one connection per node.
    at_once constant boolean := NOT wide AND max_batches IS NULL AND (state ->> 'total')::bigint < 10 * batch_size;
    last_notice timestamptz := pg_catalog.clock_timestamp();
BEGIN
    LOOP
        walk := walk AND pos < n_tasks AND NOT at_once;
        IF walk THEN
            width := CASE WHEN max_batches IS NULL THEN (SELECT pg_catalog.count(*) FROM pg_catalog.jsonb_array_elements(nodes) e
                                                         WHERE pg_catalog.jsonb_array_length(e -> 'shards') > 0)::integer
                          ELSE 1 END;
            chunk := (SELECT pg_catalog.jsonb_agg(t ORDER BY i) FROM pg_catalog.jsonb_array_elements(tasks) WITH ORDINALITY x(t, i)
                      WHERE i > pos AND i <= pos + width);
            pos := pos + width;
        ELSE
            -- The completion: every node, each with all its shards.
            chunk := nodes;
        END IF;
        FOREACH result IN ARRAY @extschema@.cowrie_citus_on_nodes(chunk,
            pg_catalog.jsonb_build_object('batch_size', batch_size, 'max_batches', max_batches - (state ->> 'batches')::integer,
                                          'wide', wide, 'dry_run', dry_run, 'committing', committing,
                                          'batch_lock_timeout', batch_lock_timeout, 'walk', walk OR at_once, 'completion', NOT walk,
                                          'state', pg_catalog.jsonb_build_object('started', state -> 'started')),
            max_batches IS NULL) LOOP
            per_node := result::jsonb;
            state := state || pg_catalog.jsonb_build_object(
                'done', (state ->> 'done')::bigint + (per_node ->> 'done')::bigint,
                'total', (state ->> 'total')::bigint + (per_node ->> 'total')::bigint,
                'batches', (state ->> 'batches')::integer + (per_node ->> 'batches')::integer,
                'outcomes', @extschema@.cowrie_backfill_add_outcomes(state -> 'outcomes', per_node -> 'outcomes'),
                'complete', (state ->> 'complete')::boolean AND (per_node ->> 'complete')::boolean);
        END LOOP;
        EXIT WHEN NOT walk OR NOT (state ->> 'complete')::boolean;
        IF pg_catalog.clock_timestamp() - last_notice >= '10 seconds'::interval THEN
            PERFORM @extschema@.cowrie_backfill_notice((state ->> 'done')::bigint, (state ->> 'total')::bigint,
                                                       (state ->> 'started')::timestamptz, state -> 'outcomes', false);
            last_notice := pg_catalog.clock_timestamp();
        END IF;
    END LOOP;
    RETURN state;
END
$fn$;
COMMENT ON FUNCTION @extschema@.cowrie_backfill_citus(jsonb, jsonb, integer, integer, boolean, boolean, boolean, text) IS
'Backfill internals: a backfill run on Citus, each node''s batches over its own shards (cowrie_backfill_local) sent from the coordinator';

-- Whether this node is the Citus coordinator (false without Citus).
CREATE OR REPLACE FUNCTION @extschema@.cowrie_citus_coordinator() RETURNS boolean
LANGUAGE plpgsql STABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $fn$
BEGIN
    IF pg_catalog.to_regclass('pg_catalog.pg_dist_partition') IS NULL THEN
        RETURN false;
    END IF;
    RETURN pg_catalog.citus_is_coordinator();
END
$fn$;
COMMENT ON FUNCTION @extschema@.cowrie_citus_coordinator() IS
'Backfill internals: is this node the Citus coordinator (false without Citus)';

-- The sessions waiting for their IP's inventory row: in this database, or,
-- on Citus (nodes from cowrie_citus_nodes), in every node's own table.
CREATE OR REPLACE FUNCTION @extschema@.cowrie_pending_count(nodes jsonb) RETURNS bigint
LANGUAGE plpgsql VOLATILE PARALLEL UNSAFE
SET search_path = pg_catalog, pg_temp
AS $fn$
BEGIN
    IF nodes IS NULL THEN
        RETURN (SELECT pg_catalog.count(DISTINCT p.session_id) FROM @extschema@.cowrie_pending_sessions p);
    END IF;
    RETURN (SELECT COALESCE(pg_catalog.sum(x::bigint), 0)::bigint
            FROM pg_catalog.unnest(@extschema@.cowrie_citus_on_nodes(nodes, NULL, true)) x);
END
$fn$;
COMMENT ON FUNCTION @extschema@.cowrie_pending_count(jsonb) IS
'Backfill internals: the sessions waiting for their IP''s inventory row, here or on every Citus node';
