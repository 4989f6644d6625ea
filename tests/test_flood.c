/* test_flood: the token bucket, with the time passed in: no sleeping. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "flood.h"

static void
test_parse(void **state)
{
	struct flood_rate r;

	(void)state;
	assert_int_equal(flood_parse("10", &r), 0);
	assert_int_equal(r.rate, 10);
	assert_int_equal(r.burst, 10);
	assert_int_equal(flood_parse("10/20", &r), 0);
	assert_int_equal(r.rate, 10);
	assert_int_equal(r.burst, 20);
	assert_int_equal(flood_parse("1/1", &r), 0);
	assert_int_equal(flood_parse("1000000/1000000", &r), 0);
	assert_int_equal(flood_parse("", &r), -1);
	assert_int_equal(flood_parse("0", &r), -1);
	assert_int_equal(flood_parse("10/0", &r), -1);
	assert_int_equal(flood_parse("10/", &r), -1);
	assert_int_equal(flood_parse("/10", &r), -1);
	assert_int_equal(flood_parse("-1", &r), -1);
	assert_int_equal(flood_parse("+5", &r), -1);
	assert_int_equal(flood_parse("10x", &r), -1);
	assert_int_equal(flood_parse("10/20/30", &r), -1);
	assert_int_equal(flood_parse("1000001", &r), -1);
	assert_int_equal(flood_parse("99999999999999999999", &r), -1);
	assert_int_equal(flood_parse("10 /20", &r), -1);
}

/* 10 lines a second, 20 at once: the burst, then one per 100 ms. */
static void
test_burst_then_rate(void **state)
{
	struct flood_rate r = { 10, 20 };
	struct flood f;
	int64_t t = 5000;
	int i, n;

	(void)state;
	flood_init(&f, &r, t);
	for (i = 0; i < 20; i++)
		assert_true(flood_take(&f, &r, t));
	assert_false(flood_take(&f, &r, t));
	assert_int_equal(flood_wait(&f, &r, t), 100);
	assert_int_equal(flood_wait(&f, &r, t + 60), 40);
	assert_false(flood_take(&f, &r, t + 99));
	assert_true(flood_take(&f, &r, t + 100));
	assert_false(flood_take(&f, &r, t + 100));
	/* Over 10 s at the rate: 100 more lines, no more. */
	for (n = 0, t += 100; t <= 15100; t++)
		while (flood_take(&f, &r, t))
			n++;
	assert_int_equal(n, 100);
}

/* 100 lines offered at once: how many pass by each time. */
static void
test_hundred_lines(void **state)
{
	struct flood_rate r = { 10, 20 };
	struct flood f;
	int64_t t0 = 0, t = 0;
	int sent = 0, first_second = 0;

	(void)state;
	flood_init(&f, &r, t0);
	while (sent < 100) {
		if (flood_take(&f, &r, t)) {
			sent++;
			if (t < 1000)
				first_second++;
		} else
			t += flood_wait(&f, &r, t);
	}
	/* 20 at once, then 10 a second: 30 in the first second at most,
	 * the 100th after 8 s. */
	assert_true(first_second <= 30);
	assert_true(first_second >= 20);
	assert_int_equal(t, 8000);
}

/* A quiet member's bucket fills up again, but never past the burst. */
static void
test_refill_capped(void **state)
{
	struct flood_rate r = { 5, 3 };
	struct flood f;
	int i;

	(void)state;
	flood_init(&f, &r, 0);
	for (i = 0; i < 3; i++)
		assert_true(flood_take(&f, &r, 0));
	assert_false(flood_take(&f, &r, 0));
	/* An hour of silence earns 3 lines, the burst. */
	for (i = 0; i < 3; i++)
		assert_true(flood_take(&f, &r, 3600000));
	assert_false(flood_take(&f, &r, 3600000));
	assert_int_equal(flood_wait(&f, &r, 3600000), 200);
}

/* Odd rates lose nothing to rounding: 3 a second is 30 in 10 s. */
static void
test_rounding(void **state)
{
	struct flood_rate r = { 3, 2 }, fast = { FLOOD_RATE_MAX, 1 };
	struct flood f;
	int64_t t;
	int n = 0;

	(void)state;
	flood_init(&f, &r, 0);
	assert_true(flood_take(&f, &r, 0));
	assert_true(flood_take(&f, &r, 0));
	for (t = 1; t <= 10000; t++)
		while (flood_take(&f, &r, t))
			n++;
	assert_int_equal(n, 30);
	/* wait rounds up: 1000/3 ms is 334. */
	assert_true(flood_take(&f, &r, 20000));
	assert_true(flood_take(&f, &r, 20000));
	assert_int_equal(flood_wait(&f, &r, 20000), 334);
	/* At the highest rate a token comes back within a millisecond. */
	flood_init(&f, &fast, 0);
	assert_true(flood_take(&f, &fast, 0));
	assert_false(flood_take(&f, &fast, 0));
	assert_int_equal(flood_wait(&f, &fast, 0), 1);
	assert_true(flood_take(&f, &fast, 1));
}

/* A clock that goes back (it should not) earns nothing and breaks nothing. */
static void
test_time_back(void **state)
{
	struct flood_rate r = { 10, 1 };
	struct flood f;

	(void)state;
	flood_init(&f, &r, 1000);
	assert_true(flood_take(&f, &r, 1000));
	assert_false(flood_take(&f, &r, 500));
	assert_int_equal(flood_wait(&f, &r, 500), 100);
	assert_true(flood_take(&f, &r, 1100));
}

/* Rate 0 is off: every line passes at once. */
static void
test_off(void **state)
{
	struct flood_rate r = { 0, 0 };
	struct flood f;
	int i;

	(void)state;
	flood_init(&f, &r, 0);
	for (i = 0; i < 100000; i++)
		assert_true(flood_take(&f, &r, 0));
	assert_int_equal(flood_wait(&f, &r, 0), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse),
		cmocka_unit_test(test_burst_then_rate),
		cmocka_unit_test(test_hundred_lines),
		cmocka_unit_test(test_refill_capped),
		cmocka_unit_test(test_rounding),
		cmocka_unit_test(test_time_back),
		cmocka_unit_test(test_off),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
