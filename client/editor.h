/* editor: the client's line editor: UTF-8 input line, keys, history, redraw. */
#ifndef LOBBY_EDITOR_H
#define LOBBY_EDITOR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "buf.h"

/*
 * The editor is pure state: bytes from the keyboard go in one at a time,
 * an action comes out, and editor_render() writes the bytes that redraw
 * the input line into a buffer. It makes no system calls, so every key can
 * be tested without a terminal.
 *
 * The input line is always valid UTF-8 whose only control character is
 * TAB, without the code points the server removes as reordering text
 * (U+2028-U+202E, U+2066-U+2069), and the cursor always sits on a character boundary, never between
 * a base character and the combining marks that follow it.
 *
 * Keys are decoded into key codes (a byte, or one of the EDITOR_K_ codes
 * for a sequence, with a Meta flag for Alt or a leading ESC), and a table
 * binds each code to what it does. A lone ESC is told from the start of
 * a sequence by time: the caller calls editor_timeout() when no byte
 * followed it within EDITOR_ESC_MS.
 */

#define EDITOR_MAX	4096	/* input line bytes */
#define EDITOR_HIST	1000	/* lines of history kept */
#define EDITOR_SEQMAX	16	/* longest escape sequence worth decoding */
#define EDITOR_UNDO	64	/* undo steps kept */
#define EDITOR_QUERY	64	/* bytes of a Ctrl-R search */
#define EDITOR_ESC_MS	50	/* a lone ESC: nothing followed for this long */
#define EDITOR_PASTE_MAX (1024 * 1024) /* bytes of one bracketed paste kept */

enum editor_action {
	EDITOR_NONE,		/* nothing changed on screen */
	EDITOR_REDRAW,		/* the input line changed: redraw it */
	EDITOR_LINE,		/* Enter: the line is in e->line */
	EDITOR_QUIT,		/* Ctrl-C or Ctrl-D on an empty line */
	EDITOR_SUSPEND,		/* Ctrl-Z: the caller stops the process */
	EDITOR_BELL,		/* nothing to do for the key: ring the bell */
	EDITOR_CLEAR,		/* Ctrl-L: clear the screen, redraw */
	EDITOR_COMPLETE,	/* Tab: the caller calls editor_complete() */
	EDITOR_TOOLONG,		/* Enter on a line over e->maxsend: kept */
	EDITOR_PASTE,		/* a bracketed paste ended: e->paste holds it
				   (all of it unless e->plost or e->pnomem) */
};

/* One input line, its history, and the state of the key being decoded. */
struct editor {
	char	 buf[EDITOR_MAX + 1];	/* the input line, NUL-terminated */
	size_t	 len;			/* bytes in buf */
	size_t	 pos;			/* cursor, as a byte offset into buf */
	size_t	 maxsend;		/* longest line Enter may accept */
	char	 line[EDITOR_MAX + 1];	/* the line Enter took, until the next */
	char	*hist[EDITOR_HIST];	/* earlier lines, oldest first, owned */
	size_t	 nhist;			/* lines in hist */
	size_t	 hpos;			/* line shown from hist; nhist: a new one */
	char	*draft;			/* the new line, kept while browsing */
	unsigned char seq[EDITOR_SEQMAX]; /* escape or UTF-8 bytes so far */
	size_t	 seqlen;		/* bytes in seq */
	int	 state;			/* key decoder state (values in editor.c) */
	bool	 meta;			/* ESC came first: the key is Meta-key */
	char	*kill;			/* the text last killed, for Ctrl-Y */
	struct {
		char	*text;		/* the line before a change, owned */
		size_t	 pos;		/* the cursor then */
	}	 undo[EDITOR_UNDO];	/* oldest first */
	size_t	 nundo;			/* steps in undo */
	bool	 typing;		/* the last change typed a character */
	bool	 searching;		/* in a Ctrl-R search */
	bool	 search_failed;		/* the query matches no line */
	char	 query[EDITOR_QUERY + 1]; /* what Ctrl-R looks for */
	size_t	 qlen;			/* bytes in query */
	size_t	 shit;			/* the history line matched */
	char	*saved;			/* the line before the search, owned */
	bool	 completing;		/* the last key was Tab: cycle */
	size_t	 cstart;		/* where the completed word starts */
	size_t	 clen;			/* bytes the completion put there */
	size_t	 cindex;		/* which candidate is shown */
	char	 cprefix[64];		/* what was typed before the first Tab */
	struct buf paste;		/* text of a bracketed paste, its first
					   EDITOR_PASTE_MAX bytes at most */
	size_t	 pmatch;		/* bytes of the paste end matched */
	size_t	 plost;			/* bytes of the paste past the cap, not
					   in paste: it was cut */
	bool	 pnomem;		/* paste could not grow: bytes lost */
};

