/* test_rooms: the server's rooms without sockets: making, finding, forgetting, limits, and moving members between them. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <errno.h>
#include <sys/uio.h>

#include <cmocka.h>

#include "buf.h"
#include "client.h"
#include "commands.h"
#include "room.h"

#include "cluster_fix.h"	/* cfx_keep_line(), cfx_free_clients() */

#define RF_CLIENTS	32		/* most clients one test makes */
#define RF_SENDQ	(1024 * 1024)	/* the server's default send queue */
#define RF_MAXOUT	32768		/* most output rf_expect() compares */

/* One test's world: the rooms of a server, and its clients. */
struct rf {
	struct rooms	 rs;		/* under test */
	struct client	*c[RF_CLIENTS];	/* clients made, in order */
	size_t		 n;		/* entries used in c */
	struct buf	 log;		/* what the rooms logged, lines */
	size_t		 closed;	/* on_leave calls */
};

/* The rooms' log hook: keep each line. */
static void
rf_log(void *arg, const char *text)
{
	cfx_keep_line(&((struct rf *)arg)->log, text);
}

/* The rooms' leave hook: count. */
static void
rf_left(void *arg, struct client *c)
{
	struct rf *f = arg;

	(void)c;
	f->closed++;
}

/* Rooms of at most max, history kept, sendq per member, landing in
 * "lobby". */
static struct rf *
rf_new_q(size_t max, size_t history, size_t sendq)
{
	struct rf *f = calloc(1, sizeof *f);

	assert_non_null(f);
	rooms_init(&f->rs, sendq, history, max);
	f->rs.log = rf_log;
	f->rs.log_arg = f;
	f->rs.on_leave = rf_left;
	f->rs.hook_arg = f;
	f->rs.seed = 12345;	/* before the first room is hashed */
	assert_non_null(rooms_landing(&f->rs, "lobby"));
	return f;
}

/* rf_new_q() with the server's default send queue. */
static struct rf *
rf_new(size_t max, size_t history)
{
	return rf_new_q(max, history, RF_SENDQ);
}

/* Free every client (their readers first), then the rooms. */
static void
rf_free(struct rf *f)
{
	cfx_free_clients(f->c, f->n);
	rooms_free(&f->rs);
	buf_free(&f->log);
	free(f);
}

/* A new member of the landing room, renamed to nick (unless NULL). */
static struct client *
rf_join(struct rf *f, const char *nick)
{
	struct client *c;

	assert_true(f->n < RF_CLIENTS);
	c = client_new(-1, (unsigned)f->n + 1, "test", 1024);
	assert_non_null(c);
	f->c[f->n++] = c;
	room_join(f->rs.landing, c);
	if (nick != NULL)
		room_rename(c->room, c, nick, strlen(nick));
	return c;
}

/* c's output as a string in out (RF_MAXOUT), consumed. */
static void
rf_take(struct client *c, char *out)
{
	struct rlog *l = &c->room->rlog;
	struct rlog_iter it;
	const char *p;
	size_t n, len = 0;

	rlog_iter_start(&it, l, &c->rd);
	while (rlog_iter_next(&it, &p, &n)) {
		assert_true(len + n < RF_MAXOUT);
		memcpy(out + len, p, n);
		len += n;
	}
	out[len] = '\0';
	(void)rlog_advance(l, &c->rd, len);
	assert_false(rlog_has_output(l, &c->rd));
}

/* Drop everyone's output. */
static void
rf_drain(struct rf *f)
{
	char out[RF_MAXOUT];
	size_t i;

	for (i = 0; i < f->n; i++)
		if (f->c[i]->room != NULL && f->c[i]->rd.id != 0)
			rf_take(f->c[i], out);
}

/* Assert that c's output is want, and consume it. */
#define rf_expect(c, want) do { \
	char got_[RF_MAXOUT]; \
	rf_take((c), got_); \
	assert_string_equal(got_, (want)); \
} while (0)

/* c sends a line, as the connection layer hands it over. */
static void
rf_say(struct client *c, const char *text)
{
	commands_input(c->room, c, text, strlen(text));
}

/* ---------------------------------------------------------------------
 * The registry
 * ------------------------------------------------------------------- */

static void
test_rooms_case(void **state)
{
	struct rf *f = rf_new(10, 50);
	struct room *r, *again;

	(void)state;
	r = rooms_open(&f->rs, "DevOps", 6, NULL);
	assert_non_null(r);
	assert_string_equal(r->name, "DevOps");
	again = rooms_open(&f->rs, "devops", 6, NULL);
	assert_ptr_equal(r, again);
	assert_string_equal(again->name, "DevOps");	/* as first written */
	assert_ptr_equal(rooms_find(&f->rs, "DEVOPS", 6), r);
	assert_null(rooms_find(&f->rs, "devop", 5));
	assert_ptr_equal(rooms_find(&f->rs, "LOBBY", 5), f->rs.landing);
	assert_int_equal(f->rs.count, 2);
	assert_ptr_equal(f->rs.head, f->rs.landing);	/* creation order */
	assert_ptr_equal(f->rs.tail, r);
	rf_free(f);
}

