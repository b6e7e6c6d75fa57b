\echo Use "CREATE EXTENSION cowrie_snapshot" to load this file. \quit

-- cowrie_snapshot 1.0: the functions only. The v16 migration itself is the
-- update to 1.1 (cowrie_snapshot--1.0--1.1.sql), which calls cowrie_migrate().

------------------------------------------------------------------------------
-- IP addresses and types (C core)
------------------------------------------------------------------------------

CREATE FUNCTION @extschema@.cowrie_normalize_ip(ip text) RETURNS text
AS 'MODULE_PATHNAME', 'cowrie_normalize_ip'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.cowrie_normalize_ip(text) IS
'Canonical text of an IPv4 or IPv6 address (equal to host(ip::inet)), or NULL when it is not a strictly valid address';

CREATE FUNCTION @extschema@.cowrie_ip_is_private(ip text) RETURNS boolean
AS 'MODULE_PATHNAME', 'cowrie_ip_is_private_sql'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.cowrie_ip_is_private(text) IS
'True for private, loopback, link-local, multicast, reserved or unspecified addresses (Python 3.13 ipaddress rules); NULL when invalid';

CREATE FUNCTION @extschema@.cowrie_ip_type_priority(ip_type text) RETURNS integer
AS 'MODULE_PATHNAME', 'cowrie_ip_type_priority_sql'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.cowrie_ip_type_priority(text) IS
'VPN 1, TOR 2, PROXY 3, DATACENTER 4, RESIDENTIAL 5, MOBILE 6, anything else 99 (case-insensitive, trimmed)';

CREATE FUNCTION @extschema@.cowrie_primary_ip_type(ip_types text[]) RETURNS text
AS 'MODULE_PATHNAME', 'cowrie_primary_ip_type'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.cowrie_primary_ip_type(text[]) IS
'The highest-priority IP type of an array (ties keep array order; known types in upper case), NULL when none is usable';

------------------------------------------------------------------------------
-- Enrichment documents (json and jsonb)
-- COST: reading a document costs 20 (jsonb) to 100 (json text) operators,
-- and converting one to jsonb about 200; with these numbers the planner runs
-- scans over every session's document in parallel.
------------------------------------------------------------------------------

CREATE FUNCTION @extschema@.cowrie_extract_ip(enrichment jsonb) RETURNS text
AS 'MODULE_PATHNAME', 'cowrie_extract_ip_jsonb'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE COST 20;
COMMENT ON FUNCTION @extschema@.cowrie_extract_ip(jsonb) IS
'Canonical source IP of a session enrichment document: session_metadata.source_ip, dshield.ip.number, or the only key of the nested session map; NULL when none is valid';

CREATE FUNCTION @extschema@.cowrie_extract_ip(enrichment json) RETURNS text
AS 'MODULE_PATHNAME', 'cowrie_extract_ip_json'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE COST 100;
COMMENT ON FUNCTION @extschema@.cowrie_extract_ip(json) IS
'As cowrie_extract_ip(jsonb), reading the json text lazily (no failure on \u0000 elsewhere); the nested session map gives its first key';

CREATE FUNCTION @extschema@.cowrie_ip_types(spur jsonb) RETURNS text[]
AS 'MODULE_PATHNAME', 'cowrie_ip_types_jsonb'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE COST 20;
COMMENT ON FUNCTION @extschema@.cowrie_ip_types(jsonb) IS
'IP types a SPUR payload (or an enrichment document holding one) carries: upper case, de-duplicated, in priority order; {} when none';

CREATE FUNCTION @extschema@.cowrie_ip_types(spur json) RETURNS text[]
AS 'MODULE_PATHNAME', 'cowrie_ip_types_json'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE COST 100;
COMMENT ON FUNCTION @extschema@.cowrie_ip_types(json) IS
'As cowrie_ip_types(jsonb), for json';

CREATE TYPE @extschema@.cowrie_enrichment_facts AS (
    ip text,               -- canonical source IP, or NULL
    ip_invalid boolean,    -- an IP value was present but none was valid
    asn integer,           -- cymru.asn, else maxmind.asn: positive, within integer
    asn_invalid boolean,   -- an ASN value was present but unusable
    nul_escape boolean     -- json with a \u0000 escape (sanitised on conversion to jsonb)
);
COMMENT ON TYPE @extschema@.cowrie_enrichment_facts IS
'What one enrichment document says about its session, read in one pass';

CREATE FUNCTION @extschema@.cowrie_enrichment_facts(enrichment jsonb) RETURNS @extschema@.cowrie_enrichment_facts
AS 'MODULE_PATHNAME', 'cowrie_enrichment_facts_jsonb'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE COST 20;
COMMENT ON FUNCTION @extschema@.cowrie_enrichment_facts(jsonb) IS
'Source IP, ASN and data-quality flags of a session enrichment document, in one pass';

CREATE FUNCTION @extschema@.cowrie_enrichment_facts(enrichment json) RETURNS @extschema@.cowrie_enrichment_facts
AS 'MODULE_PATHNAME', 'cowrie_enrichment_facts_json'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE COST 100;
COMMENT ON FUNCTION @extschema@.cowrie_enrichment_facts(json) IS
'As cowrie_enrichment_facts(jsonb), for json';

CREATE FUNCTION @extschema@.cowrie_event_ip(payload jsonb) RETURNS text
AS 'MODULE_PATHNAME', 'cowrie_event_ip_jsonb'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE COST 20;
COMMENT ON FUNCTION @extschema@.cowrie_event_ip(jsonb) IS
'Canonical src_ip (else peer_ip) of a raw cowrie event, or NULL';

CREATE FUNCTION @extschema@.cowrie_event_ip(payload json) RETURNS text
AS 'MODULE_PATHNAME', 'cowrie_event_ip_json'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE COST 100;
COMMENT ON FUNCTION @extschema@.cowrie_event_ip(json) IS
'As cowrie_event_ip(jsonb), for json';

CREATE FUNCTION @extschema@.cowrie_jsonb_safe(document json) RETURNS jsonb
AS 'MODULE_PATHNAME', 'cowrie_jsonb_safe'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE COST 200;
COMMENT ON FUNCTION @extschema@.cowrie_jsonb_safe(json) IS
'json to jsonb that cannot fail on \u0000: each such escape becomes U+FFFD';

------------------------------------------------------------------------------
-- Snapshots
------------------------------------------------------------------------------

CREATE TYPE @extschema@.cowrie_snapshot AS (
    snapshot_asn integer,
    snapshot_country varchar(2),
    snapshot_ip_type text,
    enrichment_at timestamptz,
    outcome text           -- enriched, private, unparseable, no_inventory, no_country
);
COMMENT ON TYPE @extschema@.cowrie_snapshot IS 'A session snapshot and how it was decided';

CREATE FUNCTION @extschema@.cowrie_session_snapshot(
    ip text, inventory_found boolean, current_asn integer, geo_country text,
    ip_types text[], enrichment jsonb, enrichment_updated_at timestamptz)
RETURNS @extschema@.cowrie_snapshot
AS 'MODULE_PATHNAME', 'cowrie_session_snapshot'
LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.cowrie_session_snapshot(text, boolean, integer, text, text[], jsonb, timestamptz) IS
'The snapshot rule shared by the migration, the backfill, the lookup and the trigger: a session IP plus its ip_inventory row (found = false when none) give the snapshot columns';

CREATE FUNCTION @extschema@.cowrie_lookup_snapshots(ip_addresses text[])
RETURNS TABLE (ip_address text, snapshot_asn integer, snapshot_country varchar(2),
               snapshot_ip_type text, enrichment_at timestamptz)
AS 'MODULE_PATHNAME', 'cowrie_lookup_snapshots'
LANGUAGE C STABLE STRICT PARALLEL SAFE ROWS 1000;
COMMENT ON FUNCTION @extschema@.cowrie_lookup_snapshots(text[]) IS
'Snapshot values ip_inventory gives each distinct canonical IP of the array; IPs not in the inventory are omitted';

CREATE FUNCTION @extschema@.cowrie_session_snapshot_trigger() RETURNS trigger
AS 'MODULE_PATHNAME', 'cowrie_session_snapshot_trigger'
LANGUAGE C;
COMMENT ON FUNCTION @extschema@.cowrie_session_snapshot_trigger() IS
'BEFORE INSERT OR UPDATE row trigger on session_summaries: fills NULL source_ip and snapshot columns from ip_inventory, never overwriting';

------------------------------------------------------------------------------
-- Session IPs: source_ip, else the enrichment, else the earliest raw event.
-- The raw-events part as SQL text, built in one place and used by the
-- migration and the backfill: (session_id, ip) of the earliest raw_events row
-- carrying an IP, for each session a query lists, in one pass over their
-- events; no rows when that table (or a column the rule needs) is not there.
------------------------------------------------------------------------------

