/* test_accounts: the account and operator commands over a fake store. */
#include "room_helpers.h"

#include "accounts.h"

/*
 * The commands hand slow work to submit(); here a fake keeps the jobs
 * and the test answers them (status, found nick) through
 * accounts_done(), as the worker thread would. The clock and the timer
 * are fakes too: time moves when the test says.
 */

#define AX_JOBS	32

struct ax {
	struct fx	*f;		/* the room's world */
	struct accounts	 acc;		/* under test */
	struct acct_job	*jobs[AX_JOBS];	/* handed over, not answered yet */
	size_t		 njobs;		/* how many */
	bool		 full;		/* the fake worker refuses jobs */
	int64_t		 now;		/* the clock, Unix ms */
	int64_t		 planned;	/* the last schedule() ms, or -1 */
	int		 publish_rc;	/* what the fake publish() returns */
	bool		 down;		/* the fake linked() says the link is
					   down */
	unsigned	 published;	/* acts handed to it */
	enum acct_act_kind last_kind;	/* the last one's kind */
	char		 last_target[ACCT_TARGET_MAX]; /* and target */
};

static const char *const ax_ops[] = { "alice" };

static int
ax_submit(void *arg, struct acct_job *j)
{
	struct ax *x = arg;

	if (x->full || x->njobs == AX_JOBS)
		return -1;
	x->jobs[x->njobs++] = j;
	return 0;
}

static void
ax_schedule(void *arg, int64_t ms)
{
	struct ax *x = arg;

	if (x->planned == -1 || ms < x->planned)
		x->planned = ms;
}

static int64_t
ax_clock(void *arg)
{
	return ((struct ax *)arg)->now;
}

/*
 * The publish hook of --redis: notes the act and returns publish_rc, -1
 * when told to fail (the link down), as cluster_act() does: it says
 * nothing to c, the accounts answer it.
 */
static int
ax_publish(void *arg, struct client *c, const struct acct_act *a)
{
	struct ax *x = arg;

	(void)c;
	x->published++;
	x->last_kind = a->kind;
	snprintf(x->last_target, sizeof x->last_target, "%s", a->target);
	return x->publish_rc;
}

/*
 * With --redis: x publishes, and act is operator alice's act of kind on
 * target, from another instance, no reason given.
 */
static void
ax_act_from(struct ax *x, struct acct_act *act, enum acct_act_kind kind,
    const char *target)
{
	x->acc.publish = ax_publish;
	x->acc.publish_arg = x;
	memset(act, 0, sizeof *act);
	act->kind = kind;
	act->by = "alice";
	act->by_acct = "alice";
	act->target = target;
	act->reason = "";
}

/* The linked hook of --redis: the link is up unless the test says. */
static bool
ax_linked(void *arg)
{
	return !((struct ax *)arg)->down;
}

static int
ax_setup(void **state)
{
	struct ax *x;
	void *fs;

	if (fx_setup(&fs) == -1 || (x = calloc(1, sizeof *x)) == NULL)
		return -1;
	x->f = fs;
	accounts_init(&x->acc, true, ax_ops, 1);
	x->acc.submit = ax_submit;
	x->acc.submit_arg = x;
	x->acc.schedule = ax_schedule;
	x->acc.schedule_arg = x;
	x->acc.clock = ax_clock;
	x->acc.clock_arg = x;
	x->now = 1700000000000LL;
	x->planned = -1;
	x->f->r.accounts = &x->acc;
	*state = x;
	return 0;
}

static int
ax_teardown(void **state)
{
	struct ax *x = *state;
	void *fs = x->f;
	size_t i;

	for (i = 0; i < x->njobs; i++)
		free(x->jobs[i]);
	accounts_free(&x->acc);
	fx_teardown(&fs);
	free(x);
	return 0;
}

/* The oldest job not answered yet, taken off the list. */
static struct acct_job *
ax_take(struct ax *x)
{
	struct acct_job *j;

	assert_true(x->njobs > 0);
	j = x->jobs[0];
	memmove(&x->jobs[0], &x->jobs[1], --x->njobs * sizeof x->jobs[0]);
	return j;
}

/* Answer the oldest job with status (and, for a login, found). */
static void
ax_answer(struct ax *x, enum acct_status status, const char *found)
{
	struct acct_job *j = ax_take(x);

	j->status = status;
	if (found != NULL)
		snprintf(j->found, sizeof j->found, "%s", found);
	accounts_done(&x->acc, &x->f->r, j);
	room_settle(&x->f->r);
}

/* Whether the room's log holds needle. */
static bool
ax_logged(const struct fx *f, const char *needle)
{
	const char *p = buf_peek(&f->log);
	size_t n = buf_used(&f->log), k = strlen(needle), i;

	for (i = 0; p != NULL && i + k <= n; i++)
		if (memcmp(p + i, needle, k) == 0)
			return true;
	return false;
}

/* ban on target by "alice" until (0: until unbanned), also and reason
 * may be NULL. */
static struct acct_ban
ax_ban(const char *target, int64_t until, const char *also,
    const char *reason)
{
	struct acct_ban b;

	memset(&b, 0, sizeof b);
	snprintf(b.target, sizeof b.target, "%s", target);
	b.until = until;
	snprintf(b.by, sizeof b.by, "alice");
	snprintf(b.also, sizeof b.also, "%s", also != NULL ? also : "");
	snprintf(b.reason, sizeof b.reason, "%s", reason != NULL ? reason :
	    "");
	return b;
}

/*
 * Answer the oldest job, a sync, with what the store held when the
 * worker read it: bans[0..n) (copied), no registered nick.
 */
static void
ax_snapshot(struct ax *x, const struct acct_ban *bans, size_t n)
{
	struct acct_job *j = ax_take(x);

	assert_int_equal(j->kind, ACCT_JOB_SYNC);
	if (n > 0) {
		j->bans = calloc(n, sizeof j->bans[0]);
		assert_non_null(j->bans);
		memcpy(j->bans, bans, n * sizeof j->bans[0]);
	}
	j->nbans = n;
	j->status = ACCT_OK;
	accounts_done(&x->acc, &x->f->r, j);
	room_settle(&x->f->r);
}

/* Whether a connection from addr ("10.0.0.9") is refused at accept. */
static bool
ax_refused(struct ax *x, const char *addr)
{
	struct client *n = fx_client(x->f);

	snprintf(n->addr, sizeof n->addr, "%s:5555", addr);
	return accounts_refuse(&x->acc, &x->f->r, n);
}

/* A member named nick from address addr ("10.0.0.1"), drained. */
static struct client *
ax_member(struct ax *x, const char *nick, const char *addr)
{
	struct client *c = fx_member(x->f, nick);

	snprintf(c->addr, sizeof c->addr, "%s:40000", addr);
	return c;
}

/* alice, registered and logged in: an operator. */
static struct client *
ax_op(struct ax *x)
{
	struct client *a = ax_member(x, "alice", "10.0.0.1");

	assert_int_equal(accounts_add_key(&x->acc, "alice"), 0);
	snprintf(a->account, sizeof a->account, "alice");
	return a;
}

/* ---------------------------------------------------------------------
 * Off, and who may do what
 * ------------------------------------------------------------------- */

static void
test_off(void **state)
{
	struct fx *f = *state;
	struct client *a = fx_member(f, "alice");
	static const struct fx_case cases[] = {
		{ "/register secret123",
		    "!!! accounts are off on this server\n" },
		{ "/LOGIN alice secret123",
		    "!!! accounts are off on this server\n" },
		{ "/kick bob", "!!! permission denied\n" },
		{ "/ban bob", "!!! permission denied\n" },
		{ "/bans", "!!! permission denied\n" },
		{ "/mute bob", "!!! permission denied\n" },
		{ "/nick bob", "*** alice is now bob\n" },
	};

	fx_cases(f, a, cases);
}

static void
test_not_op(void **state)
{
	struct ax *x = *state;
	struct client *b = ax_member(x, "bob", "10.0.0.2");
	static const struct fx_case cases[] = {
		{ "/kick alice", "!!! permission denied\n" },
		{ "/ban alice 5 no", "!!! permission denied\n" },
		{ "/unban alice", "!!! permission denied\n" },
		{ "/bans", "!!! permission denied\n" },
		{ "/mute alice", "!!! permission denied\n" },
		{ "/unmute alice", "!!! permission denied\n" },
	};

	fx_cases(x->f, b, cases);
	/* Registered, logged in, but not an --op. */
	snprintf(b->account, sizeof b->account, "bob");
	fx_cases(x->f, b, cases);
	assert_int_equal(x->njobs, 0);
}

/* ---------------------------------------------------------------------
 * /register
 * ------------------------------------------------------------------- */

