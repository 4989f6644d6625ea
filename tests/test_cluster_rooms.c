/* test_cluster_rooms: the shared rooms' pure side: moves, topics, the rooms read. */
#include "room_helpers.h"
#include "cluster_fix.h"

#include <stdint.h>
#include <stdio.h>
#include <strings.h>

#include "cluster.h"

#define INST	"00000000000000aa"	/* this instance, in the tests */
#define OTHER	"00000000000000bb"	/* another instance */

/*
 * A server's rooms on the Redis backend, over a stand-in for Redis that
 * writes every call to calls as one line; the tests play the answers and
 * the entries, in the order Redis would give them.
 */
struct rf {
	struct rooms	 rs;		/* the rooms; the landing one: lobby */
	struct cluster	 cl;		/* under test */
	struct client	*c[8];		/* clients made, in order */
	size_t		 n;		/* entries used in c */
	struct cfx_calls io;		/* the ops' io: "go 1 dev 3", ... */
	struct buf	 log;		/* the rooms' log lines */
	unsigned	 seq;		/* for entry IDs */
};

static const struct cluster_ops rf_ops = {
	cfx_join, cfx_leave, cfx_say, cfx_msg, cfx_nick, cfx_who,
	NULL,		/* acts: accounts are off here */
	cfx_go, cfx_topic, cfx_rooms, cfx_backlog,
};

/* The rooms' log hook. */
static void
rf_log(void *arg, const char *text)
{
	cfx_keep_line(&((struct rf *)arg)->log, text);
}

/* Assert the calls made so far, then forget them. */
static void
rf_expect_calls(struct rf *f, const char *want)
{
	cfx_expect_calls(&f->io, want);
}

/* What c has to receive, consumed, into out (NUL-terminated). */
static const char *
rf_out(struct client *c, char *out, size_t max)
{
	struct rlog *l = &c->room->rlog;
	struct iovec iov[16];
	size_t len = 0;
	int cnt, i;

	while ((cnt = rlog_iov(l, &c->rd, iov, 16)) > 0) {
		size_t n = 0;

		for (i = 0; i < cnt; i++) {
			assert_true(len + iov[i].iov_len < max);
			memcpy(out + len, iov[i].iov_base, iov[i].iov_len);
			len += iov[i].iov_len;
			n += iov[i].iov_len;
		}
		rlog_advance(l, &c->rd, n);
	}
	out[len] = '\0';
	return out;
}

/* Assert everything c has received since last asked. */
#define expect_out(c, want) do {					\
	char out_[4096];						\
	assert_string_equal(rf_out((c), out_, sizeof out_), (want));	\
} while (0)

static int
rf_setup(void **state)
{
	struct rf *f;
	struct room *land;

	if ((f = calloc(1, sizeof *f)) == NULL)
		return -1;
	rooms_init(&f->rs, FX_SENDQ, 3, SIZE_MAX);
	f->rs.log = rf_log;
	f->rs.log_arg = f;
	f->rs.shared = true;
	rooms_set_clock(&f->rs, "2026-12-01 14:05");
	if ((land = rooms_landing(&f->rs, "lobby")) == NULL ||
	    cluster_init(&f->cl, land, PROTO_MAX_LINE, INST) == -1)
		return -1;
	f->cl.ops = &rf_ops;
	f->cl.io = &f->io;
	f->cl.up = true;
	room_set_backend(land, &cluster_backend, &f->cl);
	f->rs.backend = &cluster_backend;
	f->rs.backend_arg = &f->cl;
	*state = f;
	return 0;
}

static int
rf_teardown(void **state)
{
	struct rf *f = *state;

	cluster_free(&f->cl);
	cfx_free_clients(f->c, f->n);
	rooms_free(&f->rs);
	buf_free(&f->io.calls);
	buf_free(&f->log);
	free(f);
	return 0;
}

