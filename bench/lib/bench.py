"""The benchmark driver: bench/run.sh starts the cluster and calls this.

Environment: N, RUNS, SCALE_BASE, CLIENT_LOOP_MAX, BENCH_SETTINGS, BENCH_COMMAND,
PGBIN, and the libpq variables (PGHOST, PGPORT, PGUSER) the cluster helper set.

Every side of a benchmark runs RUNS times, interleaved (A, B, C, A, B, C...),
each run on a fresh copy of a template database, after a CHECKPOINT, timed
from the client with time.perf_counter around the statement. Medians are
what the tables and the ratios use.
"""
import datetime
import json
import os
import platform
import re
import statistics
import subprocess
import sys
import threading
import time

import psycopg

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, 'bench', 'peers'))
import client_loop  # noqa: E402
import upstream_loop  # noqa: E402

N = int(os.environ.get('N', '1000000'))
RUNS = int(os.environ.get('RUNS', '3'))
SCALE_BASE = int(os.environ.get('SCALE_BASE', '100000'))
CLIENT_LOOP_MAX = int(os.environ.get('CLIENT_LOOP_MAX', '1000000'))
PGBIN = os.environ.get('PGBIN', '/usr/lib/postgresql/15/bin')
# BENCH=scale: only the migration and the backfill, at N alone (production's size).
SCALE_ONLY = os.environ.get('BENCH', 'all') == 'scale'
SIZES = [N] if N <= SCALE_BASE or SCALE_ONLY else [SCALE_BASE, N]
DOC_BYTES = int(os.environ.get('DOC_BYTES', '0'))   # 0: the fixture's own documents (about 1.5 KB)

MD5_SQL = """SELECT md5(string_agg((session_id, source_ip, snapshot_asn, snapshot_country, snapshot_ip_type,
    enrichment_at)::text, ',' ORDER BY session_id)) FROM session_summaries"""

failures = []
results = {'n': N, 'runs': RUNS, 'sizes': SIZES, 'client_loop_max': CLIENT_LOOP_MAX, 'doc_bytes': DOC_BYTES}


def log(msg):
    print(msg, file=sys.stderr, flush=True)


def connect(db, autocommit=True):
    return psycopg.connect(dbname=db, autocommit=autocommit)


_admin = None


def admin():
    """The connection to the postgres database that creates, copies and drops the others."""
    global _admin
    if _admin is None:
        _admin = connect('postgres')
    return _admin


def one(db_or_conn, query, params=None):
    if isinstance(db_or_conn, str):
        with connect(db_or_conn) as c:
            return c.execute(query, params).fetchone()[0]
    return db_or_conn.execute(query, params).fetchone()[0]


def drop_db(name):
    admin().execute(f'DROP DATABASE IF EXISTS {name} WITH (FORCE)')


def copy_db(name, template):
    drop_db(name)
    # FILE_COPY: copies the files (two checkpoints) instead of WAL-logging every block.
    admin().execute(f'CREATE DATABASE {name} TEMPLATE {template} STRATEGY FILE_COPY')


def psql(db, path, **variables):
    cmd = [os.path.join(PGBIN, 'psql'), '-X', '-q', '-v', 'ON_ERROR_STOP=1', '-d', db, '-f', path]
    for k, v in variables.items():
        cmd += ['-v', f'{k}={v}']
    out = subprocess.run(cmd, capture_output=True, text=True)
    if out.returncode != 0:
        raise RuntimeError(f'psql -f {path} on {db} failed:\n{out.stdout}\n{out.stderr}')
    return out.stdout


def lsn():
    return one(admin(), 'SELECT pg_current_wal_lsn()')


def wal_bytes(a, b):
    return int(one(admin(), 'SELECT pg_wal_lsn_diff(%s, %s)', (b, a)))


def checkpoint():
    admin().execute('CHECKPOINT')


def md5_rows(db):
    return one(db, MD5_SQL)


class MemorySampler:
    """Peak private memory of a backend: RssAnon sampled every 10 ms, and VmHWM
    (peak resident set, which also counts the shared buffers the backend touched)
    read from /proc/<pid>/status after the statement, before disconnecting."""

    def __init__(self, pid):
        self.pid, self.peak_anon, self.stop = pid, 0, threading.Event()
        self.thread = threading.Thread(target=self.run, daemon=True)

    def status(self):
        try:
            with open(f'/proc/{self.pid}/status') as f:
                return {k: int(v.split()[0]) for k, v in (line.split(':', 1) for line in f)
                        if k in ('VmHWM', 'RssAnon')}
        except OSError:
            return {}

    def run(self):
        while not self.stop.is_set():
            self.peak_anon = max(self.peak_anon, self.status().get('RssAnon', 0))
            self.stop.wait(0.01)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.stop.set()
        self.thread.join()
        st = self.status()
        self.peak_anon = max(self.peak_anon, st.get('RssAnon', 0))
        self.hwm = st.get('VmHWM', 0)


def timed_backend(db, statement, setup=()):
    """Runs statement on a fresh connection; returns (seconds, VmHWM kB, peak RssAnon kB)."""
    with connect(db) as c:
        for s in setup:
            c.execute(s)
        pid = one(c, 'SELECT pg_backend_pid()')
        with MemorySampler(pid) as m:
            t0 = time.perf_counter()
            c.execute(statement)
            t = time.perf_counter() - t0
        return t, m.hwm, m.peak_anon


def timed_psql(db, path, **variables):
    t0 = time.perf_counter()
    psql(db, path, **variables)
    return time.perf_counter() - t0


def stats(xs):
    return {'min': min(xs), 'median': statistics.median(xs), 'max': max(xs), 'runs': xs}


# ---------------------------------------------------------------------------
# Fixture
# ---------------------------------------------------------------------------

# BENCH_REUSE_FIXTURE=1: take bench_v15_<N> as it is when the cluster already holds it (a run
# started by hand on a kept cluster directory), and keep it at the end.
REUSE_FIXTURE = os.environ.get('BENCH_REUSE_FIXTURE') == '1'


def make_fixture(size):
    tpl = f'bench_v15_{size}'
    if REUSE_FIXTURE and one(admin(), 'SELECT count(*) FROM pg_database WHERE datname = %s', (tpl,)):
        log(f'== reusing the v15 fixture {tpl}')
        with connect(tpl) as c:
            c.execute('VACUUM ANALYZE')
            info = c.execute("""SELECT count(*), round(avg(octet_length(enrichment::text))),
                pg_total_relation_size('session_summaries'), (SELECT count(*) FROM raw_events)
                FROM session_summaries""").fetchone()
        fx = {'seconds': 0, 'reused': True, 'sessions': info[0], 'avg_doc_bytes': int(info[1]),
              'table_bytes': info[2], 'raw_events': info[3]}
        log(f'   {fx}')
        results.setdefault('fixtures', {})[str(size)] = fx
        return tpl
    drop_db(tpl)
    admin().execute(f'CREATE DATABASE {tpl}')
    log(f'== generating the v15 fixture, {size} sessions (json enrichment)')
    t0 = time.perf_counter()
    psql(tpl, os.path.join(ROOT, 'test/fixtures/cowrie_v15.sql'), n=size, doc_bytes=DOC_BYTES)
    with connect(tpl) as c:
        c.execute('VACUUM ANALYZE')
        info = c.execute("""SELECT count(*), round(avg(octet_length(enrichment::text))),
            pg_total_relation_size('session_summaries'), (SELECT count(*) FROM raw_events)
            FROM session_summaries""").fetchone()
    fx = {'seconds': time.perf_counter() - t0, 'sessions': info[0], 'avg_doc_bytes': int(info[1]),
          'table_bytes': info[2], 'raw_events': info[3]}
    log(f'   {fx}')
    results.setdefault('fixtures', {})[str(size)] = fx
    return tpl


# ---------------------------------------------------------------------------
# 1. Extraction
# ---------------------------------------------------------------------------

EXTRACTION = [
    # (name, table, expression, is_extension, peer)
    ('jsonb_chain', 'ejb', "enrichment->'dshield'->'ip'->>'number'", False, None),
    ('jsonb_ext', 'ejb', 'cowrie_extract_ip(enrichment)', True, 'jsonb_chain'),
    ('json_chain', 'ej', "enrichment->'dshield'->'ip'->>'number'", False, None),
    ('json_ext', 'ej', 'cowrie_extract_ip(enrichment)', True, 'json_chain'),
    ('inet_host', 'ipt', 'host(ip::inet)', False, None),
    ('normalize', 'ipt', 'cowrie_normalize_ip(ip)', True, 'inet_host'),
]


def bench_extraction(tpl):
    db = 'bench_extract'
    copy_db(db, tpl)
    log('== extraction: preparing the json, jsonb and IP text tables')
    with connect(db) as c:
        # 1.0 is the functions only: the 1.1 update would migrate the database.
        c.execute("CREATE EXTENSION cowrie_snapshot VERSION '1.0'")
        # The json -> chain fails (22P05) on documents holding \u0000: every side reads
        # only the documents without one (selected without parsing json).
        c.execute(r"""CREATE TABLE ej AS SELECT session_id, enrichment FROM session_summaries
                      WHERE position('\u0000' in enrichment::text) = 0 OR enrichment IS NULL""")
        c.execute('CREATE TABLE ejb AS SELECT session_id, enrichment::jsonb AS enrichment FROM ej')
        c.execute(r"""CREATE TABLE ipt AS SELECT x AS ip FROM
                      (SELECT enrichment->'dshield'->'ip'->>'number' AS x FROM ej) t
                      WHERE cowrie_normalize_ip(x) IS NOT NULL AND x = btrim(x)""")
        c.execute('VACUUM ANALYZE ej, ejb, ipt')
        info = c.execute("""SELECT (SELECT count(*) FROM session_summaries), (SELECT count(*) FROM ej),
            (SELECT count(*) FROM ipt),
            (SELECT count(*) FROM ipt WHERE host(ip::inet) IS DISTINCT FROM cowrie_normalize_ip(ip)),
            (SELECT count(enrichment->'dshield'->'ip'->>'number') FROM ej),
            (SELECT count(cowrie_extract_ip(enrichment)) FROM ej),
            (SELECT count(*) FROM ej e JOIN ejb b USING (session_id)
             WHERE cowrie_extract_ip(e.enrichment) IS DISTINCT FROM cowrie_extract_ip(b.enrichment))""").fetchone()
        rows = {'ej': info[1], 'ejb': info[1], 'ipt': info[2]}
        results['extraction_info'] = {'sessions': info[0], 'documents_without_nul': info[1], 'ip_texts': info[2],
                                      'normalize_differs_from_host': info[3], 'chain_non_null': info[4],
                                      'ext_non_null': info[5], 'json_jsonb_ext_differ': info[6]}
        log(f"   {results['extraction_info']}")
        if info[3]:
            failures.append(f'cowrie_normalize_ip differs from host(x::inet) on {info[3]} valid IP texts')
        # Per-call cost, one process per side: the extension's functions declare their
        # real COST, which would give them parallel plans the operator chain does not get.
        c.execute('SET max_parallel_workers_per_gather = 0')
        # Warm the cache with one untimed run of each query; a run of a short query repeats
        # it (the same count for both sides of a pair) until it lasts about a second.
        reps = {}
        for name, table, expr, _, peer in EXTRACTION:
            t0 = time.perf_counter()
            c.execute(f'SELECT count({expr}) FROM {table}').fetchone()
            reps[name] = reps[peer] if peer else max(1, min(50, round(1.0 / max(time.perf_counter() - t0, 1e-3))))
        times = {name: [] for name, *_ in EXTRACTION}
        for r in range(RUNS):
            for name, table, expr, _, _ in EXTRACTION:
                q = f'SELECT count({expr}) FROM {table}'
                t0 = time.perf_counter()
                for _ in range(reps[name]):
                    c.execute(q).fetchone()
                times[name].append((time.perf_counter() - t0) / reps[name])
                log(f'   run {r + 1} {name}: {times[name][-1]:.3f} s (mean of {reps[name]})')
    drop_db(db)
    out = {}
    for name, table, expr, ext, peer in EXTRACTION:
        out[name] = dict(stats(times[name]), rows=rows[table], query=f'SELECT count({expr}) FROM {table}',
                         extension=ext, peer=peer, reps=reps[name])
    results['extraction'] = out


# ---------------------------------------------------------------------------
# 2. Lookup
# ---------------------------------------------------------------------------

def bench_lookup(db):
    peer_sql = open(os.path.join(ROOT, 'bench/peers/lookup.sql')).read()
    peer_sql = '\n'.join(line for line in peer_sql.splitlines() if not line.startswith('--'))
    ext_sql = 'SELECT * FROM cowrie_lookup_snapshots(%(ips)s::text[])'
    out = {}
    with connect(db) as c:
        inventory = [r[0] for r in c.execute('SELECT ip_address FROM ip_inventory ORDER BY md5(ip_address)')]
        for k in (1000, 100000):
            ips = inventory[:k]
            hits = len(ips)
            if len(ips) < k:   # pad with public IPs the inventory does not hold
                have = set(inventory)
                i = 0
                while len(ips) < k:
                    ip = f'11.{i // 65536 % 256}.{i // 256 % 256}.{i % 256}'
                    i += 1
                    if ip not in have:
                        ips.append(ip)
            reps = 20 if k <= 1000 else 2
            a = sorted(c.execute(peer_sql, {'ips': ips}).fetchall())
            b = sorted(c.execute(ext_sql, {'ips': ips}).fetchall())
            if a != b:
                diff = [x for x in a if x not in set(b)][:3] + [x for x in b if x not in set(a)][:3]
                failures.append(f'lookup of {k} IPs: the SQL peer and cowrie_lookup_snapshots differ, e.g. {diff}')
            times = {'sql': [], 'ext': []}
            for r in range(RUNS):
                for side, q in (('sql', peer_sql), ('ext', ext_sql)):
                    t0 = time.perf_counter()
                    for _ in range(reps):
                        c.execute(q, {'ips': ips}).fetchall()
                    times[side].append((time.perf_counter() - t0) / reps)
                log(f"   lookup {k}: run {r + 1} sql {times['sql'][-1]:.4f} s, ext {times['ext'][-1]:.4f} s")
            out[str(k)] = {'ips': k, 'in_inventory': hits, 'rows': len(b), 'reps': reps,
                           'sql': stats(times['sql']), 'ext': stats(times['ext'])}
    results['lookup'] = out


# ---------------------------------------------------------------------------
# 2b. Lookup memory
# ---------------------------------------------------------------------------

LOOKUP_MEMORY_IPS = int(os.environ.get('LOOKUP_MEMORY_IPS', '1000000'))
LOOKUP_BASELINE = os.environ.get('LOOKUP_BASELINE', '')   # the commit bench/run.sh built the baseline from
# Public addresses the fixture never generates (11.0.0.0/8 and 2a0b::/16).
LOOKUP_PAD_SQL = """SELECT CASE WHEN g %% 10 = 9 THEN format('2a0b:%%s:%%s::1', to_hex(g / 65536), to_hex(g %% 65536))
                               ELSE format('11.%%s.%%s.%%s', g / 65536 %% 256, g / 256 %% 256, g %% 256) END
                    FROM generate_series(0, %s - 1) g"""


def rss_parts(pid):
    try:
        with open(f'/proc/{pid}/status') as f:
            return {k: int(v.split()[0]) for k, v in (line.split(':', 1) for line in f)
                    if k in ('RssFile', 'RssShmem')}
    except OSError:
        return {}


