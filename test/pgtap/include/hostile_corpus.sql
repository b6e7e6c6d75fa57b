-- Shared by hostile_corpus_json.sql and hostile_corpus_jsonb.sql: every
-- document of test/fixtures/hostile_corpus.sql, as enrichment of type
-- :enrichment_type (jsonb: the documents jsonb can store). Every function
-- reads every document without error and returns what the corpus expects
-- (failures name the documents); the migration over a v15 database of one
-- session per document completes, counts what the corpus says, and leaves a
-- snapshot on every session; deferred mode plus cowrie_backfill gives the
-- same rows.
\set QUIET 1
\set ON_ERROR_STOP 1
SET client_min_messages = warning;
\set n 0
\ir ../../fixtures/cowrie_v15.sql
\ir ../../fixtures/hostile_corpus.sql
\set ON_ERROR_STOP 1
SET client_min_messages = warning;
SELECT :'enrichment_type' = 'json' AS is_json \gset

-- One session per document the variant can store, and the raw-event sessions.
INSERT INTO session_summaries (session_id, first_event_at, last_event_at, enrichment, created_at, updated_at)
SELECT 'hostile-' || lpad(c.id::text, 5, '0'),
       timestamptz '2025-01-01 00:00:00+00' + c.id * interval '1 minute',
       timestamptz '2025-01-01 00:00:30+00' + c.id * interval '1 minute',
       CAST(c.doc_text AS :enrichment_type),
       timestamptz '2025-02-01 00:00:00+00', timestamptz '2025-02-01 00:00:00+00'
FROM hostile.corpus c WHERE :'is_json'::boolean OR c.jsonb_ok
ORDER BY c.id;
INSERT INTO session_summaries (session_id, first_event_at, last_event_at, enrichment, created_at, updated_at)
SELECT r.session_id, timestamptz '2025-03-01 00:00:00+00', timestamptz '2025-03-01 00:10:00+00',
       CAST(r.enrichment_text AS :enrichment_type),
       timestamptz '2025-03-02 00:00:00+00', timestamptz '2025-03-02 00:00:00+00'
FROM hostile.raw_session r ORDER BY r.session_id;
INSERT INTO raw_events (id, source, source_offset, payload, session_id, event_type, event_timestamp)
SELECT e.id, e.source, e.source_offset, CAST(c.doc_text AS :enrichment_type), e.session_id, 'cowrie.session.connect', e.event_timestamp
FROM hostile.raw_event e JOIN hostile.corpus c ON c.name = e.event_name
WHERE :'is_json'::boolean OR c.jsonb_ok
ORDER BY e.id;

-- What each session must give, in this variant.
CREATE TABLE hostile.expect AS
SELECT 'hostile-' || lpad(c.id::text, 5, '0') AS session_id, c.name, c.family,
       CASE WHEN :'is_json'::boolean THEN c.expected_ip ELSE c.jsonb_expected_ip END AS ip,
       CASE WHEN :'is_json'::boolean THEN c.expected_types ELSE c.jsonb_expected_types END AS types,
       c.expected_asn AS asn,
       CASE WHEN :'is_json'::boolean THEN c.expected_ip_invalid ELSE c.jsonb_expected_ip_invalid END AS ip_invalid,
       c.expected_asn_invalid AS asn_invalid,
       c.has_nul_escape AND :'is_json'::boolean AS nul_escape,
       c.expected_event_ip AS event_ip,
       c.jsonb_safe_text,
       false AS raw
FROM hostile.corpus c WHERE :'is_json'::boolean OR c.jsonb_ok
UNION ALL
SELECT r.session_id, r.session_id, 'raw',
       (SELECT c.expected_event_ip FROM hostile.raw_event e JOIN hostile.corpus c ON c.name = e.event_name
        WHERE e.session_id = r.session_id AND (:'is_json'::boolean OR c.jsonb_ok) AND c.expected_event_ip IS NOT NULL
        ORDER BY e.event_timestamp NULLS LAST, e.source, e.source_offset, e.id LIMIT 1),
       NULL, NULL, r.ip_invalid, false, false, NULL, NULL, true
FROM hostile.raw_session r;
ALTER TABLE hostile.expect ADD PRIMARY KEY (session_id);
SELECT jsonb_build_object(
           'sessions', count(*),
           'skipped_no_ip', count(*) FILTER (WHERE ip IS NULL AND NOT ip_invalid),
           'skipped_invalid_ip', count(*) FILTER (WHERE ip IS NULL AND ip_invalid),
           'skipped_invalid_asn', count(*) FILTER (WHERE asn_invalid),
           'sanitised_nul_escapes', count(*) FILTER (WHERE nul_escape),
           'ip_from_raw_events', count(*) FILTER (WHERE raw AND ip IS NOT NULL)) AS want_counts,
       count(*) AS want_sessions
