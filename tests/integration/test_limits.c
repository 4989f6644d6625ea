/* test_limits: slow readers, floods and endless lines cannot stall lobbyd. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <unistd.h>

#include "harness.h"

#define SENDQ		65536	/* --sendq for the slow reader test */
#define FLOOD_LINES	20000	/* lines the flooder sends: ~4 MB */
#define FLOOD_PAD	180	/* filler per flood line */
#define STEP_BYTES	65536	/* flood bytes per turn of the test loop */
#define READ_MAX	65536	/* the server's read per client per pass */
#define FAIR_LINE	1000	/* flood line length in the fairness test */
#define FAIR_BUFFERED	(2 << 20) /* flood queued while lobbyd stops */
#define LOOKUP_MEMBERS	900	/* members a nick lookup could walk */
#define LOOKUP_LINES	300000	/* commands of each kind in that test */
#define LAST_LINES	40	/* lines queued for the quitter: ~4 KiB */
#define LAST_PAD	"................................................................................"

/* ---------------------------------------------------------------------
 * Helpers
 * ------------------------------------------------------------------- */

/* Send as much of p[0..n) as c takes now, without waiting. */
static size_t
send_some(struct h_conn *c, const char *p, size_t n)
{
	ssize_t w = send(c->fd, p, n, MSG_NOSIGNAL | MSG_DONTWAIT);

	if (w == -1) {
		if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)
			return 0;
		fail_msg("send: %s", strerror(errno));
	}
	return (size_t)w;
}

/* Read what c has now and feed complete lines to fn; false at EOF. */
static bool
read_lines(struct h_conn *c, void (*fn)(void *, const char *), void *arg)
{
	ssize_t r;
	char *lf;
	size_t n;

	for (;;) {
		if (c->inlen == sizeof c->in)
			fail_msg("a line longer than %zu bytes", sizeof c->in);
		r = recv(c->fd, c->in + c->inlen, sizeof c->in - c->inlen,
		    MSG_DONTWAIT);
		if (r == 0)
			return false;
		if (r == -1) {
			if (errno == EAGAIN || errno == EWOULDBLOCK ||
			    errno == EINTR)
				return true;
			if (errno == ECONNRESET)
				return false;
			fail_msg("recv: %s", strerror(errno));
		}
		c->inlen += (size_t)r;
		while ((lf = memchr(c->in, '\n', c->inlen)) != NULL) {
			n = (size_t)(lf - c->in);
			memcpy(c->line, c->in, n);
			c->line[n] = '\0';
			memmove(c->in, lf + 1, c->inlen - n - 1);
			c->inlen -= n + 1;
			fn(arg, c->line);
		}
	}
}

/* Wait until one of the n connections has something, at most ms. */
static void
wait_any(struct h_conn **c, int n, bool out_too, int ms)
{
	struct pollfd pfd[8];
	int i;

	for (i = 0; i < n; i++) {
		pfd[i].fd = c[i]->fd;
		pfd[i].events = POLLIN | (i == 0 && out_too ? POLLOUT : 0);
	}
	(void)poll(pfd, (nfds_t)n, ms);
}

/* What a reader of the flood has seen. */
struct flood_seen {
	const char	*sender;	/* nick of the flooder */
	const char	*slow;		/* nick of the slow reader */
	int		 next;		/* number of the next flood line */
	int		 slow_left;	/* "*** slow left (too slow)" notices */
	bool		 strict;	/* any other line is an error */
};

static void
flood_line(void *arg, const char *l)
{
	struct flood_seen *f = arg;
	char want[160];
	int n;

	snprintf(want, sizeof want, "<%s> msg ", f->sender);
	if (strncmp(l, want, strlen(want)) == 0) {
		n = atoi(l + strlen(want));
		if (n != f->next)
			fail_msg("flood line %d arrived when %d was due", n,
			    f->next);
		if (strlen(l) != strlen(want) + 7 + FLOOD_PAD)
			fail_msg("flood line %d is cut short", n);
		f->next++;
		return;
	}
	snprintf(want, sizeof want, "*** %s left (too slow)", f->slow);
	if (strcmp(l, want) == 0) {
		f->slow_left++;
		return;
	}
	if (f->strict)
		fail_msg("unexpected line: %s", l);
}

