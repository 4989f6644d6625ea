/* test_tls: --tls members: chat with TCP members, tools, handshakes, reload. */
#define _GNU_SOURCE	/* prlimit */
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/sockios.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include "harness.h"

/*
 * The keys are never committed: the suite makes a throwaway CA, a server
 * certificate for "localhost" (and only that name), a second one for the
 * reload, and a CA nobody trusts, with the openssl command, in a
 * temporary directory, once. Without openssl the suite is skipped.
 *
 * The TLS client here is OpenSSL's, driven the way a test must: every
 * wait bounded, what SSL decrypted ahead read before polling again.
 */

#define HANDSHAKE_MS	10000	/* lobbyd's bound on a handshake
				   (TLS_HANDSHAKE_MS), from its accept */

static char pki[64];		/* the temporary directory of the keys */

/* A path in pki, in a static buffer (one of four, in turn). */
static const char *
pki_path(const char *name)
{
	static char bufs[4][128];
	static int next;
	char *b = bufs[next++ % 4];

	snprintf(b, sizeof bufs[0], "%s/%s", pki, name);
	return b;
}

/* Run a shell command in pki quietly; whether it exited 0. */
static bool
pki_run(const char *fmt, ...)
{
	char cmd[2048], full[2300];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof cmd, fmt, ap);
	va_end(ap);
	snprintf(full, sizeof full, "cd '%s' && (%s) >/dev/null 2>&1", pki,
	    cmd);
	return system(full) == 0;
}

/*
 * A server certificate NAME.pem/NAME.key for DNS:localhost, from CA,
 * valid for days from now (-1: it ran out yesterday).
 */
static bool
pki_server_days(const char *name, const char *ca, const char *cn, int days)
{
	return pki_run("openssl req -newkey rsa:2048 -nodes -keyout %s.key "
	    "-out %s.csr -subj /CN=%s && printf "
	    "'subjectAltName=DNS:localhost\\n' > %s.ext && "
	    "openssl x509 -req -in %s.csr -CA %s.pem -CAkey %s.key "
	    "-CAcreateserial -out %s.pem -days %d -extfile %s.ext",
	    name, name, cn, name, name, ca, ca, name, days, name);
}

static bool
pki_server(const char *name, const char *ca, const char *cn)
{
	return pki_server_days(name, ca, cn, 2);
}

/* Make the keys once; false when openssl is missing or fails. */
static bool
pki_make(void)
{
	snprintf(pki, sizeof pki, "/tmp/lobby-tls-XXXXXX");
	if (mkdtemp(pki) == NULL)
		return false;
	return pki_run("openssl req -x509 -newkey rsa:2048 -nodes -keyout "
	    "ca.key -out ca.pem -days 2 -subj /CN=lobby-test-ca") &&
	    pki_run("openssl req -x509 -newkey rsa:2048 -nodes -keyout "
	    "other.key -out other.pem -days 2 -subj /CN=nobody-trusts-me") &&
	    pki_server("srv", "ca", "first") &&
	    pki_server("srv2", "ca", "second") &&
	    pki_server_days("old", "ca", "expired", -1) &&
	    pki_run("cp srv.pem live.pem && cp srv.key live.key");
}

/* ---------------------------------------------------------------------
 * A TLS client
 * ------------------------------------------------------------------- */

struct tconn {
	int	 fd;			/* the socket */
	SSL	*ssl;			/* its TLS state */
	char	 in[1 << 17];		/* plaintext read, not yet returned */
	size_t	 inlen;			/* bytes at in */
	char	 line[1 << 17];		/* the line t_line() returned last */
};

/*
 * Shake hands on fd, a socket connected to a TLS port (taken over),
 * checking the chain against ca (NULL: nothing checked) and the name
 * host; max_version 0 for any. Returns the connection, or NULL with why.
 */
static struct tconn *
t_shake(int fd, const char *host, const char *ca, int max_version,
    char *why, size_t len)
{
	struct pollfd pfd;
	struct tconn *t;
	SSL_CTX *ctx;
	long long end = h_now_ms() + H_TIMEOUT_MS;
	int r, e;

	t = calloc(1, sizeof *t);
	assert_non_null(t);
	t->fd = fd;
	assert_int_equal(fcntl(t->fd, F_SETFL, O_NONBLOCK), 0);
	ctx = SSL_CTX_new(TLS_client_method());
	assert_non_null(ctx);
	if (max_version != 0) {
		/* Let this client offer an old version at all. */
		assert_int_equal(SSL_CTX_set_min_proto_version(ctx,
		    TLS1_VERSION), 1);
		assert_int_equal(SSL_CTX_set_max_proto_version(ctx,
		    max_version), 1);
		(void)SSL_CTX_set_cipher_list(ctx, "DEFAULT:@SECLEVEL=0");
	}
	if (ca != NULL) {
		SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, NULL);
		assert_int_equal(SSL_CTX_load_verify_locations(ctx, ca, NULL),
		    1);
	}
	t->ssl = SSL_new(ctx);
	SSL_CTX_free(ctx);
	assert_non_null(t->ssl);
	SSL_set_fd(t->ssl, t->fd);
	(void)SSL_set_tlsext_host_name(t->ssl, host);
	if (ca != NULL)
		assert_int_equal(SSL_set1_host(t->ssl, host), 1);
	SSL_set_connect_state(t->ssl);
	for (;;) {
		ERR_clear_error();
		if ((r = SSL_do_handshake(t->ssl)) == 1)
			return t;
		e = SSL_get_error(t->ssl, r);
		if ((e != SSL_ERROR_WANT_READ && e != SSL_ERROR_WANT_WRITE) ||
		    h_now_ms() >= end)
			break;
		pfd.fd = t->fd;
		pfd.events = e == SSL_ERROR_WANT_READ ? POLLIN : POLLOUT;
		(void)poll(&pfd, 1, 50);
	}
	snprintf(why, len, "%s", h_now_ms() >= end ? "timeout" :
	    ERR_peek_error() != 0 ? ERR_reason_error_string(ERR_peek_error()) :
	    "closed");
	ERR_clear_error();
	SSL_free(t->ssl);
	close(t->fd);
	free(t);
	return NULL;
}

/* Connect to port on 127.0.0.1 and shake hands, as t_shake(). */
static struct tconn *
t_connect(unsigned port, const char *host, const char *ca, int max_version,
    char *why, size_t len)
{
	struct sockaddr_in sin;
	int fd;

	fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	assert_true(fd >= 0);
	memset(&sin, 0, sizeof sin);
	sin.sin_family = AF_INET;
	sin.sin_port = htons((uint16_t)port);
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(connect(fd, (struct sockaddr *)&sin, sizeof sin), 0);
	return t_shake(fd, host, ca, max_version, why, len);
}

/* t_connect() that must succeed, trusting the test CA, as localhost. */
static struct tconn *
t_join(unsigned port)
{
	char why[256];
	struct tconn *t = t_connect(port, "localhost", pki_path("ca.pem"), 0,
	    why, sizeof why);

	if (t == NULL)
		fail_msg("TLS handshake failed: %s", why);
	return t;
}

/* Send n bytes as they are (bounded). */
static void
t_send_raw(struct tconn *t, const void *p, size_t n)
{
	const char *s = p;
	size_t off = 0;
	long long end = h_now_ms() + H_TIMEOUT_MS;
	struct pollfd pfd;
	int r;

	while (off < n) {
		ERR_clear_error();
		r = SSL_write(t->ssl, s + off, (int)(n - off));
		if (r > 0) {
			off += (size_t)r;
			continue;
		}
		assert_true(SSL_get_error(t->ssl, r) == SSL_ERROR_WANT_WRITE ||
		    SSL_get_error(t->ssl, r) == SSL_ERROR_WANT_READ);
		assert_true(h_now_ms() < end);
		pfd.fd = t->fd;
		pfd.events = POLLOUT | POLLIN;
		(void)poll(&pfd, 1, 50);
	}
}

/* Send text as it is (bounded). */
static void
t_send(struct tconn *t, const char *text)
{
	t_send_raw(t, text, strlen(text));
}

/*
 * The next line (without its LF) within ms, or NULL on timeout or end of
 * stream (*eof set then, if not NULL).
 */
