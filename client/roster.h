/* roster: who is in the room, as the server's lines tell it, for Tab. */
#ifndef LOBBY_ROSTER_H
#define LOBBY_ROSTER_H

#include <stddef.h>

/*
 * The client learns who is in the room from what it is shown: the answer
 * to /who, joins, leaves (a move to another room too), renames, and the
 * senders of chat lines; our own move to another room empties it. Names
 * are kept sorted, ignoring case, without repeats. No system calls. The
 * client keeps the names of the rooms it has heard of in one too.
 */
struct roster {
	char	**names;	/* the nicks, sorted, each owned */
	size_t	  n;		/* nicks in names */
	size_t	  cap;		/* slots allocated at names */
};

/* Prepare an empty roster. */
void	roster_init(struct roster *r);

/* Release every name; the roster is then empty. */
void	roster_free(struct roster *r);

/* Add nick (a valid nick) unless there. Returns 0, or -1 out of memory. */
int	roster_add(struct roster *r, const char *nick);

/*
 * For filling a roster from a whole list (a /who or /rooms answer): add
 * the name p[0..len) at the end, out of order, without a check; then
 * roster_sort() once. Returns 0, or -1 out of memory.
 */
int	roster_append(struct roster *r, const char *p, size_t len);

/* Put the names in order again after roster_append(), repeats dropped. */
void	roster_sort(struct roster *r);

/* Remove nick (any case) if there. */
void	roster_remove(struct roster *r, const char *nick);

/*
 * Learn from one clean line from the server. Returns 0, or -1 out of
 * memory (the roster then misses a name, nothing worse).
 */
int	roster_update(struct roster *r, const char *line, size_t n);

#endif /* LOBBY_ROSTER_H */
