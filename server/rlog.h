/* rlog: the room log: each line stored once, read by every member from its own position. */
#ifndef LOBBY_RLOG_H
#define LOBBY_RLOG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/uio.h>

#include "buf.h"
#include "ltime.h"

/*
 * The log is a list of refcounted blocks (the model is Redis 7's shared
 * replication buffer). A broadcast line is appended once, with the id of
 * the reader who sent it; every reader holds a position in the log and a
 * reference on the block it is in, and receives every line from there on
 * except its own. A block is freed when the last position (or the history,
 * below) has passed it. Lines for one reader only (welcome, /who, errors,
 * [pm]) go to that reader's private queue, each tagged with the log offset
 * it must come before, so they keep their exact place in its stream.
 *
 * Offsets: every byte ever appended has a 64-bit log offset; a position's
 * offset and the log's end offset give a backlog in O(1).
 *
 * History: the last `history` chat lines (RLOG_CHAT runs), and a joiner
 * can be given a replay of them, each line prefixed by "[HH:MM] " (or
 * "[YYYY-MM-DD HH:MM] " when it was not appended on the joiner's day),
 * straight from the blocks. Only chat is history: the other lines
 * between (joins, leaves, nick changes) are never replayed. The newest
 * history lines are read where they are, in the log's blocks (from
 * hstart on), which therefore keep the other lines among them too, but
 * at most `slack` bytes of those: past that the oldest history lines are
 * compacted, i.e. copied (with their stamps) into a chain of blocks of
 * their own that holds chat lines only, and the log lets go of them.
 * So the history always holds its `history` chat lines, however much
 * churn comes between, and what it pins is its lines plus `slack`.
 * Compaction frees nothing itself: it moves the history's own reference
 * on, and a block goes only once no position (reader, replay, history)
 * holds it or one before it.
 *
 * No function here makes a system call: the caller writes, with writev(),
 * the iovecs rlog_iov() fills, then tells the log with rlog_advance() how
 * much went out. Local time is passed in (rlog_set_clock()).
 *
 * Readers are on one of three lists: idle (nothing to write), pending
 * (something to write and the socket may take it) and parked (something
 * to write, waiting for the socket). A line appended to the log moves the
 * whole idle list to pending at once, so a loop pass visits only the
 * readers that have something to write.
 */

#define RLOG_BLOCK		16384	/* bytes per block, unless a line is longer */
#define RLOG_HISTORY_MAX	100000	/* most lines --history may keep */
#define RLOG_SLACK		(1 << 20) /* other bytes the history may pin */
#define RLOG_STAMP		LTIME_STAMP_LEN	/* "YYYY-MM-DD HH:MM" */
#define RLOG_PREFIX_MAX		(RLOG_STAMP + 3) /* "[" STAMP "] " */

/* What a run of lines is: only chat goes into the history. */
enum rlog_kind {
	RLOG_NOTICE,		/* joins, leaves, nick changes, shutdown */
	RLOG_CHAT		/* chat and /me lines: kept as history */
};

/* Which list a reader is on. */
enum rlog_state {
	RLOG_DETACHED,		/* not a reader of the log */
	RLOG_IDLE,		/* caught up */
	RLOG_PENDING,		/* has output; may be written now */
	RLOG_PARKED,		/* has output; waits for its socket */
	RLOG_DONE		/* stopped and everything sent */
};

/* Consecutive lines in a block from one sender, of one kind and minute. */
struct rlog_run {
	uint32_t	 off;		/* first byte, in the block */
	uint32_t	 len;		/* bytes, whole lines */
	uint32_t	 from;		/* sender's reader id; 0: for everyone */
	uint32_t	 lines;		/* lines (LFs) in the run */
	uint8_t		 kind;		/* enum rlog_kind */
	char		 stamp[RLOG_STAMP]; /* local time, YYYY-MM-DD HH:MM */
};