static const char *
t_line_eof(struct tconn *t, int ms, bool *eof)
{
	long long end = h_now_ms() + ms;
	struct pollfd pfd;
	char *lf;
	size_t n;
	int r, e;

	if (eof != NULL)
		*eof = false;
	for (;;) {
		if ((lf = memchr(t->in, '\n', t->inlen)) != NULL) {
			n = (size_t)(lf - t->in);
			memcpy(t->line, t->in, n);
			t->line[n] = '\0';
			memmove(t->in, lf + 1, t->inlen - n - 1);
			t->inlen -= n + 1;
			return t->line;
		}
		if (t->inlen == sizeof t->in)
			fail_msg("a line longer than %zu bytes", sizeof t->in);
		ERR_clear_error();
		r = SSL_read(t->ssl, t->in + t->inlen,
		    (int)(sizeof t->in - t->inlen));
		if (r > 0) {
			t->inlen += (size_t)r;
			continue;
		}
		e = SSL_get_error(t->ssl, r);
		ERR_clear_error();
		if (e != SSL_ERROR_WANT_READ && e != SSL_ERROR_WANT_WRITE) {
			if (eof != NULL)
				*eof = true;
			return NULL;
		}
		if (h_now_ms() >= end)
			return NULL;
		pfd.fd = t->fd;
		pfd.events = POLLIN;
		(void)poll(&pfd, 1, 50);
	}
}

static const char *
t_line(struct tconn *t, int ms)
{
	return t_line_eof(t, ms, NULL);
}

/* Skip lines until one equals want; fail after H_TIMEOUT_MS. */
static void
t_expect_skip(struct tconn *t, const char *want)
{
	long long end = h_now_ms() + H_TIMEOUT_MS;
	const char *l;

	while (h_now_ms() < end)
		if ((l = t_line(t, 200)) != NULL && strcmp(l, want) == 0)
			return;
	fail_msg("no line \"%s\" over TLS", want);
}

/* The next line must be want. */
static void
t_expect(struct tconn *t, const char *want)
{
	const char *l = t_line(t, H_TIMEOUT_MS);

	if (l == NULL)
		fail_msg("wanted \"%s\" over TLS, got nothing", want);
	if (strcmp(l, want) != 0)
		fail_msg("wanted \"%s\" over TLS, got \"%s\"", want, l);
}

static void
t_close(struct tconn *t)
{
	if (t == NULL)
		return;
	SSL_free(t->ssl);
	close(t->fd);
	free(t);
}


/* Exactly n bytes into p within H_TIMEOUT_MS (the buffer first). */
static bool
t_read_n(struct tconn *t, void *p, size_t n)
{
	long long end = h_now_ms() + H_TIMEOUT_MS;
	struct pollfd pfd;
	int r, e;

	while (t->inlen < n) {
		ERR_clear_error();
		r = SSL_read(t->ssl, t->in + t->inlen,
		    (int)(sizeof t->in - t->inlen));
		if (r > 0) {
			t->inlen += (size_t)r;
			continue;
		}
		e = SSL_get_error(t->ssl, r);
		ERR_clear_error();
		if ((e != SSL_ERROR_WANT_READ && e != SSL_ERROR_WANT_WRITE) ||
		    h_now_ms() >= end)
			return false;
		pfd.fd = t->fd;
		pfd.events = POLLIN;
		(void)poll(&pfd, 1, 50);
	}
	memcpy(p, t->in, n);
	memmove(t->in, t->in + n, t->inlen - n);
	t->inlen -= n;
	return true;
}

/* One WebSocket frame from the server (unmasked, < 64 KiB): its opcode,
 * and its payload NUL-terminated in out. */
static unsigned
t_frame(struct tconn *t, char *out, size_t size)
{
	unsigned char h[4];
	size_t len;

	assert_true(t_read_n(t, h, 2));
	len = h[1] & 0x7f;
	if (len == 126) {
		assert_true(t_read_n(t, h + 2, 2));
		len = (size_t)h[2] << 8 | h[3];
	}
	assert_true(len < size);
	assert_true(t_read_n(t, out, len));
	out[len] = '\0';
	return h[0] & 0x0f;
}

/* Send text as one masked text frame (the zero mask: text as it is). */
static void
t_send_frame(struct tconn *t, unsigned op, const char *text)
{
	unsigned char f[256];
	size_t n = strlen(text);

	assert_true(n < 126);
	f[0] = (unsigned char)(0x80 | op);
	f[1] = (unsigned char)(0x80 | n);
	memset(f + 2, 0, 4);
	memcpy(f + 6, text, n);
	t_send_raw(t, f, n + 6);
}

/* The common name of the certificate t was served. */
static void
t_peer_cn(struct tconn *t, char *cn, size_t len)
{
	X509 *x = SSL_get1_peer_certificate(t->ssl);

	assert_non_null(x);
	cn[0] = '\0';
	(void)X509_NAME_get_text_by_NID(X509_get_subject_name(x),
	    NID_commonName, cn, (int)len);
	X509_free(x);
}

/* ---------------------------------------------------------------------
 * The server
 * ------------------------------------------------------------------- */

/*
 * The port of the first listening line that starts with what, waiting
 * for it (the harness waits for the plain ones only); 0 if none.
 */
static unsigned
listen_port(struct h_server *s, const char *what)
{
	char key[64], rest[256];

	snprintf(key, sizeof key, "listening on %s127.0.0.1:", what);
	if (!h_log_after(s, key, 0, rest, sizeof rest, H_TIMEOUT_MS))
		return 0;
	return (unsigned)strtoul(rest, NULL, 10);
}

static unsigned
tls_port(struct h_server *s)
{
	return listen_port(s, "tls:");
}

/*
 * Start lobbyd with a plain listener on 127.0.0.1 and a TLS one, serving
 * live.pem (which the reload test replaces), with the extra arguments.
 * Returns the TLS port.
 */
static unsigned
start_tls(struct h_server *s, ...)
{
	const char *args[32];
	va_list ap;
	int n = 0;
	unsigned port;

	args[n++] = "-b";
	args[n++] = "127.0.0.1";
	args[n++] = "--tls";
	args[n++] = "127.0.0.1:0";
	args[n++] = "--tls-cert";
	args[n++] = pki_path("live.pem");
	args[n++] = "--tls-key";
	args[n++] = pki_path("live.key");
	va_start(ap, s);
	while (n < 31 && (args[n] = va_arg(ap, const char *)) != NULL)
		n++;
	va_end(ap);
	args[n] = NULL;
	assert_int_equal(h_startv(s, args), 0);
	port = tls_port(s);
	assert_true(port > 0);
	return port;
}

/* Join over TLS and read the welcome: the nick it gives goes to nick. */
static struct tconn *
t_join_welcome(unsigned port, char *nick, size_t len)
{
	struct tconn *t = t_join(port);
	const char *l = t_line(t, H_TIMEOUT_MS), *p;

	assert_non_null(l);
	p = strstr(l, "you are ");
	assert_non_null(p);
	p += strlen("you are ");
	snprintf(nick, len, "%.*s", (int)strcspn(p, " "), p);
	return t;
}

/* ---------------------------------------------------------------------
 * Tests
 * ------------------------------------------------------------------- */

/* A TLS member and a TCP member talk; a burst of lines arrives whole. */
static void
test_tls_chat(void **state)
{
	struct h_server *s = *state;
	struct tconn *t;
	struct h_conn *c;
	char nick[64], want[128], *burst;
	unsigned port = start_tls(s, NULL);
	int i;

	t = t_join_welcome(port, nick, sizeof nick);
	t_send(t, "/nick tlsuser\n");
	t_expect_skip(t, "*** guest1 is now tlsuser");
	c = h_join_as(s, "plain");
	t_expect(t, "*** guest1 joined");
	t_expect(t, "*** guest1 is now plain");
	t_send(t, "hello over tls\n");
	h_expect_skip(c, "<tlsuser> hello over tls");
	h_send(c, "hello in the clear\n");
	t_expect(t, "<plain> hello in the clear");
	/* Many lines in one write: several records, in order, none lost. */
	burst = h_numbered("line %03d of the burst", 200);
	t_send(t, burst);
	free(burst);
	h_expect_numbered(c, "<tlsuser> line %03d of the burst", 200);
	/* And the other way: what one pass writes crosses as records. */
	for (i = 0; i < 200; i++) {
		snprintf(want, sizeof want, "bulk %03d\n", i);
		h_send(c, want);
	}
	for (i = 0; i < 200; i++) {
		snprintf(want, sizeof want, "<plain> bulk %03d", i);
		t_expect(t, want);
	}
	t_send(t, "/who\n");
	t_expect(t, "*** 2 online: tlsuser plain");
	t_send(t, "/quit\n");
	h_expect_skip(c, "*** tlsuser left");
	assert_true(h_log_has(s, "tlsuser left (quit)", H_TIMEOUT_MS));
	t_close(t);
	h_close(c);
	h_stop(s);
}

