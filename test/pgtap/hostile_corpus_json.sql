-- The hostile corpus with json enrichment (the body is shared).
\set enrichment_type json
\ir include/hostile_corpus.sql
