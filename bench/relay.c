/* relay: a bare line relay, the ceiling the benchmark holds lobbyd against. */
#define _GNU_SOURCE	/* epoll, accept4 */

#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <arpa/inet.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

/*
 * Everything lobbyd does beyond moving bytes is left out on purpose: no
 * parsing, no text hygiene, no nicks, no commands. What remains is the
 * work any relay must do (read, split at LF, copy to every other client,
 * write), so the ratio lobbyd/relay shows what lobbyd's extra work costs.
 */

#define RELAY_READ_CHUNK	16384		/* bytes per read() */
#define RELAY_READ_MAX		65536		/* per client, per pass: fair */
#define RELAY_LINE_MAX		(1 << 20)	/* longer partial line: drop */
#define RELAY_QUEUE_MAX		(256 << 20)	/* further behind: dropped */
#define RELAY_EVENTS		256		/* epoll events per pass */

struct peer {
	int	 fd;		/* -1 while the slot is free */
	size_t	 member;	/* index in relay.members */
	char	*in;		/* bytes after the last LF seen */
	size_t	 inlen;		/* bytes used at in */
	size_t	 incap;		/* bytes allocated at in */
	char	*out;		/* output queue: out[outoff .. outlen) */
	size_t	 outoff;	/* first byte not yet written */
	size_t	 outlen;	/* one past the last queued byte */
	size_t	 outcap;	/* bytes allocated at out */
	bool	 dirty;		/* on the flush list this pass */
	bool	 pollout;	/* EPOLLOUT registered: the kernel was full */
};

struct relay {
	int		 ep;		/* epoll instance */
	int		 lfd;		/* listening socket */
	struct peer	*peers;		/* indexed by fd */
	size_t		 npeers;	/* slots at peers */
	int		*members;	/* fds of the connected clients */
	size_t		 nmembers;	/* entries used at members */
	int		*dirty;		/* fds with output queued this pass */
	size_t		 ndirty;	/* entries used at dirty */
	unsigned	 guests;	/* guests ever seen, for the welcome */
};

static void
relay_close(struct relay *r, struct peer *p)
{
	int last = r->members[--r->nmembers];
	bool dirty = p->dirty;

	r->members[p->member] = last;
	r->peers[last].member = p->member;
	close(p->fd);
	free(p->in);
	free(p->out);
	memset(p, 0, sizeof *p);
	p->fd = -1;
	/* Still on the flush list: a new client on fd must not go twice. */
	p->dirty = dirty;
}

/* Queue n bytes for p. Returns -1 when p is too far behind to keep. */
static int
relay_queue(struct relay *r, struct peer *p, const char *s, size_t n)
{
	size_t used = p->outlen - p->outoff, cap;

	if (used + n > RELAY_QUEUE_MAX)
		return -1;
	if (p->outcap - p->outlen < n) {
		if (used > 0)
			memmove(p->out, p->out + p->outoff, used);
		p->outoff = 0;
		p->outlen = used;
		for (cap = p->outcap ? p->outcap : 4096; cap < used + n; )
			cap *= 2;
		if (cap != p->outcap) {
			if ((p->out = realloc(p->out, cap)) == NULL)
				abort();
			p->outcap = cap;
		}
	}
	memcpy(p->out + p->outlen, s, n);
	p->outlen += n;
	if (!p->dirty) {
		p->dirty = true;
		r->dirty[r->ndirty++] = p->fd;
	}
	return 0;
}

/* Write what p has queued, in one write() when the kernel takes it all. */
static void
relay_flush(struct relay *r, struct peer *p)
{
	struct epoll_event ev;
	ssize_t n;
	bool want;

	while (p->outoff < p->outlen) {
		n = send(p->fd, p->out + p->outoff, p->outlen - p->outoff,
		    MSG_NOSIGNAL);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1 && errno != EAGAIN) {
			relay_close(r, p);
			return;
		}
		if (n == -1)
			break;
		p->outoff += (size_t)n;
	}
	if (p->outoff == p->outlen)
		p->outoff = p->outlen = 0;
	/* Ask for EPOLLOUT only while the kernel is full: no busy wakeups. */
	want = p->outlen > 0;
	if (want != p->pollout) {
		ev.events = EPOLLIN | (want ? EPOLLOUT : 0);
		ev.data.fd = p->fd;
		epoll_ctl(r->ep, EPOLL_CTL_MOD, p->fd, &ev);
		p->pollout = want;
	}
}

/* Copy the complete lines s[0..n) to every client but the sender. */
static void
relay_broadcast(struct relay *r, struct peer *from, const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < r->nmembers; i++) {
		struct peer *p = &r->peers[r->members[i]];

		if (p == from)
			continue;
		if (relay_queue(r, p, s, n) == -1) {
			relay_close(r, p);
			i--;	/* the last member moved into slot i */
		}
	}
}

