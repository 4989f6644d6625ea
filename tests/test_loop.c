/*
 * test_loop: unit tests for the event loop: fds, maxfd, timers, hook; on
 * the backend named by the first argument (select, poll or epoll; meson
 * runs one test per backend).
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <sys/resource.h>
#include <sys/select.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cmocka.h>

#include "loop.h"
#include "ltime.h"

#define NPAIRS	4	/* socket pairs one test may open */
#define NDUPS	8	/* fds one test may place at chosen numbers */
#define LT_FDS	(FD_SETSIZE + 256) /* fds whose callbacks are counted */

/* The backend under test, from the command line. */
static enum loop_kind lt_kind = LOOP_SELECT;
#define LT_TIMERS 40	/* timers one test may add, beside tm[LT_TIMERS] */

struct lt;

/* What a timer callback gets: the world and which timer it is. */
struct lt_timer {
	struct lt	*t;		/* the test's world */
	int		 id;		/* the timer's id, once known */
	int		 runs;		/* times it has run */
	int64_t		 again;		/* what it returns */
	int		 del_id;	/* timer it deletes when run, or -1 */
	bool		 add;		/* it adds timer tm[LT_TIMERS] */
};

/*
 * One test's world: the loop (large, an entry per possible fd, so on the
 * heap), socket pairs, and a record of which callbacks ran.
 */
struct lt {
	struct loop	 l;		/* the loop under test */
	int		 sv[NPAIRS][2];	/* socket pairs; -1 when not open */
	int		 dups[NDUPS];	/* fds placed by lt_place(); -1: none */
	int		 reads[LT_FDS];	/* read callbacks run, per fd */
	int		 writes[LT_FDS]; /* write callbacks run, per fd */
	int		 del_on;	/* fd whose callback removes del_fd */
	int		 del_fd;	/* fd to remove, or -1 */
	int		 del_mask;	/* with this mask */
	int		 add_fd;	/* fd the next callback adds, or -1 */
	int		 hooks;		/* before_sleep calls */
	int64_t		 hook_timer;	/* ms of the timer the hook adds, or -1 */
	struct lt_timer	 tm[LT_TIMERS + 1]; /* timer arguments */
};

/* cmocka setup: an empty loop, nothing open. */
static int
setup(void **state)
{
	struct lt *t = calloc(1, sizeof *t);
	int i;

	if (t == NULL)
		return -1;
	if (loop_init(&t->l, lt_kind) == -1) {
		free(t);
		return -1;
	}
	for (i = 0; i < NPAIRS; i++)
		t->sv[i][0] = t->sv[i][1] = -1;
	for (i = 0; i < NDUPS; i++)
		t->dups[i] = -1;
	for (i = 0; i <= LT_TIMERS; i++) {
		t->tm[i].t = t;
		t->tm[i].id = t->tm[i].del_id = -1;
	}
	t->del_fd = t->add_fd = -1;
	t->hook_timer = -1;
	*state = t;
	return 0;
}

/* cmocka teardown: close the socket pairs, free the world. */
static int
teardown(void **state)
{
	struct lt *t = *state;
	int i;

	for (i = 0; i < NPAIRS; i++) {
		if (t->sv[i][0] != -1)
			close(t->sv[i][0]);
		if (t->sv[i][1] != -1)
			close(t->sv[i][1]);
	}
	for (i = 0; i < NDUPS; i++)
		if (t->dups[i] != -1)
			close(t->dups[i]);
	loop_free(&t->l);
	free(t);
	return 0;
}

/*
 * Open socket pair i and return its first end, made readable (a byte
 * waits in it); a socket with room to send is writable too.
 */
static int
lt_ready(struct lt *t, int i)
{
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, t->sv[i]), 0);
	assert_true(t->sv[i][0] < FD_SETSIZE && t->sv[i][1] < FD_SETSIZE);
	assert_int_equal(write(t->sv[i][1], "x", 1), 1);
	return t->sv[i][0];
}

