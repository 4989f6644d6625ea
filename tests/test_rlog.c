/* test_rlog: the room log driven without sockets: positions, blocks, private lines, history, slow readers. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "buf.h"
#include "rlog.h"
#include "unit.h"

#define OUT_MAX		(1 << 20)	/* most bytes one drain() returns */

/*
 * Write everything rd has, as a socket taking at most chunk bytes per
 * writev() would, into a NUL-terminated string the caller frees.
 */
#define drain_by(l, rd, chunk) \
	drain_by_at((l), (rd), (chunk), __FILE__, __LINE__)

/* drain_by() with a socket that takes everything. */
#define drain(l, rd)	drain_by_at((l), (rd), SIZE_MAX, __FILE__, __LINE__)

/* drain_by(), failing at file:line. */
static char *
drain_by_at(struct rlog *l, struct rlog_reader *rd, size_t chunk,
    const char *file, int line)
{
	struct iovec iov[64];
	char *out = malloc(OUT_MAX + 1);
	size_t len = 0, want, i, n, lines = 0, lf = 0;
	int cnt;

	u_true(out != NULL, file, line);
	while ((cnt = rlog_iov(l, rd, iov, 64)) > 0) {
		want = chunk;
		for (i = 0; i < (size_t)cnt && want > 0; i++) {
			n = iov[i].iov_len < want ? iov[i].iov_len : want;
			u_true(len + n <= OUT_MAX, file, line);
			memcpy(out + len, iov[i].iov_base, n);
			len += n;
			want -= n;
		}
		lines += rlog_advance(l, rd, chunk - want);
	}
	out[len] = '\0';
	/* What advance counted is what was written, however it was cut. */
	for (i = 0; i < len; i++)
		lf += out[i] == '\n';
	u_int_eq(lines, lf, file, line);
	u_true(!rlog_has_output(l, rd), file, line);
	return out;
}

/* Assert that rd's pending stream is exactly want, and consume it. */
#define expect(l, rd, want)	expect_at((l), (rd), (want), __FILE__, __LINE__)

/* expect(), failing at file:line. */
static void
expect_at(struct rlog *l, struct rlog_reader *rd, const char *want,
    const char *file, int line)
{
	char *got = drain_by_at(l, rd, SIZE_MAX, file, line);

	u_str_eq(got, want, file, line);
	free(got);
}

/* Append a NUL-terminated line text (LF included) from from. */
#define say(l, from, kind, text) \
	say_at((l), (from), (kind), (text), __FILE__, __LINE__)

/* say(), failing at file:line. */
static void
say_at(struct rlog *l, struct rlog_reader *from, enum rlog_kind kind,
    const char *text, const char *file, int line)
{
	u_int_eq(rlog_append(l, from, kind, text, strlen(text)), 0, file,
	    line);
}

/* Queue a NUL-terminated private line for rd. */
#define tell(l, rd, text)	tell_at((l), (rd), (text), __FILE__, __LINE__)

/* tell(), failing at file:line. */
static void
tell_at(struct rlog *l, struct rlog_reader *rd, const char *text,
    const char *file, int line)
{
	u_int_eq(rlog_private(l, rd, text, strlen(text)), 0, file, line);
}

/* Sum of every block's references: the positions held. */
static unsigned
refs(const struct rlog *l)
{
	const struct rlog_block *b;
	unsigned n = 0;

	for (b = l->head; b != NULL; b = b->next)
		n += b->refs;
	return n;
}

/* Blocks in the list from head to tail. */
static size_t
blocks(const struct rlog *l)
{
	const struct rlog_block *b;
	size_t n = 0;

	for (b = l->head; b != NULL; b = b->next)
		n++;
	return n;
}

/* ---------------------------------------------------------------------
 * Positions, own lines, lists
 * ------------------------------------------------------------------- */

static void
test_no_echo(void **state)
{
	struct rlog l;
	struct rlog_reader a, b, c;

	(void)state;
	assert_int_equal(rlog_init(&l, 0), 0);
	rlog_attach(&l, &a);
	rlog_attach(&l, &b);
	rlog_attach(&l, &c);
	say(&l, &a, RLOG_CHAT, "<a> one\n");
	say(&l, &b, RLOG_CHAT, "<b> two\n");
	say(&l, &a, RLOG_CHAT, "<a> three\n");
	say(&l, NULL, RLOG_NOTICE, "*** all\n");
	expect(&l, &a, "<b> two\n*** all\n");
	expect(&l, &b, "<a> one\n<a> three\n*** all\n");
	expect(&l, &c, "<a> one\n<b> two\n<a> three\n*** all\n");
	assert_int_equal(l.idle.count, 3);
	assert_int_equal(l.pending.count, 0);
	rlog_detach(&l, &a);
	rlog_detach(&l, &b);
	rlog_detach(&l, &c);
	assert_int_equal(refs(&l), 0);
	rlog_free(&l);
}

static void
test_late_joiner_sees_only_later(void **state)
{
	struct rlog l;
	struct rlog_reader a, b;

	(void)state;
	assert_int_equal(rlog_init(&l, 0), 0);
	rlog_attach(&l, &a);
	say(&l, NULL, RLOG_CHAT, "before\n");
	rlog_attach(&l, &b);
	say(&l, NULL, RLOG_CHAT, "after\n");
	expect(&l, &a, "before\nafter\n");
	expect(&l, &b, "after\n");
	rlog_detach(&l, &a);
	rlog_detach(&l, &b);
	rlog_free(&l);
}

static void
test_sender_caught_up_stays_idle(void **state)
{
	struct rlog l;
	struct rlog_reader a, b;

	(void)state;
	assert_int_equal(rlog_init(&l, 0), 0);
	rlog_attach(&l, &a);
	rlog_attach(&l, &b);
	say(&l, &a, RLOG_CHAT, "x\n");
	/* a passed over its own line at once: nothing to visit. */
	assert_int_equal(a.state, RLOG_IDLE);
	assert_int_equal(b.state, RLOG_PENDING);
	assert_int_equal(rlog_backlog(&l, &a), 0);
	assert_int_equal(rlog_lag(&l, &a), 0);
	assert_int_equal(rlog_backlog(&l, &b), 2);
	/* Now a is behind: its later lines are skipped, not counted. */
	say(&l, &b, RLOG_CHAT, "yy\n");
	say(&l, &a, RLOG_CHAT, "zzz\n");
	assert_int_equal(a.state, RLOG_PENDING);
	assert_int_equal(rlog_backlog(&l, &a), 3);
	assert_int_equal(rlog_lag(&l, &a), 7);
	expect(&l, &a, "yy\n");
	assert_int_equal(rlog_lag(&l, &a), 0);
	assert_int_equal(a.own, 0);
	expect(&l, &b, "x\nzzz\n");
	rlog_detach(&l, &a);
	rlog_detach(&l, &b);
	rlog_free(&l);
}

static void
test_caught_up_lines_share_a_run(void **state)
{
	struct rlog l;
	struct rlog_reader a, b, c, d;

	(void)state;
	assert_int_equal(rlog_init(&l, 0), 0);
	rlog_attach(&l, &d);
	/* Joiners, each with its welcome queued, each announced: a crowd's
	 * notices are one run, each joiner passing over its own. */
	rlog_attach(&l, &a);
	tell(&l, &a, "welcome a\n");
	say(&l, &a, RLOG_NOTICE, "*** a joined\n");
	rlog_attach(&l, &b);
	tell(&l, &b, "welcome b\n");
	say(&l, &b, RLOG_NOTICE, "*** b joined\n");
	rlog_attach(&l, &c);
	say(&l, &c, RLOG_NOTICE, "*** c joined\n");
	assert_int_equal(l.tail->nruns, 1);
	assert_int_equal(l.tail->runs[0].lines, 3);
	assert_int_equal(rlog_backlog(&l, &a), 10 + 13 + 13);
	assert_int_equal(rlog_backlog(&l, &c), 0);
	assert_int_equal(c.state, RLOG_IDLE);
	/* Not caught up: its line is marked as its own, and skipped. */
	say(&l, &a, RLOG_CHAT, "<a> hi\n");
	assert_int_equal(l.tail->nruns, 2);
	expect(&l, &a, "welcome a\n*** b joined\n*** c joined\n");
	expect(&l, &b, "welcome b\n*** c joined\n<a> hi\n");
	expect(&l, &c, "<a> hi\n");
	expect(&l, &d, "*** a joined\n*** b joined\n*** c joined\n"
	    "<a> hi\n");
	rlog_detach(&l, &a);
	rlog_detach(&l, &b);
	rlog_detach(&l, &c);
	rlog_detach(&l, &d);
	assert_int_equal(refs(&l), 0);
	rlog_free(&l);
}

