------------------------------------------------------------------------------
-- Phase 3: ip_inventory, one row per distinct canonical IP, from its latest
-- session. An existing (ORM-shaped) table is adopted with ALTER: a table that
-- holds rows is never dropped (upstream B4).
------------------------------------------------------------------------------

-- The generated columns, total: a bad value falls through to the next source
-- and never fails the row (B8, B9). One a table already has is kept when its
-- expression is this one (compared as PostgreSQL prints both), else replaced:
-- upstream's geo_country fails every insert whose country is longer than two
-- characters, and a generated column holds nothing that is not derived.
CREATE OR REPLACE FUNCTION @extschema@.cowrie_migrate_generated_columns(names text[]) RETURNS text[]
LANGUAGE plpgsql VOLATILE PARALLEL UNSAFE
SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
    inv regclass := '@extschema@.ip_inventory'::regclass;
    probe regclass;
    defs text[] := ARRAY[
        ARRAY['geo_country', 'varchar(2)', $e$pg_catalog.upper(COALESCE(
                CASE WHEN (enrichment -> 'maxmind' ->> 'country') ~ '^[A-Za-z]{2}$' THEN enrichment -> 'maxmind' ->> 'country' END,
                CASE WHEN (enrichment -> 'cymru' ->> 'country') ~ '^[A-Za-z]{2}$' THEN enrichment -> 'cymru' ->> 'country' END,
                CASE WHEN (enrichment -> 'dshield' -> 'ip' ->> 'ascountry') ~ '^[A-Za-z]{2}$' THEN enrichment -> 'dshield' -> 'ip' ->> 'ascountry' END,
                'XX'))::varchar(2)$e$],
        ARRAY['is_scanner', 'boolean', $e$COALESCE(pg_catalog.lower(enrichment -> 'greynoise' ->> 'noise') IN ('true', 't', 'yes', 'y', 'on', '1'), false)$e$],
        ARRAY['is_bogon', 'boolean', $e$COALESCE(pg_catalog.lower(enrichment -> 'validation' ->> 'is_bogon') IN ('true', 't', 'yes', 'y', 'on', '1'), false)$e$]];
    replaced text[] := '{}';
BEGIN
    DROP TABLE IF EXISTS pg_temp.cowrie_generated_probe;
    CREATE TEMP TABLE cowrie_generated_probe (enrichment jsonb);
    probe := 'pg_temp.cowrie_generated_probe'::regclass;
    FOR i IN 1 .. pg_catalog.array_length(defs, 1) LOOP
        EXECUTE pg_catalog.format('ALTER TABLE pg_temp.cowrie_generated_probe ADD COLUMN %I %s GENERATED ALWAYS AS (%s) STORED',
                                  defs[i][1], defs[i][2], defs[i][3]);
    END LOOP;
    FOR i IN 1 .. pg_catalog.array_length(defs, 1) LOOP
        CONTINUE WHEN defs[i][1] <> ALL (names);
        IF @extschema@.cowrie_has_column(inv, defs[i][1]) THEN
            -- A plain column of that name is the application's: kept.
            CONTINUE WHEN NOT EXISTS (SELECT FROM pg_catalog.pg_attribute a WHERE a.attrelid = inv AND a.attname = defs[i][1]
                                      AND NOT a.attisdropped AND a.attgenerated = 's');
            CONTINUE WHEN (SELECT pg_catalog.pg_get_expr(d.adbin, d.adrelid) FROM pg_catalog.pg_attrdef d
                           JOIN pg_catalog.pg_attribute a ON a.attrelid = d.adrelid AND a.attnum = d.adnum
                           WHERE d.adrelid = inv AND a.attname = defs[i][1])
                          = (SELECT pg_catalog.pg_get_expr(d.adbin, d.adrelid) FROM pg_catalog.pg_attrdef d
                             JOIN pg_catalog.pg_attribute a ON a.attrelid = d.adrelid AND a.attnum = d.adnum
                             WHERE d.adrelid = probe AND a.attname = defs[i][1]);
            EXECUTE pg_catalog.format('ALTER TABLE @extschema@.ip_inventory DROP COLUMN %I', defs[i][1]);
            replaced := replaced || defs[i][1];
        END IF;
        EXECUTE pg_catalog.format('ALTER TABLE @extschema@.ip_inventory ADD COLUMN %I %s GENERATED ALWAYS AS (%s) STORED',
                                  defs[i][1], defs[i][2], defs[i][3]);
    END LOOP;
    DROP TABLE pg_temp.cowrie_generated_probe;
    RETURN replaced;
END
$fn$;
COMMENT ON FUNCTION @extschema@.cowrie_migrate_generated_columns(text[]) IS
'Internal: v16 phase 3, ip_inventory''s generated columns (added, or replaced when their expression is not the total one)';

