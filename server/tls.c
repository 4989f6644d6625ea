/* tls: the --tls listener kind: handshakes, and the TLS member transport. */
#include "server-int.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/ssl.h>

#include "line.h"
#include "log.h"
#include "ltime.h"
#include "transport.h"

/*
 * A connection on a --tls listener shakes hands here first, inside the
 * one loop and without blocking: SSL_do_handshake() each time its socket
 * is ready (a few a pass, in turn: TLS_HS_STEPS), for at most
 * TLS_HANDSHAKE_MS. It is not a member: it counts
 * toward --max-per-ip and --max-http (on --web-tls with the HTTP
 * connections it will be one of, on --tls among the --tls handshakes),
 * never toward --max-clients, and the room knows nothing of it: a
 * stalled, garbage or half-closed handshake is closed with a log line,
 * and nobody sees it come or go. Its cap keeps stalled handshakes from
 * taking the fds members need. Once the handshake is done the socket
 * and its SSL go to conn.c as a member whose transport is transport_tls
 * (lines as for a TCP member, through SSL_read() and SSL_write()), if
 * conn_open() admits it as it would a TCP newcomer: on a full server it
 * hears the same notice, over TLS, and is closed.
 *
 * SSL_read() may leave decrypted bytes (or a whole record) in OpenSSL's
 * buffers, which select() cannot see. A member whose read left some is
 * put on the pending list; before the loop sleeps, tls_pending() reads
 * those that are being read at all (not held by --flood) as if their
 * socket were readable. When some that are read are still left after
 * the pass's flush (which may resume a member that waited on an
 * answer), a timer of 0 ms makes sure select() does not sleep on them
 * (tls_pending_kick(); the model: Redis's tlsProcessPendingData() in
 * its beforeSleep).
 */

#define TLS_HANDSHAKE_MS	10000	/* to finish a handshake: then closed */
#define TLS_TICK_MS		1000	/* handshake timer, when none is due */
/*
 * Plaintext per SSL_write(): one record. SSL has no writev(): the log's
 * bytes are gathered into a buffer first (the cipher copies them
 * anyway), a record at a time, and one that must wait holds no more.
 */
#define TLS_RECORD		16384	/* SSL3_RT_MAX_PLAIN_LENGTH */
/*
 * Records read per call, whatever their size. Each costs two reads and a
 * decryption: a peer sending one byte per record would otherwise have a
 * pass read 64 KiB of them (some 65,000 records, a tenth of a second)
 * while everyone else waits. 64 full records are 1 MiB; the 64 KiB read
 * bound comes first for any sender that fills its records.
 */
#define TLS_READ_RECORDS	64
/*
 * Handshake steps taken per pass. A server's first step makes a key and
 * signs (half a millisecond with RSA 2048): 64 ClientHellos at once held
 * the loop for 30 ms. The others wait in turn, first come first served;
 * passes with nothing else to do follow each other at once.
 */
#define TLS_HS_STEPS		4

/* A connection shaking hands. */
struct tls_hs {
	int		 fd;		/* the socket */
	unsigned	 id;		/* connection number, for the log */
	SSL		*ssl;		/* its TLS state */
	struct tls	*t;		/* the server's TLS side */
	bool		 web;		/* --web-tls: HTTP comes next */
	int64_t		 deadline;	/* monotonic ms it must be done by */
	struct peer	*slot;		/* its --max-per-ip count, or NULL */
	union net_addr	 peer;		/* its address */
	char		 addr[NET_ADDRSTRLEN]; /* peer, for the log */
	struct tls_hs	*prev;		/* previous in tls->hs */
	struct tls_hs	*next;		/* next in tls->hs */
	bool		 queued;	/* on tls->ready, its socket ready */
	struct tls_hs	*rnext;		/* next on tls->ready */
};

