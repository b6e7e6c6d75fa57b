-- prototype_backfill_ctid.sql: the fix proposed in BENCHMARKS.md (Findings, 1), as a plain
-- PL/pgSQL function, to measure it; not part of the benchmark run. Same final rows as
-- cowrie_backfill (md5 checked at 100k and 1M). It differs from cowrie_backfill_step in
-- three ways:
--   1. batches in physical order (TID Range Scan over block ranges, PostgreSQL 14+), not
--      keyset batches over session_id (hash-like ids, so random heap order);
--   2. each selected row's ctid carried to the UPDATE (a Tid Scan: the row is locked
--      FOR UPDATE in the same transaction, so its ctid cannot change);
--   3. each distinct IP of a batch decided once (index probe into ip_inventory, then
--      cowrie_session_snapshot), not once per session.
-- Batch = batch_size / 4 blocks (about 4 sessions per 8 kB page here); the end is the
-- relation size at the start: rows moved past it meanwhile are left to the next run,
-- which the eligible predicate (snapshot_country IS NULL) still finds.
--
--   psql -f bench/lib/prototype_backfill_ctid.sql && psql -c 'SELECT proto2_backfill(1000)'
CREATE OR REPLACE FUNCTION proto2_backfill(batch_size integer DEFAULT 1000) RETURNS bigint
LANGUAGE plpgsql AS $$
DECLARE
    blk bigint := 0;
    nblocks bigint := pg_relation_size('session_summaries') / current_setting('block_size')::int;
    step int := greatest(batch_size / 4, 1);
    selected bigint;
    total bigint := 0;
BEGIN
    LOOP
        WITH b AS MATERIALIZED (
            SELECT s.ctid AS tid, s.session_id,
                   COALESCE(cowrie_normalize_ip(s.source_ip), cowrie_extract_ip(s.enrichment)) AS ip
            FROM session_summaries s
            WHERE s.snapshot_country IS NULL AND s.ctid >= format('(%s,0)', blk)::tid AND s.ctid < format('(%s,0)', blk + step)::tid
            FOR UPDATE OF s SKIP LOCKED),
        w AS MATERIALIZED (
            SELECT b.tid, b.session_id,
                   COALESCE(b.ip, (SELECT cowrie_event_ip(e.payload) FROM raw_events e
                                   WHERE e.session_id = b.session_id AND cowrie_event_ip(e.payload) IS NOT NULL
                                   ORDER BY e.event_timestamp NULLS LAST, e.source, e.source_offset, e.id
                                   LIMIT 1)) AS ip
            FROM b),
        d AS MATERIALIZED (
            SELECT COALESCE(d.ip, '') AS k, i.found, snap.*
            FROM (SELECT DISTINCT w.ip FROM w) d
            LEFT JOIN LATERAL (SELECT true AS found, i.current_asn, i.geo_country, i.ip_types, i.enrichment, i.enrichment_updated_at
                               FROM ip_inventory i WHERE i.ip_address = d.ip) i ON true
            CROSS JOIN LATERAL cowrie_session_snapshot(d.ip, i.found IS NOT NULL, i.current_asn,
                i.geo_country, i.ip_types, i.enrichment, i.enrichment_updated_at) snap),
        u AS (
            UPDATE session_summaries s SET
                source_ip = COALESCE(s.source_ip, CASE WHEN d.found THEN w.ip END),
                snapshot_asn = COALESCE(s.snapshot_asn, d.snapshot_asn),
                snapshot_country = d.snapshot_country,
                snapshot_ip_type = COALESCE(s.snapshot_ip_type, d.snapshot_ip_type),
                enrichment_at = COALESCE(s.enrichment_at, d.enrichment_at)
            FROM w JOIN d ON d.k = COALESCE(w.ip, '')
            WHERE s.ctid = w.tid)
        SELECT count(*) INTO selected FROM b;
        total := total + selected;
        blk := blk + step;
        EXIT WHEN blk >= nblocks;
    END LOOP;
    RETURN total;
END
$$;
