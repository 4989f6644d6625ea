/* accounts: registered nicks, logins, operators, kicks, bans and mutes. */
#include "accounts.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "net.h"
#include "room.h"
#include "text.h"

/* ---------------------------------------------------------------------
 * Small helpers
 * ------------------------------------------------------------------- */

/* Overwrite n bytes at p in a way the compiler may not leave out. */
static void
acct_wipe(void *p, size_t n)
{
	volatile unsigned char *v = p;

	while (n-- > 0)
		*v++ = 0;
}

/* nick[0..len) in lower case into key (PROTO_NICK_MAX + 1 bytes). */
static void
acct_key(const char *nick, size_t len, char key[PROTO_NICK_MAX + 1])
{
	size_t i;

	if (len > PROTO_NICK_MAX)
		len = PROTO_NICK_MAX;
	for (i = 0; i < len; i++)
		key[i] = (nick[i] >= 'A' && nick[i] <= 'Z') ?
		    (char)(nick[i] - 'A' + 'a') : nick[i];
	key[len] = '\0';
}

static int64_t
acct_now(const struct accounts *acc)
{
	return acc->clock != NULL ? acc->clock(acc->clock_arg) : 0;
}

/* Grow *arr (of *cap items of size sz) to hold one more. 0 or -1. */
static int
acct_grow(void *arrp, size_t *cap, size_t n, size_t sz)
{
	void **arr = arrp;
	size_t ncap;
	void *p;

	if (n < *cap)
		return 0;
	ncap = *cap != 0 ? *cap * 2 : 16;
	if ((p = realloc(*arr, ncap * sz)) == NULL)
		return -1;
	*arr = p;
	*cap = ncap;
	return 0;
}

void
accounts_addr(const char *peer, char out[ACCT_ADDR_MAX])
{
	char host[ACCT_ADDR_MAX];
	const char *end;
	size_t n;

	out[0] = '\0';
	if (peer[0] == '[') {
		/* "[v6]:port" */
		if ((end = strchr(peer, ']')) == NULL)
			return;
		peer++;
	} else if ((end = strrchr(peer, ':')) == NULL ||
	    strchr(peer, ':') != end)
		return;		/* a Unix path, or no port */
	n = (size_t)(end - peer);
	if (n == 0 || n >= ACCT_ADDR_MAX)
		return;
	memcpy(host, peer, n);
	host[n] = '\0';
	if (net_host_canon(host, out, ACCT_ADDR_MAX) == -1)
		out[0] = '\0';
}

/*
 * Whether s[0..n) is a numeric IPv4 or IPv6 address (no scope), written
 * to out in its canonical text: a ban and the address of a connection
 * are compared as that, so every spelling of one host (an IPv4 client
 * seen on a dual-stack listener as ::ffff:1.2.3.4, "0:0:0:0:0:0:0:1")
 * is one address.
 */
static bool
acct_is_address(const char *s, size_t n, char out[ACCT_ADDR_MAX])
{
	char text[ACCT_ADDR_MAX];

	if (n == 0 || n >= ACCT_ADDR_MAX)
		return false;
	memcpy(text, s, n);
	text[n] = '\0';
	return net_host_canon(text, out, ACCT_ADDR_MAX) == 0;
}

/*
 * Bring the address of ban target t ("a:ADDRESS"; any other is left as
 * it is) to its canonical text. Returns false for an "a:" target that is
 * no address: a ban read from the store may be written by hand or by an
 * older version.
 */
static bool
acct_target_canon(char t[ACCT_TARGET_MAX])
{
	char addr[ACCT_ADDR_MAX];

	if (strncmp(t, "a:", 2) != 0)
		return true;
	if (!acct_is_address(t + 2, strlen(t + 2), addr))
		return false;
	snprintf(t, ACCT_TARGET_MAX, "a:%s", addr);
	return true;
}

/* The first room of r's server (r itself for a room on its own). */
static struct room *
acct_first_room(struct room *r)
{
	return r->reg != NULL ? r->reg->head : r;
}

/* The room after rr on r's server, or NULL. */
static struct room *
acct_next_room(const struct room *r, const struct room *rr)
{
	return r->reg != NULL ? rr->rnext : NULL;
}

/* The room member c is in (r when it has none: unit tests). Its own
 * lines must go through its own room: each room has its own log. */
static struct room *
acct_room(struct room *r, const struct client *c)
{
	return c->room != NULL ? c->room : r;
}

/* The member, in any room, whose connection number is id, or NULL. */
static struct client *
acct_member(struct room *r, unsigned id)
{
	struct room *rr;
	struct client *c;

	for (rr = acct_first_room(r); rr != NULL; rr = acct_next_room(r, rr))
		for (c = room_first(rr); c != NULL; c = room_next(c))
			if (c->id == id)
				return c;
	return NULL;
}

/* The member, in any room, logged in as key other than c, or NULL. */
static struct client *
acct_session(struct room *r, const char *key, const struct client *c)
{
	struct room *rr;
	struct client *m;

	for (rr = acct_first_room(r); rr != NULL; rr = acct_next_room(r, rr))
		for (m = room_first(rr); m != NULL; m = room_next(m))
			if (m != c && strcmp(m->account, key) == 0)
				return m;
	return NULL;
}

/* Parse a whole number of minutes s[0..n): 0 or -1 (not one). */
static int
acct_minutes(const char *s, size_t n, long *out)
{
	long v = 0;
	size_t i;

	if (n == 0 || n > 8)
		return -1;
	for (i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		v = v * 10 + (s[i] - '0');
	}
	if (v > ACCT_MINUTES_MAX)
		return -1;
	*out = v;
	return 0;
}

/*
 * The MINUTES word w[0..wlen) of /ban or /mute into *out: 1 when it is
 * one, 0 when there is none or it is no number (the caller's to judge),
 * -1 after telling c that a number is out of range.
 */
static int
acct_minutes_arg(struct room *r, struct client *c, const char *w,
    size_t wlen, long *out)
{
	if (wlen == 0)
		return 0;
	if (acct_minutes(w, wlen, out) == 0)
		return 1;
	/* A number, signed or not, is MINUTES: out of range, not a
	 * reason's first word. */
	if ((w[0] >= '0' && w[0] <= '9') || (wlen > 1 && (w[0] == '-' ||
	    w[0] == '+') && w[1] >= '0' && w[1] <= '9')) {
		room_sendf(r, c, PROTO_BAD_MINUTES, (int)wlen, w,
		    ACCT_MINUTES_MAX);
		return -1;
	}
	return 0;
}

/* ---------------------------------------------------------------------
 * The caches: registered nicks, bans, mutes, failed logins
 * ------------------------------------------------------------------- */

int
accounts_init(struct accounts *acc, bool on, const char *const *ops,
    size_t nops)
{
	memset(acc, 0, sizeof *acc);
	acc->on = on;
	acc->ops = ops;
	acc->nops = nops;
	return 0;
}

void
accounts_free(struct accounts *acc)
{
	free(acc->keys);
	free(acc->bans);
	free(acc->mutes);
	free(acc->fails);
	free(acc->changes);
	acc->changes = NULL;
	acc->nchanges = acc->capchanges = 0;
	acc->keys = NULL;
	acc->bans = NULL;
	acc->mutes = NULL;
	acc->fails = NULL;
	acc->nkeys = acc->nbans = acc->nmutes = acc->nfails = 0;
	acc->capkeys = acc->capbans = acc->capmutes = acc->capfails = 0;
}

/* Whether key is registered. */
static bool
acct_registered(const struct accounts *acc, const char *key)
{
	size_t i;

	for (i = 0; i < acc->nkeys; i++)
		if (strcmp(acc->keys[i], key) == 0)
			return true;
	return false;
}

int
accounts_add_key(struct accounts *acc, const char *key)
{
	if (acct_registered(acc, key))
		return 0;
	if (acct_grow(&acc->keys, &acc->capkeys, acc->nkeys,
	    sizeof acc->keys[0]) == -1)
		return -1;
	snprintf(acc->keys[acc->nkeys++], sizeof acc->keys[0], "%s", key);
	return 0;
}

/* The ban on target still running, or NULL. */
static struct acct_ban *
acct_ban_find(struct accounts *acc, const char *target)
{
	int64_t now = acct_now(acc);
	size_t i;

	for (i = 0; i < acc->nbans; i++)
		if (strcmp(acc->bans[i].target, target) == 0 &&
		    acct_ban_running(&acc->bans[i], now))
			return &acc->bans[i];
	return NULL;
}

/* Take ban i out of the cache, keeping the order of the others. */
static void
acct_ban_remove(struct accounts *acc, size_t i)
{
	memmove(&acc->bans[i], &acc->bans[i + 1],
	    (acc->nbans - i - 1) * sizeof acc->bans[0]);
	acc->nbans--;
}

