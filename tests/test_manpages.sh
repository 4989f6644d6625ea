#!/bin/sh
# test_manpages: the manual pages render without warnings, every option a
# program's --help names is in its page, no sentence of --help comes twice,
# and each page carries the program's version (.Os) and, when $NEWS names
# the NEWS file, the date of that version's entry there (.Dd).
#
# usage: [NEWS=path/to/NEWS] test_manpages.sh PROGRAM PAGE [PROGRAM PAGE]...
# Uses mandoc and groff, whichever are installed (both when both are);
# exits 77 (skipped) only when neither is.

have() { command -v "$1" >/dev/null 2>&1; }

if ! have mandoc && ! have groff; then
	echo "SKIP: neither mandoc nor groff is installed"
	exit 77
fi
if [ $# -lt 2 ] || [ $(($# % 2)) -ne 0 ]; then
	echo "usage: $0 PROGRAM PAGE [PROGRAM PAGE]..." >&2
	exit 2
fi

tmp=$(mktemp -d) || exit 1
trap 'rm -rf "$tmp"' EXIT
bs=$(printf '\b')
fail=0

# Render page as plain text on lines too long to wrap, so that an option
# is never split by hyphenation or a line break.
render() {
	if have mandoc; then
		mandoc -T ascii -O width=250 "$1" 2>/dev/null
	else
		groff -mandoc -Tascii -rLL=250n -rHY=0 "$1" 2>/dev/null
	fi | sed "s/.$bs//g"
}

# Lint page with every tool there is; any complaint fails the test.
lint() {
	if have mandoc; then
		# Style remarks (a referenced page not installed here) are not
		# faults of the page.
		if ! mandoc -T lint -W warning "$1" >"$tmp/lint" 2>&1; then
			echo "FAIL: mandoc -T lint $1:"
			cat "$tmp/lint"
			fail=1
		fi
	fi
	if have groff; then
		groff -mandoc -ww -z "$1" >"$tmp/lint" 2>&1
		if [ -s "$tmp/lint" ]; then
			echo "FAIL: groff -ww $1:"
			cat "$tmp/lint"
			fail=1
		fi
	fi
}

while [ $# -gt 0 ]; do
	prog=$1 page=$2
	shift 2
	name=$(basename "$prog")
	lint "$page"
	render "$page" >"$tmp/page"
	if ! grep -q "^NAME" "$tmp/page"; then
		echo "FAIL: $page does not render"
		fail=1
		continue
	fi
	if ! "$prog" --help >"$tmp/help" 2>&1; then
		echo "FAIL: $name --help did not exit 0"
		fail=1
		continue
	fi
	# No sentence of --help twice, however the lines wrap it: the sign
	# of two edits of one paragraph kept side by side.
	dup=$(tr -s ' \n' '  ' <"$tmp/help" | sed 's/\. /.\n/g' |
	    sed 's/^ *//' | awk 'length($0) >= 20' | sort | uniq -d)
	if [ -n "$dup" ]; then
		echo "FAIL: $name --help repeats: $dup"
		fail=1
	fi
	# Every -x and --word that --help shows, standing alone.
	opts=$(grep -oE -- '(^|[^A-Za-z0-9_-])--?[A-Za-z][A-Za-z0-9-]*' \
	    "$tmp/help" | sed 's/^[^-]*//' | sort -u)
	if [ -z "$opts" ]; then
		echo "FAIL: no options found in $name --help"
		fail=1
		continue
	fi
	n=0
	for o in $opts; do
		n=$((n + 1))
		if ! grep -qE -- "(^|[^A-Za-z0-9_-])$o([^A-Za-z0-9_-]|\$)" \
		    "$tmp/page"; then
			echo "FAIL: $name --help names $o, $page does not"
			fail=1
		fi
	done
	echo "$name: $n options from --help checked against $page"

	# .Os names the package and its version: an empty one renders as
	# "BSD System Manager's Manual" under groff.
	version=$("$prog" --version | sed -n '1s/^[^ ]* //p')
	if ! grep -qx "\.Os lobby $version" "$page"; then
		echo "FAIL: $page lacks .Os lobby $version"
		fail=1
	fi
	if render "$page" | grep -q 'BSD'; then
		echo "FAIL: $page renders as a BSD page"
		fail=1
	fi
	# .Dd is the release date: the one NEWS gives this version. A
	# development version (X.Y.Z-dev) has no date yet: NEWS must list
	# it as not yet released.
	if [ -n "$NEWS" ] && [ "${version%-dev}" != "$version" ]; then
		if ! grep -qxF "$version (not yet released)" "$NEWS"; then
			echo "FAIL: $NEWS has no \"$version (not yet released)\" entry"
			fail=1
		fi
	elif [ -n "$NEWS" ]; then
		date=$(sed -n "s/^$version (\([0-9-]*\))\$/\1/p" "$NEWS")
		if [ -z "$date" ]; then
			echo "FAIL: $NEWS has no dated entry for $version"
			fail=1
		else
			dd=$(LC_ALL=C date -d "$date" '+%B %-d, %Y' 2>/dev/null)
			if ! grep -qx "\.Dd $dd" "$page"; then
				echo "FAIL: $page: .Dd is not $dd ($date, NEWS)"
				fail=1
			fi
		fi
	fi
done
exit $fail
