/* test_ws: WebSocket frames, both ways, and the handshake's key and checks. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "http.h"
#include "unit.h"
#include "ws.h"

#define EV_MAX	16

/* What the callback saw, in order. */
struct seen {
	int		 n;		/* events recorded */
	enum ws_event	 ev[EV_MAX];	/* each event */
	char		*data[EV_MAX];	/* its payload, NUL-terminated copy */
	size_t		 len[EV_MAX];	/* its length */
	unsigned	 code[EV_MAX];	/* close code, for WS_EV_CLOSE */
	int		 stop_at;	/* return 7 at this event number */
	struct ws	*w;		/* the parser, for close_code */
};

/* A growing byte string of frames, as a client would send them. */
struct wire {
	unsigned char	*p;		/* bytes */
	size_t		 n;		/* bytes at p */
};

static const unsigned char test_mask[4] = { 0x37, 0xfa, 0x21, 0x3d };

static int
record(void *arg, enum ws_event ev, const char *p, size_t n)
{
	struct seen *s = arg;
	int i = s->n;

	assert_true(i < EV_MAX);
	s->ev[i] = ev;
	s->len[i] = n;
	s->data[i] = malloc(n + 1);
	assert_non_null(s->data[i]);
	if (n > 0)
		memcpy(s->data[i], p, n);
	s->data[i][n] = '\0';
	s->code[i] = ev == WS_EV_CLOSE ? s->w->close_code : 0;
	s->n++;
	return s->n == s->stop_at ? 7 : 0;
}

static void
seen_free(struct seen *s)
{
	int i;

	for (i = 0; i < s->n; i++)
		free(s->data[i]);
	memset(s, 0, sizeof *s);
}

/* Append a frame; masked (as from a client) when mask is not NULL. */
#define frame(w, first, len, payload, mask) \
	frame_at((w), (first), (len), (payload), (mask), __FILE__, __LINE__)

/* frame(), failing at file:line. */
static void
frame_at(struct wire *w, unsigned first, uint64_t len, const void *payload,
    const unsigned char *mask, const char *file, int line)
{
	unsigned char hdr[WS_HEADER_MAX];
	size_t h;

	h = ws_header(hdr, first & 0x0f, (first & 0x80) != 0, len, mask);
	hdr[0] |= (unsigned char)(first & 0x70);	/* RSV bits, for tests */
	w->p = realloc(w->p, w->n + h + (size_t)len);
	u_true(w->p != NULL, file, line);
	memcpy(w->p + w->n, hdr, h);
	if (len > 0)
		memcpy(w->p + w->n + h, payload, (size_t)len);
	if (mask != NULL)
		ws_mask(w->p + w->n + h, (size_t)len, mask, 0);
	w->n += h + (size_t)len;
}

/* A masked frame with a text payload. */
#define cframe(w, first, text) \
	cframe_at((w), (first), (text), __FILE__, __LINE__)

/* cframe(), failing at file:line. */
static void
cframe_at(struct wire *w, unsigned first, const char *text, const char *file,
    int line)
{
	frame_at(w, first, strlen(text), text, test_mask, file, line);
}

/* Feed the wire to a fresh server-side parser in chunks of chunk bytes
 * (0: all at once); returns what the last ws_feed() returned. */
static int
feed(struct ws *p, struct seen *s, const struct wire *w, size_t max,
    size_t chunk)
{
	size_t i, n;
	int r = 0;

	ws_init(p, max, true);
	memset(s, 0, sizeof *s);
	s->w = p;
	if (chunk == 0)
		chunk = w->n > 0 ? w->n : 1;
	for (i = 0; i < w->n && r == 0; i += n) {
		n = w->n - i < chunk ? w->n - i : chunk;
		r = ws_feed(p, (const char *)w->p + i, n, record, s);
	}
	return r;
}

/* Expect the wire to fail with close code code, whole and bytewise,
 * after the events already expected (nev of them). */
#define expect_fail(w, max, code, nev) \
	expect_fail_at((w), (max), (code), (nev), __FILE__, __LINE__)

/* expect_fail(), failing at file:line. */
static void
expect_fail_at(const struct wire *w, size_t max, unsigned code, int nev,
    const char *file, int line)
{
	struct ws p;
	struct seen s;
	size_t chunk;

	for (chunk = 0; chunk <= 1; chunk++) {
		u_int_eq(feed(&p, &s, w, max, chunk), -1, file, line);
		u_int_eq(p.error, code, file, line);
		u_true(p.why != NULL, file, line);
		u_true(ws_done(&p), file, line);
		u_int_eq(s.n, nev, file, line);
		seen_free(&s);
		ws_free(&p);
	}
}

static void
wire_free(struct wire *w)
{
	free(w->p);
	w->p = NULL;
	w->n = 0;
}

/* ---------------------------------------------------------------------
 * The handshake
 * ------------------------------------------------------------------- */

/* RFC 6455, 1.3: the example key and its accept value. */
static void
test_accept_key(void **state)
{
	static const char key[] = "dGhlIHNhbXBsZSBub25jZQ==";
	char out[WS_ACCEPT_LEN + 1];

	(void)state;
	memset(out, '#', sizeof out);
	ws_accept_key(key, strlen(key), out);
	assert_string_equal(out, "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=");
	assert_int_equal(strlen(out), WS_ACCEPT_LEN);
}

