/* test_liveness: a paused or lost instance, Redis back empty or paused: who is told what, in which room. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "redis_fixture.h"

/*
 * These cases wait out real heartbeats (an instance's key lives 10 s) and
 * a 20-second stop of Redis, with lobbyd's own timings: nothing is
 * shortened for the tests, so the figures they print are the ones
 * docs/CLUSTER.md gives.
 */

#define PAUSED_LINE_MS	5000	/* the contract: a line sent after the
				   instance resumes is delivered within */
#define REDIS_STOP_MS	20000	/* how long Redis is stopped */
#define MAX_LINES	4000	/* numbered lines one member may send */

/* What a member was sent, one line after another, for checks at the end. */
struct tx {
	char	*s;			/* "\nLINE\nLINE\n..." */
	size_t	 len;			/* bytes at s */
	size_t	 cap;			/* bytes allocated */
};

/* Add a line to t. */
static void
tx_add(struct tx *t, const char *line)
{
	size_t n = strlen(line);

	if (t->len + n + 3 > t->cap) {
		t->cap = (t->len + n + 3) * 2;
		assert_non_null(t->s = realloc(t->s, t->cap));
	}
	if (t->len == 0)
		t->s[t->len++] = '\n';
	memcpy(t->s + t->len, line, n);
	t->len += n;
	t->s[t->len++] = '\n';
	t->s[t->len] = '\0';
}

/* Whether t holds a line equal to line. */
static bool
tx_has(const struct tx *t, const char *line)
{
	char want[512];

	snprintf(want, sizeof want, "\n%s\n", line);
	return t->s != NULL && strstr(t->s, want) != NULL;
}

/* Whether t holds a line that contains part. */
static bool
tx_grep(const struct tx *t, const char *part)
{
	return t->s != NULL && strstr(t->s, part) != NULL;
}

/* The nick in t's first line "*** NICK joined" but for nick, in out. */
static bool
tx_joined_but(const struct tx *t, const char *nick, char *out, size_t outlen)
{
	const char *p = t->s;
	char n[64];

	while (p != NULL && (p = strstr(p, "\n*** ")) != NULL) {
		p++;
		if (sscanf(p, "*** %63s joined\n", n) == 1 &&
		    strncmp(p + 4 + strlen(n), " joined\n", 8) == 0 &&
		    strcmp(n, nick) != 0) {
			snprintf(out, outlen, "%s", n);
			return true;
		}
	}
	return false;
}

/* Read c's lines into t until one equals want; fail after ms. */
static void
read_until_at(struct h_conn *c, const char *want, int ms, struct tx *t,
    const char *file, int line)
{
	long long end = h_now_ms() + ms;
	const char *l;

	while (h_now_ms() < end) {
		int left = (int)(end - h_now_ms());

		if ((l = h_line(c, left > 0 ? left : 1)) == NULL)
			continue;
		tx_add(t, l);
		if (strcmp(l, want) == 0)
			return;
	}
	_fail(file, line);
	fail_msg("no \"%s\" within %d ms; got:%s", want, ms,
	    t->s != NULL ? t->s : " nothing");
}
#define read_until(c, want, ms, t) \
	read_until_at((c), (want), (ms), (t), __FILE__, __LINE__)

/* ---------------------------------------------------------------------
 * An instance paused past its heartbeat, then resumed
 * ------------------------------------------------------------------- */

