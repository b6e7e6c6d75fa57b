------------------------------------------------------------------------------
-- The backfill's completion, after the walk: the sessions of the IPs queued
-- since the last run (cowrie_inventory_queue), found through the index on
-- source_ip, and the pending sessions of those IPs (cowrie_pending_sessions),
-- found by session_id, in every heap. A batch takes the next batch_size IPs
-- of the queue with all their sessions, and removes them from the queue
-- unless a session of theirs was held by another transaction. With nothing
-- queued it reads nothing else.
------------------------------------------------------------------------------

CREATE OR REPLACE FUNCTION @extschema@.cowrie_backfill_queue_step(heaps regclass[], after text, batch_size integer, dry_run boolean,
                                                                OUT examined bigint, OUT written bigint, OUT outcomes jsonb,
                                                                OUT next_ip text)
LANGUAGE plpgsql VOLATILE PARALLEL UNSAFE
SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
    ips text[];
    pending_ids text[];
    country_ips text[];
    asn_ips text[];
    type_ips text[];
    heap regclass;
    tids tid[];
    session_ids text[];
    session_ips text[];
    seen text[] := '{}'::text[];
    skipped text[] := '{}'::text[];
    batch record;
BEGIN
    examined := 0;
    written := 0;
    outcomes := '{}';
    ips := ARRAY(SELECT q.ip FROM @extschema@.cowrie_inventory_queue q
                 WHERE q.ip > after AND q.ip <> '*' ORDER BY q.ip LIMIT batch_size);
    IF pg_catalog.cardinality(ips) = 0 THEN
        RETURN;   -- next_ip NULL: the completion is over
    END IF;
    next_ip := ips[pg_catalog.cardinality(ips)];
    pending_ids := ARRAY(SELECT p.session_id FROM @extschema@.cowrie_pending_sessions p WHERE p.ip = ANY (ips));
    -- Which IPs now give what, so that only sessions the rule can add to are
    -- taken (the writer decides each row again): a country for an 'XX', an
    -- ASN, a type. A NULL country is always taken.
    SELECT COALESCE(pg_catalog.array_agg(d.ip_key) FILTER (WHERE d.outcome = 'enriched'), '{}'),
           COALESCE(pg_catalog.array_agg(d.ip_key) FILTER (WHERE d.snapshot_asn IS NOT NULL), '{}'),
           COALESCE(pg_catalog.array_agg(d.ip_key) FILTER (WHERE d.snapshot_ip_type IS NOT NULL), '{}')
      INTO country_ips, asn_ips, type_ips
    FROM @extschema@.cowrie_decide_ips(ips) d;
    FOREACH heap IN ARRAY heaps LOOP
        EXECUTE pg_catalog.format($q$
            SELECT pg_catalog.array_agg(s.ctid), pg_catalog.array_agg(s.session_id::pg_catalog.text),
                   pg_catalog.array_agg(@extschema@.cowrie_session_ip(s.source_ip::pg_catalog.text, s.enrichment))
            FROM %1$s s
            WHERE s.tableoid = $3
              AND ((s.source_ip::pg_catalog.text = ANY ($1)
                    AND (s.snapshot_country IS NULL
                         OR (s.snapshot_country::pg_catalog.text = 'XX' AND s.source_ip::pg_catalog.text = ANY ($4))
                         OR (s.snapshot_asn IS NULL AND s.source_ip::pg_catalog.text = ANY ($5))
                         OR (s.snapshot_ip_type IS NULL AND s.source_ip::pg_catalog.text = ANY ($6))))
                   OR s.session_id::pg_catalog.text = ANY ($2))$q$, @extschema@.cowrie_heap_target(heap, dry_run))
            INTO tids, session_ids, session_ips
            USING ips, pending_ids, heap::oid, country_ips, asn_ips, type_ips;
        CONTINUE WHEN tids IS NULL;
        SELECT * INTO batch
        FROM @extschema@.cowrie_write_snapshots(heap, tids, @extschema@.cowrie_batch_ips(session_ids, session_ips), dry_run, true);
        examined := examined + batch.examined;
        written := written + batch.written;
        outcomes := @extschema@.cowrie_backfill_add_outcomes(outcomes, batch.outcomes);
        skipped := skipped || batch.skipped_ips;
        seen := seen || session_ids;
    END LOOP;
    IF NOT dry_run THEN
        -- Pending entries whose session is gone; then the IPs done with.
        DELETE FROM @extschema@.cowrie_pending_sessions p WHERE p.ip = ANY (ips) AND p.session_id <> ALL (seen);
        DELETE FROM @extschema@.cowrie_inventory_queue q WHERE q.ip = ANY (ips) AND q.ip <> ALL (skipped);
    END IF;
END
$fn$;
COMMENT ON FUNCTION @extschema@.cowrie_backfill_queue_step(regclass[], text, integer, boolean) IS
'Backfill internals: one completion batch, the sessions (and pending sessions) of the next batch_size queued IPs after the watermark, in every heap';
