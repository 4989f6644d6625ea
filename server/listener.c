/* listener: listening sockets, accept, refusal, the fd pause and the cap. */
#include "server-int.h"

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/select.h>
#include <sys/socket.h>
#include <unistd.h>

#include "log.h"

static void	listener_readable(struct loop *, int, int, void *);

/* ---------------------------------------------------------------------
 * Refusing, and pausing when out of fds
 * ------------------------------------------------------------------- */

/* Tell a connection we cannot take that we are full, and close it. */
static void
listener_refuse(int fd, const char *peer, const char *why)
{
	const char *full;
	size_t n;

	full = room_full_notice(&n);
	(void)send(fd, full, n, MSG_NOSIGNAL | MSG_DONTWAIT);
	close(fd);
	log_warn("refused %s: %s", peer, why);
}

/* A connection from an address that has --max-per-ip open: refuse it,
 * on a --web listener with a 503. */
static void
listener_refuse_per_ip(struct server *s, int fd, const char *peer, bool web)
{
	static const char many[] = PROTO_PER_IP "\n";

	s->stats.refused_per_ip++;
	if (web) {
		web_refuse(fd, peer, "--max-per-ip connections from that "
		    "address already");
		return;
	}
	(void)send(fd, many, sizeof many - 1, MSG_NOSIGNAL | MSG_DONTWAIT);
	close(fd);
	log_warn("refused %s: %u connections from that address already",
	    peer, s->cfg->max_per_ip);
}

void
listener_resume(struct server *s)
{
	size_t i;

	if (!s->paused || s->stopping)
		return;
	s->paused = false;
	loop_timer_del(&s->loop, s->pause_timer);
	s->pause_timer = -1;
	for (i = 0; i < s->nlisteners; i++)
		(void)loop_add(&s->loop, s->listeners[i].fd, LOOP_READ,
		    listener_readable, s);
}

/* Unpause accepting after SERVER_PAUSE_MS, in case no client left. */
static int64_t
listener_pause_check(struct loop *l, void *arg)
{
	struct server *s = arg;

	(void)l;
	s->pause_timer = -1;	/* this firing is its last */
	listener_resume(s);
	return -1;
}

/*
 * Out of fds at accept(). Give up the reserve fd to take the waiting
 * connection and refuse it as its listener does (a TLS one with nothing
 * said), so it is not left hanging; if even
 * that fails, stop watching the listeners for a while rather than spin on
 * a backlog select() will keep reporting.
 */
static void
listener_starved(struct server *s, int lfd,
    void (*refuse)(int, const char *, const char *))
{
	union net_addr peer;
	char name[NET_ADDRSTRLEN];
	bool none;
	int fd;

	if (s->reserve != -1) {
		close(s->reserve);
		s->reserve = -1;
		fd = net_accept(lfd, &peer);
		/*
		 * accept() reports EMFILE before it looks at the queue: the
		 * queue may well have been empty, and then nothing is wrong.
		 */
		none = fd == -1 && (errno == EAGAIN || errno == EWOULDBLOCK);
		if (fd != -1) {
			net_addr_format(&peer, name, sizeof name);
			s->stats.refused_full++;
			refuse(fd, name, "out of file descriptors");
		}
		s->reserve = open("/dev/null", O_RDONLY | O_CLOEXEC);
		if ((fd != -1 || none) && s->reserve != -1)
			return;
	}
	log_warn("out of file descriptors: accepting paused");
	s->paused = true;
	for (size_t i = 0; i < s->nlisteners; i++)
		loop_del(&s->loop, s->listeners[i].fd, LOOP_READ);
	s->pause_timer = loop_timer_add(&s->loop, SERVER_PAUSE_MS,
	    listener_pause_check, s);
}

/* ---------------------------------------------------------------------
 * Accepting
 * ------------------------------------------------------------------- */

/*
 * A newcomer's fd is past FD_SETSIZE: while lingering sockets hold lower
 * ones, the oldest gives its own up and the newcomer moves there. Returns
 * the fd to use (still fd when none could be had).
 */
static int
listener_lower_fd(struct server *s, int fd)
{
	int low;

	while (linger_drop_oldest(s)) {
		if ((low = fcntl(fd, F_DUPFD_CLOEXEC, 0)) == -1)
			return fd;
		if (low < loop_fd_limit(&s->loop)) {
			close(fd);
			return low;
		}
		close(low);
	}
	return fd;
}

/*
 * A listener is readable. Accepting waits for the end of the pass
 * (listener_accept_ready()): the listeners have the lowest fds, so select()
 * reports them before the members, and a member leaving in this same pass
 * has not been read yet. Accepting now would refuse a newcomer the seat
 * (or the fd) that member is about to free.
 */
