-- The hostile corpus with jsonb enrichment (the body is shared).
\set enrichment_type jsonb
\ir include/hostile_corpus.sql
