/* redis_fixture: a redis-server of the test's own, and lobbyd instances on it. */
#ifndef LOBBY_REDIS_FIXTURE_H
#define LOBBY_REDIS_FIXTURE_H

#include <stdbool.h>
#include <sys/types.h>

#include <hiredis/hiredis.h>

#include "harness.h"

/*
 * Every test starts its own redis-server on a Unix socket in a temporary
 * folder (no TCP port, no persistence) and two or three lobbyd on it, and
 * stops them all by PID (and wakes any it stopped with SIGSTOP first).
 * Without redis-server a whole suite is skipped.
 */

#define LOST_MS		SCALED(30000) /* the contract: a dead instance's
				   members leave the others' view within this */
/* A link restored once Redis is back: lobbyd's retries are at most 5 s
 * apart (CREDIS_BACKOFF_MAX_MS), tried on its 250 ms tick, then it
 * reconnects, loads the scripts and syncs: on a loaded machine too. */
#define RESTORE_MS	SCALED(5000 + 250 + 4750)

/* One redis-server of ours. */
struct rds {
	pid_t	 pid;			/* its PID, or -1 */
	char	 dir[64];		/* its temporary folder */
	char	 sock[128];		/* its socket */
	char	 addr[160];		/* "unix:" sock, for --redis */
};

/* What each test holds; freed by the teardown whatever happened. */
struct cx {
	struct rds	 r;		/* the Redis */
	struct h_server	 s[3];		/* the lobbyd instances */
	int		 ns;		/* how many were started */
	struct h_conn	*c[16];		/* connections, closed at the end */
	int		 nc;		/* how many */
};

/* Find redis-server on PATH; false when it is not installed. */
bool	 rds_find(void);

/* A synchronous connection to our Redis, for checks; NULL if none. */
redisContext	*rds_ctx(const struct rds *r);

/* Start redis-server on r->sock (r->dir exists); wait until it answers. */
void	 rds_run(struct rds *r);

/*
 * Start redis-server on TCP instead: a free port on 127.0.0.1 (and ::1
 * when there is one). Returns the port.
 */
unsigned rds_run_tcp(struct rds *r);

/* Stop our redis-server with sig and reap it (SIGCONT first, should it
 * be stopped). */
void	 rds_kill(struct rds *r, int sig);

/* Run a command on our Redis and return the reply (caller frees). */
redisReply	*rds_cmd(const struct rds *r, const char *fmt, ...);

/*
 * Close every connection Redis has from lobbyd process pid (its client
 * names are "lobbyd:ROOM:PID"): the link drops as when the network does.
 */
void	 rds_cut(const struct rds *r, pid_t pid);

/* cmocka setup and teardown: a struct cx in *state; the teardown stops
 * and checks every lobbyd (h_finish()), then kills the redis-server. */
int	 cx_setup(void **state);
int	 cx_teardown(void **state);

/* Start instance i on addr (our Redis unless given) with extra args,
 * NULL-terminated. */
struct h_server	*cx_lobbyd(struct cx *x, int i, const char *addr, ...);

/* Start our Redis, then instances 0 and 1 on it, each with the same
 * extra args (NULL-terminated). */
void	 cx_pair(struct cx *x, ...);

/* Keep c for the teardown, and return it. */
struct h_conn	*cx_keep(struct cx *x, struct h_conn *c);

/* Join instance i and take nick (the welcome and history are skipped). */
struct h_conn	*cx_join(struct cx *x, int i, const char *nick);

/*
 * Send line on c until the answer is want, while lobbyd answers
 * "!!! room unavailable, try again later" (the recovery window after
 * Redis lost the room); other lines in between are skipped. Fails after
 * ms. Returns how long it took, in ms.
 */
#define retry_line(c, line, want, ms) \
	retry_line_at((c), (line), (want), (ms), __FILE__, __LINE__)
long long retry_line_at(struct h_conn *c, const char *line,
	    const char *want, int ms, const char *file, int fline);

/* Send line on c until its answer (the next line) is want, for at most
 * ms: for what another instance changes in Redis without a notice. */
void	 until_line(struct h_conn *c, const char *line, const char *want,
	    int ms);

/* Expect "*** last N messages:", N lines containing the NULL-terminated
 * parts in turn, then "*** end of history". */
void	 expect_history(struct h_conn *c, ...);

/* Join first on instance 0 as *a, bob on 1 as *b and, unless c is NULL,
 * carol on 1 as *c; settle them on the last newcomer's notice. */
void	 cx_members(struct cx *x, const char *first, struct h_conn **a,
	    struct h_conn **b, struct h_conn **c);

/* alice (a) then bob (b) go from the lobby to dev; carol (c), left in
 * the lobby, sees both go. */
void	 cx_to_dev(struct h_conn *a, struct h_conn *b, struct h_conn *c);

#endif /* LOBBY_REDIS_FIXTURE_H */
