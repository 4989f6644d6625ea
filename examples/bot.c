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
#include "sline.h"

/*
 * The whole of a bot is a loop: read the room's lines, react to some of
 * them by writing lines back. What a line is (chat, a join, a rename...)
 * comes from common/sline.h, the one parser of the server's lines
 * (docs/PROTOCOL.md), and the framer in common/line.h turns the byte
 * stream into lines. A bot may block: it
 * has nobody but itself to wait for, so plain blocking reads and writes
 * do, and there is no select() loop to get wrong.
 */

#define BOT_NICK	"bot"
#define BOT_HOST	"127.0.0.1"
#define BOT_MAXLINE	(64 * 1024)	/* server lines: /who names everyone */

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

/* Copy the n bytes at s (a nick sline checked) into dst. */
static void
bot_nick_copy(char *dst, const char *s, size_t n)
{
	memcpy(dst, s, n);
	dst[n] = '\0';
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

/* Is text[0..n), less trailing blanks, exactly the command word cmd? */
static bool
bot_is(const char *text, size_t n, const char *cmd)
{
	size_t k = strlen(cmd);

	if (n < k || memcmp(text, cmd, k) != 0)
		return false;
	for (; k < n; k++)
		if (text[k] != ' ' && text[k] != '\t')
			return false;
	return true;
}

/*
 * React to one line from the server. Returns 0, or -1 when the server
 * cannot be written to.
 */
static int
bot_line(struct bot *b, const char *s, size_t n)
{
	char reply[128], who[PROTO_NICK_MAX + 1], now[32];
	struct sline sl;

	switch (sline_parse(&sl, s, n)) {
	case SLINE_WELCOME:
		/* Our first nick is a guest one, until the /nick is taken. */
		bot_nick_copy(b->nick, sl.nick, sl.nlen);
		return 0;
	case SLINE_RENAMED:
		/* Follow our own renames only (nicks ignore case). */
		if (sline_nick_is(sl.nick, sl.nlen, b->nick)) {
			bot_nick_copy(b->nick, sl.nick2, sl.n2len);
			fprintf(stderr, "bot: now called %s\n", b->nick);
		}
		return 0;
	case SLINE_JOINED:
		bot_nick_copy(who, sl.nick, sl.nlen);
		snprintf(reply, sizeof reply, "hello %s", who);
		return bot_send(b, reply);
	case SLINE_SHUTDOWN:
		b->done = true;
		return 0;
	case SLINE_CHAT:
	case SLINE_PM:
		/* "<alice> !time" in the room, "[pm] <alice> !time" to us;
		   never a line of the history. */
		if (sl.stamp > 0 || !bot_is(sl.text, sl.tlen, "!time"))
			return 0;
		bot_nick_copy(who, sl.nick, sl.nlen);
		bot_utc_now(now, sizeof now);
		if (sl.kind == SLINE_PM)
			snprintf(reply, sizeof reply, "/msg %s it is %s", who,
			    now);
		else
			snprintf(reply, sizeof reply, "%s: it is %s", who, now);
		return bot_send(b, reply);
	case SLINE_NOUSER:
	case SLINE_ERROR:
		fprintf(stderr, "bot: the server says: %.*s\n", (int)n - 4,
		    s + 4);
		return 0;
	default:
		return 0;
	}
}

/* line_fn for the framer: one server line at a time. */
static int
bot_framed(void *arg, enum line_event ev, const char *text, size_t len)
{
	if (ev == LINE_TOOLONG)
		return 0;	/* nothing a bot answers is that long */
	return bot_line(arg, text, len);
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
