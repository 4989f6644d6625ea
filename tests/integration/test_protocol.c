/* test_protocol: every line and notice of protocol v1, over real sockets. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "harness.h"


/* Join two clients, alice and bob, with the notices between them read. */
static void
join_pair(struct h_server *s, struct h_conn **a, struct h_conn **b)
{
	char nick[32];

	*a = h_join(s, nick);
	h_send(*a, "/nick alice\n");
	h_expect(*a, "*** guest1 is now alice");
	*b = h_join(s, nick);
	assert_string_equal(nick, "guest1");
	h_expect(*a, "*** guest1 joined");
	h_send(*b, "/nick bob\n");
	h_expect(*b, "*** guest1 is now bob");
	h_expect(*a, "*** guest1 is now bob");
}

static void
test_welcome_and_join(void **state)
{
	struct h_server *s = *state;
	struct h_conn *a, *b;

	a = h_connect(s);
	h_expect(a, "*** welcome to lobby, you are guest1 (1 online; "
	    "/help for commands)");
	b = h_connect(s);
	h_expect(b, "*** welcome to lobby, you are guest2 (2 online; "
	    "/help for commands)");
	h_expect(a, "*** guest2 joined");
	h_nothing(b);
	h_close(a);
	h_expect(b, "*** guest1 left");
	/* guest1 is free again: the smallest free number is taken. */
	a = h_connect(s);
	h_expect(a, "*** welcome to lobby, you are guest1 (2 online; "
	    "/help for commands)");
	h_close(a);
	h_close(b);
}

static void
test_chat_no_echo(void **state)
{
	struct h_server *s = *state;
	struct h_conn *a, *b;

	join_pair(s, &a, &b);
	h_send(a, "hello there\n");
	h_expect(b, "<alice> hello there");
	h_nothing(a);
	/* CRLF is accepted, and an empty or blank line is ignored. */
	h_send(b, "hi\r\n\n   \t \r\n");
	h_expect(a, "<bob> hi");
	h_sync(b);
	h_nothing(a);
	/* Text is relayed as sent, untrimmed; UTF-8 passes unchanged. */
	h_send(a, "  spaced  out  \n");
	h_expect(b, "<alice>   spaced  out  ");
	h_send(a, "你好，世界 👋\n");
	h_expect(b, "<alice> 你好，世界 👋");
	h_close(a);
	h_close(b);
}

static void
test_me_msg_escape(void **state)
{
	struct h_server *s = *state;
	struct h_conn *a, *b, *c;

	join_pair(s, &a, &b);
	c = h_join(s, NULL);
	h_expect(a, "*** guest1 joined");
	h_expect(b, "*** guest1 joined");
	h_send(a, "/me waves\n");
	h_expect(b, "* alice waves");
	h_expect(c, "* alice waves");
	h_send(a, "/msg BOB psst\n");
	h_expect(b, "[pm] <alice> psst");
	h_nothing(c);
	h_nothing(a);
	h_send(a, "/msg alice note to self\n");
	h_expect(a, "[pm] <alice> note to self");
	h_send(a, "//slash at the start\n");
	h_expect(b, "<alice> /slash at the start");
	h_expect(c, "<alice> /slash at the start");
	h_close(a);
	h_close(b);
	h_close(c);
}

static void
test_errors(void **state)
{
#define RULE	" (1-20 letters, digits, _ or -)"
	static const struct h_case cases[] = {
		{ "/foo bar", "!!! unknown command /foo (try /help)" },
		{ "/", "!!! unknown command / (try /help)" },
		{ "/msg", "!!! usage: /msg NICK TEXT" },
		{ "/msg bob", "!!! usage: /msg NICK TEXT" },
		{ "/msg carol hi", "!!! no such user: carol" },
		{ "/me", "!!! usage: /me TEXT" },
		{ "/nick", "!!! usage: /nick NAME" },
		{ "/nick two words", "!!! usage: /nick NAME" },
		{ "/nick no.dots", "!!! invalid nick: no.dots" RULE },
		{ "/nick abcdefghijklmnopqrstu",
		    "!!! invalid nick: abcdefghijklmnopqrstu" RULE },
		{ "/nick BOB", "!!! nick BOB is taken" },
		{ "/nick alice", "!!! you are already alice" },
	};
#undef RULE
	struct h_server *s = *state;
	struct h_conn *a, *b;

	join_pair(s, &a, &b);
	h_cases(a, cases);
	/* Errors go to the one who erred, and to nobody else. */
	h_nothing(b);
	h_close(a);
	h_close(b);
}

