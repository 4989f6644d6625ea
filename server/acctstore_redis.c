/* acctstore_redis: accounts and bans in Redis, shared by every lobbyd. */
#include "acctstore.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>

#include <hiredis/hiredis.h>

#include "hostport.h"
#include "text.h"

/*
 * Two hashes, the same for every room and instance on one Redis:
 *   lobby:accounts  KEY -> "NICK HASH"
 *   lobby:bans      TARGET -> "UNTIL BY ALSO REASON" (UNTIL in Unix
 *                   ms, 0 for until unbanned; ALSO the target lifted
 *                   with it or "-"; REASON may hold spaces or be empty)
 * and the bans' order, a sorted set:
 *   {lobby:bans}:order  TARGET scored by its place: one more than the
 *                   greatest there when the ban was set (its hash tag
 *                   puts it in lobby:bans's slot: on a Redis Cluster a
 *                   script may touch both)
 * A hash's own order is no order: a field set again keeps its place,
 * and a big hash, or one with a long value, has none at all. So /bans
 * follows the sorted set: every instance lists the bans as they were
 * made, a ban set again last, as the cache and SQLite do; a nick's ban
 * before those made with it (ban_put below), whichever instance stored
 * them first.
 *
 * HSETNX registers a key atomically, so two instances never both win.
 * Every change to a ban is one script (EVAL), one step on the Redis
 * server: another instance's /ban or /unban lands before it or after
 * it, never between a read and a write of it.
 *
 * Whatever Redis answers is untrusted: a field that fails the nick rule,
 * a hash of the wrong shape or a reason that is not clean text is
 * dropped or cut, as a member's line would be; a script's answer of the
 * wrong kind is a failure of the store.
 */

#define REDIS_ACCOUNTS	"lobby:accounts"
#define REDIS_BANS	"lobby:bans"
#define REDIS_BAN_ORDER	"{lobby:bans}:order"
#define REDIS_CONNECT_MS 3000	/* bound on reaching Redis */
#define REDIS_IO_MS	 5000	/* bound on one command's answer */
/* A ban's value: UNTIL (digits), BY, ALSO, REASON and their spaces. */
#define REDIS_BAN_VALUE_MAX \
	(24 + PROTO_NICK_MAX + ACCT_TARGET_MAX + ACCT_REASON_MAX + 4)

/*
 * The scripts. KEYS: the bans, then (but for ban_retime) their order;
 * ARGV[1] a ban's target. Each starts with a line naming it.
 */

/*
 * ARGV[2] the value: the ban is set, made now, last in the order. But a
 * nick's new ban goes before the bans made with it already stored (ALSO
 * it: its member's address, the account of a renamed member), which the
 * instance holding its member stores on the act, maybe before the
 * operator's instance stores the nick's: it takes the first one's place,
 * and that one and all after it move one on. The bans are read for that
 * only then, at an operator's /ban of a nick not banned.
 */
static const char redis_lua_put[] =
	"-- ban_put: set ban ARGV[1] to ARGV[2], last in the order (a\n"
	"-- nick's new one before the bans already stored with it)\n"
	"local n\n"
	"if string.sub(ARGV[1], 1, 2) == 'n:' and\n"
	"    redis.call('HEXISTS', KEYS[1], ARGV[1]) == 0 then\n"
	"  local h = redis.call('HGETALL', KEYS[1])\n"
	"  for i = 1, #h, 2 do\n"
	"    if string.match(h[i + 1], '^%S+ %S+ (%S+)') == ARGV[1] then\n"
	"      local p = tonumber(redis.call('ZSCORE', KEYS[2], h[i]))\n"
	"      if p and (not n or p < n) then n = p end\n"
	"    end\n"
	"  end\n"
	"end\n"
	"if n then\n"
	"  local o = redis.call('ZRANGEBYSCORE', KEYS[2], n, '+inf')\n"
	"  for i = 1, #o do redis.call('ZINCRBY', KEYS[2], 1, o[i]) end\n"
	"else\n"
	"  local last = redis.call('ZRANGE', KEYS[2], -1, -1, 'WITHSCORES')\n"
	"  n = 1\n"
	"  if last[2] then n = tonumber(last[2]) + 1 end\n"
	"end\n"
	"redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])\n"
	"redis.call('ZADD', KEYS[2], n, ARGV[1])\n"
	"return 1\n";

