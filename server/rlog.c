/* rlog: the room log: each line stored once, read by every member from its own position. */
#include "rlog.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

/* The header of a record in a reader's private queue. */
struct rlog_rec {
	uint64_t	 tag;		/* log offset this record comes before */
	uint32_t	 len;		/* line bytes after the header */
	uint32_t	 type;		/* RLOG_REC_* below */
#define RLOG_REC_BYTES	0		/* lines */
#define RLOG_REC_HIST	1		/* the history replay: no bytes */
#define RLOG_REC_CARRY	2		/* lines of a replay carried over from
					 * another log (rlog_move()) */
};

/* What the next bytes of a reader's stream are. */
enum rlog_chunk_type {
	RLOG_CH_NONE,		/* nothing to write */
	RLOG_CH_PRIV,		/* private lines */
	RLOG_CH_CARRY,		/* carried replay lines (in private records) */
	RLOG_CH_HPREFIX,	/* a piece of a history line's time prefix */
	RLOG_CH_HLINE,		/* a history line (the rest of it) */
	RLOG_CH_LOG		/* log lines */
};

/* The next contiguous bytes of a reader's stream. */
struct rlog_chunk {
	enum rlog_chunk_type type;	/* what they are */
	const char	*p;		/* where */
	size_t		 n;		/* how many */
};

static void	rlog_note_key(struct rlog *, const struct rlog_reader *);
static void	rlog_cursor_init(const struct rlog_reader *,
		    struct rlog_cursor *);
static void	rlog_peek(const struct rlog *, const struct rlog_reader *,
		    struct rlog_cursor *, struct rlog_chunk *);
static void	rlog_consume(struct rlog_cursor *, const struct rlog_chunk *,
		    size_t);

/* ---------------------------------------------------------------------
 * Blocks and positions
 * ------------------------------------------------------------------- */

/* The log offset of a position. */
static uint64_t
rlog_pos_seq(const struct rlog_pos *p)
{
	return p->blk->seq + p->off;
}

/*
 * The log offset one past its last byte, for rlog.c itself: a static
 * function the compiler inlines (rlog_end() may be interposed in a PIC
 * library, so calls to it stay calls), on every line's way in and out.
 */
static inline uint64_t
rlog_tail_seq(const struct rlog *l)
{
	return l->tail->seq + l->tail->used;
}

uint64_t
rlog_end(const struct rlog *l)
{
	return rlog_tail_seq(l);
}

/* A block for at least size bytes: the spare one if it fits, or new. */
static struct rlog_block *
rlog_block_new(struct rlog *l, size_t size)
{
	struct rlog_block *b;

	if (size <= RLOG_BLOCK && l->spare != NULL) {
		b = l->spare;
		l->spare = NULL;
	} else {
		if (size < RLOG_BLOCK)
			size = RLOG_BLOCK;
		if ((b = malloc(sizeof *b + size)) == NULL)
			return NULL;
		b->size = size;
		b->runs = NULL;
		b->runcap = 0;
		l->nblocks++;
	}
	b->next = NULL;
	b->seq = 0;
	b->used = 0;
	b->refs = 0;
	b->nruns = 0;
	return b;
}

/* Free a block, or keep it as the spare if it is of the usual size. */
static void
rlog_block_free(struct rlog *l, struct rlog_block *b)
{
	if (b->size == RLOG_BLOCK && l->spare == NULL) {
		l->spare = b;
		return;
	}
	free(b->runs);
	free(b);
	l->nblocks--;
}

/* Free the oldest blocks that no position holds any more. */
static void
rlog_gc(struct rlog *l)
{
	struct rlog_block *b;

	while (l->head != l->tail && l->head->refs == 0) {
		b = l->head;
		l->head = b->next;
		rlog_block_free(l, b);
	}
}

/* Free the oldest compacted blocks that no position holds any more. */
static void
rlog_cgc(struct rlog *l)
{
	struct rlog_block *b;

	while (l->chead != NULL && l->chead->refs == 0) {
		b = l->chead;
		l->chead = b->next;
		rlog_block_free(l, b);
	}
	if (l->chead == NULL)
		l->ctail = NULL;
}

/* The position at the end of the log. */
static struct rlog_pos
rlog_end_pos(const struct rlog *l)
{
	struct rlog_pos p;

	p.blk = l->tail;
	p.off = l->tail->used;
	p.run = l->tail->nruns > 0 ? l->tail->nruns - 1 : 0;
	return p;
}

/* Move a held position to np, carrying its block reference along. */
static void
rlog_pos_move(struct rlog_pos *p, const struct rlog_pos *np)
{
	if (p->blk != np->blk) {
		p->blk->refs--;
		np->blk->refs++;
	}
	*p = *np;
}

/* Place p (not held yet) at np and take a reference. */
static void
rlog_pos_hold(struct rlog_pos *p, const struct rlog_pos *np)
{
	*p = *np;
	p->blk->refs++;
}

/* Let go of a held position. */
static void
rlog_pos_drop(struct rlog_pos *p)
{
	if (p->blk != NULL)
		p->blk->refs--;
	p->blk = NULL;
}

/*
 * Step p over the end of its run to the next run, or to the next block.
 * Returns false at the end of the log. p is not held (refs are the
 * caller's business).
 */
static bool
rlog_pos_next_run(struct rlog_pos *p)
{
	const struct rlog_block *b = p->blk;

	if (p->run + 1 < b->nruns) {
		p->run++;
		p->off = b->runs[p->run].off;
		return true;
	}
	if (b->next == NULL)
		return false;
	p->blk = b->next;
	p->run = 0;
	p->off = 0;
	return true;
}

/* Whether p is at (or past) the end of its run, or in a block of none. */
static bool
rlog_pos_at_run_end(const struct rlog_pos *p)
{
	const struct rlog_block *b = p->blk;

	return b->nruns == 0 ||
	    p->off >= b->runs[p->run].off + b->runs[p->run].len;
}

/* After p.off moved forward: the run that holds it. */
static void
rlog_pos_fix_run(struct rlog_pos *p)
{
	const struct rlog_block *b = p->blk;

	while (p->run + 1 < b->nruns && p->off >= b->runs[p->run + 1].off)
		p->run++;
}

/* ---------------------------------------------------------------------
 * Reader lists
 * ------------------------------------------------------------------- */

/* The list for a state, or NULL for a state with none. */
static struct rlog_list *
rlog_list_of(struct rlog *l, int state)
{
	switch (state) {
	case RLOG_IDLE:
		return &l->idle;
	case RLOG_PENDING:
		return &l->pending;
	case RLOG_PARKED:
		return &l->parked;
	default:
		return NULL;
	}
}

/* Take rd off its list (if any). */
static void
rlog_list_del(struct rlog *l, struct rlog_reader *rd)
{
	struct rlog_list *li = rlog_list_of(l, rd->state);

	if (li == NULL)
		return;
	if (rd->prev != NULL)
		rd->prev->next = rd->next;
	else
		li->head = rd->next;
	if (rd->next != NULL)
		rd->next->prev = rd->prev;
	else
		li->tail = rd->prev;
	rd->prev = rd->next = NULL;
	li->count--;
}

