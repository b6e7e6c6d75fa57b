-- completion_setbased.sql: the set-based peer of the backfill's completion
-- phase, as an operator would write it: one UPDATE ... FROM ip_inventory of
-- every session with a country whose NULL type or ASN the rule fills now.
-- The rule is the extension's C function (cowrie_session_snapshot), so the
-- rows are the extension's; the peer differs in how the work is organised
-- (the planner's join, the rule called per session).
--
--   psql -X -f bench/peers/completion_setbased.sql
UPDATE session_summaries s SET
    snapshot_asn = COALESCE(s.snapshot_asn, snap.snapshot_asn),
    snapshot_ip_type = COALESCE(s.snapshot_ip_type, snap.snapshot_ip_type)
FROM ip_inventory i
CROSS JOIN LATERAL cowrie_session_snapshot(i.ip_address, true, i.current_asn, i.geo_country, i.ip_types,
    i.enrichment::jsonb, i.enrichment_updated_at) snap
WHERE s.source_ip = i.ip_address
  AND s.snapshot_country IS NOT NULL
  AND cowrie_normalize_ip(i.ip_address) = i.ip_address
  AND ((s.snapshot_ip_type IS NULL AND snap.snapshot_ip_type IS NOT NULL)
       OR (s.snapshot_asn IS NULL AND snap.snapshot_asn IS NOT NULL));