/* A TLS member's transport state (c->tp_state). */
struct tls_member {
	SSL		*ssl;		/* its TLS state */
	struct client	*c;		/* the member */
	struct tls	*t;		/* the server's TLS side */
	bool		 listed;	/* on t's pending list */
	unsigned	 round;		/* t->round of its last read */
	unsigned char	*owed;		/* bytes an SSL_write() that must be
					   retried was given, or NULL */
	size_t		 nowed;		/* how many: at most TLS_RECORD */
	bool		 ended;		/* a read met the end (or an error)
					   after bytes: the next one says so */
	int		 end_errno;	/* 0: the end; else the error */
	struct tls_member *pprev;	/* previous on the pending list */
	struct tls_member *pnext;	/* next on the pending list */
};

/* The server's TLS side (s->tls): made by tls_init(), freed by tls_free(). */
struct tls {
	struct server	*srv;		/* its server */
	SSL_CTX		*ctx;		/* certificate and key now served */
	struct tls_hs	*hs;		/* handshakes going on, newest first */
	size_t		 nhs[2];	/* how many: [1] on --web-tls */
	struct tls_hs	*ready;		/* of them, those whose socket is
					   ready, in the order they were */
	struct tls_hs	*ready_tail;	/* the last of them */
	struct tls_member *pending;	/* members with bytes SSL holds */
	int		 kick;		/* 0 ms timer while some are left */
	unsigned	 round;		/* select() rounds, counted by
					   tls_pending() */
	unsigned char	 wbuf[TLS_RECORD]; /* one SSL_write() at a time */
};

static void	tls_hs_io(struct loop *, int, int, void *);

/* ---------------------------------------------------------------------
 * Certificates
 * ------------------------------------------------------------------- */

/* The first error OpenSSL queued, as text; the queue is emptied. */
static const char *
tls_error(void)
{
	unsigned long e = ERR_peek_error();
	const char *why = e != 0 ? ERR_reason_error_string(e) : NULL;

	ERR_clear_error();
	return why != NULL ? why : "unknown error";
}

/*
 * No passphrase is ever given: a key under one fails to load. Without
 * this, OpenSSL would prompt on the terminal (or read stdin) for it, and
 * the loop would stop there, at start or at a SIGUSR2.
 */
static int
tls_no_passphrase(char *buf, int size, int rwflag, void *arg)
{
	(void)buf;
	(void)size;
	(void)rwflag;
	(void)arg;
	return -1;
}

/*
 * A context serving cert (a chain, leaf first) and key, TLS 1.2 and
 * later. Returns it, or NULL with why (a static string) set.
 */
static SSL_CTX *
tls_ctx_new(const char *cert, const char *key, char *why, size_t len)
{
	SSL_CTX *ctx;

	if ((ctx = SSL_CTX_new(TLS_server_method())) == NULL) {
		snprintf(why, len, "%s", tls_error());
		return NULL;
	}
	(void)SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
	/*
	 * No renegotiation (a client could make us work for nothing), no
	 * session tickets (a chat connection is long-lived: resuming buys
	 * little and costs state). Idle members free their record buffers.
	 */
	SSL_CTX_set_options(ctx, SSL_OP_NO_RENEGOTIATION |
	    SSL_OP_CIPHER_SERVER_PREFERENCE | SSL_OP_NO_TICKET);
#ifdef SSL_OP_IGNORE_UNEXPECTED_EOF
	/* A peer that closes without close_notify has left, like a TCP EOF. */
	SSL_CTX_set_options(ctx, SSL_OP_IGNORE_UNEXPECTED_EOF);
#endif
	(void)SSL_CTX_set_num_tickets(ctx, 0);
	SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_OFF);
	SSL_CTX_set_mode(ctx, SSL_MODE_ENABLE_PARTIAL_WRITE |
	    SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER | SSL_MODE_RELEASE_BUFFERS);
	SSL_CTX_set_default_passwd_cb(ctx, tls_no_passphrase);
	if (SSL_CTX_use_certificate_chain_file(ctx, cert) != 1) {
		snprintf(why, len, "certificate %s: %s", cert, tls_error());
		SSL_CTX_free(ctx);
		return NULL;
	}
	if (SSL_CTX_use_PrivateKey_file(ctx, key, SSL_FILETYPE_PEM) != 1) {
		snprintf(why, len, "key %s: %s", key, tls_error());
		SSL_CTX_free(ctx);
		return NULL;
	}
	if (SSL_CTX_check_private_key(ctx) != 1) {
		snprintf(why, len, "key %s does not match certificate %s: %s",
		    key, cert, tls_error());
		SSL_CTX_free(ctx);
		return NULL;
	}
	return ctx;
}

