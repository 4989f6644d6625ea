/* test_client_pty: lobby on a pseudo-terminal, checked from the screen. */
#define _XOPEN_SOURCE 700	/* posix_openpt() and friends */

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#include <setjmp.h>
#include <cmocka.h>

#include "harness.h"
#include "editor.h"
#include "screen.h"

#define ROWS	24
#define COLS	80
#define RAWMAX	(1 << 20)	/* terminal bytes kept for byte-level checks */
#define WIDE_R	"\001"
#ifndef BURST_LINES
#define BURST_LINES	110000	/* lines of the burst test: 7 MB on screen */
#endif		/* the right half of a double-width cell */

/*
 * A tiny terminal: enough of a VT100 for what lobby writes (CR, LF, erase
 * to end of line, cursor forward and back, colours ignored) to tell what
 * a person would see on each row and where the cursor is.
 */
struct vt {
	char		 cell[ROWS][COLS][8];	/* UTF-8 text of each cell */
	int		 cols;			/* columns in use, at most COLS */
	int		 row;			/* cursor row */
	int		 col;			/* cursor column */
	int		 bells;			/* BEL bytes seen */
	int		 state;			/* 0 text, 1 after ESC, 2 in CSI */
	char		 par[32];		/* CSI parameters so far */
	size_t		 npar;			/* bytes in par */
	unsigned char	 u8[4];			/* UTF-8 character so far */
	size_t		 nu8;			/* bytes in u8 */
	char		*raw;			/* every byte, NUL-terminated */
	size_t		 nraw;			/* bytes in raw */
};

static char	state_dir[64];		/* XDG_STATE_HOME of every lobby */
static const char *tty_term = "xterm";	/* TERM of the next lobby */
static bool	tty_job;		/* run the next lobby as a shell's job */

/* lobby on the slave side of a pty. */
struct tty {
	pid_t		 pid;		/* the child, or -1 once reaped */
	int		 master;	/* our side */
	int		 status;	/* wait status once reaped */
	bool		 eof;		/* the slave side is gone */
	struct vt	 scr;		/* what it drew */
};

static void
scr_clear_row(struct vt *s, int r, int from)
{
	int c;

	for (c = from; c < COLS; c++)
		strcpy(s->cell[r][c], " ");
}

static void
scr_newline(struct vt *s)
{
	if (++s->row < ROWS)
		return;
	memmove(s->cell[0], s->cell[1], sizeof s->cell[0] * (ROWS - 1));
	scr_clear_row(s, ROWS - 1, 0);
	s->row = ROWS - 1;
}

/* Put one whole UTF-8 character at the cursor. */
static void
scr_put(struct vt *s)
{
	uint32_t cp;
	int w;

	if (s->nu8 == 1)
		cp = s->u8[0];
	else if (s->nu8 == 2)
		cp = (uint32_t)(s->u8[0] & 0x1f) << 6 | (s->u8[1] & 0x3f);
	else if (s->nu8 == 3)
		cp = (uint32_t)(s->u8[0] & 0x0f) << 12 |
		    (uint32_t)(s->u8[1] & 0x3f) << 6 | (s->u8[2] & 0x3f);
	else
		cp = (uint32_t)(s->u8[0] & 0x07) << 18 |
		    (uint32_t)(s->u8[1] & 0x3f) << 12 |
		    (uint32_t)(s->u8[2] & 0x3f) << 6 | (s->u8[3] & 0x3f);
	w = editor_cpwidth(cp);
	if (w == 0)
		return;
	if (s->col + w > s->cols) {
		s->col = 0;
		scr_newline(s);
	}
	memcpy(s->cell[s->row][s->col], s->u8, s->nu8);
	s->cell[s->row][s->col][s->nu8] = '\0';
	if (w == 2)
		strcpy(s->cell[s->row][s->col + 1], WIDE_R);
	s->col += w;
}

/* The end of a CSI sequence. */
static void
scr_csi(struct vt *s, char final)
{
	int n, r;

	s->par[s->npar] = '\0';
	n = atoi(s->par);
	/* Private modes (ESC [ ? 2004 h): nothing to draw. */
	if (s->par[0] == '?')
		return;
	switch (final) {
	case 'K':
		if (n == 0)
			scr_clear_row(s, s->row, s->col);
		break;
	case 'J':
		if (n == 2) {
			for (r = 0; r < ROWS; r++)
				scr_clear_row(s, r, 0);
		} else if (n == 0) {
			scr_clear_row(s, s->row, s->col);
			for (r = s->row + 1; r < ROWS; r++)
				scr_clear_row(s, r, 0);
		}
		break;
	case 'H':
		s->row = s->col = 0;
		break;
	case 'A':
		s->row -= n > 0 ? n : 1;
		if (s->row < 0)
			s->row = 0;
		break;
	case 'C':
		s->col += n > 0 ? n : 1;
		if (s->col >= s->cols)
			s->col = s->cols - 1;
		break;
	case 'D':
		s->col -= n > 0 ? n : 1;
		if (s->col < 0)
			s->col = 0;
		break;
	}
}

static void
scr_byte(struct vt *s, unsigned char b)
{
	if (s->nraw < RAWMAX - 1) {
		s->raw[s->nraw++] = (char)b;
		s->raw[s->nraw] = '\0';
	}
	if (s->state == 1) {
		s->state = b == '[' ? 2 : 0;
		s->npar = 0;
		return;
	}
	if (s->state == 2) {
		if (b >= 0x40 && b <= 0x7e) {
			s->state = 0;
			scr_csi(s, (char)b);
		} else if (s->npar < sizeof s->par - 1)
			s->par[s->npar++] = (char)b;
		return;
	}
	if (s->nu8 > 0 && (b & 0xc0) == 0x80) {
		s->u8[s->nu8++] = b;
		if ((s->u8[0] >= 0xf0 && s->nu8 == 4) ||
		    (s->u8[0] >= 0xe0 && s->u8[0] < 0xf0 && s->nu8 == 3) ||
		    (s->u8[0] < 0xe0 && s->nu8 == 2)) {
			scr_put(s);
			s->nu8 = 0;
		}
		return;
	}
	s->nu8 = 0;
	if (b == 0x1b)
		s->state = 1;
	else if (b == '\r')
		s->col = 0;
	else if (b == '\n')
		scr_newline(s);
	else if (b == '\b' && s->col > 0)
		s->col--;
	else if (b == '\a')
		s->bells++;
	else if (b >= 0x20 && b < 0x80) {
		s->u8[0] = b;
		s->nu8 = 1;
		scr_put(s);
		s->nu8 = 0;
	} else if (b >= 0xc2 && b <= 0xf4) {
		s->u8[0] = b;
		s->nu8 = 1;
	}
}

/* Row r as text, trailing blanks removed (static storage). */
static const char *
scr_row(const struct vt *s, int r)
{
	static char text[COLS * 8 + 1];
	size_t n = 0;
	int c;

	for (c = 0; c < s->cols; c++) {
		if (strcmp(s->cell[r][c], WIDE_R) == 0)
			continue;
		strcpy(text + n, s->cell[r][c]);
		n += strlen(s->cell[r][c]);
	}
	while (n > 0 && text[n - 1] == ' ')
		n--;
	text[n] = '\0';
	return text;
}

/* The first row that reads exactly text, or -1. */
static int
scr_find(const struct vt *s, const char *text)
{
	int r;

	for (r = 0; r < ROWS; r++)
		if (strcmp(scr_row(s, r), text) == 0)
			return r;
	return -1;
}

/* Print the screen: what a failing test shows. */
static void
scr_dump(const struct vt *s)
{
	int r;

	for (r = 0; r < ROWS; r++)
		fprintf(stderr, "%2d|%s\n", r, scr_row(s, r));
	fprintf(stderr, "cursor %d,%d\n", s->row, s->col);
}

/*
 * In the child that owns the terminal: run lobby the way a shell runs a
 * job, in a process group of its own in the foreground, so that a
 * SIGTSTP really stops it (the group of a session leader is orphaned,
 * and the kernel drops stop signals sent to one). Exits as lobby did.
 */
static void
tty_shell(const char **argv)
{
	sigset_t ttou, old;
	pid_t job;
	int st;

	if ((job = fork()) == -1)
		_exit(127);
	if (job == 0) {
		(void)setpgid(0, 0);
		sigemptyset(&ttou);
		sigaddset(&ttou, SIGTTOU);
		(void)sigprocmask(SIG_BLOCK, &ttou, &old);
		(void)tcsetpgrp(STDIN_FILENO, getpgrp());
		(void)sigprocmask(SIG_SETMASK, &old, NULL);
		execv(argv[0], (char *const *)argv);
		_exit(127);
	}
	while (waitpid(job, &st, 0) == -1)
		if (errno != EINTR)
			_exit(127);
	_exit(WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st));
}

/* The only child of pid (the job tty_shell() started), or -1. */
static pid_t
tty_job_pid(pid_t pid)
{
	char path[64];
	long long end = h_now_ms() + H_TIMEOUT_MS;
	long child = -1;
	FILE *f;

	snprintf(path, sizeof path, "/proc/%ld/task/%ld/children", (long)pid,
	    (long)pid);
	while (child == -1 && h_now_ms() < end) {
		if ((f = fopen(path, "r")) != NULL) {
			if (fscanf(f, "%ld", &child) != 1)
				child = -1;
			fclose(f);
		}
		if (child == -1)
			h_sleep_ms(10);
	}
	return (pid_t)child;
}

/* The state letter of process pid in /proc (R, S, T...), or '?'. */
static char
proc_state(pid_t pid)
{
	char path[64], line[512], *p;
	FILE *f;

	snprintf(path, sizeof path, "/proc/%ld/stat", (long)pid);
	if ((f = fopen(path, "r")) == NULL)
		return '?';
	p = fgets(line, sizeof line, f);
	fclose(f);
	if (p == NULL || (p = strrchr(line, ')')) == NULL || p[1] == '\0')
		return '?';
	return p[2];
}

