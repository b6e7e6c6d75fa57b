------------------------------------------------------------------------------
-- Before phase 1: every session's facts (IP, ASN, data-quality flags) from one
-- read of its document, into pg_temp.cowrie_migrate_facts; sessions whose
-- documents name no IP take the earliest raw event's.
------------------------------------------------------------------------------

-- Whether cowrie_jsonb_safe can convert a json document (false: it gives NULL
-- and the migration counts the document).
CREATE OR REPLACE FUNCTION @extschema@.cowrie_json_fits_jsonb(document json) RETURNS boolean
AS 'MODULE_PATHNAME', 'cowrie_json_fits_jsonb'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE COST 20;
COMMENT ON FUNCTION @extschema@.cowrie_json_fits_jsonb(json) IS
'Internal: false for a json document too large for jsonb (cowrie_jsonb_safe gives NULL), by bytes or by values';

CREATE OR REPLACE FUNCTION @extschema@.cowrie_migrate_read_sessions() RETURNS jsonb
LANGUAGE plpgsql VOLATILE PARALLEL UNSAFE
SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
    from_raw_events bigint;
    counts jsonb;
BEGIN
    DROP TABLE IF EXISTS pg_temp.cowrie_migrate_facts;
    -- Dynamic only because a v15 table has no source_ip column yet. The fence
    -- evaluates the facts once per row, not once per field.
    EXECUTE pg_catalog.format($q$
        CREATE TEMP TABLE cowrie_migrate_facts AS
        SELECT s.session_id, COALESCE(s.canonical, (s.f).ip) AS ip,
               (s.f).ip_invalid, (s.f).asn, (s.f).asn_invalid, (s.f).nul_escape,
               s.first_event_at, s.last_event_at, s.created_at, s.unstorable,
               -- what a source_ip upstream stored holds: canonical, respelled, not_ip
               CASE WHEN s.source_ip IS NULL THEN NULL
                    WHEN s.canonical = s.source_ip THEN 'canonical'
                    WHEN s.canonical IS NOT NULL THEN 'respelled'
                    ELSE 'not_ip' END AS source_ip_state
        FROM (SELECT session_id, %1$s AS source_ip, @extschema@.cowrie_normalize_ip(%1$s) AS canonical,
                     @extschema@.cowrie_enrichment_facts(enrichment) AS f,
                     %2$s AS unstorable, first_event_at, last_event_at, created_at
              FROM @extschema@.session_summaries OFFSET 0) s$q$,
        CASE WHEN @extschema@.cowrie_has_column('@extschema@.session_summaries'::pg_catalog.regclass, 'source_ip')
             THEN 'source_ip::pg_catalog.text' ELSE 'NULL::pg_catalog.text' END,
        -- A json document jsonb cannot hold (cowrie_jsonb_safe gives NULL) by
        -- its byte size or by its number of values; one short enough for
        -- neither is told from its stored size, without detoasting it.
        CASE WHEN (SELECT a.atttypid FROM pg_catalog.pg_attribute a
                   WHERE a.attrelid = '@extschema@.session_summaries'::pg_catalog.regclass AND a.attname = 'enrichment')
                  = 'pg_catalog.json'::pg_catalog.regtype
             THEN 'NOT @extschema@.cowrie_json_fits_jsonb(enrichment)' ELSE 'false' END);
    -- Phase 4 finds each session's facts by session_id. Built before any
    -- update of the table: an index built after one is not usable in the
    -- transaction that built it (its broken HOT chains).
    CREATE INDEX ON pg_temp.cowrie_migrate_facts (session_id);
    UPDATE pg_temp.cowrie_migrate_facts f SET ip = r.ip
    FROM @extschema@.cowrie_raw_event_ips(ARRAY(SELECT x.session_id::pg_catalog.text FROM pg_temp.cowrie_migrate_facts x
                                                WHERE x.ip IS NULL)) r
    WHERE f.session_id::pg_catalog.text = r.session_id;
    GET DIAGNOSTICS from_raw_events = ROW_COUNT;
    ANALYZE pg_temp.cowrie_migrate_facts;
    SELECT pg_catalog.jsonb_build_object(
               'sessions', pg_catalog.count(*),
               'ip_from_raw_events', from_raw_events,
               'skipped_no_ip', pg_catalog.count(*) FILTER (WHERE ip IS NULL AND NOT COALESCE(ip_invalid, false)),
               'skipped_invalid_ip', pg_catalog.count(*) FILTER (WHERE ip IS NULL AND ip_invalid),
               'skipped_invalid_asn', pg_catalog.count(*) FILTER (WHERE asn_invalid),
               'sanitised_nul_escapes', pg_catalog.count(*) FILTER (WHERE nul_escape),
               'null_timestamps', pg_catalog.count(*) FILTER (WHERE first_event_at IS NULL OR last_event_at IS NULL),
               'source_ip_respelled', pg_catalog.count(*) FILTER (WHERE source_ip_state = 'respelled'),
               'source_ip_not_an_ip', pg_catalog.count(*) FILTER (WHERE source_ip_state = 'not_ip'),
               'documents_too_large_for_jsonb', pg_catalog.count(*) FILTER (WHERE unstorable))
      INTO counts FROM pg_temp.cowrie_migrate_facts;
    RETURN counts;
END
$fn$;
COMMENT ON FUNCTION @extschema@.cowrie_migrate_read_sessions() IS
'Internal: reads every session once into pg_temp.cowrie_migrate_facts; returns the counts for the summary';
