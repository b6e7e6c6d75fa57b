------------------------------------------------------------------------------
-- Coverage: how many sessions have each snapshot column.
------------------------------------------------------------------------------

CREATE OR REPLACE FUNCTION @extschema@.cowrie_snapshot_coverage()
RETURNS TABLE (metric text, sessions bigint, percent numeric)
LANGUAGE plpgsql VOLATILE PARALLEL UNSAFE
SET search_path = pg_catalog, pg_temp
AS $fn$
#variable_conflict use_column
DECLARE
    -- On Citus each node keeps its own pending sessions (50_citus.sql); read
    -- apart from the sessions' counts, which Citus sums over the shards.
    pending bigint := @extschema@.cowrie_pending_count(
        CASE WHEN @extschema@.cowrie_citus_sessions() THEN @extschema@.cowrie_citus_nodes() END);
BEGIN
    RETURN QUERY
        WITH c AS (
            SELECT pg_catalog.count(*) AS total,
                   pg_catalog.count(source_ip) AS with_source_ip,
                   pg_catalog.count(snapshot_country) AS with_country,
                   pg_catalog.count(*) FILTER (WHERE snapshot_country <> 'XX') AS with_real_country,
                   pg_catalog.count(*) FILTER (WHERE snapshot_country = 'XX') AS with_xx,
                   pg_catalog.count(snapshot_asn) AS with_asn,
                   pg_catalog.count(snapshot_ip_type) AS with_ip_type
            FROM @extschema@.session_summaries)
        SELECT m.metric, m.n, CASE WHEN c.total > 0 THEN pg_catalog.round(100.0 * m.n / c.total, 2) END
        FROM c, LATERAL (VALUES ('sessions', c.total), ('with_source_ip', c.with_source_ip),
                                ('with_snapshot_country', c.with_country),
                                ('with_country_code', c.with_real_country), ('with_country_xx', c.with_xx),
                                ('with_snapshot_asn', c.with_asn), ('with_snapshot_ip_type', c.with_ip_type),
                                ('waiting_for_inventory', pending)) m(metric, n);
END
$fn$;
COMMENT ON FUNCTION @extschema@.cowrie_snapshot_coverage() IS
'Snapshot coverage of session_summaries: counts and percentages (with_snapshot_country counts the XX sentinel; upstream''s target is 95%; waiting_for_inventory: sessions whose public IP has no inventory row yet)';