/* Start lobby on a new 80x24 pty with the NULL-terminated arguments. */
static struct tty *
tty_start(int color, ...)
{
	struct winsize ws = { ROWS, COLS, 0, 0 };
	const char *argv[32];
	struct tty *t = calloc(1, sizeof *t);
	char *name;
	va_list ap;
	int n = 0, slave, r, c;

	assert_non_null(t);
	assert_non_null(t->scr.raw = malloc(RAWMAX));
	t->scr.raw[0] = '\0';
	t->scr.cols = COLS;
	for (r = 0; r < ROWS; r++)
		for (c = 0; c < COLS; c++)
			strcpy(t->scr.cell[r][c], " ");
	argv[n++] = h_lobby_path();
	va_start(ap, color);
	while (n < 31 && (argv[n] = va_arg(ap, const char *)) != NULL)
		n++;
	va_end(ap);
	argv[n] = NULL;
	t->master = posix_openpt(O_RDWR | O_NOCTTY);
	assert_true(t->master != -1);
	assert_int_equal(grantpt(t->master), 0);
	assert_int_equal(unlockpt(t->master), 0);
	(void)fcntl(t->master, F_SETFD, FD_CLOEXEC);
	assert_non_null(name = ptsname(t->master));
	fflush(NULL);
	t->pid = fork();
	assert_true(t->pid != -1);
	if (t->pid == 0) {
		setsid();
		/* The first terminal a session leader opens becomes its own. */
		if ((slave = open(name, O_RDWR)) == -1)
			_exit(127);
#ifdef TIOCSCTTY
		(void)ioctl(slave, TIOCSCTTY, 0);
#endif
		(void)ioctl(slave, TIOCSWINSZ, &ws);
		dup2(slave, STDIN_FILENO);
		dup2(slave, STDOUT_FILENO);
		dup2(slave, STDERR_FILENO);
		close(slave);
		close(t->master);
		if (color)
			unsetenv("NO_COLOR");
		else
			setenv("NO_COLOR", "1", 1);
		/* A known terminal, and history kept away from $HOME. */
		setenv("TERM", tty_term, 1);
		unsetenv("COLORTERM");
		setenv("XDG_STATE_HOME", state_dir, 1);
		if (tty_job)
			tty_shell(argv);
		execv(argv[0], (char *const *)argv);
		_exit(127);
	}
	(void)fcntl(t->master, F_SETFL,
	    fcntl(t->master, F_GETFL) | O_NONBLOCK);
	h_track_child(t->pid);
	return t;
}

/* Read what the terminal shows, for up to ms. */
static void
tty_pump(struct tty *t, int ms)
{
	long long end = h_now_ms() + ms;
	unsigned char data[4096];
	struct pollfd p;
	ssize_t n, i;
	int left;

	while (!t->eof && (left = (int)(end - h_now_ms())) > 0) {
		p.fd = t->master;
		p.events = POLLIN;
		if (poll(&p, 1, left) <= 0)
			continue;
		n = read(t->master, data, sizeof data);
		if (n == -1 && errno == EAGAIN)
			continue;
		if (n <= 0) {
			t->eof = true;	/* EIO once the slave is closed */
			break;
		}
		for (i = 0; i < n; i++)
			scr_byte(&t->scr, data[i]);
	}
}

/* Wait up to ms until some row reads exactly text. */
static bool
tty_wait_row(struct tty *t, const char *text, int ms)
{
	long long end = h_now_ms() + ms;

	while (scr_find(&t->scr, text) == -1 && h_now_ms() < end && !t->eof)
		tty_pump(t, 20);
	if (scr_find(&t->scr, text) != -1)
		return true;
	fprintf(stderr, "no row reads \"%s\":\n", text);
	scr_dump(&t->scr);
	return false;
}

/*
 * Wait up to ms until the cursor's row reads text (its trailing blanks
 * aside, as scr_row() gives it) with the cursor at col.
 */
static bool
tty_wait_input(struct tty *t, const char *text, int col, int ms)
{
	long long end = h_now_ms() + ms;
	size_t n = strlen(text);

	while (n > 0 && text[n - 1] == ' ')
		n--;
	for (;;) {
		if (strncmp(scr_row(&t->scr, t->scr.row), text, n) == 0 &&
		    scr_row(&t->scr, t->scr.row)[n] == '\0' &&
		    t->scr.col == col)
			return true;
		if (h_now_ms() >= end || t->eof)
			break;
		tty_pump(t, 20);
	}
	fprintf(stderr, "input row is not \"%s\" at %d:\n", text, col);
	scr_dump(&t->scr);
	return false;
}

/* Type s, as keys. */
static void
tty_type(struct tty *t, const char *s)
{
	size_t n = strlen(s);
	ssize_t w;

	while (n > 0) {
		w = write(t->master, s, n);
		if (w == -1 && errno == EAGAIN) {
			/* Let lobby run: read what it drew meanwhile. */
			tty_pump(t, 5);
			continue;
		}
		assert_true(w > 0);
		s += w;
		n -= (size_t)w;
	}
}

/*
 * Wait (bounded) for lobby to end; returns the wait status, or -1 when it
 * did not end in time.
 */
static int
tty_wait(struct tty *t, int ms)
{
	long long end = h_now_ms() + ms;

	while (h_now_ms() < end) {
		tty_pump(t, 20);
		if (h_wait_pid(t->pid, &t->status, 0) == 0) {
			t->pid = -1;
			tty_pump(t, 100);
			return t->status;
		}
	}
	return -1;
}

/* Was the terminal left as it was found: canonical, echoing? */
static bool
tty_restored(const struct tty *t)
{
	struct termios tio;

	if (tcgetattr(t->master, &tio) == -1)
		return false;
	return (tio.c_lflag & (ICANON | ECHO | ISIG)) ==
	    (tcflag_t)(ICANON | ECHO | ISIG) && (tio.c_iflag & ICRNL);
}

/* Is the terminal in lobby's raw mode: no canonical input, no echo? */
static bool
tty_is_raw(const struct tty *t)
{
	struct termios tio;

	if (tcgetattr(t->master, &tio) == -1)
		return false;
	return (tio.c_lflag & (ICANON | ECHO | ISIG)) == 0;
}

/* Wait up to ms until the terminal is raw (want) or not. */
static bool
tty_wait_raw(struct tty *t, bool want, int ms)
{
	long long end = h_now_ms() + ms;

	while (tty_is_raw(t) != want && h_now_ms() < end)
		tty_pump(t, 10);
	return tty_is_raw(t) == want;
}

/* Wait up to ms until lobby's output so far holds needle. */
static bool
tty_wait_raw_text(struct tty *t, const char *needle, int ms)
{
	long long end = h_now_ms() + ms;

	while (strstr(t->scr.raw, needle) == NULL && h_now_ms() < end &&
	    !t->eof)
		tty_pump(t, 10);
	return strstr(t->scr.raw, needle) != NULL;
}

/* Rows whose text starts with prefix. */
static int
scr_count_prefix(const struct vt *s, const char *prefix)
{
	int r, n = 0;

	for (r = 0; r < ROWS; r++)
		if (strncmp(scr_row(s, r), prefix, strlen(prefix)) == 0)
			n++;
	return n;
}

/*
 * Make the window cols wide, the way terminals that reflow do it: a row
 * longer than the new width wraps onto new rows below it (scrolling the
 * screen up when it must), the cursor going with its text. Then tell
 * lobby (the kernel sends SIGWINCH).
 */
static void
tty_resize(struct tty *t, int cols)
{
	static char old[ROWS][COLS][8];
	struct winsize ws = { ROWS, 0, 0, 0 };
	struct vt *s = &t->scr;
	int r, c, len, parts, nr = 0, crow = 0, ccol = 0, p, k;
	int rows[ROWS * COLS], from[ROWS * COLS];

	memcpy(old, s->cell, sizeof old);
	/* The rows below the cursor are blank: lobby draws at the end. */
	for (r = 0; r <= s->row; r++) {
		for (len = s->cols; len > 0 &&
		    strcmp(old[r][len - 1], " ") == 0; len--)
			;
		if (r == s->row && s->col + 1 > len)
			len = s->col + 1;
		parts = len > cols ? (len + cols - 1) / cols : 1;
		for (p = 0; p < parts; p++) {
			rows[nr] = r;
			from[nr] = p * cols;
			if (r == s->row && s->col >= p * cols &&
			    s->col < (p + 1) * cols) {
				crow = nr;
				ccol = s->col - p * cols;
			}
			nr++;
		}
	}
	/* The rows past the screen's end push the top ones out. */
	k = nr > ROWS ? nr - ROWS : 0;
	for (r = 0; r < ROWS; r++)
		for (c = 0; c < COLS; c++)
			strcpy(s->cell[r][c], " ");
	for (r = 0; r + k < nr && r < ROWS; r++)
		for (c = 0; c < cols && from[r + k] + c < COLS; c++)
			strcpy(s->cell[r][c], old[rows[r + k]][from[r + k] + c]);
	s->row = crow - k;
	s->col = ccol;
	s->cols = cols;
	ws.ws_col = (unsigned short)cols;
	assert_int_equal(ioctl(t->master, TIOCSWINSZ, &ws), 0);
}

static void
tty_free(struct tty *t)
{
	h_kill_child(&t->pid, &t->status);
	close(t->master);
	free(t->scr.raw);
	free(t);
}

/* lobby -n NICK to the server, waits for its prompt. */
static struct tty *
tty_join(const struct h_server *s, const char *nick, bool color)
{
	char port[16], want[64];
	struct tty *t;
	long long end;

	snprintf(port, sizeof port, "%u", s->port);
	t = tty_start(color, "-n", nick, "127.0.0.1", port, NULL);
	snprintf(want, sizeof want, "is now %s", nick);
	end = h_now_ms() + H_TIMEOUT_MS;
	while (strstr(t->scr.raw, want) == NULL && !t->eof &&
	    h_now_ms() < end)
		tty_pump(t, 20);
	assert_non_null(strstr(t->scr.raw, want));
	assert_true(tty_wait_input(t, "[lobby]> ", 9, H_TIMEOUT_MS));
	return t;
}

/* Ctrl-D on the empty line: the client exits; t is freed. */
static void
tty_quit(struct tty *t)
{
	tty_type(t, "\004");
	assert_true(WIFEXITED(tty_wait(t, 4000)));
	tty_free(t);
}

