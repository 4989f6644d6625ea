/* server: the server's state, its run and stop, signals, and before-sleep. */
#include "server-int.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "log.h"
#include "ltime.h"
#include "text.h"
#ifdef LOBBY_HAVE_REDIS
#include "credis.h"
#endif
#ifdef LOBBY_HAVE_ACCOUNTS
#include "acctwork.h"
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
 * The room makes no system calls: the loop reads the clock for it. The
 * next tick is when the minute changes, not a second after: a line that
 * comes just past midnight is stamped with the new day, and a history
 * shown then counts the old day's lines as the day before. Whatever the
 * minute, it comes within SERVER_CLOCK_MS, for a wall clock that is set.
 */
static int64_t
server_clock(struct loop *l, void *arg)
{
	struct server *s = arg;
	char stamp[LTIME_STAMP_LEN + 1];
	int64_t left;

	(void)l;
	if ((left = ltime_stamp_ms(ltime_wall_ms(), stamp)) == -1)
		return SERVER_CLOCK_MS;
	rooms_set_clock(&s->rooms, stamp);
	return left < SERVER_CLOCK_MS ? left : SERVER_CLOCK_MS;
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
	/* Bytes TLS decrypted that select() cannot see: read them first. */
	tls_pending(s);
	conn_flush_all(s);
	if (listener_accept_ready(s))
		conn_flush_all(s);
#ifdef LOBBY_HAVE_REDIS
	/* What the pass published goes to Redis now, not a select() later. */
	if (s->credis != NULL)
		credis_flush(s->credis);
#endif
	/* A member the flush resumed may have bytes waiting in TLS. */
	tls_pending_kick(s);
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
	tls_stop(s);
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
	ssize_t n;

	/* A full pipe already holds a wake-up: a failed write loses nothing. */
	if (server_signal_fd != -1) {
		n = write(server_signal_fd, &b, 1);
		(void)n;
	}
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
			if (b[i] == SIGUSR1)
				server_stats(arg);
			else if (b[i] == SIGUSR2)
				tls_reload(arg);
			else
				server_stop(arg);
}

/*
 * The signals whose default would end lobbyd, sent to it from outside
 * (kill, a terminal, a resource limit, a timer nobody here set): each
 * shuts down as SIGTERM does. Those that report a fault of lobbyd's own
 * (SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGABRT, SIGSYS, SIGTRAP) keep their
 * default: after one, no clean shutdown can be trusted.
 */
static const int server_stop_signals[] = {
	SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGALRM, SIGVTALRM, SIGPROF,
	SIGXCPU,
#ifdef SIGIO
	SIGIO,
#endif
#ifdef SIGPWR
	SIGPWR,
#endif
#ifdef SIGSTKFLT
	SIGSTKFLT,
#endif
};

/*
 * Route SIGINT, SIGTERM, SIGHUP and the others of server_stop_signals
 * (and the real-time ones) through the self-pipe: each shuts down. SIGHUP
 * is no reload (there is no configuration file to reread): the terminal
 * or session that started lobbyd is gone. SIGUSR1 logs the counters;
 * with --tls, SIGUSR2 reloads the certificate and key. Ignore SIGPIPE,
 * SIGXFSZ (a log past the file size limit fails its write instead) and
 * SIGUSR2 without --tls: by default they would kill lobbyd without a
 * word and leave its Unix socket file behind.
 */
