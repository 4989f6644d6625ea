/* test_cluster_rooms: every room shared by several lobbyd through a real redis-server. */
/* (The fixture, and how each test runs its own Redis: redis_fixture.h.) */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>

#include "redis_fixture.h"

/* ---------------------------------------------------------------------
 * Moving between rooms
 * ------------------------------------------------------------------- */

static void
test_rooms_across(void **state)
{
	struct cx *x = *state;
	struct h_conn *a, *b, *c;
	char *rooms_a;

	cx_pair(x, NULL);
	cx_members(x, "alice", &a, &b, &c);
	/* The mover, the old room (on both instances), the new room. */
	h_send(a, "/join dev\n");
	h_expect(a, "*** you are now in dev (1 online)");
	h_expect(b, "*** alice went to dev");
	h_expect(c, "*** alice went to dev");
	h_send(b, "/join DEV\n");
	h_expect(b, "*** you are now in dev (2 online)");
	h_expect(a, "*** bob joined");
	h_expect(c, "*** bob went to dev");
	/* Nothing crosses rooms but /msg. */
	h_send(c, "in the lobby\n");
	h_sync(c);
	h_send(a, "in dev\n");
	h_expect(b, "<alice> in dev");
	h_nothing(c);
	h_nothing(a);
	h_send(b, "/who\n");
	h_expect(b, "*** 2 online: alice bob");
	h_send(c, "/who\n");
	h_expect(c, "*** 1 online: carol");
	h_send(c, "/msg ALICE from the lobby\n");
	h_expect(a, "[pm] <carol> from the lobby");
	h_send(a, "/msg carol from dev\n");
	h_expect(c, "[pm] <alice> from dev");
	/* The same list on both instances: order of creation, counts. */
	h_send(a, "/rooms\n");
	h_expect(a, "*** 2 rooms: lobby (1) dev (2)");
	assert_non_null(rooms_a = strdup(a->line));
	h_send(c, "/rooms\n");
	h_expect(c, rooms_a);
	free(rooms_a);
	h_send(a, "/join dev\n");
	h_expect(a, "!!! you are already in dev");
	h_send(a, "/join no!\n");
	h_expect(a, "!!! bad room name: no!");
	/* /part: back to the landing room. */
	h_send(b, "/part\n");
	h_expect(b, "*** you are now in lobby (2 online)");
	expect_history(b, "] <carol> in the lobby", NULL);
	h_expect(a, "*** bob went to lobby");
	h_expect(c, "*** bob joined");
	h_send(b, "/part\n");
	h_expect(b, "!!! you are already in lobby");
	h_send(b, "/who\n");
	h_expect(b, "*** 2 online: carol bob");
	h_send(a, "/quit bye\n");
	assert_true(h_eof(a, H_TIMEOUT_MS));
	until_line(b, "/rooms\n", "*** 2 rooms: lobby (2) dev (0)",
	    H_TIMEOUT_MS);
	/* A leave from a room is seen there only. */
	h_send(b, "/join dev\n");
	h_expect(b, "*** you are now in dev (1 online)");
	h_expect(c, "*** bob went to dev");
	h_send(c, "/rooms\n");
	h_expect(c, "*** 2 rooms: lobby (1) dev (1)");
}