static void
test_paused_instance(void **state)
{
	struct cx *x = *state;
	struct h_conn *alice, *nell, *bob, *carol;
	struct tx ta = { 0 }, tn = { 0 }, tb = { 0 };
	char guest[64], want[160];
	long long t0, lost_ms, t1, back_ms;
	struct tx *mine[2] = { &ta, &tn };

	cx_pair(x, NULL);
	alice = cx_join(x, 0, "alice");
	nell = cx_join(x, 0, "nell");
	bob = cx_join(x, 1, "bob");
	carol = cx_join(x, 1, "carol");
	h_settle(alice, "carol");
	h_settle(nell, "carol");
	h_settle(bob, "carol");

	/* Instance 1 stops past its heartbeat: the others take its
	 * members out as lost. */
	t0 = h_now_ms();
	assert_int_equal(kill(x->s[0].pid, SIGSTOP), 0);
	read_until(bob, "*** alice left (lost)", LOST_MS, &tb);
	lost_ms = h_now_ms() - t0;
	read_until(bob, "*** nell left (lost)", H_TIMEOUT_MS, &tb);
	/* Meanwhile nell's nick is free, and carol takes it. */
	h_send(carol, "/nick nell\n");
	read_until(bob, "*** carol is now nell", H_TIMEOUT_MS, &tb);

	/* It resumes, and alice speaks at once. */
	assert_int_equal(kill(x->s[0].pid, SIGCONT), 0);
	t1 = h_now_ms();
	h_send(alice, "back from the pause\n");
	read_until(bob, "<alice> back from the pause", SCALED(PAUSED_LINE_MS),
	    &tb);
	back_ms = h_now_ms() - t1;
	/* The others saw both come back first, nell as a guest. */
	assert_true(tx_has(&tb, "*** alice joined"));
	assert_true(tx_joined_but(&tb, "alice", guest, sizeof guest));
	assert_true(strncmp(guest, "guest", 5) == 0);
	assert_true(strstr(tb.s, "\n*** alice joined\n") <
	    strstr(tb.s, "\n<alice> back from the pause\n"));

	/* nell is told why she has a new nick, and alice sees it. */
	snprintf(want, sizeof want, "*** nell was taken while the link was "
	    "down: you are now %s", guest);
	read_until(nell, want, H_TIMEOUT_MS, &tn);
	snprintf(want, sizeof want, "*** nell is now %s", guest);
	read_until(alice, want, H_TIMEOUT_MS, &ta);

	/* alice is in the room again: /msg reaches her, her nick is hers. */
	h_send(bob, "/msg alice welcome back\n");
	read_until(alice, "[pm] <bob> welcome back", H_TIMEOUT_MS, &ta);
	h_send(bob, "/nick ALICE\n");
	read_until(bob, "!!! nick ALICE is taken", H_TIMEOUT_MS, &tb);
	h_send(nell, "to the others\n");
	snprintf(want, sizeof want, "<%s> to the others", guest);
	read_until(bob, want, H_TIMEOUT_MS, &tb);
	snprintf(want, sizeof want, "*** 4 online: bob nell alice %s", guest);
	h_send(bob, "/who\n");
	read_until(bob, want, H_TIMEOUT_MS, &tb);

	/* On its own instance, nobody was told that alice or nell left or
	 * joined: for them, nobody went anywhere. (/who: a barrier.) */
	h_send(alice, "/who\n");
	read_until(alice, want, H_TIMEOUT_MS, &ta);
	h_send(nell, "/who\n");
	read_until(nell, want, H_TIMEOUT_MS, &tn);
	for (int i = 0; i < 2; i++) {
		if (tx_grep(mine[i], " left") || tx_grep(mine[i], " joined"))
			fail_msg("instance 1 told its members of a leave or "
			    "join:%s", mine[i]->s);
	}
	assert_true(tx_has(&ta, "*** carol is now nell"));
	print_message("paused instance: its members taken out as lost %lld "
	    "ms after SIGSTOP; a line sent at SIGCONT delivered %lld ms "
	    "later\n", lost_ms, back_ms);
	free(ta.s);
	free(tn.s);
	free(tb.s);
}

/* ---------------------------------------------------------------------
 * Redis restarted empty: the members keep their nicks
 * ------------------------------------------------------------------- */

/* Whether the /who answer who lists nick. */
static bool
who_lists(const char *who, const char *nick)
{
	const char *p = strchr(who, ':');
	size_t n = strlen(nick);

	while (p != NULL && (p = strstr(p, nick)) != NULL) {
		if (p[-1] == ' ' && (p[n] == ' ' || p[n] == '\0'))
			return true;
		p += n;
	}
	return false;
}

