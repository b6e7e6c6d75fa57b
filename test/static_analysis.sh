#!/usr/bin/env bash
# Static analysis of the C sources (src/*.c, src/core/*.c and the headers they
# include from src/), against the PostgreSQL server headers of PG_CONFIG:
#   cppcheck    one configuration, the build's (the compiler's predefined macros
#               and pg_config.h), severities error, warning, portability and
#               performance fail; style findings are printed as TAP comments.
#   clang-tidy  with the PGXS compile flags (the clang flags PGXS uses for its
#               bitcode), checks clang-analyzer-* and bugprone-* minus the noisy
#               ones listed below; every finding fails.
# A finding fails unless it is in KNOWN below (file, check, message text; no
# line numbers, so edits elsewhere in a file do not break it), each one a
# justified false positive or accepted finding. A KNOWN entry that no longer
# matches is reported, so that it can be deleted.
# Prints TAP: "ok N - cppcheck", "ok N - clang-tidy", then 1..N; exits 1 on a failure.
# Needs the Debian packages cppcheck and clang-tidy (bookworm: 2.10 and 14).
set -uo pipefail
cd "$(dirname "$0")/.."
: "${PG_CONFIG:=$(command -v /usr/lib/postgresql/15/bin/pg_config || command -v pg_config)}"
CPPCHECK=${CPPCHECK:-cppcheck}
CLANG_TIDY=${CLANG_TIDY:-$(command -v clang-tidy || command -v clang-tidy-14)}
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
n=0 failed=0
ok() { n=$((n + 1)); if [ "$1" = 0 ]; then echo "ok $n - $2"; else echo "not ok $n - $2"; failed=$((failed + 1)); fi; }

