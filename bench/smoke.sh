#!/bin/sh
# smoke.sh: a tiny loadgen run against the reference relay and, if built, lobbyd.
#
# usage: smoke.sh LOADGEN RELAY [LOBBYD]
# Each server gets a few clients exchanging a few hundred lines, flat out
# and paced; any loss, duplicate, reordering or dropped client fails.

set -u

loadgen=$1
relay=$2
lobbyd=${3:-}
tmp=$(mktemp -d)
pid=
trap '[ -n "$pid" ] && kill "$pid" 2>/dev/null; rm -rf "$tmp"' EXIT

# Start "$@" as a server and set pid and port from its "listening on" line.
start() {
	"$@" 2>"$tmp/err" &
	pid=$!
	port=
	i=0
	while [ $i -lt 100 ]; do
		port=$(sed -n 's/.*listening on 127\.0\.0\.1:\([0-9]*\).*/\1/p' \
		    "$tmp/err" | head -n 1)
		[ -n "$port" ] && return 0
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.05
		i=$((i + 1))
	done
	echo "smoke: $1 did not start:" >&2
	cat "$tmp/err" >&2
	return 1
}

stop() {
	kill "$pid" 2>/dev/null
	wait "$pid" 2>/dev/null
	pid=
}

# Run the scenarios against the server started last; name it $1.
scenarios() {
	for args in "-n 5 -s 2 -m 500" "-n 8 -s 8 -m 50 -r 500" \
	    "-n 3 -s 1 -m 20 -b 1000"; do
		# shellcheck disable=SC2086
		if ! out=$("$loadgen" -p "$port" $args -t 5 \
		    --server-pid "$pid"); then
			echo "smoke: $1: loadgen $args failed:" >&2
			echo "$out" >&2
			return 1
		fi
		echo "$1: $out"
	done
}

status=0
start "$relay" -p 0 || exit 1
scenarios relay || status=1
stop

if [ -n "$lobbyd" ]; then
	start "$lobbyd" -b 127.0.0.1 -p 0 -q || exit 1
	scenarios lobbyd || status=1
	stop
fi
exit $status