static void
test_register(void **state)
{
	struct ax *x = *state;
	struct fx *f = x->f;
	struct client *g = fx_member(f, NULL), *b, *c;
	struct acct_job *j;
	static const struct fx_case cases[] = {
		{ "/register", "!!! usage: /register PASSWORD\n" },
		{ "/register short", "!!! password must be 8 to 128 bytes\n" },
		{ "/register " "0123456789012345678901234567890123456789"
		    "0123456789012345678901234567890123456789"
		    "0123456789012345678901234567890123456789"
		    "012345678",
		    "!!! password must be 8 to 128 bytes\n" },
	};

	fx_say(f, g, "/register secret123");
	fx_expect(f, g, "!!! choose a nick first\n");
	b = ax_member(x, "Bob", "10.0.0.2");
	fx_cases(f, b, cases);
	assert_int_equal(x->njobs, 0);
	fx_say(f, b, "/register secret 123");
	fx_silent(f, b);
	assert_int_equal(x->njobs, 1);
	j = x->jobs[0];
	assert_int_equal(j->kind, ACCT_JOB_REGISTER);
	assert_string_equal(j->nick, "Bob");
	assert_string_equal(j->key, "bob");
	/* The password whole, spaces and all; never in the log. */
	assert_int_equal(j->passlen, 10);
	assert_memory_equal(j->pass, "secret 123", 10);
	ax_answer(x, ACCT_OK, NULL);
	assert_true(ax_logged(f, "registered Bob"));
	assert_false(ax_logged(f, "secret"));
	fx_expect(f, b, "*** nick Bob is now registered to you\n");
	assert_string_equal(b->account, "bob");
	/* Now protected, whatever the case. */
	c = ax_member(x, "carol", "10.0.0.3");
	fx_say(f, c, "/nick BOB");
	fx_expect(f, c, "!!! nick BOB is registered: /login BOB PASSWORD\n");
	/* A second registration of the same nick. */
	fx_say(f, b, "/register another1");
	fx_expect(f, b, "!!! nick Bob is already registered\n");
	/* Its owner may change case. */
	fx_say(f, b, "/nick bob");
	fx_expect(f, b, "*** Bob is now bob\n");
	fx_drain_all(f);
	/* Another instance took it first: the store says taken. */
	fx_say(f, c, "/register secret123");
	ax_answer(x, ACCT_NO, NULL);
	fx_expect(f, c, "!!! nick carol is already registered\n");
	assert_string_equal(c->account, "");
	/* The store failed. */
	fx_say(f, c, "/nick dave");
	fx_drain_all(f);
	fx_say(f, c, "/register secret123");
	ax_answer(x, ACCT_ERROR, NULL);
	fx_expect(f, c, "!!! accounts unavailable, try again later\n");
}

static void
test_busy(void **state)
{
	struct ax *x = *state;
	struct fx *f = x->f;
	struct client *b = ax_member(x, "bob", "10.0.0.2"), *m[ACCT_QUEUE_MAX];
	char nick[16], addr[16];
	size_t i;

	/* Each member has one job out at most (its lines wait meanwhile):
	 * the queue fills with as many members, each from its address. */
	for (i = 0; i < ACCT_QUEUE_MAX; i++) {
		snprintf(nick, sizeof nick, "m%zu", i);
		snprintf(addr, sizeof addr, "10.0.1.%zu", i);
		m[i] = ax_member(x, nick, addr);
		fx_say(f, m[i], "/login carol secret123");
		fx_silent(f, m[i]);
		assert_true(m[i]->flags & CLIENT_HASHING);
	}
	fx_say(f, b, "/login carol secret123");
	fx_expect(f, b, "!!! busy, try again\n");
	fx_say(f, b, "/register secret123");
	fx_expect(f, b, "!!! busy, try again\n");
	assert_false(b->flags & CLIENT_HASHING);
	assert_int_equal(x->njobs, ACCT_QUEUE_MAX);
	/* One answered: room for one more; its member is read again. */
	ax_answer(x, ACCT_NO, NULL);
	fx_expect(f, m[0], "!!! login failed\n");
	assert_false(m[0]->flags & CLIENT_HASHING);
	fx_say(f, b, "/register secret123");
	fx_silent(f, b);
	assert_true(b->flags & CLIENT_HASHING);
	/* A worker that refuses (stopping) is busy too. */
	for (i = 1; i < ACCT_QUEUE_MAX; i++)
		ax_answer(x, ACCT_NO, NULL);
	ax_answer(x, ACCT_ERROR, NULL);
	fx_drain_all(f);
	x->full = true;
	fx_say(f, m[0], "/login carol secret123");
	fx_expect(f, m[0], "!!! busy, try again\n");
}

/*
 * While bob's register is out, bob's nick is his: should he leave
 * before the answer, nobody takes it meanwhile, and the answer registers
 * it to nobody here.
 */
static void
test_register_claim(void **state)
{
	struct ax *x = *state;
	struct fx *f = x->f;
	struct client *b = ax_member(x, "bob", "10.0.0.2");
	struct client *c = ax_member(x, "carol", "10.0.0.3");

	fx_say(f, b, "/register secret123");
	fx_silent(f, b);
	room_leave(&f->r, b, NULL, "closed");
	fx_drain_all(f);
	fx_say(f, c, "/nick Bob");
	fx_expect(f, c, "!!! nick Bob is registered: /login Bob PASSWORD\n");
	ax_answer(x, ACCT_OK, NULL);
	assert_string_equal(c->account, "");
	assert_string_equal(c->nick, "carol");
	/* The claim went with the answer: carol may register her own. */
	fx_say(f, c, "/register secret123");
	fx_silent(f, c);
	ax_answer(x, ACCT_OK, NULL);
	fx_expect(f, c, "*** nick carol is now registered to you\n");
}

/* Logins still being checked count toward the limit as failures. */
static void
test_throttle_pending(void **state)
{
	struct ax *x = *state;
	struct fx *f = x->f;
	struct client *m[ACCT_FAILS_MAX + 1];
	char nick[16];
	size_t i;

	for (i = 0; i <= ACCT_FAILS_MAX; i++) {
		snprintf(nick, sizeof nick, "m%zu", i);
		m[i] = ax_member(x, nick, "10.0.0.9");
	}
	for (i = 0; i < ACCT_FAILS_MAX; i++) {
		fx_say(f, m[i], "/login carol secret123");
		fx_silent(f, m[i]);
	}
	fx_say(f, m[i], "/login carol secret123");
	fx_expect(f, m[i], "!!! too many login attempts, wait a minute\n");
	/* One comes back right: still four out, and room for one. */
	ax_answer(x, ACCT_OK, "carol");
	fx_drain_all(f);
	fx_say(f, m[i], "/login carol secret123");
	fx_silent(f, m[i]);
	assert_int_equal(x->njobs, ACCT_FAILS_MAX);
}

/* ---------------------------------------------------------------------
 * /login
 * ------------------------------------------------------------------- */

static void
test_login(void **state)
{
	struct ax *x = *state;
	struct fx *f = x->f;
	struct client *g = fx_member(f, NULL), *o;
	struct acct_job *j;

	snprintf(g->addr, sizeof g->addr, "10.0.0.5:4000");
	fx_say(f, g, "/login");
	fx_expect(f, g, "!!! usage: /login NICK PASSWORD\n");
	fx_say(f, g, "/login bob");
	fx_expect(f, g, "!!! usage: /login NICK PASSWORD\n");
	fx_say(f, g, "/login bob secret123");
	fx_silent(f, g);
	j = x->jobs[0];
	assert_int_equal(j->kind, ACCT_JOB_LOGIN);
	assert_string_equal(j->key, "bob");
	assert_string_equal(j->addr, "10.0.0.5");
	assert_memory_equal(j->pass, "secret123", 9);
	/* Unknown nick and wrong password: the worker says the same. */
	ax_answer(x, ACCT_NO, NULL);
	fx_expect(f, g, "!!! login failed\n");
	/* Success: renamed to the nick as registered, and told. */
	o = fx_member(f, "other");
	fx_say(f, g, "/login BOB secret123");
	ax_answer(x, ACCT_OK, "Bob");
	fx_expect(f, g, "*** guest1 is now Bob\n*** you are logged in as Bob\n");
	fx_expect(f, o, "*** guest1 is now Bob\n");
	assert_string_equal(g->account, "bob");
	/* The member left before the answer: nothing to anyone. */
	fx_say(f, o, "/login carol secret123");
	room_leave(&f->r, o, NULL, "quit");
	fx_drain_all(f);
	ax_answer(x, ACCT_OK, "carol");
	fx_silent(f, g);
	assert_string_equal(o->account, "");
}

