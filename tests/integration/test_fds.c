/* test_fds: the client cap, EMFILE and FD_SETSIZE, against the real lobbyd. */
#define _GNU_SOURCE	/* prlimit */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/select.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include "harness.h"

#define MANY		1100	/* connection attempts past FD_SETSIZE */
#define LEAK_MAX	1100	/* most fds handed down to lobbyd */
#define FULL_LINE	"!!! server full, try again later"
#define WELCOME		"*** welcome to lobby, you are "
/* lobbyd's own fds: stdio, the self-pipe, the reserve, two listeners. */
#define OWN_FDS		8

/* The fd limit the test process started with, put back after each test. */
static struct rlimit saved_nofile;
/* Fds opened only for lobbyd to inherit; closed once it has started. */
static int leaked[LEAK_MAX];
static int nleaked;

/* ---------------------------------------------------------------------
 * Helpers
 * ------------------------------------------------------------------- */

/* Close the fds leak() opened. */
static void
unleak(void)
{
	while (nleaked > 0)
		close(leaked[--nleaked]);
}

/* A fresh server (h_setup) and the fd limit to put back afterwards. */
static int
setup(void **state)
{
	if (getrlimit(RLIMIT_NOFILE, &saved_nofile) == -1)
		return -1;
	return h_setup(state);
}

/*
 * Close the fds left for lobbyd, stop it as h_teardown() does (it must
 * exit 0), and put the test process's fd limit back.
 */
static int
teardown(void **state)
{
	int r;

	unleak();
	r = h_teardown(state);
	if (setrlimit(RLIMIT_NOFILE, &saved_nofile) == -1)
		return -1;
	return r;
}

/*
 * Open n fds without close-on-exec, so that the next lobbyd starts with
 * them already taken: its fd budget is then less than its cap assumes,
 * which is how a real process meets EMFILE or fds past FD_SETSIZE.
 */
static void
leak(int n)
{
	assert_true(nleaked + n <= LEAK_MAX);
	while (n-- > 0) {
		leaked[nleaked] = open("/dev/null", O_RDONLY);
		assert_true(leaked[nleaked] != -1);
		nleaked++;
	}
}

/* Set the soft fd limit, raising the hard one too if need be. */
static void
set_nofile(rlim_t soft)
{
	struct rlimit rl;

	assert_int_equal(getrlimit(RLIMIT_NOFILE, &rl), 0);
	if (rl.rlim_max != RLIM_INFINITY && rl.rlim_max < soft)
		rl.rlim_max = soft;	/* needs privilege; checked below */
	rl.rlim_cur = soft;
	if (setrlimit(RLIMIT_NOFILE, &rl) == -1)
		h_skip("cannot raise RLIMIT_NOFILE here");
}

/*
 * What lobbyd logged at start, "at most N clients (FD_SETSIZE F,
 * RLIMIT_NOFILE L)": the cap N is returned, and L, the soft fd limit its
 * getrlimit() gave it, goes to nofile when that is not NULL.
 */
static size_t
logged_cap(struct h_server *s, long *nofile)
{
	char rest[256];
	size_t cap = 0;
	long l = 0;

	assert_true(h_log_after(s, "at most ", 0, rest, sizeof rest,
	    H_TIMEOUT_MS));
	assert_int_equal(sscanf(rest, "%zu clients (FD_SETSIZE %*d, "
	    "RLIMIT_NOFILE %ld)", &cap, &l), 2);
	if (nofile != NULL)
		*nofile = l;
	return cap;
}

/*
 * Make the kernel's fd limit for lobbyd the one it logged, nofile: run
 * natively they are the same already. Under valgrind the kernel's is
 * higher. Valgrind keeps the top fds (a dozen) for itself: it raises the
 * kernel's soft limit by as many past the one lobbyd's getrlimit()
 * reports, or when the hard limit leaves no room, reports that many less.
 * An fd lobbyd gets past its limit valgrind closes, returning EMFILE; for
 * accept() that loses the connection, closed with no "server full", where
 * the kernel would have left it queued for lobbyd's reserve fd. With the
 * kernel's limit lowered to lobbyd's, EMFILE comes from the kernel as it
 * does natively; valgrind's fds, above it, stay open.
 */
static void
hold_to(struct h_server *s, long nofile)
{
	struct rlimit rl;

	assert_true(nofile > 0);
	assert_int_equal(prlimit(s->pid, RLIMIT_NOFILE, NULL, &rl), 0);
	assert_true(rl.rlim_cur >= (rlim_t)nofile);
	if (!h_under_valgrind())
		assert_int_equal(rl.rlim_cur, nofile);
	rl.rlim_cur = (rlim_t)nofile;
	assert_int_equal(prlimit(s->pid, RLIMIT_NOFILE, &rl, NULL), 0);
}

