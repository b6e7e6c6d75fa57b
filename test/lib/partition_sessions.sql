-- partition_sessions.sql: turn the current database's session_summaries (in
-- the first schema of search_path that has one) into a declaratively
-- partitioned table, as an operator or pg_partman would: the same columns (order,
-- types, defaults, NOT NULL, CHECK constraints, comments), the same rows, the
-- same indexes under the same names, the same owner, grants and row-level
-- security setting; the foreign keys and triggers the table had (the
-- extension's fk_session_source_ip and cowrie_session_snapshot, when it is
-- installed) are added again on the partitioned table.
--
--   psql -v partition_layout=range -f test/lib/partition_sessions.sql
--
-- Variables (all optional):
--   partition_layout    range (default): RANGE (first_event_at), one partition
--                         a partition_interval, plus a DEFAULT partition (rows
--                         whose first_event_at is NULL or outside go there)
--                       sub: range, and the month that holds the most rows (or,
--                         on an empty table, the first month) itself
--                         PARTITION BY HASH (session_id), 3 partitions
--                       list: LIST (dshield_flagged), a partition for true and a
--                         DEFAULT partition for the rest
--                       hash: HASH (session_id), 4 partitions
--   partition_interval  range and sub: '1 month' (default), or any interval
--                       ('1 hour' spreads a fixture's sessions over many heaps)
--   partition_extension_objects  1 (default): add the table's foreign keys and
--                       triggers again; 0: leave them off (what an operator who
--                       forgot them has, for SELECT cowrie_migrate() to repair)
--
-- The primary key must hold the partition key. With hash on session_id it
-- stays PRIMARY KEY (session_id). Otherwise it becomes PRIMARY KEY (session_id,
-- key) when the key column is NOT NULL, and UNIQUE (session_id, key) when it
-- may be NULL (upstream's first_event_at may be: such rows go to the DEFAULT
-- partition, and a primary key would make the column NOT NULL). Upstream's
-- loader upserts ON CONFLICT (session_id): that needs a unique index on
-- session_id alone, which only the hash layout can have.
--
-- The two tables that reference session_summaries (password_session_usage,
-- longtail_detection_sessions) lose those foreign keys, but with hash: a
-- partitioned table whose key is not session_id has no unique index on
-- session_id alone to reference.
-- The old table is dropped at the end.
\set ON_ERROR_STOP on
\if :{?partition_layout}
\else
\set partition_layout range
\endif
\if :{?partition_interval}
\else
\set partition_interval '1 month'
\endif
\if :{?partition_extension_objects}
\else
\set partition_extension_objects 1
\endif
SELECT set_config('cowrie_test.partition_layout', :'partition_layout', false),
       set_config('cowrie_test.partition_interval', :'partition_interval', false),
       set_config('cowrie_test.partition_extension_objects', :'partition_extension_objects', false) \gset

BEGIN;
DO $partition$
DECLARE
    layout text := current_setting('cowrie_test.partition_layout');
    step interval := current_setting('cowrie_test.partition_interval')::interval;
    with_objects boolean := current_setting('cowrie_test.partition_extension_objects') = '1';
    old regclass := 'session_summaries'::regclass;
    nsp name := (SELECT n.nspname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE c.oid = old);
    q_table text := format('%I.%I', nsp, 'session_summaries');
    owner name := (SELECT r.rolname FROM pg_class c JOIN pg_roles r ON r.oid = c.relowner WHERE c.oid = old);
    rls boolean := (SELECT c.relrowsecurity FROM pg_class c WHERE c.oid = old);
    force_rls boolean := (SELECT c.relforcerowsecurity FROM pg_class c WHERE c.oid = old);
    key_type regtype;
    key_not_null boolean;
    key_col text;
    index_defs text[];
    fk_defs text[];
    trigger_defs text[];
    ext_triggers text[];
    grants text[];
    referencing text[];
    referencing_defs text[];
    lo timestamptz;
    hi timestamptz;
    busiest timestamptz;
    t timestamptz;
    part text;
    d text;
    rows_before bigint;
    rows_after bigint;
    sum_before text;
    sum_after text;
BEGIN
    IF (SELECT relkind FROM pg_class WHERE oid = old) <> 'r' THEN
        RAISE EXCEPTION 'set-up: % is not a plain table', old;
    END IF;
    IF layout NOT IN ('range', 'sub', 'list', 'hash') THEN
        RAISE EXCEPTION 'set-up: partition_layout must be range, sub, list or hash, got %', layout;
    END IF;
    key_col := CASE layout WHEN 'list' THEN 'dshield_flagged' WHEN 'hash' THEN 'session_id' ELSE 'first_event_at' END;
    SELECT a.atttypid::regtype, a.attnotnull INTO key_type, key_not_null
    FROM pg_attribute a WHERE a.attrelid = old AND a.attname = key_col AND NOT a.attisdropped;

    -- What to add again: indexes (not those of a constraint), foreign keys from
    -- the table (made valid: a partitioned table takes no NOT VALID foreign
    -- key), user triggers, grants.
    SELECT coalesce(array_agg(pg_get_indexdef(i.indexrelid) ORDER BY i.indexrelid), '{}') INTO index_defs
    FROM pg_index i WHERE i.indrelid = old
      AND NOT EXISTS (SELECT FROM pg_constraint c WHERE c.conindid = i.indexrelid AND c.conrelid = old);
    SELECT coalesce(array_agg(format('ALTER TABLE %s ADD CONSTRAINT %I %s', q_table, c.conname,
                                     replace(pg_get_constraintdef(c.oid), ' NOT VALID', '')) ORDER BY c.conname), '{}')
      INTO fk_defs
    FROM pg_constraint c WHERE c.conrelid = old AND c.contype = 'f';
    SELECT coalesce(array_agg(pg_get_triggerdef(t.oid) ORDER BY t.tgname), '{}'),
           coalesce(array_agg(t.tgname ORDER BY t.tgname) FILTER (WHERE EXISTS (
               SELECT FROM pg_depend dp WHERE dp.classid = 'pg_trigger'::regclass AND dp.objid = t.oid AND dp.deptype = 'x')), '{}')
      INTO trigger_defs, ext_triggers
    FROM pg_trigger t WHERE t.tgrelid = old AND NOT t.tgisinternal;
    SELECT coalesce(array_agg(format('GRANT %s ON %s TO %s', a.privilege_type, q_table,
                                     CASE WHEN a.grantee = 0 THEN 'PUBLIC' ELSE quote_ident(pg_get_userbyid(a.grantee)) END)), '{}')
      INTO grants
    FROM pg_class c, aclexplode(c.relacl) a WHERE c.oid = old AND a.grantee <> c.relowner;
    SELECT coalesce(array_agg(format('%s.%I', c.conrelid::regclass, c.conname)), '{}'),
           coalesce(array_agg(format('ALTER TABLE %s ADD CONSTRAINT %I %s', c.conrelid::regclass, c.conname,
                                     pg_get_constraintdef(c.oid))), '{}')
      INTO referencing, referencing_defs
    FROM pg_constraint c WHERE c.confrelid = old AND c.contype = 'f' AND c.conrelid <> old;
    EXECUTE format('SELECT count(*), md5(coalesce(string_agg(s::text, %L ORDER BY s.session_id), %L)) FROM %s s', E'\n', '', q_table)
      INTO rows_before, sum_before;

    -- Drop what must go, then make the new table beside the old one.
    FOR d IN SELECT format('ALTER TABLE %s DROP CONSTRAINT %I', c.conrelid::regclass, c.conname)
             FROM pg_constraint c WHERE c.confrelid = old AND c.contype = 'f' AND c.conrelid <> old LOOP
        EXECUTE d;
    END LOOP;
    EXECUTE format('CREATE TABLE %I.session_summaries_partitioned (LIKE %s INCLUDING DEFAULTS INCLUDING CONSTRAINTS '
                   'INCLUDING GENERATED INCLUDING IDENTITY INCLUDING STORAGE INCLUDING COMMENTS) PARTITION BY %s (%I)',
                   nsp, q_table, CASE layout WHEN 'list' THEN 'LIST' WHEN 'hash' THEN 'HASH' ELSE 'RANGE' END, key_col);

    IF layout IN ('range', 'sub') THEN
        EXECUTE format('SELECT min(first_event_at)::timestamptz, max(first_event_at)::timestamptz FROM %s', q_table) INTO lo, hi;
        EXECUTE format('SELECT %s FROM %s WHERE first_event_at IS NOT NULL GROUP BY 1 ORDER BY count(*) DESC, 1 LIMIT 1',
                       CASE WHEN step = interval '1 month'
                            THEN $$date_trunc('month', first_event_at::timestamptz AT TIME ZONE 'UTC') AT TIME ZONE 'UTC'$$
                            ELSE format('date_bin(%L, first_event_at::timestamptz, timestamptz %L)', step, '2000-01-01 00:00+00') END,
                       q_table) INTO busiest;
        -- Months the suite's own sessions use (2024-09 to 2026-01) are always there.
        -- (with another interval: the span of the rows, whose DEFAULT partition takes the rest).
        IF step = interval '1 month' OR lo IS NULL THEN
            lo := least(coalesce(lo, '2024-09-01 00:00+00'), '2024-09-01 00:00+00');
            hi := greatest(coalesce(hi, '2025-12-31 00:00+00'), '2025-12-31 00:00+00');
        END IF;
        IF step = interval '1 month' THEN
            lo := date_trunc('month', lo AT TIME ZONE 'UTC') AT TIME ZONE 'UTC';
            busiest := coalesce(date_trunc('month', busiest AT TIME ZONE 'UTC') AT TIME ZONE 'UTC', lo);
        ELSE
            lo := date_bin(step, lo, timestamptz '2000-01-01 00:00+00');
            busiest := coalesce(busiest, lo);
        END IF;
        t := lo;
        WHILE t <= hi LOOP
            part := format('session_summaries_p%s', to_char(t AT TIME ZONE 'UTC',
                           CASE WHEN step = interval '1 month' THEN 'YYYY_MM' ELSE 'YYYYMMDD_HH24MI' END));
            -- Bounds as the key's type sees them: UTC month starts.
            EXECUTE format('CREATE TABLE %I.%I PARTITION OF %I.session_summaries_partitioned FOR VALUES FROM (%L) TO (%L)%s',
                           nsp, part, nsp,
                           CASE WHEN key_type = 'timestamptz'::regtype THEN t::text ELSE (t AT TIME ZONE 'UTC')::text END,
                           CASE WHEN key_type = 'timestamptz'::regtype THEN (t + step)::text ELSE ((t + step) AT TIME ZONE 'UTC')::text END,
                           CASE WHEN layout = 'sub' AND t = busiest THEN ' PARTITION BY HASH (session_id)' ELSE '' END);
            IF layout = 'sub' AND t = busiest THEN
                FOR k IN 0 .. 2 LOOP
                    EXECUTE format('CREATE TABLE %I.%I PARTITION OF %I.%I FOR VALUES WITH (MODULUS 3, REMAINDER %s)',
                                   nsp, part || '_h' || k, nsp, part, k);
                END LOOP;
            END IF;
            t := t + step;
        END LOOP;
        EXECUTE format('CREATE TABLE %I.session_summaries_default PARTITION OF %I.session_summaries_partitioned DEFAULT', nsp, nsp);
    ELSIF layout = 'list' THEN
        EXECUTE format('CREATE TABLE %I.session_summaries_flagged PARTITION OF %I.session_summaries_partitioned FOR VALUES IN (true)', nsp, nsp);
        EXECUTE format('CREATE TABLE %I.session_summaries_default PARTITION OF %I.session_summaries_partitioned DEFAULT', nsp, nsp);
    ELSE
        FOR k IN 0 .. 3 LOOP
            EXECUTE format('CREATE TABLE %I.%I PARTITION OF %I.session_summaries_partitioned FOR VALUES WITH (MODULUS 4, REMAINDER %s)',
                           nsp, 'session_summaries_h' || k, nsp, k);
        END LOOP;
    END IF;

    -- The rows, in their order, then the old table goes and the new one takes its name.
    EXECUTE format('INSERT INTO %I.session_summaries_partitioned OVERRIDING SYSTEM VALUE SELECT * FROM %s ORDER BY ctid', nsp, q_table);
    EXECUTE format('DROP TABLE %s', q_table);
    EXECUTE format('ALTER TABLE %I.session_summaries_partitioned RENAME TO session_summaries', nsp);
    IF layout = 'hash' THEN
        EXECUTE format('ALTER TABLE %s ADD CONSTRAINT session_summaries_pkey PRIMARY KEY (session_id)', q_table);
    ELSIF key_not_null THEN
        EXECUTE format('ALTER TABLE %s ADD CONSTRAINT session_summaries_pkey PRIMARY KEY (session_id, %I)', q_table, key_col);
    ELSE
        EXECUTE format('ALTER TABLE %s ADD CONSTRAINT session_summaries_session_key UNIQUE (session_id, %I)', q_table, key_col);
    END IF;
    FOREACH d IN ARRAY index_defs LOOP
        EXECUTE d;
    END LOOP;
    -- Hash on session_id keeps a primary key on session_id alone: the tables
    -- that reference it keep their foreign keys.
    IF layout = 'hash' THEN
        FOREACH d IN ARRAY referencing_defs LOOP
            EXECUTE d;
        END LOOP;
        referencing := '{}';
    END IF;
    IF with_objects THEN
        FOREACH d IN ARRAY fk_defs || trigger_defs LOOP
            EXECUTE d;
        END LOOP;
        FOREACH d IN ARRAY ext_triggers LOOP
            EXECUTE format('ALTER TRIGGER %I ON %s DEPENDS ON EXTENSION cowrie_snapshot', d, q_table);
        END LOOP;
    END IF;
    FOR part IN SELECT c.oid::regclass::text FROM pg_partition_tree(q_table::regclass) p JOIN pg_class c ON c.oid = p.relid LOOP
        EXECUTE format('ALTER TABLE %s OWNER TO %I', part, owner);
    END LOOP;
    FOREACH d IN ARRAY grants LOOP
        EXECUTE d;
    END LOOP;
    IF rls THEN
        EXECUTE format('ALTER TABLE %s ENABLE ROW LEVEL SECURITY', q_table);
    END IF;
    IF force_rls THEN
        EXECUTE format('ALTER TABLE %s FORCE ROW LEVEL SECURITY', q_table);
    END IF;

    EXECUTE format('SELECT count(*), md5(coalesce(string_agg(s::text, %L ORDER BY s.session_id), %L)) FROM %s s', E'\n', '', q_table)
      INTO rows_after, sum_after;
    IF rows_after <> rows_before OR sum_after <> sum_before THEN
        RAISE EXCEPTION 'set-up: partitioning changed the rows (% rows, %; now % rows, %)', rows_before, sum_before, rows_after, sum_after;
    END IF;
    RAISE NOTICE 'set-up: session_summaries partitioned (%, %): % leaf partitions, % rows; foreign keys from % dropped%',
        layout, CASE WHEN layout IN ('range', 'sub') THEN step::text ELSE key_col END,
        (SELECT count(*) FROM pg_partition_tree(q_table::regclass) WHERE isleaf), rows_after,
        CASE WHEN referencing = '{}' THEN 'no table' ELSE array_to_string(referencing, ', ') END,
        CASE WHEN with_objects THEN '' ELSE '; its foreign keys and triggers were not added again' END;
END
$partition$;
COMMIT;
ANALYZE session_summaries;
