/* grapheme: extended grapheme clusters (UAX #29), for editing by character. */
#ifndef LOBBY_GRAPHEME_H
#define LOBBY_GRAPHEME_H

#include <stddef.h>
#include <stdint.h>

/*
 * What a person sees as one character can be several code points: a
 * letter and its accents, a Hangul syllable in jamo, a flag (two regional
 * indicators), an emoji family joined by ZWJ. The editor moves, deletes
 * and measures by these clusters. The property table is generated at
 * build time from the Unicode data files (client/gen_grapheme.py).
 */

/* Grapheme_Cluster_Break values, and Extended_Pictographic. */
enum grapheme_prop {
	GB_OTHER,
	GB_CR,
	GB_LF,
	GB_CONTROL,
	GB_EXTEND,
	GB_ZWJ,
	GB_RI,			/* Regional_Indicator */
	GB_PREPEND,
	GB_SPACINGMARK,
	GB_L,			/* Hangul leading jamo */
	GB_V,			/* vowel jamo */
	GB_T,			/* trailing jamo */
	GB_LV,			/* syllable LV */
	GB_LVT,			/* syllable LVT */
	GB_EXTPICT,		/* Extended_Pictographic */
};

/* A closed range of code points with one property. */
struct grapheme_range {
	uint32_t		lo;	/* first code point */
	uint32_t		hi;	/* last code point */
	enum grapheme_prop	prop;	/* their property */
};

/* The property of code point cp. */
enum grapheme_prop	grapheme_prop(uint32_t cp);

/* Decode the valid UTF-8 code point at s[i]; its length goes to *len. */
uint32_t	grapheme_decode(const char *s, size_t i, size_t *len);

/*
 * The end of the cluster that starts at i in the valid UTF-8 s[0..n): the
 * next boundary after i, or n.
 */
size_t	grapheme_next(const char *s, size_t n, size_t i);

/* The start of the cluster that ends at boundary i of s (0 for i = 0). */
size_t	grapheme_prev(const char *s, size_t i);

#endif /* LOBBY_GRAPHEME_H */
