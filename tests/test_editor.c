/* test_editor: the client's line editor, key by key, without a terminal. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <setjmp.h>
#include <cmocka.h>

#include "buf.h"
#include "editor.h"

/* Feed the bytes of s as keys; returns the last action. */
static enum editor_action
keys(struct editor *e, const char *s)
{
	enum editor_action a = EDITOR_NONE;

	for (; *s != '\0'; s++)
		a = editor_key(e, (unsigned char)*s);
	return a;
}

/* A fresh editor on the heap (it is big), freed by the test. */
static struct editor *
ed_new(void)
{
	struct editor *e = malloc(sizeof *e);

	assert_non_null(e);
	editor_init(e);
	return e;
}

static void
ed_del(struct editor *e)
{
	editor_free(e);
	free(e);
}

/* The line as a string, and the cursor as a byte offset. */
#define assert_line(e, text, cursor) do {				\
	assert_string_equal((e)->buf, (text));				\
	assert_int_equal((e)->len, strlen(text));			\
	assert_int_equal((e)->pos, (cursor));				\
} while (0)

static void
test_insert_ascii(void **state)
{
	struct editor *e = ed_new();

	(void)state;
	assert_int_equal(keys(e, "hello"), EDITOR_REDRAW);
	assert_line(e, "hello", 5);
	editor_home(e);
	keys(e, ">");
	assert_line(e, ">hello", 1);
	ed_del(e);
}

static void
test_insert_utf8_split(void **state)
{
	struct editor *e = ed_new();

	(void)state;
	/* 你 arrives a byte at a time: nothing until it is whole. */
	assert_int_equal(editor_key(e, 0xe4), EDITOR_NONE);
	assert_int_equal(editor_key(e, 0xbd), EDITOR_NONE);
	assert_int_equal(e->len, 0);
	assert_int_equal(editor_key(e, 0xa0), EDITOR_REDRAW);
	assert_line(e, "\xe4\xbd\xa0", 3);
	keys(e, "好 é 😀");
	assert_line(e, "你好 é 😀", strlen("你好 é 😀"));
	ed_del(e);
}

static void
test_insert_bad_utf8(void **state)
{
	struct editor *e = ed_new();

	(void)state;
	/* A cut-short character is dropped; the byte after it counts. */
	keys(e, "\xe4\xbd" "a");
	assert_line(e, "a", 1);
	/* Stray continuation, overlong, surrogate, C1 control: all go. */
	keys(e, "\x80" "\xc0\xaf" "\xed\xa0\x80" "\xc2\x85" "b");
	assert_line(e, "ab", 2);
	/* Control characters never reach the line. */
	keys(e, "\t\x0f\x1e\x07");
	assert_line(e, "ab", 2);
	ed_del(e);
}

static void
test_backspace_whole_char(void **state)
{
	struct editor *e = ed_new();

	(void)state;
	keys(e, "a你😀");
	assert_int_equal(keys(e, "\x7f"), EDITOR_REDRAW);
	assert_line(e, "a你", 4);
	keys(e, "\b");
	assert_line(e, "a", 1);
	keys(e, "\x7f");
	assert_line(e, "", 0);
	/* Nothing left: no change, no redraw. */
	assert_int_equal(keys(e, "\x7f"), EDITOR_NONE);
	ed_del(e);
}

static void
test_combining_mark(void **state)
{
	struct editor *e = ed_new();

	(void)state;
	/* e + U+0301 is one character on screen: moves and deletes keep
	 * the mark with its base. */
	keys(e, "xe\xcc\x81y");
	assert_int_equal(editor_width(e->buf, e->len), 3);
	editor_left(e);
	assert_int_equal(e->pos, 4);
	editor_left(e);
	assert_int_equal(e->pos, 1);
	editor_right(e);
	assert_int_equal(e->pos, 4);
	editor_backspace(e);
	assert_line(e, "xy", 1);
	ed_del(e);
}

static void
test_cursor_moves(void **state)
{
	struct editor *e = ed_new();

	(void)state;
	keys(e, "ab你c");
	assert_int_equal(keys(e, "\033[D"), EDITOR_REDRAW);	/* left */
	assert_int_equal(e->pos, 5);
	keys(e, "\033[D");
	assert_int_equal(e->pos, 2);	/* over the whole of 你 */
	keys(e, "\002");		/* Ctrl-B */
	assert_int_equal(e->pos, 1);
	keys(e, "\033[C");		/* right */
	assert_int_equal(e->pos, 2);
	keys(e, "\006");		/* Ctrl-F */
	assert_int_equal(e->pos, 5);
	keys(e, "\001");		/* Ctrl-A */
	assert_int_equal(e->pos, 0);
	assert_int_equal(keys(e, "\033[D"), EDITOR_NONE);
	keys(e, "\005");		/* Ctrl-E */
	assert_int_equal(e->pos, 6);
	assert_int_equal(keys(e, "\033[C"), EDITOR_NONE);
	keys(e, "\033[H");		/* Home */
	assert_int_equal(e->pos, 0);
	keys(e, "\033[F");		/* End */
	assert_int_equal(e->pos, 6);
	keys(e, "\033[1~");		/* Home, VT220 */
	assert_int_equal(e->pos, 0);
	keys(e, "\033OF");		/* End, application mode */
	assert_int_equal(e->pos, 6);
	ed_del(e);
}

