/* test_cluster: the shared room's pure side: publishing events, applying entries. */
#include "room_helpers.h"
#include "cluster_fix.h"

#include <stdio.h>

#include "cluster.h"

#define INST	"00000000000000aa"	/* this instance, in the tests */
#define OTHER	"00000000000000bb"	/* another instance */

/* The room under test, over cluster_fix.h's stand-in for Redis. */
struct fake {
	struct fx	 fx;		/* the room and clients; first member */
	struct cluster	 cl;		/* under test */
	struct cfx_calls io;		/* the ops' io: calls made, rc */
	unsigned	 seq;		/* for entry IDs */
	struct accounts	 acc;		/* the acts' tests: accounts on */
	struct acct_job	*login;		/* a login job, kept for the test to
					   answer (accounts_done()) */
	const char	*place;		/* act(): the room its entry names */
	int64_t		 now;		/* their clock, Unix ms */
};

static const struct cluster_ops fake_ops = {
	cfx_join, cfx_leave, cfx_say, cfx_msg, cfx_nick, cfx_who,
	cfx_act, cfx_go, cfx_topic, cfx_rooms, cfx_backlog,
};

/* Assert the calls made so far, then forget them. */
static void
fake_expect_calls(struct fake *fk, const char *want)
{
	cfx_expect_calls(&fk->io, want);
}

/* cmocka setup: a clustered room with history 3, link up, in UTC. */
static int
fake_setup(void **state)
{
	struct fake *fk;

	if ((fk = calloc(1, sizeof *fk)) == NULL)
		return -1;
	if (room_init(&fk->fx.r, FX_SENDQ, 3) == -1)
		return -1;
	if (cluster_init(&fk->cl, &fk->fx.r, PROTO_MAX_LINE, INST) == -1)
		return -1;
	fk->cl.ops = &fake_ops;
	fk->cl.io = &fk->io;
	fk->cl.up = true;
	fk->fx.r.log = fx_log;
	fk->fx.r.log_arg = &fk->fx;
	room_set_clock(&fk->fx.r, "2026-12-01 14:05");
	room_set_backend(&fk->fx.r, &cluster_backend, &fk->cl);
	*state = fk;
	return 0;
}

static int
fake_teardown(void **state)
{
	struct fake *fk = *state;
	size_t i;

	cluster_free(&fk->cl);
	for (i = 0; i < fk->fx.n; i++)
		client_free(fk->fx.c[i]);
	room_free(&fk->fx.r);
	buf_free(&fk->io.calls);
	buf_free(&fk->fx.log);
	free(fk);
	return 0;
}

/* Apply one entry of kind at time ms with the next ID. */
static void
apply(struct fake *fk, int kind, const char *member, const char *nick,
    const char *text, const char *extra, unsigned long count)
{
	struct cluster_entry e;

	cfx_entry(&e, &fk->seq, kind, member, nick);
	e.text = text;
	e.textlen = text != NULL ? strlen(text) : 0;
	if (kind == CLUSTER_NICK)
		e.old = extra;
	if (kind == CLUSTER_PM)
		e.to = extra;
	e.count = count;
	cluster_apply(&fk->cl, &e);
}

/* A local connection that joined as nick (its join entry applied). */
static struct client *
joined(struct fake *fk, const char *nick, unsigned long count)
{
	struct client *c = fx_client(&fk->fx);

	room_join(&fk->fx.r, c);
	apply(fk, CLUSTER_JOIN, cfx_key(INST, c->id), nick, NULL, NULL, count);
	fx_drain_all(&fk->fx);
	buf_drain(&fk->io.calls, buf_used(&fk->io.calls));
	return c;
}

/* ---------------------------------------------------------------------
 * Options
 * ------------------------------------------------------------------- */

static void
test_room_names(void **state)
{
	(void)state;
	assert_true(cluster_room_valid("lobby"));
	assert_true(cluster_room_valid("A-z_09"));
	assert_true(cluster_room_valid("12345678901234567890123456789012"));
	assert_false(cluster_room_valid(""));
	assert_false(cluster_room_valid("123456789012345678901234567890123"));
	assert_false(cluster_room_valid("a b"));
	assert_false(cluster_room_valid("a:b"));
	assert_false(cluster_room_valid("{x}"));
}

static void
test_ids_and_keys(void **state)
{
	struct fake *fk = *state;
	unsigned cid = 0;

	assert_true(cluster_id_cmp("1-0", "1-1") < 0);
	assert_true(cluster_id_cmp("2-0", "1-9") > 0);
	assert_true(cluster_id_cmp("10-0", "9-0") > 0);
	assert_int_equal(cluster_id_cmp("5-5", "5-5"), 0);
	assert_true(cluster_key_local(&fk->cl, INST ":42", &cid));
	assert_int_equal(cid, 42);
	assert_false(cluster_key_local(&fk->cl, OTHER ":42", &cid));
	assert_false(cluster_key_local(&fk->cl, INST ":", &cid));
	assert_false(cluster_key_local(&fk->cl, INST ":4x", &cid));
	assert_false(cluster_key_local(&fk->cl, INST, &cid));
}

/* ---------------------------------------------------------------------
 * Joining: the welcome comes with the join entry
 * ------------------------------------------------------------------- */

static void
test_join_waits_for_its_entry(void **state)
{
	struct fake *fk = *state;
	struct client *a, *b;

	a = joined(fk, "guest1", 1);
	b = fx_client(&fk->fx);
	room_join(&fk->fx.r, b);
	fake_expect_calls(fk, "join 2\n");
	/* Not a member until its entry is back: nothing is sent to it. */
	assert_true(b->flags & CLIENT_WAITING);
	assert_false(b->flags & CLIENT_JOINED);
	fx_silent(&fk->fx, b);
	fx_silent(&fk->fx, a);
	/* Someone on another instance joins first: b does not hear it. */
	apply(fk, CLUSTER_JOIN, cfx_key(OTHER, 1), "guest7", NULL, NULL, 2);
	fx_expect(&fk->fx, a, "*** guest7 joined\n");
	fx_silent(&fk->fx, b);
	apply(fk, CLUSTER_JOIN, cfx_key(INST, b->id), "guest8", NULL, NULL, 3);
	fx_expect(&fk->fx, b, "*** welcome to lobby, you are guest8 (3 online; "
	    "/help for commands)\n");
	fx_expect(&fk->fx, a, "*** guest8 joined\n");
	assert_string_equal(b->nick, "guest8");
	assert_true(b->flags & CLIENT_JOINED);
	assert_false(b->flags & CLIENT_WAITING);
	assert_ptr_equal(fk->fx.r.tail, b);
}

static void
test_lines_before_welcome_are_held(void **state)
{
	struct fake *fk = *state;
	struct client *b = fx_client(&fk->fx);

	room_join(&fk->fx.r, b);
	fx_say(&fk->fx, b, "/nick bob");
	fx_say(&fk->fx, b, "hello");
	fx_say(&fk->fx, b, "/help");
	/* Only the join went out: the rest waits for the welcome. */
	fake_expect_calls(fk, "join 1\n");
	fx_silent(&fk->fx, b);
	apply(fk, CLUSTER_JOIN, cfx_key(INST, b->id), "guest1", NULL, NULL, 1);
	/* /nick is answered through Redis: what follows waits for it. */
	fake_expect_calls(fk, "nick 1 bob\n");
	cluster_answer(&fk->cl, b->id, CLUSTER_OK, "");
	fake_expect_calls(fk, "");
	apply(fk, CLUSTER_NICK, cfx_key(INST, b->id), "bob", NULL, "guest1", 0);
	fake_expect_calls(fk, "say 1 c hello\n");
	/* The welcome first, then the rename, /help's answer: in the order
	 * sent. */
	char got[FX_MAXOUT];
	(void)fx_peek(&fk->fx, b, got, sizeof got);
	assert_true(strncmp(got, "*** welcome to lobby, you are guest1 (1 "
	    "online; /help for commands)\n*** guest1 is now bob\n"
	    "*** commands:\n", 92) == 0);
}

