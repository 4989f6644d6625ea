/* test_transport_tls: the TLS member transport against a socketpair: the
 * room log's lines arrive whole however the writes are cut, bytes SSL
 * holds are read, a close says close_notify. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/ioctl.h>
#include <linux/sockios.h>	/* SIOCOUTQ */
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include <openssl/err.h>
#include <openssl/ssl.h>

#include "buf.h"
#include "server-int.h"
#include "transport.h"
#include "transport_fix.h"
#include "unit.h"

/*
 * The certificate is made at run time with the openssl command, in a
 * temporary directory (no key is committed); without the command the
 * tests are skipped.
 */

#define OUT_MAX		(4 << 20)	/* most bytes one test reads back */

static char dir[64];		/* the temporary directory of the key */
static char cert[96];		/* its certificate */
static char key[96];		/* and key */
static char enc[96];		/* the key under the passphrase "secret" */

/* The member (server side) on one end, a TLS client on the other. */
struct fix {
	struct server_config cfg;
	struct server	*s;		/* for its TLS side, s->tls */
	struct rlog	 log;
	struct client	*from;		/* who says the lines */
	struct client	*c;		/* the member under test */
	SSL		*srv;		/* c's SSL (its state holds it) */
	SSL		*cli;		/* the test's end */
	int		 peer;		/* the test's socket */
	char		*out;		/* what the client read */
	size_t		 outlen;
};

/* Both ends shake hands, in turn, until both are done. */
static void
fix_handshake(struct fix *f)
{
	int a = 0, b = 0, i;

	for (i = 0; i < 10000 && (a != 1 || b != 1); i++) {
		if (a != 1)
			a = SSL_do_handshake(f->srv);
		if (b != 1)
			b = SSL_do_handshake(f->cli);
		if (a != 1)
			assert_true(SSL_get_error(f->srv, a) ==
			    SSL_ERROR_WANT_READ);
		if (b != 1)
			assert_true(SSL_get_error(f->cli, b) ==
			    SSL_ERROR_WANT_READ);
	}
	assert_int_equal(a, 1);
	assert_int_equal(b, 1);
}

static struct fix *
fix_new(int sndbuf)
{
	struct fix *f = calloc(1, sizeof *f);
	SSL_CTX *sctx, *cctx;
	int sp[2];

	assert_non_null(f);
	f->cfg.tls_cert = cert;
	f->cfg.tls_key = key;
	assert_non_null(f->s = calloc(1, sizeof *f->s));
	f->s->cfg = &f->cfg;
	assert_int_equal(tls_init(f->s), 0);
	tfix_socketpair(sp);
	if (sndbuf > 0) {
		assert_int_equal(setsockopt(sp[0], SOL_SOCKET, SO_SNDBUF,
		    &sndbuf, sizeof sndbuf), 0);
		assert_int_equal(setsockopt(sp[1], SOL_SOCKET, SO_RCVBUF,
		    &sndbuf, sizeof sndbuf), 0);
	}
	/* The server's SSL as tls.c makes its context: from the same pair. */
	assert_non_null(sctx = SSL_CTX_new(TLS_server_method()));
	assert_int_equal(SSL_CTX_use_certificate_chain_file(sctx, cert), 1);
	assert_int_equal(SSL_CTX_use_PrivateKey_file(sctx, key,
	    SSL_FILETYPE_PEM), 1);
	SSL_CTX_set_mode(sctx, SSL_MODE_ENABLE_PARTIAL_WRITE |
	    SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER | SSL_MODE_RELEASE_BUFFERS);
	assert_non_null(f->srv = SSL_new(sctx));
	SSL_CTX_free(sctx);
	assert_non_null(cctx = SSL_CTX_new(TLS_client_method()));
	assert_non_null(f->cli = SSL_new(cctx));
	SSL_CTX_free(cctx);
	SSL_set_fd(f->srv, sp[0]);
	SSL_set_accept_state(f->srv);
	SSL_set_fd(f->cli, sp[1]);
	SSL_set_connect_state(f->cli);
	fix_handshake(f);

	tfix_members(&f->log, &f->from, &f->c, sp[0], &transport_tls,
	    transport_tls_new(f->s->tls, f->srv));
	assert_non_null(f->c->tp_state);
	f->peer = sp[1];
	assert_non_null(f->out = malloc(OUT_MAX));
	return f;
}