/* Stop lobbyd (SIGSTOP) and wait, bounded, until it is stopped. */
static void
freeze(const struct h_server *s)
{
	char path[64], line[512], *p = NULL;
	long long end = h_now_ms() + H_TIMEOUT_MS;
	FILE *f;

	assert_int_equal(kill(s->pid, SIGSTOP), 0);
	snprintf(path, sizeof path, "/proc/%ld/stat", (long)s->pid);
	while (h_now_ms() < end) {
		if ((f = fopen(path, "r")) != NULL) {
			p = fgets(line, sizeof line, f);
			fclose(f);
		}
		if (p != NULL && (p = strrchr(line, ')')) != NULL &&
		    p[1] == ' ' && p[2] == 'T')
			return;
		usleep(1000);
	}
	fail_msg("lobbyd did not stop");
}

/*
 * Wait, bounded, until the peer of fd has acknowledged every byte sent on
 * it: they are in its receive queue then, even while it is stopped.
 */
static void
delivered(int fd)
{
	long long end = h_now_ms() + H_TIMEOUT_MS;
	int queued = -1;

	while (h_now_ms() < end) {
		assert_int_equal(ioctl(fd, SIOCOUTQ, &queued), 0);
		if (queued == 0)
			return;
		usleep(1000);
	}
	fail_msg("%d bytes still unacknowledged", queued);
}

/*
 * A member that sends its line one byte per TLS record costs lobbyd a
 * record's work for each byte (two reads, a decryption): a pass reads a
 * bounded number of records from it, as it reads a bounded number of
 * bytes, so a TCP member's line that came right after a thousand such
 * records is relayed first, not after all of them.
 */
static void
test_tls_tiny_records(void **state)
{
	struct h_server *s = *state;
	unsigned port = start_tls(s, "--history", "0", NULL);
	struct tconn *t;
	struct h_conn *w, *b;
	char nick[64], want[1100];
	int i, n;

	w = h_join_as(s, "watch");
	t = t_join_welcome(port, nick, sizeof nick);
	b = h_join_as(s, "b");
	h_settle(w, "b");
	/* Everything waits in the kernel: the records first, then b's line. */
	freeze(s);
	for (i = 0; i < 999; i++)
		t_send_raw(t, "x", 1);
	t_send_raw(t, "\n", 1);
	h_send(b, "after the records\n");
	delivered(t->fd);
	delivered(b->fd);
	assert_int_equal(kill(s->pid, SIGCONT), 0);
	h_expect(w, "<b> after the records");
	n = snprintf(want, sizeof want, "<%s> ", nick);
	memset(want + n, 'x', 999);
	want[n + 999] = '\0';
	h_expect(w, want);
	t_close(t);
	h_close(b);
	h_close(w);
	h_stop(s);
}

/*
 * Each handshake's first step costs lobbyd a signature (some 0.3 ms with
 * RSA 2048): 48 ClientHellos that come at once are not all answered in
 * the pass that reads them, ahead of everyone else, but a few per pass.
 * A member's /who sent right after them is answered while most of them
 * still wait.
 */
static void
test_tls_handshake_burst(void **state)
{
	enum { SHAKES = 48 };
	struct h_server *s = *state;
	unsigned port = start_tls(s, "--history", "0", NULL);
	struct pollfd pfd[SHAKES];
	SSL *ssl[SHAKES];
	SSL_CTX *ctx;
	struct h_conn *w;
	long long end;
	int fds[SHAKES], base, i, r, answered = 0;

	base = h_fd_count(s->pid);
	assert_true(base > 0);
	/* The handshakes are taken in first, so their fds come first. */
	for (i = 0; i < SHAKES; i++) {
		fds[i] = h_raw_connect(port);
		assert_true(fds[i] != -1);
	}
	end = h_now_ms() + H_TIMEOUT_MS;
	while (h_fd_count(s->pid) < base + SHAKES && h_now_ms() < end)
		usleep(1000);
	assert_int_equal(h_fd_count(s->pid), base + SHAKES);
	w = h_join_as(s, "watch");
	ctx = SSL_CTX_new(TLS_client_method());
	assert_non_null(ctx);
	freeze(s);
	for (i = 0; i < SHAKES; i++) {
		assert_int_equal(fcntl(fds[i], F_SETFL, O_NONBLOCK), 0);
		ssl[i] = SSL_new(ctx);
		assert_non_null(ssl[i]);
		SSL_set_fd(ssl[i], fds[i]);
		SSL_set_connect_state(ssl[i]);
		r = SSL_do_handshake(ssl[i]);
		assert_int_equal(SSL_get_error(ssl[i], r), SSL_ERROR_WANT_READ);
		ERR_clear_error();
		delivered(fds[i]);
	}
	h_send(w, "/who\n");
	delivered(w->fd);
	assert_int_equal(kill(s->pid, SIGCONT), 0);
	h_expect(w, "*** 1 online: watch");
	for (i = 0; i < SHAKES; i++) {
		pfd[i].fd = fds[i];
		pfd[i].events = POLLIN;
	}
	assert_true(poll(pfd, SHAKES, 0) >= 0);
	for (i = 0; i < SHAKES; i++)
		if (pfd[i].revents & POLLIN)
			answered++;
	if (answered > SHAKES / 2)
		fail_msg("%d of %d ClientHellos answered before the /who sent "
		    "after them", answered, SHAKES);
	for (i = 0; i < SHAKES; i++) {
		SSL_free(ssl[i]);
		close(fds[i]);
	}
	SSL_CTX_free(ctx);
	h_close(w);
	h_stop(s);
}

/*
 * A member's last line and its close_notify come in one segment, and it
 * keeps its socket open for the server's close_notify (a full TLS
 * close): it leaves at once all the same, and hears close_notify.
 */
static void
test_tls_close_notify_with_line(void **state)
{
	struct h_server *s = *state;
	struct tconn *t;
	struct h_conn *c;
	char nick[64], want[128];
	unsigned port = start_tls(s, NULL);
	int on = 1;
	bool eof;

	t = t_join_welcome(port, nick, sizeof nick);
	c = h_join_as(s, "watcher");
	t_expect_skip(t, "*** guest2 is now watcher");
	/* Both records go out together, in one segment. */
	assert_int_equal(setsockopt(t->fd, IPPROTO_TCP, TCP_CORK, &on,
	    sizeof on), 0);
	t_send(t, "last words\n");
	assert_int_equal(SSL_shutdown(t->ssl), 0);
	on = 0;
	assert_int_equal(setsockopt(t->fd, IPPROTO_TCP, TCP_CORK, &on,
	    sizeof on), 0);
	snprintf(want, sizeof want, "<%s> last words", nick);
	h_expect_skip(c, want);
	snprintf(want, sizeof want, "*** %s left", nick);
	h_expect(c, want);
	assert_null(t_line_eof(t, H_TIMEOUT_MS, &eof));
	assert_true(eof);
	assert_int_equal(SSL_get_shutdown(t->ssl) & SSL_RECEIVED_SHUTDOWN,
	    SSL_RECEIVED_SHUTDOWN);
	t_close(t);
	h_close(c);
	h_stop(s);
}

/*
 * A record that arrives in two parts: between them SSL holds the first
 * part, which it cannot decrypt yet, and lobbyd must wait for the rest
 * on the socket, asleep in select(), not read the member over and over
 * (it spun at full CPU for as long as a member held half a record).
 * Then the record's line is relayed as any other.
 */
static void
test_tls_partial_record(void **state)
{
	struct h_server *s = *state;
	struct tconn *t;
	struct h_conn *c;
	char nick[64], want[128], rec[256];
	unsigned port = start_tls(s, NULL);
	BIO *mem, *sock;
	long ticks;
	int n;

	t = t_join_welcome(port, nick, sizeof nick);
	c = h_join_as(s, "watcher");
	t_expect_skip(t, "*** guest2 is now watcher");
	/* The record, sealed aside. */
	assert_non_null(mem = BIO_new(BIO_s_mem()));
	assert_non_null(sock = BIO_new_socket(t->fd, BIO_NOCLOSE));
	SSL_set0_wbio(t->ssl, mem);
	assert_int_equal(SSL_write(t->ssl, "in two parts\n", 13), 13);
	n = BIO_read(mem, rec, sizeof rec);
	assert_true(n > 10 && n < (int)sizeof rec);
	SSL_set0_wbio(t->ssl, sock);
	/* Its header and a little: lobbyd waits for the rest, asleep. */
	assert_int_equal(write(t->fd, rec, 8), 8);
	h_sleep_ms(200);
	ticks = h_cpu_settled(s->pid);
	h_sleep_ms(1000);
	ticks = h_cpu_ticks(s->pid) - ticks;
	print_message("half a record held for 1 s: lobbyd used %ld CPU "
	    "ticks\n", ticks);
	assert_true(ticks < 20);
	assert_int_equal(write(t->fd, rec + 8, (size_t)n - 8), n - 8);
	snprintf(want, sizeof want, "<%s> in two parts", nick);
	h_expect(c, want);
	t_close(t);
	h_close(c);
	h_stop(s);
}

