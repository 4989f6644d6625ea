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

/*
 * A line that counts as 10 (/who, /help) at 5 lines a second, 10 at once:
 * it takes the whole bucket, so the next one waits for it to fill again
 * (2 s); a plain line after it waits for one token.
 */
static void
test_cost(void **state)
{
	struct flood_rate r = { 5, 10 };
	struct flood f;

	(void)state;
	flood_init(&f, &r, 0);
	assert_true(flood_take_n(&f, &r, 0, 10));
	assert_false(flood_take_n(&f, &r, 0, 10));
	assert_int_equal(flood_wait_n(&f, &r, 0, 10), 2000);
	assert_int_equal(flood_wait_n(&f, &r, 0, 1), 200);
	assert_false(flood_take_n(&f, &r, 1999, 10));
	assert_int_equal(flood_wait_n(&f, &r, 1999, 10), 1);
	assert_true(flood_take(&f, &r, 1999));
	/* 8.995 lines left: 1.005 more to come at 5 a second. */
	assert_int_equal(flood_wait_n(&f, &r, 1999, 10), 201);
	assert_false(flood_take_n(&f, &r, 2199, 10));
	assert_true(flood_take_n(&f, &r, 2200, 10));
	/* Cost 0 is a line; 9 of a bucket of 10 leave one. */
	flood_init(&f, &r, 0);
	assert_true(flood_take_n(&f, &r, 0, 0));
	assert_true(flood_take_n(&f, &r, 0, 9));
	assert_false(flood_take(&f, &r, 0));
	assert_true(flood_take(&f, &r, 200));
	/* Off: anything goes. */
	r.rate = 0;
	assert_true(flood_take_n(&f, &r, 0, 10));
	assert_int_equal(flood_wait_n(&f, &r, 0, 10), 0);
}

/*
 * A bucket smaller than the cost: the line waits for a full bucket, and
 * the rest is owed, so the member's next line waits for it too. --flood 2
 * (a burst of 2): a /who every 5 s, as 10 lines at 2 a second.
 */
static void
test_cost_beyond_burst(void **state)
{
	struct flood_rate r = { 2, 2 };
	struct flood f;
	int64_t now = 0;
	int i;

	(void)state;
	flood_init(&f, &r, 0);
	assert_true(flood_take_n(&f, &r, now, 10));
	/* 8 lines owed and 1 to have: 4.5 s. */
	assert_int_equal(flood_wait(&f, &r, now), 4500);
	assert_int_equal(flood_wait_n(&f, &r, now, 10), 5000);
	assert_false(flood_take(&f, &r, 4499));
	assert_true(flood_take(&f, &r, 4500));
	/* Ten /who in a row take 45 s at least: 10 lines each. */
	flood_init(&f, &r, 0);
	for (i = 0; i < 10; i++) {
		now += flood_wait_n(&f, &r, now, 10);
		assert_true(flood_take_n(&f, &r, now, 10));
	}
	assert_int_equal(now, 9 * 5000);
}

/* flood_lines() counts the lines flood_take() would let through. */
static void
test_lines(void **state)
{
	struct flood_rate r = { 10, 20 }, off = { 0, 0 };
	struct flood f, g;
	int64_t t = 5000;
	size_t n, k;

	(void)state;
	flood_init(&f, &r, t);
	assert_int_equal(flood_lines(&f, &off, t), SIZE_MAX);
	assert_int_equal(flood_lines(&f, &r, t), 20);
	assert_true(flood_take_n(&f, &r, t, 15));
	assert_int_equal(flood_lines(&f, &r, t), 5);
	/* 250 ms later: 2.5 lines more, 7 whole ones. */
	n = flood_lines(&f, &r, t + 250);
	assert_int_equal(n, 7);
	g = f;
	for (k = 0; flood_take(&g, &r, t + 250); k++)
		;
	assert_int_equal(k, n);
	/* Taking them as one is taking them one by one. */
	assert_true(flood_take_n(&f, &r, t + 250, (unsigned)n));
	assert_int_equal(f.tokens, g.tokens);
	assert_int_equal(flood_lines(&f, &r, t + 250), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse),
		cmocka_unit_test(test_lines),
		cmocka_unit_test(test_burst_then_rate),
		cmocka_unit_test(test_hundred_lines),
		cmocka_unit_test(test_refill_capped),
		cmocka_unit_test(test_rounding),
		cmocka_unit_test(test_time_back),
		cmocka_unit_test(test_off),
		cmocka_unit_test(test_cost),
		cmocka_unit_test(test_cost_beyond_burst),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
