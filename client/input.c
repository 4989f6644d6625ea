/* input: what the user types, as keys on a terminal or lines from a pipe. */
#include "input.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "cmdline.h"
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
 * text, /msg as -> *nick* text; other commands as typed, their answers
 * follow from the server. A /msg is sent here, with a /who after it, and
 * its echo waits for that /who's answer (see sess_msg_track()): returns
 * true then, false when the caller still has the line to send.
 */
static bool
input_echo(struct session *s, const char *text, size_t n)
{
	const char *nick = s->link.nick[0] != '\0' ? s->link.nick : "me";
	const char *to = NULL, *msg = NULL;
	struct buf b = BUF_INIT;
	struct cmdline cl;
	bool self = true;
	size_t tlen = 0, mlen = 0;
	int r = 0;

	/* Split as the server will: the same words, the same blanks. */
	cmdline_split(text, n, &cl);
	if (cmdline_is(&cl, "msg"))
		to = cmdline_word(cl.rest, cl.rlen, &tlen, &msg, &mlen);
	if (cl.kind == CMDLINE_CHAT) {
		r |= buf_append(&b, "<", 1);
		r |= buf_append(&b, nick, strlen(nick));
		r |= buf_append(&b, "> ", 2);
		r |= buf_append(&b, cl.rest, cl.rlen);
	} else if (cmdline_is(&cl, "me") && !text_is_blank(cl.rest, cl.rlen)) {
		r |= buf_append(&b, "* ", 2);
		r |= buf_append(&b, nick, strlen(nick));
		r |= buf_append(&b, " ", 1);
		r |= buf_append(&b, cl.rest, cl.rlen);
	} else if (tlen > 0 && !text_is_blank(msg, mlen)) {
		r |= buf_append(&b, "-> *", 4);
		r |= buf_append(&b, to, tlen);
		r |= buf_append(&b, "* ", 2);
		r |= buf_append(&b, msg, mlen);
		/* Shown once the server has shown it delivered. */
		if (r == 0 && sess_who_expect(s, SESS_WHO_PROBE, buf_peek(&b),
		    buf_used(&b))) {
			input_send(s, text, n);
			input_send(s, "/who", 4);
			buf_free(&b);
			return true;
		}
	} else {
		/* Another command: as typed (a password as stars); the
		 * server's answer follows. */
		size_t sec = editor_secret_start(text, n), i;

		r |= buf_append(&b, text, sec < n ? sec : n);
		for (i = sec; i < n; i++)
			if (((unsigned char)text[i] & 0xC0) != 0x80)
				r |= buf_append(&b, "*", 1);
		self = false;
	}
	if (r != 0 || screen_line(&s->scr, buf_peek(&b), buf_used(&b),
	    self) == -1)
		sess_nomem(s);
	/* Our chat and /me come back in the history of a reconnect. */
	if (self && r == 0)
		sess_seen(s, buf_peek(&b), buf_used(&b));
	buf_free(&b);
	return false;
}

void
input_quit(struct session *s)
{
	/* Disconnected: nobody to say goodbye to. */
	if (s->link.sock == -1 && s->status == SESS_RUNNING)
		s->status = 0;
	else if (!s->link.quitting)
		input_send(s, "/quit", 5);
	s->stdin_open = false;
}

/* The client's own commands, shown with the server's /help. */
static void
input_help(struct session *s)
{
	sess_notice(s, "*** lobby's own commands:");
	sess_notice(s, "***   /reconnect        leave and join again, "
	    "as the same nick (also while disconnected)");
	sess_notice(s, "***   /notices on|off   show or hide others' joins, "
	    "leaves and renames");
}

/* /notices on|off: others' joins, leaves and renames shown or not. */
static void
input_notices(struct session *s, const char *arg, size_t n)
{
	while (n > 0 && (*arg == ' ' || *arg == '\t')) {
		arg++;
		n--;
	}
	while (n > 0 && (arg[n - 1] == ' ' || arg[n - 1] == '\t'))
		n--;
	if (n == 2 && strncasecmp(arg, "on", 2) == 0)
		s->scr.quiet = false;
	else if (n == 3 && strncasecmp(arg, "off", 3) == 0)
		s->scr.quiet = true;
	else if (n != 0) {
		sess_notice(s, "lobby: usage: /notices on|off");
		return;
	}
	sess_notice(s, s->scr.quiet ? "*** joins, leaves and renames: hidden "
	    "(/notices on shows them)" : "*** joins, leaves and renames: "
	    "shown (/notices off hides them)");
}

