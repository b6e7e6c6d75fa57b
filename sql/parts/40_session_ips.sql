------------------------------------------------------------------------------
-- Session IPs: cowrie_session_ip (source_ip, else the enrichment), else the
-- earliest raw event. raw_events may be missing (or lack a column the rule
-- needs): then no session gets an IP from it. Static SQL behind IF: PL/pgSQL
-- plans the query only when it first runs it.
------------------------------------------------------------------------------

-- The canonical IP of the earliest raw_events row carrying one, for each of
-- these sessions, in one pass over their events.
CREATE OR REPLACE FUNCTION @extschema@.cowrie_raw_event_ips(session_ids text[])
RETURNS TABLE (session_id text, ip text)
LANGUAGE plpgsql STABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $fn$
#variable_conflict use_column
DECLARE
    events regclass := pg_catalog.to_regclass('@extschema@.raw_events');
BEGIN
    IF events IS NULL OR COALESCE(pg_catalog.cardinality(session_ids), 0) = 0 THEN
        RETURN;
    END IF;
    PERFORM @extschema@.cowrie_check_trusted_table(events);
    IF (SELECT pg_catalog.count(*) FROM pg_catalog.pg_attribute a
        WHERE a.attrelid = events AND NOT a.attisdropped
          AND a.attname IN ('session_id', 'payload', 'event_timestamp', 'source', 'source_offset', 'id')) = 6 THEN
        -- The fence computes each event's IP once.
        RETURN QUERY
            SELECT DISTINCT ON (e.session_id) e.session_id::pg_catalog.text, e.ip
            FROM (SELECT e0.session_id, @extschema@.cowrie_event_ip(e0.payload) AS ip,
                         e0.event_timestamp, e0.source, e0.source_offset, e0.id
                  FROM @extschema@.raw_events e0
                  WHERE e0.session_id::pg_catalog.text = ANY (session_ids) OFFSET 0) e
            WHERE e.ip IS NOT NULL
            ORDER BY e.session_id, e.event_timestamp NULLS LAST, e.source, e.source_offset, e.id;
    END IF;
END
$fn$;
COMMENT ON FUNCTION @extschema@.cowrie_raw_event_ips(text[]) IS
'Backfill internals: (session_id, ip), the IP of the earliest raw_events row carrying one, for these sessions (no rows without raw_events)';

-- The IPs of a batch: each session's own (ips, NULL where its documents name
-- none), else its earliest raw event's, in the same order.
CREATE OR REPLACE FUNCTION @extschema@.cowrie_batch_ips(session_ids text[], ips text[]) RETURNS text[]
LANGUAGE plpgsql STABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $fn$
BEGIN
    IF pg_catalog.array_position(ips, NULL) IS NULL THEN
        RETURN ips;
    END IF;
    RETURN ARRAY(
        SELECT COALESCE(b.ip, r.ip)
        FROM ROWS FROM (pg_catalog.unnest(session_ids), pg_catalog.unnest(ips)) WITH ORDINALITY b(session_id, ip, n)
        LEFT JOIN @extschema@.cowrie_raw_event_ips(ARRAY(SELECT x.session_id FROM ROWS FROM (pg_catalog.unnest(session_ids), pg_catalog.unnest(ips)) x(session_id, ip)
                                                         WHERE x.ip IS NULL)) r
               ON r.session_id = b.session_id AND b.ip IS NULL
        ORDER BY b.n);
END
$fn$;
COMMENT ON FUNCTION @extschema@.cowrie_batch_ips(text[], text[]) IS
'Backfill internals: a batch''s IPs, with the earliest raw event''s IP for the sessions whose documents name none';