/* Prepare an empty editor with no history; Enter takes any length. */
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
 * As editor_key(), for a byte that came with others in one read (pasted
 * rather than typed, on a terminal without bracketed paste): a TAB is
 * text then, not completion.
 */
enum editor_action	editor_paste_key(struct editor *e, unsigned char c);

/* Is a lone ESC (or an unfinished sequence) waiting for more bytes? */
bool	editor_pending(const struct editor *e);

/*
 * No byte came for EDITOR_ESC_MS after editor_pending() said so: a lone
 * Esc. Returns the action of the Esc key.
 */
enum editor_action	editor_timeout(struct editor *e);

/*
 * Tab: complete the word before the cursor from names[0..n) (sorted; a
 * match ignores case). The first Tab puts the first match there, each
 * Tab after it the next, round. A word at the line's start gets ": "
 * after it, any other a space. Returns EDITOR_REDRAW, or EDITOR_BELL
 * when nothing matches.
 */
enum editor_action	editor_complete(struct editor *e,
	    const char *const *names, size_t n);

/*
 * The editing operations the keys map to, for the tests and for callers
 * with text of their own. editor_insert() takes valid UTF-8 whose only
 * control character is TAB and returns -1 (inserting nothing) when it
 * would not fit in EDITOR_MAX; the others return 1 when the line or the
 * cursor changed and 0 when there was nothing to do.
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
int	editor_kill_word_right(struct editor *e); /* Alt-d: the word after */
int	editor_yank(struct editor *e);		/* Ctrl-Y: the last kill */
int	editor_transpose(struct editor *e);	/* Ctrl-T */
int	editor_undo(struct editor *e);		/* Ctrl-_ */
int	editor_clear(struct editor *e);		/* the whole line */
int	editor_hist_prev(struct editor *e);	/* Up */
int	editor_hist_next(struct editor *e);	/* Down */

/* Replace the line with s (valid, as for editor_insert()), cursor at end. */
void	editor_set(struct editor *e, const char *s);

/*
 * Where a password starts in the line s[0..n): in "/login NICK PASSWORD"
 * and "/register PASSWORD" (any case), the byte after the blanks that
 * precede PASSWORD, once they are typed; EDITOR_NO_SECRET otherwise.
 * From there the line shows one `*` per character, and such a line is
 * never kept in the history (nor in its file).
 */
#define EDITOR_NO_SECRET	((size_t)-1)
size_t	editor_secret_start(const char *s, size_t n);

/*
 * Remember s as the newest history line, unless blank, the same as the
 * last one, or a command with a password (/login, /register); the oldest
 * goes past EDITOR_HIST. Returns 0, or -1 out of memory (the line is
 * then not kept).
 */
int	editor_hist_add(struct editor *e, const char *s);

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
 * the last column, so the terminal never wraps it. When text is hidden
 * to the left of what shows, a `<` stands in the first column of the
 * line; when some is hidden to the right, a `>` in the last. A TAB shows
 * as a space. During a Ctrl-R search the prompt is the search's. The
 * cursor's column goes to *col (when col is not NULL). Returns 0, or -1
 * when out cannot grow.
 */
int	editor_render(const struct editor *e, const char *prompt,
	    unsigned width, struct buf *out, unsigned *col);

#endif /* LOBBY_EDITOR_H */
