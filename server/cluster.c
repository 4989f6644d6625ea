/* cluster: one room served by several lobbyd: room events as stream entries. */
#include "cluster.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "commands.h"
#include "proto.h"
#include "room.h"

static const char cluster_unavailable_send[] =
    "!!! room unavailable, message not sent";
static const char cluster_unavailable_later[] =
    "!!! room unavailable, try again later";

/* ---------------------------------------------------------------------
 * Options: the Redis address and the room name
 * ------------------------------------------------------------------- */

/* Parse a whole port number 1-65535 from s; -1 if it is not one. */
static long
cluster_port(const char *s)
{
	long v = 0;

	if (*s == '\0')
		return -1;
	for (; *s != '\0'; s++) {
		if (*s < '0' || *s > '9')
			return -1;
		v = v * 10 + (*s - '0');
		if (v > 65535)
			return -1;
	}
	return v >= 1 ? v : -1;
}

int
cluster_addr_parse(const char *text, struct cluster_addr *a,
    const char **why)
{
	const char *colon, *host, *end;
	size_t hlen;
	long port;

	memset(a, 0, sizeof *a);
	if (strncmp(text, "unix:", 5) == 0) {
		if (text[5] == '\0') {
			*why = "unix: needs a socket path";
			return -1;
		}
		if (strlen(text + 5) >= sizeof a->path) {
			*why = "the socket path is too long";
			return -1;
		}
		a->is_unix = true;
		snprintf(a->path, sizeof a->path, "%s", text + 5);
		return 0;
	}
	if (text[0] == '[') {
		host = text + 1;
		if ((end = strchr(host, ']')) == NULL || end[1] != ':') {
			*why = "an IPv6 address is written [ADDR]:PORT";
			return -1;
		}
		colon = end + 1;
	} else {
		host = text;
		if ((colon = strchr(text, ':')) == NULL) {
			*why = "expected HOST:PORT, [V6]:PORT or unix:PATH";
			return -1;
		}
		if (strchr(colon + 1, ':') != NULL) {
			*why = "an IPv6 address is written [ADDR]:PORT";
			return -1;
		}
		end = colon;
	}
	hlen = (size_t)(end - host);
	if (hlen == 0 || hlen >= sizeof a->host) {
		*why = hlen == 0 ? "the host is empty" : "the host is too long";
		return -1;
	}
	if ((port = cluster_port(colon + 1)) == -1) {
		*why = "the port must be a number from 1 to 65535";
		return -1;
	}
	memcpy(a->host, host, hlen);
	a->host[hlen] = '\0';
	a->port = (unsigned)port;
	return 0;
}

bool
cluster_room_valid(const char *name)
{
	size_t i, n = strlen(name);

	if (n < 1 || n > CLUSTER_ROOM_MAX)
		return false;
	for (i = 0; i < n; i++) {
		char ch = name[i];

		if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
		    (ch >= '0' && ch <= '9') || ch == '_' || ch == '-'))
			return false;
	}
	return true;
}

/* ---------------------------------------------------------------------
 * Set-up, keys and IDs
 * ------------------------------------------------------------------- */

int
cluster_init(struct cluster *cl, struct room *r, size_t history,
    const char *inst)
{
	memset(cl, 0, sizeof *cl);
	cl->room = r;
	snprintf(cl->inst, sizeof cl->inst, "%s", inst);
	snprintf(cl->lastid, sizeof cl->lastid, "0-0");
	cl->hist_cap = history;
	if (history > 0 &&
	    (cl->hist = calloc(history, sizeof *cl->hist)) == NULL)
		return -1;
	return 0;
}

void
cluster_free(struct cluster *cl)
{
	struct cluster_pending *p, *pnext;
	struct cluster_gone *g, *gnext;
	size_t i;

	for (p = cl->pending; p != NULL; p = pnext) {
		pnext = p->next;
		buf_free(&p->held);
		free(p);
	}
	for (g = cl->gone; g != NULL; g = gnext) {
		gnext = g->next;
		free(g->reason);
		free(g);
	}
	for (i = 0; i < cl->hist_cap; i++)
		free(cl->hist[i].line);
	free(cl->hist);
	cl->pending = NULL;
	cl->gone = NULL;
	cl->hist = NULL;
	cl->hist_cap = cl->hist_n = 0;
}

