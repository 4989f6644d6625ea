/* test_web: --web over raw sockets: HTTP answers, limits, WebSocket members. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "harness.h"

/*
 * The WebSocket side of these tests is written here from RFC 6455 alone,
 * apart from server/ws.c on purpose: a frame reader for what the server
 * sends (unmasked) and a frame writer for what a browser sends (masked).
 */

#define RESP_MAX	(1 << 16)	/* largest HTTP answer read */
#define QUIET_MS	150		/* how long "nothing arrives" is watched */
#define HEAD_MS		5000		/* lobbyd's bound on a request head
					   (WEB_HEAD_MS), from its accept */

static const char ws_key[] = "dGhlIHNhbXBsZSBub25jZQ==";
static const char ws_accept[] = "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=";

/* One frame as read from the server. */
struct frame {
	unsigned	 op;		/* opcode */
	bool		 fin;		/* FIN bit */
	size_t		 len;		/* payload bytes */
	char		 data[1 << 16];	/* payload, NUL-terminated */
};

/* A started server with one web listener, and where it listens. */
struct web_server {
	struct h_server	 h;		/* the lobbyd */
	unsigned	 web;		/* port of the first --web listener */
};

/* ---------------------------------------------------------------------
 * Helpers
 * ------------------------------------------------------------------- */

/* Start lobbyd with --web 127.0.0.1:0 and the NULL-terminated extras. */
static void
start(struct web_server *w, ...)
{
	const char *args[32];
	va_list ap;
	int n = 0;

	args[n++] = "--web";
	args[n++] = "127.0.0.1:0";
	va_start(ap, w);
	while (n < 31 && (args[n] = va_arg(ap, const char *)) != NULL)
		n++;
	va_end(ap);
	args[n] = NULL;
	assert_int_equal(h_startv(&w->h, args), 0);
	w->web = h_web_port(&w->h, 0);
	assert_true(w->web > 0);
}

/* Wait until fd is readable (or writable, with out), at most ms. */
static bool
wait_fd(int fd, bool out, int ms)
{
	struct pollfd p = { fd, out ? POLLOUT : POLLIN, 0 };

	return poll(&p, 1, ms) == 1;
}

/* Send all of p[0..n) on fd, bounded in time. */
static void
send_all(int fd, const void *p, size_t n)
{
	const char *b = p;
	ssize_t k;

	while (n > 0) {
		assert_true(wait_fd(fd, true, H_TIMEOUT_MS));
		k = send(fd, b, n, MSG_NOSIGNAL);
		assert_true(k > 0);
		b += k;
		n -= (size_t)k;
	}
}

/* Read exactly n bytes, waiting at most ms in all; false on EOF/timeout. */
static bool
read_n(int fd, void *p, size_t n, int ms)
{
	long long end = h_now_ms() + ms;
	char *b = p;
	ssize_t k;

	while (n > 0) {
		if (!wait_fd(fd, false, (int)(end - h_now_ms() > 0 ?
		    end - h_now_ms() : 0)))
			return false;
		k = read(fd, b, n);
		if (k <= 0)
			return false;
		b += k;
		n -= (size_t)k;
	}
	return true;
}

/* Read until EOF (at most max - 1 bytes, ms in all); the text read. */
static size_t
read_all(int fd, char *buf, size_t max, int ms)
{
	long long end = h_now_ms() + ms;
	size_t n = 0;
	ssize_t k;

	while (n < max - 1 && h_now_ms() < end) {
		if (!wait_fd(fd, false, (int)(end - h_now_ms())))
			break;
		k = read(fd, buf + n, max - 1 - n);
		if (k <= 0)
			break;
		n += (size_t)k;
	}
	buf[n] = '\0';
	return n;
}

/* True when the peer closes fd within ms (anything before is skipped). */
static bool
closed_within(int fd, int ms)
{
	long long end = h_now_ms() + ms;
	char b[4096];
	ssize_t k;

	while (h_now_ms() < end) {
		if (!wait_fd(fd, false, (int)(end - h_now_ms())))
			return false;
		k = read(fd, b, sizeof b);
		if (k == 0 || (k == -1 && errno == ECONNRESET))
			return true;
	}
	return false;
}

/*
 * fd, an HTTP connection that never sent a byte, connected after t0 (ms),
 * has had nothing back: lobbyd answers it (408) HEAD_MS after its accept,
 * not before. Looked at once; an answer seen HEAD_MS after t0 or later
 * (the test itself held up on a loaded machine) proves nothing.
 */
#define still_waiting(fd, t0)	still_waiting_at((fd), (t0), __FILE__, __LINE__)
static void
still_waiting_at(int fd, long long t0, const char *file, int line)
{
	bool answered = wait_fd(fd, false, 0);
	long long at = h_now_ms() - t0;

	if (answered && at < HEAD_MS) {
		print_error("%s:%d: an idle HTTP connection was answered or "
		    "closed within %lld ms\n", file, line, at);
		_fail(file, line);
	}
}

/* A TCP connection to the web port. */
static int
web_connect(unsigned port)
{
	int fd = h_raw_connect(port);

	assert_true(fd != -1);
	return fd;
}

/* Send a whole request and read the whole answer (the server closes). */
static char *
http(unsigned port, const char *req)
{
	static char resp[RESP_MAX];
	int fd = web_connect(port);

	send_all(fd, req, strlen(req));
	read_all(fd, resp, sizeof resp, H_TIMEOUT_MS);
	close(fd);
	return resp;
}

/* The status code of an answer. */
static unsigned
status_of(const char *resp)
{
	unsigned st = 0;

	if (sscanf(resp, "HTTP/1.1 %u ", &st) != 1)
		return 0;
	return st;
}

/* The value of a field of an answer's head ("" if absent). */
static const char *
field_of(const char *resp, const char *name)
{
	static char v[512];
	const char *end = strstr(resp, "\r\n\r\n"), *p = resp;
	size_t n = strlen(name), k;

	v[0] = '\0';
	while ((p = strstr(p, "\r\n")) != NULL && p < end) {
		p += 2;
		if (strncasecmp(p, name, n) == 0 && p[n] == ':') {
			p += n + 1;
			while (*p == ' ')
				p++;
			k = strcspn(p, "\r");
			if (k >= sizeof v)
				k = sizeof v - 1;
			memcpy(v, p, k);
			v[k] = '\0';
			break;
		}
	}
	return v;
}

/* The body of an answer. */
static const char *
body_of(const char *resp)
{
	const char *p = strstr(resp, "\r\n\r\n");

	return p != NULL ? p + 4 : "";
}

/*
 * Put a frame at f, which has room for len + 14 bytes (first: FIN/RSV/
 * opcode byte), masked as a browser's unless told not to. Returns its
 * size.
 */
static size_t
ws_frame(unsigned char *f, unsigned first, const void *payload, size_t len,
    bool masked)
{
	static const unsigned char mask[4] = { 0x12, 0x34, 0x56, 0x78 };
	size_t h = 0, i;

	f[h++] = (unsigned char)first;
	if (len < 126) {
		f[h++] = (unsigned char)((masked ? 0x80 : 0) | len);
	} else if (len < 65536) {
		f[h++] = (unsigned char)((masked ? 0x80 : 0) | 126);
		f[h++] = (unsigned char)(len >> 8);
		f[h++] = (unsigned char)len;
	} else {
		f[h++] = (unsigned char)((masked ? 0x80 : 0) | 127);
		for (i = 0; i < 8; i++)
			f[h++] = (unsigned char)((uint64_t)len >> (56 - 8 * i));
	}
	if (masked) {
		memcpy(f + h, mask, 4);
		h += 4;
	}
	for (i = 0; i < len; i++)
		f[h + i] = (unsigned char)(((const unsigned char *)payload)[i] ^
		    (masked ? mask[i % 4] : 0));
	return h + len;
}

/* Write a frame as ws_frame() makes it. */
static void
ws_send_frame(int fd, unsigned first, const void *payload, size_t len,
    bool masked)
{
	unsigned char *f = malloc(len + 14);

	assert_non_null(f);
	send_all(fd, f, ws_frame(f, first, payload, len, masked));
	free(f);
}

/* A text line as one masked text frame. */
static void
ws_send(int fd, const char *text)
{
	ws_send_frame(fd, 0x81, text, strlen(text), true);
}

