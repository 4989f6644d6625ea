/* loop: fd callbacks, timers and the hook; the multiplexer is a backend
 * (loop_select.c, loop_poll.c, loop_epoll.c) chosen at loop_init(). */
#include "loop.h"
#include "ltime.h"

#include <errno.h>
#include <limits.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define LOOP_FDS_MIN	64	/* fd entries allocated at first */

/* The backends by kind, in enum loop_kind's order. */
static const struct loop_backend *const loop_backends[] = {
	&loop_backend_select,
	&loop_backend_poll,
	&loop_backend_epoll,
};

int
loop_kind_parse(const char *name, enum loop_kind *kind)
{
	size_t i;

	for (i = 0; i < sizeof loop_backends / sizeof loop_backends[0]; i++)
		if (strcmp(name, loop_backends[i]->name) == 0) {
			*kind = (enum loop_kind)i;
			return 0;
		}
	return -1;
}

const char *
loop_kind_name(enum loop_kind kind)
{
	return loop_backends[kind]->name;
}

/*
 * Make l->fds and l->fired hold at least n entries (n <= the backend's
 * fd limit), the new ones unwatched. Returns 0, or -1 with errno ENOMEM.
 * Moves both arrays: no pointer into them survives a call.
 */
static int
loop_grow(struct loop *l, size_t n)
{
	size_t cap = l->fds_cap * 2, limit = (size_t)l->be->fd_limit;
	struct loop_fd *f;
	struct loop_fired *r;

	if (n <= l->fds_cap)
		return 0;
	if (cap < n)
		cap = n;
	if (cap < LOOP_FDS_MIN)
		cap = LOOP_FDS_MIN;
	if (cap > limit)
		cap = limit;
	if (cap > SIZE_MAX / sizeof *f) {
		errno = ENOMEM;
		return -1;
	}
	if ((f = realloc(l->fds, cap * sizeof *f)) == NULL)
		return -1;
	memset(f + l->fds_cap, 0, (cap - l->fds_cap) * sizeof *f);
	l->fds = f;
	if ((r = realloc(l->fired, cap * sizeof *r)) == NULL)
		return -1;	/* fds grown, not fds_cap: still consistent */
	l->fired = r;
	l->fds_cap = cap;
	return 0;
}

int
loop_init(struct loop *l, enum loop_kind kind)
{
	memset(l, 0, sizeof *l);
	l->maxfd = -1;
	l->be = loop_backends[kind];
	if (loop_grow(l, LOOP_FDS_MIN) == -1 || l->be->init(l) == -1) {
		int saved = errno;

		free(l->fds);
		free(l->fired);
		memset(l, 0, sizeof *l);
		l->maxfd = -1;
		errno = saved;
		return -1;
	}
	return 0;
}

void
loop_free(struct loop *l)
{
	if (l->be != NULL)
		l->be->free(l);
	free(l->fds);
	free(l->fired);
	free(l->timers);
	memset(l, 0, sizeof *l);
	l->maxfd = -1;
}

int
loop_fd_limit(const struct loop *l)
{
	return l->be->fd_limit;
}

int
loop_add(struct loop *l, int fd, int mask, loop_fd_fn fn, void *arg)
{
	struct loop_fd *f;
	int old;

	/* select() cannot watch an fd past FD_SETSIZE: refuse it here. */
	if (fd < 0 || fd >= l->be->fd_limit) {
		errno = ERANGE;
		return -1;
	}
	if (loop_grow(l, (size_t)fd + 1) == -1)
		return -1;
	f = &l->fds[fd];
	old = f->mask;
	if ((mask & ~old) != 0 && l->be->add(l, fd, old, old | mask) == -1)
		return -1;
	f->arg = arg;
	if (mask & LOOP_READ)
		f->rfn = fn;
	if (mask & LOOP_WRITE)
		f->wfn = fn;
	f->mask |= mask;
	if (fd > l->maxfd)
		l->maxfd = fd;
	return 0;
}

void
loop_del(struct loop *l, int fd, int mask)
{
	struct loop_fd *f;
	int old;

	if (fd < 0 || (size_t)fd >= l->fds_cap || l->fds[fd].mask == 0)
		return;
	f = &l->fds[fd];
	old = f->mask;
	if ((old & mask) == 0)
		return;
	f->mask &= ~mask;
	l->be->del(l, fd, old, f->mask);
	if (f->mask == 0 && fd == l->maxfd) {
		while (l->maxfd >= 0 && l->fds[l->maxfd].mask == 0)
			l->maxfd--;
	}
}

bool
loop_has(const struct loop *l, int fd, int mask)
{
	return fd >= 0 && (size_t)fd < l->fds_cap &&
	    (l->fds[fd].mask & mask) != 0;
}

/* Free slots among the first l->ntimers, plus the ones never used. */
static size_t
loop_timers_free(const struct loop *l)
{
	size_t i, n = l->timers_cap - l->ntimers;

	for (i = 0; i < l->ntimers; i++)
		if (l->timers[i].fn == NULL)
			n++;
	return n;
}

