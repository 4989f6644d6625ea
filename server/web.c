/* web: the --web listener kind: HTTP requests, the page, /metrics, and
 * the handshake that hands a WebSocket member to conn.c. */
#include "server-int.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "buf.h"
#include "http.h"
#include "log.h"
#include "ltime.h"
#include "page.h"
#include "transport.h"
#include "ws.h"

/*
 * An HTTP connection lives here until it is answered and closed, or
 * becomes a member: a WebSocket handshake that passes hands the socket to
 * conn.c as a client with the WebSocket transport (transport_ws.c), and
 * from then on it is a member like any other, but for the framing of what
 * it reads and writes. Every answer
 * says "Connection: close": the page needs one GET for itself and one for
 * /ws, so keep-alive would buy nothing but state.
 *
 * Connections close gracefully here: after the last byte of the answer
 * the write side is shut and whatever the peer still sends is read and
 * dropped, until it closes or SERVER_LINGER_MS pass. Closing at once with
 * unread input would make the kernel answer with a reset, which can
 * destroy the answer in flight. (A WebSocket member's socket closes as
 * every member's does: linger.c.)
 */

#define WEB_HEAD_MS	5000	/* to send a request head: then 408 */
#define WEB_WRITE_MS	10000	/* for a response to be taken */
#define WEB_TICK_MS	1000	/* timer period when nothing is due sooner */
#define WEB_METRIC_ROOMS 50	/* rooms with a label in /metrics, at most */

/* Where an HTTP connection is. */
enum web_state {
	WEB_READING,		/* reading the request head */
	WEB_WRITING,		/* sending the answer */
	WEB_LINGERING,		/* all sent: dropping input until EOF */
};

struct web_conn {
	int		 fd;		/* the socket */
	unsigned	 id;		/* connection number, for the log */
	enum web_state	 state;		/* WEB_* above */
	int64_t		 deadline;	/* monotonic ms when the state ends */
	struct http_request *req;	/* the head, while reading it */
	struct buf	 out;		/* answer bytes not yet sent */
	struct server	*srv;		/* its server */
	struct web_conn	*prev;		/* previous in s->webs */
	struct web_conn	*next;		/* next in s->webs */
	union net_addr	 peer;		/* its address, for --max-per-ip */
	struct peer	*slot;		/* its count there while reading the
					   request; NULL once it is in */
	void		*tls;		/* --web-tls: its TLS stream (tls.c),
					   or NULL: plain HTTP */
	char		 addr[NET_ADDRSTRLEN]; /* peer, for the log */
};

static void	web_read(struct loop *, int, int, void *);
static void	web_write(struct loop *, int, int, void *);

/* ---------------------------------------------------------------------
 * HTTP connections
 * ------------------------------------------------------------------- */

/* w's request is in: it no longer holds a --max-per-ip seat. */
static void
web_unslot(struct web_conn *w)
{
	peers_put(&w->srv->peers, w->slot);
	w->slot = NULL;
}

/* Unlink and free w, leaving its socket alone. */
static void
web_forget(struct web_conn *w)
{
	struct server *s = w->srv;

	web_unslot(w);
	if (w->prev != NULL)
		w->prev->next = w->next;
	else
		s->webs = w->next;
	if (w->next != NULL)
		w->next->prev = w->prev;
	s->nwebs--;
	tls_stream_free(w->tls);
	buf_free(&w->out);
	free(w->req);
	free(w);
}

/* Close w's socket and free it: the one way out of an HTTP connection. */
static void
web_close(struct web_conn *w)
{
	struct server *s = w->srv;

	loop_del(&s->loop, w->fd, LOOP_READ | LOOP_WRITE);
	close(w->fd);
	log_debug("web %u closed", w->id);
	web_forget(w);
	listener_resume(s);
}

/* A new connection on fd in state st, linked into s->webs; or NULL. */
static struct web_conn *
web_new(struct server *s, int fd, const char *addr, unsigned id,
    enum web_state st)
{
	struct web_conn *w;

	if ((w = calloc(1, sizeof *w)) == NULL)
		return NULL;
	w->fd = fd;
	w->id = id;
	w->srv = s;
	w->state = st;
	snprintf(w->addr, sizeof w->addr, "%s", addr);
	w->next = s->webs;
	if (s->webs != NULL)
		s->webs->prev = w;
	s->webs = w;
	s->nwebs++;
	return w;
}

