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
	/*
	 * Nor what the server removes as reordering text (bidirectional
	 * controls, line and paragraph separators): the echo would show
	 * what the others never see. The characters around them stay.
	 */
	keys(e, "\xe2\x80\xae" "c" "\xe2\x81\xa6" "\xe2\x80\xa8"
	    "\xe2\x80\xa9" "\xe2\x80\xaa" "\xe2\x81\xa9" "\xe2\x80\xa7");
	assert_line(e, "abc\xe2\x80\xa7", 6);
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
	/* A key that does not fit rings the bell, and changes nothing. */
	assert_int_equal(keys(e, "b"), EDITOR_BELL);
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

	assert_int_equal(editor_render(e, prompt, width, &b, NULL), 0);
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

/* A password after /login NICK or /register shows as stars, and no
 * such line is kept in the history. */
static void
test_password_masked(void **state)
{
	struct editor *e = ed_new();

	(void)state;
	assert_true(editor_secret_start("/login bob", 10) == EDITOR_NO_SECRET);
	assert_true(editor_secret_start("/login bob ", 11) == 11);
	assert_true(editor_secret_start("/LOGIN  bob  pw", 15) == 13);
	assert_true(editor_secret_start("/register ", 10) == 10);
	assert_true(editor_secret_start("/registered x", 13) ==
	    EDITOR_NO_SECRET);
	assert_true(editor_secret_start("hello /login a b", 16) ==
	    EDITOR_NO_SECRET);
	keys(e, "/login bob s3cré t");
	assert_string_equal(render(e, "> ", 80),
	    "\r> /login bob *******\033[K\r\033[20C");
	keys(e, "\001");
	keys(e, "\033[C\033[C\033[C\033[C\033[C\033[C\033[C\033[C\033[C"
	    "\033[C\033[C\033[C");
	/* The cursor on the second star. */
	assert_string_equal(render(e, "> ", 80),
	    "\r> /login bob *******\033[K\r\033[14C");
	keys(e, "\r");
	assert_string_equal(e->line, "/login bob s3cré t");
	keys(e, "/register hunter22\r");
	keys(e, "hello\r");
	/* Up: only the chat line was kept. */
	keys(e, "\033[A");
	assert_string_equal(render(e, "", 80), "\rhello\033[K\r\033[5C");
	keys(e, "\033[A");
	assert_string_equal(render(e, "", 80), "\rhello\033[K\r\033[5C");
	assert_int_equal(editor_hist_add(e, "/Login bob pw"), 0);
	assert_int_equal(e->nhist, 1);
	ed_del(e);
}

static void
test_render_scrolls(void **state)
{
	struct editor *e = ed_new();

	(void)state;
	/*
	 * 10 columns: "> " and 7 for text, the last column is never used.
	 * Text hidden on the left is marked by `<`, on the right by `>`.
	 */
	keys(e, "abcdefghijkl");
	assert_string_equal(render(e, "> ", 10),
	    "\r> <hijkl\033[K\r\033[8C");
	keys(e, "\001");
	assert_string_equal(render(e, "> ", 10),
	    "\r> abcdef>\033[K\r\033[2C");
	/* In the middle: hidden text on both sides. */
	keys(e, "\006\006\006\006\006\006\006\006");
	assert_string_equal(render(e, "> ", 10),
	    "\r> <efghi>\033[K\r\033[7C");
	/* Wide characters are never cut in half at the edge. */
	editor_clear(e);
	keys(e, "你好世界和平");
	assert_string_equal(render(e, "> ", 10),
	    "\r> <和平\033[K\r\033[7C");
	keys(e, "\001");
	assert_string_equal(render(e, "> ", 10),
	    "\r> 你好世>\033[K\r\033[2C");
	keys(e, "\006");
	/* 你 and 好 fit, 世 would touch the `>` column: padded instead. */
	editor_clear(e);
	keys(e, "a你好世界");
	keys(e, "\001");
	assert_string_equal(render(e, "> ", 10),
	    "\r> a你好 >\033[K\r\033[2C");
	/* Too narrow for the prompt: the text alone. */
	assert_string_equal(render(e, "> ", 3), "\ra\033[K\r");
	ed_del(e);
}

/*
 * The row for a..z with the cursor after key moves, at width: the
 * prompt (shown or not), the text shown, a `<` first exactly when the
 * start is hidden, a `>` last exactly when the end is, never the last
 * column, and as much text as the markers and the cursor leave room for.
 */
