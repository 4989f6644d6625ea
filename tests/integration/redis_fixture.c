/* redis_fixture: a redis-server of the test's own, and lobbyd instances on it. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "redis_fixture.h"
#include "../which.h"

static char redis_server[512];	/* the redis-server binary */

/* Find redis-server on PATH; false when it is not installed. */
bool
rds_find(void)
{
	return t_which("redis-server", redis_server, sizeof redis_server);
}

/* A synchronous connection to our Redis, for checks; NULL if none. */
redisContext *
rds_ctx(const struct rds *r)
{
	struct timeval tv = { 1, 0 };
	redisContext *c = redisConnectUnixWithTimeout(r->sock, tv);

	if (c != NULL && c->err) {
		redisFree(c);
		return NULL;
	}
	return c;
}

/* Start redis-server on r->sock (r->dir exists); wait until it answers. */
void
rds_run(struct rds *r)
{
	long long end;
	redisContext *c;
	char log[160];

	snprintf(log, sizeof log, "%s/redis.log", r->dir);
	fflush(NULL);
	if ((r->pid = fork()) == 0) {
		execl(redis_server, redis_server, "--port", "0",
		    "--unixsocket", r->sock, "--unixsocketperm", "700",
		    "--save", "", "--appendonly", "no", "--dir", r->dir,
		    "--logfile", log, (char *)NULL);
		_exit(127);
	}
	assert_true(r->pid > 0);
	end = h_now_ms() + H_TIMEOUT_MS;
	while (h_now_ms() < end) {
		if ((c = rds_ctx(r)) != NULL) {
			redisFree(c);
			return;
		}
		h_sleep_ms(20);
	}
	fail_msg("redis-server did not start");
}

/*
 * Start redis-server on TCP instead: a free port on 127.0.0.1 (and ::1
 * when there is one). Returns the port.
 */
unsigned
rds_run_tcp(struct rds *r)
{
	struct sockaddr_in sin;
	socklen_t len = sizeof sin;
	long long end;
	redisContext *c;
	char log[160], port[8];
	unsigned p;
	int fd;

	/* A port the kernel says is free now; redis-server takes it next. */
	fd = socket(AF_INET, SOCK_STREAM, 0);
	memset(&sin, 0, sizeof sin);
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(bind(fd, (struct sockaddr *)&sin, sizeof sin), 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&sin, &len), 0);
	p = ntohs(sin.sin_port);
	close(fd);
	snprintf(port, sizeof port, "%u", p);
	snprintf(log, sizeof log, "%s/redis.log", r->dir);
	fflush(NULL);
	if ((r->pid = fork()) == 0) {
		execl(redis_server, redis_server, "--port", port, "--bind",
		    "127.0.0.1", h_have_ipv6() ? "::1" : "127.0.0.1",
		    "--save", "", "--appendonly", "no", "--dir", r->dir,
		    "--logfile", log, (char *)NULL);
		_exit(127);
	}
	assert_true(r->pid > 0);
	end = h_now_ms() + H_TIMEOUT_MS;
	while (h_now_ms() < end) {
		struct timeval tv = { 1, 0 };

		c = redisConnectWithTimeout("127.0.0.1", (int)p, tv);
		if (c != NULL && !c->err) {
			redisFree(c);
			return p;
		}
		if (c != NULL)
			redisFree(c);
		h_sleep_ms(20);
	}
	fail_msg("redis-server did not start on port %u", p);
	return 0;
}

/* Stop our redis-server with sig and reap it (awake, should it be
 * stopped). */
void
rds_kill(struct rds *r, int sig)
{
	int st;

	if (r->pid <= 0)
		return;
	kill(r->pid, sig);
	kill(r->pid, SIGCONT);
	if (h_wait_pid(r->pid, &st, H_TIMEOUT_MS) == -1)
		h_kill_child(&r->pid, NULL);
	r->pid = -1;
}

/* Run a command on our Redis and return the reply (caller frees). */
redisReply *
rds_cmd(const struct rds *r, const char *fmt, ...)
{
	redisContext *c = rds_ctx(r);
	redisReply *reply;
	va_list ap;

	assert_non_null(c);
	va_start(ap, fmt);
	reply = redisvCommand(c, fmt, ap);
	va_end(ap);
	redisFree(c);
	assert_non_null(reply);
	return reply;
}