/* One entry of kind in room r's stream (NULL: the landing room's). */
static void
rf_apply(struct rf *f, struct room *r, int kind, const char *member,
    const char *nick, const char *text, unsigned long count)
{
	struct cluster_entry e;

	cfx_entry(&e, &f->seq, kind, member, nick);
	e.text = text;
	e.textlen = text != NULL ? strlen(text) : 0;
	e.count = count;
	e.room = r;
	cluster_apply(&f->cl, &e);
}

/* A local member of the landing room, called nick. */
static struct client *
rf_member(struct rf *f, const char *nick, unsigned long count)
{
	char out[4096];
	struct client *c;

	assert_true(f->n < sizeof f->c / sizeof f->c[0]);
	c = client_new(-1, (unsigned)f->n + 1, "test", 1024);
	assert_non_null(c);
	f->c[f->n++] = c;
	room_join(f->rs.landing, c);
	rf_apply(f, NULL, CLUSTER_JOIN, cfx_key(INST, c->id), nick, NULL, count);
	for (size_t i = 0; i < f->n; i++)
		(void)rf_out(f->c[i], out, sizeof out);
	buf_drain(&f->io.calls, buf_used(&f->io.calls));
	return c;
}

/* A line typed by c. */
static void
rf_type(struct client *c, const char *line)
{
	commands_input(c->room, c, line, strlen(line));
}

/* ---------------------------------------------------------------------
 * A move: through the stream, at its join entry
 * ------------------------------------------------------------------- */

static void
test_move_waits_for_its_entry(void **state)
{
	struct rf *f = *state;
	struct client *a = rf_member(f, "alice", 1);
	struct client *b = rf_member(f, "bob", 2);
	struct room *land = f->rs.landing, *dev;
	struct cluster_entry hist[2];

	/* Not read here yet: the answer is to bring 3 history lines. */
	rf_type(a, "/join Dev");
	rf_expect_calls(f, "go 1 Dev 3\n");
	assert_ptr_equal(a->room, land);
	assert_true(a->flags & CLIENT_WAITING);
	/* What it says meanwhile waits, to be said in the new room. */
	rf_type(a, "hello dev");
	rf_expect_calls(f, "");
	/* The answer: the room's history (newest first), topic, name. */
	memset(hist, 0, sizeof hist);
	snprintf(hist[0].id, sizeof hist[0].id, "1796133800000-2");
	snprintf(hist[0].stamp, sizeof hist[0].stamp, "2026-12-01 14:03");
	hist[0].kind = CLUSTER_ACTION;
	hist[0].member = cfx_key(OTHER, 7);
	hist[0].nick = "carol";
	hist[0].text = "waves";
	hist[0].textlen = 5;
	hist[1] = hist[0];
	snprintf(hist[1].id, sizeof hist[1].id, "1796133800000-1");
	hist[1].kind = CLUSTER_CHAT;
	hist[1].text = "earlier";
	hist[1].textlen = 7;
	cluster_go_reply(&f->cl, a->id, CLUSTER_OK, "1796133900000-50",
	    "all about\x07 dev", "dev", hist, 2);
	assert_non_null(dev = rooms_find(&f->rs, "dev", 3));
	assert_true(dev->reading);
	assert_true(f->cl.reread);
	assert_int_equal(dev->waiting, 1);
	assert_string_equal(dev->pos, "1796133900000-49");
	assert_string_equal(dev->topic, "all about dev");
	/* Both rooms are read now, the landing room first. */
	assert_ptr_equal(cluster_next_read(&f->cl, NULL), land);
	assert_ptr_equal(cluster_next_read(&f->cl, land), dev);
	assert_null(cluster_next_read(&f->cl, dev));
	/* The old room's stream: it went (b sees it, a does not). */
	rf_apply(f, NULL, CLUSTER_GO, cfx_key(INST, 1), "alice", "dev", 0);
	expect_out(b, "*** alice went to dev\n");
	expect_out(a, "");
	/* The new room's: its join entry; the seam is there. */
	f->seq = 49;
	rf_apply(f, dev, CLUSTER_JOIN, cfx_key(INST, 1), "alice", NULL, 2);
	assert_ptr_equal(a->room, dev);
	assert_false(a->flags & CLIENT_WAITING);
	assert_int_equal(dev->waiting, 0);
	expect_out(a, "*** you are now in dev (2 online)\n"
	    "*** topic: all about dev\n"
	    "*** last 2 messages:\n"
	    "[14:03] <carol> earlier\n"
	    "[14:03] * carol waves\n"
	    "*** end of history\n");
	rf_expect_calls(f, "say 1 c hello dev\n");
	/* Lines of the landing room reach a no more; dev's do. */
	rf_apply(f, NULL, CLUSTER_CHAT, cfx_key(OTHER, 9), "dan", "lobby line",
	    0);
	expect_out(a, "");
	expect_out(b, "<dan> lobby line\n");
	rf_apply(f, dev, CLUSTER_CHAT, cfx_key(OTHER, 7), "carol", "dev line",
	    0);
	expect_out(a, "<carol> dev line\n");
	expect_out(b, "");
	/* /who, /msg and /nick go on from the new room. */
	rf_type(a, "/who");
	rf_expect_calls(f, "who 1\n");
	assert_string_equal(cluster_room_of(&f->cl, a->id), "dev");
	assert_string_equal(cluster_room_of(&f->cl, b->id), "lobby");
}