static void
fix_free(struct fix *f)
{
	tfix_members_free(&f->log, f->from, f->c);
	SSL_free(f->cli);
	close(f->peer);
	tls_free(f->s);
	free(f->s);
	free(f->out);
	free(f);
}

/* What the client can read now, onto f->out. Returns the last SSL_read()
 * result (0 or less: nothing more now, or the end). */
static int
fix_read(struct fix *f)
{
	int n;

	while ((n = SSL_read(f->cli, f->out + f->outlen,
	    (int)(OUT_MAX - f->outlen))) > 0)
		f->outlen += (size_t)n;
	return n;
}

/*
 * Write c's output as conn.c does (fill, writev, advance), the client
 * reading in between, until nothing is left. Returns the writes that
 * could not go on (EAGAIN) on the way.
 */
static int
fix_flush(struct fix *f)
{
	struct iovec iov[SERVER_IOV];
	int cnt, again = 0, rounds;
	ssize_t n;

	for (rounds = 0; rounds < 100000 &&
	    transport_tls.unsent(f->c, &f->log); rounds++) {
		cnt = transport_tls.fill(f->c, &f->log, iov, SERVER_IOV);
		if (cnt == 0) {
			(void)transport_tls.advance(f->c, &f->log, 0);
			/* Only bytes the stream took and owes: written alone. */
			if (!transport_tls.unsent(f->c, &f->log))
				break;
		}
		n = transport_tls.writev(f->c, iov, cnt);
		if (n > 0)
			(void)transport_tls.advance(f->c, &f->log, (size_t)n);
		else if (n == 0)
			assert_int_equal(cnt, 0);
		else {
			assert_int_equal(n, -1);
			assert_int_equal(errno, EAGAIN);
			again++;
		}
		(void)fix_read(f);
	}
	(void)fix_read(f);
	return again;
}

/* Append line text from f->from, as the room does. */
static void
fix_say(struct fix *f, const char *text)
{
	char line[2048];
	int n = snprintf(line, sizeof line, "<a> %s\n", text);

	assert_int_equal(rlog_append(&f->log, &f->from->rd, RLOG_CHAT, line,
	    (size_t)n), 0);
}

/* ---------------------------------------------------------------------
 * Tests
 * ------------------------------------------------------------------- */

/* The log's bytes arrive as they are, in records. */
static void
test_tls_lines(void **state)
{
	struct fix *f = fix_new(0);

	(void)state;
	fix_say(f, "hello");
	fix_say(f, "world");
	(void)fix_flush(f);
	assert_int_equal(f->outlen, strlen("<a> hello\n<a> world\n"));
	assert_memory_equal(f->out, "<a> hello\n<a> world\n", f->outlen);
	assert_false(transport_tls.unsent(f->c, &f->log));
	fix_free(f);
}

/*
 * A small socket: writes stop in the middle of what was offered, and
 * the retry (the same bytes, offered again from the same place, and
 * more) goes on where it stopped. Nothing lost, nothing twice.
 */
static void
test_tls_partial_writes(void **state)
{
	struct fix *f = fix_new(4096);
	char text[1000], *want, *p;
	size_t wantlen = 0;
	int i, again = 0;

	(void)state;
	want = malloc(OUT_MAX);
	assert_non_null(want);
	for (i = 0; i < 2000; i++) {
		memset(text, 'a' + i % 26, sizeof text - 1);
		snprintf(text, 16, "%05d", i);
		text[5] = ' ';
		text[sizeof text - 1] = '\0';
		fix_say(f, text);
		p = want + wantlen;
		wantlen += (size_t)sprintf(p, "<a> %s\n", text);
		/* Some appended while a write is half done. */
		if (i % 100 == 99)
			again += fix_flush(f);
	}
	again += fix_flush(f);
	/* The socket did make writes stop half-way (and go on later). */
	assert_true(again > 0);
	assert_int_equal(f->outlen, wantlen);
	assert_memory_equal(f->out, want, wantlen);
	free(want);
	fix_free(f);
}

