/* test_commands: chat lines and the / commands, driven without sockets. */
#include "room_helpers.h"

#include <stdio.h>

#include "line.h"
#include "text.h"

/* ---------------------------------------------------------------------
 * Chat
 * ------------------------------------------------------------------- */

static void
test_chat_to_others(void **state)
{
	struct fx *f = *state;
	struct client *a, *b, *c;

	a = fx_member(f, "alice");
	b = fx_member(f, "bob");
	c = fx_member(f, "carol");
	fx_say(f, a, "hello");
	fx_expect(f, b, "<alice> hello\n");
	fx_expect(f, c, "<alice> hello\n");
	/* Never echoed to the sender. */
	fx_silent(f, a);
	fx_say(f, c, "hi alice");
	fx_expect(f, a, "<carol> hi alice\n");
	fx_expect(f, b, "<carol> hi alice\n");
	fx_silent(f, c);
}

static void
test_chat_alone(void **state)
{
	struct fx *f = *state;
	struct client *a;

	a = fx_member(f, "alice");
	fx_say(f, a, "anyone here?");
	fx_silent(f, a);
}

static void
test_chat_as_sent(void **state)
{
	struct fx *f = *state;
	struct client *a, *b;

	a = fx_member(f, "alice");
	b = fx_member(f, "bob");
	/* No trimming: blanks stay where they were sent. */
	fx_say(f, a, "  two spaces before, two after  ");
	fx_expect(f, b, "<alice>   two spaces before, two after  \n");
	fx_say(f, a, "\ttab");
	fx_expect(f, b, "<alice> \ttab\n");
	/* Only a line that starts with / is a command. */
	fx_say(f, a, " /who");
	fx_expect(f, b, "<alice>  /who\n");
	fx_say(f, a, "*** not a notice");
	fx_expect(f, b, "<alice> *** not a notice\n");
	/* UTF-8 passes unchanged. */
	fx_say(f, a, "\xe4\xbd\xa0\xe5\xa5\xbd \xf0\x9f\x98\x80");
	fx_expect(f, b, "<alice> \xe4\xbd\xa0\xe5\xa5\xbd \xf0\x9f\x98\x80\n");
	fx_silent(f, a);
}

static void
test_double_slash(void **state)
{
	struct fx *f = *state;
	struct client *a, *b;

	a = fx_member(f, "alice");
	b = fx_member(f, "bob");
	fx_say(f, a, "//text");
	fx_expect(f, b, "<alice> /text\n");
	fx_say(f, a, "//who");
	fx_expect(f, b, "<alice> /who\n");
	fx_say(f, a, "//");
	fx_expect(f, b, "<alice> /\n");
	fx_say(f, a, "/// three");
	fx_expect(f, b, "<alice> // three\n");
	fx_silent(f, a);
}

/* ---------------------------------------------------------------------
 * Command words
 * ------------------------------------------------------------------- */

static void
test_unknown_command(void **state)
{
	static const struct fx_case cases[] = {
		{ "/", "!!! unknown command / (try /help)\n" },
		{ "/ who", "!!! unknown command / (try /help)\n" },
		{ "/   ", "!!! unknown command / (try /help)\n" },
		{ "/foo bar", "!!! unknown command /foo (try /help)\n" },
		{ "/Foo", "!!! unknown command /Foo (try /help)\n" },
		/* A command word is matched whole: no prefix, nothing more. */
		{ "/nickname bob",
		    "!!! unknown command /nickname (try /help)\n" },
		{ "/wh", "!!! unknown command /wh (try /help)\n" },
		{ "/who2", "!!! unknown command /who2 (try /help)\n" },
	};
	struct fx *f = *state;
	struct client *a, *b;

	a = fx_member(f, "alice");
	b = fx_member(f, "bob");
	fx_cases(f, a, cases);
	/* Errors go to the one who erred, nobody else. */
	fx_silent(f, b);
}

