/* loop_epoll: the Linux epoll backend: the cost of a pass is its ready fds. */
#include "loop.h"

#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <unistd.h>

#ifdef __linux__
#include <sys/epoll.h>

/*
 * Ready fds taken per epoll_wait(). Level-triggered: those past it are
 * reported again in the next pass, which comes at once.
 */
#define LOOP_EPOLL_BATCH	1024

/* The epoll instance and where epoll_wait() puts its answer. */
struct loop_epoll {
	int		 epfd;		/* from epoll_create1() */
	struct epoll_event ev[LOOP_EPOLL_BATCH]; /* one pass's events */
};

static int
loop_epoll_init(struct loop *l)
{
	struct loop_epoll *st = malloc(sizeof *st);

	if (st == NULL)
		return -1;
	if ((st->epfd = epoll_create1(EPOLL_CLOEXEC)) == -1) {
		int saved = errno;

		free(st);
		errno = saved;
		return -1;
	}
	l->state = st;
	return 0;
}

static void
loop_epoll_free(struct loop *l)
{
	struct loop_epoll *st = l->state;

	if (st == NULL)
		return;
	close(st->epfd);
	free(st);
	l->state = NULL;
}

/* Tell the kernel fd's interest is now mask (not 0). */
static int
loop_epoll_ctl(struct loop_epoll *st, int fd, int old, int mask)
{
	struct epoll_event ev = { 0 };
	int op = old == 0 ? EPOLL_CTL_ADD : EPOLL_CTL_MOD;

	ev.events = ((mask & LOOP_READ) ? EPOLLIN : 0u) |
	    ((mask & LOOP_WRITE) ? EPOLLOUT : 0u);
	ev.data.fd = fd;
	if (epoll_ctl(st->epfd, op, fd, &ev) == 0)
		return 0;
	/*
	 * The kernel forgets an fd when its last copy is closed, and an fd
	 * may be closed before loop_del(): a new socket on the number is
	 * then not in the set (ENOENT), or one we forgot is (EEXIST).
	 */
	if (errno == ENOENT && op == EPOLL_CTL_MOD)
		return epoll_ctl(st->epfd, EPOLL_CTL_ADD, fd, &ev);
	if (errno == EEXIST && op == EPOLL_CTL_ADD)
		return epoll_ctl(st->epfd, EPOLL_CTL_MOD, fd, &ev);
	return -1;
}

static int
loop_epoll_add(struct loop *l, int fd, int old, int mask)
{
	return loop_epoll_ctl(l->state, fd, old, mask);
}

static void
loop_epoll_del(struct loop *l, int fd, int old, int mask)
{
	struct loop_epoll *st = l->state;
	struct epoll_event ev = { 0 };

	/* Errors are for fds closed already: the kernel dropped them. */
	if (mask == 0)
		(void)epoll_ctl(st->epfd, EPOLL_CTL_DEL, fd, &ev);
	else
		(void)loop_epoll_ctl(st, fd, old, mask);
}

static int
loop_epoll_wait(struct loop *l, int ms)
{
	struct loop_epoll *st = l->state;
	int i, n, max = LOOP_EPOLL_BATCH;

	/* l->fired has fds_cap entries, at least LOOP_FDS_MIN. */
	if ((size_t)max > l->fds_cap)
		max = (int)l->fds_cap;
	if ((n = epoll_wait(st->epfd, st->ev, max, ms)) == -1)
		return -1;
	for (i = 0; i < n; i++) {
		uint32_t e = st->ev[i].events;
		int mask = 0;

		if (e & EPOLLIN)
			mask |= LOOP_READ;
		if (e & EPOLLOUT)
			mask |= LOOP_WRITE;
		/* As select() does: an error or hang-up is news to both
		 * sides; loop_once() calls only the ones watched. */
		if (e & (EPOLLERR | EPOLLHUP))
			mask |= LOOP_READ | LOOP_WRITE;
		l->fired[i].fd = st->ev[i].data.fd;
		l->fired[i].mask = mask;
	}
	return n;
}

#else /* !__linux__ */

/* No epoll here: --loop epoll fails at start, saying so. */
static int
loop_epoll_init(struct loop *l)
{
	(void)l;
	errno = ENOSYS;
	return -1;
}

static void
loop_epoll_free(struct loop *l)
{
	(void)l;
}

static int
loop_epoll_add(struct loop *l, int fd, int old, int mask)
{
	(void)l, (void)fd, (void)old, (void)mask;
	errno = ENOSYS;
	return -1;
}

static void
loop_epoll_del(struct loop *l, int fd, int old, int mask)
{
	(void)l, (void)fd, (void)old, (void)mask;
}

static int
loop_epoll_wait(struct loop *l, int ms)
{
	(void)l, (void)ms;
	errno = ENOSYS;
	return -1;
}

#endif /* __linux__ */

const struct loop_backend loop_backend_epoll = {
	.name = "epoll",
	.fd_limit = INT_MAX,
	.init = loop_epoll_init,
	.free = loop_epoll_free,
	.add = loop_epoll_add,
	.del = loop_epoll_del,
	.wait = loop_epoll_wait,
};
