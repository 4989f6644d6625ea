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

/* Bytes held for an unfinished line. */
size_t	line_pending(const struct line *l);

/* Release the framer's storage when it holds nothing (idle connections). */
void	line_shrink(struct line *l);

/* Release everything. */
void	line_free(struct line *l);

#endif /* LOBBY_LINE_H */