CREATE OR REPLACE FUNCTION @extschema@.cowrie_migrate_ip_inventory_ddl() RETURNS jsonb
LANGUAGE plpgsql VOLATILE PARALLEL UNSAFE
SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
    inv regclass := pg_catalog.to_regclass('@extschema@.ip_inventory');
    replaced text[];
BEGIN
    IF inv IS NULL THEN
        CREATE TABLE @extschema@.ip_inventory (
            ip_address varchar(45) NOT NULL PRIMARY KEY,
            current_asn integer,
            asn_last_verified timestamptz,
            first_seen timestamptz NOT NULL,
            last_seen timestamptz NOT NULL,
            session_count integer DEFAULT 1 CHECK (session_count >= 0),
            enrichment jsonb NOT NULL DEFAULT '{}'::jsonb,
            enrichment_updated_at timestamptz,
            enrichment_version varchar(20) DEFAULT '2.2',
            created_at timestamptz NOT NULL DEFAULT pg_catalog.now(),
            updated_at timestamptz NOT NULL DEFAULT pg_catalog.now());
        inv := '@extschema@.ip_inventory'::regclass;
    ELSE
        IF (SELECT a.atttypid FROM pg_catalog.pg_attribute a WHERE a.attrelid = inv AND a.attname = 'enrichment')
           = 'pg_catalog.json'::regtype THEN
            ALTER TABLE @extschema@.ip_inventory
                ALTER COLUMN enrichment TYPE jsonb USING COALESCE(@extschema@.cowrie_jsonb_safe(enrichment), '{}'::jsonb),
                ALTER COLUMN enrichment SET DEFAULT '{}'::jsonb;
        END IF;
        IF (SELECT a.atttypmod FROM pg_catalog.pg_attribute a WHERE a.attrelid = inv AND a.attname = 'enrichment_version')
           < 24 THEN
            ALTER TABLE @extschema@.ip_inventory ALTER COLUMN enrichment_version TYPE varchar(20);
        END IF;
    END IF;
    -- On Citus, both inventories become reference tables before any trigger is put on them.
    PERFORM @extschema@.cowrie_citus_reference('@extschema@.asn_inventory'::pg_catalog.regclass);
    PERFORM @extschema@.cowrie_citus_reference(inv);
    -- In 1.0's column order: geo_country, ip_types, is_scanner, is_bogon.
    replaced := @extschema@.cowrie_migrate_generated_columns(ARRAY['geo_country']);
    IF NOT @extschema@.cowrie_has_column(inv, 'ip_types') THEN
        ALTER TABLE @extschema@.ip_inventory ADD COLUMN ip_types text[] DEFAULT ARRAY[]::text[];
    END IF;
    replaced := replaced || @extschema@.cowrie_migrate_generated_columns(ARRAY['is_scanner', 'is_bogon']);
    IF NOT EXISTS (SELECT FROM pg_catalog.pg_constraint c WHERE c.conrelid = inv AND c.contype = 'c'
                   AND c.conname = 'ip_inventory_session_count_check') THEN
        -- Rows that violate it keep the check out: a NOT VALID check still fails
        -- every later write of such a row (phase 3's repair, the enricher's).
        IF NOT EXISTS (SELECT FROM @extschema@.ip_inventory WHERE session_count < 0) THEN
            ALTER TABLE @extschema@.ip_inventory ADD CONSTRAINT ip_inventory_session_count_check CHECK (session_count >= 0);
        ELSE
            -- INFO: inside CREATE/ALTER EXTENSION a NOTICE is not shown (client_min_messages is WARNING there).
            RAISE INFO 'cowrie_snapshot: ip_inventory has negative session_count values; ip_inventory_session_count_check not added'
                USING HINT = 'Correct them (SELECT * FROM ip_inventory WHERE session_count < 0), then SELECT cowrie_migrate() adds it.';
        END IF;
    END IF;
    PERFORM @extschema@.cowrie_create_index('idx_ip_current_asn', '@extschema@.ip_inventory', 'USING btree (current_asn)');
    PERFORM @extschema@.cowrie_create_index('idx_ip_geo_country', '@extschema@.ip_inventory', 'USING btree (geo_country)');
    PERFORM @extschema@.cowrie_create_index('idx_ip_session_count', '@extschema@.ip_inventory', 'USING btree (session_count DESC)');
    PERFORM @extschema@.cowrie_create_index('idx_ip_enrichment_updated', '@extschema@.ip_inventory', 'USING btree (enrichment_updated_at)');
    PERFORM @extschema@.cowrie_create_index('idx_ip_staleness_active', '@extschema@.ip_inventory',
        'USING btree (enrichment_updated_at, last_seen) WHERE (enrichment_updated_at IS NOT NULL)');
    PERFORM @extschema@.cowrie_check_trigger_name('@extschema@.ip_inventory', 'cowrie_inventory_types',
                                                  '@extschema@.cowrie_inventory_types_trigger()');
    IF NOT EXISTS (SELECT FROM pg_catalog.pg_trigger t WHERE t.tgrelid = inv AND t.tgname = 'cowrie_inventory_types') THEN
        PERFORM @extschema@.cowrie_citus_trigger_ddl(inv, true);
        CREATE TRIGGER cowrie_inventory_types
            BEFORE INSERT OR UPDATE OF enrichment, ip_types ON @extschema@.ip_inventory
            FOR EACH ROW EXECUTE FUNCTION @extschema@.cowrie_inventory_types_trigger();
        PERFORM @extschema@.cowrie_trigger_depends_on_extension(inv, 'cowrie_inventory_types');
        PERFORM @extschema@.cowrie_citus_trigger_ddl(inv, false);
    END IF;
    -- On Citus, after the migration's own inventory writes (phase 5): they
    -- would queue every IP on every node, where phase 4 cannot unqueue them.
    IF NOT @extschema@.cowrie_citus_sessions() THEN
        PERFORM @extschema@.cowrie_migrate_inventory_queue_trigger();
    END IF;
    RETURN pg_catalog.jsonb_build_object('generated_columns_replaced', replaced);
