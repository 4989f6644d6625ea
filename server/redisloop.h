/* redisloop: hiredis's asynchronous context driven by lobbyd's own loop. */
#ifndef LOBBY_REDISLOOP_H
#define LOBBY_REDISLOOP_H

#include <hiredis/async.h>

#include "loop.h"

/*
 * hiredis asks its event library, through five hooks, to watch its
 * socket for reading and writing and to forget it at the end; here those
 * hooks register the fd in our event loop, like any client's. No
 * thread, no timer of hiredis's own: the caller keeps time with the loop.
 */

/*
 * Attach ac (just created, not yet attached) to l. Returns 0, or -1 with
 * errno: ERANGE when its fd is at or above the loop's limit (with
 * select, FD_SETSIZE: select() could never watch it; the caller frees ac), EEXIST when ac is attached
 * already, ENOMEM. The attachment is freed by hiredis's cleanup hook when
 * ac is freed.
 */
int	redisloop_attach(redisAsyncContext *ac, struct loop *l);

#endif /* LOBBY_REDISLOOP_H */