/* Plan the timer for an end at Unix ms until (0: none). */
static void
acct_plan(struct accounts *acc, int64_t until)
{
	int64_t ms;

	if (until == 0 || acc->schedule == NULL)
		return;
	ms = until - acct_now(acc);
	acc->schedule(acc->schedule_arg, ms > 0 ? ms : 0);
}

int
accounts_add_ban(struct accounts *acc, const struct acct_ban *ban)
{
	struct acct_ban b = *ban;
	size_t i;

	/* Kept with the address in its canonical text, as it is looked
	 * up; one that is no address can match nobody. */
	if (!acct_target_canon(b.target) || !acct_target_canon(b.also))
		return 0;
	for (i = 0; i < acc->nbans; i++)
		if (strcmp(acc->bans[i].target, b.target) == 0) {
			acct_ban_remove(acc, i);
			break;
		}
	if (acct_grow(&acc->bans, &acc->capbans, acc->nbans,
	    sizeof acc->bans[0]) == -1)
		return -1;
	acc->bans[acc->nbans++] = b;
	acct_plan(acc, b.until);
	return 0;
}

/* The mute of key, or NULL. */
static struct acct_mute *
acct_mute_find(struct accounts *acc, const char *key)
{
	size_t i;

	for (i = 0; i < acc->nmutes; i++)
		if (strcmp(acc->mutes[i].key, key) == 0)
			return &acc->mutes[i];
	return NULL;
}

/* The failed logins of addr, or NULL; those older than the window go,
 * unless a login from there is still out. */
static struct acct_fails *
acct_fails_find(struct accounts *acc, const char *addr, int64_t now)
{
	size_t i = 0;

	while (i < acc->nfails) {
		struct acct_fails *f = &acc->fails[i];

		if (f->pending == 0 && (f->n == 0 ||
		    f->at[f->n - 1] <= now - ACCT_FAILS_MS)) {
			acc->fails[i] = acc->fails[--acc->nfails];
			continue;
		}
		if (strcmp(f->addr, addr) == 0)
			return f;
		i++;
	}
	return NULL;
}

/*
 * Whether addr has had ACCT_FAILS_MAX failed logins within the window,
 * counting those still being checked as failed: logins sent all at once
 * must not each get through before the first has failed.
 */
static bool
acct_throttled(struct accounts *acc, const char *addr)
{
	int64_t now = acct_now(acc);
	struct acct_fails *f = acct_fails_find(acc, addr, now);
	unsigned i, n;

	if (f == NULL)
		return false;
	for (i = n = 0; i < f->n; i++)
		if (f->at[i] > now - ACCT_FAILS_MS)
			n++;
	return n + f->pending >= ACCT_FAILS_MAX;
}

/* The entry of addr, made if need be, or NULL out of memory. */
static struct acct_fails *
acct_fails_get(struct accounts *acc, const char *addr)
{
	struct acct_fails *f = acct_fails_find(acc, addr, acct_now(acc));

	if (f == NULL) {
		if (acc->nfails == ACCT_FAILS_ADDRS) {
			/* Full: the first goes (an attacker with 4096
			 * addresses gains 5 tries each, no more). */
			acc->fails[0] = acc->fails[--acc->nfails];
		}
		if (acct_grow(&acc->fails, &acc->capfails, acc->nfails,
		    sizeof acc->fails[0]) == -1)
			return NULL;
		f = &acc->fails[acc->nfails++];
		memset(f, 0, sizeof *f);
		snprintf(f->addr, sizeof f->addr, "%s", addr);
	}
	return f;
}

/* A login from addr is out (pending), or back (done, failed or not). */
static void
acct_login_out(struct accounts *acc, const char *addr, bool out)
{
	struct acct_fails *f;

	if (out) {
		if ((f = acct_fails_get(acc, addr)) != NULL)
			f->pending++;
		return;
	}
	f = acct_fails_find(acc, addr, acct_now(acc));
	if (f != NULL && f->pending > 0)
		f->pending--;
}

/* Count a failed login from addr. */
static void
acct_failed(struct accounts *acc, const char *addr)
{
	int64_t now = acct_now(acc);
	struct acct_fails *f;

	if ((f = acct_fails_get(acc, addr)) == NULL)
		return;
	if (f->n == ACCT_FAILS_MAX) {
		memmove(&f->at[0], &f->at[1], (ACCT_FAILS_MAX - 1) *
		    sizeof f->at[0]);
		f->n--;
	}
	f->at[f->n++] = now;
}

/*
 * c's password job is out: c's next lines wait for its answer
 * (CLIENT_HASHING: the loop does not read c meanwhile), so that they run
 * after it, in order, and c has one such job out at most. A register's
 * nick (key) stays c's meanwhile: c cannot rename, and nobody else may
 * take it should c leave before the answer (accounts_nick_ok()).
 */
static void
acct_hashing(struct accounts *acc, struct client *c, const char *key)
{
	size_t i;

	c->flags |= CLIENT_HASHING;
	if (key == NULL)
		return;
	for (i = 0; i < ACCT_QUEUE_MAX; i++)
		if (acc->claims[i].client == 0) {
			acc->claims[i].client = c->id;
			snprintf(acc->claims[i].key, sizeof acc->claims[i].key,
			    "%s", key);
			return;
		}
}

/* Whether key is claimed by a register that is out for another than c. */
static bool
acct_claimed(const struct accounts *acc, const struct client *c,
    const char *key)
{
	size_t i;

	for (i = 0; i < ACCT_QUEUE_MAX; i++)
		if (acc->claims[i].client != 0 &&
		    acc->claims[i].client != c->id &&
		    strcmp(acc->claims[i].key, key) == 0)
			return true;
	return false;
}

/* ---------------------------------------------------------------------
 * Jobs
 * ------------------------------------------------------------------- */

/* A new job of kind for member c (or NULL), or NULL out of memory. */
static struct acct_job *
acct_job_new(struct accounts *acc, enum acct_job_kind kind,
    const struct client *c)
{
	struct acct_job *j;

	if ((j = calloc(1, sizeof *j)) == NULL)
		return NULL;
	j->kind = kind;
	j->client = c != NULL ? c->id : 0;
	j->now = acct_now(acc);
	return j;
}

/* Wipe and free job j. */
static void
acct_job_free(struct acct_job *j)
{
	acct_wipe(j->pass, sizeof j->pass);
	free(j->bans);
	free(j->keys);
	free(j->keep);
	free(j);
}

/*
 * Hand j to the worker. A password job counts toward ACCT_QUEUE_MAX.
 * Returns 0, or -1 (j freed) when the queue is full or out of memory.
 */
static int
acct_submit(struct accounts *acc, struct acct_job *j)
{
	bool pass = j->kind == ACCT_JOB_REGISTER || j->kind == ACCT_JOB_LOGIN;

	if ((pass && acc->queued >= ACCT_QUEUE_MAX) || acc->submit == NULL ||
	    acc->submit(acc->submit_arg, j) == -1) {
		acct_job_free(j);
		return -1;
	}
	if (pass)
		acc->queued++;
	return 0;
}

/*
 * Ban b, a nick's, is set (again, maybe for another time): the bans lifted
 * with it, those that point back to it (its member's address, the
 * account a renamed member was logged in to), end with it too. Here in
 * the cache; the store's are the worker's to set (a ban job's retime),
 * as with --redis another instance may have stored them.
 */
static void
acct_ban_retime(struct accounts *acc, const struct acct_ban *b)
{
	int64_t now = acct_now(acc);
	size_t i;

	for (i = 0; i < acc->nbans; i++) {
		struct acct_ban *l = &acc->bans[i];

		if (strcmp(l->also, b->target) == 0 &&
		    strcmp(l->target, b->target) != 0 &&
		    acct_ban_running(l, now))
			l->until = b->until;
	}
}

/*
 * Note a change to the bans here that a read of the store may not hold
 * (struct acct_change): ban b set (retime: a nick's, those pointing back
 * to it take its end), or lifted (lift); act: it came as another
 * instance's act. One made here is noted only while a read is out: a read
 * asked after it comes after its store write. An older change to the same
 * target goes, as do those of acts past ACCT_ACT_STORE_MS.
 */
static void
acct_change(struct accounts *acc, struct room *r, const struct acct_ban *b,
    bool act, bool lift, bool retime)
{
	int64_t now = acct_now(acc);
	struct acct_change *ch;
	struct acct_ban cb = *b;
	size_t i = 0;

	acc->gen++;
	if (!acct_target_canon(cb.target) || !acct_target_canon(cb.also))
		return;
	while (i < acc->nchanges) {
		ch = &acc->changes[i];
		if (strcmp(ch->ban.target, cb.target) != 0 && (!ch->act ||
		    now - ch->at < ACCT_ACT_STORE_MS)) {
			i++;
			continue;
		}
		memmove(ch, ch + 1, (acc->nchanges - i - 1) * sizeof *ch);
		acc->nchanges--;
	}
	if (!act && !acc->syncing)
		return;
	if (acct_grow(&acc->changes, &acc->capchanges, acc->nchanges,
	    sizeof acc->changes[0]) == -1) {
		room_log(r, "out of memory: a read of the store may undo a "
		    "change to the ban on %s until the next", cb.target + 2);
		return;
	}
	ch = &acc->changes[acc->nchanges++];
	memset(ch, 0, sizeof *ch);
	ch->gen = acc->gen;
	ch->at = now;
	ch->act = act;
	ch->lift = lift;
	ch->retime = retime;
	ch->ban = cb;
}