/*
 * Start s, and alice's client on it goes to dev; s stops and the client
 * says it reconnects. Returns the client; port is s's, for the server
 * that comes back on it.
 */
static struct tty *
tty_lost_in_dev(struct h_server *s, char *port, size_t size)
{
	struct tty *t;

	assert_int_equal(h_start(s, NULL), 0);
	snprintf(port, size, "%u", s->port);
	t = tty_join(s, "alice", false);
	tty_type(t, "/join dev\r");
	assert_true(tty_wait_input(t, "[dev]> ", 7, 3000));
	h_stop(s);
	assert_true(tty_wait_row(t, "*** disconnected from server, "
	    "reconnecting in 1 s (/quit leaves)", 3000));
	return t;
}

/* ------------------------------------------------------------------ */

/*
 * Half a line typed, a message arrives: the message shows whole on its
 * own row, and the half line is redrawn below it with the cursor where it
 * was; the line then goes out intact.
 */
static void
test_incoming_keeps_input(void **state)
{
	struct h_server s;
	struct h_conn *bob;
	struct tty *t;
	char bobnick[32];
	int r;

	(void)state;
	assert_int_equal(h_start(&s, NULL), 0);
	bob = h_join(&s, bobnick);
	assert_string_equal(bobnick, "guest1");
	t = tty_join(&s, "alice", false);
	h_expect_skip(bob, "*** guest2 is now alice");
	assert_true(tty_wait_row(t, "*** guest2 is now alice", 3000));

	tty_type(t, "hello 你好 wor");
	assert_true(tty_wait_input(t, "[lobby]> hello 你好 wor", 23, 3000));
	/* Move the cursor into the line: it must come back there. */
	tty_type(t, "\033[D\033[D");
	assert_true(tty_wait_input(t, "[lobby]> hello 你好 wor", 21, 3000));

	h_send(bob, "incoming 消息 here\n");
	assert_true(tty_wait_row(t, "<guest1> incoming 消息 here", 3000));
	assert_true(tty_wait_input(t, "[lobby]> hello 你好 wor", 21, 3000));
	r = scr_find(&t->scr, "<guest1> incoming 消息 here");
	assert_int_equal(t->scr.row, r + 1);
	/* The input line shows once, below the message, nowhere else. */
	assert_int_equal(scr_find(&t->scr, "[lobby]> hello 你好 wor"), r + 1);

	/* Finish the line: it goes out whole, and shows as sent. */
	tty_type(t, "\005ld\r");
	h_expect(bob, "<alice> hello 你好 world");
	assert_true(tty_wait_row(t, "<alice> hello 你好 world", 3000));
	assert_true(tty_wait_input(t, "[lobby]> ", 9, 3000));

	/* Backspace takes a whole wide character; Up brings the line back. */
	tty_type(t, "\033[A");
	assert_true(tty_wait_input(t, "[lobby]> hello 你好 world", 25, 3000));
	tty_type(t, "\001\033[C\033[C\033[C\033[C\033[C\033[C\033[C\033[C\177");
	assert_true(tty_wait_input(t, "[lobby]> hello 你 world", 17, 3000));
	tty_type(t, "\r");
	h_expect(bob, "<alice> hello 你 world");

	/* Ctrl-D on the empty line: /quit, exit 0, terminal as it was. */
	tty_type(t, "\004");
	h_expect(bob, "*** alice left");
	r = tty_wait(t, 4000);
	assert_true(WIFEXITED(r) && WEXITSTATUS(r) == 0);
	assert_true(tty_restored(t));
	tty_free(t);
	h_close(bob);
	h_stop(&s);
}

/*
 * The server goes away: the client says so, keeps what was being typed,
 * and reconnects by itself as the same nick once a server is back on
 * the same port, within 15 s.
 */
static void
test_server_loss(void **state)
{
	struct h_server s, again;
	struct h_conn *bob;
	struct tty *t;
	char port[16];
	int st;

	(void)state;
	assert_int_equal(h_start(&s, NULL), 0);
	snprintf(port, sizeof port, "%u", s.port);
	t = tty_join(&s, "alice", false);
	tty_type(t, "half a li");
	assert_true(tty_wait_input(t, "[lobby]> half a li", 18, 3000));
	h_stop(&s);
	assert_true(tty_wait_row(t, "*** disconnected from server, "
	    "reconnecting in 1 s (/quit leaves)", 3000));
	/* What was being typed is still there. */
	assert_true(tty_wait_input(t, "[lobby]> half a li", 18, 3000));
	/* Nobody there yet: the next try waits longer. */
	assert_true(tty_wait_raw_text(t, "reconnecting in 2 s", 5000));
	/* Stopped while the server starts and bob comes first (its next
	 * try may come as soon as the port listens). */
	assert_int_equal(kill(t->pid, SIGSTOP), 0);
	assert_int_equal(h_start(&again, "-p", port, NULL), 0);
	assert_int_equal(again.port, s.port);
	bob = h_join(&again, NULL);
	assert_int_equal(kill(t->pid, SIGCONT), 0);
	h_expect_skip_within(bob, "*** guest2 is now alice", 15000);
	assert_true(tty_wait_input(t, "[lobby]> half a li", 18, 3000));
	/* And it works as before. */
	tty_type(t, "\025back\r");
	h_expect_skip(bob, "<alice> back");
	tty_type(t, "\004");
	st = tty_wait(t, 4000);
	assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	assert_true(tty_restored(t));
	tty_free(t);
	h_close(bob);
	h_stop(&again);
}

/* Disconnected: Ctrl-D (or /quit) still leaves, with status 0. */
static void
test_server_loss_quit(void **state)
{
	struct h_server s;
	struct tty *t;
	int st;

	(void)state;
	assert_int_equal(h_start(&s, NULL), 0);
	t = tty_join(&s, "alice", false);
	h_stop(&s);
	assert_true(tty_wait_raw_text(t, "*** disconnected from server", 3000));
	tty_type(t, "hello\r");
	assert_true(tty_wait_raw_text(t, "lobby: not connected, not sent",
	    3000));
	tty_type(t, "/quit\r");
	st = tty_wait(t, 4000);
	assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	assert_true(tty_restored(t));
	tty_free(t);
}

/*
 * Colours on a terminal; and a signal still gives the terminal back, and
 * lets the process die of it.
 */
static void
test_colors_and_signal(void **state)
{
	struct h_server s;
	struct screen colors;
	struct h_conn *bob;
	struct tty *t;
	char want[128];
	int st;

	(void)state;
	assert_int_equal(h_start(&s, NULL), 0);
	bob = h_join(&s, NULL);
	t = tty_join(&s, "alice", true);
	h_expect_skip(bob, "*** guest2 is now alice");
	h_send(bob, "hi\n/me waves\n/msg alice psst\n");
	assert_true(tty_wait_row(t, "[pm] <guest1> psst", 3000));
	/* Each nick in its own colour (TERM=xterm: the 8 colours). */
	screen_init(&colors, true, true);
	snprintf(want, sizeof want, "%s<guest1>\033[0m hi",
	    screen_nick_color(&colors, "guest1", 6));
	assert_non_null(strstr(t->scr.raw, want));
	snprintf(want, sizeof want, "%s* guest1\033[0m waves",
	    screen_nick_color(&colors, "guest1", 6));
	assert_non_null(strstr(t->scr.raw, want));
	assert_non_null(strstr(t->scr.raw,
	    "\033[1;35m[pm] <guest1>\033[0m psst"));
	assert_non_null(strstr(t->scr.raw,
	    "\033[36m*** guest2 is now alice\033[0m"));
	tty_type(t, "/nosuch\r");
	assert_true(tty_wait_row(t, "!!! unknown command /nosuch (try /help)",
	    3000));
	assert_non_null(strstr(t->scr.raw, "\033[31m!!! unknown command"));

	tty_type(t, "typing");
	assert_true(tty_wait_input(t, "[lobby]> typing", 15, 3000));
	kill(t->pid, SIGTERM);
	h_expect(bob, "*** alice left");
	st = tty_wait(t, 4000);
	assert_true(WIFSIGNALED(st) && WTERMSIG(st) == SIGTERM);
	assert_true(tty_restored(t));
	tty_free(t);
	h_close(bob);
	h_stop(&s);
}

/* A paste of 1000 lines into the terminal: all go out, in order. */
static void
test_paste_1000(void **state)
{
	struct h_server s;
	struct h_conn *bob;
	struct tty *t;
	char *text, want[96];
	const char *got;
	size_t off = 0;
	long long end;
	int i, st;

	(void)state;
	assert_int_equal(h_start(&s, NULL), 0);
	bob = h_join(&s, NULL);
	t = tty_join(&s, "paster", false);
	h_expect_skip(bob, "*** guest2 is now paster");
	text = malloc(1000 * 64);
	assert_non_null(text);
	for (i = 0; i < 1000; i++)
		off += (size_t)sprintf(text + off, "pasted line %04d 粘贴\r", i);
	tty_type(t, text);
	for (i = 0; i < 1000; i++) {
		snprintf(want, sizeof want, "<paster> pasted line %04d 粘贴", i);
		/* Keep reading the terminal too, as a real one would: lobby
		 * echoes every line and must not stall on a full pty. */
		end = h_now_ms() + H_TIMEOUT_MS;
		while ((got = h_line(bob, 10)) == NULL && h_now_ms() < end)
			tty_pump(t, 10);
		assert_non_null(got);
		assert_string_equal(got, want);
	}
	assert_true(tty_wait_row(t, "<paster> pasted line 0999 粘贴", 3000));
	tty_type(t, "\003");
	h_expect(bob, "*** paster left");
	st = tty_wait(t, 4000);
	assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	free(text);
	tty_free(t);
	h_close(bob);
	h_stop(&s);
}

/* Start a lobbyd and join bob (as a socket) and alice (on a pty). */
static struct tty *
two_joined(struct h_server *s, struct h_conn **bob, const char *const *args)
{
	struct tty *t;

	assert_int_equal(h_startv(s, args), 0);
	*bob = h_join(s, NULL);
	t = tty_join(s, "alice", false);
	h_expect_skip(*bob, "*** guest2 is now alice");
	return t;
}

