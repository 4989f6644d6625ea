/* test_transport: each member transport against a socketpair: what the
 * room log holds arrives framed, whole, however the writes are cut. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <errno.h>
#include <fcntl.h>
#include <malloc.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cmocka.h>

#include "server-int.h"
#include "transport.h"
#include "transport_fix.h"
#include "unit.h"
#include "ws.h"

#define OUT_MAX		(8 << 20)	/* most bytes one test reads back */
#define IOV_MAX_T	SERVER_IOV

/* A member on one end of a socketpair, the test on the other. */
struct fix {
	struct rlog	 log;
	struct client	*from;		/* who says the lines */
	struct client	*c;		/* the member under test */
	int		 peer;		/* the test's end */
	char		*out;		/* what the peer read */
	size_t		 outlen;
};

static struct fix *
fix_new(const struct transport *tp)
{
	struct fix *f = calloc(1, sizeof *f);
	int sp[2];

	assert_non_null(f);
	tfix_socketpair(sp);
	tfix_members(&f->log, &f->from, &f->c, sp[0], tp,
	    tp == &transport_ws ? transport_ws_new(1000) : NULL);
	if (tp == &transport_ws)
		assert_non_null(f->c->tp_state);
	f->peer = sp[1];
	assert_non_null(f->out = malloc(OUT_MAX));
	return f;
}

static void
fix_free(struct fix *f)
{
	tfix_members_free(&f->log, f->from, f->c);
	close(f->peer);
	free(f->out);
	free(f);
}

/* Read what the peer has now, onto f->out. */
static void
fix_read(struct fix *f)
{
	ssize_t n;

	while ((n = read(f->peer, f->out + f->outlen,
	    OUT_MAX - f->outlen)) > 0)
		f->outlen += (size_t)n;
	assert_true(n == -1 && (errno == EAGAIN || errno == EWOULDBLOCK));
}

/*
 * One flush as conn.c does it, the write cut to at most chunk bytes (a
 * socket that takes little). Returns the bytes written.
 */
static size_t
fix_flush(struct fix *f, size_t chunk)
{
	struct iovec iov[IOV_MAX_T];
	const struct transport *tp = f->c->tp;
	size_t want = chunk, lines;
	ssize_t n;
	int cnt, i;

	if ((cnt = tp->fill(f->c, &f->log, iov, IOV_MAX_T)) == 0) {
		(void)tp->advance(f->c, &f->log, 0);
		return 0;
	}
	for (i = 0; i < cnt; i++) {
		if (iov[i].iov_len >= want) {
			iov[i].iov_len = want;
			cnt = i + 1;
			break;
		}
		want -= iov[i].iov_len;
	}
	n = tp->writev(f->c, iov, cnt);
	assert_true(n > 0);
	lines = tp->advance(f->c, &f->log, (size_t)n);
	(void)lines;
	fix_read(f);
	return (size_t)n;
}

/* Flush everything the member has, chunk bytes at most per write. */
static void
fix_drain(struct fix *f, size_t chunk)
{
	int rounds = 0;

	while (f->c->tp->unsent(f->c, &f->log)) {
		(void)fix_flush(f, chunk);
		assert_true(++rounds < 10000000);
	}
	(void)fix_flush(f, chunk);	/* nothing: makes it idle */
	assert_false(f->c->tp->unsent(f->c, &f->log));
}

static void
say(struct fix *f, const char *text)
{
	assert_int_equal(rlog_append(&f->log, &f->from->rd, RLOG_CHAT, text,
	    strlen(text)), 0);
}

/* One server frame (unmasked) from p[0..n): its size, or 0 if cut. */
static size_t
frame_at(const char *p, size_t n, unsigned *op, const char **data,
    size_t *len)
{
	const unsigned char *u = (const unsigned char *)p;
	size_t hl = 2, i;

	if (n < 2)
		return 0;
	assert_int_equal(u[0] & 0x80, 0x80);	/* FIN */
	assert_int_equal(u[1] & 0x80, 0);	/* unmasked */
	*op = u[0] & 0x0f;
	*len = u[1] & 0x7f;
	if (*len == 126) {
		hl = 4;
		if (n < hl)
			return 0;
		*len = (size_t)u[2] << 8 | u[3];
		assert_true(*len >= 126);
	} else if (*len == 127) {
		hl = 10;
		if (n < hl)
			return 0;
		*len = 0;
		for (i = 2; i < 10; i++)
			*len = *len << 8 | u[i];
		assert_true(*len > 0xffff);
	}
	if (n < hl + *len)
		return 0;
	*data = p + hl;
	return hl + *len;
}