static void
test_topic_and_history(void **state)
{
	struct cx *x = *state;
	struct h_conn *a, *b;

	cx_pair(x, "--history", "2", NULL);
	cx_members(x, "alice", &a, &b, NULL);
	h_send(a, "/join Dev\n");
	h_expect(a, "*** you are now in Dev (1 online)");
	h_send(a, "/topic\n");
	h_expect(a, "*** no topic");
	h_send(a, "one\n");
	h_send(a, "/me two\n");
	h_send(a, "three\n");
	h_send(a, "/topic all about dev\n");
	h_expect(a, "*** alice set the topic: all about dev");
	/* In the lobby: neither the lines nor the topic. */
	h_expect(b, "*** alice went to Dev");
	h_nothing(b);
	/* A joiner on the other instance: topic, then the room's own
	 * history (--history 2 per room), then live. */
	h_send(b, "/join dev\n");
	h_expect(b, "*** you are now in Dev (2 online)");
	h_expect(b, "*** topic: all about dev");
	expect_history(b, "] * alice two", "] <alice> three", NULL);
	h_expect(a, "*** bob joined");
	h_send(b, "/topic\n");
	h_expect(b, "*** topic: all about dev");
	h_send(b, "/topic changed on two\n");
	h_expect(b, "*** bob set the topic: changed on two");
	h_expect(a, "*** bob set the topic: changed on two");
	h_send(a, "/topic\n");
	h_expect(a, "*** topic: changed on two");
	/* The lobby has its own history and topic. */
	h_send(a, "/part\n");
	h_expect(a, "*** you are now in lobby (1 online)");
	h_expect(b, "*** alice went to lobby");
	h_send(a, "/topic\n");
	h_expect(a, "*** no topic");
	h_send(b, "/part\n");
	h_expect(b, "*** you are now in lobby (2 online)");
	h_expect(a, "*** bob joined");
	/* Empty, but with history and a topic: still listed. */
	h_send(a, "/rooms\n");
	h_expect(a, "*** 2 rooms: lobby (2) Dev (0)");
	/* Read again from Redis by an instance that had stopped reading it. */
	h_send(a, "/join dev\n");
	h_expect(a, "*** you are now in Dev (1 online)");
	h_expect(a, "*** topic: changed on two");
	expect_history(a, "] * alice two", "] <alice> three", NULL);
}

static void
test_max_rooms(void **state)
{
	struct cx *x = *state;
	struct h_conn *a, *b;

	cx_pair(x, "--max-rooms", "2", NULL);
	cx_members(x, "alice", &a, &b, NULL);
	/* The landing room and one more, counted cluster-wide. */
	h_send(a, "/join r1\n");
	h_expect(a, "*** you are now in r1 (1 online)");
	h_expect(b, "*** alice went to r1");
	h_send(b, "/join r2\n");
	h_expect(b, "!!! too many rooms");
	h_send(b, "/rooms\n");
	h_expect(b, "*** 2 rooms: lobby (1) r1 (1)");
	h_send(b, "/join r1\n");
	h_expect(b, "*** you are now in r1 (2 online)");
	h_expect(a, "*** bob joined");
	/* An empty room that keeps nothing goes: room for another. */
	h_send(a, "/part\n");
	h_expect(a, "*** you are now in lobby (1 online)");
	h_expect(b, "*** alice went to lobby");
	h_send(b, "/part\n");
	h_expect(b, "*** you are now in lobby (2 online)");
	h_expect(a, "*** bob joined");
	h_send(a, "/rooms\n");
	h_expect(a, "*** 1 room: lobby (2)");
	/* One that keeps history stays listed, and gives way at the limit. */
	h_send(a, "/join r2\n");
	h_expect(a, "*** you are now in r2 (1 online)");
	h_expect(b, "*** alice went to r2");
	h_send(a, "kept\n");
	h_send(a, "/part\n");
	h_expect(a, "*** you are now in lobby (2 online)");
	h_expect(b, "*** alice joined");
	h_send(b, "/rooms\n");
	h_expect(b, "*** 2 rooms: lobby (2) r2 (0)");
	h_send(b, "/join r3\n");
	h_expect(b, "*** you are now in r3 (1 online)");
	h_expect(a, "*** bob went to r3");
	h_send(a, "/rooms\n");
	h_expect(a, "*** 2 rooms: lobby (1) r3 (1)");
}

/*
 * With --history 0 a room keeps no chat lines: emptied, it is forgotten
 * as on one server (a topic still keeps it), not listed with 0 members
 * until it gives way.
 */
