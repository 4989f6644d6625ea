/* test_backend: the room API over both backends: the same rules either way. */
#include "room_helpers.h"
#include "cluster_fix.h"

#include <strings.h>

#include "accounts.h"
#include "cluster.h"
#include "text.h"

/*
 * Every test here runs twice: on the local backend, and on the Redis
 * backend (cluster.c) over a fake Redis that keeps the room's nicks and
 * hands every event back as a stream entry when pumped, as XREAD would.
 * What the members see must be the same bytes both times: history from
 * the room log, the send queue, text hygiene, the nick rule, the
 * operators' commands (accounts on, alice an --op, over a fake store that
 * notes what it is given).
 */

#define INST	"00000000000000aa"	/* this instance */
#define QMAX	256			/* events between two pumps */

/* An event published to the fake Redis, waiting for the pump. */
struct ev {
	int		 kind;		/* CLUSTER_*, or 'S' the answer to /msg
					   or /nick, 's' to an act, 'W' who */
	bool		 act;		/* an act (CLUSTER_KICK...) */
	unsigned	 cid;		/* whose */
	char		 nick[64];	/* its nick then (NICK: the new one) */
	char		 old[64];	/* NICK: the old one; an act: the
					   target's nick */
	unsigned	 to;		/* PM: the recipient's cid; an act: the
					   target's, 0 if nobody holds it */
	char		 who[64];	/* an act: the operator's account */
	char		 addr[64];	/* BANADDR: the address */
	char		*text;		/* malloc'd, or NULL */
	size_t		 textlen;	/* bytes at text */
	int		 status;	/* 'S': enum cluster_status */
	unsigned long	 count;		/* JOIN: members */
};

struct world {
	struct fx	 fx;		/* the room; first member */
	bool		 redis;		/* the Redis backend is under test */
	struct accounts	 acc;		/* the room's accounts */
	char		 stored[512];	/* the bans handed to the store, in
					   order: "TARGET " each */
	struct cluster	 cl;		/* its cluster, when redis */
	struct ev	 q[QMAX];	/* published, not yet read back */
	size_t		 nq;		/* events in q */
	char		 nicks[FX_CLIENTS + 1][64]; /* Redis's: by cid */
	unsigned	 seq;		/* entry IDs */
};

static struct ev *
ev_new(struct world *w, int kind, unsigned cid)
{
	struct ev *e;

	assert_true(w->nq < QMAX);
	e = &w->q[w->nq++];
	memset(e, 0, sizeof *e);
	e->kind = kind;
	e->cid = cid;
	memcpy(e->nick, w->nicks[cid], sizeof e->nick);
	return e;
}

static void
ev_text(struct ev *e, const char *text, size_t len)
{
	assert_non_null(e->text = malloc(len + 1));
	memcpy(e->text, text, len);
	e->text[len] = '\0';
	e->textlen = len;
}

static int
fr_join(void *io, unsigned cid)
{
	struct world *w = io;
	unsigned long n, k = 0;
	char nick[32];
	size_t i;

	for (n = 1;; n++) {
		snprintf(nick, sizeof nick, "guest%lu", n);
		for (i = 1; i <= FX_CLIENTS; i++)
			if (strcasecmp(w->nicks[i], nick) == 0)
				break;
		if (i > FX_CLIENTS)
			break;
	}
	snprintf(w->nicks[cid], sizeof w->nicks[cid], "%s", nick);
	for (i = 1; i <= FX_CLIENTS; i++)
		k += w->nicks[i][0] != '\0';
	ev_new(w, CLUSTER_JOIN, cid)->count = k;
	return 0;
}

static int
fr_leave(void *io, unsigned cid, const char *reason)
{
	struct world *w = io;
	struct ev *e = ev_new(w, CLUSTER_LEAVE, cid);

	if (reason != NULL)
		ev_text(e, reason, strlen(reason));
	w->nicks[cid][0] = '\0';
	return 0;
}

static int
fr_say(void *io, unsigned cid, int kind, const char *text, size_t len)
{
	ev_text(ev_new(io, kind, cid), text, len);
	return 0;
}

/* The cid Redis knows as nick[0..len) (any case), or 0. */
static unsigned
fr_find(const struct world *w, const char *nick, size_t len)
{
	unsigned i;

	for (i = 1; i <= FX_CLIENTS; i++)
		if (strlen(w->nicks[i]) == len &&
		    strncasecmp(w->nicks[i], nick, len) == 0)
			return i;
	return 0;
}

