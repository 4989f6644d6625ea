/* bot: an example lobby bot that greets joiners and answers !time. */
#include <errno.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "line.h"
#include "net.h"
#include "proto.h"

/*
 * The whole of a bot is a loop: read the room's lines, react to some of
 * them by writing lines back. Everything it needs from the protocol is a
 * handful of fixed prefixes (docs/PROTOCOL.md; the nick length, port and
 * welcome come from common/proto.h), and the framer in common/line.h
 * turns the byte stream into lines. A bot may block: it
 * has nobody but itself to wait for, so plain blocking reads and writes
 * do, and there is no select() loop to get wrong.
 */

#define BOT_NICK	"bot"
#define BOT_HOST	"127.0.0.1"
#define BOT_MAXLINE	(64 * 1024)	/* server lines: /who names everyone */

#define WELCOME		PROTO_WELCOME_PREFIX
#define JOINED		" joined"
#define IS_NOW		" is now "

/* The bot's state between lines. */
struct bot {
	int	 fd;			/* the server, blocking */
	char	 nick[PROTO_NICK_MAX + 1];	/* what the server calls us now */
	bool	 done;			/* the server is shutting down */
};

/* Write all of s to the server, then a LF. Returns 0, or -1 with errno. */
static int
bot_send(struct bot *b, const char *s)
{
	size_t len = strlen(s), off = 0;
	char line[1100];
	ssize_t n;

	if (len + 1 > sizeof line) {
		errno = EMSGSIZE;
		return -1;
	}
	memcpy(line, s, len);
	line[len++] = '\n';
	while (off < len) {
		n = write(b->fd, line + off, len - off);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1)
			return -1;
		off += (size_t)n;
	}
	return 0;
}

/* Copy the n bytes at s into a NUL-terminated nick, if it fits. */
static bool
bot_nick_copy(char *dst, const char *s, size_t n)
{
	if (n == 0 || n > PROTO_NICK_MAX)
		return false;
	memcpy(dst, s, n);
	dst[n] = '\0';
	return true;
}

