/* conn: a connection's life: open, read, flush, close; idle and trim. */
#include "server-int.h"

#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include "buf.h"
#include "commands.h"
#include "line.h"
#include "log.h"
#include "ltime.h"
#include "text.h"
#include "transport.h"

/*
 * A connection is a struct client: the room sees its member side (nick,
 * its place in the room log), this file its socket side. The loop hands
 * each callback the client itself as its argument; c->srv leads back to
 * the server.
 *
 * Output is never copied per client: every member is written straight
 * from the room log's shared blocks with writev(), through its transport
 * (transport.h), which frames what it must beside the log's bytes (a
 * WebSocket member's frame headers). This file never asks which kind of
 * member it holds. Who has something to write is the
 * log's pending list (a broadcast moves every caught-up member onto it at
 * once); before the loop sleeps only those are visited, never a quiet
 * room's members, and only in the rooms in use (their list ROOMS_BUSY),
 * never every room. A member whose socket is full is parked off that list
 * until select() says it can take more.
 *
 * The server keeps these lists through the clients' own links:
 * - s->conns, every open connection (conn_next, conn_prev);
 * - s->pending, those with output from outside the room log (a
 *   transport's own, such as a WebSocket pong: pending_next, flag
 *   CLIENT_PENDING);
 * - s->closing, those that left the room during the pass (closing_next):
 *   closed after it, so no list is changed while it is being walked;
 * - s->held, those over the --flood rate (held_next, held_prev, flag
 *   CLIENT_HELD): their socket is not read while the lines they already
 *   sent wait in c->held, released by a timer as tokens come back;
 * - s->awaiting, those not read while they wait for an answer, or while
 *   the link to Redis holds too much (paused_next, paused_prev, flag
 *   CLIENT_PAUSED): conn_resume() walks them alone.
 */

static void	conn_read(struct loop *, int, int, void *);
static void	conn_read_on(struct server *, struct client *);
static void	conn_write(struct loop *, int, int, void *);
static ssize_t	conn_write_out(struct server *, struct client *);

/* ---------------------------------------------------------------------
 * Opening and closing
 * ------------------------------------------------------------------- */

int
conn_init(struct server *s)
{
	s->flood_timer = -1;
	s->notice_timer = -1;
	s->clean = malloc(TEXT_CLEAN_MAX(s->cfg->max_line) + 1);
	return s->clean != NULL ? 0 : -1;
}

unsigned
conn_new_id(struct server *s)
{
	return ++s->next_id;
}

bool
conn_full(const struct server *s)
{
	return s->nclients >= s->max_clients;
}

struct client *
conn_open(struct server *s, int fd, const union net_addr *peer,
    const char *addr, const struct transport *tp, void *state)
{
	struct client *c;

	/* Members never exceed --max-clients, whatever brought them. */
	if (conn_full(s)) {
		errno = EUSERS;
		return NULL;
	}
	/* Nor do members and lingering sockets: the oldest makes room. */
	linger_make_room(s);

	if ((c = client_new(fd, ++s->next_id, addr,
	    s->cfg->max_line)) == NULL)
		return NULL;
	c->srv = s;
	if (peer != NULL && s->cfg->max_per_ip > 0 &&
	    (c->peer = peers_get(&s->peers, peer)) == NULL &&
	    errno == ENOMEM) {
		client_free(c);
		return NULL;
	}
	if (loop_add(&s->loop, fd, LOOP_READ, conn_read, c) == -1) {
		peers_put(&s->peers, c->peer);
		client_free(c);
		return NULL;
	}
	c->tp = tp;
	c->tp_state = state;
	c->conn_next = s->conns;
	if (s->conns != NULL)
		s->conns->conn_prev = c;
	s->conns = c;
	s->nclients++;
	c->last_input = ltime_mono_ms();
	flood_init(&c->flood, &s->cfg->flood, c->last_input);
	s->stats.accepted++;
	stats_join(&s->stats);
	/* A banned address hears why and is closed: never a member. */
	if (!accounts_refuse(&s->accounts, s->rooms.landing, c))
		room_join(s->rooms.landing, c);
	return c;
}

/* Take c off the held list (it is on it). */
static void
conn_unhold(struct server *s, struct client *c)
{
	if (c->held_prev != NULL)
		c->held_prev->held_next = c->held_next;
	else
		s->held = c->held_next;
	if (c->held_next != NULL)
		c->held_next->held_prev = c->held_prev;
	c->held_prev = c->held_next = NULL;
	c->flags &= ~CLIENT_HELD;
}