/*
 * Close every connection Redis has from lobbyd process pid (its client
 * names are "lobbyd:ROOM:PID"): the link drops as when the network does.
 */
void
rds_cut(const struct rds *r, pid_t pid)
{
	redisReply *list = rds_cmd(r, "CLIENT LIST");
	char want[64], *p, *line;
	int killed = 0;

	snprintf(want, sizeof want, ":%ld ", (long)pid);
	assert_int_equal(list->type, REDIS_REPLY_STRING);
	for (line = strtok_r(list->str, "\n", &p); line != NULL;
	    line = strtok_r(NULL, "\n", &p)) {
		char *name = strstr(line, " name=lobbyd:");
		char *id = strstr(line, "id=");

		if (name == NULL || id == NULL || strstr(name, want) == NULL)
			continue;
		freeReplyObject(rds_cmd(r, "CLIENT KILL ID %ld",
		    strtol(id + 3, NULL, 10)));
		killed++;
	}
	freeReplyObject(list);
	assert_int_equal(killed, 2);
}

/* cmocka setup: a struct cx, its temporary folder made. */
int
cx_setup(void **state)
{
	struct cx *x = calloc(1, sizeof *x);

	if (x == NULL)
		return -1;
	for (int i = 0; i < 3; i++)
		x->s[i].pid = -1;
	x->r.pid = -1;
	snprintf(x->r.dir, sizeof x->r.dir, "/tmp/lobby-redis-XXXXXX");
	if (mkdtemp(x->r.dir) == NULL)
		return -1;
	snprintf(x->r.sock, sizeof x->r.sock, "%s/redis.sock", x->r.dir);
	snprintf(x->r.addr, sizeof x->r.addr, "unix:%s", x->r.sock);
	*state = x;
	return 0;
}

/* cmocka teardown: every lobbyd checked, Redis killed, files removed. */
int
cx_teardown(void **state)
{
	struct cx *x = *state;
	char path[200];
	int rc = 0, i;

	/* A test that failed with Redis stopped: the lobbyd say goodbye. */
	if (x->r.pid > 0)
		kill(x->r.pid, SIGCONT);
	for (i = 0; i < x->nc; i++)
		if (x->c[i] != NULL)
			h_close(x->c[i]);
	/* Every lobbyd of the test: a clean exit 0, no sanitizer report. */
	if (h_finish() == -1)
		rc = -1;
	rds_kill(&x->r, SIGKILL);
	snprintf(path, sizeof path, "%s/redis.log", x->r.dir);
	unlink(path);
	snprintf(path, sizeof path, "%s/link.sock", x->r.dir);
	unlink(path);
	unlink(x->r.sock);
	rmdir(x->r.dir);
	free(x);
	return rc;
}

/* Start instance i on addr (our Redis unless given) with extra args. */
static struct h_server *
cx_lobbydv(struct cx *x, int i, const char *addr, va_list ap)
{
	const char *args[16];
	int n = 0;

	args[n++] = "-b";
	args[n++] = "127.0.0.1";
	args[n++] = "--redis";
	args[n++] = addr != NULL ? addr : x->r.addr;
	while (n < 15 && (args[n] = va_arg(ap, const char *)) != NULL)
		n++;
	args[n] = NULL;
	if (h_startv(&x->s[i], args) != 0) {
		char *log = h_log(&x->s[i]);

		fail_msg("lobbyd %d did not start: %s", i, log);
	}
	if (i >= x->ns)
		x->ns = i + 1;
	return &x->s[i];
}

struct h_server *
cx_lobbyd(struct cx *x, int i, const char *addr, ...)
{
	struct h_server *s;
	va_list ap;

	va_start(ap, addr);
	s = cx_lobbydv(x, i, addr, ap);
	va_end(ap);
	return s;
}

/* Start our Redis, then instances 0 and 1 on it, each with the same
 * extra args (NULL-terminated). */
void
cx_pair(struct cx *x, ...)
{
	va_list ap;

	rds_run(&x->r);
	va_start(ap, x);
	cx_lobbydv(x, 0, NULL, ap);
	va_end(ap);
	va_start(ap, x);
	cx_lobbydv(x, 1, NULL, ap);
	va_end(ap);
}