static int
fr_msg(void *io, unsigned cid, const char *to, size_t tolen,
    const char *text, size_t len)
{
	struct world *w = io;
	unsigned t = fr_find(w, to, tolen);
	struct ev *e;

	if (t == 0) {
		/* Echoed whole, as the script does. */
		e = ev_new(w, 'S', cid);
		e->status = CLUSTER_NOUSER;
		ev_text(e, to, tolen);
		return 0;
	}
	e = ev_new(w, CLUSTER_PM, cid);
	e->to = t;
	ev_text(e, text, len);
	ev_new(w, 'S', cid)->status = CLUSTER_OK;
	return 0;
}

static int
fr_nick(void *io, unsigned cid, const char *nick, size_t len)
{
	struct world *w = io;
	unsigned t = fr_find(w, nick, len);
	struct ev *e;

	if (t != 0 && t != cid) {
		e = ev_new(w, 'S', cid);
		e->status = CLUSTER_TAKEN;
		snprintf(e->nick, sizeof e->nick, "%.*s", (int)len, nick);
		return 0;
	}
	e = ev_new(w, CLUSTER_NICK, cid);
	snprintf(e->old, sizeof e->old, "%s", w->nicks[cid]);
	snprintf(e->nick, sizeof e->nick, "%.*s", (int)len, nick);
	snprintf(w->nicks[cid], sizeof w->nicks[cid], "%.*s", (int)len, nick);
	ev_new(w, 'S', cid)->status = CLUSTER_OK;
	return 0;
}

static int
fr_who(void *io, unsigned cid)
{
	ev_new(io, 'W', cid);
	return 0;
}

/* Rooms are the cluster unit's (test_cluster.c): this Redis has one. */
static int
fr_go(void *io, unsigned cid, const char *name, size_t len, size_t history)
{
	(void)io;
	(void)cid;
	(void)name;
	(void)len;
	(void)history;
	return -1;
}

static int
fr_topic(void *io, unsigned cid, const char *text, size_t len)
{
	(void)io;
	(void)cid;
	(void)text;
	(void)len;
	return -1;
}

static int
fr_rooms(void *io, unsigned cid)
{
	(void)io;
	(void)cid;
	return -1;
}

/* An act, as the script publishes it: the target resolved to the member
 * holding it (an address's not); a ban of a nick nobody holds goes out
 * all the same, another act is answered no such user. */
static int
fr_act(void *io, unsigned cid, int kind, const struct acct_act *a)
{
	struct world *w = io;
	unsigned t = 0;
	struct ev *e;

	if (kind != CLUSTER_BANADDR && kind != CLUSTER_UNMUTE &&
	    (t = fr_find(w, a->target, strlen(a->target))) == 0 &&
	    kind != CLUSTER_BAN) {
		e = ev_new(w, 's', cid);
		e->status = CLUSTER_NOUSER;
		ev_text(e, a->target, strlen(a->target));
		return 0;
	}
	e = ev_new(w, kind, cid);
	e->act = true;
	e->to = t;
	snprintf(e->who, sizeof e->who, "%s", a->by_acct);
	if (kind == CLUSTER_BANADDR)
		snprintf(e->addr, sizeof e->addr, "%s", a->target);
	else
		snprintf(e->old, sizeof e->old, "%s", t != 0 ? w->nicks[t] :
		    a->target);
	ev_text(e, a->reason, a->rlen);
	e->count = (unsigned long)a->minutes;
	return 0;
}

static const struct cluster_ops fr_ops = {
	fr_join, fr_leave, fr_say, fr_msg, fr_nick, fr_who, fr_act,
	fr_go, fr_topic, fr_rooms,
	NULL,		/* backlog: never held here */
};

/* A member key "INST:CID". */
static void
fr_key(char *out, size_t size, unsigned cid)
{
	snprintf(out, size, "%s:%u", INST, cid);
}

/* Apply one raw entry as if read from the stream, stamped 14:05 today. */
static void
fr_apply(struct world *w, int kind, const char *member, const char *nick,
    const char *old, const char *to, const char *text, size_t textlen,
    unsigned long count)
{
	struct cluster_entry e;

	cfx_entry(&e, &w->seq, kind, member, nick);
	e.old = old;
	e.to = to;
	e.text = text != NULL ? text : "";
	e.textlen = textlen;
	e.count = count;
	cluster_apply(&w->cl, &e);
}