/*
 * Make fd number want a copy of from (which the test owns), closed at
 * teardown; want must be free. epoll watches only open fds: the tests
 * that pick fd numbers place real ones there.
 */
static int
lt_place(struct lt *t, int from, int want)
{
	int i;

	for (i = 0; i < NDUPS && t->dups[i] != -1; i++)
		;
	assert_true(i < NDUPS);
	assert_int_equal(fcntl(want, F_GETFD), -1);	/* free */
	assert_int_equal(dup2(from, want), want);
	t->dups[i] = want;
	return want;
}

/*
 * An fd callback: counts, then, when it serves del_on, removes del_fd,
 * and adds add_fd, as the test asked.
 */
static void
lt_fd(struct loop *l, int fd, int mask, void *arg)
{
	struct lt *t = arg;

	assert_true(fd >= 0 && fd < LT_FDS);
	if (mask & LOOP_READ)
		t->reads[fd]++;
	if (mask & LOOP_WRITE)
		t->writes[fd]++;
	if (t->del_fd != -1 && fd == t->del_on) {
		loop_del(l, t->del_fd, t->del_mask);
		t->del_fd = -1;
	}
	if (t->add_fd != -1) {
		assert_int_equal(loop_add(l, t->add_fd, LOOP_READ, lt_fd, t),
		    0);
		t->add_fd = -1;
	}
}

/* A timer callback: counts, deletes or adds what it was told to. */
static int64_t lt_tick(struct loop *l, void *arg);

/*
 * The before_sleep hook: counts its calls and, once, adds timer
 * tm[LT_TIMERS] due in hook_timer ms when the test asked for it.
 */
static void
lt_hook(struct loop *l, void *arg)
{
	struct lt *t = arg;
	struct lt_timer *extra = &t->tm[LT_TIMERS];

	t->hooks++;
	if (t->hook_timer >= 0) {
		extra->id = loop_timer_add(l, t->hook_timer, lt_tick, extra);
		t->hook_timer = -1;
	}
}

static int64_t
lt_tick(struct loop *l, void *arg)
{
	struct lt_timer *tm = arg;
	struct lt_timer *extra = &tm->t->tm[LT_TIMERS];

	tm->runs++;
	if (tm->del_id != -1)
		loop_timer_del(l, tm->del_id);
	if (tm->add)
		extra->id = loop_timer_add(l, 0, lt_tick, extra);
	return tm->again;
}

/* Add timer tm[i] due in ms, returning again when it runs. */
static int
lt_timer_add(struct lt *t, int i, int64_t ms, int64_t again)
{
	t->tm[i].again = again;
	t->tm[i].id = loop_timer_add(&t->l, ms, lt_tick, &t->tm[i]);
	return t->tm[i].id;
}

/* ------------------------------------------------------------------ */

