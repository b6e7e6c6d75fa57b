#!/usr/bin/env bash
# Packaging test, for the PostgreSQL major of PG_CONFIG (default 15). From a clean
# copy of the work tree (tracked files plus untracked ones that are not ignored):
# checks META.json, builds the PGXN archive with `make dist` and builds it, builds
# the Debian package postgresql-MAJOR-cowrie-snapshot with dpkg-buildpackage,
# installs it with apt-get, and runs the regression suite (make installcheck) and
# CREATE EXTENSION against the INSTALLED package on a throwaway cluster. Prints
# TAP ("ok N - ...", "1..N"); a check that cannot run because an earlier step
# failed is reported as "not ok ... (not run: ...)", so the plan is always the
# same. Exits non-zero on any failure. Needs root. The package stays installed
# afterwards; a later `make install` from the tree overwrites the same files.
# test/matrix.sh runs it in the PostgreSQL 17 and 18 chroots.
#
#   bash test/package.sh                  the test
#   bash test/package.sh --deb-only DIR   only build the .deb into DIR (make deb)
set -uo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
export PG_CONFIG=${PG_CONFIG:-/usr/lib/postgresql/15/bin/pg_config}
. tools/deps.sh
. tools/cluster.sh

EXT=cowrie_snapshot
MAJOR=$("$PG_CONFIG" --version 2>/dev/null | sed -nE 's/^PostgreSQL ([0-9]+).*/\1/p')
PKG=postgresql-${MAJOR:-N}-cowrie-snapshot
PORT=${PACKAGE_TEST_PORT:-$((55420 + ${MAJOR:-15}))}
EXTVERSION=$(sed -n "s/^default_version *= *'\(.*\)'/\1/p" $EXT.control)
START=$(date +%s)
WORK=$(mktemp -d /tmp/cowrie_package.XXXXXX)
chmod 755 "$WORK"  # the cluster under it runs as the postgres user
cleanup() { cluster_stop; rm -rf "$WORK"; }
trap cleanup EXIT
trap 'exit 130' INT TERM

