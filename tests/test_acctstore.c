/* test_acctstore: both account stores, SQLite in memory and Redis faked. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <hiredis/hiredis.h>
#include <sqlite3.h>

#include "acctstore.h"

/*
 * The same tests run on each store: the SQLite one on a database in
 * memory (and, for what only a file shows, one in a temporary folder),
 * the Redis one over a fake that keeps hashes in memory and answers
 * HGET, HSET, HSETNX, HDEL, HKEYS and HGETALL as Redis does. The fake
 * also lets a test plant what a hostile Redis could hold.
 */

/* ---------------------------------------------------------------------
 * The fake Redis
 * ------------------------------------------------------------------- */

#define FR_MAX	64

struct fr_field {
	char	*hash;		/* the key of the hash */
	char	*field;		/* the field */
	char	*value;		/* its value */
};

struct fake_redis {
	struct fr_field	 f[FR_MAX];	/* every field of every hash */
	size_t		 n;		/* how many */
	bool		 down;		/* the link fails */
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
	*e = fr->f[--fr->n];
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
	free(fr);
}

/* ---------------------------------------------------------------------
 * The fixture: one store of each kind
 * ------------------------------------------------------------------- */

struct st {
	struct acct_store *s;		/* under test */
	struct fake_redis *fr;		/* for the Redis one, else NULL */
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

static int
teardown(void **state)
{
	struct st *t = *state;

	t->s->ops->free(t->s);
	free(t);
	return 0;
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
	struct st *t = *state;
	struct acct_store *s = t->s;
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
	struct st *t = *state;
	struct acct_store *s = t->s;
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
 * the nick banned again) keeps its place and all else but its end.
 */
static void
test_ban_order(void **state)
{
	struct st *t = *state;
	struct acct_store *s = t->s;
	struct acct_ban b;
	struct seen seen;
	const int64_t now = 1700000000000LL;

	b = mkban("n:dv", now + 60000, "spam", "a:10.0.0.4");
	assert_int_equal(s->ops->ban_put(s, &b), 0);
	b = mkban("a:10.0.0.4", now + 60000, "spam", "n:dv");
	assert_int_equal(s->ops->ban_put(s, &b), 0);
	b = mkban("n:bob", 0, "", "");
	assert_int_equal(s->ops->ban_put(s, &b), 0);
	memset(&seen, 0, sizeof seen);
	assert_int_equal(s->ops->ban_list(s, now, seen_ban, &seen), 0);
	assert_int_equal(seen.nbans, 3);
	assert_string_equal(seen.bans[0].target, "n:dv");
	assert_string_equal(seen.bans[1].target, "a:10.0.0.4");
	assert_string_equal(seen.bans[2].target, "n:bob");
	assert_int_equal(s->ops->ban_retime(s, "n:dv", now + 30000), 1);
	assert_int_equal(s->ops->ban_retime(s, "a:10.0.0.4", now + 30000), 1);
	assert_int_equal(s->ops->ban_retime(s, "n:eve", now + 30000), 0);
	assert_int_equal(s->ops->ban_get(s, "n:eve", now, &b), 0);
	memset(&seen, 0, sizeof seen);
	assert_int_equal(s->ops->ban_list(s, now, seen_ban, &seen), 0);
	assert_int_equal(seen.nbans, 3);
	assert_string_equal(seen.bans[0].target, "n:dv");
	assert_string_equal(seen.bans[1].target, "a:10.0.0.4");
	assert_string_equal(seen.bans[2].target, "n:bob");
	assert_true(seen.bans[1].until == now + 30000);
	assert_string_equal(seen.bans[1].by, "alice");
	assert_string_equal(seen.bans[1].reason, "spam");
	assert_string_equal(seen.bans[1].also, "n:dv");
	assert_true(seen.bans[2].until == ACCT_FOREVER);
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
	struct acct_store *s = t->s;
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
		cmocka_unit_test(test_sqlite_file),
		cmocka_unit_test(test_sqlite_corrupt),
		cmocka_unit_test_setup_teardown(test_accounts, setup_redis,
		    teardown),
		cmocka_unit_test_setup_teardown(test_bans, setup_redis,
		    teardown),
		cmocka_unit_test_setup_teardown(test_ban_order, setup_redis,
		    teardown),
		cmocka_unit_test_setup_teardown(test_redis_untrusted,
		    setup_redis, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