static void
test_leaving_before_welcome(void **state)
{
	struct fake *fk = *state;
	struct client *b = fx_client(&fk->fx);

	room_join(&fk->fx.r, b);
	fx_say(&fk->fx, b, "hi there");
	fx_say(&fk->fx, b, "/me waves");
	fx_say(&fk->fx, b, "/who");
	fx_say(&fk->fx, b, "//slash");
	room_leave(&fk->fx.r, b, NULL, "eof");
	/* What it said is still published, behind its join, then it goes. */
	fake_expect_calls(fk, "join 1\nsay 1 c hi there\nsay 1 a waves\n"
	    "say 1 c /slash\nleave 1 -\n");
	assert_true(b->flags & CLIENT_CLOSING);
	assert_false(b->flags & CLIENT_WAITING);
	/* Its join entry coming back later changes nothing. */
	apply(fk, CLUSTER_JOIN, cfx_key(INST, b->id), "guest1", NULL, NULL, 1);
	assert_false(b->flags & CLIENT_JOINED);
	assert_null(fk->fx.r.head);
}

static void
test_join_refused(void **state)
{
	struct fake *fk = *state;
	struct client *b = fx_client(&fk->fx), *c = fx_client(&fk->fx);

	room_join(&fk->fx.r, b);
	cluster_refuse(&fk->cl, b->id);
	fx_expect(&fk->fx, b, "!!! room unavailable, try again later\n");
	assert_true(b->flags & CLIENT_CLOSING);
	/* With the link down, a connection is turned away at once. */
	fk->cl.up = false;
	room_join(&fk->fx.r, c);
	fx_expect(&fk->fx, c, "!!! room unavailable, try again later\n");
	assert_true(c->flags & CLIENT_CLOSING);
	fake_expect_calls(fk, "join 1\n");
}

/* ---------------------------------------------------------------------
 * Events: published, applied in stream order, never echoed
 * ------------------------------------------------------------------- */

static void
test_chat_goes_through_the_stream(void **state)
{
	struct fake *fk = *state;
	struct client *a = joined(fk, "alice", 1), *b = joined(fk, "bob", 2);

	fx_say(&fk->fx, a, "hello");
	fx_say(&fk->fx, a, "/me waves");
	fx_say(&fk->fx, a, "//x");
	fake_expect_calls(fk, "say 1 c hello\nsay 1 a waves\nsay 1 c /x\n");
	/* Nobody sees it before the stream says so. */
	fx_silent(&fk->fx, a);
	fx_silent(&fk->fx, b);
	apply(fk, CLUSTER_CHAT, cfx_key(INST, a->id), "alice", "hello", NULL, 0);
	apply(fk, CLUSTER_CHAT, cfx_key(OTHER, 3), "carol", "yo", NULL, 0);
	apply(fk, CLUSTER_ACTION, cfx_key(INST, a->id), "alice", "waves", NULL,
	    0);
	/* The sender never gets its own lines back. */
	fx_expect(&fk->fx, a, "<carol> yo\n");
	fx_expect(&fk->fx, b, "<alice> hello\n<carol> yo\n* alice waves\n");
}

static void
test_entries_once_in_order(void **state)
{
	struct fake *fk = *state;
	struct client *a = joined(fk, "alice", 1);
	struct cluster_entry e;

	memset(&e, 0, sizeof e);
	e.kind = CLUSTER_CHAT;
	e.member = cfx_key(OTHER, 1);
	e.nick = "zed";
	e.text = "one";
	e.textlen = 3;
	snprintf(e.id, sizeof e.id, "%s", "9999999999999-5");
	cluster_apply(&fk->cl, &e);
	/* The same entry again, or an older one, is not delivered twice. */
	cluster_apply(&fk->cl, &e);
	snprintf(e.id, sizeof e.id, "%s", "9999999999999-4");
	cluster_apply(&fk->cl, &e);
	fx_expect(&fk->fx, a, "<zed> one\n");
	assert_string_equal(fk->cl.lastid, "9999999999999-5");
}

/* Whether the room's log holds needle. */
static bool
logged(const struct fake *fk, const char *needle)
{
	const char *p = buf_peek(&fk->fx.log);
	size_t n = buf_used(&fk->fx.log), k = strlen(needle), i;

	for (i = 0; p != NULL && i + k <= n; i++)
		if (memcmp(p + i, needle, k) == 0)
			return true;
	return false;
}

/* Fill out with n copies of the k bytes at unit, then a NUL. */
static char *
repeat(char *out, const char *unit, size_t k, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		memcpy(out + i * k, unit, k);
	out[n * k] = '\0';
	return out;
}

/*
 * --max-line holds for an entry's text as for a member's line: counted
 * before cleaning. The text is stored clean, each U+FFFD maybe one byte
 * of the line, so 1,024 of them (3,072 bytes) pass --max-line 1024 and
 * 1,025 do not; plain text passes at 1,024 bytes and not at 1,025.
 * Text longer than any clean line is dropped before it is cleaned.
 */
static void
test_entry_max_line_before_cleaning(void **state)
{
	struct fake *fk = *state;
	struct client *a = joined(fk, "alice", 1);
	unsigned long dropped = fk->cl.dropped;
	char *text, *want;
	size_t max = PROTO_MAX_LINE;

	assert_non_null(text = malloc(TEXT_CLEAN_MAX(max + 1) + 1));
	assert_non_null(want = malloc(TEXT_CLEAN_MAX(max) + 16));
	/* At the limit: relayed. */
	apply(fk, CLUSTER_CHAT, cfx_key(OTHER, 3), "carol",
	    repeat(text, "\xef\xbf\xbd", 3, max), NULL, 0);
	snprintf(want, TEXT_CLEAN_MAX(max) + 16, "<carol> %s\n", text);
	fx_expect(&fk->fx, a, want);
	text[0] = 'x';
	memmove(text + 1, text + 3, strlen(text + 3) + 1);
	apply(fk, CLUSTER_CHAT, cfx_key(OTHER, 3), "carol", text, NULL, 0);
	snprintf(want, TEXT_CLEAN_MAX(max) + 16, "<carol> %s\n", text);
	fx_expect(&fk->fx, a, want);
	apply(fk, CLUSTER_CHAT, cfx_key(OTHER, 3), "carol",
	    repeat(text, "a", 1, max), NULL, 0);
	snprintf(want, TEXT_CLEAN_MAX(max) + 16, "<carol> %s\n", text);
	fx_expect(&fk->fx, a, want);
	/* Not cleaned yet: cleaned as a member's line would be. */
	apply(fk, CLUSTER_CHAT, cfx_key(OTHER, 3), "carol",
	    repeat(text, "\x80", 1, max), NULL, 0);
	snprintf(want, TEXT_CLEAN_MAX(max) + 16, "<carol> %s\n",
	    repeat(text, "\xef\xbf\xbd", 3, max));
	fx_expect(&fk->fx, a, want);
	assert_int_equal(fk->cl.dropped, dropped);
	/* One over: dropped, whichever way. */
	apply(fk, CLUSTER_CHAT, cfx_key(OTHER, 3), "carol",
	    repeat(text, "\xef\xbf\xbd", 3, max + 1), NULL, 0);
	apply(fk, CLUSTER_ACTION, cfx_key(OTHER, 3), "carol",
	    repeat(text, "a", 1, max + 1), NULL, 0);
	apply(fk, CLUSTER_CHAT, cfx_key(OTHER, 3), "carol",
	    repeat(text, "\x80", 1, max + 1), NULL, 0);
	apply(fk, CLUSTER_CHAT, cfx_key(OTHER, 3), "carol",
	    repeat(text, "\x1b", 1, TEXT_CLEAN_MAX(max) + 1), NULL, 0);
	assert_int_equal(fk->cl.dropped, dropped + 4);
	assert_true(logged(fk, "its text is over --max-line"));
	fx_silent(&fk->fx, a);
	free(text);
	free(want);
}

