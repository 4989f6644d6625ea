/* test_activation: lobbyd serving listening sockets passed to it at start. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "harness.h"

#define ACT_MAXFDS	4	/* the most sockets one test passes */
#define ACT_HIGHFD	64	/* parked here while fds 3... are filled */

/* LISTEN_PID for the child: its own pid, or the parent's (not for it). */
enum act_pid {
	ACT_PID_CHILD,
	ACT_PID_PARENT,
};

/* A TCP socket on 127.0.0.1, port picked by the kernel; listening or not. */
static int
act_tcp(bool listening, unsigned *port)
{
	struct sockaddr_in a;
	socklen_t len = sizeof a;
	int fd, one = 1;

	memset(&a, 0, sizeof a);
	a.sin_family = AF_INET;
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	fd = socket(AF_INET, SOCK_STREAM, 0);
	assert_true(fd >= 0);
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
	assert_int_equal(bind(fd, (struct sockaddr *)&a, sizeof a), 0);
	if (listening)
		assert_int_equal(listen(fd, 16), 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&a, &len), 0);
	*port = ntohs(a.sin_port);
	return fd;
}

/* A listening Unix-domain socket at a fresh path, written to path. */
static int
act_unix(char *path, size_t pathlen)
{
	struct sockaddr_un a;
	int fd;

	snprintf(path, pathlen, "/tmp/lobbyd-act-%ld-%lld.sock",
	    (long)getpid(), h_now_ms());
	unlink(path);
	memset(&a, 0, sizeof a);
	a.sun_family = AF_UNIX;
	snprintf(a.sun_path, sizeof a.sun_path, "%s", path);
	fd = socket(AF_UNIX, SOCK_STREAM, 0);
	assert_true(fd >= 0);
	assert_int_equal(bind(fd, (struct sockaddr *)&a, sizeof a), 0);
	assert_int_equal(listen(fd, 16), 0);
	return fd;
}

/*
 * Start lobbyd the way a service manager does: the n fds become 3, 4, ...
 * in the child, LISTEN_FDS says how many (or holds nfds_text when that is
 * not NULL), LISTEN_PID names the child (or, to test that it is checked,
 * the parent). args is a NULL-terminated argument list after "lobbyd".
 * The server's stderr goes to a temporary file, as the harness does. The
 * caller's copies of the fds are closed. Returns the child's pid.
 */
static pid_t
act_spawn(struct h_server *s, const int *fds, int n, const char *nfds_text,
    enum act_pid who, const char *const *args)
{
	const char *argv[48];
	char text[32];
	int i, k = 0, logfd, high[ACT_MAXFDS];
	pid_t parent = getpid();

	assert_true(n <= ACT_MAXFDS);
	memset(s, 0, sizeof *s);
	s->pid = -1;
	snprintf(s->logpath, sizeof s->logpath, "/tmp/lobbyd-test-XXXXXX");
	logfd = mkstemp(s->logpath);
	assert_true(logfd >= 0);
	argv[k++] = h_lobbyd_path();
	while (*args != NULL && k < 45)
		argv[k++] = *args++;
	if (h_loop() != NULL) {
		argv[k++] = "--loop";
		argv[k++] = h_loop();
	}
	argv[k] = NULL;
	fflush(NULL);
	s->pid = fork();
	assert_true(s->pid >= 0);
	if (s->pid == 0) {
		dup2(logfd, STDERR_FILENO);
		/* Park the sockets out of the way: one may already be fd 3. */
		for (i = 0; i < n; i++)
			high[i] = fcntl(fds[i], F_DUPFD, ACT_HIGHFD + i);
		for (i = 0; i < n; i++) {
			dup2(high[i], 3 + i);
			close(high[i]);
		}
		snprintf(text, sizeof text, "%d", n);
		setenv("LISTEN_FDS", nfds_text != NULL ? nfds_text : text, 1);
		snprintf(text, sizeof text, "%ld", who == ACT_PID_CHILD ?
		    (long)getpid() : (long)parent);
		setenv("LISTEN_PID", text, 1);
		execv(argv[0], (char *const *)argv);
		fprintf(stderr, "cannot run %s: %s\n", argv[0],
		    strerror(errno));
		_exit(127);
	}
	close(logfd);
	h_track(s);
	for (i = 0; i < n; i++)
		close(fds[i]);
	return s->pid;
}

/* The server refused what it was given: it exits 1, logging msg. */
static void
act_refused(struct h_server *s, const char *msg)
{
	int st;

	st = h_wait_exit(s, H_TIMEOUT_MS);
	assert_true(WIFEXITED(st));
	assert_int_equal(WEXITSTATUS(st), 1);
	assert_true(h_log_has(s, msg, 0));
	h_stop(s);
}

