/* room_helpers: a room of socketless members for the room and command tests. */
#ifndef LOBBY_ROOM_HELPERS_H
#define LOBBY_ROOM_HELPERS_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
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
	room_init(&f->r, FX_SENDQ);
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

/* Empty c's output queue. */
static inline void
fx_drain(struct client *c)
{
	buf_drain(&c->out, buf_used(&c->out));
}

/* Empty every client's output queue. */
static inline void
fx_drain_all(struct fx *f)
{
	size_t i;

	for (i = 0; i < f->n; i++)
		fx_drain(f->c[i]);
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

/* Assert that c's queue holds exactly want (LFs and all), then empty it. */
static inline void
fx_expect(struct client *c, const char *want)
{
	char got[FX_MAXOUT];
	size_t n = buf_used(&c->out);

	assert_in_range(n, 0, sizeof got - 1);
	if (n > 0)
		memcpy(got, buf_peek(&c->out), n);
	got[n] = '\0';
	assert_string_equal(got, want);
	fx_drain(c);
}

/* Assert that nothing is queued for c. */
static inline void
fx_silent(struct client *c)
{
	fx_expect(c, "");
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

/* Queue n filler bytes straight into c's output, bypassing the room. */
static inline void
fx_fill(struct client *c, size_t n)
{
	char block[256];
	size_t k;

	memset(block, '.', sizeof block);
	while (n > 0) {
		k = n < sizeof block ? n : sizeof block;
		assert_int_equal(buf_append(&c->out, block, k), 0);
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
