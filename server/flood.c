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

bool
flood_take(struct flood *f, const struct flood_rate *r, int64_t now)
{
	if (r->rate == 0)
		return true;
	flood_refill(f, r, now);
	if (f->tokens < FLOOD_UNIT)
		return false;
	f->tokens -= FLOOD_UNIT;
	return true;
}

int64_t
flood_wait(const struct flood *f, const struct flood_rate *r, int64_t now)
{
	struct flood g = *f;
	int64_t need;

	if (r->rate == 0)
		return 0;
	flood_refill(&g, r, now);
	if (g.tokens >= FLOOD_UNIT)
		return 0;
	need = FLOOD_UNIT - g.tokens;
	return (need + r->rate - 1) / r->rate;
}
