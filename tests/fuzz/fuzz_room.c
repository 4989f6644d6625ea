/* fuzz_room: libFuzzer target for the room and commands, many clients. */
#include <ctype.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <sys/uio.h>

#include "accounts.h"
#include "buf.h"
#include "client.h"
#include "cluster.h"
#include "commands.h"
#include "fuzz_check.h"
#include "line.h"
#include "rlog.h"
#include "room.h"
#include "text.h"

/*
 * The input is a script for a handful of simulated clients that have no
 * socket: the server's data path (telnet stripping, framing, cleaning,
 * commands) is run on their bytes just as lobbyd runs it, and what the
 * room queues for each is "written" when the script says so.
 *
 * Bytes 0-1 pick the line cap (1-64), the send queue (its least legal
 * value and up to 7 KiB more, so that slow clients happen), the history
 * (0, 1, 3 or 50 lines), the room's backend: local, or Redis (cluster.c
 * over a fake Redis that hands each event back as a stream entry, as
 * XREAD would, after every step), and the notices the history may keep
 * in the log before it compacts (the send queue, as in lobbyd, or 0, 64
 * or 512 bytes, so that compaction happens). Then each op byte names an
 * action in its low 3 bits and a client slot in the rest:
 *
 *   0 connect    1 send (next byte: length, then that many raw bytes)
 *   2 clean EOF  3 reset   4 write all queued   5 write part (next byte)
 *   6 (next byte b) b < 128: idle out; else a rooms command (/join of a
 *                few names, /part, /rooms, /topic), --max-rooms being 3
 *                7 write everybody's queue, and the clock moves a minute;
 *                with Redis, then a forged stream entry (next byte:
 *                length, then the entry: a kind byte, a nick up to a NUL
 *                byte, the text), which must reach nobody unclean; an
 *                act's (a kick, ban, mute, login...: accounts are on with
 *                Redis, alice an --op) names the member of the slot in
 *                the kind byte's high bits, if any, and the nick is also
 *                its address
 *
 * After every op the room and its log are checked whole: the member list,
 * every backlog within the limit, the blocks' offsets and runs, every
 * reference accounted for, each reader on the list its state says, no
 * block kept that nothing holds, the history count, in the log and
 * compacted, what a reader's last move left (its memo) against its
 * queue; and the server's indexes: every member found by its nick in
 * one look, every room by its name, and the heap of rooms that may give
 * way holding exactly those, in order. Everything written
 * is checked line by line: valid UTF-8, no control characters, LF-ended,
 * no line past what the cap allows; and no client ever gets its own chat
 * back.
 */

#define FUZZ_CLIENTS	6	/* slots for simulated clients */
#define FUZZ_MAXCAP	64	/* largest line cap tried */
#define FUZZ_EVENTS	32	/* events the fake Redis holds unread */
#define FUZZ_INST	"00000000000000aa" /* this instance, for Redis */
#define FUZZ_ROOMS	3	/* --max-rooms: small, so that it is hit */

/* An event published to the fake Redis, not yet read back. */
struct fuzz_ev {
	int		 kind;		/* CLUSTER_*, or 'S' status, 'W' who */
	unsigned	 cid;		/* whose */
	char		 nick[PROTO_NICK_MAX + 1]; /* its nick (NICK: new) */
	char		 old[PROTO_NICK_MAX + 1]; /* NICK: the old one */
	unsigned	 to;		/* PM: the recipient */
	char		*text;		/* malloc'd, or NULL */
	size_t		 len;		/* bytes at text */
	int		 status;	/* 'S', 'R': enum cluster_status */
	unsigned long	 count;		/* JOIN: members */
	char		 room[PROTO_ROOM_MAX + 1]; /* the room whose stream
					   it is in, lower case; 'R': the
					   room's name as first written */
};

/* A member as the fake Redis knows it. */
struct fuzz_seat {
	unsigned	 cid;		/* 0: free */
	char		 nick[PROTO_NICK_MAX + 1];
	char		 room[PROTO_ROOM_MAX + 1]; /* its room, lower case */
};

/* A room as the fake Redis knows it. */
struct fuzz_froom {
	char		 lc[PROTO_ROOM_MAX + 1]; /* its name in lower case */
	char		 name[PROTO_ROOM_MAX + 1]; /* as first written */
	bool		 keeps;		/* a topic or chat lines: stays empty */
};


/* One run: the room, its clients and the limits. */
struct fuzz {
	struct rooms	 rooms;			/* the rooms under test */
	struct room	*room;			/* the landing room */
	struct client	*slot[FUZZ_CLIENTS];	/* simulated clients */
	struct buf	 got[FUZZ_CLIENTS];	/* written, line not complete */
	size_t		 history;		/* --history */
	unsigned	 minute;		/* the clock, in minutes */
	size_t		 max_line;		/* --max-line */
	size_t		 sendq;			/* --sendq */
	size_t		 out_max;		/* longest line sent out */
	char		*clean;			/* text_clean() output */
	unsigned	 next_id;		/* connection numbers */
	char		 stamp[RLOG_STAMP + 1];	/* the clock */
	bool		 redis;			/* the Redis backend */
	struct cluster	 cl;			/* its cluster */
	struct fuzz_ev	 ev[FUZZ_EVENTS];	/* published, unread */
	size_t		 nev;			/* events in ev */
	struct fuzz_seat seat[FUZZ_CLIENTS];	/* Redis's members */
	unsigned	 seq;			/* entry IDs */
	unsigned	 guests;		/* guest numbers given */
	struct fuzz_froom froom[FUZZ_ROOMS];	/* Redis's rooms, by creation;
						   the landing one first */
	size_t		 nfroom;		/* rooms in froom */
	struct accounts	 acc;			/* with Redis: the acts' */
};

static void	fuzz_pump(struct fuzz *);

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

/* Everything the client in slot i has to receive, as one string. */
static void
fuzz_pending(const struct fuzz *f, size_t i, struct buf *out)
{
	struct rlog_iter it;
	const char *p;
	size_t n;

	rlog_iter_start(&it, &f->slot[i]->room->rlog, &f->slot[i]->rd);
	while (rlog_iter_next(&it, &p, &n))
		FUZZ_CHECK(buf_append(out, p, n) == 0);
}

/*
 * "Write" up to n bytes of what the client in slot i has to receive, as a
 * socket would take them with one writev(), perhaps stopping mid-line.
 * The bytes land in the client's receive buffer, where every complete
 * line is checked. The iovecs must say what the iterator says.
 */