static void
test_commands_ignore_case(void **state)
{
	struct fx *f = *state;
	struct client *a, *b;

	a = fx_member(f, NULL);
	b = fx_member(f, "bob");
	fx_say(f, a, "/NICK alice");
	fx_expect(f, a, "*** guest1 is now alice\n");
	fx_expect(f, b, "*** guest1 is now alice\n");
	fx_say(f, a, "/Who");
	fx_expect(f, a, "*** 2 online: alice bob\n");
	fx_say(f, a, "/ME waves");
	fx_expect(f, b, "* alice waves\n");
	fx_say(f, a, "/mSg bob psst");
	fx_expect(f, b, "[pm] <alice> psst\n");
	fx_say(f, a, "/HELP");
	assert_true(rlog_backlog(&f->r.rlog, &a->rd) > 0);
	fx_drain(f, a);
	fx_say(f, b, "/QUIT");
	fx_expect(f, a, "*** bob left\n");
	assert_true(b->flags & CLIENT_CLOSING);
	fx_silent(f, a);
}

/* ---------------------------------------------------------------------
 * /nick
 * ------------------------------------------------------------------- */

static void
test_nick_change(void **state)
{
	struct fx *f = *state;
	struct client *a, *b, *c;

	a = fx_member(f, NULL);
	b = fx_member(f, NULL);
	c = fx_member(f, NULL);
	fx_say(f, b, "/nick bob");
	/* Everyone hears it, the one who changed included. */
	fx_expect(f, a, "*** guest2 is now bob\n");
	fx_expect(f, b, "*** guest2 is now bob\n");
	fx_expect(f, c, "*** guest2 is now bob\n");
	assert_string_equal(b->nick, "bob");
	assert_ptr_equal(room_find(&f->r, "BOB", 3), b);
	assert_null(room_find(&f->r, "guest2", 6));
	/* The longest nick, and blanks around the word. */
	fx_say(f, b, "/nick  \tabcdefghijklmnopqrst \t");
	fx_expect(f, a, "*** bob is now abcdefghijklmnopqrst\n");
	fx_expect(f, b, "*** bob is now abcdefghijklmnopqrst\n");
	fx_expect(f, c, "*** bob is now abcdefghijklmnopqrst\n");
	fx_say(f, c, "/nick -_9");
	fx_expect(f, a, "*** guest3 is now -_9\n");
	fx_drain_all(f);
	/* Chat then carries the new nick. */
	fx_say(f, c, "hi");
	fx_expect(f, a, "<-_9> hi\n");
}

static void
test_nick_taken(void **state)
{
	struct fx *f = *state;
	struct client *a, *b;

	a = fx_member(f, "alice");
	b = fx_member(f, "bob");
	fx_say(f, b, "/nick alice");
	fx_expect(f, b, "!!! nick alice is taken\n");
	/* Taken ignoring case; the error spells it as requested. */
	fx_say(f, b, "/nick ALICE");
	fx_expect(f, b, "!!! nick ALICE is taken\n");
	fx_say(f, b, "/nick aLiCe");
	fx_expect(f, b, "!!! nick aLiCe is taken\n");
	fx_silent(f, a);
	assert_string_equal(b->nick, "bob");
	/* A guest name in use is taken like any other. */
	(void)fx_member(f, NULL);
	fx_say(f, b, "/nick Guest1");
	fx_expect(f, b, "!!! nick Guest1 is taken\n");
}

static void
test_nick_invalid(void **state)
{
	struct fx *f = *state;
	struct client *a, *b;

#define RULE	" (1-20 letters, digits, _ or -)\n"
	static const struct fx_case cases[] = {
		{ "/nick abcdefghijklmnopqrstu",
		    "!!! invalid nick: abcdefghijklmnopqrstu" RULE },
		{ "/nick bob!", "!!! invalid nick: bob!" RULE },
		{ "/nick a.b", "!!! invalid nick: a.b" RULE },
		{ "/nick b\xc3\xa9", "!!! invalid nick: b\xc3\xa9" RULE },
		{ "/nick [x]", "!!! invalid nick: [x]" RULE },
	};
#undef RULE

	a = fx_member(f, "alice");
	b = fx_member(f, "bob");
	fx_cases(f, a, cases);
	assert_string_equal(a->nick, "alice");
	fx_silent(f, b);
}

static void
test_nick_usage(void **state)
{
	struct fx *f = *state;
	struct client *a, *b;

	static const struct fx_case cases[] = {
		{ "/nick", "!!! usage: /nick NAME\n" },
		{ "/nick   ", "!!! usage: /nick NAME\n" },
		{ "/nick a b", "!!! usage: /nick NAME\n" },
		{ "/nick carol the great", "!!! usage: /nick NAME\n" },
		{ "/nick\tcarol\tdave", "!!! usage: /nick NAME\n" },
	};

	a = fx_member(f, "alice");
	b = fx_member(f, "bob");
	fx_cases(f, a, cases);
	assert_string_equal(a->nick, "alice");
	fx_silent(f, b);
}

