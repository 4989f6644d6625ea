/* relay: a bare line relay with one shared copy per line: the honest bound. */
#define _GNU_SOURCE	/* epoll, accept4 */

#include <errno.h>
#include <limits.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <arpa/inet.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

/*
 * Everything lobbyd does beyond moving bytes is left out on purpose: no
 * text hygiene, no nick changes, no commands, no history. What remains is
 * the least work any chat relay must do to put the same bytes on the wire
 * as lobbyd: read, find the line ends, store each line once with its
 * sender's name in front ("<guest3> hello", as lobbyd words a chat line;
 * -r leaves the name out and relays the bare lines), and write it to
 * every other client.
 *
 * No line is ever copied per client. Each loop pass, the complete lines
 * read from every client go, once, into one shared batch (a block); the
 * blocks form a list, each client holds a position in it, and a client is
 * written with one writev() over the blocks from its position, leaving
 * out the segments it sent itself. A block is freed once every position
 * has passed it. A client that falls too far behind is dropped.
 *
 * Rooms, for the rooms scenario: "/join NAME", the one line the relay
 * reads as a command, moves a client to a room of its own log, as
 * lobbyd's rooms each have theirs: a pass's lines go to their room's
 * batch, and only the members of a room with a new batch are written.
 */

#define RELAY_READ_CHUNK	16384		/* bytes per read() */
#define RELAY_READ_MAX		65536		/* per client, per pass: fair */
#define RELAY_LINE_MAX		(1 << 20)	/* longer partial line: drop */
#define RELAY_QUEUE_MAX		(256 << 20)	/* default -q: backlog cap */
#define RELAY_EVENTS		256		/* epoll events per pass */
#define RELAY_IOV		1024		/* iovecs per writev() */
#define RELAY_ROOMS		1024		/* rooms, the first one included */
#define RELAY_ROOM_NAME		32		/* longest room name */

/* A run of bytes in a block that one client sent. */
struct seg {
	uint32_t	 off;		/* first byte in the block */
	uint32_t	 len;		/* bytes */
	uint32_t	 from;		/* sender's id: skipped for it */
};

/* One pass's batch of lines, shared by every reader. */
struct block {
	struct block	*next;		/* the next pass's batch, or NULL */
	uint64_t	 seq;		/* log offset of data[0] */
	size_t		 len;		/* bytes at data */
	size_t		 cap;		/* bytes allocated at data */
	char		*data;		/* the lines */
	struct seg	*segs;		/* who sent which bytes, in order */
	size_t		 nsegs;		/* entries at segs */
	size_t		 segcap;	/* entries allocated at segs */
	unsigned	 refs;		/* clients positioned in this block */
};

/*
 * A room: a log of its own (its members' positions are in it) and this
 * pass's batch. Room 0 is where everyone starts.
 */
struct room {
	char		 name[RELAY_ROOM_NAME + 1];
	struct block	*head;		/* oldest block still referenced */
	struct block	*tail;		/* newest block: readers end here */
	struct block	*batch;		/* this pass's lines, not yet linked */
	bool		 fresh;		/* a batch was linked this pass */
};

struct peer {
	int		 fd;		/* -1 while the slot is free */
	struct room	*room;		/* the log it reads and adds to */
	uint32_t	 id;		/* never reused: marks its own lines */
	char		 name[24];	/* "<guestN> ", put before its lines */
	size_t		 namelen;	/* bytes at name; 0 with -r */
	size_t		 member;	/* index in relay.members */
	char		*in;		/* bytes after the last LF seen */
	size_t		 inlen;		/* bytes used at in */
	size_t		 incap;		/* bytes allocated at in */
	struct block	*blk;		/* position: this block ... */
	size_t		 off;		/* ... at this byte */
	size_t		 seg;		/* the segment holding off, or nsegs */
	bool		 ready;		/* the kernel may take more */
	bool		 pollout;	/* EPOLLOUT registered */
};

struct relay {
	int		 ep;		/* epoll instance */
	int		 lfd;		/* listening socket */
	struct peer	*peers;		/* indexed by fd */
	size_t		 npeers;	/* slots at peers */
	int		*members;	/* fds of the connected clients */
	size_t		 nmembers;	/* entries used at members */
	struct room	*rooms;		/* RELAY_ROOMS of them */
	size_t		 nrooms;	/* rooms made */
	struct room	**dirty;	/* rooms with a batch this pass */
	size_t		 ndirty;	/* entries used at dirty */
	size_t		 qmax;		/* -q: most backlog per client */
	bool		 raw;		/* -r: relay lines without a name */
	uint32_t	 ids;		/* ids given out */
	unsigned	 guests;	/* guests ever seen, for the welcome */
};

