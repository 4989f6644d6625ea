/* test_scale: thousands of members in one lobbyd on epoll, and EMFILE on
 * poll and epoll, against the real lobbyd. */
#define _GNU_SOURCE	/* prlimit */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/select.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <unistd.h>

#include "harness.h"

/*
 * Members of the big room. Under valgrind lobbyd runs some 20 times
 * slower, and the join notices alone are N^2/2 lines: there the room is
 * smaller, still well past FD_SETSIZE, which is what it is about.
 */
#define SCALE_MEMBERS		5000
#define SCALE_MEMBERS_VG	1500
#define SCALE_FDS_SPARE		64	/* the test's own fds beside members */
#define SCALE_INFLIGHT		200	/* connections not yet welcomed: under
					   lobbyd's listen backlog (511), so
					   no SYN is dropped and retried */
#define SCALE_LINE		256	/* longest line a member keeps */
#define SCALE_READ		65536	/* bytes read per member per pass */
#define WELCOME			"*** welcome to lobby, you are "
#define FULL_LINE		"!!! server full, try again later"
#define FIRST_TEXT		"hello from the first"
#define LAST_TEXT		"and from the last"

/* One member of the big room, as the test sees it. */
struct member {
	int		 fd;		/* its socket, or -1 */
	bool		 welcomed;	/* its welcome line came */
	bool		 first;		/* it got FIRST_TEXT from member 0 */
	bool		 last;		/* it got LAST_TEXT from the last one */
	size_t		 len;		/* bytes of the line being read */
	char		 line[SCALE_LINE]; /* the line being read (cut short) */
};

/* The room: the members and the poll set over them. */
struct room {
	struct member	*m;		/* n members */
	struct pollfd	*p;		/* one per member */
	int		 n;		/* members wanted */
	int		 connected;	/* sockets opened so far */
	int		 welcomed;	/* welcome lines seen */
	int		 firsts;	/* members that got FIRST_TEXT */
	int		 lasts;		/* members that got LAST_TEXT */
};

/* ---------------------------------------------------------------------
 * Helpers
 * ------------------------------------------------------------------- */

/*
 * Raise this process's soft fd limit to want; lobbyd inherits it (and
 * raises its own to the hard limit). Returns false when the hard limit is
 * below want.
 */
static bool
nofile_at_least(rlim_t want)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) == -1)
		return false;
	if (rl.rlim_cur == RLIM_INFINITY || rl.rlim_cur >= want)
		return true;
	if (rl.rlim_max != RLIM_INFINITY && rl.rlim_max < want)
		return false;
	rl.rlim_cur = want;
	return setrlimit(RLIMIT_NOFILE, &rl) == 0;
}

/* A whole line member i was sent: note what the test looks for. */
static void
room_line(struct room *r, int i, const char *line)
{
	struct member *m = &r->m[i];
	const char *gt = strstr(line, "> ");

	if (!m->welcomed && strncmp(line, WELCOME, strlen(WELCOME)) == 0) {
		m->welcomed = true;
		r->welcomed++;
	} else if (strcmp(line, FULL_LINE) == 0)
		fail_msg("member %d of %d was refused: the room is full", i,
		    r->n);
	else if (line[0] == '<' && gt != NULL) {
		if (strcmp(gt + 2, FIRST_TEXT) == 0 && !m->first) {
			m->first = true;
			r->firsts++;
		} else if (strcmp(gt + 2, LAST_TEXT) == 0 && !m->last) {
			m->last = true;
			r->lasts++;
		}
	}
}

/* Read what member i has, line by line; a member closed fails the test. */
static void
room_read(struct room *r, int i, char *buf)
{
	struct member *m = &r->m[i];
	ssize_t n, k;

	n = recv(m->fd, buf, SCALE_READ, MSG_DONTWAIT);
	if (n == -1 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n <= 0)
		fail_msg("member %d: the server closed it (%s)", i,
		    n == 0 ? "EOF" : strerror(errno));
	for (k = 0; k < n; k++) {
		if (buf[k] != '\n') {
			if (m->len < SCALE_LINE - 1)
				m->line[m->len++] = buf[k];
			continue;
		}
		m->line[m->len] = '\0';
		room_line(r, i, m->line);
		m->len = 0;
	}
}

/*
 * One turn: open connections while fewer than SCALE_INFLIGHT wait for
 * their welcome, then wait (at most 100 ms) and read every member that
 * has something.
 */