/* Read back everything published, in order, as the stream gives it. */
static void
pump(struct world *w)
{
	char key[64], to[64];
	size_t i, j, n;

	if (!w->redis)
		return;
	for (i = 0; i < w->nq; i++) {
		struct ev *e = &w->q[i];
		const char *nicks[FX_CLIENTS];

		fr_key(key, sizeof key, e->cid);
		if (e->act) {
			struct cluster_entry ce;

			fr_key(to, sizeof to, e->to);
			cfx_entry(&ce, &w->seq, e->kind, key, e->nick);
			ce.who = e->who;
			ce.to = e->to != 0 ? to : "";
			ce.old = e->kind != CLUSTER_BANADDR ? e->old : NULL;
			ce.addr = e->kind == CLUSTER_BANADDR ? e->addr : NULL;
			ce.text = e->text;
			ce.textlen = e->textlen;
			ce.count = e->count;
			cluster_apply(&w->cl, &ce);
		} else if (e->kind == 'S')
			cluster_answer(&w->cl, e->cid, e->status,
			    e->text != NULL ? e->text : e->nick);
		else if (e->kind == 's')
			cluster_status(&w->cl, e->cid, e->status, e->text);
		else if (e->kind == 'W') {
			struct client *c;

			/* In join order, as the order set keeps them. */
			n = 0;
			for (c = room_first(&w->fx.r); c != NULL;
			    c = room_next(c))
				nicks[n++] = w->nicks[c->id];
			cluster_who_reply(&w->cl, e->cid, nicks, n);
		} else {
			fr_key(to, sizeof to, e->to);
			fr_apply(w, e->kind, key, e->nick,
			    e->kind == CLUSTER_NICK ? e->old : NULL,
			    e->kind == CLUSTER_PM ? to : NULL, e->text,
			    e->textlen, e->count);
		}
	}
	for (j = 0; j < w->nq; j++)
		free(w->q[j].text);
	w->nq = 0;
	room_settle(&w->fx.r);
}

/* c says text, and the stream (if any) answers. */
static void
say(struct world *w, struct client *c, const char *text)
{
	fx_say(&w->fx, c, text);
	pump(w);
}

/* A new member: joined (welcomed, for Redis) and settled. */
static struct client *
join(struct world *w)
{
	struct client *c = fx_client(&w->fx);

	room_join(&w->fx.r, c);
	pump(w);
	room_settle(&w->fx.r);
	assert_true(c->flags & CLIENT_JOINED);
	return c;
}

/* A member called nick, every queue drained. */
static struct client *
member(struct world *w, const char *nick)
{
	struct client *c = join(w);
	char line[64];

	snprintf(line, sizeof line, "/nick %s", nick);
	say(w, c, line);
	assert_string_equal(c->nick, nick);
	fx_drain_all(&w->fx);
	return c;
}

static const char *const ops[] = { "alice" };

/* The store: notes each ban handed to it, in order. */
static int
st_submit(void *arg, struct acct_job *j)
{
	struct world *w = arg;
	size_t n = strlen(w->stored);

	if (j->kind == ACCT_JOB_BAN)
		snprintf(w->stored + n, sizeof w->stored - n, "%s ",
		    j->ban.target);
	free(j);
	return 0;
}

static int64_t
st_clock(void *arg)
{
	(void)arg;
	return 1796133900000LL;
}

static int
st_publish(void *arg, struct client *c, const struct acct_act *a)
{
	return cluster_act(arg, c, a);
}

static bool
st_linked(void *arg)
{
	return cluster_linked(arg);
}

/* A world with history lines and a send queue of sendq bytes. */
static int
world_setup(void **state, bool redis, size_t sendq, size_t history)
{
	struct world *w;

	if ((w = calloc(1, sizeof *w)) == NULL)
		return -1;
	if (room_init(&w->fx.r, sendq, history) == -1)
		return -1;
	w->fx.r.log = fx_log;
	w->fx.r.log_arg = &w->fx;
	room_set_clock(&w->fx.r, "2026-12-01 14:05");
	accounts_init(&w->acc, true, ops, 1);
	w->acc.submit = st_submit;
	w->acc.submit_arg = w;
	w->acc.clock = st_clock;
	w->fx.r.accounts = &w->acc;
	w->redis = redis;
	if (redis) {
		if (cluster_init(&w->cl, &w->fx.r, 1000, INST) == -1)
			return -1;
		w->cl.ops = &fr_ops;
		w->cl.io = w;
		w->cl.up = true;
		room_set_backend(&w->fx.r, &cluster_backend, &w->cl);
		w->acc.publish = st_publish;
		w->acc.publish_arg = &w->cl;
		w->acc.linked = st_linked;
		w->acc.linked_arg = &w->cl;
	}
	*state = w;
	return 0;
}

