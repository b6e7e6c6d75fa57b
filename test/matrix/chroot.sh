# Debian chroot lifecycle for test/matrix.sh and test/fresh_machine.sh (sourced):
# build (debootstrap + apt, stamped for reuse), up/down (mounts), run (clean
# environment), reap (processes left inside). Every function takes the chroot's
# root directory first. Noise goes to $CHROOT_LOG; progress lines start with
# "matrix:". CHROOT_PLAIN=1 builds a root as Debian installs it (no apt or
# postgresql-common settings of ours), for the fresh-machine test.

CHROOT_PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
CHROOT_RECIPE=1                 # bump when chroot_build changes so old chroots are rebuilt
CHROOT_STAMP=.cowrie-matrix-stamp
: "${CHROOT_LOG:=/dev/null}"

chroot_say() { echo "matrix: $*"; }

# The Debian mirror the host itself uses (deb822 .sources or one-line .list files):
# the first URI of an entry for the host's own release. COWRIE_MIRROR overrides.
chroot_mirror() {
	[ -n "${COWRIE_MIRROR:-}" ] && { echo "$COWRIE_MIRROR"; return 0; }
	local codename m
	codename=$(. /etc/os-release && echo "${VERSION_CODENAME:-}")
	m=$(awk -v c="$codename" '
		function flush() { if (!done && uris != "" && (" " suites " ") ~ (" " c " ")) { split(uris, u, " "); print u[1]; done = 1; exit } uris = suites = "" }
		FNR == 1 { flush() }
		/^[ \t]*$/ { flush(); next }
		tolower($1) == "uris:" { $1 = ""; uris = $0 }
		tolower($1) == "suites:" { $1 = ""; suites = $0 }
		END { flush() }' /etc/apt/sources.list.d/*.sources 2>/dev/null)
	[ -z "$m" ] && m=$(sed -E 's/\[[^]]*\]//' /etc/apt/sources.list /etc/apt/sources.list.d/*.list 2>/dev/null |
		awk -v c="$codename" '$1 == "deb" && $3 == c { print $2; exit }')
	[ -n "$m" ] || return 1
	echo "$m"
}

# sha256 of what the chroot is built from; a stamp with another hash means rebuild.
chroot_hash() { # SUITE PKGS...
	echo "recipe=$CHROOT_RECIPE suite=$1 packages=$(shift; printf '%s\n' "$@" | sort -u | tr '\n' ' ')${CHROOT_PLAIN:+ plain=$CHROOT_PLAIN}" |
		sha256sum | cut -d' ' -f1
}

chroot_stamp_ok() { # ROOT SUITE PKGS...
	local r=$1; shift
	[ -f "$r/$CHROOT_STAMP" ] && grep -qx "hash=$(chroot_hash "$@")" "$r/$CHROOT_STAMP"
}

chroot_up() {
	local r=$1
	mountpoint -q "$r/proc" || mount -t proc proc "$r/proc" || return 1
	mountpoint -q "$r/dev" || { mount --bind /dev "$r/dev" && mount --make-rslave "$r/dev"; } || return 1
	mountpoint -q "$r/dev/pts" || { mount --bind /dev/pts "$r/dev/pts" && mount --make-rslave "$r/dev/pts"; } || return 1
	# a writable tmpfs, or initdb falls back to sysv shared memory
	mountpoint -q "$r/dev/shm" || mount -t tmpfs -o mode=1777,size=512m shm "$r/dev/shm" || return 1
	# never start services from maintainer scripts
	printf '#!/bin/sh\nexit 101\n' >"$r/usr/sbin/policy-rc.d" && chmod 755 "$r/usr/sbin/policy-rc.d"
	cp -L /etc/resolv.conf "$r/etc/resolv.conf" 2>/dev/null
	return 0
}

# Mounts at or below ROOT, deepest first.
chroot_mounts() {
	local r
	r=$(readlink -f "$1")
	findmnt -rn -o TARGET | awk -v r="$r" '$0 == r || index($0, r "/") == 1' | sort -r
}

chroot_down() {
	local r=$1 m
	[ -d "$r" ] || return 0
	for m in dev/shm dev/pts dev proc; do
		mountpoint -q "$r/$m" || continue
		umount "$r/$m" 2>/dev/null || { chroot_say "umount $r/$m busy, detaching lazily"; umount -l "$r/$m"; }
	done
	for m in $(chroot_mounts "$r"); do # anything a test mounted itself
		umount "$m" 2>/dev/null || umount -l "$m"
	done
	m=$(chroot_mounts "$r")
	[ -z "$m" ] && return 0
	chroot_say "ERROR: still mounted under $r: $m"
	return 1
}

# PIDs whose root directory is ROOT, i.e. processes running inside the chroot.
chroot_pids() {
	local r p
	r=$(readlink -f "$1")
	for p in /proc/[0-9]*; do
		[ "$(readlink "$p/root" 2>/dev/null)" = "$r" ] && echo "${p#/proc/}"
	done
}

# Stop whatever still runs inside ROOT: TERM for the test drivers and SIGINT (fast
# shutdown) for postgres, so a cluster a killed suite left behind stops cleanly;
# KILL what is left after 10 s.
chroot_reap() {
	local r=$1 pids p sig i
	pids=$(chroot_pids "$r")
	[ -z "$pids" ] && return 0
	chroot_say "stopping $(echo $pids | wc -w) process(es) left in $r: $(for p in $pids; do cat /proc/$p/comm 2>/dev/null; done | sort | uniq -c | xargs)"
	for p in $pids; do
		[ "$(cat /proc/$p/comm 2>/dev/null)" = postgres ] && sig=INT || sig=TERM
		kill -$sig "$p" 2>/dev/null
	done
	for i in $(seq 50); do
		pids=$(chroot_pids "$r"); [ -z "$pids" ] && return 0
		sleep 0.2
	done
	kill -KILL $pids 2>/dev/null
	sleep 0.5
	pids=$(chroot_pids "$r"); [ -z "$pids" ] && return 0
	chroot_say "ERROR: processes still running in $r: $pids"
	return 1
}

# chroot_lock ROOT: one run per chroot at a time, taken before any mount or delete.
# fd 9 is closed for everything started inside, so a process left behind there
# cannot hold the lock (and block the next run, which would reap it).
chroot_lock() {
	exec 9>"$1.lock"
	flock -n 9 || { chroot_say "waiting for another run using $1"; flock 9; }
}

# chroot_run ROOT [NAME=VALUE...] CMD...: as root, with only the variables given.
chroot_run() {
	local r=$1; shift
	chroot "$r" /usr/bin/env -i HOME=/root LOGNAME=root USER=root LANG=C.UTF-8 TERM=dumb PATH="$CHROOT_PATH" "$@" 9>&-
}

# Delete ROOT safely: nothing running in it, nothing mounted, one file system.
chroot_remove() {
	local r=$1
	[ -e "$r" ] || return 0
	chroot_reap "$r"; chroot_down "$r" || return 1
	rm -rf --one-file-system "$r"
}

# chroot_build ROOT SUITE MIRROR PKGS...: from scratch; returns 3 when a package
# is not in the suite (listed in CHROOT_MISSING), 1 on other failures. Writes the
# stamp last.
chroot_build() {
	local r=$1 suite=$2 mirror=$3; shift 3
	local script=/usr/share/debootstrap/scripts/$suite p cand missing=""
	# debootstrap versions that predate a suite (forky on bookworm) can use sid's script
	[ -e "$script" ] || script=/usr/share/debootstrap/scripts/sid
	chroot_remove "$r" || return 1
	chroot_say "debootstrap $suite from $mirror into $r (log: $CHROOT_LOG)"
	debootstrap --variant=minbase "$suite" "$r" "$mirror" "$script" >>"$CHROOT_LOG" 2>&1 9>&- || return 1
	chroot_up "$r" || return 1
	# configure before postgresql-common's postinst runs: no "main" cluster, no Recommends
	if [ "${CHROOT_PLAIN:-0}" != 1 ]; then
		mkdir -p "$r/etc/postgresql-common/createcluster.d"
		echo "create_main_cluster = false" >"$r/etc/postgresql-common/createcluster.d/no-main-cluster.conf"
		printf 'APT::Install-Recommends "false";\nAPT::Install-Suggests "false";\n' >"$r/etc/apt/apt.conf.d/90norecommends"
	fi
	# the mirror's unstable/testing Release files may be past Valid-Until; stable has none
	case $suite in trixie | bookworm) ;; *)
		echo 'Acquire::Check-Valid-Until "false";' >"$r/etc/apt/apt.conf.d/91no-check-valid-until" ;;
	esac
	chroot_say "apt-get update and install in $suite: $*"
	chroot_run "$r" apt-get update >>"$CHROOT_LOG" 2>&1 || return 1
	for p in "$@"; do
		cand=$(chroot_run "$r" apt-cache policy "$p" 2>/dev/null | awk '$1 == "Candidate:" { print $2 }')
		[ -z "$cand" ] || [ "$cand" = "(none)" ] && missing="$missing $p"
	done
	CHROOT_MISSING=${missing# }
	if [ -n "$missing" ]; then
		chroot_say "ERROR: not available in Debian $suite ($mirror):$missing"
		return 3
	fi
	chroot_run "$r" DEBIAN_FRONTEND=noninteractive apt-get install -y -o Dpkg::Use-Pty=0 "$@" >>"$CHROOT_LOG" 2>&1 || return 1
	chroot_run "$r" apt-get clean # the .deb cache is ~270 MB and a rebuild starts from scratch anyway
	for p in "$@"; do
		chroot_run "$r" dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' ||
			{ chroot_say "ERROR: $p did not install in $suite"; return 1; }
	done
	{
		echo "hash=$(chroot_hash "$suite" "$@")"
		echo "suite=$suite"
		echo "mirror=$mirror"
		echo "packages=$*"
		echo "built=$(date -u +%FT%TZ)"
	} >"$r/$CHROOT_STAMP"
}
