/* stats: the server's counters, and their one-line and per-field forms. */
#ifndef LOBBY_STATS_H
#define LOBBY_STATS_H

#include <stddef.h>
#include <stdint.h>

/*
 * The counters lobbyd keeps, always. The server owns one struct stats and
 * updates it where things happen (accept, refuse, a line read, output
 * written, a member dropped); readers take it as it is between loop
 * passes (the loop is single-threaded, so a reader in the loop, such as
 * the SIGUSR1 log line or a web /metrics handler, sees a consistent set).
 *
 * The key names below (STATS_FIELDS) are a stable interface: the SIGUSR1
 * line writes them as key=value, and /metrics as lobby_KEY. A new
 * counter is added at the end; none is renamed or removed.
 */
struct stats {
	uint64_t	 clients;	/* members connected now */
	uint64_t	 peak;		/* most members at once since start */
	uint64_t	 accepted;	/* connections accepted and joined */
	uint64_t	 refused_full;	/* refused: server full (or no fds) */
	uint64_t	 refused_per_ip; /* refused: --max-per-ip reached */
	uint64_t	 lines_in;	/* lines received from members */
	uint64_t	 bytes_in;	/* bytes received from members */
	uint64_t	 lines_out;	/* lines written to members' sockets */
	uint64_t	 bytes_out;	/* bytes written to members' sockets */
	uint64_t	 dropped_slow;	/* members dropped as too slow */
	uint64_t	 dropped_idle;	/* members dropped as idle */
	uint64_t	 flood_held;	/* times a member was held by --flood */
	int64_t		 started;	/* monotonic ms at start, for uptime */
};

/* What a field is, for Prometheus: a gauge goes up and down. */
enum stats_kind {
	STATS_COUNTER,			/* only grows */
	STATS_GAUGE,			/* a level */
};

/* One field, by name: for the SIGUSR1 line and for /metrics. */
struct stats_field {
	const char	*key;		/* stable name, e.g. "accepted" */
	enum stats_kind	 kind;		/* counter or gauge */
	const char	*help;		/* one line for # HELP */
	uint64_t	 value;		/* its value at the snapshot */
};

#define STATS_NFIELDS	13	/* the fields stats_snapshot() writes */

/* Start counting at time now (monotonic ms): all zero, uptime 0. */
void	stats_init(struct stats *s, int64_t now);

/* A member joined: clients and, if passed, peak go up. */
void	stats_join(struct stats *s);

/* A member is gone (closed for whatever reason). */
void	stats_leave(struct stats *s);

/* Count the LFs in p[0..n), bytes a member's socket took: lines_out. */
void	stats_sent(struct stats *s, const void *p, size_t n);

/* A member's socket took bytes holding lines whole lines: no scan. */
void	stats_written(struct stats *s, size_t bytes, uint64_t lines);

/*
 * Every field with its value at time now, in a fixed order (the order of
 * struct stats, then "uptime" in seconds): out has STATS_NFIELDS slots.
 */
void	stats_snapshot(const struct stats *s, int64_t now,
	    struct stats_field out[STATS_NFIELDS]);

/*
 * The one log line: "clients=3 peak=10 accepted=52 ... uptime=3600",
 * every field as key=value, NUL-terminated in out (cut if outlen is too
 * small; 512 bytes always suffice). Returns the length it wanted.
 */
size_t	stats_format(const struct stats *s, int64_t now, char *out,
	    size_t outlen);

#endif /* LOBBY_STATS_H */
