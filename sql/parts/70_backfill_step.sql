------------------------------------------------------------------------------
-- Backfill (upstream-cowrieprocessor.md §4.4, without C1-C13): keyset batches
-- in heap order, one set-based write per batch, every selected row leaves the
-- eligible set, so a run always ends.
--
-- Why heap order and not session_id order: session ids are random, so
-- batches by session_id touch every page of the table about once per row and
-- revisit it later, which at 1M sessions (table larger than shared_buffers)
-- reads and dirties each page several times (BENCHMARKS.md). A batch is the
-- next batch_size eligible rows after the watermark (a tid) within a range of
-- heap blocks holding about batch_size rows: a TID Range Scan, each page read
-- and written once per run, the total cost linear in the table.
------------------------------------------------------------------------------

-- install-only: begin (1.2 keeps the 1.0 type)
CREATE TYPE @extschema@.cowrie_backfill_batch AS (
    selected bigint,           -- sessions taken into the batch
    next_tid tid,              -- keyset watermark: the next batch starts after it
    outcomes jsonb             -- sessions per outcome
);
-- install-only: end
COMMENT ON TYPE @extschema@.cowrie_backfill_batch IS 'What one backfill batch did';

-- retry_unenrichable: would the snapshot rule now give an 'XX' session's IP a
-- country? (A private IP stays XX whatever the inventory says.)
CREATE OR REPLACE FUNCTION @extschema@.cowrie_retry_finds_country(ip text) RETURNS boolean
LANGUAGE plpgsql STABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $fn$
BEGIN
    RETURN EXISTS (
        SELECT FROM @extschema@.ip_inventory i
        WHERE i.ip_address::pg_catalog.text = ip
          AND (@extschema@.cowrie_session_snapshot(ip, true, i.current_asn::pg_catalog.int4, i.geo_country::pg_catalog.text,
                   i.ip_types::pg_catalog.text[], i.enrichment::pg_catalog.jsonb,
                   i.enrichment_updated_at::pg_catalog.timestamptz)).outcome = 'enriched');
END
$fn$;
COMMENT ON FUNCTION @extschema@.cowrie_retry_finds_country(text) IS
'Backfill internals: does the snapshot rule give this IP a country now (retry_unenrichable)';

CREATE OR REPLACE FUNCTION @extschema@.cowrie_backfill_step(
    batch_size integer, after tid, range_blocks bigint, run_end tid,
    dry_run boolean DEFAULT false, retry_unenrichable boolean DEFAULT false)
RETURNS @extschema@.cowrie_backfill_batch
LANGUAGE plpgsql VOLATILE PARALLEL UNSAFE
SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
    range_end tid := LEAST(pg_catalog.format('(%s,0)', ((after::text)::point)[0]::bigint + range_blocks)::tid, run_end);
    result @extschema@.cowrie_backfill_batch;
    last_tid tid;
BEGIN
    -- One statement: pick the batch (rows the loader holds are skipped and
    -- picked up by a later run), find each IP, write the snapshots. ORDER BY
    -- ctid keeps the watermark right whatever plan is chosen. Dynamic for the
    -- raw events (the table may be missing) and the row locks (none in a dry run).
    EXECUTE pg_catalog.format($q$
        WITH b AS MATERIALIZED (
            SELECT s.ctid AS tid, s.session_id,
                   @extschema@.cowrie_session_ip(s.source_ip::pg_catalog.text, s.enrichment) AS ip
            FROM @extschema@.session_summaries s
            WHERE s.ctid > $2 AND s.ctid < $3
              AND (s.snapshot_country IS NULL OR ($1 AND s.snapshot_country::pg_catalog.text = 'XX'
                   AND @extschema@.cowrie_retry_finds_country(@extschema@.cowrie_session_ip(s.source_ip::pg_catalog.text, s.enrichment))))
            ORDER BY s.ctid
            LIMIT $4
            %s),
        need_raw_ip AS (SELECT b.session_id::pg_catalog.text AS session_id FROM b WHERE b.ip IS NULL),
        w AS MATERIALIZED (
            SELECT b.session_id, COALESCE(b.ip, r.ip) AS ip, b.tid
            FROM b LEFT JOIN (%s) r ON r.session_id = b.session_id::pg_catalog.text)$q$,
        CASE WHEN dry_run THEN '' ELSE 'FOR NO KEY UPDATE OF s SKIP LOCKED' END,
        @extschema@.cowrie_raw_event_ips_sql())
        || @extschema@.cowrie_snapshot_writer_sql(true, dry_run)
        INTO result.selected, last_tid, result.outcomes
        USING retry_unenrichable, after, range_end, batch_size;
    -- A short batch exhausted its range. A full one ends at its last row; a row
    -- a concurrent update moved out of the range does not move the watermark.
    result.next_tid := CASE WHEN result.selected < batch_size THEN range_end
                            ELSE GREATEST(after, LEAST(last_tid, range_end)) END;
    RETURN result;
END
$fn$;
COMMENT ON FUNCTION @extschema@.cowrie_backfill_step(integer, tid, bigint, tid, boolean, boolean) IS
'Backfill internals: one backfill batch, the next batch_size eligible sessions after the watermark within range_blocks heap blocks, written in one statement';
