/* buf: a growable byte queue; append at the back, drain from the front. */
#ifndef LOBBY_BUF_H
#define LOBBY_BUF_H

#include <stddef.h>

/*
 * The unread bytes are data[off .. len). Storage is allocated on the first
 * append and released by buf_shrink() once the queue is empty, so an idle
 * connection costs no heap at all.
 */
struct buf {
	char	*data;	/* heap storage, NULL while nothing was ever queued */
	size_t	 off;	/* index of the first unread byte */
	size_t	 len;	/* index one past the last unread byte */
	size_t	 cap;	/* bytes allocated at data */
};

#define BUF_INIT { NULL, 0, 0, 0 }

/* Bytes waiting in the queue. */
static inline size_t
buf_used(const struct buf *b)
{
	return b->len - b->off;
}

/* The first unread byte; valid until the next append, drain or shrink. */
static inline const char *
buf_peek(const struct buf *b)
{
	/* Never NULL + 0, which is undefined even when nothing is read. */
	return b->data != NULL ? b->data + b->off : "";
}

/* Copy n bytes to the back. Returns 0, or -1 with errno ENOMEM. */
int	buf_append(struct buf *b, const void *p, size_t n);

/* Drop n bytes (at most buf_used()) from the front. */
void	buf_drain(struct buf *b, size_t n);

/* Empty the queue, keeping its storage. */
void	buf_clear(struct buf *b);

/* Release the storage if the queue is empty (keeps it otherwise). */
void	buf_shrink(struct buf *b);

/* Release everything; the buf is then empty and may be reused. */
void	buf_free(struct buf *b);

#endif /* LOBBY_BUF_H */
