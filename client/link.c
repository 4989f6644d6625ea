/* link: the client's connection to the server: send queue, framed reads. */
#include "link.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/select.h>
#include <unistd.h>

#include "cmdline.h"
#include "net.h"
#include "sline.h"

#ifdef LOBBY_HAVE_TLS
#include <arpa/inet.h>
#include <poll.h>

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>
#endif

/*
 * Over TLS the socket stays the one select() watches; what the session
 * sees does not change. A read takes every byte SSL has decrypted (a
 * record may hold more than a read asked for, and select() would not say
 * so), and a write that could not go on is retried with the same bytes
 * first (the queue is drained only by what was written), as SSL_write()
 * wants.
 */

void
link_init(struct link *l)
{
	struct buf empty = BUF_INIT;

	l->sock = -1;
	l->ssl = NULL;
	l->quitting = false;
	l->nick[0] = '\0';
	l->room[0] = '\0';
	l->outq = empty;
	line_init(&l->in, LINK_MAXLINE);
}

#ifdef LOBBY_HAVE_TLS
bool
link_tls_built(void)
{
	return true;
}

/* The first error OpenSSL queued, as text; the queue is emptied. */
static const char *
link_tls_error(void)
{
	unsigned long e = ERR_peek_error();
	const char *why = e != 0 ? ERR_reason_error_string(e) : NULL;

	ERR_clear_error();
	return why != NULL ? why : "unknown error";
}

/* Why the chain was refused, in the words a user looks for. */
static const char *
link_tls_verify_why(long v)
{
	switch (v) {
	case X509_V_ERR_CERT_HAS_EXPIRED:
		return "expired";
	case X509_V_ERR_CERT_NOT_YET_VALID:
		return "not yet valid";
	case X509_V_ERR_HOSTNAME_MISMATCH:
	case X509_V_ERR_IP_ADDRESS_MISMATCH:
		return "wrong host";
	case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY:
	case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT:
	case X509_V_ERR_SELF_SIGNED_CERT_IN_CHAIN:
	case X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT:
	case X509_V_ERR_UNABLE_TO_VERIFY_LEAF_SIGNATURE:
		return "unknown CA";
	default:
		return "refused";
	}
}

/*
 * Shake hands over TLS on the connected non-blocking fd as a client of
 * host, within LINK_TLS_MS. Returns the SSL, or NULL with err set.
 */
static SSL *
link_tls_open(int fd, const char *host, const struct link_tls *t,
    char *err, size_t errlen)
{
	unsigned char ip[16];
	struct pollfd pfd;
	SSL_CTX *ctx;
	SSL *ssl = NULL;
	bool is_ip;
	long v;
	int r, e, left = LINK_TLS_MS;

	if ((ctx = SSL_CTX_new(TLS_client_method())) == NULL) {
		snprintf(err, errlen, "TLS: %s", link_tls_error());
		return NULL;
	}
	(void)SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
	SSL_CTX_set_mode(ctx, SSL_MODE_ENABLE_PARTIAL_WRITE |
	    SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
	/*
	 * A TLS 1.2 server's renegotiation is refused, as lobbyd refuses a
	 * client's: half done, it would leave a write waiting to read while
	 * the loop waits for the socket to take more.
	 */
	SSL_CTX_set_options(ctx, SSL_OP_NO_RENEGOTIATION);
	if (!t->insecure) {
		SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, NULL);
		if ((t->ca != NULL ? SSL_CTX_load_verify_locations(ctx, t->ca,
		    NULL) : SSL_CTX_set_default_verify_paths(ctx)) != 1) {
			snprintf(err, errlen, "TLS: cannot read %s: %s",
			    t->ca != NULL ? t->ca : "the system's CA store",
			    link_tls_error());
			SSL_CTX_free(ctx);
			return NULL;
		}
	}
	ssl = SSL_new(ctx);
	SSL_CTX_free(ctx);	/* the SSL holds it now */
	if (ssl == NULL || SSL_set_fd(ssl, fd) != 1) {
		snprintf(err, errlen, "TLS: %s", link_tls_error());
		SSL_free(ssl);
		return NULL;
	}
	is_ip = inet_pton(AF_INET, host, ip) == 1 ||
	    inet_pton(AF_INET6, host, ip) == 1;
	/* The name to send (SNI) and to find in the certificate. */
	if (!is_ip)
		(void)SSL_set_tlsext_host_name(ssl, host);
	if (!t->insecure && (is_ip ? X509_VERIFY_PARAM_set1_ip_asc(
	    SSL_get0_param(ssl), host) : SSL_set1_host(ssl, host)) != 1) {
		snprintf(err, errlen, "TLS: bad host name %s", host);
		SSL_free(ssl);
		return NULL;
	}
	SSL_set_connect_state(ssl);
	for (;;) {
		ERR_clear_error();
		errno = 0;
		if ((r = SSL_do_handshake(ssl)) == 1)
			return ssl;
		e = SSL_get_error(ssl, r);
		if ((e != SSL_ERROR_WANT_READ && e != SSL_ERROR_WANT_WRITE) ||
		    left <= 0)
			break;
		pfd.fd = fd;
		pfd.events = e == SSL_ERROR_WANT_READ ? POLLIN : POLLOUT;
		/* 100 ms slices: a signal (EINTR) only costs a slice. */
		if (poll(&pfd, 1, 100) == -1 && errno != EINTR)
			break;
		left -= 100;
	}
	if ((v = SSL_get_verify_result(ssl)) != X509_V_OK)
		snprintf(err, errlen, "TLS: certificate refused: %s (%s)",
		    link_tls_verify_why(v), X509_verify_cert_error_string(v));
	else if (left <= 0)
		snprintf(err, errlen, "TLS: no handshake within %d s",
		    LINK_TLS_MS / 1000);
	else if (e == SSL_ERROR_SYSCALL && ERR_peek_error() == 0)
		snprintf(err, errlen, "TLS: %s", errno != 0 ? strerror(errno) :
		    "the server closed the connection (is it TLS?)");
	else
		snprintf(err, errlen, "TLS: %s", link_tls_error());
	ERR_clear_error();
	SSL_free(ssl);
	return NULL;
}
#else
bool
link_tls_built(void)
{
	return false;
}
#endif