static void
test_pm_nick_leave(void **state)
{
	struct fake *fk = *state;
	struct client *a = joined(fk, "alice", 1), *b = joined(fk, "bob", 2);

	fx_say(&fk->fx, a, "/msg BOB psst");
	fx_say(&fk->fx, a, "/nick Al");
	fx_say(&fk->fx, a, "/nick Al");
	fx_say(&fk->fx, a, "/who");
	/* Each command answered through Redis holds what follows until its
	 * answer is there: the answers come in the order of the commands. */
	fake_expect_calls(fk, "msg 1 BOB psst\n");
	apply(fk, CLUSTER_PM, cfx_key(INST, a->id), "alice", "psst",
	    cfx_key(INST, b->id), 0);
	fx_silent(&fk->fx, a);
	fx_expect(&fk->fx, b, "[pm] <alice> psst\n");
	fake_expect_calls(fk, "");
	cluster_answer(&fk->cl, a->id, CLUSTER_OK, "");
	fake_expect_calls(fk, "nick 1 Al\n");
	/* A nick change is for everyone, the one who changed included; its
	 * entry may come before Redis's answer. */
	apply(fk, CLUSTER_NICK, cfx_key(INST, a->id), "Al", NULL, "alice", 0);
	assert_string_equal(a->nick, "Al");
	fx_expect(&fk->fx, a, "*** alice is now Al\n");
	fx_expect(&fk->fx, b, "*** alice is now Al\n");
	fake_expect_calls(fk, "");
	cluster_answer(&fk->cl, a->id, CLUSTER_OK, "");
	/* The second /nick Al is answered here, then /who goes. */
	fx_expect(&fk->fx, a, "!!! you are already Al\n");
	fake_expect_calls(fk, "who 1\n");
	/* Answers from Redis go to their member alone. */
	static const char *const who[] = { "Al", "bob" };
	cluster_who_reply(&fk->cl, a->id, who, 2);
	fx_expect(&fk->fx, a, "*** 2 online: Al bob\n");
	fx_silent(&fk->fx, b);
	assert_false(a->flags & CLIENT_ASKING);
	/* A leave is out of the local room at once, told by the stream. */
	room_leave(&fk->fx.r, b, "bye", "quit");
	fake_expect_calls(fk, "leave 2 bye\n");
	assert_true(b->flags & CLIENT_CLOSING);
	assert_int_equal(fk->fx.r.count, 1);
	fx_silent(&fk->fx, a);
	apply(fk, CLUSTER_LEAVE, cfx_key(INST, b->id), "bob", "bye", NULL, 0);
	fx_expect(&fk->fx, a, "*** bob left (bye)\n");
	apply(fk, CLUSTER_LEAVE, cfx_key(OTHER, 9), "zed", "lost", NULL, 0);
	apply(fk, CLUSTER_LEAVE, cfx_key(OTHER, 8), "yan", NULL, NULL, 0);
	fx_expect(&fk->fx, a, "*** zed left (lost)\n*** yan left\n");
	fx_silent(&fk->fx, b);
}

/*
 * A command answered through Redis holds its member's later lines until
 * the answer is there, whatever it is: the answers keep the commands'
 * order, the link lost or not.
 */
static void
test_answers_keep_order(void **state)
{
	struct fake *fk = *state;
	struct client *a = joined(fk, "alice", 1);

	fx_say(&fk->fx, a, "/nick bob");
	fx_say(&fk->fx, a, "/topic");
	fake_expect_calls(fk, "nick 1 bob\n");
	fx_silent(&fk->fx, a);
	/* Refused: no entry follows, the held lines run now. */
	cluster_answer(&fk->cl, a->id, CLUSTER_TAKEN, "bob");
	fx_expect(&fk->fx, a, "!!! nick bob is taken\n*** no topic\n");
	assert_false(a->flags & CLIENT_ASKING);
	fx_say(&fk->fx, a, "/who");
	fx_say(&fk->fx, a, "/topic");
	fx_say(&fk->fx, a, "hello");
	fake_expect_calls(fk, "who 1\n");
	fx_silent(&fk->fx, a);
	/* The link goes: the question's answer still comes first (NULL:
	 * lost with the link), then the held lines, refused or answered. */
	cluster_down(&fk->cl);
	fx_expect(&fk->fx, a, "*** lost the link to the room, retrying\n");
	assert_true(a->flags & CLIENT_ASKING);
	cluster_who_reply(&fk->cl, a->id, NULL, 0);
	fx_expect(&fk->fx, a, "!!! room unavailable, try again later\n"
	    "*** no topic\n!!! room unavailable, message not sent\n");
	assert_false(a->flags & CLIENT_ASKING);
	fake_expect_calls(fk, "");
}

/* ---------------------------------------------------------------------
 * History
 * ------------------------------------------------------------------- */

static void
test_history_for_joiners(void **state)
{
	struct fake *fk = *state;
	struct cluster_entry e;
	struct client *a;

	/* An old line from the day before, read at start-up. */
	memset(&e, 0, sizeof e);
	snprintf(e.id, sizeof e.id, "1796047500000-0");
	snprintf(e.stamp, sizeof e.stamp, "2026-11-30 14:05");
	e.kind = CLUSTER_CHAT;
	e.member = cfx_key(OTHER, 1);
	e.nick = "old";
	e.text = "yesterday";
	e.textlen = 9;
	cluster_remember(&fk->cl, &e);
	e.kind = CLUSTER_JOIN;
	snprintf(e.id, sizeof e.id, "1796047500000-1");
	cluster_remember(&fk->cl, &e);
	a = fx_client(&fk->fx);
	room_join(&fk->fx.r, a);
	apply(fk, CLUSTER_CHAT, cfx_key(OTHER, 1), "zed", "one", NULL, 0);
	apply(fk, CLUSTER_JOIN, cfx_key(OTHER, 2), "x", NULL, NULL, 2);
	apply(fk, CLUSTER_ACTION, cfx_key(OTHER, 1), "zed", "two", NULL, 0);
	apply(fk, CLUSTER_PM, cfx_key(OTHER, 1), "zed", "secret", cfx_key(OTHER, 2),
	    0);
	apply(fk, CLUSTER_JOIN, cfx_key(INST, a->id), "guest3", NULL, NULL, 3);
	fx_expect(&fk->fx, a, "*** welcome to lobby, you are guest3 (3 online; "
	    "/help for commands)\n"
	    "*** last 3 messages:\n"
	    "[2026-11-30 14:05] <old> yesterday\n"
	    "[14:05] <zed> one\n"
	    "[14:05] * zed two\n"
	    "*** end of history\n");
	/* The room log keeps 3: a fourth line pushes out the oldest. */
	apply(fk, CLUSTER_CHAT, cfx_key(OTHER, 1), "zed", "three", NULL, 0);
	fx_expect(&fk->fx, a, "<zed> three\n");
	assert_int_equal(rlog_history_count(&fk->fx.r.rlog), 3);
}

