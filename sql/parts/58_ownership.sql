------------------------------------------------------------------------------
-- After phase 5: the tables the migration created belong to the owner of
-- session_summaries (upstream's application owns its tables; a superuser only
-- installs the C extension), the roles that hold grants on session_summaries
-- get the same SELECT, INSERT and UPDATE on them (upstream's loader reads
-- ip_inventory, its enricher upserts it, its reports read both).
------------------------------------------------------------------------------

CREATE OR REPLACE FUNCTION @extschema@.cowrie_migrate_ownership() RETURNS jsonb
LANGUAGE plpgsql VOLATILE PARALLEL UNSAFE
SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
    owner_oid oid := (SELECT c.relowner FROM pg_catalog.pg_class c WHERE c.oid = '@extschema@.session_summaries'::regclass);
    owner_name text := pg_catalog.quote_ident(pg_catalog.pg_get_userbyid(owner_oid));
    installer oid := (SELECT e.extowner FROM pg_catalog.pg_extension e WHERE e.extname = 'cowrie_snapshot');
    tbl regclass;
    grant_row record;
    moved text[] := '{}';
BEGIN
    -- A table created by the installing role (now, or by 1.1) is handed over;
    -- one the application created itself keeps its owner and grants.
    FOREACH tbl IN ARRAY ARRAY['@extschema@.ip_inventory'::regclass, '@extschema@.asn_inventory'::regclass] LOOP
        IF (SELECT c.relowner FROM pg_catalog.pg_class c WHERE c.oid = tbl) IS DISTINCT FROM installer
           OR installer = owner_oid THEN
            CONTINUE;
        END IF;
        EXECUTE pg_catalog.format('ALTER TABLE %s OWNER TO %s', tbl, owner_name);
        FOR grant_row IN
            SELECT DISTINCT a.grantee, a.privilege_type
            FROM pg_catalog.pg_class c, LATERAL pg_catalog.aclexplode(c.relacl) a
            WHERE c.oid = '@extschema@.session_summaries'::regclass
              AND a.grantee <> owner_oid AND a.privilege_type IN ('SELECT', 'INSERT', 'UPDATE')
            ORDER BY a.grantee, a.privilege_type
        LOOP
            EXECUTE pg_catalog.format('GRANT %s ON %s TO %s', grant_row.privilege_type, tbl,
                CASE WHEN grant_row.grantee = 0 THEN 'PUBLIC'
                     ELSE pg_catalog.quote_ident(pg_catalog.pg_get_userbyid(grant_row.grantee)) END);
        END LOOP;
        moved := moved || tbl::text;
    END LOOP;
    -- The backfill's queue and pending sessions too: the application's role
    -- owns its data (row-level security keeps every other role to its rights).
    IF installer <> owner_oid THEN
        EXECUTE pg_catalog.format('ALTER TABLE @extschema@.cowrie_inventory_queue OWNER TO %s', owner_name);
        EXECUTE pg_catalog.format('ALTER TABLE @extschema@.cowrie_pending_sessions OWNER TO %s', owner_name);
    END IF;
    -- A superuser's or member role's backfill batch runs as the owner through it.
    EXECUTE pg_catalog.format('GRANT EXECUTE ON FUNCTION @extschema@.cowrie_as_owner(pg_catalog.regclass, pg_catalog.regprocedure, pg_catalog.jsonb) TO %s',
                              owner_name);
    RETURN pg_catalog.jsonb_build_object('tables_given_to_owner', moved);
END
$fn$;
COMMENT ON FUNCTION @extschema@.cowrie_migrate_ownership() IS
'Internal: hands the tables the migration created to the owner of session_summaries and mirrors its grants';