static int
setup_local(void **state)
{
	return world_setup(state, false, 4160, 50);
}

static int
setup_redis(void **state)
{
	return world_setup(state, true, 4160, 50);
}

static int
teardown(void **state)
{
	struct world *w = *state;
	size_t i;

	if (w->redis)
		cluster_free(&w->cl);
	for (i = 0; i < w->nq; i++)
		free(w->q[i].text);
	for (i = 0; i < w->fx.n; i++)
		client_free(w->fx.c[i]);
	room_free(&w->fx.r);
	accounts_free(&w->acc);
	buf_free(&w->fx.log);
	free(w);
	return 0;
}

/* ---------------------------------------------------------------------
 * The tests, each run on both backends
 * ------------------------------------------------------------------- */

/*
 * The defect: 5 lines of 900 bytes in the room and a send queue of 4160;
 * a joiner gets its welcome and the whole history, and nobody is dropped:
 * the replay never counts toward --sendq.
 */
static void
test_history_outside_sendq(void **state)
{
	struct world *w = *state;
	struct client *a = member(w, "alice"), *c;
	char line[1000], want[FX_MAXOUT];
	size_t len;
	int i;

	for (i = 0; i < 5; i++) {
		memset(line, 'a' + i, 900);
		line[900] = '\0';
		say(w, a, line);
	}
	fx_drain_all(&w->fx);
	c = join(w);
	assert_false(c->flags & (CLIENT_SLOW | CLIENT_CLOSING));
	len = (size_t)snprintf(want, sizeof want, "*** welcome to lobby, you "
	    "are guest1 (2 online; /help for commands)\n"
	    "*** last 5 messages:\n");
	for (i = 0; i < 5; i++) {
		len += (size_t)snprintf(want + len, sizeof want - len,
		    "[14:05] <alice> ");
		memset(want + len, 'a' + i, 900);
		len += 900;
		want[len++] = '\n';
	}
	snprintf(want + len, sizeof want - len, "*** end of history\n");
	fx_expect(&w->fx, c, want);
	fx_expect(&w->fx, a, "*** guest1 joined\n");
	assert_int_equal(w->fx.r.count, 2);
}

/*
 * Nick changes (notices) with no chat between, far past the send queue:
 * the history's lines are compacted out of the log and stay history, so
 * a joiner gets every one of them, whichever backend delivered them.
 */
static void
test_history_survives_notices(void **state)
{
	struct world *w = *state;
	struct client *a = member(w, "alice"), *b = member(w, "bob"), *c;
	char line[64];
	int i;

	say(w, a, "h1");
	say(w, a, "/me waves");
	say(w, a, "h3");
	fx_drain_all(&w->fx);
	/* 600 renames, some 13 KB of notices: three send queues. */
	for (i = 0; i < 600; i++) {
		snprintf(line, sizeof line, "/nick %s%d", i % 2 ? "bob" :
		    "robert", i);
		say(w, b, line);
		if (i % 20 == 19)
			fx_drain_all(&w->fx);
	}
	fx_drain_all(&w->fx);
	assert_int_equal(w->fx.r.rlog.ccount, 3);
	assert_int_equal(rlog_history_count(&w->fx.r.rlog), 3);
	c = join(w);
	fx_expect(&w->fx, c, "*** welcome to lobby, you are guest1 (3 online; "
	    "/help for commands)\n*** last 3 messages:\n"
	    "[14:05] <alice> h1\n[14:05] * alice waves\n[14:05] <alice> h3\n"
	    "*** end of history\n");
	/* A line after the churn goes after them. */
	say(w, a, "h4");
	fx_expect(&w->fx, c, "<alice> h4\n");
	c = join(w);
	fx_expect(&w->fx, c, "*** welcome to lobby, you are guest2 (4 online; "
	    "/help for commands)\n*** last 4 messages:\n"
	    "[14:05] <alice> h1\n[14:05] * alice waves\n[14:05] <alice> h3\n"
	    "[14:05] <alice> h4\n*** end of history\n");
}

