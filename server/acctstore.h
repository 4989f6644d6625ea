/* acctstore: where accounts and bans are kept: one interface, two stores. */
#ifndef LOBBY_ACCTSTORE_H
#define LOBBY_ACCTSTORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "proto.h"

/*
 * The account store is a table of functions, as a room backend is
 * (room.h): SQLite (acctstore_sqlite.c, --accounts PATH) and Redis
 * (acctstore_redis.c, --redis) answer the same calls, so the commands
 * have one path. Every call may block on the disk or the network: they
 * run on the account worker's thread (acctwork.c), and on the loop
 * thread only at start, before anyone is served. One thread at a time.
 *
 * Keys are nicks in lower case (nicks are unique ignoring case); a ban's
 * target is "n:" and a key (an account) or "a:" and an address.
 */

#define ACCT_HASH_MAX	128	/* crypto_pwhash_STRBYTES, NUL included */
#define ACCT_TARGET_MAX	64	/* "a:" + an IPv6 address, NUL included */
#define ACCT_REASON_MAX	200	/* bytes of a ban's reason kept */
#define ACCT_ERR_MAX	256	/* an error's words */

/* One ban. */
struct acct_ban {
	char		 target[ACCT_TARGET_MAX]; /* "n:KEY" or "a:ADDRESS" */
	int64_t		 until;		/* Unix ms it ends; 0: until unbanned */
	char		 by[PROTO_NICK_MAX + 1]; /* the operator */
	char		 also[ACCT_TARGET_MAX]; /* the ban lifted with this
					   one (a nick's address), or "" */
	char		 reason[ACCT_REASON_MAX + 1]; /* may be "" */
};

struct acct_store;

/* Called with each registered key by keys(). */
typedef void (*acct_key_fn)(void *arg, const char *key);
/* Called with each ban by ban_list(). */
typedef void (*acct_ban_fn)(void *arg, const struct acct_ban *b);

/*
 * The calls. Each returns -1 on a failure of the store itself, with its
 * words in st->err; other answers as said.
 */
struct acct_store_ops {
	const char	*name;		/* for the log: "sqlite", "redis" */
	/* The account key: 1 with its nick as registered and its hash, 0 if
	 * there is none. */
	int	(*get)(struct acct_store *st, const char *key,
		    char nick[PROTO_NICK_MAX + 1], char hash[ACCT_HASH_MAX]);
	/* Register key as nick with hash: 0, or 1 when key is taken. */
	int	(*add)(struct acct_store *st, const char *key,
		    const char *nick, const char *hash);
	/* Call fn for every registered key: 0. */
	int	(*keys)(struct acct_store *st, acct_key_fn fn, void *arg);
	/* Add or replace the ban on b->target, made now (one replaced is
	 * a new ban: last in ban_list()'s order): 0. */
	int	(*ban_put)(struct acct_store *st, const struct acct_ban *b);
	/* The ban on target, if there is one, ends at until from now on;
	 * all else of it stays, when it was made too (its place in
	 * ban_list()'s order): 1, or 0 when there is none. In one step:
	 * a ban lifted or set again meanwhile (by another instance, on
	 * Redis) stays as that left it, and gives 0. */
	int	(*ban_retime)(struct acct_store *st, const char *target,
		    int64_t until);
	/* Lift the ban on target: 1, or 0 when there was none. */
	int	(*ban_del)(struct acct_store *st, const char *target);
	/* The ban on target still running at Unix ms now: 1 (in *b), or 0. */
	int	(*ban_get)(struct acct_store *st, const char *target,
		    int64_t now, struct acct_ban *b);
	/* Call fn for every ban still running at Unix ms now, in the
	 * order they were made (ban_put()), as the cache keeps them and
	 * /bans lists them; those run out are deleted (one set again
	 * meanwhile stays): 0. */
	int	(*ban_list)(struct acct_store *st, int64_t now, acct_ban_fn fn,
		    void *arg);
	/* Close the store and free it. */
	void	(*free)(struct acct_store *st);
};

/* What every store starts with. */
struct acct_store {
	const struct acct_store_ops *ops; /* its functions */
	char		 err[ACCT_ERR_MAX]; /* the last failure, in words */
};

/*
 * Open (creating it if absent) the SQLite database at path ("" or
 * ":memory:" for one in memory, for tests): WAL mode, its schema brought
 * to the current version. Returns the store, or NULL with the reason in
 * err (a file that is not a database, a newer schema, one that cannot
 * be written).
 */
struct acct_store	*acctstore_sqlite_open(const char *path, char *err,
			    size_t errlen);

/*
 * The Redis store talks through io: one command as argv, one reply, as
 * hiredis's redisCommandArgv() does on a blocking context. The real
 * one is acctstore_redis_connect()'s; a test passes a fake.
 */
struct redisReply;
struct acct_redis_io {
	struct redisReply *(*command)(void *ctx, int argc, const char **argv,
			    const size_t *lens); /* NULL: the link failed */
	void		(*free_reply)(struct redisReply *reply);
	void		(*free)(void *ctx);	/* closes ctx */
	void		*ctx;			/* the connection */
};

/* The Redis store over io (taken over: freed by the store's free()). */
struct acct_store	*acctstore_redis_new(const struct acct_redis_io *io);

/*
 * Connect to the Redis at addr (HOST:PORT, [V6]:PORT or unix:PATH) with
 * a blocking hiredis context and make the store over it. Returns NULL
 * with the reason in err.
 */
struct acct_store	*acctstore_redis_connect(const char *addr, char *err,
			    size_t errlen);

/* Unix ms a ban's "until" field means "never ends". */
#define ACCT_FOREVER	0

/* Whether ban b is still running at Unix ms now. */
static inline bool
acct_ban_running(const struct acct_ban *b, int64_t now)
{
	return b->until == ACCT_FOREVER || b->until > now;
}

#endif /* LOBBY_ACCTSTORE_H */
