------------------------------------------------------------------------------
-- Phase 4: the snapshot columns, then every session written once (unless the
-- operator deferred that to cowrie_backfill), then the session indexes.
------------------------------------------------------------------------------

CREATE OR REPLACE FUNCTION @extschema@.cowrie_migrate_snapshot_columns(repair boolean) RETURNS jsonb
LANGUAGE plpgsql VOLATILE PARALLEL UNSAFE
SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
    sessions regclass := '@extschema@.session_summaries'::regclass;
    col text;
    carried bigint := 0;
BEGIN
    -- Only timestamp without time zone is converted; timestamptz values never move (B5).
    FOREACH col IN ARRAY ARRAY['first_event_at', 'last_event_at'] LOOP
        IF NOT repair AND (SELECT a.atttypid FROM pg_catalog.pg_attribute a
                           WHERE a.attrelid = sessions AND a.attname = col) = 'pg_catalog.timestamp'::regtype THEN
            EXECUTE pg_catalog.format('ALTER TABLE @extschema@.session_summaries ALTER COLUMN %I TYPE timestamptz USING %I AT TIME ZONE %L',
                                      col, col, 'UTC');
        END IF;
    END LOOP;
    IF NOT @extschema@.cowrie_has_column(sessions, 'enrichment_at') THEN
        ALTER TABLE @extschema@.session_summaries ADD COLUMN enrichment_at timestamptz;
    END IF;
    IF NOT @extschema@.cowrie_has_column(sessions, 'snapshot_asn') THEN
        ALTER TABLE @extschema@.session_summaries ADD COLUMN snapshot_asn integer;
    END IF;
    IF NOT @extschema@.cowrie_has_column(sessions, 'snapshot_country') THEN
        -- With the new column, so the check costs one scan of the table, not two.
        ALTER TABLE @extschema@.session_summaries ADD COLUMN snapshot_country varchar(2)
            CONSTRAINT snapshot_country_iso CHECK (snapshot_country IS NULL OR snapshot_country::text ~ '^[A-Z]{2}$');
    END IF;
    IF NOT @extschema@.cowrie_has_column(sessions, 'snapshot_ip_type') THEN
        ALTER TABLE @extschema@.session_summaries ADD COLUMN snapshot_ip_type text;
    END IF;
    -- e980629's snapshot_ip_types text[] (upstream's fix script replaces it):
    -- its values, the first by type priority, fill snapshot_ip_type. The
    -- column is kept (it may hold rows); the summary says how to drop it.
    IF @extschema@.cowrie_has_column(sessions, 'snapshot_ip_types') THEN
        EXECUTE 'UPDATE @extschema@.session_summaries SET snapshot_ip_type = @extschema@.cowrie_primary_ip_type(snapshot_ip_types::pg_catalog.text[])
                 WHERE snapshot_ip_type IS NULL AND snapshot_ip_types IS NOT NULL
                   AND @extschema@.cowrie_primary_ip_type(snapshot_ip_types::pg_catalog.text[]) IS NOT NULL';
        GET DIAGNOSTICS carried = ROW_COUNT;
        RAISE INFO 'cowrie_snapshot: session_summaries still has upstream''s legacy column snapshot_ip_types (% values carried into snapshot_ip_type)', carried
            USING HINT = 'It is kept because it may hold data. Once nothing reads it: ALTER TABLE session_summaries DROP COLUMN snapshot_ip_types;';
    END IF;
    -- Rows that violate it keep the check out: a NOT VALID check still fails
    -- every later write of such a row (the loader's, the backfill's).
    IF NOT @extschema@.cowrie_has_constraint(sessions, 'snapshot_country_iso') THEN
        IF NOT EXISTS (SELECT FROM @extschema@.session_summaries WHERE snapshot_country::text !~ '^[A-Z]{2}$') THEN
            ALTER TABLE @extschema@.session_summaries ADD CONSTRAINT snapshot_country_iso
                CHECK (snapshot_country IS NULL OR snapshot_country::text ~ '^[A-Z]{2}$');
        ELSE
            -- INFO: inside CREATE/ALTER EXTENSION a NOTICE is not shown (client_min_messages is WARNING there).
            RAISE INFO 'cowrie_snapshot: session_summaries has snapshot_country values that are not ISO codes; snapshot_country_iso not added'
                USING HINT = 'Correct them (SELECT * FROM session_summaries WHERE snapshot_country !~ ''^[A-Z]{2}$''), then SELECT cowrie_migrate() adds it.';
        END IF;
    END IF;
    RETURN CASE WHEN @extschema@.cowrie_has_column(sessions, 'snapshot_ip_types')
                THEN pg_catalog.jsonb_build_object('legacy_snapshot_ip_types_carried', carried) ELSE '{}' END;