static void
test_rooms_forget(void **state)
{
	struct rf *f = rf_new(10, 50);
	struct client *a;
	struct room *quiet, *chatty, *topical;

	(void)state;
	a = rf_join(f, "alice");
	quiet = rooms_open(&f->rs, "quiet", 5, NULL);
	assert_non_null(quiet);
	room_move(a->room, a, quiet);
	assert_ptr_equal(a->room, quiet);
	/* Held: never forgotten. */
	rooms_sweep(&f->rs);
	assert_non_null(rooms_find(&f->rs, "quiet", 5));
	/* Nobody holds it and it keeps nothing: gone at the sweep. */
	room_move(a->room, a, f->rs.landing);
	assert_true(rooms_listed(&f->rs, f->rs.landing));
	assert_false(rooms_listed(&f->rs, quiet));
	rooms_sweep(&f->rs);
	assert_null(rooms_find(&f->rs, "quiet", 5));
	/* A room that keeps history, or a topic, stays listed. */
	chatty = rooms_open(&f->rs, "chatty", 6, NULL);
	room_move(a->room, a, chatty);
	room_say(chatty, a, ROOM_SAY_CHAT, "hi", 2);
	room_move(a->room, a, f->rs.landing);
	topical = rooms_open(&f->rs, "topical", 7, NULL);
	room_move(a->room, a, topical);
	assert_int_equal(room_set_topic(topical, a, "a topic", 7), 0);
	room_move(a->room, a, f->rs.landing);
	rooms_sweep(&f->rs);
	assert_ptr_equal(rooms_find(&f->rs, "chatty", 6), chatty);
	assert_ptr_equal(rooms_find(&f->rs, "topical", 7), topical);
	assert_true(rooms_listed(&f->rs, chatty));
	assert_true(rooms_listed(&f->rs, topical));
	assert_int_equal(chatty->count, 0);
	/* The landing room is never forgotten, empty or not. */
	room_move(a->room, a, chatty);
	rooms_sweep(&f->rs);
	assert_ptr_equal(rooms_find(&f->rs, "lobby", 5), f->rs.landing);
	rf_free(f);
}

static void
test_rooms_limit(void **state)
{
	struct rf *f = rf_new(3, 50);
	struct client *a, *b;
	struct room *one, *two;

	(void)state;
	a = rf_join(f, "alice");
	b = rf_join(f, "bob");
	one = rooms_open(&f->rs, "one", 3, NULL);
	two = rooms_open(&f->rs, "two", 3, NULL);
	assert_non_null(one);
	assert_non_null(two);
	room_move(a->room, a, one);
	room_move(b->room, b, two);
	/* Three rooms, each held: no fourth. */
	errno = 0;
	assert_null(rooms_open(&f->rs, "three", 5, NULL));
	assert_int_equal(errno, EMFILE);
	/* An existing one is still found at the limit. */
	assert_ptr_equal(rooms_open(&f->rs, "ONE", 3, NULL), one);
	/* one keeps history but nobody holds it: it gives way. */
	room_say(one, a, ROOM_SAY_CHAT, "hi", 2);
	room_move(a->room, a, f->rs.landing);
	rooms_sweep(&f->rs);
	assert_ptr_equal(rooms_find(&f->rs, "one", 3), one);
	assert_non_null(rooms_open(&f->rs, "three", 5, NULL));
	assert_null(rooms_find(&f->rs, "one", 3));
	assert_int_equal(f->rs.count, 3);
	rf_free(f);
}

static void
test_rooms_evict_oldest(void **state)
{
	struct rf *f = rf_new(4, 50);
	struct client *a;
	struct room *x, *y, *z;

	(void)state;
	a = rf_join(f, "alice");
	x = rooms_open(&f->rs, "x", 1, NULL);
	y = rooms_open(&f->rs, "y", 1, NULL);
	/* y is emptied first, then x: y has been empty the longest. */
	room_move(a->room, a, y);
	room_say(y, a, ROOM_SAY_CHAT, "in y", 4);
	room_move(a->room, a, x);
	room_say(x, a, ROOM_SAY_CHAT, "in x", 4);
	room_move(a->room, a, f->rs.landing);
	z = rooms_open(&f->rs, "z", 1, NULL);
	assert_non_null(z);
	assert_int_equal(f->rs.count, 4);
	/* Held (a room keeping nothing would give way first). */
	room_move(a->room, a, z);
	assert_non_null(rooms_open(&f->rs, "w", 1, NULL));
	assert_null(rooms_find(&f->rs, "y", 1));
	assert_ptr_equal(rooms_find(&f->rs, "x", 1), x);
	rf_free(f);
}

static void
test_rooms_top(void **state)
{
	struct rf *f = rf_new(10, 0);
	const struct room *top[3];
	struct room *a, *b, *c;
	struct client *m[6];
	size_t i;

	(void)state;
	for (i = 0; i < 6; i++)
		m[i] = rf_join(f, NULL);
	a = rooms_open(&f->rs, "a", 1, NULL);
	b = rooms_open(&f->rs, "b", 1, NULL);
	c = rooms_open(&f->rs, "c", 1, NULL);
	(void)rooms_open(&f->rs, "d", 1, NULL);
	/* lobby 1, a 1, b 3, c 1, d 0. */
	room_move(m[0]->room, m[0], a);
	room_move(m[1]->room, m[1], b);
	room_move(m[2]->room, m[2], b);
	room_move(m[3]->room, m[3], b);
	room_move(m[4]->room, m[4], c);
	assert_int_equal(rooms_members(&f->rs), 6);
	assert_int_equal(rooms_top(&f->rs, top, 3), 3);
	assert_ptr_equal(top[0], b);
	/* Among equals, the older first. */
	assert_ptr_equal(top[1], f->rs.landing);
	assert_ptr_equal(top[2], a);
	assert_int_equal(rooms_top(&f->rs, top, 0), 0);
	rf_free(f);
}

/* ---------------------------------------------------------------------
 * Moving, through the commands
 * ------------------------------------------------------------------- */