FROM hostile.expect \gset

-- A call that reports its error instead of raising it (one subtransaction per document).
CREATE FUNCTION pg_temp.try(query text, doc anyelement) RETURNS text LANGUAGE plpgsql AS $$
DECLARE
	result text;
BEGIN
	EXECUTE query INTO result USING doc;
	RETURN result;
EXCEPTION WHEN others THEN
	RETURN 'ERROR ' || SQLSTATE || ': ' || SQLERRM;
END $$;
CREATE FUNCTION pg_temp.try_exec(query text) RETURNS text LANGUAGE plpgsql AS $$
DECLARE
	detail text;
	context text;
BEGIN
	EXECUTE query;
	RETURN '';
EXCEPTION WHEN others THEN
	GET STACKED DIAGNOSTICS detail = PG_EXCEPTION_DETAIL, context = PG_EXCEPTION_CONTEXT;
	RETURN SQLSTATE || ': ' || SQLERRM || coalesce(' (' || nullif(detail, '') || ')', '')
	       || ' at ' || left(split_part(context, E'\n', 1), 200);
END $$;

-- Functions only: the migration runs below, in transactions that roll back.
CREATE EXTENSION cowrie_snapshot VERSION '1.0';

CREATE TABLE hostile.result AS
SELECT s.session_id,
       pg_temp.try('SELECT cowrie_extract_ip($1)', s.enrichment) AS extract_ip,
       pg_temp.try('SELECT cowrie_ip_types($1)::text', s.enrichment) AS ip_types,
       pg_temp.try('SELECT cowrie_enrichment_facts($1)::text', s.enrichment) AS facts,
       pg_temp.try('SELECT cowrie_event_ip($1)', s.enrichment) AS event_ip,
       CASE WHEN :'is_json'::boolean THEN pg_temp.try('SELECT md5(cowrie_jsonb_safe($1::json)::text)', s.enrichment) END AS jsonb_safe
FROM session_summaries s;
ALTER TABLE hostile.result ADD PRIMARY KEY (session_id);

-- Names of the documents (not the raw-event sessions) where a condition on
-- expectation e and result r holds: a result that differs, errors included.
CREATE FUNCTION pg_temp.mismatches(cond text) RETURNS text[] LANGUAGE plpgsql AS $$
DECLARE
	names text[];
BEGIN
	EXECUTE format($q$
		SELECT coalesce(array_agg(e.name ORDER BY e.name), '{}')
		FROM hostile.expect e JOIN hostile.result r USING (session_id)
		WHERE NOT e.raw AND (%s)$q$, cond) INTO names;
	RETURN names;
END $$;
CREATE FUNCTION pg_temp.errors(col text) RETURNS text[] LANGUAGE plpgsql AS $$
DECLARE
	names text[];
BEGIN
	EXECUTE format($q$
		SELECT coalesce(array_agg(e.name || ': ' || left(r.%1$s, 120) ORDER BY e.name), '{}')
		FROM hostile.expect e JOIN hostile.result r USING (session_id)
		WHERE r.%1$s LIKE 'ERROR %%'$q$, col) INTO names;
	RETURN names;
END $$;
-- The facts record from its text; a failed call gives a record of NULLs, so
-- it shows as a mismatch (the error itself is reported apart). Dropped before
-- the migration, which drops and creates the extension and its type.
CREATE FUNCTION pg_temp.fact(facts text) RETURNS cowrie_enrichment_facts LANGUAGE sql AS $$
	SELECT CASE WHEN facts LIKE 'ERROR %' THEN ROW(NULL, NULL, NULL, NULL, NULL)::cowrie_enrichment_facts
	            ELSE facts::cowrie_enrichment_facts END
$$;

-- Set-up, not checks: the corpus's size and families (an error stops the file, which fails).
DO $$ BEGIN
	IF (SELECT count(*) FROM hostile.expect WHERE NOT raw) < 300 THEN
		RAISE EXCEPTION 'set-up: the corpus has fewer than 300 documents';
	END IF;
	IF (SELECT count(DISTINCT family) FROM hostile.expect) < 25 THEN
		RAISE EXCEPTION 'set-up: the corpus covers fewer than 25 families';
	END IF;
END $$;

\if :is_json
SELECT plan(33);
\else
SELECT plan(30);
\endif

-- cowrie_extract_ip
SELECT lives_ok('SELECT count(cowrie_extract_ip(enrichment)) FROM session_summaries',
                :'enrichment_type' || ': cowrie_extract_ip reads the whole corpus without error');
