/* grapheme: extended grapheme clusters (UAX #29), for editing by character. */
#include "grapheme.h"

#include <stdbool.h>

#include "grapheme_tables.h"	/* generated: grapheme_ranges[] */

enum grapheme_prop
grapheme_prop(uint32_t cp)
{
	size_t lo = 0, hi = sizeof grapheme_ranges / sizeof grapheme_ranges[0];
	size_t mid;

	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if (cp < grapheme_ranges[mid].lo)
			hi = mid;
		else if (cp > grapheme_ranges[mid].hi)
			lo = mid + 1;
		else
			return grapheme_ranges[mid].prop;
	}
	return GB_OTHER;
}

uint32_t
grapheme_decode(const char *s, size_t i, size_t *len)
{
	const unsigned char *p = (const unsigned char *)s + i;

	if (p[0] < 0x80) {
		*len = 1;
		return p[0];
	}
	if (p[0] < 0xe0) {
		*len = 2;
		return (uint32_t)(p[0] & 0x1f) << 6 | (p[1] & 0x3f);
	}
	if (p[0] < 0xf0) {
		*len = 3;
		return (uint32_t)(p[0] & 0x0f) << 12 |
		    (uint32_t)(p[1] & 0x3f) << 6 | (p[2] & 0x3f);
	}
	*len = 4;
	return (uint32_t)(p[0] & 0x07) << 18 | (uint32_t)(p[1] & 0x3f) << 12 |
	    (uint32_t)(p[2] & 0x3f) << 6 | (p[3] & 0x3f);
}

/* Is a a control-like break property (GB4, GB5)? */
static bool
grapheme_control(enum grapheme_prop a)
{
	return a == GB_CR || a == GB_LF || a == GB_CONTROL;
}

/*
 * The rules of UAX #29 (Unicode 15.0) for a break between a and b. pict
 * says the code points before b are ExtPict Extend* ZWJ (GB11); ri says
 * an odd number of regional indicators come right before b (GB12, GB13).
 */
static bool
grapheme_break(enum grapheme_prop a, enum grapheme_prop b, bool pict, bool ri)
{
	if (a == GB_CR && b == GB_LF)
		return false;				/* GB3 */
	if (grapheme_control(a) || grapheme_control(b))
		return true;				/* GB4, GB5 */
	if (a == GB_L && (b == GB_L || b == GB_V || b == GB_LV ||
	    b == GB_LVT))
		return false;				/* GB6 */
	if ((a == GB_LV || a == GB_V) && (b == GB_V || b == GB_T))
		return false;				/* GB7 */
	if ((a == GB_LVT || a == GB_T) && b == GB_T)
		return false;				/* GB8 */
	if (b == GB_EXTEND || b == GB_ZWJ)
		return false;				/* GB9 */
	if (b == GB_SPACINGMARK)
		return false;				/* GB9a */
	if (a == GB_PREPEND)
		return false;				/* GB9b */
	if (a == GB_ZWJ && b == GB_EXTPICT && pict)
		return false;				/* GB11 */
	if (a == GB_RI && b == GB_RI && ri)
		return false;				/* GB12, GB13 */
	return true;					/* GB999 */
}

size_t
grapheme_next(const char *s, size_t n, size_t i)
{
	enum grapheme_prop a, b;
	bool pict, ri;
	size_t len;

	if (i >= n)
		return n;
	a = grapheme_prop(grapheme_decode(s, i, &len));
	i += len;
	/* pict: ExtPict Extend* seen (ZWJ then completes GB11's left side). */
	pict = a == GB_EXTPICT;
	ri = a == GB_RI;
	while (i < n) {
		b = grapheme_prop(grapheme_decode(s, i, &len));
		if (grapheme_break(a, b, a == GB_ZWJ && pict, ri))
			break;
		/* Only Extend* then one ZWJ may follow the pictograph. */
		if (b == GB_EXTPICT)
			pict = true;
		else if ((b != GB_EXTEND && b != GB_ZWJ) || a == GB_ZWJ)
			pict = false;
		ri = b == GB_RI && !ri;
		a = b;
		i += len;
	}
	return i;
}

size_t
grapheme_prev(const char *s, size_t i)
{
	size_t at = 0, next;

	/*
	 * A boundary depends on all that comes before it (a run of
	 * regional indicators), so walk from the start: lines are short.
	 */
	while ((next = grapheme_next(s, i, at)) < i)
		at = next;
	return at;
}
