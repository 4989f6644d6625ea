/* fuzz_text: libFuzzer target for telnet stripping, framing and cleaning. */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_check.h"
#include "line.h"
#include "text.h"

/*
 * Input layout: byte 0 picks the line cap (1-64), bytes 1-2 seed the
 * chunk sizes, the rest is the byte stream a client sends. The stream is
 * stripped, framed and cleaned twice, in one chunk and in many, and both
 * runs are held against a plain model of what the framer must produce.
 */

#define FUZZ_MAXCAP	64

/* ---------------------------------------------------- reference cleaner */

/* Unicode table 3-7: the well-formed byte sequences, range by range. */
static const struct {
	unsigned char	len;		/* bytes in the sequence */
	unsigned char	lo[4], hi[4];	/* allowed range of each byte */
} fuzz_rows[] = {
	{ 1, { 0x00 }, { 0x7f } },
	{ 2, { 0xc2, 0x80 }, { 0xdf, 0xbf } },
	{ 3, { 0xe0, 0xa0, 0x80 }, { 0xe0, 0xbf, 0xbf } },
	{ 3, { 0xe1, 0x80, 0x80 }, { 0xec, 0xbf, 0xbf } },
	{ 3, { 0xed, 0x80, 0x80 }, { 0xed, 0x9f, 0xbf } },
	{ 3, { 0xee, 0x80, 0x80 }, { 0xef, 0xbf, 0xbf } },
	{ 4, { 0xf0, 0x90, 0x80, 0x80 }, { 0xf0, 0xbf, 0xbf, 0xbf } },
	{ 4, { 0xf1, 0x80, 0x80, 0x80 }, { 0xf3, 0xbf, 0xbf, 0xbf } },
	{ 4, { 0xf4, 0x80, 0x80, 0x80 }, { 0xf4, 0x8f, 0xbf, 0xbf } },
};

/*
 * The cleaner as the standard words it: at each position take the longest
 * prefix of some row of the table; a whole row is a character, anything
 * shorter (at least one byte) is one maximal subpart and one U+FFFD.
 */
static size_t
fuzz_ref_clean(const unsigned char *in, size_t n, unsigned char *out)
{
	size_t i = 0, o = 0, r, k, best, row;
	uint32_t cp;

	while (i < n) {
		best = 0;
		row = 0;
		for (r = 0; r < sizeof fuzz_rows / sizeof fuzz_rows[0]; r++) {
			for (k = 0; k < fuzz_rows[r].len && i + k < n; k++)
				if (in[i + k] < fuzz_rows[r].lo[k] ||
				    in[i + k] > fuzz_rows[r].hi[k])
					break;
			if (k > best) {
				best = k;
				row = r;
			}
		}
		if (best == 0 || best < fuzz_rows[row].len) {
			if (best == 0)
				best = 1;
			out[o++] = 0xef;
			out[o++] = 0xbf;
			out[o++] = 0xbd;
			i += best;
			continue;
		}
		cp = best == 1 ? in[i] : in[i] & (0x7f >> best);
		for (k = 1; k < best; k++)
			cp = cp << 6 | (in[i + k] & 0x3f);
		if (!((cp < 0x20 && cp != '\t') || (cp >= 0x7f && cp <= 0x9f) ||
		    (cp >= 0x2028 && cp <= 0x202e) ||
		    (cp >= 0x2066 && cp <= 0x2069))) {
			memcpy(out + o, in + i, best);
			o += best;
		}
		i += best;
	}
	return o;
}

/* Clean s[0..n) and hold the result against every rule. */
static void
fuzz_check_clean(const unsigned char *s, size_t n)
{
	unsigned char *out, *ref, *again;
	size_t o, r, a;

	out = malloc(TEXT_CLEAN_MAX(n) + 1);
	ref = malloc(TEXT_CLEAN_MAX(n) + 1);
	again = malloc(TEXT_CLEAN_MAX(n) + 1);
	FUZZ_CHECK(out != NULL && ref != NULL && again != NULL);

	o = text_clean((const char *)s, n, (char *)out);
	FUZZ_CHECK(o <= TEXT_CLEAN_MAX(n));
	FUZZ_CHECK(fuzz_valid_clean(out, o));
	r = fuzz_ref_clean(s, n, ref);
	FUZZ_CHECK(o == r && memcmp(out, ref, o) == 0);
	/* Clean text is a fixed point. */
	a = text_clean((const char *)out, o, (char *)again);
	FUZZ_CHECK(a == o && memcmp(again, out, o) == 0);
	/* Blank means only spaces and TABs. */
	for (a = 0; a < o && (out[a] == ' ' || out[a] == '\t'); a++)
		;
	FUZZ_CHECK(text_is_blank((const char *)out, o) == (a == o));

	free(out);
	free(ref);
	free(again);
}