/* All is sent: shut the write side, then drop input until EOF. */
static void
web_linger(struct web_conn *w)
{
	struct server *s = w->srv;

	buf_free(&w->out);
	if (w->tls != NULL)
		(void)tls_stream_shutdown(w->tls); /* close_notify first */
	(void)shutdown(w->fd, SHUT_WR);
	w->state = WEB_LINGERING;
	w->deadline = ltime_mono_ms() + SERVER_LINGER_MS;
	loop_del(&s->loop, w->fd, LOOP_WRITE);
	if (loop_add(&s->loop, w->fd, LOOP_READ, web_read, w) == -1)
		web_close(w);
}

/* Send what the socket takes of w's answer; linger once it is all out. */
static void
web_send(struct web_conn *w)
{
	struct server *s = w->srv;
	ssize_t n;

	/* TLS may owe bytes it took: they are written before the linger. */
	while (buf_used(&w->out) > 0 || (w->tls != NULL &&
	    tls_stream_owes(w->tls))) {
		n = w->tls != NULL ? tls_stream_write(w->tls,
		    buf_peek(&w->out), buf_used(&w->out)) :
		    send(w->fd, buf_peek(&w->out), buf_used(&w->out),
		    MSG_NOSIGNAL | MSG_DONTWAIT);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
			if (loop_add(&s->loop, w->fd, LOOP_WRITE, web_write,
			    w) == -1)
				web_close(w);
			return;
		}
		if (n == -1) {
			log_debug("web %u: write: %s", w->id, strerror(errno));
			web_close(w);
			return;
		}
		buf_drain(&w->out, (size_t)n);
	}
	web_linger(w);
}

/* The socket of an answer being sent can take more. */
static void
web_write(struct loop *l, int fd, int mask, void *arg)
{
	(void)l;
	(void)fd;
	(void)mask;
	web_send(arg);
}

/*
 * Answer: the status line, the usual fields, the extra ones (each ending
 * in CRLF), and the body unless the request was a HEAD. Reading stops
 * there: one request per connection.
 */
static void
web_respond(struct web_conn *w, unsigned status, const char *type,
    const char *extra, const void *body, size_t len)
{
	struct server *s = w->srv;
	bool head_only = w->req != NULL && w->req->method == HTTP_HEAD;
	char head[1024];
	int n;

	n = snprintf(head, sizeof head,
	    "HTTP/1.1 %u %s\r\n"
	    "Content-Type: %s\r\n"
	    "Content-Length: %zu\r\n"
	    "Cache-Control: no-cache\r\n"
	    "X-Content-Type-Options: nosniff\r\n"
	    "Referrer-Policy: no-referrer\r\n"
	    "Connection: close\r\n"
	    "%s\r\n", status, http_reason(status), type, len,
	    extra != NULL ? extra : "");
	log_debug("web %u %s: %u", w->id, w->addr, status);
	s->web_requests++;
	web_unslot(w);
	free(w->req);
	w->req = NULL;
	loop_del(&s->loop, w->fd, LOOP_READ);
	w->state = WEB_WRITING;
	w->deadline = ltime_mono_ms() + WEB_WRITE_MS;
	if (n < 0 || (size_t)n >= sizeof head ||
	    buf_append(&w->out, head, (size_t)n) == -1 ||
	    (!head_only && len > 0 && buf_append(&w->out, body, len) == -1)) {
		web_close(w);
		return;
	}
	web_send(w);
}

/* An error answer: the status and its reason as a plain text body. */
static void
web_error(struct web_conn *w, unsigned status, const char *extra)
{
	char body[128];
	int n;

	n = snprintf(body, sizeof body, "%u %s\n", status,
	    http_reason(status));
	web_respond(w, status, "text/plain; charset=utf-8", extra, body,
	    (size_t)n);
}

/* ---------------------------------------------------------------------
 * /metrics
 * ------------------------------------------------------------------- */

/*
 * Append one metric in the Prometheus text format: its HELP and TYPE
 * lines, then its sample. Counters take the conventional _total suffix.
 */
static int
web_metric(struct buf *b, const char *key, bool counter, const char *help,
    unsigned long long value)
{
	char line[512], name[128];
	int n;

	snprintf(name, sizeof name, "lobby_%s%s", key, counter ? "_total" : "");
	n = snprintf(line, sizeof line, "# HELP %s %s\n# TYPE %s %s\n%s %llu\n",
	    name, help, name, counter ? "counter" : "gauge", name, value);
	if (n < 0 || (size_t)n >= sizeof line)
		return -1;
	return buf_append(b, line, (size_t)n);
}

