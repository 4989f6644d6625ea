/* test_line: the incremental line framer and its length cap. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "line.h"
#include "unit.h"

#define SEEN_MAX	64

/* What the callback saw: events in order, with copies of the text. */
struct seen {
	int		 n;			/* events recorded */
	enum line_event	 ev[SEEN_MAX];		/* each event */
	char		*text[SEEN_MAX];	/* its text, NUL-terminated */
	size_t		 len[SEEN_MAX];		/* its length */
	const char	*where[SEEN_MAX];	/* text pointer as passed */
	int		 stop_at;		/* return 1 at this event */
};

static int
record(void *arg, enum line_event ev, const char *text, size_t len)
{
	struct seen *s = arg;
	int i = s->n;

	assert_true(i < SEEN_MAX);
	s->ev[i] = ev;
	s->len[i] = len;
	s->where[i] = text;
	s->text[i] = malloc(len + 1);
	assert_non_null(s->text[i]);
	if (len > 0)
		memcpy(s->text[i], text, len);
	s->text[i][len] = '\0';
	if (ev == LINE_TOOLONG) {
		assert_null(text);
		assert_int_equal(len, 0);
	}
	s->n++;
	return s->n == s->stop_at ? 1 : 0;
}

static int
setup(void **state)
{
	struct seen *s = calloc(1, sizeof *s);

	if (s == NULL)
		return -1;
	*state = s;
	return 0;
}

static int
teardown(void **state)
{
	struct seen *s = *state;
	int i;

	for (i = 0; i < s->n; i++)
		free(s->text[i]);
	free(s);
	return 0;
}

/* Event i was the line want. */
#define assert_text(s, i, want) \
	assert_text_at((s), (i), (want), __FILE__, __LINE__)

/* assert_text(), failing at file:line. */
static void
assert_text_at(const struct seen *s, int i, const char *want,
    const char *file, int line)
{
	u_true(i < s->n, file, line);
	u_int_eq(s->ev[i], LINE_TEXT, file, line);
	u_str_eq(s->text[i], want, file, line);
	u_int_eq(s->len[i], strlen(want), file, line);
}

/* Event i was a line too long. */
#define assert_toolong(s, i)	assert_toolong_at((s), (i), __FILE__, __LINE__)

/* assert_toolong(), failing at file:line. */
static void
assert_toolong_at(const struct seen *s, int i, const char *file, int line)
{
	u_true(i < s->n, file, line);
	u_int_eq(s->ev[i], LINE_TOOLONG, file, line);
}

static int
feed(struct line *l, const char *str, struct seen *s)
{
	return line_feed(l, str, strlen(str), record, s);
}

/* Feed str one byte per call. */
static void
feed_bytes(struct line *l, const char *str, struct seen *s)
{
	size_t i, n = strlen(str);

	for (i = 0; i < n; i++)
		assert_int_equal(line_feed(l, str + i, 1, record, s), 0);
}

static void
test_lf(void **state)
{
	struct seen *s = *state;
	struct line l;

	line_init(&l, 100);
	assert_int_equal(feed(&l, "hello\n", s), 0);
	assert_int_equal(s->n, 1);
	assert_text(s, 0, "hello");
	assert_int_equal(line_pending(&l), 0);
	line_free(&l);
}

static void
test_crlf(void **state)
{
	struct seen *s = *state;
	struct line l;

	line_init(&l, 100);
	assert_int_equal(feed(&l, "hello\r\nworld\r\n", s), 0);
	assert_int_equal(s->n, 2);
	assert_text(s, 0, "hello");
	assert_text(s, 1, "world");
	line_free(&l);
}

/* Only one CR right before LF goes; other CRs are text for hygiene. */
static void
test_cr_inside_kept(void **state)
{
	struct seen *s = *state;
	struct line l;

	line_init(&l, 100);
	assert_int_equal(feed(&l, "a\rb\n\r\r\n\r\n\r", s), 0);
	assert_int_equal(s->n, 3);
	assert_text(s, 0, "a\rb");
	assert_text(s, 1, "\r");
	assert_text(s, 2, "");
	assert_int_equal(line_pending(&l), 1);
	line_free(&l);
}

