/* server-int: struct server and what server.c, listener.c and conn.c share. */
#ifndef LOBBY_SERVER_INT_H
#define LOBBY_SERVER_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <sys/uio.h>

#include "accounts.h"
#include "client.h"
#include "cluster.h"
#include "loop.h"
#include "net.h"
#include "peers.h"
#include "room.h"
#include "server.h"
#include "stats.h"
#include "transport.h"

#define SERVER_READ_MAX		65536	/* bytes read per client per pass */
#define SERVER_ACCEPT_MAX	64	/* connections accepted per pass */
#define SERVER_PAUSE_MS		100	/* accept pause when out of fds */
#define SERVER_DRAIN_MS		2000	/* how long shutdown flushes */
#define SERVER_TRIM_MS		1000	/* how often idle buffers are freed */
#define SERVER_LINGER_MS	2000	/* input dropped after a socket's last
					   byte, before it is closed: a
					   member's (linger.c), an HTTP
					   answer's (web.c) */
#define SERVER_CLOCK_MS		1000	/* the room's clock is set at least
					   this often, and on the minute */
/*
 * Notices (joins, leaves, nick changes) to a big room are batched: its
 * members who have nothing else to write are woken for them at most once
 * per SERVER_NOTICE_US microseconds per member of the room (10,000
 * members: every 100 ms; under 100 members: at once), and at most
 * SERVER_NOTICE_MAX_MS apart. A crowd arriving then costs each member
 * one write per batch instead of one per arrival: the writes for n
 * joiners no longer grow as n squared. Chat and private lines are
 * never held back, and take the held notices with them, in order.
 */
#define SERVER_NOTICE_US	50
#define SERVER_NOTICE_MAX_MS	100
/*
 * iovecs per writev() (IOV_MAX on Linux): a member far behind is written
 * as much as its socket takes in one call, not a few blocks per pass.
 */
#define SERVER_IOV		1024
/* Fds the server keeps for itself: stdio, the self-pipe, the reserve. */
#define SERVER_OWN_FDS		6
#define SERVER_REDIS_FDS	2	/* and in a cluster, two to Redis */
#define SERVER_REDIS_START_MS	3000	/* bound on reaching Redis at start */

struct credis;
struct tls;
struct acctwork;

#define SERVER_ACCT_SYNC_MS	2000	/* with Redis: how often the bans and
					   nicks other instances changed are
					   read */

/* One listening socket. */
struct listener {
	int		 fd;		/* listening socket */
	bool		 is_unix;	/* remove path at exit (if still ours) */
	bool		 ready;		/* readable: accept once the pass ends */
	bool		 web;		/* --web: its connections speak HTTP */
	bool		 tls;		/* --tls: they shake hands first */
	struct net_file	 file;		/* the socket file -u made */
	char		 name[NET_ADDRSTRLEN + 16]; /* as in "listening on" */
};

/*
 * The whole server: one per process, made by server_run(). Each file owns
 * the fields under its name: it alone sets them up, writes and frees them;
 * the others only read them, or change them through the owner's
 * functions. Two exceptions, said where they are: the counters (stats),
 * which each file adds its own events to, and the read buffer, which
 * whoever reads a socket fills and consumes before it returns.
 */
struct server {
	/* server.c: the parts, made and freed by server.c */
	const struct server_config *cfg; /* options, read-only */
	struct loop	 loop;		/* the one event loop (loop.h) */
	struct rooms	 rooms;		/* the rooms, their members and their
					   output: written through room.h
					   (server.c sets their hooks); a
					   member's is c->room */
	struct cluster	 cluster;	/* with --redis: the shared room (the
					   landing room) */
	struct credis	*credis;	/* with --redis: its Redis side */
	struct accounts	 accounts;	/* accounts and moderation: the room
					   reaches them through room.accounts */
	struct acctwork	*acctwork;	/* the account worker, or NULL */
	int		 acct_timer;	/* ends bans and mutes on time, or -1 */
	struct peers	 peers;		/* connections per address, when
					   --max-per-ip is on: counted by conn.c
					   (peers_get/put), read by the
					   listener kinds */
	/*
	 * The counters: server.c sets them up and reports them; each file
	 * counts the events it sees (conn.c: accepted, bytes, lines, drops,
	 * flood_held; listener.c: refused_full, refused_per_ip; web.c:
	 * refused_per_ip), by stats.h or by adding to the field.
	 */
	struct stats	 stats;
	/* One read() at a time: conn.c's and web.c's, consumed in the call. */
	char		 rbuf[SERVER_READ_MAX];