SELECT is(pg_temp.errors('extract_ip'), '{}'::text[], :'enrichment_type' || ': cowrie_extract_ip raises on no document');
SELECT is(pg_temp.mismatches('r.extract_ip IS DISTINCT FROM e.ip'), '{}'::text[],
          :'enrichment_type' || ': cowrie_extract_ip gives the expected IP for every document');

-- cowrie_ip_types
SELECT lives_ok('SELECT count(cowrie_ip_types(enrichment)) FROM session_summaries',
                :'enrichment_type' || ': cowrie_ip_types reads the whole corpus without error');
SELECT is(pg_temp.errors('ip_types'), '{}'::text[], :'enrichment_type' || ': cowrie_ip_types raises on no document');
SELECT is(pg_temp.mismatches('r.ip_types IS DISTINCT FROM e.types::text'), '{}'::text[],
          :'enrichment_type' || ': cowrie_ip_types gives the expected types for every document');

-- cowrie_enrichment_facts
SELECT lives_ok('SELECT count((cowrie_enrichment_facts(enrichment)).ip) FROM session_summaries',
                :'enrichment_type' || ': cowrie_enrichment_facts reads the whole corpus without error');
SELECT is(pg_temp.errors('facts'), '{}'::text[], :'enrichment_type' || ': cowrie_enrichment_facts raises on no document');
SELECT is(pg_temp.mismatches('(pg_temp.fact(r.facts)).ip IS DISTINCT FROM e.ip'), '{}'::text[],
          :'enrichment_type' || ': cowrie_enrichment_facts: ip as expected for every document');
SELECT is(pg_temp.mismatches('(pg_temp.fact(r.facts)).ip_invalid IS DISTINCT FROM e.ip_invalid'), '{}'::text[],
          :'enrichment_type' || ': cowrie_enrichment_facts: ip_invalid as expected for every document');
SELECT is(pg_temp.mismatches('(pg_temp.fact(r.facts)).asn IS DISTINCT FROM e.asn'), '{}'::text[],
          :'enrichment_type' || ': cowrie_enrichment_facts: asn as expected for every document');
SELECT is(pg_temp.mismatches('(pg_temp.fact(r.facts)).asn_invalid IS DISTINCT FROM e.asn_invalid'), '{}'::text[],
          :'enrichment_type' || ': cowrie_enrichment_facts: asn_invalid as expected for every document');
SELECT is(pg_temp.mismatches('(pg_temp.fact(r.facts)).nul_escape IS DISTINCT FROM e.nul_escape'), '{}'::text[],
          :'enrichment_type' || ': cowrie_enrichment_facts: nul_escape as expected for every document');

DROP FUNCTION pg_temp.fact(text);

-- cowrie_event_ip
SELECT lives_ok('SELECT count(cowrie_event_ip(enrichment)) FROM session_summaries',
                :'enrichment_type' || ': cowrie_event_ip reads the whole corpus without error');
SELECT is(pg_temp.errors('event_ip'), '{}'::text[], :'enrichment_type' || ': cowrie_event_ip raises on no document');
SELECT is(pg_temp.mismatches('r.event_ip IS DISTINCT FROM e.event_ip'), '{}'::text[],
          :'enrichment_type' || ': cowrie_event_ip gives the expected IP for every document');

-- cowrie_jsonb_safe (json only)
\if :is_json
SELECT lives_ok('SELECT count(cowrie_jsonb_safe(enrichment)) FROM session_summaries',
                'json: cowrie_jsonb_safe converts the whole corpus without error');
SELECT is(pg_temp.errors('jsonb_safe'), '{}'::text[], 'json: cowrie_jsonb_safe raises on no document');
SELECT is((SELECT coalesce(array_agg(e.name ORDER BY e.name), '{}') FROM hostile.expect e JOIN hostile.result r USING (session_id)
           WHERE NOT e.raw AND e.jsonb_safe_text IS NOT NULL
             AND r.jsonb_safe IS DISTINCT FROM md5(e.jsonb_safe_text::jsonb::text)),
          '{}'::text[], 'json: cowrie_jsonb_safe equals ::jsonb, with \u0000 as U+FFFD, for every document');
\endif

------------------------------------------------------------------------------
-- The migration. pgTAP keeps its results in tables a ROLLBACK would undo, so
-- each run happens in a transaction that is rolled back, and what it did is
-- kept in psql variables for the assertions after it.
------------------------------------------------------------------------------
BEGIN;
DROP EXTENSION cowrie_snapshot;
SELECT pg_temp.try_exec('CREATE EXTENSION cowrie_snapshot') AS create_error \gset
SELECT :'create_error' = '' AS created \gset
\if :created
SELECT (cowrie_migrate() -> 'counts')::text AS counts \gset
SELECT coalesce(string_agg(session_id, ', ' ORDER BY session_id), '') AS without_snapshot
FROM session_summaries WHERE snapshot_country IS NULL \gset
SELECT coalesce(string_agg(e.name || ' (' || coalesce(s.source_ip, 'NULL') || ')', ', ' ORDER BY e.name), '') AS wrong_source_ip
FROM session_summaries s JOIN hostile.expect e USING (session_id)
WHERE s.source_ip IS DISTINCT FROM e.ip \gset
SELECT md5(string_agg(concat_ws('|', session_id, source_ip, snapshot_asn, snapshot_country, snapshot_ip_type, enrichment_at), ',' ORDER BY session_id)) AS default_rows
FROM session_summaries \gset
\else
SELECT '{}' AS counts, 'not migrated' AS without_snapshot, 'not migrated' AS wrong_source_ip, '' AS default_rows \gset
\endif
ROLLBACK;