static void
check_narrow(struct editor *e, const char *moves, unsigned width,
    size_t pos)
{
	const char *abc = "abcdefghijklmnopqrstuvwxyz", *r, *k, *t;
	size_t pw, tlen, avail, first, col;
	bool lt, gt, prompt;

	editor_clear(e);
	keys(e, abc);
	keys(e, moves);
	r = render(e, "[lobby]> ", width);
	assert_int_equal(r[0], '\r');
	r++;
	k = strstr(r, "\033[K\r");
	assert_non_null(k);
	/* No move at all for column 0. */
	col = k[4] == '\033' ? strtoul(k + 6, NULL, 10) : 0;
	prompt = strncmp(r, "[lobby]> ", 9) == 0;
	/* The prompt goes only when it would leave under 6 columns. */
	assert_int_equal(prompt, width >= 9 + 1 + 6);
	pw = prompt ? 9 : 0;
	t = r + pw;
	tlen = (size_t)(k - t);
	avail = width - 1 - pw;
	assert_true(pw + tlen <= width - 1);
	lt = tlen > 0 && t[0] == '<';
	gt = tlen > 0 && t[tlen - 1] == '>';
	first = lt ? (size_t)(strchr(abc, t[1]) - abc) : 0;
	assert_int_equal(lt, first > 0);
	/* The letters shown are a run of the line, around the cursor. */
	assert_memory_equal(t + lt, abc + first, tlen - lt - gt);
	assert_int_equal(gt, first + tlen - lt - gt < 26);
	assert_true(pos >= first && pos <= first + tlen - lt - gt);
	assert_int_equal(col, pw + lt + pos - first);
	assert_true(col <= width - 2);
	/* No column wasted: each one is text, a marker or the cursor's. */
	assert_int_equal(tlen + (pos == 26 ? 1 : 0), avail);
}

/*
 * A terminal of 10 to 20 columns: with the prompt `[lobby]> ` the text
 * behind it still shows, and hidden text is always marked.
 */
static void
test_render_narrow(void **state)
{
	struct editor *e = ed_new();
	unsigned width;

	(void)state;
	for (width = 10; width <= 20; width++) {
		check_narrow(e, "", width, 26);
		check_narrow(e, "\001", width, 0);
		check_narrow(e, "\001\006\006\006\006\006\006\006\006\006"
		    "\006\006\006\006", width, 13);
	}
	/* As the user sees it at 12, 14 and 16 columns. */
	keys(e, "\005");
	assert_string_equal(render(e, "[lobby]> ", 12),
	    "\r<rstuvwxyz\033[K\r\033[10C");
	assert_string_equal(render(e, "[lobby]> ", 14),
	    "\r<pqrstuvwxyz\033[K\r\033[12C");
	assert_string_equal(render(e, "[lobby]> ", 16),
	    "\r[lobby]> <wxyz\033[K\r\033[14C");
	ed_del(e);
}

/* A TAB typed is completion; one pasted is text, shown as a space. */
static void
test_tab(void **state)
{
	struct editor *e = ed_new();

	(void)state;
	assert_int_equal(keys(e, "\t"), EDITOR_COMPLETE);
	assert_line(e, "", 0);
	keys(e, "a");
	assert_int_equal(editor_paste_key(e, '\t'), EDITOR_REDRAW);
	keys(e, "b");
	assert_line(e, "a\tb", 3);
	assert_int_equal(editor_width(e->buf, e->len), 3);
	assert_string_equal(render(e, "> ", 80), "\r> a b\033[K\r\033[5C");
	assert_int_equal(keys(e, "\r"), EDITOR_LINE);
	assert_string_equal(e->line, "a\tb");
	ed_del(e);
}

/*
 * A lone Esc is told apart by time: after editor_timeout() the next key
 * is a key again. Esc then an arrow is the arrow; ESC x is Meta-x, and
 * ESC ESC [ D is Meta-Left.
 */
static void
test_escape(void **state)
{
	struct editor *e = ed_new();

	(void)state;
	keys(e, "hello\033");
	assert_true(editor_pending(e));
	assert_int_equal(editor_timeout(e), EDITOR_NONE);
	assert_false(editor_pending(e));
	keys(e, "xyz");
	assert_line(e, "helloxyz", 8);
	/* Esc, wait, Up: the history, not "[A". */
	keys(e, "\r");
	keys(e, "\033");
	editor_timeout(e);
	assert_int_equal(keys(e, "\033[A"), EDITOR_REDRAW);
	assert_line(e, "helloxyz", 8);
	/* Esc then Esc [ A at once: the first Esc is alone. */
	editor_clear(e);
	keys(e, "one two");
	assert_int_equal(keys(e, "\033\033[D"), EDITOR_REDRAW);
	assert_line(e, "one two", 4);		/* Meta-Left: a word */
	keys(e, "\033[1;2D");			/* Shift-Left: one character */
	assert_int_equal(e->pos, 3);
	keys(e, "\033[1;3D");			/* Alt-Left */
	assert_int_equal(e->pos, 0);
	keys(e, "\033f");			/* Alt-f */
	assert_int_equal(e->pos, 3);
	keys(e, "\033b");			/* Alt-b */
	assert_int_equal(e->pos, 0);
	keys(e, "\033d");			/* Alt-d: the word after */
	assert_line(e, " two", 0);
	keys(e, "\005\033\177");		/* Alt-Backspace */
	assert_line(e, " ", 1);
	/* An unfinished sequence is dropped, not typed. */
	keys(e, "\033[1");
	assert_true(editor_pending(e));
	editor_timeout(e);
	keys(e, "z");
	assert_line(e, " z", 2);
	ed_del(e);
}

