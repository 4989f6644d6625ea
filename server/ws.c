/* ws: RFC 6455 WebSocket frames (an incremental parser and an encoder),
 * the handshake's accept key and checks. */
#include "ws.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "base64.h"
#include "sha1.h"

/* The GUID every RFC 6455 server appends to the client's key. */
static const char ws_guid[] = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";

/* Where the parser is in a frame. */
enum {
	WS_S_HEADER,		/* reading the header (hdrneed bytes) */
	WS_S_PAYLOAD,		/* reading the payload */
	WS_S_DONE,		/* a close came or the stream failed */
};

void
ws_init(struct ws *w, size_t max, bool server)
{
	struct buf empty = BUF_INIT;

	memset(w, 0, sizeof *w);
	w->max = max;
	w->server = server;
	w->msg = empty;
	w->state = WS_S_HEADER;
	w->hdrneed = 2;
	w->close_code = WS_CLOSE_NO_STATUS;
}

bool
ws_done(const struct ws *w)
{
	return w->state == WS_S_DONE;
}

void
ws_shrink(struct ws *w)
{
	if (!w->in_msg)
		buf_shrink(&w->msg);
}

void
ws_free(struct ws *w)
{
	buf_free(&w->msg);
}

/* Stop for good with a close code and a reason; returns -1. */
static int
ws_fail(struct ws *w, unsigned code, const char *why)
{
	w->state = WS_S_DONE;
	w->error = code;
	w->why = why;
	buf_free(&w->msg);
	w->in_msg = false;
	return -1;
}

bool
ws_close_code_valid(unsigned code)
{
	/* 1004-1006 and 1015 are reserved and never sent; 1016-2999 are
	 * for future standards; 3000-4999 for registered and private use. */
	return (code >= 1000 && code <= 1003) ||
	    (code >= 1007 && code <= 1014) || (code >= 3000 && code <= 4999);
}

bool
ws_utf8_valid(const char *s, size_t n)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t i = 0, k, more;
	unsigned lo, hi;

	while (i < n) {
		unsigned char c = p[i];

		/* Table 3-7 of the Unicode standard: the second byte's
		 * range depends on the first; later bytes are 80-BF. */
		lo = 0x80;
		hi = 0xbf;
		if (c < 0x80) {
			i++;
			continue;
		} else if (c >= 0xc2 && c <= 0xdf)
			more = 1;
		else if (c >= 0xe0 && c <= 0xef) {
			more = 2;
			if (c == 0xe0)
				lo = 0xa0;
			else if (c == 0xed)
				hi = 0x9f;
		} else if (c >= 0xf0 && c <= 0xf4) {
			more = 3;
			if (c == 0xf0)
				lo = 0x90;
			else if (c == 0xf4)
				hi = 0x8f;
		} else
			return false;
		if (n - i <= more)
			return false;
		if (p[i + 1] < lo || p[i + 1] > hi)
			return false;
		for (k = 2; k <= more; k++)
			if (p[i + k] < 0x80 || p[i + k] > 0xbf)
				return false;
		i += more + 1;
	}
	return true;
}

void
ws_mask(unsigned char *p, size_t n, const unsigned char mask[4], uint64_t off)
{
	size_t i;

	for (i = 0; i < n; i++)
		p[i] ^= mask[(off + i) & 3];
}

size_t
ws_header(unsigned char *out, unsigned opcode, bool fin, uint64_t len,
    const unsigned char *mask)
{
	size_t n = 0;
	unsigned char m = mask != NULL ? 0x80 : 0;
	int i;

	out[n++] = (unsigned char)((fin ? 0x80 : 0) | (opcode & 0x0f));
	if (len < 126)
		out[n++] = (unsigned char)(m | len);
	else if (len <= 0xffff) {
		out[n++] = (unsigned char)(m | 126);
		out[n++] = (unsigned char)(len >> 8);
		out[n++] = (unsigned char)len;
	} else {
		out[n++] = (unsigned char)(m | 127);
		for (i = 7; i >= 0; i--)
			out[n++] = (unsigned char)(len >> (8 * i));
	}
	if (mask != NULL) {
		memcpy(out + n, mask, 4);
		n += 4;
	}
	return n;
}