/* Keep c for the teardown, and return it. */
struct h_conn *
cx_keep(struct cx *x, struct h_conn *c)
{
	assert_true(x->nc < 16);
	x->c[x->nc++] = c;
	return c;
}

/* Join instance i and take nick (the welcome and history are skipped). */
struct h_conn *
cx_join(struct cx *x, int i, const char *nick)
{
	return cx_keep(x, h_rename(h_join(&x->s[i], NULL), nick));
}

/* Send line until the answer is want, through the recovery window. */
long long
retry_line_at(struct h_conn *c, const char *line, const char *want, int ms,
    const char *file, int fline)
{
	long long t0 = h_now_ms(), end = t0 + ms;
	const char *l = "";

	while (h_now_ms() < end && l != NULL) {
		h_send(c, line);
		while ((l = h_line(c, H_TIMEOUT_MS)) != NULL) {
			if (strcmp(l, want) == 0)
				return h_now_ms() - t0;
			if (strcmp(l, "!!! room unavailable, try again later") ==
			    0)
				break;
		}
		h_sleep_ms(200);
	}
	_fail(file, fline);
	fail_msg("no \"%s\" within %d ms (last: %s)", want, ms,
	    l != NULL ? l : "nothing");
	return -1;
}

/*
 * Send line on c until its answer is want (the next line back, each
 * time), for at most ms: for what another instance changes in Redis
 * without a notice c could wait for.
 */
void
until_line(struct h_conn *c, const char *line, const char *want, int ms)
{
	long long end = h_now_ms() + ms;

	do {
		h_send(c, line);
		if (h_line(c, H_TIMEOUT_MS) != NULL &&
		    strcmp(c->line, want) == 0)
			return;
		h_sleep_ms(50);
	} while (h_now_ms() < end);
	fail_msg("no \"%s\" within %d ms (last: %s)", want, ms, c->line);
}

/*
 * Expect the history c is shown: "*** last N messages:", then N lines,
 * each containing the next of the NULL-terminated parts in turn, then
 * "*** end of history".
 */
void
expect_history(struct h_conn *c, ...)
{
	char head[64];
	va_list ap;
	const char *part;
	int n = 0;

	va_start(ap, c);
	while (va_arg(ap, const char *) != NULL)
		n++;
	va_end(ap);
	snprintf(head, sizeof head, "*** last %d message%s:", n,
	    n == 1 ? "" : "s");
	h_expect(c, head);
	va_start(ap, c);
	while ((part = va_arg(ap, const char *)) != NULL) {
		assert_non_null(h_line(c, H_TIMEOUT_MS));
		if (strstr(c->line, part) == NULL)
			fail_msg("history line \"%s\" lacks \"%s\"",
			    c->line, part);
	}
	va_end(ap);
	h_expect(c, "*** end of history");
}

/*
 * Join first on instance 0 as *a, bob on instance 1 as *b and, when c is
 * not NULL, carol on instance 1 as *c; then settle *a (and *b, with
 * carol) on the last newcomer's notice.
 */
void
cx_members(struct cx *x, const char *first, struct h_conn **a,
    struct h_conn **b, struct h_conn **c)
{
	*a = cx_join(x, 0, first);
	*b = cx_join(x, 1, "bob");
	if (c == NULL) {
		h_settle(*a, "bob");
		return;
	}
	*c = cx_join(x, 1, "carol");
	h_settle(*a, "carol");
	h_settle(*b, "carol");
}

/*
 * alice (a) then bob (b) go from the lobby to dev, each seeing the
 * other there; carol (c), left in the lobby, sees both go.
 */
void
cx_to_dev(struct h_conn *a, struct h_conn *b, struct h_conn *c)
{
	h_send(a, "/join dev\n");
	h_expect(a, "*** you are now in dev (1 online)");
	h_expect(b, "*** alice went to dev");
	h_expect(c, "*** alice went to dev");
	h_send(b, "/join dev\n");
	h_expect(b, "*** you are now in dev (2 online)");
	h_expect(a, "*** bob joined");
	h_expect(c, "*** bob went to dev");
}
