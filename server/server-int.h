/* server-int: struct server and what server.c, listener.c and conn.c share. */
#ifndef LOBBY_SERVER_INT_H
#define LOBBY_SERVER_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "client.h"
#include "loop.h"
#include "net.h"
#include "room.h"
#include "server.h"

#define SERVER_READ_MAX		16384	/* bytes read per client per pass */
#define SERVER_ACCEPT_MAX	64	/* connections accepted per pass */
#define SERVER_PAUSE_MS		100	/* accept pause when out of fds */
#define SERVER_DRAIN_MS		2000	/* how long shutdown flushes */
#define SERVER_TRIM_MS		1000	/* how often idle buffers are freed */
/* Fds the server keeps for itself: stdio, the self-pipe, the reserve. */
#define SERVER_OWN_FDS		6

/* One listening socket. */
struct listener {
	int		 fd;		/* listening socket */
	bool		 is_unix;	/* remove path at exit (if still ours) */
	bool		 ready;		/* readable: accept once the pass ends */
	struct net_file	 file;		/* the socket file -u made */
	char		 name[NET_ADDRSTRLEN]; /* as in "listening on" */
};

/*
 * The whole server: one per process, made by server_run(). Each file owns
 * the fields under its name; the others only read them.
 */
struct server {
	const struct server_config *cfg; /* options, read-only */
	struct loop	 loop;		/* the one select() loop */
	struct room	 room;		/* the members, and their output */

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
	unsigned	 next_id;	/* for the next connection's log name */
	struct client	*pending;	/* output queued since the last flush */
	bool		 broadcast;	/* and for every member: flush them all */
	struct client	*closing;	/* left the room: close after the pass */
	char		*clean;		/* a line after text_clean() */
	char		 rbuf[SERVER_READ_MAX]; /* one read() */

	/* server.c: running and stopping */
	int		 sigpipe[2];	/* signal handler -> loop */
	bool		 stopping;	/* shutting down: only flushing now */
	int64_t		 deadline;	/* when flushing gives up */
};

/* ---------------------------------------------------------------------
 * listener.c
 * ------------------------------------------------------------------- */

/*
 * Open every listener the configuration asks for and watch them. Returns
 * 0, or -1 after telling stderr why (the listeners opened stay in s, for
 * listener_close_all()).
 */
int	listener_open_all(struct server *s);

/*
 * How many clients the fds allow, logged: the option, lowered so that
 * every client fd fits below FD_SETSIZE and RLIMIT_NOFILE. Call once the
 * listeners are open.
 */
size_t	listener_client_cap(struct server *s);

/* Accept again after a pause for lack of fds, unless stopping. */
void	listener_resume(struct server *s);

/*
 * Accept on the listeners select() found readable in this pass. Called
 * after the pass, once the members who left in it are closed: their
 * seats and fds are free for newcomers, who are refused only when the
 * room is really full. Returns whether anyone was accepted or refused.
 */
bool	listener_accept_ready(struct server *s);

/* Close the listeners (removing Unix socket paths); accept no more. */
void	listener_close_all(struct server *s);

/* ---------------------------------------------------------------------
 * conn.c
 * ------------------------------------------------------------------- */

/*
 * Make an accepted socket fd a client from addr: watch it, join it to the
 * room. Returns 0, or -1 with errno (ENOMEM, ERANGE) when it could not:
 * the caller still owns fd then, and refuses it.
 */
int	conn_open(struct server *s, int fd, const char *addr);

/*
 * Write as much of c's queue as the socket takes, in one send(); write
 * interest is registered only while output is left over. On an error c
 * leaves the room (and is closed after the pass). The one place where a
 * connection's output goes to its socket.
 */
void	conn_flush(struct client *c);

/*
 * The before-sleep pass over connections: settle the room (slow members
 * leave: the one place this happens), write out every member that got
 * output, again until nothing new is queued, then close those that left.
 */
void	conn_flush_all(struct server *s);

/* Whether any connection still has output queued (while draining). */
bool	conn_unsent(const struct server *s);

/* Stop reading from every connection: shutting down. */
void	conn_stop_reading(struct server *s);

/* Room hook (arg is the server): output for c, or for all when c is NULL. */
void	conn_on_output(void *arg, struct client *c);

/* Room hook (arg is the server): c left the room, close it after the pass. */
void	conn_on_leave(void *arg, struct client *c);

/* Timer (arg is the server): drop the members idle for idle_timeout. */
int64_t	conn_idle_check(struct loop *l, void *arg);

/* Timer (arg is the server): free the buffers of idle connections. */
int64_t	conn_trim(struct loop *l, void *arg);

/* Close and free every connection still open (at exit). */
void	conn_free_all(struct server *s);

#endif /* LOBBY_SERVER_INT_H */