/*
 * Start lobbyd with fd limit nofile (0: the test's own) and n fds leaked,
 * and hold it to the limit it logged, which is returned: nofile itself,
 * or under valgrind possibly less (see hold_to()). Always on select, the
 * multiplexer whose FD_SETSIZE these tests are about, and the one that
 * keeps the soft fd limit it is given (poll and epoll raise it to the
 * hard one: test_scale covers their EMFILE).
 */
static long
start(struct h_server *s, rlim_t nofile, int n, const char *const *given)
{
	const char *args[16];
	struct rlimit now;
	long logged;
	int i = 0;

	args[i++] = "--loop";
	args[i++] = "select";
	while (*given != NULL && i < 15)
		args[i++] = *given++;
	args[i] = NULL;
	assert_int_equal(getrlimit(RLIMIT_NOFILE, &now), 0);
	leak(n);
	if (nofile != 0)
		set_nofile(nofile);
	else
		nofile = now.rlim_cur;
	assert_int_equal(h_startv(s, args), 0);
	assert_int_equal(setrlimit(RLIMIT_NOFILE, &now), 0);
	unleak();
	logged_cap(s, &logged);
	if (h_under_valgrind())
		assert_true(logged > 0 && (rlim_t)logged <= nofile);
	else
		assert_int_equal(logged, nofile);
	hold_to(s, logged);
	return logged;
}

/* True when the server closes fd within ms, whatever comes first. */
static bool
closed_soon(int fd, int ms)
{
	long long end = h_now_ms() + ms;
	struct pollfd p = { fd, POLLIN, 0 };
	char tmp[4096];
	ssize_t r;

	while (h_now_ms() < end) {
		if (poll(&p, 1, (int)(end - h_now_ms())) <= 0)
			continue;
		r = recv(fd, tmp, sizeof tmp, MSG_DONTWAIT);
		if (r == 0 || (r == -1 && errno == ECONNRESET))
			return true;
	}
	return false;
}

/*
 * Make n connection attempts; each must get the welcome or be told the
 * server is full and closed. The fds of the welcomed ones go to joined
 * (in order); the count of each kind is returned through the pointers.
 */
static void
attempt(struct h_server *s, int n, int *joined, int *njoined, int *nfull)
{
	char line[256];
	int i, fd;

	*njoined = *nfull = 0;
	for (i = 0; i < n; i++) {
		fd = h_raw_connect(s->port);
		assert_true(fd != -1);
		if (h_first_line(fd, line, sizeof line, H_TIMEOUT_MS) == -1)
			fail_msg("connection %d: no first line", i);
		if (strncmp(line, WELCOME, strlen(WELCOME)) == 0) {
			joined[(*njoined)++] = fd;
			continue;
		}
		if (strcmp(line, FULL_LINE) != 0)
			fail_msg("connection %d: unexpected \"%s\"", i, line);
		assert_true(closed_soon(fd, H_TIMEOUT_MS));
		close(fd);
		(*nfull)++;
	}
}

/* The newest member chats; the oldest gets the line: the room works. */
static void
room_works(int *joined, int n, const char *text)
{
	char line[256], want[256], nick[32];
	long long end = h_now_ms() + H_TIMEOUT_MS;
	size_t len;

	/* A nick of its own, so the line can be told apart. */
	assert_int_equal(write(joined[n - 1], "/nick newest\n", 13), 13);
	snprintf(line, sizeof line, "%s\n", text);
	len = strlen(line);
	assert_int_equal(write(joined[n - 1], line, len), (ssize_t)len);
	snprintf(nick, sizeof nick, "newest");
	snprintf(want, sizeof want, "<%s> %s", nick, text);
	while (h_now_ms() < end) {
		if (h_first_line(joined[0], line, sizeof line,
		    (int)(end - h_now_ms())) == -1)
			break;
		if (strcmp(line, want) == 0)
			return;
	}
	fail_msg("the oldest member never got \"%s\"", want);
}

/* Close the n fds at fds. */
static void
close_all(int *fds, int n)
{
	while (n-- > 0)
		close(fds[n]);
}

/*
 * The second of the n members (guest2) leaves: once lobbyd has logged it,
 * a new connection is welcome. Then everyone leaves.
 */
