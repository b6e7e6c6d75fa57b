\echo Use "ALTER EXTENSION cowrie_snapshot UPDATE TO '1.1'" to load this file. \quit

-- 1.1 is the cowrie schema v16 migration. On a database without cowrie tables
-- (as when pg_restore creates the extension first) it reports and does nothing;
-- SELECT cowrie_migrate() later runs the same work.
SELECT @extschema@.cowrie_migrate();