static void
fuzz_write(struct fuzz *f, size_t i, size_t n)
{
	struct client *c = f->slot[i];
	struct rlog *l = &c->room->rlog;
	struct buf want = BUF_INIT;
	struct iovec iov[8];
	size_t k, take, done = 0, lines;
	const char *p, *lf;
	int cnt;

	fuzz_pending(f, i, &want);
	cnt = rlog_iov(l, &c->rd, iov, 8);
	FUZZ_CHECK((cnt == 0) == (buf_used(&want) == 0));
	FUZZ_CHECK(rlog_has_output(l, &c->rd) == (cnt > 0));
	for (k = 0; k < (size_t)cnt && done < n; k++) {
		FUZZ_CHECK(iov[k].iov_len > 0);
		FUZZ_CHECK(done + iov[k].iov_len <= buf_used(&want));
		FUZZ_CHECK(memcmp(iov[k].iov_base, buf_peek(&want) + done,
		    iov[k].iov_len) == 0);
		take = iov[k].iov_len < n - done ? iov[k].iov_len : n - done;
		FUZZ_CHECK(buf_append(&f->got[i], iov[k].iov_base, take) == 0);
		done += take;
	}
	for (k = 0, lines = 0; k < done; k++)
		lines += buf_peek(&want)[k] == '\n';
	buf_free(&want);
	/* The lines it says were finished are the LFs written. */
	FUZZ_CHECK(rlog_advance(l, &c->rd, done) == lines);
	/* Check and drop the complete lines received. */
	while ((lf = memchr(buf_peek(&f->got[i]), '\n',
	    buf_used(&f->got[i]))) != NULL) {
		p = buf_peek(&f->got[i]);
		fuzz_check_line(f, (const unsigned char *)p, (size_t)(lf - p));
		buf_drain(&f->got[i], (size_t)(lf - p) + 1);
	}
	FUZZ_CHECK(buf_used(&f->got[i]) <= f->out_max);
}

/* Write everything the client in slot i has to receive. */
static void
fuzz_write_all(struct fuzz *f, size_t i)
{
	while (rlog_has_output(&f->slot[i]->room->rlog, &f->slot[i]->rd))
		fuzz_write(f, i, SIZE_MAX);
}

/* ---------------------------------------------------- room checks */

/* Whether rd is on list li. */
static bool
fuzz_on_list(const struct rlog_list *li, const struct rlog_reader *rd)
{
	const struct rlog_reader *x;
	size_t n = 0;

	for (x = li->head; x != NULL; x = x->next, n++)
		if (x == rd)
			return true;
	return false;
}

/*
 * The header of a record in a reader's private queue, as rlog.c lays it
 * out: what the check of a move's memo below reads.
 */
struct fuzz_rec {
	uint64_t	 tag;		/* log offset it comes before */
	uint32_t	 len;		/* line bytes after the header */
	uint32_t	 type;		/* 0 lines, 1 history, 2 carried */
};

/*
 * What the last move left at the front of rd's private queue (mvlen...)
 * is what walking those records finds: lines and carried lines, their
 * bytes (the first record's written part aside) and carried lines.
 */
static void
fuzz_check_memo(const struct rlog *l, const struct rlog_reader *rd)
{
	size_t at = 0, bytes = 0, carried = 0, lines = 0, skip, i;
	struct fuzz_rec h;
	const char *p;

	if (rd->mvlen == 0)
		return;
	FUZZ_CHECK(rd->mvlen <= buf_used(&rd->priv));
	FUZZ_CHECK(rd->mvhist == l->history);
	while (at < rd->mvlen) {
		FUZZ_CHECK(at + sizeof h <= rd->mvlen);
		memcpy(&h, buf_peek(&rd->priv) + at, sizeof h);
		FUZZ_CHECK(h.type == 0 || h.type == 2);
		FUZZ_CHECK(at + sizeof h + h.len <= rd->mvlen);
		skip = at == 0 ? rd->pdone : 0;
		FUZZ_CHECK(skip <= h.len);
		p = buf_peek(&rd->priv) + at + sizeof h + skip;
		if (h.type == 2) {
			carried += h.len - skip;
			for (i = 0; i < h.len - skip; i++)
				lines += p[i] == '\n';
		} else
			bytes += h.len - skip;
		at += sizeof h + h.len;
	}
	FUZZ_CHECK(bytes == rd->mvbytes && bytes <= rd->privbytes);
	FUZZ_CHECK(carried == rd->mvcarried && carried <= rd->carried);
	FUZZ_CHECK(lines == rd->mvlines);
}

