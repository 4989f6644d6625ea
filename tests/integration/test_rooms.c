/* test_rooms: rooms over real sockets: /join, /part, /rooms, /topic, the landing room, per-room history and isolation, --max-rooms. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "harness.h"

/* Join as nick; what comes with the welcome is left to quiet(). */
static struct h_conn *
member(const struct h_server *s, const char *nick)
{
	return h_join_as(s, nick);
}

/* Read past everything sent to the members so far (NULL ends the list). */
static void
quiet(struct h_conn *c, ...)
{
	va_list ap;

	va_start(ap, c);
	for (; c != NULL; c = va_arg(ap, struct h_conn *))
		h_sync(c);
	va_end(ap);
}

/* Start lobbyd on its defaults; alice, bob and carol join, read past. */
static void
three(struct h_server *s, struct h_conn **a, struct h_conn **b,
    struct h_conn **c)
{
	assert_int_equal(h_start(s, NULL), 0);
	*a = member(s, "alice");
	*b = member(s, "bob");
	*c = member(s, "carol");
	quiet(*a, *b, *c, NULL);
}

/* Close every connection given (NULL ends the list). */
static void
close_all(struct h_conn *c, ...)
{
	va_list ap;

	va_start(ap, c);
	for (; c != NULL; c = va_arg(ap, struct h_conn *))
		h_close(c);
	va_end(ap);
}

/* ---------------------------------------------------------------------
 * The commands and their notices
 * ------------------------------------------------------------------- */

static void
test_rooms_join_part(void **state)
{
	struct h_server *s = *state;
	struct h_conn *a, *b, *c;

	three(s, &a, &b, &c);
	h_sync(a);
	h_sync(b);
	h_send(a, "/join Dev\n");
	h_expect(a, "*** you are now in Dev (1 online)");
	h_expect(b, "*** alice went to Dev");
	h_expect(c, "*** alice went to Dev");
	h_send(b, "/join dev\n");
	/* Compared without case, shown as first written. */
	h_expect(b, "*** you are now in Dev (2 online)");
	h_expect(a, "*** bob joined");
	h_expect(c, "*** bob went to Dev");
	h_send(b, "/join DEV\n");
	h_expect(b, "!!! you are already in Dev");
	h_send(b, "/who\n");
	h_expect(b, "*** 2 online: alice bob");
	h_send(c, "/who\n");
	h_expect(c, "*** 1 online: carol");
	h_send(a, "/part\n");
	h_expect(a, "*** you are now in lobby (2 online)");
	h_expect(b, "*** alice went to lobby");
	h_expect(c, "*** alice joined");
	h_send(a, "/part\n");
	h_expect(a, "!!! you are already in lobby");
	h_nothing(b);
	h_nothing(c);
	close_all(a, b, c, NULL);
}

static void
test_rooms_errors(void **state)
{
	struct h_server *s = *state;
	struct h_conn *a;
	char line[512];
	const struct h_case cases[] = {
		{ "/join", "!!! usage: /join NAME" },
		{ "/join a b", "!!! usage: /join NAME" },
		{ "/join b@d", "!!! bad room name: b@d" },
		{ "/join caf\xc3\xa9", "!!! bad room name: caf\xc3\xa9" },
		{ "/join 123456789012345678901234567890123",
		    "!!! bad room name: 123456789012345678901234567890123" },
		{ "/join LOBBY", "!!! you are already in lobby" },
		{ "/topic", "*** no topic" },
	};

	assert_int_equal(h_start(s, NULL), 0);
	a = member(s, "alice");
	quiet(a, NULL);
	h_cases(a, cases);
	memset(line, 't', sizeof line);
	memcpy(line, "/topic ", 7);
	memcpy(line + 7 + 301, "\n", 2);
	h_send(a, line);
	h_expect(a, "!!! topic too long (max 300 bytes)");
	/* 32 is the longest name; 300 bytes the longest topic. */
	h_send(a, "/join 12345678901234567890123456789012\n");
	h_expect(a, "*** you are now in 12345678901234567890123456789012 "
	    "(1 online)");
	memcpy(line + 7 + 300, "\n", 2);
	h_send(a, line);
	line[7 + 300] = '\0';
	{
		char want[600];

		snprintf(want, sizeof want, "*** alice set the topic: %s",
		    line + 7);
		h_expect(a, want);
	}
	/* The 300 bytes are the topic's once cleaned: 101 invalid bytes
	 * are 303 bytes of U+FFFD, 100 are 300. */
	memset(line + 7, 0xc0, 101);
	memcpy(line + 7 + 101, "\n", 2);
	h_send(a, line);
	h_expect(a, "!!! topic too long (max 300 bytes)");
	memcpy(line + 7 + 100, "\n", 2);
	h_send(a, line);
	{
		char want[600];
		size_t at = (size_t)snprintf(want, sizeof want,
		    "*** alice set the topic: ");

		for (int i = 0; i < 100; i++, at += 3)
			memcpy(want + at, "\xef\xbf\xbd", 3);
		want[at] = '\0';
		h_expect(a, want);
	}
	h_close(a);
}

