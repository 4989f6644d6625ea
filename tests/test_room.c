/* test_room: membership, guest names, notices and the send queue limit. */
#include "room_helpers.h"
#include "unit.h"

#include <stdio.h>

#define WELCOME(nick, n) \
	"*** welcome to lobby, you are " nick " (" #n " online; " \
	"/help for commands)\n"

/* ---------------------------------------------------------------------
 * Joining: the welcome, the join notice, guest numbers
 * ------------------------------------------------------------------- */

static void
test_welcome_first(void **state)
{
	struct fx *f = *state;
	struct client *a;

	a = fx_join(f);
	fx_expect(f, a, WELCOME("guest1", 1));
	assert_string_equal(a->nick, "guest1");
	assert_true(a->flags & CLIENT_JOINED);
	assert_false(a->flags & (CLIENT_CLOSING | CLIENT_SLOW));
	assert_int_equal(f->r.count, 1);
	assert_ptr_equal(f->r.head, a);
	assert_ptr_equal(f->r.tail, a);
}

static void
test_welcome_count_and_joined(void **state)
{
	struct fx *f = *state;
	struct client *a, *b, *c;

	a = fx_join(f);
	b = fx_join(f);
	c = fx_join(f);
	/* The welcome is the first line; the others hear of each join. */
	fx_expect(f, a, WELCOME("guest1", 1) "*** guest2 joined\n"
	    "*** guest3 joined\n");
	fx_expect(f, b, WELCOME("guest2", 2) "*** guest3 joined\n");
	fx_expect(f, c, WELCOME("guest3", 3));
	assert_int_equal(f->r.count, 3);
}

static void
test_guest_smallest_free(void **state)
{
	struct fx *f = *state;
	struct client *a, *b, *c, *d, *e;

	a = fx_member(f, NULL);
	b = fx_member(f, NULL);
	c = fx_member(f, NULL);
	d = fx_member(f, NULL);
	assert_string_equal(d->nick, "guest4");
	room_leave(&f->r, c, NULL, "eof");
	room_leave(&f->r, b, NULL, "eof");
	/* guest2 and guest3 are free again: the smaller comes first. */
	e = fx_join(f);
	assert_string_equal(e->nick, "guest2");
	fx_expect(f, e, WELCOME("guest2", 3));
	fx_expect(f, a, "*** guest3 left\n*** guest2 left\n*** guest2 joined\n");
	e = fx_join(f);
	assert_string_equal(e->nick, "guest3");
	e = fx_join(f);
	assert_string_equal(e->nick, "guest5");
	room_leave(&f->r, a, NULL, "eof");
	e = fx_join(f);
	assert_string_equal(e->nick, "guest1");
	fx_expect(f, e, WELCOME("guest1", 5));
}

static void
test_guest_renamed_blocks(void **state)
{
	struct fx *f = *state;
	struct client *a, *b, *c;

	/* A member that took "Guest2" holds guest2: nicks ignore case. */
	a = fx_member(f, "Guest2");
	b = fx_join(f);
	assert_string_equal(b->nick, "guest1");
	c = fx_join(f);
	assert_string_equal(c->nick, "guest3");
	fx_expect(f, a, "*** guest1 joined\n*** guest3 joined\n");
	/* Once it is renamed away, guest2 is free. */
	room_rename(&f->r, a, "alice", 5);
	c = fx_join(f);
	assert_string_equal(c->nick, "guest2");
}

static void
test_guest_not_numbers(void **state)
{
	struct fx *f = *state;
	struct client *c;

	/* None of these is guest1 (or any guestN): no leading zero, no tail. */
	(void)fx_member(f, "guest01");
	(void)fx_member(f, "guest0");
	(void)fx_member(f, "guest");
	(void)fx_member(f, "guest1x");
	(void)fx_member(f, "guest-1");
	(void)fx_member(f, "xguest1");
	/* Too big a number to count, and it must not overflow. */
	(void)fx_member(f, "guest999999999999999");
	(void)fx_member(f, "GUEST18446744073709");
	c = fx_join(f);
	assert_string_equal(c->nick, "guest1");
	fx_expect(f, c, WELCOME("guest1", 9));
	c = fx_join(f);
	assert_string_equal(c->nick, "guest2");
}