/* Nothing more arrives for c before the answer to a /who of its own. */
static void
expect_nothing_more(struct h_conn *c)
{
	const char *l;

	h_send(c, "/who\n");
	l = h_line(c, H_TIMEOUT_MS);
	assert_non_null(l);
	assert_non_null(strstr(l, " online: "));
}

/*
 * Defect 1: a line over the server's limit went out and was refused. It
 * is now refused by the client, with a word, and stays in the editor;
 * the limit is the server's default, or --max-line.
 */
static void
test_max_line(void **state)
{
	struct h_server s;
	static const char *const none[] = { NULL };
	struct h_conn *bob;
	struct tty *t;
	char line[1200], want[1200], port[16];
	int i;

	(void)state;
	t = two_joined(&s, &bob, none);
	memset(line, 'x', 1100);
	line[1100] = '\0';
	tty_type(t, line);
	tty_type(t, "\r");
	assert_true(tty_wait_row(t, "lobby: line too long (1100 bytes, the "
	    "server takes 1024): not sent", 3000));
	expect_nothing_more(bob);
	/* Still there to edit: cut down to 1024 bytes, it goes. */
	for (i = 0; i < 76; i++)
		tty_type(t, "\177");
	tty_type(t, "\r");
	snprintf(want, sizeof want, "<alice> %.1024s", line);
	h_expect(bob, want);
	tty_free(t);

	/* --max-line for a server that takes less. */
	snprintf(port, sizeof port, "%u", s.port);
	t = tty_start(0, "--max-line", "10", "127.0.0.1", port, NULL);
	assert_true(tty_wait_input(t, "[lobby]> ", 9, 3000));
	tty_type(t, "hello world\r");
	assert_true(tty_wait_row(t, "lobby: line too long (11 bytes, the "
	    "server takes 10): not sent", 3000));
	assert_true(tty_wait_input(t, "[lobby]> hello world", 20, 3000));
	tty_free(t);
	h_close(bob);
	h_stop(&s);
}

/*
 * A paste with a line over the server's limit: none of it goes (the
 * lines after that line were lost), lobby says which line, and the input
 * line stays as it was; a paste of lines that fit then goes whole.
 */
static void
test_paste_too_long(void **state)
{
	struct h_server s;
	static const char *const none[] = { NULL };
	struct h_conn *bob;
	struct tty *t;
	char paste[2100];

	(void)state;
	t = two_joined(&s, &bob, none);
	tty_type(t, "typed ");
	strcpy(paste, "\033[200~first\n");
	memset(paste + strlen(paste), 'x', 2000);
	strcpy(paste + 6 + 6 + 2000, "\nsecond\nthird\n\033[201~");
	tty_type(t, paste);
	assert_true(tty_wait_row(t, "lobby: paste not sent: line 2 too long "
	    "(2000 bytes, the server takes 1024)", 3000));
	assert_true(tty_wait_input(t, "[lobby]> typed ", 15, 3000));
	expect_nothing_more(bob);
	tty_type(t, "\033[200~one\ntwo\n\033[201~");
	h_expect(bob, "<alice> typed one");
	h_expect(bob, "<alice> two");
	tty_quit(t);
	h_close(bob);
	h_stop(&s);
}

/*
 * A paste over 1 MiB was cut there without a word, and what came before
 * the cut went out as if it were all. None of it goes now, lobby says
 * why, and the input line stays as it was.
 */
static void
test_paste_over_cap(void **state)
{
	struct h_server s;
	static const char *const none[] = { NULL };
	struct h_conn *bob;
	struct tty *t;
	char *paste, want[128];
	size_t off, lines = 100000;

	(void)state;
	t = two_joined(&s, &bob, none);
	tty_type(t, "typed ");
	/* 100000 short lines, each one fine: 1.1 MB in all. */
	paste = malloc(lines * 11 + 16);
	assert_non_null(paste);
	off = (size_t)sprintf(paste, "\033[200~");
	while (lines-- > 0)
		off += (size_t)sprintf(paste + off, "line %05zu\n", lines);
	off += (size_t)sprintf(paste + off, "\033[201~");
	tty_type(t, paste);
	snprintf(want, sizeof want, "lobby: paste not sent: too long (%zu "
	    "bytes, a paste holds %d)", off - 12, EDITOR_PASTE_MAX);
	assert_true(tty_wait_row(t, want, 5000));
	assert_true(tty_wait_input(t, "[lobby]> typed ", 15, 3000));
	assert_null(strstr(t->scr.raw, "paste of "));
	expect_nothing_more(bob);
	free(paste);
	tty_type(t, "\025");
	tty_quit(t);
	h_close(bob);
	h_stop(&s);
}

/*
 * Defect 2: a lone Esc ate the next key, and Esc then an arrow typed
 * "[A". A short timeout tells a lone Esc; ESC ESC [ D is Meta-Left.
 */
static void
test_escape(void **state)
{
	struct h_server s;
	static const char *const none[] = { NULL };
	struct h_conn *bob;
	struct tty *t;

	(void)state;
	t = two_joined(&s, &bob, none);
	tty_type(t, "hello\033");
	tty_pump(t, 200);
	tty_type(t, "xyz\r");
	h_expect(bob, "<alice> helloxyz");
	/* Esc, a wait, then Up: the line back, no "[A". */
	tty_type(t, "\033");
	tty_pump(t, 200);
	tty_type(t, "\033[A");
	assert_true(tty_wait_input(t, "[lobby]> helloxyz", 17, 3000));
	/* Meta-Left, Alt-b, Alt-d, Alt-Backspace. */
	tty_type(t, "\025one two three");
	tty_type(t, "\033\033[D");
	assert_true(tty_wait_input(t, "[lobby]> one two three", 17, 3000));
	tty_type(t, "\033b");
	assert_true(tty_wait_input(t, "[lobby]> one two three", 13, 3000));
	tty_type(t, "\033d");
	assert_true(tty_wait_input(t, "[lobby]> one  three", 13, 3000));
	tty_type(t, "\033\177");	/* "one " and the cursor before " three" */
	assert_true(tty_wait_input(t, "[lobby]>  three", 9, 3000));
	tty_type(t, "\005 four\r");
	h_expect(bob, "<alice>  three four");
	tty_free(t);
	h_close(bob);
	h_stop(&s);
}

/*
 * Defect 3: sideways scrolling hid text with no sign. `<` and `>` mark
 * it, at the edges of the input line.
 */
static void
test_scroll_markers(void **state)
{
	struct h_server s;
	static const char *const none[] = { NULL };
	struct h_conn *bob;
	struct tty *t;
	char line[128];
	const char *row;
	int i;

	(void)state;
	t = two_joined(&s, &bob, none);
	for (i = 0; i < 100; i++)
		line[i] = (char)('a' + i % 26);
	line[100] = '\0';
	tty_type(t, line);
	/* The end shows, the start is marked hidden. */
	tty_pump(t, 300);
	row = scr_row(&t->scr, t->scr.row);
	assert_true(strncmp(row, "[lobby]> <", 10) == 0);
	assert_non_null(strstr(row, "uv"));
	/* At the start: the end is marked hidden, in the last column used. */
	tty_type(t, "\001");
	tty_pump(t, 300);
	row = scr_row(&t->scr, t->scr.row);
	assert_true(strncmp(row, "[lobby]> abc", 12) == 0);
	assert_int_equal(row[strlen(row) - 1], '>');
	assert_int_equal((int)strlen(row), COLS - 1);
	assert_int_equal(t->scr.col, 9);
	tty_free(t);
	h_close(bob);
	h_stop(&s);
}

/*
 * Defects 5 and 6: a pasted TAB is kept (and sent as a TAB); a key that
 * does not fit in a full input line rings the bell.
 */
static void
test_tab_and_bell(void **state)
{
	struct h_server s;
	static const char *const none[] = { NULL };
	struct h_conn *bob;
	struct tty *t;
	char *full;
	int bells;

	(void)state;
	t = two_joined(&s, &bob, none);
	tty_type(t, "a\tb\r");
	h_expect(bob, "<alice> a\tb");
	/* In a bracketed paste too. */
	tty_type(t, "\033[200~c\td\033[201~\r");
	h_expect(bob, "<alice> c\td");
	full = malloc(EDITOR_MAX + 2);
	assert_non_null(full);
	memset(full, 'f', EDITOR_MAX);
	full[EDITOR_MAX] = '\0';
	tty_type(t, full);
	tty_pump(t, 300);
	bells = t->scr.bells;
	tty_type(t, "g");
	tty_pump(t, 300);
	assert_int_equal(t->scr.bells, bells + 1);
	free(full);
	tty_free(t);
	h_close(bob);
	h_stop(&s);
}

/*
 * Defect 7: a narrower window left a copy of the input line behind, and
 * Ctrl-L did not clear the screen. Both redraw one input line now.
 */
static void
test_resize_and_clear(void **state)
{
	struct h_server s;
	static const char *const none[] = { NULL };
	struct h_conn *bob;
	struct tty *t;
	char line[80];

	(void)state;
	t = two_joined(&s, &bob, none);
	memset(line, 'w', 63);
	line[63] = '\0';
	tty_type(t, line);
	tty_pump(t, 300);
	assert_int_equal(scr_count_prefix(&t->scr, "[lobby]> www"), 1);
	tty_resize(t, 40);
	assert_int_equal(t->scr.col, 72 - 40);	/* wrapped by the terminal */
	tty_pump(t, 500);
	assert_int_equal(scr_count_prefix(&t->scr, "[lobby]> "), 1);
	assert_int_equal(scr_count_prefix(&t->scr, "www"), 0);
	assert_true(strncmp(scr_row(&t->scr, t->scr.row), "[lobby]> <www",
	    13) == 0);
	/* Ctrl-L: a clean screen, the input line on its first row. */
	h_send(bob, "noise\n");
	assert_true(tty_wait_row(t, "<guest1> noise", 3000));
	tty_type(t, "\014");
	tty_pump(t, 300);
	assert_int_equal(scr_find(&t->scr, "<guest1> noise"), -1);
	assert_int_equal(t->scr.row, 0);
	assert_true(strncmp(scr_row(&t->scr, 0), "[lobby]> <www", 13) == 0);
	tty_free(t);
	h_close(bob);
	h_stop(&s);
}

