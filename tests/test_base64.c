/* test_base64: the RFC 4648 test vectors, both ways, and strict decoding. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "base64.h"

/* RFC 4648, section 10. */
static const struct {
	const char	*raw;		/* the bytes */
	const char	*enc;		/* their base64 */
} vectors[] = {
	{ "", "" },
	{ "f", "Zg==" },
	{ "fo", "Zm8=" },
	{ "foo", "Zm9v" },
	{ "foob", "Zm9vYg==" },
	{ "fooba", "Zm9vYmE=" },
	{ "foobar", "Zm9vYmFy" },
};

static void
test_encode_vectors(void **state)
{
	char out[64];
	size_t i, n;

	(void)state;
	for (i = 0; i < sizeof vectors / sizeof vectors[0]; i++) {
		memset(out, '#', sizeof out);
		n = base64_encode(vectors[i].raw, strlen(vectors[i].raw), out);
		assert_int_equal(n, strlen(vectors[i].enc));
		assert_int_equal(n, BASE64_LEN(strlen(vectors[i].raw)));
		assert_string_equal(out, vectors[i].enc);
	}
}

static void
test_decode_vectors(void **state)
{
	unsigned char out[64];
	size_t i;
	long n;

	(void)state;
	for (i = 0; i < sizeof vectors / sizeof vectors[0]; i++) {
		n = base64_decode(vectors[i].enc, strlen(vectors[i].enc), out);
		assert_int_equal(n, (long)strlen(vectors[i].raw));
		assert_memory_equal(out, vectors[i].raw, (size_t)n);
	}
}

/* All 256 byte values, every length up to 40: decode(encode(x)) == x. */
static void
test_round_trip(void **state)
{
	unsigned char raw[256], back[256];
	char enc[BASE64_LEN(256) + 1];
	size_t i, len;

	(void)state;
	for (i = 0; i < sizeof raw; i++)
		raw[i] = (unsigned char)(255 - i);
	for (len = 0; len <= 40; len++) {
		size_t n = base64_encode(raw + len, len, enc);

		assert_int_equal(base64_decode(enc, n, back), (long)len);
		assert_memory_equal(back, raw + len, len);
	}
	base64_encode(raw, sizeof raw, enc);
	assert_int_equal(base64_decode(enc, strlen(enc), back), 256);
	assert_memory_equal(back, raw, sizeof raw);
}

/* The alphabet's last two characters are + and / (not URL-safe - _). */
static void
test_alphabet_ends(void **state)
{
	static const unsigned char raw[] = { 0xfb, 0xff, 0xbf };
	unsigned char back[3];
	char enc[8];

	(void)state;
	base64_encode(raw, 3, enc);
	assert_string_equal(enc, "+/+/");
	assert_int_equal(base64_decode("-_-_", 4, back), -1);
}

static void
test_decode_rejects(void **state)
{
	static const char *bad[] = {
		"Zg=",		/* length not a multiple of 4 */
		"Zg",		/* unpadded */
		"Z===",		/* three pads */
		"Zm=v",		/* pad in the middle of a group */
		"Zg==Zm9v",	/* pad before the end */
		"Zh==",		/* non-zero bits under the padding */
		"Zm9=",		/* same, one pad */
		"Zm9v\n",	/* whitespace */
		"Zm 9",		/* whitespace inside */
		"Zm9*",		/* not in the alphabet */
	};
	unsigned char out[16];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof bad / sizeof bad[0]; i++)
		assert_int_equal(base64_decode(bad[i], strlen(bad[i]), out), -1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_encode_vectors),
		cmocka_unit_test(test_decode_vectors),
		cmocka_unit_test(test_round_trip),
		cmocka_unit_test(test_alphabet_ends),
		cmocka_unit_test(test_decode_rejects),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
