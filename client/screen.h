/* screen: what the client shows on stdout: lines, colours, the input line. */
#ifndef LOBBY_SCREEN_H
#define LOBBY_SCREEN_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include "buf.h"
#include "editor.h"

/*
 * The screen only formats: every function appends bytes to s->out, and
 * screen_write() is the one that writes them. So every line the client
 * shows can be checked byte by byte without a terminal.
 *
 * Running out of memory while appending is not fatal here: the function
 * returns -1 and s->failed stays set (later appends are skipped, like
 * ferror() on a stdio stream); the caller ends the run when it sees it.
 */
struct screen {
	struct buf	 out;		/* bytes for stdout, written each pass */
	bool		 tty;		/* a terminal: input line, CR LF */
	bool		 color;		/* colour the lines shown */
	bool		 shown;		/* the input line is on the screen */
	bool		 dirty;		/* the input line changed: redraw it */
	bool		 failed;	/* an append ran out of memory */
	bool		 colors256;	/* the terminal has 256 colours */
	bool		 stamps;	/* --timestamps: HH:MM before each line */
	bool		 quiet;		/* joins, leaves, renames not shown */
	unsigned	 width;		/* terminal columns */
	unsigned	 col;		/* the cursor's column in the input line */
	time_t		 now;		/* the time stamped on lines shown now */
	const char	*nick;		/* our nick, for mentions; not owned */
	unsigned long	 mentions;	/* lines that named us, so far */
};

#define SCREEN_CLEAR	"\033[H\033[2J"	/* home, erase the whole screen */
#define SCREEN_NICK256	12		/* nick colours with 256 colours */

/* The 256-colour indexes nicks take (for the contrast test). */
extern const unsigned char screen_palette256[SCREEN_NICK256];

/* Prepare an empty screen; tty and color as the run decided. */
void	screen_init(struct screen *s, bool tty, bool color);

/* Release the queued bytes. */
void	screen_free(struct screen *s);

/* Append n bytes; returns 0, or -1 (and s->failed) out of memory. */
int	screen_put(struct screen *s, const char *p, size_t n);

/* Take the input line off the screen before printing above it. */
int	screen_hide_input(struct screen *s);

/*
 * Show one line of clean text s[0..n): on a terminal above the input
 * line, with the sender or the kind of line coloured (self: the line is
 * our own, as is a history line with s->nick as its sender), wrapped at
 * word boundaries to s->width with the continuation rows indented under
 * the message text; otherwise as it is. With stamps, "HH:MM " of s->now
 * first; a history line shows its own stamp instead, once. A line of
 * someone else that names s->nick as a word has the name highlighted and
 * (when live) rings the bell on a terminal. With s->quiet, joins, leaves
 * and renames are not shown. Returns 0 or -1.
 */
int	screen_line(struct screen *s, const char *text, size_t n, bool self);

/*
 * A message of the client itself: on a terminal it shows as a line among
 * the others; otherwise it goes to stderr, so that stdout carries only
 * what the server sent. Returns 0 or -1.
 */
int	screen_notice(struct screen *s, const char *text);

#define SCREEN_BREAKS	512	/* row breaks of one line; the terminal
				   wraps what is left of a longer one */

/* Where a shown line goes on to the next row. */
struct screen_break {
	size_t	at;		/* the row ends before this byte */
	size_t	resume;		/* and the next one starts at this byte */
};

/*
 * Where to break text[from..n) (clean UTF-8) that starts at column col
 * of a terminal width columns wide, so that no row passes width: at the
 * blanks before a word that does not fit (they are not shown), or, for a
 * word longer than a row, between its characters. Continued rows start
 * at column indent. Fills at most max breaks into br, in order; returns
 * how many. No system calls.
 */
size_t	screen_wrap(const char *text, size_t from, size_t n, unsigned col,
	    unsigned width, unsigned indent, struct screen_break *br,
	    size_t max);

/*
 * How many bytes of the clean UTF-8 text[0..n) show in cols columns:
 * whole grapheme clusters only, never part of one. No system calls.
 */
size_t	screen_fit(const char *text, size_t n, unsigned cols);

struct sline;

#define SCREEN_ROOMS_MIN	7	/* columns of a /rooms row at least:
					   "***  x>" */

/*
 * Show a /rooms answer sl (SLINE_ROOMS) on a terminal, readably: a
 * header naming room (ours; "" when not known), then the rooms,
 * "NAME (N)", as many to a row as fit short of the last column (after
 * the stamp of --timestamps). A room is never broken across rows: one
 * that does not fit beside another starts a row, and one wider than a
 * row of its own shows as much of its name as fits, whole characters
 * only, and a `>` (the input line's sign of text hidden there). On a
 * terminal narrower than SCREEN_ROOMS_MIN the terminal wraps what is
 * left. Returns 0 or -1.
 */
int	screen_rooms(struct screen *s, const struct sline *sl,
	    const char *room);

/* Ring the bell (on a terminal). Returns 0 or -1. */
int	screen_bell(struct screen *s);

/* Clear the whole terminal; the input line is then drawn again. */
int	screen_clear(struct screen *s);

/*
 * The colour of nick's name, as an SGR sequence: always the same for the
 * same nick (whatever its case), from colours that read on dark and on
 * light backgrounds alike.
 */
const char	*screen_nick_color(const struct screen *s, const char *nick,
		    size_t n);

/*
 * Queue a redraw of the input line e with prompt when it is not on the
 * screen as it is (a terminal only). Returns 0 or -1.
 */
int	screen_input(struct screen *s, const struct editor *e,
	    const char *prompt);

/*
 * Write all that is queued to fd, waiting when fd is non-blocking and
 * full. Returns 0, or -1 with errno (the queue is then dropped).
 */
int	screen_write(struct screen *s, int fd);

#endif /* LOBBY_SCREEN_H */