static void *
xrealloc(void *p, size_t n)
{
	if ((p = realloc(p, n)) == NULL)
		abort();
	return p;
}

/* Free the oldest blocks of room m nobody is positioned in any more. */
static void
relay_gc(struct room *m)
{
	struct block *b;

	while (m->head != m->tail && m->head->refs == 0) {
		b = m->head;
		m->head = b->next;
		free(b->data);
		free(b->segs);
		free(b);
	}
}

static void
relay_close(struct relay *r, struct peer *p)
{
	int last = r->members[--r->nmembers];

	r->members[p->member] = last;
	r->peers[last].member = p->member;
	close(p->fd);
	p->blk->refs--;
	relay_gc(p->room);
	free(p->in);
	memset(p, 0, sizeof *p);
	p->fd = -1;
}

/* Bytes of the log after p's position, its own lines included. */
static uint64_t
relay_backlog(const struct relay *r, const struct peer *p)
{
	(void)r;
	return p->room->tail->seq + p->room->tail->len -
	    (p->blk->seq + p->off);
}

/* Move p to the start of the next block once it is at a block's end. */
static void
relay_step(struct peer *p)
{
	while (p->off == p->blk->len && p->blk->next != NULL) {
		p->blk->refs--;
		p->blk = p->blk->next;
		p->blk->refs++;
		p->off = 0;
		p->seg = 0;
	}
	relay_gc(p->room);
}

/*
 * Fill iov with what p has to receive, from its position, leaving out its
 * own segments and merging neighbours. Returns the iovec count.
 */
static int
relay_iov(const struct peer *p, struct iovec *iov)
{
	const struct block *b = p->blk;
	size_t off = p->off, s = p->seg;
	int n = 0;

	for (; b != NULL && n < RELAY_IOV; b = b->next, off = 0, s = 0) {
		for (; s < b->nsegs && n < RELAY_IOV; s++) {
			const struct seg *g = &b->segs[s];
			size_t start = off > g->off ? off : g->off;
			size_t end = g->off + g->len;

			if (g->from == p->id || start >= end)
				continue;
			if (n > 0 && (char *)iov[n - 1].iov_base +
			    iov[n - 1].iov_len == b->data + start)
				iov[n - 1].iov_len += end - start;
			else {
				iov[n].iov_base = b->data + start;
				iov[n].iov_len = end - start;
				n++;
			}
		}
	}
	return n;
}

/* Move p forward past n written bytes and past its own segments. */
static void
relay_advance(struct peer *p, size_t n)
{
	for (;;) {
		struct block *b = p->blk;

		while (p->seg < b->nsegs) {
			const struct seg *g = &b->segs[p->seg];
			size_t end = g->off + g->len, take;

			if (p->off < g->off)
				p->off = g->off;
			if (g->from == p->id) {
				p->off = end;
				p->seg++;
				continue;
			}
			take = end - p->off;
			if (take > n) {
				p->off += n;
				return;
			}
			n -= take;
			p->off = end;
			p->seg++;
		}
		if (b->next == NULL)
			break;
		relay_step(p);
	}
	relay_gc(p->room);
}

/* Register EPOLLOUT exactly while p waits for the kernel. */
static void
relay_want(struct relay *r, struct peer *p, bool want)
{
	struct epoll_event ev;

	if (want == p->pollout)
		return;
	ev.events = EPOLLIN | (want ? EPOLLOUT : 0);
	ev.data.fd = p->fd;
	epoll_ctl(r->ep, EPOLL_CTL_MOD, p->fd, &ev);
	p->pollout = want;
}

/* Write what p has to receive: one writev() unless it is far behind. */
static void
relay_flush(struct relay *r, struct peer *p)
{
	struct iovec iov[RELAY_IOV];
	ssize_t n;
	int cnt;

	while (p->ready) {
		if ((cnt = relay_iov(p, iov)) == 0) {
			relay_advance(p, 0);	/* only its own lines */
			break;
		}
		n = writev(p->fd, iov, cnt);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1 && errno != EAGAIN) {
			relay_close(r, p);
			return;
		}
		if (n == -1) {
			p->ready = false;
			break;
		}
		relay_advance(p, (size_t)n);
	}
	relay_want(r, p, !p->ready);
}

/* Room m's batch being filled this pass, made on first use. */
static struct block *
relay_batch(struct relay *r, struct room *m)
{
	if (m->batch == NULL) {
		m->batch = calloc(1, sizeof *m->batch);
		if (m->batch == NULL)
			abort();
		r->dirty[r->ndirty++] = m;
	}
	return m->batch;
}