static void
test_insert_middle(void **state)
{
	struct editor *e = ed_new();

	(void)state;
	keys(e, "你好");
	keys(e, "\033[D");
	keys(e, "们");
	assert_line(e, "你们好", 6);
	keys(e, "\033[3~");		/* Delete: the 好 under the cursor */
	assert_line(e, "你们", 6);
	keys(e, "\001\004");		/* Ctrl-A, Ctrl-D deletes 你 */
	assert_line(e, "们", 0);
	ed_del(e);
}

static void
test_kills(void **state)
{
	struct editor *e = ed_new();

	(void)state;
	keys(e, "one two  three");
	keys(e, "\027");		/* Ctrl-W */
	assert_line(e, "one two  ", 9);
	keys(e, "\027");
	assert_line(e, "one ", 4);
	keys(e, "x y");
	keys(e, "\033[D\033[D");
	keys(e, "\025");		/* Ctrl-U: up to the cursor */
	assert_line(e, " y", 0);
	keys(e, "\033[C\013");		/* right, Ctrl-K */
	assert_line(e, " ", 1);
	ed_del(e);
}

static void
test_word_moves(void **state)
{
	struct editor *e = ed_new();

	(void)state;
	keys(e, "say 你好 now");
	keys(e, "\033[1;5D");		/* Ctrl-Left */
	assert_int_equal(e->pos, 11);
	keys(e, "\033[1;5D");
	assert_int_equal(e->pos, 4);
	keys(e, "\033[1;5C");		/* Ctrl-Right */
	assert_int_equal(e->pos, 10);
	ed_del(e);
}

static void
test_enter(void **state)
{
	struct editor *e = ed_new();

	(void)state;
	keys(e, "hi there");
	keys(e, "\033[D");
	assert_int_equal(keys(e, "\r"), EDITOR_LINE);
	assert_string_equal(e->line, "hi there");
	assert_line(e, "", 0);
	keys(e, "x");
	assert_int_equal(keys(e, "\n"), EDITOR_LINE);
	assert_string_equal(e->line, "x");
	assert_int_equal(keys(e, "\r"), EDITOR_LINE);
	assert_string_equal(e->line, "");
	ed_del(e);
}

static void
test_quit_keys(void **state)
{
	struct editor *e = ed_new();

	(void)state;
	assert_int_equal(keys(e, "\004"), EDITOR_QUIT);	/* Ctrl-D */
	assert_int_equal(keys(e, "\003"), EDITOR_QUIT);	/* Ctrl-C */
	/* On a line, Ctrl-C drops it and Ctrl-D deletes forward. */
	keys(e, "abc");
	assert_int_equal(keys(e, "\004"), EDITOR_NONE);
	assert_line(e, "abc", 3);
	assert_int_equal(keys(e, "\003"), EDITOR_REDRAW);
	assert_line(e, "", 0);
	assert_int_equal(keys(e, "\032"), EDITOR_SUSPEND);	/* Ctrl-Z */
	ed_del(e);
}

static void
test_history(void **state)
{
	struct editor *e = ed_new();

	(void)state;
	assert_int_equal(keys(e, "\033[A"), EDITOR_NONE);	/* none yet */
	keys(e, "first\r");
	keys(e, "second\r");
	keys(e, "second\r");	/* a repeat is kept once */
	keys(e, "   \r");		/* blank lines are not kept */
	assert_int_equal(e->nhist, 2);
	keys(e, "draft");
	keys(e, "\033[A");
	assert_line(e, "second", 6);
	keys(e, "\020");		/* Ctrl-P */
	assert_line(e, "first", 5);
	assert_int_equal(keys(e, "\033[A"), EDITOR_NONE);	/* oldest */
	/* Editing a recalled line leaves the history alone. */
	keys(e, "!");
	keys(e, "\033[B");
	assert_line(e, "second", 6);
	keys(e, "\016");		/* Ctrl-N: back to the draft */
	assert_line(e, "draft", 5);
	assert_int_equal(keys(e, "\033[B"), EDITOR_NONE);
	keys(e, "\033[A\033[A\r");
	assert_string_equal(e->line, "first");
	assert_string_equal(e->hist[e->nhist - 1], "first");
	assert_string_equal(e->hist[0], "first");
	ed_del(e);
}

