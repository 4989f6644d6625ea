/* peers: how many connections each IP address has open, in a hash table. */
#include "peers.h"

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "mix.h"

#define PEERS_MIN_BUCKETS	64	/* a small server never grows */

/* An address as the table keys it; len 0 for one that is not counted. */
struct peers_key {
	unsigned char	 len;		/* 4, 16, or 0 */
	unsigned char	 addr[16];	/* network order */
};

/* The key of a: its host as net_addr_host() gives it; Unix: len 0. */
static void
peers_key(const union net_addr *a, struct peers_key *k)
{
	k->len = (unsigned char)net_addr_host(a, k->addr);
}

/* The keyed hash of k: each 8-byte half is mixed in with the seed. */
static uint64_t
peers_hash(const struct peers *p, const struct peers_key *k)
{
	uint64_t h = mix64(p->seed ^ k->len), w[2] = { 0, 0 };

	memcpy(w, k->addr, k->len);
	h = mix64(h ^ w[0]);
	return mix64(h + w[1]);
}

/* The entry for k, or NULL; *slot (if not NULL) is the link to it. */
static struct peer *
peers_find(const struct peers *p, const struct peers_key *k, uint64_t h,
    struct peer ***slot)
{
	struct peer **link = &p->buckets[h & (p->nbuckets - 1)];

	for (; *link != NULL; link = &(*link)->next)
		if ((*link)->hash == h && (*link)->len == k->len &&
		    memcmp((*link)->addr, k->addr, k->len) == 0)
			break;
	if (slot != NULL)
		*slot = link;
	return *link;
}

/* Double the buckets and move every entry; on ENOMEM keep the old. */
static void
peers_grow(struct peers *p)
{
	size_t n = p->nbuckets * 2, i;
	struct peer **b, *e, *next;

	if ((b = calloc(n, sizeof *b)) == NULL)
		return;		/* longer chains, still correct */
	for (i = 0; i < p->nbuckets; i++) {
		for (e = p->buckets[i]; e != NULL; e = next) {
			next = e->next;
			e->next = b[e->hash & (n - 1)];
			b[e->hash & (n - 1)] = e;
		}
	}
	free(p->buckets);
	p->buckets = b;
	p->nbuckets = n;
}

int
peers_init(struct peers *p, uint64_t seed)
{
	p->nbuckets = PEERS_MIN_BUCKETS;
	p->n = 0;
	p->seed = seed;
	if ((p->buckets = calloc(p->nbuckets, sizeof *p->buckets)) == NULL)
		return -1;
	return 0;
}

void
peers_free(struct peers *p)
{
	struct peer *e, *next;
	size_t i;

	for (i = 0; p->buckets != NULL && i < p->nbuckets; i++)
		for (e = p->buckets[i]; e != NULL; e = next) {
			next = e->next;
			free(e);
		}
	free(p->buckets);
	p->buckets = NULL;
	p->n = 0;
}

unsigned
peers_count(const struct peers *p, const union net_addr *a)
{
	struct peers_key k;
	struct peer *e;

	peers_key(a, &k);
	if (k.len == 0)
		return 0;
	e = peers_find(p, &k, peers_hash(p, &k), NULL);
	return e != NULL ? e->count : 0;
}

struct peer *
peers_get(struct peers *p, const union net_addr *a)
{
	struct peers_key k;
	struct peer *e, **link;
	uint64_t h;

	peers_key(a, &k);
	if (k.len == 0) {
		errno = 0;
		return NULL;
	}
	h = peers_hash(p, &k);
	if ((e = peers_find(p, &k, h, &link)) != NULL) {
		e->count++;
		return e;
	}
	if ((e = calloc(1, sizeof *e)) == NULL) {
		errno = ENOMEM;
		return NULL;
	}
	e->hash = h;
	e->count = 1;
	e->len = k.len;
	memcpy(e->addr, k.addr, k.len);
	*link = e;
	if (++p->n > p->nbuckets)
		peers_grow(p);
	return e;
}

void
peers_put(struct peers *p, struct peer *e)
{
	struct peer **link;

	if (e == NULL || --e->count > 0)
		return;
	link = &p->buckets[e->hash & (p->nbuckets - 1)];
	while (*link != e)
		link = &(*link)->next;
	*link = e->next;
	p->n--;
	free(e);
}