static void
test_nick_and_who(void **state)
{
	struct h_server *s = *state;
	struct h_conn *a, *b;

	join_pair(s, &a, &b);
	h_send(a, "/NICK Alice\n");
	h_expect(a, "*** alice is now Alice");
	h_expect(b, "*** alice is now Alice");
	h_send(b, "/Who\n");
	h_expect(b, "*** 2 online: Alice bob");
	h_send(a, "/nick Zed_9-x\n");
	h_expect(b, "*** Alice is now Zed_9-x");
	h_expect(a, "*** Alice is now Zed_9-x");
	h_send(a, "/who\n");
	h_expect(a, "*** 2 online: Zed_9-x bob");
	h_close(a);
	h_close(b);
}

static void
test_help(void **state)
{
	struct h_server *s = *state;
	struct h_conn *a = h_join(s, NULL);
	const char *l;
	int n = 0;

	/* Up to the answer of a /who behind it: the whole help came. */
	h_send(a, "/help\n/who\n");
	while ((l = h_line(a, H_TIMEOUT_MS)) != NULL &&
	    strcmp(l, "*** 1 online: guest1") != 0) {
		assert_memory_equal(l, "*** ", 4);
		n++;
	}
	assert_non_null(l);
	assert_true(n >= 7);
	h_close(a);
}

static void
test_quit(void **state)
{
	struct h_server *s = *state;
	struct h_conn *a, *b;

	join_pair(s, &a, &b);
	h_send(a, "/quit see you\n");
	h_expect(b, "*** alice left (see you)");
	assert_true(h_eof(a, H_TIMEOUT_MS));
	h_close(a);
	a = h_join(s, NULL);
	h_expect(b, "*** guest1 joined");
	/* Lines after /quit in the same packet are not relayed. */
	h_send(a, "/QUIT\nafter quit\n");
	h_expect(b, "*** guest1 left");
	h_nothing(b);
	h_close(a);
	h_close(b);
}

static void
test_eof_final_line(void **state)
{
	struct h_server *s = *state;
	struct h_conn *a, *b;

	join_pair(s, &a, &b);
	/* A last line without LF still counts at a clean EOF. */
	h_send(a, "first\nlast words");
	shutdown(a->fd, SHUT_WR);
	h_expect(b, "<alice> first");
	h_expect(b, "<alice> last words");
	h_expect(b, "*** alice left");
	h_close(a);
	h_close(b);
}

static void
test_reset_discards(void **state)
{
	struct h_server *s = *state;
	struct h_conn *a, *b;

	join_pair(s, &a, &b);
	h_send(a, "unfinished");
	h_sleep_ms(50);
	h_reset(a);
	h_expect(b, "*** alice left (error)");
	h_nothing(b);
	h_close(b);
}

static void
test_hygiene(void **state)
{
	struct h_server *s = *state;
	struct h_conn *a, *b;

	join_pair(s, &a, &b);
	h_send(a, "\x1b[31mred\x1b[0m bell\a back\bspace del\x7f tab\tok\n");
	h_expect(b, "<alice> [31mred[0m bell backspace del tab\tok");
	/* C0 AF: two U+FFFD; E4 BD cut short by ASCII: one. C1 dropped. */
	h_send(a, "a\xc0\xafz \xe4\xbdx \xc2\x85y\n");
	h_expect(b, "<alice> a\xef\xbf\xbd\xef\xbf\xbdz \xef\xbf\xbdx y");
	/* Only control characters: blank after cleaning, so ignored. */
	h_send(a, "\x1b\x07\x01 \n");
	h_sync(a);
	h_nothing(b);
	/* Telnet negotiation is removed, even split across packets. */
	h_send(a, "te\xff\xfb");
	h_sleep_ms(20);
	h_send(a, "\x01lnet\xff\xfa\x18\x01\xff\xf0!\n");
	h_expect(b, "<alice> telnet!");
	/* Hygiene covers /me, /msg and /quit reasons too. */
	h_send(a, "/me \x1b[1mbold\n");
	h_expect(b, "* alice [1mbold");
	h_send(a, "/msg bob \a" "ding\n");
	h_expect(b, "[pm] <alice> ding");
	h_send(a, "/quit bye\x1b!\n");
	h_expect(b, "*** alice left (bye!)");
	h_close(a);
	h_close(b);
}

