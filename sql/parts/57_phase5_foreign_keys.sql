------------------------------------------------------------------------------
-- Phase 5: the foreign keys (made to hold first, B16: no data is dropped),
-- the ingestion trigger, and the schema version.
------------------------------------------------------------------------------

CREATE OR REPLACE FUNCTION @extschema@.cowrie_migrate_foreign_keys() RETURNS jsonb
LANGUAGE plpgsql VOLATILE PARALLEL UNSAFE
SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
    inv regclass := '@extschema@.ip_inventory'::regclass;
    asns regclass := '@extschema@.asn_inventory'::regclass;
    sessions regclass := '@extschema@.session_summaries'::regclass;
    other name;
    nulled bigint;
    asn_rows bigint;
    ip_rows bigint;
BEGIN
    UPDATE @extschema@.ip_inventory SET current_asn = NULL WHERE current_asn <= 0;
    GET DIAGNOSTICS nulled = ROW_COUNT;
    INSERT INTO @extschema@.asn_inventory (asn_number, first_seen, last_seen, unique_ip_count, total_session_count)
    SELECT i.current_asn, pg_catalog.min(i.first_seen), pg_catalog.max(i.last_seen), pg_catalog.count(*),
           pg_catalog.sum(COALESCE(i.session_count, 0))
    FROM @extschema@.ip_inventory i
    WHERE i.current_asn IS NOT NULL
      AND NOT EXISTS (SELECT FROM @extschema@.asn_inventory a WHERE a.asn_number = i.current_asn)
    GROUP BY i.current_asn;
    GET DIAGNOSTICS asn_rows = ROW_COUNT;
    INSERT INTO @extschema@.ip_inventory (ip_address, first_seen, last_seen, session_count)
    SELECT s.source_ip,
           COALESCE(pg_catalog.min(s.first_event_at), pg_catalog.min(s.created_at), pg_catalog.now()),
           COALESCE(pg_catalog.max(s.last_event_at), pg_catalog.max(s.created_at), pg_catalog.now()),
           pg_catalog.count(*)
    FROM @extschema@.session_summaries s
    WHERE s.source_ip IS NOT NULL
      AND NOT EXISTS (SELECT FROM @extschema@.ip_inventory i WHERE i.ip_address = s.source_ip)
    GROUP BY s.source_ip;
    GET DIAGNOSTICS ip_rows = ROW_COUNT;

    -- An unnamed ORM foreign key on the same column is renamed, not duplicated.
    IF NOT @extschema@.cowrie_has_constraint(inv, 'fk_ip_current_asn') THEN
        SELECT c.conname INTO other FROM pg_catalog.pg_constraint c
        WHERE c.conrelid = inv AND c.confrelid = asns AND c.contype = 'f' LIMIT 1;
        IF other IS NOT NULL THEN
            EXECUTE pg_catalog.format('ALTER TABLE @extschema@.ip_inventory RENAME CONSTRAINT %I TO fk_ip_current_asn', other);
        ELSE
            ALTER TABLE @extschema@.ip_inventory ADD CONSTRAINT fk_ip_current_asn
                FOREIGN KEY (current_asn) REFERENCES @extschema@.asn_inventory (asn_number) NOT VALID;
        END IF;
    END IF;
    other := NULL;
    IF NOT @extschema@.cowrie_has_constraint(sessions, 'fk_session_source_ip') THEN
        SELECT c.conname INTO other FROM pg_catalog.pg_constraint c
        WHERE c.conrelid = sessions AND c.confrelid = inv AND c.contype = 'f' LIMIT 1;
        IF other IS NOT NULL THEN
            EXECUTE pg_catalog.format('ALTER TABLE @extschema@.session_summaries RENAME CONSTRAINT %I TO fk_session_source_ip', other);
        ELSIF (SELECT c.relkind FROM pg_catalog.pg_class c WHERE c.oid = sessions) = 'p' THEN
            -- A partitioned table takes no NOT VALID foreign key (42809): it
            -- is added valid, checking each partition once.
            ALTER TABLE @extschema@.session_summaries ADD CONSTRAINT fk_session_source_ip
                FOREIGN KEY (source_ip) REFERENCES @extschema@.ip_inventory (ip_address);
        ELSE
            ALTER TABLE @extschema@.session_summaries ADD CONSTRAINT fk_session_source_ip
                FOREIGN KEY (source_ip) REFERENCES @extschema@.ip_inventory (ip_address) NOT VALID;
        END IF;
    END IF;
    IF NOT (SELECT c.convalidated FROM pg_catalog.pg_constraint c
            WHERE c.conrelid = inv AND c.conname = 'fk_ip_current_asn') THEN
        ALTER TABLE @extschema@.ip_inventory VALIDATE CONSTRAINT fk_ip_current_asn;
    END IF;
    IF NOT (SELECT c.convalidated FROM pg_catalog.pg_constraint c
            WHERE c.conrelid = sessions AND c.conname = 'fk_session_source_ip') THEN
        ALTER TABLE @extschema@.session_summaries VALIDATE CONSTRAINT fk_session_source_ip;
    END IF;
    RETURN pg_catalog.jsonb_build_object('non_positive_asns_nulled', nulled, 'asn_rows_for_references', asn_rows,
                                         'ip_rows_for_orphan_sessions', ip_rows,
                                         'inventory_rows_not_canonical',
                                         (SELECT pg_catalog.count(*) FROM @extschema@.ip_inventory i
                                          WHERE @extschema@.cowrie_normalize_ip(i.ip_address::pg_catalog.text)
                                                IS DISTINCT FROM i.ip_address::pg_catalog.text));
