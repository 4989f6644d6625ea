/* term: the terminal in raw mode and back, its width, and signals. */
#ifndef LOBBY_TERM_H
#define LOBBY_TERM_H

/*
 * Put the terminal at fd in raw mode: no echo, no line buffering, no
 * signals from keys (Ctrl-C and Ctrl-Z arrive as bytes), no CR to LF
 * mapping. Output processing stays on. The old settings are saved and
 * come back by term_restore(), which also runs at exit. Returns 0, or -1
 * with errno.
 */
int	term_raw(int fd);

/* Put back what term_raw() changed; harmless when nothing was. */
void	term_restore(void);

/* Columns of the terminal at fd; 80 when it cannot tell. */
unsigned	term_width(int fd);

/*
 * Catch SIGINT, SIGTERM, SIGHUP and SIGWINCH: each is written to a pipe
 * whose read end is returned (non-blocking), so the select() loop sees
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
