/* room: the hub: members in join order, nicks, and broadcast queuing. */
#include "room.h"

#include "cluster.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* ---------------------------------------------------------------------
 * Output queuing
 * ------------------------------------------------------------------- */

/*
 * Append bytes to c's queue, or flag c as too slow when the queue would
 * pass the limit. A slow client gets nothing more: it is about to go, and
 * holding its backlog would only cost memory.
 */
static void
room_queue(struct room *r, struct client *c, const char *p, size_t n)
{
	/* Only members get output: a leaver is past caring, and counting a
	 * non-member in nslow would keep room_settle() waiting for it. */
	if ((c->flags & (CLIENT_JOINED | CLIENT_SLOW)) != CLIENT_JOINED)
		return;
	if (buf_used(&c->out) + n > r->sendq || buf_append(&c->out, p, n)) {
		buf_free(&c->out);
		c->flags |= CLIENT_SLOW;
		r->nslow++;
	}
}

/*
 * Format into the room's line buffer, LF included. Returns the text, valid
 * until the next format, and its length in *lenp (0 when out of memory).
 * The buffer grows to the longest line ever formatted and stays: a chat
 * line then costs no allocation at all.
 */
static const char *
room_vformat(struct room *r, size_t *lenp, const char *fmt, va_list ap)
{
	va_list ap2;
	char *p;
	int n;

	va_copy(ap2, ap);
	n = vsnprintf(r->line, r->linecap, fmt, ap2);
	va_end(ap2);
	if (n < 0)
		goto fail;
	if ((size_t)n + 2 > r->linecap) {
		if ((p = realloc(r->line, (size_t)n + 2)) == NULL)
			goto fail;
		r->line = p;
		r->linecap = (size_t)n + 2;
		vsnprintf(r->line, r->linecap, fmt, ap);
	}
	r->line[n] = '\n';
	*lenp = (size_t)n + 1;
	return r->line;
fail:
	*lenp = 0;
	return "";
}

/* Queue the bytes (LF included) for everyone but except. */
static void
room_fanout(struct room *r, const struct client *except, const char *p,
    size_t n)
{
	struct client *c;

	for (c = r->head; c != NULL; c = c->next)
		if (c != except)
			room_queue(r, c, p, n);
}

/*
 * Format one line and queue it: for to alone, or, with to NULL, for every
 * member but except. The line is formatted once whatever the audience.
 */
static void
room_vemit(struct room *r, struct client *to, const struct client *except,
    const char *fmt, va_list ap)
{
	const char *p;
	size_t n;

	p = room_vformat(r, &n, fmt, ap);
	if (n == 0)
		return;
	if (to != NULL)
		room_queue(r, to, p, n);
	else
		room_fanout(r, except, p, n);
	/*
	 * Once per line, not per member: a broadcast costs the members
	 * nothing more than the copy into their queues.
	 */
	if (r->on_output != NULL)
		r->on_output(r->hook_arg, to);
}

void
room_sendf(struct room *r, struct client *c, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	room_vemit(r, c, NULL, fmt, ap);
	va_end(ap);
}

void
room_send(struct room *r, struct client *c, const char *line, size_t len)
{
	room_sendf(r, c, "%.*s", (int)len, line);
}

void
room_broadcast(struct room *r, const struct client *except,
    const char *line, size_t len)
{
	room_broadcastf(r, except, "%.*s", (int)len, line);
}

void
room_broadcastf(struct room *r, const struct client *except,
    const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	room_vemit(r, NULL, except, fmt, ap);
	va_end(ap);
}

void
room_log(struct room *r, const char *fmt, ...)
{
	char text[512];
	va_list ap;

	if (r->log == NULL)
		return;
	va_start(ap, fmt);
	vsnprintf(text, sizeof text, fmt, ap);
	va_end(ap);
	r->log(r->log_arg, text);
}

/* ---------------------------------------------------------------------
 * Membership
 * ------------------------------------------------------------------- */

void
room_init(struct room *r, size_t sendq)
{
	memset(r, 0, sizeof *r);
	r->sendq = sendq;
}

void
room_free(struct room *r)
{
	free(r->line);
	r->line = NULL;
	r->linecap = 0;
}

struct client *
room_find(const struct room *r, const char *nick, size_t len)
{
	struct client *c;

	for (c = r->head; c != NULL; c = c->next)
		if (strlen(c->nick) == len && strncasecmp(c->nick, nick,
		    len) == 0)
			return c;
	return NULL;
}

/*
 * The smallest N for which guestN is free. With count members at most
 * count numbers are taken, so the answer is at most count + 1 and a
 * bitmap of that size finds it in one pass over the members.
 */