/* Parse a head built from the RFC example, with lines replaced, as if
 * it came to a listener at 127.0.0.1:8080. */
#define check_head(head, origins, norigins) \
	check_head_at((head), (origins), (norigins), "127.0.0.1", 8080, \
	    __FILE__, __LINE__)

/* check_head() for a listener at addr, port. */
#define check_at(head, addr, port) \
	check_head_at((head), NULL, 0, (addr), (port), __FILE__, __LINE__)

/* check_head(), failing at file:line. */
static unsigned
check_head_at(const char *head, const char *const *origins, size_t norigins,
    const char *addr, unsigned port, const char *file, int line)
{
	struct http_request r;
	union net_addr self;
	const char *why;
	size_t used;
	unsigned st;

	memset(&self, 0, sizeof self);
	u_int_eq(net_addr_parse(addr, port, &self), 0, file, line);
	http_init(&r);
	u_int_eq(http_feed(&r, head, strlen(head), &used), HTTP_DONE, file,
	    line);
	st = ws_handshake_check(&r, origins, norigins, &self, false, &why);
	if (st != 0)
		u_true(why != NULL, file, line);
	else
		u_true(why == NULL, file, line);
	return st;
}

#define HS_GOOD_TAIL \
	"Upgrade: websocket\r\nConnection: Upgrade\r\n" \
	"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n" \
	"Sec-WebSocket-Version: 13\r\n"

static void
test_handshake_check(void **state)
{
	static const char *const allowed[] = { "https://chat.example.org/",
	    "http://example.com" };

	(void)state;
	/* No Origin: not a browser page; accepted. */
	assert_int_equal(check_head("GET /ws HTTP/1.1\r\nHost: h\r\n"
	    HS_GOOD_TAIL "\r\n", NULL, 0), 0);
	/* The RFC's example comes from another origin: refused... */
	assert_int_equal(check_head("GET /chat HTTP/1.1\r\n"
	    "Host: server.example.com\r\nOrigin: http://example.com\r\n"
	    HS_GOOD_TAIL "\r\n", NULL, 0), 403);
	/* ...unless allowed (trailing slash and case do not matter). */
	assert_int_equal(check_head("GET /chat HTTP/1.1\r\n"
	    "Host: server.example.com\r\nOrigin: HTTP://EXAMPLE.COM\r\n"
	    HS_GOOD_TAIL "\r\n", allowed, 2), 0);
	assert_int_equal(check_head("GET /chat HTTP/1.1\r\n"
	    "Host: server.example.com\r\nOrigin: https://chat.example.org\r\n"
	    HS_GOOD_TAIL "\r\n", allowed, 2), 0);
	assert_int_equal(check_head("GET /chat HTTP/1.1\r\n"
	    "Host: server.example.com\r\nOrigin: https://chat.example.org:8443\r\n"
	    HS_GOOD_TAIL "\r\n", allowed, 2), 403);

	/* Same origin: the listener's own address and port. */
	assert_int_equal(check_head("GET /ws HTTP/1.1\r\nHost: 127.0.0.1:8080\r\n"
	    "Origin: http://127.0.0.1:8080\r\n" HS_GOOD_TAIL "\r\n", NULL, 0),
	    0);
	assert_int_equal(check_head("GET /ws HTTP/1.1\r\nHost: 127.0.0.1:8080\r\n"
	    "Origin: http://127.0.0.1:8081\r\n" HS_GOOD_TAIL "\r\n", NULL, 0),
	    403);
	assert_int_equal(check_head("GET /ws HTTP/1.1\r\nHost: 127.0.0.1:8080\r\n"
	    "Origin: http://127.0.0.1:80801\r\n" HS_GOOD_TAIL "\r\n", NULL, 0),
	    403);
	assert_int_equal(check_head("GET /ws HTTP/1.1\r\nHost: h.example\r\n"
	    "Origin: http://h.example.evil\r\n" HS_GOOD_TAIL "\r\n", NULL, 0),
	    403);
	assert_int_equal(check_head("GET /ws HTTP/1.1\r\nHost: h\r\n"
	    "Origin: null\r\n" HS_GOOD_TAIL "\r\n", NULL, 0), 403);
	assert_int_equal(check_head("GET /ws HTTP/1.1\r\nHost: h\r\n"
	    "Origin: file://h\r\n" HS_GOOD_TAIL "\r\n", NULL, 0), 403);
}

#define HS_ORIGIN(o) "GET /ws HTTP/1.1\r\nHost: x\r\nOrigin: " o "\r\n" \
	HS_GOOD_TAIL "\r\n"

/*
 * Same origin is the listener itself, whatever the request's Host says: a
 * DNS-rebinding page sends its own name in both Host and Origin.
 */
