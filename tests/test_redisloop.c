/* test_redisloop: hiredis's async context on our select() loop, against a tiny fake Redis. */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cmocka.h>
#include <hiredis/async.h>

#include "loop.h"
#include "net.h"
#include "redisloop.h"

/*
 * The fake Redis is served by the same loop as the client: a Unix socket
 * whose one connection answers every PING with +PONG and hangs up on
 * QUIT. No thread, no real Redis: only the adapter is under test.
 */
struct fx {
	struct loop	 loop;		/* the loop under test */
	char		 dir[64];	/* temporary folder */
	char		 path[128];	/* the fake's socket */
	int		 lfd;		/* the fake's listener */
	int		 sfd;		/* the fake's connection, or -1 */
	char		 got[64];	/* the last reply's text */
	int		 replies;	/* replies seen */
	int		 disconnects;	/* disconnect callbacks seen */
};

/* The fake's connection has bytes: answer each command in them. */
static void
fake_read(struct loop *l, int fd, int mask, void *arg)
{
	struct fx *f = arg;
	char b[4096];
	const char *p;
	ssize_t n;

	(void)mask;
	n = read(fd, b, sizeof b - 1);
	if (n <= 0) {
		loop_del(l, fd, LOOP_READ);
		close(fd);
		f->sfd = -1;
		return;
	}
	b[n] = '\0';
	for (p = b; (p = strstr(p, "PING")) != NULL; p += 4)
		assert_int_equal(write(fd, "+PONG\r\n", 7), 7);
	if (strstr(b, "QUIT") != NULL) {
		loop_del(l, fd, LOOP_READ);
		close(fd);
		f->sfd = -1;
	}
}

/* The fake's listener: take the connection. */
static void
fake_accept(struct loop *l, int fd, int mask, void *arg)
{
	struct fx *f = arg;
	union net_addr peer;
	int c;

	(void)mask;
	if ((c = net_accept(fd, &peer)) == -1)
		return;
	f->sfd = c;
	assert_int_equal(loop_add(l, c, LOOP_READ, fake_read, f), 0);
}

static int
fx_setup(void **state)
{
	struct fx *f = calloc(1, sizeof *f);
	struct net_file id;

	if (f == NULL)
		return -1;
	snprintf(f->dir, sizeof f->dir, "/tmp/test_redisloop.XXXXXX");
	if (mkdtemp(f->dir) == NULL)
		return -1;
	snprintf(f->path, sizeof f->path, "%s/fake.sock", f->dir);
	assert_int_equal(loop_init(&f->loop, LOOP_SELECT), 0);
	if ((f->lfd = net_listen_unix(f->path, &id)) == -1)
		return -1;
	f->sfd = -1;
	if (loop_add(&f->loop, f->lfd, LOOP_READ, fake_accept, f) == -1)
		return -1;
	*state = f;
	return 0;
}

static int
fx_teardown(void **state)
{
	struct fx *f = *state;

	if (f->sfd != -1)
		close(f->sfd);
	close(f->lfd);
	unlink(f->path);
	rmdir(f->dir);
	loop_free(&f->loop);
	free(f);
	return 0;
}

/* A reply arrived (or NULL, when the context went away first). */
static void
on_reply(redisAsyncContext *ac, void *reply, void *privdata)
{
	struct fx *f = privdata;
	redisReply *r = reply;

	(void)ac;
	f->replies++;
	snprintf(f->got, sizeof f->got, "%s", r != NULL && r->str != NULL ?
	    r->str : "(null)");
}

/* The context is gone. */
static void
on_disconnect(const redisAsyncContext *ac, int status)
{
	struct fx *f = ac->data;

	(void)status;
	f->disconnects++;
}

/* Run the loop until *flag reaches want, at most 200 passes of 10 ms. */
static void
run_until(struct fx *f, const int *flag, int want)
{
	int i;

	for (i = 0; i < 200 && *flag < want; i++)
		assert_int_equal(loop_once(&f->loop, 10), 0);
	assert_int_equal(*flag, want);
}

