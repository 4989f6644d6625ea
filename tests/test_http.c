/* test_http: the incremental HTTP/1.x request head parser. */
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

/* Parse s in one call; the bytes taken go to *used. */
static enum http_result
parse(struct http_request *r, const char *s, size_t *used)
{
	http_init(r);
	return http_feed(r, s, strlen(s), used);
}

/* Parse s one byte at a time: the same result as in one call, and the
 * same place where the head ends. */
#define parse_bytewise(r, s, used) \
	parse_bytewise_at((r), (s), (used), __FILE__, __LINE__)

/* parse_bytewise(), failing at file:line. */
static enum http_result
parse_bytewise_at(struct http_request *r, const char *s, size_t *used,
    const char *file, int line)
{
	enum http_result res = HTTP_MORE;
	size_t i, u = 0;

	http_init(r);
	for (i = 0; s[i] != '\0' && res == HTTP_MORE; i++) {
		res = http_feed(r, s + i, 1, &u);
		u_int_eq(u, 1, file, line);
	}
	*used = i;
	return res;
}

/* Expect s to fail with status, fed whole and byte by byte. */
#define expect_error(s, status) \
	expect_error_at((s), (status), __FILE__, __LINE__)

/* expect_error(), failing at file:line. */
static void
expect_error_at(const char *s, unsigned status, const char *file, int line)
{
	struct http_request r;
	size_t used;

	u_int_eq(parse(&r, s, &used), HTTP_ERROR, file, line);
	u_int_eq(r.status, status, file, line);
	u_true(r.why != NULL, file, line);
	u_int_eq(parse_bytewise_at(&r, s, &used, file, line), HTTP_ERROR,
	    file, line);
	u_int_eq(r.status, status, file, line);
}

static const char ws_head[] =
    "GET /ws HTTP/1.1\r\n"
    "Host: server.example.com\r\n"
    "Upgrade: websocket\r\n"
    "Connection: Upgrade\r\n"
    "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
    "Origin: http://example.com\r\n"
    "Sec-WebSocket-Protocol: chat, superchat\r\n"
    "Sec-WebSocket-Version: 13\r\n"
    "\r\n";

/* The RFC 6455 example handshake: every field lobbyd keeps. */
static void
test_websocket_head(void **state)
{
	struct http_request r;
	size_t used;

	(void)state;
	assert_int_equal(parse(&r, ws_head, &used), HTTP_DONE);
	assert_int_equal(used, strlen(ws_head));
	assert_int_equal(r.method, HTTP_GET);
	assert_int_equal(r.minor, 1);
	assert_string_equal(r.target, "/ws");
	assert_string_equal(r.host, "server.example.com");
	assert_string_equal(r.origin, "http://example.com");
	assert_string_equal(r.key, "dGhlIHNhbXBsZSBub25jZQ==");
	assert_string_equal(r.version, "13");
	assert_int_equal(r.flags, HTTP_F_HOST | HTTP_F_ORIGIN |
	    HTTP_F_UPGRADE | HTTP_F_WEBSOCKET | HTTP_F_KEY | HTTP_F_VERSION);
}

/* Any split of the head gives the same request. */
static void
test_every_split(void **state)
{
	struct http_request r;
	size_t n = strlen(ws_head), cut, u1, u2;

	(void)state;
	for (cut = 0; cut <= n; cut++) {
		http_init(&r);
		assert_int_equal(http_feed(&r, ws_head, cut, &u1),
		    cut == n ? HTTP_DONE : HTTP_MORE);
		assert_int_equal(u1, cut);
		if (cut == n)
			continue;
		assert_int_equal(http_feed(&r, ws_head + cut, n - cut, &u2),
		    HTTP_DONE);
		assert_int_equal(u2, n - cut);
		assert_string_equal(r.key, "dGhlIHNhbXBsZSBub25jZQ==");
		assert_string_equal(r.host, "server.example.com");
	}
	assert_int_equal(parse_bytewise(&r, ws_head, &u1), HTTP_DONE);
	assert_int_equal(u1, n);
	assert_string_equal(r.origin, "http://example.com");
}

/* Bytes after the empty line are not the parser's: the first frame of a
 * WebSocket may come in the same read. */