CREATE FUNCTION @extschema@.cowrie_raw_event_ips_sql(session_ids_sql text) RETURNS text
LANGUAGE plpgsql STABLE PARALLEL SAFE
SET search_path = @extschema@, pg_temp
AS $fn$
DECLARE
    events regclass := pg_catalog.to_regclass('@extschema@.raw_events');
BEGIN
    IF events IS NULL
       OR (SELECT pg_catalog.count(*) FROM pg_catalog.pg_attribute
           WHERE attrelid OPERATOR(pg_catalog.=) events AND NOT attisdropped
             AND attname IN ('session_id', 'payload', 'event_timestamp', 'source', 'source_offset', 'id')) < 6
    THEN
        RETURN 'SELECT NULL::pg_catalog.text AS session_id, NULL::pg_catalog.text AS ip WHERE false';
    END IF;
    -- The fence computes each event's IP once.
    RETURN pg_catalog.format($q$SELECT DISTINCT ON (e.session_id) e.session_id::pg_catalog.text AS session_id, e.ip
        FROM (SELECT e0.session_id, @extschema@.cowrie_event_ip(e0.payload) AS ip,
                     e0.event_timestamp, e0.source, e0.source_offset, e0.id
              FROM @extschema@.raw_events e0
              WHERE e0.session_id IN (%s) OFFSET 0) e
        WHERE e.ip IS NOT NULL
        ORDER BY e.session_id, e.event_timestamp NULLS LAST, e.source, e.source_offset, e.id$q$, session_ids_sql);
END
$fn$;
COMMENT ON FUNCTION @extschema@.cowrie_raw_event_ips_sql(text) IS
'Internal: SQL giving (session_id, ip), the canonical IP of the earliest raw_events row carrying one, for the sessions a query lists (no rows without raw_events)';

------------------------------------------------------------------------------
-- The v16 migration (upstream-cowrieprocessor.md §2, without bugs B1-B21).
-- One transaction; any error rolls everything back. Idempotent: a second run
-- on a migrated database changes nothing.
------------------------------------------------------------------------------

CREATE FUNCTION @extschema@.cowrie_has_column(tbl regclass, col name) RETURNS boolean
LANGUAGE sql STABLE PARALLEL SAFE
SET search_path = @extschema@, pg_temp
RETURN EXISTS (SELECT FROM pg_catalog.pg_attribute a
               WHERE a.attrelid OPERATOR(pg_catalog.=) tbl AND a.attname OPERATOR(pg_catalog.=) col
                 AND NOT a.attisdropped AND a.attnum OPERATOR(pg_catalog.>) 0);
COMMENT ON FUNCTION @extschema@.cowrie_has_column(regclass, name) IS 'Internal: does the table have this column';

CREATE FUNCTION @extschema@.cowrie_has_constraint(tbl regclass, con name) RETURNS boolean
LANGUAGE sql STABLE PARALLEL SAFE
SET search_path = @extschema@, pg_temp
RETURN EXISTS (SELECT FROM pg_catalog.pg_constraint c
               WHERE c.conrelid OPERATOR(pg_catalog.=) tbl AND c.conname OPERATOR(pg_catalog.=) con);
COMMENT ON FUNCTION @extschema@.cowrie_has_constraint(regclass, name) IS 'Internal: does the table have this constraint';

-- Writes the snapshot of every session a query lists as (session_id, ip, tid),
-- in one statement, through cowrie_session_snapshot: the migration and the
-- backfill both write here. Each distinct IP is decided once (a decision may
-- read the inventory's document). Rows are matched by tid (the backfill holds
-- them locked, so the tid cannot change) or by session_id. Non-NULL values are
-- never overwritten, except the 'XX' sentinel when retry_unenrichable finds a
-- country now. With dry_run it only counts. Returns sessions and the highest
-- tid per outcome.
CREATE FUNCTION @extschema@.cowrie_apply_snapshots(sessions_sql text, match_by_tid boolean,
                                                   retry_unenrichable boolean, dry_run boolean)
RETURNS TABLE (outcome text, sessions bigint, last_tid tid)
LANGUAGE plpgsql VOLATILE PARALLEL UNSAFE
SET search_path = @extschema@, pg_temp
AS $fn$
DECLARE
    -- The OFFSET 0 fence makes the inventory an index probe per IP rather
    -- than a hash of the whole inventory for every batch.
    decided text := pg_catalog.format($q$
        WITH w AS MATERIALIZED (%s),
        d AS MATERIALIZED (
            SELECT COALESCE(u.ip, '') AS ip_key, i.ip_address IS NOT NULL AS in_inventory, snap.*
            FROM (SELECT DISTINCT w.ip FROM w) u
            LEFT JOIN LATERAL (SELECT * FROM @extschema@.ip_inventory i0
                               WHERE i0.ip_address OPERATOR(pg_catalog.=) u.ip OFFSET 0) i ON true
            CROSS JOIN LATERAL @extschema@.cowrie_session_snapshot(u.ip, i.ip_address IS NOT NULL, i.current_asn,
                i.geo_country, i.ip_types, i.enrichment, i.enrichment_updated_at) snap)$q$, sessions_sql);
    -- '' is never a canonical IP: it stands for "no IP" in the join.
    matched text := $q$ d.ip_key OPERATOR(pg_catalog.=) COALESCE(w.ip, '')$q$;
BEGIN
    IF dry_run THEN
        RETURN QUERY EXECUTE decided || ' SELECT d.outcome, pg_catalog.count(*), pg_catalog.max(w.tid) FROM w JOIN d ON'
            || matched || ' GROUP BY d.outcome';
        RETURN;
    END IF;
    RETURN QUERY EXECUTE decided || $q$,
        written AS (
            UPDATE @extschema@.session_summaries s SET
                source_ip = COALESCE(s.source_ip, CASE WHEN d.in_inventory THEN w.ip END),
                snapshot_asn = COALESCE(s.snapshot_asn, d.snapshot_asn),
                snapshot_country = CASE
                    WHEN s.snapshot_country IS NULL THEN d.snapshot_country
                    WHEN $1 AND s.snapshot_country OPERATOR(pg_catalog.=) 'XX' AND d.outcome OPERATOR(pg_catalog.=) 'enriched'
                        THEN d.snapshot_country
                    ELSE s.snapshot_country END,
                snapshot_ip_type = COALESCE(s.snapshot_ip_type, d.snapshot_ip_type),
                enrichment_at = COALESCE(s.enrichment_at, d.enrichment_at)
            FROM w JOIN d ON$q$ || matched || $q$
            WHERE $q$ || CASE WHEN match_by_tid THEN 's.ctid OPERATOR(pg_catalog.=) w.tid'
                              ELSE 's.session_id OPERATOR(pg_catalog.=) w.session_id' END || $q$
            RETURNING d.outcome, w.tid)
        SELECT outcome, pg_catalog.count(*), pg_catalog.max(tid) FROM written GROUP BY outcome$q$
        USING retry_unenrichable;
END
$fn$;
COMMENT ON FUNCTION @extschema@.cowrie_apply_snapshots(text, boolean, boolean, boolean) IS
'Internal: writes (or with dry_run counts) the snapshots of the sessions a (session_id, ip, tid) query lists';

CREATE FUNCTION @extschema@.cowrie_migrate() RETURNS jsonb
LANGUAGE plpgsql VOLATILE PARALLEL UNSAFE
SET search_path = @extschema@, pg_temp
AS $fn$
DECLARE
    sessions regclass := pg_catalog.to_regclass('@extschema@.session_summaries');
    state regclass := pg_catalog.to_regclass('@extschema@.schema_state');
    version_text text;
    version int;
    repair boolean;
    defer boolean := COALESCE(pg_catalog.current_setting('cowrie_snapshot.defer_session_backfill', true), 'off')
                     IN ('on', 'true', '1', 'yes');
    is_jsonb boolean;
    doc text;            -- expression giving a session's enrichment as jsonb
    t0 timestamptz := pg_catalog.clock_timestamp();
    t timestamptz;
    phase_seconds jsonb := '{}';
    counts jsonb := '{}';
    n bigint;
    ext_oid oid;
