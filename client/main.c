/* lobby: the line-mode client: options, the connection and its select() loop. */
#include <errno.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/select.h>
#include <time.h>
#include <unistd.h>

#include "buf.h"
#include "editor.h"
#include "line.h"
#include "net.h"
#include "term.h"
#include "text.h"

#define LOBBY_HOST	"localhost"
#define LOBBY_PORT	"12580"
#define LOBBY_PROMPT	"> "
#define LOBBY_MAXLINE	(64 * 1024)	/* a server line: /who names everyone */
#define LOBBY_READ	(64 * 1024)	/* bytes per read() of the socket */
#define LOBBY_KEYS	4096		/* bytes per read() of the keyboard */
#define LOBBY_OUTQ_HIGH	(256 * 1024)	/* stop reading stdin past this */
#define LOBBY_LINGER_MS	2000		/* after /quit, wait this for the close */
#define LOBBY_NICKMAX	20		/* the protocol's longest nick */

/* ANSI colours, one for each kind of line a terminal shows. */
#define C_RESET		"\033[0m"
#define C_NICK		"\033[32m"	/* <nick> of chat */
#define C_SELF		"\033[34m"	/* <nick> of one's own chat */
#define C_ACTION	"\033[35m"	/* * nick of /me */
#define C_PM		"\033[33m"	/* [pm] <nick> */
#define C_NOTICE	"\033[36m"	/* *** notices */
#define C_ERROR		"\033[31m"	/* !!! errors */

/* What the command line asked for. */
struct options {
	const char	*nick;		/* -n: sent as /nick first, or NULL */
	const char	*unix_path;	/* -u: Unix socket instead of TCP */
	const char	*host;		/* host name or address */
	const char	*port;		/* port number or service name */
	bool		 color;		/* colours wanted (on a terminal) */
};

/* Exit status of the run; QUIT_NONE while it goes on. */
enum {
	QUIT_NONE = -1,
};

/* One session with the server. */
struct client {
	int		 sock;		/* the server, non-blocking */
	bool		 tty;		/* interactive: raw mode and the editor */
	bool		 color;		/* colour the lines shown */
	bool		 stdin_open;	/* stdin may still give lines */
	bool		 quitting;	/* /quit sent: the close is expected */
	bool		 shown;		/* the input line is on the screen */
	bool		 dirty;		/* the input line changed: redraw it */
	long long	 deadline;	/* ms when waiting for the close ends */
	int		 status;	/* exit status, QUIT_NONE while running */
	int		 sig;		/* the signal that ends us, or 0 */
	unsigned	 width;		/* terminal columns */
	char		 nick[LOBBY_NICKMAX + 1]; /* our nick, as the server said */
	struct buf	 outq;		/* bytes for the server */
	struct buf	 screen;	/* bytes for stdout, written each pass */
	struct line	 in;		/* frames the server's lines */
	struct line	 keys;		/* frames stdin lines when not a tty */
	char		*clean;		/* text_clean() room for one line */
	struct editor	 ed;		/* the input line, on a terminal */
};

/* ------------------------------------------------------------------ */
/* Helpers                                                             */
/* ------------------------------------------------------------------ */

/* Milliseconds on a monotonic clock. */
static long long
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Append n bytes to b; running out of memory ends the client. */
static void
put_n(struct buf *b, const char *s, size_t n)
{
	if (buf_append(b, s, n) == -1) {
		term_restore();
		fprintf(stderr, "lobby: out of memory\n");
		exit(1);
	}
}

/* Append a NUL-terminated string to b. */
static void
put(struct buf *b, const char *s)
{
	put_n(b, s, strlen(s));
}

/* Is s a command word cmd (case-insensitive), alone or before a blank? */
static bool
is_command(const char *s, size_t n, const char *cmd)
{
	size_t k = strlen(cmd);

	return n >= k && strncasecmp(s, cmd, k) == 0 &&
	    (n == k || s[k] == ' ' || s[k] == '\t');
}

/* Is s a nick the protocol accepts: 1-20 of A-Z a-z 0-9 _ - ? */
static bool
nick_valid(const char *s)
{
	size_t n = strlen(s);

	return n >= 1 && n <= LOBBY_NICKMAX &&
	    strspn(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
	    "0123456789_-") == n;
}

