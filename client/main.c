/* lobby: the line-mode client: options, the session and its select() loop. */
#include <errno.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/select.h>
#include <time.h>
#include <unistd.h>

#include "input.h"
#include "session.h"
#include "term.h"
#include "text.h"
#include "version.h"

#define LOBBY_HOST	"localhost"
#define LOBBY_OUTQ_HIGH	(256 * 1024)	/* stop reading stdin past this */
#define LOBBY_LINGER_MS	2000		/* after /quit, wait this for the close */

/* What the command line asked for. */
struct options {
	const char	*nick;		/* -n: sent as /nick first, or NULL */
	const char	*unix_path;	/* -u: Unix socket instead of TCP */
	const char	*host;		/* host name or address */
	const char	*port;		/* port number or service name */
	bool		 color;		/* colours wanted (on a terminal) */
};

/* ------------------------------------------------------------------ */
/* The session                                                         */
/* ------------------------------------------------------------------ */

/* Milliseconds on a monotonic clock. */
static long long
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void
sess_nomem(struct session *s)
{
	if (s->status == SESS_RUNNING) {
		(void)screen_hide_input(&s->scr);
		fprintf(stderr, "lobby: out of memory\n");
		s->status = 1;
	}
}

/* Write out what is waiting for stdout. */
static void
sess_write(struct session *s)
{
	if (screen_write(&s->scr, STDOUT_FILENO) == -1 &&
	    s->status == SESS_RUNNING) {
		/* Nobody reads us any more (a closed pipe): leave quietly. */
		s->status = errno == EPIPE ? 0 : 1;
		if (errno != EPIPE)
			fprintf(stderr, "lobby: stdout: %s\n", strerror(errno));
	}
}

/* Redraw the input line if it is not on the screen as it is, then write. */
static void
sess_flush(struct session *s)
{
	if (s->status == SESS_RUNNING && !s->link.quitting &&
	    screen_input(&s->scr, &s->ed, SESS_PROMPT) == -1)
		sess_nomem(s);
	/* Out of memory: what was queued still goes, then we end. */
	sess_write(s);
}

/* A line from the server: clean it, then show it. */
static int
sess_server_line(void *arg, enum line_event ev, const char *text, size_t len)
{
	struct session *s = arg;
	size_t n;

	if (ev == LINE_TOOLONG) {
		if (screen_notice(&s->scr, "lobby: a line from the server was "
		    "over 64 KiB and was dropped") == -1)
			sess_nomem(s);
		return 0;
	}
	n = text_clean(text, len, s->clean);
	link_track_nick(&s->link, s->clean, n);
	if (screen_line(&s->scr, s->clean, n, false) == -1)
		sess_nomem(s);
	return 0;
}

/* The server closed the connection, or it broke: the end of the run. */
static void
sess_server_gone(struct session *s)
{
	(void)link_finish(&s->link, sess_server_line, s);
	if (s->link.quitting) {
		s->status = 0;
		return;
	}
	if (s->tty) {
		if (screen_notice(&s->scr, "*** disconnected from server") == -1)
			sess_nomem(s);
	} else {
		/* stdout first, so the order of the two streams holds. */
		sess_flush(s);
		fprintf(stderr, "*** disconnected from server\n");
	}
	if (s->status == SESS_RUNNING)
		s->status = 1;
}

/* The socket is readable: read once and show what it brought. */
static void
sess_server_read(struct session *s)
{
	switch (link_read(&s->link, sess_server_line, s)) {
	case LINK_OK:
		break;
	case LINK_GONE:
		sess_server_gone(s);
		break;
	case LINK_NOMEM:
		(void)screen_notice(&s->scr, "lobby: out of memory");
		s->status = 1;
		break;
	}
}

/* Write what the socket takes of the queue. */
static void
sess_server_write(struct session *s)
{
	if (link_write(&s->link) == LINK_GONE)
		sess_server_gone(s);
}

/* A signal arrived through the self-pipe. */
static void
sess_signal(struct session *s, int sig)
{
	if (sig == SIGWINCH) {
		s->scr.width = term_width(STDOUT_FILENO);
		s->scr.dirty = true;
		return;
	}
	/* INT, TERM, HUP: say goodbye if the socket takes it, then die. */
	if (!s->link.quitting)
		(void)link_send(&s->link, "/quit", 5);
	(void)link_write(&s->link);
	(void)screen_hide_input(&s->scr);
	s->sig = sig;
}

