/* server: listeners, connections and the loop that ties them to the room. */
#include "server.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include "buf.h"
#include "client.h"
#include "commands.h"
#include "line.h"
#include "log.h"
#include "loop.h"
#include "net.h"
#include "proto.h"
#include "room.h"
#include "text.h"

#define SERVER_READ_MAX		16384	/* bytes read per client per pass */
#define SERVER_ACCEPT_MAX	64	/* connections accepted per pass */
#define SERVER_PAUSE_MS		100	/* accept pause when out of fds */
#define SERVER_DRAIN_MS		2000	/* how long shutdown flushes */
#define SERVER_TRIM_MS		1000	/* how often idle buffers are freed */
/* Fds the server keeps for itself: stdio, the self-pipe, the reserve. */
#define SERVER_OWN_FDS		6

struct listener {
	int		 fd;		/* listening socket */
	bool		 is_unix;	/* remove path at exit */
	char		 name[NET_ADDRSTRLEN]; /* as in "listening on" */
};

struct server {
	const struct server_config *cfg; /* options */
	struct loop	 loop;		/* the one select() loop */
	struct room	 room;		/* everyone connected */
	struct listener	 listeners[SERVER_MAX_LISTENERS + 1]; /* + unix */
	size_t		 nlisteners;	/* in use */
	struct client	*clients[FD_SETSIZE]; /* by fd: bounded by loop_add */
	size_t		 nclients;	/* connections open, leaving or not */
	int		 maxfd;		/* no client fd is above this */
	size_t		 max_clients;	/* option capped by the fd limits */
	unsigned	 next_id;	/* for the next connection's log name */
	int		 sigpipe[2];	/* signal handler -> loop */
	int		 reserve;	/* spare fd given up to refuse at EMFILE */
	bool		 paused;	/* listeners off until fds free up */
	int		 pause_timer;	/* timer that ends the pause, or -1 */
	bool		 stopping;	/* shutting down: only flushing now */
	bool		 reflush;	/* a flush queued output for others */
	int64_t		 deadline;	/* when flushing gives up */
	char		*clean;		/* a line after text_clean() */
	char		 rbuf[SERVER_READ_MAX]; /* one read() */
};

/*
 * The signal handler's only link to the server: the write end of the
 * self-pipe. A signal handler cannot take an argument, hence the static.
 */
static volatile sig_atomic_t server_signal_fd = -1;

static void	server_accept(struct loop *, int, int, void *);
static void	server_client_write(struct loop *, int, int, void *);

/* ---------------------------------------------------------------------
 * Connections
 * ------------------------------------------------------------------- */

/* Room log lines go to the log at info level. */
static void
server_room_log(void *arg, const char *text)
{
	(void)arg;
	log_info("%s", text);
}

/*
 * Write as much of c's queue as the socket takes, in one send(). Write
 * interest is registered only while output is left over. On an error the
 * client leaves the room.
 */
static void
server_flush(struct server *s, struct client *c)
{
	ssize_t n;

	if (buf_used(&c->out) == 0)
		return;
	n = send(c->fd, buf_peek(&c->out), buf_used(&c->out),
	    MSG_NOSIGNAL | MSG_DONTWAIT);
	if (n == -1) {
		if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) {
			(void)loop_add(&s->loop, c->fd, LOOP_WRITE,
			    server_client_write, s);
			return;
		}
		log_debug("client %u: write: %s", c->id, strerror(errno));
		buf_free(&c->out);
		loop_del(&s->loop, c->fd, LOOP_WRITE);
		room_leave(&s->room, c, PROTO_REASON_ERROR, "write error");
		room_settle(&s->room);
		/* The others now have a notice queued: flush them again. */
		s->reflush = true;
		return;
	}
	buf_drain(&c->out, (size_t)n);
	if (buf_used(&c->out) == 0)
		loop_del(&s->loop, c->fd, LOOP_WRITE);
	else
		(void)loop_add(&s->loop, c->fd, LOOP_WRITE,
		    server_client_write, s);
}

/* Resume accepting, after a pause for lack of fds. */
static void
server_resume(struct server *s)
{
	size_t i;

	if (!s->paused || s->stopping)
		return;
	s->paused = false;
	loop_timer_del(&s->loop, s->pause_timer);
	s->pause_timer = -1;
	for (i = 0; i < s->nlisteners; i++)
		(void)loop_add(&s->loop, s->listeners[i].fd, LOOP_READ,
		    server_accept, s);
}

/*
 * The one way a connection ends: a last try at sending what is queued
 * (unless it was too slow to deserve it), then close and free. Only called
 * between loop passes, for clients the room has flagged CLIENT_CLOSING.
 */