static void
test_bytes_after_head(void **state)
{
	static const char s[] = "GET / HTTP/1.1\r\nHost: a\r\n\r\n\x81\x85XYZW";
	struct http_request r;
	size_t used;

	(void)state;
	http_init(&r);
	assert_int_equal(http_feed(&r, s, sizeof s - 1, &used), HTTP_DONE);
	assert_int_equal(used, strlen("GET / HTTP/1.1\r\nHost: a\r\n\r\n"));
}

/* Field names ignore case; values lose surrounding whitespace only. */
static void
test_names_ignore_case(void **state)
{
	static const char s[] =
	    "GET / HTTP/1.1\r\n"
	    "hOsT:   localhost:8080 \t\r\n"
	    "ORIGIN:http://localhost:8080\r\n"
	    "connection: keep-alive,  UPGRADE\r\n"
	    "UPGRADE: WebSocket\r\n"
	    "sec-websocket-key:  a b  \r\n"
	    "SEC-WEBSOCKET-VERSION: 13\r\n"
	    "X-Other: ignored\r\n\r\n";
	struct http_request r;
	size_t used;

	(void)state;
	assert_int_equal(parse(&r, s, &used), HTTP_DONE);
	assert_string_equal(r.host, "localhost:8080");
	assert_string_equal(r.origin, "http://localhost:8080");
	assert_string_equal(r.key, "a b");
	assert_true(r.flags & HTTP_F_UPGRADE);
	assert_true(r.flags & HTTP_F_WEBSOCKET);
	assert_false(r.flags & HTTP_F_CLOSE);
}

/* Connection and Upgrade are token lists: whole tokens only. */
static void
test_token_lists(void **state)
{
	struct http_request r;
	size_t used;

	(void)state;
	assert_int_equal(parse(&r, "GET / HTTP/1.1\r\nHost: h\r\n"
	    "Connection: upgrades, close\r\nUpgrade: websockets\r\n\r\n",
	    &used), HTTP_DONE);
	assert_false(r.flags & HTTP_F_UPGRADE);
	assert_false(r.flags & HTTP_F_WEBSOCKET);
	assert_true(r.flags & HTTP_F_CLOSE);
	/* Two Connection fields add up; a product version is allowed. */
	assert_int_equal(parse(&r, "GET / HTTP/1.1\r\nHost: h\r\n"
	    "Connection: keep-alive\r\nConnection: Upgrade\r\n"
	    "Upgrade: h2c, websocket/13\r\n\r\n", &used), HTTP_DONE);
	assert_true(r.flags & HTTP_F_UPGRADE);
	assert_true(r.flags & HTTP_F_WEBSOCKET);

	assert_true(http_list_has("a, b ,c", "c"));
	assert_true(http_list_has("a,,B", "b"));
	assert_true(http_list_has("upgrade", "UPGRADE"));
	assert_false(http_list_has("", "a"));
	assert_false(http_list_has("ab, ba", "a"));
	assert_false(http_list_has("x-upgrade", "upgrade"));
}

/* Bare LF ends lines too, and empty lines before the request are
 * skipped (RFC 9112, 2.2). */
static void
test_bare_lf_and_leading_lines(void **state)
{
	struct http_request r;
	size_t used;

	(void)state;
	assert_int_equal(parse(&r, "\r\n\nGET /x HTTP/1.0\nA: b\n\n", &used),
	    HTTP_DONE);
	assert_int_equal(r.minor, 0);
	assert_string_equal(r.target, "/x");
	/* HTTP/1.0 needs no Host. */
	assert_false(r.flags & HTTP_F_HOST);
}

static void
test_methods(void **state)
{
	struct http_request r;
	size_t used;

	(void)state;
	assert_int_equal(parse(&r, "HEAD / HTTP/1.1\r\nHost: h\r\n\r\n",
	    &used), HTTP_DONE);
	assert_int_equal(r.method, HTTP_HEAD);
	assert_int_equal(parse(&r, "POST / HTTP/1.1\r\nHost: h\r\n\r\n",
	    &used), HTTP_DONE);
	assert_int_equal(r.method, HTTP_OTHER);
	/* Methods are case-sensitive. */
	assert_int_equal(parse(&r, "get / HTTP/1.1\r\nHost: h\r\n\r\n",
	    &used), HTTP_DONE);
	assert_int_equal(r.method, HTTP_OTHER);
	assert_int_equal(parse(&r, "GETTING-LONGER-THAN-32-BYTES-SURELY-X "
	    "/ HTTP/1.1\r\nHost: h\r\n\r\n", &used), HTTP_DONE);
	assert_int_equal(r.method, HTTP_OTHER);
}