static void
test_handshake_self(void **state)
{
	(void)state;
	/* Rebinding: the attacker's name with our port, Host to match. */
	assert_int_equal(check_head("GET /ws HTTP/1.1\r\n"
	    "Host: attacker.example:8080\r\n"
	    "Origin: http://attacker.example:8080\r\n" HS_GOOD_TAIL "\r\n",
	    NULL, 0), 403);
	/* Loopback listeners: the address or localhost, any case. */
	assert_int_equal(check_at(HS_ORIGIN("http://127.0.0.1:8080"),
	    "127.0.0.1", 8080), 0);
	assert_int_equal(check_at(HS_ORIGIN("http://localhost:8080"),
	    "127.0.0.1", 8080), 0);
	assert_int_equal(check_at(HS_ORIGIN("HTTP://LocalHost:8080"),
	    "127.0.0.1", 8080), 0);
	assert_int_equal(check_at(HS_ORIGIN("http://localhost:8080"),
	    "127.0.0.2", 8080), 0);
	assert_int_equal(check_at(HS_ORIGIN("http://[::1]:8080"),
	    "::1", 8080), 0);
	assert_int_equal(check_at(HS_ORIGIN("http://localhost:8080"),
	    "::1", 8080), 0);
	assert_int_equal(check_at(HS_ORIGIN("http://[0:0::1]:8080"),
	    "::1", 8080), 0);
	/* Port 80 may be left out. */
	assert_int_equal(check_at(HS_ORIGIN("http://127.0.0.1"),
	    "127.0.0.1", 80), 0);
	assert_int_equal(check_at(HS_ORIGIN("http://localhost"),
	    "127.0.0.1", 8080), 403);
	/* The scheme counts: the listener is plain HTTP. */
	assert_int_equal(check_at(HS_ORIGIN("https://127.0.0.1:8080"),
	    "127.0.0.1", 8080), 403);
	assert_int_equal(check_at(HS_ORIGIN("https://localhost:8080"),
	    "127.0.0.1", 8080), 403);
	assert_int_equal(check_at(HS_ORIGIN("ws://127.0.0.1:8080"),
	    "127.0.0.1", 8080), 403);
	/* Another address, family or port. */
	assert_int_equal(check_at(HS_ORIGIN("http://127.0.0.2:8080"),
	    "127.0.0.1", 8080), 403);
	assert_int_equal(check_at(HS_ORIGIN("http://[::1]:8080"),
	    "127.0.0.1", 8080), 403);
	assert_int_equal(check_at(HS_ORIGIN("http://127.0.0.1:8080"),
	    "::1", 8080), 403);
	assert_int_equal(check_at(HS_ORIGIN("http://127.0.0.1:08080x"),
	    "127.0.0.1", 8080), 403);
	assert_int_equal(check_at(HS_ORIGIN("http://127.0.0.1:"),
	    "127.0.0.1", 80), 403);
	/* localhost only names a loopback listener. */
	assert_int_equal(check_at(HS_ORIGIN("http://localhost:8080"),
	    "192.0.2.7", 8080), 403);
	assert_int_equal(check_at(HS_ORIGIN("http://192.0.2.7:8080"),
	    "192.0.2.7", 8080), 0);
	assert_int_equal(check_at(HS_ORIGIN("http://localhost.:8080"),
	    "127.0.0.1", 8080), 403);
	assert_int_equal(check_at(HS_ORIGIN("http://sub.localhost:8080"),
	    "127.0.0.1", 8080), 403);
	/* Not an origin: a path, user info, an unclosed bracket. */
	assert_int_equal(check_at(HS_ORIGIN("http://127.0.0.1:8080/"),
	    "127.0.0.1", 8080), 403);
	assert_int_equal(check_at(HS_ORIGIN("http://u@127.0.0.1:8080"),
	    "127.0.0.1", 8080), 403);
	assert_int_equal(check_at(HS_ORIGIN("http://[::1:8080"),
	    "::1", 8080), 403);
	assert_int_equal(check_at(HS_ORIGIN("http://"), "127.0.0.1", 80),
	    403);
	/* A hostname that is our address is not enough: names rebind. */
	assert_int_equal(check_at(HS_ORIGIN("http://lobby.example:8080"),
	    "127.0.0.1", 8080), 403);
	/* No listener address: only --web-origin pages. */
	assert_false(ws_origin_is_self("http://127.0.0.1:8080", NULL, false));
}

