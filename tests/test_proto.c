/* test_proto: the wire contract's rules: nicks, guest numbers, the port. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "proto.h"

static void
test_nick_valid(void **state)
{
	(void)state;
	assert_true(proto_nick_valid("a", 1));
	assert_true(proto_nick_valid("Z", 1));
	assert_true(proto_nick_valid("7", 1));
	assert_true(proto_nick_valid("-", 1));
	assert_true(proto_nick_valid("_", 1));
	assert_true(proto_nick_valid("a-b_C9", 6));
	assert_true(proto_nick_valid("abcdefghijklmnopqrst", 20));
	assert_true(proto_nick_valid("ABCDEFGHIJKLMNOPQRST", 20));
	assert_true(proto_nick_valid("01234567890123456789", 20));
	assert_false(proto_nick_valid("abcdefghijklmnopqrstu", 21));
	assert_false(proto_nick_valid("", 0));
	assert_false(proto_nick_valid("a b", 3));
	assert_false(proto_nick_valid(" ", 1));
	assert_false(proto_nick_valid("a\tb", 3));
	assert_false(proto_nick_valid("bob!", 4));
	assert_false(proto_nick_valid("b.b", 3));
	assert_false(proto_nick_valid("a/b", 3));
	assert_false(proto_nick_valid("a@b", 3));
	assert_false(proto_nick_valid("[x]", 3));
	assert_false(proto_nick_valid("`", 1));
	assert_false(proto_nick_valid("{", 1));
	/* Non-ASCII letters are not letters here. */
	assert_false(proto_nick_valid("b\xc3\xa9", 3));
	assert_false(proto_nick_valid("\xe4\xbd\xa0\xe5\xa5\xbd", 6));
	assert_false(proto_nick_valid("\xff", 1));
	/* Only len bytes count. */
	assert_true(proto_nick_valid("ab cd", 2));
	assert_false(proto_nick_valid("ab cd", 3));
}

static void
test_guest_number(void **state)
{
	(void)state;
	assert_int_equal(proto_guest_number("guest1", 10), 1);
	assert_int_equal(proto_guest_number("guest10", 10), 10);
	assert_int_equal(proto_guest_number("GUEST7", 10), 7);
	assert_int_equal(proto_guest_number("Guest123", 1000), 123);
	/* Above max: not counted, and a huge number cannot overflow. */
	assert_int_equal(proto_guest_number("guest11", 10), 0);
	assert_int_equal(proto_guest_number("guest99999999999999999999999",
	    SIZE_MAX / 10), 0);
	/* Not of the form guestN. */
	assert_int_equal(proto_guest_number("guest0", 10), 0);
	assert_int_equal(proto_guest_number("guest01", 10), 0);
	assert_int_equal(proto_guest_number("guest", 10), 0);
	assert_int_equal(proto_guest_number("guest1x", 10), 0);
	assert_int_equal(proto_guest_number("guest-1", 10), 0);
	assert_int_equal(proto_guest_number("xguest1", 10), 0);
	assert_int_equal(proto_guest_number("gues1", 10), 0);
	assert_int_equal(proto_guest_number("", 10), 0);
}

static void
test_constants(void **state)
{
	(void)state;
	/* The numbers and the text built from them agree. */
	assert_int_equal(PROTO_PORT, 12580);
	assert_string_equal(PROTO_PORT_STR, "12580");
	assert_int_equal(PROTO_NICK_MAX, 20);
	assert_string_equal(PROTO_NICK_RULE, "1-20 letters, digits, _ or -");
	assert_string_equal(PROTO_GUEST, "guest");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_nick_valid),
		cmocka_unit_test(test_guest_number),
		cmocka_unit_test(test_constants),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
