------------------------------------------------------------------------------
-- SELECT cowrie_backfill(...): the whole run in the caller's transaction.
------------------------------------------------------------------------------

CREATE OR REPLACE FUNCTION @extschema@.cowrie_backfill(
    batch_size integer DEFAULT 1000, max_batches integer DEFAULT NULL,
    dry_run boolean DEFAULT false, retry_unenrichable boolean DEFAULT false)
RETURNS bigint
LANGUAGE plpgsql VOLATILE PARALLEL UNSAFE
SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
    run @extschema@.cowrie_backfill_run := @extschema@.cowrie_backfill_run_start(batch_size, retry_unenrichable);
BEGIN
    WHILE @extschema@.cowrie_backfill_run_more(run, max_batches) LOOP
        run := @extschema@.cowrie_backfill_run_add(run,
                   @extschema@.cowrie_backfill_run_step(run, batch_size, dry_run, retry_unenrichable));
    END LOOP;
    RETURN @extschema@.cowrie_backfill_run_finish(run, dry_run);
END
$fn$;
COMMENT ON FUNCTION @extschema@.cowrie_backfill(integer, integer, boolean, boolean) IS
'Fills the snapshots of sessions whose snapshot_country is NULL, in keyset batches in heap order, then completes the sessions whose NULL type or ASN the inventory now has; in the caller''s transaction; returns the sessions processed (0: nothing left). dry_run only counts outcomes';
