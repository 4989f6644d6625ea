/* acctstore_sqlite: accounts and bans in an SQLite file (--accounts). */
#include "acctstore.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

/*
 * One database file, WAL mode (readers never wait for the writer, and a
 * crash loses no committed change), every change its own transaction.
 * The schema's version is PRAGMA user_version: a file of an older
 * version is migrated step by step at open, one of a newer version is
 * refused rather than misread.
 */

#define SQLITE_BUSY_MS	2000	/* how long a statement waits for a lock */

/* Each step takes the schema from version i to i + 1. */
static const char *const sqlite_migrations[] = {
	/* 0 -> 1: accounts and bans. */
	"CREATE TABLE accounts ("
	"  key TEXT PRIMARY KEY,"		/* the nick in lower case */
	"  nick TEXT NOT NULL,"		/* as registered */
	"  hash TEXT NOT NULL,"		/* crypto_pwhash_str() */
	"  created INTEGER NOT NULL"		/* Unix seconds */
	");"
	"CREATE TABLE bans ("
	"  target TEXT PRIMARY KEY,"		/* n:KEY or a:ADDRESS */
	"  until INTEGER NOT NULL,"		/* Unix ms; 0: until unbanned */
	"  by TEXT NOT NULL,"			/* the operator */
	"  also TEXT NOT NULL,"		/* lifted with it, or '' */
	"  reason TEXT NOT NULL,"
	"  created INTEGER NOT NULL"
	");",
};
#define SQLITE_VERSION_NOW \
	(int)(sizeof sqlite_migrations / sizeof sqlite_migrations[0])

struct sqlite_store {
	struct acct_store st;		/* first: the interface */
	sqlite3		*db;		/* the open database */
};

/* Note the database's last error in st->err, with what was being done. */
static int
sqlite_fail(struct sqlite_store *s, const char *doing)
{
	snprintf(s->st.err, sizeof s->st.err, "%s: %s", doing,
	    sqlite3_errmsg(s->db));
	return -1;
}

/* Prepare sql, or NULL after noting why. */
static sqlite3_stmt *
sqlite_prep(struct sqlite_store *s, const char *sql)
{
	sqlite3_stmt *q;

	if (sqlite3_prepare_v2(s->db, sql, -1, &q, NULL) != SQLITE_OK) {
		sqlite_fail(s, "prepare");
		return NULL;
	}
	return q;
}

/* Copy column i of q (text) into out[0..n), cut if longer. */
static void
sqlite_text(sqlite3_stmt *q, int i, char *out, size_t n)
{
	const unsigned char *t = sqlite3_column_text(q, i);

	snprintf(out, n, "%s", t != NULL ? (const char *)t : "");
}

static int
sqlite_get(struct acct_store *st, const char *key,
    char nick[PROTO_NICK_MAX + 1], char hash[ACCT_HASH_MAX])
{
	struct sqlite_store *s = (struct sqlite_store *)st;
	sqlite3_stmt *q;
	int rc;

	if ((q = sqlite_prep(s, "SELECT nick, hash FROM accounts "
	    "WHERE key = ?1")) == NULL)
		return -1;
	sqlite3_bind_text(q, 1, key, -1, SQLITE_STATIC);
	rc = sqlite3_step(q);
	if (rc == SQLITE_ROW) {
		sqlite_text(q, 0, nick, PROTO_NICK_MAX + 1);
		sqlite_text(q, 1, hash, ACCT_HASH_MAX);
		rc = 1;
	} else if (rc == SQLITE_DONE)
		rc = 0;
	else
		rc = sqlite_fail(s, "get");
	sqlite3_finalize(q);
	return rc;
}

static int
sqlite_add(struct acct_store *st, const char *key, const char *nick,
    const char *hash)
{
	struct sqlite_store *s = (struct sqlite_store *)st;
	sqlite3_stmt *q;
	int rc;

	/* The key is the primary key: a taken one changes nothing. */
	if ((q = sqlite_prep(s, "INSERT OR IGNORE INTO accounts "
	    "(key, nick, hash, created) VALUES (?1, ?2, ?3, "
	    "strftime('%s', 'now'))")) == NULL)
		return -1;
	sqlite3_bind_text(q, 1, key, -1, SQLITE_STATIC);
	sqlite3_bind_text(q, 2, nick, -1, SQLITE_STATIC);
	sqlite3_bind_text(q, 3, hash, -1, SQLITE_STATIC);
	rc = sqlite3_step(q);
	if (rc == SQLITE_DONE)
		rc = sqlite3_changes(s->db) == 1 ? 0 : 1;
	else
		rc = sqlite_fail(s, "register");
	sqlite3_finalize(q);
	return rc;
}

static int
sqlite_keys(struct acct_store *st, acct_key_fn fn, void *arg)
{
	struct sqlite_store *s = (struct sqlite_store *)st;
	sqlite3_stmt *q;
	int rc;

	if ((q = sqlite_prep(s, "SELECT key FROM accounts")) == NULL)
		return -1;
	while ((rc = sqlite3_step(q)) == SQLITE_ROW)
		fn(arg, (const char *)sqlite3_column_text(q, 0));
	rc = rc == SQLITE_DONE ? 0 : sqlite_fail(s, "list accounts");
	sqlite3_finalize(q);
	return rc;
}

