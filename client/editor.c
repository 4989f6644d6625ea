/* editor: the client's line editor: UTF-8 input line, keys, history, redraw. */
#include "editor.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Key decoder states: where in a multi-byte key we are. */
enum {
	ED_GROUND,		/* between keys */
	ED_ESC,			/* after ESC */
	ED_CSI,			/* after ESC [: parameters, then a final byte */
	ED_SS3,			/* after ESC O: one final byte */
	ED_UTF8,		/* inside a multi-byte UTF-8 character */
};

#define CTRL(c)		((c) & 0x1f)
#define ED_DEL		0x7f	/* what most terminals send for Backspace */

/* ------------------------------------------------------------------ */
/* Character widths                                                    */
/* ------------------------------------------------------------------ */

/* A closed range of code points. */
struct ed_range {
	uint32_t	lo;	/* first code point */
	uint32_t	hi;	/* last code point */
};

/*
 * Combining marks and invisible format characters: they take no column of
 * their own. Not all of Unicode, but the marks common in Latin, Greek,
 * Cyrillic, Hebrew, Arabic and Thai text, variation selectors and the
 * zero-width characters.
 */
static const struct ed_range ed_zero[] = {
	{ 0x0300, 0x036f }, { 0x0483, 0x0489 }, { 0x0591, 0x05bd },
	{ 0x05bf, 0x05bf }, { 0x05c1, 0x05c2 }, { 0x05c4, 0x05c5 },
	{ 0x05c7, 0x05c7 }, { 0x0610, 0x061a }, { 0x064b, 0x065f },
	{ 0x0670, 0x0670 }, { 0x06d6, 0x06dc }, { 0x06df, 0x06e4 },
	{ 0x0e31, 0x0e31 }, { 0x0e34, 0x0e3a }, { 0x0e47, 0x0e4e },
	{ 0x1ab0, 0x1aff }, { 0x1dc0, 0x1dff }, { 0x200b, 0x200f },
	{ 0x202a, 0x202e }, { 0x2060, 0x2064 }, { 0x20d0, 0x20ff },
	{ 0x302a, 0x302d }, { 0x3099, 0x309a }, { 0xfe00, 0xfe0f },
	{ 0xfe20, 0xfe2f }, { 0xfeff, 0xfeff }, { 0xe0001, 0xe007f },
	{ 0xe0100, 0xe01ef },
};

/*
 * East Asian Wide and Fullwidth characters, which take two columns: Hangul,
 * CJK ideographs, kana, fullwidth forms, and the emoji terminals draw
 * double-width.
 */
static const struct ed_range ed_wide[] = {
	{ 0x1100, 0x115f }, { 0x231a, 0x231b }, { 0x2329, 0x232a },
	{ 0x23e9, 0x23ec }, { 0x23f0, 0x23f0 }, { 0x23f3, 0x23f3 },
	{ 0x25fd, 0x25fe }, { 0x2614, 0x2615 }, { 0x2648, 0x2653 },
	{ 0x267f, 0x267f }, { 0x2693, 0x2693 }, { 0x26a1, 0x26a1 },
	{ 0x26aa, 0x26ab }, { 0x26bd, 0x26be }, { 0x26c4, 0x26c5 },
	{ 0x26ce, 0x26ce }, { 0x26d4, 0x26d4 }, { 0x26ea, 0x26ea },
	{ 0x26f2, 0x26f3 }, { 0x26f5, 0x26f5 }, { 0x26fa, 0x26fa },
	{ 0x26fd, 0x26fd }, { 0x2705, 0x2705 }, { 0x270a, 0x270b },
	{ 0x2728, 0x2728 }, { 0x274c, 0x274c }, { 0x274e, 0x274e },
	{ 0x2753, 0x2755 }, { 0x2757, 0x2757 }, { 0x2795, 0x2797 },
	{ 0x27b0, 0x27b0 }, { 0x27bf, 0x27bf }, { 0x2b1b, 0x2b1c },
	{ 0x2b50, 0x2b50 }, { 0x2b55, 0x2b55 }, { 0x2e80, 0x303e },
	{ 0x3041, 0x3247 }, { 0x3250, 0x4dbf }, { 0x4e00, 0xa4cf },
	{ 0xa960, 0xa97f }, { 0xac00, 0xd7a3 }, { 0xf900, 0xfaff },
	{ 0xfe10, 0xfe19 }, { 0xfe30, 0xfe6f }, { 0xff00, 0xff60 },
	{ 0xffe0, 0xffe6 }, { 0x16fe0, 0x16fe4 }, { 0x17000, 0x18cff },
	{ 0x1b000, 0x1b2ff }, { 0x1f004, 0x1f004 }, { 0x1f0cf, 0x1f0cf },
	{ 0x1f18e, 0x1f18e }, { 0x1f191, 0x1f19a }, { 0x1f200, 0x1f202 },
	{ 0x1f210, 0x1f23b }, { 0x1f240, 0x1f248 }, { 0x1f250, 0x1f251 },
	{ 0x1f260, 0x1f265 }, { 0x1f300, 0x1f320 }, { 0x1f32d, 0x1f335 },
	{ 0x1f337, 0x1f37c }, { 0x1f37e, 0x1f393 }, { 0x1f3a0, 0x1f3ca },
	{ 0x1f3cf, 0x1f3d3 }, { 0x1f3e0, 0x1f3f0 }, { 0x1f3f4, 0x1f3f4 },
	{ 0x1f3f8, 0x1f43e }, { 0x1f440, 0x1f440 }, { 0x1f442, 0x1f4fc },
	{ 0x1f4ff, 0x1f53d }, { 0x1f54b, 0x1f54e }, { 0x1f550, 0x1f567 },
	{ 0x1f57a, 0x1f57a }, { 0x1f595, 0x1f596 }, { 0x1f5a4, 0x1f5a4 },
	{ 0x1f5fb, 0x1f64f }, { 0x1f680, 0x1f6c5 }, { 0x1f6cc, 0x1f6cc },
	{ 0x1f6d0, 0x1f6d2 }, { 0x1f6d5, 0x1f6d7 }, { 0x1f6eb, 0x1f6ec },
	{ 0x1f6f4, 0x1f6fc }, { 0x1f7e0, 0x1f7eb }, { 0x1f90c, 0x1f93a },
	{ 0x1f93c, 0x1f945 }, { 0x1f947, 0x1f9ff }, { 0x1fa70, 0x1faff },
	{ 0x20000, 0x2fffd }, { 0x30000, 0x3fffd },
};

