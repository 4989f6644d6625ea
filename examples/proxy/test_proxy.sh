#!/bin/sh
# test_proxy.sh: run nginx.conf and Caddyfile from this folder as they are
# (the site name, certificate and ports swapped for test ones, all on the
# loopback) in front of a real lobbyd, and check the page, its wss://
# WebSocket and the closed /metrics through each. Usage:
#   test_proxy.sh LOBBYD
# Skips (77) when neither nginx nor caddy is installed, or node is not.
set -u
here=$(cd "$(dirname "$0")" && pwd)
lobbyd=$1
have_nginx=$(command -v nginx || true)
have_caddy=$(command -v caddy || true)
if [ -z "$have_nginx$have_caddy" ] || ! command -v node >/dev/null ||
    ! command -v openssl >/dev/null; then
	echo "skip: needs nginx or caddy, node and openssl"
	exit 77
fi

tmp=$(mktemp -d)
pids=""
cleanup() {
	for p in $pids; do
		kill "$p" 2>/dev/null
		wait "$p" 2>/dev/null
	done
	rm -rf "$tmp"
}
trap cleanup EXIT INT TERM

# A free loopback port (the kernel's pick, released at once).
free_port() {
	python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# Wait (5 s at most) until something answers on 127.0.0.1:$1.
wait_port() {
	i=0
	while ! python3 -c "import socket,sys; socket.create_connection(('127.0.0.1', $1), 0.2)" 2>/dev/null; do
		i=$((i + 1))
		[ $i -lt 50 ] || { echo "FAIL: nothing listens on port $1"; return 1; }
		sleep 0.1
	done
}

# The proxies' ports first: their pages' origins are lobbyd's --web-origin,
# as the comments of nginx.conf and Caddyfile say.
nginx_port=$(free_port)
caddy_port=$(free_port)
"$lobbyd" -b 127.0.0.1 -p 0 --web 127.0.0.1:0 \
    --web-origin "https://127.0.0.1:$nginx_port" \
    --web-origin "https://127.0.0.1:$caddy_port" 2>"$tmp/lobbyd.log" &
pids="$pids $!"
i=0
while ! grep -q 'listening on http://' "$tmp/lobbyd.log"; do
	i=$((i + 1))
	[ $i -lt 50 ] || { echo "FAIL: lobbyd did not start"; cat "$tmp/lobbyd.log"; exit 1; }
	sleep 0.1
done
web=$(sed -n 's|^lobbyd: listening on http://127.0.0.1:\([0-9]*\)/$|\1|p' "$tmp/lobbyd.log")
fails=0

check() {
	name=$1
	shift
	for url in "$@"; do
		node "$here/check.js" "$url" || fails=$((fails + 1))
	done
	# The counters are not published through the proxy.
	code=$(node -e '
	    require("https").get(process.argv[1], { rejectUnauthorized: false },
	        (r) => { console.log(r.statusCode); r.resume(); })
	        .on("error", (e) => { console.log(e.message); });' "$1metrics")
	if [ "$code" != 403 ]; then
		echo "FAIL: $name: $1metrics answered $code, not 403"
		fails=$((fails + 1))
	else
		echo "ok: $name: $1metrics is 403"
	fi
}

if [ -n "$have_nginx" ]; then
	port=$nginx_port
	openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj /CN=localhost \
	    -keyout "$tmp/key.pem" -out "$tmp/cert.pem" 2>/dev/null
	mkdir -p "$tmp/nginx"
	sed -e "s|listen 443 ssl;|listen 127.0.0.1:$port ssl;|" \
	    -e '/listen \[::\]:443 ssl;/d' \
	    -e "s|/etc/letsencrypt/live/chat.example.org/fullchain.pem|$tmp/cert.pem|" \
	    -e "s|/etc/letsencrypt/live/chat.example.org/privkey.pem|$tmp/key.pem|" \
	    -e "s|127.0.0.1:8080|127.0.0.1:$web|" \
	    "$here/nginx.conf" >"$tmp/nginx/lobby.conf"
	cat >"$tmp/nginx/nginx.conf" <<CONF
pid $tmp/nginx/nginx.pid;
error_log $tmp/nginx/error.log;
events { }
http {
	access_log off;
	client_body_temp_path $tmp/nginx;
	proxy_temp_path $tmp/nginx;
	fastcgi_temp_path $tmp/nginx;
	uwsgi_temp_path $tmp/nginx;
	scgi_temp_path $tmp/nginx;
	include $tmp/nginx/lobby.conf;
}
CONF
	nginx -p "$tmp/nginx" -c "$tmp/nginx/nginx.conf" -g 'daemon off;' &
	pids="$pids $!"
	if wait_port "$port"; then
		check nginx "https://127.0.0.1:$port/" "https://127.0.0.1:$port/chat/"
	else
		cat "$tmp/nginx/error.log"
		fails=$((fails + 1))
	fi
fi

if [ -n "$have_caddy" ]; then
	port=$caddy_port
	mkdir -p "$tmp/caddy"
	{
		printf '{\n\tadmin off\n\tskip_install_trust\n\tdefault_sni 127.0.0.1\n\tstorage file_system %s\n}\n' \
		    "$tmp/caddy"
		sed -e "s|^chat.example.org {|https://127.0.0.1:$port {\n\ttls internal|" \
		    -e "s|127.0.0.1:8080|127.0.0.1:$web|" "$here/Caddyfile"
	} >"$tmp/caddy/Caddyfile"
	HOME=$tmp/caddy XDG_DATA_HOME=$tmp/caddy XDG_CONFIG_HOME=$tmp/caddy \
	    caddy run --config "$tmp/caddy/Caddyfile" --adapter caddyfile \
	    >"$tmp/caddy/log" 2>&1 &
	pids="$pids $!"
	if wait_port "$port"; then
		check caddy "https://127.0.0.1:$port/"
	else
		cat "$tmp/caddy/log"
		fails=$((fails + 1))
	fi
fi

[ $fails -eq 0 ] || { echo "lobbyd's log:"; cat "$tmp/lobbyd.log"; exit 1; }
