/* test_daemon: daemon hygiene: stdio, the Unix socket, logs, the command line. */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>
#include <linux/capability.h>

#include "harness.h"

#define DM_STILL_RUNNING	(-2)	/* dm_run(): it did not exit */

/* A fresh directory for the sockets of one test, written to dir. */
static void
dm_dir(char *dir, size_t len)
{
	snprintf(dir, len, "/tmp/lobbyd-dm-XXXXXX");
	assert_non_null(mkdtemp(dir));
}

/* Read all of the file at path into out (outlen bytes, NUL included). */
static void
dm_slurp(const char *path, char *out, size_t outlen)
{
	int fd = open(path, O_RDONLY);
	ssize_t n = fd == -1 ? 0 : read(fd, out, outlen - 1);

	out[n > 0 ? n : 0] = '\0';
	if (fd != -1)
		close(fd);
}

/*
 * Run lobbyd with the NULL-terminated args (no shell between: arguments
 * may hold any byte), stdin on /dev/null, stdout and stderr to out and
 * err. Waits up to ms. Returns the exit status, -1 when killed by a
 * signal, or DM_STILL_RUNNING when it was still running (then it is
 * killed): a command line that should have been refused was served.
 */
static int
dm_run(const char *const *args, char *out, size_t outlen, char *err,
    size_t errlen, int ms)
{
	const char *argv[64];
	char po[] = "/tmp/lobbyd-dm-out-XXXXXX", pe[] = "/tmp/lobbyd-dm-err-XXXXXX";
	int fo = mkstemp(po), fe = mkstemp(pe), k = 0, st, rc;
	pid_t pid;

	assert_true(fo != -1 && fe != -1);
	argv[k++] = h_lobbyd_path();
	while (*args != NULL && k < 63)
		argv[k++] = *args++;
	argv[k] = NULL;
	fflush(NULL);
	pid = fork();
	assert_true(pid != -1);
	if (pid == 0) {
		int null = open("/dev/null", O_RDONLY);

		dup2(null, STDIN_FILENO);
		dup2(fo, STDOUT_FILENO);
		dup2(fe, STDERR_FILENO);
		execv(argv[0], (char *const *)argv);
		_exit(127);
	}
	h_track_child(pid);
	close(fo);
	close(fe);
	if (h_wait_pid(pid, &st, ms) == -1) {
		h_kill_child(&pid, &st);
		rc = DM_STILL_RUNNING;
	} else
		rc = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
	dm_slurp(po, out, outlen);
	dm_slurp(pe, err, errlen);
	unlink(po);
	unlink(pe);
	h_no_report(err);
	return rc;
}

/* dm_run() with room for the output here, expecting status want. */
static void
dm_expect(int want, const char *err_has, const char *const *args)
{
	char out[8192], err[8192];
	int rc = dm_run(args, out, sizeof out, err, sizeof err, H_TIMEOUT_MS);

	if (rc != want)
		fail_msg("lobbyd %s ...: status %d, wanted %d; stderr: %s",
		    args[0], rc, want, err);
	if (err_has != NULL && strstr(err, err_has) == NULL)
		fail_msg("lobbyd %s ...: stderr lacks \"%s\": %s", args[0],
		    err_has, err);
}

/* Connect to the Unix socket at path, retrying until lobbyd is up. */
static struct h_conn *
dm_connect_wait(const char *path)
{
	long long end = h_now_ms() + H_TIMEOUT_MS;
	struct h_conn *c;

	while ((c = h_connect_unix(path)) == NULL && h_now_ms() < end)
		h_sleep_ms(10);
	assert_non_null(c);
	return c;
}

/* ------------------------------------------------- 1: closed stdio */

/*
 * Started with fds 0, 1 and 2 closed, lobbyd opens them on /dev/null
 * before anything else: its self-pipe and sockets must not take their
 * numbers, or log lines would be written into them. A Unix client whose
 * path holds the bytes of SIGINT (2) and SIGTERM (15) must then not stop
 * the server through a log line.
 */
