/* linger: a member's socket after it left: its last bytes, then a
 * graceful close. */
#include "server-int.h"

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "buf.h"
#include "log.h"
#include "ltime.h"

/*
 * Every member's socket ends here, whatever its transport (TCP, Unix,
 * TLS, WebSocket): conn_close() hands it over after its last write. What
 * its transport still owes it (the end of a WebSocket frame, the close
 * frame, the bytes TLS sealed already) is sent first; then TLS says
 * close_notify, the write side is shut (a FIN after everything queued),
 * and whatever the peer still sends is read and dropped until it closes
 * or SERVER_LINGER_MS pass; only then is the socket closed. Closing at
 * once while input waits unread would make the kernel answer with a
 * reset, which destroys everything its send queue still holds for the
 * peer: the last lines, the kick or ban notice.
 *
 * The member itself is gone already: these sockets are no members (not
 * counted, not listed), only descriptors. They stay within the members'
 * fd budget: members and lingering sockets together are at most
 * s->max_clients, and a newcomer takes the place of the oldest lingering
 * socket (linger_make_room()), which is then closed at once; so does an
 * accept that meets EMFILE or, with select, an fd past FD_SETSIZE
 * (linger_drop_oldest(), listener.c). A socket that failed already (a
 * write error) is closed at once.
 */

struct lingering {
	int		 fd;		/* the socket */
	unsigned	 id;		/* its member's number, for the log */
	bool		 shut;		/* all sent, write side shut: reading
					   until EOF */
	bool		 eof;		/* the peer's EOF came before that */
	bool		 notified;	/* close_notify is out (or never will
					   be) */
	int64_t		 deadline;	/* monotonic ms when it is closed */
	void		*tls;		/* its TLS stream, or NULL */
	struct buf	 out;		/* bytes still owed before the end */
	struct server	*srv;
	struct lingering	*prev;		/* older */
	struct lingering	*next;		/* newer */
};

static void	linger_read(struct loop *, int, int, void *);
static void	linger_write(struct loop *, int, int, void *);

void
linger_init(struct server *s)
{
	s->linger_timer = -1;
}

/* Close g's socket and free it: the one way out. */
static void
linger_close(struct lingering *g)
{
	struct server *s = g->srv;

	loop_del(&s->loop, g->fd, LOOP_READ | LOOP_WRITE);
	close(g->fd);
	if (g->prev != NULL)
		g->prev->next = g->next;
	else
		s->linger_head = g->next;
	if (g->next != NULL)
		g->next->prev = g->prev;
	else
		s->linger_tail = g->prev;
	s->nlinger--;
	tls_stream_free(g->tls);
	buf_free(&g->out);
	free(g);
}

/*
 * All is sent: close_notify, shut the write side, read until EOF. A
 * socket full already takes close_notify once it is writable: the write
 * side is shut only after, or the peer reads a bare EOF (a truncation).
 */
static void
linger_shut(struct lingering *g)
{
	struct server *s = g->srv;

	buf_free(&g->out);
	if (g->tls != NULL && !g->notified) {
		if (tls_stream_shutdown(g->tls) == -1) {
			if (loop_add(&s->loop, g->fd, LOOP_WRITE, linger_write,
			    g) == -1)
				linger_close(g);
			return;
		}
		g->notified = true;
	}
	g->shut = true;
	loop_del(&s->loop, g->fd, LOOP_WRITE);
	/* Not connected any more (a reset came), or the peer's EOF came
	 * while it was still sent to: nothing left to wait for. */
	if (shutdown(g->fd, SHUT_WR) == -1 || g->eof) {
		linger_close(g);
		return;
	}
	g->deadline = ltime_mono_ms() + SERVER_LINGER_MS;
}

/* Send what the socket takes of what g is owed; shut once it is out. */
static void
linger_send(struct lingering *g)
{
	struct server *s = g->srv;
	ssize_t n;

	while (buf_used(&g->out) > 0 || (g->tls != NULL &&
	    tls_stream_owes(g->tls))) {
		n = g->tls != NULL ? tls_stream_write(g->tls,
		    buf_peek(&g->out), buf_used(&g->out)) :
		    send(g->fd, buf_peek(&g->out), buf_used(&g->out),
		    MSG_NOSIGNAL | MSG_DONTWAIT);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
			if (loop_add(&s->loop, g->fd, LOOP_WRITE, linger_write,
			    g) == -1)
				linger_close(g);
			return;
		}
		/* Nothing taken of what was offered: it never will be. */
		if (n == -1 || (n == 0 && buf_used(&g->out) > 0)) {
			log_debug("client %u: write: %s", g->id,
			    n == 0 ? "nothing taken" : strerror(errno));
			linger_close(g);
			return;
		}
		buf_drain(&g->out, (size_t)n);
	}
	linger_shut(g);
}

static void
linger_write(struct loop *l, int fd, int mask, void *arg)
{
	(void)l;
	(void)fd;
	(void)mask;
	linger_send(arg);
}

/*
 * g's socket is readable: what comes is dropped unread (no TLS needed for
 * it). EOF or an error ends the linger; an EOF while g still has bytes to
 * send only stops the reading: the peer may still read. False once g is
 * closed (and freed).
 */