/* Flood line number i, LF included, into buf. */
static size_t
flood_format(char *buf, size_t size, int i)
{
	char pad[FLOOD_PAD + 1];

	memset(pad, 'x', FLOOD_PAD);
	pad[FLOOD_PAD] = '\0';
	return (size_t)snprintf(buf, size, "msg %06d %s\n", i, pad);
}

/*
 * One round: f floods FLOOD_LINES lines while r1 and r2 read and slow does
 * not. Both readers must get every line in order and one notice that slow
 * left; lobbyd, of pid, must be back to fds open fds, as before slow came.
 */
static void
flood_round(pid_t pid, int fds, struct h_conn *f, struct h_conn *r1,
    struct h_conn *r2, struct h_conn *slow, const char *slownick)
{
	struct flood_seen s1 = { "flood", slownick, 0, 0, true };
	struct flood_seen s2 = { "flood", slownick, 0, 0, true };
	struct flood_seen sf = { "nobody", slownick, 0, 0, true };
	struct flood_seen ss = { "flood", "nobody", 0, 0, true };
	struct h_conn *all[3] = { f, r1, r2 };
	char *out, line[FLOOD_PAD + 32];
	size_t len = 0, off = 0, n;
	long long end;
	int i;

	out = malloc((size_t)FLOOD_LINES * (FLOOD_PAD + 16));
	assert_non_null(out);
	for (i = 0; i < FLOOD_LINES; i++) {
		n = flood_format(line, sizeof line, i);
		memcpy(out + len, line, n);
		len += n;
	}
	end = h_now_ms() + 30000;
	while ((off < len || s1.next < FLOOD_LINES || s2.next < FLOOD_LINES)
	    && h_now_ms() < end) {
		if (off < len)
			off += send_some(f, out + off, len - off < STEP_BYTES ?
			    len - off : STEP_BYTES);
		assert_true(read_lines(r1, flood_line, &s1));
		assert_true(read_lines(r2, flood_line, &s2));
		assert_true(read_lines(f, flood_line, &sf));
		wait_any(all, 3, off < len, 50);
	}
	free(out);
	assert_int_equal(s1.next, FLOOD_LINES);
	assert_int_equal(s2.next, FLOOD_LINES);
	/* The notice may trail the flood a little; it comes exactly once. */
	end = h_now_ms() + H_TIMEOUT_MS;
	while ((s1.slow_left == 0 || s2.slow_left == 0 || sf.slow_left == 0)
	    && h_now_ms() < end) {
		assert_true(read_lines(r1, flood_line, &s1));
		assert_true(read_lines(r2, flood_line, &s2));
		assert_true(read_lines(f, flood_line, &sf));
		wait_any(all, 3, false, 50);
	}
	assert_int_equal(s1.slow_left, 1);
	assert_int_equal(s2.slow_left, 1);
	assert_int_equal(sf.slow_left, 1);
	/*
	 * lobbyd closed the slow reader's socket: its fd count is back to
	 * what it was before that reader joined. What the reader got before
	 * it was dropped is a prefix of the flood, in order.
	 */
	end = h_now_ms() + H_TIMEOUT_MS;
	while (h_fd_count(pid) != fds && h_now_ms() < end)
		wait_any(&slow, 1, false, 20);
	assert_int_equal(h_fd_count(pid), fds);
	(void)read_lines(slow, flood_line, &ss);
	assert_true(ss.next < FLOOD_LINES);
	print_message("slow reader got %d of %d lines before it was dropped\n",
	    ss.next, FLOOD_LINES);
}

/* ---------------------------------------------------------------------
 * Tests
 * ------------------------------------------------------------------- */