static void
test_rooms_topic(void **state)
{
	struct h_server *s = *state;
	struct h_conn *a, *b, *c;

	three(s, &a, &b, &c);
	h_send(a, "/join ops\n");
	h_expect(a, "*** you are now in ops (1 online)");
	h_send(b, "/join ops\n");
	h_expect_skip(b, "*** you are now in ops (2 online)");
	h_sync(a);
	h_sync(c);
	/* Cleaned like chat: the ESC goes, the rest stays. */
	h_send(a, "/topic deploys \x1b[31mtoday\n");
	h_expect(a, "*** alice set the topic: deploys [31mtoday");
	h_expect(b, "*** alice set the topic: deploys [31mtoday");
	h_nothing(c);
	h_send(b, "/topic\n");
	h_expect(b, "*** topic: deploys [31mtoday");
	h_send(c, "/topic\n");
	h_expect(c, "*** no topic");
	/* A joiner gets it after the move notice, before the history. */
	h_send(a, "ship it\n");
	h_expect(b, "<alice> ship it");
	h_send(c, "/join OPS\n");
	h_expect(c, "*** you are now in ops (3 online)");
	h_expect(c, "*** topic: deploys [31mtoday");
	h_expect(c, "*** last 1 message:");
	h_expect_history(c, "<alice> ship it");
	h_expect(c, "*** end of history");
	close_all(a, b, c, NULL);
}

static void
test_rooms_list(void **state)
{
	struct h_server *s = *state;
	struct h_conn *a, *b, *c;

	three(s, &a, &b, &c);
	h_send(a, "/rooms\n");
	h_expect(a, "*** 1 room: lobby (3)");
	h_send(a, "/join zeta\n");
	h_expect(a, "*** you are now in zeta (1 online)");
	h_send(b, "/join Alpha\n");
	h_expect_skip(b, "*** you are now in Alpha (1 online)");
	h_send(c, "/join quiet\n");
	h_expect_skip(c, "*** you are now in quiet (1 online)");
	h_send(a, "hello zeta\n");
	h_send(c, "/rooms\n");
	/* In order of creation, members counted. */
	h_expect(c, "*** 4 rooms: lobby (0) zeta (1) Alpha (1) quiet (1)");
	/* quiet empties keeping nothing: forgotten; zeta keeps history. */
	h_send(c, "/part\n");
	h_expect(c, "*** you are now in lobby (1 online)");
	h_send(a, "/part\n");
	h_expect(a, "*** you are now in lobby (2 online)");
	h_send(a, "/rooms\n");
	h_expect_skip(a, "*** 3 rooms: lobby (2) zeta (0) Alpha (1)");
	close_all(a, b, c, NULL);
}

/* ---------------------------------------------------------------------
 * Isolation, /msg, nicks, history per room
 * ------------------------------------------------------------------- */