static void
test_duplicates(void **state)
{
	struct http_request r;
	size_t used;

	(void)state;
	expect_error("GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n", 400);
	expect_error("GET / HTTP/1.1\r\nHost: a\r\nOrigin: http://a\r\n"
	    "Origin: http://b\r\n\r\n", 400);
	/* Two keys or versions are the handshake's business: flagged. */
	assert_int_equal(parse(&r, "GET / HTTP/1.1\r\nHost: a\r\n"
	    "Sec-WebSocket-Key: x\r\nSec-WebSocket-Key: y\r\n"
	    "Sec-WebSocket-Version: 13\r\nSec-WebSocket-Version: 8\r\n\r\n",
	    &used), HTTP_DONE);
	assert_true(r.flags & HTTP_F_KEYS);
	assert_true(r.flags & HTTP_F_VERSIONS);
	assert_string_equal(r.key, "x");
	assert_string_equal(r.version, "13");
}

static void
test_bodies(void **state)
{
	struct http_request r;
	size_t used;

	(void)state;
	assert_int_equal(parse(&r, "GET / HTTP/1.1\r\nHost: a\r\n"
	    "Content-Length: 000\r\n\r\n", &used), HTTP_DONE);
	assert_false(r.flags & HTTP_F_BODY);
	assert_int_equal(parse(&r, "GET / HTTP/1.1\r\nHost: a\r\n"
	    "Content-Length: 5\r\n\r\n", &used), HTTP_DONE);
	assert_true(r.flags & HTTP_F_BODY);
	assert_int_equal(parse(&r, "GET / HTTP/1.1\r\nHost: a\r\n"
	    "Transfer-Encoding: chunked\r\n\r\n", &used), HTTP_DONE);
	assert_true(r.flags & HTTP_F_BODY);
	expect_error("GET / HTTP/1.1\r\nHost: a\r\nContent-Length: 1x\r\n\r\n",
	    400);
	expect_error("GET / HTTP/1.1\r\nHost: a\r\nContent-Length:\r\n\r\n",
	    400);
	/* Two lengths (RFC 9112, 6.3): the framing is invalid, whatever
	 * their values and in whichever order. */
	expect_error("GET / HTTP/1.1\r\nHost: a\r\nContent-Length: 0\r\n"
	    "Content-Length: 5\r\n\r\n", 400);
	expect_error("GET / HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\n"
	    "Content-Length: 0\r\n\r\n", 400);
	expect_error("GET / HTTP/1.1\r\nHost: a\r\nContent-Length: 0\r\n"
	    "content-length: 0\r\n\r\n", 400);
}

static void
test_bad_request_lines(void **state)
{
	(void)state;
	expect_error("GET / HTTP/1.1\r\n\r\n", 400);		/* no Host */
	expect_error("GET / HTTP/2.0\r\nHost: a\r\n\r\n", 505);
	expect_error("GET / HTTP/0.9\r\nHost: a\r\n\r\n", 505);
	expect_error("GET / HTTP/1.10\r\nHost: a\r\n\r\n", 400);
	expect_error("GET / HTTP/1.\r\nHost: a\r\n\r\n", 400);
	expect_error("GET / http/1.1\r\nHost: a\r\n\r\n", 400);
	expect_error("GET /\r\nHost: a\r\n\r\n", 400);
	expect_error("GET  / HTTP/1.1\r\nHost: a\r\n\r\n", 400);
	/* A method is one token or more: none is no request line. */
	expect_error(" / HTTP/1.1\r\nHost: a\r\n\r\n", 400);
	expect_error("\r\n / HTTP/1.1\r\nHost: a\r\n\r\n", 400);
	expect_error("GE(T / HTTP/1.1\r\nHost: a\r\n\r\n", 400);
	expect_error("GET /a\x01 HTTP/1.1\r\nHost: a\r\n\r\n", 400);
	expect_error("GET /\xc3\xa9 HTTP/1.1\r\nHost: a\r\n\r\n", 400);
	expect_error("GET / HTTP/1.1\rHost: a\r\n\r\n", 400);
}

