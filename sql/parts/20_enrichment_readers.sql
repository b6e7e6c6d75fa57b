------------------------------------------------------------------------------
-- Enrichment documents (json and jsonb)
-- COST: reading a document costs 20 (jsonb) to 100 (json text) operators,
-- and converting one to jsonb about 200; with these numbers the planner runs
-- scans over every session's document in parallel.
------------------------------------------------------------------------------

CREATE OR REPLACE FUNCTION @extschema@.cowrie_extract_ip(enrichment jsonb) RETURNS text
AS 'MODULE_PATHNAME', 'cowrie_extract_ip_jsonb'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE COST 20;
COMMENT ON FUNCTION @extschema@.cowrie_extract_ip(jsonb) IS
'Canonical source IP of a session enrichment document: session_metadata.source_ip, dshield.ip.number, or the only key of the nested session map; NULL when none is valid';

CREATE OR REPLACE FUNCTION @extschema@.cowrie_extract_ip(enrichment json) RETURNS text
AS 'MODULE_PATHNAME', 'cowrie_extract_ip_json'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE COST 100;
COMMENT ON FUNCTION @extschema@.cowrie_extract_ip(json) IS
'As cowrie_extract_ip(jsonb), reading the json text lazily (no failure on \u0000 elsewhere); the nested session map gives its first key';

CREATE OR REPLACE FUNCTION @extschema@.cowrie_ip_types(spur jsonb) RETURNS text[]
AS 'MODULE_PATHNAME', 'cowrie_ip_types_jsonb'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE COST 20;
COMMENT ON FUNCTION @extschema@.cowrie_ip_types(jsonb) IS
'IP types a SPUR payload (or an enrichment document holding one) carries, else the type of ADR-009''s ip_classification.ip_type (tor, cloud, datacenter, residential): upper case, de-duplicated, in priority order; {} when none';

CREATE OR REPLACE FUNCTION @extschema@.cowrie_ip_types(spur json) RETURNS text[]
AS 'MODULE_PATHNAME', 'cowrie_ip_types_json'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE COST 100;
COMMENT ON FUNCTION @extschema@.cowrie_ip_types(json) IS
'As cowrie_ip_types(jsonb), for json';

-- install-only: begin (1.2 keeps the 1.0 type)
CREATE TYPE @extschema@.cowrie_enrichment_facts AS (
    ip text,               -- canonical source IP, or NULL
    ip_invalid boolean,    -- an IP value was present but none was valid
    asn integer,           -- cymru.asn, else maxmind.asn: positive, within integer
    asn_invalid boolean,   -- an ASN value was present but unusable
    nul_escape boolean     -- json with a \u0000 escape (sanitised on conversion to jsonb)
);
-- install-only: end
COMMENT ON TYPE @extschema@.cowrie_enrichment_facts IS
'What one enrichment document says about its session, read in one pass';

CREATE OR REPLACE FUNCTION @extschema@.cowrie_enrichment_facts(enrichment jsonb) RETURNS @extschema@.cowrie_enrichment_facts
AS 'MODULE_PATHNAME', 'cowrie_enrichment_facts_jsonb'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE COST 20;
COMMENT ON FUNCTION @extschema@.cowrie_enrichment_facts(jsonb) IS
'Source IP, ASN and data-quality flags of a session enrichment document, in one pass';

CREATE OR REPLACE FUNCTION @extschema@.cowrie_enrichment_facts(enrichment json) RETURNS @extschema@.cowrie_enrichment_facts
AS 'MODULE_PATHNAME', 'cowrie_enrichment_facts_json'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE COST 100;
COMMENT ON FUNCTION @extschema@.cowrie_enrichment_facts(json) IS
'As cowrie_enrichment_facts(jsonb), for json';

CREATE OR REPLACE FUNCTION @extschema@.cowrie_event_ip(payload jsonb) RETURNS text
AS 'MODULE_PATHNAME', 'cowrie_event_ip_jsonb'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE COST 20;
COMMENT ON FUNCTION @extschema@.cowrie_event_ip(jsonb) IS
'Canonical src_ip (else peer_ip) of a raw cowrie event, or NULL';

CREATE OR REPLACE FUNCTION @extschema@.cowrie_event_ip(payload json) RETURNS text
AS 'MODULE_PATHNAME', 'cowrie_event_ip_json'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE COST 100;
COMMENT ON FUNCTION @extschema@.cowrie_event_ip(json) IS
'As cowrie_event_ip(jsonb), for json';

CREATE OR REPLACE FUNCTION @extschema@.cowrie_jsonb_safe(document json) RETURNS jsonb
AS 'MODULE_PATHNAME', 'cowrie_jsonb_safe'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE COST 200;
COMMENT ON FUNCTION @extschema@.cowrie_jsonb_safe(json) IS
'json to jsonb that cannot fail on \u0000: each such escape becomes U+FFFD; NULL for a document jsonb cannot hold (256 MB or more, or a container past jsonb''s limits on PostgreSQL 16 and later)';

-- The identity on jsonb, so that the migration reads either column type with
-- one static statement.
CREATE OR REPLACE FUNCTION @extschema@.cowrie_jsonb_safe(document jsonb) RETURNS jsonb
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
RETURN document;
COMMENT ON FUNCTION @extschema@.cowrie_jsonb_safe(jsonb) IS
'The document itself: cowrie_jsonb_safe for a column that is already jsonb';

-- A session's IP, by the rule's precedence: source_ip when it is an IP, else
-- what the document says (the trigger asks the same C function).
CREATE OR REPLACE FUNCTION @extschema@.cowrie_session_ip(source_ip text, enrichment jsonb) RETURNS text
AS 'MODULE_PATHNAME', 'cowrie_session_ip_jsonb'
LANGUAGE C IMMUTABLE PARALLEL SAFE COST 20;
COMMENT ON FUNCTION @extschema@.cowrie_session_ip(text, jsonb) IS
'Canonical IP of a session: its source_ip when that is a valid address, else cowrie_extract_ip(enrichment); NULL when neither gives one';

CREATE OR REPLACE FUNCTION @extschema@.cowrie_session_ip(source_ip text, enrichment json) RETURNS text
AS 'MODULE_PATHNAME', 'cowrie_session_ip_json'
LANGUAGE C IMMUTABLE PARALLEL SAFE COST 100;
COMMENT ON FUNCTION @extschema@.cowrie_session_ip(text, json) IS
'As cowrie_session_ip(text, jsonb), for json';
