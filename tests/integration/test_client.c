/* test_client: lobby with stdin and stdout not a terminal, against lobbyd. */
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <setjmp.h>
#include <cmocka.h>

#include "harness.h"

#define OUTMAX	(1 << 20)	/* what a test keeps of lobby's output */


/* A lobby we started, with pipes on its three standard fds. */
struct lob {
	pid_t	 pid;		/* the child, or -1 once reaped */
	int	 in;		/* its stdin, or -1 once closed */
	int	 out;		/* its stdout, or -1 at EOF */
	int	 err;		/* its stderr, or -1 at EOF */
	char	 obuf[OUTMAX];	/* stdout so far, NUL-terminated */
	size_t	 olen;		/* bytes in obuf */
	char	 ebuf[OUTMAX];	/* stderr so far, NUL-terminated */
	size_t	 elen;		/* bytes in ebuf */
	int	 status;	/* wait status once reaped */
};

/*
 * Start lobby with the NULL-terminated arguments. With stdin_null its
 * stdin is /dev/null, else a pipe the test writes to.
 */
static struct lob *
lob_start(int stdin_null, ...)
{
	const char *argv[32];
	struct lob *l = calloc(1, sizeof *l);
	int pin[2], pout[2], perr[2], n = 0;
	va_list ap;

	assert_non_null(l);
	argv[n++] = h_lobby_path();
	va_start(ap, stdin_null);
	while (n < 31 && (argv[n] = va_arg(ap, const char *)) != NULL)
		n++;
	va_end(ap);
	argv[n] = NULL;
	assert_int_equal(pipe(pin), 0);
	assert_int_equal(pipe(pout), 0);
	assert_int_equal(pipe(perr), 0);
	fflush(NULL);
	l->pid = fork();
	assert_true(l->pid != -1);
	if (l->pid == 0) {
		/* Our ends stay with us, or stdin would never see EOF. */
		close(pin[1]);
		close(pout[0]);
		close(perr[0]);
		if (stdin_null) {
			close(pin[0]);
			pin[0] = open("/dev/null", O_RDONLY);
		}
		dup2(pin[0], STDIN_FILENO);
		dup2(pout[1], STDOUT_FILENO);
		dup2(perr[1], STDERR_FILENO);
		execv(argv[0], (char *const *)argv);
		_exit(127);
	}
	h_track_child(l->pid);
	close(pin[0]);
	close(pout[1]);
	close(perr[1]);
	l->in = pin[1];
	l->out = pout[0];
	l->err = perr[0];
	/* Nor may the next child (lobbyd, another lobby) hold them. */
	(void)fcntl(l->in, F_SETFD, FD_CLOEXEC);
	(void)fcntl(l->out, F_SETFD, FD_CLOEXEC);
	(void)fcntl(l->err, F_SETFD, FD_CLOEXEC);
	if (stdin_null) {
		close(l->in);
		l->in = -1;
	}
	return l;
}

/* Read what lobby wrote, for up to ms; returns at EOF on both. */
static void
lob_pump(struct lob *l, int ms)
{
	long long end = h_now_ms() + ms;
	struct pollfd p[2];
	ssize_t n;
	int left;

	while (l->out != -1 || l->err != -1) {
		left = (int)(end - h_now_ms());
		if (left <= 0)
			return;
		p[0].fd = l->out;
		p[1].fd = l->err;
		p[0].events = p[1].events = POLLIN;
		if (poll(p, 2, left) <= 0)
			continue;
		if (p[0].revents != 0) {
			n = read(l->out, l->obuf + l->olen, OUTMAX - 1 - l->olen);
			if (n <= 0) {
				close(l->out);
				l->out = -1;
			} else
				l->olen += (size_t)n;
			l->obuf[l->olen] = '\0';
		}
		if (p[1].revents != 0) {
			n = read(l->err, l->ebuf + l->elen, OUTMAX - 1 - l->elen);
			if (n <= 0) {
				close(l->err);
				l->err = -1;
			} else
				l->elen += (size_t)n;
			l->ebuf[l->elen] = '\0';
		}
	}
}

