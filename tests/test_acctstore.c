/* test_acctstore: both account stores: SQLite, Redis faked, a real Redis. */
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <hiredis/hiredis.h>
#include <sqlite3.h>

#include "acctstore.h"
#include "acctwork.h"
#include "which.h"

/*
 * The same tests run on each store: the SQLite one on a database in
 * memory (and, for what only a file shows, one in a temporary folder),
 * the Redis one over a fake that keeps hashes in memory and answers
 * HGET, HSET, HSETNX, HDEL, HKEYS and HGETALL as Redis does, and the
 * store's scripts (EVAL, known by their first line) as they do; and over
 * a real redis-server of the test's own when one is installed (what the
 * scripts do on Redis itself). The fake also lets a test plant what a
 * hostile Redis could hold or answer. On either Redis, a test may plan
 * another instance's change to a ban just before the store's next write
 * to it (struct race).
 */

/* ---------------------------------------------------------------------
 * The fake Redis
 * ------------------------------------------------------------------- */

#define FR_MAX	64

struct fr_field {
	char	*hash;		/* the key of the hash */
	char	*field;		/* the field */
	char	*value;		/* its value */
	long	 place;		/* a ban's place in the bans' order (the
				   scripts' sorted set), 0: none yet */
};

/*
 * Another instance's change to a ban, made just before the store's next
 * command that writes to it (names it, and is no HGET): the window
 * between the store's read of a ban and its write.
 */
struct race {
	char	 target[ACCT_TARGET_MAX]; /* the ban, or "": none planned */
	char	 value[256];	/* set it to this (a /ban there), or "":
				   lift it (an /unban there) */
	bool	 done;		/* it happened */
};

struct fake_redis {
	struct fr_field	 f[FR_MAX];	/* every field of every hash, in
					   the order they came */
	size_t		 n;		/* how many */
	long		 last;		/* the greatest place given */
	bool		 down;		/* the link fails */
	redisReply	*answer;	/* the next EVAL's answer, if set */
	struct race	 race;		/* planned by the test */
};

static redisReply *
fr_reply(int type)
{
	redisReply *r = calloc(1, sizeof *r);

	assert_non_null(r);
	r->type = type;
	return r;
}

static redisReply *
fr_string(const char *s)
{
	redisReply *r = fr_reply(REDIS_REPLY_STRING);

	r->str = strdup(s);
	r->len = strlen(s);
	return r;
}

static redisReply *
fr_int(long long v)
{
	redisReply *r = fr_reply(REDIS_REPLY_INTEGER);

	r->integer = v;
	return r;
}

static void
fr_free_reply(redisReply *r)
{
	size_t i;

	for (i = 0; i < r->elements; i++)
		fr_free_reply(r->element[i]);
	free(r->element);
	free(r->str);
	free(r);
}

/* Append e to the array reply a. */
static void
fr_push(redisReply *a, redisReply *e)
{
	a->element = realloc(a->element, (a->elements + 1) *
	    sizeof a->element[0]);
	assert_non_null(a->element);
	a->element[a->elements++] = e;
}

static struct fr_field *
fr_find(struct fake_redis *fr, const char *hash, const char *field)
{
	size_t i;

	for (i = 0; i < fr->n; i++)
		if (strcmp(fr->f[i].hash, hash) == 0 &&
		    strcmp(fr->f[i].field, field) == 0)
			return &fr->f[i];
	return NULL;
}

/* Set hash field to value, as HSET does. */
static void
fr_set(struct fake_redis *fr, const char *hash, const char *field,
    const char *value)
{
	struct fr_field *e = fr_find(fr, hash, field);

	if (e == NULL) {
		assert_true(fr->n < FR_MAX);
		e = &fr->f[fr->n++];
		e->hash = strdup(hash);
		e->field = strdup(field);
	} else
		free(e->value);
	e->value = strdup(value);
}

static void
fr_del(struct fake_redis *fr, struct fr_field *e)
{
	free(e->hash);
	free(e->field);
	free(e->value);
	/* The others keep their order, as in a small Redis hash. */
	memmove(e, e + 1, (size_t)(&fr->f[--fr->n] - e) * sizeof *e);
}

/* Whether command argv is a write that races.target plans to precede. */
static bool
race_due(const struct race *rc, int argc, const char **argv)
{
	int i;

	if (rc->target[0] == '\0' || rc->done || strcmp(argv[0], "HGET") == 0)
		return false;
	for (i = 1; i < argc; i++)
		if (strcmp(argv[i], rc->target) == 0)
			return true;
	return false;
}

/* Whether ban value v ("UNTIL BY ALSO REASON") is lifted with target. */
static bool
fr_also(const char *v, const char *target)
{
	size_t n = strlen(target);

	if ((v = strchr(v, ' ')) == NULL || (v = strchr(v + 1, ' ')) == NULL)
		return false;
	return strncmp(v + 1, target, n) == 0 && (v[1 + n] == ' ' ||
	    v[1 + n] == '\0');
}

/*
 * The store's scripts, as they behave on Redis: KEYS the bans' hash and
 * (but for ban_retime) their order, kept here as each field's place.
 */
