------------------------------------------------------------------------------
-- The snapshot writer: the one statement that writes session snapshots, for
-- the migration (phase 4), the backfill's walk and its completion alike. It
-- takes one heap of session_summaries (the table, or one of its partitions)
-- and rows of it by ctid, each with the IP to decide it with; it names the
-- rows through cowrie_heap_target, always with the heap's tableoid. Each distinct
-- IP is decided once through cowrie_session_snapshot (the rule, in C). Only
-- rows the rule changes are locked (rows another transaction holds are
-- skipped, their IPs reported) and written; a row that moved since it was
-- read (its ctid now names a dead version) is not written. Non-NULL values
-- are never overwritten, except the 'XX' sentinel once the rule finds a
-- country, and a source_ip that is not the canonical IP.
--
-- A public IP without an inventory row leaves the session pending: its
-- country stays NULL and cowrie_pending_sessions remembers its IP, so the run
-- after the row arrives decides it. With dry_run it only counts.
------------------------------------------------------------------------------

-- The rule's decision for each distinct IP of a batch (NULL: no IP), read
-- with one index probe of the inventory per IP: the OFFSET 0 fence keeps the
-- planner from hashing the whole inventory. ip_key '' stands for "no IP"
-- ('' is never a canonical IP).
CREATE OR REPLACE FUNCTION @extschema@.cowrie_decide_ips(ips text[])
RETURNS TABLE (ip_key text, in_inventory boolean, snapshot_asn integer, snapshot_country varchar(2),
               snapshot_ip_type text, enrichment_at timestamptz, outcome text)
LANGUAGE plpgsql STABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $fn$
BEGIN
    -- PL/pgSQL: ip_inventory is created by the migration, after the install.
    RETURN QUERY
        SELECT COALESCE(x.ip, ''::text), i.ip_address IS NOT NULL,
               snap.snapshot_asn, snap.snapshot_country, snap.snapshot_ip_type, snap.enrichment_at, snap.outcome
        FROM (SELECT DISTINCT u.ip FROM pg_catalog.unnest(ips) u(ip)) x
        LEFT JOIN LATERAL (SELECT i0.ip_address, i0.current_asn, i0.geo_country, i0.ip_types, i0.enrichment, i0.enrichment_updated_at
                           FROM @extschema@.ip_inventory i0
                           WHERE i0.ip_address::text = x.ip OFFSET 0) i ON true
        CROSS JOIN LATERAL @extschema@.cowrie_session_snapshot(x.ip, i.ip_address IS NOT NULL, i.current_asn::int4,
            i.geo_country::text, i.ip_types::text[], i.enrichment::jsonb,
            @extschema@.cowrie_utc(i.enrichment_updated_at)) snap;
END
$fn$;
COMMENT ON FUNCTION @extschema@.cowrie_decide_ips(text[]) IS
'Backfill internals: the snapshot rule''s decision for each distinct IP of a batch, with its inventory row';

CREATE OR REPLACE FUNCTION @extschema@.cowrie_write_snapshots(heap regclass, tids tid[], ips text[], dry_run boolean,
                                                            lock_rows boolean,
                                                            OUT examined bigint, OUT written bigint, OUT skipped bigint,
                                                            OUT outcomes jsonb, OUT skipped_ips text[])
LANGUAGE plpgsql VOLATILE PARALLEL UNSAFE
SET search_path = pg_catalog, pg_temp
-- Its rows are decided here: the ingestion trigger leaves them as written.
SET cowrie_snapshot.writer_active = on
AS $fn$
DECLARE
    target constant regclass := @extschema@.cowrie_heap_target(heap, dry_run);
    -- The rows as they are now, each with its decision and whether the rule
    -- changes it: what both the write and the dry run start from. Dynamic
    -- only for the relation's name.
    decided_rows constant text := pg_catalog.format($q$
        WITH w AS (SELECT u.tid, u.ip FROM ROWS FROM (pg_catalog.unnest($1::pg_catalog.tid[]), pg_catalog.unnest($2::pg_catalog.text[])) u(tid, ip)),
        d AS MATERIALIZED (SELECT * FROM @extschema@.cowrie_decide_ips($2)),
        r AS MATERIALIZED (
            SELECT s.ctid AS tid, s.session_id::pg_catalog.text AS session_id, w.ip, d.outcome,
                   (s.snapshot_country IS NULL AND d.outcome <> 'no_inventory')
                   OR (s.snapshot_country::pg_catalog.text = 'XX' AND d.outcome = 'enriched')
                   OR (s.snapshot_asn IS NULL AND d.snapshot_asn IS NOT NULL)
                   OR (s.snapshot_ip_type IS NULL AND d.snapshot_ip_type IS NOT NULL)
                   OR (s.enrichment_at IS NULL AND d.enrichment_at IS NOT NULL)
                   OR (s.source_ip IS NULL AND d.in_inventory)
                   OR @extschema@.cowrie_normalize_ip(s.source_ip::pg_catalog.text) IS DISTINCT FROM s.source_ip::pg_catalog.text AS changes
            FROM %1$s s
            JOIN w ON w.tid = s.ctid
            JOIN d ON d.ip_key = COALESCE(w.ip, '')
            WHERE s.ctid = ANY ($1) AND s.tableoid = $3)$q$, target);