/* Wait until stdout holds needle (up to ms). */
static bool
lob_out_has(struct lob *l, const char *needle, int ms)
{
	long long end = h_now_ms() + ms;

	while (strstr(l->obuf, needle) == NULL && h_now_ms() < end &&
	    l->out != -1)
		lob_pump(l, 20);
	return strstr(l->obuf, needle) != NULL;
}

/* Close lobby's stdin: the end of its input. */
static void
lob_eof(struct lob *l)
{
	if (l->in != -1) {
		close(l->in);
		l->in = -1;
	}
}

/*
 * Wait (bounded) for lobby to exit, reading its output meanwhile.
 * Returns its exit status, or -1 when it did not exit normally in time.
 */
static int
lob_wait(struct lob *l, int ms)
{
	long long end = h_now_ms() + ms;

	while (h_now_ms() < end) {
		lob_pump(l, 20);
		if (h_wait_pid(l->pid, &l->status, 0) == 0) {
			l->pid = -1;
			lob_pump(l, 200);
			return WIFEXITED(l->status) ? WEXITSTATUS(l->status) :
			    -1;
		}
	}
	return -1;
}

/* Kill if still running, close everything, free. */
static void
lob_free(struct lob *l)
{
	h_kill_child(&l->pid, &l->status);
	lob_eof(l);
	if (l->out != -1)
		close(l->out);
	if (l->err != -1)
		close(l->err);
	free(l);
}

/* Send all of s to lobby's stdin. */
static void
lob_write(struct lob *l, const char *s)
{
	size_t n = strlen(s);
	ssize_t w;

	while (n > 0) {
		w = write(l->in, s, n);
		assert_true(w > 0);
		s += w;
		n -= (size_t)w;
	}
}

/*
 * Start lobbyd for a test (the fixture records it) and write its port
 * (as lobby takes it) into port.
 */
static void
lob_server(struct h_server *s, char *port, size_t len)
{
	assert_int_equal(h_start(s, NULL), 0);
	snprintf(port, len, "%u", s->port);
}

/*
 * Start lobbyd as lob_server() does, join bob to it, and start lobby -n
 * nick (stdin a pipe) to join after him.
 */
static struct lob *
lob_with_bob(struct h_server *s, struct h_conn **bob, const char *nick)
{
	char port[16];

	lob_server(s, port, sizeof port);
	*bob = h_join(s, NULL);
	return lob_start(false, "-n", nick, "127.0.0.1", port, NULL);
}

/* ------------------------------------------------------------------ */

/* printf 'hello\n' | lobby -n bot: lines go out, then /quit, exit 0. */
static void
test_pipe_sends_then_quits(void **state)
{
	struct h_server s;
	struct h_conn *bob;
	struct lob *l;

	(void)state;
	l = lob_with_bob(&s, &bob, "bot");
	lob_write(l, "hello\n/me waves\n\n//slash\nno newline at the end");
	lob_eof(l);
	h_expect(bob, "*** guest2 joined");
	h_expect(bob, "*** guest2 is now bot");
	h_expect(bob, "<bot> hello");
	h_expect(bob, "* bot waves");
	h_expect(bob, "<bot> /slash");
	h_expect(bob, "<bot> no newline at the end");
	h_expect(bob, "*** bot left");
	assert_int_equal(lob_wait(l, 4000), 0);
	/* stdout: only what the server sent; stderr: nothing. */
	assert_non_null(strstr(l->obuf,
	    "*** welcome to lobby, you are guest2 (2 online; /help for "
	    "commands)\n*** guest2 is now bot\n"));
	assert_null(strstr(l->obuf, "<bot>"));
	assert_string_equal(l->ebuf, "");
	lob_free(l);
	h_close(bob);
	h_stop(&s);
}

/*
 * A line over the server's limit (the default, 1024, or --max-line) is
 * not sent from a pipe either: stderr says so, the next lines go.
 */
