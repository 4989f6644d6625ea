/* line: an incremental line framer (LF or CRLF) with a length cap. */
#ifndef LOBBY_LINE_H
#define LOBBY_LINE_H

#include <stdbool.h>
#include <stddef.h>

#include "buf.h"

/*
 * Bytes go in by line_feed() in chunks of any size; each complete line
 * comes out through a callback. A line ends at LF; one CR right before the
 * LF is dropped and, like the LF, not counted against the cap. Lines that
 * lie wholly inside a chunk are handed out in place, without a copy; only
 * the unfinished tail of a chunk is kept, in part.
 *
 * A line longer than max bytes is reported once (LINE_TOOLONG) as soon as
 * it passes the cap, and then everything up to and including its LF is
 * discarded: no part of it is ever handed out as text.
 */
struct line {
	struct buf	part;		/* unfinished line, at most max + 1 bytes */
	size_t		max;		/* longest line accepted, in bytes */
	bool		discard;	/* inside an overlong line: drop to LF */
};

enum line_event {
	LINE_TEXT,		/* a complete line: text, len */
	LINE_TOOLONG,		/* a line passed the cap: text NULL, len 0 */
};

/*
 * Called for each event. text is valid only during the call and is not
 * NUL-terminated. Return 0 to go on; any other value stops the feed, and
 * line_feed() returns that value.
 */
typedef int (*line_fn)(void *arg, enum line_event ev, const char *text,
    size_t len);

/* Prepare an empty framer for lines of at most max bytes (max >= 1). */
void	line_init(struct line *l, size_t max);

/*
 * Frame n more bytes. Returns 0, or the first non-zero value fn returned
 * (the rest of the chunk is then dropped: the caller is closing), or -1
 * with errno ENOMEM.
 */
int	line_feed(struct line *l, const char *data, size_t n, line_fn fn,
	    void *arg);

/*
 * At a clean end of input: hand out the unfinished line, if there is one
 * and it is not being discarded. Returns as line_feed() does.
 */
int	line_finish(struct line *l, line_fn fn, void *arg);

/*
 * Offered whole lines ahead of the framer: data[0..n) starts a line.
 * Returns how many bytes of whole lines at its start the callee took
 * (see line_whole()), 0 for none; each is then as if handed out.
 */
typedef size_t (*line_run_fn)(void *arg, const char *data, size_t n);

/*
 * line_feed() that first offers run the lines at the start of data and
 * after each line the framer handed out, whenever nothing is buffered:
 * a run of lines that need no more than line_whole() goes in one call,
 * the rest one at a time through fn, all in their order. Returns as
 * line_feed() does.
 */
int	line_feed_runs(struct line *l, const char *data, size_t n,
	    line_run_fn run, line_fn fn, void *arg);

/*
 * The whole line at data[0..n) as line_feed() would hand it out, when
 * nothing is buffered: the bytes up to and with its LF are returned and
 * its text's length (no CR, LF) put in *len. 0 when the line is not
 * finished in data, or too long. The caller may know that the first
 * from bytes hold no LF: the search starts after them.
 */
size_t	line_whole(const struct line *l, const char *data, size_t n,
	    size_t from, size_t *len);

/* Bytes held for an unfinished line. */
size_t	line_pending(const struct line *l);

/* Release the framer's storage when it holds nothing (idle connections). */
void	line_shrink(struct line *l);

/* Release everything. */
void	line_free(struct line *l);

#endif /* LOBBY_LINE_H */
