/* test_screen: what the client's screen writes, byte by byte, no terminal. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <setjmp.h>
#include <cmocka.h>

#include "screen.h"

/* The queued output must read exactly want; then it is emptied. */
#define assert_out(s, want) assert_out_at((s), (want), __FILE__, __LINE__)

static void
assert_out_at(struct screen *s, const char *want, const char *file, int line)
{
	size_t n = buf_used(&s->out);

	if (n != strlen(want) || memcmp(buf_peek(&s->out), want, n) != 0) {
		fprintf(stderr, "%s:%d: screen wrote \"%.*s\", want \"%s\"\n",
		    file, line, (int)n, buf_peek(&s->out), want);
		fail_msg("unexpected screen output");
	}
	buf_clear(&s->out);
}

/* Show a NUL-terminated line. */
static int
show(struct screen *s, const char *text, bool self)
{
	return screen_line(s, text, strlen(text), self);
}

/* Away from a terminal: the text and LF, never a colour. */
static void
test_plain_lines(void **state)
{
	struct screen s;

	(void)state;
	screen_init(&s, false, true);
	assert_false(s.color);
	assert_int_equal(show(&s, "<bob> hi", false), 0);
	assert_int_equal(show(&s, "*** x joined", false), 0);
	assert_out(&s, "<bob> hi\n*** x joined\n");
	screen_free(&s);
}

/*
 * Each kind of line has its colour, over the part that names it: the
 * sender of chat and of /me in the sender's own colour (%s below).
 */
static void
test_colors(void **state)
{
	static const struct {
		const char	*line;	/* clean text from the server */
		bool		 self;	/* our own line */
		const char	*want;	/* bytes on the terminal */
	} rows[] = {
		{ "<bob> hi", false, "%s<bob>\033[0m hi\r\n" },
		{ "<me> hi", true, "\033[34m<me>\033[0m hi\r\n" },
		{ "* bob waves", false, "%s* bob\033[0m waves\r\n" },
		{ "* bob", false, "%s* bob\033[0m\r\n" },
		{ "[pm] <bob> psst", false,
		    "\033[33m[pm] <bob>\033[0m psst\r\n" },
		{ "-> *bob* psst", true, "\033[33m-> *bob*\033[0m psst\r\n" },
		{ "*** bob joined", false, "\033[36m*** bob joined\033[0m\r\n" },
		{ "!!! no", false, "\033[31m!!! no\033[0m\r\n" },
		{ "plain text", false, "plain text\r\n" },
		{ "<unclosed", false, "<unclosed\r\n" },
	};
	struct screen s;
	char want[128];
	size_t i;

	(void)state;
	screen_init(&s, true, true);
	for (i = 0; i < sizeof rows / sizeof rows[0]; i++) {
		snprintf(want, sizeof want, rows[i].want,
		    screen_nick_color(&s, "bob", 3));
		assert_int_equal(show(&s, rows[i].line, rows[i].self), 0);
		assert_out(&s, want);
	}
	screen_free(&s);
}

/*
 * A nick's colour is the same each time and whatever its case; nicks
 * get different ones; 256-colour terminals get the wider palette.
 */
static void
test_nick_colors(void **state)
{
	static const char *const nicks[] = { "alice", "bob", "carol", "dave",
	    "eve", "mallory", "trent", "peggy" };
	struct screen s;
	const char *c, *seen[8];
	size_t i, j, distinct = 0;

	(void)state;
	screen_init(&s, true, true);
	assert_string_equal(screen_nick_color(&s, "Alice", 5),
	    screen_nick_color(&s, "aLICE", 5));
	for (i = 0; i < 8; i++) {
		c = screen_nick_color(&s, nicks[i], strlen(nicks[i]));
		for (j = 0; j < distinct && strcmp(seen[j], c) != 0; j++)
			;
		if (j == distinct)
			seen[distinct++] = c;
	}
	assert_true(distinct >= 3);
	s.colors256 = true;
	assert_non_null(strstr(screen_nick_color(&s, "bob", 3), "38;5;"));
	screen_free(&s);
}

/*
 * Our nick named by someone else, as a word in any case: highlighted,
 * and the bell rings; not in our own lines, not inside another word.
 */