static void
seat_freed(struct h_server *s, int *joined, int n)
{
	char line[256];
	int fd;

	close(joined[1]);
	joined[1] = -1;
	assert_true(h_log_has(s, "guest2 left", H_TIMEOUT_MS));
	fd = h_raw_connect(s->port);
	assert_true(fd != -1);
	assert_true(h_first_line(fd, line, sizeof line, H_TIMEOUT_MS) > 0);
	assert_memory_equal(line, WELCOME, strlen(WELCOME));
	close(fd);
	close(joined[0]);
	close_all(joined + 2, n - 2);
}

/*
 * The receive queue the kernel holds for lobbyd's IPv4 TCP socket on
 * local port lport in state st (as /proc/net/tcp writes it: 01 is
 * established, 0A listening), from remote port rport (0: any): unread
 * bytes, or for a listener the connections waiting for accept(). -1 when
 * there is no such socket.
 */
static long
tcp_queue(unsigned lport, unsigned rport, unsigned st)
{
	char line[512];
	unsigned lp, rp, state;
	unsigned long rxq;
	long q = -1;
	FILE *f;

	f = fopen("/proc/net/tcp", "r");
	assert_non_null(f);
	while (q == -1 && fgets(line, sizeof line, f) != NULL)
		if (sscanf(line, " %*u: %*x:%x %*x:%x %x %*x:%lx", &lp, &rp,
		    &state, &rxq) == 4 && lp == lport && state == st &&
		    (rport == 0 || rp == rport))
			q = (long)rxq;
	fclose(f);
	return q;
}

/* Wait until tcp_queue() is at least n; fail after H_TIMEOUT_MS. */
static void
queued_soon(unsigned lport, unsigned rport, unsigned st, long n)
{
	long long end = h_now_ms() + H_TIMEOUT_MS;

	while (tcp_queue(lport, rport, st) < n) {
		if (h_now_ms() >= end)
			fail_msg("port %u: nothing queued for lobbyd", lport);
		h_sleep_ms(5);
	}
}

/* The local port of connected socket fd. */
static unsigned
local_port(int fd)
{
	struct sockaddr_in a;
	socklen_t len = sizeof a;

	assert_int_equal(getsockname(fd, (struct sockaddr *)&a, &len), 0);
	return ntohs(a.sin_port);
}

/*
 * With the room full, member joined[1] quits and a newcomer connects in
 * the same loop pass: lobbyd is stopped while both happen, so that on
 * resuming one select() reports them together (the listener, with the
 * lower fd, first). The seat the member frees is the newcomer's: it gets
 * the welcome, not "server full". The newcomer's fd is returned.
 */
static int
same_pass(struct h_server *s, int *joined)
{
	char line[256];
	long long end = h_now_ms() + H_TIMEOUT_MS;
	int fd, st;

	/*
	 * A barrier first: once joined[0] has its /who answer, lobbyd is done
	 * with the connections before (an accept batch still running when
	 * it stops would take the newcomer before reading the /quit).
	 */
	assert_int_equal(write(joined[0], "/who\n", 5), 5);
	do
		assert_true(h_first_line(joined[0], line, sizeof line,
		    (int)(end - h_now_ms())) >= 0);
	while (strstr(line, " online: ") == NULL);
	assert_int_equal(kill(s->pid, SIGSTOP), 0);
	assert_int_equal(waitpid(s->pid, &st, WUNTRACED), s->pid);
	assert_true(WIFSTOPPED(st));
	assert_int_equal(write(joined[1], "/quit\n", 6), 6);
	fd = h_raw_connect(s->port);
	assert_true(fd != -1);
	/*
	 * Both must be waiting in lobbyd's sockets before it resumes. A
	 * write() or connect() on loopback may return before the kernel has
	 * delivered the segment (on a loaded machine, much later): a /quit
	 * still in flight when select() runs is a departure of a later pass,
	 * and "server full" would then be right.
	 */
	queued_soon(s->port, local_port(joined[1]), 0x01, 6);
	queued_soon(s->port, 0, 0x0A, 1);
	assert_int_equal(kill(s->pid, SIGCONT), 0);
	assert_true(h_first_line(fd, line, sizeof line, H_TIMEOUT_MS) > 0);
	if (strncmp(line, WELCOME, strlen(WELCOME)) != 0)
		fail_msg("a newcomer in the pass a member left got \"%s\"",
		    line);
	assert_true(closed_soon(joined[1], H_TIMEOUT_MS));
	close(joined[1]);
	joined[1] = fd;
	return fd;
}

/* ---------------------------------------------------------------------
 * Tests
 * ------------------------------------------------------------------- */