/* Make change ch again, over the bans a read of the store brought. */
static void
acct_change_redo(struct accounts *acc, const struct acct_change *ch)
{
	const char *t = ch->ban.target;
	size_t i = 0;

	if (!ch->lift) {
		if (!acct_ban_running(&ch->ban, acct_now(acc)))
			return;
		(void)accounts_add_ban(acc, &ch->ban);
		if (ch->retime)
			acct_ban_retime(acc, &ch->ban);
		return;
	}
	/* A nick's lift takes the bans pointing back to it, as the worker
	 * lifts them in the store. */
	while (i < acc->nbans) {
		const struct acct_ban *b = &acc->bans[i];

		if (strcmp(b->target, t) == 0 || (strncmp(t, "n:", 2) == 0 &&
		    strcmp(b->also, t) == 0))
			acct_ban_remove(acc, i);
		else
			i++;
	}
}

/*
 * Store ban b (and keep it in the cache). retime: b is a nick's, set by an
 * operator: the bans lifted with it take its end (acct_ban_retime()).
 */
static void
acct_store_ban(struct accounts *acc, struct room *r, const struct acct_ban *b,
    bool retime)
{
	struct acct_job *j;

	if (accounts_add_ban(acc, b) == -1)
		room_log(r, "out of memory: a ban is not kept in memory");
	if (retime)
		acct_ban_retime(acc, b);
	acct_change(acc, r, b, false, false, retime);
	if ((j = acct_job_new(acc, ACCT_JOB_BAN, NULL)) == NULL) {
		room_log(r, "out of memory: a ban is not stored");
		return;
	}
	j->ban = *b;
	j->retime = retime;
	if (acct_submit(acc, j) == -1)
		room_log(r, "a ban could not be handed to the store");
}

/* Lift the ban on target in the store (and the cache). */
static void
acct_store_unban(struct accounts *acc, struct room *r, const char *target)
{
	struct acct_ban lifted;
	struct acct_job *j;
	size_t i;

	for (i = 0; i < acc->nbans; i++)
		if (strcmp(acc->bans[i].target, target) == 0) {
			acct_ban_remove(acc, i);
			break;
		}
	memset(&lifted, 0, sizeof lifted);
	snprintf(lifted.target, sizeof lifted.target, "%s", target);
	acct_change(acc, r, &lifted, false, true, false);
	if ((j = acct_job_new(acc, ACCT_JOB_UNBAN, NULL)) == NULL) {
		room_log(r, "out of memory: an unban is not stored");
		return;
	}
	snprintf(j->ban.target, sizeof j->ban.target, "%s", target);
	if (acct_submit(acc, j) == -1)
		room_log(r, "an unban could not be handed to the store");
}

/*
 * Member t, banned by ban b on its nick ("n:KEY"), is logged in to another
 * account (it renamed after its /login): that account is banned with it,
 * pointing back to b (its also), so that /unban of the nick lifts both.
 * A ban the account has already stays as it is: it is not b's to lift.
 */
static void
acct_ban_account(struct accounts *acc, struct room *r, const struct acct_ban *b,
    const struct client *t)
{
	struct acct_ban ub;

	if (t->account[0] == '\0' || strcmp(t->account, b->target + 2) == 0)
		return;
	ub = *b;
	snprintf(ub.target, sizeof ub.target, "n:%s", t->account);
	if (acct_ban_find(acc, ub.target) != NULL)
		return;
	snprintf(ub.also, sizeof ub.also, "%s", b->target);
	acct_store_ban(acc, r, &ub, false);
	room_log(r, "the ban on %s goes to the account %s too", b->target + 2,
	    t->account);
}

/*
 * Ask for a read of the store. The nicks' bans come as acts and not yet
 * read from the store go with it: the bans stored here pointing back to
 * one (its member's address) are not lifted as left behind by an /unban
 * (the worker's sync) while its operator's instance has yet to store it.
 */
int
accounts_sync(struct accounts *acc)
{
	const struct acct_change *ch;
	struct acct_job *j;
	size_t i;

	if (!acc->on || acc->syncing)
		return 0;
	if ((j = acct_job_new(acc, ACCT_JOB_SYNC, NULL)) == NULL)
		return -1;
	j->gen = acc->gen;
	for (i = 0; i < acc->nchanges; i++) {
		ch = &acc->changes[i];
		if (!ch->act || ch->lift || j->now - ch->at >=
		    ACCT_ACT_STORE_MS || strncmp(ch->ban.target, "n:", 2) != 0)
			continue;
		if (j->keep == NULL && (j->keep = calloc(acc->nchanges,
		    sizeof j->keep[0])) == NULL) {
			acct_job_free(j);
			return -1;
		}
		snprintf(j->keep[j->nkeep++], sizeof j->keep[0], "%s",
		    ch->ban.target);
	}
	if (acct_submit(acc, j) == -1)
		return -1;
	acc->syncing = true;
	return 0;
}

/* ---------------------------------------------------------------------
 * Members and their rights
 * ------------------------------------------------------------------- */

bool
accounts_is_op(const struct accounts *acc, const struct client *c)
{
	size_t i;

	if (acc == NULL || !acc->on || c->account[0] == '\0')
		return false;
	for (i = 0; i < acc->nops; i++)
		if (strcasecmp(acc->ops[i], c->account) == 0)
			return true;
	return false;
}

/*
 * Whether c may change the nick it is shown by to nick[0..len), by /nick
 * or by a /login: a muted member may not, not even in case only (the
 * room would see it renamed); false after telling it "!!! you are muted".
 * Keeping its nick exactly is no change.
 */
static bool
acct_may_rename(struct accounts *acc, struct room *r, struct client *c,
    const char *nick, size_t len)
{
	if ((strlen(c->nick) == len && memcmp(c->nick, nick, len) == 0) ||
	    !accounts_muted(acc, c))
		return true;
	room_sendf(r, c, PROTO_MUTED);
	return false;
}

bool
accounts_nick_ok(struct accounts *acc, struct room *r, struct client *c,
    const char *nick, size_t len)
{
	char key[PROTO_NICK_MAX + 1];

	if (acc == NULL || !acc->on)
		return true;
	if (!acct_may_rename(acc, r, c, nick, len))
		return false;
	acct_key(nick, len, key);
	if ((acct_registered(acc, key) && strcmp(c->account, key) != 0) ||
	    acct_claimed(acc, c, key)) {
		room_sendf(r, c, PROTO_NICK_REGISTERED, (int)len, nick,
		    (int)len, nick);
		return false;
	}
	return true;
}

bool
accounts_none_muted(const struct accounts *acc)
{
	return acc == NULL || acc->nmutes == 0;
}

bool
accounts_muted(struct accounts *acc, const struct client *c)
{
	char key[PROTO_NICK_MAX + 1];

	if (accounts_none_muted(acc))
		return false;
	acct_key(c->nick, strlen(c->nick), key);
	return acct_mute_find(acc, key) != NULL;
}

bool
accounts_say_ok(struct accounts *acc, struct room *r, struct client *c)
{
	if (!accounts_muted(acc, c))
		return true;
	room_sendf(r, c, PROTO_MUTED);
	return false;
}

/* "!!! you are banned[: REASON]" for ban b, to c. */
static void
acct_tell_banned(struct room *r, struct client *c, const struct acct_ban *b)
{
	char line[sizeof PROTO_BANNED + ACCT_REASON_MAX + 4];

	if (b->reason[0] != '\0')
		snprintf(line, sizeof line, PROTO_BANNED ": %s", b->reason);
	else
		snprintf(line, sizeof line, PROTO_BANNED);
	room_tell(r, c, line);
}

bool
accounts_refuse(struct accounts *acc, struct room *r, struct client *c)
{
	char target[ACCT_TARGET_MAX], addr[ACCT_ADDR_MAX];
	const struct acct_ban *b;

	if (acc == NULL || acc->nbans == 0)
		return false;
	accounts_addr(c->addr, addr);
	if (addr[0] == '\0')
		return false;
	snprintf(target, sizeof target, "a:%s", addr);
	if ((b = acct_ban_find(acc, target)) == NULL)
		return false;
	room_log(r, "client %u from %s refused: address banned by %s",
	    c->id, c->addr, b->by);
	acct_tell_banned(r, c, b);
	room_drop(r, c, "banned");
	return true;
}