/* Run the session until it ends; returns the exit status. */
static int
sess_loop(struct session *s, int sigfd)
{
	fd_set rd, wr;
	struct timeval tv, *tvp;
	long long left;
	int maxfd, sig, sock = s->link.sock;

	while (s->status == SESS_RUNNING && s->sig == 0) {
		FD_ZERO(&rd);
		FD_ZERO(&wr);
		maxfd = sock;
		FD_SET(sock, &rd);
		if (buf_used(&s->link.outq) > 0)
			FD_SET(sock, &wr);
		/* A full queue holds stdin back: memory stays bounded. */
		if (s->stdin_open && buf_used(&s->link.outq) < LOBBY_OUTQ_HIGH)
			FD_SET(STDIN_FILENO, &rd);
		if (sigfd != -1) {
			FD_SET(sigfd, &rd);
			if (sigfd > maxfd)
				maxfd = sigfd;
		}
		tvp = NULL;
		if (s->deadline != 0) {
			left = s->deadline - now_ms();
			if (left <= 0) {
				s->status = 0;
				break;
			}
			tv.tv_sec = (time_t)(left / 1000);
			tv.tv_usec = (suseconds_t)(left % 1000) * 1000;
			tvp = &tv;
		}
		if (select(maxfd + 1, &rd, &wr, NULL, tvp) == -1) {
			if (errno == EINTR)
				continue;
			(void)screen_hide_input(&s->scr);
			fprintf(stderr, "lobby: select: %s\n", strerror(errno));
			return 1;
		}
		if (sigfd != -1 && FD_ISSET(sigfd, &rd))
			while ((sig = term_signal_next()) != 0)
				sess_signal(s, sig);
		if (s->status == SESS_RUNNING && FD_ISSET(sock, &rd))
			sess_server_read(s);
		if (s->status == SESS_RUNNING && FD_ISSET(STDIN_FILENO, &rd))
			input_read(s);
		/* Write now rather than wait a pass for select() to agree. */
		if (s->status == SESS_RUNNING)
			sess_server_write(s);
		/* The 2 s for the server to close start once /quit is out. */
		if (s->link.quitting && buf_used(&s->link.outq) == 0 &&
		    s->deadline == 0)
			s->deadline = now_ms() + LOBBY_LINGER_MS;
		sess_flush(s);
	}
	if (s->tty) {
		(void)screen_hide_input(&s->scr);
		sess_write(s);
	}
	if (s->sig != 0)
		term_die(s->sig);
	return s->status;
}

/* Set every field of a session that is not yet connected. */
static void
sess_init(struct session *s, bool tty, bool color)
{
	link_init(&s->link);
	screen_init(&s->scr, tty, color);
	editor_init(&s->ed);
	line_init(&s->keys, LINK_MAXLINE);
	s->clean = NULL;
	s->tty = tty;
	s->stdin_open = true;
	s->deadline = 0;
	s->status = SESS_RUNNING;
	s->sig = 0;
}

/* Release all a session holds. */
static void
sess_free(struct session *s)
{
	link_close(&s->link);
	screen_free(&s->scr);
	editor_free(&s->ed);
	line_free(&s->keys);
	free(s->clean);
}

/* Connect, set up and run s; returns the exit status. */
static int
sess_start(struct session *s, const struct options *o)
{
	char err[512], first[8 + PROTO_NICK_MAX];
	int sigfd = -1;

	if (link_open(&s->link, o->host, o->port, o->unix_path, err,
	    sizeof err) == -1) {
		fprintf(stderr, "lobby: %s\n", err);
		return 1;
	}
	if ((s->clean = malloc(TEXT_CLEAN_MAX(LINK_MAXLINE))) == NULL) {
		fprintf(stderr, "lobby: out of memory\n");
		return 1;
	}
	if (o->nick != NULL) {
		/* The nick was checked: PROTO_NICK_MAX at most, so it fits. */
		snprintf(first, sizeof first, "/nick %s", o->nick);
		if (link_send(&s->link, first, strlen(first)) == -1) {
			fprintf(stderr, "lobby: out of memory\n");
			return 1;
		}
	}
	if (s->tty) {
		if ((sigfd = term_signals()) == -1 ||
		    term_raw(STDIN_FILENO) == -1) {
			fprintf(stderr, "lobby: terminal: %s\n",
			    strerror(errno));
			return 1;
		}
		s->scr.width = term_width(STDOUT_FILENO);
	}
	return sess_loop(s, sigfd);
}

/* Set up a session, run it, and clean up; returns the exit status. */
static int
sess_run(const struct options *o)
{
	struct session *s;	/* on the heap: the editor is big */
	bool tty = isatty(STDIN_FILENO) && isatty(STDOUT_FILENO);
	int status;

	if ((s = malloc(sizeof *s)) == NULL) {
		fprintf(stderr, "lobby: out of memory\n");
		return 1;
	}
	sess_init(s, tty, o->color);
	status = sess_start(s, o);
	term_restore();
	sess_free(s);
	free(s);
	return status;
}

/* ------------------------------------------------------------------ */
/* Command line                                                        */
/* ------------------------------------------------------------------ */

