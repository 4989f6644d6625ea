/* accounts: registered nicks, logins, operators, kicks, bans and mutes. */
#ifndef LOBBY_ACCOUNTS_H
#define LOBBY_ACCOUNTS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "acctstore.h"
#include "client.h"
#include "cmdline.h"
#include "proto.h"

struct room;

/*
 * The commands' side of accounts, free of system calls like the room:
 * what is slow (hashing a password, the store) is a job handed to
 * submit() and answered later through accounts_done(), on the loop
 * thread. In lobbyd, submit() is the account worker's queue (acctwork.c);
 * in the unit tests, a fake that answers as the test says. The time comes
 * from clock() (Unix ms), timers from schedule(): nothing here reads a
 * clock or sleeps.
 *
 * What the loop needs without waiting is kept here, in memory: the
 * registered nicks (/nick must not wait for a hash to finish), the
 * bans (an address is refused at accept), the mutes and the failed
 * logins per address. The store is the truth: with Redis, sync jobs
 * bring what other instances changed, and a change made here that a
 * read may not hold yet is made again over it (struct acct_change).
 */

#define ACCT_PASS_MIN		8	/* bytes of a password, at least */
#define ACCT_PASS_MAX		128	/* and at most */
#define ACCT_QUEUE_MAX		8	/* password jobs waiting at once */
#define ACCT_FAILS_MAX		5	/* failed logins per address ... */
#define ACCT_FAILS_MS		60000	/* ... within this window */
#define ACCT_FAILS_ADDRS	4096	/* addresses remembered, at most */
#define ACCT_BAN_MINUTES	60	/* /ban without MINUTES */
#define ACCT_MUTE_MINUTES	60	/* /mute without MINUTES */
#define ACCT_MINUTES_MAX	5256000	/* ten years */
#define ACCT_ADDR_MAX		(ACCT_TARGET_MAX - 2) /* an address, NUL in */
#define ACCT_ACT_STORE_MS	10000	/* a ban from another instance's act
					   is kept over reads of the store
					   that lack it this long */

/* What a job asks of the store. */
enum acct_job_kind {
	ACCT_JOB_REGISTER,	/* hash pass, add nick */
	ACCT_JOB_LOGIN,		/* check pass against nick's hash, its ban */
	ACCT_JOB_BAN,		/* store ban */
	ACCT_JOB_UNBAN,		/* lift the ban on ban.target */
	ACCT_JOB_SYNC		/* read every key and ban (Redis: shared) */
};

/* How a job went. */
enum acct_status {
	ACCT_OK,		/* done; a login: the password matches */
	ACCT_NO,		/* register: taken; login: failed */
	ACCT_BANNED,		/* login: right password, banned account */
	ACCT_ERROR		/* the store failed (logged by the worker) */
};

/*
 * One job. accounts.c allocates it and frees it in accounts_done(); the
 * worker owns it in between and fills the results. The password is
 * wiped by whoever is done with it first, and again before the free.
 */
struct acct_job {
	enum acct_job_kind kind;	/* what to do */
	unsigned	 client;	/* id of the member who asked, or 0 */
	char		 nick[PROTO_NICK_MAX + 1]; /* register, login */
	char		 key[PROTO_NICK_MAX + 1]; /* nick in lower case */
	char		 pass[ACCT_PASS_MAX + 1]; /* register, login */
	size_t		 passlen;	/* bytes in pass */
	char		 addr[ACCT_ADDR_MAX]; /* login: where from */
	struct acct_ban	 ban;		/* ban; unban: ban.target */
	bool		 retime;	/* ban, a nick's: the bans that point
					   back to it take its until */
	int64_t		 now;		/* Unix ms when submitted */
	uint64_t	 gen;		/* sync: acc->gen when submitted */
	/* Results, the worker's to write. */
	enum acct_status status;	/* how it went */
	char		 err[ACCT_ERR_MAX]; /* the store's failure, or "" */
	char		 found[PROTO_NICK_MAX + 1]; /* login: nick as
					   registered */
	struct acct_ban	*bans;		/* sync: the bans (malloc'd) */
	size_t		 nbans;		/* how many */
	char		(*keys)[PROTO_NICK_MAX + 1]; /* sync: every key */
	size_t		 nkeys;		/* how many */
	char		(*keep)[ACCT_TARGET_MAX]; /* sync: nicks' bans come as
					   acts that the store may not hold
					   yet: the bans pointing back to
					   them stay (malloc'd) */
	size_t		 nkeep;		/* how many */
	struct acct_job	*next;		/* the worker's queue */
};

/*
 * What an operator did, or a login, as every instance applies it. With
 * one lobbyd the commands act at once; with --redis they are published
 * (publish() below: the cluster's stream) and each instance applies the
 * entry to its own members through accounts_apply(), so that only the
 * instance that holds a member closes or mutes it, and the notices come
 * from one place whichever way the act came.
 */