/* Room r's log: blocks, runs, references, lists and history agree. */
static void
fuzz_check_log(const struct fuzz *f, const struct room *r)
{
	const struct rlog *l = &r->rlog;
	const struct rlog_list *lists[3] = { &l->idle, &l->pending,
	    &l->parked };
	const struct rlog_block *b;
	const struct rlog_reader *rd, *prev;
	unsigned refs = 0, held = 0, crefs = 0, cheld = 0;
	size_t i, k, n, chat = 0, chatbytes = 0;
	bool counting = false;

	/* Offsets run on from block to block; runs tile each block. */
	for (b = l->head; b != NULL; b = b->next) {
		FUZZ_CHECK(b->used <= b->size);
		FUZZ_CHECK(b->next != NULL || b == l->tail);
		if (b->next != NULL)
			FUZZ_CHECK(b->next->seq == b->seq + b->used);
		for (k = 0, n = 0; k < b->nruns; k++) {
			size_t j, lf = 0;

			FUZZ_CHECK(b->runs[k].off == n);
			FUZZ_CHECK(b->runs[k].len > 0);
			FUZZ_CHECK(b->data[n + b->runs[k].len - 1] == '\n');
			for (j = 0; j < b->runs[k].len; j++)
				lf += b->data[n + j] == '\n';
			FUZZ_CHECK(lf == b->runs[k].lines);
			n += b->runs[k].len;
		}
		FUZZ_CHECK(n == b->used);
		refs += b->refs;
	}
	/* Nothing is kept that no position holds. */
	FUZZ_CHECK(l->head == l->tail || l->head->refs > 0);
	/* Every reference is a position: readers, replays, the history. */
	for (i = 0; i < FUZZ_CLIENTS; i++) {
		rd = f->slot[i] != NULL ? &f->slot[i]->rd : NULL;
		/* Each client reads the log of its own room, and only it. */
		if (rd == NULL || rd->id == 0 || f->slot[i]->room != r)
			continue;
		/* A replay holds one place in the log and, while it reads
		 * compacted lines, one among them. */
		held += 1 + (rd->hist != NULL);
		cheld += rd->hist != NULL && rd->hist->next.blk != NULL;
		switch (rd->state) {
		case RLOG_IDLE:
			FUZZ_CHECK(!rlog_has_output(l, rd));
			/* fall through */
		case RLOG_PENDING:
		case RLOG_PARKED:
			FUZZ_CHECK(fuzz_on_list(lists[rd->state - RLOG_IDLE],
			    rd));
			break;
		case RLOG_DONE:
			FUZZ_CHECK(rd->stop != UINT64_MAX);
			FUZZ_CHECK(!rlog_has_output(l, rd));
			break;
		default:
			FUZZ_CHECK(0);
		}
		FUZZ_CHECK(rd->privbytes <= buf_used(&rd->priv));
		fuzz_check_memo(l, rd);
	}
	held += l->history > 0;
	FUZZ_CHECK(refs == held);
	/* The lists are well linked and hold only readers of their state. */
	for (i = 0, n = 0; i < 3; i++) {
		for (prev = NULL, rd = lists[i]->head, k = 0; rd != NULL;
		    prev = rd, rd = rd->next, k++) {
			FUZZ_CHECK(rd->prev == prev);
			FUZZ_CHECK(rd->state == RLOG_IDLE + i);
		}
		FUZZ_CHECK(lists[i]->tail == prev);
		FUZZ_CHECK(lists[i]->count == k);
		n += k;
	}
	/* The history start counts exactly the kept chat lines. */
	if (l->history > 0) {
		for (b = l->head; b != NULL; b = b->next)
			for (k = 0; k < b->nruns; k++) {
				const struct rlog_run *r = &b->runs[k];
				const char *p, *end;

				if (b == l->hstart.blk && k == l->hstart.run)
					counting = true;
				if (!counting || r->kind != RLOG_CHAT)
					continue;
				p = b->data + r->off;
				end = p + r->len;
				if (b == l->hstart.blk && k == l->hstart.run)
					p = b->data + l->hstart.off;
				chatbytes += (size_t)(end - p);
				for (; p < end; p++)
					chat += *p == '\n';
			}
		FUZZ_CHECK(chat == l->hcount);
		FUZZ_CHECK(chatbytes == l->hbytes);
		FUZZ_CHECK(l->hcount + l->ccount <= l->history);
		/* Other lines among the history's: at most the slack. */
		FUZZ_CHECK(rlog_end(l) - (l->hstart.blk->seq +
		    l->hstart.off) - l->hbytes <= l->slack);
	} else
		FUZZ_CHECK(l->hcount == 0 && l->hbytes == 0);
	/* The compacted lines: chat only, counted from their start, held
	 * by it and by replays alone. */
	chat = chatbytes = 0;
	counting = false;
	for (b = l->chead; b != NULL; b = b->next) {
		FUZZ_CHECK(b->used <= b->size);
		FUZZ_CHECK(b->next != NULL || b == l->ctail);
		for (k = 0, n = 0; k < b->nruns; k++) {
			const struct rlog_run *r = &b->runs[k];
			const char *p = b->data + r->off, *end = p + r->len;

			FUZZ_CHECK(r->off == n && r->kind == RLOG_CHAT);
			FUZZ_CHECK(r->len > 0 && end[-1] == '\n');
			n += r->len;
			if (b == l->cstart.blk && k == l->cstart.run) {
				counting = true;
				p = b->data + l->cstart.off;
			}
			if (!counting)
				continue;
			chatbytes += (size_t)(end - p);
			for (; p < end; p++)
				chat += *p == '\n';
		}
		FUZZ_CHECK(n == b->used);
		crefs += b->refs;
	}
	FUZZ_CHECK(l->chead == NULL || l->chead->refs > 0);
	FUZZ_CHECK((l->chead == NULL) == (l->ctail == NULL));
	FUZZ_CHECK((l->cstart.blk != NULL) == (l->ccount > 0));
	FUZZ_CHECK(chat == l->ccount && chatbytes == l->cbytes);
	FUZZ_CHECK(crefs == cheld + (l->ccount > 0));
}