static void
test_rooms_join_notices(void **state)
{
	struct rf *f = rf_new(10, 50);
	struct client *a, *b, *c;

	(void)state;
	a = rf_join(f, "alice");
	b = rf_join(f, "bob");
	c = rf_join(f, "carol");
	rf_drain(f);
	rf_say(a, "/join Dev");
	rf_expect(a, "*** you are now in Dev (1 online)\n");
	rf_expect(b, "*** alice went to Dev\n");
	rf_expect(c, "*** alice went to Dev\n");
	rf_say(a, "/topic build talk");
	rf_expect(a, "*** alice set the topic: build talk\n");
	rf_say(a, "in dev");
	rf_say(b, "/JOIN dev");
	/* As first written; the topic; the room's history. */
	rf_expect(b, "*** you are now in Dev (2 online)\n"
	    "*** topic: build talk\n"
	    "*** last 1 message:\n"
	    "[00:00] <alice> in dev\n"
	    "*** end of history\n");
	rf_expect(a, "*** bob joined\n");
	rf_expect(c, "*** bob went to Dev\n");
	rf_say(b, "/join dev");
	rf_expect(b, "!!! you are already in Dev\n");
	rf_say(b, "/join no/such");
	rf_expect(b, "!!! bad room name: no/such\n");
	rf_say(b, "/join a b");
	rf_expect(b, "!!! usage: /join NAME\n");
	rf_say(b, "/join");
	rf_expect(b, "!!! usage: /join NAME\n");
	rf_say(b, "/join 123456789012345678901234567890123");
	rf_expect(b, "!!! bad room name: "
	    "123456789012345678901234567890123\n");
	rf_say(b, "/part");
	rf_expect(b, "*** you are now in lobby (2 online)\n");
	rf_expect(a, "*** bob went to lobby\n");
	rf_expect(c, "*** bob joined\n");
	rf_say(b, "/part");
	rf_expect(b, "!!! you are already in lobby\n");
	rf_free(f);
}

/* The guest number c was given. */
static size_t
rf_guest(const struct client *c)
{
	return proto_guest_number(c->nick, SIZE_MAX);
}

static void
test_rooms_guest_numbers(void **state)
{
	struct rf *f = rf_new(10, 0);
	struct client *c[RF_CLIENTS];
	size_t i;

	(void)state;
	/* Joiners take the numbers in order. */
	for (i = 0; i < RF_CLIENTS - 2; i++) {
		c[i] = rf_join(f, NULL);
		assert_int_equal(rf_guest(c[i]), i + 1);
	}
	/* A number freed by a leave, by a rename, in another room. */
	rf_say(c[4], "/join dev");
	rf_say(c[4], "/quit");
	room_rename(c[1]->room, c[1], "bob", 3);
	rf_say(c[7], "/join dev");
	rf_say(c[2], "/nick guest99");
	c[RF_CLIENTS - 2] = rf_join(f, NULL);
	assert_int_equal(rf_guest(c[RF_CLIENTS - 2]), 2);
	c[RF_CLIENTS - 1] = rf_join(f, NULL);
	assert_int_equal(rf_guest(c[RF_CLIENTS - 1]), 3);
	/* A member renamed to the next one takes it: it is not given out. */
	room_rename(c[3]->room, c[3], "guest5", 6);
	room_rename(c[RF_CLIENTS - 1]->room, c[RF_CLIENTS - 1], "carol", 5);
	assert_int_equal(room_free_guest(f->rs.landing), 3);
	rf_say(c[RF_CLIENTS - 1], "/nick guest3");
	assert_int_equal(room_free_guest(f->rs.landing), 4);
	assert_int_equal(room_free_guest(f->rs.landing), 4);
	rf_free(f);
}

static void
test_rooms_isolation(void **state)
{
	struct rf *f = rf_new(10, 50);
	struct client *a, *b, *c;

	(void)state;
	a = rf_join(f, "alice");
	b = rf_join(f, "bob");
	c = rf_join(f, "carol");
	rf_say(a, "/join dev");
	rf_drain(f);
	rf_say(a, "only dev");
	rf_say(b, "only lobby");
	rf_say(a, "/me waves");
	rf_expect(a, "");
	rf_expect(b, "");
	rf_expect(c, "<bob> only lobby\n");
	/* /who is the current room only. */
	rf_say(a, "/who");
	rf_expect(a, "*** 1 online: alice\n");
	rf_say(c, "/who");
	rf_expect(c, "*** 2 online: bob carol\n");
	/* /msg crosses rooms, both ways. */
	rf_say(c, "/msg ALICE psst");
	rf_expect(a, "[pm] <carol> psst\n");
	rf_say(a, "/msg carol back");
	rf_expect(c, "[pm] <alice> back\n");
	rf_expect(b, "");
	/* Nicks are unique across rooms, and guests are numbered so. */
	rf_say(c, "/nick Alice");
	rf_expect(c, "!!! nick Alice is taken\n");
	rf_say(a, "/nick guest1");
	rf_expect(a, "*** alice is now guest1\n");
	(void)rf_join(f, NULL);
	rf_say(f->c[3], "/who");
	rf_expect(f->c[3], "*** welcome to lobby, you are guest2 (3 online; "
	    "/help for commands)\n*** last 1 message:\n"
	    "[00:00] <bob> only lobby\n*** end of history\n"
	    "*** 3 online: bob carol guest2\n");
	rf_free(f);
}

