------------------------------------------------------------------------------
-- The backfill's walk (upstream-cowrieprocessor.md §4.4, without C1-C13): each
-- heap of session_summaries (the table, or each leaf partition) in keyset
-- batches in heap order, one set-based write per batch; every row a batch
-- takes leaves the eligible set or its range, so a run always ends.
--
-- Why heap order and not session_id order: session ids are random, so
-- batches by session_id touch every page of the table about once per row and
-- revisit it later, which at 1M sessions (table larger than shared_buffers)
-- reads and dirties each page several times (BENCHMARKS.md). A batch is the
-- next batch_size eligible rows after the watermark (a tid) within a range of
-- heap blocks holding about batch_size rows: a TID Range Scan, each page read
-- and written once per run, the total cost linear in the table. A tid means
-- something only within its heap, so each heap is walked on its own.
--
-- Eligible: an ordinary run takes the sessions without a country that are not
-- pending; a wide one (retry_unenrichable, or the repair of upstream's state
-- queued as '*') every session the rule may still add to, and writes only
-- those it changes.
------------------------------------------------------------------------------

CREATE OR REPLACE FUNCTION @extschema@.cowrie_backfill_walk_step(heap regclass, after tid, range_end tid, batch_size integer,
                                                               wide boolean, dry_run boolean,
                                                               OUT examined bigint, OUT written bigint, OUT skipped bigint,
                                                               OUT outcomes jsonb, OUT next_tid tid)
LANGUAGE plpgsql VOLATILE PARALLEL UNSAFE
SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
    tids tid[];
    session_ids text[];
    ips text[];
    picked bigint;
    last_tid tid;
BEGIN
    -- The batch: ORDER BY ctid keeps the watermark right whatever plan is
    -- chosen. Dynamic only for the heap's name; $4 is folded into the plan.
    EXECUTE pg_catalog.format($q$
        SELECT pg_catalog.array_agg(b.tid ORDER BY b.tid), pg_catalog.array_agg(b.session_id ORDER BY b.tid),
               pg_catalog.array_agg(b.ip ORDER BY b.tid), pg_catalog.count(*), pg_catalog.max(b.tid)
        FROM (SELECT s.ctid AS tid, s.session_id::pg_catalog.text AS session_id,
                     @extschema@.cowrie_session_ip(s.source_ip::pg_catalog.text, s.enrichment) AS ip
              FROM %1$s s
              WHERE s.tableoid = $5 AND s.ctid > $1 AND s.ctid < $2
                AND ((NOT $4 AND s.snapshot_country IS NULL
                      AND NOT EXISTS (SELECT FROM @extschema@.cowrie_pending_sessions p
                                      WHERE p.session_id = s.session_id::pg_catalog.text))
                     OR ($4 AND (s.snapshot_country IS NULL OR s.snapshot_country::pg_catalog.text = 'XX'
                                 OR s.snapshot_asn IS NULL OR s.snapshot_ip_type IS NULL
                                 OR s.source_ip IS NULL OR s.enrichment_at IS NULL
                                 OR @extschema@.cowrie_normalize_ip(s.source_ip::pg_catalog.text)
                                    IS DISTINCT FROM s.source_ip::pg_catalog.text)))
              ORDER BY s.ctid
              LIMIT $3) b$q$, @extschema@.cowrie_heap_target(heap, dry_run))
        INTO tids, session_ids, ips, picked, last_tid
        USING after, range_end, batch_size, wide, heap::oid;
    IF picked > 0 THEN
        SELECT x.examined, x.written, x.skipped, x.outcomes INTO examined, written, skipped, outcomes
        FROM @extschema@.cowrie_write_snapshots(heap, tids, @extschema@.cowrie_batch_ips(session_ids, ips), dry_run, true) x;
    ELSE
        examined := 0;
        written := 0;
        skipped := 0;
        outcomes := '{}';
    END IF;
    -- A short batch exhausted its range. A full one ends at its last row; a row
    -- a concurrent update moved out of the range does not move the watermark.
    next_tid := CASE WHEN picked < batch_size THEN range_end ELSE GREATEST(after, LEAST(last_tid, range_end)) END;
END
$fn$;
COMMENT ON FUNCTION @extschema@.cowrie_backfill_walk_step(regclass, tid, tid, integer, boolean, boolean) IS
'Backfill internals: one batch of the walk of one heap of session_summaries, the next batch_size eligible sessions after the watermark and before range_end, written in one statement';