/* Read one frame (the server's are never masked); false on EOF/timeout. */
static bool
ws_read(int fd, struct frame *f, int ms)
{
	unsigned char h[8];
	uint64_t len = 0;
	size_t i, k;

	if (!read_n(fd, h, 2, ms))
		return false;
	f->fin = (h[0] & 0x80) != 0;
	f->op = h[0] & 0x0f;
	assert_int_equal(h[0] & 0x70, 0);
	assert_int_equal(h[1] & 0x80, 0);	/* a server never masks */
	len = h[1] & 0x7f;
	k = len == 126 ? 2 : len == 127 ? 8 : 0;
	if (k > 0) {
		assert_true(read_n(fd, h, k, ms));
		for (len = 0, i = 0; i < k; i++)
			len = len << 8 | h[i];
		/* Shortest form only. */
		assert_true(k == 2 ? len >= 126 : len > 65535);
	}
	assert_true(len < sizeof f->data);
	f->len = (size_t)len;
	if (len > 0 && !read_n(fd, f->data, (size_t)len, ms))
		return false;
	f->data[len] = '\0';
	return true;
}

/* The next text frame, skipping nothing: it must be want. */
static void
ws_expect_at(int fd, const char *want, const char *file, int line)
{
	struct frame *f = malloc(sizeof *f);

	assert_non_null(f);
	if (!ws_read(fd, f, H_TIMEOUT_MS))
		fail_msg("%s:%d: no frame, wanted \"%s\"", file, line, want);
	if (f->op != 0x1 || !f->fin || strcmp(f->data, want) != 0)
		fail_msg("%s:%d: got op %u \"%s\", wanted \"%s\"", file, line,
		    f->op, f->data, want);
	free(f);
}
#define ws_expect(fd, want)	ws_expect_at((fd), (want), __FILE__, __LINE__)

/* Read text frames until one equals want. */
static void
ws_expect_skip(int fd, const char *want)
{
	struct frame *f = malloc(sizeof *f);
	long long end = h_now_ms() + H_TIMEOUT_MS;

	assert_non_null(f);
	while (h_now_ms() < end) {
		assert_true(ws_read(fd, f, H_TIMEOUT_MS));
		if (f->op == 0x1 && strcmp(f->data, want) == 0) {
			free(f);
			return;
		}
	}
	fail_msg("never got \"%s\"", want);
}

/* Expect a close frame with code (and, if not NULL, reason). */
static void
ws_expect_close(int fd, unsigned code, const char *reason)
{
	struct frame *f = malloc(sizeof *f);

	assert_non_null(f);
	do
		assert_true(ws_read(fd, f, H_TIMEOUT_MS));
	while (f->op == 0x1);
	assert_int_equal(f->op, 0x8);
	assert_true(f->len >= 2);
	assert_int_equal(((unsigned char)f->data[0] << 8) |
	    (unsigned char)f->data[1], code);
	if (reason != NULL)
		assert_string_equal(f->data + 2, reason);
	free(f);
}

/*
 * Open a WebSocket to /ws with the extra head lines given (each with its
 * CRLF); returns the fd once the 101 with the right accept key is read.
 */
static int
ws_open_with(unsigned port, const char *extra)
{
	char req[1024], resp[1024];
	size_t n = 0;
	int fd = web_connect(port);

	snprintf(req, sizeof req, "GET /ws HTTP/1.1\r\nHost: 127.0.0.1:%u\r\n"
	    "Upgrade: websocket\r\nConnection: Upgrade\r\n"
	    "Sec-WebSocket-Key: %s\r\nSec-WebSocket-Version: 13\r\n%s\r\n",
	    port, ws_key, extra);
	send_all(fd, req, strlen(req));
	/* Read the head byte by byte: frames may follow it at once. */
	while (n < sizeof resp - 1 && read_n(fd, resp + n, 1, H_TIMEOUT_MS)) {
		n++;
		resp[n] = '\0';
		if (n >= 4 && memcmp(resp + n - 4, "\r\n\r\n", 4) == 0)
			break;
	}
	resp[n] = '\0';
	assert_int_equal(status_of(resp), 101);
	assert_string_equal(field_of(resp, "Sec-WebSocket-Accept"), ws_accept);
	assert_true(strcasecmp(field_of(resp, "Upgrade"), "websocket") == 0);
	return fd;
}

/* A WebSocket member, its welcome read; its nick goes to nick. */
static int
ws_join(unsigned port, char *nick)
{
	struct frame *f = malloc(sizeof *f);
	int fd = ws_open_with(port, "");

	assert_non_null(f);
	assert_true(ws_read(fd, f, H_TIMEOUT_MS));
	assert_int_equal(f->op, 1);
	assert_memory_equal(f->data, "*** welcome to lobby, you are ", 30);
	if (nick != NULL)
		sscanf(f->data + 30, "%31[^ ]", nick);
	free(f);
	return fd;
}

/* A TCP member named tcp and a WebSocket member named web. */
static void
pair(struct web_server *w, struct h_conn **t, int *ws)
{
	char nick[32];

	*t = h_join_as(&w->h, "tcp");
	*ws = ws_join(w->web, nick);
	h_expect(*t, "*** guest1 joined");
	ws_send(*ws, "/nick web");
	ws_expect(*ws, "*** guest1 is now web");
	h_expect(*t, "*** guest1 is now web");
}

static int
setup(void **state)
{
	struct web_server *w = calloc(1, sizeof *w);

	if (w == NULL)
		return -1;
	w->h.pid = -1;
	*state = w;
	return 0;
}

/*
 * Stop lobbyd as every integration test does (h_finish(): a clean exit 0
 * after SIGTERM, no sanitizer report in its stderr).
 */
static int
teardown(void **state)
{
	free(*state);
	return h_finish();
}

/* ---------------------------------------------------------------------
 * 1. Listening
 * ------------------------------------------------------------------- */

static void
test_listening_lines(void **state)
{
	struct web_server *w = *state;
	char *log;

	start(w, "--web", "127.0.0.1:0", NULL);
	assert_true(h_web_port(&w->h, 1) > 0);
	assert_int_not_equal(h_web_port(&w->h, 0), h_web_port(&w->h, 1));
	log = h_log(&w->h);
	assert_non_null(strstr(log, "lobbyd: listening on http://127.0.0.1:"));
	/* The TCP listener is still there and announced as ever. */
	assert_non_null(strstr(log, "lobbyd: listening on 127.0.0.1:"));
	free(log);
	h_close(h_join(&w->h, NULL));
}

/* IPv6 in brackets, where the machine has ::1. */
static void
test_listening_ipv6(void **state)
{
	struct web_server *w = *state;
	const char *args[] = { "--web", "[::1]:0", NULL };
	char req[128], resp[4096];
	unsigned port;
	int fd;

	if (!h_have_ipv6())
		skip();
	assert_int_equal(h_startv(&w->h, args), 0);
	port = h_web_port(&w->h, 0);
	assert_true(port > 0);
	assert_true(h_log_has(&w->h, "listening on http://[::1]:", 0));
	{
		struct h_conn *c = h_connect_tcp("::1", port);

		fd = c->fd;
		snprintf(req, sizeof req, "GET / HTTP/1.1\r\nHost: [::1]:%u"
		    "\r\n\r\n", port);
		send_all(fd, req, strlen(req));
		read_all(fd, resp, sizeof resp, H_TIMEOUT_MS);
		assert_int_equal(status_of(resp), 200);
		h_close(c);
	}
}

/* ---------------------------------------------------------------------
 * 2 and 4. Pages
 * ------------------------------------------------------------------- */

