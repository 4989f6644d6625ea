/* test_roster: who the client thinks is in the room, from server lines. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <setjmp.h>
#include <cmocka.h>

#include "roster.h"
#include "unit.h"

/* Feed one line. */
#define feed(r, text)	feed_at((r), (text), __FILE__, __LINE__)

/* feed(), failing at file:line. */
static void
feed_at(struct roster *r, const char *text, const char *file, int line)
{
	u_int_eq(roster_update(r, text, strlen(text)), 0, file, line);
}

/* The roster, names joined by blanks, must read want. */
#define assert_names(r, want)	assert_names_at((r), (want), __FILE__, __LINE__)

/* assert_names(), failing at file:line. */
static void
assert_names_at(const struct roster *r, const char *want, const char *file,
    int line)
{
	char got[512] = "";
	size_t i;

	for (i = 0; i < r->n; i++) {
		if (i > 0)
			strcat(got, " ");
		strcat(got, r->names[i]);
	}
	u_str_eq(got, want, file, line);
}

static void
test_notices(void **state)
{
	struct roster r;

	(void)state;
	roster_init(&r);
	feed(&r, "*** welcome to lobby, you are guest3 (3 online; /help for "
	    "commands)");
	assert_names(&r, "guest3");
	feed(&r, "*** 3 online: carol Bob guest3");
	assert_names(&r, "Bob carol guest3");
	feed(&r, "*** guest3 is now alice");
	assert_names(&r, "alice Bob carol");
	feed(&r, "*** dave joined");
	feed(&r, "*** carol left (lunch)");
	feed(&r, "*** Bob left");
	assert_names(&r, "alice dave");
	/* Whoever talks is there; case changes keep one entry. */
	feed(&r, "<eve> hi");
	feed(&r, "* Dave waves");
	feed(&r, "[pm] <zed> psst");
	assert_names(&r, "alice Dave eve zed");
	/* Not notices of the kind, or not nicks: nothing learnt. */
	feed(&r, "*** dave joined the fun");
	feed(&r, "<not a nick> x");
	feed(&r, "plain text joined");
	feed(&r, "!!! nick alice is taken");
	assert_names(&r, "alice Dave eve zed");
	roster_free(&r);
	assert_int_equal(r.n, 0);
}

static void
test_rooms(void **state)
{
	struct roster r;

	(void)state;
	roster_init(&r);
	feed(&r, "*** 3 online: carol Bob guest3");
	/* Someone went to another room: no longer in ours. */
	feed(&r, "*** carol went to dev");
	assert_names(&r, "Bob guest3");
	/* A topic or a room list names nobody new. */
	feed(&r, "*** topic: carol went to dev");
	feed(&r, "*** 2 rooms: lobby (2) dev (1)");
	assert_names(&r, "Bob guest3");
	/* We moved: the old room's names are gone until /who answers. */
	feed(&r, "*** you are now in dev (2 online)");
	assert_names(&r, "");
	feed(&r, "*** 2 online: carol guest3");
	assert_names(&r, "carol guest3");
	roster_free(&r);
}

/* A whole list, out of order and with a repeat: sorted, one of each. */
static void
test_append_sort(void **state)
{
	struct roster r;

	(void)state;
	roster_init(&r);
	feed(&r, "*** 5 online: zed bob Carol bob alice");
	assert_names(&r, "alice bob Carol zed");
	assert_int_equal(roster_append(&r, "dev", 3), 0);
	assert_int_equal(roster_append(&r, "alice", 5), 0);
	roster_sort(&r);
	assert_names(&r, "alice bob Carol dev zed");
	/* Still sorted for the lookups that follow. */
	feed(&r, "*** Carol left");
	feed(&r, "*** eve joined");
	assert_names(&r, "alice bob dev eve zed");
	roster_free(&r);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_notices),
		cmocka_unit_test(test_rooms),
		cmocka_unit_test(test_append_sort),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
