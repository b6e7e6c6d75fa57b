-- The layout of session_summaries: test/suite.sh runs the migration, backfill,
-- trigger and completion files a second time with COWRIE_LAYOUT set (range,
-- sub, list or hash; see test/lib/partition_sessions.sql), and the table the
-- fixture just made is then partitioned, its rows, indexes and owner kept.
-- Without it (or with plain) nothing happens.
\getenv cowrie_layout COWRIE_LAYOUT
\if :{?cowrie_layout}
SELECT :'cowrie_layout' NOT IN ('', 'plain') AS cowrie_layout_partitioned \gset
\else
\set cowrie_layout_partitioned false
\endif
\if :cowrie_layout_partitioned
\set partition_layout :cowrie_layout
\ir ../../lib/partition_sessions.sql
\endif