/* The room called name, made when new; NULL when there are too many. */
static struct room *
relay_room(struct relay *r, const char *name, size_t len)
{
	struct room *m;
	size_t i;

	for (i = 0; i < r->nrooms; i++)
		if (strlen(r->rooms[i].name) == len &&
		    memcmp(r->rooms[i].name, name, len) == 0)
			return &r->rooms[i];
	if (r->nrooms == RELAY_ROOMS || len > RELAY_ROOM_NAME)
		return NULL;
	m = &r->rooms[r->nrooms++];
	memcpy(m->name, name, len);
	m->name[len] = '\0';
	/* A log starts with an empty block: every position has a home. */
	if ((m->head = m->tail = calloc(1, sizeof *m->head)) == NULL)
		abort();
	return m;
}

/* Put p at the end of room m's log. */
static void
relay_enter(struct peer *p, struct room *m)
{
	if (p->blk != NULL) {
		p->blk->refs--;
		relay_gc(p->room);
	}
	p->room = m;
	p->blk = m->tail;
	p->off = m->tail->len;
	p->seg = m->tail->nsegs;
	p->blk->refs++;
}

/*
 * "/join NAME", the one command (what loadgen --rooms sends): p reads
 * and adds to room NAME from now on, told so at once. What it had not
 * been sent of its old room is not sent.
 */
static void
relay_join(struct relay *r, struct peer *p, const char *arg, size_t len)
{
	char reply[RELAY_ROOM_NAME + 32];
	struct room *m;
	int n;

	while (len > 0 && (arg[len - 1] == '\r' || arg[len - 1] == ' '))
		len--;
	if ((m = relay_room(r, arg, len)) == NULL)
		return;
	relay_enter(p, m);
	n = snprintf(reply, sizeof reply, "*** you are now in %s\n", m->name);
	(void)send(p->fd, reply, (size_t)n, MSG_NOSIGNAL);
}

/* Make room for n more bytes in b. */
static void
relay_reserve(struct block *b, size_t n)
{
	if (b->cap - b->len >= n)
		return;
	while (b->cap - b->len < n)
		b->cap = b->cap ? b->cap * 2 : 65536;
	b->data = xrealloc(b->data, b->cap);
}

/* Mark b's bytes from start on as p's: a segment it is not sent. */
static void
relay_seg(struct block *b, struct peer *p, size_t start)
{
	size_t n = b->len - start;
	struct seg *g;

	if (n == 0)
		return;
	if (b->nsegs > 0 && b->segs[b->nsegs - 1].from == p->id)
		b->segs[b->nsegs - 1].len += (uint32_t)n;
	else {
		if (b->nsegs == b->segcap) {
			b->segcap = b->segcap ? b->segcap * 2 : 64;
			b->segs = xrealloc(b->segs, b->segcap * sizeof *g);
		}
		g = &b->segs[b->nsegs++];
		g->off = (uint32_t)start;
		g->len = (uint32_t)n;
		g->from = p->id;
	}
}

/*
 * Append the complete lines s[0..n) from p to its room's batch this
 * pass, each after p's name: the one copy each line gets.
 */
static void
relay_store(struct relay *r, struct peer *p, const char *s, size_t n)
{
	struct block *b = relay_batch(r, p->room);
	const char *lf, *end = s + n;
	size_t start = b->len, len;

	if (p->namelen == 0) {
		relay_reserve(b, n);
		memcpy(b->data + b->len, s, n);
		b->len += n;
	} else
		for (; s < end; s = lf + 1) {
			/* Line by line, as a chat server must frame them. */
			lf = memchr(s, '\n', (size_t)(end - s));
			len = (size_t)(lf - s) + 1;
			if (*s == '/' && len > 6 && memcmp(s, "/join ", 6) == 0) {
				/* What came before goes to the old room. */
				relay_seg(b, p, start);
				relay_join(r, p, s + 6, len - 7);
				b = relay_batch(r, p->room);
				start = b->len;
				continue;
			}
			relay_reserve(b, p->namelen + len);
			memcpy(b->data + b->len, p->name, p->namelen);
			memcpy(b->data + b->len + p->namelen, s, len);
			b->len += p->namelen + len;
		}
	relay_seg(b, p, start);
}

/*
 * Link each room's batch of this pass to its log, marking the room
 * fresh. Returns whether there was one.
 */
static bool
relay_commit(struct relay *r)
{
	struct block *b;
	struct room *m;
	bool any = false;
	size_t i;

	for (i = 0; i < r->nrooms; i++)
		r->rooms[i].fresh = false;
	for (i = 0; i < r->ndirty; i++) {
		m = r->dirty[i];
		b = m->batch;
		m->batch = NULL;
		if (b->len == 0) {
			free(b->data);
			free(b->segs);
			free(b);
			continue;
		}
		b->seq = m->tail->seq + m->tail->len;
		m->tail->next = b;
		m->tail = b;
		m->fresh = any = true;
	}
	r->ndirty = 0;
	return any;
}