int
tls_init(struct server *s)
{
	const struct server_config *cfg = s->cfg;
	char why[512];

	if ((s->tls = calloc(1, sizeof *s->tls)) == NULL) {
		log_bare(LOG_LEVEL_ERROR, "out of memory");
		return -1;
	}
	s->tls->srv = s;
	s->tls->kick = -1;
	if ((s->tls->ctx = tls_ctx_new(cfg->tls_cert, cfg->tls_key, why,
	    sizeof why)) == NULL) {
		log_bare(LOG_LEVEL_ERROR, "TLS: %s", why);
		return -1;
	}
	return 0;
}

void
tls_reload(struct server *s)
{
	struct tls *t = s->tls;
	SSL_CTX *ctx;
	char why[512];

	if (t == NULL)
		return;
	/*
	 * Members and handshakes going on keep the context they started
	 * with (each SSL holds a reference): nobody is dropped.
	 */
	if ((ctx = tls_ctx_new(s->cfg->tls_cert, s->cfg->tls_key, why,
	    sizeof why)) == NULL) {
		log_error("tls: reload failed, still serving the old "
		    "certificate: %s", why);
		return;
	}
	SSL_CTX_free(t->ctx);
	t->ctx = ctx;
	log_info("tls: certificate %s and key %s reloaded", s->cfg->tls_cert,
	    s->cfg->tls_key);
}

/* ---------------------------------------------------------------------
 * Handshakes
 * ------------------------------------------------------------------- */

/* Unlink and free h, its SSL included, leaving its socket alone. */
static void
tls_hs_forget(struct tls *t, struct tls_hs *h)
{
	struct tls_hs **p;

	if (h->queued) {
		for (p = &t->ready; *p != h; p = &(*p)->rnext)
			;
		*p = h->rnext;
		if (t->ready_tail == h)
			for (t->ready_tail = t->ready; t->ready_tail != NULL &&
			    t->ready_tail->rnext != NULL;
			    t->ready_tail = t->ready_tail->rnext)
				;
	}
	peers_put(&t->srv->peers, h->slot);
	if (h->prev != NULL)
		h->prev->next = h->next;
	else
		t->hs = h->next;
	if (h->next != NULL)
		h->next->prev = h->prev;
	t->nhs[h->web]--;
	SSL_free(h->ssl);
	free(h);
}

/* Close h's socket and free it: the one way out of a failed handshake. */
static void
tls_hs_close(struct tls *t, struct tls_hs *h, const char *why)
{
	struct server *s = t->srv;

	loop_del(&s->loop, h->fd, LOOP_READ | LOOP_WRITE);
	close(h->fd);
	log_info("tls %u %s: handshake failed: %s", h->id, h->addr, why);
	tls_hs_forget(t, h);
	listener_resume(s);
}

/* Put member m on the pending list, if it is not on it. */
static void
tls_list(struct tls_member *m)
{
	struct tls *t = m->t;

	if (m->listed)
		return;
	m->listed = true;
	m->pprev = NULL;
	m->pnext = t->pending;
	if (t->pending != NULL)
		t->pending->pprev = m;
	t->pending = m;
}

/* Take member m off the pending list, if it is on it. */
static void
tls_unlist(struct tls_member *m)
{
	struct tls *t = m->t;

	if (!m->listed)
		return;
	m->listed = false;
	if (m->pprev != NULL)
		m->pprev->pnext = m->pnext;
	else
		t->pending = m->pnext;
	if (m->pnext != NULL)
		m->pnext->pprev = m->pprev;
	m->pprev = m->pnext = NULL;
}

