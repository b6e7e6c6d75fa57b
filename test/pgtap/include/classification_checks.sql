-- The acceptance of issue 31 on a database whose inventory is classified
-- (include/classify_inventory.sql); 5 assertions. Expects the temp table
-- typed_before (session_id, snapshot_ip_type): the sessions typed before.
CREATE TEMP VIEW classified AS
SELECT s.session_id, s.snapshot_ip_type, s.snapshot_country,
       cowrie_ip_types(i.enrichment::jsonb - 'ip_classification') AS spur_types,
       i.enrichment::jsonb -> 'ip_classification' ->> 'ip_type' AS cls
FROM session_summaries s JOIN ip_inventory i ON i.ip_address = s.source_ip
WHERE s.snapshot_country IS NOT NULL AND NOT cowrie_ip_is_private(s.source_ip::text);
DO $$ BEGIN
    IF (SELECT count(*) FROM classified WHERE spur_types = '{}' AND cls <> 'unknown') = 0
       OR (SELECT count(*) FROM classified WHERE spur_types <> '{}') = 0 THEN
        RAISE EXCEPTION 'set-up: the fixture has no session typed only by the classification, or none by SPUR';
    END IF;
END $$;
SELECT is((SELECT count(*) FROM classified WHERE spur_types = '{}' AND cls <> 'unknown'
                                             AND snapshot_ip_type IS DISTINCT FROM upper(cls)), 0::bigint,
          'every decided public session whose IP has no SPUR type but a classification other than unknown has that type, upper-cased');
SELECT is((SELECT count(*) FROM classified WHERE spur_types = '{}' AND cls = 'unknown' AND snapshot_ip_type IS NOT NULL
             AND session_id NOT IN (SELECT session_id FROM typed_before)), 0::bigint,
          'unknown gives no type');
SELECT is((SELECT count(*) FROM typed_before b JOIN session_summaries s USING (session_id)
           WHERE s.snapshot_ip_type IS DISTINCT FROM b.snapshot_ip_type), 0::bigint,
          'sessions typed before the classification are unchanged');
SELECT is((SELECT count(*) FROM classified WHERE spur_types <> '{}' AND snapshot_ip_type IS DISTINCT FROM spur_types[1]
             AND session_id NOT IN (SELECT session_id FROM typed_before)), 0::bigint,
          'sessions typed by SPUR have SPUR''s type, whatever the classification');
SELECT is((SELECT count(*) FROM session_summaries WHERE cowrie_ip_is_private(source_ip::text) AND snapshot_ip_type IS NOT NULL), 0::bigint,
          'private IPs get no type');
