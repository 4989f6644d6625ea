/* lobbyd: the chat room server's command line. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "cluster.h"
#include "flood.h"
#include "hostport.h"
#include "log.h"
#include "loop.h"
#include "motd.h"
#include "net.h"
#include "proto.h"
#include "server.h"
#include "version.h"

#define MAIN_MAX_CLIENTS	1000	/* default --max-clients */
#define MAIN_MAX_LINE		PROTO_MAX_LINE	/* default --max-line, bytes */
#define MAIN_SENDQ		(1024 * 1024) /* default --sendq, bytes */
#define MAIN_STR(x)		MAIN_STR_(x)
#define MAIN_STR_(x)		#x
/* SERVER_MAX_LISTENERS as text, for the message that names it. */
#define MAIN_MAX_LISTENERS	MAIN_STR(SERVER_MAX_LISTENERS)
#define MAIN_HISTORY		50	/* default --history, lines */
#define MAIN_MAX_ROOMS		1000	/* default --max-rooms */
#define MAIN_MAX_HTTP		64	/* default --max-http: HTTP connections
					   not (yet) members */

static const char usage_text[] =
"usage: lobbyd [-b ADDR]... [-p PORT] [-u PATH] [--max-clients N]\n"
"              [--max-line BYTES] [--sendq BYTES] [--idle-timeout S]\n"
"              [--web ADDR:PORT]... [--web-origin ORIGIN]... [--max-http N]\n"
"              [--history N] [--room NAME] [--max-rooms N] [--redis ADDR]\n"
"              [--flood RATE[/BURST]] [--max-per-ip N] [--motd FILE]\n"
"              [--accounts PATH] [--op NICK]...\n"
"              [--tls ADDR:PORT]... [--web-tls ADDR:PORT]...\n"
"              [--tls-cert FILE --tls-key FILE]\n"
"              [--loop select|poll|epoll]\n"
"              [-v | -q] [--help] [--version]\n";

static const char help_text[] =
"lobbyd: a chat room server; each line a client sends goes to everyone else.\n"
"\n"
"  -b, --bind ADDR       listen on this numeric address; repeatable\n"
"                        (default 127.0.0.1 and ::1; -b :: is dual-stack)\n"
"  -p, --port PORT       TCP port for every address (default 12580;\n"
"                        0 picks a free port per listener)\n"
"  -u, --unix PATH       also listen on a Unix-domain socket at PATH\n"
"      --max-clients N   most members at once (default 1000, capped by\n"
"                        RLIMIT_NOFILE and, with select, FD_SETSIZE)\n"
"      --max-line BYTES  longest line a client may send (default 1024)\n"
"      --sendq BYTES     most output queued for one client before it is\n"
"                        disconnected as too slow (default 1048576)\n"
"      --idle-timeout S  disconnect clients silent for S seconds\n"
"                        (default 0: never)\n"
"      --web ADDR:PORT   also serve the chat page, WebSocket members and\n"
"                        /metrics over HTTP there; repeatable ([::1]:8080\n"
"                        for IPv6; port 0 picks a free one)\n"
"      --web-origin ORIGIN  let pages from ORIGIN (https://host[:port])\n"
"                        join over WebSocket too; repeatable (default:\n"
"                        only http://, the listener's address and port,\n"
"                        or localhost on a loopback listener)\n"
"      --max-http N      most HTTP connections not (yet) members at once;\n"
"                        the next gets 503 (default 64); also caps TLS\n"
"                        handshakes on the --tls ports\n"
"      --history N       replay the last N chat and /me lines to each\n"
"                        newcomer (default 50; 0: none; at most 100000)\n"
"      --room NAME       the room newcomers land in and /part leads back\n"
"                        to (default lobby; 1-32 of A-Z a-z 0-9 _ -)\n"
"      --max-rooms N     most rooms at once; /join makes rooms\n"
"                        (default 1000)\n"
"      --redis ADDR      share the --room room with every lobbyd on this\n"
"                        Redis (HOST:PORT, [V6]:PORT or unix:PATH)\n"
"      --flood RATE[/BURST]  lines per second a client may send, BURST\n"
"                        at once (default BURST: RATE; /who, /rooms and\n"
"                        /help count 10); past it lobbyd reads from it later,\n"
"                        losing nothing (default off)\n"
"      --max-per-ip N    most connections from one IP address at once\n"
"                        (default 0: no limit; Unix sockets not counted)\n"
"      --motd FILE       send the lines of FILE (at most 50) to each\n"
"                        newcomer after the welcome\n"
"      --tls ADDR:PORT   also take members over TLS (1.2 and later)\n"
"                        there; repeatable ([::1]:6697 for IPv6; port 0\n"
"                        picks a free one)\n"
"      --web-tls ADDR:PORT  serve the page and WebSocket members over\n"
"                        https and wss there, as --web does over http\n"
"      --tls-cert FILE   the certificate chain for --tls (PEM, leaf\n"
"                        first)\n"
"      --tls-key FILE    its private key (PEM)\n"
"      --accounts PATH   registered nicks and bans in the SQLite database\n"
"                        PATH (created if absent); with --redis they live\n"
"                        in Redis instead\n"
"      --op NICK         the registered NICK, logged in, is an operator\n"
"                        (/kick, /ban, /mute ...); repeatable\n";

