/* test_sline: the one parser of server lines, on every format lobbyd writes. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "proto.h"
#include "sline.h"
#include "unit.h"

/* Parse the NUL-terminated line s; its kind must be k. */
#define parse(sl, s, k)	parse_at((sl), (s), (k), __FILE__, __LINE__)

static void
parse_at(struct sline *sl, const char *s, enum sline_kind k,
    const char *file, int line)
{
	u_int_eq(sline_parse(sl, s, strlen(s)), k, file, line);
	u_int_eq(sl->kind, k, file, line);
}

/* A field of sl must hold exactly the NUL-terminated want. */
#define field(p, n, want) field_at((p), (n), (want), __FILE__, __LINE__)

static void
field_at(const char *p, size_t n, const char *want, const char *file,
    int line)
{
	if (want == NULL) {
		u_true(p == NULL && n == 0, file, line);
		return;
	}
	u_true(p != NULL, file, line);
	u_int_eq(n, strlen(want), file, line);
	u_mem_eq(p, want, n, file, line);
}

/* Format one of proto.h's formats, as the server does. */
static const char *
fmt(char *buf, size_t len, const char *f, ...)
{
	va_list ap;

	va_start(ap, f);
	vsnprintf(buf, len, f, ap);
	va_end(ap);
	return buf;
}

static void
test_chat_action_pm(void **state)
{
	struct sline sl;
	char b[256];

	(void)state;
	parse(&sl, fmt(b, sizeof b, PROTO_CHAT, "alice", 5, "hello"),
	    SLINE_CHAT);
	field(sl.nick, sl.nlen, "alice");
	field(sl.text, sl.tlen, "hello");
	assert_int_equal(sl.head, 7);	/* "<alice>" */
	assert_int_equal(sl.stamp, 0);
	/* A chat line that looks like a command or a notice is chat. */
	parse(&sl, "<bob> /text *** x", SLINE_CHAT);
	field(sl.text, sl.tlen, "/text *** x");
	parse(&sl, fmt(b, sizeof b, PROTO_ACTION, "bob", 5, "waves"),
	    SLINE_ACTION);
	field(sl.nick, sl.nlen, "bob");
	field(sl.text, sl.tlen, "waves");
	assert_int_equal(sl.head, 5);	/* "* bob" */
	parse(&sl, fmt(b, sizeof b, PROTO_PM, "alice", 14, "see you at 5 !"),
	    SLINE_PM);
	field(sl.nick, sl.nlen, "alice");
	field(sl.text, sl.tlen, "see you at 5 !");
	assert_int_equal(sl.head, 12);	/* "[pm] <alice>" */
	/* The client's own echo of /msg. */
	parse(&sl, "-> *bob* psst", SLINE_PM_SENT);
	field(sl.nick, sl.nlen, "bob");
	field(sl.text, sl.tlen, "psst");
	assert_int_equal(sl.head, 8);
	/* Not a sender: no valid nick, or no blank after it. */
	parse(&sl, "<a b> x", SLINE_OTHER);
	parse(&sl, "<alice>x", SLINE_OTHER);
	parse(&sl, "<abcdefghijklmnopqrstu> x", SLINE_OTHER);
	parse(&sl, "* ", SLINE_OTHER);
	parse(&sl, "[pm] <> x", SLINE_OTHER);
	parse(&sl, "", SLINE_OTHER);
	parse(&sl, "plain text", SLINE_OTHER);
	field(sl.nick, sl.nlen, NULL);
}

static void
test_history(void **state)
{
	struct sline sl;
	char b[128];

	(void)state;
	parse(&sl, fmt(b, sizeof b, PROTO_HISTORY_BEGIN, (size_t)3,
	    PROTO_PLURAL(3)), SLINE_HIST_BEGIN);
	assert_int_equal(sl.count, 3);
	parse(&sl, fmt(b, sizeof b, PROTO_HISTORY_BEGIN, (size_t)1,
	    PROTO_PLURAL(1)), SLINE_HIST_BEGIN);
	assert_int_equal(sl.count, 1);
	parse(&sl, PROTO_HISTORY_END, SLINE_HIST_END);
	parse(&sl, "[14:02] <alice> hello", SLINE_CHAT);
	assert_int_equal(sl.stamp, 8);
	assert_int_equal(sl.head, 7);
	field(sl.nick, sl.nlen, "alice");
	field(sl.text, sl.tlen, "hello");
	parse(&sl, "[14:03] * bob waves", SLINE_ACTION);
	assert_int_equal(sl.stamp, 8);
	field(sl.nick, sl.nlen, "bob");
	parse(&sl, "[2026-11-30 23:58] <alice> late last night", SLINE_CHAT);
	assert_int_equal(sl.stamp, 19);
	field(sl.text, sl.tlen, "late last night");
	/* A stamp before anything else is not history. */
	parse(&sl, "[14:02] hello", SLINE_OTHER);
	assert_int_equal(sl.stamp, 0);
	parse(&sl, "[14:02] *** x joined", SLINE_OTHER);
	parse(&sl, "[1x:02] <alice> hi", SLINE_OTHER);
	parse(&sl, "*** last 3 messages", SLINE_NOTICE);
	parse(&sl, "*** last messages:", SLINE_NOTICE);
}