long
ws_frame_lines(struct buf *out, const char *p, size_t n, size_t limit)
{
	unsigned char h[WS_HEADER_MAX];
	size_t done = 0, start = buf_used(out), len, hl;
	const char *lf;

	while (done < n && (lf = memchr(p + done, '\n', n - done)) != NULL) {
		len = (size_t)(lf - (p + done));
		hl = ws_header(h, WS_OP_TEXT, true, len, NULL);
		if (done > 0 && buf_used(out) + hl + len > limit)
			break;
		if (buf_append(out, h, hl) == -1 ||
		    buf_append(out, p + done, len) == -1) {
			/* Keep out whole frames only: drop the partial one. */
			out->len = out->off + start;
			errno = ENOMEM;
			return -1;
		}
		done += len + 1;
	}
	return (long)done;
}

/*
 * The header is complete (hdrneed bytes at hdr): decode it and check it
 * against the rules, before a single payload byte is stored.
 */
static int
ws_header_done(struct ws *w)
{
	const unsigned char *h = w->hdr;
	size_t lenbytes, i;
	bool masked = (h[1] & 0x80) != 0;
	bool control;

	w->fin = (h[0] & 0x80) != 0;
	w->opcode = h[0] & 0x0f;
	control = (w->opcode & 0x08) != 0;
	if (h[0] & 0x70)
		return ws_fail(w, WS_CLOSE_PROTOCOL, "reserved bits set");
	if (w->opcode != WS_OP_CONT && w->opcode != WS_OP_TEXT &&
	    w->opcode != WS_OP_BINARY && w->opcode != WS_OP_CLOSE &&
	    w->opcode != WS_OP_PING && w->opcode != WS_OP_PONG)
		return ws_fail(w, WS_CLOSE_PROTOCOL, "reserved opcode");
	if (masked != w->server)
		return ws_fail(w, WS_CLOSE_PROTOCOL, masked ?
		    "masked frame from the server" : "unmasked frame");
	lenbytes = (h[1] & 0x7f) == 126 ? 2 : (h[1] & 0x7f) == 127 ? 8 : 0;
	if (w->hdrneed < 2 + lenbytes + (masked ? 4 : 0)) {
		/* Now we know how long the header is: read the rest. */
		w->hdrneed = 2 + lenbytes + (masked ? 4 : 0);
		return 0;
	}
	if (lenbytes == 0)
		w->len = h[1] & 0x7f;
	else
		for (w->len = 0, i = 0; i < lenbytes; i++)
			w->len = w->len << 8 | h[2 + i];
	if (lenbytes == 8 && (w->len >> 63) != 0)
		return ws_fail(w, WS_CLOSE_PROTOCOL, "length over 2^63");
	if (control) {
		if (!w->fin)
			return ws_fail(w, WS_CLOSE_PROTOCOL,
			    "fragmented control frame");
		if (w->len > WS_CONTROL_MAX)
			return ws_fail(w, WS_CLOSE_PROTOCOL,
			    "control frame over 125 bytes");
	} else if (w->opcode == WS_OP_CONT) {
		if (!w->in_msg)
			return ws_fail(w, WS_CLOSE_PROTOCOL,
			    "continuation without a message");
	} else {
		if (w->in_msg)
			return ws_fail(w, WS_CLOSE_PROTOCOL,
			    "new message before the last one ended");
		if (w->opcode == WS_OP_BINARY)
			return ws_fail(w, WS_CLOSE_UNSUPPORTED,
			    "binary message");
	}
	if (!control && w->len > w->max - buf_used(&w->msg))
		return ws_fail(w, WS_CLOSE_TOO_BIG, "message too big");
	if (!control)
		w->in_msg = true;
	w->got = 0;
	w->state = WS_S_PAYLOAD;
	return 0;
}

/* A close frame's payload is complete: check it and report it. */
static int
ws_close_done(struct ws *w, ws_fn fn, void *arg)
{
	size_t n = (size_t)w->len;

	w->state = WS_S_DONE;
	if (n == 1)
		return ws_fail(w, WS_CLOSE_PROTOCOL, "close frame of one byte");
	if (n >= 2) {
		w->close_code = (unsigned)w->ctl[0] << 8 | w->ctl[1];
		if (!ws_close_code_valid(w->close_code))
			return ws_fail(w, WS_CLOSE_PROTOCOL, "bad close code");
		if (!ws_utf8_valid((const char *)w->ctl + 2, n - 2))
			return ws_fail(w, WS_CLOSE_INVALID,
			    "close reason not UTF-8");
	}
	return fn(arg, WS_EV_CLOSE, n >= 2 ? (const char *)w->ctl + 2 : "",
	    n >= 2 ? n - 2 : 0);
}