static void
test_empty_lines(void **state)
{
	struct seen *s = *state;
	struct line l;

	line_init(&l, 1);
	assert_int_equal(feed(&l, "\n\n\r\n", s), 0);
	assert_int_equal(s->n, 3);
	assert_text(s, 0, "");
	assert_text(s, 1, "");
	assert_text(s, 2, "");
	line_free(&l);
}

/* Lines wholly inside a chunk point into it; nothing is buffered. */
static void
test_many_lines_in_place(void **state)
{
	struct seen *s = *state;
	struct line l;
	const char *chunk = "one\ntwo\r\nthree\nfour";

	line_init(&l, 100);
	assert_int_equal(line_feed(&l, chunk, strlen(chunk), record, s), 0);
	assert_int_equal(s->n, 3);
	assert_text(s, 0, "one");
	assert_text(s, 1, "two");
	assert_text(s, 2, "three");
	assert_ptr_equal(s->where[0], chunk);
	assert_ptr_equal(s->where[1], chunk + 4);
	assert_ptr_equal(s->where[2], chunk + 9);
	assert_int_equal(line_pending(&l), 4);
	assert_int_equal(feed(&l, "\n", s), 0);
	assert_text(s, 3, "four");
	assert_int_equal(line_pending(&l), 0);
	line_free(&l);
}

static void
test_split_bytes(void **state)
{
	struct seen *s = *state;
	struct line l;

	line_init(&l, 100);
	feed_bytes(&l, "hello, world\r\nsecond\n", s);
	assert_int_equal(s->n, 2);
	assert_text(s, 0, "hello, world");
	assert_text(s, 1, "second");
	assert_int_equal(line_pending(&l), 0);
	line_free(&l);
}

static void
test_split_chunks(void **state)
{
	struct seen *s = *state;
	struct line l;

	line_init(&l, 100);
	assert_int_equal(feed(&l, "hel", s), 0);
	assert_int_equal(s->n, 0);
	assert_int_equal(line_pending(&l), 3);
	assert_int_equal(feed(&l, "lo\r", s), 0);
	assert_int_equal(s->n, 0);
	assert_int_equal(line_pending(&l), 6);
	assert_int_equal(feed(&l, "\nnext\nta", s), 0);
	assert_int_equal(s->n, 2);
	assert_text(s, 0, "hello");
	assert_text(s, 1, "next");
	assert_int_equal(line_pending(&l), 2);
	line_free(&l);
}

static void
test_exact_cap(void **state)
{
	struct seen *s = *state;
	struct line l;

	line_init(&l, 5);
	assert_int_equal(feed(&l, "12345\n12345\r\n", s), 0);
	feed_bytes(&l, "abcde\n", s);
	assert_int_equal(s->n, 3);
	assert_text(s, 0, "12345");
	assert_text(s, 1, "12345");
	assert_text(s, 2, "abcde");
	line_free(&l);
}

/* cap + 1: one TOOLONG, the rest dropped up to LF, the next line fine. */
static void
test_cap_plus_one(void **state)
{
	struct seen *s = *state;
	struct line l;

	line_init(&l, 5);
	assert_int_equal(feed(&l, "123456\nok\n", s), 0);
	assert_int_equal(s->n, 2);
	assert_toolong(s, 0);
	assert_text(s, 1, "ok");
	line_free(&l);
}

/* Reported as soon as the sixth byte arrives, before any LF. */
static void
test_toolong_early(void **state)
{
	struct seen *s = *state;
	struct line l;

	line_init(&l, 5);
	assert_int_equal(feed(&l, "12345", s), 0);
	assert_int_equal(s->n, 0);
	assert_int_equal(feed(&l, "6", s), 0);
	assert_int_equal(s->n, 1);
	assert_toolong(s, 0);
	assert_int_equal(line_pending(&l), 0);
	assert_int_equal(feed(&l, "789\r", s), 0);
	assert_int_equal(feed(&l, "more\r\nafter\n", s), 0);
	assert_int_equal(s->n, 2);
	assert_text(s, 1, "after");
	line_free(&l);
}

