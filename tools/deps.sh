# The Debian packages the README's commands need on a fresh Debian 12 (minbase is
# enough): the demo, the test command (with `make dist` and the Debian package
# build) and the benchmarks. Installed with apt-get when run as root and something
# is missing; test/fresh_machine.sh checks on a fresh root that nothing is.
#   . tools/deps.sh; install_deps [EXTRA_PACKAGE...]
#   bash tools/deps.sh [EXTRA_PACKAGE...]
# COWRIE_SKIP_APT=1 never touches apt (the matrix chroots have theirs already).

COWRIE_DEPS=(
	# build, install and run the extension on PostgreSQL 15
	postgresql-15 postgresql-server-dev-15 make gcc libc6-dev util-linux
	# the suite: pgTAP and pg_prove, clang with the ASan/UBSan/libFuzzer runtimes,
	# static analysis, pg_cron for the scheduling test
	postgresql-15-pgtap libtap-parser-sourcehandler-pgtap-perl clang libclang-rt-14-dev
	cppcheck clang-tidy postgresql-15-cron
	# pg_partman for the partitioned layout's test (test/scripts/partitioned.sh)
	postgresql-15-partman
	# make lint and make coverage: plpgsql_check (lint, PL/pgSQL profiler), gcovr
	postgresql-15-plpgsql-check gcovr
	# the PostgreSQL 17/18 chroots and the fresh-machine root
	debootstrap
	# make dist (git archive, python3 for the META.json check, unzip to test the
	# archive) and the Debian package (build-essential is only a Recommends of
	# dpkg-dev, but dpkg-buildpackage requires it)
	git python3 unzip build-essential dpkg-dev debhelper postgresql-server-dev-all
)

# Building Citus for test/scripts/citus.sh (only where its sources are, in
# ../shared/vendor/citus): the server headers include zstd's, GSSAPI's, ICU's and
# (PostgreSQL 18) libcurl's (Citus itself is built without lz4). The script installs them.
COWRIE_CITUS_DEPS=(libzstd-dev libkrb5-dev libicu-dev libcurl4-openssl-dev patch)

install_deps() {
	[ "${COWRIE_SKIP_APT:-0}" = 1 ] && return 0
	local p missing=""
	for p in "${COWRIE_DEPS[@]}" "$@"; do
		dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' ||
			missing="$missing $p"
	done
	[ -z "$missing" ] && return 0
	if [ "$(id -u)" != 0 ]; then
		echo "missing Debian packages:$missing (run as root, or install them)" >&2
		return 1
	fi
	command -v apt-get >/dev/null ||
		{ echo "no apt-get here (not Debian?); install the equivalents of:$missing" >&2; return 1; }
	echo "installing:$missing"
	# -qq keeps the progress quiet; apt's errors still go to stderr
	if ! { apt-get update -qq &&
		DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $missing >/dev/null; }; then
		echo "could not install:$missing (apt-get failed; see above)" >&2
		return 1
	fi
}

# Run, not sourced: install everything.
if [ "${BASH_SOURCE[0]}" = "$0" ]; then
	install_deps "$@"
fi