static void
server_client_close(struct server *s, struct client *c)
{
	int fd = c->fd;

	if (!(c->flags & CLIENT_SLOW) && buf_used(&c->out) > 0)
		(void)send(fd, buf_peek(&c->out), buf_used(&c->out),
		    MSG_NOSIGNAL | MSG_DONTWAIT);
	loop_del(&s->loop, fd, LOOP_READ | LOOP_WRITE);
	close(fd);
	s->clients[fd] = NULL;
	s->nclients--;
	log_debug("client %u closed (%s)", c->id,
	    c->reason != NULL ? c->reason : "closed");
	client_free(c);
	server_resume(s);
}

/* Per-line context for the framer callback. */
struct server_input {
	struct server	*s;	/* the server */
	struct client	*c;	/* whose line it is */
};

/* One framed line from a client: clean it and act on it. */
static int
server_line(void *arg, enum line_event ev, const char *text, size_t len)
{
	struct server_input *in = arg;
	struct server *s = in->s;
	struct client *c = in->c;
	size_t n;

	if (ev == LINE_TOOLONG) {
		room_toolong(&s->room, c, s->cfg->max_line);
		return 0;
	}
	n = text_clean(text, len, s->clean);
	if (text_is_blank(s->clean, n))
		return 0;
	s->clean[n] = '\0';
	commands_input(&s->room, c, s->clean, n);
	/* After /quit (or a slow exit) nothing more of its input counts. */
	return (c->flags & CLIENT_CLOSING) ? 1 : 0;
}

/*
 * A client is readable: one bounded read(), so that a busy client cannot
 * starve the others, then telnet stripping, framing, and each line to the
 * room. EOF and errors make the client leave.
 */
static void
server_client_read(struct loop *l, int fd, int mask, void *arg)
{
	struct server *s = arg;
	struct client *c = s->clients[fd];
	struct server_input in;
	ssize_t n;
	int rc;

	(void)l;
	(void)mask;
	if (c == NULL || (c->flags & CLIENT_CLOSING))
		return;
	n = read(fd, s->rbuf, sizeof s->rbuf);
	in.s = s;
	in.c = c;
	if (n > 0) {
		c->last_input = loop_now_ms();
		n = (ssize_t)telnet_strip(&c->telnet, s->rbuf, (size_t)n);
		rc = line_feed(&c->line, s->rbuf, (size_t)n, server_line, &in);
		if (rc == -1 && !(c->flags & CLIENT_CLOSING))
			room_leave(&s->room, c, PROTO_REASON_ERROR,
			    "out of memory");
	} else if (n == 0) {
		/* A clean EOF: the unfinished last line still counts. */
		(void)line_finish(&c->line, server_line, &in);
		room_leave(&s->room, c, NULL, "eof");
	} else {
		if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)
			return;
		log_debug("client %u: read: %s", c->id, strerror(errno));
		room_leave(&s->room, c, PROTO_REASON_ERROR, "read error");
	}
	room_settle(&s->room);
}

/* A client with output left over can take more. */
static void
server_client_write(struct loop *l, int fd, int mask, void *arg)
{
	struct server *s = arg;

	(void)l;
	(void)mask;
	if (s->clients[fd] != NULL)
		server_flush(s, s->clients[fd]);
}

/* Tell a connection we cannot take that we are full, and close it. */
static void
server_refuse(int fd, const char *peer, const char *why)
{
	const char *full;
	size_t n;

	full = room_full_notice(&n);
	(void)send(fd, full, n, MSG_NOSIGNAL | MSG_DONTWAIT);
	close(fd);
	log_warn("refused %s: %s", peer, why);
}

/*
 * Free the buffers of clients that have nothing queued. An active client
 * keeps its storage between passes, so the hot path never reallocates;
 * an idle one costs no heap beyond its struct within SERVER_TRIM_MS.
 */
static int64_t
server_trim(struct loop *l, void *arg)
{
	struct server *s = arg;
	struct client *c;
	int fd;

	(void)l;
	for (fd = 0; fd <= s->maxfd; fd++) {
		if ((c = s->clients[fd]) == NULL)
			continue;
		buf_shrink(&c->out);
		line_shrink(&c->line);
	}
	return SERVER_TRIM_MS;
}

/* Unpause accepting after SERVER_PAUSE_MS, in case no client left. */
static int64_t
server_pause_check(struct loop *l, void *arg)
{
	struct server *s = arg;

	(void)l;
	s->pause_timer = -1;	/* this firing is its last */
	server_resume(s);
	return -1;
}

