/* sline: the one reader of the lines lobbyd sends (docs/PROTOCOL.md). */
#include "sline.h"

#include <string.h>
#include <strings.h>

#include "proto.h"

/* The fixed words of the notices, from the formats in proto.h. */
#define SL_NOTICE	"*** "
#define SL_ERROR	"!!! "
#define SL_JOINED	" joined"
#define SL_LEFT		" left"
#define SL_IS_NOW	" is now "
#define SL_ONLINE	" online:"
#define SL_LAST		"last "
#define SL_MESSAGE	" message"
#define SL_HIST_END	"end of history"
#define SL_SHUTDOWN	"server shutting down"
#define SL_NOUSER	"no such user: "
#define SL_MOVED	"you are now in "
#define SL_TOPIC	"topic: "
#define SL_NO_TOPIC	"no topic"
#define SL_ROOMS	" rooms:"
#define SL_ROOM		" room:"
#define SL_WENT		" went to "
#define SL_TOPIC_SET	" set the topic: "
#define SL_ALREADY_IN	"you are already in "
#define SL_BAD_ROOM	"bad room name: "
#define SL_TOO_MANY	"too many rooms"

/* ------------------------------------------------------------------ */
/* Small scanners: each takes s[0..n) and says how many bytes matched  */
/* ------------------------------------------------------------------ */

/* Does s[0..n) start with the NUL-terminated p? */
static bool
sl_starts(const char *s, size_t n, const char *p)
{
	size_t k = strlen(p);

	return n >= k && memcmp(s, p, k) == 0;
}

/* Is s[0..n) exactly the NUL-terminated p? */
static bool
sl_is(const char *s, size_t n, const char *p)
{
	return n == strlen(p) && memcmp(s, p, n) == 0;
}

/* The bytes of a valid nick at the start of s, or 0 for none. */
static size_t
sl_nick(const char *s, size_t n)
{
	size_t k = 0;

	while (k < n && k <= PROTO_NICK_MAX && proto_nick_valid(s + k, 1))
		k++;
	return k <= PROTO_NICK_MAX ? k : 0;
}

/* The bytes of a valid room name at the start of s, or 0 for none. */
static size_t
sl_room(const char *s, size_t n)
{
	size_t k = 0;

	while (k < n && k <= PROTO_ROOM_MAX && proto_room_valid(s + k, 1))
		k++;
	return k <= PROTO_ROOM_MAX ? k : 0;
}

/* The bytes of a decimal number at the start of s (into *v), 0 for none. */
static size_t
sl_number(const char *s, size_t n, size_t *v)
{
	size_t k = 0;

	*v = 0;
	while (k < n && s[k] >= '0' && s[k] <= '9') {
		if (*v <= ((size_t)-1 - 9) / 10)
			*v = *v * 10 + (size_t)(s[k] - '0');
		k++;
	}
	return k;
}

/* Are s[0..n) all decimal digits? */
static bool
sl_digits(const char *s, size_t n)
{
	size_t v;

	return n > 0 && sl_number(s, n, &v) == n;
}

/* The bytes of a history stamp "[HH:MM] " or "[YYYY-MM-DD HH:MM] ". */
static size_t
sl_stamp(const char *s, size_t n)
{
	if (n >= 8 && s[0] == '[' && sl_digits(s + 1, 2) && s[3] == ':' &&
	    sl_digits(s + 4, 2) && s[6] == ']' && s[7] == ' ')
		return 8;
	if (n >= 19 && s[0] == '[' && sl_digits(s + 1, 4) && s[5] == '-' &&
	    sl_digits(s + 6, 2) && s[8] == '-' && sl_digits(s + 9, 2) &&
	    s[11] == ' ' && sl_digits(s + 12, 2) && s[14] == ':' &&
	    sl_digits(s + 15, 2) && s[17] == ']' && s[18] == ' ')
		return 19;
	return 0;
}