static void
test_pipe_max_line(void **state)
{
	struct h_server s;
	struct h_conn *bob;
	struct lob *l;
	char *big;

	(void)state;
	l = lob_with_bob(&s, &bob, "bot");
	big = malloc(1200);
	assert_non_null(big);
	memset(big, 'x', 1100);
	strcpy(big + 1100, "\nafter\n");
	lob_write(l, big);
	close(l->in);
	l->in = -1;
	h_expect(bob, "*** guest2 joined");
	h_expect(bob, "*** guest2 is now bot");
	h_expect(bob, "<bot> after");
	assert_int_equal(lob_wait(l, 4000), 0);
	assert_non_null(strstr(l->ebuf, "lobby: line too long (1100 bytes, "
	    "the server takes 1024): not sent"));
	free(big);
	lob_free(l);
	h_close(bob);
	h_stop(&s);
}

/*
 * With a --max-line above 64 KiB (lobbyd's and lobby's), a line of 70000
 * bytes is within it: it goes from a pipe like any other. One over the
 * limit still stays behind, named with the limit.
 */
static void
test_pipe_max_line_big(void **state)
{
	struct h_server s;
	struct h_conn *bob;
	struct lob *l;
	char port[16], *big, *want;
	const char *got;

	(void)state;
	assert_int_equal(h_start(&s, "--max-line", "100000", NULL), 0);
	snprintf(port, sizeof port, "%u", s.port);
	bob = h_join(&s, NULL);
	l = lob_start(false, "-n", "bot", "--max-line", "100000",
	    "127.0.0.1", port, NULL);
	big = malloc(200000 + 16);
	want = malloc(70000 + 16);
	assert_non_null(big);
	assert_non_null(want);
	memset(big, 'x', 70000);
	strcpy(big + 70000, "\n");
	strcpy(want, "<bot> ");
	memset(want + 6, 'x', 70000);
	want[6 + 70000] = '\0';
	lob_write(l, big);
	memset(big, 'y', 150000);
	strcpy(big + 150000, "\nafter\n");
	lob_write(l, big);
	lob_eof(l);
	h_expect(bob, "*** guest2 joined");
	h_expect(bob, "*** guest2 is now bot");
	got = h_line(bob, H_TIMEOUT_MS);
	assert_non_null(got);
	assert_true(strcmp(got, want) == 0);
	h_expect(bob, "<bot> after");
	assert_int_equal(lob_wait(l, 4000), 0);
	assert_non_null(strstr(l->ebuf, "lobby: line too long (over 100000 "
	    "bytes, the server takes 100000): not sent"));
	free(big);
	free(want);
	lob_free(l);
	h_close(bob);
	h_stop(&s);
}

/*
 * A 0xFF byte (Latin-1, or junk) goes as the server reads it: doubled, or
 * a 0xFF 0xFA would open a telnet subnegotiation on the server that
 * swallows every later line, /quit too. A line of 1024 of them is within
 * the default limit (each counts once) and arrives as 1024 U+FFFD.
 */
static void
test_pipe_iac(void **state)
{
	struct h_server s;
	struct h_conn *bob;
	struct lob *l;
	char *in, *want;
	size_t i;

	(void)state;
	l = lob_with_bob(&s, &bob, "bot");
	in = malloc(1024 + 64);
	want = malloc(1024 * 3 + 16);
	assert_non_null(in);
	assert_non_null(want);
	memset(in, 0xff, 1024);
	strcpy(in + 1024, "\n");
	strcpy(want, "<bot> ");
	for (i = 0; i < 1024; i++)
		memcpy(want + 6 + 3 * i, "\xef\xbf\xbd", 3);
	want[6 + 3 * 1024] = '\0';
	lob_write(l, "\xff\xfa latin-1 text\nhello\n");
	lob_write(l, in);
	lob_write(l, "after\n/quit bye\n");
	h_expect(bob, "*** guest2 joined");
	h_expect(bob, "*** guest2 is now bot");
	h_expect(bob, "<bot> \xef\xbf\xbd\xef\xbf\xbd latin-1 text");
	h_expect(bob, "<bot> hello");
	h_expect(bob, want);
	h_expect(bob, "<bot> after");
	h_expect(bob, "*** bot left (bye)");
	assert_int_equal(lob_wait(l, 4000), 0);
	assert_string_equal(l->ebuf, "");
	free(in);
	free(want);
	lob_free(l);
	h_close(bob);
	h_stop(&s);
}

