/* test_text: telnet stripping, UTF-8 repair and control removal. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "text.h"
#include "unit.h"

#define FFFD	"\xef\xbf\xbd"

/* Clean n bytes of in and check the result is exactly want. */
#define check_clean_n(in, n, want, wantlen) \
	check_clean_n_at((in), (n), (want), (wantlen), __FILE__, __LINE__)

/* check_clean_n(), failing at file:line. */
static void
check_clean_n_at(const char *in, size_t n, const char *want, size_t wantlen,
    const char *file, int line)
{
	char *out = malloc(TEXT_CLEAN_MAX(n) + 1);
	size_t got;

	assert_non_null(out);
	got = text_clean(in, n, out);
	u_true(got <= TEXT_CLEAN_MAX(n), file, line);
	if (got != wantlen || memcmp(out, want, wantlen) != 0) {
		print_error("%s:%d: cleaned to \"%.*s\" (%zu bytes), wanted "
		    "\"%.*s\" (%zu)\n", file, line, (int)got, out, got,
		    (int)wantlen, want, wantlen);
		free(out);
		_fail(file, line);
	}
	free(out);
}

#define CLEAN(in, want) \
	check_clean_n((in), sizeof(in) - 1, (want), sizeof(want) - 1)

/* ---------------------------------------------------------------- clean */

/* The plain prefix: what text_clean() would copy as it is. */
static void
test_plain_span(void **state)
{
	char in[64], out[TEXT_CLEAN_MAX(64)];
	size_t i, k;

	(void)state;
	assert_int_equal(text_plain_span("hello world\n", 12), 11);
	assert_int_equal(text_plain_span("", 0), 0);
	assert_int_equal(text_plain_span("0123456789abcdef", 16), 16);
	assert_int_equal(text_plain_span("0123456789\tbcdef", 16), 10);
	assert_int_equal(text_plain_span("caf\xc3\xa9", 5), 3);
	assert_int_equal(text_plain_span("abcdefg\x7f", 8), 7);
	assert_int_equal(text_plain_span("abcdefgh\r\n", 10), 8);
	/* Every byte value at every place of a word and after it. */
	for (i = 0; i < 20; i++) {
		for (k = 0; k < 256; k++) {
			memset(in, 'a', sizeof in);
			in[i] = (char)k;
			assert_int_equal(text_plain_span(in, 24),
			    k >= 0x20 && k < 0x7f ? 24 : i);
			/* Plain: text_clean() leaves it as it is. */
			if (k >= 0x20 && k < 0x7f) {
				assert_int_equal(text_clean(in, 24, out), 24);
				assert_memory_equal(out, in, 24);
			}
		}
	}
}

static void
test_clean_ascii(void **state)
{
	(void)state;
	CLEAN("", "");
	CLEAN("hello", "hello");
	CLEAN("hello, world: a longer line of plain ASCII text!",
	    "hello, world: a longer line of plain ASCII text!");
	CLEAN(" ~!", " ~!");
}

static void
test_clean_c0_del(void **state)
{
	(void)state;
	CLEAN("\x1b[31mred\x1b[0m", "[31mred[0m");
	CLEAN("ding\a", "ding");
	CLEAN("ab\bc", "abc");
	CLEAN("a\rb", "ab");
	CLEAN("a\nb", "ab");
	CLEAN("x\x7fy", "xy");
	CLEAN("\x01\x02\x03\x1f", "");
	/* TAB stays. */
	CLEAN("a\tb", "a\tb");
	check_clean_n("a\0b", 3, "ab", 2);
	/* Controls hidden at every place of a word-sized run. */
	CLEAN("0123456\x1b" "89abcdef", "012345689abcdef");
	CLEAN("\x7f" "1234567" "89abcdef\x7f", "123456789abcdef");
	CLEAN("1234\t678" "abcdefgh", "1234\t678abcdefgh");
	CLEAN("\x1f\x1f\x1f\x1f\x1f\x1f\x1f\x1f", "");
	CLEAN("        ", "        ");
}

