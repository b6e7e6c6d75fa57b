#!/usr/bin/env python3
"""PL/pgSQL statement and branch coverage from plpgsql_check's profiles.

  plpgsql_coverage.py REFERENCE.tsv PROFILE.tsv...

Each file holds rows "routine-key, stmtid, parent_stmtid, parent_note,
exec_stmts, stmtname" (test/coverage/collect_plpgsql.sql). REFERENCE is a fresh
install's (every routine of the current version, nothing run); the PROFILE
files add up per routine and statement, over every database. As
plpgsql_check's plpgsql_coverage_statements and _branches count:
a statement is covered when it ran; the branches are each IF's THEN, ELSIF and
ELSE (an absent ELSE is taken when the IF ran more often than its branches),
each CASE's WHEN and ELSE (likewise), each loop's body, and a block with
EXCEPTION handlers: its body and each handler. (Checked against
plpgsql_coverage_branches routine by routine on one database.)"""
import collections, sys

def read(path):
    rows = []
    for line in open(path, encoding='utf-8'):
        f = line.rstrip('\n').split('\t')
        if len(f) == 6:
            rows.append((f[0], int(f[1]), int(f[2]), f[3], int(f[4]), f[5]))
    return rows

ref = read(sys.argv[1])
stmts = {(r[0], r[1]): r for r in ref}
runs = collections.Counter()
for path in sys.argv[2:]:
    for r in read(path):
        if (r[0], r[1]) in stmts:
            runs[(r[0], r[1])] += r[4]

children = collections.defaultdict(lambda: collections.defaultdict(list))
for (key, sid), r in stmts.items():
    if r[2] >= 0:
        children[(key, r[2])][r[3]].append(sid)

s_total = len(stmts)
s_hit = sum(1 for k in stmts if runs[k] > 0)
b_total = b_hit = 0
per_routine = collections.defaultdict(lambda: [0, 0, 0, 0])
for (key, sid), r in stmts.items():
    name = r[5].upper()
    pr = per_routine[key.split(':')[0]]
    pr[0] += 1; pr[1] += runs[(key, sid)] > 0
    groups = children.get((key, sid), {})
    if name in ('IF', 'CASE'):
        firsts = [min(ids) for ids in groups.values()]
        branches = [runs[(key, f)] > 0 for f in firsts]
        if not any('else' in note for note in groups):
            branches.append(runs[(key, sid)] > sum(runs[(key, f)] for f in firsts))
    elif any(note.startswith('exception') for note in groups):
        branches = [runs[(key, min(ids))] > 0 for ids in groups.values()]
    elif any(w in name for w in ('LOOP', 'FOR', 'WHILE', 'FOREACH')):
        branches = [any(runs[(key, min(ids))] > 0 for ids in groups.values())] if groups else []
    else:
        continue
    b_total += len(branches); b_hit += sum(branches)
    pr[2] += len(branches); pr[3] += sum(branches)

if __import__('os').environ.get('COWRIE_COVERAGE_VERBOSE'):
    for name, (st, sh, bt, bh) in sorted(per_routine.items()):
        print('#   %-45s statements %3d/%-3d branches %3d/%-3d' % (name, sh, st, bh, bt))
pct = lambda a, b: 100.0 * a / b if b else 100.0
print('PL/pgSQL: statements %.1f%% (%d of %d), branches %.1f%% (%d of %d), %d routines'
      % (pct(s_hit, s_total), s_hit, s_total, pct(b_hit, b_total), b_hit, b_total, len(per_routine)))