/* Put rd at the end of the list of state (taking it off its own first). */
static void
rlog_list_set(struct rlog *l, struct rlog_reader *rd, int state)
{
	struct rlog_list *li;

	if (rd->state == state)
		return;
	rlog_list_del(l, rd);
	rd->state = (uint8_t)state;
	if ((li = rlog_list_of(l, state)) == NULL)
		return;
	rd->prev = li->tail;
	rd->next = NULL;
	if (li->tail != NULL)
		li->tail->next = rd;
	else
		li->head = rd;
	li->tail = rd;
	li->count++;
}

/*
 * Everyone idle has output now: move the whole idle list to the end of
 * the pending list. Each reader moves at most once per loop pass (it is
 * idle again only after a write), so this costs what the writes cost.
 */
static void
rlog_wake_all(struct rlog *l)
{
	struct rlog_reader *rd;

	if (l->idle.head == NULL)
		return;
	for (rd = l->idle.head; rd != NULL; rd = rd->next)
		rd->state = RLOG_PENDING;
	if (l->pending.tail != NULL) {
		l->pending.tail->next = l->idle.head;
		l->idle.head->prev = l->pending.tail;
	} else
		l->pending.head = l->idle.head;
	l->pending.tail = l->idle.tail;
	l->pending.count += l->idle.count;
	l->idle.head = l->idle.tail = NULL;
	l->idle.count = 0;
}

void
rlog_batch(struct rlog *l, bool on)
{
	l->batch = on;
	if (!on)
		rlog_wake(l);
}

bool
rlog_held(const struct rlog *l)
{
	return l->held;
}

void
rlog_wake(struct rlog *l)
{
	rlog_wake_all(l);
	l->held = false;
}

void
rlog_wake_one(struct rlog *l, struct rlog_reader *rd)
{
	if (l->held && rd->id != 0 && rd->state == RLOG_IDLE)
		rlog_list_set(l, rd, RLOG_PENDING);
}

/* ---------------------------------------------------------------------
 * The history: where the last `history` chat lines start
 * ------------------------------------------------------------------- */

/* Bytes of the line at p, in run r of p's block, LF included. */
static size_t
rlog_line_len(const struct rlog_pos *p, const struct rlog_run *r)
{
	const char *lf = memchr(p->blk->data + p->off, '\n',
	    r->off + r->len - p->off);

	return (lf != NULL ? (size_t)(lf - p->blk->data) + 1 :
	    r->off + r->len) - p->off;
}

/*
 * Open a new, empty run at the end of block b, for lines from `from`, of
 * kind, stamped stamp. Returns it, or NULL with errno ENOMEM.
 */
static struct rlog_run *
rlog_run_open(struct rlog_block *b, uint32_t from, enum rlog_kind kind,
    const char stamp[RLOG_STAMP])
{
	struct rlog_run *r;

	if (b->nruns == b->runcap) {
		size_t cap = b->runcap ? b->runcap * 2 : 16;

		if ((r = realloc(b->runs, cap * sizeof *r)) == NULL)
			return NULL;
		b->runs = r;
		b->runcap = cap;
	}
	r = &b->runs[b->nruns++];
	r->off = (uint32_t)b->used;
	r->len = 0;
	r->from = from;
	r->lines = 0;
	r->kind = (uint8_t)kind;
	memcpy(r->stamp, stamp, RLOG_STAMP);
	return r;
}

/*
 * Copy one history line line[0..n), stamped stamp, to the end of the
 * compacted chain. Returns 0, or -1 with errno ENOMEM.
 */
static int
rlog_compact_line(struct rlog *l, const char stamp[RLOG_STAMP],
    const char *line, size_t n)
{
	struct rlog_block *b = l->ctail, *nb;
	struct rlog_run *r;
	struct rlog_pos p;

	if (b == NULL || b->size - b->used < n) {
		if ((nb = rlog_block_new(l, n)) == NULL)
			return -1;
		if (b != NULL) {
			nb->seq = b->seq + b->used;
			b->next = nb;
		} else
			l->chead = nb;
		l->ctail = b = nb;
	}
	r = b->nruns > 0 ? &b->runs[b->nruns - 1] : NULL;
	if ((r == NULL || memcmp(r->stamp, stamp, RLOG_STAMP) != 0) &&
	    (r = rlog_run_open(b, 0, RLOG_CHAT, stamp)) == NULL)
		return -1;
	if (l->ccount == 0) {
		p.blk = b;
		p.run = b->nruns - 1;
		p.off = b->used;
		rlog_pos_hold(&l->cstart, &p);
	}
	memcpy(b->data + b->used, line, n);
	b->used += n;
	r->len += (uint32_t)n;
	r->lines++;
	l->ccount++;
	l->cbytes += n;
	return 0;
}

/* Drop the oldest compacted history line. */
static void
rlog_compact_drop(struct rlog *l)
{
	struct rlog_pos p = l->cstart;
	size_t n;

	while (rlog_pos_at_run_end(&p))
		(void)rlog_pos_next_run(&p);
	n = rlog_line_len(&p, &p.blk->runs[p.run]);
	p.off += n;
	l->ccount--;
	l->cbytes -= n;
	if (l->ccount == 0) {
		rlog_pos_drop(&l->cstart);
		return;
	}
	/* Onto the next line, so that a block passed is let go at once. */
	while (rlog_pos_at_run_end(&p) && rlog_pos_next_run(&p))
		;
	rlog_pos_move(&l->cstart, &p);
}

/*
 * The length of the oldest history line in the log (at p, in run r of
 * p's block), taken off the ring of lengths; scanned for when the ring
 * is not kept.
 */
static size_t
rlog_hlen_pop(struct rlog *l, const struct rlog_pos *p,
    const struct rlog_run *r)
{
	size_t n;

	if (l->hlbad || l->hlen == NULL)
		return rlog_line_len(p, r);
	n = l->hlen[l->hfirst];
	l->hfirst = (l->hfirst + 1) & (l->hlcap - 1);
	return n;
}

/* The history is empty: its ring of lengths too, kept again from now. */
static void
rlog_hlen_clear(struct rlog *l)
{
	l->hfirst = 0;
	l->hlbad = false;
}

/*
 * Note the length of the history's newest line, the i-th from hstart
 * (the ring holds the i before it). Out of memory, the ring is let go
 * (rlog_hlen_pop() then scans) until the history is empty again.
 */
