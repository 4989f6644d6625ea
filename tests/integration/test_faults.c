/* test_faults: resets, half-closes, vanishing readers and connect churn. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "harness.h"

#define CYCLES		2000	/* connect/close cycles in the churn test */

/* Built with AddressSanitizer, as lobbyd then is too (same build). */
#if defined(__SANITIZE_ADDRESS__)
#define SANITIZED	1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define SANITIZED	1
#endif
#endif
#ifndef SANITIZED
#define SANITIZED	0
#endif

/* ---------------------------------------------------------------------
 * Helpers
 * ------------------------------------------------------------------- */

/* Close fd with a reset rather than a FIN. */
static void
raw_reset(int fd)
{
	struct linger lg = { 1, 0 };

	(void)setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof lg);
	close(fd);
}

/* ---------------------------------------------------------------------
 * Tests
 * ------------------------------------------------------------------- */

/*
 * A reset in the middle of a line: the lines before it were relayed, the
 * unfinished one never is, the others hear "left (error)", and lobbyd is
 * back to the fds it had.
 */
static void
test_reset_mid_line(void **state)
{
	struct h_server *s = *state;
	struct h_conn *a, *b;
	int fds;

	assert_int_equal(h_start(s, NULL), 0);
	b = h_join_as(s, "b");
	fds = h_fd_count(s->pid);
	a = h_join_as(s, "a");
	h_settle(b, "a");
	h_send(a, "a whole line\n");
	h_expect(b, "<a> a whole line");
	h_send(a, "half a li");
	/* Let lobbyd read the half line before the reset. */
	h_sleep_ms(100);
	h_reset(a);
	h_expect(b, "*** a left (error)");
	h_nothing(b);
	h_fds_back_to(s, fds);

	/* The same, with the reset hard on the heels of the bytes. */
	a = h_join_as(s, "a2");
	h_settle(b, "a2");
	h_send(a, "gone before the end of this");
	h_reset(a);
	h_expect(b, "*** a2 left (error)");
	h_nothing(b);
	h_fds_back_to(s, fds);
	assert_true(h_log_has(s, "a2 left (read error)", 0));
	h_close(b);
}

/*
 * Half-close after sending: every line sent before the FIN is relayed,
 * the last one without its LF too, then "left"; the client then sees the
 * server close. With more than one read's worth queued, nothing is lost.
 */
static void
test_half_close(void **state)
{
	struct h_server *s = *state;
	struct h_conn *a, *b;
	char *big, line[600], want[640];
	size_t len = 0;
	int fds, i;

	assert_int_equal(h_start(s, NULL), 0);
	b = h_join_as(s, "b");
	fds = h_fd_count(s->pid);
	a = h_join_as(s, "a");
	h_settle(b, "a");
	h_send(a, "one\ntwo\r\nthree, no LF");
	assert_int_equal(shutdown(a->fd, SHUT_WR), 0);
	h_expect(b, "<a> one");
	h_expect(b, "<a> two");
	h_expect(b, "<a> three, no LF");
	h_expect(b, "*** a left");
	assert_true(h_eof(a, H_TIMEOUT_MS));
	h_close(a);
	h_fds_back_to(s, fds);

	/* 300 lines, about ten reads' worth, then the FIN at once. */
	a = h_join_as(s, "a");
	h_settle(b, "a");
	big = malloc(300 * sizeof line);
	assert_non_null(big);
	for (i = 0; i < 300; i++) {
		memset(line, 'a' + i % 26, 500);
		snprintf(line + 500, sizeof line - 500, " %03d\n", i);
		memcpy(big + len, line, strlen(line));
		len += strlen(line);
	}
	assert_int_equal(h_send_raw(a, big, len), 0);
	assert_int_equal(shutdown(a->fd, SHUT_WR), 0);
	free(big);
	for (i = 0; i < 300; i++) {
		memset(line, 'a' + i % 26, 500);
		snprintf(line + 500, sizeof line - 500, " %03d", i);
		snprintf(want, sizeof want, "<a> %s", line);
		h_expect(b, want);
	}
	h_expect(b, "*** a left");
	assert_true(h_eof(a, H_TIMEOUT_MS));
	h_close(a);
	h_fds_back_to(s, fds);
	h_close(b);
}

/*
 * A reader vanishes while lobbyd holds output for it (it stopped reading
 * and its queue is deep): with a reset, and with a plain close. Nobody
 * else loses a line, and its fd and queue are released.
 */
