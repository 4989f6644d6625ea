/* fuzz_room: libFuzzer target for the room and commands, many clients. */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "buf.h"
#include "client.h"
#include "commands.h"
#include "fuzz_check.h"
#include "line.h"
#include "room.h"
#include "text.h"

/*
 * The input is a script for a handful of simulated clients that have no
 * socket: the server's data path (telnet stripping, framing, cleaning,
 * commands) is run on their bytes just as lobbyd runs it, and what the
 * room queues for each is "written" when the script says so.
 *
 * Bytes 0-1 pick the line cap (1-64) and the send queue (its least legal
 * value and up to 7 KiB more, so that slow clients happen). Then each op
 * byte names an action in its low 3 bits and a client slot in the rest:
 *
 *   0 connect    1 send (next byte: length, then that many raw bytes)
 *   2 clean EOF  3 reset   4 write all queued   5 write part (next byte)
 *   6 idle out   7 write everybody's queue
 *
 * After every op the room is checked whole, and everything written is
 * checked line by line: valid UTF-8, no control characters, LF-ended, no
 * line past what the cap allows, no queue past the send queue limit, and
 * no client ever sent its own chat back.
 */

#define FUZZ_CLIENTS	6	/* slots for simulated clients */
#define FUZZ_MAXCAP	64	/* largest line cap tried */


/* One run: the room, its clients and the limits. */
struct fuzz {
	struct room	 room;			/* the room under test */
	struct client	*slot[FUZZ_CLIENTS];	/* simulated clients */
	size_t		 seen[FUZZ_CLIENTS];	/* queued bytes checked */
	size_t		 max_line;		/* --max-line */
	size_t		 sendq;			/* --sendq */
	size_t		 out_max;		/* longest line sent out */
	char		*clean;			/* text_clean() output */
	unsigned	 next_id;		/* connection numbers */
};

/* Per-line context for the framer callback, as in the server. */
struct fuzz_input {
	struct fuzz	*f;	/* the run */
	struct client	*c;	/* whose line it is */
};

/* ---------------------------------------------------- output checks */

/*
 * One line that went out (without its LF): strict UTF-8 with nothing the
 * cleaner removes (C0 but TAB, DEL, C1), and not longer than out_max.
 */
static void
fuzz_check_line(const struct fuzz *f, const unsigned char *s, size_t n)
{
	FUZZ_CHECK(n <= f->out_max);
	FUZZ_CHECK(n > 0);
	FUZZ_CHECK(fuzz_valid_clean(s, n));
}

/* Check every line of p[0..n), which must be whole lines. */
static void
fuzz_check_lines(const struct fuzz *f, const char *p, size_t n)
{
	const char *lf;

	FUZZ_CHECK(n == 0 || p[n - 1] == '\n');
	while (n > 0) {
		lf = memchr(p, '\n', n);
		FUZZ_CHECK(lf != NULL);
		fuzz_check_line(f, (const unsigned char *)p, (size_t)(lf - p));
		n -= (size_t)(lf - p) + 1;
		p = lf + 1;
	}
}

/*
 * "Write" up to n bytes of the queue of the client in slot i, as a socket
 * would take them, perhaps stopping mid-line. What was queued since the
 * last write is checked first: it is what the client will get.
 */
static void
fuzz_write(struct fuzz *f, size_t i, size_t n)
{
	struct client *c = f->slot[i];
	size_t used = buf_used(&c->out);

	FUZZ_CHECK(f->seen[i] <= used);
	if (used == 0)
		return;
	fuzz_check_lines(f, buf_peek(&c->out) + f->seen[i],
	    used - f->seen[i]);
	if (n > used)
		n = used;
	buf_drain(&c->out, n);
	f->seen[i] = used - n;
	if (buf_used(&c->out) == 0)
		buf_shrink(&c->out);
}

/* ---------------------------------------------------- room checks */