static void
test_rooms_isolation(void **state)
{
	struct h_server *s = *state;
	struct h_conn *a, *b, *c, *d;

	assert_int_equal(h_start(s, NULL), 0);
	a = member(s, "alice");
	b = member(s, "bob");
	c = member(s, "carol");
	d = member(s, "dave");
	quiet(a, b, c, d, NULL);
	h_send(a, "/join red\n");
	h_expect(a, "*** you are now in red (1 online)");
	h_send(b, "/join red\n");
	h_expect_skip(b, "*** you are now in red (2 online)");
	h_send(c, "/join blue\n");
	h_expect_skip(c, "*** you are now in blue (1 online)");
	h_sync(a);
	h_sync(d);
	/* Chat, /me and nick changes stay in their room. */
	h_send(a, "in red\n");
	h_expect(b, "<alice> in red");
	h_send(c, "/me is blue\n");
	h_send(d, "in lobby\n");
	h_send(b, "/nick bobby\n");
	h_expect(b, "*** bob is now bobby");
	h_expect(a, "*** bob is now bobby");
	h_nothing(a);
	h_nothing(b);
	h_nothing(c);
	h_nothing(d);
	/* /msg crosses rooms, any case, both ways. */
	h_send(d, "/msg ALICE from the lobby\n");
	h_expect(a, "[pm] <dave> from the lobby");
	h_send(a, "/msg carol from red\n");
	h_expect(c, "[pm] <alice> from red");
	h_send(a, "/msg nobody hi\n");
	h_expect(a, "!!! no such user: nobody");
	/* Nicks are unique over every room. */
	h_send(d, "/nick Carol\n");
	h_expect(d, "!!! nick Carol is taken");
	h_nothing(b);
	close_all(a, b, c, d, NULL);
}

static void
test_rooms_history(void **state)
{
	struct h_server *s = *state;
	struct h_conn *a, *b, *c;
	char nick[32];

	assert_int_equal(h_start(s, "--history", "2", NULL), 0);
	a = member(s, "alice");
	b = member(s, "bob");
	quiet(a, b, NULL);
	h_send(a, "lobby one\n");
	h_expect(b, "<alice> lobby one");
	h_send(a, "/join dev\n");
	h_expect(a, "*** you are now in dev (1 online)");
	h_send(a, "dev one\n");
	h_send(a, "dev two\n");
	h_send(a, "/me dev three\n");
	h_sync(a);
	/* Each room its own history, --history lines each. */
	h_send(b, "/join dev\n");
	h_expect_skip(b, "*** you are now in dev (2 online)");
	h_expect(b, "*** last 2 messages:");
	h_expect_history(b, "<alice> dev two");
	h_expect_history(b, "* alice dev three");
	h_expect(b, "*** end of history");
	h_nothing(b);
	c = h_join(s, nick);
	h_expect(c, "*** last 1 message:");
	h_expect_history(c, "<alice> lobby one");
	h_expect(c, "*** end of history");
	h_nothing(c);
	/* Going back: the landing room's history again. */
	h_send(b, "/part\n");
	h_expect(b, "*** you are now in lobby (2 online)");
	h_expect(b, "*** last 1 message:");
	h_expect_history(b, "<alice> lobby one");
	h_expect(b, "*** end of history");
	close_all(a, b, c, NULL);
}

/*
 * A member on the Unix socket moves between rooms as a TCP one does:
 * the same notices, its room's history, its lines (a burst of them too)
 * to its room only, and back.
 */