static void
test_batch_holds_notices(void **state)
{
	struct rlog l;
	struct rlog_reader a, b, c;

	(void)state;
	assert_int_equal(rlog_init(&l, 0), 0);
	rlog_batch(&l, true);
	rlog_attach(&l, &a);
	rlog_attach(&l, &b);
	rlog_attach(&l, &c);
	/* A notice leaves the idle readers idle, with output held. */
	say(&l, NULL, RLOG_NOTICE, "*** x joined\n");
	assert_true(rlog_held(&l));
	assert_int_equal(l.idle.count, 3);
	assert_int_equal(l.pending.count, 0);
	assert_true(rlog_has_output(&l, &a));
	assert_int_equal(rlog_backlog(&l, &a), 13);
	/* A private line wakes its reader alone; the notice goes first. */
	tell(&l, &a, "just a\n");
	assert_int_equal(a.state, RLOG_PENDING);
	assert_int_equal(b.state, RLOG_IDLE);
	expect(&l, &a, "*** x joined\njust a\n");
	/* An idle sender with held notices is not caught up: it still
	 * gets them, and not its own line. */
	say(&l, &b, RLOG_NOTICE, "*** b is now bee\n");
	assert_int_equal(b.state, RLOG_IDLE);
	/* Chat wakes everyone, held notices and all, in order. */
	say(&l, &c, RLOG_CHAT, "<c> hello\n");
	assert_false(rlog_held(&l));
	assert_int_equal(l.idle.count, 0);
	expect(&l, &a, "*** b is now bee\n<c> hello\n");
	expect(&l, &b, "*** x joined\n<c> hello\n");
	expect(&l, &c, "*** x joined\n*** b is now bee\n");
	/* rlog_wake_one(): one reader gets them now, the others wait. */
	say(&l, NULL, RLOG_NOTICE, "*** c is now sea\n");
	rlog_wake_one(&l, &c);
	assert_int_equal(c.state, RLOG_PENDING);
	assert_int_equal(a.state, RLOG_IDLE);
	assert_int_equal(b.state, RLOG_IDLE);
	assert_true(rlog_held(&l));
	expect(&l, &c, "*** c is now sea\n");
	rlog_wake(&l);
	expect(&l, &a, "*** c is now sea\n");
	expect(&l, &b, "*** c is now sea\n");
	/* rlog_wake() is the caller's way to send the held ones. */
	say(&l, NULL, RLOG_NOTICE, "*** y joined\n");
	assert_true(rlog_held(&l));
	rlog_wake(&l);
	assert_false(rlog_held(&l));
	assert_int_equal(l.pending.count, 3);
	expect(&l, &a, "*** y joined\n");
	expect(&l, &b, "*** y joined\n");
	expect(&l, &c, "*** y joined\n");
	/* Off again: notices wake at once. */
	rlog_batch(&l, false);
	say(&l, NULL, RLOG_NOTICE, "*** z joined\n");
	assert_false(rlog_held(&l));
	assert_int_equal(l.pending.count, 3);
	rlog_detach(&l, &a);
	rlog_detach(&l, &b);
	rlog_detach(&l, &c);
	rlog_free(&l);
}

/* A leave notice costs this many bytes in the settle tests. */
static size_t
cost_of(const struct rlog_reader *rd, void *arg)
{
	(void)rd;
	return *(size_t *)arg;
}

static void
test_batch_held_count_toward_slow(void **state)
{
	struct rlog l;
	struct rlog_reader a, b;
	struct rlog_reader **out;
	size_t cost = 1, n;
	char line[64];
	int i;

	(void)state;
	assert_int_equal(rlog_init(&l, 0), 0);
	rlog_batch(&l, true);
	rlog_attach(&l, &a);
	rlog_attach(&l, &b);
	/* b keeps up; a is idle with only held notices, past the limit. */
	for (i = 0; i < 20; i++) {
		snprintf(line, sizeof line, "*** guest%d joined\n", i);
		say(&l, NULL, RLOG_NOTICE, line);
	}
	tell(&l, &b, "x\n");
	free(drain(&l, &b));
	assert_int_equal(a.state, RLOG_IDLE);
	n = rlog_settle(&l, 100, cost_of, &cost, &out);
	assert_int_equal(n, 1);
	assert_ptr_equal(out[0], &a);
	rlog_detach(&l, &a);
	rlog_detach(&l, &b);
	rlog_free(&l);
}

static void
test_park_unpark(void **state)
{
	struct rlog l;
	struct rlog_reader a;

	(void)state;
	assert_int_equal(rlog_init(&l, 0), 0);
	rlog_attach(&l, &a);
	say(&l, NULL, RLOG_CHAT, "hello\n");
	assert_int_equal(a.state, RLOG_PENDING);
	rlog_park(&l, &a);
	assert_int_equal(a.state, RLOG_PARKED);
	assert_int_equal(l.parked.count, 1);
	/* More lines do not unpark it: its socket is still full. */
	say(&l, NULL, RLOG_CHAT, "again\n");
	assert_int_equal(a.state, RLOG_PARKED);
	rlog_advance(&l, &a, 3);
	assert_int_equal(a.state, RLOG_PARKED);
	rlog_unpark(&l, &a);
	assert_int_equal(a.state, RLOG_PENDING);
	expect(&l, &a, "lo\nagain\n");
	assert_int_equal(a.state, RLOG_IDLE);
	rlog_detach(&l, &a);
	rlog_free(&l);
}

static void
test_partial_writes(void **state)
{
	struct rlog l;
	struct rlog_reader a, b, c;
	char line[64], *whole, *bytes;
	int i;

	(void)state;
	assert_int_equal(rlog_init(&l, 5), 0);
	rlog_attach(&l, &a);
	rlog_attach(&l, &b);
	rlog_attach(&l, &c);
	for (i = 0; i < 2000; i++) {
		snprintf(line, sizeof line, "<x> line %d\n", i);
		say(&l, i % 3 == 0 ? &a : NULL, RLOG_CHAT, line);
		if (i % 7 == 0) {
			snprintf(line, sizeof line, "private %d\n", i);
			tell(&l, &b, line);
			tell(&l, &c, line);
		}
	}
	/* One byte at a time gives the very same stream as all at once. */
	whole = drain(&l, &b);
	bytes = drain_by(&l, &c, 1);
	assert_string_equal(whole, bytes);
	free(bytes);
	free(whole);
	bytes = drain_by(&l, &a, 7);
	assert_null(strstr(bytes, "line 0\n"));
	assert_non_null(strstr(bytes, "line 1\n"));
	assert_null(strstr(bytes, "private"));
	free(bytes);
	rlog_detach(&l, &a);
	rlog_detach(&l, &b);
	rlog_detach(&l, &c);
	rlog_free(&l);
}

/* ---------------------------------------------------------------------
 * Blocks: references, freeing, reuse
 * ------------------------------------------------------------------- */

static void
test_blocks_freed_when_passed(void **state)
{
	struct rlog l;
	struct rlog_reader a, b;
	char line[100];
	size_t i, n = 3 * RLOG_BLOCK / 50;
	char *got;

	(void)state;
	assert_int_equal(rlog_init(&l, 0), 0);
	rlog_attach(&l, &a);
	rlog_attach(&l, &b);
	memset(line, 'x', 49);
	line[49] = '\n';
	line[50] = '\0';
	for (i = 0; i < n; i++)
		say(&l, NULL, RLOG_NOTICE, line);
	/* Both still at the start: every block is held. */
	assert_true(blocks(&l) >= 3);
	assert_int_equal(refs(&l), 2);
	assert_int_equal(l.head->refs, 2);
	got = drain(&l, &a);
	assert_int_equal(strlen(got), n * 50);
	free(got);
	/* b holds the head, a the tail; nothing in between is freed yet. */
	assert_int_equal(l.head->refs, 1);
	assert_int_equal(l.tail->refs, 1);
	assert_true(blocks(&l) >= 3);
	got = drain_by(&l, &b, 1000);
	free(got);
	/* Both passed: only the tail is left. */
	assert_int_equal(blocks(&l), 1);
	assert_int_equal(l.tail->refs, 2);
	rlog_detach(&l, &a);
	rlog_detach(&l, &b);
	assert_int_equal(refs(&l), 0);
	rlog_free(&l);
}