/* Adding and removing fds: maxfd follows the highest fd still watched. */
static void
test_maxfd(void **state)
{
	struct lt *t = *state;
	struct loop *l = &t->l;
	int any = lt_ready(t, 0);

	lt_place(t, any, 100);
	lt_place(t, any, 200);
	lt_place(t, any, 300);
	lt_place(t, any, 50);
	assert_int_equal(l->maxfd, -1);
	assert_int_equal(loop_add(l, 100, LOOP_READ, lt_fd, t), 0);
	assert_int_equal(loop_add(l, 300, LOOP_READ | LOOP_WRITE, lt_fd, t),
	    0);
	assert_int_equal(loop_add(l, 200, LOOP_WRITE, lt_fd, t), 0);
	assert_int_equal(l->maxfd, 300);

	/* Half of 300's interest goes: still watched, still the highest. */
	loop_del(l, 300, LOOP_WRITE);
	assert_int_equal(l->maxfd, 300);
	assert_true(loop_has(l, 300, LOOP_READ));
	assert_false(loop_has(l, 300, LOOP_WRITE));

	/* Below the highest: it stays. */
	loop_del(l, 100, LOOP_READ);
	assert_int_equal(l->maxfd, 300);
	assert_false(loop_has(l, 100, LOOP_READ));

	/* The highest goes: the next one watched below it, past holes. */
	loop_del(l, 300, LOOP_READ);
	assert_int_equal(l->maxfd, 200);
	loop_del(l, 200, LOOP_WRITE);
	assert_int_equal(l->maxfd, -1);

	/* Removing what is not there changes nothing. */
	loop_del(l, 200, LOOP_READ | LOOP_WRITE);
	loop_del(l, -1, LOOP_READ);
	loop_del(l, FD_SETSIZE, LOOP_READ);
	loop_del(l, 1 << 30, LOOP_READ);
	assert_int_equal(l->maxfd, -1);

	/* Added again once it came down: it goes back up. */
	assert_int_equal(loop_add(l, 50, LOOP_READ, lt_fd, t), 0);
	assert_int_equal(l->maxfd, 50);
	/* Nothing left watched but 50, readable (a copy of a ready end). */
	assert_int_equal(loop_once(l, 1000), 0);
	assert_int_equal(t->reads[50], 1);
	assert_int_equal(t->reads[100] + t->reads[200] + t->reads[300], 0);
	assert_int_equal(t->writes[200] + t->writes[300], 0);
}

/*
 * Raise this process's soft fd limit to at least want, if the hard one
 * allows. Returns whether it is that high now.
 */
static bool
lt_nofile(rlim_t want)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) == -1)
		return false;
	if (rl.rlim_cur != RLIM_INFINITY && rl.rlim_cur < want) {
		if (rl.rlim_max != RLIM_INFINITY && rl.rlim_max < want)
			return false;
		rl.rlim_cur = want;
		if (setrlimit(RLIMIT_NOFILE, &rl) == -1)
			return false;
	}
	return true;
}

/*
 * select() refuses fds at or past FD_SETSIZE with ERANGE, nothing
 * changed; poll and epoll take them, and serve them, and refuse only
 * negative ones.
 */
static void
test_add_out_of_range(void **state)
{
	struct lt *t = *state;
	struct loop *l = &t->l;
	int any = lt_ready(t, 0), high = FD_SETSIZE + 100;

	errno = 0;
	assert_int_equal(loop_add(l, -1, LOOP_WRITE, lt_fd, t), -1);
	assert_int_equal(errno, ERANGE);
	assert_false(loop_has(l, -1, LOOP_WRITE));
	assert_int_equal(l->maxfd, -1);
	if (lt_kind == LOOP_SELECT) {
		assert_int_equal(loop_fd_limit(l), FD_SETSIZE);
		errno = 0;
		assert_int_equal(loop_add(l, FD_SETSIZE, LOOP_READ, lt_fd, t),
		    -1);
		assert_int_equal(errno, ERANGE);
		assert_int_equal(l->maxfd, -1);
		assert_false(loop_has(l, FD_SETSIZE, LOOP_READ));
		lt_place(t, any, FD_SETSIZE - 1);
		assert_int_equal(loop_add(l, FD_SETSIZE - 1, LOOP_READ, lt_fd,
		    t), 0);
		assert_int_equal(l->maxfd, FD_SETSIZE - 1);
		return;
	}
	assert_true(loop_fd_limit(l) > FD_SETSIZE);
	if (!lt_nofile((rlim_t)high + 16)) {
		/* Say so: the rest of this case needs fds past FD_SETSIZE. */
		print_message("skipped: RLIMIT_NOFILE's hard limit is below "
		    "%d\n", high + 16);
		skip();
	}
	lt_place(t, any, high);
	assert_int_equal(loop_add(l, high, LOOP_READ, lt_fd, t), 0);
	assert_true(loop_has(l, high, LOOP_READ));
	assert_int_equal(l->maxfd, high);
	assert_int_equal(loop_once(l, 1000), 0);
	assert_int_equal(t->reads[high], 1);
	loop_del(l, high, LOOP_READ);
	assert_int_equal(l->maxfd, -1);
}