static redisReply *
fr_eval(struct fake_redis *fr, int argc, const char **argv)
{
	const char *script = argv[1], *bans = argv[3], **av;
	struct fr_field *e, *by[FR_MAX];
	redisReply *r;
	size_t i, k, nb = 0;
	int nk = atoi(argv[2]), ac;

	if (fr->answer != NULL) {
		r = fr->answer;
		fr->answer = NULL;
		return r;
	}
	av = argv + 3 + nk;
	ac = argc - 3 - nk;
	if (strncmp(script, "-- ban_put:", 11) == 0 && ac == 2) {
		long at = 0;

		/* A nick's new ban: before those stored with it (ALSO it,
		 * the value's third word), those after move one on. */
		if (strncmp(av[0], "n:", 2) == 0 &&
		    fr_find(fr, bans, av[0]) == NULL)
			for (i = 0; i < fr->n; i++) {
				e = &fr->f[i];
				if (strcmp(e->hash, bans) == 0 &&
				    e->place > 0 && (at == 0 ||
				    e->place < at) && fr_also(e->value, av[0]))
					at = e->place;
			}
		if (at > 0) {
			for (i = 0; i < fr->n; i++)
				if (strcmp(fr->f[i].hash, bans) == 0 &&
				    fr->f[i].place >= at)
					fr->f[i].place++;
			fr->last++;
		} else
			at = ++fr->last;
		fr_set(fr, bans, av[0], av[1]);
		fr_find(fr, bans, av[0])->place = at;
		return fr_int(1);
	}
	if (strncmp(script, "-- ban_retime:", 14) == 0 && ac == 3) {
		e = fr_find(fr, bans, av[0]);
		if (e == NULL || strcmp(e->value, av[1]) != 0)
			return fr_int(0);
		free(e->value);
		e->value = strdup(av[2]);
		return fr_int(1);
	}
	if (strncmp(script, "-- ban_del:", 11) == 0 && (ac == 1 || ac == 2)) {
		e = fr_find(fr, bans, av[0]);
		if (e == NULL || (ac == 2 && strcmp(e->value, av[1]) != 0))
			return fr_int(0);
		fr_del(fr, e);
		return fr_int(1);
	}
	if (strncmp(script, "-- ban_list:", 12) == 0 && ac == 0) {
		/* A ban with no place (planted) gets the next, in the hash's
		 * order; then every ban by its place. */
		for (i = 0; i < fr->n; i++)
			if (strcmp(fr->f[i].hash, bans) == 0) {
				if (fr->f[i].place == 0)
					fr->f[i].place = ++fr->last;
				by[nb++] = &fr->f[i];
			}
		r = fr_reply(REDIS_REPLY_ARRAY);
		for (k = 0; k < nb; k++) {
			e = NULL;
			for (i = 0; i < nb; i++)
				if (by[i] != NULL && (e == NULL ||
				    by[i]->place < e->place))
					e = by[i];
			for (i = 0; by[i] != e; i++)
				;
			by[i] = NULL;
			fr_push(r, fr_string(e->field));
			fr_push(r, fr_string(e->value));
		}
		return r;
	}
	r = fr_reply(REDIS_REPLY_ERROR);
	r->str = strdup("ERR unknown script");
	r->len = strlen(r->str);
	return r;
}

static redisReply *
fr_command(void *ctx, int argc, const char **argv, const size_t *lens)
{
	struct fake_redis *fr = ctx;
	struct fr_field *e;
	redisReply *r;
	size_t i;

	(void)lens;
	if (fr->down)
		return NULL;
	if (race_due(&fr->race, argc, argv)) {
		fr->race.done = true;
		if ((e = fr_find(fr, "lobby:bans", fr->race.target)) != NULL)
			fr_del(fr, e);
		if (fr->race.value[0] != '\0') {
			fr_set(fr, "lobby:bans", fr->race.target,
			    fr->race.value);
			fr_find(fr, "lobby:bans", fr->race.target)->place =
			    ++fr->last;
		}
	}
	if (strcmp(argv[0], "EVAL") == 0 && argc >= 4)
		return fr_eval(fr, argc, argv);
	if (strcmp(argv[0], "HGET") == 0 && argc == 3) {
		e = fr_find(fr, argv[1], argv[2]);
		return e != NULL ? fr_string(e->value) :
		    fr_reply(REDIS_REPLY_NIL);
	}
	if (strcmp(argv[0], "HSETNX") == 0 && argc == 4) {
		if (fr_find(fr, argv[1], argv[2]) != NULL)
			return fr_int(0);
		fr_set(fr, argv[1], argv[2], argv[3]);
		return fr_int(1);
	}
	if (strcmp(argv[0], "HSET") == 0 && argc == 4) {
		r = fr_int(fr_find(fr, argv[1], argv[2]) == NULL);
		fr_set(fr, argv[1], argv[2], argv[3]);
		return r;
	}
	if (strcmp(argv[0], "HDEL") == 0 && argc == 3) {
		if ((e = fr_find(fr, argv[1], argv[2])) == NULL)
			return fr_int(0);
		fr_del(fr, e);
		return fr_int(1);
	}
	if ((strcmp(argv[0], "HKEYS") == 0 || strcmp(argv[0], "HGETALL") ==
	    0) && argc == 2) {
		r = fr_reply(REDIS_REPLY_ARRAY);
		for (i = 0; i < fr->n; i++) {
			if (strcmp(fr->f[i].hash, argv[1]) != 0)
				continue;
			fr_push(r, fr_string(fr->f[i].field));
			if (argv[0][1] == 'G')
				fr_push(r, fr_string(fr->f[i].value));
		}
		return r;
	}
	r = fr_reply(REDIS_REPLY_ERROR);
	r->str = strdup("ERR unknown command");
	r->len = strlen(r->str);
	return r;
}

static void
fr_free(void *ctx)
{
	struct fake_redis *fr = ctx;

	while (fr->n > 0)
		fr_del(fr, &fr->f[0]);
	if (fr->answer != NULL)
		fr_free_reply(fr->answer);
	free(fr);
}

/* ---------------------------------------------------------------------
 * A real redis-server of the test's own
 * ------------------------------------------------------------------- */

#define RR_WAIT_MS	5000	/* bound on redis-server's start */