/* More of --help: one string would pass what C11 compilers must take. */
static const char help_text2[] =
"      --loop select|poll|epoll  how to wait for sockets (default select:\n"
"                        at most FD_SETSIZE fds; poll and epoll take as\n"
"                        many as RLIMIT_NOFILE, raised to its hard limit;\n"
"                        epoll for thousands of members)\n"
"  -v, --verbose         log debug detail too\n"
"  -q, --quiet           log only warnings and errors\n"
"  -h, --help            show this help and exit\n"
"  -V, --version         show the version and exit\n";

/* The rest of --help: one string would pass what C11 compilers must take. */
static const char help_tail[] =
"\n"
"Once listening, lobbyd writes \"lobbyd: listening on ADDR\" to stderr for\n"
"each listener (\"http://ADDR:PORT/\" for --web, \"tls:ADDR:PORT\" for\n"
"--tls, \"https://ADDR:PORT/\" for --web-tls). SIGINT, SIGTERM or SIGHUP:\n"
"tell everyone, flush, exit 0.\n"
"SIGUSR1: log the counters as one \"stats:\" line.\n"
"SIGUSR2: with --tls or --web-tls, read the certificate and key again (a\n"
"bad pair is logged, the old one kept); nobody is dropped.\n"
"\n"
"Socket activation: with LISTEN_PID set to its pid and LISTEN_FDS to N (as\n"
"systemd does), lobbyd serves the N listening sockets it inherits from fd 3\n"
"on, and opens no TCP listener of its own unless -b is given.\n";

/* Print why, then the usage, and exit 2: the command line was wrong. */
static void
usage_error(const char *fmt, const char *arg)
{
	log_bare(LOG_LEVEL_ERROR, fmt, arg);
	fputs(usage_text, stderr);
	exit(2);
}

/*
 * Socket activation: a service manager that opened the listening sockets
 * itself passes them as fds 3, 4, ... and says how many in LISTEN_FDS,
 * for the process named by LISTEN_PID. The variables are removed so that
 * nothing started later takes them for its own. Fills fds and returns how
 * many there are, 0 when not activated; exits 1 when what was passed
 * cannot be served.
 */