static int
sqlite_ban_put(struct acct_store *st, const struct acct_ban *b)
{
	struct sqlite_store *s = (struct sqlite_store *)st;
	sqlite3_stmt *q;
	int rc;

	if ((q = sqlite_prep(s, "INSERT OR REPLACE INTO bans "
	    "(target, until, by, reason, also, created) VALUES (?1, ?2, ?3, "
	    "?4, ?5, strftime('%s', 'now'))")) == NULL)
		return -1;
	sqlite3_bind_text(q, 1, b->target, -1, SQLITE_STATIC);
	sqlite3_bind_int64(q, 2, b->until);
	sqlite3_bind_text(q, 3, b->by, -1, SQLITE_STATIC);
	sqlite3_bind_text(q, 4, b->reason, -1, SQLITE_STATIC);
	sqlite3_bind_text(q, 5, b->also, -1, SQLITE_STATIC);
	rc = sqlite3_step(q) == SQLITE_DONE ? 0 : sqlite_fail(s, "ban");
	sqlite3_finalize(q);
	return rc;
}

static int
sqlite_ban_retime(struct acct_store *st, const char *target, int64_t until)
{
	struct sqlite_store *s = (struct sqlite_store *)st;
	sqlite3_stmt *q;
	int rc;

	/* An UPDATE, not ban_put()'s REPLACE: created and the rowid stay. */
	if ((q = sqlite_prep(s, "UPDATE bans SET until = ?2 WHERE "
	    "target = ?1")) == NULL)
		return -1;
	sqlite3_bind_text(q, 1, target, -1, SQLITE_STATIC);
	sqlite3_bind_int64(q, 2, until);
	if (sqlite3_step(q) == SQLITE_DONE)
		rc = sqlite3_changes(s->db) > 0 ? 1 : 0;
	else
		rc = sqlite_fail(s, "ban");
	sqlite3_finalize(q);
	return rc;
}

static int
sqlite_ban_del(struct acct_store *st, const char *target)
{
	struct sqlite_store *s = (struct sqlite_store *)st;
	sqlite3_stmt *q;
	int rc;

	if ((q = sqlite_prep(s, "DELETE FROM bans WHERE target = ?1")) ==
	    NULL)
		return -1;
	sqlite3_bind_text(q, 1, target, -1, SQLITE_STATIC);
	if (sqlite3_step(q) == SQLITE_DONE)
		rc = sqlite3_changes(s->db) > 0 ? 1 : 0;
	else
		rc = sqlite_fail(s, "unban");
	sqlite3_finalize(q);
	return rc;
}

/* A ban from the row q is on (target, until, by, reason, also). */
static void
sqlite_ban_row(sqlite3_stmt *q, struct acct_ban *b)
{
	sqlite_text(q, 0, b->target, sizeof b->target);
	b->until = sqlite3_column_int64(q, 1);
	sqlite_text(q, 2, b->by, sizeof b->by);
	sqlite_text(q, 3, b->reason, sizeof b->reason);
	sqlite_text(q, 4, b->also, sizeof b->also);
}

static int
sqlite_ban_get(struct acct_store *st, const char *target, int64_t now,
    struct acct_ban *b)
{
	struct sqlite_store *s = (struct sqlite_store *)st;
	sqlite3_stmt *q;
	int rc;

	if ((q = sqlite_prep(s, "SELECT target, until, by, reason, also FROM bans "
	    "WHERE target = ?1 AND (until = 0 OR until > ?2)")) == NULL)
		return -1;
	sqlite3_bind_text(q, 1, target, -1, SQLITE_STATIC);
	sqlite3_bind_int64(q, 2, now);
	rc = sqlite3_step(q);
	if (rc == SQLITE_ROW) {
		sqlite_ban_row(q, b);
		rc = 1;
	} else
		rc = rc == SQLITE_DONE ? 0 : sqlite_fail(s, "ban lookup");
	sqlite3_finalize(q);
	return rc;
}

static int
sqlite_ban_list(struct acct_store *st, int64_t now, acct_ban_fn fn,
    void *arg)
{
	struct sqlite_store *s = (struct sqlite_store *)st;
	struct acct_ban b;
	sqlite3_stmt *q;
	int rc;

	if ((q = sqlite_prep(s, "DELETE FROM bans WHERE until <> 0 AND "
	    "until <= ?1")) == NULL)
		return -1;
	sqlite3_bind_int64(q, 1, now);
	rc = sqlite3_step(q);
	sqlite3_finalize(q);
	if (rc != SQLITE_DONE)
		return sqlite_fail(s, "drop run-out bans");
	/* In the order they were made, as the cache keeps them: created
	 * is in seconds, and a row stored later has a greater rowid (one
	 * stored again, a new one). */
	if ((q = sqlite_prep(s, "SELECT target, until, by, reason, also FROM bans "
	    "ORDER BY created, rowid")) == NULL)
		return -1;
	while ((rc = sqlite3_step(q)) == SQLITE_ROW) {
		memset(&b, 0, sizeof b);
		sqlite_ban_row(q, &b);
		fn(arg, &b);
	}
	rc = rc == SQLITE_DONE ? 0 : sqlite_fail(s, "list bans");
	sqlite3_finalize(q);
	return rc;
}