static void
test_rooms_unix_member(void **state)
{
	struct h_server *s = *state;
	struct h_conn *u, *b, *c;
	char path[64], *burst;

	snprintf(path, sizeof path, "/tmp/lobby-test-%ld-rooms.sock",
	    (long)getpid());
	assert_int_equal(h_start(s, "--history", "5", "-b", "127.0.0.1",
	    "-u", path, NULL), 0);
	b = member(s, "bob");
	c = member(s, "carol");
	quiet(b, c, NULL);
	h_send(b, "/join dev\n");
	h_expect(b, "*** you are now in dev (1 online)");
	h_send(b, "before you came\n");
	h_expect(c, "*** bob went to dev");
	assert_non_null(u = h_connect_unix(path));
	assert_non_null(h_line(u, H_TIMEOUT_MS));
	assert_memory_equal(u->line, "*** welcome to lobby, you are ", 30);
	h_rename(u, "ursula");
	h_sync(u);
	h_sync(c);
	h_send(u, "/join dev\n");
	h_expect(u, "*** you are now in dev (2 online)");
	h_expect(u, "*** last 1 message:");
	h_expect_history(u, "<bob> before you came");
	h_expect(u, "*** end of history");
	h_expect(b, "*** ursula joined");
	h_expect(c, "*** ursula went to dev");
	/* One write of many lines: all of them, in order, to dev alone. */
	burst = h_numbered("unix line %03d", 100);
	h_send(u, burst);
	free(burst);
	h_expect_numbered(b, "<ursula> unix line %03d", 100);
	h_send(b, "hello ursula\n");
	h_expect(u, "<bob> hello ursula");
	h_nothing(c);
	h_send(u, "/part\n");
	h_expect(u, "*** you are now in lobby (2 online)");
	h_expect(b, "*** ursula went to lobby");
	h_expect(c, "*** ursula joined");
	close_all(u, b, c, NULL);
	unlink(path);
}

static void
test_rooms_leave_in_room(void **state)
{
	struct h_server *s = *state;
	struct h_conn *a, *b, *c;

	three(s, &a, &b, &c);
	h_send(a, "/join dev\n");
	h_expect(a, "*** you are now in dev (1 online)");
	h_send(b, "/join dev\n");
	h_expect_skip(b, "*** you are now in dev (2 online)");
	h_sync(a);
	h_sync(c);
	/* Leaves are told to the leaver's room only. */
	h_send(a, "/quit off now\n");
	h_expect(b, "*** alice left (off now)");
	h_nothing(c);
	h_close(a);
	h_close(b);
	h_nothing(c);
	/* dev is forgotten once its last connection is closed. */
	h_send(c, "/rooms\n");
	h_expect(c, "*** 1 room: lobby (1)");
	h_close(c);
}

/* ---------------------------------------------------------------------
 * Options: --room, --max-rooms
 * ------------------------------------------------------------------- */

static void
test_rooms_landing(void **state)
{
	struct h_server *s = *state;
	struct h_conn *a, *b;

	assert_int_equal(h_start(s, "--room", "Hall", NULL), 0);
	a = member(s, "alice");
	quiet(a, NULL);
	h_send(a, "/rooms\n");
	h_expect(a, "*** 1 room: Hall (1)");
	h_send(a, "/join hall\n");
	h_expect(a, "!!! you are already in Hall");
	h_send(a, "/join lobby\n");
	h_expect(a, "*** you are now in lobby (1 online)");
	b = member(s, "bob");
	quiet(b, NULL);
	h_send(b, "/who\n");
	h_expect(b, "*** 1 online: bob");
	h_send(a, "/part\n");
	h_expect(a, "*** you are now in Hall (2 online)");
	h_close(a);
	h_close(b);
}

static void
test_rooms_max(void **state)
{
	struct h_server *s = *state;
	struct h_conn *a, *b;

	assert_int_equal(h_start(s, "--max-rooms", "2", NULL), 0);
	a = member(s, "alice");
	b = member(s, "bob");
	quiet(a, b, NULL);
	h_send(a, "/join one\n");
	h_expect(a, "*** you are now in one (1 online)");
	h_send(b, "/join two\n");
	h_expect_skip(b, "!!! too many rooms");
	/* An existing room is still open to all. */
	h_send(b, "/join ONE\n");
	h_expect(b, "*** you are now in one (2 online)");
	h_send(a, "kept\n");
	h_expect(b, "<alice> kept");
	h_send(a, "/part\n");
	h_expect_skip(a, "*** you are now in lobby (1 online)");
	h_expect(b, "*** alice went to lobby");
	h_send(b, "/part\n");
	h_expect(b, "*** you are now in lobby (2 online)");
	/* one keeps history, but nobody is in it: it gives way. */
	h_send(b, "/join two\n");
	h_expect_skip(b, "*** you are now in two (1 online)");
	h_send(b, "/rooms\n");
	h_expect(b, "*** 2 rooms: lobby (1) two (1)");
	h_close(a);
	h_close(b);
}

