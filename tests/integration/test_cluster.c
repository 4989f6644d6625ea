/* test_cluster: several lobbyd sharing one room through a real redis-server. */
/* (The fixture, and how each test runs its own Redis: redis_fixture.h.) */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "redis_fixture.h"

/* ---------------------------------------------------------------------
 * Start-up and options
 * ------------------------------------------------------------------- */

/* Run lobbyd with args and return its exit status; its stderr to err. */
static int
run_lobbyd(char *err, size_t errlen, ...)
{
	struct h_server s;
	const char *args[16];
	va_list ap;
	int n = 0;
	char *log;

	va_start(ap, errlen);
	while (n < 15 && (args[n] = va_arg(ap, const char *)) != NULL)
		n++;
	va_end(ap);
	args[n] = NULL;
	if (h_startv(&s, args) == 0) {
		h_stop(&s);
		fail_msg("lobbyd started");
	}
	log = h_log(&s);
	snprintf(err, errlen, "%s", log != NULL ? log : "");
	free(log);
	h_stop(&s);
	return WIFEXITED(s.status) ? WEXITSTATUS(s.status) : -1;
}

static void
test_unreachable_at_start(void **state)
{
	struct cx *x = *state;
	char err[4096], want[400];

	/* Nobody on the socket yet. */
	assert_int_equal(run_lobbyd(err, sizeof err, "--redis", x->r.addr,
	    NULL), 1);
	snprintf(want, sizeof want, "lobbyd: cannot reach redis at %s: No "
	    "such file or directory\n", x->r.addr);
	assert_non_null(strstr(err, want));
	assert_null(strstr(err, "listening on"));
	/* A TCP port nobody listens on. */
	assert_int_equal(run_lobbyd(err, sizeof err, "--redis",
	    "127.0.0.1:1", NULL), 1);
	assert_non_null(strstr(err, "lobbyd: cannot reach redis at "
	    "127.0.0.1:1: Connection refused\n"));
}

static void
test_usage_errors(void **state)
{
	char err[4096];

	(void)state;
	static const char *const bad[][2] = {
		{ "--redis", "localhost" },
		{ "--redis", "host:0" },
		{ "--redis", "::1:6379" },
		{ "--redis", "unix:" },
		{ "--room", "bad name" },
		{ "--room", "" },
		{ "--history", "100001" },
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		assert_int_equal(run_lobbyd(err, sizeof err, bad[i][0],
		    bad[i][1], NULL), 2);
		assert_non_null(strstr(err, "usage: lobbyd"));
	}
	assert_int_equal(run_lobbyd(err, sizeof err, "--redis", "x:1",
	    "--room", "123456789012345678901234567890123", NULL), 2);
}

/* ---------------------------------------------------------------------
 * One room across instances
 * ------------------------------------------------------------------- */

static void
test_two_instances_one_room(void **state)
{
	struct cx *x = *state;
	struct h_conn *a, *b, *c;
	char nick[32];

	cx_pair(x, NULL);
	a = cx_keep(x, h_join(&x->s[0], nick));
	assert_string_equal(nick, "guest1");
	b = cx_keep(x, h_join(&x->s[1], nick));
	/* Guest numbers and the count are cluster-wide. */
	assert_string_equal(nick, "guest2");
	h_expect(a, "*** guest2 joined");
	h_send(a, "/nick alice\n");
	h_expect(a, "*** guest1 is now alice");
	h_expect(b, "*** guest1 is now alice");
	h_send(b, "/nick bob\n");
	h_expect(b, "*** guest2 is now bob");
	h_expect(a, "*** guest2 is now bob");
	/* Nick uniqueness ignores case, across instances. */
	h_send(b, "/nick ALICE\n");
	h_expect(b, "!!! nick ALICE is taken");
	h_send(a, "hello from one\n");
	h_expect(b, "<alice> hello from one");
	h_send(b, "/me waves from two\n");
	h_expect(a, "* bob waves from two");
	h_send(a, "/msg BOB psst\n");
	h_expect(b, "[pm] <alice> psst");
	h_send(a, "/msg nobody x\n");
	h_expect(a, "!!! no such user: nobody");
	h_send(b, "/who\n");
	h_expect(b, "*** 2 online: alice bob");
	/* Nobody got its own lines back, nor anything else. */
	assert_true(h_silent(a, 200));
	assert_true(h_silent(b, 100));
	/* A third member, on the first instance: count and history. */
	c = cx_keep(x, h_join(&x->s[0], nick));
	assert_string_equal(nick, "guest3");
	expect_history(c, "] <alice> hello from one", "] * bob waves from two",
	    NULL);
	h_expect(a, "*** guest3 joined");
	h_expect(b, "*** guest3 joined");
	h_send(c, "/quit see you\n");
	h_expect(a, "*** guest3 left (see you)");
	h_expect(b, "*** guest3 left (see you)");
	h_send(b, "/who\n");
	h_expect(b, "*** 2 online: alice bob");
	/* A clean stop: the others see its members leave. */
	assert_int_equal(h_stop_sig(&x->s[1], SIGTERM), 0);
	h_expect(a, "*** bob left (server shutting down)");
}

static void
test_tcp_addresses(void **state)
{
	struct cx *x = *state;
	struct h_conn *a, *b, *c;
	char addr[3][64];
	unsigned port;

	port = rds_run_tcp(&x->r);
	snprintf(addr[0], sizeof addr[0], "127.0.0.1:%u", port);
	snprintf(addr[1], sizeof addr[1], "localhost:%u", port);
	snprintf(addr[2], sizeof addr[2], "[::1]:%u", port);
	cx_lobbyd(x, 0, addr[0], NULL);
	cx_lobbyd(x, 1, addr[1], NULL);
	cx_members(x, "alice", &a, &b, NULL);
	h_send(a, "over tcp\n");
	h_expect(b, "<alice> over tcp");
	if (h_have_ipv6()) {
		cx_lobbyd(x, 2, addr[2], NULL);
		c = cx_join(x, 2, "carol");
		h_expect(a, "*** guest3 joined");
		h_expect(b, "*** guest3 joined");
		h_expect(a, "*** guest3 is now carol");
		h_expect(b, "*** guest3 is now carol");
		h_send(c, "over v6\n");
		h_expect(a, "<carol> over v6");
		h_expect(b, "<carol> over v6");
	}
}