/* ------------------------------------------------------------------ */
/* The kinds of line                                                   */
/* ------------------------------------------------------------------ */

/*
 * A sender head: s starts with open, then a nick, then close. Sets the
 * nick, the head and the text after it. Returns whether it matched.
 */
static bool
sl_sender(struct sline *sl, const char *s, size_t n, const char *open,
    const char *close)
{
	size_t o = strlen(open), c = strlen(close), k;

	if (!sl_starts(s, n, open))
		return false;
	k = sl_nick(s + o, n - o);
	if (k == 0 || !sl_starts(s + o + k, n - o - k, close))
		return false;
	sl->nick = s + o;
	sl->nlen = k;
	/* The head ends before the blank that separates the text. */
	sl->head = o + k + c - 1;
	sl->text = s + o + k + c;
	sl->tlen = n - o - k - c;
	return true;
}

/* "you are now in ROOM (K online)": t[0..m); sets the room and K. */
static bool
sl_room_moved(struct sline *sl, const char *t, size_t m)
{
	const size_t w = sizeof SL_MOVED - 1;
	size_t k, d;

	if (!sl_starts(t, m, SL_MOVED) || (k = sl_room(t + w, m - w)) == 0 ||
	    !sl_starts(t + w + k, m - w - k, " (") ||
	    (d = sl_number(t + w + k + 2, m - w - k - 2, &sl->count)) == 0 ||
	    !sl_is(t + w + k + 2 + d, m - w - k - 2 - d, " online)")) {
		sl->count = 0;
		return false;
	}
	sl->room = t + w;
	sl->rlen = k;
	return true;
}