/* ARGV[2] the value as read, ARGV[3] it with the new UNTIL: set only if
 * unchanged (not lifted, not set again meanwhile). 1 if set, else 0. */
static const char redis_lua_retime[] =
	"-- ban_retime: ban ARGV[1], if still ARGV[2], becomes ARGV[3]\n"
	"if redis.call('HGET', KEYS[1], ARGV[1]) ~= ARGV[2] then\n"
	"  return 0\n"
	"end\n"
	"redis.call('HSET', KEYS[1], ARGV[1], ARGV[3])\n"
	"return 1\n";

/* ARGV[2], if given, the value it must still have (a ban run out: one
 * set again meanwhile stays). How many bans went: 1 or 0. */
static const char redis_lua_del[] =
	"-- ban_del: lift ban ARGV[1] (if still ARGV[2], when given)\n"
	"if ARGV[2] and redis.call('HGET', KEYS[1], ARGV[1]) ~= ARGV[2] then\n"
	"  return 0\n"
	"end\n"
	"redis.call('ZREM', KEYS[2], ARGV[1])\n"
	"return redis.call('HDEL', KEYS[1], ARGV[1])\n";

/* Every ban, as HGETALL gives them, in the order. One with no place
 * (set by hand, or by an older lobbyd) gets the next, in the hash's
 * order; a place whose ban is gone goes. */
static const char redis_lua_list[] =
	"-- ban_list: every ban, TARGET VALUE ..., in the order\n"
	"local h = redis.call('HGETALL', KEYS[1])\n"
	"local o = redis.call('ZRANGE', KEYS[2], 0, -1, 'WITHSCORES')\n"
	"local v, out, n = {}, {}, 0\n"
	"for i = 1, #h, 2 do v[h[i]] = h[i + 1] end\n"
	"for i = 1, #o, 2 do\n"
	"  if v[o[i]] then\n"
	"    out[#out + 1] = o[i]\n"
	"    out[#out + 1] = v[o[i]]\n"
	"    v[o[i]] = nil\n"
	"  else\n"
	"    redis.call('ZREM', KEYS[2], o[i])\n"
	"  end\n"
	"  n = tonumber(o[i + 1])\n"
	"end\n"
	"for i = 1, #h, 2 do\n"
	"  if v[h[i]] then\n"
	"    n = n + 1\n"
	"    redis.call('ZADD', KEYS[2], n, h[i])\n"
	"    out[#out + 1] = h[i]\n"
	"    out[#out + 1] = h[i + 1]\n"
	"  end\n"
	"end\n"
	"return out\n";

struct redis_store {
	struct acct_store st;		/* first: the interface */
	struct acct_redis_io io;	/* how commands go and come back */
};

/* Send a command of argc words, lens[i] bytes at argv[i]; NULL after
 * noting why (the link failed, or Redis answered an error). */
static redisReply *
redis_cmdv(struct redis_store *s, int argc, const char **argv,
    const size_t *lens)
{
	redisReply *r;

	if ((r = s->io.command(s->io.ctx, argc, argv, lens)) == NULL) {
		snprintf(s->st.err, sizeof s->st.err, "redis: the link failed");
		return NULL;
	}
	if (r->type == REDIS_REPLY_ERROR) {
		snprintf(s->st.err, sizeof s->st.err, "redis: %.*s",
		    (int)(r->len < 200 ? r->len : 200), r->str);
		s->io.free_reply(r);
		return NULL;
	}
	return r;
}

