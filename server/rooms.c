/* rooms: the rooms of one server: made on /join, listed, forgotten. */
#include "room.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "mix.h"

/*
 * The rooms are a list in order of creation, the order /rooms shows.
 * A /join must not cost what every room costs, or one client joining
 * room after room would stall the server at --max-rooms: a room is
 * found by name in a keyed hash index, and the one to give way at the
 * limit is the first of a heap of the rooms that may (struct rooms).
 */

static uint64_t	rooms_hash(const struct rooms *, const char *, size_t);
static int	rooms_reserve(struct rooms *);
static void	rooms_evict_del(struct rooms *, struct room *);
static void	rooms_list_del(struct rooms *, struct room *,
		    enum rooms_list);

void
rooms_init(struct rooms *rs, size_t sendq, size_t history, size_t max)
{
	memset(rs, 0, sizeof *rs);
	rs->sendq = sendq;
	rs->history = history;
	rs->max = max;
	memcpy(rs->stamp, "1970-01-01 00:00", RLOG_STAMP);
}

struct room *
rooms_find(const struct rooms *rs, const char *name, size_t len)
{
	struct room *r;
	uint64_t h;

	if (rs->names == NULL || len > PROTO_ROOM_MAX)
		return NULL;
	h = rooms_hash(rs, name, len);
	for (r = rs->names[h & (rs->nnames - 1)]; r != NULL; r = r->hnext)
		if (r->hash == h && strlen(r->name) == len &&
		    strncasecmp(r->name, name, len) == 0)
			return r;
	return NULL;
}

bool
rooms_listed(const struct rooms *rs, const struct room *r)
{
	return r == rs->landing || r->count > 0 || r->topic != NULL ||
	    rlog_history_count(&r->rlog) > 0;
}

/* Whether r is in use: the landing room, or held, read or waited for. */
static bool
rooms_used(const struct rooms *rs, const struct room *r)
{
	return r == rs->landing || r->refs > 0 || r->reading ||
	    r->waiting > 0;
}

/* Whether r may be forgotten: nobody holds it and it keeps nothing. */
static bool
rooms_idle(const struct rooms *rs, const struct room *r)
{
	if (rooms_used(rs, r))
		return false;
	return rs->shared || (r->topic == NULL &&
	    rlog_history_count(&r->rlog) == 0);
}

/* Take r out of the list and free it (nobody holds it). */
static void
rooms_forget(struct rooms *rs, struct room *r)
{
	struct room **link;

	for (link = &rs->names[r->hash & (rs->nnames - 1)]; *link != r;
	    link = &(*link)->hnext)
		;
	*link = r->hnext;
	rooms_evict_del(rs, r);
	rooms_list_del(rs, r, ROOMS_IDLE);
	rooms_list_del(rs, r, ROOMS_BUSY);
	if (r->rprev != NULL)
		r->rprev->rnext = r->rnext;
	else
		rs->head = r->rnext;
	if (r->rnext != NULL)
		r->rnext->rprev = r->rprev;
	else
		rs->tail = r->rprev;
	rs->count--;
	rs->unheld--;
	room_log(r, "room %s forgotten", r->name);
	room_free(r);
	free(r);
}

/*
 * Whether leaving, the room a member is moving out of, is to go once it
 * has moved: the member is all that holds it and it keeps nothing, so
 * rooms_sweep() forgets it after the move.
 */
static bool
rooms_passing(const struct rooms *rs, const struct room *leaving)
{
	return leaving != NULL && leaving->reg == rs &&
	    leaving != rs->landing && leaving->refs == 1 &&
	    leaving->count == 1 && !leaving->reading &&
	    leaving->waiting == 0 && leaving->topic == NULL &&
	    rlog_history_count(&leaving->rlog) == 0;
}

/*
 * At the limit: a room nobody holds that keeps nothing gives way first
 * (one a member just passed through, not swept yet: it would be
 * forgotten anyway); then the room the mover leaves, if it is to go
 * after the move: the new room passes the limit by one until then,
 * and nothing kept is lost for it; else the one emptied the longest
 * ago, history, topic and all. Returns false when every room is held.
 */
