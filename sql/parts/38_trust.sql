------------------------------------------------------------------------------
-- Whose code runs. A superuser installs the extension and often schedules the
-- backfill; the tables belong to the application's role. Nothing here may run
-- another role's code as the superuser (CVE-2022-1552 is the same rule for
-- VACUUM, ANALYZE, CREATE INDEX and REFRESH).
------------------------------------------------------------------------------

CREATE OR REPLACE FUNCTION @extschema@.cowrie_as_owner(rel regclass, step regprocedure, args jsonb) RETURNS jsonb
LANGUAGE c VOLATILE STRICT PARALLEL UNSAFE
AS 'MODULE_PATHNAME', 'cowrie_as_owner';
COMMENT ON FUNCTION @extschema@.cowrie_as_owner(regclass, regprocedure, jsonb) IS
'Internal: runs one of the extension''s (jsonb) -> jsonb steps as the owner of rel in a security-restricted operation (a caller without the owner''s privileges stays itself)';

-- An existing relation under a name the extension uses is adopted only when it
-- is a table of the owner of session_summaries or of the installing role: a
-- view, or a table another role created first, would run that role's code
-- (its view functions, triggers, defaults) as whoever migrates or backfills.
CREATE OR REPLACE FUNCTION @extschema@.cowrie_check_trusted_table(rel regclass) RETURNS void
LANGUAGE plpgsql STABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
    found record;
    sessions_owner oid := (SELECT c.relowner FROM pg_catalog.pg_class c
                           WHERE c.oid = pg_catalog.to_regclass('@extschema@.session_summaries'));
    installer oid := (SELECT e.extowner FROM pg_catalog.pg_extension e WHERE e.extname = 'cowrie_snapshot');
BEGIN
    SELECT c.relkind, c.relowner INTO found FROM pg_catalog.pg_class c WHERE c.oid = rel;
    IF found.relkind IN ('r', 'p') AND (found.relowner = sessions_owner OR found.relowner = installer) THEN
        RETURN;
    END IF;
    RAISE EXCEPTION 'cowrie_snapshot: % is not a table the extension can trust', rel
        USING ERRCODE = 'object_not_in_prerequisite_state',
              DETAIL = pg_catalog.format('%s is a %s owned by role %s; the extension uses only tables owned by the owner of session_summaries (%s) or by the role that installed it (%s).',
                  rel, CASE found.relkind WHEN 'r' THEN 'table' WHEN 'p' THEN 'partitioned table' WHEN 'v' THEN 'view'
                                          WHEN 'm' THEN 'materialized view' WHEN 'f' THEN 'foreign table'
                                          ELSE 'relation of kind ' || found.relkind::text END,
                  pg_catalog.quote_ident(pg_catalog.pg_get_userbyid(found.relowner)),
                  COALESCE(pg_catalog.quote_ident(pg_catalog.pg_get_userbyid(sessions_owner)), 'none'),
                  pg_catalog.quote_ident(pg_catalog.pg_get_userbyid(installer))),
              HINT = 'If it is yours, ALTER TABLE ... OWNER TO the owner of session_summaries; otherwise drop or rename it. Nothing was changed.';
END
$fn$;
COMMENT ON FUNCTION @extschema@.cowrie_check_trusted_table(regclass) IS
'Backfill internals (the migration uses it too): refuses (55000) a relation that is not a table of the owner of session_summaries or of the installing role';

-- Functions of roles other than superusers and the current one that a write
-- to (or a rewrite of) rel would run: through its triggers (enabled), rules,
-- policies, defaults and generated columns, constraints and index
-- expressions, directly or through an operator.
CREATE OR REPLACE FUNCTION @extschema@.cowrie_foreign_code(rel regclass) RETURNS text[]
LANGUAGE sql STABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
BEGIN ATOMIC
    WITH parts AS (
        SELECT d.classid, d.objid FROM pg_catalog.pg_depend d
        WHERE d.refclassid OPERATOR(pg_catalog.=) 'pg_catalog.pg_class'::pg_catalog.regclass
          AND d.refobjid OPERATOR(pg_catalog.=) rel::pg_catalog.oid
          AND d.classid OPERATOR(pg_catalog.=) ANY (ARRAY['pg_catalog.pg_trigger'::pg_catalog.regclass, 'pg_catalog.pg_rewrite'::pg_catalog.regclass,
                                                         'pg_catalog.pg_policy'::pg_catalog.regclass, 'pg_catalog.pg_attrdef'::pg_catalog.regclass,
                                                         'pg_catalog.pg_constraint'::pg_catalog.regclass, 'pg_catalog.pg_class'::pg_catalog.regclass]::pg_catalog.oid[])
          AND NOT EXISTS (SELECT FROM pg_catalog.pg_trigger t
                          WHERE d.classid OPERATOR(pg_catalog.=) 'pg_catalog.pg_trigger'::pg_catalog.regclass
                            AND t.oid OPERATOR(pg_catalog.=) d.objid AND t.tgenabled OPERATOR(pg_catalog.=) 'D'::pg_catalog."char")),
    called AS (
        SELECT p.classid, p.objid, d.refobjid AS fn FROM parts p
        JOIN pg_catalog.pg_depend d ON d.classid OPERATOR(pg_catalog.=) p.classid AND d.objid OPERATOR(pg_catalog.=) p.objid
        WHERE d.refclassid OPERATOR(pg_catalog.=) 'pg_catalog.pg_proc'::pg_catalog.regclass
        UNION
        SELECT p.classid, p.objid, o.oprcode::pg_catalog.oid FROM parts p
        JOIN pg_catalog.pg_depend d ON d.classid OPERATOR(pg_catalog.=) p.classid AND d.objid OPERATOR(pg_catalog.=) p.objid
        JOIN pg_catalog.pg_operator o ON o.oid OPERATOR(pg_catalog.=) d.refobjid
        WHERE d.refclassid OPERATOR(pg_catalog.=) 'pg_catalog.pg_operator'::pg_catalog.regclass)
    SELECT COALESCE(pg_catalog.array_agg(DISTINCT pg_catalog.format('%s calls %s of role %s',
                        pg_catalog.pg_describe_object(c.classid, c.objid, 0), c.fn::pg_catalog.regprocedure,
                        pg_catalog.quote_ident(r.rolname))), '{}'::pg_catalog.text[])
    FROM called c
    JOIN pg_catalog.pg_proc f ON f.oid OPERATOR(pg_catalog.=) c.fn
    JOIN pg_catalog.pg_roles r ON r.oid OPERATOR(pg_catalog.=) f.proowner
    WHERE NOT r.rolsuper AND r.rolname OPERATOR(pg_catalog.<>) CURRENT_USER;
END;
COMMENT ON FUNCTION @extschema@.cowrie_foreign_code(regclass) IS
'Internal: the functions of other non-superuser roles that a write to the table would run (triggers, rules, policies, defaults, constraints, indexes)';