static void
rlog_hlen_push(struct rlog *l, size_t i, size_t n)
{
	size_t cap, k;
	uint32_t *h;

	if (l->hlbad)
		return;
	if (l->hlcap == 0 && i > 0) {
		/* Lines came before the ring: their lengths are not known. */
		l->hlbad = true;
		return;
	}
	if (i >= l->hlcap) {
		/* A power of two: an index is masked, not divided. */
		for (cap = l->hlcap > 0 ? 2 * l->hlcap : 64; cap <= i &&
		    cap <= SIZE_MAX / 2; cap *= 2)
			;
		if (cap <= i || cap > SIZE_MAX / sizeof *h ||
		    (h = malloc(cap * sizeof *h)) == NULL) {
			free(l->hlen);
			l->hlen = NULL;
			l->hlcap = 0;
			l->hlbad = true;
			return;
		}
		for (k = 0; k < i; k++)
			h[k] = l->hlen[(l->hfirst + k) & (l->hlcap - 1)];
		free(l->hlen);
		l->hlen = h;
		l->hlcap = cap;
		l->hfirst = 0;
	}
	l->hlen[(l->hfirst + i) & (l->hlcap - 1)] = (uint32_t)n;
}

/*
 * Keep the history to its `history` newest chat lines, the oldest
 * dropped (compacted ones first); and move hstart past whatever is not
 * one of them in the log: runs of notices and, while more than `slack`
 * bytes of other lines lie among the lines from there on, the oldest
 * chat line, which is compacted: it stays in the history. (Should memory
 * for that run out, the line leaves the history instead, so that the
 * log stays bounded.)
 */
static void
rlog_hist_trim(struct rlog *l)
{
	struct rlog_pos p = l->hstart;
	const struct rlog_run *r;
	bool over;
	size_t n;

	while (l->ccount > 0 && l->ccount + l->hcount > l->history)
		rlog_compact_drop(l);
	for (;;) {
		if (rlog_pos_at_run_end(&p)) {
			if (!rlog_pos_next_run(&p))
				break;
			continue;
		}
		r = &p.blk->runs[p.run];
		if (r->kind != RLOG_CHAT) {
			p.off = r->off + r->len;
			continue;
		}
		over = l->ccount + l->hcount > l->history;
		if (!over && rlog_tail_seq(l) - rlog_pos_seq(&p) - l->hbytes <=
		    l->slack)
			break;
		n = rlog_hlen_pop(l, &p, r);
		if (!over)
			(void)rlog_compact_line(l, r->stamp,
			    p.blk->data + p.off, n);
		p.off += n;
		l->hcount--;
		l->hbytes -= n;
	}
	if (l->hcount == 0)
		rlog_hlen_clear(l);
	rlog_pos_move(&l->hstart, &p);
	rlog_cgc(l);
}

void
rlog_history_forget(struct rlog *l)
{
	size_t keep = l->history;

	if (keep == 0)
		return;		/* no history: hstart is not even held */
	l->history = 0;
	rlog_hist_trim(l);
	l->history = keep;
	l->hcount = l->hbytes = 0;
	rlog_hlen_clear(l);
	rlog_gc(l);
}

size_t
rlog_history_count(const struct rlog *l)
{
	return l->history > 0 ? l->ccount + l->hcount : 0;
}

/* ---------------------------------------------------------------------
 * Set-up
 * ------------------------------------------------------------------- */

int
rlog_init(struct rlog *l, size_t history)
{
	struct rlog_pos p;

	memset(l, 0, sizeof *l);
	if (history > RLOG_HISTORY_MAX) {
		errno = EINVAL;
		return -1;
	}
	l->history = history;
	l->slack = RLOG_SLACK;
	memcpy(l->stamp, "1970-01-01 00:00", RLOG_STAMP);
	if ((l->head = l->tail = rlog_block_new(l, RLOG_BLOCK)) == NULL)
		return -1;
	if (history > 0) {
		p = rlog_end_pos(l);
		rlog_pos_hold(&l->hstart, &p);
	}
	return 0;
}

void
rlog_set_slack(struct rlog *l, size_t slack)
{
	l->slack = slack;
}

void
rlog_free(struct rlog *l)
{
	struct rlog_block *b, *next;

	rlog_pos_drop(&l->hstart);
	rlog_pos_drop(&l->cstart);
	l->ccount = l->cbytes = 0;
	free(l->slow);
	l->slow = NULL;
	l->slowcap = 0;
	for (b = l->head; b != NULL; b = next) {
		next = b->next;
		free(b->runs);
		free(b);
	}
	for (b = l->chead; b != NULL; b = next) {
		next = b->next;
		free(b->runs);
		free(b);
	}
	free(l->hlen);
	l->hlen = NULL;
	l->hlcap = 0;
	rlog_hlen_clear(l);
	l->chead = l->ctail = NULL;
	if (l->spare != NULL) {
		free(l->spare->runs);
		free(l->spare);
	}
	l->head = l->tail = l->spare = NULL;
	l->nblocks = 0;
}

void
rlog_seal(struct rlog *l)
{
	l->sealed = true;
}

void
rlog_set_clock(struct rlog *l, const char stamp[RLOG_STAMP])
{
	memcpy(l->stamp, stamp, RLOG_STAMP);
}

void
rlog_trim(struct rlog *l)
{
	if (l->spare != NULL) {
		free(l->spare->runs);
		free(l->spare);
		l->spare = NULL;
		l->nblocks--;
	}
}

void
rlog_attach(struct rlog *l, struct rlog_reader *rd)
{
	struct rlog_pos p = rlog_end_pos(l);

	memset(rd, 0, sizeof *rd);
	rlog_pos_hold(&rd->pos, &p);
	if (++l->ids == 0)	/* 0 means "for everyone" */
		l->ids = 1;
	rd->id = l->ids;
	rd->stop = UINT64_MAX;
	rd->lastlen = SIZE_MAX;
	rd->state = RLOG_DETACHED;
	rlog_list_set(l, rd, RLOG_IDLE);
}

void
rlog_resume(struct rlog *l, struct rlog_reader *rd)
{
	struct rlog_pos p = rlog_end_pos(l);

	if (rd->id == 0 || rd->stop == UINT64_MAX)
		return;
	/* On from the end, after the private lines it holds. */
	rlog_pos_move(&rd->pos, &p);
	rd->stop = UINT64_MAX;
	rd->own = 0;
	if (!rlog_has_output(l, rd))
		rlog_list_set(l, rd, RLOG_IDLE);
	else if (rd->state != RLOG_PARKED)
		rlog_list_set(l, rd, RLOG_PENDING);
	rlog_gc(l);
}

void
rlog_stop(struct rlog *l, struct rlog_reader *rd)
{
	if (rd->id == 0 || rd->stop != UINT64_MAX)
		return;
	rd->stop = rlog_tail_seq(l);
	if (!rlog_has_output(l, rd))
		rlog_list_set(l, rd, RLOG_DONE);
}

void
rlog_detach(struct rlog *l, struct rlog_reader *rd)
{
	if (rd->id == 0)
		return;
	rlog_list_set(l, rd, RLOG_DETACHED);
	rlog_pos_drop(&rd->pos);
	if (rd->hist != NULL) {
		rlog_pos_drop(&rd->hist->pos);
		rlog_pos_drop(&rd->hist->next);
		free(rd->hist);
		rd->hist = NULL;
	}
	buf_free(&rd->priv);
	rd->privbytes = 0;
	rd->carried = 0;
	rd->mvlen = 0;
	rd->pdone = 0;
	rd->lastlen = SIZE_MAX;
	rd->midline = false;
	rd->id = 0;
	rlog_gc(l);
	rlog_cgc(l);
}