/* ---------------------------------------------------------------------
 * /register and /login
 * ------------------------------------------------------------------- */

/* Whether pass[0..n) has a length a password may have; else say so. */
static bool
acct_pass_ok(struct room *r, struct client *c, size_t n)
{
	if (n >= ACCT_PASS_MIN && n <= ACCT_PASS_MAX)
		return true;
	room_sendf(r, c, PROTO_PASS_LENGTH, ACCT_PASS_MIN, ACCT_PASS_MAX);
	return false;
}

static void
acct_register(struct accounts *acc, struct room *r, struct client *c,
    const char *pass, size_t n)
{
	struct acct_job *j;

	if (n == 0) {
		room_sendf(r, c, PROTO_USAGE_REGISTER);
		return;
	}
	if (proto_guest_number(c->nick, (size_t)-1) != 0) {
		room_sendf(r, c, PROTO_CHOOSE_NICK);
		return;
	}
	if (!acct_pass_ok(r, c, n))
		return;
	if ((j = acct_job_new(acc, ACCT_JOB_REGISTER, c)) == NULL) {
		room_sendf(r, c, PROTO_BUSY);
		return;
	}
	snprintf(j->nick, sizeof j->nick, "%s", c->nick);
	acct_key(c->nick, strlen(c->nick), j->key);
	if (acct_registered(acc, j->key)) {
		room_sendf(r, c, PROTO_NICK_TAKEN_ACCT, c->nick);
		acct_job_free(j);
		return;
	}
	memcpy(j->pass, pass, n);
	j->passlen = n;
	if (acct_submit(acc, j) == -1) {
		room_sendf(r, c, PROTO_BUSY);
		return;
	}
	acct_hashing(acc, c, j->key);
}

static void
acct_login(struct accounts *acc, struct room *r, struct client *c,
    const char *args, size_t n)
{
	char addr[ACCT_ADDR_MAX];
	const char *nick, *pass;
	size_t len, plen;
	struct acct_job *j;

	nick = cmdline_word(args, n, &len, &pass, &plen);
	if (len == 0 || plen == 0) {
		room_sendf(r, c, PROTO_USAGE_LOGIN);
		return;
	}
	if ((j = acct_job_new(acc, ACCT_JOB_LOGIN, c)) == NULL) {
		room_sendf(r, c, PROTO_BUSY);
		return;
	}
	accounts_addr(c->addr, j->addr);
	if (j->addr[0] == '\0')
		snprintf(j->addr, sizeof j->addr, "local");
	if (acct_throttled(acc, j->addr)) {
		room_sendf(r, c, PROTO_LOGIN_THROTTLED);
		acct_job_free(j);
		return;
	}
	/* Not a nick, or not a password: no account can match. */
	if (!proto_nick_valid(nick, len) || plen < ACCT_PASS_MIN ||
	    plen > ACCT_PASS_MAX) {
		room_log(r, "client %u: login failed", c->id);
		acct_failed(acc, j->addr);
		room_sendf(r, c, PROTO_LOGIN_FAILED);
		acct_job_free(j);
		return;
	}
	memcpy(j->nick, nick, len);
	j->nick[len] = '\0';
	acct_key(nick, len, j->key);
	memcpy(j->pass, pass, plen);
	j->passlen = plen;
	snprintf(addr, sizeof addr, "%s", j->addr);
	if (acct_submit(acc, j) == -1) {
		room_sendf(r, c, PROTO_BUSY);
		return;
	}
	acct_login_out(acc, addr, true);
	acct_hashing(acc, c, NULL);
}

/* A register job came back. */
static void
acct_registered_done(struct accounts *acc, struct room *r,
    struct acct_job *j)
{
	struct client *c = acct_member(r, j->client);
	struct acct_ban b;

	if (j->status == ACCT_OK || j->status == ACCT_NO)
		(void)accounts_add_key(acc, j->key);
	if (c == NULL)
		return;
	r = acct_room(r, c);
	switch (j->status) {
	case ACCT_OK:
		room_log(r, "client %u registered %s", c->id, j->nick);
		if (strcasecmp(c->nick, j->nick) == 0)
			snprintf(c->account, sizeof c->account, "%s", j->key);
		room_sendf(r, c, PROTO_REGISTERED, j->nick);
		break;
	case ACCT_NO:
		room_sendf(r, c, PROTO_NICK_TAKEN_ACCT, j->nick);
		break;
	case ACCT_BANNED:
		/* As a login to the banned account would be. */
		room_log(r, "client %u: register of %s refused: account "
		    "banned", c->id, j->nick);
		memset(&b, 0, sizeof b);
		snprintf(b.reason, sizeof b.reason, "%s", j->ban.reason);
		acct_tell_banned(r, c, &b);
		room_leave(r, c, NULL, "banned");
		break;
	default:
		room_sendf(r, c, PROTO_ACCOUNTS_DOWN);
		break;
	}
}

/* Close old, an older session of an account that logged in again. */
static void
acct_elsewhere(struct room *r, struct client *old)
{
	r = acct_room(r, old);
	room_sendf(r, old, PROTO_ELSEWHERE);
	old->account[0] = '\0';
	room_leave(r, old, PROTO_REASON_ELSEWHERE, "logged in elsewhere");
}

/*
 * Whether c may log in to account key (its nick found) now: not to a
 * banned account (ban: the job's, or NULL to look; c told and closed),
 * nor when muted to another nick (c told). Judged when the password is
 * back, and again when the login's act is (--redis): a ban or a mute may
 * have come meanwhile.
 */
static bool
acct_login_allowed(struct accounts *acc, struct room *r, struct client *c,
    const char *key, const char *found, const struct acct_ban *ban)
{
	char target[ACCT_TARGET_MAX];
	struct acct_ban b;

	if (ban == NULL) {
		snprintf(target, sizeof target, "n:%s", key);
		ban = acct_ban_find(acc, target);
	}
	if (ban != NULL) {
		room_log(r, "client %u: login as %s refused: account banned",
		    c->id, found);
		memset(&b, 0, sizeof b);
		snprintf(b.reason, sizeof b.reason, "%s", ban->reason);
		acct_tell_banned(r, c, &b);
		room_leave(r, c, NULL, "banned");
		return false;
	}
	/* A muted member may not rename (as by /nick), nor close the
	 * account's session elsewhere. */
	if (!acct_may_rename(acc, r, c, found, strlen(found))) {
		room_log(r, "client %u: login as %s refused: muted", c->id,
		    found);
		return false;
	}
	return true;
}

/* c is logged in to account key, its nick found: renamed and told. */
static void
acct_logged_in(struct room *r, struct client *c, const char *key,
    const char *found)
{
	snprintf(c->account, sizeof c->account, "%s", key);
	room_log(r, "client %u logged in as %s", c->id, found);
	if (strcmp(c->nick, found) != 0)
		room_nick(r, c, found, strlen(found));
	room_sendf(r, c, PROTO_LOGGED_IN, found);
}

/* A login job came back. */
static void
acct_login_done(struct accounts *acc, struct room *r, struct acct_job *j)
{
	struct client *c = acct_member(r, j->client), *old;

	if (j->status == ACCT_NO) {
		acct_failed(acc, j->addr);
		if (c != NULL) {
			room_log(r, "client %u: login as %s failed", c->id,
			    j->nick);
			room_sendf(acct_room(r, c), c, PROTO_LOGIN_FAILED);
		}
		return;
	}
	if (c == NULL)
		return;
	r = acct_room(r, c);
	if (j->status == ACCT_ERROR) {
		room_sendf(r, c, PROTO_ACCOUNTS_DOWN);
		return;
	}
	(void)accounts_add_key(acc, j->key);
	/* A ban of the account may have come while the password was being
	 * checked, after the store was asked: looked for here. */
	if (!acct_login_allowed(acc, r, c, j->key, j->found,
	    j->status == ACCT_BANNED ? &j->ban : NULL))
		return;
	/* One session per account: the older one goes. Through Redis,
	 * wherever it is: the instance that holds it closes it, and the
	 * login is done here once Redis has taken its act
	 * (accounts_login_answered()). With the link down it cannot be, so
	 * the login is refused (c is told to try again later): one session
	 * per account holds. */
	if (acc->publish != NULL) {
		struct acct_act a;

		memset(&a, 0, sizeof a);
		a.kind = ACCT_ACT_LOGIN;
		a.by = "";
		a.by_acct = "";
		a.target = j->found;
		a.reason = PROTO_REASON_ELSEWHERE;
		a.rlen = sizeof PROTO_REASON_ELSEWHERE - 1;
		if (acc->publish(acc->publish_arg, c, &a) == -1) {
			room_log(r, "client %u: login as %s refused: link "
			    "down", c->id, j->found);
			room_sendf(r, c, "%s", PROTO_UNAVAILABLE_LATER);
		}
		return;
	}
	if ((old = acct_session(r, j->key, c)) != NULL) {
		room_log(r, "client %u: %s logged in from elsewhere (client "
		    "%u)", old->id, j->found, c->id);
		acct_elsewhere(r, old);
	}
	acct_logged_in(r, c, j->key, j->found);
}