/* A block of lines, shared by every reader. */
struct rlog_block {
	struct rlog_block *next;	/* newer block, or NULL for the tail */
	uint64_t	 seq;		/* log offset of data[0] */
	size_t		 used;		/* bytes of data filled */
	size_t		 size;		/* bytes allocated at data */
	unsigned	 refs;		/* positions held in this block */
	struct rlog_run	*runs;		/* the lines, by sender, in order */
	size_t		 nruns;		/* entries used at runs */
	size_t		 runcap;	/* entries allocated at runs */
	char		 data[];	/* the lines, LF included */
};

/* A place in the log: before byte off of blk, in run run. */
struct rlog_pos {
	struct rlog_block *blk;		/* NULL: not placed */
	size_t		 run;		/* run holding off (off may be its end) */
	size_t		 off;		/* byte in blk */
};

/*
 * A replay of the history to one joiner, in progress: left lines from pos
 * on (in the compacted chain, or in the log), then nleft lines from next
 * on (in the log), as the history stood when the replay was queued.
 */
struct rlog_hist {
	struct rlog_pos	 pos;		/* next line to replay; holds a ref */
	size_t		 part;		/* bytes of the line's prefix written */
	size_t		 left;		/* lines still to replay from pos */
	struct rlog_pos	 next;		/* then on from here; holds a ref;
					 * blk NULL once there */
	size_t		 nleft;		/* lines to replay from next */
	char		 today[10];	/* YYYY-MM-DD when it joined */
};

/* Where a reader has got to, in all three of its sources. */
struct rlog_cursor {
	struct rlog_pos	 pos;		/* next log byte */
	size_t		 pskip;		/* private bytes (records) consumed */
	size_t		 pdone;		/* bytes of the next record written */
	struct rlog_pos	 hpos;		/* the history replay's place */
	size_t		 hpart;		/* prefix bytes of that line written */
	size_t		 hleft;		/* lines still to replay from hpos */
	struct rlog_pos	 hnext;		/* then from here (blk NULL: none) */
	size_t		 hnleft;	/* lines to replay from hnext */
	bool		 hdone;		/* the replay's record was consumed */
	size_t		 pbytes;	/* private line bytes consumed */
	size_t		 cbytes;	/* carried replay bytes consumed */
	uint64_t	 ownskip;	/* own log bytes passed over */
	size_t		 lines;		/* lines consumed whole */
};

/*
 * One reader of the log: a member of the room. Embedded in whatever
 * represents the member; all fields belong to the log.
 */
struct rlog_reader {
	struct rlog_pos	 pos;		/* next log byte; holds a ref */
	uint32_t	 id;		/* marks its own lines; 0: detached */
	uint8_t		 state;		/* enum rlog_state: which list */
	uint64_t	 stop;		/* log offset it reads up to */
	uint64_t	 own;		/* its own bytes between pos and the end */
	struct rlog_reader *prev;	/* on its list */
	struct rlog_reader *next;	/* on its list */
	struct buf	 priv;		/* private records: header, then bytes */
	size_t		 privbytes;	/* line bytes in priv not yet written,
					 * carried replays aside */
	size_t		 carried;	/* bytes in priv of replays carried
					 * over by rlog_move(), not yet
					 * written: not backlog */
	size_t		 lastlen;	/* bytes of priv's last record, or
					 * SIZE_MAX if it cannot grow */
	size_t		 pdone;		/* bytes of the first record written */
	struct rlog_hist *hist;		/* history replay, or NULL */
	bool		 midline;	/* it is in the middle of a line: the
					 * last write ended inside one, or
					 * rlog_begun() */
	/* What the last rlog_move() left at the front of priv, untouched
	 * since (0: nothing known): the next move takes it as it is,
	 * without a walk over it, so a member moving on and on costs each
	 * move what it brings, not what all the moves before it did. */
	size_t		 mvlen;		/* bytes of those records */
	size_t		 mvbytes;	/* their line bytes, pdone aside */
	size_t		 mvcarried;	/* their carried replay bytes */
	size_t		 mvlines;	/* their carried replay lines */
	size_t		 mvhist;	/* the history they were counted for */
};