/* max bytes then CR: not too long until we know the CR is not before LF. */
static void
test_cap_cr_lf_split(void **state)
{
	struct seen *s = *state;
	struct line l;

	line_init(&l, 5);
	assert_int_equal(feed(&l, "12345", s), 0);
	assert_int_equal(feed(&l, "\r", s), 0);
	assert_int_equal(s->n, 0);
	assert_int_equal(line_pending(&l), 6);
	assert_int_equal(feed(&l, "\n", s), 0);
	assert_int_equal(s->n, 1);
	assert_text(s, 0, "12345");

	/* The same in one chunk ending with the CR. */
	assert_int_equal(feed(&l, "abcde\r", s), 0);
	assert_int_equal(s->n, 1);
	assert_int_equal(feed(&l, "\nz\n", s), 0);
	assert_int_equal(s->n, 3);
	assert_text(s, 1, "abcde");
	assert_text(s, 2, "z");
	line_free(&l);
}

/* max bytes, CR, then not LF: now it is known to be too long. */
static void
test_cap_cr_then_text(void **state)
{
	struct seen *s = *state;
	struct line l;

	line_init(&l, 5);
	assert_int_equal(feed(&l, "12345\r", s), 0);
	assert_int_equal(s->n, 0);
	assert_int_equal(feed(&l, "x", s), 0);
	assert_int_equal(s->n, 1);
	assert_toolong(s, 0);
	assert_int_equal(feed(&l, "\nok\n", s), 0);
	assert_text(s, 1, "ok");

	/* A second CR counts: 12345 CR CR LF is six bytes of content. */
	assert_int_equal(feed(&l, "12345\r", s), 0);
	assert_int_equal(feed(&l, "\r\n", s), 0);
	assert_int_equal(s->n, 3);
	assert_toolong(s, 2);
	line_free(&l);
}

static void
test_toolong_many_chunks(void **state)
{
	struct seen *s = *state;
	struct line l;
	char big[1000];
	int i;

	line_init(&l, 10);
	memset(big, 'x', sizeof big);
	for (i = 0; i < 50; i++) {
		assert_int_equal(line_feed(&l, big, sizeof big, record, s), 0);
		assert_int_equal(line_pending(&l), 0);
	}
	feed_bytes(&l, "yyyyyyyyyyyyyyyyyyyyyyyy\r", s);
	assert_int_equal(s->n, 1);
	assert_toolong(s, 0);
	assert_int_equal(feed(&l, "\nfine\n", s), 0);
	assert_int_equal(s->n, 2);
	assert_text(s, 1, "fine");
	line_free(&l);
}

/* A whole overlong line inside one chunk, between good ones. */
static void
test_toolong_in_chunk(void **state)
{
	struct seen *s = *state;
	struct line l;

	line_init(&l, 3);
	assert_int_equal(feed(&l, "ab\nabcdefgh\r\ncd\nabcd\n", s), 0);
	assert_int_equal(s->n, 4);
	assert_text(s, 0, "ab");
	assert_toolong(s, 1);
	assert_text(s, 2, "cd");
	assert_toolong(s, 3);
	line_free(&l);
}

/* An overlong line that began buffered and ends in a later chunk. */
static void
test_toolong_buffered_then_lf(void **state)
{
	struct seen *s = *state;
	struct line l;

	line_init(&l, 5);
	assert_int_equal(feed(&l, "123", s), 0);
	assert_int_equal(feed(&l, "456\n", s), 0);
	assert_int_equal(s->n, 1);
	assert_toolong(s, 0);
	assert_int_equal(line_pending(&l), 0);
	assert_int_equal(feed(&l, "123", s), 0);
	assert_int_equal(feed(&l, "45\n", s), 0);
	assert_text(s, 1, "12345");
	line_free(&l);
}

static void
test_callback_stop(void **state)
{
	struct seen *s = *state;
	struct line l;

	line_init(&l, 100);
	s->stop_at = 2;
	assert_int_equal(feed(&l, "a\nb\nc\nd", s), 1);
	assert_int_equal(s->n, 2);
	assert_text(s, 0, "a");
	assert_text(s, 1, "b");
	line_free(&l);
}

static void
test_callback_stop_toolong(void **state)
{
	struct seen *s = *state;
	struct line l;

	line_init(&l, 2);
	s->stop_at = 1;
	assert_int_equal(feed(&l, "abc", s), 1);
	assert_int_equal(s->n, 1);
	assert_toolong(s, 0);
	line_free(&l);
}

