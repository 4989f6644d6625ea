/* ltime: the clocks lobby reads and the local-time stamps it shows. */
#include "ltime.h"

#include <stddef.h>

/* ms of one clock; CLOCK_MONOTONIC and CLOCK_REALTIME cannot fail. */
static int64_t
ltime_ms(clockid_t id)
{
	struct timespec ts;

	clock_gettime(id, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int64_t
ltime_mono_ms(void)
{
	return ltime_ms(CLOCK_MONOTONIC);
}

int64_t
ltime_wall_ms(void)
{
	return ltime_ms(CLOCK_REALTIME);
}

/* t in local time by fmt into out (len bytes and a NUL), its broken-down
 * time into *tm: 0, or -1. */
static int
ltime_format(time_t t, const char *fmt, char *out, size_t len, struct tm *tm)
{
	if (localtime_r(&t, tm) == NULL ||
	    strftime(out, len + 1, fmt, tm) != len) {
		out[0] = '\0';
		return -1;
	}
	return 0;
}

int
ltime_hm(time_t t, char out[LTIME_HM_LEN + 1])
{
	struct tm tm;

	return ltime_format(t, "%H:%M", out, LTIME_HM_LEN, &tm);
}

int
ltime_stamp(time_t t, char out[LTIME_STAMP_LEN + 1])
{
	struct tm tm;

	return ltime_format(t, "%Y-%m-%d %H:%M", out, LTIME_STAMP_LEN, &tm);
}

int64_t
ltime_stamp_ms(int64_t wall_ms, char out[LTIME_STAMP_LEN + 1])
{
	int64_t ms = wall_ms % 1000, left;
	struct tm tm;

	/* The second it falls in, rounded down before 1970 too. */
	if (ms < 0)
		ms += 1000;
	if (ltime_format((time_t)((wall_ms - ms) / 1000), "%Y-%m-%d %H:%M",
	    out, LTIME_STAMP_LEN, &tm) == -1)
		return -1;
	/* tm_sec is 60 in a leap second, where a system keeps them. */
	left = (int64_t)(60 - tm.tm_sec) * 1000 - ms;
	return left > 0 ? left : 1;
}
