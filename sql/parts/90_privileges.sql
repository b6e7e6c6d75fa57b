------------------------------------------------------------------------------
-- The migration and its helpers (comments starting "Internal:", DDL and SQL
-- text among them) are not executable by PUBLIC. The backfill's internals
-- ("Backfill internals:") stay executable: cowrie_backfill_commit cannot
-- carry SET, so whoever runs the backfill calls them with their own rights;
-- none takes SQL text or does more than that role may.
------------------------------------------------------------------------------

DO $do$
DECLARE
    helper pg_catalog.regprocedure;
BEGIN
    FOR helper IN
        SELECT p.oid::pg_catalog.regprocedure FROM pg_catalog.pg_proc p
        JOIN pg_catalog.pg_depend d ON d.classid OPERATOR(pg_catalog.=) 'pg_catalog.pg_proc'::pg_catalog.regclass
             AND d.objid OPERATOR(pg_catalog.=) p.oid AND d.deptype OPERATOR(pg_catalog.=) 'e'
        JOIN pg_catalog.pg_extension e ON e.oid OPERATOR(pg_catalog.=) d.refobjid
             AND e.extname OPERATOR(pg_catalog.=) 'cowrie_snapshot'::pg_catalog.name
        WHERE pg_catalog.starts_with(pg_catalog.obj_description(p.oid, 'pg_proc'::pg_catalog.name), 'Internal:'::pg_catalog.text)
           OR p.oid OPERATOR(pg_catalog.=) '@extschema@.cowrie_migrate()'::pg_catalog.regprocedure
        ORDER BY 1
    LOOP
        EXECUTE pg_catalog.format('REVOKE EXECUTE ON FUNCTION %s FROM PUBLIC'::pg_catalog.text, helper);
    END LOOP;
END
$do$;
