/* session: one run of the client: the connection, the screen, the loop. */
#include "session.h"

#include <errno.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/select.h>
#include <time.h>
#include <unistd.h>

#include "history.h"
#include "input.h"
#include "ltime.h"
#include "proto.h"
#include "sline.h"
#include "term.h"
#include "text.h"

#define SESS_OUTQ_HIGH	(256 * 1024)	/* stop reading stdin past this */
#define SESS_SCREENQ	(8 * 1024 * 1024) /* stop reading the socket past this */
#define SESS_LINGER_MS	2000		/* after /quit, wait this for the close */
#define SESS_RETRY_MS	1000		/* the first wait before reconnecting */
#define SESS_RETRY_MAX	30000		/* the wait doubles up to this */
#define SESS_HELD_MAX	SESS_SCREENQ	/* a history held back: past this
					   bytes it is let through */

/* ------------------------------------------------------------------ */
/* The session                                                         */
/* ------------------------------------------------------------------ */

void
sess_nomem(struct session *s)
{
	if (s->status == SESS_RUNNING) {
		(void)screen_hide_input(&s->scr);
		fprintf(stderr, "lobby: out of memory\n");
		s->status = 1;
	}
}

void
sess_notice(struct session *s, const char *text)
{
	s->scr.now = time(NULL);
	if (screen_notice(&s->scr, text) == -1)
		sess_nomem(s);
}

/* Write out what is waiting for stdout, waiting for it if need be. */
static void
sess_write(struct session *s)
{
	if (screen_write(&s->scr, STDOUT_FILENO) == -1 &&
	    s->status == SESS_RUNNING) {
		/* Nobody reads us any more (a closed pipe): leave quietly. */
		s->status = errno == EPIPE ? 0 : 1;
		if (errno != EPIPE)
			fprintf(stderr, "lobby: stdout: %s\n", strerror(errno));
	}
}

/*
 * The terminal can take more: write what it takes, at once (everything
 * queued goes in one write()), without waiting.
 */
static void
sess_write_some(struct session *s)
{
	ssize_t n;

	if (buf_used(&s->scr.out) == 0)
		return;
	n = write(STDOUT_FILENO, buf_peek(&s->scr.out), buf_used(&s->scr.out));
	if (n > 0) {
		buf_drain(&s->scr.out, (size_t)n);
		buf_shrink(&s->scr.out);
	} else if (n == -1 && errno != EINTR && errno != EAGAIN &&
	    errno != EWOULDBLOCK && s->status == SESS_RUNNING) {
		s->status = errno == EPIPE || errno == EIO ? 0 : 1;
		if (s->status != 0)
			fprintf(stderr, "lobby: stdout: %s\n", strerror(errno));
	}
}

/*
 * Redraw the input line if it is not on the screen as it is. The prompt
 * names the room once the client knows it, "[lobby]> ", and keeps the
 * last one known while the client reconnects.
 */
static void
sess_draw_input(struct session *s)
{
	char prompt[PROTO_ROOM_MAX + sizeof SESS_PROMPT + 2];

	if (s->link.room[0] != '\0' &&
	    strcmp(s->prompt_room, s->link.room) != 0) {
		memcpy(s->prompt_room, s->link.room, sizeof s->prompt_room);
		s->scr.dirty = true;
	}
	if (s->prompt_room[0] != '\0')
		snprintf(prompt, sizeof prompt, "[%s]" SESS_PROMPT,
		    s->prompt_room);
	else
		snprintf(prompt, sizeof prompt, "%s", SESS_PROMPT);
	if (s->status == SESS_RUNNING && !s->link.quitting &&
	    screen_input(&s->scr, &s->ed, prompt) == -1)
		sess_nomem(s);
}

/* Redraw the input line, then write everything out, waiting if need be. */
static void
sess_flush(struct session *s)
{
	sess_draw_input(s);
	/* Out of memory: what was queued still goes, then we end. */
	sess_write(s);
}

bool
sess_who_expect(struct session *s, int kind, const char *echo, size_t n)
{
	if (s->whoq_n == SESS_WHO_MAX)
		return false;
	if (kind == SESS_WHO_PROBE && (buf_append(&s->msgq, echo, n) == -1 ||
	    buf_append(&s->msgq, "", 1) == -1)) {
		sess_nomem(s);
		return false;
	}
	s->whoq[s->whoq_n++] = (unsigned char)kind;
	return true;
}