/* Room r's list, count, flags and nicks all agree. */
static void
fuzz_check_one(const struct fuzz *f, const struct room *r)
{
	const struct client *c, *d, *prev = NULL;
	const struct room *rr;
	size_t n = 0, i;
	bool found;

	for (c = r->head; c != NULL; prev = c, c = c->next) {
		FUZZ_CHECK(c->prev == prev);
		FUZZ_CHECK(c->room == r);
		FUZZ_CHECK(c->flags & CLIENT_JOINED);
		FUZZ_CHECK(!(c->flags & (CLIENT_CLOSING | CLIENT_SLOW)));
		FUZZ_CHECK(proto_nick_valid(c->nick, strlen(c->nick)));
		/* Found under its nick, in any case, in one look. */
		FUZZ_CHECK(c->flags & CLIENT_NAMED);
		FUZZ_CHECK(room_find_any(f->rooms.landing, c->nick,
		    strlen(c->nick)) == c);
		/* Nicks are unique over every room. */
		for (rr = f->rooms.head; rr != NULL; rr = rr->rnext)
			for (d = rr->head; d != NULL && d != c; d = d->next)
				FUZZ_CHECK(strcasecmp(c->nick, d->nick) != 0);
		FUZZ_CHECK(rlog_backlog(&r->rlog, &c->rd) <= f->sendq);
		FUZZ_CHECK(rlog_lag(&r->rlog, &c->rd) <= 4 * f->sendq);
		FUZZ_CHECK(c->rd.id != 0 && c->rd.stop == UINT64_MAX);
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
	FUZZ_CHECK(proto_room_valid(r->name, strlen(r->name)));
	FUZZ_CHECK(r->topic == NULL || strlen(r->topic) <= PROTO_TOPIC_MAX);
	fuzz_check_log(f, r);
}

/*
 * The heap of rooms that may give way holds them all and them alone,
 * each in its place, with what it is ordered by as it is now.
 */
static void
fuzz_check_evict(const struct fuzz *f)
{
	const struct rooms *rs = &f->rooms;
	const struct room *r;
	size_t n = 0, i;

	FUZZ_CHECK(rs->nevict <= rs->evictcap);
	for (r = rs->head; r != NULL; r = r->rnext) {
		if (r == rs->landing || r->refs > 0 || r->reading ||
		    r->waiting > 0) {
			FUZZ_CHECK(r->gone == 0);
			continue;
		}
		FUZZ_CHECK(r->gone > 0 && r->gone <= rs->nevict);
		FUZZ_CHECK(rs->evict[r->gone - 1] == r);
		FUZZ_CHECK(r->kept == rooms_listed(rs, r));
		n++;
	}
	FUZZ_CHECK(n == rs->nevict);
	for (i = 1; i < rs->nevict; i++)
		FUZZ_CHECK(!rooms_evict_before(rs->evict[i],
		    rs->evict[(i - 1) / 2]));
}

/*
 * The rooms the next sweep forgets are every room nobody holds, reads or
 * waits for that keeps nothing (or, shared, whatever it keeps), and they
 * alone: each a room still there, in a list whose links agree.
 */
static void
fuzz_check_idle(const struct fuzz *f)
{
	const struct rooms *rs = &f->rooms;
	const struct room *r;
	bool idle;

	for (r = rs->head; r != NULL; r = r->rnext) {
		idle = r != rs->landing && r->refs == 0 && !r->reading &&
		    r->waiting == 0 && (rs->shared || (r->topic == NULL &&
		    rlog_history_count(&r->rlog) == 0));
		FUZZ_CHECK(r->on[ROOMS_IDLE].on == idle);
	}
	FUZZ_CHECK(rooms_list_sound(rs, ROOMS_IDLE));
}

/*
 * The rooms each pass visits hold every room in use (the landing room,
 * one held, read or waited for), each a room still there, in a list
 * whose links agree; swept, they hold those alone.
 */
static void
fuzz_check_busy(const struct fuzz *f, bool swept)
{
	const struct rooms *rs = &f->rooms;
	const struct room *r;
	bool used, on;

	for (r = rs->head; r != NULL; r = r->rnext) {
		used = r == rs->landing || r->refs > 0 || r->reading ||
		    r->waiting > 0;
		on = r->on[ROOMS_BUSY].on;
		FUZZ_CHECK(on == used || (!swept && on));
	}
	FUZZ_CHECK(rooms_list_sound(rs, ROOMS_BUSY));
}

/* Every room, the registry and who holds what agree. */
static void
fuzz_check_room(const struct fuzz *f)
{
	const struct room *r, *prev = NULL;
	size_t n = 0, refs, unheld = 0, i;

	FUZZ_CHECK(f->rooms.head == f->rooms.landing);
	for (r = f->rooms.head; r != NULL; prev = r, r = r->rnext) {
		FUZZ_CHECK(r->rprev == prev);
		FUZZ_CHECK(rooms_find(&f->rooms, r->name,
		    strlen(r->name)) == r);
		for (i = 0, refs = 0; i < FUZZ_CLIENTS; i++)
			refs += f->slot[i] != NULL && f->slot[i]->room == r;
		FUZZ_CHECK(refs == r->refs);
		unheld += r->refs == 0 && r != f->rooms.landing;
		fuzz_check_one(f, r);
		n++;
	}
	FUZZ_CHECK(f->rooms.tail == prev);
	FUZZ_CHECK(n == f->rooms.count && n <= f->rooms.max);
	FUZZ_CHECK(unheld == f->rooms.unheld);
	for (i = 0; i < FUZZ_CLIENTS; i++) {
		FUZZ_CHECK(f->slot[i] == NULL || f->slot[i]->room != NULL);
		/* Only members are in the nick index. */
		FUZZ_CHECK(f->slot[i] == NULL ||
		    !(f->slot[i]->flags & CLIENT_NAMED) ==
		    !(f->slot[i]->flags & CLIENT_JOINED));
	}
	FUZZ_CHECK(f->rooms.named == rooms_members(&f->rooms));
	fuzz_check_evict(f);
	fuzz_check_idle(f);
	fuzz_check_busy(f, false);
}

/*
 * The slow-reader rule in every room in use, as the server's flush
 * applies it: the checks after each op find any other room that needed
 * it (a member left slow, a backlog past --sendq).
 */
static void
fuzz_settle(struct fuzz *f)
{
	struct room *r;

	for (r = f->rooms.list[ROOMS_BUSY].head; r != NULL;
	    r = r->on[ROOMS_BUSY].next)
		room_settle(r);
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
			/* A slow client was cut off the log, but for the
			 * rest of the line its last write stopped in (at
			 * most one line, its own private bytes); others go. */
			if (c->flags & CLIENT_SLOW)
				FUZZ_CHECK(c->rd.id == 0 ||
				    (c->rd.carried == 0 && c->rd.privbytes <=
				    TEXT_CLEAN_MAX(f->max_line) + 64));
			fuzz_write_all(f, i);
			FUZZ_CHECK(c->rd.id == 0 || c->rd.state == RLOG_DONE);
			room_forget(c->room, c);
			room_release(c);
			client_free(c);
			buf_free(&f->got[i]);
			f->slot[i] = NULL;
		} else
			FUZZ_CHECK(c->flags & CLIENT_JOINED);
	}
	/* The rooms nobody holds any more, keeping nothing, go. */
	rooms_sweep(&f->rooms);
	FUZZ_CHECK(f->rooms.list[ROOMS_IDLE].head == NULL &&
	    f->rooms.list[ROOMS_IDLE].n == 0);
	fuzz_check_busy(f, true);
}

/* ---------------------------------------------------- the data path */