/*
 * The rooms: how many, and the members of the WEB_METRIC_ROOMS fullest
 * (a label each: room names are A-Z a-z 0-9 _ -, nothing to escape),
 * with those of all the others in one more sample, so that the label
 * count stays bounded however many rooms there are.
 */
static const char web_room_help[] =
    "# HELP lobby_room_members Members in a room now (the "
    PROTO_XSTR(WEB_METRIC_ROOMS) " fullest rooms).\n"
    "# TYPE lobby_room_members gauge\n";

static int
web_metrics_rooms(struct buf *b, const struct rooms *rs)
{
	const struct room *top[WEB_METRIC_ROOMS];
	char line[128];
	size_t n, i, shown = 0;
	int rc = 0, k;

	rc |= web_metric(b, "rooms", false, "Rooms on this server now.",
	    (unsigned long long)rs->count);
	n = rooms_top(rs, top, WEB_METRIC_ROOMS);
	rc |= buf_append(b, web_room_help, sizeof web_room_help - 1);
	for (i = 0; i < n; i++) {
		k = snprintf(line, sizeof line,
		    "lobby_room_members{room=\"%s\"} %zu\n", top[i]->name,
		    top[i]->count);
		if (k < 0 || (size_t)k >= sizeof line)
			return -1;
		rc |= buf_append(b, line, (size_t)k);
		shown += top[i]->count;
	}
	rc |= web_metric(b, "room_members_other", false, "Members in the "
	    "rooms not listed in lobby_room_members.",
	    (unsigned long long)(rooms_members(rs) - shown));
	return rc;
}

/* Answer /metrics with the server's counters. */
static void
web_metrics(struct web_conn *w)
{
	struct server *s = w->srv;
	struct stats_field f[STATS_NFIELDS];
	struct buf b = BUF_INIT;
	size_t i;
	int rc = 0;

	stats_snapshot(&s->stats, ltime_mono_ms(), f);
	for (i = 0; i < STATS_NFIELDS; i++)
		rc |= web_metric(&b, f[i].key, f[i].kind == STATS_COUNTER,
		    f[i].help, (unsigned long long)f[i].value);
	rc |= web_metric(&b, "web_requests", true,
	    "HTTP requests answered on the --web listeners.",
	    (unsigned long long)s->web_requests);
	rc |= web_metrics_rooms(&b, &s->rooms);
	if (rc != 0)
		web_error(w, 500, NULL);
	else
		web_respond(w, 200, "text/plain; version=0.0.4; charset=utf-8",
		    NULL, buf_peek(&b), buf_used(&b));
	buf_free(&b);
}

/*
 * /config: what the page must know of this server's limits before it
 * sends, as a small JSON object (the page checks a line's bytes against
 * max_line instead of being closed with 1009 for it).
 */
static void
web_config(struct web_conn *w)
{
	char body[64];
	int n;

	n = snprintf(body, sizeof body, "{\"max_line\":%zu}\n",
	    w->srv->cfg->max_line);
	web_respond(w, 200, "application/json", NULL, body, (size_t)n);
}

/* ---------------------------------------------------------------------
 * Requests
 * ------------------------------------------------------------------- */

/*
 * The handshake is answered, but w's address has --max-per-ip members
 * already: the refusal line as one text frame, a close 1008, and a
 * graceful close.
 */
static void
web_per_ip(struct web_conn *w)
{
	struct server *s = w->srv;
	unsigned char h[WS_HEADER_MAX], why[2] = { WS_CLOSE_POLICY >> 8,
	    WS_CLOSE_POLICY & 0xff };
	size_t hl = ws_header(h, WS_OP_TEXT, true, strlen(PROTO_PER_IP), NULL);

	s->stats.refused_per_ip++;
	log_warn("refused web %s: %u connections from that address already",
	    w->addr, s->cfg->max_per_ip);
	web_unslot(w);
	free(w->req);
	w->req = NULL;
	loop_del(&s->loop, w->fd, LOOP_READ);
	w->state = WEB_WRITING;
	w->deadline = ltime_mono_ms() + WEB_WRITE_MS;
	if (buf_append(&w->out, h, hl) == -1 ||
	    buf_append(&w->out, PROTO_PER_IP, strlen(PROTO_PER_IP)) == -1 ||
	    buf_append(&w->out, "\x88\x02", 2) == -1 ||
	    buf_append(&w->out, why, 2) == -1) {
		web_close(w);
		return;
	}
	web_send(w);
}