END
$fn$;
COMMENT ON FUNCTION @extschema@.cowrie_migrate_ip_inventory_ddl() IS 'Internal: v16 phase 3 DDL (create, or adopt the ORM shape with ALTER)';

CREATE OR REPLACE FUNCTION @extschema@.cowrie_migrate_phase3_ip_inventory() RETURNS jsonb
LANGUAGE plpgsql VOLATILE PARALLEL UNSAFE
SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
    repaired bigint;
    asns_filled bigint;
    inserted bigint;
    counts jsonb := @extschema@.cowrie_migrate_ip_inventory_ddl();
BEGIN
    -- Rows that are already there: upstream never fills ip_types, and reads
    -- current_asn from cymru alone, where the rows inserted below take
    -- maxmind's too. Only empty values are filled; each document read once.
    WITH r AS (
        SELECT ip_address,
               CASE WHEN ip_types IS NULL OR ip_types = '{}'::text[]
                    THEN NULLIF(@extschema@.cowrie_ip_types(enrichment), '{}'::text[]) END AS types,
               CASE WHEN current_asn IS NULL THEN (@extschema@.cowrie_enrichment_facts(enrichment)).asn END AS asn
        FROM @extschema@.ip_inventory
        WHERE ip_types IS NULL OR ip_types = '{}'::text[] OR current_asn IS NULL),
    filled AS (
        UPDATE @extschema@.ip_inventory i
        SET ip_types = COALESCE(r.types, i.ip_types), current_asn = COALESCE(i.current_asn, r.asn)
        FROM r
        WHERE i.ip_address = r.ip_address AND (r.types IS NOT NULL OR r.asn IS NOT NULL)
        RETURNING r.types IS NOT NULL AS types_filled, r.asn IS NOT NULL AS asn_filled)
    SELECT pg_catalog.count(*) FILTER (WHERE types_filled), pg_catalog.count(*) FILTER (WHERE asn_filled)
    INTO repaired, asns_filled FROM filled;

    WITH latest AS (
        SELECT DISTINCT ON (ip) ip, asn, session_id FROM pg_temp.cowrie_migrate_facts
        WHERE ip IS NOT NULL
        ORDER BY ip, last_event_at DESC NULLS LAST, session_id),
    agg AS (
        SELECT ip,
               COALESCE(pg_catalog.min(first_event_at), pg_catalog.min(created_at), pg_catalog.now()) AS first_seen,
               COALESCE(pg_catalog.max(last_event_at), pg_catalog.max(created_at), pg_catalog.now()) AS last_seen,
               pg_catalog.count(*) AS n
        FROM pg_temp.cowrie_migrate_facts WHERE ip IS NOT NULL GROUP BY ip)
    INSERT INTO @extschema@.ip_inventory AS i
        (ip_address, current_asn, first_seen, last_seen, session_count, enrichment, ip_types)
    SELECT agg.ip, latest.asn, agg.first_seen, agg.last_seen, agg.n, d.doc, @extschema@.cowrie_ip_types(d.doc)
    FROM agg JOIN latest USING (ip)
    JOIN @extschema@.session_summaries s ON s.session_id = latest.session_id
    CROSS JOIN LATERAL (SELECT COALESCE(@extschema@.cowrie_jsonb_safe(s.enrichment), '{}'::jsonb) AS doc) d
    ON CONFLICT (ip_address) DO NOTHING;
    GET DIAGNOSTICS inserted = ROW_COUNT;
    RETURN counts || pg_catalog.jsonb_build_object('ip_types_repaired', repaired, 'inventory_asn_filled', asns_filled,
                                                   'ip_inventory_inserted', inserted);
END
$fn$;
COMMENT ON FUNCTION @extschema@.cowrie_migrate_phase3_ip_inventory() IS 'Internal: v16 phase 3 (ip_inventory, and its ip_types and current_asn where upstream left them empty)';
