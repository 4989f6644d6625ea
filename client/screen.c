/* screen: what the client shows on stdout: lines, colours, the input line. */
#include "screen.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sys/select.h>
#include <unistd.h>

#include "grapheme.h"
#include "ltime.h"
#include "proto.h"
#include "sline.h"

/*
 * Colours, chosen for contrast on dark and on light backgrounds alike
 * (docs/CLIENT.md, "Colours"). With 8 colours only red and magenta keep
 * 3:1 on both black and white; red and cyan say "error" and "notice", so
 * one's own lines are bold in the terminal's own foreground, and nicks
 * take green or magenta, plain or bold. With 256 colours every pick below
 * keeps at least 3:1 on both (tests/test_screen.c checks the ratios).
 */
#define C_RESET		"\033[0m"
#define C_SELF		"\033[1m"		/* one's own lines: bold */
#define C_SELF256	"\033[1;38;5;63m"	/* bold blue, 4.6:1 both */
#define C_PM		"\033[1;35m"		/* [pm] <nick>, -> *nick* */
#define C_PM256		"\033[1;38;5;127m"
#define C_NOTICE	"\033[36m"		/* *** notices */
#define C_NOTICE256	"\033[38;5;30m"
#define C_QUIET		"\033[2m"		/* joins, leaves, renames: dim */
#define C_ERROR		"\033[31m"		/* !!! errors */
#define C_ERROR256	"\033[38;5;160m"
#define C_STAMP		"\033[2m"		/* a history line's stamp */
#define C_MENTION	"\033[1;7m"		/* our nick named: bold, reversed */

/*
 * Nick colours from the 256-colour palette: mid shades that keep their
 * contrast on black and on white (no yellows, no pale blues, not the
 * colours of errors, notices or our own lines).
 */
const unsigned char screen_palette256[SCREEN_NICK256] = {
	28, 166, 25, 127, 94, 61, 136, 132, 29, 98, 64, 130,
};

/* The 256-colour SGR sequences of screen_palette256, in its order. */
static const char *const screen_nick256[SCREEN_NICK256] = {
	"\033[38;5;28m", "\033[38;5;166m", "\033[38;5;25m",
	"\033[38;5;127m", "\033[38;5;94m", "\033[38;5;61m",
	"\033[38;5;136m", "\033[38;5;132m", "\033[38;5;29m",
	"\033[38;5;98m", "\033[38;5;64m", "\033[38;5;130m",
};

/* The same with the 8 basic colours: never red or cyan. */
static const char *const screen_nick8[] = {
	"\033[32m", "\033[35m", "\033[1;32m", "\033[1;35m",
};

void
screen_init(struct screen *s, bool tty, bool color)
{
	struct buf empty = BUF_INIT;

	s->out = empty;
	s->tty = tty;
	s->color = tty && color;
	s->shown = false;
	s->dirty = false;
	s->failed = false;
	s->colors256 = false;
	s->stamps = false;
	s->quiet = false;
	s->width = 80;
	s->col = 0;
	s->now = 0;
	s->nick = NULL;
	s->mentions = 0;
}

void
screen_free(struct screen *s)
{
	buf_free(&s->out);
}

int
screen_put(struct screen *s, const char *p, size_t n)
{
	if (s->failed)
		return -1;
	if (buf_append(&s->out, p, n) == -1) {
		s->failed = true;
		return -1;
	}
	return 0;
}

/* Append a NUL-terminated string. */
static int
screen_puts(struct screen *s, const char *p)
{
	return screen_put(s, p, strlen(p));
}

int
screen_hide_input(struct screen *s)
{
	if (s->tty && s->shown) {
		s->shown = false;
		return screen_puts(s, "\r\033[K");
	}
	return 0;
}

const char *
screen_nick_color(const struct screen *s, const char *nick, size_t n)
{
	unsigned long h = 2166136261UL;	/* FNV-1a, over the folded nick */
	size_t i;

	for (i = 0; i < n; i++) {
		h ^= (unsigned char)tolower((unsigned char)nick[i]);
		h = (h * 16777619UL) & 0xffffffffUL;
	}
	if (s->colors256)
		return screen_nick256[h % (sizeof screen_nick256 /
		    sizeof screen_nick256[0])];
	return screen_nick8[h % (sizeof screen_nick8 / sizeof screen_nick8[0])];
}

/* Can c be part of a nick (so a mention must not touch it)? */
static bool
screen_nickchar(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9') || c == '_' || c == '-';
}