static void
test_nick_case_only(void **state)
{
	struct fx *f = *state;
	struct client *a, *b;

	a = fx_member(f, "alice");
	b = fx_member(f, "bob");
	fx_say(f, a, "/nick Alice");
	fx_expect(f, a, "*** alice is now Alice\n");
	fx_expect(f, b, "*** alice is now Alice\n");
	assert_string_equal(a->nick, "Alice");
	fx_say(f, a, "/nick ALICE");
	fx_expect(f, a, "*** Alice is now ALICE\n");
	fx_expect(f, b, "*** Alice is now ALICE\n");
}

static void
test_nick_same(void **state)
{
	struct fx *f = *state;
	struct client *a, *b;

	a = fx_member(f, "alice");
	b = fx_member(f, "bob");
	fx_say(f, a, "/nick alice");
	fx_expect(f, a, "!!! you are already alice\n");
	fx_silent(f, b);
	(void)fx_member(f, NULL);
	fx_say(f, f->c[2], "/nick guest1");
	fx_expect(f, f->c[2], "!!! you are already guest1\n");
	fx_silent(f, a);
}

/* ---------------------------------------------------------------------
 * /who, /me, /msg, /help
 * ------------------------------------------------------------------- */

static void
test_who(void **state)
{
	struct fx *f = *state;
	struct client *a, *b, *c;

	a = fx_member(f, NULL);
	fx_say(f, a, "/who");
	fx_expect(f, a, "*** 1 online: guest1\n");
	b = fx_member(f, NULL);
	c = fx_member(f, NULL);
	fx_say(f, b, "/nick zed");
	fx_drain_all(f);
	/* Join order, not alphabetical, and renames keep the place. */
	fx_say(f, c, "/who");
	fx_expect(f, c, "*** 3 online: guest1 zed guest3\n");
	fx_silent(f, a);
	fx_silent(f, b);
	/* Extra words are ignored. */
	fx_say(f, c, "/who is here");
	fx_expect(f, c, "*** 3 online: guest1 zed guest3\n");
	room_leave(&f->r, a, NULL, "eof");
	(void)fx_member(f, NULL);
	fx_say(f, b, "/who");
	fx_expect(f, b, "*** 3 online: zed guest3 guest1\n");
}

static void
test_me(void **state)
{
	struct fx *f = *state;
	struct client *a, *b, *c;

	a = fx_member(f, "alice");
	b = fx_member(f, "bob");
	c = fx_member(f, "carol");
	fx_say(f, a, "/me waves");
	fx_expect(f, b, "* alice waves\n");
	fx_expect(f, c, "* alice waves\n");
	fx_silent(f, a);
	fx_say(f, a, "/me waves  twice  ");
	fx_expect(f, b, "* alice waves  twice  \n");
	fx_drain_all(f);
	fx_say(f, a, "/me");
	fx_expect(f, a, "!!! usage: /me TEXT\n");
	fx_say(f, a, "/me   ");
	fx_expect(f, a, "!!! usage: /me TEXT\n");
	fx_say(f, a, "/me \t ");
	fx_expect(f, a, "!!! usage: /me TEXT\n");
	fx_silent(f, b);
	fx_silent(f, c);
}

static void
test_msg(void **state)
{
	struct fx *f = *state;
	struct client *a, *b, *c;

	a = fx_member(f, "alice");
	b = fx_member(f, "bob");
	c = fx_member(f, "carol");
	/* Only the target gets it; the sender gets no confirmation. */
	fx_say(f, a, "/msg bob psst");
	fx_expect(f, b, "[pm] <alice> psst\n");
	fx_silent(f, a);
	fx_silent(f, c);
	/* The target ignores case; the text is kept as sent. */
	fx_say(f, a, "/msg BOB hi  there ");
	fx_expect(f, b, "[pm] <alice> hi  there \n");
	fx_say(f, a, "/msg\tbob\tsee tab");
	fx_expect(f, b, "[pm] <alice> see tab\n");
	fx_say(f, a, "/msg bob /not a command");
	fx_expect(f, b, "[pm] <alice> /not a command\n");
	fx_silent(f, a);
	fx_silent(f, c);
	/* To oneself: delivered like any other. */
	fx_say(f, a, "/msg alice note to self");
	fx_expect(f, a, "[pm] <alice> note to self\n");
	fx_say(f, a, "/msg ALICE again");
	fx_expect(f, a, "[pm] <alice> again\n");
	fx_silent(f, b);
	fx_silent(f, c);
}

