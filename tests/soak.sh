#!/bin/sh
# soak.sh: 500 clients chatting, stalling and churning against one lobbyd
# for 10 minutes; reports lobbyd's RSS and fd count at start and end.
#
#   tests/soak.sh BUILDDIR [CLIENTS [SECONDS]]
#
# BUILDDIR holds server/lobbyd and tests/soak (meson builds both). Not
# part of meson test or CI: it takes as long as it is told to. Traffic
# stays on 127.0.0.1. Exits non-zero if soak saw a bad line, if lobbyd
# died, or if it did not exit 0 on SIGTERM at the end.

set -u

if [ $# -lt 1 ] || [ $# -gt 3 ]; then
	echo "usage: $0 BUILDDIR [CLIENTS [SECONDS]]" >&2
	exit 2
fi
build=$1
clients=${2:-500}
seconds=${3:-600}
lobbyd=$build/server/lobbyd
soak=$build/tests/soak
for f in "$lobbyd" "$soak"; do
	if [ ! -x "$f" ]; then
		echo "soak.sh: $f: not built" >&2
		exit 2
	fi
done

# Each client needs an fd here and one in lobbyd.
need=$((clients + 64))
if [ "$(ulimit -n)" != unlimited ] && [ "$(ulimit -n)" -lt "$need" ]; then
	ulimit -n "$need" 2>/dev/null || {
		echo "soak.sh: need $need fds, have $(ulimit -n)" >&2
		exit 2
	}
fi

log=$(mktemp "${TMPDIR:-/tmp}/lobby-soak.XXXXXX") || exit 2
"$lobbyd" -p 0 -b 127.0.0.1 --max-clients "$((clients + 10))" 2>"$log" &
pid=$!
trap 'kill "$pid" 2>/dev/null' EXIT INT TERM
port=
i=0
while [ -z "$port" ] && [ $i -lt 100 ]; do
	port=$(sed -n 's/^lobbyd: listening on 127\.0\.0\.1:\([0-9]*\)$/\1/p' \
	    "$log")
	[ -n "$port" ] || sleep 0.05
	i=$((i + 1))
done
if [ -z "$port" ]; then
	echo "soak.sh: lobbyd did not start:" >&2
	cat "$log" >&2
	exit 1
fi

# RSS in KiB and open fds of lobbyd, from /proc.
probe() {
	rss=$(sed -n 's/^VmRSS:[[:space:]]*\([0-9]*\) kB$/\1/p' \
	    "/proc/$pid/status")
	fds=$(ls "/proc/$pid/fd" | wc -l)
	echo "$rss KiB RSS, $fds fds"
}

echo "soak.sh: lobbyd pid $pid on port $port; log $log"
echo "soak.sh: idle: $(probe)"
"$soak" "$port" "$clients" "$seconds" &
spid=$!
# The start figure is taken once every client is in.
sleep 5
echo "soak.sh: start, $clients clients in: $(probe)"
max=0
last=
while kill -0 "$spid" 2>/dev/null; do
	r=$(sed -n 's/^VmRSS:[[:space:]]*\([0-9]*\) kB$/\1/p' \
	    "/proc/$pid/status")
	[ "${r:-0}" -gt "$max" ] && max=$r
	last=$(probe)
	sleep 5
done
wait "$spid"
src=$?
echo "soak.sh: end, last sample with the clients in: $last; peak $max KiB"
sleep 2
echo "soak.sh: end, clients gone: $(probe)"
echo "soak.sh: lobbyd logged $(grep -c 'joined as' "$log") joins," \
    "$(grep -c 'left (too slow)' "$log") too slow," \
    "$(grep -c ': warn: \|: error: ' "$log") warnings or errors"
kill -TERM "$pid"
wait "$pid"
lrc=$?
trap - EXIT INT TERM
echo "soak.sh: soak exit $src, lobbyd exit $lrc"
[ "$src" -eq 0 ] && [ "$lrc" -eq 0 ]