static void
test_rooms_list_and_topic(void **state)
{
	struct rf *f = rf_new(3, 50);
	struct client *a, *b;
	char big[PROTO_TOPIC_MAX + 16], out[RF_MAXOUT];

	(void)state;
	a = rf_join(f, "alice");
	b = rf_join(f, "bob");
	rf_drain(f);
	rf_say(a, "/rooms");
	rf_expect(a, "*** 1 room: lobby (2)\n");
	rf_say(a, "/join Dev");
	rf_say(b, "/join ops");
	rf_drain(f);
	rf_say(a, "/rooms");
	rf_expect(a, "*** 3 rooms: lobby (0) Dev (1) ops (1)\n");
	rf_say(a, "/topic");
	rf_expect(a, "*** no topic\n");
	memset(big, 'x', sizeof big);
	memcpy(big, "/topic ", 7);
	big[7 + PROTO_TOPIC_MAX + 1] = '\0';
	rf_say(a, big);
	rf_expect(a, "!!! topic too long (max 300 bytes)\n");
	big[7 + PROTO_TOPIC_MAX] = '\0';
	rf_say(a, big);
	rf_take(a, out);
	assert_int_equal(strlen(out), 25 + PROTO_TOPIC_MAX + 1);
	assert_int_equal(strncmp(out, "*** alice set the topic: xxx", 28), 0);
	rf_say(a, "/topic  two  words ");
	rf_expect(a, "*** alice set the topic: two  words \n");
	rf_say(a, "/topic");
	rf_expect(a, "*** topic: two  words \n");
	rf_expect(b, "");
	/* Every room held, Dev to keep its topic: no fourth. */
	rf_say(a, "/join more");
	rf_expect(a, "!!! too many rooms\n");
	/* ops empties and keeps nothing: forgotten; Dev keeps a topic. */
	rf_say(b, "/part");
	rooms_sweep(&f->rs);
	rf_say(a, "/part");
	rooms_sweep(&f->rs);
	rf_drain(f);
	rf_say(a, "/rooms");
	rf_expect(a, "*** 2 rooms: lobby (2) Dev (0)\n");
	rf_free(f);
}

static void
test_rooms_backlog_moves(void **state)
{
	struct rf *f = rf_new(10, 0);
	struct client *a, *b;

	(void)state;
	a = rf_join(f, "alice");
	b = rf_join(f, "bob");
	rf_drain(f);
	/* a has lines of the lobby not yet written when it moves. */
	rf_say(b, "one");
	room_sendf(a->room, a, "*** private");
	rf_say(b, "two");
	rf_say(a, "/join dev");
	rf_say(b, "three");	/* after a left: not a's */
	rf_expect(a, "<bob> one\n*** private\n<bob> two\n"
	    "*** you are now in dev (1 online)\n");
	rf_expect(b, "*** alice went to dev\n");
	rf_free(f);
}

/*
 * Rooms a member passes through that keep nothing give way before a room
 * that keeps a topic, even before they are swept.
 */
static void
test_rooms_evict_passed_through(void **state)
{
	struct rf *f = rf_new(6, 50);
	struct client *a, *b;
	char cmd[32];
	int i;

	(void)state;
	a = rf_join(f, "alice");
	b = rf_join(f, "bob");
	for (i = 0; i < 3; i++) {
		snprintf(cmd, sizeof cmd, "/join keep%d", i);
		rf_say(a, cmd);
		rf_say(a, "/topic kept");
	}
	rf_say(a, "/part");
	rooms_sweep(&f->rs);
	assert_int_equal(f->rs.count, 4);
	/* One pass: no sweep between the joins. */
	for (i = 0; i < 20; i++) {
		snprintf(cmd, sizeof cmd, "/join y%d", i);
		rf_say(b, cmd);
		assert_true(f->rs.count <= 6);
	}
	assert_string_equal(b->room->name, "y19");
	for (i = 0; i < 3; i++) {
		snprintf(cmd, sizeof cmd, "keep%d", i);
		assert_non_null(rooms_find(&f->rs, cmd, strlen(cmd)));
		assert_string_equal(rooms_find(&f->rs, cmd,
		    strlen(cmd))->topic, "kept");
	}
	rooms_sweep(&f->rs);
	assert_int_equal(f->rs.count, 5);	/* lobby, keep0-2, y19 */
	rf_free(f);
}

/*
 * A member alone in a room that keeps nothing leaves it for a new room
 * at the limit: the room it leaves goes, and it is the one that gives
 * way; a room that keeps a topic and history stays.
 */
static void
test_rooms_evict_leaving(void **state)
{
	struct rf *f = rf_new(3, 50);
	struct client *a;
	struct room *keep;

	(void)state;
	a = rf_join(f, "alice");
	rf_say(a, "/join keep");
	rf_say(a, "/topic precious");
	rf_say(a, "history line");
	keep = a->room;
	rf_say(a, "/join pass");
	rooms_sweep(&f->rs);
	assert_int_equal(f->rs.count, 3);
	rf_drain(f);
	rf_say(a, "/join new");
	rf_expect(a, "*** you are now in new (1 online)\n");
	assert_ptr_equal(rooms_find(&f->rs, "keep", 4), keep);
	assert_string_equal(keep->topic, "precious");
	assert_int_equal(rlog_history_count(&keep->rlog), 1);
	/* Past the limit by one, until the sweep forgets pass. */
	rooms_sweep(&f->rs);
	assert_null(rooms_find(&f->rs, "pass", 4));
	assert_int_equal(f->rs.count, 3);
	rf_say(a, "/rooms");
	rf_expect(a, "*** 3 rooms: lobby (0) keep (0) new (1)\n");
	rf_free(f);
}

