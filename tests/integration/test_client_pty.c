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
#include <sys/ioctl.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#include <setjmp.h>
#include <cmocka.h>

#include "harness.h"
#include "editor.h"

#define ROWS	24
#define COLS	80
#define RAWMAX	(1 << 20)	/* terminal bytes kept for byte-level checks */
#define WIDE_R	"\001"		/* the right half of a double-width cell */

/*
 * A tiny terminal: enough of a VT100 for what lobby writes (CR, LF, erase
 * to end of line, cursor forward and back, colours ignored) to tell what
 * a person would see on each row and where the cursor is.
 */
struct screen {
	char		 cell[ROWS][COLS][8];	/* UTF-8 text of each cell */
	int		 row;			/* cursor row */
	int		 col;			/* cursor column */
	int		 state;			/* 0 text, 1 after ESC, 2 in CSI */
	char		 par[32];		/* CSI parameters so far */
	size_t		 npar;			/* bytes in par */
	unsigned char	 u8[4];			/* UTF-8 character so far */
	size_t		 nu8;			/* bytes in u8 */
	char		*raw;			/* every byte, NUL-terminated */
	size_t		 nraw;			/* bytes in raw */
};

/*
 * Children of the running test, killed by the teardown when an assertion
 * ends a test early: nothing is left running after a failure.
 */
static pid_t	live_lobby = -1;	/* the lobby of the current test */
static struct h_server *live_server;	/* the lobbyd of the current test */

/* lobby on the slave side of a pty. */
struct tty {
	pid_t		 pid;		/* the child, or -1 once reaped */
	int		 master;	/* our side */
	int		 status;	/* wait status once reaped */
	bool		 eof;		/* the slave side is gone */
	struct screen	 scr;		/* what it drew */
};

static void
scr_clear_row(struct screen *s, int r, int from)
{
	int c;

	for (c = from; c < COLS; c++)
		strcpy(s->cell[r][c], " ");
}

static void
scr_newline(struct screen *s)
{
	if (++s->row < ROWS)
		return;
	memmove(s->cell[0], s->cell[1], sizeof s->cell[0] * (ROWS - 1));
	scr_clear_row(s, ROWS - 1, 0);
	s->row = ROWS - 1;
}