/*
 * With --redis, whether the link to Redis holds too much (a stalled
 * Redis: cluster_backlogged()). Every member's lines go there, so none is
 * read meanwhile: each is paused as while it waits for an answer, TCP
 * holding the rest of its lines back, and conn_resume() reads them again
 * once the link has drained (or was lost, which empties it).
 */
static bool
conn_backlogged(struct server *s)
{
	return s->credis != NULL && cluster_backlogged(&s->cluster);
}

/*
 * c waits for an answer (CLIENT_AWAITS), or for the link to Redis to
 * drain: not read until conn_resume().
 */
static void
conn_pause(struct server *s, struct client *c)
{
	if (c->flags & CLIENT_PAUSED)
		return;
	c->flags |= CLIENT_PAUSED;
	c->paused_prev = NULL;
	c->paused_next = s->awaiting;
	if (s->awaiting != NULL)
		s->awaiting->paused_prev = c;
	s->awaiting = c;
}

static void
conn_unpause(struct server *s, struct client *c)
{
	if (c->paused_prev != NULL)
		c->paused_prev->paused_next = c->paused_next;
	else
		s->awaiting = c->paused_next;
	if (c->paused_next != NULL)
		c->paused_next->paused_prev = c->paused_prev;
	c->paused_prev = c->paused_next = NULL;
	c->flags &= ~CLIENT_PAUSED;
	/* The time it waited was ours, not its idleness. */
	c->last_input = ltime_mono_ms();
}

/*
 * The one way a connection ends: a last try at sending what is queued
 * (a slow client was cut off the log already), then its socket goes to
 * linger.c, which closes it gracefully, and the client is freed. Only
 * called between loop passes, for clients that left the room.
 */
static void
conn_close(struct server *s, struct client *c)
{
	struct buf rest = BUF_INIT;
	int fd = c->fd;
	bool broken;
	void *tls;

	if (c->flags & CLIENT_SLOW)
		s->stats.dropped_slow++;
	if (c->flags & CLIENT_HELD)
		conn_unhold(s, c);
	if (c->flags & CLIENT_PAUSED)
		conn_unpause(s, c);
	peers_put(&s->peers, c->peer);
	loop_del(&s->loop, fd, LOOP_READ | LOOP_WRITE);
	/*
	 * The last write: what its socket takes of its lines (a slow client
	 * was cut off the log: at most the end of the line it was in), then
	 * what its transport puts after them (a close frame).
	 */
	c->tp->finish(c, &c->room->rlog);
	broken = conn_write_out(s, c) == -1 && errno != EAGAIN &&
	    errno != EWOULDBLOCK && errno != EINTR;
	/*
	 * Its socket is shut, not closed: input it sent that was never read
	 * would have close() answer with a reset, destroying what the
	 * kernel still holds for it (its last lines, a kick's notice).
	 */
	tls = c->tp->close(c, &rest);
	c->tp->free(c->tp_state);
	c->tp_state = NULL;
	room_forget(c->room, c);
	room_release(c);
	if (c->conn_prev != NULL)
		c->conn_prev->conn_next = c->conn_next;
	else
		s->conns = c->conn_next;
	if (c->conn_next != NULL)
		c->conn_next->conn_prev = c->conn_prev;
	s->nclients--;
	stats_leave(&s->stats);
	log_debug("client %u closed (%s)", c->id,
	    c->reason != NULL ? c->reason : "closed");
	linger_start(s, fd, tls, c->id, broken, buf_peek(&rest),
	    buf_used(&rest));
	buf_free(&rest);
	client_free(c);
	listener_resume(s);
}

void
conn_on_leave(void *arg, struct client *c)
{
	struct server *s = arg;

	c->closing_next = s->closing;
	s->closing = c;
}

void
conn_let_go(struct server *s)
{
	struct buf rest = BUF_INIT;
	struct client *c;
	bool broken;
	void *tls;

	for (c = s->conns; c != NULL; c = c->conn_next) {
		if (c->fd == -1)
			continue;
		loop_del(&s->loop, c->fd, LOOP_READ | LOOP_WRITE);
		broken = conn_write_out(s, c) == -1 && errno != EAGAIN &&
		    errno != EWOULDBLOCK && errno != EINTR;
		tls = c->tp->close(c, &rest);
		c->tp->free(c->tp_state);
		c->tp_state = NULL;
		/* Not a member any more: its socket takes a lingering seat. */
		s->nclients--;
		linger_start(s, c->fd, tls, c->id, broken, buf_peek(&rest),
		    buf_used(&rest));
		buf_clear(&rest);
		c->fd = -1;
	}
	buf_free(&rest);
}