/*
 * A write that must wait has sealed bytes SSL sends first, whatever the
 * next write offers: the stream counts them as written (and sends them
 * first), so a caller that puts other bytes where the next write begins
 * (a WebSocket pong, a close frame) gets them where it put them. The
 * client reads exactly what the counts said, in that order.
 */
static void
test_tls_retry_keeps_order(void **state)
{
	struct fix *f = fix_new(4096);
	char *big, *want, mark[16];
	size_t len = 256 << 10, off = 0, wantlen = 0, mlen = 0, msent = 0, t;
	struct iovec iov[2];
	int i, k = 0, waited = 0, rounds;
	ssize_t n;

	(void)state;
	assert_non_null(big = malloc(len));
	assert_non_null(want = malloc(OUT_MAX));
	for (i = 0; (size_t)i < len; i++)
		big[i] = (char)('a' + i % 26);
	for (rounds = 0; rounds < 100000 && (off < len || msent < mlen ||
	    tls_stream_owes(f->c->tp_state)); rounds++) {
		iov[0].iov_base = mark + msent;
		iov[0].iov_len = mlen - msent;
		iov[1].iov_base = big + off;
		iov[1].iov_len = len - off;
		n = tls_stream_writev(f->c->tp_state, iov, 2);
		if (n == -1) {
			assert_int_equal(errno, EAGAIN);
		} else {
			t = (size_t)n < mlen - msent ? (size_t)n : mlen - msent;
			memcpy(want + wantlen, mark + msent, t);
			wantlen += t;
			msent += t;
			memcpy(want + wantlen, big + off, (size_t)n - t);
			wantlen += (size_t)n - t;
			off += (size_t)n - t;
		}
		/* The socket is full: a new mark goes first next time. */
		if ((n == -1 || tls_stream_owes(f->c->tp_state)) &&
		    msent == mlen) {
			mlen = (size_t)snprintf(mark, sizeof mark, "[%d]", k++);
			msent = 0;
			waited++;
		}
		(void)fix_read(f);
	}
	(void)fix_read(f);
	assert_true(waited > 0);
	assert_int_equal(f->outlen, wantlen);
	assert_memory_equal(f->out, want, wantlen);
	free(big);
	free(want);
	fix_free(f);
}

/*
 * Reads: several records in the socket, read with a small buffer; what
 * one SSL_read() leaves decrypted (select() would not see it) is still
 * there for the next read, and read() takes record after record.
 */
static void
test_tls_reads_and_pending(void **state)
{
	struct fix *f = fix_new(0);
	char buf[65536], big[40000];
	size_t got = 0;
	ssize_t n;
	int i;

	(void)state;
	for (i = 0; i < 3; i++)
		assert_int_equal(SSL_write(f->cli, "line one\nline two\n", 18),
		    18);
	/* A small buffer: the rest of the record stays in SSL. */
	n = transport_tls.read(f->c, buf, 5);
	assert_int_equal(n, 5);
	assert_memory_equal(buf, "line ", 5);
	assert_true(SSL_pending(f->srv) > 0);
	n = transport_tls.read(f->c, buf, sizeof buf);
	assert_int_equal(n, 3 * 18 - 5);
	/* Nothing more: EAGAIN, not an end. */
	n = transport_tls.read(f->c, buf, sizeof buf);
	assert_int_equal(n, -1);
	assert_int_equal(errno, EAGAIN);
	/* More than one record (16 KiB each) in one read. */
	memset(big, 'x', sizeof big);
	for (i = 0; i < (int)sizeof big;) {
		int k = SSL_write(f->cli, big + i, (int)sizeof big - i);

		assert_true(k > 0);
		i += k;
	}
	while (got < sizeof big && (n = transport_tls.read(f->c, buf,
	    sizeof buf)) > 0)
		got += (size_t)n;
	assert_int_equal(got, sizeof big);
	fix_free(f);
}