static void
test_bad_fields(void **state)
{
	(void)state;
	expect_error("GET / HTTP/1.1\r\nHost : a\r\n\r\n", 400);
	expect_error("GET / HTTP/1.1\r\nHost: a\r\n b\r\n\r\n", 400);
	expect_error("GET / HTTP/1.1\r\nHost: a\r\nX: a\x01\r\n\r\n", 400);
	expect_error("GET / HTTP/1.1\r\nHost: a\r\nX: a\x7f\r\n\r\n", 400);
	expect_error("GET / HTTP/1.1\r\nHost: a\r\nX: a\rb\r\n\r\n", 400);
	expect_error("GET / HTTP/1.1\r\nHost: a\r\n: empty\r\n\r\n", 400);
	expect_error("GET / HTTP/1.1\r\nHost: a\r\nX\r\n\r\n", 400);
	expect_error("GET / HTTP/1.1\r\nHost: a\r\n\rX", 400);
}

/* Host is uri-host [":" port] (RFC 9110, 7.2): anything else is a bad
 * request (RFC 9112, 3.2), even though lobbyd does not act on it. */
static void
test_host_values(void **state)
{
	static const char *const good[] = {
		"h", "localhost:8080", "127.0.0.1", "127.0.0.1:80",
		"server.example.com", "[::1]", "[::1]:8080",
		"[2001:db8::7]:1", "[::ffff:192.0.2.1]", "[v1.x:y]",
		"a-b_c~d.e", "%41b", "x!$&'()*+,;=", "h:", "h:65535",
		"h:00080", "", ":80",
	};
	static const char *const bad[] = {
		"a b", "a/b", "a@b", "a?b", "a#b", "a\\b", "a\"b", "a<b",
		"a\tb", "caf\xc3\xa9", "%4", "%zz", "h:x", "h:8o", "h:-1",
		"h:65536", "h:99999999999999999999", "h:80:80", "::1",
		"[::1", "[::1]x", "[::1]:x", "[::g]", "[]", "[1.2.3.4]",
		"[v1]", "[v.x]", "[vq.x]", "[v1.]", "[v1.x/]", "a]", "[::1]]",
	};
	struct http_request r;
	char s[128];
	size_t i, used;

	(void)state;
	for (i = 0; i < sizeof good / sizeof good[0]; i++) {
		snprintf(s, sizeof s, "GET / HTTP/1.1\r\nHost: %s\r\n\r\n",
		    good[i]);
		if (parse(&r, s, &used) != HTTP_DONE)
			fail_msg("Host: %s refused (%s)", good[i], r.why);
		assert_string_equal(r.host, good[i]);
	}
	for (i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		snprintf(s, sizeof s, "GET / HTTP/1.1\r\nHost: %s\r\n\r\n",
		    bad[i]);
		if (parse(&r, s, &used) != HTTP_ERROR)
			fail_msg("Host: %s accepted", bad[i]);
		assert_int_equal(r.status, 400);
		assert_string_equal(r.why, "bad Host");
		expect_error(s, 400);
	}
	/* HTTP/1.0 needs no Host, but one it sends is checked too. */
	expect_error("GET / HTTP/1.0\r\nHost: a b\r\n\r\n", 400);
	/* Two are refused as two, whatever their values. */
	assert_int_equal(parse(&r, "GET / HTTP/1.1\r\nHost: a\r\n"
	    "Host: a\r\n\r\n", &used), HTTP_ERROR);
	assert_string_equal(r.why, "more than one Host");
}

/* obs-text (bytes 0x80-0xFF) is allowed in values, as RFC 9110 says. */
static void
test_obs_text(void **state)
{
	struct http_request r;
	size_t used;

	(void)state;
	assert_int_equal(parse(&r, "GET / HTTP/1.1\r\nHost: a\r\n"
	    "User-Agent: caf\xc3\xa9\r\nOrigin: http://\xff\r\n\r\n", &used),
	    HTTP_DONE);
	assert_string_equal(r.origin, "http://\xff");
}