void
conn_free_all(struct server *s)
{
	struct client *c, *next;

	for (c = s->conns; c != NULL; c = next) {
		next = c->conn_next;
		if (c->fd != -1)
			close(c->fd);
		c->tp->free(c->tp_state);
		client_free(c);
	}
	s->conns = s->pending = s->closing = s->held = s->awaiting = NULL;
	s->nclients = 0;
	free(s->clean);
	s->clean = NULL;
}

/* ---------------------------------------------------------------------
 * Input
 * ------------------------------------------------------------------- */

/*
 * Run c's line, cleaned (text_clean()) into s->clean[0..n); text[0..len)
 * is what it was cleaned from.
 */
static int
conn_run_clean(struct client *c, size_t n, const char *text, size_t len)
{
	struct server *s = c->srv;

	if (text_is_blank(s->clean, n))
		return 0;
	s->clean[n] = '\0';
	commands_input(c->room, c, s->clean, n);
	/* A password's copies here are wiped once the line is handled (the
	 * job's own is the account worker's to wipe). Chat has none. */
	if (s->clean[0] == '/' && accounts_secret_line(s->clean, n)) {
		memset(s->clean, 0, n);
		memset((char *)text, 0, len);
	}
	/* After /quit, or once too slow, nothing more of its input counts. */
	return (c->flags & (CLIENT_CLOSING | CLIENT_SLOW)) ? 1 : 0;
}

int
conn_text(struct client *c, const char *text, size_t len)
{
	struct server *s = c->srv;

	s->stats.lines_in++;
	return conn_run_clean(c, text_clean(text, len, s->clean), text, len);
}

/* One line from c, its turn come: too long, or text to act on. */
static int
conn_take(struct client *c, enum line_event ev, const char *text,
    size_t len)
{
	if (ev == LINE_TOOLONG) {
		room_toolong(c->room, c, c->srv->cfg->max_line);
		return 0;
	}
	return conn_text(c, text, len);
}

int
conn_last_line(void *arg, enum line_event ev, const char *text, size_t len)
{
	/* A line as any other: --flood may hold it (the member leaves
	 * after it, conn_read()). */
	return conn_line(arg, ev, text, len);
}

/*
 * How many lines text[0..len) counts as toward --flood (see
 * commands_cost()), judged on the line as it will be run: cleaned (into
 * s->clean, which the caller may then reuse). A line without a '/' is
 * chat, whatever cleaning removes.
 */
static unsigned
conn_cost(struct server *s, enum line_event ev, const char *text,
    size_t len)
{
	size_t n;

	if (ev == LINE_TOOLONG || len == 0 ||
	    memchr(text, '/', len) == NULL)
		return 1;
	n = text_clean(text, len, s->clean);
	return commands_cost(s->clean, n);
}

/*
 * One framed line from c. Under --flood a line without its tokens, or
 * after one that had to wait, waits too, in c->held: lines keep their
 * order, and none is lost. So does a line after a /register or /login
 * whose password is being hashed (CLIENT_HASHING): it runs once the
 * answer is there, after it (conn_resume()).
 */
int
conn_line(void *arg, enum line_event ev, const char *text, size_t len)
{
	struct client *c = arg;
	struct server *s = c->srv;
	char kind = ev == LINE_TOOLONG ? CLIENT_HELD_LONG : CLIENT_HELD_TEXT;

	if (!(c->flags & CLIENT_HASHING) && buf_used(&c->held) == 0 &&
	    (s->cfg->flood.rate == 0 || flood_take_n(&c->flood,
	    &s->cfg->flood, s->now, conn_cost(s, ev, text, len))))
		return conn_take(c, ev, text, len);
	if (buf_append(&c->held, &kind, 1) == -1 ||
	    buf_append(&c->held, text, ev == LINE_TOOLONG ? 0 : len) == -1 ||
	    buf_append(&c->held, "\n", 1) == -1)
		return -1;
	return 0;
}

/*
 * line_feed_runs()'s offer: the plain chat lines at data[0..n) go to
 * the room in runs (commands_chat_run()) while nothing of c's is held
 * and its --flood tokens last; each is counted as conn_line() counts it.
 */