/* Send a command of argc (at most 8) NUL-terminated words. */
static redisReply *
redis_cmd(struct redis_store *s, int argc, const char **argv)
{
	size_t lens[8];
	int i;

	for (i = 0; i < argc && i < 8; i++)
		lens[i] = strlen(argv[i]);
	return redis_cmdv(s, argc, argv, lens);
}

/*
 * The integer a script answered in r, freed here: its value, or -1
 * after noting why when it is no integer from 0 to max (an answer of
 * another kind: Redis is not what it should be).
 */
static int
redis_script_int(struct redis_store *s, redisReply *r, long long max,
    const char *what, const char *target)
{
	int rc = -1;

	if (r->type == REDIS_REPLY_INTEGER && r->integer >= 0 &&
	    r->integer <= max)
		rc = (int)r->integer;
	else
		snprintf(s->st.err, sizeof s->st.err, "redis: %s %s: not "
		    "the script's answer", what, target);
	s->io.free_reply(r);
	return rc;
}

/* Whether key[0..n) is a key: a valid nick in lower case. */
static bool
redis_key_ok(const char *key, size_t n)
{
	size_t i;

	if (!proto_nick_valid(key, n))
		return false;
	for (i = 0; i < n; i++)
		if (key[i] >= 'A' && key[i] <= 'Z')
			return false;
	return true;
}

/*
 * Parse an account's value "NICK HASH" of n bytes into nick and hash.
 * Returns 0, or -1 when it is not one.
 */
static int
redis_account_parse(const char *v, size_t n, char nick[PROTO_NICK_MAX + 1],
    char hash[ACCT_HASH_MAX])
{
	const char *sp = memchr(v, ' ', n);
	size_t nl, hl, i;

	if (sp == NULL)
		return -1;
	nl = (size_t)(sp - v);
	hl = n - nl - 1;
	if (!proto_nick_valid(v, nl) || hl == 0 || hl >= ACCT_HASH_MAX)
		return -1;
	for (i = 0; i < hl; i++)
		if (sp[1 + i] <= ' ' || sp[1 + i] > '~')
			return -1;
	memcpy(nick, v, nl);
	nick[nl] = '\0';
	memcpy(hash, sp + 1, hl);
	hash[hl] = '\0';
	return 0;
}

static int
redis_get(struct acct_store *st, const char *key,
    char nick[PROTO_NICK_MAX + 1], char hash[ACCT_HASH_MAX])
{
	struct redis_store *s = (struct redis_store *)st;
	const char *argv[] = { "HGET", REDIS_ACCOUNTS, key };
	redisReply *r;
	int rc = 0;

	if ((r = redis_cmd(s, 3, argv)) == NULL)
		return -1;
	if (r->type == REDIS_REPLY_STRING) {
		rc = 1;
		if (redis_account_parse(r->str, r->len, nick, hash) == -1) {
			snprintf(st->err, sizeof st->err, "redis: account %s: "
			    "not NICK HASH", key);
			rc = -1;
		}
	}
	s->io.free_reply(r);
	return rc;
}

static int
redis_add(struct acct_store *st, const char *key, const char *nick,
    const char *hash)
{
	struct redis_store *s = (struct redis_store *)st;
	char v[PROTO_NICK_MAX + 1 + ACCT_HASH_MAX + 1];
	const char *argv[] = { "HSETNX", REDIS_ACCOUNTS, key, v };
	redisReply *r;
	int rc;

	snprintf(v, sizeof v, "%s %s", nick, hash);
	if ((r = redis_cmd(s, 4, argv)) == NULL)
		return -1;
	rc = r->type == REDIS_REPLY_INTEGER && r->integer == 1 ? 0 : 1;
	s->io.free_reply(r);
	return rc;
}