/* A client offering only TLS 1.1 is refused; nobody sees it. */
static void
test_tls_old_version(void **state)
{
	struct h_server *s = *state;
	struct h_conn *c;
	struct tconn *t;
	char why[256];
	unsigned port = start_tls(s, NULL);

	c = h_join_as(s, "watcher");
	t = t_connect(port, "localhost", pki_path("ca.pem"), TLS1_1_VERSION,
	    why, sizeof why);
	assert_null(t);
	assert_true(h_log_has(s, "handshake failed: unsupported protocol",
	    H_TIMEOUT_MS));
	h_nothing(c);
	/* TLS 1.2 is still taken. */
	t = t_connect(port, "localhost", pki_path("ca.pem"), TLS1_2_VERSION,
	    why, sizeof why);
	if (t == NULL)
		fail_msg("TLS 1.2 refused: %s", why);
	h_expect_skip(c, "*** guest1 joined");
	t_close(t);
	h_close(c);
	h_stop(s);
}

/*
 * c, a handshake that never ends, connected after t0 (ms), is still open:
 * lobbyd closes it HANDSHAKE_MS after its accept, not before. Looked at
 * once; a close seen HANDSHAKE_MS after t0 or later (the test itself held
 * up on a loaded machine) proves nothing, and is not held against lobbyd.
 */
#define still_shaking(c, t0)	still_shaking_at((c), (t0), __FILE__, __LINE__)
static void
still_shaking_at(struct h_conn *c, long long t0, const char *file, int line)
{
	bool closed = h_eof(c, 0);
	long long at = h_now_ms() - t0;

	if (closed && at < HANDSHAKE_MS) {
		print_error("%s:%d: a handshake closed within %lld ms\n", file,
		    line, at);
		_fail(file, line);
	}
}

/*
 * Handshakes that go nowhere: garbage and a half-closed one are closed at
 * once, a silent one and one stalled half-way at 10 s; meanwhile a TCP
 * member's /who is answered at once every time, and nobody sees any of
 * them join or leave.
 */
static void
test_tls_stalled_handshakes(void **state)
{
	struct h_server *s = *state;
	static const char garbage[] = "GET / HTTP/1.0\r\n\r\n";
	/* The start of a TLS 1.2 ClientHello record, cut short. */
	static const unsigned char half[] = { 0x16, 0x03, 0x01, 0x02, 0x00,
	    0x01, 0x00, 0x01, 0xfc, 0x03, 0x03 };
	struct h_conn *c, *silent, *stalled, *junk, *shut;
	struct h_span rt;
	long long start, worst = 0;
	unsigned port = start_tls(s, NULL);
	const char *l;

	c = h_join_as(s, "watcher");
	start = h_now_ms();
	silent = h_connect_tcp("127.0.0.1", port);
	stalled = h_connect_tcp("127.0.0.1", port);
	junk = h_connect_tcp("127.0.0.1", port);
	shut = h_connect_tcp("127.0.0.1", port);
	assert_int_equal(h_send_raw(stalled, half, sizeof half), 0);
	assert_int_equal(h_send_raw(junk, garbage, sizeof garbage - 1), 0);
	assert_int_equal(shutdown(shut->fd, SHUT_WR), 0);
	assert_true(h_eof(junk, H_TIMEOUT_MS));
	assert_true(h_eof(shut, H_TIMEOUT_MS));
	/* The others wait: the watcher is served at once all along. */
	while (h_now_ms() - start < 8500) {
		h_span_start(&rt, s->pid);
		h_send(c, "/who\n");
		l = h_line(c, H_TIMEOUT_MS);
		assert_non_null(l);
		assert_string_equal(l, "*** 1 online: watcher");
		if (h_span_ms(&rt) > worst)
			worst = h_span_ms(&rt);
		h_sleep_ms(250);
	}
	/* Generous: valgrind; a stall would be seconds. (Not counted:
	 * what a loaded machine held this test or lobbyd up for.) */
	assert_true(worst < H_TIMEOUT_MS / 5);
	/* Not before 10 s, but soon after. */
	still_shaking(silent, start);
	still_shaking(stalled, start);
	assert_true(h_eof(silent, H_TIMEOUT_MS));
	assert_true(h_eof(stalled, H_TIMEOUT_MS));
	assert_true(h_log_has(s, "handshake failed: not done within 10 s",
	    H_TIMEOUT_MS));
	h_nothing(c);
	h_close(silent);
	h_close(stalled);
	h_close(junk);
	h_close(shut);
	h_close(c);
	h_stop(s);
}

/* Handshakes count toward --max-per-ip. */
static void
test_tls_seats(void **state)
{
	struct h_server *s = *state;
	struct h_conn *a, *b, *c;
	unsigned port = start_tls(s, "--max-per-ip", "2", NULL);
	long long t0 = h_now_ms();

	/* Two handshakes that never end hold both seats of 127.0.0.1. */
	a = h_connect_tcp("127.0.0.1", port);
	b = h_connect_tcp("127.0.0.1", port);
	/* A third from the same address is closed at once. */
	c = h_connect_tcp("127.0.0.1", port);
	assert_true(h_eof(c, H_TIMEOUT_MS));
	still_shaking(a, t0);
	still_shaking(b, t0);
	assert_true(h_log_has(s, "--max-per-ip connections from that address",
	    H_TIMEOUT_MS));
	h_close(c);
	h_close(a);
	h_close(b);
	h_stop(s);
}

/*
 * A handshake is not a member: with --max-clients 3, a member and two
 * handshakes that never start leave the other seats to a TLS newcomer
 * and a TCP one.
 */
static void
test_tls_handshakes_not_members(void **state)
{
	struct h_server *s = *state;
	struct h_conn *a, *b, *c, *w;
	struct tconn *t;
	char nick[64], want[128];
	unsigned port = start_tls(s, "--max-clients", "3", NULL);
	long long t0;

	w = h_join_as(s, "watcher");
	t0 = h_now_ms();
	a = h_connect_tcp("127.0.0.1", port);
	b = h_connect_tcp("127.0.0.1", port);
	/* lobbyd accepts them at the end of this round trip's pass. */
	h_send(w, "/who\n");
	h_expect(w, "*** 1 online: watcher");
	t = t_join_welcome(port, nick, sizeof nick);
	c = h_join_as(s, "plain");
	h_send(c, "/who\n");
	snprintf(want, sizeof want, "*** 3 online: watcher %s plain", nick);
	h_expect(c, want);
	still_shaking(a, t0);
	still_shaking(b, t0);
	t_close(t);
	h_close(c);
	h_close(w);
	h_close(a);
	h_close(b);
	h_stop(s);
}

/*
 * Handshakes that end after the members took every seat are admitted as
 * a TCP newcomer is: refused with the same notice, over TLS, and closed.
 * Members never exceed --max-clients.
 */
static void
test_tls_late_handshakes_max_clients(void **state)
{
	struct h_server *s = *state;
	struct h_conn *a, *b;
	struct tconn *t[2];
	char why[256];
	bool eof;
	int fd[2], i;
	unsigned port = start_tls(s, "--max-clients", "2", NULL);

	a = h_join_as(s, "alice");
	for (i = 0; i < 2; i++)
		assert_true((fd[i] = h_raw_connect(port)) >= 0);
	/* lobbyd accepts them at the end of this round trip's pass. */
	h_send(a, "/who\n");
	h_expect(a, "*** 1 online: alice");
	b = h_join_as(s, "bob");
	h_send(b, "/who\n");
	h_expect(b, "*** 2 online: alice bob");
	for (i = 0; i < 2; i++) {
		t[i] = t_shake(fd[i], "localhost", pki_path("ca.pem"), 0, why,
		    sizeof why);
		if (t[i] == NULL)
			fail_msg("TLS handshake failed: %s", why);
		t_expect(t[i], "!!! server full, try again later");
		assert_null(t_line_eof(t[i], H_TIMEOUT_MS, &eof));
		assert_true(eof);
	}
	h_send(a, "/who\n");
	h_expect_skip(a, "*** 2 online: alice bob");
	h_nothing(b);
	assert_true(h_log_has(s, "refused tls member 127.0.0.1:", 0));
	for (i = 0; i < 2; i++)
		t_close(t[i]);
	h_close(a);
	h_close(b);
	h_stop(s);
}

