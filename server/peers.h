/* peers: how many connections each IP address has open, in a hash table. */
#ifndef LOBBY_PEERS_H
#define LOBBY_PEERS_H

#include <stddef.h>
#include <stdint.h>

#include "net.h"

/*
 * One address with connections open. IPv4 addresses are kept as 4 bytes,
 * and an IPv4-mapped IPv6 address (::ffff:1.2.3.4, what a dual-stack
 * listener reports for an IPv4 client) is that IPv4 address: one host is
 * one entry whichever listener it came in by.
 */
struct peer {
	struct peer	*next;		/* next in the bucket's chain */
	uint64_t	 hash;		/* of the address, kept for growing */
	unsigned	 count;		/* connections open from it, >= 1 */
	unsigned char	 len;		/* 4 (IPv4) or 16 (IPv6) */
	unsigned char	 addr[16];	/* the address, network order */
};

/*
 * The table: chained buckets, a power of two of them, doubled when the
 * addresses outnumber the buckets, so that a lookup is O(1) on average
 * however many members there are. The hash is keyed with a seed chosen at
 * start, so that no client can pick addresses that all collide.
 */
struct peers {
	struct peer	**buckets;	/* nbuckets chains */
	size_t		 nbuckets;	/* a power of two */
	size_t		 n;		/* addresses held */
	uint64_t	 seed;		/* hash key */
};

/* An empty table keyed with seed. Returns 0, or -1 with errno ENOMEM. */
int	peers_init(struct peers *p, uint64_t seed);

/* Free every entry and the buckets. */
void	peers_free(struct peers *p);

/*
 * Connections open from a's address now: 0 for one not in the table and
 * for a Unix-domain peer, which is never counted.
 */
unsigned	 peers_count(const struct peers *p, const union net_addr *a);

/*
 * Count one more connection from a's address. Returns its entry (the
 * count is entry->count), which stays valid until the matching
 * peers_put(); NULL for a Unix-domain peer (not counted, nothing to
 * put), and NULL with errno ENOMEM when out of memory.
 */
struct peer	*peers_get(struct peers *p, const union net_addr *a);

/* One connection from e's address closed; e is freed at the last one. */
void	peers_put(struct peers *p, struct peer *e);

#endif /* LOBBY_PEERS_H */