/* A frame's payload is complete: hand out what it ends. */
static int
ws_frame_done(struct ws *w, ws_fn fn, void *arg)
{
	int r;

	w->state = WS_S_HEADER;
	w->hdrlen = 0;
	w->hdrneed = 2;
	switch (w->opcode) {
	case WS_OP_CLOSE:
		return ws_close_done(w, fn, arg);
	case WS_OP_PING:
		return fn(arg, WS_EV_PING, (const char *)w->ctl, (size_t)w->len);
	case WS_OP_PONG:
		return fn(arg, WS_EV_PONG, (const char *)w->ctl, (size_t)w->len);
	default:
		break;
	}
	if (!w->fin)
		return 0;
	w->in_msg = false;
	if (!ws_utf8_valid(buf_peek(&w->msg), buf_used(&w->msg)))
		return ws_fail(w, WS_CLOSE_INVALID, "text not UTF-8");
	r = fn(arg, WS_EV_TEXT, buf_peek(&w->msg), buf_used(&w->msg));
	buf_clear(&w->msg);
	return r;
}

int
ws_feed(struct ws *w, const char *data, size_t n, ws_fn fn, void *arg)
{
	const unsigned char *p = (const unsigned char *)data;
	unsigned char *dst;
	size_t take, i = 0, at;
	int r;

	while (w->state != WS_S_DONE) {
		if (w->state == WS_S_HEADER) {
			while (w->hdrlen < w->hdrneed && i < n)
				w->hdr[w->hdrlen++] = p[i++];
			if (w->hdrlen < w->hdrneed)
				return 0;
			if ((r = ws_header_done(w)) != 0)
				return r;
			if (w->state == WS_S_HEADER)
				continue;	/* the header grew */
		}
		/* The payload: what this chunk holds of it, unmasked. */
		take = n - i;
		if (take > w->len - w->got)
			take = (size_t)(w->len - w->got);
		if (take == 0)
			dst = NULL;
		else if (w->opcode & 0x08) {
			dst = w->ctl + w->got;
			memcpy(dst, p + i, take);
		} else {
			at = buf_used(&w->msg);
			if (buf_append(&w->msg, p + i, take) == -1)
				return ws_fail(w, WS_CLOSE_INTERNAL,
				    "out of memory");
			/* buf_peek() is const for readers; this is ours. */
			dst = (unsigned char *)(uintptr_t)buf_peek(&w->msg) + at;
		}
		if (dst != NULL && w->server)
			ws_mask(dst, take, w->hdr + w->hdrneed - 4, w->got);
		w->got += take;
		i += take;
		if (w->got < w->len)
			return 0;
		if ((r = ws_frame_done(w, fn, arg)) != 0)
			return r;
	}
	return 0;
}

void
ws_accept_key(const char *key, size_t len, char *out)
{
	unsigned char digest[SHA1_LEN];
	struct sha1 s;

	sha1_init(&s);
	sha1_update(&s, key, len);
	sha1_update(&s, ws_guid, sizeof ws_guid - 1);
	sha1_final(&s, digest);
	base64_encode(digest, sizeof digest, out);
}

/* Whether a is a loopback address: 127.0.0.0/8, ::1, or 127.x mapped. */
static bool
ws_loopback(const union net_addr *a)
{
	const unsigned char *b;

	if (a->sa.sa_family == AF_INET)
		return (ntohl(a->in.sin_addr.s_addr) >> 24) == 127;
	if (a->sa.sa_family != AF_INET6)
		return false;
	b = a->in6.sin6_addr.s6_addr;
	if (IN6_IS_ADDR_V4MAPPED(&a->in6.sin6_addr))
		return b[12] == 127;
	return IN6_IS_ADDR_LOOPBACK(&a->in6.sin6_addr);
}

/*
 * Whether the host h[0..n) of an Origin names the address a: the same
 * numeric address (IPv6 in brackets), or "localhost" when a is loopback.
 * Names other than localhost never match: a name is what DNS rebinding
 * points at us.
 */