static void
test_notices(void **state)
{
	struct sline sl;
	char b[256];

	(void)state;
	parse(&sl, fmt(b, sizeof b, PROTO_WELCOME, "guest3", (size_t)3),
	    SLINE_WELCOME);
	field(sl.nick, sl.nlen, "guest3");
	assert_int_equal(sl.count, 3);
	assert_true(sline_is_notice(sl.kind));
	assert_int_equal(sl.head, strlen(b));
	parse(&sl, fmt(b, sizeof b, PROTO_JOINED, "guest1"), SLINE_JOINED);
	field(sl.nick, sl.nlen, "guest1");
	parse(&sl, fmt(b, sizeof b, PROTO_LEFT, "alice"), SLINE_LEFT);
	field(sl.nick, sl.nlen, "alice");
	field(sl.text, sl.tlen, NULL);
	parse(&sl, fmt(b, sizeof b, PROTO_LEFT_REASON, "alice", "lunch (late)"),
	    SLINE_LEFT);
	field(sl.nick, sl.nlen, "alice");
	field(sl.text, sl.tlen, "lunch (late)");
	parse(&sl, fmt(b, sizeof b, PROTO_LEFT_REASON, "bob",
	    PROTO_REASON_SLOW), SLINE_LEFT);
	field(sl.text, sl.tlen, "too slow");
	parse(&sl, "*** bob left ()", SLINE_LEFT);
	field(sl.text, sl.tlen, "");
	parse(&sl, fmt(b, sizeof b, PROTO_RENAMED, "guest1", "alice"),
	    SLINE_RENAMED);
	field(sl.nick, sl.nlen, "guest1");
	field(sl.nick2, sl.n2len, "alice");
	parse(&sl, "*** guest1 is now al ice", SLINE_NOTICE);
	field(sl.nick, sl.nlen, NULL);
	field(sl.text, sl.tlen, "guest1 is now al ice");
	parse(&sl, fmt(b, sizeof b, PROTO_WHO, (size_t)2, 10, " alice bob"),
	    SLINE_WHO);
	assert_int_equal(sl.count, 2);
	field(sl.text, sl.tlen, " alice bob");
	parse(&sl, PROTO_SHUTDOWN, SLINE_SHUTDOWN);
	/* The rest are notices with their text. */
	parse(&sl, PROTO_LINK_LOST, SLINE_NOTICE);
	field(sl.text, sl.tlen, "lost the link to the room, retrying");
	parse(&sl, PROTO_LINK_BACK, SLINE_NOTICE);
	parse(&sl, PROTO_LINK_MISSED, SLINE_NOTICE);
	parse(&sl, fmt(b, sizeof b, PROTO_RENAMED_LINK, "bob", "guest4"),
	    SLINE_NOTICE);
	parse(&sl, fmt(b, sizeof b, PROTO_NOTICE, "welcome to the motd"),
	    SLINE_NOTICE);
	parse(&sl, "*** /nick NAME  change your nick", SLINE_NOTICE);
	parse(&sl, "*** ", SLINE_NOTICE);
	field(sl.text, sl.tlen, "");
	/* "***x" is not a notice. */
	parse(&sl, "***x", SLINE_OTHER);
}