/*
 * A WebSocket handshake that passed: answer 101 and hand the socket to
 * conn.c as a new member. The bytes after the head, p[0..n), are its
 * first frames.
 */
static void
web_upgrade(struct web_conn *w, char *p, size_t n)
{
	struct server *s = w->srv;
	void *m;
	struct client *c;
	char accept[WS_ACCEPT_LEN + 1], resp[256], addr[NET_ADDRSTRLEN];
	union net_addr peer;
	void *tls;
	int len, fd = w->fd;

	ws_accept_key(w->req->key, strlen(w->req->key), accept);
	len = snprintf(resp, sizeof resp,
	    "HTTP/1.1 101 Switching Protocols\r\n"
	    "Upgrade: websocket\r\n"
	    "Connection: Upgrade\r\n"
	    "Sec-WebSocket-Accept: %s\r\n\r\n", accept);
	if ((m = transport_ws_new(s->cfg->max_line)) == NULL) {
		web_error(w, 503, NULL);
		return;
	}
	/* A fresh socket's send buffer takes this much whole: else drop it. */
	if ((w->tls != NULL ? tls_stream_write(w->tls, resp, (size_t)len) :
	    send(fd, resp, (size_t)len, MSG_NOSIGNAL | MSG_DONTWAIT)) != len) {
		log_debug("web %u: could not send the handshake", w->id);
		transport_ws.free(m);
		web_close(w);
		return;
	}
	s->web_requests++;
	/*
	 * --max-per-ip counts WebSocket members with the others. The one
	 * too many is told so as a TCP member would be, in a frame, then
	 * closed (1008): a page shows the line instead of a bare failure.
	 */
	if (s->cfg->max_per_ip > 0 &&
	    peers_count(&s->peers, &w->peer) >= s->cfg->max_per_ip) {
		web_per_ip(w);
		transport_ws.free(m);
		return;
	}
	/* The socket (and its TLS) is the member's from now on. */
	snprintf(addr, sizeof addr, "%s", w->addr);
	peer = w->peer;
	loop_del(&s->loop, fd, LOOP_READ | LOOP_WRITE);
	transport_ws_set_tls(m, w->tls);
	tls = w->tls;
	w->tls = NULL;
	web_forget(w);
	if ((c = conn_open(s, fd, &peer, addr, &transport_ws, m)) == NULL) {
		log_warn("refused web member %s: %s", addr, strerror(errno));
		transport_ws.free(m);
		close(fd);
		listener_resume(s);
		return;
	}
	if (tls != NULL)
		tls_stream_attach(tls, c);
	if (n > 0)
		conn_input(c, p, n);
}

/* Route a complete request head; p[0..n) is what followed it. */
static void
web_route(struct web_conn *w, char *p, size_t n)
{
	struct server *s = w->srv;
	struct http_request *r = w->req;
	const char *path, *why;
	union net_addr self;
	socklen_t slen = sizeof self;
	char csp[1024];
	unsigned st;
	size_t len;

	web_unslot(w);
	path = http_path(r, &len);
	if (r->method == HTTP_OTHER) {
		web_error(w, 405, "Allow: GET, HEAD\r\n");
	} else if (len == 1 && path[0] == '/') {
		snprintf(csp, sizeof csp, "Content-Security-Policy: %s\r\n",
		    page_csp);
		web_respond(w, 200, "text/html; charset=utf-8", csp, page_html,
		    page_html_len);
	} else if (len == 7 && memcmp(path, "/config", 7) == 0) {
		web_config(w);
	} else if (len == 8 && memcmp(path, "/metrics", 8) == 0) {
		web_metrics(w);
	} else if (len == 3 && memcmp(path, "/ws", 3) == 0) {
		/* Same origin is the address the page was fetched from. */
		memset(&self, 0, sizeof self);
		if (getsockname(w->fd, &self.sa, &slen) == -1)
			self.sa.sa_family = AF_UNSPEC;
		st = ws_handshake_check(r, s->cfg->web_origins,
		    s->cfg->nweb_origins, &self, w->tls != NULL, &why);
		if (st == 0 && conn_full(s)) {
			/* HTTP connections hold no seats: the member cap is
			 * checked as one is about to become a member. */
			s->stats.refused_full++;
			log_warn("refused web %s: max number of clients reached",
			    w->addr);
			web_error(w, 503, "Retry-After: 5\r\n");
			return;
		}
		if (st == 0) {
			web_upgrade(w, p, n);
			return;
		}
		log_info("web %u %s: WebSocket refused: %s", w->id, w->addr,
		    why);
		web_error(w, st, st == 400 ? "Sec-WebSocket-Version: 13\r\n" :
		    NULL);
	} else {
		web_error(w, 404, NULL);
	}
}