END
$fn$;
COMMENT ON FUNCTION @extschema@.cowrie_migrate_foreign_keys() IS 'Internal: v16 phase 5 foreign keys (fk_ip_current_asn, fk_session_source_ip)';

CREATE OR REPLACE FUNCTION @extschema@.cowrie_migrate_trigger() RETURNS void
LANGUAGE plpgsql VOLATILE PARALLEL UNSAFE
SET search_path = pg_catalog, pg_temp
AS $fn$
BEGIN
    -- A trigger of that name that is not this extension's (a role with the
    -- TRIGGER privilege can make one) is refused, never taken for ours.
    PERFORM @extschema@.cowrie_check_trigger_name('@extschema@.session_summaries', 'cowrie_session_snapshot',
                                                  '@extschema@.cowrie_session_snapshot_trigger()');
    -- 1.0 and 1.1 fired it WHEN (NEW.snapshot_country IS NULL), which hid the
    -- invalid values a loader writes from it: the trigger now decides itself.
    IF EXISTS (SELECT FROM pg_catalog.pg_trigger t
               WHERE t.tgrelid = '@extschema@.session_summaries'::regclass
                 AND t.tgname = 'cowrie_session_snapshot' AND t.tgqual IS NOT NULL) THEN
        DROP TRIGGER cowrie_session_snapshot ON @extschema@.session_summaries;
    END IF;
    IF NOT EXISTS (SELECT FROM pg_catalog.pg_trigger t
                   WHERE t.tgrelid = '@extschema@.session_summaries'::regclass
                     AND t.tgname = 'cowrie_session_snapshot') THEN
        PERFORM @extschema@.cowrie_citus_trigger_ddl('@extschema@.session_summaries'::pg_catalog.regclass, true);
        CREATE TRIGGER cowrie_session_snapshot
            BEFORE INSERT OR UPDATE ON @extschema@.session_summaries
            FOR EACH ROW
            EXECUTE FUNCTION @extschema@.cowrie_session_snapshot_trigger();
        -- DROP EXTENSION then drops the trigger with it, and no table, column or row.
        PERFORM @extschema@.cowrie_trigger_depends_on_extension('@extschema@.session_summaries'::pg_catalog.regclass, 'cowrie_session_snapshot');
        PERFORM @extschema@.cowrie_citus_trigger_ddl('@extschema@.session_summaries'::pg_catalog.regclass, false);
    END IF;
END
$fn$;
COMMENT ON FUNCTION @extschema@.cowrie_migrate_trigger() IS 'Internal: installs the ingestion trigger on session_summaries';

CREATE OR REPLACE FUNCTION @extschema@.cowrie_migrate_phase5_foreign_keys(from_version integer) RETURNS jsonb
LANGUAGE plpgsql VOLATILE PARALLEL UNSAFE
SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
    counts jsonb := @extschema@.cowrie_migrate_foreign_keys();
BEGIN
    PERFORM @extschema@.cowrie_migrate_trigger();
    IF @extschema@.cowrie_citus_sessions() THEN
        -- Phase 3 leaves it to here on Citus.
        PERFORM @extschema@.cowrie_migrate_inventory_queue_trigger();
    END IF;
    IF from_version < 16 THEN
        EXECUTE 'UPDATE @extschema@.schema_state SET value = $1 WHERE key::pg_catalog.text = $2'
            USING '16'::text, 'schema_version'::text;
    END IF;
    RETURN counts;
END
$fn$;
COMMENT ON FUNCTION @extschema@.cowrie_migrate_phase5_foreign_keys(integer) IS 'Internal: v16 phase 5 (foreign keys, ingestion trigger, schema version)';