# The plan: every check, in order, so that the ones an early failure prevents
# are still reported (and counted) as failed.
PLAN=(
	"META.json is valid PGXN meta-spec 1.0.0 with the control file's version"
	"make dist: the zip has the single top directory $EXT-VERSION/"
	"the archive builds with -Werror and installs on its own"
	"dpkg-buildpackage -us -uc -b builds $PKG"
	"the .deb holds the module, every extension script and the documents the README links to, has the release version, depends on postgresql-${MAJOR:-N}"
	"apt-get install ./${PKG}_*.deb"
	"the installed extension files are the package's (dpkg --verify, dpkg -S)"
	"throwaway cluster started on port $PORT"
	"make installcheck against the installed package"
	"CREATE EXTENSION $EXT in a fresh database gives $EXTVERSION, and its C functions answer"
	"CREATE EXTENSION $EXT VERSION '1.0' then ALTER EXTENSION UPDATE reaches $EXTVERSION"
)
n=0 failed=0
ok() { n=$((n + 1)); echo "ok $n - ${PLAN[n - 1]}${1:+ ($1)}"; }
not_ok() { # not_ok [DETAIL [LOG]]: the log's tail goes out as TAP comments
	n=$((n + 1)); failed=$((failed + 1)); echo "not ok $n - ${PLAN[n - 1]}${1:+ ($1)}"
	[ -n "${2:-}" ] && [ -f "$2" ] && tail -n 60 "$2" | sed 's/^/# /'
	return 0
}
check() { # check LOG COMMAND...: the next check of the plan, output to LOG
	local log=$1; shift
	if ("$@") >"$log" 2>&1; then ok; else not_ok "" "$log"; return 1; fi
}
finish() { # finish [REASON]: the checks not run yet fail with REASON
	while [ "$n" -lt ${#PLAN[@]} ]; do not_ok "not run: ${1:-an earlier step failed}"; done
	echo "1..$n"
	echo "# $PKG: $((n - failed)) passed, $failed failed, $(($(date +%s) - START)) s"
	[ "$failed" -eq 0 ]
	exit
}

# copy_tree DEST: the work tree's files as git sees them, without build products.
copy_tree() {
	mkdir -p "$1" &&
		git -C "$ROOT" ls-files -z --cached --others --exclude-standard |
		(cd "$ROOT" && while IFS= read -r -d '' f; do
			[ -e "$f" ] || [ -L "$f" ] || continue # deleted in the work tree
			cp -a --parents "$f" "$1/" || exit 1
		done)
}

build_deb() { # build_deb SRC: dpkg-buildpackage there; the .deb lands in SRC/..
	(cd "$1" && dpkg-buildpackage -us -uc -b)
}

make_expand() { # make_expand DIR 'EXPR': EXPR (e.g. $(DATA)) expanded by the Makefile in DIR
	make -s --no-print-directory -C "$1" -f Makefile -f - PG_CONFIG="$PG_CONFIG" print-expr <<<"print-expr: ; @echo $2" 2>/dev/null
}

if [ "${1:-}" = --deb-only ]; then # dpkg-buildpackage itself names missing build dependencies
	out=${2:?usage: test/package.sh --deb-only DIR}
	command -v dpkg-buildpackage >/dev/null ||
		{ echo "dpkg-buildpackage is not installed: apt-get install build-essential debhelper postgresql-server-dev-all (or bash tools/deps.sh)" >&2; exit 1; }
	copy_tree "$WORK/src" && build_deb "$WORK/src" && cp "$WORK"/*.deb "$out"/ && ls -1 "$out"/postgresql-*-cowrie-snapshot_*.deb
	exit
fi

[ -n "$MAJOR" ] || finish "no PostgreSQL at PG_CONFIG=$PG_CONFIG"
install_deps >"$WORK/deps.log" 2>&1 || { sed 's/^/# /' "$WORK/deps.log"; finish "could not install the build dependencies"; }
command -v git >/dev/null || finish "git is not installed"
git -C "$ROOT" rev-parse --git-dir >/dev/null 2>&1 || finish "$ROOT is not a git work tree"
copy_tree "$WORK/src" || finish "could not copy the work tree"
cp -a "$WORK/src" "$WORK/dist-src"
VERSION=$(make_expand "$WORK/src" '$(DISTVERSION)')
DISTNAME=$EXT-$VERSION
PLAN[1]="make dist: $DISTNAME.zip with the single top directory $DISTNAME/"
echo "# $PKG $VERSION from $ROOT, in $WORK"

# 1. META.json against the PGXN meta spec rules and the control file's version.
check "$WORK/meta.log" make -s -C "$WORK/src" meta-check

# 2-3. make dist from a commit of the copy: one top directory, builds and installs on its own.
dist_test() {
	cd "$WORK/dist-src" && git init -q && git add -A &&
		git -c user.name=package-test -c user.email=package-test@localhost commit -qm snapshot &&
		make -s dist DIST_DIR="$WORK" &&
		[ -f "$WORK/$DISTNAME.zip" ] &&
		tops=$(unzip -Z1 "$WORK/$DISTNAME.zip" | cut -d/ -f1 | sort -u) &&
		echo "top directories: $tops" && [ "$tops" = "$DISTNAME" ] &&
		unzip -Z1 "$WORK/$DISTNAME.zip" | grep -x "$DISTNAME/META.json"
}
check "$WORK/dist.log" dist_test
dist_build() {
	mkdir "$WORK/unzip" && cd "$WORK/unzip" && unzip -q "$WORK/$DISTNAME.zip" && cd "$DISTNAME" &&
		make PG_CONFIG="$PG_CONFIG" && make install PG_CONFIG="$PG_CONFIG"
}
if [ -f "$WORK/$DISTNAME.zip" ]; then
	check "$WORK/dist-build.log" dist_build
else
	not_ok "not run: no archive"
fi

# 4. The Debian package, built with pg_buildext from the clean copy: one package
# per major in debian/pgversions whose server-dev package is installed.
check "$WORK/deb.log" build_deb "$WORK/src" || finish "the package did not build"
DEB=$(ls "$WORK"/${PKG}_*.deb 2>/dev/null | head -n 1)
[ -n "$DEB" ] || { sed -n 's/^dpkg-deb: building package/# &/p' "$WORK/deb.log"; finish "no $PKG .deb was produced"; }

# 5. What the package carries and depends on: the module and every script the
# Makefile installs (DATA), so the check follows the sql/ layout.
deb_contents() {
	dpkg-deb -I "$DEB" && dpkg-deb -c "$DEB" || return 1
	local f files=(./usr/lib/postgresql/$MAJOR/lib/$EXT.so ./usr/share/postgresql/$MAJOR/extension/$EXT.control)
	for f in $(make_expand "$WORK/dist-src" '$(DATA) $(DATA_built)'); do
		files+=("./usr/share/postgresql/$MAJOR/extension/$(basename "$f")")
	done
	[ ${#files[@]} -gt 2 ] || { echo "the Makefile names no extension scripts (DATA)"; return 1; }
	# The documents the README links to (dh_compress may have gzipped them).
	for f in TESTING.md BENCHMARKS.md "$WORK"/dist-src/docs/*.md; do
		f=./usr/share/doc/$PKG/${f#"$WORK"/dist-src/}
		dpkg-deb -c "$DEB" | awk '{print $NF}' | grep -x -e "$f" -e "$f.gz" || { echo "missing $f"; return 1; }
	done
	for f in "${files[@]}"; do
		dpkg-deb -c "$DEB" | awk '{print $NF}' | grep -x "$f" || { echo "missing $f"; return 1; }
	done
	[ "$(dpkg-deb -f "$DEB" Version)" = "$VERSION" ] || { echo "package version is not $VERSION"; return 1; }
	dpkg-deb -f "$DEB" Depends | grep "postgresql-$MAJOR" || { echo "no dependency on postgresql-$MAJOR"; return 1; }
}
check "$WORK/contents.log" deb_contents

# 6. Install it, and check that the server's extension files are the package's.
deb_install() {
	(cd "$WORK" && DEBIAN_FRONTEND=noninteractive apt-get install -y --reinstall "./$(basename "$DEB")") &&
		dpkg-query -W -f='${Status} ${Version}\n' "$PKG" | grep -x "install ok installed $VERSION"
}
check "$WORK/install.log" deb_install || finish "the package did not install"
deb_owned() {
	dpkg --verify "$PKG" || return 1
	local f
	for f in "$("$PG_CONFIG" --pkglibdir)/$EXT.so" "$("$PG_CONFIG" --sharedir)"/extension/$EXT*; do
		dpkg -S "$f" | grep "^$PKG:" || { echo "$f is not from $PKG"; return 1; }
	done
}
check "$WORK/owned.log" deb_owned

# 8-11. The regression suite and CREATE EXTENSION against the installed package.
if cluster_start "$WORK/cluster" "$PORT" >"$WORK/cluster.log" 2>&1; then
	ok
else
	not_ok "" "$WORK/cluster.log"; finish "no cluster"
fi

installcheck() {
	cd "$WORK/src" && make installcheck PG_CONFIG="$PG_CONFIG" || {
		[ -f regression.diffs ] && head -n 200 regression.diffs; return 1; }
	[ ! -e "$EXT.so" ] || { echo "installcheck built the module instead of using the package"; return 1; }
}
if check "$WORK/regress.log" installcheck; then
	grep -E '^(test |ok |not ok |# All|=+ All)' "$WORK/regress.log" | sed 's/^/# /'
fi

create_extension() {
	"$PGBIN/createdb" cowrie_package_fresh && "$PGBIN/psql" -X -v ON_ERROR_STOP=1 -At -d cowrie_package_fresh -c "
		CREATE EXTENSION $EXT;
		SELECT extversion, cowrie_normalize_ip(' 2001:DB8:0:0:0:0:0:1 '), cowrie_primary_ip_type(ARRAY['RESIDENTIAL', 'vpn'])
		FROM pg_extension WHERE extname = '$EXT';" | tee /dev/stderr | grep -x "$EXTVERSION|2001:db8::1|VPN"
}
check "$WORK/create.log" create_extension

update_extension() {
	"$PGBIN/createdb" cowrie_package_update && "$PGBIN/psql" -X -v ON_ERROR_STOP=1 -At -d cowrie_package_update -c "
		CREATE EXTENSION $EXT VERSION '1.0';
		ALTER EXTENSION $EXT UPDATE;
		SELECT extversion FROM pg_extension WHERE extname = '$EXT';" | tee /dev/stderr | grep -x "$EXTVERSION"
}
check "$WORK/update.log" update_extension

finish
