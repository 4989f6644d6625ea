/* editor: the client's line editor: UTF-8 input line, keys, history, redraw. */
#include "editor.h"
#include "grapheme.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* Key decoder states: where in a multi-byte key we are. */
enum {
	ED_GROUND,		/* between keys */
	ED_ESC,			/* after ESC: a sequence, Meta-key, or a lone Esc */
	ED_CSI,			/* after ESC [: parameters, then a final byte */
	ED_SS3,			/* after ESC O: one final byte */
	ED_UTF8,		/* inside a multi-byte UTF-8 character */
	ED_PASTE,		/* inside a bracketed paste, up to ESC [ 2 0 1 ~ */
};

/* Key codes past the bytes: what the sequences decode to. */
enum {
	K_UP = 0x100,
	K_DOWN,
	K_RIGHT,
	K_LEFT,
	K_HOME,
	K_END,
	K_DELETE,
	K_PASTE,		/* ESC [ 2 0 0 ~: a bracketed paste begins */
};

#define CTRL(c)		((c) & 0x1f)
#define ED_ESCAPE	0x1b
#define ED_DEL		0x7f	/* what most terminals send for Backspace */
#define ED_PASTE_END	"\033[201~"	/* the end of a bracketed paste */
/*
 * The fewest columns a prompt leaves the input line: `<`, four of text
 * and the cursor. Narrower, the prompt is left out, or the line would
 * show a character or two, or nothing, behind it.
 */
#define ED_MIN_COLS	6

/* ------------------------------------------------------------------ */
/* Character widths                                                    */
/* ------------------------------------------------------------------ */

/* A closed range of code points. */
struct ed_range {
	uint32_t	lo;	/* first code point */
	uint32_t	hi;	/* last code point */
};

/*
 * width_zero[]: marks and format characters, which take no column of
 * their own; width_wide[]: East Asian Wide and Fullwidth characters (CJK,
 * Hangul, kana, fullwidth forms, the emoji terminals draw double-width),
 * which take two. Generated from the Unicode data by client/gen_grapheme.py.
 */
#include "width_tables.h"

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
	if (cp == '\t')
		return 1;	/* shown as one space */
	if (cp < 0x20 || (cp >= 0x7f && cp < 0xa0))
		return 0;
	if (ed_in(width_zero, sizeof width_zero / sizeof width_zero[0], cp))
		return 0;
	if (ed_in(width_wide, sizeof width_wide / sizeof width_wide[0], cp))
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
	return grapheme_decode(s, i, len);
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
 * The boundary after the character at i in s[0..n), and the one before
 * i: characters are extended grapheme clusters, so a mark never leaves
 * its base, nor a joined emoji its family.
 */
static size_t
ed_next(const char *s, size_t n, size_t i)
{
	return grapheme_next(s, n, i);
}

static size_t
ed_prev(const char *s, size_t i)
{
	return grapheme_prev(s, i);
}

/*
 * Columns of the one cluster s[0..n): its first code point that takes
 * any; two for a flag (a regional indicator pair) and for a character
 * made an emoji by VS16 (U+FE0F), as terminals draw them.
 */
static size_t
ed_cluster_width(const char *s, size_t n)
{
	size_t i = 0, len, w = 0;
	uint32_t cp;
	int cw;

	while (i < n) {
		cp = ed_decode(s, i, &len);
		if (i == 0 && grapheme_prop(cp) == GB_RI)
			return 2;
		if (cp == 0xfe0f && w == 1)
			return 2;
		if (w == 0 && (cw = editor_cpwidth(cp)) > 0)
			w = (size_t)cw;
		i += len;
	}
	return w;
}

