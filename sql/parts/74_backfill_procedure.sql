------------------------------------------------------------------------------
-- CALL cowrie_backfill_commit(...): the run with a COMMIT after every batch,
-- one run at a time per database. A procedure that commits cannot carry SET,
-- so its body only calls the functions below, which do.
--
-- The run's lock is session-level advisory lock (1668249458, 1) ('cowr' in
-- ASCII): a transaction-level one would end with the first COMMIT. It is never
-- left behind by a run that cannot start or that fails in a batch.
------------------------------------------------------------------------------

CREATE OR REPLACE FUNCTION @extschema@.cowrie_backfill_lock() RETURNS void
LANGUAGE plpgsql VOLATILE PARALLEL UNSAFE
SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
    lock_class integer := 1668249458;
    holder integer;
    holder_state text;
BEGIN
    -- A hold left by an interrupted run of this same session is reused.
    IF EXISTS (SELECT FROM pg_catalog.pg_locks l
               WHERE l.locktype = 'advisory' AND l.pid = pg_catalog.pg_backend_pid()
                 AND l.classid = lock_class::oid AND l.objid = 1::oid AND l.objsubid = 2 AND l.granted)
       OR pg_catalog.pg_try_advisory_lock(lock_class, 1) THEN
        RETURN;
    END IF;
    SELECT l.pid, a.state INTO holder, holder_state
    FROM pg_catalog.pg_locks l LEFT JOIN pg_catalog.pg_stat_activity a ON a.pid = l.pid
    WHERE l.locktype = 'advisory' AND l.classid = lock_class::oid AND l.objid = 1::oid AND l.objsubid = 2
      AND l.granted AND l.database = (SELECT d.oid FROM pg_catalog.pg_database d WHERE d.datname = pg_catalog.current_database())
    LIMIT 1;
    RAISE EXCEPTION 'cowrie_snapshot: another cowrie_backfill_commit is running in this database'
        USING ERRCODE = 'lock_not_available',
              DETAIL = pg_catalog.format('Advisory lock (%s, 1) is held by backend %s (state: %s).',
                                         lock_class, COALESCE(holder::text, 'unknown'), COALESCE(holder_state, 'unknown')),
              HINT = pg_catalog.format('Wait for it to finish. A holder that is idle is a session whose run was interrupted: '
                                       'only ending that session frees the lock, SELECT pg_terminate_backend(%s); '
                                       'pg_cancel_backend does not.', COALESCE(holder::text, 'pid'));
END
$fn$;
COMMENT ON FUNCTION @extschema@.cowrie_backfill_lock() IS 'Backfill internals: takes the committing backfill''s advisory lock, or says who holds it';

CREATE OR REPLACE FUNCTION @extschema@.cowrie_backfill_unlock() RETURNS void
LANGUAGE plpgsql VOLATILE PARALLEL UNSAFE
SET search_path = pg_catalog, pg_temp
AS $fn$
BEGIN
    PERFORM pg_catalog.pg_advisory_unlock(1668249458, 1);
END
$fn$;
COMMENT ON FUNCTION @extschema@.cowrie_backfill_unlock() IS 'Backfill internals: releases the committing backfill''s advisory lock';

-- The run's first transaction: the lock, then the count. Any error releases
-- the lock again (an advisory unlock is not undone by the rollback).
CREATE OR REPLACE FUNCTION @extschema@.cowrie_backfill_commit_start(batch_size integer, retry_unenrichable boolean,
                                                                  batch_lock_timeout text)
RETURNS @extschema@.cowrie_backfill_run
LANGUAGE plpgsql VOLATILE PARALLEL UNSAFE
SET search_path = pg_catalog, pg_temp
AS $fn$
BEGIN
    PERFORM @extschema@.cowrie_backfill_lock();
    BEGIN
        -- The count waits for table locks too: bound it like a batch (the COMMIT resets it).
        PERFORM pg_catalog.set_config('lock_timeout', batch_lock_timeout, true);
        RETURN @extschema@.cowrie_backfill_run_start(batch_size, retry_unenrichable);
    EXCEPTION WHEN OTHERS OR query_canceled THEN
        PERFORM @extschema@.cowrie_backfill_unlock();
        RAISE;
    END;
END
$fn$;
COMMENT ON FUNCTION @extschema@.cowrie_backfill_commit_start(integer, boolean, text) IS
'Backfill internals: the first transaction of cowrie_backfill_commit (lock, arguments, count)';

-- One batch under the batch lock timeout; a failure releases the run's lock.
CREATE OR REPLACE FUNCTION @extschema@.cowrie_backfill_commit_step(run @extschema@.cowrie_backfill_run, batch_size integer,
                                                                 retry_unenrichable boolean, batch_lock_timeout text)
RETURNS @extschema@.cowrie_backfill_batch
LANGUAGE plpgsql VOLATILE PARALLEL UNSAFE
SET search_path = pg_catalog, pg_temp
AS $fn$
BEGIN
    PERFORM pg_catalog.set_config('lock_timeout', batch_lock_timeout, true);
    RETURN @extschema@.cowrie_backfill_run_step(run, batch_size, false, retry_unenrichable);
EXCEPTION WHEN OTHERS OR query_canceled THEN
    PERFORM @extschema@.cowrie_backfill_unlock();
    RAISE;
END
$fn$;
COMMENT ON FUNCTION @extschema@.cowrie_backfill_commit_step(@extschema@.cowrie_backfill_run, integer, boolean, text) IS
'Backfill internals: one committed batch of cowrie_backfill_commit';

CREATE OR REPLACE FUNCTION @extschema@.cowrie_backfill_commit_finish(run @extschema@.cowrie_backfill_run) RETURNS void
LANGUAGE plpgsql VOLATILE PARALLEL UNSAFE
SET search_path = pg_catalog, pg_temp
AS $fn$
BEGIN
    PERFORM @extschema@.cowrie_backfill_unlock();
    PERFORM @extschema@.cowrie_backfill_run_finish(run, false);
END
$fn$;
COMMENT ON FUNCTION @extschema@.cowrie_backfill_commit_finish(@extschema@.cowrie_backfill_run) IS
'Backfill internals: the end of cowrie_backfill_commit (lock released, closing NOTICE)';

CREATE OR REPLACE PROCEDURE @extschema@.cowrie_backfill_commit(
    batch_size integer DEFAULT 1000, max_batches integer DEFAULT NULL,
    retry_unenrichable boolean DEFAULT false, batch_lock_timeout text DEFAULT '2s')
LANGUAGE plpgsql
AS $fn$
DECLARE
    run @extschema@.cowrie_backfill_run;
    batch @extschema@.cowrie_backfill_batch;
BEGIN
    -- Inside a transaction block this fails (2D000) before any lock is taken.
    COMMIT;
    run := @extschema@.cowrie_backfill_commit_start(batch_size, retry_unenrichable, batch_lock_timeout);
    COMMIT;
    WHILE @extschema@.cowrie_backfill_run_more(run, max_batches) LOOP
        batch := @extschema@.cowrie_backfill_commit_step(run, batch_size, retry_unenrichable, batch_lock_timeout);
        COMMIT;
        run := @extschema@.cowrie_backfill_run_add(run, batch);
    END LOOP;
    PERFORM @extschema@.cowrie_backfill_commit_finish(run);
END
$fn$;
COMMENT ON PROCEDURE @extschema@.cowrie_backfill_commit(integer, integer, boolean, text) IS
'cowrie_backfill that COMMITs after every batch: resumable after a cancel or crash, one run at a time (advisory lock), short lock_timeout per batch. CALL it at top level';
