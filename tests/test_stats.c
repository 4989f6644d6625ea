/* test_stats: the counters and their stable one-line form. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "stats.h"

static void
test_join_leave_peak(void **state)
{
	struct stats s;

	(void)state;
	stats_init(&s, 1000);
	stats_join(&s);
	stats_join(&s);
	stats_join(&s);
	stats_leave(&s);
	stats_join(&s);
	stats_leave(&s);
	stats_leave(&s);
	assert_int_equal(s.clients, 1);
	assert_int_equal(s.peak, 3);
	stats_leave(&s);
	stats_leave(&s);	/* never below zero */
	assert_int_equal(s.clients, 0);
}

static void
test_sent_counts_lines(void **state)
{
	struct stats s;

	(void)state;
	stats_init(&s, 0);
	stats_sent(&s, "a\nbb\n", 5);
	stats_sent(&s, "partial", 7);
	stats_sent(&s, " end\n\n", 6);
	stats_sent(&s, "", 0);
	assert_int_equal(s.bytes_out, 18);
	assert_int_equal(s.lines_out, 4);
}

/* The line SIGUSR1 logs: every key, in order, names never changing. */
static void
test_format(void **state)
{
	struct stats s;
	char line[512];
	size_t n;

	(void)state;
	stats_init(&s, 5000);
	stats_join(&s);
	stats_join(&s);
	stats_leave(&s);
	s.accepted = 52;
	s.refused_full = 1;
	s.refused_per_ip = 2;
	s.lines_in = 300;
	s.bytes_in = 4000;
	stats_sent(&s, "x\ny\n", 4);
	s.dropped_slow = 3;
	s.dropped_idle = 4;
	s.flood_held = 5;
	n = stats_format(&s, 5000 + 3600 * 1000 + 999, line, sizeof line);
	assert_string_equal(line, "clients=1 peak=2 accepted=52 "
	    "refused_full=1 refused_per_ip=2 lines_in=300 bytes_in=4000 "
	    "lines_out=2 bytes_out=4 dropped_slow=3 dropped_idle=4 "
	    "flood_held=5 uptime=3600");
	assert_int_equal(n, strlen(line));
	/* Too small a buffer: cut, terminated, the full length reported. */
	/* (uptime=0 there, three digits shorter than uptime=3600) */
	assert_int_equal(stats_format(&s, 5000, line, 10), n - 3);
	assert_string_equal(line, "clients=1");
	/* The largest values still fit in 512 bytes. */
	memset(&s, 0xff, sizeof s);
	s.started = 0;
	assert_true(stats_format(&s, INT64_MAX, line, sizeof line) < 512);
}

static void
test_snapshot_fields(void **state)
{
	struct stats s;
	struct stats_field f[STATS_NFIELDS];
	size_t i, j;

	(void)state;
	stats_init(&s, 0);
	s.accepted = 7;
	stats_snapshot(&s, 2500, f);
	assert_string_equal(f[0].key, "clients");
	assert_int_equal(f[0].kind, STATS_GAUGE);
	assert_string_equal(f[2].key, "accepted");
	assert_int_equal(f[2].kind, STATS_COUNTER);
	assert_int_equal(f[2].value, 7);
	assert_string_equal(f[STATS_NFIELDS - 1].key, "uptime");
	assert_int_equal(f[STATS_NFIELDS - 1].value, 2);
	/* Keys are unique, of [a-z_], each with a help text. */
	for (i = 0; i < STATS_NFIELDS; i++) {
		assert_int_equal(strspn(f[i].key, "abcdefghijklmnopqrstuvwxyz_"),
		    strlen(f[i].key));
		assert_true(strlen(f[i].help) > 0);
		for (j = 0; j < i; j++)
			assert_string_not_equal(f[i].key, f[j].key);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_join_leave_peak),
		cmocka_unit_test(test_sent_counts_lines),
		cmocka_unit_test(test_format),
		cmocka_unit_test(test_snapshot_fields),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