static bool
linger_take(struct lingering *g)
{
	struct server *s = g->srv;
	ssize_t n;

	n = read(g->fd, s->rbuf, sizeof s->rbuf);
	if (n == -1 && (errno == EAGAIN || errno == EWOULDBLOCK ||
	    errno == EINTR))
		return true;
	if (n == -1 || (n == 0 && g->shut)) {
		linger_close(g);
		return false;
	}
	if (n == 0) {
		g->eof = true;
		loop_del(&s->loop, g->fd, LOOP_READ);
	}
	return true;
}

static void
linger_read(struct loop *l, int fd, int mask, void *arg)
{
	(void)l;
	(void)fd;
	(void)mask;
	(void)linger_take(arg);
}

/* Timer: close the sockets whose time is up; none left, no timer. */
static int64_t
linger_tick(struct loop *l, void *arg)
{
	struct server *s = arg;
	struct lingering *g, *next;
	int64_t now = ltime_mono_ms(), due = -1;

	(void)l;
	for (g = s->linger_head; g != NULL; g = next) {
		next = g->next;
		if (g->deadline <= now) {
			log_debug("client %u: closed after %d ms lingering",
			    g->id, SERVER_LINGER_MS);
			linger_close(g);
		} else if (due == -1 || g->deadline - now < due)
			due = g->deadline - now;
	}
	if (due == -1)
		s->linger_timer = -1;
	return due;
}

/* One try at p[0..n) and close_notify, then close at once. */
static void
linger_now(int fd, void *tls, const void *p, size_t n)
{
	if (tls != NULL) {
		if (n > 0 || tls_stream_owes(tls))
			(void)tls_stream_write(tls, p, n);
		(void)tls_stream_shutdown(tls);
		tls_stream_free(tls);
	} else if (n > 0)
		(void)send(fd, p, n, MSG_NOSIGNAL | MSG_DONTWAIT);
	close(fd);
}

void
linger_start(struct server *s, int fd, void *tls, unsigned id,
    bool broken, const void *p, size_t n)
{
	struct lingering *g;

	if (broken) {
		tls_stream_free(tls);
		close(fd);
		return;
	}
	if (s->nclients + s->nlinger >= s->max_clients) {
		log_debug("client %u: closed at once (--max-clients sockets "
		    "open already)", id);
		linger_now(fd, tls, p, n);
		return;
	}
	if ((g = calloc(1, sizeof *g)) == NULL ||
	    (n > 0 && buf_append(&g->out, p, n) == -1)) {
		free(g);
		linger_now(fd, tls, p, n);
		return;
	}
	if (s->linger_timer == -1 && (s->linger_timer = loop_timer_add(
	    &s->loop, SERVER_LINGER_MS, linger_tick, s)) == -1) {
		/* No timer slot (a broken invariant): no linger then. */
		buf_free(&g->out);
		free(g);
		linger_now(fd, tls, p, n);
		return;
	}
	g->fd = fd;
	g->id = id;
	g->tls = tls;
	g->srv = s;
	g->deadline = ltime_mono_ms() + SERVER_LINGER_MS;
	g->prev = s->linger_tail;
	if (s->linger_tail != NULL)
		s->linger_tail->next = g;
	else
		s->linger_head = g;
	s->linger_tail = g;
	s->nlinger++;
	/* Its input is read (and dropped) while it is still sent to, too. */
	if (loop_add(&s->loop, fd, LOOP_READ, linger_read, g) == -1) {
		linger_close(g);
		return;
	}
	linger_send(g);
}

bool
linger_drop_oldest(struct server *s)
{
	if (s->linger_head == NULL)
		return false;
	log_debug("client %u: closed for a newcomer", s->linger_head->id);
	linger_close(s->linger_head);
	return true;
}

void
linger_make_room(struct server *s)
{
	if (s->nclients + s->nlinger >= s->max_clients)
		(void)linger_drop_oldest(s);
}

void
linger_drain(struct server *s, int64_t deadline)
{
	struct lingering *g, **gs;
	struct pollfd *p;
	int64_t left;
	size_t i, n;

	while (s->linger_head != NULL &&
	    (left = deadline - ltime_mono_ms()) > 0) {
		n = s->nlinger;
		p = calloc(n, sizeof *p);
		gs = calloc(n, sizeof *gs);
		if (p == NULL || gs == NULL) {
			free(p);
			free(gs);
			return;
		}
		for (i = 0, g = s->linger_head; g != NULL; g = g->next, i++) {
			gs[i] = g;
			p[i].fd = g->fd;
			p[i].events = (short)((g->eof ? 0 : POLLIN) |
			    (g->shut ? 0 : POLLOUT));
		}
		if (poll(p, (nfds_t)n, left > INT_MAX ? INT_MAX : (int)left) ==
		    -1 && errno != EINTR) {
			free(p);
			free(gs);
			return;
		}
		/* Its input, then what it is owed, in the same round (a
		 * peer that keeps sending must not starve the sending);
		 * either may close its socket. */
		for (i = 0; i < n; i++) {
			if (p[i].revents & (POLLIN | POLLERR | POLLHUP) &&
			    !gs[i]->eof && !linger_take(gs[i]))
				continue;
			if (p[i].revents & (POLLOUT | POLLERR | POLLHUP) &&
			    !gs[i]->shut)
				linger_send(gs[i]);
		}
		free(p);
		free(gs);
	}
}

void
linger_free_all(struct server *s)
{
	while (s->linger_head != NULL)
		linger_close(s->linger_head);
}