struct real_redis {
	pid_t		 pid;		/* the redis-server, or -1 */
	char		 dir[64];	/* its temporary folder */
	char		 sock[128];	/* its Unix socket there */
	redisContext	*c;		/* the store's connection */
	redisContext	*side;		/* another instance's, for races */
	struct race	 race;		/* planned by the test */
};

/* The io's command: the planned race first, on the other connection. */
static redisReply *
rr_command(void *ctx, int argc, const char **argv, const size_t *lens)
{
	struct real_redis *rr = ctx;
	redisReply *r;

	if (race_due(&rr->race, argc, argv)) {
		rr->race.done = true;
		r = rr->race.value[0] != '\0' ? redisCommand(rr->side,
		    "HSET lobby:bans %s %s", rr->race.target,
		    rr->race.value) : redisCommand(rr->side,
		    "HDEL lobby:bans %s", rr->race.target);
		assert_non_null(r);
		assert_int_equal(r->type, REDIS_REPLY_INTEGER);
		freeReplyObject(r);
	}
	return redisCommandArgv(rr->c, argc, argv, lens);
}

static void
rr_free_reply(redisReply *r)
{
	freeReplyObject(r);
}

/* The store is done with its connection; the server stays until the
 * teardown. */
static void
rr_free_ctx(void *ctx)
{
	struct real_redis *rr = ctx;

	redisFree(rr->c);
	rr->c = NULL;
}

/* A connection to rr's socket, tried for up to RR_WAIT_MS; NULL if none. */
static redisContext *
rr_connect(const struct real_redis *rr)
{
	struct timespec ts = { 0, 20 * 1000000L };
	redisContext *c;
	int i;

	for (i = 0; i < RR_WAIT_MS / 20; i++) {
		if ((c = redisConnectUnix(rr->sock)) != NULL && c->err == 0)
			return c;
		if (c != NULL)
			redisFree(c);
		nanosleep(&ts, NULL);
	}
	return NULL;
}

/* Stop rr's server, reap it and remove its folder; free rr. */
static void
rr_stop(struct real_redis *rr)
{
	char p[160];
	int st;

	if (rr->c != NULL)
		redisFree(rr->c);
	if (rr->side != NULL)
		redisFree(rr->side);
	if (rr->pid > 0) {
		kill(rr->pid, SIGKILL);
		waitpid(rr->pid, &st, 0);
	}
	unlink(rr->sock);
	snprintf(p, sizeof p, "%s/redis.log", rr->dir);
	unlink(p);
	rmdir(rr->dir);
	free(rr);
}

/*
 * Start a redis-server on a Unix socket in a temporary folder (no TCP
 * port, no persistence) and connect to it twice. Returns it, or NULL
 * when redis-server is not installed.
 */
static struct real_redis *
rr_start(void)
{
	struct real_redis *rr;
	char bin[512], log[160];

	if (!t_which("redis-server", bin, sizeof bin))
		return NULL;
	assert_non_null(rr = calloc(1, sizeof *rr));
	rr->pid = -1;
	snprintf(rr->dir, sizeof rr->dir, "/tmp/lobby-acctstore-XXXXXX");
	assert_non_null(mkdtemp(rr->dir));
	snprintf(rr->sock, sizeof rr->sock, "%s/redis.sock", rr->dir);
	snprintf(log, sizeof log, "%s/redis.log", rr->dir);
	fflush(NULL);
	if ((rr->pid = fork()) == 0) {
		execl(bin, bin, "--port", "0", "--unixsocket", rr->sock,
		    "--unixsocketperm", "700", "--save", "", "--appendonly",
		    "no", "--dir", rr->dir, "--logfile", log, (char *)NULL);
		_exit(127);
	}
	assert_true(rr->pid > 0);
	rr->c = rr_connect(rr);
	rr->side = rr_connect(rr);
	if (rr->c == NULL || rr->side == NULL) {
		rr_stop(rr);
		fail_msg("redis-server did not answer on its socket");
	}
	return rr;
}

/* ---------------------------------------------------------------------
 * The fixture: one store of each kind
 * ------------------------------------------------------------------- */

struct st {
	struct acct_store *s;		/* under test, or NULL: skipped */
	struct fake_redis *fr;		/* for the faked Redis, else NULL */
	struct real_redis *rr;		/* for the real one, else NULL */
};

static int
setup_sqlite(void **state)
{
	struct st *t = calloc(1, sizeof *t);
	char err[256];

	if (t == NULL)
		return -1;
	t->s = acctstore_sqlite_open(":memory:", err, sizeof err);
	if (t->s == NULL) {
		print_error("sqlite: %s\n", err);
		free(t);
		return -1;
	}
	*state = t;
	return 0;
}

static int
setup_redis(void **state)
{
	struct st *t = calloc(1, sizeof *t);
	struct acct_redis_io io;

	if (t == NULL || (t->fr = calloc(1, sizeof *t->fr)) == NULL)
		return -1;
	io.command = fr_command;
	io.free_reply = fr_free_reply;
	io.free = fr_free;
	io.ctx = t->fr;
	if ((t->s = acctstore_redis_new(&io)) == NULL)
		return -1;
	*state = t;
	return 0;
}

/* The Redis store on a real redis-server; no store (the test skipped)
 * without one. */
static int
setup_real(void **state)
{
	struct st *t = calloc(1, sizeof *t);
	struct acct_redis_io io;

	if (t == NULL)
		return -1;
	*state = t;
	if ((t->rr = rr_start()) == NULL)
		return 0;
	io.command = rr_command;
	io.free_reply = rr_free_reply;
	io.free = rr_free_ctx;
	io.ctx = t->rr;
	if ((t->s = acctstore_redis_new(&io)) == NULL)
		return -1;
	return 0;
}