/* Read a bounded amount from p; store each complete line once. */
static void
relay_read(struct relay *r, struct peer *p)
{
	size_t total = 0, done;
	ssize_t n;
	char *lf;

	while (total < RELAY_READ_MAX) {
		if (p->incap - p->inlen < RELAY_READ_CHUNK) {
			p->incap = p->inlen + RELAY_READ_CHUNK;
			p->in = xrealloc(p->in, p->incap);
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
		/* The complete lines are stored, each with one copy. */
		lf = memrchr(p->in, '\n', p->inlen);
		done = lf != NULL ? (size_t)(lf - p->in) + 1 : 0;
		if (done > 0)
			relay_store(r, p, p->in, done);
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

			r->peers = xrealloc(r->peers, n * sizeof *r->peers);
			r->members = xrealloc(r->members, n * sizeof(int));
			for (i = r->npeers; i < n; i++) {
				memset(&r->peers[i], 0, sizeof r->peers[i]);
				r->peers[i].fd = -1;
			}
			r->npeers = n;
		}
		/* Worded like lobbyd's, so loadgen treats both alike. */
		len = snprintf(hello, sizeof hello, "*** welcome to lobby, you "
		    "are guest%u (%zu online; /help for commands)\n",
		    r->guests + 1, r->nmembers + 1);
		/* A fresh socket always takes it; if not, the client goes. */
		n = send(fd, hello, (size_t)len, MSG_NOSIGNAL);
		if (n != len) {
			close(fd);
			continue;
		}
		r->guests++;
		setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &on, sizeof on);
		ev.events = EPOLLIN;
		ev.data.fd = fd;
		epoll_ctl(r->ep, EPOLL_CTL_ADD, fd, &ev);
		p = &r->peers[fd];
		p->fd = fd;
		p->id = ++r->ids;
		if (!r->raw)
			p->namelen = (size_t)snprintf(p->name, sizeof p->name,
			    "<guest%u> ", r->guests);
		p->member = r->nmembers;
		p->blk = NULL;
		relay_enter(p, &r->rooms[0]);
		p->ready = true;
		r->members[r->nmembers++] = fd;
	}
}

int
main(int argc, char *argv[])
{
	struct relay r = { .lfd = -1, .qmax = RELAY_QUEUE_MAX };
	struct epoll_event evs[RELAY_EVENTS], ev;
	struct sockaddr_in sin = { .sin_family = AF_INET };
	socklen_t slen = sizeof sin;
	struct rlimit rl;
	long port = 0;
	char *end;
	int c, i, n, on = 1;

	while ((c = getopt(argc, argv, "p:q:r")) != -1) {
		if (c == 'p' && (port = strtol(optarg, &end, 10)) >= 0 &&
		    port <= 65535 && *end == '\0')
			continue;
		if (c == 'q' && (r.qmax = strtoul(optarg, &end, 10)) > 0 &&
		    *end == '\0')
			continue;
		if (c == 'r') {
			r.raw = true;
			continue;
		}
		fprintf(stderr, "usage: relay [-r] [-p PORT] [-q MAXBACKLOG]\n");
		return 2;
	}
	signal(SIGPIPE, SIG_IGN);
	/* A thousand clients need more descriptors than the usual 1024. */
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
	r.rooms = calloc(RELAY_ROOMS, sizeof *r.rooms);
	r.dirty = calloc(RELAY_ROOMS, sizeof *r.dirty);
	if (r.rooms == NULL || r.dirty == NULL)
		abort();
	(void)relay_room(&r, "lobby", 5);
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
		bool fresh;
		size_t k;

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
				r.peers[fd].ready = true;
		}
		fresh = relay_commit(&r);
		/*
		 * After every read is in: one writev() per client that can
		 * take bytes, over the shared batch. Without a new batch only
		 * the clients the kernel just woke have anything to do.
		 */
		for (k = 0; k < r.nmembers; k++) {
			struct peer *p = &r.peers[r.members[k]];

			if (!(fresh && p->room->fresh) &&
			    !(p->ready && p->pollout))
				continue;
			if (relay_backlog(&r, p) > r.qmax) {
				relay_close(&r, p);
				k--;	/* the last member moved into slot k */
				continue;
			}
			if (p->ready)
				relay_flush(&r, p);
			if (p->fd == -1)
				k--;
		}
	}
}