static void
test_nick_race(void **state)
{
	struct cx *x = *state;
	struct h_conn *a, *b;
	char na[32], nb[32], cmd[64], want_a[96], want_b[96], taken[96];
	int round, wins_a = 0, wins_b = 0;

	cx_pair(x, NULL);
	a = cx_keep(x, h_join(&x->s[0], na));
	b = cx_keep(x, h_join(&x->s[1], nb));
	/* b's join reaches a through Redis. */
	snprintf(want_a, sizeof want_a, "*** %s joined", nb);
	h_expect_skip(a, want_a);
	for (round = 0; round < 25; round++) {
		bool a_notice = false, b_notice = false, a_taken = false;
		bool b_taken = false, a_won = false, b_won = false;
		long long end = h_now_ms() + H_TIMEOUT_MS;
		const char *l;

		/* Both ask for the same nick at once, on two instances. */
		snprintf(cmd, sizeof cmd, "/nick race%d\n", round);
		h_send(a, cmd);
		h_send(b, cmd);
		snprintf(want_a, sizeof want_a, "*** %s is now race%d", na,
		    round);
		snprintf(want_b, sizeof want_b, "*** %s is now race%d", nb,
		    round);
		snprintf(taken, sizeof taken, "!!! nick race%d is taken",
		    round);
		while (h_now_ms() < end && !(a_notice && b_notice &&
		    (a_taken || b_taken))) {
			while ((l = h_line(a, 20)) != NULL) {
				a_won |= strcmp(l, want_a) == 0;
				a_notice |= strcmp(l, want_a) == 0 ||
				    strcmp(l, want_b) == 0;
				a_taken |= strcmp(l, taken) == 0;
			}
			while ((l = h_line(b, 20)) != NULL) {
				b_won |= strcmp(l, want_b) == 0;
				b_notice |= strcmp(l, want_a) == 0 ||
				    strcmp(l, want_b) == 0;
				b_taken |= strcmp(l, taken) == 0;
			}
		}
		/* Exactly one winner; the loser is told; both see it. */
		assert_true(a_notice && b_notice);
		assert_true(a_won != b_won);
		assert_true(a_taken == b_won && b_taken == a_won);
		if (a_won) {
			snprintf(na, sizeof na, "race%d", round);
			wins_a++;
		} else {
			snprintf(nb, sizeof nb, "race%d", round);
			wins_b++;
		}
		assert_true(h_silent(a, 30) && h_silent(b, 30));
	}
	print_message("nick race: instance 1 won %d, instance 2 won %d\n",
	    wins_a, wins_b);
}

static void
test_guests_unique(void **state)
{
	struct cx *x = *state;
	char nicks[12][32];
	struct h_conn *c[12];
	int i, j;

	cx_pair(x, NULL);
	/* Connect all at once, alternating instances, then read. */
	for (i = 0; i < 12; i++)
		c[i] = cx_keep(x, h_connect(&x->s[i % 2]));
	for (i = 0; i < 12; i++) {
		const char *l = h_line(c[i], H_TIMEOUT_MS);

		assert_non_null(l);
		assert_int_equal(sscanf(l, "*** welcome to lobby, you are %31s",
		    nicks[i]), 1);
		for (j = 0; j < i; j++)
			assert_string_not_equal(nicks[i], nicks[j]);
	}
}

static void
test_global_order(void **state)
{
	struct cx *x = *state;
	enum { PER = 200, TOTAL = 3 * PER };
	struct h_conn *snd[3], *obs[3];
	static char seq[3][TOTAL][32];
	char line[64], name[16];
	int i, j, k, next[3];

	rds_run(&x->r);
	for (i = 0; i < 3; i++)
		cx_lobbyd(x, i, NULL, NULL);
	for (i = 0; i < 3; i++) {
		snprintf(name, sizeof name, "obs%d", i);
		obs[i] = cx_join(x, i, name);
	}
	for (i = 0; i < 3; i++) {
		snprintf(name, sizeof name, "snd%d", i);
		snd[i] = cx_join(x, i, name);
	}
	/* The last newcomer's notice reaches the others through Redis. */
	for (i = 0; i < 3; i++) {
		h_settle(obs[i], "snd2");
		if (i < 2)
			h_settle(snd[i], "snd2");
	}
	/* Three senders on three instances, interleaved as fast as can be. */
	for (k = 0; k < PER; k++) {
		for (i = 0; i < 3; i++) {
			snprintf(line, sizeof line, "s%d-%d\n", i, k);
			h_send(snd[i], line);
		}
	}
	/* Every observer sees all 600, in one and the same order. */
	for (i = 0; i < 3; i++) {
		for (j = 0; j < 3; j++)
			next[j] = 0;
		for (k = 0; k < TOTAL; k++) {
			const char *l = h_line(obs[i], SCALED(10000));
			int s, n;

			assert_non_null(l);
			assert_int_equal(sscanf(l, "<snd%d> s%*d-%d", &s, &n),
			    2);
			/* One sender's lines come in the order sent. */
			assert_int_equal(n, next[s]);
			next[s]++;
			snprintf(seq[i][k], sizeof seq[i][k], "%s", l);
			if (i > 0)
				assert_string_equal(seq[i][k], seq[0][k]);
		}
	}
	/* Each sender sees the others' lines in that order too, not its own. */
	for (i = 0; i < 3; i++) {
		int at = 0;

		for (k = 0; k < 2 * PER; k++) {
			const char *l = h_line(snd[i], SCALED(10000));
			char mine[16];

			assert_non_null(l);
			snprintf(mine, sizeof mine, "<snd%d>", i);
			assert_null(strstr(l, mine));
			while (at < TOTAL && strncmp(seq[0][at], mine,
			    strlen(mine)) == 0)
				at++;
			assert_true(at < TOTAL);
			assert_string_equal(l, seq[0][at]);
			at++;
		}
	}
	for (i = 0; i < 3; i++)
		assert_true(h_silent(obs[i], i == 0 ? 200 : 20));
}

static void
test_history_across_restarts(void **state)
{
	struct cx *x = *state;
	struct h_conn *a, *c;
	char line[64];
	int i;

	rds_run(&x->r);
	cx_lobbyd(x, 0, NULL, "--history", "3", NULL);
	a = cx_join(x, 0, "alice");
	for (i = 1; i <= 5; i++) {
		snprintf(line, sizeof line, "line %d\n", i);
		h_send(a, line);
	}
	h_send(a, "/me is done\n");
	h_send(a, "/msg alice not history\n");
	h_expect(a, "[pm] <alice> not history");
	/* Every lobbyd stops; a new one, a new process, serves the room. */
	h_close(a);
	x->c[0] = NULL;
	assert_int_equal(h_stop_sig(&x->s[0], SIGTERM), 0);
	cx_lobbyd(x, 1, NULL, "--history", "3", NULL);
	c = cx_keep(x, h_join(&x->s[1], NULL));
	h_expect(c, "*** last 3 messages:");
	h_expect_history(c, "<alice> line 4");
	h_expect_history(c, "<alice> line 5");
	h_expect_history(c, "* alice is done");
	h_expect(c, "*** end of history");
	assert_true(h_silent(c, 200));
}

static void
test_foreign_entries(void **state)
{
	struct cx *x = *state;
	struct h_conn *a, *b;

	cx_pair(x, NULL);
	cx_members(x, "alice", &a, &b, NULL);
	/* The work of its start (the account worker's first hash) is done. */
	(void)h_cpu_settled(x->s[1].pid);
	/* Entries lobbyd did not write: passed over, never delivered. */
	freeReplyObject(rds_cmd(&x->r, "XADD lobby:{lobby}:stream * junk 1"));
	freeReplyObject(rds_cmd(&x->r, "XADD lobby:{lobby}:stream * t c m "
	    "x:1 n mallory x %s", "one\n*** forged"));
	freeReplyObject(rds_cmd(&x->r, "XADD lobby:{lobby}:stream * t c m "
	    "x:1 n %s x hi", "bad nick"));
	/* The last entry is not ours: lobbyd must not read it again and
	 * again, but wait for the next. */
	long t0 = h_cpu_ticks(x->s[1].pid);
	h_sleep_ms(500);
	if (t0 >= 0 && !h_under_valgrind())
		assert_true(h_cpu_ticks(x->s[1].pid) - t0 < 10);
	h_send(a, "still here\n");
	h_expect(b, "<alice> still here");
	assert_true(h_silent(b, 300));
	assert_true(h_log_has(&x->s[1], "skipping a malformed stream entry",
	    H_TIMEOUT_MS));
}