static void
test_page(void **state)
{
	struct web_server *w = *state;
	const char *r, *b;

	start(w, NULL);
	r = http(w->web, "GET / HTTP/1.1\r\nHost: x\r\n\r\n");
	assert_int_equal(status_of(r), 200);
	assert_string_equal(field_of(r, "Content-Type"),
	    "text/html; charset=utf-8");
	b = body_of(r);
	assert_int_equal(strtoul(field_of(r, "Content-Length"), NULL, 10),
	    strlen(b));
	assert_non_null(strstr(b, "<title>lobby</title>"));
	assert_non_null(strstr(b, "rel=\"icon\" href=\"data:"));
	/* Nothing from elsewhere: the policy allows the page's own only. */
	assert_null(strstr(b, "src=\"http"));
	assert_non_null(strstr(field_of(r, "Content-Security-Policy"),
	    "default-src 'none'"));
	assert_string_equal(field_of(r, "Connection"), "close");
	/* HEAD: the same head, no body. */
	r = http(w->web, "HEAD / HTTP/1.1\r\nHost: x\r\n\r\n");
	assert_int_equal(status_of(r), 200);
	assert_true(strtoul(field_of(r, "Content-Length"), NULL, 10) > 1000);
	assert_string_equal(body_of(r), "");
	/* HTTP/1.0 needs no Host; a query string does not matter. */
	r = http(w->web, "GET /?x=1 HTTP/1.0\r\n\r\n");
	assert_int_equal(status_of(r), 200);
}

static void
test_not_found_and_methods(void **state)
{
	struct web_server *w = *state;
	const char *r;

	start(w, NULL);
	r = http(w->web, "GET /index.html HTTP/1.1\r\nHost: x\r\n\r\n");
	assert_int_equal(status_of(r), 404);
	r = http(w->web, "GET /favicon.ico HTTP/1.1\r\nHost: x\r\n\r\n");
	assert_int_equal(status_of(r), 404);
	r = http(w->web, "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n"
	    "\r\n");
	assert_int_equal(status_of(r), 405);
	assert_string_equal(field_of(r, "Allow"), "GET, HEAD");
}

static void
test_bad_requests(void **state)
{
	struct web_server *w = *state;

	start(w, NULL);
	assert_int_equal(status_of(http(w->web, "hello\r\n\r\n")), 400);
	assert_int_equal(status_of(http(w->web,
	    "GET / HTTP/1.1\r\n\r\n")), 400);
	assert_int_equal(status_of(http(w->web,
	    "GET / HTTP/1.1\r\nHost: a\r\n folded\r\n\r\n")), 400);
	assert_int_equal(status_of(http(w->web,
	    "GET / HTTP/2.0\r\nHost: a\r\n\r\n")), 505);
	/* A Host that is no host[:port] is refused, though unused. */
	assert_int_equal(status_of(http(w->web,
	    "GET / HTTP/1.1\r\nHost: a b\r\n\r\n")), 400);
	assert_true(h_log_has(&w->h, "bad request: bad Host", 1000));
	assert_int_equal(status_of(http(w->web,
	    "GET / HTTP/1.1\r\nHost: a:80\r\nHost: a:80\r\n\r\n")), 400);
	assert_true(h_log_has(&w->h, "bad request: more than one Host",
	    1000));
}

/* More than 8 KiB of head: 431, and the connection is closed. */
static void
test_head_too_large(void **state)
{
	struct web_server *w = *state;
	char *req, resp[4096];
	size_t n;
	int fd;

	start(w, NULL);
	req = malloc(10000);
	assert_non_null(req);
	strcpy(req, "GET / HTTP/1.1\r\nHost: a\r\nX-Pad: ");
	n = strlen(req);
	memset(req + n, 'p', 9000);
	strcpy(req + n + 9000, "\r\n\r\n");
	fd = web_connect(w->web);
	/* The server may stop reading (and answer) before all of it is in. */
	(void)send(fd, req, strlen(req), MSG_NOSIGNAL);
	read_all(fd, resp, sizeof resp, H_TIMEOUT_MS);
	assert_int_equal(status_of(resp), 431);
	close(fd);
	free(req);
}

/*
 * A head that takes more than 5 s: 408 and closed. Meanwhile, and with
 * another connection sending nothing at all, TCP members chat on.
 */
static void
test_slow_head(void **state)
{
	struct web_server *w = *state;
	struct h_conn *a, *b;
	struct h_span chat;
	char resp[4096];
	long long t0;
	int fd, idle;

	start(w, NULL);
	a = h_join_as(&w->h, "alice");
	b = h_join_as(&w->h, "bob");
	h_expect(a, "*** guest1 joined");
	h_expect(a, "*** guest1 is now bob");
	/* Before the connections: lobbyd times the head from its accept,
	 * which may come before this test runs on. */
	t0 = h_now_ms();
	fd = web_connect(w->web);
	idle = web_connect(w->web);
	send_all(fd, "GET / HTTP/1.1\r\nHost:", 21);
	h_span_start(&chat, w->h.pid);
	h_send(a, "still here\n");
	h_expect(b, "<alice> still here");
	assert_true(h_span_ms(&chat) < 1000);
	h_sleep_ms(1000);
	send_all(fd, " a\r\n", 4);
	read_all(fd, resp, sizeof resp, 8000);
	assert_int_equal(status_of(resp), 408);
	/* From the first byte (or the accept), not the last: about 5 s. */
	assert_true(h_now_ms() - t0 >= 4900);
	assert_true(h_now_ms() - t0 < 7000);
	read_all(idle, resp, sizeof resp, 2000);
	assert_int_equal(status_of(resp), 408);
	close(fd);
	close(idle);
	h_send(b, "and me\n");
	h_expect(a, "<bob> and me");
	h_close(a);
	h_close(b);
}

static void
test_metrics(void **state)
{
	struct web_server *w = *state;
	struct h_conn *t;
	const char *r, *b;
	int ws;

	start(w, NULL);
	pair(w, &t, &ws);
	h_send(t, "one\n");
	ws_expect(ws, "<tcp> one");
	ws_send(ws, "two");
	h_expect(t, "<web> two");
	r = http(w->web, "GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n");
	assert_int_equal(status_of(r), 200);
	assert_string_equal(field_of(r, "Content-Type"),
	    "text/plain; version=0.0.4; charset=utf-8");
	b = body_of(r);
	assert_non_null(strstr(b, "# TYPE lobby_clients gauge\n"
	    "lobby_clients 2\n"));
	assert_non_null(strstr(b, "# TYPE lobby_lines_in_total counter\n"));
	/* /nick and the two chat lines at least came in. */
	assert_null(strstr(b, "lobby_lines_in_total 0\n"));
	assert_null(strstr(b, "lobby_lines_in_total 1\n"));
	assert_non_null(strstr(b, "# TYPE lobby_uptime gauge\n"));
	close(ws);
	h_close(t);
}

/* /config tells the page this server's --max-line, as JSON. */
static void
test_config(void **state)
{
	struct web_server *w = *state;
	const char *r;

	start(w, "--max-line", "300", NULL);
	r = http(w->web, "GET /config HTTP/1.1\r\nHost: x\r\n\r\n");
	assert_int_equal(status_of(r), 200);
	assert_string_equal(field_of(r, "Content-Type"), "application/json");
	assert_string_equal(body_of(r), "{\"max_line\":300}\n");
}

/* ---------------------------------------------------------------------
 * 3. WebSocket handshakes
 * ------------------------------------------------------------------- */

static void
test_ws_bad_handshakes(void **state)
{
	struct web_server *w = *state;
	char req[512];
	const char *r;

	start(w, NULL);
	r = http(w->web, "GET /ws HTTP/1.1\r\nHost: x\r\n\r\n");
	assert_int_equal(status_of(r), 400);
	assert_string_equal(field_of(r, "Sec-WebSocket-Version"), "13");
	r = http(w->web, "GET /ws HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\n"
	    "Connection: Upgrade\r\nSec-WebSocket-Key: short\r\n"
	    "Sec-WebSocket-Version: 13\r\n\r\n");
	assert_int_equal(status_of(r), 400);
	r = http(w->web, "GET /ws HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\n"
	    "Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
	    "Sec-WebSocket-Version: 8\r\n\r\n");
	assert_int_equal(status_of(r), 400);
	assert_string_equal(field_of(r, "Sec-WebSocket-Version"), "13");
	/* Another site's page may not join. */
	snprintf(req, sizeof req, "GET /ws HTTP/1.1\r\nHost: 127.0.0.1:%u\r\n"
	    "Origin: http://evil.example\r\nUpgrade: websocket\r\n"
	    "Connection: Upgrade\r\nSec-WebSocket-Key: %s\r\n"
	    "Sec-WebSocket-Version: 13\r\n\r\n", w->web, ws_key);
	r = http(w->web, req);
	assert_int_equal(status_of(r), 403);
	/* Nobody joined through any of these. */
	h_close(h_join(&w->h, NULL));
	assert_true(h_log_has(&w->h, "WebSocket refused: origin not allowed",
	    1000));
}