/*
 * Defect 4: stopped from outside and continued, the client came back in
 * cooked mode without its prompt. A SIGCONT puts raw mode back and
 * redraws; a SIGTSTP gives the terminal back before stopping.
 */
static void
test_stop_continue(void **state)
{
	struct h_server s;
	static const char *const none[] = { NULL };
	struct h_conn *bob;
	struct termios tio;
	struct tty *t;
	size_t before;
	pid_t job;
	int i, st;

	(void)state;
	t = two_joined(&s, &bob, none);
	tty_type(t, "typing");
	assert_true(tty_wait_input(t, "[lobby]> typing", 15, 3000));
	/* SIGSTOP cannot be caught; a shell then restores cooked mode. */
	kill(t->pid, SIGSTOP);
	assert_int_equal(tcgetattr(t->master, &tio), 0);
	tio.c_lflag |= ICANON | ECHO | ISIG;
	assert_int_equal(tcsetattr(t->master, TCSANOW, &tio), 0);
	t->scr.row = ROWS - 1;
	t->scr.col = 0;
	tty_pump(t, 100);
	kill(t->pid, SIGCONT);
	assert_true(tty_wait_raw(t, true, 3000));
	assert_true(tty_wait_input(t, "[lobby]> typing", 15, 3000));
	tty_type(t, "\r");
	h_expect(bob, "<alice> typing");
	tty_free(t);

	/*
	 * As a shell's job: SIGTSTP stops it, with the terminal given
	 * back (cooked, paste mode off) while stopped; SIGCONT (fg) and
	 * it is raw again, the line redrawn. Ctrl-Z the same.
	 */
	tty_job = true;
	t = tty_join(&s, "carol", false);
	tty_job = false;
	assert_true((job = tty_job_pid(t->pid)) > 0);
	tty_type(t, "half");
	assert_true(tty_wait_input(t, "[lobby]> half", 13, 3000));
	before = t->scr.nraw;
	kill(job, SIGTSTP);
	for (i = 0; i < 300 && proc_state(job) != 'T'; i++)
		tty_pump(t, 10);
	assert_int_equal(proc_state(job), 'T');
	assert_true(tty_restored(t));
	tty_pump(t, 100);
	assert_non_null(strstr(t->scr.raw + before, "\033[?2004l"));
	kill(job, SIGCONT);
	assert_true(tty_wait_raw(t, true, 3000));
	assert_true(tty_wait_input(t, "[lobby]> half", 13, 3000));
	tty_type(t, "\032");		/* Ctrl-Z */
	for (i = 0; i < 300 && proc_state(job) != 'T'; i++)
		tty_pump(t, 10);
	assert_int_equal(proc_state(job), 'T');
	assert_true(tty_restored(t));
	kill(job, SIGCONT);
	assert_true(tty_wait_raw(t, true, 3000));
	assert_true(tty_wait_input(t, "[lobby]> half", 13, 3000));
	tty_type(t, " done\r");
	h_expect_skip(bob, "<carol> half done");
	tty_type(t, "\004");
	st = tty_wait(t, 4000);
	assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	tty_free(t);
	h_close(bob);
	h_stop(&s);
}

/*
 * Defect 10: a big burst got the client disconnected as too slow while
 * it wrote to a terminal that was not reading. The socket is read on
 * meanwhile, into a bounded screen queue. The burst is paced (about
 * 6 MB/s, which any client reads), and more than lobbyd's 1 MiB queue
 * and the kernel's socket buffers together hold for a client that does
 * not read at all.
 */
static void
test_burst_slow_terminal(void **state)
{
	struct h_server s;
	static const char *const none[] = { NULL };
	struct h_conn *bob;
	struct tty *t;
	char *burst;
	size_t off = 0, sent, k;
	int i;

	(void)state;
	t = two_joined(&s, &bob, none);
	burst = malloc(BURST_LINES * 64);
	assert_non_null(burst);
	for (i = 0; i < BURST_LINES; i++)
		off += (size_t)sprintf(burst + off, "burst line %06d "
		    "padding padding padding padding\n", i);
	/* Bob floods; the terminal is not read meanwhile. */
	for (sent = 0; sent < off; sent += k) {
		k = off - sent < 65536 ? off - sent : 65536;
		assert_int_equal(h_send_raw(bob, burst + sent, k), 0);
		h_sleep_ms(10);
	}
	h_sleep_ms(500);
	h_send(bob, "the end\n");
	assert_true(tty_wait_row(t, "<guest1> the end", 30000));
	assert_false(h_log_has(&s, "too slow", 0));
	assert_int_equal(scr_find(&t->scr, "*** disconnected from server"),
	    -1);
	free(burst);
	tty_free(t);
	h_close(bob);
	h_stop(&s);
}

/* Defect 11: TERM=dumb gets plain lines: no colour, no cursor codes. */
static void
test_dumb_terminal(void **state)
{
	struct h_server s;
	struct h_conn *bob;
	struct tty *t;
	char port[16];

	(void)state;
	assert_int_equal(h_start(&s, NULL), 0);
	bob = h_join(&s, NULL);
	snprintf(port, sizeof port, "%u", s.port);
	tty_term = "dumb";
	t = tty_start(1, "-n", "emacs", "127.0.0.1", port, NULL);
	tty_term = "xterm";
	h_expect_skip(bob, "*** guest2 is now emacs");
	assert_true(tty_wait_row(t, "*** guest2 is now emacs", 3000));
	h_send(bob, "hi there\n");
	assert_true(tty_wait_row(t, "<guest1> hi there", 3000));
	/* Lines typed go as lines (the terminal echoes them itself). */
	tty_type(t, "hello\n");
	h_expect(bob, "<emacs> hello");
	assert_null(strchr(t->scr.raw, '\033'));
	assert_null(strchr(t->scr.raw, '\a'));
	tty_free(t);
	h_close(bob);
	h_stop(&s);
}

/*
 * A fake server's listening socket on the loopback, its port (as text)
 * in port. Returns the socket.
 */
static int
fake_listen(char *port, size_t size)
{
	struct sockaddr_in sa;
	socklen_t len = sizeof sa;
	int lfd;

	lfd = socket(AF_INET, SOCK_STREAM, 0);
	assert_true(lfd != -1);
	memset(&sa, 0, sizeof sa);
	sa.sin_family = AF_INET;
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(bind(lfd, (struct sockaddr *)&sa, sizeof sa), 0);
	assert_int_equal(listen(lfd, 1), 0);
	assert_int_equal(getsockname(lfd, (struct sockaddr *)&sa, &len), 0);
	snprintf(port, size, "%u", ntohs(sa.sin_port));
	return lfd;
}

/*
 * Defect 12: bidirectional controls could reach the screen. They are
 * cleaned like the server cleans them, even from a server that sends
 * them (a fake one here).
 */
static void
test_bidi_cleaned(void **state)
{
	struct tty *t;
	char port[16];
	int lfd, fd;
	static const char evil[] =
	    "*** welcome to lobby, you are alice (1 online; /help for commands)\n"
	    "<mallory> abc\xe2\x80\xae" "fed\xe2\x81\xa6" "x\xe2\x80\xa9" "y\n"
	    "<mallory> half a li";

	(void)state;
	lfd = fake_listen(port, sizeof port);
	t = tty_start(0, "127.0.0.1", port, NULL);
	fd = accept(lfd, NULL, NULL);
	assert_true(fd != -1);
	assert_int_equal(write(fd, evil, sizeof evil - 1),
	    (ssize_t)(sizeof evil - 1));
	assert_true(tty_wait_row(t, "<mallory> abcfedxy", 3000));
	assert_null(strstr(t->scr.raw, "\xe2\x80\xae"));
	assert_null(strstr(t->scr.raw, "\xe2\x81\xa6"));
	assert_null(strstr(t->scr.raw, "\xe2\x80\xa9"));
	/*
	 * Defect 9: the server goes with a line half sent: it shows, and
	 * is said to be cut.
	 */
	tty_pump(t, 200);
	close(fd);
	assert_true(tty_wait_row(t, "<mallory> half a li", 3000));
	assert_true(tty_wait_row(t, "*** the last line above was cut off by "
	    "the disconnect", 3000));
	close(lfd);
	tty_free(t);
}

/* A lobbyd from before rooms, faked: one connection, one room. */
struct old_server {
	int	 fd;		/* the client's connection, or -1 once closed */
	const char *unknown;	/* its answer to an unknown command: a
				   format of one %.*s, the command */
	char	 nick[32];	/* the client's nick */
	char	 in[4096];	/* bytes of a line not yet ended */
	size_t	 nin;		/* bytes in in */
};

/* Answer one line from the client as a lobbyd without /rooms would. */
static void
old_server_answer(struct old_server *o, const char *line)
{
	char out[256];
	size_t n;

	out[0] = '\0';
	if (strncmp(line, "/nick ", 6) == 0) {
		snprintf(out, sizeof out, "*** %s is now %.20s\n", o->nick,
		    line + 6);
		snprintf(o->nick, sizeof o->nick, "%.20s", line + 6);
	} else if (strcmp(line, "/who") == 0)
		snprintf(out, sizeof out, "*** 1 online: %s\n", o->nick);
	else if (strcmp(line, "/quit") == 0) {
		close(o->fd);
		o->fd = -1;
		return;
	} else if (line[0] == '/') {
		n = strcspn(line, " ");
		snprintf(out, sizeof out, o->unknown, (int)n, line);
	}
	n = strlen(out);
	if (n > 0)
		assert_int_equal(write(o->fd, out, n), (ssize_t)n);
}

/* For up to ms, answer what the client sends, and read t meanwhile. */
static void
old_server_serve(struct old_server *o, struct tty *t, int ms)
{
	long long end = h_now_ms() + ms;
	struct pollfd p;
	char *nl;
	ssize_t n;

	while (o->fd != -1 && h_now_ms() < end) {
		tty_pump(t, 5);
		p.fd = o->fd;
		p.events = POLLIN;
		if (poll(&p, 1, 5) <= 0)
			continue;
		n = read(o->fd, o->in + o->nin, sizeof o->in - o->nin - 1);
		assert_true(n > 0);
		o->nin += (size_t)n;
		o->in[o->nin] = '\0';
		while (o->fd != -1 && (nl = strchr(o->in, '\n')) != NULL) {
			*nl = '\0';
			old_server_answer(o, o->in);
			o->nin -= (size_t)(nl + 1 - o->in);
			memmove(o->in, nl + 1, o->nin + 1);
		}
	}
}

