-- The migration itself. On a database without cowrie tables (as when
-- pg_restore creates the extension first) it reports and does nothing;
-- SELECT cowrie_migrate() later runs the same work.
SELECT @extschema@.cowrie_migrate();
