-- Every fixture shape with json enrichment (the body is shared).
\set enrichment_type json
\ir include/fixture_shapes.sql