/* The current time in UTC, as ISO 8601 ("2025-07-01T12:00:00Z"). */
static void
bot_utc_now(char *out, size_t outlen)
{
	time_t now = time(NULL);
	struct tm tm;

	if (gmtime_r(&now, &tm) == NULL ||
	    strftime(out, outlen, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
		snprintf(out, outlen, "unknown");
}

/* Is text, less trailing blanks, exactly the command word cmd? */
static bool
bot_is(const char *text, const char *cmd)
{
	size_t n = strlen(cmd);

	if (strncmp(text, cmd, n) != 0)
		return false;
	text += n;
	return text[strspn(text, " \t")] == '\0';
}

/*
 * React to one line from the server. Returns 0, or -1 when the server
 * cannot be written to.
 */
static int
bot_line(struct bot *b, const char *s)
{
	char reply[128], who[PROTO_NICK_MAX + 1], now[32];
	const char *p, *q;
	size_t n = strlen(s);

	/* Our first nick is a guest one, until the /nick sent is taken. */
	if (strncmp(s, WELCOME, strlen(WELCOME)) == 0) {
		p = s + strlen(WELCOME);
		(void)bot_nick_copy(b->nick, p, strcspn(p, " "));
		return 0;
	}
	/* "*** OLD is now NEW": follow our own renames only. */
	if (strncmp(s, "*** ", 4) == 0 && (q = strstr(s, IS_NOW)) != NULL &&
	    bot_nick_copy(who, s + 4, (size_t)(q - s - 4)) &&
	    strcmp(who, b->nick) == 0) {
		(void)bot_nick_copy(b->nick, q + strlen(IS_NOW),
		    strlen(q + strlen(IS_NOW)));
		fprintf(stderr, "bot: now called %s\n", b->nick);
		return 0;
	}
	/* "*** NICK joined": say hello. */
	if (strncmp(s, "*** ", 4) == 0 && n > 4 + strlen(JOINED) &&
	    strcmp(s + n - strlen(JOINED), JOINED) == 0 &&
	    bot_nick_copy(who, s + 4, n - 4 - strlen(JOINED)) &&
	    strchr(who, ' ') == NULL) {
		snprintf(reply, sizeof reply, "hello %s", who);
		return bot_send(b, reply);
	}
	if (strcmp(s, "*** server shutting down") == 0) {
		b->done = true;
		return 0;
	}
	/* "<alice> !time" in the room, or "[pm] <alice> !time" to us. */
	p = strncmp(s, "[pm] <", 6) == 0 ? s + 5 : s;
	if (*p == '<' && (q = strstr(p, "> ")) != NULL &&
	    bot_nick_copy(who, p + 1, (size_t)(q - p - 1)) &&
	    bot_is(q + 2, "!time")) {
		bot_utc_now(now, sizeof now);
		if (p != s)
			snprintf(reply, sizeof reply, "/msg %s it is %s", who,
			    now);
		else
			snprintf(reply, sizeof reply, "%s: it is %s", who, now);
		return bot_send(b, reply);
	}
	if (strncmp(s, "!!! ", 4) == 0)
		fprintf(stderr, "bot: the server says: %s\n", s + 4);
	return 0;
}

/* line_fn for the framer: one server line at a time. */
static int
bot_framed(void *arg, enum line_event ev, const char *text, size_t len)
{
	struct bot *b = arg;
	char *s;
	int r;

	if (ev == LINE_TOOLONG)
		return 0;	/* nothing a bot answers is that long */
	if ((s = malloc(len + 1)) == NULL)
		return -1;
	memcpy(s, text, len);
	s[len] = '\0';
	r = bot_line(b, s);
	free(s);
	return r;
}

static void
usage(void)
{
	fprintf(stderr, "usage: bot [-n NICK] [HOST [PORT]]\n"
	    "       bot [-n NICK] -u PATH\n");
	exit(2);
}

int
main(int argc, char **argv)
{
	const char *nick = BOT_NICK, *host = BOT_HOST, *port = PROTO_PORT_STR;
	const char *unix_path = NULL;
	struct bot b;
	struct line in;
	char err[256], cmd[64], data[4096];
	ssize_t n;
	int c, r = 0;

	while ((c = getopt(argc, argv, "n:u:")) != -1) {
		if (c == 'n')
			nick = optarg;
		else if (c == 'u')
			unix_path = optarg;
		else
			usage();
	}
	argc -= optind;
	argv += optind;
	if (argc > 2 || (unix_path != NULL && argc > 0) ||
	    strlen(nick) > PROTO_NICK_MAX)
		usage();
	if (argc > 0)
		host = argv[0];
	if (argc > 1)
		port = argv[1];

	signal(SIGPIPE, SIG_IGN);
	memset(&b, 0, sizeof b);
	b.fd = net_connect(unix_path != NULL ? NULL : host,
	    unix_path != NULL ? unix_path : port, err, sizeof err);
	if (b.fd == -1) {
		fprintf(stderr, "bot: %s\n", err);
		return 1;
	}
	snprintf(cmd, sizeof cmd, "/nick %s", nick);
	if (bot_send(&b, cmd) == -1) {
		fprintf(stderr, "bot: %s\n", strerror(errno));
		return 1;
	}
	line_init(&in, BOT_MAXLINE);
	while (!b.done && r == 0) {
		n = read(b.fd, data, sizeof data);
		if (n == -1 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		r = line_feed(&in, data, (size_t)n, bot_framed, &b);
	}
	if (r != 0)
		fprintf(stderr, "bot: %s\n", strerror(errno));
	else if (!b.done)
		fprintf(stderr, "bot: the server closed the connection\n");
	line_free(&in);
	close(b.fd);
	return r != 0 || !b.done ? 1 : 0;
}