	/* listener.c: taking connections in, or refusing them */
	struct listener	 listeners[SERVER_MAX_LISTENERS + 1]; /* + unix */
	size_t		 nlisteners;	/* in use */
	size_t		 max_clients;	/* option capped by the fd limits */
	int		 reserve;	/* spare fd given up to refuse at EMFILE */
	bool		 accept_ready;	/* some listener is ready */
	bool		 paused;	/* listeners off until fds free up */
	int		 pause_timer;	/* timer that ends the pause, or -1 */

	/* conn.c: the open connections */
	struct client	*conns;		/* all of them, newest first */
	size_t		 nclients;	/* how many, leaving or not */
	unsigned	 next_id;	/* for the next connection's log name:
					   conn_new_id() gives them out */
	struct client	*pending;	/* output from outside the room log */
	struct client	*closing;	/* left the room: close after the pass */
	struct client	*held;		/* over --flood, not read for now */
	struct client	*awaiting;	/* CLIENT_PAUSED: not read until an
					   answer comes */
	int		 flood_timer;	/* releases held lines, or -1 */
	int		 notice_timer;	/* wakes members for batched notices,
					   or -1 */
	int64_t		 now;		/* ltime_mono_ms() of the read going on */
	char		*clean;		/* a line after text_clean() */
	struct iovec	 iov[SERVER_IOV]; /* one writev() */

	/* linger.c: members' sockets closing gracefully, no members now */
	struct lingering	*linger_head;	/* the oldest */
	struct lingering	*linger_tail;	/* the newest */
	size_t		 nlinger;	/* how many */
	int		 linger_timer;	/* closes them on time, or -1 */

	/* web.c: HTTP connections, before an answer or an upgrade */
	struct web_conn	*webs;		/* all of them, newest first */
	size_t		 nwebs;		/* how many */
	uint64_t	 web_requests;	/* HTTP requests answered */

	/* tls.c: the --tls side, NULL without --tls */
	struct tls	*tls;		/* certificate, handshakes, pending */

	/* server.c: running and stopping */
	int		 sigpipe[2];	/* signal handler -> loop */
	bool		 stopping;	/* shutting down: only flushing now */
	int64_t		 deadline;	/* when flushing gives up */
};

/* ---------------------------------------------------------------------
 * listener.c
 * ------------------------------------------------------------------- */

/* Before anything else of listener.c: no pause, the reserve fd. */
void	listener_init(struct server *s);

/*
 * Open every listener the configuration asks for and watch them. Returns
 * 0, or -1 after telling stderr why (the listeners opened stay in s, for
 * listener_close_all()).
 */
int	listener_open_all(struct server *s);

/*
 * Set s->max_clients to how many clients the fds allow, logged: the
 * option, lowered so that every client fd fits below RLIMIT_NOFILE and,
 * with select, below FD_SETSIZE. With poll or epoll, the soft
 * RLIMIT_NOFILE is first raised to the hard one (logged). Call once the
 * listeners are open.
 */
void	listener_client_cap(struct server *s);

/* Accept again after a pause for lack of fds, unless stopping. */
void	listener_resume(struct server *s);

/*
 * Accept on the listeners the loop found readable in this pass. Called
 * after the pass, once the members who left in it are closed: their
 * seats and fds are free for newcomers, who are refused only when the
 * room is really full. Returns whether anyone was accepted or refused.
 */
bool	listener_accept_ready(struct server *s);

/* Close the listeners (removing Unix socket paths) and the reserve fd;
 * accept no more. */
void	listener_close_all(struct server *s);

/* ---------------------------------------------------------------------
 * conn.c
 * ------------------------------------------------------------------- */

/* Set up conn.c's part of s. Returns 0, or -1 with errno ENOMEM. */
int	conn_init(struct server *s);

/* The number of the next connection, member or HTTP, for the log. */
unsigned conn_new_id(struct server *s);

/*
 * Whether members are at --max-clients: the one admission check for
 * every kind of member (TCP, Unix, TLS, WebSocket), made as a connection
 * is about to become one. Connections that are not members yet (HTTP,
 * TLS handshakes) never count here.
 */
bool	conn_full(const struct server *s);

/*
 * Make an accepted socket fd a client from peer (named addr in the log),
 * whose bytes move through transport tp with its state (transport.h):
 * watch it, join it to the room, count it (and, with --max-per-ip, its
 * address). Returns the client, or NULL with errno (ENOMEM, ERANGE, or
 * EUSERS when conn_full()) when it could not: the caller still owns fd
 * and state then, and tells the newcomer why.
 */
struct client	*conn_open(struct server *s, int fd,
		    const union net_addr *peer, const char *addr,
		    const struct transport *tp, void *state);

/*
 * One line of text from c (framed, telnet-free, not yet cleaned), its
 * turn come: clean it and act on it. Returns 0 to go on reading c's
 * input, 1 to stop (c is leaving).
 */
int	conn_text(struct client *c, const char *text, size_t len);

