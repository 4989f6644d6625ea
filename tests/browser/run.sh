#!/bin/sh
# run.sh: the browser tests. Usage: run.sh LOBBYD OUTDIR
# Installs the pinned playwright-core (npm ci) when it is missing, then
# drives Debian's chromium headless against LOBBYD; screenshots go to
# OUTDIR. Skips (77) only when chromium itself is absent.
set -u
here=$(cd "$(dirname "$0")" && pwd)
lobbyd=$1
out=$2
chromium=${CHROMIUM:-/usr/bin/chromium}

if [ ! -x "$chromium" ]; then
	echo "skip: no chromium at $chromium"
	exit 77
fi
for tool in node npm; do
	if ! command -v "$tool" >/dev/null 2>&1; then
		echo "FAIL: chromium is here but $tool is not" >&2
		exit 1
	fi
done
if [ ! -d "$here/node_modules/playwright-core" ]; then
	echo "installing playwright-core from package-lock.json (npm ci)"
	(cd "$here" && npm ci --no-audit --no-fund --loglevel=error) || {
		echo "FAIL: npm ci" >&2
		exit 1
	}
fi
mkdir -p "$out"
# chat.test.js: joining, chatting, a restart; page.test.js: what users
# of web chat clients expect (overlong lines, reconnects, /quit, mentions,
# Tab, links, /msg, contrast); rooms.test.js: the room list and switcher,
# the room and topic in the header, history once per switch, Tab after
# /join, rooms made and emptied elsewhere, a reconnect back to the room;
# log.test.js: the log under a backlog and a burst of lines, right-to-left
# text, a double click on a room; layout.test.js: the longest nicks and
# room names in the phone's header and the side panels, a right-to-left
# topic; wss.test.js: the page over https and
# wss (--web-tls), left out of a lobbyd built without TLS or without
# openssl.
tests="chat page rooms log layout"
if "$lobbyd" --web-tls 127.0.0.1:0 --tls-cert /dev/null --tls-key /dev/null \
    2>&1 | grep -q "built without TLS"; then
	echo "skipped: wss: lobbyd built without TLS"
elif ! command -v openssl >/dev/null 2>&1; then
	echo "skipped: wss: no openssl command to make the test keys"
else
	tests="$tests wss"
fi
for t in $tests; do
	LOBBYD=$lobbyd OUTDIR=$out CHROMIUM=$chromium node "$here/$t.test.js" ||
		exit 1
done