int
link_open(struct link *l, const char *host, const char *port,
    const char *unix_path, const struct link_tls *tls, char *err,
    size_t errlen)
{
	int fd;

	fd = net_connect(unix_path != NULL ? NULL : host,
	    unix_path != NULL ? unix_path : port, err, errlen);
	if (fd == -1)
		return -1;
	if (net_nonblock(fd) == -1) {
		snprintf(err, errlen, "%s", strerror(errno));
		close(fd);
		return -1;
	}
	/* select() cannot watch it: only possible with fds leaked to us. */
	if (fd >= FD_SETSIZE) {
		snprintf(err, errlen, "socket fd %d is beyond FD_SETSIZE", fd);
		close(fd);
		return -1;
	}
	if (tls != NULL && tls->on) {
#ifdef LOBBY_HAVE_TLS
		if ((l->ssl = link_tls_open(fd, host, tls, err, errlen)) ==
		    NULL) {
			close(fd);
			return -1;
		}
#else
		snprintf(err, errlen, "built without TLS support");
		close(fd);
		return -1;
#endif
	}
	l->sock = fd;
	return 0;
}

void
link_close(struct link *l)
{
#ifdef LOBBY_HAVE_TLS
	SSL_free(l->ssl);
#endif
	l->ssl = NULL;
	if (l->sock != -1)
		close(l->sock);
	l->sock = -1;
	buf_free(&l->outq);
	line_free(&l->in);
}

bool
link_nick_valid(const char *s)
{
	return proto_nick_valid(s, strlen(s));
}

int
link_send(struct link *l, const char *s, size_t n)
{
	size_t before = buf_used(&l->outq), k;
	const char *p = s, *end = s + n, *iac;
	struct cmdline cl;

	/*
	 * The server takes 0xFF as telnet's IAC and drops what follows it
	 * as negotiation: each 0xFF goes doubled (IAC IAC), which it turns
	 * back into the one byte, not counted twice against its limit.
	 */
	while (p < end) {
		iac = memchr(p, 0xff, (size_t)(end - p));
		k = iac != NULL ? (size_t)(iac - p) + 1 : (size_t)(end - p);
		if (buf_append(&l->outq, p, k) == -1 || (iac != NULL &&
		    buf_append(&l->outq, iac, 1) == -1))
			goto nomem;
		p += k;
	}
	if (buf_append(&l->outq, "\n", 1) == -1)
		goto nomem;
	cmdline_split(s, n, &cl);
	if (cmdline_is(&cl, "quit"))
		l->quitting = true;
	return 0;

nomem:
	/* Take the half line back: never send it without its LF. */
	l->outq.len = l->outq.off + before;
	return -1;
}

