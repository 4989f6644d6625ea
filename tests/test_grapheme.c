/* test_grapheme: cluster boundaries against Unicode's own test file. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <setjmp.h>
#include <cmocka.h>

#include "editor.h"
#include "grapheme.h"

/* Append code point cp to s as UTF-8 (surrogates too, as the test has). */
static size_t
put_utf8(char *s, uint32_t cp)
{
	unsigned char *p = (unsigned char *)s;

	if (cp < 0x80) {
		p[0] = (unsigned char)cp;
		return 1;
	}
	if (cp < 0x800) {
		p[0] = (unsigned char)(0xc0 | cp >> 6);
		p[1] = (unsigned char)(0x80 | (cp & 0x3f));
		return 2;
	}
	if (cp < 0x10000) {
		p[0] = (unsigned char)(0xe0 | cp >> 12);
		p[1] = (unsigned char)(0x80 | (cp >> 6 & 0x3f));
		p[2] = (unsigned char)(0x80 | (cp & 0x3f));
		return 3;
	}
	p[0] = (unsigned char)(0xf0 | cp >> 18);
	p[1] = (unsigned char)(0x80 | (cp >> 12 & 0x3f));
	p[2] = (unsigned char)(0x80 | (cp >> 6 & 0x3f));
	p[3] = (unsigned char)(0x80 | (cp & 0x3f));
	return 4;
}

/*
 * Every case of GraphemeBreakTest.txt: "÷ 0020 × 0308 ÷" and so on. The
 * boundaries grapheme_next() and grapheme_prev() find must be the ÷.
 */
static void
test_unicode_cases(void **state)
{
	const char *dir = getenv("UNICODE_DATA");
	char path[512], line[2048], text[512], *p, *end;
	size_t want[128], nwant, n, i, k, cases = 0, bad = 0;
	FILE *f;

	(void)state;
	assert_non_null(dir);
	snprintf(path, sizeof path, "%s/auxiliary/GraphemeBreakTest.txt", dir);
	f = fopen(path, "r");
	if (f == NULL) {
		/* The build needs no Unicode data; this check does. */
		print_message("cannot open %s (install unicode-data): "
		    "skipped\n", path);
		skip();
	}
	while (fgets(line, sizeof line, f) != NULL) {
		if ((p = strchr(line, '#')) != NULL)
			*p = '\0';
		n = nwant = 0;
		for (p = strtok(line, " \t\n"); p != NULL;
		    p = strtok(NULL, " \t\n")) {
			if (strcmp(p, "\xc3\xb7") == 0) {	/* ÷ */
				if (n > 0)
					want[nwant++] = n;
			} else if (strcmp(p, "\xc3\x97") != 0)	/* not × */
				n += put_utf8(text + n,
				    (uint32_t)strtoul(p, &end, 16));
		}
		if (n == 0)
			continue;
		cases++;
		/* Forward: each boundary in turn. */
		for (i = 0, k = 0; i < n && k < nwant; k++) {
			i = grapheme_next(text, n, i);
			if (i != want[k])
				break;
		}
		if (k != nwant || i != n) {
			bad++;
			continue;
		}
		/* Backward from each boundary to the one before. */
		for (k = nwant; k-- > 0;)
			if (grapheme_prev(text, want[k]) != (k ? want[k - 1] : 0))
				break;
		if (k != (size_t)-1)
			bad++;
	}
	fclose(f);
	printf("%zu cases, %zu wrong\n", cases, bad);
	assert_true(cases > 500);
	assert_int_equal(bad, 0);
}

/* A few clusters by name, and their widths in the editor. */
static void
test_clusters_and_widths(void **state)
{
	static const struct {
		const char	*text;	/* one cluster */
		size_t		 width;	/* its columns */
	} rows[] = {
		{ "e\xcc\x81", 1 },				/* e + acute */
		{ "\xf0\x9f\x91\xa8\xe2\x80\x8d\xf0\x9f\x91\xa9\xe2\x80\x8d"
		    "\xf0\x9f\x91\xa7", 2 },			/* family, ZWJ */
		{ "\xf0\x9f\x87\xab\xf0\x9f\x87\xb7", 2 },	/* flag FR */
		{ "\xe2\x9d\xa4\xef\xb8\x8f", 2 },		/* heart, VS16 */
		{ "\xf0\x9f\x91\x8d\xf0\x9f\x8f\xbd", 2 },	/* thumb, tone */
		{ "\xe1\x84\x92\xe1\x85\xa1\xe1\x86\xab", 2 },	/* jamo 한 */
		{ "\xe4\xbd\xa0", 2 },				/* 你 */
	};
	size_t i, n;

	(void)state;
	for (i = 0; i < sizeof rows / sizeof rows[0]; i++) {
		n = strlen(rows[i].text);
		assert_int_equal(grapheme_next(rows[i].text, n, 0), n);
		assert_int_equal(grapheme_prev(rows[i].text, n), 0);
		assert_int_equal(editor_width(rows[i].text, n), rows[i].width);
	}
	/* Two flags are two clusters. */
	assert_int_equal(grapheme_next("\xf0\x9f\x87\xab\xf0\x9f\x87\xb7"
	    "\xf0\x9f\x87\xa9\xf0\x9f\x87\xaa", 16, 0), 8);
}

/* The editor moves and deletes a ZWJ family as one character. */
static void
test_editor_by_cluster(void **state)
{
	static const char family[] = "\xf0\x9f\x91\xa8\xe2\x80\x8d"
	    "\xf0\x9f\x91\xa9\xe2\x80\x8d\xf0\x9f\x91\xa7";
	struct editor *e = malloc(sizeof *e);
	struct buf b = BUF_INIT;
	unsigned col;

	(void)state;
	assert_non_null(e);
	editor_init(e);
	assert_int_equal(editor_insert(e, "a", 1), 0);
	assert_int_equal(editor_insert(e, family, sizeof family - 1), 0);
	assert_int_equal(editor_insert(e, "b", 1), 0);
	assert_int_equal(editor_render(e, "> ", 80, &b, &col), 0);
	assert_int_equal(col, 2 + 1 + 2 + 1);
	editor_left(e);
	editor_left(e);
	assert_int_equal(e->pos, 1);
	editor_delete(e);
	assert_string_equal(e->buf, "ab");
	editor_end(e);
	assert_int_equal(editor_insert(e, family, sizeof family - 1), 0);
	editor_backspace(e);
	assert_string_equal(e->buf, "ab");
	buf_free(&b);
	editor_free(e);
	free(e);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_unicode_cases),
		cmocka_unit_test(test_clusters_and_widths),
		cmocka_unit_test(test_editor_by_cluster),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