/* A /quit with a reason in the input ends the session there. */
static void
test_pipe_quit_line(void **state)
{
	struct h_server s;
	struct h_conn *bob;
	struct lob *l;

	(void)state;
	l = lob_with_bob(&s, &bob, "bot");
	lob_write(l, "one\n/QUIT see you\ntwo\n");
	h_expect(bob, "*** guest2 joined");
	h_expect(bob, "*** guest2 is now bot");
	h_expect(bob, "<bot> one");
	h_expect(bob, "*** bot left (see you)");
	assert_int_equal(lob_wait(l, 4000), 0);
	h_nothing(bob);
	lob_free(l);
	h_close(bob);
	h_stop(&s);
}

/* A logger: stdin stays open, lines show on stdout as they arrive. */
static void
test_pipe_logger(void **state)
{
	struct h_server s;
	struct h_conn *bob;
	struct lob *l;
	char port[16], nick[32], want[64];

	(void)state;
	lob_server(&s, port, sizeof port);
	l = lob_start(false, "-n", "logger", "127.0.0.1", port, NULL);
	assert_true(lob_out_has(l, "*** guest1 is now logger\n", 3000));
	bob = h_join(&s, nick);
	snprintf(want, sizeof want, "*** %s joined\n", nick);
	assert_true(lob_out_has(l, want, 3000));
	h_send(bob, "first 你好\n");
	snprintf(want, sizeof want, "<%s> first 你好\n", nick);
	assert_true(lob_out_has(l, want, 3000));
	h_send(bob, "second\n");
	snprintf(want, sizeof want, "<%s> second\n", nick);
	assert_true(lob_out_has(l, want, 3000));
	/* Still running: nothing was written to its stdin. */
	assert_true(l->pid > 0 && waitpid(l->pid, &l->status, WNOHANG) == 0);
	lob_eof(l);
	h_expect(bob, "*** logger left");
	assert_int_equal(lob_wait(l, 4000), 0);
	lob_free(l);
	h_close(bob);
	h_stop(&s);
}

/* stdin at EOF at once (/dev/null): /quit straight away, exit 0. */
static void
test_pipe_devnull(void **state)
{
	struct h_server s;
	struct h_conn *bob;
	struct lob *l;
	char port[16];

	(void)state;
	lob_server(&s, port, sizeof port);
	bob = h_join(&s, NULL);
	l = lob_start(true, "127.0.0.1", port, NULL);
	h_expect(bob, "*** guest2 joined");
	h_expect(bob, "*** guest2 left");
	assert_int_equal(lob_wait(l, 4000), 0);
	lob_free(l);
	h_close(bob);
	h_stop(&s);
}

/* The server goes away first: the message on stderr, exit 1. */
static void
test_server_loss(void **state)
{
	struct h_server s;
	struct lob *l;
	char port[16];

	(void)state;
	lob_server(&s, port, sizeof port);
	l = lob_start(false, "127.0.0.1", port, NULL);
	assert_true(lob_out_has(l, "*** welcome to lobby", 3000));
	h_stop(&s);
	assert_int_equal(lob_wait(l, 4000), 1);
	assert_non_null(strstr(l->ebuf, "*** disconnected from server\n"));
	assert_null(strstr(l->obuf, "disconnected"));
	lob_free(l);
}