static void
test_vanish_with_output_queued(void **state)
{
	struct h_server *s = *state;
	struct h_conn *a, *b, *v;
	char line[300], want[320];
	int fds, i, round;
	long rss[3];

	assert_int_equal(h_start(s, "--sendq", "8388608", NULL), 0);
	a = h_join_as(s, "a");
	b = h_join_as(s, "b");
	h_drain(a);
	fds = h_fd_count(s->pid);
	rss[0] = h_rss_kib(s->pid);
	for (round = 0; round < 2; round++) {
		v = h_join_stalled(s, "v");
		h_settle(a, "v");
		h_settle(b, "v");
		/* About 1 MB: far more than the kernel buffers for v hold. */
		for (i = 0; i < 4000; i++) {
			memset(line, 'k', 250);
			snprintf(line + 250, sizeof line - 250, " %04d\n", i);
			h_send(a, line);
			line[strlen(line) - 1] = '\0';
			snprintf(want, sizeof want, "<a> %s", line);
			h_expect(b, want);
		}
		if (round == 0)
			h_reset(v);
		else
			h_close(v);
		h_expect(b, "*** v left (error)");
		h_expect(a, "*** v left (error)");
		h_fds_back_to(s, fds);
		rss[round + 1] = h_rss_kib(s->pid);
	}
	print_message("lobbyd RSS %ld KiB before, %ld and %ld after each "
	    "reader left with a megabyte queued\n", rss[0], rss[1], rss[2]);
	/*
	 * The allocator may keep pages a megabyte queue once took; it must
	 * not keep the queues. (Leaks proper fail the exit status under a
	 * sanitizer: see h_teardown.)
	 */
	assert_true(!h_rss_meaningful() || rss[2] - rss[0] < 6 * 1024);
	h_send(b, "still here\n");
	h_expect(a, "<b> still here");
	h_close(a);
	h_close(b);
}

/* What the observer of the churn has counted. */
struct churn_seen {
	int	joined;		/* "*** guestN joined" */
	int	left;		/* "*** guestN left..." */
};

static void
churn_count(struct h_conn *o, struct churn_seen *seen, int ms)
{
	const char *l;

	while ((l = h_line(o, ms)) != NULL) {
		if (strncmp(l, "*** guest", 9) != 0)
			continue;
		if (strstr(l, " joined") != NULL)
			seen->joined++;
		else if (strstr(l, " left") != NULL)
			seen->left++;
	}
}

/*
 * 2000 connections that come and go every way there is: closed before a
 * byte is read, after the welcome, reset after a line, reset at once.
 * Each joins and leaves exactly once in the eyes of a member who stays;
 * afterwards lobbyd holds the fds it held before and its memory has not
 * grown, and the room works.
 */
static void
test_connect_churn(void **state)
{
	struct h_server *s = *state;
	struct churn_seen seen = { 0, 0 };
	struct h_conn *o, *n;
	char buf[256];
	long rss0, rss1 = 0, rss2;
	long long end;
	int fds, fd, i;

	assert_int_equal(h_start(s, NULL), 0);
	o = h_join_as(s, "observer");
	fds = h_fd_count(s->pid);
	rss0 = h_rss_kib(s->pid);
	for (i = 0; i < CYCLES; i++) {
		fd = h_raw_connect(s->port);
		assert_true(fd != -1);
		switch (i % 4) {
		case 0:
			close(fd);
			break;
		case 1:
			(void)recv(fd, buf, sizeof buf, 0);
			close(fd);
			break;
		case 2:
			(void)send(fd, "hi\n", 3, MSG_NOSIGNAL);
			raw_reset(fd);
			break;
		default:
			raw_reset(fd);
			break;
		}
		if (i % 200 == 199)
			churn_count(o, &seen, 0);
		if (i == CYCLES / 2)
			rss1 = h_rss_kib(s->pid);
	}
	end = h_now_ms() + H_TIMEOUT_MS;
	while (seen.left < CYCLES && h_now_ms() < end)
		churn_count(o, &seen, 50);
	print_message("%d cycles: the observer saw %d joins and %d leaves\n",
	    CYCLES, seen.joined, seen.left);
	assert_int_equal(seen.joined, CYCLES);
	assert_int_equal(seen.left, CYCLES);
	h_fds_back_to(s, fds);
	rss2 = h_rss_kib(s->pid);
	print_message("lobbyd RSS %ld KiB before, %ld half way, %ld after\n",
	    rss0, rss1, rss2);
	/*
	 * A kilobyte kept per connection would be 2 MB here. A sanitizer's
	 * allocator keeps more for itself, but it checks for leaks at exit.
	 */
	assert_true(!h_rss_meaningful() ||
	    rss2 - rss0 < (SANITIZED ? 4 : 1) * 1024);

	n = h_connect(s);
	assert_non_null(n);
	h_expect(n, "*** welcome to lobby, you are guest1 (2 online; /help "
	    "for commands)");
	h_expect(o, "*** guest1 joined");
	h_send(n, "after the storm\n");
	h_expect(o, "<guest1> after the storm");
	h_close(n);
	h_close(o);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		h_test(test_reset_mid_line),
		h_test(test_half_close),
		h_test(test_vanish_with_output_queued),
		h_test(test_connect_churn),
	};

	signal(SIGPIPE, SIG_IGN);
	h_small_quarantine();
	return cmocka_run_group_tests(tests, NULL, NULL);
}