/* Is cp in the sorted table t of n ranges? */
static bool
ed_in(const struct ed_range *t, size_t n, uint32_t cp)
{
	size_t lo = 0, hi = n, mid;

	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if (cp < t[mid].lo)
			hi = mid;
		else if (cp > t[mid].hi)
			lo = mid + 1;
		else
			return true;
	}
	return false;
}

int
editor_cpwidth(uint32_t cp)
{
	if (cp < 0x20 || (cp >= 0x7f && cp < 0xa0))
		return 0;
	if (ed_in(ed_zero, sizeof ed_zero / sizeof ed_zero[0], cp))
		return 0;
	if (ed_in(ed_wide, sizeof ed_wide / sizeof ed_wide[0], cp))
		return 2;
	return 1;
}

/* ------------------------------------------------------------------ */
/* UTF-8 walking; the line is always valid, so no checks here          */
/* ------------------------------------------------------------------ */

/* Decode the character at s[i]; its length goes to *len. */
static uint32_t
ed_decode(const char *s, size_t i, size_t *len)
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

/* Start of the code point that ends right before s[i] (i > 0). */
static size_t
ed_cp_prev(const char *s, size_t i)
{
	do
		i--;
	while (i > 0 && ((unsigned char)s[i] & 0xc0) == 0x80);
	return i;
}

/*
 * The boundary after the character at i in s[0..n): one code point and the
 * combining marks after it, so a mark is never split from its base.
 */
static size_t
ed_next(const char *s, size_t n, size_t i)
{
	size_t len;

	if (i >= n)
		return n;
	(void)ed_decode(s, i, &len);
	i += len;
	while (i < n && editor_cpwidth(ed_decode(s, i, &len)) == 0)
		i += len;
	return i;
}

/* The boundary before i: back over combining marks to their base. */
static size_t
ed_prev(const char *s, size_t i)
{
	size_t len;

	if (i == 0)
		return 0;
	i = ed_cp_prev(s, i);
	while (i > 0 && editor_cpwidth(ed_decode(s, i, &len)) == 0)
		i = ed_cp_prev(s, i);
	return i;
}

size_t
editor_width(const char *s, size_t n)
{
	size_t i = 0, len, w = 0;

	while (i < n) {
		w += (size_t)editor_cpwidth(ed_decode(s, i, &len));
		i += len;
	}
	return w;
}

/* Is s[i] a blank that separates words? */
static bool
ed_space(const char *s, size_t i)
{
	return s[i] == ' ' || s[i] == '\t';
}

/* ------------------------------------------------------------------ */
/* The line                                                            */
/* ------------------------------------------------------------------ */

void
editor_init(struct editor *e)
{
	memset(e, 0, sizeof *e);
	e->state = ED_GROUND;
}