static void
test_line_cap(void **state)
{
	struct h_server *s = *state;
	struct h_conn *a, *b;
	char *big = malloc(5000);

	join_pair(s, &a, &b);
	/* Exactly 1024 bytes, with a CRLF: accepted whole. */
	memset(big, 'x', 1024);
	memcpy(big + 1024, "\r\n", 3);
	h_send(a, big);
	assert_non_null(h_line(b, H_TIMEOUT_MS));
	assert_int_equal(strlen(b->line), strlen("<alice> ") + 1024);
	/* 1025 bytes: one error, nothing relayed, connection kept. */
	memset(big, 'y', 4000);
	memcpy(big + 4000, "\nafter\n", 8);
	h_send(a, big);
	h_expect(a, "!!! line too long (max 1024 bytes)");
	h_expect(b, "<alice> after");
	h_nothing(a);
	h_send(a, "still here\n");
	h_expect(b, "<alice> still here");
	free(big);
	h_close(a);
	h_close(b);
}

static void
test_max_line_option(void **state)
{
	struct h_server s;
	struct h_conn *a, *b;

	(void)state;
	assert_int_equal(h_start(&s, "--max-line=8", NULL), 0);
	a = h_join(&s, NULL);
	b = h_join(&s, NULL);
	h_expect(a, "*** guest2 joined");
	h_send(a, "12345678\n123456789\nok\n");
	h_expect(b, "<guest1> 12345678");
	h_expect(a, "!!! line too long (max 8 bytes)");
	h_expect(b, "<guest1> ok");
	h_close(a);
	h_close(b);
	h_stop(&s);
}

static void
test_server_full(void **state)
{
	struct h_server s;
	struct h_conn *a, *b, *c;

	(void)state;
	assert_int_equal(h_start(&s, "--max-clients", "2", NULL), 0);
	a = h_join(&s, NULL);
	b = h_join(&s, NULL);
	c = h_connect(&s);
	assert_non_null(c);
	h_expect(c, "!!! server full, try again later");
	assert_true(h_eof(c, H_TIMEOUT_MS));
	h_close(c);
	/* Nobody inside noticed; a freed place can be taken again. */
	h_expect(a, "*** guest2 joined");
	h_nothing(a);
	h_close(b);
	h_expect(a, "*** guest2 left");
	b = h_join(&s, NULL);
	h_expect(a, "*** guest2 joined");
	assert_true(h_log_has(&s, "max number of clients reached", 1000));
	h_close(a);
	h_close(b);
	h_stop(&s);
}

static void
test_ipv6_and_unix(void **state)
{
	struct h_server s;
	struct h_conn *a, *b, *c;
	char path[64];
	struct stat st;

	(void)state;
	if (!h_have_ipv6())
		h_skip("no IPv6 loopback here");
	snprintf(path, sizeof path, "/tmp/lobby-test-%ld.sock", (long)getpid());
	assert_int_equal(h_start(&s, "-b", "127.0.0.1", "-b", "::1", "-u",
	    path, NULL), 0);
	assert_true(s.port6 != 0);
	assert_string_equal(s.unix_path, path);
	a = h_connect(&s);
	h_expect_skip(a, "*** welcome to lobby, you are guest1 (1 online; "
	    "/help for commands)");
	b = h_connect_tcp("::1", s.port6);
	assert_non_null(b);
	h_expect(b, "*** welcome to lobby, you are guest2 (2 online; "
	    "/help for commands)");
	c = h_connect_unix(path);
	assert_non_null(c);
	h_expect(c, "*** welcome to lobby, you are guest3 (3 online; "
	    "/help for commands)");
	h_expect(a, "*** guest2 joined");
	h_expect(a, "*** guest3 joined");
	h_expect(b, "*** guest3 joined");
	h_send(c, "from unix\n");
	h_expect(a, "<guest3> from unix");
	h_expect(b, "<guest3> from unix");
	h_send(b, "from v6\n");
	h_expect(a, "<guest2> from v6");
	h_expect(c, "<guest2> from v6");
	h_close(a);
	h_close(b);
	h_close(c);
	/* A clean exit removes the socket file. */
	assert_int_equal(h_stop_sig(&s, SIGTERM), 0);
	assert_int_equal(stat(path, &st), -1);
	h_stop(&s);
}

