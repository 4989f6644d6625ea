/* transport_ws: WebSocket members: each line of the log one text frame. */
#include "server-int.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "log.h"
#include "transport.h"
#include "ws.h"

/*
 * A WebSocket member is written from the room log like any other: the
 * payload of each text frame is the log's own bytes (its line without the
 * LF), and its header is a small iovec beside it. Nothing is copied per
 * member, at any time: a member far behind holds only its place in the
 * log, and a closing one too.
 *
 * A write may stop anywhere, in a header or in a payload. The member keeps
 * the header of the frame it is in (m->hdr, m->hsent); its place in the
 * payload is its place in the log. The LF that ends each line in the log
 * is passed over once the frame's last payload byte is written.
 *
 * Control frames go between text frames, never inside one: a pong owed
 * before the next line, the close frame after the last.
 */

#define WSM_RAW		1024	/* log chunks looked at per fill() */

/* What one iovec fill() offered is. */
enum wsm_seg_kind {
	WSM_HEAD,		/* a text frame's header */
	WSM_BODY,		/* payload: log bytes */
	WSM_END,		/* a payload's last bytes: then the LF */
	WSM_PONG,		/* the pong owed */
	WSM_CLOSE,		/* the close frame */
};

struct wsm_seg {
	size_t		 len;		/* bytes in the iovec */
	int		 kind;		/* enum wsm_seg_kind */
	int		 hdr;		/* WSM_HEAD: index in wsm_hdrs, or -1
					   for the member's own m->hdr */
};

/*
 * What the last fill() offered, for the advance() that follows: one
 * member at a time is written (one thread, no call in between), so
 * this scratch is shared, not per member.
 */
static struct iovec	wsm_raw[WSM_RAW];
static struct wsm_seg	wsm_segs[SERVER_IOV];
static unsigned char	wsm_hdrs[SERVER_IOV][WS_HEADER_MAX];
static int		wsm_nsegs;

/* A WebSocket member's state: O(1) in its backlog. */
struct ws_member {
	struct ws	 ws;		/* its input, frame by frame */
	bool		 in_frame;	/* its log place is inside a frame */
	unsigned char	 hdr[WS_HEADER_MAX]; /* that frame's header */
	size_t		 hlen;		/* bytes at hdr */
	size_t		 hsent;		/* of them written */
	bool		 pong;		/* a pong is owed (to the last ping) */
	unsigned char	 pong_frame[2 * (2 + WS_CONTROL_MAX)]; /* it,
					 * framed; after one begun, the
					 * answer to a later ping */
	size_t		 pong_len;	/* bytes at pong_frame */
	size_t		 pong_end;	/* where its first frame ends */
	size_t		 pong_sent;	/* of them written */
	unsigned	 close_code;	/* to send at close; 0: from the leave */
	char		 close_why[WS_CONTROL_MAX - 2 + 1]; /* its reason */
	bool		 close_queued;	/* close_frame is to be written */
	bool		 close_done;	/* and has been, all of it */
	unsigned char	 close_frame[2 + WS_CONTROL_MAX]; /* it, framed */
	size_t		 close_len;	/* bytes at close_frame */
	size_t		 close_sent;	/* of them written */
	void		*tls;		/* --web-tls: its TLS stream (tls.c),
					   or NULL */
};

void *
transport_ws_new(size_t max_line)
{
	struct ws_member *m;

	if ((m = calloc(1, sizeof *m)) == NULL)
		return NULL;
	ws_init(&m->ws, max_line, true);
	return m;
}

void
transport_ws_set_tls(void *state, void *tls)
{
	struct ws_member *m = state;

	m->tls = tls;
}

/* A control frame (payload at most WS_CONTROL_MAX) into out; its length. */
static size_t
wsm_control(unsigned char *out, unsigned op, const void *p, size_t n)
{
	size_t hl = ws_header(out, op, true, n, NULL);

	memcpy(out + hl, p, n);
	return hl + n;
}

/* Queue the close frame, once: the code set, or one for the leave. */
static void
wsm_queue_close(struct client *c)
{
	struct ws_member *m = c->tp_state;
	unsigned char p[WS_CONTROL_MAX];
	unsigned code = m->close_code;
	const char *why = m->close_why;
	size_t n;

	if (m->close_queued)
		return;
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
	m->close_len = wsm_control(m->close_frame, WS_OP_CLOSE, p, n + 2);
	m->close_queued = true;
}

