/* web: the --web side: HTTP requests, the page, /metrics and WebSocket
 * members. */
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
#include "page.h"
#include "ws.h"

/*
 * An HTTP connection lives here until it is answered and closed, or
 * becomes a member: a WebSocket handshake that passes hands the socket to
 * conn.c as a client with c->web set, and from then on it is a member like
 * any other, but for the framing of what it reads and writes. Every answer
 * says "Connection: close": the page needs one GET for itself and one for
 * /ws, so keep-alive would buy nothing but state.
 *
 * Connections close gracefully here, WebSocket members' too: after the
 * last byte (a response, or a close frame) the write side is shut and
 * whatever the peer still sends is read and dropped, until it closes or
 * WEB_LINGER_MS pass. Closing at once with unread input would make the
 * kernel answer with a reset, which can destroy the answer in flight.
 */

#define WEB_HEAD_MS	5000	/* to send a request head: then 408 */
#define WEB_WRITE_MS	10000	/* for a response to be taken */
#define WEB_LINGER_MS	2000	/* input dropped after our last byte */
#define WEB_TICK_MS	1000	/* timer period when nothing is due sooner */
#define WEB_FRAMED_MAX	65536	/* frames held per member: the rest waits as
				   lines, counted against --sendq */

/* What web_member_event() returns when a line could not be kept. */
#define WEB_NOMEM	2

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
	char		 addr[NET_ADDRSTRLEN]; /* peer, for the log */
};

/*
 * What a WebSocket member has beyond a TCP one: the frame parser, the
 * frames made of its queued lines, and the close frame it is to get.
 */
struct web_member {
	struct ws	 ws;		/* its input, frame by frame */
	struct buf	 framed;	/* output frames not yet written */
	struct buf	 lines;		/* lines from the room log, to frame */
	unsigned	 close_code;	/* to send at close; 0: from the leave */
	char		 close_why[WS_CONTROL_MAX - 2 + 1]; /* its reason */
	bool		 close_queued;	/* a close frame is in framed */
	bool		 pong;		/* a pong is owed (to the last ping) */
	unsigned char	 pong_data[WS_CONTROL_MAX]; /* the ping's payload */
	size_t		 pong_len;	/* bytes at pong_data */
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
	(void)shutdown(w->fd, SHUT_WR);
	w->state = WEB_LINGERING;
	w->deadline = loop_now_ms() + WEB_LINGER_MS;
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

