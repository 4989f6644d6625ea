/* term: the terminal in raw mode and back, its width, and signals. */
#ifndef LOBBY_TERM_H
#define LOBBY_TERM_H

#define TERM_PASTE_ON	"\033[?2004h"	/* bracketed paste on */
#define TERM_PASTE_OFF	"\033[?2004l"	/* and off */

/*
 * Put the terminal at fd in raw mode: no echo, no line buffering, no
 * signals from keys (Ctrl-C and Ctrl-Z arrive as bytes), no CR to LF
 * mapping. Output processing stays on. The settings found the first time
 * are saved and come back by term_restore(), which also runs at exit.
 * While raw, bracketed paste is on and stdout is non-blocking (the open
 * file's flags come back at restore). Returns 0, or -1 with errno.
 */
int	term_raw(int fd);

/* Put back what term_raw() changed; harmless when nothing was. */
void	term_restore(void);

/* Columns of the terminal at fd; 80 when it cannot tell. */
unsigned	term_width(int fd);

/*
 * Stop the process the way a shell expects (SIGTSTP), with the terminal
 * restored while stopped; returns once continued. The caller then puts
 * the terminal back in raw mode and redraws.
 */
void	term_stop(void);

/*
 * Catch SIGINT, SIGTERM, SIGHUP, SIGWINCH, SIGTSTP and SIGCONT: each is
 * written to a pipe whose read end is returned (non-blocking), so the select() loop sees
 * them as input. Returns the fd, or -1 with errno.
 */
int	term_signals(void);

/* The next signal caught, or 0 when none is pending. */
int	term_signal_next(void);

/*
 * Die by sig, as if it had never been caught, after restoring the
 * terminal: the parent sees the true cause. Does not return.
 */
void	term_die(int sig) __attribute__((noreturn));

#endif /* LOBBY_TERM_H */