/* ---------------------------------------------------------------------
 * Input
 * ------------------------------------------------------------------- */

/* What wsm_event() returns when a line could not be kept. */
#define WSM_NOMEM	2

/* One event from c's frame parser. */
static int
wsm_event(void *arg, enum ws_event ev, const char *p, size_t n)
{
	struct client *c = arg;
	struct ws_member *m = c->tp_state;
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
		return conn_line(c, LINE_TEXT, p, n) == -1 ? WSM_NOMEM : 0;
	case WS_EV_PING:
		/*
		 * Only the latest ping owed a pong is answered. A pong being
		 * written is not changed under the writer: this ping's goes
		 * after it (in place of one owed to an earlier ping, not
		 * begun), the one written before it dropped.
		 */
		if (m->pong_sent > 0 && m->pong_sent >= m->pong_end) {
			/* The first frame is out: the one begun goes first. */
			memmove(m->pong_frame, m->pong_frame + m->pong_end,
			    m->pong_len - m->pong_end);
			m->pong_sent -= m->pong_end;
			m->pong_len -= m->pong_end;
			m->pong_end = m->pong_len;
		}
		if (m->pong_sent == 0)
			m->pong_len = m->pong_end = wsm_control(m->pong_frame,
			    WS_OP_PONG, p, n);
		else
			m->pong_len = m->pong_end + wsm_control(m->pong_frame +
			    m->pong_end, WS_OP_PONG, p, n);
		m->pong = true;
		conn_on_output(c->srv, c);
		return 0;
	case WS_EV_PONG:
		return 0;
	case WS_EV_CLOSE:
		/* Echo the code, as RFC 6455 asks; the member leaves after
		 * the lines it sent before (--flood may hold some). */
		m->close_code = m->ws.close_code == WS_CLOSE_NO_STATUS ?
		    WS_CLOSE_NORMAL : m->ws.close_code;
		m->close_why[0] = '\0';
		(void)conn_end(c, NULL, "closed");
		return 1;
	}
	return 0;
}

static ssize_t
wsm_read(struct client *c, void *buf, size_t n)
{
	struct ws_member *m = c->tp_state;

	if (m->tls != NULL)
		return tls_stream_read(m->tls, buf, n);
	return read(c->fd, buf, n);
}

static int
wsm_input(struct client *c, char *p, size_t n)
{
	struct ws_member *m = c->tp_state;
	int rc;

	if ((rc = ws_feed(&m->ws, p, n, wsm_event, c)) != -1)
		return rc == WSM_NOMEM ? -1 : 0;
	if (c->flags & CLIENT_CLOSING)
		return 0;
	log_info("client %u %s: WebSocket: %s", c->id, c->nick, m->ws.why);
	/* The close it gets, with the code the SPEC gives. */
	m->close_code = m->ws.error;
	if (m->ws.error == WS_CLOSE_TOO_BIG)
		snprintf(m->close_why, sizeof m->close_why,
		    "line too long (max %zu bytes)", c->srv->cfg->max_line);
	else
		snprintf(m->close_why, sizeof m->close_why, "%s", m->ws.why);
	/*
	 * The frames before the broken one are lines it sent: like the
	 * lines before a line member's reset, they are all taken (--flood
	 * may hold some), then it leaves.
	 */
	(void)conn_end(c, PROTO_REASON_ERROR, m->ws.why);
	return 0;
}

static void
wsm_eof(struct client *c)
{
	(void)c;	/* an unfinished frame is no message */
}

/* ---------------------------------------------------------------------
 * Output
 * ------------------------------------------------------------------- */

/* Offer p[0..n) as iovec *cnt, of the given kind. */
static void
wsm_add(struct iovec *iov, int *cnt, const void *p, size_t n, int kind,
    int hdr)
{
	iov[*cnt].iov_base = (void *)(uintptr_t)p;
	iov[*cnt].iov_len = n;
	wsm_segs[*cnt].len = n;
	wsm_segs[*cnt].kind = kind;
	wsm_segs[*cnt].hdr = hdr;
	(*cnt)++;
}

/*
 * From chunk *r, byte *off of the log's chunks, find the end of the line:
 * its payload length (LF excluded) and the chunks it spans. Returns false
 * when the chunks end first.
 */