static void
listener_readable(struct loop *l, int lfd, int mask, void *arg)
{
	struct server *s = arg;
	size_t i;

	(void)l;
	(void)mask;
	for (i = 0; i < s->nlisteners; i++)
		if (s->listeners[i].fd == lfd)
			s->listeners[i].ready = true;
	s->accept_ready = true;
}

/*
 * Accept a bounded batch of connections on lfd, refusing those past the
 * client cap or (with select) beyond FD_SETSIZE, and let the rest join
 * (on a --web listener: send their request). Returns how many
 * connections were taken off the queue.
 */
static int
listener_accept(struct server *s, int lfd, bool web, bool tls)
{
	void (*refuse)(int, const char *, const char *) =
	    tls ? tls_refuse : web ? web_refuse : listener_refuse;
	union net_addr peer;
	char name[NET_ADDRSTRLEN];
	int fd, i, n = 0;

	for (i = 0; i < SERVER_ACCEPT_MAX && !s->paused; i++) {
		if ((fd = net_accept(lfd, &peer)) == -1) {
			if (errno == EINTR || errno == ECONNABORTED ||
			    errno == EPROTO)
				continue;
			if (errno == EMFILE || errno == ENFILE ||
			    errno == ENOBUFS || errno == ENOMEM) {
				/* A lingering socket gives its fd up first. */
				if (linger_drop_oldest(s))
					continue;
				listener_starved(s, lfd, refuse);
				n++;
			} else if (errno != EAGAIN && errno != EWOULDBLOCK)
				log_warn("accept: %s", strerror(errno));
			return n;
		}
		n++;
		net_addr_format(&peer, name, sizeof name);
		/*
		 * Members are capped by --max-clients, as conn_open() admits
		 * them; connections that are not (yet) members by --max-http:
		 * HTTP connections with the --web-tls handshakes that will be
		 * ones, and the --tls handshakes as many again, apart. So
		 * idle or stalled sockets take no member's seat, and only so
		 * many of the fds members need. On a full server neither a
		 * TCP newcomer nor an HTTP connection is taken in; a --tls
		 * newcomer hears so once its handshake is done (conn_open()
		 * refuses it then), as it could not before.
		 */
		if ((web || !tls) && conn_full(s)) {
			s->stats.refused_full++;
			refuse(fd, name, "max number of clients reached");
			continue;
		}
		if (web && s->nwebs + tls_handshakes(s, true) >=
		    s->cfg->max_http) {
			s->stats.refused_full++;
			refuse(fd, name, "--max-http connections waiting already");
			continue;
		}
		if (tls && !web && tls_handshakes(s, false) >=
		    s->cfg->max_http) {
			s->stats.refused_full++;
			refuse(fd, name, "--max-http TLS handshakes going on "
			    "already");
			continue;
		}
		if (fd >= loop_fd_limit(&s->loop))
			fd = listener_lower_fd(s, fd);
		if (fd >= loop_fd_limit(&s->loop)) {
			s->stats.refused_full++;
			refuse(fd, name, "fd beyond FD_SETSIZE");
			continue;
		}
		/*
		 * One lookup in a hash table, whatever the number of members.
		 * An HTTP connection counts from its accept until its request
		 * is in (web.c): then it is answered, or is a member.
		 */
		if (s->cfg->max_per_ip > 0 &&
		    peers_count(&s->peers, &peer) >= s->cfg->max_per_ip) {
			if (tls) {
				s->stats.refused_per_ip++;
				tls_refuse(fd, name, "--max-per-ip connections "
				    "from that address already");
			} else
				listener_refuse_per_ip(s, fd, name, web);
			continue;
		}
		/*
		 * On a --web listener, the request comes first; on a --tls
		 * one, the handshake; then each is admitted as a member by
		 * conn_open(), as a TCP newcomer is here.
		 */
		if (tls ? tls_accept(s, fd, &peer, name, web) == -1 :
		    web ? web_accept(s, fd, &peer, name) == -1 :
		    conn_open(s, fd, &peer, name, &transport_line, NULL) == NULL) {
			s->stats.refused_full++;
			refuse(fd, name, errno == EUSERS ?
			    "max number of clients reached" : errno == ENOMEM ?
			    "out of memory" : strerror(errno));
		}
	}
	return n;
}

bool
listener_accept_ready(struct server *s)
{
	bool any = false;
	size_t i;

	if (!s->accept_ready)
		return false;
	s->accept_ready = false;
	for (i = 0; i < s->nlisteners; i++) {
		if (!s->listeners[i].ready)
			continue;
		s->listeners[i].ready = false;
		if (listener_accept(s, s->listeners[i].fd,
		    s->listeners[i].web, s->listeners[i].tls) > 0)
			any = true;
	}
	return any;
}