static size_t
room_free_guest(struct room *r)
{
	size_t max = r->count + 1, n;
	unsigned char *seen;
	struct client *c;

	if ((seen = calloc(max + 1, 1)) == NULL) {
		/* Out of memory: fall back to probing, slower but sure. */
		char nick[32];

		for (n = 1;; n++) {
			snprintf(nick, sizeof nick, PROTO_GUEST "%zu", n);
			if (room_find(r, nick, strlen(nick)) == NULL)
				return n;
		}
	}
	for (c = r->head; c != NULL; c = c->next)
		if ((n = proto_guest_number(c->nick, max)) != 0)
			seen[n] = 1;
	for (n = 1; n < max && seen[n]; n++)
		;
	free(seen);
	return n;
}

void
room_link(struct room *r, struct client *c)
{
	c->prev = r->tail;
	c->next = NULL;
	if (r->tail != NULL)
		r->tail->next = c;
	else
		r->head = c;
	r->tail = c;
	r->count++;
	c->flags |= CLIENT_JOINED;
	room_log(r, "client %u from %s joined as %s", c->id, c->addr,
	    c->nick);
}

void
room_motd(struct room *r, struct client *c)
{
	size_t i;

	for (i = 0; r->motd != NULL && i < r->motd->n; i++)
		room_sendf(r, c, PROTO_NOTICE, r->motd->lines[i]);
}

void
room_join(struct room *r, struct client *c)
{
	if (r->cluster != NULL) {
		cluster_join(r->cluster, c);
		return;
	}
	snprintf(c->nick, sizeof c->nick, PROTO_GUEST "%zu",
	    room_free_guest(r));
	room_link(r, c);
	room_sendf(r, c, PROTO_WELCOME, c->nick, r->count);
	room_motd(r, c);
	room_broadcastf(r, c, PROTO_JOINED, c->nick);
}

void
room_unlink(struct room *r, struct client *c, const char *why)
{
	if (!(c->flags & CLIENT_JOINED))
		return;
	if (c->prev != NULL)
		c->prev->next = c->next;
	else
		r->head = c->next;
	if (c->next != NULL)
		c->next->prev = c->prev;
	else
		r->tail = c->prev;
	c->prev = c->next = NULL;
	r->count--;
	if (c->flags & CLIENT_SLOW)
		r->nslow--;
	c->flags &= ~CLIENT_JOINED;
	c->flags |= CLIENT_CLOSING;
	c->reason = why;
	room_log(r, "client %u %s left (%s) bytes_in=%llu bytes_out=%llu",
	    c->id, c->nick, why, (unsigned long long)c->bytes_in,
	    (unsigned long long)c->bytes_out);
	if (r->on_leave != NULL)
		r->on_leave(r->hook_arg, c);
}

void
room_drop(struct room *r, struct client *c, const char *why)
{
	if (c->flags & (CLIENT_JOINED | CLIENT_CLOSING))
		return;
	c->flags |= CLIENT_CLOSING;
	c->reason = why;
	if (r->on_leave != NULL)
		r->on_leave(r->hook_arg, c);
}

void
room_leave(struct room *r, struct client *c, const char *reason,
    const char *why)
{
	if (r->cluster != NULL) {
		cluster_leave(r->cluster, c, reason, why);
		return;
	}
	if (!(c->flags & CLIENT_JOINED))
		return;
	room_unlink(r, c, why);
	if (reason != NULL)
		room_broadcastf(r, NULL, PROTO_LEFT_REASON, c->nick, reason);
	else
		room_broadcastf(r, NULL, PROTO_LEFT, c->nick);
}

void
room_settle(struct room *r)
{
	struct client *c, *next;

	/* Each leave is a broadcast that may push another member over. */
	while (r->nslow > 0) {
		for (c = r->head; c != NULL; c = next) {
			next = c->next;
			/* A leave unlinks only c, so next stays valid. */
			if (c->flags & CLIENT_SLOW)
				room_leave(r, c, PROTO_REASON_SLOW, "too slow");
		}
	}
}

void
room_rename(struct room *r, struct client *c, const char *nick, size_t len)
{
	char old[PROTO_NICK_MAX + 1];

	memcpy(old, c->nick, sizeof old);
	memcpy(c->nick, nick, len);
	c->nick[len] = '\0';
	room_log(r, "client %u %s is now %s", c->id, old, c->nick);
	room_broadcastf(r, NULL, PROTO_RENAMED, old, c->nick);
}

/* ---------------------------------------------------------------------
 * Limits: the notices of the server's limits, sent here so that they are
 * worded in one place and unit tests see them
 * ------------------------------------------------------------------- */

void
room_toolong(struct room *r, struct client *c, size_t max)
{
	room_log(r, "client %u %s: line too long", c->id, c->nick);
	room_sendf(r, c, PROTO_TOOLONG, max);
}

void
room_idle(struct room *r, struct client *c, unsigned secs)
{
	room_sendf(r, c, PROTO_IDLE, secs);
	room_leave(r, c, PROTO_REASON_IDLE, "idle");
}

const char *
room_full_notice(size_t *lenp)
{
	static const char full[] = PROTO_FULL "\n";

	*lenp = sizeof full - 1;
	return full;
}