/*
 * An fd closed before loop_del() (the kernel forgets it at once under
 * epoll) and its number reused by a new socket: adding the new one
 * works, and it is served.
 */
static void
test_closed_then_reused(void **state)
{
	struct lt *t = *state;
	struct loop *l = &t->l;
	int fd = lt_ready(t, 0), again;

	assert_int_equal(loop_add(l, fd, LOOP_READ, lt_fd, t), 0);
	close(fd);
	t->sv[0][0] = -1;
	again = lt_ready(t, 1);
	assert_int_equal(dup2(again, fd), fd);
	t->sv[0][0] = fd;
	assert_int_equal(loop_add(l, fd, LOOP_READ | LOOP_WRITE, lt_fd, t), 0);
	assert_int_equal(loop_once(l, 1000), 0);
	assert_int_equal(t->reads[fd], 1);
	assert_int_equal(t->writes[fd], 1);
	loop_del(l, fd, LOOP_READ | LOOP_WRITE);
	assert_int_equal(l->maxfd, -1);
}

/* A ready fd's callbacks run once per pass, the hook once before. */
static void
test_ready_fd_served(void **state)
{
	struct lt *t = *state;
	struct loop *l = &t->l;
	int fd = lt_ready(t, 0), peer = t->sv[0][1];

	l->before_sleep = lt_hook;
	l->hook_arg = t;
	assert_int_equal(loop_add(l, fd, LOOP_READ | LOOP_WRITE, lt_fd, t),
	    0);
	assert_int_equal(loop_add(l, peer, LOOP_READ, lt_fd, t), 0);
	assert_int_equal(loop_once(l, 1000), 0);
	assert_int_equal(t->reads[fd], 1);
	assert_int_equal(t->writes[fd], 1);
	assert_int_equal(t->reads[peer], 0);	/* nothing sent to it */
	assert_int_equal(t->hooks, 1);
	assert_int_equal(loop_once(l, 1000), 0);
	assert_int_equal(t->reads[fd], 2);
	assert_int_equal(t->hooks, 2);
}

/*
 * The read callback removes its own fd: its write callback, ready in the
 * same pass, does not run, and maxfd comes down.
 */
static void
test_callback_removes_own_fd(void **state)
{
	struct lt *t = *state;
	struct loop *l = &t->l;
	int fd = lt_ready(t, 0);

	assert_int_equal(loop_add(l, fd, LOOP_READ | LOOP_WRITE, lt_fd, t),
	    0);
	t->del_on = t->del_fd = fd;
	t->del_mask = LOOP_READ | LOOP_WRITE;
	assert_int_equal(loop_once(l, 1000), 0);
	assert_int_equal(t->reads[fd], 1);
	assert_int_equal(t->writes[fd], 0);
	assert_false(loop_has(l, fd, LOOP_READ | LOOP_WRITE));
	assert_int_equal(l->maxfd, -1);
}

/* The read callback drops only its fd's write interest: the same. */
static void
test_callback_drops_own_write(void **state)
{
	struct lt *t = *state;
	struct loop *l = &t->l;
	int fd = lt_ready(t, 0);

	assert_int_equal(loop_add(l, fd, LOOP_READ | LOOP_WRITE, lt_fd, t),
	    0);
	t->del_on = t->del_fd = fd;
	t->del_mask = LOOP_WRITE;
	assert_int_equal(loop_once(l, 1000), 0);
	assert_int_equal(t->reads[fd], 1);
	assert_int_equal(t->writes[fd], 0);
	assert_true(loop_has(l, fd, LOOP_READ));
	assert_int_equal(l->maxfd, fd);
	assert_int_equal(loop_once(l, 1000), 0);
	assert_int_equal(t->reads[fd], 2);
	assert_int_equal(t->writes[fd], 0);
}