static bool
ws_host_is(const char *h, size_t n, const union net_addr *a)
{
	char lit[INET6_ADDRSTRLEN];
	struct in6_addr v6;
	struct in_addr v4;

	if (n == 9 && strncasecmp(h, "localhost", 9) == 0)
		return ws_loopback(a);
	if (n >= 2 && h[0] == '[' && h[n - 1] == ']') {
		h++;
		n -= 2;
		if (n >= sizeof lit)
			return false;
		memcpy(lit, h, n);
		lit[n] = '\0';
		return a->sa.sa_family == AF_INET6 &&
		    inet_pton(AF_INET6, lit, &v6) == 1 &&
		    memcmp(&v6, &a->in6.sin6_addr, sizeof v6) == 0;
	}
	if (n >= sizeof lit)
		return false;
	memcpy(lit, h, n);
	lit[n] = '\0';
	if (inet_pton(AF_INET, lit, &v4) != 1)
		return false;
	if (a->sa.sa_family == AF_INET)
		return v4.s_addr == a->in.sin_addr.s_addr;
	return a->sa.sa_family == AF_INET6 &&
	    IN6_IS_ADDR_V4MAPPED(&a->in6.sin6_addr) &&
	    memcmp(a->in6.sin6_addr.s6_addr + 12, &v4, 4) == 0;
}

bool
ws_origin_is_self(const char *o, const union net_addr *self, bool https)
{
	const char *host, *end;
	unsigned long port = https ? 443 : 80;
	unsigned want;
	char *stop;

	if (self == NULL || (self->sa.sa_family != AF_INET &&
	    self->sa.sa_family != AF_INET6))
		return false;
	/* A --web listener speaks plain HTTP: an https page is another (and
	 * the other way round for --web-tls). */
	if (strncasecmp(o, https ? "https://" : "http://", https ? 8 : 7) != 0)
		return false;
	host = o + (https ? 8 : 7);
	if (*host == '[')
		end = strchr(host, ']') != NULL ? strchr(host, ']') + 1 : NULL;
	else
		end = host + strcspn(host, ":");
	if (end == NULL || end == host)
		return false;
	if (*end == ':') {
		if (end[1] < '0' || end[1] > '9')
			return false;
		errno = 0;
		port = strtoul(end + 1, &stop, 10);
		if (errno != 0 || *stop != '\0' || port > 65535)
			return false;
	} else if (*end != '\0')
		return false;
	want = ntohs(self->sa.sa_family == AF_INET ? self->in.sin_port :
	    self->in6.sin6_port);
	return port == want && ws_host_is(host, (size_t)(end - host), self);
}

unsigned
ws_handshake_check(const struct http_request *r, const char *const *origins,
    size_t norigins, const union net_addr *self, bool https, const char **why)
{
	unsigned char raw[3 * HTTP_FIELD_MAX / 4 + 3];
	size_t i, n;

	*why = NULL;
	if (r->method != HTTP_GET)
		*why = "WebSocket handshake must be a GET";
	else if (r->minor < 1)
		*why = "WebSocket handshake needs HTTP/1.1";
	else if (!(r->flags & HTTP_F_WEBSOCKET))
		*why = "no Upgrade: websocket";
	else if (!(r->flags & HTTP_F_UPGRADE))
		*why = "no Connection: upgrade";
	else if (!(r->flags & HTTP_F_KEY) || (r->flags & HTTP_F_KEYS))
		*why = "not exactly one Sec-WebSocket-Key";
	else if (base64_decode(r->key, strlen(r->key), raw) != 16)
		*why = "Sec-WebSocket-Key is not 16 bytes in base64";
	else if (!(r->flags & HTTP_F_VERSION) ||
	    (r->flags & HTTP_F_VERSIONS) || strcmp(r->version, "13") != 0)
		*why = "Sec-WebSocket-Version is not 13";
	else if (r->flags & HTTP_F_BODY)
		*why = "a body in a WebSocket handshake";
	if (*why != NULL)
		return 400;
	/* No Origin: not a browser, so no page to protect anyone from. */
	if (!(r->flags & HTTP_F_ORIGIN))
		return 0;
	if (ws_origin_is_self(r->origin, self, https))
		return 0;
	for (i = 0; i < norigins; i++) {
		n = strlen(origins[i]);
		while (n > 0 && origins[i][n - 1] == '/')
			n--;
		if (n == strlen(r->origin) &&
		    strncasecmp(origins[i], r->origin, n) == 0)
			return 0;
	}
	*why = "origin not allowed";
	return 403;
}