static size_t
conn_run(void *arg, const char *data, size_t n)
{
	struct client *c = arg;
	struct server *s = c->srv;
	size_t used, k, most;

	if (buf_used(&c->held) > 0 || (c->flags & (CLIENT_CLOSING |
	    CLIENT_SLOW | CLIENT_HASHING)) ||
	    (most = flood_lines(&c->flood, &s->cfg->flood, s->now)) == 0)
		return 0;
	if (most > UINT_MAX)
		most = UINT_MAX;
	used = commands_chat_run(c->room, c, &c->line, data, n, most, &k);
	if (k > 0) {
		s->stats.lines_in += k;
		(void)flood_take_n(&c->flood, &s->cfg->flood, s->now,
		    (unsigned)k);
	}
	return used;
}

int
conn_lines(struct client *c, const char *p, size_t n)
{
	return line_feed_runs(&c->line, p, n, conn_run, conn_line, c);
}

int
conn_end(struct client *c, const char *reason, const char *why)
{
	char rec[2] = { CLIENT_HELD_END, '\n' };

	if (buf_used(&c->held) == 0) {
		room_leave(c->room, c, reason, why);
		return 1;
	}
	/* Its lines are held: it leaves after them, in their order. */
	if (buf_append(&c->held, rec, sizeof rec) == -1) {
		room_leave(c->room, c, reason, why);
		return 1;
	}
	c->end_reason = reason;
	c->end_why = why;
	return 0;
}

/*
 * Act on c's held lines while it has tokens for them at rate r. Returns
 * the ms until its next token when lines are left, or 0 when none are (or
 * c is leaving and they no longer matter, or the server is shutting down:
 * nothing comes after its notice, or one of them was a /register or
 * /login: the rest wait for its answer, conn_resume()).
 */
static int64_t
conn_release(struct client *c, const struct flood_rate *r, int64_t now)
{
	const char *p, *lf;
	unsigned cost;
	size_t len;
	int64_t wait;

	while (buf_used(&c->held) > 0) {
		if ((c->flags & (CLIENT_CLOSING | CLIENT_SLOW | CLIENT_HASHING)) ||
		    c->srv->stopping)
			return 0;
		p = buf_peek(&c->held);
		if (p[0] == CLIENT_HELD_END) {
			/* Leaving takes no token. */
			room_leave(c->room, c, c->end_reason, c->end_why);
			buf_drain(&c->held, 2);
			return 0;
		}
		lf = memchr(p, '\n', buf_used(&c->held));
		len = (size_t)(lf - p) + 1;
		if (p[0] == CLIENT_HELD_RUN) {
			/* Counted, cleaned and paid for when it was read. */
			memcpy(c->srv->clean, p + 1, len - 2);
			(void)conn_run_clean(c, len - 2, p + 1, len - 2);
			buf_drain(&c->held, len);
			continue;
		}
		cost = conn_cost(c->srv, p[0] == CLIENT_HELD_LONG ? LINE_TOOLONG :
		    LINE_TEXT, p + 1, len - 2);
		if (!flood_take_n(&c->flood, r, now, cost)) {
			wait = flood_wait_n(&c->flood, r, now, cost);
			return wait > 0 ? wait : 1;
		}
		/* Taking a line is input: a held member is not idle. */
		c->last_input = now;
		(void)conn_take(c, p[0] == CLIENT_HELD_LONG ? LINE_TOOLONG :
		    LINE_TEXT, p + 1, len - 2);
		buf_drain(&c->held, len);
	}
	return 0;
}

/*
 * Timer: give each held member the lines its tokens allow; one whose
 * held lines are all taken is read from again. Runs again when the next
 * held member has a token, or not at all once nobody is held: no polling
 * while nobody floods, no spinning while someone does.
 */
static int64_t
conn_flood_timer(struct loop *l, void *arg)
{
	struct server *s = arg;
	struct client *c, *next;
	int64_t now = ltime_mono_ms(), wait, soonest = -1;

	(void)l;
	for (c = s->held; c != NULL; c = next) {
		next = c->held_next;
		wait = conn_release(c, &s->cfg->flood, now);
		if (c->room != NULL && !(c->flags & CLIENT_CLOSING))
			room_wake(c->room, c);
		if (wait > 0) {
			if (soonest == -1 || wait < soonest)
				soonest = wait;
			continue;
		}
		conn_unhold(s, c);
		buf_shrink(&c->held);
		conn_read_on(s, c);
	}
	if (soonest == -1)
		s->flood_timer = -1;
	return soonest;
}

/*
 * Read c again, after --flood held it or it waited for an answer: unless
 * it is leaving, still held, or waits for an answer now (the lines
 * --flood let through may have asked something): then conn_resume()
 * reads it once the answer is there.
 */