/* ---------------------------------------------------------------------
 * The link going down and coming back
 * ------------------------------------------------------------------- */

static void
test_link_down_and_back(void **state)
{
	struct fake *fk = *state;
	struct client *a = joined(fk, "alice", 1), *b = joined(fk, "bob", 2);
	struct client *p = fx_client(&fk->fx);

	room_join(&fk->fx.r, p);
	buf_drain(&fk->io.calls, buf_used(&fk->io.calls));
	cluster_down(&fk->cl);
	fx_expect(&fk->fx, a, "*** lost the link to the room, retrying\n");
	fx_expect(&fk->fx, b, "*** lost the link to the room, retrying\n");
	/* A joiner still waiting cannot be welcomed now. */
	fx_expect(&fk->fx, p, "!!! room unavailable, try again later\n");
	assert_true(p->flags & CLIENT_CLOSING);
	fx_say(&fk->fx, a, "hello");
	fx_say(&fk->fx, a, "/me waves");
	fx_say(&fk->fx, a, "/msg bob x");
	fx_say(&fk->fx, a, "/nick zz");
	fx_say(&fk->fx, a, "/who");
	fx_expect(&fk->fx, a, "!!! room unavailable, message not sent\n"
	    "!!! room unavailable, message not sent\n"
	    "!!! room unavailable, message not sent\n"
	    "!!! room unavailable, message not sent\n"
	    "!!! room unavailable, try again later\n");
	/* Local commands still work. */
	fx_say(&fk->fx, a, "/nick");
	fx_expect(&fk->fx, a, "!!! usage: /nick NAME\n");
	/* A leave is remembered for when the link is back. */
	room_leave(&fk->fx.r, b, "later", "quit");
	fake_expect_calls(fk, "");
	assert_non_null(fk->cl.gone);
	assert_int_equal(fk->cl.gone->cid, b->id);
	assert_string_equal(fk->cl.gone->reason, "later");
	cluster_up(&fk->cl, true);
	fx_expect(&fk->fx, a, "*** link to the room restored\n"
	    "*** some messages were missed while the link was down\n");
	cluster_gone_clear(&fk->cl);
	assert_null(fk->cl.gone);
	/* A member registered again under another nick is told. */
	cluster_renamed(&fk->cl, a->id, "guest9");
	fx_expect(&fk->fx, a, "*** alice was taken while the link was down: you are "
	    "now guest9\n");
	assert_string_equal(a->nick, "guest9");
}

/*
 * This instance was paused (or cut off) past its heartbeat: the others
 * took its members out as lost, and it registered them again. Its own
 * members never hear that they or a neighbour left or came back; one
 * whose nick was taken meanwhile is told, and its neighbours see it.
 */
static void
test_taken_out_while_here(void **state)
{
	struct fake *fk = *state;
	struct client *a = joined(fk, "alice", 1), *n = joined(fk, "nell", 2);

	assert_false(fk->cl.relink);
	apply(fk, CLUSTER_LEAVE, cfx_key(INST, a->id), "alice", "lost", NULL, 0);
	apply(fk, CLUSTER_LEAVE, cfx_key(INST, n->id), "nell", "lost", NULL, 0);
	fx_silent(&fk->fx, a);
	fx_silent(&fk->fx, n);
	/* The I/O side is asked to register them again. */
	assert_true(fk->cl.relink);
	assert_int_equal(fk->fx.r.count, 2);
	/* Someone elsewhere took nell's nick meanwhile. */
	apply(fk, CLUSTER_NICK, cfx_key(OTHER, 1), "nell", NULL, "carol", 0);
	fx_expect(&fk->fx, a, "*** carol is now nell\n");
	fx_expect(&fk->fx, n, "*** carol is now nell\n");
	/* Back: alice under her nick (nothing to tell), nell as a guest. */
	apply(fk, CLUSTER_JOIN, cfx_key(INST, a->id), "alice", NULL, NULL, 3);
	fx_silent(&fk->fx, a);
	fx_silent(&fk->fx, n);
	apply(fk, CLUSTER_JOIN, cfx_key(INST, n->id), "guest7", NULL, NULL, 4);
	fx_expect(&fk->fx, n, "*** nell was taken while the link was down: you "
	    "are now guest7\n");
	fx_expect(&fk->fx, a, "*** nell is now guest7\n");
	assert_string_equal(n->nick, "guest7");
	/* The answer to the sync says the same: told once only. */
	cluster_renamed(&fk->cl, n->id, "guest7");
	fx_silent(&fk->fx, n);
	fx_silent(&fk->fx, a);
	/* The others' leaves and joins are still relayed. */
	apply(fk, CLUSTER_LEAVE, cfx_key(OTHER, 1), "nell", "lost", NULL, 0);
	apply(fk, CLUSTER_JOIN, cfx_key(OTHER, 2), "zed", NULL, NULL, 3);
	fx_expect(&fk->fx, a, "*** nell left (lost)\n*** zed joined\n");
	fake_expect_calls(fk, "");
}

/*
 * What a member is told of a line that did not go: refused (not sent),
 * refused while the room recovers from a data loss (try again later),
 * or lost with the link before Redis answered (nobody knows).
 */
static void
test_outcomes_told(void **state)
{
	struct fake *fk = *state;
	struct client *a = joined(fk, "alice", 1);

	assert_string_equal(cluster_nick_of(&fk->cl, a->id), "alice");
	assert_string_equal(cluster_nick_of(&fk->cl, a->id + 1), "");
	cluster_status(&fk->cl, a->id, CLUSTER_OK, "");
	fx_silent(&fk->fx, a);
	cluster_status(&fk->cl, a->id, CLUSTER_UNAVAILABLE, "");
	cluster_status(&fk->cl, a->id, CLUSTER_RECOVERING, "");
	cluster_status(&fk->cl, a->id, CLUSTER_UNKNOWN, "");
	cluster_status(&fk->cl, a->id, CLUSTER_TAKEN, "bob");
	fx_expect(&fk->fx, a, "!!! room unavailable, message not sent\n"
	    "!!! room unavailable, try again later\n"
	    "!!! link lost: your last line may or may not have been sent\n"
	    "!!! nick bob is taken\n");
	/* A joiner Redis refused (the room is recovering) is turned away. */
	struct client *p = fx_client(&fk->fx);

	room_join(&fk->fx.r, p);
	fake_expect_calls(fk, "join 2\n");
	cluster_refuse(&fk->cl, p->id);
	fx_expect(&fk->fx, p, "!!! room unavailable, try again later\n");
	assert_true(p->flags & CLIENT_CLOSING);
	fx_silent(&fk->fx, a);
}