static void
test_stdio_closed(void **state)
{
	char dir[64], path[100], from[128], link[64], target[256];
	struct h_conn *a, *b;
	pid_t pid;
	ssize_t n;
	int fd, st;

	(void)state;
	dm_dir(dir, sizeof dir);
	snprintf(path, sizeof path, "%s/lobby.sock", dir);
	snprintf(from, sizeof from, "%s/x\x02y\x0fz.sock", dir);
	fflush(NULL);
	pid = fork();
	assert_true(pid != -1);
	if (pid == 0) {
		close(STDIN_FILENO);
		close(STDOUT_FILENO);
		close(STDERR_FILENO);
		execl(h_lobbyd_path(), h_lobbyd_path(), "-b", "127.0.0.1",
		    "-p", "0", "-u", path, (char *)NULL);
		_exit(127);
	}
	h_track_child(pid);
	a = dm_connect_wait(path);
	h_expect(a, "*** welcome to lobby, you are guest1 (1 online; "
	    "/help for commands)");
	/* Under memcheck valgrind's own log file may take fd 0 first. */
	for (fd = 0; fd <= 2 && !h_under_valgrind(); fd++) {
		snprintf(link, sizeof link, "/proc/%ld/fd/%d", (long)pid, fd);
		n = readlink(link, target, sizeof target - 1);
		assert_true(n > 0);
		target[n] = '\0';
		if (strcmp(target, "/dev/null") != 0)
			fail_msg("lobbyd's fd %d is %s, not /dev/null", fd,
			    target);
	}
	b = h_connect_unix_from(path, from);
	assert_non_null(b);
	h_expect(b, "*** welcome to lobby, you are guest2 (2 online; "
	    "/help for commands)");
	h_expect(a, "*** guest2 joined");
	/* Still serving: no shutdown for anyone. */
	h_send(b, "still here\n");
	h_expect(a, "<guest2> still here");
	h_nothing(a);
	assert_int_equal(waitpid(pid, &st, WNOHANG), 0);
	assert_int_equal(kill(pid, SIGTERM), 0);
	h_expect(a, "*** server shutting down");
	assert_int_equal(h_wait_pid(pid, &st, H_TIMEOUT_MS), 0);
	assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	h_close(a);
	h_close(b);
	unlink(from);
	assert_int_equal(access(path, F_OK), -1);
	assert_int_equal(rmdir(dir), 0);
}

/*
 * A log reader that stops reading (a stalled journal, a pipeline stopped)
 * never stops the room: with stderr a pipe nobody reads, a member's 3000
 * renames (each logged) fill it, and the room still relays at once. The
 * lines stderr did not take are dropped and counted, and the count is
 * logged once it is read again.
 */