static void
test_login_elsewhere(void **state)
{
	struct ax *x = *state;
	struct fx *f = x->f;
	struct client *old, *g, *w;

	old = ax_member(x, "bob", "10.0.0.2");
	snprintf(old->account, sizeof old->account, "bob");
	w = fx_member(f, "watcher");
	g = fx_member(f, NULL);
	fx_say(f, g, "/login bob secret123");
	ax_answer(x, ACCT_OK, "bob");
	fx_expect(f, old, "*** logged in from elsewhere\n");
	assert_false(fx_is_member(f, old));
	fx_expect(f, w, "*** bob left (logged in from elsewhere)\n"
	    "*** guest1 is now bob\n");
	fx_expect(f, g, "*** bob left (logged in from elsewhere)\n"
	    "*** guest1 is now bob\n*** you are logged in as bob\n");
}

/*
 * With --redis and the link down, the login's act cannot reach the
 * instance holding the account's older session: the login is refused,
 * the member left as it was. Once the act goes, the login is done.
 */
static void
test_login_link_down(void **state)
{
	struct ax *x = *state;
	struct fx *f = x->f;
	struct client *old, *g, *w;

	x->acc.publish = ax_publish;
	x->acc.publish_arg = x;
	x->publish_rc = -1;
	/* The account's older session, renamed since its login. */
	old = ax_member(x, "bobby", "10.0.0.2");
	snprintf(old->account, sizeof old->account, "bob");
	w = fx_member(f, "watcher");
	g = fx_member(f, NULL);
	fx_say(f, g, "/login bob secret123");
	ax_answer(x, ACCT_OK, "bob");
	assert_int_equal(x->published, 1);
	assert_int_equal(x->last_kind, ACCT_ACT_LOGIN);
	assert_string_equal(x->last_target, "bob");
	fx_expect(f, g, "!!! room unavailable, try again later\n");
	fx_silent(f, w);
	fx_silent(f, old);
	assert_string_equal(g->nick, "guest1");
	assert_string_equal(g->account, "");
	assert_true(fx_is_member(f, old));
	assert_true(ax_logged(f, "client 3: login as bob refused: link "
	    "down"));
	assert_false(ax_logged(f, "logged in as bob"));
	/* The link back: renamed and told once Redis took the act; the
	 * older session is closed when the act comes back
	 * (accounts_apply()), not here. */
	x->publish_rc = 0;
	fx_say(f, g, "/login bob secret123");
	ax_answer(x, ACCT_OK, "bob");
	assert_int_equal(x->published, 2);
	fx_silent(f, g);
	assert_string_equal(g->account, "");
	accounts_login_answered(&x->acc, &f->r, g, "bob", NULL);
	fx_expect(f, g, "*** guest1 is now bob\n*** you are logged in as bob\n");
	assert_string_equal(g->account, "bob");
}

/*
 * With --redis, a login's act handed on may still fail: Redis answers
 * it with an error, or the link goes before the answer. The account's
 * older session elsewhere may then stay: the login is refused as with
 * the link down, the member left as it was. Taken, it is done, but for
 * a ban of the account or a mute of the member come meanwhile.
 */
static void
test_login_act_answered(void **state)
{
	struct ax *x = *state;
	struct fx *f = x->f;
	struct client *g, *h, *w;
	struct acct_ban b;
	struct acct_act a;

	x->acc.publish = ax_publish;
	x->acc.publish_arg = x;
	x->publish_rc = 0;
	w = fx_member(f, "watcher");
	g = ax_member(x, "guest7", "10.0.0.7");
	fx_say(f, g, "/login bob secret123");
	ax_answer(x, ACCT_OK, "bob");
	assert_int_equal(x->published, 1);
	fx_silent(f, g);
	accounts_login_answered(&x->acc, &f->r, g, "bob",
	    "Redis refused its act");
	fx_expect(f, g, "!!! room unavailable, try again later\n");
	fx_silent(f, w);
	assert_string_equal(g->nick, "guest7");
	assert_string_equal(g->account, "");
	assert_true(ax_logged(f, "client 2: login as bob refused: Redis "
	    "refused its act"));
	assert_false(ax_logged(f, "logged in as bob"));
	/* Muted meanwhile: no rename. */
	fx_say(f, g, "/login bob secret123");
	ax_answer(x, ACCT_OK, "bob");
	memset(&a, 0, sizeof a);
	a.kind = ACCT_ACT_MUTE;
	a.by = "alice";
	a.by_acct = "alice";
	a.target = "guest7";
	a.reason = "";
	assert_null(accounts_apply(&x->acc, &f->r, &f->r, &a, g, NULL));
	fx_expect(f, g, "*** guest7 was muted by alice\n");
	accounts_login_answered(&x->acc, &f->r, g, "bob", NULL);
	fx_expect(f, g, "!!! you are muted\n");
	assert_string_equal(g->nick, "guest7");
	assert_string_equal(g->account, "");
	assert_true(ax_logged(f, "client 2: login as bob refused: muted"));
	/* The account banned meanwhile: told, and closed. */
	h = ax_member(x, "guest8", "10.0.0.8");
	fx_say(f, h, "/login bob secret123");
	ax_answer(x, ACCT_OK, "bob");
	memset(&b, 0, sizeof b);
	snprintf(b.by, sizeof b.by, "alice");
	snprintf(b.target, sizeof b.target, "n:bob");
	snprintf(b.reason, sizeof b.reason, "spam");
	assert_int_equal(accounts_add_ban(&x->acc, &b), 0);
	accounts_login_answered(&x->acc, &f->r, h, "bob", NULL);
	fx_expect(f, h, "!!! you are banned: spam\n");
	assert_false(fx_is_member(f, h));
	assert_string_equal(h->account, "");
}

/* An operator's act with the link down: "message not sent", the one
 * answer (nothing here changes until its entry comes back). */
static void
test_act_link_down(void **state)
{
	struct ax *x = *state;
	struct fx *f = x->f;
	struct client *a = ax_op(x), *b = ax_member(x, "bob", "10.0.0.2");
	/* A ban is refused whole too: neither confirmed nor stored, here
	 * or in the store every instance reads. */
	static const struct {
		const char	*line;	/* the operator's */
		enum acct_act_kind kind; /* the act handed to publish() */
	} acts[] = {
		{ "/kick bob go",	ACCT_ACT_KICK },
		{ "/mute bob 5",	ACCT_ACT_MUTE },
		{ "/ban dave 0",	ACCT_ACT_BAN },
		{ "/ban 10.0.0.9 3",	ACCT_ACT_BAN_ADDR },
		{ "/ban bob 3",		ACCT_ACT_BAN },
	};
	size_t i;

	x->acc.publish = ax_publish;
	x->acc.publish_arg = x;
	x->publish_rc = -1;
	for (i = 0; i < sizeof acts / sizeof acts[0]; i++) {
		fx_say(f, a, acts[i].line);
		fx_expect(f, a, "!!! room unavailable, message not sent\n");
		/* bob hears nothing of it, and stays. */
		fx_silent(f, b);
		assert_true(fx_is_member(f, b));
		assert_int_equal(x->published, i + 1);
		assert_int_equal(x->last_kind, acts[i].kind);
	}
	fx_say(f, a, "/bans");
	fx_expect(f, a, "*** no bans\n");
	assert_int_equal(x->acc.nbans, 0);
	/* Nor does the log say any of them was done. */
	assert_false(ax_logged(f, "operator alice kicked"));
	assert_false(ax_logged(f, "operator alice muted"));
	assert_false(ax_logged(f, "operator alice banned"));
}

/*
 * /unban with the link down is refused whole, as a /ban is: the bans this
 * instance knows stay (a nick's, and the address that goes with it),
 * nothing goes to the store, nothing is logged as done. With the link
 * back it is done.
 */
