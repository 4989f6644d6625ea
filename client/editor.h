/* editor: the client's line editor: UTF-8 input line, keys, history, redraw. */
#ifndef LOBBY_EDITOR_H
#define LOBBY_EDITOR_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"

/*
 * The editor is pure state: bytes from the keyboard go in one at a time,
 * an action comes out, and editor_render() writes the bytes that redraw
 * the input line into a buffer. It makes no system calls, so every key can
 * be tested without a terminal.
 *
 * The input line is always valid UTF-8 without control characters, and
 * the cursor always sits on a character boundary, never between a base
 * character and the combining marks that follow it.
 */

#define EDITOR_MAX	4096	/* input line bytes; the server's cap is 1024 */
#define EDITOR_HIST	100	/* lines of history kept for the session */
#define EDITOR_SEQMAX	16	/* longest escape sequence worth decoding */

enum editor_action {
	EDITOR_NONE,		/* nothing changed on screen */
	EDITOR_REDRAW,		/* the input line changed: redraw it */
	EDITOR_LINE,		/* Enter: the line is in e->line */
	EDITOR_QUIT,		/* Ctrl-C or Ctrl-D on an empty line */
	EDITOR_SUSPEND,		/* Ctrl-Z: the caller stops the process */
};

struct editor {
	char	 buf[EDITOR_MAX + 1];	/* the input line, NUL-terminated */
	size_t	 len;			/* bytes in buf */
	size_t	 pos;			/* cursor, as a byte offset into buf */
	char	 line[EDITOR_MAX + 1];	/* the line Enter took, until the next */
	char	*hist[EDITOR_HIST];	/* earlier lines, oldest first, owned */
	size_t	 nhist;			/* lines in hist */
	size_t	 hpos;			/* line shown from hist; nhist: a new one */
	char	*draft;			/* the new line, kept while browsing */
	unsigned char seq[EDITOR_SEQMAX]; /* escape or UTF-8 bytes so far */
	size_t	 seqlen;		/* bytes in seq */
	int	 state;			/* key decoder state (values in editor.c) */
};

/* Prepare an empty editor with no history. */
void	editor_init(struct editor *e);

/* Release the history; the editor may then be initialised again. */
void	editor_free(struct editor *e);

/*
 * Take one byte from the keyboard. Escape sequences and UTF-8 characters
 * arrive over several calls; the action comes with the last byte. After
 * EDITOR_LINE the accepted line is in e->line (it may be empty or blank:
 * the caller decides), it is in the history, and the input is empty.
 */
enum editor_action	editor_key(struct editor *e, unsigned char c);

/*
 * The editing operations the keys map to, for the tests and for callers
 * with text of their own. editor_insert() takes valid UTF-8 without
 * control characters and returns -1 (inserting nothing) when it would
 * not fit in EDITOR_MAX; the others return 1 when the line or the cursor
 * changed and 0 when there was nothing to do.
 */
int	editor_insert(struct editor *e, const char *s, size_t n);
int	editor_backspace(struct editor *e);	/* character before cursor */
int	editor_delete(struct editor *e);	/* character under cursor */
int	editor_left(struct editor *e);
int	editor_right(struct editor *e);
int	editor_word_left(struct editor *e);
int	editor_word_right(struct editor *e);
int	editor_home(struct editor *e);
int	editor_end(struct editor *e);
int	editor_kill_start(struct editor *e);	/* Ctrl-U: up to the cursor */
int	editor_kill_end(struct editor *e);	/* Ctrl-K: from the cursor */
int	editor_kill_word(struct editor *e);	/* Ctrl-W: the word before */
int	editor_clear(struct editor *e);		/* the whole line */
int	editor_hist_prev(struct editor *e);	/* Up */
int	editor_hist_next(struct editor *e);	/* Down */

/* Enter: copy the line to e->line, remember it, empty the input. */
void	editor_accept(struct editor *e);

/* Terminal columns code point cp takes: 0 (combining), 1 or 2 (wide). */
int	editor_cpwidth(uint32_t cp);

/* Columns the valid UTF-8 text s[0..n) takes on a terminal. */
size_t	editor_width(const char *s, size_t n);

/*
 * Append to out the bytes that redraw the input line in place on a
 * terminal width columns wide: carriage return, the prompt (plain UTF-8
 * text), as much of the line as fits around the cursor, erase to the end
 * of the row, and the cursor moved to its column. The line never reaches
 * the last column, so the terminal never wraps it. Returns 0, or -1 when
 * out cannot grow.
 */
int	editor_render(const struct editor *e, const char *prompt,
	    unsigned width, struct buf *out);

#endif /* LOBBY_EDITOR_H */