/*
 * Out of fds at accept(). Give up the reserve fd to take the waiting
 * connection and tell it we are full, so it is not left hanging; if even
 * that fails, stop watching the listeners for a while rather than spin on
 * a backlog select() will keep reporting.
 */
static void
server_accept_starved(struct server *s, int lfd)
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
			server_refuse(fd, name, "out of file descriptors");
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
	    server_pause_check, s);
}

/*
 * A listener is readable: accept a bounded batch of connections, refusing
 * those past the client cap or beyond FD_SETSIZE, and let the rest join.
 */
static void
server_accept(struct loop *l, int lfd, int mask, void *arg)
{
	struct server *s = arg;
	struct client *c;
	union net_addr peer;
	char name[NET_ADDRSTRLEN];
	int fd, i;

	(void)l;
	(void)mask;
	for (i = 0; i < SERVER_ACCEPT_MAX && !s->paused; i++) {
		if ((fd = net_accept(lfd, &peer)) == -1) {
			if (errno == EINTR || errno == ECONNABORTED ||
			    errno == EPROTO)
				continue;
			if (errno == EMFILE || errno == ENFILE ||
			    errno == ENOBUFS || errno == ENOMEM)
				server_accept_starved(s, lfd);
			else if (errno != EAGAIN && errno != EWOULDBLOCK)
				log_warn("accept: %s", strerror(errno));
			return;
		}
		net_addr_format(&peer, name, sizeof name);
		if (s->nclients >= s->max_clients) {
			server_refuse(fd, name, "max number of clients reached");
			continue;
		}
		if (fd >= FD_SETSIZE) {
			server_refuse(fd, name, "fd beyond FD_SETSIZE");
			continue;
		}
		if ((c = client_new(fd, ++s->next_id, name,
		    s->cfg->max_line)) == NULL) {
			server_refuse(fd, name, "out of memory");
			continue;
		}
		if (loop_add(&s->loop, fd, LOOP_READ, server_client_read,
		    s) == -1) {
			client_free(c);
			server_refuse(fd, name, strerror(errno));
			continue;
		}
		s->clients[fd] = c;
		s->nclients++;
		if (fd > s->maxfd)
			s->maxfd = fd;
		c->last_input = loop_now_ms();
		room_join(&s->room, c);
		room_settle(&s->room);
	}
}

/* ---------------------------------------------------------------------
 * The loop's hooks: flushing, idle clients, signals
 * ------------------------------------------------------------------- */

/*
 * Before select() sleeps: write each client's output in one send() (the
 * whole pass's worth, coalesced in its queue), and close the clients that
 * left during the pass.
 */
static void
server_before_sleep(struct loop *l, void *arg)
{
	struct server *s = arg;
	struct client *c;
	int fd, maxfd = s->maxfd;

	do {
		s->reflush = false;
		for (fd = 0; fd <= maxfd; fd++) {
			if ((c = s->clients[fd]) == NULL)
				continue;
			if (!(c->flags & CLIENT_CLOSING) &&
			    buf_used(&c->out) > 0 &&
			    !loop_has(l, fd, LOOP_WRITE))
				server_flush(s, c);
		}
	} while (s->reflush);
	/* Flushing may have made clients leave: close in a second sweep. */
	for (fd = 0; fd <= maxfd; fd++)
		if ((c = s->clients[fd]) != NULL && (c->flags & CLIENT_CLOSING))
			server_client_close(s, c);
}

/* Drop the members that sent nothing for idle_timeout seconds. */
static int64_t
server_idle_check(struct loop *l, void *arg)
{
	struct server *s = arg;
	int64_t now = loop_now_ms(), limit, next;
	struct client *c, *cnext;

	limit = (int64_t)s->cfg->idle_timeout * 1000;
	next = limit;
	for (c = s->room.head; c != NULL; c = cnext) {
		cnext = c->next;
		if (now - c->last_input >= limit)
			room_idle(&s->room, c, s->cfg->idle_timeout);
		else if (c->last_input + limit - now < next)
			next = c->last_input + limit - now;
	}
	room_settle(&s->room);
	(void)l;
	return next > 10 ? next : 10;
}


