/* term: the terminal in raw mode and back, its width, and signals. */
#include "term.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdbool.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <termios.h>
#include <unistd.h>

/*
 * File-scope state, the one exception to passing state in: an atexit()
 * handler and a signal handler can reach nothing else, and the terminal
 * must come back on every way out.
 */
static struct termios	term_saved;		/* settings before raw mode */
static bool		term_have_saved;	/* term_saved holds them */
static int		term_fd = -1;		/* the raw terminal, or -1 */
static int		term_outfl = -1;	/* stdout's flags before, or -1 */
static bool		term_atexit_set;	/* term_restore() registered */
static int		term_pipe[2] = { -1, -1 }; /* signal self-pipe */

int
term_raw(int fd)
{
	struct termios t;
	ssize_t n;

	/*
	 * The settings to go back to are the first ones seen: raw mode
	 * again after a stop must not take raw mode for the original.
	 */
	if (!term_have_saved) {
		if (tcgetattr(fd, &term_saved) == -1)
			return -1;
		term_have_saved = true;
	}
	if (!term_atexit_set) {
		if (atexit(term_restore) != 0) {
			errno = ENOMEM;
			return -1;
		}
		term_atexit_set = true;
	}
	t = term_saved;
	t.c_iflag &= ~(tcflag_t)(BRKINT | ICRNL | INPCK | ISTRIP | IXON);
	t.c_cflag |= CS8;
	t.c_lflag &= ~(tcflag_t)(ECHO | ICANON | IEXTEN | ISIG);
	t.c_cc[VMIN] = 1;
	t.c_cc[VTIME] = 0;
	if (tcsetattr(fd, TCSADRAIN, &t) == -1)
		return -1;
	term_fd = fd;
	/*
	 * Output never blocks the loop: what the terminal cannot take yet
	 * waits in the client while the socket is read on. The flag is on
	 * the open file, which the shell shares: it goes back at restore.
	 */
	if (term_outfl == -1 &&
	    (term_outfl = fcntl(STDOUT_FILENO, F_GETFL)) != -1)
		(void)fcntl(STDOUT_FILENO, F_SETFL, term_outfl | O_NONBLOCK);
	/* Pastes come marked, so they can be told from typing; a terminal
	 * that takes nothing now is no worse without the marks. */
	n = write(STDOUT_FILENO, TERM_PASTE_ON, sizeof TERM_PASTE_ON - 1);
	(void)n;
	return 0;
}

void
term_restore(void)
{
	int saved = errno;

	if (term_fd != -1) {
		if (term_outfl != -1) {
			(void)fcntl(STDOUT_FILENO, F_SETFL, term_outfl);
			term_outfl = -1;
		}
		ssize_t n = write(STDOUT_FILENO, TERM_PASTE_OFF,
		    sizeof TERM_PASTE_OFF - 1);

		(void)n;
		(void)tcsetattr(term_fd, TCSADRAIN, &term_saved);
		term_fd = -1;
	}
	errno = saved;
}

unsigned
term_width(int fd)
{
	struct winsize ws;

	if (ioctl(fd, TIOCGWINSZ, &ws) == -1 || ws.ws_col == 0)
		return 80;
	return ws.ws_col;
}

/* Hand the signal to the loop; nothing else is safe in here. */
static void
term_catch(int sig)
{
	int saved = errno;
	unsigned char b = (unsigned char)sig;

	ssize_t n;

	/* A full pipe already holds enough wake-ups. */
	n = write(term_pipe[1], &b, 1);
	(void)n;
	errno = saved;
}

int
term_signals(void)
{
	static const int sigs[] = { SIGINT, SIGTERM, SIGHUP, SIGWINCH,
	    SIGTSTP, SIGCONT };
	struct sigaction sa;
	size_t i;
	int fl, j;

	if (pipe(term_pipe) == -1)
		return -1;
	for (j = 0; j < 2; j++) {
		if ((fl = fcntl(term_pipe[j], F_GETFL)) == -1 ||
		    fcntl(term_pipe[j], F_SETFL, fl | O_NONBLOCK) == -1 ||
		    fcntl(term_pipe[j], F_SETFD, FD_CLOEXEC) == -1)
			return -1;
	}
	sa.sa_handler = term_catch;
	sigemptyset(&sa.sa_mask);
	/* No SA_RESTART: select() must wake up to see the signal. */
	sa.sa_flags = 0;
	for (i = 0; i < sizeof sigs / sizeof sigs[0]; i++)
		if (sigaction(sigs[i], &sa, NULL) == -1)
			return -1;
	return term_pipe[0];
}

int
term_signal_next(void)
{
	unsigned char b;

	if (term_pipe[0] == -1 || read(term_pipe[0], &b, 1) != 1)
		return 0;
	return b;
}

void
term_stop(void)
{
	struct sigaction sa, old;
	sigset_t set, oldset;

	term_restore();
	sa.sa_handler = SIG_DFL;
	sigemptyset(&sa.sa_mask);
	sa.sa_flags = 0;
	(void)sigaction(SIGTSTP, &sa, &old);
	sigemptyset(&set);
	sigaddset(&set, SIGTSTP);
	(void)sigprocmask(SIG_UNBLOCK, &set, &oldset);
	/* Stopped here; the shell's fg (SIGCONT) carries on below. */
	(void)raise(SIGTSTP);
	(void)sigprocmask(SIG_SETMASK, &oldset, NULL);
	(void)sigaction(SIGTSTP, &old, NULL);
}

void
term_die(int sig)
{
	struct sigaction sa;

	term_restore();
	sa.sa_handler = SIG_DFL;
	sigemptyset(&sa.sa_mask);
	sa.sa_flags = 0;
	(void)sigaction(sig, &sa, NULL);
	(void)raise(sig);
	/* A signal whose default is not to die (none of ours) ends here. */
	_exit(128 + sig);
}