static void
test_unban_link_down(void **state)
{
	struct ax *x = *state;
	struct fx *f = x->f;
	struct client *a = ax_op(x);
	struct acct_ban b;
	static const struct fx_case cases[] = {
		{ "/unban dave", "!!! room unavailable, message not sent\n" },
		{ "/unban 10.0.0.9",
		    "!!! room unavailable, message not sent\n" },
		{ "/unban ::ffff:10.0.0.4",
		    "!!! room unavailable, message not sent\n" },
		/* Not known here, yet the store may hold it. */
		{ "/unban eve", "!!! room unavailable, message not sent\n" },
		/* What names no target is answered as ever. */
		{ "/unban", "!!! usage: /unban NICK|ADDRESS\n" },
		{ "/unban b@d", "!!! not a nick or an address: b@d\n" },
	};

	x->acc.publish = ax_publish;
	x->acc.publish_arg = x;
	x->acc.linked = ax_linked;
	x->acc.linked_arg = x;
	memset(&b, 0, sizeof b);
	snprintf(b.by, sizeof b.by, "alice");
	snprintf(b.target, sizeof b.target, "n:dave");
	snprintf(b.also, sizeof b.also, "a:10.0.0.4");
	assert_int_equal(accounts_add_ban(&x->acc, &b), 0);
	snprintf(b.target, sizeof b.target, "a:10.0.0.4");
	snprintf(b.also, sizeof b.also, "n:dave");
	assert_int_equal(accounts_add_ban(&x->acc, &b), 0);
	snprintf(b.target, sizeof b.target, "a:10.0.0.9");
	b.also[0] = '\0';
	assert_int_equal(accounts_add_ban(&x->acc, &b), 0);
	x->down = true;
	x->publish_rc = -1;
	fx_cases(f, a, cases);
	assert_int_equal(x->acc.nbans, 3);
	assert_int_equal(x->njobs, 0);
	assert_int_equal(x->published, 0);
	fx_say(f, a, "/bans");
	fx_expect(f, a, "*** ban on dave by alice, until unbanned\n"
	    "*** ban on 10.0.0.4 by alice, until unbanned\n"
	    "*** ban on 10.0.0.9 by alice, until unbanned\n");
	assert_false(ax_logged(f, "lifted the ban"));
	assert_false(ax_logged(f, "goes with the ban"));
	/* The link back: lifted here and in the store, with its address. */
	x->down = false;
	x->publish_rc = 0;
	fx_say(f, a, "/unban dave");
	fx_expect(f, a, "*** unbanned dave\n");
	assert_int_equal(x->acc.nbans, 1);
	assert_int_equal(x->njobs, 2);
	assert_int_equal(x->jobs[0]->kind, ACCT_JOB_UNBAN);
	assert_string_equal(x->jobs[0]->ban.target, "n:dave");
	assert_int_equal(x->jobs[1]->kind, ACCT_JOB_UNBAN);
	assert_string_equal(x->jobs[1]->ban.target, "a:10.0.0.4");
	assert_true(ax_logged(f, "operator alice lifted the ban on dave and "
	    "10.0.0.4"));
}

static void
test_login_throttle(void **state)
{
	struct ax *x = *state;
	struct fx *f = x->f;
	struct client *g = ax_member(x, "guest", "10.0.0.7");
	struct client *h = ax_member(x, "other", "10.0.0.8");
	int i;

	for (i = 0; i < ACCT_FAILS_MAX; i++) {
		fx_say(f, g, "/login bob wrongpass");
		ax_answer(x, ACCT_NO, NULL);
		fx_expect(f, g, "!!! login failed\n");
		x->now += 1000;
	}
	/* The sixth within the minute is not even tried. */
	fx_say(f, g, "/login bob secret123");
	fx_expect(f, g, "!!! too many login attempts, wait a minute\n");
	assert_int_equal(x->njobs, 0);
	/* Per address: another one may go on. */
	fx_say(f, h, "/login bob secret123");
	assert_int_equal(x->njobs, 1);
	ax_answer(x, ACCT_NO, NULL);
	fx_drain_all(f);
	/* A minute after the first failure, one more try. */
	x->now += ACCT_FAILS_MS - 5000;
	fx_say(f, g, "/login bob secret123");
	assert_int_equal(x->njobs, 1);
	ax_answer(x, ACCT_NO, NULL);
	fx_expect(f, g, "!!! login failed\n");
	fx_say(f, g, "/login bob secret123");
	fx_expect(f, g, "!!! too many login attempts, wait a minute\n");
	/* Failures without a job count too: a nick that cannot be one. */
	x->now += 2 * ACCT_FAILS_MS;
	for (i = 0; i < ACCT_FAILS_MAX; i++) {
		fx_say(f, g, "/login no.such.nick secret123");
		fx_expect(f, g, "!!! login failed\n");
	}
	fx_say(f, g, "/login bob secret123");
	fx_expect(f, g, "!!! too many login attempts, wait a minute\n");
	assert_int_equal(x->njobs, 0);
}

static void
test_login_banned(void **state)
{
	struct ax *x = *state;
	struct fx *f = x->f;
	struct client *g = ax_member(x, "guest", "10.0.0.7");
	struct client *w = fx_member(f, "watcher");
	struct acct_job *j;

	fx_say(f, g, "/login bob secret123");
	j = x->jobs[0];
	snprintf(j->ban.reason, sizeof j->ban.reason, "spam");
	ax_answer(x, ACCT_BANNED, "bob");
	fx_expect(f, g, "!!! you are banned: spam\n");
	assert_false(fx_is_member(f, g));
	fx_expect(f, w, "*** guest left\n");
}

/* ---------------------------------------------------------------------
 * Operators
 * ------------------------------------------------------------------- */

static void
test_kick(void **state)
{
	struct ax *x = *state;
	struct fx *f = x->f;
	struct client *a = ax_op(x), *b, *c;

	b = ax_member(x, "bob", "10.0.0.2");
	c = ax_member(x, "carol", "10.0.0.3");
	fx_say(f, a, "/kick");
	fx_expect(f, a, "!!! usage: /kick NICK [REASON]\n");
	fx_say(f, a, "/kick nobody");
	fx_expect(f, a, "!!! no such user: nobody\n");
	fx_say(f, a, "/kick BOB stop the spam");
	fx_expect(f, b, "*** kicked by alice: stop the spam\n");
	assert_false(fx_is_member(f, b));
	fx_expect(f, c, "*** bob left (kicked by alice: stop the spam)\n");
	fx_expect(f, a, "*** bob left (kicked by alice: stop the spam)\n");
	fx_say(f, a, "/kick carol");
	fx_expect(f, c, "*** kicked by alice\n");
	fx_expect(f, a, "*** carol left (kicked by alice)\n");
	/* Logged with who did it. */
	assert_true(ax_logged(f, "operator alice kicked bob"));
	assert_true(ax_logged(f, "operator alice kicked carol"));
}

/*
 * A reason longer than the server keeps (with a --max-line over 1024) is
 * cut between characters: what the others read stays valid UTF-8.
 */
static void
test_kick_long_reason(void **state)
{
	struct ax *x = *state;
	struct fx *f = x->f;
	struct client *a = ax_op(x), *b;
	char line[16 + 2 * 600 + 1], want[64 + PROTO_MAX_LINE];
	size_t i, n;

	b = ax_member(x, "bob", "10.0.0.2");
	/* "x" and 600 two-byte characters: byte 1024 starts one. */
	n = (size_t)snprintf(line, sizeof line, "/kick bob x");
	for (i = 0; i < 600; i++) {
		line[n++] = '\xc3';
		line[n++] = '\xa9';
	}
	line[n] = '\0';
	fx_say(f, a, line);
	n = (size_t)snprintf(want, sizeof want, "*** kicked by alice: x");
	for (i = 0; i < (PROTO_MAX_LINE - 1) / 2; i++) {
		want[n++] = '\xc3';
		want[n++] = '\xa9';
	}
	snprintf(want + n, sizeof want - n, "\n");
	fx_expect(f, b, want);
	fx_drain_all(f);
}