static void
test_log_unread(void **state)
{
	struct h_server srv;
	struct h_conn *a, *b;
	char buf[4096], *got = NULL, *at;
	size_t len = 0;
	long long end;
	ssize_t n;
	pid_t pid;
	int p[2], i, st;

	(void)state;
	assert_int_equal(pipe(p), 0);
	fflush(NULL);
	pid = fork();
	assert_true(pid != -1);
	if (pid == 0) {
		dup2(p[1], STDERR_FILENO);
		close(p[0]);
		close(p[1]);
		if (h_loop() != NULL)
			execl(h_lobbyd_path(), h_lobbyd_path(), "-b",
			    "127.0.0.1", "-p", "0", "--loop", h_loop(),
			    (char *)NULL);
		else
			execl(h_lobbyd_path(), h_lobbyd_path(), "-b",
			    "127.0.0.1", "-p", "0", (char *)NULL);
		_exit(127);
	}
	h_track_child(pid);
	close(p[1]);
	memset(&srv, 0, sizeof srv);
	srv.pid = pid;
	/* Read up to the listening line, then no more. */
	end = h_now_ms() + H_TIMEOUT_MS;
	while ((at = got == NULL ? NULL : strstr(got, "listening on "
	    "127.0.0.1:")) == NULL || strchr(at, '\n') == NULL) {
		assert_true(h_now_ms() < end);
		n = read(p[0], buf, sizeof buf);
		assert_true(n > 0);
		assert_non_null(got = realloc(got, len + (size_t)n + 1));
		memcpy(got + len, buf, (size_t)n);
		len += (size_t)n;
		got[len] = '\0';
	}
	srv.port = (unsigned)strtoul(at + strlen("listening on 127.0.0.1:"),
	    NULL, 10);
	free(got);
	a = h_join(&srv, NULL);
	b = h_join(&srv, NULL);
	h_drain(a);
	for (i = 0; i < 3000; i++) {
		snprintf(buf, sizeof buf, "/nick n%d\n", i % 2);
		h_send(b, buf);
	}
	h_send(b, "/nick chatter\nstill here\n");
	h_expect_skip_within(a, "<chatter> still here", H_TIMEOUT_MS);
	/* Read stderr again: the count comes before the next line. */
	(void)fcntl(p[0], F_SETFL, O_NONBLOCK);
	while (read(p[0], buf, sizeof buf) > 0)
		;
	h_close(b);
	/* b never read its answers: its close is a reset. */
	h_expect_skip(a, "*** chatter left (error)");
	got = NULL;
	len = 0;
	end = h_now_ms() + H_TIMEOUT_MS;
	while ((got == NULL || strstr(got, "chatter left") == NULL) &&
	    h_now_ms() < end) {
		n = read(p[0], buf, sizeof buf);
		if (n <= 0) {
			h_sleep_ms(20);
			continue;
		}
		assert_non_null(got = realloc(got, len + (size_t)n + 1));
		memcpy(got + len, buf, (size_t)n);
		len += (size_t)n;
		got[len] = '\0';
	}
	assert_non_null(got);
	assert_non_null(strstr(got, " log lines dropped: stderr was not "
	    "read"));
	free(got);
	assert_int_equal(kill(pid, SIGTERM), 0);
	h_expect(a, "*** server shutting down");
	assert_int_equal(h_wait_pid(pid, &st, H_TIMEOUT_MS), 0);
	h_close(a);
	close(p[0]);
}

/* ------------------------------------------ 2: taking over a socket */

/* Bind a socket of type at path (listening, for a stream one). */
static int
dm_socket_at(const char *path, int type, int backlog)
{
	struct sockaddr_un a;
	int fd;

	memset(&a, 0, sizeof a);
	a.sun_family = AF_UNIX;
	snprintf(a.sun_path, sizeof a.sun_path, "%s", path);
	fd = socket(AF_UNIX, type, 0);
	assert_true(fd >= 0);
	assert_int_equal(bind(fd, (struct sockaddr *)&a, sizeof a), 0);
	if (type == SOCK_STREAM)
		assert_int_equal(listen(fd, backlog), 0);
	return fd;
}

/* The inode at path now; fails the test if there is nothing. */
static ino_t
dm_inode(const char *path)
{
	struct stat st;

	assert_int_equal(lstat(path, &st), 0);
	return st.st_ino;
}

/*
 * A datagram socket at the path is not a stale stream socket (connect
 * says EPROTOTYPE): lobbyd must not delete it and take the path over.
 */
static void
test_unix_not_stream(void **state)
{
	char dir[64], path[100];
	const char *args[] = { "-b", "127.0.0.1", "-p", "0", "-u", path,
	    NULL };
	ino_t ino;
	int fd;

	(void)state;
	dm_dir(dir, sizeof dir);
	snprintf(path, sizeof path, "%s/dgram.sock", dir);
	fd = dm_socket_at(path, SOCK_DGRAM, 0);
	ino = dm_inode(path);
	dm_expect(1, "lobbyd: cannot listen on unix:", args);
	assert_true(dm_inode(path) == ino);
	close(fd);
	unlink(path);
	rmdir(dir);
}