static void
test_redis_back_empty(void **state)
{
	struct cx *x = *state;
	struct h_conn *bob, *g, *carol, *n;
	char gnick[32], nnick[32], who[512];
	const char *l;
	int round;

	cx_pair(x, NULL);
	bob = cx_join(x, 0, "bob");
	/* A member who keeps the guest number it was given. */
	g = cx_keep(x, h_join(&x->s[0], gnick));
	carol = cx_join(x, 1, "carol");
	h_settle(bob, "carol");
	h_settle(g, "carol");
	h_send(carol, "/nick bob\n");
	h_expect(carol, "!!! nick bob is taken");

	for (round = 0; round < 2; round++) {
		int notsent = 0, later = 0, newcomer = 0;
		long long t0 = h_now_ms(), restored = 0, open_ms = 0;
		bool taken = false;

		/* Redis dies and comes back empty, on the same socket, while
		 * carol, on the other instance, keeps asking for bob's nick. */
		rds_kill(&x->r, SIGKILL);
		rds_run(&x->r);
		while (!taken && h_now_ms() - t0 < SCALED(30000)) {
			h_send(carol, "/nick bob\n");
			while ((l = h_line(carol, H_TIMEOUT_MS)) != NULL) {
				if (strstr(l, " is now bob") != NULL)
					fail_msg("round %d: %s", round, l);
				if (strcmp(l, "*** link to the room restored") ==
				    0 && restored == 0)
					restored = h_now_ms();
				if (strcmp(l, "!!! room unavailable, message "
				    "not sent") == 0) {
					notsent++;
					break;
				}
				if (strcmp(l, "!!! room unavailable, try again "
				    "later") == 0) {
					later++;
					break;
				}
				if (strcmp(l, "!!! nick bob is taken") == 0) {
					taken = true;
					open_ms = restored != 0 ?
					    h_now_ms() - restored : -1;
					break;
				}
			}
			assert_non_null(l);
			/* A newcomer during the window is turned away. */
			if (round == 1 && restored != 0 && !newcomer) {
				n = h_connect(&x->s[1]);
				h_expect(n, "!!! room unavailable, try again "
				    "later");
				assert_true(h_eof(n, H_TIMEOUT_MS));
				h_close(n);
				newcomer = 1;
			}
			h_sleep_ms(100);
		}
		assert_true(taken);
		/* Every claim was refused while the members came back. */
		assert_true(later > 0);
		print_message("round %d: /nick bob refused %d times while the "
		    "link was down, %d times in the recovery window, taken "
		    "%lld ms after the link was restored\n", round, notsent,
		    later, open_ms);
		/* bob is still bob, and was never told otherwise. */
		h_send(bob, "/who\n");
		while ((l = h_line(bob, H_TIMEOUT_MS)) != NULL &&
		    strncmp(l, "*** 3 online:", 13) != 0)
			if (strstr(l, " is now ") != NULL)
				fail_msg("round %d: bob saw %s", round, l);
		assert_non_null(l);
		snprintf(who, sizeof who, "%s", l);
		assert_true(who_lists(who, "bob"));
		assert_true(who_lists(who, "carol"));
		assert_true(who_lists(who, gnick));
	}
	/* After the window, a newcomer gets a guest number nobody holds,
	 * and the member who held one still has it. */
	n = cx_keep(x, h_join(&x->s[1], nnick));
	assert_string_not_equal(nnick, gnick);
	h_send(n, "/who\n");
	l = h_line(n, H_TIMEOUT_MS);
	assert_non_null(l);
	assert_true(strncmp(l, "*** 4 online:", 13) == 0);
	assert_true(who_lists(l, gnick) && who_lists(l, nnick));
	h_send(g, "/who\n");
	while ((l = h_line(g, H_TIMEOUT_MS)) != NULL &&
	    strncmp(l, "*** 4 online:", 13) != 0)
		if (strstr(l, " is now ") != NULL)
			fail_msg("%s saw %s", gnick, l);
	assert_non_null(l);
}

/* ---------------------------------------------------------------------
 * Redis stopped for 20 s: refused means not sent
 * ------------------------------------------------------------------- */

/* One of two members sending numbered lines, and what became of them. */
struct sender {
	struct h_conn	*c;		/* its connection */
	const char	*nick;		/* its nick, also each line's prefix */
	int		 sent;		/* lines sent: "NICK 0", "NICK 1"... */
	int		 now;		/* the line being answered, or -1 */
	bool		 refused[MAX_LINES]; /* told "message not sent" */
	int		 delivered[MAX_LINES]; /* times the other got it */
	int		 notsent;	/* "message not sent" answers */
	int		 unknown;	/* "may or may not" answers */
	long long	 lost_at;	/* when it heard the link was lost */
	long long	 back_at;	/* when it heard it was restored */
	bool		 ended;		/* the other got its "NICK end" */
};

/*
 * One line l that member s was sent: a refusal of its own line s->now,
 * a line of the other member o, or a notice. Nobody joins or leaves in
 * this test: a join or leave notice is a phantom.
 */
