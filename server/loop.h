/* loop: a select() event loop with fd callbacks, timers and a hook. */
#ifndef LOBBY_LOOP_H
#define LOBBY_LOOP_H

#include <stdbool.h>
#include <stddef.h>
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

struct loop_fd {
	int		 mask;		/* LOOP_READ | LOOP_WRITE wanted */
	loop_fd_fn	 rfn;		/* read callback */
	loop_fd_fn	 wfn;		/* write callback */
	void		*arg;		/* for both callbacks */
};

struct loop_timer {
	int64_t		 when;		/* ltime_mono_ms() it is due */
	loop_timer_fn	 fn;		/* what to run; NULL if the slot is free */
	void		*arg;		/* its argument */
	unsigned	 gen;		/* bumped by each add into the slot */
};

struct loop {
	fd_set		 rset;		/* master read set, copied per pass */
	fd_set		 wset;		/* master write set, copied per pass */
	int		 maxfd;		/* highest fd registered, or -1 */
	loop_hook_fn	 before_sleep;	/* flushes output; may be NULL */
	void		*hook_arg;	/* for before_sleep */
	struct loop_timer *timers;	/* slots, indexed by timer id */
	size_t		 ntimers;	/* slots in use or freed, in timers */
	size_t		 timers_cap;	/* slots allocated */
	struct loop_fd	 fds[FD_SETSIZE]; /* indexed by fd, which is bounded */
};

/* Prepare an empty loop. */
void	loop_init(struct loop *l);

/* Free what the loop allocated (its timers); it watches nothing after. */
void	loop_free(struct loop *l);

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

/*
 * Run fn in ms milliseconds. Returns a timer id >= 0 (the lowest free
 * one), or -1 with errno ENOMEM when the list cannot grow: a caller at
 * start treats that as fatal. Timers are as many as memory allows.
 */
int	loop_timer_add(struct loop *l, int64_t ms, loop_timer_fn fn,
	    void *arg);

/*
 * Make room for n more timers than are pending now, so that adding that
 * many later cannot fail. Returns 0, or -1 with errno ENOMEM.
 */
int	loop_timer_reserve(struct loop *l, size_t n);

/* Make timer id fire in ms milliseconds if that is sooner than it would. */
void	loop_timer_sooner(struct loop *l, int id, int64_t ms);

/* Cancel a timer by id. */
void	loop_timer_del(struct loop *l, int id);

/*
 * One pass, as Redis's aeMain: run the timers that are due, call
 * before_sleep (which may add or move timers), only then work out how long
 * to sleep, sleep in select() until an fd is ready or the next timer is
 * due (at most max_ms when max_ms >= 0), and run the fd callbacks. EINTR
 * just ends the pass. Returns 0, or -1 with errno if select() failed.
 */
int	loop_once(struct loop *l, int max_ms);

#endif /* LOBBY_LOOP_H */
