------------------------------------------------------------------------------
-- The backfill's completion, after the walk: sessions that have a country but
-- lack a type or an ASN that their IP's inventory row has now (an IP SPUR
-- enriched later; upstream's sessions, stamped with a country only). They are
-- found from the inventory's side through two partial indexes of
-- session_summaries (source_ip WHERE snapshot_ip_type IS NULL, and WHERE
-- snapshot_asn IS NULL), so with nothing to complete a run costs an index
-- probe or two per inventory row that has types or an ASN, not a read of the
-- sessions. Batches follow ip_address. The rule is asked first and a session
-- is taken only where it adds a value, so every session taken is written,
-- leaves the set, and the phase ends.
------------------------------------------------------------------------------

CREATE OR REPLACE FUNCTION @extschema@.cowrie_backfill_completion_step(batch_size integer, after text, dry_run boolean)
RETURNS @extschema@.cowrie_backfill_batch
LANGUAGE plpgsql VOLATILE PARALLEL UNSAFE
SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
    tids tid[];
    session_ids text[];
    ips text[];
    result @extschema@.cowrie_backfill_batch;
    last_tid tid;
    outcomes jsonb;
    written bigint;
BEGIN
    -- The batch, locked (a dry run locks nothing and takes every candidate in
    -- one batch: without writes, a keyset by IP would take them again). Only
    -- canonical inventory keys: the writer's IP for such a session is its
    -- source_ip, so it decides with the same row.
    EXECUTE pg_catalog.format($q$
        SELECT pg_catalog.array_agg(b.tid), pg_catalog.array_agg(b.session_id), pg_catalog.array_agg(b.ip)
        FROM (
            SELECT s.ctid AS tid, s.session_id::pg_catalog.text AS session_id, c.ip
            FROM (SELECT i.ip_address, i.ip_address::pg_catalog.text AS ip, snap.snapshot_asn, snap.snapshot_ip_type
                  FROM @extschema@.ip_inventory i
                  CROSS JOIN LATERAL @extschema@.cowrie_session_snapshot(i.ip_address::pg_catalog.text, true,
                      i.current_asn::pg_catalog.int4, i.geo_country::pg_catalog.text, i.ip_types::pg_catalog.text[],
                      i.enrichment::pg_catalog.jsonb, i.enrichment_updated_at::pg_catalog.timestamptz) snap
                  WHERE i.ip_address::pg_catalog.text >= $1
                    AND ((pg_catalog.cardinality(i.ip_types::pg_catalog.text[]) > 0
                          AND EXISTS (SELECT FROM @extschema@.session_summaries p
                                      WHERE p.source_ip = i.ip_address AND p.snapshot_ip_type IS NULL))
                      OR (i.current_asn > 0
                          AND EXISTS (SELECT FROM @extschema@.session_summaries p
                                      WHERE p.source_ip = i.ip_address AND p.snapshot_asn IS NULL)))
                    AND @extschema@.cowrie_normalize_ip(i.ip_address::pg_catalog.text) = i.ip_address::pg_catalog.text) c
            JOIN @extschema@.session_summaries s ON s.source_ip = c.ip_address
            WHERE s.snapshot_country IS NOT NULL   -- the walk's sessions are not the completion's
              AND ((s.snapshot_ip_type IS NULL AND c.snapshot_ip_type IS NOT NULL)
                   OR (s.snapshot_asn IS NULL AND c.snapshot_asn IS NOT NULL))
            ORDER BY c.ip_address
            LIMIT $2
            %s) b$q$,
        CASE WHEN dry_run THEN '' ELSE 'FOR NO KEY UPDATE OF s SKIP LOCKED' END)
        INTO tids, session_ids, ips
        USING after, CASE WHEN dry_run THEN NULL ELSE batch_size END;
    result.selected := COALESCE(pg_catalog.cardinality(tids), 0);
    result.outcomes := '{}';
    IF result.selected > 0 THEN
        -- The rows stay locked until the transaction ends, so their tids hold.
        EXECUTE 'WITH w AS MATERIALIZED (SELECT u.session_id, u.ip, u.tid FROM ROWS FROM (pg_catalog.unnest($2), pg_catalog.unnest($3), pg_catalog.unnest($4)) u(tid, session_id, ip))'
            || @extschema@.cowrie_snapshot_writer_sql(true, dry_run)
            INTO result.selected, last_tid, outcomes, written
            USING false, tids, session_ids, ips;
        -- One outcome of its own in the run's counts.
        result.outcomes := pg_catalog.jsonb_build_object('completed', result.selected);
    END IF;
    -- A short batch ends the phase; a full one goes on from its last IP (its
    -- sessions taken so far left the set).
    result.next_ip := CASE WHEN dry_run OR result.selected < batch_size THEN NULL ELSE ips[pg_catalog.cardinality(ips)] END;
    RETURN result;
END
$fn$;
COMMENT ON FUNCTION @extschema@.cowrie_backfill_completion_step(integer, text, boolean) IS
'Backfill internals: one completion batch, the next batch_size sessions from IP after on whose NULL type or ASN the rule now gives a value';