static void
test_move_into_a_room_read_here(void **state)
{
	struct rf *f = *state;
	struct client *a = rf_member(f, "alice", 1);
	struct client *b = rf_member(f, "bob", 2);
	struct room *dev;

	rf_type(a, "/join dev");
	rf_expect_calls(f, "go 1 dev 3\n");
	cluster_go_reply(&f->cl, a->id, CLUSTER_OK, "1796133900000-10", "",
	    "dev", NULL, 0);
	dev = rooms_find(&f->rs, "dev", 3);
	f->seq = 9;
	rf_apply(f, dev, CLUSTER_JOIN, cfx_key(INST, 1), "alice", NULL, 1);
	expect_out(a, "*** you are now in dev (1 online)\n");
	/* dev is read here: no history asked for; the join entry may come
	 * before the answer, and is the seam all the same. */
	rf_type(b, "/join DEV");
	rf_expect_calls(f, "go 2 DEV 0\n");
	assert_int_equal(dev->waiting, 1);
	rf_apply(f, dev, CLUSTER_CHAT, cfx_key(OTHER, 7), "carol", "before", 0);
	expect_out(a, "<carol> before\n");
	rf_apply(f, dev, CLUSTER_JOIN, cfx_key(INST, 2), "bob", NULL, 2);
	expect_out(b, "*** you are now in dev (2 online)\n"
	    "*** last 1 message:\n"
	    "[14:05] <carol> before\n"
	    "*** end of history\n");
	expect_out(a, "*** bob joined\n");
	/* There, but its answer not in yet: what it says still waits (one
	 * move in flight per member, so that each answer is its move's). */
	assert_ptr_equal(b->room, dev);
	rf_type(b, "/join ops");
	rf_type(b, "said early");
	rf_expect_calls(f, "");
	cluster_go_reply(&f->cl, b->id, CLUSTER_OK, "1796133900000-12", "",
	    "dev", NULL, 0);
	rf_expect_calls(f, "go 2 ops 3\n");
	assert_int_equal(dev->waiting, 0);
	/* ops said no: its held line is said in dev. */
	cluster_go_reply(&f->cl, b->id, CLUSTER_TOOMANY, "", "", "", NULL, 0);
	expect_out(b, "!!! too many rooms\n");
	rf_expect_calls(f, "say 2 c said early\n");
	/* The last member here leaves: dev is read no more. */
	f->cl.reread = false;
	room_leave(dev, a, NULL, "quit");
	rf_expect_calls(f, "leave 1 -\n");
	assert_true(dev->reading);
	rf_type(b, "/part");
	rf_expect_calls(f, "go 2 lobby 0\n");
	rf_apply(f, NULL, CLUSTER_JOIN, cfx_key(INST, 2), "bob", NULL, 1);
	expect_out(b, "*** you are now in lobby (1 online)\n");
	assert_false(dev->reading);
	assert_true(f->cl.reread);
	assert_null(cluster_next_read(&f->cl, f->rs.landing));
	/* Its entries, should any come, reach nobody here. */
	assert_non_null(strstr((const char *)buf_peek(&f->log),
	    "redis: no longer reading room dev"));
}

