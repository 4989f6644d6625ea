/* cluster: rooms served by several lobbyd: room events as stream entries. */
#ifndef LOBBY_CLUSTER_H
#define LOBBY_CLUSTER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "accounts.h"
#include "buf.h"
#include "client.h"
#include "rlog.h"

/*
 * With --redis, the room's events do not go from one member straight to
 * the others: the room hands each one (join, leave, chat, /me, /msg, nick)
 * to the cluster, which publishes it through the I/O side (credis.c, on
 * Redis Streams), and every instance applies the entries it reads back,
 * in the stream's order, to its own members. The stream's order is then
 * the room's one global order everywhere; a member is never sent its own
 * lines back.
 *
 * This half makes no system calls: it decides what to publish and what an
 * entry means for the local members. The I/O half is reached through
 * struct cluster_ops, which lets the unit tests stand in for Redis.
 */

struct room;

#define CLUSTER_ROOM_MAX	32	/* --room: 1-32 of A-Za-z0-9_- */
#define CLUSTER_DEFAULT_ROOM	"lobby"	/* --room when not given */
#define CLUSTER_INST_LEN	16	/* hex digits of an instance id */
#define CLUSTER_KEY_MAX		(CLUSTER_INST_LEN + 12) /* "INST:CID" */
#define CLUSTER_ID_MAX		48	/* a stream ID, "MS-SEQ" */
#define CLUSTER_HOLD_MAX	65536	/* input held for one joiner, bytes */
/*
 * The most the link to Redis may hold before the members are no longer
 * read (cluster_backlogged()). Every chat line is one command of about
 * 1 KB (the script's keys and arguments): 4 MiB not yet written is some
 * thousands of them, many loop passes' worth while Redis answers, so
 * only a Redis that stopped taking commands reaches it; the output
 * buffer grows by doubling, so it costs 8 MiB at most, plus the commands
 * of the reads (SERVER_READ_MAX each, one per member) done in the pass it
 * was reached: a read of short lines is many commands. Each reply awaited
 * holds a callback here and its command in the kernel or in Redis: 16384
 * of them keeps that to a few MiB while still a deep pipeline. Members
 * are read again once both are down to half (no flapping at the edge).
 */
#define CLUSTER_BACKLOG_BYTES	(4u << 20)
#define CLUSTER_BACKLOG_REPLIES	16384

/* Whether name is a valid --room: 1-32 of A-Z a-z 0-9 _ -. */
bool	cluster_room_valid(const char *name);

/* The kinds of stream entries: one letter each, as stored in Redis. */
#define CLUSTER_JOIN	'j'	/* a member joined */
#define CLUSTER_LEAVE	'l'	/* a member left */
#define CLUSTER_CHAT	'c'	/* a chat line */
#define CLUSTER_ACTION	'a'	/* /me */
#define CLUSTER_PM	'p'	/* /msg, for one member */
#define CLUSTER_NICK	'n'	/* a nick change */
#define CLUSTER_GO	'g'	/* a member went to another room */
#define CLUSTER_TOPIC	'o'	/* a member set the room's topic */
/* Acts (accounts.h, struct acct_act), applied by every instance to its
 * own members: the member named is closed or muted where it is. */
#define CLUSTER_KICK	'K'	/* an operator kicked a member */
#define CLUSTER_BAN	'B'	/* an operator banned an account */
#define CLUSTER_BANADDR	'A'	/* an operator banned an address */
#define CLUSTER_MUTE	'M'	/* an operator muted a member */
#define CLUSTER_UNMUTE	'U'	/* an operator lifted a mute */
#define CLUSTER_LOGIN	'L'	/* a member logged in to an account: its
				   other sessions go */