/* ---------------------------------------------------------------------
 * Opening and closing
 * ------------------------------------------------------------------- */

/*
 * Add a listening socket, to be announced as scripts and tests expect;
 * file is the socket file -u made (NULL for any other listener).
 */
static int
listener_add(struct server *s, int fd, const char *name,
    const struct net_file *file, bool web, bool tls)
{
	struct listener *li = &s->listeners[s->nlisteners];

	if (loop_add(&s->loop, fd, LOOP_READ, listener_readable, s) == -1) {
		log_bare(LOG_LEVEL_ERROR, "cannot listen on %s: %s", name,
		    strerror(errno));
		close(fd);
		return -1;
	}
	li->fd = fd;
	li->is_unix = file != NULL;
	li->ready = false;
	if (file != NULL)
		li->file = *file;
	li->web = web;
	li->tls = tls;
	if (web)
		snprintf(li->name, sizeof li->name, "%s://%s/",
		    tls ? "https" : "http", name);
	else if (tls)
		snprintf(li->name, sizeof li->name, "tls:%s", name);
	else
		snprintf(li->name, sizeof li->name, "%s", name);
	s->nlisteners++;
	return 0;
}

int
listener_open_all(struct server *s)
{
	static const char *const loopback[] = { "127.0.0.1", "::1" };
	const struct server_config *cfg = s->cfg;
	const char *const *binds = cfg->nbinds ? cfg->binds : loopback;
	size_t n = cfg->nbinds ? cfg->nbinds : 2, i;
	char name[NET_ADDRSTRLEN];
	struct net_file file;
	int fd;

	for (i = 0; i < cfg->nfds; i++) {
		(void)net_nonblock(cfg->fds[i]);
		net_sock_name(cfg->fds[i], name, sizeof name);
		if (listener_add(s, cfg->fds[i], name, NULL, false, false) == -1)
			return -1;
	}
	for (i = 0; i < n && (cfg->nfds == 0 || cfg->nbinds > 0); i++) {
		fd = net_listen_tcp(binds[i], cfg->port, name, sizeof name);
		if (fd == -1) {
			bool v6 = strchr(binds[i], ':') != NULL;

			/* Without -b, a missing ::1 is only worth a warning. */
			if (cfg->nbinds == 0 && v6 && (errno == EADDRNOTAVAIL ||
			    errno == EAFNOSUPPORT)) {
				log_warn("no IPv6 loopback (%s): serving "
				    "127.0.0.1 only", strerror(errno));
				continue;
			}
			log_bare(LOG_LEVEL_ERROR, "cannot listen on %s%s%s:%u: "
			    "%s", v6 ? "[" : "", binds[i], v6 ? "]" : "",
			    cfg->port, net_listen_why(binds[i], errno));
			return -1;
		}
		if (listener_add(s, fd, name, NULL, false, false) == -1)
			return -1;
	}
	if (cfg->unix_path != NULL) {
		snprintf(name, sizeof name, "unix:%s", cfg->unix_path);
		if ((fd = net_listen_unix(cfg->unix_path, &file)) == -1) {
			log_bare(LOG_LEVEL_ERROR, "cannot listen on %s: %s",
			    name, errno == EADDRINUSE ? "a server is "
			    "already answering there" : errno == EEXIST ?
			    "the path exists and is not a socket" :
			    strerror(errno));
			return -1;
		}
		if (listener_add(s, fd, name, &file, false, false) == -1) {
			(void)net_unlink_unix(cfg->unix_path, &file);
			return -1;
		}
	}
	/* Last, so that the lines scripts wait for come in the same order. */
	for (i = 0; i < cfg->nwebs; i++) {
		const struct server_web *w = &cfg->webs[i];
		bool v6 = strchr(w->addr, ':') != NULL;

		fd = net_listen_tcp(w->addr, w->port, name, sizeof name);
		if (fd == -1) {
			log_bare(LOG_LEVEL_ERROR, "cannot listen on "
			    "http://%s%s%s:%u/: %s", v6 ? "[" : "", w->addr, v6 ? "]" : "",
			    w->port, net_listen_why(w->addr, errno));
			return -1;
		}
		if (listener_add(s, fd, name, NULL, true, false) == -1)
			return -1;
	}
	/* --tls, then --web-tls: line members, then pages, over TLS. */
	for (i = 0; i < cfg->ntls + cfg->nweb_tls; i++) {
		bool web = i >= cfg->ntls;
		const struct server_web *w = web ? &cfg->web_tls[i - cfg->ntls] :
		    &cfg->tls[i];
		bool v6 = strchr(w->addr, ':') != NULL;

		fd = net_listen_tcp(w->addr, w->port, name, sizeof name);
		if (fd == -1) {
			log_bare(LOG_LEVEL_ERROR, "cannot listen on %s%s%s%s:"
			    "%u%s: %s", web ? "https://" : "tls:",
			    v6 ? "[" : "", w->addr, v6 ? "]" : "", w->port,
			    web ? "/" : "", net_listen_why(w->addr, errno));
			return -1;
		}
		if (listener_add(s, fd, name, NULL, web, true) == -1)
			return -1;
	}
	return 0;
}