static void
test_publish_failure_tells_sender(void **state)
{
	struct fake *fk = *state;
	struct client *a = joined(fk, "alice", 1);

	fk->io.rc = -1;
	fx_say(&fk->fx, a, "hello");
	fx_say(&fk->fx, a, "/who");
	fx_expect(&fk->fx, a, "!!! room unavailable, message not sent\n"
	    "!!! room unavailable, try again later\n");
}

/* ---------------------------------------------------------------------
 * Acts: kicks, bans, mutes and logins cross instances
 * ------------------------------------------------------------------- */

static const char *const fake_oplist[] = { "alice" };

/* The accounts' store: every job is written to calls, then freed. */
static int
fake_submit(void *arg, struct acct_job *j)
{
	struct fake *fk = arg;

	if (j->kind == ACCT_JOB_BAN)
		(void)cfx_call(&fk->io, "store %s also %s", j->ban.target,
		    j->ban.also[0] != '\0' ? j->ban.also : "-");
	else if (j->kind == ACCT_JOB_UNBAN)
		(void)cfx_call(&fk->io, "unstore %s", j->ban.target);
	if (j->kind == ACCT_JOB_LOGIN && fk->login == NULL) {
		fk->login = j;
		return 0;
	}
	free(j);
	return 0;
}

static int64_t
fake_clock(void *arg)
{
	return ((struct fake *)arg)->now;
}

static int
fake_publish(void *arg, struct client *c, const struct acct_act *a)
{
	return cluster_act(arg, c, a);
}

static bool
fake_linked(void *arg)
{
	return cluster_linked(arg);
}

/* cmocka setup: fake_setup's room with accounts on, alice an --op. */
static int
acts_setup(void **state)
{
	struct fake *fk;

	if (fake_setup(state) == -1)
		return -1;
	fk = *state;
	accounts_init(&fk->acc, true, fake_oplist, 1);
	fk->acc.submit = fake_submit;
	fk->acc.submit_arg = fk;
	fk->acc.clock = fake_clock;
	fk->acc.clock_arg = fk;
	fk->acc.publish = fake_publish;
	fk->acc.publish_arg = &fk->cl;
	fk->acc.linked = fake_linked;
	fk->acc.linked_arg = &fk->cl;
	fk->now = 1796133900000LL;
	fk->fx.r.accounts = &fk->acc;
	return 0;
}

static int
acts_teardown(void **state)
{
	struct fake *fk = *state;

	free(fk->login);
	accounts_free(&fk->acc);
	return fake_teardown(state);
}

/* One act's entry: kind, by member (op's nick, account who), naming
 * target key to (or NULL) and nick old, address addr, reason, minutes. */
static void
act(struct fake *fk, int kind, const char *member, const char *nick,
    const char *who, const char *to, const char *old, const char *addr,
    const char *reason, unsigned long minutes)
{
	struct cluster_entry e;

	cfx_entry(&e, &fk->seq, kind, member, nick);
	e.who = who;
	e.to = to;
	e.old = old;
	e.addr = addr;
	e.text = reason != NULL ? reason : "";
	e.textlen = strlen(e.text);
	e.count = minutes;
	e.place = fk->place;
	cluster_apply(&fk->cl, &e);
	room_settle(&fk->fx.r);
}

/* A joined member named nick from address addr, drained. */
static struct client *
joined_at(struct fake *fk, const char *nick, const char *addr)
{
	struct client *c = joined(fk, nick, 1);

	snprintf(c->addr, sizeof c->addr, "%s:40000", addr);
	fx_drain_all(&fk->fx);
	return c;
}

static void
test_acts_published(void **state)
{
	struct fake *fk = *state;
	struct client *a = joined_at(fk, "alice", "10.0.0.1");

	snprintf(a->account, sizeof a->account, "alice");
	/* An operator's commands go to the stream; nothing happens here
	 * before their entries come back. */
	fx_say(&fk->fx, a, "/kick bob  go away");
	fx_say(&fk->fx, a, "/mute bob 5");
	fx_say(&fk->fx, a, "/ban 10.0.0.9 3 flood");
	/* A ban goes to the stream first: the link refuses it whole or
	 * takes it, and only then is it stored. */
	fake_expect_calls(fk, "act 1 K bob 0 alice go away\n"
	    "act 1 M bob 5 alice \n"
	    "act 1 A 10.0.0.9 3 alice flood\n"
	    "store a:10.0.0.9 also -\n");
	fx_expect(&fk->fx, a, "*** banned 10.0.0.9 for 3 minutes\n");
	/* A ban of an account is kept by the operator's instance. */
	fx_say(&fk->fx, a, "/ban dave 0");
	fake_expect_calls(fk, "act 1 B dave 0 alice \n"
	    "store n:dave also -\n");
	fx_expect(&fk->fx, a, "*** banned dave until unbanned\n");
	/* Not a nick: nobody can be called that. */
	fx_say(&fk->fx, a, "/kick b@d");
	fx_expect(&fk->fx, a, "!!! no such user: b@d\n");
	fake_expect_calls(fk, "");
	/* The link down: the operator is told. */
	fk->cl.up = false;
	fx_say(&fk->fx, a, "/kick bob");
	fx_expect(&fk->fx, a, "!!! room unavailable, message not sent\n");
	fake_expect_calls(fk, "");
	/* A ban too, whole: nothing is stored. */
	fx_say(&fk->fx, a, "/ban eve 5");
	fx_expect(&fk->fx, a, "!!! room unavailable, message not sent\n");
	fake_expect_calls(fk, "");
	/* An /unban too, whole: dave's ban stays, nothing is written. */
	fx_say(&fk->fx, a, "/unban dave");
	fx_expect(&fk->fx, a, "!!! room unavailable, message not sent\n");
	fake_expect_calls(fk, "");
	assert_int_equal(fk->acc.nbans, 2);
	assert_string_equal(fk->acc.bans[1].target, "n:dave");
	/* The link back: lifted, and written. */
	fk->cl.up = true;
	fx_say(&fk->fx, a, "/unban dave");
	fx_expect(&fk->fx, a, "*** unbanned dave\n");
	fake_expect_calls(fk, "unstore n:dave\n");
	assert_int_equal(fk->acc.nbans, 1);
}

/* A login's act with the link down, or refused when handed to Redis:
 * the accounts are told (-1), and answer the member themselves. */
static void
test_act_login_link_down(void **state)
{
	struct fake *fk = *state;
	struct client *g = joined_at(fk, "guest", "10.0.0.7");
	struct acct_act a;

	memset(&a, 0, sizeof a);
	a.kind = ACCT_ACT_LOGIN;
	a.by = "";
	a.by_acct = "";
	a.target = "bob";
	a.reason = "logged in from elsewhere";
	a.rlen = strlen(a.reason);
	fk->cl.up = false;
	assert_int_equal(cluster_act(&fk->cl, g, &a), -1);
	fx_silent(&fk->fx, g);
	fake_expect_calls(fk, "");
	fk->cl.up = true;
	fk->io.rc = -1;
	assert_int_equal(cluster_act(&fk->cl, g, &a), -1);
	fx_silent(&fk->fx, g);
	fake_expect_calls(fk, "act 1 L bob 0  logged in from elsewhere\n");
	fk->io.rc = 0;
	assert_int_equal(cluster_act(&fk->cl, g, &a), 0);
	fake_expect_calls(fk, "act 1 L bob 0  logged in from elsewhere\n");
	fx_silent(&fk->fx, g);
}

