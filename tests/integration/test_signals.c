/* test_signals: signals that shut down, signals ignored, idle clients. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "harness.h"

#define DRAIN_MS	2000	/* the longest shutdown may spend flushing */
#define QUIET_MS	200	/* how long "nothing more arrives" is watched */
#define LAST_LINES	40	/* lines queued for the stuck member: ~4 KiB */
#define LAST_PAD	"................................................................................"
#define UNREAD		100000	/* bytes it sends that lobbyd leaves unread */

/* ---------------------------------------------------------------------
 * Helpers
 * ------------------------------------------------------------------- */

/* Fail the test unless status says lobbyd exited 0. */
static void
assert_exit_0(int status)
{
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
}

/*
 * Start lobbyd with a 64 MiB send queue, lines up to 64 KiB and the
 * option opt val; join "stuck" (into *stuck), a member that does not
 * read, then "a", then "flooder" (into *flooder) unless flooder is NULL;
 * and queue 4 MB from a for stuck, which takes none of it. When busy,
 * stuck sends an empty line before each of a's lines and after the last,
 * so that it is not idle. Returns a.
 */
static struct h_conn *
start_stuck(struct h_server *s, const char *opt, const char *val, bool busy,
    struct h_conn **stuck, struct h_conn **flooder)
{
	static char line[60002];
	struct h_conn *a;
	int i;

	assert_int_equal(h_start(s, "--sendq", "67108864", "--max-line",
	    "65536", opt, val, NULL), 0);
	*stuck = h_join_stalled(s, "stuck");
	a = h_join_as(s, "a");
	/* The last newcomer's rename is the last line a is owed. */
	if (flooder != NULL) {
		*flooder = h_join_as(s, "flooder");
		h_settle(a, "flooder");
	}
	memset(line, 'q', 60000);
	line[60000] = '\n';
	for (i = 0; i < 70; i++) {
		if (busy)
			h_send(*stuck, "\n");
		h_send(a, line);
	}
	if (busy)
		h_send(*stuck, "\n");
	return a;
}

/* ---------------------------------------------------------------------
 * Tests
 * ------------------------------------------------------------------- */

/* SIGTERM and SIGINT: everyone is told, every socket closed, exit 0. */
static void
shutdown_by(struct h_server *s, int sig)
{
	struct h_conn *c[3];
	int i;

	assert_int_equal(h_start(s, NULL), 0);
	for (i = 0; i < 3; i++)
		c[i] = h_join(s, NULL);
	for (i = 0; i < 3; i++)
		h_sync(c[i]);
	/* An unfinished line is no line: it is not relayed at shutdown. */
	h_send(c[0], "never finished");
	h_sleep_ms(50);
	assert_int_equal(kill(s->pid, sig), 0);
	for (i = 0; i < 3; i++) {
		h_expect(c[i], "*** server shutting down");
		assert_true(h_eof(c[i], H_TIMEOUT_MS));
		h_close(c[i]);
	}
	assert_exit_0(h_wait_exit(s, H_TIMEOUT_MS));
	assert_true(h_log_has(s, "shutting down", 0));
}

static void
test_sigterm(void **state)
{
	shutdown_by(*state, SIGTERM);
}

static void
test_sigint(void **state)
{
	shutdown_by(*state, SIGINT);
}

/* lobbyd on a Unix socket as well, ended by sig: the notice, exit 0,
 * and the socket file removed. */
static void
shutdown_unix_by(struct h_server *s, int sig)
{
	struct h_conn *a;
	char path[64];

	snprintf(path, sizeof path, "/tmp/lobby-test-%ld-%d.sock",
	    (long)getpid(), sig);
	assert_int_equal(h_start(s, "-u", path, NULL), 0);
	a = h_join(s, NULL);
	assert_int_equal(kill(s->pid, sig), 0);
	h_expect(a, "*** server shutting down");
	assert_true(h_eof(a, H_TIMEOUT_MS));
	h_close(a);
	assert_exit_0(h_wait_exit(s, H_TIMEOUT_MS));
	assert_true(h_log_has(s, "shutting down", 0));
	assert_int_equal(access(path, F_OK), -1);
}

/*
 * SIGHUP (the terminal or the session went away) shuts down like SIGTERM:
 * the notice, exit 0, and the Unix socket file removed.
 */
static void
test_sighup(void **state)
{
	shutdown_unix_by(*state, SIGHUP);
}

/*
 * So does every other signal whose default would end lobbyd from
 * outside: a quit key, timers and resource limits nobody here set, a
 * real-time signal. SIGXFSZ is ignored (a write past the file size limit
 * fails instead).
 */