static bool
wsm_measure(int nraw, int r, size_t off, size_t *len, int *pieces)
{
	const char *p, *lf;
	size_t n;

	*len = 0;
	*pieces = 0;
	for (; r < nraw; r++, off = 0) {
		p = (const char *)wsm_raw[r].iov_base + off;
		n = wsm_raw[r].iov_len - off;
		(*pieces)++;
		if ((lf = memchr(p, '\n', n)) != NULL) {
			*len += (size_t)(lf - p);
			return true;
		}
		*len += n;
	}
	return false;
}

/*
 * Offer the payload from chunk *r, byte *off up to the end of its line
 * (the LF is not sent: it is passed over), moving *r and *off past the
 * LF. Returns whether the line's end was reached.
 */
static bool
wsm_payload(struct iovec *iov, int *cnt, int max, int nraw, int *r,
    size_t *off)
{
	const char *p, *lf;
	size_t n;

	while (*r < nraw && *cnt < max) {
		p = (const char *)wsm_raw[*r].iov_base + *off;
		n = wsm_raw[*r].iov_len - *off;
		if ((lf = memchr(p, '\n', n)) != NULL) {
			wsm_add(iov, cnt, p, (size_t)(lf - p), WSM_END, -1);
			*off += (size_t)(lf - p) + 1;
			if (*off == wsm_raw[*r].iov_len) {
				(*r)++;
				*off = 0;
			}
			return true;
		}
		wsm_add(iov, cnt, p, n, WSM_BODY, -1);
		(*r)++;
		*off = 0;
	}
	return false;
}

static int
wsm_fill(struct client *c, struct rlog *l, struct iovec *iov, int max)
{
	struct ws_member *m = c->tp_state;
	int nraw, r = 0, cnt = 0, pieces;
	size_t off = 0, len, hl;
	bool whole = true;	/* what was offered ends between frames */

	wsm_nsegs = 0;
	nraw = rlog_iov(l, &c->rd, wsm_raw, WSM_RAW);
	if (m->in_frame) {
		if (m->hsent < m->hlen)
			wsm_add(iov, &cnt, m->hdr + m->hsent,
			    m->hlen - m->hsent, WSM_HEAD, -1);
		whole = wsm_payload(iov, &cnt, max, nraw, &r, &off);
	}
	if (whole && m->pong && cnt < max)
		wsm_add(iov, &cnt, m->pong_frame + m->pong_sent,
		    m->pong_len - m->pong_sent, WSM_PONG, -1);
	/* Each whole line: its header, then its payload, in place. */
	while (whole && r < nraw &&
	    wsm_measure(nraw, r, off, &len, &pieces) && cnt + 1 + pieces <= max) {
		hl = ws_header(wsm_hdrs[cnt], WS_OP_TEXT, true, len, NULL);
		wsm_add(iov, &cnt, wsm_hdrs[cnt], hl, WSM_HEAD, cnt);
		whole = wsm_payload(iov, &cnt, max, nraw, &r, &off);
	}
	/* Shutting down and all offered: the close saying so. */
	if (whole && r == nraw && nraw < WSM_RAW && !m->close_queued &&
	    c->srv != NULL && c->srv->stopping) {
		m->close_code = WS_CLOSE_GOING_AWAY;
		snprintf(m->close_why, sizeof m->close_why, "%s",
		    "server shutting down");
		wsm_queue_close(c);
	}
	/* After the last line, the close. */
	if (whole && r == nraw && nraw < WSM_RAW && m->close_queued &&
	    !m->close_done && cnt < max)
		wsm_add(iov, &cnt, m->close_frame + m->close_sent,
		    m->close_len - m->close_sent, WSM_CLOSE, -1);
	wsm_nsegs = cnt;
	return cnt;
}

static ssize_t
wsm_writev(struct client *c, const struct iovec *iov, int cnt)
{
	struct ws_member *m = c->tp_state;

	if (m->tls != NULL)
		return tls_stream_writev(m->tls, iov, cnt);
	return writev(c->fd, iov, cnt);
}

