/* fuzz_check: the strict output check both fuzz targets share. */
#ifndef LOBBY_FUZZ_CHECK_H
#define LOBBY_FUZZ_CHECK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#define FUZZ_CHECK(x)	do { if (!(x)) abort(); } while (0)

/*
 * Whether s[0..n) is what the cleaner may hand out: well-formed UTF-8 with
 * none of the controls it removes (C0 but TAB, DEL, C1, the bidirectional
 * controls and the line and paragraph separators). Written apart
 * from common/text.c on purpose: it decodes by the bit patterns alone and
 * then rejects what the standard forbids (overlong forms, surrogates,
 * values past U+10FFFF), so a shared mistake cannot hide.
 */
static inline bool
fuzz_valid_clean(const unsigned char *s, size_t n)
{
	static const uint32_t least[] = { 0, 0x80, 0x800, 0x10000 };
	size_t i = 0, k, more;
	uint32_t cp;

	while (i < n) {
		unsigned char c = s[i];

		if ((c & 0x80) == 0) {
			cp = c;
			more = 0;
		} else if ((c & 0xe0) == 0xc0) {
			cp = c & 0x1f;
			more = 1;
		} else if ((c & 0xf0) == 0xe0) {
			cp = c & 0x0f;
			more = 2;
		} else if ((c & 0xf8) == 0xf0) {
			cp = c & 0x07;
			more = 3;
		} else
			return false;
		if (n - i < more + 1)
			return false;
		for (k = 1; k <= more; k++) {
			if ((s[i + k] & 0xc0) != 0x80)
				return false;
			cp = cp << 6 | (s[i + k] & 0x3f);
		}
		if (cp < least[more] || cp > 0x10ffff ||
		    (cp >= 0xd800 && cp <= 0xdfff))
			return false;
		if ((cp < 0x20 && cp != '\t') || (cp >= 0x7f && cp <= 0x9f))
			return false;
		if ((cp >= 0x2028 && cp <= 0x202e) ||
		    (cp >= 0x2066 && cp <= 0x2069))
			return false;
		i += more + 1;
	}
	return true;
}

#endif /* LOBBY_FUZZ_CHECK_H */
