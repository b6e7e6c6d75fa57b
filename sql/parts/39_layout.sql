------------------------------------------------------------------------------
-- The layouts the extension works on: a plain session_summaries, or one
-- declaratively partitioned (range, list or hash, with a default partition or
-- sub-partitions, as pg_partman makes it). The backfill walks each leaf heap
-- on its own, and every write names its row by that heap and its ctid, so no
-- write can land on another partition's row at the same position. A layout it
-- cannot handle is refused before anything is written. (The migration also
-- checks each partition's owner and code: cowrie_migrate_check_objects.)
------------------------------------------------------------------------------

-- The leaf heaps of session_summaries, in the order a run walks them (a plain
-- table is its own only leaf).
CREATE OR REPLACE FUNCTION @extschema@.cowrie_session_heaps() RETURNS regclass[]
LANGUAGE sql STABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
BEGIN ATOMIC
    -- pg_partition_tree gives nothing for a table that is not partitioned;
    -- by name at run time: the table may come after the install.
    SELECT COALESCE((SELECT CASE WHEN c.relkind OPERATOR(pg_catalog.=) 'p'::pg_catalog."char"
                                 THEN ARRAY(SELECT t.relid FROM pg_catalog.pg_partition_tree(c.oid::pg_catalog.regclass) t
                                            WHERE t.isleaf ORDER BY t.relid)
                                 ELSE ARRAY[c.oid::pg_catalog.regclass] END
                     FROM pg_catalog.pg_class c
                     WHERE c.oid OPERATOR(pg_catalog.=) pg_catalog.to_regclass('@extschema@.session_summaries'::pg_catalog.text)::pg_catalog.oid),
                    '{}'::pg_catalog.regclass[]);
END;
COMMENT ON FUNCTION @extschema@.cowrie_session_heaps() IS
'Backfill internals: the leaf heaps of session_summaries (the table itself when it is not partitioned)';

-- Refuses (55000) what the migration and the backfill cannot write exactly: a
-- leaf that is not a heap (a foreign table), a partition key on a column they
-- write (an UPDATE would move the row), and partitioned inventories (they
-- stay small, and the inventory triggers and the lookup read one heap each).
CREATE OR REPLACE FUNCTION @extschema@.cowrie_check_layout() RETURNS void
LANGUAGE plpgsql STABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
    sessions regclass := '@extschema@.session_summaries'::regclass;
    problems text[];
BEGIN
    SELECT pg_catalog.array_agg(pg_catalog.format('%s is a %s', t.relid,
               CASE c.relkind WHEN 'f' THEN 'foreign table' ELSE 'relation of kind ' || c.relkind::text END) ORDER BY t.relid)
      INTO problems
    FROM pg_catalog.pg_partition_tree(sessions) t JOIN pg_catalog.pg_class c ON c.oid = t.relid
    WHERE t.isleaf AND c.relkind <> 'r';
    IF problems IS NOT NULL THEN
        RAISE EXCEPTION 'cowrie_snapshot: a partition of session_summaries is not a table'
            USING ERRCODE = 'object_not_in_prerequisite_state',
                  DETAIL = pg_catalog.array_to_string(problems, '; ') || '; its rows cannot be locked and written by their position.',
                  HINT = 'Keep the sessions in ordinary tables (detach the partition, ALTER TABLE session_summaries DETACH PARTITION ...); nothing was changed.';
    END IF;
    SELECT pg_catalog.array_agg(DISTINCT pg_catalog.format('%s is partitioned by %s', p.partrelid::regclass,
               pg_catalog.pg_get_partkeydef(p.partrelid)))
      INTO problems
    FROM pg_catalog.pg_partition_tree(sessions) t
    JOIN pg_catalog.pg_partitioned_table p ON p.partrelid = t.relid
    CROSS JOIN (VALUES ('source_ip'), ('snapshot_asn'), ('snapshot_country'), ('snapshot_ip_type'), ('enrichment_at')) w(col)
    WHERE EXISTS (SELECT FROM pg_catalog.unnest(p.partattrs::int2[]) k(attnum)
                  JOIN pg_catalog.pg_attribute a ON a.attrelid = p.partrelid AND a.attnum = k.attnum
                  WHERE a.attname = w.col)
       OR pg_catalog.pg_get_expr(p.partexprs, p.partrelid) ~ ('\m' || w.col || '\M');
    IF problems IS NOT NULL THEN
        RAISE EXCEPTION 'cowrie_snapshot: session_summaries is partitioned by a column the extension writes'
            USING ERRCODE = 'object_not_in_prerequisite_state',
                  DETAIL = pg_catalog.array_to_string(problems, '; ') || '; writing a snapshot would move rows between partitions.',
                  HINT = 'Partition by first_event_at (by month, as pg_partman does), session_id or another column the extension does not write; nothing was changed.';
    END IF;
    SELECT pg_catalog.array_agg(pg_catalog.format('%s is %s', r, CASE c.relkind WHEN 'p' THEN 'partitioned' ELSE 'a partition' END) ORDER BY r::text)
      INTO problems
    FROM pg_catalog.unnest(ARRAY[pg_catalog.to_regclass('@extschema@.ip_inventory'), pg_catalog.to_regclass('@extschema@.asn_inventory')]) r
    JOIN pg_catalog.pg_class c ON c.oid = r
    WHERE c.relkind = 'p' OR c.relispartition;
    IF problems IS NOT NULL THEN
        RAISE EXCEPTION 'cowrie_snapshot: partitioned inventories are not supported'
            USING ERRCODE = 'object_not_in_prerequisite_state',
                  DETAIL = pg_catalog.array_to_string(problems, '; ') || '.',
                  HINT = 'ip_inventory and asn_inventory hold one row per IP and per ASN and stay small; keep them ordinary tables. Nothing was changed.';
    END IF;
END
$fn$;
COMMENT ON FUNCTION @extschema@.cowrie_check_layout() IS
'Backfill internals (the migration uses it too): refuses (55000) a layout of session_summaries or of the inventories that the extension cannot write exactly';

-- Which relation a batch names to read and write the rows of one heap: the
-- heap itself (a partition read directly is one heap, as a tid needs), or,
-- when the role may not use that partition directly (its owner changed only
-- the partitioned table's owner, or was granted only on it), the partitioned
-- table with the heap's tableoid in every condition: PostgreSQL's own rights
-- through the parent, at the cost of probing each partition.
CREATE OR REPLACE FUNCTION @extschema@.cowrie_heap_target(heap regclass, dry_run boolean) RETURNS regclass
LANGUAGE plpgsql STABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $fn$
BEGIN
    IF pg_catalog.has_table_privilege(heap, 'SELECT')
       AND (dry_run OR pg_catalog.has_table_privilege(heap, 'UPDATE')) THEN
        RETURN heap;
    END IF;
    RETURN '@extschema@.session_summaries'::regclass;
END
$fn$;
COMMENT ON FUNCTION @extschema@.cowrie_heap_target(regclass, boolean) IS
'Backfill internals: the relation a batch reads and writes one heap''s rows through (the heap, or session_summaries when the role may not use the partition directly)';

-- What cowrie_backfill_local may walk: the leaf heaps of session_summaries,
-- or, on a Citus node, its shards of it. Anything else is refused.
CREATE OR REPLACE FUNCTION @extschema@.cowrie_check_session_heaps(heaps regclass[]) RETURNS void
LANGUAGE plpgsql STABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
    stray regclass;
BEGIN
    SELECT h INTO stray FROM pg_catalog.unnest(heaps) h
    WHERE h <> ALL (@extschema@.cowrie_session_heaps()) LIMIT 1;
    IF stray IS NOT NULL AND @extschema@.cowrie_citus_kind(pg_catalog.to_regclass('@extschema@.session_summaries')) = 'distributed' THEN
        -- Static: planned only on a Citus table.
        SELECT h INTO stray FROM pg_catalog.unnest(heaps) h
        WHERE NOT EXISTS (SELECT FROM pg_catalog.pg_dist_shard s
                          WHERE s.logicalrelid = '@extschema@.session_summaries'::regclass
                            AND pg_catalog.to_regclass(pg_catalog.shard_name(s.logicalrelid, s.shardid, false)) = h)
        LIMIT 1;
    END IF;
    IF stray IS NOT NULL THEN
        RAISE EXCEPTION 'cowrie_snapshot: % is not a heap of session_summaries', stray
            USING ERRCODE = 'invalid_parameter_value',
                  HINT = 'The backfill walks only the leaf partitions of session_summaries, or on Citus its shards.';
    END IF;
END
$fn$;
COMMENT ON FUNCTION @extschema@.cowrie_check_session_heaps(regclass[]) IS
'Backfill internals: refuses a heap that is not a leaf of session_summaries (or, on Citus, a shard of it)';