/* Nobody listening: a clear error and exit 1. */
static void
test_cannot_connect(void **state)
{
	struct h_server s;
	struct lob *l;
	char port[16];

	(void)state;
	/* A port that was just free: a server had it a moment ago. */
	lob_server(&s, port, sizeof port);
	h_stop(&s);
	l = lob_start(true, "127.0.0.1", port, NULL);
	assert_int_equal(lob_wait(l, 4000), 1);
	assert_non_null(strstr(l->ebuf, "lobby: cannot connect to 127.0.0.1"));
	assert_non_null(strstr(l->ebuf, "refused"));
	assert_string_equal(l->obuf, "");
	lob_free(l);

	l = lob_start(true, "-u", "/nonexistent/lobby.sock", NULL);
	assert_int_equal(lob_wait(l, 4000), 1);
	assert_non_null(strstr(l->ebuf,
	    "cannot connect to unix:/nonexistent/lobby.sock"));
	lob_free(l);

	/* A port that is no number or service: the port is named too. */
	l = lob_start(true, "127.0.0.1", "nosuchservice", NULL);
	assert_int_equal(lob_wait(l, 4000), 1);
	assert_non_null(strstr(l->ebuf,
	    "lobby: cannot resolve 127.0.0.1 port nosuchservice: "));
	lob_free(l);
}

/* Bad command lines: usage on stderr, exit 2. */
static void
test_bad_usage(void **state)
{
	struct lob *l;

	(void)state;
	l = lob_start(true, "-n", "no spaces", NULL);
	assert_int_equal(lob_wait(l, 4000), 2);
	assert_non_null(strstr(l->ebuf, "invalid nick"));
	lob_free(l);
	l = lob_start(true, "--bogus", NULL);
	assert_int_equal(lob_wait(l, 4000), 2);
	assert_non_null(strstr(l->ebuf, "usage: lobby"));
	lob_free(l);
	l = lob_start(true, "localhost", "70000", NULL);
	assert_int_equal(lob_wait(l, 4000), 2);
	lob_free(l);
	l = lob_start(true, "--help", NULL);
	assert_int_equal(lob_wait(l, 4000), 0);
	assert_non_null(strstr(l->obuf, "usage: lobby"));
	lob_free(l);
}

/* A paste of 1000 lines: every one arrives, in order. */
static void
test_pipe_paste_1000(void **state)
{
	struct h_server s;
	struct h_conn *bob;
	struct lob *l;
	char *text, want[160];
	const char *got;
	size_t off = 0;
	int i;

	(void)state;
	l = lob_with_bob(&s, &bob, "paster");
	/* 1000 lines of 100 bytes: more than a pipe holds at once. */
	text = malloc(1000 * 101 + 1);
	assert_non_null(text);
	for (i = 0; i < 1000; i++)
		off += (size_t)sprintf(text + off, "line %04d %089d\n", i, i);
	lob_write(l, text);
	lob_eof(l);
	h_expect(bob, "*** guest2 joined");
	h_expect(bob, "*** guest2 is now paster");
	for (i = 0; i < 1000; i++) {
		snprintf(want, sizeof want, "<paster> line %04d %089d", i, i);
		got = h_line(bob, H_TIMEOUT_MS);
		assert_non_null(got);
		assert_string_equal(got, want);
	}
	h_expect(bob, "*** paster left");
	assert_int_equal(lob_wait(l, 5000), 0);
	free(text);
	lob_free(l);
	h_close(bob);
	h_stop(&s);
}

/* -u PATH: the Unix-domain listener. */
static void
test_unix_socket(void **state)
{
	struct h_server s;
	struct h_conn *bob;
	struct lob *l;
	char path[64];

	(void)state;
	snprintf(path, sizeof path, "/tmp/lobby-client-%ld.sock",
	    (long)getpid());
	assert_int_equal(h_start(&s, "-u", path, NULL), 0);
	bob = h_join(&s, NULL);
	l = lob_start(false, "-u", path, "-n", "unixer", NULL);
	lob_write(l, "over a unix socket\n");
	lob_eof(l);
	h_expect(bob, "*** guest2 joined");
	h_expect(bob, "*** guest2 is now unixer");
	h_expect(bob, "<unixer> over a unix socket");
	h_expect(bob, "*** unixer left");
	assert_int_equal(lob_wait(l, 4000), 0);
	lob_free(l);
	h_close(bob);
	h_stop(&s);
	unlink(path);
}

/*
 * A fake server for lobby to connect to: a listening socket on loopback
 * (returned), its port written into port.
 */