/* A member's line and the same text from Redis: the same clean bytes. */
static void
test_hygiene(void **state)
{
	struct world *w = *state;
	struct client *a = member(w, "alice"), *b = member(w, "bob");
	static const char dirty[] =
	    "\x1b[31mred\x07 \xc2\x9b \xe2\x80\xaerlo \xff end";
	char clean[TEXT_CLEAN_MAX(sizeof dirty)], want[256];
	size_t n;

	n = text_clean(dirty, sizeof dirty - 1, clean);
	clean[n] = '\0';
	assert_string_equal(clean, "[31mred  rlo \xef\xbf\xbd end");
	snprintf(want, sizeof want, "<alice> %s\n", clean);
	/* A member's line reaches the room cleaned by the connection. */
	say(w, a, clean);
	fx_expect(&w->fx, b, want);
	if (!w->redis)
		return;
	/* The raw text written into the stream by anyone: cleaned here. */
	char key[64];

	fr_key(key, sizeof key, a->id);
	fr_apply(w, CLUSTER_CHAT, key, "alice", NULL, NULL, dirty,
	    sizeof dirty - 1, 0);
	fx_expect(&w->fx, b, want);
	fx_silent(&w->fx, a);
	/* The nick a "no such user" answer echoes, from Redis: cleaned. */
	cluster_status(&w->cl, a->id, CLUSTER_NOUSER, "bob\x1b\x07\xef\xbf");
	fx_expect(&w->fx, a, "!!! no such user: bob\xef\xbf\xbd\n");
	/* Blank once cleaned, a line break, over --max-line, a bad nick:
	 * dropped, each with one log line, nobody sees anything. */
	size_t before = w->fx.nlog;
	char big[1001];

	memset(big, 'x', sizeof big);
	fr_apply(w, CLUSTER_CHAT, "x:1", "mallory", NULL, NULL, "\x1b\x07",
	    2, 0);
	fr_apply(w, CLUSTER_CHAT, "x:1", "mallory", NULL, NULL,
	    "one\n*** forged", 14, 0);
	fr_apply(w, CLUSTER_CHAT, "x:1", "mallory", NULL, NULL, big,
	    sizeof big, 0);
	fr_apply(w, CLUSTER_CHAT, "x:1", "bad nick", NULL, NULL, "hi", 2, 0);
	fr_apply(w, CLUSTER_JOIN, "x:1", "evil\n*** x", NULL, NULL, NULL, 0,
	    2);
	fr_apply(w, CLUSTER_NICK, "x:1", "ok", "bad\nold", NULL, NULL, 0, 0);
	fr_apply(w, CLUSTER_LEAVE, "x:1", "mallory", NULL, NULL,
	    "bye\x1b", 4, 0);
	assert_int_equal(w->fx.nlog - before, 6);
	assert_int_equal(w->cl.dropped, 6);
	fx_expect(&w->fx, a, "*** mallory left (bye)\n");
	fx_expect(&w->fx, b, "*** mallory left (bye)\n");
	/* Nothing of the dropped lines went into the history either. */
	assert_int_equal(rlog_history_count(&w->fx.r.rlog), 2);
}