static void
test_command_round_trip(void **state)
{
	struct fx *f = *state;
	redisAsyncContext *ac;
	int fd;

	ac = redisAsyncConnectUnix(f->path);
	assert_non_null(ac);
	assert_int_equal(ac->err, 0);
	fd = ac->c.fd;
	assert_int_equal(redisloop_attach(ac, &f->loop), 0);
	ac->data = f;
	redisAsyncSetDisconnectCallback(ac, on_disconnect);
	/* A second attachment is refused. */
	assert_int_equal(redisloop_attach(ac, &f->loop), -1);
	assert_int_equal(errno, EEXIST);

	/* A queued command asks the loop for writability, not more. */
	assert_int_equal(redisAsyncCommand(ac, on_reply, f, "PING"),
	    REDIS_OK);
	assert_true(loop_has(&f->loop, fd, LOOP_WRITE));
	run_until(f, &f->replies, 1);
	assert_string_equal(f->got, "PONG");
	/* Written: write interest is dropped, read interest stays. */
	assert_false(loop_has(&f->loop, fd, LOOP_WRITE));
	assert_true(loop_has(&f->loop, fd, LOOP_READ));

	/* Several commands in one pass, their replies in order. */
	assert_int_equal(redisAsyncCommand(ac, on_reply, f, "PING"),
	    REDIS_OK);
	assert_int_equal(redisAsyncCommand(ac, on_reply, f, "PING"),
	    REDIS_OK);
	run_until(f, &f->replies, 3);

	/* The server hangs up: the disconnect callback, then the fd is out
	 * of the loop (cleanup hook). */
	assert_int_equal(redisAsyncCommand(ac, on_reply, f, "QUIT"),
	    REDIS_OK);
	run_until(f, &f->disconnects, 1);
	assert_int_equal(f->replies, 4);
	assert_string_equal(f->got, "(null)");
	assert_false(loop_has(&f->loop, fd, LOOP_READ | LOOP_WRITE));
}

static void
test_free_unregisters(void **state)
{
	struct fx *f = *state;
	redisAsyncContext *ac;
	int fd;

	ac = redisAsyncConnectUnix(f->path);
	assert_non_null(ac);
	fd = ac->c.fd;
	assert_int_equal(redisloop_attach(ac, &f->loop), 0);
	ac->data = f;
	assert_int_equal(redisAsyncCommand(ac, on_reply, f, "PING"),
	    REDIS_OK);
	assert_true(loop_has(&f->loop, fd, LOOP_WRITE));
	/* Freed with a command pending: its callback gets NULL, and the
	 * loop forgets the fd. */
	redisAsyncFree(ac);
	assert_int_equal(f->replies, 1);
	assert_string_equal(f->got, "(null)");
	assert_false(loop_has(&f->loop, fd, LOOP_READ | LOOP_WRITE));
	/* A pass afterwards touches nothing freed. */
	assert_int_equal(loop_once(&f->loop, 10), 0);
}

static void
test_fd_beyond_fd_setsize(void **state)
{
	struct fx *f = *state;
	redisAsyncContext *ac;
	struct rlimit rl;
	int fd, filled[FD_SETSIZE], nfilled = 0, i;

	if (getrlimit(RLIMIT_NOFILE, &rl) == -1)
		skip();
	if (rl.rlim_cur < FD_SETSIZE + 16) {
		rl.rlim_cur = rl.rlim_max < FD_SETSIZE + 16 ? rl.rlim_max :
		    FD_SETSIZE + 16;
		if (rl.rlim_cur < FD_SETSIZE + 16 ||
		    setrlimit(RLIMIT_NOFILE, &rl) == -1)
			skip();
	}
	/* Take every fd below FD_SETSIZE, so the next socket is above. */
	while ((fd = open("/dev/null", O_RDONLY | O_CLOEXEC)) != -1 &&
	    fd < FD_SETSIZE)
		filled[nfilled++] = fd;
	assert_true(fd >= FD_SETSIZE);
	close(fd);
	ac = redisAsyncConnectUnix(f->path);
	assert_non_null(ac);
	assert_true(ac->c.fd >= FD_SETSIZE);
	assert_int_equal(redisloop_attach(ac, &f->loop), -1);
	assert_int_equal(errno, ERANGE);
	redisAsyncFree(ac);
	for (i = 0; i < nfilled; i++)
		close(filled[i]);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_command_round_trip,
		    fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_free_unregisters,
		    fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_fd_beyond_fd_setsize,
		    fx_setup, fx_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