static size_t
wsm_advance(struct client *c, struct rlog *l, size_t n)
{
	struct ws_member *m = c->tp_state;
	const struct wsm_seg *sg;
	size_t used = 0, t, lines;
	int i;

	for (i = 0; i < wsm_nsegs; i++) {
		sg = &wsm_segs[i];
		t = n < sg->len ? n : sg->len;
		n -= t;
		switch (sg->kind) {
		case WSM_HEAD:
			if (sg->hdr == -1) {
				m->hsent += t;
			} else if (t > 0) {
				memcpy(m->hdr, wsm_hdrs[sg->hdr], sg->len);
				m->hlen = sg->len;
				m->hsent = t;
				m->in_frame = true;
			}
			break;
		case WSM_BODY:
			used += t;
			break;
		case WSM_END:
			used += t;
			if (t == sg->len) {
				used++;		/* the LF, not sent */
				m->in_frame = false;
			}
			break;
		case WSM_PONG:
			if ((m->pong_sent += t) == m->pong_len) {
				m->pong = false;
				m->pong_sent = m->pong_len = m->pong_end = 0;
			}
			break;
		case WSM_CLOSE:
			if ((m->close_sent += t) == m->close_len)
				m->close_done = true;
			break;
		}
		if (t < sg->len)
			break;
	}
	wsm_nsegs = 0;
	lines = rlog_advance(l, &c->rd, used);
	/* A frame begun, if only its header: a cut must keep its line. */
	if (m->in_frame)
		rlog_begun(l, &c->rd);
	return lines;
}

static bool
wsm_unsent(const struct client *c, const struct rlog *l)
{
	const struct ws_member *m = c->tp_state;

	return rlog_has_output(l, &c->rd) || m->pong ||
	    (m->close_queued && !m->close_done) || tls_stream_owes(m->tls);
}

static void
wsm_finish(struct client *c, const struct rlog *l)
{
	struct ws_member *m = c->tp_state;

	/*
	 * A slow member cut off the log keeps the end of the frame it is in
	 * (rlog_cut()), and the close follows it. Only out of memory can
	 * that end be gone: then nothing may follow half a frame.
	 */
	if (m->in_frame && !rlog_has_output(l, &c->rd))
		return;
	wsm_queue_close(c);
}

/*
 * After the last write: what the socket did not take is the end of the
 * frame it stopped in (at most a line) and the close frame, or nothing.
 * Those few bytes go with the socket (and its TLS stream) to conn.c,
 * which sends them and closes gracefully. Lines after them are dropped,
 * as a line member's are when its socket does not take them at close.
 */
static void *
wsm_close(struct client *c, struct buf *rest)
{
	struct ws_member *m = c->tp_state;
	struct rlog *l = &c->room->rlog;
	struct rlog_iter it;
	const char *p, *lf;
	size_t n;
	bool ok = true;
	void *tls = m->tls;

	if (m->close_queued && !m->close_done) {
		if (m->in_frame) {
			ok = buf_append(rest, m->hdr + m->hsent,
			    m->hlen - m->hsent) == 0;
			rlog_iter_start(&it, l, &c->rd);
			lf = NULL;
			while (ok && lf == NULL && rlog_iter_next(&it, &p, &n)) {
				if ((lf = memchr(p, '\n', n)) != NULL)
					n = (size_t)(lf - p);
				ok = buf_append(rest, p, n) == 0;
			}
			ok = ok && lf != NULL;
		}
		ok = ok && buf_append(rest, m->close_frame + m->close_sent,
		    m->close_len - m->close_sent) == 0;
		/* Never half a frame: nothing, rather. */
		if (!ok)
			buf_clear(rest);
	}
	if (tls != NULL)
		tls_stream_detach(tls);
	m->tls = NULL;
	return tls;
}

static void
wsm_trim(struct client *c)
{
	struct ws_member *m = c->tp_state;

	ws_shrink(&m->ws);
}

static void
wsm_free(void *state)
{
	struct ws_member *m = state;

	if (m == NULL)
		return;
	tls_stream_free(m->tls);
	ws_free(&m->ws);
	free(m);
}

const struct transport transport_ws = {
	.name = "websocket",
	.read = wsm_read,
	.input = wsm_input,
	.eof = wsm_eof,
	.fill = wsm_fill,
	.writev = wsm_writev,
	.advance = wsm_advance,
	.unsent = wsm_unsent,
	.finish = wsm_finish,
	.close = wsm_close,
	.trim = wsm_trim,
	.free = wsm_free,
};