static void
test_act_kick_here_and_elsewhere(void **state)
{
	struct fake *fk = *state;
	struct client *b = joined_at(fk, "bob", "10.0.0.2");
	struct client *c = joined_at(fk, "carol", "10.0.0.3");

	/* A member of another instance: nothing to do here. */
	act(fk, CLUSTER_KICK, cfx_key(OTHER, 1), "alice", "alice", cfx_key(OTHER, 4),
	    "zed", NULL, "bye", 0);
	fx_silent(&fk->fx, b);
	fx_silent(&fk->fx, c);
	fake_expect_calls(fk, "");
	/* Ours: told and closed here; its leave, with the reason, goes to
	 * the stream, whence every instance's room hears of it. */
	act(fk, CLUSTER_KICK, cfx_key(OTHER, 1), "alice", "alice",
	    cfx_key(INST, b->id), "bob", NULL, "go away", 0);
	fx_expect(&fk->fx, b, "*** kicked by alice: go away\n");
	assert_true(b->flags & CLIENT_CLOSING);
	assert_false(b->flags & CLIENT_JOINED);
	fake_expect_calls(fk, "leave 1 kicked by alice: go away\n");
	fx_silent(&fk->fx, c);
	assert_true(logged(fk, "client 1 bob kicked by operator alice"));
}

static void
test_act_bans(void **state)
{
	struct fake *fk = *state;
	struct client *a = joined_at(fk, "alice", "10.0.0.5");
	struct client *d = joined_at(fk, "dave", "10.0.0.4");
	struct client *x = joined_at(fk, "xena", "10.0.0.5");
	struct client *y = joined_at(fk, "yuri", "10.0.0.6");

	/* dave's account; its member is here: its address too, linked. */
	act(fk, CLUSTER_BAN, cfx_key(OTHER, 1), "alice", "alice",
	    cfx_key(INST, d->id), "dave", NULL, "spam", 10);
	fx_expect(&fk->fx, d, "!!! you are banned: spam\n");
	assert_true(d->flags & CLIENT_CLOSING);
	fake_expect_calls(fk, "store a:10.0.0.4 also n:dave\n"
	    "leave 2 banned by alice: spam\n");
	assert_int_equal(fk->acc.nbans, 2);
	assert_string_equal(fk->acc.bans[0].target, "n:dave");
	assert_int_equal(fk->acc.bans[0].until, fk->now + 600000);
	/* An account whose member is elsewhere: only noted here. */
	act(fk, CLUSTER_BAN, cfx_key(OTHER, 1), "alice", "alice", "", "eve",
	    NULL, "", 0);
	fake_expect_calls(fk, "");
	assert_int_equal(fk->acc.nbans, 3);
	/* An address: every member from it here but the operator. */
	act(fk, CLUSTER_BANADDR, cfx_key(INST, a->id), "alice", "alice", NULL,
	    NULL, "10.0.0.5", "go", 5);
	fx_expect(&fk->fx, x, "!!! you are banned: go\n");
	assert_true(x->flags & CLIENT_CLOSING);
	assert_false(a->flags & CLIENT_CLOSING);
	assert_false(y->flags & CLIENT_CLOSING);
	fake_expect_calls(fk, "leave 3 banned by alice: go\n");
	assert_int_equal(fk->acc.nbans, 4);
	/* And it is refused at accept from now on, here too. */
	{
		struct client *n = fx_client(&fk->fx);

		snprintf(n->addr, sizeof n->addr, "10.0.0.5:40001");
		assert_true(accounts_refuse(&fk->acc, &fk->fx.r, n));
	}
}

static void
test_act_mute_runs_out_here(void **state)
{
	struct fake *fk = *state;
	struct client *b = joined_at(fk, "bob", "10.0.0.2");
	struct client *c = joined_at(fk, "carol", "10.0.0.3");

	act(fk, CLUSTER_MUTE, cfx_key(OTHER, 1), "alice", "alice",
	    cfx_key(INST, b->id), "bob", NULL, NULL, 1);
	fx_expect(&fk->fx, b, "*** bob was muted by alice\n");
	fx_expect(&fk->fx, c, "*** bob was muted by alice\n");
	fx_say(&fk->fx, b, "hello?");
	fx_say(&fk->fx, b, "/me waves");
	fx_expect(&fk->fx, b, "!!! you are muted\n!!! you are muted\n");
	fake_expect_calls(fk, "");
	/* A minute on, this instance lifts it: bob is told, and speaks. */
	fk->now += 60000;
	assert_int_equal(accounts_tick(&fk->acc, &fk->fx.r), -1);
	fx_expect(&fk->fx, b, "*** you are no longer muted\n");
	fx_say(&fk->fx, b, "back");
	fake_expect_calls(fk, "say 1 c back\n");
	/* Muted elsewhere, then unmuted: the room here hears both. */
	act(fk, CLUSTER_MUTE, cfx_key(OTHER, 1), "alice", "alice", cfx_key(OTHER, 2),
	    "zed", NULL, NULL, 0);
	act(fk, CLUSTER_UNMUTE, cfx_key(OTHER, 1), "alice", "alice", NULL, "Zed",
	    NULL, NULL, 0);
	fx_expect(&fk->fx, c, "*** zed was muted by alice\n"
	    "*** Zed was unmuted by alice\n");
	assert_int_equal(fk->acc.nmutes, 0);
}

static void
test_act_login_elsewhere(void **state)
{
	struct fake *fk = *state;
	struct client *old = joined_at(fk, "bob", "10.0.0.2");
	struct client *away = joined_at(fk, "bobby", "10.0.0.3");
	struct client *c = joined_at(fk, "carol", "10.0.0.4");

	/* bob's older sessions: the one Redis took out of the room with
	 * the entry (it held the nick), and another logged in as bob. */
	snprintf(away->account, sizeof away->account, "bob");
	act(fk, CLUSTER_LOGIN, cfx_key(OTHER, 9), "bob", NULL, cfx_key(INST, old->id),
	    NULL, NULL, NULL, 0);
	fx_expect(&fk->fx, old, "*** logged in from elsewhere\n");
	fx_expect(&fk->fx, away, "*** logged in from elsewhere\n");
	assert_true(old->flags & CLIENT_CLOSING);
	assert_true(away->flags & CLIENT_CLOSING);
	assert_string_equal(away->account, "");
	fake_expect_calls(fk, "leave 1 logged in from elsewhere\n"
	    "leave 2 logged in from elsewhere\n");
	fx_silent(&fk->fx, c);
	/* Its own entry: the new session stays. */
	snprintf(c->account, sizeof c->account, "carol");
	act(fk, CLUSTER_LOGIN, cfx_key(INST, c->id), "carol", NULL,
	    cfx_key(INST, c->id), NULL, NULL, NULL, 0);
	assert_false(c->flags & CLIENT_CLOSING);
	fake_expect_calls(fk, "");
}

/*
 * A login takes the account's nick from the member here that holds it:
 * its act, published first, takes that member out of the room in Redis
 * and comes back first (the landing room's stream is read first), so
 * the claim that follows its answer goes out though the nick is held
 * here still, and is applied after that member has gone. Never two
 * alike.
 */
