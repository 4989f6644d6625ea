#!/bin/sh
# tests/package.sh: build the Debian packages the way a distribution
# would, from the release tarball, and check them: lintian finds no error
# and no warning, each package holds what it must (binaries, manual
# pages, units, copyright) and nothing of the other's, its version is the
# build's, and the packaged lobbyd and lobby run.
#
#   tests/package.sh [--out DIR] [--install]
#
# In a git checkout the tarball is `meson dist`'s, of HEAD (uncommitted
# changes are not in it); in an unpacked tarball the tree is copied.
# Everything happens in a temporary folder: the tree is left as it was.
# The packages are built with nocheck (the test suite runs elsewhere).
# --out DIR keeps the .debs (and the tarball) in DIR. --install (root)
# also installs both packages with dpkg, runs them from /usr, and purges
# them again. Exits 77 when dpkg-buildpackage, debhelper or a build
# dependency is missing (.ci/run installs them all).
set -u
root=$(cd "$(dirname "$0")/.." && pwd)
out= install=
while [ $# -gt 0 ]; do
	case $1 in
	--out) out=$2; shift 2 ;;
	--install) install=1; shift ;;
	*) echo "usage: tests/package.sh [--out DIR] [--install]" >&2; exit 2 ;;
	esac
done

for tool in dpkg-buildpackage dpkg-deb dh meson; do
	if ! command -v "$tool" >/dev/null 2>&1; then
		echo "skip: no $tool (Debian: dpkg-dev, debhelper, meson)"
		exit 77
	fi
done
if ! missing=$(cd "$root" && dpkg-checkbuilddeps -Pnocheck 2>&1); then
	echo "skip: $missing"
	exit 77
fi

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT INT TERM
fail=0
failed() { echo "FAIL: $*"; fail=1; }

version=$(sed -n "s/^ *version: '\([^']*\)',\$/\1/p" "$root/meson.build" |
    head -n 1)
# A development version X.Y.Z-dev is X.Y.Z~dev to dpkg (before X.Y.Z).
debversion=$(printf '%s\n' "$version" | sed 's/-dev$/~dev/')
v=$(cd "$root" && dpkg-parsechangelog -S Version)
[ "$v" = "$debversion" ] ||
	failed "meson.build says $version, debian/changelog $v, not $debversion"
arch=$(dpkg --print-architecture)

# The source: the release tarball, or a copy of this unpacked one.
if git -C "$root" rev-parse --git-dir >/dev/null 2>&1; then
	[ -z "$(git -C "$root" status --porcelain --untracked-files=no)" ] ||
		echo "note: uncommitted changes are not in the packages"
	if ! meson setup "$work/dist" "$root" -Dtests=disabled \
	    -Dbench=false >"$work/dist.log" 2>&1 ||
	    ! meson dist -C "$work/dist" --no-tests --formats xztar \
	    --allow-dirty >>"$work/dist.log" 2>&1; then
		cat "$work/dist.log"
		echo "FAIL: meson dist"
		exit 1
	fi
	tarball=$(ls "$work"/dist/meson-dist/lobby-*.tar.xz)
	echo "tarball: ${tarball##*/}"
	tar -xJf "$tarball" -C "$work"
	src=$work/lobby-$version
	[ -d "$src/debian" ] || failed "the tarball has no debian/"
else
	src=$work/lobby-$version
	mkdir "$src"
	(cd "$root" && tar -cf - --exclude='./build*' --exclude=./.git .) |
	    (cd "$src" && tar -xf -)
fi

t0=$(date +%s)
if ! (cd "$src" && DEB_BUILD_OPTIONS=nocheck dpkg-buildpackage -us -uc -b \
    -Pnocheck) >"$work/build.log" 2>&1; then
	tail -n 40 "$work/build.log"
	echo "FAIL: dpkg-buildpackage"
	exit 1
fi
echo "built in $(($(date +%s) - t0))s:" $(cd "$work" && ls *.deb)
# A build's compiler warnings are bugs here as anywhere.
if grep -E '(warning|error): ' "$work/build.log" |
    grep -v '^dpkg-\|^dh_' >"$work/warnings"; then
	cat "$work/warnings"
	failed "the package build has compiler warnings"
fi

deb_lobbyd=$work/lobbyd_${debversion}_$arch.deb
deb_lobby=$work/lobby_${debversion}_$arch.deb
for deb in "$deb_lobbyd" "$deb_lobby"; do
	[ -s "$deb" ] || { echo "FAIL: no ${deb##*/}"; exit 1; }
done

# lintian: no error, no warning (informational tags are listed).
if command -v lintian >/dev/null 2>&1; then
	changes=$work/lobby_${debversion}_$arch.changes
	lintian --fail-on error,warning --display-info "$changes" \
	    >"$work/lintian.log" 2>&1
	rc=$?
	grep -v 'running with root privileges' "$work/lintian.log" |
	    sed 's/^/lintian: /'
	[ $rc -eq 0 ] || failed "lintian reports errors or warnings"