/*
 * At the limit with every other room held, a lone member of a room that
 * keeps nothing still moves to a new room: only two rooms are left.
 * One that keeps history, or that another member holds, does not give
 * way for it, and the member stays where it was.
 */
static void
test_rooms_evict_leaving_alone(void **state)
{
	struct rf *f = rf_new(2, 50);
	struct client *a, *b;
	struct room *ra;

	(void)state;
	a = rf_join(f, "alice");
	b = rf_join(f, "bob");
	rf_say(a, "/join ra");
	ra = a->room;
	rf_drain(f);
	/* bob is in ra too: ra stays after the move, no room for rb. */
	rf_say(b, "/join ra");
	rf_drain(f);
	errno = 0;
	assert_null(rooms_open(&f->rs, "rb", 2, ra));
	assert_int_equal(errno, EMFILE);
	rf_say(a, "/join rb");
	rf_expect(a, "!!! too many rooms\n");
	assert_ptr_equal(a->room, ra);
	rf_say(b, "/part");
	rf_drain(f);
	/* ra keeps a line: it is not to go, nor is it forgotten for rb. */
	rf_say(a, "kept");
	rf_drain(f);
	rf_say(a, "/join rb");
	rf_expect(a, "!!! too many rooms\n");
	assert_ptr_equal(a->room, ra);
	assert_int_equal(rlog_history_count(&ra->rlog), 1);
	assert_int_equal(f->rs.count, 2);
	rf_free(f);
	/* Alone in a room that keeps nothing: it gives way to rb. */
	f = rf_new(2, 50);
	a = rf_join(f, "alice");
	rf_say(a, "/join ra");
	rf_drain(f);
	rf_say(a, "/join rb");
	rf_expect(a, "*** you are now in rb (1 online)\n");
	rooms_sweep(&f->rs);
	assert_null(rooms_find(&f->rs, "ra", 2));
	assert_int_equal(f->rs.count, 2);
	rf_free(f);
	/* The landing room is never the one that goes. */
	f = rf_new(1, 50);
	a = rf_join(f, "alice");
	rf_drain(f);
	rf_say(a, "/join rc");
	rf_expect(a, "!!! too many rooms\n");
	assert_ptr_equal(a->room, f->rs.landing);
	rf_free(f);
}

/*
 * Two moves in one pass at the limit: alice, alone in ra, passes
 * through to rb (ra goes after the move), and bob, from the landing
 * room, asks for rc before the sweep. ra may give way only once: bob
 * is refused, and the rooms stay within the limit after the sweep.
 */
static void
test_rooms_evict_leaving_once(void **state)
{
	struct rf *f = rf_new(3, 50);
	struct client *a, *b, *c;

	(void)state;
	a = rf_join(f, "alice");
	b = rf_join(f, "bob");
	c = rf_join(f, "carol");
	rf_say(a, "/join ra");
	rf_say(c, "/join rx");
	rooms_sweep(&f->rs);
	assert_int_equal(f->rs.count, 3);
	rf_drain(f);
	/* One pass: no sweep between the joins. */
	rf_say(a, "/join rb");
	rf_expect(a, "*** you are now in rb (1 online)\n");
	rf_say(b, "/join rc");
	rf_expect(b, "!!! too many rooms\n");
	assert_ptr_equal(b->room, f->rs.landing);
	rooms_sweep(&f->rs);
	assert_int_equal(f->rs.count, 3);
	/* Within the limit, carol alone in rx still passes through. */
	rf_say(c, "/join rd");
	rf_expect(c, "*** you are now in rd (1 online)\n");
	rooms_sweep(&f->rs);
	assert_int_equal(f->rs.count, 3);
	rf_free(f);
}

/* alice fills room name with k chat lines "NNN hhh...", 100 h each. */
static void
rf_fill(struct rf *f, struct client *a, const char *name, int k)
{
	char line[128];
	int i;

	snprintf(line, sizeof line, "/join %s", name);
	rf_say(a, line);
	memset(line, 'h', sizeof line);
	line[104] = '\0';
	for (i = 0; i < k; i++) {
		snprintf(line, 5, "%03d", i);
		line[3] = ' ';
		rf_say(a, line);
	}
	rf_say(a, "/part");
	rf_drain(f);
}

/* The history replay a member moves with is never counted as backlog. */
static void
test_rooms_replay_moves_uncounted(void **state)
{
	struct rf *f = rf_new_q(10, 40, 4096);
	struct client *a, *b;
	struct room *r;
	char out[RF_MAXOUT];
	const char *p;
	size_t lf = 0;

	(void)state;
	a = rf_join(f, "alice");
	b = rf_join(f, "bob");
	/* 40 lines of 105 bytes: a replay of over 4 KB, past the sendq. */
	rf_fill(f, a, "big", 40);
	rf_say(b, "/join big");
	rf_say(b, "/join small");
	for (r = f->rs.head; r != NULL; r = r->rnext)
		room_settle(r);
	assert_int_equal(f->closed, 0);
	assert_int_equal(b->flags & (CLIENT_JOINED | CLIENT_SLOW),
	    CLIENT_JOINED);
	assert_true(b->rd.carried > 4096);
	assert_true(rlog_backlog(&b->room->rlog, &b->rd) < 4096);
	rf_take(b, out);
	for (p = out; (p = strchr(p, '\n')) != NULL; p++)
		lf++;
	assert_int_equal(lf, 40 + 4);
	p = "*** you are now in big (1 online)\n*** last 40 messages:\n"
	    "[00:00] <alice> 000 hhh";
	assert_int_equal(strncmp(out, p, strlen(p)), 0);
	p = strstr(out, "[00:00] <alice> 039 ");
	assert_non_null(p);
	assert_string_equal(p + 20 + 100, "\n*** end of history\n"
	    "*** you are now in small (1 online)\n");
	assert_int_equal(b->rd.carried, 0);
	rf_free(f);
}