/* A list of readers, in the order they got on it. */
struct rlog_list {
	struct rlog_reader *head;	/* first, or NULL */
	struct rlog_reader *tail;	/* last, or NULL */
	size_t		 count;		/* readers on it */
};

/* The log. */
struct rlog {
	struct rlog_block *head;	/* oldest block still referenced */
	struct rlog_block *tail;	/* where lines are appended */
	struct rlog_block *spare;	/* a freed block kept for reuse */
	uint32_t	 ids;		/* reader ids given out */
	size_t		 history;	/* chat lines to keep; 0: none */
	struct rlog_pos	 hstart;	/* first history line in the log;
					 * holds a ref */
	size_t		 hcount;	/* chat lines from hstart to the end */
	size_t		 hbytes;	/* bytes of those lines */
	uint32_t	*hlen;		/* their lengths, oldest first, a ring
					 * (hlen[(hfirst + i) % hlcap]): a
					 * line leaving the history is not
					 * scanned for its end; NULL: none */
	size_t		 hlcap;		/* entries at hlen: a power of two */
	size_t		 hfirst;	/* the oldest line's entry */
	bool		 hlbad;		/* out of memory for them: ends are
					 * found by scanning until the
					 * history is empty again */
	size_t		 slack;		/* most other bytes from hstart on */
	struct rlog_block *chead;	/* compacted history: oldest block
					 * still held, or NULL */
	struct rlog_block *ctail;	/* where lines are compacted to */
	struct rlog_pos	 cstart;	/* first compacted history line; held
					 * while ccount > 0, else blk NULL */
	size_t		 ccount;	/* history lines from cstart on, all
					 * older than hstart's */
	size_t		 cbytes;	/* bytes of those lines */
	size_t		 nblocks;	/* blocks allocated, spare included */
	char		 stamp[RLOG_STAMP]; /* the time now, from the caller */
	struct rlog_list idle;		/* readers caught up */
	struct rlog_list pending;	/* readers with output to write */
	struct rlog_list parked;	/* readers waiting for their socket */
	uint64_t	 scan_end;	/* log end at the last rlog_settle() scan */
	size_t		 maxkey;	/* no reader's slowness key passes
					 * maxkey + (end - scan_end) */
	struct rlog_reader **slow;	/* rlog_settle()'s answer */
	size_t		 slowcap;	/* entries allocated at slow */
	bool		 sealed;	/* the next line starts a new run */
	bool		 batch;		/* notices leave idle readers idle
					 * until rlog_wake(): rlog_batch() */
	bool		 held;		/* notices were appended that idle
					 * readers have not been woken for */
};

/*
 * What a reader's leave notice costs every other reader, in bytes: passed
 * to rlog_settle() by whoever formats the notices.
 */
typedef size_t (*rlog_cost_fn)(const struct rlog_reader *rd, void *arg);

/*
 * An empty log that keeps the last history chat lines (at most
 * RLOG_HISTORY_MAX). Returns 0, or -1 with errno ENOMEM.
 */
int	rlog_init(struct rlog *l, size_t history);

/*
 * Keep at most slack bytes of lines other than chat between the history's
 * first line in the log and the end of the log (RLOG_SLACK until set):
 * with more, the oldest history lines are compacted out of the log. They
 * stay in the history.
 */
void	rlog_set_slack(struct rlog *l, size_t slack);

/* Free the log's blocks. Every reader must have been detached. */
void	rlog_free(struct rlog *l);

/* Set the local time stamped on lines appended from now on. */
void	rlog_set_clock(struct rlog *l, const char stamp[RLOG_STAMP]);

/* Make rd a reader positioned at the end of the log: it gets what follows. */
void	rlog_attach(struct rlog *l, struct rlog_reader *rd);

/*
 * A reader stopped (rlog_stop()) to hold only private lines, such as a
 * connection not yet a member, becomes a full reader: it moves to the end
 * of the log and reads on from there, after those lines.
 */
void	rlog_resume(struct rlog *l, struct rlog_reader *rd);

