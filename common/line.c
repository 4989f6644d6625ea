/* line: an incremental line framer (LF or CRLF) with a length cap. */
#include "line.h"

#include <string.h>

void
line_init(struct line *l, size_t max)
{
	struct buf empty = BUF_INIT;

	l->part = empty;
	l->max = max;
	l->discard = false;
}

/*
 * Would an unfinished line of len bytes, the last of them last, already be
 * over the cap? A final CR may still turn out to be the one before LF,
 * which does not count, so max bytes plus a CR are not known to be too
 * long until the byte after the CR arrives.
 */
static bool
line_over(const struct line *l, size_t len, char last)
{
	if (len <= l->max)
		return false;
	return !(len == l->max + 1 && last == '\r');
}

/*
 * The buffered part plus seg[0..n) make a line that ends at an LF (not
 * included). Hand it out, from seg itself when nothing was buffered, and
 * leave part empty.
 */
static int
line_emit(struct line *l, const char *seg, size_t n, line_fn fn, void *arg)
{
	size_t pend = buf_used(&l->part), len = pend + n;
	const char *text = seg;
	char last;
	int r;

	if (len > 0) {
		last = n > 0 ? seg[n - 1] : buf_peek(&l->part)[pend - 1];
		if (last == '\r')
			len--;
	}
	if (len > l->max) {
		/* Checked before copying: an overlong line is never kept. */
		buf_clear(&l->part);
		return fn(arg, LINE_TOOLONG, NULL, 0);
	}
	if (pend > 0) {
		if (buf_append(&l->part, seg, n) == -1) {
			buf_clear(&l->part);
			return -1;
		}
		text = buf_peek(&l->part);
	}
	r = fn(arg, LINE_TEXT, text, len);
	buf_clear(&l->part);
	return r;
}

int
line_feed(struct line *l, const char *data, size_t n, line_fn fn, void *arg)
{
	const char *p = data, *end = data + n, *lf;
	size_t len;
	int r;

	while (p < end) {
		lf = memchr(p, '\n', (size_t)(end - p));
		if (l->discard) {
			if (lf == NULL)
				return 0;
			/* The overlong line ends here; the next is new. */
			l->discard = false;
			p = lf + 1;
			continue;
		}
		if (lf == NULL)
			break;
		if ((r = line_emit(l, p, (size_t)(lf - p), fn, arg)) != 0)
			return r;
		p = lf + 1;
	}
	if (p == end)
		return 0;

	/* An unfinished tail: keep it, unless it is already too long. */
	len = buf_used(&l->part) + (size_t)(end - p);
	if (line_over(l, len, end[-1])) {
		buf_clear(&l->part);
		l->discard = true;
		return fn(arg, LINE_TOOLONG, NULL, 0);
	}
	return buf_append(&l->part, p, (size_t)(end - p));
}

int
line_feed_runs(struct line *l, const char *data, size_t n, line_run_fn run,
    line_fn fn, void *arg)
{
	const char *p = data, *end = data + n, *lf;
	size_t seg;
	int r;

	while (p < end) {
		if (buf_used(&l->part) == 0 && !l->discard) {
			p += run(arg, p, (size_t)(end - p));
			if (p == end)
				break;
		}
		/* One line (or the unfinished rest) the ordinary way. */
		lf = memchr(p, '\n', (size_t)(end - p));
		seg = lf != NULL ? (size_t)(lf - p) + 1 : (size_t)(end - p);
		if ((r = line_feed(l, p, seg, fn, arg)) != 0)
			return r;
		p += seg;
	}
	return 0;
}

size_t
line_whole(const struct line *l, const char *data, size_t n, size_t from,
    size_t *len)
{
	const char *lf;
	size_t k;

	if (from >= n)
		return 0;
	/* Most often the search is over at once. */
	lf = data[from] == '\n' ? data + from :
	    memchr(data + from, '\n', n - from);
	if (lf == NULL)
		return 0;
	k = (size_t)(lf - data);
	if (k > 0 && lf[-1] == '\r')
		k--;
	if (k > l->max)
		return 0;
	*len = k;
	return (size_t)(lf - data) + 1;
}

/*
 * Without an LF to come, a trailing CR is part of the line, so a held line
 * of max bytes plus CR is too long after all.
 */
int
line_finish(struct line *l, line_fn fn, void *arg)
{
	size_t len = buf_used(&l->part);
	int r;

	if (l->discard) {
		l->discard = false;
		buf_clear(&l->part);
		return 0;
	}
	if (len == 0)
		return 0;
	if (len > l->max) {
		buf_clear(&l->part);
		return fn(arg, LINE_TOOLONG, NULL, 0);
	}
	r = fn(arg, LINE_TEXT, buf_peek(&l->part), len);
	buf_clear(&l->part);
	return r;
}

size_t
line_pending(const struct line *l)
{
	return buf_used(&l->part);
}

void
line_shrink(struct line *l)
{
	buf_shrink(&l->part);
}

void
line_free(struct line *l)
{
	buf_free(&l->part);
	l->discard = false;
}