/*
 * Another user's live socket answers EACCES: not stale, so it stays.
 * The socket belongs to nobody (65534), mode 0600, and lobbyd runs as
 * root without the capabilities that bypass file permissions: to it
 * the socket is another user's, wherever the build lies. Needs root;
 * skipped otherwise.
 */
static void
test_unix_other_user(void **state)
{
	char dir[64], path[100], err[4096];
	ino_t ino;
	pid_t pid;
	int fd, st, fe;
	char pe[] = "/tmp/lobbyd-dm-err-XXXXXX";

	(void)state;
	if (geteuid() != 0)
		h_skip("needs root, to drop lobbyd's file permission bypass");
	dm_dir(dir, sizeof dir);
	snprintf(path, sizeof path, "%s/nobody.sock", dir);
	fd = dm_socket_at(path, SOCK_STREAM, 16);
	assert_int_equal(chown(path, 65534, 65534), 0);
	assert_int_equal(chmod(path, 0600), 0);
	ino = dm_inode(path);
	fe = mkstemp(pe);
	assert_true(fe != -1);
	fflush(NULL);
	pid = fork();
	assert_true(pid != -1);
	if (pid == 0) {
		dup2(fe, STDERR_FILENO);
		/* Gone from the bounding set, they are gone after exec. */
		if (prctl(PR_CAPBSET_DROP, CAP_DAC_OVERRIDE, 0, 0, 0) == -1 ||
		    prctl(PR_CAPBSET_DROP, CAP_DAC_READ_SEARCH, 0, 0, 0) == -1)
			_exit(126);
		execl(h_lobbyd_path(), h_lobbyd_path(), "-b", "127.0.0.1",
		    "-p", "0", "-u", path, (char *)NULL);
		_exit(127);
	}
	h_track_child(pid);
	close(fe);
	if (h_wait_pid(pid, &st, H_TIMEOUT_MS) == -1) {
		h_kill_child(&pid, &st);
		fail_msg("lobbyd took over another user's socket");
	}
	dm_slurp(pe, err, sizeof err);
	unlink(pe);
	h_no_report(err);
	if (WIFEXITED(st) && WEXITSTATUS(st) == 126)
		fail_msg("could not drop CAP_DAC_OVERRIDE for lobbyd");
	assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 1);
	assert_non_null(strstr(err, "Permission denied"));
	assert_true(dm_inode(path) == ino);
	close(fd);
	unlink(path);
	rmdir(dir);
}

/*
 * A live server whose backlog is full: the liveness check must neither
 * hang (a blocking connect would wait for ever, deaf to SIGTERM) nor take
 * the socket for stale.
 */
static void
test_unix_backlog_full(void **state)
{
	char dir[64], path[100];
	const char *args[] = { "-b", "127.0.0.1", "-p", "0", "-u", path,
	    NULL };
	struct sockaddr_un a;
	int fd, c[64], n = 0, i;
	long long t0;
	ino_t ino;

	(void)state;
	dm_dir(dir, sizeof dir);
	snprintf(path, sizeof path, "%s/busy.sock", dir);
	fd = dm_socket_at(path, SOCK_STREAM, 0);
	ino = dm_inode(path);
	memset(&a, 0, sizeof a);
	a.sun_family = AF_UNIX;
	snprintf(a.sun_path, sizeof a.sun_path, "%s", path);
	/* Fill the backlog until a non-blocking connect is turned away. */
	for (n = 0; n < 64; n++) {
		c[n] = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0);
		assert_true(c[n] >= 0);
		if (connect(c[n], (struct sockaddr *)&a, sizeof a) == -1) {
			assert_int_equal(errno, EAGAIN);
			n++;
			break;
		}
	}
	assert_true(n < 64);
	t0 = h_now_ms();
	dm_expect(1, "a server is already answering there", args);
	/* The liveness check waits 500 ms at most: the start is not stuck. */
	assert_true(h_now_ms() - t0 < 2500 || h_under_valgrind());
	assert_true(dm_inode(path) == ino);
	for (i = 0; i < n; i++)
		close(c[i]);
	close(fd);
	unlink(path);
	rmdir(dir);
}