static void
test_block_reuse(void **state)
{
	struct rlog l;
	struct rlog_reader a, b;
	char line[200], *got;
	size_t i;

	(void)state;
	assert_int_equal(rlog_init(&l, 0), 0);
	rlog_attach(&l, &a);
	rlog_attach(&l, &b);
	memset(line, 'y', 199);
	line[199] = '\0';
	line[198] = '\n';
	/* A steady stream read as it comes: two blocks in turn, no more. */
	for (i = 0; i < 20 * RLOG_BLOCK / 199; i++) {
		say(&l, &a, RLOG_CHAT, line);
		got = drain(&l, &b);
		assert_string_equal(got, line);
		free(got);
		assert_true(l.nblocks <= 2);
	}
	assert_non_null(l.spare);
	rlog_trim(&l);
	assert_null(l.spare);
	assert_int_equal(l.nblocks, 1);
	rlog_detach(&l, &a);
	rlog_detach(&l, &b);
	rlog_free(&l);
}

static void
test_long_line_own_block(void **state)
{
	struct rlog l;
	struct rlog_reader a;
	char *line, *got;

	(void)state;
	assert_int_equal(rlog_init(&l, 0), 0);
	rlog_attach(&l, &a);
	line = malloc(3 * RLOG_BLOCK + 1);
	assert_non_null(line);
	memset(line, 'z', 3 * RLOG_BLOCK);
	line[3 * RLOG_BLOCK - 1] = '\n';
	line[3 * RLOG_BLOCK] = '\0';
	say(&l, NULL, RLOG_CHAT, "short\n");
	say(&l, NULL, RLOG_CHAT, line);
	say(&l, NULL, RLOG_CHAT, "short\n");
	got = drain(&l, &a);
	assert_int_equal(strlen(got), 3 * RLOG_BLOCK + 12);
	assert_memory_equal(got + 6, line, 3 * RLOG_BLOCK);
	free(got);
	free(line);
	rlog_detach(&l, &a);
	rlog_free(&l);
}

/* ---------------------------------------------------------------------
 * Private lines keep their place
 * ------------------------------------------------------------------- */

static void
test_private_in_order(void **state)
{
	struct rlog l;
	struct rlog_reader a, b, c;

	(void)state;
	assert_int_equal(rlog_init(&l, 0), 0);
	rlog_attach(&l, &a);
	rlog_attach(&l, &b);
	rlog_attach(&l, &c);
	tell(&l, &b, "*** welcome b\n");
	say(&l, &a, RLOG_CHAT, "<a> 1\n");
	tell(&l, &b, "[pm] <a> psst\n");
	tell(&l, &b, "[pm] <a> again\n");
	say(&l, &c, RLOG_CHAT, "<c> 2\n");
	say(&l, &a, RLOG_CHAT, "<a> 3\n");
	tell(&l, &b, "!!! error\n");
	tell(&l, &a, "*** for a\n");
	expect(&l, &b, "*** welcome b\n<a> 1\n[pm] <a> psst\n"
	    "[pm] <a> again\n<c> 2\n<a> 3\n!!! error\n");
	expect(&l, &a, "<c> 2\n*** for a\n");
	expect(&l, &c, "<a> 1\n<a> 3\n");
	assert_int_equal(b.privbytes, 0);
	assert_int_equal(buf_used(&b.priv), 0);
	rlog_detach(&l, &a);
	rlog_detach(&l, &b);
	rlog_detach(&l, &c);
	rlog_free(&l);
}

static void
test_private_while_behind(void **state)
{
	struct rlog l;
	struct rlog_reader a, b;
	char *got;

	(void)state;
	assert_int_equal(rlog_init(&l, 0), 0);
	rlog_attach(&l, &a);
	rlog_attach(&l, &b);
	say(&l, &a, RLOG_CHAT, "one\n");
	say(&l, &a, RLOG_CHAT, "two\n");
	/* b has written half of "one" when a private line comes. */
	rlog_advance(&l, &b, 2);
	tell(&l, &b, "priv\n");
	say(&l, &a, RLOG_CHAT, "three\n");
	/* Its own line between: a private line after b's own line. */
	say(&l, &b, RLOG_CHAT, "mine\n");
	tell(&l, &b, "priv2\n");
	say(&l, &a, RLOG_CHAT, "four\n");
	got = drain_by(&l, &b, 3);
	assert_string_equal(got, "e\ntwo\npriv\nthree\npriv2\nfour\n");
	free(got);
	assert_int_equal(b.own, 0);
	expect(&l, &a, "mine\n");
	rlog_detach(&l, &a);
	rlog_detach(&l, &b);
	rlog_free(&l);
}

static void
test_backlog_counts(void **state)
{
	struct rlog l;
	struct rlog_reader a, b;

	(void)state;
	assert_int_equal(rlog_init(&l, 0), 0);
	rlog_attach(&l, &a);
	rlog_attach(&l, &b);
	say(&l, &a, RLOG_CHAT, "12345\n");
	tell(&l, &b, "abc\n");
	assert_int_equal(rlog_backlog(&l, &b), 10);
	assert_int_equal(rlog_backlog(&l, &a), 0);
	rlog_advance(&l, &b, 4);
	assert_int_equal(rlog_backlog(&l, &b), 6);
	rlog_advance(&l, &b, 2);
	assert_int_equal(rlog_backlog(&l, &b), 4);
	assert_int_equal(b.privbytes, 4);
	rlog_advance(&l, &b, 4);
	assert_int_equal(rlog_backlog(&l, &b), 0);
	assert_int_equal(b.state, RLOG_IDLE);
	rlog_detach(&l, &a);
	rlog_detach(&l, &b);
	rlog_free(&l);
}

static void
test_stop(void **state)
{
	struct rlog l;
	struct rlog_reader a, b;

	(void)state;
	assert_int_equal(rlog_init(&l, 0), 0);
	rlog_attach(&l, &a);
	rlog_attach(&l, &b);
	say(&l, NULL, RLOG_NOTICE, "before\n");
	tell(&l, &b, "bye\n");
	rlog_stop(&l, &b);
	say(&l, NULL, RLOG_NOTICE, "*** b left\n");
	tell(&l, &b, "late\n");	/* still before the stop: kept */
	assert_int_equal(b.state, RLOG_PENDING);
	expect(&l, &b, "before\nbye\nlate\n");
	assert_int_equal(b.state, RLOG_DONE);
	expect(&l, &a, "before\n*** b left\n");
	/* Stopped and caught up: straight to DONE. */
	rlog_stop(&l, &a);
	assert_int_equal(a.state, RLOG_DONE);
	say(&l, NULL, RLOG_NOTICE, "gone\n");
	assert_false(rlog_has_output(&l, &a));
	rlog_detach(&l, &a);
	rlog_detach(&l, &b);
	assert_int_equal(refs(&l), 0);
	rlog_free(&l);
}

/*
 * A reader cut as too slow keeps the rest of the line its last write
 * stopped in (or the line a framer began: rlog_begun()), and nothing
 * else; one between two lines keeps nothing.
 */
