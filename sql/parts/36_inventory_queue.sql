------------------------------------------------------------------------------
-- What the backfill completes after its walk comes from two small tables,
-- so that a run with nothing queued reads no inventory:
--
-- cowrie_inventory_queue: IPs whose ip_inventory row was inserted or changed
-- in what the snapshot rule reads (types, ASN, country, document), written by
-- an AFTER trigger on ip_inventory. '*' asks for one walk of every session
-- with the wider predicate (after a deferred repair of upstream's state). A
-- run completes the sessions of the queued IPs and removes them.
--
-- cowrie_pending_sessions: sessions whose public IP had no inventory row when
-- the backfill decided them. They keep a NULL country (they are not final),
-- the ordinary walk leaves them alone, and the run after their IP's row
-- arrives (and is queued) decides them.
--
-- Both survive a crash (they are ordinary tables, and pg_dump keeps their
-- rows). A lost entry costs nothing but time: a retry_unenrichable run walks
-- every session again.
------------------------------------------------------------------------------

-- install-only: begin (the 1.2--1.3 prelude creates them on an update)
CREATE TABLE @extschema@.cowrie_inventory_queue (
    ip text PRIMARY KEY,
    queued_at timestamptz NOT NULL DEFAULT pg_catalog.now()
);
CREATE TABLE @extschema@.cowrie_pending_sessions (
    ip text NOT NULL,
    session_id text NOT NULL,
    PRIMARY KEY (ip, session_id)
);
CREATE INDEX cowrie_pending_sessions_session_id ON @extschema@.cowrie_pending_sessions (session_id);
-- install-only: end
COMMENT ON TABLE @extschema@.cowrie_inventory_queue IS
'IPs whose ip_inventory row changed since the last backfill run (''*'': walk every session once with the wider predicate)';
COMMENT ON TABLE @extschema@.cowrie_pending_sessions IS
'Sessions whose public IP had no ip_inventory row yet: decided by the first backfill run after the row arrives';
SELECT pg_catalog.pg_extension_config_dump('@extschema@.cowrie_inventory_queue', '');
SELECT pg_catalog.pg_extension_config_dump('@extschema@.cowrie_pending_sessions', '');
-- Who may do what, as the table privileges of the tables they serve say
-- (row-level security; the installing role owns these tables): whoever may
-- write ip_inventory queues its IPs (the queue trigger runs as that role);
-- whoever may read session_summaries reads both (a dry run); whoever may
-- update it runs the backfill, which keeps the pending sessions and empties
-- the queue. No one else reads or writes them.
ALTER TABLE @extschema@.cowrie_inventory_queue ENABLE ROW LEVEL SECURITY;
ALTER TABLE @extschema@.cowrie_pending_sessions ENABLE ROW LEVEL SECURITY;
DROP POLICY IF EXISTS inventory_writers ON @extschema@.cowrie_inventory_queue;
CREATE POLICY inventory_writers ON @extschema@.cowrie_inventory_queue FOR INSERT TO PUBLIC
    WITH CHECK (pg_catalog.has_table_privilege('@extschema@.ip_inventory', 'INSERT, UPDATE'));
DROP POLICY IF EXISTS session_readers ON @extschema@.cowrie_inventory_queue;
CREATE POLICY session_readers ON @extschema@.cowrie_inventory_queue FOR SELECT TO PUBLIC
    USING (pg_catalog.has_table_privilege('@extschema@.session_summaries', 'SELECT'));
DROP POLICY IF EXISTS session_writers ON @extschema@.cowrie_inventory_queue;
CREATE POLICY session_writers ON @extschema@.cowrie_inventory_queue FOR DELETE TO PUBLIC
    USING (pg_catalog.has_table_privilege('@extschema@.session_summaries', 'UPDATE'));
DROP POLICY IF EXISTS session_readers ON @extschema@.cowrie_pending_sessions;
CREATE POLICY session_readers ON @extschema@.cowrie_pending_sessions FOR SELECT TO PUBLIC
    USING (pg_catalog.has_table_privilege('@extschema@.session_summaries', 'SELECT'));
DROP POLICY IF EXISTS session_writers_insert ON @extschema@.cowrie_pending_sessions;
CREATE POLICY session_writers_insert ON @extschema@.cowrie_pending_sessions FOR INSERT TO PUBLIC
    WITH CHECK (pg_catalog.has_table_privilege('@extschema@.session_summaries', 'UPDATE'));
DROP POLICY IF EXISTS session_writers_delete ON @extschema@.cowrie_pending_sessions;
CREATE POLICY session_writers_delete ON @extschema@.cowrie_pending_sessions FOR DELETE TO PUBLIC
    USING (pg_catalog.has_table_privilege('@extschema@.session_summaries', 'UPDATE'));
GRANT SELECT, INSERT, DELETE ON @extschema@.cowrie_inventory_queue, @extschema@.cowrie_pending_sessions TO PUBLIC;

CREATE OR REPLACE FUNCTION @extschema@.cowrie_inventory_queue_trigger() RETURNS trigger
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $fn$
BEGIN
    -- The document compared as text: json has no equality.
    IF TG_OP = 'INSERT'
       OR NEW.ip_address::text IS DISTINCT FROM OLD.ip_address::text
       OR NEW.ip_types::text IS DISTINCT FROM OLD.ip_types::text
       OR NEW.current_asn::text IS DISTINCT FROM OLD.current_asn::text
       OR NEW.geo_country::text IS DISTINCT FROM OLD.geo_country::text
       OR NEW.enrichment::text IS DISTINCT FROM OLD.enrichment::text THEN
        INSERT INTO @extschema@.cowrie_inventory_queue (ip) VALUES (NEW.ip_address::text) ON CONFLICT (ip) DO NOTHING;
    END IF;
    RETURN NULL;
END
$fn$;
COMMENT ON FUNCTION @extschema@.cowrie_inventory_queue_trigger() IS
'AFTER INSERT OR UPDATE row trigger on ip_inventory: queues the IP for the backfill''s completion when what the snapshot rule reads changed';
-- As the session trigger: only the migration attaches it.
REVOKE EXECUTE ON FUNCTION @extschema@.cowrie_inventory_queue_trigger() FROM PUBLIC;

-- Phase 3 attaches it, beside the types trigger.
CREATE OR REPLACE FUNCTION @extschema@.cowrie_migrate_inventory_queue_trigger() RETURNS void
LANGUAGE plpgsql VOLATILE PARALLEL UNSAFE
SET search_path = pg_catalog, pg_temp
AS $fn$
BEGIN
    PERFORM @extschema@.cowrie_check_trigger_name('@extschema@.ip_inventory', 'cowrie_inventory_queue',
                                                  '@extschema@.cowrie_inventory_queue_trigger()');
    IF NOT EXISTS (SELECT FROM pg_catalog.pg_trigger t
                   WHERE t.tgrelid = '@extschema@.ip_inventory'::regclass AND t.tgname = 'cowrie_inventory_queue') THEN
        -- On Citus, on every placement of the reference table: each node
        -- queues into its own table (50_citus.sql).
        PERFORM @extschema@.cowrie_citus_trigger_ddl('@extschema@.ip_inventory'::pg_catalog.regclass, true);
        CREATE TRIGGER cowrie_inventory_queue
            AFTER INSERT OR UPDATE ON @extschema@.ip_inventory
            FOR EACH ROW EXECUTE FUNCTION @extschema@.cowrie_inventory_queue_trigger();
        PERFORM @extschema@.cowrie_trigger_depends_on_extension('@extschema@.ip_inventory'::pg_catalog.regclass, 'cowrie_inventory_queue');
        PERFORM @extschema@.cowrie_citus_trigger_ddl('@extschema@.ip_inventory'::pg_catalog.regclass, false);
    END IF;
END
$fn$;
COMMENT ON FUNCTION @extschema@.cowrie_migrate_inventory_queue_trigger() IS
'Internal: attaches the queue trigger to ip_inventory';
