/* test_buf: the growable byte queue. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "buf.h"

static void
test_init_empty(void **state)
{
	struct buf b = BUF_INIT;

	(void)state;
	assert_null(b.data);
	assert_int_equal(buf_used(&b), 0);
	/* An empty append allocates nothing. */
	assert_int_equal(buf_append(&b, "", 0), 0);
	assert_null(b.data);
	buf_free(&b);
}

static void
test_append_peek(void **state)
{
	struct buf b = BUF_INIT;

	(void)state;
	assert_int_equal(buf_append(&b, "hello", 5), 0);
	assert_non_null(b.data);
	assert_int_equal(buf_used(&b), 5);
	assert_memory_equal(buf_peek(&b), "hello", 5);
	assert_int_equal(buf_append(&b, ", world", 7), 0);
	assert_int_equal(buf_used(&b), 12);
	assert_memory_equal(buf_peek(&b), "hello, world", 12);
	buf_free(&b);
}

static void
test_drain(void **state)
{
	struct buf b = BUF_INIT;

	(void)state;
	assert_int_equal(buf_append(&b, "abcdef", 6), 0);
	buf_drain(&b, 2);
	assert_int_equal(buf_used(&b), 4);
	assert_memory_equal(buf_peek(&b), "cdef", 4);
	buf_drain(&b, 0);
	assert_int_equal(buf_used(&b), 4);
	assert_int_equal(buf_append(&b, "gh", 2), 0);
	assert_memory_equal(buf_peek(&b), "cdefgh", 6);
	/* Draining everything rewinds to the start of the storage. */
	buf_drain(&b, 6);
	assert_int_equal(buf_used(&b), 0);
	assert_int_equal(b.off, 0);
	assert_int_equal(b.len, 0);
	/* Draining more than is held just empties it. */
	assert_int_equal(buf_append(&b, "xy", 2), 0);
	buf_drain(&b, 100);
	assert_int_equal(buf_used(&b), 0);
	buf_free(&b);
}

/* With room at the front, an append slides the data down, not up. */
static void
test_compaction(void **state)
{
	struct buf b = BUF_INIT;
	char fill[256];
	char *before;
	size_t cap;

	(void)state;
	memset(fill, 'a', sizeof fill);
	assert_int_equal(buf_append(&b, fill, sizeof fill), 0);
	before = b.data;
	cap = b.cap;
	assert_int_equal(b.len, cap);
	buf_drain(&b, 200);
	assert_int_equal(buf_append(&b, "0123456789", 10), 0);
	assert_ptr_equal(b.data, before);
	assert_int_equal(b.cap, cap);
	assert_int_equal(b.off, 0);
	assert_int_equal(buf_used(&b), 66);
	assert_memory_equal(buf_peek(&b), fill, 56);
	assert_memory_equal(buf_peek(&b) + 56, "0123456789", 10);
	buf_free(&b);
}

static void
test_growth(void **state)
{
	struct buf b = BUF_INIT;
	unsigned char chunk[333];
	size_t i, k, total = 0;

	(void)state;
	for (k = 0; k < 100; k++) {
		for (i = 0; i < sizeof chunk; i++)
			chunk[i] = (unsigned char)(k + i);
		assert_int_equal(buf_append(&b, chunk, sizeof chunk), 0);
		total += sizeof chunk;
		assert_true(b.cap >= buf_used(&b));
	}
	assert_int_equal(buf_used(&b), total);
	/* Every byte is where it was put. */
	for (k = 0; k < 100; k++)
		for (i = 0; i < sizeof chunk; i++)
			assert_int_equal((unsigned char)buf_peek(&b)[k *
			    sizeof chunk + i], (unsigned char)(k + i));
	buf_free(&b);
}

/* Growing while data sits past the front keeps it in order. */
static void
test_growth_with_offset(void **state)
{
	struct buf b = BUF_INIT;
	char big[1000];

	(void)state;
	memset(big, 'z', sizeof big);
	assert_int_equal(buf_append(&b, "0123456789", 10), 0);
	buf_drain(&b, 4);
	assert_int_equal(buf_append(&b, big, sizeof big), 0);
	assert_int_equal(buf_used(&b), 1006);
	assert_memory_equal(buf_peek(&b), "456789", 6);
	assert_memory_equal(buf_peek(&b) + 6, big, sizeof big);
	buf_free(&b);
}

static void
test_clear(void **state)
{
	struct buf b = BUF_INIT;
	char *data;

	(void)state;
	assert_int_equal(buf_append(&b, "abc", 3), 0);
	data = b.data;
	buf_clear(&b);
	assert_int_equal(buf_used(&b), 0);
	assert_ptr_equal(b.data, data);
	assert_int_equal(buf_append(&b, "d", 1), 0);
	assert_memory_equal(buf_peek(&b), "d", 1);
	buf_free(&b);
}

static void
test_shrink(void **state)
{
	struct buf b = BUF_INIT;

	(void)state;
	assert_int_equal(buf_append(&b, "abc", 3), 0);
	buf_shrink(&b);
	/* Not empty: kept. */
	assert_non_null(b.data);
	assert_memory_equal(buf_peek(&b), "abc", 3);
	buf_drain(&b, 3);
	buf_shrink(&b);
	assert_null(b.data);
	assert_int_equal(b.cap, 0);
	/* Usable again afterwards. */
	assert_int_equal(buf_append(&b, "again", 5), 0);
	assert_memory_equal(buf_peek(&b), "again", 5);
	buf_free(&b);
	assert_null(b.data);
	assert_int_equal(buf_used(&b), 0);
}

/* A queue used as a pipe: bytes come out in order whatever the sizes. */
static void
test_fifo_order(void **state)
{
	struct buf b = BUF_INIT;
	unsigned char in[97];
	unsigned next_in = 0, next_out = 0;
	size_t i, k, n;

	(void)state;
	for (k = 0; k < 2000; k++) {
		n = k % sizeof in;
		for (i = 0; i < n; i++)
			in[i] = (unsigned char)next_in++;
		assert_int_equal(buf_append(&b, in, n), 0);
		n = (k * 7) % 131;
		if (n > buf_used(&b))
			n = buf_used(&b);
		for (i = 0; i < n; i++)
			assert_int_equal((unsigned char)buf_peek(&b)[i],
			    (unsigned char)(next_out + i));
		next_out += (unsigned)n;
		buf_drain(&b, n);
	}
	assert_int_equal(buf_used(&b), next_in - next_out);
	buf_free(&b);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_init_empty),
		cmocka_unit_test(test_append_peek),
		cmocka_unit_test(test_drain),
		cmocka_unit_test(test_compaction),
		cmocka_unit_test(test_growth),
		cmocka_unit_test(test_growth_with_offset),
		cmocka_unit_test(test_clear),
		cmocka_unit_test(test_shrink),
		cmocka_unit_test(test_fifo_order),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
