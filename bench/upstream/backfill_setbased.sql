-- backfill_setbased.sql: upstream's snapshot backfill
-- (scripts/migrations/backfill_session_snapshots.py) done by hand the
-- set-based way: every distinct source_ip classified once into a temp table,
-- then one UPDATE ... FROM ip_inventory over all eligible sessions. Run it on
-- the state test/fixtures/upstream_v16.sql (and upstream_v17.sql) leaves.
--
--   psql -X [-v report=1] -f bench/upstream/backfill_setbased.sql
--
-- The end state is the one upstream's backfill intends, per session with
-- source_ip IS NOT NULL AND snapshot_country IS NULL:
--   1. source_ip unparseable, or private/reserved by Python 3.13 ipaddress:
--      snapshot_country = 'XX', the other snapshot columns untouched;
--   2. else ip_inventory has a usable geo_country: plain overwrite (no
--      COALESCE) of snapshot_asn = current_asn, snapshot_country =
--      geo_country, snapshot_ip_type = ip_types[1], enrichment_at =
--      enrichment_updated_at;
--   3. else snapshot_country = 'XX'.
-- updated_at = now() in every case (the ORM's onupdate).
-- Where upstream cannot get there, the intent wins: a geo_country that would
-- violate snapshot_country_iso (e.g. 'A1', '') counts as no country, where
-- upstream's batch fails and is re-selected forever (C3).

\set ON_ERROR_STOP on
\set QUIET on

BEGIN;
SET LOCAL client_min_messages = warning;

-- Python ipaddress.ip_address(): strict dotted quad (no leading zeros), or
-- IPv6 with an optional %scope, no prefix, no blanks; embedded IPv4 strict.
-- The scope is dropped: the properties ignore it.
CREATE FUNCTION pg_temp.bf_parse(t text) RETURNS inet LANGUAGE plpgsql IMMUTABLE STRICT AS $$
DECLARE
	addr text := split_part(t, '%', 1);
BEGIN
	IF t ~ '^(25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])(\.(25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])){3}$' THEN
		RETURN t::inet;
	END IF;
	IF strpos(t, ':') = 0 OR strpos(t, '/') > 0 OR t ~ '%$' OR addr !~ '^[0-9A-Fa-f:.]+$' THEN
		RETURN NULL;
	END IF;
	IF strpos(addr, '.') > 0 AND addr !~ ':(25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])(\.(25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])){3}$' THEN
		RETURN NULL;
	END IF;
	RETURN addr::inet;
EXCEPTION WHEN invalid_text_representation THEN
	RETURN NULL;
END $$;

-- is_private or is_loopback or is_link_local or is_multicast or is_reserved
-- or is_unspecified, CPython 3.13 (§4.5). is_exception rows carve holes out
-- of is_private only; none of them lies in a block of the other properties.
CREATE TEMP TABLE bf_net (net inet NOT NULL, is_exception boolean NOT NULL) ON COMMIT DROP;
INSERT INTO bf_net (net, is_exception)
SELECT n::inet, false FROM unnest(ARRAY[
	'0.0.0.0/8', '10.0.0.0/8', '127.0.0.0/8', '169.254.0.0/16', '172.16.0.0/12', '192.0.0.0/24',
	'192.0.0.170/31', '192.0.2.0/24', '192.168.0.0/16', '198.18.0.0/15', '198.51.100.0/24',
	'203.0.113.0/24', '224.0.0.0/4', '240.0.0.0/4',
	'::/128', '::1/128', '64:ff9b:1::/48', '100::/64', '2001::/23', '2001:db8::/32', '2002::/16',
	'3fff::/20', 'fc00::/7', 'fe80::/10', 'ff00::/8',
	'::/8', '100::/8', '200::/7', '400::/6', '800::/5', '1000::/4', '4000::/3', '6000::/3',
	'8000::/3', 'a000::/3', 'c000::/3', 'e000::/4', 'f000::/5', 'f800::/6', 'fe00::/9']) n
UNION ALL
SELECT n::inet, true FROM unnest(ARRAY[
	'192.0.0.9/32', '192.0.0.10/32', '2001:1::1/128', '2001:1::2/128', '2001:3::/32',
	'2001:4:112::/48', '2001:20::/28', '2001:30::/28']) n;

-- Each distinct eligible source_ip once. IPv4-mapped addresses are judged by
-- their IPv4 address (3.13), not by ::/8.
CREATE TEMP TABLE bf_ip ON COMMIT DROP AS
SELECT d.ip,
       v.addr IS NULL
       OR (EXISTS (SELECT 1 FROM bf_net n WHERE NOT n.is_exception AND v.addr <<= n.net)
           AND NOT EXISTS (SELECT 1 FROM bf_net n WHERE n.is_exception AND v.addr <<= n.net)) AS unroutable
FROM (SELECT DISTINCT source_ip AS ip FROM session_summaries
      WHERE source_ip IS NOT NULL AND snapshot_country IS NULL) d
CROSS JOIN LATERAL (SELECT pg_temp.bf_parse(d.ip) AS a) p
CROSS JOIN LATERAL (
	SELECT CASE WHEN p.a << inet '::ffff:0.0.0.0/96'
	            THEN inet '0.0.0.0' + (p.a - inet '::ffff:0.0.0.0') ELSE p.a END AS addr
) v;
ANALYZE bf_ip;

WITH done AS (
	UPDATE session_summaries s
	SET snapshot_asn = CASE WHEN c.has_country THEN c.current_asn ELSE s.snapshot_asn END,
	    snapshot_country = CASE WHEN c.has_country THEN c.geo_country ELSE 'XX' END,
	    snapshot_ip_type = CASE WHEN c.has_country THEN c.ip_type ELSE s.snapshot_ip_type END,
	    enrichment_at = CASE WHEN c.has_country THEN c.enrichment_updated_at ELSE s.enrichment_at END,
	    updated_at = now()
	FROM (
		SELECT b.ip, b.unroutable,
		       NOT b.unroutable AND coalesce(i.geo_country ~ '^[A-Z]{2}$' AND i.geo_country <> 'XX', false) AS has_country,
		       i.current_asn, i.geo_country, i.ip_types[1] AS ip_type, i.enrichment_updated_at
		FROM bf_ip b
		LEFT JOIN ip_inventory i ON i.ip_address = b.ip
	) c
	WHERE s.source_ip = c.ip
	  AND s.snapshot_country IS NULL
	RETURNING c.has_country, c.unroutable
)
SELECT count(*) AS bf_processed, count(*) FILTER (WHERE has_country) AS bf_enriched,
       count(*) FILTER (WHERE unroutable) AS bf_private, count(*) FILTER (WHERE NOT has_country AND NOT unroutable) AS bf_no_data
FROM done \gset

COMMIT;

\if :{?report}
\echo backfill: :bf_processed processed, :bf_enriched enriched, :bf_private private or unparseable, :bf_no_data without data
\endif
