/* cluster: rooms served by several lobbyd: room events as stream entries. */
#include "cluster.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "cmdline.h"
#include "commands.h"
#include "proto.h"
#include "room.h"
#include "text.h"

static const char cluster_unavailable_send[] = PROTO_UNAVAILABLE_SEND;
static const char cluster_unavailable_later[] = PROTO_UNAVAILABLE_LATER;

/* ---------------------------------------------------------------------
 * Options: the room name (the Redis address is common/hostport's)
 * ------------------------------------------------------------------- */

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
cluster_init(struct cluster *cl, struct room *r, size_t max_line,
    const char *inst)
{
	memset(cl, 0, sizeof *cl);
	cl->room = r;
	cl->max_line = max_line;
	snprintf(cl->inst, sizeof cl->inst, "%s", inst);
	snprintf(cl->lastid, sizeof cl->lastid, "0-0");
	return 0;
}

void
cluster_free(struct cluster *cl)
{
	struct cluster_pending *p, *pnext;
	struct cluster_gone *g, *gnext;

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
	free(cl->clean);
	cl->pending = NULL;
	cl->gone = NULL;
	cl->clean = NULL;
	cl->cleancap = 0;
}

bool
cluster_backlogged(struct cluster *cl)
{
	size_t bytes = 0, replies = 0;

	if (cl->ops == NULL || cl->ops->backlog == NULL)
		return false;
	cl->ops->backlog(cl->io, &bytes, &replies);
	if (bytes >= CLUSTER_BACKLOG_BYTES ||
	    replies >= CLUSTER_BACKLOG_REPLIES)
		cl->backlogged = true;
	else if (bytes <= CLUSTER_BACKLOG_BYTES / 2 &&
	    replies <= CLUSTER_BACKLOG_REPLIES / 2)
		cl->backlogged = false;
	return cl->backlogged;
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

/* The server's first room (the landing room, when it has others). */
static struct room *
cluster_first_room(const struct cluster *cl)
{
	return cl->room->reg != NULL ? cl->room->reg->head : cl->room;
}

/* The room after r, or NULL. */
static struct room *
cluster_next_room(const struct cluster *cl, const struct room *r)
{
	return cl->room->reg != NULL ? r->rnext : NULL;
}

/* The member of room r with connection number cid, or NULL. */
static struct client *
cluster_member_in(const struct room *r, unsigned cid)
{
	struct client *c;

	for (c = room_first(r); c != NULL; c = room_next(c))
		if (c->id == cid)
			return c;
	return NULL;
}

/* The local member with connection number cid, in any room, or NULL. */
static struct client *
cluster_member(const struct cluster *cl, unsigned cid)
{
	struct room *r;
	struct client *c;

	for (r = cluster_first_room(cl); r != NULL;
	    r = cluster_next_room(cl, r))
		if ((c = cluster_member_in(r, cid)) != NULL)
			return c;
	return NULL;
}

const char *
cluster_nick_of(const struct cluster *cl, unsigned cid)
{
	const struct client *c = cluster_member(cl, cid);

	return c != NULL ? c->nick : "";
}

const char *
cluster_room_of(const struct cluster *cl, unsigned cid)
{
	const struct client *c = cluster_member(cl, cid);

	return c != NULL && c->room != NULL ? c->room->name : "";
}

/* The local member an entry's key names, in any room, or NULL. */
static struct client *
cluster_member_key(const struct cluster *cl, const char *key)
{
	unsigned cid;

	return cluster_key_local(cl, key, &cid) ? cluster_member(cl, cid) :
	    NULL;
}

/* The member of room r an entry's key names, or NULL. */
static struct client *
cluster_member_key_in(const struct cluster *cl, const struct room *r,
    const char *key)
{
	unsigned cid;

	return cluster_key_local(cl, key, &cid) ? cluster_member_in(r, cid) :
	    NULL;
}

char *
cluster_pos(struct cluster *cl, struct room *r)
{
	return r == NULL || r == cl->room ? cl->lastid : r->pos;
}

struct room *
cluster_next_read(const struct cluster *cl, const struct room *r)
{
	struct room *n = r == NULL ? cluster_first_room(cl) :
	    cluster_next_room(cl, r);

	while (n != NULL && n != cl->room && !n->reading)
		n = cluster_next_room(cl, n);
	return n;
}

/*
 * Stop reading room r once nobody here is in it or on the way: the
 * landing room is read always (every newcomer arrives there).
 */
static void
cluster_check_read(struct cluster *cl, struct room *r)
{
	if (r == NULL || r == cl->room || !r->reading || r->count > 0 ||
	    r->waiting > 0)
		return;
	r->reading = false;
	rooms_update(r);	/* it may be forgotten now */
	cl->reread = true;
	room_log(r, "redis: no longer reading room %s", r->name);
}

/* ---------------------------------------------------------------------
 * Entries are untrusted input
 * ------------------------------------------------------------------- */

/*
 * Check entry e as a member's line is checked: no field read as a C
 * string (all but the text) may hold a NUL byte, its nicks by the nick
 * rule, its text cleaned (text_clean()) into cl->clean, *lenp bytes, and
 * held to --max-line as a member's line is: counted before cleaning.
 * The text a member's line gave is stored cleaned, up to three times as
 * long (each ill-formed byte a U+FFFD), so what counts is the shortest
 * line that could have given it (text_clean_source_min()); longer than
 * any cleaned line can be, it is not cleaned at all. Returns true, or
 * false after one log line: the entry is dropped, and nobody sees
 * anything of it.
 */
static bool
cluster_entry_ok(struct cluster *cl, const struct cluster_entry *e,
    size_t *lenp)
{
	const char *why = NULL;
	char nul[40];
	size_t need;
	char *p;

	*lenp = 0;
	if (e->nul != '\0') {
		/* No nick, key, account, address, room or number holds one:
		 * checked up to the NUL, it would pass as another. */
		snprintf(nul, sizeof nul, "its field %c holds a NUL byte",
		    e->nul);
		why = nul;
	} else if (e->nick == NULL ||
	    !proto_nick_valid(e->nick, strlen(e->nick)))
		why = "its nick breaks the nick rule";
	else if (e->old != NULL && !proto_nick_valid(e->old, strlen(e->old)))
		why = "its old nick breaks the nick rule";
	else if (e->textlen > TEXT_CLEAN_MAX(cl->max_line))
		why = "its text is over --max-line";
	else if (e->kind == CLUSTER_GO && (e->textlen == 0 ||
	    !proto_room_valid(e->text, e->textlen)))
		why = "its room name is not valid";
	else if (e->textlen > 0 && (memchr(e->text, '\n', e->textlen) !=
	    NULL || memchr(e->text, '\r', e->textlen) != NULL))
		why = "its text holds a line break";
	else if (e->textlen > 0) {
		need = TEXT_CLEAN_MAX(e->textlen) + 1;
		if (need > cl->cleancap) {
			if ((p = realloc(cl->clean, need)) == NULL)
				why = "out of memory";
			else {
				cl->clean = p;
				cl->cleancap = need;
			}
		}
		if (why == NULL) {
			*lenp = text_clean(e->text, e->textlen, cl->clean);
			cl->clean[*lenp] = '\0';
			if (text_clean_source_min(cl->clean, *lenp) >
			    cl->max_line)
				why = "its text is over --max-line";
			else if (e->kind == CLUSTER_TOPIC &&
			    *lenp > PROTO_TOPIC_MAX)
				why = "its topic is too long";
			else if ((e->kind == CLUSTER_CHAT ||
			    e->kind == CLUSTER_ACTION ||
			    e->kind == CLUSTER_PM ||
			    e->kind == CLUSTER_TOPIC) &&
			    text_is_blank(cl->clean, *lenp))
				why = "its text is blank once cleaned";
		}
	} else if (e->kind == CLUSTER_CHAT || e->kind == CLUSTER_ACTION ||
	    e->kind == CLUSTER_PM || e->kind == CLUSTER_TOPIC)
		why = "its text is empty";
	if (why == NULL)
		return true;
	cl->dropped++;
	room_log(cl->room, "redis: dropped stream entry %s: %s", e->id, why);
	return false;
}

/*
 * Put a chat or /me line of e (text: its clean text) in the room log, as
 * history stamped with the time Redis took it, for every local member but
 * from (may be NULL).
 */
static void
cluster_chat(struct cluster *cl, struct room *r, struct client *from,
    const struct cluster_entry *e, const char *text, size_t len)
{
	char stack[1024], *line = stack;
	const char *fmt = e->kind == CLUSTER_CHAT ? PROTO_CHAT : PROTO_ACTION;
	int n;

	n = snprintf(stack, sizeof stack, fmt, e->nick, (int)len, text);
	if (n < 0)
		return;
	if ((size_t)n >= sizeof stack) {
		if ((line = malloc((size_t)n + 1)) == NULL) {
			room_log(cl->room, "out of memory: a line was not "
			    "relayed");
			return;
		}
		snprintf(line, (size_t)n + 1, fmt, e->nick, (int)len, text);
	}
	room_chat_at(r, from, strlen(e->stamp) == RLOG_STAMP ?
	    e->stamp : NULL, line, (size_t)n);
	if (line != stack)
		free(line);
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

/*
 * The pending record of connection number cid, unlinked; or NULL. With
 * r, only one on its way into r (a newcomer: into the landing room), not
 * an asker.
 */
static struct cluster_pending *
cluster_pending_take(struct cluster *cl, unsigned cid, const struct room *r)
{
	struct cluster_pending **pp, *p;

	for (pp = &cl->pending; *pp != NULL; pp = &(*pp)->next) {
		p = *pp;
		if (p->c->id != cid)
			continue;
		if (r != NULL && (p->asking || p->arrived || (p->from == NULL ?
		    r != cl->room : strcasecmp(p->name, r->name) != 0)))
			return NULL;
		*pp = p->next;
		return p;
	}
	return NULL;
}

/* p is done with (unlinked): free it, and the room it was going to may
 * stop being read. */
static void
cluster_pending_free(struct cluster *cl, struct cluster_pending *p)
{
	struct room *to = p->to;

	buf_free(&p->held);
	free(p);
	if (to != NULL) {
		to->waiting--;
		rooms_update(to);
		cluster_check_read(cl, to);
	}
}

/*
 * Run the lines p's connection sent while it waited. One of them may
 * be a /register or /login whose password goes to be hashed: the rest
 * wait for that answer as lines read from the socket do, in front of
 * c's own held lines (client_held_front()).
 */
static void
cluster_run_held(struct cluster_pending *p, struct room *r)
{
	struct client *c = p->c;
	const char *s = (const char *)buf_peek(&p->held);
	size_t left = buf_used(&p->held), n;

	if (p->dropped)
		room_sendf(r, c, PROTO_HELD_DROPPED, CLUSTER_HOLD_MAX);
	while (left > 0 && !(c->flags & CLIENT_CLOSING)) {
		n = strlen(s);
		commands_input(r, c, s, n);
		s += n + 1;
		left -= n + 1;
		if ((c->flags & CLIENT_HASHING) && left > 0) {
			/* As when its socket's lines find no room. */
			if (client_held_front(c, s, left) == -1)
				room_leave(c->room, c, PROTO_REASON_ERROR,
				    "out of memory");
			break;
		}
	}
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
	p->to = cl->room;
	cl->room->waiting++;
	rooms_update(cl->room);
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
 * A joiner leaves before its welcome, or a mover or an asker with lines
 * held: what it said meanwhile is still published (its chat and /me
 * lines, in order, behind its join, as commands_says() reads them on
 * one server too: a /me with nothing to say is not), but by a muted
 * member, then its leave. Other commands had no one left to answer.
 */
static void
cluster_leave_pending(struct cluster *cl, struct cluster_pending *p,
    const char *reason, const char *why)
{
	struct client *c = p->c;
	const char *s = (const char *)buf_peek(&p->held), *said;
	size_t left = buf_used(&p->held), n, slen;
	enum room_say kind;
	struct cmdline line;

	if (left > 0 && (c->flags & CLIENT_JOINED) &&
	    !accounts_say_ok(cl->room->accounts, c->room, c))
		left = 0;
	while (cl->up && left > 0) {
		n = strlen(s);
		cmdline_split(s, n, &line);
		if (commands_says(&line, &kind, &said, &slen))
			(void)cl->ops->say(cl->io, c->id,
			    kind == ROOM_SAY_ACTION ? CLUSTER_ACTION :
			    CLUSTER_CHAT, said, slen);
		s += n + 1;
		left -= n + 1;
	}
	cluster_publish_leave(cl, c->id, reason);
	c->flags &= ~(CLIENT_WAITING | CLIENT_ASKING);
	if (p->from != NULL && (c->flags & CLIENT_JOINED)) {
		/* A member: it leaves from wherever Redis has it. */
		struct room *in = c->room;

		room_unlink(in, c, why);
		cluster_check_read(cl, in);
	} else {
		room_log(cl->room, "client %u from %s left before joining "
		    "(%s)", c->id, c->addr, why);
		room_drop(cl->room, c, why);
	}
	cluster_pending_free(cl, p);
}

void
cluster_leave(struct cluster *cl, struct client *c, const char *reason,
    const char *why)
{
	struct cluster_pending **pp, *p;
	struct room *r;

	if ((pp = cluster_pending_link(cl, c)) != NULL) {
		p = *pp;
		*pp = p->next;
		cluster_leave_pending(cl, p, reason, why);
		return;
	}
	if (!(c->flags & CLIENT_JOINED))
		return;
	r = c->room;
	room_unlink(r, c, why);
	cluster_publish_leave(cl, c->id, reason);
	cluster_check_read(cl, r);
}

bool
cluster_hold(struct cluster *cl, struct client *c, const char *text,
    size_t len)
{
	struct cluster_pending **pp;

	if (!(c->flags & (CLIENT_WAITING | CLIENT_ASKING)) ||
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

/* p, zeroed, becomes c's asking record: c waits for its answer. */
static void
cluster_asking(struct cluster *cl, struct client *c, bool entry,
    struct cluster_pending *p)
{
	p->c = c;
	p->from = c->room;
	p->asking = true;
	p->entry = entry;
	p->next = cl->pending;
	cl->pending = p;
	c->flags |= CLIENT_ASKING;
}

/*
 * c's command is out, answered through Redis: c waits, its later lines
 * held, until the answer is there (cluster_answered()); a local answer
 * to a later command must not overtake it. entry: the answer is also an
 * entry of its own read back, which may come before Redis's reply or
 * after it. A chat line or /me is not waited for: it has no answer but
 * a refusal, and a run of them must not wait on Redis line by line.
 * Returns c's record, or NULL (out of memory: its lines are not held).
 */
static struct cluster_pending *
cluster_ask(struct cluster *cl, struct client *c, bool entry)
{
	struct cluster_pending *p;

	if ((p = calloc(1, sizeof *p)) == NULL) {
		room_log(c->room, "out of memory: client %u's next lines are "
		    "not held for its answer", c->id);
		return NULL;
	}
	cluster_asking(cl, c, entry, p);
	return p;
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
	/* A word no nick can be is nobody, as on one server: Redis has
	 * nothing to say about it, up or down. */
	if (!proto_nick_valid(to, tolen)) {
		room_sendf(cl->room, c, PROTO_NOUSER, (int)tolen, to);
		return;
	}
	if (!cl->up ||
	    cl->ops->msg(cl->io, c->id, to, tolen, text, len) == -1)
		room_sendf(cl->room, c, "%s", cluster_unavailable_send);
	else
		cluster_ask(cl, c, false);
}

/*
 * The member here other than c that is called nick[0..len) (any case),
 * or NULL. Here, a member is called by its nick until its own entry says
 * otherwise: Redis may have let the nick go already (a rename, in its
 * room's stream, on its way), and given it to another, whose entry, in
 * another room's stream, may be read first.
 */
static struct client *
cluster_nick_holder(const struct cluster *cl, const struct client *c,
    const char *nick, size_t len)
{
	struct client *h = room_find_any(cl->room, nick, len);

	return h != c ? h : NULL;
}

/* The member here other than c with a claim of nick[0..len) out, or NULL. */
static struct client *
cluster_nick_claimer(const struct cluster *cl, const struct client *c,
    const char *nick, size_t len)
{
	const struct cluster_pending *p;

	for (p = cl->pending; p != NULL; p = p->next)
		if (p->asking && p->c != c && strlen(p->nick) == len &&
		    strncasecmp(p->nick, nick, len) == 0)
			return p->c;
	return NULL;
}

void
cluster_nick(struct cluster *cl, struct client *c, const char *nick,
    size_t len)
{
	struct cluster_pending *p;
	bool login;

	/* The claim that follows c's login act: its holder here goes. */
	login = cl->login == c->id && strlen(cl->login_nick) == len &&
	    strncasecmp(cl->login_nick, nick, len) == 0;
	cl->login = 0;
	if (!cl->up) {
		room_sendf(cl->room, c, "%s", cluster_unavailable_send);
		return;
	}
	if ((!login && cluster_nick_holder(cl, c, nick, len) != NULL) ||
	    cluster_nick_claimer(cl, c, nick, len) != NULL) {
		room_sendf(cl->room, c, PROTO_TAKEN, (int)len, nick);
		return;
	}
	if (cl->ops->nick(cl->io, c->id, nick, len) == -1)
		room_sendf(cl->room, c, "%s", cluster_unavailable_send);
	else if ((p = cluster_ask(cl, c, true)) != NULL) {
		memcpy(p->nick, nick, len);
		p->nick[len] = '\0';
	}
}

void
cluster_who(struct cluster *cl, struct client *c)
{
	if (!cl->up || cl->ops->who(cl->io, c->id) == -1)
		room_sendf(cl->room, c, "%s", cluster_unavailable_later);
	else
		cluster_ask(cl, c, false);
}

/* The entry kind of an act. */
static int
cluster_act_kind(enum acct_act_kind k)
{
	switch (k) {
	case ACCT_ACT_KICK:
		return CLUSTER_KICK;
	case ACCT_ACT_BAN:
		return CLUSTER_BAN;
	case ACCT_ACT_BAN_ADDR:
		return CLUSTER_BANADDR;
	case ACCT_ACT_MUTE:
		return CLUSTER_MUTE;
	case ACCT_ACT_UNMUTE:
		return CLUSTER_UNMUTE;
	case ACCT_ACT_LOGIN:
		break;
	}
	return CLUSTER_LOGIN;
}

int
cluster_act(struct cluster *cl, struct client *c, const struct acct_act *a)
{
	struct cluster_pending *p = NULL;

	if (!cl->up || cl->ops->act == NULL)
		return -1;
	/* A login is done once Redis has taken its act: c waits for the
	 * answer, as for a command's. Without memory to wait, not done. */
	if (a->kind == ACCT_ACT_LOGIN && (p = calloc(1, sizeof *p)) == NULL) {
		room_log(cl->room, "out of memory: client %u's login cannot "
		    "wait for its act", c->id);
		return -1;
	}
	if (cl->ops->act(cl->io, c->id, cluster_act_kind(a->kind), a) == -1) {
		free(p);
		return -1;
	}
	if (p != NULL) {
		cluster_asking(cl, c, false, p);
		p->login = true;
		snprintf(p->nick, sizeof p->nick, "%s", a->target);
	}
	return 0;
}

bool
cluster_linked(const struct cluster *cl)
{
	return cl->up;
}

/* ---------------------------------------------------------------------
 * The I/O side's: applying what the stream says
 * ------------------------------------------------------------------- */

/*
 * Entry e would give a member here the nick member h here holds: it is
 * dropped (counted and logged); the caller does nothing more with it.
 */
static void
cluster_held_elsewhere(struct cluster *cl, const struct cluster_entry *e,
    const struct client *h)
{
	cl->dropped++;
	cl->applied--;
	room_log(cl->room, "redis: dropped stream entry %s: its nick %s is "
	    "client %u's here", e->id, e->nick, h->id);
}

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
	struct client *c = p->c, *h;

	if ((h = cluster_nick_holder(cl, c, e->nick,
	    strlen(e->nick))) != NULL) {
		/* Another's here: it goes, and Redis frees what it holds. */
		cluster_held_elsewhere(cl, e, h);
		cluster_publish_leave(cl, c->id, NULL);
		cluster_turn_away(cl, c, cluster_unavailable_later,
		    "its nick is another member's here");
		cluster_pending_free(cl, p);
		return;
	}
	c->flags &= ~CLIENT_WAITING;
	snprintf(c->nick, sizeof c->nick, "%s", e->nick);
	room_link(r, c);
	room_sendf(r, c, PROTO_WELCOME, c->nick, (size_t)e->count);
	room_motd(r, c);
	room_history(r, c);
	room_broadcastf(r, c, PROTO_JOINED, c->nick);
	cluster_run_held(p, r);
	cluster_pending_free(cl, p);
}

/* A mover's move is done, there and answered, or an asker's command is
 * (p unlinked): its held lines run. */
static void
cluster_moved(struct cluster *cl, struct cluster_pending *p)
{
	struct client *c = p->c;

	c->flags &= ~(CLIENT_WAITING | CLIENT_ASKING);
	if (c->flags & CLIENT_JOINED)
		cluster_run_held(p, c->room);
	cluster_pending_free(cl, p);
}

/*
 * A mover's own join entry came back in room r's stream (p unlinked): it
 * goes there at that point of the stream (the seam, as for a newcomer),
 * gets where it is, the topic and r's history. The lines it sent
 * meanwhile run once the move's answer has come too (it may come after
 * the entry): one move in flight per member, so each answer is its
 * move's.
 */
static void
cluster_arrive(struct cluster *cl, struct cluster_pending *p, struct room *r,
    const struct cluster_entry *e)
{
	struct client *c = p->c;
	struct room *from = p->from;

	if (c->flags & CLIENT_JOINED) {
		room_enter(c->room, c, r, (size_t)e->count);
		room_broadcastf(r, c, PROTO_JOINED, c->nick);
	}
	p->arrived = true;
	if (p->answered)
		cluster_moved(cl, p);
	else {
		p->next = cl->pending;
		cl->pending = p;
	}
	cluster_check_read(cl, from);
}

/* Deliver a line to every local member of r but the one key names. */
static void
cluster_fanout(struct cluster *cl, struct room *r, const char *key,
    const char *fmt, ...) __attribute__((format(printf, 4, 5)));

static void
cluster_fanout(struct cluster *cl, struct room *r, const char *key,
    const char *fmt, ...)
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
	room_broadcast(r, cluster_member_key_in(cl, r, key), line, (size_t)n);
	if (line != stack)
		free(line);
}

/* Room r's topic is now text (NULL: none). Returns 0, or -1. */
static int
cluster_set_topic(struct room *r, const char *text)
{
	char *t = NULL;

	if (text != NULL && text[0] != '\0' && (t = strdup(text)) == NULL)
		return -1;
	free(r->topic);
	r->topic = t;
	rooms_update(r);
	return 0;
}

/*
 * An act's entry e (its reason cleaned in cl->clean, n bytes): every
 * instance applies it to its own members (accounts_apply()), which
 * checks it as untrusted input. Returns false when it was refused.
 */
static bool
cluster_act_apply(struct cluster *cl, struct room *r,
    const struct cluster_entry *e, size_t n)
{
	struct acct_act a;
	struct room *shown = r;
	const char *why = NULL;

	memset(&a, 0, sizeof a);
	switch (e->kind) {
	case CLUSTER_KICK:
		a.kind = ACCT_ACT_KICK;
		break;
	case CLUSTER_BAN:
		a.kind = ACCT_ACT_BAN;
		break;
	case CLUSTER_BANADDR:
		a.kind = ACCT_ACT_BAN_ADDR;
		break;
	case CLUSTER_MUTE:
		a.kind = ACCT_ACT_MUTE;
		break;
	case CLUSTER_UNMUTE:
		a.kind = ACCT_ACT_UNMUTE;
		break;
	default:
		a.kind = ACCT_ACT_LOGIN;
		break;
	}
	a.by = a.kind == ACCT_ACT_LOGIN ? "" : e->nick;
	a.by_acct = e->who != NULL ? e->who : "";
	a.target = a.kind == ACCT_ACT_LOGIN ? e->nick :
	    a.kind == ACCT_ACT_BAN_ADDR ? e->addr : e->old;
	a.reason = n > 0 ? cl->clean : "";
	a.rlen = n;
	a.minutes = e->count > ACCT_MINUTES_MAX ? -1 : (long)e->count;
	a.held = e->to != NULL && e->to[0] != '\0';
	/*
	 * Its notices go to the target's room as this instance has it: a
	 * room it has not (nobody here is in it) shows them to nobody here,
	 * and is not made for that. Without a room named: the stream's.
	 */
	if (e->place != NULL) {
		size_t plen = strlen(e->place);

		if (!proto_room_valid(e->place, plen))
			why = "its room name is not one";
		else if (r->reg != NULL)
			shown = rooms_find(r->reg, e->place, plen);
		else if (strcasecmp(r->name, e->place) != 0)
			shown = NULL;
	}
	if (why == NULL && a.target == NULL)
		why = "it names no target";
	if (why == NULL)
		why = accounts_apply(r->accounts, r, shown, &a,
		    cluster_member_key(cl, e->to),
		    cluster_member_key(cl, e->member));
	if (why == NULL)
		return true;
	cl->dropped++;
	room_log(r, "redis: dropped stream entry %s: %s", e->id, why);
	return false;
}

/* The link to the asking record of local member cid, or NULL. */
static struct cluster_pending **
cluster_asking_link(struct cluster *cl, unsigned cid)
{
	struct cluster_pending **pp;

	for (pp = &cl->pending; *pp != NULL; pp = &(*pp)->next)
		if ((*pp)->asking && (*pp)->c->id == cid)
			return pp;
	return NULL;
}

/*
 * Local member cid's command was answered (done: Redis did it): its held
 * lines run, but for a command done whose entry has not come yet.
 */
static void
cluster_answered(struct cluster *cl, unsigned cid, bool done)
{
	struct cluster_pending **pp, *p;

	if ((pp = cluster_asking_link(cl, cid)) == NULL)
		return;
	p = *pp;
	if (done && p->entry && !p->arrived) {
		p->answered = true;
		return;
	}
	*pp = p->next;
	cluster_moved(cl, p);
}

/*
 * Entry e (applied, or dropped) may be the one a local member's /nick or
 * /topic waits for: its held lines run once Redis's reply came too.
 */
static void
cluster_entry_came(struct cluster *cl, const struct cluster_entry *e)
{
	struct cluster_pending **pp, *p;
	unsigned cid;

	if ((e->kind != CLUSTER_NICK && e->kind != CLUSTER_TOPIC) ||
	    !cluster_key_local(cl, e->member, &cid) ||
	    (pp = cluster_asking_link(cl, cid)) == NULL || !(*pp)->entry)
		return;
	p = *pp;
	if (!p->answered) {
		p->arrived = true;
		return;
	}
	*pp = p->next;
	cluster_moved(cl, p);
}

void
cluster_apply(struct cluster *cl, const struct cluster_entry *e)
{
	struct room *r = e->room != NULL ? e->room : cl->room;
	char *pos = cluster_pos(cl, r);
	struct cluster_pending *p;
	struct client *c, *h;
	unsigned cid;
	size_t n;
	int tl;

	if (cluster_id_cmp(e->id, pos) <= 0)
		return;
	snprintf(pos, ROOM_POS_MAX, "%s", e->id);
	if (!cluster_entry_ok(cl, e, &n)) {
		cluster_entry_came(cl, e);
		return;
	}
	cl->applied++;
	tl = (int)n;
	switch (e->kind) {
	case CLUSTER_JOIN:
		if (cluster_key_local(cl, e->member, &cid) &&
		    (p = cluster_pending_take(cl, cid, r)) != NULL) {
			if (p->from == NULL)
				cluster_welcome(cl, p, e);
			else
				cluster_arrive(cl, p, r, e);
			break;
		}
		/* Registered again after the others took it out: it never
		 * left here, so nobody here sees it come back (but a new
		 * nick, if its own was taken meanwhile). */
		if ((c = cluster_member_key(cl, e->member)) != NULL) {
			cluster_renamed(cl, c->id, e->nick);
			break;
		}
		cluster_fanout(cl, r, e->member, PROTO_JOINED, e->nick);
		break;
	case CLUSTER_LEAVE:
		/*
		 * Taken out while it is here (its instance, this one, was
		 * paused or cut off past its heartbeat): nobody here is told
		 * that it or a neighbour left; it is registered again.
		 */
		if ((c = cluster_member_key(cl, e->member)) != NULL) {
			room_log(r, "redis: client %u %s was taken out of the "
			    "room while here: registering it again", c->id,
			    c->nick);
			cl->relink = true;
			break;
		}
		if (n > 0 && !text_is_blank(cl->clean, n))
			cluster_fanout(cl, r, e->member, PROTO_LEFT_REASON,
			    e->nick, cl->clean);
		else
			cluster_fanout(cl, r, e->member, PROTO_LEFT, e->nick);
		break;
	case CLUSTER_GO:
		cluster_fanout(cl, r, e->member, PROTO_WENT, e->nick,
		    cl->clean);
		break;
	case CLUSTER_TOPIC:
		if (cluster_set_topic(r, cl->clean) == -1) {
			room_log(r, "out of memory: a topic was not set");
			break;
		}
		room_log(r, "%s set the topic of %s", e->nick, r->name);
		room_broadcastf(r, NULL, PROTO_TOPIC_SET, e->nick, r->topic);
		/* Not held for the one who set it, if it is here. */
		if ((c = cluster_member_key_in(cl, r, e->member)) != NULL)
			room_wake(r, c);
		break;
	case CLUSTER_CHAT:
	case CLUSTER_ACTION:
		cluster_chat(cl, r, cluster_member_key_in(cl, r, e->member), e,
		    cl->clean, n);
		break;
	case CLUSTER_PM:
		if ((c = cluster_member_key(cl, e->to)) != NULL)
			room_sendf(c->room, c, PROTO_PM, e->nick, tl,
			    cl->clean);
		break;
	case CLUSTER_NICK:
		if ((c = cluster_member_key(cl, e->member)) != NULL &&
		    (h = cluster_nick_holder(cl, c, e->nick,
		    strlen(e->nick))) != NULL) {
			cluster_held_elsewhere(cl, e, h);
			break;
		}
		if (c != NULL) {
			room_log(r, "client %u %s is now %s", c->id, c->nick,
			    e->nick);
			room_set_nick(r, c, e->nick, strlen(e->nick));
		}
		room_broadcastf(r, NULL, PROTO_RENAMED, e->old, e->nick);
		if (c != NULL)
			room_wake(r, c);
		break;
	case CLUSTER_KICK:
	case CLUSTER_BAN:
	case CLUSTER_BANADDR:
	case CLUSTER_MUTE:
	case CLUSTER_UNMUTE:
	case CLUSTER_LOGIN:
		if (!cluster_act_apply(cl, r, e, n))
			cl->applied--;
		break;
	default:
		break;
	}
	cluster_entry_came(cl, e);
}

void
cluster_remember(struct cluster *cl, const struct cluster_entry *e)
{
	struct room *r = e->room != NULL ? e->room : cl->room;
	char *pos = cluster_pos(cl, r);
	size_t n;

	if (cluster_id_cmp(e->id, pos) > 0)
		snprintf(pos, ROOM_POS_MAX, "%s", e->id);
	if (e->kind != CLUSTER_CHAT && e->kind != CLUSTER_ACTION)
		return;
	if (cluster_entry_ok(cl, e, &n))
		cluster_chat(cl, r, NULL, e, cl->clean, n);
}

void
cluster_status(struct cluster *cl, unsigned cid, enum cluster_status st,
    const char *detail)
{
	struct client *c;
	size_t len;

	if (st == CLUSTER_OK || (c = cluster_member(cl, cid)) == NULL)
		return;
	len = detail != NULL ? strlen(detail) : 0;
	/* The detail is what the member asked for, echoed: checked again. */
	if ((st == CLUSTER_TAKEN && proto_nick_valid(detail, len)))
		room_sendf(cl->room, c, PROTO_TAKEN, (int)len, detail);
	else if (st == CLUSTER_NOUSER && len > 0 &&
	    len <= PROTO_MAX_LINE && memchr(detail, '\n', len) == NULL &&
	    memchr(detail, '\r', len) == NULL) {
		/* Cleaned as the member's own line was. */
		char clean[TEXT_CLEAN_MAX(PROTO_MAX_LINE)];

		len = text_clean(detail, len, clean);
		room_sendf(cl->room, c, PROTO_NOUSER, (int)len, clean);
	} else if (st == CLUSTER_UNKNOWN)
		room_sendf(cl->room, c, "%s", PROTO_LINK_UNKNOWN);
	else if (st == CLUSTER_RECOVERING)
		room_sendf(cl->room, c, "%s", cluster_unavailable_later);
	else
		room_sendf(cl->room, c, "%s", cluster_unavailable_send);
}

/*
 * The answer to local member cid's login act (*pp, its asking record):
 * the accounts do the login, or refuse it, and its held lines run (held
 * again behind the claim of the account's nick that may follow).
 */
static void
cluster_login_answered(struct cluster *cl, struct cluster_pending **pp,
    enum cluster_status st)
{
	struct cluster_pending *p = *pp;
	struct client *c = p->c;
	const char *why = NULL;

	*pp = p->next;
	c->flags &= ~CLIENT_ASKING;
	if (st == CLUSTER_UNKNOWN)
		why = "the link was lost before its act's answer";
	else if (st != CLUSTER_OK)
		why = "Redis refused its act";
	else {
		cl->login = c->id;
		snprintf(cl->login_nick, sizeof cl->login_nick, "%s",
		    p->nick);
	}
	if (c->flags & CLIENT_JOINED)
		accounts_login_answered(cl->room->accounts, cl->room, c,
		    p->nick, why);
	cl->login = 0;
	if (c->flags & CLIENT_JOINED)
		cluster_run_held(p, c->room);
	cluster_pending_free(cl, p);
}

void
cluster_answer(struct cluster *cl, unsigned cid, enum cluster_status st,
    const char *detail)
{
	struct cluster_pending **pp = cluster_asking_link(cl, cid);

	if (pp != NULL && (*pp)->login) {
		cluster_login_answered(cl, pp, st);
		return;
	}
	cluster_status(cl, cid, st, detail);
	cluster_answered(cl, cid, st == CLUSTER_OK);
}

void
cluster_who_reply(struct cluster *cl, unsigned cid, const char *const *nicks,
    size_t n)
{
	struct client *c;

	if ((c = cluster_member(cl, cid)) == NULL)
		return;
	if (nicks == NULL)
		room_sendf(cl->room, c, "%s", cluster_unavailable_later);
	else
		room_who_reply(cl->room, c, nicks, n);
	cluster_answered(cl, cid, false);
}

void
cluster_refuse(struct cluster *cl, unsigned cid)
{
	struct cluster_pending *p;

	if ((p = cluster_pending_take(cl, cid, cl->room)) == NULL)
		return;
	cluster_turn_away(cl, p->c, cluster_unavailable_later,
	    "room unavailable");
	cluster_pending_free(cl, p);
}

void
cluster_renamed(struct cluster *cl, unsigned cid, const char *nick)
{
	struct client *c, *h;

	/* Told once: by the answer or by the entry, whichever is first. */
	if ((c = cluster_member(cl, cid)) == NULL ||
	    strcmp(c->nick, nick) == 0 || !proto_nick_valid(nick,
	    strlen(nick)))
		return;
	if ((h = cluster_nick_holder(cl, c, nick, strlen(nick))) != NULL) {
		room_log(cl->room, "redis: client %u %s not renamed %s: "
		    "client %u here is called so", c->id, c->nick, nick, h->id);
		return;
	}
	room_sendf(cl->room, c, PROTO_RENAMED_LINK, c->nick, nick);
	room_broadcastf(c->room, c, PROTO_RENAMED, c->nick, nick);
	room_log(cl->room, "client %u %s is now %s", c->id, c->nick, nick);
	room_set_nick(cl->room, c, nick, strlen(nick));
}

void
cluster_down(struct cluster *cl)
{
	struct cluster_pending **pp, *p;
	struct room *r;

	if (!cl->up)
		return;
	cl->up = false;
	for (r = cluster_first_room(cl); r != NULL; r = cluster_next_room(cl, r))
		room_broadcastf(r, NULL, PROTO_LINK_LOST);
	/*
	 * Joiners whose join cannot come back now are turned away; movers
	 * stay where they are (on its return, the link puts them there in
	 * Redis too, had their move been made). An asker waits on for its
	 * answer, which comes all the same (as unknown, when the link goes
	 * with it); one answered waits no longer for its entry, read when
	 * the link is back.
	 */
	pp = &cl->pending;
	while ((p = *pp) != NULL) {
		if (p->asking && !p->answered) {
			pp = &p->next;
			continue;
		}
		*pp = p->next;
		if (p->from == NULL) {
			cluster_turn_away(cl, p->c, cluster_unavailable_later,
			    "room unavailable");
			cluster_pending_free(cl, p);
			continue;
		}
		/* Moved here already (its answer lost): the move is done. */
		if (!p->asking && !p->arrived && (p->c->flags & CLIENT_JOINED))
			room_sendf(p->c->room, p->c, "%s",
			    cluster_unavailable_later);
		cluster_moved(cl, p);
	}
}

void
cluster_up(struct cluster *cl, bool missed)
{
	struct room *r;

	if (cl->up)
		return;
	cl->up = true;
	for (r = cluster_first_room(cl); r != NULL;
	    r = cluster_next_room(cl, r)) {
		room_broadcastf(r, NULL, PROTO_LINK_BACK);
		if (missed)
			room_broadcastf(r, NULL, PROTO_LINK_MISSED);
	}
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

/* ---------------------------------------------------------------------
 * The room backend
 * ------------------------------------------------------------------- */

static void
cluster_be_join(void *be, struct client *c)
{
	cluster_join(be, c);
}

static void
cluster_be_leave(void *be, struct client *c, const char *reason,
    const char *why)
{
	cluster_leave(be, c, reason, why);
}

static bool
cluster_be_hold(void *be, struct client *c, const char *text, size_t len)
{
	return cluster_hold(be, c, text, len);
}

static void
cluster_be_say(void *be, struct client *c, enum room_say kind,
    const char *text, size_t len)
{
	cluster_say(be, c, kind == ROOM_SAY_ACTION ? CLUSTER_ACTION :
	    CLUSTER_CHAT, text, len);
}

static void
cluster_be_msg(void *be, struct client *c, const char *to, size_t tolen,
    const char *text, size_t len)
{
	cluster_msg(be, c, to, tolen, text, len);
}

static void
cluster_be_nick(void *be, struct client *c, const char *nick, size_t len)
{
	cluster_nick(be, c, nick, len);
}

static void
cluster_be_who(void *be, struct client *c)
{
	cluster_who(be, c);
}

/*
 * c goes to the room called name: it stays where it is, its lines held,
 * until its join entry comes back in that room's stream (the seam, as for
 * a newcomer). When this instance does not read that room yet, the answer
 * brings the room's history and where to read it from.
 */
void
cluster_go(struct cluster *cl, struct client *c, const char *name,
    size_t len)
{
	struct cluster_pending *p;
	struct room *to = NULL;

	if (cl->room->reg == NULL) {
		room_sendf(c->room, c, PROTO_TOO_MANY_ROOMS);
		return;
	}
	if (!cl->up || len > CLUSTER_ROOM_MAX) {
		room_sendf(c->room, c, "%s", cluster_unavailable_later);
		return;
	}
	if ((p = calloc(1, sizeof *p)) == NULL) {
		room_log(c->room, "out of memory: a /join was not run");
		return;
	}
	if ((to = rooms_find(cl->room->reg, name, len)) != NULL &&
	    to != cl->room && !to->reading)
		to = NULL;
	if (cl->ops->go(cl->io, c->id, name, len, to != NULL ? 0 :
	    cl->room->reg->history) == -1) {
		free(p);
		room_sendf(c->room, c, "%s", cluster_unavailable_later);
		return;
	}
	p->c = c;
	p->from = c->room;
	memcpy(p->name, name, len);
	p->name[len] = '\0';
	if ((p->to = to) != NULL) {
		to->waiting++;
		rooms_update(to);
	}
	p->next = cl->pending;
	cl->pending = p;
	c->flags |= CLIENT_WAITING;
}

/* The pending move of connection number cid, or NULL. */
static struct cluster_pending *
cluster_pending_move(struct cluster *cl, unsigned cid)
{
	struct cluster_pending *p;

	for (p = cl->pending; p != NULL; p = p->next)
		if (p->c->id == cid && p->from != NULL && !p->asking)
			return p;
	return NULL;
}

/*
 * Room r's topic is topic, as Redis holds it: untrusted, as any text
 * from Redis, so checked and cleaned as a member's /topic is (at most
 * PROTO_TOPIC_MAX bytes once cleaned, from a line within --max-line);
 * one that fails is dropped with a log line ("" or blank: no topic).
 */
static void
cluster_keep_topic(struct cluster *cl, struct room *r, const char *topic)
{
	size_t len = strlen(topic);
	char *clean;

	if (len > TEXT_CLEAN_MAX(cl->max_line) ||
	    memchr(topic, '\n', len) != NULL ||
	    memchr(topic, '\r', len) != NULL)
		goto drop;
	if ((clean = malloc(TEXT_CLEAN_MAX(len) + 1)) == NULL) {
		room_log(r, "out of memory: a topic was not kept");
		return;
	}
	len = text_clean(topic, len, clean);
	clean[len] = '\0';
	if (len > PROTO_TOPIC_MAX ||
	    text_clean_source_min(clean, len) > cl->max_line) {
		free(clean);
		goto drop;
	}
	if (text_is_blank(clean, len))
		clean[0] = '\0';
	if (cluster_set_topic(r, clean) == -1)
		room_log(r, "out of memory: a topic was not kept");
	free(clean);
	return;
drop:
	cl->dropped++;
	room_log(r, "redis: dropped the topic of %s: not a topic", r->name);
}

/*
 * Start reading room r (not read here until now) right after its entry
 * id: its history is hist (n entries, newest first), its topic topic.
 */
static void
cluster_start_read(struct cluster *cl, struct room *r, const char *id,
    const char *topic, const struct cluster_entry *hist, size_t n)
{
	struct cluster_entry e;
	unsigned long long ms, seq;
	char *end;

	room_history_forget(r);
	cluster_keep_topic(cl, r, topic);
	snprintf(r->pos, sizeof r->pos, "0-0");
	while (n-- > 0) {
		e = hist[n];
		e.room = r;
		cluster_remember(cl, &e);
	}
	/* From the entry just before id: its join entry is the next. */
	ms = strtoull(id, &end, 10);
	seq = *end == '-' ? strtoull(end + 1, NULL, 10) : 0;
	if (seq > 0)
		snprintf(r->pos, sizeof r->pos, "%llu-%llu", ms, seq - 1);
	else if (ms > 0)
		snprintf(r->pos, sizeof r->pos, "%llu-%llu", ms - 1,
		    (unsigned long long)-1);
	r->reading = true;
	rooms_update(r);
	cl->reread = true;
	room_log(r, "redis: reading room %s", r->name);
}

void
cluster_go_reply(struct cluster *cl, unsigned cid, enum cluster_status st,
    const char *id, const char *topic, const char *name,
    const struct cluster_entry *hist, size_t n)
{
	struct cluster_pending *p, **pp;
	struct client *c;
	struct room *r;

	if ((p = cluster_pending_move(cl, cid)) == NULL)
		return;		/* gone */
	c = p->c;
	if (st == CLUSTER_OK && p->arrived) {
		/* Its join entry came first: the move is done. */
		for (pp = &cl->pending; *pp != p; pp = &(*pp)->next)
			;
		*pp = p->next;
		cluster_moved(cl, p);
		return;
	}
	if (st == CLUSTER_OK) {
		p->answered = true;
		if (p->to != NULL)
			return;	/* read here: its join entry follows */
		/*
		 * Redis moved it already: it goes there even when the name
		 * Redis shows fails the room rule, under the name it asked
		 * for (the same room, but for case), else it would be in a
		 * room here and in another for everyone else.
		 */
		if (!proto_room_valid(name, strlen(name))) {
			room_log(c->room, "redis: room %s is shown as %.32s: "
			    "not a room name", p->name, name);
			name = p->name;
		}
		if ((r = rooms_open(cl->room->reg, name, strlen(name),
		    NULL)) == NULL) {
			/* Its join entry is lost on us: it stays here, and
			 * the next sync puts it back here in Redis too. */
			room_log(c->room, "redis: cannot follow client %u to "
			    "room %s", c->id, name);
			cl->relink = true;
			st = CLUSTER_UNAVAILABLE;
		} else {
			if (!r->reading && r != cl->room)
				cluster_start_read(cl, r, id, topic, hist, n);
			p->to = r;
			r->waiting++;
			rooms_update(r);
			return;
		}
		p->answered = false;
	}
	/* Refused: it stays where it is. */
	for (pp = &cl->pending; *pp != p; pp = &(*pp)->next)
		;
	*pp = p->next;
	c->flags &= ~CLIENT_WAITING;
	if (c->flags & CLIENT_JOINED) {
		if (st == CLUSTER_TOOMANY)
			room_sendf(c->room, c, PROTO_TOO_MANY_ROOMS);
		else if (st == CLUSTER_ALREADY && proto_room_valid(name,
		    strlen(name)))
			room_sendf(c->room, c, PROTO_ALREADY_IN, name);
		else if (st == CLUSTER_UNKNOWN)
			room_sendf(c->room, c, "%s", PROTO_LINK_UNKNOWN);
		else
			room_sendf(c->room, c, "%s",
			    cluster_unavailable_later);
		cluster_run_held(p, c->room);
	}
	cluster_pending_free(cl, p);
}

void
cluster_topic_is(struct cluster *cl, const char *topic)
{
	cluster_keep_topic(cl, cl->room, topic);
}

void
cluster_topics_lost(struct cluster *cl)
{
	struct room *r;

	/* Kept, an instance would go on showing a topic another instance's
	 * joiners never get: a room read here takes no topic from /join. */
	for (r = cluster_first_room(cl); r != NULL;
	    r = cluster_next_room(cl, r))
		if (r != cl->room)
			(void)cluster_set_topic(r, NULL);
}

void
cluster_rooms_reply(struct cluster *cl, unsigned cid,
    const char *const *names, const unsigned long *counts, size_t n)
{
	struct buf list = BUF_INIT;
	char item[PROTO_ROOM_MAX + 32];
	struct client *c;
	size_t i, k = 0;
	int len;

	if ((c = cluster_member(cl, cid)) == NULL)
		return;
	if (names == NULL) {
		room_sendf(c->room, c, "%s", cluster_unavailable_later);
		cluster_answered(cl, cid, false);
		return;
	}
	for (i = 0; i < n; i++) {
		if (names[i] == NULL || !proto_room_valid(names[i],
		    strlen(names[i]))) {
			room_log(c->room, "redis: left a room out of /rooms: "
			    "its name is not valid");
			continue;
		}
		len = snprintf(item, sizeof item, PROTO_ROOMS_ITEM, names[i],
		    (size_t)counts[i]);
		if (len < 0 || buf_append(&list, item, (size_t)len) == -1)
			break;
		k++;
	}
	room_sendf(c->room, c, PROTO_ROOMS, k, PROTO_PLURAL(k),
	    (int)buf_used(&list), buf_peek(&list));
	buf_free(&list);
	cluster_answered(cl, cid, false);
}

static void
cluster_be_go(void *be, struct client *c, const char *name, size_t len)
{
	cluster_go(be, c, name, len);
}

/* A topic asked for is this instance's (kept by the room's entries); one
 * set goes through the room's stream. */
static void
cluster_be_topic(void *be, struct client *c, const char *text, size_t len)
{
	struct cluster *cl = be;
	struct room *r = c->room;

	if (!cl->up || cl->ops->topic(cl->io, c->id, text, len) == -1)
		room_sendf(r, c, "%s", cluster_unavailable_send);
	else
		cluster_ask(cl, c, true);
}

static void
cluster_be_list(void *be, struct client *c)
{
	struct cluster *cl = be;

	if (!cl->up || cl->ops->rooms(cl->io, c->id) == -1)
		room_sendf(c->room, c, "%s", cluster_unavailable_later);
	else
		cluster_ask(cl, c, false);
}

const struct room_backend cluster_backend = {
	"redis",
	cluster_be_join,
	cluster_be_leave,
	cluster_be_hold,
	cluster_be_say,
	cluster_be_msg,
	cluster_be_nick,
	cluster_be_who,
	cluster_be_go,
	cluster_be_topic,
	cluster_be_list,
};
