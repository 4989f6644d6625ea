/* tls_off: the --tls side of a lobbyd built without OpenSSL: none. */
#include "server-int.h"

#include <errno.h>
#include <stdio.h>
#include <unistd.h>

#include "log.h"

/*
 * main.c refuses --tls in such a build; these only keep the rest of the
 * server free of #ifdefs.
 */

int
tls_init(struct server *s)
{
	(void)s;
	log_bare(LOG_LEVEL_ERROR, "built without TLS support");
	return -1;
}

void
tls_reload(struct server *s)
{
	(void)s;
}

int
tls_accept(struct server *s, int fd, const union net_addr *peer,
    const char *addr, bool web)
{
	(void)web;
	(void)s;
	(void)fd;
	(void)peer;
	(void)addr;
	errno = ENOTSUP;
	return -1;
}

void
tls_refuse(int fd, const char *peer, const char *why)
{
	(void)peer;
	(void)why;
	close(fd);
}

size_t
tls_handshakes(const struct server *s, bool web)
{
	(void)s;
	(void)web;
	return 0;
}

void
tls_pending(struct server *s)
{
	(void)s;
}

void
tls_pending_kick(struct server *s)
{
	(void)s;
}

int64_t
tls_tick(struct loop *l, void *arg)
{
	(void)l;
	(void)arg;
	return -1;
}

void
tls_stop(struct server *s)
{
	(void)s;
}

void
tls_free(struct server *s)
{
	(void)s;
}

ssize_t
tls_stream_read(void *st, void *buf, size_t n)
{
	(void)st;
	(void)buf;
	(void)n;
	errno = EIO;
	return -1;
}

ssize_t
tls_stream_writev(void *st, const struct iovec *iov, int cnt)
{
	(void)st;
	(void)iov;
	(void)cnt;
	errno = EIO;
	return -1;
}

ssize_t
tls_stream_write(void *st, const void *p, size_t n)
{
	(void)st;
	(void)p;
	(void)n;
	errno = EIO;
	return -1;
}

bool
tls_stream_owes(const void *st)
{
	(void)st;
	return false;
}

void
tls_stream_attach(void *st, struct client *c)
{
	(void)st;
	(void)c;
}

void
tls_stream_detach(void *st)
{
	(void)st;
}

int
tls_stream_shutdown(void *st)
{
	(void)st;
	return 0;
}

void
tls_stream_free(void *st)
{
	(void)st;
}