static bool
rooms_evict(struct rooms *rs, const struct room *leaving)
{
	struct room *oldest;

	/*
	 * Until there is room for one more: a move under way in this pass
	 * may have passed the limit by one already (its room goes at the
	 * sweep), and that room giving way is then not room enough.
	 */
	while (rs->count >= rs->max) {
		oldest = rs->unheld > 0 && rs->nevict > 0 ? rs->evict[0] :
		    NULL;
		if ((oldest == NULL || rooms_listed(rs, oldest)) &&
		    rs->count == rs->max && rooms_passing(rs, leaving))
			return true;
		if (oldest == NULL)
			return false;
		rooms_forget(rs, oldest);
	}
	return true;
}

struct room *
rooms_open(struct rooms *rs, const char *name, size_t len,
    const struct room *leaving)
{
	struct room *r;

	if ((r = rooms_find(rs, name, len)) != NULL)
		return r;
	if (len > PROTO_ROOM_MAX) {
		errno = EINVAL;
		return NULL;
	}
	if (rooms_reserve(rs) == -1)
		return NULL;
	if (rs->count >= rs->max && !rooms_evict(rs, leaving)) {
		errno = EMFILE;
		return NULL;
	}
	if ((r = malloc(sizeof *r)) == NULL)
		return NULL;
	if (room_init(r, rs->sendq, rs->history) == -1) {
		free(r);
		return NULL;
	}
	memcpy(r->name, name, len);
	r->name[len] = '\0';
	r->reg = rs;
	r->log = rs->log;
	r->log_arg = rs->log_arg;
	r->on_leave = rs->on_leave;
	r->hook_arg = rs->hook_arg;
	r->motd = rs->motd;
	r->accounts = rs->accounts;
	room_set_backend(r, rs->backend, rs->backend_arg);
	room_set_clock(r, rs->stamp);
	rlog_batch(&r->rlog, rs->batch);
	r->rprev = rs->tail;
	if (rs->tail != NULL)
		rs->tail->rnext = r;
	else
		rs->head = r;
	rs->tail = r;
	rs->count++;
	r->made = ++rs->made;
	r->hash = rooms_hash(rs, r->name, len);
	r->hnext = rs->names[r->hash & (rs->nnames - 1)];
	rs->names[r->hash & (rs->nnames - 1)] = r;
	/* Unheld until someone comes in (the landing room is never). */
	if (rs->landing != NULL) {
		rs->unheld++;
		r->emptied = ++rs->ticks;
	}
	rooms_update(r);
	room_log(r, "room %s made", r->name);
	return r;
}

struct room *
rooms_landing(struct rooms *rs, const char *name)
{
	struct room *r;

	if ((r = rooms_open(rs, name, strlen(name), NULL)) == NULL)
		return NULL;
	if (rs->landing == NULL && r->refs == 0 && rs->unheld > 0)
		rs->unheld--;
	rs->landing = r;
	rooms_update(r);
	return r;
}

void
rooms_set_clock(struct rooms *rs, const char stamp[RLOG_STAMP])
{
	struct room *r;

	memcpy(rs->stamp, stamp, RLOG_STAMP);
	for (r = rs->head; r != NULL; r = r->rnext)
		room_set_clock(r, stamp);
}

void
rooms_sweep(struct rooms *rs)
{
	struct room *r, *next;

	/* rooms_update() put there each room that is to go, and it alone. */
	while (rs->list[ROOMS_IDLE].head != NULL)
		rooms_forget(rs, rs->list[ROOMS_IDLE].head);
	/* The pass has visited those that were in use: they rest now. */
	for (r = rs->list[ROOMS_BUSY].head; r != NULL; r = next) {
		next = r->on[ROOMS_BUSY].next;
		if (!rooms_used(rs, r))
			rooms_list_del(rs, r, ROOMS_BUSY);
	}
}

