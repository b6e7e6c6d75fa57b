------------------------------------------------------------------------------
-- SELECT cowrie_backfill(...): the whole run in the caller's transaction.
------------------------------------------------------------------------------

-- The options of cowrie_backfill and cowrie_backfill_commit, checked before a
-- run takes any lock: NULL is refused where it has no meaning (max_batches
-- NULL means no limit), and batch_size is bounded: a batch's rows travel
-- as arrays in the backend's memory.
CREATE OR REPLACE FUNCTION @extschema@.cowrie_backfill_check_options(entry text, batch_size integer,
                                                                   dry_run boolean, retry_unenrichable boolean,
                                                                   batch_lock_timeout text)
RETURNS void
LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
    max_batch_size constant integer := 1000000;
    null_option text := CASE WHEN batch_size IS NULL THEN 'batch_size'
                             WHEN dry_run IS NULL THEN 'dry_run'
                             WHEN retry_unenrichable IS NULL THEN 'retry_unenrichable'
                             WHEN entry = 'cowrie_backfill_commit' AND batch_lock_timeout IS NULL THEN 'batch_lock_timeout' END;
BEGIN
    IF null_option IS NOT NULL THEN
        RAISE EXCEPTION 'cowrie_snapshot: % of % must not be NULL', null_option, entry
            USING ERRCODE = 'null_value_not_allowed',
                  DETAIL = pg_catalog.format('%s was called with %s => NULL.', entry, null_option),
                  HINT = pg_catalog.format('Pass a value for %s, or leave it out for its default (%s).', null_option,
                      CASE null_option WHEN 'batch_size' THEN '1000' WHEN 'batch_lock_timeout' THEN '''2s''' ELSE 'false' END);
    END IF;
    IF batch_size < 1 OR batch_size > max_batch_size THEN
        RAISE EXCEPTION 'cowrie_snapshot: batch_size of % must be between 1 and %', entry, max_batch_size
            USING ERRCODE = 'invalid_parameter_value',
                  DETAIL = pg_catalog.format('batch_size is %s.', batch_size),
                  HINT = pg_catalog.format('Pass a batch size from 1 to %s; the default, 1000, suits most tables.', max_batch_size);
    END IF;
END
$fn$;
COMMENT ON FUNCTION @extschema@.cowrie_backfill_check_options(text, integer, boolean, boolean, text) IS
'Backfill internals: refuses NULL options and a batch_size outside 1 to 1000000, before a run starts';

CREATE OR REPLACE FUNCTION @extschema@.cowrie_backfill(
    batch_size integer DEFAULT 1000, max_batches integer DEFAULT NULL,
    dry_run boolean DEFAULT false, retry_unenrichable boolean DEFAULT false)
RETURNS bigint
LANGUAGE plpgsql VOLATILE PARALLEL UNSAFE
SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
    processed bigint;
BEGIN
    PERFORM @extschema@.cowrie_backfill_check_options('cowrie_backfill', batch_size, dry_run, retry_unenrichable, NULL);
    CALL @extschema@.cowrie_backfill_run(batch_size, max_batches, dry_run, retry_unenrichable, false, NULL, processed);
    RETURN processed;
END
$fn$;
COMMENT ON FUNCTION @extschema@.cowrie_backfill(integer, integer, boolean, boolean) IS
'Fills the snapshots of sessions whose snapshot_country is NULL, heap by heap in keyset batches in heap order, then completes the sessions of the IPs whose inventory row changed; in the caller''s transaction; returns the sessions processed (0: nothing left). dry_run only counts outcomes';
