------------------------------------------------------------------------------
-- ip_inventory.ip_types follows the inventory's document: upstream's
-- enricher writes SPUR data into enrichment and never fills ip_types, so a
-- BEFORE INSERT OR UPDATE trigger (installed by phase 3) derives them, unless
-- the statement writes ip_types itself or the row holds types that are not
-- its document's. The backfill then finds the sessions
-- an IP's later types reach with one index probe, without reading documents.
------------------------------------------------------------------------------

CREATE OR REPLACE FUNCTION @extschema@.cowrie_inventory_types_trigger() RETURNS trigger
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $fn$
BEGIN
    IF TG_OP = 'INSERT' THEN
        IF NEW.ip_types IS NULL OR NEW.ip_types = '{}'::text[] THEN
            NEW.ip_types := @extschema@.cowrie_ip_types(NEW.enrichment::jsonb);
        END IF;
    ELSIF NEW.enrichment IS DISTINCT FROM OLD.enrichment AND NEW.ip_types IS NOT DISTINCT FROM OLD.ip_types
          -- types someone wrote of their own (not the old document's) are kept
          AND (OLD.ip_types IS NULL OR OLD.ip_types = '{}'::text[]
               OR OLD.ip_types = @extschema@.cowrie_ip_types(OLD.enrichment::jsonb)) THEN
        NEW.ip_types := @extschema@.cowrie_ip_types(NEW.enrichment::jsonb);
    END IF;
    RETURN NEW;
END
$fn$;
COMMENT ON FUNCTION @extschema@.cowrie_inventory_types_trigger() IS
'BEFORE INSERT OR UPDATE row trigger on ip_inventory: ip_types derived from the document (cowrie_ip_types) unless the statement writes them or they are not the document''s';
-- As the session trigger: only the migration attaches it.
REVOKE EXECUTE ON FUNCTION @extschema@.cowrie_inventory_types_trigger() FROM PUBLIC;
