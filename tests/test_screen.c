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

/* Each kind of line has its colour, over the part that names it. */
static void
test_colors(void **state)
{
	static const struct {
		const char	*line;	/* clean text from the server */
		bool		 self;	/* our own chat */
		const char	*want;	/* bytes on the terminal */
	} rows[] = {
		{ "<bob> hi", false, "\033[32m<bob>\033[0m hi\r\n" },
		{ "<me> hi", true, "\033[34m<me>\033[0m hi\r\n" },
		{ "* bob waves", false, "\033[35m* bob\033[0m waves\r\n" },
		{ "* bob", false, "\033[35m* bob\033[0m\r\n" },
		{ "[pm] <bob> psst", false,
		    "\033[33m[pm] <bob>\033[0m psst\r\n" },
		{ "*** bob joined", false, "\033[36m*** bob joined\033[0m\r\n" },
		{ "!!! no", false, "\033[31m!!! no\033[0m\r\n" },
		{ "plain text", false, "plain text\r\n" },
		{ "<unclosed", false, "<unclosed\r\n" },
	};
	struct screen s;
	size_t i;

	(void)state;
	screen_init(&s, true, true);
	for (i = 0; i < sizeof rows / sizeof rows[0]; i++) {
		assert_int_equal(show(&s, rows[i].line, rows[i].self), 0);
		assert_out(&s, rows[i].want);
	}
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
		cmocka_unit_test(test_no_color),
		cmocka_unit_test(test_input_line),
		cmocka_unit_test(test_no_input_line_off_tty),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
