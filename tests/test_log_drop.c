/* test_log_drop: lines dropped while stderr is not read, then counted. */
#define _GNU_SOURCE		/* O_DIRECT: a pipe of packets */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <errno.h>
#include <fcntl.h>
#include <unistd.h>

#include <cmocka.h>

#include "log.h"

/*
 * stderr is a pipe nobody reads: a line is dropped. Then room for one
 * write comes, the least poll(2) can promise: the count of dropped lines
 * and the next line go out together, in that one write. A pipe of packets
 * (O_DIRECT) takes one write per slot, and its write end is non-blocking
 * here, so a second write finds no room and fails instead of blocking
 * the test as it would block lobbyd.
 */
static void
test_dropped_then_one_write(void **state)
{
	char buf[8192], *note, *line;
	int p[2], saved, slots = 0;
	ssize_t n;

	(void)state;
	if (pipe2(p, O_DIRECT | O_NONBLOCK | O_CLOEXEC) == -1)
		skip();		/* no packet pipes (Linux before 3.4) */
	unsetenv("JOURNAL_STREAM");
	log_init("lobbyd", LOG_LEVEL_INFO);
	while (write(p[1], "x", 1) == 1)
		slots++;
	assert_int_equal(errno, EAGAIN);
	assert_true(slots > 0);
	assert_true((saved = dup(STDERR_FILENO)) != -1);
	assert_int_equal(dup2(p[1], STDERR_FILENO), STDERR_FILENO);

	log_info("dropped line");
	/* One slot is read: room for one write. */
	n = read(p[0], buf, sizeof buf);
	log_info("kept line");

	assert_int_equal(dup2(saved, STDERR_FILENO), STDERR_FILENO);
	close(saved);
	assert_int_equal(n, 1);
	while (--slots > 0)
		assert_int_equal(read(p[0], buf, sizeof buf), 1);
	/* One packet: the count, then the line. */
	n = read(p[0], buf, sizeof buf - 1);
	assert_true(n > 0);
	buf[n] = '\0';
	note = strstr(buf, " lobbyd: warn: 1 log lines dropped: stderr was "
	    "not read\n");
	line = strstr(buf, " lobbyd: info: kept line\n");
	assert_non_null(note);
	assert_non_null(line);
	assert_true(note < line);
	assert_null(strstr(buf, "dropped line"));
	assert_int_equal(buf[n - 1], '\n');
	/* Nothing else came. */
	assert_int_equal(read(p[0], buf, sizeof buf), -1);
	assert_int_equal(errno, EAGAIN);
	close(p[0]);
	close(p[1]);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_dropped_then_one_write),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
