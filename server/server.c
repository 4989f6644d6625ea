/* server: the server's state, its run and stop, signals, and before-sleep. */
#include "server-int.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "log.h"
#include "ltime.h"
#include "text.h"
#ifdef LOBBY_HAVE_REDIS
#include "credis.h"
#endif

/*
 * The signal handler's only link to the server: the write end of the
 * self-pipe. A signal handler cannot take an argument, hence the static.
 */
static volatile sig_atomic_t server_signal_fd = -1;

/* ---------------------------------------------------------------------
 * The loop's hooks: the room's log, flushing
 * ------------------------------------------------------------------- */

/* Room log lines go to the log at info level. */
static void
server_room_log(void *arg, const char *text)
{
	(void)arg;
	log_info("%s", text);
}

/*
 * Timer: tell the room the local time, for the history's time prefixes.
 * The room makes no system calls: the loop reads the clock for it.
 */
static int64_t
server_clock(struct loop *l, void *arg)
{
	struct server *s = arg;
	char stamp[LTIME_STAMP_LEN + 1];

	(void)l;
	if (ltime_stamp(time(NULL), stamp) == 0)
		rooms_set_clock(&s->rooms, stamp);
	return SERVER_CLOCK_MS;
}

/*
 * Before select() sleeps: settle the room, write out what the pass queued
 * and close the connections that left (all in conn_flush_all()); then
 * accept the newcomers that waited for those seats, and write out their
 * welcomes and the others' join notices.
 */
static void
server_before_sleep(struct loop *l, void *arg)
{
	struct server *s = arg;

	(void)l;
	conn_flush_all(s);
	if (listener_accept_ready(s))
		conn_flush_all(s);
#ifdef LOBBY_HAVE_REDIS
	/* What the pass published goes to Redis now, not a select() later. */
	if (s->credis != NULL)
		credis_flush(s->credis);
#endif
}

/* ---------------------------------------------------------------------
 * Stopping, and signals
 * ------------------------------------------------------------------- */

/* Stop accepting, tell everyone, and flush for at most SERVER_DRAIN_MS. */
static void
server_stop(struct server *s)
{
	struct room *r;

	if (s->stopping)
		return;
	log_info("shutting down");
	s->stopping = true;
	s->deadline = ltime_mono_ms() + SERVER_DRAIN_MS;
	listener_close_all(s);
	conn_stop_reading(s);
	web_stop(s);
	for (r = s->rooms.head; r != NULL; r = r->rnext)
		room_broadcastf(r, NULL, PROTO_SHUTDOWN);
#ifdef LOBBY_HAVE_REDIS
	/* The other instances hear that our members are gone. */
	if (s->credis != NULL)
		credis_stop(s->credis);
#endif
}

/* The handler itself: one byte down the self-pipe, nothing else. */
static void
server_signal(int sig)
{
	unsigned char b = (unsigned char)sig;
	int saved = errno;

	if (server_signal_fd != -1)
		(void)write(server_signal_fd, &b, 1);
	errno = saved;
}

/* SIGUSR1: the counters, as one log line, also under -q. */
static void
server_stats(struct server *s)
{
	char line[512];

	stats_format(&s->stats, ltime_mono_ms(), line, sizeof line);
	log_always(LOG_LEVEL_INFO, "stats: %s", line);
}

/* Signals arrive here through the self-pipe, outside the handler. */
static void
server_signal_read(struct loop *l, int fd, int mask, void *arg)
{
	unsigned char b[64];
	ssize_t n, i;

	(void)l;
	(void)mask;
	while ((n = read(fd, b, sizeof b)) > 0)
		for (i = 0; i < n; i++)
			if (b[i] == SIGINT || b[i] == SIGTERM ||
			    b[i] == SIGHUP)
				server_stop(arg);
			else if (b[i] == SIGUSR1)
				server_stats(arg);
}