void
accounts_login_answered(struct accounts *acc, struct room *r,
    struct client *c, const char *found, const char *why)
{
	char key[PROTO_NICK_MAX + 1];
	size_t len = strlen(found);

	r = acct_room(r, c);
	if (acc == NULL || !acc->on || !proto_nick_valid(found, len))
		return;
	if (why != NULL) {
		room_log(r, "client %u: login as %s refused: %s", c->id, found,
		    why);
		room_sendf(r, c, "%s", PROTO_UNAVAILABLE_LATER);
		return;
	}
	acct_key(found, len, key);
	if (acct_login_allowed(acc, r, c, key, found, NULL))
		acct_logged_in(r, c, key, found);
}

/* Whether the bans read by sync job j hold one on target (canonical). */
static bool
acct_read_holds(const struct acct_job *j, const char *target)
{
	char t[ACCT_TARGET_MAX];
	size_t i;

	for (i = 0; i < j->nbans; i++) {
		snprintf(t, sizeof t, "%s", j->bans[i].target);
		if (acct_target_canon(t) && strcmp(t, target) == 0)
			return true;
	}
	return false;
}

/*
 * A sync job came back: what the store holds replaces the caches, and
 * the changes to the bans it may not hold are made again over it, in the
 * order they were made. The worker did the read before every job handed
 * to it after: a change made here since the read was asked (every one
 * noted) is not in it, and is done with once made again (the next read
 * comes after its store write). An act's ban is stored by its operator's
 * instance, maybe after this read: made again until a read asked after
 * it holds it (from then on the store says), or until ACCT_ACT_STORE_MS
 * have passed (it never reached the store). A failed read changes
 * nothing.
 */
static void
acct_sync_done(struct accounts *acc, struct room *r, struct acct_job *j)
{
	bool ok = j->status == ACCT_OK, held, fresh, redo, stay;
	struct acct_change *ch;
	size_t i, k;

	acc->syncing = false;
	if (ok) {
		acc->nkeys = 0;
		for (i = 0; i < j->nkeys; i++)
			(void)accounts_add_key(acc, j->keys[i]);
		acc->nbans = 0;
		for (i = 0; i < j->nbans; i++)
			(void)accounts_add_ban(acc, &j->bans[i]);
	}
	for (i = k = 0; i < acc->nchanges; i++) {
		ch = &acc->changes[i];
		held = ok && ch->gen <= j->gen &&
		    acct_read_holds(j, ch->ban.target);
		fresh = j->now - ch->at < ACCT_ACT_STORE_MS;
		redo = ok && (ch->gen > j->gen || (ch->act && fresh && !held));
		stay = ch->act && fresh && !held;
		if (redo)
			acct_change_redo(acc, ch);
		if (stay)
			acc->changes[k++] = *ch;
	}
	acc->nchanges = k;
	(void)r;
}

/* c's password job j is back: its claim goes, its lines run again. */
static void
acct_hashed(struct accounts *acc, struct room *r, struct acct_job *j)
{
	struct client *c;
	size_t i;

	acc->queued--;
	for (i = 0; i < ACCT_QUEUE_MAX; i++)
		if (acc->claims[i].client == j->client &&
		    strcmp(acc->claims[i].key, j->key) == 0)
			acc->claims[i].client = 0;
	if (j->kind == ACCT_JOB_LOGIN)
		acct_login_out(acc, j->addr, false);
	if ((c = acct_member(r, j->client)) != NULL)
		c->flags &= ~CLIENT_HASHING;
}

void
accounts_done(struct accounts *acc, struct room *r, struct acct_job *j)
{
	switch (j->kind) {
	case ACCT_JOB_REGISTER:
		acct_hashed(acc, r, j);
		acct_registered_done(acc, r, j);
		break;
	case ACCT_JOB_LOGIN:
		acct_hashed(acc, r, j);
		acct_login_done(acc, r, j);
		break;
	case ACCT_JOB_SYNC:
		acct_sync_done(acc, r, j);
		break;
	case ACCT_JOB_BAN:
	case ACCT_JOB_UNBAN:
		if (j->status == ACCT_ERROR)
			room_log(r, "the store failed to keep a change to the "
			    "ban on %s", j->ban.target);
		break;
	}
	acct_job_free(j);
}

/* ---------------------------------------------------------------------
 * Operators: /kick, /ban, /unban, /bans, /mute, /unmute
 * ------------------------------------------------------------------- */

/*
 * Hand what operator c did (kind, on target[0..len), with reason and
 * minutes) to every instance through publish(): each applies it to its
 * own members (accounts_apply()). 0; or -1 with the link down, c told
 * it was not sent.
 */
static int
acct_publish(struct accounts *acc, struct room *r, struct client *c,
    enum acct_act_kind kind,
    const char *target, size_t len, const char *reason, size_t rlen,
    long minutes)
{
	char t[ACCT_TARGET_MAX];
	struct acct_act a;

	if (len >= sizeof t)
		len = sizeof t - 1;
	memcpy(t, target, len);
	t[len] = '\0';
	memset(&a, 0, sizeof a);
	a.kind = kind;
	a.by = c->nick;
	a.by_acct = c->account;
	a.target = t;
	a.reason = reason != NULL ? reason : "";
	a.rlen = reason != NULL ? rlen : 0;
	a.minutes = minutes;
	if (acc->publish(acc->publish_arg, c, &a) == -1) {
		room_sendf(r, c, "%s", PROTO_UNAVAILABLE_SEND);
		return -1;
	}
	return 0;
}

/*
 * Make member t leave as kicked or banned by the operator called by, with
 * reason: t is told, its room sees it leave. c is that operator when it
 * is here (it sees it done from another room too), else NULL.
 */
/*
 * How much of reason[0..rlen) (valid UTF-8) to keep when at most max bytes
 * are: cut before a character, never inside one.
 */
static size_t
acct_clip(const char *reason, size_t rlen, size_t max)
{
	if (rlen <= max)
		return rlen;
	while (max > 0 && ((unsigned char)reason[max] & 0xc0) == 0x80)
		max--;
	return max;
}

/* "kicked by OP[: REASON]" into why (ACCT_WHY_MAX bytes). */
#define ACCT_WHY_MAX	(32 + PROTO_NICK_MAX + PROTO_MAX_LINE)
static void
acct_why(char *why, const char *verb, const char *by, const char *reason,
    size_t rlen)
{
	rlen = acct_clip(reason, rlen, PROTO_MAX_LINE);
	if (rlen > 0)
		snprintf(why, ACCT_WHY_MAX, PROTO_REMOVED_BY_REASON, verb, by,
		    (int)rlen, reason);
	else
		snprintf(why, ACCT_WHY_MAX, PROTO_REMOVED_BY, verb, by);
}

static void
acct_remove(struct room *r, const char *by, struct client *c,
    struct client *t, const char *verb, const char *reason, size_t rlen,
    bool banned)
{
	char why[ACCT_WHY_MAX];
	char ban[sizeof PROTO_BANNED + PROTO_MAX_LINE + 4];
	struct room *opr = r;

	r = acct_room(r, t);
	rlen = acct_clip(reason, rlen, PROTO_MAX_LINE);
	acct_why(why, verb, by, reason, rlen);
	if (banned) {
		if (rlen > 0)
			snprintf(ban, sizeof ban, PROTO_BANNED ": %.*s",
			    (int)rlen, reason);
		else
			snprintf(ban, sizeof ban, PROTO_BANNED);
		room_send(r, t, ban, strlen(ban));
	} else
		room_sendf(r, t, PROTO_REMOVED, why);
	room_leave(r, t, why, banned ? "banned" : "kicked");
	/* An operator in another room sees it done too. */
	if (c != NULL && opr != r)
		room_sendf(opr, c, PROTO_LEFT_REASON, t->nick, why);
}

static void
acct_kick(struct accounts *acc, struct room *r, struct client *c,
    const char *args, size_t n)
{
	const char *nick, *reason;
	size_t len, rlen;
	struct client *t;

	nick = cmdline_word(args, n, &len, &reason, &rlen);
	if (len == 0) {
		room_sendf(r, c, PROTO_USAGE_KICK);
		return;
	}
	if (acc->publish != NULL) {
		/* Whoever holds the member closes it: through the stream. */
		if (!proto_nick_valid(nick, len)) {
			room_sendf(r, c, PROTO_NOUSER, (int)len, nick);
			return;
		}
		if (text_is_blank(reason, rlen))
			rlen = 0;
		if (acct_publish(acc, r, c, ACCT_ACT_KICK, nick, len, reason,
		    rlen, 0) == 0)
			room_log(r, "operator %s kicked %.*s%s", c->nick,
			    (int)len, nick, rlen > 0 ? " with a reason" : "");
		return;
	}
	if ((t = room_find_any(r, nick, len)) == NULL) {
		room_sendf(r, c, PROTO_NOUSER, (int)len, nick);
		return;
	}
	if (text_is_blank(reason, rlen))
		rlen = 0;
	room_log(r, "operator %s kicked %s (client %u)%s", c->nick, t->nick,
	    t->id, rlen > 0 ? " with a reason" : "");
	acct_remove(r, c->nick, c, t, "kicked", reason, rlen, false);
}