static void
test_mentions(void **state)
{
	struct screen s;
	char want[256];

	(void)state;
	screen_init(&s, true, true);
	s.nick = "alice";
	assert_int_equal(show(&s, "<bob> hi Alice, look", false), 0);
	snprintf(want, sizeof want, "%s<bob>\033[0m hi \033[1;7mAlice"
	    "\033[0m, look\a\r\n", screen_nick_color(&s, "bob", 3));
	assert_out(&s, want);
	assert_int_equal(s.mentions, 1);
	assert_int_equal(show(&s, "<bob> malice aforethought", false), 0);
	assert_int_equal(show(&s, "<alice> alice is me", true), 0);
	assert_int_equal(show(&s, "*** alice joined", false), 0);
	assert_int_equal(s.mentions, 1);
	buf_clear(&s.out);
	assert_int_equal(show(&s, "[pm] <bob> alice?", false), 0);
	assert_out(&s, "\033[33m[pm] <bob>\033[0m \033[1;7malice\033[0m?"
	    "\a\r\n");
	/* No colour: no highlight, but still the bell. */
	s.color = false;
	assert_int_equal(show(&s, "* bob pokes alice", false), 0);
	assert_out(&s, "* bob pokes alice\a\r\n");
	screen_free(&s);
}

/* --timestamps: HH:MM (local time) before every line. */
static void
test_timestamps(void **state)
{
	struct screen s;

	(void)state;
	setenv("TZ", "UTC", 1);
	tzset();
	screen_init(&s, false, false);
	s.stamps = true;
	s.now = 3600 * 13 + 60 * 7 + 5;		/* 13:07:05 UTC */
	assert_int_equal(show(&s, "<bob> hi", false), 0);
	assert_out(&s, "13:07 <bob> hi\n");
	screen_free(&s);
}

/* The bell, and Ctrl-L's clear screen, on a terminal only. */
static void
test_bell_clear(void **state)
{
	struct screen s;

	(void)state;
	screen_init(&s, true, false);
	s.shown = true;
	assert_int_equal(screen_bell(&s), 0);
	assert_int_equal(screen_clear(&s), 0);
	assert_false(s.shown);
	assert_out(&s, "\a\033[H\033[2J");
	screen_free(&s);
	screen_init(&s, false, false);
	assert_int_equal(screen_bell(&s), 0);
	assert_int_equal(screen_clear(&s), 0);
	assert_out(&s, "");
	screen_free(&s);
}

/* --no-color on a terminal: CR LF, but no colour. */
static void
test_no_color(void **state)
{
	struct screen s;

	(void)state;
	screen_init(&s, true, false);
	assert_int_equal(show(&s, "<bob> hi", false), 0);
	assert_out(&s, "<bob> hi\r\n");
	screen_free(&s);
}

/*
 * The input line is drawn once, taken off before a line is shown above
 * it, and drawn again below.
 */
static void
test_input_line(void **state)
{
	struct screen s;
	struct editor *e = malloc(sizeof *e);

	(void)state;
	assert_non_null(e);
	editor_init(e);
	screen_init(&s, true, false);
	s.width = 20;
	assert_int_equal(editor_insert(e, "ab", 2), 0);
	assert_int_equal(screen_input(&s, e, "> "), 0);
	assert_out(&s, "\r> ab\033[K\r\033[4C");
	/* Shown and unchanged: nothing to do. */
	assert_int_equal(screen_input(&s, e, "> "), 0);
	assert_out(&s, "");
	assert_int_equal(show(&s, "<bob> hi", false), 0);
	assert_out(&s, "\r\033[K<bob> hi\r\n");
	assert_false(s.shown);
	assert_int_equal(screen_input(&s, e, "> "), 0);
	assert_out(&s, "\r> ab\033[K\r\033[4C");
	s.dirty = true;
	assert_int_equal(screen_input(&s, e, "> "), 0);
	assert_out(&s, "\r> ab\033[K\r\033[4C");
	screen_free(&s);
	editor_free(e);
	free(e);
}

/* Away from a terminal there is no input line to draw. */
static void
test_no_input_line_off_tty(void **state)
{
	struct screen s;
	struct editor *e = malloc(sizeof *e);

	(void)state;
	assert_non_null(e);
	editor_init(e);
	screen_init(&s, false, false);
	assert_int_equal(screen_input(&s, e, "> "), 0);
	assert_int_equal(screen_hide_input(&s), 0);
	assert_out(&s, "");
	screen_free(&s);
	editor_free(e);
	free(e);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_plain_lines),
		cmocka_unit_test(test_colors),
		cmocka_unit_test(test_nick_colors),
		cmocka_unit_test(test_mentions),
		cmocka_unit_test(test_timestamps),
		cmocka_unit_test(test_bell_clear),
		cmocka_unit_test(test_no_color),
		cmocka_unit_test(test_input_line),
		cmocka_unit_test(test_no_input_line_off_tty),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