void
editor_free(struct editor *e)
{
	size_t i;

	for (i = 0; i < e->nhist; i++)
		free(e->hist[i]);
	free(e->draft);
	editor_init(e);
}

/* Remove buf[from..to) and leave the cursor at from. */
static int
ed_cut(struct editor *e, size_t from, size_t to)
{
	if (from >= to)
		return 0;
	memmove(e->buf + from, e->buf + to, e->len - to + 1);
	e->len -= to - from;
	e->pos = from;
	return 1;
}

/* Replace the whole line with s and put the cursor at its end. */
static void
ed_set(struct editor *e, const char *s)
{
	size_t n = strlen(s);

	if (n > EDITOR_MAX)
		n = EDITOR_MAX;
	memcpy(e->buf, s, n);
	e->buf[n] = '\0';
	e->len = e->pos = n;
}

int
editor_insert(struct editor *e, const char *s, size_t n)
{
	if (n > EDITOR_MAX - e->len)
		return -1;
	memmove(e->buf + e->pos + n, e->buf + e->pos, e->len - e->pos + 1);
	memcpy(e->buf + e->pos, s, n);
	e->len += n;
	e->pos += n;
	return 0;
}

int
editor_backspace(struct editor *e)
{
	return ed_cut(e, ed_prev(e->buf, e->pos), e->pos);
}

int
editor_delete(struct editor *e)
{
	return ed_cut(e, e->pos, ed_next(e->buf, e->len, e->pos));
}

int
editor_left(struct editor *e)
{
	size_t p = ed_prev(e->buf, e->pos);

	if (p == e->pos)
		return 0;
	e->pos = p;
	return 1;
}

int
editor_right(struct editor *e)
{
	size_t p = ed_next(e->buf, e->len, e->pos);

	if (p == e->pos)
		return 0;
	e->pos = p;
	return 1;
}

/* The start of the word before i: back over blanks, then over the word. */
static size_t
ed_word_start(const struct editor *e, size_t i)
{
	while (i > 0 && ed_space(e->buf, i - 1))
		i--;
	while (i > 0 && !ed_space(e->buf, i - 1))
		i--;
	return i;
}

int
editor_word_left(struct editor *e)
{
	size_t p = ed_word_start(e, e->pos);

	if (p == e->pos)
		return 0;
	e->pos = p;
	return 1;
}

int
editor_word_right(struct editor *e)
{
	size_t p = e->pos;

	while (p < e->len && ed_space(e->buf, p))
		p++;
	while (p < e->len && !ed_space(e->buf, p))
		p++;
	if (p == e->pos)
		return 0;
	e->pos = p;
	return 1;
}

int
editor_home(struct editor *e)
{
	if (e->pos == 0)
		return 0;
	e->pos = 0;
	return 1;
}

int
editor_end(struct editor *e)
{
	if (e->pos == e->len)
		return 0;
	e->pos = e->len;
	return 1;
}

int
editor_kill_start(struct editor *e)
{
	return ed_cut(e, 0, e->pos);
}

int
editor_kill_end(struct editor *e)
{
	return ed_cut(e, e->pos, e->len);
}

int
editor_kill_word(struct editor *e)
{
	return ed_cut(e, ed_word_start(e, e->pos), e->pos);
}

int
editor_clear(struct editor *e)
{
	if (e->len == 0)
		return 0;
	ed_set(e, "");
	return 1;
}

/* ------------------------------------------------------------------ */
/* History                                                             */
/* ------------------------------------------------------------------ */

/*
 * Up and Down replace the input with an earlier line; the line being typed
 * is kept as the draft and comes back below the newest. Editing a recalled
 * line changes the input only, never the history.
 */
int
editor_hist_prev(struct editor *e)
{
	if (e->hpos == 0)
		return 0;
	if (e->hpos == e->nhist) {
		free(e->draft);
		if ((e->draft = strdup(e->buf)) == NULL)
			return 0;
	}
	e->hpos--;
	ed_set(e, e->hist[e->hpos]);
	return 1;
}

int
editor_hist_next(struct editor *e)
{
	if (e->hpos >= e->nhist)
		return 0;
	e->hpos++;
	if (e->hpos == e->nhist) {
		ed_set(e, e->draft != NULL ? e->draft : "");
		free(e->draft);
		e->draft = NULL;
	} else
		ed_set(e, e->hist[e->hpos]);
	return 1;
}