void
link_track(struct link *l, const char *s, size_t n)
{
	struct sline sl;

	switch (sline_parse(&sl, s, n)) {
	case SLINE_WELCOME:
		memcpy(l->nick, sl.nick, sl.nlen);
		l->nick[sl.nlen] = '\0';
		break;
	case SLINE_MOVED:
		memcpy(l->room, sl.room, sl.rlen);
		l->room[sl.rlen] = '\0';
		break;
	case SLINE_RENAMED:
		if (sline_nick_is(sl.nick, sl.nlen, l->nick)) {
			memcpy(l->nick, sl.nick2, sl.n2len);
			l->nick[sl.n2len] = '\0';
		}
		break;
	default:
		break;
	}
}

/*
 * Frame n bytes from the server. A long line's storage (a /rooms answer
 * may be megabytes) is released once the line is handed out.
 */
static enum link_result
link_feed(struct link *l, const char *data, size_t n, line_fn fn, void *arg)
{
	if (line_feed(&l->in, data, n, fn, arg) == -1)
		return LINK_NOMEM;
	if (l->in.part.cap > LINK_READ)
		line_shrink(&l->in);
	return LINK_OK;
}

#ifdef LOBBY_HAVE_TLS
/*
 * link_read() over TLS: records until SSL has no decrypted byte left, so
 * that none waits unseen by select(); each one's lines to fn.
 */
static enum link_result
link_tls_read(struct link *l, char *data, size_t size, line_fn fn,
    void *arg)
{
	int n, e;

	do {
		ERR_clear_error();
		errno = 0;
		if ((n = SSL_read(l->ssl, data, (int)size)) <= 0) {
			e = SSL_get_error(l->ssl, n);
			ERR_clear_error();
			if (e == SSL_ERROR_WANT_READ ||
			    e == SSL_ERROR_WANT_WRITE || (e ==
			    SSL_ERROR_SYSCALL && errno == EINTR))
				return LINK_OK;
			return LINK_GONE;
		}
		if (link_feed(l, data, (size_t)n, fn, arg) != LINK_OK)
			return LINK_NOMEM;
	} while (SSL_pending(l->ssl) > 0);
	return LINK_OK;
}
#endif

enum link_result
link_read(struct link *l, line_fn fn, void *arg)
{
	char data[LINK_READ];
	ssize_t n;

#ifdef LOBBY_HAVE_TLS
	if (l->ssl != NULL)
		return link_tls_read(l, data, sizeof data, fn, arg);
#endif
	n = read(l->sock, data, sizeof data);
	if (n == -1 && (errno == EINTR || errno == EAGAIN ||
	    errno == EWOULDBLOCK))
		return LINK_OK;
	if (n <= 0)
		return LINK_GONE;
	return link_feed(l, data, (size_t)n, fn, arg);
}

bool
link_finish(struct link *l, line_fn fn, void *arg)
{
	bool cut = line_pending(&l->in) > 0;

	(void)line_finish(&l->in, fn, arg);
	return cut;
}

enum link_result
link_write(struct link *l)
{
	ssize_t n;

	if (buf_used(&l->outq) == 0)
		return LINK_OK;
#ifdef LOBBY_HAVE_TLS
	if (l->ssl != NULL) {
		size_t len = buf_used(&l->outq);
		int k, e;

		ERR_clear_error();
		errno = 0;
		k = SSL_write(l->ssl, buf_peek(&l->outq),
		    len > INT32_MAX ? INT32_MAX : (int)len);
		if (k > 0) {
			buf_drain(&l->outq, (size_t)k);
			buf_shrink(&l->outq);
			return LINK_OK;
		}
		e = SSL_get_error(l->ssl, k);
		ERR_clear_error();
		return e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE ||
		    (e == SSL_ERROR_SYSCALL && errno == EINTR) ? LINK_OK :
		    LINK_GONE;
	}
#endif
	n = write(l->sock, buf_peek(&l->outq), buf_used(&l->outq));
	if (n > 0) {
		buf_drain(&l->outq, (size_t)n);
		buf_shrink(&l->outq);
	} else if (n == -1 && errno != EINTR && errno != EAGAIN &&
	    errno != EWOULDBLOCK)
		return LINK_GONE;
	return LINK_OK;
}
