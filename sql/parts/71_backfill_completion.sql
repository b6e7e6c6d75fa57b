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
------------------------------------------------------------------------------

CREATE OR REPLACE FUNCTION @extschema@.cowrie_backfill_completion_step(batch_size integer, after text, dry_run boolean)
RETURNS @extschema@.cowrie_backfill_batch
LANGUAGE plpgsql VOLATILE PARALLEL UNSAFE
SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
    tids tid[];
    next_ip text;
    result @extschema@.cowrie_backfill_batch;
    last_tid tid;
    outcomes jsonb;
    written bigint;
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
            i.geo_country::text, i.ip_types::text[], i.enrichment::jsonb, i.enrichment_updated_at::timestamptz) snap
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
    result.selected := 0;
    result.outcomes := '{}';
    IF tids IS NOT NULL THEN
        -- Locked now (a dry run locks nothing); a session the loader holds is
        -- left to the next run. The writer decides with the source_ip the row
        -- has when locked.
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
    result.next_ip := next_ip;   -- NULL: the completion is over
    RETURN result;
END
$fn$;
COMMENT ON FUNCTION @extschema@.cowrie_backfill_completion_step(integer, text, boolean) IS
'Backfill internals: one completion batch, the sessions of the next IPs after the watermark on whose NULL type or ASN the rule now gives a value';