static void
test_ban_nick(void **state)
{
	struct ax *x = *state;
	struct fx *f = x->f;
	struct client *a = ax_op(x), *b, *c, *n;
	struct acct_job *j;

	b = ax_member(x, "bob", "10.0.0.2");
	c = ax_member(x, "carol", "10.0.0.3");
	fx_say(f, a, "/ban bob 30 flooding");
	fx_expect(f, b, "!!! you are banned: flooding\n");
	assert_false(fx_is_member(f, b));
	fx_expect(f, c, "*** bob left (banned by alice: flooding)\n");
	fx_expect(f, a, "*** banned bob for 30 minutes\n"
	    "*** bob left (banned by alice: flooding)\n");
	/* The account, then the address, both stored, in that order. */
	assert_int_equal(x->njobs, 2);
	j = x->jobs[0];
	assert_int_equal(j->kind, ACCT_JOB_BAN);
	assert_string_equal(j->ban.target, "n:bob");
	assert_string_equal(j->ban.also, "a:10.0.0.2");
	assert_string_equal(j->ban.by, "alice");
	assert_string_equal(j->ban.reason, "flooding");
	assert_true(j->ban.until == x->now + 30 * 60000);
	j = x->jobs[1];
	assert_int_equal(j->kind, ACCT_JOB_BAN);
	assert_string_equal(j->ban.target, "a:10.0.0.2");
	assert_string_equal(j->ban.also, "n:bob");
	assert_true(j->ban.until == x->now + 30 * 60000);
	assert_true(x->planned == 30 * 60000);
	ax_answer(x, ACCT_OK, NULL);
	ax_answer(x, ACCT_OK, NULL);
	/* The address is refused at accept. */
	n = fx_client(f);
	snprintf(n->addr, sizeof n->addr, "10.0.0.2:5555");
	assert_true(accounts_refuse(&x->acc, &f->r, n));
	assert_false(fx_is_member(f, n));
	assert_true(n->flags & CLIENT_CLOSING);
	n = fx_client(f);
	snprintf(n->addr, sizeof n->addr, "10.0.0.9:5555");
	assert_false(accounts_refuse(&x->acc, &f->r, n));
	fx_say(f, a, "/bans");
	fx_expect(f, a, "*** ban on bob by alice, 30 minutes left: "
	    "flooding\n*** ban on 10.0.0.2 by alice, 30 minutes left: "
	    "flooding\n");
	/* Lifting the account's ban lifts its address's too. */
	fx_say(f, a, "/unban Bob");
	fx_expect(f, a, "*** unbanned Bob\n");
	assert_int_equal(x->njobs, 2);
	assert_int_equal(x->jobs[0]->kind, ACCT_JOB_UNBAN);
	assert_string_equal(x->jobs[0]->ban.target, "n:bob");
	assert_string_equal(x->jobs[1]->ban.target, "a:10.0.0.2");
	ax_answer(x, ACCT_OK, NULL);
	ax_answer(x, ACCT_OK, NULL);
	fx_say(f, a, "/bans");
	fx_expect(f, a, "*** no bans\n");
	fx_say(f, a, "/unban bob");
	fx_expect(f, a, "!!! no ban on bob\n");
	n = fx_client(f);
	snprintf(n->addr, sizeof n->addr, "10.0.0.2:5555");
	assert_false(accounts_refuse(&x->acc, &f->r, n));
	assert_true(ax_logged(f, "operator alice banned bob and 10.0.0.2 for 30 minutes"));
	assert_true(ax_logged(f, "operator alice lifted the ban on bob and 10.0.0.2"));
}

/*
 * The bans lifted with a nick's end with it: dv, logged in as dave,
 * banned for 10 minutes, then again for 1 (its member gone): the ban of
 * its address and that of its account take the 1 minute too, and run
 * out with it.
 */
static void
test_ban_reban_linked(void **state)
{
	struct ax *x = *state;
	struct fx *f = x->f;
	struct client *a = ax_op(x), *d, *g;

	d = ax_member(x, "dv", "10.0.0.4");
	snprintf(d->account, sizeof d->account, "dave");
	fx_say(f, a, "/ban dv 10 spam");
	fx_drain_all(f);
	assert_int_equal(x->njobs, 3);
	assert_string_equal(x->jobs[0]->ban.target, "n:dv");
	assert_string_equal(x->jobs[1]->ban.target, "a:10.0.0.4");
	assert_string_equal(x->jobs[1]->ban.also, "n:dv");
	assert_string_equal(x->jobs[2]->ban.target, "n:dave");
	assert_string_equal(x->jobs[2]->ban.also, "n:dv");
	/* Only the nick's ban re-times those that point back to it. */
	assert_true(x->jobs[0]->retime);
	assert_false(x->jobs[1]->retime);
	assert_false(x->jobs[2]->retime);
	while (x->njobs > 0)
		ax_answer(x, ACCT_OK, NULL);
	/* Listed as made: the nick's, its address's, its account's. */
	fx_say(f, a, "/bans");
	fx_expect(f, a, "*** ban on dv by alice, 10 minutes left: spam\n"
	    "*** ban on 10.0.0.4 by alice, 10 minutes left: spam\n"
	    "*** ban on dave by alice, 10 minutes left: spam\n");
	fx_say(f, a, "/ban dv 1 again");
	fx_expect(f, a, "*** banned dv for 1 minute\n");
	assert_int_equal(x->njobs, 1);
	assert_string_equal(x->jobs[0]->ban.target, "n:dv");
	/* The worker sets the store's so too. */
	assert_true(x->jobs[0]->retime);
	ax_answer(x, ACCT_OK, NULL);
	fx_say(f, a, "/bans");
	fx_expect(f, a, "*** ban on 10.0.0.4 by alice, 1 minute left: spam\n"
	    "*** ban on dave by alice, 1 minute left: spam\n"
	    "*** ban on dv by alice, 1 minute left: again\n");
	x->now += 60000;
	assert_true(accounts_tick(&x->acc, &f->r) == -1);
	fx_say(f, a, "/bans");
	fx_expect(f, a, "*** no bans\n");
	g = ax_member(x, "guest", "10.0.0.4");
	fx_say(f, g, "/login dave secret123");
	ax_answer(x, ACCT_OK, "dave");
	fx_expect(f, g, "*** guest is now dave\n*** you are logged in as "
	    "dave\n");
}

static void
test_ban_address(void **state)
{
	struct ax *x = *state;
	struct fx *f = x->f;
	struct client *a = ax_op(x), *b, *b2, *c;
	static const struct fx_case cases[] = {
		{ "/ban", "!!! usage: /ban NICK|ADDRESS [MINUTES] [REASON]\n" },
		{ "/ban 10.0.0.x", "!!! not a nick or an address: 10.0.0.x\n" },
		{ "/ban bob 99999999", "!!! bad minutes: 99999999 (0 to "
		    "5256000)\n" },
		{ "/ban bob -1", "!!! bad minutes: -1 (0 to 5256000)\n" },
		{ "/ban bob +5 why", "!!! bad minutes: +5 (0 to 5256000)\n" },
		{ "/unban", "!!! usage: /unban NICK|ADDRESS\n" },
		{ "/unban 10.0.0.9", "!!! no ban on 10.0.0.9\n" },
		/* An address is answered in its short form. */
		{ "/unban ::FFFF:10.0.0.9", "!!! no ban on 10.0.0.9\n" },
		{ "/unban 0:0:0:0:0:0:0:2", "!!! no ban on ::2\n" },
	};

	fx_cases(f, a, cases);
	b = ax_member(x, "bob", "10.0.0.2");
	b2 = ax_member(x, "bob2", "10.0.0.2");
	c = ax_member(x, "carol", "10.0.0.3");
	fx_say(f, a, "/ban 10.0.0.2 0");
	fx_expect(f, a, "*** banned 10.0.0.2 until unbanned\n"
	    "*** bob left (banned by alice)\n*** bob2 left (banned by alice)\n");
	fx_expect(f, b, "!!! you are banned\n");
	fx_expect(f, b2, "*** bob left (banned by alice)\n!!! you are banned\n");
	fx_expect(f, c, "*** bob left (banned by alice)\n"
	    "*** bob2 left (banned by alice)\n");
	assert_int_equal(x->njobs, 1);
	assert_string_equal(x->jobs[0]->ban.target, "a:10.0.0.2");
	assert_true(x->jobs[0]->ban.until == ACCT_FOREVER);
	/* Forever: no timer. */
	assert_true(x->planned == -1);
	fx_say(f, a, "/bans");
	fx_expect(f, a, "*** ban on 10.0.0.2 by alice, until unbanned\n");
	/* IPv6 too. */
	fx_say(f, a, "/ban ::1 5 local");
	fx_expect(f, a, "*** banned ::1 for 5 minutes\n");
	b = fx_client(f);
	snprintf(b->addr, sizeof b->addr, "[::1]:5555");
	assert_true(accounts_refuse(&x->acc, &f->r, b));
}

/* An address is one however it is spelt: a ban, a connection from it,
 * and a ban read from the store (untrusted, maybe from an older version)
 * are compared in one canonical text. */