/*
 * A member alone in a room that keeps nothing moves on at the limit:
 * the room it leaves goes, and it is the one that gives way, not a room
 * that keeps a topic and history, nor is the move refused.
 */
static void
test_rooms_max_leaving(void **state)
{
	struct h_server *s = *state;
	struct h_conn *a, *b;

	assert_int_equal(h_start(s, "--max-rooms", "3", NULL), 0);
	a = member(s, "alice");
	quiet(a, NULL);
	h_send(a, "/join keep\n/topic precious\nhistory line\n"
	    "/join pass\n");
	h_expect_skip(a, "*** you are now in pass (1 online)");
	h_send(a, "/join new\n");
	h_expect(a, "*** you are now in new (1 online)");
	h_send(a, "/rooms\n");
	h_expect(a, "*** 3 rooms: lobby (0) keep (0) new (1)");
	h_send(a, "/join keep\n");
	h_expect(a, "*** you are now in keep (1 online)");
	h_expect(a, "*** topic: precious");
	h_close(a);
	h_stop(s);

	/* Only lobby and rb are left after the move: within 2. */
	assert_int_equal(h_start(s, "--max-rooms", "2", NULL), 0);
	b = member(s, "bob");
	a = member(s, "alice");
	quiet(a, b, NULL);
	h_send(a, "/join ra\n");
	h_expect(a, "*** you are now in ra (1 online)");
	h_expect_skip(b, "*** alice went to ra");
	h_send(a, "/join rb\n");
	h_expect(a, "*** you are now in rb (1 online)");
	h_send(a, "/rooms\n");
	h_expect(a, "*** 2 rooms: lobby (1) rb (1)");
	h_close(a);
	h_close(b);
}

/* Lines of BIG_FMT rooms_fill() sends: 360 KB, well past --sendq 16384. */
#define BIG_LINES	400

/* The format of chat line N: "%04d " and 895 bytes of h. */
static const char *
big_fmt(void)
{
	static char fmt[901];

	memcpy(fmt, "%04d ", 5);
	memset(fmt + 5, 'h', sizeof fmt - 6);
	fmt[sizeof fmt - 1] = '\0';
	return fmt;
}

/* a fills room name with BIG_LINES chat lines, then goes back. */
static void
rooms_fill(struct h_conn *a, const char *name)
{
	char cmd[64], *burst;

	snprintf(cmd, sizeof cmd, "/join %s\n", name);
	h_send(a, cmd);
	burst = h_numbered(big_fmt(), BIG_LINES);
	h_send(a, burst);
	free(burst);
	h_send(a, "/part\n");
	h_sync(a);
}

/* c gets the history block of rooms_fill()'s lines from alice. */
static void
big_history(struct h_conn *c)
{
	char want[1100], line[1000];
	int i;

	snprintf(want, sizeof want, "*** last %d messages:", BIG_LINES);
	h_expect(c, want);
	for (i = 0; i < BIG_LINES; i++) {
		snprintf(line, sizeof line, big_fmt(), i);
		snprintf(want, sizeof want, "<alice> %s", line);
		h_expect_history(c, want);
	}
	h_expect(c, "*** end of history");
}

/*
 * A history replay not yet written when its member moves on goes with
 * it and never counts toward --sendq: two /joins in one write, and a
 * reader too slow to have taken its replay before it moves again.
 */
static void
test_rooms_move_keeps_replay(void **state)
{
	struct h_server *s = *state;
	struct h_conn *a, *b, *c;

	assert_int_equal(h_start(s, "--history", "400", "--sendq", "16384",
	    NULL), 0);
	a = member(s, "alice");
	c = h_join_stalled(s, "carol");
	b = member(s, "bob");
	quiet(a, b, NULL);
	rooms_fill(a, "big");
	h_sync(b);
	h_send(b, "/join big\n/join dev\n");
	h_expect(b, "*** you are now in big (1 online)");
	big_history(b);
	h_expect(b, "*** you are now in dev (1 online)");
	h_nothing(b);
	/* carol reads nothing until it has moved on. */
	h_send(c, "/join big\n");
	assert_true(h_log_has(s, "carol went from lobby to big", H_TIMEOUT_MS));
	h_send(c, "/join dev\n");
	assert_true(h_log_has(s, "carol went from big to dev", H_TIMEOUT_MS));
	h_expect_skip(c, "*** you are now in big (1 online)");
	big_history(c);
	h_expect(c, "*** you are now in dev (2 online)");
	h_nothing(c);
	assert_false(h_log_has(s, "too slow", 0));
	close_all(a, b, c, NULL);
}

