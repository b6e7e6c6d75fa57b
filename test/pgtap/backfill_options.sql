-- cowrie_backfill's options: NULL is refused where it has no meaning (dry_run
-- => NULL once wrote every session), and batch_size is bounded up front (from
-- 42,949,673 the completion's LIMIT 50 * batch_size overflowed integer).
-- cowrie_backfill_commit's are in test/scripts/backfill_options.sh (a CALL
-- that commits cannot run inside pgTAP's transaction).
\set QUIET 1
\set ON_ERROR_STOP 1
SET client_min_messages = warning;
\set n 300
\ir ../fixtures/cowrie_v15.sql
\ir include/layout.sql
SET cowrie_snapshot.defer_session_backfill = on;
CREATE EXTENSION cowrie_snapshot;
RESET cowrie_snapshot.defer_session_backfill;
BEGIN;
SELECT plan(13);

SELECT throws_ok('SELECT cowrie_backfill(1000, dry_run => NULL)', '22004',
                 'cowrie_snapshot: dry_run of cowrie_backfill must not be NULL',
                 'dry_run => NULL is refused with 22004, naming the option');
SELECT throws_ok('SELECT cowrie_backfill(1000, retry_unenrichable => NULL)', '22004',
                 'cowrie_snapshot: retry_unenrichable of cowrie_backfill must not be NULL',
                 'retry_unenrichable => NULL is refused');
SELECT throws_ok('SELECT cowrie_backfill(NULL)', '22004',
                 'cowrie_snapshot: batch_size of cowrie_backfill must not be NULL',
                 'batch_size => NULL is refused');
SELECT is((SELECT count(*) FROM session_summaries WHERE snapshot_country IS NOT NULL), 0::bigint,
          '  and no refused call wrote a session');
SELECT throws_ok('SELECT cowrie_backfill(42949673)', '22023',
                 'cowrie_snapshot: batch_size of cowrie_backfill must be between 1 and 1000000',
                 'batch_size 42,949,673 is refused with 22023 up front (was 22003 from an integer overflow)');
SELECT throws_ok('SELECT cowrie_backfill(1000001)', '22023',
                 'cowrie_snapshot: batch_size of cowrie_backfill must be between 1 and 1000000',
                 'batch_size 1,000,001 is refused');
SELECT throws_ok('SELECT cowrie_backfill(0)', '22023',
                 'cowrie_snapshot: batch_size of cowrie_backfill must be between 1 and 1000000',
                 'batch_size 0 is refused');
SELECT throws_ok('SELECT cowrie_backfill(2147483647)', '22023', NULL, 'the largest integer is refused');

-- The DETAIL and HINT of a refusal.
CREATE FUNCTION pg_temp.error_of(q text) RETURNS text LANGUAGE plpgsql AS $$
DECLARE d text; h text;
BEGIN
    EXECUTE q;
    RETURN 'no error';
EXCEPTION WHEN OTHERS THEN
    GET STACKED DIAGNOSTICS d = PG_EXCEPTION_DETAIL, h = PG_EXCEPTION_HINT;
    RETURN d || ' | ' || h;
END $$;
SELECT is(pg_temp.error_of('SELECT cowrie_backfill(42949673)'),
          'batch_size is 42949673. | Pass a batch size from 1 to 1000000; the default, 1000, suits most tables.',
          'the DETAIL gives the value and the HINT the range');
SELECT is(pg_temp.error_of('SELECT cowrie_backfill(10, dry_run => NULL)'),
          'cowrie_backfill was called with dry_run => NULL. | Pass a value for dry_run, or leave it out for its default (false).',
          'the DETAIL names the option and the HINT its default');

SELECT is(cowrie_backfill(1000000, dry_run => true), 300::bigint, 'batch_size 1,000,000 runs (dry run)');
SELECT is(cowrie_backfill(1000, max_batches => NULL), 300::bigint, 'max_batches => NULL still means no limit');
SELECT is((SELECT count(*) FROM session_summaries WHERE snapshot_country IS NULL AND source_ip IS NOT NULL), 0::bigint,
          '  and that run filled every session with an IP');

SELECT * FROM finish();
ROLLBACK;
