/* loop: an event loop with fd callbacks, timers and a hook, on select(),
 * poll() or epoll chosen at start. */
#ifndef LOBBY_LOOP_H
#define LOBBY_LOOP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct loop;

/* Called when fd is ready; mask says how (LOOP_READ or LOOP_WRITE). */
typedef void (*loop_fd_fn)(struct loop *l, int fd, int mask, void *arg);
/* Called when a timer fires; return the ms until the next firing, or -1
 * to drop the timer. */
typedef int64_t (*loop_timer_fn)(struct loop *l, void *arg);
/* Called once per pass, just before the multiplexer sleeps. */
typedef void (*loop_hook_fn)(struct loop *l, void *arg);

#define LOOP_READ	0x1
#define LOOP_WRITE	0x2

/* The multiplexers a loop may sleep in, chosen once, at loop_init(). */
enum loop_kind {
	LOOP_SELECT,		/* select(): fds below FD_SETSIZE only */
	LOOP_POLL,		/* poll(): any fd, one pollfd per watched fd */
	LOOP_EPOLL,		/* Linux epoll: any fd, cost per ready fd */
};

struct loop_fd {
	int		 mask;		/* LOOP_READ | LOOP_WRITE wanted */
	loop_fd_fn	 rfn;		/* read callback */
	loop_fd_fn	 wfn;		/* write callback */
	void		*arg;		/* for both callbacks */
};

/* One fd the multiplexer found ready in a pass: what loop_once() serves. */
struct loop_fired {
	int		 fd;		/* the fd */
	int		 mask;		/* LOOP_READ | LOOP_WRITE it is ready for */
};

struct loop_timer {
	int64_t		 when;		/* ltime_mono_ms() it is due */
	loop_timer_fn	 fn;		/* what to run; NULL if the slot is free */
	void		*arg;		/* its argument */
	unsigned	 gen;		/* bumped by each add into the slot */
};

/*
 * A multiplexer, as Redis's ae_select.c / ae_epoll.c: it keeps its own
 * record of interest, told of each change, and reports ready fds. The
 * loop (loop.c) keeps the callbacks, the timers and the hook.
 */
struct loop_backend {
	const char	*name;		/* "select", "poll", "epoll" */
	int		 fd_limit;	/* fds must be below it (FD_SETSIZE for
					   select, INT_MAX for the others) */
	/* Set up l->state. Returns 0, or -1 with errno. */
	int		(*init)(struct loop *l);
	/* Free l->state. */
	void		(*free)(struct loop *l);
	/* fd's interest goes from old to mask (old | new bits, both not 0).
	 * Returns 0, or -1 with errno; nothing changed then. */
	int		(*add)(struct loop *l, int fd, int old, int mask);
	/* fd's interest goes from old (not 0) to mask (may be 0). */
	void		(*del)(struct loop *l, int fd, int old, int mask);
	/* Sleep at most ms (-1: no bound) until an fd is ready; fill
	 * l->fired. Returns how many, or -1 with errno (EINTR included). */
	int		(*wait)(struct loop *l, int ms);
};

struct loop {
	const struct loop_backend *be;	/* the multiplexer, set at init */
	void		*state;		/* the backend's own (loop_*.c) */
	int		 maxfd;		/* highest fd registered, or -1 */
	loop_hook_fn	 before_sleep;	/* flushes output; may be NULL */
	void		*hook_arg;	/* for before_sleep */
	struct loop_timer *timers;	/* slots, indexed by timer id */
	size_t		 ntimers;	/* slots in use or freed, in timers */
	size_t		 timers_cap;	/* slots allocated */
	struct loop_fd	*fds;		/* indexed by fd, below fds_cap */
	struct loop_fired *fired;	/* fds_cap entries: one pass's ready fds */
	size_t		 fds_cap;	/* entries in fds and fired; fds_cap
					   and above are not watched */
};

/* The backend named name ("select", "poll", "epoll"), or -1. */
int	loop_kind_parse(const char *name, enum loop_kind *kind);

/* The name of kind, as loop_kind_parse() takes it. */
const char *loop_kind_name(enum loop_kind kind);

/*
 * Prepare an empty loop sleeping in kind's multiplexer. Returns 0, or -1
 * with errno (ENOMEM; epoll_create1()'s): l is then empty and need not be
 * freed.
 */
int	loop_init(struct loop *l, enum loop_kind kind);

/* Free what the loop allocated; it watches nothing after. Safe twice. */
void	loop_free(struct loop *l);

/* fds the loop can watch are below this: FD_SETSIZE for select. */
int	loop_fd_limit(const struct loop *l);

/*
 * Ask for fd's readiness in mask; fn (with arg) is called for it. Returns
 * 0, or -1 with errno ERANGE when fd cannot be watched at all (with
 * select: at or above FD_SETSIZE): the caller must then close it; or
 * ENOMEM, or the multiplexer's own errno.
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
 * to sleep, sleep in the multiplexer until an fd is ready or the next
 * timer is due (at most max_ms when max_ms >= 0), and run the fd
 * callbacks. EINTR just ends the pass. Returns 0, or -1 with errno if the
 * multiplexer failed.
 */
int	loop_once(struct loop *l, int max_ms);

/* The backends, each in its own file (loop_select.c, ...). */
extern const struct loop_backend loop_backend_select;
extern const struct loop_backend loop_backend_poll;
extern const struct loop_backend loop_backend_epoll;

#endif /* LOBBY_LOOP_H */