/*
 * A reader that stops reading is dropped once its queue passes --sendq;
 * everyone else gets every line in order; lobbyd's memory stays bounded:
 * a second flood with a second slow reader leaves RSS where it was.
 */
static void
test_slow_reader(void **state)
{
	struct h_server *s = *state;
	struct h_conn *f, *r1, *r2, *slow;
	long rss0, rss1, rss2;
	char arg[16];
	int fds;

	snprintf(arg, sizeof arg, "%d", SENDQ);
	assert_int_equal(h_start(s, "--sendq", arg, NULL), 0);
	r1 = h_join_as(s, "r1");
	r2 = h_join_as(s, "r2");
	f = h_join_as(s, "flood");
	h_drain(r1);
	h_drain(r2);
	fds = h_fd_count(s->pid);
	slow = h_join_stalled(s, "slow");
	h_settle(r1, "slow");
	h_settle(r2, "slow");
	h_settle(f, "slow");
	rss0 = h_rss_kib(s->pid);

	flood_round(s->pid, fds, f, r1, r2, slow, "slow");
	assert_true(h_log_has(s, "slow left (too slow)", H_TIMEOUT_MS));
	h_close(slow);
	rss1 = h_rss_kib(s->pid);

	slow = h_join_stalled(s, "slow2");
	h_settle(r1, "slow2");
	h_settle(r2, "slow2");
	h_settle(f, "slow2");
	flood_round(s->pid, fds, f, r1, r2, slow, "slow2");
	h_close(slow);
	rss2 = h_rss_kib(s->pid);
	print_message("lobbyd RSS: %ld KiB before, %ld after one flood, %ld "
	    "after two\n", rss0, rss1, rss2);
	/*
	 * Four clients with 64 KiB queues: a few MiB of slack covers the
	 * allocator (and a sanitizer's), but not 8 MB of flood held anywhere.
	 */
	assert_true(!h_rss_meaningful() ||
	    rss1 - rss0 < 6 * 1024);
	assert_true(!h_rss_meaningful() ||
	    rss2 - rss1 < 2 * 1024);

	/* The room still works. */
	h_send(r1, "still here\n");
	h_expect(r2, "<r1> still here");
	h_expect(f, "<r1> still here");
	h_close(f);
	h_close(r1);
	h_close(r2);
}

/* What the fairness observer has seen. */
struct fair_seen {
	int	 flood;		/* flood lines before the quiet line */
	bool	 quiet;		/* the quiet client's line arrived */
};

static void
fair_line(void *arg, const char *l)
{
	struct fair_seen *f = arg;

	if (f->quiet)
		return;
	if (strncmp(l, "<busy> ", 7) == 0)
		f->flood++;
	else if (strcmp(l, "<quiet> just one line") == 0)
		f->quiet = true;
}

/*
 * With megabytes of a busy client's lines already waiting in lobbyd's
 * socket buffer, a quiet client's one line is relayed after at most a
 * couple of passes' worth of the flood, not after all of it. lobbyd is
 * stopped while the flood is queued, so both are waiting when it wakes.
 */