/*
 * Follow the /msg deliveries: the server answers a /msg to nobody with
 * an error and a delivered one with nothing, and it answers in order; so
 * the /who sent right after a /msg says it was delivered when no error
 * came first. Returns true when the line is a probe's answer (not shown).
 */
static bool
sess_msg_track(struct session *s, const char *text, size_t n)
{
	struct sline sl;
	const char *echo;
	size_t len;
	int kind;

	(void)sline_parse(&sl, text, n);
	if (s->whoq_n > 0 && s->whoq[0] == SESS_WHO_PROBE &&
	    (sl.kind == SLINE_NOUSER || (sl.kind == SLINE_ERROR &&
	    sl.tlen >= 16 && memcmp(sl.text, "room unavailable", 16) == 0)))
		s->msg_failed = true;
	if (sl.kind != SLINE_WHO || s->whoq_n == 0)
		return false;
	kind = s->whoq[0];
	memmove(s->whoq, s->whoq + 1, --s->whoq_n);
	if (kind == SESS_WHO_QUIET)
		return true;
	if (kind != SESS_WHO_PROBE)
		return false;
	echo = buf_peek(&s->msgq);
	len = strlen(echo);
	if (!s->msg_failed && screen_line(&s->scr, echo, len, true) == -1)
		sess_nomem(s);
	s->msg_failed = false;
	buf_drain(&s->msgq, len + 1);
	return true;
}

/* FNV-1a of text[0..n). */
static unsigned long
sess_hash(const char *text, size_t n)
{
	unsigned long h = 2166136261UL;
	size_t i;

	for (i = 0; i < n; i++)
		h = ((h ^ (unsigned char)text[i]) * 16777619UL) & 0xffffffffUL;
	return h;
}

void
sess_seen(struct session *s, const char *text, size_t n)
{
	s->seen[s->nseen++ % SESS_SEEN] = sess_hash(text, n);
}

/*
 * The end of a history replay held after a reconnect: skip the lines
 * already on the screen (the longest stretch that ends with the lines
 * seen last), and show the rest, if any, with their own header. With
 * ended false the replay goes on (it was too long to hold): its later
 * lines, and the server's end line, show as they come.
 */
static void
sess_replay(struct session *s, bool ended)
{
	const char *p = buf_peek(&s->held), *end = p + buf_used(&s->held);
	unsigned long h[SESS_SEEN];	/* the last lines' hashes, a ring */
	size_t k = 0, i, t, m, skip = 0, len;
	struct sline sl;
	char note[64];

	/* However long the replay: the last stretch that matches wins. */
	for (; p < end; p += len + 1, k++) {
		len = strlen(p);
		(void)sline_parse(&sl, p, len);
		h[k % SESS_SEEN] = sess_hash(p + sl.stamp, len - sl.stamp);
		m = s->nseen < SESS_SEEN ? s->nseen : SESS_SEEN;
		if (m > k + 1)
			m = k + 1;
		for (t = 0; t < m && h[(k - t) % SESS_SEEN] ==
		    s->seen[(s->nseen - 1 - t) % SESS_SEEN]; t++)
			;
		if (m > 0 && t == m)
			skip = k + 1;
	}
	p = buf_peek(&s->held);
	if (skip < k) {
		snprintf(note, sizeof note, "*** %zu message%s while you were "
		    "away:", k - skip, k - skip == 1 ? "" : "s");
		if (screen_line(&s->scr, note, strlen(note), false) == -1)
			sess_nomem(s);
	}
	for (i = 0; p < end; p += len + 1, i++) {
		len = strlen(p);
		if (i < skip)
			continue;
		(void)sline_parse(&sl, p, len);
		sess_seen(s, p + sl.stamp, len - sl.stamp);
		if (screen_line(&s->scr, p, len, false) == -1)
			sess_nomem(s);
	}
	/* Not ended: the rest shows as it comes, then the server's end. */
	if (ended && skip < k && screen_line(&s->scr, PROTO_HISTORY_END,
	    strlen(PROTO_HISTORY_END), false) == -1)
		sess_nomem(s);
	buf_clear(&s->held);
	s->holding = false;
}

/*
 * History after a reconnect is held until its end, so that what is
 * already on the screen is not shown twice. Returns true when the line
 * was taken (held, or the replay shown).
 */