static int
redis_keys(struct acct_store *st, acct_key_fn fn, void *arg)
{
	struct redis_store *s = (struct redis_store *)st;
	const char *argv[] = { "HKEYS", REDIS_ACCOUNTS };
	redisReply *r, *e;
	char key[PROTO_NICK_MAX + 1];
	size_t i;

	if ((r = redis_cmd(s, 2, argv)) == NULL)
		return -1;
	for (i = 0; r->type == REDIS_REPLY_ARRAY && i < r->elements; i++) {
		e = r->element[i];
		if (e->type != REDIS_REPLY_STRING || !redis_key_ok(e->str,
		    e->len))
			continue;	/* not a key: never matches a nick */
		memcpy(key, e->str, e->len);
		key[e->len] = '\0';
		fn(arg, key);
	}
	s->io.free_reply(r);
	return 0;
}

/* Whether target[0..n) is "n:KEY" or "a:ADDRESS" (hex digits . : only). */
static bool
redis_target_ok(const char *t, size_t n)
{
	size_t i;

	if (n < 3 || n >= ACCT_TARGET_MAX || t[1] != ':')
		return false;
	if (t[0] == 'n')
		return redis_key_ok(t + 2, n - 2);
	if (t[0] != 'a')
		return false;
	for (i = 2; i < n; i++)
		if (strchr("0123456789abcdefABCDEF.:", t[i]) == NULL ||
		    t[i] == '\0')
			return false;
	return true;
}

/*
 * Parse the ban on target (checked) from its value "UNTIL BY ALSO REASON"
 * of n bytes. Returns 0, or -1 when it is not one.
 */
static int
redis_ban_parse(const char *target, size_t tlen, const char *v, size_t n,
    struct acct_ban *b)
{
	char num[24], clean[TEXT_CLEAN_MAX(ACCT_REASON_MAX) + 1];
	const char *p = v, *end = v + n, *sp;
	size_t k;

	memset(b, 0, sizeof *b);
	if (!redis_target_ok(target, tlen))
		return -1;
	memcpy(b->target, target, tlen);
	if ((sp = memchr(p, ' ', n)) == NULL || sp == p ||
	    (size_t)(sp - p) >= sizeof num)
		return -1;
	memcpy(num, p, (size_t)(sp - p));
	num[sp - p] = '\0';
	if (strspn(num, "0123456789") != strlen(num))
		return -1;
	b->until = strtoll(num, NULL, 10);
	p = sp + 1;
	if ((sp = memchr(p, ' ', (size_t)(end - p))) == NULL)
		sp = end;
	if (!proto_nick_valid(p, (size_t)(sp - p)))
		return -1;
	memcpy(b->by, p, (size_t)(sp - p));
	if (sp == end)
		return -1;
	p = sp + 1;
	if ((sp = memchr(p, ' ', (size_t)(end - p))) == NULL)
		sp = end;
	if (!(sp - p == 1 && *p == '-')) {
		if (!redis_target_ok(p, (size_t)(sp - p)))
			return -1;
		memcpy(b->also, p, (size_t)(sp - p));
	}
	p = sp < end ? sp + 1 : end;
	/* The reason reaches members' screens: cleaned as chat is, and cut. */
	k = (size_t)(end - p);
	if (k > ACCT_REASON_MAX)
		return -1;
	k = text_clean(p, k, clean);
	if (k > ACCT_REASON_MAX)
		k = 0;
	memcpy(b->reason, clean, k);
	b->reason[k] = '\0';
	return 0;
}

static int
redis_ban_put(struct acct_store *st, const struct acct_ban *b)
{
	struct redis_store *s = (struct redis_store *)st;
	char v[REDIS_BAN_VALUE_MAX];
	const char *argv[] = { "EVAL", redis_lua_put, "2", REDIS_BANS,
	    REDIS_BAN_ORDER, b->target, v };
	redisReply *r;

	snprintf(v, sizeof v, "%lld %s %s %s", (long long)b->until, b->by,
	    b->also[0] != '\0' ? b->also : "-", b->reason);
	if ((r = redis_cmd(s, 7, argv)) == NULL)
		return -1;
	return redis_script_int(s, r, 1, "ban", b->target) == 1 ? 0 : -1;
}