void
rlog_cut(struct rlog *l, struct rlog_reader *rd)
{
	struct buf rest = BUF_INIT;
	struct rlog_iter it;
	const char *p, *lf = NULL;
	size_t n;
	bool ok = true;

	if (rd->id == 0)
		return;
	if (!rd->midline) {
		rlog_detach(l, rd);
		return;
	}
	rlog_iter_start(&it, l, rd);
	while (ok && lf == NULL && rlog_iter_next(&it, &p, &n)) {
		if ((lf = memchr(p, '\n', n)) != NULL)
			n = (size_t)(lf - p) + 1;
		ok = buf_append(&rest, p, n) == 0;
	}
	rlog_detach(l, rd);
	/* A reader of that line alone, as one not yet a member is of its
	 * private lines: it pins no more of the log than its end. */
	if (ok && lf != NULL) {
		rlog_attach(l, rd);
		rlog_stop(l, rd);
		if (rlog_private(l, rd, buf_peek(&rest), buf_used(&rest)) == -1)
			rlog_detach(l, rd);
	}
	buf_free(&rest);
}

void
rlog_begun(struct rlog *l, struct rlog_reader *rd)
{
	(void)l;
	if (rd->id != 0)
		rd->midline = true;
}

/*
 * Add n bytes of type (RLOG_REC_BYTES or RLOG_REC_CARRY) at tag to the
 * private records being made at b, growing the last one (its header at
 * *last; SIZE_MAX: none) when it is of the same type.
 */
static int
rlog_move_put(struct buf *b, size_t *last, uint64_t tag, uint32_t type,
    const char *p, size_t n)
{
	struct rlog_rec h;

	if (*last != SIZE_MAX) {
		memcpy(&h, buf_peek(b) + *last, sizeof h);
		if (h.type == type && h.len + n <= UINT32_MAX) {
			if (buf_append(b, p, n) == -1)
				return -1;
			h.len += (uint32_t)n;
			memcpy(b->data + b->off + *last, &h, sizeof h);
			return 0;
		}
	}
	if (n > UINT32_MAX) {
		errno = ENOMEM;
		return -1;
	}
	h.tag = tag;
	h.len = (uint32_t)n;
	h.type = type;
	*last = buf_used(b);
	if (buf_append(b, &h, sizeof h) == -1 || buf_append(b, p, n) == -1)
		return -1;
	return 0;
}

/*
 * How many of the n bytes at p, replay lines of which *lines were carried
 * already, may be carried uncounted into a log keeping max history
 * lines: up to the end of the line that makes max.
 */
static size_t
rlog_carry_room(const char *p, size_t n, size_t *lines, size_t max)
{
	const char *lf;
	size_t at = 0;

	while (at < n && *lines < max) {
		if ((lf = memchr(p + at, '\n', n - at)) == NULL)
			return n;
		at = (size_t)(lf - p) + 1;
		++*lines;
	}
	return at;
}

/*
 * How many bytes of rd's private records lead its stream, before
 * anything of the log or a replay, and can go with it into log to as
 * they are: lines, and carried lines as long as to's history takes them
 * all. *bytes and *carried get the bytes of each kind it has still to
 * receive, *lines the carried lines.
 */
static size_t
rlog_move_prefix(const struct rlog_reader *rd, const struct rlog *to,
    size_t *bytes, size_t *carried, size_t *lines)
{
	uint64_t seq = rlog_pos_seq(&rd->pos);
	size_t at = 0, used = buf_used(&rd->priv), skip, n, count;
	const char *p;
	struct rlog_rec h;

	*bytes = *carried = *lines = 0;
	/* What the last move left goes on as it is, unless it was counted
	 * for another history. */
	if (rd->mvlen > 0 && rd->mvlen <= used && rd->mvhist == to->history) {
		at = rd->mvlen;
		*bytes = rd->mvbytes;
		*carried = rd->mvcarried;
		*lines = rd->mvlines;
	}
	while (at + sizeof h <= used) {
		memcpy(&h, buf_peek(&rd->priv) + at, sizeof h);
		if ((h.type != RLOG_REC_BYTES && h.type != RLOG_REC_CARRY) ||
		    h.tag > seq)
			break;
		skip = at == 0 ? rd->pdone : 0;
		p = buf_peek(&rd->priv) + at + sizeof h + skip;
		n = h.len - skip;
		if (h.type == RLOG_REC_CARRY) {
			count = *lines;
			if (rlog_carry_room(p, n, &count, to->history) < n)
				break;
			*lines = count;
			*carried += n;
		} else
			*bytes += n;
		at += sizeof h + h.len;
	}
	return at;
}

int
rlog_move(struct rlog *from, struct rlog_reader *rd, struct rlog *to)
{
	struct buf keep = BUF_INIT, rest = BUF_INIT;
	struct rlog_cursor c;
	struct rlog_chunk ch;
	struct rlog_rec h;
	/* Before anything of to's: due at once wherever it goes next. */
	uint64_t tag = 0;
	size_t last = SIZE_MAX, bytes = 0, carried = 0, lines = 0, k, at;
	size_t kept, keptbytes, keptcarried, pdone = 0, known;
	bool midline = rd->midline;
	int rc = 0;

	/*
	 * What rd has still to receive goes along, in order. The private
	 * records that lead it (what an earlier move carried here, say) go
	 * as they are, only given the new log's offset: a member moving on
	 * and on with a backlog costs a copy of it once, not once a move.
	 * The rest is copied: its backlog and
	 * private lines stay backlog. A history replay under way (or
	 * carried here by an earlier move) is carried apart and stays out
	 * of the backlog, as a replay served from the log is; but at most
	 * to's history lines of it, so that what a member moving on and on
	 * without reading carries stays one history: past that, replay
	 * lines count as backlog.
	 */
	kept = rlog_move_prefix(rd, to, &keptbytes, &keptcarried, &lines);
	/* Records a move left have its tag already. */
	known = rd->mvlen > 0 && rd->mvlen <= kept &&
	    rd->mvhist == to->history ? rd->mvlen : 0;
	rlog_cursor_init(rd, &c);
	if (kept > 0) {
		pdone = rd->pdone;
		c.pskip = kept;
		c.pdone = 0;
	}
	for (;;) {
		rlog_peek(from, rd, &c, &ch);
		if (ch.type == RLOG_CH_NONE)
			break;
		k = 0;
		if (ch.type == RLOG_CH_CARRY || ch.type == RLOG_CH_HPREFIX ||
		    ch.type == RLOG_CH_HLINE) {
			k = rlog_carry_room(ch.p, ch.n, &lines, to->history);
			if (k > 0 && rlog_move_put(&rest, &last, tag,
			    RLOG_REC_CARRY, ch.p, k) == -1)
				rc = -1;
			carried += k;
		}
		if (k < ch.n && rlog_move_put(&rest, &last, tag,
		    RLOG_REC_BYTES, ch.p + k, ch.n - k) == -1)
			rc = -1;
		bytes += ch.n - k;
		if (rc == -1)
			break;
		rlog_consume(&c, &ch, ch.n);
	}
	if (kept > 0) {
		/* Taken from rd before rlog_detach() frees it. */
		keep = rd->priv;
		rd->priv = (struct buf)BUF_INIT;
		keep.len = keep.off + kept;
		for (at = known; at < kept; at += sizeof h + h.len) {
			memcpy(&h, buf_peek(&keep) + at, sizeof h);
			h.tag = tag;
			memcpy(keep.data + keep.off + at, &h, sizeof h);
		}
		if (rc == 0 && buf_append(&keep, buf_peek(&rest),
		    buf_used(&rest)) == -1)
			rc = -1;
		buf_free(&rest);
		rest = keep;
		bytes += keptbytes;
		carried += keptcarried;
	}
	rlog_detach(from, rd);
	rlog_attach(to, rd);
	if (rc == 0 && buf_used(&rest) > 0) {
		rd->priv = rest;
		rd->privbytes = bytes;
		rd->carried = carried;
		rd->pdone = pdone;
		rd->lastlen = SIZE_MAX;
		/* The rest of its line comes first: it is still in it. */
		rd->midline = midline;
		/* All of it goes along as it is on the next move. */
		rd->mvlen = buf_used(&rest);
		rd->mvbytes = bytes;
		rd->mvcarried = carried;
		rd->mvlines = lines;
		rd->mvhist = to->history;
		rlog_list_set(to, rd, RLOG_PENDING);
		rlog_note_key(to, rd);
	} else
		buf_free(&rest);
	return rc;
}