static void
test_no_history_rooms(void **state)
{
	struct cx *x = *state;
	struct h_conn *a, *b;

	cx_pair(x, "--history", "0", NULL);
	cx_members(x, "alice", &a, &b, NULL);
	h_send(a, "/join talk\n");
	h_expect(a, "*** you are now in talk (1 online)");
	h_expect(b, "*** alice went to talk");
	h_send(a, "said here\n/me and this\n/part\n");
	h_expect(a, "*** you are now in lobby (2 online)");
	h_expect(b, "*** alice joined");
	h_send(b, "/rooms\n");
	h_expect(b, "*** 1 room: lobby (2)");
	h_send(a, "/join keep\n");
	h_expect(a, "*** you are now in keep (1 online)");
	h_expect(b, "*** alice went to keep");
	h_send(a, "/topic kept\n/part\n");
	h_expect(a, "*** alice set the topic: kept");
	h_expect(a, "*** you are now in lobby (2 online)");
	h_expect(b, "*** alice joined");
	h_send(a, "/rooms\n");
	h_expect(a, "*** 2 rooms: lobby (2) keep (0)");
	/* Made again, it has no history either. */
	h_send(b, "/join talk\n");
	h_expect(b, "*** you are now in talk (1 online)");
	h_expect(a, "*** bob went to talk");
	h_nothing(b);
}

/*
 * A member alone in a room that keeps nothing moves on at the limit
 * (counted in Redis): the room it leaves goes, and is the one that gives
 * way; a room that keeps a topic and history stays, and with every room
 * held the move is not refused.
 */
static void
test_max_rooms_leaving(void **state)
{
	struct cx *x = *state;
	struct h_conn *a, *b, *c;

	cx_pair(x, "--max-rooms", "3", NULL);
	cx_members(x, "alice", &a, &b, NULL);
	h_send(a, "/join keep\n/topic precious\nhistory line\n"
	    "/join pass\n");
	h_expect_skip(a, "*** you are now in pass (1 online)");
	h_send(a, "/join new\n");
	h_expect(a, "*** you are now in new (1 online)");
	h_send(b, "/rooms\n");
	h_expect_skip(b, "*** 3 rooms: lobby (1) keep (0) new (1)");
	/*
	 * Every room held (carol in keep), none empty: new, which goes as
	 * alice leaves it, is what makes room for another.
	 */
	c = cx_join(x, 0, "carol");
	h_send(c, "/join keep\n");
	h_expect(c, "*** you are now in keep (1 online)");
	h_expect(c, "*** topic: precious");
	h_send(a, "/join newer\n");
	h_expect(a, "*** you are now in newer (1 online)");
	h_send(b, "/rooms\n");
	h_expect_skip(b, "*** 3 rooms: lobby (1) keep (1) newer (1)");
}

static void
test_landing_room(void **state)
{
	struct cx *x = *state;
	struct h_conn *a, *b;

	cx_pair(x, "--room", "Hall", NULL);
	cx_members(x, "alice", &a, &b, NULL);
	h_send(a, "/rooms\n");
	h_expect(a, "*** 1 room: Hall (2)");
	h_send(b, "/part\n");
	h_expect(b, "!!! you are already in Hall");
	h_send(b, "/join side\n");
	h_expect(b, "*** you are now in side (1 online)");
	h_expect(a, "*** bob went to side");
	h_send(b, "/join hall\n");
	h_expect(b, "*** you are now in Hall (2 online)");
	h_expect(a, "*** bob joined");
}

/*
 * Moves sent in one write, back into a room left a moment before: Redis
 * forgets the room its last member left, and makes it anew within the
 * same millisecond, while the mover's instance still reads it. Its join
 * entry must still come after every entry the instance applied there, or
 * it waits for it for ever. Twenty rounds, for the timing to come up.
 */