#define STALLED_HS	100	/* silent connections to the --tls port */

/*
 * --tls handshakes have a cap of their own, --max-http (64 by default):
 * of 100 silent connections the 36 past it are closed at once, and TCP
 * newcomers still join.
 */
static void
test_tls_handshake_cap(void **state)
{
	struct h_server *s = *state;
	struct h_conn *hs[STALLED_HS], *c, *d;
	bool gone[STALLED_HS] = { false };
	long long t0, end;
	int i, closed = 0;
	unsigned port = start_tls(s, NULL);

	t0 = h_now_ms();
	for (i = 0; i < STALLED_HS; i++)
		hs[i] = h_connect_tcp("127.0.0.1", port);
	end = h_now_ms() + H_TIMEOUT_MS;
	while (closed < STALLED_HS - 64 && h_now_ms() < end)
		for (i = 0; i < STALLED_HS; i++)
			if (!gone[i] && h_eof(hs[i], 2)) {
				gone[i] = true;
				closed++;
			}
	assert_int_equal(closed, STALLED_HS - 64);
	assert_true(h_log_has(s, "--max-http TLS handshakes going on already",
	    0));
	c = h_join_as(s, "first");
	d = h_join_as(s, "second");
	h_send(d, "/who\n");
	h_expect(d, "*** 2 online: first second");
	/* The 64 within the cap are still shaking hands. */
	for (i = 0; i < STALLED_HS; i++)
		if (!gone[i])
			still_shaking(hs[i], t0);
	for (i = 0; i < STALLED_HS; i++)
		h_close(hs[i]);
	h_close(c);
	h_close(d);
	h_stop(s);
}

/* GET path over https on port; the status line (CR dropped) in out. */
static void
https_get(unsigned port, const char *path, char *out, size_t len)
{
	struct tconn *t = t_join(port);
	char req[256];
	const char *l;
	int n;

	n = snprintf(req, sizeof req, "GET %s HTTP/1.1\r\nHost: localhost:%u"
	    "\r\n\r\n", path, port);
	t_send_raw(t, req, (size_t)n);
	assert_non_null(l = t_line(t, H_TIMEOUT_MS));
	snprintf(out, len, "%.*s", (int)strcspn(l, "\r"), l);
	t_close(t);
}

/*
 * --web-tls handshakes are HTTP connections not yet members: they count
 * toward --max-http, never toward --max-clients. With --max-clients 2 and
 * --max-http 3, two silent ones leave /metrics and TCP members served;
 * three fill --max-http, and the next https connection is closed.
 */
static void
test_web_tls_handshakes_not_members(void **state)
{
	struct h_server *s = *state;
	struct h_conn *a, *b, *c, *m;
	char st[128], why[256];
	unsigned port;
	long long t0;

	(void)start_tls(s, "--web-tls", "127.0.0.1:0", "--max-clients", "2",
	    "--max-http", "3", NULL);
	port = listen_port(s, "https://");
	assert_true(port > 0);
	m = h_join_as(s, "member");
	t0 = h_now_ms();
	a = h_connect_tcp("127.0.0.1", port);
	b = h_connect_tcp("127.0.0.1", port);
	/* lobbyd accepts them at the end of this round trip's pass. */
	h_send(m, "/who\n");
	h_expect(m, "*** 1 online: member");
	https_get(port, "/metrics", st, sizeof st);
	assert_string_equal(st, "HTTP/1.1 200 OK");
	c = h_join_as(s, "other");
	h_send(c, "/who\n");
	h_expect(c, "*** 2 online: member other");
	h_close(c);
	h_expect_skip(m, "*** other left");
	c = h_connect_tcp("127.0.0.1", port);
	/* After this round trip lobbyd has taken c in. */
	h_send(m, "/who\n");
	h_expect(m, "*** 1 online: member");
	assert_null(t_connect(port, "localhost", pki_path("ca.pem"), 0, why,
	    sizeof why));
	assert_true(h_log_has(s, "--max-http connections waiting already",
	    H_TIMEOUT_MS));
	still_shaking(a, t0);
	h_close(a);
	h_close(b);
	h_close(c);
	h_close(m);
	h_stop(s);
}

/*
 * SIGUSR2: a new pair is served to newcomers while a member stays on;
 * a bad new pair is logged and the one in use kept.
 */
static void
test_tls_reload(void **state)
{
	struct h_server *s = *state;
	struct tconn *t, *u;
	struct h_conn *c;
	char nick[64], cn[64];
	unsigned port = start_tls(s, NULL);

	t = t_join_welcome(port, nick, sizeof nick);
	t_peer_cn(t, cn, sizeof cn);
	assert_string_equal(cn, "first");
	c = h_join_as(s, "plain");
	t_expect(t, "*** guest2 joined");
	t_expect(t, "*** guest2 is now plain");

	assert_true(pki_run("cp srv2.pem live.pem && cp srv2.key live.key"));
	assert_int_equal(kill(s->pid, SIGUSR2), 0);
	assert_true(h_log_has(s, "reloaded", H_TIMEOUT_MS));
	u = t_join(port);
	t_peer_cn(u, cn, sizeof cn);
	assert_string_equal(cn, "second");
	t_close(u);
	/* The member on the old certificate never noticed. */
	t_send(t, "still here\n");
	h_expect_skip(c, "<guest1> still here");
	h_send(c, "and you are\n");
	t_expect_skip(t, "<plain> and you are");

	/* A key that does not match: kept out, the second pair stays. */
	assert_true(pki_run("cp srv.key live.key"));
	assert_int_equal(kill(s->pid, SIGUSR2), 0);
	assert_true(h_log_has(s, "reload failed", H_TIMEOUT_MS));
	u = t_join(port);
	t_peer_cn(u, cn, sizeof cn);
	assert_string_equal(cn, "second");
	t_close(u);
	/* A file that is not there at all: the same. */
	assert_true(pki_run("rm live.pem"));
	assert_int_equal(kill(s->pid, SIGUSR2), 0);
	assert_true(h_log_has(s, "reload failed, still serving the old "
	    "certificate: certificate ", H_TIMEOUT_MS));
	u = t_join(port);
	t_peer_cn(u, cn, sizeof cn);
	assert_string_equal(cn, "second");
	t_close(u);
	t_send(t, "after the bad pairs\n");
	h_expect_skip(c, "<guest1> after the bad pairs");
	t_close(t);
	h_close(c);
	h_stop(s);
	assert_true(pki_run("cp srv.pem live.pem && cp srv.key live.key"));
}

/* A TLS member that does not read is dropped as too slow, as over TCP. */
static void
test_tls_slow_reader(void **state)
{
	struct h_server *s = *state;
	struct tconn *t;
	struct h_conn *c;
	char nick[64], line[1100];
	unsigned port = start_tls(s, "--sendq", "65536", NULL);
	int i, fd;
	const char *l;

	/*
	 * Stalled as h_join_stalled() stalls a TCP one: a tiny window from
	 * the start, or the socket buffers take megabytes first.
	 */
	fd = h_raw_connect_tiny(port, 1024);
	t = t_shake(fd, "localhost", pki_path("ca.pem"), 0, nick, sizeof nick);
	if (t == NULL)
		fail_msg("TLS handshake failed: %s", nick);
	assert_non_null(l = t_line(t, H_TIMEOUT_MS));
	assert_memory_equal(l, "*** welcome", 11);
	c = h_join_as(s, "talker");
	memset(line, 'x', 1000);
	line[1000] = '\n';
	line[1001] = '\0';
	for (i = 0; i < 3000 && !h_log_has(s, "left (too slow)", 0); i++)
		h_send(c, line);
	assert_true(h_log_has(s, "guest1 left (too slow)", H_TIMEOUT_MS));
	h_expect_skip(c, "*** guest1 left (too slow)");
	t_close(t);
	h_close(c);
	h_stop(s);
}

/*
 * A TLS member reading as fast as it can keeps up with a burst as a TCP
 * one does: each write gives its socket all it takes, not one record, so
 * a small --sendq does not take it for a slow one, and every line comes.
 */