static void
test_fairness(void **state)
{
	struct h_server *s = *state;
	struct h_conn *busy, *quiet, *obs;
	struct fair_seen seen = { 0, false };
	char *out;
	size_t len, off = 0, n;
	long long end;
	int i, big = 8 << 20, bound;

	/* A big queue: the observer must not be dropped while it catches up. */
	assert_int_equal(h_start(s, "--sendq", "67108864", "--max-line",
	    "2048", NULL), 0);
	/*
	 * lobbyd serves ready fds in ascending order: the busy client joins
	 * first so that its flood is read before the quiet line in a pass.
	 */
	busy = h_join_as(s, "busy");
	quiet = h_join_as(s, "quiet");
	obs = h_join_as(s, "obs");
	(void)setsockopt(busy->fd, SOL_SOCKET, SO_SNDBUF, &big, sizeof big);
	(void)setsockopt(obs->fd, SOL_SOCKET, SO_RCVBUF, &big, sizeof big);
	h_drain(obs);
	h_drain(quiet);
	h_drain(busy);

	len = (size_t)FAIR_BUFFERED;
	out = malloc(len);
	assert_non_null(out);
	for (i = 0; (size_t)i < len / FAIR_LINE; i++) {
		memset(out + (size_t)i * FAIR_LINE, 'a' + i % 26,
		    FAIR_LINE - 1);
		out[(size_t)(i + 1) * FAIR_LINE - 1] = '\n';
	}
	len = (size_t)i * FAIR_LINE;

	assert_int_equal(kill(s->pid, SIGSTOP), 0);
	/* Queue as much as the kernel holds for a stopped reader. */
	end = h_now_ms() + 2000;
	while (off < len && h_now_ms() < end) {
		n = send_some(busy, out + off, len - off);
		off += n;
		if (n == 0) {
			struct pollfd p = { busy->fd, POLLOUT, 0 };

			if (poll(&p, 1, 100) == 0)
				break;
		}
	}
	h_send(quiet, "just one line\n");
	assert_int_equal(kill(s->pid, SIGCONT), 0);
	print_message("%zu bytes of flood queued while lobbyd was stopped\n",
	    off);
	/* Too little queued and the test would prove nothing. */
	assert_true(off >= 16 * READ_MAX);

	end = h_now_ms() + 10000;
	while (!seen.quiet && h_now_ms() < end) {
		assert_true(read_lines(obs, fair_line, &seen));
		if (off < len)
			off += send_some(busy, out + off, len - off);
		wait_any(&obs, 1, false, 50);
	}
	free(out);
	assert_true(seen.quiet);
	/* Two passes' worth of reads from the busy client, rounded up. */
	bound = 2 * (READ_MAX / FAIR_LINE + 1);
	print_message("%d flood lines arrived before the quiet line (bound "
	    "%d; %zu were waiting)\n", seen.flood, bound, off / FAIR_LINE);
	assert_true(seen.flood <= bound);
	h_close(busy);
	h_close(quiet);
	h_close(obs);
}

/*
 * Megabytes of one line with no LF: lobbyd says once that it is too long,
 * keeps none of it (memory stays flat), relays nothing of it, and the
 * connection carries on with the next line.
 */
static void
test_endless_line(void **state)
{
	struct h_server *s = *state;
	struct h_conn *a, *b;
	char *junk;
	size_t total = 0, chunk = 1 << 16;
	long rss0, rss1;
	long long end;

	assert_int_equal(h_start(s, NULL), 0);
	a = h_join_as(s, "endless");
	b = h_join_as(s, "watcher");
	h_settle(a, "watcher");
	h_drain(b);
	rss0 = h_rss_kib(s->pid);
	junk = malloc(chunk);
	assert_non_null(junk);
	memset(junk, 'z', chunk);
	end = h_now_ms() + 20000;
	while (total < (16u << 20) && h_now_ms() < end) {
		assert_int_equal(h_send_raw(a, junk, chunk), 0);
		total += chunk;
	}
	free(junk);
	assert_true(total >= (16u << 20));
	h_send(a, "\nafter the flood\n");
	h_expect(a, "!!! line too long (max 1024 bytes)");
	h_expect(b, "<endless> after the flood");
	h_nothing(a);
	rss1 = h_rss_kib(s->pid);
	print_message("lobbyd RSS %ld KiB before 16 MiB of one line, %ld "
	    "after\n", rss0, rss1);
	assert_true(!h_rss_meaningful() ||
	    rss1 - rss0 < 2 * 1024);
	h_close(a);
	h_close(b);
}

/*
 * Send LOOKUP_LINES copies of cmd (each answered with one line) from c,
 * reading the answers as they come. Returns the CPU ticks lobbyd of pid
 * spent on them.
 */
static long
lookup_ticks(pid_t pid, struct h_conn *c, const char *cmd)
{
	size_t len = strlen(cmd), i;
	char *out = malloc(len * LOOKUP_LINES);
	long ticks;

	assert_non_null(out);
	for (i = 0; i < LOOKUP_LINES; i++)
		memcpy(out + i * len, cmd, len);
	ticks = h_burst_ticks(pid, c, out, len * LOOKUP_LINES, LOOKUP_LINES);
	free(out);
	return ticks;
}