/*
 * Of two ready fds, the lower one's callback removes the higher one,
 * the highest watched: that one is not served in the pass, though
 * select() said it was ready, and maxfd comes down to the lower one.
 */
static void
test_callback_removes_later_fd(void **state)
{
	struct lt *t = *state;
	struct loop *l = &t->l;
	int a = lt_ready(t, 0), b = lt_ready(t, 1), lo, hi;

	lo = a < b ? a : b;
	hi = a < b ? b : a;
	assert_int_equal(loop_add(l, lo, LOOP_READ, lt_fd, t), 0);
	assert_int_equal(loop_add(l, hi, LOOP_READ, lt_fd, t), 0);
	t->del_on = lo;
	t->del_fd = hi;
	t->del_mask = LOOP_READ;
	assert_int_equal(loop_once(l, 1000), 0);
	assert_int_equal(t->reads[lo], 1);
	assert_int_equal(t->reads[hi], 0);
	assert_int_equal(l->maxfd, lo);
	assert_int_equal(loop_once(l, 1000), 0);
	assert_int_equal(t->reads[lo], 2);
	assert_int_equal(t->reads[hi], 0);
}

/*
 * Of two ready fds, the higher one's callback removes the lower one,
 * served already in the pass: maxfd stays, and the next pass serves the
 * higher one alone.
 */
static void
test_callback_removes_earlier_fd(void **state)
{
	struct lt *t = *state;
	struct loop *l = &t->l;
	int a = lt_ready(t, 0), b = lt_ready(t, 1), lo, hi;

	lo = a < b ? a : b;
	hi = a < b ? b : a;
	assert_int_equal(loop_add(l, lo, LOOP_READ, lt_fd, t), 0);
	assert_int_equal(loop_add(l, hi, LOOP_READ, lt_fd, t), 0);
	t->del_on = hi;
	t->del_fd = lo;
	t->del_mask = LOOP_READ;
	assert_int_equal(loop_once(l, 1000), 0);
	assert_int_equal(t->reads[lo], 1);
	assert_int_equal(t->reads[hi], 1);
	assert_false(loop_has(l, lo, LOOP_READ));
	assert_int_equal(l->maxfd, hi);
	assert_int_equal(loop_once(l, 1000), 0);
	assert_int_equal(t->reads[lo], 1);
	assert_int_equal(t->reads[hi], 2);
}

/*
 * A callback adds a ready fd: it was not in the sets select() was given,
 * so it is served from the next pass on, not in this one.
 */
static void
test_callback_adds_fd(void **state)
{
	struct lt *t = *state;
	struct loop *l = &t->l;
	int a = lt_ready(t, 0), b = lt_ready(t, 1);

	assert_int_equal(loop_add(l, a, LOOP_READ, lt_fd, t), 0);
	t->add_fd = b;
	assert_int_equal(loop_once(l, 1000), 0);
	assert_int_equal(t->reads[a], 1);
	assert_int_equal(t->reads[b], 0);
	assert_true(loop_has(l, b, LOOP_READ));
	assert_int_equal(l->maxfd, a > b ? a : b);
	assert_int_equal(loop_once(l, 1000), 0);
	assert_int_equal(t->reads[a], 2);
	assert_int_equal(t->reads[b], 1);
}

/*
 * Timers are not a fixed table: LT_TIMERS (well past the eight slots of
 * old) get distinct ids and all run; a deleted id is reused; ids out of
 * range or free are ignored.
 */
