/* text: telnet IAC removal, UTF-8 repair and control-character removal. */
#include "text.h"

#include <stdint.h>
#include <string.h>

/* Telnet command bytes (RFC 854) that matter for stripping. */
#define TELNET_IAC	0xff	/* interpret as command */
#define TELNET_DONT	0xfe
#define TELNET_DO	0xfd
#define TELNET_WONT	0xfc
#define TELNET_WILL	0xfb
#define TELNET_SB	0xfa	/* subnegotiation begins */
#define TELNET_SE	0xf0	/* subnegotiation ends */

/* Values of struct telnet's state. */
#define TELNET_DATA	0	/* plain data */
#define TELNET_CMD	1	/* after IAC */
#define TELNET_OPT	2	/* after IAC WILL/WONT/DO/DONT: the option */
#define TELNET_SUB	3	/* inside IAC SB ... */
#define TELNET_SUBIAC	4	/* IAC inside a subnegotiation */

/*
 * One pass, writing behind the read position: the output never outruns
 * the input, so stripping in place is safe. Almost every chunk holds no
 * IAC at all; memchr() lets those go through untouched.
 */
size_t
telnet_strip(struct telnet *t, char *buf, size_t n)
{
	unsigned char *p = (unsigned char *)buf, c;
	size_t i, o;

	if (n == 0)
		return 0;
	if (t->state == TELNET_DATA) {
		unsigned char *iac = memchr(p, TELNET_IAC, n);

		if (iac == NULL)
			return n;
		i = o = (size_t)(iac - p);
	} else
		i = o = 0;

	for (; i < n; i++) {
		c = p[i];
		switch (t->state) {
		case TELNET_DATA:
			if (c == TELNET_IAC)
				t->state = TELNET_CMD;
			else
				p[o++] = c;
			break;
		case TELNET_CMD:
			if (c == TELNET_IAC) {
				/* An escaped 0xff is data. */
				p[o++] = c;
				t->state = TELNET_DATA;
			} else if (c >= TELNET_WILL && c <= TELNET_DONT)
				t->state = TELNET_OPT;
			else if (c == TELNET_SB)
				t->state = TELNET_SUB;
			else
				t->state = TELNET_DATA;
			break;
		case TELNET_OPT:
			t->state = TELNET_DATA;
			break;
		case TELNET_SUB:
			if (c == TELNET_IAC)
				t->state = TELNET_SUBIAC;
			break;
		case TELNET_SUBIAC:
			/*
			 * Only IAC SE ends a subnegotiation; IAC IAC is an
			 * escaped data byte inside it and anything else is
			 * not meaningful there, so both stay inside.
			 */
			t->state = c == TELNET_SE ? TELNET_DATA : TELNET_SUB;
			break;
		default:
			/* Cannot happen; resynchronise on plain data. */
			t->state = TELNET_DATA;
			p[o++] = c;
			break;
		}
	}
	return o;
}

/*
 * Word-at-a-time test for eight plain ASCII bytes that need no work: no
 * high bit, nothing below 0x20 and no 0x7f. The "below 0x20" term is the
 * classic has-byte-less-than trick, exact once the high bits are known
 * clear; adding 1 carries a 0x7f byte into its high bit and no other.
 */
#define TEXT_ONES	UINT64_C(0x0101010101010101)
#define TEXT_HIGH	UINT64_C(0x8080808080808080)

static inline int
text_plain8(uint64_t w)
{
	if (w & TEXT_HIGH)
		return 0;
	if ((w - TEXT_ONES * 0x20) & ~w & TEXT_HIGH)
		return 0;
	return ((w + TEXT_ONES) & TEXT_HIGH) == 0;
}

/* Write U+FFFD, the replacement character. */
static inline size_t
text_fffd(unsigned char *out, size_t o)
{
	out[o] = 0xef;
	out[o + 1] = 0xbf;
	out[o + 2] = 0xbd;
	return o + 3;
}

/*
 * Decode one sequence starting with the non-ASCII byte in[0] (n >= 1
 * bytes available). Returns the bytes it spans. *ok says whether they form
 * a well-formed character; if not, they are one maximal ill-formed
 * subpart: the longest prefix of a well-formed sequence (at least one
 * byte), as Unicode chapter 3 and the WHATWG decoder define it.
 */