static void
test_joiner_seam(void **state)
{
	struct cx *x = *state;
	struct h_conn *a, *n;
	char line[64];
	int i, next = -1, hist = 0, live = 0, v;
	const char *l;

	cx_pair(x, "--history", "20", NULL);
	a = cx_join(x, 0, "alice");
	/* alice talks on one instance while a newcomer joins the other. */
	for (i = 0; i < 100; i++) {
		snprintf(line, sizeof line, "n %d\n", i);
		h_send(a, line);
	}
	h_sleep_ms(100);
	/* The join goes in while alice's next lines are on their way. */
	n = cx_keep(x, h_connect(&x->s[1]));
	for (; i < 300; i++) {
		snprintf(line, sizeof line, "n %d\n", i);
		h_send(a, line);
	}
	l = h_line(n, H_TIMEOUT_MS);
	assert_non_null(l);
	assert_true(strncmp(l, "*** welcome to lobby, you are ", 30) == 0);
	/* History, then live: one unbroken run, nothing twice, none missing. */
	while ((l = h_line(n, SCALED(3000))) != NULL) {
		if (strcmp(l, "*** end of history") == 0 ||
		    strncmp(l, "*** last ", 9) == 0)
			continue;
		if (sscanf(l, "[%*d:%*d] <alice> n %d", &v) == 1)
			hist++;
		else if (sscanf(l, "<alice> n %d", &v) == 1)
			live++;
		else
			fail_msg("unexpected line: %s", l);
		if (next != -1)
			assert_int_equal(v, next);
		next = v + 1;
		if (v == 299)
			break;
	}
	assert_int_equal(next, 300);
	assert_in_range(hist, 0, 20);
	print_message("newcomer: %d lines of history, then %d live\n", hist,
	    live);
}

/* ---------------------------------------------------------------------
 * Faults
 * ------------------------------------------------------------------- */

static void
test_redis_killed(void **state)
{
	struct cx *x = *state;
	struct h_conn *a, *b, *n;
	long long t0;

	cx_pair(x, NULL);
	cx_members(x, "alice", &a, &b, NULL);
	rds_kill(&x->r, SIGKILL);
	/* Bounds for a loaded machine: it comes within ms when idle. */
	h_expect_skip_within(a, "*** lost the link to the room, retrying",
	    SCALED(10000));
	h_expect_skip_within(b, "*** lost the link to the room, retrying",
	    SCALED(3000));
	/* Nothing is silently dropped: every event is refused aloud. */
	h_send(a, "hello?\n");
	h_expect(a, "!!! room unavailable, message not sent");
	h_send(a, "/me waits\n");
	h_expect(a, "!!! room unavailable, message not sent");
	h_send(a, "/msg bob x\n");
	h_expect(a, "!!! room unavailable, message not sent");
	h_send(a, "/nick zed\n");
	h_expect(a, "!!! room unavailable, message not sent");
	h_send(a, "/who\n");
	h_expect(a, "!!! room unavailable, try again later");
	/* Local commands still answer. */
	h_send(a, "/help\n");
	h_expect(a, "*** commands:");
	h_drain(a);
	/* A newcomer is turned away. */
	n = cx_keep(x, h_connect(&x->s[0]));
	h_expect(n, "!!! room unavailable, try again later");
	assert_true(h_eof(n, SCALED(2000)));
	/* Redis comes back, empty: the link is restored within the backoff,
	 * the members are registered again, and the room works. */
	t0 = h_now_ms();
	rds_run(&x->r);
	h_expect_skip_within(a, "*** link to the room restored", RESTORE_MS);
	h_expect_skip_within(b, "*** link to the room restored", RESTORE_MS);
	print_message("restored %lld ms after Redis came back\n",
	    h_now_ms() - t0);
	h_send(a, "back again\n");
	h_expect(b, "<alice> back again");
	h_send(b, "/who\n");
	const char *l = h_line(b, H_TIMEOUT_MS);
	assert_non_null(l);
	assert_true(strcmp(l, "*** 2 online: alice bob") == 0 ||
	    strcmp(l, "*** 2 online: bob alice") == 0);
	/* The nicks were claimed again: still unique (nick claims wait
	 * out the recovery window first: try again later). */
	print_message("nick claims open again %lld ms later\n",
	    retry_line(b, "/nick alice\n", "!!! nick alice is taken",
	    SCALED(15000)));
	n = cx_keep(x, h_join(&x->s[1], NULL));
	h_expect(a, "*** guest1 joined");
}

/*
 * a hears that the link to the room is lost, then nothing more of the
 * link for 3 s (not restored and lost again at every retry), while
 * instance 0's retries wait longer and longer. The loss may wait for
 * the next call that needs the broken key: a member's refused line
 * keeps the link (it is that line's error), and the search for lost
 * instances, which reads every member's presence, runs every 3 s.
 */
static void
lost_once(struct cx *x, struct h_conn *a)
{
	const char *l;
	long long end;
	int notices = 0;

	h_expect_skip_within(a, "*** lost the link to the room, retrying",
	    SCALED(3000 + 3000));
	for (end = h_now_ms() + SCALED(3000); h_now_ms() < end; )
		if ((l = h_line(a, (int)(end - h_now_ms()))) != NULL &&
		    strstr(l, "link") != NULL)
			notices++;
	assert_int_equal(notices, 0);
	assert_true(h_log_has(&x->s[0], "retrying in 800 ms", SCALED(10000)));
}

/*
 * Redis refuses the scripts (the presence hash made a string by a broken
 * or hostile write): each reconnection's sync fails too. The members hear
 * of the lost link once, not of a link restored and lost again at every
 * retry, and the retries wait longer and longer, as when Redis is gone.
 */
static void
test_sync_refused(void **state)
{
	struct cx *x = *state;
	struct h_conn *a, *b;

	cx_pair(x, NULL);
	cx_members(x, "alice", &a, &b, NULL);
	freeReplyObject(rds_cmd(&x->r, "SET lobby:{lobby}:members x"));
	h_send(a, "hello?\n");
	lost_once(x, a);
	/* Repaired: the link is restored within the backoff. */
	freeReplyObject(rds_cmd(&x->r, "DEL lobby:{lobby}:members"));
	h_expect_skip_within(a, "*** link to the room restored", RESTORE_MS);
	h_send(a, "back again\n");
	h_expect_skip_within(b, "<alice> back again", RESTORE_MS);
}

/*
 * A room's stream made a string (a broken or hostile write) while a
 * member is in that room: every read of it is refused. As when the sync
 * is refused, the members hear of the lost link once, not of a link
 * restored and lost again at every retry (four times a second), and the
 * retries wait longer and longer.
 */
static void
test_read_refused(void **state)
{
	struct cx *x = *state;
	struct h_conn *a, *b;

	cx_pair(x, NULL);
	cx_members(x, "alice", &a, &b, NULL);
	h_send(a, "/join bar\n");
	h_expect(a, "*** you are now in bar (1 online)");
	h_expect(b, "*** alice went to bar");
	freeReplyObject(rds_cmd(&x->r, "DEL lobby:{lobby}:stream:bar"));
	freeReplyObject(rds_cmd(&x->r, "SET lobby:{lobby}:stream:bar x"));
	/* A line in the lobby: instance 0 reads again, bar's stream too. */
	h_send(b, "hello\n");
	lost_once(x, a);
	/* Repaired: the link is restored within the backoff. */
	freeReplyObject(rds_cmd(&x->r, "DEL lobby:{lobby}:stream:bar"));
	h_expect_skip_within(a, "*** link to the room restored", RESTORE_MS);
	h_send(a, "back again\n");
	h_send(b, "/join bar\n");
	h_expect_skip_within(b, "*** you are now in bar (2 online)",
	    RESTORE_MS);
	h_expect_skip(a, "*** bob joined");
	h_send(b, "here too\n");
	h_expect(a, "<bob> here too");
}