/* The peer's close_notify is an end (0); its reset an error. */
static void
test_tls_eof(void **state)
{
	struct fix *f = fix_new(0);
	char buf[64];
	ssize_t n;

	(void)state;
	assert_int_equal(SSL_write(f->cli, "last\n", 5), 5);
	(void)SSL_shutdown(f->cli);
	n = transport_tls.read(f->c, buf, sizeof buf);
	assert_int_equal(n, 5);
	n = transport_tls.read(f->c, buf, sizeof buf);
	assert_int_equal(n, 0);
	fix_free(f);
}

/* A plain close without close_notify is an end too, as at a TCP EOF. */
static void
test_tls_bare_eof(void **state)
{
	struct fix *f = fix_new(0);
	char buf[64];

	(void)state;
	assert_int_equal(shutdown(f->peer, SHUT_WR), 0);
	assert_int_equal(transport_tls.read(f->c, buf, sizeof buf), 0);
	fix_free(f);
}

/*
 * close() hands the stream over with the socket, neither closed nor shut
 * yet; close_notify on it (which linger.c says once what the stream owes
 * is out) is an end the client sees, after the last line.
 */
static void
test_tls_close_notify(void **state)
{
	struct fix *f = fix_new(0);
	struct buf rest = BUF_INIT;
	void *st, *was;
	int n;

	(void)state;
	fix_say(f, "bye");
	(void)fix_flush(f);
	was = f->c->tp_state;
	st = transport_tls.close(f->c, &rest);
	assert_ptr_equal(st, was);
	assert_null(f->c->tp_state);
	assert_int_equal(buf_used(&rest), 0);
	assert_false(tls_stream_owes(st));
	assert_int_equal(tls_stream_shutdown(st), 0);
	tls_stream_free(st);
	n = fix_read(f);
	assert_int_equal(n, 0);
	assert_int_equal(SSL_get_error(f->cli, n), SSL_ERROR_ZERO_RETURN);
	assert_memory_equal(f->out, "<a> bye\n", 8);
	fix_free(f);
}

/*
 * Lines fill the socket, all taken (nothing owed): close_notify does not
 * fit, and the stream says so, to be said again once the socket takes
 * it; the client reads every line, then close_notify, before the write
 * side is shut, never a bare EOF (a truncation to OpenSSL).
 */
static void
test_tls_close_notify_full(void **state)
{
	struct fix *f = fix_new(4096);
	struct iovec iov[SERVER_IOV];
	struct buf rest = BUF_INIT;
	int fd = f->c->fd, sndbuf, queued = 0, cnt, i, n;
	socklen_t len = sizeof sndbuf;
	void *st;

	(void)state;
	assert_int_equal(getsockopt(fd, SOL_SOCKET, SO_SNDBUF, &sndbuf, &len),
	    0);
	/* One line a write, until the socket is full (a Unix socket takes
	 * a write whole while it is not). */
	for (i = 0; i < 10000 && queued < sndbuf; i++) {
		fix_say(f, "filling");
		cnt = transport_tls.fill(f->c, &f->log, iov, SERVER_IOV);
		assert_int_equal(transport_tls.writev(f->c, iov, cnt), 12);
		(void)transport_tls.advance(f->c, &f->log, 12);
		assert_false(transport_tls.unsent(f->c, &f->log));
		assert_int_equal(ioctl(fd, SIOCOUTQ, &queued), 0);
	}
	assert_true(queued >= sndbuf);
	st = transport_tls.close(f->c, &rest);
	assert_int_equal(buf_used(&rest), 0);
	assert_false(tls_stream_owes(st));
	assert_int_equal(tls_stream_shutdown(st), -1);
	assert_int_equal(errno, EAGAIN);
	/* The client reads: room for it now, then the write side shut. */
	n = fix_read(f);
	assert_int_equal(SSL_get_error(f->cli, n), SSL_ERROR_WANT_READ);
	assert_int_equal(f->outlen, 12 * (size_t)i);
	assert_int_equal(tls_stream_shutdown(st), 0);
	assert_int_equal(shutdown(fd, SHUT_WR), 0);
	tls_stream_free(st);
	n = fix_read(f);
	assert_int_equal(f->outlen, 12 * (size_t)i);
	assert_int_equal(n, 0);
	assert_int_equal(SSL_get_error(f->cli, n), SSL_ERROR_ZERO_RETURN);
	fix_free(f);
}