static void
test_finish_pending(void **state)
{
	struct seen *s = *state;
	struct line l;

	line_init(&l, 100);
	assert_int_equal(feed(&l, "a\nlast words", s), 0);
	assert_int_equal(line_finish(&l, record, s), 0);
	assert_int_equal(s->n, 2);
	assert_text(s, 1, "last words");
	assert_int_equal(line_pending(&l), 0);
	/* Nothing more to give. */
	assert_int_equal(line_finish(&l, record, s), 0);
	assert_int_equal(s->n, 2);
	line_free(&l);
}

static void
test_finish_empty(void **state)
{
	struct seen *s = *state;
	struct line l;

	line_init(&l, 100);
	assert_int_equal(line_finish(&l, record, s), 0);
	assert_int_equal(feed(&l, "done\n", s), 0);
	assert_int_equal(line_finish(&l, record, s), 0);
	assert_int_equal(s->n, 1);
	assert_text(s, 0, "done");
	line_free(&l);
}

static void
test_finish_discarding(void **state)
{
	struct seen *s = *state;
	struct line l;

	line_init(&l, 3);
	assert_int_equal(feed(&l, "abcdef", s), 0);
	assert_int_equal(s->n, 1);
	assert_int_equal(line_finish(&l, record, s), 0);
	assert_int_equal(s->n, 1);
	assert_toolong(s, 0);
	line_free(&l);
}

/* At EOF a held max bytes + CR has no LF to come: too long after all. */
static void
test_finish_cap_cr(void **state)
{
	struct seen *s = *state;
	struct line l;

	line_init(&l, 3);
	assert_int_equal(feed(&l, "abc\r", s), 0);
	assert_int_equal(s->n, 0);
	assert_int_equal(line_finish(&l, record, s), 0);
	assert_int_equal(s->n, 1);
	assert_toolong(s, 0);

	/* Below the cap, the trailing CR is text. */
	assert_int_equal(feed(&l, "ab\r", s), 0);
	assert_int_equal(line_finish(&l, record, s), 0);
	assert_text(s, 1, "ab\r");
	line_free(&l);
}

static void
test_finish_stop(void **state)
{
	struct seen *s = *state;
	struct line l;

	line_init(&l, 10);
	s->stop_at = 1;
	assert_int_equal(feed(&l, "tail", s), 0);
	assert_int_equal(line_finish(&l, record, s), 1);
	assert_text(s, 0, "tail");
	line_free(&l);
}

static void
test_shrink(void **state)
{
	struct seen *s = *state;
	struct line l;

	line_init(&l, 100);
	assert_null(l.part.data);
	assert_int_equal(feed(&l, "partial", s), 0);
	line_shrink(&l);
	/* Still held: the storage stays. */
	assert_non_null(l.part.data);
	assert_int_equal(line_pending(&l), 7);
	assert_int_equal(feed(&l, "\n", s), 0);
	assert_int_equal(line_pending(&l), 0);
	line_shrink(&l);
	assert_null(l.part.data);
	assert_int_equal(l.part.cap, 0);
	/* And it works again afterwards. */
	assert_int_equal(feed(&l, "x", s), 0);
	assert_int_equal(feed(&l, "y\n", s), 0);
	assert_text(s, 0, "partial");
	assert_text(s, 1, "xy");
	line_free(&l);
	assert_null(l.part.data);
}

/* The buffer never holds more than max + 1 bytes. */
static void
test_pending_bound(void **state)
{
	struct seen *s = *state;
	struct line l;
	size_t i;

	line_init(&l, 8);
	for (i = 0; i < 40; i++) {
		assert_int_equal(line_feed(&l, "abcdefg\r", 8 - i % 3, record,
		    s), 0);
		assert_true(line_pending(&l) <= l.max + 1);
	}
	line_free(&l);
}

/* ---- line_feed_runs() and line_whole() ---- */

/* A run callback that takes the whole lines starting with 'r'. */
struct runs {
	struct line	*l;
	struct seen	*s;
	int		 calls;		/* offers made */
};

static size_t
take_r(void *arg, const char *data, size_t n)
{
	struct runs *rn = arg;
	size_t used, len, took = 0;

	rn->calls++;
	while ((used = line_whole(rn->l, data + took, n - took, 0, &len)) >
	    0 && data[took] == 'r') {
		(void)record(rn->s, LINE_TEXT, data + took, len);
		took += used;
	}
	return took;
}

static int
record_run(void *arg, enum line_event ev, const char *text, size_t len)
{
	struct runs *rn = arg;

	return record(rn->s, ev, text, len);
}