static void
room_turn(struct room *r, unsigned port, char *buf)
{
	int i, ready;

	while (r->connected < r->n &&
	    r->connected - r->welcomed < SCALE_INFLIGHT) {
		i = r->connected++;
		assert_true((r->m[i].fd = h_raw_connect_nb(port)) != -1);
		r->p[i].fd = r->m[i].fd;
		r->p[i].events = POLLIN;
	}
	ready = poll(r->p, (nfds_t)r->connected, 100);
	assert_true(ready >= 0 || errno == EINTR);
	for (i = 0; i < r->connected && ready > 0; i++) {
		if (r->p[i].revents == 0)
			continue;
		ready--;
		room_read(r, i, buf);
	}
}

/* Send text as a chat line from member i. */
static void
room_say(struct room *r, int i, const char *text)
{
	char line[128];
	int n = snprintf(line, sizeof line, "%s\n", text);

	assert_int_equal(send(r->m[i].fd, line, (size_t)n, MSG_NOSIGNAL), n);
}

/* Close every member's socket and free the room. */
static void
room_free(struct room *r)
{
	int i;

	for (i = 0; i < r->connected; i++)
		close(r->m[i].fd);
	free(r->m);
	free(r->p);
}

/* The number after "at most " in lobbyd's log: the client cap. */
static long
logged_cap(struct h_server *s)
{
	char rest[256];

	if (!h_log_after(s, "at most ", 0, rest, sizeof rest, H_TIMEOUT_MS))
		return -1;
	return strtol(rest, NULL, 10);
}

/* ---------------------------------------------------------------------
 * Tests
 * ------------------------------------------------------------------- */

/*
 * 5000 members (1500 under valgrind) in one lobbyd on epoll: every one is
 * welcomed (none refused: no FD_SETSIZE), a line from the first member
 * and one from the last reach every other member, and lobbyd holds an
 * fd for each, well past FD_SETSIZE. Each wait is bounded; the figures
 * are printed, not asserted (no timing assertions here: bench/ measures).
 */
static void
test_epoll_thousands(void **state)
{
	static const char *const args[] = { "--loop", "epoll",
	    "--max-clients", "6000", "--history", "0", NULL };
	struct h_server *s = *state;
	struct room r;
	long long t0, joined_ms, bound = (long long)H_TIMEOUT_MS * 12;
	char *buf;
	int fds;
	long rss0, rss, cap;

	memset(&r, 0, sizeof r);
	r.n = h_under_valgrind() ? SCALE_MEMBERS_VG : SCALE_MEMBERS;
	/* main() checked the hard limit: this cannot fail. */
	assert_true(nofile_at_least((rlim_t)r.n + SCALE_FDS_SPARE));
	assert_int_equal(h_startv(s, args), 0);
	cap = logged_cap(s);
	print_message("lobbyd: at most %ld clients on epoll\n", cap);
	assert_true(cap >= r.n);
	rss0 = h_rss_kib(s->pid);

	r.m = calloc((size_t)r.n, sizeof *r.m);
	r.p = calloc((size_t)r.n, sizeof *r.p);
	buf = malloc(SCALE_READ);
	assert_true(r.m != NULL && r.p != NULL && buf != NULL);

	/* Everyone joins, SCALE_INFLIGHT at a time at most. */
	t0 = h_now_ms();
	while (r.welcomed < r.n) {
		if (h_now_ms() - t0 > bound)
			fail_msg("%d of %d members welcomed after %lld ms",
			    r.welcomed, r.n, bound);
		room_turn(&r, s->port, buf);
	}
	joined_ms = h_now_ms() - t0;
	fds = h_fd_count(s->pid);
	rss = h_rss_kib(s->pid);
	print_message("%d members welcomed in %lld ms (lobbyd's CPU: %ld "
	    "ticks); lobbyd holds %d fds, RSS %ld KiB (%ld KiB at start)\n",
	    r.n, joined_ms, h_cpu_ticks(s->pid), fds, rss, rss0);
	assert_true(fds > r.n && fds > FD_SETSIZE);

	/* The first and the last member speak: every other one hears both. */
	t0 = h_now_ms();
	room_say(&r, 0, FIRST_TEXT);
	room_say(&r, r.n - 1, LAST_TEXT);
	while (r.firsts < r.n - 1 || r.lasts < r.n - 1) {
		if (h_now_ms() - t0 > bound)
			fail_msg("after %lld ms, %d of %d members heard the "
			    "first, %d the last", bound, r.firsts, r.n - 1,
			    r.lasts);
		room_turn(&r, s->port, buf);
	}
	print_message("both lines reached all %d others in %lld ms\n",
	    r.n - 1, h_now_ms() - t0);
	/* Nobody hears their own line. */
	assert_false(r.m[0].first);
	assert_false(r.m[r.n - 1].last);
	free(buf);
	room_free(&r);
}