size_t
editor_width(const char *s, size_t n)
{
	size_t i = 0, next, w = 0;

	while (i < n) {
		next = ed_next(s, n, i);
		w += ed_cluster_width(s + i, next - i);
		i = next;
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

/* Drop every undo step: the line they belong to is gone. */
static void
ed_undo_clear(struct editor *e)
{
	size_t i;

	for (i = 0; i < e->nundo; i++)
		free(e->undo[i].text);
	e->nundo = 0;
	e->typing = false;
}

void
editor_init(struct editor *e)
{
	struct buf empty = BUF_INIT;

	memset(e->buf, 0, sizeof e->buf);
	memset(e->line, 0, sizeof e->line);
	e->len = e->pos = 0;
	e->maxsend = EDITOR_MAX;
	e->nhist = e->hpos = 0;
	e->draft = NULL;
	e->seqlen = 0;
	e->state = ED_GROUND;
	e->meta = false;
	e->kill = NULL;
	e->nundo = 0;
	e->typing = false;
	e->searching = e->search_failed = false;
	e->query[0] = '\0';
	e->qlen = 0;
	e->shit = 0;
	e->saved = NULL;
	e->completing = false;
	e->cstart = e->clen = e->cindex = 0;
	e->cprefix[0] = '\0';
	e->paste = empty;
	e->pmatch = 0;
	e->plost = 0;
	e->pnomem = false;
}

void
editor_free(struct editor *e)
{
	size_t i;

	for (i = 0; i < e->nhist; i++)
		free(e->hist[i]);
	free(e->draft);
	free(e->kill);
	free(e->saved);
	ed_undo_clear(e);
	buf_free(&e->paste);
	editor_init(e);
}

/*
 * Remember the line as it is before a change, for Ctrl-_. Characters
 * typed one after another make one step (typing), as in a shell.
 */
static void
ed_snapshot(struct editor *e, bool typing)
{
	char *copy;

	if (typing && e->typing)
		return;
	e->typing = typing;
	/* Out of memory only costs an undo step. */
	if ((copy = strdup(e->buf)) == NULL)
		return;
	if (e->nundo == EDITOR_UNDO) {
		free(e->undo[0].text);
		memmove(e->undo, e->undo + 1,
		    (EDITOR_UNDO - 1) * sizeof e->undo[0]);
		e->nundo--;
	}
	e->undo[e->nundo].text = copy;
	e->undo[e->nundo].pos = e->pos;
	e->nundo++;
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

void
editor_set(struct editor *e, const char *s)
{
	ed_snapshot(e, false);
	ed_set(e, s);
}

/* Remove buf[from..to) and leave the cursor at from. */
static int
ed_cut(struct editor *e, size_t from, size_t to)
{
	if (from >= to)
		return 0;
	ed_snapshot(e, false);
	memmove(e->buf + from, e->buf + to, e->len - to + 1);
	e->len -= to - from;
	e->pos = from;
	return 1;
}

/* Cut buf[from..to) and keep it for Ctrl-Y. */
static int
ed_kill(struct editor *e, size_t from, size_t to)
{
	char *k;

	if (from >= to)
		return 0;
	/* Out of memory: the text is still cut, only not kept. */
	if ((k = malloc(to - from + 1)) != NULL) {
		memcpy(k, e->buf + from, to - from);
		k[to - from] = '\0';
		free(e->kill);
		e->kill = k;
	}
	return ed_cut(e, from, to);
}

int
editor_insert(struct editor *e, const char *s, size_t n)
{
	if (n > EDITOR_MAX - e->len)
		return -1;
	ed_snapshot(e, true);
	memmove(e->buf + e->pos + n, e->buf + e->pos, e->len - e->pos + 1);
	memcpy(e->buf + e->pos, s, n);
	e->len += n;
	e->pos += n;
	return 0;
}

/* Move the cursor to p; returns 1 when it moved. */
static int
ed_move(struct editor *e, size_t p)
{
	e->typing = false;
	if (p == e->pos)
		return 0;
	e->pos = p;
	return 1;
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
	return ed_move(e, ed_prev(e->buf, e->pos));
}

int
editor_right(struct editor *e)
{
	return ed_move(e, ed_next(e->buf, e->len, e->pos));
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

/* The end of the word after i: over blanks, then over the word. */
static size_t
ed_word_end(const struct editor *e, size_t i)
{
	while (i < e->len && ed_space(e->buf, i))
		i++;
	while (i < e->len && !ed_space(e->buf, i))
		i++;
	return i;
}

int
editor_word_left(struct editor *e)
{
	return ed_move(e, ed_word_start(e, e->pos));
}

int
editor_word_right(struct editor *e)
{
	return ed_move(e, ed_word_end(e, e->pos));
}

int
editor_home(struct editor *e)
{
	return ed_move(e, 0);
}

int
editor_end(struct editor *e)
{
	return ed_move(e, e->len);
}

int
editor_kill_start(struct editor *e)
{
	return ed_kill(e, 0, e->pos);
}

int
editor_kill_end(struct editor *e)
{
	return ed_kill(e, e->pos, e->len);
}

int
editor_kill_word(struct editor *e)
{
	return ed_kill(e, ed_word_start(e, e->pos), e->pos);
}

int
editor_kill_word_right(struct editor *e)
{
	return ed_kill(e, e->pos, ed_word_end(e, e->pos));
}

int
editor_yank(struct editor *e)
{
	if (e->kill == NULL || e->kill[0] == '\0')
		return 0;
	ed_snapshot(e, false);
	/* One step: the insert below must not take a second one. */
	e->typing = true;
	if (editor_insert(e, e->kill, strlen(e->kill)) == -1) {
		e->typing = false;
		return 0;
	}
	e->typing = false;
	return 1;
}

/*
 * Swap the character before the cursor with the one under it and step
 * over both; at the end of the line, swap the last two. As in a shell.
 */
int
editor_transpose(struct editor *e)
{
	char tmp[EDITOR_MAX];
	size_t a, b, c;

	if (e->len == 0 || e->pos == 0)
		return 0;
	if (e->pos == e->len)
		b = ed_prev(e->buf, e->len);
	else
		b = e->pos;
	if (b == 0)
		return 0;
	a = ed_prev(e->buf, b);
	c = ed_next(e->buf, e->len, b);
	ed_snapshot(e, false);
	/* buf[a..b) and buf[b..c) trade places. */
	memcpy(tmp, e->buf + b, c - b);
	memcpy(tmp + (c - b), e->buf + a, b - a);
	memcpy(e->buf + a, tmp, c - a);
	e->pos = c;
	return 1;
}

int
editor_undo(struct editor *e)
{
	if (e->nundo == 0)
		return 0;
	e->nundo--;
	ed_set(e, e->undo[e->nundo].text);
	e->pos = e->undo[e->nundo].pos;
	free(e->undo[e->nundo].text);
	e->typing = false;
	return 1;
}

int
editor_clear(struct editor *e)
{
	if (e->len == 0)
		return 0;
	ed_snapshot(e, false);
	ed_set(e, "");
	return 1;
}

/* ------------------------------------------------------------------ */
/* History                                                             */
/* ------------------------------------------------------------------ */

/*
 * Up and Down replace the input with an earlier line; the line being typed
 * is kept as the draft and comes back below the newest. Editing a recalled
 * line changes the input only, never the history. Each line has its own
 * undo, so moving through the history drops it.
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
	ed_undo_clear(e);
	ed_set(e, e->hist[e->hpos]);
	return 1;
}

int
editor_hist_next(struct editor *e)
{
	if (e->hpos >= e->nhist)
		return 0;
	e->hpos++;
	ed_undo_clear(e);
	if (e->hpos == e->nhist) {
		ed_set(e, e->draft != NULL ? e->draft : "");
		free(e->draft);
		e->draft = NULL;
	} else
		ed_set(e, e->hist[e->hpos]);
	return 1;
}

/* The length of the command word of "/word ...", 0 when s is not one. */
static size_t
ed_command(const char *s, size_t n, const char *word)
{
	size_t k = strlen(word);

	if (n < k + 1 || s[0] != '/' || strncasecmp(s + 1, word, k) != 0 ||
	    (n > k + 1 && s[k + 1] != ' ' && s[k + 1] != '\t'))
		return 0;
	return k + 1;
}

/* The first byte at or after i in s[0..n) that is not a blank. */
static size_t
ed_skip_blanks(const char *s, size_t n, size_t i)
{
	while (i < n && (s[i] == ' ' || s[i] == '\t'))
		i++;
	return i;
}

size_t
editor_secret_start(const char *s, size_t n)
{
	size_t i, k;

	if ((k = ed_command(s, n, "register")) != 0) {
		i = ed_skip_blanks(s, n, k);
		return i > k ? i : EDITOR_NO_SECRET;
	}
	if ((k = ed_command(s, n, "login")) == 0)
		return EDITOR_NO_SECRET;
	i = ed_skip_blanks(s, n, k);
	if (i == k || i == n)
		return EDITOR_NO_SECRET;
	/* The nick, then the blanks before the password. */
	while (i < n && s[i] != ' ' && s[i] != '\t')
		i++;
	k = i;
	i = ed_skip_blanks(s, n, i);
	return i > k ? i : EDITOR_NO_SECRET;
}

/* Whether s is a /login or /register line: never remembered. */
static bool
ed_secret_line(const char *s)
{
	size_t n = strlen(s);

	return ed_command(s, n, "login") != 0 ||
	    ed_command(s, n, "register") != 0;
}

int
editor_hist_add(struct editor *e, const char *s)
{
	char *copy;

	if (s[strspn(s, " \t")] == '\0' || ed_secret_line(s))
		return 0;
	if (e->nhist > 0 && strcmp(e->hist[e->nhist - 1], s) == 0)
		return 0;
	if ((copy = strdup(s)) == NULL)
		return -1;
	if (e->nhist == EDITOR_HIST) {
		free(e->hist[0]);
		memmove(e->hist, e->hist + 1, (EDITOR_HIST - 1) * sizeof e->hist[0]);
		e->nhist--;
	}
	e->hist[e->nhist++] = copy;
	e->hpos = e->nhist;
	return 0;
}

void
editor_accept(struct editor *e)
{
	memcpy(e->line, e->buf, e->len + 1);
	/* Out of memory only costs the line its place in history. */
	(void)editor_hist_add(e, e->line);
	free(e->draft);
	e->draft = NULL;
	e->hpos = e->nhist;
	ed_undo_clear(e);
	ed_set(e, "");
}

/* ------------------------------------------------------------------ */
/* Ctrl-R: reverse search through the history                          */
/* ------------------------------------------------------------------ */

/* Show the newest history line older than from that holds the query. */
static void
ed_search(struct editor *e, size_t from)
{
	const char *hit;
	size_t i;

	for (i = from; i-- > 0;) {
		if ((hit = strstr(e->hist[i], e->query)) != NULL) {
			e->shit = i;
			ed_set(e, e->hist[i]);
			e->pos = (size_t)(hit - e->hist[i]);
			e->search_failed = false;
			return;
		}
	}
	e->search_failed = true;
}

/* Ctrl-R: start a search, or look further back for the same text. */
static enum editor_action
ed_search_key(struct editor *e)
{
	if (!e->searching) {
		free(e->saved);
		if ((e->saved = strdup(e->buf)) == NULL)
			return EDITOR_BELL;
		e->searching = true;
		e->search_failed = false;
		e->qlen = 0;
		e->query[0] = '\0';
		e->shit = e->nhist;
		return EDITOR_REDRAW;
	}
	if (e->qlen == 0)
		return EDITOR_NONE;
	ed_search(e, e->shit);
	return e->search_failed ? EDITOR_BELL : EDITOR_REDRAW;
}

/* Leave the search; keep the line found, or put back the one before. */
static void
ed_search_end(struct editor *e, bool keep)
{
	if (!keep && e->saved != NULL)
		ed_set(e, e->saved);
	free(e->saved);
	e->saved = NULL;
	e->searching = false;
	e->hpos = e->nhist;
	ed_undo_clear(e);
}

/* Add text to the query and look again, from the line shown. */
static enum editor_action
ed_search_text(struct editor *e, const char *s, size_t n)
{
	if (n > EDITOR_QUERY - e->qlen)
		return EDITOR_BELL;
	memcpy(e->query + e->qlen, s, n);
	e->qlen += n;
	e->query[e->qlen] = '\0';
	ed_search(e, e->shit < e->nhist ? e->shit + 1 : e->nhist);
	return e->search_failed ? EDITOR_BELL : EDITOR_REDRAW;
}

/* Backspace in a search: a shorter query, looked for from the newest. */
static enum editor_action
ed_search_back(struct editor *e)
{
	if (e->qlen == 0)
		return EDITOR_NONE;
	e->qlen = ed_cp_prev(e->query, e->qlen);
	e->query[e->qlen] = '\0';
	if (e->qlen > 0)
		ed_search(e, e->nhist);
	else
		e->search_failed = false;
	return EDITOR_REDRAW;
}

/* ------------------------------------------------------------------ */
/* Tab completion                                                      */
/* ------------------------------------------------------------------ */

enum editor_action
editor_complete(struct editor *e, const char *const *names, size_t n)
{
	char rep[128];
	size_t i, plen, nmatch = 0, pick, rlen, ws;
	const char *hit = NULL;

	if (!e->completing) {
		ws = e->pos;
		while (ws > 0 && !ed_space(e->buf, ws - 1))
			ws--;
		if (e->pos - ws >= sizeof e->cprefix)
			return EDITOR_BELL;
		memcpy(e->cprefix, e->buf + ws, e->pos - ws);
		e->cprefix[e->pos - ws] = '\0';
		e->cstart = ws;
		e->clen = e->pos - ws;
		e->cindex = 0;
	} else
		e->cindex++;
	plen = strlen(e->cprefix);
	for (i = 0; i < n; i++)
		if (strncasecmp(names[i], e->cprefix, plen) == 0)
			nmatch++;
	if (nmatch == 0) {
		e->completing = false;
		return EDITOR_BELL;
	}
	pick = e->cindex % nmatch;
	for (i = 0; i < n; i++)
		if (strncasecmp(names[i], e->cprefix, plen) == 0 &&
		    pick-- == 0) {
			hit = names[i];
			break;
		}
	rlen = (size_t)snprintf(rep, sizeof rep, "%s%s", hit,
	    e->cstart == 0 ? ": " : " ");
	if (rlen >= sizeof rep ||
	    e->len - e->clen + rlen > EDITOR_MAX) {
		e->completing = false;
		return EDITOR_BELL;
	}
	if (!e->completing)
		ed_snapshot(e, false);
	e->typing = false;
	memmove(e->buf + e->cstart + rlen, e->buf + e->cstart + e->clen,
	    e->len - e->cstart - e->clen + 1);
	memcpy(e->buf + e->cstart, rep, rlen);
	e->len = e->len - e->clen + rlen;
	e->pos = e->cstart + rlen;
	e->clen = rlen;
	e->completing = true;
	return EDITOR_REDRAW;
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

/* Text typed (a character, or a TAB): into the query or the line. */
static enum editor_action
ed_text(struct editor *e, const char *s, size_t n)
{
	if (e->searching)
		return ed_search_text(e, s, n);
	/* A full line says so rather than drop the key unseen. */
	return editor_insert(e, s, n) == 0 ? EDITOR_REDRAW : EDITOR_BELL;
}

/* Enter: take the line, unless the server would refuse it. */
static enum editor_action
ed_enter(struct editor *e)
{
	if (e->len > e->maxsend)
		return EDITOR_TOOLONG;
	editor_accept(e);
	return EDITOR_LINE;
}

/* Ctrl-C: like a shell, drop the line; on an empty one, leave. */
static enum editor_action
ed_interrupt(struct editor *e)
{
	if (e->len == 0)
		return EDITOR_QUIT;
	return ed_changed(editor_clear(e));
}

/* Ctrl-D: delete under the cursor; on an empty line, leave. */
static enum editor_action
ed_eof(struct editor *e)
{
	if (e->len == 0)
		return EDITOR_QUIT;
	return ed_changed(editor_delete(e));
}

/* Ctrl-_: undo, or the bell when there is nothing to undo. */
static enum editor_action
ed_undo_key(struct editor *e)
{
	return editor_undo(e) ? EDITOR_REDRAW : EDITOR_BELL;
}

/* A bracketed paste begins: its bytes are gathered, not taken as keys. */
static enum editor_action
ed_paste_start(struct editor *e)
{
	buf_clear(&e->paste);
	e->pmatch = 0;
	e->plost = 0;
	e->pnomem = false;
	e->state = ED_PASTE;
	return EDITOR_NONE;
}

/*
 * What each key does; Meta is Alt, or ESC before the key. A binding has
 * one of: an editing operation (redraw when it changed something), a
 * handler that decides the action, or an action for the caller.
 */
static const struct ed_bind {
	int		  key;		/* a byte, or a K_ code */
	bool		  meta;		/* with Meta */
	int		(*op)(struct editor *);	/* an editing operation */
	enum editor_action (*fn)(struct editor *); /* or a handler */
	enum editor_action act;		/* or this, for the caller */
} ed_binds[] = {
	{ '\r', false, NULL, ed_enter, EDITOR_NONE },
	{ '\n', false, NULL, ed_enter, EDITOR_NONE },
	{ '\t', false, NULL, NULL, EDITOR_COMPLETE },
	{ CTRL('A'), false, editor_home, NULL, EDITOR_NONE },
	{ CTRL('B'), false, editor_left, NULL, EDITOR_NONE },
	{ CTRL('C'), false, NULL, ed_interrupt, EDITOR_NONE },
	{ CTRL('D'), false, NULL, ed_eof, EDITOR_NONE },
	{ CTRL('E'), false, editor_end, NULL, EDITOR_NONE },
	{ CTRL('F'), false, editor_right, NULL, EDITOR_NONE },
	{ CTRL('H'), false, editor_backspace, NULL, EDITOR_NONE },
	{ ED_DEL, false, editor_backspace, NULL, EDITOR_NONE },
	{ CTRL('K'), false, editor_kill_end, NULL, EDITOR_NONE },
	{ CTRL('L'), false, NULL, NULL, EDITOR_CLEAR },
	{ CTRL('N'), false, editor_hist_next, NULL, EDITOR_NONE },
	{ CTRL('P'), false, editor_hist_prev, NULL, EDITOR_NONE },
	{ CTRL('R'), false, NULL, ed_search_key, EDITOR_NONE },
	{ CTRL('T'), false, editor_transpose, NULL, EDITOR_NONE },
	{ CTRL('U'), false, editor_kill_start, NULL, EDITOR_NONE },
	{ CTRL('W'), false, editor_kill_word, NULL, EDITOR_NONE },
	{ CTRL('Y'), false, editor_yank, NULL, EDITOR_NONE },
	{ CTRL('Z'), false, NULL, NULL, EDITOR_SUSPEND },
	{ CTRL('_'), false, NULL, ed_undo_key, EDITOR_NONE },
	{ 'b', true, editor_word_left, NULL, EDITOR_NONE },
	{ 'f', true, editor_word_right, NULL, EDITOR_NONE },
	{ 'd', true, editor_kill_word_right, NULL, EDITOR_NONE },
	{ ED_DEL, true, editor_kill_word, NULL, EDITOR_NONE },
	{ CTRL('H'), true, editor_kill_word, NULL, EDITOR_NONE },
	{ K_UP, false, editor_hist_prev, NULL, EDITOR_NONE },
	{ K_DOWN, false, editor_hist_next, NULL, EDITOR_NONE },
	{ K_LEFT, false, editor_left, NULL, EDITOR_NONE },
	{ K_RIGHT, false, editor_right, NULL, EDITOR_NONE },
	{ K_LEFT, true, editor_word_left, NULL, EDITOR_NONE },
	{ K_RIGHT, true, editor_word_right, NULL, EDITOR_NONE },
	{ K_HOME, false, editor_home, NULL, EDITOR_NONE },
	{ K_END, false, editor_end, NULL, EDITOR_NONE },
	{ K_DELETE, false, editor_delete, NULL, EDITOR_NONE },
	{ K_PASTE, false, NULL, ed_paste_start, EDITOR_NONE },
	{ K_PASTE, true, NULL, ed_paste_start, EDITOR_NONE },
};

/* Keys that keep a Ctrl-R search going; any other one ends it first. */
static enum editor_action
ed_search_dispatch(struct editor *e, int key, bool meta, bool *done)
{
	char ch = (char)key;

	*done = true;
	if (!meta && key >= 0x20 && key < 0x7f)
		return ed_search_text(e, &ch, 1);
	if (!meta && (key == ED_DEL || key == CTRL('H')))
		return ed_search_back(e);
	if (!meta && key == CTRL('R'))
		return ed_search_key(e);
	if (!meta && (key == CTRL('G') || key == CTRL('C'))) {
		ed_search_end(e, false);
		return EDITOR_REDRAW;
	}
	/* Any other key takes the line found and then does its work. */
	ed_search_end(e, true);
	*done = false;
	return EDITOR_NONE;
}

/* Do what key (with meta) is bound to. */
static enum editor_action
ed_dispatch(struct editor *e, int key, bool meta)
{
	const struct ed_bind *b;
	enum editor_action a;
	char ch = (char)key;
	bool done;
	size_t i;

	if (key != '\t' || meta)
		e->completing = false;
	if (e->searching) {
		a = ed_search_dispatch(e, key, meta, &done);
		if (done)
			return a;
	}
	for (i = 0; i < sizeof ed_binds / sizeof ed_binds[0]; i++) {
		b = &ed_binds[i];
		if (b->key != key || b->meta != meta)
			continue;
		if (b->op != NULL)
			return ed_changed(b->op(e));
		if (b->fn != NULL)
			return b->fn(e);
		return b->act;
	}
	if (!meta && key >= 0x20 && key < 0x7f)
		return ed_text(e, &ch, 1);
	/* An unbound control key, or a Meta key with no binding. */
	return EDITOR_NONE;
}

/* A byte between keys. */
static enum editor_action
ed_ground(struct editor *e, unsigned char c)
{
	if (c == ED_ESCAPE) {
		e->state = ED_ESC;
		e->meta = false;
		return EDITOR_NONE;
	}
	if (c < 0x80)
		return ed_dispatch(e, c, false);
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
	/* So does what the server removes as reordering text. */
	if ((cp >= 0x2028 && cp <= 0x202e) || (cp >= 0x2066 && cp <= 0x2069))
		return EDITOR_NONE;
	e->completing = false;
	return ed_text(e, (const char *)e->seq, e->seqlen);
}

/*
 * The key ESC [ params final (or ESC O final) stands for; 0 for none.
 * A modifier parameter (";3" Alt, ";5" Ctrl) makes it Meta: Ctrl-Left and
 * Alt-Left both move by words.
 */
static int
ed_csi_key(struct editor *e, unsigned char final, bool *meta)
{
	const char *p = (const char *)e->seq, *semi;

	e->seq[e->seqlen] = '\0';
	/* The parameter is 1 + Shift 1, Alt 2, Ctrl 4: Shift alone is none. */
	if ((semi = strchr(p, ';')) != NULL && ((atoi(semi + 1) - 1) & 6))
		*meta = true;
	switch (final) {
	case 'A': return K_UP;
	case 'B': return K_DOWN;
	case 'C': return K_RIGHT;
	case 'D': return K_LEFT;
	case 'H': return K_HOME;
	case 'F': return K_END;
	case '~':
		/* VT220 keys: 1 and 7 Home, 4 and 8 End, 3 Delete. */
		switch (atoi(p)) {
		case 1: case 7: return K_HOME;
		case 4: case 8: return K_END;
		case 3: return K_DELETE;
		case 200: return K_PASTE;
		}
		break;
	}
	return 0;
}

/* A byte of a bracketed paste: gather it, watching for the end. */
static enum editor_action
ed_paste(struct editor *e, unsigned char c)
{
	static const char end[] = ED_PASTE_END;
	size_t more;
	bool restart;

	if ((char)c == end[e->pmatch]) {
		if (++e->pmatch == sizeof end - 1) {
			e->state = ED_GROUND;
			e->pmatch = 0;
			return EDITOR_PASTE;
		}
		return EDITOR_NONE;
	}
	/*
	 * The bytes matched were not the end: they are the paste's, and so
	 * is c, unless it may start the end (held, not counted yet). Bytes
	 * past the cap are dropped, and counted: the caller is told the
	 * paste was cut (and sends none of it).
	 */
	restart = (char)c == end[0];
	more = e->pmatch + (restart ? 0 : 1);
	if (buf_used(&e->paste) + more <= EDITOR_PASTE_MAX) {
		if (buf_append(&e->paste, end, e->pmatch) == -1 ||
		    (!restart && buf_append(&e->paste, &c, 1) == -1))
			e->pnomem = true;
	} else
		e->plost += more;
	e->pmatch = restart ? 1 : 0;
	return EDITOR_NONE;
}

enum editor_action
editor_key(struct editor *e, unsigned char c)
{
	bool meta;
	int key;

	switch (e->state) {
	case ED_ESC:
		if (c == '[' || c == 'O') {
			e->seqlen = 0;
			e->state = c == '[' ? ED_CSI : ED_SS3;
			return EDITOR_NONE;
		}
		if (c == ED_ESCAPE && !e->meta) {
			/* ESC ESC [ D: Meta-Left in some terminals. */
			e->meta = true;
			return EDITOR_NONE;
		}
		e->state = ED_GROUND;
		if (c >= 0x80 || c == ED_ESCAPE) {
			/* Not a Meta key: the Esc alone, then c afresh. */
			(void)editor_timeout(e);
			return ed_ground(e, c);
		}
		return ed_dispatch(e, c, true);
	case ED_CSI:
		if (c >= 0x40 && c <= 0x7e) {
			e->state = ED_GROUND;
			meta = e->meta;
			key = ed_csi_key(e, c, &meta);
			return key != 0 ? ed_dispatch(e, key, meta) :
			    EDITOR_NONE;
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
		meta = e->meta;
		e->seqlen = 0;
		key = ed_csi_key(e, c, &meta);
		return key != 0 ? ed_dispatch(e, key, meta) : EDITOR_NONE;
	case ED_UTF8:
		return ed_utf8(e, c);
	case ED_PASTE:
		return ed_paste(e, c);
	}
	return ed_ground(e, c);
}

enum editor_action
editor_paste_key(struct editor *e, unsigned char c)
{
	if (c == '\t' && e->state == ED_GROUND) {
		e->completing = false;
		return ed_text(e, "\t", 1);
	}
	return editor_key(e, c);
}

bool
editor_pending(const struct editor *e)
{
	return e->state == ED_ESC || e->state == ED_CSI ||
	    e->state == ED_SS3;
}

enum editor_action
editor_timeout(struct editor *e)
{
	bool lone = e->state == ED_ESC;

	e->state = ED_GROUND;
	e->completing = false;
	/* A lone Esc ends a search, putting the line back. */
	if (lone && e->searching) {
		ed_search_end(e, false);
		return EDITOR_REDRAW;
	}
	return EDITOR_NONE;
}

/* ------------------------------------------------------------------ */
/* Redraw                                                              */
/* ------------------------------------------------------------------ */

/* Columns of buf[from..to). */
static size_t
ed_cols(const struct editor *e, size_t from, size_t to)
{
	size_t sec = editor_secret_start(e->buf, e->len), w, i;

	if (sec >= to)
		return editor_width(e->buf + from, to - from);
	/* A password shows as one `*` per character. */
	w = sec > from ? editor_width(e->buf + from, sec - from) : 0;
	for (i = sec > from ? sec : from; i < to; i++)
		if (((unsigned char)e->buf[i] & 0xC0) != 0x80)
			w++;
	return w;
}

static int	ed_put_plain(const struct editor *, size_t, size_t,
		    struct buf *);

/* Append buf[from..to) to out, each TAB as a space, a password masked. */
static int
ed_put_text(const struct editor *e, size_t from, size_t to, struct buf *out)
{
	size_t sec = editor_secret_start(e->buf, e->len), i = from;

	if (sec < to) {
		if (sec > from && ed_put_plain(e, from, sec, out) == -1)
			return -1;
		for (i = sec > from ? sec : from; i < to; i++)
			if (((unsigned char)e->buf[i] & 0xC0) != 0x80 &&
			    buf_append(out, "*", 1) == -1)
				return -1;
		return 0;
	}
	return ed_put_plain(e, from, to, out);
}

/* Append buf[from..to) to out, each TAB as a space. */
static int
ed_put_plain(const struct editor *e, size_t from, size_t to, struct buf *out)
{
	const char *tab;
	size_t i = from;

	while (i < to) {
		tab = memchr(e->buf + i, '\t', to - i);
		if (tab == NULL)
			return buf_append(out, e->buf + i, to - i);
		if (buf_append(out, e->buf + i, (size_t)(tab - e->buf) - i) ==
		    -1 || buf_append(out, " ", 1) == -1)
			return -1;
		i = (size_t)(tab - e->buf) + 1;
	}
	return 0;
}

/*
 * The start of a window that ends at the cursor and takes at most room
 * columns, the cursor's need of them included: as much of the text
 * before the cursor as fits. Its columns before the cursor go to *wp.
 */
static size_t
ed_back(const struct editor *e, size_t room, size_t need, size_t *wp)
{
	size_t start = e->pos, w = 0, p, cw;

	while (start > 0) {
		p = ed_prev(e->buf, start);
		cw = ed_cols(e, p, start);
		if (w + cw + need > room)
			break;
		w += cw;
		start = p;
	}
	*wp = w;
	return start;
}

/*
 * Scrolling is sideways: a line wider than the terminal shows a window
 * around the cursor, so the input always stays on one row and one erase
 * clears it. The window starts at the line's beginning when the cursor
 * fits there, otherwise it ends right after the cursor. Hidden text is
 * marked: `<` in the first column of the window, `>` in its last; their
 * columns are kept only when they are needed, and a prompt that would
 * leave the line fewer than ED_MIN_COLS columns is left out.
 */
int
editor_render(const struct editor *e, const char *prompt, unsigned width,
    struct buf *out, unsigned *colp)
{
	char sprompt[EDITOR_QUERY + 48], move[32];
	size_t pw, avail, need, w, wcur, start, end, p, col, room, cw;
	bool left = false, right = false;
	int n;

	if (e->searching) {
		snprintf(sprompt, sizeof sprompt, "(%sreverse-i-search)`%s': ",
		    e->search_failed ? "failed " : "", e->query);
		prompt = sprompt;
	}
	pw = editor_width(prompt, strlen(prompt));
	if (width < 2)
		width = 2;
	if (pw + 1 + ED_MIN_COLS > width) {
		prompt = "";	/* a terminal too narrow for it */
		pw = 0;
	}
	avail = width - 1 - pw;
	/* Room for the cursor: the cell under it, or one past the end. */
	need = 1;
	if (e->pos < e->len)
		need = ed_cols(e, e->pos, ed_next(e->buf, e->len, e->pos));
	wcur = ed_cols(e, 0, e->pos);
	if (ed_cols(e, 0, e->len) + 1 <= avail || avail < 4) {
		/* It all fits (or markers would not): no scrolling marks. */
		room = avail;
		start = 0;
		w = wcur;
		if (avail < 4 && wcur + need > avail)
			start = ed_back(e, room, need, &w);
	} else if (wcur + need <= avail - 1) {
		/* From the start, with a column kept for `>`. */
		room = avail - 1;
		start = 0;
		w = wcur;
	} else {
		/* `<` first; the window ends after the cursor. */
		left = true;
		room = avail - 1;
		start = ed_back(e, room, need, &w);
		if (w + ed_cols(e, e->pos, e->len) > room) {
			/* Text is hidden on the right too: a column for `>`. */
			room = avail - 2;
			start = ed_back(e, room, need, &w);
		}
	}
	col = pw + (left ? 1 : 0) + w;
	end = e->pos;
	while (end < e->len) {
		p = ed_next(e->buf, e->len, end);
		cw = ed_cols(e, end, p);
		if (w + cw > room)
			break;
		w += cw;
		end = p;
	}
	right = end < e->len && avail >= 4;
	if (buf_append(out, "\r", 1) == -1 ||
	    buf_append(out, prompt, strlen(prompt)) == -1 ||
	    (left && buf_append(out, "<", 1) == -1) ||
	    ed_put_text(e, start, end, out) == -1)
		return -1;
	if (right) {
		/* Pad to the last column of the window, where `>` goes. */
		for (; w < room; w++)
			if (buf_append(out, " ", 1) == -1)
				return -1;
		if (buf_append(out, ">", 1) == -1)
			return -1;
	}
	if (buf_append(out, "\033[K\r", 4) == -1)
		return -1;
	if (colp != NULL)
		*colp = (unsigned)col;
	if (col > 0) {
		n = snprintf(move, sizeof move, "\033[%zuC", col);
		if (buf_append(out, move, (size_t)n) == -1)
			return -1;
	}
	return 0;
}
