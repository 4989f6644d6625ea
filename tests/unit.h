/* unit: assertions for unit-test helpers that name the caller's line. */
#ifndef LOBBY_UNIT_H
#define LOBBY_UNIT_H

#include <inttypes.h>
#include <stdint.h>
#include <string.h>

/*
 * A helper that asserts on the test's behalf takes the test's file and
 * line (its public name is a macro passing __FILE__ and __LINE__), and
 * checks with these, so that a failure names the test's line, not the
 * helper's. Each prints what differed, then fails there. Include after
 * <cmocka.h>.
 */

/* cond must hold. */
#define u_true(cond, file, line) do {					\
	if (!(cond)) {							\
		print_error("%s:%d: %s is false\n", (file), (line),	\
		    #cond);						\
		_fail((file), (line));					\
	}								\
} while (0)

/* Two integers must be equal. */
#define u_int_eq(a, b, file, line) do {					\
	uintmax_t u_a_ = (uintmax_t)(a), u_b_ = (uintmax_t)(b);		\
									\
	if (u_a_ != u_b_) {						\
		print_error("%s:%d: %s is %" PRIuMAX ", wanted %"	\
		    PRIuMAX "\n", (file), (line), #a, u_a_, u_b_);	\
		_fail((file), (line));					\
	}								\
} while (0)

/* n bytes at got must equal those at want (shown as text). */
#define u_mem_eq(got, want, n, file, line) do {				\
	if (memcmp((got), (want), (n)) != 0) {				\
		print_error("%s:%d: got \"%.*s\", wanted \"%.*s\"\n",	\
		    (file), (line), (int)(n), (const char *)(got),	\
		    (int)(n), (const char *)(want));			\
		_fail((file), (line));					\
	}								\
} while (0)

/* Two strings must be equal. */
#define u_str_eq(got, want, file, line) do {				\
	if (strcmp((got), (want)) != 0) {				\
		print_error("%s:%d: got \"%s\", wanted \"%s\"\n",	\
		    (file), (line), (got), (want));			\
		_fail((file), (line));					\
	}								\
} while (0)

#endif /* LOBBY_UNIT_H */