/*
 * The value is read and checked here, then set with the new UNTIL, the
 * rest as it was, by a script that sets it only if it is still the
 * value read: an /unban, or a /ban, by another instance in between
 * stands (a ban it lifted is not brought back). The order is not
 * touched: the ban keeps its place.
 */
static int
redis_ban_retime(struct acct_store *st, const char *target, int64_t until)
{
	struct redis_store *s = (struct redis_store *)st;
	char old[REDIS_BAN_VALUE_MAX], v[REDIS_BAN_VALUE_MAX];
	const char *get[] = { "HGET", REDIS_BANS, target };
	const char *set[] = { "EVAL", redis_lua_retime, "1", REDIS_BANS,
	    target, old, v };
	size_t lens[7];
	struct acct_ban b;
	redisReply *r;
	const char *sp;
	int i, n;

	if ((r = redis_cmd(s, 3, get)) == NULL)
		return -1;
	/* One that is not a ban is none: ban_list() skips it too. */
	if (r->type != REDIS_REPLY_STRING || r->len >= sizeof old ||
	    redis_ban_parse(target, strlen(target), r->str, r->len,
	    &b) == -1) {
		s->io.free_reply(r);
		return 0;
	}
	memcpy(old, r->str, r->len);
	old[r->len] = '\0';
	sp = memchr(old, ' ', r->len);
	n = snprintf(v, sizeof v, "%lld%.*s", (long long)until,
	    (int)(r->len - (size_t)(sp - old)), sp);
	for (i = 0; i < 7; i++)
		lens[i] = strlen(set[i]);
	lens[5] = r->len;	/* as read, a NUL in it too */
	s->io.free_reply(r);
	if (n < 0 || (size_t)n >= sizeof v) {
		snprintf(st->err, sizeof st->err, "redis: ban %s: too long",
		    target);
		return -1;
	}
	if ((r = redis_cmdv(s, 7, set, lens)) == NULL)
		return -1;
	return redis_script_int(s, r, 1, "ban", target);
}

/* Lift the ban on target: if given, only while its value is v[0..vlen).
 * 1, 0 when there was none (or it changed), or -1. */
static int
redis_ban_drop(struct redis_store *s, const char *target, const char *v,
    size_t vlen)
{
	const char *argv[] = { "EVAL", redis_lua_del, "2", REDIS_BANS,
	    REDIS_BAN_ORDER, target, v };
	size_t lens[7];
	redisReply *r;
	int i, argc = v != NULL ? 7 : 6;

	for (i = 0; i < 6; i++)
		lens[i] = strlen(argv[i]);
	lens[6] = vlen;
	if ((r = redis_cmdv(s, argc, argv, lens)) == NULL)
		return -1;
	return redis_script_int(s, r, 1, "unban", target);
}

static int
redis_ban_del(struct acct_store *st, const char *target)
{
	return redis_ban_drop((struct redis_store *)st, target, NULL, 0);
}

static int
redis_ban_get(struct acct_store *st, const char *target, int64_t now,
    struct acct_ban *b)
{
	struct redis_store *s = (struct redis_store *)st;
	const char *argv[] = { "HGET", REDIS_BANS, target };
	redisReply *r;
	int rc = 0;

	if ((r = redis_cmd(s, 3, argv)) == NULL)
		return -1;
	if (r->type == REDIS_REPLY_STRING && redis_ban_parse(target,
	    strlen(target), r->str, r->len, b) == 0 &&
	    acct_ban_running(b, now))
		rc = 1;
	s->io.free_reply(r);
	return rc;
}