static void
test_move_refused(void **state)
{
	struct rf *f = *state;
	struct client *a = rf_member(f, "alice", 1);
	struct client *b = rf_member(f, "bob", 2);

	rf_type(a, "/join r9");
	rf_type(a, "still here");
	rf_expect_calls(f, "go 1 r9 3\n");
	cluster_go_reply(&f->cl, a->id, CLUSTER_TOOMANY, "", "", "", NULL, 0);
	assert_ptr_equal(a->room, f->rs.landing);
	assert_false(a->flags & CLIENT_WAITING);
	expect_out(a, "!!! too many rooms\n");
	/* Its held line is said where it is. */
	rf_expect_calls(f, "say 1 c still here\n");
	rf_type(b, "/join r9");
	cluster_go_reply(&f->cl, b->id, CLUSTER_UNKNOWN, "", "", "", NULL, 0);
	expect_out(b, "!!! link lost: your last line may or may not have "
	    "been sent\n");
	/* The link down: a move is refused at once. */
	f->cl.up = false;
	rf_type(a, "/join r8");
	expect_out(a, "!!! room unavailable, try again later\n");
	rf_expect_calls(f, "go 2 r9 3\n");
}

/* ---------------------------------------------------------------------
 * Topics and the list of rooms
 * ------------------------------------------------------------------- */

static void
test_topic_and_rooms(void **state)
{
	struct rf *f = *state;
	struct client *a = rf_member(f, "alice", 1);
	struct client *b = rf_member(f, "bob", 2);
	const char *names[] = { "lobby", "Dev", "bad name", "x-1" };
	const unsigned long counts[] = { 2, 0, 5, 1 };
	char big[PROTO_TOPIC_MAX + 2];

	rf_type(a, "/topic");
	expect_out(a, "*** no topic\n");
	rf_type(a, "/topic hello there");
	rf_expect_calls(f, "topic 1 hello there\n");
	expect_out(a, "");
	/* Everyone in the room sees it when its entry comes, setter too. */
	rf_apply(f, NULL, CLUSTER_TOPIC, cfx_key(INST, 1), "alice",
	    "hello\x1b[31m there", 0);
	expect_out(a, "*** alice set the topic: hello[31m there\n");
	expect_out(b, "*** alice set the topic: hello[31m there\n");
	/* The setter's next lines waited for Redis's answer too. */
	rf_type(a, "/topic");
	expect_out(a, "");
	cluster_answer(&f->cl, a->id, CLUSTER_OK, "");
	expect_out(a, "*** topic: hello[31m there\n");
	rf_type(b, "/topic");
	expect_out(b, "*** topic: hello[31m there\n");
	/* Untrusted: a topic over the bound is dropped. */
	memset(big, 'x', sizeof big - 1);
	big[sizeof big - 1] = '\0';
	rf_apply(f, NULL, CLUSTER_TOPIC, cfx_key(OTHER, 3), "zed", big, 0);
	expect_out(a, "");
	rf_type(a, "/topic");
	expect_out(a, "*** topic: hello[31m there\n");
	/* A 'g' entry whose room name breaks the rule: dropped too. */
	rf_apply(f, NULL, CLUSTER_GO, cfx_key(OTHER, 3), "zed", "no way", 0);
	expect_out(a, "");
	/* The landing room's topic as hello finds it: checked, cleaned. */
	cluster_topic_is(&f->cl, "two\nlines");
	rf_type(a, "/topic");
	expect_out(a, "*** topic: hello[31m there\n");
	cluster_topic_is(&f->cl, "esc\x1b here");
	rf_type(a, "/topic");
	expect_out(a, "*** topic: esc here\n");
	cluster_topic_is(&f->cl, "");
	rf_type(a, "/topic");
	expect_out(a, "*** no topic\n");
	/* /rooms: Redis's list, names checked. */
	rf_type(a, "/rooms");
	rf_expect_calls(f, "rooms 1\n");
	cluster_rooms_reply(&f->cl, a->id, names, counts, 4);
	expect_out(a, "*** 3 rooms: lobby (2) Dev (0) x-1 (1)\n");
	cluster_rooms_reply(&f->cl, a->id, NULL, NULL, 0);
	expect_out(a, "!!! room unavailable, try again later\n");
}

