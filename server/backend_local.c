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

	if (kind == ROOM_SAY_ACTION)
		room_chatf(r, c, PROTO_ACTION, c->nick, (int)len, text);
	else
		room_chatf(r, c, PROTO_CHAT, c->nick, (int)len, text);
}

static void
local_msg(void *be, struct client *c, const char *to, size_t tolen,
    const char *text, size_t len)
{
	struct room *r = be;
	struct client *m;

	if ((m = room_find(r, to, tolen)) == NULL) {
		room_sendf(r, c, PROTO_NOUSER, (int)tolen, to);
		return;
	}
	room_sendf(r, m, PROTO_PM, c->nick, (int)len, text);
}

static void
local_nick(void *be, struct client *c, const char *nick, size_t len)
{
	struct room *r = be;
	struct client *other;

	other = room_find(r, nick, len);
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

const struct room_backend room_backend_local = {
	"local",
	local_join,
	local_leave,
	local_hold,
	local_say,
	local_msg,
	local_nick,
	local_who,
};
