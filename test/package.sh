#!/usr/bin/env bash
# Packaging test. From a clean copy of the work tree (tracked files plus untracked
# ones that are not ignored): checks META.json, builds the PGXN archive with
# `make dist` and builds it, builds the Debian package postgresql-15-cowrie-snapshot
# with dpkg-buildpackage, installs it with apt-get, and runs the regression suite
# (make installcheck) and CREATE EXTENSION against the INSTALLED package on a
# throwaway cluster. Prints TAP ("ok N - ...", "1..N") and exits non-zero on any
# failure. Needs root. The package stays installed afterwards; a later
# `make install` from the tree overwrites the same files.
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
PKG=postgresql-15-cowrie-snapshot
PORT=${PACKAGE_TEST_PORT:-55435}
START=$(date +%s)
WORK=$(mktemp -d /tmp/cowrie_package.XXXXXX)
chmod 755 "$WORK"  # the cluster under it runs as the postgres user
cleanup() { cluster_stop; rm -rf "$WORK"; }
trap cleanup EXIT
trap 'exit 130' INT TERM

n=0 failed=0
ok() { n=$((n + 1)); echo "ok $n - $1"; }
not_ok() { # not_ok DESCRIPTION [LOG]: the log's tail goes out as TAP comments
	n=$((n + 1)); failed=$((failed + 1)); echo "not ok $n - $1"
	[ -n "${2:-}" ] && [ -f "$2" ] && tail -n 60 "$2" | sed 's/^/# /'
	return 0
}
check() { # check DESCRIPTION LOG COMMAND...: runs COMMAND with output to LOG
	local desc=$1 log=$2; shift 2
	if ("$@") >"$log" 2>&1; then ok "$desc"; else not_ok "$desc" "$log"; return 1; fi
}
finish() {
	echo "1..$n"
	echo "# $((n - failed)) passed, $failed failed, $(($(date +%s) - START)) s"
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

if [ "${1:-}" = --deb-only ]; then # dpkg-buildpackage itself names missing build dependencies
	out=${2:?usage: test/package.sh --deb-only DIR}
	copy_tree "$WORK/src" && build_deb "$WORK/src" && cp "$WORK"/*.deb "$out"/ && ls -1 "$out"/${PKG}_*.deb
	exit
fi

install_deps debhelper postgresql-server-dev-all dpkg-dev python3 unzip git >"$WORK/deps.log" 2>&1 ||
	{ cat "$WORK/deps.log"; echo "Bail out! could not install the build dependencies"; exit 1; }

copy_tree "$WORK/src" || { echo "Bail out! could not copy the work tree"; exit 1; }
cp -a "$WORK/src" "$WORK/dist-src"
VERSION=$(make -s --no-print-directory -C "$WORK/src" -f Makefile -f - <<<'print-distversion: ; @echo $(DISTVERSION)' print-distversion 2>/dev/null)
DISTNAME=$EXT-$VERSION
echo "# $PKG $VERSION from $ROOT, in $WORK"

# 1. META.json against the PGXN meta spec rules and the control file's version.
check "META.json is valid PGXN meta-spec 1.0.0 with version $VERSION" "$WORK/meta.log" \
	make -s -C "$WORK/src" meta-check

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
check "make dist: $DISTNAME.zip with the single top directory $DISTNAME/" "$WORK/dist.log" dist_test
dist_build() {
	mkdir "$WORK/unzip" && cd "$WORK/unzip" && unzip -q "$WORK/$DISTNAME.zip" && cd "$DISTNAME" &&
		make PG_CONFIG="$PG_CONFIG" && make install PG_CONFIG="$PG_CONFIG"
}
if [ -f "$WORK/$DISTNAME.zip" ]; then
	check "the archive builds with -Werror and installs on its own" "$WORK/dist-build.log" dist_build
else
	not_ok "the archive builds with -Werror and installs on its own (no archive)"
fi

# 4. The Debian package, built with pg_buildext from the clean copy.
if check "dpkg-buildpackage -us -uc -b builds $PKG" "$WORK/deb.log" build_deb "$WORK/src"; then :; else finish; fi
DEB=$(ls "$WORK"/${PKG}_*.deb 2>/dev/null | head -n 1)
[ -n "$DEB" ] || { not_ok "a $PKG .deb was produced"; finish; }

# 5. What the package carries and depends on.
deb_contents() {
	dpkg-deb -I "$DEB" && dpkg-deb -c "$DEB" || return 1
	local f
	for f in ./usr/lib/postgresql/15/lib/$EXT.so ./usr/share/postgresql/15/extension/$EXT.control \
		./usr/share/postgresql/15/extension/$EXT--1.0.sql ./usr/share/postgresql/15/extension/$EXT--1.0--1.1.sql; do
		dpkg-deb -c "$DEB" | awk '{print $NF}' | grep -x "$f" || { echo "missing $f"; return 1; }
	done
	[ "$(dpkg-deb -f "$DEB" Version)" = "$VERSION" ] || { echo "package version is not $VERSION"; return 1; }
	dpkg-deb -f "$DEB" Depends | grep 'postgresql-15' || { echo "no dependency on postgresql-15"; return 1; }
}
check "$(basename "$DEB") holds the module and the 1.0, 1.0--1.1 scripts, version $VERSION, depends on postgresql-15" \
	"$WORK/contents.log" deb_contents

# 6. Install it, and check that the server's extension files are the package's.
deb_install() {
	(cd "$WORK" && DEBIAN_FRONTEND=noninteractive apt-get install -y --reinstall "./$(basename "$DEB")") &&
		dpkg-query -W -f='${Status} ${Version}\n' "$PKG" | grep -x "install ok installed $VERSION"
}
check "apt-get install ./$(basename "$DEB")" "$WORK/install.log" deb_install
deb_owned() {
	dpkg --verify "$PKG" || return 1
	local f
	for f in "$("$PG_CONFIG" --pkglibdir)/$EXT.so" "$("$PG_CONFIG" --sharedir)"/extension/$EXT*; do
		dpkg -S "$f" | grep "^$PKG:" || { echo "$f is not from $PKG"; return 1; }
	done
}
check "the installed extension files are the package's (dpkg --verify, dpkg -S)" "$WORK/owned.log" deb_owned

# 7-10. The regression suite and CREATE EXTENSION against the installed package.
if cluster_start "$WORK/cluster" "$PORT" >"$WORK/cluster.log" 2>&1; then
	ok "throwaway cluster started on port $PORT"
else
	not_ok "throwaway cluster started on port $PORT" "$WORK/cluster.log"; finish
fi

installcheck() {
	cd "$WORK/src" && make installcheck PG_CONFIG="$PG_CONFIG" || {
		[ -f regression.diffs ] && head -n 200 regression.diffs; return 1; }
	[ ! -e "$EXT.so" ] || { echo "installcheck built the module instead of using the package"; return 1; }
}
if check "make installcheck against the installed package" "$WORK/regress.log" installcheck; then
	grep -E '^(test |ok |not ok |# All|=+ All)' "$WORK/regress.log" | sed 's/^/# /'
fi

create_extension() {
	"$PGBIN/createdb" cowrie_package_fresh && "$PGBIN/psql" -X -v ON_ERROR_STOP=1 -At -d cowrie_package_fresh -c "
		CREATE EXTENSION $EXT;
		SELECT extversion, cowrie_normalize_ip(' 2001:DB8:0:0:0:0:0:1 '), cowrie_primary_ip_type(ARRAY['RESIDENTIAL', 'vpn'])
		FROM pg_extension WHERE extname = '$EXT';" | tee /dev/stderr | grep -x '1.1|2001:db8::1|VPN'
}
check "CREATE EXTENSION $EXT in a fresh database gives 1.1, and its C functions answer" "$WORK/create.log" create_extension

update_extension() {
	"$PGBIN/createdb" cowrie_package_update && "$PGBIN/psql" -X -v ON_ERROR_STOP=1 -At -d cowrie_package_update -c "
		CREATE EXTENSION $EXT VERSION '1.0';
		ALTER EXTENSION $EXT UPDATE;
		SELECT extversion FROM pg_extension WHERE extname = '$EXT';" | tee /dev/stderr | grep -x '1.1'
}
check "CREATE EXTENSION $EXT VERSION '1.0' then ALTER EXTENSION UPDATE reaches 1.1" "$WORK/update.log" update_extension

finish