BEGIN
    -- What is here?
    IF sessions IS NULL AND state IS NULL THEN
        RAISE INFO 'cowrie_snapshot: no cowrie tables in schema %, nothing migrated', '@extschema@'
            USING HINT = 'Run SELECT cowrie_migrate() once the cowrie tables exist (as after pg_restore).';
        RETURN jsonb_build_object('status', 'no_cowrie_tables');
    END IF;
    IF sessions IS NULL THEN
        RAISE EXCEPTION 'cowrie_snapshot: schema_state exists but session_summaries does not'
            USING ERRCODE = 'object_not_in_prerequisite_state',
                  DETAIL = pg_catalog.format('Found %s without %s.', state, '@extschema@.session_summaries'),
                  HINT = 'Install the extension in the schema that holds the cowrie tables.';
    END IF;
    IF state IS NOT NULL THEN
        EXECUTE 'SELECT value FROM @extschema@.schema_state WHERE key OPERATOR(pg_catalog.=) $1'
            INTO version_text USING 'schema_version';
    END IF;
    IF version_text IS NULL THEN
        RAISE EXCEPTION 'cowrie_snapshot: session_summaries has no schema version'
            USING ERRCODE = 'object_not_in_prerequisite_state',
                  DETAIL = pg_catalog.format('%s found, but %s.', sessions,
                      CASE WHEN state IS NULL THEN 'no schema_state table'
                           ELSE 'no schema_state row with key ''schema_version''' END),
                  HINT = 'Bring the database to schema v15 with cowrieprocessor first, or insert the schema_version row if you know it is v15.';
    END IF;
    IF version_text !~ '^\s*[0-9]{1,9}\s*$' OR pg_catalog.btrim(version_text)::int < 15 THEN
        RAISE EXCEPTION 'cowrie_snapshot: schema version % is not supported', pg_catalog.quote_literal(version_text)
            USING ERRCODE = 'object_not_in_prerequisite_state',
                  DETAIL = pg_catalog.format('schema_state.schema_version is %L; the v16 migration needs 15 or later.', version_text),
                  HINT = 'Run cowrieprocessor''s own migrations up to v15 first; nothing was changed.';
    END IF;
    version := pg_catalog.btrim(version_text)::int;
    repair := version >= 16;

    -- Writers wait for the migration; readers go on until the first ALTER.
    LOCK TABLE @extschema@.session_summaries IN SHARE MODE;
    is_jsonb := (SELECT a.atttypid OPERATOR(pg_catalog.=) 'pg_catalog.jsonb'::regtype
                 FROM pg_catalog.pg_attribute a
                 WHERE a.attrelid OPERATOR(pg_catalog.=) sessions AND a.attname OPERATOR(pg_catalog.=) 'enrichment');
    IF (SELECT a.atttypid FROM pg_catalog.pg_attribute a
        WHERE a.attrelid OPERATOR(pg_catalog.=) sessions AND a.attname OPERATOR(pg_catalog.=) 'enrichment' AND NOT a.attisdropped)
       NOT IN ('pg_catalog.json'::regtype, 'pg_catalog.jsonb'::regtype)
       OR NOT @extschema@.cowrie_has_column(sessions, 'enrichment') THEN
        RAISE EXCEPTION 'cowrie_snapshot: session_summaries.enrichment is not json or jsonb'
            USING ERRCODE = 'object_not_in_prerequisite_state',
                  DETAIL = pg_catalog.format('Its type is %s.', COALESCE((SELECT pg_catalog.format_type(a.atttypid, a.atttypmod)
                      FROM pg_catalog.pg_attribute a WHERE a.attrelid OPERATOR(pg_catalog.=) sessions
                        AND a.attname OPERATOR(pg_catalog.=) 'enrichment' AND NOT a.attisdropped), 'missing')),
                  HINT = 'cowrieprocessor stores enrichment as json (or jsonb in old databases); nothing was changed.';
    END IF;
    doc := CASE WHEN is_jsonb THEN 's.enrichment' ELSE '@extschema@.cowrie_jsonb_safe(s.enrichment)' END;

    -- Every session's facts, from one read of its document.
    t := pg_catalog.clock_timestamp();
    DROP TABLE IF EXISTS pg_temp.cowrie_migrate_facts;
    EXECUTE pg_catalog.format($q$
        CREATE TEMP TABLE cowrie_migrate_facts AS
        SELECT s.session_id, %s AS ip, (s.f).ip_invalid, (s.f).asn, (s.f).asn_invalid, (s.f).nul_escape,
               s.first_event_at, s.last_event_at, s.created_at
        -- The fence evaluates the facts once per row, not once per field.
        FROM (SELECT session_id, %s AS source_ip, @extschema@.cowrie_enrichment_facts(enrichment) AS f,
                     first_event_at, last_event_at, created_at
              FROM @extschema@.session_summaries OFFSET 0) s$q$,
        'COALESCE(@extschema@.cowrie_normalize_ip(s.source_ip), (s.f).ip)',
        CASE WHEN @extschema@.cowrie_has_column(sessions, 'source_ip') THEN 'source_ip' ELSE 'NULL::pg_catalog.text' END);
    EXECUTE 'UPDATE pg_temp.cowrie_migrate_facts f SET ip = r.ip FROM ('
        || @extschema@.cowrie_raw_event_ips_sql('SELECT x.session_id FROM pg_temp.cowrie_migrate_facts x WHERE x.ip IS NULL')
        || ') r WHERE f.session_id OPERATOR(pg_catalog.=) r.session_id';
    GET DIAGNOSTICS n = ROW_COUNT;
    ANALYZE pg_temp.cowrie_migrate_facts;
    SELECT counts || jsonb_build_object(
               'sessions', pg_catalog.count(*),
               'ip_from_raw_events', n,
               'skipped_no_ip', pg_catalog.count(*) FILTER (WHERE ip IS NULL AND NOT COALESCE(ip_invalid, false)),
               'skipped_invalid_ip', pg_catalog.count(*) FILTER (WHERE ip IS NULL AND ip_invalid),
               'skipped_invalid_asn', pg_catalog.count(*) FILTER (WHERE asn_invalid),
               'sanitised_nul_escapes', pg_catalog.count(*) FILTER (WHERE nul_escape),
               'null_timestamps', pg_catalog.count(*) FILTER (WHERE first_event_at IS NULL OR last_event_at IS NULL))
      INTO counts FROM pg_temp.cowrie_migrate_facts;
    phase_seconds := phase_seconds || jsonb_build_object('read_sessions', pg_catalog.round(extract(epoch FROM pg_catalog.clock_timestamp() - t)::numeric, 3));

    -- Phase 1: session_summaries.source_ip (filled below, with the snapshots, in one write).
    t := pg_catalog.clock_timestamp();
    IF NOT @extschema@.cowrie_has_column(sessions, 'source_ip') THEN
        ALTER TABLE @extschema@.session_summaries ADD COLUMN source_ip varchar(45);
    END IF;
    phase_seconds := phase_seconds || jsonb_build_object('phase1_source_ip', pg_catalog.round(extract(epoch FROM pg_catalog.clock_timestamp() - t)::numeric, 3));

    -- Phase 2: asn_inventory.
    t := pg_catalog.clock_timestamp();
    PERFORM @extschema@.cowrie_migrate_asn_inventory();
    EXECUTE $q$
        WITH latest AS (
            SELECT DISTINCT ON (asn) asn, session_id FROM pg_temp.cowrie_migrate_facts
            WHERE asn IS NOT NULL
            ORDER BY asn, last_event_at DESC NULLS LAST, session_id),
        agg AS (
            SELECT asn,
                   COALESCE(pg_catalog.min(first_event_at), pg_catalog.min(created_at), pg_catalog.now()) AS first_seen,
                   COALESCE(pg_catalog.max(last_event_at), pg_catalog.max(created_at), pg_catalog.now()) AS last_seen,
                   pg_catalog.count(DISTINCT ip) AS ips, pg_catalog.count(*) AS n
            FROM pg_temp.cowrie_migrate_facts WHERE asn IS NOT NULL GROUP BY asn)
        INSERT INTO @extschema@.asn_inventory AS a
            (asn_number, first_seen, last_seen, unique_ip_count, total_session_count, enrichment)
        SELECT agg.asn, agg.first_seen, agg.last_seen, agg.ips, agg.n, $q$ || doc || $q$
        FROM agg JOIN latest USING (asn)
        JOIN @extschema@.session_summaries s ON s.session_id OPERATOR(pg_catalog.=) latest.session_id
        ON CONFLICT (asn_number) DO NOTHING$q$;
    GET DIAGNOSTICS n = ROW_COUNT;
    counts := counts || jsonb_build_object('asn_inventory_inserted', n);
    phase_seconds := phase_seconds || jsonb_build_object('phase2_asn_inventory', pg_catalog.round(extract(epoch FROM pg_catalog.clock_timestamp() - t)::numeric, 3));

    -- Phase 3: ip_inventory, one row per distinct canonical IP, from its latest session.
    t := pg_catalog.clock_timestamp();
    PERFORM @extschema@.cowrie_migrate_ip_inventory();
    -- Rows that are already there (upstream never fills ip_types); the rows
    -- inserted below get theirs as they are inserted. Each document read once.
    UPDATE @extschema@.ip_inventory i SET ip_types = r.types
    FROM (SELECT ip_address, @extschema@.cowrie_ip_types(enrichment) AS types
          FROM @extschema@.ip_inventory
          WHERE ip_types IS NULL OR ip_types OPERATOR(pg_catalog.=) '{}'::text[] OFFSET 0) r
    WHERE i.ip_address OPERATOR(pg_catalog.=) r.ip_address AND r.types OPERATOR(pg_catalog.<>) '{}'::text[];
    GET DIAGNOSTICS n = ROW_COUNT;
    counts := counts || jsonb_build_object('ip_types_repaired', n);
    EXECUTE $q$
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
        JOIN @extschema@.session_summaries s ON s.session_id OPERATOR(pg_catalog.=) latest.session_id
        CROSS JOIN LATERAL (SELECT COALESCE($q$ || doc || $q$, '{}'::jsonb) AS doc) d
        ON CONFLICT (ip_address) DO NOTHING$q$;
    GET DIAGNOSTICS n = ROW_COUNT;
    counts := counts || jsonb_build_object('ip_inventory_inserted', n);
    phase_seconds := phase_seconds || jsonb_build_object('phase3_ip_inventory', pg_catalog.round(extract(epoch FROM pg_catalog.clock_timestamp() - t)::numeric, 3));

    -- Phase 4: snapshot columns, then every session written once, then the indexes.
    t := pg_catalog.clock_timestamp();
    PERFORM @extschema@.cowrie_migrate_snapshot_columns(repair);
    IF defer THEN
        counts := counts || jsonb_build_object('sessions_filled', 0, 'sessions_deferred', true);
    ELSE
        IF repair THEN
            -- Sessions that already have a snapshot are not written again.
            DELETE FROM pg_temp.cowrie_migrate_facts f USING @extschema@.session_summaries s
            WHERE s.session_id OPERATOR(pg_catalog.=) f.session_id AND s.snapshot_country IS NOT NULL;
        END IF;
        SELECT pg_catalog.sum(a.sessions) INTO n
        FROM @extschema@.cowrie_apply_snapshots('SELECT session_id, ip, NULL::pg_catalog.tid AS tid FROM pg_temp.cowrie_migrate_facts',
                                               false, false, false) a;
        counts := counts || jsonb_build_object('sessions_filled', COALESCE(n, 0));
    END IF;
    PERFORM @extschema@.cowrie_migrate_session_indexes();
    -- Statistics for the new tables, and for the new columns once they hold
    -- values (deferred, they are all NULL until the backfill).
    ANALYZE @extschema@.ip_inventory, @extschema@.asn_inventory;
    IF NOT defer THEN
        ANALYZE @extschema@.session_summaries (source_ip, snapshot_asn, snapshot_country, snapshot_ip_type, enrichment_at);
    END IF;
    phase_seconds := phase_seconds || jsonb_build_object('phase4_snapshots', pg_catalog.round(extract(epoch FROM pg_catalog.clock_timestamp() - t)::numeric, 3));

    -- Phase 5: foreign keys, the ingestion trigger, the version.
    t := pg_catalog.clock_timestamp();
    counts := counts || @extschema@.cowrie_migrate_foreign_keys();
    PERFORM @extschema@.cowrie_migrate_trigger();
    IF version < 16 THEN
        EXECUTE 'UPDATE @extschema@.schema_state SET value = $1 WHERE key OPERATOR(pg_catalog.=) $2'
            USING '16', 'schema_version';
    END IF;
    phase_seconds := phase_seconds || jsonb_build_object('phase5_foreign_keys', pg_catalog.round(extract(epoch FROM pg_catalog.clock_timestamp() - t)::numeric, 3));

    -- Describe the tables for \d+, without replacing an operator's own comment.
    IF pg_catalog.obj_description('@extschema@.ip_inventory'::regclass, 'pg_class') IS NULL THEN
        COMMENT ON TABLE @extschema@.ip_inventory IS
            'One row per attacking IP (canonical text): its current enrichment, ASN, country and IP types (cowrie schema v16)';
    END IF;
    IF pg_catalog.obj_description('@extschema@.asn_inventory'::regclass, 'pg_class') IS NULL THEN
        COMMENT ON TABLE @extschema@.asn_inventory IS
            'One row per autonomous system seen in the sessions or referenced by ip_inventory (cowrie schema v16)';
    END IF;

    -- Tables holding user data are never extension members: DROP EXTENSION keeps them, pg_dump dumps them.
    SELECT oid INTO ext_oid FROM pg_catalog.pg_extension WHERE extname OPERATOR(pg_catalog.=) 'cowrie_snapshot';
    IF ext_oid IS NOT NULL THEN
        PERFORM @extschema@.cowrie_disown_tables(ext_oid);
    END IF;
    DROP TABLE pg_temp.cowrie_migrate_facts;

    -- INFO, not NOTICE: inside ALTER EXTENSION client_min_messages is raised to WARNING.
    RAISE INFO 'cowrie_snapshot: % (%)',
        CASE WHEN repair THEN 'v16 schema verified and repaired' ELSE 'schema migrated to v16' END,
        CASE WHEN defer THEN 'session rows deferred to cowrie_backfill' ELSE 'session rows filled' END
        USING DETAIL = pg_catalog.format('%s s in all; rows: %s; seconds per phase: %s',
                           pg_catalog.round(extract(epoch FROM pg_catalog.clock_timestamp() - t0)::numeric, 3), counts, phase_seconds);
    RETURN jsonb_build_object('status', CASE WHEN repair THEN 'repaired' ELSE 'migrated' END,
                              'from_version', version, 'deferred', defer,
                              'counts', counts, 'seconds', phase_seconds);