static void
test_act_login_takes_the_nick_here(void **state)
{
	struct fake *fk = *state;
	struct client *old = joined_at(fk, "bob", "10.0.0.2");
	struct client *g = joined_at(fk, "guest2", "10.0.0.3");
	struct client *z = joined_at(fk, "zed", "10.0.0.4");
	struct acct_job *j;

	snprintf(old->account, sizeof old->account, "bob");
	(void)accounts_add_key(&fk->acc, "bob");
	fx_say(&fk->fx, g, "/login bob secret123");
	assert_non_null(j = fk->login);
	fk->login = NULL;
	j->status = ACCT_OK;
	snprintf(j->found, sizeof j->found, "bob");
	accounts_done(&fk->acc, &fk->fx.r, j);
	fake_expect_calls(fk, "act 2 L bob 0  logged in from elsewhere\n");
	fx_silent(&fk->fx, g);
	/* Redis took the act: the login is done, the claim goes out. */
	cluster_answer(&fk->cl, g->id, CLUSTER_OK, "");
	fake_expect_calls(fk, "nick 2 bob\n");
	fx_expect(&fk->fx, g, "*** you are logged in as bob\n");
	assert_string_equal(old->nick, "bob");
	assert_string_equal(g->nick, "guest2");
	/* The act's entry: old goes; its leave, g's answer and its entry
	 * follow. */
	act(fk, CLUSTER_LOGIN, cfx_key(INST, g->id), "bob", NULL,
	    cfx_key(INST, old->id), NULL, NULL, NULL, 0);
	fx_expect(&fk->fx, old, "*** logged in from elsewhere\n");
	assert_false(old->flags & CLIENT_JOINED);
	fake_expect_calls(fk, "leave 1 logged in from elsewhere\n");
	apply(fk, CLUSTER_LEAVE, cfx_key(INST, old->id), "bob",
	    "logged in from elsewhere", NULL, 0);
	cluster_answer(&fk->cl, g->id, CLUSTER_OK, "");
	apply(fk, CLUSTER_NICK, cfx_key(INST, g->id), "bob", NULL, "guest2",
	    0);
	assert_string_equal(g->nick, "bob");
	assert_string_equal(g->account, "bob");
	assert_ptr_equal(room_find_any(&fk->fx.r, "bob", 3), g);
	fx_expect(&fk->fx, z, "*** bob left (logged in from elsewhere)\n"
	    "*** guest2 is now bob\n");
}

/* g's /login bob, its password right: the job comes back. */
static void
login_checked(struct fake *fk, struct client *g)
{
	struct acct_job *j;

	fx_say(&fk->fx, g, "/login bob secret123");
	assert_non_null(j = fk->login);
	fk->login = NULL;
	j->status = ACCT_OK;
	snprintf(j->found, sizeof j->found, "bob");
	accounts_done(&fk->acc, &fk->fx.r, j);
}

/*
 * A login is done here only once Redis has answered its act: the act
 * may fail after it was handed on (an error answer, a key of the wrong
 * type; the link lost before the answer), and the account's older
 * session elsewhere would then stay, logged in twice. Refused as with
 * the link down: the member stays as it was, its lines sent meanwhile
 * run after the answer.
 */
static void
test_act_login_refused_by_redis(void **state)
{
	struct fake *fk = *state;
	struct client *g = joined_at(fk, "guest2", "10.0.0.3");
	struct client *z = joined_at(fk, "zed", "10.0.0.4");
	static const enum cluster_status sts[] = {
		CLUSTER_UNAVAILABLE, CLUSTER_UNKNOWN, CLUSTER_RECOVERING,
	};
	size_t i;

	(void)accounts_add_key(&fk->acc, "bob");
	for (i = 0; i < sizeof sts / sizeof sts[0]; i++) {
		login_checked(fk, g);
		/* Out: nothing done here yet, the nick not claimed. */
		fake_expect_calls(fk, "act 1 L bob 0  logged in from "
		    "elsewhere\n");
		fx_silent(&fk->fx, g);
		assert_string_equal(g->account, "");
		fx_say(&fk->fx, g, "hello");
		fake_expect_calls(fk, "");
		cluster_answer(&fk->cl, g->id, sts[i], "");
		fx_expect(&fk->fx, g, "!!! room unavailable, try again "
		    "later\n");
		fake_expect_calls(fk, "say 1 c hello\n");
		assert_string_equal(g->nick, "guest2");
		assert_string_equal(g->account, "");
		assert_false(g->flags & (CLIENT_ASKING | CLIENT_CLOSING));
		assert_true(logged(fk, "client 1: login as bob refused"));
		fx_silent(&fk->fx, z);
	}
	/* Answered OK: done, the nick claimed. */
	login_checked(fk, g);
	fake_expect_calls(fk, "act 1 L bob 0  logged in from elsewhere\n");
	fx_silent(&fk->fx, g);
	cluster_answer(&fk->cl, g->id, CLUSTER_OK, "");
	fake_expect_calls(fk, "nick 1 bob\n");
	fx_expect(&fk->fx, g, "*** you are logged in as bob\n");
	assert_string_equal(g->account, "bob");
}

static void
test_act_notices_where_the_target_is(void **state)
{
	struct fake *fk = *state;
	struct client *a = joined_at(fk, "alice", "10.0.0.1");
	struct client *c = joined_at(fk, "carol", "10.0.0.3");
	unsigned long dropped = fk->cl.dropped;

	/* Its target in a room nobody here is in: noted, not shown; the
	 * operator, here, sees it done from its own room. */
	fk->place = "side";
	act(fk, CLUSTER_MUTE, cfx_key(INST, a->id), "alice", "alice",
	    cfx_key(OTHER, 2), "zed", NULL, NULL, 5);
	fx_expect(&fk->fx, a, "*** zed was muted by alice\n");
	fx_silent(&fk->fx, c);
	assert_int_equal(fk->acc.nmutes, 1);
	act(fk, CLUSTER_KICK, cfx_key(INST, a->id), "alice", "alice",
	    cfx_key(OTHER, 2), "zed", NULL, "go", 0);
	fx_expect(&fk->fx, a, "*** zed left (kicked by alice: go)\n");
	/* An account's ban whose member is nowhere: nobody left. */
	act(fk, CLUSTER_BAN, cfx_key(INST, a->id), "alice", "alice", "", "yan",
	    NULL, NULL, 0);
	fx_silent(&fk->fx, a);
	/* Shown in its room here (any case): the operator in it too. */
	fk->place = "LOBBY";
	act(fk, CLUSTER_UNMUTE, cfx_key(INST, a->id), "alice", "alice", NULL,
	    "zed", NULL, NULL, 0);
	fx_expect(&fk->fx, a, "*** zed was unmuted by alice\n");
	fx_expect(&fk->fx, c, "*** zed was unmuted by alice\n");
	assert_int_equal(fk->acc.nmutes, 0);
	/* A room name that is not one: dropped. */
	fk->place = "no such room!";
	act(fk, CLUSTER_MUTE, cfx_key(OTHER, 1), "alice", "alice", cfx_key(OTHER, 2),
	    "zed", NULL, NULL, 5);
	assert_int_equal(fk->cl.dropped, dropped + 1);
	assert_int_equal(fk->acc.nmutes, 0);
	assert_true(logged(fk, "its room name is not one"));
	fx_silent(&fk->fx, a);
	fx_silent(&fk->fx, c);
}

