#!/bin/sh
# test_formats: every "*** " and "!!! " line format the server writes
# lives in common/proto.h: no such string literal in server/*.c or
# server/*.h outside comments.
#
# usage: test_formats.sh SOURCE_ROOT

root=${1:-.}
# Comment lines ("/*", " *") and trailing comments are not code.
found=$(grep -n '"\(\*\*\*\|!!!\)' "$root"/server/*.c "$root"/server/*.h |
    grep -v '^[^:]*:[0-9]*:[[:space:]]*/\?\*' |
    sed 's|/\*.*||' | grep '"\(\*\*\*\|!!!\)')
if [ -n "$found" ]; then
	echo "server line formats outside common/proto.h:"
	echo "$found"
	exit 1
fi
# And the check sees one where there is one.
if ! printf '\troom_sendf(r, c, "*** %%s", x);\n' |
    grep -q '"\(\*\*\*\|!!!\)'; then
	echo "the check itself finds nothing"
	exit 1
fi
echo "ok: no line format literals in server/"
