/* client: one connection: its socket, input framer, output queue, nick. */
#ifndef LOBBY_CLIENT_H
#define LOBBY_CLIENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "flood.h"
#include "line.h"
#include "net.h"
#include "proto.h"
#include "rlog.h"
#include "text.h"

struct peer;
struct room;
struct server;
struct transport;

/*
 * A client is created by client_new() when a connection is accepted and
 * joins the room at once. It leaves the room through room_leave(), which
 * flags it CLIENT_CLOSING; the server then flushes and frees it after the
 * loop pass, so no list is ever modified while it is being walked.
 *
 * The room owns prev and next; the server's conn.c owns srv and the
 * conn_, pending_ and closing_ links, and the room never touches them. The room
 * log (rlog.c) owns rd; its lists say which clients have output.
 */
struct client {
	int		 fd;		/* the socket; -1 in unit tests */
	unsigned	 id;		/* connection number, for the log */
	unsigned	 flags;		/* CLIENT_* below */
#define CLIENT_JOINED	0x01		/* a member of the room */
#define CLIENT_CLOSING	0x02		/* left: close after this pass */
#define CLIENT_SLOW	0x04		/* output passed the send queue limit */
#define CLIENT_PENDING	0x08		/* on the server's list of output
					   from outside the room log */
#define CLIENT_WAITING	0x10		/* cluster: waiting for its welcome */
#define CLIENT_HELD	0x20		/* over --flood: not read for now */
#define CLIENT_ASKING	0x40		/* cluster: a command of its is
					   out, its later lines held */
#define CLIENT_PAUSED	0x80		/* not read while WAITING, ASKING
					   or HASHING, or while the link to
					   Redis holds too much: see
					   conn_input() */
#define CLIENT_HASHING	0x100		/* accounts: its /register or
					   /login is at the worker, its
					   later lines held */
#define CLIENT_NAMED	0x200		/* in the server's nick index, under
					   nick_hash (rooms.c) */
/* What a member waits for before its next lines run. */
#define CLIENT_AWAITS	(CLIENT_WAITING | CLIENT_ASKING | CLIENT_HASHING)
	const char	*reason;	/* why it left, for the log */
	char		 nick[PROTO_NICK_MAX + 1]; /* current nick */
	char		 account[PROTO_NICK_MAX + 1]; /* logged in as this
					   account (its nick in lower case),
					   or "" (accounts.c) */
	char		 addr[NET_ADDRSTRLEN]; /* peer address, for the log */
	int64_t		 last_input;	/* monotonic ms of the last byte read */
	struct telnet	 telnet;	/* IAC state across reads */
	struct line	 line;		/* unfinished input line */
	struct rlog_reader rd;		/* its place in the room log, and the
					 * lines queued for it alone */
	uint64_t	 bytes_in;	/* read from its socket, in all */
	uint64_t	 bytes_out;	/* written to its socket, in all */
	struct room	*room;		/* the room it is in (or joining, or
					   closing in): set by the room */
	struct client	*prev;		/* previous member, in join order */
	struct client	*next;		/* next member, in join order */
	struct client	*nick_next;	/* next in its nick index chain */
	uint64_t	 nick_hash;	/* its nick's hash there */
	struct server	*srv;		/* its server; NULL in unit tests */
	const struct transport *tp;	/* how its bytes move (transport.h) */
	void		*tp_state;	/* the transport's, per member */
	struct client	*conn_prev;	/* previous open connection */
	struct client	*conn_next;	/* next open connection */
	struct client	*pending_next;	/* next with output from outside the
					   room log (a WebSocket pong) */
	struct client	*closing_next;	/* next to close after the pass */
	struct peer	*peer;		/* its --max-per-ip entry, or NULL */
	struct flood	 flood;		/* its --flood bucket */
	struct buf	 held;		/* lines read, held back by --flood or
					   while it awaits an answer: records
					   of a kind byte, the text, an LF */
#define CLIENT_HELD_TEXT 'T'		/* a line of text */
#define CLIENT_HELD_LONG 'L'		/* an overlong line (no text) */
#define CLIENT_HELD_END	'E'		/* a request to leave (no text) */
#define CLIENT_HELD_RUN	'R'		/* a line already counted, cleaned
					   and let through --flood, whose
					   turn an answer put back */
	const char	*end_reason;	/* held, its leave after them: */
	const char	*end_why;	/* room_leave()'s (conn_end()) */
	struct client	*held_prev;	/* previous on the server's held list */
	struct client	*held_next;	/* next on the server's held list */
	struct client	*paused_prev;	/* previous on the server's
					   awaiting list */
	struct client	*paused_next;	/* next on the server's awaiting list */
};

/*
 * Allocate a client for fd with lines of at most max_line bytes. It owns
 * nothing yet but fd (which client_free() does not close). Returns NULL
 * with errno ENOMEM.
 */
struct client	*client_new(int fd, unsigned id, const char *addr,
		    size_t max_line);

/* The client whose room log reader rd is. */
#define CLIENT_OF_READER(p) \
	((struct client *)(void *)((char *)(p) - offsetof(struct client, rd)))

/*
 * Release the client's memory (the caller has closed fd and, unless the
 * room is going away as well, called room_forget()).
 */
void		 client_free(struct client *c);

/*
 * Put the lines at lines[0..n) (each cleaned, NUL-terminated) before
 * what c->held holds, as CLIENT_HELD_RUN records: they were taken, then
 * had to wait for an answer that c now waits for again. Returns -1 with
 * errno ENOMEM (c->held unchanged).
 */
int		 client_held_front(struct client *c, const char *lines,
		    size_t n);

#endif /* LOBBY_CLIENT_H */
