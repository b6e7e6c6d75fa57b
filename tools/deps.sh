# Installs the Debian packages the suite, the demo and the benchmarks need, when run
# as root and something is missing. Set COWRIE_SKIP_APT=1 to never touch apt.

install_deps() {
	local pkgs="postgresql-15 postgresql-server-dev-15 postgresql-15-pgtap
		libtap-parser-sourcehandler-pgtap-perl make gcc clang libclang-rt-14-dev
		debootstrap util-linux cppcheck clang-tidy $*"
	[ "${COWRIE_SKIP_APT:-0}" = 1 ] && return 0
	local missing=""
	for p in $pkgs; do
		dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' ||
			missing="$missing $p"
	done
	[ -z "$missing" ] && return 0
	if [ "$(id -u)" != 0 ]; then
		echo "missing Debian packages:$missing (run as root, or install them)" >&2
		return 1
	fi
	echo "installing:$missing"
	apt-get update -qq &&
		DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $missing >/dev/null
}
