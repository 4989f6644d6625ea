/* backend_local: the room backend of one lobbyd: events applied at once. */
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "buf.h"
#include "proto.h"
#include "room.h"

/*
 * Every function here gets the room itself as its backend state: nothing
 * goes anywhere before the members see it.
 */

static void
local_join(void *be, struct client *c)
{
	struct room *r = be;

	snprintf(c->nick, sizeof c->nick, PROTO_GUEST "%zu",
	    room_free_guest(r));
	room_link(r, c);
	room_sendf(r, c, PROTO_WELCOME, c->nick, r->count);
	room_motd(r, c);
	room_history(r, c);
	room_broadcastf(r, c, PROTO_JOINED, c->nick);
}

static void
local_leave(void *be, struct client *c, const char *reason, const char *why)
{
	struct room *r = be;

	if (!(c->flags & CLIENT_JOINED))
		return;
	room_unlink(r, c, why);
	if (reason != NULL)
		room_broadcastf(r, NULL, PROTO_LEFT_REASON, c->nick, reason);
	else
		room_broadcastf(r, NULL, PROTO_LEFT, c->nick);
}

static bool
local_hold(void *be, struct client *c, const char *text, size_t len)
{
	(void)be;
	(void)c;
	(void)text;
	(void)len;
	return false;	/* a local member is one from its welcome on */
}

static void
local_say(void *be, struct client *c, enum room_say kind, const char *text,
    size_t len)
{
	struct room *r = be;

	room_chat(r, c, kind, text, len);
}

static void
local_msg(void *be, struct client *c, const char *to, size_t tolen,
    const char *text, size_t len)
{
	struct room *r = be;
	struct client *m;

	/* Any room: a /msg crosses rooms. It goes in m's own room's stream. */
	if ((m = room_find_any(r, to, tolen)) == NULL) {
		room_sendf(r, c, PROTO_NOUSER, (int)tolen, to);
		return;
	}
	room_sendf(m->room, m, PROTO_PM, c->nick, (int)len, text);
}

static void
local_nick(void *be, struct client *c, const char *nick, size_t len)
{
	struct room *r = be;
	struct client *other;

	other = room_find_any(r, nick, len);	/* unique server-wide */
	if (other != NULL && other != c) {
		room_sendf(r, c, PROTO_TAKEN, (int)len, nick);
		return;
	}
	room_rename(r, c, nick, len);
}

static void
local_who(void *be, struct client *c)
{
	struct room *r = be;
	struct buf list = BUF_INIT;
	struct client *m;

	for (m = room_first(r); m != NULL; m = room_next(m)) {
		if (buf_append(&list, " ", 1) == -1 ||
		    buf_append(&list, m->nick, strlen(m->nick)) == -1)
			break;
	}
	room_sendf(r, c, PROTO_WHO, r->count, (int)buf_used(&list),
	    buf_peek(&list));
	buf_free(&list);
}

static void
local_go(void *be, struct client *c, const char *name, size_t len)
{
	struct room *r = be, *to;

	if (r->reg == NULL || (to = rooms_open(r->reg, name, len, r)) == NULL) {
		room_sendf(r, c, PROTO_TOO_MANY_ROOMS);
		return;
	}
	room_move(r, c, to);
}

static void
local_topic(void *be, struct client *c, const char *text, size_t len)
{
	struct room *r = be;

	if (room_set_topic(r, c, text, len) == -1)
		room_log(r, "out of memory: a topic was not set");
}

static void
local_list(void *be, struct client *c)
{
	struct room *r = be;
	struct buf list = BUF_INIT;
	const struct room *rr;
	char item[PROTO_ROOM_MAX + 32];
	size_t k = 0;
	int n;

	for (rr = r->reg != NULL ? r->reg->head : r; rr != NULL;
	    rr = r->reg != NULL ? rr->rnext : NULL) {
		if (r->reg != NULL && !rooms_listed(r->reg, rr))
			continue;
		n = snprintf(item, sizeof item, PROTO_ROOMS_ITEM, rr->name,
		    rr->count);
		if (n < 0 || buf_append(&list, item, (size_t)n) == -1)
			break;
		k++;
	}
	room_sendf(r, c, PROTO_ROOMS, k, PROTO_PLURAL(k),
	    (int)buf_used(&list), buf_peek(&list));
	buf_free(&list);
}

const struct room_backend room_backend_local = {
	"local",
	local_join,
	local_leave,
	local_hold,
	local_say,
	local_msg,
	local_nick,
	local_who,
	local_go,
	local_topic,
	local_list,
};