static int
teardown(void **state)
{
	struct st *t = *state;

	if (t->s != NULL)
		t->s->ops->free(t->s);
	if (t->rr != NULL)
		rr_stop(t->rr);
	free(t);
	return 0;
}

/* The store under test; the test is skipped when there is none (no
 * redis-server installed). */
static struct acct_store *
store(void **state)
{
	struct st *t = *state;

	if (t->s == NULL) {
		print_message("redis-server not found\n");
		skip();
	}
	return t->s;
}

/* The race a test may plan on its Redis (faked or real). */
static struct race *
race_of(struct st *t)
{
	return t->fr != NULL ? &t->fr->race : &t->rr->race;
}

/* Collect what keys() and ban_list() give. */
struct seen {
	char	 keys[512];	/* "key " each */
	struct acct_ban bans[8]; /* the bans */
	size_t	 nbans;		/* how many */
};

static void
seen_key(void *arg, const char *key)
{
	struct seen *s = arg;

	strcat(s->keys, key);
	strcat(s->keys, " ");
}

static void
seen_ban(void *arg, const struct acct_ban *b)
{
	struct seen *s = arg;

	assert_true(s->nbans < 8);
	s->bans[s->nbans++] = *b;
}

/*
 * ban_list() at now into *seen, cleared first: it gives the bans named in
 * order (their targets, space-separated), in that order and no others.
 */
static void
list_bans(struct acct_store *s, int64_t now, struct seen *seen,
    const char *order)
{
	char got[512] = "";
	size_t i;

	memset(seen, 0, sizeof *seen);
	assert_int_equal(s->ops->ban_list(s, now, seen_ban, seen), 0);
	for (i = 0; i < seen->nbans; i++) {
		if (i > 0)
			strcat(got, " ");
		strcat(got, seen->bans[i].target);
	}
	assert_string_equal(got, order);
}

/* A ban on target until until, by op, for reason, lifted with also. */
static struct acct_ban
mkban(const char *target, int64_t until, const char *reason,
    const char *also)
{
	struct acct_ban b;

	memset(&b, 0, sizeof b);
	snprintf(b.target, sizeof b.target, "%s", target);
	b.until = until;
	snprintf(b.by, sizeof b.by, "alice");
	snprintf(b.reason, sizeof b.reason, "%s", reason);
	snprintf(b.also, sizeof b.also, "%s", also);
	return b;
}

/* ---------------------------------------------------------------------
 * The tests every store passes
 * ------------------------------------------------------------------- */

static void
test_accounts(void **state)
{
	struct acct_store *s = store(state);
	char nick[PROTO_NICK_MAX + 1], hash[ACCT_HASH_MAX];
	struct seen seen;

	assert_int_equal(s->ops->get(s, "bob", nick, hash), 0);
	assert_int_equal(s->ops->add(s, "bob", "Bob", "$argon2id$v=19$x"), 0);
	assert_int_equal(s->ops->get(s, "bob", nick, hash), 1);
	assert_string_equal(nick, "Bob");
	assert_string_equal(hash, "$argon2id$v=19$x");
	/* Taken: nothing changes. */
	assert_int_equal(s->ops->add(s, "bob", "BOB", "$other"), 1);
	assert_int_equal(s->ops->get(s, "bob", nick, hash), 1);
	assert_string_equal(nick, "Bob");
	assert_string_equal(hash, "$argon2id$v=19$x");
	assert_int_equal(s->ops->add(s, "carol", "carol", "$h2"), 0);
	memset(&seen, 0, sizeof seen);
	assert_int_equal(s->ops->keys(s, seen_key, &seen), 0);
	assert_true(strcmp(seen.keys, "bob carol ") == 0 ||
	    strcmp(seen.keys, "carol bob ") == 0);
}

static void
test_bans(void **state)
{
	struct acct_store *s = store(state);
	struct acct_ban b, got;
	struct seen seen;
	const int64_t now = 1700000000000LL;

	assert_int_equal(s->ops->ban_get(s, "n:bob", now, &got), 0);
	b = mkban("n:bob", now + 60000, "spam and more", "a:10.0.0.2");
	assert_int_equal(s->ops->ban_put(s, &b), 0);
	b = mkban("a:10.0.0.2", now + 60000, "spam and more", "");
	assert_int_equal(s->ops->ban_put(s, &b), 0);
	b = mkban("a:::1", 0, "", "");
	assert_int_equal(s->ops->ban_put(s, &b), 0);
	assert_int_equal(s->ops->ban_get(s, "n:bob", now, &got), 1);
	assert_string_equal(got.target, "n:bob");
	assert_true(got.until == now + 60000);
	assert_string_equal(got.by, "alice");
	assert_string_equal(got.reason, "spam and more");
	assert_string_equal(got.also, "a:10.0.0.2");
	/* Forever, with no reason. */
	assert_int_equal(s->ops->ban_get(s, "a:::1", now, &got), 1);
	assert_true(got.until == ACCT_FOREVER);
	assert_string_equal(got.reason, "");
	assert_string_equal(got.also, "");
	/* Replaced, not doubled. */
	b = mkban("n:bob", now + 120000, "again", "");
	assert_int_equal(s->ops->ban_put(s, &b), 0);
	memset(&seen, 0, sizeof seen);
	assert_int_equal(s->ops->ban_list(s, now, seen_ban, &seen), 0);
	assert_int_equal(seen.nbans, 3);
	assert_int_equal(s->ops->ban_get(s, "n:bob", now, &got), 1);
	assert_string_equal(got.reason, "again");
	/* Run out: not found, not listed, and gone from the store. */
	assert_int_equal(s->ops->ban_get(s, "a:10.0.0.2", now + 60000, &got),
	    0);
	memset(&seen, 0, sizeof seen);
	assert_int_equal(s->ops->ban_list(s, now + 60000, seen_ban, &seen),
	    0);
	assert_int_equal(seen.nbans, 2);
	assert_int_equal(s->ops->ban_del(s, "a:10.0.0.2"), 0);
	/* Lifted. */
	assert_int_equal(s->ops->ban_del(s, "n:bob"), 1);
	assert_int_equal(s->ops->ban_del(s, "n:bob"), 0);
	assert_int_equal(s->ops->ban_get(s, "n:bob", now, &got), 0);
}

