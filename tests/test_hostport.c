/* test_hostport: HOST:PORT, [V6]:PORT and unix:PATH, as options give them. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "hostport.h"

/* Each accepted form, with and without the flags. */
static void
test_good(void **state)
{
	struct hostport a;
	const char *why;

	(void)state;
	assert_int_equal(hostport_parse("127.0.0.1:6379", 0, &a, &why), 0);
	assert_false(a.is_unix);
	assert_false(a.bracketed);
	assert_string_equal(a.host, "127.0.0.1");
	assert_int_equal(a.port, 6379);
	assert_int_equal(hostport_parse("redis.example:1", HOSTPORT_UNIX, &a,
	    &why), 0);
	assert_string_equal(a.host, "redis.example");
	assert_int_equal(a.port, 1);
	assert_int_equal(hostport_parse("[::1]:65535", 0, &a, &why), 0);
	assert_true(a.bracketed);
	assert_string_equal(a.host, "::1");
	assert_int_equal(a.port, 65535);
	assert_int_equal(hostport_parse("[fe80::1%eth0]:8080", 0, &a, &why),
	    0);
	assert_string_equal(a.host, "fe80::1%eth0");
	assert_int_equal(hostport_parse("unix:/run/redis.sock", HOSTPORT_UNIX,
	    &a, &why), 0);
	assert_true(a.is_unix);
	assert_string_equal(a.path, "/run/redis.sock");
	assert_string_equal(a.host, "");
	/* Port 0 only when the caller lets the system pick one. */
	assert_int_equal(hostport_parse("127.0.0.1:0", HOSTPORT_PORT0, &a,
	    &why), 0);
	assert_int_equal(a.port, 0);
	assert_int_equal(hostport_parse("[::1]:00080", HOSTPORT_PORT0, &a,
	    &why), 0);
	assert_int_equal(a.port, 80);
}

/* Each malformed one is refused with a reason. */
static void
test_bad(void **state)
{
	static const char *const bad[] = {
		"", "localhost", "localhost:", ":6379", "host:0",
		"host:65536", "host:63x", "::1:6379", "[::1]6379", "[]:1",
		"[::1:6379", "unix:", "host:-1", "host:+1", "host: 1",
		"[::1]:", "127.0.0.1:99999999999999999999",
	};
	struct hostport a;
	const char *why;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		why = NULL;
		assert_int_equal(hostport_parse(bad[i], HOSTPORT_UNIX, &a,
		    &why), -1);
		assert_non_null(why);
	}
	/* Without HOSTPORT_UNIX, "unix:/x" is a host "unix" and a bad port. */
	why = NULL;
	assert_int_equal(hostport_parse("unix:/x", 0, &a, &why), -1);
	assert_string_equal(why, "the port must be a number from 1 to 65535");
	assert_int_equal(hostport_parse("::1:80", HOSTPORT_PORT0, &a, &why),
	    -1);
	assert_string_equal(why, "an IPv6 address is written [ADDR]:PORT");
	assert_int_equal(hostport_parse("h:65536", HOSTPORT_PORT0, &a, &why),
	    -1);
	assert_string_equal(why, "the port must be a number from 0 to 65535");
}

/* The longest host and path that fit, and one byte more. */
static void
test_lengths(void **state)
{
	char text[HOSTPORT_HOST_MAX + 16];
	struct hostport a;
	const char *why;

	(void)state;
	memcpy(text, "unix:", 5);
	memset(text + 5, 'p', HOSTPORT_PATH_MAX);
	text[5 + HOSTPORT_PATH_MAX] = '\0';
	assert_int_equal(hostport_parse(text, HOSTPORT_UNIX, &a, &why), 0);
	assert_int_equal(strlen(a.path), HOSTPORT_PATH_MAX);
	text[5 + HOSTPORT_PATH_MAX] = 'p';
	text[6 + HOSTPORT_PATH_MAX] = '\0';
	assert_int_equal(hostport_parse(text, HOSTPORT_UNIX, &a, &why), -1);
	assert_string_equal(why, "the socket path is too long");

	memset(text, 'h', HOSTPORT_HOST_MAX);
	strcpy(text + HOSTPORT_HOST_MAX, ":1");
	assert_int_equal(hostport_parse(text, 0, &a, &why), 0);
	assert_int_equal(strlen(a.host), HOSTPORT_HOST_MAX);
	memset(text, 'h', HOSTPORT_HOST_MAX + 1);
	strcpy(text + HOSTPORT_HOST_MAX + 1, ":1");
	assert_int_equal(hostport_parse(text, 0, &a, &why), -1);
	assert_string_equal(why, "the host is too long");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_good),
		cmocka_unit_test(test_bad),
		cmocka_unit_test(test_lengths),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