int
loop_timer_reserve(struct loop *l, size_t n)
{
	size_t have = loop_timers_free(l), cap;
	struct loop_timer *t;

	if (have >= n)
		return 0;
	cap = l->timers_cap + (n - have);
	if (cap < 2 * l->timers_cap)
		cap = 2 * l->timers_cap;
	if (cap > (size_t)INT_MAX || cap > SIZE_MAX / sizeof *t ||
	    (t = realloc(l->timers, cap * sizeof *t)) == NULL) {
		errno = ENOMEM;
		return -1;
	}
	/* New slots are free and start their generation count at zero. */
	memset(t + l->timers_cap, 0, (cap - l->timers_cap) * sizeof *t);
	l->timers = t;
	l->timers_cap = cap;
	return 0;
}

int
loop_timer_add(struct loop *l, int64_t ms, loop_timer_fn fn, void *arg)
{
	size_t i;

	for (i = 0; i < l->ntimers; i++)
		if (l->timers[i].fn == NULL)
			break;
	if (i == l->ntimers) {
		if (l->ntimers == l->timers_cap &&
		    loop_timer_reserve(l, 1) == -1)
			return -1;
		l->ntimers++;
	}
	l->timers[i].when = ltime_mono_ms() + (ms > 0 ? ms : 0);
	l->timers[i].fn = fn;
	l->timers[i].arg = arg;
	l->timers[i].gen++;
	return (int)i;
}

/* The pending timer of id, or NULL. */
static struct loop_timer *
loop_timer_get(struct loop *l, int id)
{
	if (id < 0 || (size_t)id >= l->ntimers || l->timers[id].fn == NULL)
		return NULL;
	return &l->timers[id];
}

void
loop_timer_sooner(struct loop *l, int id, int64_t ms)
{
	int64_t when = ltime_mono_ms() + (ms > 0 ? ms : 0);
	struct loop_timer *t = loop_timer_get(l, id);

	if (t != NULL && when < t->when)
		t->when = when;
}

void
loop_timer_del(struct loop *l, int id)
{
	struct loop_timer *t = loop_timer_get(l, id);

	if (t == NULL)
		return;
	t->fn = NULL;
	while (l->ntimers > 0 && l->timers[l->ntimers - 1].fn == NULL)
		l->ntimers--;
}

/*
 * Run the timers that are due, in id order. A callback may add timers
 * (which may move the list: it is indexed afresh after each call) and
 * delete any; a timer added during this run waits for the next pass.
 */
static void
loop_timers_run(struct loop *l)
{
	int64_t now = ltime_mono_ms(), again;
	size_t i, n = l->ntimers;
	unsigned gen;

	for (i = 0; i < n && i < l->ntimers; i++) {
		if (l->timers[i].fn == NULL || l->timers[i].when > now)
			continue;
		/* Not due during its own call; loop_timer_sooner() may set it. */
		l->timers[i].when = INT64_MAX;
		gen = l->timers[i].gen;
		again = l->timers[i].fn(l, l->timers[i].arg);
		/* Deleted in the callback, perhaps its slot reused since. */
		if (i >= l->ntimers || l->timers[i].fn == NULL ||
		    l->timers[i].gen != gen)
			continue;
		if (again < 0)
			loop_timer_del(l, (int)i);
		else if (now + again < l->timers[i].when)
			l->timers[i].when = now + again;
	}
}

/* Milliseconds until the next timer is due (0 if one is), or -1. */
static int64_t
loop_timers_next(const struct loop *l)
{
	int64_t now = ltime_mono_ms(), next = -1;
	size_t i;

	for (i = 0; i < l->ntimers; i++) {
		if (l->timers[i].fn == NULL)
			continue;
		if (l->timers[i].when <= now)
			return 0;
		if (next < 0 || l->timers[i].when - now < next)
			next = l->timers[i].when - now;
	}
	return next;
}

int
loop_once(struct loop *l, int max_ms)
{
	int64_t wait;
	int fd, i, n, mask;

	loop_timers_run(l);
	if (l->before_sleep != NULL)
		l->before_sleep(l, l->hook_arg);
	/* After the hook: a timer it added or moved counts. */
	wait = loop_timers_next(l);
	if (max_ms >= 0 && (wait < 0 || wait > max_ms))
		wait = max_ms;
	if (wait > INT_MAX)
		wait = INT_MAX;
	n = l->be->wait(l, (int)wait);
	if (n == -1)
		return errno == EINTR ? 0 : -1;
	/*
	 * A callback may drop fd or others, or add fds (which may move
	 * l->fds and l->fired): index both afresh and check the mask each
	 * time. An fd added in the pass waits for the next one.
	 */
	for (i = 0; i < n; i++) {
		fd = l->fired[i].fd;
		mask = l->fired[i].mask;
		if ((mask & LOOP_READ) && (l->fds[fd].mask & LOOP_READ))
			l->fds[fd].rfn(l, fd, LOOP_READ, l->fds[fd].arg);
		if ((mask & LOOP_WRITE) && (l->fds[fd].mask & LOOP_WRITE))
			l->fds[fd].wfn(l, fd, LOOP_WRITE, l->fds[fd].arg);
	}
	return 0;
}