/* The limits: target length, a kept field's length, the whole head. */
static void
test_limits(void **state)
{
	struct http_request r;
	/* Static, not malloc()ed: gcc's -Warray-bounds misreads the heap
	 * buffer's size under the sanitizers' instrumentation. */
	static char s[HTTP_HEAD_MAX + 64];
	size_t used, pre, n;

	(void)state;

	/* A target of exactly HTTP_TARGET_MAX is fine, one more is 414. */
	memset(s, 0, HTTP_HEAD_MAX + 64);
	memcpy(s, "GET /", 5);
	memset(s + 5, 'a', HTTP_TARGET_MAX - 1);
	strcat(s, " HTTP/1.1\r\nHost: a\r\n\r\n");
	assert_int_equal(parse(&r, s, &used), HTTP_DONE);
	assert_int_equal(strlen(r.target), HTTP_TARGET_MAX);
	memset(s, 0, HTTP_HEAD_MAX + 64);
	memcpy(s, "GET /", 5);
	memset(s + 5, 'a', HTTP_TARGET_MAX);
	strcat(s, " HTTP/1.1\r\nHost: a\r\n\r\n");
	expect_error(s, 414);

	/* A kept field over HTTP_FIELD_MAX is refused; another is not. */
	memset(s, 0, HTTP_HEAD_MAX + 64);
	strcpy(s, "GET / HTTP/1.1\r\nHost: a\r\nOrigin: ");
	memset(s + strlen(s), 'o', HTTP_FIELD_MAX + 1);
	strcat(s, "\r\n\r\n");
	expect_error(s, 400);
	memcpy(s + strlen("GET / HTTP/1.1\r\nHost: a\r\n"), "Xrigin", 6);
	assert_int_equal(parse(&r, s, &used), HTTP_DONE);

	/* A head of exactly HTTP_HEAD_MAX bytes passes; one more is 431. */
	memset(s, 0, HTTP_HEAD_MAX + 64);
	strcpy(s, "GET / HTTP/1.1\r\nHost: a\r\nX-Pad: ");
	pre = strlen(s);
	n = HTTP_HEAD_MAX - pre - 4;
	memset(s + pre, 'p', n);
	strcat(s, "\r\n\r\n");
	assert_int_equal(strlen(s), HTTP_HEAD_MAX);
	assert_int_equal(parse(&r, s, &used), HTTP_DONE);
	assert_int_equal(used, HTTP_HEAD_MAX);
	memset(s + pre, 'p', n + 1);
	strcpy(s + pre + n + 1, "\r\n\r\n");
	expect_error(s, 431);
	/* Endless empty lines before a request count too. */
	memset(s, '\n', HTTP_HEAD_MAX + 1);
	s[HTTP_HEAD_MAX + 1] = '\0';
	expect_error(s, 431);
}

/* Once failed, the parser stays failed. */
static void
test_sticky_error(void **state)
{
	struct http_request r;
	size_t used;

	(void)state;
	assert_int_equal(parse(&r, "BAD\x01", &used), HTTP_ERROR);
	assert_int_equal(used, 4);
	assert_int_equal(http_feed(&r, "GET / HTTP/1.1\r\nHost: a\r\n\r\n", 27,
	    &used), HTTP_ERROR);
	assert_int_equal(r.status, 400);
}

static void
test_path(void **state)
{
	static const struct {
		const char	*target;	/* as sent */
		const char	*path;		/* its path */
	} cases[] = {
		{ "/", "/" },
		{ "/ws", "/ws" },
		{ "/ws?nick=x", "/ws" },
		{ "/metrics#x", "/metrics" },
		{ "http://h:8080/ws?q", "/ws" },
		{ "HTTPS://h", "/" },
		{ "http://h?q", "/" },
		{ "*", "*" },
	};
	struct http_request r;
	const char *p;
	size_t i, n;

	(void)state;
	for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		http_init(&r);
		strcpy(r.target, cases[i].target);
		p = http_path(&r, &n);
		assert_int_equal(n, strlen(cases[i].path));
		assert_memory_equal(p, cases[i].path, n);
	}
}

static void
test_reasons(void **state)
{
	(void)state;
	assert_string_equal(http_reason(404), "Not Found");
	assert_string_equal(http_reason(408), "Request Timeout");
	assert_string_equal(http_reason(431),
	    "Request Header Fields Too Large");
	assert_string_equal(http_reason(101), "Switching Protocols");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_websocket_head),
		cmocka_unit_test(test_every_split),
		cmocka_unit_test(test_bytes_after_head),
		cmocka_unit_test(test_names_ignore_case),
		cmocka_unit_test(test_token_lists),
		cmocka_unit_test(test_bare_lf_and_leading_lines),
		cmocka_unit_test(test_methods),
		cmocka_unit_test(test_duplicates),
		cmocka_unit_test(test_bodies),
		cmocka_unit_test(test_bad_request_lines),
		cmocka_unit_test(test_bad_fields),
		cmocka_unit_test(test_host_values),
		cmocka_unit_test(test_obs_text),
		cmocka_unit_test(test_limits),
		cmocka_unit_test(test_sticky_error),
		cmocka_unit_test(test_path),
		cmocka_unit_test(test_reasons),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
