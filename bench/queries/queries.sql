-- ADR-007's query classes, each three ways: from the snapshot columns
-- (snapshot), through ip_inventory (join), straight from the documents
-- (documents: json, read through cowrie_jsonb_safe because a json document
-- holding \u0000 fails json's ->> as upstream's queries do). One query a line: "<class>|<way>|<sql>". :country and :month
-- are set by bench/queries.sh (the most common country; the busiest month).
filter_country_month|snapshot|SELECT count(*) FROM session_summaries WHERE snapshot_country = :'country' AND first_event_at >= :'month'::timestamptz AND first_event_at < :'month'::timestamptz + interval '1 month'
filter_country_month|join|SELECT count(*) FROM session_summaries s JOIN ip_inventory i ON i.ip_address = s.source_ip WHERE i.geo_country = :'country' AND s.first_event_at >= :'month'::timestamptz AND s.first_event_at < :'month'::timestamptz + interval '1 month'
filter_country_month|documents|SELECT count(*) FROM (SELECT cowrie_jsonb_safe(enrichment) AS d, first_event_at FROM session_summaries) x WHERE upper(COALESCE(d->'maxmind'->>'country', d->'cymru'->>'country', d->'dshield'->'ip'->>'ascountry')) = :'country' AND first_event_at >= :'month'::timestamptz AND first_event_at < :'month'::timestamptz + interval '1 month'
sessions_per_country|snapshot|SELECT snapshot_country, count(*) FROM session_summaries GROUP BY 1 ORDER BY 2 DESC
sessions_per_country|join|SELECT i.geo_country, count(*) FROM session_summaries s JOIN ip_inventory i ON i.ip_address = s.source_ip GROUP BY 1 ORDER BY 2 DESC
sessions_per_country|documents|SELECT upper(COALESCE(d->'maxmind'->>'country', d->'cymru'->>'country', d->'dshield'->'ip'->>'ascountry')), count(*) FROM (SELECT cowrie_jsonb_safe(enrichment) AS d, first_event_at FROM session_summaries) x GROUP BY 1 ORDER BY 2 DESC
top_asns|snapshot|SELECT snapshot_asn, count(*) FROM session_summaries WHERE snapshot_asn IS NOT NULL GROUP BY 1 ORDER BY 2 DESC LIMIT 20
top_asns|join|SELECT i.current_asn, count(*) FROM session_summaries s JOIN ip_inventory i ON i.ip_address = s.source_ip WHERE i.current_asn IS NOT NULL GROUP BY 1 ORDER BY 2 DESC LIMIT 20
top_asns|documents|SELECT COALESCE(d->'cymru'->>'asn', d->'maxmind'->>'asn'), count(*) FROM (SELECT cowrie_jsonb_safe(enrichment) AS d, first_event_at FROM session_summaries) x WHERE COALESCE(d->'cymru'->>'asn', d->'maxmind'->>'asn') IS NOT NULL GROUP BY 1 ORDER BY 2 DESC LIMIT 20
ip_type_mix|snapshot|SELECT snapshot_ip_type, count(*) FROM session_summaries GROUP BY 1 ORDER BY 2 DESC
ip_type_mix|join|SELECT cowrie_primary_ip_type(i.ip_types), count(*) FROM session_summaries s JOIN ip_inventory i ON i.ip_address = s.source_ip GROUP BY 1 ORDER BY 2 DESC
ip_type_mix|documents|SELECT d->'spur'->'client'->>'types', count(*) FROM (SELECT cowrie_jsonb_safe(enrichment) AS d, first_event_at FROM session_summaries) x GROUP BY 1 ORDER BY 2 DESC
asn_country_type_clusters|snapshot|SELECT s.snapshot_asn, a.organization_name, s.snapshot_country, s.snapshot_ip_type, count(*) FROM session_summaries s JOIN asn_inventory a ON a.asn_number = s.snapshot_asn GROUP BY 1, 2, 3, 4 ORDER BY 5 DESC LIMIT 50
asn_country_type_clusters|join|SELECT i.current_asn, a.organization_name, i.geo_country, cowrie_primary_ip_type(i.ip_types), count(*) FROM session_summaries s JOIN ip_inventory i ON i.ip_address = s.source_ip JOIN asn_inventory a ON a.asn_number = i.current_asn GROUP BY 1, 2, 3, 4 ORDER BY 5 DESC LIMIT 50
asn_country_type_clusters|documents|SELECT a.asn_number, a.organization_name, upper(COALESCE(s.d->'maxmind'->>'country', s.d->'cymru'->>'country', s.d->'dshield'->'ip'->>'ascountry')), s.d->'spur'->'client'->>'types', count(*) FROM (SELECT cowrie_jsonb_safe(enrichment) AS d FROM session_summaries) s JOIN asn_inventory a ON a.asn_number::text = COALESCE(s.d->'cymru'->>'asn', s.d->'maxmind'->>'asn') GROUP BY 1, 2, 3, 4 ORDER BY 5 DESC LIMIT 50