static void
test_moves_pipelined(void **state)
{
	struct cx *x = *state;
	struct h_conn *a, *b, *c;
	char line[96];
	int i;

	cx_pair(x, NULL);
	cx_members(x, "alice", &a, &b, NULL);
	/* Each in a room of its own: neither sees the other move. */
	h_send(a, "/join ha\n");
	h_expect(a, "*** you are now in ha (1 online)");
	h_expect(b, "*** alice went to ha");
	h_send(b, "/join hb\n");
	h_expect(b, "*** you are now in hb (1 online)");
	for (i = 0; i < 20; i++) {
		c = i % 2 == 0 ? a : b;
		snprintf(line, sizeof line, "/join a%d\n/join b%d\n/join c%d\n"
		    "/join b%d\n/who\n", i, i, i, i);
		h_send(c, line);
		snprintf(line, sizeof line, "*** you are now in a%d (1 online)",
		    i);
		h_expect(c, line);
		snprintf(line, sizeof line, "*** you are now in b%d (1 online)",
		    i);
		h_expect(c, line);
		snprintf(line, sizeof line, "*** you are now in c%d (1 online)",
		    i);
		h_expect(c, line);
		snprintf(line, sizeof line, "*** you are now in b%d (1 online)",
		    i);
		h_expect(c, line);
		h_expect(c, c == a ? "*** 1 online: alice" :
		    "*** 1 online: bob");
	}
	/* Both still served: they meet, and what one says reaches the
	 * other. */
	h_send(a, "/join end\n");
	h_expect(a, "*** you are now in end (1 online)");
	h_send(b, "/join end\n");
	h_expect(b, "*** you are now in end (2 online)");
	h_expect(a, "*** bob joined");
	h_send(a, "hello\n");
	h_expect(b, "<alice> hello");
	h_send(b, "/who\n");
	h_expect(b, "*** 2 online: alice bob");
}

/*
 * Answers come in the order of the commands, as from one server, though
 * some are Redis's and others this instance's own: a command answered
 * through Redis holds its member's later lines until the answer is there.
 */
static void
test_answers_in_order(void **state)
{
	struct cx *x = *state;
	struct h_conn *a, *b;
	static const char *const want[] = {
		"*** 2 online: alice bob",
		"*** no topic",
		"*** 1 room: lobby (2)",
		"*** no topic",
		"*** alice is now al",
		"*** no topic",
		"!!! no such user: nobody",
		"*** no topic",
		"*** al set the topic: ours",
		"*** topic: ours",
		"!!! nick bob is taken",
		"*** 2 online: al bob",
	};
	size_t i;

	cx_pair(x, NULL);
	cx_members(x, "alice", &a, &b, NULL);
	h_send(a, "/who\n/topic\n/rooms\n/topic\n/nick al\n/topic\n"
	    "/msg nobody hi\n/topic\n/topic ours\n/topic\n/nick bob\n/who\n");
	for (i = 0; i < sizeof want / sizeof want[0]; i++)
		h_expect(a, want[i]);
	h_expect(b, "*** alice is now al");
	h_expect(b, "*** al set the topic: ours");
	h_nothing(a);
}

/*
 * Lines sent behind a command answered through Redis wait for the answer
 * and are none of them lost, however many: the member is not read while
 * it waits, so what waits is at most one read. 3000 lines of 60 bytes
 * after a /who, in one write (about three times what one read takes),
 * while Redis is stopped.
 */
static void
test_held_behind_answer(void **state)
{
	struct cx *x = *state;
	struct h_conn *a, *b;
	static char burst[6 + 3000 * 61 + 1];
	char want[80];
	size_t at;
	int i;

	/* A stream of 10,000 entries: an instance slowed down (valgrind)
	 * may lag the whole burst without its entries being trimmed. */
	cx_pair(x, "--history", "500", NULL);
	cx_members(x, "alice", &a, &b, NULL);
	at = (size_t)snprintf(burst, sizeof burst, "/who\n");
	for (i = 0; i < 3000; i++)
		at += (size_t)snprintf(burst + at, sizeof burst - at,
		    "line %04d %049d\n", i, 0);
	/* Redis stopped, the answer cannot overtake the reads. */
	assert_int_equal(kill(x->r.pid, SIGSTOP), 0);
	h_send(a, burst);
	assert_null(h_line(a, 300));
	assert_int_equal(kill(x->r.pid, SIGCONT), 0);
	h_expect(a, "*** 2 online: alice bob");
	for (i = 0; i < 3000; i++) {
		snprintf(want, sizeof want, "<alice> line %04d %049d", i, 0);
		h_expect(b, want);
	}
	h_send(a, "/topic\n");
	h_expect(a, "*** no topic");
	h_nothing(a);
}

/* ---------------------------------------------------------------------
 * Nicks across rooms
 * ------------------------------------------------------------------- */

