/* link: the client's connection to the server: send queue, framed reads. */
#include "link.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/select.h>
#include <unistd.h>

#include "cmdline.h"
#include "net.h"
#include "sline.h"

void
link_init(struct link *l)
{
	struct buf empty = BUF_INIT;

	l->sock = -1;
	l->quitting = false;
	l->nick[0] = '\0';
	l->outq = empty;
	line_init(&l->in, LINK_MAXLINE);
}

int
link_open(struct link *l, const char *host, const char *port,
    const char *unix_path, char *err, size_t errlen)
{
	int fd;

	fd = net_connect(unix_path != NULL ? NULL : host,
	    unix_path != NULL ? unix_path : port, err, errlen);
	if (fd == -1)
		return -1;
	if (net_nonblock(fd) == -1) {
		snprintf(err, errlen, "%s", strerror(errno));
		close(fd);
		return -1;
	}
	/* select() cannot watch it: only possible with fds leaked to us. */
	if (fd >= FD_SETSIZE) {
		snprintf(err, errlen, "socket fd %d is beyond FD_SETSIZE", fd);
		close(fd);
		return -1;
	}
	l->sock = fd;
	return 0;
}

void
link_close(struct link *l)
{
	if (l->sock != -1)
		close(l->sock);
	l->sock = -1;
	buf_free(&l->outq);
	line_free(&l->in);
}

bool
link_nick_valid(const char *s)
{
	return proto_nick_valid(s, strlen(s));
}

int
link_send(struct link *l, const char *s, size_t n)
{
	size_t before = buf_used(&l->outq);
	struct cmdline cl;

	if (buf_append(&l->outq, s, n) == -1)
		return -1;
	if (buf_append(&l->outq, "\n", 1) == -1) {
		/* Take the half line back: never send it without its LF. */
		l->outq.len = l->outq.off + before;
		return -1;
	}
	cmdline_split(s, n, &cl);
	if (cmdline_is(&cl, "quit"))
		l->quitting = true;
	return 0;
}

void
link_track_nick(struct link *l, const char *s, size_t n)
{
	struct sline sl;

	switch (sline_parse(&sl, s, n)) {
	case SLINE_WELCOME:
		memcpy(l->nick, sl.nick, sl.nlen);
		l->nick[sl.nlen] = '\0';
		break;
	case SLINE_RENAMED:
		if (sline_nick_is(sl.nick, sl.nlen, l->nick)) {
			memcpy(l->nick, sl.nick2, sl.n2len);
			l->nick[sl.n2len] = '\0';
		}
		break;
	default:
		break;
	}
}

enum link_result
link_read(struct link *l, line_fn fn, void *arg)
{
	char data[LINK_READ];
	ssize_t n;

	n = read(l->sock, data, sizeof data);
	if (n == -1 && (errno == EINTR || errno == EAGAIN ||
	    errno == EWOULDBLOCK))
		return LINK_OK;
	if (n <= 0)
		return LINK_GONE;
	if (line_feed(&l->in, data, (size_t)n, fn, arg) == -1)
		return LINK_NOMEM;
	return LINK_OK;
}

bool
link_finish(struct link *l, line_fn fn, void *arg)
{
	bool cut = line_pending(&l->in) > 0;

	(void)line_finish(&l->in, fn, arg);
	return cut;
}

enum link_result
link_write(struct link *l)
{
	ssize_t n;

	if (buf_used(&l->outq) == 0)
		return LINK_OK;
	n = write(l->sock, buf_peek(&l->outq), buf_used(&l->outq));
	if (n > 0) {
		buf_drain(&l->outq, (size_t)n);
		buf_shrink(&l->outq);
	} else if (n == -1 && errno != EINTR && errno != EAGAIN &&
	    errno != EWOULDBLOCK)
		return LINK_GONE;
	return LINK_OK;
}
