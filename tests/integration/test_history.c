/* test_history: the room log over real sockets: history for joiners, private lines in place, memory under a flood. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>

#include "harness.h"

#define FLOOD_STALLED	200	/* members that never read */
#define FLOOD_LINES	300000	/* lines the sender floods */
#define FLOOD_BYTES	64	/* bytes per flood line, LF not counted */
#define FLOOD_STEP	400	/* lines sent before the reader catches up */
#define FLOOD_PEAK_KIB	(16 * 1024) /* the bound on lobbyd's growth */
#define CHURN_NICKS	150000	/* nick changes with no chat between */
#define CHURN_STEP	500	/* changes sent before their notices are read */
#define CHURN_PEAK_KIB	(2 * 1024) /* the bound on lobbyd's growth */
#define RENAMES		30000	/* renames in one burst, after a full history */
#define RENAME_STEP	1000	/* renames sent before their notices are read */
#define RENAME_PEAK_KIB	(16 * 1024) /* the bound on lobbyd's growth */

/* Join as nick and read past the welcome and the joins and renames. */
static struct h_conn *
member(const struct h_server *s, const char *nick)
{
	struct h_conn *c = h_join_as(s, nick);

	h_drain(c);
	return c;
}

/* ---------------------------------------------------------------------
 * History
 * ------------------------------------------------------------------- */

static void
test_history_default(void **state)
{
	struct h_server *s = *state;
	struct h_conn *a, *b, *c;
	char nick[32];

	assert_int_equal(h_start(s, NULL), 0);
	a = member(s, "alice");
	b = member(s, "bob");
	h_settle(a, "bob");
	/* One at a time: the order between two senders is the server's. */
	h_send(a, "hello\n");
	h_expect(b, "<alice> hello");
	h_send(b, "/me waves\n");
	h_expect(a, "* bob waves");
	h_send(a, "/msg bob not history\n");
	h_expect(b, "[pm] <alice> not history");
	h_send(b, "/who\n");
	h_expect(b, "*** 2 online: alice bob");
	h_send(a, "//slash\n");
	h_expect(b, "<alice> /slash");
	c = h_join(s, nick);
	/* The welcome stays first; the history comes right after it. */
	h_expect(c, "*** last 3 messages:");
	h_expect_history(c, "<alice> hello");
	h_expect_history(c, "* bob waves");
	h_expect_history(c, "<alice> /slash");
	h_expect(c, "*** end of history");
	/* Then the stream is live: nothing missed, nothing twice. */
	h_send(a, "after\n");
	h_expect(c, "<alice> after");
	assert_true(h_silent(c, 150));
	h_expect(a, "*** guest1 joined");
	h_close(a);
	h_close(b);
	h_close(c);
}

static void
test_history_two(void **state)
{
	struct h_server *s = *state;
	struct h_conn *a, *c;

	assert_int_equal(h_start(s, "--history", "2", NULL), 0);
	a = member(s, "alice");
	h_send(a, "one\n");
	h_send(a, "two\n");
	h_send(a, "three\n");
	h_send(a, "/who\n");
	h_expect(a, "*** 1 online: alice");
	c = h_join(s, NULL);
	h_expect(c, "*** last 2 messages:");
	h_expect_history(c, "<alice> two");
	h_expect_history(c, "<alice> three");
	h_expect(c, "*** end of history");
	assert_true(h_silent(c, 150));
	h_close(a);
	h_close(c);
}

static void
test_history_off(void **state)
{
	struct h_server *s = *state;
	struct h_conn *a, *c;

	assert_int_equal(h_start(s, "--history=0", NULL), 0);
	a = member(s, "alice");
	h_send(a, "one\n");
	h_send(a, "/who\n");
	h_expect(a, "*** 1 online: alice");
	c = h_join(s, NULL);
	/* No block at all: the next line is live. */
	h_send(a, "live\n");
	h_expect(c, "<alice> live");
	h_close(a);
	h_close(c);
}

static void
test_history_none_yet(void **state)
{
	struct h_server *s = *state;
	struct h_conn *a, *c;

	assert_int_equal(h_start(s, NULL), 0);
	a = member(s, "alice");
	/* Notices are not history: with no chat yet, no block. */
	h_send(a, "/nick alicia\n");
	h_expect(a, "*** alice is now alicia");
	c = h_join(s, NULL);
	h_send(a, "live\n");
	h_expect(c, "<alicia> live");
	h_close(a);
	h_close(c);
}