/* ------------------------------------------------------------------ */
/* The screen                                                          */
/* ------------------------------------------------------------------ */

/* Take the input line off the screen before printing above it. */
static void
screen_hide_input(struct client *c)
{
	if (c->tty && c->shown) {
		put(&c->screen, "\r\033[K");
		c->shown = false;
	}
}

/*
 * Show one line: on a terminal above the input line, with the sender or
 * the kind of line coloured; otherwise as it is. s is clean text.
 */
static void
screen_line(struct client *c, const char *s, size_t n, bool self)
{
	const char *color = NULL, *p;
	size_t k = 0;

	screen_hide_input(c);
	if (c->color) {
		if (n >= 4 && memcmp(s, "*** ", 4) == 0) {
			color = C_NOTICE;
			k = n;
		} else if (n >= 4 && memcmp(s, "!!! ", 4) == 0) {
			color = C_ERROR;
			k = n;
		} else if (n >= 6 && memcmp(s, "[pm] <", 6) == 0 &&
		    (p = memchr(s, '>', n)) != NULL) {
			color = C_PM;
			k = (size_t)(p - s) + 1;
		} else if (n >= 1 && s[0] == '<' &&
		    (p = memchr(s, '>', n)) != NULL) {
			color = self ? C_SELF : C_NICK;
			k = (size_t)(p - s) + 1;
		} else if (n >= 2 && memcmp(s, "* ", 2) == 0) {
			color = C_ACTION;
			p = memchr(s + 2, ' ', n - 2);
			k = p != NULL ? (size_t)(p - s) : n;
		}
	}
	if (color != NULL) {
		put(&c->screen, color);
		put_n(&c->screen, s, k);
		put(&c->screen, C_RESET);
		put_n(&c->screen, s + k, n - k);
	} else
		put_n(&c->screen, s, n);
	put(&c->screen, c->tty ? "\r\n" : "\n");
}

/*
 * A message of the client itself: on a terminal it shows as a notice
 * among the others; otherwise it goes to stderr, so that stdout carries
 * only what the server sent.
 */
static void
screen_notice(struct client *c, const char *text)
{
	if (!c->tty) {
		fprintf(stderr, "%s\n", text);
		return;
	}
	screen_line(c, text, strlen(text), false);
}

/* Write all of b to fd, waiting when the fd is non-blocking and full. */
static int
write_all(int fd, struct buf *b)
{
	fd_set wr;
	ssize_t n;

	while (buf_used(b) > 0) {
		n = write(fd, buf_peek(b), buf_used(b));
		if (n > 0) {
			buf_drain(b, (size_t)n);
			continue;
		}
		if (n == -1 && errno == EINTR)
			continue;
		/* Someone else made the shared terminal non-blocking. */
		if (n == -1 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
			FD_ZERO(&wr);
			FD_SET(fd, &wr);
			(void)select(fd + 1, NULL, &wr, NULL, NULL);
			continue;
		}
		buf_clear(b);
		return -1;
	}
	buf_shrink(b);
	return 0;
}

/* Write out what is waiting for stdout. */
static void
screen_write(struct client *c)
{
	if (write_all(STDOUT_FILENO, &c->screen) == -1 &&
	    c->status == QUIT_NONE) {
		/* Nobody reads us any more (a closed pipe): leave quietly. */
		c->status = errno == EPIPE ? 0 : 1;
		if (errno != EPIPE)
			fprintf(stderr, "lobby: stdout: %s\n", strerror(errno));
	}
}

/* Redraw the input line if it is not on the screen as it is, then write. */
static void
screen_flush(struct client *c)
{
	if (c->tty && (!c->shown || c->dirty) && c->status == QUIT_NONE &&
	    !c->quitting) {
		if (editor_render(&c->ed, LOBBY_PROMPT, c->width,
		    &c->screen) == -1) {
			term_restore();
			fprintf(stderr, "lobby: out of memory\n");
			exit(1);
		}
		c->shown = true;
		c->dirty = false;
	}
	screen_write(c);
}

/* ------------------------------------------------------------------ */
/* The server                                                          */
/* ------------------------------------------------------------------ */

/* Queue one line (without its LF) for the server. */
static void
server_send(struct client *c, const char *s, size_t n)
{
	put_n(&c->outq, s, n);
	put_n(&c->outq, "\n", 1);
	if (is_command(s, n, "/quit"))
		c->quitting = true;
}