/* How many times needle is in s's log so far. */
static int
log_count(struct h_server *s, const char *needle)
{
	char *log = h_log(s);
	const char *p;
	int n = 0;

	assert_non_null(log);
	for (p = log; (p = strstr(p, needle)) != NULL; p += strlen(needle))
		n++;
	free(log);
	return n;
}

/*
 * An error answer to a member's command (a key the script writes, or
 * reads, made one of another type: WRONGTYPE) is that command's alone:
 * its sender is told "!!! room unavailable, message not sent" (/who:
 * "try again later"), nothing of it reaches anyone (nor later), its
 * later lines run, and the link stays: one broken key does not make
 * every member hear of a lost link. An operator's /kick (alice, an
 * --op, registered) too: bob stays.
 */
static void
test_command_refused(void **state)
{
	struct cx *x = *state;
	struct h_conn *a, *b;
	int refused;

	cx_pair(x, "--op", "alice", NULL);
	cx_members(x, "alice", &a, &b, NULL);
	h_send(a, "/register correct horse battery\n");
	h_expect_skip(a, "*** nick alice is now registered to you");
	/* /topic answered, the line held behind it run. */
	freeReplyObject(rds_cmd(&x->r, "SET lobby:{lobby}:topics x"));
	h_send(a, "/topic hi\nnext\n");
	h_expect(a, "!!! room unavailable, message not sent");
	h_expect(b, "<alice> next");
	freeReplyObject(rds_cmd(&x->r, "DEL lobby:{lobby}:topics"));
	/* A chat line: the set of rooms that hold some is broken. */
	freeReplyObject(rds_cmd(&x->r, "SET lobby:{lobby}:said x"));
	h_send(a, "hello\n");
	h_expect(a, "!!! room unavailable, message not sent");
	h_send(b, "/who\n");
	h_expect(b, "*** 2 online: alice bob");
	freeReplyObject(rds_cmd(&x->r, "DEL lobby:{lobby}:said"));
	/* /who, and /kick (whose entry says the room bob is in): the
	 * members' rooms are broken. */
	freeReplyObject(rds_cmd(&x->r, "RENAME lobby:{lobby}:where w"));
	freeReplyObject(rds_cmd(&x->r, "SET lobby:{lobby}:where x"));
	h_send(a, "/who\n");
	h_expect(a, "!!! room unavailable, try again later");
	refused = log_count(&x->s[0], "refused: WRONGTYPE");
	h_send(a, "/kick bob out\n");
	h_expect(a, "!!! room unavailable, message not sent");
	assert_int_equal(log_count(&x->s[0], "refused: WRONGTYPE"),
	    refused + 1);
	freeReplyObject(rds_cmd(&x->r, "RENAME w lobby:{lobby}:where"));
	h_send(a, "again\n");
	h_expect(b, "<alice> again");
	h_send(b, "still here\n");
	h_expect(a, "<bob> still here");
	assert_true(h_silent(a, 300));
	assert_true(h_silent(b, 300));
	assert_true(h_log_has(&x->s[0], "WRONGTYPE", 0));
	assert_false(h_log_has(&x->s[0], "retrying", 0));
	assert_false(h_log_has(&x->s[1], "retrying", 0));
}

/*
 * Cut instance 1's link while Redis keeps running: it reaches Redis
 * through a symlink the test removes (so it cannot reconnect) and Redis
 * closes its connections.
 */
static void
cut_link(struct cx *x, const char *link)
{
	assert_int_equal(unlink(link), 0);
	rds_cut(&x->r, x->s[1].pid);
}

static void
test_resume_after_last_entry(void **state)
{
	struct cx *x = *state;
	struct h_conn *a, *b;
	char link[160], laddr[170], line[64];
	int i;

	rds_run(&x->r);
	snprintf(link, sizeof link, "%s/link.sock", x->r.dir);
	assert_int_equal(symlink(x->r.sock, link), 0);
	snprintf(laddr, sizeof laddr, "unix:%s", link);
	cx_lobbyd(x, 0, NULL, "--history", "10", NULL);
	cx_lobbyd(x, 1, laddr, "--history", "10", NULL);
	cx_members(x, "alice", &a, &b, NULL);

	/* Cut: what alice says meanwhile reaches bob afterwards, all of it. */
	cut_link(x, link);
	h_expect_skip_within(b, "*** lost the link to the room, retrying",
	    SCALED(3000));
	for (i = 0; i < 50; i++) {
		snprintf(line, sizeof line, "while away %d\n", i);
		h_send(a, line);
	}
	h_sleep_ms(500);
	assert_int_equal(symlink(x->r.sock, link), 0);
	h_expect_skip_within(b, "*** link to the room restored", RESTORE_MS);
	for (i = 0; i < 50; i++) {
		snprintf(line, sizeof line, "<alice> while away %d", i);
		h_expect(b, line);
	}
	assert_true(h_silent(b, 200));

	/* Cut again, and alice says more than the stream keeps: bob is told
	 * some were missed, then gets the rest, ending with the last. */
	cut_link(x, link);
	h_expect_skip_within(b, "*** lost the link to the room, retrying",
	    SCALED(3000));
	for (i = 0; i < 2500; i++) {
		snprintf(line, sizeof line, "flood %d\n", i);
		h_send(a, line);
	}
	h_send(a, "/who\n");
	h_expect_skip(a, "*** 2 online: alice bob");
	assert_int_equal(symlink(x->r.sock, link), 0);
	h_expect_skip_within(b, "*** link to the room restored", RESTORE_MS);
	h_expect(b, "*** some messages were missed while the link was down");
	h_expect_skip(b, "<alice> flood 2499");
	assert_true(h_silent(b, 200));
	/* Trimmed to about 20 x --history, at least 1000 entries. */
	redisReply *len = rds_cmd(&x->r, "XLEN lobby:{lobby}:stream");
	assert_int_equal(len->type, REDIS_REPLY_INTEGER);
	print_message("stream length after 2550 lines: %lld\n", len->integer);
	assert_in_range(len->integer, 1000, 1200);
	freeReplyObject(len);
}

/*
 * A /login while the link is down cannot close the account's session
 * on another instance: it is refused ("try again later"), the member
 * stays as it was and the older session stays. Once the link is back,
 * the same login works and closes the older session.
 */
static void
test_login_link_down(void **state)
{
	struct cx *x = *state;
	struct h_conn *a, *b;
	char link[160], laddr[170];

	rds_run(&x->r);
	snprintf(link, sizeof link, "%s/link.sock", x->r.dir);
	assert_int_equal(symlink(x->r.sock, link), 0);
	snprintf(laddr, sizeof laddr, "unix:%s", link);
	cx_lobbyd(x, 0, NULL, NULL);
	cx_lobbyd(x, 1, laddr, NULL);
	a = cx_join(x, 0, "alice");
	h_send(a, "/register correct horse battery\n");
	h_expect_skip(a, "*** nick alice is now registered to you");
	b = cx_join(x, 1, "bob");
	h_settle(a, "bob");

	cut_link(x, link);
	h_expect_skip_within(b, "*** lost the link to the room, retrying",
	    SCALED(3000));
	h_send(b, "/login alice correct horse battery\n");
	h_expect(b, "!!! room unavailable, try again later");
	assert_true(h_silent(b, 300));
	assert_true(h_log_has(&x->s[1], "login as alice refused: link down",
	    0));
	assert_false(h_log_has(&x->s[1], "logged in as alice", 0));
	assert_true(h_silent(a, 300));

	/* Back: bob is still bob, and the login now closes alice. */
	assert_int_equal(symlink(x->r.sock, link), 0);
	h_expect_skip_within(b, "*** link to the room restored", RESTORE_MS);
	h_send(b, "still bob\n");
	h_expect_skip(a, "<bob> still bob");
	retry_line(b, "/login alice correct horse battery\n",
	    "*** you are logged in as alice", SCALED(15000));
	h_expect_skip(a, "*** logged in from elsewhere");
	assert_true(h_eof(a, H_TIMEOUT_MS));
}