static void
test_ban_spellings(void **state)
{
	struct ax *x = *state;
	struct fx *f = x->f;
	struct client *a = ax_op(x), *n;
	struct acct_ban b;

	fx_say(f, a, "/ban ::ffff:10.0.0.4 5");
	fx_expect(f, a, "*** banned 10.0.0.4 for 5 minutes\n");
	assert_string_equal(x->jobs[0]->ban.target, "a:10.0.0.4");
	ax_answer(x, ACCT_OK, NULL);
	/* Seen by a dual-stack listener, or by an IPv4 one. */
	n = fx_client(f);
	snprintf(n->addr, sizeof n->addr, "[::ffff:10.0.0.4]:5555");
	assert_true(accounts_refuse(&x->acc, &f->r, n));
	n = fx_client(f);
	snprintf(n->addr, sizeof n->addr, "10.0.0.4:5555");
	assert_true(accounts_refuse(&x->acc, &f->r, n));
	fx_say(f, a, "/bans");
	fx_expect(f, a, "*** ban on 10.0.0.4 by alice, 5 minutes left\n");
	fx_say(f, a, "/unban 0:0:0:0:0:ffff:a00:4");
	fx_expect(f, a, "*** unbanned 10.0.0.4\n");
	assert_string_equal(x->jobs[0]->ban.target, "a:10.0.0.4");
	ax_answer(x, ACCT_OK, NULL);
	n = fx_client(f);
	snprintf(n->addr, sizeof n->addr, "[::ffff:10.0.0.4]:5555");
	assert_false(accounts_refuse(&x->acc, &f->r, n));

	fx_say(f, a, "/ban 0:0:0:0:0:0:0:1 5");
	fx_expect(f, a, "*** banned ::1 for 5 minutes\n");
	ax_answer(x, ACCT_OK, NULL);
	n = fx_client(f);
	snprintf(n->addr, sizeof n->addr, "[::1]:5555");
	assert_true(accounts_refuse(&x->acc, &f->r, n));

	/* From the store: kept as its canonical text, or not at all. */
	memset(&b, 0, sizeof b);
	snprintf(b.target, sizeof b.target, "a:::FFFF:10.0.0.5");
	snprintf(b.by, sizeof b.by, "op2");
	assert_int_equal(accounts_add_ban(&x->acc, &b), 0);
	snprintf(b.target, sizeof b.target, "a:not an address");
	assert_int_equal(accounts_add_ban(&x->acc, &b), 0);
	snprintf(b.target, sizeof b.target, "n:carol");
	snprintf(b.also, sizeof b.also, "a:::ffff:10.0.0.6");
	assert_int_equal(accounts_add_ban(&x->acc, &b), 0);
	n = fx_client(f);
	snprintf(n->addr, sizeof n->addr, "10.0.0.5:5555");
	assert_true(accounts_refuse(&x->acc, &f->r, n));
	fx_say(f, a, "/bans");
	fx_expect(f, a, "*** ban on ::1 by alice, 5 minutes left\n"
	    "*** ban on 10.0.0.5 by op2, until unbanned\n"
	    "*** ban on carol by op2, until unbanned\n");
	assert_string_equal(x->acc.bans[2].also, "a:10.0.0.6");
}

static void
test_ban_expires(void **state)
{
	struct ax *x = *state;
	struct fx *f = x->f;
	struct client *a = ax_op(x), *n;

	fx_say(f, a, "/ban 10.0.0.9 1 cool off");
	fx_expect(f, a, "*** banned 10.0.0.9 for 1 minute\n");
	assert_true(x->planned == 60000);
	x->now += 30000;
	assert_true(accounts_tick(&x->acc, &f->r) == 30000);
	n = fx_client(f);
	snprintf(n->addr, sizeof n->addr, "10.0.0.9:1");
	assert_true(accounts_refuse(&x->acc, &f->r, n));
	x->now += 30000;
	assert_true(accounts_tick(&x->acc, &f->r) == -1);
	n = fx_client(f);
	snprintf(n->addr, sizeof n->addr, "10.0.0.9:1");
	assert_false(accounts_refuse(&x->acc, &f->r, n));
	fx_say(f, a, "/bans");
	fx_expect(f, a, "*** no bans\n");
	assert_true(ax_logged(f, "the ban on 10.0.0.9 by alice ran out"));
}

static void
test_mute(void **state)
{
	struct ax *x = *state;
	struct fx *f = x->f;
	struct client *a = ax_op(x), *b, *c;
	static const struct fx_case cases[] = {
		{ "/mute", "!!! usage: /mute NICK [MINUTES]\n" },
		{ "/mute bob x", "!!! usage: /mute NICK [MINUTES]\n" },
		/* Out of range: the same answer as /ban's. */
		{ "/mute bob 5256001", "!!! bad minutes: 5256001 (0 to "
		    "5256000)\n" },
		{ "/mute bob 99999999", "!!! bad minutes: 99999999 (0 to "
		    "5256000)\n" },
		{ "/mute bob 5 more", "!!! usage: /mute NICK [MINUTES]\n" },
		/* A signed number is MINUTES too, out of range. */
		{ "/mute bob -5", "!!! bad minutes: -5 (0 to 5256000)\n" },
		{ "/mute nobody", "!!! no such user: nobody\n" },
		{ "/unmute", "!!! usage: /unmute NICK\n" },
		{ "/unmute carol", "!!! carol is not muted\n" },
	};

	b = ax_member(x, "bob", "10.0.0.2");
	c = ax_member(x, "carol", "10.0.0.3");
	fx_cases(f, a, cases);
	fx_say(f, a, "/mute Bob 2");
	fx_expect(f, c, "*** bob was muted by alice\n");
	fx_expect(f, b, "*** bob was muted by alice\n");
	fx_expect(f, a, "*** bob was muted by alice\n");
	assert_true(x->planned == 120000);
	fx_say(f, b, "hello?");
	fx_expect(f, b, "!!! you are muted\n");
	fx_say(f, b, "/me waves");
	fx_expect(f, b, "!!! you are muted\n");
	/* No way out by a new nick. */
	fx_say(f, b, "/nick bobby");
	fx_expect(f, b, "!!! you are muted\n");
	/* Nor by logging in to another account (the mute was asked of
	 * it, or came while its password was being checked), which would
	 * rename it and close that account's session elsewhere. */
	fx_say(f, b, "/login robert secret123");
	fx_silent(f, b);
	ax_answer(x, ACCT_OK, "robert");
	fx_expect(f, b, "!!! you are muted\n");
	fx_silent(f, c);
	assert_string_equal(b->nick, "bob");
	assert_string_equal(b->account, "");
	fx_say(f, b, "hello?");
	fx_expect(f, b, "!!! you are muted\n");
	/* Nor by the topic, which the room would see. */
	fx_say(f, b, "/topic listen to me");
	fx_expect(f, b, "!!! you are muted\n");
	fx_say(f, b, "/topic");
	fx_expect(f, b, "*** no topic\n");
	fx_silent(f, c);
	/* /msg and /who still work. */
	fx_say(f, b, "/msg carol sorry");
	fx_expect(f, c, "[pm] <bob> sorry\n");
	/* On time, it ends. */
	x->now += 120000;
	assert_true(accounts_tick(&x->acc, &f->r) == -1);
	fx_expect(f, b, "*** you are no longer muted\n");
	fx_say(f, b, "hello");
	fx_expect(f, c, "<bob> hello\n");
	/* Until unmuted. */
	fx_say(f, a, "/mute bob 0");
	fx_drain_all(f);
	x->now += 1000LL * 3600 * 24 * 365;
	assert_true(accounts_tick(&x->acc, &f->r) == -1);
	fx_say(f, b, "hello");
	fx_expect(f, b, "!!! you are muted\n");
	fx_say(f, a, "/unmute BOB");
	fx_expect(f, c, "*** BOB was unmuted by alice\n");
	fx_drain_all(f);
	fx_say(f, b, "back");
	fx_expect(f, c, "<bob> back\n");
	/* A muted member's /quit reason is not said either. */
	fx_say(f, a, "/mute bob 0");
	fx_drain_all(f);
	fx_say(f, b, "/quit listen to me");
	fx_expect(f, c, "*** bob left\n");
	assert_true(ax_logged(f, "operator alice muted bob"));
	assert_true(ax_logged(f, "operator alice unmuted bob"));
}

/*
 * A muted member's login may not change the nick it is shown by, not even
 * in case only (the room would see "*** bob is now Bob"), as /nick may
 * not; one that keeps its nick exactly goes through.
 */
static void
test_mute_login(void **state)
{
	struct ax *x = *state;
	struct fx *f = x->f;
	struct client *a = ax_op(x), *b, *c;

	b = ax_member(x, "bob", "10.0.0.2");
	c = ax_member(x, "carol", "10.0.0.3");
	fx_say(f, a, "/mute bob 5");
	fx_drain_all(f);
	fx_say(f, b, "/nick Bob");
	fx_expect(f, b, "!!! you are muted\n");
	fx_say(f, b, "/login BOB secret123");
	fx_silent(f, b);
	ax_answer(x, ACCT_OK, "Bob");
	fx_expect(f, b, "!!! you are muted\n");
	fx_silent(f, c);
	assert_string_equal(b->nick, "bob");
	assert_string_equal(b->account, "");
	assert_true(ax_logged(f, "login as Bob refused: muted"));
	/* Its own nick as registered: nothing the room sees. */
	fx_say(f, b, "/login bob secret123");
	fx_silent(f, b);
	ax_answer(x, ACCT_OK, "bob");
	fx_expect(f, b, "*** you are logged in as bob\n");
	fx_silent(f, c);
	assert_string_equal(b->nick, "bob");
	assert_string_equal(b->account, "bob");
	fx_say(f, b, "hello?");
	fx_expect(f, b, "!!! you are muted\n");
}