void *
transport_tls_new(struct tls *t, void *ssl)
{
	struct tls_member *m;

	if ((m = calloc(1, sizeof *m)) == NULL)
		return NULL;
	m->ssl = ssl;
	m->t = t;
	return m;
}

/* h's handshake is done: its socket and SSL become a member's. */
static void
tls_hs_done(struct tls *t, struct tls_hs *h)
{
	struct server *s = t->srv;
	struct tls_member *m;
	union net_addr peer = h->peer;
	char addr[NET_ADDRSTRLEN];
	struct client *c;
	const char *full;
	size_t n;
	int fd = h->fd;

	if ((m = transport_tls_new(t, h->ssl)) == NULL) {
		tls_hs_close(t, h, "out of memory");
		return;
	}
	h->ssl = NULL;
	log_debug("tls %u %s: %s with %s", h->id, h->addr,
	    SSL_get_version(m->ssl), SSL_get_cipher_name(m->ssl));
	snprintf(addr, sizeof addr, "%s", h->addr);
	loop_del(&s->loop, fd, LOOP_READ | LOOP_WRITE);
	if (h->web) {
		/* An HTTP connection now, which counts itself. */
		tls_hs_forget(t, h);
		if (web_accept_tls(s, fd, &peer, addr, m) == -1) {
			log_warn("refused web %s: %s", addr, strerror(errno));
			tls_stream_free(m);
			close(fd);
			listener_resume(s);
		}
		return;
	}
	/* Its --max-per-ip count goes from the handshake to the member. */
	tls_hs_forget(t, h);
	if ((c = conn_open(s, fd, &peer, addr, &transport_tls, m)) == NULL) {
		if (errno == EUSERS) {
			/* What a TCP newcomer hears, over TLS. */
			full = room_full_notice(&n);
			(void)tls_stream_write(m, full, n);
			(void)tls_stream_shutdown(m);
			s->stats.refused_full++;
			log_warn("refused tls member %s: max number of clients "
			    "reached", addr);
		} else
			log_warn("refused tls member %s: %s", addr,
			    strerror(errno));
		tls_stream_free(m);
		close(fd);
		listener_resume(s);
		return;
	}
	m->c = c;
	/*
	 * Read it before sleeping: it may have sent its first lines with
	 * its last handshake bytes, which SSL holds now, unseen by select().
	 */
	tls_list(m);
}

/* Go on with h's handshake: done, still going, or failed. */
static void
tls_hs_step(struct tls *t, struct tls_hs *h)
{
	struct server *s = t->srv;
	int r, e;

	ERR_clear_error();
	errno = 0;
	if ((r = SSL_do_handshake(h->ssl)) == 1) {
		tls_hs_done(t, h);
		return;
	}
	switch ((e = SSL_get_error(h->ssl, r))) {
	case SSL_ERROR_WANT_READ:
		loop_del(&s->loop, h->fd, LOOP_WRITE);
		break;
	case SSL_ERROR_WANT_WRITE:
		(void)loop_add(&s->loop, h->fd, LOOP_WRITE, tls_hs_io, h);
		break;
	case SSL_ERROR_SYSCALL:
		tls_hs_close(t, h, errno != 0 ? strerror(errno) :
		    ERR_peek_error() != 0 ? tls_error() : "closed by the peer");
		break;
	default:
		tls_hs_close(t, h, tls_error());
		break;
	}
}

/*
 * h's socket is ready (either way): it goes on shaking hands before the
 * loop sleeps, in turn (tls_hs_run()).
 */
static void
tls_hs_io(struct loop *l, int fd, int mask, void *arg)
{
	struct tls_hs *h = arg;
	struct tls *t = h->t;

	(void)l;
	(void)fd;
	(void)mask;
	if (h->queued)
		return;
	h->queued = true;
	h->rnext = NULL;
	if (t->ready_tail != NULL)
		t->ready_tail->rnext = h;
	else
		t->ready = h;
	t->ready_tail = h;
}

