/* flood: a token bucket per member, in lines per second, time passed in. */
#include "flood.h"

#include <errno.h>
#include <stdlib.h>

#define FLOOD_UNIT	1000	/* tokens per line: thousandths */

/* A whole number from 1 to FLOOD_RATE_MAX at s, up to *end; 0 if not. */
static unsigned
flood_number(const char *s, char **end)
{
	unsigned long v;

	if (*s < '0' || *s > '9')
		return 0;
	errno = 0;
	v = strtoul(s, end, 10);
	if (errno != 0 || v < 1 || v > FLOOD_RATE_MAX)
		return 0;
	return (unsigned)v;
}

int
flood_parse(const char *s, struct flood_rate *r)
{
	char *end;

	if ((r->rate = flood_number(s, &end)) == 0)
		return -1;
	r->burst = r->rate;
	if (*end == '/' && (r->burst = flood_number(end + 1, &end)) == 0)
		return -1;
	return *end == '\0' ? 0 : -1;
}

void
flood_init(struct flood *f, const struct flood_rate *r, int64_t now)
{
	f->tokens = (int64_t)r->burst * FLOOD_UNIT;
	f->last = now;
}

/* Add what the time since the last refill earned, up to a full bucket. */
static void
flood_refill(struct flood *f, const struct flood_rate *r, int64_t now)
{
	int64_t full = (int64_t)r->burst * FLOOD_UNIT;

	if (now <= f->last)
		return;		/* the same millisecond, or a clock step back */
	/* rate lines per second is rate thousandths per millisecond. */
	if (f->tokens < full)
		f->tokens += (now - f->last) * r->rate;
	if (f->tokens > full)
		f->tokens = full;
	f->last = now;
}

/* The tokens a line of cost lines needs in the bucket: all of them, but
 * never more than a full bucket, or it could never be taken. */
static int64_t
flood_need(const struct flood_rate *r, unsigned cost)
{
	unsigned n = cost < r->burst ? cost : r->burst;

	return (int64_t)(n > 0 ? n : 1) * FLOOD_UNIT;
}

bool
flood_take_n(struct flood *f, const struct flood_rate *r, int64_t now,
    unsigned cost)
{
	if (r->rate == 0)
		return true;
	flood_refill(f, r, now);
	if (f->tokens < flood_need(r, cost))
		return false;
	/* Beyond a full bucket, the rest is owed: the bucket goes below 0. */
	f->tokens -= (int64_t)(cost > 0 ? cost : 1) * FLOOD_UNIT;
	return true;
}

size_t
flood_lines(const struct flood *f, const struct flood_rate *r, int64_t now)
{
	struct flood g;

	if (r->rate == 0)
		return SIZE_MAX;
	g = *f;
	flood_refill(&g, r, now);
	return g.tokens > 0 ? (size_t)(g.tokens / FLOOD_UNIT) : 0;
}

bool
flood_take(struct flood *f, const struct flood_rate *r, int64_t now)
{
	return flood_take_n(f, r, now, 1);
}

int64_t
flood_wait_n(const struct flood *f, const struct flood_rate *r, int64_t now,
    unsigned cost)
{
	struct flood g = *f;
	int64_t need;

	if (r->rate == 0)
		return 0;
	flood_refill(&g, r, now);
	if (g.tokens >= flood_need(r, cost))
		return 0;
	need = flood_need(r, cost) - g.tokens;
	return (need + r->rate - 1) / r->rate;
}

int64_t
flood_wait(const struct flood *f, const struct flood_rate *r, int64_t now)
{
	return flood_wait_n(f, r, now, 1);
}