static void
test_msg_errors(void **state)
{
	struct fx *f = *state;
	struct client *a, *b;

	static const struct fx_case cases[] = {
		{ "/msg dave hi", "!!! no such user: dave\n" },
		{ "/msg Dave hi", "!!! no such user: Dave\n" },
		{ "/msg bo hi", "!!! no such user: bo\n" },
		{ "/msg bob", "!!! usage: /msg NICK TEXT\n" },
		{ "/msg bob   ", "!!! usage: /msg NICK TEXT\n" },
		{ "/msg", "!!! usage: /msg NICK TEXT\n" },
		{ "/msg  ", "!!! usage: /msg NICK TEXT\n" },
	};

	a = fx_member(f, "alice");
	b = fx_member(f, "bob");
	fx_cases(f, a, cases);
	fx_silent(f, b);
	/* Someone who left is no such user. */
	room_leave(&f->r, b, NULL, "eof");
	fx_expect(f, a, "*** bob left\n");
	fx_say(f, a, "/msg bob still there?");
	fx_expect(f, a, "!!! no such user: bob\n");
	fx_silent(f, b);
}

static void
test_help(void **state)
{
	struct fx *f = *state;
	struct client *a, *b;
	char out[FX_MAXOUT];
	const char *p, *nl;
	size_t n, lines = 0;

	a = fx_member(f, "alice");
	b = fx_member(f, "bob");
	fx_say(f, a, "/help");
	fx_silent(f, b);
	n = (size_t)fx_peek(f, a, out, sizeof out);
	assert_true(n > 0 && n < sizeof out);
	assert_int_equal(rlog_backlog(&f->r.rlog, &a->rd), n);
	fx_drain(f, a);
	/* Every line is a notice and ends in LF alone. */
	assert_int_equal(out[n - 1], '\n');
	for (p = out; *p != '\0'; p = nl + 1) {
		nl = strchr(p, '\n');
		assert_non_null(nl);
		assert_true(nl - p > 4);
		assert_memory_equal(p, "*** ", 4);
		assert_null(memchr(p, '\r', (size_t)(nl - p)));
		lines++;
	}
	assert_true(lines >= 6);
	/* It names every command. */
	assert_non_null(strstr(out, "/nick"));
	assert_non_null(strstr(out, "/who"));
	assert_non_null(strstr(out, "/me"));
	assert_non_null(strstr(out, "/msg"));
	assert_non_null(strstr(out, "/quit"));
	assert_non_null(strstr(out, "/help"));
	fx_say(f, a, "/help me please");
	assert_int_equal(rlog_backlog(&f->r.rlog, &a->rd), n);
	fx_drain(f, a);
}

/* ---------------------------------------------------------------------
 * /quit
 * ------------------------------------------------------------------- */

static void
test_quit(void **state)
{
	struct fx *f = *state;
	struct client *a, *b, *c;

	a = fx_member(f, "alice");
	b = fx_member(f, "bob");
	c = fx_member(f, "carol");
	fx_say(f, b, "/quit");
	fx_expect(f, a, "*** bob left\n");
	fx_expect(f, c, "*** bob left\n");
	fx_silent(f, b);
	assert_true(b->flags & CLIENT_CLOSING);
	assert_false(b->flags & CLIENT_JOINED);
	assert_false(fx_is_member(f, b));
	assert_string_equal(b->reason, "quit");
	assert_int_equal(f->r.count, 2);
	fx_say(f, a, "/who");
	fx_expect(f, a, "*** 2 online: alice carol\n");
	/* Chat after the quit does not reach the quitter. */
	fx_say(f, c, "bye bob");
	fx_expect(f, a, "<carol> bye bob\n");
	fx_silent(f, b);
	/* The nick is free again. */
	fx_say(f, c, "/nick Bob");
	fx_expect(f, a, "*** carol is now Bob\n");
}