/*
 * Finding a member by nick (/msg, /nick) costs the same however many
 * members there are: a /msg to nobody, or a /nick to the newest
 * member's nick, costs lobbyd about what a /msg to the first member
 * does, not a walk over everyone per line.
 */
static void
test_nick_lookup_cost(void **state)
{
	struct h_server *s = *state;
	struct h_conn *c;
	int fds[LOOKUP_MEMBERS], i;
	long base, none, taken;
	const char *l;
	char cmd[64];

	assert_int_equal(h_start(s, "--sendq", "67108864", "--history", "0",
	    NULL), 0);
	c = h_join_as(s, "busy");
	for (i = 0; i < LOOKUP_MEMBERS; i++) {
		fds[i] = h_raw_connect(s->port);
		assert_true(fds[i] != -1);
	}
	/* Every one of them is a member by the time this answers. */
	do {
		h_send(c, "/who\n");
		while ((l = h_line(c, H_TIMEOUT_MS)) != NULL &&
		    strncmp(l, "*** ", 4) == 0 && strstr(l, " online: ") ==
		    NULL)
			;
		assert_non_null(l);
	} while (strncmp(l, "*** 901 online: ", 16) != 0);
	h_drain(c);

	base = lookup_ticks(s->pid, c, "/msg busy x\n");
	none = lookup_ticks(s->pid, c, "/msg guestzzz x\n");
	snprintf(cmd, sizeof cmd, "/nick guest%d\n", LOOKUP_MEMBERS);
	taken = lookup_ticks(s->pid, c, cmd);
	print_message("%d lines with %d members: /msg to the first member "
	    "%ld ticks, to nobody %ld, /nick of the newest %ld\n",
	    LOOKUP_LINES, LOOKUP_MEMBERS + 1, base, none, taken);
	if (!h_under_valgrind()) {
		assert_true(none <= 3 * base + 25);
		assert_true(taken <= 3 * base + 25);
	}
	for (i = 0; i < LOOKUP_MEMBERS; i++)
		close(fds[i]);
	h_close(c);
}

/* What the quitter has read of the lines sent before its /quit. */
struct last_seen {
	int	 next;		/* the number of the next <a> line due */
	bool	 order;		/* every one came, in order */
};

static void
last_line(void *arg, const char *l)
{
	struct last_seen *ls = arg;
	char want[160];

	if (strncmp(l, "<a> ", 4) != 0)
		return;
	snprintf(want, sizeof want, "<a> line %d %s", ls->next, LAST_PAD);
	if (strcmp(l, want) != 0)
		ls->order = false;
	ls->next++;
}

/*
 * A member that leaves while lobbyd's kernel still holds lines for it
 * (it did not read them: its window is tiny) and while input of its own
 * is still unread at lobbyd (/quit, then more than lobbyd reads in a
 * pass) gets every one of those lines, then EOF: not a reset, which would
 * destroy them. lobbyd closes a member's socket gracefully.
 */