static bool
sess_history(struct session *s, const char *text, size_t n)
{
	struct sline sl;

	(void)sline_parse(&sl, text, n);
	/*
	 * Going back to a room: the landing room's history comes first,
	 * and waits for the /join's answer (see sess_rooms()).
	 */
	if (sl.kind == SLINE_HIST_BEGIN && s->rejoin[0] != '\0') {
		s->skipping = true;
		buf_clear(&s->held);
		return true;
	}
	if (s->skipping && sl.stamp > 0) {
		if (buf_append(&s->held, text, n) == -1 ||
		    buf_append(&s->held, "", 1) == -1)
			sess_nomem(s);
		/* Bounded: shown only if the /join fails, newest kept. */
		while (buf_used(&s->held) > SESS_HELD_MAX)
			buf_drain(&s->held, strlen(buf_peek(&s->held)) + 1);
		return true;
	}
	if (s->skipping && sl.kind == SLINE_HIST_END) {
		s->skipping = false;
		s->parked = true;
		return true;
	}
	if (sl.kind == SLINE_HIST_BEGIN && s->nseen > 0) {
		s->holding = true;
		buf_clear(&s->held);
		return true;
	}
	if (s->holding && sl.stamp > 0) {
		if (buf_append(&s->held, text, n) == -1 ||
		    buf_append(&s->held, "", 1) == -1)
			sess_nomem(s);
		/* Too long to hold: what is new so far shows, then the rest. */
		if (buf_used(&s->held) > SESS_HELD_MAX)
			sess_replay(s, false);
		return true;
	}
	if (s->holding && sl.kind == SLINE_HIST_END) {
		sess_replay(s, true);
		return true;
	}
	if ((sl.kind == SLINE_CHAT || sl.kind == SLINE_ACTION) &&
	    sl.stamp == 0)
		sess_seen(s, text, n);
	else if (sl.stamp > 0)
		sess_seen(s, text + sl.stamp, n - sl.stamp);
	return false;
}

/* Remember the room name[0..len) for Tab; out of memory ends the run. */
static void
sess_room_add(struct session *s, const char *name, size_t len)
{
	char w[PROTO_ROOM_MAX + 1];

	memcpy(w, name, len);
	w[len] = '\0';
	if (roster_add(&s->rooms, w) == -1)
		sess_nomem(s);
}

/* Send a line the client makes itself; out of memory ends the run. */
static void
sess_send(struct session *s, const char *line)
{
	if (link_send(&s->link, line, strlen(line)) == -1)
		sess_nomem(s);
}

/*
 * The landing room's history, held while a reconnect went back to
 * another room: shown when we stayed in the landing room after all
 * (checked against the screen as after any reconnect), else dropped.
 */
static void
sess_unpark(struct session *s, bool show)
{
	s->skipping = false;
	if (!s->parked)
		return;
	s->parked = false;
	if (show)
		sess_replay(s, true);
	else
		buf_clear(&s->held);
}

/*
 * Is an error's text t[0..n) a lobbyd's refusal of /rooms as unknown:
 * "unknown command /rooms (try /help)" (or "unknown command: /rooms")?
 */
static bool
sess_rooms_unknown(const char *t, size_t n)
{
	static const char head[] = "unknown command", cmd[] = "/rooms";
	size_t i = sizeof head - 1;

	if (n < i || strncasecmp(t, head, i) != 0)
		return false;
	if (i < n && t[i] == ':')
		i++;
	while (i < n && t[i] == ' ')
		i++;
	if (n - i < sizeof cmd - 1 || strncasecmp(t + i, cmd, sizeof cmd - 1)
	    != 0)
		return false;
	i += sizeof cmd - 1;
	return i == n || t[i] == ' ';
}

/*
 * Follow the rooms: our own moves (the prompt, a /who for Tab, a new
 * room's history shown whole), the names heard of, and the answers to
 * the /rooms and the /join that a connection starts with. Returns true
 * when the line is taken here (not shown, or shown its own way).
 */
