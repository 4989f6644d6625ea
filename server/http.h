/* http: an incremental, bounded parser for HTTP/1.x request heads. */
#ifndef LOBBY_HTTP_H
#define LOBBY_HTTP_H

#include <stdbool.h>
#include <stddef.h>

/*
 * Bytes go in by http_feed() in chunks of any size; the parser walks them
 * once, byte by byte, and keeps only the fields lobbyd acts on, each in a
 * fixed-size field: a request costs no allocation and a bounded amount of
 * memory whatever is sent. Whatever follows the head (the first WebSocket
 * frames, say) is left to the caller.
 *
 * The grammar is RFC 9112's, strictly where laxness would be a risk:
 * a CR must be followed by LF (a bare LF also ends a line), no whitespace
 * between a field name and its colon, no obsolete line folding, no control
 * characters in values, one Host and one Content-Length at most, and
 * a Host that is uri-host [":" port] (RFC 9110, 7.2) though it is not
 * acted on.
 */

#define HTTP_HEAD_MAX	8192	/* request line and header fields, bytes */
#define HTTP_TARGET_MAX	1024	/* longest request target: else 414 */
#define HTTP_FIELD_MAX	512	/* longest value of a field kept: else 400 */
#define HTTP_NAME_MAX	32	/* names past this are of no interest */

enum http_method {
	HTTP_GET,		/* GET */
	HTTP_HEAD,		/* HEAD */
	HTTP_OTHER,		/* any other method: answered 405 */
};

enum http_result {
	HTTP_MORE,		/* all bytes taken, the head is not complete */
	HTTP_DONE,		/* the head is complete */
	HTTP_ERROR,		/* not a request to answer: see status, why */
};

struct http_request {
	/* What the head said. */
	enum http_method method;	/* the request method */
	unsigned	 minor;		/* HTTP/1.minor */
	char		 target[HTTP_TARGET_MAX + 1]; /* as sent, NUL-ended */
	char		 host[HTTP_FIELD_MAX + 1]; /* Host, or "" */
	char		 origin[HTTP_FIELD_MAX + 1]; /* Origin, or "" */
	char		 key[HTTP_FIELD_MAX + 1]; /* Sec-WebSocket-Key */
	char		 version[HTTP_FIELD_MAX + 1]; /* Sec-WebSocket-Version */
	unsigned	 flags;		/* HTTP_F_* below */
#define HTTP_F_HOST	0x001		/* a Host field was seen */
#define HTTP_F_ORIGIN	0x002		/* an Origin field was seen */
#define HTTP_F_UPGRADE	0x004		/* Connection lists "upgrade" */
#define HTTP_F_CLOSE	0x008		/* Connection lists "close" */
#define HTTP_F_WEBSOCKET 0x010		/* Upgrade lists "websocket" */
#define HTTP_F_KEY	0x020		/* one Sec-WebSocket-Key was seen */
#define HTTP_F_KEYS	0x040		/* more than one was seen */
#define HTTP_F_VERSION	0x080		/* Sec-WebSocket-Version was seen */
#define HTTP_F_VERSIONS	0x100		/* more than one was seen */
#define HTTP_F_BODY	0x200		/* Content-Length > 0 or chunked */
#define HTTP_F_LENGTH	0x400		/* a Content-Length was seen */
	/* When http_feed() returned HTTP_ERROR. */
	unsigned	 status;	/* 400, 414, 431, 505 */
	const char	*why;		/* a static phrase for the log */
	/* Parser state, private. */
	unsigned char	 state;		/* where in the grammar (http.c) */
	unsigned char	 field;		/* which kept field a value is for */
	size_t		 total;		/* bytes of the head so far */
	size_t		 len;		/* bytes in the token being read */
	char		 name[HTTP_NAME_MAX + 1]; /* field name, lower case */
	char		 value[HTTP_FIELD_MAX + 1]; /* a kept field's value */
	char		 proto[9];	/* "HTTP/1.1" of the request line */
};

/* Prepare r for a new request. */
void	http_init(struct http_request *r);

/*
 * Parse n more bytes. HTTP_MORE: all were taken, send more. HTTP_DONE:
 * the head ended after *used bytes (the rest belongs to what follows).
 * HTTP_ERROR: r->status and r->why say why; feed no more.
 */
enum http_result http_feed(struct http_request *r, const char *p, size_t n,
	    size_t *used);

/*
 * The path of the target: after an absolute form's "http://authority",
 * before any "?query". Returns its start and writes its length to *len.
 */
const char	*http_path(const struct http_request *r, size_t *len);

/* Whether the comma-separated list s holds token (ignoring case). */
bool	http_list_has(const char *s, const char *token);

/* The reason phrase of a status code ("Not Found"). */
const char	*http_reason(unsigned status);

#endif /* LOBBY_HTTP_H */