enum acct_act_kind {
	ACCT_ACT_KICK,		/* the member called target leaves, kicked */
	ACCT_ACT_BAN,		/* account target is banned; its member leaves */
	ACCT_ACT_BAN_ADDR,	/* address target is banned; its members leave */
	ACCT_ACT_MUTE,		/* the member called target is muted */
	ACCT_ACT_UNMUTE,	/* target is no longer muted */
	ACCT_ACT_LOGIN		/* a member logged in as account target: the
				   other sessions of that account go */
};

/* One act. Pointers are borrowed for the call. */
struct acct_act {
	enum acct_act_kind kind;	/* what was done */
	const char	*by;		/* the operator's nick (not LOGIN) */
	const char	*by_acct;	/* the operator's account (not LOGIN) */
	const char	*target;	/* a nick; BAN_ADDR: an address; LOGIN:
					   the account's nick */
	const char	*reason;	/* the operator's reason, may be "" */
	size_t		 rlen;		/* bytes at reason */
	long		 minutes;	/* BAN, BAN_ADDR, MUTE: 0 for until
					   lifted */
	bool		 held;		/* KICK, BAN, as applied: a member
					   somewhere is called target */
};

/*
 * A change to the bans here that a read of the store (a sync job) may not
 * hold: one made on this instance (a /ban, an /unban, the address of a
 * member banned by an act) while a read was out, which the worker did
 * before it stored the change (one queue, in order); or a ban come as an
 * act (--redis), which its operator's instance stores after it publishes
 * it, maybe after a read here. The read's answer replaces the cache,
 * then these are made again over it (accounts_done()).
 */
struct acct_change {
	uint64_t	 gen;		/* acc->gen after it was made */
	int64_t		 at;		/* Unix ms it was made */
	bool		 act;		/* came as an act: its operator's
					   instance stores it */
	bool		 lift;		/* ban.target lifted; else ban set */
	bool		 retime;	/* set: a nick's, whose bans pointing
					   back to it take its end */
	struct acct_ban	 ban;		/* the ban set, or the one lifted */
};

/* A member muted until a time. */
struct acct_mute {
	char		 key[PROTO_NICK_MAX + 1]; /* its nick, lower case */
	int64_t		 until;		/* Unix ms; 0: until unmuted */
};

/* Failed logins from one address. */
struct acct_fails {
	char		 addr[ACCT_ADDR_MAX]; /* the address */
	int64_t		 at[ACCT_FAILS_MAX]; /* Unix ms of the last ones */
	unsigned	 n;		/* how many of at[] are set */
	unsigned	 pending;	/* logins from there being checked */
};

/* A nick a member's /register is out for: nobody else may take it. */
struct acct_claim {
	unsigned	 client;	/* the member's id, or 0: unused */
	char		 key[PROTO_NICK_MAX + 1]; /* the nick, lower case */
};

struct accounts {
	bool		 on;		/* there is a store */
	const char *const *ops;		/* --op nicks */
	size_t		 nops;		/* how many */
	/* Hand a job to the worker: 0, or -1 when its queue is full. */
	int		(*submit)(void *arg, struct acct_job *j);
	void		*submit_arg;	/* for submit */
	/* Call accounts_tick() in ms milliseconds (sooner than planned). */
	void		(*schedule)(void *arg, int64_t ms);
	void		*schedule_arg;	/* for schedule */
	int64_t		(*clock)(void *arg); /* Unix ms now */
	void		*clock_arg;	/* for clock */
	/* With --redis: hand act a of member c to every instance
	 * (cluster_act()). Returns 0, or -1 when it could not (the link
	 * down), c told nothing: the caller answers it. A login's act
	 * handed on is answered later: the login is done, or refused, by
	 * accounts_login_answered(). NULL: one lobbyd, the act is applied
	 * here at once. */
	int		(*publish)(void *arg, struct client *c,
			    const struct acct_act *a);
	void		*publish_arg;	/* for publish */
	/* With --redis: whether the link to Redis is up (cluster_linked()).
	 * An /unban, which goes to the store and to no act, is refused
	 * while it is not, as the acts publish() refuses are. NULL: one
	 * lobbyd, no link to lose. */
	bool		(*linked)(void *arg);
	void		*linked_arg;	/* for linked */
	unsigned	 queued;	/* password jobs at the worker */
	struct acct_claim claims[ACCT_QUEUE_MAX]; /* their registers' nicks */
	bool		 syncing;	/* a sync job is at the worker */
	char		(*keys)[PROTO_NICK_MAX + 1]; /* registered nicks */
	size_t		 nkeys;		/* how many */
	size_t		 capkeys;	/* allocated */
	struct acct_ban	*bans;		/* running bans, in the order they
					   were made, as the store lists
					   them (one set again: last) */
	size_t		 nbans;		/* how many */
	size_t		 capbans;	/* allocated */
	uint64_t	 gen;		/* changes to the bans made here */
	struct acct_change *changes;	/* those a read may not hold, oldest
					   first, one per target */
	size_t		 nchanges;	/* how many */
	size_t		 capchanges;	/* allocated */
	struct acct_mute *mutes;	/* mutes */
	size_t		 nmutes;	/* how many */
	size_t		 capmutes;	/* allocated */
	struct acct_fails *fails;	/* failed logins by address */
	size_t		 nfails;	/* how many */
	size_t		 capfails;	/* allocated */
};