/* ----------------------------------------------------- telnet model */

/*
 * Telnet stripping written as lookahead over the whole input rather than
 * as a state machine: IAC IAC is 0xff, IAC WILL/WONT/DO/DONT takes one
 * more byte, IAC SB runs to the first IAC SE not part of an IAC x pair,
 * any other IAC x goes. A sequence cut off by the end is swallowed.
 */
static size_t
fuzz_ref_strip(const unsigned char *in, size_t n, unsigned char *out)
{
	size_t i = 0, o = 0, j;

	while (i < n) {
		if (in[i] != 0xff) {
			out[o++] = in[i++];
			continue;
		}
		if (i + 1 >= n)
			break;
		if (in[i + 1] == 0xff) {
			out[o++] = 0xff;
			i += 2;
		} else if (in[i + 1] >= 0xfb && in[i + 1] <= 0xfe)
			i += 3;
		else if (in[i + 1] == 0xfa) {
			for (j = i + 2; j < n; j++) {
				if (in[j] != 0xff)
					continue;
				if (j + 1 < n && in[j + 1] == 0xf0)
					break;
				j++;
			}
			i = j + 2;
		} else
			i += 2;
	}
	return o;
}

/* ----------------------------------------------------- framing model */

/* One framer event as seen, or as the model says it must be. */
struct fuzz_ev {
	enum line_event	 ev;	/* LINE_TEXT or LINE_TOOLONG */
	size_t		 off;	/* model TEXT: where it starts in the stream */
	size_t		 len;	/* TEXT: its length */
	unsigned char	*copy;	/* run TEXT: its bytes, copied */
	size_t		 at;	/* run: stream bytes fed when reported */
	size_t		 from;	/* run: stream bytes fed before that call */
	bool		 fin;	/* run: reported by line_finish() */
	size_t		 known;	/* model: first position that shows it */
};

/* The recorder behind the framer's callback. */
struct fuzz_run {
	struct fuzz_ev	*evs;		/* events so far */
	size_t		 n;		/* their number */
	size_t		 cap;		/* room at evs */
	const unsigned char *stream;	/* whole stripped stream */
	size_t		 from, to;	/* stream bytes of the current call */
	bool		 fin;		/* inside line_finish() */
	size_t		 max;		/* the cap */
};

static void
fuzz_push(struct fuzz_run *r, struct fuzz_ev *e)
{
	if (r->n == r->cap) {
		r->cap = r->cap ? r->cap * 2 : 16;
		r->evs = realloc(r->evs, r->cap * sizeof *r->evs);
		FUZZ_CHECK(r->evs != NULL);
	}
	r->evs[r->n++] = *e;
}

/* Record an event, with a copy of its text, and check what it says. */
static int
fuzz_record(void *arg, enum line_event ev, const char *text, size_t len)
{
	struct fuzz_run *r = arg;
	struct fuzz_ev e;

	memset(&e, 0, sizeof e);
	e.ev = ev;
	e.len = len;
	e.at = r->to;
	e.from = r->from;
	e.fin = r->fin;
	if (ev == LINE_TOOLONG)
		FUZZ_CHECK(text == NULL && len == 0);
	else {
		FUZZ_CHECK(ev == LINE_TEXT);
		FUZZ_CHECK(len <= r->max);
		FUZZ_CHECK(len == 0 || text != NULL);
		fuzz_check_clean((const unsigned char *)text, len);
		if (len > 0) {
			e.copy = malloc(len);
			FUZZ_CHECK(e.copy != NULL);
			memcpy(e.copy, text, len);
		}
	}
	fuzz_push(r, &e);
	return 0;
}

/*
 * What the framer must do with s[0..n): split at LF, drop one CR before
 * it, report lines over max once; at the end, an unfinished line is a
 * line too (with its CR, which no LF follows). For an overlong line,
 * known is the stream position whose arrival shows it is over the cap.
 */
static void
fuzz_model(const unsigned char *s, size_t n, size_t max, struct fuzz_run *m)
{
	size_t start = 0, end, len;
	struct fuzz_ev e;
	bool eof;

	while (start < n) {
		const unsigned char *lf = memchr(s + start, '\n', n - start);

		eof = lf == NULL;
		end = eof ? n : (size_t)(lf - s);
		len = end - start;
		if (!eof && len > 0 && s[end - 1] == '\r')
			len--;
		memset(&e, 0, sizeof e);
		if (len > max) {
			e.ev = LINE_TOOLONG;
			if (s[start + max] != '\r')
				e.known = start + max;
			else if (start + max + 1 < n)
				e.known = start + max + 1;
			else
				e.known = n;	/* only EOF tells */
		} else {
			e.ev = LINE_TEXT;
			e.off = start;
			e.len = len;
		}
		fuzz_push(m, &e);
		if (eof)
			break;
		start = end + 1;
	}
}