/*
 * No two members of one instance are ever called alike, not even for a
 * moment. alice, in dev, renames to carl; bob, a guest of the same
 * instance in the lobby, asks for alice right behind her. Redis is
 * stopped meanwhile, and takes, once resumed, carol's line first (sent
 * first, from the other instance): that answers the instance's read, so
 * alice's rename and a claim of bob's, run next, come back to it in one
 * read, the lobby's stream before dev's. Had bob's claim gone out, he
 * would be alice there before she was carl. His claim is taken at once,
 * without asking Redis, as long as alice is alice here; and in the
 * instance's log, nobody becomes alice before she is carl.
 */
static void
test_nick_let_go_in_another_room(void **state)
{
	struct cx *x = *state;
	struct h_conn *a, *b, *c;
	char nb[32], want[96], mark[64], *log, *carl, *taken;
	const char *l;

	cx_pair(x, NULL);
	a = cx_join(x, 0, "alice");
	b = cx_keep(x, h_join(&x->s[0], nb));
	c = cx_join(x, 1, "carol");
	h_settle(a, "carol");
	h_settle(b, "carol");
	h_send(a, "/join dev\n");
	h_expect(a, "*** you are now in dev (1 online)");
	h_expect_skip(b, "*** alice went to dev");
	h_expect_skip(c, "*** alice went to dev");
	assert_int_equal(kill(x->r.pid, SIGSTOP), 0);
	h_send(c, "wake up\n");
	h_sleep_ms(SCALED(200));
	h_send(a, "/nick carl\n");
	h_sleep_ms(SCALED(200));
	h_send(b, "/nick alice\n");
	h_sleep_ms(SCALED(200));
	assert_int_equal(kill(x->r.pid, SIGCONT), 0);
	h_expect(a, "*** alice is now carl");
	snprintf(want, sizeof want, "*** %s is now alice", nb);
	snprintf(mark, sizeof mark, " %s is now alice", nb);
	while ((l = h_line(b, H_TIMEOUT_MS)) != NULL &&
	    strcmp(l, "<carol> wake up") == 0)
		;
	if (l != NULL && strcmp(l, want) == 0) {
		/* Granted: applied here before her rename, or after? */
		bool first;

		log = h_log(&x->s[0]);
		carl = log != NULL ? strstr(log, " alice is now carl") : NULL;
		taken = log != NULL ? strstr(log, mark) : NULL;
		first = taken != NULL && carl != NULL && taken < carl;
		free(log);
		fail_msg("%s was given alice here, %s", nb, first ?
		    "while she was alice" : "after she was carl");
	}
	assert_string_equal(l != NULL ? l : "nothing",
	    "!!! nick alice is taken");
	/* She is carl here now: alice is free to take. */
	h_send(b, "/nick alice\n");
	h_expect_skip(b, want);
	h_sync(b);
	log = h_log(&x->s[0]);
	assert_non_null(log);
	carl = strstr(log, " alice is now carl");
	taken = strstr(log, mark);
	assert_non_null(carl);
	assert_non_null(taken);
	assert_true(carl < taken);
	free(log);
}

/* ---------------------------------------------------------------------
 * Reading only the rooms with members here
 * ------------------------------------------------------------------- */

/*
 * Read what MONITOR shows for ms: whether an XREAD naming stream came
 * after the command holding mark, and whether one came before it.
 */
static void
monitor_scan(redisContext *m, const char *stream, const char *mark, int ms,
    bool *before, bool *after)
{
	struct timeval tv = { ms / 1000, (ms % 1000) * 1000 };
	long long end = h_now_ms() + ms;
	bool marked = false;
	redisReply *r;

	/* A read waits at most the whole window: quiet for that long, the
	 * window is over (and the context done with). */
	*before = *after = false;
	assert_int_equal(redisSetTimeout(m, tv), REDIS_OK);
	while (h_now_ms() < end) {
		if (redisGetReply(m, (void **)&r) != REDIS_OK)
			break;
		if (r->type == REDIS_REPLY_STATUS && r->str != NULL) {
			if (strstr(r->str, mark) != NULL)
				marked = true;
			else if (strstr(r->str, "\"XREAD\"") != NULL &&
			    strstr(r->str, stream) != NULL)
				*(marked ? after : before) = true;
		}
		freeReplyObject(r);
	}
	assert_true(marked);
}