/*
 * The frames read must be exactly the lines in want (LF-separated), as
 * text frames, then a close frame with code (0: none).
 */
static void
expect_frames(struct fix *f, const char *want, unsigned code)
{
	size_t off = 0, k, len, wl;
	const char *data, *lf;
	unsigned op;

	while (*want != '\0') {
		lf = strchr(want, '\n');
		assert_non_null(lf);
		wl = (size_t)(lf - want);
		k = frame_at(f->out + off, f->outlen - off, &op, &data, &len);
		assert_true(k > 0);
		assert_int_equal(op, WS_OP_TEXT);
		assert_int_equal(len, wl);
		assert_memory_equal(data, want, wl);
		off += k;
		want = lf + 1;
	}
	if (code != 0) {
		k = frame_at(f->out + off, f->outlen - off, &op, &data, &len);
		assert_true(k > 0);
		assert_int_equal(op, WS_OP_CLOSE);
		assert_true(len >= 2);
		assert_int_equal((unsigned char)data[0] << 8 |
		    (unsigned char)data[1], code);
		off += k;
	}
	assert_int_equal(off, f->outlen);
}

/* ---------------------------------------------------------------------
 * The line transport
 * ------------------------------------------------------------------- */

/* Lines arrive byte for byte, the member's own left out, however cut. */
static void
test_line_bytes(void **state)
{
	static const size_t chunks[] = { 1, 3, 7, 64, SIZE_MAX };
	size_t i;

	(void)state;
	for (i = 0; i < sizeof chunks / sizeof chunks[0]; i++) {
		struct fix *f = fix_new(&transport_line);

		say(f, "alice: one\n");
		assert_int_equal(rlog_append(&f->log, &f->c->rd, RLOG_CHAT,
		    "me: mine\n", 9), 0);
		say(f, "alice: two\nalice: three\n");
		fix_drain(f, chunks[i]);
		assert_int_equal(f->outlen, 35);
		assert_memory_equal(f->out,
		    "alice: one\nalice: two\nalice: three\n", 35);
		fix_free(f);
	}
}

/* The line transport's iovecs are the log's own bytes. */
static void
test_line_no_copy(void **state)
{
	struct fix *f = fix_new(&transport_line);
	struct iovec a[4], b[4];
	int n;

	(void)state;
	say(f, "alice: hello\n");
	n = transport_line.fill(f->c, &f->log, a, 4);
	assert_int_equal(n, rlog_iov(&f->log, &f->c->rd, b, 4));
	assert_ptr_equal(a[0].iov_base, b[0].iov_base);
	(void)transport_line.advance(f->c, &f->log, 0);
	fix_drain(f, SIZE_MAX);
	fix_free(f);
}

/* ---------------------------------------------------------------------
 * The WebSocket transport
 * ------------------------------------------------------------------- */

/*
 * Each line is a header iovec, then its payload in place in the log (no
 * LF): the payload's address is the log's own.
 */
static void
test_ws_header_beside_payload(void **state)
{
	struct fix *f = fix_new(&transport_ws);
	struct iovec iov[8], raw[8];
	int n;

	(void)state;
	say(f, "alice: hi\nalice: there\n");
	assert_int_equal(rlog_iov(&f->log, &f->c->rd, raw, 8), 1);
	n = transport_ws.fill(f->c, &f->log, iov, 8);
	assert_int_equal(n, 4);
	assert_int_equal(iov[0].iov_len, 2);
	assert_int_equal(((unsigned char *)iov[0].iov_base)[0], 0x81);
	assert_int_equal(((unsigned char *)iov[0].iov_base)[1], 9);
	assert_ptr_equal(iov[1].iov_base, raw[0].iov_base);
	assert_int_equal(iov[1].iov_len, 9);
	assert_int_equal(iov[2].iov_len, 2);
	assert_ptr_equal(iov[3].iov_base, (char *)raw[0].iov_base + 10);
	assert_int_equal(iov[3].iov_len, 12);
	(void)transport_ws.advance(f->c, &f->log, 0);
	fix_drain(f, SIZE_MAX);
	expect_frames(f, "alice: hi\nalice: there\n", 0);
	fix_free(f);
}

