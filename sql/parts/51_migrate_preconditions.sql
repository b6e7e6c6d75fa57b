------------------------------------------------------------------------------
-- The v16 migration (upstream-cowrieprocessor.md §2, without bugs B1-B21),
-- one file per phase, run in order by cowrie_migrate() (59_migrate.sql) in one
-- transaction: any error rolls everything back, and a second run on a
-- migrated database changes nothing.
--
-- Preconditions: the schema version the database is at (NULL when there are
-- no cowrie tables), and a lock that lets readers go on until the first ALTER.
------------------------------------------------------------------------------

CREATE OR REPLACE FUNCTION @extschema@.cowrie_migrate_source_version() RETURNS integer
LANGUAGE plpgsql VOLATILE PARALLEL UNSAFE
SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
    sessions regclass := pg_catalog.to_regclass('@extschema@.session_summaries');
    state regclass := pg_catalog.to_regclass('@extschema@.schema_state');
    version_text text;
    enrichment_type regtype;
BEGIN
    IF sessions IS NULL AND state IS NULL THEN
        RETURN NULL;
    END IF;
    IF sessions IS NULL THEN
        RAISE EXCEPTION 'cowrie_snapshot: schema_state exists but session_summaries does not'
            USING ERRCODE = 'object_not_in_prerequisite_state',
                  DETAIL = pg_catalog.format('Found %s without %s.', state, '@extschema@.session_summaries'),
                  HINT = 'Install the extension in the schema that holds the cowrie tables.';
    END IF;
    IF state IS NOT NULL THEN
        -- Dynamic: schema_state may be missing, and its value column is text or varchar.
        EXECUTE 'SELECT value::pg_catalog.text FROM @extschema@.schema_state WHERE key::pg_catalog.text = $1'
            INTO version_text USING 'schema_version'::text;
    END IF;
    IF version_text IS NULL THEN
        RAISE EXCEPTION 'cowrie_snapshot: session_summaries has no schema version'
            USING ERRCODE = 'object_not_in_prerequisite_state',
                  DETAIL = pg_catalog.format('%s found, but %s.', sessions,
                      CASE WHEN state IS NULL THEN 'no schema_state table'
                           ELSE 'no schema_state row with key ''schema_version''' END),
                  HINT = 'Bring the database to schema v15 with cowrieprocessor first, or insert the schema_version row if you know it is v15.';
    END IF;
    IF version_text !~ '^\s*[0-9]{1,9}\s*$' OR pg_catalog.btrim(version_text)::integer < 15 THEN
        RAISE EXCEPTION 'cowrie_snapshot: schema version % is not supported', pg_catalog.quote_literal(version_text)
            USING ERRCODE = 'object_not_in_prerequisite_state',
                  DETAIL = pg_catalog.format('schema_state.schema_version is %L; the v16 migration needs 15 or later.', version_text),
                  HINT = 'Run cowrieprocessor''s own migrations up to v15 first; nothing was changed.';
    END IF;

    -- Writers wait for the migration; readers go on until the first ALTER.
    LOCK TABLE @extschema@.session_summaries IN SHARE MODE;
    SELECT a.atttypid INTO enrichment_type FROM pg_catalog.pg_attribute a
    WHERE a.attrelid = sessions AND a.attname = 'enrichment' AND NOT a.attisdropped AND a.attnum > 0;
    IF enrichment_type IS NULL OR enrichment_type NOT IN ('pg_catalog.json'::regtype, 'pg_catalog.jsonb'::regtype) THEN
        RAISE EXCEPTION 'cowrie_snapshot: session_summaries.enrichment is not json or jsonb'
            USING ERRCODE = 'object_not_in_prerequisite_state',
                  DETAIL = pg_catalog.format('Its type is %s.', COALESCE((SELECT pg_catalog.format_type(a.atttypid, a.atttypmod)
                      FROM pg_catalog.pg_attribute a WHERE a.attrelid = sessions
                        AND a.attname = 'enrichment' AND NOT a.attisdropped), 'missing')),
                  HINT = 'cowrieprocessor stores enrichment as json (or jsonb in old databases); nothing was changed.';
    END IF;
    RETURN pg_catalog.btrim(version_text)::integer;
END
$fn$;
COMMENT ON FUNCTION @extschema@.cowrie_migrate_source_version() IS
'Internal: the schema version the migration starts from (NULL without cowrie tables); checks the preconditions and locks session_summaries in SHARE mode';

-- What the migration adopts and writes: tables it can trust, carrying no code
-- of another role that its writes would run as the installing role (a
-- superuser). Checked before anything is written.
CREATE OR REPLACE FUNCTION @extschema@.cowrie_migrate_check_objects() RETURNS void
LANGUAGE plpgsql STABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
    sessions regclass := '@extschema@.session_summaries'::regclass;
    rel regclass;
    foreign_code text[] := '{}';