/* ---------------------------------------------------------------------
 * Nicks: never two members here called alike, not even for a moment
 * ------------------------------------------------------------------- */

/* A nick entry in room r's stream (NULL: the landing room's): member is
 * called nick now, old before. */
static void
rf_renamed(struct rf *f, struct room *r, const char *member,
    const char *nick, const char *old)
{
	struct cluster_entry e;

	cfx_entry(&e, &f->seq, CLUSTER_NICK, member, nick);
	e.old = old;
	e.room = r;
	cluster_apply(&f->cl, &e);
}

/*
 * Fail unless every member here, in any room, has a nick of its own (any
 * case), under which the server finds it and nobody else.
 */
static void
rf_nicks_own(struct rf *f)
{
	struct client *c, *d;
	size_t i, j;

	for (i = 0; i < f->n; i++) {
		c = f->c[i];
		if (!(c->flags & CLIENT_JOINED))
			continue;
		for (j = i + 1; j < f->n; j++) {
			d = f->c[j];
			if ((d->flags & CLIENT_JOINED) &&
			    strcasecmp(c->nick, d->nick) == 0)
				fail_msg("clients %u and %u are both called "
				    "%s here", c->id, d->id, c->nick);
		}
		assert_ptr_equal(room_find_any(f->rs.landing, c->nick,
		    strlen(c->nick)), c);
	}
}

/* a goes to dev (read here already, or not: the answer makes it so). */
static struct room *
rf_to_dev(struct rf *f, struct client *a, unsigned long count)
{
	char out[4096];
	struct room *dev;

	rf_type(a, "/join dev");
	buf_drain(&f->io.calls, buf_used(&f->io.calls));
	cluster_go_reply(&f->cl, a->id, CLUSTER_OK, "1796133900000-500", "",
	    "dev", NULL, 0);
	assert_non_null(dev = rooms_find(&f->rs, "dev", 3));
	f->seq = 499;
	rf_apply(f, dev, CLUSTER_JOIN, cfx_key(INST, a->id), a->nick, NULL,
	    count);
	assert_ptr_equal(a->room, dev);
	for (size_t i = 0; i < f->n; i++)
		(void)rf_out(f->c[i], out, sizeof out);
	return dev;
}

/*
 * alice, in dev, renames to carl; Redis has done it (alice is free
 * there), but its entry, in dev's stream, is not applied here yet. Each
 * XREAD gives the landing room's entries before dev's, so b's claim of
 * alice, granted by Redis, would be applied here first: for that moment
 * two members here would be alice, the one renamed last found by that
 * name. Here a member's nick is alice until its entry says otherwise:
 * b's claim is taken, without asking Redis.
 */
static void
test_nick_let_go_in_another_room(void **state)
{
	struct rf *f = *state;
	struct client *a = rf_member(f, "alice", 1);
	struct client *b = rf_member(f, "guest2", 2);
	struct room *dev = rf_to_dev(f, a, 1);

	rf_type(a, "/nick carl");
	rf_expect_calls(f, "nick 1 carl\n");
	cluster_answer(&f->cl, a->id, CLUSTER_OK, "");
	rf_type(b, "/nick alice");
	expect_out(b, "!!! nick alice is taken\n");
	rf_expect_calls(f, "");
	rf_nicks_own(f);
	/* Had it gone, Redis granted it: its entry in the landing room's
	 * stream, read before dev's. Never applied two alike. */
	assert_string_equal(b->nick, "guest2");
	/* alice's entry comes: carl. Now alice is free here too. */
	rf_renamed(f, dev, cfx_key(INST, a->id), "carl", "alice");
	expect_out(a, "*** alice is now carl\n");
	rf_nicks_own(f);
	rf_type(b, "/nick ALICE");
	rf_expect_calls(f, "nick 2 ALICE\n");
	cluster_answer(&f->cl, b->id, CLUSTER_OK, "");
	rf_renamed(f, NULL, cfx_key(INST, b->id), "ALICE", "guest2");
	expect_out(b, "*** guest2 is now ALICE\n");
	rf_nicks_own(f);
	assert_ptr_equal(room_find_any(f->rs.landing, "alice", 5), b);
	assert_ptr_equal(room_find_any(f->rs.landing, "carl", 4), a);
}