/*
 * A burst of /joins through rooms that keep nothing never costs another
 * room its topic: those rooms give way first at --max-rooms.
 */
static void
test_rooms_join_burst_keeps_topics(void **state)
{
	struct h_server *s = *state;
	struct h_conn *a, *b;
	char want[512], line[64], *burst;
	size_t len = 0;
	int i;

	assert_int_equal(h_start(s, "--max-rooms", "20", NULL), 0);
	a = member(s, "alice");
	b = member(s, "bob");
	quiet(a, b, NULL);
	for (i = 0; i < 10; i++) {
		snprintf(line, sizeof line, "/join keep%d\n/topic kept %d\n",
		    i, i);
		h_send(a, line);
	}
	h_send(a, "/part\n");
	h_sync(a);
	/* One write: the rooms bob passes through are not yet swept. */
	burst = h_numbered("/join y%d", 30);
	h_send(b, burst);
	free(burst);
	h_send(b, "/rooms\n");
	len = (size_t)snprintf(want, sizeof want, "*** 12 rooms: lobby (1)");
	for (i = 0; i < 10; i++)
		len += (size_t)snprintf(want + len, sizeof want - len,
		    " keep%d (0)", i);
	snprintf(want + len, sizeof want - len, " y29 (1)");
	h_expect_skip(b, want);
	h_send(b, "/join keep0\n");
	h_expect(b, "*** you are now in keep0 (1 online)");
	h_expect(b, "*** topic: kept 0");
	close_all(a, b, NULL);
}

static void
test_rooms_bad_options(void **state)
{
	struct h_server *s = *state;
	static const char *const bad[][3] = {
		{ "--max-rooms", "0", NULL },
		{ "--max-rooms", "x", NULL },
		{ "--room", "b@d", NULL },
		{ "--room", "123456789012345678901234567890123", NULL },
	};
	char cmd[512];
	size_t i;
	int rc;

	(void)s;
	for (i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		snprintf(cmd, sizeof cmd, "'%s' %s '%s' >/dev/null 2>&1",
		    h_lobbyd_path(), bad[i][0], bad[i][1]);
		rc = system(cmd);
		assert_true(WIFEXITED(rc));
		assert_int_equal(WEXITSTATUS(rc), 2);
	}
}

/* GET path from the --web listener on port; the answer in out. */
static void
http_get(unsigned port, const char *path, char *out, size_t max)
{
	char req[256];
	struct pollfd pfd;
	size_t len = 0;
	ssize_t n;
	long long end = h_now_ms() + H_TIMEOUT_MS;
	int fd = h_raw_connect(port);

	assert_true(fd >= 0);
	snprintf(req, sizeof req, "GET %s HTTP/1.1\r\nHost: x\r\n"
	    "Connection: close\r\n\r\n", path);
	assert_int_equal(write(fd, req, strlen(req)), (ssize_t)strlen(req));
	pfd.fd = fd;
	pfd.events = POLLIN;
	while (len + 1 < max && h_now_ms() < end) {
		if (poll(&pfd, 1, 100) <= 0)
			continue;
		if ((n = read(fd, out + len, max - 1 - len)) <= 0)
			break;
		len += (size_t)n;
	}
	out[len] = '\0';
	close(fd);
}