/* One stream entry, parsed by the I/O side. Pointers are borrowed. */
struct cluster_entry {
	char		 id[CLUSTER_ID_MAX]; /* stream ID "MS-SEQ" */
	char		 stamp[RLOG_STAMP + 1]; /* when Redis took it, local
					   time "YYYY-MM-DD HH:MM" */
	int		 kind;		/* CLUSTER_* above */
	char		 nul;		/* the letter of a field but the text
					   whose value holds a NUL byte (its
					   C string ends there, the value does
					   not): the entry is dropped; or '\0' */
	const char	*member;	/* "INST:CID" of whom it is about; an
					   act: of who did it */
	const char	*nick;		/* its nick (NICK: the new one; LOGIN:
					   the account's) */
	const char	*old;		/* NICK: the old nick; an act: the
					   target's nick; else NULL */
	const char	*to;		/* PM: the recipient's "INST:CID"; an
					   act: the target's, or "" */
	const char	*text;		/* chat, /me, pm text; leave or act
					   reason; GO: the room; TOPIC: the
					   topic */
	size_t		 textlen;	/* bytes at text (text may be NULL) */
	unsigned long	 count;		/* JOIN: members online with it; an
					   act: its minutes */
	const char	*who;		/* an operator's act: its account */
	const char	*addr;		/* BANADDR: the address */
	const char	*place;		/* an act: the room its target is in,
					   where its notices go; or NULL */
	struct room	*room;		/* the local room whose stream it is
					   in; NULL: the landing room */
};

/*
 * The I/O side, as the cluster sees it. Each call publishes one event of
 * local member cid and returns 0, or -1 when it cannot be sent (the link
 * is down); answers come back through cluster_tell() and the entries
 * through cluster_apply().
 */
struct cluster_ops {
	/* Claim a guest nick for cid and publish its join. */
	int	(*join)(void *io, unsigned cid);
	/* Publish that cid left; reason may be NULL. */
	int	(*leave)(void *io, unsigned cid, const char *reason);
	/* Publish a chat line (CLUSTER_CHAT) or a /me (CLUSTER_ACTION). */
	int	(*say)(void *io, unsigned cid, int kind, const char *text,
		    size_t len);
	/* Publish a /msg to the member called to (any case). */
	int	(*msg)(void *io, unsigned cid, const char *to, size_t tolen,
		    const char *text, size_t len);
	/* Claim nick for cid and publish the change. */
	int	(*nick)(void *io, unsigned cid, const char *nick, size_t len);
	/* Ask for the room's members in join order, for cid. */
	int	(*who)(void *io, unsigned cid);
	/* Publish act a (its entry kind: CLUSTER_KICK...) of cid, whose
	 * target (but an address's) is resolved cluster-wide: a member
	 * nobody holds is answered CLUSTER_NOUSER (a ban goes out all the
	 * same). LOGIN: the member holding the account's nick is taken out
	 * of the room with the entry, leaving with a->reason. */
	int	(*act)(void *io, unsigned cid, int kind,
		    const struct acct_act *a);
	/* Move cid to the room called name (made if new, within the most
	 * rooms); with the room's last history chat lines in the answer
	 * when history > 0. */
	int	(*go)(void *io, unsigned cid, const char *name, size_t len,
		    size_t history);
	/* Set the topic of cid's room. */
	int	(*topic)(void *io, unsigned cid, const char *text, size_t len);
	/* Ask for the rooms, for cid. */
	int	(*rooms)(void *io, unsigned cid);
	/* What the link holds for Redis: bytes of commands not yet
	 * written, and replies awaited. NULL: nothing is ever held. */
	void	(*backlog)(void *io, size_t *bytes, size_t *replies);
};

/*
 * A connection waiting for its join entry to come back: a newcomer, or a
 * member on its way to another room (it stays in its room meanwhile); or
 * a member asking: a command of its, answered through Redis, is out
 * (/who, /rooms, /msg, /nick, /topic TEXT). Either way its later lines
 * are held until it is done, so that the answers to a member's commands
 * come in the order of its commands, as on one server.
 */
