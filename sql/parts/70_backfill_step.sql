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

-- install-only: begin (the update adds next_ip with ALTER TYPE)
CREATE TYPE @extschema@.cowrie_backfill_batch AS (
    selected bigint,           -- sessions taken into the batch
    next_tid tid,              -- keyset watermark: the next batch starts after it (NULL: a completion batch)
    outcomes jsonb,            -- sessions per outcome
    next_ip text               -- a completion batch: the next one starts at this IP (NULL: the completion is over)
);
-- install-only: end
COMMENT ON TYPE @extschema@.cowrie_backfill_batch IS 'What one backfill batch did';

-- retry_unenrichable: can the snapshot rule now add to a decided session? An
-- 'XX' that gets a country, or a NULL ASN, type or source_ip it now has (the
-- type of an IP that SPUR enriched later), or a source_ip that is not the
-- canonical IP. The IP comes from the documents, else the raw events. A
-- private IP stays XX whatever the inventory says. Only what the writer will
-- change counts, so repeated retry runs reach 0.
CREATE OR REPLACE FUNCTION @extschema@.cowrie_retry_can_add(ip text, session_id text, snapshot_country text, snapshot_asn integer,
                                                          snapshot_ip_type text, source_ip text)
RETURNS boolean
LANGUAGE plpgsql STABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
    snap @extschema@.cowrie_snapshot;
BEGIN
    IF ip IS NULL THEN
        -- The documents name no IP: the raw events may. Without one, a
        -- source_ip here is not an IP, which the writer clears.
        EXECUTE 'WITH need_raw_ip AS (SELECT $1 AS session_id) SELECT r.ip FROM ('
            || @extschema@.cowrie_raw_event_ips_sql() || ') r'
            INTO ip USING session_id;
        IF ip IS NULL THEN
            RETURN source_ip IS NOT NULL;
        END IF;
    END IF;
    SELECT (@extschema@.cowrie_session_snapshot(ip, true, i.current_asn::pg_catalog.int4, i.geo_country::pg_catalog.text,
                i.ip_types::pg_catalog.text[], i.enrichment::pg_catalog.jsonb,
                @extschema@.cowrie_utc(i.enrichment_updated_at))).*
      INTO snap
    FROM @extschema@.ip_inventory i WHERE i.ip_address::pg_catalog.text = ip;
    IF NOT FOUND THEN
        -- Nothing to decide with; a source_ip that is not an IP is still cleared.
        RETURN source_ip IS NOT NULL AND @extschema@.cowrie_normalize_ip(source_ip) IS NULL;
    END IF;
    RETURN (snapshot_country = 'XX' AND snap.outcome = 'enriched')
        OR @extschema@.cowrie_snapshot_adds(snap, snapshot_asn, snapshot_ip_type)
        OR source_ip IS DISTINCT FROM ip;
END
$fn$;
COMMENT ON FUNCTION @extschema@.cowrie_retry_can_add(text, text, text, integer, text, text) IS
'Backfill internals: can the snapshot rule now add to this decided session (retry_unenrichable)';

-- Does a snapshot the rule gives now add an ASN or a type to a session that
-- has none?
CREATE OR REPLACE FUNCTION @extschema@.cowrie_snapshot_adds(snap @extschema@.cowrie_snapshot, snapshot_asn integer,
                                                          snapshot_ip_type text)
RETURNS boolean
LANGUAGE sql IMMUTABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
RETURN (snapshot_asn IS NULL AND (snap).snapshot_asn IS NOT NULL)
    OR (snapshot_ip_type IS NULL AND (snap).snapshot_ip_type IS NOT NULL);
COMMENT ON FUNCTION @extschema@.cowrie_snapshot_adds(@extschema@.cowrie_snapshot, integer, text) IS
'Backfill internals: does this snapshot add an ASN or a type to a session that has none';

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
    written bigint;
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
              AND (s.snapshot_country IS NULL
                   OR ($1 AND (s.snapshot_country::pg_catalog.text = 'XX' OR s.snapshot_asn IS NULL
                               OR s.snapshot_ip_type IS NULL OR s.source_ip IS NULL
                               OR @extschema@.cowrie_normalize_ip(s.source_ip::pg_catalog.text) IS DISTINCT FROM s.source_ip::pg_catalog.text)
                       AND @extschema@.cowrie_retry_can_add(
                               @extschema@.cowrie_session_ip(s.source_ip::pg_catalog.text, s.enrichment),
                               s.session_id::pg_catalog.text, s.snapshot_country::pg_catalog.text, s.snapshot_asn::pg_catalog.int4, s.snapshot_ip_type::pg_catalog.text,
                               s.source_ip::pg_catalog.text)))
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
        INTO result.selected, last_tid, result.outcomes, written
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
