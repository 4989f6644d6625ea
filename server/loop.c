/* loop: a select() event loop with fd callbacks, timers and a hook. */
#include "loop.h"
#include "ltime.h"

#include <errno.h>
#include <limits.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

void
loop_init(struct loop *l)
{
	memset(l, 0, sizeof *l);
	FD_ZERO(&l->rset);
	FD_ZERO(&l->wset);
	l->maxfd = -1;
}

void
loop_free(struct loop *l)
{
	free(l->timers);
	loop_init(l);
}

int
loop_add(struct loop *l, int fd, int mask, loop_fd_fn fn, void *arg)
{
	struct loop_fd *f;

	/* FD_SET past FD_SETSIZE writes outside the set: refuse it here. */
	if (fd < 0 || fd >= FD_SETSIZE) {
		errno = ERANGE;
		return -1;
	}
	f = &l->fds[fd];
	f->arg = arg;
	if (mask & LOOP_READ) {
		f->rfn = fn;
		FD_SET(fd, &l->rset);
	}
	if (mask & LOOP_WRITE) {
		f->wfn = fn;
		FD_SET(fd, &l->wset);
	}
	f->mask |= mask;
	if (fd > l->maxfd)
		l->maxfd = fd;
	return 0;
}

void
loop_del(struct loop *l, int fd, int mask)
{
	struct loop_fd *f;

	if (fd < 0 || fd >= FD_SETSIZE || l->fds[fd].mask == 0)
		return;
	f = &l->fds[fd];
	if (mask & LOOP_READ)
		FD_CLR(fd, &l->rset);
	if (mask & LOOP_WRITE)
		FD_CLR(fd, &l->wset);
	f->mask &= ~mask;
	if (f->mask == 0 && fd == l->maxfd) {
		while (l->maxfd >= 0 && l->fds[l->maxfd].mask == 0)
			l->maxfd--;
	}
}

bool
loop_has(const struct loop *l, int fd, int mask)
{
	return fd >= 0 && fd < FD_SETSIZE && (l->fds[fd].mask & mask) != 0;
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
	struct timeval tv, *tvp = NULL;
	fd_set rs, ws;
	int64_t wait;
	int fd, n, maxfd;

	loop_timers_run(l);
	if (l->before_sleep != NULL)
		l->before_sleep(l, l->hook_arg);
	/* After the hook: a timer it added or moved counts. */
	wait = loop_timers_next(l);
	if (max_ms >= 0 && (wait < 0 || wait > max_ms))
		wait = max_ms;
	if (wait >= 0) {
		tv.tv_sec = (time_t)(wait / 1000);
		tv.tv_usec = (suseconds_t)(wait % 1000) * 1000;
		tvp = &tv;
	}
	/* select() overwrites its sets: hand it copies of the masters. */
	memcpy(&rs, &l->rset, sizeof rs);
	memcpy(&ws, &l->wset, sizeof ws);
	maxfd = l->maxfd;
	n = select(maxfd + 1, &rs, &ws, NULL, tvp);
	if (n == -1)
		return errno == EINTR ? 0 : -1;
	for (fd = 0; fd <= maxfd && n > 0; fd++) {
		struct loop_fd *f = &l->fds[fd];
		bool r = FD_ISSET(fd, &rs), w = FD_ISSET(fd, &ws);

		if (!r && !w)
			continue;
		n--;
		/* A callback may drop fd or others: check the mask each time. */
		if (r && (f->mask & LOOP_READ))
			f->rfn(l, fd, LOOP_READ, f->arg);
		if (w && (f->mask & LOOP_WRITE))
			f->wfn(l, fd, LOOP_WRITE, f->arg);
	}
	return 0;
}
