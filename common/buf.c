/* buf: a growable byte queue; append at the back, drain from the front. */
#include "buf.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define BUF_MIN_CAP	256	/* first allocation: one chat line fits */

/*
 * Make room for n more bytes at the back. The unread bytes slide down to
 * the front only when the space already drained there is at least as
 * large as what must move, so every byte moved was paid for by a byte
 * drained: a long queue that is written out a little at a time is not
 * copied over and over. Otherwise the storage doubles.
 */
static int
buf_reserve(struct buf *b, size_t n)
{
	size_t used = buf_used(b), cap;
	char *p;

	if (b->cap - b->len >= n)
		return 0;
	if (b->off >= used && b->cap - used >= n) {
		memmove(b->data, b->data + b->off, used);
		b->off = 0;
		b->len = used;
		return 0;
	}
	if (n > SIZE_MAX / 4 - used) {
		errno = ENOMEM;
		return -1;
	}
	cap = b->cap ? b->cap : BUF_MIN_CAP;
	while (cap < used + n)
		cap *= 2;
	if (b->off == 0) {
		/* realloc() may move pages instead of bytes: let it. */
		if ((p = realloc(b->data, cap)) == NULL)
			return -1;
	} else {
		/* Copy only the unread bytes, not the drained ones too. */
		if ((p = malloc(cap)) == NULL)
			return -1;
		memcpy(p, b->data + b->off, used);
		free(b->data);
		b->off = 0;
		b->len = used;
	}
	b->data = p;
	b->cap = cap;
	return 0;
}

int
buf_append(struct buf *b, const void *p, size_t n)
{
	if (n == 0)
		return 0;
	if (buf_reserve(b, n) == -1)
		return -1;
	memcpy(b->data + b->len, p, n);
	b->len += n;
	return 0;
}

void
buf_drain(struct buf *b, size_t n)
{
	if (n >= buf_used(b)) {
		b->off = b->len = 0;
		return;
	}
	b->off += n;
}

void
buf_clear(struct buf *b)
{
	b->off = b->len = 0;
}

void
buf_shrink(struct buf *b)
{
	if (buf_used(b) != 0)
		return;
	free(b->data);
	b->data = NULL;
	b->off = b->len = b->cap = 0;
}

void
buf_free(struct buf *b)
{
	free(b->data);
	b->data = NULL;
	b->off = b->len = b->cap = 0;
}