/*
 * A lobbyd from before rooms answers the /rooms lobby sends on
 * connecting with "!!! unknown command /rooms": that answer to lobby's
 * own question does not show, and lobby goes on without room names for
 * Tab. The same answer to a /rooms typed shows, as any other error.
 */
static void
rooms_old_server(const char *unknown, const char *shown)
{
	static const char welcome[] = "*** welcome to lobby, you are guest1 "
	    "(1 online; /help for commands)\n";
	struct old_server o = { -1, unknown, "guest1", "", 0 };
	struct tty *t;
	char port[16];
	int lfd, bells;

	lfd = fake_listen(port, sizeof port);
	t = tty_start(0, "-n", "alice", "127.0.0.1", port, NULL);
	o.fd = accept(lfd, NULL, NULL);
	assert_true(o.fd != -1);
	assert_int_equal(write(o.fd, welcome, sizeof welcome - 1),
	    (ssize_t)(sizeof welcome - 1));
	old_server_serve(&o, t, 500);
	assert_true(tty_wait_row(t, "*** 1 online: alice", 3000));
	assert_true(tty_wait_input(t, "> ", 2, 3000));
	assert_null(strstr(t->scr.raw, "unknown command"));
	/* No room names: Tab after /join has nothing to offer. */
	bells = t->scr.bells;
	tty_type(t, "/join \t");
	assert_true(tty_wait_input(t, "> /join ", 8, 3000));
	tty_pump(t, 100);
	assert_int_equal(t->scr.bells, bells + 1);
	/* A /rooms of one's own gets its answer shown. */
	tty_type(t, "\025/rooms\r");
	old_server_serve(&o, t, 500);
	assert_true(tty_wait_row(t, shown, 3000));
	tty_type(t, "\004");
	old_server_serve(&o, t, 3000);
	assert_int_equal(o.fd, -1);
	assert_true(WIFEXITED(tty_wait(t, 4000)));
	tty_free(t);
	close(lfd);
}

static void
test_rooms_old_server(void **state)
{
	(void)state;
	rooms_old_server("!!! unknown command %.*s (try /help)\n",
	    "!!! unknown command /rooms (try /help)");
	rooms_old_server("!!! unknown command: %.*s\n",
	    "!!! unknown command: /rooms");
}

/*
 * Tab completes the nicks of the room (learnt from /who and joins);
 * /msg shows as "-> *nick* text"; a line naming us is highlighted and
 * rings the bell.
 */
static void
test_complete_msg_mention(void **state)
{
	struct h_server s;
	static const char *const none[] = { NULL };
	struct h_conn *bob, *bobby;
	struct tty *t;
	int bells;

	(void)state;
	t = two_joined(&s, &bob, none);
	h_rename(bob, "bob");
	bobby = h_join_as(&s, "bobby");
	assert_true(tty_wait_raw_text(t, "is now bobby", 3000));
	/* At the start: "nick: "; Tab again: the next one. */
	tty_type(t, "bo");
	tty_type(t, "\t");
	assert_true(tty_wait_input(t, "[lobby]> bob: ", 14, 3000));
	tty_type(t, "\t");
	assert_true(tty_wait_input(t, "[lobby]> bobby: ", 16, 3000));
	tty_type(t, "\t");
	assert_true(tty_wait_input(t, "[lobby]> bob: ", 14, 3000));
	/* Elsewhere: "nick ". */
	tty_type(t, "hi and bobb");
	tty_type(t, "\t");
	assert_true(tty_wait_input(t, "[lobby]> bob: hi and bobby ", 27, 3000));
	tty_type(t, "\r");
	h_expect_skip(bob, "<alice> bob: hi and bobby ");
	/* /msg is echoed the way a private line reads. */
	tty_type(t, "/msg bob psst\r");
	assert_true(tty_wait_row(t, "-> *bob* psst", 3000));
	h_expect(bob, "[pm] <alice> psst");
	/* To nobody: the error, and no echo as if delivered. */
	tty_type(t, "/msg nobody hi\r");
	assert_true(tty_wait_row(t, "!!! no such user: nobody", 3000));
	tty_type(t, "/msg bob again\r");
	assert_true(tty_wait_row(t, "-> *bob* again", 3000));
	h_expect(bob, "[pm] <alice> again");
	assert_null(strstr(t->scr.raw, "-> *nobody*"));
	assert_int_equal(scr_find(&t->scr, "/msg nobody hi"), -1);
	/* A mention: highlighted, with the bell; a plain line: neither. */
	tty_pump(t, 100);
	bells = t->scr.bells;
	h_send(bob, "nothing here\n");
	assert_true(tty_wait_row(t, "<bob> nothing here", 3000));
	assert_int_equal(t->scr.bells, bells);
	h_send(bob, "hey ALICE, look\n");
	assert_true(tty_wait_row(t, "<bob> hey ALICE, look", 3000));
	assert_int_equal(t->scr.bells, bells + 1);
	h_close(bobby);
	tty_free(t);
	h_close(bob);
	h_stop(&s);
}

/* --timestamps: HH:MM before the lines shown. */
static void
test_timestamps(void **state)
{
	struct h_server s;
	struct h_conn *bob;
	struct tty *t;
	char port[16];
	const char *row;
	int r;

	(void)state;
	assert_int_equal(h_start(&s, NULL), 0);
	bob = h_join(&s, NULL);
	snprintf(port, sizeof port, "%u", s.port);
	t = tty_start(0, "--timestamps", "127.0.0.1", port, NULL);
	assert_true(tty_wait_input(t, "[lobby]> ", 9, 3000));
	h_send(bob, "stamped\n");
	tty_pump(t, 300);
	for (r = 0; r < ROWS; r++) {
		row = scr_row(&t->scr, r);
		if (strlen(row) == 22 && strcmp(row + 5, " <guest1> stamped") == 0)
			break;
	}
	assert_true(r < ROWS);
	assert_true(row[2] == ':' && row[0] >= '0' && row[0] <= '2' &&
	    row[3] >= '0' && row[3] <= '5');
	tty_free(t);
	h_close(bob);
	h_stop(&s);
}

/*
 * History lines with --timestamps: one stamp each, coloured like live
 * lines; colours by contrast class (8 colours): own lines bold, never
 * basic blue; [pm] bold magenta, never basic yellow; nicks never red or
 * cyan.
 */
static void
test_history_stamps_colors(void **state)
{
	struct h_server s;
	struct screen colors;
	struct h_conn *bob;
	struct tty *t;
	char port[16], want[128];
	const char *row, *nc;
	int r, found = 0;

	(void)state;
	assert_int_equal(h_start(&s, NULL), 0);
	bob = h_join(&s, NULL);
	h_send(bob, "before\n/me waved\n");
	h_sync(bob);
	snprintf(port, sizeof port, "%u", s.port);
	t = tty_start(1, "--timestamps", "-n", "alice", "127.0.0.1", port,
	    NULL);
	h_expect_skip(bob, "*** guest2 is now alice");
	assert_true(tty_wait_raw_text(t, "end of history", 3000));
	tty_pump(t, 200);
	for (r = 0; r < ROWS; r++) {
		row = scr_row(&t->scr, r);
		if ((strlen(row) == 21 &&
		    strstr(row, " <guest1> before") == row + 5) ||
		    (strlen(row) == 20 &&
		    strstr(row, " * guest1 waved") == row + 5)) {
			assert_true(row[2] == ':');
			found++;
		}
		/* No stamp in brackets (the prompt's room aside). */
		if (r != t->scr.row)
			assert_null(strstr(row, "["));
	}
	assert_int_equal(found, 2);
	/* The history's nick in the nick's colour, as live lines. */
	screen_init(&colors, true, true);
	nc = screen_nick_color(&colors, "guest1", 6);
	assert_null(strstr(nc, "[31m"));
	assert_null(strstr(nc, "[36m"));
	snprintf(want, sizeof want, "%s<guest1>\033[0m before", nc);
	assert_non_null(strstr(t->scr.raw, want));
	/* Our own line: bold, never basic blue. */
	tty_type(t, "mine\r");
	h_expect(bob, "<alice> mine");
	assert_true(tty_wait_raw_text(t, "\033[1m<alice>\033[0m mine", 3000));
	tty_type(t, "/me too\r");
	h_expect(bob, "* alice too");
	assert_true(tty_wait_raw_text(t, "\033[1m* alice\033[0m too", 3000));
	h_send(bob, "/msg alice psst\n");
	assert_true(tty_wait_raw_text(t, "\033[1;35m[pm] <guest1>\033[0m psst",
	    3000));
	assert_null(strstr(t->scr.raw, "\033[34m"));
	assert_null(strstr(t->scr.raw, "\033[33m"));
	tty_free(t);
	h_close(bob);
	h_stop(&s);
}

/* Ctrl-R typed key by key until nothing matches: the prompt says so. */
static void
test_search_failed(void **state)
{
	struct h_server s;
	static const char *const none[] = { NULL };
	struct h_conn *bob;
	struct tty *t;

	(void)state;
	t = two_joined(&s, &bob, none);
	tty_type(t, "abc\r");
	h_expect_skip(bob, "<alice> abc");
	tty_type(t, "\022");
	tty_type(t, "a");
	assert_true(tty_wait_raw_text(t, "(reverse-i-search)`a': abc", 3000));
	tty_pump(t, 100);
	tty_type(t, "x");
	assert_true(tty_wait_raw_text(t, "(failed reverse-i-search)`ax'",
	    3000));
	tty_type(t, "\007");
	tty_free(t);
	h_close(bob);
	h_stop(&s);
}

/*
 * Bracketed paste: a few lines go as typed; more than 5 ask first, y
 * sends them, another key drops them.
 */