/* Hold a run's events against the model's, then free the copies. */
static void
fuzz_compare(struct fuzz_run *got, const struct fuzz_run *want, bool timed)
{
	size_t i;

	FUZZ_CHECK(got->n == want->n);
	for (i = 0; i < got->n; i++) {
		struct fuzz_ev *g = &got->evs[i];
		const struct fuzz_ev *w = &want->evs[i];

		FUZZ_CHECK(g->ev == w->ev);
		if (g->ev == LINE_TEXT) {
			FUZZ_CHECK(g->len == w->len);
			if (g->len > 0)
				FUZZ_CHECK(memcmp(g->copy,
				    want->stream + w->off, g->len) == 0);
			free(g->copy);
		} else if (timed) {
			/*
			 * Reported in the very call that brought the byte
			 * showing it, or at the end if only EOF shows it.
			 */
			if (w->known == want->to)
				FUZZ_CHECK(g->fin);
			else
				FUZZ_CHECK(!g->fin && g->from <= w->known &&
				    w->known < g->at);
		}
	}
}

/* A small deterministic generator for chunk sizes. */
static uint32_t
fuzz_rand(uint32_t *x)
{
	*x ^= *x << 13;
	*x ^= *x >> 17;
	*x ^= *x << 5;
	return *x;
}

int	LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz_run model, one, many;
	struct telnet t1 = TELNET_INIT, t2 = TELNET_INIT;
	struct line l;
	unsigned char *whole, *chunk;
	size_t max, n, sn, i, step, m, maxstep;
	uint32_t seed;

	if (size < 3)
		return 0;
	max = 1 + data[0] % FUZZ_MAXCAP;
	maxstep = 1 + data[1] % 16;
	seed = (uint32_t)data[1] << 8 | data[2] | 0x10000;
	data += 3;
	n = size - 3;

	/* The raw bytes, whatever they are, clean to valid text. */
	fuzz_check_clean(data, n);

	/* Strip in one go: the stream the model and the single run see. */
	whole = malloc(n + 1);
	chunk = malloc(n + 1);
	FUZZ_CHECK(whole != NULL && chunk != NULL);
	memcpy(whole, data, n);
	sn = telnet_strip(&t1, (char *)whole, n);
	FUZZ_CHECK(sn <= n);
	FUZZ_CHECK(fuzz_ref_strip(data, n, chunk) == sn);
	FUZZ_CHECK(memcmp(chunk, whole, sn) == 0);

	memset(&model, 0, sizeof model);
	model.stream = whole;
	model.to = sn;
	fuzz_model(whole, sn, max, &model);

	/* One chunk. */
	memset(&one, 0, sizeof one);
	one.max = max;
	one.to = sn;
	line_init(&l, max);
	FUZZ_CHECK(line_feed(&l, (const char *)whole, sn, fuzz_record,
	    &one) == 0);
	FUZZ_CHECK(line_pending(&l) <= max + 1);
	one.fin = true;
	FUZZ_CHECK(line_finish(&l, fuzz_record, &one) == 0);
	FUZZ_CHECK(line_pending(&l) == 0);
	line_shrink(&l);
	FUZZ_CHECK(l.part.data == NULL);
	line_free(&l);
	fuzz_compare(&one, &model, false);

	/* Many chunks, of 0 to maxstep raw bytes each, stripped as they come. */
	memset(&many, 0, sizeof many);
	many.max = max;
	line_init(&l, max);
	for (i = 0; i < n; i += step) {
		step = fuzz_rand(&seed) % (maxstep + 1);
		if (step > n - i)
			step = n - i;
		memcpy(chunk, data + i, step);
		m = telnet_strip(&t2, (char *)chunk, step);
		FUZZ_CHECK(m <= step);
		FUZZ_CHECK(many.to + m <= sn);
		FUZZ_CHECK(memcmp(chunk, whole + many.to, m) == 0);
		many.from = many.to;
		many.to += m;
		FUZZ_CHECK(line_feed(&l, (const char *)chunk, m, fuzz_record,
		    &many) == 0);
		FUZZ_CHECK(line_pending(&l) <= max + 1);
	}
	FUZZ_CHECK(many.to == sn);
	FUZZ_CHECK(t1.state == t2.state);
	many.from = sn;
	many.fin = true;
	FUZZ_CHECK(line_finish(&l, fuzz_record, &many) == 0);
	line_free(&l);
	fuzz_compare(&many, &model, true);

	free(model.evs);
	free(one.evs);
	free(many.evs);
	free(whole);
	free(chunk);
	return 0;
}
