/* motd: the message of the day, read once at start and cleaned like chat. */
#ifndef LOBBY_MOTD_H
#define LOBBY_MOTD_H

#include <stddef.h>

#define MOTD_MAX_LINES	50	/* a notice, not a document */

/*
 * The lines a newcomer gets after the welcome, each as "*** LINE". They
 * are cleaned as chat is (text_clean()); lines that are blank after that
 * are left out, as a blank chat line is.
 */
struct motd {
	char		**lines;	/* n cleaned lines, NUL-terminated */
	size_t		  n;		/* how many */
};

/*
 * Read the file at path: at most MOTD_MAX_LINES lines of at most max_line
 * bytes each (LF or CRLF ends a line; the last may lack it). On success
 * fills m and returns 0; else returns -1 and writes why to err (the file
 * is missing or unreadable, or too long), leaving m empty.
 */
int	motd_load(struct motd *m, const char *path, size_t max_line,
	    char *err, size_t errlen);

/* Release the lines; m is empty afterwards. */
void	motd_free(struct motd *m);

#endif /* LOBBY_MOTD_H */