/* The commands answer alike whichever backend decides. */
static void
test_commands_alike(void **state)
{
	struct world *w = *state;
	struct client *a = member(w, "alice"), *b = member(w, "bob");

	say(w, a, "/nick BOB");
	fx_expect(&w->fx, a, "!!! nick BOB is taken\n");
	say(w, a, "/msg carol hi");
	fx_expect(&w->fx, a, "!!! no such user: carol\n");
	/* A word no nick can be, however long (--max-line may pass
	 * 1024): nobody has it, the link has nothing to do with it. */
	char line[1200], want[1200];

	memset(line, 0, sizeof line);
	memcpy(line, "/msg ", 5);
	memset(line + 5, 'n', 1100);
	memcpy(line + 1105, " hi", 3);
	say(w, a, line);
	snprintf(want, sizeof want, "!!! no such user: %.1100s\n", line + 5);
	fx_expect(&w->fx, a, want);
	say(w, a, "/msg b@d hi");
	fx_expect(&w->fx, a, "!!! no such user: b@d\n");
	say(w, a, "/msg BOB psst");
	fx_expect(&w->fx, b, "[pm] <alice> psst\n");
	fx_silent(&w->fx, a);
	say(w, a, "/who");
	fx_expect(&w->fx, a, "*** 2 online: alice bob\n");
	say(w, a, "/me waves");
	fx_expect(&w->fx, b, "* alice waves\n");
	fx_silent(&w->fx, a);
	/* An operator bans a member online: its nick, then the address it
	 * took the member from, stored and listed in that order. */
	struct client *c = member(w, "carol");

	snprintf(c->addr, sizeof c->addr, "10.0.0.3:40000");
	snprintf(a->account, sizeof a->account, "alice");
	say(w, a, "/ban carol 10 spam");
	fx_expect(&w->fx, a, "*** banned carol for 10 minutes\n"
	    "*** carol left (banned by alice: spam)\n");
	fx_expect(&w->fx, c, "!!! you are banned: spam\n");
	fx_expect(&w->fx, b, "*** carol left (banned by alice: spam)\n");
	assert_string_equal(w->stored, "n:carol a:10.0.0.3 ");
	say(w, a, "/bans");
	fx_expect(&w->fx, a, "*** ban on carol by alice, 10 minutes left: "
	    "spam\n*** ban on 10.0.0.3 by alice, 10 minutes left: spam\n");
	say(w, a, "/nick al");
	fx_expect(&w->fx, a, "*** alice is now al\n");
	fx_expect(&w->fx, b, "*** alice is now al\n");
	room_leave(&w->fx.r, b, "bye", "quit");
	pump(w);
	fx_expect(&w->fx, a, "*** bob left (bye)\n");
}

/* Through Redis, a /who answer with a nick that breaks the rule. */
static void
test_who_checks_nicks(void **state)
{
	struct world *w = *state;
	struct client *a = member(w, "alice");
	static const char *const nicks[] = {
		"alice", "evil\n*** forged", "", NULL, "bob",
	};

	if (!w->redis) {
		/* Locally a nick can only be set through the nick rule. */
		say(w, a, "/nick evil\n*** forged");
		fx_expect(&w->fx, a, "!!! usage: /nick NAME\n");
		return;
	}
	cluster_who_reply(&w->cl, a->id, nicks, 5);
	fx_expect(&w->fx, a, "*** 2 online: alice bob\n");
	/* Redis could not answer. */
	cluster_who_reply(&w->cl, a->id, NULL, 0);
	fx_expect(&w->fx, a, "!!! room unavailable, try again later\n");
}

/*
 * A newcomer whose lines come before it is a member (through Redis, held
 * until its welcome) and who leaves before that: the others hear what a
 * member's lines say on one server, no more (a /me with nothing to say
 * is nothing) and no less (/ME, a tab after /me), in the same words.
 */
static void
test_newcomer_leaves_after_lines(void **state)
{
	struct world *w = *state;
	struct client *b = member(w, "bob"), *c = fx_client(&w->fx);

	room_join(&w->fx.r, c);
	room_settle(&w->fx.r);
	fx_say(&w->fx, c, "/me   ");
	fx_say(&w->fx, c, "/ME  shouts");
	fx_say(&w->fx, c, "/me\tbows");
	fx_say(&w->fx, c, "/me");
	fx_say(&w->fx, c, "hi");
	room_leave(&w->fx.r, c, NULL, "eof");
	pump(w);
	fx_expect(&w->fx, b, "*** guest1 joined\n* guest1 shouts\n"
	    "* guest1 bows\n<guest1> hi\n*** guest1 left\n");
	if (w->redis)
		assert_int_equal(w->cl.dropped, 0);
}

int
main(void)
{
#define BOTH(t) \
	{ "local: " #t, t, setup_local, teardown, NULL }, \
	{ "redis: " #t, t, setup_redis, teardown, NULL }
	const struct CMUnitTest tests[] = {
		BOTH(test_history_outside_sendq),
		BOTH(test_history_survives_notices),
		BOTH(test_hygiene),
		BOTH(test_commands_alike),
		BOTH(test_who_checks_nicks),
		BOTH(test_newcomer_leaves_after_lines),
	};
#undef BOTH

	return cmocka_run_group_tests(tests, NULL, NULL);
}
