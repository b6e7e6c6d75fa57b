-- The committing backfill procedure: top-level CALL, committed batches survive
-- a cancel, a rerun finishes the rest, progress NOTICEs.
\set VERBOSITY terse
SET client_min_messages = warning;
\set n 2000
\set ECHO none
\i test/fixtures/cowrie_v15.sql
\set ECHO all
\set ON_ERROR_STOP off
SET cowrie_snapshot.defer_session_backfill = on;
SELECT (cowrie_migrate())->>'status' AS status;
RESET cowrie_snapshot.defer_session_backfill;
SELECT count(*) AS to_fill FROM session_summaries WHERE snapshot_country IS NULL;

-- Three batches of at most 40 sessions, each committed (a batch stops at the
-- end of its heap range, so it may hold fewer).
CALL cowrie_backfill_commit(40, max_batches => 3);
SELECT count(*) AS filled FROM session_summaries WHERE snapshot_country IS NOT NULL \gset
SELECT :filled BETWEEN 3 AND 120 AS three_batches_filled;

-- Cancelled mid-run (statement_timeout): the batches committed so far stay.
SET statement_timeout = '300ms';
CALL cowrie_backfill_commit(2);
RESET statement_timeout;
SELECT count(*) > :filled AND count(*) < 2000 AS partly_filled
FROM session_summaries WHERE snapshot_country IS NOT NULL;

-- A rerun finishes; one more reports, in its NOTICE, that nothing is left.
CALL cowrie_backfill_commit(500);
SET client_min_messages = notice;
CALL cowrie_backfill_commit(500);
SET client_min_messages = warning;
SELECT cowrie_backfill(dry_run => true) AS eligible_left;
SELECT count(*) AS left_over FROM session_summaries WHERE snapshot_country IS NULL;
SELECT pg_catalog.count(*) AS advisory_locks_held FROM pg_locks WHERE locktype = 'advisory' AND pid = pg_backend_pid();

-- Not in a transaction block: a procedure that commits refuses clearly.
BEGIN;
CALL cowrie_backfill_commit(10);
ROLLBACK;