static void
test_guest_numbers_grow(void **state)
{
	struct fx *f = *state;
	struct client *c;
	char want[32];
	size_t i;

	for (i = 1; i <= 40; i++) {
		c = fx_join(f);
		snprintf(want, sizeof want, "guest%zu", i);
		assert_string_equal(c->nick, want);
	}
	fx_drain_all(f);
	/* Free 7 and 31; rename 12 to GUEST7 so 7 stays taken. */
	room_leave(&f->r, f->c[6], NULL, "eof");
	room_leave(&f->r, f->c[30], NULL, "eof");
	room_rename(&f->r, f->c[11], "GUEST7", 6);
	c = fx_join(f);
	assert_string_equal(c->nick, "guest12");
	c = fx_join(f);
	assert_string_equal(c->nick, "guest31");
	c = fx_join(f);
	assert_string_equal(c->nick, "guest41");
}

/* ---------------------------------------------------------------------
 * Leaving, and the order of members
 * ------------------------------------------------------------------- */

static void
test_leave_no_reason(void **state)
{
	struct fx *f = *state;
	struct client *a, *b, *c;

	a = fx_member(f, NULL);
	b = fx_member(f, NULL);
	c = fx_member(f, NULL);
	room_leave(&f->r, b, NULL, "eof");
	fx_expect(f, a, "*** guest2 left\n");
	fx_expect(f, c, "*** guest2 left\n");
	fx_silent(f, b);
	assert_true(b->flags & CLIENT_CLOSING);
	assert_false(b->flags & CLIENT_JOINED);
	assert_string_equal(b->reason, "eof");
	assert_int_equal(f->r.count, 2);
	assert_false(fx_is_member(f, b));
	/* Nothing more reaches it. */
	room_broadcastf(&f->r, NULL, "*** after");
	room_sendf(&f->r, b, "*** direct");
	fx_silent(f, b);
	fx_expect(f, a, "*** after\n");
	fx_expect(f, c, "*** after\n");
}

static void
test_leave_reason(void **state)
{
	struct fx *f = *state;
	struct client *a, *b;

	a = fx_member(f, NULL);
	b = fx_member(f, "bob");
	room_leave(&f->r, b, "gone fishing", "quit");
	fx_expect(f, a, "*** bob left (gone fishing)\n");
	fx_silent(f, b);
	assert_string_equal(b->reason, "quit");
	room_leave(&f->r, a, "idle", "idle");
	fx_silent(f, a);
	assert_int_equal(f->r.count, 0);
	assert_null(f->r.head);
	assert_null(f->r.tail);
}

static void
test_leave_twice_or_never_joined(void **state)
{
	struct fx *f = *state;
	struct client *a, *b, *stranger;

	a = fx_member(f, NULL);
	b = fx_member(f, NULL);
	room_leave(&f->r, b, NULL, "eof");
	fx_expect(f, a, "*** guest2 left\n");
	/* A second leave, or one for a client never joined, does nothing. */
	room_leave(&f->r, b, "again", "again");
	stranger = fx_client(f);
	room_leave(&f->r, stranger, NULL, "eof");
	fx_silent(f, a);
	assert_string_equal(b->reason, "eof");
	assert_false(stranger->flags & (CLIENT_JOINED | CLIENT_CLOSING));
	assert_int_equal(f->r.count, 1);
}

/* Assert that the members, both ways round, are exactly want[0..n). */
#define check_order(f, want, n) \
	check_order_at((f), (want), (n), __FILE__, __LINE__)

/* check_order(), failing at file:line. */
static void
check_order_at(const struct fx *f, struct client *const *want, size_t n,
    const char *file, int line)
{
	const struct client *m;
	size_t i;

	u_int_eq(f->r.count, n, file, line);
	for (i = 0, m = f->r.head; m != NULL; m = m->next, i++) {
		u_true(i < n, file, line);
		u_true(m == want[i], file, line);
	}
	u_int_eq(i, n, file, line);
	for (m = f->r.tail; m != NULL; m = m->prev) {
		u_true(i > 0, file, line);
		u_true(m == want[--i], file, line);
	}
	u_int_eq(i, 0, file, line);
}