/*
 * ban_list() gives the bans in the order they were made, as the cache
 * that reads them keeps them (/bans lists them so): made within one
 * second too, whatever their targets. One re-timed (a nick's address,
 * the nick banned again) keeps its place and all else but its end; one
 * set again (the nick banned again) is a new ban, listed last.
 */
static void
test_ban_order(void **state)
{
	struct acct_store *s = store(state);
	struct acct_ban b;
	struct seen seen;
	const int64_t now = 1700000000000LL;

	b = mkban("n:dv", now + 60000, "spam", "a:10.0.0.4");
	assert_int_equal(s->ops->ban_put(s, &b), 0);
	b = mkban("a:10.0.0.4", now + 60000, "spam", "n:dv");
	assert_int_equal(s->ops->ban_put(s, &b), 0);
	b = mkban("n:bob", 0, "", "");
	assert_int_equal(s->ops->ban_put(s, &b), 0);
	list_bans(s, now, &seen, "n:dv a:10.0.0.4 n:bob");
	assert_int_equal(s->ops->ban_retime(s, "n:dv", now + 30000), 1);
	assert_int_equal(s->ops->ban_retime(s, "a:10.0.0.4", now + 30000), 1);
	assert_int_equal(s->ops->ban_retime(s, "n:eve", now + 30000), 0);
	assert_int_equal(s->ops->ban_get(s, "n:eve", now, &b), 0);
	list_bans(s, now, &seen, "n:dv a:10.0.0.4 n:bob");
	assert_true(seen.bans[1].until == now + 30000);
	assert_string_equal(seen.bans[1].by, "alice");
	assert_string_equal(seen.bans[1].reason, "spam");
	assert_string_equal(seen.bans[1].also, "n:dv");
	assert_true(seen.bans[2].until == ACCT_FOREVER);
	b = mkban("n:dv", now + 30000, "again", "a:10.0.0.4");
	assert_int_equal(s->ops->ban_put(s, &b), 0);
	list_bans(s, now, &seen, "a:10.0.0.4 n:bob n:dv");
	assert_string_equal(seen.bans[2].reason, "again");
	/* Lifted and set again: last again. */
	assert_int_equal(s->ops->ban_del(s, "a:10.0.0.4"), 1);
	b = mkban("a:10.0.0.4", now + 30000, "back", "");
	assert_int_equal(s->ops->ban_put(s, &b), 0);
	list_bans(s, now, &seen, "n:bob n:dv a:10.0.0.4");
}

/* ---------------------------------------------------------------------
 * Redis only: other instances on the same Redis
 * ------------------------------------------------------------------- */

/*
 * A ban re-timed (a nick's address, the nick banned again) that another
 * instance lifts between the store's read of it and its write stays
 * lifted; one another instance sets again meanwhile stays as that one
 * set it. Only an unchanged ban takes the new end.
 */
static void
test_retime_raced(void **state)
{
	struct acct_store *s = store(state);
	struct race *rc = race_of(*state);
	const int64_t now = 1700000000000LL;
	struct acct_ban b, got;
	struct seen seen;

	b = mkban("a:10.0.0.4", now + 600000, "spam", "n:dv");
	assert_int_equal(s->ops->ban_put(s, &b), 0);
	snprintf(rc->target, sizeof rc->target, "a:10.0.0.4");
	rc->value[0] = '\0';
	rc->done = false;
	assert_int_equal(s->ops->ban_retime(s, "a:10.0.0.4", now + 60000), 0);
	assert_true(rc->done);
	assert_int_equal(s->ops->ban_get(s, "a:10.0.0.4", now, &got), 0);
	list_bans(s, now, &seen, "");

	assert_int_equal(s->ops->ban_put(s, &b), 0);
	snprintf(rc->value, sizeof rc->value, "%lld bob - later",
	    (long long)(now + 900000));
	rc->done = false;
	assert_int_equal(s->ops->ban_retime(s, "a:10.0.0.4", now + 60000), 0);
	assert_true(rc->done);
	assert_int_equal(s->ops->ban_get(s, "a:10.0.0.4", now, &got), 1);
	assert_true(got.until == now + 900000);
	assert_string_equal(got.by, "bob");
	assert_string_equal(got.reason, "later");
	assert_string_equal(got.also, "");

	/* Unchanged: re-timed, all else kept. */
	assert_int_equal(s->ops->ban_retime(s, "a:10.0.0.4", now + 60000), 1);
	assert_int_equal(s->ops->ban_get(s, "a:10.0.0.4", now, &got), 1);
	assert_true(got.until == now + 60000);
	assert_string_equal(got.by, "bob");
	assert_string_equal(got.reason, "later");
}

/*
 * A ban run out is deleted by whoever lists it first, unless another
 * instance set it again meanwhile: that ban stays.
 */
