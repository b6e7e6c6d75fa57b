# Citus for the tests (sourced, after tools/cluster.sh): build it from the release
# sources in ../shared/vendor/citus once per PostgreSQL major and Citus version into a
# cache that later runs reuse, install it into the server under test, and start a
# coordinator and two workers on unix sockets.
#   citus_sources_present                  true when the vendor tarball for this major is there
#   citus_build                            build into the cache (or reuse it); prints one line
#   citus_install                          copy the cached build into $PG_CONFIG's server
#   citus_cluster_start BASE PORT          coordinator BASE_c:PORT, workers BASE_w1, BASE_w2 (PORT+1, +2)
#   citus_db_create DB [TEMPLATE]          the database on all three nodes (on the coordinator a copy
#                                          of TEMPLATE), citus in it, the workers added
#   citus_db_drop DB
#   citus_cluster_stop                     all three (call it from the caller's trap)
# Overrides: COWRIE_CITUS_VENDOR (the sources), COWRIE_CITUS_CACHE (the cache);
# CITUS_NODE_SETTINGS, extra postgres -c settings of every node (the benchmark's durable ones).
# Citus is built without lz4 and zstd of its own (columnar compression, unused
# here); the server's headers still need zstd's, GSSAPI's, ICU's and (18) libcurl's
# (tools/deps.sh: COWRIE_CITUS_DEPS). With libcurl, Citus's anonymous statistics stay
# off: this build does not define ENABLE_CITUS_STATISTICS_COLLECTION.

CITUS_VENDOR=${COWRIE_CITUS_VENDOR:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)/../shared/vendor/citus}
CITUS_CACHE=${COWRIE_CITUS_CACHE:-/tmp/cowrie-chroots/citus-cache}
CITUS_MAJOR=$("$PG_CONFIG" --version | sed -E 's/^PostgreSQL ([0-9]+).*/\1/')
case $CITUS_MAJOR in
15 | 16 | 17) CITUS_VERSION=13.2.2 ;;
18) CITUS_VERSION=14.0.1 ;;
*) CITUS_VERSION= ;;
esac
CITUS_TARBALL=$CITUS_VENDOR/citus-$CITUS_VERSION.tar.gz
CITUS_KEY=$CITUS_CACHE/$CITUS_MAJOR-$CITUS_VERSION
CITUS_NODES=()
CITUS_CONFIGURE="--without-lz4 --without-zstd"

citus_sources_present() { [ -n "$CITUS_VERSION" ] && [ -f "$CITUS_TARBALL" ]; }

# What the cached build was made from: a cache whose stamp differs is rebuilt.
citus_stamp() {
	echo "citus=$CITUS_VERSION tarball=$(sha256sum <"$CITUS_TARBALL" | cut -c1-16)" \
		"patch=$( [ -f "$CITUS_VENDOR/citus-pg15.20.patch" ] && sha256sum <"$CITUS_VENDOR/citus-pg15.20.patch" | cut -c1-16)" \
		"server=$("$PG_CONFIG" --version | tr ' ' _) configure=$(echo $CITUS_CONFIGURE | tr ' ' ,)"
}

# citus_build: configure, make, and a staged install (DESTDIR) whose library and
# extension files go to $CITUS_KEY/lib and $CITUS_KEY/extension. One build at a
# time per key (flock); a complete cache (its stamp last) is reused.
citus_build() {
	citus_sources_present || { echo "no Citus sources for PostgreSQL $CITUS_MAJOR in $CITUS_VENDOR"; return 1; }
	mkdir -p "$CITUS_CACHE" || return 1
	local stamp rc t0=$SECONDS
	stamp=$(citus_stamp)
	(
		flock 8
		if [ -f "$CITUS_KEY/stamp" ] && [ "$(cat "$CITUS_KEY/stamp")" = "$stamp" ]; then
			echo "reusing $CITUS_KEY (Citus $CITUS_VERSION for $("$PG_CONFIG" --version))"
			exit 0
		fi
		rm -rf "$CITUS_KEY" "$CITUS_KEY.build" && mkdir -p "$CITUS_KEY.build" || exit 1
		local log=$CITUS_KEY.build.log src pkglib share
		tar -C "$CITUS_KEY.build" -xzf "$CITUS_TARBALL" || exit 1
		src=$(find "$CITUS_KEY.build" -mindepth 1 -maxdepth 1 -type d | head -n 1)
		# 13.2.2 declares its own have_createdb_privilege(), which 15.20 exports
		# too; the patch guards it by version, so it is harmless on other minors.
		if [ "$CITUS_MAJOR" = 15 ] && [ -f "$CITUS_VENDOR/citus-pg15.20.patch" ]; then
			patch -d "$src" -p1 <"$CITUS_VENDOR/citus-pg15.20.patch" >"$log" 2>&1 || { cat "$log"; exit 1; }
		fi
		(cd "$src" && ./configure PG_CONFIG="$PG_CONFIG" $CITUS_CONFIGURE &&
			make -j"$(nproc)" && make install DESTDIR="$CITUS_KEY.build/root") >>"$log" 2>&1 ||
			{ tail -n 40 "$log"; exit 1; }
		pkglib=$CITUS_KEY.build/root$("$PG_CONFIG" --pkglibdir)
		share=$CITUS_KEY.build/root$("$PG_CONFIG" --sharedir)/extension
		mkdir -p "$CITUS_KEY" && cp -a "$pkglib" "$CITUS_KEY/lib" && cp -a "$share" "$CITUS_KEY/extension" || exit 1
		rm -rf "$CITUS_KEY.build"
		echo "$stamp" >"$CITUS_KEY/stamp"
		echo "built Citus $CITUS_VERSION for $("$PG_CONFIG" --version) in $((SECONDS - t0)) s into $CITUS_KEY"
	) 8>"$CITUS_KEY.lock"
}