static void
test_join_order(void **state)
{
	struct fx *f = *state;
	struct client *c[7];
	size_t i;

	for (i = 0; i < 5; i++)
		c[i] = fx_member(f, NULL);
	check_order(f, c, 5);
	room_leave(&f->r, c[1], NULL, "eof");
	room_leave(&f->r, c[3], NULL, "eof");
	{
		struct client *want[] = { c[0], c[2], c[4] };

		check_order(f, want, 3);
	}
	/* Newcomers go last, whatever number they get. */
	c[5] = fx_join(f);
	c[6] = fx_join(f);
	assert_string_equal(c[5]->nick, "guest2");
	assert_string_equal(c[6]->nick, "guest4");
	{
		struct client *want[] = { c[0], c[2], c[4], c[5], c[6] };

		check_order(f, want, 5);
	}
	/* Removing the head and the tail keeps both ends right. */
	room_leave(&f->r, c[0], NULL, "eof");
	room_leave(&f->r, c[6], NULL, "eof");
	{
		struct client *want[] = { c[2], c[4], c[5] };

		check_order(f, want, 3);
	}
}

/* ---------------------------------------------------------------------
 * Sending and broadcasting
 * ------------------------------------------------------------------- */

static void
test_send_and_broadcast(void **state)
{
	struct fx *f = *state;
	struct client *a, *b, *c;

	a = fx_member(f, NULL);
	b = fx_member(f, NULL);
	c = fx_member(f, NULL);
	room_send(&f->r, b, "hello there", 5);
	room_sendf(&f->r, b, "%s %d", "n", 42);
	fx_expect(f, b, "hello\nn 42\n");
	fx_silent(f, a);
	fx_silent(f, c);
	room_broadcast(&f->r, NULL, "to all", 6);
	room_broadcast(&f->r, b, "not b", 5);
	room_broadcastf(&f->r, a, "not %s", a->nick);
	fx_expect(f, a, "to all\nnot b\n");
	fx_expect(f, b, "to all\nnot guest1\n");
	fx_expect(f, c, "to all\nnot b\nnot guest1\n");
}

static void
test_long_line(void **state)
{
	struct fx *f = *state;
	struct client *a, *b;
	char line[6001], want[6002];

	a = fx_member(f, NULL);
	b = fx_member(f, NULL);
	memset(line, 'z', sizeof line - 1);
	line[sizeof line - 1] = '\0';
	memcpy(want, line, sizeof line - 1);
	want[sizeof want - 2] = '\n';
	want[sizeof want - 1] = '\0';
	/* Longer than anything formatted before: the line buffer grows. */
	room_broadcast(&f->r, a, line, sizeof line - 1);
	fx_expect(f, b, want);
	fx_silent(f, a);
	/* A short line after a long one is not padded with the old bytes. */
	room_broadcast(&f->r, NULL, "ab", 2);
	fx_expect(f, a, "ab\n");
	fx_expect(f, b, "ab\n");
}

/* ---------------------------------------------------------------------
 * Nicks
 * ------------------------------------------------------------------- */

static void
test_rename(void **state)
{
	struct fx *f = *state;
	struct client *a, *b;

	a = fx_member(f, NULL);
	b = fx_member(f, NULL);
	room_rename(&f->r, a, "alice", 5);
	fx_expect(f, a, "*** guest1 is now alice\n");
	fx_expect(f, b, "*** guest1 is now alice\n");
	/* Only len bytes are taken; the longest nick fits. */
	room_rename(&f->r, b, "abcdefghijklmnopqrst-and-more", 20);
	assert_string_equal(b->nick, "abcdefghijklmnopqrst");
	fx_expect(f, a, "*** guest2 is now abcdefghijklmnopqrst\n");
	fx_expect(f, b, "*** guest2 is now abcdefghijklmnopqrst\n");
	room_rename(&f->r, b, "b", 1);
	fx_expect(f, a, "*** abcdefghijklmnopqrst is now b\n");
	fx_expect(f, b, "*** abcdefghijklmnopqrst is now b\n");
	assert_ptr_equal(room_find(&f->r, "B", 1), b);
}