/* ------------------------------------------------ 3: log injection */

/*
 * A Unix peer chooses its own address. An LF and an ESC in it must not
 * forge a log line or reach the operator's terminal: they are written
 * as \x0a and \x1b.
 */
static void
test_log_injection(void **state)
{
	struct h_server *s = *state;
	char dir[64], path[100], from[128], *log, *p;
	struct h_conn *a;
	int st;

	dm_dir(dir, sizeof dir);
	snprintf(path, sizeof path, "%s/lobby.sock", dir);
	snprintf(from, sizeof from, "%s/a\n2026-01-01T00:00:00.000Z "
	    "lobbyd: info: forged\x1b[2J", dir);
	assert_int_equal(h_start(s, "-u", path, NULL), 0);
	a = h_connect_unix_from(path, from);
	assert_non_null(a);
	h_expect(a, "*** welcome to lobby, you are guest1 (1 online; "
	    "/help for commands)");
	assert_true(h_log_has(s, "joined as guest1", H_TIMEOUT_MS));
	log = h_log(s);
	assert_non_null(strstr(log, "/a\\x0a2026-01-01T00:00:00.000Z "
	    "lobbyd: info: forged\\x1b[2J joined as guest1"));
	assert_null(strchr(log, '\x1b'));
	for (p = log; p != NULL; p = strchr(p, '\n'))
		if (*++p != '\0')
			assert_true(strncmp(p, "2026-01-01T00:00:00.000Z",
			    24) != 0);
	free(log);
	h_close(a);
	unlink(from);
	st = h_stop_sig(s, SIGTERM);
	assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	assert_int_equal(rmdir(dir), 0);
}

/* ---------------------------------- 4: removing only our own socket */

/*
 * At exit lobbyd removes its socket file only if the path still holds
 * the socket it created: a regular file put there since, or the live
 * socket of a second server that took the path over, stays.
 */
static void
test_unlink_own_only(void **state)
{
	struct h_server *s = *state, t;
	char dir[64], path[100];
	struct h_conn *a;
	int fd, st;

	dm_dir(dir, sizeof dir);
	snprintf(path, sizeof path, "%s/lobby.sock", dir);

	/* Replaced by a regular file: the file survives lobbyd's exit. */
	assert_int_equal(h_start(s, "-u", path, NULL), 0);
	assert_int_equal(unlink(path), 0);
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0600);
	assert_true(fd >= 0);
	close(fd);
	st = h_stop_sig(s, SIGTERM);
	assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	assert_int_equal(access(path, F_OK), 0);
	assert_int_equal(unlink(path), 0);
	h_stop(s);

	/* Taken over by a second server: the first one's exit leaves it. */
	assert_int_equal(h_start(s, "-u", path, NULL), 0);
	assert_int_equal(unlink(path), 0);
	assert_int_equal(h_start(&t, "-u", path, NULL), 0);
	st = h_stop_sig(s, SIGTERM);
	assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	h_stop(s);
	a = h_connect_unix(path);
	assert_non_null(a);
	h_expect(a, "*** welcome to lobby, you are guest1 (1 online; "
	    "/help for commands)");
	h_close(a);
	/* Its own socket, the second server removes. */
	st = h_stop_sig(&t, SIGTERM);
	assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	h_stop(&t);
	assert_int_equal(access(path, F_OK), -1);
	assert_int_equal(rmdir(dir), 0);
}

/* ------------------------------------------------ 6: flags alone */

/* A flag with anything stuck to it, -v with -q, or -u twice: usage,
 * exit 2. */
