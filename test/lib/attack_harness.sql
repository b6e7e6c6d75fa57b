-- attack_harness.sql: what test/pending/attack.sh plants (issue 14), as data.
-- Loaded by a superuser into a database; :atk is the attacker role, which has
-- CREATE on public and on atk_first (first on the victim's search_path) and
-- nothing else. Requests (atk_harness.req) are derived from the extension's
-- scripts, C strings, parse trees and catalogs by the shell script; plant()
-- turns each into an exact-type overload that records its call and raises.
\set ON_ERROR_STOP 1
SET client_min_messages = warning;
CREATE SCHEMA atk_harness;
CREATE SCHEMA atk_first;
GRANT USAGE, CREATE ON SCHEMA atk_first TO :"atk";
GRANT USAGE ON SCHEMA atk_harness TO :"atk";
GRANT CREATE ON SCHEMA public TO :"atk";

-- kind: op, func, agg, proc, rel. argtypes: NULL first element for a prefix
-- operator. target: the schema of what the plant imitates (passthrough).
-- ret_attnames/ret_atttypes: a composite result the planter clones, so a
-- look-alike can exist before the extension's own type does.
CREATE TABLE atk_harness.req (
	id serial PRIMARY KEY, origin text NOT NULL, kind text NOT NULL, name text NOT NULL,
	argtypes text[] NOT NULL DEFAULT '{}', argnames text[], outnames text[], outtypes text[],
	rettype text, retset boolean NOT NULL DEFAULT false, target text, target_args text[],
	ret_attnames text[], ret_atttypes text[], schemas text[] NOT NULL,
	volatility text NOT NULL DEFAULT 'i');  -- the imitated function's, so a plant behaves as it would
CREATE TABLE atk_harness.planted (sig text PRIMARY KEY, req integer, origin text, kind text, schema text, ok boolean, err text);
GRANT SELECT ON atk_harness.req TO :"atk";
GRANT ALL ON atk_harness.planted TO :"atk";

-- The types arguments are replaced with: the usual suspects, the column types
-- of the tables in the cowrie schema, and (once installed) the extension's own.
CREATE FUNCTION atk_harness.types(ext_schema text) RETURNS text[]
LANGUAGE sql STABLE SET search_path = pg_catalog AS $$
	SELECT array_agg(DISTINCT t ORDER BY t) FROM (
		SELECT format_type(x::regtype, NULL) AS t FROM unnest(ARRAY['text', 'varchar', 'name', 'bpchar', '"char"',
			'smallint', 'integer', 'bigint', 'numeric', 'real', 'double precision', 'oid', 'regclass', 'tid',
			'boolean', 'json', 'jsonb', 'timestamptz', 'timestamp', 'interval', 'inet', 'text[]', 'varchar[]',
			'integer[]', 'bigint[]', 'jsonb[]']) x
		UNION
		SELECT format_type(a.atttypid, NULL) FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid
		WHERE c.relnamespace = ext_schema::regnamespace AND c.relkind IN ('r', 'p', 'v') AND a.attnum > 0 AND NOT a.attisdropped
		  AND c.relname !~ '^atk_'
		UNION
		SELECT format_type(t.oid, NULL) FROM pg_type t JOIN pg_depend d ON d.classid = 'pg_type'::regclass AND d.objid = t.oid
		JOIN pg_extension e ON e.oid = d.refobjid AND d.deptype = 'e' AND e.extname = 'cowrie_snapshot'
		WHERE t.typtype IN ('b', 'c', 'd', 'e')) s;
$$;

-- Could a value of type s reach a parameter of type t by an implicit cast (or
-- is t a pseudo-type taking anything)? Same category counts too (json for jsonb).
CREATE FUNCTION atk_harness.reaches(s regtype, t regtype) RETURNS boolean
LANGUAGE sql STABLE SET search_path = pg_catalog AS $$
	SELECT s <> t AND (
		(SELECT typtype = 'p' FROM pg_type WHERE oid = t)
		OR EXISTS (SELECT FROM pg_cast WHERE castsource = s AND casttarget = t AND castcontext = 'i')
		OR (SELECT a.typcategory = b.typcategory AND a.typcategory <> 'U' OR a.oid IN ('json'::regtype, 'jsonb'::regtype) AND b.oid IN ('json'::regtype, 'jsonb'::regtype)
		    FROM pg_type a, pg_type b WHERE a.oid = s AND b.oid = t)
		OR EXISTS (SELECT FROM pg_type a JOIN pg_type b ON a.typelem <> 0 AND b.typelem <> 0 AND a.typlen = -1 AND b.typlen = -1
		           WHERE a.oid = s AND b.oid = t AND atk_harness.reaches(a.typelem, b.typelem)));
$$;

-- Operators: every name on every pair of types (and prefix) that pg_catalog
-- resolves only through a cast: no exact operator there, but a usable one.
CREATE FUNCTION atk_harness.req_operators(names text[], types text[], schemas text[]) RETURNS bigint
LANGUAGE plpgsql SET search_path = pg_catalog AS $$
DECLARE
	n text; l text; r text; ret text; made bigint := 0;
BEGIN
	FOREACH n IN ARRAY names LOOP
		-- != is <> by another name
		CONTINUE WHEN n !~ '^[-+*/<>=~!@#%^&|`?]{1,63}$' OR n ~ '--|/\*' OR n IN ('=>', '!=');
		FOR l IN SELECT NULL UNION ALL SELECT unnest(types) LOOP
			FOREACH r IN ARRAY types LOOP
				BEGIN
					-- an exact operator in pg_catalog wins anyway (to_regoperator may raise on 15 for odd names)
					CONTINUE WHEN to_regoperator(format('pg_catalog.%s(%s,%s)', n, COALESCE(l, 'NONE'), r)) IS NOT NULL;
					EXECUTE format('SELECT pg_catalog.format_type(pg_catalog.pg_typeof(%s OPERATOR(pg_catalog.%s) NULL::%s)::pg_catalog.oid, NULL)',
					               CASE WHEN l IS NULL THEN '' ELSE format('NULL::%s', l) END, n, r) INTO ret;
				EXCEPTION WHEN OTHERS THEN
					CONTINUE;
				END;
				INSERT INTO atk_harness.req (origin, kind, name, argtypes, rettype, target, schemas)
				VALUES ('operator names x types', 'op', n, ARRAY[l, r], ret, 'pg_catalog', schemas);
				made := made + 1;
			END LOOP;
		END LOOP;
	END LOOP;
	RETURN made;
END $$;

-- The result type a call would have (polymorphic results), parsed only: a
-- temporary view, never executed.
CREATE FUNCTION atk_harness.result_type(fn text, args text[]) RETURNS text
LANGUAGE plpgsql SET search_path = pg_catalog AS $$
DECLARE
	t text;
BEGIN
	EXECUTE format('CREATE TEMP VIEW atk_result_probe AS SELECT %s(%s) AS x', fn,
	               (SELECT string_agg(format('NULL::%s', a), ', ' ORDER BY o) FROM unnest(args) WITH ORDINALITY u(a, o)));
	SELECT format_type(atttypid, NULL) INTO t FROM pg_attribute WHERE attrelid = 'pg_temp.atk_result_probe'::regclass AND attnum = 1;
	DROP VIEW pg_temp.atk_result_probe;
	RETURN t;
EXCEPTION WHEN OTHERS THEN
	RETURN NULL;
END $$;

-- Built-in functions (and aggregates) by name: each overload with one argument
-- replaced by a type that reaches it; variadic ones as non-variadic versions
-- of one and two arguments.
CREATE FUNCTION atk_harness.req_functions(names text[], types text[], schemas text[]) RETURNS bigint
LANGUAGE plpgsql SET search_path = pg_catalog AS $$
DECLARE
	p record; base regtype[]; a regtype[]; b text[]; k int; i int; j int; s text; ret text; made bigint := 0;
	poly regtype[] := ARRAY['"any"', 'anyelement', 'anycompatible', 'anynonarray']::regtype[];
	polyarr regtype[] := ARRAY['anyarray', 'anycompatiblearray']::regtype[];
BEGIN
	FOR p IN SELECT f.oid, f.proname, f.prokind, ARRAY(SELECT unnest(f.proargtypes::regtype[])) AS args, f.provariadic, f.prorettype, f.provolatile,
	                f.proretset, (SELECT typtype = 'p' FROM pg_type WHERE oid = f.prorettype) AS polyret
	         FROM pg_proc f WHERE f.pronamespace = 'pg_catalog'::regnamespace AND f.proname = ANY (names)
	           AND f.prokind IN ('f', 'a') AND f.pronargs BETWEEN 1 AND 6 AND f.proallargtypes IS NULL
	LOOP
		base := p.args;
		FOR k IN 0 .. CASE WHEN p.provariadic <> 0 THEN 2 ELSE 0 END LOOP
			CONTINUE WHEN p.provariadic <> 0 AND k = 0;
			a := base;
			IF p.provariadic <> 0 THEN
				a := base[1:array_length(base, 1) - 1] || array_fill(p.provariadic::regtype, ARRAY[k]);
			END IF;
			FOR i IN 1 .. array_length(a, 1) LOOP
				FOREACH s IN ARRAY types LOOP
					CONTINUE WHEN NOT atk_harness.reaches(s::regtype, a[i]);
					b := '{}';
					FOR j IN 1 .. array_length(a, 1) LOOP
						b := b || CASE WHEN j = i THEN s
						               WHEN a[j] = ANY (poly) THEN s
						               WHEN a[j] = ANY (polyarr) THEN s || '[]'
						               ELSE format_type(a[j], NULL) END;
					END LOOP;
					CONTINUE WHEN to_regprocedure(format('pg_catalog.%I(%s)', p.proname, array_to_string(b, ','))) IS NOT NULL;
					ret := CASE WHEN p.polyret THEN atk_harness.result_type(format('pg_catalog.%I', p.proname), b)
					            ELSE format_type(p.prorettype, NULL) END;
					CONTINUE WHEN ret IS NULL;
					INSERT INTO atk_harness.req (origin, kind, name, argtypes, rettype, retset, target, schemas, volatility)
					VALUES ('built-in function names', CASE p.prokind WHEN 'a' THEN 'agg' ELSE 'func' END, p.proname, b, ret,
					        p.proretset, 'pg_catalog', schemas, p.provolatile);
					made := made + 1;
				END LOOP;
			END LOOP;
		END LOOP;
	END LOOP;
	RETURN made;
END $$;

-- Look-alikes of the extension's own functions and procedures: each argument
-- replaced by a type that reaches it (public), and exact copies (atk_first).
-- Run where the extension is installed; the rows are copied to other databases.
CREATE FUNCTION atk_harness.req_lookalikes(types text[]) RETURNS bigint
LANGUAGE plpgsql SET search_path = pg_catalog AS $$
DECLARE
	p record; i int; s text; b text[]; real_args text[]; made bigint := 0;
BEGIN
	FOR p IN SELECT f.oid, f.proname, f.prokind, n.nspname, ARRAY(SELECT unnest(f.proargtypes::regtype[])) AS args,
	                CASE WHEN f.proargmodes IS NULL THEN (SELECT array_agg(COALESCE(f.proargnames[o], '') ORDER BY o) FROM generate_series(1, f.pronargs) o)
	                     ELSE (SELECT array_agg(COALESCE(f.proargnames[o], '') ORDER BY o) FROM unnest(f.proargmodes) WITH ORDINALITY m(m, o) WHERE m IN ('i', 'b', 'v')) END AS names,
	                (SELECT array_agg(f.proargnames[o] ORDER BY o) FROM unnest(f.proargmodes) WITH ORDINALITY m(m, o) WHERE m IN ('o', 't')) AS outnames,
	                (SELECT array_agg(format_type(f.proallargtypes[o], NULL) ORDER BY o) FROM unnest(f.proargmodes) WITH ORDINALITY m(m, o) WHERE m IN ('o', 't')) AS outtypes,
	                format_type(f.prorettype, NULL) AS rettype, f.proretset, f.provolatile,
	                (SELECT array_agg(a.attname::text ORDER BY a.attnum) FROM pg_type t JOIN pg_attribute a ON a.attrelid = t.typrelid AND a.attnum > 0 AND NOT a.attisdropped
	                 WHERE t.oid = f.prorettype AND t.typtype = 'c' AND t.typnamespace <> 'pg_catalog'::regnamespace) AS ret_attnames,
	                (SELECT array_agg(format_type(a.atttypid, a.atttypmod) ORDER BY a.attnum) FROM pg_type t JOIN pg_attribute a ON a.attrelid = t.typrelid AND a.attnum > 0 AND NOT a.attisdropped
	                 WHERE t.oid = f.prorettype AND t.typtype = 'c' AND t.typnamespace <> 'pg_catalog'::regnamespace) AS ret_atttypes
	         FROM pg_proc f JOIN pg_namespace n ON n.oid = f.pronamespace
	         JOIN pg_depend d ON d.classid = 'pg_proc'::regclass AND d.objid = f.oid AND d.deptype = 'e'
	         JOIN pg_extension e ON e.oid = d.refobjid AND e.extname = 'cowrie_snapshot'
	         WHERE f.pronargs > 0
	LOOP
		real_args := ARRAY(SELECT format_type(x, NULL) FROM unnest(p.args) x);
		INSERT INTO atk_harness.req (origin, kind, name, argtypes, argnames, outnames, outtypes, rettype, retset, target, target_args, ret_attnames, ret_atttypes, schemas, volatility)
		VALUES ('extension look-alikes', CASE p.prokind WHEN 'p' THEN 'proc' ELSE 'func' END, p.proname, real_args,
		        p.names, p.outnames, p.outtypes, p.rettype, p.proretset, p.nspname, real_args, p.ret_attnames, p.ret_atttypes, ARRAY['atk_first'], p.provolatile);
		FOR i IN 1 .. array_length(p.args, 1) LOOP
			FOREACH s IN ARRAY types LOOP
				CONTINUE WHEN NOT atk_harness.reaches(s::regtype, p.args[i]) OR (SELECT typtype = 'p' FROM pg_type WHERE oid = p.args[i]);
				SELECT array_agg(CASE WHEN o = i THEN s ELSE format_type(x, NULL) END ORDER BY o) INTO b
				FROM unnest(p.args) WITH ORDINALITY u(x, o);
				INSERT INTO atk_harness.req (origin, kind, name, argtypes, argnames, outnames, outtypes, rettype, retset, target, target_args, ret_attnames, ret_atttypes, schemas, volatility)
				VALUES ('extension look-alikes', CASE p.prokind WHEN 'p' THEN 'proc' ELSE 'func' END, p.proname, b, p.names,
				        p.outnames, p.outtypes, p.rettype, p.proretset, p.nspname, real_args, p.ret_attnames, p.ret_atttypes, ARRAY['public', 'atk_first'], p.provolatile);
				made := made + 1;
			END LOOP;
		END LOOP;
	END LOOP;
	RETURN made;
END $$;

-- Call sites seen in parse trees (test/lib/call_sites.pl output, loaded into
-- atk_harness.sites in the database the backend ran in): each call with the
-- argument types it had before the parser's casts.
CREATE TABLE atk_harness.sites (pid integer, kind text, oid oid, ret oid, args text);
CREATE FUNCTION atk_harness.req_sites(pids integer[], schemas text[]) RETURNS bigint
LANGUAGE plpgsql SET search_path = pg_catalog AS $$
DECLARE
	made bigint;
BEGIN
	WITH s AS (
		SELECT DISTINCT s.kind, s.oid, s.ret,
		       (SELECT array_agg(format_type(CASE WHEN a LIKE 'A%' THEN (SELECT typarray FROM pg_type WHERE oid = substr(a, 2)::oid)
		                                          WHEN a LIKE 'E%' THEN (SELECT typelem FROM pg_type WHERE oid = substr(a, 2)::oid)
		                                          ELSE a::oid END, NULL) ORDER BY o)
		        FROM unnest(string_to_array(s.args, ',')) WITH ORDINALITY u(a, o)) AS argtypes
		FROM atk_harness.sites s WHERE s.pid = ANY (pids) AND s.args <> ''),
	r AS (
		SELECT 'call sites in parse trees' AS origin,
		       CASE WHEN s.kind = 'o' THEN 'op' WHEN s.kind = 'a' THEN 'agg' WHEN f.prokind = 'p' THEN 'proc' ELSE 'func' END AS kind,
		       COALESCE(o.oprname::text, f.proname::text) AS name,
		       CASE WHEN s.kind = 'o' AND o.oprleft = 0 THEN ARRAY[NULL] || s.argtypes ELSE s.argtypes END AS argtypes,
		       format_type(s.ret, NULL) AS rettype, COALESCE(f.proretset, false) AS retset,
		       (SELECT array_agg(f.proargnames[x] ORDER BY x) FROM unnest(f.proargmodes) WITH ORDINALITY m(m, x) WHERE m IN ('o', 't')) AS outnames,
		       (SELECT array_agg(format_type(f.proallargtypes[x], NULL) ORDER BY x) FROM unnest(f.proargmodes) WITH ORDINALITY m(m, x) WHERE m IN ('o', 't')) AS outtypes,
		       COALESCE(fo.nspname, oo.nspname)::text AS target,
		       COALESCE(f.provolatile, (SELECT provolatile FROM pg_proc WHERE oid = o.oprcode), 'i')::text AS volatility,
		       CASE WHEN f.oid IS NOT NULL AND NOT EXISTS (SELECT FROM unnest(f.proargtypes) x JOIN pg_type t ON t.oid = x WHERE t.typtype = 'p')
		            THEN ARRAY(SELECT format_type(x, NULL) FROM unnest(f.proargtypes) x) END AS target_args,
		       (SELECT array_agg(a.attname::text ORDER BY a.attnum) FROM pg_type t JOIN pg_attribute a ON a.attrelid = t.typrelid AND a.attnum > 0 AND NOT a.attisdropped
		        WHERE t.oid = s.ret AND t.typtype = 'c' AND t.typnamespace <> 'pg_catalog'::regnamespace) AS ret_attnames,
		       (SELECT array_agg(format_type(a.atttypid, a.atttypmod) ORDER BY a.attnum) FROM pg_type t JOIN pg_attribute a ON a.attrelid = t.typrelid AND a.attnum > 0 AND NOT a.attisdropped
		        WHERE t.oid = s.ret AND t.typtype = 'c' AND t.typnamespace <> 'pg_catalog'::regnamespace) AS ret_atttypes
		FROM s
		LEFT JOIN pg_proc f ON s.kind <> 'o' AND f.oid = s.oid LEFT JOIN pg_namespace fo ON fo.oid = f.pronamespace
		LEFT JOIN pg_operator o ON s.kind = 'o' AND o.oid = s.oid LEFT JOIN pg_namespace oo ON oo.oid = o.oprnamespace
		WHERE s.argtypes IS NOT NULL AND array_position(s.argtypes, NULL) IS NULL AND (f.oid IS NOT NULL OR o.oid IS NOT NULL))
	INSERT INTO atk_harness.req (origin, kind, name, argtypes, rettype, retset, outnames, outtypes, target, target_args, ret_attnames, ret_atttypes, schemas, volatility)
	SELECT origin, kind, name, argtypes, rettype, retset, outnames, outtypes, target, target_args, ret_attnames, ret_atttypes, schemas, volatility FROM r;
	GET DIAGNOSTICS made = ROW_COUNT;
	RETURN made;
END $$;

-- Relations the extension reads by name, shadowed in atk_first by views that
-- record any read and (INSTEAD OF triggers) any write.
CREATE FUNCTION atk_harness.req_relations(ext_schema text) RETURNS bigint
LANGUAGE plpgsql SET search_path = pg_catalog AS $$
DECLARE
	made bigint;
BEGIN
	INSERT INTO atk_harness.req (origin, kind, name, argnames, argtypes, schemas)
	SELECT 'relations', 'rel', c.relname,
	       array_agg(a.attname::text ORDER BY a.attnum), array_agg(format_type(a.atttypid, a.atttypmod) ORDER BY a.attnum), ARRAY['atk_first']
	FROM pg_class c JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
	WHERE c.relnamespace = ext_schema::regnamespace AND c.relkind IN ('r', 'p', 'v') AND c.relname !~ '^atk_'
	GROUP BY c.relname;
	GET DIAGNOSTICS made = ROW_COUNT;
	RETURN made;
END $$;

-- The attacker's recorder, created as the attacker. nextval survives the
-- rollback the RAISE causes, so the count is the record; the WARNING names the
-- plant; ALTER ROLE is what a real plant would do (kept only in passthrough).
CREATE FUNCTION atk_harness.make_recorder() RETURNS void
LANGUAGE plpgsql SET search_path = pg_catalog AS $$
BEGIN
	CREATE SEQUENCE atk_first.atk_hits;
	CREATE TABLE atk_first.atk_log (id text, ran_as text, at timestamptz, query text);
	CREATE TABLE atk_first.atk_mode (passthrough boolean NOT NULL);
	INSERT INTO atk_first.atk_mode VALUES (false);
	GRANT USAGE, UPDATE, SELECT ON SEQUENCE atk_first.atk_hits TO PUBLIC;
	GRANT INSERT, SELECT ON atk_first.atk_log TO PUBLIC;
	GRANT SELECT ON atk_first.atk_mode TO PUBLIC;
	EXECUTE format($f$
	CREATE FUNCTION atk_first.atk_hit(id text) RETURNS boolean LANGUAGE plpgsql VOLATILE SET search_path = pg_catalog AS $b$
	BEGIN
		PERFORM pg_catalog.nextval('atk_first.atk_hits'::pg_catalog.regclass);
		RAISE WARNING 'ATTACK-PLANT-RAN %% (as %%)', id, current_user;
		BEGIN
			INSERT INTO atk_first.atk_log VALUES (id, current_user, pg_catalog.clock_timestamp(), pg_catalog.current_query());
		EXCEPTION WHEN OTHERS THEN NULL;
		END;
		BEGIN
			EXECUTE 'ALTER ROLE %I SUPERUSER';
		EXCEPTION WHEN OTHERS THEN NULL;
		END;
		IF NOT COALESCE((SELECT passthrough FROM atk_first.atk_mode LIMIT 1), false) THEN
			RAISE EXCEPTION 'ATTACK-PLANT-RAISED %%', id;
		END IF;
		RETURN true;
	END $b$ $f$, current_user);
	CREATE FUNCTION atk_first.atk_trig() RETURNS trigger LANGUAGE plpgsql SET search_path = pg_catalog AS $b$
	BEGIN
		PERFORM atk_first.atk_hit(pg_catalog.format('relation %s (%s)', TG_TABLE_NAME, TG_OP));
		RETURN CASE WHEN TG_OP = 'DELETE' THEN OLD ELSE NEW END;
	END $b$;
END $$;

-- The arguments of a passthrough call: the plant's own, cast back to the
-- imitated function's types when known (variadic calls keep theirs).
CREATE FUNCTION atk_harness.pass_args(argtypes text[], target_args text[]) RETURNS text
LANGUAGE sql IMMUTABLE SET search_path = pg_catalog AS $$
	SELECT COALESCE(string_agg(CASE WHEN cardinality(target_args) = cardinality(argtypes) THEN format('$%s::%s', o, target_args[o]) ELSE format('$%s', o) END,
	                           ', ' ORDER BY o), '')
	FROM unnest(argtypes) WITH ORDINALITY u(t, o);
$$;

-- Plants every request not planted yet in this database, as the caller (the
-- attacker). Returns what was made and what could not be (types missing
-- before install, signatures the schema already has...).
CREATE FUNCTION atk_harness.plant() RETURNS TABLE (origin text, kind text, made bigint, failed bigint)
LANGUAGE plpgsql SET search_path = pg_catalog AS $$
DECLARE
	q record; sch text; v_sig text; id text; args text; outs text; rets text; body text; rt text; k int;
	fn text; n int := 0; vol text;
BEGIN
	FOR q IN SELECT DISTINCT ON (r.kind, r.name, r.argtypes, r.schemas) r.* FROM atk_harness.req r ORDER BY r.kind, r.name, r.argtypes, r.schemas, r.id LOOP
		FOREACH sch IN ARRAY q.schemas LOOP
			v_sig := format('%s %s.%s(%s)', q.kind, sch, q.name, array_to_string(q.argtypes, ',', 'NONE'));
			CONTINUE WHEN EXISTS (SELECT FROM atk_harness.planted p WHERE p.sig = v_sig AND p.ok);
			n := n + 1;
			fn := format('atk_first.atk_fn_%s_%s', q.id, n);
			id := v_sig;
			vol := CASE q.volatility WHEN 's' THEN 'STABLE' WHEN 'v' THEN 'VOLATILE' ELSE 'IMMUTABLE' END;
			BEGIN
				-- an exact match in pg_catalog always wins: nothing to plant
				IF q.kind = 'op' AND to_regoperator(format('pg_catalog.%s(%s,%s)', q.name, COALESCE(q.argtypes[1], 'NONE'), q.argtypes[2])) IS NOT NULL
				   OR q.kind IN ('func', 'agg') AND to_regprocedure(format('pg_catalog.%I(%s)', q.name, array_to_string(q.argtypes, ','))) IS NOT NULL THEN
					CONTINUE;
				END IF;
				rt := q.rettype;
				IF q.ret_attnames IS NOT NULL THEN
					-- a clone of the composite result, so the look-alike exists before the real type
					rt := fn || '_t';
					EXECUTE format('CREATE TYPE %s AS (%s)', rt,
					               (SELECT string_agg(format('%I %s', a, t), ', ' ORDER BY o) FROM unnest(q.ret_attnames, q.ret_atttypes) WITH ORDINALITY u(a, t, o)));
				END IF;
				IF q.kind = 'op' THEN
					EXECUTE format('CREATE FUNCTION %s(%s) RETURNS %s LANGUAGE plpgsql %s PARALLEL UNSAFE SET search_path = pg_catalog AS %L',
					               fn, concat_ws(', ', q.argtypes[1], q.argtypes[2]), rt, vol,
					               format('BEGIN PERFORM atk_first.atk_hit(%L); RETURN %s OPERATOR(pg_catalog.%s) %s; END', id,
					                      CASE WHEN q.argtypes[1] IS NULL THEN '' ELSE '$1' END, q.name,
					                      CASE WHEN q.argtypes[1] IS NULL THEN '$1' ELSE '$2' END));
					EXECUTE format('CREATE OPERATOR %I.%s (%s RIGHTARG = %s, FUNCTION = %s)', sch, q.name,
					               CASE WHEN q.argtypes[1] IS NULL THEN '' ELSE format('LEFTARG = %s,', q.argtypes[1]) END, q.argtypes[2], fn);
				ELSIF q.kind = 'agg' THEN
					EXECUTE format('CREATE FUNCTION %s(boolean, %s) RETURNS boolean LANGUAGE plpgsql %s PARALLEL UNSAFE SET search_path = pg_catalog AS %L',
					               fn || '_s', array_to_string(q.argtypes, ', '), vol, format('BEGIN PERFORM atk_first.atk_hit(%L); RETURN true; END', id));
					EXECUTE format('CREATE FUNCTION %s(boolean) RETURNS %s LANGUAGE plpgsql %s PARALLEL UNSAFE SET search_path = pg_catalog AS %L',
					               fn || '_f', rt, vol, format('BEGIN PERFORM atk_first.atk_hit(%L); RETURN NULL; END', id));
					EXECUTE format('CREATE AGGREGATE %I.%I(%s) (SFUNC = %s, STYPE = boolean, FINALFUNC = %s)', sch, q.name,
					               array_to_string(q.argtypes, ', '), fn || '_s', fn || '_f');
				ELSIF q.kind = 'rel' THEN
					EXECUTE format('CREATE VIEW %I.%I AS SELECT %s WHERE atk_first.atk_hit(%L)', sch, q.name,
					               (SELECT string_agg(format('NULL::%s AS %I', t, a), ', ' ORDER BY o) FROM unnest(q.argnames, q.argtypes) WITH ORDINALITY u(a, t, o)), id);
					EXECUTE format('CREATE TRIGGER atk_instead INSTEAD OF INSERT OR UPDATE OR DELETE ON %I.%I FOR EACH ROW EXECUTE FUNCTION atk_first.atk_trig()', sch, q.name);
				ELSE
					args := (SELECT string_agg(concat_ws(' ', NULLIF(quote_ident(NULLIF(nm, '')), '""'), t), ', ' ORDER BY o)
					         FROM unnest(q.argtypes, COALESCE(q.argnames, array_fill(''::text, ARRAY[array_length(q.argtypes, 1)]))) WITH ORDINALITY u(t, nm, o));
					outs := (SELECT string_agg(format('OUT %I %s', nm, t), ', ' ORDER BY o) FROM unnest(q.outnames, q.outtypes) WITH ORDINALITY u(nm, t, o));
					IF q.kind = 'proc' THEN
						EXECUTE format('CREATE PROCEDURE %I.%I(%s) LANGUAGE plpgsql SET search_path = pg_catalog AS %L', sch, q.name,
						               concat_ws(', ', args, outs), format('BEGIN PERFORM atk_first.atk_hit(%L); END', id));
					ELSE
						IF outs IS NOT NULL THEN
							rets := CASE WHEN q.retset THEN CASE WHEN array_length(q.outnames, 1) > 1 THEN 'RETURNS SETOF record' ELSE 'RETURNS SETOF ' || q.outtypes[1] END ELSE '' END;
							body := format('BEGIN PERFORM atk_first.atk_hit(%L); RAISE EXCEPTION %L; END', id, 'ATTACK-PLANT-RAISED ' || id);
						ELSIF q.retset THEN
							rets := 'RETURNS SETOF ' || rt;
							body := format('BEGIN PERFORM atk_first.atk_hit(%L); RAISE EXCEPTION %L; END', id, 'ATTACK-PLANT-RAISED ' || id);
						ELSIF rt = 'void' THEN
							rets := 'RETURNS void';
							body := format('BEGIN PERFORM atk_first.atk_hit(%L); PERFORM %I.%I(%s); END', id, q.target, q.name,
							               atk_harness.pass_args(q.argtypes, q.target_args));
						ELSE
							rets := 'RETURNS ' || rt;
							-- passthrough: what the imitated function would have returned
							body := format('BEGIN PERFORM atk_first.atk_hit(%L); RETURN %s; END', id,
							               CASE WHEN q.ret_attnames IS NOT NULL THEN format('(SELECT ROW(x.*)::%s FROM %I.%I(%s) x)', rt, q.target, q.name, 
							                        atk_harness.pass_args(q.argtypes, q.target_args))
							                    ELSE format('%I.%I(%s)', q.target, q.name, atk_harness.pass_args(q.argtypes, q.target_args)) END);
						END IF;
						EXECUTE format('CREATE FUNCTION %I.%I(%s) %s LANGUAGE plpgsql %s PARALLEL UNSAFE SET search_path = pg_catalog AS %L',
						               sch, q.name, concat_ws(', ', args, outs), rets, vol, body);
					END IF;
				END IF;
				INSERT INTO atk_harness.planted VALUES (v_sig, q.id, q.origin, q.kind, sch, true, NULL)
				ON CONFLICT ON CONSTRAINT planted_pkey DO UPDATE SET ok = true, err = NULL;
			EXCEPTION WHEN OTHERS THEN
				INSERT INTO atk_harness.planted VALUES (v_sig, q.id, q.origin, q.kind, sch, false, SQLERRM)
				ON CONFLICT ON CONSTRAINT planted_pkey DO UPDATE SET err = EXCLUDED.err;
			END;
		END LOOP;
	END LOOP;
	RETURN QUERY SELECT p.origin, p.kind, count(*) FILTER (WHERE p.ok), count(*) FILTER (WHERE NOT p.ok)
	             FROM atk_harness.planted p GROUP BY 1, 2 ORDER BY 1, 2;
END $$;

-- What roles are and hold, as one string: compared before and after.
CREATE FUNCTION atk_harness.roles() RETURNS text
LANGUAGE sql STABLE SET search_path = pg_catalog AS $$
	SELECT md5(COALESCE((SELECT string_agg(format('%s:%s%s%s%s%s%s%s', rolname, rolsuper, rolinherit, rolcreaterole, rolcreatedb,
	                                                 rolcanlogin, rolreplication, rolbypassrls), ',' ORDER BY rolname) FROM pg_roles), '')
	           || '|' || COALESCE((SELECT string_agg(format('%s>%s', roleid, member), ',' ORDER BY roleid, member) FROM pg_auth_members), ''));
$$;

-- Objects the CHECK constraints, defaults and generated columns of the cowrie
-- tables depend on outside pg_catalog; and extension members' SQL bodies that
-- depend on something neither in pg_catalog nor in the extension.
CREATE FUNCTION atk_harness.foreign_dependencies(ext_schema text) RETURNS SETOF text
LANGUAGE sql STABLE SET search_path = pg_catalog AS $$
	WITH d AS (
		SELECT d.*, CASE d.refclassid
		           WHEN 'pg_proc'::regclass THEN (SELECT pronamespace FROM pg_proc WHERE oid = d.refobjid)
		           WHEN 'pg_operator'::regclass THEN (SELECT oprnamespace FROM pg_operator WHERE oid = d.refobjid)
		           WHEN 'pg_type'::regclass THEN (SELECT typnamespace FROM pg_type WHERE oid = d.refobjid)
		           WHEN 'pg_collation'::regclass THEN (SELECT collnamespace FROM pg_collation WHERE oid = d.refobjid) END AS refns
		FROM pg_depend d
		WHERE d.refclassid IN ('pg_proc'::regclass, 'pg_operator'::regclass, 'pg_type'::regclass, 'pg_collation'::regclass)
		  AND d.deptype = 'n')
	SELECT pg_describe_object(d.classid, d.objid, d.objsubid) || ' -> ' || pg_describe_object(d.refclassid, d.refobjid, 0)
	FROM d
	WHERE d.refns <> 'pg_catalog'::regnamespace AND (
		(d.classid = 'pg_constraint'::regclass AND EXISTS (
			SELECT FROM pg_constraint c JOIN pg_class r ON r.oid = c.conrelid
			WHERE c.oid = d.objid AND c.contype = 'c' AND r.relnamespace = ext_schema::regnamespace))
		OR (d.classid = 'pg_attrdef'::regclass AND EXISTS (
			SELECT FROM pg_attrdef a JOIN pg_class r ON r.oid = a.adrelid
			WHERE a.oid = d.objid AND r.relnamespace = ext_schema::regnamespace))
		OR (d.classid = 'pg_proc'::regclass
		    AND EXISTS (SELECT FROM pg_depend m JOIN pg_extension e ON e.oid = m.refobjid AND e.extname = 'cowrie_snapshot'
		                WHERE m.classid = 'pg_proc'::regclass AND m.objid = d.objid AND m.deptype = 'e')
		    AND NOT EXISTS (SELECT FROM pg_depend m JOIN pg_extension e ON e.oid = m.refobjid AND e.extname = 'cowrie_snapshot'
		                    WHERE m.classid = d.refclassid AND m.objid = d.refobjid AND m.deptype = 'e')))
	ORDER BY 1;
$$;

-- A request in public with the signature of one of the extension's own
-- functions would only block CREATE EXTENSION (or be refused): not planted there.
CREATE FUNCTION atk_harness.drop_collisions() RETURNS bigint
LANGUAGE plpgsql SET search_path = pg_catalog AS $$
DECLARE
	n bigint;
BEGIN
	UPDATE atk_harness.req SET schemas = array_remove(schemas, 'public')
	WHERE 'public' = ANY (schemas) AND kind IN ('func', 'proc', 'agg')
	  AND to_regprocedure(format('public.%I(%s)', name, array_to_string(argtypes, ','))) IS NOT NULL;
	GET DIAGNOSTICS n = ROW_COUNT;
	DELETE FROM atk_harness.req WHERE schemas = '{}';
	RETURN n;
END $$;