static void
test_find(void **state)
{
	struct fx *f = *state;
	struct client *a, *b;

	assert_null(room_find(&f->r, "alice", 5));
	a = fx_member(f, "alice");
	b = fx_member(f, "Bob_2");
	assert_ptr_equal(room_find(&f->r, "alice", 5), a);
	assert_ptr_equal(room_find(&f->r, "ALICE", 5), a);
	assert_ptr_equal(room_find(&f->r, "aLiCe", 5), a);
	assert_ptr_equal(room_find(&f->r, "bob_2", 5), b);
	assert_ptr_equal(room_find(&f->r, "BOB_2", 5), b);
	/* The length decides: no prefix or longer match. */
	assert_null(room_find(&f->r, "ali", 3));
	assert_null(room_find(&f->r, "alicex", 6));
	assert_ptr_equal(room_find(&f->r, "alicex", 5), a);
	assert_null(room_find(&f->r, "", 0));
	assert_null(room_find(&f->r, "carol", 5));
	/* Leavers cannot be found. */
	room_leave(&f->r, a, NULL, "eof");
	assert_null(room_find(&f->r, "alice", 5));
	assert_ptr_equal(room_find(&f->r, "bob_2", 5), b);
}

/* ---------------------------------------------------------------------
 * The send queue limit
 * ------------------------------------------------------------------- */

static void
test_sendq_boundary(void **state)
{
	struct fx *f = *state;
	struct client *a, *b;

	a = fx_member(f, NULL);
	b = fx_member(f, NULL);
	f->r.sendq = 100;
	/* Exactly at the limit is still fine. */
	fx_fill(f, b, 90);
	room_broadcast(&f->r, a, "123456789", 9);
	assert_int_equal(rlog_backlog(&f->r.rlog, &b->rd), 100);
	room_settle(&f->r);
	assert_false(b->flags & (CLIENT_SLOW | CLIENT_CLOSING));
	assert_int_equal(f->r.nslow, 0);
	/* One byte over: a broadcast checks nobody, it only appends. */
	room_broadcast(&f->r, a, "x", 1);
	assert_int_equal(rlog_backlog(&f->r.rlog, &b->rd), 102);
	assert_false(b->flags & CLIENT_SLOW);
	assert_true(fx_is_member(f, b));
	room_broadcast(&f->r, NULL, "more", 4);
	fx_expect(f, a, "more\n");
	/* Settling makes it leave, cut off the log, and tells the others. */
	room_settle(&f->r);
	assert_true(b->flags & CLIENT_SLOW);
	assert_int_equal(b->rd.id, 0);
	assert_int_equal(rlog_backlog(&f->r.rlog, &b->rd), 0);
	fx_expect(f, a, "*** guest2 left (too slow)\n");
	fx_silent(f, b);
	assert_true(b->flags & CLIENT_CLOSING);
	assert_false(b->flags & CLIENT_JOINED);
	assert_string_equal(b->reason, "too slow");
	assert_int_equal(f->r.nslow, 0);
	assert_int_equal(f->r.count, 1);
	/* Settling again is a no-op. */
	room_settle(&f->r);
	fx_silent(f, a);
}

static void
test_sendq_own_reply(void **state)
{
	struct fx *f = *state;
	struct client *a, *b;

	a = fx_member(f, NULL);
	b = fx_member(f, NULL);
	f->r.sendq = 50;
	fx_fill(f, a, 45);
	room_sendf(&f->r, a, "!!! something for a alone");
	room_settle(&f->r);
	assert_true(a->flags & CLIENT_CLOSING);
	fx_expect(f, b, "*** guest1 left (too slow)\n");
}

static void
test_settle_chain_forward(void **state)
{
	struct fx *f = *state;
	struct client *a, *b, *c;

	a = fx_member(f, NULL);
	b = fx_member(f, NULL);
	c = fx_member(f, NULL);
	f->r.sendq = 100;
	fx_fill(f, b, 95);
	fx_fill(f, c, 60);
	/* 15 bytes: b (95) goes over, c (60) does not. */
	room_broadcast(&f->r, a, "<guest1> hello", 14);
	assert_int_equal(rlog_backlog(&f->r.rlog, &b->rd), 110);
	assert_int_equal(rlog_backlog(&f->r.rlog, &c->rd), 75);
	room_settle(&f->r);
	/* b's notice (27 bytes) took c (75) over; c, later, went too. */
	fx_expect(f, a, "*** guest2 left (too slow)\n"
	    "*** guest3 left (too slow)\n");
	fx_silent(f, b);
	fx_silent(f, c);
	assert_true(b->flags & CLIENT_CLOSING);
	assert_true(c->flags & CLIENT_CLOSING);
	assert_int_equal(f->r.count, 1);
	assert_int_equal(f->r.nslow, 0);
	assert_ptr_equal(f->r.head, a);
	assert_ptr_equal(f->r.tail, a);
}

