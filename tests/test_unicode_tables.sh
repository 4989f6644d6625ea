#!/bin/sh
# test_unicode_tables: the committed client/grapheme_tables.h and
# client/width_tables.h are what client/gen_grapheme.py writes from the
# Unicode data, so nobody edited them by hand and a regeneration was
# committed whole. Skips (77) without the data or python3: the build
# itself needs neither.
#
# usage: test_unicode_tables.sh SOURCE_ROOT UNICODE_DIR

root=$1 data=$2
if [ ! -f "$data/auxiliary/GraphemeBreakProperty.txt" ]; then
	echo "SKIP: no Unicode data in $data (Debian: unicode-data)"
	exit 77
fi
if ! command -v python3 >/dev/null 2>&1; then
	echo "SKIP: no python3 to run the generator"
	exit 77
fi
tmp=$(mktemp -d) || exit 1
trap 'rm -rf "$tmp"' EXIT
python3 "$root/client/gen_grapheme.py" "$data" "$tmp/grapheme_tables.h" \
    "$tmp/width_tables.h" || { echo "FAIL: gen_grapheme.py failed"; exit 1; }
fail=0
for f in grapheme_tables.h width_tables.h; do
	if ! cmp -s "$tmp/$f" "$root/client/$f"; then
		echo "FAIL: client/$f differs from the generator's output" \
		    "(meson compile -C build unicode-tables rewrites it):"
		diff -u "$root/client/$f" "$tmp/$f" | head -20
		fail=1
	fi
done
[ $fail = 0 ] && echo "ok: both tables match $data"
exit $fail
