/* soak: many clients that chat, stall, come and go, against one lobbyd. */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "ltime.h"

/*
 * usage: soak PORT [CLIENTS [SECONDS]]
 *
 * Keeps CLIENTS (default 500) connections to 127.0.0.1:PORT for SECONDS
 * (default 600). Each chats now and then; every 100 ms one of them goes,
 * by close, reset, half-close or /quit, and a new one comes; now and then
 * one stops reading for a while, and lobbyd may drop it as too slow. Every
 * line received is checked: LF-ended, no control characters, not too
 * long. Prints a summary at the end; exits 1 if a check failed or lobbyd
 * went away. Only talks to loopback.
 */

#define SOAK_MAX	1000		/* most clients */
#define SOAK_TEXT_MAX	(3 * 1024 + 64)	/* longest relayed line lobbyd sends */
#define SOAK_LINE_MAX	(22 * SOAK_MAX)	/* longest /who answer */
#define SOAK_CHURN_MS	100		/* one client replaced this often */
#define SOAK_CHAT_MS	4000		/* mean time between a client's lines */
#define SOAK_STALL_MS	20000		/* how long a stalled client stalls */

struct soak_conn {
	int	 fd;		/* socket, or -1 */
	bool	 stalled;	/* not reading until stall_end */
	int64_t	 stall_end;	/* ms */
	int64_t	 next_chat;	/* ms */
	unsigned seq;		/* lines sent */
	size_t	 inlen;		/* bytes of an unfinished line at in */
	char	 in[SOAK_LINE_MAX + 1]; /* unfinished line */
};

struct soak_stats {
	unsigned long	connects;	/* connections opened */
	unsigned long	leaves;		/* closed by us, all ways */
	unsigned long	dropped;	/* closed by lobbyd */
	unsigned long	sent;		/* chat lines sent */
	unsigned long	lines;		/* lines received */
	unsigned long	bad;		/* lines that broke a rule */
	unsigned long	stalls;		/* clients that stopped reading */
};

static struct soak_conn	conns[SOAK_MAX];
static struct soak_stats st;

/* Open a non-blocking connection for slot c; false if connect() failed. */
static bool
soak_open(struct soak_conn *c, unsigned port, int64_t now)
{
	struct sockaddr_in a;

	memset(c, 0, sizeof *c);
	memset(&a, 0, sizeof a);
	a.sin_family = AF_INET;
	a.sin_port = htons((uint16_t)port);
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	c->fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (c->fd == -1 || connect(c->fd, (struct sockaddr *)&a,
	    sizeof a) == -1) {
		if (c->fd != -1)
			close(c->fd);
		c->fd = -1;
		return false;
	}
	c->next_chat = now + rand() % (2 * SOAK_CHAT_MS);
	st.connects++;
	return true;
}

/* Leave, one of four ways. */
static void
soak_leave(struct soak_conn *c)
{
	struct linger lg = { 1, 0 };

	switch (rand() % 4) {
	case 0:
		(void)send(c->fd, "/quit soaked\n", 13, MSG_NOSIGNAL |
		    MSG_DONTWAIT);
		break;
	case 1:
		(void)setsockopt(c->fd, SOL_SOCKET, SO_LINGER, &lg, sizeof lg);
		break;
	case 2:
		(void)send(c->fd, "half a line", 11, MSG_NOSIGNAL |
		    MSG_DONTWAIT);
		(void)shutdown(c->fd, SHUT_WR);
		break;
	default:
		break;
	}
	close(c->fd);
	c->fd = -1;
	st.leaves++;
}

/*
 * One received line: LF-ended (by construction), no controls but TAB, and
 * no longer than a relayed line can be; only /who answers are longer.
 */
static void
soak_check(const char *p, size_t n)
{
	size_t i;

	if (n > SOAK_TEXT_MAX && !(n > 4 && memcmp(p, "*** ", 4) == 0 &&
	    strstr(p, " online: ") != NULL)) {
		if (st.bad++ < 5)
			fprintf(stderr, "soak: a line of %zu bytes\n", n);
		return;
	}

	for (i = 0; i < n; i++) {
		unsigned char ch = (unsigned char)p[i];

		if ((ch < 0x20 && ch != '\t') || ch == 0x7f) {
			if (st.bad++ < 5)
				fprintf(stderr, "soak: control 0x%02x in a line "
				    "of %zu bytes: %.*s\n", ch, n, (int)n, p);
			return;
		}
	}
	st.lines++;
}

/* Read what is there; false when lobbyd closed the connection. */
static bool
soak_read(struct soak_conn *c)
{
	char buf[16384], *lf, *p;
	ssize_t r;
	size_t n;

	r = recv(c->fd, buf, sizeof buf, MSG_DONTWAIT);
	if (r == 0 || (r == -1 && errno != EAGAIN && errno != EINTR))
		return false;
	if (r == -1)
		return true;
	p = buf;
	n = (size_t)r;
	while ((lf = memchr(p, '\n', n)) != NULL) {
		size_t k = (size_t)(lf - p);

		if (c->inlen + k > SOAK_LINE_MAX)
			st.bad++;
		else {
			memcpy(c->in + c->inlen, p, k);
			c->in[c->inlen + k] = '\0';
			soak_check(c->in, c->inlen + k);
		}
		c->inlen = 0;
		n -= k + 1;
		p = lf + 1;
	}
	if (c->inlen + n > SOAK_LINE_MAX) {
		st.bad++;
		c->inlen = 0;
	} else {
		memcpy(c->in + c->inlen, p, n);
		c->inlen += n;
	}
	return true;
}