static size_t
activation_fds(int *fds, size_t max)
{
	const char *pid = getenv("LISTEN_PID"), *nfds = getenv("LISTEN_FDS");
	const char *why;
	unsigned long n = 0, i;
	int on;
	socklen_t len;
	char *end;
	bool ours;

	ours = pid != NULL && nfds != NULL && *pid >= '0' && *pid <= '9' &&
	    strtoul(pid, &end, 10) == (unsigned long)getpid() && *end == '\0';
	if (ours) {
		errno = 0;
		n = strtoul(nfds, &end, 10);
		if (*nfds < '0' || *nfds > '9' || *end != '\0' || errno != 0) {
			log_bare(LOG_LEVEL_ERROR, "LISTEN_FDS=%s: not a number",
			    nfds);
			exit(1);
		}
		if (n > max) {
			log_bare(LOG_LEVEL_ERROR, "LISTEN_FDS=%lu: at most %zu "
			    "listening sockets can be passed", n, max);
			fputs(usage_text, stderr);
			exit(2);
		}
	}
	/* Ours or another process's, they must not be inherited further. */
	unsetenv("LISTEN_PID");
	unsetenv("LISTEN_FDS");
	unsetenv("LISTEN_FDNAMES");
	for (i = 0; i < n; i++) {
		fds[i] = 3 + (int)i;
		len = sizeof on;
		if (getsockopt(fds[i], SOL_SOCKET, SO_ACCEPTCONN, &on,
		    &len) == -1)
			why = errno == ENOTSOCK ? "not a socket" :
			    strerror(errno);
		else if (!on)
			why = "a socket, but not listening";
		else
			continue;
		log_bare(LOG_LEVEL_ERROR, "fd %d from LISTEN_FDS is not a "
		    "listening socket (%s)", fds[i], why);
		exit(1);
	}
	return (size_t)n;
}

static unsigned long	parse_num(const char *, const char *, unsigned long,
			    unsigned long);

/*
 * Parse a --web value, "ADDR:PORT" or "[V6ADDR]:PORT", into w; exits 2
 * when it is not one.
 */
static void
parse_web(const char *opt, const char *v, struct server_web *w)
{
	struct hostport hp;
	const char *why;

	if (hostport_parse(v, HOSTPORT_PORT0, &hp, &why) == -1) {
		log_bare(LOG_LEVEL_ERROR, "%s %s: %s", opt, v, why);
		fputs(usage_text, stderr);
		exit(2);
	}
	if (strlen(hp.host) >= sizeof w->addr ||
	    net_addr_parse(hp.host, 0, NULL) == -1) {
		log_bare(LOG_LEVEL_ERROR, "%s %s: not a numeric IPv4 or IPv6 "
		    "address", opt, v);
		fputs(usage_text, stderr);
		exit(2);
	}
	strcpy(w->addr, hp.host);
	w->port = hp.port;
}

/*
 * Check a --web-origin value: an origin as browsers send it,
 * "http://host[:port]" or "https://host[:port]", with no path (a final
 * "/" is forgiven); exits 2 otherwise.
 */
static void
check_origin(const char *v)
{
	const char *host = strstr(v, "://");
	size_t n;

	if (host == NULL || (strncmp(v, "http://", 7) != 0 &&
	    strncmp(v, "https://", 8) != 0))
		usage_error("--web-origin %s: must be http://HOST[:PORT] or "
		    "https://HOST[:PORT]", v);
	host += 3;
	n = strcspn(host, "/?#");
	if (n == 0 || (host[n] != '\0' && strcmp(host + n, "/") != 0))
		usage_error("--web-origin %s: an origin has a scheme, a host "
		    "and a port only", v);
}

/* Parse a whole decimal number in [min, max], or exit 2 naming opt. */
static unsigned long
parse_num(const char *opt, const char *s, unsigned long min,
    unsigned long max)
{
	unsigned long v;
	char *end;

	errno = 0;
	if (s[0] < '0' || s[0] > '9')
		usage_error("%s needs a number", opt);
	v = strtoul(s, &end, 10);
	if (errno != 0 || *end != '\0' || v < min || v > max) {
		log_bare(LOG_LEVEL_ERROR, "%s %s: must be a number from %lu to "
		    "%lu", opt, s, min, max);
		fputs(usage_text, stderr);
		exit(2);
	}
	return v;
}