/* A line the editor took: a client command, or echo and send it. */
static void
input_line_done(struct session *s, const char *text, size_t len)
{
	struct cmdline cl;

	if (text_is_blank(text, len)) {
		s->scr.dirty = true;
		return;
	}
	cmdline_split(text, len, &cl);
	if (cmdline_is(&cl, "reconnect") && text_is_blank(cl.rest, cl.rlen)) {
		s->reconnect = true;
		return;
	}
	if (cmdline_is(&cl, "notices")) {
		input_notices(s, cl.rest, cl.rlen);
		return;
	}
	if (s->link.sock == -1) {
		if (cmdline_is(&cl, "quit"))
			input_quit(s);
		else
			sess_notice(s, "lobby: not connected, not sent (Up "
			    "recalls it; /reconnect tries now)");
		return;
	}
	if (input_echo(s, text, len))
		return;		/* a /msg, sent with its probe */
	if (cmdline_is(&cl, "who"))
		(void)sess_who_expect(s, SESS_WHO_SHOW, NULL, 0);
	input_send(s, text, len);
	/* The server's /help knows nothing of the client's own commands. */
	if (cmdline_is(&cl, "help"))
		input_help(s);
	if (s->link.quitting)
		s->stdin_open = false;
}

/*
 * Is the word being completed the room of a /join: the line up to it
 * "/join" (any case) and blanks?
 */
static bool
input_at_join(const struct editor *e)
{
	size_t ws = e->pos, k;

	if (e->completing)
		ws = e->cstart;
	else
		while (ws > 0 && e->buf[ws - 1] != ' ' && e->buf[ws - 1] != '\t')
			ws--;
	k = ws;
	while (k > 0 && (e->buf[k - 1] == ' ' || e->buf[k - 1] == '\t'))
		k--;
	return k == 5 && k < ws && strncasecmp(e->buf, "/join", 5) == 0;
}

/*
 * Tab: complete a nick of the room, never our own; after "/join ", a
 * room heard of, never our own.
 */
static enum editor_action
input_complete(struct session *s)
{
	const struct roster *from = &s->roster;
	const char *self = s->link.nick, **names;
	enum editor_action a;
	size_t i, n = 0;

	if (input_at_join(&s->ed)) {
		from = &s->rooms;
		self = s->link.room;
	}
	if ((names = malloc((from->n + 1) * sizeof *names)) == NULL)
		return EDITOR_BELL;
	for (i = 0; i < from->n; i++)
		if (strcasecmp(from->names[i], self) != 0)
			names[n++] = from->names[i];
	a = editor_complete(&s->ed, names, n);
	free(names);
	return a;
}

static void input_paste(struct session *s, const char *text, size_t n,
    bool ask);

/*
 * A paste over EDITOR_PASTE_MAX: the editor kept only its start. None of
 * it is sent (what came before the cut would pass for all of it), as
 * for a paste with a line too long; the input line stays as it was.
 */
static void
input_paste_cut(struct session *s)
{
	char note[160];

	snprintf(note, sizeof note, "lobby: paste not sent: too long (%zu "
	    "bytes, a paste holds %d)", buf_used(&s->ed.paste) + s->ed.plost,
	    EDITOR_PASTE_MAX);
	sess_notice(s, note);
	(void)screen_bell(&s->scr);
}

/* Do what the editor said a key does. */
static void
input_act(struct session *s, enum editor_action a)
{
	char note[160];

	switch (a) {
	case EDITOR_NONE:
		break;
	case EDITOR_REDRAW:
		s->scr.dirty = true;
		break;
	case EDITOR_LINE:
		input_line_done(s, s->ed.line, strlen(s->ed.line));
		/* A password is not kept once sent. */
		if (editor_secret_start(s->ed.line, strlen(s->ed.line)) !=
		    EDITOR_NO_SECRET)
			memset(s->ed.line, 0, sizeof s->ed.line);
		break;
	case EDITOR_QUIT:
		input_quit(s);
		break;
	case EDITOR_SUSPEND:
		sess_stop(s);
		break;
	case EDITOR_BELL:
		/* A failed Ctrl-R search changes the prompt: draw it. */
		s->scr.dirty = true;
		if (screen_bell(&s->scr) == -1)
			sess_nomem(s);
		break;
	case EDITOR_CLEAR:
		if (screen_clear(&s->scr) == -1)
			sess_nomem(s);
		break;
	case EDITOR_COMPLETE:
		input_act(s, input_complete(s));
		break;
	case EDITOR_TOOLONG:
		snprintf(note, sizeof note, "lobby: line too long (%zu bytes, "
		    "the server takes %zu): not sent", s->ed.len, s->max_line);
		sess_notice(s, note);
		(void)screen_bell(&s->scr);
		break;
	case EDITOR_PASTE:
		if (s->ed.pnomem)
			sess_nomem(s);
		else if (s->ed.plost > 0)
			input_paste_cut(s);
		else
			input_paste(s, buf_peek(&s->ed.paste),
			    buf_used(&s->ed.paste), true);
		buf_clear(&s->ed.paste);
		buf_shrink(&s->ed.paste);
		break;
	}
}

/*
 * Would every line of a paste go (each within the server's limit, the
 * first with what the input line holds), and its last part fit in the
 * input line? If not, say which line does not, and return false.
 */