/* Read a bounded amount from p and relay every line it completes. */
static void
relay_read(struct relay *r, struct peer *p)
{
	size_t total = 0, done;
	ssize_t n;
	char *lf;

	while (total < RELAY_READ_MAX) {
		if (p->incap - p->inlen < RELAY_READ_CHUNK) {
			p->incap = p->inlen + RELAY_READ_CHUNK;
			if ((p->in = realloc(p->in, p->incap)) == NULL)
				abort();
		}
		n = read(p->fd, p->in + p->inlen, RELAY_READ_CHUNK);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == 0 || (n == -1 && errno != EAGAIN)) {
			relay_close(r, p);
			return;
		}
		if (n == -1)
			return;
		p->inlen += (size_t)n;
		total += (size_t)n;
		/*
		 * Line by line, as a chat server must (it frames, cleans and
		 * prefixes each); relaying the whole block at once would make
		 * a ceiling no line-based server could approach.
		 */
		done = 0;
		while ((lf = memchr(p->in + done, '\n', p->inlen - done))) {
			relay_broadcast(r, p, p->in + done,
			    (size_t)(lf - p->in) + 1 - done);
			done = (size_t)(lf - p->in) + 1;
		}
		memmove(p->in, p->in + done, p->inlen - done);
		p->inlen -= done;
		if (p->inlen > RELAY_LINE_MAX) {
			relay_close(r, p);
			return;
		}
	}
}

static void
relay_accept(struct relay *r)
{
	struct epoll_event ev;
	struct peer *p;
	char hello[128];
	ssize_t n;
	int fd, on = 1, len;

	while ((fd = accept4(r->lfd, NULL, NULL, SOCK_NONBLOCK)) != -1) {
		if ((size_t)fd >= r->npeers) {
			size_t n = (size_t)fd * 2 + 64, i;

			r->peers = realloc(r->peers, n * sizeof *r->peers);
			r->members = realloc(r->members, n * sizeof(int));
			r->dirty = realloc(r->dirty, n * sizeof(int));
			if (!r->peers || !r->members || !r->dirty)
				abort();
			for (i = r->npeers; i < n; i++) {
				memset(&r->peers[i], 0, sizeof r->peers[i]);
				r->peers[i].fd = -1;
			}
			r->npeers = n;
		}
		setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &on, sizeof on);
		ev.events = EPOLLIN;
		ev.data.fd = fd;
		epoll_ctl(r->ep, EPOLL_CTL_ADD, fd, &ev);
		p = &r->peers[fd];
		p->fd = fd;
		p->member = r->nmembers;
		r->members[r->nmembers++] = fd;
		/* Worded like lobbyd's, so loadgen treats both alike. */
		len = snprintf(hello, sizeof hello, "*** welcome to lobby, you "
		    "are guest%u (%zu online; /help for commands)\n",
		    ++r->guests, r->nmembers);
		/* Written at once, so an idle client holds no queue at all. */
		n = send(fd, hello, (size_t)len, MSG_NOSIGNAL);
		if (n < len)
			relay_queue(r, p, hello + (n > 0 ? n : 0),
			    (size_t)(len - (n > 0 ? n : 0)));
	}
}

int
main(int argc, char *argv[])
{
	struct relay r = { .lfd = -1 };
	struct epoll_event evs[RELAY_EVENTS], ev;
	struct sockaddr_in sin = { .sin_family = AF_INET };
	socklen_t slen = sizeof sin;
	struct rlimit rl;
	long port = 0;
	int c, i, n, on = 1;

	while ((c = getopt(argc, argv, "p:")) != -1) {
		if (c != 'p' || (port = strtol(optarg, NULL, 10)) < 0 ||
		    port > 65535) {
			fprintf(stderr, "usage: relay [-p PORT]\n");
			return 2;
		}
	}
	signal(SIGPIPE, SIG_IGN);
	/* A thousand clients need more descriptors than the usual 1024. */
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	sin.sin_port = htons((unsigned short)port);
	if ((r.lfd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0)) == -1 ||
	    setsockopt(r.lfd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof on) ||
	    bind(r.lfd, (struct sockaddr *)&sin, sizeof sin) == -1 ||
	    listen(r.lfd, SOMAXCONN) == -1 ||
	    getsockname(r.lfd, (struct sockaddr *)&sin, &slen) == -1 ||
	    (r.ep = epoll_create1(0)) == -1) {
		perror("relay");
		return 1;
	}
	ev.events = EPOLLIN;
	ev.data.fd = r.lfd;
	epoll_ctl(r.ep, EPOLL_CTL_ADD, r.lfd, &ev);
	fprintf(stderr, "relay: listening on 127.0.0.1:%u\n",
	    ntohs(sin.sin_port));
	for (;;) {
		if ((n = epoll_wait(r.ep, evs, RELAY_EVENTS, -1)) == -1) {
			if (errno == EINTR)
				continue;
			perror("relay: epoll_wait");
			return 1;
		}
		for (i = 0; i < n; i++) {
			int fd = evs[i].data.fd;

			if (fd == r.lfd) {
				relay_accept(&r);
				continue;
			}
			if (r.peers[fd].fd == -1)
				continue;	/* closed earlier this pass */
			if (evs[i].events & (EPOLLIN | EPOLLHUP | EPOLLERR))
				relay_read(&r, &r.peers[fd]);
			if (r.peers[fd].fd != -1 && evs[i].events & EPOLLOUT)
				relay_flush(&r, &r.peers[fd]);
		}
		/* One write per client per pass, after every read is in. */
		for (i = 0; (size_t)i < r.ndirty; i++) {
			struct peer *p = &r.peers[r.dirty[i]];

			if (p->fd == -1 || !p->dirty)
				continue;
			p->dirty = false;
			relay_flush(&r, p);
		}
		r.ndirty = 0;
	}
}