static void
test_cut_keeps_line_end(void **state)
{
	struct rlog l;
	struct rlog_reader a, b, c;
	struct iovec iov[8];

	(void)state;
	assert_int_equal(rlog_init(&l, 0), 0);
	rlog_attach(&l, &a);
	rlog_attach(&l, &b);
	rlog_attach(&l, &c);
	say(&l, NULL, RLOG_NOTICE, "one\n");
	tell(&l, &a, "private two\n");
	say(&l, NULL, RLOG_NOTICE, "three\n");
	/* a stops inside its private line, b between two lines. */
	assert_true(rlog_iov(&l, &a, iov, 8) > 0);
	assert_int_equal(rlog_advance(&l, &a, 6), 1);
	assert_true(rlog_iov(&l, &b, iov, 8) > 0);
	assert_int_equal(rlog_advance(&l, &b, 4), 1);
	rlog_cut(&l, &a);
	rlog_cut(&l, &b);
	say(&l, NULL, RLOG_NOTICE, "*** a left (too slow)\n");
	assert_false(rlog_has_output(&l, &b));
	assert_int_equal(b.id, 0);
	expect(&l, &a, "ivate two\n");
	assert_int_equal(a.state, RLOG_DONE);
	/* A framer's header written, none of the line: that line is kept. */
	rlog_begun(&l, &c);
	rlog_cut(&l, &c);
	expect(&l, &c, "one\n");
	rlog_detach(&l, &a);
	rlog_detach(&l, &c);
	assert_int_equal(refs(&l), 0);
	rlog_free(&l);
}

static void
test_resume_after_private_only(void **state)
{
	struct rlog l;
	struct rlog_reader a, w;

	(void)state;
	assert_int_equal(rlog_init(&l, 0), 0);
	rlog_attach(&l, &a);
	/* w holds private lines only: nothing of the log reaches it. */
	rlog_attach(&l, &w);
	rlog_stop(&l, &w);
	assert_int_equal(w.state, RLOG_DONE);
	tell(&l, &w, "*** wait\n");
	assert_int_equal(w.state, RLOG_PENDING);
	say(&l, &a, RLOG_CHAT, "<a> not for w\n");
	tell(&l, &w, "*** still waiting\n");
	rlog_advance(&l, &w, 3);
	/* Now a member: on from the end, after what it holds. */
	rlog_resume(&l, &w);
	assert_int_equal(w.stop, UINT64_MAX);
	say(&l, &a, RLOG_CHAT, "<a> for w\n");
	expect(&l, &w, " wait\n*** still waiting\n<a> for w\n");
	assert_int_equal(w.state, RLOG_IDLE);
	assert_int_equal(refs(&l), 2);
	rlog_detach(&l, &a);
	rlog_detach(&l, &w);
	rlog_free(&l);
}

static void
test_iter_matches_iov(void **state)
{
	struct rlog l;
	struct rlog_reader a, b;
	struct rlog_iter it;
	char buf[256];
	const char *p;
	size_t n, len = 0;

	(void)state;
	assert_int_equal(rlog_init(&l, 4), 0);
	rlog_attach(&l, &a);
	say(&l, NULL, RLOG_CHAT, "<x> old\n");
	rlog_attach(&l, &b);
	tell(&l, &b, "*** welcome\n");
	assert_int_equal(rlog_replay(&l, &b), 0);
	tell(&l, &b, "*** end\n");
	say(&l, &a, RLOG_CHAT, "<a> hi\n");
	rlog_iter_start(&it, &l, &b);
	while (rlog_iter_next(&it, &p, &n)) {
		assert_true(len + n < sizeof buf);
		memcpy(buf + len, p, n);
		len += n;
	}
	buf[len] = '\0';
	/* The iterator consumed nothing. */
	assert_true(rlog_has_output(&l, &b));
	expect(&l, &b, buf);
	assert_string_equal(buf, "*** welcome\n[00:00] <x> old\n*** end\n"
	    "<a> hi\n");
	expect(&l, &a, "<x> old\n");
	rlog_detach(&l, &a);
	rlog_detach(&l, &b);
	rlog_free(&l);
}

/* ---------------------------------------------------------------------
 * History
 * ------------------------------------------------------------------- */

static void
test_history_last_n(void **state)
{
	struct rlog l;
	struct rlog_reader a, j;
	char line[64];
	int i;

	(void)state;
	assert_int_equal(rlog_init(&l, 3), 0);
	rlog_set_clock(&l, "2026-12-01 09:15");
	rlog_attach(&l, &a);
	for (i = 1; i <= 5; i++) {
		snprintf(line, sizeof line, "<a> m%d\n", i);
		say(&l, &a, RLOG_CHAT, line);
		say(&l, NULL, RLOG_NOTICE, "*** notice\n");
	}
	assert_int_equal(rlog_history_count(&l), 3);
	rlog_set_clock(&l, "2026-12-01 09:16");
	rlog_attach(&l, &j);
	assert_int_equal(rlog_replay(&l, &j), 0);
	assert_int_equal(rlog_replay(&l, &j), -1);	/* one at a time */
	expect(&l, &j, "[09:15] <a> m3\n[09:15] <a> m4\n[09:15] <a> m5\n");
	assert_null(j.hist);
	assert_int_equal(refs(&l), 3);	/* a, j, the history start */
	rlog_detach(&l, &a);
	rlog_detach(&l, &j);
	rlog_free(&l);
}

/*
 * Lines written in place (rlog_reserve()) and appended with their lengths
 * given (rlog_append_lines()) are the log's like any: the other reader
 * gets them, the writer not, and the history keeps the last N exactly.
 */
static void
test_reserve_lines(void **state)
{
	static const char text[] = "<a> one\n<a> two two\n<a> three\n";
	const size_t lens[] = { 8, 12, 10 };
	struct rlog l;
	struct rlog_reader a, b, j;
	char *p, *out, big[RLOG_BLOCK + 100];
	int i;

	(void)state;
	assert_int_equal(rlog_init(&l, 2), 0);
	rlog_set_clock(&l, "2026-12-06 09:00");
	rlog_attach(&l, &a);
	rlog_attach(&l, &b);
	for (i = 0; i < 2; i++) {
		assert_non_null(p = rlog_reserve(&l, sizeof text - 1));
		memcpy(p, text, sizeof text - 1);
		assert_int_equal(rlog_append_lines(&l, &a, RLOG_CHAT, p,
		    sizeof text - 1, lens, 3), 0);
	}
	/* One bigger than a block gets a block of its own. */
	memset(big, 'x', sizeof big);
	big[sizeof big - 1] = '\n';
	assert_non_null(p = rlog_reserve(&l, sizeof big));
	memcpy(p, big, sizeof big);
	{
		const size_t one = sizeof big;

		assert_int_equal(rlog_append_lines(&l, &a, RLOG_CHAT, p,
		    sizeof big, &one, 1), 0);
	}
	assert_false(rlog_has_output(&l, &a));
	out = drain(&l, &b);
	assert_int_equal(strlen(out), 2 * (sizeof text - 1) + sizeof big);
	assert_memory_equal(out, text, sizeof text - 1);
	assert_memory_equal(out + sizeof text - 1, text, sizeof text - 1);
	assert_memory_equal(out + 2 * (sizeof text - 1), big, sizeof big);
	free(out);
	assert_int_equal(rlog_history_count(&l), 2);
	rlog_attach(&l, &j);
	assert_int_equal(rlog_replay(&l, &j), 0);
	{
		char want[sizeof big + 64];

		snprintf(want, sizeof want, "[09:00] <a> three\n[09:00] %.*s\n",
		    (int)sizeof big - 1, big);
		expect(&l, &j, want);
	}
	rlog_detach(&l, &a);
	rlog_detach(&l, &b);
	rlog_detach(&l, &j);
	rlog_free(&l);
}

/* Line i of test_history_line_lengths(): its own length, 0 to 299 x's. */
static void
hl_line(char *out, size_t size, int i)
{
	char pad[300];
	int k = (i * 37) % 300;

	memset(pad, 'x', (size_t)k);
	pad[k] = '\0';
	snprintf(out, size, "<a> %d %s\n", i, pad);
}

/*
 * The history keeps the lengths of its lines, so that the oldest one is
 * dropped without a scan: lines of every length, two in some appends,
 * runs of hundreds of lines (no notice between) and churn, more lines
 * than the first ring holds, a history bigger than that ring. A replay
 * after every 13th append must give exactly the last N lines.
 */