/* "*** ..." after its "*** ": t[0..m). */
static enum sline_kind
sl_notice(struct sline *sl, const char *t, size_t m)
{
	static const char welcome[] = PROTO_WELCOME_PREFIX;
	const size_t w = sizeof welcome - 1 - 4;
	size_t k, d;

	/* The welcome: "welcome to lobby, you are NICK (N online; ...)". */
	if (sl_starts(t, m, welcome + 4) && (k = sl_nick(t + w, m - w)) > 0 &&
	    sl_starts(t + w + k, m - w - k, " (") &&
	    (d = sl_number(t + w + k + 2, m - w - k - 2, &sl->count)) > 0 &&
	    sl_starts(t + w + k + 2 + d, m - w - k - 2 - d, " online")) {
		sl->nick = t + w;
		sl->nlen = k;
		return SLINE_WELCOME;
	}
	/* "last K messages:" or "last 1 message:". */
	if (sl_starts(t, m, SL_LAST) &&
	    (d = sl_number(t + 5, m - 5, &sl->count)) > 0 &&
	    sl_starts(t + 5 + d, m - 5 - d, SL_MESSAGE)) {
		k = 5 + d + sizeof SL_MESSAGE - 1;
		if (sl_is(t + k, m - k, "s:") || sl_is(t + k, m - k, ":"))
			return SLINE_HIST_BEGIN;
	}
	if (sl_is(t, m, SL_HIST_END))
		return SLINE_HIST_END;
	if (sl_is(t, m, SL_SHUTDOWN))
		return SLINE_SHUTDOWN;
	/* "N online: a b c": the names, each after a blank. */
	if ((d = sl_number(t, m, &sl->count)) > 0 &&
	    sl_starts(t + d, m - d, SL_ONLINE)) {
		sl->text = t + d + sizeof SL_ONLINE - 1;
		sl->tlen = m - d - (sizeof SL_ONLINE - 1);
		return SLINE_WHO;
	}
	/* "K rooms: NAME (N) ..." or "1 room: NAME (N)". */
	if (d > 0 && (sl_starts(t + d, m - d, SL_ROOMS) ||
	    sl_starts(t + d, m - d, SL_ROOM))) {
		k = d + (sl_starts(t + d, m - d, SL_ROOMS) ?
		    sizeof SL_ROOMS : sizeof SL_ROOM) - 1;
		sl->text = t + k;
		sl->tlen = m - k;
		return SLINE_ROOMS;
	}
	if (sl_room_moved(sl, t, m))
		return SLINE_MOVED;
	if (sl_starts(t, m, SL_TOPIC)) {
		sl->text = t + sizeof SL_TOPIC - 1;
		sl->tlen = m - (sizeof SL_TOPIC - 1);
		sl->count = 0;
		return SLINE_TOPIC;
	}
	sl->count = 0;
	if (sl_is(t, m, SL_NO_TOPIC))
		return SLINE_NO_TOPIC;
	if ((k = sl_nick(t, m)) == 0)
		return SLINE_NOTICE;
	sl->nick = t;
	sl->nlen = k;
	if (sl_is(t + k, m - k, SL_JOINED))
		return SLINE_JOINED;
	if (sl_is(t + k, m - k, SL_LEFT)) {
		sl->text = NULL;	/* no reason */
		sl->tlen = 0;
		return SLINE_LEFT;
	}
	/* "NICK left (REASON)": the reason is anything, brackets too. */
	if (sl_starts(t + k, m - k, SL_LEFT " (") && t[m - 1] == ')' &&
	    m >= k + 8) {
		sl->text = t + k + 7;
		sl->tlen = m - k - 8;
		return SLINE_LEFT;
	}
	/* "NICK went to ROOM": the room is the rest, all of it. */
	if (sl_starts(t + k, m - k, SL_WENT)) {
		d = k + sizeof SL_WENT - 1;
		if (d < m && sl_room(t + d, m - d) == m - d) {
			sl->room = t + d;
			sl->rlen = m - d;
			return SLINE_WENT;
		}
	}
	if (sl_starts(t + k, m - k, SL_TOPIC_SET)) {
		d = k + sizeof SL_TOPIC_SET - 1;
		sl->text = t + d;
		sl->tlen = m - d;
		return SLINE_TOPIC_SET;
	}
	if (sl_starts(t + k, m - k, SL_IS_NOW)) {
		d = k + sizeof SL_IS_NOW - 1;
		sl->n2len = sl_nick(t + d, m - d);
		if (sl->n2len > 0 && d + sl->n2len == m) {
			sl->nick2 = t + d;
			return SLINE_RENAMED;
		}
		sl->n2len = 0;
	}
	sl->nick = NULL;
	sl->nlen = 0;
	return SLINE_NOTICE;
}

/* "!!! ..." after its "!!! ": t[0..m), a room's error or another. */
static enum sline_kind
sl_room_error(struct sline *sl, const char *t, size_t m)
{
	const size_t a = sizeof SL_ALREADY_IN - 1, b = sizeof SL_BAD_ROOM - 1;

	if (sl_starts(t, m, SL_ALREADY_IN) && m > a &&
	    sl_room(t + a, m - a) == m - a) {
		sl->room = t + a;
		sl->rlen = m - a;
		return SLINE_ALREADY_IN;
	}
	if (sl_starts(t, m, SL_BAD_ROOM)) {
		/* The name as refused: anything, even nothing. */
		sl->room = t + b;
		sl->rlen = m - b;
		return SLINE_BAD_ROOM;
	}
	if (sl_is(t, m, SL_TOO_MANY))
		return SLINE_TOO_MANY_ROOMS;
	return SLINE_ERROR;
}