/* Where the next mention of nick in s[i..n) starts; n for none. */
static size_t
screen_mention(const char *text, size_t i, size_t n, const char *nick)
{
	size_t k = strlen(nick);

	for (; k > 0 && i + k <= n; i++)
		if (strncasecmp(text + i, nick, k) == 0 &&
		    (i == 0 || !screen_nickchar(text[i - 1])) &&
		    (i + k == n || !screen_nickchar(text[i + k])))
			return i;
	return n;
}

/* ------------------------------------------------------------------ */
/* Wrapping                                                            */
/* ------------------------------------------------------------------ */

/* Columns a blank at column col takes: a TAB goes to the next stop. */
static unsigned
screen_blank_width(char c, unsigned col)
{
	return c == '\t' ? 8 - col % 8 : 1;
}

size_t
screen_wrap(const char *text, size_t from, size_t n, unsigned col,
    unsigned width, unsigned indent, struct screen_break *br, size_t max)
{
	size_t i = from, ws, we, j, next, nb = 0;
	unsigned bw, ww, cw;

	if (width == 0 || indent >= width)
		return 0;
	while (i < n && nb < max) {
		ws = i;
		for (bw = 0; i < n && (text[i] == ' ' || text[i] == '\t'); i++)
			bw += screen_blank_width(text[i], col + bw);
		for (we = i; we < n && text[we] != ' ' && text[we] != '\t';
		    we++)
			;
		ww = (unsigned)editor_width(text + i, we - i);
		if (col + bw + ww <= width) {
			col += bw + ww;
			i = we;
			continue;
		}
		/* The word goes to the next row, without the blanks. */
		if (ww <= width - indent && col > indent) {
			br[nb].at = ws;
			br[nb].resume = i;
			nb++;
			col = indent + ww;
			i = we;
			continue;
		}
		/* Longer than a row: as much as fits on each. */
		col = col + bw > width ? width : col + bw;
		for (j = i; j < we && nb < max; j = next) {
			next = grapheme_next(text, we, j);
			cw = (unsigned)editor_width(text + j, next - j);
			if (col + cw > width) {
				br[nb].at = br[nb].resume = j;
				nb++;
				col = indent;
			}
			col += cw;
		}
		i = we;
	}
	return nb;
}

/* A line being written: its text and where it breaks. */
struct screen_out {
	const char		*text;		/* the whole line */
	struct screen_break	 br[SCREEN_BREAKS]; /* its breaks, in order */
	size_t			 nb;		/* breaks in br */
	size_t			 next;		/* the first break not yet made */
	unsigned		 indent;	/* columns before continued rows */
};

/* Write text[i..j), making the breaks that fall in it. */
static void
screen_emit(struct screen *s, struct screen_out *o, size_t i, size_t j)
{
	static const char spaces[] = "                                ";
	struct screen_break *b;
	unsigned k;

	while (o->next < o->nb && o->br[o->next].at < j) {
		b = &o->br[o->next];
		if (b->at < i) {
			o->next++;
			continue;
		}
		(void)screen_put(s, o->text + i, b->at - i);
		(void)screen_puts(s, "\r\n");
		for (k = o->indent; k > 0; k -= k < 32 ? k : 32)
			(void)screen_put(s, spaces, k < 32 ? k : 32);
		i = b->resume > i ? b->resume : i;
		if (i > j)
			i = j;
		o->next++;
	}
	if (i < j)
		(void)screen_put(s, o->text + i, j - i);
}

/* The body of a line, text[from..n), with mentions marked. */
static void
screen_body(struct screen *s, struct screen_out *o, size_t from, size_t n,
    bool mark)
{
	size_t i = from, m, k = mark ? strlen(s->nick) : 0;

	while (mark && (m = screen_mention(o->text, i, n, s->nick)) < n) {
		screen_emit(s, o, i, m);
		(void)screen_puts(s, C_MENTION);
		screen_emit(s, o, m, m + k);
		(void)screen_puts(s, C_RESET);
		i = m + k;
	}
	screen_emit(s, o, i, n);
}

/* ------------------------------------------------------------------ */
/* Lines                                                               */
/* ------------------------------------------------------------------ */

/* "HH:MM " of s->now, for --timestamps. */
static void
screen_stamp(struct screen *s)
{
	char stamp[LTIME_HM_LEN + 1];

	if (ltime_hm(s->now, stamp) == -1)
		strcpy(stamp, "--:--");
	(void)screen_puts(s, stamp);
	(void)screen_puts(s, " ");
}