/* Enter on a line over the server's limit keeps the line. */
static void
test_maxsend(void **state)
{
	struct editor *e = ed_new();

	(void)state;
	e->maxsend = 5;
	keys(e, "123456");
	assert_int_equal(keys(e, "\r"), EDITOR_TOOLONG);
	assert_line(e, "123456", 6);
	assert_int_equal(e->nhist, 0);
	keys(e, "\177");
	assert_int_equal(keys(e, "\r"), EDITOR_LINE);
	assert_string_equal(e->line, "12345");
	ed_del(e);
}

/* Ctrl-Y yanks the last kill; Ctrl-T swaps; Ctrl-_ undoes. */
static void
test_yank_transpose_undo(void **state)
{
	struct editor *e = ed_new();

	(void)state;
	keys(e, "hello world");
	keys(e, "\027");			/* Ctrl-W */
	assert_line(e, "hello ", 6);
	keys(e, "\001\031");			/* Ctrl-A, Ctrl-Y */
	assert_line(e, "worldhello ", 5);
	assert_int_equal(keys(e, "\037"), EDITOR_REDRAW);	/* undo */
	assert_line(e, "hello ", 0);
	assert_int_equal(keys(e, "\037"), EDITOR_REDRAW);
	assert_line(e, "hello world", 11);
	/* Typing is one step to undo. */
	keys(e, "!!!");
	keys(e, "\037");
	assert_line(e, "hello world", 11);
	/* Ctrl-T at the end swaps the last two; inside, steps on. */
	keys(e, "\024");
	assert_line(e, "hello wordl", 11);
	keys(e, "\001\006\024");
	assert_line(e, "ehllo wordl", 2);
	editor_clear(e);
	keys(e, "你a");
	keys(e, "\024");
	assert_line(e, "a你", 4);
	/* Nothing left to undo: the bell. */
	while (e->nundo > 0)
		editor_undo(e);
	assert_int_equal(keys(e, "\037"), EDITOR_BELL);
	ed_del(e);
}

/* Ctrl-R finds older lines holding the text typed. */
static void
test_search(void **state)
{
	struct editor *e = ed_new();

	(void)state;
	keys(e, "hello bob\r");
	keys(e, "something else\r");
	keys(e, "hello alice\r");
	keys(e, "draft");
	assert_int_equal(keys(e, "\022"), EDITOR_REDRAW);	/* Ctrl-R */
	assert_true(e->searching);
	keys(e, "hel");
	assert_line(e, "hello alice", 0);
	assert_string_equal(render(e, "> ", 80),
	    "\r(reverse-i-search)`hel': hello alice\033[K\r\033[25C");
	keys(e, "\022");
	assert_line(e, "hello bob", 0);
	assert_int_equal(keys(e, "\022"), EDITOR_BELL);	/* no older */
	assert_line(e, "hello bob", 0);
	/* Ctrl-G puts back what was typed. */
	keys(e, "\007");
	assert_false(e->searching);
	assert_line(e, "draft", 5);
	/* Enter takes the line found. */
	keys(e, "\022else");
	assert_int_equal(keys(e, "\r"), EDITOR_LINE);
	assert_string_equal(e->line, "something else");
	/* A moving key keeps it for editing; a lone Esc drops it. */
	keys(e, "\022bob\005!");
	assert_line(e, "hello bob!", 10);
	editor_clear(e);
	keys(e, "\022zzz");
	assert_true(e->search_failed);
	keys(e, "\033");
	assert_int_equal(editor_timeout(e), EDITOR_REDRAW);
	assert_false(e->searching);
	assert_line(e, "", 0);
	ed_del(e);
}