static void
test_history_sixty_keeps_fifty(void **state)
{
	struct h_server *s = *state;
	struct h_conn *a, *c;
	char line[64];
	int i;

	assert_int_equal(h_start(s, NULL), 0);
	a = member(s, "alice");
	for (i = 1; i <= 60; i++) {
		snprintf(line, sizeof line, "line %d\n", i);
		h_send(a, line);
	}
	h_send(a, "/who\n");
	h_expect(a, "*** 1 online: alice");
	c = h_join(s, NULL);
	h_expect(c, "*** last 50 messages:");
	for (i = 11; i <= 60; i++) {
		snprintf(line, sizeof line, "<alice> line %d", i);
		h_expect_history(c, line);
	}
	h_expect(c, "*** end of history");
	assert_true(h_silent(c, 150));
	h_close(a);
	h_close(c);
}

static void
test_history_bad_values(void **state)
{
	struct h_server *s = *state;

	/* Out of range: usage, exit 2, nothing started. */
	assert_int_equal(h_start(s, "--history", "100001", NULL), -1);
	assert_true(WIFEXITED(s->status) && WEXITSTATUS(s->status) == 2);
	assert_true(h_log_has(s, "--history 100001: must be a number from 0 "
	    "to 100000", 0));
	assert_int_equal(h_start(s, "--history=-1", NULL), -1);
	assert_true(WIFEXITED(s->status) && WEXITSTATUS(s->status) == 2);
}

/* ---------------------------------------------------------------------
 * Private lines keep their place between broadcasts
 * ------------------------------------------------------------------- */

static void
test_private_between_broadcasts(void **state)
{
	struct h_server *s = *state;
	struct h_conn *a, *b, *c;
	int i, na, nc, np;
	char line[64];

	assert_int_equal(h_start(s, "--history", "0", NULL), 0);
	a = member(s, "alice");
	b = member(s, "bob");
	c = member(s, "carol");
	h_settle(a, "carol");
	h_settle(b, "carol");
	/* Sent in one write: the server handles them in one pass. */
	h_send(a, "one\n/msg bob psst\ntwo\n/who\nthree\n");
	h_expect(b, "<alice> one");
	h_expect(b, "[pm] <alice> psst");
	h_expect(b, "<alice> two");
	h_expect(b, "<alice> three");
	h_expect(a, "*** 3 online: alice bob carol");
	h_expect(c, "<alice> one");
	h_expect(c, "<alice> two");
	h_expect(c, "<alice> three");
	/*
	 * Many of each, from two senders whose lines interleave as the
	 * server reads them: bob gets each sender's lines in order, and
	 * carol's [pm] p<i> after her line c<i> and before c<i+1>.
	 */
	for (i = 0; i < 200; i++) {
		snprintf(line, sizeof line, "c%d\n/msg bob p%d\n", i, i);
		h_send(c, line);
		snprintf(line, sizeof line, "a%d\n", i);
		h_send(a, line);
	}
	na = nc = np = 0;
	while (na < 200 || nc < 200 || np < 200) {
		const char *l = h_line(b, H_TIMEOUT_MS);
		int k;

		assert_non_null(l);
		if (sscanf(l, "<alice> a%d", &k) == 1) {
			assert_int_equal(k, na++);
		} else if (sscanf(l, "<carol> c%d", &k) == 1) {
			assert_int_equal(k, nc++);
			assert_int_equal(np, k);
		} else if (sscanf(l, "[pm] <carol> p%d", &k) == 1) {
			assert_int_equal(k, np++);
			assert_int_equal(nc, np);
		} else
			fail_msg("unexpected line: %s", l);
	}
	assert_true(h_silent(b, 150));
	h_close(a);
	h_close(b);
	h_close(c);
}

/* ---------------------------------------------------------------------
 * Memory: one copy per line, whatever the number of stalled members
 * ------------------------------------------------------------------- */

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