static void
test_clean_c1(void **state)
{
	(void)state;
	/* U+0080, U+0085 (NEL), U+009B (CSI), U+009F: dropped. */
	CLEAN("a\xc2\x80" "b", "ab");
	CLEAN("a\xc2\x85" "b", "ab");
	CLEAN("\xc2\x9b" "31m", "31m");
	CLEAN("\xc2\x9f", "");
	/* U+00A0 and U+00E9 stay. */
	CLEAN("a\xc2\xa0" "b", "a\xc2\xa0" "b");
	CLEAN("caf\xc3\xa9", "caf\xc3\xa9");
}

/* Bidirectional controls and line separators (SPEC "Text hygiene"). */
static void
test_clean_bidi(void **state)
{
	(void)state;
	/* U+202A LRE, U+202B RLE, U+202C PDF, U+202D LRO, U+202E RLO. */
	CLEAN("a\xe2\x80\xaa" "b", "ab");
	CLEAN("a\xe2\x80\xab" "b", "ab");
	CLEAN("a\xe2\x80\xac" "b", "ab");
	CLEAN("a\xe2\x80\xad" "b", "ab");
	CLEAN("access\xe2\x80\xae" "nimda", "accessnimda");
	/* U+2066 LRI, U+2067 RLI, U+2068 FSI, U+2069 PDI. */
	CLEAN("\xe2\x81\xa6" "x" "\xe2\x81\xa7" "y" "\xe2\x81\xa8"
	    "z" "\xe2\x81\xa9", "xyz");
	/* U+2028 LINE SEPARATOR, U+2029 PARAGRAPH SEPARATOR. */
	CLEAN("line\xe2\x80\xa8" "two\xe2\x80\xa9" "three",
	    "linetwothree");
	/* Their neighbours stay: U+2027, U+202F, U+2065, U+206A, U+200F. */
	CLEAN("\xe2\x80\xa7", "\xe2\x80\xa7");
	CLEAN("\xe2\x80\xaf", "\xe2\x80\xaf");
	CLEAN("\xe2\x81\xa5", "\xe2\x81\xa5");
	CLEAN("\xe2\x81\xaa", "\xe2\x81\xaa");
	CLEAN("\xe2\x80\x8f", "\xe2\x80\x8f");
	/* Only the well-formed sequence goes: a cut one is U+FFFD. */
	CLEAN("\xe2\x80" "a", FFFD "a");
	/* After a word-sized ASCII run, and several in a row. */
	CLEAN("01234567\xe2\x80\xae\xe2\x80\xae" "89", "0123456789");
}

static void
test_clean_valid_multibyte(void **state)
{
	(void)state;
	/* Chinese, emoji, the edges of each length. */
	CLEAN("\xe4\xbd\xa0\xe5\xa5\xbd\xef\xbc\x8c\xe4\xb8\x96\xe7\x95\x8c",
	    "\xe4\xbd\xa0\xe5\xa5\xbd\xef\xbc\x8c\xe4\xb8\x96\xe7\x95\x8c");
	CLEAN("hi \xf0\x9f\x98\x80 \xf0\x9f\x91\x8d\xf0\x9f\x8f\xbd",
	    "hi \xf0\x9f\x98\x80 \xf0\x9f\x91\x8d\xf0\x9f\x8f\xbd");
	CLEAN("\xdf\xbf", "\xdf\xbf");			/* U+07FF */
	CLEAN("\xe0\xa0\x80", "\xe0\xa0\x80");		/* U+0800 */
	CLEAN("\xed\x9f\xbf", "\xed\x9f\xbf");		/* U+D7FF */
	CLEAN("\xee\x80\x80", "\xee\x80\x80");		/* U+E000 */
	CLEAN("\xef\xbf\xbf", "\xef\xbf\xbf");		/* U+FFFF */
	CLEAN("\xf0\x90\x80\x80", "\xf0\x90\x80\x80");	/* U+10000 */
	CLEAN("\xf4\x8f\xbf\xbf", "\xf4\x8f\xbf\xbf");	/* U+10FFFF */
	CLEAN(FFFD, FFFD);
}