/*
 * A member moving on and on without reading carries at most one
 * history's worth of replays uncounted: past that they are backlog, and
 * it goes as too slow.
 */
static void
test_rooms_replay_carry_bounded(void **state)
{
	struct rf *f = rf_new_q(10, 40, 4096);
	struct client *a, *b;
	struct room *r;
	size_t one;

	(void)state;
	a = rf_join(f, "alice");
	b = rf_join(f, "bob");
	rf_fill(f, a, "one", 40);
	rf_fill(f, a, "two", 40);
	rf_say(b, "/join one");
	rf_say(b, "/join two");
	for (r = f->rs.head; r != NULL; r = r->rnext)
		room_settle(r);
	assert_int_equal(f->closed, 0);
	/* One's replay: 40 lines of "[00:00] <alice> " and 105 bytes. */
	one = b->rd.carried;
	assert_int_equal(one, 40 * (16 + 105));
	/* Two's replay on top would be a second history: it counts. */
	rf_say(b, "/join one");
	assert_true(b->rd.carried <= one);
	for (r = f->rs.head; r != NULL; r = r->rnext)
		room_settle(r);
	assert_int_equal(f->closed, 1);
	assert_string_equal(b->reason, "too slow");
	rf_free(f);
}

/* The member called nick, found the slow way: walking every room. */
static struct client *
rf_walk(struct rf *f, const char *nick)
{
	const struct room *r;
	struct client *c;

	for (r = f->rs.head; r != NULL; r = r->rnext)
		for (c = r->head; c != NULL; c = c->next)
			if (strcasecmp(c->nick, nick) == 0)
				return c;
	return NULL;
}

/*
 * A member is found by its nick in one look, in any room and any case,
 * through joins, moves, renames (a case change too) and leaves: the
 * index answers what walking the rooms would, past the index's growth.
 */
static void
test_rooms_nick_index(void **state)
{
	static const char *const asks[] = { "guest1", "GUEST7", "n3", "N30",
	    "m3", "Guest31", "x", "nobody", "guest", "n31", "M7" };
	struct rf *f = rf_new(10, 0);
	struct client *c;
	char nick[32];
	size_t i, k;

	(void)state;
	for (i = 0; i < RF_CLIENTS; i++)
		(void)rf_join(f, NULL);
	for (i = 0; i < RF_CLIENTS; i += 3) {
		snprintf(nick, sizeof nick, "/join room%zu", i % 4);
		rf_say(f->c[i], nick);
		snprintf(nick, sizeof nick, "/nick n%zu", i);
		rf_say(f->c[i], nick);
	}
	for (i = 1; i < RF_CLIENTS; i += 5) {
		snprintf(nick, sizeof nick, "/nick M%zu", i);
		rf_say(f->c[i], nick);
		snprintf(nick, sizeof nick, "/nick m%zu", i);	/* case only */
		rf_say(f->c[i], nick);
	}
	rf_say(f->c[30], "/quit");
	rf_say(f->c[7], "/part");
	rf_say(f->c[4], "/join room1");
	room_set_nick(f->c[31]->room, f->c[31], "Guest31", 7);
	rf_drain(f);
	for (k = 0; k < 2; k++) {
		for (i = 0; i < sizeof asks / sizeof asks[0]; i++)
			assert_ptr_equal(room_find_any(f->rs.landing, asks[i],
			    strlen(asks[i])), rf_walk(f, asks[i]));
		for (i = 0; i < RF_CLIENTS; i++) {
			c = f->c[i];
			/* A leaver is not found; its nick may be another's. */
			assert_ptr_equal(room_find_any(f->rs.landing, c->nick,
			    strlen(c->nick)), (c->flags & CLIENT_JOINED) ? c :
			    rf_walk(f, c->nick));
			assert_true((c->flags & CLIENT_JOINED) ||
			    rf_walk(f, c->nick) != c);
		}
		if (k == 1)
			break;
		/* A leaver's nick is free, a renamed member's old one too. */
		rf_say(f->c[2], "/nick n3");
		rf_expect(f->c[2], "!!! nick n3 is taken\n");
		rf_say(f->c[2], "/nick N30");
		rf_drain(f);
		rf_say(f->c[5], "/msg n30 hi");
		rf_expect(f->c[2], "[pm] <guest6> hi\n");
		rf_say(f->c[5], "/msg guest3 hi");
		rf_expect(f->c[5], "!!! no such user: guest3\n");
		rf_say(f->c[5], "/msg guest31 hi");
		rf_expect(f->c[31], "[pm] <guest6> hi\n");
	}
	rf_free(f);
}

static void
test_rooms_leave_closing(void **state)
{
	struct rf *f = rf_new(10, 0);
	struct client *a, *b;
	struct room *dev;

	(void)state;
	a = rf_join(f, "alice");
	b = rf_join(f, "bob");
	rf_say(a, "/join dev");
	rf_say(b, "/join dev");
	dev = a->room;
	rf_drain(f);
	rf_say(a, "/quit bye");
	rf_expect(b, "*** alice left (bye)\n");
	assert_int_equal(f->closed, 1);
	/* a still holds dev until its connection is done. */
	rf_say(b, "/part");
	rooms_sweep(&f->rs);
	assert_ptr_equal(rooms_find(&f->rs, "dev", 3), dev);
	room_forget(a->room, a);
	room_release(a);
	rooms_sweep(&f->rs);
	assert_null(rooms_find(&f->rs, "dev", 3));
	rf_free(f);
}