static void
test_other_signals(void **state)
{
	static const int sigs[] = { SIGQUIT, SIGALRM, SIGVTALRM, SIGPROF,
	    SIGXCPU, SIGIO, SIGPWR };
	struct h_server *s = *state;
	struct h_conn *a;
	size_t i;

	for (i = 0; i < sizeof sigs / sizeof sigs[0]; i++) {
		print_message("signal %d\n", sigs[i]);
		shutdown_unix_by(s, sigs[i]);
	}
	/* Not SIGRTMAX itself: valgrind keeps it for its own use. */
	shutdown_unix_by(s, SIGRTMIN);
	shutdown_unix_by(s, SIGRTMAX - 1);
	assert_int_equal(h_start(s, NULL), 0);
	a = h_join(s, NULL);
	h_drain(a);
	assert_int_equal(kill(s->pid, SIGXFSZ), 0);
	h_send(a, "/who\n");
	h_expect_skip(a, "*** 1 online: guest1");
	h_close(a);
}

/* SIGUSR1 and SIGUSR2 leave the server running and the room intact. */
static void
test_sigusr_survived(void **state)
{
	struct h_server *s = *state;
	struct h_conn *a, *b;
	char path[64];
	int i;

	snprintf(path, sizeof path, "/tmp/lobby-test-%ld-usr.sock",
	    (long)getpid());
	assert_int_equal(h_start(s, "-u", path, NULL), 0);
	a = h_join_as(s, "alice");
	b = h_join_as(s, "bob");
	h_settle(a, "bob");
	for (i = 0; i < 3; i++) {
		assert_int_equal(kill(s->pid, SIGUSR2), 0);
		assert_int_equal(kill(s->pid, SIGUSR1), 0);
	}
	h_sleep_ms(100);
	assert_true(h_silent(a, QUIET_MS));
	h_send(a, "still here\n");
	h_expect(b, "<alice> still here");
	assert_int_equal(access(path, F_OK), 0);
	h_close(a);
	h_close(b);
}

/*
 * A reader that does not read, with megabytes queued for it, holds up the
 * exit by no more than the 2 s of flushing; the others get the notice at
 * once; the exit status is still 0. A second SIGTERM while flushing
 * changes nothing.
 */
static void
test_shutdown_flush_bounded(void **state)
{
	struct h_server *s = *state;
	struct h_conn *a, *stuck;
	char line[1100];
	long long t0, t1;
	int i;

	assert_int_equal(h_start(s, "--sendq", "67108864", NULL), 0);
	stuck = h_join_stalled(s, "stuck");
	a = h_join_as(s, "a");
	memset(line, 'q', 1000);
	line[1000] = '\n';
	line[1001] = '\0';
	/* 4 MB for a reader that takes none of it. */
	for (i = 0; i < 4000; i++)
		h_send(a, line);
	/* A /who answered shows lobbyd has read all of it. */
	h_send(a, "/who\n");
	h_expect(a, "*** 2 online: stuck a");
	t0 = h_now_ms();
	assert_int_equal(kill(s->pid, SIGTERM), 0);
	h_expect(a, "*** server shutting down");
	assert_true(h_eof(a, H_TIMEOUT_MS));
	assert_int_equal(kill(s->pid, SIGTERM), 0);
	assert_exit_0(h_wait_exit(s, H_TIMEOUT_MS));
	t1 = h_now_ms();
	print_message("exit %lld ms after SIGTERM with a reader stuck\n",
	    t1 - t0);
	assert_true(t1 - t0 >= DRAIN_MS - 100);
	/* And its exit soon after (under valgrind, memcheck's leak check
	 * and all take longer). */
	assert_true(t1 - t0 <= DRAIN_MS + SCALED(1500));
	assert_true(h_log_has(s, "gave up flushing", 0));
	h_close(a);
	h_close(stuck);
}

/*
 * The shutdown notice is the last line: while a stuck reader keeps the
 * server flushing, the lines --flood still holds for a member are not
 * let through any more (no socket is read either).
 */
static void
test_shutdown_flood_held(void **state)
{
	struct h_server *s = *state;
	struct h_conn *a, *f, *stuck;
	static char lines[3000 * 12];
	const char *l;
	size_t n = 0;
	int i;

	a = start_stuck(s, "--flood", "500/500", false, &stuck, &f);
	h_send(a, "/who\n");
	h_expect(a, "*** 3 online: stuck a flooder");
	/* 500 lines at once, then 500 a second: most of them held. */
	for (i = 0; i < 3000; i++)
		n += (size_t)snprintf(lines + n, sizeof lines - n, "f%d\n", i);
	assert_int_equal(h_send_raw(f, lines, n), 0);
	h_expect(a, "<flooder> f0");
	assert_int_equal(kill(s->pid, SIGTERM), 0);
	h_expect_skip(a, "*** server shutting down");
	l = h_line(a, DRAIN_MS + 1000);
	if (l != NULL)
		fail_msg("after the shutdown notice: \"%s\"", l);
	assert_exit_0(h_wait_exit(s, H_TIMEOUT_MS));
	h_close(a);
	h_close(f);
	h_close(stuck);
}