static bool
input_paste_fits(struct session *s, const char *text, size_t n)
{
	size_t i = 0, k, c, have = s->ed.len, line = 1;
	char *clean, note[160];
	bool ok = true;

	if ((clean = malloc(TEXT_CLEAN_MAX(n) + 1)) == NULL) {
		sess_nomem(s);
		return false;
	}
	for (;; line++) {
		k = i;
		while (k < n && text[k] != '\r' && text[k] != '\n')
			k++;
		c = have + text_clean(text + i, k - i, clean);
		if (c > EDITOR_MAX || (k < n && c > s->max_line)) {
			ok = false;
			break;
		}
		if (k == n)
			break;
		i = k + (text[k] == '\r' && k + 1 < n && text[k + 1] == '\n' ?
		    2 : 1);
		have = 0;
	}
	free(clean);
	if (ok)
		return true;
	snprintf(note, sizeof note, "lobby: paste not sent: line %zu too "
	    "long (%zu bytes, the %s %zu)", line, c, c > EDITOR_MAX ?
	    "input line holds" : "server takes", c > EDITOR_MAX ?
	    (size_t)EDITOR_MAX : s->max_line);
	sess_notice(s, note);
	(void)screen_bell(&s->scr);
	return false;
}

/*
 * A paste: each line goes as if typed and Enter pressed, the part after
 * the last line end stays in the input. More than SESS_PASTE_ASK lines
 * (with ask) wait for a yes first. Pasted text is cleaned like the
 * server's: TAB is kept, other control characters go. A paste with a
 * line that would not go is not sent at all, rather than cut there.
 */
static void
input_paste(struct session *s, const char *text, size_t n, bool ask)
{
	size_t i, lines = 0, k, c;
	char *clean, note[128];
	enum editor_action a;

	if (!input_paste_fits(s, text, n))
		return;
	for (i = 0; i < n; i++)
		if (text[i] == '\n' || (text[i] == '\r' &&
		    (i + 1 == n || text[i + 1] != '\n')))
			lines++;
	if (ask && lines > SESS_PASTE_ASK) {
		buf_clear(&s->paste);
		if (buf_append(&s->paste, text, n) == -1) {
			sess_nomem(s);
			return;
		}
		s->paste_lines = lines;
		s->confirming = true;
		snprintf(note, sizeof note, "*** paste of %zu lines: y or "
		    "Enter sends them, any other key drops them", lines);
		sess_notice(s, note);
		return;
	}
	if ((clean = malloc(TEXT_CLEAN_MAX(n) + 1)) == NULL) {
		sess_nomem(s);
		return;
	}
	i = 0;
	while (i < n && s->status == SESS_RUNNING && s->stdin_open) {
		k = i;
		while (k < n && text[k] != '\r' && text[k] != '\n')
			k++;
		c = text_clean(text + i, k - i, clean);
		if (c > 0 && editor_insert(&s->ed, clean, c) == -1) {
			input_act(s, EDITOR_BELL);
			break;
		}
		s->scr.dirty = true;
		if (k == n)
			break;
		/* CR LF, CR or LF: one line end. */
		i = k + (text[k] == '\r' && k + 1 < n && text[k + 1] == '\n' ?
		    2 : 1);
		a = editor_key(&s->ed, '\r');
		input_act(s, a);
		if (a == EDITOR_TOOLONG)
			break;
	}
	free(clean);
}

/* A key while a long paste waits: y or Enter sends it, others drop it. */
static bool
input_confirm(struct session *s, unsigned char c)
{
	s->confirming = false;
	if (c == 'y' || c == 'Y' || c == '\r' || c == '\n') {
		input_paste(s, buf_peek(&s->paste), buf_used(&s->paste), false);
		buf_free(&s->paste);
		return true;
	}
	buf_free(&s->paste);
	sess_notice(s, "*** paste dropped");
	/* An Esc may start a sequence: the editor takes it from here. */
	return c != 0x1b;
}

/* Keys from the terminal, through the editor. */
static void
input_keys(struct session *s, const char *data, size_t n)
{
	size_t i;

	for (i = 0; i < n && s->stdin_open && s->status == SESS_RUNNING;
	    i++) {
		if (s->confirming && input_confirm(s, (unsigned char)data[i]))
			continue;
		/*
		 * A TAB with more bytes after it in the same read was
		 * pasted, not typed: it is text, not completion.
		 */
		if (i + 1 < n)
			input_act(s, editor_paste_key(&s->ed,
			    (unsigned char)data[i]));
		else
			input_act(s, editor_key(&s->ed,
			    (unsigned char)data[i]));
	}
}

/* A line from stdin when it is not a terminal: send it as it is. */
static int
input_line(void *arg, enum line_event ev, const char *text, size_t len)
{
	struct session *s = arg;

	if (ev == LINE_TOOLONG) {
		fprintf(stderr, "lobby: line too long (over %zu bytes, the "
		    "server takes %zu): not sent\n", s->keys.max, s->max_line);
		return 0;
	}
	if (len > s->max_line) {
		fprintf(stderr, "lobby: line too long (%zu bytes, the server "
		    "takes %zu): not sent\n", len, s->max_line);
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

void
input_timeout(struct session *s)
{
	if (editor_pending(&s->ed))
		input_act(s, editor_timeout(&s->ed));
}