/* Put one whole UTF-8 character at the cursor. */
static void
scr_put(struct screen *s)
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
	if (s->col + w > COLS) {
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
scr_csi(struct screen *s, char final)
{
	int n;

	s->par[s->npar] = '\0';
	n = atoi(s->par);
	switch (final) {
	case 'K':
		if (n == 0)
			scr_clear_row(s, s->row, s->col);
		break;
	case 'C':
		s->col += n > 0 ? n : 1;
		if (s->col >= COLS)
			s->col = COLS - 1;
		break;
	case 'D':
		s->col -= n > 0 ? n : 1;
		if (s->col < 0)
			s->col = 0;
		break;
	}
}

static void
scr_byte(struct screen *s, unsigned char b)
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
scr_row(const struct screen *s, int r)
{
	static char text[COLS * 8 + 1];
	size_t n = 0;
	int c;

	for (c = 0; c < COLS; c++) {
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
scr_find(const struct screen *s, const char *text)
{
	int r;

	for (r = 0; r < ROWS; r++)
		if (strcmp(scr_row(s, r), text) == 0)
			return r;
	return -1;
}

/* Print the screen: what a failing test shows. */
static void
scr_dump(const struct screen *s)
{
	int r;

	for (r = 0; r < ROWS; r++)
		fprintf(stderr, "%2d|%s\n", r, scr_row(s, r));
	fprintf(stderr, "cursor %d,%d\n", s->row, s->col);
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
		execv(argv[0], (char *const *)argv);
		_exit(127);
	}
	(void)fcntl(t->master, F_SETFL,
	    fcntl(t->master, F_GETFL) | O_NONBLOCK);
	live_lobby = t->pid;
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
		if (waitpid(t->pid, &t->status, WNOHANG) == t->pid) {
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

static void
tty_free(struct tty *t)
{
	h_kill_child(&t->pid, &t->status);
	live_lobby = -1;
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
	assert_true(tty_wait_input(t, "> ", 2, H_TIMEOUT_MS));
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
	static struct h_server s;	/* static: the teardown may stop it */
	struct h_conn *bob;
	struct tty *t;
	char bobnick[32];
	int r;

	(void)state;
	assert_int_equal(h_start(&s, NULL), 0);
	live_server = &s;
	bob = h_join(&s, bobnick);
	assert_string_equal(bobnick, "guest1");
	t = tty_join(&s, "alice", false);
	h_expect_skip(bob, "*** guest2 is now alice");
	assert_true(tty_wait_row(t, "*** guest2 is now alice", 1000));

	tty_type(t, "hello 你好 wor");
	assert_true(tty_wait_input(t, "> hello 你好 wor", 16, 3000));
	/* Move the cursor into the line: it must come back there. */
	tty_type(t, "\033[D\033[D");
	assert_true(tty_wait_input(t, "> hello 你好 wor", 14, 3000));

	h_send(bob, "incoming 消息 here\n");
	assert_true(tty_wait_row(t, "<guest1> incoming 消息 here", 3000));
	assert_true(tty_wait_input(t, "> hello 你好 wor", 14, 3000));
	r = scr_find(&t->scr, "<guest1> incoming 消息 here");
	assert_int_equal(t->scr.row, r + 1);
	/* The input line shows once, below the message, nowhere else. */
	assert_int_equal(scr_find(&t->scr, "> hello 你好 wor"), r + 1);

	/* Finish the line: it goes out whole, and shows as sent. */
	tty_type(t, "\005ld\r");
	h_expect(bob, "<alice> hello 你好 world");
	assert_true(tty_wait_row(t, "<alice> hello 你好 world", 3000));
	assert_true(tty_wait_input(t, "> ", 2, 3000));

	/* Backspace takes a whole wide character; Up brings the line back. */
	tty_type(t, "\033[A");
	assert_true(tty_wait_input(t, "> hello 你好 world", 18, 3000));
	tty_type(t, "\001\033[C\033[C\033[C\033[C\033[C\033[C\033[C\033[C\177");
	assert_true(tty_wait_input(t, "> hello 你 world", 10, 3000));
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

/* The server goes away: the message, exit 1, the terminal restored. */
static void
test_server_loss(void **state)
{
	static struct h_server s;	/* static: the teardown may stop it */
	struct tty *t;
	int st;

	(void)state;
	assert_int_equal(h_start(&s, NULL), 0);
	live_server = &s;
	t = tty_join(&s, "alice", false);
	tty_type(t, "half a li");
	assert_true(tty_wait_input(t, "> half a li", 11, 3000));
	h_stop(&s);
	assert_true(tty_wait_row(t, "*** disconnected from server", 3000));
	st = tty_wait(t, 4000);
	assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 1);
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
	static struct h_server s;	/* static: the teardown may stop it */
	struct h_conn *bob;
	struct tty *t;
	int st;

	(void)state;
	assert_int_equal(h_start(&s, NULL), 0);
	live_server = &s;
	bob = h_join(&s, NULL);
	t = tty_join(&s, "alice", true);
	h_expect_skip(bob, "*** guest2 is now alice");
	h_send(bob, "hi\n/me waves\n/msg alice psst\n");
	assert_true(tty_wait_row(t, "[pm] <guest1> psst", 3000));
	assert_non_null(strstr(t->scr.raw, "\033[32m<guest1>\033[0m hi"));
	assert_non_null(strstr(t->scr.raw, "\033[35m* guest1\033[0m waves"));
	assert_non_null(strstr(t->scr.raw,
	    "\033[33m[pm] <guest1>\033[0m psst"));
	assert_non_null(strstr(t->scr.raw,
	    "\033[36m*** guest2 is now alice\033[0m"));
	tty_type(t, "/nosuch\r");
	assert_true(tty_wait_row(t, "!!! unknown command /nosuch (try /help)",
	    3000));
	assert_non_null(strstr(t->scr.raw, "\033[31m!!! unknown command"));

	tty_type(t, "typing");
	assert_true(tty_wait_input(t, "> typing", 8, 3000));
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
	static struct h_server s;	/* static: the teardown may stop it */
	struct h_conn *bob;
	struct tty *t;
	char *text, want[96];
	const char *got;
	size_t off = 0;
	long long end;
	int i, st;

	(void)state;
	assert_int_equal(h_start(&s, NULL), 0);
	live_server = &s;
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

/* After each test: whatever it left running goes. */
static int
teardown(void **state)
{
	(void)state;
	h_kill_leftovers(&live_lobby, &live_server);
	return 0;
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(test_incoming_keeps_input, teardown),
		cmocka_unit_test_teardown(test_server_loss, teardown),
		cmocka_unit_test_teardown(test_colors_and_signal, teardown),
		cmocka_unit_test_teardown(test_paste_1000, teardown),
	};

	signal(SIGPIPE, SIG_IGN);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