/* What the stuck member has read: <a>'s lines in order, the notice. */
struct stuck_seen {
	int	 next;		/* the number of the next <a> line due */
	bool	 notice;	/* "*** server shutting down" came */
};

static void
shutdown_line(void *arg, const char *l)
{
	struct stuck_seen *seen = arg;
	char want[160];

	snprintf(want, sizeof want, "<a> line %d " LAST_PAD, seen->next);
	if (strcmp(l, want) == 0)
		seen->next++;
	else if (strcmp(l, "*** server shutting down") == 0)
		seen->notice = true;
}

/*
 * The shutdown notice is not lost to a reset either: a member whose
 * lines wait in lobbyd's kernel (its window is tiny, it does not read)
 * and whose own input lobbyd leaves unread (--flood holds it) gets every
 * line and the notice once it reads, then EOF.
 */
static void
shutdown_last_lines(struct h_server *s, bool leaver)
{
	struct h_conn *a, *r, *v, *q = NULL;
	struct stuck_seen seen = { 0, false };
	long long t0;
	char *junk;
	int i, err;

	assert_int_equal(h_start(s, "--flood", "100/100", NULL), 0);
	a = h_join_as(s, "a");
	r = h_join_as(s, "r");
	v = h_join_stalled(s, "v");
	h_settle(a, "v");
	h_settle(r, "v");
	junk = h_numbered("line %d " LAST_PAD, LAST_LINES);
	h_send(a, junk);
	free(junk);
	h_expect_numbered(r, "<a> line %d " LAST_PAD, LAST_LINES);
	/* 50,000 lines: over --flood, held, and the rest left unread. */
	junk = malloc(UNREAD);
	assert_non_null(junk);
	for (i = 0; i < UNREAD; i++)
		junk[i] = i % 2 == 0 ? 'x' : '\n';
	assert_int_equal(h_send_raw(v, junk, UNREAD), 0);
	free(junk);
	h_expect_skip(r, "<v> x");
	if (leaver) {
		q = h_join_as(s, "q");
		h_settle(r, "q");
		h_send(q, "/quit\n");
		h_expect_skip(r, "*** q left");
	}
	t0 = h_now_ms();
	assert_int_equal(kill(s->pid, SIGTERM), 0);
	assert_exit_0(h_wait_exit(s, H_TIMEOUT_MS));
	print_message("lobbyd exited %lld ms after the SIGTERM\n",
	    h_now_ms() - t0);
	assert_true(h_now_ms() - t0 < DRAIN_MS + 1000);

	err = h_read_to_end(v, shutdown_line, &seen);
	print_message("the stuck member read %d of %d lines, %s notice, "
	    "then %s\n", seen.next, LAST_LINES, seen.notice ? "the" : "no",
	    err == 0 ? "EOF" : strerror(err));
	assert_int_equal(seen.next, LAST_LINES);
	assert_true(seen.notice);
	assert_int_equal(err, 0);
	if (q != NULL)
		h_close(q);
	h_close(v);
	h_close(a);
	h_close(r);
}

static void
test_shutdown_last_lines(void **state)
{
	shutdown_last_lines(*state, false);
}

/*
 * Nor does a member who left just before, its socket lingering (its
 * peer keeps it open), take the members' 2 s: the drain ends once their
 * output is in their kernels, and their sockets close gracefully with
 * the lingering one, their input read and dropped until the end.
 */
static void
test_shutdown_after_leave(void **state)
{
	shutdown_last_lines(*state, true);
}

/*
 * Nor does anyone go idle while the server flushes: with a stuck reader
 * keeping it at it for 2 s, past --idle-timeout 1, nobody is told
 * "idle" and nobody is seen leaving after the notice.
 */
static void
test_shutdown_no_idle(void **state)
{
	struct h_server *s = *state;
	struct h_conn *a, *stuck;
	const char *l;

	a = start_stuck(s, "--idle-timeout", "1", true, &stuck, NULL);
	h_send(a, "/who\n");
	h_expect(a, "*** 2 online: stuck a");
	assert_int_equal(kill(s->pid, SIGTERM), 0);
	h_expect(a, "*** server shutting down");
	l = h_line(a, DRAIN_MS + 1000);
	if (l != NULL)
		fail_msg("after the shutdown notice: \"%s\"", l);
	assert_exit_0(h_wait_exit(s, H_TIMEOUT_MS));
	h_close(a);
	h_close(stuck);
}

/*
 * SIGPIPE, sent outright and in numbers, kills nothing and loses nothing;
 * neither do signals whose default is to be ignored.
 */