static void
test_tls_fast_reader(void **state)
{
	struct h_server *s = *state;
	struct tconn *t;
	struct h_conn *c;
	char nick[64], pad[1001], fmt[1100], want[1200], *burst;
	const char *l;
	unsigned port = start_tls(s, "--sendq", "65536", NULL);
	int i, n = 300, st;
	pid_t pid;

	memset(pad, 'y', 1000);
	pad[1000] = '\0';
	snprintf(fmt, sizeof fmt, "fast %%03d %s", pad);
	t = t_join_welcome(port, nick, sizeof nick);
	c = h_join_as(s, "talker");
	t_expect_skip(t, "*** guest2 is now talker");
	if ((pid = fork()) == 0) {
		/* The reader, apart: every line of the burst, in order. */
		i = 0;
		while (i < n && (l = t_line(t, H_TIMEOUT_MS)) != NULL) {
			if (strncmp(l, "<talker> fast ", 14) != 0)
				continue;
			snprintf(want, sizeof want, "<talker> fast %03d %s", i,
			    pad);
			if (strcmp(l, want) != 0)
				_exit(2);
			i++;
		}
		_exit(i == n ? 0 : 1);
	}
	assert_true(pid > 0);
	/* About 300 KiB in one write: the server reads 64 KiB a pass. */
	burst = h_numbered(fmt, n);
	h_send(c, burst);
	free(burst);
	assert_int_equal(waitpid(pid, &st, 0), pid);
	assert_false(h_log_has(s, "left (too slow)", 0));
	assert_true(WIFEXITED(st));
	assert_int_equal(WEXITSTATUS(st), 0);
	t_close(t);
	h_close(c);
	h_stop(s);
}

/*
 * bob (returned, back in lobby) fills room "big" of server s with 50
 * lines of history, "H00 hhh...", 1000 h each (pad gets the h's).
 */
static struct h_conn *
fill_big_room(struct h_server *s, char pad[1001])
{
	struct h_conn *c;
	char line[1100];
	int i;

	memset(pad, 'h', 1000);
	pad[1000] = '\0';
	c = h_join_as(s, "bob");
	h_send(c, "/join big\n");
	h_expect_skip(c, "*** you are now in big (1 online)");
	for (i = 0; i < 50; i++) {
		snprintf(line, sizeof line, "H%02d %s\n", i, pad);
		h_send(c, line);
	}
	h_send(c, "/part\n");
	h_expect_skip(c, "*** you are now in lobby (1 online)");
	return c;
}

/*
 * "/join" of a room with a long history and "/quit" in one write: the
 * whole history comes before the close, as over TCP (the last write
 * gives the socket all it takes, not one record).
 */
static void
test_tls_quit_history(void **state)
{
	struct h_server *s = *state;
	struct tconn *t;
	struct h_conn *c;
	char pad[1001], want[1100];
	const char *l;
	unsigned port = start_tls(s, "--history", "50", NULL);
	bool eof;
	int i, n;

	c = fill_big_room(s, pad);
	t = t_join(port);
	t_send(t, "/join big\n/quit\n");
	t_expect_skip(t, "*** you are now in big (1 online)");
	t_expect(t, "*** last 50 messages:");
	for (i = 0; i < 50; i++) {
		snprintf(want, sizeof want, "<bob> H%02d %s", i, pad);
		l = t_line(t, H_TIMEOUT_MS);
		if (!h_is_history(l, want))
			fail_msg("history line %d: %.40s", i,
			    l != NULL ? l : "nothing");
	}
	t_expect(t, "*** end of history");
	/* Then the end (what comes between does not matter here). */
	for (n = 0; n < 100 && t_line_eof(t, H_TIMEOUT_MS, &eof) != NULL; n++)
		;
	assert_true(eof);
	t_close(t);
	h_close(c);
	h_stop(s);
}

/* --flood holds a TLS member's lines and loses none (bytes SSL holds
 * wait for the hold to end). */
static void
test_tls_flood(void **state)
{
	struct h_server *s = *state;
	struct tconn *t;
	struct h_conn *c;
	char nick[64], want[128], burst[30 * 16 + 1];
	unsigned port = start_tls(s, "--flood", "10/5", NULL);
	long long start;
	int i;

	t = t_join_welcome(port, nick, sizeof nick);
	c = h_join_as(s, "reader");
	burst[0] = '\0';
	for (i = 0; i < 30; i++)
		snprintf(burst + strlen(burst), sizeof burst - strlen(burst),
		    "flood %02d\n", i);
	start = h_now_ms();
	t_send(t, burst);
	for (i = 0; i < 30; i++) {
		snprintf(want, sizeof want, "<%s> flood %02d", nick, i);
		h_expect_skip(c, want);
	}
	/* 30 lines at 10 a second with 5 at once: at least 2 s. */
	assert_true(h_now_ms() - start >= 2000);
	t_close(t);
	h_close(c);
	h_stop(s);
}

/*
 * A TLS member moves between rooms as a TCP one does: the same notices,
 * its room's history, its lines (a burst of records too) to its room
 * only, and back with /part.
 */
static void
test_tls_rooms(void **state)
{
	struct h_server *s = *state;
	struct tconn *t;
	struct h_conn *b, *c;
	char nick[64], want[128], *burst;
	const char *l;
	unsigned port = start_tls(s, "--history", "5", NULL);

	b = h_join_as(s, "bob");
	c = h_join_as(s, "carol");
	h_settle(b, "carol");
	h_send(b, "/join dev\n");
	h_expect(b, "*** you are now in dev (1 online)");
	h_send(b, "before you came\n");
	h_expect_skip(c, "*** bob went to dev");
	t = t_join_welcome(port, nick, sizeof nick);
	t_send(t, "/nick tlsuser\n");
	snprintf(want, sizeof want, "*** %s is now tlsuser", nick);
	t_expect_skip(t, want);
	h_expect_skip(c, want);
	t_send(t, "/join dev\n");
	t_expect(t, "*** you are now in dev (2 online)");
	t_expect(t, "*** last 1 message:");
	l = t_line(t, H_TIMEOUT_MS);
	if (!h_is_history(l, "<bob> before you came"))
		fail_msg("not the history line: %s", l != NULL ? l : "nothing");
	t_expect(t, "*** end of history");
	h_expect(b, "*** tlsuser joined");
	h_expect(c, "*** tlsuser went to dev");
	/* One write of many lines: all of them, in order, to dev alone. */
	burst = h_numbered("tls line %03d", 100);
	t_send(t, burst);
	free(burst);
	h_expect_numbered(b, "<tlsuser> tls line %03d", 100);
	h_send(b, "hello tlsuser\n");
	t_expect(t, "<bob> hello tlsuser");
	h_nothing(c);
	t_send(t, "/part\n");
	t_expect(t, "*** you are now in lobby (2 online)");
	h_expect(b, "*** tlsuser went to lobby");
	h_expect(c, "*** tlsuser joined");
	t_close(t);
	h_close(b);
	h_close(c);
	h_stop(s);
}

/* lobby --tls: verifies the chain and the name, and says why not. */
static void
test_tls_client(void **state)
{
	struct h_server *s = *state;
	char cmd[1024], portstr[16], *out;
	unsigned port = start_tls(s, NULL);
	FILE *p;
	size_t n;
	int st;

	snprintf(portstr, sizeof portstr, "%u", port);
	/* Verified against --ca, by name: joins and talks. */
	snprintf(cmd, sizeof cmd, "printf 'hi from lobby\\n/who\\n/quit\\n' | "
	    "timeout 20 '%s' --tls --ca '%s' localhost %s 2>&1", h_lobby_path(),
	    pki_path("ca.pem"), portstr);
	out = calloc(1, 65536);
	assert_non_null(out);
	p = popen(cmd, "r");
	assert_non_null(p);
	n = fread(out, 1, 65535, p);
	out[n] = '\0';
	st = pclose(p);
	assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	assert_non_null(strstr(out, "*** 1 online: guest1"));
	assert_true(h_log_has(s, "joined as guest1", H_TIMEOUT_MS));

	/* The right CA but another name than the certificate's. */
	snprintf(cmd, sizeof cmd, "printf '/quit\\n' | timeout 20 '%s' --tls "
	    "--ca '%s' 127.0.0.1 %s 2>&1", h_lobby_path(), pki_path("ca.pem"),
	    portstr);
	p = popen(cmd, "r");
	n = fread(out, 1, 65535, p);
	out[n] = '\0';
	st = pclose(p);
	assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 1);
	if (strstr(out, "certificate refused: wrong host") == NULL)
		fail_msg("no wrong host: %s", out);

	/* A CA that did not sign it. */
	snprintf(cmd, sizeof cmd, "printf '/quit\\n' | timeout 20 '%s' --tls "
	    "--ca '%s' localhost %s 2>&1", h_lobby_path(),
	    pki_path("other.pem"), portstr);
	p = popen(cmd, "r");
	n = fread(out, 1, 65535, p);
	out[n] = '\0';
	st = pclose(p);
	assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 1);
	if (strstr(out, "certificate refused: unknown CA") == NULL)
		fail_msg("no unknown CA: %s", out);

	/* --insecure: joins all the same, and says it checked nothing. */
	snprintf(cmd, sizeof cmd, "printf '/who\\n/quit\\n' | timeout 20 '%s' "
	    "--tls --insecure 127.0.0.1 %s 2>&1", h_lobby_path(), portstr);
	p = popen(cmd, "r");
	n = fread(out, 1, 65535, p);
	out[n] = '\0';
	st = pclose(p);
	assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	assert_non_null(strstr(out, "--insecure: the server's certificate is "
	    "not checked"));
	assert_non_null(strstr(out, "online:"));
	free(out);
	h_stop(s);
}

