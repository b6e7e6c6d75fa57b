------------------------------------------------------------------------------
-- Phase 1: session_summaries.source_ip (filled in phase 4, with the
-- snapshots, in one write).
------------------------------------------------------------------------------

CREATE OR REPLACE FUNCTION @extschema@.cowrie_migrate_phase1_source_ip() RETURNS void
LANGUAGE plpgsql VOLATILE PARALLEL UNSAFE
SET search_path = pg_catalog, pg_temp
AS $fn$
BEGIN
    IF NOT @extschema@.cowrie_has_column('@extschema@.session_summaries'::pg_catalog.regclass, 'source_ip') THEN
        ALTER TABLE @extschema@.session_summaries ADD COLUMN source_ip varchar(45);
    END IF;
END
$fn$;
COMMENT ON FUNCTION @extschema@.cowrie_migrate_phase1_source_ip() IS 'Internal: v16 phase 1 (session_summaries.source_ip)';