END
$fn$;
COMMENT ON FUNCTION @extschema@.cowrie_migrate() IS
'The schema v16 migration (source_ip, asn_inventory, ip_inventory, snapshot columns, foreign keys); idempotent; what ALTER EXTENSION cowrie_snapshot UPDATE runs';

-- Creates an index unless one of that name exists (IF NOT EXISTS is refused
-- inside extension scripts for objects the extension does not own).
CREATE FUNCTION @extschema@.cowrie_create_index(index_name name, definition text) RETURNS boolean
LANGUAGE plpgsql VOLATILE PARALLEL UNSAFE
SET search_path = @extschema@, pg_temp
AS $fn$
BEGIN
    IF pg_catalog.to_regclass(pg_catalog.quote_ident('@extschema@') OPERATOR(pg_catalog.||) '.' OPERATOR(pg_catalog.||) pg_catalog.quote_ident(index_name)) IS NOT NULL THEN
        RETURN false;
    END IF;
    EXECUTE pg_catalog.format('CREATE INDEX %I ON %s', index_name, definition);
    RETURN true;
END
$fn$;
COMMENT ON FUNCTION @extschema@.cowrie_create_index(name, text) IS 'Internal: CREATE INDEX name ON definition, unless it exists';

CREATE FUNCTION @extschema@.cowrie_migrate_asn_inventory() RETURNS void
LANGUAGE plpgsql VOLATILE PARALLEL UNSAFE
SET search_path = @extschema@, pg_temp
AS $fn$
BEGIN
    -- The ORM-shaped table upstream's create_all leaves behind is adopted as it is.
    IF pg_catalog.to_regclass('@extschema@.asn_inventory') IS NULL THEN
        -- rir_registry, not the migration's `registry`: it is what upstream's code writes.
        CREATE TABLE @extschema@.asn_inventory (
            asn_number integer NOT NULL PRIMARY KEY CHECK (asn_number > 0),
            organization_name text,
            organization_country varchar(2)
                CHECK (organization_country IS NULL OR organization_country ~ '^[A-Z]{2}$'),
            rir_registry varchar(10),
            asn_type text,
            is_known_hosting boolean DEFAULT false,
            is_known_vpn boolean DEFAULT false,
            first_seen timestamptz NOT NULL,
            last_seen timestamptz NOT NULL,
            unique_ip_count integer DEFAULT 0,
            total_session_count integer DEFAULT 0,
            enrichment jsonb DEFAULT '{}'::jsonb,
            enrichment_updated_at timestamptz,
            created_at timestamptz NOT NULL DEFAULT pg_catalog.now(),
            updated_at timestamptz NOT NULL DEFAULT pg_catalog.now());
    END IF;
    PERFORM @extschema@.cowrie_create_index('idx_asn_org_name', '@extschema@.asn_inventory (organization_name)');
    PERFORM @extschema@.cowrie_create_index('idx_asn_type', '@extschema@.asn_inventory (asn_type)');
    PERFORM @extschema@.cowrie_create_index('idx_asn_session_count', '@extschema@.asn_inventory (total_session_count DESC)');
END
$fn$;
COMMENT ON FUNCTION @extschema@.cowrie_migrate_asn_inventory() IS 'Internal: v16 phase 2 DDL';