static void
test_clean_maximal_subpart(void **state)
{
	(void)state;
	/* C0 and C1 never start anything: one U+FFFD each. */
	CLEAN("\xc0\xaf", FFFD FFFD);
	CLEAN("\xc1\xbf", FFFD FFFD);
	/* A sequence cut short by ASCII: one U+FFFD, the ASCII kept. */
	CLEAN("\xe4\xbd" "a", FFFD "a");
	CLEAN("\xe4" "a", FFFD "a");
	CLEAN("\xf0\x9f\x98" "x", FFFD "x");
	CLEAN("\xc3" "x", FFFD "x");
	/* Cut short by another lead byte. */
	CLEAN("\xe4\xbd\xe4\xbd\xa0", FFFD "\xe4\xbd\xa0");
	CLEAN("\xf0\x9f\xc3\xa9", FFFD "\xc3\xa9");
	/* The Unicode chapter 3 example: 61 F1 80 80 E1 80 C2 62 80 63 80 BF 64. */
	CLEAN("a\xf1\x80\x80\xe1\x80\xc2" "b\x80" "c\x80\xbf" "d",
	    "a" FFFD FFFD FFFD "b" FFFD "c" FFFD FFFD "d");
}

static void
test_clean_overlong(void **state)
{
	(void)state;
	/* Two-byte overlongs: the lead byte is C0 or C1. */
	CLEAN("\xc0\x80", FFFD FFFD);
	CLEAN("\xc1\x81", FFFD FFFD);
	/* Three-byte: E0 80..9F is never a valid second byte. */
	CLEAN("\xe0\x80\x80", FFFD FFFD FFFD);
	CLEAN("\xe0\x9f\xbf", FFFD FFFD FFFD);
	CLEAN("\xe0\x80" "a", FFFD FFFD "a");
	/* Four-byte: F0 80..8F. */
	CLEAN("\xf0\x80\x80\x80", FFFD FFFD FFFD FFFD);
	CLEAN("\xf0\x8f\xbf\xbf", FFFD FFFD FFFD FFFD);
}

static void
test_clean_surrogates(void **state)
{
	(void)state;
	CLEAN("\xed\xa0\x80", FFFD FFFD FFFD);		/* U+D800 */
	CLEAN("\xed\xbf\xbf", FFFD FFFD FFFD);		/* U+DFFF */
	/* A CESU-8 pair. */
	CLEAN("\xed\xa0\xbd\xed\xb8\x80", FFFD FFFD FFFD FFFD FFFD FFFD);
}

static void
test_clean_beyond_max(void **state)
{
	(void)state;
	CLEAN("\xf4\x90\x80\x80", FFFD FFFD FFFD FFFD);
	CLEAN("\xf4\xbf\xbf\xbf", FFFD FFFD FFFD FFFD);
	CLEAN("\xf5\x80\x80\x80", FFFD FFFD FFFD FFFD);
	CLEAN("\xf7\xbf\xbf\xbf", FFFD FFFD FFFD FFFD);
	/* Old five- and six-byte forms. */
	CLEAN("\xf8\x88\x80\x80\x80", FFFD FFFD FFFD FFFD FFFD);
	CLEAN("\xfc\x84\x80\x80\x80\x80", FFFD FFFD FFFD FFFD FFFD FFFD);
}

static void
test_clean_f5_ff(void **state)
{
	char in[1], want[] = FFFD;
	int c;

	(void)state;
	for (c = 0xf5; c <= 0xff; c++) {
		in[0] = (char)c;
		check_clean_n(in, 1, want, 3);
	}
}

static void
test_clean_lone_continuation(void **state)
{
	char in[1], want[] = FFFD;
	int c;

	(void)state;
	for (c = 0x80; c <= 0xbf; c++) {
		in[0] = (char)c;
		check_clean_n(in, 1, want, 3);
	}
	CLEAN("\x80\x80\x80", FFFD FFFD FFFD);
	CLEAN("a\xbf" "b", "a" FFFD "b");
	/* One too many after a whole character. */
	CLEAN("\xc3\xa9\xa9", "\xc3\xa9" FFFD);
}