/*
 * Child: whether a key under a passphrase is refused at start and at a
 * reload without a prompt. Its stdin holds the passphrase and no
 * terminal is there: a prompt would read it (or, with a terminal or
 * nothing in the pipe, stop the loop until someone types).
 */
static int
passphrase_child(void)
{
	static const char pw[] = "secret\n";
	struct server_config cfg;
	struct server s;
	int p[2], left = 0, rc;

	if (setsid() == -1 || pipe(p) == -1 ||
	    write(p[1], pw, sizeof pw - 1) != (ssize_t)(sizeof pw - 1) ||
	    dup2(p[0], STDIN_FILENO) == -1)
		return 2;
	(void)alarm(10);
	memset(&cfg, 0, sizeof cfg);
	memset(&s, 0, sizeof s);
	s.cfg = &cfg;
	/* At start: refused. */
	cfg.tls_cert = cert;
	cfg.tls_key = enc;
	rc = tls_init(&s);
	tls_free(&s);
	if (rc != -1 || ioctl(STDIN_FILENO, FIONREAD, &left) == -1 ||
	    left != (int)sizeof pw - 1)
		return 3;
	/* At a reload: the pair in use is kept, nothing asked. */
	cfg.tls_key = key;
	if (tls_init(&s) != 0)
		return 4;
	cfg.tls_key = enc;
	tls_reload(&s);
	tls_free(&s);
	if (ioctl(STDIN_FILENO, FIONREAD, &left) == -1 ||
	    left != (int)sizeof pw - 1)
		return 5;
	return 0;
}

/*
 * A key under a passphrase cannot be used (lobbyd takes none): it is an
 * error at start and a failed reload, never a prompt that holds the loop.
 */
static void
test_tls_key_passphrase(void **state)
{
	pid_t pid;
	int st;

	(void)state;
	fflush(NULL);
	assert_true((pid = fork()) != -1);
	if (pid == 0)
		_exit(passphrase_child());
	assert_int_equal(waitpid(pid, &st, 0), pid);
	assert_true(WIFEXITED(st));
	assert_int_equal(WEXITSTATUS(st), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_tls_lines),
		cmocka_unit_test(test_tls_partial_writes),
		cmocka_unit_test(test_tls_retry_keeps_order),
		cmocka_unit_test(test_tls_reads_and_pending),
		cmocka_unit_test(test_tls_eof),
		cmocka_unit_test(test_tls_bare_eof),
		cmocka_unit_test(test_tls_close_notify),
		cmocka_unit_test(test_tls_close_notify_full),
		cmocka_unit_test(test_tls_key_passphrase),
	};
	char cmd[1024];
	int rc;

	snprintf(dir, sizeof dir, "/tmp/lobby-tlsu-XXXXXX");
	if (mkdtemp(dir) == NULL)
		return 1;
	snprintf(cert, sizeof cert, "%s/cert.pem", dir);
	snprintf(key, sizeof key, "%s/key.pem", dir);
	snprintf(enc, sizeof enc, "%s/enc.pem", dir);
	snprintf(cmd, sizeof cmd, "openssl req -x509 -newkey rsa:2048 -nodes "
	    "-days 2 -subj /CN=localhost -keyout %s -out %s >/dev/null 2>&1 && "
	    "openssl pkey -in %s -aes256 -passout pass:secret -out %s "
	    ">/dev/null 2>&1", key, cert, key, enc);
	if (system(cmd) != 0) {
		fprintf(stderr, "no openssl command to make a key: skipped\n");
		rmdir(dir);
		return 77;
	}
	rc = cmocka_run_group_tests(tests, NULL, NULL);
	unlink(cert);
	unlink(key);
	unlink(enc);
	rmdir(dir);
	return rc;
}