CREATE FUNCTION @extschema@.cowrie_migrate_ip_inventory() RETURNS void
LANGUAGE plpgsql VOLATILE PARALLEL UNSAFE
SET search_path = @extschema@, pg_temp
AS $fn$
DECLARE
    inv regclass := pg_catalog.to_regclass('@extschema@.ip_inventory');
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
        -- Adopt the ORM shape with ALTER: never drop a table that holds rows (upstream B4).
        IF (SELECT a.atttypid FROM pg_catalog.pg_attribute a
            WHERE a.attrelid OPERATOR(pg_catalog.=) inv AND a.attname OPERATOR(pg_catalog.=) 'enrichment')
           OPERATOR(pg_catalog.=) 'pg_catalog.json'::regtype THEN
            ALTER TABLE @extschema@.ip_inventory
                ALTER COLUMN enrichment TYPE jsonb USING @extschema@.cowrie_jsonb_safe(enrichment),
                ALTER COLUMN enrichment SET DEFAULT '{}'::jsonb;
        END IF;
        IF (SELECT a.atttypmod FROM pg_catalog.pg_attribute a
            WHERE a.attrelid OPERATOR(pg_catalog.=) inv AND a.attname OPERATOR(pg_catalog.=) 'enrichment_version')
           OPERATOR(pg_catalog.<) 24 THEN
            ALTER TABLE @extschema@.ip_inventory ALTER COLUMN enrichment_version TYPE varchar(20);
        END IF;
    END IF;
    -- Generated expressions are total: a bad value falls through to the next source, never fails the row (B8, B9).
    IF NOT @extschema@.cowrie_has_column(inv, 'geo_country') THEN
        ALTER TABLE @extschema@.ip_inventory ADD COLUMN geo_country varchar(2) GENERATED ALWAYS AS (
            pg_catalog.upper(COALESCE(
                CASE WHEN (enrichment -> 'maxmind' ->> 'country') ~ '^[A-Za-z]{2}$' THEN enrichment -> 'maxmind' ->> 'country' END,
                CASE WHEN (enrichment -> 'cymru' ->> 'country') ~ '^[A-Za-z]{2}$' THEN enrichment -> 'cymru' ->> 'country' END,
                CASE WHEN (enrichment -> 'dshield' -> 'ip' ->> 'ascountry') ~ '^[A-Za-z]{2}$' THEN enrichment -> 'dshield' -> 'ip' ->> 'ascountry' END,
                'XX'))::varchar(2)) STORED;
    END IF;
    IF NOT @extschema@.cowrie_has_column(inv, 'ip_types') THEN
        ALTER TABLE @extschema@.ip_inventory ADD COLUMN ip_types text[] DEFAULT ARRAY[]::text[];
    END IF;
    IF NOT @extschema@.cowrie_has_column(inv, 'is_scanner') THEN
        ALTER TABLE @extschema@.ip_inventory ADD COLUMN is_scanner boolean GENERATED ALWAYS AS (
            COALESCE(pg_catalog.lower(enrichment -> 'greynoise' ->> 'noise') IN ('true', 't', 'yes', 'y', 'on', '1'), false)) STORED;
    END IF;
    IF NOT @extschema@.cowrie_has_column(inv, 'is_bogon') THEN
        ALTER TABLE @extschema@.ip_inventory ADD COLUMN is_bogon boolean GENERATED ALWAYS AS (
            COALESCE(pg_catalog.lower(enrichment -> 'validation' ->> 'is_bogon') IN ('true', 't', 'yes', 'y', 'on', '1'), false)) STORED;
    END IF;
    IF NOT EXISTS (SELECT FROM pg_catalog.pg_constraint c WHERE c.conrelid OPERATOR(pg_catalog.=) inv AND c.contype OPERATOR(pg_catalog.=) 'c'
                   AND c.conname OPERATOR(pg_catalog.=) 'ip_inventory_session_count_check') THEN
        ALTER TABLE @extschema@.ip_inventory ADD CONSTRAINT ip_inventory_session_count_check CHECK (session_count >= 0) NOT VALID;
        IF NOT EXISTS (SELECT FROM @extschema@.ip_inventory WHERE session_count < 0) THEN
            ALTER TABLE @extschema@.ip_inventory VALIDATE CONSTRAINT ip_inventory_session_count_check;
        ELSE
            RAISE NOTICE 'cowrie_snapshot: ip_inventory has negative session_count values; ip_inventory_session_count_check left NOT VALID';
        END IF;
    END IF;
    PERFORM @extschema@.cowrie_create_index('idx_ip_current_asn', '@extschema@.ip_inventory (current_asn)');
    PERFORM @extschema@.cowrie_create_index('idx_ip_geo_country', '@extschema@.ip_inventory (geo_country)');
    PERFORM @extschema@.cowrie_create_index('idx_ip_session_count', '@extschema@.ip_inventory (session_count DESC)');
    PERFORM @extschema@.cowrie_create_index('idx_ip_enrichment_updated', '@extschema@.ip_inventory (enrichment_updated_at)');
    PERFORM @extschema@.cowrie_create_index('idx_ip_staleness_active',
        '@extschema@.ip_inventory (enrichment_updated_at, last_seen) WHERE enrichment_updated_at IS NOT NULL');
END
$fn$;
COMMENT ON FUNCTION @extschema@.cowrie_migrate_ip_inventory() IS 'Internal: v16 phase 3 DDL (create, or adopt the ORM shape with ALTER)';

CREATE FUNCTION @extschema@.cowrie_migrate_snapshot_columns(repair boolean) RETURNS void
LANGUAGE plpgsql VOLATILE PARALLEL UNSAFE
SET search_path = @extschema@, pg_temp
AS $fn$
DECLARE
    sessions regclass := '@extschema@.session_summaries'::regclass;
    col name;
BEGIN
    -- Only timestamp without time zone is converted; timestamptz values never move (B5).
    FOREACH col IN ARRAY ARRAY['first_event_at', 'last_event_at']::name[] LOOP
        IF NOT repair AND (SELECT a.atttypid FROM pg_catalog.pg_attribute a
                           WHERE a.attrelid OPERATOR(pg_catalog.=) sessions AND a.attname OPERATOR(pg_catalog.=) col)
                          OPERATOR(pg_catalog.=) 'pg_catalog.timestamp'::regtype THEN
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
            CONSTRAINT snapshot_country_iso CHECK (snapshot_country IS NULL OR snapshot_country ~ '^[A-Z]{2}$');
    END IF;
    IF NOT @extschema@.cowrie_has_column(sessions, 'snapshot_ip_type') THEN
        ALTER TABLE @extschema@.session_summaries ADD COLUMN snapshot_ip_type text;
    END IF;
    IF NOT @extschema@.cowrie_has_constraint(sessions, 'snapshot_country_iso') THEN
        ALTER TABLE @extschema@.session_summaries ADD CONSTRAINT snapshot_country_iso
            CHECK (snapshot_country IS NULL OR snapshot_country ~ '^[A-Z]{2}$') NOT VALID;
        IF NOT EXISTS (SELECT FROM @extschema@.session_summaries WHERE snapshot_country !~ '^[A-Z]{2}$') THEN
            ALTER TABLE @extschema@.session_summaries VALIDATE CONSTRAINT snapshot_country_iso;
        ELSE
            RAISE NOTICE 'cowrie_snapshot: session_summaries has snapshot_country values that are not ISO codes; snapshot_country_iso left NOT VALID';
        END IF;
    END IF;
END
$fn$;
COMMENT ON FUNCTION @extschema@.cowrie_migrate_snapshot_columns(boolean) IS 'Internal: v16 phase 4 DDL';

CREATE FUNCTION @extschema@.cowrie_migrate_session_indexes() RETURNS void
LANGUAGE plpgsql VOLATILE PARALLEL UNSAFE
SET search_path = @extschema@, pg_temp
AS $fn$
BEGIN
    -- Built after the rows are filled: one index build instead of index maintenance per row.
    PERFORM @extschema@.cowrie_create_index('idx_session_source_ip', '@extschema@.session_summaries (source_ip)');
    PERFORM @extschema@.cowrie_create_index('idx_session_snapshot_asn', '@extschema@.session_summaries (snapshot_asn)');
    PERFORM @extschema@.cowrie_create_index('idx_session_snapshot_country', '@extschema@.session_summaries (snapshot_country)');
    PERFORM @extschema@.cowrie_create_index('idx_session_first_event_brin', '@extschema@.session_summaries USING brin (first_event_at)');
    PERFORM @extschema@.cowrie_create_index('idx_session_last_event_brin', '@extschema@.session_summaries USING brin (last_event_at)');
END
$fn$;
COMMENT ON FUNCTION @extschema@.cowrie_migrate_session_indexes() IS 'Internal: v16 session indexes';