/* The text of a ban's duration: "for N minutes" or "until unbanned". */
static void
acct_for(long minutes, char *out, size_t n)
{
	if (minutes == 0)
		snprintf(out, n, "until unbanned");
	else
		snprintf(out, n, "for %ld minute%s", minutes,
		    minutes == 1 ? "" : "s");
}

static void
acct_ban(struct accounts *acc, struct room *r, struct client *c,
    const char *args, size_t n)
{
	char addr[ACCT_ADDR_MAX], key[PROTO_NICK_MAX + 1], dur[48];
	const char *what, *rest, *w, *after;
	size_t len, rlen, wlen, alen;
	struct client *t, *next;
	struct room *rr;
	struct acct_ban b, ab;
	long minutes = ACCT_BAN_MINUTES;
	bool is_addr;
	int k;

	what = cmdline_word(args, n, &len, &rest, &rlen);
	if (len == 0) {
		room_sendf(r, c, PROTO_USAGE_BAN);
		return;
	}
	w = cmdline_word(rest, rlen, &wlen, &after, &alen);
	if ((k = acct_minutes_arg(r, c, w, wlen, &minutes)) == -1)
		return;
	if (k == 1) {
		rest = after;
		rlen = alen;
	}
	if (text_is_blank(rest, rlen))
		rlen = 0;
	if (rlen > ACCT_REASON_MAX) {
		room_sendf(r, c, PROTO_REASON_LONG, ACCT_REASON_MAX);
		return;
	}
	memset(&b, 0, sizeof b);
	b.until = minutes == 0 ? ACCT_FOREVER : acct_now(acc) +
	    (int64_t)minutes * 60000;
	snprintf(b.by, sizeof b.by, "%s", c->nick);
	memcpy(b.reason, rest, rlen);
	b.reason[rlen] = '\0';
	is_addr = acct_is_address(what, len, addr);
	if (!is_addr && !proto_nick_valid(what, len)) {
		room_sendf(r, c, PROTO_BAD_TARGET, (int)len, what);
		return;
	}
	acct_for(minutes, dur, sizeof dur);
	/*
	 * Through Redis, a ban the link cannot take is refused whole, as
	 * the other acts are: neither stored nor confirmed (with the link
	 * down, no instance would hear of it, and a store in Redis may be
	 * gone with it).
	 */
	if (is_addr) {
		snprintf(b.target, sizeof b.target, "a:%s", addr);
		if (acc->publish != NULL && acct_publish(acc, r, c,
		    ACCT_ACT_BAN_ADDR, addr, strlen(addr), rest, rlen,
		    minutes) == -1)
			return;
		acct_store_ban(acc, r, &b, false);
		room_log(r, "operator %s banned address %s %s", c->nick, addr,
		    dur);
		room_sendf(r, c, PROTO_BAN_SET, addr, dur);
		if (acc->publish != NULL)
			return;
		/* Every room: a leave unlinks only t, so next stays. */
		for (rr = acct_first_room(r); rr != NULL;
		    rr = acct_next_room(r, rr)) {
			for (t = room_first(rr); t != NULL; t = next) {
				char taddr[ACCT_ADDR_MAX];

				next = room_next(t);
				accounts_addr(t->addr, taddr);
				if (strcmp(taddr, addr) == 0 && t != c)
					acct_remove(r, c->nick, c, t, "banned",
					    rest, rlen, true);
			}
		}
		return;
	}
	acct_key(what, len, key);
	snprintf(b.target, sizeof b.target, "n:%s", key);
	if (acc->publish != NULL) {
		/* The account's ban is kept from here; the instance that
		 * holds its member bans that member's address and closes it
		 * (accounts_apply()). */
		if (acct_publish(acc, r, c, ACCT_ACT_BAN, what, len, rest,
		    rlen, minutes) == -1)
			return;
		acct_store_ban(acc, r, &b, true);
		room_log(r, "operator %s banned %s %s", c->nick, key, dur);
		room_sendf(r, c, PROTO_BAN_SET, key, dur);
		return;
	}
	/* The member online with that nick, else the one logged in to
	 * that account under another (it renamed since its /login). */
	memset(&ab, 0, sizeof ab);
	if ((t = room_find_any(r, what, len)) == NULL)
		t = acct_session(r, key, c);
	/*
	 * A member online: its address goes with its account. The nick's
	 * ban is made first, then its address's (then its account's), as
	 * through Redis, where the instance that holds the member bans its
	 * address on the act: /bans lists them so, after a restart too.
	 */
	if (t != NULL && t != c) {
		accounts_addr(t->addr, addr);
		if (addr[0] != '\0') {
			/* Each points to the other: the address goes with
			 * the nick's ban even when that is set again. */
			ab = b;
			snprintf(ab.target, sizeof ab.target, "a:%s", addr);
			snprintf(ab.also, sizeof ab.also, "%s", b.target);
			snprintf(b.also, sizeof b.also, "%s", ab.target);
		}
	}
	acct_store_ban(acc, r, &b, true);
	if (ab.target[0] != '\0')
		acct_store_ban(acc, r, &ab, false);
	if (t != NULL && t != c)
		acct_ban_account(acc, r, &b, t);
	room_log(r, "operator %s banned %s%s%s %s", c->nick, key,
	    b.also[0] != '\0' ? " and " : "", b.also[0] != '\0' ?
	    b.also + 2 : "", dur);
	room_sendf(r, c, PROTO_BAN_SET, key, dur);
	if (t != NULL && t != c)
		acct_remove(r, c->nick, c, t, "banned", rest, rlen, true);
}

/* Lift every ban (an address's, or a renamed member's account's) that
 * points back to the ban on target, a nick's. */
static void
acct_unban_linked(struct accounts *acc, struct room *r, const char *target)
{
	char linked[ACCT_TARGET_MAX];
	size_t i = 0;

	while (i < acc->nbans) {
		if (strcmp(acc->bans[i].also, target) != 0 ||
		    strcmp(acc->bans[i].target, target) == 0) {
			i++;
			continue;
		}
		snprintf(linked, sizeof linked, "%s", acc->bans[i].target);
		room_log(r, "the ban on %s goes with the ban on %s",
		    linked + 2, target + 2);
		acct_store_unban(acc, r, linked);
	}
}

static void
acct_unban(struct accounts *acc, struct room *r, struct client *c,
    const char *args, size_t n)
{
	char addr[ACCT_ADDR_MAX], key[PROTO_NICK_MAX + 1];
	char target[ACCT_TARGET_MAX], also[ACCT_TARGET_MAX];
	const char *what, *rest;
	struct acct_ban *b;
	size_t len, rlen;

	what = cmdline_word(args, n, &len, &rest, &rlen);
	if (len == 0 || !text_is_blank(rest, rlen)) {
		room_sendf(r, c, PROTO_USAGE_UNBAN);
		return;
	}
	if (acct_is_address(what, len, addr)) {
		snprintf(target, sizeof target, "a:%s", addr);
		/* Answered in the short form, as /ban and /bans show it. */
		what = addr;
		len = strlen(addr);
	} else if (proto_nick_valid(what, len)) {
		acct_key(what, len, key);
		snprintf(target, sizeof target, "n:%s", key);
	} else {
		room_sendf(r, c, PROTO_BAD_TARGET, (int)len, what);
		return;
	}
	/*
	 * Through Redis, with the link down an /unban is refused whole, as
	 * a /ban is: lifted here alone, it would come back at the next read
	 * of the store, and with Redis gone the store's write would fail.
	 * Before the cache is looked at: the store may hold a ban it lacks.
	 */
	if (acc->linked != NULL && !acc->linked(acc->linked_arg)) {
		room_sendf(r, c, "%s", PROTO_UNAVAILABLE_SEND);
		return;
	}
	if ((b = acct_ban_find(acc, target)) == NULL) {
		room_sendf(r, c, PROTO_NO_BAN, (int)len, what);
		return;
	}
	/* A nick's ban carries the address of its member, lifted with it;
	 * an account's banned with a renamed member's nick carries that
	 * nick's, which is not lifted with it. */
	snprintf(also, sizeof also, "%s", target[0] == 'n' &&
	    strncmp(b->also, "a:", 2) == 0 ? b->also : "");
	acct_store_unban(acc, r, target);
	if (also[0] != '\0' && acct_ban_find(acc, also) != NULL)
		acct_store_unban(acc, r, also);
	/* Through Redis, the instance that held the member banned its
	 * address itself, pointing back to the account's ban. */
	if (target[0] == 'n')
		acct_unban_linked(acc, r, target);
	room_log(r, "operator %s lifted the ban on %s%s%s", c->nick,
	    target + 2, also[0] != '\0' ? " and " : "", also[0] != '\0' ?
	    also + 2 : "");
	room_sendf(r, c, PROTO_UNBANNED, (int)len, what);
}

