/* cluster_fix: fixture pieces the rooms' and the shared room's unit tests share. */
#ifndef LOBBY_CLUSTER_FIX_H
#define LOBBY_CLUSTER_FIX_H

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
#include "cluster.h"
#include "room.h"

/* Keep text as one line (LF added) in b: a rooms' log hook's body. */
static inline void
cfx_keep_line(struct buf *b, const char *text)
{
	assert_int_equal(buf_append(b, text, strlen(text)), 0);
	assert_int_equal(buf_append(b, "\n", 1), 0);
}

/* Free the n clients in c, each leaving its room (readers first). */
static inline void
cfx_free_clients(struct client **c, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		if (c[i]->room != NULL)
			room_forget(c[i]->room, c[i]);
		room_release(c[i]);
		client_free(c[i]);
	}
}

/*
 * The stand-in for Redis: a cluster_ops whose io is a struct cfx_calls
 * writes every call to calls as one line ("join 1", "say 1 c hello",
 * "go 1 dev 3", ...) and answers rc (0, or -1 for a link that cannot
 * take it).
 */
struct cfx_calls {
	struct buf	 calls;		/* one line a call */
	int		 rc;		/* what every call returns */
	size_t		 bytes;		/* what backlog() reports */
	size_t		 replies;
};

/* Record one call. */
static inline int
cfx_call(void *io, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static inline int
cfx_call(void *io, const char *fmt, ...)
{
	struct cfx_calls *k = io;
	char line[512];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(line, sizeof line, fmt, ap);
	va_end(ap);
	assert_int_equal(buf_append(&k->calls, line, (size_t)n), 0);
	assert_int_equal(buf_append(&k->calls, "\n", 1), 0);
	return k->rc;
}

static inline int
cfx_join(void *io, unsigned cid)
{
	return cfx_call(io, "join %u", cid);
}

static inline int
cfx_leave(void *io, unsigned cid, const char *reason)
{
	return cfx_call(io, "leave %u %s", cid, reason ? reason : "-");
}

static inline int
cfx_say(void *io, unsigned cid, int kind, const char *text, size_t len)
{
	return cfx_call(io, "say %u %c %.*s", cid, kind, (int)len, text);
}

static inline int
cfx_msg(void *io, unsigned cid, const char *to, size_t tolen,
    const char *text, size_t len)
{
	return cfx_call(io, "msg %u %.*s %.*s", cid, (int)tolen, to,
	    (int)len, text);
}

static inline int
cfx_nick(void *io, unsigned cid, const char *nick, size_t len)
{
	return cfx_call(io, "nick %u %.*s", cid, (int)len, nick);
}

static inline int
cfx_who(void *io, unsigned cid)
{
	return cfx_call(io, "who %u", cid);
}

static inline int
cfx_act(void *io, unsigned cid, int kind, const struct acct_act *a)
{
	return cfx_call(io, "act %u %c %s %ld %s %.*s", cid, kind, a->target,
	    a->minutes, a->by_acct, (int)a->rlen, a->reason);
}

static inline int
cfx_go(void *io, unsigned cid, const char *name, size_t len, size_t history)
{
	return cfx_call(io, "go %u %.*s %zu", cid, (int)len, name, history);
}

static inline int
cfx_topic(void *io, unsigned cid, const char *text, size_t len)
{
	return cfx_call(io, "topic %u %.*s", cid, (int)len, text);
}

static inline int
cfx_rooms(void *io, unsigned cid)
{
	return cfx_call(io, "rooms %u", cid);
}

/* What the link holds: as set in the fixture (not a call). */
static inline void
cfx_backlog(void *io, size_t *bytes, size_t *replies)
{
	const struct cfx_calls *k = io;

	*bytes = k->bytes;
	*replies = k->replies;
}

/* Assert the calls made so far, then forget them. */
static inline void
cfx_expect_calls(struct cfx_calls *k, const char *want)
{
	char got[4096];
	size_t n = buf_used(&k->calls);

	assert_in_range(n, 0, sizeof got - 1);
	memcpy(got, buf_peek(&k->calls), n);
	got[n] = '\0';
	assert_string_equal(got, want);
	buf_drain(&k->calls, n);
}

/* A member key "INST:CID" (four in use at once). */
static inline const char *
cfx_key(const char *inst, unsigned cid)
{
	static char k[4][64];
	static int i;

	i = (i + 1) % 4;
	snprintf(k[i], sizeof k[i], "%s:%u", inst, cid);
	return k[i];
}

/*
 * Start e as an entry of kind by member (nick) read from the stream: the
 * rest zeroed, the ID the next of *seq, stamped 14:05 on the tests' day.
 */
static inline void
cfx_entry(struct cluster_entry *e, unsigned *seq, int kind,
    const char *member, const char *nick)
{
	memset(e, 0, sizeof *e);
	snprintf(e->id, sizeof e->id, "1796133900000-%u", ++*seq);
	snprintf(e->stamp, sizeof e->stamp, "2026-12-01 14:05");
	e->kind = kind;
	e->member = member;
	e->nick = nick;
}

#endif /* LOBBY_CLUSTER_FIX_H */