def cpu_seconds(pid):
    """User plus system CPU time of a process so far (/proc/<pid>/stat, clock ticks)."""
    with open(f'/proc/{pid}/stat') as f:
        fields = f.read().rsplit(')', 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf('SC_CLK_TCK')


def timed_query(db, query, params):
    """Runs query on a fresh connection and fetches every row; returns the times, memory and rows.
    Peak private memory: the larger of the sampled RssAnon and VmHWM less the file and shared
    pages resident at the end (those only grow during a statement, so this misses no short peak)."""
    with connect(db) as c:
        pid = one(c, 'SELECT pg_backend_pid()')
        with MemorySampler(pid) as m:
            start = m.status().get('RssAnon', 0)
            cpu0 = cpu_seconds(pid)
            t0 = time.perf_counter()
            rows = c.execute(query, params).fetchall()
            t = time.perf_counter() - t0
            cpu = cpu_seconds(pid) - cpu0
        parts = rss_parts(pid)
        peak = max(m.peak_anon, m.hwm - parts.get('RssFile', 0) - parts.get('RssShmem', 0))
        return {'seconds': t, 'cpu': cpu, 'hwm_kb': m.hwm, 'anon_kb': peak, 'start_kb': start, 'rows': rows}


def bench_lookup_memory(db, k=LOOKUP_MEMORY_IPS):
    """Backend memory of cowrie_lookup_snapshots on k distinct IPs, beside the cost of
    building the same array alone (cardinality of the parameter), each run on a fresh
    connection. Twice: with the fixture's inventory (few hits), then with every IP of
    the array in ip_inventory (a result of k rows, past work_mem)."""
    peer_sql = open(os.path.join(ROOT, 'bench/peers/lookup.sql')).read()
    peer_sql = '\n'.join(line for line in peer_sql.splitlines() if not line.startswith('--'))
    # count(*): the server's work, not the client's parsing of up to k rows
    sides = {'array': 'SELECT cardinality(%(ips)s::text[])',
             'lookup': 'SELECT count(*) FROM cowrie_lookup_snapshots(%(ips)s::text[])'}
    if LOOKUP_BASELINE:   # built by bench/run.sh as its own library
        sides['baseline'] = 'SELECT count(*) FROM bench_lookup_baseline(%(ips)s::text[])'
        with connect(db) as c:
            c.execute("""CREATE FUNCTION bench_lookup_baseline(text[]) RETURNS TABLE (ip_address text,
                snapshot_asn integer, snapshot_country varchar(2), snapshot_ip_type text, enrichment_at timestamptz)
                AS '$libdir/cowrie_lookup_baseline', 'cowrie_lookup_snapshots' LANGUAGE C STABLE STRICT""")
    with connect(db) as c:
        inventory = [r[0] for r in c.execute('SELECT ip_address FROM ip_inventory ORDER BY md5(ip_address)')][:k]
        pad = [r[0] for r in c.execute(LOOKUP_PAD_SQL % (k - len(inventory)))]
        work_mem = one(c, 'SHOW work_mem')
    ips = inventory + pad
    if len(set(ips)) != k:
        raise RuntimeError(f'lookup memory: {len(set(ips))} distinct IPs, not {k}')
    out = {'ips': k, 'work_mem': work_mem, 'baseline': LOOKUP_BASELINE, 'phases': {}}
    for phase in ('fixture', 'all'):
        if phase == 'all':   # every padding IP gets an inventory row: k rows come back
            with connect(db) as c:
                # ASNs the fixture's asn_inventory holds (the foreign key)
                c.execute("""WITH a AS (SELECT array_agg(DISTINCT current_asn) AS asns FROM ip_inventory WHERE current_asn > 0)
                             INSERT INTO ip_inventory (ip_address, current_asn, first_seen, last_seen, enrichment,
                                 enrichment_updated_at, ip_types)
                             SELECT ip, a.asns[1 + i %% cardinality(a.asns)], now(), now(),
                                    jsonb_build_object('maxmind', jsonb_build_object('country', 'DE')), now(),
                                    CASE WHEN i %% 3 = 0 THEN ARRAY['DATACENTER'] END
                             FROM unnest(%(pad)s::text[]) WITH ORDINALITY u(ip, i), a""", {'pad': pad})
                c.execute('VACUUM ANALYZE ip_inventory')
        hits = one(db, 'SELECT count(*) FROM ip_inventory WHERE ip_address = ANY(%(ips)s)', {'ips': ips})
        with connect(db) as c:   # untimed: the rows equal the SQL peer's
            a = sorted(c.execute(peer_sql, {'ips': ips}).fetchall())
            b = sorted(c.execute('SELECT * FROM cowrie_lookup_snapshots(%(ips)s::text[])', {'ips': ips}).fetchall())
        if a != b:
            failures.append(f'lookup memory ({phase}): cowrie_lookup_snapshots and the SQL peer differ '
                            f'({len(b)} vs {len(a)} rows)')
        if LOOKUP_BASELINE:
            # its own connection: both libraries define the same setting, so never load them together
            with connect(db) as c:
                if sorted(c.execute('SELECT * FROM bench_lookup_baseline(%(ips)s::text[])', {'ips': ips}).fetchall()) != a:
                    failures.append(f'lookup memory ({phase}): the baseline {LOOKUP_BASELINE} and the SQL peer differ')
        data = {s: [] for s in sides}
        for r in range(RUNS):
            for side, q in sides.items():
                res = timed_query(db, q, {'ips': ips})
                res['rows'] = 1 if side == 'array' else res['rows'][0][0]
                data[side].append(res)
                log(f"   lookup memory {phase} run {r + 1} {side}: {res['seconds']:.2f} s (backend CPU {res['cpu']:.2f} s), "
                    f"peak RssAnon {res['anon_kb'] // 1024} MB (start {res['start_kb'] // 1024} MB), "
                    f"VmHWM {res['hwm_kb'] // 1024} MB, {res['rows']} rows")
        ph = {'in_inventory': hits}
        for side in sides:
            d = data[side]
            ph[side] = dict(stats([x['seconds'] for x in d]), rows=d[0]['rows'], cpu=stats([x['cpu'] for x in d]),
                            anon_kb=statistics.median(x['anon_kb'] for x in d),
                            start_kb=statistics.median(x['start_kb'] for x in d),
                            hwm_kb=statistics.median(x['hwm_kb'] for x in d),
                            anon_runs=[x['anon_kb'] for x in d], hwm_runs=[x['hwm_kb'] for x in d])
        out['phases'][phase] = ph
    results['lookup_memory'] = out


def lookup_memory_markdown(lm):
    L = []
    w = L.append
    w(f"### Lookup memory ({lm['ips']:,} distinct IPs)\n")
    w('`SELECT count(*) FROM cowrie_lookup_snapshots($1::text[])` against `SELECT cardinality($1::text[])` (the cost of '
      'building the same array alone), the array sent as one text-format parameter, each run on a fresh '
      'connection, the sides interleaved. Peak private memory of the backend: the larger of RssAnon sampled every '
      '10 ms and VmHWM less the file and shared pages resident at the end; VmHWM itself also counts the shared '
      f"buffers it touched. work_mem {lm['work_mem']}. Twice: with the fixture's "
      'inventory, then with every IP of the array in `ip_inventory` (a result past work_mem). The rows equal '
      'the SQL peer\'s (checked once, untimed). Times from the client, including sending the array; backend CPU: '
      'user + system time of the backend during the statement (/proc/<pid>/stat), which the other workers on '
      'the machine hardly move.\n')
    if lm.get('baseline'):
        w(f"Baseline: `cowrie_lookup_snapshots` as built from commit {lm['baseline']}, installed beside the current "
          "build as its own library (`LOOKUP_BASELINE=`) and run in the same interleaved rounds.\n")
    w('| inventory | side | median s | min | max | backend CPU s (median, min, max) | rows | peak private MB | above the array alone MB | VmHWM MB |')
    w('|---|---|---|---|---|---|---|---|---|---|')
    labels = (('array', 'array alone'), ('baseline', f"`cowrie_lookup_snapshots` at {lm.get('baseline')} (baseline)"),
              ('lookup', '`cowrie_lookup_snapshots`'))
    for phase, label in (('fixture', 'fixture'), ('all', 'every IP')):
        ph = lm['phases'].get(phase)
        if not ph:
            continue
        for side, slabel in labels:
            if side not in ph:
                continue
            d = ph[side]
            above = '(base)' if side == 'array' else f"{(d['anon_kb'] - ph['array']['anon_kb']) / 1024:+.0f}"
            cpu = d.get('cpu')
            cpu = f"{fmt_s(cpu['median'])} ({fmt_s(cpu['min'])}-{fmt_s(cpu['max'])})" if cpu else '-'
            w(f"| {label} ({ph['in_inventory']:,} of the IPs) | {slabel} | {row_runs(d)} | {cpu} | {d['rows']:,} | "
              f"{fmt_mb(d['anon_kb'])} | {above} | {fmt_mb(d['hwm_kb'])} |")
    w('')
    return '\n'.join(L)


# ---------------------------------------------------------------------------
# 3. Migration
# ---------------------------------------------------------------------------

def bench_migration(size, tpl, keep_for_lookup):
    db = f'bench_mig_{size}'
    sides = ['peer', 'default', 'deferred']
    data = {s: {'seconds': [], 'wal': [], 'hwm': [], 'anon': [], 'v16': [], 'backfill': []} for s in sides}
    kept = None
    for r in range(RUNS):
        for side in sides:
            copy_db(db, tpl)
            checkpoint()
            a = lsn()
            if side == 'peer':
                t1 = timed_psql(db, os.path.join(ROOT, 'test/fixtures/upstream_v16.sql'))
                t2 = timed_psql(db, os.path.join(ROOT, 'bench/upstream/backfill_setbased.sql'))
                data[side]['v16'].append(t1)
                data[side]['backfill'].append(t2)
                t = t1 + t2
            else:
                setup = ['SET cowrie_snapshot.defer_session_backfill = on'] if side == 'deferred' else []
                t, hwm, anon = timed_backend(db, 'CREATE EXTENSION cowrie_snapshot', setup)
                data[side]['hwm'].append(hwm)
                data[side]['anon'].append(anon)
            data[side]['seconds'].append(t)
            data[side]['wal'].append(wal_bytes(a, lsn()))
            extra = f" (v16 {data[side]['v16'][-1]:.2f} s + backfill {data[side]['backfill'][-1]:.2f} s)" \
                if side == 'peer' else f" (VmHWM {data[side]['hwm'][-1] // 1024} MB)"
            log(f'   migration {size} run {r + 1} {side}: {t:.2f} s{extra}, WAL {data[side]["wal"][-1] / 2**20:.0f} MB')
            if side == 'default':
                data[side].setdefault('md5', set()).add(md5_rows(db))
                if keep_for_lookup and r == RUNS - 1:
                    kept = f'bench_lookup_{size}'
                    drop_db(kept)
                    admin().execute(f'ALTER DATABASE {db} RENAME TO {kept}')
                    continue
            drop_db(db)
    out = {}
    for side in sides:
        d = data[side]
        out[side] = dict(stats(d['seconds']), rows=size, wal_bytes=statistics.median(d['wal']))
        if side == 'peer':
            out[side]['v16'] = stats(d['v16'])
            out[side]['backfill'] = stats(d['backfill'])
        else:
            out[side]['hwm_kb'] = max(d['hwm'])
            out[side]['anon_kb'] = max(d['anon'])
    if len(data['default'].get('md5', ())) > 1:
        failures.append(f'migration {size}: default mode gave different rows in different runs')
    out['default']['md5'] = sorted(data['default'].get('md5', {''}))[0]
    results.setdefault('migration', {})[str(size)] = out
    return kept


# ---------------------------------------------------------------------------
# 4. Backfill
# ---------------------------------------------------------------------------

def run_client_loop(db):
    with connect(db, autocommit=False) as c:
        t0 = time.perf_counter()
        client_loop.backfill(c, 1000)
        return time.perf_counter() - t0


def run_upstream_loop(db):
    engine = upstream_loop.engine_for(db)
    try:
        t0 = time.perf_counter()
        upstream_loop.backfill(engine, 1000)
        return time.perf_counter() - t0
    finally:
        engine.dispose()


def bench_backfill(size, tpl):
    btpl = f'bench_bf_tpl_{size}'
    copy_db(btpl, tpl)
    with connect(btpl) as c:
        c.execute('SET cowrie_snapshot.defer_session_backfill = on')
        c.execute('CREATE EXTENSION cowrie_snapshot')
        c.execute('VACUUM ANALYZE')
        eligible = one(c, 'SELECT count(*) FROM session_summaries WHERE snapshot_country IS NULL')
    sides = ['ext_fn', 'ext_commit', 'peer_set', 'peer_proc']
    if size <= CLIENT_LOOP_MAX:
        sides += ['peer_client', 'peer_upstream']
    db = f'bench_bf_{size}'
    data = {s: {'seconds': [], 'wal': [], 'hwm': [], 'anon': [], 'md5': set()} for s in sides}
    for r in range(RUNS):
        for side in sides:
            copy_db(db, btpl)
            if side == 'peer_proc':
                psql(db, os.path.join(ROOT, 'bench/peers/backfill_procedure.sql'))
            checkpoint()
            a = lsn()
            if side == 'ext_fn':
                t, hwm, anon = timed_backend(db, 'SELECT cowrie_backfill(1000)')
            elif side == 'ext_commit':
                t, hwm, anon = timed_backend(db, 'CALL cowrie_backfill_commit(1000)')
            elif side == 'peer_set':
                t, hwm, anon = timed_psql(db, os.path.join(ROOT, 'bench/peers/backfill_setbased.sql')), 0, 0
            elif side == 'peer_proc':
                t, hwm, anon = timed_backend(db, 'CALL peer_backfill_keyset(1000)')
            elif side == 'peer_client':
                t, hwm, anon = run_client_loop(db), 0, 0
            else:
                t, hwm, anon = run_upstream_loop(db), 0, 0
            data[side]['seconds'].append(t)
            data[side]['wal'].append(wal_bytes(a, lsn()))
            data[side]['hwm'].append(hwm)
            data[side]['anon'].append(anon)
            data[side]['md5'].add(md5_rows(db))
            left = one(db, 'SELECT count(*) FROM session_summaries WHERE snapshot_country IS NULL')
            if left:
                failures.append(f'backfill {size} {side}: {left} sessions left with snapshot_country NULL')
            log(f'   backfill {size} run {r + 1} {side}: {t:.2f} s, WAL {data[side]["wal"][-1] / 2**20:.0f} MB'
                + (f', VmHWM {hwm // 1024} MB, peak RssAnon {anon // 1024} MB' if hwm else ''))
            drop_db(db)
    drop_db(btpl)
    reference = sorted(data['ext_fn']['md5'])[0]
    mig = results.get('migration', {}).get(str(size), {}).get('default', {}).get('md5')
    out = {'eligible': eligible, 'md5': reference, 'default_mode_md5_equal': mig == reference if mig else None}
    if mig and mig != reference:
        failures.append(f'backfill {size}: deferred mode + cowrie_backfill ({reference}) differs from default mode ({mig})')
    for side in sides:
        d = data[side]
        if d['md5'] != {reference}:
            failures.append(f'backfill {size}: {side} produced different final rows than cowrie_backfill(1000): '
                            f'{sorted(d["md5"])} != {reference}')
        out[side] = dict(stats(d['seconds']), rows=eligible, wal_bytes=statistics.median(d['wal']),
                         hwm_kb=max(d['hwm']), anon_kb=max(d['anon']), same_rows=d['md5'] == {reference})
    results.setdefault('backfill', {})[str(size)] = out


def timed_peers(db):
    """The set-based backfill, then the set-based completion, one transaction each; seconds."""
    return (timed_psql(db, os.path.join(ROOT, 'bench/peers/backfill_setbased.sql'))
            + timed_psql(db, os.path.join(ROOT, 'bench/peers/completion_setbased.sql')))


def deferred_repair(db):
    """A deferred-mode CREATE EXTENSION on db (the repair, sessions left to the backfill), vacuumed;
    returns the sessions with a NULL snapshot column."""
    with connect(db) as c:
        c.execute('SET cowrie_snapshot.defer_session_backfill = on')
        c.execute('CREATE EXTENSION cowrie_snapshot')
        c.execute('VACUUM ANALYZE')
        return one(c, """SELECT count(*) FROM session_summaries
                         WHERE snapshot_country IS NULL OR snapshot_ip_type IS NULL OR snapshot_asn IS NULL""")


def bench_backfill_v16(size, tpl):
    """The backfill on upstream's v16 state: upstream's v16 SQL (snapshots from each session's own
    document, no types), then a deferred-mode CREATE EXTENSION (repair), then cowrie_backfill(1000),
    which completes the types and ASNs, beside the set-based peers one after the other (backfill, then
    completion); the same rows required."""
    btpl = f'bench_bf16_tpl_{size}'
    copy_db(btpl, tpl)
    psql(btpl, os.path.join(ROOT, 'test/fixtures/upstream_v16.sql'))
    eligible = deferred_repair(btpl)
    sides = ['ext_fn', 'ext_commit', 'peers']
    db = f'bench_bf16_{size}'
    data = {s: {'seconds': [], 'wal': [], 'md5': set()} for s in sides}
    for r in range(RUNS):
        for side in sides:
            copy_db(db, btpl)
            checkpoint()
            a = lsn()
            if side == 'peers':
                t = timed_peers(db)
            else:
                t = timed_backend(db, 'SELECT cowrie_backfill(1000)' if side == 'ext_fn' else 'CALL cowrie_backfill_commit(1000)')[0]
            data[side]['seconds'].append(t)
            data[side]['wal'].append(wal_bytes(a, lsn()))
            data[side]['md5'].add(md5_rows(db))
            log(f'   backfill on v16 {size} run {r + 1} {side}: {t:.2f} s, WAL {data[side]["wal"][-1] / 2**20:.0f} MB')
            drop_db(db)
    drop_db(btpl)
    reference = data['ext_fn']['md5']
    out = {'sessions_with_a_null': eligible}
    for side in sides:
        if data[side]['md5'] != reference or len(reference) != 1:
            failures.append(f'backfill on v16 {size}: {side} ended with other rows than cowrie_backfill(1000)')
        out[side] = dict(stats(data[side]['seconds']), wal_bytes=statistics.median(data[side]['wal']))
    results.setdefault('backfill_v16', {})[str(size)] = out


def bench_road(size, tpl):
    """Production's road: test/fixtures/production_road.sql (upstream e980629's v16 on production's
    documents, issue 15) at N sessions. Default-mode CREATE EXTENSION (the repair writes every session
    it can fill, inside its locks) against a deferred-mode one followed by cowrie_backfill(1000) or
    CALL cowrie_backfill_commit(1000), against the same deferred repair followed by the set-based
    peers (backfill, then completion). Every side must end with the same rows."""
    road_tpl, repaired_tpl = f'bench_road_tpl_{size}', f'bench_road_rep_{size}'
    copy_db(road_tpl, tpl)
    t0 = time.perf_counter()
    psql(road_tpl, os.path.join(ROOT, 'test/fixtures/production_road.sql'), version=16)
    with connect(road_tpl) as c:
        c.execute('VACUUM ANALYZE')
        state = c.execute("""SELECT count(*), count(source_ip), count(snapshot_country), count(snapshot_asn),
                                    (SELECT count(*) FROM ip_inventory) FROM session_summaries""").fetchone()
    fixture = {'seconds': time.perf_counter() - t0, 'sessions': state[0], 'source_ip': state[1],
               'snapshot_country': state[2], 'snapshot_asn': state[3], 'ip_inventory': state[4]}
    log(f'   production\'s road at v16: {fixture}')
    copy_db(repaired_tpl, road_tpl)
    pending = deferred_repair(repaired_tpl)
    sides = ['default', 'deferred', 'ext_fn', 'ext_commit', 'peers']
    db = f'bench_road_{size}'
    data = {s: {'seconds': [], 'blocked': [], 'wal': [], 'md5': set()} for s in sides}
    for r in range(RUNS):
        for side in sides:
            copy_db(db, road_tpl if side in ('default', 'deferred') else repaired_tpl)
            checkpoint()
            a = lsn()
            if side == 'default':
                t = blocked = timed_backend(db, 'CREATE EXTENSION cowrie_snapshot')[0]
            elif side == 'deferred':
                blocked = timed_backend(db, 'CREATE EXTENSION cowrie_snapshot',
                                        ['SET cowrie_snapshot.defer_session_backfill = on'])[0]
                t = blocked + timed_backend(db, 'SELECT cowrie_backfill(1000)')[0]
            elif side == 'peers':
                # one transaction each: the loader is blocked for both
                t = blocked = timed_peers(db)
            else:
                t = timed_backend(db, 'SELECT cowrie_backfill(1000)' if side == 'ext_fn'
                                  else 'CALL cowrie_backfill_commit(1000)')[0]
                blocked = None   # batches: rows are locked one batch at a time
            data[side]['seconds'].append(t)
            data[side]['blocked'].append(blocked)
            data[side]['wal'].append(wal_bytes(a, lsn()))
            data[side]['md5'].add(md5_rows(db))
            log(f'   production\'s road {size} run {r + 1} {side}: {t:.2f} s, WAL {data[side]["wal"][-1] / 2**20:.0f} MB')
            drop_db(db)
    drop_db(repaired_tpl)
    drop_db(road_tpl)
    reference = data['ext_fn']['md5']
    out = {'fixture': fixture, 'pending_after_repair': pending}
    for side in sides:
        if data[side]['md5'] != reference or len(reference) != 1:
            failures.append(f"production's road {size}: {side} ended with other rows than cowrie_backfill(1000)")
        blocked = [b for b in data[side]['blocked'] if b is not None]
        out[side] = dict(stats(data[side]['seconds']), wal_bytes=statistics.median(data[side]['wal']),
                         blocked=statistics.median(blocked) if blocked else None)
    results.setdefault('road', {})[str(size)] = out


# ---------------------------------------------------------------------------
# 4b. Writing every session once: an UPDATE of every row or a table rewrite
# ---------------------------------------------------------------------------

# The five columns the migration adds, and values of their sizes computed from
# each row (the same on both sides: only the write differs).
WRITE_ONCE_ADD = """ALTER TABLE session_summaries ADD COLUMN source_ip varchar(45), ADD COLUMN enrichment_at timestamptz,
    ADD COLUMN snapshot_asn integer, ADD COLUMN snapshot_country varchar(2), ADD COLUMN snapshot_ip_type text"""
WRITE_ONCE_VALUES = {
    'source_ip': "('203.0.' || (event_count % 256) || '.' || (risk_score % 256))::varchar(45)",
    'enrichment_at': 'created_at',
    'snapshot_asn': 'event_count + 13335',
    'snapshot_country': "(CASE WHEN event_count % 2 = 0 THEN 'US' ELSE 'CN' END)::varchar(2)",
    'snapshot_ip_type': "CASE WHEN risk_score % 3 = 0 THEN 'RESIDENTIAL' ELSE 'DATACENTER' END",
}
WRITE_ONCE_SIDES = {
    'update': WRITE_ONCE_ADD + '; UPDATE session_summaries SET '
              + ', '.join(f'{col} = {expr}' for col, expr in WRITE_ONCE_VALUES.items()),
    'rewrite': WRITE_ONCE_ADD + '; ALTER TABLE session_summaries '
               + ', '.join(f"ALTER COLUMN {col} TYPE {typ} USING {WRITE_ONCE_VALUES[col]}" for col, typ in
                           (('source_ip', 'varchar(45)'), ('enrichment_at', 'timestamptz'), ('snapshot_asn', 'integer'),
                            ('snapshot_country', 'varchar(2)'), ('snapshot_ip_type', 'text'))),
}


def bench_write_once(tpl):
    """What the default-mode migration's write costs, by mechanism: the five new columns filled by an
    UPDATE of every row (what the migration does) or by one table rewrite (ALTER COLUMN ... TYPE ...
    USING, which also copies every TOASTed document and rebuilds every index), each as one
    transaction on a fresh copy. Time, WAL, the table's size after (with TOAST and indexes) and the
    most disk the statement held beside the table it started from; the same rows required."""
    db = 'bench_write_once'
    sides = list(WRITE_ONCE_SIDES)
    data = {s: {'seconds': [], 'wal': [], 'after': [], 'held': [], 'md5': set()} for s in sides}
    with connect(tpl) as c:
        before, toast = c.execute("""SELECT pg_total_relation_size('session_summaries'),
            pg_relation_size(reltoastrelid) FROM pg_class WHERE oid = 'session_summaries'::regclass""").fetchone()
    for r in range(RUNS):
        for side in sides:
            copy_db(db, tpl)
            checkpoint()
            a = lsn()
            t = timed_backend(db, WRITE_ONCE_SIDES[side])[0]
            data[side]['seconds'].append(t)
            data[side]['wal'].append(wal_bytes(a, lsn()))
            with connect(db) as c:
                after = one(c, "SELECT pg_total_relation_size('session_summaries')")
                data[side]['md5'].add(one(c, """SELECT md5(string_agg((session_id, source_ip, enrichment_at, snapshot_asn,
                    snapshot_country, snapshot_ip_type)::text, ',' ORDER BY session_id)) FROM session_summaries"""))
            data[side]['after'].append(after)
            # The rewrite's new copy stands beside the old files until its commit.
            data[side]['held'].append(after if side == 'rewrite' else after - before)
            log(f'   write once run {r + 1} {side}: {t:.2f} s, WAL {data[side]["wal"][-1] / 2**20:.0f} MB')
            drop_db(db)
    if data['update']['md5'] != data['rewrite']['md5'] or len(data['update']['md5']) != 1:
        failures.append('write once: the rewrite ended with other rows than the UPDATE')
    out = {'table_bytes': before, 'toast_bytes': toast}
    for side in sides:
        out[side] = dict(stats(data[side]['seconds']), wal_bytes=statistics.median(data[side]['wal']),
                         after_bytes=statistics.median(data[side]['after']), held_bytes=statistics.median(data[side]['held']))
    results['write_once'] = out


def write_once_markdown(wo):
    L = [f"The v15 fixture's `session_summaries` ({wo['table_bytes'] / 2**20:,.0f} MB with TOAST and indexes, of which "
         f"TOAST {wo['toast_bytes'] / 2**20:,.0f} MB), five new columns filled with the same values by each side, one "
         "transaction each. `held`: disk the statement held beside the table it started from (an UPDATE's new row "
         "versions; a rewrite's whole new copy, TOAST and indexes included, until its commit).", '',
         '| side | median s | min | max | ratio to the UPDATE | WAL MB | table after MB | held MB |',
         '|---|---|---|---|---|---|---|---|']
    for side, label in (('update', 'UPDATE of every row (the migration today)'),
                        ('rewrite', 'table rewrite (`ALTER COLUMN ... TYPE ... USING`)')):
        d = wo[side]
        L.append(f"| {label} | {row_runs(d)} | {ratio(d['median'], wo['update']['median']):.2f}x | "
                 f"{d['wal_bytes'] / 2**20:,.0f} | {d['after_bytes'] / 2**20:,.0f} | {d['held_bytes'] / 2**20:,.0f} |")
    return '\n'.join(L + [''])


# ---------------------------------------------------------------------------
# 5. Scheduled runs: the backfill on a database that is already complete
# ---------------------------------------------------------------------------

SCHEDULED_PENDING = 1000
# What a scheduled run finds: nothing, sessions the loader left without a
# country (the walk), sessions whose IP got a type later (the completion).
SCHEDULED_CASES = {
    'nothing': None,
    'walk': f"""UPDATE session_summaries SET snapshot_country = NULL, snapshot_asn = NULL, snapshot_ip_type = NULL,
                enrichment_at = NULL WHERE ctid = ANY (ARRAY(SELECT ctid FROM session_summaries
                WHERE snapshot_country IS NOT NULL ORDER BY md5(session_id) LIMIT {SCHEDULED_PENDING}))""",
    # The IPs of those sessions queued, as the inventory trigger queues them when the enricher
    # gives an IP a type (the completion takes only queued IPs and pending sessions).
    'completion': f"""WITH u AS (UPDATE session_summaries SET snapshot_ip_type = NULL WHERE ctid = ANY (ARRAY(
                SELECT ctid FROM session_summaries WHERE snapshot_ip_type IS NOT NULL
                ORDER BY md5(session_id) LIMIT {SCHEDULED_PENDING})) RETURNING source_ip)
                INSERT INTO cowrie_inventory_queue (ip) SELECT DISTINCT source_ip FROM u WHERE source_ip IS NOT NULL
                ON CONFLICT DO NOTHING""",
}
# The completion phase alone: a dry run of one batch of the queue step over every heap.
COMPLETION_ALONE_SQL = "SELECT * FROM cowrie_backfill_queue_step(cowrie_session_heaps(), '', 1000, true)"


def bench_scheduled(tpl):
    """A scheduled cowrie_backfill(1000) / CALL cowrie_backfill_commit(1000) on a complete default-mode
    database, beside the set-based peers run one after the other (bench/peers/backfill_setbased.sql for
    sessions without a country, then bench/peers/completion_setbased.sql), and the completion phase
    alone. Each case on a fresh copy, vacuumed after the case's UPDATE; every side must end with the
    rows of the function."""
    mtpl = 'bench_sched_tpl'
    copy_db(mtpl, tpl)
    # The complete database: SCHEDULED_TEMPLATE=deferred (the default) makes it with a deferred-mode
    # migration and one CALL cowrie_backfill_commit(1000) (both modes end with the same rows). A
    # default-mode migration on this branch (heaps, 3e9efe1) rescans pg_temp.cowrie_migrate_facts for
    # every session in phase 4 (its index, built after an UPDATE of the table in the same transaction,
    # is unusable there: pg_index.indcheckxmin), which at 1.68M does not end; SCHEDULED_TEMPLATE=default
    # takes that road, and times the first scheduled run after it (the migration leaves every
    # inventory IP queued).
    how = os.environ.get('SCHEDULED_TEMPLATE', 'deferred')
    with connect(mtpl) as c:
        if how == 'deferred':
            c.execute('SET cowrie_snapshot.defer_session_backfill = on')
        t0 = time.perf_counter()
        c.execute('CREATE EXTENSION cowrie_snapshot')
        migration = time.perf_counter() - t0
        c.execute('VACUUM ANALYZE')
        inventory = one(c, 'SELECT count(*) FROM ip_inventory')
        queued = queued_by_migration = one(c, 'SELECT count(*) FROM cowrie_inventory_queue')
        pending = one(c, 'SELECT count(*) FROM cowrie_pending_sessions')
    log(f'   after the {how}-mode migration ({migration:.1f} s): {inventory} inventory rows, {queued} queued IPs, '
        f'{pending} pending sessions')
    # Timed once here: the first run after the migration (in deferred mode, the whole backfill;
    # in default mode, the completion of every queued IP). The cases start from the state after it.
    checkpoint()
    first_run = timed_backend(mtpl, 'CALL cowrie_backfill_commit(1000)' if how == 'deferred'
                              else 'SELECT cowrie_backfill(1000)')[0]
    with connect(mtpl) as c:
        c.execute('VACUUM ANALYZE')
        queued_after_first = one(c, 'SELECT count(*) FROM cowrie_inventory_queue')
        left = one(c, 'SELECT count(*) FROM session_summaries WHERE snapshot_country IS NULL')
    log(f'   first run after the migration: {first_run:.3f} s; {queued_after_first} IPs left queued, '
        f'{left} sessions without a country')
    queued = queued_after_first
    db = 'bench_sched'
    sides = ['fn', 'commit', 'peers', 'completion_alone']
    data = {case: {s: [] for s in sides} for case in SCHEDULED_CASES}
    md5 = {case: {} for case in SCHEDULED_CASES}
    queued_per_case = {case: queued for case in SCHEDULED_CASES}

    def peers():
        return (timed_psql(db, os.path.join(ROOT, 'bench/peers/backfill_setbased.sql'))
                + timed_psql(db, os.path.join(ROOT, 'bench/peers/completion_setbased.sql')))

    statements = {'fn': 'SELECT cowrie_backfill(1000)', 'commit': 'CALL cowrie_backfill_commit(1000)',
                  'completion_alone': COMPLETION_ALONE_SQL}
    for r in range(RUNS):
        for case, setup in SCHEDULED_CASES.items():
            for side in sides:
                copy_db(db, mtpl)
                if setup:
                    with connect(db) as c:
                        c.execute(setup)
                        c.execute('VACUUM ANALYZE session_summaries, cowrie_inventory_queue')
                        queued_per_case[case] = one(c, 'SELECT count(*) FROM cowrie_inventory_queue')
                checkpoint()
                t = peers() if side == 'peers' else timed_backend(db, statements[side])[0]
                data[case][side].append(t)
                if side != 'completion_alone':
                    md5[case].setdefault(side, set()).add(md5_rows(db))
                log(f'   scheduled {case} run {r + 1} {side}: {t:.3f} s')
                drop_db(db)
    drop_db(mtpl)
    for case in SCHEDULED_CASES:
        reference = md5[case]['fn']
        for side, sums in md5[case].items():
            if sums != reference or len(sums) != 1:
                failures.append(f'scheduled {case}: {side} ended with other rows than cowrie_backfill(1000)')
    out = {'pending': SCHEDULED_PENDING, 'inventory_rows': inventory, 'queued_after_migration': queued_by_migration,
           'first_run_after_migration': first_run, 'template': how, 'template_migration': migration,
           'pending_sessions_after_migration': pending, 'queued': queued_per_case}
    for case in SCHEDULED_CASES:
        out[case] = {side: stats(data[case][side]) for side in sides}
    results['scheduled'] = out


def scheduled_markdown(sc):
    L = [f"A scheduled run on a complete database of {N:,} sessions and {sc['inventory_rows']:,} "
         f"inventory rows (medians of {RUNS} runs, seconds): with nothing to do, with {sc['pending']:,} sessions "
         "the loader left without a country (the walk takes them), and with "
         f"{sc['pending']:,} sessions whose type is NULL although their IP has one, their IPs queued in "
         "`cowrie_inventory_queue` as the inventory trigger queues an IP the enricher changed "
         f"({sc.get('queued', {}).get('completion', 0):,} IPs; the completion takes them). "
         '`peers`: the set-based backfill peer, then the set-based completion peer '
         '(`bench/peers/completion_setbased.sql`), ending with the same rows; `completion alone`: the '
         'completion phase by itself: a dry run of one batch of its step, '
         f"`{COMPLETION_ALONE_SQL[len('SELECT * FROM '):]}`. "
         + (f"The complete database: a deferred-mode migration ({fmt_s(sc.get('template_migration', 0))} s), then "
            f"`CALL cowrie_backfill_commit(1000)` ({fmt_s(sc.get('first_run_after_migration', 0))} s, once, not "
            "against the peers); a default-mode migration ends with the same rows (SCHEDULED_TEMPLATE=default). "
            if sc.get('template') == 'deferred' else
            f"The default-mode migration leaves {sc.get('queued_after_migration', 0):,} IPs queued (every inventory row "
            f"it created): the first scheduled run after it took {fmt_s(sc.get('first_run_after_migration', 0))} s "
            "(once, not against the peers). ")
         + "Every case starts from the state after that first run.", '',
         '| case | cowrie_backfill(1000) | CALL cowrie_backfill_commit(1000) | peers | function / peers | completion alone |',
         '|---|---|---|---|---|---|']
    for case in SCHEDULED_CASES:
        d = sc[case]
        L.append(f"| {case} | {fmt_s(d['fn']['median'])} | {fmt_s(d['commit']['median'])} | "
                 f"{fmt_s(d['peers']['median'])} | {ratio(d['fn']['median'], d['peers']['median']):.2f}x | "
                 f"{fmt_s(d['completion_alone']['median'])} |")
    return '\n'.join(L + [''])


# ---------------------------------------------------------------------------
# 5b. Layouts: the same v15 rows in a plain and in a partitioned session_summaries
# ---------------------------------------------------------------------------

PARTITIONS = 12
# session_summaries partitioned by range on first_event_at: PARTITIONS equal ranges between the
# fixture's first and last first_event_at, and a DEFAULT partition (the NULLs). The foreign keys
# of the fixture's two tables that reference session_summaries (session_id) are dropped: a key of a
# partitioned table must hold its partition key, and first_event_at may be NULL. session_id keeps
# a non-unique index. The rows go in in the plain table's heap order.
PARTITION_SQL = """
DO $do$
DECLARE
    r record;
    lo timestamptz;
    hi timestamptz;
    step interval;
BEGIN
    FOR r IN SELECT c.conrelid::regclass AS t, c.conname FROM pg_constraint c
             WHERE c.contype = 'f' AND c.confrelid = 'session_summaries'::regclass LOOP
        EXECUTE format('ALTER TABLE %s DROP CONSTRAINT %I', r.t, r.conname);
    END LOOP;
    ALTER TABLE session_summaries RENAME TO session_summaries_v15;
    CREATE TABLE session_summaries (LIKE session_summaries_v15 INCLUDING DEFAULTS INCLUDING STORAGE INCLUDING COMMENTS)
        PARTITION BY RANGE (first_event_at);
    SELECT min(first_event_at), max(first_event_at) INTO lo, hi FROM session_summaries_v15;
    step := (hi - lo) / {PARTS};
    FOR i IN 0 .. {PARTS} - 1 LOOP
        EXECUTE format('CREATE TABLE session_summaries_p%s PARTITION OF session_summaries FOR VALUES FROM (%L) TO (%L)',
                       lpad(i::text, 2, '0'), lo + step * i,
                       CASE WHEN i = {PARTS} - 1 THEN hi + interval '1 microsecond' ELSE lo + step * (i + 1) END);
    END LOOP;
    CREATE TABLE session_summaries_default PARTITION OF session_summaries DEFAULT;
    INSERT INTO session_summaries SELECT * FROM session_summaries_v15;
    DROP TABLE session_summaries_v15;
    CREATE INDEX ix_session_summaries_session_id ON session_summaries (session_id);
    CREATE INDEX ix_session_summaries_first_event ON session_summaries (first_event_at);
    CREATE INDEX ix_session_summaries_last_event ON session_summaries (last_event_at);
    CREATE INDEX ix_session_summaries_flags ON session_summaries (vt_flagged, dshield_flagged);
    CREATE INDEX ix_session_summaries_ssh_keys ON session_summaries (ssh_key_injections);
END
$do$"""


def make_partitioned(tpl):
    """A copy of the v15 template whose session_summaries is partitioned (PARTITION_SQL); returns its
    name and a description of its partitions."""
    ptpl = f'{tpl}_part'
    copy_db(ptpl, tpl)
    t0 = time.perf_counter()
    with connect(ptpl) as c:
        c.execute(PARTITION_SQL.replace('{PARTS}', str(PARTITIONS)))
        c.execute('VACUUM ANALYZE')
        rows = c.execute("""SELECT t.relid::regclass::text, c.reltuples::bigint, pg_relation_size(t.relid)
                            FROM pg_partition_tree('session_summaries') t JOIN pg_class c ON c.oid = t.relid
                            WHERE t.isleaf ORDER BY t.relid""").fetchall()
    info = {'seconds': time.perf_counter() - t0, 'partitions': [{'name': r[0], 'rows': r[1], 'bytes': r[2]} for r in rows]}
    log(f"   partitioned copy in {info['seconds']:.0f} s: " + ', '.join(f"{p['name']} {p['rows']}" for p in info['partitions']))
    return ptpl, info


PEER_SETBASED_SQL = open(os.path.join(ROOT, 'bench/peers/backfill_setbased.sql')).read()
PARTITIONED_SIDES = {
    # side: (layout, what follows the deferred-mode CREATE EXTENSION)
    'plain_fn': ('plain', 'fn'), 'part_fn': ('part', 'fn'),
    'plain_commit': ('plain', 'commit'), 'part_commit': ('part', 'commit'),
    'plain_peer': ('plain', 'peer'), 'part_peer': ('part', 'peer'),
}


def bench_partitioned(size, tpl):
    """The same v15 rows in a plain and in a partitioned session_summaries (issue 30): a deferred-mode
    CREATE EXTENSION, then SELECT cowrie_backfill(1000), CALL cowrie_backfill_commit(1000) or the
    set-based peer, each side on a fresh copy of its layout's v15 template, the sides interleaved. After
    the function's backfill: VACUUM ANALYZE, then a scheduled run with nothing to do (function and
    procedure). Every side must end with the same rows (md5_rows)."""
    ptpl, info = make_partitioned(tpl)
    templates = {'plain': tpl, 'part': ptpl}
    db = f'bench_layout_{size}'
    data = {s: {'migration': [], 'seconds': [], 'cpu': [], 'wal': [], 'md5': set(), 'idle_fn': [], 'idle_commit': []}
            for s in PARTITIONED_SIDES}
    eligible = {}
    for r in range(RUNS):
        for side, (layout, how) in PARTITIONED_SIDES.items():
            copy_db(db, templates[layout])
            checkpoint()
            m = timed_backend(db, 'CREATE EXTENSION cowrie_snapshot', ['SET cowrie_snapshot.defer_session_backfill = on'])[0]
            with connect(db) as c:
                c.execute('VACUUM ANALYZE')
                eligible[layout] = one(c, 'SELECT count(*) FROM session_summaries WHERE snapshot_country IS NULL')
            checkpoint()
            a = lsn()
            # Each side on one connection, the peer's script sent as one simple query: the backend's
            # CPU time (user + system, /proc/<pid>/stat) is measured beside the wall time, since the
            # machine's other work moves the wall time far more than the CPU time. The peer's
            # parallel workers (its first statement) are not in its backend's CPU time.
            statement = {'fn': 'SELECT cowrie_backfill(1000)', 'commit': 'CALL cowrie_backfill_commit(1000)',
                         'peer': PEER_SETBASED_SQL}[how]
            with connect(db) as c:
                c.execute('SET client_min_messages = warning')
                pid = one(c, 'SELECT pg_backend_pid()')
                cpu0 = cpu_seconds(pid)
                t0 = time.perf_counter()
                c.execute(statement)
                t = time.perf_counter() - t0
                cpu = cpu_seconds(pid) - cpu0
            d = data[side]
            d['cpu'].append(cpu)
            d['migration'].append(m)
            d['seconds'].append(t)
            d['wal'].append(wal_bytes(a, lsn()))
            d['md5'].add(md5_rows(db))
            left = one(db, 'SELECT count(*) FROM session_summaries WHERE snapshot_country IS NULL')
            if left:
                failures.append(f'partitioned {size} {side}: {left} sessions left with snapshot_country NULL')
            extra = ''
            if how == 'fn':   # the next scheduled run on the complete table: nothing to do
                with connect(db) as c:
                    c.execute('VACUUM ANALYZE')
                    queued = one(c, 'SELECT count(*) FROM cowrie_inventory_queue')
                if queued:
                    failures.append(f'partitioned {size} {side}: {queued} IPs still queued after the backfill')
                checkpoint()
                d['idle_fn'].append(timed_backend(db, 'SELECT cowrie_backfill(1000)')[0])
                d['idle_commit'].append(timed_backend(db, 'CALL cowrie_backfill_commit(1000)')[0])
                extra = f", then nothing to do: {d['idle_fn'][-1]:.3f} s (fn), {d['idle_commit'][-1]:.3f} s (procedure)"
            log(f'   partitioned {size} run {r + 1} {side}: deferred migration {m:.2f} s, backfill {t:.2f} s '
                f'(backend CPU {cpu:.2f} s), '
                f'WAL {d["wal"][-1] / 2**20:.0f} MB{extra}')
            drop_db(db)
    drop_db(ptpl)
    reference = data['plain_fn']['md5']
    out = {'eligible': eligible, 'partitions': info, 'md5': sorted(reference)[0] if reference else None}
    for side in PARTITIONED_SIDES:
        d = data[side]
        same = d['md5'] == reference and len(reference) == 1
        if not same:
            failures.append(f'partitioned {size}: {side} ended with other rows than cowrie_backfill(1000) on the plain table')
        out[side] = dict(stats(d['seconds']), migration=stats(d['migration']), cpu=stats(d['cpu']),
                         wal_bytes=statistics.median(d['wal']), same_rows=same)
        for k in ('idle_fn', 'idle_commit'):
            if d[k]:
                out[side][k] = stats(d[k])
    results.setdefault('partitioned', {})[str(size)] = out


def partitioned_markdown(pt):
    L = []
    w = L.append
    for size, b in pt.items():
        parts = b['partitions']['partitions']
        counts = ', '.join(f"{p['rows']:,}" for p in parts)
        w(f"### Plain and partitioned session_summaries ({int(size):,} sessions)\n")
        w(f"The same v15 rows, once in the fixture's plain `session_summaries`, once in one partitioned by range on "
          f"`first_event_at`: {len(parts) - 1} equal ranges between the fixture's first and last `first_event_at` and a "
          f"DEFAULT partition for the NULLs ({counts} rows; built in "
          f"{b['partitions']['seconds']:.0f} s). The partitioned copy has a non-unique index on `session_id` instead of "
          "the primary key, and the fixture's two foreign keys referencing `session_summaries` are dropped (a key of a "
          "partitioned table must hold the partition key); the plain table keeps them. Each side: a deferred-mode "
          "`CREATE EXTENSION` on a fresh copy, `VACUUM ANALYZE`, then the backfill (timed alone); the sides interleaved. "
          "After `cowrie_backfill(1000)`: `VACUUM ANALYZE`, then a scheduled run with nothing to do, the function and "
          "then the procedure. Backend CPU: user + system time of the backend that ran the backfill "
          "(/proc/<pid>/stat), which the machine's other work moves far less than the wall time; the peer's "
          "parallel workers are not in it. "
          f"Every side ends with the same rows (md5 `{b['md5']}`).\n")
        w('| side | layout | median s | min | max | partitioned / plain | ratio to the set-based peer (same layout) | '
          'backend CPU s (median, min-max) | CPU partitioned / plain | CPU ratio to the peer | '
          'deferred migration s | WAL MB | same rows |')
        w('|---|---|---|---|---|---|---|---|---|---|---|---|---|')
        for how, label in (('fn', '`SELECT cowrie_backfill(1000)`'), ('commit', '`CALL cowrie_backfill_commit(1000)`'),
                           ('peer', 'peer: set-based (`bench/peers/backfill_setbased.sql`)')):
            for layout in ('plain', 'part'):
                d = b[f'{layout}_{how}']
                q = '' if layout == 'plain' else f"**{ratio(d['median'], b[f'plain_{how}']['median']):.2f}x**"
                peer = '(peer)' if how == 'peer' else f"{ratio(d['median'], b[f'{layout}_peer']['median']):.2f}x"
                cpu = d.get('cpu')
                if cpu:
                    pc = b[f'plain_{how}'].get('cpu')
                    cq = '' if layout == 'plain' else f"{ratio(cpu['median'], pc['median']):.2f}x"
                    cp = '(peer)' if how == 'peer' else f"{ratio(cpu['median'], b[f'{layout}_peer']['cpu']['median']):.2f}x"
                    cpu_cols = f"{fmt_s(cpu['median'])} ({fmt_s(cpu['min'])}-{fmt_s(cpu['max'])}) | {cq} | {cp}"
                else:
                    cpu_cols = '- | - | -'
                w(f"| {label} | {'partitioned' if layout == 'part' else 'plain'} | {row_runs(d)} | {q} | {peer} | "
                  f"{cpu_cols} | {fmt_s(d['migration']['median'])} | {d['wal_bytes'] / 2**20:,.0f} | {'yes' if d['same_rows'] else '**NO**'} |")
        w('')
        w('Scheduled run with nothing to do, on the table the function completed (median s, min-max):\n')
        w('| layout | `SELECT cowrie_backfill(1000)` | `CALL cowrie_backfill_commit(1000)` |')
        w('|---|---|---|')
        for layout in ('plain', 'part'):
            d = b[f'{layout}_fn']
            w(f"| {'partitioned' if layout == 'part' else 'plain'} | "
              + ' | '.join(f"{fmt_s(d[k]['median'])} ({fmt_s(d[k]['min'])}-{fmt_s(d[k]['max'])})" for k in ('idle_fn', 'idle_commit'))
              + ' |')
        pf, pc = b['part_fn'], b['part_commit']
        w('')
        w(f"Partitioned / plain: deferred migration {ratio(pf['migration']['median'], b['plain_fn']['migration']['median']):.2f}x; "
          f"scheduled run with nothing to do {ratio(pf['idle_fn']['median'], b['plain_fn']['idle_fn']['median']):.2f}x (function), "
          f"{ratio(pf['idle_commit']['median'], b['plain_fn']['idle_commit']['median']):.2f}x (procedure). "
          f"Target (#30): the backfill <= 1.1x: {ratio(pf['median'], b['plain_fn']['median']):.2f}x (function), "
          f"{ratio(pc['median'], b['plain_commit']['median']):.2f}x (procedure)"
          + (f"; by backend CPU {ratio(pf['cpu']['median'], b['plain_fn']['cpu']['median']):.2f}x (function), "
             f"{ratio(pc['cpu']['median'], b['plain_commit']['cpu']['median']):.2f}x (procedure)" if pf.get('cpu') else '')
          + ".\n")
    return '\n'.join(L)


def run_partitioned(tpl):
    log(f'== plain and partitioned session_summaries, {N} sessions')
    bench_partitioned(N, tpl)


# ---------------------------------------------------------------------------
# 5c. Citus: the same v15 rows on the single node and on a coordinator with two workers
# ---------------------------------------------------------------------------

# host:port of the coordinator, then the workers (bench/run.sh, BENCH=citus)
CITUS_NODES = [(n.rsplit(':', 1)[0], int(n.rsplit(':', 1)[1])) for n in os.environ.get('BENCH_CITUS_NODES', '').split()]
# The operator's distribution (docs/citus.md, test/scripts/citus.sh).
CITUS_DISTRIBUTE = [
    'SET client_min_messages = warning',
    'ALTER TABLE password_session_usage DROP CONSTRAINT password_session_usage_session_id_fkey',
    'ALTER TABLE longtail_detection_sessions DROP CONSTRAINT longtail_detection_sessions_session_id_fkey',
    'ALTER TABLE raw_events DROP CONSTRAINT raw_events_pkey, ADD PRIMARY KEY (session_id, id)',
    "SELECT create_distributed_table('session_summaries', 'session_id')",
    "SELECT create_distributed_table('raw_events', 'session_id', colocate_with => 'session_summaries')",
    "SELECT truncate_local_data_after_distributing_table(t) FROM unnest(ARRAY['session_summaries', 'raw_events']::regclass[]) t",
    "SELECT create_reference_table('schema_state')",
    "SELECT truncate_local_data_after_distributing_table('schema_state')",
]
# The v15 rows themselves (every column), to show both layouts start from the same ones.
V15_SUM_SQL = """SELECT (SELECT md5(string_agg(md5(s::text), '' ORDER BY session_id)) FROM session_summaries s)
    || '/' || (SELECT md5(string_agg(md5(e::text), '' ORDER BY session_id, id)) FROM raw_events e)"""
# What a backfill run on Citus pays per round at least: a connection to every node, in parallel,
# and a trivial command (master_run_on_worker, as cowrie_citus_on_nodes sends its commands).
CITUS_ROUND_SQL = """SELECT count(*) FROM master_run_on_worker(
    ARRAY(SELECT nodename FROM pg_dist_node WHERE isactive AND noderole = 'primary' ORDER BY groupid),
    ARRAY(SELECT nodeport FROM pg_dist_node WHERE isactive AND noderole = 'primary' ORDER BY groupid),
    ARRAY(SELECT 'SELECT 1' FROM pg_dist_node WHERE isactive AND noderole = 'primary' ORDER BY groupid), true)"""
CITUS_SIDES = {
    # side: (layout, what runs)
    'single_default': ('single', 'default'), 'citus_default': ('citus', 'default'),
    'single_fn': ('single', 'fn'), 'citus_fn': ('citus', 'fn'),
    'single_commit': ('single', 'commit'), 'citus_commit': ('citus', 'commit'),
}


def node_connect(node, db, autocommit=True):
    return psycopg.connect(host=node[0], port=node[1], dbname=db, user='postgres', autocommit=autocommit)


def on_nodes(nodes, db, *statements):
    """statements on each node's db (None: the single node)."""
    for node in nodes:
        with (connect(db) if node is None else node_connect(node, db)) as c:
            for s in statements:
                c.execute(s)


def cluster_cpu():
    """CPU seconds (user + system) of each cluster so far: its postmaster, its live children
    and the children it has reaped (cutime/cstime), from /proc. Citus's work runs in worker
    backends and in connections that end before the statement does; this counts them all."""
    tick = os.sysconf('SC_CLK_TCK')
    out = []
    for datadir in os.environ.get('BENCH_DATADIRS', '').split():
        with open(os.path.join(datadir, 'postmaster.pid')) as f:
            pm = int(f.readline())
        total = 0
        for pid in os.listdir('/proc'):
            if not pid.isdigit():
                continue
            try:
                with open(f'/proc/{pid}/stat') as f:
                    fields = f.read().rsplit(')', 1)[1].split()
            except OSError:
                continue
            if int(pid) == pm:
                total += sum(int(x) for x in fields[11:15])
            elif int(fields[1]) == pm:
                total += int(fields[11]) + int(fields[12])
        out.append(total / tick)
    return out


def cpu_of(layout, before, after):
    """The CPU seconds one layout's nodes spent between two cluster_cpu() readings."""
    idx = [0] if layout == 'single' else list(range(1, len(before)))
    return sum(after[i] - before[i] for i in idx)


def make_citus_template(size, tpl):
    """The v15 rows of tpl generated again on the coordinator (the fixture is deterministic; the
    rows are compared), distributed as docs/citus.md says into bench_citus_tpl on every node."""
    coord, workers = CITUS_NODES[0], CITUS_NODES[1:]
    src, ctpl = 'bench_citus_v15', 'bench_citus_tpl'
    t0 = time.perf_counter()
    for node in CITUS_NODES:
        with node_connect(node, 'postgres') as c:
            for db in (src, ctpl):
                c.execute(f'DROP DATABASE IF EXISTS {db} WITH (FORCE)')
    with node_connect(coord, 'postgres') as c:
        c.execute(f'CREATE DATABASE {src}')
    cmd = [os.path.join(PGBIN, 'psql'), '-X', '-q', '-v', 'ON_ERROR_STOP=1', '-h', coord[0], '-p', str(coord[1]),
           '-d', src, '-v', f'n={size}', '-v', f'doc_bytes={DOC_BYTES}', '-f', os.path.join(ROOT, 'test/fixtures/cowrie_v15.sql')]
    out = subprocess.run(cmd, capture_output=True, text=True)
    if out.returncode:
        raise RuntimeError(f'the v15 fixture on the coordinator failed: {out.stderr}')
    # fixture.session_shape references session_summaries; the test drops it too (both layouts)
    for db_conn in (connect(tpl), node_connect(coord, src)):
        with db_conn as c:
            c.execute('SET client_min_messages = warning')
            c.execute('DROP SCHEMA IF EXISTS fixture CASCADE')
            c.execute('VACUUM ANALYZE')
    single_sum = one(tpl, V15_SUM_SQL)
    with node_connect(coord, src) as c:
        citus_sum = one(c, V15_SUM_SQL)
    if single_sum != citus_sum:
        raise RuntimeError(f'the v15 rows differ: single node {single_sum}, coordinator {citus_sum}')
    with node_connect(coord, 'postgres') as c:
        c.execute(f'CREATE DATABASE {ctpl} TEMPLATE {src} STRATEGY FILE_COPY')
        c.execute(f'DROP DATABASE {src}')
    for node in workers:
        with node_connect(node, 'postgres') as c:
            c.execute(f'CREATE DATABASE {ctpl}')
    on_nodes(CITUS_NODES, ctpl, 'SET client_min_messages = warning', 'CREATE EXTENSION citus')
    with node_connect(coord, ctpl) as c:
        c.execute('SELECT citus_set_coordinator_host(%s, %s)', coord)
        for w in workers:
            c.execute('SELECT citus_add_node(%s, %s)', w)
        for s in CITUS_DISTRIBUTE:
            c.execute(s)
        shards = one(c, "SELECT count(*) FROM pg_dist_shard WHERE logicalrelid = 'session_summaries'::regclass")
        placements = c.execute("""SELECT n.nodename || ':' || n.nodeport, count(*) FROM pg_dist_shard s
            JOIN pg_dist_placement p USING (shardid) JOIN pg_dist_node n USING (groupid)
            WHERE s.logicalrelid = 'session_summaries'::regclass GROUP BY 1 ORDER BY 1""").fetchall()
        version = one(c, "SELECT extversion FROM pg_extension WHERE extname = 'citus'")
        if one(c, V15_SUM_SQL) != single_sum:
            raise RuntimeError('the distributed v15 rows differ from the single node\'s')
    on_nodes(CITUS_NODES, ctpl, 'VACUUM ANALYZE')
    # Citus's maintenance daemon stays connected to every database with citus, which a
    # template copy refuses: no more connections to the template, and the present ones ended.
    for node in CITUS_NODES:
        with node_connect(node, 'postgres') as c:
            c.execute(f'ALTER DATABASE {ctpl} WITH ALLOW_CONNECTIONS false')
            c.execute('SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s', (ctpl,))
    info = {'seconds': time.perf_counter() - t0, 'shards': shards, 'v15_md5': single_sum, 'citus_version': version,
            'placements': {k: v for k, v in placements}}
    log(f"   Citus template in {info['seconds']:.0f} s: {shards} shards of session_summaries, {info['placements']}")
    return ctpl, info


def citus_copy(db, ctpl):
    """A fresh copy of the distributed template: the same database copied on every node (the
    shards' names and Citus's metadata come with it)."""
    for node in CITUS_NODES:
        with node_connect(node, 'postgres') as c:
            c.execute(f'DROP DATABASE IF EXISTS {db} WITH (FORCE)')
            c.execute(f'CREATE DATABASE {db} TEMPLATE {ctpl} STRATEGY FILE_COPY')


def citus_drop(db):
    for node in CITUS_NODES:
        with node_connect(node, 'postgres') as c:
            c.execute(f'DROP DATABASE IF EXISTS {db} WITH (FORCE)')


def checkpoint_all():
    checkpoint()
    on_nodes(CITUS_NODES, 'postgres', 'CHECKPOINT')


def timed_statements(conn_factory, statements, phases=None):
    """Runs statements one after the other on one fresh connection; returns the seconds of each.
    phases: a dict that gets the migration's own seconds per phase (its INFO's DETAIL)."""
    times = []
    with conn_factory() as c:
        c.execute('SET client_min_messages = warning' if phases is None else 'SET client_min_messages = info')

        def notice(diag):
            detail = diag.message_detail or ''
            if phases is not None and 'seconds per phase: ' in detail:
                phases.update(json.loads(detail.split('seconds per phase: ', 1)[1].rstrip('.')))
        c.add_notice_handler(notice)
        for s in statements:
            t0 = time.perf_counter()
            c.execute(s)
            times.append(time.perf_counter() - t0)
    return times


def bench_citus(size, tpl):
    """The same v15 rows on the single node and on a Citus coordinator with two workers (issue 32),
    the sides interleaved, each on a fresh copy: the default-mode migration (single node: CREATE
    EXTENSION; Citus: CREATE EXTENSION, then SELECT cowrie_migrate()), and a deferred-mode migration
    followed by SELECT cowrie_backfill(1000) or CALL cowrie_backfill_commit(1000) (timed alone, after
    VACUUM ANALYZE on every node). After the function: VACUUM ANALYZE, then a scheduled run with
    nothing to do (function, then procedure). Every side must end with the same rows (md5_rows)."""
    ctpl, info = make_citus_template(size, tpl)
    coord = CITUS_NODES[0]
    db = 'bench_citus'
    data = {s: {'migration': [], 'create': [], 'migrate': [], 'seconds': [], 'cpu': [], 'migration_cpu': [],
                'md5': set(), 'idle_fn': [], 'idle_commit': [], 'round': [], 'phases': {},
                'cpu_coord': [], 'cpu_workers': []} for s in CITUS_SIDES}
    eligible = {}
    load = [os.getloadavg()]
    for r in range(RUNS):
        for side, (layout, how) in CITUS_SIDES.items():
            if layout == 'single':
                copy_db(db, tpl)
                conn = lambda: connect(db)   # noqa: E731
                vacuum = lambda: on_nodes([None], db, 'VACUUM ANALYZE')   # noqa: E731
            else:
                citus_copy(db, ctpl)
                conn = lambda: node_connect(coord, db)   # noqa: E731
                vacuum = lambda: on_nodes(CITUS_NODES, db, 'VACUUM ANALYZE')   # noqa: E731
            migration = ['SET cowrie_snapshot.defer_session_backfill = ' + ('off' if how == 'default' else 'on'),
                         'CREATE EXTENSION cowrie_snapshot'] + (['SELECT cowrie_migrate()'] if layout == 'citus' else [])
            checkpoint_all()
            c0 = cluster_cpu()
            d = data[side]
            t = timed_statements(conn, migration, d['phases'])[1:]
            d['migration_cpu'].append(cpu_of(layout, c0, cluster_cpu()))
            d['create'].append(t[0])
            d['migrate'].append(t[1] if len(t) > 1 else 0.0)
            d['migration'].append(sum(t))
            msg = f'   citus {size} run {r + 1} {side}: migration {sum(t):.2f} s' + (
                f' (CREATE EXTENSION {t[0]:.2f} s, cowrie_migrate() {t[1]:.2f} s)' if len(t) > 1 else '')
            if how != 'default':
                vacuum()
                with conn() as c:
                    eligible[layout] = one(c, 'SELECT count(*) FROM session_summaries WHERE snapshot_country IS NULL')
                checkpoint_all()
                c0 = cluster_cpu()
                statement = 'SELECT cowrie_backfill(1000)' if how == 'fn' else 'CALL cowrie_backfill_commit(1000)'
                d['seconds'].append(timed_statements(conn, [statement])[0])
                c1 = cluster_cpu()
                d['cpu'].append(cpu_of(layout, c0, c1))
                if layout == 'citus':   # the coordinator's share: the orchestration, not the shards' work
                    d['cpu_coord'].append(c1[1] - c0[1])
                    d['cpu_workers'].append(sum(c1[i] - c0[i] for i in range(2, len(c1))))
                msg += f", backfill {d['seconds'][-1]:.2f} s (CPU of the {layout} node{'s' if layout == 'citus' else ''} {d['cpu'][-1]:.2f} s)"
            with conn() as c:
                d['md5'].add(one(c, MD5_SQL))
                left = one(c, 'SELECT count(*) FROM session_summaries WHERE snapshot_country IS NULL')
            if left:
                failures.append(f'citus {size} {side}: {left} sessions left with snapshot_country NULL')
            if how == 'fn':   # the next scheduled run: nothing to do
                vacuum()
                checkpoint_all()
                d['idle_fn'].append(timed_statements(conn, ['SELECT cowrie_backfill(1000)'])[0])
                d['idle_commit'].append(timed_statements(conn, ['CALL cowrie_backfill_commit(1000)'])[0])
                msg += f", then nothing to do: {d['idle_fn'][-1]:.3f} s (fn), {d['idle_commit'][-1]:.3f} s (procedure)"
                if layout == 'citus':   # the floor of such a run: one connection per node, in parallel
                    d['round'].append(timed_statements(conn, [CITUS_ROUND_SQL])[0])
                    msg += f", one round of connections to the {len(CITUS_NODES)} nodes {d['round'][-1]:.3f} s"
            log(msg)
            if layout == 'single':
                drop_db(db)
            else:
                citus_drop(db)
    citus_drop(ctpl)
    reference = data['single_default']['md5']
    load.append(os.getloadavg())
    out = {'eligible': eligible, 'template': info, 'md5': sorted(reference)[0] if reference else None,
           'nodes': [f'{h}:{p}' for h, p in CITUS_NODES], 'loadavg': load}
    for side in CITUS_SIDES:
        d = data[side]
        same = d['md5'] == reference and len(reference) == 1
        if not same:
            failures.append(f'citus {size}: {side} ended with other rows than the single node\'s default-mode migration')
        out[side] = dict(migration=stats(d['migration']), create=stats(d['create']), migrate=stats(d['migrate']),
                         migration_cpu=stats(d['migration_cpu']), same_rows=same)
        if d['seconds']:
            out[side].update(backfill=stats(d['seconds']), cpu=stats(d['cpu']))
        for k in ('idle_fn', 'idle_commit', 'round', 'cpu_coord', 'cpu_workers'):
            if d[k]:
                out[side][k] = stats(d[k])
        out[side]['phases'] = d['phases']   # of the last run
    results.setdefault('citus', {})[str(size)] = out


def citus_markdown(ct):
    L = []
    w = L.append
    for size, b in ct.items():
        t = b['template']
        w(f"### Single node and Citus ({int(size):,} sessions)\n")
        w(f"The same v15 rows (md5 of every column of session_summaries and raw_events `{t['v15_md5'][:16]}...` on both) "
          f"on the single node and on a Citus {t.get('citus_version', '')} coordinator with two workers on the same machine "
          f"(unix sockets, each node with the single node's settings). `session_summaries` distributed by "
          f"`session_id` ({t['shards']} shards: " + ', '.join(f"{v} on {k.rsplit('/', 1)[-1]}" for k, v in t['placements'].items())
          + f"), `raw_events` co-located, `schema_state` a reference table (docs/citus.md; distributed in {t['seconds']:.0f} s). "
          "Each side on a fresh copy (on Citus the same database copied on every node), the sides interleaved. "
          "Migration: the single node's `CREATE EXTENSION`; on Citus `CREATE EXTENSION` then `SELECT cowrie_migrate()` "
          "(their sum). Backfill: after a deferred-mode migration and `VACUUM ANALYZE` (on every node), timed alone. "
          "CPU: user + system seconds of every process of the layout's nodes (postmasters, their live and reaped "
          "children, /proc), which the machine's other work moves less than the wall time. "
          f"Every side ends with the same rows (md5 `{b['md5']}`).\n")
        w('| what | single node s | Citus s | Citus / single | single CPU s | Citus CPU s | CPU Citus / single | same rows |')
        w('|---|---|---|---|---|---|---|---|')

        def row(label, s, c, cpu=None):
            sm, cm = s['median'], c['median']
            cpu_cols = (f"{fmt_s(cpu[0]['median'])} | {fmt_s(cpu[1]['median'])} | "
                        f"{ratio(cpu[1]['median'], cpu[0]['median']):.2f}x") if cpu else '- | - | -'
            return (f"| {label} | {fmt_s(sm)} ({fmt_s(s['min'])}-{fmt_s(s['max'])}) | {fmt_s(cm)} ({fmt_s(c['min'])}-{fmt_s(c['max'])}) | "
                    f"**{ratio(cm, sm):.2f}x** | {cpu_cols}")
        sd, cd = b['single_default'], b['citus_default']
        w(row('migration, default mode', sd['migration'], cd['migration'], (sd['migration_cpu'], cd['migration_cpu']))
          + f" | {'yes' if cd['same_rows'] else '**NO**'} |")
        w(f"| &nbsp;&nbsp;of which Citus `CREATE EXTENSION` / `cowrie_migrate()` | | {fmt_s(cd['create']['median'])} / "
          f"{fmt_s(cd['migrate']['median'])} | | | | | |")
        sf, cf = b['single_fn'], b['citus_fn']
        w(row('migration, deferred mode', sf['migration'], cf['migration'], (sf['migration_cpu'], cf['migration_cpu'])) + ' | |')
        for how, label in (('fn', '`SELECT cowrie_backfill(1000)`'), ('commit', '`CALL cowrie_backfill_commit(1000)`')):
            s, c = b[f'single_{how}'], b[f'citus_{how}']
            w(row(f'backfill: {label}', s['backfill'], c['backfill'], (s['cpu'], c['cpu']))
              + f" | {'yes' if c['same_rows'] and s['same_rows'] else '**NO**'} |")
        for k, label in (('idle_fn', '`SELECT cowrie_backfill(1000)`'), ('idle_commit', '`CALL cowrie_backfill_commit(1000)`')):
            w(row(f'scheduled run, nothing to do: {label}', sf[k], cf[k]) + ' | |')
        if cf.get('round'):
            w(f"| &nbsp;&nbsp;Citus's floor: one round of connections to the {len(b['nodes'])} nodes "
              f"(`master_run_on_worker`, `SELECT 1` on each, in parallel) | | {fmt_s(cf['round']['median'])} | "
              f"idle run = {ratio(cf['idle_fn']['median'], cf['round']['median']):.1f} rounds (fn), "
              f"{ratio(cf['idle_commit']['median'], cf['round']['median']):.1f} (procedure) | | | | |")
        w('')
        for how, label in (('fn', '`SELECT cowrie_backfill(1000)`'), ('commit', '`CALL cowrie_backfill_commit(1000)`')):
            c = b[f'citus_{how}']
            if c.get('cpu_coord'):
                w(f"Citus's backfill CPU, {label}: coordinator {fmt_s(c['cpu_coord']['median'])} s, the two workers "
                  f"{fmt_s(c['cpu_workers']['median'])} s (medians).\n")
        ps, pc = b['single_default'].get('phases'), b['citus_default'].get('phases')
        if ps and pc:
            w("The default-mode migration's own seconds per phase (its INFO, the last run), single node / Citus: "
              + ', '.join(f"{k} {ps.get(k, 0):.2f} / {pc.get(k, 0):.2f}" for k in sorted(set(ps) | set(pc))) + '.\n')
        w(f"Sessions the backfill fills: {b['eligible'].get('single', 0):,} (single node), "
          f"{b['eligible'].get('citus', 0):,} (Citus). Load average (1, 5, 15 min) at the start of the runs "
          f"{', '.join(f'{x:.2f}' for x in b['loadavg'][0])}, at the end {', '.join(f'{x:.2f}' for x in b['loadavg'][-1])}.\n")
    return '\n'.join(L)


def run_citus(tpl):
    if len(CITUS_NODES) != 3:
        raise RuntimeError('BENCH=citus needs the Citus nodes of bench/run.sh (BENCH_CITUS_NODES)')
    log(f'== single node and Citus, {N} sessions')
    bench_citus(N, tpl)


def extension_commit():
    """The commit the benchmarked extension was built from, and whether its sources differed from it."""
    if os.environ.get('BENCH_EXTENSION_COMMIT'):   # bench/chroot.sh: its copy has no .git
        return os.environ['BENCH_EXTENSION_COMMIT']
    def git(*args):
        return subprocess.run(['git', '-C', ROOT, *args], capture_output=True, text=True).stdout.strip()
    head = git('rev-parse', '--short', 'HEAD') or '?'
    dirty = git('status', '--porcelain', '--', 'src', 'sql', 'Makefile', 'cowrie_snapshot.control')
    return head + (' with uncommitted changes in src/ or sql/' if dirty else '')


def installed_fingerprint():
    """md5 of the installed extension files: another `make install` during the run changes it."""
    import glob
    import hashlib
    pg_config = os.environ.get('PG_CONFIG', os.path.join(PGBIN, 'pg_config'))
    dirs = {k: subprocess.run([pg_config, f'--{k}'], capture_output=True, text=True).stdout.strip()
            for k in ('pkglibdir', 'sharedir')}
    files = sorted(glob.glob(os.path.join(dirs['pkglibdir'], 'cowrie_snapshot.so'))
                   + glob.glob(os.path.join(dirs['sharedir'], 'extension', 'cowrie_snapshot*')))
    h = hashlib.md5()
    for f in files:
        with open(f, 'rb') as fh:
            h.update(f.encode() + fh.read())
    return h.hexdigest()


def machine():
    cpu = next((line.split(':', 1)[1].strip() for line in open('/proc/cpuinfo') if line.startswith('model name')), '?')
    free = subprocess.run(['free', '-g'], capture_output=True, text=True).stdout.strip()
    mem = free.splitlines()[1].split()[1] if free else '?'
    return {'nproc': os.cpu_count(), 'cpu': cpu, 'memory_gb': mem, 'free_g': free,
            'kernel': platform.release(), 'postgres': one(admin(), 'SELECT version()')}


def fmt_s(x):
    return f'{x:.3f}' if x < 10 else f'{x:.2f}' if x < 100 else f'{x:.1f}'


def fmt_rate(rows, s):
    return f'{rows / s:,.0f}' if s > 0 else '-'


def fmt_mb(kb):
    return f'{kb / 1024:.0f}' if kb else '-'


def ratio(a, b):
    return a / b if b else float('nan')


def row_runs(d):
    return f"{fmt_s(d['median'])} | {fmt_s(d['min'])} | {fmt_s(d['max'])}"


def evaluate():
    """The issue's targets: (text, measured, met)."""
    t = []
    ex = results.get('extraction')
    if ex:
        for ext, peer, lim, label in (('jsonb_ext', 'jsonb_chain', 1.05, 'cowrie_extract_ip(jsonb) <= 1.05x the jsonb -> chain'),
                                      ('json_ext', 'json_chain', 1.0, 'cowrie_extract_ip(json) <= 1.0x the json -> chain'),
                                      ('normalize', 'inet_host', 1.0, 'cowrie_normalize_ip <= 1.0x host(x::inet)')):
            q = ratio(ex[ext]['median'], ex[peer]['median'])
            t.append((f'{label} (N={N})', f'{q:.2f}x ({fmt_s(ex[ext]["median"])} s vs {fmt_s(ex[peer]["median"])} s)', q <= lim))
    for size, m in results.get('migration', {}).items():
        peer = m['peer']['median']
        q = ratio(m['default']['median'], peer)
        t.append((f'migration, default mode <= 0.2x the peer (upstream v16 SQL + set-based backfill), {int(size):,} sessions',
                  f'{q:.2f}x ({fmt_s(m["default"]["median"])} s vs {fmt_s(peer)} s)', q <= 0.2))
        q = ratio(m['deferred']['median'], peer)
        q16 = ratio(m['deferred']['median'], m['peer']['v16']['median'])
        t.append((f'migration, deferred mode <= 0.1x the peer, {int(size):,} sessions',
                  f'{q:.3f}x of the peer ({fmt_s(m["deferred"]["median"])} s vs {fmt_s(peer)} s); '
                  f'{q16:.3f}x of its v16 SQL alone', q <= 0.1))
    bf = results.get('backfill', {})
    for size, b in bf.items():
        fn = b['ext_fn']['median']
        best = min(b['peer_set']['median'], b['peer_proc']['median'])
        which = 'set-based' if b['peer_set']['median'] <= b['peer_proc']['median'] else 'PL/pgSQL procedure'
        q = ratio(fn, best)
        t.append((f'cowrie_backfill(1000) <= 1.0x the better SQL peer, {int(size):,} sessions',
                  f'{q:.2f}x ({fmt_s(fn)} s vs {which} {fmt_s(best)} s)', q <= 1.0))
        if 'peer_upstream' in b:
            q = ratio(b['peer_upstream']['median'], fn)
            lean = ratio(b['peer_client']['median'], fn)
            t.append((f'cowrie_backfill(1000) >= 7x faster than the upstream loop, {int(size):,} sessions',
                      f'{q:.1f}x ({fmt_s(fn)} s vs {fmt_s(b["peer_upstream"]["median"])} s); '
                      f'{lean:.1f}x faster than the lean client loop ({fmt_s(b["peer_client"]["median"])} s)', q >= 7))
        else:
            t.append((f'cowrie_backfill(1000) >= 7x faster than the upstream loop, {int(size):,} sessions',
                      f'client loop not run at this size (CLIENT_LOOP_MAX={CLIENT_LOOP_MAX})', None))
        q = ratio(b['ext_commit']['median'], fn)
        t.append((f'CALL cowrie_backfill_commit(1000) <= 1.2x cowrie_backfill(1000), {int(size):,} sessions',
                  f'{q:.2f}x ({fmt_s(b["ext_commit"]["median"])} s vs {fmt_s(fn)} s)', q <= 1.2))
        for side, label in (('ext_fn', 'cowrie_backfill(1000)'), ('ext_commit', 'cowrie_backfill_commit(1000)')):
            q = ratio(b[side]['wal_bytes'], b['peer_set']['wal_bytes'])
            t.append((f'WAL per session of {label} <= the set-based peer\'s, {int(size):,} sessions',
                      f'{b[side]["wal_bytes"] / b["eligible"]:,.0f} B vs {b["peer_set"]["wal_bytes"] / b["eligible"]:,.0f} B ({q:.2f}x)',
                      q <= 1.0))
    for size, b in results.get('backfill_v16', {}).items():
        q = ratio(b['ext_fn']['median'], b['peers']['median'])
        t.append((f"cowrie_backfill(1000) on upstream's v16 state <= 1.0x the set-based peers, {int(size):,} sessions",
                  f"{q:.2f}x ({fmt_s(b['ext_fn']['median'])} s vs {fmt_s(b['peers']['median'])} s)", q <= 1.0))
    if len(bf) == 2:
        small, big = sorted(bf, key=int)
        f = int(big) / int(small)
        for side, label in (('ext_fn', 'cowrie_backfill(1000)'), ('ext_commit', 'cowrie_backfill_commit(1000)')):
            q = ratio(bf[big][side]['median'], bf[small][side]['median'])
            t.append((f'{label} time ratio {int(big):,}/{int(small):,} <= {1.1 * f:.0f}', f'{q:.1f}', q <= 1.1 * f))
        for side, label in (('ext_fn', 'cowrie_backfill(1000)'), ('ext_commit', 'cowrie_backfill_commit(1000)')):
            a, b2 = bf[small][side]['anon_kb'], bf[big][side]['anon_kb']
            t.append((f'{label}: backend peak memory independent of table size (peak private memory at {int(big):,} '
                      f'within 1.25x + 8 MB of {int(small):,})',
                      f'{a / 1024:.0f} MB at {int(small):,}, {b2 / 1024:.0f} MB at {int(big):,} (VmHWM, with shared buffers: '
                      f'{bf[small][side]["hwm_kb"] / 1024:.0f} / {bf[big][side]["hwm_kb"] / 1024:.0f} MB)',
                      b2 <= 1.25 * a + 8192))
    return t


def meta_lines(meta):
    """The run's machine, build, settings and command, as markdown list items."""
    L = []
    w = L.append
    w(f"- date: {meta['date']}")
    w(f"- machine: {meta['machine']['nproc']} cores ({meta['machine']['cpu']}), {meta['machine']['memory_gb']} GB RAM "
      f"(`free -g`: {' '.join(meta['machine']['free_g'].splitlines()[1].split()[1:]) if meta['machine']['free_g'] else '?'}), "
      f"kernel {meta['machine']['kernel']}")
    w(f"- PostgreSQL: {meta['machine']['postgres']}")
    w(f"- extension: built from commit {meta.get('commit', '?')}")
    w(f"- settings: {meta['settings']}, work_mem default (4MB); unix socket")
    w(f"- command: `{meta['command']}`")
    w(f"- total wall time: {meta['seconds'] / 60:.1f} min")
    for size, fx in results.get('fixtures', {}).items():
        w(f"- fixture {int(size):,} sessions: " + ('kept from an earlier run on this cluster' if fx.get('reused')
          else f"generated in {fx['seconds']:.0f} s") + ", average json document "
          f"{fx['avg_doc_bytes']} B, session_summaries {fx['table_bytes'] / 2**20:.0f} MB with indexes, "
          f"{fx['raw_events']:,} raw events")
    return L


def backfill_v16_markdown(bv16):
    """The backfill on upstream's v16 state, a section per size."""
    L = []
    w = L.append
    for size, b in bv16.items():
        w(f"### Backfill on upstream's v16 state ({int(size):,} sessions)\n")
        w(f"Upstream's v16 SQL (`test/fixtures/upstream_v16.sql`: snapshots from each session's own document, no "
          f"types), then a deferred-mode `CREATE EXTENSION`; {b['sessions_with_a_null']:,} sessions have a NULL "
          f"snapshot column. Peers: the set-based backfill, then the set-based completion "
          f"(`bench/peers/completion_setbased.sql`); every side ends with the same rows.\n")
        w('| side | median s | min | max | ratio to the peers | WAL MB |')
        w('|---|---|---|---|---|---|')
        for side, label in (('ext_fn', '`SELECT cowrie_backfill(1000)`'), ('ext_commit', '`CALL cowrie_backfill_commit(1000)`'),
                            ('peers', 'peers: set-based backfill + completion')):
            d = b[side]
            w(f"| {label} | {row_runs(d)} | {ratio(d['median'], b['peers']['median']):.2f}x | {d['wal_bytes'] / 2**20:,.0f} |")
        w('')
    return '\n'.join(L)


def road_markdown(road):
    """Production's road, a section per size."""
    L = []
    w = L.append
    for size, b in road.items():
        fx = b['fixture']
        w(f"### Production's road ({int(size):,} sessions)\n")
        w(f"`test/fixtures/production_road.sql` (upstream e980629's v16 on production's documents) built in "
          f"{fx['seconds']:.0f} s: {fx['source_ip']:,} sessions with a source_ip, {fx['snapshot_country']:,} with a "
          f"country, {fx['snapshot_asn']:,} with an ASN, no IP types, {fx['ip_inventory']:,} inventory rows. After "
          f"a deferred-mode repair {b['pending_after_repair']:,} sessions have a NULL snapshot column. The peers run "
          f"after the same deferred repair: the set-based backfill, then the set-based completion, each one "
          f"transaction. Every side ends with the same rows. Write-blocked: how long the loader's writes to "
          f"session_summaries wait (the batches lock only their own rows).\n")
        w('Ratios: the backfills to the peers; the two `CREATE EXTENSION` rows to the peers\' whole road '
          '(the deferred repair\'s median, then the peers).\n')
        w('| side | median s | min | max | ratio to the peers | write-blocked s | WAL MB |')
        w('|---|---|---|---|---|---|---|')
        for side, label in (('default', '`CREATE EXTENSION`, default mode (repair and every session)'),
                            ('deferred', '`CREATE EXTENSION`, deferred mode, then `SELECT cowrie_backfill(1000)`'),
                            ('ext_fn', 'after the deferred repair: `SELECT cowrie_backfill(1000)`'),
                            ('ext_commit', 'after the deferred repair: `CALL cowrie_backfill_commit(1000)`'),
                            ('peers', 'after the deferred repair: peers, set-based backfill + completion')):
            d = b[side]
            blocked = fmt_s(d['blocked']) if d['blocked'] is not None else 'per batch'
            # the peers' whole road: the same deferred repair, then the peers
            peer = b['peers']['median'] + (b['deferred']['blocked'] if side in ('default', 'deferred') else 0)
            peer_ratio = '' if side == 'peers' else f"{ratio(d['median'], peer):.2f}x"
            w(f"| {label} | {row_runs(d)} | {peer_ratio} | {blocked} | {d['wal_bytes'] / 2**20:,.0f} |")
        w('')
    return '\n'.join(L)


def report(meta):
    L = []
    w = L.append
    w(f"## N = {N:,} sessions, RUNS = {RUNS}" + (f", documents padded to about {DOC_BYTES:,} bytes" if DOC_BYTES else '') + "\n")
    L.extend(meta_lines(meta))
    w('')
    w('Times are seconds (median, min, max over the runs); ratios divide medians measured in this same run.\n')

    w('### Targets\n')
    w('| target | measured | met |')
    w('|---|---|---|')
    for text, measured, met in evaluate():
        w(f"| {text} | {measured} | {'yes' if met else 'n/a' if met is None else '**no**'} |")
    w('')

    ex = results.get('extraction')
    if ex:
        info = results['extraction_info']
        w(f'### Extraction ({N:,} sessions)\n')
        w(f"Over the {info['documents_without_nul']:,} documents without `\\u0000` (of {info['sessions']:,}): the json "
          f"`->` chain raises 22P05 on the others, so every side reads only these (a copy of those rows, json `ej`, "
          f"and jsonb `ejb = ej::jsonb`). `ipt` holds the {info['ip_texts']:,} `dshield.ip.number` texts that are "
          f"valid IPs (inet raises on invalid ones); `cowrie_normalize_ip` equals `host(x::inet)` on all but "
          f"{info['normalize_differs_from_host']} of them. Non-NULL results: chain {info['chain_non_null']:,}, "
          f"cowrie_extract_ip {info['ext_non_null']:,} (it also reads session_metadata and the nested map, and "
          f"returns only valid IPs, canonical). One query per side, `SELECT count(f(x)) FROM t` without parallel workers, after one untimed "
          f"warm-up run; a run of a short query is the mean of several executions (the same count for both sides "
          f"of a pair: {', '.join(f'{k} {v}' for k, v in ((n, d.get('reps', 1)) for n, d in ex.items() if d['peer']))}).\n")
        w('| query | median s | min | max | rows/s | ratio to peer |')
        w('|---|---|---|---|---|---|')
        for name, d in ex.items():
            r = f"{ratio(d['median'], ex[d['peer']]['median']):.2f}x of `{ex[d['peer']]['query']}`" if d['peer'] else '(peer)'
            w(f"| `{d['query']}` | {row_runs(d)} | {fmt_rate(d['rows'], d['median'])} | {r} |")
        w('')

    lk = results.get('lookup')
    if lk:
        w(f'### Lookup ({N:,} sessions, after a default-mode migration)\n')
        w('Per call, from the client: the query sent with the IP array as a parameter and every row fetched. '
          'SQL peer: `bench/peers/lookup.sql` (`WHERE ip_address = ANY($1)`, private/reserved test and type '
          'priority pick in SQL). Both return the same rows (checked).\n')
        w('| IPs | in inventory | rows | side | median s | min | max | IPs/s | ratio ext/SQL |')
        w('|---|---|---|---|---|---|---|---|---|')
        for k, d in lk.items():
            for side, label in (('sql', 'SQL peer'), ('ext', '`cowrie_lookup_snapshots`')):
                r = f"{ratio(d['ext']['median'], d['sql']['median']):.2f}x" if side == 'ext' else '(peer)'
                w(f"| {int(k):,} | {d['in_inventory']:,} | {d['rows']:,} | {label} | {row_runs(d[side])} | "
                  f"{fmt_rate(d['ips'], d[side]['median'])} | {r} |")
        w('')

    if results.get('lookup_memory'):
        w(lookup_memory_markdown(results['lookup_memory']))

    mig = results.get('migration', {})
    for size, m in mig.items():
        size_i = int(size)
        peer = m['peer']
        w(f'### Migration ({size_i:,} sessions)\n')
        w('Peer: upstream\'s road, `test/fixtures/upstream_v16.sql` through psql (create_all as it defaults, '
          'one transaction) then `bench/upstream/backfill_setbased.sql` (one transaction). Extension: '
          '`CREATE EXTENSION cowrie_snapshot`, default mode (fills every session) and deferred mode '
          '(`SET cowrie_snapshot.defer_session_backfill = on`, sessions left to the backfill), timed alone. '
          'The migration holds its locks for its whole transaction, so its write-blocked time is the '
          'CREATE EXTENSION time. WAL: `pg_wal_lsn_diff` of `pg_current_wal_lsn()` around the run. '
          'Peak memory of the backend that ran CREATE EXTENSION: private (RssAnon sampled every 10 ms) '
          'and VmHWM (includes the shared buffers it touched).\n')
        w('| side | median s | min | max | sessions/s | ratio to peer | write-blocked s | WAL MB | peak private MB | VmHWM MB |')
        w('|---|---|---|---|---|---|---|---|---|---|')
        w(f"| peer: upstream v16 SQL + set-based backfill | {row_runs(peer)} | {fmt_rate(size_i, peer['median'])} | (peer) | "
          f"{fmt_s(peer['v16']['median'])} (v16 transaction; its backfill then locks every row it updates for "
          f"{fmt_s(peer['backfill']['median'])} s) | {peer['wal_bytes'] / 2**20:,.0f} | - | - |")
        w(f"| &nbsp;&nbsp;of which upstream v16 SQL | {row_runs(peer['v16'])} | {fmt_rate(size_i, peer['v16']['median'])} | | | | | |")
        w(f"| &nbsp;&nbsp;of which set-based backfill | {row_runs(peer['backfill'])} | {fmt_rate(size_i, peer['backfill']['median'])} | | | | | |")
        for side, label in (('default', 'CREATE EXTENSION, default mode'), ('deferred', 'CREATE EXTENSION, deferred mode')):
            d = m[side]
            w(f"| {label} | {row_runs(d)} | {fmt_rate(size_i, d['median'])} | "
              f"{ratio(d['median'], peer['median']):.3f}x | {fmt_s(d['median'])} | {d['wal_bytes'] / 2**20:,.0f} | "
              f"{fmt_mb(d['anon_kb'])} | {fmt_mb(d['hwm_kb'])} |")
        w('')

    bf = results.get('backfill', {})
    names = {'ext_fn': '`SELECT cowrie_backfill(1000)`', 'ext_commit': '`CALL cowrie_backfill_commit(1000)`',
             'peer_set': 'peer: set-based (`bench/peers/backfill_setbased.sql`)',
             'peer_proc': 'peer: PL/pgSQL keyset procedure, COMMIT per batch',
             'peer_client': 'peer: lean client loop (Python, psycopg 3, prepared UPDATE per session)',
             'peer_upstream': 'peer: upstream loop (Python, SQLAlchemy Session + psycopg2, UPDATE per session)'}
    for size, b in bf.items():
        size_i = int(size)
        w(f'### Backfill ({size_i:,} sessions)\n')
        w(f"From the state deferred mode leaves ({b['eligible']:,} sessions with `snapshot_country` NULL, "
          f"`ip_inventory` filled), one template database copied per run. Every side ends with the same rows "
          f"(md5 over session_id, source_ip, snapshot_asn, snapshot_country, snapshot_ip_type, enrichment_at "
          f"ordered by session_id: `{b['md5']}`; default-mode migration gives "
          f"{'the same' if b['default_mode_md5_equal'] else 'DIFFERENT' if b['default_mode_md5_equal'] is False else 'not compared'}).\n")
        peers = [p for p in ('peer_set', 'peer_proc', 'peer_client', 'peer_upstream') if p in b]
        w('| side | median s | min | max | sessions/s | ' + ' | '.join(f'ratio to {p}' for p in peers)
          + ' | WAL B/session | peak private MB | VmHWM MB | same rows |')
        w('|---|---|---|---|---|' + '---|' * len(peers) + '---|---|---|---|')
        for side in ('ext_fn', 'ext_commit', 'peer_set', 'peer_proc', 'peer_client', 'peer_upstream'):
            if side not in b:
                continue
            d = b[side]
            rs = ' | '.join('(peer)' if p == side else f"{ratio(d['median'], b[p]['median']):.2f}x" for p in peers)
            w(f"| {names[side]} | {row_runs(d)} | {fmt_rate(d['rows'], d['median'])} | {rs} | "
              f"{d['wal_bytes'] / max(d['rows'], 1):,.0f} | {fmt_mb(d['anon_kb'])} | {fmt_mb(d['hwm_kb'])} | "
              f"{'yes' if d['same_rows'] else '**NO**'} |")
        if 'peer_client' not in b:
            w(f"\nThe client-loop peers were not run at this size (CLIENT_LOOP_MAX={CLIENT_LOOP_MAX}).")
        w('')

    if results.get('backfill_v16'):
        w(backfill_v16_markdown(results['backfill_v16']))

    if len(bf) == 2 or len(mig) == 2:
        small, big = sorted(bf or mig, key=int)
        w(f'### Scaling ({int(small):,} to {int(big):,} sessions, same run)\n')
        w(f'| side | {int(small):,} s | {int(big):,} s | time ratio (sizes {int(big) / int(small):.0f}x) |')
        w('|---|---|---|---|')
        for label, get in (('migration peer (v16 SQL + set-based)', lambda s: mig[s]['peer']),
                           ('migration, default mode', lambda s: mig[s]['default']),
                           ('migration, deferred mode', lambda s: mig[s]['deferred']),
                           ('backfill `cowrie_backfill(1000)`', lambda s: bf[s]['ext_fn']),
                           ('backfill `cowrie_backfill_commit(1000)`', lambda s: bf[s]['ext_commit']),
                           ('backfill peer set-based', lambda s: bf[s]['peer_set']),
                           ('backfill peer PL/pgSQL procedure', lambda s: bf[s]['peer_proc']),
                           ('backfill peer lean client loop', lambda s: bf[s].get('peer_client')),
                           ('backfill peer upstream loop', lambda s: bf[s].get('peer_upstream'))):
            try:
                a, c = get(small), get(big)
            except KeyError:
                continue
            if a and c:
                w(f"| {label} | {fmt_s(a['median'])} | {fmt_s(c['median'])} | {ratio(c['median'], a['median']):.1f} |")
        w('')
    if failures:
        w('### FAILURES\n')
        for f in failures:
            w(f'- {f}')
        w('')
    return '\n'.join(L)


TARGETS_TEXT = """The targets of the issues (#6, tightened by #18), evaluated per run in each section's *Targets* table
(runs before #18 were evaluated against #6's 1.1x and 0.3x):

- `cowrie_extract_ip(jsonb)` <= 1.05x the jsonb `->` chain; `cowrie_extract_ip(json)` <= 1.0x the json `->` chain;
  `cowrie_normalize_ip` <= 1.0x `host(x::inet)`
- migration, default mode <= 0.2x the peer (upstream v16 SQL + set-based backfill) at 100k and at production's
  shape; deferred mode <= 0.1x the peer's migration time
- `cowrie_backfill(1000)` <= 1.0x the better of the two SQL peers and >= 7x faster than the upstream loop, at 100k
  and 1M; the committing procedure <= 1.2x the function; 1M/100k time ratio <= 11; backend peak memory
  independent of table size; WAL per session <= the set-based peer's
"""


# BENCH=<kind> runs whose sections BENCHMARKS.md keeps per major, document size and N.
KEYED_SECTIONS = {
    'scheduled': ('Scheduled runs', '`BENCH=scheduled bash bench/run.sh` (N=1000000 by default).'),
    'backfill_v16': ("Backfill on upstream's v16 state",
                     '`BENCH=backfill_v16 bash bench/run.sh` (the section is also part of every full run).'),
    'road': ("Production's road",
             '`BENCH=road N=100000 DOC_BYTES=5000 bash bench/run.sh`: the repair and the backfill on upstream\'s own v16.'),
    'partitioned': ('Plain and partitioned session_summaries',
                    '`BENCH=partitioned bash bench/run.sh`: the same v15 rows in a plain and in a partitioned table (#30).'),
    'citus': ('Single node and Citus',
              '`BENCH=citus bash bench/run.sh`: the same v15 rows on a single node and on a coordinator with two workers (#32).'),
    'write_once': ('Writing every session once: UPDATE or table rewrite',
                   '`BENCH=write_once bash bench/run.sh`: the write of the default-mode migration by mechanism.'),
}


def result_key(d):
    """A result's PostgreSQL major, document size and N: BENCHMARKS.md keeps the latest of each."""
    major = d.get('meta', {}).get('machine', {}).get('postgres', 'PostgreSQL 15').split()[1].split('.')[0]
    return (int(major), d.get('doc_bytes', 0), d['n'])


def write_benchmarks_md():
    """BENCHMARKS.md: the latest result of each N >= 100000 (bench/results/*.json)."""
    rdir = os.path.join(ROOT, 'bench', 'results')
    latest, lookup_memory, keyed = {}, [], {}
    for f in sorted(os.listdir(rdir)):
        if f.endswith('.json'):
            with open(os.path.join(rdir, f)) as fh:
                d = json.load(fh)
            if d.get('kind') == 'lookup_memory':
                lookup_memory.append((f, d))
            elif d.get('kind') in KEYED_SECTIONS:
                keyed.setdefault(d['kind'], {})[result_key(d)] = (f, d)
            elif d.get('n', 0) >= 100000:
                latest[result_key(d)] = (f, d)
    head = ['# Benchmarks', '',
            'Produced by `bash bench/run.sh` (`make bench`): `N=` sessions (default 1000000), `RUNS=` runs per '
            'benchmark (default 3). It builds and installs the extension, starts a throwaway PostgreSQL 15 cluster '
            '(fsync, synchronous_commit and full_page_writes on, shared_buffers 1GB, max_wal_size 4GB, work_mem '
            'default, autovacuum off so that no vacuum of one run overlaps the next; unix socket), generates the '
            'v15 fixture (`test/fixtures/cowrie_v15.sql`, json enrichment) once per size, and runs every benchmark '
            'RUNS times, its sides interleaved, each run on a fresh copy of a template database after a CHECKPOINT. '
            'Each run writes `bench/results/<timestamp>.md` and `.json`; this file is regenerated from the latest '
            'result of each N >= 100000. The machine is shared and noisy (2 cores): compare ratios measured in one '
            'run, not absolute times across runs.', '',
            'Peers: `bench/peers/` (set-based backfill, PL/pgSQL keyset procedure, two Python client loops, the upstream one through SQLAlchemy and a lean psycopg 3 one, SQL lookup) '
            'and upstream\'s migration road (`test/fixtures/upstream_v16.sql` + `bench/upstream/backfill_setbased.sql`). '
            'The backfill peers call the extension\'s pure C rule functions (`cowrie_normalize_ip`, '
            '`cowrie_extract_ip`, `cowrie_event_ip`, `cowrie_session_snapshot`), so they reach exactly the '
            'extension\'s rows; the run fails if any peer ends with different rows. They differ from the extension '
            'in how the work is organised, which is what the backfill numbers compare. Upstream\'s own set-based '
            'backfill (in the migration peer) follows upstream\'s semantics (only sessions whose source_ip is set, '
            'plain overwrite, updated_at = now()), so its rows are not compared.', '',
            TARGETS_TEXT]
    body = []
    notes = os.path.join(ROOT, 'bench', 'lib', 'findings.md')
    if os.path.exists(notes):   # the analysis behind the numbers, kept by hand
        with open(notes) as fh:
            body.append(fh.read())
    for n in sorted(latest):
        f, d = latest[n]
        body.append(d['markdown'])
        body.append(f"(from `bench/results/{f[:-5]}.md`)\n")
    if lookup_memory:
        body.append(lookup_memory_section(lookup_memory))
    for kind, (title, intro) in KEYED_SECTIONS.items():
        if kind not in keyed:
            continue
        body.append('\n'.join([f'## {title}', '', intro + ' The latest run of each PostgreSQL major, document size and N.', '']))
        for key in sorted(keyed[kind]):
            f, d = keyed[kind][key]
            body.append('\n'.join([('#' + line) if line.startswith('#') else line for line in d['markdown'].splitlines()]
                                   + ['', f"(from `bench/results/{f[:-5]}.md`)", '']))
    with open(os.path.join(ROOT, 'BENCHMARKS.md'), 'w') as fh:
        fh.write('\n'.join(head + body))


def lookup_memory_section(runs):
    """BENCHMARKS.md's section: the latest lookup memory run, its headings one level down."""
    f, d = runs[-1]
    lm = d['lookup_memory']
    L = ['## Lookup memory', '',
         '`BENCH=lookup_memory bash bench/run.sh` (the section is also part of every full run); '
         '`LOOKUP_BASELINE=<commit>` adds that commit\'s lookup, side by side in the same run.']
    if lm.get('baseline'):
        def above(ph, side):
            return (ph[side]['anon_kb'] - ph['array']['anon_kb']) / 1024
        parts = [f"{'with the fixture inventory' if p == 'fixture' else 'with every IP in the inventory'}: "
                 f"{above(ph, 'baseline'):+.0f} MB at {lm['baseline']}, {above(ph, 'lookup'):+.0f} MB now; backend CPU "
                 f"{fmt_s(ph['baseline']['cpu']['median'])} s, now {fmt_s(ph['lookup']['cpu']['median'])} s"
                 for p, ph in lm['phases'].items() if 'baseline' in ph]
        L[-1] += (f" Peak private memory above the cost of building the {lm['ips']:,}-element array alone, "
                  + '; '.join(parts) + '.')
    L += ['', f'The latest run (`bench/results/{f[:-5]}.md`):', '']
    L += [('#' + line) if line.startswith('#') else line for line in d['markdown'].splitlines()]
    return '\n'.join(L + [''])


def main_single(kind, title, run, markdown):
    """BENCH=<kind>: one benchmark alone on the fixture of N sessions; its own result files, and
    BENCHMARKS.md's section for it when the run is complete."""
    t_start = time.perf_counter()
    installed = installed_fingerprint()
    stamp = datetime.datetime.now(datetime.timezone.utc).strftime('%Y%m%dT%H%M%SZ')
    meta = {'date': datetime.datetime.now(datetime.timezone.utc).strftime('%Y-%m-%d %H:%M UTC'),
            'machine': machine(), 'commit': extension_commit(), 'settings': os.environ.get('BENCH_SETTINGS', ''),
            'command': os.environ.get('BENCH_COMMAND', f'BENCH={kind} N={N} RUNS={RUNS} bash bench/run.sh')}
    try:
        run(make_fixture(N))
    except Exception as e:   # report what was measured, then fail
        failures.append(f'benchmark aborted: {type(e).__name__}: {e}')
    if not REUSE_FIXTURE:
        drop_db(f'bench_v15_{N}')
    meta['seconds'] = time.perf_counter() - t_start
    if installed_fingerprint() != installed:
        failures.append('the installed extension changed during the run (another make install?): run again')
    L = [f'## {title}, N = {N:,} sessions, RUNS = {RUNS}'
         + (f', documents padded to about {DOC_BYTES:,} bytes' if DOC_BYTES else ''), '']
    L += meta_lines(meta)
    L.append('')
    if results.get(kind):
        L.append(markdown(results[kind]))
    if failures:
        L += ['### FAILURES', ''] + [f'- {f}' for f in failures] + ['']
    md = '\n'.join(L)
    print(md)
    rdir = os.path.join(ROOT, 'bench', 'results')
    os.makedirs(rdir, exist_ok=True)
    name = f"{stamp}-{kind.replace('_', '-')}"
    with open(os.path.join(rdir, f'{name}.md'), 'w') as fh:
        fh.write(md + '\n')
    if not failures:   # BENCHMARKS.md quotes only complete runs
        with open(os.path.join(rdir, f'{name}.json'), 'w') as fh:
            json.dump(dict(results, kind=kind, meta=meta, markdown=md, failures=failures), fh,
                      indent=1, default=str)
        write_benchmarks_md()
    log(f'== written bench/results/{name}.md' + ('' if failures else ' and BENCHMARKS.md'))
    if failures:
        log('BENCHMARK FAILED:\n  ' + '\n  '.join(failures))
        sys.exit(1)


def run_lookup_memory(tpl):
    """BENCH=lookup_memory: only the lookup memory benchmark, on a default-mode migrated fixture of N sessions."""
    db = 'bench_lookup_memory'
    copy_db(db, tpl)
    try:
        with connect(db) as c:
            c.execute('CREATE EXTENSION cowrie_snapshot')
            c.execute('VACUUM ANALYZE')
        log(f'== lookup memory, {LOOKUP_MEMORY_IPS} distinct IPs')
        bench_lookup_memory(db)
    finally:
        drop_db(db)


def run_backfill_v16(tpl):
    log(f"== backfill on upstream's v16 state, {N} sessions")
    bench_backfill_v16(N, tpl)


def run_road(tpl):
    log(f"== production's road, {N} sessions")
    bench_road(N, tpl)


def run_write_once(tpl):
    log(f'== writing every session once: UPDATE or table rewrite, {N} sessions')
    bench_write_once(tpl)


def run_scheduled(tpl):
    log(f'== scheduled runs, {N} sessions')
    bench_scheduled(tpl)


def main():
    t_start = time.perf_counter()
    installed = installed_fingerprint()
    stamp = datetime.datetime.now(datetime.timezone.utc).strftime('%Y%m%dT%H%M%SZ')
    meta = {'date': datetime.datetime.now(datetime.timezone.utc).strftime('%Y-%m-%d %H:%M UTC'),
            'machine': machine(), 'commit': extension_commit(), 'settings': os.environ.get('BENCH_SETTINGS', ''),
            'command': os.environ.get('BENCH_COMMAND', f'N={N} RUNS={RUNS} bash bench/run.sh')}
    try:
        templates = {}
        for size in SIZES:
            templates[size] = make_fixture(size)
        if not SCALE_ONLY:
            bench_extraction(templates[N])
        for size in SIZES:
            log(f'== migration, {size} sessions')
            kept = bench_migration(size, templates[size], keep_for_lookup=(size == N and not SCALE_ONLY))
            if kept:
                log(f'== lookup, {size} sessions')
                bench_lookup(kept)
                log(f'== lookup memory, {LOOKUP_MEMORY_IPS} distinct IPs')
                bench_lookup_memory(kept)
                drop_db(kept)
            log(f'== backfill, {size} sessions')
            bench_backfill(size, templates[size])
            log(f'== backfill on upstream\'s v16 state, {size} sessions')
            bench_backfill_v16(size, templates[size])
    except Exception as e:   # report what was measured, then fail
        failures.append(f'benchmark aborted: {type(e).__name__}: {e}')
    meta['seconds'] = time.perf_counter() - t_start
    if installed_fingerprint() != installed:
        failures.append('the installed extension changed during the run (another make install?): '
                        'the numbers may mix two builds; run again')
    md = report(meta)
    print(md)
    rdir = os.path.join(ROOT, 'bench', 'results')
    os.makedirs(rdir, exist_ok=True)
    with open(os.path.join(rdir, f'{stamp}.md'), 'w') as fh:
        fh.write(md + '\n')
    with open(os.path.join(rdir, f'{stamp}.json'), 'w') as fh:
        json.dump(dict(results, meta=meta, markdown=md, failures=failures), fh, indent=1, default=str)
    write_benchmarks_md()
    log(f'== written bench/results/{stamp}.md and BENCHMARKS.md')
    for size in SIZES:
        drop_db(f'bench_v15_{size}')
    if failures:
        log('BENCHMARK FAILED:\n  ' + '\n  '.join(failures))
        sys.exit(1)


if __name__ == '__main__':
    if sys.argv[1:] == ['--benchmarks-md']:   # only regenerate BENCHMARKS.md (after editing findings.md)
        write_benchmarks_md()
    elif os.environ.get('BENCH', 'all') == 'lookup_memory':
        main_single('lookup_memory', 'Lookup memory', run_lookup_memory, lookup_memory_markdown)
    elif os.environ.get('BENCH', 'all') == 'scheduled':
        main_single('scheduled', 'Scheduled runs', run_scheduled, scheduled_markdown)
    elif os.environ.get('BENCH', 'all') == 'backfill_v16':
        main_single('backfill_v16', "Backfill on upstream's v16 state", run_backfill_v16, backfill_v16_markdown)
    elif os.environ.get('BENCH', 'all') == 'partitioned':
        main_single('partitioned', 'Plain and partitioned session_summaries', run_partitioned, partitioned_markdown)
    elif os.environ.get('BENCH', 'all') == 'citus':
        main_single('citus', 'Single node and Citus', run_citus, citus_markdown)
    elif os.environ.get('BENCH', 'all') == 'road':
        main_single('road', "Production's road", run_road, road_markdown)
    elif os.environ.get('BENCH', 'all') == 'write_once':
        main_single('write_once', 'Writing every session once: UPDATE or table rewrite', run_write_once,
                    write_once_markdown)
    else:
        main()