static void
test_timer_many(void **state)
{
	struct lt *t = *state;
	int i, j;

	for (i = 0; i < LT_TIMERS; i++) {
		assert_int_equal(lt_timer_add(t, i, i % 2 ? 0 : 60000, -1), i);
		for (j = 0; j < i; j++)
			assert_int_not_equal(t->tm[j].id, t->tm[i].id);
	}
	loop_timer_del(&t->l, 3);
	assert_int_equal(lt_timer_add(t, LT_TIMERS, 60000, -1), 3);
	/* Ids out of range or free are ignored. */
	loop_timer_del(&t->l, -1);
	loop_timer_del(&t->l, LT_TIMERS);
	loop_timer_del(&t->l, 1000000);
	loop_timer_sooner(&t->l, 1000000, 0);
	/* The odd ones are due: every one of them runs, once. */
	assert_int_equal(loop_once(&t->l, 0), 0);
	for (i = 0; i < LT_TIMERS; i++)
		assert_int_equal(t->tm[i].runs, i % 2 && i != 3 ? 1 : 0);
	assert_int_equal(t->tm[LT_TIMERS].runs, 0);
	assert_int_equal(loop_once(&t->l, 0), 0);
	for (i = 0; i < LT_TIMERS; i++)
		assert_int_equal(t->tm[i].runs, i % 2 && i != 3 ? 1 : 0);
	/* Their ids are free again, the lowest first. */
	assert_int_equal(lt_timer_add(t, 1, 60000, -1), 1);
	/* Room made ahead: that many adds cannot fail later. */
	assert_int_equal(loop_timer_reserve(&t->l, 100), 0);
	assert_true(t->l.timers_cap >= t->l.ntimers + 100 - LT_TIMERS / 2);
}

/*
 * A timer the before_sleep hook adds bounds that very pass's sleep, as
 * in Redis's aeMain: the hook runs before the timeout is worked out. Were
 * the timeout worked out first, the pass would sleep its whole max_ms
 * (20 s here) with nothing to wake it.
 */
static void
test_timer_added_in_hook(void **state)
{
	struct lt *t = *state;
	struct loop *l = &t->l;
	struct lt_timer *extra = &t->tm[LT_TIMERS];
	int64_t t0;

	l->before_sleep = lt_hook;
	l->hook_arg = t;
	t->hook_timer = 0;
	extra->again = -1;
	t0 = ltime_mono_ms();
	assert_int_equal(loop_once(l, 20000), 0);
	assert_int_equal(t->hooks, 1);
	assert_true(extra->id >= 0);
	/* Not before the sleep it bounded: the pass ran no timer after. */
	assert_int_equal(extra->runs, 0);
	assert_in_range(ltime_mono_ms() - t0, 0, 10000);
	assert_int_equal(loop_once(l, 0), 0);
	assert_int_equal(extra->runs, 1);
	assert_int_equal(t->hooks, 2);

	/* The same with a timer due later: the pass wakes for it. */
	t->hook_timer = 30;
	extra->runs = 0;
	t0 = ltime_mono_ms();
	assert_int_equal(loop_once(l, 20000), 0);
	assert_int_equal(extra->runs, 0);
	assert_in_range(ltime_mono_ms() - t0, 25, 10000);
	assert_int_equal(loop_once(l, 0), 0);
	assert_int_equal(extra->runs, 1);
}

/*
 * A due timer runs at the start of a pass; returning ms re-arms it,
 * returning -1 frees its slot; and a pass with only a timer pending
 * sleeps until that timer, not until max_ms.
 */