static void
test_runout_raced(void **state)
{
	struct acct_store *s = store(state);
	struct race *rc = race_of(*state);
	const int64_t now = 1700000000000LL;
	struct acct_ban b, got;
	struct seen seen;

	b = mkban("n:eve", now - 1, "old", "");
	assert_int_equal(s->ops->ban_put(s, &b), 0);
	snprintf(rc->target, sizeof rc->target, "n:eve");
	snprintf(rc->value, sizeof rc->value, "0 bob - new");
	rc->done = false;
	memset(&seen, 0, sizeof seen);
	assert_int_equal(s->ops->ban_list(s, now, seen_ban, &seen), 0);
	assert_true(rc->done);
	assert_int_equal(seen.nbans, 0);
	assert_int_equal(s->ops->ban_get(s, "n:eve", now, &got), 1);
	assert_string_equal(got.reason, "new");
	/* Not set again: gone. */
	b = mkban("n:eve", now - 1, "old", "");
	assert_int_equal(s->ops->ban_put(s, &b), 0);
	memset(&seen, 0, sizeof seen);
	assert_int_equal(s->ops->ban_list(s, now, seen_ban, &seen), 0);
	assert_int_equal(s->ops->ban_del(s, "n:eve"), 0);
}

/*
 * The address and the account banned with a nick's ban by the instance
 * that holds its member may be stored before the nick's, which the
 * operator's instance stores (its worker busy with a password, say): the
 * nick's, new, still goes before them, as made on one server, and a ban
 * stored in between stays after them. Set again, it is last; the bans
 * made with the first keep their places.
 */
static void
test_ban_order_linked_first(void **state)
{
	struct acct_store *s = store(state);
	const int64_t now = 1700000000000LL;
	struct acct_ban b;
	struct seen seen;

	b = mkban("n:bob", 0, "", "");
	assert_int_equal(s->ops->ban_put(s, &b), 0);
	b = mkban("a:10.0.0.4", now + 60000, "spam", "n:dv");
	assert_int_equal(s->ops->ban_put(s, &b), 0);
	b = mkban("n:dave", now + 60000, "spam", "n:dv");
	assert_int_equal(s->ops->ban_put(s, &b), 0);
	b = mkban("a:9.9.9.9", 0, "", "");
	assert_int_equal(s->ops->ban_put(s, &b), 0);
	b = mkban("n:dv", now + 60000, "spam", "");
	assert_int_equal(s->ops->ban_put(s, &b), 0);
	list_bans(s, now, &seen, "n:bob n:dv a:10.0.0.4 n:dave a:9.9.9.9");
	b = mkban("n:eve", 0, "", "");
	assert_int_equal(s->ops->ban_put(s, &b), 0);
	list_bans(s, now, &seen,
	    "n:bob n:dv a:10.0.0.4 n:dave a:9.9.9.9 n:eve");
	b = mkban("n:dv", now + 30000, "again", "");
	assert_int_equal(s->ops->ban_put(s, &b), 0);
	list_bans(s, now, &seen,
	    "n:bob a:10.0.0.4 n:dave a:9.9.9.9 n:eve n:dv");
}

/* Set ban target's value in our Redis by hand (as an older lobbyd, or an
 * operator's redis-cli, would: no place in the order). */
static void
plant_ban(struct st *t, const char *target, const char *value)
{
	redisReply *r;

	if (t->fr != NULL) {
		fr_set(t->fr, "lobby:bans", target, value);
		return;
	}
	r = redisCommand(t->rr->side, "HSET lobby:bans %s %s", target, value);
	assert_non_null(r);
	freeReplyObject(r);
}

/*
 * A ban stored by hand or by an older lobbyd has no place in the order:
 * it is given the next when the bans are next read (listed after those
 * there then), and keeps it.
 */
static void
test_ban_order_planted(void **state)
{
	struct acct_store *s = store(state);
	const int64_t now = 1700000000000LL;
	struct acct_ban b;
	struct seen seen;

	b = mkban("n:dv", 0, "", "");
	assert_int_equal(s->ops->ban_put(s, &b), 0);
	plant_ban(*state, "a:9.9.9.9", "0 alice - by hand");
	b = mkban("n:bob", 0, "", "");
	assert_int_equal(s->ops->ban_put(s, &b), 0);
	list_bans(s, now, &seen, "n:dv n:bob a:9.9.9.9");
	b = mkban("n:eve", 0, "", "");
	assert_int_equal(s->ops->ban_put(s, &b), 0);
	assert_int_equal(s->ops->ban_del(s, "n:dv"), 1);
	list_bans(s, now, &seen, "n:bob a:9.9.9.9 n:eve");
}

/*
 * The read a sync job makes (acctwork_sync()): an address ban left
 * pointing back to a nick's ban that is gone is lifted, in the store and
 * in the read; not one whose nick's ban the job keeps (come as an act,
 * not stored yet by its operator's instance).
 */
static void
test_sync_left(void **state)
{
	struct acct_store *s = store(state);
	struct acct_ban b, got;
	struct acct_job j;
	const int64_t now = 1700000000000LL;
	char keep[1][ACCT_TARGET_MAX] = { "n:dave" };

	b = mkban("a:10.0.0.4", 0, "spam", "n:dave");
	assert_int_equal(s->ops->ban_put(s, &b), 0);
	b = mkban("a:10.0.0.5", 0, "spam", "n:erin");
	assert_int_equal(s->ops->ban_put(s, &b), 0);
	b = mkban("n:fay", 0, "", "a:10.0.0.6");
	assert_int_equal(s->ops->ban_put(s, &b), 0);
	b = mkban("a:10.0.0.6", 0, "", "n:fay");
	assert_int_equal(s->ops->ban_put(s, &b), 0);
	memset(&j, 0, sizeof j);
	j.kind = ACCT_JOB_SYNC;
	j.now = now;
	j.keep = keep;
	j.nkeep = 1;
	acctwork_sync(s, &j);
	assert_int_equal(j.status, ACCT_OK);
	assert_int_equal(j.nbans, 3);
	assert_string_equal(j.bans[0].target, "a:10.0.0.4");
	assert_string_equal(j.bans[1].target, "n:fay");
	assert_string_equal(j.bans[2].target, "a:10.0.0.6");
	assert_int_equal(s->ops->ban_get(s, "a:10.0.0.4", now, &got), 1);
	assert_int_equal(s->ops->ban_get(s, "a:10.0.0.5", now, &got), 0);
	free(j.bans);
	free(j.keys);
	/* Kept no more: lifted. */
	memset(&j, 0, sizeof j);
	j.kind = ACCT_JOB_SYNC;
	j.now = now;
	acctwork_sync(s, &j);
	assert_int_equal(j.status, ACCT_OK);
	assert_int_equal(j.nbans, 2);
	assert_int_equal(s->ops->ban_get(s, "a:10.0.0.4", now, &got), 0);
	assert_int_equal(s->ops->ban_get(s, "a:10.0.0.6", now, &got), 1);
	free(j.bans);
	free(j.keys);
}