static void
test_whole(void **state)
{
	struct line l;
	size_t len = 99;

	(void)state;
	line_init(&l, 4);
	assert_int_equal(line_whole(&l, "ab\ncd", 6, 0, &len), 3);
	assert_int_equal(len, 2);
	assert_int_equal(line_whole(&l, "ab\r\n", 4, 0, &len), 4);
	assert_int_equal(len, 2);
	/* The hint: bytes known to hold no LF are skipped. */
	assert_int_equal(line_whole(&l, "abcd\n", 5, 4, &len), 5);
	assert_int_equal(len, 4);
	assert_int_equal(line_whole(&l, "\n", 1, 0, &len), 1);
	assert_int_equal(len, 0);
	/* Unfinished, and over the cap (CR not counted): not whole. */
	assert_int_equal(line_whole(&l, "abc", 3, 0, &len), 0);
	assert_int_equal(line_whole(&l, "abc", 3, 3, &len), 0);
	assert_int_equal(line_whole(&l, "abcde\n", 6, 0, &len), 0);
	assert_int_equal(line_whole(&l, "abcd\r\n", 6, 0, &len), 6);
	assert_int_equal(len, 4);
	line_free(&l);
}

/*
 * However the input is cut, line_feed_runs() hands out what line_feed()
 * does, in the same order: the run's lines, the framer's lines and the
 * overlong ones interleaved as they came.
 */
static void
test_runs_same_as_feed(void **state)
{
	static const char in[] = "r1\nr2\r\nx3\nr4\nrtoolong\nr5\nx\r6\n"
	    "\n\nr7\nr8";
	struct seen *want = *state, *got;
	struct line l1, l2;
	struct runs rn;
	size_t cut, i, n = sizeof in - 1;
	int k;

	line_init(&l1, 5);
	assert_int_equal(feed(&l1, in, want), 0);
	assert_int_equal(line_finish(&l1, record, want), 0);
	line_free(&l1);
	assert_int_equal(want->n, 11);
	for (cut = 1; cut <= n; cut++) {
		got = calloc(1, sizeof *got);
		assert_non_null(got);
		line_init(&l2, 5);
		rn.l = &l2;
		rn.s = got;
		rn.calls = 0;
		for (i = 0; i < n; i += cut)
			assert_int_equal(line_feed_runs(&l2, in + i,
			    i + cut <= n ? cut : n - i, take_r, record_run,
			    &rn), 0);
		assert_int_equal(line_finish(&l2, record, got), 0);
		assert_true(rn.calls > 0);
		assert_int_equal(got->n, want->n);
		for (k = 0; k < want->n; k++) {
			assert_int_equal(got->ev[k], want->ev[k]);
			assert_string_equal(got->text[k], want->text[k]);
		}
		for (k = 0; k < got->n; k++)
			free(got->text[k]);
		free(got);
		line_free(&l2);
	}
}

/* A stop from the framer's callback stops the feed, runs and all. */
static void
test_runs_stop(void **state)
{
	struct seen *s = *state;
	struct line l;
	struct runs rn = { &l, s, 0 };

	line_init(&l, 10);
	s->stop_at = 2;
	assert_int_equal(line_feed_runs(&l, "r1\nx2\nr3\n", 9, take_r,
	    record_run, &rn), 1);
	assert_int_equal(s->n, 2);
	assert_text(s, 0, "r1");
	assert_text(s, 1, "x2");
	line_free(&l);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_lf, setup, teardown),
		cmocka_unit_test_setup_teardown(test_crlf, setup, teardown),
		cmocka_unit_test_setup_teardown(test_cr_inside_kept, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_empty_lines, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_many_lines_in_place, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_split_bytes, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_split_chunks, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_exact_cap, setup, teardown),
		cmocka_unit_test_setup_teardown(test_cap_plus_one, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_toolong_early, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_cap_cr_lf_split, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_cap_cr_then_text, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_toolong_many_chunks, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_toolong_in_chunk, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_toolong_buffered_then_lf,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_callback_stop, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_callback_stop_toolong,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_finish_pending, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_finish_empty, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_finish_discarding, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_finish_cap_cr, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_finish_stop, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_shrink, setup, teardown),
		cmocka_unit_test(test_whole),
		cmocka_unit_test_setup_teardown(test_runs_same_as_feed, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_runs_stop, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_pending_bound, setup,
		    teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
