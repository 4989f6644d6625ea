#!/bin/sh
# tmux-demo: a lobbyd and three lobby clients (alice, bob, carol) side by
# side in one tmux window, to watch a room from every seat at once.
#
# usage: tmux-demo.sh [--check]
#
# The programs are $LOBBYD and $LOBBY, else lobbyd and lobby from PATH:
#   LOBBYD=build/server/lobbyd LOBBY=build/client/lobby examples/tmux-demo.sh
#
# The server gets a free port of 127.0.0.1 (-p 0) and the demo runs on a
# tmux server of its own, so nothing else is touched. Detach (C-b d) to
# end it: the clients, the server and that tmux server are stopped then.
#
# --check runs it without a terminal, for the test suite: alice says
# hello with tmux send-keys, and bob's and carol's panes must show it.
# Exits 0 when they do, 1 when not, 77 when tmux is not installed.

WAIT_S=10	# the longest any one wait may take, in seconds

check=false
case ${1-} in
--check)	check=true ;;
"")		;;
*)		echo "usage: $0 [--check]" >&2; exit 2 ;;
esac

if ! command -v tmux >/dev/null 2>&1; then
	echo "tmux-demo: tmux is not installed" >&2
	exit 77
fi
lobbyd=${LOBBYD:-lobbyd}
lobby=${LOBBY:-lobby}
for p in "$lobbyd" "$lobby"; do
	if ! command -v "$p" >/dev/null 2>&1; then
		echo "tmux-demo: cannot run $p; set LOBBYD and LOBBY" >&2
		exit 1
	fi
done
# The panes start in the same directory, but say it plainly anyway.
case $lobby in
*/*)	lobby=$(cd "$(dirname "$lobby")" && pwd)/$(basename "$lobby") ;;
esac

tmp=$(mktemp -d "${TMPDIR:-/tmp}/lobby-demo.XXXXXX") || exit 1
sock=$tmp/tmux.sock
server_pid=
tm() { tmux -S "$sock" "$@"; }

# Stop only what this script started: its tmux server and its lobbyd.
cleanup() {
	tm kill-server 2>/dev/null
	if [ -n "$server_pid" ]; then
		kill "$server_pid" 2>/dev/null
		wait "$server_pid" 2>/dev/null
	fi
	rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 1' HUP INT TERM

# Wait until command succeeds, for at most WAIT_S seconds.
wait_for() {
	i=0
	while ! "$@"; do
		i=$((i + 1))
		[ $i -gt $((WAIT_S * 10)) ] && return 1
		sleep 0.1
	done
}

# Does the pane show the text (a fixed string) anywhere?
pane_has() {
	tm capture-pane -p -J -t "$1" -S - 2>/dev/null | grep -qF -- "$2"
}

# What the pane shows, less the blank lines, for a report.
pane_show() { tm capture-pane -p -t "$1" | grep -v '^[[:space:]]*$' >&2; }

# Quote a word for the shell that tmux runs a pane's command with.
q() { printf "'%s'" "$(printf '%s' "$1" | sed "s/'/'\\\\''/g")"; }

"$lobbyd" -p 0 -b 127.0.0.1 2>"$tmp/lobbyd.log" &
server_pid=$!
listening() { grep -q 'listening on 127.0.0.1:' "$tmp/lobbyd.log"; }
if ! wait_for listening; then
	echo "tmux-demo: lobbyd did not start:" >&2
	cat "$tmp/lobbyd.log" >&2
	exit 1
fi
port=$(sed -n 's/^lobbyd: listening on 127\.0\.0\.1:\([0-9]*\)$/\1/p' \
    "$tmp/lobbyd.log" | head -n 1)

# One window: the server's log on top, the three clients below it.
logpane=$(tm new-session -d -s lobby -x 160 -y 48 -P -F '#{pane_id}' \
    "tail -n +1 -f $(q "$tmp/lobbyd.log")") || exit 1
tm set-option -g remain-on-exit on >/dev/null
tm set-option -g status-left '[lobby demo] ' >/dev/null
# Start a client in a new pane; prints the pane's id.
client() {
	tm split-window -t lobby -P -F '#{pane_id}' \
	    "$(q "$lobby") -n $1 127.0.0.1 $port" &&
	    tm select-layout -t lobby tiled >/dev/null
}
pane_alice=$(client alice) && pane_bob=$(client bob) &&
    pane_carol=$(client carol) || exit 1
tm select-pane -t "$pane_alice"

for seat in "alice $pane_alice" "bob $pane_bob" "carol $pane_carol"; do
	nick=${seat% *} pane=${seat#* }
	if ! wait_for pane_has "$pane" "is now $nick"; then
		echo "tmux-demo: $nick did not join; the pane shows:" >&2
		pane_show "$pane"
		exit 1
	fi
done

if ! $check; then
	echo "lobbyd is on 127.0.0.1:$port; detach with C-b d to end the demo"
	TMUX='' tm attach-session -t lobby
	exit 0
fi

tm send-keys -t "$pane_alice" 'hello from alice' Enter
status=0
for seat in "bob $pane_bob" "carol $pane_carol"; do
	nick=${seat% *} pane=${seat#* }
	if ! wait_for pane_has "$pane" '<alice> hello from alice'; then
		echo "tmux-demo: $nick did not see alice's line:" >&2
		pane_show "$pane"
		status=1
	fi
done
if ! wait_for pane_has "$logpane" 'alice'; then
	echo "tmux-demo: the log pane shows no nick change" >&2
	status=1
fi
[ $status -eq 0 ] && echo "tmux-demo: bob and carol saw alice's line"
exit $status