static void
test_history_line_lengths(void **state)
{
	static const size_t sizes[] = { 3, 200 };
	struct rlog l;
	struct rlog_reader a, j;
	struct buf want = BUF_INIT;
	char line[400], two[800], *got;
	int i, k, said[900], nsaid;
	size_t s, n, m;

	(void)state;
	for (s = 0; s < sizeof sizes / sizeof sizes[0]; s++) {
		n = sizes[s];
		nsaid = 0;
		assert_int_equal(rlog_init(&l, n), 0);
		rlog_set_clock(&l, "2026-12-01 09:15");
		rlog_attach(&l, &a);
		for (i = 0; i < 700; i++) {
			hl_line(line, sizeof line, i);
			said[nsaid++] = i;
			if (i % 7 == 0) {
				/* Two lines in one append: i, then -i-1. */
				snprintf(two, sizeof two, "%s<a> %d\n", line, -i - 1);
				said[nsaid++] = -i - 1;
				say(&l, &a, RLOG_CHAT, two);
			} else
				say(&l, &a, RLOG_CHAT, line);
			/* Churn in the second half only: long runs first. */
			if (i >= 350 && i % 5 == 0)
				say(&l, NULL, RLOG_NOTICE, "*** churn\n");
			if (i % 13 != 0)
				continue;
			m = (size_t)nsaid < n ? (size_t)nsaid : n;
			assert_int_equal(rlog_history_count(&l), m);
			buf_free(&want);
			for (k = nsaid - (int)m; k < nsaid; k++) {
				if (said[k] >= 0)
					hl_line(line, sizeof line, said[k]);
				else
					snprintf(line, sizeof line, "<a> %d\n",
					    said[k]);
				assert_int_equal(buf_append(&want, "[09:15] ",
				    8), 0);
				assert_int_equal(buf_append(&want, line,
				    strlen(line)), 0);
			}
			assert_int_equal(buf_append(&want, "", 1), 0);
			rlog_attach(&l, &j);
			assert_int_equal(rlog_replay(&l, &j), 0);
			got = drain(&l, &j);
			assert_string_equal(got, buf_peek(&want));
			free(got);
			rlog_detach(&l, &j);
			free(drain(&l, &a));
		}
		/* Kept as lengths, not scanned for. */
		assert_non_null(l.hlen);
		assert_false(l.hlbad);
		rlog_detach(&l, &a);
		rlog_free(&l);
	}
	buf_free(&want);
}

static void
test_history_other_day(void **state)
{
	struct rlog l;
	struct rlog_reader j;
	char *got;

	(void)state;
	assert_int_equal(rlog_init(&l, 10), 0);
	rlog_set_clock(&l, "2026-11-30 23:59");
	say(&l, NULL, RLOG_CHAT, "<a> late\n* a yawns\n");
	rlog_set_clock(&l, "2026-12-01 00:00");
	say(&l, NULL, RLOG_CHAT, "<b> early\n");
	rlog_attach(&l, &j);
	assert_int_equal(rlog_history_count(&l), 3);
	assert_int_equal(rlog_replay(&l, &j), 0);
	/* Written a byte at a time: the prefixes split anywhere. */
	got = drain_by(&l, &j, 1);
	assert_string_equal(got, "[2026-11-30 23:59] <a> late\n"
	    "[2026-11-30 23:59] * a yawns\n[00:00] <b> early\n");
	free(got);
	rlog_detach(&l, &j);
	rlog_free(&l);
}

static void
test_history_seam(void **state)
{
	struct rlog l;
	struct rlog_reader a, j;
	char *got;

	(void)state;
	assert_int_equal(rlog_init(&l, 50), 0);
	rlog_set_clock(&l, "2026-12-01 10:00");
	rlog_attach(&l, &a);
	say(&l, &a, RLOG_CHAT, "<a> 1\n");
	say(&l, &a, RLOG_CHAT, "<a> 2\n");
	rlog_attach(&l, &j);
	tell(&l, &j, "*** welcome\n");
	tell(&l, &j, "*** last 2 messages:\n");
	assert_int_equal(rlog_replay(&l, &j), 0);
	tell(&l, &j, "*** end of history\n");
	/* Sent while the history is being written: after the end. */
	rlog_advance(&l, &j, 9);
	say(&l, &a, RLOG_CHAT, "<a> 3\n");
	got = drain_by(&l, &j, 5);
	assert_string_equal(got, "me\n*** last 2 messages:\n[10:00] <a> 1\n"
	    "[10:00] <a> 2\n*** end of history\n<a> 3\n");
	free(got);
	/* The next joiner gets all three, nothing twice. */
	rlog_detach(&l, &j);
	rlog_attach(&l, &j);
	assert_int_equal(rlog_replay(&l, &j), 0);
	expect(&l, &j, "[10:00] <a> 1\n[10:00] <a> 2\n[10:00] <a> 3\n");
	rlog_detach(&l, &a);
	rlog_detach(&l, &j);
	rlog_free(&l);
}

static void
test_history_off(void **state)
{
	struct rlog l;
	struct rlog_reader j;

	(void)state;
	assert_int_equal(rlog_init(&l, 0), 0);
	say(&l, NULL, RLOG_CHAT, "<a> 1\n");
	rlog_attach(&l, &j);
	assert_int_equal(rlog_history_count(&l), 0);
	assert_int_equal(rlog_replay(&l, &j), 0);
	assert_false(rlog_has_output(&l, &j));
	rlog_detach(&l, &j);
	rlog_free(&l);
	assert_int_equal(rlog_init(&l, RLOG_HISTORY_MAX + 1), -1);
}

static void
test_history_memory_bounded(void **state)
{
	struct rlog l;
	struct rlog_reader a;
	char line[128];
	int i;

	(void)state;
	assert_int_equal(rlog_init(&l, 10), 0);
	rlog_attach(&l, &a);
	memset(line, 'h', 99);
	line[99] = '\n';
	line[100] = '\0';
	/* a is caught up; the log holds just the last 10 chat lines. */
	for (i = 0; i < 5000; i++)
		say(&l, &a, RLOG_CHAT, line);
	assert_true(blocks(&l) <= 2);
	assert_int_equal(rlog_history_count(&l), 10);
	rlog_detach(&l, &a);
	rlog_free(&l);
}

/* Blocks in the compacted history chain, and the references they hold. */
static size_t
cblocks(const struct rlog *l, unsigned *crefs)
{
	const struct rlog_block *b;
	size_t n = 0;

	*crefs = 0;
	for (b = l->chead; b != NULL; b = b->next) {
		n++;
		*crefs += b->refs;
	}
	return n;
}

/* Append n notices of 100 bytes (LF included) from from. */
static void
churn(struct rlog *l, struct rlog_reader *from, size_t n)
{
	char line[101];
	size_t i;

	memset(line, 'n', 99);
	line[99] = '\n';
	line[100] = '\0';
	for (i = 0; i < n; i++)
		assert_int_equal(rlog_append(l, from, RLOG_NOTICE, line, 100),
		    0);
}

/*
 * Joins, leaves and nick changes with no chat between them stay in the
 * log's blocks among the history's lines only up to the slack: past it
 * the history's lines are compacted out of the log, which lets go of its
 * blocks, so churn cannot grow the log; the history keeps every one of
 * its lines, replayed whole, in order, with their stamps.
 */
static void
test_history_churn_compacts(void **state)
{
	struct rlog l;
	struct rlog_reader a, j;
	unsigned crefs;

	(void)state;
	assert_int_equal(rlog_init(&l, 10), 0);
	rlog_set_slack(&l, 4 * RLOG_BLOCK);
	rlog_set_clock(&l, "2026-11-30 23:59");
	rlog_attach(&l, &a);
	say(&l, &a, RLOG_CHAT, "<a> one\n");
	rlog_set_clock(&l, "2026-12-01 11:00");
	say(&l, &a, RLOG_CHAT, "<a> two\n");
	/* Within the slack, both lines stay where they are. */
	churn(&l, &a, (3 * RLOG_BLOCK) / 100);
	assert_int_equal(rlog_history_count(&l), 2);
	assert_int_equal(l.ccount, 0);
	assert_null(l.chead);
	/* Far past it: 200 blocks' worth of notices. */
	churn(&l, &a, (200 * RLOG_BLOCK) / 100);
	assert_int_equal(rlog_history_count(&l), 2);
	assert_int_equal(l.ccount, 2);
	assert_int_equal(l.cbytes, 16);
	assert_int_equal(l.hcount, 0);
	/* The log holds a's place and no more; one compacted block. */
	assert_true(blocks(&l) <= 2);
	assert_int_equal(cblocks(&l, &crefs), 1);
	assert_int_equal(crefs, 1);	/* the compacted history's start */
	/* Chat after the churn goes after the compacted lines. */
	say(&l, &a, RLOG_CHAT, "<a> three\n");
	churn(&l, &a, (2 * RLOG_BLOCK) / 100);
	assert_int_equal(rlog_history_count(&l), 3);
	rlog_attach(&l, &j);
	assert_int_equal(rlog_replay(&l, &j), 0);
	expect(&l, &j, "[2026-11-30 23:59] <a> one\n[11:00] <a> two\n"
	    "[11:00] <a> three\n");
	assert_null(j.hist);
	assert_true(blocks(&l) <= 5);
	assert_int_equal(refs(&l), 3);	/* a, j, the history start */
	assert_int_equal(cblocks(&l, &crefs), 1);
	assert_int_equal(crefs, 1);
	rlog_detach(&l, &a);
	rlog_detach(&l, &j);
	rlog_free(&l);
}

