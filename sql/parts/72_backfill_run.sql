------------------------------------------------------------------------------
-- A backfill run: cowrie_backfill_run (a procedure, so that it may COMMIT
-- between batches) holds the whole state of the run in its own variables.
-- cowrie_backfill calls it in the caller's transaction, and
-- cowrie_backfill_commit with a COMMIT after every batch. A procedure that
-- commits cannot carry SET, so it names every object and operator it uses,
-- and each step it calls is a function that pins its search_path.
------------------------------------------------------------------------------

-- What a run starts from: its heaps (on Citus, its nodes and their shards),
-- whether it walks wide, and the sessions it expects to examine (for the
-- progress line).
CREATE OR REPLACE FUNCTION @extschema@.cowrie_backfill_start(retry_unenrichable boolean,
                                                           OUT heaps regclass[], OUT wide boolean, OUT total bigint,
                                                           OUT nodes jsonb)
LANGUAGE plpgsql VOLATILE PARALLEL UNSAFE
SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
    sessions regclass := pg_catalog.to_regclass('@extschema@.session_summaries');
    citus text := @extschema@.cowrie_citus_kind(sessions);
BEGIN
    IF sessions IS NULL OR NOT @extschema@.cowrie_has_column(sessions, 'snapshot_country') THEN
        RAISE EXCEPTION 'cowrie_snapshot: session_summaries has no snapshot columns yet'
            USING ERRCODE = 'object_not_in_prerequisite_state',
                  DETAIL = pg_catalog.format('Schema %s has %s.', '@extschema@',
                      CASE WHEN sessions IS NULL THEN 'no session_summaries table' ELSE 'a session_summaries table without snapshot_country' END),
                  HINT = 'Run the v16 migration first: ALTER EXTENSION cowrie_snapshot UPDATE, or SELECT cowrie_migrate().';
    END IF;
    IF citus IS NOT NULL THEN
        -- A Citus table's rows are in its shards: each node walks its own
        -- (docs/citus.md). Run from the coordinator, which knows them all.
        IF citus <> 'distributed' OR NOT @extschema@.cowrie_citus_coordinator() THEN
            RAISE EXCEPTION 'cowrie_snapshot: the backfill runs on the Citus coordinator, on a session_summaries distributed by session_id'
                USING ERRCODE = 'feature_not_supported',
                      DETAIL = pg_catalog.format('%s is a Citus %s table, and this node is %s.', sessions, citus,
                                                 CASE WHEN @extschema@.cowrie_citus_coordinator() THEN 'the coordinator' ELSE 'a worker' END),
                      HINT = 'Connect to the coordinator (docs/citus.md).';
        END IF;
        nodes := @extschema@.cowrie_citus_nodes();
        heaps := '{}';
    ELSE
        PERFORM @extschema@.cowrie_check_layout();
        heaps := @extschema@.cowrie_session_heaps();
    END IF;
    wide := retry_unenrichable OR EXISTS (SELECT FROM @extschema@.cowrie_inventory_queue q WHERE q.ip = '*');
    IF wide THEN
        RAISE NOTICE 'cowrie_backfill: walking every session the rule may still add to, not only those without a country'
            USING DETAIL = CASE WHEN retry_unenrichable THEN 'retry_unenrichable is on.'
                                ELSE 'A deferred repair of upstream''s state queued it (''*'' in cowrie_inventory_queue); a complete run removes it.' END;
        -- Every session may be examined: the planner's count is enough for a progress line.
        total := CASE WHEN nodes IS NULL
                      THEN (SELECT COALESCE(pg_catalog.sum(GREATEST(c.reltuples, 0)), 0) FROM pg_catalog.pg_class c WHERE c.oid = ANY (heaps))::bigint
                      ELSE (SELECT pg_catalog.count(*) FROM @extschema@.session_summaries) END;
    ELSE
        -- Through the index on snapshot_country, without the heap: a complete
        -- table is not read. Pending sessions are not the walk's.
        total := GREATEST((SELECT pg_catalog.count(*) FROM @extschema@.session_summaries s WHERE s.snapshot_country IS NULL)
                          - @extschema@.cowrie_pending_count(nodes), 0);
    END IF;
