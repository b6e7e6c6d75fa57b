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
-- does not own, hence the lookup first. A relation that already has the name is
-- adopted only when it is this index: on this table (so owned by its owner),
-- valid, with this definition. Anything else is refused, never skipped: a
-- missing session index turns a scheduled backfill of nothing into a full
-- scan, and a table squatting the name cost 327 s instead of 1 s (issue 28).
-- spec is what pg_get_indexdef prints after the table name ('USING btree
-- (col)'); storage parameters (ALTER INDEX ... SET) are not compared.
CREATE OR REPLACE FUNCTION @extschema@.cowrie_create_index(index_name text, table_name text, spec text) RETURNS boolean
LANGUAGE plpgsql VOLATILE PARALLEL UNSAFE
SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
    tbl regclass := table_name::regclass;
    existing record;
    def text;
    what text;
BEGIN
    SELECT c.oid, c.relkind, c.relowner::regrole AS owner, c.reloptions, i.indrelid, i.indisunique,
           i.indisvalid AND i.indisready AND i.indislive AS usable
    INTO existing
    FROM pg_catalog.pg_class c LEFT JOIN pg_catalog.pg_index i ON i.indexrelid = c.oid
    WHERE c.relname = index_name
      AND c.relnamespace = (SELECT t.relnamespace FROM pg_catalog.pg_class t WHERE t.oid = tbl);
    IF NOT FOUND THEN
        EXECUTE pg_catalog.format('CREATE INDEX %I ON %s %s', index_name, tbl, spec);
        RETURN true;
    END IF;
    IF existing.relkind IN ('i', 'I') THEN
        def := pg_catalog.pg_get_indexdef(existing.oid);
        IF existing.reloptions IS NOT NULL THEN
            def := pg_catalog.regexp_replace(def, ' WITH \([^()]*\)', '');
        END IF;
        def := pg_catalog.substr(def, pg_catalog.strpos(def, ' USING ') + 1);
        IF existing.indrelid = tbl AND NOT existing.indisunique AND existing.usable AND def = spec THEN
            RETURN false;
        END IF;
        what := CASE
            WHEN existing.indrelid <> tbl THEN pg_catalog.format('an index on %s (owner %s)', existing.indrelid::regclass, existing.owner)
            WHEN NOT existing.usable THEN pg_catalog.format('an index on %s (owner %s) that is not valid (an interrupted CREATE INDEX CONCURRENTLY or REINDEX?)', tbl, existing.owner)
            ELSE pg_catalog.format('an index on %s (owner %s) defined as %s%s', tbl, existing.owner,
                                   CASE WHEN existing.indisunique THEN 'UNIQUE ' ELSE '' END, def)
        END;
    ELSE
        what := pg_catalog.format('a %s owned by %s', CASE existing.relkind
            WHEN 'r' THEN 'table' WHEN 'p' THEN 'partitioned table' WHEN 'v' THEN 'view'
            WHEN 'm' THEN 'materialized view' WHEN 'S' THEN 'sequence' WHEN 'f' THEN 'foreign table'
            WHEN 'c' THEN 'composite type' ELSE pg_catalog.format('relation of kind %s', existing.relkind) END, existing.owner);
    END IF;
    RAISE EXCEPTION 'cowrie_snapshot: cannot create index %: the name is taken', pg_catalog.quote_ident(index_name)
        USING ERRCODE = 'object_not_in_prerequisite_state',
              DETAIL = pg_catalog.format('%s is %s; the migration needs an index on %s %s.',
                                         existing.oid::regclass, what, tbl, spec),
              HINT = pg_catalog.format('Drop or rename %s (or replace it with CREATE INDEX %I ON %s %s), then run the migration '
                                       'again: CREATE EXTENSION, ALTER EXTENSION cowrie_snapshot UPDATE or SELECT cowrie_migrate().',
                                       existing.oid::regclass, index_name, tbl, spec);
END
$fn$;
COMMENT ON FUNCTION @extschema@.cowrie_create_index(text, text, text) IS
'Internal: CREATE INDEX name ON table spec, or adopts the same valid index on that table; refuses any other object of that name (55000)';

-- The migration's triggers are found by name; one of that name calling
-- another function (made by a role with the TRIGGER privilege) would be taken
-- for the extension's and the extension's never installed.
CREATE OR REPLACE FUNCTION @extschema@.cowrie_check_trigger_name(table_name text, trigger_name text, function_name text) RETURNS void
LANGUAGE plpgsql STABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
    tbl regclass := table_name::regclass;
    fn regprocedure := function_name::regprocedure;
    other regprocedure;
BEGIN
    SELECT t.tgfoid INTO other FROM pg_catalog.pg_trigger t
    WHERE t.tgrelid = tbl AND t.tgname = trigger_name AND t.tgfoid <> fn;
    IF FOUND THEN
        RAISE EXCEPTION 'cowrie_snapshot: trigger % on % is not the extension''s', pg_catalog.quote_ident(trigger_name), tbl
            USING ERRCODE = 'object_not_in_prerequisite_state',
                  DETAIL = pg_catalog.format('It executes %s (owner %s); the extension''s executes %s.',
                                             other, (SELECT p.proowner::regrole FROM pg_catalog.pg_proc p WHERE p.oid = other), fn),
                  HINT = pg_catalog.format('Drop or rename it (ALTER TRIGGER %I ON %s RENAME TO ...), then run the migration '
                                           'again: CREATE EXTENSION, ALTER EXTENSION cowrie_snapshot UPDATE or SELECT cowrie_migrate().',
                                           trigger_name, tbl);
    END IF;
END
$fn$;
COMMENT ON FUNCTION @extschema@.cowrie_check_trigger_name(text, text, text) IS
'Internal: refuses (55000) a trigger of the extension''s name on the table that executes another function';

-- Tables holding user data are never extension members: DROP EXTENSION keeps
-- them, pg_dump dumps them. (The backfill's queue and pending sessions are
-- the extension's state: members, their rows dumped through
-- pg_extension_config_dump.)
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
          -- the backfill's own queues stay the extension's
          AND c.oid NOT IN ('@extschema@.cowrie_inventory_queue'::pg_catalog.regclass, '@extschema@.cowrie_pending_sessions'::pg_catalog.regclass)
    LOOP
        EXECUTE pg_catalog.format('ALTER EXTENSION cowrie_snapshot DROP %s %s',
                                  CASE rel.relkind WHEN 'S' THEN 'SEQUENCE' ELSE 'TABLE' END, rel.name);
    END LOOP;
END
$fn$;
COMMENT ON FUNCTION @extschema@.cowrie_disown_tables() IS
'Internal: tables created by the migration hold user data, so they are not extension members';