static void
test_handshake_bad(void **state)
{
	(void)state;
	assert_int_equal(check_head("POST /ws HTTP/1.1\r\nHost: h\r\n"
	    HS_GOOD_TAIL "\r\n", NULL, 0), 400);
	assert_int_equal(check_head("GET /ws HTTP/1.0\r\nHost: h\r\n"
	    HS_GOOD_TAIL "\r\n", NULL, 0), 400);
	assert_int_equal(check_head("GET /ws HTTP/1.1\r\nHost: h\r\n"
	    "Connection: Upgrade\r\n"
	    "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
	    "Sec-WebSocket-Version: 13\r\n\r\n", NULL, 0), 400);
	assert_int_equal(check_head("GET /ws HTTP/1.1\r\nHost: h\r\n"
	    "Upgrade: websocket\r\nConnection: keep-alive\r\n"
	    "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
	    "Sec-WebSocket-Version: 13\r\n\r\n", NULL, 0), 400);
	assert_int_equal(check_head("GET /ws HTTP/1.1\r\nHost: h\r\n"
	    "Upgrade: websocket\r\nConnection: Upgrade\r\n"
	    "Sec-WebSocket-Version: 13\r\n\r\n", NULL, 0), 400);
	/* A key must be 16 bytes: "the sample nonce" is. */
	assert_int_equal(check_head("GET /ws HTTP/1.1\r\nHost: h\r\n"
	    "Upgrade: websocket\r\nConnection: Upgrade\r\n"
	    "Sec-WebSocket-Key: dGhlIHNhbXBsZQ==\r\n"
	    "Sec-WebSocket-Version: 13\r\n\r\n", NULL, 0), 400);
	assert_int_equal(check_head("GET /ws HTTP/1.1\r\nHost: h\r\n"
	    "Upgrade: websocket\r\nConnection: Upgrade\r\n"
	    "Sec-WebSocket-Key: not base64 at all!!!!!!!\r\n"
	    "Sec-WebSocket-Version: 13\r\n\r\n", NULL, 0), 400);
	assert_int_equal(check_head("GET /ws HTTP/1.1\r\nHost: h\r\n"
	    HS_GOOD_TAIL "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n",
	    NULL, 0), 400);
	assert_int_equal(check_head("GET /ws HTTP/1.1\r\nHost: h\r\n"
	    "Upgrade: websocket\r\nConnection: Upgrade\r\n"
	    "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
	    "Sec-WebSocket-Version: 8\r\n\r\n", NULL, 0), 400);
	assert_int_equal(check_head("GET /ws HTTP/1.1\r\nHost: h\r\n"
	    "Upgrade: websocket\r\nConnection: Upgrade\r\n"
	    "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n", NULL, 0),
	    400);
	assert_int_equal(check_head("GET /ws HTTP/1.1\r\nHost: h\r\n"
	    HS_GOOD_TAIL "Content-Length: 3\r\n\r\n", NULL, 0), 400);
}

/* ---------------------------------------------------------------------
 * The encoder
 * ------------------------------------------------------------------- */

static void
test_header_length_forms(void **state)
{
	static const struct {
		uint64_t	len;		/* payload length */
		size_t		hlen;		/* header length, unmasked */
		unsigned char	b1;		/* the second byte */
	} cases[] = {
		{ 0, 2, 0 }, { 1, 2, 1 }, { 125, 2, 125 },
		{ 126, 4, 126 }, { 65535, 4, 126 },
		{ 65536, 10, 127 }, { (uint64_t)1 << 40, 10, 127 },
	};
	unsigned char h[WS_HEADER_MAX];
	uint64_t v;
	size_t i, k, n;

	(void)state;
	for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		n = ws_header(h, WS_OP_TEXT, true, cases[i].len, NULL);
		assert_int_equal(n, cases[i].hlen);
		assert_int_equal(h[0], 0x81);
		assert_int_equal(h[1], cases[i].b1);
		for (v = 0, k = 2; k < n; k++)
			v = v << 8 | h[k];
		if (n > 2)
			assert_true(v == cases[i].len);
		n = ws_header(h, WS_OP_CONT, false, cases[i].len, test_mask);
		assert_int_equal(n, cases[i].hlen + 4);
		assert_int_equal(h[0], 0x00);
		assert_int_equal(h[1], 0x80 | cases[i].b1);
		assert_memory_equal(h + n - 4, test_mask, 4);
	}
}

/* RFC 6455, 5.7: the example frames, byte for byte. */
static void
test_rfc_examples(void **state)
{
	static const unsigned char hello[] =
	    { 0x81, 0x05, 0x48, 0x65, 0x6c, 0x6c, 0x6f };
	static const unsigned char masked[] =
	    { 0x81, 0x85, 0x37, 0xfa, 0x21, 0x3d, 0x7f, 0x9f, 0x4d, 0x51, 0x58 };
	static const unsigned char frag[] =
	    { 0x01, 0x03, 0x48, 0x65, 0x6c, 0x80, 0x02, 0x6c, 0x6f };
	static const unsigned char ping[] =
	    { 0x89, 0x05, 0x48, 0x65, 0x6c, 0x6c, 0x6f };
	struct wire w = { NULL, 0 };
	struct seen s;
	struct ws p;

	(void)state;
	/* Encoding "Hello" gives the RFC's bytes, unmasked and masked. */
	cframe(&w, 0x81, "Hello");
	assert_int_equal(w.n, sizeof masked);
	assert_memory_equal(w.p, masked, sizeof masked);
	wire_free(&w);
	frame(&w, 0x81, 5, "Hello", NULL);
	assert_memory_equal(w.p, hello, sizeof hello);
	wire_free(&w);

	/* The masked one, as a server reads it. */
	ws_init(&p, 1024, true);
	memset(&s, 0, sizeof s);
	s.w = &p;
	assert_int_equal(ws_feed(&p, (const char *)masked, sizeof masked,
	    record, &s), 0);
	assert_int_equal(s.n, 1);
	assert_int_equal(s.ev[0], WS_EV_TEXT);
	assert_string_equal(s.data[0], "Hello");
	seen_free(&s);
	ws_free(&p);

	/* The unmasked ones, as a client reads them. */
	ws_init(&p, 1024, false);
	s.w = &p;
	assert_int_equal(ws_feed(&p, (const char *)hello, sizeof hello,
	    record, &s), 0);
	assert_int_equal(ws_feed(&p, (const char *)frag, sizeof frag,
	    record, &s), 0);
	assert_int_equal(ws_feed(&p, (const char *)ping, sizeof ping,
	    record, &s), 0);
	assert_int_equal(s.n, 3);
	assert_string_equal(s.data[0], "Hello");
	assert_string_equal(s.data[1], "Hel" "lo");
	assert_int_equal(s.ev[2], WS_EV_PING);
	assert_string_equal(s.data[2], "Hello");
	seen_free(&s);
	ws_free(&p);
}