/* The room's list, count, flags and nicks all agree. */
static void
fuzz_check_room(const struct fuzz *f)
{
	const struct room *r = &f->room;
	const struct client *c, *d, *prev = NULL;
	size_t n = 0, i;
	bool found;

	for (c = r->head; c != NULL; prev = c, c = c->next) {
		FUZZ_CHECK(c->prev == prev);
		FUZZ_CHECK(c->flags & CLIENT_JOINED);
		FUZZ_CHECK(!(c->flags & (CLIENT_CLOSING | CLIENT_SLOW)));
		FUZZ_CHECK(proto_nick_valid(c->nick, strlen(c->nick)));
		for (d = r->head; d != c; d = d->next)
			FUZZ_CHECK(strcasecmp(c->nick, d->nick) != 0);
		FUZZ_CHECK(buf_used(&c->out) <= f->sendq);
		FUZZ_CHECK(line_pending(&c->line) <= f->max_line + 1);
		found = false;
		for (i = 0; i < FUZZ_CLIENTS; i++)
			found |= f->slot[i] == c;
		FUZZ_CHECK(found);
		n++;
	}
	FUZZ_CHECK(r->tail == prev);
	FUZZ_CHECK(n == r->count);
	FUZZ_CHECK(r->nslow == 0);
}

/* Free the clients that left, as the server does after a loop pass. */
static void
fuzz_reap(struct fuzz *f)
{
	struct client *c;
	size_t i;

	for (i = 0; i < FUZZ_CLIENTS; i++) {
		if ((c = f->slot[i]) == NULL)
			continue;
		if (c->flags & CLIENT_CLOSING) {
			FUZZ_CHECK(!(c->flags & CLIENT_JOINED));
			/* A slow client's queue was dropped; others go. */
			if (!(c->flags & CLIENT_SLOW))
				fuzz_write(f, i, buf_used(&c->out));
			client_free(c);
			f->slot[i] = NULL;
		} else
			FUZZ_CHECK(c->flags & CLIENT_JOINED);
	}
}

/* ---------------------------------------------------- the data path */

/* Whether the new part of c's queue, from old on, holds a line of its own. */
static bool
fuzz_echoed(const struct client *c, size_t old, const char *nick)
{
	size_t n = buf_used(&c->out) - old, nl = strlen(nick);
	const char *p, *lf;

	if (n == 0)
		return false;
	p = buf_peek(&c->out) + old;
	while (n > 0) {
		lf = memchr(p, '\n', n);
		FUZZ_CHECK(lf != NULL);
		if ((size_t)(lf - p) > nl + 2 && p[0] == '<' &&
		    memcmp(p + 1, nick, nl) == 0 && p[nl + 1] == '>')
			return true;
		if ((size_t)(lf - p) > nl + 2 && p[0] == '*' && p[1] == ' ' &&
		    memcmp(p + 2, nick, nl) == 0 && p[nl + 2] == ' ')
			return true;
		n -= (size_t)(lf - p) + 1;
		p = lf + 1;
	}
	return false;
}

/* The server's per-line callback, with the no-echo check around it. */
static int
fuzz_line(void *arg, enum line_event ev, const char *text, size_t len)
{
	struct fuzz_input *in = arg;
	struct fuzz *f = in->f;
	struct client *c = in->c;
	char nick[PROTO_NICK_MAX + 1];
	size_t n, old;
	bool chat;

	FUZZ_CHECK(!(c->flags & CLIENT_CLOSING));
	if (ev == LINE_TOOLONG) {
		FUZZ_CHECK(text == NULL && len == 0);
		room_toolong(&f->room, c, f->max_line);
		return (c->flags & (CLIENT_CLOSING | CLIENT_SLOW)) ? 1 : 0;
	}
	FUZZ_CHECK(len <= f->max_line);
	n = text_clean(text, len, f->clean);
	FUZZ_CHECK(n <= TEXT_CLEAN_MAX(len));
	if (text_is_blank(f->clean, n))
		return 0;
	f->clean[n] = '\0';
	chat = f->clean[0] != '/' || (n > 1 && f->clean[1] == '/') ||
	    (n > 3 && strncasecmp(f->clean, "/me", 3) == 0);
	memcpy(nick, c->nick, sizeof nick);
	old = buf_used(&c->out);
	commands_input(&f->room, c, f->clean, n);
	/* A chat line or /me of c's own never comes back to c. */
	if (chat && !(c->flags & (CLIENT_SLOW | CLIENT_CLOSING)))
		FUZZ_CHECK(!fuzz_echoed(c, old, nick));
	/* Slow members are only flagged: they leave when fuzz_send settles. */
	return (c->flags & (CLIENT_CLOSING | CLIENT_SLOW)) ? 1 : 0;
}