size_t
rooms_top(const struct rooms *rs, const struct room **out, size_t max)
{
	const struct room *r;
	size_t n = 0, i;

	/* Insertion into a short sorted array: O(rooms x max), max small. */
	for (r = rs->head; r != NULL && max > 0; r = r->rnext) {
		if (n == max && out[n - 1]->count >= r->count)
			continue;
		i = n < max ? n++ : n - 1;
		while (i > 0 && out[i - 1]->count < r->count) {
			out[i] = out[i - 1];
			i--;
		}
		out[i] = r;
	}
	return n;
}

size_t
rooms_members(const struct rooms *rs)
{
	const struct room *r;
	size_t n = 0;

	for (r = rs->head; r != NULL; r = r->rnext)
		n += r->count;
	return n;
}

/* ---------------------------------------------------------------------
 * The indexes: rooms by name, members by nick, the rooms that may go
 * ------------------------------------------------------------------- */

#define ROOMS_NICKS_MIN	64	/* chains at first */
#define ROOMS_NAMES_MIN	16	/* chains at first */
#define ROOMS_EVICT_MIN	16	/* places in the heap at first */
#define ROOMS_KEY_MAX	32	/* bytes hashed: the longest name or nick */

_Static_assert(PROTO_ROOM_MAX <= ROOMS_KEY_MAX &&
    PROTO_NICK_MAX <= ROOMS_KEY_MAX && ROOMS_KEY_MAX % 8 == 0,
    "rooms_hash() hashes every name and nick whole, in words");

/*
 * The keyed hash of p[0..len) in lower case (len <= ROOMS_KEY_MAX): of
 * a room's name, or of a nick. Every word of the padded key is mixed
 * in, so that a short name is mixed as much as a long one.
 */
static uint64_t
rooms_hash(const struct rooms *rs, const char *p, size_t len)
{
	unsigned char key[ROOMS_KEY_MAX] = { 0 };
	uint64_t h = mix64(rs->seed ^ len), w;
	size_t i;

	for (i = 0; i < len && i < sizeof key; i++)
		key[i] = (unsigned char)(p[i] >= 'A' && p[i] <= 'Z' ?
		    p[i] - 'A' + 'a' : p[i]);
	for (i = 0; i < sizeof key; i += 8) {
		memcpy(&w, key + i, 8);
		h = mix64(h ^ w);
	}
	return h;
}

/* Twice the chains, every member moved; out of memory: longer chains. */
static void
rooms_nicks_grow(struct rooms *rs)
{
	size_t n = rs->nnicks * 2, i;
	struct client **b, *c, *next;

	if ((b = calloc(n, sizeof *b)) == NULL)
		return;
	for (i = 0; i < rs->nnicks; i++)
		for (c = rs->nicks[i]; c != NULL; c = next) {
			next = c->nick_next;
			c->nick_next = b[c->nick_hash & (n - 1)];
			b[c->nick_hash & (n - 1)] = c;
		}
	free(rs->nicks);
	rs->nicks = b;
	rs->nnicks = n;
}

void
rooms_name(struct rooms *rs, struct client *c)
{
	struct client **head;

	if (rs == NULL || rs->nicksoff || (c->flags & CLIENT_NAMED))
		return;
	if (rs->nicks == NULL) {
		if ((rs->nicks = calloc(ROOMS_NICKS_MIN,
		    sizeof *rs->nicks)) == NULL) {
			rs->nicksoff = true;
			return;
		}
		rs->nnicks = ROOMS_NICKS_MIN;
	}
	if (rs->named >= rs->nnicks)
		rooms_nicks_grow(rs);
	c->nick_hash = rooms_hash(rs, c->nick, strlen(c->nick));
	head = &rs->nicks[c->nick_hash & (rs->nnicks - 1)];
	c->nick_next = *head;
	*head = c;
	c->flags |= CLIENT_NAMED;
	rs->named++;
}