/* Stop accepting, tell everyone, and flush for at most SERVER_DRAIN_MS. */
static void
server_stop(struct server *s)
{
	size_t i;
	int fd;

	if (s->stopping)
		return;
	log_info("shutting down");
	s->stopping = true;
	s->deadline = loop_now_ms() + SERVER_DRAIN_MS;
	for (i = 0; i < s->nlisteners; i++) {
		loop_del(&s->loop, s->listeners[i].fd, LOOP_READ);
		close(s->listeners[i].fd);
		if (s->listeners[i].is_unix)
			unlink(s->listeners[i].name + strlen("unix:"));
	}
	s->nlisteners = 0;
	for (fd = 0; fd <= s->maxfd; fd++)
		if (s->clients[fd] != NULL)
			loop_del(&s->loop, fd, LOOP_READ);
	room_broadcastf(&s->room, NULL, PROTO_SHUTDOWN);
	room_settle(&s->room);
}

/* The handler itself: one byte down the self-pipe, nothing else. */
static void
server_signal(int sig)
{
	unsigned char b = (unsigned char)sig;
	int saved = errno;

	if (server_signal_fd != -1)
		(void)write(server_signal_fd, &b, 1);
	errno = saved;
}

/* Signals arrive here through the self-pipe, outside the handler. */
static void
server_signal_read(struct loop *l, int fd, int mask, void *arg)
{
	unsigned char b[64];
	ssize_t n, i;

	(void)l;
	(void)mask;
	while ((n = read(fd, b, sizeof b)) > 0)
		for (i = 0; i < n; i++)
			if (b[i] == SIGINT || b[i] == SIGTERM)
				server_stop(arg);
}

/* Ignore SIGPIPE; route SIGINT and SIGTERM through the self-pipe. */
static int
server_signals(struct server *s)
{
	struct sigaction sa;

	if (pipe(s->sigpipe) == -1 || net_nonblock(s->sigpipe[0]) == -1 ||
	    net_nonblock(s->sigpipe[1]) == -1)
		return -1;
	server_signal_fd = s->sigpipe[1];
	memset(&sa, 0, sizeof sa);
	sigemptyset(&sa.sa_mask);
	sa.sa_handler = SIG_IGN;
	sigaction(SIGPIPE, &sa, NULL);
	sa.sa_handler = server_signal;
	sa.sa_flags = SA_RESTART;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	return loop_add(&s->loop, s->sigpipe[0], LOOP_READ,
	    server_signal_read, s);
}

/* ---------------------------------------------------------------------
 * Start-up and the main loop
 * ------------------------------------------------------------------- */

/* Add a listening socket and announce it, as scripts and tests expect. */
static int
server_add_listener(struct server *s, int fd, const char *name, bool is_unix)
{
	struct listener *li = &s->listeners[s->nlisteners];

	if (loop_add(&s->loop, fd, LOOP_READ, server_accept, s) == -1) {
		fprintf(stderr, "lobbyd: cannot listen on %s: %s\n", name,
		    strerror(errno));
		close(fd);
		return -1;
	}
	li->fd = fd;
	li->is_unix = is_unix;
	snprintf(li->name, sizeof li->name, "%s", name);
	s->nlisteners++;
	return 0;
}

/* Open every listener the configuration asks for. */
static int
server_listen(struct server *s)
{
	static const char *const loopback[] = { "127.0.0.1", "::1" };
	const struct server_config *cfg = s->cfg;
	const char *const *binds = cfg->nbinds ? cfg->binds : loopback;
	size_t n = cfg->nbinds ? cfg->nbinds : 2, i;
	char name[NET_ADDRSTRLEN];
	int fd;

	for (i = 0; i < cfg->nfds; i++) {
		(void)net_nonblock(cfg->fds[i]);
		net_sock_name(cfg->fds[i], name, sizeof name);
		if (server_add_listener(s, cfg->fds[i], name, false) == -1)
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
			fprintf(stderr, "lobbyd: cannot listen on %s%s%s:%u: "
			    "%s\n", v6 ? "[" : "", binds[i], v6 ? "]" : "",
			    cfg->port, errno == EINVAL ? "not a numeric "
			    "IPv4 or IPv6 address" : strerror(errno));
			return -1;
		}
		if (server_add_listener(s, fd, name, false) == -1)
			return -1;
	}
	if (cfg->unix_path != NULL) {
		snprintf(name, sizeof name, "unix:%s", cfg->unix_path);
		if ((fd = net_listen_unix(cfg->unix_path)) == -1) {
			fprintf(stderr, "lobbyd: cannot listen on %s: %s\n",
			    name, errno == EADDRINUSE ? "a server is "
			    "already answering there" : errno == EEXIST ?
			    "the path exists and is not a socket" :
			    strerror(errno));
			return -1;
		}
		if (server_add_listener(s, fd, name, true) == -1) {
			unlink(cfg->unix_path);
			return -1;
		}
	}
	return 0;
}

/*
 * How many clients the fds allow: each needs one fd, which select() must
 * be able to watch (below FD_SETSIZE) and the process may open (below
 * RLIMIT_NOFILE); the server's own fds come off the top.
 */
