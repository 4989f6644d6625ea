/* test_cmdline: chat, "//text" and "/name args", as server and client split them. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "cmdline.h"

/* Split the C string s. */
static void
split(const char *s, struct cmdline *cl)
{
	cmdline_split(s, strlen(s), cl);
}

/* Whether p[0..n) is the C string want. */
static void
assert_span(const char *p, size_t n, const char *want)
{
	assert_int_equal(n, strlen(want));
	assert_memory_equal(p, want, n);
}

/* Chat: plain text, the empty line, and "//" which drops one slash. */
static void
test_chat(void **state)
{
	struct cmdline cl;

	(void)state;
	split("hello /who", &cl);
	assert_int_equal(cl.kind, CMDLINE_CHAT);
	assert_span(cl.rest, cl.rlen, "hello /who");
	split("", &cl);
	assert_int_equal(cl.kind, CMDLINE_CHAT);
	assert_int_equal(cl.rlen, 0);
	split("//who", &cl);
	assert_int_equal(cl.kind, CMDLINE_CHAT);
	assert_span(cl.rest, cl.rlen, "/who");
	split("//", &cl);
	assert_int_equal(cl.kind, CMDLINE_CHAT);
	assert_span(cl.rest, cl.rlen, "/");
	split(" /who", &cl);
	assert_int_equal(cl.kind, CMDLINE_CHAT);
	assert_false(cmdline_is(&cl, "who"));
}

/* Commands: the word touching the slash, any case; the rest as sent. */
static void
test_command(void **state)
{
	struct cmdline cl;

	(void)state;
	split("/msg  bob \thi  there ", &cl);
	assert_int_equal(cl.kind, CMDLINE_COMMAND);
	assert_span(cl.name, cl.nlen, "msg");
	assert_span(cl.rest, cl.rlen, "bob \thi  there ");
	assert_true(cmdline_is(&cl, "msg"));
	assert_true(cmdline_is(&cl, "MSG"));
	assert_false(cmdline_is(&cl, "ms"));
	assert_false(cmdline_is(&cl, "msgs"));
	split("/WHO", &cl);
	assert_true(cmdline_is(&cl, "who"));
	assert_int_equal(cl.rlen, 0);
	split("/quit\t", &cl);
	assert_true(cmdline_is(&cl, "quit"));
	assert_int_equal(cl.rlen, 0);
	/* "/" alone and "/ who" name no command. */
	split("/", &cl);
	assert_int_equal(cl.kind, CMDLINE_COMMAND);
	assert_int_equal(cl.nlen, 0);
	split("/ who", &cl);
	assert_int_equal(cl.kind, CMDLINE_COMMAND);
	assert_int_equal(cl.nlen, 0);
	assert_false(cmdline_is(&cl, "who"));
	assert_false(cmdline_is(&cl, ""));
	/* Only blanks end the word: "/me's" is the command "me's". */
	split("/me's", &cl);
	assert_span(cl.name, cl.nlen, "me's");
	assert_false(cmdline_is(&cl, "me"));
}

/* Words of the arguments, as /nick and /msg take them. */
static void
test_word(void **state)
{
	const char *s = " \tbob  hi there", *w, *rest;
	size_t wlen, rlen;

	(void)state;
	w = cmdline_word(s, strlen(s), &wlen, &rest, &rlen);
	assert_span(w, wlen, "bob");
	assert_span(rest, rlen, "hi there");
	w = cmdline_word(rest, rlen, &wlen, &rest, &rlen);
	assert_span(w, wlen, "hi");
	assert_span(rest, rlen, "there");
	w = cmdline_word("  ", 2, &wlen, &rest, &rlen);
	assert_int_equal(wlen, 0);
	assert_int_equal(rlen, 0);
	w = cmdline_word("", 0, &wlen, &rest, &rlen);
	assert_int_equal(wlen, 0);
	assert_int_equal(rlen, 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_chat),
		cmocka_unit_test(test_command),
		cmocka_unit_test(test_word),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