/* Whether p[0..n), whole lines, holds a chat or /me line of nick's. */
static bool
fuzz_echoed(const char *p, size_t n, const char *nick)
{
	size_t nl = strlen(nick);
	const char *lf;

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

/*
 * What slot's member has been sent since before (its pending bytes then)
 * still starts with before, and holds no chat or /me line of nick's:
 * nothing was written in between, and its own lines never came back.
 */
static void
fuzz_no_echo(const struct fuzz *f, size_t slot, const struct buf *before,
    const char *nick)
{
	struct buf after = BUF_INIT;

	fuzz_pending(f, slot, &after);
	FUZZ_CHECK(buf_used(&after) >= buf_used(before));
	FUZZ_CHECK(memcmp(buf_peek(&after), buf_peek(before),
	    buf_used(before)) == 0);
	FUZZ_CHECK(!fuzz_echoed(buf_peek(&after) + buf_used(before),
	    buf_used(&after) - buf_used(before), nick));
	buf_free(&after);
}

/* The slot of client c. */
static size_t
fuzz_slot(const struct fuzz *f, const struct client *c)
{
	size_t i;

	for (i = 0; i < FUZZ_CLIENTS; i++)
		if (f->slot[i] == c)
			return i;
	FUZZ_CHECK(0);
	return 0;
}

/* The server's per-line callback, with the no-echo check around it. */
static int
fuzz_line(void *arg, enum line_event ev, const char *text, size_t len)
{
	struct fuzz_input *in = arg;
	struct fuzz *f = in->f;
	struct client *c = in->c;
	char nick[PROTO_NICK_MAX + 1];
	struct buf before = BUF_INIT;
	size_t n, slot = fuzz_slot(f, c);
	bool chat;

	FUZZ_CHECK(!(c->flags & CLIENT_CLOSING));
	if (ev == LINE_TOOLONG) {
		FUZZ_CHECK(text == NULL && len == 0);
		room_toolong(c->room, c, f->max_line);
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
	fuzz_pending(f, slot, &before);
	commands_input(c->room, c, f->clean, n);
	/* Through Redis: what it published comes back now. */
	fuzz_pump(f);
	/* A chat line or /me of c's own never comes back to c. */
	if (chat && !(c->flags & (CLIENT_SLOW | CLIENT_CLOSING)))
		fuzz_no_echo(f, slot, &before, nick);
	buf_free(&before);
	/* Slow members are only flagged: they leave when fuzz_send settles. */
	return (c->flags & (CLIENT_CLOSING | CLIENT_SLOW)) ? 1 : 0;
}

/* A run of plain chat lines at data, as conn.c offers them first. */
static size_t
fuzz_run(void *arg, const char *data, size_t n)
{
	struct fuzz_input *in = arg;
	struct fuzz *f = in->f;
	struct client *c = in->c;
	char nick[PROTO_NICK_MAX + 1];
	struct buf before = BUF_INIT;
	size_t used, k, slot = fuzz_slot(f, c);

	if (c->flags & (CLIENT_CLOSING | CLIENT_SLOW))
		return 0;
	memcpy(nick, c->nick, sizeof nick);
	fuzz_pending(f, slot, &before);
	used = commands_chat_run(c->room, c, &c->line, data, n, SIZE_MAX, &k);
	/* Whole lines only, each at least a byte and its LF. */
	FUZZ_CHECK(used <= n && (used == 0) == (k == 0) && k * 2 <= used);
	FUZZ_CHECK(used == 0 || data[used - 1] == '\n');
	/* Runs are for local rooms only: nothing went to the fake Redis. */
	FUZZ_CHECK(used == 0 || !f->redis);
	/* Its own lines never come back to it. */
	if (!(c->flags & (CLIENT_SLOW | CLIENT_CLOSING)))
		fuzz_no_echo(f, slot, &before, nick);
	buf_free(&before);
	return used;
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
	rc = line_feed_runs(&c->line, chunk, n, fuzz_run, fuzz_line, &in);
	FUZZ_CHECK(rc == 0 || rc == 1);
	FUZZ_CHECK(rc == 0 || (c->flags & (CLIENT_CLOSING | CLIENT_SLOW)));
	line_shrink(&c->line);
	fuzz_settle(f);
	fuzz_pump(f);
	free(chunk);
}

/* ---------------------------------------------------- the fake Redis */

/* Members of room lc, as the fake Redis has them. */
static unsigned long
fuzz_froom_count(const struct fuzz *f, const char *lc)
{
	unsigned long k = 0;
	size_t i;

	for (i = 0; i < FUZZ_CLIENTS; i++)
		k += f->seat[i].cid != 0 && strcmp(f->seat[i].room, lc) == 0;
	return k;
}

/* The room lc in the fake's list, or NULL. */
static struct fuzz_froom *
fuzz_froom(struct fuzz *f, const char *lc)
{
	size_t i;

	for (i = 0; i < f->nfroom; i++)
		if (strcmp(f->froom[i].lc, lc) == 0)
			return &f->froom[i];
	return NULL;
}

/* Room at index i goes from the list. */
static void
fuzz_froom_forget(struct fuzz *f, size_t i)
{
	memmove(&f->froom[i], &f->froom[i + 1],
	    (f->nfroom - i - 1) * sizeof f->froom[0]);
	f->nfroom--;
}

/* Room lc lost a member: forgotten when empty and keeping nothing. */
static void
fuzz_froom_vacate(struct fuzz *f, const char *lc)
{
	struct fuzz_froom *r = fuzz_froom(f, lc);

	if (r != NULL && r != &f->froom[0] && !r->keeps &&
	    fuzz_froom_count(f, lc) == 0)
		fuzz_froom_forget(f, (size_t)(r - f->froom));
}

/* Queue an event of cid's; NULL when the fake is full (link busy). */
static struct fuzz_ev *
fuzz_ev_new(struct fuzz *f, int kind, unsigned cid)
{
	struct fuzz_ev *e;
	size_t i;

	if (f->nev == FUZZ_EVENTS)
		return NULL;
	e = &f->ev[f->nev++];
	memset(e, 0, sizeof *e);
	e->kind = kind;
	e->cid = cid;
	snprintf(e->room, sizeof e->room, "lobby");
	for (i = 0; i < FUZZ_CLIENTS; i++)
		if (f->seat[i].cid == cid && cid != 0) {
			memcpy(e->nick, f->seat[i].nick, sizeof e->nick);
			memcpy(e->room, f->seat[i].room, sizeof e->room);
		}
	return e;
}

static void
fuzz_ev_text(struct fuzz_ev *e, const char *text, size_t len)
{
	e->text = malloc(len + 1);
	FUZZ_CHECK(e->text != NULL);
	memcpy(e->text, text, len);
	e->text[len] = '\0';
	e->len = len;
}

/* The seat of cid, or of nick (any case) when cid is 0; or NULL. */
static struct fuzz_seat *
fuzz_seat(struct fuzz *f, unsigned cid, const char *nick, size_t len)
{
	size_t i;

	for (i = 0; i < FUZZ_CLIENTS; i++) {
		struct fuzz_seat *s = &f->seat[i];

		if (s->cid == 0)
			continue;
		if (cid != 0 ? s->cid == cid : (strlen(s->nick) == len &&
		    strncasecmp(s->nick, nick, len) == 0))
			return s;
	}
	return NULL;
}

static int
fuzz_r_join(void *io, unsigned cid)
{
	struct fuzz *f = io;
	struct fuzz_seat *s;
	struct fuzz_ev *e;
	unsigned long k = 0;
	size_t i;

	for (i = 0; i < FUZZ_CLIENTS && f->seat[i].cid != 0; i++)
		;
	if (i == FUZZ_CLIENTS || f->nev == FUZZ_EVENTS)
		return -1;
	s = &f->seat[i];
	/* Guest numbers from a counter, the first free, as the script's. */
	do
		snprintf(s->nick, sizeof s->nick, PROTO_GUEST "%u",
		    ++f->guests);
	while (fuzz_seat(f, 0, s->nick, strlen(s->nick)) != NULL);
	s->cid = cid;
	snprintf(s->room, sizeof s->room, "lobby");
	k = fuzz_froom_count(f, "lobby");
	e = fuzz_ev_new(f, CLUSTER_JOIN, cid);
	e->count = k;
	return 0;
}

static int
fuzz_r_leave(void *io, unsigned cid, const char *reason)
{
	struct fuzz *f = io;
	struct fuzz_seat *s = fuzz_seat(f, cid, NULL, 0);
	struct fuzz_ev *e;

	if (s == NULL)
		return 0;
	if ((e = fuzz_ev_new(f, CLUSTER_LEAVE, cid)) == NULL)
		return -1;	/* remembered, published on return */
	if (reason != NULL)
		fuzz_ev_text(e, reason, strlen(reason));
	s->cid = 0;
	fuzz_froom_vacate(f, s->room);
	return 0;
}

/* An entry of kind carrying text: its room keeps a stream from then on. */
static int
fuzz_r_text(void *io, unsigned cid, int kind, const char *text, size_t len)
{
	struct fuzz_ev *e = fuzz_ev_new(io, kind, cid);
	struct fuzz_froom *r;

	if (e == NULL)
		return -1;
	fuzz_ev_text(e, text, len);
	if ((r = fuzz_froom(io, e->room)) != NULL)
		r->keeps = true;
	return 0;
}

static int
fuzz_r_say(void *io, unsigned cid, int kind, const char *text, size_t len)
{
	return fuzz_r_text(io, cid, kind, text, len);
}

static int
fuzz_r_msg(void *io, unsigned cid, const char *to, size_t tolen,
    const char *text, size_t len)
{
	struct fuzz *f = io;
	struct fuzz_seat *s = fuzz_seat(f, 0, to, tolen);
	struct fuzz_ev *e;

	if ((e = fuzz_ev_new(f, s != NULL ? CLUSTER_PM : 'S', cid)) == NULL)
		return -1;
	if (s == NULL) {
		size_t k = tolen < sizeof e->old ? tolen : sizeof e->old - 1;

		/* Cut where a character starts, as a real reply is whole. */
		while (k > 0 && k < tolen && (to[k] & 0xc0) == 0x80)
			k--;
		e->status = CLUSTER_NOUSER;
		snprintf(e->old, sizeof e->old, "%.*s", (int)k, to);
		return 0;
	}
	e->to = s->cid;
	/* In the recipient's room's stream, which its instance reads. */
	memcpy(e->room, s->room, sizeof e->room);
	fuzz_ev_text(e, text, len);
	return 0;
}

static int
fuzz_r_nick(void *io, unsigned cid, const char *nick, size_t len)
{
	struct fuzz *f = io;
	struct fuzz_seat *s = fuzz_seat(f, 0, nick, len);
	struct fuzz_seat *me = fuzz_seat(f, cid, NULL, 0);
	struct fuzz_ev *e;

	FUZZ_CHECK(len <= PROTO_NICK_MAX && me != NULL);
	if ((e = fuzz_ev_new(f, s != NULL && s != me ? 'S' : CLUSTER_NICK,
	    cid)) == NULL)
		return -1;
	if (e->kind == 'S') {
		e->status = CLUSTER_TAKEN;
		snprintf(e->old, sizeof e->old, "%.*s", (int)len, nick);
		return 0;
	}
	memcpy(e->old, me->nick, sizeof e->old);
	snprintf(e->nick, sizeof e->nick, "%.*s", (int)len, nick);
	memcpy(me->nick, e->nick, sizeof me->nick);
	return 0;
}

static int
fuzz_r_who(void *io, unsigned cid)
{
	return fuzz_ev_new(io, 'W', cid) != NULL ? 0 : -1;
}

/*
 * The go script: the old room's 'g' entry, then the answer and the new
 * room's join entry, in either order (they come on different
 * connections); or a refusal.
 */
static int
fuzz_r_go(void *io, unsigned cid, const char *name, size_t len,
    size_t history)
{
	struct fuzz *f = io;
	struct fuzz_seat *me = fuzz_seat(f, cid, NULL, 0);
	struct fuzz_froom *r;
	struct fuzz_ev *e;
	struct room *here;
	char lc[PROTO_ROOM_MAX + 1], from[PROTO_ROOM_MAX + 1];
	bool first;
	size_t i;

	(void)history;
	FUZZ_CHECK(me != NULL && len > 0 && len <= PROTO_ROOM_MAX);
	if (f->nev + 3 > FUZZ_EVENTS)
		return -1;
	for (i = 0; i < len; i++)
		lc[i] = (char)tolower((unsigned char)name[i]);
	lc[len] = '\0';
	if ((r = fuzz_froom(f, lc)) == NULL) {
		/* Past the limit, the first empty room gives way. */
		for (i = 1; f->nfroom == FUZZ_ROOMS && i < f->nfroom; i++)
			if (fuzz_froom_count(f, f->froom[i].lc) == 0)
				fuzz_froom_forget(f, i);
		if (f->nfroom == FUZZ_ROOMS) {
			e = fuzz_ev_new(f, 'R', cid);
			e->status = CLUSTER_TOOMANY;
			return 0;
		}
		r = &f->froom[f->nfroom++];
		memset(r, 0, sizeof *r);
		memcpy(r->lc, lc, len + 1);
		memcpy(r->name, name, len);
		r->name[len] = '\0';
	}
	if (strcmp(me->room, lc) == 0) {
		e = fuzz_ev_new(f, 'R', cid);
		e->status = CLUSTER_ALREADY;
		memcpy(e->room, r->name, sizeof e->room);
		return 0;
	}
	e = fuzz_ev_new(f, CLUSTER_GO, cid);
	fuzz_ev_text(e, r->name, strlen(r->name));
	memcpy(from, me->room, sizeof from);
	memcpy(me->room, lc, sizeof me->room);
	/*
	 * Every other move into a room read here, the join entry comes
	 * before the answer (count 1 in the answer: its entry was the one
	 * before). Into a room not read here, the answer comes first: only
	 * then does the instance read the room (from the entry on).
	 */
	here = rooms_find(&f->rooms, lc, len);
	first = (f->seq & 1) && here != NULL && (here == f->room ||
	    here->reading);
	if (first) {
		e = fuzz_ev_new(f, CLUSTER_JOIN, cid);
		e->count = fuzz_froom_count(f, lc);
	}
	e = fuzz_ev_new(f, 'R', cid);
	e->status = CLUSTER_OK;
	e->count = first;
	memcpy(e->room, r->name, sizeof e->room);
	if (!first) {
		e = fuzz_ev_new(f, CLUSTER_JOIN, cid);
		e->count = fuzz_froom_count(f, lc);
	}
	fuzz_froom_vacate(f, from);
	return 0;
}

static int
fuzz_r_topic(void *io, unsigned cid, const char *text, size_t len)
{
	return fuzz_r_text(io, cid, CLUSTER_TOPIC, text, len);
}

static int
fuzz_r_rooms(void *io, unsigned cid)
{
	return fuzz_ev_new(io, 'Q', cid) != NULL ? 0 : -1;
}

static const struct cluster_ops fuzz_r_ops = {
	fuzz_r_join, fuzz_r_leave, fuzz_r_say, fuzz_r_msg, fuzz_r_nick,
	fuzz_r_who,
	NULL,		/* acts: accounts are off in this target */
	fuzz_r_go, fuzz_r_topic, fuzz_r_rooms,
	NULL,		/* backlog: never held here */
};

/* Apply one entry, stamped now, with the next ID. */
static void
fuzz_apply(struct fuzz *f, struct cluster_entry *e)
{
	snprintf(e->id, sizeof e->id, "1796133900000-%u", ++f->seq);
	memcpy(e->stamp, f->stamp, sizeof e->stamp);
	cluster_apply(&f->cl, e);
}

/* Read back every event published, in order, as XREAD would. */
static void
fuzz_pump(struct fuzz *f)
{
	struct cluster_entry e;
	char key[64], to[64], id[CLUSTER_ID_MAX];
	const char *nicks[FUZZ_CLIENTS], *names[FUZZ_ROOMS];
	unsigned long counts[FUZZ_ROOMS];
	struct room *r;
	size_t i, n;

	if (!f->redis)
		return;
	/* Applying may publish more (a welcomed joiner's held lines). */
	for (i = 0; i < f->nev; i++) {
		struct fuzz_ev *ev = &f->ev[i];

		snprintf(key, sizeof key, FUZZ_INST ":%u", ev->cid);
		snprintf(to, sizeof to, FUZZ_INST ":%u", ev->to);
		if (ev->kind == 'S') {
			cluster_status(&f->cl, ev->cid, ev->status, ev->old);
			continue;
		}
		if (ev->kind == 'W') {
			for (n = 0; n < FUZZ_CLIENTS; n++)
				nicks[n] = f->seat[n].cid != 0 ?
				    f->seat[n].nick : "";
			cluster_who_reply(&f->cl, ev->cid, nicks, n);
			continue;
		}
		if (ev->kind == 'Q') {
			for (n = 0; n < f->nfroom; n++) {
				names[n] = f->froom[n].name;
				counts[n] = fuzz_froom_count(f,
				    f->froom[n].lc);
			}
			cluster_rooms_reply(&f->cl, ev->cid, names, counts, n);
			continue;
		}
		if (ev->kind == 'R') {
			/* Its join entry: the one before, or the next. */
			snprintf(id, sizeof id, "1796133900000-%u",
			    f->seq + (ev->count == 0));
			cluster_go_reply(&f->cl, ev->cid, ev->status, id, "",
			    ev->room, NULL, 0);
			continue;
		}
		/* An entry reaches this instance only in a room it reads. */
		r = rooms_find(&f->rooms, ev->room, strlen(ev->room));
		if (r == NULL || (r != f->room && !r->reading)) {
			f->seq++;
			continue;
		}
		memset(&e, 0, sizeof e);
		e.kind = ev->kind;
		e.member = key;
		e.nick = ev->nick;
		e.old = ev->kind == CLUSTER_NICK ? ev->old : NULL;
		e.to = ev->kind == CLUSTER_PM ? to : NULL;
		e.text = ev->text != NULL ? ev->text : "";
		e.textlen = ev->len;
		e.count = ev->count;
		e.room = r;
		fuzz_apply(f, &e);
	}
	for (i = 0; i < f->nev; i++)
		free(f->ev[i].text);
	f->nev = 0;
	/* Everything answered and read back: no member is left between
	 * two rooms. */
	for (i = 0; i < FUZZ_CLIENTS; i++)
		FUZZ_CHECK(f->slot[i] == NULL ||
		    (f->slot[i]->flags & (CLIENT_JOINED | CLIENT_WAITING)) !=
		    (CLIENT_JOINED | CLIENT_WAITING));
	fuzz_settle(f);
}

/*
 * A forged entry, as anyone with access to Redis could write: p[0] picks
 * the kind, then the nick up to a NUL byte, then the text. It is applied
 * as read from the stream; the output checks see what reaches members.
 */
static void
fuzz_forge(struct fuzz *f, const uint8_t *p, size_t n)
{
	static const char kinds[] = "jlcapnxKBAMUL";
	struct cluster_entry e;
	char nick[64], to[CLUSTER_KEY_MAX];
	const struct client *t;
	const uint8_t *z;
	size_t nl;
	uint8_t pick;

	if (n == 0)
		return;
	memset(&e, 0, sizeof e);
	pick = p[0];
	e.kind = kinds[pick % (sizeof kinds - 1)];
	/* An act names one of ours, when the slot holds a member. */
	t = f->slot[(pick >> 4) % FUZZ_CLIENTS];
	snprintf(to, sizeof to, "ff:2");
	if (t != NULL && (t->flags & CLIENT_JOINED))
		snprintf(to, sizeof to, FUZZ_INST ":%u", t->id);
	p++;
	n--;
	z = memchr(p, 0, n);
	nl = z != NULL ? (size_t)(z - p) : n;
	snprintf(nick, sizeof nick, "%.*s", (int)(nl < sizeof nick ? nl :
	    sizeof nick - 1), (const char *)p);
	if (z != NULL) {
		p = z + 1;
		n -= nl + 1;
	} else
		n = 0;
	e.member = "ff:1";	/* not one of ours */
	e.nick = nick;
	e.old = nick;
	e.to = e.kind >= 'A' && e.kind <= 'Z' ? to : "ff:2";
	e.text = (const char *)p;
	e.textlen = n;
	e.count = 1;
	e.who = "alice";
	e.addr = nick;
	e.place = (pick & 8) != 0 ? nick : NULL;
	fuzz_apply(f, &e);
	fuzz_settle(f);
}

/* ---------------------------------------------------- the rooms */

/*
 * A rooms command from c, picked by b (128-255): /join of one of five
 * names (in two spellings, so that case folding is crossed), /part,
 * /rooms, /topic, or /topic TEXT. It goes the whole data path, as a
 * typed line would, with the no-echo check. Through Redis they go through
 * the fake's rooms: moves, topics and the list, --max-rooms kept there.
 */
static void
fuzz_rooms_op(struct fuzz *f, struct client *c, size_t b)
{
	static const char *const names[] = {
		"lobby", "Dev", "dev", "ops", "x-1", "LONG_name_for_a_room_32_bytes_",
	};
	struct fuzz_input in = { f, c };
	char line[64];
	int n;

	/* The server feeds no more lines to one leaving or too slow. */
	if (c->flags & (CLIENT_SLOW | CLIENT_CLOSING))
		return;
	b -= 128;
	switch (b % 8) {
	case 0:
	case 1:
	case 2:
	case 3:
		n = snprintf(line, sizeof line, "/join %s",
		    names[(b / 8) % (sizeof names / sizeof names[0])]);
		break;
	case 4:
		n = snprintf(line, sizeof line, "/part");
		break;
	case 5:
		n = snprintf(line, sizeof line, "/rooms");
		break;
	case 6:
		n = snprintf(line, sizeof line, "/topic");
		break;
	default:
		n = snprintf(line, sizeof line, "/topic t%zu \xc3\xa9", b / 8);
		break;
	}
	FUZZ_CHECK(n > 0 && (size_t)n < sizeof line);
	if ((size_t)n > f->max_line)
		return;		/* the framer would refuse it */
	(void)fuzz_line(&in, LINE_TEXT, line, (size_t)n);
}

/* ---------------------------------------------------- the driver */

/* Give the room the run's clock, as the server does once a second. */
static void
fuzz_clock(struct fuzz *f)
{
	char stamp[RLOG_STAMP + 1];
	unsigned m = f->minute % (24 * 60), d = 1 + f->minute / (24 * 60) % 28;

	snprintf(stamp, sizeof stamp, "2026-12-%02u %02u:%02u", d, m / 60,
	    m % 60);
	rooms_set_clock(&f->rooms, stamp);
	memcpy(f->stamp, stamp, sizeof f->stamp);
}

/* With Redis, the --op nick the forged acts name. */
static const char *const fuzz_ops[] = { "alice" };

/* The account store: a job (a ban an act stores) is done at once. */
static int
fuzz_acct_submit(void *arg, struct acct_job *j)
{
	(void)arg;
	free(j);
	return 0;
}

/* The accounts' clock, Unix ms: the run's minutes. */
static int64_t
fuzz_acct_clock(void *arg)
{
	const struct fuzz *f = arg;

	return 1796133900000LL + (int64_t)f->minute * 60000;
}

int	LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz f;
	struct fuzz_input in;
	struct client *c;
	struct room *r;
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
	f.history = (size_t[]){ 0, 1, 3, 50 }[(data[1] >> 3) % 4];
	/* A history line has its time in front: "[YYYY-MM-DD HH:MM] ". */
	f.out_max = TEXT_CLEAN_MAX(f.max_line) + 64 + RLOG_PREFIX_MAX;
	if (f.out_max < 200)
		f.out_max = 200;
	f.clean = malloc(TEXT_CLEAN_MAX(f.max_line) + 1);
	FUZZ_CHECK(f.clean != NULL);
	/* Few rooms at most, so that the limit and its evictions happen. */
	rooms_init(&f.rooms, f.sendq, f.history, FUZZ_ROOMS);
	FUZZ_CHECK((f.room = rooms_landing(&f.rooms, "lobby")) != NULL);
	/* The notices the history lets the log keep: as lobbyd sets it
	 * (--sendq), or few, so that compaction happens (the landing
	 * room's log; the others keep the --sendq default). */
	if (data[1] >> 6)
		rlog_set_slack(&f.room->rlog,
		    (size_t[]){ 0, 0, 64, 512 }[data[1] >> 6]);
	f.redis = (data[1] >> 5) & 1;
	if (f.redis) {
		FUZZ_CHECK(cluster_init(&f.cl, f.room, f.max_line,
		    FUZZ_INST) == 0);
		f.cl.ops = &fuzz_r_ops;
		f.cl.io = &f;
		f.cl.up = true;
		room_set_backend(f.room, &cluster_backend, &f.cl);
		/* Every room shared: the fake Redis keeps --max-rooms. */
		f.rooms.backend = &cluster_backend;
		f.rooms.backend_arg = &f.cl;
		f.rooms.shared = true;
		f.rooms.max = SIZE_MAX;
		snprintf(f.froom[0].lc, sizeof f.froom[0].lc, "lobby");
		snprintf(f.froom[0].name, sizeof f.froom[0].name, "lobby");
		f.nfroom = 1;
		/* Accounts on, for the acts: the store takes every job. */
		accounts_init(&f.acc, true, fuzz_ops, 1);
		f.acc.submit = fuzz_acct_submit;
		f.acc.clock = fuzz_acct_clock;
		f.acc.clock_arg = &f;
		f.rooms.accounts = &f.acc;
		f.room->accounts = &f.acc;
	}
	fuzz_clock(&f);
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
			room_join(f.room, c);
			fuzz_settle(&f);
			fuzz_pump(&f);
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
			room_leave(c->room, c, NULL, "eof");
			fuzz_settle(&f);
			fuzz_pump(&f);
			break;
		case 3:
			if (c != NULL) {
				room_leave(c->room, c, "error", "read error");
				fuzz_settle(&f);
				fuzz_pump(&f);
			}
			break;
		case 4:
			if (c != NULL)
				fuzz_write_all(&f, slot);
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
			n = size > 0 ? *data : 0;
			if (size > 0) {
				data++;
				size--;
			}
			if (c == NULL)
				break;
			if (n < 128)
				room_idle(c->room, c, 1);
			else
				fuzz_rooms_op(&f, c, n);
			fuzz_settle(&f);
			fuzz_pump(&f);
			break;
		default:
			for (i = 0; i < FUZZ_CLIENTS; i++)
				if (f.slot[i] != NULL)
					fuzz_write_all(&f, i);
			/* History lines of another day get the date. */
			f.minute += 719;
			fuzz_clock(&f);
			if (!f.redis)
				break;
			n = size > 0 ? *data : 0;
			if (size > 0) {
				data++;
				size--;
			}
			if (n > size)
				n = size;
			fuzz_forge(&f, data, n);
			data += n;
			size -= n;
			fuzz_pump(&f);
			break;
		}
		fuzz_reap(&f);
		fuzz_check_room(&f);
	}

	/* Shutdown: the notice to everyone, then everything is freed. */
	for (r = f.rooms.head; r != NULL; r = r->rnext)
		room_broadcastf(r, NULL, PROTO_SHUTDOWN);
	fuzz_settle(&f);
	for (i = 0; i < FUZZ_CLIENTS; i++) {
		if ((c = f.slot[i]) == NULL)
			continue;
		fuzz_write_all(&f, i);
		room_forget(c->room, c);
		room_release(c);
		client_free(c);
		buf_free(&f.got[i]);
	}
	/* With every reader gone, only the history holds blocks. */
	for (r = f.rooms.head; r != NULL; r = r->rnext) {
		FUZZ_CHECK(r->refs == 0);
		FUZZ_CHECK(r->rlog.head == r->rlog.tail ||
		    r->rlog.head->refs == (f.history > 0));
		FUZZ_CHECK(r->rlog.chead == NULL ||
		    r->rlog.chead->refs == 1);
	}
	if (f.redis)
		cluster_free(&f.cl);
	accounts_free(&f.acc);
	for (i = 0; i < f.nev; i++)
		free(f.ev[i].text);
	rooms_free(&f.rooms);
	free(f.clean);
	return 0;
}
