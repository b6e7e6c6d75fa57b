-- What 1.3 changes in the objects 1.2 created, before the parts replace every
-- routine and run the current migration. An update from 1.0 or 1.1 runs
-- sql/updates/1.1--1.2.sql first. Use IF EXISTS: on those roads some 1.2
-- objects were never created.

-- The backfill runs per heap and keeps its state in its own variables: the
-- run-state types and the routines built on them go, with the strategies
-- they served (the completion by IP over the whole inventory, the completion
-- in heap order, the sampled choice between them) and the SQL-text builders.
-- Dependents first: SQL-standard bodies depend on what they call.
DROP FUNCTION IF EXISTS @extschema@.cowrie_backfill_run_batch_step(jsonb);
DROP FUNCTION IF EXISTS @extschema@.cowrie_backfill_run_batch(@extschema@.cowrie_backfill_run, integer, boolean, boolean);
DROP FUNCTION IF EXISTS @extschema@.cowrie_backfill_commit_finish(@extschema@.cowrie_backfill_run);
DROP FUNCTION IF EXISTS @extschema@.cowrie_backfill_commit_step(@extschema@.cowrie_backfill_run, integer, boolean, text);
DROP FUNCTION IF EXISTS @extschema@.cowrie_backfill_commit_start(integer, boolean, text);
DROP FUNCTION IF EXISTS @extschema@.cowrie_backfill_range_blocks(@extschema@.cowrie_backfill_run, bigint);
DROP FUNCTION IF EXISTS @extschema@.cowrie_backfill_run_add(@extschema@.cowrie_backfill_run, @extschema@.cowrie_backfill_batch);
DROP FUNCTION IF EXISTS @extschema@.cowrie_backfill_run_choose_completion(@extschema@.cowrie_backfill_run);
DROP FUNCTION IF EXISTS @extschema@.cowrie_backfill_run_detail(@extschema@.cowrie_backfill_run, boolean);
DROP FUNCTION IF EXISTS @extschema@.cowrie_backfill_run_finish(@extschema@.cowrie_backfill_run, boolean);
DROP FUNCTION IF EXISTS @extschema@.cowrie_backfill_run_more(@extschema@.cowrie_backfill_run, integer);
DROP FUNCTION IF EXISTS @extschema@.cowrie_backfill_run_notice(@extschema@.cowrie_backfill_run, boolean);
DROP FUNCTION IF EXISTS @extschema@.cowrie_backfill_run_start(integer, boolean);
DROP FUNCTION IF EXISTS @extschema@.cowrie_backfill_run_step(@extschema@.cowrie_backfill_run, integer, boolean, boolean);
DROP FUNCTION IF EXISTS @extschema@.cowrie_backfill_run_walk(@extschema@.cowrie_backfill_run);
DROP FUNCTION IF EXISTS @extschema@.cowrie_backfill_step(integer, tid, bigint, tid, boolean, boolean);
DROP FUNCTION IF EXISTS @extschema@.cowrie_backfill_complete(tid[], boolean);
DROP FUNCTION IF EXISTS @extschema@.cowrie_backfill_completion_step(integer, text, boolean);
DROP FUNCTION IF EXISTS @extschema@.cowrie_backfill_completion_walk_step(integer, tid, bigint, tid, text, boolean);
DROP FUNCTION IF EXISTS @extschema@.cowrie_retry_can_add(text, text, text, integer, text, text);
DROP FUNCTION IF EXISTS @extschema@.cowrie_snapshot_adds(@extschema@.cowrie_snapshot, integer, text);
DROP FUNCTION IF EXISTS @extschema@.cowrie_snapshot_writer_sql(boolean, boolean);
DROP FUNCTION IF EXISTS @extschema@.cowrie_raw_event_ips_sql();
DROP TYPE IF EXISTS @extschema@.cowrie_backfill_run;
DROP TYPE IF EXISTS @extschema@.cowrie_backfill_batch;

-- The completion's queue and the pending sessions (36_inventory_queue.sql).
CREATE TABLE @extschema@.cowrie_inventory_queue (
    ip text PRIMARY KEY,
    queued_at timestamptz NOT NULL DEFAULT pg_catalog.now()
);
CREATE TABLE @extschema@.cowrie_pending_sessions (
    ip text NOT NULL,
    session_id text NOT NULL,
    PRIMARY KEY (ip, session_id)
);
CREATE INDEX cowrie_pending_sessions_session_id ON @extschema@.cowrie_pending_sessions (session_id);
