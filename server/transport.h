/* transport: how a member's bytes move: one table of functions per kind. */
#ifndef LOBBY_TRANSPORT_H
#define LOBBY_TRANSPORT_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>
#include <sys/uio.h>

struct buf;
struct client;
struct rlog;

/*
 * A member transport is a table of functions, one instance per kind of
 * member (the model: Redis's ConnectionType). conn.c holds a client and
 * its transport, and never asks which kind it is: it reads through
 * read() and input(), and writes every member the same way:
 *
 *	cnt = fill(c, log, iov, max);	what to write, from the room log
 *	n = writev(c, iov, cnt);	to the socket
 *	advance(c, log, n);		what of the log those bytes were
 *
 * fill() hands out the room log's own blocks (rlog_iov()); a transport
 * that frames lines adds its framing as small iovecs of its own beside
 * them and never copies a payload. advance() maps the bytes written back
 * to log bytes. Everything a transport keeps per member is at c->tp_state,
 * made by whoever hands the member to conn_open() and freed by free().
 *
 * A new kind of member is one new file with one such table (and whatever
 * makes its state: a listener kind, a handshake); conn.c does not change.
 */
struct transport {
	const char	*name;		/* for the log: "line", "websocket" */

	/* Read up to n bytes of c's socket: as read(2). */
	ssize_t		(*read)(struct client *c, void *buf, size_t n);
	/*
	 * Bytes read from c: frame them into lines, each given to
	 * conn_line() (conn_end() for a request to leave, or for input
	 * that breaks the protocol: either way the member leaves after the
	 * lines before it). Returns 0, or -1 out of memory.
	 */
	int		(*input)(struct client *c, char *p, size_t n);
	/* A clean EOF: whatever the framer still holds counts. */
	void		(*eof)(struct client *c);

	/*
	 * Fill iov (at most max entries) with what c is to receive next:
	 * the room log's bytes, framed. Returns the entries filled (0:
	 * nothing to write). Valid until the next call for c.
	 */
	int		(*fill)(struct client *c, struct rlog *l,
			    struct iovec *iov, int max);
	/* Write iov to c's socket: as writev(2). */
	ssize_t		(*writev)(struct client *c, const struct iovec *iov,
			    int cnt);
	/*
	 * n bytes of what the last fill() offered were written (0 after a
	 * fill() that offered nothing): move c on in the log. Returns the
	 * lines those bytes finished.
	 */
	size_t		(*advance)(struct client *c, struct rlog *l, size_t n);
	/* Whether c has anything left to write. */
	bool		(*unsent)(const struct client *c, const struct rlog *l);

	/* c has left: queue what goes after its last line (a close frame). */
	void		(*finish)(struct client *c, const struct rlog *l);
	/*
	 * After the last write: give c's socket up. Put in rest (empty) what
	 * it is still owed (the end of a frame, the close frame), and return
	 * the TLS stream it goes on through (NULL: none), the caller's from
	 * now on. conn.c sends those and closes the socket gracefully, the
	 * same for every kind (linger.c).
	 */
	void		*(*close)(struct client *c, struct buf *rest);
	/* Free the storage an idle c does not need (between passes). */
	void		(*trim)(struct client *c);
	/* Free c's transport state (state may be NULL). */
	void		(*free)(void *state);
};

/* TCP and Unix members: lines, telnet bytes stripped, written as they are. */
extern const struct transport transport_line;

/* WebSocket members (RFC 6455): one text frame per line. */
extern const struct transport transport_ws;

/*
 * TLS members (tls.c): lines as for TCP, through SSL_read() and
 * SSL_write(); their state is made by the handshake there.
 */
extern const struct transport transport_tls;

/*
 * The state of a new WebSocket member whose lines are at most max_line
 * bytes, for conn_open() with transport_ws; NULL with errno ENOMEM.
 */
void	*transport_ws_new(size_t max_line);

/* The WebSocket member of state reads and writes through tls (a TLS
 * stream of tls.c, --web-tls), which it owns from now on. */
void	transport_ws_set_tls(void *state, void *tls);

#endif /* LOBBY_TRANSPORT_H */
