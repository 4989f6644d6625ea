/* loop_poll: the poll() backend: one pollfd per watched fd, any fd. */
#include "loop.h"

#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/*
 * The pollfd array holds the watched fds densely, in no order (a removed
 * entry takes the last one's place); where maps an fd to its entry.
 */
struct loop_poll {
	struct pollfd	*pfds;		/* npfds entries in use */
	size_t		 npfds;		/* watched fds */
	size_t		 pfds_cap;	/* entries allocated in pfds */
	size_t		*where;		/* per fd below where_cap: its index */
	size_t		 where_cap;	/* entries in where */
};

static int
loop_poll_init(struct loop *l)
{
	struct loop_poll *st = calloc(1, sizeof *st);

	if (st == NULL)
		return -1;
	l->state = st;
	return 0;
}

static void
loop_poll_free(struct loop *l)
{
	struct loop_poll *st = l->state;

	if (st == NULL)
		return;
	free(st->pfds);
	free(st->where);
	free(st);
	l->state = NULL;
}

/* The events poll() is asked for, for mask. */
static short
loop_poll_events(int mask)
{
	return (short)(((mask & LOOP_READ) ? POLLIN : 0) |
	    ((mask & LOOP_WRITE) ? POLLOUT : 0));
}

/* Room for fd in where and for one more entry in pfds, or -1 (ENOMEM). */
static int
loop_poll_room(struct loop_poll *st, int fd, size_t fds_cap)
{
	size_t cap;
	void *p;

	if ((size_t)fd >= st->where_cap) {
		cap = fds_cap > (size_t)fd ? fds_cap : (size_t)fd + 1;
		if (cap > SIZE_MAX / sizeof *st->where ||
		    (p = realloc(st->where, cap * sizeof *st->where)) == NULL) {
			errno = ENOMEM;
			return -1;
		}
		st->where = p;
		st->where_cap = cap;
	}
	if (st->npfds == st->pfds_cap) {
		cap = st->pfds_cap ? st->pfds_cap * 2 : 64;
		if (cap > SIZE_MAX / sizeof *st->pfds ||
		    (p = realloc(st->pfds, cap * sizeof *st->pfds)) == NULL) {
			errno = ENOMEM;
			return -1;
		}
		st->pfds = p;
		st->pfds_cap = cap;
	}
	return 0;
}

static int
loop_poll_add(struct loop *l, int fd, int old, int mask)
{
	struct loop_poll *st = l->state;
	size_t i;

	if (old != 0) {
		st->pfds[st->where[fd]].events = loop_poll_events(mask);
		return 0;
	}
	if (loop_poll_room(st, fd, l->fds_cap) == -1)
		return -1;
	i = st->npfds++;
	st->pfds[i].fd = fd;
	st->pfds[i].events = loop_poll_events(mask);
	st->pfds[i].revents = 0;
	st->where[fd] = i;
	return 0;
}

static void
loop_poll_del(struct loop *l, int fd, int old, int mask)
{
	struct loop_poll *st = l->state;
	size_t i = st->where[fd], last = st->npfds - 1;

	(void)old;
	if (mask != 0) {
		st->pfds[i].events = loop_poll_events(mask);
		return;
	}
	/* The last entry fills the hole. */
	if (i != last) {
		st->pfds[i] = st->pfds[last];
		st->where[st->pfds[i].fd] = i;
	}
	st->npfds--;
}

static int
loop_poll_wait(struct loop *l, int ms)
{
	struct loop_poll *st = l->state;
	size_t i;
	int n, fired = 0;

	if ((n = poll(st->pfds, (nfds_t)st->npfds, ms)) == -1)
		return -1;
	for (i = 0; i < st->npfds && n > 0; i++) {
		short re = st->pfds[i].revents;
		int mask = 0;

		if (re == 0)
			continue;
		n--;
		if (re & POLLIN)
			mask |= LOOP_READ;
		if (re & POLLOUT)
			mask |= LOOP_WRITE;
		/* As select() does: an error or hang-up is news to both
		 * sides; loop_once() calls only the ones watched. */
		if (re & (POLLERR | POLLHUP | POLLNVAL))
			mask |= LOOP_READ | LOOP_WRITE;
		l->fired[fired].fd = st->pfds[i].fd;
		l->fired[fired].mask = mask;
		fired++;
	}
	return fired;
}

const struct loop_backend loop_backend_poll = {
	.name = "poll",
	.fd_limit = INT_MAX,
	.init = loop_poll_init,
	.free = loop_poll_free,
	.add = loop_poll_add,
	.del = loop_poll_del,
	.wait = loop_poll_wait,
};