/*
 * The history's N lines are the newest N chat lines, wherever each one
 * is kept: a new one drops the oldest, compacted lines first; once none
 * is left compacted, the compacted blocks are freed.
 */
static void
test_history_compacted_trim(void **state)
{
	struct rlog l;
	struct rlog_reader a, j;
	char line[64];
	int i;

	(void)state;
	assert_int_equal(rlog_init(&l, 3), 0);
	rlog_set_slack(&l, 1000);
	rlog_set_clock(&l, "2026-12-01 12:00");
	rlog_attach(&l, &a);
	say(&l, &a, RLOG_CHAT, "<a> c1\n");
	say(&l, &a, RLOG_CHAT, "<a> c2\n");
	churn(&l, &a, 20);
	say(&l, &a, RLOG_CHAT, "<a> c3\n");
	say(&l, &a, RLOG_CHAT, "<a> c4\n");
	assert_int_equal(l.ccount, 1);	/* c2; c1 dropped */
	assert_int_equal(l.hcount, 2);
	rlog_attach(&l, &j);
	assert_int_equal(rlog_replay(&l, &j), 0);
	expect(&l, &j, "[12:00] <a> c2\n[12:00] <a> c3\n[12:00] <a> c4\n");
	rlog_detach(&l, &j);
	for (i = 5; i <= 7; i++) {
		snprintf(line, sizeof line, "<a> c%d\n", i);
		say(&l, &a, RLOG_CHAT, line);
	}
	assert_int_equal(l.ccount, 0);
	assert_int_equal(l.cbytes, 0);
	assert_null(l.chead);
	assert_null(l.ctail);
	assert_null(l.cstart.blk);
	rlog_attach(&l, &j);
	assert_int_equal(rlog_replay(&l, &j), 0);
	expect(&l, &j, "[12:00] <a> c5\n[12:00] <a> c6\n[12:00] <a> c7\n");
	rlog_detach(&l, &a);
	rlog_detach(&l, &j);
	rlog_free(&l);
}

/*
 * Compaction frees nothing a member still reads: a member that has not
 * read since before the churn gets every notice, whole and in order, and
 * the blocks go once it has passed them.
 */
static void
test_history_compaction_keeps_readers(void **state)
{
	struct rlog l;
	struct rlog_reader a, s;
	char *got, want[101];
	size_t i, n = (20 * RLOG_BLOCK) / 100;

	(void)state;
	assert_int_equal(rlog_init(&l, 50), 0);
	rlog_set_slack(&l, 4096);
	rlog_attach(&l, &a);
	rlog_attach(&l, &s);
	say(&l, &a, RLOG_CHAT, "<a> hello\n");
	churn(&l, &a, n);
	assert_int_equal(l.ccount, 1);
	/* s holds the first block, so every block after it stays. */
	assert_true(blocks(&l) >= 20);
	assert_int_equal(l.head->refs, 1);
	got = drain_by(&l, &s, 777);
	assert_int_equal(strlen(got), 10 + n * 100);
	assert_memory_equal(got, "<a> hello\n", 10);
	memset(want, 'n', 99);
	want[99] = '\n';
	for (i = 0; i < n; i++)
		assert_memory_equal(got + 10 + i * 100, want, 100);
	free(got);
	assert_true(blocks(&l) <= 2);
	rlog_detach(&l, &a);
	rlog_detach(&l, &s);
	rlog_free(&l);
}

/*
 * A replay under way when the history changes gives the history as it
 * was when it was queued: its compacted lines stay while it reads them,
 * though they have left the history, and the lines it was to read from
 * the log are read there, though they have been compacted since.
 */
static void
test_history_replay_across_compaction(void **state)
{
	struct rlog l;
	struct rlog_reader a, j, k;
	unsigned crefs;
	char *got;

	(void)state;
	assert_int_equal(rlog_init(&l, 3), 0);
	rlog_set_slack(&l, 1000);
	rlog_set_clock(&l, "2026-12-01 13:00");
	rlog_attach(&l, &a);
	say(&l, &a, RLOG_CHAT, "<a> c1\n");
	say(&l, &a, RLOG_CHAT, "<a> c2\n");
	churn(&l, &a, 20);
	say(&l, &a, RLOG_CHAT, "<a> c3\n");
	assert_int_equal(l.ccount, 2);
	assert_int_equal(l.hcount, 1);
	rlog_attach(&l, &j);
	assert_int_equal(rlog_replay(&l, &j), 0);
	/* j's replay holds the compacted start and the log's start. */
	assert_int_equal(cblocks(&l, &crefs), 1);
	assert_int_equal(crefs, 2);
	/* Part of its first line is written: "[13:00] <a" */
	assert_int_equal(rlog_advance(&l, &j, 10), 0);
	/* c3 is compacted, then c4 and c5 drop c1 and c2. */
	churn(&l, &a, 20);
	assert_int_equal(l.ccount, 3);
	say(&l, &a, RLOG_CHAT, "<a> c4\n");
	say(&l, &a, RLOG_CHAT, "<a> c5\n");
	assert_int_equal(l.ccount, 1);
	assert_int_equal(rlog_history_count(&l), 3);
	got = drain_by(&l, &j, 3);
	assert_memory_equal(got, "> c1\n[13:00] <a> c2\n[13:00] <a> c3\n",
	    35);
	/* Then live, after the replay: the churn and the two lines. */
	assert_int_equal(strlen(got), 35 + 2000 + 14);
	assert_string_equal(got + 35 + 2000, "<a> c4\n<a> c5\n");
	free(got);
	assert_null(j.hist);
	/* Only the compacted history's start holds compacted blocks now. */
	assert_int_equal(cblocks(&l, &crefs), 1);
	assert_int_equal(crefs, 1);
	rlog_attach(&l, &k);
	assert_int_equal(rlog_replay(&l, &k), 0);
	expect(&l, &k, "[13:00] <a> c3\n[13:00] <a> c4\n[13:00] <a> c5\n");
	rlog_detach(&l, &a);
	rlog_detach(&l, &j);
	rlog_detach(&l, &k);
	assert_int_equal(refs(&l), 1);
	rlog_free(&l);
}

/*
 * A member leaving during its replay lets go of both its places: the
 * compacted blocks it alone held are freed.
 */
static void
test_history_replay_detach(void **state)
{
	struct rlog l;
	struct rlog_reader a, j;
	unsigned crefs;
	char line[200];
	int i;

	(void)state;
	assert_int_equal(rlog_init(&l, 150), 0);
	rlog_set_slack(&l, 1000);
	rlog_attach(&l, &a);
	memset(line, 'h', 198);
	line[198] = '\n';
	line[199] = '\0';
	for (i = 0; i < 150; i++)
		say(&l, &a, RLOG_CHAT, line);
	churn(&l, &a, 20);
	assert_int_equal(l.ccount, 150);
	assert_true(cblocks(&l, &crefs) >= 2);
	rlog_attach(&l, &j);
	assert_int_equal(rlog_replay(&l, &j), 0);
	/* a, j, j's replay (where it goes on in the log), the history. */
	assert_int_equal(refs(&l), 4);
	/* 150 new lines drop every compacted one; j still holds them. */
	for (i = 0; i < 150; i++)
		say(&l, &a, RLOG_CHAT, line);
	assert_int_equal(l.ccount, 0);
	assert_true(cblocks(&l, &crefs) >= 2);
	assert_int_equal(crefs, 1);
	rlog_detach(&l, &j);
	assert_int_equal(cblocks(&l, &crefs), 0);
	assert_null(l.ctail);
	rlog_detach(&l, &a);
	rlog_free(&l);
}