struct cluster_pending {
	struct client	*c;		/* the connection */
	struct room	*from;		/* a mover's or an asker's room; NULL:
					   a newcomer */
	struct room	*to;		/* where it goes, once known here (it
					   is then counted in to->waiting) */
	char		 name[CLUSTER_ROOM_MAX + 1]; /* a mover's room to be */
	bool		 asking;	/* an asker, not a mover */
	bool		 entry;		/* an asker whose answer is also an
					   entry of its own read back (/nick,
					   /topic TEXT) */
	bool		 arrived;	/* a mover is there (its join entry
					   came), or an asker's entry came;
					   its answer not yet */
	bool		 answered;	/* a mover's or an asker's answer
					   came, its entry not yet */
	char		 nick[PROTO_NICK_MAX + 1]; /* an asker's /nick: the
					   nick claimed, which no other member
					   here may claim meanwhile; or "";
					   a login's: the account's nick */
	bool		 login;		/* an asker whose login act is out:
					   its answer does or refuses the login
					   (accounts_login_answered()) */
	struct buf	 held;		/* its lines so far, each NUL-ended */
	bool		 dropped;	/* lines were dropped over the bound */
	struct cluster_pending *next;	/* the next one waiting */
};

/* A member that left while the link was down: published on return. */
struct cluster_gone {
	unsigned	 cid;		/* its connection number */
	char		*reason;	/* its leave reason, or NULL */
	struct cluster_gone *next;	/* the next one */
};

/* What Redis answered to an event of a local member. */
enum cluster_status {
	CLUSTER_OK,		/* done: its entry follows in the stream */
	CLUSTER_TAKEN,		/* /nick: detail is taken */
	CLUSTER_NOUSER,		/* /msg: nobody is called detail */
	CLUSTER_UNAVAILABLE,	/* not done: the room is unavailable */
	CLUSTER_RECOVERING,	/* not done: Redis lost the room a moment
				   ago, and its members are coming back */
	CLUSTER_UNKNOWN,	/* the link was lost before the answer:
				   done or not, nobody knows */
	CLUSTER_TOOMANY,	/* /join: --max-rooms rooms, none may go */
	CLUSTER_ALREADY		/* /join: it is in detail already */
};

struct cluster {
	struct room	*room;		/* the landing room; the others are in
					   its registry (room->reg), if any */
	const struct cluster_ops *ops;	/* the I/O side */
	void		*io;		/* its state, for ops */
	char		 inst[CLUSTER_INST_LEN + 1]; /* this instance's id */
	bool		 up;		/* the link to the room works */
	bool		 relink;	/* a local member was taken out of the
					   room while here, or moved in Redis
					   but not here: the I/O side
					   registers the members again */
	bool		 reread;	/* the rooms read changed: the I/O side
					   reads their streams anew */
	char		 lastid[CLUSTER_ID_MAX]; /* last entry applied */
	struct cluster_pending *pending; /* joiners, oldest first */
	/* The member whose login act Redis has just taken (0: none), and
	 * the account's nick: its claim of that nick, which follows, goes
	 * out though a member here holds the nick still (the act takes that
	 * member out of the room, and comes back first). */
	unsigned	 login;
	char		 login_nick[PROTO_NICK_MAX + 1];
	struct cluster_gone *gone;	/* leaves to publish on return */
	size_t		 max_line;	/* --max-line: longest entry text */
	char		*clean;		/* an entry's text, cleaned */
	size_t		 cleancap;	/* bytes allocated at clean */
	unsigned long	 dropped;	/* entries dropped as bad input */
	unsigned long	 applied;	/* entries applied, for the counters */
	bool		 backlogged;	/* over CLUSTER_BACKLOG_*, not yet
					   down to half */
};

/*
 * Set up cl for room r, with the I/O side ops/io (which may be set later,
 * before the first event). inst is this instance's id; entries whose text
 * is over max_line bytes are dropped. The history is the room's (its room
 * log): the entries fill it. Returns 0.
 */
int	cluster_init(struct cluster *cl, struct room *r, size_t max_line,
	    const char *inst);

/* The room backend that publishes through cl: room_set_backend(r,
 * &cluster_backend, cl). */
extern const struct room_backend cluster_backend;

/* Release what cl holds (not the clients). */
void	cluster_free(struct cluster *cl);

/* ---------------------------------------------------------------------
 * The backend's functions, called by the room (through cluster_backend)
 * ------------------------------------------------------------------- */

