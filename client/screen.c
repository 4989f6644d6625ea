/* screen: what the client shows on stdout: lines, colours, the input line. */
#include "screen.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/select.h>
#include <unistd.h>

/* ANSI colours, one for each kind of line a terminal shows. */
#define C_RESET		"\033[0m"
#define C_NICK		"\033[32m"	/* <nick> of chat */
#define C_SELF		"\033[34m"	/* <nick> of one's own chat */
#define C_ACTION	"\033[35m"	/* * nick of /me */
#define C_PM		"\033[33m"	/* [pm] <nick> */
#define C_NOTICE	"\033[36m"	/* *** notices */
#define C_ERROR		"\033[31m"	/* !!! errors */

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
	s->width = 80;
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

/*
 * The colour of a line and how many of its first bytes take it (the
 * sender, or all of a notice); NULL when it has none.
 */
static const char *
screen_color_of(const char *text, size_t n, bool self, size_t *k)
{
	const char *p;

	if (n >= 4 && memcmp(text, "*** ", 4) == 0) {
		*k = n;
		return C_NOTICE;
	}
	if (n >= 4 && memcmp(text, "!!! ", 4) == 0) {
		*k = n;
		return C_ERROR;
	}
	if (n >= 6 && memcmp(text, "[pm] <", 6) == 0 &&
	    (p = memchr(text, '>', n)) != NULL) {
		*k = (size_t)(p - text) + 1;
		return C_PM;
	}
	if (n >= 1 && text[0] == '<' && (p = memchr(text, '>', n)) != NULL) {
		*k = (size_t)(p - text) + 1;
		return self ? C_SELF : C_NICK;
	}
	if (n >= 2 && memcmp(text, "* ", 2) == 0) {
		p = memchr(text + 2, ' ', n - 2);
		*k = p != NULL ? (size_t)(p - text) : n;
		return C_ACTION;
	}
	return NULL;
}

int
screen_line(struct screen *s, const char *text, size_t n, bool self)
{
	const char *color = NULL;
	size_t k = 0;

	(void)screen_hide_input(s);
	if (s->color)
		color = screen_color_of(text, n, self, &k);
	if (color != NULL) {
		(void)screen_puts(s, color);
		(void)screen_put(s, text, k);
		(void)screen_puts(s, C_RESET);
		(void)screen_put(s, text + k, n - k);
	} else
		(void)screen_put(s, text, n);
	return screen_puts(s, s->tty ? "\r\n" : "\n");
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
	if (editor_render(e, prompt, s->width, &s->out) == -1) {
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