/*
 * The value of an option that takes one: "--opt=V", "--opt V", "-oV" or
 * "-o V". *i moves past what was used.
 */
static const char *
opt_value(int argc, char **argv, int *i, const char *eq)
{
	if (eq != NULL)
		return eq + 1;
	if (argv[*i][1] != '-' && argv[*i][2] != '\0')
		return argv[*i] + 2;
	if (*i + 1 >= argc)
		usage_error("%s needs a value", argv[*i]);
	return argv[++*i];
}

/*
 * Does argument a (up to eq, if any) name the option short or long? A
 * short option may carry its value attached ("-p0"), so "-pX" is -p.
 */
static bool
opt_is(const char *a, const char *eq, char short_name, const char *long_name)
{
	size_t n = eq != NULL ? (size_t)(eq - a) : strlen(a);

	if (short_name != '\0' && a[0] == '-' && a[1] == short_name &&
	    a[2] != '-' && eq == NULL)
		return true;
	return long_name != NULL && n == strlen(long_name) + 2 &&
	    a[0] == '-' && a[1] == '-' && strncmp(a + 2, long_name, n - 2) == 0;
}

/*
 * Does argument a name the flag (an option without a value)? Nothing may
 * follow it: "-vq", "-hgarbage" and "--help=x" are not flags but mistakes.
 */
static bool
flag_is(const char *a, const char *eq, char short_name, const char *long_name)
{
	if (eq != NULL || !opt_is(a, eq, short_name, long_name))
		return false;
	if (a[1] == '-')
		return true;
	if (a[2] != '\0')
		usage_error("-%s: flags take no value and cannot be combined",
		    a + 1);
	return true;
}

/*
 * fds 0, 1 and 2 must be open before anything else is: an fd opened later
 * (the signal self-pipe, a socket) would otherwise take one of their
 * numbers, and log lines meant for stderr would be written into it. Each
 * one found closed is opened on /dev/null. Exits 1 if that fails.
 */
static void
stdio_ensure(void)
{
	int fd;

	for (fd = 0; fd <= 2; fd++) {
		if (fcntl(fd, F_GETFD) != -1 || errno != EBADF)
			continue;
		/* The lowest free number is fd itself: the ones below are open. */
		if (open("/dev/null", O_RDWR) != fd)
			_exit(1);
	}
}

/*
 * Check a --redis address, or exit 2: with a bad one, or in a lobbyd
 * built without hiredis, which cannot serve a shared room at all.
 */
static void
redis_option(const char *v)
{
	struct hostport addr;
	const char *why;

#ifndef LOBBY_HAVE_REDIS
	(void)v;
	(void)addr;
	(void)why;
	log_bare(LOG_LEVEL_ERROR, "built without Redis support");
	exit(2);
#else
	if (hostport_parse(v, HOSTPORT_UNIX, &addr, &why) == -1) {
		log_bare(LOG_LEVEL_ERROR, "--redis %s: %s", v, why);
		fputs(usage_text, stderr);
		exit(2);
	}
#endif
}

/* A TLS option in a lobbyd built without OpenSSL: exit 2, saying so. */
static void
tls_option(const char *opt)
{
#ifndef LOBBY_HAVE_TLS
	log_bare(LOG_LEVEL_ERROR, "%s: built without TLS support (OpenSSL)",
	    opt);
	exit(2);
#else
	(void)opt;
#endif
}

/*
 * The end of --help or --version: 0 when all of it reached stdout, else 1
 * after saying why (a full disk, a closed pipe).
 */
static int
stdout_done(void)
{
	if (fflush(stdout) == 0 && !ferror(stdout))
		return 0;
	log_bare(LOG_LEVEL_ERROR, "cannot write to standard output: %s",
	    strerror(errno));
	return 1;
}