else
	failed "no lintian (Debian: lintian)"
fi

# Each package's files: what it must hold, and nothing else.
# check_files DEB PATTERN...: every PATTERN (an extended regular
# expression for one path) matches some file, and every file matches one.
check_files() {
	deb=$1
	shift
	dpkg-deb -c "$deb" | awk '$1 !~ /^d/ { sub(/^\.\//, "", $6); print $6 }' \
	    >"$work/files" || { failed "dpkg-deb -c ${deb##*/}"; return; }
	for p in "$@"; do
		grep -qE "^($p)\$" "$work/files" ||
			failed "${deb##*/}: nothing matches $p"
	done
	pats=$(printf '%s|' "$@")
	grep -vE "^(${pats%|})\$" "$work/files" | while IFS= read -r f; do
		echo "FAIL: ${deb##*/} holds $f"
		exit 1
	done || fail=1
}
units='(usr/)?lib/systemd/system'
check_files "$deb_lobbyd" usr/sbin/lobbyd \
    'usr/share/man/man8/lobbyd\.8\.gz' \
    "$units/lobbyd\\.service" "$units/lobbyd\\.socket" \
    usr/share/doc/lobbyd/copyright 'usr/share/doc/lobbyd/changelog\.gz' \
    'usr/share/doc/lobbyd/NEWS\.gz' \
    'usr/share/doc/lobbyd/[A-Za-z]+\.md\.gz'
check_files "$deb_lobby" usr/bin/lobby 'usr/share/man/man1/lobby\.1\.gz' \
    usr/share/doc/lobby/copyright 'usr/share/doc/lobby/changelog\.gz' \
    'usr/share/doc/lobby/NEWS\.gz' 'usr/share/doc/lobby/[A-Za-z]+\.md\.gz'

# The control fields: the build's version.
for deb in "$deb_lobbyd" "$deb_lobby"; do
	v=$(dpkg-deb -f "$deb" Version)
	[ "$v" = "$debversion" ] ||
		failed "${deb##*/}: Version $v, not $debversion"
done
# Every optional feature the build offers is on: the programs that use
# it link its library (OPTION:LIBRARY:PACKAGE).
for f in redis:libhiredis:lobbyd tls:libssl:lobbyd tls:libssl:lobby \
    accounts:libsqlite3:lobbyd accounts:libsodium:lobbyd; do
	opt=${f%%:*} lib=${f#*:} pkg=${f##*:}
	lib=${lib%:*}
	grep -q "^option('$opt'" "$src/meson_options.txt" || continue
	dpkg-deb -f "$work/${pkg}_${debversion}_$arch.deb" Depends | grep -q "$lib" ||
		failed "$pkg does not depend on $lib: built without -D$opt?"
done

# The packaged programs run, and the service runs the packaged lobbyd.
mkdir "$work/root"
dpkg-deb -x "$deb_lobbyd" "$work/root" && dpkg-deb -x "$deb_lobby" "$work/root"
for p in usr/sbin/lobbyd usr/bin/lobby; do
	v=$("$work/root/$p" --version 2>&1)
	[ "$v" = "${p##*/} $version" ] ||
		failed "$p --version says \"$v\", not \"${p##*/} $version\""
done
service=$(ls "$work"/root/lib/systemd/system/lobbyd.service \
    "$work"/root/usr/lib/systemd/system/lobbyd.service 2>/dev/null)
grep -qx 'ExecStart=/usr/sbin/lobbyd' "$service" ||
	failed "lobbyd.service does not run /usr/sbin/lobbyd"

# A real installation, when asked.
if [ -n "$install" ]; then
	if dpkg -i "$deb_lobbyd" "$deb_lobby" >"$work/dpkg.log" 2>&1; then
		for p in lobbyd lobby; do
			v=$(/usr/*bin/$p --version 2>&1)
			[ "$v" = "$p $version" ] ||
				failed "installed $p --version says \"$v\""
		done
		dpkg -L lobbyd lobby | grep -E 'bin/|\.service|\.socket' |
		    sed 's/^/installed: /'
	else
		cat "$work/dpkg.log"
		failed "dpkg -i"
	fi
	dpkg --purge lobbyd lobby >>"$work/dpkg.log" 2>&1 ||
		failed "dpkg --purge"
	! dpkg-query -W lobbyd lobby >/dev/null 2>&1 ||
		failed "lobbyd or lobby still installed after the purge"
fi

if [ -n "$out" ]; then
	mkdir -p "$out" && cp "$work"/*.deb "$work"/*.changes "$out"/ &&
	    cp "$work"/dist/meson-dist/lobby-*.tar.xz "$out"/ 2>/dev/null
	echo "kept in $out:" $(cd "$out" && ls)
fi

[ $fail -eq 0 ] && echo "package: lobbyd and lobby $version built, lintian clean, contents right"
exit $fail