CREATE FUNCTION @extschema@.cowrie_migrate_foreign_keys() RETURNS jsonb
LANGUAGE plpgsql VOLATILE PARALLEL UNSAFE
SET search_path = @extschema@, pg_temp
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
    -- Make both constraints hold before adding them (B16): no data is dropped.
    UPDATE @extschema@.ip_inventory SET current_asn = NULL WHERE current_asn <= 0;
    GET DIAGNOSTICS nulled = ROW_COUNT;
    INSERT INTO @extschema@.asn_inventory (asn_number, first_seen, last_seen, unique_ip_count, total_session_count)
    SELECT i.current_asn, pg_catalog.min(i.first_seen), pg_catalog.max(i.last_seen), pg_catalog.count(*),
           pg_catalog.sum(COALESCE(i.session_count, 0))
    FROM @extschema@.ip_inventory i
    WHERE i.current_asn IS NOT NULL
      AND NOT EXISTS (SELECT FROM @extschema@.asn_inventory a WHERE a.asn_number OPERATOR(pg_catalog.=) i.current_asn)
    GROUP BY i.current_asn;
    GET DIAGNOSTICS asn_rows = ROW_COUNT;
    INSERT INTO @extschema@.ip_inventory (ip_address, first_seen, last_seen, session_count)
    SELECT s.source_ip,
           COALESCE(pg_catalog.min(s.first_event_at), pg_catalog.min(s.created_at), pg_catalog.now()),
           COALESCE(pg_catalog.max(s.last_event_at), pg_catalog.max(s.created_at), pg_catalog.now()),
           pg_catalog.count(*)
    FROM @extschema@.session_summaries s
    WHERE s.source_ip IS NOT NULL
      AND NOT EXISTS (SELECT FROM @extschema@.ip_inventory i WHERE i.ip_address OPERATOR(pg_catalog.=) s.source_ip)
    GROUP BY s.source_ip;
    GET DIAGNOSTICS ip_rows = ROW_COUNT;

    -- An unnamed ORM foreign key on the same column is renamed, not duplicated.
    IF NOT @extschema@.cowrie_has_constraint(inv, 'fk_ip_current_asn') THEN
        SELECT c.conname INTO other FROM pg_catalog.pg_constraint c
        WHERE c.conrelid OPERATOR(pg_catalog.=) inv AND c.confrelid OPERATOR(pg_catalog.=) asns AND c.contype OPERATOR(pg_catalog.=) 'f' LIMIT 1;
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
        WHERE c.conrelid OPERATOR(pg_catalog.=) sessions AND c.confrelid OPERATOR(pg_catalog.=) inv AND c.contype OPERATOR(pg_catalog.=) 'f' LIMIT 1;
        IF other IS NOT NULL THEN
            EXECUTE pg_catalog.format('ALTER TABLE @extschema@.session_summaries RENAME CONSTRAINT %I TO fk_session_source_ip', other);
        ELSE
            ALTER TABLE @extschema@.session_summaries ADD CONSTRAINT fk_session_source_ip
                FOREIGN KEY (source_ip) REFERENCES @extschema@.ip_inventory (ip_address) NOT VALID;
        END IF;
    END IF;
    IF NOT (SELECT c.convalidated FROM pg_catalog.pg_constraint c
            WHERE c.conrelid OPERATOR(pg_catalog.=) inv AND c.conname OPERATOR(pg_catalog.=) 'fk_ip_current_asn') THEN
        ALTER TABLE @extschema@.ip_inventory VALIDATE CONSTRAINT fk_ip_current_asn;
    END IF;
    IF NOT (SELECT c.convalidated FROM pg_catalog.pg_constraint c
            WHERE c.conrelid OPERATOR(pg_catalog.=) sessions AND c.conname OPERATOR(pg_catalog.=) 'fk_session_source_ip') THEN
        ALTER TABLE @extschema@.session_summaries VALIDATE CONSTRAINT fk_session_source_ip;
    END IF;
    RETURN jsonb_build_object('non_positive_asns_nulled', nulled, 'asn_rows_for_references', asn_rows,
                              'ip_rows_for_orphan_sessions', ip_rows);
END
$fn$;
COMMENT ON FUNCTION @extschema@.cowrie_migrate_foreign_keys() IS 'Internal: v16 phase 5 (fk_ip_current_asn, fk_session_source_ip)';

CREATE FUNCTION @extschema@.cowrie_migrate_trigger() RETURNS void
LANGUAGE plpgsql VOLATILE PARALLEL UNSAFE
SET search_path = @extschema@, pg_temp
AS $fn$
BEGIN
    IF NOT EXISTS (SELECT FROM pg_catalog.pg_trigger t
                   WHERE t.tgrelid OPERATOR(pg_catalog.=) '@extschema@.session_summaries'::regclass
                     AND t.tgname OPERATOR(pg_catalog.=) 'cowrie_session_snapshot') THEN
        CREATE TRIGGER cowrie_session_snapshot
            BEFORE INSERT OR UPDATE ON @extschema@.session_summaries
            FOR EACH ROW WHEN (NEW.snapshot_country IS NULL)
            EXECUTE FUNCTION @extschema@.cowrie_session_snapshot_trigger();
        -- DROP EXTENSION then drops the trigger with it, and no table, column or row.
        IF EXISTS (SELECT FROM pg_catalog.pg_extension WHERE extname OPERATOR(pg_catalog.=) 'cowrie_snapshot') THEN
            ALTER TRIGGER cowrie_session_snapshot ON @extschema@.session_summaries DEPENDS ON EXTENSION cowrie_snapshot;
        END IF;
    END IF;
END
$fn$;
COMMENT ON FUNCTION @extschema@.cowrie_migrate_trigger() IS 'Internal: installs the ingestion trigger on session_summaries';

CREATE FUNCTION @extschema@.cowrie_disown_tables(ext_oid oid) RETURNS void
LANGUAGE plpgsql VOLATILE PARALLEL UNSAFE
SET search_path = @extschema@, pg_temp
AS $fn$
DECLARE
    rel record;
BEGIN
    FOR rel IN
        SELECT c.oid::regclass AS name, c.relkind FROM pg_catalog.pg_depend d
        JOIN pg_catalog.pg_class c ON c.oid OPERATOR(pg_catalog.=) d.objid
        WHERE d.classid OPERATOR(pg_catalog.=) 'pg_catalog.pg_class'::regclass
          AND d.refclassid OPERATOR(pg_catalog.=) 'pg_catalog.pg_extension'::regclass
          AND d.refobjid OPERATOR(pg_catalog.=) ext_oid AND d.deptype OPERATOR(pg_catalog.=) 'e'
          AND c.relkind IN ('r', 'p', 'S') AND c.relpersistence OPERATOR(pg_catalog.<>) 't'
    LOOP
        EXECUTE pg_catalog.format('ALTER EXTENSION cowrie_snapshot DROP %s %s',
                                  CASE rel.relkind WHEN 'S' THEN 'SEQUENCE' ELSE 'TABLE' END, rel.name);
    END LOOP;
END
$fn$;
COMMENT ON FUNCTION @extschema@.cowrie_disown_tables(oid) IS
'Internal: tables created by the migration hold user data, so they are not extension members';

------------------------------------------------------------------------------
-- Backfill (upstream-cowrieprocessor.md §4.4, without C1-C13): keyset batches
-- in heap order, one set-based write per batch, every selected row leaves the
-- eligible set, so a run always ends.
--
-- Why heap order and not session_id order: session ids are random, so
-- batches by session_id touch every page of the table about once per row and
-- revisit it later, which at 1M sessions (table larger than shared_buffers)
-- reads and dirties each page several times (BENCHMARKS.md). A batch is the
-- next batch_size eligible rows after the watermark (a tid) within a range of
-- heap blocks holding about batch_size rows: a TID Range Scan, each page read
-- and written once per run, the total cost linear in the table.
------------------------------------------------------------------------------

CREATE TYPE @extschema@.cowrie_backfill_batch AS (
    selected bigint,           -- sessions taken into the batch
    next_tid tid,              -- keyset watermark: the next batch starts after it
    outcomes jsonb             -- sessions per outcome
);
COMMENT ON TYPE @extschema@.cowrie_backfill_batch IS 'What one backfill batch did';

CREATE FUNCTION @extschema@.cowrie_backfill_step(
    batch_size integer, after tid, range_blocks bigint, run_end tid,
    dry_run boolean DEFAULT false, retry_unenrichable boolean DEFAULT false)
RETURNS @extschema@.cowrie_backfill_batch
LANGUAGE plpgsql VOLATILE PARALLEL UNSAFE
SET search_path = @extschema@, pg_temp
AS $fn$
DECLARE
    range_end tid := LEAST(pg_catalog.format('(%s,0)', ((after::text)::point)[0]::bigint + range_blocks)::tid, run_end);
    result @extschema@.cowrie_backfill_batch;
    last_tid tid;
    batch text;
