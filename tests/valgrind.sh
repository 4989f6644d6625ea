#!/bin/sh
# valgrind.sh: run an integration test with every lobbyd it starts under
# valgrind's memcheck; fail on any memory error or leak.
#
#   tests/valgrind.sh LOBBYD ITEST [ARG...]
#
# LOBBYD is the lobbyd binary, ITEST an integration test executable (for
# example build/tests/integration/itest_faults). The test runs the lobbyd
# named in $LOBBYD, which here is a small wrapper that execs valgrind on
# the real binary, so each lobbyd the test starts, and stops with SIGTERM,
# is checked from start to clean exit. The test's own checks still apply
# (lobbyd must exit 0; valgrind's error exit code makes that fail too),
# and every valgrind log is read afterwards as well. Builds nothing.
# The client and bot tests also need LOBBY and LOBBY_BOT (the paths of
# lobby and examples/bot), as meson test sets them.
#
# Exit status: the test's on failure, 99 for any valgrind finding, 2 for
# bad usage or a missing valgrind, 0 when all is clean.

set -u

if [ $# -lt 2 ]; then
	echo "usage: $0 LOBBYD ITEST [ARG...]" >&2
	exit 2
fi
lobbyd=$1
itest=$2
shift 2
if ! command -v valgrind >/dev/null 2>&1; then
	echo "valgrind.sh: valgrind is not installed" >&2
	exit 2
fi
for f in "$lobbyd" "$itest"; do
	if [ ! -x "$f" ]; then
		echo "valgrind.sh: $f: not an executable" >&2
		exit 2
	fi
done
case $lobbyd in /*) ;; *) lobbyd=$(pwd)/$lobbyd ;; esac

dir=$(mktemp -d "${TMPDIR:-/tmp}/lobby-valgrind.XXXXXX") || exit 2
trap 'rm -rf "$dir"' EXIT INT TERM

# One log per lobbyd process (%p is its pid). Leaks of every kind but
# "still reachable" count as errors; lobbyd frees everything at exit.
cat > "$dir/lobbyd" <<WRAP
#!/bin/sh
exec valgrind --tool=memcheck --quiet --error-exitcode=99 \\
    --leak-check=full --show-leak-kinds=definite,indirect,possible \\
    --errors-for-leak-kinds=definite,indirect,possible \\
    --track-fds=no --log-file="$dir/vg.%p.log" "$lobbyd" "\$@"
WRAP
chmod +x "$dir/lobbyd"

# Valgrind makes lobbyd some 20 times slower: tests that measure memory
# or time in ways valgrind distorts read LOBBY_VALGRIND and relax those
# checks, and every bounded wait of the harness is made 4 times longer
# (unless LOBBY_TIMEOUT_SCALE says otherwise).
LOBBYD="$dir/lobbyd" LOBBY_VALGRIND=1 \
    LOBBY_TIMEOUT_SCALE=${LOBBY_TIMEOUT_SCALE:-4} "$itest" "$@"
rc=$?

n=0
bad=0
for log in "$dir"/vg.*.log; do
	[ -e "$log" ] || continue
	n=$((n + 1))
	# --quiet leaves the log empty unless something was found.
	if [ -s "$log" ]; then
		bad=$((bad + 1))
		echo "valgrind.sh: findings in $(basename "$log"):" >&2
		cat "$log" >&2
	fi
done
echo "valgrind.sh: $n lobbyd runs under memcheck, $bad with findings;" \
    "test exit status $rc"
if [ "$n" -eq 0 ]; then
	echo "valgrind.sh: the test started no lobbyd" >&2
	exit 2
fi
if [ "$bad" -gt 0 ]; then
	exit 99
fi
exit "$rc"