/*
 * Take the next step of the first TLS_HS_STEPS handshakes whose socket
 * was ready. Those left keep their place; their sockets, not read yet,
 * are still ready at the next select().
 */
static void
tls_hs_run(struct tls *t)
{
	struct tls_hs *h;
	int i;

	for (i = 0; i < TLS_HS_STEPS && (h = t->ready) != NULL; i++) {
		t->ready = h->rnext;
		if (t->ready == NULL)
			t->ready_tail = NULL;
		h->queued = false;
		tls_hs_step(t, h);
	}
}

size_t
tls_handshakes(const struct server *s, bool web)
{
	return s->tls != NULL ? s->tls->nhs[web] : 0;
}

int
tls_accept(struct server *s, int fd, const union net_addr *peer,
    const char *addr, bool web)
{
	struct tls *t = s->tls;
	struct tls_hs *h;

	if ((h = calloc(1, sizeof *h)) == NULL) {
		errno = ENOMEM;
		return -1;
	}
	h->fd = fd;
	h->t = t;
	h->web = web;
	h->peer = *peer;
	snprintf(h->addr, sizeof h->addr, "%s", addr);
	if ((h->ssl = SSL_new(t->ctx)) == NULL || SSL_set_fd(h->ssl, fd) != 1) {
		ERR_clear_error();
		SSL_free(h->ssl);
		free(h);
		errno = ENOMEM;
		return -1;
	}
	SSL_set_accept_state(h->ssl);
	if (s->cfg->max_per_ip > 0 &&
	    (h->slot = peers_get(&s->peers, peer)) == NULL &&
	    errno == ENOMEM) {
		SSL_free(h->ssl);
		free(h);
		return -1;
	}
	if (loop_add(&s->loop, fd, LOOP_READ, tls_hs_io, h) == -1) {
		peers_put(&s->peers, h->slot);
		SSL_free(h->ssl);
		free(h);
		return -1;
	}
	h->id = conn_new_id(s);
	h->deadline = ltime_mono_ms() + TLS_HANDSHAKE_MS;
	h->next = t->hs;
	if (t->hs != NULL)
		t->hs->prev = h;
	t->hs = h;
	t->nhs[h->web]++;
	log_debug("tls %u %s: handshake", h->id, h->addr);
	return 0;
}

void
tls_refuse(int fd, const char *peer, const char *why)
{
	/* No notice: it would not be TLS, and the peer could not read it. */
	close(fd);
	log_warn("refused %s: %s", peer, why);
}

int64_t
tls_tick(struct loop *l, void *arg)
{
	struct server *s = arg;
	struct tls *t = s->tls;
	struct tls_hs *h, *next;
	int64_t now = ltime_mono_ms(), due = TLS_TICK_MS;

	(void)l;
	for (h = t->hs; h != NULL; h = next) {
		next = h->next;
		if (h->deadline > now) {
			if (h->deadline - now < due)
				due = h->deadline - now;
			continue;
		}
		tls_hs_close(t, h, "not done within 10 s");
	}
	return due > 10 ? due : 10;
}

void
tls_stop(struct server *s)
{
	struct tls *t = s->tls;

	while (t != NULL && t->hs != NULL)
		tls_hs_close(t, t->hs, "shutting down");
}

void
tls_free(struct server *s)
{
	struct tls *t = s->tls;
	struct tls_hs *h;

	if (t == NULL)
		return;
	while ((h = t->hs) != NULL) {
		close(h->fd);
		tls_hs_forget(t, h);
	}
	SSL_CTX_free(t->ctx);
	free(t);
	s->tls = NULL;
}

/* ---------------------------------------------------------------------
 * Bytes SSL holds that select() cannot see
 * ------------------------------------------------------------------- */

/* Timer: nothing to do; being due made select() not sleep. */
static int64_t
tls_kicked(struct loop *l, void *arg)
{
	struct tls *t = arg;

	(void)l;
	t->kick = -1;
	return -1;
}