static void
test_dual_stack(void **state)
{
	struct h_server s;
	struct h_conn *a, *b;

	(void)state;
	if (!h_have_ipv6())
		h_skip("no IPv6 loopback here");
	/* "::" is every address, IPv4 included, on one port. */
	assert_int_equal(h_start(&s, "-b", "::", NULL), 0);
	assert_true(s.port6 != 0);
	a = h_connect_tcp("127.0.0.1", s.port6);
	assert_non_null(a);
	h_expect(a, "*** welcome to lobby, you are guest1 (1 online; "
	    "/help for commands)");
	b = h_connect_tcp("::1", s.port6);
	assert_non_null(b);
	h_expect(b, "*** welcome to lobby, you are guest2 (2 online; "
	    "/help for commands)");
	h_expect(a, "*** guest2 joined");
	assert_true(h_log_has(&s, "joined as guest1", 1000));
	assert_true(h_log_has(&s, "from [::ffff:127.0.0.1]:", 0) ||
	    h_log_has(&s, "from 127.0.0.1:", 0));
	h_close(a);
	h_close(b);
	h_stop(&s);
}

static void
test_unix_stale_and_live(void **state)
{
	struct h_server s, t;
	char path[64];
	char *log;

	(void)state;
	snprintf(path, sizeof path, "/tmp/lobby-test-%ld-b.sock",
	    (long)getpid());
	assert_int_equal(h_start(&s, "-u", path, NULL), 0);
	/* A live server on the path: the second one refuses, exit 1. */
	assert_int_equal(h_start(&t, "-u", path, NULL), -1);
	assert_true(WIFEXITED(t.status) && WEXITSTATUS(t.status) == 1);
	log = h_log(&t);
	assert_non_null(strstr(log, "cannot listen on unix:"));
	free(log);
	h_stop(&t);
	/* A killed server leaves a stale file, which the next replaces. */
	(void)h_stop_sig(&s, SIGKILL);
	assert_true(WIFSIGNALED(s.status));
	h_stop(&s);
	assert_int_equal(access(path, F_OK), 0);
	assert_int_equal(h_start(&s, "-u", path, NULL), 0);
	assert_string_equal(s.unix_path, path);
	h_stop(&s);
	unlink(path);
}

static void
test_order_three_senders(void **state)
{
	struct h_server *s = *state;
	struct h_conn *c[4];
	char want[64], line[64][64];
	int i, j, k, n = 0;

	for (i = 0; i < 4; i++) {
		c[i] = h_join(s, NULL);
		for (j = 0; j < i; j++)
			h_expect(c[j], (snprintf(want, sizeof want,
			    "*** guest%d joined", i + 1), want));
	}
	for (k = 0; k < 20; k++)
		for (i = 0; i < 3; i++) {
			snprintf(want, sizeof want, "m%d-%d\n", i, k);
			h_send(c[i], want);
		}
	/* The watcher sees one order; each sender's lines are in order. */
	for (n = 0; n < 60; n++) {
		const char *l = h_line(c[3], H_TIMEOUT_MS);

		assert_non_null(l);
		snprintf(line[n], sizeof line[n], "%s", l);
	}
	for (i = 0; i < 3; i++) {
		int next = 0;

		for (n = 0; n < 60; n++) {
			int who, seq;

			assert_int_equal(sscanf(line[n], "<guest%*d> m%d-%d",
			    &who, &seq), 2);
			if (who == i) {
				assert_int_equal(seq, next);
				next++;
			}
		}
		assert_int_equal(next, 20);
	}
	/* Everyone else saw the same global order as the watcher. */
	for (i = 0; i < 3; i++) {
		int m = 0;

		for (n = 0; n < 60; n++) {
			char self[16];

			snprintf(self, sizeof self, "<guest%d>", i + 1);
			if (strncmp(line[n], self, strlen(self)) == 0)
				continue;
			h_expect(c[i], line[n]);
			m++;
		}
		assert_int_equal(m, 40);
	}
	for (i = 0; i < 4; i++)
		h_close(c[i]);
}