static void
test_signal_storm(void **state)
{
	static const int sigs[] = { SIGPIPE, SIGCHLD, SIGWINCH, SIGURG };
	struct h_server *s = *state;
	struct h_conn *a, *b;
	char line[64];
	int i;

	assert_int_equal(h_start(s, NULL), 0);
	a = h_join_as(s, "a");
	b = h_join_as(s, "b");
	h_settle(a, "b");
	for (i = 0; i < 400; i++) {
		assert_int_equal(kill(s->pid, sigs[i % 4]), 0);
		if (i % 4 == 0) {
			snprintf(line, sizeof line, "line %d\n", i);
			h_send(a, line);
		}
	}
	for (i = 0; i < 400; i += 4) {
		snprintf(line, sizeof line, "<a> line %d", i);
		h_expect(b, line);
	}
	assert_true(h_silent(b, QUIET_MS));
	assert_true(kill(s->pid, 0) == 0);
	h_send(b, "alive\n");
	h_expect(a, "<b> alive");
	h_close(a);
	h_close(b);
	assert_exit_0(h_stop_sig(s, SIGTERM));
}

/*
 * --idle-timeout 1: the silent one is told and dropped after about a
 * second, the others hear "left (idle)". Any byte counts as activity, an
 * unfinished line too, so a client typing slowly is not dropped.
 */
static void
test_idle_timeout(void **state)
{
	struct h_server *s = *state;
	struct h_conn *silent, *typist, *talker;
	long long t0, t;
	const char *l;
	char line[32];
	int i;

	assert_int_equal(h_start(s, "--idle-timeout", "1", NULL), 0);
	typist = h_join_as(s, "typist");
	talker = h_join_as(s, "talker");
	/* Before the silent one's last byte (its /nick), which its second
	 * runs from: a test held up after it cannot make it look early. */
	t0 = h_now_ms();
	silent = h_join_as(s, "silent");
	h_drain(typist);
	h_settle(talker, "silent");
	/*
	 * 2.4 s, a byte from the typist and a line from the talker every
	 * 300 ms; the silent one is watched for the notice every 100 ms.
	 */
	t = 0;
	for (i = 0; i < 24; i++) {
		if (i % 3 == 0) {
			h_send(typist, "x");
			snprintf(line, sizeof line, "tick %d\n", i / 3);
			h_send(talker, line);
		}
		h_sleep_ms(100);
		while (t == 0 && (l = h_line(silent, 0)) != NULL) {
			if (strncmp(l, "<talker> tick ", 14) == 0)
				continue;
			assert_string_equal(l, "!!! idle for 1 seconds, "
			    "disconnecting");
			t = h_now_ms();
		}
	}
	assert_true(t != 0);
	print_message("the idle client was dropped %lld ms after it joined\n",
	    t - t0);
	assert_true(t - t0 >= 900 && t - t0 <= 2000);
	assert_true(h_eof(silent, H_TIMEOUT_MS));
	h_send(typist, "\n");
	/* The others saw it go, in between the ticks, and nobody else
	 * (up to the typist's line, which ends the wait). */
	for (i = 0; (l = h_line(talker, H_TIMEOUT_MS)) != NULL; i++) {
		if (strncmp(l, "<typist> ", 9) == 0) {
			assert_string_equal(l, "<typist> xxxxxxxx");
			break;
		}
		assert_string_equal(l, "*** silent left (idle)");
	}
	assert_non_null(l);
	assert_int_equal(i, 1);
	for (i = 0; (l = h_line(typist, H_TIMEOUT_MS)) != NULL; i++)
		if (strcmp(l, "*** silent left (idle)") == 0)
			break;
	assert_non_null(l);
	assert_true(h_log_has(s, "silent left (idle)", 0));
	h_close(silent);
	h_close(typist);
	h_close(talker);
}

/* Without --idle-timeout nobody is dropped for silence. */
static void
test_idle_off_by_default(void **state)
{
	struct h_server *s = *state;
	struct h_conn *a, *b;

	assert_int_equal(h_start(s, NULL), 0);
	a = h_join_as(s, "a");
	b = h_join_as(s, "b");
	h_settle(a, "b");
	assert_true(h_silent(a, 1500));
	assert_true(h_silent(b, 0));
	h_send(a, "still here\n");
	h_expect(b, "<a> still here");
	h_close(a);
	h_close(b);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		h_test(test_sigterm),
		h_test(test_sigint),
		h_test(test_sighup),
		h_test(test_other_signals),
		h_test(test_sigusr_survived),
		h_test(test_shutdown_flush_bounded),
		h_test(test_shutdown_flood_held),
		h_test(test_shutdown_last_lines),
		h_test(test_shutdown_after_leave),
		h_test(test_shutdown_no_idle),
		h_test(test_signal_storm),
		h_test(test_idle_timeout),
		h_test(test_idle_off_by_default),
	};

	signal(SIGPIPE, SIG_IGN);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