/* At --max-clients: a departure in the same pass frees the seat. */
static void
test_cap_departure_same_pass(void **state)
{
	static const char *const args[] = { "--max-clients", "3", NULL };
	struct h_server *s = *state;
	int joined[8], nj, nf;

	start(s, 0, 0, args);
	attempt(s, 4, joined, &nj, &nf);
	assert_int_equal(nj, 3);
	assert_int_equal(nf, 1);
	same_pass(s, joined);
	room_works(joined, nj, "the seat was free");
	close_all(joined, nj);
}

/* At EMFILE: a departure in the same pass frees the fd it needs. */
static void
test_emfile_departure_same_pass(void **state)
{
	static const char *const args[] = { NULL };
	struct h_server *s = *state;
	int joined[64], nj, nf;

	start(s, 40, 12, args);
	attempt(s, 30, joined, &nj, &nf);
	assert_true(nj > 2 && nf > 0);
	assert_true(h_log_has(s, "out of file descriptors", 0));
	same_pass(s, joined);
	room_works(joined, nj, "the fd was free");
	close_all(joined, nj);
}

/*
 * Under RLIMIT_NOFILE 32 (under valgrind perhaps less: the limit lobbyd
 * logs) the cap is what the limit leaves after lobbyd's own fds, it is
 * logged, and one more connection is told the server is full. A member
 * leaving makes room for a new one.
 */
static void
test_low_nofile_cap(void **state)
{
	static const char *const args[] = { "--max-clients", "1000", NULL };
	struct h_server *s = *state;
	int joined[64], nj, nf, own;
	size_t cap;
	long nofile;

	nofile = start(s, 32, 0, args);
	assert_true(h_log_has(s, "--max-clients 1000 lowered to",
	    H_TIMEOUT_MS));
	cap = logged_cap(s, NULL);
	own = h_fds_below(s->pid, nofile);
	print_message("RLIMIT_NOFILE %ld: cap %zu, lobbyd holds %d fds below "
	    "it\n", nofile, cap, own);
	assert_int_equal(cap, nofile - OWN_FDS);

	/* Fds lobbyd was handed from outside, if any, are not its cap's. */
	attempt(s, (int)cap + 6, joined, &nj, &nf);
	assert_true(nj <= (int)cap && nj >= (int)cap - (own - OWN_FDS));
	assert_int_equal(nf, (int)cap + 6 - nj);
	/*
	 * The cap uses every fd the limit allows, so the next accept() may
	 * meet EMFILE before the cap check: either way it is refused.
	 */
	assert_true(h_log_has(s, "refused", 0));
	room_works(joined, nj, "full house");

	/* One leaves: the next one in is welcome. */
	seat_freed(s, joined, nj);
}

/*
 * lobbyd inherits fds it does not know of, so accept() hits EMFILE below
 * the cap. Each excess connection is still told the server is full (the
 * reserve fd is given up for it), lobbyd does not spin, the members keep
 * chatting, and accepting resumes once a member leaves.
 */
static void
test_emfile(void **state)
{
	static const char *const args[] = { NULL };
	struct h_server *s = *state;
	int joined[64], nj, nf, i, extra[40];
	long t0, t1;
	size_t cap;
	char line[256];

	start(s, 40, 12, args);
	cap = logged_cap(s, NULL);
	attempt(s, 30, joined, &nj, &nf);
	print_message("cap %zu; with 12 fds unaccounted for, %d joined and %d "
	    "were refused\n", cap, nj, nf);
	assert_true(nj > 0 && (size_t)nj < cap);
	assert_int_equal(nj + nf, 30);
	assert_true(h_log_has(s, "out of file descriptors", 0));
	/* The reserve fd answers each one: accepting never has to pause. */
	assert_false(h_log_has(s, "accepting paused", 0));

	/*
	 * A burst of connections lobbyd has no fd for: each is answered and
	 * closed, and a second of quiet afterwards costs next to no CPU.
	 */
	for (i = 0; i < 40; i++)
		extra[i] = h_raw_connect(s->port);
	for (i = 0; i < 40; i++) {
		assert_true(extra[i] != -1);
		assert_true(h_first_line(extra[i], line, sizeof line,
		    H_TIMEOUT_MS) > 0);
		assert_string_equal(line, FULL_LINE);
		close(extra[i]);
	}
	t0 = h_cpu_ticks(s->pid);
	h_sleep_ms(1000);
	t1 = h_cpu_ticks(s->pid);
	print_message("lobbyd used %ld ticks of CPU in a second at EMFILE\n",
	    t1 - t0);
	assert_true(t1 - t0 <= 5);
	room_works(joined, nj, "still talking");

	/* Room again: the next connection is welcome. */
	seat_freed(s, joined, nj);
}