/*
 * A claim out reserves its nick here: another member's claim of it is
 * taken at once (Redis would say so too, or grant it to the first); if
 * the first is refused, the nick is free to claim again.
 */
static void
test_nick_claim_out_reserves(void **state)
{
	struct rf *f = *state;
	struct client *a = rf_member(f, "alice", 1);
	struct client *b = rf_member(f, "bob", 2);

	rf_type(a, "/nick dora");
	rf_expect_calls(f, "nick 1 dora\n");
	rf_type(b, "/nick DORA");
	expect_out(b, "!!! nick DORA is taken\n");
	rf_expect_calls(f, "");
	/* Refused to a: free to claim again. */
	cluster_answer(&f->cl, a->id, CLUSTER_TAKEN, "dora");
	expect_out(a, "!!! nick dora is taken\n");
	rf_type(b, "/nick dora");
	rf_expect_calls(f, "nick 2 dora\n");
	cluster_answer(&f->cl, b->id, CLUSTER_TAKEN, "dora");
	expect_out(b, "!!! nick dora is taken\n");
	/* A member's own nick, in another case, is its own to claim. */
	rf_type(a, "/nick Alice");
	rf_expect_calls(f, "nick 1 Alice\n");
	rf_nicks_own(f);
}

/*
 * Entries are untrusted: one that would give a member here the nick
 * another member here holds (a rename, a newcomer's join, a member
 * registered again) is not applied, with a log line; the two keep nicks
 * of their own.
 */
static void
test_entry_naming_a_nick_held_here(void **state)
{
	struct rf *f = *state;
	struct client *a = rf_member(f, "alice", 1);
	struct client *b = rf_member(f, "guest2", 2);
	struct client *n;
	struct room *dev = rf_to_dev(f, a, 1);
	unsigned long dropped = f->cl.dropped;

	/* As Redis would have given them, had b's claim gone out while
	 * alice's rename was on its way: the landing room's first. */
	rf_type(a, "/nick carl");
	rf_expect_calls(f, "nick 1 carl\n");
	cluster_answer(&f->cl, a->id, CLUSTER_OK, "");
	rf_renamed(f, NULL, cfx_key(INST, b->id), "Alice", "guest2");
	rf_nicks_own(f);
	assert_string_equal(b->nick, "guest2");
	assert_int_equal(f->cl.dropped, dropped + 1);
	assert_non_null(strstr((const char *)buf_peek(&f->log),
	    "its nick Alice is client 1's here"));
	rf_renamed(f, dev, cfx_key(INST, a->id), "carl", "alice");
	rf_nicks_own(f);
	assert_string_equal(a->nick, "carl");
	/* A newcomer welcomed as a member's nick here: turned away, its
	 * leave published. */
	n = client_new(-1, 3, "test", 1024);
	assert_non_null(n);
	f->c[f->n++] = n;
	room_join(f->rs.landing, n);
	rf_expect_calls(f, "join 3\n");
	rf_apply(f, NULL, CLUSTER_JOIN, cfx_key(INST, 3), "CARL", NULL, 3);
	assert_false(n->flags & CLIENT_JOINED);
	assert_true(n->flags & CLIENT_CLOSING);
	expect_out(b, "");
	rf_expect_calls(f, "leave 3 -\n");
	rf_nicks_own(f);
	/* A member registered again under another's nick here: kept. */
	cluster_renamed(&f->cl, b->id, "carl");
	assert_string_equal(b->nick, "guest2");
	rf_apply(f, NULL, CLUSTER_JOIN, cfx_key(INST, b->id), "Carl", NULL, 3);
	assert_string_equal(b->nick, "guest2");
	rf_nicks_own(f);
	/* One of its own: renamed, as ever. */
	cluster_renamed(&f->cl, b->id, "guest9");
	assert_string_equal(b->nick, "guest9");
	rf_nicks_own(f);
}