/*
 * Stop rd where the log ends now: it gets nothing appended later, but
 * keeps what is queued for it so far (for a last write before closing).
 */
void	rlog_stop(struct rlog *l, struct rlog_reader *rd);

/* Drop rd's position, private queue and history replay. */
void	rlog_detach(struct rlog *l, struct rlog_reader *rd);

/*
 * rd is too slow: drop everything queued for it but the rest of the line
 * it is in the middle of, if it is (at most one line, copied), so that
 * its last write does not leave that line half sent. It gets nothing
 * else from then on, as if stopped. Out of memory, it is detached with
 * nothing.
 */
void	rlog_cut(struct rlog *l, struct rlog_reader *rd);

/*
 * The caller has begun writing the line at rd's place in a form of its
 * own, before any of its bytes (a WebSocket frame's header): rd is in
 * the middle of that line until it is written.
 */
void	rlog_begun(struct rlog *l, struct rlog_reader *rd);

/*
 * Make rd, a reader of from, a reader of to, positioned at its end:
 * whatever rd had still to receive from from (its backlog, its private
 * lines, a history replay under way) is copied first into its private
 * queue in to, so its stream goes on with nothing missed or reordered.
 * The backlog and private lines count as backlog in to; the replay is
 * carried over uncounted, as it was in from, up to to's history lines
 * of replay carried in all (the rest counts): a reader that moves on and
 * on without reading carries at most one history's worth. Returns 0, or
 * -1 with errno ENOMEM: rd is then a reader of to without them.
 */
int	rlog_move(struct rlog *from, struct rlog_reader *rd, struct rlog *to);

/*
 * Free the memory rd owns (its private queue, its replay) without
 * touching the log: for a reader still attached when the log itself is
 * freed as well, at exit. Harmless after rlog_detach().
 */
void	rlog_release(struct rlog_reader *rd);

/*
 * Append line[0..len) (whole lines, LF included) once, for every reader
 * but from (which may be NULL). Returns 0, or -1 with errno ENOMEM.
 */
int	rlog_append(struct rlog *l, struct rlog_reader *from,
	    enum rlog_kind kind, const char *line, size_t len);

/*
 * rlog_append() of nlens lines whose lengths, LF included, are lens[0..
 * nlens) and add up to len: the log need not look for their ends.
 */
int	rlog_append_lines(struct rlog *l, struct rlog_reader *from,
	    enum rlog_kind kind, const char *line, size_t len,
	    const size_t *lens, size_t nlens);

/*
 * Room for n bytes at the end of the log, where the caller may write
 * lines and then rlog_append() them from that very place, with no copy.
 * Nothing else may be appended in between. NULL when out of memory.
 */
char	*rlog_reserve(struct rlog *l, size_t n);

/*
 * Queue line[0..len) (whole lines) for rd alone, after everything the log
 * holds now. Returns 0, or -1 with errno ENOMEM.
 */
int	rlog_private(struct rlog *l, struct rlog_reader *rd, const char *line,
	    size_t len);

/* Drop every line of the history (a replay under way goes on). */
void	rlog_history_forget(struct rlog *l);

/* How many chat lines a replay would give now (at most the history). */
size_t	rlog_history_count(const struct rlog *l);

/*
 * Queue for rd, after everything queued so far, a replay of the history:
 * rlog_history_count() lines, each with its time prefix. Returns 0, or -1
 * with errno ENOMEM, or with EBUSY if rd has a replay queued already.
 */
int	rlog_replay(struct rlog *l, struct rlog_reader *rd);

/*
 * Bytes queued for rd and not yet written: the lines after its position
 * (its own excepted) and its private lines. A history replay does not
 * count: it is bounded by the history and costs no memory of its own;
 * nor does one carried over by rlog_move(), bounded the same way.
 */
size_t	rlog_backlog(const struct rlog *l, const struct rlog_reader *rd);

/*
 * Bytes of the log rd holds on to: from its position to the end, its own
 * lines included, plus its private lines.
 */
