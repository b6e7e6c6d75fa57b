-- What 1.2 changes in the objects 1.0 and 1.1 created (the two have the same
-- objects: 1.1 only ran the migration). An update from 1.0 or 1.1 runs this,
-- then the later preludes; the parts that follow then replace every routine
-- and run the current migration, which verifies and repairs.

-- Removed, or replaced by a routine of another signature.
DROP FUNCTION @extschema@.cowrie_has_column(regclass, name);
DROP FUNCTION @extschema@.cowrie_has_constraint(regclass, name);
DROP FUNCTION @extschema@.cowrie_create_index(name, text);
DROP FUNCTION @extschema@.cowrie_disown_tables(oid);
DROP FUNCTION @extschema@.cowrie_migrate_asn_inventory();
DROP FUNCTION @extschema@.cowrie_migrate_ip_inventory();
DROP FUNCTION @extschema@.cowrie_migrate_snapshot_columns(boolean);
DROP FUNCTION @extschema@.cowrie_backfill_run_finish(@extschema@.cowrie_backfill_run);
-- These took SQL text from their callers.
DROP FUNCTION @extschema@.cowrie_apply_snapshots(text, boolean, boolean, boolean);
DROP FUNCTION @extschema@.cowrie_raw_event_ips_sql(text);

-- A run notices a rewrite of session_summaries (issue: backfill as a scheduled job).
ALTER TYPE @extschema@.cowrie_backfill_run ADD ATTRIBUTE filenode oid, ADD ATTRIBUTE restarts integer;
-- After the walk, a run completes sessions that lack a type or an ASN the inventory has now (issue: production's road).
ALTER TYPE @extschema@.cowrie_backfill_run ADD ATTRIBUTE completion_from text, ADD ATTRIBUTE completion_done boolean;
ALTER TYPE @extschema@.cowrie_backfill_batch ADD ATTRIBUTE next_ip text;
-- ... in heap order when they are many (issue: performance at production's shape).
ALTER TYPE @extschema@.cowrie_backfill_run ADD ATTRIBUTE completion_walk boolean, ADD ATTRIBUTE batch_size integer;