bool
cluster_key_local(const struct cluster *cl, const char *key, unsigned *cid)
{
	size_t n = strlen(cl->inst);
	unsigned long v = 0;
	const char *p;

	if (key == NULL || strncmp(key, cl->inst, n) != 0 || key[n] != ':' ||
	    key[n + 1] == '\0')
		return false;
	for (p = key + n + 1; *p != '\0'; p++) {
		if (*p < '0' || *p > '9')
			return false;
		v = v * 10 + (unsigned long)(*p - '0');
		if (v > 0xffffffffUL)
			return false;
	}
	*cid = (unsigned)v;
	return true;
}

/* Split a stream ID "MS-SEQ" into its two numbers. */
static void
cluster_id_split(const char *id, unsigned long long *ms,
    unsigned long long *seq)
{
	char *end;

	*ms = strtoull(id, &end, 10);
	*seq = *end == '-' ? strtoull(end + 1, NULL, 10) : 0;
}

int
cluster_id_cmp(const char *a, const char *b)
{
	unsigned long long ams, aseq, bms, bseq;

	cluster_id_split(a, &ams, &aseq);
	cluster_id_split(b, &bms, &bseq);
	if (ams != bms)
		return ams < bms ? -1 : 1;
	if (aseq != bseq)
		return aseq < bseq ? -1 : 1;
	return 0;
}

/* The local member with connection number cid, or NULL. */
static struct client *
cluster_member(const struct cluster *cl, unsigned cid)
{
	struct client *c;

	for (c = room_first(cl->room); c != NULL; c = room_next(c))
		if (c->id == cid)
			return c;
	return NULL;
}

/* The local member an entry's key names, or NULL. */
static struct client *
cluster_member_key(const struct cluster *cl, const char *key)
{
	unsigned cid;

	return cluster_key_local(cl, key, &cid) ? cluster_member(cl, cid) :
	    NULL;
}

/* ---------------------------------------------------------------------
 * History
 * ------------------------------------------------------------------- */

/* Remember a delivered line (no LF) sent at local time stamp. */
static void
cluster_hist_add(struct cluster *cl, const char *stamp, const char *line,
    size_t len)
{
	struct cluster_hist *h;
	char *copy;

	if (cl->hist_cap == 0 || (copy = malloc(len + 1)) == NULL)
		return;
	memcpy(copy, line, len);
	copy[len] = '\0';
	h = &cl->hist[cl->hist_next];
	free(h->line);
	h->line = copy;
	snprintf(h->stamp, sizeof h->stamp, "%s", stamp);
	cl->hist_next = (cl->hist_next + 1) % cl->hist_cap;
	if (cl->hist_n < cl->hist_cap)
		cl->hist_n++;
}

/*
 * The replay prefix for a line sent at stamp: "[HH:MM] ", or
 * "[YYYY-MM-DD HH:MM] " when it was not sent today. Local time is the I/O
 * side's business: it stamps the entries and says what day it is.
 */
static void
cluster_hist_stamp(const struct cluster *cl, const char *stamp, char *out,
    size_t outlen)
{
	if (strlen(stamp) == CLUSTER_STAMP &&
	    strncmp(stamp, cl->today, 10) == 0)
		snprintf(out, outlen, "[%s] ", stamp + 11);
	else
		snprintf(out, outlen, "[%s] ", stamp);
}

/* Send c the history block, if there is any history. */
static void
cluster_hist_send(struct cluster *cl, struct client *c)
{
	struct room *r = cl->room;
	char stamp[32];
	size_t i, slot;

	if (cl->hist_n == 0)
		return;
	room_sendf(r, c, PROTO_HISTORY_BEGIN, cl->hist_n,
	    PROTO_PLURAL(cl->hist_n));
	slot = (cl->hist_next + cl->hist_cap - cl->hist_n) % cl->hist_cap;
	for (i = 0; i < cl->hist_n; i++) {
		const struct cluster_hist *h = &cl->hist[slot];

		cluster_hist_stamp(cl, h->stamp, stamp, sizeof stamp);
		room_sendf(r, c, "%s%s", stamp, h->line);
		slot = (slot + 1) % cl->hist_cap;
	}
	room_sendf(r, c, PROTO_HISTORY_END);
}

/* ---------------------------------------------------------------------
 * The room's side: publishing local events
 * ------------------------------------------------------------------- */

/* Queue a line for a connection that is not (yet) a member. */
static void
cluster_send_raw(struct cluster *cl, struct client *c, const char *line)
{
	room_tell(cl->room, c, line);
}

