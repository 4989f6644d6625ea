/* loop_select: the select() backend: master fd sets copied per pass. */
#include "loop.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/select.h>

/* What select() is given, kept between passes. */
struct loop_select {
	fd_set		 rset;		/* master read set, copied per pass */
	fd_set		 wset;		/* master write set, copied per pass */
};

static int
loop_select_init(struct loop *l)
{
	struct loop_select *st = malloc(sizeof *st);

	if (st == NULL)
		return -1;
	FD_ZERO(&st->rset);
	FD_ZERO(&st->wset);
	l->state = st;
	return 0;
}

static void
loop_select_free(struct loop *l)
{
	free(l->state);
	l->state = NULL;
}

/* fd is below FD_SETSIZE: loop_add() checked it against fd_limit. */
static int
loop_select_add(struct loop *l, int fd, int old, int mask)
{
	struct loop_select *st = l->state;

	(void)old;
	if (mask & LOOP_READ)
		FD_SET(fd, &st->rset);
	if (mask & LOOP_WRITE)
		FD_SET(fd, &st->wset);
	return 0;
}

static void
loop_select_del(struct loop *l, int fd, int old, int mask)
{
	struct loop_select *st = l->state;

	(void)old;
	if (!(mask & LOOP_READ))
		FD_CLR(fd, &st->rset);
	if (!(mask & LOOP_WRITE))
		FD_CLR(fd, &st->wset);
}

static int
loop_select_wait(struct loop *l, int ms)
{
	struct loop_select *st = l->state;
	struct timeval tv, *tvp = NULL;
	fd_set rs, ws;
	int fd, n, maxfd = l->maxfd, fired = 0;

	if (ms >= 0) {
		tv.tv_sec = (time_t)(ms / 1000);
		tv.tv_usec = (suseconds_t)(ms % 1000) * 1000;
		tvp = &tv;
	}
	/* select() overwrites its sets: hand it copies of the masters. */
	memcpy(&rs, &st->rset, sizeof rs);
	memcpy(&ws, &st->wset, sizeof ws);
	if ((n = select(maxfd + 1, &rs, &ws, NULL, tvp)) == -1)
		return -1;
	/* Lowest fd first: the listeners come before the members. */
	for (fd = 0; fd <= maxfd && n > 0; fd++) {
		int mask = (FD_ISSET(fd, &rs) ? LOOP_READ : 0) |
		    (FD_ISSET(fd, &ws) ? LOOP_WRITE : 0);

		if (mask == 0)
			continue;
		n--;
		l->fired[fired].fd = fd;
		l->fired[fired].mask = mask;
		fired++;
	}
	return fired;
}

const struct loop_backend loop_backend_select = {
	.name = "select",
	.fd_limit = FD_SETSIZE,
	.init = loop_select_init,
	.free = loop_select_free,
	.add = loop_select_add,
	.del = loop_select_del,
	.wait = loop_select_wait,
};