/*
 * A high RLIMIT_NOFILE and --max-clients 2000: the cap comes down to what
 * select() can watch, and of 1100 attempts the ones past it are refused.
 * No fd at or past FD_SETSIZE reaches FD_SET (a sanitizer or fortified
 * libc would abort), and the room works with every seat taken.
 */
static void
test_many_past_fd_setsize(void **state)
{
	static const char *const args[] = { "--max-clients", "2000", NULL };
	struct h_server *s = *state;
	int *joined, nj, nf, own;
	size_t cap;

	set_nofile(4096);
	start(s, 4096, 0, args);
	assert_true(h_log_has(s, "--max-clients 2000 lowered to",
	    H_TIMEOUT_MS));
	cap = logged_cap(s, NULL);
	assert_int_equal(cap, FD_SETSIZE - OWN_FDS);
	own = h_fds_below(s->pid, FD_SETSIZE);
	joined = calloc(MANY, sizeof *joined);
	assert_non_null(joined);
	attempt(s, MANY, joined, &nj, &nf);
	print_message("%d attempts: %d joined (cap %zu), %d refused\n", MANY,
	    nj, cap, nf);
	assert_true(nj <= (int)cap && nj >= (int)cap - (own - OWN_FDS));
	assert_int_equal(nf, MANY - nj);
	room_works(joined, nj, "a full room");
	close_all(joined, nj);
	free(joined);
	assert_true(h_log_has(s, own == OWN_FDS ?
	    "max number of clients reached" : "refused", 0));
}

/*
 * lobbyd starts with nearly FD_SETSIZE fds already taken, so accept()
 * soon returns fds select() cannot watch: those connections are refused
 * and closed, never passed to FD_SET, and the members carry on.
 */
static void
test_fd_past_setsize_refused(void **state)
{
	static const char *const args[] = { NULL };
	struct h_server *s = *state;
	int joined[128], nj, nf;

	set_nofile(4096);
	start(s, 4096, FD_SETSIZE - 20, args);
	attempt(s, 60, joined, &nj, &nf);
	print_message("%d joined below FD_SETSIZE, %d refused\n", nj, nf);
	assert_true(nj > 0 && nj < 20);
	assert_int_equal(nf, 60 - nj);
	assert_true(h_log_has(s, "fd beyond FD_SETSIZE", 0));
	room_works(joined, nj, "below the line");
	close_all(joined, nj);
}

/*
 * With select and every seat taken (the cap is what FD_SETSIZE leaves),
 * every member quits at once and keeps its socket open: their sockets
 * linger, holding every fd select() can watch. As many newcomers then
 * all get in: each takes the place (and the descriptor) of the oldest
 * lingering socket, none is told the server is full, and no fd past
 * FD_SETSIZE reaches FD_SET.
 */
static void
test_linger_past_fd_setsize(void **state)
{
	static const char *const args[] = { "--max-clients", "2000", NULL };
	struct h_server *s = *state;
	int *joined, *again, nj, nf, i;
	size_t cap;

	set_nofile(4096);
	start(s, 4096, 0, args);
	cap = logged_cap(s, NULL);
	joined = calloc(cap, sizeof *joined);
	again = calloc(cap, sizeof *again);
	assert_true(joined != NULL && again != NULL);
	attempt(s, (int)cap, joined, &nj, &nf);
	print_message("%d of %zu joined\n", nj, cap);
	assert_true(nj > 2);
	for (i = 0; i < nj; i++)
		assert_int_equal(write(joined[i], "/quit\n", 6), 6);
	/* EOF: each has left, its socket lingering (this end stays open). */
	for (i = 0; i < nj; i++)
		assert_true(closed_soon(joined[i], H_TIMEOUT_MS));
	i = h_fd_count(s->pid);
	print_message("lobbyd holds %d fds with its members gone\n", i);
	assert_true(i >= nj);
	attempt(s, nj, again, &i, &nf);
	print_message("then %d newcomers joined, %d were refused\n", i, nf);
	assert_int_equal(nf, 0);
	assert_int_equal(i, nj);
	room_works(again, nj, "in the lingering places");
	close_all(again, nj);
	close_all(joined, nj);
	free(again);
	free(joined);
	assert_true(kill(s->pid, 0) == 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_low_nofile_cap, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_emfile, setup, teardown),
		cmocka_unit_test_setup_teardown(test_cap_departure_same_pass,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_emfile_departure_same_pass,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_many_past_fd_setsize,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_fd_past_setsize_refused,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_linger_past_fd_setsize,
		    setup, teardown),
	};

	signal(SIGPIPE, SIG_IGN);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
