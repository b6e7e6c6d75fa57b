-- Every ip_inventory row classified as upstream's cascade enricher (ADR-009,
-- Pass 4) writes it: the other keys kept, enrichment_updated_at = now(); one
-- in ten `unknown`, the others tor, cloud, datacenter, residential by turns.
UPDATE ip_inventory SET
    enrichment = COALESCE(enrichment::jsonb, '{}'::jsonb) || jsonb_build_object('ip_classification', jsonb_build_object(
        'ip_type', CASE WHEN abs(hashtext(ip_address::text)) % 10 = 0 THEN 'unknown'
                        ELSE (ARRAY['tor', 'cloud', 'datacenter', 'residential'])[1 + abs(hashtext(ip_address::text) / 10) % 4] END,
        'provider', 'aws', 'confidence', 0.95, 'source', 'cloud_ranges_aws', 'classified_at', '2025-11-10T12:00:03+00:00')),
    enrichment_updated_at = now()
WHERE jsonb_typeof(COALESCE(enrichment::jsonb, '{}'::jsonb)) = 'object';