/*
 * A reader moving to another log in the middle of its replay takes the
 * rest of it along, in order, without its counting as backlog; the
 * backlog and private lines it had still count. Of a replay carried on
 * and on, at most the new log's history lines stay uncounted.
 */
static void
test_history_replay_moves(void **state)
{
	struct rlog x, y, z;
	struct rlog_reader a, j;

	(void)state;
	assert_int_equal(rlog_init(&x, 3), 0);
	assert_int_equal(rlog_init(&y, 3), 0);
	assert_int_equal(rlog_init(&z, 2), 0);
	rlog_set_clock(&x, "2026-12-01 13:00");
	rlog_set_clock(&y, "2026-12-01 13:00");
	rlog_set_clock(&z, "2026-12-01 13:00");
	rlog_attach(&x, &a);
	say(&x, &a, RLOG_CHAT, "<a> c1\n");
	say(&x, &a, RLOG_CHAT, "<a> c2\n");
	say(&x, &a, RLOG_CHAT, "<a> c3\n");
	rlog_attach(&x, &j);
	tell(&x, &j, "begin\n");
	assert_int_equal(rlog_replay(&x, &j), 0);
	tell(&x, &j, "end\n");
	say(&x, &a, RLOG_NOTICE, "live\n");
	assert_int_equal(rlog_backlog(&x, &j), 6 + 4 + 5);
	/* "begin\n[13:00] <a" written. */
	assert_int_equal(rlog_advance(&x, &j, 16), 1);
	assert_int_equal(rlog_move(&x, &j, &y), 0);
	/* The rest of the replay, 5 + 2 x 15 bytes, is carried. */
	assert_int_equal(j.carried, 35);
	assert_int_equal(rlog_backlog(&y, &j), 4 + 5);
	assert_int_equal(rlog_lag(&y, &j), 4 + 5);
	tell(&y, &j, "moved\n");
	expect(&y, &j, "> c1\n[13:00] <a> c2\n[13:00] <a> c3\nend\nlive\n"
	    "moved\n");
	assert_int_equal(j.carried, 0);
	assert_int_equal(rlog_backlog(&y, &j), 0);
	/* Moving on and on without writing: 3 lines of replay carried,
	 * then 2 carried into z, whose history is 2 lines; the third
	 * counts. */
	rlog_detach(&y, &j);
	rlog_attach(&x, &j);
	assert_int_equal(rlog_replay(&x, &j), 0);
	assert_int_equal(rlog_move(&x, &j, &y), 0);
	assert_int_equal(j.carried, 45);
	assert_int_equal(rlog_backlog(&y, &j), 0);
	assert_int_equal(rlog_move(&y, &j, &z), 0);
	assert_int_equal(j.carried, 30);
	assert_int_equal(rlog_backlog(&z, &j), 15);
	expect(&z, &j, "[13:00] <a> c1\n[13:00] <a> c2\n[13:00] <a> c3\n");
	assert_int_equal(j.carried, 0);
	assert_int_equal(rlog_backlog(&z, &j), 0);
	rlog_detach(&z, &j);
	rlog_detach(&x, &a);
	rlog_free(&x);
	rlog_free(&y);
	rlog_free(&z);
}

/*
 * A member that does not read and moves on and on carries its backlog
 * as it is: the first move copies it, the later ones only retag it, so
 * thousands of moves in one read cost no copy of it each (the private
 * records' storage stays where it is). A replay carried along stays
 * carried, up to the new log's history lines, as it does when copied.
 */
static void
test_move_keeps_backlog(void **state)
{
	struct rlog x, y;
	struct rlog_reader a, b, j;
	char line[80], *want, *got;
	const char *data;
	size_t len = 0, backlog;
	int i;

	(void)state;
	assert_int_equal(rlog_init(&x, 3), 0);
	assert_int_equal(rlog_init(&y, 3), 0);
	rlog_set_clock(&x, "2026-12-01 13:00");
	rlog_set_clock(&y, "2026-12-01 13:00");
	want = malloc(OUT_MAX + 1);
	assert_non_null(want);
	rlog_attach(&x, &a);
	rlog_attach(&y, &b);
	say(&x, &a, RLOG_CHAT, "<a> h1\n");
	say(&x, &a, RLOG_CHAT, "<a> h2\n");
	rlog_attach(&x, &j);
	assert_int_equal(rlog_replay(&x, &j), 0);
	for (i = 0; i < 2000; i++) {
		snprintf(line, sizeof line, "<a> backlog line %d\n", i);
		say(&x, &a, RLOG_NOTICE, line);
		len += (size_t)snprintf(want + len, OUT_MAX + 1 - len, "%s",
		    line);
	}
	backlog = rlog_backlog(&x, &j);
	assert_true(backlog > 2000 * 20);
	/* The first move copies the replay (carried) and the backlog. */
	assert_int_equal(rlog_move(&x, &j, &y), 0);
	assert_int_equal(j.carried, 2 * 15);
	assert_int_equal(rlog_backlog(&y, &j), backlog);
	data = j.priv.data;
	for (i = 0; i < 5000; i++) {
		assert_int_equal(rlog_move(i % 2 == 0 ? &y : &x, &j,
		    i % 2 == 0 ? &x : &y), 0);
		assert_ptr_equal(j.priv.data, data);
	}
	assert_int_equal(j.carried, 2 * 15);
	assert_int_equal(rlog_backlog(&y, &j), backlog);
	/* What y has since goes after it, in order. */
	say(&y, &b, RLOG_NOTICE, "<b> in y\n");
	tell(&y, &j, "moved\n");
	got = drain(&y, &j);
	assert_memory_equal(got, "[13:00] <a> h1\n[13:00] <a> h2\n", 30);
	assert_memory_equal(got + 30, want, len);
	assert_string_equal(got + 30 + len, "<b> in y\nmoved\n");
	free(got);
	free(want);
	rlog_detach(&y, &j);
	rlog_detach(&x, &a);
	rlog_detach(&y, &b);
	rlog_free(&x);
	rlog_free(&y);
}

/*
 * The churn of the issue: 30,000 renames, 53 bytes each, after a full
 * history of 50 lines, with a send queue of 64 KiB as the slack. Every
 * line is still history, and the log and the compacted chain stay a few
 * blocks long.
 */
static void
test_history_rename_churn(void **state)
{
	struct rlog l;
	struct rlog_reader a, j;
	char line[128], want[64];
	unsigned crefs;
	size_t most = 0;
	char *got, *p;
	int i;

	(void)state;
	assert_int_equal(rlog_init(&l, 50), 0);
	rlog_set_slack(&l, 65536);
	rlog_set_clock(&l, "2026-12-01 14:00");
	rlog_attach(&l, &a);
	for (i = 0; i < 50; i++) {
		snprintf(line, sizeof line, "<a> line %d\n", i);
		say(&l, &a, RLOG_CHAT, line);
	}
	for (i = 0; i < 30000; i++) {
		snprintf(line, sizeof line, "*** c%019d is now c%019d\n", i,
		    i + 1);
		say(&l, &a, RLOG_NOTICE, line);
		if (l.nblocks > most)
			most = l.nblocks;
	}
	assert_int_equal(rlog_history_count(&l), 50);
	assert_int_equal(l.ccount, 50);
	/* The slack's blocks, the spare, one compacted block. */
	assert_true(most <= 65536 / RLOG_BLOCK + 4);
	assert_int_equal(cblocks(&l, &crefs), 1);
	rlog_attach(&l, &j);
	assert_int_equal(rlog_replay(&l, &j), 0);
	got = drain(&l, &j);
	for (i = 0, p = got; i < 50; i++) {
		snprintf(want, sizeof want, "[14:00] <a> line %d\n", i);
		assert_memory_equal(p, want, strlen(want));
		p += strlen(want);
	}
	assert_string_equal(p, "");
	free(got);
	rlog_detach(&l, &a);
	rlog_detach(&l, &j);
	rlog_free(&l);
}