static void
test_ws_origins(void **state)
{
	struct web_server *w = *state;
	char origin[128];
	int a, b;

	start(w, "--web-origin", "https://chat.example.org", NULL);
	/* Same origin, and an allowed one. */
	snprintf(origin, sizeof origin, "Origin: http://127.0.0.1:%u\r\n",
	    w->web);
	a = ws_open_with(w->web, origin);
	ws_expect(a, "*** welcome to lobby, you are guest1 (1 online; "
	    "/help for commands)");
	b = ws_open_with(w->web, "Origin: https://chat.example.org\r\n");
	ws_expect(b, "*** welcome to lobby, you are guest2 (2 online; "
	    "/help for commands)");
	ws_expect(a, "*** guest2 joined");
	close(a);
	close(b);
}

/* The status a handshake with these Host and Origin values gets; the
 * head alone is read (a 101 leaves the socket open). */
static unsigned
handshake_status(unsigned port, const char *host, const char *origin)
{
	char req[1024], resp[1024];
	size_t n = 0;
	int fd = web_connect(port);

	snprintf(req, sizeof req, "GET /ws HTTP/1.1\r\nHost: %s\r\n"
	    "Origin: %s\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
	    "Sec-WebSocket-Key: %s\r\nSec-WebSocket-Version: 13\r\n\r\n",
	    host, origin, ws_key);
	send_all(fd, req, strlen(req));
	while (n < sizeof resp - 1 && read_n(fd, resp + n, 1, H_TIMEOUT_MS)) {
		n++;
		resp[n] = '\0';
		if (n >= 4 && memcmp(resp + n - 4, "\r\n\r\n", 4) == 0)
			break;
	}
	resp[n] = '\0';
	close(fd);
	return status_of(resp);
}

/*
 * Same origin is the listener itself, not what the request's Host says:
 * a DNS-rebinding page names itself in both. The page lobbyd serves
 * still joins, opened by its address or as localhost; https is another
 * origin.
 */
static void
test_ws_rebinding(void **state)
{
	struct web_server *w = *state;
	char host[64], origin[64];

	start(w, NULL);
	snprintf(host, sizeof host, "attacker.example:%u", w->web);
	snprintf(origin, sizeof origin, "http://attacker.example:%u", w->web);
	assert_int_equal(handshake_status(w->web, host, origin), 403);
	snprintf(host, sizeof host, "127.0.0.1:%u", w->web);
	snprintf(origin, sizeof origin, "http://127.0.0.1:%u", w->web);
	assert_int_equal(handshake_status(w->web, host, origin), 101);
	snprintf(host, sizeof host, "localhost:%u", w->web);
	snprintf(origin, sizeof origin, "http://localhost:%u", w->web);
	assert_int_equal(handshake_status(w->web, host, origin), 101);
	snprintf(origin, sizeof origin, "https://localhost:%u", w->web);
	assert_int_equal(handshake_status(w->web, host, origin), 403);
	snprintf(origin, sizeof origin, "https://127.0.0.1:%u", w->web);
	assert_int_equal(handshake_status(w->web, host, origin), 403);
	assert_true(h_log_has(&w->h, "WebSocket refused: origin not allowed",
	    1000));
}

/* ---------------------------------------------------------------------
 * 3 and 5. WebSocket members
 * ------------------------------------------------------------------- */

/* A member like any other: welcome, chat both ways, /who, /nick, /me,
 * /msg, /quit. */
static void
test_ws_member(void **state)
{
	struct web_server *w = *state;
	struct h_conn *t;
	char nick[32];
	int ws;

	start(w, NULL);
	t = h_join(&w->h, NULL);
	ws = ws_join(w->web, nick);
	assert_string_equal(nick, "guest2");
	h_expect(t, "*** guest2 joined");
	h_send(t, "hello web\n");
	ws_expect(ws, "<guest1> hello web");
	ws_send(ws, "hello tcp");
	h_expect(t, "<guest2> hello tcp");
	ws_send(ws, "/who");
	ws_expect(ws, "*** 2 online: guest1 guest2");
	ws_send(ws, "/nick webby");
	ws_expect(ws, "*** guest2 is now webby");
	h_expect(t, "*** guest2 is now webby");
	ws_send(ws, "/me waves");
	h_expect(t, "* webby waves");
	ws_send(ws, "/msg guest1 psst");
	h_expect(t, "[pm] <webby> psst");
	h_send(t, "/msg webby back\n");
	ws_expect(ws, "[pm] <guest1> back");
	ws_send(ws, "//slash");
	h_expect(t, "<webby> /slash");
	ws_send(ws, "/bogus");
	ws_expect(ws, "!!! unknown command /bogus (try /help)");
	/* A blank frame is ignored, like a blank line. */
	ws_send(ws, "  ");
	assert_true(h_silent(t, QUIET_MS));
	ws_send(ws, "/quit bye now");
	h_expect(t, "*** webby left (bye now)");
	ws_expect_close(ws, 1000, NULL);
	assert_true(closed_within(ws, H_TIMEOUT_MS));
	close(ws);
	h_close(t);
}

/* Text hygiene applies to WebSocket lines as to TCP ones. */
static void
test_ws_hygiene(void **state)
{
	struct web_server *w = *state;
	struct h_conn *t;
	int ws;

	start(w, NULL);
	pair(w, &t, &ws);
	ws_send(ws, "a\x1b[31mred\x07 \xe2\x80\xae" "evil");
	h_expect(t, "<web> a[31mred evil");
	ws_send(ws, "caf\xc3\xa9 \xf0\x9f\x98\x80");
	h_expect(t, "<web> caf\xc3\xa9 \xf0\x9f\x98\x80");
	/* What a TCP member sends is cleaned before it becomes a frame. */
	h_send(t, "x\xfe" "y\n");
	ws_expect(ws, "<tcp> x\xef\xbf\xbdy");
	/* A LF inside a frame is a control character like another. */
	ws_send(ws, "one\ntwo");
	h_expect(t, "<web> onetwo");
	close(ws);
	h_close(t);
}

/* Fragments are reassembled; a ping between them gets its pong. */
static void
test_ws_fragments_and_ping(void **state)
{
	struct web_server *w = *state;
	struct frame *f = malloc(sizeof *f);
	struct h_conn *t;
	int ws;

	assert_non_null(f);
	start(w, NULL);
	pair(w, &t, &ws);
	ws_send_frame(ws, 0x01, "Hel", 3, true);
	ws_send_frame(ws, 0x89, "are you there", 13, true);
	assert_true(ws_read(ws, f, H_TIMEOUT_MS));
	assert_int_equal(f->op, 0xa);
	assert_string_equal(f->data, "are you there");
	assert_true(h_silent(t, QUIET_MS));
	ws_send_frame(ws, 0x00, "lo w", 4, true);
	ws_send_frame(ws, 0x8a, "", 0, true);	/* an unasked pong: ignored */
	ws_send_frame(ws, 0x80, "orld", 4, true);
	h_expect(t, "<web> Hello world");
	/* A line over 125 bytes takes the 16-bit length form. */
	{
		char big[201], want[300];

		memset(big, 'b', 200);
		big[200] = '\0';
		h_send(t, big);
		h_send(t, "\n");
		snprintf(want, sizeof want, "<tcp> %s", big);
		ws_expect(ws, want);
	}
	close(ws);
	h_close(t);
	free(f);
}