static void
acct_bans(struct accounts *acc, struct room *r, struct client *c,
    const char *args, size_t n)
{
	int64_t now = acct_now(acc), left;
	char dur[48];
	size_t i, k = 0;

	(void)args;
	(void)n;
	for (i = 0; i < acc->nbans; i++) {
		const struct acct_ban *b = &acc->bans[i];

		if (!acct_ban_running(b, now))
			continue;
		if (b->until == ACCT_FOREVER)
			snprintf(dur, sizeof dur, "until unbanned");
		else {
			left = (b->until - now + 59999) / 60000;
			snprintf(dur, sizeof dur, "%lld minute%s left",
			    (long long)left, left == 1 ? "" : "s");
		}
		room_sendf(r, c, PROTO_BAN_LINE, b->target + 2, b->by, dur,
		    b->reason[0] != '\0' ? ": " : "", b->reason);
		k++;
	}
	if (k == 0)
		room_sendf(r, c, PROTO_NO_BANS);
}

/*
 * Note key (a member's nick in lower case) muted for minutes from now
 * (0: until unmuted), and plan the timer. Returns the mute, or NULL out
 * of memory.
 */
static struct acct_mute *
acct_mute_add(struct accounts *acc, const char *key, long minutes)
{
	struct acct_mute *m;

	if ((m = acct_mute_find(acc, key)) == NULL) {
		if (acct_grow(&acc->mutes, &acc->capmutes, acc->nmutes,
		    sizeof acc->mutes[0]) == -1)
			return NULL;
		m = &acc->mutes[acc->nmutes++];
		snprintf(m->key, sizeof m->key, "%s", key);
	}
	m->until = minutes == 0 ? 0 : acct_now(acc) + (int64_t)minutes * 60000;
	acct_plan(acc, m->until);
	return m;
}

static void
acct_mute(struct accounts *acc, struct room *r, struct client *c,
    const char *args, size_t n)
{
	char key[PROTO_NICK_MAX + 1];
	const char *nick, *rest, *w, *after;
	size_t len, rlen, wlen, alen;
	struct client *t;
	long minutes = ACCT_MUTE_MINUTES;
	int k;

	nick = cmdline_word(args, n, &len, &rest, &rlen);
	w = cmdline_word(rest, rlen, &wlen, &after, &alen);
	if (len == 0) {
		room_sendf(r, c, PROTO_USAGE_MUTE);
		return;
	}
	if ((k = acct_minutes_arg(r, c, w, wlen, &minutes)) == -1)
		return;
	if ((wlen > 0 && k == 0) || !text_is_blank(after, alen)) {
		room_sendf(r, c, PROTO_USAGE_MUTE);
		return;
	}
	if (acc->publish != NULL) {
		/* Every instance notes it; the room hears it on each. */
		if (!proto_nick_valid(nick, len)) {
			room_sendf(r, c, PROTO_NOUSER, (int)len, nick);
			return;
		}
		if (acct_publish(acc, r, c, ACCT_ACT_MUTE, nick, len, NULL, 0,
		    minutes) == 0)
			room_log(r, "operator %s muted %.*s for %ld minutes "
			    "(0: until unmuted)", c->nick, (int)len, nick,
			    minutes);
		return;
	}
	if ((t = room_find_any(r, nick, len)) == NULL) {
		room_sendf(r, c, PROTO_NOUSER, (int)len, nick);
		return;
	}
	acct_key(t->nick, strlen(t->nick), key);
	if (acct_mute_add(acc, key, minutes) == NULL) {
		room_sendf(r, c, PROTO_BUSY);
		return;
	}
	room_log(r, "operator %s muted %s (client %u) for %ld minutes "
	    "(0: until unmuted)", c->nick, t->nick, t->id, minutes);
	room_broadcastf(acct_room(r, t), NULL, PROTO_WAS_MUTED, t->nick,
	    c->nick);
	if (acct_room(r, t) != r)
		room_sendf(r, c, PROTO_WAS_MUTED, t->nick, c->nick);
}

static void
acct_unmute(struct accounts *acc, struct room *r, struct client *c,
    const char *args, size_t n)
{
	char key[PROTO_NICK_MAX + 1];
	const char *nick, *rest;
	struct acct_mute *m;
	struct client *t;
	size_t len, rlen;

	nick = cmdline_word(args, n, &len, &rest, &rlen);
	if (len == 0 || !text_is_blank(rest, rlen)) {
		room_sendf(r, c, PROTO_USAGE_UNMUTE);
		return;
	}
	acct_key(nick, len, key);
	if (!proto_nick_valid(nick, len) ||
	    (m = acct_mute_find(acc, key)) == NULL) {
		room_sendf(r, c, PROTO_NOT_MUTED, (int)len, nick);
		return;
	}
	if (acc->publish != NULL) {
		/* Lifted on every instance when its entry comes back. */
		if (acct_publish(acc, r, c, ACCT_ACT_UNMUTE, nick, len, NULL,
		    0, 0) == 0)
			room_log(r, "operator %s unmuted %s", c->nick, key);
		return;
	}
	*m = acc->mutes[--acc->nmutes];
	room_log(r, "operator %s unmuted %s", c->nick, key);
	/* Told in the member's room (if online) and to the operator, as
	 * its mute was; the operator's room when it is not online. */
	if ((t = room_find_any(r, nick, len)) != NULL &&
	    acct_room(r, t) != r) {
		room_broadcastf(acct_room(r, t), NULL, PROTO_WAS_UNMUTED,
		    (int)len, nick, c->nick);
		room_sendf(r, c, PROTO_WAS_UNMUTED, (int)len, nick, c->nick);
		return;
	}
	room_broadcastf(r, NULL, PROTO_WAS_UNMUTED, (int)len, nick, c->nick);
}

/* ---------------------------------------------------------------------
 * Acts from other instances (--redis)
 * ------------------------------------------------------------------- */

/* Whether key (an account) is one of the --op nicks. */
static bool
acct_op_key(const struct accounts *acc, const char *key)
{
	size_t i;

	for (i = 0; i < acc->nops; i++)
		if (strcasecmp(acc->ops[i], key) == 0)
			return true;
	return false;
}

/* The ban a sets on target ("n:KEY" or "a:ADDRESS"), from now here. */
static void
acct_act_ban(struct accounts *acc, const struct acct_act *a,
    const char *target, struct acct_ban *b)
{
	size_t rlen = acct_clip(a->reason, a->rlen, ACCT_REASON_MAX);

	memset(b, 0, sizeof *b);
	snprintf(b->target, sizeof b->target, "%s", target);
	b->until = a->minutes == 0 ? ACCT_FOREVER : acct_now(acc) +
	    (int64_t)a->minutes * 60000;
	snprintf(b->by, sizeof b->by, "%s", a->by);
	memcpy(b->reason, a->reason, rlen);
	b->reason[rlen] = '\0';
}

/* Close every member but self (may be NULL) from address addr. */
static void
acct_close_addr(struct room *r, const struct acct_act *a, const char *addr,
    struct client *self)
{
	char taddr[ACCT_ADDR_MAX];
	struct client *t, *next;
	struct room *rr;

	for (rr = acct_first_room(r); rr != NULL; rr = acct_next_room(r, rr))
		for (t = room_first(rr); t != NULL; t = next) {
			next = room_next(t);
			accounts_addr(t->addr, taddr);
			if (t == self || strcmp(taddr, addr) != 0)
				continue;
			room_log(r, "client %u %s from %s banned by operator "
			    "%s", t->id, t->nick, t->addr, a->by);
			acct_remove(r, a->by, NULL, t, "banned", a->reason,
			    a->rlen, true);
		}
}

/* Close every session of account key but self, and t (not self). */
static void
acct_close_sessions(struct room *r, const char *key, struct client *t,
    struct client *self)
{
	struct client *m, *next;
	struct room *rr;

	for (rr = acct_first_room(r); rr != NULL; rr = acct_next_room(r, rr))
		for (m = room_first(rr); m != NULL; m = next) {
			next = room_next(m);
			if (m == self || (m != t &&
			    strcmp(m->account, key) != 0))
				continue;
			room_log(r, "client %u %s: %s logged in from elsewhere",
			    m->id, m->nick, key);
			acct_elsewhere(r, m);
		}
}