static int
server_signals(struct server *s)
{
	struct sigaction sa;
	size_t i;

	if (pipe(s->sigpipe) == -1 || net_nonblock(s->sigpipe[0]) == -1 ||
	    net_nonblock(s->sigpipe[1]) == -1)
		return -1;
	server_signal_fd = s->sigpipe[1];
	memset(&sa, 0, sizeof sa);
	sigemptyset(&sa.sa_mask);
	sa.sa_handler = SIG_IGN;
	sigaction(SIGPIPE, &sa, NULL);
	sigaction(SIGXFSZ, &sa, NULL);
	/* SIGUSR2 reloads the certificate with --tls; else it is ignored. */
	if (s->cfg->ntls + s->cfg->nweb_tls == 0)
		sigaction(SIGUSR2, &sa, NULL);
	sa.sa_handler = server_signal;
	sa.sa_flags = SA_RESTART;
	for (i = 0; i < sizeof server_stop_signals /
	    sizeof server_stop_signals[0]; i++)
		sigaction(server_stop_signals[i], &sa, NULL);
#ifdef SIGRTMIN
	for (int sig = SIGRTMIN; sig <= SIGRTMAX; sig++)
		sigaction(sig, &sa, NULL);
#endif
	sigaction(SIGUSR1, &sa, NULL);
	if (s->cfg->ntls + s->cfg->nweb_tls > 0)
		sigaction(SIGUSR2, &sa, NULL);
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
		log_bare(LOG_LEVEL_ERROR, "--redis %s: %s", cfg->redis, bad);
		return -1;
	}
	cc.addr_text = cfg->redis;
	cc.room = s->rooms.landing->name;
	cc.history = cfg->history;
	cc.max_rooms = cfg->max_rooms;
	credis_instance_id(inst);
	if (cluster_init(&s->cluster, s->rooms.landing, cfg->max_line,
	    inst) == -1 ||
	    (s->credis = credis_new(&s->loop, &s->cluster, &cc)) == NULL) {
		log_bare(LOG_LEVEL_ERROR, "out of memory");
		return -1;
	}
	room_set_backend(s->rooms.landing, &cluster_backend, &s->cluster);
	/* Every room is shared: Redis keeps the rooms, their history and
	 * topics, and counts --max-rooms; a room is here while read. */
	s->rooms.backend = &cluster_backend;
	s->rooms.backend_arg = &s->cluster;
	s->rooms.shared = true;
	s->rooms.max = SIZE_MAX;
	if (credis_start(s->credis, SERVER_REDIS_START_MS, why,
	    sizeof why) == -1) {
		log_bare(LOG_LEVEL_ERROR, "cannot reach redis at %s: %s",
		    cfg->redis, why);
		return -1;
	}
	return 0;
#else
	(void)s;
	log_bare(LOG_LEVEL_ERROR, "built without Redis support");
	return -1;
#endif
}

/* ---------------------------------------------------------------------
 * Accounts: the store, its worker, the timers
 * ------------------------------------------------------------------- */

/* The accounts' publish hook with --redis: an act crosses instances. */
static int
server_acct_publish(void *arg, struct client *c, const struct acct_act *a)
{
	return cluster_act(arg, c, a);
}

/* The accounts' linked hook with --redis: whether Redis is reachable. */
static bool
server_acct_linked(void *arg)
{
	return cluster_linked(arg);
}

/* The accounts' clock: Unix ms. */
static int64_t
server_acct_clock(void *arg)
{
	(void)arg;
	return ltime_wall_ms();
}

/* Timer: lift the bans and mutes that ran out; on to the next one. */
static int64_t
server_acct_tick(struct loop *l, void *arg)
{
	struct server *s = arg;
	int64_t next;

	(void)l;
	if ((next = accounts_tick(&s->accounts, s->rooms.landing)) == -1)
		s->acct_timer = -1;
	return next;
}

/* The accounts' schedule hook: run the tick in ms at the latest. */
static void
server_acct_schedule(void *arg, int64_t ms)
{
	struct server *s = arg;

	if (s->acct_timer != -1)
		loop_timer_sooner(&s->loop, s->acct_timer, ms);
	else if ((s->acct_timer = loop_timer_add(&s->loop, ms,
	    server_acct_tick, s)) == -1)
		log_error("accounts: cannot add a timer: bans and mutes may "
		    "end late");
}

/* Timer, with Redis: read what the other instances changed. */
static int64_t
server_acct_sync(struct loop *l, void *arg)
{
	struct server *s = arg;

	(void)l;
	if (accounts_sync(&s->accounts) == -1)
		log_warn("accounts: cannot ask the store for the bans");
	return SERVER_ACCT_SYNC_MS;
}

#ifdef LOBBY_HAVE_ACCOUNTS
/* At start, each key and ban the store holds goes to the caches. */
static void
server_acct_key(void *arg, const char *key)
{
	(void)accounts_add_key(arg, key);
}

static void
server_acct_ban(void *arg, const struct acct_ban *b)
{
	(void)accounts_add_ban(arg, b);
}
#endif

/*
 * With --accounts (SQLite) or --redis: open the store, read its nicks
 * and bans, start the worker. Prints why and returns -1 when the store
 * cannot be used (a corrupt or unwritable file, Redis unreachable).
 * Without either, accounts are off and the commands say so.
 */