static void
test_stops_reading(void **state)
{
	struct cx *x = *state;
	struct h_conn *a, *b;
	redisContext *m;
	redisReply *r;
	bool before, after;

	cx_pair(x, NULL);
	cx_members(x, "alice", &a, &b, NULL);
	assert_non_null(m = rds_ctx(&x->r));
	r = redisCommand(m, "MONITOR");
	assert_non_null(r);
	freeReplyObject(r);
	/* Only bob's instance has a member in dev: it reads dev's stream
	 * while bob is there, and stops when he leaves. */
	h_send(b, "/join dev\n");
	h_expect(b, "*** you are now in dev (1 online)");
	h_expect(a, "*** bob went to dev");
	h_send(b, "said in dev\n");
	h_send(b, "/part\n");
	h_expect(b, "*** you are now in lobby (2 online)");
	h_expect(a, "*** bob joined");
	assert_true(h_log_has(&x->s[1], "redis: no longer reading room dev",
	    H_TIMEOUT_MS));
	/* A new entry in dev's stream: a reader of it would read on. */
	freeReplyObject(rds_cmd(&x->r, "XADD lobby:{lobby}:stream:dev * t c "
	    "m x:1 n ghost x nobody-reads-this"));
	monitor_scan(m, "lobby:{lobby}:stream:dev", "nobody-reads-this",
	    SCALED(1500), &before, &after);
	redisFree(m);
	assert_true(before);
	assert_false(after);
	h_nothing(b);
	h_nothing(a);
	/* Nor did the instance that never had anyone there. */
	assert_false(h_log_has(&x->s[0], "reading room dev", 0));
}

/* Two instances: alice (a) on the first, bob (b) on the second, in foo. */
static void
bob_in_foo(struct cx *x, struct h_conn **a, struct h_conn **b)
{
	cx_pair(x, NULL);
	cx_members(x, "alice", a, b, NULL);
	h_send(*b, "/join foo\n");
	h_expect(*b, "*** you are now in foo (1 online)");
	h_expect(*a, "*** bob went to foo");
}

/*
 * alice (a) follows bob (b) to foo, whose name in Redis is no room name:
 * she is there all the same, under the name she asked for, and the
 * first instance's log says why.
 */
static void
alice_to_foo(struct cx *x, struct h_conn *a, struct h_conn *b)
{
	h_send(a, "/join foo\n");
	h_expect(a, "*** you are now in foo (2 online)");
	h_expect(b, "*** alice joined");
	h_send(a, "in foo\n");
	h_expect(b, "<alice> in foo");
	assert_true(h_log_has(&x->s[0], "not a room name", SCALED(1000)));
}

/*
 * A room's name in Redis that fails the room rule (the names hash written
 * by hand): a member going there from an instance that does not read the
 * room yet goes there all the same, under the name it asked for, rather
 * than staying here while Redis has it there.
 */
static void
test_bad_name_in_redis(void **state)
{
	struct cx *x = *state;
	struct h_conn *a, *b;

	bob_in_foo(x, &a, &b);
	freeReplyObject(rds_cmd(&x->r,
	    "HSET lobby:{lobby}:names foo %s", "bad name!"));
	alice_to_foo(x, a, b);
	h_send(a, "/who\n");
	h_expect(a, "*** 2 online: bob alice");
}

/*
 * A room's name in Redis with a NUL byte inside ("fo\0o"): a C string
 * ends there, the name does not, and "fo" is not its name. /rooms
 * leaves it out, and a member going there goes under the name it asked
 * for, as for any name that fails the room rule.
 */