void
rooms_unname(struct rooms *rs, struct client *c)
{
	struct client **link;

	if (rs == NULL || !(c->flags & CLIENT_NAMED))
		return;
	/* Under the hash it was named with, whatever its nick says now. */
	for (link = &rs->nicks[c->nick_hash & (rs->nnicks - 1)];
	    *link != NULL; link = &(*link)->nick_next)
		if (*link == c) {
			*link = c->nick_next;
			rs->named--;
			break;
		}
	c->nick_next = NULL;
	c->flags &= ~CLIENT_NAMED;
}

bool
rooms_nick(const struct rooms *rs, const char *nick, size_t len,
    struct client **cp)
{
	struct client *c;
	uint64_t h;

	*cp = NULL;
	if (rs->nicksoff)
		return false;
	if (rs->nicks == NULL || len > PROTO_NICK_MAX)
		return true;
	h = rooms_hash(rs, nick, len);
	for (c = rs->nicks[h & (rs->nnicks - 1)]; c != NULL;
	    c = c->nick_next)
		if (c->nick_hash == h && strlen(c->nick) == len &&
		    strncasecmp(c->nick, nick, len) == 0) {
			*cp = c;
			break;
		}
	return true;
}

/* Twice the chains of names, every room moved; out of memory: longer
 * chains. */
static void
rooms_names_grow(struct rooms *rs)
{
	size_t n = rs->nnames * 2, i;
	struct room **b, *r, *next;

	if ((b = calloc(n, sizeof *b)) == NULL)
		return;
	for (i = 0; i < rs->nnames; i++)
		for (r = rs->names[i]; r != NULL; r = next) {
			next = r->hnext;
			r->hnext = b[r->hash & (n - 1)];
			b[r->hash & (n - 1)] = r;
		}
	free(rs->names);
	rs->names = b;
	rs->nnames = n;
}

/*
 * Make sure of what one more room needs in the indexes: a place in the
 * heap of rooms that may go (so that rooms_update() never fails), and
 * the chains of names. Returns 0, or -1 with errno ENOMEM.
 */
static int
rooms_reserve(struct rooms *rs)
{
	struct room **e;
	size_t n;

	if (rs->names == NULL) {
		if ((rs->names = calloc(ROOMS_NAMES_MIN,
		    sizeof *rs->names)) == NULL) {
			errno = ENOMEM;
			return -1;
		}
		rs->nnames = ROOMS_NAMES_MIN;
	}
	if (rs->count >= rs->nnames)
		rooms_names_grow(rs);
	if (rs->count < rs->evictcap)
		return 0;
	n = rs->evictcap > 0 ? rs->evictcap * 2 : ROOMS_EVICT_MIN;
	if (n > SIZE_MAX / sizeof *e ||
	    (e = realloc(rs->evict, n * sizeof *e)) == NULL) {
		errno = ENOMEM;
		return -1;
	}
	rs->evict = e;
	rs->evictcap = n;
	return 0;
}

/* See room.h; rooms_evict() takes the first of the heap it orders. */
bool
rooms_evict_before(const struct room *a, const struct room *b)
{
	if (a->kept != b->kept)
		return !a->kept;
	if (a->kept && a->emptied != b->emptied)
		return a->emptied < b->emptied;
	return a->made < b->made;
}

/* Put r at i in the heap. */
static void
rooms_evict_put(struct rooms *rs, size_t i, struct room *r)
{
	rs->evict[i] = r;
	r->gone = i + 1;
}

/* r (in the heap) goes up or down to its place. */
static void
rooms_evict_fix(struct rooms *rs, struct room *r)
{
	size_t i = r->gone - 1, k;

	while (i > 0 && rooms_evict_before(r, rs->evict[(i - 1) / 2])) {
		rooms_evict_put(rs, i, rs->evict[(i - 1) / 2]);
		i = (i - 1) / 2;
	}
	for (;;) {
		k = 2 * i + 1;
		if (k >= rs->nevict)
			break;
		if (k + 1 < rs->nevict &&
		    rooms_evict_before(rs->evict[k + 1], rs->evict[k]))
			k++;
		if (!rooms_evict_before(rs->evict[k], r))
			break;
		rooms_evict_put(rs, i, rs->evict[k]);
		i = k;
	}
	rooms_evict_put(rs, i, r);
}

