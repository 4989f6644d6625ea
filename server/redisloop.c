/* redisloop: hiredis's asynchronous context driven by lobbyd's own loop. */
#include "redisloop.h"

#include <errno.h>
#include <stdlib.h>

/* What the hooks need: the context, our loop, and the fd they watch. */
struct redisloop {
	redisAsyncContext *ac;		/* the context served */
	struct loop	*loop;		/* the loop its fd is in */
	int		 fd;		/* the context's socket */
};

/* The socket is readable: hiredis reads and runs reply callbacks. */
static void
redisloop_read(struct loop *l, int fd, int mask, void *arg)
{
	struct redisloop *e = arg;

	(void)l;
	(void)fd;
	(void)mask;
	redisAsyncHandleRead(e->ac);
}

/* The socket is writable: hiredis finishes connecting or writes. */
static void
redisloop_write(struct loop *l, int fd, int mask, void *arg)
{
	struct redisloop *e = arg;

	(void)l;
	(void)fd;
	(void)mask;
	redisAsyncHandleWrite(e->ac);
}

/* hiredis wants to read: watch the fd. Idempotent, as hiredis asks. */
static void
redisloop_add_read(void *arg)
{
	struct redisloop *e = arg;

	/* Checked at attach: the fd fits in an fd_set, so this succeeds. */
	(void)loop_add(e->loop, e->fd, LOOP_READ, redisloop_read, e);
}

/* hiredis no longer wants to read. */
static void
redisloop_del_read(void *arg)
{
	struct redisloop *e = arg;

	loop_del(e->loop, e->fd, LOOP_READ);
}

/* hiredis has output queued, or is connecting: watch for writability. */
static void
redisloop_add_write(void *arg)
{
	struct redisloop *e = arg;

	(void)loop_add(e->loop, e->fd, LOOP_WRITE, redisloop_write, e);
}

/* hiredis's output went out. */
static void
redisloop_del_write(void *arg)
{
	struct redisloop *e = arg;

	loop_del(e->loop, e->fd, LOOP_WRITE);
}

/*
 * The context is being freed: forget its fd, so that no callback can
 * reach it again (the loop checks the mask before each call), and free
 * the attachment.
 */
static void
redisloop_cleanup(void *arg)
{
	struct redisloop *e = arg;

	loop_del(e->loop, e->fd, LOOP_READ | LOOP_WRITE);
	free(e);
}

int
redisloop_attach(redisAsyncContext *ac, struct loop *l)
{
	struct redisloop *e;

	if (ac->ev.data != NULL) {
		errno = EEXIST;
		return -1;
	}
	if (ac->c.fd < 0 || ac->c.fd >= loop_fd_limit(l)) {
		errno = ERANGE;
		return -1;
	}
	if ((e = calloc(1, sizeof *e)) == NULL)
		return -1;
	e->ac = ac;
	e->loop = l;
	e->fd = ac->c.fd;
	ac->ev.addRead = redisloop_add_read;
	ac->ev.delRead = redisloop_del_read;
	ac->ev.addWrite = redisloop_add_write;
	ac->ev.delWrite = redisloop_del_write;
	ac->ev.cleanup = redisloop_cleanup;
	ac->ev.data = e;
	return 0;
}
