/* test_motd: reading and cleaning the message of the day. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "motd.h"

/* Write n bytes to a fresh temporary file; its path goes to path. */
static void
motd_file(char *path, size_t len, const char *text, size_t n)
{
	FILE *f;
	int fd;

	snprintf(path, len, "/tmp/lobby-test-motd-XXXXXX");
	fd = mkstemp(path);
	assert_true(fd >= 0);
	f = fdopen(fd, "w");
	assert_non_null(f);
	assert_int_equal(fwrite(text, 1, n, f), n);
	fclose(f);
}

#define MOTD_FILE(path, text) \
	motd_file((path), sizeof(path), (text), sizeof(text) - 1)

static void
test_lines_cleaned(void **state)
{
	struct motd m;
	char path[64], err[256];

	(void)state;
	MOTD_FILE(path, "Welcome to the lobby!\r\n\n  \t\n"
	    "\x1b[31mred\x1b[0m rules\n"
	    "bad \xc0 utf-8 and \xe2\x80\xae" "bidi\n"
	    "last line without LF");
	assert_int_equal(motd_load(&m, path, 1024, err, sizeof err), 0);
	assert_int_equal(m.n, 4);
	assert_string_equal(m.lines[0], "Welcome to the lobby!");
	assert_string_equal(m.lines[1], "[31mred[0m rules");
	assert_string_equal(m.lines[2], "bad \xef\xbf\xbd utf-8 and bidi");
	assert_string_equal(m.lines[3], "last line without LF");
	motd_free(&m);
	assert_int_equal(m.n, 0);
	assert_null(m.lines);
	unlink(path);
}

static void
test_empty(void **state)
{
	struct motd m;
	char path[64], err[256];

	(void)state;
	MOTD_FILE(path, "");
	assert_int_equal(motd_load(&m, path, 1024, err, sizeof err), 0);
	assert_int_equal(m.n, 0);
	motd_free(&m);
	unlink(path);
}

static void
test_missing(void **state)
{
	struct motd m;
	char err[256];

	(void)state;
	assert_int_equal(motd_load(&m, "/nonexistent/motd", 1024, err,
	    sizeof err), -1);
	assert_string_equal(err, "/nonexistent/motd: No such file or "
	    "directory");
	assert_int_equal(m.n, 0);
	/* A directory opens but cannot be read. */
	assert_int_equal(motd_load(&m, "/tmp", 1024, err, sizeof err), -1);
	assert_non_null(strstr(err, "/tmp: "));
	assert_int_equal(m.n, 0);
}

/* 50 lines are fine; 51 are refused, whatever is in them. */
static void
test_fifty_lines(void **state)
{
	struct motd m;
	char path[64], err[256], text[51 * 8];
	size_t i, n = 0;

	(void)state;
	for (i = 0; i < 50; i++)
		n += (size_t)sprintf(text + n, "line%zu\n", i);
	motd_file(path, sizeof path, text, n);
	assert_int_equal(motd_load(&m, path, 1024, err, sizeof err), 0);
	assert_int_equal(m.n, 50);
	assert_string_equal(m.lines[49], "line49");
	motd_free(&m);
	unlink(path);
	n += (size_t)sprintf(text + n, "\n");
	motd_file(path, sizeof path, text, n);
	assert_int_equal(motd_load(&m, path, 1024, err, sizeof err), -1);
	assert_non_null(strstr(err, "more than 50 lines"));
	assert_int_equal(m.n, 0);
	unlink(path);
}

/* A line longer than --max-line is refused, with its number. */
static void
test_long_line(void **state)
{
	struct motd m;
	char path[64], err[256];

	(void)state;
	MOTD_FILE(path, "short\n0123456789\n");
	assert_int_equal(motd_load(&m, path, 10, err, sizeof err), 0);
	motd_free(&m);
	assert_int_equal(motd_load(&m, path, 9, err, sizeof err), -1);
	assert_non_null(strstr(err, "line 2 is longer than 9 bytes"));
	unlink(path);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_lines_cleaned),
		cmocka_unit_test(test_empty),
		cmocka_unit_test(test_missing),
		cmocka_unit_test(test_fifty_lines),
		cmocka_unit_test(test_long_line),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