SELECT is(:'create_error'::text, '', :'enrichment_type' || ': CREATE EXTENSION cowrie_snapshot completes over the corpus');
SELECT is((:'counts'::jsonb) -> 'sessions', (:'want_counts'::jsonb) -> 'sessions', :'enrichment_type' || ': counts.sessions');
SELECT is((:'counts'::jsonb) -> 'skipped_no_ip', (:'want_counts'::jsonb) -> 'skipped_no_ip', :'enrichment_type' || ': counts.skipped_no_ip');
SELECT is((:'counts'::jsonb) -> 'skipped_invalid_ip', (:'want_counts'::jsonb) -> 'skipped_invalid_ip', :'enrichment_type' || ': counts.skipped_invalid_ip');
SELECT is((:'counts'::jsonb) -> 'skipped_invalid_asn', (:'want_counts'::jsonb) -> 'skipped_invalid_asn', :'enrichment_type' || ': counts.skipped_invalid_asn');
SELECT is((:'counts'::jsonb) -> 'sanitised_nul_escapes', (:'want_counts'::jsonb) -> 'sanitised_nul_escapes', :'enrichment_type' || ': counts.sanitised_nul_escapes');
SELECT is(:'without_snapshot'::text, '', :'enrichment_type' || ': every session has a snapshot_country after the migration');
SELECT is(:'wrong_source_ip'::text, '', :'enrichment_type' || ': every session has the expected source_ip (document, else raw events)');

BEGIN;
SET LOCAL cowrie_snapshot.defer_session_backfill = on;
DROP EXTENSION cowrie_snapshot;
SELECT pg_temp.try_exec('CREATE EXTENSION cowrie_snapshot') AS create_error_deferred \gset
SELECT :'create_error_deferred' = '' AS created \gset
\if :created
-- Nothing is filled in deferred mode, so a second run counts exactly what the first did.
SELECT (cowrie_migrate() -> 'counts')::text AS counts_deferred \gset
SELECT pg_temp.try('SELECT cowrie_backfill($1)::text', 7) AS backfilled \gset
SELECT pg_temp.try('SELECT cowrie_backfill($1)::text', 7) AS backfilled_again \gset
SELECT coalesce(string_agg(session_id, ', ' ORDER BY session_id), '') AS without_snapshot_deferred
FROM session_summaries WHERE snapshot_country IS NULL \gset
SELECT md5(string_agg(concat_ws('|', session_id, source_ip, snapshot_asn, snapshot_country, snapshot_ip_type, enrichment_at), ',' ORDER BY session_id)) AS deferred_rows
FROM session_summaries \gset
\else
SELECT '{}' AS counts_deferred, '' AS backfilled, '' AS backfilled_again, 'not migrated' AS without_snapshot_deferred, 'x' AS deferred_rows \gset
\endif
ROLLBACK;

SELECT is(:'create_error_deferred'::text, '', :'enrichment_type' || ' deferred: CREATE EXTENSION cowrie_snapshot completes over the corpus');
SELECT is((SELECT jsonb_object_agg(key, value) FROM jsonb_each(:'counts_deferred'::jsonb) WHERE key IN
              ('sessions', 'skipped_no_ip', 'skipped_invalid_ip', 'skipped_invalid_asn', 'sanitised_nul_escapes', 'ip_from_raw_events')),
          :'want_counts'::jsonb, :'enrichment_type' || ' deferred: the summary counts match the corpus');
SELECT is(:'backfilled'::text, :'want_sessions', :'enrichment_type' || ' deferred: cowrie_backfill(7) processes every session');
SELECT is(:'backfilled_again'::text, '0', :'enrichment_type' || ' deferred: a second cowrie_backfill(7) returns 0');
SELECT is(:'without_snapshot_deferred'::text, '', :'enrichment_type' || ' deferred: every session has a snapshot_country after the backfill');
SELECT is(:'deferred_rows'::text, :'default_rows', :'enrichment_type' || ': deferred mode plus backfill equals default mode, row for row');

SELECT * FROM finish();