/*
 * A new connection: publish its join; it waits (its lines held) until its
 * join entry comes back. With the link down it is told
 * "!!! room unavailable, try again later" and flagged CLIENT_CLOSING.
 */
void	cluster_join(struct cluster *cl, struct client *c);

/*
 * c leaves (see room_leave()): it is out of the local room at once and its
 * leave is published, or remembered until the link is back.
 */
void	cluster_leave(struct cluster *cl, struct client *c,
	    const char *reason, const char *why);

/*
 * A line from c while it waits for its welcome, its move or the answer to
 * a command: held (returns true), to be run once that is done. Returns
 * false otherwise.
 */
bool	cluster_hold(struct cluster *cl, struct client *c, const char *text,
	    size_t len);

/* c says text (kind CLUSTER_CHAT or CLUSTER_ACTION). */
void	cluster_say(struct cluster *cl, struct client *c, int kind,
	    const char *text, size_t len);

/* c sends text to the member called to (checked cluster-wide). */
void	cluster_msg(struct cluster *cl, struct client *c, const char *to,
	    size_t tolen, const char *text, size_t len);

/*
 * c asks for nick (valid, not its own): claimed cluster-wide. A nick
 * another member here holds, or has a claim out for, is taken at once
 * ("!!! nick NICK is taken"), Redis not asked: a member here is called
 * by its nick until its own entry says otherwise, whatever Redis did
 * meanwhile, so no two members here are ever called alike. But for the
 * claim that follows c's login act (cluster_act()), whose member holding
 * the nick goes before the claim's entry comes.
 */
void	cluster_nick(struct cluster *cl, struct client *c, const char *nick,
	    size_t len);

/* c asks who is online, cluster-wide. */
void	cluster_who(struct cluster *cl, struct client *c);

/*
 * c did act a (accounts.c's publish hook): published, to be applied by
 * every instance to its own members when its entry comes back; returns
 * 0. With the link down, or the act refused when handed on, returns -1
 * and tells c nothing: the accounts answer it. A login's act is waited
 * for as a command is (c's later lines held): its answer
 * (cluster_answer()) goes to accounts_login_answered(), which does the
 * login or refuses it.
 */
int	cluster_act(struct cluster *cl, struct client *c,
	    const struct acct_act *a);
/* c goes to the room called name[0..len) (valid, not its own). */
void	cluster_go(struct cluster *cl, struct client *c, const char *name,
	    size_t len);

/* ---------------------------------------------------------------------
 * Called by the I/O side
 * ------------------------------------------------------------------- */

/*
 * Apply one entry read from the stream, in stream order: deliver it to
 * the local members it concerns (chat and /me into the room log's
 * history, stamped with the time Redis took them). An entry at or below
 * the last one applied is ignored. An entry is untrusted input: a nick
 * that breaks the nick rule, or a text over --max-line, drops it with one
 * log line; its text is cleaned as a member's line is (text_clean()). An
 * act is applied by accounts_apply(), which may refuse it (an operator
 * that is not one here): dropped the same way. So is one that would give
 * a member here the nick another member here holds (a rename; a
 * newcomer's join, which turns the newcomer away and publishes its
 * leave): no two members here are ever called alike.
 */
void	cluster_apply(struct cluster *cl, const struct cluster_entry *e);

/*
 * An entry read at start-up, older than any the members will see: only
 * put in the room's history (chat and /me, checked as by cluster_apply()),
 * and the position moves on.
 */
void	cluster_remember(struct cluster *cl, const struct cluster_entry *e);

/*
 * What Redis answered to local member cid's event (detail: the nick, for
 * CLUSTER_TAKEN and CLUSTER_NOUSER): it is told, if it is still here.
 * cluster_status() answers a chat line, a /me or an act, which nothing
 * waits for; cluster_answer() a command whose sender's later lines wait
 * for its answer (/msg, /nick, /topic TEXT, a login's act): they run
 * now, or, Redis having done it (/nick, /topic), once its entry came
 * back too. A login's act's answer is the accounts' to tell.
 */
