-- Run by test/suite.sh (COWRIE_COVERAGE) in every database that has the
-- extension, before the cluster stops: plpgsql_check's profile of each of the
-- extension's PL/pgSQL routines, one row per statement. A routine is keyed by
-- its name and the md5 of its source, so that the same routine in another
-- database (the same statement ids) adds up, and an older version's does not.
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS plpgsql_check;
SELECT p.proname || ':' || md5(p.prosrc), s.stmtid, coalesce(s.parent_stmtid, -1), coalesce(s.parent_note, ''),
       s.exec_stmts, s.stmtname
FROM pg_depend d
JOIN pg_proc p ON p.oid = d.objid
JOIN pg_language l ON l.oid = p.prolang AND l.lanname = 'plpgsql'
CROSS JOIN LATERAL plpgsql_profiler_function_statements_tb(p.oid) s
WHERE d.classid = 'pg_proc'::regclass AND d.deptype = 'e'
  AND d.refobjid = (SELECT oid FROM pg_extension WHERE extname = 'cowrie_snapshot');
