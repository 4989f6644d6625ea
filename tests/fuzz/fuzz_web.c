/* fuzz_web: libFuzzer target for the HTTP request parser and the
 * WebSocket frame parser. */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "fuzz_check.h"
#include "http.h"
#include "ws.h"

/*
 * Input layout: byte 0 picks the parser (even: HTTP, odd: WebSocket) and
 * seeds the chunk sizes; for WebSocket, byte 1 is the message limit. The
 * rest is the byte stream a peer sends. Each stream is parsed twice, in
 * one chunk and in many: both runs must agree exactly, and what comes out
 * must keep the parsers' promises.
 */

/* The next chunk size from a small generator seeded by the input. */
static size_t
fuzz_chunk(unsigned *seed)
{
	*seed = *seed * 1103515245u + 12345u;
	return 1 + (*seed >> 16) % 17;
}

/* ---------------------------------------------------- HTTP */

/* Feed p[0..n) in chunks (all at once if seed is NULL). */
static enum http_result
fuzz_http_run(struct http_request *r, const char *p, size_t n,
    unsigned *seed, size_t *consumed)
{
	enum http_result res = HTTP_MORE;
	size_t i = 0, k, used;

	http_init(r);
	while (i < n && res == HTTP_MORE) {
		k = seed != NULL ? fuzz_chunk(seed) : n;
		if (k > n - i)
			k = n - i;
		res = http_feed(r, p + i, k, &used);
		FUZZ_CHECK(used <= k);
		FUZZ_CHECK(res != HTTP_MORE || used == k);
		i += used;
	}
	*consumed = i;
	return res;
}

static void
fuzz_http(const char *p, size_t n, unsigned seed)
{
	static const char *const origins[] = { "http://a.example" };
	struct http_request a, b;
	enum http_result ra, rb;
	char accept[WS_ACCEPT_LEN + 1];
	const char *why, *path;
	union net_addr self;
	size_t ua, ub, len;
	unsigned st;

	ra = fuzz_http_run(&a, p, n, NULL, &ua);
	rb = fuzz_http_run(&b, p, n, &seed, &ub);
	FUZZ_CHECK(ra == rb);
	FUZZ_CHECK(ua == ub);
	FUZZ_CHECK(a.total <= HTTP_HEAD_MAX && ua <= HTTP_HEAD_MAX + 1);
	if (ra == HTTP_ERROR) {
		FUZZ_CHECK(a.status == b.status);
		FUZZ_CHECK(a.status == 400 || a.status == 414 ||
		    a.status == 431 || a.status == 505);
		FUZZ_CHECK(a.why != NULL);
		return;
	}
	if (ra != HTTP_DONE)
		return;
	FUZZ_CHECK(a.method == b.method && a.minor == b.minor &&
	    a.flags == b.flags);
	FUZZ_CHECK(strlen(a.target) > 0 && strlen(a.target) <= HTTP_TARGET_MAX);
	FUZZ_CHECK(strcmp(a.target, b.target) == 0);
	FUZZ_CHECK(strcmp(a.host, b.host) == 0);
	FUZZ_CHECK(strcmp(a.origin, b.origin) == 0);
	FUZZ_CHECK(strcmp(a.key, b.key) == 0);
	FUZZ_CHECK(strcmp(a.version, b.version) == 0);
	FUZZ_CHECK(a.minor >= 1 ? (a.flags & HTTP_F_HOST) != 0 : true);
	path = http_path(&a, &len);
	FUZZ_CHECK(len <= strlen(a.target) || (len == 1 && *path == '/'));
	memset(&self, 0, sizeof self);
	(void)net_addr_parse("127.0.0.1", 8080, &self);
	st = ws_handshake_check(&a, origins, 1, &self, false, &why);
	FUZZ_CHECK(st == 0 || st == 400 || st == 403);
	FUZZ_CHECK((st == 0) == (why == NULL));
	if (st == 0) {
		FUZZ_CHECK(a.method == HTTP_GET && strlen(a.key) == 24);
		ws_accept_key(a.key, strlen(a.key), accept);
		FUZZ_CHECK(strlen(accept) == WS_ACCEPT_LEN);
	}
}

/* ---------------------------------------------------- WebSocket */

/* Events as a byte string: one run's must equal the other's. */
struct fuzz_log {
	struct buf	 out;		/* event, length, payload; repeated */
	struct ws	*w;		/* for the close code */
	size_t		 max;		/* the message limit */
};

static int
fuzz_ws_event(void *arg, enum ws_event ev, const char *p, size_t n)
{
	struct fuzz_log *l = arg;
	unsigned char hdr[1 + sizeof n + 2];
	unsigned code = l->w->close_code;

	switch (ev) {
	case WS_EV_TEXT:
		FUZZ_CHECK(n <= l->max);
		FUZZ_CHECK(ws_utf8_valid(p, n));
		break;
	case WS_EV_PING:
	case WS_EV_PONG:
		FUZZ_CHECK(n <= WS_CONTROL_MAX);
		break;
	case WS_EV_CLOSE:
		FUZZ_CHECK(n <= WS_CONTROL_MAX - 2);
		FUZZ_CHECK(code == WS_CLOSE_NO_STATUS ||
		    ws_close_code_valid(code));
		FUZZ_CHECK(code != WS_CLOSE_NO_STATUS || n == 0);
		FUZZ_CHECK(ws_utf8_valid(p, n));
		break;
	}
	hdr[0] = (unsigned char)ev;
	memcpy(hdr + 1, &n, sizeof n);
	hdr[1 + sizeof n] = (unsigned char)(code >> 8);
	hdr[2 + sizeof n] = (unsigned char)code;
	FUZZ_CHECK(buf_append(&l->out, hdr, sizeof hdr) == 0);
	FUZZ_CHECK(buf_append(&l->out, p, n) == 0);
	return 0;
}