/* Take r out of the heap, if there. */
static void
rooms_evict_del(struct rooms *rs, struct room *r)
{
	struct room *last;
	size_t i = r->gone;

	if (i == 0)
		return;
	r->gone = 0;
	last = rs->evict[--rs->nevict];
	if (last == r)
		return;
	rooms_evict_put(rs, i - 1, last);
	rooms_evict_fix(rs, last);
}

/* r goes on list which of rs, last, if not there. */
static void
rooms_list_add(struct rooms *rs, struct room *r, enum rooms_list which)
{
	struct room_list *li = &rs->list[which];
	struct room_link *k = &r->on[which];

	if (k->on)
		return;
	k->on = true;
	k->next = NULL;
	k->prev = li->tail;
	if (li->tail != NULL)
		li->tail->on[which].next = r;
	else
		li->head = r;
	li->tail = r;
	li->n++;
}

/* r comes off list which of rs, if there. */
static void
rooms_list_del(struct rooms *rs, struct room *r, enum rooms_list which)
{
	struct room_list *li = &rs->list[which];
	struct room_link *k = &r->on[which];

	if (!k->on)
		return;
	if (k->prev != NULL)
		k->prev->on[which].next = k->next;
	else
		li->head = k->next;
	if (k->next != NULL)
		k->next->on[which].prev = k->prev;
	else
		li->tail = k->prev;
	k->prev = k->next = NULL;
	k->on = false;
	li->n--;
}

bool
rooms_list_sound(const struct rooms *rs, enum rooms_list which)
{
	const struct room_list *li = &rs->list[which];
	const struct room *r, *prev = NULL;
	size_t n = 0;

	for (r = li->head; r != NULL; prev = r, r = r->on[which].next) {
		if (n++ == li->n || !r->on[which].on ||
		    r->on[which].prev != prev ||
		    rooms_find(rs, r->name, strlen(r->name)) != r)
			return false;
	}
	return n == li->n && li->tail == prev;
}

void
rooms_update(struct room *r)
{
	struct rooms *rs = r->reg;

	if (rs == NULL)
		return;
	if (rooms_idle(rs, r))
		rooms_list_add(rs, r, ROOMS_IDLE);
	else
		rooms_list_del(rs, r, ROOMS_IDLE);
	/* Off the busy list only at the sweep, once the pass visited it. */
	if (rooms_used(rs, r)) {
		rooms_list_add(rs, r, ROOMS_BUSY);
		rooms_evict_del(rs, r);
		return;
	}
	r->kept = rooms_listed(rs, r);
	if (r->gone == 0) {
		/* rooms_reserve() made room for every room. */
		if (rs->nevict >= rs->evictcap)
			return;
		rooms_evict_put(rs, rs->nevict++, r);
	}
	rooms_evict_fix(rs, r);
}

void
rooms_free(struct rooms *rs)
{
	struct room *r, *next;

	for (r = rs->head; r != NULL; r = next) {
		next = r->rnext;
		room_free(r);
		free(r);
	}
	rs->head = rs->tail = rs->landing = NULL;
	rs->count = rs->unheld = 0;
	memset(rs->list, 0, sizeof rs->list);
	free(rs->guests);
	rs->guests = NULL;
	rs->nguests = 0;
	free(rs->nicks);
	rs->nicks = NULL;
	rs->nnicks = rs->named = 0;
	free(rs->names);
	rs->names = NULL;
	rs->nnames = 0;
	free(rs->evict);
	rs->evict = NULL;
	rs->nevict = rs->evictcap = 0;
}
