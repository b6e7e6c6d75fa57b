------------------------------------------------------------------------------
-- cowrie_migrate(): the phases above, in order, each timed. What CREATE
-- EXTENSION and ALTER EXTENSION ... UPDATE run; on a database already at v16
-- or later it verifies and repairs.
------------------------------------------------------------------------------

CREATE OR REPLACE FUNCTION @extschema@.cowrie_migrate_seconds(since timestamptz) RETURNS numeric
LANGUAGE sql VOLATILE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
RETURN pg_catalog.round(EXTRACT(epoch FROM pg_catalog.clock_timestamp() - since), 3);
COMMENT ON FUNCTION @extschema@.cowrie_migrate_seconds(timestamptz) IS 'Internal: seconds since a timestamp, for the migration summary';

CREATE OR REPLACE FUNCTION @extschema@.cowrie_migrate() RETURNS jsonb
LANGUAGE plpgsql VOLATILE PARALLEL UNSAFE
SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
    version integer := @extschema@.cowrie_migrate_source_version();
    repair boolean := version >= 16;
    defer boolean := COALESCE(pg_catalog.current_setting('cowrie_snapshot.defer_session_backfill', true), 'off')
                     IN ('on', 'true', '1', 'yes');
    t0 timestamptz := pg_catalog.clock_timestamp();
    t timestamptz := t0;
    counts jsonb;
    seconds jsonb := '{}';
    citus boolean;
BEGIN
    IF version IS NULL THEN
        RAISE INFO 'cowrie_snapshot: no cowrie tables in schema %, nothing migrated', '@extschema@'
            USING HINT = 'Run SELECT cowrie_migrate() once the cowrie tables exist (as after pg_restore).';
        RETURN pg_catalog.jsonb_build_object('status', 'no_cowrie_tables');
    END IF;
    PERFORM @extschema@.cowrie_migrate_check_objects();
    citus := @extschema@.cowrie_citus_prepare();

    counts := @extschema@.cowrie_migrate_read_sessions();
    seconds := seconds || pg_catalog.jsonb_build_object('read_sessions', @extschema@.cowrie_migrate_seconds(t));
    t := pg_catalog.clock_timestamp();
    PERFORM @extschema@.cowrie_migrate_phase1_source_ip();
    seconds := seconds || pg_catalog.jsonb_build_object('phase1_source_ip', @extschema@.cowrie_migrate_seconds(t));
    t := pg_catalog.clock_timestamp();
    counts := counts || @extschema@.cowrie_migrate_phase2_asn_inventory();
    seconds := seconds || pg_catalog.jsonb_build_object('phase2_asn_inventory', @extschema@.cowrie_migrate_seconds(t));
    t := pg_catalog.clock_timestamp();
    counts := counts || @extschema@.cowrie_migrate_phase3_ip_inventory();
    seconds := seconds || pg_catalog.jsonb_build_object('phase3_ip_inventory', @extschema@.cowrie_migrate_seconds(t));
    t := pg_catalog.clock_timestamp();
    counts := counts || @extschema@.cowrie_migrate_phase4_snapshots(repair, defer);
    seconds := seconds || pg_catalog.jsonb_build_object('phase4_snapshots', @extschema@.cowrie_migrate_seconds(t));
    t := pg_catalog.clock_timestamp();
    counts := counts || @extschema@.cowrie_migrate_phase5_foreign_keys(version);
    seconds := seconds || pg_catalog.jsonb_build_object('phase5_foreign_keys', @extschema@.cowrie_migrate_seconds(t));
    counts := counts || @extschema@.cowrie_migrate_ownership();

    -- Describe the tables for \d+, without replacing an operator's own comment.
    IF pg_catalog.obj_description('@extschema@.ip_inventory'::regclass, 'pg_class') IS NULL THEN
        COMMENT ON TABLE @extschema@.ip_inventory IS
            'One row per attacking IP (canonical text): its current enrichment, ASN, country and IP types (cowrie schema v16)';
    END IF;
    IF pg_catalog.obj_description('@extschema@.asn_inventory'::regclass, 'pg_class') IS NULL THEN
        COMMENT ON TABLE @extschema@.asn_inventory IS
            'One row per autonomous system seen in the sessions or referenced by ip_inventory (cowrie schema v16)';
    END IF;
    PERFORM @extschema@.cowrie_disown_tables();
    DROP TABLE pg_temp.cowrie_migrate_facts;

    -- INFO, not NOTICE: inside ALTER EXTENSION client_min_messages is raised to WARNING.
    RAISE INFO 'cowrie_snapshot: % (%)',
        CASE WHEN repair THEN 'v16 schema verified and repaired' ELSE 'schema migrated to v16' END,
        CASE WHEN defer THEN 'session rows deferred to cowrie_backfill' ELSE 'session rows filled' END
        USING DETAIL = pg_catalog.format('%s s in all; rows: %s; seconds per phase: %s',
                           @extschema@.cowrie_migrate_seconds(t0), counts, seconds);
    RETURN pg_catalog.jsonb_build_object('status', CASE WHEN repair THEN 'repaired' ELSE 'migrated' END,
                                         'from_version', version, 'deferred', defer,
                                         'counts', counts, 'seconds', seconds)
           || CASE WHEN citus THEN '{"citus": true}'::jsonb ELSE '{}' END;
END
$fn$;
COMMENT ON FUNCTION @extschema@.cowrie_migrate() IS
'The schema v16 migration (source_ip, asn_inventory, ip_inventory, snapshot columns, foreign keys); idempotent; what CREATE EXTENSION and ALTER EXTENSION cowrie_snapshot UPDATE run';