/* Violations: the close code the SPEC gives, "(error)" to the others. */
static void
test_ws_violations(void **state)
{
	struct web_server *w = *state;
	struct h_conn *t;
	char big[64];
	int ws;

	start(w, "--max-line", "32", NULL);
	t = h_join_as(&w->h, "tcp");

	ws = ws_join(w->web, NULL);
	h_expect(t, "*** guest1 joined");
	ws_send_frame(ws, 0x81, "hi", 2, false);	/* unmasked */
	ws_expect_close(ws, 1002, "unmasked frame");
	h_expect(t, "*** guest1 left (error)");
	assert_true(closed_within(ws, H_TIMEOUT_MS));
	close(ws);

	ws = ws_join(w->web, NULL);
	h_expect(t, "*** guest1 joined");
	ws_send_frame(ws, 0x82, "\x01\x02", 2, true);	/* binary */
	ws_expect_close(ws, 1003, NULL);
	h_expect(t, "*** guest1 left (error)");
	close(ws);

	ws = ws_join(w->web, NULL);
	h_expect(t, "*** guest1 joined");
	memset(big, 'x', 33);
	ws_send_frame(ws, 0x81, big, 32, true);		/* at the limit */
	big[32] = '\0';
	h_expect(t, "<guest1> xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx");
	ws_send_frame(ws, 0x81, big, 33, true);		/* over it */
	ws_expect_close(ws, 1009, "line too long (max 32 bytes)");
	h_expect(t, "*** guest1 left (error)");
	close(ws);

	ws = ws_join(w->web, NULL);
	h_expect(t, "*** guest1 joined");
	ws_send_frame(ws, 0x81, "\xc0\xaf", 2, true);	/* not UTF-8 */
	ws_expect_close(ws, 1007, NULL);
	h_expect(t, "*** guest1 left (error)");
	close(ws);

	ws = ws_join(w->web, NULL);
	h_expect(t, "*** guest1 joined");
	ws_send_frame(ws, 0xc1, "hi", 2, true);		/* RSV1 */
	ws_expect_close(ws, 1002, NULL);
	h_expect(t, "*** guest1 left (error)");
	close(ws);

	ws = ws_join(w->web, NULL);
	h_expect(t, "*** guest1 joined");
	ws_send_frame(ws, 0x83, "hi", 2, true);		/* opcode 3 */
	ws_expect_close(ws, 1002, NULL);
	h_expect(t, "*** guest1 left (error)");
	close(ws);
	h_close(t);
}

/* The close handshake, from the member's side: echoed, a plain leave. */
static void
test_ws_close_handshake(void **state)
{
	struct web_server *w = *state;
	struct h_conn *t;
	int ws;

	start(w, NULL);
	pair(w, &t, &ws);
	ws_send_frame(ws, 0x88, "\x0f\xa0" "tab closed", 12, true);
	ws_expect_close(ws, 4000, "");
	h_expect(t, "*** web left");
	assert_true(closed_within(ws, H_TIMEOUT_MS));
	close(ws);

	/* A plain EOF without a close frame is a plain leave too. */
	ws = ws_join(w->web, NULL);
	h_expect(t, "*** guest1 joined");
	close(ws);
	h_expect(t, "*** guest1 left");
	h_close(t);
}

/*
 * A WebSocket member that does not read leaves "(too slow)" at --sendq,
 * and nobody else notices anything. Its socket stopped taking bytes
 * somewhere inside a frame: what it then reads is whole frames, the one
 * it was cut in finished, and last a close 1008.
 */
static void
test_ws_sendq(void **state)
{
	struct web_server *w = *state;
	struct h_conn *t;
	struct frame *f;
	char line[1001], req[512], head[1024];
	int fd, ws, i;
	size_t n = 0, frames = 0;
	bool closed = false;

	start(w, "--sendq", "65536", NULL);
	t = h_join_as(&w->h, "tcp");
	fd = h_raw_connect_tiny(w->web, 1024);
	snprintf(req, sizeof req, "GET /ws HTTP/1.1\r\nHost: x\r\n"
	    "Upgrade: websocket\r\nConnection: Upgrade\r\n"
	    "Sec-WebSocket-Key: %s\r\nSec-WebSocket-Version: 13\r\n\r\n",
	    ws_key);
	send_all(fd, req, strlen(req));
	h_expect(t, "*** guest1 joined");
	/* The member never reads: its backlog passes 64 KiB. The sender
	 * gets nothing back but the notice it waits for. */
	memset(line, 'z', sizeof line - 1);
	line[sizeof line - 1] = '\0';
	for (i = 0; i < 2000; i++) {
		h_send(t, line);
		h_send(t, "\n");
	}
	h_expect(t, "*** guest1 left (too slow)");
	/* Now it reads: its head, then everything the server offered. */
	while (n < sizeof head - 1 && read_n(fd, head + n, 1, H_TIMEOUT_MS)) {
		n++;
		if (n >= 4 && memcmp(head + n - 4, "\r\n\r\n", 4) == 0)
			break;
	}
	head[n] = '\0';
	assert_int_equal(status_of(head), 101);
	f = malloc(sizeof *f);
	assert_non_null(f);
	while (!closed) {
		if (!ws_read(fd, f, H_TIMEOUT_MS))
			fail_msg("the stream ended after %zu frames, without a "
			    "close (or inside a frame)", frames);
		frames++;
		if (f->op == 0x8)
			closed = true;
		else {
			assert_int_equal(f->op, 0x1);
			assert_true(f->fin);
		}
	}
	assert_true(f->len >= 2);
	assert_int_equal(((unsigned char)f->data[0] << 8) |
	    (unsigned char)f->data[1], 1008);
	free(f);
	assert_true(closed_within(fd, H_TIMEOUT_MS));
	close(fd);
	/* The room goes on: a new member chats as usual. */
	ws = ws_join(w->web, NULL);
	h_expect(t, "*** guest1 joined");
	/* (The flood may still be coming in: skip to the line.) */
	h_send(t, "after\n");
	ws_expect_skip(ws, "<tcp> after");
	close(ws);
	h_close(t);
}

/*
 * A WebSocket member that reads as fast as the lines come is never cut as
 * too slow, however many lines one pass reads from a sender: its frames
 * take two iovecs each (header, payload), so one writev() carries only
 * some 500 of them, where a line member's takes whole blocks of the log.
 * A pass's 64 KiB of 60-byte lines is about 1000 frames.
 */
static void
test_ws_keeps_up(void **state)
{
	enum { LINES = 4000 };
	struct web_server *w = *state;
	struct h_conn *src;
	struct pollfd p[2];
	char *burst, *in, want[128], nick[32];
	size_t sent = 0, len, have = 0, at, hl, plen, cap = 1 << 20;
	long long end;
	int ws, got = 0;
	ssize_t k;

	start(w, "--sendq", "65536", "--history", "0", NULL);
	ws = ws_join(w->web, nick);
	src = h_join_as(&w->h, "src");
	ws_expect(ws, "*** guest2 joined");
	ws_expect(ws, "*** guest2 is now src");
	burst = h_numbered("flood line %05d, long enough that 1000 pass 64 KiB",
	    LINES);
	len = strlen(burst);
	in = malloc(cap);
	assert_non_null(in);
	end = h_now_ms() + 4 * H_TIMEOUT_MS;
	/* Send the burst as fast as lobbyd takes it; read every frame as
	 * soon as it comes. */
	while (got < LINES && h_now_ms() < end) {
		p[0].fd = ws;
		p[0].events = POLLIN;
		p[1].fd = src->fd;
		p[1].events = sent < len ? POLLOUT : 0;
		assert_true(poll(p, 2, 1000) >= 0);
		if ((p[1].revents & POLLOUT) && (k = send(src->fd, burst + sent,
		    len - sent, MSG_NOSIGNAL | MSG_DONTWAIT)) > 0)
			sent += (size_t)k;
		if (!(p[0].revents & (POLLIN | POLLHUP | POLLERR)))
			continue;
		k = read(ws, in + have, cap - have);
		if (k <= 0)
			fail_msg("the member's stream ended after %d lines", got);
		have += (size_t)k;
		/* Take out each whole frame: text, unmasked, short lengths. */
		at = 0;
		while (have - at >= 2) {
			plen = (unsigned char)in[at + 1] & 0x7f;
			hl = 2;
			if (plen == 126) {
				if (have - at < 4)
					break;
				plen = (size_t)((unsigned char)in[at + 2] << 8 |
				    (unsigned char)in[at + 3]);
				hl = 4;
			}
			if (have - at < hl + plen)
				break;
			if ((unsigned char)in[at] != 0x81)
				fail_msg("after %d lines, a frame of opcode %u: "
				    "%.*s", got, (unsigned char)in[at] & 0x0f,
				    (int)(plen > 2 ? plen - 2 : 0),
				    in + at + hl + 2);
			snprintf(want, sizeof want, "<src> flood line %05d, "
			    "long enough that 1000 pass 64 KiB", got);
			if (plen != strlen(want) ||
			    memcmp(in + at + hl, want, plen) != 0)
				fail_msg("got \"%.*s\", wanted \"%s\"", (int)plen,
				    in + at + hl, want);
			got++;
			at += hl + plen;
		}
		memmove(in, in + at, have - at);
		have -= at;
	}
	assert_int_equal(got, LINES);
	free(in);
	free(burst);
	/* And it is still a member. */
	h_send(src, "after\n");
	ws_expect(ws, "<src> after");
	close(ws);
	h_close(src);
}