/* The pending record of c, and the link that points to it. */
static struct cluster_pending **
cluster_pending_link(struct cluster *cl, const struct client *c)
{
	struct cluster_pending **pp;

	for (pp = &cl->pending; *pp != NULL; pp = &(*pp)->next)
		if ((*pp)->c == c)
			return pp;
	return NULL;
}

/* The pending record of connection number cid, unlinked; or NULL. */
static struct cluster_pending *
cluster_pending_take(struct cluster *cl, unsigned cid)
{
	struct cluster_pending **pp, *p;

	for (pp = &cl->pending; *pp != NULL; pp = &(*pp)->next) {
		if ((*pp)->c->id == cid) {
			p = *pp;
			*pp = p->next;
			return p;
		}
	}
	return NULL;
}

/* Close a connection that never joined, telling it line (if any). */
static void
cluster_turn_away(struct cluster *cl, struct client *c, const char *line,
    const char *why)
{
	if (line != NULL)
		cluster_send_raw(cl, c, line);
	c->flags &= ~CLIENT_WAITING;
	room_log(cl->room, "client %u from %s refused: %s", c->id, c->addr,
	    why);
	room_drop(cl->room, c, why);
}

void
cluster_join(struct cluster *cl, struct client *c)
{
	struct cluster_pending *p;

	if (!cl->up) {
		cluster_turn_away(cl, c, cluster_unavailable_later,
		    "room unavailable");
		return;
	}
	if ((p = calloc(1, sizeof *p)) == NULL) {
		cluster_turn_away(cl, c, NULL, "out of memory");
		return;
	}
	if (cl->ops->join(cl->io, c->id) == -1) {
		free(p);
		cluster_turn_away(cl, c, cluster_unavailable_later,
		    "room unavailable");
		return;
	}
	p->c = c;
	p->next = cl->pending;
	cl->pending = p;
	c->flags |= CLIENT_WAITING;
}

/* Remember a leave to publish when the link is back. */
static void
cluster_gone_add(struct cluster *cl, unsigned cid, const char *reason)
{
	struct cluster_gone *g;

	if ((g = calloc(1, sizeof *g)) == NULL)
		return;	/* its heartbeat will take it out as lost */
	g->cid = cid;
	if (reason != NULL && (g->reason = strdup(reason)) == NULL) {
		free(g);
		return;
	}
	g->next = cl->gone;
	cl->gone = g;
}

/* Publish that cid left, now or when the link is back. */
static void
cluster_publish_leave(struct cluster *cl, unsigned cid, const char *reason)
{
	if (!cl->up || cl->ops->leave(cl->io, cid, reason) == -1)
		cluster_gone_add(cl, cid, reason);
}

/*
 * A joiner leaves before its welcome: what it said meanwhile is still
 * published (its chat and /me lines, in order, behind its join), then
 * its leave. Other commands had no one left to answer.
 */
static void
cluster_leave_pending(struct cluster *cl, struct cluster_pending *p,
    const char *reason, const char *why)
{
	struct client *c = p->c;
	const char *s = (const char *)buf_peek(&p->held);
	size_t left = buf_used(&p->held), n;

	while (cl->up && left > 0) {
		n = strlen(s);
		if (s[0] != '/' || s[1] == '/')
			(void)cl->ops->say(cl->io, c->id, CLUSTER_CHAT,
			    s + (s[0] == '/'), n - (s[0] == '/'));
		else if (strncmp(s, "/me ", 4) == 0 && n > 4)
			(void)cl->ops->say(cl->io, c->id, CLUSTER_ACTION, s + 4,
			    n - 4);
		s += n + 1;
		left -= n + 1;
	}
	cluster_publish_leave(cl, c->id, reason);
	buf_free(&p->held);
	free(p);
	c->flags &= ~CLIENT_WAITING;
	room_log(cl->room, "client %u from %s left before joining (%s)",
	    c->id, c->addr, why);
	room_drop(cl->room, c, why);
}

void
cluster_leave(struct cluster *cl, struct client *c, const char *reason,
    const char *why)
{
	struct cluster_pending **pp, *p;

	if ((pp = cluster_pending_link(cl, c)) != NULL) {
		p = *pp;
		*pp = p->next;
		cluster_leave_pending(cl, p, reason, why);
		return;
	}
	if (!(c->flags & CLIENT_JOINED))
		return;
	room_unlink(cl->room, c, why);
	cluster_publish_leave(cl, c->id, reason);
}

