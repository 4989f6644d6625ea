/* credis: the cluster's I/O side: the room on Redis Streams, through hiredis. */
#ifndef LOBBY_CREDIS_H
#define LOBBY_CREDIS_H

#include <stdbool.h>
#include <stddef.h>

#include "cluster.h"
#include "hostport.h"
#include "loop.h"

/*
 * Two connections to Redis, both driven by lobbyd's loop (redisloop.c):
 * one for commands (every room event is one atomic script that updates
 * the presence keys and appends to the stream), one that reads the stream
 * with XREAD BLOCK and hands each entry to cluster_apply(). A lost link
 * is retried with backoff; the keys and scripts are described in
 * docs/CLUSTER.md.
 */

struct credis;

/* What the cluster's Redis side is told at start. */
struct credis_config {
	struct hostport	 addr;		/* where Redis is */
	const char	*addr_text;	/* as given, for messages */
	const char	*room;		/* room name, part of every key */
	size_t		 history;	/* --history: lines kept */
	size_t		 max_rooms;	/* --max-rooms, counted cluster-wide */
};

/*
 * Write a fresh random instance id: CLUSTER_INST_LEN hex digits and a
 * NUL. Every start is a new instance, so ids never collide with a dead
 * instance whose members are still being taken out.
 */
void	credis_instance_id(char *out);

/*
 * Make the Redis side of cl (it sets cl->ops and cl->io) on loop l.
 * Returns NULL when out of memory.
 */
struct credis	*credis_new(struct loop *l, struct cluster *cl,
		    const struct credis_config *cfg);

/*
 * Connect and load the room's state, running the loop for at most
 * timeout_ms (nothing else is registered yet). Returns 0 once the room is
 * served, or -1 with the reason in why (for "cannot reach redis").
 */
int	credis_start(struct credis *cr, int timeout_ms, char *why,
	    size_t whylen);

/*
 * Shutting down: publish that this instance's members leave, and stop
 * reading the stream. credis_busy() says when that is done.
 */
void	credis_stop(struct credis *cr);

/*
 * Write the commands queued during this loop pass right away (the loop's
 * before-sleep hook), rather than after select() reports the socket
 * writable: one pass less between a member's line and Redis.
 */
void	credis_flush(struct credis *cr);

/* Whether replies are still awaited from a working link. */
bool	credis_busy(const struct credis *cr);

/* Close the connections and free cr. No callback reaches cl afterwards. */
void	credis_free(struct credis *cr);

#endif /* LOBBY_CREDIS_H */