static void
test_quit_reason(void **state)
{
	struct fx *f = *state;
	struct client *a, *b;

	a = fx_member(f, "alice");
	b = fx_member(f, "bob");
	fx_say(f, b, "/quit see you  later");
	fx_expect(f, a, "*** bob left (see you  later)\n");
	fx_silent(f, b);
	assert_true(b->flags & CLIENT_CLOSING);
	fx_say(f, a, "/who");
	fx_expect(f, a, "*** 1 online: alice\n");
	/* A blank reason is no reason. */
	(void)fx_member(f, "carol");
	fx_say(f, f->c[2], "/quit   ");
	fx_expect(f, a, "*** carol left\n");
	/* The last one out tells nobody. */
	fx_say(f, a, "/quit bye");
	fx_silent(f, a);
	assert_int_equal(f->r.count, 0);
}

/* ---------------------------------------------------------------------
 * Order
 * ------------------------------------------------------------------- */

/* Append s to the string at out (of size cap). */
static void
append(char *out, size_t cap, const char *s)
{
	size_t n = strlen(out), k = strlen(s);

	assert_true(n + k < cap);
	memcpy(out + n, s, k + 1);
}

static void
test_global_order(void **state)
{
	static const struct {
		size_t		 from;	/* sender's index */
		const char	*in;	/* what it typed */
		const char	*out;	/* what the others get */
	} script[] = {
		{ 0, "one", "<m0> one" },
		{ 1, "two", "<m1> two" },
		{ 2, "/me three", "* m2 three" },
		{ 0, "//four", "<m0> /four" },
		{ 3, "five", "<m3> five" },
		{ 1, "six", "<m1> six" },
		{ 1, "seven", "<m1> seven" },
		{ 2, "eight", "<m2> eight" },
		{ 3, "/me nine", "* m3 nine" },
		{ 0, "ten", "<m0> ten" },
	};
	struct fx *f = *state;
	char want[4][1024], nick[8];
	size_t i, j, round;

	for (i = 0; i < 4; i++) {
		snprintf(nick, sizeof nick, "m%zu", i);
		(void)fx_member(f, nick);
		want[i][0] = '\0';
	}
	/* Nothing is drained in between: the queues hold the whole story. */
	for (round = 0; round < 3; round++) {
		for (i = 0; i < sizeof script / sizeof script[0]; i++) {
			fx_say(f, f->c[script[i].from], script[i].in);
			for (j = 0; j < 4; j++) {
				if (j == script[i].from)
					continue;
				append(want[j], sizeof want[j], script[i].out);
				append(want[j], sizeof want[j], "\n");
			}
		}
	}
	for (j = 0; j < 4; j++)
		fx_expect(f, f->c[j], want[j]);
}

/* ---------------------------------------------------------------------
 * The send queue limit, through the command layer
 * ------------------------------------------------------------------- */

static void
test_sendq_slow_leaves(void **state)
{
	struct fx *f = *state;
	struct client *a, *b, *c;

	a = fx_member(f, "alice");
	b = fx_member(f, "bob");
	c = fx_member(f, "carol");
	f->r.sendq = 200;
	fx_fill(f, b, 190);
	fx_say(f, a, "hello");
	/* Settled on return: bob is gone and the others know why. */
	fx_expect(f, c, "<alice> hello\n*** bob left (too slow)\n");
	fx_expect(f, a, "*** bob left (too slow)\n");
	assert_true(b->flags & CLIENT_CLOSING);
	assert_false(b->flags & CLIENT_JOINED);
	assert_int_equal(rlog_backlog(&f->r.rlog, &b->rd), 0);
	assert_int_equal(b->rd.id, 0);	/* cut off the log */
	assert_int_equal(f->r.count, 2);
	assert_int_equal(f->r.nslow, 0);
	fx_say(f, c, "/who");
	fx_expect(f, c, "*** 2 online: alice carol\n");
	/* Nobody else was affected. */
	fx_say(f, c, "still here");
	fx_say(f, a, "yes");
	fx_expect(f, a, "<carol> still here\n");
	fx_expect(f, c, "<alice> yes\n");
	fx_silent(f, b);
}