static void
conn_read_on(struct server *s, struct client *c)
{
	if ((c->flags & (CLIENT_CLOSING | CLIENT_SLOW | CLIENT_HELD)) ||
	    s->stopping)
		return;
	if ((c->flags & CLIENT_AWAITS) || conn_backlogged(s)) {
		conn_pause(s, c);
		return;
	}
	(void)loop_add(&s->loop, c->fd, LOOP_READ, conn_read, c);
}

/*
 * c has lines waiting for tokens: stop reading its socket (TCP holds the
 * rest back) and make sure the timer will come for them.
 */
static void
conn_hold(struct server *s, struct client *c)
{
	static const struct flood_rate off = { 0, 0 };
	int64_t wait;

	loop_del(&s->loop, c->fd, LOOP_READ);
	if (c->flags & CLIENT_HELD)
		return;
	c->flags |= CLIENT_HELD;
	c->held_prev = NULL;
	c->held_next = s->held;
	if (s->held != NULL)
		s->held->held_prev = c;
	s->held = c;
	s->stats.flood_held++;
	log_debug("client %u %s: over --flood, reading it later", c->id,
	    c->nick);
	wait = flood_wait(&c->flood, &s->cfg->flood, s->now);
	if (wait < 1)
		wait = 1;
	if (s->flood_timer != -1) {
		loop_timer_sooner(&s->loop, s->flood_timer, wait);
		return;
	}
	s->flood_timer = loop_timer_add(&s->loop, wait, conn_flood_timer, s);
	if (s->flood_timer == -1) {
		/* No timer slot (a broken invariant): rather than keep the
		 * member's lines for ever, let them through now. */
		log_error("no timer for --flood: client %u not held", c->id);
		(void)conn_release(c, &off, s->now);
		conn_unhold(s, c);
		conn_read_on(s, c);
	}
}

void
conn_input(struct client *c, char *p, size_t n)
{
	struct server *s = c->srv;

	/* The transport frames; each line comes back through conn_line(). */
	if (c->tp->input(c, p, n) == -1 && !(c->flags & CLIENT_CLOSING))
		room_leave(c->room, c, PROTO_REASON_ERROR, "out of memory");
	else if (buf_used(&c->held) > 0 &&
	    !(c->flags & (CLIENT_CLOSING | CLIENT_SLOW | CLIENT_HASHING)))
		conn_hold(s, c);
	/*
	 * With --redis, a joiner waiting for its welcome, or a member whose
	 * command is out to Redis, has its next lines held until the answer
	 * (cluster_hold()); so has a member whose /register or /login is
	 * being hashed (in c->held: conn_line()). It is not read meanwhile,
	 * so TCP holds the rest back and what is held stays within one read;
	 * each member has one password job out at most. conn_resume() reads
	 * it again once the answer is there. So while the link to Redis holds
	 * too much: what this read brought goes out, the next waits.
	 */
	if (((c->flags & CLIENT_AWAITS) || conn_backlogged(s)) &&
	    !(c->flags & (CLIENT_CLOSING | CLIENT_SLOW | CLIENT_PAUSED))) {
		loop_del(&s->loop, c->fd, LOOP_READ);
		conn_pause(s, c);
	}
	/* What its lines caused reaches it at once, not batched. */
	if (c->room != NULL && !(c->flags & CLIENT_CLOSING))
		room_wake(c->room, c);
}

/*
 * c is readable: one bounded read(), so that a busy client cannot starve
 * the others, then telnet stripping, framing, and each line to the room.
 * EOF and errors make the client leave.
 */
static void
conn_read(struct loop *l, int fd, int mask, void *arg)
{
	struct client *c = arg;
	struct server *s = c->srv;
	ssize_t n;

	(void)l;
	(void)fd;
	(void)mask;
	/* Leaving, or about to for being too slow: its input is moot. */
	if (c->flags & (CLIENT_CLOSING | CLIENT_SLOW))
		return;
	/* Ready in the pass that filled the link to Redis: not read, or a
	 * thousand members' reads would each go on top of it. */
	if (conn_backlogged(s)) {
		loop_del(&s->loop, c->fd, LOOP_READ);
		conn_pause(s, c);
		return;
	}
	n = c->tp->read(c, s->rbuf, sizeof s->rbuf);
	if (n > 0) {
		c->last_input = s->now = ltime_mono_ms();
		c->bytes_in += (uint64_t)n;
		s->stats.bytes_in += (uint64_t)n;
		conn_input(c, s->rbuf, (size_t)n);
	} else if (n == 0) {
		/*
		 * A clean EOF: the unfinished last line still counts, and
		 * like any line may wait for its --flood tokens; the member
		 * leaves after it, as after a WebSocket close frame.
		 */
		c->tp->eof(c);
		if (conn_end(c, NULL, "eof") == 0 && !(c->flags &
		    (CLIENT_CLOSING | CLIENT_SLOW | CLIENT_HASHING)))
			conn_hold(s, c);
	} else {
		if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)
			return;
		log_debug("client %u: read: %s", c->id, strerror(errno));
		room_leave(c->room, c, PROTO_REASON_ERROR, "read error");
	}
}