/* Writes cut anywhere, in headers or payloads: the frames come whole. */
static void
test_ws_partial_writes(void **state)
{
	static const size_t chunks[] = { 1, 2, 3, 5, 7, 13, 100, 4096 };
	char big[300], bigger[70000], want[72000];
	size_t i;

	(void)state;
	memset(big, 'b', sizeof big - 1);
	big[sizeof big - 1] = '\0';
	memset(bigger, 'c', sizeof bigger - 2);
	bigger[sizeof bigger - 2] = '\n';
	bigger[sizeof bigger - 1] = '\0';
	snprintf(want, sizeof want, "alice: one\n%s\n%salice: x\n", big,
	    bigger);
	for (i = 0; i < sizeof chunks / sizeof chunks[0]; i++) {
		struct fix *f = fix_new(&transport_ws);
		char line[400];

		say(f, "alice: one\n");
		snprintf(line, sizeof line, "%s\n", big);
		say(f, line);
		/* The member's own line, between: left out. */
		assert_int_equal(rlog_append(&f->log, &f->c->rd, RLOG_CHAT,
		    "me: mine\n", 9), 0);
		say(f, bigger);
		say(f, "alice: x\n");
		fix_drain(f, chunks[i]);
		expect_frames(f, want, 0);
		fix_free(f);
	}
}

/* A line appended while a frame is half written comes after it. */
static void
test_ws_append_mid_frame(void **state)
{
	struct fix *f = fix_new(&transport_ws);

	(void)state;
	say(f, "alice: first line\n");
	(void)fix_flush(f, 5);		/* header and 3 payload bytes */
	say(f, "alice: second\n");
	(void)fix_flush(f, 4);
	fix_drain(f, 6);
	expect_frames(f, "alice: first line\nalice: second\n", 0);
	fix_free(f);
}

/*
 * A member that moves to another room's log mid-frame (/join) goes on
 * where it stopped: the rest of the frame, what the old room still
 * owed it, then the new room's lines, however the writes are cut.
 */
static void
test_ws_move_mid_frame(void **state)
{
	static const size_t cuts[] = { 1, 2, 5, 9, 20 };
	struct rlog to, old;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof cuts / sizeof cuts[0]; i++) {
		struct fix *f = fix_new(&transport_ws);

		say(f, "alice: first line\n");
		say(f, "alice: second\n");
		(void)fix_flush(f, cuts[i]);
		assert_int_equal(rlog_init(&to, 10), 0);
		assert_int_equal(rlog_move(&f->log, &f->c->rd, &to), 0);
		/* The fixture's log is the new room's from now on. */
		old = f->log;
		f->log = to;
		rlog_detach(&old, &f->from->rd);
		rlog_free(&old);
		rlog_attach(&f->log, &f->from->rd);
		say(f, "bob: in the new room\n");
		fix_drain(f, 7);
		expect_frames(f, "alice: first line\nalice: second\n"
		    "bob: in the new room\n", 0);
		fix_free(f);
	}
}

/* The close frame goes after the last line, however the writes are cut. */
static void
test_ws_close_after_last_line(void **state)
{
	static const size_t chunks[] = { 1, 3, 11, SIZE_MAX };
	size_t i;

	(void)state;
	for (i = 0; i < sizeof chunks / sizeof chunks[0]; i++) {
		struct fix *f = fix_new(&transport_ws);

		say(f, "alice: one\nalice: two\n");
		(void)fix_flush(f, chunks[i]);	/* maybe mid-frame */
		f->c->reason = "bye";
		rlog_stop(&f->log, &f->c->rd);
		transport_ws.finish(f->c, &f->log);
		fix_drain(f, chunks[i]);
		expect_frames(f, "alice: one\nalice: two\n", 1000);
		assert_memory_equal(f->out + f->outlen - 3, "bye", 3);
		fix_free(f);
	}
}