/* Idle members go the same way, whatever their transport. */
static void
test_ws_idle(void **state)
{
	struct web_server *w = *state;
	struct h_conn *t;
	char nick[32];
	int ws;

	start(w, "--idle-timeout", "1", NULL);
	ws = ws_join(w->web, nick);
	t = h_join(&w->h, NULL);
	ws_expect(ws, "*** guest2 joined");
	/* Pings count as input: they keep a member here. */
	ws_send_frame(ws, 0x89, "", 0, true);
	ws_expect_skip(ws, "!!! idle for 1 seconds, disconnecting");
	ws_expect_close(ws, 1000, NULL);
	close(ws);
	h_close(t);
}

/* --max-per-ip counts WebSocket members with TCP ones, and HTTP
 * connections until their request is in; past it, HTTP gets 503. */
static void
test_ws_per_ip(void **state)
{
	struct web_server *w = *state;
	struct h_conn *t, *u;
	const char *get = "GET / HTTP/1.1\r\nHost: x\r\n\r\n";
	char resp[1024], nick[32];
	int a, b;

	start(w, "--max-per-ip", "2", NULL);
	t = h_join(&w->h, NULL);
	a = ws_join(w->web, NULL);
	h_expect(t, "*** guest2 joined");
	/* An HTTP connection takes a seat while its request is read: with
	 * the address's two taken, the page and a handshake get 503. */
	assert_int_equal(status_of(http(w->web,
	    "GET / HTTP/1.1\r\nHost: x\r\n\r\n")), 503);
	b = web_connect(w->web);
	assert_true(closed_within(b, H_TIMEOUT_MS));
	close(b);
	h_nothing(t);
	assert_true(h_log_has(&w->h, "--max-per-ip connections from that "
	    "address already", 1000));
	/* A seat freed is a seat for a WebSocket member again. */
	close(a);
	h_expect(t, "*** guest2 left");
	/* A page answered holds no seat: the page, then its WebSocket. */
	assert_int_equal(status_of(http(w->web,
	    "GET / HTTP/1.1\r\nHost: x\r\n\r\n")), 200);
	b = ws_join(w->web, NULL);
	h_expect(t, "*** guest2 joined");
	close(b);
	h_expect(t, "*** guest2 left");
	/* An idle HTTP socket holds one until its request is in: with the
	 * TCP member, the address has its two (the /who round trip is
	 * after lobbyd accepted it), and a TCP newcomer is refused. */
	a = web_connect(w->web);
	h_send(t, "/who\n");
	h_expect(t, "*** 1 online: guest1");
	u = h_connect(&w->h);
	h_expect(u, "!!! too many connections from your address");
	assert_true(h_eof(u, H_TIMEOUT_MS));
	h_close(u);
	send_all(a, get, strlen(get));
	assert_true(read_all(a, resp, sizeof resp, H_TIMEOUT_MS) > 0);
	assert_int_equal(status_of(resp), 200);
	close(a);
	u = h_join(&w->h, nick);
	snprintf(resp, sizeof resp, "*** %s joined", nick);
	h_expect(t, resp);
	h_close(u);
	h_close(t);
}

/* --flood holds a WebSocket member's lines back, in order, none lost. */
static void
test_ws_flood(void **state)
{
	struct web_server *w = *state;
	struct h_conn *t;
	char line[32];
	long long t0;
	int ws, i;

	start(w, "--flood", "10/2", NULL);
	pair(w, &t, &ws);
	t0 = h_now_ms();
	for (i = 0; i < 12; i++) {
		snprintf(line, sizeof line, "line %d", i);
		ws_send(ws, line);
	}
	for (i = 0; i < 12; i++) {
		snprintf(line, sizeof line, "<web> line %d", i);
		h_expect(t, line);
	}
	/* A burst of 2, then 10 a second: 10 more lines take about 1 s. */
	assert_true(h_now_ms() - t0 >= 800);
	close(ws);
	h_close(t);
}

/* Append a masked frame to buf at *off (first: FIN/RSV/opcode byte). */
static void
ws_build(char *buf, size_t *off, unsigned first, const char *payload,
    size_t len)
{
	static const unsigned char mask[4] = { 0x21, 0x43, 0x65, 0x07 };
	size_t i;

	assert_true(len < 126);
	buf[(*off)++] = (char)first;
	buf[(*off)++] = (char)(0x80 | len);
	memcpy(buf + *off, mask, 4);
	*off += 4;
	for (i = 0; i < len; i++)
		buf[(*off)++] = (char)(payload[i] ^ mask[i % 4]);
}

/*
 * Under --flood 1/1, five lines and a close frame in one write: the
 * lines held for tokens are all delivered, then the leave, as a TCP
 * member's /quit after its held lines. The leave's log line counts the
 * bytes the member was sent.
 */
static void
test_ws_flood_close(void **state)
{
	struct web_server *w = *state;
	struct h_conn *t;
	char buf[256], line[32], rest[256], *p;
	unsigned long long out = 0;
	size_t off = 0;
	int ws, i;

	start(w, "--flood", "1/1", NULL);
	pair(w, &t, &ws);
	for (i = 1; i <= 5; i++) {
		snprintf(line, sizeof line, "held %d", i);
		ws_build(buf, &off, 0x81, line, strlen(line));
	}
	ws_build(buf, &off, 0x88, "\x03\xe8", 2);
	send_all(ws, buf, off);
	for (i = 1; i <= 5; i++) {
		snprintf(line, sizeof line, "<web> held %d", i);
		h_expect(t, line);
	}
	h_expect(t, "*** web left");
	ws_expect_close(ws, 1000, NULL);
	close(ws);
	assert_true(h_log_after(&w->h, "web left (closed) bytes_in=", 0, rest,
	    sizeof rest, H_TIMEOUT_MS));
	assert_non_null(p = strstr(rest, "bytes_out="));
	out = strtoull(p + strlen("bytes_out="), NULL, 10);
	/* At least its welcome and its nick change, framed. */
	assert_true(out > 40);
	h_close(t);
}

/*
 * Under --flood, lines and then a frame that breaks the protocol, all in
 * one write: the lines held for tokens are all delivered before the leave
 * (error), as a TCP member's lines before its reset are; the member still
 * gets the close code for what it did.
 */
static void
test_ws_flood_violation(void **state)
{
	static const struct {
		unsigned	 first;		/* FIN/opcode */
		size_t		 len;		/* payload bytes */
		bool		 masked;
		unsigned	 code;		/* the close it gets */
		const char	*why;
	} bad[] = {
		{ 0x81, 1, false, 1002, "unmasked frame" },
		{ 0x82, 3, true, 1003, "binary message" },
		{ 0x81, 2000, true, 1009, "line too long (max 1024 bytes)" },
	};
	struct web_server *w = *state;
	struct h_conn *t;
	unsigned char *buf;
	char nick[32], line[64], big[2000];
	size_t off, k;
	int ws, i;

	memset(big, 'y', sizeof big);
	assert_non_null(buf = malloc(4096));
	start(w, "--flood", "5/1", NULL);
	t = h_join_as(&w->h, "tcp");
	for (k = 0; k < sizeof bad / sizeof bad[0]; k++) {
		ws = ws_join(w->web, nick);
		snprintf(line, sizeof line, "*** %s joined", nick);
		h_expect(t, line);
		off = 0;
		for (i = 0; i < 4; i++) {
			snprintf(line, sizeof line, "m%d", i);
			off += ws_frame(buf + off, 0x81, line, strlen(line),
			    true);
		}
		off += ws_frame(buf + off, bad[k].first, big, bad[k].len,
		    bad[k].masked);
		send_all(ws, buf, off);
		/* One line at once, three held for tokens, then the leave. */
		for (i = 0; i < 4; i++) {
			snprintf(line, sizeof line, "<%s> m%d", nick, i);
			h_expect(t, line);
		}
		snprintf(line, sizeof line, "*** %s left (error)", nick);
		h_expect(t, line);
		ws_expect_close(ws, bad[k].code, bad[k].why);
		close(ws);
	}
	free(buf);
	h_close(t);
}

