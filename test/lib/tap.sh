# Shared by the shell tests under test/scripts: TAP output, psql against the
# suite's cluster (PGHOST, PGPORT, PGUSER, PGBIN), a scratch directory.
set -uo pipefail
PSQL="$PGBIN/psql -X -q -v ON_ERROR_STOP=1"
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
n=0

# ok STATUS DESCRIPTION: one TAP line from a command's exit status.
ok() { n=$((n + 1)); if [ "$1" = 0 ]; then echo "ok $n - $2"; else echo "not ok $n - $2"; fi; }

# setup STATUS DESCRIPTION: a set-up step or a property of the fixture, not a check
# of the extension: when it succeeds, a TAP comment (no pass is counted); when it
# fails, a "not ok" (one failure), the plan and "Bail out!", and the script exits 1.
# Call it from the script's own shell, not from a $(...) or a pipeline.
setup() {
	if [ "$1" = 0 ]; then
		echo "# set-up: $2"
	else
		n=$((n + 1)); echo "not ok $n - set-up failed: $2"; echo "1..$n"; echo "Bail out! set-up failed: $2"
		exit 1
	fi
}

# apply_layout DB: with COWRIE_LAYOUT=range|sub|list|hash (test/suite.sh's
# partitioned pass), the session_summaries a fixture just made in DB is
# partitioned by test/lib/partition_sessions.sql (rows, indexes, owner kept);
# without it, or with plain, nothing happens. A set-up step: call it as
# `apply_layout DB; setup $? "..."`.
apply_layout() {
	case "${COWRIE_LAYOUT:-plain}" in plain | '') return 0 ;; esac
	$PGBIN/psql -X -q -v ON_ERROR_STOP=1 -d "$1" -v partition_layout="$COWRIE_LAYOUT" \
		-f test/lib/partition_sessions.sql >"$WORK/apply_layout.out" 2>&1 || { sed 's/^/# /' "$WORK/apply_layout.out"; return 1; }
}

# The snapshot columns of every session, as one checksum.
SNAPSHOT_SUM="SELECT md5(string_agg(concat_ws('|', session_id, source_ip, snapshot_asn, snapshot_country, snapshot_ip_type, enrichment_at), ',' ORDER BY session_id)) FROM session_summaries"
snapshot_sum() { $PSQL -At -d "$1" -c "$SNAPSHOT_SUM"; }