static void
test_timer_runs_and_rearms(void **state)
{
	struct lt *t = *state;
	struct loop *l = &t->l;
	int64_t t0, slept;

	assert_int_equal(lt_timer_add(t, 0, 0, 50), 0);
	assert_int_equal(loop_once(l, 0), 0);
	assert_int_equal(t->tm[0].runs, 1);
	assert_int_equal(loop_once(l, 0), 0);	/* not due for 50 ms */
	assert_int_equal(t->tm[0].runs, 1);
	t0 = ltime_mono_ms();
	assert_int_equal(loop_once(l, 10000), 0);	/* sleeps ~50 ms */
	slept = ltime_mono_ms() - t0;
	assert_in_range(slept, 30, 5000);
	t->tm[0].again = -1;
	assert_int_equal(loop_once(l, 0), 0);
	assert_int_equal(t->tm[0].runs, 2);
	/* Dropped: its slot is free, the first one again. */
	assert_int_equal(lt_timer_add(t, 1, 60000, -1), 0);
	assert_int_equal(loop_once(l, 0), 0);
	assert_int_equal(t->tm[0].runs, 2);
	assert_int_equal(t->tm[1].runs, 0);
}

/*
 * Timer callbacks that change the timers, in one pass (timers run in slot
 * order): slot 0 deletes slot 1, which then does not run; slot 2 deletes
 * itself and stays deleted although it asks to run again; slot 3 adds a
 * timer, which takes the first free slot (1) and, that slot being past,
 * runs from the next pass on.
 */
static void
test_timer_callbacks_change_timers(void **state)
{
	struct lt *t = *state;
	struct loop *l = &t->l;
	struct lt_timer *extra = &t->tm[LT_TIMERS];

	assert_int_equal(lt_timer_add(t, 0, 0, 60000), 0);
	assert_int_equal(lt_timer_add(t, 1, 0, 60000), 1);
	assert_int_equal(lt_timer_add(t, 2, 0, 10), 2);
	assert_int_equal(lt_timer_add(t, 3, 0, -1), 3);
	t->tm[0].del_id = 1;
	t->tm[2].del_id = 2;
	t->tm[3].add = true;
	extra->again = -1;
	assert_int_equal(loop_once(l, 0), 0);
	assert_int_equal(t->tm[0].runs, 1);
	assert_int_equal(t->tm[1].runs, 0);
	assert_int_equal(t->tm[2].runs, 1);
	assert_int_equal(t->tm[3].runs, 1);
	assert_int_equal(extra->id, 1);
	assert_int_equal(extra->runs, 0);
	assert_int_equal(loop_once(l, 100), 0);
	assert_int_equal(extra->runs, 1);
	assert_int_equal(t->tm[1].runs, 0);
	assert_int_equal(t->tm[2].runs, 1);	/* deleted: never again */
	assert_int_equal(t->tm[0].runs, 1);	/* due in a minute */
}

/* With nothing to watch and no timer, a pass sleeps max_ms, or not at all. */
static void
test_idle_pass_bounded(void **state)
{
	struct lt *t = *state;
	int64_t t0 = ltime_mono_ms();

	assert_int_equal(loop_once(&t->l, 0), 0);
	assert_in_range(ltime_mono_ms() - t0, 0, 1000);
	t0 = ltime_mono_ms();
	assert_int_equal(loop_once(&t->l, 30), 0);
	assert_in_range(ltime_mono_ms() - t0, 25, 5000);
}

int
main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_maxfd, setup, teardown),
		cmocka_unit_test_setup_teardown(test_add_out_of_range, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_closed_then_reused, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_ready_fd_served, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_callback_removes_own_fd,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_callback_drops_own_write,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_callback_removes_later_fd,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(
		    test_callback_removes_earlier_fd, setup, teardown),
		cmocka_unit_test_setup_teardown(test_callback_adds_fd, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_timer_many, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_timer_added_in_hook,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_timer_runs_and_rearms,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(
		    test_timer_callbacks_change_timers, setup, teardown),
		cmocka_unit_test_setup_teardown(test_idle_pass_bounded, setup,
		    teardown),
	};

	if (argc > 1 && loop_kind_parse(argv[1], &lt_kind) == -1) {
		fprintf(stderr, "test_loop: no backend %s\n", argv[1]);
		return 2;
	}
	return cmocka_run_group_tests_name(loop_kind_name(lt_kind), tests,
	    NULL, NULL);
}