/* A WebSocket member that never reads: a small receive buffer, joined. */
static int
ws_join_stalled(unsigned port)
{
	char req[512], resp[1024];
	int fd = h_raw_connect_tiny(port, 4096);
	size_t n = 0;

	snprintf(req, sizeof req, "GET /ws HTTP/1.1\r\nHost: 127.0.0.1:%u\r\n"
	    "Upgrade: websocket\r\nConnection: Upgrade\r\n"
	    "Sec-WebSocket-Key: %s\r\nSec-WebSocket-Version: 13\r\n\r\n",
	    port, ws_key);
	send_all(fd, req, strlen(req));
	while (n < sizeof resp - 1 && read_n(fd, resp + n, 1, H_TIMEOUT_MS)) {
		n++;
		resp[n] = '\0';
		if (n >= 4 && memcmp(resp + n - 4, "\r\n\r\n", 4) == 0)
			break;
	}
	resp[n] = '\0';
	assert_int_equal(status_of(resp), 101);
	return fd;
}

/* A figure in KiB from /proc/PID/status ("VmHWM", "VmRSS"), or -1. */
static long
status_kib(pid_t pid, const char *key)
{
	char path[64], line[256], fmt[32];
	long kib = -1;
	FILE *f;

	snprintf(path, sizeof path, "/proc/%ld/status", (long)pid);
	snprintf(fmt, sizeof fmt, "%s: %%ld", key);
	if ((f = fopen(path, "r")) == NULL)
		return -1;
	while (fgets(line, sizeof line, f) != NULL)
		if (sscanf(line, fmt, &kib) == 1)
			break;
	fclose(f);
	return kib;
}

#define SLOW_WS		200		/* WebSocket members that never read */
#define SLOW_LINES	700		/* lines of SLOW_BYTES sent to them */
#define SLOW_BYTES	1000
#define SLOW_PEAK_KIB	(16 * 1024)	/* the bound on lobbyd's RSS growth */

/*
 * 200 WebSocket members that never read, each some 700 KB behind, all
 * close: each is written from the one room log, closing included, so
 * lobbyd's peak RSS grows by about one log, not 200 copies of it.
 */
static void
test_ws_slow_close_memory(void **state)
{
	struct web_server *w = *state;
	struct h_conn *a, *b;
	int ws[SLOW_WS], i, left = 0;
	char *block, *p;
	long before, peak;
	const char *l;

	start(w, "--max-clients", "300", NULL);
	a = h_join_as(&w->h, "alice");
	b = h_join_as(&w->h, "bob");
	for (i = 0; i < SLOW_WS; i++)
		ws[i] = ws_join_stalled(w->web);
	for (i = 0; i < SLOW_WS; i++)
		assert_non_null(h_line(b, H_TIMEOUT_MS));	/* joins */
	h_drain(a);
	h_drain(b);
	before = status_kib(w->h.pid, "VmRSS");
	block = malloc((size_t)SLOW_LINES * (SLOW_BYTES + 1));
	assert_non_null(block);
	for (i = 0; i < SLOW_LINES; i++) {
		p = block + (size_t)i * (SLOW_BYTES + 1);
		snprintf(p, SLOW_BYTES + 1, "%08d", i);
		memset(p + 8, 'w', SLOW_BYTES - 8);
		p[SLOW_BYTES] = '\n';
	}
	assert_int_equal(h_send_raw(a, block,
	    (size_t)SLOW_LINES * (SLOW_BYTES + 1)), 0);
	free(block);
	for (i = 0; i < SLOW_LINES; i++) {
		l = h_line(b, H_TIMEOUT_MS);
		assert_non_null(l);
		assert_memory_equal(l, "<alice> ", 8);
	}
	/* Every one of them closes, its backlog unread. */
	for (i = 0; i < SLOW_WS; i++) {
		static const unsigned char close_frame[] = {
			0x88, 0x82, 1, 2, 3, 4, 0x03 ^ 1, 0xe8 ^ 2 };

		send_all(ws[i], close_frame, sizeof close_frame);
	}
	while (left < SLOW_WS && (l = h_line(b, H_TIMEOUT_MS)) != NULL) {
		assert_memory_equal(l, "*** guest", 9);
		assert_non_null(strstr(l, " left"));
		left++;
	}
	assert_int_equal(left, SLOW_WS);
	h_send(a, "after\n");
	h_expect(b, "<alice> after");
	peak = status_kib(w->h.pid, "VmHWM");
	print_message("lobbyd RSS %ld KiB before, peak %ld KiB (%d WebSocket "
	    "members closing %d lines of %d bytes behind)\n", before, peak,
	    SLOW_WS, SLOW_LINES, SLOW_BYTES);
	if (h_rss_meaningful())
		assert_true(peak - before <= SLOW_PEAK_KIB);
	for (i = 0; i < SLOW_WS; i++)
		close(ws[i]);
	h_close(a);
	h_close(b);
}

/* Shutdown: the notice, then a close 1001. */
static void
test_ws_shutdown(void **state)
{
	struct web_server *w = *state;
	int ws;

	start(w, NULL);
	ws = ws_join(w->web, NULL);
	assert_int_equal(h_stop_sig(&w->h, SIGTERM), 0);
	ws_expect(ws, "*** server shutting down");
	ws_expect_close(ws, 1001, "server shutting down");
	close(ws);
}

#define SEATS_IDLE	300		/* idle HTTP sockets opened */

/* A TCP connection to the web port from source address src (loopback). */
static int
web_connect_from(unsigned port, const char *src)
{
	struct sockaddr_in a;
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	assert_true(fd != -1);
	memset(&a, 0, sizeof a);
	a.sin_family = AF_INET;
	assert_int_equal(inet_pton(AF_INET, src, &a.sin_addr), 1);
	assert_int_equal(bind(fd, (struct sockaddr *)&a, sizeof a), 0);
	a.sin_port = htons((uint16_t)port);
	assert_int_equal(inet_pton(AF_INET, "127.0.0.1", &a.sin_addr), 1);
	assert_int_equal(connect(fd, (struct sockaddr *)&a, sizeof a), 0);
	return fd;
}

/* How many sockets this test may open: SEATS_IDLE, or fewer where the
 * fd limit (raised to its hard limit first) is lower. */
static int
seats_room(void)
{
	struct rlimit rl;

	assert_int_equal(getrlimit(RLIMIT_NOFILE, &rl), 0);
	if (rl.rlim_cur < rl.rlim_max && rl.rlim_cur < SEATS_IDLE + 64) {
		rl.rlim_cur = rl.rlim_max < SEATS_IDLE + 64 ? rl.rlim_max :
		    SEATS_IDLE + 64;
		(void)setrlimit(RLIMIT_NOFILE, &rl);
		assert_int_equal(getrlimit(RLIMIT_NOFILE, &rl), 0);
	}
	if (rl.rlim_cur >= SEATS_IDLE + 64)
		return SEATS_IDLE;
	return rl.rlim_cur > 64 + 80 ? (int)rl.rlim_cur - 64 : 80;
}

/*
 * Idle HTTP sockets (never a request) take no member's seat: with
 * --max-clients 100 and 300 of them, a TCP newcomer still joins. They
 * have a cap of their own, --max-http (64 by default): the 65th gets 503
 * and is closed, and so does every one after it.
 */
static void
test_http_seats(void **state)
{
	struct web_server *w = *state;
	static int idle[SEATS_IDLE];
	struct h_conn *t, *u;
	char resp[1024];
	int i, n = seats_room(), refused = 0;
	long long t0;

	start(w, "--max-clients", "100", NULL);
	t = h_join(&w->h, NULL);
	t0 = h_now_ms();
	for (i = 0; i < 64; i++)
		idle[i] = web_connect(w->web);
	/* After this round trip lobbyd has accepted all 64. */
	h_send(t, "/who\n");
	h_expect(t, "*** 1 online: guest1");
	idle[64] = web_connect(w->web);
	assert_true(read_all(idle[64], resp, sizeof resp, H_TIMEOUT_MS) > 0);
	assert_int_equal(status_of(resp), 503);
	assert_true(closed_within(idle[64], H_TIMEOUT_MS));
	for (i = 65; i < n; i++)
		idle[i] = web_connect(w->web);
	for (i = 65; i < n; i++) {
		read_all(idle[i], resp, sizeof resp, H_TIMEOUT_MS);
		if (status_of(resp) == 503)
			refused++;
	}
	assert_int_equal(refused, n - 65);
	/* The first 64 are still held, and the room is open to members. */
	for (i = 0; i < 64; i++)
		still_waiting(idle[i], t0);
	u = h_join(&w->h, NULL);
	h_expect(t, "*** guest2 joined");
	h_send(u, "/who\n");
	h_expect(u, "*** 2 online: guest1 guest2");
	assert_true(h_log_has(&w->h, "--max-http connections waiting", 1000));
	for (i = 0; i < n; i++)
		close(idle[i]);
	h_close(u);
	h_close(t);
}