/*
 * On poll or epoll (kind), lobbyd out of fds at accept(): each excess
 * connection is still told the server is full (the reserve fd is given
 * up for it), lobbyd does not spin on a listener the kernel keeps
 * reporting, the members go on chatting, and a seat freed is taken.
 * lobbyd raises its fd limit at start, so the test lowers it afterwards,
 * from outside, to a few fds past what it holds.
 */
static void
emfile_on(struct h_server *s, const char *kind)
{
	const char *const args[] = { "--loop", kind, NULL };
	struct rlimit rl;
	int joined[32], nj = 0, i, fd, have;
	long t0, t1;
	char line[256], want[128];

	assert_int_equal(h_startv(s, args), 0);
	assert_true(h_log_has(s, "at most ", H_TIMEOUT_MS));
	have = h_fds_below(s->pid, 1024);
	assert_true(have > 0);
	/* Room for 6 members; under valgrind its own fds sit above this
	 * limit (open already), and an fd past it is EMFILE as natively. */
	assert_int_equal(prlimit(s->pid, RLIMIT_NOFILE, NULL, &rl), 0);
	rl.rlim_cur = (rlim_t)have + 6;
	assert_int_equal(prlimit(s->pid, RLIMIT_NOFILE, &rl, NULL), 0);

	for (i = 0; i < 20; i++) {
		fd = h_raw_connect(s->port);
		assert_true(fd != -1);
		if (h_first_line(fd, line, sizeof line, H_TIMEOUT_MS) == -1)
			fail_msg("connection %d: no first line", i);
		if (strncmp(line, WELCOME, strlen(WELCOME)) == 0) {
			assert_true(nj < 32);
			joined[nj++] = fd;
			continue;
		}
		assert_string_equal(line, FULL_LINE);
		close(fd);
	}
	print_message("%s: with room for 6 fds, %d of 20 joined\n", kind, nj);
	assert_true(nj >= 2 && nj <= 8);	/* and a hole or two */
	assert_true(h_log_has(s, "out of file descriptors", 0));

	/* A second of quiet at EMFILE costs next to no CPU. */
	t0 = h_cpu_ticks(s->pid);
	h_sleep_ms(1000);
	t1 = h_cpu_ticks(s->pid);
	print_message("%s: %ld ticks of CPU in a second at EMFILE\n", kind,
	    t1 - t0);
	assert_true(t1 - t0 <= 5);

	/* The room works: the newest speaks, the oldest hears it. */
	assert_int_equal(send(joined[nj - 1], "still here\n", 11,
	    MSG_NOSIGNAL), 11);
	snprintf(want, sizeof want, "> still here");
	for (;;) {
		if (h_first_line(joined[0], line, sizeof line, H_TIMEOUT_MS) ==
		    -1)
			fail_msg("%s: the oldest member never got the line",
			    kind);
		if (line[0] == '<' && strstr(line, want) != NULL)
			break;
	}

	/* A member leaves: the next connection is welcome. */
	close(joined[--nj]);
	assert_true(h_log_has(s, " left", H_TIMEOUT_MS));
	h_sleep_ms(200);	/* its fd closed by the end of that pass */
	fd = h_raw_connect(s->port);
	assert_true(fd != -1);
	assert_true(h_first_line(fd, line, sizeof line, H_TIMEOUT_MS) > 0);
	assert_memory_equal(line, WELCOME, strlen(WELCOME));
	close(fd);
	while (nj > 0)
		close(joined[--nj]);
}

static void
test_emfile_poll(void **state)
{
	emfile_on(*state, "poll");
}

static void
test_emfile_epoll(void **state)
{
	emfile_on(*state, "epoll");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		h_test(test_emfile_poll),
		h_test(test_emfile_epoll),
		h_test(test_epoll_thousands),
	};
	struct rlimit rl;
	rlim_t want = SCALE_MEMBERS + SCALE_FDS_SPARE;

	/* The whole suite needs the fds of the big room, in this process
	 * and in lobbyd: without them it cannot run at all. */
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 &&
	    rl.rlim_max != RLIM_INFINITY && rl.rlim_max < want) {
		printf("SKIP: RLIMIT_NOFILE's hard limit %ld is below the %ld "
		    "fds %d members need\n", (long)rl.rlim_max, (long)want,
		    SCALE_MEMBERS);
		return 77;
	}
	signal(SIGPIPE, SIG_IGN);
	h_small_quarantine();
	return cmocka_run_group_tests(tests, NULL, NULL);
}