static int
server_accounts(struct server *s)
{
	const struct server_config *cfg = s->cfg;
	struct room *r;

	s->acct_timer = -1;
	accounts_init(&s->accounts, false, cfg->ops, cfg->nops);
	/* Every room reaches them, the landing room made already included. */
	s->rooms.accounts = &s->accounts;
	for (r = s->rooms.head; r != NULL; r = r->rnext)
		r->accounts = &s->accounts;
	s->accounts.clock = server_acct_clock;
	s->accounts.schedule = server_acct_schedule;
	s->accounts.schedule_arg = s;
#ifdef LOBBY_HAVE_ACCOUNTS
	{
		const char *what = cfg->accounts != NULL ? cfg->accounts :
		    cfg->redis;
		struct acct_store *st = NULL;
		char err[ACCT_ERR_MAX + 64];

		if (what == NULL)
			return 0;
		if (acctwork_init_crypto() == -1) {
			log_bare(LOG_LEVEL_ERROR, "accounts: libsodium cannot "
			    "start");
			return -1;
		}
		if (cfg->accounts != NULL)
			st = acctstore_sqlite_open(cfg->accounts, err,
			    sizeof err);
#ifdef LOBBY_HAVE_REDIS
		else
			st = acctstore_redis_connect(cfg->redis, err,
			    sizeof err);
#endif
		if (st == NULL) {
			log_bare(LOG_LEVEL_ERROR, "%s %s: %s", cfg->accounts !=
			    NULL ? "--accounts" : "accounts in redis at", what,
			    err);
			return -1;
		}
		if (st->ops->keys(st, server_acct_key, &s->accounts) == -1 ||
		    st->ops->ban_list(st, ltime_wall_ms(), server_acct_ban,
		    &s->accounts) == -1) {
			log_bare(LOG_LEVEL_ERROR, "%s %s: %s", cfg->accounts !=
			    NULL ? "--accounts" : "accounts in redis at", what,
			    st->err);
			st->ops->free(st);
			return -1;
		}
		s->accounts.on = true;
		log_info("accounts: %zu registered nicks, %zu bans, %zu "
		    "operators, in %s", s->accounts.nkeys, s->accounts.nbans,
		    cfg->nops, st->ops->name);
		if ((s->acctwork = acctwork_start(st, &s->accounts, s->rooms.landing,
		    &s->loop, err, sizeof err)) == NULL) {
			log_bare(LOG_LEVEL_ERROR, "accounts: %s", err);
			return -1;
		}
		s->accounts.submit = acctwork_submit;
		s->accounts.submit_arg = s->acctwork;
		if (cfg->redis != NULL) {
			/* Kicks, bans, mutes and logins reach the members
			 * of every instance through the room's stream. */
			s->accounts.publish = server_acct_publish;
			s->accounts.publish_arg = &s->cluster;
			s->accounts.linked = server_acct_linked;
			s->accounts.linked_arg = &s->cluster;
		}
		if (cfg->accounts == NULL && loop_timer_add(&s->loop,
		    SERVER_ACCT_SYNC_MS, server_acct_sync, s) == -1) {
			log_bare(LOG_LEVEL_ERROR, "cannot add a timer: %s",
			    strerror(errno));
			return -1;
		}
	}
#else
	(void)server_acct_sync;
	(void)server_acct_publish;
	(void)server_acct_linked;
	if (cfg->accounts != NULL) {
		log_bare(LOG_LEVEL_ERROR, "built without accounts support");
		return -1;
	}
#endif
	return 0;
}

/* Close everything and release memory (clients left, listeners, pipe). */
static void
server_free(struct server *s)
{
#ifdef LOBBY_HAVE_ACCOUNTS
	acctwork_stop(s->acctwork);
#endif
	accounts_free(&s->accounts);
#ifdef LOBBY_HAVE_REDIS
	credis_free(s->credis);
#endif
	cluster_free(&s->cluster);
	conn_free_all(s);
	linger_free_all(s);
	web_free_all(s);
	tls_free(s);	/* after the members, whose SSLs it made */
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
		/* A short read leaves the clock-and-pid seed mixed in. */
		ssize_t n = read(fd, &seed, sizeof seed);

		(void)n;
		close(fd);
	}
	return seed;
}

