/* room: the hub: members in join order, nicks, and the room log. */
#include "room.h"

#include "proto.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* ---------------------------------------------------------------------
 * Output: one copy per broadcast line, in the room log
 * ------------------------------------------------------------------- */

/*
 * The room c is in: a member's lines, leave and nick go through its own
 * room, whichever room a caller (an operator's command, a reply that
 * came back from elsewhere) had at hand.
 */
static struct room *
room_of(struct room *r, const struct client *c)
{
	return c->room != NULL ? c->room : r;
}

static void	room_hold_ref(struct room *, struct client *);

/*
 * Queue bytes (LF included) for c alone, or flag c as too slow when they
 * take its backlog past the limit. A slow client gets nothing more than
 * the end of the line it was being sent (rlog_cut()): it is about to go,
 * and holding its backlog would only cost memory.
 */
static void
room_queue(struct room *r, struct client *c, const char *p, size_t n)
{
	r = room_of(r, c);
	/* Only members get output: a leaver is past caring, and counting a
	 * non-member in nslow would keep room_settle() waiting for it. */
	if ((c->flags & (CLIENT_JOINED | CLIENT_SLOW)) != CLIENT_JOINED)
		return;
	if (rlog_private(&r->rlog, &c->rd, p, n) == -1 ||
	    rlog_backlog(&r->rlog, &c->rd) > r->sendq) {
		rlog_cut(&r->rlog, &c->rd);
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

/*
 * Copy line[0..len) and an LF into the room's line buffer. Returns it, with
 * its length in *lenp (0 when out of memory).
 */
static const char *
room_copy(struct room *r, const char *line, size_t len, size_t *lenp)
{
	char *p;

	if (len + 2 > r->linecap) {
		if ((p = realloc(r->line, len + 2)) == NULL) {
			*lenp = 0;
			return "";
		}
		r->line = p;
		r->linecap = len + 2;
	}
	memcpy(r->line, line, len);
	r->line[len] = '\n';
	*lenp = len + 1;
	return r->line;
}

/*
 * Append formatted bytes (LF included) to the log, once: nlens lines of
 * the lengths at lens when lens is not NULL.
 */
static void
room_append_lines(struct room *r, struct client *from, enum rlog_kind kind,
    const char *p, size_t n, const size_t *lens, size_t nlens)
{
	/* A leaver's line (its /quit notice comes from the room) is for all;
	 * so is one about a member of another room. */
	if (from != NULL && (!(from->flags & CLIENT_JOINED) ||
	    (from->room != NULL && from->room != r)))
		from = NULL;
	if (rlog_append_lines(&r->rlog, from != NULL ? &from->rd : NULL,
	    kind, p, n, lens, nlens) == -1)
		room_log(r, "out of memory: a line was not relayed");
	else if (kind == RLOG_CHAT)
		rooms_update(r);	/* it keeps history now */
}

static void
room_append(struct room *r, struct client *from, enum rlog_kind kind,
    const char *p, size_t n)
{
	room_append_lines(r, from, kind, p, n, NULL, 0);
}

void
room_sendf(struct room *r, struct client *c, const char *fmt, ...)
{
	const char *p;
	va_list ap;
	size_t n;

	va_start(ap, fmt);
	p = room_vformat(r, &n, fmt, ap);
	va_end(ap);
	if (n > 0)
		room_queue(r, c, p, n);
}

void
room_tell(struct room *r, struct client *c, const char *line)
{
	const char *p;
	size_t n;

	/* A connection told something before it joins is r's from now on. */
	if (c->room == NULL)
		room_hold_ref(r, c);
	r = room_of(r, c);
	if (c->flags & CLIENT_JOINED) {
		room_send(r, c, line, strlen(line));
		return;
	}
	/* A reader of nothing but its private lines, until room_link(). */
	if (c->rd.id == 0) {
		rlog_attach(&r->rlog, &c->rd);
		rlog_stop(&r->rlog, &c->rd);
	}
	p = room_copy(r, line, strlen(line), &n);
	if (n > 0 && rlog_private(&r->rlog, &c->rd, p, n) == -1)
		room_log(r, "client %u: out of memory for a line", c->id);
}

void
room_send(struct room *r, struct client *c, const char *line, size_t len)
{
	const char *p;
	size_t n;

	p = room_copy(r, line, len, &n);
	if (n > 0)
		room_queue(r, c, p, n);
}

void
room_post(struct room *r, struct client *from, enum rlog_kind kind,
    const char *line, size_t len)
{
	const char *p;
	size_t n;

	p = room_copy(r, line, len, &n);
	if (n > 0)
		room_append(r, from, kind, p, n);
}

void
room_broadcast(struct room *r, struct client *except, const char *line,
    size_t len)
{
	room_post(r, except, RLOG_NOTICE, line, len);
}

void
room_broadcastf(struct room *r, struct client *except, const char *fmt,
    ...)
{
	const char *p;
	va_list ap;
	size_t n;

	va_start(ap, fmt);
	p = room_vformat(r, &n, fmt, ap);
	va_end(ap);
	if (n > 0)
		room_append(r, except, RLOG_NOTICE, p, n);
}

/*
 * Put c's chat line "<NICK> TEXT" or, for ROOM_SAY_ACTION, "* NICK TEXT"
 * (PROTO_CHAT, PROTO_ACTION), LF included, together by hand at p, which
 * has room for len + nl + 4 bytes (nl: the nick's length): the one line
 * formatted per chat line, where printf would cost more than the rest of
 * its way to the log. Returns its length.
 */
static size_t
room_chat_put(char *p, const char *nick, size_t nl, enum room_say kind,
    const char *text, size_t len)
{
	if (kind == ROOM_SAY_ACTION) {
		p[0] = '*';
		p[1] = ' ';
		memcpy(p + 2, nick, nl);
		p[2 + nl] = ' ';
	} else {
		p[0] = '<';
		memcpy(p + 1, nick, nl);
		p[1 + nl] = '>';
		p[2 + nl] = ' ';
	}
	memcpy(p + 3 + nl, text, len);
	p[len + nl + 3] = '\n';
	return len + nl + 4;
}

void
room_chat(struct room *r, struct client *c, enum room_say kind,
    const char *text, size_t len)
{
	room_chat_lines(r, c, kind, &text, &len, 1);
}

void
room_wake(struct room *r, struct client *c)
{
	r = room_of(r, c);
	if ((c->flags & (CLIENT_JOINED | CLIENT_SLOW)) == CLIENT_JOINED)
		rlog_wake_one(&r->rlog, &c->rd);
}

bool
room_says_here(struct room *r, const struct client *c)
{
	r = room_of(r, c);
	return r->backend == &room_backend_local &&
	    (c->flags & (CLIENT_JOINED | CLIENT_CLOSING | CLIENT_SLOW)) ==
	    CLIENT_JOINED;
}

void
room_chat_lines(struct room *r, struct client *c, enum room_say kind,
    const char *const *text, const size_t *len, size_t k)
{
	size_t nl = strlen(c->nick), lens[ROOM_RUN_LINES], n = 0, at = 0, i;
	char *p;

	if (k > ROOM_RUN_LINES) {
		room_chat_lines(r, c, kind, text, len, ROOM_RUN_LINES);
		room_chat_lines(r, c, kind, text + ROOM_RUN_LINES,
		    len + ROOM_RUN_LINES, k - ROOM_RUN_LINES);
		return;
	}
	r = room_of(r, c);
	for (i = 0; i < k; i++)
		n += len[i] + nl + 4;
	/* Written where the log keeps them: no copy on the way. */
	if ((p = rlog_reserve(&r->rlog, n)) == NULL) {
		room_log(r, "out of memory: %zu line(s) not relayed", k);
		return;
	}
	for (i = 0; i < k; i++) {
		lens[i] = room_chat_put(p + at, c->nick, nl, kind, text[i],
		    len[i]);
		at += lens[i];
	}
	room_append_lines(r, c, RLOG_CHAT, p, n, lens, k);
}

void
room_chatf(struct room *r, struct client *c, const char *fmt, ...)
{
	const char *p;
	va_list ap;
	size_t n;

	va_start(ap, fmt);
	p = room_vformat(r, &n, fmt, ap);
	va_end(ap);
	if (n > 0)
		room_append(r, c, RLOG_CHAT, p, n);
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

int
room_init(struct room *r, size_t sendq, size_t history)
{
	memset(r, 0, sizeof *r);
	memcpy(r->name, PROTO_ROOM_DEFAULT, sizeof PROTO_ROOM_DEFAULT);
	r->sendq = sendq;
	if (rlog_init(&r->rlog, history) == -1)
		return -1;
	/* What the history pins besides its lines is bounded like a
	 * member's backlog. */
	rlog_set_slack(&r->rlog, sendq);
	room_set_backend(r, NULL, NULL);
	return 0;
}

void
room_set_backend(struct room *r, const struct room_backend *be,
    void *be_arg)
{
	r->backend = be != NULL ? be : &room_backend_local;
	r->backend_arg = be != NULL ? be_arg : r;
}

void
room_free(struct room *r)
{
	free(r->line);
	r->line = NULL;
	r->linecap = 0;
	free(r->topic);
	r->topic = NULL;
	rlog_free(&r->rlog);
}

void
room_set_clock(struct room *r, const char stamp[RLOG_STAMP])
{
	rlog_set_clock(&r->rlog, stamp);
}

void
room_forget(struct room *r, struct client *c)
{
	r = room_of(r, c);
	rlog_detach(&r->rlog, &c->rd);
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

/* The first room of r's server (r itself for a room on its own). */
static const struct room *
room_first_room(const struct room *r)
{
	return r->reg != NULL ? r->reg->head : r;
}

/* The room after rr on r's server, or NULL. */
static const struct room *
room_next_room(const struct room *r, const struct room *rr)
{
	return r->reg != NULL ? rr->rnext : NULL;
}

struct client *
room_find_any(const struct room *r, const char *nick, size_t len)
{
	const struct room *rr;
	struct client *c;

	/* One look in the server's nick index, however many members. */
	if (r->reg != NULL && rooms_nick(r->reg, nick, len, &c))
		return c;
	for (rr = room_first_room(r); rr != NULL; rr = room_next_room(r, rr))
		if ((c = room_find(rr, nick, len)) != NULL)
			return c;
	return NULL;
}

/*
 * Note in the server's guest map that nick (a member's, linked or
 * unlinked) is now taken or free. Nicks are unique server-wide, so a
 * number freed is free.
 */
static void
room_guest_mark(struct rooms *rs, const char *nick, bool taken)
{
	size_t n;

	if (rs == NULL || rs->nguests == 0 ||
	    (n = proto_guest_number(nick, rs->nguests - 1)) == 0)
		return;
	rs->guests[n] = taken;
	if (!taken && n < rs->guestlow)
		rs->guestlow = n;
}

/*
 * Make the server's guest map anew, for numbers below cap (more than the
 * members plus one, so that it holds the answer), in one pass over the
 * members. Returns 0, or -1 when out of memory.
 */
static int
room_guest_map(struct rooms *rs, size_t cap)
{
	const struct room *rr;
	struct client *c;
	unsigned char *m;
	size_t n;

	if ((m = realloc(rs->guests, cap)) == NULL)
		return -1;
	memset(m, 0, cap);
	rs->guests = m;
	rs->nguests = cap;
	rs->guestlow = 1;
	for (rr = rs->head; rr != NULL; rr = rr->rnext)
		for (c = rr->head; c != NULL; c = c->next)
			if ((n = proto_guest_number(c->nick, cap - 1)) != 0)
				m[n] = 1;
	return 0;
}

/*
 * The smallest N for which guestN is free on the server. With count
 * members at most count numbers are taken, so the answer is at most
 * count + 1. A server keeps a map of the numbers taken, which joins,
 * leaves and renames keep up to date (room_guest_mark()), so that a
 * crowd arriving costs one look each, not a pass over everyone; the map
 * is made again, twice as big, when the members outgrow it. A room on
 * its own looks with a bitmap made in one pass over its members.
 */
size_t
room_free_guest(struct room *r)
{
	struct rooms *rs = r->reg;
	size_t max, n;
	const struct room *rr;
	unsigned char *seen;
	struct client *c;

	while (rs != NULL) {
		for (n = rs->guestlow > 1 ? rs->guestlow : 1;
		    n < rs->nguests && rs->guests[n]; n++)
			;
		if (n < rs->nguests) {
			rs->guestlow = n;
			return n;
		}
		if (room_guest_map(rs, 2 * (rooms_members(rs) + 2) + 64) == -1)
			break;
	}
	max = (r->reg != NULL ? rooms_members(r->reg) : r->count) + 1;
	if ((seen = calloc(max + 1, 1)) == NULL) {
		/* Out of memory: fall back to probing, slower but sure. */
		char nick[32];

		for (n = 1;; n++) {
			snprintf(nick, sizeof nick, PROTO_GUEST "%zu", n);
			if (room_find_any(r, nick, strlen(nick)) == NULL)
				return n;
		}
	}
	for (rr = room_first_room(r); rr != NULL; rr = room_next_room(r, rr))
		for (c = rr->head; c != NULL; c = c->next)
			if ((n = proto_guest_number(c->nick, max)) != 0)
				seen[n] = 1;
	for (n = 1; n < max && seen[n]; n++)
		;
	free(seen);
	return n;
}

/* c is r's from now on (a joiner, or a member moving in). */
static void
room_hold_ref(struct room *r, struct client *c)
{
	if (c->room == r)
		return;
	if (c->room != NULL)
		room_release(c);
	c->room = r;
	if (r->refs++ == 0 && r->reg != NULL && r != r->reg->landing) {
		r->reg->unheld--;
		rooms_update(r);
	}
}

void
room_release(struct client *c)
{
	struct room *r = c->room;

	if (r == NULL)
		return;
	c->room = NULL;
	if (--r->refs == 0 && r->reg != NULL && r != r->reg->landing) {
		r->reg->unheld++;
		r->emptied = ++r->reg->ticks;
		rooms_update(r);
	}
}

void
room_link(struct room *r, struct client *c)
{
	room_hold_ref(r, c);
	c->prev = r->tail;
	c->next = NULL;
	if (r->tail != NULL)
		r->tail->next = c;
	else
		r->head = c;
	r->tail = c;
	r->count++;
	c->flags |= CLIENT_JOINED;
	room_guest_mark(r->reg, c->nick, true);
	rooms_name(r->reg, c);
	/* room_tell() may have made it a reader of its private lines only. */
	if (c->rd.id != 0)
		rlog_resume(&r->rlog, &c->rd);
	else
		rlog_attach(&r->rlog, &c->rd);
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
	room_hold_ref(r, c);
	r->backend->join(r->backend_arg, c);
}

bool
room_hold(struct room *r, struct client *c, const char *text, size_t len)
{
	r = room_of(r, c);
	return r->backend->hold(r->backend_arg, c, text, len);
}

void
room_say(struct room *r, struct client *c, enum room_say kind,
    const char *text, size_t len)
{
	r = room_of(r, c);
	r->backend->say(r->backend_arg, c, kind, text, len);
}

void
room_msg(struct room *r, struct client *c, const char *to, size_t tolen,
    const char *text, size_t len)
{
	r = room_of(r, c);
	r->backend->msg(r->backend_arg, c, to, tolen, text, len);
}

void
room_nick(struct room *r, struct client *c, const char *nick, size_t len)
{
	r = room_of(r, c);
	r->backend->nick(r->backend_arg, c, nick, len);
}

void
room_who(struct room *r, struct client *c)
{
	r = room_of(r, c);
	r->backend->who(r->backend_arg, c);
}

void
room_history(struct room *r, struct client *c)
{
	size_t k;

	r = room_of(r, c);
	if ((k = rlog_history_count(&r->rlog)) == 0)
		return;
	/*
	 * The replay sits in c's stream between these two lines, and every
	 * later line comes after it: nothing missed or twice. It is served
	 * from the log and does not count as backlog.
	 */
	room_sendf(r, c, PROTO_HISTORY_BEGIN, k, PROTO_PLURAL(k));
	if ((c->flags & CLIENT_JOINED) && !(c->flags & CLIENT_SLOW) &&
	    rlog_replay(&r->rlog, &c->rd) == -1)
		room_log(r, "client %u: out of memory for the history", c->id);
	room_sendf(r, c, PROTO_HISTORY_END);
}

void
room_chat_at(struct room *r, struct client *from,
    const char stamp[RLOG_STAMP], const char *line, size_t len)
{
	char now[RLOG_STAMP];
	const char *p;
	size_t n;

	p = room_copy(r, line, len, &n);
	if (n == 0)
		return;
	if (stamp == NULL) {
		room_append(r, from, RLOG_CHAT, p, n);
		return;
	}
	/* The line keeps the time it was taken; the clock stays now. */
	memcpy(now, r->rlog.stamp, RLOG_STAMP);
	rlog_set_clock(&r->rlog, stamp);
	room_append(r, from, RLOG_CHAT, p, n);
	rlog_set_clock(&r->rlog, now);
}

void
room_who_reply(struct room *r, struct client *c, const char *const *nicks,
    size_t n)
{
	struct buf list = BUF_INIT;
	size_t i, k = 0;

	for (i = 0; i < n; i++) {
		size_t len = nicks[i] != NULL ? strlen(nicks[i]) : 0;

		if (!proto_nick_valid(nicks[i] != NULL ? nicks[i] : "", len)) {
			room_log(r, "client %u: /who: dropped a member whose "
			    "nick breaks the nick rule", c->id);
			continue;
		}
		if (buf_append(&list, " ", 1) == -1 ||
		    buf_append(&list, nicks[i], len) == -1)
			break;
		k++;
	}
	room_sendf(r, c, PROTO_WHO, k, (int)buf_used(&list), buf_peek(&list));
	buf_free(&list);
}

void
room_unlink(struct room *r, struct client *c, const char *why)
{
	r = room_of(r, c);
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
	room_guest_mark(r->reg, c->nick, false);
	rooms_unname(r->reg, c);
	if (c->flags & CLIENT_SLOW)
		r->nslow--;
	/* What is queued for it stays, for a last write; nothing after. */
	rlog_stop(&r->rlog, &c->rd);
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
	/* Its connection is closed through its room: it needs one. */
	if (c->room == NULL)
		room_hold_ref(r, c);
	r = room_of(r, c);
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
	r = room_of(r, c);
	r->backend->leave(r->backend_arg, c, reason, why);
}

/* The bytes every other member gets when c leaves as too slow. */
static size_t
room_slow_cost(const struct rlog_reader *rd, void *arg)
{
	const struct client *c = CLIENT_OF_READER(rd);
	int n;

	(void)arg;
	n = snprintf(NULL, 0, PROTO_LEFT_REASON, c->nick, PROTO_REASON_SLOW);
	return n > 0 ? (size_t)n + 1 : 0;
}

void
room_settle(struct room *r)
{
	struct rlog_reader **slow;
	struct client *c, *next;
	size_t n, i;

	/* Those flagged while queueing a line for them alone go first. */
	if (r->nslow > 0) {
		for (c = r->head; c != NULL; c = next) {
			next = c->next;
			/* A leave unlinks only c, so next stays valid. */
			if (c->flags & CLIENT_SLOW)
				room_leave(r, c, PROTO_REASON_SLOW, "too slow");
		}
	}
	/*
	 * Then everyone over the limit, and everyone their notices push
	 * over, in the order rlog_settle() found: one pass for the cascade.
	 * Each is cut off from the log at once: its last write has at most
	 * the end of the line it was being sent (rlog_cut()), so that no
	 * line, and no WebSocket frame, is left half written.
	 */
	n = rlog_settle(&r->rlog, r->sendq, room_slow_cost, r, &slow);
	for (i = 0; i < n; i++) {
		c = CLIENT_OF_READER(slow[i]);
		room_leave(r, c, PROTO_REASON_SLOW, "too slow");
		c->flags |= CLIENT_SLOW;
		rlog_cut(&r->rlog, &c->rd);
	}
}

void
room_set_nick(struct room *r, struct client *c, const char *nick, size_t len)
{
	r = room_of(r, c);
	if (len > PROTO_NICK_MAX)
		len = PROTO_NICK_MAX;
	rooms_unname(r->reg, c);
	memcpy(c->nick, nick, len);
	c->nick[len] = '\0';
	if (c->flags & CLIENT_JOINED)
		rooms_name(r->reg, c);
}

void
room_rename(struct room *r, struct client *c, const char *nick, size_t len)
{
	char old[PROTO_NICK_MAX + 1];

	r = room_of(r, c);
	memcpy(old, c->nick, sizeof old);
	if (c->flags & CLIENT_JOINED)
		room_guest_mark(r->reg, old, false);
	room_set_nick(r, c, nick, len);
	if (c->flags & CLIENT_JOINED)
		room_guest_mark(r->reg, c->nick, true);
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
	r = room_of(r, c);
	room_log(r, "client %u %s: line too long", c->id, c->nick);
	room_sendf(r, c, PROTO_TOOLONG, max);
}

void
room_idle(struct room *r, struct client *c, unsigned secs)
{
	r = room_of(r, c);
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

/* ---------------------------------------------------------------------
 * Rooms: going from one to another, topics, the list
 * ------------------------------------------------------------------- */

void
room_go(struct room *r, struct client *c, const char *name, size_t len)
{
	r = room_of(r, c);
	if (strlen(r->name) == len && strncasecmp(r->name, name, len) == 0) {
		room_sendf(r, c, PROTO_ALREADY_IN, r->name);
		return;
	}
	r->backend->go(r->backend_arg, c, name, len);
}

void
room_topic(struct room *r, struct client *c, const char *text, size_t len)
{
	r = room_of(r, c);
	/* Asking is answered from the room as this server holds it, the
	 * same for every backend; setting goes through the backend. */
	if (len == 0) {
		if (r->topic != NULL)
			room_sendf(r, c, PROTO_TOPIC, r->topic);
		else
			room_sendf(r, c, PROTO_NO_TOPIC);
		return;
	}
	r->backend->topic(r->backend_arg, c, text, len);
}

void
room_list(struct room *r, struct client *c)
{
	r = room_of(r, c);
	r->backend->list(r->backend_arg, c);
}

int
room_set_topic(struct room *r, struct client *c, const char *text,
    size_t len)
{
	char *t;

	if ((t = malloc(len + 1)) == NULL)
		return -1;
	memcpy(t, text, len);
	t[len] = '\0';
	free(r->topic);
	r->topic = t;
	rooms_update(r);
	room_log(r, "client %u %s set the topic of %s", c->id, c->nick,
	    r->name);
	room_broadcastf(r, NULL, PROTO_TOPIC_SET, c->nick, r->topic);
	return 0;
}

/*
 * Move member c from r to to: out of r's member list and into to's, its
 * unreceived output along. Returns false when c cannot move (it is not
 * a member, or is about to go as too slow).
 */
static bool
room_shift(struct room *r, struct client *c, struct room *to)
{
	if ((c->flags & (CLIENT_JOINED | CLIENT_SLOW)) != CLIENT_JOINED ||
	    to == r)
		return false;
	/* Out of r's member list, quietly: c is not leaving the server. */
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
	/*
	 * What r had for c and c has not received yet (at most its backlog
	 * and a history replay under way) goes with it, ahead of anything of
	 * to's: nothing missed, nothing reordered.
	 */
	if (rlog_move(&r->rlog, &c->rd, &to->rlog) == -1)
		room_log(r, "client %u: out of memory moving its output",
		    c->id);
	room_hold_ref(to, c);
	c->prev = to->tail;
	c->next = NULL;
	if (to->tail != NULL)
		to->tail->next = c;
	else
		to->head = c;
	to->tail = c;
	to->count++;
	room_log(r, "client %u %s went from %s to %s", c->id, c->nick,
	    r->name, to->name);
	return true;
}

/* What a member that came into to gets: where it is, topic, history. */
static void
room_arrived(struct room *to, struct client *c, size_t count)
{
	/* Its backlog came along: the limit holds in the new room too. */
	if (c->rd.id == 0 || rlog_backlog(&to->rlog, &c->rd) > to->sendq) {
		rlog_cut(&to->rlog, &c->rd);
		c->flags |= CLIENT_SLOW;
		to->nslow++;
	}
	room_sendf(to, c, PROTO_MOVED, to->name, count);
	if (to->topic != NULL)
		room_sendf(to, c, PROTO_TOPIC, to->topic);
	room_history(to, c);
}

void
room_move(struct room *r, struct client *c, struct room *to)
{
	if (!room_shift(r, c, to))
		return;
	room_broadcastf(r, NULL, PROTO_WENT, c->nick, to->name);
	room_arrived(to, c, to->count);
	room_broadcastf(to, c, PROTO_JOINED, c->nick);
}

void
room_enter(struct room *r, struct client *c, struct room *to, size_t count)
{
	if (room_shift(r, c, to))
		room_arrived(to, c, count);
}

void
room_history_forget(struct room *r)
{
	rlog_history_forget(&r->rlog);
	rooms_update(r);
}
