# Background psql clients for the shell tests that need a second session
# (sourced after test/lib/tap.sh): start one, wait for it, poll for a state,
# find its backend, cancel it, read its SQLSTATE. Clients are named
# ${CLIENT_PREFIX}_NAME (application_name), their output is $WORK/NAME.out.
: "${CLIENT_PREFIX:=client}"
BG=()   # pids of the background psql clients this script started
note() { sed 's/^/# /' | cut -c1-200; }

cleanup() {
	local p
	for p in "${BG[@]+"${BG[@]}"}"; do kill "$p" 2>/dev/null; done
	# The backends of those clients (a killed client's backend may live on).
	$PSQL -d postgres -c "SELECT pg_terminate_backend(pid) FROM pg_stat_activity
		WHERE application_name LIKE '${CLIENT_PREFIX}\\_%' AND pid <> pg_backend_pid()" >/dev/null 2>&1
	for p in "${BG[@]+"${BG[@]}"}"; do wait "$p" 2>/dev/null; done
	for db in $DBS; do $PSQL -d postgres -c "DROP DATABASE IF EXISTS $db WITH (FORCE)" >/dev/null 2>&1; done
	rm -rf "$WORK"
}
trap cleanup EXIT
trap "exit 130" INT
trap "exit 143" TERM

# bg NAME DB PSQL-ARGS...: runs psql in the background as application_name
# ${CLIENT_PREFIX}_NAME, output in $WORK/NAME.out; the client's pid in BG_PID.
bg() {
	local name=$1 db=$2; shift 2
	PGAPPNAME=${CLIENT_PREFIX}_$name $PSQL -d "$db" "$@" >"$WORK/$name.out" 2>&1 &
	BG_PID=$!; BG+=("$BG_PID")
}

# bg_wait PID SECONDS: waits for a background client; its exit code, or 124
# (and the client killed) when it outlives SECONDS.
bg_wait() {
	local deadline=$((SECONDS + $2))
	while kill -0 "$1" 2>/dev/null && [ $SECONDS -lt "$deadline" ]; do sleep 0.05; done
	local rc=124 p keep=()
	if kill -0 "$1" 2>/dev/null; then kill "$1" 2>/dev/null; wait "$1" 2>/dev/null; else wait "$1"; rc=$?; fi
	for p in "${BG[@]+"${BG[@]}"}"; do [ "$p" = "$1" ] || keep+=("$p"); done
	BG=("${keep[@]+"${keep[@]}"}")
	return $rc
}

# poll SECONDS SQL: runs SQL (in $POLL_DB, default postgres) every 50 ms until
# it returns a non-empty result, which it prints; fails after SECONDS.
poll() {
	local deadline=$((SECONDS + $1)) out
	while [ $SECONDS -lt "$deadline" ]; do
		out=$($PSQL -At -d "${POLL_DB:-postgres}" -c "$2" 2>/dev/null)
		[ -n "$out" ] && { echo "$out"; return 0; }
		sleep 0.05
	done
	return 1
}

# active_pid NAME MIN_SECONDS LIKE: the backend of ${CLIENT_PREFIX}_NAME once it has been
# active for MIN_SECONDS in a statement LIKE the pattern (10 s at most).
active_pid() {
	poll 10 "SELECT pid FROM pg_stat_activity WHERE application_name = '${CLIENT_PREFIX}_$1' AND state = 'active'
		AND query LIKE '$3' AND clock_timestamp() - query_start >= interval '$2 s'"
}

# lock_held DB NAME MODE [SECONDS]: waits (10 s) until ${CLIENT_PREFIX}_NAME holds MODE
# on DB's session_summaries.
lock_held() {
	local db=$1 name=$2 mode=$3 rel
	rel=$($PSQL -At -d "$db" -c "SELECT 'session_summaries'::regclass::oid") || return 1
	poll "${4:-10}" "SELECT l.pid FROM pg_locks l JOIN pg_stat_activity a USING (pid)
		WHERE a.application_name = '${CLIENT_PREFIX}_$name' AND l.locktype = 'relation' AND l.mode = '$mode'
		  AND l.granted AND l.relation = $rel AND l.database = (SELECT oid FROM pg_database WHERE datname = '$db')" >/dev/null
}

cancel() { $PSQL -At -d postgres -c "SELECT pg_cancel_backend($1)" >/dev/null; }

# The first SQLSTATE a client printed (VERBOSITY verbose: "ERROR:  57014: ...",
# prefixed by "psql:FILE:LINE: " with -f).
sqlstate() { sed -nE 's/^(psql:[^ ]*: )?ERROR:  ([0-9A-Z]{5}): .*/\2/p' "$WORK/$1.out" | head -n 1; }