static size_t
server_client_cap(struct server *s)
{
	struct rlimit rl = { RLIM_INFINITY, RLIM_INFINITY };
	size_t own = SERVER_OWN_FDS + s->nlisteners, cap = s->cfg->max_clients;
	size_t fdcap = FD_SETSIZE - own;

	(void)getrlimit(RLIMIT_NOFILE, &rl);
	if (rl.rlim_cur != RLIM_INFINITY && rl.rlim_cur < FD_SETSIZE)
		fdcap = rl.rlim_cur > own ? (size_t)rl.rlim_cur - own : 1;
	if (cap > fdcap) {
		log_warn("--max-clients %zu lowered to %zu by the fd limits "
		    "(FD_SETSIZE %d, RLIMIT_NOFILE %ld)", cap, fdcap,
		    FD_SETSIZE, (long)rl.rlim_cur);
		cap = fdcap;
	}
	log_info("at most %zu clients (FD_SETSIZE %d, RLIMIT_NOFILE %ld)",
	    cap, FD_SETSIZE, (long)rl.rlim_cur);
	return cap;
}

/* Whether any client still has output to send. */
static bool
server_pending(const struct server *s)
{
	int fd;

	for (fd = 0; fd <= s->maxfd; fd++)
		if (s->clients[fd] != NULL && buf_used(&s->clients[fd]->out))
			return true;
	return false;
}

/* Close everything and release memory (clients left, listeners, pipe). */
static void
server_free(struct server *s)
{
	size_t i;
	int fd;

	for (fd = 0; fd < FD_SETSIZE; fd++) {
		if (s->clients[fd] != NULL) {
			close(fd);
			client_free(s->clients[fd]);
		}
	}
	for (i = 0; i < s->nlisteners; i++) {
		close(s->listeners[i].fd);
		if (s->listeners[i].is_unix)
			unlink(s->listeners[i].name + strlen("unix:"));
	}
	server_signal_fd = -1;
	if (s->sigpipe[0] != -1) {
		close(s->sigpipe[0]);
		close(s->sigpipe[1]);
	}
	if (s->reserve != -1)
		close(s->reserve);
	room_free(&s->room);
	free(s->clean);
	free(s);
}

int
server_run(const struct server_config *cfg)
{
	struct server *s;
	size_t i;
	int rc = 0;

	if ((s = calloc(1, sizeof *s)) == NULL ||
	    (s->clean = malloc(TEXT_CLEAN_MAX(cfg->max_line) + 1)) == NULL) {
		fprintf(stderr, "lobbyd: out of memory\n");
		free(s);
		return 1;
	}
	s->cfg = cfg;
	s->sigpipe[0] = s->sigpipe[1] = -1;
	s->pause_timer = -1;
	loop_init(&s->loop);
	s->loop.before_sleep = server_before_sleep;
	s->loop.hook_arg = s;
	room_init(&s->room, cfg->sendq);
	s->room.log = server_room_log;
	s->reserve = open("/dev/null", O_RDONLY | O_CLOEXEC);
	if (server_signals(s) == -1) {
		fprintf(stderr, "lobbyd: cannot set up signals: %s\n",
		    strerror(errno));
		server_free(s);
		return 1;
	}
	if (server_listen(s) == -1) {
		server_free(s);
		return 1;
	}
	s->max_clients = server_client_cap(s);
	(void)loop_timer_add(&s->loop, SERVER_TRIM_MS, server_trim, s);
	if (cfg->idle_timeout > 0)
		(void)loop_timer_add(&s->loop,
		    (int64_t)cfg->idle_timeout * 1000, server_idle_check, s);
	/* Always printed, even with -q: scripts find the server by it. */
	for (i = 0; i < s->nlisteners; i++)
		fprintf(stderr, "lobbyd: listening on %s\n",
		    s->listeners[i].name);
	fflush(stderr);

	for (;;) {
		int64_t wait = -1;

		if (s->stopping) {
			/* Flush now: if that empties every queue, we are done. */
			server_before_sleep(&s->loop, s);
			wait = s->deadline - loop_now_ms();
			if (!server_pending(s) || wait <= 0)
				break;
		}
		if (loop_once(&s->loop, (int)wait) == -1) {
			log_error("select: %s", strerror(errno));
			rc = 1;
			break;
		}
	}
	if (s->stopping && server_pending(s))
		log_warn("shutdown: gave up flushing after %d ms",
		    SERVER_DRAIN_MS);
	log_info("exiting");
	server_free(s);
	return rc;
}