void
conn_readable(struct client *c)
{
	conn_read(&c->srv->loop, c->fd, LOOP_READ, c);
}

void
conn_stop_reading(struct server *s)
{
	struct client *c;

	for (c = s->conns; c != NULL; c = c->conn_next)
		loop_del(&s->loop, c->fd, LOOP_READ);
}

/* ---------------------------------------------------------------------
 * Output
 * ------------------------------------------------------------------- */

/*
 * Write what member c has to receive, straight from the room log's
 * blocks as its transport frames them, in one writev(). Returns the bytes
 * written, or -1 with errno; *all says whether that was all the transport
 * offered (which may be less than c has to receive: see conn_flush()).
 */
static ssize_t
conn_writev(struct server *s, struct client *c, bool *all)
{
	const struct transport *t = c->tp;
	struct rlog *l = &c->room->rlog;
	size_t offered = 0;
	ssize_t n;
	int cnt, i;

	*all = false;
	if ((cnt = t->fill(c, l, s->iov, SERVER_IOV)) == 0) {
		/* Only its own lines were left: that makes it idle. */
		(void)t->advance(c, l, 0);
		/* Bytes its transport took already (TLS) go out all the same. */
		if (!t->unsent(c, l))
			return 0;
	}
	for (i = 0; i < cnt; i++)
		offered += s->iov[i].iov_len;
	if ((n = t->writev(c, s->iov, cnt)) <= 0)
		return n;
	*all = (size_t)n == offered;
	c->bytes_out += (uint64_t)n;
	stats_written(&s->stats, (size_t)n, t->advance(c, l, (size_t)n));
	return n;
}

/*
 * Write c what it has to receive, as far as its socket takes it. One
 * writev() carries SERVER_IOV iovecs at most: a WebSocket member's frames
 * take two each (header, payload), so a pass's lines may need several.
 * Writing stops only when the socket takes less than it is offered, so a
 * member that reads as fast as lines come is never left a backlog by the
 * iovec limit (and cut for it as too slow). Returns what the last
 * writev() returned.
 */
static ssize_t
conn_write_out(struct server *s, struct client *c)
{
	ssize_t n;
	bool all;

	do
		n = conn_writev(s, c, &all);
	while (n > 0 && all && c->tp->unsent(c, &c->room->rlog));
	return n;
}

void
conn_flush(struct client *c)
{
	struct server *s = c->srv;
	struct rlog *l = &c->room->rlog;
	ssize_t n;
	bool left;

	n = conn_write_out(s, c);
	left = c->tp->unsent(c, l);
	if (n == -1 && errno != EAGAIN && errno != EWOULDBLOCK &&
	    errno != EINTR) {
		log_debug("client %u: write: %s", c->id, strerror(errno));
		loop_del(&s->loop, c->fd, LOOP_WRITE);
		/* The others get a notice; its own output is moot now. */
		room_leave(c->room, c, PROTO_REASON_ERROR, "write error");
		room_forget(c->room, c);
		return;
	}
	if (left) {
		/* The socket took less than it was offered: it is full. */
		rlog_park(l, &c->rd);
		(void)loop_add(&s->loop, c->fd, LOOP_WRITE, conn_write, c);
	} else
		loop_del(&s->loop, c->fd, LOOP_WRITE);
}

/*
 * c had output left over, and its socket can take more now. It goes back
 * on the pending list and is written with the others before the loop
 * sleeps, after this pass's reads: one writev() per pass takes what they
 * appended too. (A closing member's last write is conn_close()'s.)
 */
static void
conn_write(struct loop *l, int fd, int mask, void *arg)
{
	struct client *c = arg;
	struct server *s = c->srv;
	struct rlog *rl = &c->room->rlog;

	(void)l;
	(void)mask;
	rlog_unpark(rl, &c->rd);
	loop_del(&s->loop, fd, LOOP_WRITE);
	/* What is left is its transport's own (a pong): flushed all the same. */
	if (!(c->flags & CLIENT_CLOSING) && !rlog_has_output(rl, &c->rd) &&
	    c->tp->unsent(c, rl))
		conn_on_output(s, c);
}