static int
fake_listen(char *port, size_t len)
{
	union {
		struct sockaddr		sa;
		struct sockaddr_in	in;
	} a;
	socklen_t alen = sizeof a;
	int lfd;

	memset(&a, 0, sizeof a);
	a.in.sin_family = AF_INET;
	a.in.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_true((lfd = socket(AF_INET, SOCK_STREAM, 0)) != -1);
	assert_int_equal(bind(lfd, &a.sa, sizeof a.in), 0);
	assert_int_equal(listen(lfd, 1), 0);
	assert_int_equal(getsockname(lfd, &a.sa, &alen), 0);
	snprintf(port, len, "%u", ntohs(a.in.sin_port));
	return lfd;
}

/* The connection lobby made to fake server lfd (bounded wait). */
static int
fake_accept(int lfd)
{
	struct pollfd pfd = { .fd = lfd, .events = POLLIN };
	int fd;

	/* Bounded: a lobby that never connects fails the test, not hangs it. */
	assert_int_equal(poll(&pfd, 1, H_TIMEOUT_MS), 1);
	assert_true((fd = accept(lfd, NULL, NULL)) != -1);
	return fd;
}

/*
 * Write block[0..total) to lobby over fd (non-blocking) while reading its
 * stdout, until "<y> marker" shows there or ms pass. Returns whether it
 * showed.
 */
static bool
fake_feed_until_marker(struct lob *l, int fd, const char *block,
    size_t total, long long ms)
{
	struct pollfd p[2];
	char out[65536 + 32];
	size_t sent = 0, keep = 0, off;
	long long end = h_now_ms() + ms;
	ssize_t n;
	bool found = false;

	(void)fcntl(fd, F_SETFL, O_NONBLOCK);
	while (!found && h_now_ms() < end) {
		p[0].fd = fd;
		p[0].events = sent < total ? POLLOUT : 0;
		p[1].fd = l->out;
		p[1].events = POLLIN;
		if (poll(p, 2, 100) <= 0)
			continue;
		if ((p[0].revents & POLLOUT) &&
		    (n = write(fd, block + sent, total - sent)) > 0)
			sent += (size_t)n;
		if (p[1].revents != 0) {
			n = read(l->out, out + keep, sizeof out - 1 - keep);
			assert_true(n > 0);
			off = keep + (size_t)n;
			out[off] = '\0';
			found = strstr(out, "<y> marker") != NULL;
			/* Keep a tail: the marker may come in two reads. */
			keep = off < 32 ? off : 32;
			memmove(out, out + off - keep, keep);
		}
	}
	return found;
}

/*
 * A hostile server: lobby cleans what it prints all the same (escape
 * sequences, bells, bad UTF-8, bidirectional controls and line
 * separators), and shows the last line without LF.
 */
static void
test_hostile_server(void **state)
{
	static const char evil[] = "*** welcome to lobby, you are x (1 "
	    "online; /help for commands)\r\n<x> \033[2Jclear\a bell \xc0\xaf "
	    "\xe4\xbd\n<x> abc\xe2\x80\xae" "fed\xe2\x81\xa6" "x"
	    "\xe2\x80\xa8" "y\n"
	    "<x> no LF at the end";
	struct lob *l;
	char port[16], in[64];
	int lfd, fd;

	(void)state;
	lfd = fake_listen(port, sizeof port);
	l = lob_start(false, "127.0.0.1", port, NULL);
	fd = fake_accept(lfd);
	assert_int_equal(write(fd, evil, sizeof evil - 1),
	    (ssize_t)(sizeof evil - 1));
	/* It sends /quit at EOF, and then the server closes. */
	lob_eof(l);
	assert_true(read(fd, in, sizeof in) > 0);
	assert_non_null(strstr(in, "/quit\n"));
	close(fd);
	close(lfd);
	assert_int_equal(lob_wait(l, 4000), 0);
	assert_string_equal(l->obuf,
	    "*** welcome to lobby, you are x (1 online; /help for "
	    "commands)\n<x> [2Jclear bell \xef\xbf\xbd\xef\xbf\xbd "
	    "\xef\xbf\xbd\n<x> abcfedxy\n<x> no LF at the end\n");
	lob_free(l);
}