/* The line without a history stamp. */
static enum sline_kind
sl_body(struct sline *sl, const char *s, size_t n)
{
	if (sl_starts(s, n, SL_NOTICE)) {
		sl->head = n;
		sl->text = s + 4;
		sl->tlen = n - 4;
		return sl_notice(sl, s + 4, n - 4);
	}
	if (sl_starts(s, n, SL_ERROR)) {
		sl->head = n;
		if (sl_starts(s + 4, n - 4, SL_NOUSER)) {
			sl->nick = s + 4 + sizeof SL_NOUSER - 1;
			sl->nlen = n - 4 - (sizeof SL_NOUSER - 1);
			return SLINE_NOUSER;
		}
		sl->text = s + 4;
		sl->tlen = n - 4;
		return sl_room_error(sl, s + 4, n - 4);
	}
	if (sl_sender(sl, s, n, "[pm] <", "> "))
		return SLINE_PM;
	if (sl_sender(sl, s, n, "-> *", "* "))
		return SLINE_PM_SENT;
	if (sl_sender(sl, s, n, "<", "> "))
		return SLINE_CHAT;
	if (sl_sender(sl, s, n, "* ", " "))
		return SLINE_ACTION;
	return SLINE_OTHER;
}

enum sline_kind
sline_parse(struct sline *sl, const char *s, size_t n)
{
	size_t st = sl_stamp(s, n);

	memset(sl, 0, sizeof *sl);
	sl->nick = sl->nick2 = sl->text = sl->room = NULL;
	/* A stamp is history only before a chat or /me line. */
	if (st > 0) {
		sl->kind = sl_body(sl, s + st, n - st);
		if (sl->kind == SLINE_CHAT || sl->kind == SLINE_ACTION) {
			sl->stamp = st;
			return sl->kind;
		}
		memset(sl, 0, sizeof *sl);
		sl->nick = sl->nick2 = sl->text = sl->room = NULL;
	}
	sl->kind = sl_body(sl, s, n);
	return sl->kind;
}

bool
sline_is_notice(enum sline_kind k)
{
	return k >= SLINE_WELCOME && k <= SLINE_NOTICE;
}

bool
sline_is_error(enum sline_kind k)
{
	return k >= SLINE_NOUSER && k <= SLINE_ERROR;
}

bool
sline_nick_is(const char *nick, size_t len, const char *name)
{
	return nick != NULL && strlen(name) == len &&
	    strncasecmp(nick, name, len) == 0;
}

/* The bytes of the word at s (up to a blank or the end of n). */
static size_t
sl_word(const char *s, size_t n)
{
	size_t w = 0;

	while (w < n && s[w] != ' ')
		w++;
	return w;
}

/*
 * Skip the blanks at *s (*m bytes left). At the end, the list is done:
 * *p and *n are left there and false is returned; else true.
 */
static bool
sl_next_word(const char **s, size_t *m, const char **p, size_t *n)
{
	while (*m > 0 && **s == ' ') {
		(*s)++;
		(*m)--;
	}
	if (*m > 0)
		return true;
	*p = *s;
	*n = 0;
	return false;
}

bool
sline_who_next(const char **p, size_t *n, const char **nick, size_t *len)
{
	const char *s = *p;
	size_t m = *n, k, w;

	for (;;) {
		if (!sl_next_word(&s, &m, p, n))
			return false;
		w = sl_word(s, m);
		k = sl_nick(s, w);
		if (k == w) {
			*nick = s;
			*len = k;
			*p = s + w;
			*n = m - w;
			return true;
		}
		s += w;
		m -= w;
	}
}

bool
sline_rooms_next(const char **p, size_t *n, const char **name, size_t *len,
    size_t *members)
{
	const char *s = *p;
	size_t m = *n, k, d, w;

	for (;;) {
		if (!sl_next_word(&s, &m, p, n))
			return false;
		/* "NAME (N)": a name, a blank, a count in brackets. */
		k = sl_room(s, m);
		if (k > 0 && sl_starts(s + k, m - k, " (") &&
		    (d = sl_number(s + k + 2, m - k - 2, members)) > 0 &&
		    k + 2 + d < m && s[k + 2 + d] == ')' &&
		    (k + 3 + d == m || s[k + 3 + d] == ' ')) {
			*name = s;
			*len = k;
			*p = s + k + 3 + d;
			*n = m - k - 3 - d;
			return true;
		}
		/* Not one: skip a word. */
		w = sl_word(s, m);
		s += w;
		m -= w;
	}
}