void	cluster_status(struct cluster *cl, unsigned cid,
	    enum cluster_status st, const char *detail);
void	cluster_answer(struct cluster *cl, unsigned cid,
	    enum cluster_status st, const char *detail);

/*
 * The answer to local member cid's /who: the room's n nicks in join
 * order, checked against the nick rule; or n == 0 with nicks NULL when
 * Redis could not answer.
 */
void	cluster_who_reply(struct cluster *cl, unsigned cid,
	    const char *const *nicks, size_t n);

/*
 * The answer to local member cid's /join: st CLUSTER_OK with the join
 * entry's ID id, the room's topic ("" for none), its name as first
 * written, and (when asked for) its history: n chat entries, newest
 * first; else why not (detail: CLUSTER_ALREADY's room name).
 */
void	cluster_go_reply(struct cluster *cl, unsigned cid,
	    enum cluster_status st, const char *id, const char *topic,
	    const char *name, const struct cluster_entry *hist, size_t n);

/*
 * The answer to local member cid's /rooms: n rooms in order of creation,
 * names[i] with counts[i] members; names NULL when Redis could not answer.
 */
void	cluster_rooms_reply(struct cluster *cl, unsigned cid,
	    const char *const *names, const unsigned long *counts, size_t n);

/* The landing room's topic, as the I/O side found it ("": none). */
void	cluster_topic_is(struct cluster *cl, const char *topic);

/*
 * Redis lost the room's data: every other room's topic went with it (the
 * landing room's is the one hello found). A topic set since comes back
 * from the room's new stream, read again from its start.
 */
void	cluster_topics_lost(struct cluster *cl);

/*
 * Where the rooms read stand: the first read room after r (NULL: the
 * first), or NULL when there are no more. The landing room is always
 * read; another while it has members here or on their way.
 */
struct room	*cluster_next_read(const struct cluster *cl,
		    const struct room *r);

/* The last entry applied from room r's stream ("0-0" for none). */
char	*cluster_pos(struct cluster *cl, struct room *r);

/* The name of the room local member cid is in, or "" (not a member). */
const char	*cluster_room_of(const struct cluster *cl, unsigned cid);

/* cid's join could not be published: refuse the connection. */
void	cluster_refuse(struct cluster *cl, unsigned cid);

/*
 * cid was registered again under nick after the link came back, or after
 * the others took it out as lost (its own nick was taken meanwhile): it
 * is told so, and the other local members see the change. A nick another
 * member here holds is not taken (logged).
 */
void	cluster_renamed(struct cluster *cl, unsigned cid, const char *nick);

/* The link went down: tell the members, refuse events until it is back. */
void	cluster_down(struct cluster *cl);

/*
 * The link is back: tell the members; missed says entries were trimmed
 * from the stream before this instance could read them.
 */
void	cluster_up(struct cluster *cl, bool missed);

/* Forget the leaves remembered while the link was down (published). */
void	cluster_gone_clear(struct cluster *cl);

/*
 * The nick of local member cid, as this instance knows it, or "" when cid
 * is not a member (yet). The pointer is valid until the nick changes.
 */
const char	*cluster_nick_of(const struct cluster *cl, unsigned cid);

/*
 * Whether the link holds too much for Redis (CLUSTER_BACKLOG_*): the
 * members are then not read, their lines waiting in the kernel, until it
 * is down to half. A lost link holds nothing.
 */
bool	cluster_backlogged(struct cluster *cl);

/*
 * Whether the link to Redis is up: while it is not, nothing is published
 * (cluster_act() returns -1), and the accounts refuse an /unban too
 * (their linked() hook).
 */
bool	cluster_linked(const struct cluster *cl);

/* Whether key ("INST:CID") is a member of this instance; sets *cid. */
bool	cluster_key_local(const struct cluster *cl, const char *key,
	    unsigned *cid);

/* Compare two stream IDs "MS-SEQ": <0, 0, >0 like strcmp. */
int	cluster_id_cmp(const char *a, const char *b);

#endif /* LOBBY_CLUSTER_H */
