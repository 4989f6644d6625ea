/* test_bot: examples/bot against the real lobbyd: greetings and !time. */
#include <errno.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "harness.h"

/* The bot and the server it talks to, for one test. */
struct bot_fixture {
	struct h_server	 s;		/* lobbyd on -p 0 */
	pid_t		 bot;		/* examples/bot, or -1 */
	struct h_conn	*alice;		/* in the room before the bot */
	char		 alice_nick[32]; /* her guest nick */
};

/* The bot to run: $LOBBY_BOT, set by the meson test definition. */
static const char *
bot_path(void)
{
	const char *p = getenv("LOBBY_BOT");

	return p != NULL ? p : "bot";
}

/* Start lobbyd, let alice in, start the bot and see it arrive as "bot". */
static int
bot_setup(void **state)
{
	struct bot_fixture *f = calloc(1, sizeof *f);
	char port[16];

	assert_non_null(f);
	f->bot = -1;
	assert_int_equal(h_start(&f->s, "-b", "127.0.0.1", NULL), 0);
	f->alice = h_join(&f->s, f->alice_nick);
	snprintf(port, sizeof port, "%u", f->s.port);
	fflush(NULL);
	f->bot = fork();
	assert_true(f->bot >= 0);
	if (f->bot == 0) {
		execl(bot_path(), bot_path(), "127.0.0.1", port, (char *)NULL);
		fprintf(stderr, "cannot run %s: %s\n", bot_path(),
		    strerror(errno));
		_exit(127);
	}
	h_track_child(f->bot);
	h_expect(f->alice, "*** guest2 joined");
	h_expect(f->alice, "*** guest2 is now bot");
	*state = f;
	return 0;
}

/*
 * Stop the bot (bounded), then check the server as every integration
 * test does (h_finish(): a clean exit 0 after SIGTERM, no sanitizer
 * report).
 */
static int
bot_teardown(void **state)
{
	struct bot_fixture *f = *state;

	if (f->bot > 0) {
		kill(f->bot, SIGTERM);
		if (h_wait_pid(f->bot, NULL, H_TIMEOUT_MS) == 0)
			f->bot = -1;
		h_kill_child(&f->bot, NULL);
	}
	h_close(f->alice);
	free(f);
	return h_finish();
}

/*
 * A newcomer joins, alice sees it, and the bot greets it by name in the
 * room; its nick goes to nick (at least 32 bytes).
 */
static struct h_conn *
bot_newcomer(struct bot_fixture *f, char *nick)
{
	struct h_conn *c;
	char want[64];

	c = h_join(&f->s, nick);
	snprintf(want, sizeof want, "*** %s joined", nick);
	h_expect(f->alice, want);
	snprintf(want, sizeof want, "<bot> hello %s", nick);
	h_expect(c, want);
	h_expect(f->alice, want);
	return c;
}

/* Whoever joins after the bot is greeted by name, in the room. */
static void
test_greets_joiners(void **state)
{
	struct bot_fixture *f = *state;
	struct h_conn *c;
	char nick[32], want[64];

	c = bot_newcomer(f, nick);
	/* A rename is not a join: no second greeting. */
	h_send(c, "/nick carol\n");
	snprintf(want, sizeof want, "*** %s is now carol", nick);
	h_expect(c, want);
	assert_true(h_silent(c, 300));
	h_close(c);
}

/* Now in UTC, as the bot writes it: "2025-07-01T12:00:00Z". */
static void
bot_utc(char *out, size_t outlen)
{
	time_t now = time(NULL);
	struct tm tm;

	assert_non_null(gmtime_r(&now, &tm));
	assert_int_equal(strftime(out, outlen, "%Y-%m-%dT%H:%M:%SZ", &tm), 20);
}

/*
 * Check that line is prefix and a UTC time between before and now; ISO
 * 8601 times of one length sort as text in the order of time.
 */
static void
bot_check_time(const char *line, const char *prefix, const char *before)
{
	char after[32];
	const char *t;

	bot_utc(after, sizeof after);
	assert_non_null(line);
	assert_int_equal(strncmp(line, prefix, strlen(prefix)), 0);
	t = line + strlen(prefix);
	assert_int_equal(strlen(t), 20);
	assert_int_equal(strspn(t, "0123456789-:TZ"), 20);
	assert_true(t[4] == '-' && t[10] == 'T' && t[19] == 'Z');
	assert_true(strcmp(before, t) <= 0);
	assert_true(strcmp(t, after) <= 0);
}

/* "!time" in the room is answered in the room, naming who asked. */
static void
test_time(void **state)
{
	struct bot_fixture *f = *state;
	char prefix[64], before[32];

	bot_utc(before, sizeof before);
	h_send(f->alice, "!time\n");
	snprintf(prefix, sizeof prefix, "<bot> %s: it is ", f->alice_nick);
	bot_check_time(h_line(f->alice, H_TIMEOUT_MS), prefix, before);
	/* Only the exact command: "!times" and chat about it are not. */
	h_send(f->alice, "!times\n");
	h_send(f->alice, "what is !time\n");
	assert_true(h_silent(f->alice, 300));
}

/* "!time" in a private message is answered privately. */
static void
test_time_private(void **state)
{
	struct bot_fixture *f = *state;
	struct h_conn *c;
	char nick[32], before[32];

	c = bot_newcomer(f, nick);
	bot_utc(before, sizeof before);
	h_send(f->alice, "/msg bot !time\n");
	bot_check_time(h_line(f->alice, H_TIMEOUT_MS), "[pm] <bot> it is ",
	    before);
	/* The other one in the room saw nothing of it. */
	h_nothing(c);
	h_close(c);
}

/* At shutdown the bot leaves by itself, with status 0. */
static void
test_shutdown(void **state)
{
	struct bot_fixture *f = *state;
	int st = -1;

	assert_int_equal(h_stop_sig(&f->s, SIGTERM), 0);
	if (h_wait_pid(f->bot, &st, H_TIMEOUT_MS) == 0)
		f->bot = -1;
	assert_true(WIFEXITED(st));
	assert_int_equal(WEXITSTATUS(st), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_greets_joiners,
		    bot_setup, bot_teardown),
		cmocka_unit_test_setup_teardown(test_time, bot_setup,
		    bot_teardown),
		cmocka_unit_test_setup_teardown(test_time_private, bot_setup,
		    bot_teardown),
		cmocka_unit_test_setup_teardown(test_shutdown, bot_setup,
		    bot_teardown),
	};

	signal(SIGPIPE, SIG_IGN);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