static void
test_act_untrusted_dropped(void **state)
{
	struct fake *fk = *state;
	struct client *b = joined_at(fk, "bob", "10.0.0.2");
	unsigned long dropped = fk->cl.dropped;

	/* Not an operator here (every instance should share --op). */
	act(fk, CLUSTER_KICK, cfx_key(OTHER, 1), "mallory", "mallory",
	    cfx_key(INST, b->id), "bob", NULL, "", 0);
	/* No account named at all. */
	act(fk, CLUSTER_MUTE, cfx_key(OTHER, 1), "alice", NULL,
	    cfx_key(INST, b->id), "bob", NULL, "", 5);
	/* No target, a target that is not a nick, not an address. */
	act(fk, CLUSTER_KICK, cfx_key(OTHER, 1), "alice", "alice",
	    cfx_key(INST, b->id), NULL, NULL, "", 0);
	act(fk, CLUSTER_MUTE, cfx_key(OTHER, 1), "alice", "alice",
	    cfx_key(INST, b->id), "b\x7f" "b", NULL, "", 0);
	act(fk, CLUSTER_BANADDR, cfx_key(OTHER, 1), "alice", "alice", NULL, NULL,
	    "10.0.0.2; DROP", "", 0);
	/* Minutes past ten years; an operator's nick that is not one. */
	act(fk, CLUSTER_MUTE, cfx_key(OTHER, 1), "alice", "alice",
	    cfx_key(INST, b->id), "bob", NULL, "", 99999999);
	act(fk, CLUSTER_KICK, cfx_key(OTHER, 1), "al ice", "alice",
	    cfx_key(INST, b->id), "bob", NULL, "", 0);
	assert_int_equal(fk->cl.dropped, dropped + 7);
	assert_true(b->flags & CLIENT_JOINED);
	assert_false(b->flags & CLIENT_CLOSING);
	fx_silent(&fk->fx, b);
	fake_expect_calls(fk, "");
	assert_int_equal(fk->acc.nmutes, 0);
	assert_int_equal(fk->acc.nbans, 0);
	assert_true(logged(fk, "its operator is not an --op here"));
	assert_true(logged(fk, "it names no target"));
	assert_true(logged(fk, "its target is not one"));
	assert_true(logged(fk, "its minutes are out of range"));
	assert_true(logged(fk, "its nick breaks the nick rule"));
}

/*
 * The members are not read while the link holds CLUSTER_BACKLOG_BYTES
 * unwritten or CLUSTER_BACKLOG_REPLIES awaited, and are read again only
 * once both are down to half; a link lost (or reset) holds nothing.
 */
static void
test_backlog_hysteresis(void **state)
{
	struct fake *fk = *state;

	assert_false(cluster_backlogged(&fk->cl));
	fk->io.bytes = CLUSTER_BACKLOG_BYTES - 1;
	fk->io.replies = CLUSTER_BACKLOG_REPLIES - 1;
	assert_false(cluster_backlogged(&fk->cl));
	fk->io.bytes = CLUSTER_BACKLOG_BYTES;
	assert_true(cluster_backlogged(&fk->cl));
	/* Draining, not yet down to half: still full. */
	fk->io.bytes = CLUSTER_BACKLOG_BYTES / 2 + 1;
	fk->io.replies = 0;
	assert_true(cluster_backlogged(&fk->cl));
	fk->io.bytes = CLUSTER_BACKLOG_BYTES / 2;
	assert_false(cluster_backlogged(&fk->cl));
	/* Rising again below the cap: still read. */
	fk->io.bytes = CLUSTER_BACKLOG_BYTES - 1;
	assert_false(cluster_backlogged(&fk->cl));
	/* Replies awaited count alike, and both must be down to half. */
	fk->io.bytes = 0;
	fk->io.replies = CLUSTER_BACKLOG_REPLIES;
	assert_true(cluster_backlogged(&fk->cl));
	fk->io.bytes = CLUSTER_BACKLOG_BYTES / 2 + 1;
	fk->io.replies = CLUSTER_BACKLOG_REPLIES / 2;
	assert_true(cluster_backlogged(&fk->cl));
	fk->io.bytes = 0;
	assert_false(cluster_backlogged(&fk->cl));
	/* A lost link drops what it held: read again at once. */
	fk->io.bytes = CLUSTER_BACKLOG_BYTES * 2;
	assert_true(cluster_backlogged(&fk->cl));
	fk->io.bytes = fk->io.replies = 0;
	assert_false(cluster_backlogged(&fk->cl));
	/* Asking is no call to Redis. */
	fake_expect_calls(fk, "");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_room_names),
		cmocka_unit_test_setup_teardown(test_ids_and_keys, fake_setup,
		    fake_teardown),
		cmocka_unit_test_setup_teardown(test_join_waits_for_its_entry,
		    fake_setup, fake_teardown),
		cmocka_unit_test_setup_teardown(
		    test_lines_before_welcome_are_held, fake_setup,
		    fake_teardown),
		cmocka_unit_test_setup_teardown(test_leaving_before_welcome,
		    fake_setup, fake_teardown),
		cmocka_unit_test_setup_teardown(test_join_refused, fake_setup,
		    fake_teardown),
		cmocka_unit_test_setup_teardown(
		    test_chat_goes_through_the_stream, fake_setup,
		    fake_teardown),
		cmocka_unit_test_setup_teardown(test_entries_once_in_order,
		    fake_setup, fake_teardown),
		cmocka_unit_test_setup_teardown(test_backlog_hysteresis,
		    fake_setup, fake_teardown),
		cmocka_unit_test_setup_teardown(
		    test_entry_max_line_before_cleaning, fake_setup,
		    fake_teardown),
		cmocka_unit_test_setup_teardown(test_pm_nick_leave, fake_setup,
		    fake_teardown),
		cmocka_unit_test_setup_teardown(test_answers_keep_order,
		    fake_setup, fake_teardown),
		cmocka_unit_test_setup_teardown(test_history_for_joiners,
		    fake_setup, fake_teardown),
		cmocka_unit_test_setup_teardown(test_link_down_and_back,
		    fake_setup, fake_teardown),
		cmocka_unit_test_setup_teardown(
		    test_publish_failure_tells_sender, fake_setup,
		    fake_teardown),
		cmocka_unit_test_setup_teardown(test_taken_out_while_here,
		    fake_setup, fake_teardown),
		cmocka_unit_test_setup_teardown(test_outcomes_told,
		    fake_setup, fake_teardown),
		cmocka_unit_test_setup_teardown(test_acts_published,
		    acts_setup, acts_teardown),
		cmocka_unit_test_setup_teardown(
		    test_act_kick_here_and_elsewhere, acts_setup,
		    acts_teardown),
		cmocka_unit_test_setup_teardown(test_act_bans, acts_setup,
		    acts_teardown),
		cmocka_unit_test_setup_teardown(test_act_mute_runs_out_here,
		    acts_setup, acts_teardown),
		cmocka_unit_test_setup_teardown(test_act_login_link_down,
		    acts_setup, acts_teardown),
		cmocka_unit_test_setup_teardown(
		    test_act_login_takes_the_nick_here, acts_setup,
		    acts_teardown),
		cmocka_unit_test_setup_teardown(test_act_login_elsewhere,
		    acts_setup, acts_teardown),
		cmocka_unit_test_setup_teardown(
		    test_act_login_refused_by_redis, acts_setup,
		    acts_teardown),
		cmocka_unit_test_setup_teardown(
		    test_act_notices_where_the_target_is, acts_setup,
		    acts_teardown),
		cmocka_unit_test_setup_teardown(test_act_untrusted_dropped,
		    acts_setup, acts_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