static bool
sess_rooms(struct session *s, const char *text, size_t n)
{
	const char *p, *name;
	size_t left, len, members;
	struct sline sl;
	bool quiet;

	switch (sline_parse(&sl, text, n)) {
	case SLINE_MOVED:
		sess_room_add(s, sl.room, sl.rlen);
		s->scr.dirty = true;	/* the prompt */
		sess_unpark(s, false);
		if (s->rejoin[0] != '\0' &&
		    sline_nick_is(sl.room, sl.rlen, s->rejoin)) {
			/* Back where we were: its history is checked against
			 * what the screen shows, as after any reconnect. */
			s->rejoin[0] = '\0';
			return false;
		}
		s->rejoin[0] = '\0';
		/* Another room: its history is all new to us. */
		s->nseen = 0;
		if (s->tty && sess_who_expect(s, SESS_WHO_QUIET, NULL, 0))
			sess_send(s, "/who");
		return false;
	case SLINE_WENT:
		sess_room_add(s, sl.room, sl.rlen);
		return false;
	case SLINE_ALREADY_IN:
		/* The room we went back to is the landing room now. */
		if (s->rejoin[0] == '\0')
			return false;
		s->rejoin[0] = '\0';
		sess_unpark(s, true);
		return true;
	case SLINE_ROOMS:
		roster_free(&s->rooms);
		p = sl.text;
		left = sl.tlen;
		quiet = s->rooms_quiet > 0;
		while (sline_rooms_next(&p, &left, &name, &len, &members)) {
			if (s->rooms.n == 0) {
				/* The landing room comes first. */
				memcpy(s->landing, name, len);
				s->landing[len] = '\0';
			}
			/* Sorted once at the end: there may be 100000s. */
			if (roster_append(&s->rooms, name, len) == -1)
				sess_nomem(s);
		}
		roster_sort(&s->rooms);
		/* A newcomer is in the landing room. */
		if (s->link.room[0] == '\0' && s->landing[0] != '\0') {
			memcpy(s->link.room, s->landing, sizeof s->landing);
			s->scr.dirty = true;
		}
		if (quiet) {
			/* The /join before it failed, if no move came. */
			s->rooms_quiet--;
			s->rejoin[0] = '\0';
			sess_unpark(s, true);
			return true;
		}
		if (!s->tty)
			return false;
		if (screen_rooms(&s->scr, &sl, s->link.room) == -1)
			sess_nomem(s);
		return true;
	case SLINE_ERROR:
		/*
		 * A lobbyd whose rooms are not shared through Redis, or one
		 * from before rooms: no room names for Tab, and nothing
		 * shown. The server answers in order, so while ours waits
		 * the first such answer is ours.
		 */
		if (s->rooms_quiet == 0 || ((sl.tlen < 16 ||
		    memcmp(sl.text, "one shared room ", 16) != 0) &&
		    !sess_rooms_unknown(sl.text, sl.tlen)))
			return false;
		s->rooms_quiet--;
		s->rejoin[0] = '\0';
		sess_unpark(s, true);
		return true;
	default:
		return false;
	}
}

/* A line from the server: clean it, then show it. */
static int
sess_server_line(void *arg, enum line_event ev, const char *text, size_t len)
{
	struct session *s = arg;
	size_t n;

	if (ev == LINE_TOOLONG) {
		sess_notice(s, "lobby: a line from the server was over "
		    LINK_MAXLINE_TEXT " and was dropped");
		return 0;
	}
	/*
	 * Room for the clean line grows with the lines: a /rooms answer may
	 * be megabytes, most lines are short.
	 */
	if (TEXT_CLEAN_MAX(len) > s->cleancap) {
		free(s->clean);
		s->cleancap = TEXT_CLEAN_MAX(len > LINK_READ ? len :
		    LINK_READ);
		if ((s->clean = malloc(s->cleancap)) == NULL) {
			s->cleancap = 0;
			return -1;
		}
	}
	n = text_clean(text, len, s->clean);
	link_track(&s->link, s->clean, n);
	if (roster_update(&s->roster, s->clean, n) == -1)
		sess_nomem(s);
	s->scr.now = time(NULL);
	if (sess_msg_track(s, s->clean, n) || sess_rooms(s, s->clean, n) ||
	    sess_history(s, s->clean, n))
		return 0;
	if (screen_line(&s->scr, s->clean, n, false) == -1)
		sess_nomem(s);
	return 0;
}

/*
 * Wait before the next try to reconnect: the delay so far, then double
 * it (up to SESS_RETRY_MAX), and say so.
 */
static void
sess_retry_later(struct session *s, const char *why)
{
	char note[600];

	if (s->retry_ms == 0)
		s->retry_ms = SESS_RETRY_MS;
	s->retry_at = ltime_mono_ms() + s->retry_ms;
	snprintf(note, sizeof note, "*** %s, reconnecting in %lld s "
	    "(/quit leaves)", why,
	    (long long)(s->retry_ms / 1000));
	sess_notice(s, note);
	s->retry_ms *= 2;
	if (s->retry_ms > SESS_RETRY_MAX)
		s->retry_ms = SESS_RETRY_MAX;
}

