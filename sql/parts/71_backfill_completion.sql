------------------------------------------------------------------------------
-- The backfill's completion, after the walk: sessions that have a country but
-- lack a type or an ASN that their IP's inventory row has now (an IP SPUR
-- enriched later; upstream's sessions, stamped with a country only). They are
-- found from the inventory's side through two partial indexes of
-- session_summaries (source_ip WHERE snapshot_ip_type IS NULL, and WHERE
-- snapshot_asn IS NULL), so with nothing to complete a run costs an index
-- probe or two per inventory row, not a read of the sessions.
--
-- A batch reads the next inventory rows after the watermark in ip_address
-- order (a bounded index range, 50 times batch_size rows), keeps at most
-- batch_size IPs the rule gives a value their sessions lack, and takes the
-- sessions of the first of those IPs up to batch_size sessions, whole IPs
-- only (one IP with more sessions is a larger batch). The watermark moves
-- past every IP it read, so a run ends; each session taken is written.
--
-- When they are many (upstream's road: nearly every session lacks its type),
-- the run reads the heap in order instead, as the walk does: probing each
-- IP's sessions would visit their pages in random order, once per IP
-- (cowrie_backfill_run_choose_completion decides).
------------------------------------------------------------------------------

-- Locks the sessions at these tids and completes them. A session the loader
-- holds is left to the next run (a dry run locks nothing). The writer decides
-- with the source_ip the row has when locked.
CREATE OR REPLACE FUNCTION @extschema@.cowrie_backfill_complete(tids tid[], dry_run boolean)
RETURNS @extschema@.cowrie_backfill_batch
LANGUAGE plpgsql VOLATILE PARALLEL UNSAFE
SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
    result @extschema@.cowrie_backfill_batch;
    last_tid tid;
    outcomes jsonb;
    written bigint;
BEGIN
    result.selected := 0;
    result.outcomes := '{}';
    IF tids IS NOT NULL THEN
        EXECUTE pg_catalog.format($q$
            WITH w AS MATERIALIZED (
                SELECT s.session_id, s.source_ip::pg_catalog.text AS ip, s.ctid AS tid
                FROM pg_catalog.unnest($2) u(tid)
                JOIN @extschema@.session_summaries s ON s.ctid = u.tid
                WHERE s.snapshot_country IS NOT NULL
                %s)$q$, CASE WHEN dry_run THEN '' ELSE 'FOR NO KEY UPDATE OF s SKIP LOCKED' END)
            || @extschema@.cowrie_snapshot_writer_sql(true, dry_run)
            INTO result.selected, last_tid, outcomes, written
            USING false, tids;
        -- One outcome of its own in the run's counts.
        IF result.selected > 0 THEN
            result.outcomes := pg_catalog.jsonb_build_object('completed', result.selected);
        END IF;
    END IF;
    RETURN result;
END
$fn$;
COMMENT ON FUNCTION @extschema@.cowrie_backfill_complete(tid[], boolean) IS
'Backfill internals: locks the sessions at these tids and gives them the type or ASN the rule now has';

-- Planned for each call's arguments: from the sixth call of a session on,
-- PL/pgSQL may keep a generic plan, and the generic plan of this statement
-- (unknown LIMITs) loops over the whole chunk, with its probes, for every
-- inventory row (a run at 1.68M sessions went on for over ten minutes).
CREATE OR REPLACE FUNCTION @extschema@.cowrie_backfill_completion_step(batch_size integer, after text, dry_run boolean)
RETURNS @extschema@.cowrie_backfill_batch
LANGUAGE plpgsql VOLATILE PARALLEL UNSAFE
SET search_path = pg_catalog, pg_temp
SET plan_cache_mode = force_custom_plan
AS $fn$
DECLARE
    tids tid[];
    next_ip text;
    result @extschema@.cowrie_backfill_batch;
BEGIN
    -- Which sessions, and where the next batch starts. Only canonical
    -- inventory keys: the writer's IP for such a session is its source_ip,
    -- so it decides with the same row.
    WITH chunk AS MATERIALIZED (
        -- Only what the probes need: the documents stay where they are.
        SELECT i.ip_address, pg_catalog.cardinality(i.ip_types::text[]) > 0 AS has_types, i.current_asn > 0 AS has_asn
        FROM @extschema@.ip_inventory i
        WHERE i.ip_address::text > after
        ORDER BY i.ip_address
        LIMIT 50 * batch_size),
    candidate AS MATERIALIZED (
        SELECT c.ip_address, c.ip_address::text AS ip, snap.snapshot_asn, snap.snapshot_ip_type
        FROM chunk c
        JOIN @extschema@.ip_inventory i ON i.ip_address = c.ip_address
        CROSS JOIN LATERAL @extschema@.cowrie_session_snapshot(i.ip_address::text, true, i.current_asn::int4,
            i.geo_country::text, i.ip_types::text[], i.enrichment::jsonb, @extschema@.cowrie_utc(i.enrichment_updated_at)) snap
        WHERE ((c.has_types AND EXISTS (SELECT FROM @extschema@.session_summaries p
                                        WHERE p.source_ip = c.ip_address AND p.snapshot_ip_type IS NULL))
            OR (c.has_asn AND EXISTS (SELECT FROM @extschema@.session_summaries p
                                      WHERE p.source_ip = c.ip_address AND p.snapshot_asn IS NULL)))
          AND @extschema@.cowrie_normalize_ip(c.ip_address::text) = c.ip_address::text
          AND (snap.snapshot_ip_type IS NOT NULL OR snap.snapshot_asn IS NOT NULL)
        ORDER BY c.ip_address
        LIMIT batch_size),
    -- The fence keeps each IP's probe on its source_ip index: with the
    -- completion's conditions in reach, plans that scan a whole partial
    -- index per IP were chosen.
    pending AS MATERIALIZED (
        SELECT s.tid, c.ip
        FROM candidate c
        CROSS JOIN LATERAL (SELECT s0.ctid AS tid, s0.snapshot_country, s0.snapshot_ip_type, s0.snapshot_asn
                            FROM @extschema@.session_summaries s0 WHERE s0.source_ip = c.ip_address OFFSET 0) s
        WHERE s.snapshot_country IS NOT NULL   -- the walk's sessions are not the completion's
          AND ((s.snapshot_ip_type IS NULL AND c.snapshot_ip_type IS NOT NULL)
               OR (s.snapshot_asn IS NULL AND c.snapshot_asn IS NOT NULL))),
    -- Whole IPs in order while the sessions before them are fewer than
    -- batch_size; an IP with none (only sessions without a country) passes.
    taken_ips AS MATERIALIZED (
        SELECT x.ip FROM (
            SELECT c.ip, sum(COALESCE(n.n, 0)) OVER (ORDER BY c.ip_address) - COALESCE(n.n, 0) AS before
            FROM candidate c
            LEFT JOIN (SELECT p.ip, count(*) AS n FROM pending p GROUP BY p.ip) n ON n.ip = c.ip) x
        WHERE x.before < batch_size)
    SELECT array_agg(p.tid),
           -- The next batch starts after the last IP taken when some were
           -- left or the candidates were cut, after the chunk when it was full.
           CASE WHEN (SELECT count(*) FROM candidate) > (SELECT count(*) FROM taken_ips)
                     OR (SELECT count(*) FROM candidate) = batch_size
                THEN (SELECT max(t.ip) FROM taken_ips t)
                WHEN (SELECT count(*) FROM chunk) = 50 * batch_size THEN (SELECT max(c.ip_address::text) FROM chunk c)
           END
      INTO tids, next_ip
    FROM pending p WHERE p.ip IN (SELECT t.ip FROM taken_ips t);
    result := @extschema@.cowrie_backfill_complete(tids, dry_run);
    result.next_ip := next_ip;   -- NULL: the completion is over
    RETURN result;
END
$fn$;
COMMENT ON FUNCTION @extschema@.cowrie_backfill_completion_step(integer, text, boolean) IS
'Backfill internals: one completion batch, the sessions of the next IPs after the watermark on whose NULL type or ASN the rule now gives a value';

-- The completion in heap order: within the next range of heap blocks, the
-- sessions with a country that lack a type or an ASN, each distinct IP
-- decided once; only those the rule gives a value are locked and written.
-- Their canonical source_ip is their IP, so no document is read. IPs up to
-- after_ip were completed by the batch by IP that preceded the walk.
CREATE OR REPLACE FUNCTION @extschema@.cowrie_backfill_completion_walk_step(
    batch_size integer, after tid, range_blocks bigint, run_end tid, after_ip text, dry_run boolean)
RETURNS @extschema@.cowrie_backfill_batch
LANGUAGE plpgsql VOLATILE PARALLEL UNSAFE
SET search_path = pg_catalog, pg_temp
SET plan_cache_mode = force_custom_plan   -- as cowrie_backfill_completion_step
AS $fn$
DECLARE
    range_end tid := LEAST(pg_catalog.format('(%s,0)', ((after::text)::point)[0]::bigint + range_blocks)::tid, run_end);
    tids tid[];
    examined bigint;
    last_tid tid;
    result @extschema@.cowrie_backfill_batch;
BEGIN
    WITH b AS MATERIALIZED (
        SELECT s.ctid AS tid, s.source_ip::text AS ip, s.snapshot_ip_type IS NULL AS no_type, s.snapshot_asn IS NULL AS no_asn
        FROM @extschema@.session_summaries s
        WHERE s.ctid > after AND s.ctid < range_end
          AND s.snapshot_country IS NOT NULL AND s.source_ip::text > after_ip
          AND (s.snapshot_ip_type IS NULL OR s.snapshot_asn IS NULL)
        ORDER BY s.ctid
        LIMIT batch_size),
    d AS MATERIALIZED (
        SELECT u.ip, snap.snapshot_asn, snap.snapshot_ip_type
        FROM (SELECT DISTINCT b.ip FROM b) u
        CROSS JOIN LATERAL (SELECT * FROM @extschema@.ip_inventory i0 WHERE i0.ip_address::text = u.ip OFFSET 0) i
        CROSS JOIN LATERAL @extschema@.cowrie_session_snapshot(u.ip, true, i.current_asn::int4,
            i.geo_country::text, i.ip_types::text[], i.enrichment::jsonb, @extschema@.cowrie_utc(i.enrichment_updated_at)) snap
        WHERE @extschema@.cowrie_normalize_ip(u.ip) = u.ip)
    SELECT array_agg(b.tid) FILTER (WHERE (b.no_type AND d.snapshot_ip_type IS NOT NULL) OR (b.no_asn AND d.snapshot_asn IS NOT NULL)),
           count(*), max(b.tid)
      INTO tids, examined, last_tid
    FROM b LEFT JOIN d ON d.ip = b.ip;
    result := @extschema@.cowrie_backfill_complete(tids, dry_run);
    -- As the walk's: a short batch exhausted its range, a full one ends at its last row.
    result.next_tid := CASE WHEN examined < batch_size THEN range_end ELSE GREATEST(after, LEAST(last_tid, range_end)) END;
    RETURN result;
END
$fn$;
COMMENT ON FUNCTION @extschema@.cowrie_backfill_completion_walk_step(integer, tid, bigint, tid, text, boolean) IS
'Backfill internals: one completion batch in heap order, the sessions of the next range of heap blocks on whose NULL type or ASN the rule now gives a value';