static void
sender_saw(struct sender *s, struct sender *o, const char *l)
{
	char pre[64];
	int n;

	snprintf(pre, sizeof pre, "<%s> %s ", o->nick, o->nick);
	if (strncmp(l, pre, strlen(pre)) == 0) {
		if (strcmp(l + strlen(pre), "end") == 0) {
			o->ended = true;
			return;
		}
		n = atoi(l + strlen(pre));
		assert_in_range(n, 0, MAX_LINES - 1);
		o->delivered[n]++;
		if (o->delivered[n] > 1)
			fail_msg("%s got \"%s\" twice", s->nick, l);
	} else if (strcmp(l, "!!! room unavailable, message not sent") == 0) {
		/* Said before the barrier that follows the line: its own. */
		if (s->now < 0 || s->refused[s->now])
			fail_msg("%s: \"%s\" for no line of its own", s->nick,
			    l);
		s->refused[s->now] = true;
		s->notsent++;
	} else if (strcmp(l, "!!! link lost: your last line may or may not "
	    "have been sent") == 0)
		s->unknown++;
	else if (strcmp(l, "*** lost the link to the room, retrying") == 0)
		s->lost_at = h_now_ms();
	else if (strcmp(l, "*** link to the room restored") == 0)
		s->back_at = h_now_ms();
	else if (strstr(l, " joined") != NULL || strstr(l, " left") != NULL)
		fail_msg("%s saw a phantom: %s", s->nick, l);
}

/*
 * s sends its next numbered line, then "/nick" (a local command, answered
 * at once: a barrier), and reads up to the barrier's answer: a refusal
 * before it is the line's.
 */
static void
sender_step(struct sender *s, struct sender *o)
{
	char line[64];
	const char *l;

	assert_true(s->sent < MAX_LINES);
	s->now = s->sent++;
	snprintf(line, sizeof line, "%s %d\n/nick\n", s->nick, s->now);
	h_send(s->c, line);
	while ((l = h_line(s->c, H_TIMEOUT_MS)) != NULL &&
	    strcmp(l, "!!! usage: /nick NAME") != 0)
		sender_saw(s, o, l);
	assert_non_null(l);
	s->now = -1;
}

static void
test_redis_paused(void **state)
{
	struct cx *x = *state;
	static struct sender m[2];
	struct h_conn *n = NULL;
	long long t0, stop_at = 0, cont_at = 0, end;
	const char *l;
	int i, k, bad = 0, delivered = 0;

	cx_pair(x, NULL);
	memset(m, 0, sizeof m);
	m[0].nick = "ann";
	m[1].nick = "ben";
	for (i = 0; i < 2; i++) {
		m[i].c = cx_join(x, i, m[i].nick);
		m[i].now = -1;
	}
	h_settle(m[0].c, "ben");

	/* Both chat; Redis stops for 20 s a second in; a newcomer comes
	 * while it is stopped; both go on until the link is back. */
	t0 = h_now_ms();
	end = t0 + 1000 + REDIS_STOP_MS + SCALED(30000);
	while (h_now_ms() < end) {
		long long now = h_now_ms();

		if (stop_at == 0 && now - t0 >= 1000) {
			assert_int_equal(kill(x->r.pid, SIGSTOP), 0);
			stop_at = now;
		}
		if (stop_at != 0 && n == NULL && now - stop_at >= 3000)
			n = cx_keep(x, h_connect(&x->s[0]));
		if (stop_at != 0 && cont_at == 0 &&
		    now - stop_at >= REDIS_STOP_MS) {
			assert_int_equal(kill(x->r.pid, SIGCONT), 0);
			cont_at = now;
		}
		if (cont_at != 0 && m[0].back_at > cont_at &&
		    m[1].back_at > cont_at && now - m[0].back_at > 1000 &&
		    now - m[1].back_at > 1000)
			break;
		sender_step(&m[0], &m[1]);
		sender_step(&m[1], &m[0]);
		h_sleep_ms(50);
	}
	assert_true(cont_at != 0);
	assert_true(m[0].back_at > cont_at && m[1].back_at > cont_at);
	/* The last lines: once the other has them, it has all before. */
	h_send(m[0].c, "ann end\n");
	h_send(m[1].c, "ben end\n");
	for (end = h_now_ms() + SCALED(10000); h_now_ms() < end &&
	    !(m[0].ended && m[1].ended);)
		for (i = 0; i < 2; i++)
			if ((l = h_line(m[i].c, 50)) != NULL)
				sender_saw(&m[i], &m[1 - i], l);
	assert_true(m[0].ended && m[1].ended);
	/* Nothing comes later either (the bug delivered some 3.5 s late). */
	for (end = h_now_ms() + 2000; h_now_ms() < end;)
		for (i = 0; i < 2; i++)
			if ((l = h_line(m[i].c, 50)) != NULL)
				sender_saw(&m[i], &m[1 - i], l);

	/* A line its sender was told was not sent never arrived. */
	for (i = 0; i < 2; i++) {
		for (k = 0; k < m[i].sent; k++) {
			if (m[i].refused[k] && m[i].delivered[k] > 0) {
				print_error("\"%s %d\" was refused, then "
				    "delivered\n", m[i].nick, k);
				bad++;
			}
			delivered += m[i].delivered[k] > 0;
		}
		assert_true(m[i].notsent > 0);
		assert_true(m[i].lost_at > stop_at);
	}
	assert_int_equal(bad, 0);
	/* The newcomer waiting for its welcome was turned away, and
	 * nobody saw it join or leave (sender_saw() checked). */
	assert_non_null(n);
	h_expect(n, "!!! room unavailable, try again later");
	assert_true(h_eof(n, H_TIMEOUT_MS));
	print_message("Redis stopped %d s: link lost after %lld / %lld ms, "
	    "restored %lld / %lld ms after SIGCONT; %d + %d lines sent, %d "
	    "delivered, %d + %d refused (none delivered), %d + %d of "
	    "unknown outcome\n", REDIS_STOP_MS / 1000,
	    m[0].lost_at - stop_at, m[1].lost_at - stop_at,
	    m[0].back_at - cont_at, m[1].back_at - cont_at, m[0].sent,
	    m[1].sent, delivered, m[0].notsent, m[1].notsent, m[0].unknown,
	    m[1].unknown);
}

