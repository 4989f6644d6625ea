/* room: the hub: members in join order, nicks, and broadcast queuing. */
#ifndef LOBBY_ROOM_H
#define LOBBY_ROOM_H

#include <stdbool.h>
#include <stddef.h>

#include "buf.h"
#include "client.h"
#include "motd.h"

/*
 * The room makes no system calls: it only queues bytes on each member's
 * output buffer and flags members that must go. The server's loop does the
 * reading, writing and closing. This is what lets the unit tests drive it
 * with clients that have no socket at all.
 */

struct cluster;

/* Called with one formatted log line (no LF) for connects, leaves, nicks. */
typedef void (*room_log_fn)(void *arg, const char *text);

/* Called about member c, or all of them (see on_output and on_leave). */
typedef void (*room_client_fn)(void *arg, struct client *c);

struct room {
	struct client	*head;		/* first member, the longest here */
	struct client	*tail;		/* last member to join */
	size_t		 count;		/* members */
	size_t		 sendq;		/* most output queued per member */
	unsigned	 nslow;		/* members flagged CLIENT_SLOW, not gone */
	char		*line;		/* where outgoing lines are formatted */
	size_t		 linecap;	/* bytes allocated at line */
	room_log_fn	 log;		/* may be NULL */
	void		*log_arg;	/* for log */
	room_client_fn	 on_output;	/* output queued for c, or for every
					   member when c is NULL; or NULL */
	room_client_fn	 on_leave;	/* c left: close it after the pass; or
					   NULL */
	void		*hook_arg;	/* for on_output and on_leave */
	struct cluster	*cluster;	/* with --redis: events go there */
	const struct motd *motd;	/* sent to newcomers after the welcome;
					   or NULL */
};

/*
 * Walking the members, in join order: for (c = room_first(r); c != NULL;
 * c = next) { next = room_next(c); ... }. Taking next first lets c leave
 * (room_leave() unlinks c alone) without breaking the walk.
 */
static inline struct client *
room_first(const struct room *r)
{
	return r->head;
}

/* The member after c, or NULL. */
static inline struct client *
room_next(const struct client *c)
{
	return c->next;
}

/* An empty room whose members may each have sendq bytes queued. */
void	room_init(struct room *r, size_t sendq);

/* Release the room's own memory (not its members). */
void	room_free(struct room *r);

/*
 * Add c as the newest member under the smallest free guestN, send it the
 * welcome and the message of the day (each line "*** LINE") and tell
 * everyone else it joined. In a cluster the join goes through the
 * cluster instead, and c waits for its welcome.
 */
void	room_join(struct room *r, struct client *c);

/* Send c the message of the day, each line "*** LINE", if there is one:
 * right after its welcome, before its history. */
void	room_motd(struct room *r, struct client *c);

/*
 * Make c the newest member, named as c->nick already is, without telling
 * anyone: for the cluster, whose entries say who joined.
 */
void	room_link(struct room *r, struct client *c);

/*
 * Take member c out of the room without telling anyone: flag it
 * CLIENT_CLOSING with why (for the log) and call on_leave for it. Does
 * nothing for a non-member.
 */
void	room_unlink(struct room *r, struct client *c, const char *why);

/*
 * A connection that never became a member is done: flag it
 * CLIENT_CLOSING with why and call on_leave, so that it is closed (after
 * a last try at sending what c->out holds).
 */
void	room_drop(struct room *r, struct client *c, const char *why);

/*
 * Take c out of the room: tell the others "*** NICK left" or, with a
 * reason, "*** NICK left (REASON)"; flag c CLIENT_CLOSING with why (a
 * string that outlives c, for the log, which also gets c's bytes_in and
 * bytes_out) and call on_leave for it. Does nothing for a non-member. In a
 * cluster the others hear of it through the cluster.
 */
void	room_leave(struct room *r, struct client *c, const char *reason,
	    const char *why);

/*
 * Queue line (no LF; the LF is added) for c. If c's queue would pass the
 * limit, its queue is dropped instead and it is flagged CLIENT_SLOW; it
 * leaves at the next room_settle().
 */
void	room_send(struct room *r, struct client *c, const char *line,
	    size_t len);

/* room_send() with printf formatting. */
void	room_sendf(struct room *r, struct client *c, const char *fmt, ...)
	    __attribute__((format(printf, 3, 4)));

/* Queue line (no LF) for every member but except (which may be NULL). */
void	room_broadcast(struct room *r, const struct client *except,
	    const char *line, size_t len);

/* room_broadcast() with printf formatting. */
void	room_broadcastf(struct room *r, const struct client *except,
	    const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/*
 * Make every member flagged CLIENT_SLOW leave with "too slow", and so on
 * until nobody is over the limit. Call after anything that queues output.
 */
void	room_settle(struct room *r);

/* The member whose nick equals nick ignoring case, or NULL. */
struct client	*room_find(const struct room *r, const char *nick,
		    size_t len);

/*
 * Rename c to nick (already checked valid and free) and tell everyone,
 * c included: "*** OLD is now NEW".
 */
void	room_rename(struct room *r, struct client *c, const char *nick,
	    size_t len);

/*
 * c sent a line longer than max bytes: log it and tell c alone
 * "!!! line too long (max MAX bytes)". The line is dropped; c stays.
 */
void	room_toolong(struct room *r, struct client *c, size_t max);

/*
 * c sent nothing for secs seconds: tell it "!!! idle for SECS seconds,
 * disconnecting", then it leaves with "idle", as room_leave() does.
 */
void	room_idle(struct room *r, struct client *c, unsigned secs);

/*
 * The line, LF included, for a connection refused because the server is
 * full: "!!! server full, try again later". Static; its length in *lenp.
 */
const char	*room_full_notice(size_t *lenp);

/* Write a log line through r->log, if set. */
void	room_log(struct room *r, const char *fmt, ...)
	    __attribute__((format(printf, 2, 3)));

#endif /* LOBBY_ROOM_H */