size_t	rlog_lag(const struct rlog *l, const struct rlog_reader *rd);

/* The log offset one past the last byte appended. */
uint64_t rlog_end(const struct rlog *l);

/*
 * Fill iov (at most max entries) with the next bytes rd must receive, in
 * order, and return how many entries were filled (0: nothing to write).
 * The memory stays valid until the next call that changes the log or rd.
 */
int	rlog_iov(const struct rlog *l, const struct rlog_reader *rd,
	    struct iovec *iov, int max);

/*
 * rd's pending bytes, one contiguous chunk at a time, in order, without
 * consuming them (for members that re-frame lines, e.g. WebSocket). Start
 * with rlog_iter_start(); each rlog_iter_next() gives the next chunk, or
 * returns false at the end. Chunks end at line ends, except that the
 * first one may start in a line already partly consumed. Consume with
 * rlog_advance().
 */
struct rlog_iter {
	const struct rlog *l;		/* the log */
	const struct rlog_reader *rd;	/* whose bytes */
	struct rlog_cursor cur;		/* where the walk has got to */
};
void	rlog_iter_start(struct rlog_iter *it, const struct rlog *l,
	    const struct rlog_reader *rd);
bool	rlog_iter_next(struct rlog_iter *it, const char **p, size_t *len);

/*
 * n bytes (at most what rlog_iov() offered) were written to rd: move its
 * position, drop what it no longer needs and put it on the idle list if
 * it is now caught up (or DONE if stopped). A parked reader stays parked
 * while it still has output. Returns how many lines those bytes finished
 * (for counters), found without scanning what was written whole.
 */
size_t	rlog_advance(struct rlog *l, struct rlog_reader *rd, size_t n);

/*
 * Lines appended from now on start a new run: called once per loop pass
 * before writing, so that readers that keep up take whole runs.
 */
void	rlog_seal(struct rlog *l);

/* rd's socket is full: park it until rlog_unpark(). */
void	rlog_park(struct rlog *l, struct rlog_reader *rd);

/* rd's socket can take more: back to pending (if it has output). */
void	rlog_unpark(struct rlog *l, struct rlog_reader *rd);

/* Whether rd has anything to write. */
bool	rlog_has_output(const struct rlog *l, const struct rlog_reader *rd);

/*
 * The slow-reader rule, for a whole cascade at once. A reader is too slow
 * when its backlog passes sendq, or when it holds on to more than
 * 4 x sendq of the log (its lag: its own lines count there, so a member
 * that sends without reading cannot pin the log). Each one that leaves
 * costs every other reader its notice (cost() bytes), which may push
 * more over: the readers with output are sorted once by how far over
 * they are and the whole cascade is read off that order, in one pass.
 * Returns how many must leave and sets *out to them, in the order they
 * should leave (the array is the log's, valid until the next call). The
 * caller then makes them leave, each appending its notice. Costs O(1)
 * when no reader can be near the limit.
 */
size_t	rlog_settle(struct rlog *l, size_t sendq, rlog_cost_fn cost,
	    void *arg, struct rlog_reader ***out);

/*
 * From now on (on: true), a notice appended leaves the idle readers idle
 * (rlog_held() says so) until rlog_wake(): the caller batches notices,
 * one write per reader for many of them. A chat line or a private line
 * still wakes its readers at once, the held notices going out before
 * it, in order. Off by default.
 */
void	rlog_batch(struct rlog *l, bool on);

/* Whether idle readers have notices they were not woken for. */
bool	rlog_held(const struct rlog *l);

/* Move every idle reader to pending: held notices go out now. */
void	rlog_wake(struct rlog *l);

/*
 * Move rd alone to pending when notices are held: they go out to it now
 * (the notice of its own /nick, not held for the one who sent it).
 */
void	rlog_wake_one(struct rlog *l, struct rlog_reader *rd);

/* Free the spare block (e.g. from a timer, when the room is quiet). */
void	rlog_trim(struct rlog *l);

#endif /* LOBBY_RLOG_H */