static void
test_errors(void **state)
{
	struct sline sl;
	char b[256];

	(void)state;
	parse(&sl, fmt(b, sizeof b, PROTO_NOUSER, 5, "nobod"), SLINE_NOUSER);
	field(sl.nick, sl.nlen, "nobod");
	assert_true(sline_is_error(sl.kind));
	assert_false(sline_is_notice(sl.kind));
	parse(&sl, fmt(b, sizeof b, PROTO_TAKEN, 3, "bob"), SLINE_ERROR);
	field(sl.text, sl.tlen, "nick bob is taken");
	parse(&sl, fmt(b, sizeof b, PROTO_TOOLONG, (size_t)1024), SLINE_ERROR);
	parse(&sl, fmt(b, sizeof b, PROTO_IDLE, 30u), SLINE_ERROR);
	parse(&sl, PROTO_FULL, SLINE_ERROR);
	parse(&sl, PROTO_PER_IP, SLINE_ERROR);
	parse(&sl, PROTO_UNAVAILABLE_SEND, SLINE_ERROR);
	parse(&sl, PROTO_UNAVAILABLE_LATER, SLINE_ERROR);
	parse(&sl, fmt(b, sizeof b, PROTO_HELD_DROPPED, 4096), SLINE_ERROR);
	parse(&sl, "!!! unknown command /foo (try /help)", SLINE_ERROR);
	parse(&sl, "!!! usage: /nick NAME", SLINE_ERROR);
	parse(&sl, "!!! invalid nick: a b (1-20 letters, digits, _ or -)",
	    SLINE_ERROR);
	parse(&sl, "!!! you are already bob", SLINE_ERROR);
	assert_true(sline_is_error(sl.kind));
	assert_false(sline_is_error(SLINE_CHAT));
	assert_false(sline_is_notice(SLINE_OTHER));
}

static void
test_who_names(void **state)
{
	const char *p, *nick;
	struct sline sl;
	size_t n, len;

	(void)state;
	parse(&sl, "*** 4 online: alice  bob n!ck Carol-2", SLINE_WHO);
	p = sl.text;
	n = sl.tlen;
	assert_true(sline_who_next(&p, &n, &nick, &len));
	field(nick, len, "alice");
	assert_true(sline_who_next(&p, &n, &nick, &len));
	field(nick, len, "bob");
	/* Not a nick: skipped. */
	assert_true(sline_who_next(&p, &n, &nick, &len));
	field(nick, len, "Carol-2");
	assert_false(sline_who_next(&p, &n, &nick, &len));
	assert_false(sline_who_next(&p, &n, &nick, &len));
	parse(&sl, "*** 0 online:", SLINE_WHO);
	p = sl.text;
	n = sl.tlen;
	assert_false(sline_who_next(&p, &n, &nick, &len));
}

static void
test_rooms(void **state)
{
	struct sline sl;
	char b[256];

	(void)state;
	parse(&sl, fmt(b, sizeof b, PROTO_MOVED, "Dev-2", (size_t)3),
	    SLINE_MOVED);
	field(sl.room, sl.rlen, "Dev-2");
	assert_int_equal(sl.count, 3);
	assert_true(sline_is_notice(sl.kind));
	parse(&sl, "*** you are now in dev (1 online)", SLINE_MOVED);
	assert_int_equal(sl.count, 1);
	/* Not the server's: a bad name, no count, something after. */
	parse(&sl, "*** you are now in d!ev (1 online)", SLINE_NOTICE);
	field(sl.room, sl.rlen, NULL);
	parse(&sl, "*** you are now in dev (online)", SLINE_NOTICE);
	parse(&sl, "*** you are now in dev (2 online) x", SLINE_NOTICE);
	assert_int_equal(sl.count, 0);
	parse(&sl, fmt(b, sizeof b, PROTO_WENT, "alice", "ops"), SLINE_WENT);
	field(sl.nick, sl.nlen, "alice");
	field(sl.room, sl.rlen, "ops");
	parse(&sl, "*** alice went to the pub", SLINE_NOTICE);
	parse(&sl, "*** alice went to ", SLINE_NOTICE);
	parse(&sl, fmt(b, sizeof b, PROTO_TOPIC, "release on friday"),
	    SLINE_TOPIC);
	field(sl.text, sl.tlen, "release on friday");
	field(sl.nick, sl.nlen, NULL);
	parse(&sl, PROTO_NO_TOPIC, SLINE_NO_TOPIC);
	parse(&sl, fmt(b, sizeof b, PROTO_TOPIC_SET, "bob", "ship it: now"),
	    SLINE_TOPIC_SET);
	field(sl.nick, sl.nlen, "bob");
	field(sl.text, sl.tlen, "ship it: now");
	/* A nick that looks like a word of the formats is still a nick. */
	parse(&sl, "*** topic joined", SLINE_JOINED);
	field(sl.nick, sl.nlen, "topic");
	parse(&sl, "*** you went to dev", SLINE_WENT);
	field(sl.nick, sl.nlen, "you");
	parse(&sl, fmt(b, sizeof b, PROTO_ROOMS, (size_t)3, PROTO_PLURAL(3),
	    27, " lobby (4) dev (3) ops (0)"), SLINE_ROOMS);
	assert_int_equal(sl.count, 3);
	field(sl.text, sl.tlen, " lobby (4) dev (3) ops (0)");
	parse(&sl, fmt(b, sizeof b, PROTO_ROOMS, (size_t)1, PROTO_PLURAL(1),
	    10, " lobby (1)"), SLINE_ROOMS);
	assert_int_equal(sl.count, 1);
	field(sl.text, sl.tlen, " lobby (1)");
	parse(&sl, "*** 3 rooms", SLINE_NOTICE);
}

