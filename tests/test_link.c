/* test_link: the client's connection: what goes out, how lines come in. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <setjmp.h>
#include <cmocka.h>

#include "link.h"
#include "unit.h"

/* Queue n bytes of text; the queue must then hold want (wlen bytes). */
#define assert_sends(l, text, n, want, wlen)				\
	assert_sends_at((l), (text), (n), (want), (wlen), __FILE__, __LINE__)

/* assert_sends(), failing at file:line. */
static void
assert_sends_at(struct link *l, const char *text, size_t n, const char *want,
    size_t wlen, const char *file, int line)
{
	buf_clear(&l->outq);
	u_int_eq(link_send(l, text, n), 0, file, line);
	u_int_eq(buf_used(&l->outq), wlen, file, line);
	u_mem_eq(buf_peek(&l->outq), want, wlen, file, line);
}

/*
 * The server reads 0xFF as telnet's IAC: each one goes doubled, or a
 * 0xFF 0xFA (IAC SB) would swallow every later line, /quit too.
 */
static void
test_send_iac(void **state)
{
	char big[1024], want[2 * 1024 + 1];
	struct link l;

	(void)state;
	link_init(&l);
	assert_sends(&l, "hello", 5, "hello\n", 6);
	assert_sends(&l, "", 0, "\n", 1);
	assert_sends(&l, "\xff\xfa latin-1", 10, "\xff\xff\xfa latin-1\n", 12);
	assert_sends(&l, "a\xff", 2, "a\xff\xff\n", 4);
	assert_sends(&l, "\xff\xff", 2, "\xff\xff\xff\xff\n", 5);
	memset(big, 0xff, sizeof big);
	memset(want, 0xff, sizeof want - 1);
	want[sizeof want - 1] = '\n';
	assert_sends(&l, big, sizeof big, want, sizeof want);
	assert_false(l.quitting);
	/* Lines queue one after the other, each whole. */
	buf_clear(&l.outq);
	assert_int_equal(link_send(&l, "x\xff", 2), 0);
	assert_int_equal(link_send(&l, "/quit", 5), 0);
	assert_int_equal(buf_used(&l.outq), 10);
	assert_memory_equal(buf_peek(&l.outq), "x\xff\xff\n/quit\n", 10);
	assert_true(l.quitting);
	link_close(&l);
}

/* What link_read() handed out. */
struct got {
	size_t	 lines;		/* LINE_TEXT events */
	size_t	 len;		/* the last one's length */
	bool	 all_x;		/* every line was x's only */
	size_t	 toolong;	/* LINE_TOOLONG events */
};

static int
got_line(void *arg, enum line_event ev, const char *text, size_t len)
{
	struct got *g = arg;
	size_t i;

	if (ev == LINE_TOOLONG) {
		g->toolong++;
		return 0;
	}
	g->lines++;
	g->len = len;
	for (i = 0; i < len; i++)
		if (text[i] != 'x')
			g->all_x = false;
	return 0;
}

/*
 * Send a line of n x's (and its LF) from the "server" (a pipe) to l,
 * reading as it goes; the pipe holds less than the line.
 */
static void
serve_line(struct link *l, int wfd, size_t n, struct got *g)
{
	static char chunk[16384];
	size_t left = n + 1, k;

	memset(chunk, 'x', sizeof chunk);
	while (left > 0) {
		k = left < sizeof chunk ? left : sizeof chunk;
		if (k == left)
			chunk[k - 1] = '\n';
		assert_int_equal(write(wfd, chunk, k), (ssize_t)k);
		assert_int_equal(link_read(l, got_line, g), LINK_OK);
		left -= k;
	}
}

/*
 * A /rooms answer passes 64 KiB from some 1600 rooms: lines of
 * megabytes come whole, the storage goes once they are out, and only
 * one over LINK_MAXLINE is dropped.
 */
static void
test_read_long_lines(void **state)
{
	struct got g = { 0, 0, true, 0 };
	struct link l;
	int fds[2];

	(void)state;
	link_init(&l);
	assert_int_equal(pipe(fds), 0);
	l.sock = fds[0];
	serve_line(&l, fds[1], 10, &g);
	assert_int_equal(g.lines, 1);
	assert_int_equal(g.len, 10);
	serve_line(&l, fds[1], 200 * 1024, &g);
	assert_int_equal(g.lines, 2);
	assert_int_equal(g.len, 200 * 1024);
	assert_null(l.in.part.data);
	serve_line(&l, fds[1], 4 * 1024 * 1024, &g);
	assert_int_equal(g.lines, 3);
	assert_int_equal(g.len, 4 * 1024 * 1024);
	assert_null(l.in.part.data);
	assert_int_equal(g.toolong, 0);
	serve_line(&l, fds[1], LINK_MAXLINE, &g);
	assert_int_equal(g.lines, 4);
	assert_int_equal(g.len, LINK_MAXLINE);
	serve_line(&l, fds[1], LINK_MAXLINE + 1, &g);
	assert_int_equal(g.lines, 4);
	assert_int_equal(g.toolong, 1);
	serve_line(&l, fds[1], 3, &g);
	assert_int_equal(g.lines, 5);
	assert_int_equal(g.len, 3);
	assert_true(g.all_x);
	close(fds[1]);
	link_close(&l);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_send_iac),
		cmocka_unit_test(test_read_long_lines),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