/* Move what is queued for c to the end of the string at out. */
static void
take(struct fx *f, struct client *c, char *out, size_t cap)
{
	size_t n = strlen(out);

	assert_true(fx_peek(f, c, out + n, cap - n) != -1);
	fx_drain(f, c);
}

static void
test_sendq_others_get_everything(void **state)
{
	struct fx *f = *state;
	struct client *m[4], *slow;
	char want[4][4096], got[4][4096], line[64], out[64];
	size_t i, j, from, gone_at = SIZE_MAX;

	for (i = 0; i < 4; i++) {
		snprintf(line, sizeof line, "m%zu", i);
		m[i] = fx_member(f, line);
		want[i][0] = got[i][0] = '\0';
	}
	slow = m[2];
	f->r.sendq = 300;
	/*
	 * m2 never reads; the others are read after every line, as a
	 * server would write them out. Each line reaches every reader
	 * whatever happens to m2, and m2's notice comes right after the
	 * line that took it over.
	 */
	for (i = 0; i < 60; i++) {
		from = i % 3 == 2 ? 3 : i % 3;
		snprintf(line, sizeof line, "line %zu", i);
		snprintf(out, sizeof out, "<m%zu> line %zu\n", from, i);
		fx_say(f, m[from], line);
		for (j = 0; j < 4; j++)
			if (j != 2 && j != from)
				append(want[j], sizeof want[j], out);
		if (gone_at == SIZE_MAX && (slow->flags & CLIENT_CLOSING)) {
			gone_at = i;
			for (j = 0; j < 4; j++)
				if (j != 2)
					append(want[j], sizeof want[j],
					    "*** m2 left (too slow)\n");
		}
		for (j = 0; j < 4; j++)
			if (j != 2)
				take(f, m[j], got[j], sizeof got[j]);
	}
	/* About 15 bytes a line: m2 went over a bit past line 20. */
	assert_in_range(gone_at, 15, 25);
	assert_int_equal(f->r.count, 3);
	for (j = 0; j < 4; j++) {
		if (j == 2)
			continue;
		assert_false(m[j]->flags & (CLIENT_SLOW | CLIENT_CLOSING));
		assert_string_equal(got[j], want[j]);
	}
	fx_silent(f, slow);
}

static void
test_sendq_chain(void **state)
{
	struct fx *f = *state;
	struct client *x, *y, *z;

	x = fx_member(f, "alice");
	y = fx_member(f, "bob");
	z = fx_member(f, "carol");
	f->r.sendq = 100;
	fx_fill(f, x, 80);
	fx_fill(f, y, 95);
	/*
	 * bob goes over on the chat line; the notice of his leaving takes
	 * alice, who joined before him, over in turn.
	 */
	fx_say(f, z, "hi");
	fx_silent(f, x);
	fx_silent(f, y);
	fx_expect(f, z, "*** bob left (too slow)\n*** alice left (too slow)\n");
	assert_true(x->flags & CLIENT_CLOSING);
	assert_true(y->flags & CLIENT_CLOSING);
	assert_int_equal(f->r.count, 1);
	assert_int_equal(f->r.nslow, 0);
	fx_say(f, z, "/who");
	fx_expect(f, z, "*** 1 online: carol\n");
}

static void
test_sendq_own_reply(void **state)
{
	struct fx *f = *state;
	struct client *a, *b;

	a = fx_member(f, "alice");
	b = fx_member(f, "bob");
	/* alice's own /help does not fit her queue: she is the slow one. */
	f->r.sendq = 120;
	fx_say(f, a, "/help");
	assert_true(a->flags & CLIENT_CLOSING);
	assert_int_equal(a->rd.id, 0);	/* cut off the log */
	fx_expect(f, b, "*** alice left (too slow)\n");
}

/* ---------------------------------------------------------------------
 * What reaches the log
 * ------------------------------------------------------------------- */

static void
test_log_no_text(void **state)
{
	struct fx *f = *state;
	struct client *a, *b;
	const char *log;
	size_t before;

	a = fx_member(f, NULL);
	b = fx_member(f, NULL);
	before = f->nlog;
	fx_say(f, a, "/nick alice");
	assert_int_equal(f->nlog, before + 1);
	fx_say(f, a, "chat secret");
	fx_say(f, a, "/me acts secretly");
	fx_say(f, a, "/msg guest2 private");
	fx_say(f, a, "/who");
	fx_say(f, a, "/help");
	fx_say(f, a, "/nick bad!nick");
	assert_int_equal(f->nlog, before + 1);
	fx_say(f, b, "/quit farewell words");
	assert_int_equal(f->nlog, before + 2);
	assert_int_equal(buf_append(&f->log, "", 1), 0);
	log = buf_peek(&f->log);
	assert_non_null(strstr(log, "alice"));
	assert_null(strstr(log, "secret"));
	assert_null(strstr(log, "private"));
	assert_null(strstr(log, "farewell"));
	assert_null(strstr(log, "bad!nick"));
}