static void
test_last_lines(void **state)
{
	struct h_server *s = *state;
	struct h_conn *a, *r, *v;
	struct last_seen ls = { 0, true };
	char *junk, *burst;
	int i, err, sent;

	assert_int_equal(h_start(s, NULL), 0);
	a = h_join_as(s, "a");
	r = h_join_as(s, "r");
	v = h_join_stalled(s, "v");
	h_settle(a, "v");
	h_settle(r, "v");
	/* A few KiB: more than v's window, all in lobbyd's kernel for it. */
	burst = h_numbered("line %d " LAST_PAD, LAST_LINES);
	h_send(a, burst);
	free(burst);
	h_expect_numbered(r, "<a> line %d " LAST_PAD, LAST_LINES);
	/* /quit, and more after it than one read takes. */
	junk = malloc(2 * READ_MAX);
	assert_non_null(junk);
	memset(junk, 'x', 2 * READ_MAX);
	memcpy(junk, "/quit\n", 6);
	for (i = 1024; i < 2 * READ_MAX; i += 1024)
		junk[i] = '\n';
	sent = h_send_raw(v, junk, 2 * READ_MAX);
	free(junk);

	err = h_read_to_end(v, last_line, &ls);
	print_message("the quitter read %d of %d lines, then %s\n", ls.next,
	    LAST_LINES, err == 0 ? "EOF" : strerror(err));
	assert_int_equal(err, 0);
	assert_true(ls.order);
	assert_int_equal(ls.next, LAST_LINES);
	/* What it sent after /quit was taken, and dropped. */
	assert_int_equal(sent, 0);
	h_expect_skip(a, "*** v left");
	h_close(v);
	h_close(a);
	h_close(r);
}

/*
 * A socket closing gracefully is kept while its peer neither closes nor
 * sends: at most about 2 s, then closed. Meanwhile it is no member: not
 * in /who, and a newcomer takes its place when --max-clients would
 * otherwise refuse it.
 */
static void
test_linger_bounded(void **state)
{
	struct h_server *s = *state;
	struct h_conn *a, *v, *w;
	long long t0, took;
	int fds;

	assert_int_equal(h_start(s, "--max-clients", "2", NULL), 0);
	a = h_join_as(s, "a");
	h_drain(a);
	fds = h_fd_count(s->pid);
	v = h_join_as(s, "v");
	h_settle(a, "v");
	assert_int_equal(h_fd_count(s->pid), fds + 1);
	h_send(v, "/quit\n");
	/* Its write side shut: v sees EOF, and keeps its socket open. */
	assert_true(h_eof(v, H_TIMEOUT_MS));
	t0 = h_now_ms();
	h_expect_skip(a, "*** v left");
	h_send(a, "/who\n");
	h_expect_skip(a, "*** 1 online: a");
	/* The socket is still there, dropping what v would send... */
	assert_int_equal(h_fd_count(s->pid), fds + 1);
	/* ...until its time is up. */
	h_fds_back_to(s, fds);
	took = h_now_ms() - t0;
	print_message("the lingering socket closed after %lld ms\n", took);
	assert_true(took >= 1000);

	/* Lingering again, at the cap: a newcomer is let in, the socket
	 * closed for it. */
	h_close(v);
	v = h_join_as(s, "v");
	h_settle(a, "v");
	h_send(v, "/quit\n");
	assert_true(h_eof(v, H_TIMEOUT_MS));
	h_expect_skip(a, "*** v left");
	assert_int_equal(h_fd_count(s->pid), fds + 1);
	w = h_join_as(s, "w");
	h_settle(a, "w");
	assert_int_equal(h_fd_count(s->pid), fds + 1);
	h_close(w);
	h_close(v);
	h_close(a);
}

/*
 * A lingering socket no longer counts toward --max-per-ip: its owner, at
 * the limit, reconnects at once after its /quit, its old socket still
 * open, and is let in.
 */
static void
test_linger_per_ip(void **state)
{
	struct h_server *s = *state;
	struct h_conn *v, *w;

	assert_int_equal(h_start(s, "--max-per-ip", "1", NULL), 0);
	v = h_join_as(s, "v");
	h_send(v, "/quit\n");
	assert_true(h_eof(v, H_TIMEOUT_MS));
	w = h_join_as(s, "w");
	h_send(w, "/who\n");
	h_expect_skip(w, "*** 1 online: w");
	h_close(w);
	h_close(v);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		h_test(test_slow_reader),
		h_test(test_fairness),
		h_test(test_endless_line),
		h_test(test_nick_lookup_cost),
		h_test(test_last_lines),
		h_test(test_linger_bounded),
		h_test(test_linger_per_ip),
	};

	signal(SIGPIPE, SIG_IGN);
	h_small_quarantine();
	return cmocka_run_group_tests(tests, NULL, NULL);
}