/* Count the "listening on" lines in the server's stderr. */
static int
act_listeners(struct h_server *s)
{
	char *text = h_log(s), *p;
	int n = 0;

	for (p = text; (p = strstr(p, "listening on ")) != NULL; p++)
		n++;
	free(text);
	return n;
}

/* Wait (bounded) until the server has announced n listeners. */
static bool
act_wait_listeners(struct h_server *s, int n)
{
	long long end = h_now_ms() + H_TIMEOUT_MS;

	while (act_listeners(s) < n && h_now_ms() < end)
		h_sleep_ms(10);
	return act_listeners(s) == n;
}

/* Two clients in the room: a line from one reaches the other. */
static void
act_chat(struct h_conn *a, struct h_conn *b, const char *nick_a,
    const char *nick_b)
{
	char want[64];

	snprintf(want, sizeof want, "*** %s joined", nick_b);
	h_expect(a, want);
	h_send(b, "/nick bob\n");
	snprintf(want, sizeof want, "*** %s is now bob", nick_b);
	h_expect(b, want);
	h_expect(a, want);
	h_send(a, "hello over a passed socket\n");
	snprintf(want, sizeof want, "<%s> hello over a passed socket", nick_a);
	h_expect(b, want);
}

/* One passed TCP socket: served, and no listener of lobbyd's own. */
static void
test_tcp(void **state)
{
	const char *const args[] = { NULL };
	struct h_server s;
	struct h_conn *a, *b;
	char want[64], na[32], nb[32];
	unsigned port;
	int fd;

	(void)state;
	fd = act_tcp(true, &port);
	act_spawn(&s, &fd, 1, NULL, ACT_PID_CHILD, args);
	snprintf(want, sizeof want, "lobbyd: listening on 127.0.0.1:%u\n",
	    port);
	assert_true(h_log_has(&s, want, H_TIMEOUT_MS));
	s.port = port;
	a = h_join(&s, na);
	b = h_join(&s, nb);
	act_chat(a, b, na, nb);
	/* Without -b it opened nothing of its own, not even 12580. */
	assert_int_equal(act_listeners(&s), 1);
	h_close(a);
	h_close(b);
	assert_int_equal(h_stop_sig(&s, SIGTERM), 0);
	h_stop(&s);
}

/* A TCP and a Unix socket; the socket file is left to whoever made it. */
static void
test_tcp_and_unix(void **state)
{
	const char *const args[] = { "-q", NULL };
	struct h_server s;
	struct h_conn *a, *b;
	const char *line;
	char path[108], want[160], na[32], nb[32];
	struct stat st;
	unsigned port;
	int fds[2];

	(void)state;
	fds[0] = act_tcp(true, &port);
	fds[1] = act_unix(path, sizeof path);
	act_spawn(&s, fds, 2, NULL, ACT_PID_CHILD, args);
	snprintf(want, sizeof want, "lobbyd: listening on unix:%s\n", path);
	assert_true(h_log_has(&s, want, H_TIMEOUT_MS));
	snprintf(want, sizeof want, "lobbyd: listening on 127.0.0.1:%u\n",
	    port);
	assert_true(h_log_has(&s, want, H_TIMEOUT_MS));
	s.port = port;
	a = h_join(&s, na);
	b = h_connect_unix(path);
	assert_non_null(b);
	line = h_line(b, H_TIMEOUT_MS);
	assert_non_null(line);
	assert_int_equal(sscanf(line, "*** welcome to lobby, you are %31[^ ]",
	    nb), 1);
	act_chat(a, b, na, nb);
	h_close(a);
	h_close(b);
	assert_int_equal(h_stop_sig(&s, SIGTERM), 0);
	assert_int_equal(stat(path, &st), 0);
	unlink(path);
	h_stop(&s);
}

/* -b adds a listener of lobbyd's own next to the passed one. */
static void
test_with_bind(void **state)
{
	const char *const args[] = { "-b", "127.0.0.1", "-p", "0", NULL };
	struct h_server s;
	struct h_conn *a;
	unsigned port;
	int fd;

	(void)state;
	fd = act_tcp(true, &port);
	act_spawn(&s, &fd, 1, NULL, ACT_PID_CHILD, args);
	assert_true(act_wait_listeners(&s, 2));
	s.port = port;
	a = h_join(&s, NULL);
	h_close(a);
	assert_int_equal(h_stop_sig(&s, SIGTERM), 0);
	h_stop(&s);
}

