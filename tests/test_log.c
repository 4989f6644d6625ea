/* test_log: escaping of log text, and the journal's line form. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "log.h"

/* Escape in and check the result is exactly want. */
static void
check_escape(const char *in, const char *want)
{
	char out[256];

	assert_int_equal(log_escape(in, out, sizeof out), strlen(want));
	assert_string_equal(out, want);
}

static void
test_escape_controls(void **state)
{
	(void)state;
	check_escape("plain text", "plain text");
	check_escape("", "");
	/* A forged second line and a terminal escape. */
	check_escape("unix:/tmp/a\n2026-01-01T00:00:00Z lobbyd: info: x",
	    "unix:/tmp/a\\x0a2026-01-01T00:00:00Z lobbyd: info: x");
	check_escape("\x1b[2J\a\r\t\x7f", "\\x1b[2J\\x07\\x0d\\x09\\x7f");
	check_escape("\x01\x02\x0f\x1f", "\\x01\\x02\\x0f\\x1f");
	/* C1 controls written as UTF-8: U+0085 NEL, U+009B CSI. */
	check_escape("a\xc2\x85" "b\xc2\x9b", "a\\xc2\\x85b\\xc2\\x9b");
	/* Other UTF-8 stays as it is: U+00A0, U+00E9, a Chinese word. */
	check_escape("\xc2\xa0\xc3\xa9\xe4\xbd\xa0\xe5\xa5\xbd",
	    "\xc2\xa0\xc3\xa9\xe4\xbd\xa0\xe5\xa5\xbd");
	/* A C2 byte at the very end is left alone (nothing follows). */
	check_escape("\xc2", "\xc2");
}

static void
test_escape_cut(void **state)
{
	char out[8];

	(void)state;
	/* What does not fit is cut whole: never half an escape. */
	assert_int_equal(log_escape("abcdefghij", out, sizeof out), 7);
	assert_string_equal(out, "abcdefg");
	assert_int_equal(log_escape("abcd\n", out, sizeof out), 4);
	assert_string_equal(out, "abcd");
	assert_int_equal(log_escape("abc\n", out, sizeof out), 7);
	assert_string_equal(out, "abc\\x0a");
	assert_int_equal(log_escape("x", out, 1), 0);
	assert_string_equal(out, "");
}

/* Redirect stderr to a fresh temporary file; returns its fd. */
static int
stderr_to_file(char *path, size_t len, int *saved)
{
	int fd;

	snprintf(path, len, "/tmp/lobby-test-log-XXXXXX");
	fd = mkstemp(path);
	assert_true(fd >= 0);
	fflush(stderr);
	*saved = dup(STDERR_FILENO);
	assert_true(*saved >= 0);
	assert_int_equal(dup2(fd, STDERR_FILENO), STDERR_FILENO);
	return fd;
}

/* Put stderr back and return what was written to the file (malloc'd). */
static char *
stderr_back(const char *path, int fd, int saved)
{
	char *text = calloc(1, 4096);
	ssize_t n;

	fflush(stderr);
	dup2(saved, STDERR_FILENO);
	close(saved);
	assert_non_null(text);
	n = pread(fd, text, 4095, 0);
	assert_true(n >= 0);
	close(fd);
	unlink(path);
	return text;
}

/*
 * Redirect stderr as stderr_to_file() does, and name that file in
 * JOURNAL_STREAM: stderr is the journal for the next log_init().
 */
static int
stderr_to_journal(char *path, size_t len, int *saved)
{
	char env[64];
	struct stat st;
	int fd;

	fd = stderr_to_file(path, len, saved);
	assert_int_equal(fstat(fd, &st), 0);
	snprintf(env, sizeof env, "%llu:%llu", (unsigned long long)st.st_dev,
	    (unsigned long long)st.st_ino);
	setenv("JOURNAL_STREAM", env, 1);
	return fd;
}

static void
test_journal_stream(void **state)
{
	char path[64], env[64];
	struct stat st;
	int fd, other;

	(void)state;
	snprintf(path, sizeof path, "/tmp/lobby-test-log-XXXXXX");
	fd = mkstemp(path);
	assert_true(fd >= 0);
	assert_int_equal(fstat(fd, &st), 0);
	snprintf(env, sizeof env, "%llu:%llu", (unsigned long long)st.st_dev,
	    (unsigned long long)st.st_ino);
	assert_true(log_journal_stream(env, fd));
	assert_false(log_journal_stream(NULL, fd));
	assert_false(log_journal_stream("", fd));
	assert_false(log_journal_stream("12", fd));
	strcat(env, "x");
	assert_false(log_journal_stream(env, fd));
	/* Another file is not the journal. */
	other = open("/dev/null", 0);
	assert_true(other >= 0);
	env[strlen(env) - 1] = '\0';
	assert_false(log_journal_stream(env, other));
	close(other);
	close(fd);
	unlink(path);
}

