/* transport_line: TCP and Unix members: lines as they are in the log. */
#include "server-int.h"

#include <unistd.h>

#include "line.h"
#include "transport.h"

/*
 * A line member reads a byte stream (telnet commands stripped, then cut
 * into lines) and is written straight from the room log's blocks: the
 * log already holds what it is to receive, byte for byte.
 */

static ssize_t
lt_read(struct client *c, void *buf, size_t n)
{
	return read(c->fd, buf, n);
}

static int
lt_input(struct client *c, char *p, size_t n)
{
	n = telnet_strip(&c->telnet, p, n);
	return conn_lines(c, p, n);
}

static void
lt_eof(struct client *c)
{
	(void)line_finish(&c->line, conn_last_line, c);
}

static int
lt_fill(struct client *c, struct rlog *l, struct iovec *iov, int max)
{
	return rlog_iov(l, &c->rd, iov, max);
}

static ssize_t
lt_writev(struct client *c, const struct iovec *iov, int cnt)
{
	return writev(c->fd, iov, cnt);
}

static size_t
lt_advance(struct client *c, struct rlog *l, size_t n)
{
	return rlog_advance(l, &c->rd, n);
}

static bool
lt_unsent(const struct client *c, const struct rlog *l)
{
	return rlog_has_output(l, &c->rd);
}

static void
lt_finish(struct client *c, const struct rlog *l)
{
	(void)c;
	(void)l;
}

static void *
lt_close(struct client *c, struct buf *rest)
{
	(void)c;
	(void)rest;
	return NULL;
}

static void
lt_trim(struct client *c)
{
	(void)c;
}

static void
lt_free(void *state)
{
	(void)state;
}

const struct transport transport_line = {
	.name = "line",
	.read = lt_read,
	.input = lt_input,
	.eof = lt_eof,
	.fill = lt_fill,
	.writev = lt_writev,
	.advance = lt_advance,
	.unsent = lt_unsent,
	.finish = lt_finish,
	.close = lt_close,
	.trim = lt_trim,
	.free = lt_free,
};
