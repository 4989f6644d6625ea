/* ws: RFC 6455 WebSocket frames (an incremental parser and an encoder),
 * the handshake's accept key and checks. */
#ifndef LOBBY_WS_H
#define LOBBY_WS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "http.h"
#include "net.h"

/*
 * Like the line framer, the parser takes bytes in chunks of any size and
 * hands out each complete message through a callback: a text message once
 * all its fragments are in, and control frames (which may come between
 * fragments) as they end. A protocol violation stops it for good with the
 * close code the peer is to be sent. It makes no system calls.
 */

#define WS_CONTROL_MAX	125	/* longest control frame payload */
#define WS_HEADER_MAX	14	/* longest frame header, mask included */
#define WS_ACCEPT_LEN	28	/* Sec-WebSocket-Accept, in characters */

/* Opcodes (RFC 6455, 5.2). */
#define WS_OP_CONT	0x0
#define WS_OP_TEXT	0x1
#define WS_OP_BINARY	0x2
#define WS_OP_CLOSE	0x8
#define WS_OP_PING	0x9
#define WS_OP_PONG	0xa

/* Close codes (RFC 6455, 7.4.1). */
#define WS_CLOSE_NORMAL		1000	/* done */
#define WS_CLOSE_GOING_AWAY	1001	/* server shutting down */
#define WS_CLOSE_PROTOCOL	1002	/* protocol error */
#define WS_CLOSE_UNSUPPORTED	1003	/* binary data */
#define WS_CLOSE_NO_STATUS	1005	/* a close frame without a code */
#define WS_CLOSE_INVALID	1007	/* text that is not UTF-8 */
#define WS_CLOSE_POLICY		1008	/* refused for policy reasons */
#define WS_CLOSE_TOO_BIG	1009	/* message over the limit */
#define WS_CLOSE_INTERNAL	1011	/* out of memory */

enum ws_event {
	WS_EV_TEXT,		/* a whole text message: p, n */
	WS_EV_PING,		/* a ping: its payload p, n */
	WS_EV_PONG,		/* a pong: its payload p, n */
	WS_EV_CLOSE,		/* a close: code in w->close_code, reason p, n */
};

/*
 * Called for each event; p is valid only during the call. Return 0 to go
 * on; any other value stops the feed and ws_feed() returns it.
 */
typedef int (*ws_fn)(void *arg, enum ws_event ev, const char *p, size_t n);

struct ws {
	size_t		 max;		/* longest message accepted, bytes */
	bool		 server;	/* frames must be masked (else unmasked) */
	unsigned char	 state;		/* where in a frame (ws.c) */
	unsigned char	 hdr[WS_HEADER_MAX]; /* the header read so far */
	size_t		 hdrlen;	/* bytes at hdr */
	size_t		 hdrneed;	/* bytes the header is known to need */
	unsigned	 opcode;	/* of the frame being read */
	bool		 fin;		/* the frame ends its message */
	uint64_t	 len;		/* payload length of the frame */
	uint64_t	 got;		/* payload bytes read of the frame */
	bool		 in_msg;	/* a fragmented message has begun */
	struct buf	 msg;		/* the data message, unmasked */
	unsigned char	 ctl[WS_CONTROL_MAX]; /* a control frame's payload */
	unsigned	 close_code;	/* of the close received, or 1005 */
	unsigned	 error;		/* close code to send after a failure */
	const char	*why;		/* the failure, a static phrase */
};

/* Prepare a parser for messages of at most max bytes; a server's parser
 * insists on masked frames, a client's on unmasked ones. */
void	ws_init(struct ws *w, size_t max, bool server);

/*
 * Parse n more bytes. Returns 0, or the first non-zero value fn returned
 * (the rest of the chunk is dropped), or -1 on a protocol violation, with
 * w->error the close code to send (1002, 1003, 1007, 1009, or 1011 when
 * out of memory) and w->why the reason. After a close frame or a failure,
 * further bytes are ignored.
 */
int	ws_feed(struct ws *w, const char *data, size_t n, ws_fn fn, void *arg);

/* Whether the parser has stopped (a close frame came, or a failure). */
bool	ws_done(const struct ws *w);

/* Release the parser's storage when it holds no message (idle members). */
void	ws_shrink(struct ws *w);

/* Release everything. */
void	ws_free(struct ws *w);

/*
 * Write a frame header for a payload of len bytes to out (WS_HEADER_MAX
 * bytes of room), in the shortest length form; with mask not NULL, the
 * frame is masked with it (the caller masks the payload, ws_mask()).
 * Returns the header's length.
 */
size_t	ws_header(unsigned char *out, unsigned opcode, bool fin, uint64_t len,
	    const unsigned char *mask);

/*
 * Frame the complete lines at the front of p[0..n) (each ends with LF,
 * which is not sent) as unmasked text frames appended to out, stopping
 * before the line that would take out past limit bytes (but always
 * framing at least one line, whatever its length). Returns the bytes of p
 * consumed, LFs included, or -1 with errno ENOMEM (out is then as it was).
 */
long	ws_frame_lines(struct buf *out, const char *p, size_t n, size_t limit);

/* XOR p[0..n) with mask, as bytes off.. of a payload would be. */
void	ws_mask(unsigned char *p, size_t n, const unsigned char mask[4],
	    uint64_t off);

/* Whether a close code may be sent in a close frame (RFC 6455, 7.4). */
bool	ws_close_code_valid(unsigned code);

/* Whether p[0..n) is well-formed UTF-8 (RFC 3629). */
bool	ws_utf8_valid(const char *p, size_t n);

/*
 * Sec-WebSocket-Accept for a key: base64(SHA-1(key + the RFC's GUID)).
 * Writes WS_ACCEPT_LEN characters and a NUL to out.
 */
void	ws_accept_key(const char *key, size_t len, char *out);

/*
 * Whether the Origin o is a page served by the --web listener at self
 * (the connection's local address): scheme http (https for a --web-tls
 * listener), the port, and as host that address (IPv6 in brackets) or
 * "localhost" when it is a loopback address. The request's Host is not
 * consulted: a DNS-rebinding page sends its own name in both. False when
 * self is NULL.
 */
bool	ws_origin_is_self(const char *o, const union net_addr *self,
	    bool https);

/*
 * Whether a request head that asked for /ws is a valid WebSocket
 * handshake that may be answered 101: GET, HTTP/1.1 or later, Upgrade
 * websocket, Connection upgrade, one Sec-WebSocket-Key of 16 bytes in
 * base64, Sec-WebSocket-Version 13, no body; and, when the request comes
 * from a page (it has an Origin), that origin is the listener's own (see
 * ws_origin_is_self(), with https for a --web-tls listener; self may be
 * NULL: none is) or one of the norigins allowed. Returns 0, or the status
 * to answer (400, or 403 for a refused origin) with *why set.
 */
unsigned	ws_handshake_check(const struct http_request *r,
		    const char *const *origins, size_t norigins,
		    const union net_addr *self, bool https, const char **why);

#endif /* LOBBY_WS_H */