static void
test_help(void **state)
{
	struct ax *x = *state;
	struct fx *f = x->f;
	struct client *a = ax_op(x), *b = ax_member(x, "bob", "10.0.0.2");
	char got[FX_MAXOUT];

	fx_say(f, b, "/help");
	assert_int_equal(fx_take(f, b, got), 0);
	assert_non_null(strstr(got, "/register PASSWORD"));
	assert_non_null(strstr(got, "/login NICK PASSWORD"));
	assert_null(strstr(got, "/kick"));
	fx_say(f, a, "/help");
	assert_int_equal(fx_take(f, a, got), 0);
	assert_non_null(strstr(got, "/login NICK PASSWORD"));
	assert_non_null(strstr(got, "***   /kick NICK [REASON]"));
	assert_non_null(strstr(got, "***   /ban NICK|ADDRESS [MINUTES] "
	    "[REASON]"));
	assert_non_null(strstr(got, "***   /unban"));
	assert_non_null(strstr(got, "***   /bans"));
	assert_non_null(strstr(got, "***   /mute NICK [MINUTES]"));
	assert_non_null(strstr(got, "***   /unmute NICK"));
}

static void
test_sync(void **state)
{
	struct ax *x = *state;
	struct fx *f = x->f;
	struct client *c = ax_member(x, "carol", "10.0.0.3"), *n;
	struct acct_job *j;

	assert_int_equal(accounts_sync(&x->acc), 0);
	/* One at a time. */
	assert_int_equal(accounts_sync(&x->acc), 0);
	assert_int_equal(x->njobs, 1);
	j = x->jobs[0];
	assert_int_equal(j->kind, ACCT_JOB_SYNC);
	j->keys = calloc(1, sizeof j->keys[0]);
	j->bans = calloc(1, sizeof j->bans[0]);
	assert_non_null(j->keys);
	assert_non_null(j->bans);
	snprintf(j->keys[0], sizeof j->keys[0], "dave");
	j->nkeys = 1;
	snprintf(j->bans[0].target, sizeof j->bans[0].target, "a:10.9.9.9");
	snprintf(j->bans[0].by, sizeof j->bans[0].by, "op2");
	j->nbans = 1;
	ax_answer(x, ACCT_OK, NULL);
	/* What another instance registered and banned holds here too. */
	fx_say(f, c, "/nick dave");
	fx_expect(f, c, "!!! nick dave is registered: /login dave PASSWORD\n");
	n = fx_client(f);
	snprintf(n->addr, sizeof n->addr, "10.9.9.9:1");
	assert_true(accounts_refuse(&x->acc, &f->r, n));
	assert_int_equal(accounts_sync(&x->acc), 0);
	assert_int_equal(x->njobs, 1);
}

/*
 * A read of the store asked before an operator's /ban, answered after it:
 * the worker takes jobs in order, so that read did not see the ban, yet
 * the bans made since stay here (they are not lost until the next read):
 * the address is refused at accept, a login whose own read came before
 * the ban is refused, /bans lists them.
 */
static void
test_sync_stale_ban(void **state)
{
	struct ax *x = *state;
	struct fx *f = x->f;
	struct client *a = ax_op(x), *g = ax_member(x, "guest", "10.0.0.7");
	struct acct_ban held[2];

	assert_int_equal(accounts_sync(&x->acc), 0);
	fx_say(f, g, "/login dave secret123");
	fx_say(f, a, "/ban dave 5 spam");
	fx_expect(f, a, "*** banned dave for 5 minutes\n");
	fx_say(f, a, "/ban 10.0.0.9 5");
	fx_expect(f, a, "*** banned 10.0.0.9 for 5 minutes\n");
	assert_int_equal(x->njobs, 4);
	assert_int_equal(x->jobs[0]->kind, ACCT_JOB_SYNC);
	assert_int_equal(x->jobs[1]->kind, ACCT_JOB_LOGIN);
	assert_int_equal(x->jobs[2]->kind, ACCT_JOB_BAN);
	assert_int_equal(x->jobs[3]->kind, ACCT_JOB_BAN);
	held[0] = x->acc.bans[0];
	held[1] = x->acc.bans[1];
	/* Read before either ban was stored. */
	ax_snapshot(x, NULL, 0);
	assert_true(ax_refused(x, "10.0.0.9"));
	fx_say(f, a, "/bans");
	fx_expect(f, a, "*** ban on dave by alice, 5 minutes left: spam\n"
	    "*** ban on 10.0.0.9 by alice, 5 minutes left\n");
	/* The login's own read came before the ban too. */
	ax_answer(x, ACCT_OK, "dave");
	fx_expect(f, g, "!!! you are banned: spam\n");
	assert_false(fx_is_member(f, g));
	ax_answer(x, ACCT_OK, NULL);
	ax_answer(x, ACCT_OK, NULL);
	/* A read asked after they were stored holds them. */
	assert_int_equal(accounts_sync(&x->acc), 0);
	ax_snapshot(x, held, 2);
	assert_true(ax_refused(x, "10.0.0.9"));
	assert_int_equal(x->acc.nbans, 2);
	/* And one without them (lifted elsewhere) lifts them here. */
	assert_int_equal(accounts_sync(&x->acc), 0);
	ax_snapshot(x, NULL, 0);
	assert_false(ax_refused(x, "10.0.0.9"));
	assert_int_equal(x->acc.nbans, 0);
}

/*
 * The mirror: a read asked before an /unban, answered after it, does not
 * bring the lifted bans back (a nick's, the address lifted with it, an
 * address's).
 */
static void
test_sync_stale_unban(void **state)
{
	struct ax *x = *state;
	struct fx *f = x->f;
	struct client *a = ax_op(x);
	struct acct_ban held[3];
	size_t i;

	held[0] = ax_ban("n:dave", ACCT_FOREVER, "a:10.0.0.4", "spam");
	held[1] = ax_ban("a:10.0.0.4", ACCT_FOREVER, "n:dave", "spam");
	held[2] = ax_ban("a:10.0.0.9", ACCT_FOREVER, NULL, NULL);
	for (i = 0; i < 3; i++)
		assert_int_equal(accounts_add_ban(&x->acc, &held[i]), 0);
	assert_int_equal(accounts_sync(&x->acc), 0);
	fx_say(f, a, "/unban dave");
	fx_expect(f, a, "*** unbanned dave\n");
	fx_say(f, a, "/unban 10.0.0.9");
	fx_expect(f, a, "*** unbanned 10.0.0.9\n");
	/* Read before the unbans were stored. */
	ax_snapshot(x, held, 3);
	assert_false(ax_refused(x, "10.0.0.4"));
	assert_false(ax_refused(x, "10.0.0.9"));
	fx_say(f, a, "/bans");
	fx_expect(f, a, "*** no bans\n");
	while (x->njobs > 0)
		ax_answer(x, ACCT_OK, NULL);
	/* A read after them: nothing left here to put back. */
	assert_int_equal(accounts_sync(&x->acc), 0);
	ax_snapshot(x, held + 2, 1);
	assert_true(ax_refused(x, "10.0.0.9"));
}

/*
 * A nick banned again for another time while a read is out: the read's
 * older end does not come back, for the nick nor for the bans that took
 * its end (its address, its account).
 */
static void
test_sync_stale_retime(void **state)
{
	struct ax *x = *state;
	struct fx *f = x->f;
	struct client *a = ax_op(x), *d = ax_member(x, "dv", "10.0.0.4");
	struct acct_ban held[3];

	snprintf(d->account, sizeof d->account, "dave");
	fx_say(f, a, "/ban dv 10 spam");
	fx_drain_all(f);
	while (x->njobs > 0)
		ax_answer(x, ACCT_OK, NULL);
	assert_int_equal(x->acc.nbans, 3);
	memcpy(held, x->acc.bans, sizeof held);
	assert_int_equal(accounts_sync(&x->acc), 0);
	fx_say(f, a, "/ban dv 1 again");
	fx_expect(f, a, "*** banned dv for 1 minute\n");
	ax_snapshot(x, held, 3);
	fx_say(f, a, "/bans");
	fx_expect(f, a, "*** ban on 10.0.0.4 by alice, 1 minute left: spam\n"
	    "*** ban on dave by alice, 1 minute left: spam\n"
	    "*** ban on dv by alice, 1 minute left: again\n");
	x->now += 60000;
	assert_true(accounts_tick(&x->acc, &f->r) == -1);
	assert_false(ax_refused(x, "10.0.0.4"));
}

