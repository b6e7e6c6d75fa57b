------------------------------------------------------------------------------
-- A backfill run: its state and the steps of the batch loop that
-- cowrie_backfill and cowrie_backfill_commit share (they differ only in
-- committing).
------------------------------------------------------------------------------

-- install-only: begin (the update adds filenode, restarts, the completion's three and batch_size with ALTER TYPE)
CREATE TYPE @extschema@.cowrie_backfill_run AS (
    started timestamptz,
    last_notice timestamptz,
    total bigint,              -- eligible sessions when the run started, plus those the completion took
    done bigint,
    batches integer,
    watermark tid,             -- the next batch starts after this heap position
    run_end tid,               -- the end of the table when the run started: rows written past it are left to the trigger or the next run
    range_blocks bigint,       -- heap blocks holding about batch_size rows
    outcomes jsonb,            -- sessions per outcome so far
    filenode oid,              -- session_summaries' relfilenode: a rewrite moves every row and invalidates the watermark
    restarts integer,          -- walks started again after a rewrite
    completion_from text,      -- the completion's next batch starts at this IP
    completion_done boolean,   -- the completion is over
    completion_walk boolean,   -- the completion reads the heap in order (many sessions to complete)
    batch_size integer
);
-- install-only: end
COMMENT ON TYPE @extschema@.cowrie_backfill_run IS 'Backfill internals: the state of a backfill run';

CREATE OR REPLACE FUNCTION @extschema@.cowrie_backfill_run_start(batch_size integer, retry_unenrichable boolean)
RETURNS @extschema@.cowrie_backfill_run
LANGUAGE plpgsql VOLATILE PARALLEL UNSAFE
SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
    sessions regclass := pg_catalog.to_regclass('@extschema@.session_summaries');
    run @extschema@.cowrie_backfill_run;
    all_rows bigint;
BEGIN
    IF sessions IS NULL OR NOT @extschema@.cowrie_has_column(sessions, 'snapshot_country') THEN
        RAISE EXCEPTION 'cowrie_snapshot: session_summaries has no snapshot columns yet'
            USING ERRCODE = 'object_not_in_prerequisite_state',
                  DETAIL = pg_catalog.format('Schema %s has %s.', '@extschema@',
                      CASE WHEN sessions IS NULL THEN 'no session_summaries table' ELSE 'a session_summaries table without snapshot_country' END),
                  HINT = 'Run the v16 migration first: ALTER EXTENSION cowrie_snapshot UPDATE, or SELECT cowrie_migrate().';
    END IF;
    IF batch_size IS NULL OR batch_size < 1 THEN
        RAISE EXCEPTION 'cowrie_snapshot: batch_size must be a positive integer'
            USING ERRCODE = 'invalid_parameter_value', DETAIL = pg_catalog.format('batch_size is %s.', COALESCE(batch_size::text, 'NULL'));
    END IF;
    run.started := pg_catalog.clock_timestamp();
    run.last_notice := run.started;
    IF retry_unenrichable THEN
        SELECT pg_catalog.count(*) FILTER (WHERE s.snapshot_country IS NULL OR s.snapshot_country::text = 'XX'
                                           OR s.snapshot_asn IS NULL OR s.snapshot_ip_type IS NULL OR s.source_ip IS NULL),
               pg_catalog.count(*)
          INTO run.total, all_rows
        FROM @extschema@.session_summaries s;
    ELSE
        -- Through the index on snapshot_country: a complete table is not read.
        SELECT pg_catalog.count(*) INTO run.total FROM @extschema@.session_summaries s WHERE s.snapshot_country IS NULL;
        all_rows := (SELECT c.reltuples FROM pg_catalog.pg_class c WHERE c.oid = sessions)::bigint;
        IF all_rows IS NULL OR all_rows <= 0 THEN
            SELECT pg_catalog.count(*) INTO all_rows FROM @extschema@.session_summaries s;
        END IF;
    END IF;
    run.done := 0;
    run.batches := 0;
    run.outcomes := '{}';
    run.restarts := 0;
    run.completion_from := '';
    run.completion_done := false;
    run.completion_walk := false;
    run.batch_size := batch_size;
    run := @extschema@.cowrie_backfill_run_walk(run);
    IF NOT retry_unenrichable AND run.total * 20 < all_rows THEN
        -- None or a few sessions in a large table (a scheduled run): one
        -- range, in which the index on snapshot_country can find them (also
        -- when a rewrite makes the run walk again). None: only the completion runs.
        run.range_blocks := ((run.run_end::text)::point)[0]::bigint + 1;
        IF run.total = 0 THEN
            run.watermark := run.run_end;
        END IF;
    ELSE
        run.range_blocks := @extschema@.cowrie_backfill_range_blocks(run, all_rows);
    END IF;
    RETURN run;
END
$fn$;
COMMENT ON FUNCTION @extschema@.cowrie_backfill_run_start(integer, boolean) IS
'Backfill internals: a new backfill run; checks its arguments, counts the sessions it may examine (an upper bound with retry) and sizes its ranges';

-- A little under batch_size rows per range: a range rarely overflows its
-- batch, whose leftover rows the next batch would read (and parse) again.
CREATE OR REPLACE FUNCTION @extschema@.cowrie_backfill_range_blocks(run @extschema@.cowrie_backfill_run, all_rows bigint)
RETURNS bigint
LANGUAGE sql IMMUTABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
-- A standard SQL body is parsed under the script's search_path: operators named.
RETURN GREATEST(1::pg_catalog.int8,
                pg_catalog.floor((0.95::pg_catalog.float8 OPERATOR(pg_catalog.*) run.batch_size::pg_catalog.float8
                                  OPERATOR(pg_catalog.*) ((run.run_end::pg_catalog.text)::pg_catalog.point)[0])
                                 OPERATOR(pg_catalog./) GREATEST(all_rows, 1::pg_catalog.int8)::pg_catalog.float8)::pg_catalog.int8);
COMMENT ON FUNCTION @extschema@.cowrie_backfill_range_blocks(@extschema@.cowrie_backfill_run, bigint) IS
'Backfill internals: heap blocks per range that hold a little under batch_size of all_rows rows';

-- After a first completion batch that leaves more to do: are the sessions to
-- complete so many (one in 20 of the table or more) that reading the heap in
-- order is cheaper than probing each IP's sessions? Upstream's road, where
-- nearly every session lacks its type, is; a scheduled run is not. Estimated
-- from the pages of about 3,000 sessions (a small table whole), not from the
-- first batch, whose IPs come first in text order and need not resemble the
-- rest (CHANGELOG: a 1.68M-session run that chose wrong).
CREATE OR REPLACE FUNCTION @extschema@.cowrie_backfill_run_choose_completion(run @extschema@.cowrie_backfill_run)
RETURNS @extschema@.cowrie_backfill_run
LANGUAGE plpgsql VOLATILE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
    all_rows bigint := (SELECT c.reltuples FROM pg_catalog.pg_class c
                        WHERE c.oid = '@extschema@.session_summaries'::regclass)::bigint;
    sampled bigint;
    to_complete bigint;
BEGIN
    IF all_rows IS NULL OR all_rows <= 0 THEN
        SELECT pg_catalog.count(*) INTO all_rows FROM @extschema@.session_summaries s;
    END IF;
    -- REPEATABLE: the same table gives the same choice.
    SELECT pg_catalog.count(*),
           pg_catalog.count(*) FILTER (WHERE (s.snapshot_ip_type IS NULL AND d.snapshot_ip_type IS NOT NULL)
                                          OR (s.snapshot_asn IS NULL AND d.snapshot_asn IS NOT NULL))
      INTO sampled, to_complete
    FROM @extschema@.session_summaries s TABLESAMPLE SYSTEM (LEAST(100.0, 300000.0 / GREATEST(all_rows, 1))) REPEATABLE (0)
    -- As the completion decides: canonical inventory keys, sessions with a country.
    -- The OFFSET 0 fence keeps an index probe per sampled session: without it
    -- the planner decided the whole inventory into a hash.
    LEFT JOIN LATERAL (
        SELECT snap.snapshot_asn, snap.snapshot_ip_type
        FROM @extschema@.ip_inventory i
        CROSS JOIN LATERAL @extschema@.cowrie_session_snapshot(i.ip_address::text, true, i.current_asn::int4,
            i.geo_country::text, i.ip_types::text[], i.enrichment::jsonb, @extschema@.cowrie_utc(i.enrichment_updated_at)) snap
        WHERE i.ip_address = s.source_ip AND s.snapshot_country IS NOT NULL
          -- decided only where the inventory row has what the session lacks
          AND ((s.snapshot_ip_type IS NULL AND pg_catalog.cardinality(i.ip_types::text[]) > 0)
               OR (s.snapshot_asn IS NULL AND i.current_asn > 0))
          AND @extschema@.cowrie_normalize_ip(i.ip_address::text) = i.ip_address::text
        OFFSET 0) d ON true;
    IF to_complete > 0 AND 20 * to_complete >= sampled THEN
        run.completion_walk := true;
        run.completion_done := true;
        run := @extschema@.cowrie_backfill_run_walk(run);
        run.range_blocks := @extschema@.cowrie_backfill_range_blocks(run, all_rows);
        RAISE NOTICE 'cowrie_backfill: many sessions lack a type or an ASN their inventory row has; completing them in heap order'
            USING DETAIL = pg_catalog.format('About %s of %s sessions, estimated from a sample of %s.',
                pg_catalog.round(1.0 * to_complete * all_rows / sampled), all_rows, sampled);
    END IF;
    RETURN run;
END
$fn$;
COMMENT ON FUNCTION @extschema@.cowrie_backfill_run_choose_completion(@extschema@.cowrie_backfill_run) IS
'Backfill internals: after a first completion batch that leaves more to do, switches the completion to a walk in heap order when a sample says many sessions are to complete';

-- A walk over the heap as it is now: from the start to its current end.
CREATE OR REPLACE FUNCTION @extschema@.cowrie_backfill_run_walk(run @extschema@.cowrie_backfill_run)
RETURNS @extschema@.cowrie_backfill_run
LANGUAGE plpgsql STABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
    sessions regclass := '@extschema@.session_summaries'::regclass;
BEGIN
    run.watermark := '(0,0)';
    run.run_end := pg_catalog.format('(%s,0)',
        pg_catalog.pg_relation_size(sessions) / pg_catalog.current_setting('block_size')::bigint)::tid;
    run.filenode := pg_catalog.pg_relation_filenode(sessions);
    RETURN run;
END
$fn$;
COMMENT ON FUNCTION @extschema@.cowrie_backfill_run_walk(@extschema@.cowrie_backfill_run) IS
'Backfill internals: (re)starts a backfill run''s walk at the first heap block, up to the current end of session_summaries';

-- The progress line's numbers, for the NOTICEs and the closing WARNING.
CREATE OR REPLACE FUNCTION @extschema@.cowrie_backfill_run_detail(run @extschema@.cowrie_backfill_run, final boolean) RETURNS text
LANGUAGE plpgsql VOLATILE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
    seconds numeric := GREATEST(EXTRACT(epoch FROM pg_catalog.clock_timestamp() - run.started), 0.001);
    rate numeric := run.done / seconds;
BEGIN
    RETURN pg_catalog.format('%s %% in %s s, %s sessions/s%s; outcomes: %s',
        CASE WHEN run.total > 0 THEN pg_catalog.round(100.0 * run.done / run.total, 1) ELSE 100 END,
        pg_catalog.round(seconds, 1), pg_catalog.round(rate),
        CASE WHEN NOT final AND rate > 0 THEN pg_catalog.format(', ETA %s s', pg_catalog.round(GREATEST(run.total - run.done, 0) / rate)) ELSE '' END,
        run.outcomes);
END
$fn$;
COMMENT ON FUNCTION @extschema@.cowrie_backfill_run_detail(@extschema@.cowrie_backfill_run, boolean) IS 'Backfill internals: backfill progress numbers';

CREATE OR REPLACE FUNCTION @extschema@.cowrie_backfill_run_notice(run @extschema@.cowrie_backfill_run, final boolean) RETURNS void
LANGUAGE plpgsql VOLATILE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $fn$
BEGIN
    RAISE NOTICE 'cowrie_backfill: %/% sessions%', run.done, run.total, CASE WHEN final THEN ', done' ELSE '' END
        USING DETAIL = @extschema@.cowrie_backfill_run_detail(run, final);
END
$fn$;
COMMENT ON FUNCTION @extschema@.cowrie_backfill_run_notice(@extschema@.cowrie_backfill_run, boolean) IS 'Backfill internals: backfill progress NOTICE';

-- Is there a batch left to take?
CREATE OR REPLACE FUNCTION @extschema@.cowrie_backfill_run_more(run @extschema@.cowrie_backfill_run, max_batches integer) RETURNS boolean
LANGUAGE sql IMMUTABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
RETURN (run.watermark < run.run_end OR NOT run.completion_done) AND (max_batches IS NULL OR run.batches < max_batches);
COMMENT ON FUNCTION @extschema@.cowrie_backfill_run_more(@extschema@.cowrie_backfill_run, integer) IS
'Backfill internals: has a backfill run heap left to read or sessions left to complete, and batches left to take';

-- The next batch of the run: the walk, then the completion.
CREATE OR REPLACE FUNCTION @extschema@.cowrie_backfill_run_batch(run @extschema@.cowrie_backfill_run, batch_size integer,
                                                              dry_run boolean, retry_unenrichable boolean)
RETURNS @extschema@.cowrie_backfill_batch
LANGUAGE sql VOLATILE PARALLEL UNSAFE
SET search_path = pg_catalog, pg_temp
RETURN CASE WHEN run.watermark < run.run_end AND run.completion_walk
            THEN @extschema@.cowrie_backfill_completion_walk_step(batch_size, run.watermark, run.range_blocks, run.run_end,
                                                                 run.completion_from, dry_run)
            WHEN run.watermark < run.run_end
            THEN @extschema@.cowrie_backfill_step(batch_size, run.watermark, run.range_blocks, run.run_end, dry_run, retry_unenrichable)
            ELSE @extschema@.cowrie_backfill_completion_step(batch_size, run.completion_from, dry_run) END;
COMMENT ON FUNCTION @extschema@.cowrie_backfill_run_batch(@extschema@.cowrie_backfill_run, integer, boolean, boolean) IS
'Backfill internals: the next batch of a backfill run (the walk, then the completion)';

-- The same, as a step of cowrie_as_owner.
CREATE OR REPLACE FUNCTION @extschema@.cowrie_backfill_run_batch_step(args jsonb) RETURNS jsonb
LANGUAGE sql VOLATILE PARALLEL UNSAFE
SET search_path = pg_catalog, pg_temp
RETURN pg_catalog.to_jsonb(@extschema@.cowrie_backfill_run_batch(
           pg_catalog.jsonb_populate_record(NULL::@extschema@.cowrie_backfill_run, args OPERATOR(pg_catalog.->) 'run'::pg_catalog.text),
           (args OPERATOR(pg_catalog.->>) 'batch_size'::pg_catalog.text)::pg_catalog.int4,
           (args OPERATOR(pg_catalog.->>) 'dry_run'::pg_catalog.text)::pg_catalog.bool,
           (args OPERATOR(pg_catalog.->>) 'retry_unenrichable'::pg_catalog.text)::pg_catalog.bool));
COMMENT ON FUNCTION @extschema@.cowrie_backfill_run_batch_step(jsonb) IS
'Internal: cowrie_backfill_run_batch with its arguments and result as jsonb, for cowrie_as_owner';

-- A batch that writes runs as the owner of session_summaries, restricted
-- (cowrie_as_owner), when its caller holds the owner's privileges without
-- being the owner (a superuser, pg_cron, a member role): the owner's
-- triggers, generated columns and index expressions never run as such a
-- caller. The owner itself, any other role (under its own rights and
-- row-level security) and a dry run (it only reads) need no switch.
CREATE OR REPLACE FUNCTION @extschema@.cowrie_backfill_run_step(run @extschema@.cowrie_backfill_run, batch_size integer,
                                                             dry_run boolean, retry_unenrichable boolean)
RETURNS @extschema@.cowrie_backfill_batch
LANGUAGE plpgsql VOLATILE PARALLEL UNSAFE
SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
    owner oid := (SELECT c.relowner FROM pg_catalog.pg_class c
                  WHERE c.oid OPERATOR(pg_catalog.=) '@extschema@.session_summaries'::pg_catalog.regclass::pg_catalog.oid);
BEGIN
    IF dry_run OR owner OPERATOR(pg_catalog.=) (SELECT r.oid FROM pg_catalog.pg_roles r WHERE r.rolname OPERATOR(pg_catalog.=) CURRENT_USER)
       OR NOT pg_catalog.pg_has_role(owner, 'USAGE') THEN
        RETURN @extschema@.cowrie_backfill_run_batch(run, batch_size, dry_run, retry_unenrichable);
    END IF;
    IF NOT pg_catalog.has_function_privilege('@extschema@.cowrie_as_owner(pg_catalog.regclass, pg_catalog.regprocedure, pg_catalog.jsonb)'::pg_catalog.regprocedure, 'EXECUTE') THEN
        RAISE EXCEPTION 'cowrie_backfill: permission denied for function cowrie_as_owner'
            USING ERRCODE = 'insufficient_privilege',
                  DETAIL = pg_catalog.format('Role %s has the privileges of %s, the owner of session_summaries, so each batch runs as that role through cowrie_as_owner, which %s may not execute.',
                                             CURRENT_USER, pg_catalog.pg_get_userbyid(owner), CURRENT_USER),
                  HINT = 'GRANT EXECUTE ON FUNCTION cowrie_as_owner(regclass, regprocedure, jsonb) TO the owner of session_summaries (the migration does; a later ALTER TABLE ... OWNER TO does not).';
    END IF;
    RETURN pg_catalog.jsonb_populate_record(NULL::@extschema@.cowrie_backfill_batch,
        @extschema@.cowrie_as_owner('@extschema@.session_summaries'::pg_catalog.regclass,
            '@extschema@.cowrie_backfill_run_batch_step(pg_catalog.jsonb)'::pg_catalog.regprocedure,
            pg_catalog.jsonb_build_object('run', pg_catalog.to_jsonb(run), 'batch_size', batch_size,
                                          'dry_run', dry_run, 'retry_unenrichable', retry_unenrichable)));
END
$fn$;
COMMENT ON FUNCTION @extschema@.cowrie_backfill_run_step(@extschema@.cowrie_backfill_run, integer, boolean, boolean) IS
'Backfill internals: the next batch of a backfill run; for a caller with the privileges of the owner of session_summaries, one that writes runs as that owner (cowrie_as_owner)';

-- Adds a batch to the run (a batch that found nothing only moves the
-- watermark), reports about every 10 seconds, and starts the walk again when
-- session_summaries was rewritten (VACUUM FULL, CLUSTER, a rewriting ALTER
-- TABLE) between two batches: the rewrite moved rows behind the watermark.
CREATE OR REPLACE FUNCTION @extschema@.cowrie_backfill_run_add(run @extschema@.cowrie_backfill_run, batch @extschema@.cowrie_backfill_batch)
RETURNS @extschema@.cowrie_backfill_run
LANGUAGE plpgsql VOLATILE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
    first_completion boolean := batch.next_tid IS NULL AND run.completion_from = '';
BEGIN
    IF batch.next_tid IS NOT NULL THEN
        run.watermark := batch.next_tid;
    ELSE
        run.completion_from := batch.next_ip;
        run.completion_done := batch.next_ip IS NULL;
    END IF;
    IF batch.next_tid IS NULL OR run.completion_walk THEN
        -- A completion batch: its sessions were not in the count at the start.
        run.total := run.total + batch.selected;
    END IF;
    IF batch.selected > 0 THEN
        run.batches := run.batches + 1;
        run.done := run.done + batch.selected;
        run.outcomes := (SELECT COALESCE(pg_catalog.jsonb_object_agg(k, v), '{}') FROM (
            SELECT k, pg_catalog.sum(v::bigint) AS v
            FROM (SELECT * FROM pg_catalog.jsonb_each_text(run.outcomes)
                  UNION ALL SELECT * FROM pg_catalog.jsonb_each_text(batch.outcomes)) e(k, v)
            GROUP BY k) t);
    END IF;
    IF first_completion AND NOT run.completion_done THEN
        run := @extschema@.cowrie_backfill_run_choose_completion(run);
    END IF;
    -- Three walks again at most: a table rewritten over and over is left to the closing count.
    IF pg_catalog.pg_relation_filenode('@extschema@.session_summaries'::regclass) IS DISTINCT FROM run.filenode
       AND run.restarts < 3 THEN
        run.restarts := run.restarts + 1;
        RAISE NOTICE 'cowrie_backfill: session_summaries was rewritten during the run; reading it again from its first block'
            USING DETAIL = pg_catalog.format('A VACUUM FULL, CLUSTER or rewriting ALTER TABLE moved its rows (restart %s of at most 3).', run.restarts);
        run := @extschema@.cowrie_backfill_run_walk(run);
    END IF;
    IF batch.selected > 0 AND pg_catalog.clock_timestamp() - run.last_notice >= interval '10 seconds' THEN
        PERFORM @extschema@.cowrie_backfill_run_notice(run, false);
        run.last_notice := pg_catalog.clock_timestamp();
    END IF;
    RETURN run;
END
$fn$;
COMMENT ON FUNCTION @extschema@.cowrie_backfill_run_add(@extschema@.cowrie_backfill_run, @extschema@.cowrie_backfill_batch) IS
'Backfill internals: adds a batch to a backfill run';

-- The end of a run: "done" only when no session is left without a country
-- (the index on snapshot_country makes the count cheap); otherwise a WARNING
-- with the count. No ANALYZE: batches in heap order need no statistics,
-- autovacuum refreshes them, and sampling 30,000 wide rows would set the
-- run's memory peak (BENCHMARKS.md). Returns the sessions processed.
CREATE OR REPLACE FUNCTION @extschema@.cowrie_backfill_run_finish(run @extschema@.cowrie_backfill_run, dry_run boolean) RETURNS bigint
LANGUAGE plpgsql VOLATILE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
    left_over bigint;
BEGIN
    IF run.watermark < run.run_end OR NOT run.completion_done OR dry_run THEN
        -- max_batches ended the run early, or nothing was written: no leftover to count.
        PERFORM @extschema@.cowrie_backfill_run_notice(run, false);
        RETURN run.done;
    END IF;
    SELECT pg_catalog.count(*) INTO left_over FROM @extschema@.session_summaries s WHERE s.snapshot_country IS NULL;
    IF left_over = 0 THEN
        PERFORM @extschema@.cowrie_backfill_run_notice(run, true);
    ELSE
        RAISE WARNING 'cowrie_backfill: %/% sessions, % sessions left without a snapshot', run.done, run.total, left_over
            USING DETAIL = @extschema@.cowrie_backfill_run_detail(run, true),
                  HINT = 'They were locked by other transactions, written during the run, or moved by repeated table rewrites; run the backfill again.';
    END IF;
    RETURN run.done;
END
$fn$;
COMMENT ON FUNCTION @extschema@.cowrie_backfill_run_finish(@extschema@.cowrie_backfill_run, boolean) IS
'Backfill internals: ends a backfill run (final NOTICE, or a WARNING with the sessions left)';