/* ---------------------------------------------------------------------
 * SQLite only: files
 * ------------------------------------------------------------------- */

/* A fresh temporary folder's path + name into out. */
static void
tmpfile_in(char *dir, size_t dn, char *out, size_t n, const char *name)
{
	snprintf(dir, dn, "/tmp/lobby-acctstore-XXXXXX");
	assert_non_null(mkdtemp(dir));
	snprintf(out, n, "%s/%s", dir, name);
}

/* Remove path and its WAL companions, then dir. */
static void
tmp_clean(const char *dir, const char *path)
{
	char p[300];

	unlink(path);
	snprintf(p, sizeof p, "%s-wal", path);
	unlink(p);
	snprintf(p, sizeof p, "%s-shm", path);
	unlink(p);
	rmdir(dir);
}

static void
test_sqlite_file(void **state)
{
	char dir[64], path[128], err[256], nick[PROTO_NICK_MAX + 1];
	char hash[ACCT_HASH_MAX];
	struct acct_store *s;
	struct acct_ban b, got;
	sqlite3 *db;
	sqlite3_stmt *q;

	(void)state;
	tmpfile_in(dir, sizeof dir, path, sizeof path, "accounts.db");
	s = acctstore_sqlite_open(path, err, sizeof err);
	assert_non_null(s);
	assert_int_equal(s->ops->add(s, "bob", "bob", "$h"), 0);
	b = mkban("n:eve", 0, "troll", "");
	assert_int_equal(s->ops->ban_put(s, &b), 0);
	s->ops->free(s);
	/* WAL mode, and the schema's version, are in the file. */
	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	assert_int_equal(sqlite3_prepare_v2(db, "PRAGMA journal_mode", -1,
	    &q, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_step(q), SQLITE_ROW);
	assert_string_equal((const char *)sqlite3_column_text(q, 0), "wal");
	sqlite3_finalize(q);
	assert_int_equal(sqlite3_prepare_v2(db, "PRAGMA user_version", -1,
	    &q, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_step(q), SQLITE_ROW);
	assert_int_equal(sqlite3_column_int(q, 0), 1);
	sqlite3_finalize(q);
	sqlite3_close(db);
	/* Opened again: all there. */
	s = acctstore_sqlite_open(path, err, sizeof err);
	assert_non_null(s);
	assert_int_equal(s->ops->get(s, "bob", nick, hash), 1);
	assert_int_equal(s->ops->ban_get(s, "n:eve", 1, &got), 1);
	assert_string_equal(got.reason, "troll");
	/* A ban re-timed still says when it was made. */
	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	assert_int_equal(sqlite3_exec(db, "UPDATE bans SET created = 1000",
	    NULL, NULL, NULL), SQLITE_OK);
	assert_int_equal(s->ops->ban_retime(s, "n:eve", 5000), 1);
	assert_int_equal(sqlite3_prepare_v2(db, "SELECT created, until FROM "
	    "bans WHERE target = 'n:eve'", -1, &q, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_step(q), SQLITE_ROW);
	assert_int_equal(sqlite3_column_int64(q, 0), 1000);
	assert_int_equal(sqlite3_column_int64(q, 1), 5000);
	sqlite3_finalize(q);
	sqlite3_close(db);
	s->ops->free(s);
	/* A newer schema than this lobbyd knows is refused, not misread. */
	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	assert_int_equal(sqlite3_exec(db, "PRAGMA user_version = 99", NULL,
	    NULL, NULL), SQLITE_OK);
	sqlite3_close(db);
	assert_null(acctstore_sqlite_open(path, err, sizeof err));
	assert_non_null(strstr(err, "schema version 99 is newer"));
	tmp_clean(dir, path);
}

static void
test_sqlite_corrupt(void **state)
{
	char dir[64], path[128], err[256];
	FILE *fp;
	int i;

	(void)state;
	tmpfile_in(dir, sizeof dir, path, sizeof path, "junk.db");
	fp = fopen(path, "w");
	assert_non_null(fp);
	for (i = 0; i < 200; i++)
		fputs("this is not an SQLite database at all\n", fp);
	fclose(fp);
	assert_null(acctstore_sqlite_open(path, err, sizeof err));
	assert_non_null(strstr(err, "not a database"));
	tmp_clean(dir, path);
	/* A folder that is not there: cannot be created. */
	assert_null(acctstore_sqlite_open("/nonexistent/dir/a.db", err,
	    sizeof err));
	assert_true(err[0] != '\0');
}

/* ---------------------------------------------------------------------
 * Redis only: what a hostile or broken Redis holds
 * ------------------------------------------------------------------- */

static void
test_redis_untrusted(void **state)
{
	struct st *t = *state;
	struct acct_store *s = store(state);
	char nick[PROTO_NICK_MAX + 1], hash[ACCT_HASH_MAX];
	struct acct_ban got;
	struct seen seen;

	fr_set(t->fr, "lobby:accounts", "bob", "Bob $h");
	fr_set(t->fr, "lobby:accounts", "BAD KEY", "x $h");
	fr_set(t->fr, "lobby:accounts", "eve", "e\x1b[31mve $h");
	fr_set(t->fr, "lobby:accounts", "mallory", "mallory $h\nbad");
	memset(&seen, 0, sizeof seen);
	assert_int_equal(s->ops->keys(s, seen_key, &seen), 0);
	/* Only keys that pass the nick rule, in lower case. */
	assert_null(strstr(seen.keys, "BAD"));
	assert_non_null(strstr(seen.keys, "bob "));
	/* A value that is not "NICK HASH" is an error, never a match. */
	assert_int_equal(s->ops->get(s, "eve", nick, hash), -1);
	assert_int_equal(s->ops->get(s, "mallory", nick, hash), -1);
	assert_int_equal(s->ops->get(s, "bob", nick, hash), 1);
	/* Bans: a reason is cleaned as chat is; a bad entry is dropped. */
	fr_set(t->fr, "lobby:bans", "n:bob", "0 alice - go\x1b]0;pwned\x07 away");
	fr_set(t->fr, "lobby:bans", "n:eve", "soon alice - x");
	fr_set(t->fr, "lobby:bans", "x:eve", "0 alice - x");
	fr_set(t->fr, "lobby:bans", "a:1.2.3.4", "0 not/a/nick - x");
	assert_int_equal(s->ops->ban_get(s, "n:bob", 1, &got), 1);
	assert_string_equal(got.reason, "go]0;pwned away");
	memset(&seen, 0, sizeof seen);
	assert_int_equal(s->ops->ban_list(s, 1, seen_ban, &seen), 0);
	assert_int_equal(seen.nbans, 1);
	assert_int_equal(s->ops->ban_get(s, "n:eve", 1, &got), 0);
	/* What the store's scripts answer is checked too: an answer of
	 * the wrong kind is a failure, never a ban kept, lifted or read. */
	t->fr->answer = fr_string("1");
	assert_int_equal(s->ops->ban_retime(s, "n:bob", 5), -1);
	assert_non_null(strstr(s->err, "redis"));
	t->fr->answer = fr_int(7);
	assert_int_equal(s->ops->ban_retime(s, "n:bob", 5), -1);
	t->fr->answer = fr_string("OK");
	assert_int_equal(s->ops->ban_put(s, &got), -1);
	t->fr->answer = fr_reply(REDIS_REPLY_NIL);
	assert_int_equal(s->ops->ban_del(s, "n:bob"), -1);
	t->fr->answer = fr_int(3);
	assert_int_equal(s->ops->ban_list(s, 1, seen_ban, &seen), -1);
	t->fr->answer = fr_reply(REDIS_REPLY_ARRAY);
	fr_push(t->fr->answer, fr_int(1));
	fr_push(t->fr->answer, fr_string("0 alice - x"));
	fr_push(t->fr->answer, fr_string("n:odd"));
	list_bans(s, 1, &seen, "");
	assert_int_equal(s->ops->ban_get(s, "n:bob", 1, &got), 1);
	assert_true(got.until == 0);
	/* The link fails: an error, with words. */
	t->fr->down = true;
	assert_int_equal(s->ops->get(s, "bob", nick, hash), -1);
	assert_non_null(strstr(s->err, "redis"));
	assert_int_equal(s->ops->ban_put(s, &got), -1);
	t->fr->down = false;
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_accounts, setup_sqlite,
		    teardown),
		cmocka_unit_test_setup_teardown(test_bans, setup_sqlite,
		    teardown),
		cmocka_unit_test_setup_teardown(test_ban_order, setup_sqlite,
		    teardown),
		cmocka_unit_test_setup_teardown(test_sync_left, setup_sqlite,
		    teardown),
		cmocka_unit_test(test_sqlite_file),
		cmocka_unit_test(test_sqlite_corrupt),
		cmocka_unit_test_setup_teardown(test_accounts, setup_redis,
		    teardown),
		cmocka_unit_test_setup_teardown(test_bans, setup_redis,
		    teardown),
		cmocka_unit_test_setup_teardown(test_ban_order, setup_redis,
		    teardown),
		cmocka_unit_test_setup_teardown(test_sync_left, setup_redis,
		    teardown),
		cmocka_unit_test_setup_teardown(test_retime_raced, setup_redis,
		    teardown),
		cmocka_unit_test_setup_teardown(test_runout_raced, setup_redis,
		    teardown),
		cmocka_unit_test_setup_teardown(test_ban_order_planted,
		    setup_redis, teardown),
		cmocka_unit_test_setup_teardown(test_ban_order_linked_first,
		    setup_redis, teardown),
		cmocka_unit_test_setup_teardown(test_redis_untrusted,
		    setup_redis, teardown),
		cmocka_unit_test_setup_teardown(test_accounts, setup_real,
		    teardown),
		cmocka_unit_test_setup_teardown(test_bans, setup_real,
		    teardown),
		cmocka_unit_test_setup_teardown(test_ban_order, setup_real,
		    teardown),
		cmocka_unit_test_setup_teardown(test_sync_left, setup_real,
		    teardown),
		cmocka_unit_test_setup_teardown(test_retime_raced, setup_real,
		    teardown),
		cmocka_unit_test_setup_teardown(test_runout_raced, setup_real,
		    teardown),
		cmocka_unit_test_setup_teardown(test_ban_order_planted,
		    setup_real, teardown),
		cmocka_unit_test_setup_teardown(test_ban_order_linked_first,
		    setup_real, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