static void
test_line_forms(void **state)
{
	char path[64], env[64];
	struct stat st;
	char *text;
	int fd, saved;

	(void)state;
	/* Plain stderr: a timestamp, and the level in words. */
	unsetenv("JOURNAL_STREAM");
	fd = stderr_to_file(path, sizeof path, &saved);
	log_init("lobbyd", LOG_LEVEL_INFO);
	log_info("client 1 %s joined", "unix:/tmp/x\ny");
	log_debug("not shown");
	text = stderr_back(path, fd, saved);
	assert_true(strlen(text) > 25);
	assert_memory_equal(text + 4, "-", 1);
	assert_non_null(strstr(text, "Z lobbyd: info: client 1 "
	    "unix:/tmp/x\\x0ay joined\n"));
	assert_null(strstr(text, "not shown"));
	assert_null(strchr(text, '<'));
	free(text);

	/* stderr is the journal: <priority>, no timestamp. */
	fd = stderr_to_journal(path, sizeof path, &saved);
	log_init("lobbyd", LOG_LEVEL_DEBUG);
	log_error("e");
	log_warn("w");
	log_info("i");
	log_debug("d");
	text = stderr_back(path, fd, saved);
	assert_string_equal(text, "<3>lobbyd: error: e\n<4>lobbyd: warn: w\n"
	    "<6>lobbyd: info: i\n<7>lobbyd: debug: d\n");
	free(text);

	/* JOURNAL_STREAM naming another file (inherited): plain lines. */
	assert_int_equal(stat("/dev/null", &st), 0);
	snprintf(env, sizeof env, "%llu:%llu", (unsigned long long)st.st_dev,
	    (unsigned long long)st.st_ino);
	setenv("JOURNAL_STREAM", env, 1);
	fd = stderr_to_file(path, sizeof path, &saved);
	log_init("lobbyd", LOG_LEVEL_INFO);
	log_warn("w");
	text = stderr_back(path, fd, saved);
	assert_true(text[0] >= '0' && text[0] <= '9');
	assert_non_null(strstr(text, "Z lobbyd: warn: w\n"));
	free(text);
	unsetenv("JOURNAL_STREAM");
}

/*
 * The lines a script or an operator reads as they are, "lobbyd: listening
 * on ..." and why lobbyd could not start, carry no timestamp or level word;
 * under the journal they start with their priority like every other line,
 * so that journalctl -p err shows why lobbyd did not start.
 */
static void
test_bare_lines(void **state)
{
	char path[64];
	char *text;
	int fd, saved;

	(void)state;
	unsetenv("JOURNAL_STREAM");
	fd = stderr_to_file(path, sizeof path, &saved);
	log_init("lobbyd", LOG_LEVEL_WARN);
	log_bare(LOG_LEVEL_INFO, "listening on %s", "127.0.0.1:12580");
	log_bare(LOG_LEVEL_ERROR, "cannot listen on %s: %s", "[::1]:1",
	    "Address already in use");
	text = stderr_back(path, fd, saved);
	assert_string_equal(text, "lobbyd: listening on 127.0.0.1:12580\n"
	    "lobbyd: cannot listen on [::1]:1: Address already in use\n");
	free(text);

	fd = stderr_to_journal(path, sizeof path, &saved);
	log_init("lobbyd", LOG_LEVEL_WARN);
	log_bare(LOG_LEVEL_INFO, "listening on %s", "unix:/run/lobby.sock");
	log_bare(LOG_LEVEL_ERROR, "--motd %s: %s", "/etc/motd",
	    "No such file or directory");
	text = stderr_back(path, fd, saved);
	assert_string_equal(text, "<6>lobbyd: listening on "
	    "unix:/run/lobby.sock\n<3>lobbyd: --motd /etc/motd: No such file "
	    "or directory\n");
	free(text);
	unsetenv("JOURNAL_STREAM");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_escape_controls),
		cmocka_unit_test(test_escape_cut),
		cmocka_unit_test(test_journal_stream),
		cmocka_unit_test(test_line_forms),
		cmocka_unit_test(test_bare_lines),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