void
rlog_release(struct rlog_reader *rd)
{
	free(rd->hist);
	rd->hist = NULL;
	buf_free(&rd->priv);
	rd->privbytes = 0;
	rd->carried = 0;
	rd->mvlen = 0;
}

/* ---------------------------------------------------------------------
 * Appending
 * ------------------------------------------------------------------- */

/* How many LFs p[0..n) holds. */
static uint32_t
rlog_count_lines(const char *p, size_t n)
{
	const char *end = p + n, *lf;
	uint32_t k = 0;

	while (p < end && (lf = memchr(p, '\n', (size_t)(end - p))) != NULL) {
		k++;
		p = lf + 1;
	}
	return k;
}

/* The tail block, with room for n more bytes; a new one when it has not. */
static struct rlog_block *
rlog_room(struct rlog *l, size_t n)
{
	struct rlog_block *b = l->tail, *nb;

	if (n > UINT32_MAX) {
		errno = ENOMEM;
		return NULL;
	}
	if (b->size - b->used < n) {
		if ((nb = rlog_block_new(l, n)) == NULL)
			return NULL;
		nb->seq = rlog_tail_seq(l);
		b->next = nb;
		l->tail = b = nb;
	}
	return b;
}

char *
rlog_reserve(struct rlog *l, size_t n)
{
	struct rlog_block *b = rlog_room(l, n);

	return b != NULL ? b->data + b->used : NULL;
}

/*
 * Store p[0..n) at the tail as lines of kind from reader id from; lens,
 * when not NULL, has the lengths of its nlens lines, LF included.
 */
static int
rlog_put(struct rlog *l, uint32_t from, enum rlog_kind kind, const char *p,
    size_t n, const size_t *lens, size_t nlens)
{
	struct rlog_block *b;
	struct rlog_run *r;
	uint32_t k;

	if ((b = rlog_room(l, n)) == NULL)
		return -1;
	r = b->nruns > 0 ? &b->runs[b->nruns - 1] : NULL;
	if (r == NULL || l->sealed || r->from != from || r->kind != kind ||
	    memcmp(r->stamp, l->stamp, RLOG_STAMP) != 0) {
		if ((r = rlog_run_open(b, from, kind, l->stamp)) == NULL)
			return -1;
	}
	l->sealed = false;
	/* What rlog_reserve() gave out is written in place. */
	if (p != b->data + b->used)
		memcpy(b->data + b->used, p, n);
	b->used += n;
	if (kind == RLOG_CHAT && l->history > 0 && lens != NULL) {
		/* History lines: their lengths go on the ring as given, */
		for (k = 0; k < nlens; k++)
			rlog_hlen_push(l, l->hcount + k, lens[k]);
	} else if (kind == RLOG_CHAT && l->history > 0) {
		/* or as counted. */
		const char *q = p, *end = p + n, *lf;

		for (k = 0; q < end && (lf = memchr(q, '\n',
		    (size_t)(end - q))) != NULL; k++, q = lf + 1)
			rlog_hlen_push(l, l->hcount + k, (size_t)(lf - q) + 1);
	} else if (lens != NULL)
		k = (uint32_t)nlens;
	else
		k = rlog_count_lines(p, n);
	r->len += (uint32_t)n;
	r->lines += k;
	if (kind == RLOG_CHAT) {
		l->hcount += k;
		l->hbytes += n;
	}
	return 0;
}

int
rlog_append(struct rlog *l, struct rlog_reader *from, enum rlog_kind kind,
    const char *line, size_t len)
{
	return rlog_append_lines(l, from, kind, line, len, NULL, 0);
}

int
rlog_append_lines(struct rlog *l, struct rlog_reader *from,
    enum rlog_kind kind, const char *line, size_t len, const size_t *lens,
    size_t nlens)
{
	bool eager = false, idle = false, single = false;
	struct rlog_pos p;
	uint32_t id = 0;

	if (len == 0)
		return 0;
	if (from != NULL && from->id != 0 && from->stop == UINT64_MAX) {
		/*
		 * Caught up with the log (its private lines, tagged before the
		 * end, still go first): it passes over its own line at once,
		 * so the line is stored as everyone's, in one run with its
		 * neighbours (a crowd's join notices make one run, not one
		 * each). Else the line is marked as its own, to be skipped.
		 */
		if (rlog_pos_seq(&from->pos) == rlog_tail_seq(l)) {
			eager = true;
			/* Nothing to wake it for (nor anyone, when it is the
			 * only one idle: a talker's lines in a row). */
			if (from->state == RLOG_IDLE && l->idle.count == 1)
				single = true;
			else if ((idle = from->state == RLOG_IDLE)) {
				rlog_list_del(l, from);
				from->state = RLOG_DETACHED;
			}
		} else
			id = from->id;
	}
	if (rlog_put(l, id, kind, line, len, lens, nlens) == -1) {
		if (idle)
			rlog_list_set(l, from, RLOG_IDLE);
		return -1;
	}
	if (single)
		l->held = false;	/* the one idle reader is caught up */
	else if (kind == RLOG_NOTICE && l->batch && l->idle.head != NULL)
		l->held = true;
	else
		rlog_wake(l);
	if (eager) {
		p = rlog_end_pos(l);
		rlog_pos_move(&from->pos, &p);
		if (idle)
			rlog_list_set(l, from, RLOG_IDLE);
	} else if (id != 0)
		from->own += len;
	if (l->history > 0)
		rlog_hist_trim(l);
	else {
		l->hcount = l->hbytes = 0;
		rlog_hlen_clear(l);
	}
	rlog_gc(l);
	return 0;
}