/* Tab completes nicks, cycling; ": " at the line's start. */
static void
test_complete(void **state)
{
	static const char *const names[] = { "alice", "Alfred", "bob" };
	struct editor *e = ed_new();

	(void)state;
	keys(e, "al");
	assert_int_equal(editor_complete(e, names, 3), EDITOR_REDRAW);
	assert_line(e, "alice: ", 7);
	assert_int_equal(editor_complete(e, names, 3), EDITOR_REDRAW);
	assert_line(e, "Alfred: ", 8);
	assert_int_equal(editor_complete(e, names, 3), EDITOR_REDRAW);
	assert_line(e, "alice: ", 7);
	/* A key ends the cycle; later in the line a space follows. */
	keys(e, "hi B");
	assert_int_equal(keys(e, "\t"), EDITOR_COMPLETE);
	assert_int_equal(editor_complete(e, names, 3), EDITOR_REDRAW);
	assert_line(e, "alice: hi bob ", 14);
	keys(e, "zz");
	assert_int_equal(editor_complete(e, names, 3), EDITOR_BELL);
	assert_line(e, "alice: hi bob zz", 16);
	/* Undo takes a completion back whole. */
	editor_clear(e);
	keys(e, "x b");
	editor_complete(e, names, 3);
	assert_line(e, "x bob ", 6);
	keys(e, "\037");
	assert_line(e, "x b", 3);
	ed_del(e);
}

/* A bracketed paste is gathered whole, its end found across calls. */
static void
test_paste(void **state)
{
	struct editor *e = ed_new();

	(void)state;
	assert_int_equal(keys(e, "\033[200~a\tb\r\033[2x\033"), EDITOR_NONE);
	assert_false(editor_pending(e));	/* an ESC inside is text */
	assert_int_equal(keys(e, "[201"), EDITOR_NONE);
	assert_int_equal(keys(e, "~"), EDITOR_PASTE);
	assert_int_equal(buf_used(&e->paste), 8);
	assert_memory_equal(buf_peek(&e->paste), "a\tb\r\033[2x", 8);
	assert_line(e, "", 0);
	/* Keys again after it. */
	keys(e, "z");
	assert_line(e, "z", 1);
	ed_del(e);
}

/*
 * A paste over EDITOR_PASTE_MAX keeps its first EDITOR_PASTE_MAX bytes
 * and counts the rest, so the caller knows it was cut; a paste end
 * begun past the cap is still found. The next paste starts afresh.
 */
static void
test_paste_cut(void **state)
{
	struct editor *e = ed_new();
	size_t i;

	(void)state;
	keys(e, "\033[200~");
	for (i = 0; i < EDITOR_PASTE_MAX; i++)
		assert_int_equal(editor_key(e, 'a'), EDITOR_NONE);
	assert_int_equal(e->plost, 0);
	/* b, ESC [ 2 x (not the end after all), c: 6 bytes past the cap. */
	assert_int_equal(keys(e, "b\033[2xc\033[20"), EDITOR_NONE);
	assert_int_equal(keys(e, "1~"), EDITOR_PASTE);
	assert_int_equal(buf_used(&e->paste), EDITOR_PASTE_MAX);
	assert_int_equal(e->plost, 6);
	assert_line(e, "", 0);
	buf_clear(&e->paste);
	assert_int_equal(keys(e, "\033[200~ok\033[201~"), EDITOR_PASTE);
	assert_int_equal(e->plost, 0);
	assert_int_equal(buf_used(&e->paste), 2);
	ed_del(e);
}

/*
 * A paste of EDITOR_PASTE_MAX bytes exactly, its last an ESC (that the
 * paste end's ESC follows), is whole: the cap counts the bytes kept, not
 * an ESC held while it may start the end.
 */
static void
test_paste_cap_esc(void **state)
{
	struct editor *e = ed_new();
	size_t i;

	(void)state;
	keys(e, "\033[200~");
	for (i = 0; i < EDITOR_PASTE_MAX - 1; i++)
		assert_int_equal(editor_key(e, 'a'), EDITOR_NONE);
	assert_int_equal(keys(e, "\033\033[201~"), EDITOR_PASTE);
	assert_int_equal(e->plost, 0);
	assert_int_equal(buf_used(&e->paste), EDITOR_PASTE_MAX);
	assert_int_equal(((const char *)buf_peek(&e->paste))[
	    EDITOR_PASTE_MAX - 1], '\033');
	ed_del(e);
}

/* Ctrl-L asks for a clear screen. */
static void
test_clear_key(void **state)
{
	struct editor *e = ed_new();

	(void)state;
	assert_int_equal(keys(e, "\014"), EDITOR_CLEAR);
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
		cmocka_unit_test(test_password_masked),
		cmocka_unit_test(test_render_scrolls),
		cmocka_unit_test(test_render_narrow),
		cmocka_unit_test(test_tab),
		cmocka_unit_test(test_escape),
		cmocka_unit_test(test_maxsend),
		cmocka_unit_test(test_yank_transpose_undo),
		cmocka_unit_test(test_search),
		cmocka_unit_test(test_complete),
		cmocka_unit_test(test_paste),
		cmocka_unit_test(test_paste_cut),
		cmocka_unit_test(test_paste_cap_esc),
		cmocka_unit_test(test_clear_key),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
