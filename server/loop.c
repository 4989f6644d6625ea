/* loop: a select() event loop with fd callbacks, timers and a hook. */
#include "loop.h"

#include <errno.h>
#include <string.h>
#include <time.h>

int64_t
loop_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void
loop_init(struct loop *l)
{
	memset(l, 0, sizeof *l);
	FD_ZERO(&l->rset);
	FD_ZERO(&l->wset);
	l->maxfd = -1;
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

int
loop_timer_add(struct loop *l, int64_t ms, loop_timer_fn fn, void *arg)
{
	int i;

	for (i = 0; i < LOOP_TIMERS; i++) {
		if (l->timers[i].when == 0) {
			l->timers[i].when = loop_now_ms() + (ms > 0 ? ms : 0);
			if (l->timers[i].when == 0)
				l->timers[i].when = 1;
			l->timers[i].fn = fn;
			l->timers[i].arg = arg;
			return i;
		}
	}
	return -1;
}

void
loop_timer_sooner(struct loop *l, int id, int64_t ms)
{
	int64_t when = loop_now_ms() + (ms > 0 ? ms : 0);

	if (id < 0 || id >= LOOP_TIMERS || l->timers[id].when == 0)
		return;
	if (when < l->timers[id].when)
		l->timers[id].when = when != 0 ? when : 1;
}

void
loop_timer_del(struct loop *l, int id)
{
	if (id >= 0 && id < LOOP_TIMERS)
		l->timers[id].when = 0;
}

/* Run the timers that are due; returns ms until the next one, or -1. */
static int64_t
loop_timers_run(struct loop *l)
{
	int64_t now = loop_now_ms(), next = -1, again;
	struct loop_timer *t;
	int i;

	for (i = 0; i < LOOP_TIMERS; i++) {
		t = &l->timers[i];
		if (t->when == 0)
			continue;
		if (t->when <= now) {
			again = t->fn(l, t->arg);
			/* The callback may have deleted or re-added timers. */
			if (t->when == 0)
				continue;
			if (again < 0) {
				t->when = 0;
				continue;
			}
			t->when = now + again;
		}
		if (next < 0 || t->when - now < next)
			next = t->when - now;
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

	wait = loop_timers_run(l);
	if (max_ms >= 0 && (wait < 0 || wait > max_ms))
		wait = max_ms;
	if (l->before_sleep != NULL)
		l->before_sleep(l, l->hook_arg);
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