static void
test_flag_junk(void **state)
{
	const char *qzz[] = { "-qzz", "-b", "127.0.0.1", "-p", "0", NULL };
	const char *vq[] = { "-vq", "-b", "127.0.0.1", "-p", "0", NULL };
	const char *hg[] = { "-hgarbage", NULL };
	const char *vj[] = { "-Vjunk", NULL };
	const char *both[] = { "-v", "-q", "-b", "127.0.0.1", "-p", "0",
	    NULL };
	const char *both2[] = { "--quiet", "--verbose", "-b", "127.0.0.1",
	    "-p", "0", NULL };
	const char *heq[] = { "--help=x", NULL };
	const char *twou[] = { "-u", "/tmp/lobby-a.sock", "--unix",
	    "/tmp/lobby-b.sock", "-p", "0", NULL };
	const char *ok[] = { "-V", NULL };
	char out[4096], err[4096];

	(void)state;
	dm_expect(2, "usage: lobbyd", qzz);
	dm_expect(2, "usage: lobbyd", vq);
	dm_expect(2, "usage: lobbyd", hg);
	dm_expect(2, "usage: lobbyd", vj);
	dm_expect(2, "-v and -q", both);
	dm_expect(2, "-v and -q", both2);
	dm_expect(2, "usage: lobbyd", heq);
	/* One Unix socket: a second -u is refused, not silently taken. */
	dm_expect(2, "-u /tmp/lobby-b.sock: one Unix socket at most", twou);
	/* The flags alone still work. */
	assert_int_equal(dm_run(ok, out, sizeof out, err, sizeof err, H_TIMEOUT_MS),
	    0);
	assert_memory_equal(out, "lobbyd ", 7);
	/* Nothing went to stdout for the refused ones. */
	assert_int_equal(dm_run(hg, out, sizeof out, err, sizeof err, H_TIMEOUT_MS),
	    2);
	assert_string_equal(out, "");
}

/* ------------------------------------------- 7: scoped IPv6 addresses */

/*
 * A scoped address parses ("::1%lo" binds as ::1); one that cannot be
 * bound says the kernel's reason, not "not a numeric address"; a word
 * that is no address at all is a usage error.
 */
static void
test_scoped_bind(void **state)
{
	struct h_server *s = *state;
	const char *ll_lo[] = { "-b", "fe80::1%lo", "-p", "0", NULL };
	const char *ll[] = { "-b", "fe80::1", "-p", "0", NULL };
	const char *noif[] = { "-b", "fe80::1%nosuchif0", "-p", "0", NULL };
	const char *name[] = { "-b", "localhost", "-p", "0", NULL };
	struct h_conn *a;

	dm_expect(2, "-b localhost: not a numeric", name);
	if (!h_have_ipv6())
		h_skip("no IPv6 loopback here");
	dm_expect(1, "lobbyd: cannot listen on [fe80::1%lo]:0: Cannot "
	    "assign requested address", ll_lo);
	/* Without its interface, bind() says EINVAL: say what is meant. */
	dm_expect(1, "lobbyd: cannot listen on [fe80::1]:0: a link-local "
	    "address needs an interface", ll);
	dm_expect(2, "usage: lobbyd", noif);
	assert_int_equal(h_start(s, "-b", "::1%lo", NULL), 0);
	assert_true(s->port6 != 0);
	a = h_connect_tcp("::1", s->port6);
	assert_non_null(a);
	h_expect(a, "*** welcome to lobby, you are guest1 (1 online; "
	    "/help for commands)");
	h_close(a);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		h_test(test_stdio_closed),
		h_test(test_unix_not_stream),
		h_test(test_unix_other_user),
		h_test(test_unix_backlog_full),
		h_test(test_log_injection),
		h_test(test_log_unread),
		h_test(test_unlink_own_only),
		h_test(test_flag_junk),
		h_test(test_scoped_bind),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