static void
sqlite_free(struct acct_store *st)
{
	struct sqlite_store *s = (struct sqlite_store *)st;

	if (s == NULL)
		return;
	sqlite3_close(s->db);
	free(s);
}

static const struct acct_store_ops sqlite_ops = {
	"sqlite",
	sqlite_get,
	sqlite_add,
	sqlite_keys,
	sqlite_ban_put,
	sqlite_ban_retime,
	sqlite_ban_del,
	sqlite_ban_get,
	sqlite_ban_list,
	sqlite_free,
};

/* One statement's integer answer (a PRAGMA), or -1 after noting why. */
static int
sqlite_int(struct sqlite_store *s, const char *sql, const char *doing)
{
	sqlite3_stmt *q;
	int v = -1;

	if (sqlite3_prepare_v2(s->db, sql, -1, &q, NULL) != SQLITE_OK)
		return sqlite_fail(s, doing);
	if (sqlite3_step(q) == SQLITE_ROW)
		v = sqlite3_column_int(q, 0);
	else
		sqlite_fail(s, doing);
	sqlite3_finalize(q);
	return v;
}

/*
 * Bring the schema from version v to SQLITE_VERSION_NOW, each step and
 * its new user_version in one transaction. Returns 0 or -1.
 */
static int
sqlite_migrate(struct sqlite_store *s, int v)
{
	char sql[64];

	for (; v < SQLITE_VERSION_NOW; v++) {
		snprintf(sql, sizeof sql, "PRAGMA user_version = %d", v + 1);
		if (sqlite3_exec(s->db, "BEGIN IMMEDIATE", NULL, NULL,
		    NULL) != SQLITE_OK)
			return sqlite_fail(s, "migrate");
		if (sqlite3_exec(s->db, sqlite_migrations[v], NULL, NULL,
		    NULL) != SQLITE_OK ||
		    sqlite3_exec(s->db, sql, NULL, NULL, NULL) != SQLITE_OK) {
			sqlite_fail(s, "migrate");
			(void)sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
			return -1;
		}
		if (sqlite3_exec(s->db, "COMMIT", NULL, NULL, NULL) !=
		    SQLITE_OK)
			return sqlite_fail(s, "migrate");
	}
	return 0;
}

struct acct_store *
acctstore_sqlite_open(const char *path, char *err, size_t errlen)
{
	struct sqlite_store *s;
	int v;

	if ((s = calloc(1, sizeof *s)) == NULL) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	s->st.ops = &sqlite_ops;
	if (path[0] == '\0')
		path = ":memory:";
	if (sqlite3_open_v2(path, &s->db, SQLITE_OPEN_READWRITE |
	    SQLITE_OPEN_CREATE | SQLITE_OPEN_FULLMUTEX, NULL) != SQLITE_OK) {
		snprintf(err, errlen, "%s", s->db != NULL ?
		    sqlite3_errmsg(s->db) : "out of memory");
		goto fail;
	}
	sqlite3_busy_timeout(s->db, SQLITE_BUSY_MS);
	/* A file we may only read opens read-only: useless here. */
	if (sqlite3_db_readonly(s->db, "main") == 1) {
		snprintf(err, errlen, "cannot be written");
		goto fail;
	}
	/* The first read of the file: a file that is not a database (or is
	 * damaged in its header) fails here. */
	if ((v = sqlite_int(s, "PRAGMA user_version", "open")) < 0)
		goto fail_db;
	if (v > SQLITE_VERSION_NOW) {
		snprintf(err, errlen, "schema version %d is newer than this "
		    "lobbyd knows (%d)", v, SQLITE_VERSION_NOW);
		goto fail;
	}
	if (strcmp(path, ":memory:") != 0 && sqlite3_exec(s->db,
	    "PRAGMA journal_mode = WAL", NULL, NULL, NULL) != SQLITE_OK)
		goto fail_db;
	if (sqlite_migrate(s, v) == -1)
		goto fail_db;
	/* Damage past the header shows here rather than at the first login. */
	if (sqlite_int(s, "SELECT count(*) FROM accounts", "check") < 0 ||
	    sqlite_int(s, "SELECT count(*) FROM bans", "check") < 0)
		goto fail_db;
	return &s->st;
fail_db:
	snprintf(err, errlen, "%s", s->st.err[0] != '\0' ? s->st.err :
	    sqlite3_errmsg(s->db));
fail:
	sqlite3_close(s->db);
	free(s);
	return NULL;
}