/* Parse p[0..n) as a server would, in chunks unless seed is NULL. */
static int
fuzz_ws_run(struct ws *w, struct fuzz_log *l, const char *p, size_t n,
    size_t max, unsigned *seed)
{
	size_t i = 0, k;
	int r = 0;

	ws_init(w, max, true);
	l->w = w;
	l->max = max;
	while (i < n && r == 0) {
		k = seed != NULL ? fuzz_chunk(seed) : n;
		if (k > n - i)
			k = n - i;
		r = ws_feed(w, p + i, k, fuzz_ws_event, l);
		i += k;
	}
	FUZZ_CHECK(r == 0 || r == -1);
	return r;
}

/*
 * Every text message that came out, framed again (masked, as a client,
 * in two fragments with a ping between; and unmasked, as the server
 * sends it), parses back to the same text.
 */
static void
fuzz_ws_reencode(const struct buf *events, size_t max)
{
	static const unsigned char mask[4] = { 0xa5, 0x5a, 0x0f, 0xf0 };
	const char *p = buf_peek(events), *end = p + buf_used(events);
	unsigned char *f, h[WS_HEADER_MAX];
	struct fuzz_log l = { BUF_INIT, NULL, 0 };
	struct ws w;
	size_t n, half, o, hn;

	while (p < end) {
		memcpy(&n, p + 1, sizeof n);
		if (p[0] != WS_EV_TEXT) {
			p += 1 + sizeof n + 2 + n;
			continue;
		}
		p += 1 + sizeof n + 2;
		f = malloc(3 * WS_HEADER_MAX + n);
		FUZZ_CHECK(f != NULL);
		half = n / 2;
		o = ws_header(f, WS_OP_TEXT, false, half, mask);
		memcpy(f + o, p, half);
		ws_mask(f + o, half, mask, 0);
		o += half;
		o += ws_header(f + o, WS_OP_PING, true, 0, mask);
		hn = ws_header(f + o, WS_OP_CONT, true, n - half, mask);
		memcpy(f + o + hn, p + half, n - half);
		ws_mask(f + o + hn, n - half, mask, 0);
		o += hn + n - half;
		FUZZ_CHECK(fuzz_ws_run(&w, &l, (char *)f, o, max, NULL) == 0);
		FUZZ_CHECK(buf_used(&l.out) == 2 * (1 + sizeof n + 2) + n);
		FUZZ_CHECK(memcmp(buf_peek(&l.out) + 2 * (1 + sizeof n + 2), p,
		    n) == 0);
		ws_free(&w);
		buf_clear(&l.out);
		/* Unmasked, as the server sends: a client parser reads it. */
		hn = ws_header(h, WS_OP_TEXT, true, n, NULL);
		memcpy(f, h, hn);
		memcpy(f + hn, p, n);
		ws_init(&w, max, false);
		l.w = &w;
		FUZZ_CHECK(ws_feed(&w, (char *)f, hn + n, fuzz_ws_event,
		    &l) == 0);
		FUZZ_CHECK(buf_used(&l.out) == 1 + sizeof n + 2 + n);
		ws_free(&w);
		buf_clear(&l.out);
		free(f);
		p += n;
	}
	buf_free(&l.out);
}

static void
fuzz_ws(const char *p, size_t n, size_t max, unsigned seed)
{
	struct fuzz_log la = { BUF_INIT, NULL, 0 }, lb = { BUF_INIT, NULL, 0 };
	struct ws a, b;
	int ra, rb;

	ra = fuzz_ws_run(&a, &la, p, n, max, NULL);
	rb = fuzz_ws_run(&b, &lb, p, n, max, &seed);
	FUZZ_CHECK(ra == rb);
	FUZZ_CHECK(buf_used(&la.out) == buf_used(&lb.out));
	FUZZ_CHECK(memcmp(buf_peek(&la.out), buf_peek(&lb.out),
	    buf_used(&la.out)) == 0);
	FUZZ_CHECK(ws_done(&a) == ws_done(&b));
	if (ra == -1) {
		FUZZ_CHECK(a.error == b.error);
		FUZZ_CHECK(a.error == WS_CLOSE_PROTOCOL ||
		    a.error == WS_CLOSE_UNSUPPORTED ||
		    a.error == WS_CLOSE_INVALID ||
		    a.error == WS_CLOSE_TOO_BIG);
		FUZZ_CHECK(a.why != NULL && ws_done(&a));
	}
	FUZZ_CHECK(buf_used(&a.msg) <= max);
	fuzz_ws_reencode(&la.out, max);
	ws_free(&a);
	ws_free(&b);
	buf_free(&la.out);
	buf_free(&lb.out);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 2)
		return 0;
	if ((data[0] & 1) == 0)
		fuzz_http((const char *)data + 1, size - 1, data[0]);
	else
		fuzz_ws((const char *)data + 2, size - 2, 1 + data[1] * 4u,
		    data[0]);
	return 0;
}