/* Queued lines become one text frame each, without their LF. */
static void
test_frame_lines(void **state)
{
	static const unsigned char want[] = { 0x81, 1, 'a', 0x81, 2, 'b', 'b',
	    0x81, 0 };
	struct buf out = BUF_INIT;
	struct seen s;
	struct ws p;
	char big[300];
	long n;

	(void)state;
	/* An unfinished line stays where it is. */
	n = ws_frame_lines(&out, "a\nbb\n\ncc", 9, 1000);
	assert_int_equal(n, 6);
	assert_int_equal(buf_used(&out), sizeof want);
	assert_memory_equal(buf_peek(&out), want, sizeof want);
	assert_int_equal(ws_frame_lines(&out, "cc", 2, 1000), 0);
	buf_clear(&out);

	/* The limit stops before a line that would pass it... */
	n = ws_frame_lines(&out, "1234\n5678\n", 10, 8);
	assert_int_equal(n, 5);
	assert_int_equal(buf_used(&out), 6);
	/* ...but one line always goes, however long. */
	memset(big, 'x', sizeof big);
	big[sizeof big - 1] = '\n';
	buf_clear(&out);
	n = ws_frame_lines(&out, big, sizeof big, 10);
	assert_int_equal(n, (long)sizeof big);
	assert_int_equal(buf_used(&out), 4 + sizeof big - 1);

	/* What comes out is what a client parser reads back. */
	assert_int_equal(ws_frame_lines(&out, "hi \xc3\xa9\n", 6, 10000), 6);
	ws_init(&p, 1000, false);
	memset(&s, 0, sizeof s);
	s.w = &p;
	assert_int_equal(ws_feed(&p, buf_peek(&out), buf_used(&out), record,
	    &s), 0);
	assert_int_equal(s.n, 2);
	assert_int_equal(s.len[0], sizeof big - 1);
	assert_string_equal(s.data[1], "hi \xc3\xa9");
	seen_free(&s);
	ws_free(&p);
	buf_free(&out);
}

/* ---------------------------------------------------------------------
 * The parser
 * ------------------------------------------------------------------- */

/* Every length form, whole and in every chunk size that matters. */
static void
test_every_length(void **state)
{
	static const size_t lens[] = { 0, 1, 125, 126, 127, 65535, 65536,
	    70001 };
	static const size_t chunks[] = { 0, 1, 2, 3, 7, 4096 };
	struct wire w = { NULL, 0 };
	struct seen s;
	struct ws p;
	char *text;
	size_t i, k, j;

	(void)state;
	text = malloc(70001);
	assert_non_null(text);
	for (j = 0; j < 70001; j++)
		text[j] = (char)('a' + j % 26);
	for (i = 0; i < sizeof lens / sizeof lens[0]; i++) {
		frame(&w, 0x81, lens[i], text, test_mask);
		for (k = 0; k < sizeof chunks / sizeof chunks[0]; k++) {
			if (chunks[k] == 1 && lens[i] > 200)
				continue;	/* slow, and proves nothing more */
			assert_int_equal(feed(&p, &s, &w, 70001, chunks[k]), 0);
			assert_int_equal(s.n, 1);
			assert_int_equal(s.ev[0], WS_EV_TEXT);
			assert_int_equal(s.len[0], lens[i]);
			assert_memory_equal(s.data[0], text, lens[i]);
			assert_false(ws_done(&p));
			seen_free(&s);
			ws_free(&p);
		}
		wire_free(&w);
	}
	free(text);
}

/* A length in a longer form than needed is still read right. */
static void
test_non_minimal_length(void **state)
{
	static const unsigned char f[] = { 0x81, 0x80 | 126, 0, 2, 1, 2, 3, 4,
	    'h' ^ 1, 'i' ^ 2 };
	struct wire w = { (unsigned char *)(uintptr_t)f, sizeof f };
	struct seen s;
	struct ws p;

	(void)state;
	assert_int_equal(feed(&p, &s, &w, 100, 0), 0);
	assert_int_equal(s.n, 1);
	assert_string_equal(s.data[0], "hi");
	seen_free(&s);
	ws_free(&p);
}

