------------------------------------------------------------------------------
-- Snapshots
------------------------------------------------------------------------------

-- install-only: begin (1.2 keeps the 1.0 type)
CREATE TYPE @extschema@.cowrie_snapshot AS (
    snapshot_asn integer,
    snapshot_country varchar(2),
    snapshot_ip_type text,
    enrichment_at timestamptz,
    outcome text           -- enriched, private, unparseable, no_inventory, no_country
);
-- install-only: end
COMMENT ON TYPE @extschema@.cowrie_snapshot IS 'A session snapshot and how it was decided';

-- A timestamp without time zone in the inventory or the sessions holds UTC's
-- wall clock (the migration converts one AT TIME ZONE 'UTC'): trigger,
-- lookup and backfill read and write it through these, never through a cast
-- that depends on the session's TimeZone.
CREATE OR REPLACE FUNCTION @extschema@.cowrie_utc(value timestamptz) RETURNS timestamptz
AS 'MODULE_PATHNAME', 'cowrie_utc'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.cowrie_utc(timestamptz) IS
'Backfill internals: the value itself (cowrie_utc(timestamp) reads a timestamp as UTC)';

CREATE OR REPLACE FUNCTION @extschema@.cowrie_utc(value timestamp) RETURNS timestamptz
AS 'MODULE_PATHNAME', 'cowrie_utc'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.cowrie_utc(timestamp) IS
'Backfill internals: a timestamp without time zone read as UTC, whatever the TimeZone setting';

CREATE OR REPLACE FUNCTION @extschema@.cowrie_utc_as(target timestamptz, value timestamptz) RETURNS timestamptz
AS 'MODULE_PATHNAME', 'cowrie_utc_as'
LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.cowrie_utc_as(timestamptz, timestamptz) IS
'Backfill internals: value, as the type of target (a column being written)';

CREATE OR REPLACE FUNCTION @extschema@.cowrie_utc_as(target timestamp, value timestamptz) RETURNS timestamp
AS 'MODULE_PATHNAME', 'cowrie_utc_as'
LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.cowrie_utc_as(timestamp, timestamptz) IS
'Backfill internals: value as UTC''s wall clock, for a timestamp column being written (target), whatever the TimeZone setting';

CREATE OR REPLACE FUNCTION @extschema@.cowrie_session_snapshot(
    ip text, inventory_found boolean, current_asn integer, geo_country text,
    ip_types text[], enrichment jsonb, enrichment_updated_at timestamptz)
RETURNS @extschema@.cowrie_snapshot
AS 'MODULE_PATHNAME', 'cowrie_session_snapshot'
LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.cowrie_session_snapshot(text, boolean, integer, text, text[], jsonb, timestamptz) IS
'The snapshot rule shared by the migration, the backfill, the lookup and the trigger: a session IP plus its ip_inventory row (found = false when none) give the snapshot columns';

CREATE OR REPLACE FUNCTION @extschema@.cowrie_lookup_snapshots(ip_addresses text[])
RETURNS TABLE (ip_address text, snapshot_asn integer, snapshot_country varchar(2),
               snapshot_ip_type text, enrichment_at timestamptz)
AS 'MODULE_PATHNAME', 'cowrie_lookup_snapshots'
LANGUAGE C STABLE STRICT PARALLEL SAFE ROWS 1000;
COMMENT ON FUNCTION @extschema@.cowrie_lookup_snapshots(text[]) IS
'Snapshot values ip_inventory gives each distinct canonical IP of the array; IPs not in the inventory are omitted';

CREATE OR REPLACE FUNCTION @extschema@.cowrie_session_snapshot_trigger() RETURNS trigger
AS 'MODULE_PATHNAME', 'cowrie_session_snapshot_trigger'
LANGUAGE C;
COMMENT ON FUNCTION @extschema@.cowrie_session_snapshot_trigger() IS
'BEFORE INSERT OR UPDATE row trigger on session_summaries: fills NULL source_ip and snapshot columns from ip_inventory, never overwriting';
-- Only the migration attaches it (a trigger fires without a permission
-- check, so the loader needs nothing); no other role may attach it to a
-- table of its own.
REVOKE EXECUTE ON FUNCTION @extschema@.cowrie_session_snapshot_trigger() FROM PUBLIC;

CREATE OR REPLACE FUNCTION @extschema@.cowrie_session_columns_refused(sessions regclass) RETURNS text[]
LANGUAGE c STABLE STRICT PARALLEL SAFE
AS 'MODULE_PATHNAME', 'cowrie_session_columns_refused';
COMMENT ON FUNCTION @extschema@.cowrie_session_columns_refused(regclass) IS
'Internal: the columns of a session table whose types the trigger would refuse (the migration refuses them first)';