void
conn_on_output(void *arg, struct client *c)
{
	struct server *s = arg;

	if (c->flags & CLIENT_PENDING)
		return;
	c->flags |= CLIENT_PENDING;
	c->pending_next = s->pending;
	s->pending = c;
}

/* How long r's notices may be held: SERVER_NOTICE_US per member. */
static int64_t
conn_notice_gap(const struct room *r)
{
	int64_t ms = (int64_t)(r->count * SERVER_NOTICE_US / 1000);

	return ms < SERVER_NOTICE_MAX_MS ? ms : SERVER_NOTICE_MAX_MS;
}

/* Timer: some room's held notices are due; the pass after it wakes them. */
static int64_t
conn_notice_timer(struct loop *l, void *arg)
{
	struct server *s = arg;

	(void)l;
	s->notice_timer = -1;
	return -1;
}

/*
 * Wake the members of each room whose held notices are due (all of them
 * when stopping), and make sure the timer comes for the others. Returns
 * whether any room was woken.
 */
static bool
conn_notices(struct server *s)
{
	int64_t now = -1, wait, soonest = -1;
	bool woke = false;
	struct room *r;

	/* A room not in use has no reader to wake. */
	for (r = s->rooms.list[ROOMS_BUSY].head; r != NULL;
	    r = r->on[ROOMS_BUSY].next) {
		if (!rlog_held(&r->rlog))
			continue;
		if (now == -1)
			now = ltime_mono_ms();
		wait = conn_notice_gap(r) - (now - r->notice_woke);
		if (wait <= 0 || s->stopping) {
			rlog_wake(&r->rlog);
			r->notice_woke = now;
			woke = true;
		} else if (soonest == -1 || wait < soonest)
			soonest = wait;
	}
	if (soonest == -1)
		return woke;
	if (s->notice_timer != -1) {
		loop_timer_sooner(&s->loop, s->notice_timer, soonest);
		return woke;
	}
	s->notice_timer = loop_timer_add(&s->loop, soonest, conn_notice_timer,
	    s);
	if (s->notice_timer == -1) {
		/* No timer (out of memory): rather than hold them, now. */
		log_error("no timer for notices: sent at once");
		for (r = s->rooms.list[ROOMS_BUSY].head; r != NULL;
		    r = r->on[ROOMS_BUSY].next)
			if (rlog_held(&r->rlog)) {
				rlog_wake(&r->rlog);
				r->notice_woke = now;
				woke = true;
			}
	}
	return woke;
}

/*
 * Read again each client paused while it waited (conn_input()) whose
 * answer has come: unless --flood holds it (its timer reads it then) or it
 * is leaving. The lines it sent behind a /register or /login run first,
 * as its tokens allow, up to the next one that waits for an answer.
 * Nobody is, while the link to Redis holds too much.
 */
static void
conn_resume(struct server *s)
{
	struct client *c, *next;
	int64_t wait;

	if (conn_backlogged(s))
		return;
	for (c = s->awaiting; c != NULL; c = next) {
		next = c->paused_next;
		if (c->flags & CLIENT_AWAITS)
			continue;
		conn_unpause(s, c);
		if (buf_used(&c->held) > 0 && !(c->flags & CLIENT_HELD)) {
			wait = conn_release(c, &s->cfg->flood, ltime_mono_ms());
			if (c->room != NULL && !(c->flags & CLIENT_CLOSING))
				room_wake(c->room, c);
			if (wait > 0) {
				conn_hold(s, c);
				continue;
			}
			buf_shrink(&c->held);
		}
		conn_read_on(s, c);
	}
}

/*
 * Before select() sleeps, each member with something to write gets it in
 * one writev(): the members on the room log's pending list, and only
 * those (and the few with a WebSocket pong owed). A write error or a slow
 * member's leave queues a notice for the others, which puts them back on
 * the list (in a big room, once its batch of notices is due: see
 * SERVER_NOTICE_US): the loop goes round until it is empty. Parked
 * members wait for select() instead.
 */
