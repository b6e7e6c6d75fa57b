# Throwaway PostgreSQL cluster helpers, sourced by the test, demo and bench scripts.
# PostgreSQL refuses to run as root, so the server runs as the `postgres` OS user,
# listens only on a unix socket under /tmp, and is always stopped by the caller's trap.

: "${PG_CONFIG:=$(command -v /usr/lib/postgresql/15/bin/pg_config || command -v pg_config)}"
PGBIN=$("$PG_CONFIG" --bindir)
export PG_CONFIG PGBIN

as_postgres() {
	if [ "$(id -u)" = 0 ]; then
		# from /: postgres may not enter the caller's directory (e.g. a clone under /root)
		(cd / && runuser -u postgres -- "$@")
	else
		"$@"
	fi
}

# cluster_start DIR PORT [extra postgres -c settings...]
cluster_start() {
	CLUSTER_DIR=$(realpath -m "$1") # absolute: as_postgres runs from /, and PGHOST must be
	export PGHOST=$CLUSTER_DIR PGPORT=$2 PGUSER=postgres PGDATABASE=postgres
	shift 2
	rm -rf "$CLUSTER_DIR"
	mkdir -p "$CLUSTER_DIR"
	[ "$(id -u)" = 0 ] && chown postgres: "$CLUSTER_DIR"
	as_postgres "$PGBIN/initdb" -D "$CLUSTER_DIR/data" -A trust -U postgres \
		-E UTF8 --locale=C.UTF-8 --no-sync >"$CLUSTER_DIR/initdb.log" 2>&1 ||
		{ cat "$CLUSTER_DIR/initdb.log"; return 1; }
	local opts="-c listen_addresses='' -k $CLUSTER_DIR -p $PGPORT -c fsync=off"
	for setting in "$@"; do opts="$opts -c $setting"; done
	as_postgres "$PGBIN/pg_ctl" -D "$CLUSTER_DIR/data" -l "$CLUSTER_DIR/server.log" \
		-o "$opts" -w start >/dev/null ||
		{ cat "$CLUSTER_DIR/server.log"; return 1; }
}

cluster_stop() {
	[ -n "${CLUSTER_DIR:-}" ] && [ -f "$CLUSTER_DIR/data/postmaster.pid" ] &&
		as_postgres "$PGBIN/pg_ctl" -D "$CLUSTER_DIR/data" -m fast -w stop >/dev/null 2>&1
	return 0
}
