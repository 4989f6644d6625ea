/* test_link: the client's connection: what goes out, how lines come in. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <setjmp.h>
#include <cmocka.h>

#include "link.h"
#include "unit.h"

/* Queue n bytes of text; the queue must then hold want (wlen bytes). */
#define assert_sends(l, text, n, want, wlen)				\
	assert_sends_at((l), (text), (n), (want), (wlen), __FILE__, __LINE__)

/* assert_sends(), failing at file:line. */
static void
assert_sends_at(struct link *l, const char *text, size_t n, const char *want,
    size_t wlen, const char *file, int line)
{
	buf_clear(&l->outq);
	u_int_eq(link_send(l, text, n), 0, file, line);
	u_int_eq(buf_used(&l->outq), wlen, file, line);
	u_mem_eq(buf_peek(&l->outq), want, wlen, file, line);
}

/*
 * The server reads 0xFF as telnet's IAC: each one goes doubled, or a
 * 0xFF 0xFA (IAC SB) would swallow every later line, /quit too.
 */
static void
test_send_iac(void **state)
{
	char big[1024], want[2 * 1024 + 1];
	struct link l;

	(void)state;
	link_init(&l);
	assert_sends(&l, "hello", 5, "hello\n", 6);
	assert_sends(&l, "", 0, "\n", 1);
	assert_sends(&l, "\xff\xfa latin-1", 10, "\xff\xff\xfa latin-1\n", 12);
	assert_sends(&l, "a\xff", 2, "a\xff\xff\n", 4);
	assert_sends(&l, "\xff\xff", 2, "\xff\xff\xff\xff\n", 5);
	memset(big, 0xff, sizeof big);
	memset(want, 0xff, sizeof want - 1);
	want[sizeof want - 1] = '\n';
	assert_sends(&l, big, sizeof big, want, sizeof want);
	assert_false(l.quitting);
	/* Lines queue one after the other, each whole. */
	buf_clear(&l.outq);
	assert_int_equal(link_send(&l, "x\xff", 2), 0);
	assert_int_equal(link_send(&l, "/quit", 5), 0);
	assert_int_equal(buf_used(&l.outq), 10);
	assert_memory_equal(buf_peek(&l.outq), "x\xff\xff\n/quit\n", 10);
	assert_true(l.quitting);
	link_close(&l);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_send_iac),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