static void
test_rooms_metrics(void **state)
{
	struct h_server *s = *state;
	struct h_conn *a, *b, *c;
	char body[16384];
	unsigned port;

	assert_int_equal(h_start(s, "--web", "127.0.0.1:0", NULL), 0);
	assert_true((port = h_web_port(s, 0)) > 0);
	a = member(s, "alice");
	b = member(s, "bob");
	c = member(s, "carol");
	quiet(a, b, c, NULL);
	h_send(a, "/join dev\n");
	h_expect(a, "*** you are now in dev (1 online)");
	h_send(b, "/join dev\n");
	h_expect_skip(b, "*** you are now in dev (2 online)");
	h_sync(c);
	http_get(port, "/metrics", body, sizeof body);
	assert_non_null(strstr(body, "# TYPE lobby_rooms gauge\n"
	    "lobby_rooms 2\n"));
	assert_non_null(strstr(body, "# TYPE lobby_room_members gauge\n"
	    "lobby_room_members{room=\"dev\"} 2\n"
	    "lobby_room_members{room=\"lobby\"} 1\n"));
	assert_non_null(strstr(body, "lobby_room_members_other 0\n"));
	close_all(a, b, c, NULL);
}

/*
 * Moves back and forth, MOVES_LINES of them as fast as they come, a
 * history line to replay in each room: what a member has not yet
 * received goes along on each move, and a move costs lobbyd what it
 * brings, not what every earlier move in the same read brought.
 */
#define MOVES_LINES	40000
static void
test_rooms_move_burst_cost(void **state)
{
	struct h_server *s = *state;
	struct h_conn *a;
	size_t len = 0, i;
	char *burst;
	long ticks;

	assert_int_equal(h_start(s, "--sendq", "67108864", NULL), 0);
	a = member(s, "alice");
	h_send(a, "/join a\nin a\n/join b\nin b\n/part\n");
	h_expect_skip(a, "*** you are now in lobby (1 online)");
	burst = malloc((size_t)MOVES_LINES * 8 + 1);
	assert_non_null(burst);
	for (i = 0; i < MOVES_LINES; i++)
		len += (size_t)sprintf(burst + len, "/join %c\n",
		    i % 2 == 0 ? 'a' : 'b');
	/* Each move: "you are now in", the history's three lines. */
	ticks = h_burst_ticks(s->pid, a, burst, len, 4 * (size_t)MOVES_LINES);
	free(burst);
	print_message("%d moves: lobbyd used %ld CPU ticks\n", MOVES_LINES,
	    ticks);
	/* About a tick per four thousand moves (a sanitizer build takes
	 * some times more); each read's worth took ever longer when every
	 * move copied or walked the moves before it: 2829 ticks. */
	if (!h_under_valgrind())
		assert_true(ticks <= 300);
	h_close(a);
}

/*
 * One member keeps every room but one at --max-rooms (a line in each),
 * then joins JOINS_LINES new rooms as fast as they come, a room giving
 * way for each. The lobbyd's CPU ticks for the joins; it is stopped.
 */
#define JOINS_LINES	20000
static long
join_burst_ticks(struct h_server *s, unsigned rooms)
{
	struct h_conn *a;
	size_t len = 0, i;
	char *buf, max[16];
	long ticks;

	snprintf(max, sizeof max, "%u", rooms);
	assert_int_equal(h_start(s, "--max-rooms", max, NULL), 0);
	a = member(s, "alice");
	quiet(a, NULL);
	buf = malloc((size_t)JOINS_LINES * 16);
	assert_non_null(buf);
	for (i = 0; i + 1 < rooms; i++)
		len += (size_t)sprintf(buf + len, "/join k%zu\nkept\n", i);
	sprintf(buf + len, "/part\n");
	h_send(a, buf);
	h_expect_skip(a, "*** you are now in lobby (1 online)");
	/* Each join: "*** you are now in zN (1 online)", alone there. */
	for (len = 0, i = 0; i < JOINS_LINES; i++)
		len += (size_t)sprintf(buf + len, "/join z%zu\n", i);
	ticks = h_burst_ticks(s->pid, a, buf, len, JOINS_LINES);
	free(buf);
	h_close(a);
	h_stop(s);
	return ticks;
}

/*
 * A /join to a new room at --max-rooms costs lobbyd about as much with
 * 1000 rooms as with 10: when each compared every room's name and walked
 * every room for the one to give way, a read's worth of them stalled
 * every client ten times longer with 1000.
 */