int
server_run(const struct server_config *cfg)
{
	struct server *s;
	int64_t clock_ms;
	size_t i;
	int rc = 0;

	if ((s = calloc(1, sizeof *s)) == NULL) {
		log_bare(LOG_LEVEL_ERROR, "out of memory");
		return 1;
	}
	s->cfg = cfg;
	s->sigpipe[0] = s->sigpipe[1] = -1;
	listener_init(s);
	linger_init(s);
	if (conn_init(s) == -1) {
		log_bare(LOG_LEVEL_ERROR, "out of memory");
		listener_close_all(s);
		free(s);
		return 1;
	}
	if (loop_init(&s->loop, cfg->loop) == -1) {
		log_bare(LOG_LEVEL_ERROR, "--loop %s: %s",
		    loop_kind_name(cfg->loop), strerror(errno));
		listener_close_all(s);
		conn_free_all(s);
		free(s);
		return 1;
	}
	stats_init(&s->stats, ltime_mono_ms());
	s->loop.before_sleep = server_before_sleep;
	s->loop.hook_arg = s;
	/* With --redis too: the stream's entries fill the room's history. */
	rooms_init(&s->rooms, cfg->sendq, cfg->history, cfg->max_rooms);
	s->rooms.log = server_room_log;
	s->rooms.on_leave = conn_on_leave;
	s->rooms.hook_arg = s;
	s->rooms.batch = true;		/* conn.c wakes members for notices */
	s->rooms.motd = cfg->motd;
	s->rooms.seed = server_seed();	/* no nicks chosen to share a chain */
	if (rooms_landing(&s->rooms, cfg->room != NULL ? cfg->room :
	    PROTO_ROOM_DEFAULT) == NULL) {
		log_bare(LOG_LEVEL_ERROR, "out of memory");
		listener_close_all(s);
		conn_free_all(s);
		loop_free(&s->loop);
		free(s);
		return 1;
	}
	if (peers_init(&s->peers, server_seed()) == -1) {
		log_bare(LOG_LEVEL_ERROR, "out of memory");
		server_free(s);
		return 1;
	}
	if (server_signals(s) == -1) {
		log_bare(LOG_LEVEL_ERROR, "cannot set up signals: %s",
		    strerror(errno));
		server_free(s);
		return 1;
	}
	if (cfg->redis != NULL && server_cluster(s) == -1) {
		server_free(s);
		return 1;
	}
	if (cfg->ntls + cfg->nweb_tls > 0 && tls_init(s) == -1) {
		server_free(s);
		return 1;
	}
	if (server_accounts(s) == -1) {
		server_free(s);
		return 1;
	}
	if (listener_open_all(s) == -1) {
		server_free(s);
		return 1;
	}
	listener_client_cap(s);
	clock_ms = server_clock(&s->loop, s);
	/* The timers of the whole run, and room for the four added later
	 * (accepting paused, --flood, bans and mutes running out, lingering
	 * sockets; with --tls, the pending kick): no add may fail once
	 * serving. */
	if (loop_timer_add(&s->loop, SERVER_TRIM_MS, conn_trim, s) == -1 ||
	    loop_timer_add(&s->loop, clock_ms, server_clock, s) == -1 ||
	    (cfg->idle_timeout > 0 && loop_timer_add(&s->loop,
	    (int64_t)cfg->idle_timeout * 1000, conn_idle_check, s) == -1) ||
	    (cfg->nwebs + cfg->nweb_tls > 0 &&
	    loop_timer_add(&s->loop, 1000, web_tick, s) == -1) ||
	    (cfg->ntls + cfg->nweb_tls > 0 &&
	    loop_timer_add(&s->loop, 1000, tls_tick, s) == -1) ||
	    loop_timer_reserve(&s->loop,
	    cfg->ntls + cfg->nweb_tls > 0 ? 5 : 4) == -1) {
		log_bare(LOG_LEVEL_ERROR, "cannot add a timer: %s",
		    strerror(errno));
		server_free(s);
		return 1;
	}
	/* Always printed, even with -q: scripts find the server by it. */
	for (i = 0; i < s->nlisteners; i++)
		log_bare(LOG_LEVEL_INFO, "listening on %s",
		    s->listeners[i].name);
	fflush(stderr);

	for (;;) {
		int64_t wait = -1;

		if (s->stopping) {
			/* Flush now: if that empties every queue, we are done. */
			server_before_sleep(&s->loop, s);
			wait = s->deadline - ltime_mono_ms();
			/* Sockets lingering already are not waited for
			 * here: linger_drain() lets them end with the
			 * members' own, which meanwhile would not be read
			 * (their input left unread, a reset at close). */
			if (!server_unsent(s) || wait <= 0)
				break;
		}
		if (loop_once(&s->loop, (int)wait) == -1) {
			log_error("%s: %s", loop_kind_name(cfg->loop),
			    strerror(errno));
			rc = 1;
			break;
		}
	}
	if (s->stopping && server_unsent(s))
		log_warn("shutdown: gave up flushing after %d ms",
		    SERVER_DRAIN_MS);
	if (s->stopping) {
		/* The members' sockets close as at a leave, in the time the
		 * drain left. */
		conn_let_go(s);
		linger_drain(s, s->deadline);
	}
	log_info("exiting");
	server_free(s);
	return rc;
}