static void
test_clean_truncated_at_end(void **state)
{
	(void)state;
	CLEAN("ab\xc3", "ab" FFFD);
	CLEAN("ab\xe4", "ab" FFFD);
	CLEAN("ab\xe4\xbd", "ab" FFFD);
	CLEAN("ab\xf0", "ab" FFFD);
	CLEAN("ab\xf0\x9f", "ab" FFFD);
	CLEAN("ab\xf0\x9f\x98", "ab" FFFD);
	CLEAN("\xf4\x8f\xbf", FFFD);
	/* A truncated overlong start is still two subparts. */
	CLEAN("\xe0\x80", FFFD FFFD);
}

static void
test_clean_worst_case_size(void **state)
{
	char in[64], out[TEXT_CLEAN_MAX(64)];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof in; i++)
		in[i] = (char)0xff;
	assert_int_equal(text_clean(in, sizeof in, out), sizeof out);
	for (i = 0; i < sizeof out; i += 3)
		assert_memory_equal(out + i, FFFD, 3);
}

/*
 * The shortest line a clean text could come from: each U+FFFD may have
 * been one byte, everything else was there as it is; never longer than a
 * line that did give it, and exactly that line's length for one made of
 * ill-formed bytes and plain text.
 */
static void
test_clean_source_min(void **state)
{
	static const char *const lines[] = {
		"plain", "\x80", "caf\xc3\xa9 \xff\xfe x", "\xed\xa0\x80",
		"\xf0\x9f\x98", "a\x1b[0mb\xe2\x80\xae\xef\xbf\xbd",
		"\xef\xbf", "\xef\xbf\xbd\xef\xbf\xbd",
	};
	char in[600], out[TEXT_CLEAN_MAX(600)];
	size_t i, n;

	(void)state;
	assert_int_equal(text_clean_source_min("", 0), 0);
	assert_int_equal(text_clean_source_min("hello", 5), 5);
	assert_int_equal(text_clean_source_min(FFFD, 3), 1);
	assert_int_equal(text_clean_source_min("a" FFFD "b" FFFD, 8), 4);
	/* Other characters that start with 0xef count as they are. */
	assert_int_equal(text_clean_source_min("\xef\xbc\x81", 3), 3);
	assert_int_equal(text_clean_source_min("\xef\xbf\xbe" FFFD, 6), 4);
	for (i = 0; i < sizeof lines / sizeof lines[0]; i++) {
		n = text_clean(lines[i], strlen(lines[i]), out);
		assert_true(text_clean_source_min(out, n) <= strlen(lines[i]));
	}
	/* 600 ill-formed bytes: 1,800 bytes clean, 600 before. */
	memset(in, 0x80, sizeof in);
	n = text_clean(in, sizeof in, out);
	assert_int_equal(n, 1800);
	assert_int_equal(text_clean_source_min(out, n), 600);
}

/* A long mixed line takes the word path and the byte path in turn. */
static void
test_clean_long_mixed(void **state)
{
	char in[4096], want[4096], out[TEXT_CLEAN_MAX(4096)];
	size_t n = 0, w = 0, k;

	(void)state;
	for (k = 0; k < 200; k++) {
		memcpy(in + n, "plain ascii ", 12);
		memcpy(want + w, "plain ascii ", 12);
		n += 12;
		w += 12;
		memcpy(in + n, "\xe4\xbd\xa0\x1b[0m", 7);
		memcpy(want + w, "\xe4\xbd\xa0[0m", 6);
		n += 7;
		w += 6;
	}
	assert_int_equal(text_clean(in, n, out), w);
	assert_memory_equal(out, want, w);
}

/* ---------------------------------------------------------------- blank */

static void
test_is_blank(void **state)
{
	(void)state;
	assert_true(text_is_blank("", 0));
	assert_true(text_is_blank(NULL, 0));
	assert_true(text_is_blank(" ", 1));
	assert_true(text_is_blank(" \t  \t", 5));
	assert_false(text_is_blank("a", 1));
	assert_false(text_is_blank("  .", 3));
	assert_false(text_is_blank(" \xc2\xa0", 3));
	assert_false(text_is_blank("\t\n", 2));
}

