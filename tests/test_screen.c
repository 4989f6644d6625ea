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
#include "sline.h"

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
		{ "<me> hi", true, "\033[1m<me>\033[0m hi\r\n" },
		{ "* me waves", true, "\033[1m* me\033[0m waves\r\n" },
		{ "* bob waves", false, "%s* bob\033[0m waves\r\n" },
		{ "* bob", false, "* bob\r\n" },
		{ "[pm] <bob> psst", false,
		    "\033[1;35m[pm] <bob>\033[0m psst\r\n" },
		{ "-> *bob* psst", true, "\033[1;35m-> *bob*\033[0m psst\r\n" },
		{ "*** bob joined", false, "\033[2m*** bob joined\033[0m\r\n" },
		{ "*** 2 online: a b", false,
		    "\033[36m*** 2 online: a b\033[0m\r\n" },
		{ "[14:02] <bob> hi", false,
		    "\033[2m[14:02] \033[0m%s<bob>\033[0m hi\r\n" },
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
	assert_out(&s, "\033[1;35m[pm] <bob>\033[0m \033[1;7malice\033[0m?"
	    "\a\r\n");
	/* In the history: marked, but no bell. */
	assert_int_equal(show(&s, "[14:02] <bob> alice!", false), 0);
	snprintf(want, sizeof want, "\033[2m[14:02] \033[0m%s<bob>\033[0m "
	    "\033[1;7malice\033[0m!\r\n", screen_nick_color(&s, "bob", 3));
	assert_out(&s, want);
	assert_int_equal(s.mentions, 2);
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
	/* A history line keeps its own stamp, and has only that one. */
	assert_int_equal(show(&s, "[12:01] <bob> hi", false), 0);
	assert_out(&s, "12:01 <bob> hi\n");
	assert_int_equal(show(&s, "[2026-11-30 23:58] * bob waves", false), 0);
	assert_out(&s, "2026-11-30 23:58 * bob waves\n");
	s.stamps = false;
	assert_int_equal(show(&s, "[12:01] <bob> hi", false), 0);
	assert_out(&s, "[12:01] <bob> hi\n");
	screen_free(&s);
}

/* Our own lines in the history are coloured as our own. */
static void
test_history_self(void **state)
{
	struct screen s;

	(void)state;
	screen_init(&s, true, true);
	s.nick = "Alice";
	assert_int_equal(show(&s, "[12:01] <alice> mine", false), 0);
	assert_out(&s, "\033[2m[12:01] \033[0m\033[1m<alice>\033[0m mine\r\n");
	s.colors256 = true;
	assert_int_equal(show(&s, "[12:01] * alice waves", false), 0);
	assert_out(&s, "\033[2m[12:01] \033[0m\033[1;38;5;63m* alice\033[0m "
	    "waves\r\n");
	screen_free(&s);
}

/*
 * Quiet notices: joins, leaves (moves to another room too) and renames
 * of others are dimmed, or not shown at all; ours and the other notices
 * always show.
 */
static void
test_quiet_notices(void **state)
{
	struct screen s;

	(void)state;
	screen_init(&s, true, false);
	s.nick = "alice";
	s.quiet = true;
	assert_int_equal(show(&s, "*** guest1 joined", false), 0);
	assert_int_equal(show(&s, "*** guest1 is now bob", false), 0);
	assert_int_equal(show(&s, "*** bob left (lunch)", false), 0);
	assert_int_equal(show(&s, "*** carol went to dev", false), 0);
	assert_out(&s, "");
	/* Our own move, the room's topic: news. */
	assert_int_equal(show(&s, "*** you are now in dev (2 online)", false),
	    0);
	assert_int_equal(show(&s, "*** bob set the topic: ship it", false), 0);
	assert_out(&s, "*** you are now in dev (2 online)\r\n"
	    "*** bob set the topic: ship it\r\n");
	assert_int_equal(show(&s, "*** guest2 is now alice", false), 0);
	assert_int_equal(show(&s, "*** alice is now Alice", false), 0);
	assert_int_equal(show(&s, "*** 2 online: alice bob", false), 0);
	assert_out(&s, "*** guest2 is now alice\r\n*** alice is now Alice\r\n"
	    "*** 2 online: alice bob\r\n");
	screen_free(&s);
}