/* Remember s as the newest line, unless blank or the same as the last. */
static void
ed_hist_add(struct editor *e, const char *s)
{
	char *copy;

	if (s[strspn(s, " \t")] == '\0')
		return;
	if (e->nhist > 0 && strcmp(e->hist[e->nhist - 1], s) == 0)
		return;
	/* Out of memory only costs the line its place in history. */
	if ((copy = strdup(s)) == NULL)
		return;
	if (e->nhist == EDITOR_HIST) {
		free(e->hist[0]);
		memmove(e->hist, e->hist + 1, (EDITOR_HIST - 1) * sizeof e->hist[0]);
		e->nhist--;
	}
	e->hist[e->nhist++] = copy;
}

void
editor_accept(struct editor *e)
{
	memcpy(e->line, e->buf, e->len + 1);
	ed_hist_add(e, e->line);
	free(e->draft);
	e->draft = NULL;
	e->hpos = e->nhist;
	ed_set(e, "");
}

/* ------------------------------------------------------------------ */
/* Keys                                                                */
/* ------------------------------------------------------------------ */

/* An action for an operation's result: redraw only if something changed. */
static enum editor_action
ed_changed(int r)
{
	return r > 0 ? EDITOR_REDRAW : EDITOR_NONE;
}

/* A plain control key or an ASCII character. */
static enum editor_action
ed_ground(struct editor *e, unsigned char c)
{
	char ch = (char)c;

	switch (c) {
	case '\r':
	case '\n':
		editor_accept(e);
		return EDITOR_LINE;
	case CTRL('A'):
		return ed_changed(editor_home(e));
	case CTRL('B'):
		return ed_changed(editor_left(e));
	case CTRL('C'):
		/* Like a shell: drop the line; on an empty one, leave. */
		if (e->len == 0)
			return EDITOR_QUIT;
		return ed_changed(editor_clear(e));
	case CTRL('D'):
		if (e->len == 0)
			return EDITOR_QUIT;
		return ed_changed(editor_delete(e));
	case CTRL('E'):
		return ed_changed(editor_end(e));
	case CTRL('F'):
		return ed_changed(editor_right(e));
	case CTRL('H'):
	case ED_DEL:
		return ed_changed(editor_backspace(e));
	case CTRL('K'):
		return ed_changed(editor_kill_end(e));
	case CTRL('L'):
		return EDITOR_REDRAW;
	case CTRL('N'):
		return ed_changed(editor_hist_next(e));
	case CTRL('P'):
		return ed_changed(editor_hist_prev(e));
	case CTRL('U'):
		return ed_changed(editor_kill_start(e));
	case CTRL('W'):
		return ed_changed(editor_kill_word(e));
	case CTRL('Z'):
		return EDITOR_SUSPEND;
	case 0x1b:
		e->state = ED_ESC;
		return EDITOR_NONE;
	}
	if (c < 0x20)
		return EDITOR_NONE;	/* TAB and the other controls */
	if (c < 0x80)
		return ed_changed(editor_insert(e, &ch, 1) == 0);
	/* The lead byte of a UTF-8 character; C0, C1, F5-FF never are. */
	if (c < 0xc2 || c > 0xf4)
		return EDITOR_NONE;
	e->seq[0] = c;
	e->seqlen = 1;
	e->state = ED_UTF8;
	return EDITOR_NONE;
}

/* Bytes a UTF-8 character with lead byte c has. */
static size_t
ed_utf8_len(unsigned char c)
{
	return c < 0xe0 ? 2 : c < 0xf0 ? 3 : 4;
}

/* May c follow seq[0..seqlen) in a well-formed UTF-8 character? */
static bool
ed_utf8_next_ok(const struct editor *e, unsigned char c)
{
	unsigned char lo = 0x80, hi = 0xbf;

	if (e->seqlen == 1) {
		/* No overlongs, no surrogates, nothing past U+10FFFF. */
		switch (e->seq[0]) {
		case 0xe0: lo = 0xa0; break;
		case 0xed: hi = 0x9f; break;
		case 0xf0: lo = 0x90; break;
		case 0xf4: hi = 0x8f; break;
		}
	}
	return c >= lo && c <= hi;
}

/* The next byte of a UTF-8 character. */
static enum editor_action
ed_utf8(struct editor *e, unsigned char c)
{
	size_t len;
	uint32_t cp;

	if (!ed_utf8_next_ok(e, c)) {
		/* A broken character is dropped; c starts afresh. */
		e->state = ED_GROUND;
		return ed_ground(e, c);
	}
	e->seq[e->seqlen++] = c;
	if (e->seqlen < ed_utf8_len(e->seq[0]))
		return EDITOR_NONE;
	e->state = ED_GROUND;
	cp = ed_decode((const char *)e->seq, 0, &len);
	if (cp < 0xa0)
		return EDITOR_NONE;	/* C1 controls stay off the line */
	return ed_changed(editor_insert(e, (const char *)e->seq,
	    e->seqlen) == 0);
}

