/* room_helpers: a room of socketless members for the room and command tests. */
#ifndef LOBBY_ROOM_HELPERS_H
#define LOBBY_ROOM_HELPERS_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "buf.h"
#include "client.h"
#include "commands.h"
#include "room.h"

#define FX_CLIENTS	64		/* most clients one test makes */
#define FX_SENDQ	(1024 * 1024)	/* the server's default send queue */
#define FX_MAXOUT	8192		/* most output fx_expect() compares */

/*
 * One test's world: the room, every client ever made (members or not, all
 * freed at teardown, so a failing test leaks nothing it made through
 * fx_client()), and what the room logged.
 */
struct fx {
	struct room	 r;		/* the room under test */
	struct client	*c[FX_CLIENTS];	/* clients made, in order */
	size_t		 n;		/* entries used in c */
	struct buf	 log;		/* log lines, each ending in LF */
	size_t		 nlog;		/* log lines */
};

/* The room's log hook: keep each line for the test to inspect. */
static inline void
fx_log(void *arg, const char *text)
{
	struct fx *f = arg;

	assert_int_equal(buf_append(&f->log, text, strlen(text)), 0);
	assert_int_equal(buf_append(&f->log, "\n", 1), 0);
	f->nlog++;
}

/* cmocka setup: an empty room with the default send queue and a log. */
static inline int
fx_setup(void **state)
{
	struct fx *f;

	if ((f = calloc(1, sizeof *f)) == NULL)
		return -1;
	if (room_init(&f->r, FX_SENDQ, 0) == -1) {
		free(f);
		return -1;
	}
	f->r.log = fx_log;
	f->r.log_arg = f;
	*state = f;
	return 0;
}

/* cmocka teardown: free every client, then the room. */
static inline int
fx_teardown(void **state)
{
	struct fx *f = *state;
	size_t i;

	for (i = 0; i < f->n; i++)
		client_free(f->c[i]);
	room_free(&f->r);
	buf_free(&f->log);
	free(f);
	return 0;
}

/* A new client, not a member yet; its id is its number, from 1. */
static inline struct client *
fx_client(struct fx *f)
{
	struct client *c;

	assert_true(f->n < FX_CLIENTS);
	c = client_new(-1, (unsigned)f->n + 1, "test", 1024);
	assert_non_null(c);
	f->c[f->n++] = c;
	return c;
}

/*
 * Copy what c has to receive (at most max - 1 bytes) into out, NUL-
 * terminated, without consuming it. Returns its length, or -1 when there
 * is more than out can hold.
 */
static inline long
fx_peek(struct fx *f, struct client *c, char *out, size_t max)
{
	struct rlog_iter it;
	const char *p;
	size_t n, len = 0;

	rlog_iter_start(&it, &f->r.rlog, &c->rd);
	while (rlog_iter_next(&it, &p, &n)) {
		if (len + n >= max)
			return -1;
		memcpy(out + len, p, n);
		len += n;
	}
	out[len] = '\0';
	return (long)len;
}

/* Consume c's output, as a socket that takes it all would. */
static inline void
fx_drain(struct fx *f, struct client *c)
{
	struct iovec iov[16];
	size_t n;
	int cnt, i;

	while ((cnt = rlog_iov(&f->r.rlog, &c->rd, iov, 16)) > 0) {
		for (n = 0, i = 0; i < cnt; i++)
			n += iov[i].iov_len;
		rlog_advance(&f->r.rlog, &c->rd, n);
	}
	assert_false(rlog_has_output(&f->r.rlog, &c->rd));
}

/* Empty every client's output queue. */
static inline void
fx_drain_all(struct fx *f)
{
	size_t i;

	for (i = 0; i < f->n; i++)
		fx_drain(f, f->c[i]);
}

/* A new member, joined and settled; nothing is drained. */
static inline struct client *
fx_join(struct fx *f)
{
	struct client *c = fx_client(f);

	room_join(&f->r, c);
	room_settle(&f->r);
	return c;
}

/*
 * A new member renamed to nick (unless NULL); every queue is then drained,
 * so the test starts from silence.
 */
static inline struct client *
fx_member(struct fx *f, const char *nick)
{
	struct client *c = fx_join(f);

	if (nick != NULL)
		room_rename(&f->r, c, nick, strlen(nick));
	fx_drain_all(f);
	return c;
}

