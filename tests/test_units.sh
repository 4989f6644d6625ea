#!/bin/sh
# test_units: systemd accepts lobbyd.service and lobbyd.socket.
#
# usage: test_units.sh SERVICE SOCKET LOBBYD
# systemd-analyze verify checks the syntax, every directive and that the
# service's binary exists; the installed path is replaced by the one just
# built, since nothing is installed yet. Exits 77 (skipped) without
# systemd-analyze, or where it cannot work offline at all.

if ! command -v systemd-analyze >/dev/null 2>&1; then
	echo "SKIP: systemd-analyze is not installed"
	exit 77
fi
service=$1 socket=$2 lobbyd=$3
case $lobbyd in
/*)	;;
*)	lobbyd=$(pwd)/$lobbyd ;;
esac
tmp=$(mktemp -d) || exit 1
trap 'rm -rf "$tmp"' EXIT

# Can it verify anything here (a container without systemd may not)?
printf '[Service]\nExecStart=/bin/true\n' >"$tmp/probe.service"
if ! systemd-analyze verify --man=no "$tmp/probe.service" \
    >"$tmp/out" 2>&1 || [ -s "$tmp/out" ]; then
	echo "SKIP: systemd-analyze verify does not work here:"
	cat "$tmp/out"
	exit 77
fi

sed "s|^ExecStart=[^ ]*/lobbyd|ExecStart=$lobbyd|" "$service" \
    >"$tmp/lobbyd.service"
cp "$socket" "$tmp/lobbyd.socket"
grep -q "^ExecStart=$lobbyd" "$tmp/lobbyd.service" || {
	echo "FAIL: no ExecStart=.../lobbyd in $service"
	exit 1
}
fail=0
systemd-analyze verify --man=no "$tmp/lobbyd.socket" \
    "$tmp/lobbyd.service" >"$tmp/out" 2>&1 || fail=1
if [ -s "$tmp/out" ]; then
	fail=1
fi
cat "$tmp/out"

# The hardening this unit promises, so that it is not lost in an edit.
for d in DynamicUser=yes NoNewPrivileges=yes ProtectSystem=strict \
    ProtectHome=yes PrivateTmp=yes CapabilityBoundingSet= \
    RestrictAddressFamilies= SystemCallFilter=@system-service \
    StateDirectory=lobby; do
	if ! grep -q "^$d" "$service"; then
		echo "FAIL: $service lacks $d"
		fail=1
	fi
done
# A drop-in's bare port (ListenStream=12580) must take IPv4 clients too.
if ! grep -q '^BindIPv6Only=both$' "$socket"; then
	echo "FAIL: $socket lacks BindIPv6Only=both"
	fail=1
fi
# Every socket lobbyd gets must fit in its table of listeners.
n=$(grep -c '^ListenStream=' "$socket")
if [ "$n" -gt 16 ]; then
	echo "FAIL: $n ListenStream lines; lobbyd takes at most 16"
	fail=1
fi
[ $fail -eq 0 ] && echo "units: lobbyd.service and lobbyd.socket verify"
exit $fail