static void
test_paste_confirm(void **state)
{
	struct h_server s;
	static const char *const none[] = { NULL };
	struct h_conn *bob;
	struct tty *t;

	(void)state;
	t = two_joined(&s, &bob, none);
	tty_type(t, "\033[200~one\ntwo\nthr\033[201~");
	h_expect(bob, "<alice> one");
	h_expect(bob, "<alice> two");
	assert_true(tty_wait_input(t, "[lobby]> thr", 12, 3000));
	tty_type(t, "ee\r");
	h_expect(bob, "<alice> three");
	tty_type(t, "\033[200~1\n2\n3\n4\n5\n6\n\033[201~");
	assert_true(tty_wait_row(t, "*** paste of 6 lines: y or Enter sends "
	    "them, any other key drops them", 3000));
	expect_nothing_more(bob);
	tty_type(t, "n");
	assert_true(tty_wait_row(t, "*** paste dropped", 3000));
	assert_true(tty_wait_input(t, "[lobby]> ", 9, 3000));
	expect_nothing_more(bob);
	tty_type(t, "\033[200~a\r\nb\rc\nd\ne\nf\ng\033[201~");
	assert_true(tty_wait_row(t, "*** paste of 6 lines: y or Enter sends "
	    "them, any other key drops them", 3000));
	tty_type(t, "y");
	h_expect(bob, "<alice> a");
	h_expect(bob, "<alice> b");
	h_expect(bob, "<alice> c");
	h_expect(bob, "<alice> d");
	h_expect(bob, "<alice> e");
	h_expect(bob, "<alice> f");
	assert_true(tty_wait_input(t, "[lobby]> g", 10, 3000));
	tty_free(t);
	h_close(bob);
	h_stop(&s);
}

/*
 * The history outlives the run: kept in $XDG_STATE_HOME/lobby/history,
 * mode 0600, and Up brings it back next time; Ctrl-R searches it.
 */
static void
test_history_file(void **state)
{
	struct h_server s;
	static const char *const none[] = { NULL };
	struct h_conn *bob;
	struct stat st;
	struct tty *t;
	char path[128], text[256];
	FILE *f;
	size_t n;
	int w;

	(void)state;
	snprintf(path, sizeof path, "%s/lobby/history", state_dir);
	(void)unlink(path);
	t = two_joined(&s, &bob, none);
	tty_type(t, "remember me\r");
	h_expect(bob, "<alice> remember me");
	tty_type(t, "and me too\r");
	h_expect(bob, "<alice> and me too");
	tty_type(t, "\004");
	w = tty_wait(t, 4000);
	assert_true(WIFEXITED(w) && WEXITSTATUS(w) == 0);
	tty_free(t);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	assert_non_null(f = fopen(path, "r"));
	n = fread(text, 1, sizeof text - 1, f);
	fclose(f);
	text[n] = '\0';
	assert_string_equal(text, "remember me\nand me too\n");

	t = tty_join(&s, "alice", false);
	tty_type(t, "\033[A");
	assert_true(tty_wait_input(t, "[lobby]> and me too", 19, 3000));
	tty_type(t, "\025\022mem");
	/* The cursor on the match: "re|member me". */
	assert_true(tty_wait_input(t, "(reverse-i-search)`mem': remember me",
	    27, 3000));
	tty_type(t, "\r");
	h_expect_skip(bob, "<alice> remember me");
	tty_free(t);
	h_close(bob);
	h_stop(&s);
}

/*
 * A password is masked as it is typed, and is never on the screen, in
 * the history file, or in the server's log.
 */
static void
test_password_hidden(void **state)
{
	struct h_server s;
	struct h_conn *bob;
	struct tty *t;
	char db[128], path[160], text[256], *log;
	const char *args[] = { "--accounts", db, NULL };
	static const char *const ext[] = { "", "-wal", "-shm" };
	FILE *f;
	size_t n, i;
	int w;

	(void)state;
	snprintf(db, sizeof db, "%s/accounts.db", state_dir);
	snprintf(path, sizeof path, "%s/lobby/history", state_dir);
	(void)unlink(path);
	t = two_joined(&s, &bob, args);
	tty_type(t, "/register hunter2-hunter2");
	assert_true(tty_wait_input(t, "[lobby]> /register ***************", 34,
	    3000));
	tty_type(t, "\r");
	assert_true(tty_wait_row(t, "*** nick alice is now registered to you",
	    H_TIMEOUT_MS));
	tty_type(t, "/login alice hunter2-hunter2");
	assert_true(tty_wait_input(t, "[lobby]> /login alice ***************", 37,
	    3000));
	tty_type(t, "\r");
	assert_true(tty_wait_row(t, "*** you are logged in as alice",
	    H_TIMEOUT_MS));
	tty_type(t, "after\r");
	h_expect_skip(bob, "<alice> after");
	/* Up: the chat line, then nothing older. */
	tty_type(t, "\033[A\033[A");
	assert_true(tty_wait_input(t, "[lobby]> after", 14, 3000));
	tty_type(t, "\025\004");
	w = tty_wait(t, 4000);
	assert_true(WIFEXITED(w) && WEXITSTATUS(w) == 0);
	if (strstr(t->scr.raw, "hunter2") != NULL)
		fail_msg("on the screen: ...%.80s", strstr(t->scr.raw,
		    "hunter2") - 40);
	tty_free(t);
	assert_non_null(f = fopen(path, "r"));
	n = fread(text, 1, sizeof text - 1, f);
	fclose(f);
	text[n] = '\0';
	assert_string_equal(text, "after\n");
	assert_non_null(log = h_log(&s));
	assert_null(strstr(log, "hunter2"));
	free(log);
	h_close(bob);
	h_stop(&s);
	for (i = 0; i < 3; i++) {
		snprintf(path, sizeof path, "%s%s", db, ext[i]);
		(void)unlink(path);
	}
}

/* /reconnect: out and back in as the same nick, the typing kept. */
static void
test_reconnect(void **state)
{
	struct h_server s;
	static const char *const none[] = { NULL };
	struct h_conn *bob;
	struct tty *t;

	(void)state;
	t = two_joined(&s, &bob, none);
	h_send(bob, "one\n");
	assert_true(tty_wait_row(t, "<guest1> one", 3000));
	tty_type(t, "mine\r");
	h_expect(bob, "<alice> mine");
	tty_type(t, "/reconnect\r");
	h_expect(bob, "*** alice left");
	h_expect(bob, "*** guest2 joined");
	h_expect(bob, "*** guest2 is now alice");
	assert_true(tty_wait_row(t, "*** reconnecting", 3000));
	tty_type(t, "back again");
	assert_true(tty_wait_input(t, "[lobby]> back again", 19, 3000));
	tty_type(t, "\r");
	h_expect(bob, "<alice> back again");
	/* The history already on the screen is not shown again. */
	h_send(bob, "two\n");
	assert_true(tty_wait_row(t, "<guest1> two", 3000));
	assert_null(strstr(t->scr.raw, "] <guest1> one"));
	assert_null(strstr(t->scr.raw, "] <alice> mine"));
	assert_null(strstr(t->scr.raw, "while you were away"));
	tty_type(t, "\033[A\033[A");
	assert_true(tty_wait_input(t, "[lobby]> /reconnect", 19, 3000));
	tty_free(t);
	h_close(bob);
	h_stop(&s);
}

/*
 * A history longer than 4096 lines (lobbyd keeps up to 100000): after a
 * /reconnect, the lines already on the screen are still found in it, at
 * its end, and not shown again.
 */
static void
test_reconnect_long_history(void **state)
{
	static const char *const args[] = { "--history", "5000", NULL };
	struct h_server s;
	struct h_conn *bob;
	struct tty *t;
	char *lines;
	size_t len = 0;
	int i;

	(void)state;
	t = two_joined(&s, &bob, args);
	lines = malloc(4500 * 8);
	assert_non_null(lines);
	for (i = 0; i < 4500; i++)
		len += (size_t)sprintf(lines + len, "m%04d\n", i);
	assert_int_equal(h_send_raw(bob, lines, len), 0);
	free(lines);
	assert_true(tty_wait_row(t, "<guest1> m4499", 5000));
	tty_type(t, "/reconnect\r");
	h_expect_skip(bob, "*** guest2 is now alice");
	h_send(bob, "two\n");
	assert_true(tty_wait_row(t, "<guest1> two", 5000));
	assert_null(strstr(t->scr.raw, "while you were away"));
	assert_null(strstr(t->scr.raw, "] <guest1> m4499"));
	tty_quit(t);
	h_close(bob);
	h_stop(&s);
}

/*
 * Defect 8: an emoji family joined by ZWJ was measured and edited as its
 * parts. It is one character: two columns, one Backspace.
 */
static void
test_grapheme_clusters(void **state)
{
	struct h_server s;
	static const char *const none[] = { NULL };
	static const char family[] = "\xf0\x9f\x91\xa8\xe2\x80\x8d"
	    "\xf0\x9f\x91\xa9\xe2\x80\x8d\xf0\x9f\x91\xa7";
	struct h_conn *bob;
	struct tty *t;
	long long end;

	(void)state;
	t = two_joined(&s, &bob, none);
	tty_type(t, "a");
	tty_type(t, family);
	/* The cursor after "[lobby]> a" and two columns of the family. */
	end = h_now_ms() + 3000;
	while (t->scr.col != 12 && h_now_ms() < end)
		tty_pump(t, 20);
	assert_int_equal(t->scr.col, 12);
	tty_type(t, "\177b\r");
	h_expect(bob, "<alice> ab");
	/* A flag, then Left, then text: it goes before the whole flag. */
	tty_type(t, "\xf0\x9f\x87\xab\xf0\x9f\x87\xb7\033[Dx\r");
	h_expect(bob, "<alice> x\xf0\x9f\x87\xab\xf0\x9f\x87\xb7");
	tty_free(t);
	h_close(bob);
	h_stop(&s);
}

/*
 * Rooms: the prompt names the room, from the start (the landing room)
 * and after /join; Tab after "/join " completes the rooms of /rooms and
 * of the notices, never the room we are in; Tab elsewhere completes the
 * nicks of the new room; /rooms shows as a header and a row of rooms.
 */