/*
 * A transport's framer has one line from member c (arg): taken now, or
 * under --flood held in order until a token comes. A line_fn (line.h).
 * Returns 0 to go on, 1 to stop (c is leaving), -1 out of memory.
 */
int	conn_line(void *arg, enum line_event ev, const char *text, size_t len);

/*
 * A line transport's n bytes from member c, telnet commands stripped:
 * framed by c->line, each line to conn_line(), but runs of plain chat
 * lines (commands_chat_run()) at once. Returns as line_feed() does.
 */
int	conn_lines(struct client *c, const char *p, size_t n);

/* The unfinished last line at a clean EOF: as conn_line(). A line_fn. */
int	conn_last_line(void *arg, enum line_event ev, const char *text,
	    size_t len);

/*
 * Member c's input ends (a WebSocket close frame, or a frame that breaks
 * the protocol): it leaves as room_leave() says, at once, or after the
 * lines --flood holds, as a line member's /quit would: what was read
 * before the end is never lost. reason and why must outlive c. Returns 1
 * when it has left, 0 when it will.
 */
int	conn_end(struct client *c, const char *reason, const char *why);

/*
 * Bytes read from c (p is the caller's, changed in place): through its
 * transport's framer to lines, and a hold when --flood says they wait.
 */
void	conn_input(struct client *c, char *p, size_t n);

/*
 * Read c now as if select() had found its socket readable: a transport
 * that holds bytes select() cannot see (TLS) calls it for them.
 */
void	conn_readable(struct client *c);

/*
 * Write what c has to receive, straight from the room log's blocks, in
 * one writev() (its own lines left out, its private lines in place),
 * framed by its transport beside the log's bytes. Write interest is
 * registered only while output is left over, and c is then parked off the
 * log's pending list. On an error c leaves the room
 * (and is closed after the pass). The one place where a connection's
 * output goes to its socket.
 */
void	conn_flush(struct client *c);

/*
 * The before-sleep pass over connections: settle the room (slow members
 * leave: the one place this happens), write out every member on the room
 * log's pending list (only those: a quiet room's members are not
 * visited), again until nothing new is pending, then close those that
 * left.
 */
void	conn_flush_all(struct server *s);

/* Whether any connection still has output to write (while draining). */
bool	conn_unsent(const struct server *s);

/* Stop reading from every connection: shutting down. */
void	conn_stop_reading(struct server *s);

/*
 * c has output from outside the room log (its transport's own: a
 * WebSocket pong): flush it before the loop sleeps. (arg is the server.)
 */
void	conn_on_output(void *arg, struct client *c);

/* Room hook (arg is the server): c left the room, close it after the pass. */
void	conn_on_leave(void *arg, struct client *c);

/* Timer (arg is the server): drop the members idle for idle_timeout. */
int64_t	conn_idle_check(struct loop *l, void *arg);

/* Timer (arg is the server): free the buffers of idle connections. */
int64_t	conn_trim(struct loop *l, void *arg);

/*
 * Shutting down, the drain over: each member's socket gets its last write
 * and goes to linger.c as at a leave (no room is told: the shutdown
 * notice was the last line); the members stay, without sockets, for
 * conn_free_all(). Nothing of theirs may run after this.
 */
void	conn_let_go(struct server *s);

/* Close and free every connection still open, and conn.c's part of s
 * (at exit). */
void	conn_free_all(struct server *s);

/* ---------------------------------------------------------------------
 * web.c
 * ------------------------------------------------------------------- */

/*
 * Take an accepted connection on a --web listener: read its request head
 * (8 KiB, 5 s at most) and answer it, or make it a WebSocket member.
 * Returns 0, or -1 with errno: the caller still owns fd then.
 */
int	web_accept(struct server *s, int fd, const union net_addr *peer,
	    const char *addr);

/*
 * The same for a connection on a --web-tls listener whose handshake is
 * done: tls is its TLS stream (tls.c), taken over on success.
 */
int	web_accept_tls(struct server *s, int fd, const union net_addr *peer,
	    const char *addr, void *tls);

/* Answer a connection a --web listener cannot take with 503, close it. */
void	web_refuse(int fd, const char *peer, const char *why);

/* Timer (arg is the server): time out heads (408), answers and lingers. */
int64_t	web_tick(struct loop *l, void *arg);

/* Shutting down: drop the requests not yet answered. */
void	web_stop(struct server *s);

/* Close and free every HTTP connection (at exit). */
void	web_free_all(struct server *s);


/* ---------------------------------------------------------------------
 * linger.c
 * ------------------------------------------------------------------- */

/* Before anything else of linger.c: no timer. */
void	linger_init(struct server *s);

