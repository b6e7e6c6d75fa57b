# cowrie_snapshot: PGXS build. `make && make install`, then CREATE EXTENSION.

EXTENSION   = cowrie_snapshot
EXTVERSION  = $(shell sed -n "s/^default_version *= *'\(.*\)'/\1/p" $(EXTENSION).control)

MODULE_big  = cowrie_snapshot
CORE_OBJS   = $(patsubst %.c,%.o,$(wildcard src/core/*.c))
OBJS        = $(patsubst %.c,%.o,$(wildcard src/*.c)) $(CORE_OBJS)

# Every versioned install and update script, so adding one needs no edit here.
DATA        = $(wildcard sql/$(EXTENSION)--*.sql)

# Regression tests are the files in sql/ that are not extension scripts.
REGRESS     = $(sort $(filter-out $(EXTENSION)--%,$(basename $(notdir $(wildcard sql/*.sql)))))
REGRESS_OPTS = --inputdir=. --load-extension=$(EXTENSION)

PG_CPPFLAGS = -I$(srcdir)/src -I$(srcdir)/src/core
PG_CFLAGS   = -Wall -Wextra -Werror -Wno-unused-parameter -Wno-sign-compare -Wno-missing-field-initializers

PG_CONFIG  ?= pg_config
PGXS       := $(shell $(PG_CONFIG) --pgxs)
include $(PGXS)

.PHONY: test demo bench unit test-matrix

# The whole suite on the host, then on PostgreSQL 17 and 18 in chroots.
test:
	bash test/run.sh

demo:
	bash tools/demo.sh

bench:
	bash bench/run.sh

unit:
	$(MAKE) -C test/unit check

test-matrix:
	bash test/matrix.sh

# ---------------------------------------------------------------------------
# Release packaging: PGXN archive (make dist), Debian package (make deb), and
# META.json checks (make meta-check). The control file's default_version is the
# single source of truth; PGXN requires SemVer, so 1.1 is released as 1.1.0
# (DISTVERSION), and META.json's version, its provides version and the version
# in debian/changelog must all equal DISTVERSION.
DISTVERSION = $(shell echo '$(EXTVERSION)' | sed -E 's/^([0-9]+)\.([0-9]+)$$/\1.\2.0/; s/^([0-9]+)$$/\1.0.0/')
DISTNAME    = $(EXTENSION)-$(DISTVERSION)
DIST_DIR   ?= .
DEB_DIR    ?= .

.PHONY: meta-check dist deb package-test

# Checks META.json against the PGXN Meta Spec v1.0.0 rules that matter here:
# required keys, known top-level keys, SemVer versions, license, provides (file
# present), prereqs, resources, tags, and the version agreement above.
define META_CHECK_PY
import json, re, os, sys
path, ext, want = sys.argv[1], sys.argv[2], sys.argv[3]
errs = []
def err(msg): errs.append(msg)
SEMVER = r'(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)(-[0-9A-Za-z.-]+)?(\+[0-9A-Za-z.-]+)?'
def semver(v): return isinstance(v, str) and re.fullmatch(SEMVER, v) is not None
def vrange(v):
    if v == 0: return True
    one = r'((==|!=|<=|>=|<|>)\s*)?' + SEMVER
    return isinstance(v, str) and re.fullmatch(r'\s*(' + one + r'|0)(\s*,\s*' + one + r')*\s*', v) is not None
def term(t): return isinstance(t, str) and re.fullmatch(r'[^/\\\s\x00-\x1f\x7f]{2,}', t) is not None
try:
    meta = json.load(open(path, encoding='utf-8'))
except Exception as e:
    sys.exit('%s: not valid JSON: %s' % (path, e))
if not isinstance(meta, dict): sys.exit('%s: not a JSON object' % path)
REQUIRED = ['name', 'abstract', 'version', 'maintainer', 'license', 'provides', 'meta-spec']
OPTIONAL = ['description', 'prereqs', 'no_index', 'resources', 'release_status', 'tags']
for k in REQUIRED:
    if k not in meta: err('missing required key ' + k)
for k in meta:
    if k not in REQUIRED + OPTIONAL and not re.match(r'[xX]_.', k): err('unknown key ' + k)
if meta.get('name') != ext: err('name %r is not %r' % (meta.get('name'), ext))
for k in ('abstract', 'description'):
    if k in meta and not (isinstance(meta[k], str) and meta[k].strip()): err(k + ' must be a non-empty string')
if not semver(meta.get('version')): err('version %r is not SemVer' % meta.get('version'))
if meta.get('version') != want: err('version %r is not %r (the control file default_version in SemVer form)' % (meta.get('version'), want))
m = meta.get('maintainer')
if not (isinstance(m, str) and m.strip() or isinstance(m, list) and m and all(isinstance(x, str) and x.strip() for x in m)): err('maintainer must be a string or a list of strings')
if meta.get('license') != 'postgresql': err('license must be "postgresql" (LICENSE is the PostgreSQL License)')
prov = meta.get('provides')
if not isinstance(prov, dict) or not prov: err('provides must be a non-empty object')
else:
    for name, p in prov.items():
        if not term(name): err('provides: bad extension name %r' % name)
        if not isinstance(p, dict): err('provides.%s must be an object' % name); continue
        for k in p:
            if k not in ('file', 'version', 'abstract', 'docfile', 'docpath') and not re.match(r'[xX]_.', k): err('provides.%s: unknown key %s' % (name, k))
        for k in ('file', 'version'):
            if k not in p: err('provides.%s: missing %s' % (name, k))
        if not semver(p.get('version')): err('provides.%s.version %r is not SemVer' % (name, p.get('version')))
        for k in ('file', 'docfile'):
            if k in p and not os.path.isfile(p[k]): err('provides.%s.%s: no file %s' % (name, k, p[k]))
    if ext not in prov: err('provides has no ' + ext)
    elif prov[ext].get('version') != want: err('provides.%s.version is not %r' % (ext, want))
ms = meta.get('meta-spec')
if not (isinstance(ms, dict) and isinstance(ms.get('version'), str) and re.fullmatch(r'1\.0\.[0-9]+', ms['version'])): err('meta-spec.version must be 1.0.x')
elif 'url' in ms and ms['url'] not in ('https://pgxn.org/meta/spec.txt', 'http://pgxn.org/meta/spec.txt'): err('meta-spec.url is not the spec URL')
pre = meta.get('prereqs', {})
PHASES, RELS = ('configure', 'build', 'test', 'runtime', 'develop'), ('requires', 'recommends', 'suggests', 'conflicts')
if not isinstance(pre, dict): err('prereqs must be an object'); pre = {}
for ph, rels in pre.items():
    if ph not in PHASES: err('prereqs: unknown phase ' + ph); continue
    for rel, deps in (rels or {}).items():
        if rel not in RELS: err('prereqs.%s: unknown relationship %s' % (ph, rel)); continue
        for dep, v in (deps or {}).items():
            if not term(dep) or not vrange(v): err('prereqs.%s.%s.%s: bad version %r' % (ph, rel, dep, v))
pg = pre.get('runtime', {}).get('requires', {}).get('PostgreSQL')
if not vrange(pg) or pg == 0: err('prereqs.runtime.requires.PostgreSQL must give a version')
res = meta.get('resources', {})
if not isinstance(res, dict) or not any(k in res for k in ('homepage', 'bugtracker', 'repository')): err('resources needs homepage, bugtracker or repository')
tags = meta.get('tags', [])
if not (isinstance(tags, list) and tags and len(set(tags)) == len(tags) and all(isinstance(t, str) and 2 <= len(t) <= 255 and re.fullmatch(r'[^/\\\x00-\x1f\x7f]+', t) for t in tags)): err('tags must be unique strings of 2 to 255 characters without / or \\')
if meta.get('release_status', 'stable') not in ('stable', 'testing', 'unstable'): err('release_status must be stable, testing or unstable')
if os.path.isfile('debian/changelog'):
    first = open('debian/changelog', encoding='utf-8').readline()
    mm = re.match(r'\S+ \(([^)]+)\)', first)
    if not mm or mm.group(1) != want: err('debian/changelog version %r is not %r' % (mm and mm.group(1), want))
for e in errs: print('META.json: ' + e, file=sys.stderr)
if errs: sys.exit(1)
print('META.json: valid (PGXN meta-spec %s), %s %s' % (ms['version'], ext, want))
endef
export META_CHECK_PY

meta-check:
	@test -n '$(DISTVERSION)' || { echo 'no default_version in $(EXTENSION).control' >&2; exit 1; }
	@python3 -c "$$META_CHECK_PY" META.json '$(EXTENSION)' '$(DISTVERSION)'

# PGXN release archive from HEAD: $(DIST_DIR)/$(DISTNAME).zip, top directory
# $(DISTNAME)/. The version files must be committed, so HEAD is what was checked.
dist: meta-check
	@for f in META.json $(EXTENSION).control; do git cat-file -e HEAD:$$f 2>/dev/null || \
		{ echo "dist: $$f is not committed" >&2; exit 1; }; done
	@git diff --quiet HEAD -- META.json $(EXTENSION).control debian/changelog || \
		{ echo 'dist: META.json, $(EXTENSION).control or debian/changelog differ from HEAD; commit them first' >&2; exit 1; }
	git archive --format=zip --prefix=$(DISTNAME)/ -o $(DIST_DIR)/$(DISTNAME).zip HEAD
	@echo "$(DIST_DIR)/$(DISTNAME).zip"

# Debian package postgresql-15-cowrie-snapshot, built with dpkg-buildpackage in a
# clean copy of the work tree (tracked files and untracked ones not ignored); the
# .deb is copied to $(DEB_DIR).
deb:
	bash test/package.sh --deb-only $(DEB_DIR)

# Builds and installs the .deb, then runs the regression suite against it (TAP).
package-test:
	bash test/package.sh