/*
 * A /login whose act Redis answers with an error (the members' rooms
 * made a key of another type: WRONGTYPE), the link up, cannot close the
 * account's session on the other instance either: it is refused as with
 * the link down ("try again later"), the member stays as it was, not
 * logged in, and the older session stays. Once the key is mended, the
 * same login works and closes the older session.
 */
static void
test_login_refused(void **state)
{
	struct cx *x = *state;
	struct h_conn *a, *b;

	cx_pair(x, NULL);
	cx_members(x, "alice", &a, &b, NULL);
	h_send(a, "/register correct horse battery\n");
	h_expect_skip(a, "*** nick alice is now registered to you");
	freeReplyObject(rds_cmd(&x->r, "RENAME lobby:{lobby}:where w"));
	freeReplyObject(rds_cmd(&x->r, "SET lobby:{lobby}:where x"));
	h_send(b, "/login alice correct horse battery\n");
	h_expect(b, "!!! room unavailable, try again later");
	assert_true(h_silent(b, 300));
	assert_true(h_log_has(&x->s[1], "login as alice refused: Redis "
	    "refused its act", 0));
	assert_false(h_log_has(&x->s[1], "logged in as alice", 0));
	assert_true(h_silent(a, 300));
	freeReplyObject(rds_cmd(&x->r, "DEL lobby:{lobby}:where"));
	freeReplyObject(rds_cmd(&x->r, "RENAME w lobby:{lobby}:where"));

	/* Mended: bob is still bob, and the login now closes alice. */
	h_send(b, "still bob\n");
	h_expect(a, "<bob> still bob");
	h_send(b, "/login alice correct horse battery\n");
	/* alice's leave, in the room's stream, may come first. */
	h_expect_skip(b, "*** you are logged in as alice");
	h_expect_skip(a, "*** logged in from elsewhere");
	assert_true(h_eof(a, H_TIMEOUT_MS));
	h_expect_skip(b, "*** bob is now alice");
	assert_false(h_log_has(&x->s[1], "retrying", 0));
}

/*
 * An operator's act while the link is down is refused aloud ("message
 * not sent"), never applied later: the member it names stays and hears
 * nothing of it, and a ban is not kept either.
 */
static void
test_op_link_down(void **state)
{
	struct cx *x = *state;
	struct h_conn *a, *b;

	cx_pair(x, "--op", "alice", NULL);
	cx_members(x, "alice", &a, &b, NULL);
	h_send(a, "/register correct horse battery\n");
	h_expect_skip(a, "*** nick alice is now registered to you");
	rds_kill(&x->r, SIGKILL);
	h_expect_skip_within(a, "*** lost the link to the room, retrying",
	    SCALED(10000));
	h_expect_skip_within(b, "*** lost the link to the room, retrying",
	    SCALED(3000));
	h_send(a, "/kick bob go\n");
	h_expect(a, "!!! room unavailable, message not sent");
	h_send(a, "/mute bob 5\n");
	h_expect(a, "!!! room unavailable, message not sent");
	/* A ban is refused whole: not confirmed, not listed. */
	h_send(a, "/ban bob 5 spam\n");
	h_expect(a, "!!! room unavailable, message not sent");
	h_send(a, "/bans\n");
	h_expect(a, "*** no bans");
	/* bob is still here, and heard nothing of it before his /help. */
	h_send(b, "/help\n");
	h_expect(b, "*** commands:");
}

/*
 * An operator's /unban with Redis gone is refused whole, as a /ban is:
 * the ban stays listed on the instance, and nothing is logged as lifted
 * nor as a change the store failed to keep.
 */
static void
test_unban_link_down(void **state)
{
	struct cx *x = *state;
	struct h_conn *a, *b, *g;
	redisReply *rep;
	long long end;
	bool stored = false;

	cx_pair(x, "--op", "alice", NULL);
	cx_members(x, "alice", &a, &b, NULL);
	h_send(a, "/register correct horse battery\n");
	h_expect_skip(a, "*** nick alice is now registered to you");
	h_send(a, "/ban dave 0 spam\n");
	h_expect(a, "*** banned dave until unbanned");
	/* Stored: no read of the store from before it can lift it. */
	for (end = h_now_ms() + H_TIMEOUT_MS; !stored && h_now_ms() < end;) {
		rep = rds_cmd(&x->r, "HEXISTS lobby:bans n:dave");
		stored = rep != NULL && rep->type == REDIS_REPLY_INTEGER &&
		    rep->integer == 1;
		freeReplyObject(rep);
		if (!stored)
			h_sleep_ms(20);
	}
	assert_true(stored);
	/* The ban's job is over once a later job on the same worker is
	 * answered: a nick's ban then re-times its bans in a second step. */
	g = cx_join(x, 0, "gus");
	h_send(g, "/login alice not-her-password\n");
	h_expect_skip(g, "!!! login failed");
	rds_kill(&x->r, SIGKILL);
	h_expect_skip_within(a, "*** lost the link to the room, retrying",
	    SCALED(10000));
	h_send(a, "/unban dave\n");
	h_expect(a, "!!! room unavailable, message not sent");
	h_send(a, "/bans\n");
	h_expect(a, "*** ban on dave by alice, until unbanned: spam");
	assert_false(h_log_has(&x->s[0], "lifted the ban on dave", 0));
	assert_false(h_log_has(&x->s[0], "the store failed to keep", 0));
}

static void
test_instance_killed(void **state)
{
	struct cx *x = *state;
	struct h_conn *o1, *o2, *w;
	long long t0, t1, t2;
	const char *l;
	int seen = 0;

	rds_run(&x->r);
	for (int i = 0; i < 3; i++)
		cx_lobbyd(x, i, NULL, NULL);
	cx_join(x, 0, "doomed");
	cx_join(x, 0, "doomed2");
	o1 = cx_join(x, 1, "obs1");
	o2 = cx_join(x, 2, "obs2");
	h_drain(o1);
	t0 = h_now_ms();
	h_kill_child(&x->s[0].pid, NULL);
	h_expect_skip_within(o1, "*** doomed left (lost)", LOST_MS);
	t1 = h_now_ms() - t0;
	h_expect(o1, "*** doomed2 left (lost)");
	h_expect_skip_within(o2, "*** doomed left (lost)", LOST_MS);
	h_expect(o2, "*** doomed2 left (lost)");
	t2 = h_now_ms() - t0;
	print_message("lost after %lld ms (instance 2), %lld ms (instance 3)\n",
	    t1, t2);
	/* Announced once cluster-wide: nothing more comes, for anyone. */
	for (long long end = h_now_ms() + 4000; h_now_ms() < end;) {
		if ((l = h_line(o1, 50)) != NULL && strstr(l, "left") != NULL)
			seen++;
		if ((l = h_line(o2, 50)) != NULL && strstr(l, "left") != NULL)
			seen++;
	}
	assert_int_equal(seen, 0);
	h_send(o1, "/who\n");
	h_expect(o1, "*** 2 online: obs1 obs2");
	/* Their nicks are free again. */
	w = cx_keep(x, h_join(&x->s[2], NULL));
	h_send(w, "/nick doomed\n");
	h_expect_skip(w, "*** guest5 is now doomed");
}