/*
 * A reconnect goes back to the room we are in, unless that is the
 * landing room, where every connection starts anyway.
 */
static void
sess_keep_room(struct session *s)
{
	if (s->link.room[0] != '\0' &&
	    strcasecmp(s->link.room, s->landing) != 0)
		memcpy(s->rejoin, s->link.room, sizeof s->rejoin);
	else
		s->rejoin[0] = '\0';
}

/*
 * The server closed the connection, or it broke. A last line that came
 * without its end is shown, and said to be cut. On a terminal the client
 * stays and reconnects by itself (the line being typed stays in the
 * input); otherwise it is the end of the run.
 */
static void
sess_server_gone(struct session *s)
{
	if (link_finish(&s->link, sess_server_line, s) && !s->link.quitting)
		sess_notice(s, "*** the last line above was cut off by the "
		    "disconnect");
	if (s->link.quitting) {
		s->status = 0;
		return;
	}
	if (s->tty) {
		/* Keep the nick and the room for the next connection. */
		memcpy(s->nick, s->link.nick, sizeof s->nick);
		sess_keep_room(s);
		link_close(&s->link);
		link_init(&s->link);
		sess_retry_later(s, "disconnected from server");
		return;
	}
	/* stdout first, so the order of the two streams holds. */
	sess_flush(s);
	fprintf(stderr, "*** disconnected from server\n");
	if (s->status == SESS_RUNNING)
		s->status = 1;
}

/* The socket is readable: read once and show what it brought. */
static void
sess_server_read(struct session *s)
{
	switch (link_read(&s->link, sess_server_line, s)) {
	case LINK_OK:
		break;
	case LINK_GONE:
		sess_server_gone(s);
		break;
	case LINK_NOMEM:
		sess_notice(s, "lobby: out of memory");
		s->status = 1;
		break;
	}
	/* What a rare long line took goes back once it is shown. */
	if (s->cleancap > TEXT_CLEAN_MAX(LINK_READ)) {
		free(s->clean);
		s->clean = NULL;
		s->cleancap = 0;
	}
}

/* Write what the socket takes of the queue. */
static void
sess_server_write(struct session *s)
{
	if (link_write(&s->link) == LINK_GONE)
		sess_server_gone(s);
}

/*
 * Queue the lines that start a connection: /nick; on a tty, /join of the
 * room a reconnect goes back to, /who and /rooms.
 */
static int
sess_hello(struct session *s, const char *nick)
{
	char first[8 + PROTO_ROOM_MAX];

	if (nick != NULL && nick[0] != '\0') {
		/* The nick was checked: 1-20 characters, so it fits. */
		snprintf(first, sizeof first, "/nick %s", nick);
		if (link_send(&s->link, first, strlen(first)) == -1)
			return -1;
	}
	if (!s->tty)
		return 0;
	if (s->rejoin[0] != '\0') {
		snprintf(first, sizeof first, "/join %s", s->rejoin);
		if (link_send(&s->link, first, strlen(first)) == -1)
			return -1;
	}
	/* Who is there, for Tab; its answer shows like any other. */
	if (link_send(&s->link, "/who", 4) == -1 ||
	    !sess_who_expect(s, SESS_WHO_SHOW, NULL, 0))
		return -1;
	/* The rooms, for Tab, and the first is where we landed: quietly. */
	if (link_send(&s->link, "/rooms", 6) == -1)
		return -1;
	s->rooms_quiet++;
	return 0;
}

/*
 * Wait (up to SESS_LINGER_MS) until what is queued for the server is
 * written and the server has closed the connection, showing what comes.
 */
static void
sess_linger(struct session *s)
{
	long long end = ltime_mono_ms() + SESS_LINGER_MS, left;
	struct timeval tv;
	fd_set rd, wr;
	int fd = s->link.sock;

	while ((left = end - ltime_mono_ms()) > 0) {
		FD_ZERO(&rd);
		FD_ZERO(&wr);
		FD_SET(fd, &rd);
		if (buf_used(&s->link.outq) > 0)
			FD_SET(fd, &wr);
		tv.tv_sec = (time_t)(left / 1000);
		tv.tv_usec = (suseconds_t)(left % 1000) * 1000;
		if (select(fd + 1, &rd, &wr, NULL, &tv) == -1 && errno != EINTR)
			return;
		if (FD_ISSET(fd, &wr) && link_write(&s->link) == LINK_GONE)
			return;
		if (FD_ISSET(fd, &rd) &&
		    link_read(&s->link, sess_server_line, s) != LINK_OK)
			return;
	}
}