/* ---------------------------------------------------------------------
 * The slow-reader rule
 * ------------------------------------------------------------------- */

/* Every leave notice costs 20 bytes here. */
static size_t
cost20(const struct rlog_reader *rd, void *arg)
{
	(void)rd;
	(*(int *)arg)++;
	return 20;
}

static void
test_slow_one(void **state)
{
	struct rlog l;
	struct rlog_reader a, s, **out;
	char line[101];
	int calls = 0, i;

	(void)state;
	assert_int_equal(rlog_init(&l, 0), 0);
	rlog_attach(&l, &a);
	rlog_attach(&l, &s);
	memset(line, 'q', 99);
	line[99] = '\n';
	line[100] = '\0';
	for (i = 0; i < 10; i++)
		say(&l, NULL, RLOG_CHAT, line);
	free(drain(&l, &a));
	/* s is 1000 bytes behind: at the limit is fine, past it is not. */
	assert_int_equal(rlog_settle(&l, 1000, cost20, &calls, &out), 0);
	say(&l, NULL, RLOG_CHAT, "x\n");
	free(drain(&l, &a));
	assert_int_equal(rlog_settle(&l, 1000, cost20, &calls, &out), 1);
	assert_ptr_equal(out[0], &s);
	assert_int_equal(calls, 1);
	rlog_detach(&l, &a);
	rlog_detach(&l, &s);
	rlog_free(&l);
}

static void
test_slow_cascade_one_pass(void **state)
{
	struct rlog l;
	struct rlog_reader r[8], **out;
	int calls = 0, i;
	size_t n;

	(void)state;
	assert_int_equal(rlog_init(&l, 0), 0);
	/* r[i] is 1000 - 10 * i behind: each leave (20 bytes) pushes the
	 * next one over, all the way down; r[7] reads everything. */
	for (i = 0; i < 8; i++) {
		char line[11];

		rlog_attach(&l, &r[i]);
		memset(line, 'c', 9);
		line[9] = '\n';
		line[10] = '\0';
		if (i < 7) {
			/* Appended after r[i] joined, so only it and later ones
			 * see these 10 bytes: the first joined is furthest. */
			say(&l, NULL, RLOG_CHAT, line);
		}
	}
	for (i = 0; i < 93; i++)
		say(&l, NULL, RLOG_CHAT, "ccccccccc\n");
	free(drain(&l, &r[7]));
	/* Only r[0] is over 995 by itself; the notices take the rest. */
	n = rlog_settle(&l, 995, cost20, &calls, &out);
	assert_int_equal(n, 7);
	for (i = 0; i < 7; i++)
		assert_ptr_equal(out[i], &r[i]);
	assert_int_equal(calls, 7);
	/* Nobody else is near the limit: the next call is O(1). */
	calls = 0;
	assert_int_equal(rlog_settle(&l, 995, cost20, &calls, &out), 0);
	assert_int_equal(calls, 0);
	for (i = 0; i < 8; i++)
		rlog_detach(&l, &r[i]);
	rlog_free(&l);
}

static void
test_slow_cascade_stops(void **state)
{
	struct rlog l;
	struct rlog_reader a, b, c, **out;
	int calls = 0;
	char big[501];

	(void)state;
	assert_int_equal(rlog_init(&l, 0), 0);
	memset(big, 'b', 499);
	big[499] = '\n';
	big[500] = '\0';
	rlog_attach(&l, &a);
	say(&l, NULL, RLOG_CHAT, big);		/* a: 500 */
	rlog_attach(&l, &b);
	say(&l, NULL, RLOG_CHAT, "x\n");	/* a: 502, b: 2 */
	rlog_attach(&l, &c);
	/* With sendq 490 a goes; b, 2 + 20 behind, stays. */
	assert_int_equal(rlog_settle(&l, 490, cost20, &calls, &out), 1);
	assert_ptr_equal(out[0], &a);
	rlog_detach(&l, &a);
	rlog_detach(&l, &b);
	rlog_detach(&l, &c);
	rlog_free(&l);
}

static void
test_slow_private_flood(void **state)
{
	struct rlog l;
	struct rlog_reader a, **out;
	int calls = 0, i;

	(void)state;
	assert_int_equal(rlog_init(&l, 0), 0);
	rlog_attach(&l, &a);
	for (i = 0; i < 60; i++)
		tell(&l, &a, "*** help line\n");	/* 14 bytes */
	assert_int_equal(rlog_backlog(&l, &a), 840);
	/* Private lines alone count: the bound notices them too. */
	assert_int_equal(rlog_settle(&l, 800, cost20, &calls, &out), 1);
	assert_ptr_equal(out[0], &a);
	rlog_detach(&l, &a);
	rlog_free(&l);
}

static void
test_slow_own_lines_pin(void **state)
{
	struct rlog l;
	struct rlog_reader a, b, **out;
	int calls = 0, i;

	(void)state;
	assert_int_equal(rlog_init(&l, 0), 0);
	rlog_attach(&l, &a);
	rlog_attach(&l, &b);
	/* a is one line behind and never reads, but sends a lot. */
	say(&l, &b, RLOG_CHAT, "hi\n");
	for (i = 0; i < 500; i++)
		say(&l, &a, RLOG_CHAT, "aaaaaaaaa\n");
	free(drain(&l, &b));
	assert_int_equal(rlog_backlog(&l, &a), 3);
	assert_int_equal(rlog_lag(&l, &a), 5003);
	/* Its backlog is tiny, but it holds over 4 x sendq of the log. */
	assert_int_equal(rlog_settle(&l, 1000, cost20, &calls, &out), 1);
	assert_ptr_equal(out[0], &a);
	assert_int_equal(rlog_settle(&l, 2000, cost20, &calls, &out), 0);
	rlog_detach(&l, &a);
	rlog_detach(&l, &b);
	rlog_free(&l);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_no_echo),
		cmocka_unit_test(test_reserve_lines),
		cmocka_unit_test(test_late_joiner_sees_only_later),
		cmocka_unit_test(test_sender_caught_up_stays_idle),
		cmocka_unit_test(test_caught_up_lines_share_a_run),
		cmocka_unit_test(test_batch_holds_notices),
		cmocka_unit_test(test_batch_held_count_toward_slow),
		cmocka_unit_test(test_park_unpark),
		cmocka_unit_test(test_partial_writes),
		cmocka_unit_test(test_blocks_freed_when_passed),
		cmocka_unit_test(test_block_reuse),
		cmocka_unit_test(test_long_line_own_block),
		cmocka_unit_test(test_private_in_order),
		cmocka_unit_test(test_private_while_behind),
		cmocka_unit_test(test_backlog_counts),
		cmocka_unit_test(test_stop),
		cmocka_unit_test(test_cut_keeps_line_end),
		cmocka_unit_test(test_resume_after_private_only),
		cmocka_unit_test(test_iter_matches_iov),
		cmocka_unit_test(test_history_last_n),
		cmocka_unit_test(test_history_line_lengths),
		cmocka_unit_test(test_history_other_day),
		cmocka_unit_test(test_history_seam),
		cmocka_unit_test(test_history_off),
		cmocka_unit_test(test_history_memory_bounded),
		cmocka_unit_test(test_history_churn_compacts),
		cmocka_unit_test(test_history_compacted_trim),
		cmocka_unit_test(test_history_compaction_keeps_readers),
		cmocka_unit_test(test_history_replay_across_compaction),
		cmocka_unit_test(test_history_replay_detach),
		cmocka_unit_test(test_history_rename_churn),
		cmocka_unit_test(test_history_replay_moves),
		cmocka_unit_test(test_move_keeps_backlog),
		cmocka_unit_test(test_slow_one),
		cmocka_unit_test(test_slow_cascade_one_pass),
		cmocka_unit_test(test_slow_cascade_stops),
		cmocka_unit_test(test_slow_private_flood),
		cmocka_unit_test(test_slow_own_lines_pin),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