bool
cluster_hold(struct cluster *cl, struct client *c, const char *text,
    size_t len)
{
	struct cluster_pending **pp;

	if (!(c->flags & CLIENT_WAITING) ||
	    (pp = cluster_pending_link(cl, c)) == NULL)
		return false;
	if ((*pp)->dropped ||
	    buf_used(&(*pp)->held) + len + 1 > CLUSTER_HOLD_MAX ||
	    buf_append(&(*pp)->held, text, len) == -1 ||
	    buf_append(&(*pp)->held, "", 1) == -1) {
		/* Told once it has joined: nothing goes without a word. */
		(*pp)->dropped = true;
	}
	return true;
}

void
cluster_say(struct cluster *cl, struct client *c, int kind,
    const char *text, size_t len)
{
	if (!cl->up || cl->ops->say(cl->io, c->id, kind, text, len) == -1)
		room_sendf(cl->room, c, "%s", cluster_unavailable_send);
}

void
cluster_msg(struct cluster *cl, struct client *c, const char *to,
    size_t tolen, const char *text, size_t len)
{
	if (!cl->up ||
	    cl->ops->msg(cl->io, c->id, to, tolen, text, len) == -1)
		room_sendf(cl->room, c, "%s", cluster_unavailable_send);
}

void
cluster_nick(struct cluster *cl, struct client *c, const char *nick,
    size_t len)
{
	if (!cl->up || cl->ops->nick(cl->io, c->id, nick, len) == -1)
		room_sendf(cl->room, c, "%s", cluster_unavailable_send);
}

void
cluster_who(struct cluster *cl, struct client *c)
{
	if (!cl->up || cl->ops->who(cl->io, c->id) == -1)
		room_sendf(cl->room, c, "%s", cluster_unavailable_later);
}

/* ---------------------------------------------------------------------
 * The I/O side's: applying what the stream says
 * ------------------------------------------------------------------- */

/*
 * A joiner's own join entry came back: it becomes a member, gets the
 * welcome and the history (the room as of its join entry, which is the
 * seam: what follows in the stream follows in its stream), and the lines
 * it sent meanwhile run now.
 */
static void
cluster_welcome(struct cluster *cl, struct cluster_pending *p,
    const struct cluster_entry *e)
{
	struct room *r = cl->room;
	struct client *c = p->c;
	const char *s = (const char *)buf_peek(&p->held);
	size_t left = buf_used(&p->held), n;

	c->flags &= ~CLIENT_WAITING;
	snprintf(c->nick, sizeof c->nick, "%s", e->nick);
	room_link(r, c);
	room_sendf(r, c, PROTO_WELCOME, c->nick, (size_t)e->count);
	room_motd(r, c);
	cluster_hist_send(cl, c);
	room_broadcastf(r, c, PROTO_JOINED, c->nick);
	if (p->dropped)
		room_sendf(r, c, "!!! lines you sent before the welcome were "
		    "dropped: over %d bytes", CLUSTER_HOLD_MAX);
	while (left > 0 && !(c->flags & CLIENT_CLOSING)) {
		n = strlen(s);
		commands_input(r, c, s, n);
		s += n + 1;
		left -= n + 1;
	}
	buf_free(&p->held);
	free(p);
}

