#!/bin/sh
# test_recipes: run the recipes of RECIPES.md against a real lobbyd.
#
# usage: test_recipes.sh RECIPES.md LOBBYD
#
# Each block after a "<!-- recipe: NAME -->" line is taken from the page as
# it is written, with port 12580, /tmp/lobby.sock and room.log replaced by
# this test's own. Exits 77 (skipped) when nc or socat is not installed;
# telnet is tried when it is there.

WAIT_S=10	# the longest any one wait or recipe may take, in seconds

recipes=$1 lobbyd=$2
for p in nc socat; do
	if ! command -v $p >/dev/null 2>&1; then
		echo "SKIP: $p is not installed"
		exit 77
	fi
done
case $lobbyd in
/*)	;;
*)	lobbyd=$(pwd)/$lobbyd ;;
esac
case $recipes in
/*)	;;
*)	recipes=$(pwd)/$recipes ;;
esac

tmp=$(mktemp -d "${TMPDIR:-/tmp}/lobby-recipes.XXXXXX") || exit 1
server_pid='' watch_pid='' fail=0
cleanup() {
	[ -n "$server_pid" ] && kill "$server_pid" 2>/dev/null
	[ -n "$watch_pid" ] && kill "$watch_pid" 2>/dev/null
	rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 1' HUP INT TERM
cd "$tmp" || exit 1

# Wait until command succeeds, for at most WAIT_S seconds.
wait_for() {
	i=0
	while ! "$@"; do
		i=$((i + 1))
		[ $i -gt $((WAIT_S * 10)) ] && return 1
		sleep 0.1
	done
}

# The command of recipe NAME, made to point at this test's server.
recipe() {
	cmd=$(awk -v name="$1" '
	    $0 == "<!-- recipe: " name " -->" { found = 1; next }
	    found == 1 && /^```/ { found = 2; next }
	    found == 2 && /^```/ { exit }
	    found == 2 { print }' "$recipes")
	if [ -z "$cmd" ]; then
		echo "FAIL: no recipe $1 in $recipes" >&2
		return 1
	fi
	printf '%s\n' "$cmd" | sed -e "s/12580/$port/g" \
	    -e "s|/tmp/lobby\.sock|$tmp/lobby.sock|g" \
	    -e "s|room\.log|$tmp/room.log|g"
}

# Run recipe NAME with the given standard input text; output to NAME.out.
run() {
	name=$1 input=$2
	cmd=$(recipe "$name") || { fail=1; return 1; }
	printf 'recipe %s: %s\n' "$name" "$cmd"
	if command -v timeout >/dev/null 2>&1; then
		printf '%s' "$input" | timeout $WAIT_S sh -c "$cmd" \
		    >"$name.out" 2>&1
	else
		printf '%s' "$input" | sh -c "$cmd" >"$name.out" 2>&1
	fi
}

# Fail unless file contains the fixed string (waiting for it a while).
has() { grep -qF -- "$2" "$1" 2>/dev/null; }
expect() {
	if ! wait_for has "$1" "$2"; then
		echo "FAIL: $1 lacks: $2"
		sed 's/^/    /' "$1" 2>/dev/null
		fail=1
	fi
}

"$lobbyd" -p 0 -b 127.0.0.1 -u "$tmp/lobby.sock" 2>lobbyd.log &
server_pid=$!
listening() { [ "$(grep -c 'listening on' lobbyd.log)" -ge 2 ]; }
if ! wait_for listening; then
	echo "FAIL: lobbyd did not start:"
	cat lobbyd.log
	exit 1
fi
port=$(sed -n 's/^lobbyd: listening on 127\.0\.0\.1:\([0-9]*\)$/\1/p' \
    lobbyd.log)

# Someone watching the room, to see what the others say.
cmd=$(recipe socat-watch) || exit 1
printf 'recipe %s: %s\n' socat-watch "$cmd"
sh -c "$cmd" >watch.out 2>&1 </dev/null &
watch_pid=$!
expect room.log "*** welcome to lobby, you are guest1 "

run nc-join '/quit
' && expect nc-join.out "*** welcome to lobby, you are guest2 "
run nc-say "" && expect nc-say.out "*** guest2 is now ci"
expect room.log "<ci> build 42 passed"
run nc-who "" && expect nc-who.out "*** 2 online: guest1 guest2"
run socat-say "" && expect room.log "<guest2> hello from socat"
run nc-unix "" && expect nc-unix.out "*** 2 online: guest1 guest2"
run socat-unix "" && expect room.log "<guest2> hello over a unix socket"
if command -v telnet >/dev/null 2>&1; then
	# telnet hangs up when its input ends: keep that open a while.
	cmd=$(recipe telnet-join) || exit 1
	printf 'recipe %s: %s\n' telnet-join "$cmd"
	{ printf 'hello from telnet\n/quit\n'; sleep 1; } |
	    sh -c "$cmd" >telnet-join.out 2>&1
	expect room.log "<guest2> hello from telnet"
else
	echo "telnet is not installed: telnet-join not run"
fi

# At shutdown the watcher is told, and its socat ends by itself.
kill "$server_pid"
wait "$server_pid"
st=$?
server_pid=''
if [ $st -ne 0 ]; then
	echo "FAIL: lobbyd exited $st"
	fail=1
fi
expect room.log "*** server shutting down"
if wait_for sh -c "! kill -0 $watch_pid 2>/dev/null"; then
	wait "$watch_pid"
	watch_pid=''
else
	echo "FAIL: socat-watch did not end with the server"
	fail=1
fi
[ $fail -eq 0 ] && echo "recipes: every one worked"
exit $fail
