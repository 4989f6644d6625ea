/* flood: a token bucket per member, in lines per second, time passed in. */
#ifndef LOBBY_FLOOD_H
#define LOBBY_FLOOD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define FLOOD_RATE_MAX	1000000	/* lines per second: beyond is no limit */

/* --flood RATE[/BURST]: the same for every member. rate 0 is off. */
struct flood_rate {
	unsigned	 rate;		/* lines per second refilled; 0: off */
	unsigned	 burst;		/* lines that may come at once */
};

/*
 * One member's bucket. Tokens are kept in thousandths of a line, so that
 * refilling by the millisecond loses nothing at any rate. The caller
 * passes the time (monotonic ms) to every call: no call reads a clock,
 * and tests drive it without sleeping.
 */
struct flood {
	int64_t		 tokens;	/* thousandths of a line available */
	int64_t		 last;		/* ms of the last refill */
};

/*
 * Parse "RATE" or "RATE/BURST" (whole numbers, RATE 1 to FLOOD_RATE_MAX,
 * BURST 1 to FLOOD_RATE_MAX; BURST defaults to RATE, one second's worth).
 * Returns 0, or -1 when s is not that.
 */
int	flood_parse(const char *s, struct flood_rate *r);

/* A full bucket at time now. */
void	flood_init(struct flood *f, const struct flood_rate *r, int64_t now);

/*
 * Take one line's token at time now. Returns true when there was one (or
 * the rate is off), false when the member is over the rate: the line must
 * wait flood_wait() ms.
 */
bool	flood_take(struct flood *f, const struct flood_rate *r, int64_t now);

/* Milliseconds from now until flood_take() will succeed; 0 if at once. */
int64_t	flood_wait(const struct flood *f, const struct flood_rate *r,
	    int64_t now);

/*
 * How many lines flood_take() would let through at time now, one after
 * another; SIZE_MAX when the rate is off. Taking them is flood_take_n()
 * of that many.
 */
size_t	flood_lines(const struct flood *f, const struct flood_rate *r,
	    int64_t now);

/*
 * flood_take() for a line that counts as cost lines (a /who answers with
 * one line per member): it waits until the bucket holds cost lines' tokens
 * (a full bucket at most, when cost is beyond the burst), then takes them
 * all, the bucket going below empty for the part beyond a full one. A
 * cost of 0 counts as 1.
 */
bool	flood_take_n(struct flood *f, const struct flood_rate *r, int64_t now,
	    unsigned cost);

/* Milliseconds from now until flood_take_n() of cost will succeed. */
int64_t	flood_wait_n(const struct flood *f, const struct flood_rate *r,
	    int64_t now, unsigned cost);

#endif /* LOBBY_FLOOD_H */