/* lobby --tls refuses a certificate that ran out, and says so. */
static void
test_tls_client_expired(void **state)
{
	struct h_server *s = *state;
	char cmd[1024], out[4096];
	const char *args[] = { "-b", "127.0.0.1", "--tls", "127.0.0.1:0",
	    "--tls-cert", pki_path("old.pem"), "--tls-key", pki_path("old.key"),
	    NULL };
	unsigned port;
	FILE *p;
	size_t n;
	int st;

	/* lobbyd serves what it is given: checking is the client's job. */
	assert_int_equal(h_startv(s, args), 0);
	port = tls_port(s);
	assert_true(port > 0);
	snprintf(cmd, sizeof cmd, "printf '/quit\\n' | timeout 20 '%s' --tls "
	    "--ca '%s' localhost %u 2>&1", h_lobby_path(), pki_path("ca.pem"),
	    port);
	p = popen(cmd, "r");
	assert_non_null(p);
	n = fread(out, 1, sizeof out - 1, p);
	out[n] = '\0';
	st = pclose(p);
	assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 1);
	if (strstr(out, "certificate refused: expired") == NULL)
		fail_msg("no expired: %s", out);
	h_stop(s);
}

/* Whether the program is on PATH. */
static bool
have(const char *prog)
{
	char cmd[256];

	snprintf(cmd, sizeof cmd, "command -v %s >/dev/null 2>&1", prog);
	return system(cmd) == 0;
}

/*
 * A TLS tool joins as nick: it sends a line and /quit (after a pause, so
 * that the handshake is done), c sees it come, talk and go, and what the
 * tool printed holds its welcome. Returns false when the tool is missing.
 */
static bool
tool_joins(struct h_conn *c, const char *tool, const char *fmt,
    unsigned port, const char *nick)
{
	char cmd[1024], conn[256], want[128], *out;
	FILE *p;
	size_t n;

	if (!have(tool))
		return false;
	snprintf(conn, sizeof conn, fmt, port, pki_path("ca.pem"));
	snprintf(cmd, sizeof cmd, "(sleep 1; printf 'via %s\\n/quit\\n'; "
	    "sleep 2) | timeout 20 %s 2>&1", tool, conn);
	out = calloc(1, 65536);
	assert_non_null(out);
	p = popen(cmd, "r");
	assert_non_null(p);
	n = fread(out, 1, 65535, p);
	out[n] = '\0';
	(void)pclose(p);
	if (strstr(out, "*** welcome to lobby, you are guest") == NULL)
		fail_msg("%s: no welcome in: %s", tool, out);
	snprintf(want, sizeof want, "*** %s joined", nick);
	h_expect_skip(c, want);
	snprintf(want, sizeof want, "<%s> via %s", nick, tool);
	h_expect_skip(c, want);
	snprintf(want, sizeof want, "*** %s left", nick);
	h_expect_skip(c, want);
	free(out);
	return true;
}

/* openssl s_client, socat OPENSSL: and ncat --ssl, each verifying. */
static void
test_tls_tools(void **state)
{
	struct h_server *s = *state;
	struct h_conn *c;
	unsigned port = start_tls(s, NULL);
	int ran = 0;

	c = h_join_as(s, "watcher");
	ran += tool_joins(c, "openssl", "openssl s_client -quiet -connect "
	    "127.0.0.1:%u -servername localhost -verify_return_error "
	    "-verify_hostname localhost -CAfile %s", port, "guest1");
	ran += tool_joins(c, "socat", "socat - OPENSSL:localhost:%u,"
	    "cafile=%s", port, "guest1");
	ran += tool_joins(c, "ncat", "ncat --ssl --ssl-verify "
	    "--ssl-trustfile %2$s localhost %1$u", port, "guest1");
	h_close(c);
	h_stop(s);
	if (ran < 3)
		h_skip("openssl, socat or ncat missing");
}

/* Join over wss on port (its own https origin), up to the first frame. */
static struct tconn *
t_ws_join(unsigned port)
{
	struct tconn *w = t_join(port);
	char req[512];
	const char *p;
	int n;

	n = snprintf(req, sizeof req, "GET /ws HTTP/1.1\r\nHost: localhost:%u"
	    "\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
	    "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
	    "Sec-WebSocket-Version: 13\r\nOrigin: https://localhost:%u\r\n"
	    "\r\n", port, port);
	t_send_raw(w, req, (size_t)n);
	assert_non_null(p = t_line(w, H_TIMEOUT_MS));
	assert_string_equal(p, "HTTP/1.1 101 Switching Protocols\r");
	while ((p = t_line(w, H_TIMEOUT_MS)) != NULL && strcmp(p, "\r") != 0)
		;
	assert_non_null(p);
	return w;
}

/*
 * --web-tls: the page and /config over https, a wss member chatting with
 * a TCP one, an http:// origin refused there, and the close handshake.
 */
static void
test_web_tls(void **state)
{
	struct h_server *s = *state;
	char req[512], buf[4096], *p;
	struct tconn *t, *w;
	struct h_conn *c;
	unsigned port;
	int n;

	(void)start_tls(s, "--web-tls", "127.0.0.1:0", NULL);
	port = listen_port(s, "https://");
	assert_true(port > 0);
	/* The page. */
	t = t_join(port);
	n = snprintf(req, sizeof req, "GET / HTTP/1.1\r\nHost: localhost:%u"
	    "\r\n\r\n", port);
	t_send_raw(t, req, (size_t)n);
	assert_non_null(p = (char *)t_line(t, H_TIMEOUT_MS));
	assert_string_equal(p, "HTTP/1.1 200 OK\r");
	t_close(t);
	/* A page from http:// is another origin than this https listener. */
	t = t_join(port);
	n = snprintf(req, sizeof req, "GET /ws HTTP/1.1\r\nHost: localhost:%u"
	    "\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
	    "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
	    "Sec-WebSocket-Version: 13\r\nOrigin: http://localhost:%u\r\n"
	    "\r\n", port, port);
	t_send_raw(t, req, (size_t)n);
	assert_non_null(p = (char *)t_line(t, H_TIMEOUT_MS));
	assert_string_equal(p, "HTTP/1.1 403 Forbidden\r");
	t_close(t);

	/* Its own https origin joins over wss. */
	c = h_join_as(s, "plain");
	w = t_ws_join(port);
	assert_int_equal(t_frame(w, buf, sizeof buf), 1);
	assert_non_null(strstr(buf, "*** welcome to lobby, you are guest1"));
	h_expect_skip(c, "*** guest1 joined");
	t_send_frame(w, 1, "hello over wss");
	h_expect(c, "<guest1> hello over wss");
	h_send(c, "and back\n");
	do
		assert_int_equal(t_frame(w, buf, sizeof buf), 1);
	while (strcmp(buf, "<plain> and back") != 0);
	/* A close frame: the member leaves, its close frame comes back. */
	t_send_frame(w, 8, "");
	h_expect_skip(c, "*** guest1 left");
	do
		n = (int)t_frame(w, buf, sizeof buf);
	while (n == 1);
	assert_int_equal(n, 8);
	t_close(w);
	h_close(c);
	h_stop(s);
}

/*
 * A wss page sends its close frame and close_notify, and resets its
 * socket, all before lobbyd reads: lobbyd's close frame back fails on
 * the reset, after SSL saw the peer's close_notify (OpenSSL then calls
 * the failed write the end of the stream). The member leaves, its
 * socket is closed, and lobbyd goes on serving.
 */