/*
 * A member's socket fd after its last write (the member is gone): send
 * p[0..n) (what its transport still owes it: the end of a frame, a close
 * frame) and what its TLS stream tls (NULL: none) sealed already, then
 * close_notify, shut the write side, drop input until EOF or
 * SERVER_LINGER_MS, and close. broken (a write error, a reset): closed
 * at once. With members and lingering sockets at s->max_clients, one
 * try at sending, and closed at once. Takes fd and tls over whatever
 * happens; id names it in the log.
 */
void	linger_start(struct server *s, int fd, void *tls, unsigned id,
	    bool broken, const void *p, size_t n);

/*
 * A newcomer is about to become a member: with members and lingering
 * sockets at s->max_clients, close the oldest lingering one.
 */
void	linger_make_room(struct server *s);

/*
 * Close the oldest lingering socket at once, for a newcomer who needs its
 * descriptor (EMFILE, or with select an fd past FD_SETSIZE). Returns
 * whether there was one.
 */
bool	linger_drop_oldest(struct server *s);

/*
 * At exit, the loop over: let the lingering sockets end (EOF, or what
 * they owe sent and then EOF) until monotonic ms deadline, with a poll()
 * of their own; those left are closed. Returns at once when none are.
 */
void	linger_drain(struct server *s, int64_t deadline);

/* Close and free every lingering socket (at exit). */
void	linger_free_all(struct server *s);

/* ---------------------------------------------------------------------
 * tls.c (tls_off.c in a build without OpenSSL: --tls cannot be given)
 * ------------------------------------------------------------------- */

/*
 * Load --tls-cert and --tls-key into s->tls. Returns 0, or -1 after
 * telling stderr why.
 */
int	tls_init(struct server *s);

/* SIGUSR2: load the certificate and key again; a bad pair is logged and
 * the old one kept. Nobody is dropped either way. */
void	tls_reload(struct server *s);

/*
 * Take an accepted connection on a --tls listener: shake hands (10 s at
 * most), then make it a member (web: on a --web-tls listener, an HTTP
 * connection, web_accept_tls()). Returns 0, or -1 with errno: the caller
 * still owns fd then.
 */
int	tls_accept(struct server *s, int fd, const union net_addr *peer,
	    const char *addr, bool web);

/* Close a connection a --tls listener cannot take (no notice: not TLS). */
void	tls_refuse(int fd, const char *peer, const char *why);

/*
 * The transport state (for conn_open() with transport_tls) of a member
 * whose handshake is done on ssl (an SSL *, taken over); NULL with errno
 * ENOMEM. Not in a build without OpenSSL.
 */
void	*transport_tls_new(struct tls *t, void *ssl);

/*
 * A TLS stream (st, from transport_tls_new(): an SSL whose handshake is
 * done) used by another kind than transport_tls: HTTP and WebSocket
 * members over --web-tls. As read(2), writev(2) and write(2) on the
 * socket; EAGAIN when SSL must wait for the socket.
 */
ssize_t	tls_stream_read(void *st, void *buf, size_t n);
ssize_t	tls_stream_writev(void *st, const struct iovec *iov, int cnt);
ssize_t	tls_stream_write(void *st, const void *p, size_t n);
/*
 * Bytes a write took are not all out yet (SSL sealed them in a record
 * the socket did not take): the next write sends them first, even one of
 * nothing; until then the stream has output, as if the caller's own.
 */
bool	tls_stream_owes(const void *st);
/* The stream is member c's now: what SSL holds is read before sleeping. */
void	tls_stream_attach(void *st, struct client *c);
/* The member is gone: the stream names it no more, nor is read for it. */
void	tls_stream_detach(void *st);
/*
 * Say close_notify. -1 with errno EAGAIN: the socket did not take it
 * (all of it); say it again once the socket is writable. 0: it is out,
 * or never will be.
 */
int	tls_stream_shutdown(void *st);
/* Free the stream and its SSL (st may be NULL); the socket stays. */
void	tls_stream_free(void *st);

/*
 * How many handshakes are going on, on --web-tls listeners (web) or on
 * --tls ones: they are not members, and count toward --max-http.
 */
size_t	tls_handshakes(const struct server *s, bool web);

/*
 * Before sleeping: read the members whose decrypted bytes select() cannot
 * see, once each (tls_pending()); then, last of all, keep select() from
 * sleeping while some that are read are left (tls_pending_kick()): one
 * the flush let be read again (conn_resume()) counts too.
 */
void	tls_pending(struct server *s);
void	tls_pending_kick(struct server *s);

/* Timer (arg is the server): close the handshakes past 10 s. */
int64_t	tls_tick(struct loop *l, void *arg);

/* Shutting down: drop the handshakes going on. */
void	tls_stop(struct server *s);

/* Close every handshake and free s->tls (at exit, after the members). */
void	tls_free(struct server *s);

#endif /* LOBBY_SERVER_INT_H */
