------------------------------------------------------------------------------
-- Session IPs: cowrie_session_ip (source_ip, else the enrichment), else the
-- earliest raw event. The raw-events part is SQL text built in this one place
-- for the migration and the backfill, because raw_events may be missing: a
-- query giving (session_id, ip), the canonical IP of the earliest raw_events
-- row carrying one, for each session of the caller's CTE need_raw_ip
-- (session_id text), in one pass over their events; no rows when that table
-- (or a column the rule needs) is not there. It takes no SQL from its caller.
------------------------------------------------------------------------------

CREATE OR REPLACE FUNCTION @extschema@.cowrie_raw_event_ips_sql() RETURNS text
LANGUAGE plpgsql STABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
    events regclass := pg_catalog.to_regclass('@extschema@.raw_events');
BEGIN
    IF events IS NOT NULL THEN
        PERFORM @extschema@.cowrie_check_trusted_table(events);
    END IF;
    IF events IS NULL
       OR (SELECT pg_catalog.count(*) FROM pg_catalog.pg_attribute
           WHERE attrelid = events AND NOT attisdropped
             AND attname IN ('session_id', 'payload', 'event_timestamp', 'source', 'source_offset', 'id')) < 6
    THEN
        RETURN 'SELECT NULL::pg_catalog.text AS session_id, NULL::pg_catalog.text AS ip WHERE false';
    END IF;
    -- The fence computes each event's IP once.
    RETURN $q$SELECT DISTINCT ON (e.session_id) e.session_id::pg_catalog.text AS session_id, e.ip
        FROM (SELECT e0.session_id, @extschema@.cowrie_event_ip(e0.payload) AS ip,
                     e0.event_timestamp, e0.source, e0.source_offset, e0.id
              FROM @extschema@.raw_events e0
              WHERE e0.session_id::pg_catalog.text IN (SELECT n.session_id FROM need_raw_ip n) OFFSET 0) e
        WHERE e.ip IS NOT NULL
        ORDER BY e.session_id, e.event_timestamp NULLS LAST, e.source, e.source_offset, e.id$q$;
END
$fn$;
COMMENT ON FUNCTION @extschema@.cowrie_raw_event_ips_sql() IS
'Backfill internals: SQL giving (session_id, ip), the IP of the earliest raw_events row carrying one, for the sessions of a CTE need_raw_ip (no rows without raw_events)';