/*
 * Follow our own nick in the notices that tell it: the welcome, and a
 * rename of the nick we have. Only the server starts a line with "***".
 */
static void
server_track_nick(struct client *c, const char *s, size_t n)
{
	static const char welcome[] = "*** welcome to lobby, you are ";
	char old[LOBBY_NICKMAX + 1], new[LOBBY_NICKMAX + 1], tail;
	char line[128];
	size_t k;

	if (n >= sizeof welcome - 1 && memcmp(s, welcome,
	    sizeof welcome - 1) == 0) {
		s += sizeof welcome - 1;
		n -= sizeof welcome - 1;
		for (k = 0; k < n && k < LOBBY_NICKMAX && s[k] != ' '; k++)
			c->nick[k] = s[k];
		c->nick[k] = '\0';
		return;
	}
	if (n >= sizeof line || n < 4 || memcmp(s, "*** ", 4) != 0)
		return;
	memcpy(line, s, n);
	line[n] = '\0';
	if (sscanf(line, "*** %20s is now %20s%c", old, new, &tail) == 2 &&
	    strcasecmp(old, c->nick) == 0 && nick_valid(new))
		memcpy(c->nick, new, strlen(new) + 1);
}

/* A line from the server: clean it, then show it. */
static int
server_line(void *arg, enum line_event ev, const char *text, size_t len)
{
	struct client *c = arg;
	size_t n;

	if (ev == LINE_TOOLONG) {
		screen_notice(c, "lobby: a line from the server was over "
		    "64 KiB and was dropped");
		return 0;
	}
	n = text_clean(text, len, c->clean);
	server_track_nick(c, c->clean, n);
	screen_line(c, c->clean, n, false);
	return 0;
}

/* The server closed the connection, or it broke: the end of the run. */
static void
server_gone(struct client *c)
{
	(void)line_finish(&c->in, server_line, c);
	if (c->quitting) {
		c->status = 0;
		return;
	}
	if (c->tty)
		screen_notice(c, "*** disconnected from server");
	else {
		/* stdout first, so the order of the two streams holds. */
		screen_flush(c);
		fprintf(stderr, "*** disconnected from server\n");
	}
	c->status = 1;
}

/* The socket is readable: read once and show what it brought. */
static void
server_read(struct client *c)
{
	char data[LOBBY_READ];
	ssize_t n;

	n = read(c->sock, data, sizeof data);
	if (n == -1 && (errno == EINTR || errno == EAGAIN ||
	    errno == EWOULDBLOCK))
		return;
	if (n <= 0) {
		server_gone(c);
		return;
	}
	if (line_feed(&c->in, data, (size_t)n, server_line, c) == -1) {
		screen_notice(c, "lobby: out of memory");
		c->status = 1;
	}
}

/* Write what the socket takes of the queue. */
static void
server_write(struct client *c)
{
	ssize_t n;

	if (buf_used(&c->outq) == 0)
		return;
	n = write(c->sock, buf_peek(&c->outq), buf_used(&c->outq));
	if (n > 0) {
		buf_drain(&c->outq, (size_t)n);
		buf_shrink(&c->outq);
	} else if (n == -1 && errno != EINTR && errno != EAGAIN &&
	    errno != EWOULDBLOCK)
		server_gone(c);
}

/* ------------------------------------------------------------------ */
/* Input                                                               */
/* ------------------------------------------------------------------ */

/*
 * Show a line the user sent the way the others will see it (the server
 * never sends our own lines back): chat as <nick> text, /me as * nick
 * text; other commands as typed, their answers follow from the server.
 */
static void
input_echo(struct client *c, const char *s, size_t n)
{
	const char *nick = c->nick[0] != '\0' ? c->nick : "me";
	struct buf b = BUF_INIT;
	bool self = false;

	if (n >= 2 && s[0] == '/' && s[1] == '/') {
		put(&b, "<");
		put(&b, nick);
		put(&b, "> ");
		put_n(&b, s + 1, n - 1);
		self = true;
	} else if (is_command(s, n, "/me") && !text_is_blank(s + 3, n - 3)) {
		put(&b, "* ");
		put(&b, nick);
		put_n(&b, s + 3, n - 3);
	} else if (s[0] == '/')
		put_n(&b, s, n);
	else {
		put(&b, "<");
		put(&b, nick);
		put(&b, "> ");
		put_n(&b, s, n);
		self = true;
	}
	screen_line(c, buf_peek(&b), buf_used(&b), self);
	buf_free(&b);
}