/* --------------------------------------------------------------- telnet */

/* Strip in[0..n) in one call and check against want. */
#define check_strip(in, n, want, wantlen) \
	check_strip_at((in), (n), (want), (wantlen), __FILE__, __LINE__)

/* check_strip(), failing at file:line. */
static void
check_strip_at(const char *in, size_t n, const char *want, size_t wantlen,
    const char *file, int line)
{
	struct telnet t = TELNET_INIT;
	char buf[256];
	size_t got;

	assert_true(n <= sizeof buf);
	memcpy(buf, in, n);
	got = telnet_strip(&t, buf, n);
	u_int_eq(got, wantlen, file, line);
	u_mem_eq(buf, want, wantlen, file, line);
}

/*
 * Strip in[0..n) in every possible split into two calls, and for n small
 * enough, as n one-byte calls too, and check each gives want.
 */
#define check_strip_splits(in, n, want, wantlen) \
	check_strip_splits_at((in), (n), (want), (wantlen), __FILE__, __LINE__)

/* check_strip_splits(), failing at file:line. */
static void
check_strip_splits_at(const char *in, size_t n, const char *want,
    size_t wantlen, const char *file, int line)
{
	char buf[256], out[256];
	size_t cut, got, o, i;

	assert_true(n <= sizeof buf);
	check_strip_at(in, n, want, wantlen, file, line);
	for (cut = 0; cut <= n; cut++) {
		struct telnet t = TELNET_INIT;

		memcpy(buf, in, n);
		o = telnet_strip(&t, buf, cut);
		memmove(out, buf, o);
		got = telnet_strip(&t, buf + cut, n - cut);
		memcpy(out + o, buf + cut, got);
		u_int_eq(o + got, wantlen, file, line);
		u_mem_eq(out, want, wantlen, file, line);
	}
	{
		struct telnet t = TELNET_INIT;

		memcpy(buf, in, n);
		for (i = o = 0; i < n; i++)
			if (telnet_strip(&t, buf + i, 1) == 1)
				out[o++] = buf[i];
		u_int_eq(o, wantlen, file, line);
		u_mem_eq(out, want, wantlen, file, line);
	}
}

#define STRIP(in, want) \
	check_strip_splits((in), sizeof(in) - 1, (want), sizeof(want) - 1)

static void
test_telnet_plain(void **state)
{
	(void)state;
	STRIP("", "");
	STRIP("hello\r\n", "hello\r\n");
	STRIP("caf\xc3\xa9 \xfe\xfd", "caf\xc3\xa9 \xfe\xfd");
}

static void
test_telnet_iac_iac(void **state)
{
	(void)state;
	STRIP("a\xff\xff" "b", "a\xff" "b");
	STRIP("\xff\xff\xff\xff", "\xff\xff");
	STRIP("\xff\xff\xff\xfb\x01x", "\xff" "x");
}

static void
test_telnet_options(void **state)
{
	(void)state;
	STRIP("a\xff\xfb\x01" "b", "ab");	/* WILL ECHO */
	STRIP("a\xff\xfc\x03" "b", "ab");	/* WONT SGA */
	STRIP("a\xff\xfd\x22" "b", "ab");	/* DO LINEMODE */
	STRIP("a\xff\xfe\x1f" "b", "ab");	/* DONT NAWS */
	/* The option byte may be anything, IAC and LF included. */
	STRIP("a\xff\xfd\xff" "b", "ab");
	STRIP("a\xff\xfd\n" "b", "ab");
	/* A telnet client's usual opening. */
	STRIP("\xff\xfd\x03\xff\xfb\x18\xff\xfb\x1f" "hi\r\n", "hi\r\n");
}