SOURCES=(src/*.c src/core/*.c)

# clang-tidy checks. Left out, each for a reason:
#   clang-analyzer-security.insecureAPI.DeprecatedOrUnsafeBufferHandling:
#     asks for C11 Annex K memcpy_s/memset_s (not in glibc) at every memcpy
#   bugprone-easily-swappable-parameters: API-design lint, flags any two
#     adjacent parameters of one type (buf/len pairs everywhere)
#   bugprone-reserved-identifier: PostgreSQL's module API names _PG_init
#   bugprone-implicit-widening-of-multiplication-result: flags PostgreSQL's
#     ALLOCSET_DEFAULT_SIZES and index arithmetic like out[2 * k] with k < 8
TIDY_CHECKS='-*,clang-analyzer-*,bugprone-*,-clang-analyzer-security.insecureAPI.DeprecatedOrUnsafeBufferHandling,-bugprone-easily-swappable-parameters,-bugprone-reserved-identifier,-bugprone-implicit-widening-of-multiplication-result'

# Known findings: "tool|file|check|message text". Everything else fails.
KNOWN=(
	# take_asn: ok is true only when number_int64 or cowrie_parse_int64
	# returned true, and both then set asn; cppcheck does not follow `ok`.
	"cppcheck|src/core/cowrie_enrichment.c|legacyUninitvar|Uninitialized variable: asn"
	# parse_ipv6: words[0..nw) are set; the '::' shift reads words[nw-1-k]
	# with k < nw - gap, so only set words.
	"cppcheck|src/core/cowrie_ip.c|uninitvar|Uninitialized variable: words"
	# key_equals / cj_string_decode: key (buf) is NULL only with keylen
	# (bufsize) 0, and matched <= keylen (n <= bufsize) holds, so
	# `keylen - matched < n` is true and memcmp/memcpy is never reached.
	"clang-tidy|src/core/cowrie_json.c|clang-analyzer-core.NonNullParamChecker|Null pointer passed to 1st parameter expecting 'nonnull'"
	# cowrie_json_sanitize_nul: writes the 6 characters \ufffd into the
	# middle of a length-counted output; no terminator belongs there.
	"clang-tidy|src/core/cowrie_json.c|bugprone-not-null-terminated-result|the result from calling 'memcpy' is not null-terminated"
	# parse_ipv6: `i = n; break;` after an IPv4 tail, a dead but harmless store.
	"clang-tidy|src/core/cowrie_ip.c|clang-analyzer-deadcode.DeadStores|Value stored to 'i' is never read"
	# cowrie_enrichment_ip_types: two lookups (top-level "spur", the
	# session entry's "spur") lead to the same call by design.
	"clang-tidy|src/core/cowrie_enrichment.c|bugprone-branch-clone|repeated branch in conditional chain"
	# jb_object_get: keys are the core's literal names or a key copied into
	# a VALUE_BUF buffer, far below INT_MAX; PostgreSQL's API takes an int.
	"clang-tidy|src/jsonb_access.c|bugprone-narrowing-conversions|narrowing conversion from 'uint32' (aka 'unsigned int') to signed type 'int'"
)
USED=()

# triage TOOL FILE: reads "file|line|severity|check|message" lines from FILE;
# prints known ones and style ones as comments, the rest as "# FINDING";
# returns the number of failing findings (capped at 255).
triage() {
	local tool=$1 f line sev id msg k kt kf ki km known bad=0
	while IFS='|' read -r f line sev id msg; do
		[ -n "$f" ] || continue
		known=""
		for k in "${KNOWN[@]}"; do
			IFS='|' read -r kt kf ki km <<<"$k"
			if [ "$kt" = "$tool" ] && [ "$kf" = "$f" ] && [ "$ki" = "$id" ] && [[ $msg == *"$km"* ]]; then
				known=$k; USED+=("$k"); break
			fi
		done
		if [ -n "$known" ]; then
			echo "#   known: $f:$line: $sev: [$id] $msg"
		elif [ "$sev" = style ] || [ "$sev" = information ]; then
			echo "#   $sev: $f:$line: [$id] $msg"
		else
			echo "# FINDING: $f:$line: $sev: [$id] $msg"
			bad=$((bad + 1))
		fi
	done <"$2"
	return $((bad > 255 ? 255 : bad))
}

INC_SERVER=$("$PG_CONFIG" --includedir-server)
INC_INTERNAL=$("$PG_CONFIG" --includedir)/internal

### cppcheck
if ! command -v "$CPPCHECK" >/dev/null; then
	ok 1 "cppcheck (not installed: apt-get install cppcheck)"
else
	echo "# $("$CPPCHECK" --version), ${#SOURCES[@]} files"
	# -D...: check the one configuration the compiler builds (without a -D,
	# cppcheck tries up to 12 #ifdef combinations of the PostgreSQL headers,
	# 15 times slower, and reports on configurations never compiled).
	# System headers (<string.h>...) are not given: cppcheck's own library
	# knowledge of libc is used instead.
	"$CPPCHECK" --quiet --std=c99 --platform=unix64 --language=c \
		-D__GNUC__=12 -D__x86_64__ -D__linux__ -D_GNU_SOURCE \
		--enable=warning,style,performance,portability --inline-suppr \
		--template='{file}|{line}|{severity}|{id}|{message}' \
		-I src -I src/core -I "$INC_SERVER" -I "$INC_INTERNAL" \
		"${SOURCES[@]}" >"$WORK/cppcheck.out" 2>&1
	rc=$?
	grep -E '^[^|]+\|[0-9]+\|' "$WORK/cppcheck.out" >"$WORK/cppcheck.findings"
	grep -vE '^[^|]+\|[0-9]+\|' "$WORK/cppcheck.out" | sed 's/^/# cppcheck: /'
	triage cppcheck "$WORK/cppcheck.findings"; bad=$?
	[ $rc = 0 ] && [ $bad = 0 ]; ok $? "cppcheck ($bad findings of severity error, warning, portability or performance)"
fi

### clang-tidy
if [ -z "$CLANG_TIDY" ] || ! command -v "$CLANG_TIDY" >/dev/null; then
	ok 1 "clang-tidy (not installed: apt-get install clang-tidy)"
else
	echo "# $("$CLANG_TIDY" --version | grep -m1 -i version | sed 's/^ *//'), ${#SOURCES[@]} files"
	# The flags PGXS compiles the bitcode with (clang's spelling of the gcc
	# flags: -fwrapv, -fno-strict-aliasing, the include dirs, -D_GNU_SOURCE).
	# shellcheck disable=SC2016
	read -r -a FLAGS <<<"$(make -s --no-print-directory PG_CONFIG="$PG_CONFIG" \
		--eval 'cowrie-print-flags: ; @echo $(BITCODE_CFLAGS) $(CPPFLAGS)' cowrie-print-flags)"
	printf '%s\n' "${SOURCES[@]}" | xargs -P "$(nproc)" -I{} bash -c '
		"$1" --quiet --checks="$2" --header-filter="^$PWD/src/" "$3" -- -Wno-ignored-attributes "${@:5}" \
			>"$4/tidy.$(echo "$3" | tr / _).out" 2>&1; echo $? >"$4/tidy.$(echo "$3" | tr / _).rc"' \
		_ "$CLANG_TIDY" "$TIDY_CHECKS" {} "$WORK" "${FLAGS[@]}"
	rc=0
	for f in "$WORK"/tidy.*.rc; do [ "$(cat "$f")" = 0 ] || rc=1; done
	# "/abs/path/file.c:12:3: warning: text [check]" -> file|12|warning|check|text
	cat "$WORK"/tidy.*.out | sed -nE "s#^($PWD/)?([^: ]+):([0-9]+):[0-9]+: (warning|error): (.*) \[([^]]+)\]\$#\2|\3|\4|\6|\5#p" |
		sort -u >"$WORK/tidy.findings"
	# Errors without a check name (a header not found, a bad flag).
	cat "$WORK"/tidy.*.out | grep -E ': (error|fatal error): ' | grep -vE '\[[^]]+\]$' | sed 's/^/# clang-tidy: /'
	triage clang-tidy "$WORK/tidy.findings"; bad=$?
	[ $rc = 0 ] && [ $bad = 0 ]; ok $? "clang-tidy ($bad findings; checks $TIDY_CHECKS)"
fi

for k in "${KNOWN[@]}"; do
	used=0
	for u in "${USED[@]+"${USED[@]}"}"; do [ "$u" = "$k" ] && used=1; done
	[ $used = 1 ] || echo "# KNOWN entry no longer matched, delete it: $k"
done
echo "1..$n"
[ $failed = 0 ]