/*
 * Route SIGINT, SIGTERM and SIGHUP through the self-pipe: each shuts
 * down. SIGHUP is no reload (there is no configuration file to reread):
 * the terminal or session that started lobbyd is gone. SIGUSR1 logs the
 * counters. Ignore SIGPIPE and SIGUSR2: by default they would kill lobbyd
 * without a word and leave its Unix socket file behind.
 */
static int
server_signals(struct server *s)
{
	struct sigaction sa;

	if (pipe(s->sigpipe) == -1 || net_nonblock(s->sigpipe[0]) == -1 ||
	    net_nonblock(s->sigpipe[1]) == -1)
		return -1;
	server_signal_fd = s->sigpipe[1];
	memset(&sa, 0, sizeof sa);
	sigemptyset(&sa.sa_mask);
	sa.sa_handler = SIG_IGN;
	sigaction(SIGPIPE, &sa, NULL);
	sigaction(SIGUSR2, &sa, NULL);
	sa.sa_handler = server_signal;
	sa.sa_flags = SA_RESTART;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	sigaction(SIGUSR1, &sa, NULL);
	return loop_add(&s->loop, s->sigpipe[0], LOOP_READ,
	    server_signal_read, s);
}

/* ---------------------------------------------------------------------
 * Start-up and the main loop
 * ------------------------------------------------------------------- */

/* Whether output or, in a cluster, a reply from Redis is still awaited. */
static bool
server_unsent(const struct server *s)
{
#ifdef LOBBY_HAVE_REDIS
	if (s->credis != NULL && credis_busy(s->credis))
		return true;
#endif
	return conn_unsent(s);
}

/*
 * With --redis: join the room shared through Redis before listening, so
 * that nobody is served a room that is not there. Prints why and returns
 * -1 when Redis cannot be reached within SERVER_REDIS_START_MS.
 */
static int
server_cluster(struct server *s)
{
#ifdef LOBBY_HAVE_REDIS
	const struct server_config *cfg = s->cfg;
	struct credis_config cc;
	char inst[CLUSTER_INST_LEN + 1], why[300];
	const char *bad;

	memset(&cc, 0, sizeof cc);
	if (hostport_parse(cfg->redis, HOSTPORT_UNIX, &cc.addr, &bad) == -1) {
		fprintf(stderr, "lobbyd: --redis %s: %s\n", cfg->redis, bad);
		return -1;
	}
	cc.addr_text = cfg->redis;
	cc.room = s->rooms.landing->name;
	cc.history = cfg->history;
	credis_instance_id(inst);
	if (cluster_init(&s->cluster, s->rooms.landing, cfg->max_line,
	    inst) == -1 ||
	    (s->credis = credis_new(&s->loop, &s->cluster, &cc)) == NULL) {
		fprintf(stderr, "lobbyd: out of memory\n");
		return -1;
	}
	room_set_backend(s->rooms.landing, &cluster_backend, &s->cluster);
	if (credis_start(s->credis, SERVER_REDIS_START_MS, why,
	    sizeof why) == -1) {
		fprintf(stderr, "lobbyd: cannot reach redis at %s: %s\n",
		    cfg->redis, why);
		return -1;
	}
	return 0;
#else
	(void)s;
	fprintf(stderr, "lobbyd: built without Redis support\n");
	return -1;
#endif
}

/* Close everything and release memory (clients left, listeners, pipe). */
static void
server_free(struct server *s)
{
#ifdef LOBBY_HAVE_REDIS
	credis_free(s->credis);
#endif
	cluster_free(&s->cluster);
	conn_free_all(s);
	web_free_all(s);
	listener_close_all(s);
	server_signal_fd = -1;
	if (s->sigpipe[0] != -1) {
		close(s->sigpipe[0]);
		close(s->sigpipe[1]);
	}
	rooms_free(&s->rooms);
	peers_free(&s->peers);
	loop_free(&s->loop);
	free(s);
}

/*
 * A key for the per-address hash, different in every run, so that no
 * client can pick addresses that land in one bucket: from the kernel's
 * random source, else from the time and the pid.
 */