/* Deliver a line to every local member but the one key names. */
static void
cluster_fanout(struct cluster *cl, const char *key, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void
cluster_fanout(struct cluster *cl, const char *key, const char *fmt, ...)
{
	char stack[1024], *line = stack;
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(stack, sizeof stack, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	if ((size_t)n >= sizeof stack) {
		if ((line = malloc((size_t)n + 1)) == NULL)
			return;
		va_start(ap, fmt);
		vsnprintf(line, (size_t)n + 1, fmt, ap);
		va_end(ap);
	}
	room_broadcast(cl->room, cluster_member_key(cl, key), line,
	    (size_t)n);
	if (line != stack)
		free(line);
}

void
cluster_apply(struct cluster *cl, const struct cluster_entry *e)
{
	struct room *r = cl->room;
	struct cluster_pending *p;
	struct client *c;
	unsigned cid;
	int tl = (int)e->textlen;

	if (cluster_id_cmp(e->id, cl->lastid) <= 0)
		return;
	snprintf(cl->lastid, sizeof cl->lastid, "%s", e->id);
	cl->applied++;
	switch (e->kind) {
	case CLUSTER_JOIN:
		if (cluster_key_local(cl, e->member, &cid) &&
		    (p = cluster_pending_take(cl, cid)) != NULL) {
			cluster_welcome(cl, p, e);
			break;
		}
		cluster_fanout(cl, e->member, PROTO_JOINED, e->nick);
		break;
	case CLUSTER_LEAVE:
		if (e->text != NULL && e->textlen > 0)
			cluster_fanout(cl, e->member, "*** %s left (%.*s)",
			    e->nick, tl, e->text);
		else
			cluster_fanout(cl, e->member, PROTO_LEFT, e->nick);
		break;
	case CLUSTER_CHAT:
	case CLUSTER_ACTION:
		cluster_remember(cl, e);
		if (e->kind == CLUSTER_CHAT)
			cluster_fanout(cl, e->member, PROTO_CHAT, e->nick, tl,
			    e->text);
		else
			cluster_fanout(cl, e->member, PROTO_ACTION, e->nick, tl,
			    e->text);
		break;
	case CLUSTER_PM:
		if ((c = cluster_member_key(cl, e->to)) != NULL)
			room_sendf(r, c, PROTO_PM, e->nick, tl, e->text);
		break;
	case CLUSTER_NICK:
		if ((c = cluster_member_key(cl, e->member)) != NULL) {
			room_log(r, "client %u %s is now %s", c->id, c->nick,
			    e->nick);
			snprintf(c->nick, sizeof c->nick, "%s", e->nick);
		}
		room_broadcastf(r, NULL, PROTO_RENAMED, e->old, e->nick);
		break;
	default:
		break;
	}
}

void
cluster_remember(struct cluster *cl, const struct cluster_entry *e)
{
	char stack[1024], *line = stack;
	int n;

	if (cluster_id_cmp(e->id, cl->lastid) > 0)
		snprintf(cl->lastid, sizeof cl->lastid, "%s", e->id);
	if (e->kind != CLUSTER_CHAT && e->kind != CLUSTER_ACTION)
		return;
	n = snprintf(stack, sizeof stack, e->kind == CLUSTER_CHAT ?
	    PROTO_CHAT : PROTO_ACTION, e->nick, (int)e->textlen, e->text);
	if (n < 0)
		return;
	if ((size_t)n >= sizeof stack) {
		if ((line = malloc((size_t)n + 1)) == NULL)
			return;
		snprintf(line, (size_t)n + 1, e->kind == CLUSTER_CHAT ?
		    PROTO_CHAT : PROTO_ACTION, e->nick, (int)e->textlen,
		    e->text);
	}
	cluster_hist_add(cl, e->stamp, line, (size_t)n);
	if (line != stack)
		free(line);
}

void
cluster_tell(struct cluster *cl, unsigned cid, const char *line, size_t len)
{
	struct client *c;

	if ((c = cluster_member(cl, cid)) != NULL)
		room_send(cl->room, c, line, len);
}

void
cluster_refuse(struct cluster *cl, unsigned cid)
{
	struct cluster_pending *p;

	if ((p = cluster_pending_take(cl, cid)) == NULL)
		return;
	cluster_turn_away(cl, p->c, cluster_unavailable_later,
	    "room unavailable");
	buf_free(&p->held);
	free(p);
}

void
cluster_renamed(struct cluster *cl, unsigned cid, const char *nick)
{
	struct client *c;

	if ((c = cluster_member(cl, cid)) == NULL)
		return;
	room_sendf(cl->room, c, "*** %s was taken while the link was down: "
	    "you are now %s", c->nick, nick);
	room_log(cl->room, "client %u %s is now %s", c->id, c->nick, nick);
	snprintf(c->nick, sizeof c->nick, "%s", nick);
}

void
cluster_down(struct cluster *cl)
{
	struct cluster_pending *p;

	if (!cl->up)
		return;
	cl->up = false;
	room_broadcastf(cl->room, NULL,
	    "*** lost the link to the room, retrying");
	/* Joiners whose join cannot come back now are turned away. */
	while ((p = cl->pending) != NULL) {
		cl->pending = p->next;
		cluster_turn_away(cl, p->c, cluster_unavailable_later,
		    "room unavailable");
		buf_free(&p->held);
		free(p);
	}
}

void
cluster_up(struct cluster *cl, bool missed)
{
	if (cl->up)
		return;
	cl->up = true;
	room_broadcastf(cl->room, NULL, "*** link to the room restored");
	if (missed)
		room_broadcastf(cl->room, NULL, "*** some messages were "
		    "missed while the link was down");
}

void
cluster_gone_clear(struct cluster *cl)
{
	struct cluster_gone *g;

	while ((g = cl->gone) != NULL) {
		cl->gone = g->next;
		free(g->reason);
		free(g);
	}
}