/* The log offset a private record queued now for rd must come before. */
static uint64_t
rlog_tag(const struct rlog *l, const struct rlog_reader *rd)
{
	uint64_t end = rlog_tail_seq(l);

	return end < rd->stop ? end : rd->stop;
}

/* Append a record header for rd; its bytes, if any, follow it. */
static int
rlog_rec_add(struct rlog_reader *rd, uint64_t tag, uint32_t type,
    const char *p, size_t n)
{
	struct rlog_rec h = { tag, (uint32_t)n, type };
	size_t before = buf_used(&rd->priv);

	if (buf_append(&rd->priv, &h, sizeof h) == -1)
		return -1;
	if (n > 0 && buf_append(&rd->priv, p, n) == -1) {
		/* Take the header back: the queue stays as it was. */
		rd->priv.len = rd->priv.off + before;
		return -1;
	}
	rd->lastlen = type == RLOG_REC_BYTES ? n : SIZE_MAX;
	return 0;
}

int
rlog_private(struct rlog *l, struct rlog_reader *rd, const char *line,
    size_t len)
{
	uint64_t tag = rlog_tag(l, rd);
	struct rlog_rec h;
	size_t at = 0;
	bool merge = false;

	if (rd->id == 0 || len == 0)
		return 0;
	if (len > UINT32_MAX) {
		errno = ENOMEM;
		return -1;
	}
	/* Lines queued at the same log offset grow the last record. */
	if (rd->lastlen != SIZE_MAX && rd->lastlen + len <= UINT32_MAX) {
		at = buf_used(&rd->priv) - rd->lastlen - sizeof h;
		memcpy(&h, buf_peek(&rd->priv) + at, sizeof h);
		merge = h.tag == tag;
	}
	if (merge) {
		if (buf_append(&rd->priv, line, len) == -1)
			return -1;
		h.len += (uint32_t)len;
		/* After the append: it may have moved the bytes. */
		memcpy(rd->priv.data + rd->priv.off + at, &h, sizeof h);
		rd->lastlen += len;
	} else if (rlog_rec_add(rd, tag, RLOG_REC_BYTES, line, len) == -1)
		return -1;
	rd->privbytes += len;
	if (rd->state == RLOG_IDLE || rd->state == RLOG_DONE)
		rlog_list_set(l, rd, RLOG_PENDING);
	rlog_note_key(l, rd);
	return 0;
}

int
rlog_replay(struct rlog *l, struct rlog_reader *rd)
{
	struct rlog_hist *h;

	if (rd->id == 0 || rlog_history_count(l) == 0)
		return 0;
	if (rd->hist != NULL) {
		errno = EBUSY;
		return -1;
	}
	if ((h = calloc(1, sizeof *h)) == NULL)
		return -1;
	if (rlog_rec_add(rd, rlog_tag(l, rd), RLOG_REC_HIST, NULL, 0) == -1) {
		free(h);
		return -1;
	}
	if (l->ccount > 0) {
		/* The compacted lines, then on in the log. */
		rlog_pos_hold(&h->pos, &l->cstart);
		h->left = l->ccount;
		rlog_pos_hold(&h->next, &l->hstart);
		h->nleft = l->hcount;
	} else {
		rlog_pos_hold(&h->pos, &l->hstart);
		h->left = l->hcount;
	}
	memcpy(h->today, l->stamp, sizeof h->today);
	rd->hist = h;
	if (rd->state == RLOG_IDLE)
		rlog_list_set(l, rd, RLOG_PENDING);
	return 0;
}

/* ---------------------------------------------------------------------
 * Reading: a reader's stream, chunk by chunk
 * ------------------------------------------------------------------- */

/* Where rd is now, as a cursor a walk can move without touching rd. */
static void
rlog_cursor_init(const struct rlog_reader *rd, struct rlog_cursor *c)
{
	memset(c, 0, sizeof *c);
	c->pos = rd->pos;
	c->pdone = rd->pdone;
	if (rd->hist != NULL) {
		c->hpos = rd->hist->pos;
		c->hpart = rd->hist->part;
		c->hleft = rd->hist->left;
		c->hnext = rd->hist->next;
		c->hnleft = rd->hist->nleft;
	}
}

/* The time prefix of a history line from run r: 8 or 19 bytes. */
static size_t
rlog_prefix_len(const struct rlog_hist *h, const struct rlog_run *r)
{
	return memcmp(r->stamp, h->today, sizeof h->today) == 0 ? 8 :
	    RLOG_PREFIX_MAX;
}

/*
 * The next chunk of the history replay at c, or false when the replay is
 * over. Runs that are not chat are passed over.
 */
static bool
rlog_hist_peek(const struct rlog_hist *h, struct rlog_cursor *c,
    struct rlog_chunk *ch)
{
	static const char lb[] = "[", rb[] = "] ";
	const struct rlog_run *r;
	const char *lf, *sp;
	size_t plen, sl;

	for (;;) {
		if (c->hleft == 0) {
			/* From the compacted lines on into the log. */
			if (c->hnext.blk == NULL)
				return false;
			c->hpos = c->hnext;
			c->hleft = c->hnleft;
			c->hnext.blk = NULL;
			c->hnleft = 0;
			continue;
		}
		if (rlog_pos_at_run_end(&c->hpos)) {
			if (!rlog_pos_next_run(&c->hpos))
				return false;
			continue;
		}
		r = &c->hpos.blk->runs[c->hpos.run];
		if (r->kind != RLOG_CHAT) {
			c->hpos.off = r->off + r->len;
			continue;
		}
		plen = rlog_prefix_len(h, r);
		if (c->hpart < plen) {
			sl = plen - 3;
			sp = plen == 8 ? r->stamp + 11 : r->stamp;
			if (c->hpart < 1) {
				ch->p = lb + c->hpart;
				ch->n = 1 - c->hpart;
			} else if (c->hpart < 1 + sl) {
				ch->p = sp + (c->hpart - 1);
				ch->n = 1 + sl - c->hpart;
			} else {
				ch->p = rb + (c->hpart - 1 - sl);
				ch->n = plen - c->hpart;
			}
			ch->type = RLOG_CH_HPREFIX;
			return true;
		}
		lf = memchr(c->hpos.blk->data + c->hpos.off, '\n',
		    r->off + r->len - c->hpos.off);
		ch->type = RLOG_CH_HLINE;
		ch->p = c->hpos.blk->data + c->hpos.off;
		ch->n = lf != NULL ? (size_t)(lf - ch->p) + 1 :
		    r->off + r->len - c->hpos.off;
		return true;
	}
}

