-- Every fixture shape with jsonb enrichment (the body is shared).
\set enrichment_type jsonb
\ir include/fixture_shapes.sql
