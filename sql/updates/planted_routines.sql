-- First in every update script, before anything changes: a routine of the
-- version updated to that already exists and is not the extension's (planted by a role that can create in this schema) would
-- stop the update half-way with "is not a member of extension". It is never
-- replaced, adopted or dropped: the update refuses and names it (issue 28).
-- The list is every routine of the current version by identity; test/scripts/attack_planted_names.sh
-- fails when it differs from what a fresh install creates.
DO $planted$
DECLARE
    found_routines text;
BEGIN
    SELECT pg_catalog.string_agg(pg_catalog.format('%s.%I(%s) (owner %s)', p.pronamespace::pg_catalog.regnamespace, p.proname,
                                                   pg_catalog.pg_get_function_identity_arguments(p.oid),
                                                   p.proowner::pg_catalog.regrole), ', ' ORDER BY p.oid)
    INTO found_routines
    FROM pg_catalog.unnest(ARRAY[
        -- routines of the current version: begin
        'cowrie_as_owner(regclass, regprocedure, jsonb)',
        'cowrie_backfill(integer, integer, boolean, boolean)',
        'cowrie_backfill_add_outcomes(jsonb, jsonb)',
        'cowrie_backfill_batch(jsonb, boolean, text)',
        'cowrie_backfill_check_options(text, integer, boolean, boolean, text)',
        'cowrie_backfill_commit(integer, integer, boolean, text)',
        'cowrie_backfill_commit_start(boolean, text)',
        'cowrie_backfill_citus(jsonb, jsonb, integer, integer, boolean, boolean, boolean, text)',
        'cowrie_backfill_finish(bigint, bigint, timestamp with time zone, jsonb, boolean, boolean, boolean, jsonb)',
        'cowrie_backfill_heap_plan(regclass, integer, boolean)',
        'cowrie_backfill_lock()',
        'cowrie_backfill_notice(bigint, bigint, timestamp with time zone, jsonb, boolean)',
        'cowrie_backfill_progress(bigint, bigint, timestamp with time zone, jsonb, boolean)',
        'cowrie_backfill_queue_step(regclass[], text, integer, boolean)',
        'cowrie_backfill_rewritten(regclass, oid, integer)',
        'cowrie_backfill_local(regclass[], integer, integer, boolean, boolean, boolean, text, boolean, boolean, jsonb)',
        'cowrie_backfill_run(integer, integer, boolean, boolean, boolean, text, bigint)',
        'cowrie_backfill_start(boolean)',
        'cowrie_backfill_step(jsonb)',
        'cowrie_backfill_unlock()',
        'cowrie_backfill_walk_step(regclass, tid, tid, integer, boolean, boolean)',
        'cowrie_batch_ips(text[], text[])',
        'cowrie_check_layout()',
        'cowrie_check_session_heaps(regclass[])',
        'cowrie_check_trigger_name(text, text, text)',
        'cowrie_check_trusted_table(regclass)',
        'cowrie_citus_coordinator()',
        'cowrie_citus_kind(regclass)',
        'cowrie_citus_nodes()',
        'cowrie_citus_on_nodes(jsonb, jsonb, boolean)',
        'cowrie_citus_postpone()',
        'cowrie_citus_prepare()',
        'cowrie_citus_reference(regclass)',
        'cowrie_citus_sessions()',
        'cowrie_citus_trigger_ddl(regclass, boolean)',
        'cowrie_create_index(text, text, text)',
        'cowrie_decide_ips(text[])',
        'cowrie_disown_tables()',
        'cowrie_enrichment_facts(json)',
        'cowrie_enrichment_facts(jsonb)',
        'cowrie_event_ip(json)',
        'cowrie_event_ip(jsonb)',
        'cowrie_extract_ip(json)',
        'cowrie_extract_ip(jsonb)',
        'cowrie_foreign_code(regclass)',
        'cowrie_has_column(regclass, text)',
        'cowrie_has_constraint(regclass, text)',
        'cowrie_heap_target(regclass, boolean)',
        'cowrie_inventory_queue_trigger()',
        'cowrie_inventory_types_trigger()',
        'cowrie_ip_is_private(text)',
        'cowrie_ip_type_priority(text)',
        'cowrie_ip_types(json)',
        'cowrie_ip_types(jsonb)',
        'cowrie_json_fits_jsonb(json)',
        'cowrie_jsonb_safe(json)',
        'cowrie_jsonb_safe(jsonb)',
        'cowrie_lookup_snapshots(text[])',
        'cowrie_migrate()',
        'cowrie_migrate_check_objects()',
        'cowrie_migrate_foreign_keys()',
        'cowrie_migrate_generated_columns(text[])',
        'cowrie_migrate_inventory_queue_trigger()',
        'cowrie_migrate_ip_inventory_ddl()',
        'cowrie_migrate_ownership()',
        'cowrie_migrate_phase1_source_ip()',
        'cowrie_migrate_phase2_asn_inventory()',
        'cowrie_migrate_phase3_ip_inventory()',
        'cowrie_migrate_phase4_snapshots(boolean, boolean)',
        'cowrie_migrate_phase5_foreign_keys(integer)',
        'cowrie_migrate_read_sessions()',
        'cowrie_migrate_seconds(timestamp with time zone)',
        'cowrie_migrate_session_indexes()',
        'cowrie_migrate_snapshot_columns(boolean)',
        'cowrie_migrate_source_version()',
        'cowrie_migrate_trigger()',
        'cowrie_noncanonical_inventory()',
        'cowrie_pending_count(jsonb)',
        'cowrie_normalize_ip(text)',
        'cowrie_primary_ip_type(text[])',
        'cowrie_raw_event_ips(text[])',
        'cowrie_session_columns_refused(regclass)',
        'cowrie_session_heaps()',
        'cowrie_session_ip(text, json)',
        'cowrie_session_ip(text, jsonb)',
        'cowrie_session_snapshot(text, boolean, integer, text, text[], jsonb, timestamp with time zone)',
        'cowrie_session_snapshot_trigger()',
        'cowrie_snapshot_coverage()',
        'cowrie_trigger_depends_on_extension(regclass, text)',
        'cowrie_utc(timestamp with time zone)',
        'cowrie_utc(timestamp without time zone)',
        'cowrie_utc_as(timestamp with time zone, timestamp with time zone)',
        'cowrie_utc_as(timestamp without time zone, timestamp with time zone)',
        'cowrie_write_snapshots(regclass, tid[], text[], boolean, boolean)',
        'cowrie_write_snapshots_by_session(text[], text[])'
        -- routines of the current version: end
    ]::pg_catalog.text[]) AS sig
    JOIN pg_catalog.pg_proc p
      ON p.oid OPERATOR(pg_catalog.=) pg_catalog.to_regprocedure(pg_catalog.concat('@extschema@.', sig))::pg_catalog.oid
    WHERE NOT EXISTS (SELECT FROM pg_catalog.pg_depend d JOIN pg_catalog.pg_extension e ON e.oid OPERATOR(pg_catalog.=) d.refobjid
                      WHERE d.classid OPERATOR(pg_catalog.=) 'pg_catalog.pg_proc'::pg_catalog.regclass::pg_catalog.oid
                        AND d.objid OPERATOR(pg_catalog.=) p.oid
                        AND d.refclassid OPERATOR(pg_catalog.=) 'pg_catalog.pg_extension'::pg_catalog.regclass::pg_catalog.oid
                        AND d.deptype OPERATOR(pg_catalog.=) 'e'::pg_catalog."char"
                        AND e.extname OPERATOR(pg_catalog.=) 'cowrie_snapshot'::pg_catalog.name);
    IF found_routines IS NOT NULL THEN
        RAISE EXCEPTION 'cowrie_snapshot: cannot update to @EXTVERSION@: routines it creates already exist and are not the extension''s'
            USING ERRCODE = 'object_not_in_prerequisite_state',
                  DETAIL = pg_catalog.concat('Found: ', found_routines, '. The update replaces, adopts or drops no function it does not own.'),
                  HINT = 'Look at them (\df+ in psql) and at who created them; drop or rename them (ALTER FUNCTION ... RENAME TO ...), then run ALTER EXTENSION cowrie_snapshot UPDATE again.';
    END IF;
END
$planted$;