BEGIN
    -- Called directly, it writes only heaps of session_summaries (22023).
    PERFORM @extschema@.cowrie_check_session_heaps(ARRAY[heap]);
    IF dry_run THEN
        -- Counts only: no lock, no write (a role that may only read can run it).
        EXECUTE decided_rows || $q$
            SELECT (SELECT pg_catalog.count(*) FROM r), (SELECT pg_catalog.count(*) FROM r WHERE r.changes), 0::pg_catalog.int8,
                   (SELECT COALESCE(pg_catalog.jsonb_object_agg(o.outcome, o.n), '{}'::pg_catalog.jsonb)
                    FROM (SELECT r.outcome, pg_catalog.count(*) AS n FROM r GROUP BY r.outcome) o),
                   '{}'::pg_catalog.text[]$q$
            INTO examined, written, skipped, outcomes, skipped_ips
            USING tids, ips, heap::oid;
        RETURN;
    END IF;
    -- lock_rows: rows another transaction holds (the loader) are left to a
    -- later run. The migration, which holds the table itself, locks none.
    EXECUTE decided_rows || pg_catalog.format($q$,
        locked AS MATERIALIZED (
            SELECT s.ctid AS tid FROM %1$s s
            WHERE s.ctid = ANY (ARRAY(SELECT r.tid FROM r WHERE r.changes)) AND s.tableoid = $3
            %2$s),
        written AS (
            UPDATE %1$s s SET
                -- A stored source_ip that is not the canonical IP (upstream kept
                -- dshield's raw text) is corrected; a canonical one is kept.
                source_ip = CASE
                    WHEN @extschema@.cowrie_normalize_ip(s.source_ip::pg_catalog.text) = s.source_ip::pg_catalog.text THEN s.source_ip
                    WHEN d.in_inventory THEN w.ip
                    WHEN @extschema@.cowrie_normalize_ip(s.source_ip::pg_catalog.text) IS NULL THEN NULL
                    ELSE s.source_ip END,   -- another spelling whose canonical row is missing: kept
                snapshot_asn = COALESCE(s.snapshot_asn, d.snapshot_asn),
                snapshot_country = CASE
                    WHEN d.outcome = 'no_inventory' THEN s.snapshot_country   -- pending
                    WHEN s.snapshot_country IS NULL THEN d.snapshot_country
                    WHEN s.snapshot_country::pg_catalog.text = 'XX' AND d.outcome = 'enriched' THEN d.snapshot_country
                    ELSE s.snapshot_country END,
                snapshot_ip_type = COALESCE(s.snapshot_ip_type, d.snapshot_ip_type),
                enrichment_at = COALESCE(s.enrichment_at, @extschema@.cowrie_utc_as(s.enrichment_at, d.enrichment_at))
            FROM w JOIN d ON d.ip_key = COALESCE(w.ip, '')
            WHERE s.ctid = ANY (ARRAY(SELECT l.tid FROM locked l)) AND s.tableoid = $3 AND w.tid = s.ctid
            RETURNING 1),
        -- Pending sessions are remembered with their IP; decided ones forgotten.
        pending AS (
            INSERT INTO @extschema@.cowrie_pending_sessions (ip, session_id)
            SELECT r.ip, r.session_id FROM r WHERE r.outcome = 'no_inventory'
            ON CONFLICT DO NOTHING),
        decided AS (
            DELETE FROM @extschema@.cowrie_pending_sessions p USING r
            WHERE p.session_id = r.session_id AND r.outcome <> 'no_inventory'
              AND (NOT r.changes OR r.tid IN (SELECT l.tid FROM locked l)))
        SELECT (SELECT pg_catalog.count(*) FROM r),
               (SELECT pg_catalog.count(*) FROM written),
               (SELECT pg_catalog.count(*) FROM r WHERE r.changes AND r.tid NOT IN (SELECT l.tid FROM locked l)),
               (SELECT COALESCE(pg_catalog.jsonb_object_agg(o.outcome, o.n), '{}'::pg_catalog.jsonb)
                FROM (SELECT r.outcome, pg_catalog.count(*) AS n FROM r GROUP BY r.outcome) o),
               ARRAY(SELECT DISTINCT r.ip FROM r
                     WHERE r.changes AND r.ip IS NOT NULL AND r.tid NOT IN (SELECT l.tid FROM locked l))$q$,
        target, CASE WHEN lock_rows THEN 'FOR NO KEY UPDATE SKIP LOCKED' ELSE '' END)
        INTO examined, written, skipped, outcomes, skipped_ips
        USING tids, ips, heap::oid;
END
$fn$;
COMMENT ON FUNCTION @extschema@.cowrie_write_snapshots(regclass, tid[], text[], boolean, boolean) IS
'Backfill internals: decides and writes the snapshots of these rows of one heap of session_summaries (by ctid, each with its IP); returns the rows examined, written, and skipped because another transaction held them, the outcomes, and the skipped rows'' IPs';

-- The migration's writer on Citus (phase 4): the same writes as
-- cowrie_write_snapshots without row locks (the migration holds the table),
-- its rows named by session_id, as a statement that Citus sends to every
-- shard inside the migration's transaction (a shard's heap positions cannot
-- be named from the coordinator). The decisions are made here, by
-- cowrie_decide_ips, and travel as arrays: the shards run no rule of their
-- own. A session without an inventory row keeps a NULL country; the first
-- backfill run on its node makes it pending.
CREATE OR REPLACE FUNCTION @extschema@.cowrie_write_snapshots_by_session(session_ids text[], ips text[]) RETURNS bigint
LANGUAGE plpgsql VOLATILE PARALLEL UNSAFE
SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
    v_ids text[];
    v_ips text[];
    v_in boolean[];
    v_asn integer[];
    v_country text[];
    v_type text[];
    v_at timestamptz[];
    v_outcome text[];
    written bigint;