int
main(int argc, char **argv)
{
	struct server_config cfg;
	enum log_level level = LOG_LEVEL_INFO;
	const char *a, *eq, *v;
	bool verbose = false, quiet = false;
	const char *motd_path = NULL;
	struct motd motd = { NULL, 0 };
	char err[512];
	size_t total;
	int i, rc;

	stdio_ensure();
	/* Now: a command line's mistakes are logged in the journal's form
	 * too. The level is set once the options are read. */
	log_init("lobbyd", level);
	memset(&cfg, 0, sizeof cfg);
	cfg.port = PROTO_PORT;
	cfg.max_clients = MAIN_MAX_CLIENTS;
	cfg.max_line = MAIN_MAX_LINE;
	cfg.sendq = MAIN_SENDQ;
	cfg.history = MAIN_HISTORY;
	cfg.max_http = MAIN_MAX_HTTP;
	cfg.max_rooms = MAIN_MAX_ROOMS;
	cfg.loop = LOOP_SELECT;

	for (i = 1; i < argc; i++) {
		a = argv[i];
		eq = strncmp(a, "--", 2) == 0 ? strchr(a, '=') : NULL;
		if (strcmp(a, "--") == 0 || a[0] != '-' || a[1] == '\0')
			usage_error("unexpected argument: %s", a);
		if (flag_is(a, eq, 'h', "help")) {
			printf("%s\n%s%s%s", usage_text, help_text, help_text2,
			    help_tail);
			return stdout_done();
		} else if (flag_is(a, eq, 'V', "version")) {
			printf("lobbyd %s\n", LOBBY_VERSION);
			return stdout_done();
		} else if (flag_is(a, eq, 'v', "verbose")) {
			verbose = true;
			level = LOG_LEVEL_DEBUG;
		} else if (flag_is(a, eq, 'q', "quiet")) {
			quiet = true;
			level = LOG_LEVEL_WARN;
		} else if (opt_is(a, eq, 'b', "bind")) {
			v = opt_value(argc, argv, &i, eq);
			if (cfg.nbinds == SERVER_MAX_LISTENERS)
				usage_error("too many listeners (at most "
				    "%s)", MAIN_MAX_LISTENERS);
			if (net_addr_parse(v, 0, NULL) == -1)
				usage_error(strchr(v, '%') != NULL ? "-b %s: not "
				    "a numeric IPv6 address and a known "
				    "interface" : "-b %s: not a numeric IPv4 or "
				    "IPv6 address", v);
			cfg.binds[cfg.nbinds++] = v;
		} else if (opt_is(a, eq, 'p', "port")) {
			cfg.port = (unsigned)parse_num("-p",
			    opt_value(argc, argv, &i, eq), 0, 65535);
		} else if (opt_is(a, eq, 'u', "unix")) {
			v = opt_value(argc, argv, &i, eq);
			if (v[0] == '\0')
				usage_error("-u needs a path%s", "");
			/* Not the last one silently: one socket file. */
			if (cfg.unix_path != NULL)
				usage_error("-u %s: one Unix socket at most "
				    "(-u given twice)", v);
			cfg.unix_path = v;
		} else if (opt_is(a, eq, '\0', "max-clients")) {
			cfg.max_clients = parse_num("--max-clients",
			    opt_value(argc, argv, &i, eq), 1, 1000000);
		} else if (opt_is(a, eq, '\0', "max-http")) {
			cfg.max_http = parse_num("--max-http",
			    opt_value(argc, argv, &i, eq), 1, 1000000);
		} else if (opt_is(a, eq, '\0', "max-line")) {
			cfg.max_line = parse_num("--max-line",
			    opt_value(argc, argv, &i, eq), 1, 1048576);
		} else if (opt_is(a, eq, '\0', "sendq")) {
			cfg.sendq = parse_num("--sendq",
			    opt_value(argc, argv, &i, eq), 4096,
			    (unsigned long)1 << 30);
		} else if (opt_is(a, eq, '\0', "idle-timeout")) {
			cfg.idle_timeout = (unsigned)parse_num("--idle-timeout",
			    opt_value(argc, argv, &i, eq), 0, 31536000);
		} else if (opt_is(a, eq, '\0', "web")) {
			v = opt_value(argc, argv, &i, eq);
			if (cfg.nwebs == SERVER_MAX_LISTENERS)
				usage_error("too many listeners (at most "
				    "%s)", MAIN_MAX_LISTENERS);
			parse_web("--web", v, &cfg.webs[cfg.nwebs++]);
		} else if (opt_is(a, eq, '\0', "tls")) {
			v = opt_value(argc, argv, &i, eq);
			tls_option("--tls");
			if (cfg.ntls == SERVER_MAX_LISTENERS)
				usage_error("too many listeners (at most "
				    "%s)", MAIN_MAX_LISTENERS);
			parse_web("--tls", v, &cfg.tls[cfg.ntls++]);
		} else if (opt_is(a, eq, '\0', "web-tls")) {
			v = opt_value(argc, argv, &i, eq);
			tls_option("--web-tls");
			if (cfg.nweb_tls == SERVER_MAX_LISTENERS)
				usage_error("too many listeners (at most "
				    "%s)", MAIN_MAX_LISTENERS);
			parse_web("--web-tls", v, &cfg.web_tls[cfg.nweb_tls++]);
		} else if (opt_is(a, eq, '\0', "tls-cert")) {
			tls_option("--tls-cert");
			cfg.tls_cert = opt_value(argc, argv, &i, eq);
		} else if (opt_is(a, eq, '\0', "tls-key")) {
			tls_option("--tls-key");
			cfg.tls_key = opt_value(argc, argv, &i, eq);
		} else if (opt_is(a, eq, '\0', "web-origin")) {
			v = opt_value(argc, argv, &i, eq);
			if (cfg.nweb_origins == SERVER_MAX_ORIGINS)
				usage_error("too many --web-origin (at most "
				    "%s)", MAIN_STR(SERVER_MAX_ORIGINS));
			check_origin(v);
			cfg.web_origins[cfg.nweb_origins++] = v;
		} else if (opt_is(a, eq, '\0', "history")) {
			cfg.history = parse_num("--history",
			    opt_value(argc, argv, &i, eq), 0, RLOG_HISTORY_MAX);
		} else if (opt_is(a, eq, '\0', "redis")) {
			v = opt_value(argc, argv, &i, eq);
			redis_option(v);
			cfg.redis = v;
		} else if (opt_is(a, eq, '\0', "room")) {
			cfg.room = opt_value(argc, argv, &i, eq);
			if (!proto_room_valid(cfg.room, strlen(cfg.room)))
				usage_error("--room %s: a room name is 1-32 of "
				    "A-Z a-z 0-9 _ -", cfg.room);
		} else if (opt_is(a, eq, '\0', "max-rooms")) {
			cfg.max_rooms = parse_num("--max-rooms",
			    opt_value(argc, argv, &i, eq), 1, 1000000);
		} else if (opt_is(a, eq, '\0', "flood")) {
			v = opt_value(argc, argv, &i, eq);
			if (flood_parse(v, &cfg.flood) == -1)
				usage_error("--flood %s: must be RATE or "
				    "RATE/BURST, lines per second from 1 to "
				    "1000000", v);
		} else if (opt_is(a, eq, '\0', "max-per-ip")) {
			cfg.max_per_ip = (unsigned)parse_num("--max-per-ip",
			    opt_value(argc, argv, &i, eq), 0, 1000000);
		} else if (opt_is(a, eq, '\0', "accounts")) {
			cfg.accounts = opt_value(argc, argv, &i, eq);
			if (cfg.accounts[0] == '\0')
				usage_error("--accounts needs a path%s", "");
#ifndef LOBBY_HAVE_ACCOUNTS
			log_bare(LOG_LEVEL_ERROR, "built without accounts "
			    "support");
			return 2;
#endif
		} else if (opt_is(a, eq, '\0', "op")) {
			v = opt_value(argc, argv, &i, eq);
			if (cfg.nops == SERVER_MAX_OPS)
				usage_error("too many --op (at most %s)",
				    MAIN_STR(SERVER_MAX_OPS));
			if (!proto_nick_valid(v, strlen(v)))
				usage_error("--op %s: not a nick", v);
			cfg.ops[cfg.nops++] = v;
		} else if (opt_is(a, eq, '\0', "motd")) {
			motd_path = opt_value(argc, argv, &i, eq);
			if (motd_path[0] == '\0')
				usage_error("--motd needs a file%s", "");
		} else if (opt_is(a, eq, '\0', "loop")) {
			v = opt_value(argc, argv, &i, eq);
			if (loop_kind_parse(v, &cfg.loop) == -1)
				usage_error("--loop %s: must be select, poll or "
				    "epoll", v);
		} else
			usage_error("unknown option: %s", a);
	}
	if (cfg.ntls + cfg.nweb_tls > 0 && (cfg.tls_cert == NULL ||
	    cfg.tls_key == NULL))
		usage_error("--tls and --web-tls need --tls-cert FILE and "
		    "--tls-key FILE%s", "");
	if (cfg.ntls + cfg.nweb_tls == 0 && (cfg.tls_cert != NULL ||
	    cfg.tls_key != NULL))
		usage_error("--tls-cert and --tls-key go with --tls or "
		    "--web-tls%s", "");
	if (cfg.accounts != NULL && cfg.redis != NULL)
		usage_error("--accounts %s: with --redis, accounts live in "
		    "Redis", cfg.accounts);
	if (cfg.nops > 0 && cfg.accounts == NULL && cfg.redis == NULL)
		usage_error("--op %s needs --accounts or --redis", cfg.ops[0]);
	/* A relayed line is at most 3 bytes per input byte plus a prefix. */
	if (cfg.sendq < 4 * cfg.max_line + 64) {
		log_bare(LOG_LEVEL_ERROR, "--sendq %zu is too small for "
		    "--max-line %zu: it must be at least %zu", cfg.sendq,
		    cfg.max_line, 4 * cfg.max_line + 64);
		fputs(usage_text, stderr);
		return 2;
	}
	if (verbose && quiet)
		usage_error("-v and -q cannot be used together%s", "");
	cfg.nfds = activation_fds(cfg.fds, SERVER_MAX_LISTENERS);
	/*
	 * Every listener takes a slot in a table of SERVER_MAX_LISTENERS: the
	 * inherited ones, each -b (or the two loopback defaults when neither
	 * -b nor inherited sockets are given), -u and each --web.
	 */
	total = cfg.nfds + cfg.nbinds + (cfg.unix_path != NULL ? 1 : 0) +
	    (cfg.nfds == 0 && cfg.nbinds == 0 ? 2 : 0) + cfg.nwebs + cfg.ntls +
	    cfg.nweb_tls;
	if (total > SERVER_MAX_LISTENERS) {
		log_bare(LOG_LEVEL_ERROR, "too many listeners: %zu inherited, "
		    "%zu -b, %d -u, %zu --web, %zu --tls, %zu --web-tls (at "
		    "most %d in all)", cfg.nfds, cfg.nbinds,
		    cfg.unix_path != NULL, cfg.nwebs, cfg.ntls, cfg.nweb_tls,
		    SERVER_MAX_LISTENERS);
		fputs(usage_text, stderr);
		return 2;
	}
	/* Read once, now: a missing file is a start-up error, not a quiet
	 * room later. */
	if (motd_path != NULL) {
		if (motd_load(&motd, motd_path, cfg.max_line, err,
		    sizeof err) == -1) {
			log_bare(LOG_LEVEL_ERROR, "--motd %s", err);
			return 1;
		}
		cfg.motd = &motd;
	}
	log_init("lobbyd", level);
	rc = server_run(&cfg);
	motd_free(&motd);
	return rc;
}