/*
 * The next chunk of rd's stream at c. Passing over rd's own runs, spent
 * records and the end of a replay moves c but gives no bytes.
 */
static void
rlog_peek(const struct rlog *l, const struct rlog_reader *rd,
    struct rlog_cursor *c, struct rlog_chunk *ch)
{
	size_t pused = buf_used(&rd->priv), start, stop, k;
	const struct rlog_block *b;
	const struct rlog_run *r;
	struct rlog_rec h;
	uint64_t seq, limit;

	for (;;) {
		seq = rlog_pos_seq(&c->pos);
		limit = rlog_tail_seq(l) < rd->stop ? rlog_tail_seq(l) : rd->stop;
		if (c->pskip < pused) {
			memcpy(&h, buf_peek(&rd->priv) + c->pskip, sizeof h);
			if (h.tag <= seq) {
				if (h.type == RLOG_REC_HIST) {
					if (rd->hist != NULL &&
					    rlog_hist_peek(rd->hist, c, ch))
						return;
					c->pskip += sizeof h;
					c->hdone = true;
					continue;
				}
				if (c->pdone < h.len) {
					ch->type = h.type == RLOG_REC_CARRY ?
					    RLOG_CH_CARRY : RLOG_CH_PRIV;
					ch->p = buf_peek(&rd->priv) + c->pskip +
					    sizeof h + c->pdone;
					ch->n = h.len - c->pdone;
					return;
				}
				c->pskip += sizeof h + h.len;
				c->pdone = 0;
				continue;
			}
			if (h.tag < limit)
				limit = h.tag;
		}
		if (seq >= limit)
			break;
		if (rlog_pos_at_run_end(&c->pos)) {
			if (!rlog_pos_next_run(&c->pos))
				break;
			continue;
		}
		b = c->pos.blk;
		r = &b->runs[c->pos.run];
		if (r->from == rd->id) {
			c->ownskip += r->off + r->len - c->pos.off;
			c->pos.off = r->off + r->len;
			continue;
		}
		/* This run and the next ones not from rd, up to the limit. */
		start = c->pos.off;
		stop = r->off + r->len;
		for (k = c->pos.run + 1; k < b->nruns &&
		    b->runs[k].from != rd->id; k++)
			stop = b->runs[k].off + b->runs[k].len;
		if (b->seq + stop > limit)
			stop = (size_t)(limit - b->seq);
		ch->type = RLOG_CH_LOG;
		ch->p = b->data + start;
		ch->n = stop - start;
		return;
	}
	ch->type = RLOG_CH_NONE;
	ch->p = NULL;
	ch->n = 0;
}

/*
 * The lines ending in the n log bytes from p on (which lie in runs not
 * from the reader, one after the other): a run taken whole counts what it
 * recorded; only the part of a run taken in part is scanned. (The log is
 * sealed once per loop pass, so a reader that keeps up takes whole runs.)
 */
static uint32_t
rlog_run_lines(const struct rlog_pos *p, size_t n)
{
	const struct rlog_block *b = p->blk;
	size_t off = p->off, k = p->run, take, end;
	uint32_t lines = 0;

	while (n > 0 && k < b->nruns) {
		end = b->runs[k].off + b->runs[k].len;
		take = n < end - off ? n : end - off;
		if (off == b->runs[k].off && take == b->runs[k].len)
			lines += b->runs[k].lines;
		else
			lines += rlog_count_lines(b->data + off, take);
		n -= take;
		off += take;
		if (off == end)
			k++;
	}
	return lines;
}

/* Consume n bytes (at most ch->n) of the chunk ch just peeked at c. */
static void
rlog_consume(struct rlog_cursor *c, const struct rlog_chunk *ch, size_t n)
{
	switch (ch->type) {
	case RLOG_CH_PRIV:
		c->lines += rlog_count_lines(ch->p, n);
		c->pdone += n;
		c->pbytes += n;
		break;
	case RLOG_CH_CARRY:
		c->lines += rlog_count_lines(ch->p, n);
		c->pdone += n;
		c->cbytes += n;
		break;
	case RLOG_CH_HPREFIX:
		c->hpart += n;
		break;
	case RLOG_CH_HLINE:
		c->hpos.off += n;
		if (n == ch->n) {
			c->hpart = 0;
			c->hleft--;
			c->lines++;
		}
		break;
	case RLOG_CH_LOG:
		c->lines += rlog_run_lines(&c->pos, n);
		c->pos.off += n;
		rlog_pos_fix_run(&c->pos);
		break;
	case RLOG_CH_NONE:
		break;
	}
}

int
rlog_iov(const struct rlog *l, const struct rlog_reader *rd,
    struct iovec *iov, int max)
{
	struct rlog_cursor c;
	struct rlog_chunk ch;
	int n = 0;

	if (rd->id == 0)
		return 0;
	rlog_cursor_init(rd, &c);
	while (n < max) {
		rlog_peek(l, rd, &c, &ch);
		if (ch.type == RLOG_CH_NONE)
			break;
		if (n > 0 && (const char *)iov[n - 1].iov_base +
		    iov[n - 1].iov_len == ch.p)
			iov[n - 1].iov_len += ch.n;
		else {
			iov[n].iov_base = (void *)(uintptr_t)ch.p;
			iov[n].iov_len = ch.n;
			n++;
		}
		rlog_consume(&c, &ch, ch.n);
	}
	return n;
}

void
rlog_iter_start(struct rlog_iter *it, const struct rlog *l,
    const struct rlog_reader *rd)
{
	it->l = l;
	it->rd = rd;
	rlog_cursor_init(rd, &it->cur);
}

bool
rlog_iter_next(struct rlog_iter *it, const char **p, size_t *len)
{
	struct rlog_chunk ch;

	if (it->rd->id == 0)
		return false;
	rlog_peek(it->l, it->rd, &it->cur, &ch);
	if (ch.type == RLOG_CH_NONE)
		return false;
	*p = ch.p;
	*len = ch.n;
	rlog_consume(&it->cur, &ch, ch.n);
	return true;
}

bool
rlog_has_output(const struct rlog *l, const struct rlog_reader *rd)
{
	struct rlog_cursor c;
	struct rlog_chunk ch;

	if (rd->id == 0)
		return false;
	rlog_cursor_init(rd, &c);
	rlog_peek(l, rd, &c, &ch);
	return ch.type != RLOG_CH_NONE;
}