static void
usage(FILE *f)
{
	fprintf(f, "usage: lobby [-n NICK] [-u PATH] [--no-color] "
	    "[HOST [PORT]]\n"
	    "       lobby --help | --version\n"
	    "\n"
	    "  -n, --nick NICK   take this nick on joining (/nick NICK)\n"
	    "  -u, --unix PATH   connect to the Unix-domain socket PATH\n"
	    "      --no-color    no colours (also: NO_COLOR set)\n"
	    "  HOST [PORT]       server name or address; default "
	    LOBBY_HOST " " PROTO_PORT_STR "\n");
}

/*
 * The value of option opt at argv[*i]: "-n NICK", "-nNICK", "--nick NICK"
 * or "--nick=NICK". NULL (after a message) when it is missing.
 */
static const char *
opt_value(int argc, char **argv, int *i, const char *eq)
{
	if (eq != NULL)
		return eq;
	if (*i + 1 >= argc) {
		fprintf(stderr, "lobby: option %s needs a value\n", argv[*i]);
		return NULL;
	}
	return argv[++*i];
}

/* Is s a TCP port number 1-65535 when it is numeric at all? */
static bool
port_ok(const char *s)
{
	char *end;
	long v;

	if (s[0] == '\0')
		return false;
	if (strspn(s, "0123456789") != strlen(s))
		return true;	/* a service name: getaddrinfo() decides */
	errno = 0;
	v = strtol(s, &end, 10);
	return errno == 0 && *end == '\0' && v >= 1 && v <= 65535;
}

/* Fill o from argv. Returns 0, 1 when done (help, version), -1 on error. */
static int
parse_args(int argc, char **argv, struct options *o)
{
	const char *pos[2], *a, *eq, **dst;
	char name[16];
	int i, npos = 0;
	bool opts = true;
	size_t k;

	for (i = 1; i < argc; i++) {
		a = argv[i];
		if (!opts || a[0] != '-' || a[1] == '\0') {
			if (npos == 2) {
				fprintf(stderr, "lobby: too many arguments\n");
				return -1;
			}
			pos[npos++] = a;
			continue;
		}
		if (strcmp(a, "--") == 0) {
			opts = false;
			continue;
		}
		/* Split "--opt=value" and "-xvalue". */
		eq = NULL;
		if (a[1] == '-') {
			k = strcspn(a, "=");
			if (a[k] == '=')
				eq = a + k + 1;
		} else {
			k = 2;
			if (a[2] != '\0')
				eq = a + 2;
		}
		if (k >= sizeof name)
			k = sizeof name - 1;
		memcpy(name, a, k);
		name[k] = '\0';
		dst = NULL;
		if (strcmp(name, "-n") == 0 || strcmp(name, "--nick") == 0)
			dst = &o->nick;
		else if (strcmp(name, "-u") == 0 ||
		    strcmp(name, "--unix") == 0)
			dst = &o->unix_path;
		else if (eq == NULL && strcmp(a, "--no-color") == 0)
			o->color = false;
		else if (eq == NULL && (strcmp(a, "--help") == 0 ||
		    strcmp(a, "-h") == 0)) {
			usage(stdout);
			return 1;
		} else if (eq == NULL && (strcmp(a, "--version") == 0 ||
		    strcmp(a, "-V") == 0)) {
			printf("lobby %s\n", LOBBY_VERSION);
			return 1;
		} else {
			fprintf(stderr, "lobby: unknown option %s\n", a);
			return -1;
		}
		if (dst != NULL && (*dst = opt_value(argc, argv, &i, eq)) ==
		    NULL)
			return -1;
	}
	if (o->unix_path != NULL && npos > 0) {
		fprintf(stderr, "lobby: -u and HOST do not go together\n");
		return -1;
	}
	if (npos > 0)
		o->host = pos[0];
	if (npos > 1)
		o->port = pos[1];
	if (o->nick != NULL && !link_nick_valid(o->nick)) {
		fprintf(stderr, "lobby: invalid nick: %s ("
		    PROTO_NICK_RULE ")\n", o->nick);
		return -1;
	}
	if (!port_ok(o->port)) {
		fprintf(stderr, "lobby: invalid port: %s\n", o->port);
		return -1;
	}
	return 0;
}

int
main(int argc, char **argv)
{
	struct options o = { NULL, NULL, LOBBY_HOST, PROTO_PORT_STR, true };
	const char *nc = getenv("NO_COLOR");
	int r;

	/* https://no-color.org: set and not empty means no colour. */
	if (nc != NULL && nc[0] != '\0')
		o.color = false;
	if ((r = parse_args(argc, argv, &o)) != 0) {
		if (r == -1)
			usage(stderr);
		return r == -1 ? 2 : 0;
	}
	/* A dead socket or reader shows up as EPIPE, not as death. */
	signal(SIGPIPE, SIG_IGN);
	return sess_run(&o);
}