static void
test_slow_redis(void **state)
{
	struct cx *x = *state;
	struct h_conn *a, *b;
	struct h_span help;

	cx_pair(x, NULL);
	cx_members(x, "alice", &a, &b, NULL);
	/*
	 * Each one's rename is done, its own entry read back too: a /who
	 * waits for that, so no command of theirs is still out (holding
	 * their next lines) when Redis stops.
	 */
	h_send(a, "/who\n");
	h_expect(a, "*** 2 online: alice bob");
	h_send(b, "/who\n");
	h_expect(b, "*** 2 online: alice bob");
	/* Redis stops answering, without closing anything. */
	kill(x->r.pid, SIGSTOP);
	h_send(a, "sent during the stall\n");
	/* Local work goes on at once: lobbyd never waits for Redis (not
	 * counting what a loaded machine held this test or lobbyd up). */
	h_span_start(&help, x->s[0].pid);
	h_send(a, "/help\n");
	h_expect(a, "*** commands:");
	assert_true(h_span_ms(&help) < SCALED(1000));
	h_drain(a);
	h_send(b, "/nick\n");
	h_expect(b, "!!! usage: /nick NAME");
	assert_true(h_silent(b, 1500));
	kill(x->r.pid, SIGCONT);
	/* Nothing was lost: the line goes through once Redis answers. */
	h_expect(b, "<alice> sent during the stall");
	h_send(b, "and after\n");
	h_expect(a, "<bob> and after");
}


/*
 * A member waiting for Redis's answer is not read meanwhile: that wait is
 * the server's, not the member's idleness. With --idle-timeout 2 and
 * Redis stopped for longer, alice's /who and the line behind it go
 * through once it answers, and she is not dropped as idle (bob, on the
 * other instance, keeps talking to his own meanwhile). Two seconds, not
 * one: each member's next byte must come before its timeout runs out,
 * and the test's steps may be held up on a loaded machine.
 */
static void
test_slow_redis_not_idle(void **state)
{
	struct cx *x = *state;
	struct h_conn *a, *b;
	long long end;

	cx_pair(x, "--idle-timeout", "2", NULL);
	cx_members(x, "alice", &a, &b, NULL);
	h_send(a, "/who\n");
	h_expect(a, "*** 2 online: alice bob");
	h_send(b, "/who\n");
	h_expect(b, "*** 2 online: alice bob");
	kill(x->r.pid, SIGSTOP);
	h_send(a, "/who\nstill here\n");
	for (end = h_now_ms() + 3000; h_now_ms() < end; ) {
		h_send(b, "/help\n");
		h_sleep_ms(300);
	}
	kill(x->r.pid, SIGCONT);
	h_expect(a, "*** 2 online: alice bob");
	h_expect_skip(b, "<alice> still here");
	/* And not dropped at the next check either (which may come within
	 * this second): the wait was not idle time. */
	h_send(b, "/help\n");
	h_sleep_ms(1000);
	h_send(a, "/nick alice2\n");
	h_expect(a, "*** alice is now alice2");
}

/*
 * A member that writes flat out while Redis is stopped is no longer read
 * once the link holds CLUSTER_BACKLOG_BYTES: its lines wait in the
 * kernel, not in lobbyd (which grew by gigabytes before), and none is
 * lost. The stall stays well within the 15 s after which the link would
 * be declared lost.
 */
#define FLOOD_LINE	1000		/* bytes a line, its LF included */
#define FLOOD_MAX	(64L << 20)	/* the most written */
#define FLOOD_RSS_KIB	(64L << 10)	/* lobbyd grows by less than this */

static void
test_stalled_redis_flood(void **state)
{
	struct cx *x = *state;
	struct h_conn *a, *b;
	static char chunk[64 * FLOOD_LINE];
	long long end;
	long sent = 0, rss0, rss = 0, n = 0, got, lines;
	size_t off = 0, len = 0;
	const char *l;
	ssize_t w;
	char *p;

	/* The stream keeps 20 x --history entries: more than the lines. */
	cx_pair(x, "--history", "1000", "--sendq", "4194304", NULL);
	cx_members(x, "alice", &a, &b, NULL);
	h_send(a, "/who\n");
	h_expect(a, "*** 2 online: alice bob");
	h_send(b, "/who\n");
	h_expect(b, "*** 2 online: alice bob");
	/* The account worker's start-up hash (64 MiB of Argon2) comes and
	 * goes: the size to compare with is once it holds still. */
	rss0 = h_rss_kib(x->s[0].pid);
	for (end = h_now_ms() + SCALED(5000), n = 0; n < 3 &&
	    h_now_ms() < end; rss0 = rss) {
		h_sleep_ms(100);
		rss = h_rss_kib(x->s[0].pid);
		n = rss == rss0 ? n + 1 : 0;
	}
	n = 0;
	assert_true(rss0 > 0);
	kill(x->r.pid, SIGSTOP);
	/* Numbered lines, written without blocking for 3 s (or until
	 * lobbyd has grown past the bound: stop before it hurts), fewer
	 * than the stream keeps. */
	end = h_now_ms() + 3000;
	while (h_now_ms() < end && sent < FLOOD_MAX) {
		if (off == len) {
			for (len = 0; len < sizeof chunk; len += FLOOD_LINE) {
				snprintf(chunk + len, FLOOD_LINE, "%07ld ", n++);
				memset(chunk + len + 8, 'x', FLOOD_LINE - 9);
				chunk[len + FLOOD_LINE - 1] = '\n';
			}
			off = 0;
			rss = h_rss_kib(x->s[0].pid);
			if (rss - rss0 > FLOOD_RSS_KIB)
				break;
		}
		w = send(a->fd, chunk + off, len - off,
		    MSG_NOSIGNAL | MSG_DONTWAIT);
		if (w > 0) {
			off += (size_t)w;
			sent += w;
		} else if (w == -1 && (errno == EAGAIN || errno == EINTR))
			h_sleep_ms(1);
		else
			fail_msg("send: %s", strerror(errno));
	}
	h_sleep_ms(300);
	rss = h_rss_kib(x->s[0].pid);
	print_message("wrote %ld MB while Redis was stopped; lobbyd %ld kB -> "
	    "%ld kB\n", sent >> 20, rss0, rss);
	if (h_rss_meaningful())
		assert_true(rss - rss0 < FLOOD_RSS_KIB);
	/* The kernel took what lobbyd would not read. */
	assert_true(sent < FLOOD_MAX);
	kill(x->r.pid, SIGCONT);
	/* The rest of the last chunk, then every line, in order. */
	assert_int_equal(h_send_raw(a, chunk + off, len - off), 0);
	lines = n;
	assert_true(lines < 20000);
	for (got = 0; got < lines; got++) {
		l = h_line(b, SCALED(10000));
		if (l == NULL)
			fail_msg("line %ld of %ld did not come", got, lines);
		if (strncmp(l, "<alice> ", 8) != 0 ||
		    strtol(l + 8, &p, 10) != got || *p != ' ' ||
		    strlen(p + 1) != FLOOD_LINE - 9)
			fail_msg("line %ld: %.60s", got, l);
	}
	assert_true(h_silent(b, 200));
}


/*
 * The history a cluster joiner gets is the room log's replay, which never
 * counts toward --sendq: 5 lines of 900 bytes pass a send queue of 4160.
 */
