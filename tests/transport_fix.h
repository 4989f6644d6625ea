/* transport_fix: the member-transport tests' common fixture: a member
 * under test on one end of a non-blocking socketpair, a speaker without a
 * socket, both reading one room log. */
#ifndef LOBBY_TRANSPORT_FIX_H
#define LOBBY_TRANSPORT_FIX_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <fcntl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cmocka.h>

#include "server-int.h"
#include "transport.h"

/* A socketpair, both ends non-blocking. */
static inline void
tfix_socketpair(int sp[2])
{
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sp), 0);
	assert_int_equal(fcntl(sp[0], F_SETFL, O_NONBLOCK), 0);
	assert_int_equal(fcntl(sp[1], F_SETFL, O_NONBLOCK), 0);
}

/*
 * The speaker *from (no socket) and the member *c on fd with transport tp
 * and its state, both attached to log (made here, 10 history lines).
 */
static inline void
tfix_members(struct rlog *log, struct client **from, struct client **c,
    int fd, const struct transport *tp, void *tp_state)
{
	assert_int_equal(rlog_init(log, 10), 0);
	assert_non_null(*from = client_new(-1, 1, "test", 1000));
	assert_non_null(*c = client_new(fd, 2, "test", 1000));
	(*c)->tp = tp;
	(*c)->tp_state = tp_state;
	rlog_attach(log, &(*from)->rd);
	rlog_attach(log, &(*c)->rd);
}

/* Undo tfix_members(): the member's transport state and fd go too. */
static inline void
tfix_members_free(struct rlog *log, struct client *from, struct client *c)
{
	rlog_detach(log, &from->rd);
	rlog_detach(log, &c->rd);
	rlog_free(log);
	c->tp->free(c->tp_state);
	close(c->fd);
	client_free(from);
	client_free(c);
}

#endif