static void
test_room_errors(void **state)
{
	struct sline sl;
	char b[256];

	(void)state;
	parse(&sl, fmt(b, sizeof b, PROTO_ALREADY_IN, "Lobby"),
	    SLINE_ALREADY_IN);
	field(sl.room, sl.rlen, "Lobby");
	assert_true(sline_is_error(sl.kind));
	assert_false(sline_is_notice(sl.kind));
	field(sl.text, sl.tlen, "you are already in Lobby");
	/* The nick error, for a member named "in": not a room. */
	parse(&sl, fmt(b, sizeof b, PROTO_ALREADY, "in"), SLINE_ERROR);
	parse(&sl, "!!! you are already in a b", SLINE_ERROR);
	parse(&sl, fmt(b, sizeof b, PROTO_BAD_ROOM, 6, "a b!c?"),
	    SLINE_BAD_ROOM);
	field(sl.room, sl.rlen, "a b!c?");
	assert_true(sline_is_error(sl.kind));
	parse(&sl, PROTO_TOO_MANY_ROOMS, SLINE_TOO_MANY_ROOMS);
	assert_true(sline_is_error(sl.kind));
	parse(&sl, PROTO_USAGE_JOIN, SLINE_ERROR);
	parse(&sl, PROTO_TOPIC_LONG, SLINE_ERROR);
	parse(&sl, "!!! too many rooms!", SLINE_ERROR);
}

static void
test_rooms_names(void **state)
{
	const char *p, *name;
	struct sline sl;
	size_t n, len, members;

	(void)state;
	parse(&sl, "*** 4 rooms: lobby (4) Dev-2 (13) b@d (1) x (1 ops (0)",
	    SLINE_ROOMS);
	p = sl.text;
	n = sl.tlen;
	assert_true(sline_rooms_next(&p, &n, &name, &len, &members));
	field(name, len, "lobby");
	assert_int_equal(members, 4);
	assert_true(sline_rooms_next(&p, &n, &name, &len, &members));
	field(name, len, "Dev-2");
	assert_int_equal(members, 13);
	/* "b@d (1)" and "x (1" are not rooms: skipped. */
	assert_true(sline_rooms_next(&p, &n, &name, &len, &members));
	field(name, len, "ops");
	assert_int_equal(members, 0);
	assert_false(sline_rooms_next(&p, &n, &name, &len, &members));
	assert_false(sline_rooms_next(&p, &n, &name, &len, &members));
	parse(&sl, "*** 0 rooms:", SLINE_ROOMS);
	p = sl.text;
	n = sl.tlen;
	assert_false(sline_rooms_next(&p, &n, &name, &len, &members));
}

static void
test_nick_is(void **state)
{
	(void)state;
	assert_true(sline_nick_is("Alice", 5, "alice"));
	assert_true(sline_nick_is("alice", 5, "ALICE"));
	assert_false(sline_nick_is("alice", 5, "alic"));
	assert_false(sline_nick_is("alice", 4, "alice"));
	assert_false(sline_nick_is(NULL, 0, ""));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_chat_action_pm),
		cmocka_unit_test(test_history),
		cmocka_unit_test(test_notices),
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_who_names),
		cmocka_unit_test(test_rooms),
		cmocka_unit_test(test_room_errors),
		cmocka_unit_test(test_rooms_names),
		cmocka_unit_test(test_nick_is),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