/*
 * The checks below are macros, so that a failure names the test's own
 * file and line, not this header's.
 */

/* Assert that c's queue holds exactly want (LFs and all), then empty it. */
#define fx_expect(f, c, want) \
	fx_expect_at((f), (c), (want), __FILE__, __LINE__)

/* Assert that nothing is queued for c. */
#define fx_silent(f, c)		fx_expect_at((f), (c), "", __FILE__, __LINE__)

/*
 * c's queue as a string in got (size FX_MAXOUT), then emptied; 0, or -1
 * when it holds more than got can.
 */
static inline int
fx_take(struct fx *f, struct client *c, char *got)
{
	if (fx_peek(f, c, got, FX_MAXOUT) == -1)
		return -1;
	fx_drain(f, c);
	return 0;
}

/* fx_expect(), reporting a failure at file:line. */
static inline void
fx_expect_at(struct fx *f, struct client *c, const char *want,
    const char *file, int line)
{
	char got[FX_MAXOUT];

	if (fx_take(f, c, got) == -1) {
		print_error("%s:%d: more than %d bytes queued\n", file, line,
		    FX_MAXOUT - 1);
		_fail(file, line);
	}
	if (strcmp(got, want) != 0) {
		print_error("%s:%d: expected \"%s\", got \"%s\"\n", file, line,
		    want, got);
		_fail(file, line);
	}
}

/*
 * Feed text (a clean line, no LF) to the command layer as c's input, then
 * settle the room, as the server does before it writes. It goes through a
 * heap copy of exactly len + 1 bytes, so that a read past the terminating
 * NUL is caught by the address sanitizer.
 */
static inline void
fx_say(struct fx *f, struct client *c, const char *text)
{
	size_t len = strlen(text);
	char *p;

	p = malloc(len + 1);
	assert_non_null(p);
	memcpy(p, text, len + 1);
	commands_input(&f->r, c, p, len);
	room_settle(&f->r);
	free(p);
}

/* One row of a table of cases: what a member says, and the exact reply. */
struct fx_case {
	const char	*say;	/* the line, as fx_say() takes it */
	const char	*want;	/* all that is queued for the sayer */
};

/*
 * Each row of the table cases, said by c in turn: the reply must be the
 * row's want. Every failing row is reported (its number, input, what was
 * wanted and what came) before the test fails at the caller's line.
 */
#define fx_cases(f, c, cases) \
	fx_cases_at((f), (c), (cases), sizeof (cases) / sizeof (cases)[0], \
	    __FILE__, __LINE__)

/* fx_cases(), with the table's size, reporting at file:line. */
static inline void
fx_cases_at(struct fx *f, struct client *c, const struct fx_case *cases,
    size_t n, const char *file, int line)
{
	char got[FX_MAXOUT];
	size_t i, bad = 0;

	for (i = 0; i < n; i++) {
		fx_say(f, c, cases[i].say);
		if (fx_take(f, c, got) == -1)
			snprintf(got, sizeof got, "(more than %d bytes)",
			    FX_MAXOUT - 1);
		if (strcmp(got, cases[i].want) == 0)
			continue;
		print_error("%s:%d: row %zu, \"%s\": expected \"%s\", got "
		    "\"%s\"\n", file, line, i, cases[i].say, cases[i].want,
		    got);
		bad++;
	}
	if (bad > 0) {
		print_error("%s:%d: %zu of %zu rows failed\n", file, line, bad,
		    n);
		_fail(file, line);
	}
}

/*
 * Queue n filler bytes for c alone straight in the room log, bypassing the
 * room's checks: c's backlog grows by n.
 */
static inline void
fx_fill(struct fx *f, struct client *c, size_t n)
{
	char block[256];
	size_t k;

	memset(block, '.', sizeof block);
	while (n > 0) {
		k = n < sizeof block ? n : sizeof block;
		assert_int_equal(rlog_private(&f->r.rlog, &c->rd, block, k),
		    0);
		n -= k;
	}
}

/* Whether c is a member, found by walking the room from its head. */
static inline int
fx_is_member(const struct fx *f, const struct client *c)
{
	const struct client *m;

	for (m = f->r.head; m != NULL; m = m->next)
		if (m == c)
			return 1;
	return 0;
}

#endif /* LOBBY_ROOM_HELPERS_H */