void
tls_pending(struct server *s)
{
	struct tls *t = s->tls;
	struct tls_member *m, *next, *list;

	if (t == NULL)
		return;
	/* Handshakes first: a member made now may have lines in SSL. */
	tls_hs_run(t);
	if (t->pending == NULL)
		return;
	/*
	 * Each member is read once per round of select(), as a plain one
	 * is: one read since the last call (select() found its socket
	 * readable) leaves it for the next round.
	 */
	list = t->pending;
	for (m = list; m != NULL; m = next) {
		next = m->pnext;
		if (m->c->flags & (CLIENT_CLOSING | CLIENT_SLOW)) {
			tls_unlist(m);
			continue;
		}
		/* Held by --flood: left for when it is read again. */
		if (!loop_has(&s->loop, m->c->fd, LOOP_READ) ||
		    m->round == t->round)
			continue;
		tls_unlist(m);
		conn_readable(m->c);
	}
	t->round++;
}

void
tls_pending_kick(struct server *s)
{
	struct tls *t = s->tls;
	struct tls_member *m;
	bool more;

	if (t == NULL)
		return;
	/* Handshakes whose turn has not come (their sockets say so too). */
	more = t->ready != NULL;
	for (m = t->pending; m != NULL && !more; m = m->pnext)
		more = loop_has(&s->loop, m->c->fd, LOOP_READ) &&
		    !(m->c->flags & (CLIENT_CLOSING | CLIENT_SLOW));
	if (more && t->kick == -1)
		t->kick = loop_timer_add(&s->loop, 0, tls_kicked, t);
}

/* ---------------------------------------------------------------------
 * The member transport
 * ------------------------------------------------------------------- */

/* What SSL's r (from a call that failed) means, as errno; -1. */
static ssize_t
tls_fail(struct tls_member *m, int r, const char *op)
{
	int e = SSL_get_error(m->ssl, r);

	switch (e) {
	case SSL_ERROR_WANT_READ:
	case SSL_ERROR_WANT_WRITE:
		errno = EAGAIN;
		return -1;
	case SSL_ERROR_ZERO_RETURN:
		/* close_notify: a clean end (only a read sees it). */
		return 0;
	case SSL_ERROR_SYSCALL:
		if (errno == 0 && ERR_peek_error() == 0) {
			/* EOF without close_notify: an end all the same. */
			errno = EPIPE;
			return strcmp(op, "read") == 0 ? 0 : -1;
		}
		break;
	default:
#ifdef SSL_R_UNEXPECTED_EOF_WHILE_READING
		/* The same, from a context without IGNORE_UNEXPECTED_EOF. */
		if (ERR_GET_REASON(ERR_peek_error()) ==
		    SSL_R_UNEXPECTED_EOF_WHILE_READING &&
		    strcmp(op, "read") == 0) {
			ERR_clear_error();
			return 0;
		}
#endif
		break;
	}
	log_debug("client %u: tls %s: %s", m->c != NULL ? m->c->id : 0, op,
	    errno != 0 && e == SSL_ERROR_SYSCALL ? strerror(errno) :
	    tls_error());
	ERR_clear_error();
	errno = ECONNRESET;
	return -1;
}

/*
 * Read up to n plaintext bytes: record after record, until n are in,
 * TLS_READ_RECORDS records are read, or the socket has no more; then, if
 * SSL still holds some and the stream is a member's, the member goes on
 * the pending list (what is left on the socket, select() sees). Not when
 * SSL stopped for want of the socket: what it holds then is part of a
 * record, of no use until the rest comes, and select() says when that
 * is (read again before, the member would be read every pass, the loop
 * never sleeping, for as long as half a record waits).
 *
 * The end (close_notify, EOF) or an error met after some bytes is kept
 * for the next read, and the member goes on the pending list for it:
 * its bytes were taken off the socket with the ones before, so select()
 * may never say it is readable again (a peer that sends its last line
 * and close_notify together, then waits for ours).
 */