static void
test_history_small_sendq(void **state)
{
	struct cx *x = *state;
	struct h_conn *a, *c;
	char line[1024], want[1024];
	int i, k;

	rds_run(&x->r);
	cx_lobbyd(x, 0, NULL, "--sendq", "4160", "--max-line", "1000",
	    "--history", "50", NULL);
	cx_lobbyd(x, 1, NULL, "--sendq", "4160", "--max-line", "1000",
	    "--history", "50", NULL);
	a = cx_join(x, 0, "alice");
	for (i = 0; i < 5; i++) {
		memset(line, 'a' + i, 900);
		line[900] = '\n';
		line[901] = '\0';
		h_send(a, line);
	}
	/* Once its own /msg is back, its lines are in the stream before. */
	h_send(a, "/msg alice sync\n");
	h_expect(a, "[pm] <alice> sync");
	for (k = 0; k < 2; k++) {
		c = cx_keep(x, h_join(&x->s[k], NULL));
		h_expect(c, "*** last 5 messages:");
		for (i = 0; i < 5; i++) {
			memcpy(want, "<alice> ", 8);
			memset(want + 8, 'a' + i, 900);
			want[908] = '\0';
			h_expect_history(c, want);
		}
		h_expect(c, "*** end of history");
	}
	/* Nobody was dropped: everyone is still here. */
	h_send(a, "/who\n");
	h_expect_skip(a, "*** 3 online: alice guest2 guest3");
	h_send(x->c[x->nc - 1], "still here\n");
	h_expect_skip(a, "<guest3> still here");
	assert_false(h_log_has(&x->s[0], "too slow", 200));
	assert_false(h_log_has(&x->s[1], "too slow", 200));
}

/*
 * An entry read from Redis is a member's line for the rules: its text is
 * cleaned (control bytes, bidirectional controls, invalid UTF-8), one over
 * --max-line or with a field lobbyd never writes (an empty name, a kind
 * of two letters) is dropped with a log line, and lobbyd reads on. A WebSocket member gets
 * the cleaned line as a valid UTF-8 text frame.
 */
static void
test_forged_entries_cleaned(void **state)
{
	struct cx *x = *state;
	struct h_conn *a, *b;
	char *big, nick[32], line[64];
	size_t n = 3 * 1024 * 1024;
	int ws;

	rds_run(&x->r);
	cx_lobbyd(x, 0, NULL, NULL);
	cx_lobbyd(x, 1, NULL, "--web", "127.0.0.1:0", NULL);
	a = cx_join(x, 0, "alice");
	b = cx_join(x, 1, "bob");
	ws = h_ws_join(h_web_port(&x->s[1], 0), nick);
	snprintf(line, sizeof line, "*** %s joined", nick);
	h_expect_skip(a, line);
	h_expect_skip(b, line);
	/* ESC, BEL, a C1 control, RLO (U+202E), an invalid byte. */
	freeReplyObject(rds_cmd(&x->r, "XADD lobby:{lobby}:stream * t c m "
	    "x:1 n mallory x %s", "\x1b[31mred\x07 \xc2\x9b \xe2\x80\xaerlo "
	    "\xff end"));
	h_expect(a, "<mallory> [31mred  rlo \xef\xbf\xbd end");
	h_expect(b, "<mallory> [31mred  rlo \xef\xbf\xbd end");
	assert_string_equal(h_ws_text(ws, H_TIMEOUT_MS),
	    "<mallory> [31mred  rlo \xef\xbf\xbd end");
	/* An empty field name: not ours, dropped (never read past it). */
	freeReplyObject(rds_cmd(&x->r, "XADD lobby:{lobby}:stream * %s %s "
	    "t c m x:1 n mallory x %s", "", "z", "empty name"));
	/* A kind of two letters: not ours either (not chat by its first). */
	freeReplyObject(rds_cmd(&x->r, "XADD lobby:{lobby}:stream * t cc m "
	    "x:1 n mallory x %s", "two-letter kind"));
	/* 3 MiB of text: over --max-line, dropped whole. */
	assert_non_null(big = malloc(n + 1));
	memset(big, 'B', n);
	big[n] = '\0';
	freeReplyObject(rds_cmd(&x->r, "XADD lobby:{lobby}:stream * t c m "
	    "x:1 n mallory x %s", big));
	free(big);
	h_send(a, "after\n");
	h_expect(b, "<alice> after");
	/* Nothing of the dropped entries came first. */
	assert_string_equal(h_ws_text(ws, H_TIMEOUT_MS), "<alice> after");
	assert_true(h_silent(a, 300));
	assert_true(h_silent(b, 300));
	assert_true(h_log_has(&x->s[0], "over --max-line", H_TIMEOUT_MS));
	assert_true(h_log_has(&x->s[1], "skipping a malformed stream entry",
	    H_TIMEOUT_MS));
	close(ws);
}

/*
 * --max-line counts a line before cleaning, with Redis as without: a line
 * within it that cleaning makes longer (each invalid byte a 3-byte
 * U+FFFD, a telnet IAC IAC a 0xFF) reaches every member, on the sender's
 * instance and on the other. An entry whose text no line within
 * --max-line could have given is still dropped.
 */
static void
test_line_grown_by_cleaning(void **state)
{
	struct cx *x = *state;
	struct h_conn *a, *b, *c;
	char raw[1536], want[4096], *p;
	size_t n = 600, i;

	cx_pair(x, NULL);
	/* bob sends: carol is on his instance, alice on the other. */
	cx_members(x, "alice", &a, &b, &c);
	/* 600 bytes of 0x80: 1,800 bytes once cleaned. */
	memset(raw, 0x80, n);
	raw[n] = '\n';
	assert_int_equal(h_send_raw(b, raw, n + 1), 0);
	p = want + snprintf(want, sizeof want, "<bob> ");
	for (i = 0; i < n; i++, p += 3)
		memcpy(p, "\xef\xbf\xbd", 3);
	*p = '\0';
	h_expect(a, want);
	h_expect(c, want);
	/* IAC IAC, twice the bytes on the wire, 0xFF after telnet. */
	for (i = 0; i < 2 * n; i++)
		raw[i] = (char)0xff;
	raw[2 * n] = '\n';
	assert_int_equal(h_send_raw(b, raw, 2 * n + 1), 0);
	h_expect(a, want);
	h_expect(c, want);
	assert_false(h_log_has(&x->s[0], "dropped stream entry", 0));
	assert_false(h_log_has(&x->s[1], "dropped stream entry", 0));
	/* A forged entry: 1,025 bytes no cleaning made longer: dropped. */
	memset(raw, 'F', 1025);
	raw[1025] = '\0';
	freeReplyObject(rds_cmd(&x->r, "XADD lobby:{lobby}:stream * t c m "
	    "x:1 n mallory x %s", raw));
	h_send(b, "after\n");
	h_expect(a, "<bob> after");
	h_expect(c, "<bob> after");
	assert_true(h_log_has(&x->s[0], "over --max-line", H_TIMEOUT_MS));
	assert_true(h_silent(b, 200));
}

/* A nick in the members hash that breaks the nick rule never reaches
 * anyone's screen through /who: no forged line, nor the part of a nick
 * before a NUL byte inside it. */
