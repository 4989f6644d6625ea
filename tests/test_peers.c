/* test_peers: the per-address connection table. */
#include <arpa/inet.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "peers.h"

/* An IPv4 or IPv6 peer address (the port varies, as real ones do). */
static union net_addr
addr(const char *text, unsigned port)
{
	union net_addr a;

	memset(&a, 0, sizeof a);
	if (inet_pton(AF_INET, text, &a.in.sin_addr) == 1) {
		a.in.sin_family = AF_INET;
		a.in.sin_port = htons((uint16_t)port);
	} else {
		assert_int_equal(inet_pton(AF_INET6, text,
		    &a.in6.sin6_addr), 1);
		a.in6.sin6_family = AF_INET6;
		a.in6.sin6_port = htons((uint16_t)port);
	}
	return a;
}

static void
test_count_and_release(void **state)
{
	struct peers p;
	union net_addr a = addr("192.0.2.1", 1000), b = addr("192.0.2.2", 1);
	struct peer *e[3], *f;

	(void)state;
	assert_int_equal(peers_init(&p, 42), 0);
	assert_int_equal(peers_count(&p, &a), 0);
	e[0] = peers_get(&p, &a);
	assert_non_null(e[0]);
	assert_int_equal(e[0]->count, 1);
	a.in.sin_port = htons(1001);	/* another connection, same host */
	e[1] = peers_get(&p, &a);
	assert_ptr_equal(e[1], e[0]);
	e[2] = peers_get(&p, &a);
	assert_int_equal(peers_count(&p, &a), 3);
	f = peers_get(&p, &b);
	assert_ptr_not_equal(f, e[0]);
	assert_int_equal(peers_count(&p, &b), 1);
	assert_int_equal(p.n, 2);
	peers_put(&p, e[0]);
	peers_put(&p, e[1]);
	assert_int_equal(peers_count(&p, &a), 1);
	peers_put(&p, e[2]);
	assert_int_equal(peers_count(&p, &a), 0);
	assert_int_equal(p.n, 1);
	peers_put(&p, f);
	assert_int_equal(p.n, 0);
	peers_put(&p, NULL);
	peers_free(&p);
}

/* ::ffff:1.2.3.4 from a dual-stack listener is the host 1.2.3.4. */
static void
test_mapped_is_ipv4(void **state)
{
	struct peers p;
	union net_addr v4 = addr("198.51.100.7", 1);
	union net_addr mapped = addr("::ffff:198.51.100.7", 2);
	union net_addr v6 = addr("2001:db8::7", 3);
	union net_addr other = addr("::ffff:198.51.100.8", 4);
	struct peer *a, *b, *c;

	(void)state;
	assert_int_equal(peers_init(&p, 7), 0);
	a = peers_get(&p, &v4);
	b = peers_get(&p, &mapped);
	assert_ptr_equal(a, b);
	assert_int_equal(peers_count(&p, &v4), 2);
	assert_int_equal(peers_count(&p, &mapped), 2);
	assert_int_equal(peers_count(&p, &other), 0);
	c = peers_get(&p, &v6);
	assert_ptr_not_equal(c, a);
	assert_int_equal(c->len, 16);
	assert_int_equal(a->len, 4);
	peers_put(&p, a);
	peers_put(&p, b);
	peers_put(&p, c);
	assert_int_equal(p.n, 0);
	peers_free(&p);
}

/* A Unix-domain peer is not counted and leaves no entry. */
static void
test_unix_not_counted(void **state)
{
	struct peers p;
	union net_addr u;
	int i;

	(void)state;
	memset(&u, 0, sizeof u);
	u.un.sun_family = AF_UNIX;
	strcpy(u.un.sun_path, "/run/lobby/lobby.sock");
	assert_int_equal(peers_init(&p, 1), 0);
	for (i = 0; i < 10; i++)
		assert_null(peers_get(&p, &u));
	assert_int_equal(peers_count(&p, &u), 0);
	assert_int_equal(p.n, 0);
	peers_free(&p);
}

/*
 * Thousands of addresses: the table grows so that chains stay short
 * (the mean chain is at most one entry per bucket), and every count is
 * right after removals in any order.
 */
static void
test_many(void **state)
{
	enum { N = 5000 };
	struct peers p;
	struct peer **e = calloc(2 * N, sizeof *e), *x;
	union net_addr a;
	char text[64];
	size_t i, longest = 0, len;

	(void)state;
	assert_non_null(e);
	assert_int_equal(peers_init(&p, 0x1234567890abcdefULL), 0);
	for (i = 0; i < N; i++) {
		/* IPv6 hosts differing in their last bits only, and IPv4. */
		snprintf(text, sizeof text, "2001:db8::%zx", i);
		a = addr(text, 1);
		e[2 * i] = peers_get(&p, &a);
		snprintf(text, sizeof text, "10.0.%zu.%zu", i / 256, i % 256);
		a = addr(text, 1);
		e[2 * i + 1] = peers_get(&p, &a);
		assert_non_null(e[2 * i]);
		assert_non_null(e[2 * i + 1]);
	}
	assert_int_equal(p.n, 2 * N);
	assert_true(p.nbuckets >= p.n);
	for (i = 0; i < p.nbuckets; i++) {
		for (len = 0, x = p.buckets[i]; x != NULL; x = x->next)
			len++;
		if (len > longest)
			longest = len;
	}
	/* With a decent hash, no chain is long. */
	assert_true(longest <= 12);
	/* Each one counted once; then all released, odd ones first. */
	a = addr("10.0.0.5", 9);
	assert_int_equal(peers_count(&p, &a), 1);
	for (i = 1; i < 2 * N; i += 2)
		peers_put(&p, e[i]);
	assert_int_equal(peers_count(&p, &a), 0);
	a = addr("2001:db8::5", 9);
	assert_int_equal(peers_count(&p, &a), 1);
	for (i = 0; i < 2 * N; i += 2)
		peers_put(&p, e[i]);
	assert_int_equal(p.n, 0);
	peers_free(&p);
	free(e);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_count_and_release),
		cmocka_unit_test(test_mapped_is_ipv4),
		cmocka_unit_test(test_unix_not_counted),
		cmocka_unit_test(test_many),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