static void
test_nul_name_in_redis(void **state)
{
	struct cx *x = *state;
	struct h_conn *a, *b;

	bob_in_foo(x, &a, &b);
	freeReplyObject(rds_cmd(&x->r, "HSET lobby:{lobby}:names foo %b",
	    "fo\0o", (size_t)4));
	h_send(a, "/rooms\n");
	h_expect(a, "*** 1 room: lobby (1)");
	assert_true(h_log_has(&x->s[0], "left a room out of /rooms",
	    SCALED(1000)));
	alice_to_foo(x, a, b);
}

/* ---------------------------------------------------------------------
 * Redis back empty, per room (a lost or paused instance, per room:
 * test_liveness.c, which waits out heartbeats)
 * ------------------------------------------------------------------- */

static void
test_redis_back_empty(void **state)
{
	struct cx *x = *state;
	struct h_conn *a, *b, *c;

	cx_pair(x, NULL);
	cx_members(x, "alice", &a, &b, &c);
	cx_to_dev(a, b, c);
	h_send(a, "/topic before the loss\n");
	h_expect(a, "*** alice set the topic: before the loss");
	h_expect(b, "*** alice set the topic: before the loss");
	/* Redis comes back empty: every member is registered again in the
	 * room it is in, silently. */
	rds_kill(&x->r, SIGKILL);
	rds_run(&x->r);
	h_expect_skip_within(a, "*** link to the room restored", RESTORE_MS);
	h_expect_skip_within(b, "*** link to the room restored", RESTORE_MS);
	h_expect_skip_within(c, "*** link to the room restored", RESTORE_MS);
	until_line(c, "/rooms\n", "*** 2 rooms: lobby (1) dev (2)",
	    SCALED(15000));
	/* The topic went with the data, on every instance alike. */
	h_send(a, "/topic\n");
	h_expect(a, "*** no topic");
	h_send(b, "/topic\n");
	h_expect(b, "*** no topic");
	/* In the order they came back in (not guaranteed after a loss). */
	h_send(b, "/who\n");
	assert_non_null(h_line(b, H_TIMEOUT_MS));
	assert_true(strcmp(b->line, "*** 2 online: alice bob") == 0 ||
	    strcmp(b->line, "*** 2 online: bob alice") == 0);
	h_send(a, "back in dev\n");
	h_expect(b, "<alice> back in dev");
	h_nothing(c);
	/* And they move on as before. */
	h_send(b, "/part\n");
	h_expect(b, "*** you are now in lobby (2 online)");
	h_expect(a, "*** bob went to lobby");
	h_expect(c, "*** bob joined");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_rooms_across, cx_setup,
		    cx_teardown),
		cmocka_unit_test_setup_teardown(test_topic_and_history,
		    cx_setup, cx_teardown),
		cmocka_unit_test_setup_teardown(test_max_rooms, cx_setup,
		    cx_teardown),
		cmocka_unit_test_setup_teardown(test_no_history_rooms,
		    cx_setup, cx_teardown),
		cmocka_unit_test_setup_teardown(test_max_rooms_leaving,
		    cx_setup, cx_teardown),
		cmocka_unit_test_setup_teardown(test_landing_room, cx_setup,
		    cx_teardown),
		cmocka_unit_test_setup_teardown(test_moves_pipelined, cx_setup,
		    cx_teardown),
		cmocka_unit_test_setup_teardown(test_answers_in_order, cx_setup,
		    cx_teardown),
		cmocka_unit_test_setup_teardown(
		    test_nick_let_go_in_another_room, cx_setup, cx_teardown),
		cmocka_unit_test_setup_teardown(test_held_behind_answer,
		    cx_setup, cx_teardown),
		cmocka_unit_test_setup_teardown(test_stops_reading, cx_setup,
		    cx_teardown),
		cmocka_unit_test_setup_teardown(test_bad_name_in_redis,
		    cx_setup, cx_teardown),
		cmocka_unit_test_setup_teardown(test_nul_name_in_redis,
		    cx_setup, cx_teardown),
		cmocka_unit_test_setup_teardown(test_redis_back_empty,
		    cx_setup, cx_teardown),
	};

	if (!rds_find()) {
		fprintf(stderr, "redis-server not found: skipped\n");
		return 77;
	}
	return cmocka_run_group_tests(tests, NULL, NULL);
}