/* ---------------------------------------------------------------------
 * What a line counts toward --flood
 * ------------------------------------------------------------------- */

#define cost_of(s)	commands_cost((s), strlen(s))

/* Listings count 10 lines, as commands are matched; the rest count 1. */
static void
test_cost(void **state)
{
	(void)state;
	assert_int_equal(cost_of("/who"), COMMANDS_LIST_COST);
	assert_int_equal(COMMANDS_LIST_COST, 10);
	assert_int_equal(cost_of("/WHO"), 10);
	assert_int_equal(cost_of("/who extra words"), 10);
	assert_int_equal(cost_of("/help"), 10);
	assert_int_equal(cost_of("/Help"), 10);
	assert_int_equal(cost_of("/rooms"), 10);
	assert_int_equal(cost_of("/who\t"), 10);
	/* Not a listing: chat, other commands, near misses. */
	assert_int_equal(cost_of("who"), 1);
	assert_int_equal(cost_of("//who"), 1);
	assert_int_equal(cost_of("/ who"), 1);
	assert_int_equal(cost_of("/whom"), 1);
	assert_int_equal(cost_of("/wh"), 1);
	assert_int_equal(cost_of("/"), 1);
	assert_int_equal(cost_of(""), 1);
	assert_int_equal(cost_of("/nick who"), 1);
	assert_int_equal(cost_of("/me /who"), 1);
	assert_int_equal(cost_of("/msg bob /help"), 1);
	assert_int_equal(cost_of("say /who"), 1);
}

/* ---------------------------------------------------------------------
 * Runs of chat lines (commands_chat_run()) against the ordinary way
 * ------------------------------------------------------------------- */

#define DIFF_MAX_LINE	40

/* One sayer's input: framed, and each line taken as conn_text() does. */
struct diff {
	struct client	*c;
	struct line	 line;
	size_t		 run;		/* lines the runs took */
};

static int
diff_line(void *arg, enum line_event ev, const char *text, size_t len)
{
	struct diff *d = arg;
	char clean[TEXT_CLEAN_MAX(DIFF_MAX_LINE) + 1];
	size_t n;

	if (ev == LINE_TOOLONG) {
		room_toolong(d->c->room, d->c, DIFF_MAX_LINE);
		return 0;
	}
	n = text_clean(text, len, clean);
	if (text_is_blank(clean, n))
		return 0;
	clean[n] = '\0';
	commands_input(d->c->room, d->c, clean, n);
	return 0;
}

static size_t
diff_run(void *arg, const char *data, size_t n)
{
	struct diff *d = arg;
	size_t used, k;

	used = commands_chat_run(d->c->room, d->c, &d->line, data, n,
	    SIZE_MAX, &k);
	d->run += k;
	return used;
}

/* The next pseudo-random number (a fixed sequence: no flaky runs). */
static unsigned
diff_rand(unsigned *seed)
{
	*seed = *seed * 1103515245u + 12345u;
	return (*seed >> 16) & 0x7fff;
}

/*
 * The same bytes from alice, cut at random, in two rooms: one takes each
 * line the ordinary way, the other through commands_chat_run() first.
 * bob and alice must get byte for byte the same in both, and the runs
 * must have taken most of the chat.
 */