static void
test_rooms_join_burst_cost(void **state)
{
	struct h_server *s = *state;
	long few, many;

	few = join_burst_ticks(s, 10);
	many = join_burst_ticks(s, 1000);
	print_message("%d joins: lobbyd used %ld CPU ticks with 10 rooms, "
	    "%ld with 1000\n", JOINS_LINES, few, many);
	if (!h_under_valgrind())
		assert_true(many <= 2 * few + 5);
}

/*
 * One member keeps rooms - 1 rooms besides the landing one (a line in
 * each: none is forgotten, none gives way), with a place left under
 * --max-rooms, then goes to a new room and back MOVES_PINGS times,
 * waiting for each answer, so that each move has a loop pass of its
 * own: each /part empties the room it leaves, forgotten at the end of
 * its pass. The lobbyd's CPU ticks for the moves; it is stopped.
 */
#define MOVES_PINGS	10000
static long
empty_moves_ticks(struct h_server *s, unsigned rooms)
{
	struct h_conn *a;
	size_t len = 0, i;
	char *buf, max[16], want[64];
	const char *line;
	long t0, ticks;

	snprintf(max, sizeof max, "%u", rooms + 1);
	assert_int_equal(h_start(s, "--max-rooms", max, NULL), 0);
	a = member(s, "alice");
	quiet(a, NULL);
	buf = malloc((size_t)rooms * 24 + 8);
	assert_non_null(buf);
	for (i = 0; i + 1 < rooms; i++)
		len += (size_t)sprintf(buf + len, "/join k%zu\nkept\n", i);
	sprintf(buf + len, "/part\n");
	h_send(a, buf);
	free(buf);
	h_expect_skip(a, "*** you are now in lobby (1 online)");
	t0 = h_cpu_settled(s->pid);
	for (i = 0; i < MOVES_PINGS; i++) {
		h_send(a, "/join passing\n");
		h_expect(a, "*** you are now in passing (1 online)");
		h_send(a, "/part\n");
		h_expect(a, "*** you are now in lobby (1 online)");
	}
	ticks = h_cpu_ticks(s->pid) - t0;
	/* Every kept room is still there; the one passed through is not. */
	h_send(a, "/rooms\n");
	assert_non_null(line = h_line(a, H_TIMEOUT_MS));
	snprintf(want, sizeof want, "*** %u rooms: lobby (1) k0 (0) k1 (0) ",
	    rooms);
	assert_int_equal(strncmp(line, want, strlen(want)), 0);
	assert_null(strstr(line, "passing"));
	h_close(a);
	h_stop(s);
	return ticks;
}

/*
 * A member's move, in a pass of its own, costs lobbyd about as much with
 * 3000 rooms as with 10, though the room it leaves is emptied and
 * forgotten each time: when every pass walked every room (to seal its
 * log, write, settle and wake its members, and to sweep it), 20,000
 * moves took 789 ticks with 3000 rooms, 41 with 10 (118 with 1000).
 */
static void
test_rooms_empty_moves_cost(void **state)
{
	struct h_server *s = *state;
	long few, many;

	few = empty_moves_ticks(s, 10);
	many = empty_moves_ticks(s, 3000);
	print_message("%d moves, a room emptied by each other one: lobbyd "
	    "used %ld CPU ticks with 10 rooms, %ld with 3000\n",
	    2 * MOVES_PINGS, few, many);
	if (!h_under_valgrind())
		assert_true(many <= 3 * few + 10);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		h_test(test_rooms_join_part),
		h_test(test_rooms_errors),
		h_test(test_rooms_topic),
		h_test(test_rooms_list),
		h_test(test_rooms_isolation),
		h_test(test_rooms_history),
		h_test(test_rooms_unix_member),
		h_test(test_rooms_leave_in_room),
		h_test(test_rooms_landing),
		h_test(test_rooms_max),
		h_test(test_rooms_max_leaving),
		h_test(test_rooms_move_keeps_replay),
		h_test(test_rooms_join_burst_keeps_topics),
		h_test(test_rooms_move_burst_cost),
		h_test(test_rooms_join_burst_cost),
		h_test(test_rooms_empty_moves_cost),
		h_test(test_rooms_bad_options),
		h_test(test_rooms_metrics),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
