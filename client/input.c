/* input: what the user types, as keys on a terminal or lines from a pipe. */
#include "input.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "term.h"
#include "text.h"

/* Queue a line for the server; out of memory ends the run. */
static void
input_send(struct session *s, const char *text, size_t n)
{
	if (link_send(&s->link, text, n) == -1)
		sess_nomem(s);
}

/*
 * Show a line the user sent the way the others will see it (the server
 * never sends our own lines back): chat as <nick> text, /me as * nick
 * text; other commands as typed, their answers follow from the server.
 */
static void
input_echo(struct session *s, const char *text, size_t n)
{
	const char *nick = s->link.nick[0] != '\0' ? s->link.nick : "me";
	struct buf b = BUF_INIT;
	bool self = false;
	int r = 0;

	if (n >= 2 && text[0] == '/' && text[1] == '/') {
		r |= buf_append(&b, "<", 1);
		r |= buf_append(&b, nick, strlen(nick));
		r |= buf_append(&b, "> ", 2);
		r |= buf_append(&b, text + 1, n - 1);
		self = true;
	} else if (link_is_command(text, n, "/me") &&
	    !text_is_blank(text + 3, n - 3)) {
		r |= buf_append(&b, "* ", 2);
		r |= buf_append(&b, nick, strlen(nick));
		r |= buf_append(&b, text + 3, n - 3);
	} else if (text[0] == '/')
		r |= buf_append(&b, text, n);
	else {
		r |= buf_append(&b, "<", 1);
		r |= buf_append(&b, nick, strlen(nick));
		r |= buf_append(&b, "> ", 2);
		r |= buf_append(&b, text, n);
		self = true;
	}
	if (r != 0 || screen_line(&s->scr, buf_peek(&b), buf_used(&b),
	    self) == -1)
		sess_nomem(s);
	buf_free(&b);
}

void
input_quit(struct session *s)
{
	if (!s->link.quitting)
		input_send(s, "/quit", 5);
	s->stdin_open = false;
}

/* Ctrl-Z: back to a normal terminal while stopped, raw again after. */
static void
input_suspend(struct session *s)
{
	(void)screen_hide_input(&s->scr);
	(void)screen_write(&s->scr, STDOUT_FILENO);
	term_restore();
	(void)raise(SIGTSTP);
	if (term_raw(STDIN_FILENO) == -1)
		s->status = 1;
	s->scr.width = term_width(STDOUT_FILENO);
	s->scr.dirty = true;
}

/* Keys from the terminal, through the editor. */
static void
input_keys(struct session *s, const char *data, size_t n)
{
	size_t i, len;

	for (i = 0; i < n && s->stdin_open; i++) {
		switch (editor_key(&s->ed, (unsigned char)data[i])) {
		case EDITOR_NONE:
			break;
		case EDITOR_REDRAW:
			s->scr.dirty = true;
			break;
		case EDITOR_LINE:
			len = strlen(s->ed.line);
			if (text_is_blank(s->ed.line, len)) {
				s->scr.dirty = true;
				break;
			}
			input_echo(s, s->ed.line, len);
			input_send(s, s->ed.line, len);
			if (s->link.quitting)
				s->stdin_open = false;
			break;
		case EDITOR_QUIT:
			input_quit(s);
			break;
		case EDITOR_SUSPEND:
			input_suspend(s);
			break;
		}
	}
}

/* A line from stdin when it is not a terminal: send it as it is. */
static int
input_line(void *arg, enum line_event ev, const char *text, size_t len)
{
	struct session *s = arg;

	if (ev == LINE_TOOLONG) {
		fprintf(stderr, "lobby: an input line over 64 KiB was not "
		    "sent\n");
		return 0;
	}
	input_send(s, text, len);
	/* After a /quit the server reads nothing more from us. */
	return s->link.quitting ? 1 : 0;
}

void
input_read(struct session *s)
{
	char data[INPUT_KEYS];
	ssize_t n;

	n = read(STDIN_FILENO, data, sizeof data);
	if (n == -1 && (errno == EINTR || errno == EAGAIN ||
	    errno == EWOULDBLOCK))
		return;
	if (n <= 0) {
		/* End of input: send what is left, then leave. */
		if (!s->tty)
			(void)line_finish(&s->keys, input_line, s);
		input_quit(s);
		return;
	}
	if (s->tty)
		input_keys(s, data, (size_t)n);
	else if (line_feed(&s->keys, data, (size_t)n, input_line, s) != 0)
		s->stdin_open = false;
}