void
listener_close_all(struct server *s)
{
	size_t i;

	for (i = 0; i < s->nlisteners; i++) {
		loop_del(&s->loop, s->listeners[i].fd, LOOP_READ);
		close(s->listeners[i].fd);
		/* Only if the path still holds the socket we made. */
		if (s->listeners[i].is_unix)
			(void)net_unlink_unix(s->listeners[i].name +
			    strlen("unix:"), &s->listeners[i].file);
	}
	s->nlisteners = 0;
	s->accept_ready = false;
	if (s->reserve != -1)
		close(s->reserve);
	s->reserve = -1;
}

void
listener_init(struct server *s)
{
	s->pause_timer = -1;
	s->reserve = open("/dev/null", O_RDONLY | O_CLOEXEC);
}

/*
 * With poll or epoll nothing bounds an fd but RLIMIT_NOFILE: take all
 * the hard limit allows, and say so. Returns the soft limit now in force
 * (RLIM_INFINITY when there is none).
 */
static rlim_t
listener_raise_nofile(void)
{
	struct rlimit rl;
	rlim_t was;

	if (getrlimit(RLIMIT_NOFILE, &rl) == -1)
		return RLIM_INFINITY;
	if (rl.rlim_cur == rl.rlim_max)
		return rl.rlim_cur;
	was = rl.rlim_cur;
	rl.rlim_cur = rl.rlim_max;
	if (setrlimit(RLIMIT_NOFILE, &rl) == -1) {
		log_warn("RLIMIT_NOFILE stays at %ld: cannot raise it to the "
		    "hard limit %ld: %s", (long)was, (long)rl.rlim_max,
		    strerror(errno));
		return was;
	}
	log_info("RLIMIT_NOFILE raised from %ld to the hard limit %ld",
	    (long)was, (long)rl.rlim_max);
	return rl.rlim_cur;
}

/*
 * Each client needs one fd, which the process may open (below
 * RLIMIT_NOFILE) and, with select, select() must be able to watch (below
 * FD_SETSIZE); the server's own fds come off the top.
 */
void
listener_client_cap(struct server *s)
{
	struct rlimit rl = { RLIM_INFINITY, RLIM_INFINITY };
	size_t own = SERVER_OWN_FDS + s->nlisteners, cap = s->cfg->max_clients;
	size_t fdcap = SIZE_MAX;
	bool sel = loop_fd_limit(&s->loop) == FD_SETSIZE;
	const char *name = s->loop.be->name;

	if (s->cfg->redis != NULL)
		own += SERVER_REDIS_FDS;
	if (sel) {
		fdcap = FD_SETSIZE - own;
		(void)getrlimit(RLIMIT_NOFILE, &rl);
	} else
		rl.rlim_cur = listener_raise_nofile();
	if (rl.rlim_cur != RLIM_INFINITY && (!sel || rl.rlim_cur < FD_SETSIZE))
		fdcap = rl.rlim_cur > own ? (size_t)rl.rlim_cur - own : 1;
	if (cap > fdcap) {
		if (sel)
			log_warn("--max-clients %zu lowered to %zu by the fd "
			    "limits (FD_SETSIZE %d, RLIMIT_NOFILE %ld)", cap,
			    fdcap, FD_SETSIZE, (long)rl.rlim_cur);
		else
			log_warn("--max-clients %zu lowered to %zu by the fd "
			    "limit (RLIMIT_NOFILE %ld)", cap, fdcap,
			    (long)rl.rlim_cur);
		cap = fdcap;
	}
	if (sel)
		log_info("at most %zu clients (FD_SETSIZE %d, RLIMIT_NOFILE "
		    "%ld)", cap, FD_SETSIZE, (long)rl.rlim_cur);
	else
		log_info("at most %zu clients (%s, RLIMIT_NOFILE %ld)", cap,
		    name, (long)rl.rlim_cur);
	s->max_clients = cap;
}