/*
 * Set up acc: on when there is a store; ops the --op nicks (kept, not
 * copied). Set the hooks after. Returns 0.
 */
int	accounts_init(struct accounts *acc, bool on, const char *const *ops,
	    size_t nops);

/* Free what acc holds (not the jobs at the worker: accounts_done()). */
void	accounts_free(struct accounts *acc);

/* Note key (lower case) as registered: at start, from the store. */
int	accounts_add_key(struct accounts *acc, const char *key);

/* Note a running ban, made now (one on the same target goes: this one
 * is last in /bans), or at start and at a sync, from the store's list. */
int	accounts_add_ban(struct accounts *acc, const struct acct_ban *b);

/*
 * The one dispatch for the account commands (/register, /login, /kick,
 * /ban, /unban, /bans, /mute, /unmute) from member c of room r, acc NULL
 * when accounts are off. Returns true when cl was one of them (run, its
 * answers queued for c), false to let the other commands try.
 */
bool	accounts_command(struct accounts *acc, struct room *r,
	    struct client *c, const struct cmdline *cl);

/*
 * Whether c may take nick (valid, not its own): false after telling c
 * "!!! nick NICK is registered: ..." (or that it is muted).
 */
bool	accounts_nick_ok(struct accounts *acc, struct room *r,
	    struct client *c, const char *nick, size_t len);

/* True when nobody is muted: every member may speak. */
bool	accounts_none_muted(const struct accounts *acc);

/* Whether c is muted now (nothing is said to it). */
bool	accounts_muted(struct accounts *acc, const struct client *c);

/* Whether c may speak (chat, /me): false after "!!! you are muted". */
bool	accounts_say_ok(struct accounts *acc, struct room *r,
	    struct client *c);

/*
 * A connection c (not a member yet) at accept: true when its address is
 * banned, after telling it "!!! you are banned: REASON" and dropping it
 * (room_drop()): the caller must not join it then.
 */
bool	accounts_refuse(struct accounts *acc, struct room *r,
	    struct client *c);

/* Whether the clean line s[0..n) is a /register or /login: it holds a
 * password, which the caller wipes once the line is handled. */
bool	accounts_secret_line(const char *s, size_t n);

/* The /help lines an operator gets besides everyone's; NULL-ended. */
const char *const *accounts_help(struct accounts *acc,
		    const struct client *c);

/*
 * A job came back from the worker: apply its results (to its member, if
 * still there), then wipe and free it.
 */
void	accounts_done(struct accounts *acc, struct room *r,
	    struct acct_job *j);

/*
 * The timer: lift the bans and mutes run out (a mute's member is told).
 * Returns ms until the next one runs out, or -1 when none is pending.
 */
int64_t	accounts_tick(struct accounts *acc, struct room *r);

/* Ask for a sync job (with Redis, every few seconds): 0, or -1. */
int	accounts_sync(struct accounts *acc);

/*
 * Apply act a, as published by an instance (--redis), to the members of
 * this one, whose rooms r leads to (and whose log r has): t is the local
 * member it names (KICK, BAN, MUTE: the one Redis found under that nick;
 * LOGIN: the one that held the account's nick), self the local member
 * who did it; either may be NULL. shown is the local room whose members
 * see a mute's or an unmute's notice (the target's), or NULL for none
 * here. Every instance notes bans and mutes; only the one holding a
 * member tells it and closes it; the room is told on every instance. An
 * act is untrusted input: one whose operator is not an --op here, whose
 * target is not a nick (or an address), or whose minutes are out of
 * range changes nothing. Returns NULL, or why it was refused (for the
 * caller's log line).
 */
const char	*accounts_apply(struct accounts *acc, struct room *r,
		    struct room *shown, const struct acct_act *a,
		    struct client *t, struct client *self);

/*
 * With --redis: Redis answered the act of member c's login to the
 * account called found, handed on by publish(): why is NULL when it
 * took it (the account's older session elsewhere is on its way out),
 * and the login is done here (c renamed and told), but for a ban of the
 * account or a mute of c come meanwhile; else why the act failed (an
 * error answer, or the link lost before the answer: the older session
 * may stay), and the login is refused as with the link down ("!!! room
 * unavailable, try again later"), c left as it was.
 */
void	accounts_login_answered(struct accounts *acc, struct room *r,
	    struct client *c, const char *found, const char *why);

/*
 * Whether c is an operator: logged in as one of the --op nicks.
 */
bool	accounts_is_op(const struct accounts *acc, const struct client *c);

/*
 * The address part of a peer name as conn.c logs it ("1.2.3.4:5678",
 * "[::1]:5678") into out, in the canonical text net_host_canon() writes
 * ("[::ffff:1.2.3.4]:5678" gives "1.2.3.4"): "" for a Unix-socket peer.
 */
void	accounts_addr(const char *peer, char out[ACCT_ADDR_MAX]);

#endif /* LOBBY_ACCOUNTS_H */