static void
test_settle_chain_backward(void **state)
{
	struct fx *f = *state;
	struct client *x, *y, *z, *w;

	x = fx_member(f, NULL);
	y = fx_member(f, NULL);
	z = fx_member(f, NULL);
	w = fx_member(f, NULL);
	f->r.sendq = 100;
	fx_fill(f, x, 70);
	fx_fill(f, y, 95);
	fx_fill(f, w, 40);
	/*
	 * y goes over first; its notice takes x, earlier in the list, over;
	 * x's notice then takes w over: it takes more than one pass.
	 */
	room_broadcast(&f->r, z, "<guest3> hi", 11);
	room_settle(&f->r);
	fx_expect(f, z, "*** guest2 left (too slow)\n*** guest1 left (too slow)\n"
	    "*** guest4 left (too slow)\n");
	assert_true(x->flags & CLIENT_CLOSING);
	assert_true(y->flags & CLIENT_CLOSING);
	assert_true(w->flags & CLIENT_CLOSING);
	assert_false(z->flags & (CLIENT_CLOSING | CLIENT_SLOW));
	assert_int_equal(f->r.count, 1);
	assert_int_equal(f->r.nslow, 0);
	assert_ptr_equal(f->r.head, z);
	assert_ptr_equal(f->r.tail, z);
	assert_null(z->prev);
	assert_null(z->next);
}

static void
test_settle_everyone_slow(void **state)
{
	struct fx *f = *state;
	size_t i;

	for (i = 0; i < 5; i++)
		(void)fx_member(f, NULL);
	f->r.sendq = 20;
	room_broadcastf(&f->r, NULL, "*** a notice for everyone");
	assert_int_equal(f->r.nslow, 0);
	room_settle(&f->r);
	assert_int_equal(f->r.count, 0);
	assert_int_equal(f->r.nslow, 0);
	assert_null(f->r.head);
	assert_null(f->r.tail);
	for (i = 0; i < 5; i++) {
		assert_true(f->c[i]->flags & CLIENT_CLOSING);
		fx_silent(f, f->c[i]);
	}
}

static void
test_join_over_sendq(void **state)
{
	struct fx *f = *state;
	struct client *a, *b;

	a = fx_member(f, NULL);
	/* The welcome alone is longer than the queue may hold. */
	f->r.sendq = 50;
	b = fx_join(f);
	fx_expect(f, a, "*** guest2 joined\n*** guest2 left (too slow)\n");
	fx_silent(f, b);
	assert_int_equal(b->rd.id, 0);	/* cut off the log */
	assert_true(b->flags & CLIENT_CLOSING);
	assert_int_equal(f->r.count, 1);
}

/* ---------------------------------------------------------------------
 * The log hook
 * ------------------------------------------------------------------- */

/* ---------------------------------------------------------------------
 * The limit notices
 * ------------------------------------------------------------------- */

static void
test_limit_toolong(void **state)
{
	struct fx *f = *state;
	struct client *a, *b;

	a = fx_member(f, "alice");
	b = fx_member(f, "bob");
	f->nlog = 0;
	buf_drain(&f->log, buf_used(&f->log));
	room_toolong(&f->r, a, 512);
	/* Only the sender hears of it, and it stays. */
	fx_expect(f, a, "!!! line too long (max 512 bytes)\n");
	fx_silent(f, b);
	assert_true(a->flags & CLIENT_JOINED);
	assert_false(a->flags & (CLIENT_CLOSING | CLIENT_SLOW));
	assert_int_equal(f->r.count, 2);
	assert_int_equal(f->nlog, 1);
	assert_int_equal(buf_used(&f->log),
	    strlen("client 1 alice: line too long\n"));
	assert_memory_equal(buf_peek(&f->log),
	    "client 1 alice: line too long\n", buf_used(&f->log));
	/* The size is the server's option, printed as given. */
	room_toolong(&f->r, b, 1048576);
	fx_expect(f, b, "!!! line too long (max 1048576 bytes)\n");
	fx_silent(f, a);
}

