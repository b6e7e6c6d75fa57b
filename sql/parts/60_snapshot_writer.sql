------------------------------------------------------------------------------
-- The snapshot writer: the one statement that writes session snapshots, for
-- the migration (phase 4) and the backfill step alike. Each caller puts its
-- sessions in a CTE w (session_id, ip, tid) and appends this text, built
-- from two booleans only; $1 is retry_unenrichable. Each distinct IP is
-- decided once through cowrie_session_snapshot (a decision may read the
-- inventory's document). Rows are matched by tid (the backfill holds them
-- locked, so the tid cannot change) or by session_id. Non-NULL values are
-- never overwritten, except the 'XX' sentinel when retry_unenrichable finds
-- a country now, and a source_ip that is not the canonical IP. With dry_run
-- it only counts. The statement returns one row: sessions examined, the
-- highest tid, sessions per outcome, sessions written.
------------------------------------------------------------------------------

CREATE OR REPLACE FUNCTION @extschema@.cowrie_snapshot_writer_sql(match_by_tid boolean, dry_run boolean) RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
-- The OFFSET 0 fence makes the inventory an index probe per IP rather than a
-- hash of the whole inventory for every batch. '' is never a canonical IP: it
-- stands for "no IP" in the join.
RETURN $q$,
        d AS MATERIALIZED (
            SELECT COALESCE(u.ip, '') AS ip_key, i.ip_address IS NOT NULL AS in_inventory, snap.*
            FROM (SELECT DISTINCT w.ip FROM w) u
            LEFT JOIN LATERAL (SELECT * FROM @extschema@.ip_inventory i0
                               WHERE i0.ip_address::pg_catalog.text = u.ip OFFSET 0) i ON true
            CROSS JOIN LATERAL @extschema@.cowrie_session_snapshot(u.ip, i.ip_address IS NOT NULL, i.current_asn::pg_catalog.int4,
                i.geo_country::pg_catalog.text, i.ip_types::pg_catalog.text[], i.enrichment::pg_catalog.jsonb,
                @extschema@.cowrie_utc(i.enrichment_updated_at)) snap),
        written AS ($q$
    || CASE WHEN dry_run THEN $q$
            SELECT NULL::pg_catalog.text AS session_id WHERE false)$q$
       ELSE $q$
            UPDATE @extschema@.session_summaries s SET
                -- A stored source_ip that is not the canonical IP (upstream kept
                -- dshield's raw text) is corrected; a canonical one is kept.
                source_ip = CASE
                    WHEN @extschema@.cowrie_normalize_ip(s.source_ip::pg_catalog.text) = s.source_ip::pg_catalog.text THEN s.source_ip
                    WHEN d.in_inventory THEN w.ip
                    WHEN @extschema@.cowrie_normalize_ip(s.source_ip::pg_catalog.text) IS NULL THEN NULL
                    ELSE s.source_ip END,   -- another spelling whose canonical row is missing: kept
                snapshot_asn = COALESCE(s.snapshot_asn, d.snapshot_asn),
                snapshot_country = CASE
                    WHEN s.snapshot_country IS NULL THEN d.snapshot_country
                    WHEN $1 AND s.snapshot_country = 'XX' AND d.outcome = 'enriched' THEN d.snapshot_country
                    ELSE s.snapshot_country END,
                snapshot_ip_type = COALESCE(s.snapshot_ip_type, d.snapshot_ip_type),
                enrichment_at = COALESCE(s.enrichment_at, @extschema@.cowrie_utc_as(s.enrichment_at, d.enrichment_at))
            FROM w JOIN d ON d.ip_key = COALESCE(w.ip, '')
            WHERE $q$ || CASE WHEN match_by_tid THEN 's.ctid = w.tid' ELSE 's.session_id = w.session_id' END || $q$
              -- only rows that change: a session with nothing to add keeps its tuple
              AND (s.snapshot_country IS NULL
                   OR ($1 AND s.snapshot_country = 'XX' AND d.outcome = 'enriched')
                   OR (s.snapshot_asn IS NULL AND d.snapshot_asn IS NOT NULL)
                   OR (s.snapshot_ip_type IS NULL AND d.snapshot_ip_type IS NOT NULL)
                   OR (s.enrichment_at IS NULL AND d.enrichment_at IS NOT NULL)
                   OR (s.source_ip IS NULL AND d.in_inventory)
                   OR @extschema@.cowrie_normalize_ip(s.source_ip::pg_catalog.text) IS DISTINCT FROM s.source_ip::pg_catalog.text)
            RETURNING s.session_id)$q$ END
    -- Counted over every session examined, written or not: the backfill's
    -- watermark moves past them all.
    || $q$
        SELECT COALESCE(pg_catalog.sum(x.n), 0)::pg_catalog.int8, pg_catalog.max(x.last_tid),
               COALESCE(pg_catalog.jsonb_object_agg(x.outcome, x.n), '{}'::pg_catalog.jsonb),
               (SELECT pg_catalog.count(*) FROM written)
        FROM (SELECT d.outcome, pg_catalog.count(*) AS n, pg_catalog.max(w.tid) AS last_tid
              FROM w JOIN d ON d.ip_key = COALESCE(w.ip, '') GROUP BY d.outcome) x$q$;
COMMENT ON FUNCTION @extschema@.cowrie_snapshot_writer_sql(boolean, boolean) IS
'Backfill internals: the snapshot writer''s SQL, to follow a CTE w (session_id, ip, tid); $1 is retry_unenrichable';
