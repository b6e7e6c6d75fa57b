-- The migration itself. On a database without cowrie tables (as when
-- pg_restore creates the extension first) it reports and does nothing;
-- SELECT cowrie_migrate() later runs the same work.
-- On a Citus table it migrates nothing here: Citus creates the extension on the
-- workers only after this script (50_citus.sql); cowrie_migrate() follows.
SELECT CASE WHEN @extschema@.cowrie_citus_sessions() THEN @extschema@.cowrie_citus_postpone()
            ELSE @extschema@.cowrie_migrate() END;
