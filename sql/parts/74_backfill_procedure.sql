------------------------------------------------------------------------------
-- CALL cowrie_backfill_commit(...): the run with a COMMIT after every batch,
-- one run at a time per database: cowrie_backfill_run with committing on.
-- A procedure that commits cannot carry SET, so its body only calls
-- functions that do.
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
    holder record;
    what text;
BEGIN
    -- A hold left by an interrupted run of this same session is reused.
    IF EXISTS (SELECT FROM pg_catalog.pg_locks l
               WHERE l.locktype = 'advisory' AND l.pid = pg_catalog.pg_backend_pid()
                 AND l.classid = lock_class::oid AND l.objid = 1::oid AND l.objsubid = 2 AND l.granted)
       OR pg_catalog.pg_try_advisory_lock(lock_class, 1) THEN
        RETURN;
    END IF;
    -- Any role can take this lock: say who holds it, and whether its query
    -- (visible to the same role or pg_read_all_stats) is a backfill run.
    SELECT l.pid, a.usename, a.application_name, a.state, a.query,
           a.query IS NULL OR a.query = '<insufficient privilege>' AS query_hidden
    INTO holder
    FROM pg_catalog.pg_locks l LEFT JOIN pg_catalog.pg_stat_activity a ON a.pid = l.pid
    WHERE l.locktype = 'advisory' AND l.classid = lock_class::oid AND l.objid = 1::oid AND l.objsubid = 2
      AND l.granted AND l.database = (SELECT d.oid FROM pg_catalog.pg_database d WHERE d.datname = pg_catalog.current_database())
    LIMIT 1;
    what := CASE WHEN holder.pid IS NULL THEN 'the holder ended before it could be named'
                 WHEN holder.query_hidden THEN 'its query is not visible to this role (only to its own role and pg_read_all_stats)'
                 WHEN holder.query ~* 'cowrie_backfill_commit' THEN
                     pg_catalog.format('its %s query is a cowrie_backfill_commit call: %s',
                                       CASE WHEN holder.state = 'active' THEN 'current' ELSE 'last' END,
                                       pg_catalog.left(holder.query, 200))
                 ELSE pg_catalog.format('its %s query is not a cowrie_backfill_commit call: %s',
                                        CASE WHEN holder.state = 'active' THEN 'current' ELSE 'last' END,
                                        pg_catalog.left(holder.query, 200)) END;
    RAISE EXCEPTION 'cowrie_snapshot: the committing backfill''s advisory lock is held by another session'
        USING ERRCODE = 'lock_not_available',
              DETAIL = pg_catalog.format('Advisory lock (%s, 1) is held by backend %s (role %s, application_name %s, state: %s); %s.',
                                         lock_class, COALESCE(holder.pid::text, 'unknown'), COALESCE(holder.usename::text, 'unknown'),
                                         COALESCE(pg_catalog.quote_literal(holder.application_name), 'unknown'),
                                         COALESCE(holder.state, 'unknown'), what),
              HINT = pg_catalog.format('If it is a backfill run, wait for it to finish. Otherwise, or if it is idle (a run that was interrupted), '
                                       'only ending that session frees the lock: SELECT pg_terminate_backend(%s); pg_cancel_backend does not. '
                                       'SELECT * FROM pg_stat_activity WHERE pid = %s shows it.',
                                       COALESCE(holder.pid::text, 'pid'), COALESCE(holder.pid::text, 'pid'));
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

-- The run's first transaction: the lock, then the start. Any error releases
-- the lock again (an advisory unlock is not undone by the rollback).
CREATE OR REPLACE FUNCTION @extschema@.cowrie_backfill_commit_start(retry_unenrichable boolean, batch_lock_timeout text,
                                                                  OUT heaps regclass[], OUT wide boolean, OUT total bigint,
                                                                  OUT nodes jsonb)
LANGUAGE plpgsql VOLATILE PARALLEL UNSAFE
SET search_path = pg_catalog, pg_temp
AS $fn$
BEGIN
    PERFORM @extschema@.cowrie_backfill_lock();
    BEGIN
        -- The count waits for table locks too: bound it like a batch (the COMMIT resets it).
        PERFORM pg_catalog.set_config('lock_timeout', batch_lock_timeout, true);
        SELECT x.heaps, x.wide, x.total, x.nodes INTO heaps, wide, total, nodes
        FROM @extschema@.cowrie_backfill_start(retry_unenrichable) x;
    EXCEPTION WHEN OTHERS OR query_canceled THEN
        PERFORM @extschema@.cowrie_backfill_unlock();
        RAISE;
    END;
END
$fn$;
COMMENT ON FUNCTION @extschema@.cowrie_backfill_commit_start(boolean, text) IS
'Backfill internals: the first transaction of cowrie_backfill_commit (lock, then cowrie_backfill_start)';

CREATE OR REPLACE PROCEDURE @extschema@.cowrie_backfill_commit(
    batch_size integer DEFAULT 1000, max_batches integer DEFAULT NULL,
    retry_unenrichable boolean DEFAULT false, batch_lock_timeout text DEFAULT '2s')
LANGUAGE plpgsql
AS $fn$
DECLARE
    processed pg_catalog.int8;
BEGIN
    -- Inside a transaction block this fails (2D000) before any lock is taken.
    COMMIT;
    PERFORM @extschema@.cowrie_backfill_check_options('cowrie_backfill_commit', batch_size, false, retry_unenrichable,
                                                      batch_lock_timeout);
    CALL @extschema@.cowrie_backfill_run(batch_size, max_batches, false, retry_unenrichable, true, batch_lock_timeout, processed);
END
$fn$;
COMMENT ON PROCEDURE @extschema@.cowrie_backfill_commit(integer, integer, boolean, text) IS
'cowrie_backfill that COMMITs after every batch: resumable after a cancel or crash, one run at a time (advisory lock), short lock_timeout per batch. CALL it at top level';