const char *
accounts_apply(struct accounts *acc, struct room *r, struct room *shown,
    const struct acct_act *a, struct client *t, struct client *self)
{
	char key[PROTO_NICK_MAX + 1], target[ACCT_TARGET_MAX];
	char addr[ACCT_ADDR_MAX], why[ACCT_WHY_MAX];
	struct acct_ban b, ab;
	size_t tlen = strlen(a->target);
	struct room *opr;

	if (acc == NULL || !acc->on)
		return "accounts are off here";
	if (a->kind != ACCT_ACT_LOGIN && !acct_op_key(acc, a->by_acct))
		return "its operator is not an --op here";
	if (a->minutes < 0 || a->minutes > ACCT_MINUTES_MAX)
		return "its minutes are out of range";
	if (a->kind == ACCT_ACT_BAN_ADDR ? !acct_is_address(a->target, tlen,
	    addr) : !proto_nick_valid(a->target, tlen))
		return "its target is not one";
	acct_key(a->target, tlen, key);
	switch (a->kind) {
	case ACCT_ACT_KICK:
		if (t == NULL)
			break;
		room_log(r, "client %u %s kicked by operator %s", t->id,
		    t->nick, a->by);
		acct_remove(r, a->by, NULL, t, "kicked", a->reason, a->rlen,
		    false);
		break;
	case ACCT_ACT_BAN:
		snprintf(target, sizeof target, "n:%s", key);
		acct_act_ban(acc, a, target, &b);
		if (accounts_add_ban(acc, &b) == -1)
			room_log(r, "out of memory: a ban is not kept in memory");
		/* The bans lifted with it end with it here too (the
		 * operator's instance set them so in the store). */
		acct_ban_retime(acc, &b);
		/* Its operator's instance stores it, maybe after a read
		 * here: kept over those that lack it. */
		acct_change(acc, r, &b, true, false, true);
		/* No member with that nick: the one logged in to that
		 * account here under another, if any. */
		if (t == NULL)
			t = acct_session(r, key, self);
		if (t == NULL || t == self)
			break;
		/* Its address goes with its account: only this instance
		 * knows it. The account's ban was stored by the operator's. */
		accounts_addr(t->addr, addr);
		if (addr[0] != '\0') {
			snprintf(target, sizeof target, "a:%s", addr);
			acct_act_ban(acc, a, target, &ab);
			snprintf(ab.also, sizeof ab.also, "%s", b.target);
			acct_store_ban(acc, r, &ab, false);
		}
		acct_ban_account(acc, r, &b, t);
		room_log(r, "client %u %s%s%s banned by operator %s", t->id,
		    t->nick, addr[0] != '\0' ? " and its address " : "",
		    addr, a->by);
		acct_remove(r, a->by, NULL, t, "banned", a->reason, a->rlen,
		    true);
		break;
	case ACCT_ACT_BAN_ADDR:
		snprintf(target, sizeof target, "a:%s", addr);
		acct_act_ban(acc, a, target, &b);
		if (accounts_add_ban(acc, &b) == -1)
			room_log(r, "out of memory: a ban is not kept in memory");
		acct_change(acc, r, &b, true, false, false);
		acct_close_addr(r, a, addr, self);
		break;
	case ACCT_ACT_MUTE:
		if (acct_mute_add(acc, key, a->minutes) == NULL) {
			room_log(r, "out of memory: a mute is not kept");
			break;
		}
		if (t != NULL)
			shown = acct_room(r, t);
		if (shown != NULL)
			room_broadcastf(shown, NULL, PROTO_WAS_MUTED, a->target,
			    a->by);
		break;
	case ACCT_ACT_UNMUTE:
		{
			struct acct_mute *m = acct_mute_find(acc, key);

			if (m != NULL)
				*m = acc->mutes[--acc->nmutes];
		}
		if (shown != NULL)
			room_broadcastf(shown, NULL, PROTO_WAS_UNMUTED,
			    (int)tlen, a->target, a->by);
		break;
	case ACCT_ACT_LOGIN:
		acct_close_sessions(r, key, t, self);
		break;
	}
	/* The operator, here but not in the room where the notices are
	 * shown, sees it done from its own, as on one server. */
	if (self == NULL || (opr = acct_room(r, self)) == shown)
		return NULL;
	switch (a->kind) {
	case ACCT_ACT_KICK:
	case ACCT_ACT_BAN:
		if (!a->held || t == self)
			break;
		acct_why(why, a->kind == ACCT_ACT_KICK ? "kicked" : "banned",
		    a->by, a->reason, a->rlen);
		room_sendf(opr, self, PROTO_LEFT_REASON, a->target, why);
		break;
	case ACCT_ACT_MUTE:
		room_sendf(opr, self, PROTO_WAS_MUTED, a->target, a->by);
		break;
	case ACCT_ACT_UNMUTE:
		room_sendf(opr, self, PROTO_WAS_UNMUTED, (int)tlen, a->target,
		    a->by);
		break;
	default:
		break;
	}
	return NULL;
}

int64_t
accounts_tick(struct accounts *acc, struct room *r)
{
	int64_t now = acct_now(acc), next = -1;
	struct client *c;
	size_t i = 0;

	while (i < acc->nbans) {
		const struct acct_ban *b = &acc->bans[i];

		if (acct_ban_running(b, now)) {
			if (b->until != ACCT_FOREVER && (next == -1 ||
			    b->until - now < next))
				next = b->until - now;
			i++;
			continue;
		}
		room_log(r, "the ban on %s by %s ran out", b->target + 2,
		    b->by);
		acct_ban_remove(acc, i);
	}
	i = 0;
	while (i < acc->nmutes) {
		struct acct_mute *m = &acc->mutes[i];

		if (m->until == 0 || m->until > now) {
			if (m->until != 0 && (next == -1 ||
			    m->until - now < next))
				next = m->until - now;
			i++;
			continue;
		}
		room_log(r, "the mute of %s ran out", m->key);
		if ((c = room_find_any(r, m->key, strlen(m->key))) != NULL)
			room_sendf(acct_room(r, c), c, PROTO_MUTE_OVER);
		*m = acc->mutes[--acc->nmutes];
	}
	return next;
}

/* ---------------------------------------------------------------------
 * The dispatch
 * ------------------------------------------------------------------- */

/* One account command: who may run it, and how. */
static const struct acct_cmd {
	const char	*name;		/* without the slash */
	bool		 op;		/* operators only */
	void		(*run)(struct accounts *, struct room *,
			    struct client *, const char *, size_t);
} acct_cmds[] = {
	{ "kick",	true,	acct_kick },
	{ "ban",	true,	acct_ban },
	{ "unban",	true,	acct_unban },
	{ "bans",	true,	acct_bans },
	{ "mute",	true,	acct_mute },
	{ "unmute",	true,	acct_unmute },
};

bool
accounts_secret_line(const char *s, size_t n)
{
	struct cmdline cl;

	cmdline_split(s, n, &cl);
	return cmdline_is(&cl, "register") || cmdline_is(&cl, "login");
}

bool
accounts_command(struct accounts *acc, struct room *r, struct client *c,
    const struct cmdline *cl)
{
	bool reg = cmdline_is(cl, "register"), login = cmdline_is(cl, "login");
	size_t i;

	if (reg || login) {
		if (acc == NULL || !acc->on)
			room_sendf(r, c, PROTO_ACCOUNTS_OFF);
		else if (reg)
			acct_register(acc, r, c, cl->rest, cl->rlen);
		else
			acct_login(acc, r, c, cl->rest, cl->rlen);
		return true;
	}
	for (i = 0; i < sizeof acct_cmds / sizeof acct_cmds[0]; i++) {
		if (!cmdline_is(cl, acct_cmds[i].name))
			continue;
		if (!accounts_is_op(acc, c)) {
			room_sendf(r, c, PROTO_DENIED);
			return true;
		}
		acct_cmds[i].run(acc, r, c, cl->rest, cl->rlen);
		return true;
	}
	return false;
}

const char *const *
accounts_help(struct accounts *acc, const struct client *c)
{
	static const char *const everyone[] = {
		PROTO_HELP_ACCOUNTS(PROTO_XSTR(ACCT_PASS_MIN),
		    PROTO_XSTR(ACCT_PASS_MAX)),
		NULL
	};
	static const char *const ops[] = {
		PROTO_HELP_ACCOUNTS(PROTO_XSTR(ACCT_PASS_MIN),
		    PROTO_XSTR(ACCT_PASS_MAX)),
		PROTO_HELP_OPS(PROTO_XSTR(ACCT_BAN_MINUTES),
		    PROTO_XSTR(ACCT_MUTE_MINUTES)),
		NULL
	};

	if (acc == NULL || !acc->on)
		return NULL;
	return accounts_is_op(acc, c) ? ops : everyone;
}