/* Leave at the user's wish: /quit to the server, then wait for the close. */
static void
input_quit(struct client *c)
{
	if (!c->quitting)
		server_send(c, "/quit", 5);
	c->stdin_open = false;
}

/* Keys from the terminal, through the editor. */
static void
input_keys(struct client *c, const char *data, size_t n)
{
	size_t i, len;

	for (i = 0; i < n && c->stdin_open; i++) {
		switch (editor_key(&c->ed, (unsigned char)data[i])) {
		case EDITOR_NONE:
			break;
		case EDITOR_REDRAW:
			c->dirty = true;
			break;
		case EDITOR_LINE:
			len = strlen(c->ed.line);
			if (text_is_blank(c->ed.line, len)) {
				c->dirty = true;
				break;
			}
			input_echo(c, c->ed.line, len);
			server_send(c, c->ed.line, len);
			if (c->quitting)
				c->stdin_open = false;
			break;
		case EDITOR_QUIT:
			input_quit(c);
			break;
		case EDITOR_SUSPEND:
			/* Back to a normal terminal while stopped. */
			screen_hide_input(c);
			screen_write(c);
			term_restore();
			(void)raise(SIGTSTP);
			if (term_raw(STDIN_FILENO) == -1)
				c->status = 1;
			c->width = term_width(STDOUT_FILENO);
			c->dirty = true;
			break;
		}
	}
}

/* A line from stdin when it is not a terminal: send it as it is. */
static int
input_line(void *arg, enum line_event ev, const char *text, size_t len)
{
	struct client *c = arg;

	if (ev == LINE_TOOLONG) {
		fprintf(stderr, "lobby: an input line over 64 KiB was not "
		    "sent\n");
		return 0;
	}
	server_send(c, text, len);
	/* After a /quit the server reads nothing more from us. */
	return c->quitting ? 1 : 0;
}

/* stdin is readable: read once. */
static void
input_read(struct client *c)
{
	char data[LOBBY_KEYS];
	ssize_t n;

	n = read(STDIN_FILENO, data, sizeof data);
	if (n == -1 && (errno == EINTR || errno == EAGAIN ||
	    errno == EWOULDBLOCK))
		return;
	if (n <= 0) {
		/* End of input: send what is left, then leave. */
		if (!c->tty)
			(void)line_finish(&c->keys, input_line, c);
		input_quit(c);
		return;
	}
	if (c->tty)
		input_keys(c, data, (size_t)n);
	else if (line_feed(&c->keys, data, (size_t)n, input_line, c) != 0)
		c->stdin_open = false;
}

/* ------------------------------------------------------------------ */
/* The loop                                                            */
/* ------------------------------------------------------------------ */

/* A signal arrived through the self-pipe. */
static void
client_signal(struct client *c, int sig)
{
	if (sig == SIGWINCH) {
		c->width = term_width(STDOUT_FILENO);
		c->dirty = true;
		return;
	}
	/* INT, TERM, HUP: say goodbye if the socket takes it, then die. */
	if (!c->quitting)
		server_send(c, "/quit", 5);
	server_write(c);
	screen_hide_input(c);
	c->sig = sig;
}

