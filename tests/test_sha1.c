/* test_sha1: SHA-1 against the FIPS 180 example vectors. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "sha1.h"

/* The digest as 40 lower-case hex digits. */
static void
hex(const unsigned char d[SHA1_LEN], char out[2 * SHA1_LEN + 1])
{
	size_t i;

	for (i = 0; i < SHA1_LEN; i++)
		snprintf(out + 2 * i, 3, "%02x", d[i]);
}

/* Hash s in one call and in every split into two updates. */
static void
check(const char *s, const char *want)
{
	unsigned char d[SHA1_LEN];
	char got[2 * SHA1_LEN + 1];
	struct sha1 ctx;
	size_t n = strlen(s), cut;

	sha1_digest(s, n, d);
	hex(d, got);
	assert_string_equal(got, want);
	for (cut = 0; cut <= n; cut++) {
		sha1_init(&ctx);
		sha1_update(&ctx, s, cut);
		sha1_update(&ctx, s + cut, n - cut);
		sha1_final(&ctx, d);
		hex(d, got);
		assert_string_equal(got, want);
	}
}

static void
test_abc(void **state)
{
	(void)state;
	check("abc", "a9993e364706816aba3e25717850c26c9cd0d89d");
}

static void
test_empty(void **state)
{
	(void)state;
	check("", "da39a3ee5e6b4b0d3255bfef95601890afd80709");
}

static void
test_448_bits(void **state)
{
	(void)state;
	check("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq",
	    "84983e441c3bd26ebaae4aa1f95129e5e54670f1");
}

static void
test_896_bits(void **state)
{
	(void)state;
	check("abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmn"
	    "hijklmnoijklmnopjklmnopqklmnopqrlmnopqrsmnopqrstnopqrstu",
	    "a49b2446a02c645bf419f995b67091253a04a259");
}

/* One million 'a', fed in uneven chunks and in one piece. */
static void
test_million_a(void **state)
{
	static const char want[] = "34aa973cd4c4daa4f61eeb2bdbad27316534016f";
	unsigned char d[SHA1_LEN];
	char got[2 * SHA1_LEN + 1];
	struct sha1 ctx;
	size_t done = 0, step = 1;
	char *a;

	(void)state;
	a = malloc(1000000);
	assert_non_null(a);
	memset(a, 'a', 1000000);
	sha1_digest(a, 1000000, d);
	hex(d, got);
	assert_string_equal(got, want);
	sha1_init(&ctx);
	while (done < 1000000) {
		size_t n = step < 1000000 - done ? step : 1000000 - done;

		sha1_update(&ctx, a + done, n);
		done += n;
		step = step * 3 % 1021 + 1;
	}
	sha1_final(&ctx, d);
	hex(d, got);
	assert_string_equal(got, want);
	free(a);
}

/* Lengths around the padding boundary (55, 56, 63, 64, 65 bytes) agree
 * between one call and byte-by-byte updates, and differ from each other. */
static void
test_padding_edges(void **state)
{
	static const size_t lens[] = { 55, 56, 57, 63, 64, 65, 119, 120 };
	unsigned char d1[SHA1_LEN], d2[SHA1_LEN], prev[SHA1_LEN];
	char buf[128];
	struct sha1 ctx;
	size_t i, k;

	(void)state;
	memset(buf, 'x', sizeof buf);
	memset(prev, 0, sizeof prev);
	for (i = 0; i < sizeof lens / sizeof lens[0]; i++) {
		sha1_digest(buf, lens[i], d1);
		sha1_init(&ctx);
		for (k = 0; k < lens[i]; k++)
			sha1_update(&ctx, buf + k, 1);
		sha1_final(&ctx, d2);
		assert_memory_equal(d1, d2, SHA1_LEN);
		assert_memory_not_equal(d1, prev, SHA1_LEN);
		memcpy(prev, d1, SHA1_LEN);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_abc),
		cmocka_unit_test(test_empty),
		cmocka_unit_test(test_448_bits),
		cmocka_unit_test(test_896_bits),
		cmocka_unit_test(test_million_a),
		cmocka_unit_test(test_padding_edges),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