static void
test_web_tls_close_reset(void **state)
{
	struct h_server *s = *state;
	struct linger lg = { 1, 0 };
	char buf[4096];
	struct tconn *w;
	struct h_conn *c;
	unsigned port;

	(void)start_tls(s, "--web-tls", "127.0.0.1:0", NULL);
	port = listen_port(s, "https://");
	assert_true(port > 0);
	c = h_join_as(s, "plain");
	w = t_ws_join(port);
	assert_int_equal(t_frame(w, buf, sizeof buf), 1);
	h_expect_skip(c, "*** guest1 joined");
	freeze(s);
	t_send_frame(w, 8, "");
	(void)SSL_shutdown(w->ssl);
	delivered(w->fd);
	assert_int_equal(setsockopt(w->fd, SOL_SOCKET, SO_LINGER, &lg,
	    sizeof lg), 0);
	t_close(w);
	h_sleep_ms(50);
	assert_int_equal(kill(s->pid, SIGCONT), 0);
	h_expect_skip(c, "*** guest1 left");
	h_send(c, "/who\n");
	h_expect_skip(c, "*** 1 online: plain");
	h_close(c);
	h_stop(s);
}

/*
 * A wss member's "/join" of a room with a long history and "/quit" in
 * one write: every history line, a frame each, then the close frame.
 */
static void
test_web_tls_quit_history(void **state)
{
	struct h_server *s = *state;
	char pad[1001], want[1100], buf[2048];
	struct tconn *w;
	struct h_conn *c;
	unsigned port, op;
	int i;

	(void)start_tls(s, "--web-tls", "127.0.0.1:0", "--history", "50",
	    NULL);
	port = listen_port(s, "https://");
	assert_true(port > 0);
	c = fill_big_room(s, pad);
	w = t_ws_join(port);
	t_send_frame(w, 1, "/join big");
	t_send_frame(w, 1, "/quit");
	do
		assert_int_equal(t_frame(w, buf, sizeof buf), 1);
	while (strcmp(buf, "*** last 50 messages:") != 0);
	for (i = 0; i < 50; i++) {
		snprintf(want, sizeof want, "<bob> H%02d %s", i, pad);
		op = t_frame(w, buf, sizeof buf);
		if (op != 1 || !h_is_history(buf, want))
			fail_msg("history line %d: op %u %.40s", i, op, buf);
	}
	do
		op = t_frame(w, buf, sizeof buf);
	while (op == 1);
	assert_int_equal(op, 8);
	t_close(w);
	h_close(c);
	h_stop(s);
}

/*
 * A wss member whose last read left bytes in SSL is on TLS's list of
 * members to read before sleep. One cut as too slow by the lines run
 * after its /register was hashed (read while it waited, run within the
 * pass's flush) hands its socket and TLS stream to web.c to close: the
 * stream must no longer name the member freed, nor be on that list. The
 * freed member read through it shows under tests/valgrind.sh; lobbyd
 * must go on serving in any case.
 */
static void
test_web_tls_cut_after_register(void **state)
{
	enum { HELPS = 6500 };
	struct h_server *s = *state;
	static unsigned char burst[HELPS * 11];
	const char *db = pki_path("cut.db"), *l;
	struct tconn *w;
	struct h_conn *c;
	unsigned port;
	size_t n = 0;
	int i;

	(void)unlink(db);
	(void)start_tls(s, "--web-tls", "127.0.0.1:0", "--accounts", db,
	    "--sendq", "8192", NULL);
	port = listen_port(s, "https://");
	assert_true(port > 0);
	c = h_join_as(s, "watch");
	w = t_ws_join(port);
	t_send_frame(w, 1, "/nick cutter");
	h_settle(c, "cutter");
	/* Every byte waits in the kernel: lobbyd's one read of 64 KiB takes
	 * the /register and ends inside a record, SSL holding the rest. */
	freeze(s);
	t_send_frame(w, 1, "/register a long password");
	for (i = 0; i < HELPS; i++) {
		burst[n++] = 0x81;
		burst[n++] = 0x80 | 5;
		memset(burst + n, 0, 4);
		n += 4;
		memcpy(burst + n, "/help", 5);
		n += 5;
	}
	t_send_raw(w, burst, n);
	delivered(w->fd);
	assert_int_equal(kill(s->pid, SIGCONT), 0);
	do
		assert_non_null(l = h_line(c, H_TIMEOUT_MS));
	while (strstr(l, " left (too slow)") == NULL);
	h_send(c, "/who\n");
	h_expect_skip(c, "*** 1 online: watch");
	t_close(w);
	h_close(c);
	h_stop(s);
	(void)unlink(db);
}

/* The lowest fd pid does not hold, and in *top its highest below 1000
 * (valgrind keeps its own above). */
static long
lowest_free_fd(pid_t pid, long *top)
{
	char path[64];
	bool held[1000] = { false };
	struct dirent *e;
	long fd, i;
	DIR *d;

	snprintf(path, sizeof path, "/proc/%ld/fd", (long)pid);
	assert_non_null(d = opendir(path));
	*top = -1;
	while ((e = readdir(d)) != NULL) {
		if (e->d_name[0] == '.')
			continue;
		fd = strtol(e->d_name, NULL, 10);
		if (fd >= 0 && fd < 1000) {
			held[fd] = true;
			if (fd > *top)
				*top = fd;
		}
	}
	closedir(d);
	for (i = 0; i < 1000 && held[i]; i++)
		;
	return i;
}

/*
 * Out of fds, lobbyd gives up its reserve fd to take a newcomer off the
 * queue and turn it away. A --tls newcomer is closed with nothing said:
 * a plain-text "server full" line is not TLS, and its peer could not
 * read it.
 */
static void
test_tls_out_of_fds(void **state)
{
	struct h_server *s = *state;
	unsigned port = start_tls(s, NULL);
	struct h_conn *held[400];
	struct pollfd p;
	struct rlimit rl;
	char buf[256];
	long top, low;
	ssize_t n;
	int fd, nheld = 0, i;

	/* Members fill the fds below its highest: none left free there. */
	while ((low = lowest_free_fd(s->pid, &top)) < top) {
		assert_true(nheld < 400);
		held[nheld++] = h_join(s, NULL);
	}
	/* Then the limit at the next one: accept() gets EMFILE. */
	assert_int_equal(prlimit(s->pid, RLIMIT_NOFILE, NULL, &rl), 0);
	rl.rlim_cur = (rlim_t)low;
	assert_int_equal(prlimit(s->pid, RLIMIT_NOFILE, &rl, NULL), 0);
	fd = h_raw_connect(port);
	assert_true(fd != -1);
	p.fd = fd;
	p.events = POLLIN;
	assert_int_equal(poll(&p, 1, H_TIMEOUT_MS), 1);
	n = read(fd, buf, sizeof buf);
	if (n > 0)
		fail_msg("a TLS newcomer got %zd bytes of plain text: %.*s", n,
		    (int)n, buf);
	assert_true(h_log_has(s, "out of file descriptors", H_TIMEOUT_MS));
	close(fd);
	for (i = 0; i < nheld; i++)
		h_close(held[i]);
	h_stop(s);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		h_test(test_tls_chat),
		h_test(test_tls_close_notify_with_line),
		h_test(test_tls_tiny_records),
		h_test(test_tls_handshake_burst),
		h_test(test_tls_old_version),
		h_test(test_tls_seats),
		h_test(test_tls_handshakes_not_members),
		h_test(test_tls_late_handshakes_max_clients),
		h_test(test_tls_handshake_cap),
		h_test(test_web_tls_handshakes_not_members),
		h_test(test_tls_reload),
		h_test(test_tls_partial_record),
		h_test(test_tls_slow_reader),
		h_test(test_tls_fast_reader),
		h_test(test_tls_quit_history),
		h_test(test_tls_flood),
		h_test(test_tls_rooms),
		h_test(test_tls_client),
		h_test(test_tls_client_expired),
		h_test(test_tls_tools),
		h_test(test_web_tls),
		h_test(test_web_tls_close_reset),
		h_test(test_web_tls_quit_history),
		h_test(test_web_tls_cut_after_register),
		h_test(test_tls_stalled_handshakes),
		h_test(test_tls_out_of_fds),
	};
	int rc;

	signal(SIGPIPE, SIG_IGN);
	if (!pki_make()) {
		fprintf(stderr, "openssl cannot make the test keys: skipped\n");
		return 77;
	}
	rc = cmocka_run_group_tests(tests, NULL, NULL);
	(void)pki_run("rm -f *.pem *.key *.csr *.ext *.srl");
	(void)rmdir(pki);
	return rc;
}