static void
test_telnet_subnegotiation(void **state)
{
	(void)state;
	/* NAWS: IAC SB NAWS 0 80 0 24 IAC SE. */
	STRIP("a\xff\xfa\x1f\x00\x50\x00\x18\xff\xf0" "b", "ab");
	/* Data and newlines inside SB are not text. */
	STRIP("\xff\xfa\x18" "xterm\r\n\xff\xf0" "ok", "ok");
	/* IAC IAC inside SB does not end it; the SE after it does. */
	STRIP("a\xff\xfa\x1f\xff\xff\xf0" "x\xff\xf0" "b", "ab");
	/* Nor does another IAC command inside SB. */
	STRIP("a\xff\xfa\x01\xff\xfb\xf0\xff\xf0" "b", "ab");
	/* SE alone outside SB is data. */
	STRIP("a\xf0" "b", "a\xf0" "b");
	/* Unterminated SB swallows the rest. */
	STRIP("a\xff\xfa\x01" "bcd", "a");
}

static void
test_telnet_other_commands(void **state)
{
	(void)state;
	/* NOP, DM, BRK, IP, AO, AYT, EC, EL, GA, SE: IAC x removed. */
	STRIP("a\xff\xf1" "b", "ab");
	STRIP("a\xff\xf2" "b", "ab");
	STRIP("a\xff\xf3" "b", "ab");
	STRIP("a\xff\xf4" "b", "ab");
	STRIP("a\xff\xf5" "b", "ab");
	STRIP("a\xff\xf6" "b", "ab");
	STRIP("a\xff\xf7" "b", "ab");
	STRIP("a\xff\xf8" "b", "ab");
	STRIP("a\xff\xf9" "b", "ab");
	STRIP("a\xff\xf0" "b", "ab");
	/* Non-command bytes after IAC go too. */
	STRIP("a\xff" "xb", "ab");
	STRIP("a\xff\n" "b", "ab");
}

static void
test_telnet_mixed(void **state)
{
	(void)state;
	STRIP("\xff\xfb\x01one\xff\xff\xff\xfa\x1f\xff\xff\xff\xf0two"
	    "\xff\xf1three\xff\xfd",
	    "one\xfftwothree");
}

/* The state carries over: a call ending inside a sequence resumes it. */
static void
test_telnet_state_across_calls(void **state)
{
	struct telnet t = TELNET_INIT;
	char a[] = "x\xff", b[] = "\xfb", c[] = "\x01y";

	(void)state;
	assert_int_equal(telnet_strip(&t, a, 2), 1);
	assert_int_equal(a[0], 'x');
	assert_int_equal(telnet_strip(&t, b, 1), 0);
	assert_int_equal(telnet_strip(&t, c, 2), 1);
	assert_int_equal(c[0], 'y');
	assert_int_equal(telnet_strip(&t, NULL, 0), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_plain_span),
		cmocka_unit_test(test_clean_ascii),
		cmocka_unit_test(test_clean_c0_del),
		cmocka_unit_test(test_clean_c1),
		cmocka_unit_test(test_clean_bidi),
		cmocka_unit_test(test_clean_valid_multibyte),
		cmocka_unit_test(test_clean_maximal_subpart),
		cmocka_unit_test(test_clean_overlong),
		cmocka_unit_test(test_clean_surrogates),
		cmocka_unit_test(test_clean_beyond_max),
		cmocka_unit_test(test_clean_f5_ff),
		cmocka_unit_test(test_clean_lone_continuation),
		cmocka_unit_test(test_clean_truncated_at_end),
		cmocka_unit_test(test_clean_worst_case_size),
		cmocka_unit_test(test_clean_long_mixed),
		cmocka_unit_test(test_clean_source_min),
		cmocka_unit_test(test_is_blank),
		cmocka_unit_test(test_telnet_plain),
		cmocka_unit_test(test_telnet_iac_iac),
		cmocka_unit_test(test_telnet_options),
		cmocka_unit_test(test_telnet_subnegotiation),
		cmocka_unit_test(test_telnet_other_commands),
		cmocka_unit_test(test_telnet_mixed),
		cmocka_unit_test(test_telnet_state_across_calls),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