BEGIN
    SELECT pg_catalog.array_agg(w.session_id), pg_catalog.array_agg(w.ip), pg_catalog.array_agg(d.in_inventory),
           pg_catalog.array_agg(d.snapshot_asn), pg_catalog.array_agg(d.snapshot_country::text), pg_catalog.array_agg(d.snapshot_ip_type),
           pg_catalog.array_agg(d.enrichment_at), pg_catalog.array_agg(d.outcome)
      INTO v_ids, v_ips, v_in, v_asn, v_country, v_type, v_at, v_outcome
    FROM ROWS FROM (pg_catalog.unnest(session_ids), pg_catalog.unnest(ips)) w(session_id, ip)
    JOIN @extschema@.cowrie_decide_ips(ips) d ON d.ip_key = COALESCE(w.ip, '');
    IF v_ids IS NULL THEN
        RETURN 0::bigint;
    END IF;
    -- The SET and the condition are cowrie_write_snapshots's, row for row.
    UPDATE @extschema@.session_summaries s SET
        source_ip = CASE
            WHEN @extschema@.cowrie_normalize_ip(s.source_ip::text) = s.source_ip::text THEN s.source_ip
            WHEN d.in_inventory THEN d.ip
            WHEN @extschema@.cowrie_normalize_ip(s.source_ip::text) IS NULL THEN NULL
            ELSE s.source_ip END,
        snapshot_asn = COALESCE(s.snapshot_asn, d.snapshot_asn),
        snapshot_country = CASE
            WHEN d.outcome = 'no_inventory' THEN s.snapshot_country
            WHEN s.snapshot_country IS NULL THEN d.snapshot_country
            WHEN s.snapshot_country::text = 'XX' AND d.outcome = 'enriched' THEN d.snapshot_country
            ELSE s.snapshot_country END,
        snapshot_ip_type = COALESCE(s.snapshot_ip_type, d.snapshot_ip_type),
        enrichment_at = COALESCE(s.enrichment_at, @extschema@.cowrie_utc_as(s.enrichment_at, d.enrichment_at))
    FROM ROWS FROM (pg_catalog.unnest(v_ids), pg_catalog.unnest(v_ips), pg_catalog.unnest(v_in), pg_catalog.unnest(v_asn),
                    pg_catalog.unnest(v_country), pg_catalog.unnest(v_type), pg_catalog.unnest(v_at), pg_catalog.unnest(v_outcome))
         d(session_id, ip, in_inventory, snapshot_asn, snapshot_country, snapshot_ip_type, enrichment_at, outcome)
    WHERE s.session_id = d.session_id
      AND ((s.snapshot_country IS NULL AND d.outcome <> 'no_inventory')
           OR (s.snapshot_country::text = 'XX' AND d.outcome = 'enriched')
           OR (s.snapshot_asn IS NULL AND d.snapshot_asn IS NOT NULL)
           OR (s.snapshot_ip_type IS NULL AND d.snapshot_ip_type IS NOT NULL)
           OR (s.enrichment_at IS NULL AND d.enrichment_at IS NOT NULL)
           OR (s.source_ip IS NULL AND d.in_inventory)
           OR @extschema@.cowrie_normalize_ip(s.source_ip::text) IS DISTINCT FROM s.source_ip::text);
    GET DIAGNOSTICS written = ROW_COUNT;
    RETURN written;
END
$fn$;
COMMENT ON FUNCTION @extschema@.cowrie_write_snapshots_by_session(text[], text[]) IS
'Internal: the migration''s snapshot writes on Citus, rows by session_id, the decisions made on the coordinator';