END
$fn$;
COMMENT ON FUNCTION @extschema@.cowrie_migrate_snapshot_columns(boolean) IS 'Internal: v16 phase 4 DDL (the snapshot columns and their check, upstream''s legacy type column carried)';

CREATE OR REPLACE FUNCTION @extschema@.cowrie_migrate_session_indexes() RETURNS void
LANGUAGE plpgsql VOLATILE PARALLEL UNSAFE
SET search_path = pg_catalog, pg_temp
AS $fn$
BEGIN
    -- Built after the rows are filled: one index build instead of index maintenance per row.
    PERFORM @extschema@.cowrie_create_index('idx_session_source_ip', '@extschema@.session_summaries', 'USING btree (source_ip)');
    PERFORM @extschema@.cowrie_create_index('idx_session_snapshot_asn', '@extschema@.session_summaries', 'USING btree (snapshot_asn)');
    PERFORM @extschema@.cowrie_create_index('idx_session_snapshot_country', '@extschema@.session_summaries', 'USING btree (snapshot_country)');
    PERFORM @extschema@.cowrie_create_index('idx_session_first_event_brin', '@extschema@.session_summaries', 'USING brin (first_event_at)');
    PERFORM @extschema@.cowrie_create_index('idx_session_last_event_brin', '@extschema@.session_summaries', 'USING brin (last_event_at)');
    -- Snapshot queries (BENCHMARKS.md, "Snapshot queries against the JOIN"):
    -- the type mix reads this one alone; upstream's model declares it under
    -- this name, so a table upstream's create_all made keeps its own.
    PERFORM @extschema@.cowrie_create_index('ix_session_summaries_snapshot_ip_type', '@extschema@.session_summaries',
        'USING btree (snapshot_ip_type)');
    -- ASN x country x type clusters: an index-only scan instead of the heap.
    PERFORM @extschema@.cowrie_create_index('idx_session_snapshot_cluster', '@extschema@.session_summaries',
        'USING btree (snapshot_asn, snapshot_country, snapshot_ip_type)');
    -- One country in a time range (ADR-007's snapshot filter).
    PERFORM @extschema@.cowrie_create_index('idx_session_snapshot_country_first_event', '@extschema@.session_summaries',
        'USING btree (snapshot_country, first_event_at)');
    -- The backfill's completion finds sessions without a type or an ASN by IP (71_backfill_completion.sql).
    PERFORM @extschema@.cowrie_create_index('idx_session_source_ip_no_type', '@extschema@.session_summaries',
        'USING btree (source_ip) WHERE (snapshot_ip_type IS NULL)');
    PERFORM @extschema@.cowrie_create_index('idx_session_source_ip_no_asn', '@extschema@.session_summaries',
        'USING btree (source_ip) WHERE (snapshot_asn IS NULL)');
END
$fn$;
COMMENT ON FUNCTION @extschema@.cowrie_migrate_session_indexes() IS 'Internal: v16 session indexes';

CREATE OR REPLACE FUNCTION @extschema@.cowrie_migrate_phase4_snapshots(repair boolean, defer boolean) RETURNS jsonb
LANGUAGE plpgsql VOLATILE PARALLEL UNSAFE
SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
    heap regclass;
    plan record;
    after tid;
    range_end tid;
    tids tid[];
    ips text[];
    batch record;
    filled bigint := 0::bigint;
    counts jsonb;
    citus constant boolean := @extschema@.cowrie_citus_sessions();
    session_ids text[];
    last_id text;
BEGIN
    counts := @extschema@.cowrie_migrate_snapshot_columns(repair);
    IF defer AND NOT repair THEN
        counts := counts || pg_catalog.jsonb_build_object('sessions_filled', 0, 'sessions_deferred', true);
    ELSE
        IF defer THEN
            -- Deferred, a repair still corrects source_ip now where upstream
            -- stamped a country beside a wrong or NULL one (phase 5 would
            -- otherwise take upstream's text for inventory keys); the first
            -- backfill run walks every session with the wider predicate ('*').
            DELETE FROM pg_temp.cowrie_migrate_facts f USING @extschema@.session_summaries s
            WHERE s.session_id = f.session_id
              AND (s.snapshot_country IS NULL OR f.source_ip_state = 'canonical'
                   OR (f.source_ip_state IS NULL AND f.ip IS NULL));
            INSERT INTO @extschema@.cowrie_inventory_queue (ip) VALUES ('*') ON CONFLICT (ip) DO NOTHING;
        ELSIF repair THEN
            -- Only sessions with something to complete or to correct are
            -- written; an 'XX' is decided again (its IP may be corrected now).
            DELETE FROM pg_temp.cowrie_migrate_facts f USING @extschema@.session_summaries s
            WHERE s.session_id = f.session_id
              AND (f.source_ip_state = 'canonical' OR (f.source_ip_state IS NULL AND f.ip IS NULL))
              AND s.snapshot_asn IS NOT NULL AND s.snapshot_country IS NOT NULL AND s.snapshot_country::text <> 'XX'
              AND s.snapshot_ip_type IS NOT NULL AND s.enrichment_at IS NOT NULL;
        END IF;
        -- On Citus the rows are in the shards, out of the coordinator's
        -- reach by heap position: batches of 10,000 sessions by session_id.
        last_id := '';
        WHILE citus LOOP
            SELECT pg_catalog.array_agg(f.session_id ORDER BY f.session_id), pg_catalog.array_agg(f.ip ORDER BY f.session_id)
              INTO session_ids, ips
            FROM (SELECT f0.session_id::text AS session_id, f0.ip FROM pg_temp.cowrie_migrate_facts f0
                  WHERE f0.session_id::text > last_id ORDER BY f0.session_id::text LIMIT 10000) f;
            EXIT WHEN session_ids IS NULL;
            filled := filled + @extschema@.cowrie_write_snapshots_by_session(session_ids, ips);
            last_id := session_ids[pg_catalog.cardinality(session_ids)];
        END LOOP;
        -- Each heap in ranges of about 10,000 rows, each session written once
        -- with the IP read before phase 1 (the table is locked: no row moves).
        FOREACH heap IN ARRAY CASE WHEN citus THEN '{}'::regclass[] ELSE @extschema@.cowrie_session_heaps() END LOOP
            SELECT * INTO plan FROM @extschema@.cowrie_backfill_heap_plan(heap, 10000, true);
            after := '(0,0)';
            WHILE after < plan.heap_end LOOP
                range_end := LEAST(pg_catalog.format('(%s,0)', ((after::text)::point)[0]::bigint + plan.range_blocks)::tid, plan.heap_end);
                -- The fence keeps one index probe of the facts per row.
                EXECUTE pg_catalog.format($q$
                    SELECT pg_catalog.array_agg(s.ctid), pg_catalog.array_agg(f.ip)
                    FROM (SELECT s0.ctid, s0.session_id FROM %s s0 WHERE s0.ctid > $1 AND s0.ctid < $2 OFFSET 0) s
                    CROSS JOIN LATERAL (SELECT f0.ip FROM pg_temp.cowrie_migrate_facts f0
                                        WHERE f0.session_id = s.session_id LIMIT 1) f$q$, heap)
                    INTO tids, ips USING after, range_end;
                IF tids IS NOT NULL THEN
                    SELECT * INTO batch FROM @extschema@.cowrie_write_snapshots(heap, tids, ips, false, false);
                    filled := filled + batch.written;
                END IF;
                after := range_end;
            END LOOP;
        END LOOP;
        counts := counts || pg_catalog.jsonb_build_object('sessions_filled', filled)
            || CASE WHEN defer THEN '{"sessions_deferred": true}'::jsonb ELSE '{}' END;
    END IF;
    -- The IPs this transaction queued so far (phase 3 filling the inventory)
    -- are decided: by the writes above, or by the first run's walk (deferred).
    -- Their queued_at is this transaction's now(); an enricher's entry keeps
    -- its own. Phase 5's orphan rows, queued later, stay for the first run.
    DELETE FROM @extschema@.cowrie_inventory_queue q WHERE q.queued_at = pg_catalog.now() AND q.ip <> '*';
    PERFORM @extschema@.cowrie_migrate_session_indexes();
    -- Statistics for the new tables, and for the new columns once they hold
    -- values (deferred, they are all NULL until the backfill).
    -- Not on Citus: the coordinator's copies of the reference tables were
    -- read locally, and Citus then refuses ANALYZE's multi-shard commands in
    -- this transaction (XX000); docs/citus.md has the ANALYZE to run after.
    IF citus THEN
        RETURN counts;
    END IF;
    ANALYZE @extschema@.ip_inventory, @extschema@.asn_inventory;
    IF NOT defer THEN
        ANALYZE @extschema@.session_summaries (source_ip, snapshot_asn, snapshot_country, snapshot_ip_type, enrichment_at);
    END IF;
    RETURN counts;
END
$fn$;
COMMENT ON FUNCTION @extschema@.cowrie_migrate_phase4_snapshots(boolean, boolean) IS 'Internal: v16 phase 4 (snapshot columns, session rows, indexes)';