size_t
rlog_advance(struct rlog *l, struct rlog_reader *rd, size_t n)
{
	struct rlog_cursor c;
	struct rlog_chunk ch;
	size_t take;

	if (rd->id == 0)
		return 0;
	rlog_cursor_init(rd, &c);
	for (;;) {
		/* The last peek also passes over what gives no bytes. */
		rlog_peek(l, rd, &c, &ch);
		if (ch.type == RLOG_CH_NONE || n == 0)
			break;
		take = n < ch.n ? n : ch.n;
		rlog_consume(&c, &ch, take);
		/* Where the write ended: inside a line, or after its LF. */
		rd->midline = ch.p[take - 1] != '\n';
		n -= take;
	}
	/* Commit: the private records consumed, the replay, the position. */
	if (c.pskip > 0 || c.pdone != rd->pdone)
		rd->mvlen = 0;	/* what a move left is partly gone */
	buf_drain(&rd->priv, c.pskip);
	if (buf_used(&rd->priv) == 0)
		rd->lastlen = SIZE_MAX;
	rd->pdone = c.pdone;
	rd->privbytes -= c.pbytes;
	rd->carried -= c.cbytes;
	if (rd->hist != NULL) {
		if (c.hdone) {
			rlog_pos_drop(&rd->hist->pos);
			rlog_pos_drop(&rd->hist->next);
			free(rd->hist);
			rd->hist = NULL;
		} else {
			rlog_pos_move(&rd->hist->pos, &c.hpos);
			if (c.hnext.blk == NULL)
				rlog_pos_drop(&rd->hist->next);
			rd->hist->part = c.hpart;
			rd->hist->left = c.hleft;
			rd->hist->nleft = c.hnleft;
		}
		rlog_cgc(l);
	}
	rlog_pos_move(&rd->pos, &c.pos);
	rd->own = rd->own > c.ownskip ? rd->own - c.ownskip : 0;
	if (ch.type == RLOG_CH_NONE)
		rlog_list_set(l, rd, rd->stop != UINT64_MAX ? RLOG_DONE :
		    RLOG_IDLE);
	rlog_gc(l);
	return c.lines;
}

void
rlog_park(struct rlog *l, struct rlog_reader *rd)
{
	if (rd->state == RLOG_PENDING)
		rlog_list_set(l, rd, RLOG_PARKED);
}

void
rlog_unpark(struct rlog *l, struct rlog_reader *rd)
{
	if (rd->state == RLOG_PARKED)
		rlog_list_set(l, rd, RLOG_PENDING);
}

size_t
rlog_backlog(const struct rlog *l, const struct rlog_reader *rd)
{
	uint64_t end = rlog_tail_seq(l), seq;

	if (rd->id == 0)
		return 0;
	if (end > rd->stop)
		end = rd->stop;
	seq = rlog_pos_seq(&rd->pos);
	end = end > seq ? end - seq : 0;
	end = end > rd->own ? end - rd->own : 0;
	/* A carried replay is not in privbytes: see rlog_move(). */
	return (size_t)end + rd->privbytes;
}

size_t
rlog_lag(const struct rlog *l, const struct rlog_reader *rd)
{
	if (rd->id == 0)
		return 0;
	return (size_t)(rlog_tail_seq(l) - rlog_pos_seq(&rd->pos)) + rd->privbytes;
}

/* ---------------------------------------------------------------------
 * The slow-reader rule
 * ------------------------------------------------------------------- */

/* How far toward the limit rd is: its backlog, or its lag less 3 x sendq. */
static size_t
rlog_key(const struct rlog *l, const struct rlog_reader *rd, size_t sendq)
{
	size_t b = rlog_backlog(l, rd), lag = rlog_lag(l, rd);

	if (sendq <= SIZE_MAX / 4 && lag > 3 * sendq && lag - 3 * sendq > b)
		return lag - 3 * sendq;
	return b;
}

/* Note that rd's key may have grown outside of log growth. */
static void
rlog_note_key(struct rlog *l, const struct rlog_reader *rd)
{
	size_t grown = (size_t)(rlog_tail_seq(l) - l->scan_end);
	size_t lag = rlog_lag(l, rd);

	/* The key is at most the lag: no sendq needed for a bound. */
	if (lag > grown && lag - grown > l->maxkey)
		l->maxkey = lag - grown;
}

/* A candidate and its key, for sorting. */
struct rlog_cand {
	struct rlog_reader *rd;		/* the reader */
	size_t		 key;		/* rlog_key() */
};

/* qsort() order: largest key first, then list order. */
static int
rlog_cand_cmp(const void *a, const void *b)
{
	const struct rlog_cand *x = a, *y = b;

	return x->key < y->key ? 1 : x->key > y->key ? -1 : 0;
}

/* Make room for n answers in l->slow. */
static int
rlog_slow_reserve(struct rlog *l, size_t n)
{
	struct rlog_reader **p;

	if (n <= l->slowcap)
		return 0;
	if ((p = realloc(l->slow, n * sizeof *p)) == NULL)
		return -1;
	l->slow = p;
	l->slowcap = n;
	return 0;
}

size_t
rlog_settle(struct rlog *l, size_t sendq, rlog_cost_fn cost, void *arg,
    struct rlog_reader ***out)
{
	struct rlog_list *lists[3] = { &l->pending, &l->parked, &l->idle };
	size_t nlists = l->held ? 3 : 2;
	size_t n = 0, i, k, cut = 0, maxkey = 0, total;
	struct rlog_cand *cand;
	struct rlog_reader *rd;
	uint64_t t = 0;

	*out = l->slow;
	if (l->maxkey + (size_t)(rlog_tail_seq(l) - l->scan_end) <= sendq)
		return 0;
	total = l->pending.count + l->parked.count +
	    (l->held ? l->idle.count : 0);
	if ((cand = malloc((total ? total : 1) * sizeof *cand)) == NULL ||
	    rlog_slow_reserve(l, total + l->idle.count) == -1) {
		free(cand);
		return 0;	/* out of memory: the next call tries again */
	}
	/* Held notices make idle readers' backlogs grow too. */
	for (i = 0; i < nlists; i++)
		for (rd = lists[i]->head; rd != NULL; rd = rd->next)
			if (rd->stop == UINT64_MAX) {
				cand[n].rd = rd;
				cand[n].key = rlog_key(l, rd, sendq);
				n++;
			}
	qsort(cand, n, sizeof *cand, rlog_cand_cmp);
	/*
	 * In that order, each one over the limit once the notices of those
	 * before it are counted leaves; the first one under it ends the
	 * cascade, as everyone after it is further from the limit.
	 */
	for (k = 0; k < n; k++) {
		if (cand[k].key + t <= sendq)
			break;
		l->slow[cut++] = cand[k].rd;
		t += cost(cand[k].rd, arg);
	}
	if (k < n)
		maxkey = cand[k].key;
	/* So many notices that they alone push everyone over. */
	if (t > sendq) {
		for (; k < n; k++)
			l->slow[cut++] = cand[k].rd;
		/* (With notices held, the idle were candidates already.) */
		for (rd = l->held ? NULL : l->idle.head; rd != NULL;
		    rd = rd->next)
			if (rd->stop == UINT64_MAX)
				l->slow[cut++] = rd;
		maxkey = 0;
	}
	free(cand);
	l->maxkey = maxkey;
	l->scan_end = rlog_tail_seq(l);
	*out = l->slow;
	return cut;
}
