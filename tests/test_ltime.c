/* test_ltime: the clocks and the local-time stamps of common/ltime. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "ltime.h"

/* Run with the local time zone tz (a POSIX TZ string). */
static void
use_tz(const char *tz)
{
	assert_int_equal(setenv("TZ", tz, 1), 0);
	tzset();
}

/* The monotonic clock never goes back; the wall clock is past 2020. */
static void
test_clocks(void **state)
{
	int64_t a, b, i;

	(void)state;
	a = ltime_mono_ms();
	for (i = 0; i < 1000; i++) {
		b = ltime_mono_ms();
		assert_true(b >= a);
		a = b;
	}
	assert_true(ltime_wall_ms() > INT64_C(1577836800000));
}

/* The history's "YYYY-MM-DD HH:MM" and the client's "HH:MM", in UTC. */
static void
test_stamps_utc(void **state)
{
	char stamp[LTIME_STAMP_LEN + 1], hm[LTIME_HM_LEN + 1];

	(void)state;
	use_tz("UTC0");
	assert_int_equal(ltime_stamp(0, stamp), 0);
	assert_string_equal(stamp, "1970-01-01 00:00");
	assert_int_equal(ltime_hm(0, hm), 0);
	assert_string_equal(hm, "00:00");
	/* 2023-11-14T22:13:20Z: seconds are dropped, not rounded. */
	assert_int_equal(ltime_stamp(1700000000, stamp), 0);
	assert_string_equal(stamp, "2023-11-14 22:13");
	assert_int_equal(ltime_hm(1700000000, hm), 0);
	assert_string_equal(hm, "22:13");
	assert_int_equal(strlen(stamp), LTIME_STAMP_LEN);
	assert_int_equal(strlen(hm), LTIME_HM_LEN);
}

/* Local time it is: half an hour east of UTC moves the day too. */
static void
test_stamps_local(void **state)
{
	char stamp[LTIME_STAMP_LEN + 1], hm[LTIME_HM_LEN + 1];

	(void)state;
	use_tz("IST-5:30");
	assert_int_equal(ltime_stamp(1700000000, stamp), 0);
	assert_string_equal(stamp, "2023-11-15 03:43");
	assert_int_equal(ltime_hm(1700000000, hm), 0);
	assert_string_equal(hm, "03:43");
	use_tz("UTC0");
}

/* A year that is not four digits fits no stamp: -1, and out is empty. */
static void
test_stamp_out_of_range(void **state)
{
	char stamp[LTIME_STAMP_LEN + 1];

	(void)state;
	use_tz("UTC0");
	if (sizeof(time_t) < 8)
		skip();
	memset(stamp, 'x', sizeof stamp);
	/* 10000-01-01T00:00:00Z */
	assert_int_equal(ltime_stamp((time_t)INT64_C(253402300800), stamp),
	    -1);
	assert_string_equal(stamp, "");
	/* 0999-12-31T23:59:00Z: three digits of year in glibc's %Y. */
	memset(stamp, 'x', sizeof stamp);
	if (ltime_stamp((time_t)INT64_C(-30610224060), stamp) == 0)
		assert_int_equal(strlen(stamp), LTIME_STAMP_LEN);
	else
		assert_string_equal(stamp, "");
}

/*
 * The room's clock: the stamp of a wall time and how long it holds. It
 * changes on the minute, so a line right after midnight is the new day's.
 */
static void
test_stamp_ms(void **state)
{
	char stamp[LTIME_STAMP_LEN + 1];
	/* 2023-11-15T00:00:00Z */
	const int64_t midnight = INT64_C(1700006400000);

	(void)state;
	use_tz("UTC0");
	assert_int_equal(ltime_stamp_ms(midnight - 1, stamp), 1);
	assert_string_equal(stamp, "2023-11-14 23:59");
	assert_int_equal(ltime_stamp_ms(midnight, stamp), 60000);
	assert_string_equal(stamp, "2023-11-15 00:00");
	assert_int_equal(ltime_stamp_ms(midnight + 1, stamp), 59999);
	assert_string_equal(stamp, "2023-11-15 00:00");
	assert_int_equal(ltime_stamp_ms(midnight - 30500, stamp), 30500);
	assert_string_equal(stamp, "2023-11-14 23:59");
	/* Before 1970 the milliseconds still count forward. */
	assert_int_equal(ltime_stamp_ms(-1, stamp), 1);
	assert_string_equal(stamp, "1969-12-31 23:59");
	assert_int_equal(ltime_stamp_ms(-119999, stamp), 59999);
	assert_string_equal(stamp, "1969-12-31 23:58");
	/* A zone's own midnight: 00:00 local is 18:30 UTC. */
	use_tz("IST-5:30");
	assert_int_equal(ltime_stamp_ms(midnight - 5 * 3600000 - 1800000,
	    stamp), 60000);
	assert_string_equal(stamp, "2023-11-15 00:00");
	assert_int_equal(ltime_stamp_ms(midnight - 5 * 3600000 - 1800001,
	    stamp), 1);
	assert_string_equal(stamp, "2023-11-14 23:59");
	use_tz("UTC0");
	/* No stamp: -1, and out is empty. */
	if (sizeof(time_t) >= 8) {
		memset(stamp, 'x', sizeof stamp);
		assert_int_equal(ltime_stamp_ms(INT64_C(253402300800000),
		    stamp), -1);
		assert_string_equal(stamp, "");
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_clocks),
		cmocka_unit_test(test_stamps_utc),
		cmocka_unit_test(test_stamps_local),
		cmocka_unit_test(test_stamp_out_of_range),
		cmocka_unit_test(test_stamp_ms),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