static void
test_chat_runs_as_lines(void **state)
{
	static const char *const pieces[] = {
		"hello there\n", "plain chat line\r\n", "/me waves\n",
		"//slash chat\n", "/nick alice2\n", "/nick alice\n", "   \n",
		"\n", "  indented\n", "tab\there\n", "caf\xc3\xa9\n",
		"bad \xff byte\n", "ctrl\x01x\n", "bell\x07\r\n", "cr\rinside\n",
		"a line that is longer than forty bytes, by far\n",
		"exactly forty bytes of text, no more....\n", "/who\n",
		"/bogus\n", "x\n", "/\n", "*** not a notice\n", "del\x7f\n",
	};
	struct fx *f = *state, g_;
	struct fx *g = &g_;
	struct client *a1, *b1, *a2, *b2;
	struct diff d1, d2;
	char *in, out1[FX_MAXOUT], out2[FX_MAXOUT];
	size_t n = 0, i, cut, at;
	unsigned seed = 7;
	long k1, k2;

	/* Both rooms keep history: a newcomer's replay is compared too. */
	room_free(&f->r);
	assert_int_equal(room_init(&f->r, FX_SENDQ, 5), 0);
	memset(g, 0, sizeof *g);
	assert_int_equal(room_init(&g->r, FX_SENDQ, 5), 0);
	a1 = fx_member(f, "alice");
	b1 = fx_member(f, "bob");
	a2 = fx_member(g, "alice");
	b2 = fx_member(g, "bob");
	d1.c = a1;
	d2.c = a2;
	d1.run = d2.run = 0;
	line_init(&d1.line, DIFF_MAX_LINE);
	line_init(&d2.line, DIFF_MAX_LINE);
	assert_non_null(in = malloc(64 * 1024));
	while (n < 60 * 1024) {
		const char *p = pieces[diff_rand(&seed) %
		    (sizeof pieces / sizeof pieces[0])];

		memcpy(in + n, p, strlen(p));
		n += strlen(p);
	}
	for (at = 0; at < n; at += cut) {
		cut = 1 + diff_rand(&seed) % 300;
		if (cut > n - at)
			cut = n - at;
		assert_int_equal(line_feed(&d1.line, in + at, cut, diff_line,
		    &d1), 0);
		assert_int_equal(line_feed_runs(&d2.line, in + at, cut,
		    diff_run, diff_line, &d2), 0);
		room_settle(&f->r);
		room_settle(&g->r);
		for (i = 0; i < 2; i++) {
			k1 = fx_peek(f, i == 0 ? b1 : a1, out1, sizeof out1);
			k2 = fx_peek(g, i == 0 ? b2 : a2, out2, sizeof out2);
			assert_true(k1 >= 0);
			assert_int_equal(k1, k2);
			assert_memory_equal(out1, out2, (size_t)k1);
		}
		fx_drain_all(f);
		fx_drain_all(g);
	}
	assert_int_equal(a2->flags & CLIENT_JOINED, CLIENT_JOINED);
	b1 = fx_join(f);
	b2 = fx_join(g);
	k1 = fx_peek(f, b1, out1, sizeof out1);
	k2 = fx_peek(g, b2, out2, sizeof out2);
	assert_true(k1 > 0);
	assert_int_equal(k1, k2);
	assert_memory_equal(out1, out2, (size_t)k1);
	assert_non_null(strstr(out1, "*** end of history"));
	/* About 6 pieces in 23 are plain chat the runs can take. */
	assert_true(d2.run > n / 25 / 8);
	free(in);
	line_free(&d1.line);
	line_free(&d2.line);
	for (i = 0; i < g->n; i++)
		client_free(g->c[i]);
	room_free(&g->r);
	buf_free(&g->log);
}

int
main(void)
{
#define T(fn) cmocka_unit_test_setup_teardown(fn, fx_setup, fx_teardown)
	const struct CMUnitTest tests[] = {
		T(test_chat_to_others),
		T(test_chat_alone),
		T(test_chat_as_sent),
		T(test_chat_runs_as_lines),
		T(test_double_slash),
		T(test_unknown_command),
		T(test_commands_ignore_case),
		T(test_nick_change),
		T(test_nick_taken),
		T(test_nick_invalid),
		T(test_nick_usage),
		T(test_nick_case_only),
		T(test_nick_same),
		T(test_who),
		T(test_me),
		T(test_msg),
		T(test_msg_errors),
		T(test_help),
		T(test_quit),
		T(test_quit_reason),
		T(test_global_order),
		T(test_sendq_slow_leaves),
		T(test_sendq_others_get_everything),
		T(test_sendq_chain),
		T(test_sendq_own_reply),
		T(test_log_no_text),
		cmocka_unit_test(test_cost),
	};
#undef T

	return cmocka_run_group_tests(tests, NULL, NULL);
}