static void
test_limit_idle(void **state)
{
	struct fx *f = *state;
	struct client *a, *b, *c;

	a = fx_member(f, "alice");
	b = fx_member(f, "bob");
	c = fx_member(f, "carol");
	room_idle(&f->r, b, 30);
	/* The idler is told why, then leaves like anyone else. */
	fx_expect(f, b, "!!! idle for 30 seconds, disconnecting\n");
	fx_expect(f, a, "*** bob left (idle)\n");
	fx_expect(f, c, "*** bob left (idle)\n");
	assert_true(b->flags & CLIENT_CLOSING);
	assert_false(b->flags & CLIENT_JOINED);
	assert_string_equal(b->reason, "idle");
	assert_int_equal(f->r.count, 2);
	assert_false(fx_is_member(f, b));
	/* A leaver is not a member: nothing more for it, nobody told. */
	room_idle(&f->r, b, 30);
	fx_silent(f, b);
	fx_silent(f, a);
	fx_silent(f, c);
}

static void
test_limit_idle_slow(void **state)
{
	struct fx *f = *state;
	struct client *a, *b;

	a = fx_member(f, "alice");
	b = fx_member(f, "bob");
	f->r.sendq = 100;
	fx_fill(f, b, 90);
	/* The notice does not fit: bob is too slow for it, and still goes. */
	room_idle(&f->r, b, 5);
	assert_true(b->flags & CLIENT_CLOSING);
	assert_int_equal(b->rd.id, 0);	/* cut off the log */
	assert_int_equal(f->r.nslow, 0);
	fx_expect(f, a, "*** bob left (idle)\n");
	room_settle(&f->r);
	fx_silent(f, a);
}

static void
test_limit_full(void **state)
{
	const char *line;
	size_t n;

	(void)state;
	line = room_full_notice(&n);
	assert_int_equal(n, strlen("!!! server full, try again later\n"));
	assert_memory_equal(line, "!!! server full, try again later\n", n);
}

/* ---------------------------------------------------------------------
 * The room log: history for joiners, private lines in place
 * ------------------------------------------------------------------- */

/* Start the fixture's room over, keeping the last history chat lines. */
static void
fx_history(struct fx *f, size_t history)
{
	room_free(&f->r);
	assert_int_equal(room_init(&f->r, FX_SENDQ, history), 0);
	f->r.log = fx_log;
	f->r.log_arg = f;
	room_set_clock(&f->r, "2026-12-01 14:02");
}

static void
test_history_join(void **state)
{
	struct fx *f = *state;
	struct client *a, *b, *c;

	fx_history(f, 2);
	a = fx_member(f, "alice");
	b = fx_member(f, "bob");
	fx_say(f, a, "hello");
	fx_say(f, b, "/me waves");
	fx_say(f, a, "/msg bob not history");
	room_set_clock(&f->r, "2026-12-01 14:03");
	fx_say(f, a, "last");
	fx_drain_all(f);
	c = fx_join(f);
	fx_expect(f, c, WELCOME("guest1", 3)
	    "*** last 2 messages:\n"
	    "[14:02] * bob waves\n"
	    "[14:03] <alice> last\n"
	    "*** end of history\n");
	fx_expect(f, a, "*** guest1 joined\n");
	/* The next day, the date shows. */
	room_set_clock(&f->r, "2026-12-02 09:00");
	room_leave(&f->r, c, NULL, "quit");
	fx_drain_all(f);
	c = fx_join(f);
	fx_expect(f, c, WELCOME("guest1", 3)
	    "*** last 2 messages:\n"
	    "[2026-12-01 14:02] * bob waves\n"
	    "[2026-12-01 14:03] <alice> last\n"
	    "*** end of history\n");
}

static void
test_history_none(void **state)
{
	struct fx *f = *state;
	struct client *a;

	fx_history(f, 50);
	(void)fx_member(f, "alice");
	/* Notices and errors are not history: no block. */
	a = fx_join(f);
	fx_expect(f, a, WELCOME("guest1", 2));
}