ssize_t
tls_stream_read(void *st, void *buf, size_t n)
{
	struct tls_member *m = st;
	size_t got = 0;
	ssize_t r;
	int k, records = 0;
	bool starved = false;

	m->round = m->t->round;
	if (m->ended) {
		if (m->end_errno == 0)
			return 0;
		errno = m->end_errno;
		return -1;
	}
	while (got < n && records < TLS_READ_RECORDS) {
		ERR_clear_error();
		errno = 0;
		k = SSL_read(m->ssl, (char *)buf + got, n - got > INT32_MAX ?
		    INT32_MAX : (int)(n - got));
		records++;
		if (k > 0) {
			got += (size_t)k;
			continue;
		}
		if ((r = tls_fail(m, k, "read")) == -1 && errno == EAGAIN) {
			starved = true;
			break;
		}
		if (got > 0) {
			/* The end, or the error, comes next time. */
			m->ended = true;
			m->end_errno = r == 0 ? 0 : errno;
			break;
		}
		return r;
	}
	if (m->c != NULL && (m->ended || (!starved &&
	    SSL_has_pending(m->ssl))))
		tls_list(m);
	if (got == 0) {
		errno = EAGAIN;
		return -1;
	}
	return (ssize_t)got;
}

/*
 * Retry the SSL_write() that had to wait, with the same bytes (m->owed),
 * as SSL asks. Returns 0 once they are all written, or -1 with errno
 * (EAGAIN: the socket is still full).
 */
static int
tls_write_owed(struct tls_member *m)
{
	int r;

	while (m->nowed > 0) {
		ERR_clear_error();
		errno = 0;
		if ((r = SSL_write(m->ssl, m->owed, (int)m->nowed)) <= 0) {
			if (tls_fail(m, r, "write") == 0)
				errno = EPIPE;
			return -1;
		}
		/* Done with that call: the rest is a write of its own. */
		m->nowed -= (size_t)r;
		memmove(m->owed, m->owed + r, m->nowed);
	}
	free(m->owed);
	m->owed = NULL;
	return 0;
}

/*
 * Write iov, gathered a record at a time into the shared buffer, until
 * all is written or the socket is full: a short count means it is full,
 * as for writev(2).
 *
 * An SSL_write() that must wait has already sealed (some of) its bytes
 * into a record that goes out before anything else, and must be retried
 * with the same bytes. The caller cannot be trusted to offer them first
 * again: a WebSocket member puts a pong or a close frame where the next
 * frame begins, and a closing one hands what is left to web.c. So the
 * stream takes them: they count as written, a copy is kept (m->owed),
 * and the next write retries with it before anything new. Until then
 * tls_stream_owes() says so, and the caller waits for the socket to be
 * writable as it would for bytes of its own.
 */
ssize_t
tls_stream_writev(void *st, const struct iovec *iov, int cnt)
{
	struct tls_member *m = st;
	unsigned char *wbuf = m->t->wbuf;
	size_t len, done = 0, off = 0, k;
	ssize_t e;
	int i = 0, r;

	if (m->nowed > 0 && tls_write_owed(m) == -1)
		return -1;
	for (;;) {
		/* The next record's worth of iov. */
		for (len = 0; i < cnt && len < TLS_RECORD; off = 0, i++) {
			if ((k = iov[i].iov_len - off) == 0)
				continue;
			if (k > TLS_RECORD - len)
				k = TLS_RECORD - len;
			memcpy(wbuf + len, (char *)iov[i].iov_base + off, k);
			len += k;
			if ((off += k) < iov[i].iov_len)
				break;
		}
		if (len == 0)
			return (ssize_t)done;
		ERR_clear_error();
		errno = 0;
		if ((r = SSL_write(m->ssl, wbuf, (int)len)) > 0) {
			done += (size_t)r;
			if ((size_t)r == len)
				continue;
			break;	/* less than a record: the rest next time */
		}
		if ((e = tls_fail(m, r, "write")) == -1 && errno == EAGAIN) {
			if ((m->owed = malloc(len)) == NULL) {
				errno = ENOMEM;
				return -1;
			}
			memcpy(m->owed, wbuf, len);
			m->nowed = len;
			return (ssize_t)(done + len);
		}
		if (done > 0)
			break;	/* the error comes next time */
		/* Never 0: once the peer's close_notify is in, OpenSSL
		 * calls a failed write (a reset) the end of the stream, and
		 * a caller would take 0 for a full socket, forever. */
		if (e == 0)
			errno = EPIPE;
		return -1;
	}
	return (ssize_t)done;
}