static int
redis_ban_list(struct acct_store *st, int64_t now, acct_ban_fn fn,
    void *arg)
{
	struct redis_store *s = (struct redis_store *)st;
	const char *argv[] = { "EVAL", redis_lua_list, "2", REDIS_BANS,
	    REDIS_BAN_ORDER };
	redisReply *r, *k, *v;
	struct acct_ban b;
	size_t i;

	if ((r = redis_cmd(s, 5, argv)) == NULL)
		return -1;
	/* Not a list: no bans read, none lifted on its word. */
	if (r->type != REDIS_REPLY_ARRAY) {
		snprintf(st->err, sizeof st->err, "redis: bans: not the "
		    "script's answer");
		s->io.free_reply(r);
		return -1;
	}
	for (i = 0; i + 1 < r->elements; i += 2) {
		k = r->element[i];
		v = r->element[i + 1];
		if (k->type != REDIS_REPLY_STRING ||
		    v->type != REDIS_REPLY_STRING ||
		    redis_ban_parse(k->str, k->len, v->str, v->len, &b) == -1)
			continue;
		if (acct_ban_running(&b, now)) {
			fn(arg, &b);
			continue;
		}
		/* Run out: gone for every instance, unless one set it
		 * again since it was read. */
		(void)redis_ban_drop(s, b.target, v->str, v->len);
	}
	s->io.free_reply(r);
	return 0;
}

static void
redis_free(struct acct_store *st)
{
	struct redis_store *s = (struct redis_store *)st;

	if (s == NULL)
		return;
	if (s->io.free != NULL)
		s->io.free(s->io.ctx);
	free(s);
}

static const struct acct_store_ops redis_ops = {
	"redis",
	redis_get,
	redis_add,
	redis_keys,
	redis_ban_put,
	redis_ban_retime,
	redis_ban_del,
	redis_ban_get,
	redis_ban_list,
	redis_free,
};

struct acct_store *
acctstore_redis_new(const struct acct_redis_io *io)
{
	struct redis_store *s;

	if ((s = calloc(1, sizeof *s)) == NULL)
		return NULL;
	s->st.ops = &redis_ops;
	s->io = *io;
	return &s->st;
}

/*
 * The real io: a blocking hiredis context. A link that failed is made
 * again once per command (a restarted Redis is found again).
 */
static redisReply *
redis_io_command(void *ctx, int argc, const char **argv, const size_t *lens)
{
	redisContext *c = ctx;
	redisReply *r = NULL;

	if (c->err == 0)
		r = redisCommandArgv(c, argc, argv, lens);
	if (r == NULL && redisReconnect(c) == REDIS_OK)
		r = redisCommandArgv(c, argc, argv, lens);
	return r;
}

static void
redis_io_free_reply(redisReply *r)
{
	freeReplyObject(r);
}

static void
redis_io_free(void *ctx)
{
	redisFree(ctx);
}

struct acct_store *
acctstore_redis_connect(const char *addr, char *err, size_t errlen)
{
	struct acct_redis_io io;
	struct acct_store *st;
	struct timeval tv = { REDIS_CONNECT_MS / 1000, 0 };
	struct hostport hp;
	const char *why;
	redisContext *rc;

	if (hostport_parse(addr, HOSTPORT_UNIX, &hp, &why) == -1) {
		snprintf(err, errlen, "%s", why);
		return NULL;
	}
	rc = hp.is_unix ? redisConnectUnixWithTimeout(hp.path, tv) :
	    redisConnectWithTimeout(hp.host, (int)hp.port, tv);
	if (rc == NULL || rc->err) {
		snprintf(err, errlen, "%s", rc != NULL ? rc->errstr :
		    "out of memory");
		if (rc != NULL)
			redisFree(rc);
		return NULL;
	}
	tv.tv_sec = REDIS_IO_MS / 1000;
	(void)redisSetTimeout(rc, tv);
	io.command = redis_io_command;
	io.free_reply = redis_io_free_reply;
	io.free = redis_io_free;
	io.ctx = rc;
	if ((st = acctstore_redis_new(&io)) == NULL) {
		snprintf(err, errlen, "out of memory");
		redisFree(rc);
	}
	return st;
}