/* Raw bytes from c, as they would come out of one read(). */
static void
fuzz_send(struct fuzz *f, struct client *c, const uint8_t *p, size_t n)
{
	struct fuzz_input in = { f, c };
	char *chunk;
	int rc;

	chunk = malloc(n + 1);
	FUZZ_CHECK(chunk != NULL);
	memcpy(chunk, p, n);
	n = telnet_strip(&c->telnet, chunk, n);
	rc = line_feed(&c->line, chunk, n, fuzz_line, &in);
	FUZZ_CHECK(rc == 0 || rc == 1);
	FUZZ_CHECK(rc == 0 || (c->flags & (CLIENT_CLOSING | CLIENT_SLOW)));
	line_shrink(&c->line);
	room_settle(&f->room);
	free(chunk);
}

/* ---------------------------------------------------- the driver */

int	LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz f;
	struct fuzz_input in;
	struct client *c;
	size_t i, n, slot;
	uint8_t op;

	if (size < 2)
		return 0;
	memset(&f, 0, sizeof f);
	f.max_line = 1 + data[0] % FUZZ_MAXCAP;
	f.sendq = 4 * f.max_line + 64 + (size_t)(data[1] % 8) * 1024;
	/*
	 * The longest line the server may send: a relayed line, all U+FFFD,
	 * with the longest prefix ("[pm] <" NICK "> " and the like), or an
	 * error quoting the line; /who and /help are short with few clients.
	 */
	f.out_max = TEXT_CLEAN_MAX(f.max_line) + 64;
	if (f.out_max < 200)
		f.out_max = 200;
	f.clean = malloc(TEXT_CLEAN_MAX(f.max_line) + 1);
	FUZZ_CHECK(f.clean != NULL);
	room_init(&f.room, f.sendq);
	data += 2;
	size -= 2;

	while (size > 0) {
		op = *data++;
		size--;
		slot = (size_t)(op >> 3) % FUZZ_CLIENTS;
		c = f.slot[slot];
		switch (op & 7) {
		case 0:
			if (c != NULL)
				break;
			c = client_new(-1, ++f.next_id, "fuzz", f.max_line);
			FUZZ_CHECK(c != NULL);
			f.slot[slot] = c;
			f.seen[slot] = 0;
			room_join(&f.room, c);
			room_settle(&f.room);
			break;
		case 1:
			n = size > 0 ? *data : 0;
			if (size > 0) {
				data++;
				size--;
			}
			if (n > size)
				n = size;
			if (c != NULL)
				fuzz_send(&f, c, data, n);
			data += n;
			size -= n;
			break;
		case 2:
			if (c == NULL)
				break;
			in.f = &f;
			in.c = c;
			FUZZ_CHECK(line_finish(&c->line, fuzz_line, &in) >= 0);
			room_leave(&f.room, c, NULL, "eof");
			room_settle(&f.room);
			break;
		case 3:
			if (c != NULL) {
				room_leave(&f.room, c, "error", "read error");
				room_settle(&f.room);
			}
			break;
		case 4:
			if (c != NULL)
				fuzz_write(&f, slot, buf_used(&c->out));
			break;
		case 5:
			n = size > 0 ? (size_t)*data * 16 : 0;
			if (size > 0) {
				data++;
				size--;
			}
			if (c != NULL)
				fuzz_write(&f, slot, n);
			break;
		case 6:
			if (c != NULL) {
				room_idle(&f.room, c, 1);
				room_settle(&f.room);
			}
			break;
		default:
			for (i = 0; i < FUZZ_CLIENTS; i++)
				if ((c = f.slot[i]) != NULL)
					fuzz_write(&f, i, buf_used(&c->out));
			break;
		}
		fuzz_reap(&f);
		fuzz_check_room(&f);
	}

	/* Shutdown: the notice to everyone, then everything is freed. */
	room_broadcastf(&f.room, NULL, PROTO_SHUTDOWN);
	room_settle(&f.room);
	for (i = 0; i < FUZZ_CLIENTS; i++) {
		if ((c = f.slot[i]) == NULL)
			continue;
		if (!(c->flags & CLIENT_SLOW))
			fuzz_write(&f, i, buf_used(&c->out));
		client_free(c);
	}
	room_free(&f.room);
	free(f.clean);
	return 0;
}
