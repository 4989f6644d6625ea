/* loop: a select() event loop with fd callbacks, timers and a hook. */
#ifndef LOBBY_LOOP_H
#define LOBBY_LOOP_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/select.h>

struct loop;

/* Called when fd is ready; mask says how (LOOP_READ or LOOP_WRITE). */
typedef void (*loop_fd_fn)(struct loop *l, int fd, int mask, void *arg);
/* Called when a timer fires; return the ms until the next firing, or -1
 * to drop the timer. */
typedef int64_t (*loop_timer_fn)(struct loop *l, void *arg);
/* Called once per pass, just before select() sleeps. */
typedef void (*loop_hook_fn)(struct loop *l, void *arg);

#define LOOP_READ	0x1
#define LOOP_WRITE	0x2

#define LOOP_TIMERS	8	/* the server needs a handful, never more */

struct loop_fd {
	int		 mask;		/* LOOP_READ | LOOP_WRITE wanted */
	loop_fd_fn	 rfn;		/* read callback */
	loop_fd_fn	 wfn;		/* write callback */
	void		*arg;		/* for both callbacks */
};

struct loop_timer {
	int64_t		 when;		/* monotonic ms; 0 if the slot is free */
	loop_timer_fn	 fn;		/* what to run */
	void		*arg;		/* its argument */
};

struct loop {
	fd_set		 rset;		/* master read set, copied per pass */
	fd_set		 wset;		/* master write set, copied per pass */
	int		 maxfd;		/* highest fd registered, or -1 */
	loop_hook_fn	 before_sleep;	/* flushes output; may be NULL */
	void		*hook_arg;	/* for before_sleep */
	struct loop_timer timers[LOOP_TIMERS]; /* pending timers */
	struct loop_fd	 fds[FD_SETSIZE]; /* indexed by fd, which is bounded */
};

/* Monotonic time in milliseconds. */
int64_t	loop_now_ms(void);

/* Prepare an empty loop. */
void	loop_init(struct loop *l);

/*
 * Ask for fd's readiness in mask; fn (with arg) is called for it. Returns
 * 0, or -1 with errno ERANGE when fd cannot go into an fd_set at all: the
 * caller must then close it, as no select() could ever watch it.
 */
int	loop_add(struct loop *l, int fd, int mask, loop_fd_fn fn, void *arg);

/* Stop watching fd for mask. Safe for an fd that is not registered. */
void	loop_del(struct loop *l, int fd, int mask);

/* Whether fd is watched for mask. */
bool	loop_has(const struct loop *l, int fd, int mask);

/* Run fn in ms milliseconds. Returns a timer id >= 0, or -1 if full. */
int	loop_timer_add(struct loop *l, int64_t ms, loop_timer_fn fn,
	    void *arg);

/* Make timer id fire in ms milliseconds if that is sooner than it would. */
void	loop_timer_sooner(struct loop *l, int id, int64_t ms);

/* Cancel a timer by id. */
void	loop_timer_del(struct loop *l, int id);

/*
 * One pass: sleep in select() until an fd is ready or the next timer is
 * due (at most max_ms when max_ms >= 0), then run the callbacks. EINTR
 * just ends the pass. Returns 0, or -1 with errno if select() failed.
 */
int	loop_once(struct loop *l, int max_ms);

#endif /* LOBBY_LOOP_H */