BEGIN
    -- One statement: pick the batch (rows the loader holds are skipped and
    -- picked up by a later run), find each IP, write the snapshots. ORDER BY
    -- ctid keeps the watermark right whatever plan is chosen.
    batch := pg_catalog.format($q$
        WITH b AS MATERIALIZED (
            SELECT s.ctid AS tid, s.session_id,
                   COALESCE(@extschema@.cowrie_normalize_ip(s.source_ip), @extschema@.cowrie_extract_ip(s.enrichment)) AS ip
            FROM @extschema@.session_summaries s
            WHERE s.ctid OPERATOR(pg_catalog.>) %L::pg_catalog.tid AND s.ctid OPERATOR(pg_catalog.<) %L::pg_catalog.tid
              AND (s.snapshot_country IS NULL %s)
            ORDER BY s.ctid
            LIMIT %s
            %s)
        SELECT b.session_id, COALESCE(b.ip, r.ip) AS ip, b.tid
        FROM b LEFT JOIN (%s) r ON r.session_id OPERATOR(pg_catalog.=) b.session_id$q$,
        after, range_end,
        CASE WHEN retry_unenrichable THEN
            -- Only public IPs: a private one stays XX whatever the inventory says.
            $r$OR (s.snapshot_country OPERATOR(pg_catalog.=) 'XX' AND EXISTS (
                SELECT FROM @extschema@.ip_inventory i
                WHERE i.ip_address OPERATOR(pg_catalog.=) COALESCE(@extschema@.cowrie_normalize_ip(s.source_ip), @extschema@.cowrie_extract_ip(s.enrichment))
                  AND NOT @extschema@.cowrie_ip_is_private(i.ip_address)
                  AND i.geo_country ~ '^[A-Z]{2}$' AND i.geo_country OPERATOR(pg_catalog.<>) 'XX'))$r$
        ELSE '' END,
        batch_size,
        CASE WHEN dry_run THEN '' ELSE 'FOR NO KEY UPDATE OF s SKIP LOCKED' END,
        @extschema@.cowrie_raw_event_ips_sql('SELECT b.session_id FROM b WHERE b.ip IS NULL'));
    SELECT COALESCE(pg_catalog.sum(a.sessions), 0), pg_catalog.max(a.last_tid),
           COALESCE(pg_catalog.jsonb_object_agg(a.outcome, a.sessions), '{}')
      INTO result.selected, last_tid, result.outcomes
    FROM @extschema@.cowrie_apply_snapshots(batch, true, retry_unenrichable, dry_run) a;
    -- A short batch exhausted its range. A full one ends at its last row; a row
    -- a concurrent update moved out of the range does not move the watermark.
    result.next_tid := CASE WHEN result.selected < batch_size THEN range_end
                            ELSE GREATEST(after, LEAST(last_tid, range_end)) END;
    RETURN result;
END
$fn$;
COMMENT ON FUNCTION @extschema@.cowrie_backfill_step(integer, tid, bigint, tid, boolean, boolean) IS
'Internal: one backfill batch, the next batch_size eligible sessions after the watermark within range_blocks heap blocks, written in one statement';

-- A run's state, kept by the batch loops of cowrie_backfill and
-- cowrie_backfill_commit, which differ only in committing.
CREATE TYPE @extschema@.cowrie_backfill_run AS (
    started timestamptz,
    last_notice timestamptz,
    total bigint,              -- eligible sessions when the run started
    done bigint,
    batches integer,
    watermark tid,             -- the next batch starts after this heap position
    run_end tid,               -- the end of the table when the run started: rows written past it are left to the trigger or the next run
    range_blocks bigint,       -- heap blocks holding about batch_size rows
    outcomes jsonb             -- sessions per outcome so far
);
COMMENT ON TYPE @extschema@.cowrie_backfill_run IS 'Internal: the state of a backfill run';

CREATE FUNCTION @extschema@.cowrie_backfill_run_start(batch_size integer, retry_unenrichable boolean)
RETURNS @extschema@.cowrie_backfill_run
LANGUAGE plpgsql VOLATILE PARALLEL UNSAFE
SET search_path = @extschema@, pg_temp
AS $fn$
DECLARE
    sessions regclass := pg_catalog.to_regclass('@extschema@.session_summaries');
    run @extschema@.cowrie_backfill_run;
    all_rows bigint;
    blocks bigint;
BEGIN
    IF sessions IS NULL OR NOT @extschema@.cowrie_has_column(sessions, 'snapshot_country') THEN
        RAISE EXCEPTION 'cowrie_snapshot: session_summaries has no snapshot columns yet'
            USING ERRCODE = 'object_not_in_prerequisite_state',
                  DETAIL = pg_catalog.format('Schema %s has %s.', '@extschema@',
                      CASE WHEN sessions IS NULL THEN 'no session_summaries table' ELSE 'a session_summaries table without snapshot_country' END),
                  HINT = 'Run the v16 migration first: ALTER EXTENSION cowrie_snapshot UPDATE, or SELECT cowrie_migrate().';
    END IF;
    IF batch_size IS NULL OR batch_size < 1 THEN
        RAISE EXCEPTION 'cowrie_snapshot: batch_size must be a positive integer'
            USING ERRCODE = 'invalid_parameter_value', DETAIL = pg_catalog.format('batch_size is %s.', COALESCE(batch_size::text, 'NULL'));
    END IF;
    run.started := pg_catalog.clock_timestamp();
    run.last_notice := run.started;
    EXECUTE 'SELECT pg_catalog.count(*) FILTER (WHERE snapshot_country IS NULL'
        || CASE WHEN retry_unenrichable THEN $q$ OR snapshot_country OPERATOR(pg_catalog.=) 'XX'$q$ ELSE '' END
        || '), pg_catalog.count(*) FROM @extschema@.session_summaries'
        INTO run.total, all_rows;
    blocks := pg_catalog.pg_relation_size(sessions) / pg_catalog.current_setting('block_size')::bigint;
    run.watermark := '(0,0)';
    run.run_end := pg_catalog.format('(%s,0)', blocks)::tid;
    -- A little under batch_size rows per range: a range rarely overflows its
    -- batch, whose leftover rows the next batch would read (and parse) again.
    run.range_blocks := GREATEST(1, pg_catalog.floor(0.95 * batch_size * blocks / GREATEST(all_rows, 1)))::bigint;
    run.done := 0;
    run.batches := 0;
    run.outcomes := '{}';
    RETURN run;
END
$fn$;
COMMENT ON FUNCTION @extschema@.cowrie_backfill_run_start(integer, boolean) IS
'Internal: a new backfill run; checks its arguments and counts the sessions it may examine (an upper bound with retry)';

-- NOTICE with done/total, rate and ETA; the numbers go in the DETAIL.
CREATE FUNCTION @extschema@.cowrie_backfill_run_notice(run @extschema@.cowrie_backfill_run, final boolean) RETURNS void
LANGUAGE plpgsql VOLATILE PARALLEL SAFE
SET search_path = @extschema@, pg_temp
AS $fn$
DECLARE
    seconds numeric := GREATEST(extract(epoch FROM pg_catalog.clock_timestamp() - run.started)::numeric, 0.001);
    rate numeric := run.done / seconds;
BEGIN
    RAISE NOTICE 'cowrie_backfill: %/% sessions%', run.done, run.total, CASE WHEN final THEN ', done' ELSE '' END
        USING DETAIL = pg_catalog.format('%s %% in %s s, %s sessions/s%s; outcomes: %s',
            CASE WHEN run.total > 0 THEN pg_catalog.round(100.0 * run.done / run.total, 1) ELSE 100 END,
            pg_catalog.round(seconds, 1), pg_catalog.round(rate),
            CASE WHEN NOT final AND rate > 0 THEN pg_catalog.format(', ETA %s s', pg_catalog.round(GREATEST(run.total - run.done, 0) / rate)) ELSE '' END,
            run.outcomes);
END
$fn$;
COMMENT ON FUNCTION @extschema@.cowrie_backfill_run_notice(@extschema@.cowrie_backfill_run, boolean) IS 'Internal: backfill progress NOTICE';

-- Is there a batch left to take?
CREATE FUNCTION @extschema@.cowrie_backfill_run_more(run @extschema@.cowrie_backfill_run, max_batches integer) RETURNS boolean
LANGUAGE sql IMMUTABLE PARALLEL SAFE
SET search_path = @extschema@, pg_temp
RETURN run.watermark OPERATOR(pg_catalog.<) run.run_end
       AND (max_batches IS NULL OR run.batches OPERATOR(pg_catalog.<) max_batches);
COMMENT ON FUNCTION @extschema@.cowrie_backfill_run_more(@extschema@.cowrie_backfill_run, integer) IS
'Internal: has a backfill run heap left to read and batches left to take';

-- The next batch of the run.
CREATE FUNCTION @extschema@.cowrie_backfill_run_step(run @extschema@.cowrie_backfill_run, batch_size integer,
                                                     dry_run boolean, retry_unenrichable boolean)