/* A masked ping with payload text (mask 0) into the member. */
static void
ping(struct fix *f, const char *text)
{
	char frame[2 + 4 + 125];
	size_t n = strlen(text);

	frame[0] = (char)0x89;
	frame[1] = (char)(0x80 | n);
	memset(frame + 2, 0, 4);
	memcpy(frame + 6, text, n);
	assert_int_equal(f->c->tp->input(f->c, frame, 6 + n), 0);
}

/*
 * Only the latest ping owed a pong is answered, but a pong already begun
 * is finished and does not count as the answer to a later ping: the
 * latest gets its own after it, however the writes are cut.
 */
static void
test_ws_ping_during_pong(void **state)
{
	static const char want[] = "\x8a\x02" "A1" "\x8a\x02" "C3";
	static const char want2[] = "\x8a\x02" "A1" "\x8a\x02" "B2"
	    "\x8a\x02" "D4";
	struct server srv;
	struct fix *f;

	(void)state;
	memset(&srv, 0, sizeof srv);
	f = fix_new(&transport_ws);
	f->c->srv = &srv;
	ping(f, "A1");
	assert_int_equal(fix_flush(f, 3), 3);
	ping(f, "B2");
	ping(f, "C3");
	fix_drain(f, 1);
	assert_int_equal(f->outlen, sizeof want - 1);
	assert_memory_equal(f->out, want, sizeof want - 1);
	fix_free(f);

	/* A's out and B's begun when C comes: B goes on, then D, not C. */
	f = fix_new(&transport_ws);
	f->c->srv = &srv;
	ping(f, "A1");
	assert_int_equal(fix_flush(f, 3), 3);
	ping(f, "B2");
	assert_int_equal(fix_flush(f, 2), 2);
	ping(f, "C3");
	ping(f, "D4");
	fix_drain(f, 2);
	assert_int_equal(f->outlen, sizeof want2 - 1);
	assert_memory_equal(f->out, want2, sizeof want2 - 1);
	fix_free(f);
}

/*
 * A long backlog costs the transport nothing: the heap in use stays
 * within a few KiB of where it was while 4 MiB of lines are framed and
 * written through a socket that takes a little at a time, and closed.
 */
static void
test_ws_no_payload_copy(void **state)
{
	struct fix *f = fix_new(&transport_ws);
	char line[1001];
	size_t before, now, peak = 0, total = 0, i;
	struct mallinfo2 mi;

	(void)state;
	memset(line, 'z', sizeof line - 2);
	line[sizeof line - 2] = '\n';
	line[sizeof line - 1] = '\0';
	for (i = 0; i < 4096; i++)
		say(f, line);
	mi = mallinfo2();
	before = mi.uordblks;
	f->c->reason = "bye";
	rlog_stop(&f->log, &f->c->rd);
	transport_ws.finish(f->c, &f->log);
	while (transport_ws.unsent(f->c, &f->log)) {
		total += fix_flush(f, 65536 + 17);
		mi = mallinfo2();
		now = mi.uordblks;
		if (now > before && now - before > peak)
			peak = now - before;
		/* What the test reads back is its own: keep only a count. */
		f->outlen = 0;
	}
	assert_true(total > 4096 * 1000);
	assert_true(peak <= 16384);
	fix_free(f);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_line_bytes),
		cmocka_unit_test(test_line_no_copy),
		cmocka_unit_test(test_ws_header_beside_payload),
		cmocka_unit_test(test_ws_partial_writes),
		cmocka_unit_test(test_ws_append_mid_frame),
		cmocka_unit_test(test_ws_move_mid_frame),
		cmocka_unit_test(test_ws_close_after_last_line),
		cmocka_unit_test(test_ws_ping_during_pong),
		cmocka_unit_test(test_ws_no_payload_copy),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
