/* screen: what the client shows on stdout: lines, colours, the input line. */
#include "screen.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sys/select.h>
#include <unistd.h>

#include "ltime.h"

/* ANSI colours, one for each kind of line a terminal shows. */
#define C_RESET		"\033[0m"
#define C_NICK		"\033[32m"	/* <nick> of chat */
#define C_SELF		"\033[34m"	/* <nick> of one's own chat */
#define C_ACTION	"\033[35m"	/* * nick of /me */
#define C_PM		"\033[33m"	/* [pm] <nick> */
#define C_NOTICE	"\033[36m"	/* *** notices */
#define C_ERROR		"\033[31m"	/* !!! errors */
#define C_MENTION	"\033[1;7m"	/* our nick named: bold, reversed */

/*
 * Nick colours from the 256-colour palette: mid-light shades that keep
 * their contrast on black and on white (no yellows, no pale blues).
 */
static const char *const screen_nick256[] = {
	"\033[38;5;160m", "\033[38;5;28m", "\033[38;5;166m",
	"\033[38;5;25m", "\033[38;5;127m", "\033[38;5;30m",
	"\033[38;5;94m", "\033[38;5;61m", "\033[38;5;136m",
	"\033[38;5;132m", "\033[38;5;37m", "\033[38;5;98m",
};

/* The same with the 8 basic colours: red, green, magenta, cyan. */
static const char *const screen_nick8[] = {
	"\033[31m", "\033[32m", "\033[35m", "\033[36m",
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

/* What a line is, as far as its colours go. */
enum screen_kind {
	SCREEN_PLAIN,		/* anything else */
	SCREEN_NOTICE,		/* *** */
	SCREEN_ERROR,		/* !!! */
	SCREEN_CHAT,		/* <nick> text */
	SCREEN_ACTION,		/* * nick text */
	SCREEN_PM,		/* [pm] <nick> text, or our -> *nick* text */
};

/*
 * The kind of a line and its head: the first *k bytes (the sender, or
 * all of a notice), with the nick at *nick, *nlen bytes.
 */
static enum screen_kind
screen_kind_of(const char *text, size_t n, size_t *k, const char **nick,
    size_t *nlen)
{
	const char *p;

	*nick = NULL;
	*nlen = 0;
	if (n >= 4 && memcmp(text, "*** ", 4) == 0) {
		*k = n;
		return SCREEN_NOTICE;
	}
	if (n >= 4 && memcmp(text, "!!! ", 4) == 0) {
		*k = n;
		return SCREEN_ERROR;
	}
	if (n >= 6 && memcmp(text, "[pm] <", 6) == 0 &&
	    (p = memchr(text, '>', n)) != NULL) {
		*k = (size_t)(p - text) + 1;
		*nick = text + 6;
		*nlen = *k - 7;
		return SCREEN_PM;
	}
	if (n >= 4 && memcmp(text, "-> *", 4) == 0 &&
	    (p = memchr(text + 4, '*', n - 4)) != NULL) {
		*k = (size_t)(p - text) + 1;
		return SCREEN_PM;
	}
	if (n >= 1 && text[0] == '<' && (p = memchr(text, '>', n)) != NULL) {
		*k = (size_t)(p - text) + 1;
		*nick = text + 1;
		*nlen = *k - 2;
		return SCREEN_CHAT;
	}
	if (n >= 2 && memcmp(text, "* ", 2) == 0) {
		p = memchr(text + 2, ' ', n - 2);
		*k = p != NULL ? (size_t)(p - text) : n;
		*nick = text + 2;
		*nlen = *k - 2;
		return SCREEN_ACTION;
	}
	*k = 0;
	return SCREEN_PLAIN;
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

/* The body of a line, the part after its head, with mentions marked. */
static void
screen_body(struct screen *s, const char *text, size_t from, size_t n,
    bool mark)
{
	size_t i = from, m, k = mark ? strlen(s->nick) : 0;

	while (mark && (m = screen_mention(text, i, n, s->nick)) < n) {
		(void)screen_put(s, text + i, m - i);
		(void)screen_puts(s, C_MENTION);
		(void)screen_put(s, text + m, k);
		(void)screen_puts(s, C_RESET);
		i = m + k;
	}
	(void)screen_put(s, text + i, n - i);
}

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

int
screen_line(struct screen *s, const char *text, size_t n, bool self)
{
	const char *color = NULL, *nick;
	enum screen_kind kind;
	size_t k, nlen;
	bool mention;

	(void)screen_hide_input(s);
	if (s->stamps)
		screen_stamp(s);
	kind = screen_kind_of(text, n, &k, &nick, &nlen);
	mention = !self && s->nick != NULL && s->nick[0] != '\0' &&
	    (kind == SCREEN_CHAT || kind == SCREEN_ACTION ||
	    kind == SCREEN_PM) &&
	    screen_mention(text, k, n, s->nick) < n;
	if (s->color) {
		switch (kind) {
		case SCREEN_PLAIN:
			break;
		case SCREEN_NOTICE:
			color = C_NOTICE;
			break;
		case SCREEN_ERROR:
			color = C_ERROR;
			break;
		case SCREEN_PM:
			color = C_PM;
			break;
		case SCREEN_CHAT:
		case SCREEN_ACTION:
			color = self ? C_SELF :
			    screen_nick_color(s, nick, nlen);
			break;
		}
	}
	if (color != NULL) {
		(void)screen_puts(s, color);
		(void)screen_put(s, text, k);
		(void)screen_puts(s, C_RESET);
	} else
		(void)screen_put(s, text, k);
	screen_body(s, text, k, n, mention && s->color);
	if (mention) {
		s->mentions++;
		(void)screen_bell(s);
	}
	return screen_puts(s, s->tty ? "\r\n" : "\n");
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