static void
test_forged_who_nick(void **state)
{
	struct cx *x = *state;
	struct h_conn *a;

	rds_run(&x->r);
	cx_lobbyd(x, 0, NULL, NULL);
	a = cx_join(x, 0, "alice");
	h_drain(a);
	freeReplyObject(rds_cmd(&x->r, "HSET lobby:{lobby}:members x:9 %s",
	    "evil\n*** forged"));
	freeReplyObject(rds_cmd(&x->r, "ZADD lobby:{lobby}:order 0 x:9"));
	freeReplyObject(rds_cmd(&x->r, "HSET lobby:{lobby}:members x:8 %b",
	    "bo\0b", (size_t)4));
	freeReplyObject(rds_cmd(&x->r, "ZADD lobby:{lobby}:order 0 x:8"));
	h_send(a, "/who\n");
	h_expect(a, "*** 1 online: alice");
	assert_true(h_silent(a, 300));
	assert_true(h_log_has(&x->s[0], "breaks the nick rule",
	    H_TIMEOUT_MS));
}

/* The member key Redis has for nick, into key. */
static void
member_key(struct cx *x, const char *nick, char *key, size_t size)
{
	redisReply *k = rds_cmd(&x->r, "HGET lobby:{lobby}:nicks %s", nick);

	assert_int_equal(k->type, REDIS_REPLY_STRING);
	snprintf(key, size, "%s", k->str);
	freeReplyObject(k);
}

/*
 * A NUL byte inside a field of an entry: a C string ends there, the
 * field does not. No nick, key, account, address or room name holds
 * one (a member could never /nick to "bo\0b"), so the entry is dropped
 * with a log line as one whose nick breaks the nick rule, never applied
 * as if the field ended at the NUL.
 */
static void
test_forged_nul_fields(void **state)
{
	struct cx *x = *state;
	struct h_conn *a, *b;
	char akey[64], bkey[64], nk[80];
	size_t n;

	cx_pair(x, "--op", "alice", NULL);
	cx_members(x, "alice", &a, &b, NULL);
	member_key(x, "alice", akey, sizeof akey);
	member_key(x, "bob", bkey, sizeof bkey);
	freeReplyObject(rds_cmd(&x->r, "XADD lobby:{lobby}:stream * t c m "
	    "x:1 n %b x hi", "bo\0b", (size_t)4));
	freeReplyObject(rds_cmd(&x->r, "XADD lobby:{lobby}:stream * t n m "
	    "x:1 n carol o %b", "da\0ve", (size_t)5));
	/* alice's key, and more: not alice's line. */
	n = (size_t)snprintf(nk, sizeof nk, "%s%cx", akey, '\0');
	freeReplyObject(rds_cmd(&x->r, "XADD lobby:{lobby}:stream * t c m "
	    "%b n mallory x sneaky", nk, n));
	/* bob's key, and more: not a /msg to bob. */
	n = (size_t)snprintf(nk, sizeof nk, "%s%cx", bkey, '\0');
	freeReplyObject(rds_cmd(&x->r, "XADD lobby:{lobby}:stream * t p m "
	    "x:1 n mallory r %b x secret", nk, n));
	/* Acts: an --op account, an address, a room, each with more. */
	freeReplyObject(rds_cmd(&x->r, "XADD lobby:{lobby}:stream * t K m "
	    "x:1 n mallory w %b r %s o bob x out h lobby", "alice\0x",
	    (size_t)7, bkey));
	freeReplyObject(rds_cmd(&x->r, "XADD lobby:{lobby}:stream * t A m "
	    "x:1 n mallory w alice a %b x out k 0", "127.0.0.1\0x",
	    (size_t)11));
	freeReplyObject(rds_cmd(&x->r, "XADD lobby:{lobby}:stream * t M m "
	    "x:1 n mallory w alice r %s o bob k 0 h %b", bkey, "lobby\0x",
	    (size_t)7));
	h_send(a, "after\n");
	h_expect(b, "<alice> after");
	assert_true(h_silent(a, 300));
	assert_true(h_silent(b, 300));
	h_send(b, "still\n");
	h_expect(a, "<bob> still");
	/* Each field: its letter in the log line. */
	assert_true(h_log_has(&x->s[1], "its field n holds a NUL byte",
	    H_TIMEOUT_MS));
	assert_true(h_log_has(&x->s[1], "its field o holds a NUL byte", 0));
	assert_true(h_log_has(&x->s[0], "its field m holds a NUL byte", 0));
	assert_true(h_log_has(&x->s[1], "its field r holds a NUL byte", 0));
	assert_true(h_log_has(&x->s[1], "its field w holds a NUL byte", 0));
	assert_true(h_log_has(&x->s[1], "its field a holds a NUL byte", 0));
	assert_true(h_log_has(&x->s[1], "its field h holds a NUL byte", 0));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_unreachable_at_start,
		    cx_setup, cx_teardown),
		cmocka_unit_test_setup_teardown(test_usage_errors, cx_setup,
		    cx_teardown),
		cmocka_unit_test_setup_teardown(test_two_instances_one_room,
		    cx_setup, cx_teardown),
		cmocka_unit_test_setup_teardown(test_tcp_addresses, cx_setup,
		    cx_teardown),
		cmocka_unit_test_setup_teardown(test_nick_race, cx_setup,
		    cx_teardown),
		cmocka_unit_test_setup_teardown(test_guests_unique, cx_setup,
		    cx_teardown),
		cmocka_unit_test_setup_teardown(test_global_order, cx_setup,
		    cx_teardown),
		cmocka_unit_test_setup_teardown(test_history_across_restarts,
		    cx_setup, cx_teardown),
		cmocka_unit_test_setup_teardown(test_foreign_entries, cx_setup,
		    cx_teardown),
		cmocka_unit_test_setup_teardown(test_joiner_seam, cx_setup,
		    cx_teardown),
		cmocka_unit_test_setup_teardown(test_redis_killed, cx_setup,
		    cx_teardown),
		cmocka_unit_test_setup_teardown(test_sync_refused, cx_setup,
		    cx_teardown),
		cmocka_unit_test_setup_teardown(test_read_refused, cx_setup,
		    cx_teardown),
		cmocka_unit_test_setup_teardown(test_command_refused, cx_setup,
		    cx_teardown),
		cmocka_unit_test_setup_teardown(test_resume_after_last_entry,
		    cx_setup, cx_teardown),
		cmocka_unit_test_setup_teardown(test_login_link_down, cx_setup,
		    cx_teardown),
		cmocka_unit_test_setup_teardown(test_login_refused, cx_setup,
		    cx_teardown),
		cmocka_unit_test_setup_teardown(test_op_link_down, cx_setup,
		    cx_teardown),
		cmocka_unit_test_setup_teardown(test_unban_link_down, cx_setup,
		    cx_teardown),
		cmocka_unit_test_setup_teardown(test_instance_killed, cx_setup,
		    cx_teardown),
		cmocka_unit_test_setup_teardown(test_slow_redis_not_idle,
		    cx_setup, cx_teardown),
		cmocka_unit_test_setup_teardown(test_slow_redis, cx_setup,
		    cx_teardown),
		cmocka_unit_test_setup_teardown(test_stalled_redis_flood,
		    cx_setup, cx_teardown),
		cmocka_unit_test_setup_teardown(test_history_small_sendq,
		    cx_setup, cx_teardown),
		cmocka_unit_test_setup_teardown(test_forged_entries_cleaned,
		    cx_setup, cx_teardown),
		cmocka_unit_test_setup_teardown(test_line_grown_by_cleaning,
		    cx_setup, cx_teardown),
		cmocka_unit_test_setup_teardown(test_forged_who_nick, cx_setup,
		    cx_teardown),
		cmocka_unit_test_setup_teardown(test_forged_nul_fields, cx_setup,
		    cx_teardown),
	};

	if (!rds_find()) {
		fprintf(stderr, "redis-server not found: skipped\n");
		return 77;
	}
	return cmocka_run_group_tests(tests, NULL, NULL);
}