/* ---------------------------------------------------------------------
 * Which room gives way at the limit, and what a /join costs
 * ------------------------------------------------------------------- */

#define RF_GONE		4	/* most rooms one /join makes give way */

/* A test's random numbers (xorshift64), from a seed not 0. */
static uint64_t
rf_rand(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

/* Whether leaving goes once its member has moved: only the member holds
 * it and it keeps nothing (room.h). */
static bool
rf_passing(const struct rooms *rs, const struct room *leaving)
{
	return leaving != NULL && leaving != rs->landing &&
	    leaving->refs == 1 && leaving->count == 1 && !leaving->reading &&
	    leaving->waiting == 0 && leaving->topic == NULL &&
	    rlog_history_count(&leaving->rlog) == 0;
}

/*
 * The rooms a member of leaving going to a new room makes give way, in
 * order, by the rule room.h states, found by walking every room: until
 * there is room for one more, the first made of the rooms nobody holds,
 * reads or waits for that keeps nothing; else, when the limit is just
 * reached and leaving is to go after the move, none; else the one of
 * them empty the longest. Their names go to out. Returns how many.
 */
static size_t
rf_rule(const struct rooms *rs, const struct room *leaving,
    char out[RF_GONE][PROTO_ROOM_MAX + 1])
{
	const struct room *gone[RF_GONE], *r, *pick;
	size_t count = rs->count, unheld = rs->unheld, n = 0, i;

	while (count >= rs->max) {
		pick = NULL;
		for (r = rs->head; r != NULL && unheld > 0; r = r->rnext) {
			for (i = 0; i < n && gone[i] != r; i++)
				;
			if (i < n || r == rs->landing || r->refs > 0 ||
			    r->reading || r->waiting > 0)
				continue;
			if (!rooms_listed(rs, r)) {
				pick = r;
				break;
			}
			if (pick == NULL || r->emptied < pick->emptied)
				pick = r;
		}
		if ((pick == NULL || rooms_listed(rs, pick)) &&
		    count == rs->max && rf_passing(rs, leaving))
			break;
		if (pick == NULL)
			break;
		assert_true(n < RF_GONE);
		gone[n] = pick;
		strcpy(out[n++], pick->name);
		count--;
		unheld--;
	}
	return n;
}

/* Assert that the rooms logged as forgotten since the log was cleared
 * are the n named in want, in that order; clear the log. */
static void
rf_forgotten(struct rf *f, char want[RF_GONE][PROTO_ROOM_MAX + 1],
    size_t n)
{
	const char *p = buf_peek(&f->log), *end = p + buf_used(&f->log);
	const char *lf;
	char line[256];
	size_t k = 0;

	for (; p < end; p = lf + 1) {
		lf = memchr(p, '\n', (size_t)(end - p));
		assert_non_null(lf);
		if ((size_t)(lf - p) >= sizeof line)
			continue;
		memcpy(line, p, (size_t)(lf - p));
		line[lf - p] = '\0';
		if (strncmp(line, "room ", 5) != 0 ||
		    strstr(line, " forgotten") == NULL)
			continue;
		assert_true(k < n);
		assert_int_equal(strlen(line), 5 + strlen(want[k]) + 10);
		assert_memory_equal(line + 5, want[k], strlen(want[k]));
		k++;
	}
	assert_int_equal(k, n);
	buf_clear(&f->log);
}

/*
 * The rooms the next sweep forgets (list ROOMS_IDLE) are every room nobody
 * holds, reads or waits for that keeps nothing, or, shared, whatever it
 * keeps; and they alone, each a room still there, in the order of a
 * list whose links agree.
 */
static void
rf_check_idle(const struct rooms *rs)
{
	const struct room *r;
	bool idle;

	for (r = rs->head; r != NULL; r = r->rnext) {
		idle = r != rs->landing && r->refs == 0 && !r->reading &&
		    r->waiting == 0 && (rs->shared || (r->topic == NULL &&
		    rlog_history_count(&r->rlog) == 0));
		assert_int_equal(r->on[ROOMS_IDLE].on, idle);
	}
	assert_true(rooms_list_sound(rs, ROOMS_IDLE));
}

/*
 * The rooms each pass visits (list ROOMS_BUSY) are every room in use (the
 * landing room, one held, read or waited for), and, unless just swept,
 * those that stopped being so; each a room still there, in a list whose
 * links agree.
 */
static void
rf_check_busy(const struct rooms *rs, bool swept)
{
	const struct room *r;
	bool used, on;

	for (r = rs->head; r != NULL; r = r->rnext) {
		used = r == rs->landing || r->refs > 0 || r->reading ||
		    r->waiting > 0;
		on = r->on[ROOMS_BUSY].on;
		assert_true(on == used || (!swept && on));
	}
	assert_true(rooms_list_sound(rs, ROOMS_BUSY));
}

/*
 * Members wander between rooms at the limit, chat, set topics; rooms are
 * read and waited for (as a shared backend has them) and swept: each
 * /join makes give way the rooms the rule names, in its order, whatever
 * came before; every room is found by its name in any case; the rooms
 * the next sweep forgets are those that are to go; and each pass visits
 * the rooms in use.
 */
static void
test_rooms_evict_rule(void **state)
{
	static const struct {
		size_t		 max;		/* --max-rooms */
		size_t		 history;	/* --history */
		bool		 shared;	/* as with Redis */
		unsigned	 names;		/* rooms joined: r0 to rN-1 */
	} runs[] = {
		{ 6, 50, false, 14 }, { 6, 0, false, 12 }, { 5, 50, true, 12 },
		{ 9, 3, false, 30 }, { 3, 50, false, 6 }, { 12, 50, false, 40 },
	};
	char want[RF_GONE][PROTO_ROOM_MAX + 1], cmd[16], upper[64];
	size_t k, k2, i, n, step, gone = 0, kept = 0, turned = 0;
	struct client *c;
	struct room *r;
	struct rf *f;
	uint64_t rng;

	(void)state;
	for (k = 0; k < sizeof runs / sizeof runs[0]; k++) {
		f = rf_new(runs[k].max, runs[k].history);
		f->rs.shared = runs[k].shared;
		rng = (k + 1) * UINT64_C(0x9e3779b97f4a7c15);
		for (i = 0; i < 10; i++)
			(void)rf_join(f, NULL);
		for (step = 0; step < 10000; step++) {
			c = f->c[rf_rand(&rng) % f->n];
			switch (rf_rand(&rng) % 12) {
			case 0: case 1: case 2: case 3: case 4:
				snprintf(cmd, sizeof cmd, "r%u", (unsigned)
				    (rf_rand(&rng) % runs[k].names));
				n = rooms_find(&f->rs, cmd, strlen(cmd)) !=
				    NULL ? 0 : rf_rule(&f->rs, c->room, want);
				gone += n;
				for (i = 0; i < n; i++)
					kept += rooms_find(&f->rs, want[i],
					    strlen(want[i]))->topic != NULL;
				buf_clear(&f->log);
				snprintf(upper, sizeof upper, "/join %c%s",
				    rf_rand(&rng) % 2 ? 'R' : 'r', cmd + 1);
				rf_say(c, upper);
				rf_forgotten(f, want, n);
				break;
			case 5: case 6:
				rf_say(c, "/part");
				break;
			case 7:
				rf_say(c, "a line");
				break;
			case 8:
				rf_say(c, "/topic a topic");
				break;
			case 9:
				/* As a shared backend does to any room: it is
				 * read or waited for, or no longer; its topic
				 * or history comes, or goes. */
				n = rf_rand(&rng) % f->rs.count;
				for (r = f->rs.head; n > 0; n--)
					r = r->rnext;
				k2 = rf_rand(&rng) % 5;
				/* Topics and history often come to, or go from,
				 * a room that may give way. */
				if (k2 >= 2 && f->rs.nevict > 0 &&
				    rf_rand(&rng) % 2)
					r = f->rs.evict[rf_rand(&rng) %
					    f->rs.nevict];
				turned++;
				switch (k2) {
				case 0:
					r->reading = !r->reading;
					rooms_update(r);
					break;
				case 1:
					r->waiting = r->waiting > 0 ? 0 : 2;
					rooms_update(r);
					break;
				case 2:
					if (r->topic == NULL) {
						assert_int_equal(room_set_topic(
						    r, c, "from afar", 9), 0);
						break;
					}
					free(r->topic);
					r->topic = NULL;
					rooms_update(r);
					break;
				case 3:
					room_chat_at(r, NULL, NULL,
					    "<far> hi", 8);
					break;
				default:
					room_history_forget(r);
					break;
				}
				break;
			default:
				rooms_sweep(&f->rs);
				assert_null(f->rs.list[ROOMS_IDLE].head);
				rf_check_busy(&f->rs, true);
				break;
			}
			rf_check_idle(&f->rs);
			rf_check_busy(&f->rs, false);
			rf_drain(f);
			for (r = f->rs.head; r != NULL; r = r->rnext) {
				for (i = 0; r->name[i] != '\0'; i++)
					upper[i] = (char)(r->name[i] >= 'a' &&
					    r->name[i] <= 'z' ? r->name[i] -
					    'a' + 'A' : r->name[i]);
				assert_ptr_equal(rooms_find(&f->rs, upper, i),
				    r);
				assert_ptr_equal(rooms_find(&f->rs, r->name, i),
				    r);
			}
			assert_null(rooms_find(&f->rs, "r", 1));
		}
		for (r = f->rs.head; r != NULL; r = r->rnext) {
			r->reading = false;
			r->waiting = 0;
		}
		rf_free(f);
	}
	print_message("%zu rooms gave way, %zu with a topic; %zu turned\n",
	    gone, kept, turned);
	/* Each kind of choice was made, many times. */
	assert_true(gone > 1000);
	assert_true(kept > 200);
	assert_true(turned > 2000);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rooms_case),
		cmocka_unit_test(test_rooms_forget),
		cmocka_unit_test(test_rooms_limit),
		cmocka_unit_test(test_rooms_evict_oldest),
		cmocka_unit_test(test_rooms_top),
		cmocka_unit_test(test_rooms_join_notices),
		cmocka_unit_test(test_rooms_guest_numbers),
		cmocka_unit_test(test_rooms_isolation),
		cmocka_unit_test(test_rooms_list_and_topic),
		cmocka_unit_test(test_rooms_backlog_moves),
		cmocka_unit_test(test_rooms_leave_closing),
		cmocka_unit_test(test_rooms_evict_rule),
		cmocka_unit_test(test_rooms_nick_index),
		cmocka_unit_test(test_rooms_evict_passed_through),
		cmocka_unit_test(test_rooms_evict_leaving),
		cmocka_unit_test(test_rooms_evict_leaving_alone),
		cmocka_unit_test(test_rooms_evict_leaving_once),
		cmocka_unit_test(test_rooms_replay_moves_uncounted),
		cmocka_unit_test(test_rooms_replay_carry_bounded),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
