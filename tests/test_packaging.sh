#!/bin/sh
# test_packaging: what a packager reads agrees with what is built: the
# licence, NEWS and debian/changelog for this version, install paths and
# the service's socket path in every document.
#
# usage: test_packaging.sh SOURCE_ROOT VERSION

root=$1 version=$2
fail=0
failed() { echo "FAIL: $*"; fail=1; }

# The licence meson.build declares, with a copyright holder.
grep -q "license: 'MIT'" "$root/meson.build" ||
	failed "meson.build does not declare the MIT licence"
[ -f "$root/LICENSE" ] || failed "no LICENSE file"
grep -q '^MIT License$' "$root/LICENSE" || failed "LICENSE is not MIT"
grep -q '^Copyright (c) [0-9]* .' "$root/LICENSE" ||
	failed "LICENSE has no copyright holder"

# NEWS has a dated entry for the version being built; a development
# version (X.Y.Z-dev) has its "not yet released" entry instead.
case $version in
*-dev)
	grep -qxF "$version (not yet released)" "$root/NEWS" ||
		failed "NEWS has no \"$version (not yet released)\" entry"
	;;
*)
	grep -qE "^$version \([0-9]{4}-[0-9]{2}-[0-9]{2}\)$" "$root/NEWS" ||
		failed "NEWS has no dated entry for $version"
	;;
esac

# debian/changelog's newest entry is this version (X.Y.Z-dev is
# X.Y.Z~dev to dpkg) and, for a release, dated as NEWS dates it.
if [ -f "$root/debian/changelog" ]; then
	debversion=$(printf '%s\n' "$version" | sed 's/-dev$/~dev/')
	head -n 1 "$root/debian/changelog" |
	    grep -q "^lobby ($debversion) " ||
		failed "debian/changelog's newest entry is not lobby ($debversion)"
	case $version in
	*-dev) ;;
	*)
		news=$(sed -n "s/^$version (\([0-9-]*\))\$/\1/p" "$root/NEWS")
		deb=$(sed -n '0,/^ -- /s/^ -- .*>  \(.*\)$/\1/p' \
		    "$root/debian/changelog")
		deb=$(date -u -d "$deb" +%Y-%m-%d 2>/dev/null)
		[ "$deb" = "$news" ] ||
			failed "debian/changelog dates $version ${deb:-badly}, NEWS $news"
		;;
	esac
fi

# The Unix socket the unit creates is the one every document names.
unit=$(sed -n 's|^ListenStream=\(/.*\)|\1|p' "$root/systemd/lobbyd.socket")
[ -n "$unit" ] || failed "lobbyd.socket has no Unix socket"
for f in README.md docs/CLIENT.md docs/INSTALL.md docs/PROTOCOL.md \
    docs/lobbyd.8 docs/lobby.1; do
	for p in $(grep -oE '/run/[A-Za-z0-9_./-]*\.sock' "$root/$f"); do
		[ "$p" = "$unit" ] ||
			failed "$f names $p, the socket unit creates $unit"
	done
done

# A drop-in for a packaged install runs the packaged binary.
grep -n '^ *ExecStart=/' "$root/docs/INSTALL.md" | while IFS= read -r l; do
	case $l in
	*ExecStart=/usr/sbin/lobbyd*) ;;
	*)	echo "FAIL: docs/INSTALL.md: $l: not /usr/sbin/lobbyd"
		exit 1 ;;
	esac
done || fail=1

[ $fail -eq 0 ] && echo "packaging: LICENSE, NEWS $version, paths agree"
exit $fail
