/* room: the hub: members in join order, nicks, and the room log. */
#ifndef LOBBY_ROOM_H
#define LOBBY_ROOM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "client.h"
#include "motd.h"
#include "rlog.h"

/*
 * The room makes no system calls: it appends each broadcast line once to
 * the room log (rlog.h), queues lines for one member in that member's
 * place in the log, and flags members that must go. The server's loop
 * does the reading, the writing (straight from the log's blocks) and the
 * closing. This is what lets the unit tests drive it with clients that
 * have no socket at all.
 */

/* What a member says: a chat line or a /me. */
enum room_say {
	ROOM_SAY_CHAT,		/* "<NICK> TEXT" */
	ROOM_SAY_ACTION		/* "* NICK TEXT" */
};

/*
 * A room backend: where a member's events go before the room's members
 * see them. The local backend (backend_local.c) applies each at once; the
 * Redis backend (cluster.c) publishes it and applies what the stream
 * gives back, through the same room functions. The commands and the
 * connection layer call the room API below (room_join(), room_say()...),
 * never a backend: every rule the room keeps (history from the room log,
 * --sendq, hygiene, the nick rule) is then kept whichever backend carried
 * the event. Per room: a server holding many rooms gives each its own.
 * Texts are already cleaned; nick is valid and not c's own.
 */
struct room_backend {
	const char	*name;		/* for the log: "local", "redis" */
	void	(*join)(void *be, struct client *c);
	void	(*leave)(void *be, struct client *c, const char *reason,
		    const char *why);
	/* A line from c held until it is a member: true when held. */
	bool	(*hold)(void *be, struct client *c, const char *text,
		    size_t len);
	void	(*say)(void *be, struct client *c, enum room_say kind,
		    const char *text, size_t len);
	void	(*msg)(void *be, struct client *c, const char *to,
		    size_t tolen, const char *text, size_t len);
	void	(*nick)(void *be, struct client *c, const char *nick,
		    size_t len);
	void	(*who)(void *be, struct client *c);
	/* c goes to the room called name (valid; not c's own room). */
	void	(*go)(void *be, struct client *c, const char *name,
		    size_t len);
	/* c sets the topic to text (at most PROTO_TOPIC_MAX bytes, not
	 * blank; asking, with no text, is room_topic()'s own). */
	void	(*topic)(void *be, struct client *c, const char *text,
		    size_t len);
	/* c asks which rooms there are. */
	void	(*list)(void *be, struct client *c);
};

/* The backend of a room on one lobbyd: room_init() sets it. */
extern const struct room_backend room_backend_local;

/* Called with one formatted log line (no LF) for connects, leaves, nicks. */
typedef void (*room_log_fn)(void *arg, const char *text);


/*
 * The lists of rooms the registry keeps, so that what concerns a few
 * rooms visits those alone, not every room; rooms_update() keeps each,
 * its rooms in the order they came on it.
 */
enum rooms_list {
	/* The rooms rooms_sweep() forgets: each nobody holds, reads or
	 * waits for that keeps nothing (or, shared, whatever it keeps). */
	ROOMS_IDLE,
	/* The rooms a loop pass visits (conn_flush_all()): the landing room,
	 * every room held, read or waited for, and one that stopped being
	 * so until rooms_sweep() at the end of that pass. One off it has no
	 * reader, so nothing to write, wake or settle. */
	ROOMS_BUSY,
	ROOMS_LISTS
};

/* A room's place on one of those lists. */
struct room_link {
	struct room	*prev;		/* the room before it, or NULL */
	struct room	*next;		/* the room after it, or NULL */
	bool		 on;		/* whether it is on the list */
};

/* One of those lists. */
struct room_list {
	struct room	*head;		/* the first, or NULL: none */
	struct room	*tail;		/* the last */
	size_t		 n;		/* rooms on it */
};
/* Called about member c (see on_leave). */
typedef void (*room_client_fn)(void *arg, struct client *c);