/* LISTEN_PID of another process: the variables are not for this one. */
static void
test_other_pid(void **state)
{
	const char *const args[] = { "-b", "127.0.0.1", "-p", "0", NULL };
	struct h_server s;
	char want[64];
	unsigned port;
	int fd;

	(void)state;
	fd = act_tcp(true, &port);
	act_spawn(&s, &fd, 1, NULL, ACT_PID_PARENT, args);
	assert_true(h_log_has(&s, "lobbyd: listening on 127.0.0.1:",
	    H_TIMEOUT_MS));
	snprintf(want, sizeof want, "listening on 127.0.0.1:%u\n", port);
	assert_false(h_log_has(&s, want, 200));
	assert_int_equal(act_listeners(&s), 1);
	assert_int_equal(h_stop_sig(&s, SIGTERM), 0);
	h_stop(&s);
}

/* A socket that does not listen is refused: exit 1, saying which fd. */
static void
test_not_listening(void **state)
{
	const char *const args[] = { NULL };
	struct h_server s;
	unsigned port;
	int fd;

	(void)state;
	fd = act_tcp(false, &port);
	act_spawn(&s, &fd, 1, NULL, ACT_PID_CHILD, args);
	act_refused(&s, "lobbyd: fd 3 from LISTEN_FDS is not a listening "
	    "socket");
}

/* Something that is not a socket at all (a pipe) is refused too. */
static void
test_not_socket(void **state)
{
	const char *const args[] = { NULL };
	struct h_server s;
	unsigned port;
	int fds[2], p[2];

	(void)state;
	fds[0] = act_tcp(true, &port);
	assert_int_equal(pipe(p), 0);
	fds[1] = p[0];
	act_spawn(&s, fds, 2, NULL, ACT_PID_CHILD, args);
	close(p[1]);
	act_refused(&s, "lobbyd: fd 4 from LISTEN_FDS is not a listening "
	    "socket (not a socket)");
}

/* LISTEN_FDS that is not a number is an error, not "no sockets". */
static void
test_bad_count(void **state)
{
	const char *const args[] = { NULL };
	struct h_server s;
	unsigned port;
	int fd;

	(void)state;
	fd = act_tcp(true, &port);
	act_spawn(&s, &fd, 1, "one", ACT_PID_CHILD, args);
	act_refused(&s, "LISTEN_FDS=one");
}

/*
 * Listeners fill one table: inherited sockets, -b and -u together are
 * bounded, and one too many is a usage error (exit 2), not a crash.
 */
static void
test_too_many_listeners(void **state)
{
	const char *args[48];
	struct h_server s;
	char many[64];
	unsigned port;
	int fds[2], k, i, st;

	(void)state;
	snprintf(many, sizeof many, "/tmp/lobbyd-act-%ld-many.sock",
	    (long)getpid());
	/* 2 inherited + 16 -b: one table's worth too many. */
	k = 0;
	for (i = 0; i < 16; i++) {
		args[k++] = "-b";
		args[k++] = "127.0.0.1";
	}
	args[k++] = "-p";
	args[k++] = "0";
	args[k] = NULL;
	fds[0] = act_tcp(true, &port);
	fds[1] = act_tcp(true, &port);
	act_spawn(&s, fds, 2, NULL, ACT_PID_CHILD, args);
	st = h_wait_exit(&s, H_TIMEOUT_MS);
	assert_true(WIFEXITED(st));
	assert_int_equal(WEXITSTATUS(st), 2);
	assert_true(h_log_has(&s, "too many listeners", 0));
	assert_true(h_log_has(&s, "usage: lobbyd", 0));
	h_stop(&s);

	/* 2 inherited + 13 -b + -u is 16: all served. */
	k = 0;
	for (i = 0; i < 13; i++) {
		args[k++] = "-b";
		args[k++] = "127.0.0.1";
	}
	args[k++] = "-p";
	args[k++] = "0";
	args[k++] = "-u";
	args[k++] = many;
	args[k] = NULL;
	fds[0] = act_tcp(true, &port);
	fds[1] = act_tcp(true, &port);
	act_spawn(&s, fds, 2, NULL, ACT_PID_CHILD, args);
	assert_true(act_wait_listeners(&s, 16));
	st = h_stop_sig(&s, SIGTERM);
	assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	h_stop(&s);

	/* One more -b than that: refused. */
	args[k++] = "-b";
	args[k++] = "127.0.0.1";
	args[k] = NULL;
	fds[0] = act_tcp(true, &port);
	fds[1] = act_tcp(true, &port);
	act_spawn(&s, fds, 2, NULL, ACT_PID_CHILD, args);
	st = h_wait_exit(&s, H_TIMEOUT_MS);
	assert_true(WIFEXITED(st));
	assert_int_equal(WEXITSTATUS(st), 2);
	h_stop(&s);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		h_test(test_tcp),
		h_test(test_tcp_and_unix),
		h_test(test_with_bind),
		h_test(test_other_pid),
		h_test(test_not_listening),
		h_test(test_not_socket),
		h_test(test_bad_count),
		h_test(test_too_many_listeners),
	};

	signal(SIGPIPE, SIG_IGN);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