/*
 * A hostile server opens a history replay (after a chat line, so lobby
 * holds it to compare with what it showed) and never ends it: lobby
 * holds a bounded amount, then shows the lines as they come, so a line
 * sent after 12 MB of them reaches stdout while the replay is still open.
 */
static void
test_hostile_endless_history(void **state)
{
	static const char head[] = "*** welcome to lobby, you are x (1 "
	    "online; /help for commands)\n<y> hi\n*** last 3 messages:\n";
	static const char tail[] = "[12:00] <y> marker\n";
	struct lob *l;
	char port[16], *block;
	size_t blen;
	int lfd, fd, i;

	(void)state;
	lfd = fake_listen(port, sizeof port);
	l = lob_start(false, "127.0.0.1", port, NULL);
	fd = fake_accept(lfd);
	/* 12 MB: the head, 200000 history lines of 60 bytes, the marker. */
	block = malloc(13 * 1024 * 1024);
	assert_non_null(block);
	memcpy(block, head, sizeof head - 1);
	blen = sizeof head - 1;
	for (i = 0; i < 200000; i++)
		blen += (size_t)sprintf(block + blen, "[12:00] <y> %047d\n", i);
	memcpy(block + blen, tail, sizeof tail - 1);
	blen += sizeof tail - 1;
	assert_true(fake_feed_until_marker(l, fd, block, blen,
	    4 * H_TIMEOUT_MS));
	free(block);
	close(fd);
	close(lfd);
	lob_free(l);
}

/*
 * A /rooms answer of 400000 rooms (some 4.4 MB, within what lobby takes)
 * and a /who answer of as many nicks, each in reverse order: lobby keeps
 * both for Tab, sorted, and must not take quadratic time to do it (it
 * took some 15 s for each); the line after them shows within the wait.
 */
static void
test_hostile_huge_lists(void **state)
{
	static const char head[] = "*** welcome to lobby, you are x (1 "
	    "online; /help for commands)\n";
	struct lob *l;
	char port[16], *block;
	size_t blen;
	int lfd, fd, i;

	(void)state;
	lfd = fake_listen(port, sizeof port);
	block = malloc(10 * 1024 * 1024);
	assert_non_null(block);
	memcpy(block, head, sizeof head - 1);
	blen = sizeof head - 1;
	blen += (size_t)sprintf(block + blen, "*** 400000 rooms:");
	for (i = 400000; i > 0; i--)
		blen += (size_t)sprintf(block + blen, " r%06d (1)", i);
	blen += (size_t)sprintf(block + blen, "\n*** 400000 online:");
	for (i = 400000; i > 0; i--)
		blen += (size_t)sprintf(block + blen, " n%06d", i);
	blen += (size_t)sprintf(block + blen, "\n<y> marker\n");
	l = lob_start(false, "127.0.0.1", port, NULL);
	fd = fake_accept(lfd);
	assert_true(fake_feed_until_marker(l, fd, block, blen, H_TIMEOUT_MS));
	free(block);
	close(fd);
	close(lfd);
	lob_free(l);
}

/*
 * --help and --version that cannot be written (a full disk, a closed
 * pipe) say so on stderr and exit 1, as a Unix tool does: a script must
 * not take nothing for the version.
 */
static void
test_stdout_full(void **state)
{
	(void)state;
	h_stdout_full(h_lobby_path());
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		h_test(test_pipe_sends_then_quits),
		h_test(test_pipe_quit_line),
		h_test(test_pipe_max_line),
		h_test(test_pipe_max_line_big),
		h_test(test_pipe_iac),
		h_test(test_pipe_logger),
		h_test(test_pipe_devnull),
		h_test(test_server_loss),
		h_test(test_cannot_connect),
		h_test(test_bad_usage),
		h_test(test_stdout_full),
		h_test(test_pipe_paste_1000),
		h_test(test_unix_socket),
		h_test(test_hostile_server),
		h_test(test_hostile_endless_history),
		h_test(test_hostile_huge_lists),
	};

	signal(SIGPIPE, SIG_IGN);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