/*
 * A topic from Redis is held to PROTO_TOPIC_MAX as a member's /topic
 * is: on its text once cleaned, the topic as kept and shown. 100 bytes
 * that are not UTF-8 clean to 300 (taken), 101 to 303 (dropped, as a
 * member's "!!! topic too long"); 320 bytes of which 20 are controls
 * clean to 300 (taken, as a member's would be).
 */
static void
test_topic_bound_once_cleaned(void **state)
{
	struct rf *f = *state;
	struct client *a = rf_member(f, "alice", 1);
	char raw[PROTO_TOPIC_MAX + 32], want[TEXT_CLEAN_MAX(PROTO_TOPIC_MAX) +
	    64], *p;
	size_t i;

	/* A member's own, for the rule: 101 such bytes are too long (its
	 * line cleaned first, as conn.c does). */
	memset(raw, 0, sizeof raw);
	memcpy(raw, "/topic ", 7);
	memset(raw + 7, 0xfe, 101);
	want[text_clean(raw, strlen(raw), want)] = '\0';
	rf_type(a, want);
	expect_out(a, "!!! topic too long (max 300 bytes)\n");
	rf_expect_calls(f, "");

	/* From Redis: the same 101 bytes, an entry, then hello's topic. */
	memset(raw, 0, sizeof raw);
	memset(raw, 0xfe, 101);
	rf_apply(f, NULL, CLUSTER_TOPIC, cfx_key(OTHER, 3), "zed", raw, 0);
	expect_out(a, "");
	cluster_topic_is(&f->cl, raw);
	rf_type(a, "/topic");
	expect_out(a, "*** no topic\n");

	/* 100 of them: 300 bytes once cleaned, taken. */
	raw[100] = '\0';
	rf_apply(f, NULL, CLUSTER_TOPIC, cfx_key(OTHER, 3), "zed", raw, 0);
	p = want + sprintf(want, "*** zed set the topic: ");
	for (i = 0; i < 100; i++)
		p += sprintf(p, "\xef\xbf\xbd");
	sprintf(p, "\n");
	expect_out(a, want);

	/* 300 letters and 20 ESC: 300 bytes once cleaned, taken. */
	memset(raw, 0, sizeof raw);
	memset(raw, 'y', 300);
	memset(raw + 300, 0x1b, 20);
	cluster_topic_is(&f->cl, raw);
	rf_type(a, "/topic");
	raw[300] = '\0';
	snprintf(want, sizeof want, "*** topic: %s\n", raw);
	expect_out(a, want);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_move_waits_for_its_entry,
		    rf_setup, rf_teardown),
		cmocka_unit_test_setup_teardown(
		    test_move_into_a_room_read_here, rf_setup, rf_teardown),
		cmocka_unit_test_setup_teardown(test_move_refused, rf_setup,
		    rf_teardown),
		cmocka_unit_test_setup_teardown(test_topic_and_rooms, rf_setup,
		    rf_teardown),
		cmocka_unit_test_setup_teardown(
		    test_nick_let_go_in_another_room, rf_setup, rf_teardown),
		cmocka_unit_test_setup_teardown(test_nick_claim_out_reserves,
		    rf_setup, rf_teardown),
		cmocka_unit_test_setup_teardown(
		    test_entry_naming_a_nick_held_here, rf_setup, rf_teardown),
		cmocka_unit_test_setup_teardown(test_topic_bound_once_cleaned,
		    rf_setup, rf_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