static uint64_t
server_seed(void)
{
	uint64_t seed = (uint64_t)ltime_mono_ms() * 6364136223846793005ULL ^
	    (uint64_t)getpid();
	int fd = open("/dev/urandom", O_RDONLY | O_CLOEXEC);

	if (fd != -1) {
		(void)read(fd, &seed, sizeof seed);
		close(fd);
	}
	return seed;
}

int
server_run(const struct server_config *cfg)
{
	struct server *s;
	size_t i;
	int rc = 0;

	if ((s = calloc(1, sizeof *s)) == NULL) {
		fprintf(stderr, "lobbyd: out of memory\n");
		return 1;
	}
	s->cfg = cfg;
	s->sigpipe[0] = s->sigpipe[1] = -1;
	listener_init(s);
	if (conn_init(s) == -1) {
		fprintf(stderr, "lobbyd: out of memory\n");
		listener_close_all(s);
		free(s);
		return 1;
	}
	loop_init(&s->loop);
	stats_init(&s->stats, ltime_mono_ms());
	s->loop.before_sleep = server_before_sleep;
	s->loop.hook_arg = s;
	/* With --redis too: the stream's entries fill the room's history. */
	rooms_init(&s->rooms, cfg->sendq, cfg->history, cfg->max_rooms);
	s->rooms.log = server_room_log;
	s->rooms.on_leave = conn_on_leave;
	s->rooms.hook_arg = s;
	s->rooms.motd = cfg->motd;
	if (rooms_landing(&s->rooms, cfg->room != NULL ? cfg->room :
	    PROTO_ROOM_DEFAULT) == NULL) {
		fprintf(stderr, "lobbyd: out of memory\n");
		listener_close_all(s);
		conn_free_all(s);
		free(s);
		return 1;
	}
	if (peers_init(&s->peers, server_seed()) == -1) {
		fprintf(stderr, "lobbyd: out of memory\n");
		server_free(s);
		return 1;
	}
	if (server_signals(s) == -1) {
		fprintf(stderr, "lobbyd: cannot set up signals: %s\n",
		    strerror(errno));
		server_free(s);
		return 1;
	}
	if (cfg->redis != NULL && server_cluster(s) == -1) {
		server_free(s);
		return 1;
	}
	if (listener_open_all(s) == -1) {
		server_free(s);
		return 1;
	}
	listener_client_cap(s);
	(void)server_clock(&s->loop, s);
	/* The timers of the whole run, and room for the two added later
	 * (accepting paused, --flood): no add may fail once serving. */
	if (loop_timer_add(&s->loop, SERVER_TRIM_MS, conn_trim, s) == -1 ||
	    loop_timer_add(&s->loop, SERVER_CLOCK_MS, server_clock, s) == -1 ||
	    (cfg->idle_timeout > 0 && loop_timer_add(&s->loop,
	    (int64_t)cfg->idle_timeout * 1000, conn_idle_check, s) == -1) ||
	    (cfg->nwebs > 0 &&
	    loop_timer_add(&s->loop, 1000, web_tick, s) == -1) ||
	    loop_timer_reserve(&s->loop, 2) == -1) {
		fprintf(stderr, "lobbyd: cannot add a timer: %s\n",
		    strerror(errno));
		server_free(s);
		return 1;
	}
	/* Always printed, even with -q: scripts find the server by it. */
	for (i = 0; i < s->nlisteners; i++)
		fprintf(stderr, "lobbyd: listening on %s\n",
		    s->listeners[i].name);
	fflush(stderr);

	for (;;) {
		int64_t wait = -1;

		if (s->stopping) {
			/* Flush now: if that empties every queue, we are done. */
			server_before_sleep(&s->loop, s);
			wait = s->deadline - ltime_mono_ms();
			if (!server_unsent(s) || wait <= 0)
				break;
		}
		if (loop_once(&s->loop, (int)wait) == -1) {
			log_error("select: %s", strerror(errno));
			rc = 1;
			break;
		}
	}
	if (s->stopping && server_unsent(s))
		log_warn("shutdown: gave up flushing after %d ms",
		    SERVER_DRAIN_MS);
	log_info("exiting");
	server_free(s);
	return rc;
}
