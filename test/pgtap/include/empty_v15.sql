-- An empty v15 cowrie schema (json enrichment) for tests that insert their
-- own sessions. Each test file runs in a database of its own (test/suite.sh).
\set QUIET 1
\set ON_ERROR_STOP 1
SET client_min_messages = warning;
\set n 0
\set enrichment_type json
\ir ../../fixtures/cowrie_v15.sql
\ir layout.sql