static void
test_flood_memory_bound(void **state)
{
	struct h_server *s = *state;
	struct h_conn *a, *b, *st[FLOOD_STALLED];
	char nick[32], *block, want[FLOOD_BYTES + 16];
	long start, peak;
	int i, j, cut = 0, next = 0;
	const char *l;

	assert_int_equal(h_start(s, "--history", "50", NULL), 0);
	a = member(s, "alice");
	b = member(s, "bob");
	for (i = 0; i < FLOOD_STALLED; i++) {
		snprintf(nick, sizeof nick, "s%d", i);
		st[i] = h_join_stalled(s, nick);
	}
	/* nick: the last stalled member's. */
	h_settle(a, nick);
	h_settle(b, nick);
	start = status_kib(s->pid, "VmRSS");
	block = malloc((size_t)FLOOD_STEP * (FLOOD_BYTES + 1));
	assert_non_null(block);
	/* alice floods in steps; bob reads each step before the next. */
	for (i = 0; i < FLOOD_LINES; i += FLOOD_STEP) {
		for (j = 0; j < FLOOD_STEP; j++) {
			char *p = block + (size_t)j * (FLOOD_BYTES + 1);

			snprintf(p, FLOOD_BYTES + 1, "%08d", i + j);
			memset(p + 8, 'f', FLOOD_BYTES - 8);
			p[FLOOD_BYTES] = '\n';
		}
		assert_int_equal(h_send_raw(a, block,
		    (size_t)FLOOD_STEP * (FLOOD_BYTES + 1)), 0);
		while (next < i + FLOOD_STEP) {
			l = h_line(b, H_TIMEOUT_MS);
			assert_non_null(l);
			if (strncmp(l, "*** s", 5) == 0) {
				assert_non_null(strstr(l, " left (too slow)"));
				cut++;
				continue;
			}
			snprintf(want, sizeof want, "<alice> %08d", next);
			assert_memory_equal(l, want, strlen(want));
			next++;
		}
		/* alice reads too: only the leave notices come to her. */
		while ((l = h_line(a, 0)) != NULL)
			assert_memory_equal(l, "*** s", 5);
	}
	free(block);
	while (cut < FLOOD_STALLED && (l = h_line(b, H_TIMEOUT_MS)) != NULL)
		if (strstr(l, " left (too slow)") != NULL)
			cut++;
	/* Every stalled member fell a send queue behind and was cut. */
	assert_int_equal(cut, FLOOD_STALLED);
	peak = status_kib(s->pid, "VmHWM");
	print_message("lobbyd RSS %ld KiB before the flood, peak %ld KiB "
	    "(%d stalled members, %d lines of %d bytes)\n", start, peak,
	    FLOOD_STALLED, FLOOD_LINES, FLOOD_BYTES);
	/*
	 * A copy of the backlog per member would grow by 200 x --sendq
	 * (200 MiB); one shared log grows by about --sendq.
	 */
	if (h_rss_meaningful())
		assert_true(peak - start <= FLOOD_PEAK_KIB);
	for (i = 0; i < FLOOD_STALLED; i++)
		h_close(st[i]);
	h_send(b, "still here\n");
	h_expect(a, "<bob> still here");
	h_close(a);
	h_close(b);
}

/*
 * Nick changes with no chat between them are notices in the room log,
 * kept there for the history's sake only up to --sendq bytes (past that
 * the history's lines are compacted out of the log): a member renaming
 * itself without end (8 MB of notices here) cannot make lobbyd's memory
 * grow, and the chat lines before and after the churn are both history.
 */
static void
test_churn_memory_bound(void **state)
{
	struct h_server *s = *state;
	struct h_conn *a, *b, *c;
	char *block, *p, want[64];
	long start, peak;
	int i, j, ka = 0, kb = 0;
	const char *l;

	assert_int_equal(h_start(s, "--sendq", "65536", NULL), 0);
	a = member(s, "alice");
	b = member(s, "bob");
	h_settle(a, "bob");
	h_send(a, "before\n");
	h_expect(b, "<alice> before");
	start = status_kib(s->pid, "VmRSS");
	block = malloc((size_t)CHURN_STEP * 32);
	assert_non_null(block);
	for (i = 0; i < CHURN_NICKS; i += CHURN_STEP) {
		p = block;
		for (j = 0; j < CHURN_STEP; j++)
			p += sprintf(p, "/nick c%019d\n", i + j);
		assert_int_equal(h_send_raw(b, block, (size_t)(p - block)), 0);
		/* Both read every notice of the step before the next. */
		for (; kb < i + CHURN_STEP; kb++) {
			snprintf(want, sizeof want, " is now c%019d", kb);
			assert_non_null(l = h_line(b, H_TIMEOUT_MS));
			assert_non_null(strstr(l, want));
		}
		for (; ka < i + CHURN_STEP; ka++)
			assert_non_null(h_line(a, H_TIMEOUT_MS));
	}
	free(block);
	peak = status_kib(s->pid, "VmHWM");
	print_message("lobbyd RSS %ld KiB before %d nick changes, peak %ld "
	    "KiB\n", start, CHURN_NICKS, peak);
	if (h_rss_meaningful())
		assert_true(peak - start <= CHURN_PEAK_KIB);
	/* "before" is still history, and the next line goes after it. */
	c = h_join(s, NULL);
	h_expect(c, "*** last 1 message:");
	h_expect_history(c, "<alice> before");
	h_expect(c, "*** end of history");
	h_send(a, "after\n");
	h_expect(c, "<alice> after");
	h_close(c);
	c = h_join(s, NULL);
	h_expect(c, "*** last 2 messages:");
	h_expect_history(c, "<alice> before");
	h_expect_history(c, "<alice> after");
	h_expect(c, "*** end of history");
	h_close(a);
	h_close(b);
	h_close(c);
}