/*
 * Connect again, as the nick we had (or -n's): at once after
 * /reconnect, or when the wait after a disconnect is over. A failure
 * waits longer before the next try.
 */
static void
sess_connect_again(struct session *s)
{
	char err[512], why[600];

	s->retry_at = 0;
	if (s->nick[0] == '\0' && s->opt_nick != NULL)
		snprintf(s->nick, sizeof s->nick, "%s", s->opt_nick);
	sess_notice(s, "*** reconnecting");
	if (link_open(&s->link, s->host, s->port, s->unix_path, s->tls, err,
	    sizeof err) == -1) {
		snprintf(why, sizeof why, "reconnect failed: %s", err);
		sess_retry_later(s, why);
		return;
	}
	s->retry_ms = 0;
	/* What the old connection was to answer never comes. */
	s->whoq_n = 0;
	buf_clear(&s->msgq);
	buf_clear(&s->held);
	s->holding = false;
	s->skipping = false;
	s->parked = false;
	s->rooms_quiet = 0;
	s->msg_failed = false;
	if (sess_hello(s, s->nick) == -1)
		sess_nomem(s);
}

/*
 * /reconnect: leave the server and join it again, as the same nick; while
 * disconnected, try at once. The input line, the history and the screen
 * stay as they are.
 */
static void
sess_reconnect(struct session *s)
{
	s->reconnect = false;
	if (s->link.sock != -1) {
		memcpy(s->nick, s->link.nick, sizeof s->nick);
		sess_keep_room(s);
		/*
		 * Leave first, and see the old connection closed (what
		 * arrives meanwhile is shown), so the room sees us go
		 * before we come back.
		 */
		if (link_send(&s->link, "/quit", 5) == 0)
			sess_linger(s);
		link_close(&s->link);
		link_init(&s->link);
	}
	roster_free(&s->roster);
	sess_connect_again(s);
}

/*
 * The window changed size. A terminal that reflows its lines (most do)
 * has wrapped the input line drawn for the old width over several rows,
 * with the cursor on the last of them: go up to the first and erase from
 * there, so no copy of it stays behind.
 */
static void
sess_resize(struct session *s)
{
	unsigned old = s->scr.width, col = s->scr.col;
	char up[32];
	int n;

	s->scr.width = term_width(STDOUT_FILENO);
	if (s->scr.shown && s->scr.width < old && col >= s->scr.width) {
		n = snprintf(up, sizeof up, "\r\033[%uA\033[J",
		    col / s->scr.width);
		(void)screen_put(&s->scr, up, (size_t)n);
	} else if (s->scr.shown)
		(void)screen_put(&s->scr, "\r\033[J", 4);
	s->scr.shown = false;
}

void
sess_stop(struct session *s)
{
	(void)screen_hide_input(&s->scr);
	sess_write(s);
	term_stop();
	if (term_raw(STDIN_FILENO) == -1)
		s->status = 1;
	s->scr.width = term_width(STDOUT_FILENO);
	s->scr.shown = false;
}

/* A signal arrived through the self-pipe. */
static void
sess_signal(struct session *s, int sig)
{
	switch (sig) {
	case SIGWINCH:
		sess_resize(s);
		return;
	case SIGTSTP:
		sess_stop(s);
		return;
	case SIGCONT:
		/*
		 * Back from a stop we did not see coming (SIGSTOP): the
		 * shell may have put the terminal back in cooked mode.
		 */
		if (term_raw(STDIN_FILENO) == -1)
			s->status = 1;
		s->scr.width = term_width(STDOUT_FILENO);
		s->scr.dirty = true;
		return;
	}
	/* INT, TERM, HUP: say goodbye if the socket takes it, then die. */
	if (!s->link.quitting)
		(void)link_send(&s->link, "/quit", 5);
	(void)link_write(&s->link);
	(void)screen_hide_input(&s->scr);
	s->sig = sig;
}

