-- backfill_setbased.sql: the set-based backfill peer, written to reach the
-- extension's final rows (bench/upstream/backfill_setbased.sql replays
-- upstream's intent instead: only sessions with source_ip set, plain
-- overwrite, updated_at = now(), so it cannot start from the deferred-mode
-- state where source_ip is still NULL, and its rows differ by design).
--
-- One transaction: every eligible session's IP into a temp table (one read of
-- each document), the raw_events fallback for the sessions without one, each
-- distinct IP decided once against ip_inventory, then ONE
-- UPDATE ... FROM over all eligible sessions. The rules themselves are the
-- extension's pure C functions (cowrie_normalize_ip, cowrie_extract_ip,
-- cowrie_event_ip, cowrie_session_snapshot): a SQL port would only be slower
-- and would risk different rows; the peer differs in how the work is organised.
--
--   psql -X -f bench/peers/backfill_setbased.sql     (on the deferred-mode state)
BEGIN;
CREATE TEMP TABLE peer_work ON COMMIT DROP AS
SELECT s.session_id, COALESCE(cowrie_normalize_ip(s.source_ip), cowrie_extract_ip(s.enrichment)) AS ip
FROM session_summaries s
WHERE s.snapshot_country IS NULL;

-- The session's IP, else the earliest raw event carrying one.
UPDATE peer_work w SET ip = r.ip
FROM (SELECT DISTINCT ON (e.session_id) e.session_id, cowrie_event_ip(e.payload) AS ip
      FROM raw_events e
      WHERE e.session_id IN (SELECT session_id FROM peer_work WHERE ip IS NULL)
        AND cowrie_event_ip(e.payload) IS NOT NULL
      ORDER BY e.session_id, e.event_timestamp NULLS LAST, e.source, e.source_offset, e.id) r
WHERE w.session_id = r.session_id AND w.ip IS NULL;

-- Each distinct IP decided once ('' stands for "no IP": never in the inventory).
CREATE TEMP TABLE peer_snap ON COMMIT DROP AS
SELECT d.ip, i.ip_address IS NOT NULL AS found, snap.snapshot_asn, snap.snapshot_country,
       snap.snapshot_ip_type, snap.enrichment_at
FROM (SELECT DISTINCT COALESCE(ip, '') AS ip FROM peer_work) d
LEFT JOIN ip_inventory i ON i.ip_address = d.ip
CROSS JOIN LATERAL cowrie_session_snapshot(NULLIF(d.ip, ''), i.ip_address IS NOT NULL, i.current_asn,
    i.geo_country, i.ip_types, i.enrichment, i.enrichment_updated_at) snap;
ANALYZE peer_work;
ANALYZE peer_snap;

-- Every eligible session written once; non-NULL values are never overwritten.
UPDATE session_summaries s SET
    -- as the extension's writer: a canonical source_ip is kept, another one corrected
    source_ip = CASE WHEN cowrie_normalize_ip(s.source_ip) = s.source_ip THEN s.source_ip
                     WHEN p.found THEN w.ip
                     WHEN cowrie_normalize_ip(s.source_ip) IS NULL THEN NULL
                     ELSE s.source_ip END,
    snapshot_asn = COALESCE(s.snapshot_asn, p.snapshot_asn),
    snapshot_country = p.snapshot_country,
    snapshot_ip_type = COALESCE(s.snapshot_ip_type, p.snapshot_ip_type),
    enrichment_at = COALESCE(s.enrichment_at, p.enrichment_at)
FROM peer_work w
JOIN peer_snap p ON p.ip = COALESCE(w.ip, '')
WHERE s.session_id = w.session_id AND s.snapshot_country IS NULL;
COMMIT;
