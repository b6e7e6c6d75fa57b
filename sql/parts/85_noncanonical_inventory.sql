------------------------------------------------------------------------------
-- Inventory rows keyed by text that is not a canonical IP: upstream keyed
-- ip_inventory by dshield's raw text. The migration keeps them (never
-- deletes a row) and points sessions at the canonical key instead; this
-- lists them so the operator can remove those nothing references.
------------------------------------------------------------------------------

CREATE OR REPLACE FUNCTION @extschema@.cowrie_noncanonical_inventory()
RETURNS TABLE (ip_address text, canonical_ip text, referencing_sessions bigint)
LANGUAGE plpgsql STABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $fn$
#variable_conflict use_column
DECLARE
    keys text[];
BEGIN
    -- The keys first, then their sessions by the index on source_ip: no
    -- subquery per inventory row (on Citus, a reference table beside the
    -- distributed sessions, that is refused).
    keys := ARRAY(SELECT i.ip_address::pg_catalog.text FROM @extschema@.ip_inventory i
                  WHERE @extschema@.cowrie_normalize_ip(i.ip_address::pg_catalog.text) IS DISTINCT FROM i.ip_address::pg_catalog.text);
    RETURN QUERY
        SELECT k.ip, @extschema@.cowrie_normalize_ip(k.ip), COALESCE(c.n, 0)
        FROM pg_catalog.unnest(keys) k(ip)
        LEFT JOIN (SELECT s.source_ip::pg_catalog.text AS ip, pg_catalog.count(*) AS n
                   FROM @extschema@.session_summaries s
                   WHERE s.source_ip::pg_catalog.text = ANY (keys)
                   GROUP BY 1) c ON c.ip = k.ip
        ORDER BY 1;
END
$fn$;
COMMENT ON FUNCTION @extschema@.cowrie_noncanonical_inventory() IS
'ip_inventory rows whose key is not a canonical IP (upstream''s raw text), with the canonical IP (NULL: not an IP) and the sessions still referencing each';