static inline size_t
text_seq(const unsigned char *in, size_t n, int *ok)
{
	unsigned char c = in[0], lo = 0x80, hi = 0xbf;
	size_t need, i;

	*ok = 0;
	if (c >= 0xc2 && c <= 0xdf)
		need = 1;
	else if (c >= 0xe0 && c <= 0xef) {
		need = 2;
		if (c == 0xe0)
			lo = 0xa0;	/* overlong below U+0800 */
		else if (c == 0xed)
			hi = 0x9f;	/* surrogates U+D800-U+DFFF */
	} else if (c >= 0xf0 && c <= 0xf4) {
		need = 3;
		if (c == 0xf0)
			lo = 0x90;	/* overlong below U+10000 */
		else if (c == 0xf4)
			hi = 0x8f;	/* beyond U+10FFFF */
	} else
		return 1;	/* 80-C1, F5-FF: never a lead byte */

	/* The second byte has the narrowed range, the rest 80-BF. */
	for (i = 1; i <= need; i++) {
		if (i >= n || in[i] < lo || in[i] > hi)
			return i;
		lo = 0x80;
		hi = 0xbf;
	}
	*ok = 1;
	return need + 1;
}

/*
 * Whether the well-formed three-byte sequence at in is a code point that
 * can make a terminal show text in another order or on other lines than
 * it was sent: the bidirectional embeddings and overrides U+202A-U+202E,
 * the isolates U+2066-U+2069, and the separators U+2028 and U+2029.
 * ("Trojan Source", CVE-2021-42574.)
 */
static inline int
text_reorders(const unsigned char *in)
{
	if (in[0] != 0xe2)
		return 0;
	if (in[1] == 0x80)
		return in[2] >= 0xa8 && in[2] <= 0xae;	/* U+2028-U+202E */
	if (in[1] == 0x81)
		return in[2] >= 0xa6 && in[2] <= 0xa9;	/* U+2066-U+2069 */
	return 0;
}

/*
 * Most chat is ASCII, so runs of eight plain bytes are copied a word at a
 * time; everything else goes byte by byte through the decoder.
 */
size_t
text_clean(const char *inp, size_t n, char *outp)
{
	const unsigned char *in = (const unsigned char *)inp;
	unsigned char *out = (unsigned char *)outp, c;
	size_t i = 0, o = 0, len;
	uint64_t w;
	int ok;

	while (i < n) {
		while (n - i >= 8) {
			memcpy(&w, in + i, 8);
			if (!text_plain8(w))
				break;
			memcpy(out + o, &w, 8);
			i += 8;
			o += 8;
		}
		if (i >= n)
			break;
		c = in[i];
		if (c < 0x80) {
			/* C0 controls but TAB, and DEL, are dropped. */
			if ((c >= 0x20 && c != 0x7f) || c == '\t')
				out[o++] = c;
			i++;
			continue;
		}
		len = text_seq(in + i, n - i, &ok);
		if (!ok)
			o = text_fffd(out, o);
		else if (len == 2 && c == 0xc2 && in[i + 1] < 0xa0) {
			/* C1 controls, U+0080-U+009F: dropped. */
		} else if (len == 3 && text_reorders(in + i)) {
			/* Bidi controls and line separators: dropped. */
		} else {
			memcpy(out + o, in + i, len);
			o += len;
		}
		i += len;
	}
	return o;
}

size_t
text_clean_source_min(const char *s, size_t n)
{
	const char *p = s, *end = s + n;
	size_t min = n;

	/* In valid UTF-8 these three bytes are U+FFFD and nothing else. */
	while ((p = memchr(p, 0xef, (size_t)(end - p))) != NULL) {
		if (end - p >= 3 && memcmp(p, "\xef\xbf\xbd", 3) == 0) {
			min -= 2;
			p += 3;
		} else
			p++;
	}
	return min;
}

size_t
text_plain_span(const char *s, size_t n)
{
	const unsigned char *u = (const unsigned char *)s;
	size_t i = 0;
	uint64_t w;

	for (; n - i >= 8; i += 8) {
		memcpy(&w, u + i, 8);
		if (!text_plain8(w))
			break;
	}
	while (i < n && u[i] >= 0x20 && u[i] < 0x7f)
		i++;
	return i;
}

bool
text_is_blank(const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (s[i] != ' ' && s[i] != '\t')
			return false;
	return true;
}