/*
 * A full history (50 lines, the default), then 30,000 renames in a burst
 * with the default options: 1.6 MB of notices, more than --sendq. The
 * notices never push a chat line out: a newcomer gets all 50, and
 * lobbyd's peak memory grows by less than 16 MiB.
 */
static void
test_history_survives_renames(void **state)
{
	struct h_server *s = *state;
	struct h_conn *a, *b, *c;
	char *block, *p, line[64];
	long start, peak;
	long long t0;
	int i, j, ka = 0, kb = 0;
	const char *l;

	assert_int_equal(h_start(s, NULL), 0);
	a = member(s, "alice");
	b = member(s, "bob");
	h_settle(a, "bob");
	block = malloc((size_t)RENAME_STEP * 32);
	assert_non_null(block);
	for (i = 0, p = block; i < 50; i++)
		p += sprintf(p, "line %02d\n", i);
	assert_int_equal(h_send_raw(a, block, (size_t)(p - block)), 0);
	for (i = 0; i < 50; i++) {
		snprintf(line, sizeof line, "<alice> line %02d", i);
		h_expect(b, line);
	}
	start = status_kib(s->pid, "VmRSS");
	t0 = h_now_ms();
	for (i = 0; i < RENAMES; i += RENAME_STEP) {
		p = block;
		for (j = 0; j < RENAME_STEP; j++)
			p += sprintf(p, "/nick r%019d\n", i + j);
		assert_int_equal(h_send_raw(b, block, (size_t)(p - block)), 0);
		/* Both read the step's notices before the next step. */
		for (; kb < i + RENAME_STEP; kb++) {
			snprintf(line, sizeof line, " is now r%019d", kb);
			assert_non_null(l = h_line(b, H_TIMEOUT_MS));
			assert_non_null(strstr(l, line));
		}
		for (; ka < i + RENAME_STEP; ka++) {
			snprintf(line, sizeof line, " is now r%019d", ka);
			assert_non_null(l = h_line(a, H_TIMEOUT_MS));
			assert_non_null(strstr(l, line));
		}
	}
	free(block);
	peak = status_kib(s->pid, "VmHWM");
	print_message("lobbyd RSS %ld KiB before %d renames (%lld ms), peak "
	    "%ld KiB\n", start, RENAMES, h_now_ms() - t0, peak);
	if (h_rss_meaningful())
		assert_true(peak - start <= RENAME_PEAK_KIB);
	c = h_join(s, NULL);
	h_expect(c, "*** last 50 messages:");
	for (i = 0; i < 50; i++) {
		snprintf(line, sizeof line, "<alice> line %02d", i);
		h_expect_history(c, line);
	}
	h_expect(c, "*** end of history");
	h_nothing(c);
	h_close(a);
	h_close(b);
	h_close(c);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_history_default, h_setup,
		    h_teardown),
		cmocka_unit_test_setup_teardown(test_history_two, h_setup,
		    h_teardown),
		cmocka_unit_test_setup_teardown(test_history_off, h_setup,
		    h_teardown),
		cmocka_unit_test_setup_teardown(test_history_none_yet,
		    h_setup, h_teardown),
		cmocka_unit_test_setup_teardown(test_history_sixty_keeps_fifty,
		    h_setup, h_teardown),
		cmocka_unit_test_setup_teardown(test_history_bad_values,
		    h_setup, h_teardown),
		cmocka_unit_test_setup_teardown(test_private_between_broadcasts,
		    h_setup, h_teardown),
		cmocka_unit_test_setup_teardown(test_churn_memory_bound,
		    h_setup, h_teardown),
		cmocka_unit_test_setup_teardown(test_history_survives_renames,
		    h_setup, h_teardown),
		cmocka_unit_test_setup_teardown(test_flood_memory_bound,
		    h_setup, h_teardown),
	};

	h_small_quarantine();
	return cmocka_run_group_tests(tests, NULL, NULL);
}