END
$fn$;
COMMENT ON FUNCTION @extschema@.cowrie_backfill_start(boolean) IS
'Backfill internals: a new backfill run''s heaps, whether it walks every session the rule may add to, and the sessions it expects to examine';

-- The walk of one heap as it is now: its end, its filenode (a rewrite moves
-- every row and invalidates the watermark), and the heap blocks per range: a
-- little under batch_size rows, so that a range rarely overflows its batch.
-- An ordinary run over few sessions in a large heap (a scheduled run) takes
-- one range, in which the index on snapshot_country finds them; over none, no
-- range at all.
CREATE OR REPLACE FUNCTION @extschema@.cowrie_backfill_heap_plan(heap regclass, batch_size integer, wide boolean,
                                                               OUT heap_end tid, OUT range_blocks bigint, OUT filenode oid)
LANGUAGE plpgsql VOLATILE PARALLEL UNSAFE
SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
    blocks bigint := pg_catalog.pg_relation_size(heap) / pg_catalog.current_setting('block_size')::bigint;
    heap_rows bigint := (SELECT c.reltuples FROM pg_catalog.pg_class c WHERE c.oid = heap)::bigint;
    eligible bigint;
BEGIN
    IF blocks IS NULL THEN
        -- Dropped since the run listed it (a partition dropped by pg_partman's retention).
        heap_end := '(0,0)';
        range_blocks := 1;
        RETURN;
    END IF;
    heap_end := pg_catalog.format('(%s,0)', blocks)::tid;
    filenode := pg_catalog.pg_relation_filenode(heap);
    IF heap_rows IS NULL OR heap_rows <= 0 THEN
        EXECUTE pg_catalog.format('SELECT pg_catalog.count(*) FROM %s s WHERE s.tableoid = $1', @extschema@.cowrie_heap_target(heap, true))
            INTO heap_rows USING heap::oid;
    END IF;
    IF NOT wide THEN
        -- Through the index on snapshot_country (pending sessions included).
        EXECUTE pg_catalog.format('SELECT pg_catalog.count(*) FROM %s s WHERE s.tableoid = $1 AND s.snapshot_country IS NULL',
                                  @extschema@.cowrie_heap_target(heap, true))
            INTO eligible USING heap::oid;
        IF eligible = 0 THEN
            heap_end := '(0,0)';
        ELSIF eligible * 20 < heap_rows THEN
            range_blocks := blocks + 1;
            RETURN;
        END IF;
    END IF;
    range_blocks := GREATEST(1, pg_catalog.floor(0.95 * batch_size * blocks / GREATEST(heap_rows, 1))::bigint);
END
$fn$;
COMMENT ON FUNCTION @extschema@.cowrie_backfill_heap_plan(regclass, integer, boolean) IS
'Backfill internals: the end, filenode and range size of the walk of one heap of session_summaries';

-- One batch, as (jsonb) -> jsonb so that cowrie_as_owner can run it: a walk
-- batch of one heap, or a completion batch over all of them. Heaps travel as
-- oids (a regclass's text depends on the search_path).
CREATE OR REPLACE FUNCTION @extschema@.cowrie_backfill_step(args jsonb) RETURNS jsonb
LANGUAGE plpgsql VOLATILE PARALLEL UNSAFE
SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
    result jsonb;
BEGIN
    IF args ->> 'kind' = 'walk' THEN
        SELECT pg_catalog.to_jsonb(x) INTO result
        FROM @extschema@.cowrie_backfill_walk_step((args ->> 'heap')::oid::regclass, (args ->> 'after')::tid, (args ->> 'range_end')::tid,
                                                   (args ->> 'batch_size')::integer, (args ->> 'wide')::boolean,
                                                   (args ->> 'dry_run')::boolean) x;
    ELSE
        SELECT pg_catalog.to_jsonb(x) INTO result
        FROM @extschema@.cowrie_backfill_queue_step(ARRAY(SELECT h::oid::regclass FROM pg_catalog.jsonb_array_elements_text(args -> 'heaps') h),
                                                    args ->> 'after', (args ->> 'batch_size')::integer,
                                                    (args ->> 'dry_run')::boolean) x;
    END IF;
    RETURN result;
END
$fn$;
COMMENT ON FUNCTION @extschema@.cowrie_backfill_step(jsonb) IS
'Backfill internals: one backfill batch (a walk batch of one heap, or a completion batch) with its arguments and result as jsonb, for cowrie_as_owner';

-- A batch that writes runs as the owner of session_summaries, restricted
-- (cowrie_as_owner), when its caller holds the owner's privileges without
-- being the owner (a superuser, pg_cron, a member role): the owner's
-- triggers, generated columns and index expressions never run as such a
-- caller. The owner itself, any other role (under its own rights and
-- row-level security) and a dry run (it only reads) need no switch. In a
-- committing run a failed batch releases the run's lock.
CREATE OR REPLACE FUNCTION @extschema@.cowrie_backfill_batch(args jsonb, committing boolean, batch_lock_timeout text) RETURNS jsonb
LANGUAGE plpgsql VOLATILE PARALLEL UNSAFE
SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
    owner oid := (SELECT c.relowner FROM pg_catalog.pg_class c
                  WHERE c.oid OPERATOR(pg_catalog.=) '@extschema@.session_summaries'::pg_catalog.regclass::pg_catalog.oid);
BEGIN
    IF committing THEN
        PERFORM pg_catalog.set_config('lock_timeout', batch_lock_timeout, true);
    END IF;
    IF (args ->> 'dry_run')::boolean
       OR owner OPERATOR(pg_catalog.=) (SELECT r.oid FROM pg_catalog.pg_roles r WHERE r.rolname OPERATOR(pg_catalog.=) CURRENT_USER)
       OR NOT pg_catalog.pg_has_role(owner, 'USAGE') THEN
        RETURN @extschema@.cowrie_backfill_step(args);
    END IF;
    IF NOT pg_catalog.has_function_privilege('@extschema@.cowrie_as_owner(pg_catalog.regclass, pg_catalog.regprocedure, pg_catalog.jsonb)'::pg_catalog.regprocedure, 'EXECUTE') THEN
        RAISE EXCEPTION 'cowrie_backfill: permission denied for function cowrie_as_owner'
            USING ERRCODE = 'insufficient_privilege',
                  DETAIL = pg_catalog.format('Role %s has the privileges of %s, the owner of session_summaries, so each batch runs as that role through cowrie_as_owner, which %s may not execute.',
                                             CURRENT_USER, pg_catalog.pg_get_userbyid(owner), CURRENT_USER),
                  HINT = 'GRANT EXECUTE ON FUNCTION cowrie_as_owner(regclass, regprocedure, jsonb) TO the owner of session_summaries (the migration does; a later ALTER TABLE ... OWNER TO does not).';
    END IF;
    RETURN @extschema@.cowrie_as_owner('@extschema@.session_summaries'::pg_catalog.regclass,
                                       '@extschema@.cowrie_backfill_step(pg_catalog.jsonb)'::pg_catalog.regprocedure, args);
EXCEPTION WHEN OTHERS OR query_canceled THEN
    IF committing THEN
        PERFORM @extschema@.cowrie_backfill_unlock();
    END IF;
    RAISE;
END
$fn$;
COMMENT ON FUNCTION @extschema@.cowrie_backfill_batch(jsonb, boolean, text) IS
'Backfill internals: runs one backfill batch; for a caller with the privileges of the owner of session_summaries, one that writes runs as that owner (cowrie_as_owner)';

CREATE OR REPLACE FUNCTION @extschema@.cowrie_backfill_add_outcomes(so_far jsonb, batch jsonb) RETURNS jsonb
LANGUAGE sql IMMUTABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
BEGIN ATOMIC
    SELECT COALESCE(pg_catalog.jsonb_object_agg(t.k, t.v), '{}'::pg_catalog.jsonb)
    FROM (SELECT e.k, pg_catalog.sum(e.v::pg_catalog.int8) AS v
          FROM (SELECT * FROM pg_catalog.jsonb_each_text(so_far) UNION ALL SELECT * FROM pg_catalog.jsonb_each_text(batch)) e(k, v)
          GROUP BY e.k) t;
END;
COMMENT ON FUNCTION @extschema@.cowrie_backfill_add_outcomes(jsonb, jsonb) IS 'Backfill internals: sessions per outcome, summed';

-- The progress line: a NOTICE (final: the run's last), for the procedure's
-- loop and its end.
CREATE OR REPLACE FUNCTION @extschema@.cowrie_backfill_progress(done bigint, total bigint, started timestamptz, outcomes jsonb, final boolean)
RETURNS text
LANGUAGE plpgsql VOLATILE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
    seconds numeric := GREATEST(EXTRACT(epoch FROM pg_catalog.clock_timestamp() - started), 0.001);
    rate numeric := done / seconds;
BEGIN
    RETURN pg_catalog.format('%s %% in %s s, %s sessions/s%s; outcomes: %s',
        CASE WHEN total > 0 THEN LEAST(100, pg_catalog.round(100.0 * done / total, 1)) ELSE 100 END,
        pg_catalog.round(seconds, 1), pg_catalog.round(rate),
        CASE WHEN NOT final AND rate > 0 THEN pg_catalog.format(', ETA %s s', pg_catalog.round(GREATEST(total - done, 0) / rate)) ELSE '' END,
        outcomes);
END
$fn$;
COMMENT ON FUNCTION @extschema@.cowrie_backfill_progress(bigint, bigint, timestamptz, jsonb, boolean) IS 'Backfill internals: backfill progress numbers';

CREATE OR REPLACE FUNCTION @extschema@.cowrie_backfill_notice(done bigint, total bigint, started timestamptz, outcomes jsonb, final boolean)
RETURNS void
LANGUAGE plpgsql VOLATILE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $fn$
BEGIN
    RAISE NOTICE 'cowrie_backfill: %/% sessions%', done, total, CASE WHEN final THEN ', done' ELSE '' END
        USING DETAIL = @extschema@.cowrie_backfill_progress(done, total, started, outcomes, final);
END
$fn$;
COMMENT ON FUNCTION @extschema@.cowrie_backfill_notice(bigint, bigint, timestamptz, jsonb, boolean) IS 'Backfill internals: backfill progress NOTICE';

-- Was this heap rewritten (VACUUM FULL, CLUSTER, a rewriting ALTER TABLE)
-- since its walk started? Then the walk starts again from its first block,
-- three times at most: a heap rewritten over and over is left to the closing count.
CREATE OR REPLACE FUNCTION @extschema@.cowrie_backfill_rewritten(heap regclass, filenode oid, restarts integer) RETURNS boolean
LANGUAGE plpgsql STABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $fn$
BEGIN
    IF pg_catalog.pg_relation_filenode(heap) IS NOT DISTINCT FROM filenode OR restarts >= 3 THEN
        RETURN false;
    END IF;
    RAISE NOTICE 'cowrie_backfill: % was rewritten during the run; reading it again from its first block',
                 CASE WHEN heap = '@extschema@.session_summaries'::regclass THEN 'session_summaries'
                      ELSE pg_catalog.format('partition %s of session_summaries', heap) END
        USING DETAIL = pg_catalog.format('A VACUUM FULL, CLUSTER or rewriting ALTER TABLE moved its rows (restart %s of at most 3).', restarts + 1);
    RETURN true;
END
$fn$;
COMMENT ON FUNCTION @extschema@.cowrie_backfill_rewritten(regclass, oid, integer) IS
'Backfill internals: was this heap rewritten since its walk started (then the walk starts again, three times at most)';

-- The end of a complete run: a wide walk that reached every heap's end
-- answers the queued '*'; then "done" when no session is left without a
-- country but the pending ones (the index on snapshot_country makes the
-- count cheap), otherwise a WARNING with the count. No ANALYZE: batches in
-- heap order need no statistics, autovacuum refreshes them, and sampling
-- 30,000 wide rows would set the run's memory peak (BENCHMARKS.md).
CREATE OR REPLACE FUNCTION @extschema@.cowrie_backfill_finish(done bigint, total bigint, started timestamptz, outcomes jsonb,
                                                            complete boolean, wide boolean, dry_run boolean, nodes jsonb)
RETURNS void
LANGUAGE plpgsql VOLATILE PARALLEL UNSAFE
SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
    left_over bigint;
    pending bigint;
BEGIN
    IF NOT complete OR dry_run THEN
        -- max_batches ended the run early, or nothing was written: no leftover to count.
        PERFORM @extschema@.cowrie_backfill_notice(done, total, started, outcomes, false);
        RETURN;
    END IF;
    IF wide THEN
        DELETE FROM @extschema@.cowrie_inventory_queue q WHERE q.ip = '*';
    END IF;
    IF nodes IS NULL THEN
        SELECT pg_catalog.count(*) FILTER (WHERE NOT EXISTS (SELECT FROM @extschema@.cowrie_pending_sessions p
                                                             WHERE p.session_id = s.session_id::text)),
               pg_catalog.count(*) FILTER (WHERE EXISTS (SELECT FROM @extschema@.cowrie_pending_sessions p
                                                         WHERE p.session_id = s.session_id::text))
          INTO left_over, pending
        FROM @extschema@.session_summaries s WHERE s.snapshot_country IS NULL;
    ELSE
        -- Citus: the pending sessions are in each node's own table (pending
        -- sessions have no country).
        pending := @extschema@.cowrie_pending_count(nodes);
        left_over := GREATEST((SELECT pg_catalog.count(*) FROM @extschema@.session_summaries s WHERE s.snapshot_country IS NULL)
                              - pending, 0);
    END IF;
    IF left_over = 0 THEN
        RAISE NOTICE 'cowrie_backfill: %/% sessions, done%', done, total,
                     CASE WHEN pending > 0 THEN pg_catalog.format('; %s sessions wait for their IP''s inventory row', pending) ELSE '' END
            USING DETAIL = @extschema@.cowrie_backfill_progress(done, total, started, outcomes, true);
    ELSE
        RAISE WARNING 'cowrie_backfill: %/% sessions, % sessions left without a snapshot', done, total, left_over
            USING DETAIL = @extschema@.cowrie_backfill_progress(done, total, started, outcomes, true)
                           || CASE WHEN pending > 0 THEN pg_catalog.format('; %s more wait for their IP''s inventory row', pending) ELSE '' END,
                  HINT = 'They were locked by other transactions, written during the run, or moved by repeated table rewrites; run the backfill again.';
    END IF;
END
$fn$;
COMMENT ON FUNCTION @extschema@.cowrie_backfill_finish(bigint, bigint, timestamptz, jsonb, boolean, boolean, boolean, jsonb) IS
'Backfill internals: ends a backfill run (final NOTICE, or a WARNING with the sessions left)';

-- The batches of one node: the walk of each of these heaps, then (completion)
-- the sessions of the IPs in this node's queue, in these heaps. A plain or
-- partitioned table's run calls it with every heap; on Citus each node runs it
-- over its own shards of session_summaries, with its own queue and pending
-- sessions (the inventory's triggers fire on each node's placement), sent by
-- the coordinator's run (cowrie_citus_on_nodes). The run's figures travel in
-- state: done, total, batches, outcomes, complete, started.
CREATE OR REPLACE PROCEDURE @extschema@.cowrie_backfill_local(heaps regclass[], batch_size integer, max_batches integer,
                                                            wide boolean, dry_run boolean, committing boolean,
                                                            batch_lock_timeout text, walk boolean, completion boolean,
                                                            INOUT state jsonb)
LANGUAGE plpgsql
AS $fn$
DECLARE
    heap pg_catalog.regclass;
    plan record;                -- the walk of this heap: heap_end, range_blocks, filenode
    watermark pg_catalog.tid;   -- this heap's next batch starts after it
    range_end pg_catalog.tid;
    restarts pg_catalog.int4;
    queue_after pg_catalog.text := ''::pg_catalog.text;   -- the completion's next batch starts after this IP
    batch record;
    total pg_catalog.int8 := COALESCE((state OPERATOR(pg_catalog.->>) 'total')::pg_catalog.int8, 0::pg_catalog.int8);
    done pg_catalog.int8 := COALESCE((state OPERATOR(pg_catalog.->>) 'done')::pg_catalog.int8, 0::pg_catalog.int8);
    batches pg_catalog.int4 := COALESCE((state OPERATOR(pg_catalog.->>) 'batches')::pg_catalog.int4, 0);
    outcomes pg_catalog.jsonb := COALESCE(state OPERATOR(pg_catalog.->) 'outcomes', '{}'::pg_catalog.jsonb);
    complete pg_catalog.bool := true;   -- false once max_batches stops the run
    started pg_catalog.timestamptz := COALESCE((state OPERATOR(pg_catalog.->>) 'started')::pg_catalog.timestamptz, pg_catalog.clock_timestamp());
    last_notice pg_catalog.timestamptz := pg_catalog.clock_timestamp();
BEGIN
    -- Only heaps of session_summaries (its leaves, or this node's shards of it).
    PERFORM @extschema@.cowrie_check_session_heaps(heaps);
    <<heaps>>
    FOREACH heap IN ARRAY CASE WHEN walk THEN heaps ELSE '{}'::pg_catalog.regclass[] END LOOP
        restarts := 0;
        <<walk>>
        LOOP
            SELECT * INTO plan FROM @extschema@.cowrie_backfill_heap_plan(heap, batch_size, wide);
            watermark := '(0,0)';
            WHILE watermark OPERATOR(pg_catalog.<) plan.heap_end LOOP
                IF batches OPERATOR(pg_catalog.>=) max_batches THEN
                    complete := false;
                    EXIT heaps;
                END IF;
                range_end := LEAST(pg_catalog.format('(%s,0)', ((watermark::pg_catalog.text)::pg_catalog.point)[0]::pg_catalog.int8
                                                     OPERATOR(pg_catalog.+) plan.range_blocks)::pg_catalog.tid, plan.heap_end);
                SELECT * INTO batch FROM pg_catalog.jsonb_to_record(@extschema@.cowrie_backfill_batch(
                    pg_catalog.jsonb_build_object('kind', 'walk', 'heap', heap::pg_catalog.oid, 'after', watermark, 'range_end', range_end,
                                                  'batch_size', batch_size, 'wide', wide, 'dry_run', dry_run),
                    committing, batch_lock_timeout))
                    AS b(examined pg_catalog.int8, written pg_catalog.int8, skipped pg_catalog.int8, outcomes pg_catalog.jsonb,
                         next_tid pg_catalog.tid);
                IF committing THEN
                    COMMIT;
                END IF;
                watermark := batch.next_tid;
                IF batch.examined OPERATOR(pg_catalog.>) 0 THEN
                    batches := batches OPERATOR(pg_catalog.+) 1;
                    -- A wide walk counts what it changed: repeated retry runs come to 0.
                    -- Rows another transaction held are left to the next run.
                    done := done OPERATOR(pg_catalog.+) CASE WHEN wide THEN batch.written
                                                             ELSE batch.examined OPERATOR(pg_catalog.-) batch.skipped END;
                    outcomes := @extschema@.cowrie_backfill_add_outcomes(outcomes, batch.outcomes);
                END IF;
                IF @extschema@.cowrie_backfill_rewritten(heap, plan.filenode, restarts) THEN
                    restarts := restarts OPERATOR(pg_catalog.+) 1;
                    CONTINUE walk;
                END IF;
                IF pg_catalog.clock_timestamp() OPERATOR(pg_catalog.-) last_notice OPERATOR(pg_catalog.>=) '10 seconds'::pg_catalog.interval THEN
                    PERFORM @extschema@.cowrie_backfill_notice(done, total, started, outcomes, false);
                    last_notice := pg_catalog.clock_timestamp();
                END IF;
            END LOOP;
            EXIT walk;
        END LOOP;
    END LOOP;
    WHILE complete AND completion LOOP
        IF batches OPERATOR(pg_catalog.>=) max_batches THEN
            complete := false;
            EXIT;
        END IF;
        SELECT * INTO batch FROM pg_catalog.jsonb_to_record(@extschema@.cowrie_backfill_batch(
            pg_catalog.jsonb_build_object('kind', 'queue', 'heaps', heaps::pg_catalog.oid[],
                                          'after', queue_after, 'batch_size', batch_size, 'dry_run', dry_run),
            committing, batch_lock_timeout))
            AS b(examined pg_catalog.int8, written pg_catalog.int8, outcomes pg_catalog.jsonb, next_ip pg_catalog.text);
        IF committing THEN
            COMMIT;
        END IF;
        EXIT WHEN batch.next_ip IS NULL;
        queue_after := batch.next_ip;
        batches := batches OPERATOR(pg_catalog.+) 1;
        -- Sessions the completion changed were not in the count at the start.
        total := total OPERATOR(pg_catalog.+) batch.written;
        done := done OPERATOR(pg_catalog.+) batch.written;
        IF batch.written OPERATOR(pg_catalog.>) 0 THEN
            outcomes := @extschema@.cowrie_backfill_add_outcomes(outcomes, pg_catalog.jsonb_build_object('completed', batch.written));
        END IF;
    END LOOP;
    state := pg_catalog.jsonb_build_object('done', done, 'total', total, 'batches', batches, 'outcomes', outcomes,
                                           'complete', complete, 'started', started);
END
$fn$;
COMMENT ON PROCEDURE @extschema@.cowrie_backfill_local(regclass[], integer, integer, boolean, boolean, boolean, text, boolean, boolean, jsonb) IS
'Backfill internals: the batches of one node (the walk of these heaps of session_summaries, then the completion of this node''s queued IPs in them); the run''s figures in and out as state';

CREATE OR REPLACE PROCEDURE @extschema@.cowrie_backfill_run(batch_size integer, max_batches integer, dry_run boolean,
                                                          retry_unenrichable boolean, committing boolean, batch_lock_timeout text,
                                                          INOUT processed bigint DEFAULT NULL)
LANGUAGE plpgsql
AS $fn$
DECLARE
    run record;                 -- heaps, wide, total, nodes (cowrie_backfill_start)
    state pg_catalog.jsonb;
BEGIN
    IF committing THEN
        SELECT * INTO run FROM @extschema@.cowrie_backfill_commit_start(retry_unenrichable, batch_lock_timeout);
        COMMIT;
    ELSE
        SELECT * INTO run FROM @extschema@.cowrie_backfill_start(retry_unenrichable);
    END IF;
    state := pg_catalog.jsonb_build_object('done', 0, 'total', run.total, 'batches', 0, 'outcomes', '{}'::pg_catalog.jsonb,
                                           'complete', true, 'started', pg_catalog.clock_timestamp());
    IF run.nodes IS NULL THEN
        CALL @extschema@.cowrie_backfill_local(run.heaps, batch_size, max_batches, run.wide, dry_run, committing,
                                               batch_lock_timeout, true, true, state);
    ELSE
        -- Citus: each node runs its own batches over its shards.
        state := @extschema@.cowrie_backfill_citus(run.nodes, state, batch_size, max_batches, run.wide, dry_run, committing,
                                                   batch_lock_timeout);
    END IF;
    IF committing THEN
        PERFORM @extschema@.cowrie_backfill_unlock();
    END IF;
    PERFORM @extschema@.cowrie_backfill_finish((state OPERATOR(pg_catalog.->>) 'done')::pg_catalog.int8,
                                               (state OPERATOR(pg_catalog.->>) 'total')::pg_catalog.int8,
                                               (state OPERATOR(pg_catalog.->>) 'started')::pg_catalog.timestamptz,
                                               state OPERATOR(pg_catalog.->) 'outcomes',
                                               (state OPERATOR(pg_catalog.->>) 'complete')::pg_catalog.bool, run.wide, dry_run, run.nodes);
    processed := (state OPERATOR(pg_catalog.->>) 'done')::pg_catalog.int8;
END
$fn$;
COMMENT ON PROCEDURE @extschema@.cowrie_backfill_run(integer, integer, boolean, boolean, boolean, text, bigint) IS
'Backfill internals: a whole backfill run (the walk of every heap, then the completion of the queued IPs), on this node or, on Citus, on every node';