/* Send a chat line if it is time; some are long, some are not ASCII. */
static void
soak_chat(struct soak_conn *c, int64_t now)
{
	char line[1100];
	int n;

	if (now < c->next_chat)
		return;
	c->next_chat = now + rand() % (2 * SOAK_CHAT_MS);
	switch (rand() % 8) {
	case 0:
		n = snprintf(line, sizeof line, "/who\n");
		break;
	case 1:
		n = snprintf(line, sizeof line, "caf\xc3\xa9 \xe4\xbd\xa0\xe5"
		    "\xa5\xbd \x1b[31m red \xff\xfe %u\n", c->seq);
		break;
	case 2:
		memset(line, 'w', 1000);
		n = 1000 + snprintf(line + 1000, sizeof line - 1000, " %u\n",
		    c->seq);
		break;
	default:
		n = snprintf(line, sizeof line, "soak line %u\n", c->seq);
		break;
	}
	c->seq++;
	if (send(c->fd, line, (size_t)n, MSG_NOSIGNAL | MSG_DONTWAIT) == n)
		st.sent++;
}

int
main(int argc, char **argv)
{
	static struct pollfd pfd[SOAK_MAX];
	unsigned port, nclients = 500, seconds = 600, i, victim;
	int64_t now, end, next_churn, next_report;

	if (argc < 2 || argc > 4) {
		fprintf(stderr, "usage: soak PORT [CLIENTS [SECONDS]]\n");
		return 2;
	}
	port = (unsigned)strtoul(argv[1], NULL, 10);
	if (argc > 2)
		nclients = (unsigned)strtoul(argv[2], NULL, 10);
	if (argc > 3)
		seconds = (unsigned)strtoul(argv[3], NULL, 10);
	if (port == 0 || port > 65535 || nclients == 0 ||
	    nclients > SOAK_MAX) {
		fprintf(stderr, "soak: bad arguments\n");
		return 2;
	}
	signal(SIGPIPE, SIG_IGN);
	srand((unsigned)getpid());
	now = ltime_mono_ms();
	for (i = 0; i < nclients; i++)
		if (!soak_open(&conns[i], port, now)) {
			fprintf(stderr, "soak: connect: %s\n", strerror(errno));
			return 1;
		}
	end = now + (int64_t)seconds * 1000;
	next_churn = now + SOAK_CHURN_MS;
	next_report = now + 60000;

	while ((now = ltime_mono_ms()) < end) {
		for (i = 0; i < nclients; i++) {
			struct soak_conn *c = &conns[i];

			if (c->fd == -1 && !soak_open(c, port, now)) {
				fprintf(stderr, "soak: lobbyd is gone\n");
				return 1;
			}
			if (c->stalled && now >= c->stall_end)
				c->stalled = false;
			soak_chat(c, now);
			pfd[i].fd = c->fd;
			pfd[i].events = c->stalled ? 0 : POLLIN;
			pfd[i].revents = 0;
		}
		if (poll(pfd, nclients, 50) == -1 && errno != EINTR) {
			perror("soak: poll");
			return 1;
		}
		for (i = 0; i < nclients; i++) {
			if (pfd[i].revents == 0 || conns[i].fd == -1)
				continue;
			if (!soak_read(&conns[i])) {
				close(conns[i].fd);
				conns[i].fd = -1;
				st.dropped++;
			}
		}
		if (now >= next_churn) {
			next_churn = now + SOAK_CHURN_MS;
			victim = (unsigned)rand() % nclients;
			if (conns[victim].fd != -1)
				soak_leave(&conns[victim]);
			/* One in 50 churns also stalls someone. */
			victim = (unsigned)rand() % nclients;
			if (rand() % 50 == 0 && !conns[victim].stalled &&
			    conns[victim].fd != -1) {
				conns[victim].stalled = true;
				conns[victim].stall_end = now + SOAK_STALL_MS;
				st.stalls++;
			}
		}
		if (now >= next_report) {
			next_report = now + 60000;
			printf("soak: %lu connects, %lu sent, %lu lines "
			    "received\n", st.connects, st.sent, st.lines);
			fflush(stdout);
		}
	}
	for (i = 0; i < nclients; i++)
		if (conns[i].fd != -1)
			close(conns[i].fd);
	printf("soak: %u clients, %u s: %lu connects, %lu left, %lu dropped "
	    "by lobbyd, %lu stalls, %lu lines sent, %lu received, %lu bad\n",
	    nclients, seconds, st.connects, st.leaves, st.dropped, st.stalls,
	    st.sent, st.lines, st.bad);
	return st.bad > 0 ? 1 : 0;
}