/* One line of history is "1 message", not "1 messages". */
static void
test_history_one(void **state)
{
	struct fx *f = *state;
	struct client *a, *c;

	fx_history(f, 50);
	a = fx_member(f, "alice");
	fx_say(f, a, "only");
	fx_drain_all(f);
	c = fx_join(f);
	fx_expect(f, c, WELCOME("guest1", 2)
	    "*** last 1 message:\n"
	    "[14:02] <alice> only\n"
	    "*** end of history\n");
}

static void
test_private_in_place(void **state)
{
	struct fx *f = *state;
	struct client *a, *b, *c;

	a = fx_member(f, "alice");
	b = fx_member(f, "bob");
	c = fx_member(f, "carol");
	fx_say(f, a, "one");
	fx_say(f, b, "/who");
	fx_say(f, a, "/msg bob psst");
	fx_say(f, c, "two");
	fx_say(f, b, "/nick");
	fx_say(f, a, "three");
	fx_expect(f, b, "<alice> one\n*** 3 online: alice bob carol\n"
	    "[pm] <alice> psst\n<carol> two\n!!! usage: /nick NAME\n"
	    "<alice> three\n");
	fx_expect(f, a, "<carol> two\n");
	fx_expect(f, c, "<alice> one\n<alice> three\n");
}

static void
test_log_events(void **state)
{
	struct fx *f = *state;
	struct client *a, *b;
	const char *log;

	a = fx_join(f);
	assert_int_equal(f->nlog, 1);
	b = fx_join(f);
	assert_int_equal(f->nlog, 2);
	room_rename(&f->r, a, "alice", 5);
	assert_int_equal(f->nlog, 3);
	/* Sending and broadcasting log nothing. */
	room_broadcastf(&f->r, a, "<alice> my secret text");
	room_sendf(&f->r, b, "[pm] <alice> my private note");
	assert_int_equal(f->nlog, 3);
	room_leave(&f->r, b, "my quit words", "quit");
	assert_int_equal(f->nlog, 4);
	assert_int_equal(buf_append(&f->log, "", 1), 0);
	log = buf_peek(&f->log);
	assert_non_null(strstr(log, "guest1"));
	assert_non_null(strstr(log, "guest2"));
	assert_non_null(strstr(log, "alice"));
	assert_non_null(strstr(log, "quit"));
	assert_null(strstr(log, "secret"));
	assert_null(strstr(log, "private"));
	assert_null(strstr(log, "words"));
}

static void
test_no_log_hook(void **state)
{
	struct fx *f = *state;
	struct client *a, *b;

	f->r.log = NULL;
	a = fx_join(f);
	b = fx_join(f);
	room_rename(&f->r, a, "alice", 5);
	room_leave(&f->r, b, NULL, "eof");
	assert_int_equal(f->nlog, 0);
	fx_expect(f, a, WELCOME("guest1", 1) "*** guest2 joined\n"
	    "*** guest1 is now alice\n*** guest2 left\n");
}

int
main(void)
{
#define T(fn) cmocka_unit_test_setup_teardown(fn, fx_setup, fx_teardown)
	const struct CMUnitTest tests[] = {
		T(test_welcome_first),
		T(test_welcome_count_and_joined),
		T(test_guest_smallest_free),
		T(test_guest_renamed_blocks),
		T(test_guest_not_numbers),
		T(test_guest_numbers_grow),
		T(test_leave_no_reason),
		T(test_leave_reason),
		T(test_leave_twice_or_never_joined),
		T(test_join_order),
		T(test_send_and_broadcast),
		T(test_long_line),
		T(test_rename),
		T(test_find),
		T(test_sendq_boundary),
		T(test_sendq_own_reply),
		T(test_settle_chain_forward),
		T(test_settle_chain_backward),
		T(test_settle_everyone_slow),
		T(test_join_over_sendq),
		T(test_limit_toolong),
		T(test_limit_idle),
		T(test_limit_idle_slow),
		T(test_limit_full),
		T(test_history_join),
		T(test_history_none),
		T(test_history_one),
		T(test_private_in_place),
		T(test_log_events),
		T(test_no_log_hook),
	};
#undef T

	return cmocka_run_group_tests(tests, NULL, NULL);
}