static void
test_shutdown_notice(void **state)
{
	struct h_server s;
	struct h_conn *a;

	(void)state;
	assert_int_equal(h_start(&s, NULL), 0);
	a = h_join(&s, NULL);
	assert_int_equal(h_stop_sig(&s, SIGINT), 0);
	h_expect(a, "*** server shutting down");
	assert_true(h_eof(a, H_TIMEOUT_MS));
	h_close(a);
	h_stop(&s);
}

/* Append a space and each of the NULL-terminated args to cmd. */
static void
cli_args(char *cmd, size_t size, const char *const *args)
{
	for (; *args != NULL; args++) {
		strncat(cmd, " ", size - strlen(cmd) - 1);
		strncat(cmd, *args, size - strlen(cmd) - 1);
	}
}

/* The first len - 1 bytes of the file at path into buf, NUL-terminated;
 * then remove the file. */
static void
cli_read(const char *path, char *buf, size_t len)
{
	FILE *f = fopen(path, "r");
	size_t n;

	n = fread(buf, 1, len - 1, f);
	buf[n] = '\0';
	fclose(f);
	unlink(path);
}

/* Run lobbyd with args and no server expected; returns the exit status
 * and the first bytes of its stdout and stderr. */
static int
run_cli(const char *const *args, char *out, size_t outlen, char *err,
    size_t errlen)
{
	char cmd[1024], tmpo[] = "/tmp/lobby-cli-XXXXXX";
	char tmpe[] = "/tmp/lobby-cli-XXXXXX";
	int fo = mkstemp(tmpo), fe = mkstemp(tmpe), st;

	assert_true(fo != -1 && fe != -1);
	close(fo);
	close(fe);
	snprintf(cmd, sizeof cmd, "timeout 5 '%s'", h_lobbyd_path());
	cli_args(cmd, sizeof cmd, args);
	snprintf(cmd + strlen(cmd), sizeof cmd - strlen(cmd),
	    " >%s 2>%s </dev/null", tmpo, tmpe);
	st = system(cmd);
	cli_read(tmpo, out, outlen);
	cli_read(tmpe, err, errlen);
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static void
test_command_line(void **state)
{
	struct h_server s;
	char out[8192], err[8192], port[16];
	const char *help[] = { "--help", NULL };
	const char *version[] = { "--version", NULL };
	const char *badport[] = { "-p", "70000", NULL };
	const char *badopt[] = { "--frobnicate", NULL };
	const char *noval[] = { "--max-line", NULL };
	const char *badbind[] = { "-b", "192.0.2.1", "-p", "0", NULL };
	const char *inuse[] = { "-b", "127.0.0.1", "-p", port, NULL };

	(void)state;
	assert_int_equal(run_cli(help, out, sizeof out, err, sizeof err), 0);
	assert_non_null(strstr(out, "--idle-timeout"));
	assert_string_equal(err, "");
	assert_int_equal(run_cli(version, out, sizeof out, err, sizeof err),
	    0);
	assert_memory_equal(out, "lobbyd ", 7);
	assert_int_equal(run_cli(badport, out, sizeof out, err, sizeof err),
	    2);
	assert_non_null(strstr(err, "usage: lobbyd"));
	assert_non_null(strstr(err, "70000"));
	assert_int_equal(run_cli(badopt, out, sizeof out, err, sizeof err),
	    2);
	assert_non_null(strstr(err, "--frobnicate"));
	assert_int_equal(run_cli(noval, out, sizeof out, err, sizeof err), 2);
	/* An address that is not ours cannot be bound: exit 1, say why. */
	assert_int_equal(run_cli(badbind, out, sizeof out, err, sizeof err),
	    1);
	assert_non_null(strstr(err, "lobbyd: cannot listen on 192.0.2.1:0: "));
	/* A port in use: exit 1 with the address and the reason. */
	assert_int_equal(h_start(&s, "-b", "127.0.0.1", NULL), 0);
	snprintf(port, sizeof port, "%u", s.port);
	assert_int_equal(run_cli(inuse, out, sizeof out, err, sizeof err), 1);
	assert_non_null(strstr(err, "cannot listen on 127.0.0.1:"));
	assert_non_null(strstr(err, "Address already in use"));
	h_stop(&s);
}

static void
test_log_has_no_text(void **state)
{
	struct h_server *s = *state;
	struct h_conn *a, *b;
	char *log;

	join_pair(s, &a, &b);
	h_send(a, "secret-message-text\n");
	h_expect(b, "<alice> secret-message-text");
	h_send(a, "/quit secret-reason\n");
	h_expect(b, "*** alice left (secret-reason)");
	assert_true(h_log_has(s, "alice left", 1000));
	log = h_log(s);
	assert_null(strstr(log, "secret"));
	assert_non_null(strstr(log, " info: "));
	free(log);
	h_close(a);
	h_close(b);
}

/*
 * Run lobbyd with args and its stderr on a file that JOURNAL_STREAM names,
 * as under systemd; after secs seconds it gets SIGTERM. Returns the exit
 * status and the start of its stderr.
 */
static int
run_cli_journal(const char *const *args, int secs, char *err, size_t errlen)
{
	char cmd[1024], tmpe[] = "/tmp/lobby-cli-XXXXXX";
	int fe = mkstemp(tmpe), st;
	struct stat sb;

	assert_true(fe != -1);
	assert_int_equal(fstat(fe, &sb), 0);
	close(fe);
	snprintf(cmd, sizeof cmd, "JOURNAL_STREAM=%llu:%llu timeout "
	    "--preserve-status %d '%s'", (unsigned long long)sb.st_dev,
	    (unsigned long long)sb.st_ino, secs, h_lobbyd_path());
	cli_args(cmd, sizeof cmd, args);
	/* ">" truncates the file: its device and inode stay the same. */
	snprintf(cmd + strlen(cmd), sizeof cmd - strlen(cmd),
	    " >/dev/null 2>%s </dev/null", tmpe);
	st = system(cmd);
	cli_read(tmpe, err, errlen);
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

/*
 * Under systemd every line on stderr starts with its priority, the
 * listening lines and the reasons lobbyd did not start included:
 * journalctl -p err must show why the service failed.
 */
static void
test_journal_priorities(void **state)
{
	struct h_server s;
	char err[8192], port[16];
	const char *badport[] = { "-p", "70000", NULL };
	const char *inuse[] = { "-b", "127.0.0.1", "-p", port, NULL };
	const char *serve[] = { "-b", "127.0.0.1", "-p", "0", "-q", NULL };

	(void)state;
	assert_int_equal(run_cli_journal(badport, 5, err, sizeof err), 2);
	assert_memory_equal(err, "<3>lobbyd: -p 70000: ", 21);
	assert_int_equal(h_start(&s, "-b", "127.0.0.1", NULL), 0);
	snprintf(port, sizeof port, "%u", s.port);
	assert_int_equal(run_cli_journal(inuse, 5, err, sizeof err), 1);
	assert_non_null(strstr(err, "<3>lobbyd: cannot listen on 127.0.0.1:"));
	h_stop(&s);
	/* Served until SIGTERM: the listening line, then the exit. */
	assert_int_equal(run_cli_journal(serve, 1, err, sizeof err), 0);
	assert_memory_equal(err, "<6>lobbyd: listening on 127.0.0.1:", 34);
}

/*
 * --help and --version that cannot be written (a full disk, a closed
 * pipe) say so on stderr and exit 1, as a Unix tool does: a script must
 * not take nothing for the version.
 */
static void
test_stdout_full(void **state)
{
	(void)state;
	h_stdout_full(h_lobbyd_path());
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		h_test_started(test_welcome_and_join),
		h_test_started(test_chat_no_echo),
		h_test_started(test_me_msg_escape),
		h_test_started(test_errors),
		h_test_started(test_nick_and_who),
		h_test_started(test_help),
		h_test_started(test_quit),
		h_test_started(test_eof_final_line),
		h_test_started(test_reset_discards),
		h_test_started(test_hygiene),
		h_test_started(test_line_cap),
		h_test_started(test_order_three_senders),
		h_test_started(test_log_has_no_text),
		h_test(test_max_line_option),
		h_test(test_server_full),
		h_test(test_ipv6_and_unix),
		h_test(test_dual_stack),
		h_test(test_unix_stale_and_live),
		h_test(test_shutdown_notice),
		h_test(test_command_line),
		h_test(test_journal_priorities),
		h_test(test_stdout_full),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
