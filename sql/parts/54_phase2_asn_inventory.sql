------------------------------------------------------------------------------
-- Phase 2: asn_inventory, one row per ASN the sessions name, from its latest
-- session. The ORM-shaped table upstream's create_all leaves behind is
-- adopted as it is.
------------------------------------------------------------------------------

CREATE OR REPLACE FUNCTION @extschema@.cowrie_migrate_phase2_asn_inventory() RETURNS jsonb
LANGUAGE plpgsql VOLATILE PARALLEL UNSAFE
SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
    inserted bigint;
    relaxed boolean := false;
BEGIN
    IF pg_catalog.to_regclass('@extschema@.asn_inventory') IS NULL THEN
        -- rir_registry, not the migration's `registry`: it is what upstream's code writes.
        CREATE TABLE @extschema@.asn_inventory (
            asn_number integer NOT NULL PRIMARY KEY CHECK (asn_number > 0),
            organization_name text,
            -- Either case: cowrie-enrich-asn writes the code as it gets it (`us`).
            organization_country varchar(2)
                CHECK (organization_country IS NULL OR organization_country::text ~ '^[A-Za-z]{2}$'),
            rir_registry varchar(10),
            asn_type text,
            is_known_hosting boolean DEFAULT false,
            is_known_vpn boolean DEFAULT false,
            first_seen timestamptz NOT NULL,
            last_seen timestamptz NOT NULL,
            unique_ip_count integer DEFAULT 0,
            total_session_count integer DEFAULT 0,
            enrichment jsonb DEFAULT '{}'::jsonb,
            enrichment_updated_at timestamptz,
            created_at timestamptz NOT NULL DEFAULT pg_catalog.now(),
            updated_at timestamptz NOT NULL DEFAULT pg_catalog.now());
    END IF;
    -- 1.2 and upstream's v16 DDL checked '^[A-Z]{2}$', which rejects every
    -- run of cowrie-enrich-asn that meets a lower-case code: that exact check
    -- becomes the one above (a superset, so the rows already there pass).
    IF EXISTS (SELECT FROM pg_catalog.pg_constraint
               WHERE conrelid = '@extschema@.asn_inventory'::regclass AND contype = 'c'
                 AND conname = 'asn_inventory_organization_country_check'
                 AND pg_catalog.pg_get_constraintdef(oid) IN (
                     'CHECK (((organization_country IS NULL) OR ((organization_country)::text ~ ''^[A-Z]{2}$''::text)))')) THEN
        ALTER TABLE @extschema@.asn_inventory
            DROP CONSTRAINT asn_inventory_organization_country_check,
            ADD CONSTRAINT asn_inventory_organization_country_check
                CHECK (organization_country IS NULL OR organization_country::text ~ '^[A-Za-z]{2}$');
        relaxed := true;
    END IF;
    PERFORM @extschema@.cowrie_create_index('idx_asn_org_name', '@extschema@.asn_inventory', 'USING btree (organization_name)');
    PERFORM @extschema@.cowrie_create_index('idx_asn_type', '@extschema@.asn_inventory', 'USING btree (asn_type)');
    PERFORM @extschema@.cowrie_create_index('idx_asn_session_count', '@extschema@.asn_inventory', 'USING btree (total_session_count DESC)');

    WITH latest AS (
        SELECT DISTINCT ON (asn) asn, session_id FROM pg_temp.cowrie_migrate_facts
        WHERE asn IS NOT NULL
        ORDER BY asn, last_event_at DESC NULLS LAST, session_id),
    agg AS (
        SELECT asn,
               COALESCE(pg_catalog.min(first_event_at), pg_catalog.min(created_at), pg_catalog.now()) AS first_seen,
               COALESCE(pg_catalog.max(last_event_at), pg_catalog.max(created_at), pg_catalog.now()) AS last_seen,
               pg_catalog.count(DISTINCT ip) AS ips, pg_catalog.count(*) AS n
        FROM pg_temp.cowrie_migrate_facts WHERE asn IS NOT NULL GROUP BY asn)
    INSERT INTO @extschema@.asn_inventory AS a
        (asn_number, first_seen, last_seen, unique_ip_count, total_session_count, enrichment)
    SELECT agg.asn, agg.first_seen, agg.last_seen, agg.ips, agg.n, @extschema@.cowrie_jsonb_safe(s.enrichment)
    FROM agg JOIN latest USING (asn)
    JOIN @extschema@.session_summaries s ON s.session_id = latest.session_id
    ON CONFLICT (asn_number) DO NOTHING;
    GET DIAGNOSTICS inserted = ROW_COUNT;
    RETURN pg_catalog.jsonb_build_object('asn_inventory_inserted', inserted)
        || CASE WHEN relaxed THEN '{"asn_country_check_relaxed": 1}'::jsonb ELSE '{}' END;
END
$fn$;
COMMENT ON FUNCTION @extschema@.cowrie_migrate_phase2_asn_inventory() IS 'Internal: v16 phase 2 (asn_inventory)';