/* How long select() may sleep: until the next deadline; -1 for ever. */
static long long
sess_wait_ms(const struct session *s, long long now)
{
	long long ms = -1, esc;

	if (s->deadline != 0)
		ms = s->deadline > now ? s->deadline - now : 0;
	if (s->retry_at != 0) {
		esc = s->retry_at > now ? s->retry_at - now : 0;
		if (ms == -1 || esc < ms)
			ms = esc;
	}
	if (s->tty && editor_pending(&s->ed)) {
		esc = s->keys_at + EDITOR_ESC_MS - now;
		if (esc < 0)
			esc = 0;
		if (ms == -1 || esc < ms)
			ms = esc;
	}
	return ms;
}

/* Run the session until it ends; returns the exit status. */
static int
sess_loop(struct session *s, int sigfd)
{
	fd_set rd, wr;
	struct timeval tv, *tvp;
	long long ms, now;
	int maxfd, sig, sock;
	bool screen_full;

	while (s->status == SESS_RUNNING && s->sig == 0) {
		if (s->reconnect) {
			sess_reconnect(s);
			continue;
		}
		if (s->retry_at != 0 && ltime_mono_ms() >= s->retry_at) {
			sess_connect_again(s);
			continue;
		}
		sock = s->link.sock;
		FD_ZERO(&rd);
		FD_ZERO(&wr);
		maxfd = sock > STDOUT_FILENO ? sock : STDOUT_FILENO;
		/* Disconnected (waiting to reconnect): no socket to watch. */
		/*
		 * The terminal is written as it can take it; the socket
		 * is read meanwhile, up to a bound on what waits for it.
		 */
		screen_full = buf_used(&s->scr.out) > SESS_SCREENQ;
		if (!screen_full && sock != -1)
			FD_SET(sock, &rd);
		if (buf_used(&s->link.outq) > 0 && sock != -1)
			FD_SET(sock, &wr);
		if (s->tty && buf_used(&s->scr.out) > 0)
			FD_SET(STDOUT_FILENO, &wr);
		/* A full queue holds stdin back: memory stays bounded. */
		if (s->stdin_open && buf_used(&s->link.outq) < SESS_OUTQ_HIGH)
			FD_SET(STDIN_FILENO, &rd);
		if (sigfd != -1) {
			FD_SET(sigfd, &rd);
			if (sigfd > maxfd)
				maxfd = sigfd;
		}
		now = ltime_mono_ms();
		if (s->deadline != 0 && now >= s->deadline) {
			s->status = 0;
			break;
		}
		tvp = NULL;
		if ((ms = sess_wait_ms(s, now)) >= 0) {
			tv.tv_sec = (time_t)(ms / 1000);
			tv.tv_usec = (suseconds_t)(ms % 1000) * 1000;
			tvp = &tv;
		}
		if (select(maxfd + 1, &rd, &wr, NULL, tvp) == -1) {
			if (errno == EINTR)
				continue;
			(void)screen_hide_input(&s->scr);
			fprintf(stderr, "lobby: select: %s\n", strerror(errno));
			return 1;
		}
		if (sigfd != -1 && FD_ISSET(sigfd, &rd))
			while ((sig = term_signal_next()) != 0 && s->sig == 0)
				sess_signal(s, sig);
		if (s->status == SESS_RUNNING && sock != -1 &&
		    FD_ISSET(sock, &rd))
			sess_server_read(s);
		if (s->status == SESS_RUNNING && FD_ISSET(STDIN_FILENO, &rd)) {
			input_read(s);
			s->keys_at = ltime_mono_ms();
		} else if (s->tty && editor_pending(&s->ed) &&
		    ltime_mono_ms() - s->keys_at >= EDITOR_ESC_MS)
			input_timeout(s);
		/* Write now rather than wait a pass for select() to agree. */
		if (s->status == SESS_RUNNING && !s->reconnect &&
		    s->link.sock != -1)
			sess_server_write(s);
		/* The 2 s for the server to close start once /quit is out. */
		if (s->link.quitting && buf_used(&s->link.outq) == 0 &&
		    s->deadline == 0)
			s->deadline = ltime_mono_ms() + SESS_LINGER_MS;
		if (s->tty) {
			sess_draw_input(s);
			sess_write_some(s);
		} else
			sess_flush(s);
	}
	if (s->tty) {
		(void)screen_hide_input(&s->scr);
		sess_write(s);
	}
	return s->status;
}