/*
 * WebSocket members closing take no seat of --max-http: three that close
 * the handshake and never close their socket (lobbyd drops their input
 * for a while after its close frame) leave room for a page load with
 * --max-http 2.
 */
static void
test_http_seats_closing_members(void **state)
{
	struct web_server *w = *state;
	struct h_conn *t;
	const char *r;
	char want[64];
	int ws[3], i;

	start(w, "--max-http", "2", NULL);
	t = h_join(&w->h, NULL);
	for (i = 0; i < 3; i++) {
		ws[i] = ws_join(w->web, NULL);
		snprintf(want, sizeof want, "*** guest%d joined", i + 2);
		h_expect(t, want);
	}
	for (i = 0; i < 3; i++) {
		ws_send_frame(ws[i], 0x88, "\x03\xe8", 2, true);
		ws_expect_close(ws[i], 1000, "");
		snprintf(want, sizeof want, "*** guest%d left", i + 2);
		h_expect(t, want);
	}
	r = http(w->web, "GET / HTTP/1.1\r\nHost: x\r\n\r\n");
	assert_int_equal(status_of(r), 200);
	for (i = 0; i < 3; i++)
		close(ws[i]);
	h_close(t);
}

/*
 * Nor can closing members hold descriptors without bound: lobbyd keeps
 * their sockets after their close frames (to read and drop what they
 * still send) only while members and such sockets are at most
 * --max-clients, and closes the others at once. A client that joins and
 * closes over and over, never reading nor closing its end, would
 * otherwise hold an fd of lobbyd's per close for 2 s; and they never
 * keep a newcomer out.
 */
static void
test_ws_closing_capped(void **state)
{
	enum { CLOSERS = 20 };
	struct web_server *w = *state;
	struct h_conn *t;
	unsigned char f[16];
	char req[512];
	int fds[CLOSERS], base, i, n;
	size_t len;

	start(w, "--max-clients", "5", NULL);
	t = h_join_as(&w->h, "tcp");
	base = h_fd_count(w->h.pid);
	assert_true(base > 0);
	n = snprintf(req, sizeof req, "GET /ws HTTP/1.1\r\nHost: x\r\n"
	    "Upgrade: websocket\r\nConnection: Upgrade\r\n"
	    "Sec-WebSocket-Key: %s\r\nSec-WebSocket-Version: 13\r\n\r\n",
	    ws_key);
	len = ws_frame(f, 0x88, "\x03\xe8", 2, true);
	for (i = 0; i < CLOSERS; i++) {
		/* The handshake and a close frame at once; nothing read. */
		fds[i] = h_raw_connect_tiny(w->web, 1024);
		send_all(fds[i], req, (size_t)n);
		send_all(fds[i], f, len);
		h_expect(t, "*** guest1 joined");
		h_expect(t, "*** guest1 left");
	}
	/* Every close is done once this is answered. */
	h_sync(t);
	assert_true(h_fd_count(w->h.pid) <= base + 4);
	/* Members with them at the cap: a newcomer is let in all the same. */
	h_close(h_join_as(&w->h, "late"));
	for (i = 0; i < CLOSERS; i++)
		close(fds[i]);
	h_close(t);
}

/*
 * Idle HTTP sockets count toward --max-per-ip: with --max-per-ip 5 and a
 * member from 127.0.0.1, 4 of them take that address's other seats and
 * the rest get 503; they block nobody elsewhere: a member from another
 * loopback address joins.
 */
static void
test_http_seats_per_ip(void **state)
{
	struct web_server *w = *state;
	static int idle[200];
	struct h_conn *t;
	char resp[1024], line[256];
	int i, fd, refused = 0, n = seats_room() < 200 ? seats_room() : 200;
	size_t k = 0;

	start(w, "--max-per-ip", "5", NULL);
	t = h_join(&w->h, NULL);
	for (i = 0; i < 4; i++)
		idle[i] = web_connect(w->web);
	h_send(t, "/who\n");
	h_expect(t, "*** 1 online: guest1");
	for (i = 4; i < n; i++)
		idle[i] = web_connect(w->web);
	for (i = 4; i < n; i++) {
		read_all(idle[i], resp, sizeof resp, H_TIMEOUT_MS);
		if (status_of(resp) == 503)
			refused++;
	}
	assert_int_equal(refused, n - 4);
	/* From another address: a welcome, not a refusal. */
	fd = web_connect_from(w->h.port, "127.0.0.2");
	while (k < sizeof line - 1 && read_n(fd, line + k, 1, H_TIMEOUT_MS) &&
	    line[k] != '\n')
		k++;
	line[k] = '\0';
	assert_memory_equal(line, "*** welcome to lobby, you are guest2", 36);
	h_expect(t, "*** guest2 joined");
	close(fd);
	for (i = 0; i < n; i++)
		close(idle[i]);
	h_close(t);
}

/* --max-clients counts WebSocket members, and a full server says 503. */
static void
test_full(void **state)
{
	struct web_server *w = *state;
	struct h_conn *t;
	const char *r;

	start(w, "--max-clients", "1", NULL);
	t = h_join(&w->h, NULL);
	r = http(w->web, "GET / HTTP/1.1\r\nHost: x\r\n\r\n");
	assert_int_equal(status_of(r), 503);
	h_close(t);
}

/* Bad --web values are usage errors; an address in use is fatal. */
static void
test_bad_options(void **state)
{
	static const char *const bad[] = { "127.0.0.1", "127.0.0.1:99999",
	    ":80", "127.0.0.1:", "[::1]80", "[::1", "127.0.0.1:8x" };
	struct web_server *w = *state;
	struct h_server s;
	size_t i;
	char port[16];

	(void)w;
	for (i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		const char *args[] = { "--web", bad[i], NULL };

		assert_int_equal(h_startv(&s, args), -1);
		assert_true(WIFEXITED(s.status));
		assert_int_equal(WEXITSTATUS(s.status), 2);
		unlink(s.logpath);
	}
	start(w, NULL);
	snprintf(port, sizeof port, "127.0.0.1:%u", w->web);
	{
		const char *args[] = { "--web", port, NULL };

		assert_int_equal(h_startv(&s, args), -1);
		assert_int_equal(WEXITSTATUS(s.status), 1);
		assert_true(h_log_has(&s, "cannot listen on", 0));
		unlink(s.logpath);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_listening_lines, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_listening_ipv6, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_page, setup, teardown),
		cmocka_unit_test_setup_teardown(test_not_found_and_methods,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_bad_requests, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_head_too_large, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_slow_head, setup, teardown),
		cmocka_unit_test_setup_teardown(test_metrics, setup, teardown),
		cmocka_unit_test_setup_teardown(test_config, setup, teardown),
		cmocka_unit_test_setup_teardown(test_ws_bad_handshakes, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_ws_origins, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_ws_rebinding, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_ws_member, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_ws_hygiene, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_ws_fragments_and_ping,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_ws_violations, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_ws_close_handshake, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_ws_sendq, setup, teardown),
		cmocka_unit_test_setup_teardown(test_ws_keeps_up, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_ws_idle, setup, teardown),
		cmocka_unit_test_setup_teardown(test_ws_per_ip, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_ws_flood, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_ws_flood_close, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_ws_flood_violation, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_ws_slow_close_memory,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_ws_shutdown, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_http_seats, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_http_seats_per_ip, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(
		    test_http_seats_closing_members, setup, teardown),
		cmocka_unit_test_setup_teardown(test_ws_closing_capped, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_full, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bad_options, setup,
		    teardown),
	};

	signal(SIGPIPE, SIG_IGN);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