bool
tls_stream_owes(const void *st)
{
	const struct tls_member *m = st;

	return m != NULL && m->nowed > 0;
}

ssize_t
tls_stream_write(void *st, const void *p, size_t n)
{
	struct iovec iov = { (void *)(uintptr_t)p, n };

	return tls_stream_writev(st, &iov, 1);
}

void
tls_stream_attach(void *st, struct client *c)
{
	struct tls_member *m = st;

	m->c = c;
	/* What SSL holds already (the first frames) is read before sleep. */
	tls_list(m);
}

void
tls_stream_detach(void *st)
{
	struct tls_member *m = st;

	tls_unlist(m);
	m->c = NULL;
}

int
tls_stream_shutdown(void *st)
{
	struct tls_member *m = st;
	int r, again;

	ERR_clear_error();
	r = SSL_shutdown(m->ssl);
	again = r < 0 && SSL_get_error(m->ssl, r) == SSL_ERROR_WANT_WRITE;
	ERR_clear_error();
	if (again) {
		errno = EAGAIN;
		return -1;
	}
	return 0;
}

void
tls_stream_free(void *st)
{
	struct tls_member *m = st;

	if (m == NULL)
		return;
	tls_unlist(m);
	SSL_free(m->ssl);
	free(m->owed);
	free(m);
}

static ssize_t
tt_read(struct client *c, void *buf, size_t n)
{
	return tls_stream_read(c->tp_state, buf, n);
}

static int
tt_input(struct client *c, char *p, size_t n)
{
	n = telnet_strip(&c->telnet, p, n);
	return conn_lines(c, p, n);
}

static void
tt_eof(struct client *c)
{
	(void)line_finish(&c->line, conn_last_line, c);
}

static int
tt_fill(struct client *c, struct rlog *l, struct iovec *iov, int max)
{
	return rlog_iov(l, &c->rd, iov, max);
}

static ssize_t
tt_writev(struct client *c, const struct iovec *iov, int cnt)
{
	return tls_stream_writev(c->tp_state, iov, cnt);
}

static size_t
tt_advance(struct client *c, struct rlog *l, size_t n)
{
	return rlog_advance(l, &c->rd, n);
}

static bool
tt_unsent(const struct client *c, const struct rlog *l)
{
	return rlog_has_output(l, &c->rd) || tls_stream_owes(c->tp_state);
}

static void
tt_finish(struct client *c, const struct rlog *l)
{
	(void)c;
	(void)l;
}

/* The last write is done: the stream goes with the socket, for what it
 * owes still and close_notify. */
static void *
tt_close(struct client *c, struct buf *rest)
{
	void *st = c->tp_state;

	(void)rest;
	tls_stream_detach(st);
	c->tp_state = NULL;
	return st;
}

/* Nothing: SSL_MODE_RELEASE_BUFFERS lets SSL free its record buffers. */
static void
tt_trim(struct client *c)
{
	(void)c;
}

static void
tt_free(void *state)
{
	tls_stream_free(state);
}

const struct transport transport_tls = {
	.name = "tls",
	.read = tt_read,
	.input = tt_input,
	.eof = tt_eof,
	.fill = tt_fill,
	.writev = tt_writev,
	.advance = tt_advance,
	.unsent = tt_unsent,
	.finish = tt_finish,
	.close = tt_close,
	.trim = tt_trim,
	.free = tt_free,
};
