/* screen: what the client shows on stdout: lines, colours, the input line. */
#ifndef LOBBY_SCREEN_H
#define LOBBY_SCREEN_H

#include <stdbool.h>
#include <stddef.h>

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
	unsigned	 width;		/* terminal columns */
};

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
 * our own chat); otherwise as it is. Returns 0 or -1.
 */
int	screen_line(struct screen *s, const char *text, size_t n, bool self);

/*
 * A message of the client itself: on a terminal it shows as a line among
 * the others; otherwise it goes to stderr, so that stdout carries only
 * what the server sent. Returns 0 or -1.
 */
int	screen_notice(struct screen *s, const char *text);

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