RETURNS @extschema@.cowrie_backfill_batch
LANGUAGE sql VOLATILE PARALLEL UNSAFE
SET search_path = @extschema@, pg_temp
RETURN @extschema@.cowrie_backfill_step(batch_size, run.watermark, run.range_blocks, run.run_end, dry_run, retry_unenrichable);
COMMENT ON FUNCTION @extschema@.cowrie_backfill_run_step(@extschema@.cowrie_backfill_run, integer, boolean, boolean) IS
'Internal: the next batch of a backfill run';

-- Adds a batch to the run (a batch that found nothing only moves the
-- watermark), and reports about every 10 seconds.
CREATE FUNCTION @extschema@.cowrie_backfill_run_add(run @extschema@.cowrie_backfill_run, batch @extschema@.cowrie_backfill_batch)
RETURNS @extschema@.cowrie_backfill_run
LANGUAGE plpgsql VOLATILE PARALLEL SAFE
SET search_path = @extschema@, pg_temp
AS $fn$
BEGIN
    run.watermark := batch.next_tid;
    IF batch.selected = 0 THEN
        RETURN run;
    END IF;
    run.batches := run.batches + 1;
    run.done := run.done + batch.selected;
    run.outcomes := (SELECT COALESCE(pg_catalog.jsonb_object_agg(k, v), '{}') FROM (
        SELECT k, pg_catalog.sum(v::bigint) AS v
        FROM (SELECT * FROM pg_catalog.jsonb_each_text(run.outcomes)
              UNION ALL SELECT * FROM pg_catalog.jsonb_each_text(batch.outcomes)) e(k, v)
        GROUP BY k) t);
    IF pg_catalog.clock_timestamp() - run.last_notice >= interval '10 seconds' THEN
        PERFORM @extschema@.cowrie_backfill_run_notice(run, false);
        run.last_notice := pg_catalog.clock_timestamp();
    END IF;
    RETURN run;
END
$fn$;
COMMENT ON FUNCTION @extschema@.cowrie_backfill_run_add(@extschema@.cowrie_backfill_run, @extschema@.cowrie_backfill_batch) IS
'Internal: adds a batch to a backfill run';

-- The end of a run: the final NOTICE. No ANALYZE: batches in heap order need
-- no statistics, autovacuum refreshes them, and sampling 30,000 wide rows would
-- set the run's memory peak (BENCHMARKS.md). Returns the sessions processed.
CREATE FUNCTION @extschema@.cowrie_backfill_run_finish(run @extschema@.cowrie_backfill_run) RETURNS bigint
LANGUAGE plpgsql VOLATILE PARALLEL SAFE
SET search_path = @extschema@, pg_temp
AS $fn$
BEGIN
    PERFORM @extschema@.cowrie_backfill_run_notice(run, true);
    RETURN run.done;
END
$fn$;
COMMENT ON FUNCTION @extschema@.cowrie_backfill_run_finish(@extschema@.cowrie_backfill_run) IS
'Internal: ends a backfill run (final NOTICE)';

CREATE FUNCTION @extschema@.cowrie_backfill(
    batch_size integer DEFAULT 1000, max_batches integer DEFAULT NULL,
    dry_run boolean DEFAULT false, retry_unenrichable boolean DEFAULT false)
RETURNS bigint
LANGUAGE plpgsql VOLATILE PARALLEL UNSAFE
SET search_path = @extschema@, pg_temp
AS $fn$
DECLARE
    run @extschema@.cowrie_backfill_run := @extschema@.cowrie_backfill_run_start(batch_size, retry_unenrichable);
BEGIN
    WHILE @extschema@.cowrie_backfill_run_more(run, max_batches) LOOP
        run := @extschema@.cowrie_backfill_run_add(run,
                   @extschema@.cowrie_backfill_run_step(run, batch_size, dry_run, retry_unenrichable));
    END LOOP;
    RETURN @extschema@.cowrie_backfill_run_finish(run);
END
$fn$;
COMMENT ON FUNCTION @extschema@.cowrie_backfill(integer, integer, boolean, boolean) IS
'Fills the snapshots of sessions whose snapshot_country is NULL, in keyset batches in heap order, in the caller''s transaction; returns the sessions processed (0: nothing left). dry_run only counts outcomes';

CREATE PROCEDURE @extschema@.cowrie_backfill_commit(
    batch_size integer DEFAULT 1000, max_batches integer DEFAULT NULL,
    retry_unenrichable boolean DEFAULT false, batch_lock_timeout text DEFAULT '2s')
LANGUAGE plpgsql
-- No SET search_path here: a procedure with SET cannot COMMIT. Every name and
-- operator below is qualified instead.
AS $fn$
DECLARE
    run @extschema@.cowrie_backfill_run;
    batch @extschema@.cowrie_backfill_batch;
    -- Advisory lock (1668249458, 1): 1668249458 is 'cowr' in ASCII.
    lock_class integer := 1668249458;
BEGIN
    -- Session-level: a transaction-level lock would be released by the first COMMIT.
    -- A hold left by an earlier run of this session that ended in an error is reused.
    IF NOT EXISTS (SELECT FROM pg_catalog.pg_locks l
                   WHERE l.locktype OPERATOR(pg_catalog.=) 'advisory' AND l.pid OPERATOR(pg_catalog.=) pg_catalog.pg_backend_pid()
                     AND l.classid OPERATOR(pg_catalog.=) lock_class::oid AND l.objid OPERATOR(pg_catalog.=) 1::oid
                     AND l.objsubid OPERATOR(pg_catalog.=) 2 AND l.granted)
       AND NOT pg_catalog.pg_try_advisory_lock(lock_class, 1) THEN
        RAISE EXCEPTION 'cowrie_snapshot: another cowrie_backfill_commit is running in this database'
            USING ERRCODE = 'lock_not_available',
                  DETAIL = pg_catalog.format('Advisory lock (%s, 1) is held by another session.', lock_class),
                  HINT = 'Wait for it to finish, or find it in pg_locks (locktype advisory) and cancel it.';
    END IF;
    -- The count waits for table locks too: bound it like a batch (the COMMIT resets it).
    PERFORM pg_catalog.set_config('lock_timeout', batch_lock_timeout, true);
    run := @extschema@.cowrie_backfill_run_start(batch_size, retry_unenrichable);
    COMMIT;
    WHILE @extschema@.cowrie_backfill_run_more(run, max_batches) LOOP
        PERFORM pg_catalog.set_config('lock_timeout', batch_lock_timeout, true);
        batch := @extschema@.cowrie_backfill_run_step(run, batch_size, false, retry_unenrichable);
        COMMIT;
        run := @extschema@.cowrie_backfill_run_add(run, batch);
    END LOOP;
    PERFORM @extschema@.cowrie_backfill_run_finish(run);
    PERFORM pg_catalog.pg_advisory_unlock(lock_class, 1);
END
$fn$;
COMMENT ON PROCEDURE @extschema@.cowrie_backfill_commit(integer, integer, boolean, text) IS
'cowrie_backfill that COMMITs after every batch: resumable after a cancel or crash, one run at a time (advisory lock), short lock_timeout per batch. CALL it at top level';

CREATE FUNCTION @extschema@.cowrie_snapshot_coverage()
RETURNS TABLE (metric text, sessions bigint, percent numeric)
LANGUAGE plpgsql STABLE PARALLEL SAFE
SET search_path = @extschema@, pg_temp
AS $fn$
BEGIN
    RETURN QUERY EXECUTE $q$
        WITH c AS (
            SELECT pg_catalog.count(*) AS total,
                   pg_catalog.count(source_ip) AS with_source_ip,
                   pg_catalog.count(snapshot_country) AS with_country,
                   pg_catalog.count(*) FILTER (WHERE snapshot_country OPERATOR(pg_catalog.<>) 'XX') AS with_real_country,
                   pg_catalog.count(*) FILTER (WHERE snapshot_country OPERATOR(pg_catalog.=) 'XX') AS with_xx,
                   pg_catalog.count(snapshot_asn) AS with_asn,
                   pg_catalog.count(snapshot_ip_type) AS with_ip_type
            FROM @extschema@.session_summaries)
        SELECT m.metric, m.n, CASE WHEN c.total > 0 THEN pg_catalog.round(100.0 * m.n / c.total, 2) END
        FROM c, LATERAL (VALUES ('sessions', c.total), ('with_source_ip', c.with_source_ip),
                                ('with_snapshot_country', c.with_country),
                                ('with_country_code', c.with_real_country), ('with_country_xx', c.with_xx),
                                ('with_snapshot_asn', c.with_asn), ('with_snapshot_ip_type', c.with_ip_type)) m(metric, n)$q$;
END
$fn$;
COMMENT ON FUNCTION @extschema@.cowrie_snapshot_coverage() IS
'Snapshot coverage of session_summaries: counts and percentages (with_snapshot_country counts the XX sentinel; upstream''s target is 95%)';