struct accounts;
struct rooms;

#define ROOM_POS_MAX	48	/* a shared backend's position: "MS-SEQ" */

struct room {
	char		 name[PROTO_ROOM_MAX + 1]; /* as first written */
	char		*topic;		/* NUL-terminated, or NULL: none */
	struct rooms	*reg;		/* the server's rooms, or NULL for a
					   room on its own (unit tests) */
	struct room	*rprev;		/* older room, in order of creation */
	struct room	*rnext;		/* newer room */
	size_t		 refs;		/* connections whose room this is:
					   members, joiners, leavers closing */
	uint64_t	 emptied;	/* when refs last fell to 0 (reg->ticks) */
	uint64_t	 made;		/* order of creation (reg->made) */
	struct room	*hnext;		/* next in its chain of reg->names */
	uint64_t	 hash;		/* its name's there (rooms_hash()) */
	size_t		 gone;		/* its place in reg->evict plus one; 0:
					   not there (see rooms_update()) */
	bool		 kept;		/* listed when it went there */
	struct room_link on[ROOMS_LISTS]; /* its place on reg->list[] */
	struct client	*head;		/* first member, the longest here */
	struct client	*tail;		/* last member to join */
	size_t		 count;		/* members */
	size_t		 sendq;		/* most output queued per member */
	unsigned	 nslow;		/* members flagged CLIENT_SLOW, not gone */
	char		*line;		/* where outgoing lines are formatted */
	size_t		 linecap;	/* bytes allocated at line */
	room_log_fn	 log;		/* may be NULL */
	void		*log_arg;	/* for log */
	room_client_fn	 on_leave;	/* c left: close it after the pass; or
					   NULL */
	void		*hook_arg;	/* for on_leave */
	const struct room_backend *backend; /* where events go */
	void		*backend_arg;	/* for backend */
	const struct motd *motd;	/* sent to newcomers after the welcome;
					   or NULL */
	struct accounts	*accounts;	/* accounts and moderation (commands
					   reach them through accounts.h); NULL
					   or not on: the commands say off */
	struct rlog	 rlog;		/* every line, once; members read it:
					   its pending list is who has output */
	/* Kept for a shared backend (cluster.c), which reads the room's
	 * events from elsewhere only while it has members here: */
	bool		 reading;	/* its events are being read */
	unsigned	 waiting;	/* members on their way in */
	char		 pos[ROOM_POS_MAX]; /* the last event applied */
	int64_t		 notice_woke;	/* with batched notices: when conn.c
					   last woke the members for them
					   (ltime_mono_ms()) */
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

/*
 * An empty room whose members may each have sendq bytes queued, keeping
 * its last history chat lines (0: none; at most RLOG_HISTORY_MAX) for
 * joiners, with at most sendq bytes of notices among them. Returns 0, or
 * -1 with errno (ENOMEM, or EINVAL for history).
 */
int	room_init(struct room *r, size_t sendq, size_t history);

/*
 * Send the room's events through backend be (be_arg its state) from now
 * on; NULL: the local backend. Call before the first member joins.
 */
void	room_set_backend(struct room *r, const struct room_backend *be,
	    void *be_arg);

/*
 * The local time, "YYYY-MM-DD HH:MM", stamped on chat lines from now on
 * (for the history's time prefixes). The caller reads the clock.
 */
void	room_set_clock(struct room *r, const char stamp[RLOG_STAMP]);

/* Release the room's own memory (not its members). */
void	room_free(struct room *r);

/*
 * The room API: each goes through the room's backend.
 *
 * room_join: a new connection joins. Locally: c becomes the newest member
 * under the smallest free guestN, gets the welcome, the message of the
 * day, the history (room_history()), and everyone else is told it joined.
 * Through Redis, c waits for its welcome (its lines held by room_hold()).
 */
void	room_join(struct room *r, struct client *c);

/* A line from c before its welcome: held (true), or false for a member. */
bool	room_hold(struct room *r, struct client *c, const char *text,
	    size_t len);

/* c says text (clean, not blank): everyone else gets it. */
void	room_say(struct room *r, struct client *c, enum room_say kind,
	    const char *text, size_t len);

/* c sends text to the member called to (any case), or is told no such. */
void	room_msg(struct room *r, struct client *c, const char *to,
	    size_t tolen, const char *text, size_t len);

/* c asks for nick (valid, not its own): granted, or "!!! nick ... taken". */
void	room_nick(struct room *r, struct client *c, const char *nick,
	    size_t len);

/* c asks who is online: "*** N online: NICK ...". */
void	room_who(struct room *r, struct client *c);

/*
 * Send c (a member just welcomed) the history block: "*** last K
 * messages:", the lines with their times, "*** end of history"; nothing
 * when there is none. The replay is served from the room log and never
 * counts toward the send queue, whichever backend filled the log.
 */
void	room_history(struct room *r, struct client *c);

/*
 * The backends' way in: a chat or /me line (no LF) taken at local time
 * stamp (NULL: now), appended once to the room log as history, for every
 * member but from (which may be NULL).
 */
void	room_chat_at(struct room *r, struct client *from,
	    const char stamp[RLOG_STAMP], const char *line, size_t len);

/*
 * The "*** N online: NICK ..." line for n nicks, to c alone; each nick
 * that fails the nick rule is left out (and counted out), with a log line.
 */
void	room_who_reply(struct room *r, struct client *c,
	    const char *const *nicks, size_t n);

/* The smallest N for which guestN is free, from 1. */
size_t	room_free_guest(struct room *r);

/* Send c the message of the day, each line "*** LINE", if there is one:
 * right after its welcome, before its history. */
void	room_motd(struct room *r, struct client *c);

/*
 * Make c the newest member, named as c->nick already is, without telling
 * anyone: for the cluster, whose entries say who joined. c reads the
 * room log from its end on, after what room_tell() queued for it.
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
 * a last try at sending what room_tell() queued for it).
 */
void	room_drop(struct room *r, struct client *c, const char *why);

/*
 * Take c out of the room: tell the others "*** NICK left" or, with a
 * reason, "*** NICK left (REASON)"; flag c CLIENT_CLOSING with why (a
 * string that outlives c, for the log, which also gets c's bytes_in and
 * bytes_out) and call on_leave for it. Does nothing for a non-member. In a
 * cluster the others hear of it through the cluster. c keeps what was
 * queued for it before (for a last write) and gets nothing after;
 * room_forget() lets go of it.
 */
void	room_leave(struct room *r, struct client *c, const char *reason,
	    const char *why);

/*
 * Drop c's place in the room log and whatever it had queued: call once
 * its connection is done, before client_free().
 */
void	room_forget(struct room *r, struct client *c);

/*
 * Queue line (no LF; the LF is added) for c alone, in its place in c's
 * stream. If that takes c's backlog past the limit, its queue is dropped
 * instead and it is flagged CLIENT_SLOW; it leaves at the next
 * room_settle().
 */
void	room_send(struct room *r, struct client *c, const char *line,
	    size_t len);

/*
 * Queue line (NUL-terminated, no LF) for a connection that is not (yet)
 * a member, such as a cluster joiner waiting for its welcome: it gets
 * nothing of the room log until room_link(), and these lines first.
 */
void	room_tell(struct room *r, struct client *c, const char *line);

/* room_send() with printf formatting. */
void	room_sendf(struct room *r, struct client *c, const char *fmt, ...)
	    __attribute__((format(printf, 3, 4)));

/*
 * The one way a line reaches every member: line (no LF; the LF is added)
 * is appended once to the room log, for every member but from (which may
 * be NULL). Chat and /me lines are RLOG_CHAT (kept as history), anything
 * else RLOG_NOTICE. Nobody is checked against the limit here: that is
 * room_settle()'s job.
 */
void	room_post(struct room *r, struct client *from, enum rlog_kind kind,
	    const char *line, size_t len);

/* room_post() of a notice. */
void	room_broadcast(struct room *r, struct client *except,
	    const char *line, size_t len);

/* room_broadcast() with printf formatting. */
void	room_broadcastf(struct room *r, struct client *except,
	    const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/*
 * room_post() of c's chat line "<NICK> TEXT" or, for ROOM_SAY_ACTION,
 * "* NICK TEXT" (PROTO_CHAT, PROTO_ACTION), without printf.
 */
void	room_chat(struct room *r, struct client *c, enum room_say kind,
	    const char *text, size_t len);

/*
 * c gets now what its room holds for it, batched notices included: after
 * c's own lines are taken, so that the notice of what it did (its /nick,
 * its /topic, its /kick) is not held for it in a big room.
 */
void	room_wake(struct room *r, struct client *c);

/*
 * True when c's chat goes straight into its room's log here: the room
 * is local (its hold is never, its say is room_chat()) and c a member
 * not on its way out. Then room_chat_lines() may take c's chat lines.
 */
bool	room_says_here(struct room *r, const struct client *c);

/* Lines room_chat_lines() appends in one step; more take several. */
#define ROOM_RUN_LINES	64

/*
 * room_chat() of k lines from c at once, text[i][0..len[i]) each: one
 * append to the log (per ROOM_RUN_LINES), as k calls would have made
 * them. Where room_says_here() holds, the way for a run of chat lines.
 */
void	room_chat_lines(struct room *r, struct client *c,
	    enum room_say kind, const char *const *text, const size_t *len,
	    size_t k);

/* room_post() of a chat or /me line from c, with printf formatting. */
void	room_chatf(struct room *r, struct client *c, const char *fmt, ...)
	    __attribute__((format(printf, 3, 4)));

/*
 * The slow-reader rule: make every member flagged CLIENT_SLOW, and every
 * member whose backlog passes the limit, leave with "too slow", together
 * with everyone the notices of those leaves push over in turn (found in
 * one pass: rlog_settle()). Call after anything that queues output,
 * once what the sockets take has been written: what is left then is each
 * member's backlog. It costs O(1) while nobody can be near the limit.
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

/* ---------------------------------------------------------------------
 * Rooms: the server's rooms, and a member's way between them
 * ------------------------------------------------------------------- */

/*
 * c goes to the room called name[0..len) (a valid room name): "!!! you
 * are already in NAME" when it is c's own, else through the backend.
 */
void	room_go(struct room *r, struct client *c, const char *name,
	    size_t len);

/* c sets the topic to text[0..len), or asks for it (len 0). */
void	room_topic(struct room *r, struct client *c, const char *text,
	    size_t len);

/* c asks for the list of rooms: "*** K rooms: NAME (N) ...". */
void	room_list(struct room *r, struct client *c);

/*
 * Move member c from r to room to (another room of the same server):
 * the old room hears "*** NICK went to NAME"; c gets "*** you are now in
 * NAME (K online)", the topic, and to's history; to hears "*** NICK
 * joined". What c had not yet received from r comes first, in order.
 */
void	room_move(struct room *r, struct client *c, struct room *to);

/*
 * Move member c from r to room to without telling either room: c gets
 * "*** you are now in NAME (K online)" with count as K, the topic and
 * to's history, as room_move() gives them. For a shared backend, whose
 * events say who went and who joined.
 */
void	room_enter(struct room *r, struct client *c, struct room *to,
	    size_t count);

/*
 * Forget r's history: a shared backend that stopped reading the room's
 * events fills it again when it starts again.
 */
void	room_history_forget(struct room *r);

/*
 * Set r's topic to text[0..len) (a copy is kept) and tell r, c included:
 * "*** NICK set the topic: TEXT". Returns 0, or -1 out of memory.
 */
int	room_set_topic(struct room *r, struct client *c, const char *text,
	    size_t len);

/*
 * c is called nick[0..len) now (valid), and is found by it; nothing is
 * said or logged (room_rename() does that). Whoever changes a member's
 * nick does it here, so that the server's nick index keeps up.
 */
void	room_set_nick(struct room *r, struct client *c, const char *nick,
	    size_t len);

/* The member anywhere on the server whose nick is nick (any case). */
struct client	*room_find_any(const struct room *r, const char *nick,
		    size_t len);

/*
 * c's connection is done (after room_forget()): it no longer holds its
 * room, which the server's rooms may now forget (rooms_sweep()).
 */
void	room_release(struct client *c);

/*
 * The rooms of one server, in order of creation. The landing room
 * (where newcomers go, and /part leads) is made first and never
 * forgotten. Another room is forgotten, its memory freed, once nobody
 * holds it (no member, no connection still closing in it) and it keeps
 * neither history nor a topic (rooms_sweep(), after the loop's pass);
 * one that keeps history or a topic stays listed, until a new room would
 * pass the limit: then an unheld room that keeps nothing, not swept yet,
 * gives way first, then the one the mover leaves if it is to go after
 * the move, else the one empty the longest. No system calls: the
 * unit tests drive it.
 */
struct rooms {
	struct room	*head;		/* the oldest room: the landing one */
	struct room	*tail;		/* the newest */
	size_t		 count;		/* rooms */
	size_t		 max;		/* most rooms (--max-rooms) */
	size_t		 unheld;	/* rooms with refs 0 (landing aside) */
	struct room_list list[ROOMS_LISTS]; /* see enum rooms_list */
	bool		 shared;	/* history and topics are kept by the
					   backend (Redis): a room nobody
					   holds, that it does not read, goes */
	uint64_t	 ticks;		/* for room.emptied: bumped per empty */
	struct room	*landing;	/* where newcomers land */
	size_t		 sendq;		/* each room's room_init() values */
	size_t		 history;
	room_log_fn	 log;		/* given to each room: see struct room */
	void		*log_arg;
	room_client_fn	 on_leave;
	void		*hook_arg;
	const struct motd *motd;
	struct accounts	*accounts;	/* given to each room, or NULL */
	const struct room_backend *backend; /* each new room's, or NULL:
					   local (then its arg is the room) */
	void		*backend_arg;
	char		 stamp[RLOG_STAMP]; /* the clock, for new rooms */
	unsigned char	*guests;	/* room_free_guest()'s map: guests[N]
					   set while a member is guestN, for
					   N < nguests (room.c keeps it) */
	size_t		 nguests;	/* entries at guests; 0: none yet */
	size_t		 guestlow;	/* every N from 1 below it is taken */
	bool		 batch;		/* each room's log batches notices
					   (rlog_batch()): whoever sets it
					   wakes them (server: conn.c) */
	/* The members of every room by nick, so that finding one (/msg,
	 * /nick) does not walk them all: chains through client.nick_next,
	 * keyed with seed so that no client can choose nicks that share a
	 * chain. */
	struct client	**nicks;	/* nnicks chains, a power of two, or
					   NULL: none yet */
	size_t		 nnicks;	/* chains at nicks */
	size_t		 named;		/* members in them */
	bool		 nicksoff;	/* out of memory for the first chains:
					   lookups walk the rooms instead */
	uint64_t	 seed;		/* the hash key; the caller sets it
					   before the landing room is made */
	/* Every room by name, so that a /join does not compare every
	 * name: chains through room.hnext, keyed with seed too. */
	struct room	**names;	/* nnames chains, a power of two, or
					   NULL: no room yet */
	size_t		 nnames;	/* chains at names */
	uint64_t	 made;		/* for room.made: bumped per room */
	/*
	 * The rooms that may give way at the limit (not landing, held,
	 * read or waited for), a binary heap whose first is the one to go:
	 * one that keeps nothing before any other, the oldest first; then
	 * the one empty the longest (room.emptied), the older first. Room
	 * for every room is made with the room, so that keeping it never
	 * fails.
	 */
	struct room	**evict;	/* nevict rooms, or NULL */
	size_t		 nevict;	/* rooms at evict */
	size_t		 evictcap;	/* room for that many at evict */
};

/*
 * No rooms yet, each to be made with room_init(sendq, history), at most
 * max of them. The caller then sets the hooks (log, on_leave, motd...)
 * and makes the landing room with rooms_landing().
 */
void	rooms_init(struct rooms *rs, size_t sendq, size_t history,
	    size_t max);

/* Make the landing room, called name (valid). Returns it, or NULL. */
struct room	*rooms_landing(struct rooms *rs, const char *name);

/* The room called name[0..len) (any case), or NULL. */
struct room	*rooms_find(const struct rooms *rs, const char *name,
		    size_t len);

/*
 * The room called name[0..len) (valid), made if there is none. Returns
 * it, or NULL with errno EMFILE (max rooms, none that may give way) or
 * ENOMEM. leaving is the room of the member about to move in, or NULL:
 * one it alone holds that keeps nothing goes once it has moved, so at
 * the limit it gives way in its stead (it is forgotten after the move).
 */
struct room	*rooms_open(struct rooms *rs, const char *name, size_t len,
		    const struct room *leaving);

/* Whether /rooms lists r: it has members, history, a topic, or lands. */
bool	rooms_listed(const struct rooms *rs, const struct room *r);

/*
 * Whether a gives way before b at --max-rooms: what keeps nothing first,
 * the oldest; then the one empty the longest, the older first.
 */
bool	rooms_evict_before(const struct room *a, const struct room *b);

/*
 * Whether list which of rs is sound: its links agree both ways, its
 * count is its length, each room on it says so and is a room of rs
 * (found by its name). O(rooms on it); for the tests' checks.
 */
bool	rooms_list_sound(const struct rooms *rs, enum rooms_list which);

/*
 * What decides whether r may give way, and when, is to be forgotten at
 * the next rooms_sweep(), or is visited by each loop pass, changed: its
 * refs, reading, waiting, topic or history (who changes one calls this,
 * after). O(log rooms). A room on its own (no reg) is left alone.
 */
void	rooms_update(struct room *r);

/* Every room's clock (see room_set_clock()). */
void	rooms_set_clock(struct rooms *rs, const char stamp[RLOG_STAMP]);

/*
 * After a loop pass: forget the rooms nobody holds that keep nothing, and
 * take off the busy list those nobody holds, reads or waits for any
 * more. O(those forgotten plus the busy ones).
 */
void	rooms_sweep(struct rooms *rs);

/*
 * The (at most max) rooms with the most members, most first, the older
 * first among equals, into out. Returns how many. For /metrics, whose
 * label count must stay bounded.
 */
size_t	rooms_top(const struct rooms *rs, const struct room **out,
	    size_t max);

/* Members in all rooms. */
size_t	rooms_members(const struct rooms *rs);

/*
 * The nick index: c (a member just linked, or renamed) is found under
 * its nick from now on; c is no longer (it is unlinked, or about to be
 * renamed). rooms_nick() gives the member called nick[0..len) (any
 * case) in *cp, or NULL; it returns false when there is no index (out of
 * memory), and the caller walks the members instead.
 */
void	rooms_name(struct rooms *rs, struct client *c);
void	rooms_unname(struct rooms *rs, struct client *c);
bool	rooms_nick(const struct rooms *rs, const char *nick, size_t len,
	    struct client **cp);

/* Free every room (their members are gone or going with them). */
void	rooms_free(struct rooms *rs);

#endif /* LOBBY_ROOM_H */