/* Run the session until it ends; returns the exit status. */
static int
client_loop(struct client *c, int sigfd)
{
	fd_set rd, wr;
	struct timeval tv, *tvp;
	long long left;
	int maxfd, sig;

	while (c->status == QUIT_NONE && c->sig == 0) {
		FD_ZERO(&rd);
		FD_ZERO(&wr);
		maxfd = c->sock;
		FD_SET(c->sock, &rd);
		if (buf_used(&c->outq) > 0)
			FD_SET(c->sock, &wr);
		/* A full queue holds stdin back: memory stays bounded. */
		if (c->stdin_open && buf_used(&c->outq) < LOBBY_OUTQ_HIGH)
			FD_SET(STDIN_FILENO, &rd);
		if (sigfd != -1) {
			FD_SET(sigfd, &rd);
			if (sigfd > maxfd)
				maxfd = sigfd;
		}
		tvp = NULL;
		if (c->deadline != 0) {
			left = c->deadline - now_ms();
			if (left <= 0) {
				c->status = 0;
				break;
			}
			tv.tv_sec = (time_t)(left / 1000);
			tv.tv_usec = (suseconds_t)(left % 1000) * 1000;
			tvp = &tv;
		}
		if (select(maxfd + 1, &rd, &wr, NULL, tvp) == -1) {
			if (errno == EINTR)
				continue;
			screen_hide_input(c);
			fprintf(stderr, "lobby: select: %s\n", strerror(errno));
			return 1;
		}
		if (sigfd != -1 && FD_ISSET(sigfd, &rd))
			while ((sig = term_signal_next()) != 0)
				client_signal(c, sig);
		if (c->status == QUIT_NONE && FD_ISSET(c->sock, &rd))
			server_read(c);
		if (c->status == QUIT_NONE && FD_ISSET(STDIN_FILENO, &rd))
			input_read(c);
		/* Write now rather than wait a pass for select() to agree. */
		if (c->status == QUIT_NONE)
			server_write(c);
		/* The 2 s for the server to close start once /quit is out. */
		if (c->quitting && buf_used(&c->outq) == 0 && c->deadline == 0)
			c->deadline = now_ms() + LOBBY_LINGER_MS;
		screen_flush(c);
	}
	if (c->tty) {
		screen_hide_input(c);
		screen_write(c);
	}
	if (c->sig != 0)
		term_die(c->sig);
	return c->status;
}

/* Connect, set up and run; returns the exit status. */
static int
client_run(const struct options *o)
{
	static struct client c;	/* the editor is too big for the stack */
	struct buf first = BUF_INIT;
	char err[512];
	int sigfd = -1, status;

	c.sock = net_connect(o->unix_path != NULL ? NULL : o->host,
	    o->unix_path != NULL ? o->unix_path : o->port, err, sizeof err);
	if (c.sock == -1) {
		fprintf(stderr, "lobby: %s\n", err);
		return 1;
	}
	if (net_nonblock(c.sock) == -1) {
		fprintf(stderr, "lobby: %s\n", strerror(errno));
		return 1;
	}
	/* select() cannot watch it: only possible with fds leaked to us. */
	if (c.sock >= FD_SETSIZE) {
		fprintf(stderr, "lobby: socket fd %d is beyond FD_SETSIZE\n",
		    c.sock);
		return 1;
	}
	c.tty = isatty(STDIN_FILENO) && isatty(STDOUT_FILENO);
	c.color = c.tty && o->color;
	c.stdin_open = true;
	c.status = QUIT_NONE;
	c.outq = first;
	c.screen = first;
	line_init(&c.in, LOBBY_MAXLINE);
	line_init(&c.keys, LOBBY_MAXLINE);
	editor_init(&c.ed);
	if ((c.clean = malloc(TEXT_CLEAN_MAX(LOBBY_MAXLINE))) == NULL) {
		fprintf(stderr, "lobby: out of memory\n");
		return 1;
	}
	if (o->nick != NULL) {
		put(&first, "/nick ");
		put(&first, o->nick);
		server_send(&c, buf_peek(&first), buf_used(&first));
		buf_free(&first);
	}
	if (c.tty) {
		if ((sigfd = term_signals()) == -1 ||
		    term_raw(STDIN_FILENO) == -1) {
			fprintf(stderr, "lobby: terminal: %s\n",
			    strerror(errno));
			return 1;
		}
		c.width = term_width(STDOUT_FILENO);
	}
	status = client_loop(&c, sigfd);
	term_restore();
	close(c.sock);
	editor_free(&c.ed);
	line_free(&c.in);
	line_free(&c.keys);
	buf_free(&c.outq);
	buf_free(&c.screen);
	free(c.clean);
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
	    LOBBY_HOST " " LOBBY_PORT "\n");
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
	if (o->nick != NULL && !nick_valid(o->nick)) {
		fprintf(stderr, "lobby: invalid nick: %s (1-20 letters, "
		    "digits, _ or -)\n", o->nick);
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
	struct options o = { NULL, NULL, LOBBY_HOST, LOBBY_PORT, true };
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
	return client_run(&o);
}