/* The WCAG contrast ratio of xterm 256-colour index i against y (0..1). */
static double
contrast(int i, double y)
{
	/* The six levels, linearised by the sRGB curve. */
	static const double lin[6] = { 0.0, 0.114435, 0.242281, 0.428690,
	    0.679542, 1.0 };
	double l = 0, hi, lo;
	int rgb[3];
	static const double w[3] = { 0.2126, 0.7152, 0.0722 };
	int k;

	assert_true(i >= 16 && i < 232);
	rgb[0] = (i - 16) / 36;
	rgb[1] = (i - 16) / 6 % 6;
	rgb[2] = (i - 16) % 6;
	for (k = 0; k < 3; k++)
		l += w[k] * lin[(int)rgb[k]];
	hi = l > y ? l : y;
	lo = l > y ? y : l;
	return (hi + 0.05) / (lo + 0.05);
}

/*
 * Colours by contrast: every 256-colour nick keeps 3:1 on black and on
 * white; with 8 colours no nick is red or cyan (errors, notices); our
 * own lines are never basic blue, [pm] never basic yellow.
 */
static void
test_contrast(void **state)
{
	static const char *const nicks[] = { "alice", "bob", "carol", "dave",
	    "eve", "mallory", "trent", "peggy", "victor", "walter", "x",
	    "guest1", "guest2", "guest3", "a-b", "zed_" };
	struct screen s;
	const char *c;
	size_t i;

	(void)state;
	for (i = 0; i < SCREEN_NICK256; i++) {
		assert_true(contrast(screen_palette256[i], 0.0) >= 3.0);
		assert_true(contrast(screen_palette256[i], 1.0) >= 3.0);
	}
	assert_true(contrast(63, 0.0) >= 4.5);	/* our own lines */
	assert_true(contrast(63, 1.0) >= 4.5);
	assert_true(contrast(127, 0.0) >= 3.0);	/* [pm] */
	assert_true(contrast(127, 1.0) >= 3.0);
	screen_init(&s, true, true);
	for (i = 0; i < sizeof nicks / sizeof nicks[0]; i++) {
		c = screen_nick_color(&s, nicks[i], strlen(nicks[i]));
		assert_null(strstr(c, "31m"));
		assert_null(strstr(c, "36m"));
		assert_null(strstr(c, "34m"));
		assert_null(strstr(c, "33m"));
	}
	screen_free(&s);
}

/* Long lines wrap at word boundaries, continued under the text. */
static void
test_wrap(void **state)
{
	struct screen_break br[8];
	struct screen s;

	(void)state;
	/* "<bob> aaaa bbbb cccc" on 15 columns: a break before cccc. */
	assert_int_equal(screen_wrap("<bob> aaaa bbbb cccc", 5, 20, 5, 15, 6,
	    br, 8), 1);
	assert_int_equal(br[0].at, 15);
	assert_int_equal(br[0].resume, 16);
	/* A word longer than a row is cut where the row ends. */
	assert_int_equal(screen_wrap("<b> 0123456789abcdef", 3, 20, 3, 10, 4,
	    br, 8), 2);
	assert_int_equal(br[0].at, 10);
	assert_int_equal(br[1].at, 16);
	/* Wide characters count two columns; they are never split. */
	assert_int_equal(screen_wrap("<b> \xe4\xbd\xa0\xe5\xa5\xbd\xe4\xbd"
	    "\xa0\xe5\xa5\xbd", 3, 16, 3, 8, 4, br, 8), 1);
	assert_int_equal(br[0].at, 10);
	assert_int_equal(br[0].resume, 10);
	/* What fits is not broken. */
	assert_int_equal(screen_wrap("<bob> hi", 5, 8, 5, 8, 6, br, 8), 0);
	/* On a terminal, the breaks are made with the indent. */
	screen_init(&s, true, false);
	s.width = 15;
	assert_int_equal(show(&s, "<bob> aaaa bbbb cccc", false), 0);
	assert_out(&s, "<bob> aaaa bbbb\r\n      cccc\r\n");
	assert_int_equal(show(&s, "*** 3 online: alice bob carol", false), 0);
	assert_out(&s, "*** 3 online:\r\n    alice bob\r\n    carol\r\n");
	screen_free(&s);
	/* Not on a terminal: never. */
	screen_init(&s, false, false);
	s.width = 14;
	assert_int_equal(show(&s, "<bob> aaaa bbbb cccc", false), 0);
	assert_out(&s, "<bob> aaaa bbbb cccc\n");
	screen_free(&s);
}

/* Lay out the /rooms answer line on s, as in room. */
static int
rooms(struct screen *s, const char *line, const char *room)
{
	struct sline sl;

	assert_int_equal(sline_parse(&sl, line, strlen(line)), SLINE_ROOMS);
	return screen_rooms(s, &sl, room);
}