	while (buf_used(&w->out) > 0) {
		n = send(w->fd, buf_peek(&w->out), buf_used(&w->out),
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
	w->deadline = loop_now_ms() + WEB_WRITE_MS;
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

/* Answer /metrics with the server's counters. */
static void
web_metrics(struct web_conn *w)
{
	struct server *s = w->srv;
	struct stats_field f[STATS_NFIELDS];
	struct buf b = BUF_INIT;
	size_t i;
	int rc = 0;

	stats_snapshot(&s->stats, loop_now_ms(), f);
	for (i = 0; i < STATS_NFIELDS; i++)
		rc |= web_metric(&b, f[i].key, f[i].kind == STATS_COUNTER,
		    f[i].help, (unsigned long long)f[i].value);
	rc |= web_metric(&b, "web_requests", true,
	    "HTTP requests answered on the --web listeners.",
	    (unsigned long long)s->web_requests);
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
	w->deadline = loop_now_ms() + WEB_WRITE_MS;
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
web_upgrade(struct web_conn *w, const char *p, size_t n)
{
	struct server *s = w->srv;
	struct web_member *m;
	struct client *c;
	char accept[WS_ACCEPT_LEN + 1], resp[256], addr[NET_ADDRSTRLEN];
	union net_addr peer;
	int len, fd = w->fd;

	ws_accept_key(w->req->key, strlen(w->req->key), accept);
	len = snprintf(resp, sizeof resp,
	    "HTTP/1.1 101 Switching Protocols\r\n"
	    "Upgrade: websocket\r\n"
	    "Connection: Upgrade\r\n"
	    "Sec-WebSocket-Accept: %s\r\n\r\n", accept);
	if ((m = calloc(1, sizeof *m)) == NULL) {
		web_error(w, 503, NULL);
		return;
	}
	/* A fresh socket's send buffer takes this much whole: else drop it. */
	if (send(fd, resp, (size_t)len, MSG_NOSIGNAL | MSG_DONTWAIT) != len) {
		log_debug("web %u: could not send the handshake", w->id);
		free(m);
		web_close(w);
		return;
	}
	ws_init(&m->ws, s->cfg->max_line, true);
	s->web_requests++;
	/*
	 * --max-per-ip counts WebSocket members with the others. The one
	 * too many is told so as a TCP member would be, in a frame, then
	 * closed (1008): a page shows the line instead of a bare failure.
	 */
	if (s->cfg->max_per_ip > 0 &&
	    peers_count(&s->peers, &w->peer) >= s->cfg->max_per_ip) {
		web_per_ip(w);
		web_member_free(m);
		return;
	}
	/* The socket is the member's from now on. */
	snprintf(addr, sizeof addr, "%s", w->addr);
	peer = w->peer;
	loop_del(&s->loop, fd, LOOP_READ | LOOP_WRITE);
	web_forget(w);
	if ((c = conn_open(s, fd, &peer, addr, m)) == NULL) {
		log_warn("refused web member %s: %s", addr, strerror(errno));
		web_member_free(m);
		close(fd);
		listener_resume(s);
		return;
	}
	if (n > 0)
		conn_web_input(c, p, n);
}

/* Route a complete request head; p[0..n) is what followed it. */
static void
web_route(struct web_conn *w, const char *p, size_t n)
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
		    s->cfg->nweb_origins, &self, &why);
		if (st == 0 && s->nclients >= s->max_clients) {
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
	n = read(fd, s->rbuf, sizeof s->rbuf);
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
	struct web_conn *w;

	if ((w = web_new(s, fd, addr, ++s->next_id, WEB_READING)) == NULL)
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
	http_init(w->req);
	w->deadline = loop_now_ms() + WEB_HEAD_MS;
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
	int64_t now = loop_now_ms(), due = WEB_TICK_MS;

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

/* ---------------------------------------------------------------------
 * WebSocket members
 * ------------------------------------------------------------------- */

/* Queue a control frame for m (after the frames queued so far). */
static int
web_control(struct web_member *m, unsigned op, const void *p, size_t n)
{
	unsigned char h[WS_HEADER_MAX];
	size_t hl = ws_header(h, op, true, n, NULL);

	if (buf_append(&m->framed, h, hl) == -1 ||
	    (n > 0 && buf_append(&m->framed, p, n) == -1))
		return -1;
	return 0;
}

/*
 * Frame the lines c has to receive in the room log, up to WEB_FRAMED_MAX
 * of frames held (or all, with all set), then the pong owed. Each line is
 * one text frame, so the lines are gathered whole first: the log hands
 * them out in pieces that may split one (a history line's time prefix).
 * Returns 0, or -1 out of memory.
 */
static int
web_frame(struct client *c, bool all)
{
	struct web_member *m = c->web;
	struct rlog *l = &c->srv->room.rlog;
	struct rlog_iter it;
	const char *p;
	size_t n;
	long done;

	while (all || buf_used(&m->framed) < WEB_FRAMED_MAX) {
		buf_clear(&m->lines);
		rlog_iter_start(&it, l, &c->rd);
		while ((buf_used(&m->lines) < WEB_FRAMED_MAX ||
		    buf_peek(&m->lines)[buf_used(&m->lines) - 1] != '\n') &&
		    rlog_iter_next(&it, &p, &n))
			if (buf_append(&m->lines, p, n) == -1)
				return -1;
		if (buf_used(&m->lines) == 0)
			break;
		done = ws_frame_lines(&m->framed, buf_peek(&m->lines),
		    buf_used(&m->lines), all ? SIZE_MAX : WEB_FRAMED_MAX);
		if (done <= 0)
			return done == 0 ? 0 : -1;
		stats_sent(&c->srv->stats, buf_peek(&m->lines), (size_t)done);
		rlog_advance(l, &c->rd, (size_t)done);
	}
	if (m->pong) {
		if (web_control(m, WS_OP_PONG, m->pong_data, m->pong_len) == -1)
			return -1;
		m->pong = false;
	}
	return 0;
}

/* Queue the close frame, once: the code set, or one for the leave. */
static int
web_queue_close(struct client *c)
{
	struct web_member *m = c->web;
	unsigned char p[WS_CONTROL_MAX];
	unsigned code = m->close_code;
	const char *why = m->close_why;
	size_t n;

	if (m->close_queued)
		return 0;
	if (code == 0) {
		code = WS_CLOSE_NORMAL;
		why = c->reason != NULL ? c->reason : "";
		if (c->flags & CLIENT_SLOW)
			code = WS_CLOSE_POLICY;
	}
	n = strlen(why);
	if (n > sizeof m->close_why - 1)
		n = sizeof m->close_why - 1;
	p[0] = (unsigned char)(code >> 8);
	p[1] = (unsigned char)code;
	memcpy(p + 2, why, n);
	m->close_queued = true;
	return web_control(m, WS_OP_CLOSE, p, n + 2);
}

/* Set the close c is to get, and make it leave as the SPEC says. */
static void
web_member_fail(struct client *c, unsigned code, const char *why,
    const char *reason)
{
	struct server *s = c->srv;
	struct web_member *m = c->web;

	m->close_code = code;
	snprintf(m->close_why, sizeof m->close_why, "%s", why);
	room_leave(&s->room, c, reason, why);
}

/* One event from c's frame parser. */
static int
web_member_event(void *arg, enum ws_event ev, const char *p, size_t n)
{
	struct client *c = arg;
	struct web_member *m = c->web;
	const char *q;

	switch (ev) {
	case WS_EV_TEXT:
		/*
		 * One frame is one line: the same path as a TCP line, --flood
		 * included. A LF inside is a control character the cleaning
		 * removes, as it does a CR, but a held line must not hold one:
		 * it becomes a CR. The bytes are the parser's own, ours to
		 * change during the call.
		 */
		for (q = memchr(p, '\n', n); q != NULL;
		    q = memchr(q, '\n', n - (size_t)(q - p)))
			*(char *)(uintptr_t)q = '\r';
		return conn_line_text(c, p, n) == -1 ? WEB_NOMEM : 0;
	case WS_EV_PING:
		memcpy(m->pong_data, p, n);
		m->pong_len = n;
		m->pong = true;
		conn_on_output(c->srv, c);
		return 0;
	case WS_EV_PONG:
		return 0;
	case WS_EV_CLOSE:
		/* Echo the code, as RFC 6455 asks; the member leaves. */
		m->close_code = m->ws.close_code == WS_CLOSE_NO_STATUS ?
		    WS_CLOSE_NORMAL : m->ws.close_code;
		m->close_why[0] = '\0';
		room_leave(&c->srv->room, c, NULL, "closed");
		return 1;
	}
	return 0;
}

void
web_member_input(struct client *c, const char *p, size_t n)
{
	struct server *s = c->srv;
	struct web_member *m = c->web;
	char why[WS_CONTROL_MAX - 2];
	int rc;

	if ((rc = ws_feed(&m->ws, p, n, web_member_event, c)) != -1) {
		if (rc == WEB_NOMEM && !(c->flags & CLIENT_CLOSING))
			room_leave(&s->room, c, PROTO_REASON_ERROR,
			    "out of memory");
		return;
	}
	if (c->flags & CLIENT_CLOSING)
		return;
	log_info("client %u %s: WebSocket: %s", c->id, c->nick, m->ws.why);
	if (m->ws.error == WS_CLOSE_TOO_BIG)
		snprintf(why, sizeof why, "line too long (max %zu bytes)",
		    s->cfg->max_line);
	else
		snprintf(why, sizeof why, "%s", m->ws.why);
	web_member_fail(c, m->ws.error, why, PROTO_REASON_ERROR);
}

int
web_member_flush(struct client *c)
{
	struct server *s = c->srv;
	struct web_member *m = c->web;
	ssize_t n;

	if (web_frame(c, false) == -1)
		return -1;
	/* Shutting down: the notice, then a close saying so. */
	if (s->stopping && !rlog_has_output(&s->room.rlog, &c->rd) &&
	    !m->close_queued) {
		m->close_code = WS_CLOSE_GOING_AWAY;
		snprintf(m->close_why, sizeof m->close_why, "%s",
		    "server shutting down");
		if (web_queue_close(c) == -1)
			return -1;
	}
	if (buf_used(&m->framed) == 0)
		return 0;
	n = send(c->fd, buf_peek(&m->framed), buf_used(&m->framed),
	    MSG_NOSIGNAL | MSG_DONTWAIT);
	if (n == -1)
		return errno == EINTR ? 0 : -1;
	buf_drain(&m->framed, (size_t)n);
	return 0;
}

bool
web_member_unsent(const struct client *c)
{
	return rlog_has_output(&c->srv->room.rlog, &c->rd) ||
	    buf_used(&c->web->framed) > 0 || c->web->pong;
}

void
web_member_close(struct client *c)
{
	struct server *s = c->srv;
	struct web_member *m = c->web;
	struct web_conn *w;

	/* A slow member's queue is dropped; the others' goes, then the close. */
	if (c->flags & CLIENT_SLOW)
		buf_clear(&m->framed);
	else if (web_frame(c, true) == -1)
		buf_clear(&m->framed);
	if (web_queue_close(c) == -1 ||
	    (w = web_new(s, c->fd, c->addr, c->id, WEB_WRITING)) == NULL) {
		close(c->fd);
		return;
	}
	/* The socket goes on as a closing HTTP connection. */
	w->out = m->framed;
	memset(&m->framed, 0, sizeof m->framed);
	w->deadline = loop_now_ms() + WEB_LINGER_MS;
	web_send(w);
}

void
web_member_trim(struct client *c)
{
	ws_shrink(&c->web->ws);
	buf_shrink(&c->web->framed);
	buf_free(&c->web->lines);
}

void
web_member_free(struct web_member *m)
{
	if (m == NULL)
		return;
	ws_free(&m->ws);
	buf_free(&m->framed);
	buf_free(&m->lines);
	free(m);
}