/*
 * A web socket is readable: the request head while reading it (bounded
 * in size by the parser and in time by the tick), or input to drop while
 * lingering.
 */
static void
web_read(struct loop *l, int fd, int mask, void *arg)
{
	struct web_conn *w = arg;
	struct server *s = w->srv;
	enum http_result res;
	size_t used;
	ssize_t n;

	(void)l;
	(void)mask;
	/* Lingering, what comes is dropped unread: no TLS needed for it. */
	n = w->tls != NULL && w->state != WEB_LINGERING ?
	    tls_stream_read(w->tls, s->rbuf, sizeof s->rbuf) :
	    read(fd, s->rbuf, sizeof s->rbuf);
	if (n == -1 && (errno == EAGAIN || errno == EWOULDBLOCK ||
	    errno == EINTR))
		return;
	if (w->state == WEB_LINGERING || n <= 0) {
		/* EOF or an error ends a linger, and any other state. */
		if (n <= 0 || w->state != WEB_LINGERING)
			web_close(w);
		return;
	}
	res = http_feed(w->req, s->rbuf, (size_t)n, &used);
	if (res == HTTP_ERROR) {
		log_info("web %u %s: bad request: %s", w->id, w->addr,
		    w->req->why);
		web_error(w, w->req->status, NULL);
	} else if (res == HTTP_DONE) {
		web_route(w, s->rbuf + used, (size_t)n - used);
	}
}

int
web_accept(struct server *s, int fd, const union net_addr *peer,
    const char *addr)
{
	return web_accept_tls(s, fd, peer, addr, NULL);
}

int
web_accept_tls(struct server *s, int fd, const union net_addr *peer,
    const char *addr, void *tls)
{
	struct web_conn *w;

	if ((w = web_new(s, fd, addr, conn_new_id(s), WEB_READING)) == NULL)
		return -1;
	w->peer = *peer;
	if (s->cfg->max_per_ip > 0 &&
	    (w->slot = peers_get(&s->peers, peer)) == NULL &&
	    errno == ENOMEM) {
		web_forget(w);
		return -1;
	}
	if ((w->req = malloc(sizeof *w->req)) == NULL ||
	    loop_add(&s->loop, fd, LOOP_READ, web_read, w) == -1) {
		web_forget(w);
		return -1;
	}
	w->tls = tls;	/* only now: on failure the caller still has it */
	http_init(w->req);
	w->deadline = ltime_mono_ms() + WEB_HEAD_MS;
	log_debug("web %u from %s", w->id, addr);
	return 0;
}

void
web_refuse(int fd, const char *peer, const char *why)
{
	static const char busy[] =
	    "HTTP/1.1 503 Service Unavailable\r\n"
	    "Content-Type: text/plain; charset=utf-8\r\n"
	    "Content-Length: 24\r\n"
	    "Retry-After: 5\r\n"
	    "Connection: close\r\n\r\n"
	    "503 Service Unavailable\n";

	(void)send(fd, busy, sizeof busy - 1, MSG_NOSIGNAL | MSG_DONTWAIT);
	close(fd);
	log_warn("refused web %s: %s", peer, why);
}

int64_t
web_tick(struct loop *l, void *arg)
{
	struct server *s = arg;
	struct web_conn *w, *next;
	int64_t now = ltime_mono_ms(), due = WEB_TICK_MS;

	(void)l;
	for (w = s->webs; w != NULL; w = next) {
		next = w->next;
		if (w->deadline > now) {
			if (w->deadline - now < due)
				due = w->deadline - now;
			continue;
		}
		if (w->state == WEB_READING) {
			log_info("web %u %s: no request head within %d ms",
			    w->id, w->addr, WEB_HEAD_MS);
			web_error(w, 408, NULL);
		} else {
			web_close(w);
		}
	}
	return due > 10 ? due : 10;
}

void
web_stop(struct server *s)
{
	struct web_conn *w, *next;

	/* Requests not yet answered will not be: members get the notice. */
	for (w = s->webs; w != NULL; w = next) {
		next = w->next;
		if (w->state == WEB_READING)
			web_close(w);
	}
}

void
web_free_all(struct server *s)
{
	while (s->webs != NULL) {
		close(s->webs->fd);
		web_forget(s->webs);
	}
}