void
conn_flush_all(struct server *s)
{
	struct rlog_reader *rd;
	struct client *c, *list;
	struct room *r;
	bool more;

	/* Those whose answer came go on first: what they say goes out now. */
	if (s->awaiting != NULL)
		conn_resume(s);
	/*
	 * What this pass appended ends its runs: see rlog_run_lines(). Only
	 * the rooms in use are visited here: one not in use has no reader,
	 * so nothing to write, wake or settle (struct rooms).
	 */
	for (r = s->rooms.list[ROOMS_BUSY].head; r != NULL;
	    r = r->on[ROOMS_BUSY].next)
		rlog_seal(&r->rlog);
	(void)conn_notices(s);
	for (;;) {
		list = s->pending;
		s->pending = NULL;
		while ((c = list) != NULL) {
			list = c->pending_next;
			c->pending_next = NULL;
			c->flags &= ~CLIENT_PENDING;
			if (!(c->flags & CLIENT_CLOSING) &&
			    !loop_has(&s->loop, c->fd, LOOP_WRITE))
				conn_flush(c);
		}
		/* Each one written leaves the list: idle, parked, or gone. */
		for (r = s->rooms.list[ROOMS_BUSY].head; r != NULL;
		    r = r->on[ROOMS_BUSY].next) {
			while ((rd = r->rlog.pending.head) != NULL) {
				c = CLIENT_OF_READER(rd);
				if (c->flags & CLIENT_CLOSING)
					rlog_park(&r->rlog, rd); /* its last
								    write */
				else
					conn_flush(c);
			}
		}
		/*
		 * What each member's socket did not take is its backlog now:
		 * the slow-reader rule is applied to that, so a burst a reader
		 * keeps up with is never held against it. A leave's notice
		 * puts its room's members back on its pending list.
		 */
		more = s->pending != NULL;
		for (r = s->rooms.list[ROOMS_BUSY].head; r != NULL;
		    r = r->on[ROOMS_BUSY].next)
			room_settle(r);
		if (conn_notices(s))
			more = true;
		for (r = s->rooms.list[ROOMS_BUSY].head; r != NULL;
		    r = r->on[ROOMS_BUSY].next)
			if (r->rlog.pending.head != NULL)
				more = true;
		if (!more)
			break;
	}
	/* Flushing may have made clients leave: close them all now. */
	while ((c = s->closing) != NULL) {
		s->closing = c->closing_next;
		conn_close(s, c);
	}
	/* Rooms nobody holds any more, keeping nothing, are forgotten; those
	 * no longer in use are not visited from the next pass on. */
	rooms_sweep(&s->rooms);
}

bool
conn_unsent(const struct server *s)
{
	const struct client *c;
	const struct room *r;

	for (r = s->rooms.head; r != NULL; r = r->rnext)
		if (r->rlog.pending.count + r->rlog.parked.count > 0)
			return true;
	for (c = s->conns; c != NULL; c = c->conn_next)
		if (c->tp->unsent(c, &c->room->rlog))
			return true;
	return false;
}

/* ---------------------------------------------------------------------
 * Timers
 * ------------------------------------------------------------------- */

int64_t
conn_idle_check(struct loop *l, void *arg)
{
	struct server *s = arg;
	int64_t now = ltime_mono_ms(), limit, next;
	struct client *c, *cnext;
	struct room *r;

	(void)l;
	/* Shutting down, nobody is read: nothing may follow the notice. */
	if (s->stopping)
		return -1;
	limit = (int64_t)s->cfg->idle_timeout * 1000;
	next = limit;
	for (r = s->rooms.head; r != NULL; r = r->rnext) {
		for (c = room_first(r); c != NULL; c = cnext) {
			cnext = room_next(c);
			/* Held by --flood, or not read while it waits for
			 * an answer (Redis's, a password's), it waits on
			 * us: taking a line counts as input (conn_release()),
			 * and so does the end of the wait (conn_unpause()). */
			if (c->flags & (CLIENT_HELD | CLIENT_PAUSED))
				continue;
			if (now - c->last_input >= limit) {
				room_idle(r, c, s->cfg->idle_timeout);
				s->stats.dropped_idle++;
			}
			else if (c->last_input + limit - now < next)
				next = c->last_input + limit - now;
		}
	}
	return next > 10 ? next : 10;
}

/*
 * An active client keeps its storage between passes, so the hot path
 * never reallocates; an idle one costs no heap beyond its struct within
 * SERVER_TRIM_MS.
 */
int64_t
conn_trim(struct loop *l, void *arg)
{
	struct server *s = arg;
	struct client *c;
	struct room *r;

	(void)l;
	for (c = s->conns; c != NULL; c = c->conn_next) {
		buf_shrink(&c->rd.priv);
		line_shrink(&c->line);
		c->tp->trim(c);
	}
	/* A quiet room needs no spare block either. */
	if (!conn_unsent(s))
		for (r = s->rooms.head; r != NULL; r = r->rnext)
			rlog_trim(&r->rlog);
	return SERVER_TRIM_MS;
}