/* Several frames in one chunk come out in order. */
static void
test_back_to_back(void **state)
{
	struct wire w = { NULL, 0 };
	struct seen s;
	struct ws p;

	(void)state;
	cframe(&w, 0x81, "one");
	cframe(&w, 0x81, "");
	cframe(&w, 0x89, "p");
	cframe(&w, 0x81, "two");
	assert_int_equal(feed(&p, &s, &w, 100, 0), 0);
	assert_int_equal(s.n, 4);
	assert_string_equal(s.data[0], "one");
	assert_int_equal(s.ev[1], WS_EV_TEXT);
	assert_int_equal(s.len[1], 0);
	assert_int_equal(s.ev[2], WS_EV_PING);
	assert_string_equal(s.data[3], "two");
	seen_free(&s);
	ws_free(&p);
	wire_free(&w);
}

/* Fragments reassemble; pings and pongs between them come out first. */
static void
test_fragmentation_with_controls(void **state)
{
	struct wire w = { NULL, 0 };
	struct seen s;
	struct ws p;
	size_t chunk;

	(void)state;
	cframe(&w, 0x01, "Hel");
	cframe(&w, 0x89, "are you there");
	cframe(&w, 0x00, "");
	cframe(&w, 0x00, "l");
	cframe(&w, 0x8a, "");
	cframe(&w, 0x00, "o w\xc3");	/* UTF-8 split across fragments */
	cframe(&w, 0x80, "\xa9");
	cframe(&w, 0x81, "next");
	for (chunk = 0; chunk <= 5; chunk++) {
		assert_int_equal(feed(&p, &s, &w, 100, chunk), 0);
		assert_int_equal(s.n, 4);
		assert_int_equal(s.ev[0], WS_EV_PING);
		assert_string_equal(s.data[0], "are you there");
		assert_int_equal(s.ev[1], WS_EV_PONG);
		assert_int_equal(s.len[1], 0);
		assert_int_equal(s.ev[2], WS_EV_TEXT);
		assert_string_equal(s.data[2], "Hello w\xc3\xa9");
		assert_string_equal(s.data[3], "next");
		seen_free(&s);
		ws_free(&p);
	}
	wire_free(&w);
}

/* A close between fragments ends the stream; the message is dropped. */
static void
test_close_between_fragments(void **state)
{
	struct wire w = { NULL, 0 };
	struct seen s;
	struct ws p;

	(void)state;
	cframe(&w, 0x01, "part");
	frame(&w, 0x88, 2, "\x03\xe8", test_mask);
	cframe(&w, 0x80, "ignored");
	assert_int_equal(feed(&p, &s, &w, 100, 0), 0);
	assert_int_equal(s.n, 1);
	assert_int_equal(s.ev[0], WS_EV_CLOSE);
	assert_int_equal(s.code[0], 1000);
	assert_true(ws_done(&p));
	seen_free(&s);
	ws_free(&p);
	wire_free(&w);
}

static void
test_close_frames(void **state)
{
	static const unsigned good[] = { 1000, 1001, 1002, 1003, 1007, 1008,
	    1009, 1010, 1011, 1012, 1013, 1014, 3000, 3999, 4000, 4999 };
	static const unsigned bad[] = { 0, 999, 1004, 1005, 1006, 1015, 1016,
	    2000, 2999, 5000, 65535 };
	struct wire w = { NULL, 0 };
	unsigned char pl[8];
	struct seen s;
	struct ws p;
	size_t i;

	(void)state;
	/* No payload: no status (1005), no reason. */
	frame(&w, 0x88, 0, NULL, test_mask);
	cframe(&w, 0x81, "after the close: ignored");
	assert_int_equal(feed(&p, &s, &w, 100, 0), 0);
	assert_int_equal(s.n, 1);
	assert_int_equal(s.code[0], WS_CLOSE_NO_STATUS);
	assert_int_equal(s.len[0], 0);
	/* Nothing more comes out once closed. */
	assert_int_equal(ws_feed(&p, (const char *)w.p, w.n, record, &s), 0);
	assert_int_equal(s.n, 1);
	seen_free(&s);
	ws_free(&p);
	wire_free(&w);

	/* A code and a UTF-8 reason. */
	frame(&w, 0x88, 9, "\x0f\xa0" "bye \xe2\x9c\x93", test_mask);
	assert_int_equal(feed(&p, &s, &w, 100, 1), 0);
	assert_int_equal(s.code[0], 4000);
	assert_string_equal(s.data[0], "bye \xe2\x9c\x93");
	seen_free(&s);
	ws_free(&p);
	wire_free(&w);

	for (i = 0; i < sizeof good / sizeof good[0]; i++) {
		assert_true(ws_close_code_valid(good[i]));
		pl[0] = (unsigned char)(good[i] >> 8);
		pl[1] = (unsigned char)good[i];
		frame(&w, 0x88, 2, pl, test_mask);
		assert_int_equal(feed(&p, &s, &w, 100, 0), 0);
		assert_int_equal(s.code[0], good[i]);
		seen_free(&s);
		ws_free(&p);
		wire_free(&w);
	}
	for (i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		assert_false(ws_close_code_valid(bad[i]));
		pl[0] = (unsigned char)(bad[i] >> 8);
		pl[1] = (unsigned char)bad[i];
		frame(&w, 0x88, 2, pl, test_mask);
		expect_fail(&w, 100, WS_CLOSE_PROTOCOL, 0);
		wire_free(&w);
	}
	/* One byte of payload cannot hold a code. */
	frame(&w, 0x88, 1, "\x03", test_mask);
	expect_fail(&w, 100, WS_CLOSE_PROTOCOL, 0);
	wire_free(&w);
	/* A reason that is not UTF-8. */
	frame(&w, 0x88, 4, "\x03\xe8\xc0\xaf", test_mask);
	expect_fail(&w, 100, WS_CLOSE_INVALID, 0);
	wire_free(&w);
}

