/* ltime: the clocks lobby reads and the local-time stamps it shows. */
#ifndef LOBBY_LTIME_H
#define LOBBY_LTIME_H

#include <stdint.h>
#include <time.h>

#define LTIME_HM_LEN	5	/* "HH:MM", the client's --timestamps */
#define LTIME_STAMP_LEN	16	/* "YYYY-MM-DD HH:MM", the room history's */

/*
 * Milliseconds on the monotonic clock: for timeouts and rates, never
 * shown; it does not jump when the wall clock is set.
 */
int64_t	ltime_mono_ms(void);

/* Milliseconds since the epoch on the wall clock: for stamps and ids. */
int64_t	ltime_wall_ms(void);

/*
 * Write t in local time as "HH:MM" into out (LTIME_HM_LEN bytes and a
 * NUL). Returns 0, or -1 with out empty when t has no local time.
 */
int	ltime_hm(time_t t, char out[LTIME_HM_LEN + 1]);

/*
 * Write t in local time as "YYYY-MM-DD HH:MM" into out (LTIME_STAMP_LEN
 * bytes and a NUL). Returns 0, or -1 with out empty when t has no local
 * time or its year is not four digits.
 */
int	ltime_stamp(time_t t, char out[LTIME_STAMP_LEN + 1]);

/*
 * Write the wall time wall_ms (ms since the epoch) as ltime_stamp() does,
 * and return how many ms it stays the stamp: until the next minute starts
 * in local time (1 to 60000). Returns -1 with out empty when it has no
 * stamp. For a clock that changes on the minute, not up to a tick late.
 */
int64_t	ltime_stamp_ms(int64_t wall_ms, char out[LTIME_STAMP_LEN + 1]);

#endif /* LOBBY_LTIME_H */