/*
 * A history line's own stamp, "[HH:MM] " (k bytes): as it is, or with
 * --timestamps in their form ("HH:MM "), so the line has one stamp.
 * Returns the columns written.
 */
static unsigned
screen_history_stamp(struct screen *s, const char *stamp, size_t k)
{
	if (s->color)
		(void)screen_puts(s, C_STAMP);
	if (s->stamps) {
		(void)screen_put(s, stamp + 1, k - 3);
		(void)screen_puts(s, " ");
	} else
		(void)screen_put(s, stamp, k);
	if (s->color)
		(void)screen_puts(s, C_RESET);
	return (unsigned)(s->stamps ? k - 2 : k);
}

/*
 * Is the line a join, leave (a move to another room too) or rename of
 * someone else (quiet notices)?
 */
static bool
screen_comings(const struct screen *s, const struct sline *sl)
{
	if (sl->kind != SLINE_JOINED && sl->kind != SLINE_LEFT &&
	    sl->kind != SLINE_RENAMED && sl->kind != SLINE_WENT)
		return false;
	return s->nick == NULL || (!sline_nick_is(sl->nick, sl->nlen,
	    s->nick) && !sline_nick_is(sl->nick2, sl->n2len, s->nick));
}

/* The colour of a line's head, or NULL. */
static const char *
screen_color_of(const struct screen *s, const struct sline *sl, bool self)
{
	if (!s->color)
		return NULL;
	if (sl->kind == SLINE_CHAT || sl->kind == SLINE_ACTION) {
		if (self)
			return s->colors256 ? C_SELF256 : C_SELF;
		return screen_nick_color(s, sl->nick, sl->nlen);
	}
	if (sl->kind == SLINE_PM || sl->kind == SLINE_PM_SENT)
		return s->colors256 ? C_PM256 : C_PM;
	if (screen_comings(s, sl))
		return C_QUIET;
	if (sline_is_notice(sl->kind))
		return s->colors256 ? C_NOTICE256 : C_NOTICE;
	if (sline_is_error(sl->kind))
		return s->colors256 ? C_ERROR256 : C_ERROR;
	return NULL;
}

int
screen_line(struct screen *s, const char *text, size_t n, bool self)
{
	struct screen_out *o, out;
	struct sline sl;
	const char *color;
	unsigned col = 0;
	size_t k, from;
	bool mention, whole;

	o = &out;
	(void)sline_parse(&sl, text, n);
	if (s->quiet && screen_comings(s, &sl))
		return 0;
	(void)screen_hide_input(s);
	if (sl.stamp > 0)
		col = screen_history_stamp(s, text, sl.stamp);
	else if (s->stamps) {
		screen_stamp(s);
		col = 6;
	}
	o->text = text += sl.stamp;
	n -= sl.stamp;
	if ((sl.kind == SLINE_CHAT || sl.kind == SLINE_ACTION) &&
	    s->nick != NULL && s->nick[0] != '\0' &&
	    sline_nick_is(sl.nick, sl.nlen, s->nick))
		self = true;
	whole = sline_is_notice(sl.kind) || sline_is_error(sl.kind);
	k = sl.kind == SLINE_OTHER ? 0 : whole ? n : sl.head;
	mention = !self && s->nick != NULL && s->nick[0] != '\0' &&
	    (sl.kind == SLINE_CHAT || sl.kind == SLINE_ACTION ||
	    sl.kind == SLINE_PM) &&
	    screen_mention(text, k, n, s->nick) < n;
	/* Continued rows start under the text (a notice's: after "*** "). */
	from = whole ? 3 : k;
	o->indent = col + (unsigned)editor_width(text, from) + 1;
	if (sl.kind == SLINE_OTHER)
		o->indent = col;
	if (o->indent * 2 > s->width)
		o->indent = s->width / 8;
	o->next = 0;
	o->nb = 0;
	if (s->tty)
		o->nb = screen_wrap(text, from, n, col +
		    (unsigned)editor_width(text, from), s->width, o->indent,
		    o->br, SCREEN_BREAKS);
	color = screen_color_of(s, &sl, self);
	if (color != NULL)
		(void)screen_puts(s, color);
	screen_emit(s, o, 0, k);
	if (color != NULL)
		(void)screen_puts(s, C_RESET);
	screen_body(s, o, k, n, mention && s->color);
	if (mention && sl.stamp == 0) {
		s->mentions++;
		(void)screen_bell(s);
	}
	return screen_puts(s, s->tty ? "\r\n" : "\n");
}