static void
test_bad_opcodes(void **state)
{
	static const unsigned ops[] = { 3, 4, 5, 6, 7, 0xb, 0xc, 0xd, 0xe,
	    0xf };
	struct wire w = { NULL, 0 };
	size_t i;

	(void)state;
	for (i = 0; i < sizeof ops / sizeof ops[0]; i++) {
		cframe(&w, 0x81, "fine");
		cframe(&w, 0x80 | ops[i], "x");
		expect_fail(&w, 100, WS_CLOSE_PROTOCOL, 1);
		wire_free(&w);
	}
}

static void
test_reserved_bits(void **state)
{
	static const unsigned rsv[] = { 0x40, 0x20, 0x10, 0x70 };
	struct wire w = { NULL, 0 };
	size_t i;

	(void)state;
	for (i = 0; i < sizeof rsv / sizeof rsv[0]; i++) {
		cframe(&w, 0x81 | rsv[i], "x");
		expect_fail(&w, 100, WS_CLOSE_PROTOCOL, 0);
		wire_free(&w);
		cframe(&w, 0x89 | rsv[i], "x");
		expect_fail(&w, 100, WS_CLOSE_PROTOCOL, 0);
		wire_free(&w);
	}
}

/* A client must mask, a server must not. */
static void
test_masking_rules(void **state)
{
	struct wire w = { NULL, 0 };
	struct seen s;
	struct ws p;

	(void)state;
	frame(&w, 0x81, 2, "hi", NULL);
	expect_fail(&w, 100, WS_CLOSE_PROTOCOL, 0);
	wire_free(&w);

	cframe(&w, 0x81, "hi");
	ws_init(&p, 100, false);
	memset(&s, 0, sizeof s);
	s.w = &p;
	assert_int_equal(ws_feed(&p, (const char *)w.p, w.n, record, &s), -1);
	assert_int_equal(p.error, WS_CLOSE_PROTOCOL);
	assert_int_equal(s.n, 0);
	ws_free(&p);
	wire_free(&w);
}

static void
test_binary_refused(void **state)
{
	struct wire w = { NULL, 0 };

	(void)state;
	frame(&w, 0x82, 3, "\x00\x01\x02", test_mask);
	expect_fail(&w, 100, WS_CLOSE_UNSUPPORTED, 0);
	wire_free(&w);
	/* Refused at the first fragment, before any payload is kept. */
	frame(&w, 0x02, 3, "\x00\x01\x02", test_mask);
	expect_fail(&w, 100, WS_CLOSE_UNSUPPORTED, 0);
	wire_free(&w);
}

static void
test_fragment_order(void **state)
{
	struct wire w = { NULL, 0 };

	(void)state;
	/* A continuation with nothing to continue. */
	cframe(&w, 0x80, "x");
	expect_fail(&w, 100, WS_CLOSE_PROTOCOL, 0);
	wire_free(&w);
	/* A new message while one is unfinished. */
	cframe(&w, 0x01, "a");
	cframe(&w, 0x81, "b");
	expect_fail(&w, 100, WS_CLOSE_PROTOCOL, 0);
	wire_free(&w);
	/* A fragmented control frame. */
	cframe(&w, 0x09, "a");
	expect_fail(&w, 100, WS_CLOSE_PROTOCOL, 0);
	wire_free(&w);
}

static void
test_control_too_long(void **state)
{
	struct wire w = { NULL, 0 };
	char big[126];

	(void)state;
	memset(big, 'p', sizeof big);
	frame(&w, 0x89, 125, big, test_mask);
	frame(&w, 0x89, 126, big, test_mask);
	expect_fail(&w, 100, WS_CLOSE_PROTOCOL, 1);
	wire_free(&w);
}

/* Over the limit: 1009, decided from the header alone. */
static void
test_too_big(void **state)
{
	struct wire w = { NULL, 0 };
	unsigned char h[WS_HEADER_MAX];
	struct seen s;
	struct ws p;
	char text[101];
	size_t n;

	(void)state;
	memset(text, 't', sizeof text);
	frame(&w, 0x81, 100, text, test_mask);
	assert_int_equal(feed(&p, &s, &w, 100, 0), 0);
	assert_int_equal(s.len[0], 100);
	seen_free(&s);
	ws_free(&p);
	wire_free(&w);

	frame(&w, 0x81, 101, text, test_mask);
	expect_fail(&w, 100, WS_CLOSE_TOO_BIG, 0);
	wire_free(&w);

	/* Fragments adding up to more than the limit. */
	frame(&w, 0x01, 60, text, test_mask);
	frame(&w, 0x80, 41, text, test_mask);
	expect_fail(&w, 100, WS_CLOSE_TOO_BIG, 0);
	wire_free(&w);

	/* A header announcing 2^40 bytes fails with no payload sent. */
	n = ws_header(h, WS_OP_TEXT, true, (uint64_t)1 << 40, test_mask);
	ws_init(&p, 100, true);
	assert_int_equal(ws_feed(&p, (const char *)h, n, record, &s), -1);
	assert_int_equal(p.error, WS_CLOSE_TOO_BIG);
	ws_free(&p);
	/* The top bit of a 64-bit length must be zero. */
	n = ws_header(h, WS_OP_TEXT, true, (uint64_t)1 << 63, test_mask);
	ws_init(&p, 100, true);
	assert_int_equal(ws_feed(&p, (const char *)h, n, record, &s), -1);
	assert_int_equal(p.error, WS_CLOSE_PROTOCOL);
	ws_free(&p);
}

