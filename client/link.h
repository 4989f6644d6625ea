/* link: the client's connection to the server: send queue, framed reads. */
#ifndef LOBBY_LINK_H
#define LOBBY_LINK_H

#include <stdbool.h>
#include <stddef.h>

#include "buf.h"
#include "line.h"
#include "proto.h"

/*
 * The longest server line taken. lobbyd's longest is its /rooms answer,
 * some 37 bytes a room: 64 KiB from about 1600 rooms, 37 MB at the most
 * rooms it can be told to keep (--max-rooms 1000000). 16 MiB holds more
 * than 400000 rooms of the longest names; the framer's storage grows with
 * the line, and only as far as it goes.
 */
#define LINK_MAXLINE	(16 * 1024 * 1024)
#define LINK_MAXLINE_TEXT "16 MiB"	/* LINK_MAXLINE, as the user reads it */
#define LINK_READ	(64 * 1024)	/* bytes per read() of the socket */
#define LINK_TLS_MS	10000		/* for the TLS handshake (lobbyd's bound) */

/* How to connect over TLS (lobby --tls). */
struct link_tls {
	bool		 on;		/* --tls: TLS over the TCP connection */
	const char	*ca;		/* --ca FILE, or NULL: the system's store */
	bool		 insecure;	/* --insecure: no verification at all */
};

/*
 * One connection to lobbyd. It knows the wire only: lines queued for the
 * server, lines framed from it, our nick and room as the server's notices
 * tell them,
 * and whether a /quit went out. What a line means on screen is the
 * caller's business, through the callback link_read() takes.
 */
struct link {
	int		 sock;		/* the server, non-blocking, or -1 */
	void		*ssl;		/* its TLS state (an SSL), or NULL */
	bool		 quitting;	/* /quit sent: the close is expected */
	char		 nick[PROTO_NICK_MAX + 1]; /* our nick, as the server said */
	char		 room[PROTO_ROOM_MAX + 1]; /* our room, as the server said
					   (moved), or "" not yet known */
	struct buf	 outq;		/* bytes for the server */
	struct line	 in;		/* frames the server's lines */
};

/* Results of link_read(). */
enum link_result {
	LINK_OK,		/* read what there was (maybe nothing) */
	LINK_GONE,		/* the server closed, or the socket broke */
	LINK_NOMEM,		/* out of memory framing the input */
};

/* Prepare a link that is not connected. */
void	link_init(struct link *l);

/*
 * Connect to host and port over TCP, or to the Unix socket path when
 * unix_path is not NULL, and make the socket non-blocking. With tls (not
 * NULL, on), shake hands over TLS (LINK_TLS_MS at most), checking the
 * server's certificate chain and its name unless tls->insecure. Returns
 * 0, or -1 with a message in err (for a certificate: why it is refused,
 * expired, wrong host or unknown CA).
 */
int	link_open(struct link *l, const char *host, const char *port,
	    const char *unix_path, const struct link_tls *tls, char *err,
	    size_t errlen);

/* Whether this build can do TLS at all. */
bool	link_tls_built(void);

/* Close the socket and release the queues; link_init() makes it new. */
void	link_close(struct link *l);

/*
 * Queue one line (without its LF) for the server, each 0xFF byte doubled
 * (telnet's IAC IAC, the server's escape for it); a /quit marks the link
 * as quitting. Returns 0, or -1 out of memory (nothing queued).
 */
int	link_send(struct link *l, const char *s, size_t n);

/* Is s a nick the protocol accepts (proto_nick_valid())? */
bool	link_nick_valid(const char *s);

/*
 * Follow our own nick and room in a clean server line: the welcome, a
 * rename of the nick we have, and "you are now in ROOM". Only the server
 * starts a line with "***". The welcome does not name the room: the
 * caller learns the landing room some other way (see sess_rooms()).
 */
void	link_track(struct link *l, const char *s, size_t n);

/*
 * The socket is readable: read once and hand each complete line to fn
 * (see line_feed()). Returns what happened.
 */
enum link_result	link_read(struct link *l, line_fn fn, void *arg);

/*
 * At the end of the connection: hand out an unfinished last line, if
 * any. Returns true when there was one (it was cut short).
 */
bool	link_finish(struct link *l, line_fn fn, void *arg);

/* Write what the socket takes of the queue. Returns LINK_OK or LINK_GONE. */
enum link_result	link_write(struct link *l);

#endif /* LOBBY_LINK_H */