static void
test_history_cap(void **state)
{
	struct editor *e = ed_new();
	char line[32];
	int i;

	(void)state;
	for (i = 0; i < EDITOR_HIST + 5; i++) {
		snprintf(line, sizeof line, "line %d\r", i);
		keys(e, line);
	}
	assert_int_equal(e->nhist, EDITOR_HIST);
	assert_string_equal(e->hist[0], "line 5");
	ed_del(e);
}

static void
test_full_line(void **state)
{
	struct editor *e = ed_new();
	int i;

	(void)state;
	for (i = 0; i < EDITOR_MAX; i++)
		editor_key(e, 'a');
	assert_int_equal(e->len, EDITOR_MAX);
	assert_int_equal(keys(e, "b"), EDITOR_NONE);
	assert_int_equal(editor_insert(e, "\xe4\xbd\xa0", 3), -1);
	assert_int_equal(e->len, EDITOR_MAX);
	ed_del(e);
}

static void
test_widths(void **state)
{
	(void)state;
	assert_int_equal(editor_cpwidth('a'), 1);
	assert_int_equal(editor_cpwidth(0x4f60), 2);	/* 你 */
	assert_int_equal(editor_cpwidth(0xac00), 2);	/* 가 */
	assert_int_equal(editor_cpwidth(0xff21), 2);	/* Ａ fullwidth */
	assert_int_equal(editor_cpwidth(0x1f600), 2);	/* 😀 */
	assert_int_equal(editor_cpwidth(0x0301), 0);	/* combining acute */
	assert_int_equal(editor_cpwidth(0x200b), 0);	/* zero width space */
	assert_int_equal(editor_cpwidth(0xe9), 1);	/* é */
	assert_int_equal(editor_width("a你好", strlen("a你好")), 5);
}

/* Render into a string (NUL-terminated, static). */
static const char *
render(const struct editor *e, const char *prompt, unsigned width)
{
	static char out[EDITOR_MAX * 2];
	struct buf b = BUF_INIT;

	assert_int_equal(editor_render(e, prompt, width, &b), 0);
	assert_true(buf_used(&b) < sizeof out);
	memcpy(out, buf_peek(&b), buf_used(&b));
	out[buf_used(&b)] = '\0';
	buf_free(&b);
	return out;
}

static void
test_render(void **state)
{
	struct editor *e = ed_new();

	(void)state;
	assert_string_equal(render(e, "> ", 80), "\r> \033[K\r\033[2C");
	keys(e, "hi 你好");
	assert_string_equal(render(e, "> ", 80),
	    "\r> hi 你好\033[K\r\033[9C");
	keys(e, "\033[D");
	/* The cursor sits on 好, two columns after "> hi 你". */
	assert_string_equal(render(e, "> ", 80),
	    "\r> hi 你好\033[K\r\033[7C");
	keys(e, "\001");
	assert_string_equal(render(e, "", 80), "\rhi 你好\033[K\r");
	ed_del(e);
}

static void
test_render_scrolls(void **state)
{
	struct editor *e = ed_new();

	(void)state;
	/* 10 columns: "> " and 7 for text, the last column is never used. */
	keys(e, "abcdefghijkl");
	assert_string_equal(render(e, "> ", 10),
	    "\r> ghijkl\033[K\r\033[8C");
	keys(e, "\001");
	assert_string_equal(render(e, "> ", 10),
	    "\r> abcdefg\033[K\r\033[2C");
	/* Wide characters are never cut in half at the edge. */
	editor_clear(e);
	keys(e, "你好世界和平");
	assert_string_equal(render(e, "> ", 10),
	    "\r> 界和平\033[K\r\033[8C");
	keys(e, "\001");
	assert_string_equal(render(e, "> ", 10),
	    "\r> 你好世\033[K\r\033[2C");
	/* Too narrow for the prompt: the text alone. */
	assert_string_equal(render(e, "> ", 3), "\r你\033[K\r");
	ed_del(e);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_insert_ascii),
		cmocka_unit_test(test_insert_utf8_split),
		cmocka_unit_test(test_insert_bad_utf8),
		cmocka_unit_test(test_backspace_whole_char),
		cmocka_unit_test(test_combining_mark),
		cmocka_unit_test(test_cursor_moves),
		cmocka_unit_test(test_insert_middle),
		cmocka_unit_test(test_kills),
		cmocka_unit_test(test_word_moves),
		cmocka_unit_test(test_enter),
		cmocka_unit_test(test_quit_keys),
		cmocka_unit_test(test_history),
		cmocka_unit_test(test_history_cap),
		cmocka_unit_test(test_full_line),
		cmocka_unit_test(test_widths),
		cmocka_unit_test(test_render),
		cmocka_unit_test(test_render_scrolls),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