static void
test_invalid_utf8_text(void **state)
{
	struct wire w = { NULL, 0 };

	(void)state;
	cframe(&w, 0x81, "ok");
	cframe(&w, 0x81, "caf\xe9");
	expect_fail(&w, 100, WS_CLOSE_INVALID, 1);
	wire_free(&w);
	/* A message that ends inside a character. */
	cframe(&w, 0x01, "x\xe2\x82");
	cframe(&w, 0x80, "");
	expect_fail(&w, 100, WS_CLOSE_INVALID, 0);
	wire_free(&w);
}

static void
test_utf8_validator(void **state)
{
	static const char *good[] = { "", "plain", "\xc2\x80", "\xe2\x82\xac",
	    "\xf0\x9f\x98\x80", "\xf4\x8f\xbf\xbf", "\xed\x9f\xbf",
	    "\xee\x80\x80", "\x7f" };
	static const char *bad[] = { "\x80", "\xc0\x80", "\xc1\xbf",
	    "\xe0\x80\x80", "\xe0\x9f\xbf", "\xed\xa0\x80", "\xed\xbf\xbf",
	    "\xf0\x80\x80\x80", "\xf0\x8f\xbf\xbf", "\xf4\x90\x80\x80",
	    "\xf5\x80\x80\x80", "\xff", "\xc2", "\xe2\x82", "\xf0\x9f\x98",
	    "\xc2\x41", "\xe2\x28\xa1" };
	size_t i;

	(void)state;
	for (i = 0; i < sizeof good / sizeof good[0]; i++)
		assert_true(ws_utf8_valid(good[i], strlen(good[i])));
	for (i = 0; i < sizeof bad / sizeof bad[0]; i++)
		assert_false(ws_utf8_valid(bad[i], strlen(bad[i])));
	/* NUL is a character like another here; cleaning is not our job. */
	assert_true(ws_utf8_valid("a\0b", 3));
}

/* A non-zero return from the callback stops the feed and comes back. */
static void
test_callback_stops(void **state)
{
	struct wire w = { NULL, 0 };
	struct seen s;
	struct ws p;

	(void)state;
	cframe(&w, 0x81, "a");
	cframe(&w, 0x81, "b");
	cframe(&w, 0x81, "c");
	ws_init(&p, 100, true);
	memset(&s, 0, sizeof s);
	s.w = &p;
	s.stop_at = 2;
	assert_int_equal(ws_feed(&p, (const char *)w.p, w.n, record, &s), 7);
	assert_int_equal(s.n, 2);
	seen_free(&s);
	ws_free(&p);
	wire_free(&w);
}

/* The parser keeps no storage between messages once shrunk. */
static void
test_shrink(void **state)
{
	struct wire w = { NULL, 0 };
	struct seen s;
	struct ws p;

	(void)state;
	cframe(&w, 0x81, "hello");
	assert_int_equal(feed(&p, &s, &w, 100, 0), 0);
	ws_shrink(&p);
	assert_null(p.msg.data);
	seen_free(&s);
	ws_free(&p);
	wire_free(&w);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_accept_key),
		cmocka_unit_test(test_handshake_check),
		cmocka_unit_test(test_handshake_self),
		cmocka_unit_test(test_handshake_bad),
		cmocka_unit_test(test_header_length_forms),
		cmocka_unit_test(test_rfc_examples),
		cmocka_unit_test(test_frame_lines),
		cmocka_unit_test(test_every_length),
		cmocka_unit_test(test_non_minimal_length),
		cmocka_unit_test(test_back_to_back),
		cmocka_unit_test(test_fragmentation_with_controls),
		cmocka_unit_test(test_close_between_fragments),
		cmocka_unit_test(test_close_frames),
		cmocka_unit_test(test_bad_opcodes),
		cmocka_unit_test(test_reserved_bits),
		cmocka_unit_test(test_masking_rules),
		cmocka_unit_test(test_binary_refused),
		cmocka_unit_test(test_fragment_order),
		cmocka_unit_test(test_control_too_long),
		cmocka_unit_test(test_too_big),
		cmocka_unit_test(test_invalid_utf8_text),
		cmocka_unit_test(test_utf8_validator),
		cmocka_unit_test(test_callback_stops),
		cmocka_unit_test(test_shrink),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