/* ---------------------------------------------------------------------
 * Per room: a lost or paused instance's members leave the room each is
 * in, and come back into it (the rooms themselves: test_cluster_rooms.c)
 * ------------------------------------------------------------------- */

static void
test_lost_in_room(void **state)
{
	struct cx *x = *state;
	struct h_conn *d, *b, *c;

	cx_pair(x, NULL);
	cx_members(x, "doomed", &d, &b, &c);
	h_send(d, "/join dev\n");
	h_expect(d, "*** you are now in dev (1 online)");
	h_expect_skip(b, "*** doomed went to dev");
	h_send(b, "/join dev\n");
	h_expect(b, "*** you are now in dev (2 online)");
	h_expect(c, "*** doomed went to dev");
	h_expect(c, "*** bob went to dev");
	h_kill_child(&x->s[0].pid, NULL);
	/* Its member leaves the room it was in, there only. */
	h_expect_skip_within(b, "*** doomed left (lost)", LOST_MS);
	h_send(b, "/who\n");
	h_expect(b, "*** 1 online: bob");
	h_send(c, "/rooms\n");
	h_expect(c, "*** 2 rooms: lobby (1) dev (1)");
	h_nothing(c);
}

static void
test_paused_in_room(void **state)
{
	struct cx *x = *state;
	struct h_conn *a, *b, *c;

	cx_pair(x, NULL);
	cx_members(x, "alice", &a, &b, &c);
	cx_to_dev(a, b, c);
	/* alice's instance stops past its heartbeat: she leaves dev, as
	 * lost, for dev only; when it resumes she is back in dev. */
	assert_int_equal(kill(x->s[0].pid, SIGSTOP), 0);
	h_expect_skip_within(b, "*** alice left (lost)", LOST_MS);
	until_line(c, "/rooms\n", "*** 2 rooms: lobby (1) dev (1)",
	    H_TIMEOUT_MS);
	assert_int_equal(kill(x->s[0].pid, SIGCONT), 0);
	h_send(a, "back in dev\n");
	h_expect_skip_within(b, "*** alice joined", SCALED(10000));
	h_expect(b, "<alice> back in dev");
	h_send(b, "/who\n");
	h_expect(b, "*** 2 online: bob alice");
	/* Nothing of it reached the lobby, nor alice herself. */
	h_nothing(c);
	h_nothing(a);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_paused_instance,
		    cx_setup, cx_teardown),
		cmocka_unit_test_setup_teardown(test_redis_back_empty,
		    cx_setup, cx_teardown),
		cmocka_unit_test_setup_teardown(test_redis_paused,
		    cx_setup, cx_teardown),
		cmocka_unit_test_setup_teardown(test_lost_in_room,
		    cx_setup, cx_teardown),
		cmocka_unit_test_setup_teardown(test_paused_in_room,
		    cx_setup, cx_teardown),
	};

	if (!rds_find()) {
		fprintf(stderr, "redis-server not found: skipped\n");
		return 77;
	}
	return cmocka_run_group_tests(tests, NULL, NULL);
}