/* Set every field of a session that is not yet connected. */
static void
sess_init(struct session *s, const struct sess_options *o, bool tty)
{
	struct buf empty = BUF_INIT;

	link_init(&s->link);
	screen_init(&s->scr, tty, o->color);
	s->scr.stamps = o->stamps;
	s->scr.quiet = o->quiet;
	s->scr.nick = s->link.nick;
	editor_init(&s->ed);
	s->ed.maxsend = o->max_line;
	/* Room for every line the server takes, and the length of more. */
	line_init(&s->keys, o->max_line > INPUT_MAXLINE ? o->max_line :
	    INPUT_MAXLINE);
	roster_init(&s->roster);
	roster_init(&s->rooms);
	s->landing[0] = '\0';
	s->rejoin[0] = '\0';
	s->prompt_room[0] = '\0';
	s->rooms_quiet = 0;
	s->skipping = false;
	s->parked = false;
	s->clean = NULL;
	s->cleancap = 0;
	s->max_line = o->max_line;
	s->paste = empty;
	s->paste_lines = 0;
	s->confirming = false;
	s->reconnect = false;
	s->keys_at = 0;
	s->host = o->host;
	s->port = o->port;
	s->unix_path = o->unix_path;
	s->tls = &o->tls;
	s->opt_nick = o->nick;
	s->histfile[0] = '\0';
	s->tty = tty;
	s->stdin_open = true;
	s->deadline = 0;
	s->retry_at = 0;
	s->retry_ms = 0;
	s->nick[0] = '\0';
	s->whoq_n = 0;
	s->nseen = 0;
	s->holding = false;
	s->held = empty;
	s->msgq = empty;
	s->msg_failed = false;
	s->status = SESS_RUNNING;
	s->sig = 0;
}

/* Release all a session holds. */
static void
sess_free(struct session *s)
{
	link_close(&s->link);
	screen_free(&s->scr);
	editor_free(&s->ed);
	line_free(&s->keys);
	roster_free(&s->roster);
	roster_free(&s->rooms);
	buf_free(&s->paste);
	buf_free(&s->msgq);
	buf_free(&s->held);
	free(s->clean);
}

/* Keep the history for the next run; a failure is only worth a word. */
static void
sess_save_history(struct session *s)
{
	if (s->histfile[0] != '\0' && history_save(&s->ed, s->histfile) == -1)
		fprintf(stderr, "lobby: cannot save history to %s: %s\n",
		    s->histfile, strerror(errno));
}

/* Connect, set up and run s; returns the exit status. */
static int
sess_start(struct session *s, const struct sess_options *o)
{
	char err[512];
	const char *term = getenv("TERM");
	int sigfd = -1, status;

	if (link_open(&s->link, o->host, o->port, o->unix_path, &o->tls, err,
	    sizeof err) == -1) {
		fprintf(stderr, "lobby: %s\n", err);
		return 1;
	}
	if (sess_hello(s, o->nick) == -1) {
		fprintf(stderr, "lobby: out of memory\n");
		return 1;
	}
	if (s->tty) {
		s->scr.colors256 = term != NULL && (strstr(term, "256") !=
		    NULL || getenv("COLORTERM") != NULL);
		if (history_path(s->histfile, sizeof s->histfile) == -1)
			s->histfile[0] = '\0';
		else if (history_load(&s->ed, s->histfile) == -1)
			fprintf(stderr, "lobby: cannot read history %s: %s\n",
			    s->histfile, strerror(errno));
		if ((sigfd = term_signals()) == -1 ||
		    term_raw(STDIN_FILENO) == -1) {
			fprintf(stderr, "lobby: terminal: %s\n",
			    strerror(errno));
			return 1;
		}
		s->scr.width = term_width(STDOUT_FILENO);
	}
	status = sess_loop(s, sigfd);
	if (s->tty)
		sess_save_history(s);
	if (s->sig != 0)
		term_die(s->sig);
	return status;
}

/*
 * Is the terminal one that takes no cursor movement or colour (TERM=dumb,
 * as in an Emacs shell)? Then the client runs in plain line mode.
 */
static bool
sess_dumb(void)
{
	const char *term = getenv("TERM");

	return term == NULL || term[0] == '\0' || strcmp(term, "dumb") == 0;
}

int
sess_run(const struct sess_options *o)
{
	struct session *s;	/* on the heap: the editor is big */
	bool tty = isatty(STDIN_FILENO) && isatty(STDOUT_FILENO) &&
	    !sess_dumb();
	int status;

	if ((s = malloc(sizeof *s)) == NULL) {
		fprintf(stderr, "lobby: out of memory\n");
		return 1;
	}
	sess_init(s, o, tty);
	status = sess_start(s, o);
	term_restore();
	sess_free(s);
	free(s);
	return status;
}