BEGIN
    IF (SELECT c.relkind FROM pg_catalog.pg_class c WHERE c.oid = sessions) NOT IN ('r', 'p') THEN
        RAISE EXCEPTION 'cowrie_snapshot: session_summaries is not a table'
            USING ERRCODE = 'object_not_in_prerequisite_state',
                  DETAIL = pg_catalog.format('%s has relkind %s.', sessions,
                      (SELECT c.relkind FROM pg_catalog.pg_class c WHERE c.oid = sessions)),
                  HINT = 'The migration needs cowrieprocessor''s session_summaries table; nothing was changed.';
    END IF;
    -- Snapshot columns someone added before: the trigger's own rule (C) says
    -- which types it reads and writes them as.
    foreign_code := NULLIF(@extschema@.cowrie_session_columns_refused(sessions), '{}');
    -- The inventory columns the trigger and the lookup read, in a table adopted.
    IF pg_catalog.to_regclass('@extschema@.ip_inventory') IS NOT NULL THEN
        SELECT COALESCE(foreign_code, '{}') || pg_catalog.array_agg(pg_catalog.format('ip_inventory.%s is %s (expected %s)', a.attname,
                   pg_catalog.format_type(a.atttypid, a.atttypmod), w.expected) ORDER BY a.attnum)
          INTO foreign_code
        FROM pg_catalog.pg_attribute a
        JOIN (VALUES ('ip_address', ARRAY['pg_catalog.varchar', 'pg_catalog.text']::regtype[], 'varchar or text'),
                     ('current_asn', ARRAY['pg_catalog.int4']::regtype[], 'integer'),
                     ('enrichment', ARRAY['pg_catalog.json', 'pg_catalog.jsonb']::regtype[], 'json or jsonb'),
                     ('enrichment_updated_at', ARRAY['pg_catalog.timestamptz', 'pg_catalog.timestamp']::regtype[], 'timestamptz or timestamp')) w(col, types, expected)
          ON w.col = a.attname
        WHERE a.attrelid = pg_catalog.to_regclass('@extschema@.ip_inventory') AND a.attnum > 0 AND NOT a.attisdropped
          AND a.atttypid::regtype <> ALL (w.types);
        IF foreign_code = '{}' THEN
            foreign_code := NULL;
        END IF;
    END IF;
    IF foreign_code IS NOT NULL THEN
        RAISE EXCEPTION 'cowrie_snapshot: session_summaries or ip_inventory has columns of the wrong type'
            USING ERRCODE = 'object_not_in_prerequisite_state',
                  DETAIL = pg_catalog.array_to_string(foreign_code, '; ') || '.',
                  HINT = 'Convert them (ALTER TABLE session_summaries ALTER COLUMN ... TYPE ...) or drop them if they hold nothing; nothing was changed.';
    END IF;
    PERFORM @extschema@.cowrie_check_layout();
    foreign_code := '{}';
    FOREACH rel IN ARRAY ARRAY[pg_catalog.to_regclass('@extschema@.ip_inventory'), pg_catalog.to_regclass('@extschema@.asn_inventory'),
                               pg_catalog.to_regclass('@extschema@.raw_events'), pg_catalog.to_regclass('@extschema@.schema_state')] LOOP
        CONTINUE WHEN rel IS NULL;
        PERFORM @extschema@.cowrie_check_trusted_table(rel);
    END LOOP;
    -- Each partition is written directly, so it is checked as the table is.
    FOREACH rel IN ARRAY @extschema@.cowrie_session_heaps() LOOP
        CONTINUE WHEN rel = sessions;
        PERFORM @extschema@.cowrie_check_trusted_table(rel);
    END LOOP;
    FOREACH rel IN ARRAY ARRAY[sessions, pg_catalog.to_regclass('@extschema@.ip_inventory'), pg_catalog.to_regclass('@extschema@.asn_inventory'),
                               pg_catalog.to_regclass('@extschema@.schema_state')]
                               || ARRAY(SELECT h FROM pg_catalog.unnest(@extschema@.cowrie_session_heaps()) h WHERE h <> sessions) LOOP
        CONTINUE WHEN rel IS NULL;
        foreign_code := foreign_code || @extschema@.cowrie_foreign_code(rel);
    END LOOP;
    IF pg_catalog.cardinality(foreign_code) > 0 THEN
        RAISE EXCEPTION 'cowrie_snapshot: the migration would run code of another role as %', CURRENT_USER
            USING ERRCODE = 'object_not_in_prerequisite_state',
                  DETAIL = pg_catalog.array_to_string(foreign_code, '; ') || '.',
                  HINT = 'Disable those triggers for the migration (ALTER TABLE ... DISABLE TRIGGER name, ENABLE afterwards), or have a superuser review the functions and take them over (ALTER FUNCTION ... OWNER TO); nothing was changed.';
    END IF;
END
$fn$;
COMMENT ON FUNCTION @extschema@.cowrie_migrate_check_objects() IS
'Internal: refuses (55000) to adopt untrusted tables or to run code of other roles, before the migration writes anything';
