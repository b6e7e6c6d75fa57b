-- backfill_procedure.sql: the PL/pgSQL peer, keyset batches over the primary
-- key, COMMIT after each batch; one statement per batch selects the next
-- batch_size eligible sessions after the watermark, finds their IPs (session,
-- else document, else earliest raw event), joins ip_inventory and writes them.
-- Same rules as the extension (its pure C functions), so the same final rows.
--
--   psql -X -f bench/peers/backfill_procedure.sql && psql -X -c 'CALL peer_backfill_keyset(1000)'
CREATE OR REPLACE PROCEDURE peer_backfill_keyset(batch_size integer DEFAULT 1000)
LANGUAGE plpgsql AS $$
DECLARE
    watermark varchar(64) := '';
    selected bigint;
BEGIN
    LOOP
        WITH b AS MATERIALIZED (
            SELECT s.session_id,
                   COALESCE(cowrie_normalize_ip(s.source_ip), cowrie_extract_ip(s.enrichment)) AS ip
            FROM session_summaries s
            WHERE s.snapshot_country IS NULL AND s.session_id > watermark
            ORDER BY s.session_id
            LIMIT batch_size),
        w AS (
            SELECT b.session_id,
                   COALESCE(b.ip, (SELECT cowrie_event_ip(e.payload) FROM raw_events e
                                   WHERE e.session_id = b.session_id AND cowrie_event_ip(e.payload) IS NOT NULL
                                   ORDER BY e.event_timestamp NULLS LAST, e.source, e.source_offset, e.id
                                   LIMIT 1)) AS ip
            FROM b),
        u AS (
            UPDATE session_summaries s SET
                source_ip = COALESCE(s.source_ip, CASE WHEN i.ip_address IS NOT NULL THEN w.ip END),
                snapshot_asn = COALESCE(s.snapshot_asn, snap.snapshot_asn),
                snapshot_country = snap.snapshot_country,
                snapshot_ip_type = COALESCE(s.snapshot_ip_type, snap.snapshot_ip_type),
                enrichment_at = COALESCE(s.enrichment_at, snap.enrichment_at)
            FROM w
            LEFT JOIN ip_inventory i ON i.ip_address = w.ip
            CROSS JOIN LATERAL cowrie_session_snapshot(w.ip, i.ip_address IS NOT NULL, i.current_asn,
                i.geo_country, i.ip_types, i.enrichment, i.enrichment_updated_at) snap
            WHERE s.session_id = w.session_id)
        SELECT count(*), max(b.session_id) INTO selected, watermark FROM b;
        EXIT WHEN selected = 0;
        COMMIT;
    END LOOP;
END
$$;