/* The final byte of ESC [ ... (parameters in seq) or ESC O. */
static enum editor_action
ed_csi(struct editor *e, unsigned char final)
{
	const char *p = (const char *)e->seq;
	bool ctrl;

	e->seq[e->seqlen] = '\0';
	/* "1;5C" and the like: Ctrl (5) moves by words. */
	ctrl = strchr(p, ';') != NULL && strchr(p, ';')[1] == '5';
	switch (final) {
	case 'A':
		return ed_changed(editor_hist_prev(e));
	case 'B':
		return ed_changed(editor_hist_next(e));
	case 'C':
		return ed_changed(ctrl ? editor_word_right(e) :
		    editor_right(e));
	case 'D':
		return ed_changed(ctrl ? editor_word_left(e) :
		    editor_left(e));
	case 'H':
		return ed_changed(editor_home(e));
	case 'F':
		return ed_changed(editor_end(e));
	case '~':
		/* VT220 keys: 1 and 7 Home, 4 and 8 End, 3 Delete. */
		switch (atoi(p)) {
		case 1:
		case 7:
			return ed_changed(editor_home(e));
		case 4:
		case 8:
			return ed_changed(editor_end(e));
		case 3:
			return ed_changed(editor_delete(e));
		}
		break;
	}
	return EDITOR_NONE;
}

enum editor_action
editor_key(struct editor *e, unsigned char c)
{
	switch (e->state) {
	case ED_ESC:
		e->seqlen = 0;
		e->state = c == '[' ? ED_CSI : c == 'O' ? ED_SS3 : ED_GROUND;
		/* Alt with a key (ESC x) does nothing. */
		return EDITOR_NONE;
	case ED_CSI:
		if (c >= 0x40 && c <= 0x7e) {
			e->state = ED_GROUND;
			return ed_csi(e, c);
		}
		if (c < 0x20 || c > 0x3f) {
			/* Not a sequence after all: start over with c. */
			e->state = ED_GROUND;
			return ed_ground(e, c);
		}
		/* Parameters past what fits are dropped, not misread. */
		if (e->seqlen < EDITOR_SEQMAX - 1)
			e->seq[e->seqlen++] = c;
		return EDITOR_NONE;
	case ED_SS3:
		e->state = ED_GROUND;
		return ed_csi(e, c);
	case ED_UTF8:
		return ed_utf8(e, c);
	}
	return ed_ground(e, c);
}

/* ------------------------------------------------------------------ */
/* Redraw                                                              */
/* ------------------------------------------------------------------ */

/*
 * Scrolling is sideways: a line wider than the terminal shows a window
 * around the cursor, so the input always stays on one row and one erase
 * clears it. The window starts at the line's beginning when the cursor
 * fits there, otherwise it ends right after the cursor.
 */
int
editor_render(const struct editor *e, const char *prompt, unsigned width,
    struct buf *out)
{
	size_t pw = editor_width(prompt, strlen(prompt)), avail, need, w;
	size_t start, end, p, col;
	char move[32];
	int n;

	if (width < 2)
		width = 2;
	if (pw + 2 > width) {
		prompt = "";	/* a terminal too narrow for it */
		pw = 0;
	}
	avail = width - 1 - pw;
	/* Room for the cursor: the cell under it, or one past the end. */
	need = 1;
	if (e->pos < e->len) {
		end = ed_next(e->buf, e->len, e->pos);
		need = editor_width(e->buf + e->pos, end - e->pos);
	}
	start = e->pos;
	w = 0;
	while (start > 0) {
		p = ed_prev(e->buf, start);
		if (w + editor_width(e->buf + p, start - p) + need > avail)
			break;
		w += editor_width(e->buf + p, start - p);
		start = p;
	}
	col = pw + w;
	end = e->pos;
	while (end < e->len) {
		p = ed_next(e->buf, e->len, end);
		if (w + editor_width(e->buf + end, p - end) > avail)
			break;
		w += editor_width(e->buf + end, p - end);
		end = p;
	}
	if (buf_append(out, "\r", 1) == -1 ||
	    buf_append(out, prompt, strlen(prompt)) == -1 ||
	    buf_append(out, e->buf + start, end - start) == -1 ||
	    buf_append(out, "\033[K\r", 4) == -1)
		return -1;
	if (col > 0) {
		n = snprintf(move, sizeof move, "\033[%zuC", col);
		if (buf_append(out, move, (size_t)n) == -1)
			return -1;
	}
	return 0;
}