static void
test_rooms_prompt_complete(void **state)
{
	struct h_server s;
	struct h_conn *bob, *carol;
	struct tty *t;

	(void)state;
	assert_int_equal(h_start(&s, NULL), 0);
	bob = h_join_as(&s, "bob");
	carol = h_join_as(&s, "carol");
	h_send(bob, "/join Dev\n");
	h_expect_skip(bob, "*** you are now in Dev (1 online)");
	h_send(carol, "/join ops-team\n");
	h_expect_skip(carol, "*** you are now in ops-team (1 online)");
	t = tty_join(&s, "alice", false);
	/* The rooms known at once: Tab after /join, any case. */
	tty_type(t, "/JOIN d\t");
	assert_true(tty_wait_input(t, "[lobby]> /JOIN Dev ", 19, 3000));
	tty_type(t, "\r");
	h_expect_skip(bob, "*** alice joined");
	assert_true(tty_wait_row(t, "*** you are now in Dev (2 online)", 3000));
	assert_true(tty_wait_input(t, "[Dev]> ", 7, 3000));
	/* The nicks are the new room's: bob, not carol. */
	tty_type(t, "b\t");
	assert_true(tty_wait_input(t, "[Dev]> bob: ", 12, 3000));
	tty_type(t, "\025c\t");
	assert_true(tty_wait_input(t, "[Dev]> c", 8, 3000));
	/* The /who that refilled them did not show. */
	assert_null(strstr(t->scr.raw, "2 online: "));
	/* Rooms in alphabetical order, ours left out; Tab goes round. */
	tty_type(t, "\025/join \t");
	assert_true(tty_wait_input(t, "[Dev]> /join lobby ", 19, 3000));
	tty_type(t, "\t");
	assert_true(tty_wait_input(t, "[Dev]> /join ops-team ", 22, 3000));
	tty_type(t, "\t");
	assert_true(tty_wait_input(t, "[Dev]> /join lobby ", 19, 3000));
	/* A room heard of in a notice. */
	h_send(bob, "/join zeta_9\n");
	assert_true(tty_wait_row(t, "*** bob went to zeta_9", 3000));
	tty_type(t, "\025/join z\t");
	assert_true(tty_wait_input(t, "[Dev]> /join zeta_9 ", 20, 3000));
	/* /rooms: a header naming ours, then the rooms, none cut. */
	tty_type(t, "\025/rooms\r");
	assert_true(tty_wait_row(t, "*** 4 rooms, you are in Dev:", 3000));
	assert_true(tty_wait_row(t, "***  lobby (0)  Dev (1)  ops-team (1)  "
	    "zeta_9 (1)", 3000));
	/* /part: back to the landing room, in the prompt too. */
	tty_type(t, "/part\r");
	assert_true(tty_wait_row(t, "*** you are now in lobby (1 online)",
	    3000));
	assert_true(tty_wait_input(t, "[lobby]> ", 9, 3000));
	/* A room is named as first written, whatever the case typed. */
	tty_type(t, "/join ZETA_9\r");
	assert_true(tty_wait_input(t, "[zeta_9]> ", 10, 3000));
	tty_quit(t);
	h_close(bob);
	h_close(carol);
	h_stop(&s);
}

/*
 * lobbyd's /rooms answer is one line, past 64 KiB from some 1600 rooms:
 * the client takes it, so the prompt names the room and Tab after /join
 * knows all the rooms.
 */
static void
test_rooms_long_answer(void **state)
{
	struct h_server s;
	struct h_conn *bob;
	struct tty *t;
	char *cmds, last[64];
	size_t len;
	int i, j;

	(void)state;
	assert_int_equal(h_start(&s, "--max-rooms", "5000", NULL), 0);
	bob = h_join_as(&s, "bob");
	cmds = malloc(100 * 64);
	assert_non_null(cmds);
	/* Rooms of 31-byte names, kept by a topic: 2000 make 80 KB. */
	for (i = 0; i < 2000; i += 100) {
		len = 0;
		for (j = i; j < i + 100; j++)
			len += (size_t)sprintf(cmds + len,
			    "/join room_%026d\n/topic t\n", j);
		assert_int_equal(h_send_raw(bob, cmds, len), 0);
		h_expect_skip(bob, "*** bob set the topic: t");
		snprintf(last, sizeof last, "*** you are now in room_%026d "
		    "(1 online)", i + 99);
		h_expect_skip(bob, last);
	}
	free(cmds);
	h_send(bob, "/part\n");
	h_expect_skip(bob, "*** you are now in lobby (1 online)");
	t = tty_join(&s, "alice", false);	/* the prompt: [lobby]> */
	assert_null(strstr(t->scr.raw, "was dropped"));
	snprintf(last, sizeof last, "/join room_%025d\t", 199);
	tty_type(t, last);
	assert_true(tty_wait_input(t, "[lobby]> /join "
	    "room_00000000000000000000001990 ", 47, 3000));
	tty_type(t, "\t");
	assert_true(tty_wait_input(t, "[lobby]> /join "
	    "room_00000000000000000000001991 ", 47, 3000));
	tty_type(t, "\025");
	tty_quit(t);
	h_close(bob);
	h_stop(&s);
}

/*
 * The server goes away while we are in a room that is not the landing
 * room: the client reconnects, goes back to that room by itself, shows
 * that room's history (not the landing room's) and keeps the prompt.
 */
static void
test_rooms_reconnect(void **state)
{
	struct h_server s, again;
	struct h_conn *bob, *carol;
	struct tty *t;
	char port[16];

	(void)state;
	t = tty_lost_in_dev(&s, port, sizeof port);
	assert_true(tty_wait_input(t, "[dev]> ", 7, 3000));
	/*
	 * The client waits while the new server starts and bob fills dev:
	 * its next try may come as soon as the port listens (a slow start,
	 * under valgrind, leaves it that window), and dev's history must
	 * hold bob's line by then.
	 */
	assert_int_equal(kill(t->pid, SIGSTOP), 0);
	assert_int_equal(h_start(&again, "-p", port, NULL), 0);
	bob = h_join_as(&again, "bob");
	carol = h_join_as(&again, "carol");
	h_send(carol, "in the landing room\n");
	h_sync(carol);
	h_send(bob, "/join dev\nin dev\n");
	h_expect_skip(bob, "*** you are now in dev (1 online)");
	h_sync(bob);
	assert_int_equal(kill(t->pid, SIGCONT), 0);
	h_expect_skip_within(bob, "*** alice joined", 15000);
	assert_true(tty_wait_row(t, "*** you are now in dev (2 online)", 3000));
	assert_true(tty_wait_raw_text(t, "] <bob> in dev", 3000));
	assert_true(tty_wait_input(t, "[dev]> ", 7, 3000));
	/* The landing room's history was not shown... */
	assert_null(strstr(t->scr.raw, "in the landing room"));
	/* ... though alice came there first, and went. */
	h_expect_skip(carol, "*** alice went to dev");
	tty_type(t, "back\r");
	h_expect(bob, "<alice> back");
	tty_quit(t);
	h_close(bob);
	h_close(carol);
	h_stop(&again);
}

/*
 * The server comes back with our room as its landing room: the /join
 * that goes back is answered "already in", which does not show, and the
 * room's history (the landing room's) shows what we had not seen.
 */
static void
test_rooms_reconnect_landing(void **state)
{
	struct h_server s, again;
	struct h_conn *bob;
	struct tty *t;
	char port[16];

	(void)state;
	t = tty_lost_in_dev(&s, port, sizeof port);
	/* Stopped until bob's line is in dev's history, as above. */
	assert_int_equal(kill(t->pid, SIGSTOP), 0);
	assert_int_equal(h_start(&again, "-p", port, "--room", "dev", NULL),
	    0);
	bob = h_join_as(&again, "bob");
	h_send(bob, "said while away\n");
	h_sync(bob);
	assert_int_equal(kill(t->pid, SIGCONT), 0);
	h_expect_skip_within(bob, "*** guest1 is now alice", 15000);
	assert_true(tty_wait_row(t, "*** 1 message while you were away:",
	    3000));
	assert_true(tty_wait_raw_text(t, "] <bob> said while away", 3000));
	assert_true(tty_wait_input(t, "[dev]> ", 7, 3000));
	tty_type(t, "here\r");
	h_expect(bob, "<alice> here");
	assert_null(strstr(t->scr.raw, "already in"));
	tty_quit(t);
	h_close(bob);
	h_stop(&again);
}

/* After each test: whatever it left running goes. */int
main(void)
{
	const struct CMUnitTest tests[] = {
		h_test(test_incoming_keeps_input),
		h_test(test_server_loss),
		h_test(test_server_loss_quit),
		h_test(test_colors_and_signal),
		h_test(test_paste_1000),
		h_test(test_max_line),
		h_test(test_paste_too_long),
		h_test(test_paste_over_cap),
		h_test(test_escape),
		h_test(test_scroll_markers),
		h_test(test_tab_and_bell),
		h_test(test_resize_and_clear),
		h_test(test_stop_continue),
		h_test(test_burst_slow_terminal),
		h_test(test_dumb_terminal),
		h_test(test_bidi_cleaned),
		h_test(test_grapheme_clusters),
		h_test(test_complete_msg_mention),
		h_test(test_timestamps),
		h_test(test_history_stamps_colors),
		h_test(test_search_failed),
		h_test(test_paste_confirm),
		h_test(test_history_file),
		h_test(test_password_hidden),
		h_test(test_reconnect),
		h_test(test_reconnect_long_history),
		h_test(test_rooms_prompt_complete),
		h_test(test_rooms_long_answer),
		h_test(test_rooms_reconnect),
		h_test(test_rooms_reconnect_landing),
		h_test(test_rooms_old_server),
	};

	char path[128];
	int rc;

	signal(SIGPIPE, SIG_IGN);
	strcpy(state_dir, "/tmp/lobby-pty-XXXXXX");
	if (mkdtemp(state_dir) == NULL) {
		perror("mkdtemp");
		return 1;
	}
	rc = cmocka_run_group_tests(tests, NULL, NULL);
	snprintf(path, sizeof path, "%s/lobby/history", state_dir);
	(void)unlink(path);
	snprintf(path, sizeof path, "%s/lobby", state_dir);
	(void)rmdir(path);
	(void)rmdir(state_dir);
	return rc;
}