size_t
screen_fit(const char *text, size_t n, unsigned cols)
{
	size_t i = 0, next;
	unsigned used = 0, w;

	while (i < n) {
		next = grapheme_next(text, n, i);
		w = (unsigned)editor_width(text + i, next - i);
		if (used + w > cols)
			break;
		used += w;
		i = next;
	}
	return i;
}

/*
 * Add one room, "  NAME (N)" (item[0..k), its name ending at byte nend),
 * to the /rooms row being laid out in row, cols columns used of avail; a
 * full row goes to the screen first. A room too wide for a row of its
 * own shows as much of its name as fits and a `>` (never part of its
 * count), and the row goes at once.
 */
static int
screen_rooms_add(struct screen *s, struct buf *row, unsigned *cols,
    unsigned avail, const char *item, size_t k, size_t nend)
{
	unsigned w = (unsigned)editor_width(item, k);
	int r = 0;

	if (*cols > 3 && *cols + w > avail) {
		r |= screen_line(s, buf_peek(row), buf_used(row), false);
		buf_clear(row);
		*cols = 0;
	}
	if (buf_used(row) == 0) {
		r |= buf_append(row, "***", 3);
		*cols = 3;
	}
	if (*cols + w <= avail) {
		r |= buf_append(row, item, k);
		*cols += w;
		return r;
	}
	r |= buf_append(row, item, screen_fit(item, nend, avail - 4));
	r |= buf_append(row, ">", 1);
	r |= screen_line(s, buf_peek(row), buf_used(row), false);
	buf_clear(row);
	*cols = 0;
	return r;
}

int
screen_rooms(struct screen *s, const struct sline *sl, const char *room)
{
	const char *p = sl->text, *name;
	size_t left = sl->tlen, len, members;
	struct buf row = BUF_INIT;
	char item[PROTO_ROOM_MAX + 48];
	unsigned avail, cols = 0, stamp = s->stamps ? 6 : 0;
	int r = 0, k;

	/* Short of the last column, after a stamp; "***  x>" at least. */
	avail = s->width > stamp + SCREEN_ROOMS_MIN ? s->width - 1 - stamp :
	    SCREEN_ROOMS_MIN;
	k = snprintf(item, sizeof item, "*** %zu room%s%s%s:", sl->count,
	    PROTO_PLURAL(sl->count), room[0] != '\0' ? ", you are in " : "",
	    room);
	r |= screen_line(s, item, (size_t)k, false);
	while (sline_rooms_next(&p, &left, &name, &len, &members)) {
		k = snprintf(item, sizeof item, "  %.*s (%zu)", (int)len, name,
		    members);
		r |= screen_rooms_add(s, &row, &cols, avail, item, (size_t)k,
		    2 + len);
	}
	if (buf_used(&row) > 0)
		r |= screen_line(s, buf_peek(&row), buf_used(&row), false);
	buf_free(&row);
	return r != 0 ? -1 : 0;
}

int
screen_bell(struct screen *s)
{
	return s->tty ? screen_puts(s, "\a") : 0;
}

int
screen_clear(struct screen *s)
{
	if (!s->tty)
		return 0;
	s->shown = false;
	return screen_puts(s, SCREEN_CLEAR);
}

int
screen_notice(struct screen *s, const char *text)
{
	if (!s->tty) {
		fprintf(stderr, "%s\n", text);
		return 0;
	}
	return screen_line(s, text, strlen(text), false);
}

int
screen_input(struct screen *s, const struct editor *e, const char *prompt)
{
	if (!s->tty || (s->shown && !s->dirty) || s->failed)
		return s->failed ? -1 : 0;
	if (editor_render(e, prompt, s->width, &s->out, &s->col) == -1) {
		s->failed = true;
		return -1;
	}
	s->shown = true;
	s->dirty = false;
	return 0;
}

int
screen_write(struct screen *s, int fd)
{
	fd_set wr;
	ssize_t n;

	while (buf_used(&s->out) > 0) {
		n = write(fd, buf_peek(&s->out), buf_used(&s->out));
		if (n > 0) {
			buf_drain(&s->out, (size_t)n);
			continue;
		}
		if (n == -1 && errno == EINTR)
			continue;
		/* Someone else made the shared terminal non-blocking. */
		if (n == -1 && (errno == EAGAIN || errno == EWOULDBLOCK) &&
		    fd < FD_SETSIZE) {
			FD_ZERO(&wr);
			FD_SET(fd, &wr);
			(void)select(fd + 1, NULL, &wr, NULL, NULL);
			continue;
		}
		buf_clear(&s->out);
		return -1;
	}
	buf_shrink(&s->out);
	return 0;
}