# citus_install: the cached files into the server of $PG_CONFIG.
citus_install() {
	[ -f "$CITUS_KEY/stamp" ] || { echo "no Citus build in $CITUS_KEY"; return 1; }
	cp -a "$CITUS_KEY/lib/." "$("$PG_CONFIG" --pkglibdir)/" &&
		cp -a "$CITUS_KEY/extension/." "$("$PG_CONFIG" --sharedir)/extension/"
}

# citus_node_start DIR PORT: one node (initdb, citus preloaded), unix socket only.
citus_node_start() {
	local dir=$1 port=$2
	rm -rf "$dir" && mkdir -p "$dir" || return 1
	[ "$(id -u)" = 0 ] && chown postgres: "$dir"
	as_postgres "$PGBIN/initdb" -D "$dir/data" -A trust -U postgres -E UTF8 --locale=C.UTF-8 --no-sync \
		>"$dir/initdb.log" 2>&1 || { cat "$dir/initdb.log"; return 1; }
	CITUS_NODES+=("$dir")
	as_postgres "$PGBIN/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w start \
		-o "-c listen_addresses='' -k $dir -p $port -c fsync=off -c shared_preload_libraries=citus -c max_connections=100 -c citus.node_conninfo='sslmode=disable'${CITUS_NODE_SETTINGS:+$(printf ' -c %s' $CITUS_NODE_SETTINGS)}" \
		>/dev/null || { cat "$dir/server.log"; return 1; }
}

# citus_cluster_start BASE PORT: the coordinator (BASE_c, PORT; PGHOST and PGPORT
# point at it) and workers BASE_w1 (PORT+1) and BASE_w2 (PORT+2).
citus_cluster_start() {
	local base=$1 port=$2
	CITUS_COORD=${base}_c CITUS_PORT=$port
	CITUS_WORKERS=("${base}_w1:$((port + 1))" "${base}_w2:$((port + 2))")
	export PGHOST=$CITUS_COORD PGPORT=$port PGUSER=postgres PGDATABASE=postgres
	citus_node_start "$CITUS_COORD" "$port" || return 1
	local w
	for w in "${CITUS_WORKERS[@]}"; do citus_node_start "${w%:*}" "${w##*:}" || return 1; done
}

citus_cluster_stop() {
	local dir
	for dir in "${CITUS_NODES[@]}"; do
		[ -f "$dir/data/postmaster.pid" ] &&
			as_postgres "$PGBIN/pg_ctl" -D "$dir/data" -m fast -w stop >/dev/null 2>&1
	done
	CITUS_NODES=()
	return 0
}

# citus_db_create DB [TEMPLATE]: the database on every node with the citus
# extension (on the coordinator a copy of TEMPLATE, a database without citus),
# the coordinator registered and both workers added (on the coordinator).
citus_db_create() {
	local db=$1 template=${2:+ TEMPLATE $2} w psql="$PGBIN/psql -X -q -v ON_ERROR_STOP=1"
	$psql -h "$CITUS_COORD" -p "$CITUS_PORT" -d postgres -c "CREATE DATABASE $db$template" || return 1
	for w in "${CITUS_WORKERS[@]}"; do
		$psql -h "${w%:*}" -p "${w##*:}" -d postgres -c "CREATE DATABASE $db" || return 1
	done
	for w in "$CITUS_COORD:$CITUS_PORT" "${CITUS_WORKERS[@]}"; do
		$psql -h "${w%:*}" -p "${w##*:}" -d "$db" -c 'SET client_min_messages = warning' -c 'CREATE EXTENSION citus' || return 1
	done
	$psql -h "$CITUS_COORD" -p "$CITUS_PORT" -d "$db" -c "SELECT citus_set_coordinator_host('$CITUS_COORD', $CITUS_PORT)" >/dev/null || return 1
	for w in "${CITUS_WORKERS[@]}"; do
		$psql -h "$CITUS_COORD" -p "$CITUS_PORT" -d "$db" -c "SELECT citus_add_node('${w%:*}', ${w##*:})" >/dev/null || return 1
	done
}

citus_db_drop() {
	local db=$1 w
	for w in "$CITUS_COORD:$CITUS_PORT" "${CITUS_WORKERS[@]}"; do
		"$PGBIN/psql" -X -q -h "${w%:*}" -p "${w##*:}" -d postgres -c "DROP DATABASE IF EXISTS $db WITH (FORCE)" >/dev/null 2>&1
	done
	return 0
}