/*
 * With --redis a ban from another instance comes as an act, and its
 * operator's instance stores it after it publishes it: a read here asked
 * before the act came, or after it but done before that store write,
 * does not drop it. One read that holds it is the store's word from then
 * on (a later read without it: lifted elsewhere); one that never reaches
 * the store is kept ACCT_ACT_STORE_MS, no longer.
 */
static void
test_sync_stale_act(void **state)
{
	struct ax *x = *state;
	struct acct_ban held;
	struct acct_act act;

	ax_act_from(x, &act, ACCT_ACT_BAN_ADDR, "10.0.0.9");
	act.minutes = 5;
	assert_int_equal(accounts_sync(&x->acc), 0);
	assert_null(accounts_apply(&x->acc, &x->f->r, NULL, &act, NULL,
	    NULL));
	held = x->acc.bans[0];
	/* Asked before the act came. */
	ax_snapshot(x, NULL, 0);
	assert_true(ax_refused(x, "10.0.0.9"));
	/* Asked after it, read before its instance stored it. */
	x->now += 1000;
	assert_int_equal(accounts_sync(&x->acc), 0);
	ax_snapshot(x, NULL, 0);
	assert_true(ax_refused(x, "10.0.0.9"));
	/* Stored: read. */
	assert_int_equal(accounts_sync(&x->acc), 0);
	ax_snapshot(x, &held, 1);
	assert_true(ax_refused(x, "10.0.0.9"));
	/* Lifted elsewhere (an /unban is no act): gone at the next read. */
	assert_int_equal(accounts_sync(&x->acc), 0);
	ax_snapshot(x, NULL, 0);
	assert_false(ax_refused(x, "10.0.0.9"));
	/* Never stored: kept over the reads for a while, then dropped. */
	act.target = "10.0.0.8";
	assert_null(accounts_apply(&x->acc, &x->f->r, NULL, &act, NULL,
	    NULL));
	x->now += ACCT_ACT_STORE_MS - 1;
	assert_int_equal(accounts_sync(&x->acc), 0);
	ax_snapshot(x, NULL, 0);
	assert_true(ax_refused(x, "10.0.0.8"));
	x->now += 1;
	assert_int_equal(accounts_sync(&x->acc), 0);
	ax_snapshot(x, NULL, 0);
	assert_false(ax_refused(x, "10.0.0.8"));
}

/*
 * A member here banned by another instance's act: its address is banned
 * and stored here, pointing back to the nick's ban, which that instance
 * stores, maybe after a read here. Until a read holds the nick's ban, the
 * reads name it to the worker, which keeps the address's ban (it would
 * lift it as left behind by an /unban).
 */
static void
test_sync_act_keep(void **state)
{
	struct ax *x = *state;
	struct client *d = ax_member(x, "dave", "10.0.0.4");
	struct acct_ban held[2];
	struct acct_act act;

	ax_act_from(x, &act, ACCT_ACT_BAN, "dave");
	act.held = true;
	assert_null(accounts_apply(&x->acc, &x->f->r, NULL, &act, d, NULL));
	assert_false(fx_is_member(x->f, d));
	assert_int_equal(x->njobs, 1);
	assert_string_equal(x->jobs[0]->ban.target, "a:10.0.0.4");
	assert_string_equal(x->jobs[0]->ban.also, "n:dave");
	held[0] = x->acc.bans[1];
	held[1] = x->acc.bans[0];
	assert_string_equal(held[0].target, "a:10.0.0.4");
	ax_answer(x, ACCT_OK, NULL);
	assert_int_equal(accounts_sync(&x->acc), 0);
	assert_int_equal(x->jobs[0]->nkeep, 1);
	assert_string_equal(x->jobs[0]->keep[0], "n:dave");
	/* The nick's ban not stored yet: the worker kept the address's. */
	ax_snapshot(x, held, 1);
	assert_true(ax_refused(x, "10.0.0.4"));
	assert_int_equal(x->acc.nbans, 2);
	assert_int_equal(accounts_sync(&x->acc), 0);
	assert_int_equal(x->jobs[0]->nkeep, 1);
	ax_snapshot(x, held, 2);
	/* Read: the store's word from now on. */
	assert_int_equal(accounts_sync(&x->acc), 0);
	assert_int_equal(x->jobs[0]->nkeep, 0);
	ax_snapshot(x, held, 2);
	assert_true(ax_refused(x, "10.0.0.4"));
}

static void
test_addr(void **state)
{
	char out[ACCT_ADDR_MAX];

	(void)state;
	accounts_addr("127.0.0.1:5000", out);
	assert_string_equal(out, "127.0.0.1");
	accounts_addr("[::1]:5000", out);
	assert_string_equal(out, "::1");
	accounts_addr("[::ffff:127.0.0.4]:5000", out);
	assert_string_equal(out, "127.0.0.4");
	accounts_addr("[0:0:0:0:0:0:0:1]:5000", out);
	assert_string_equal(out, "::1");
	accounts_addr("[fe80::1%eth0]:5000", out);
	assert_string_equal(out, "");
	accounts_addr("/run/lobby.sock", out);
	assert_string_equal(out, "");
	accounts_addr("unix", out);
	assert_string_equal(out, "");
	/* The lines whose copies conn.c wipes once handled. */
	assert_true(accounts_secret_line("/login bob pw", 13));
	assert_true(accounts_secret_line("/REGISTER pw", 12));
	assert_false(accounts_secret_line("//login bob pw", 14));
	assert_false(accounts_secret_line("/loginx a", 9));
	assert_false(accounts_secret_line("hello", 5));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_off, fx_setup,
		    fx_teardown),
		cmocka_unit_test_setup_teardown(test_not_op, ax_setup,
		    ax_teardown),
		cmocka_unit_test_setup_teardown(test_register, ax_setup,
		    ax_teardown),
		cmocka_unit_test_setup_teardown(test_busy, ax_setup,
		    ax_teardown),
		cmocka_unit_test_setup_teardown(test_register_claim, ax_setup,
		    ax_teardown),
		cmocka_unit_test_setup_teardown(test_throttle_pending, ax_setup,
		    ax_teardown),
		cmocka_unit_test_setup_teardown(test_login, ax_setup,
		    ax_teardown),
		cmocka_unit_test_setup_teardown(test_login_elsewhere, ax_setup,
		    ax_teardown),
		cmocka_unit_test_setup_teardown(test_login_act_answered,
		    ax_setup, ax_teardown),
		cmocka_unit_test_setup_teardown(test_login_link_down, ax_setup,
		    ax_teardown),
		cmocka_unit_test_setup_teardown(test_act_link_down, ax_setup,
		    ax_teardown),
		cmocka_unit_test_setup_teardown(test_unban_link_down, ax_setup,
		    ax_teardown),
		cmocka_unit_test_setup_teardown(test_login_throttle, ax_setup,
		    ax_teardown),
		cmocka_unit_test_setup_teardown(test_login_banned, ax_setup,
		    ax_teardown),
		cmocka_unit_test_setup_teardown(test_kick, ax_setup,
		    ax_teardown),
		cmocka_unit_test_setup_teardown(test_kick_long_reason, ax_setup,
		    ax_teardown),
		cmocka_unit_test_setup_teardown(test_ban_nick, ax_setup,
		    ax_teardown),
		cmocka_unit_test_setup_teardown(test_ban_reban_linked,
		    ax_setup, ax_teardown),
		cmocka_unit_test_setup_teardown(test_ban_address, ax_setup,
		    ax_teardown),
		cmocka_unit_test_setup_teardown(test_ban_spellings, ax_setup,
		    ax_teardown),
		cmocka_unit_test_setup_teardown(test_ban_expires, ax_setup,
		    ax_teardown),
		cmocka_unit_test_setup_teardown(test_mute, ax_setup,
		    ax_teardown),
		cmocka_unit_test_setup_teardown(test_mute_login, ax_setup,
		    ax_teardown),
		cmocka_unit_test_setup_teardown(test_help, ax_setup,
		    ax_teardown),
		cmocka_unit_test_setup_teardown(test_sync, ax_setup,
		    ax_teardown),
		cmocka_unit_test_setup_teardown(test_sync_stale_ban, ax_setup,
		    ax_teardown),
		cmocka_unit_test_setup_teardown(test_sync_stale_unban,
		    ax_setup, ax_teardown),
		cmocka_unit_test_setup_teardown(test_sync_stale_retime,
		    ax_setup, ax_teardown),
		cmocka_unit_test_setup_teardown(test_sync_stale_act, ax_setup,
		    ax_teardown),
		cmocka_unit_test_setup_teardown(test_sync_act_keep, ax_setup,
		    ax_teardown),
		cmocka_unit_test(test_addr),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