/*
 * /rooms: a header, then the rooms, as many to a row as fit short of
 * the last column. On a narrow terminal a room that does not fit beside
 * another has a row of its own, and one wider than a row shows as much
 * of its name as fits and a `>`: never broken across rows, its name in
 * one place and its count in another, as the wrapping of long lines
 * would.
 */
static void
test_rooms_layout(void **state)
{
	static const char four[] = "*** 4 rooms: lobby (0) Dev (1) "
	    "ops-team (12) zeta_9 (1)";
	struct screen s;

	(void)state;
	screen_init(&s, true, false);
	assert_int_equal(rooms(&s, four, "Dev"), 0);
	assert_out(&s, "*** 4 rooms, you are in Dev:\r\n"
	    "***  lobby (0)  Dev (1)  ops-team (12)  zeta_9 (1)\r\n");
	/* 31 columns: two rows, none in the last column. */
	s.width = 31;
	assert_int_equal(rooms(&s, four, ""), 0);
	assert_out(&s, "*** 4 rooms:\r\n"
	    "***  lobby (0)  Dev (1)\r\n"
	    "***  ops-team (12)  zeta_9 (1)\r\n");
	/* 15 columns: one room a row; the one too wide is cut. */
	s.width = 15;
	assert_int_equal(rooms(&s, four, "Dev"), 0);
	assert_out(&s, "*** 4 rooms,\r\n    you are in\r\n    Dev:\r\n"
	    "***  lobby (0)\r\n"
	    "***  Dev (1)\r\n"
	    "***  ops-team>\r\n"
	    "***  zeta_9>\r\n");
	/* A name longer than a row of 30 columns: cut, not wrapped. */
	s.width = 30;
	assert_int_equal(rooms(&s, "*** 2 rooms: lobby (3) "
	    "a_room_name_of_32_characters_xy (1)", ""), 0);
	assert_out(&s, "*** 2 rooms:\r\n"
	    "***  lobby (3)\r\n"
	    "***  a_room_name_of_32_chara>\r\n");
	/* --timestamps: the stamp's columns count. */
	setenv("TZ", "UTC", 1);
	tzset();
	s.stamps = true;
	s.now = 3600 * 13 + 60 * 7;
	s.width = 22;
	assert_int_equal(rooms(&s, four, ""), 0);
	assert_out(&s, "13:07 *** 4 rooms:\r\n"
	    "13:07 ***  lobby (0)\r\n"
	    "13:07 ***  Dev (1)\r\n"
	    "13:07 ***  ops-team>\r\n"
	    "13:07 ***  zeta_9 (1)\r\n");
	/* A terminal too narrow for anything: still one room a row. */
	s.stamps = false;
	s.width = 4;
	assert_int_equal(rooms(&s, "*** 2 rooms: lobby (0) Dev (1)", ""), 0);
	assert_out(&s, "***\r\n2 ro\r\noms:\r\n***\r\nl>\r\n***\r\nD>\r\n");
	screen_free(&s);
}

/* What fits in so many columns: whole characters, as a reader sees them. */
static void
test_fit(void **state)
{
	static const char wide[] = "a\xe4\xbd\xa0" "b";		/* a你b */
	static const char accent[] = "e\xcc\x81x";		/* é as e + U+0301 */
	static const char flag[] = "\xf0\x9f\x87\xab\xf0\x9f\x87\xb7!";

	(void)state;
	assert_int_equal(screen_fit("abc", 3, 2), 2);
	assert_int_equal(screen_fit("abc", 3, 9), 3);
	assert_int_equal(screen_fit(wide, 5, 0), 0);
	assert_int_equal(screen_fit(wide, 5, 2), 1);	/* not half of 你 */
	assert_int_equal(screen_fit(wide, 5, 3), 4);
	assert_int_equal(screen_fit(accent, 4, 1), 3);	/* the accent too */
	assert_int_equal(screen_fit(flag, 9, 1), 0);	/* a flag is two */
	assert_int_equal(screen_fit(flag, 9, 2), 8);
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
		cmocka_unit_test(test_history_self),
		cmocka_unit_test(test_quiet_notices),
		cmocka_unit_test(test_contrast),
		cmocka_unit_test(test_wrap),
		cmocka_unit_test(test_rooms_layout),
		cmocka_unit_test(test_fit),
		cmocka_unit_test(test_bell_clear),
		cmocka_unit_test(test_no_color),
		cmocka_unit_test(test_input_line),
		cmocka_unit_test(test_no_input_line_off_tty),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
