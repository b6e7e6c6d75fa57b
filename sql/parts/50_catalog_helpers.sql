------------------------------------------------------------------------------
-- Catalog helpers of the migration. Text parameters, not name: an unknown
-- literal prefers text, so a planted f(regclass, text) look-alike would beat
-- an f(regclass, name) for a call written with a literal.
------------------------------------------------------------------------------

CREATE OR REPLACE FUNCTION @extschema@.cowrie_has_column(tbl regclass, col text) RETURNS boolean
LANGUAGE sql STABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
-- A standard SQL body is parsed at CREATE time, under the script's search_path,
-- not this one: its operators are named and exactly typed.
RETURN EXISTS (SELECT FROM pg_catalog.pg_attribute a
               WHERE a.attrelid OPERATOR(pg_catalog.=) tbl::pg_catalog.oid
                 AND a.attname OPERATOR(pg_catalog.=) col AND NOT a.attisdropped
                 AND a.attnum OPERATOR(pg_catalog.>) 0::pg_catalog.int2);
COMMENT ON FUNCTION @extschema@.cowrie_has_column(regclass, text) IS 'Backfill internals (the migration uses it too): does the table have this column';

CREATE OR REPLACE FUNCTION @extschema@.cowrie_has_constraint(tbl regclass, con text) RETURNS boolean
LANGUAGE sql STABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
RETURN EXISTS (SELECT FROM pg_catalog.pg_constraint c
               WHERE c.conrelid OPERATOR(pg_catalog.=) tbl::pg_catalog.oid AND c.conname OPERATOR(pg_catalog.=) con);
COMMENT ON FUNCTION @extschema@.cowrie_has_constraint(regclass, text) IS 'Internal: does the table have this constraint';

-- IF NOT EXISTS is refused inside extension scripts for objects the extension
-- does not own, hence the lookup first.
CREATE OR REPLACE FUNCTION @extschema@.cowrie_create_index(index_name text, definition text) RETURNS boolean
LANGUAGE plpgsql VOLATILE PARALLEL UNSAFE
SET search_path = pg_catalog, pg_temp
AS $fn$
BEGIN
    IF pg_catalog.to_regclass(pg_catalog.quote_ident('@extschema@') || '.' || pg_catalog.quote_ident(index_name)) IS NOT NULL THEN
        RETURN false;
    END IF;
    EXECUTE pg_catalog.format('CREATE INDEX %I ON %s', index_name, definition);
    RETURN true;
END
$fn$;
COMMENT ON FUNCTION @extschema@.cowrie_create_index(text, text) IS 'Internal: CREATE INDEX name ON definition, unless it exists';

-- Tables holding user data are never extension members: DROP EXTENSION keeps
-- them, pg_dump dumps them.
CREATE OR REPLACE FUNCTION @extschema@.cowrie_disown_tables() RETURNS void
LANGUAGE plpgsql VOLATILE PARALLEL UNSAFE
SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
    rel record;
BEGIN
    FOR rel IN
        SELECT c.oid::pg_catalog.regclass AS name, c.relkind FROM pg_catalog.pg_depend d
        JOIN pg_catalog.pg_class c ON c.oid = d.objid
        JOIN pg_catalog.pg_extension e ON e.oid = d.refobjid
        WHERE d.classid = 'pg_catalog.pg_class'::pg_catalog.regclass
          AND d.refclassid = 'pg_catalog.pg_extension'::pg_catalog.regclass
          AND e.extname = 'cowrie_snapshot' AND d.deptype = 'e'
          AND c.relkind IN ('r', 'p', 'S') AND c.relpersistence <> 't'
    LOOP
        EXECUTE pg_catalog.format('ALTER EXTENSION cowrie_snapshot DROP %s %s',
                                  CASE rel.relkind WHEN 'S' THEN 'SEQUENCE' ELSE 'TABLE' END, rel.name);
    END LOOP;
END
$fn$;
COMMENT ON FUNCTION @extschema@.cowrie_disown_tables() IS
'Internal: tables created by the migration hold user data, so they are not extension members';
