/* sline: the one reader of the lines lobbyd sends (docs/PROTOCOL.md). */
#ifndef LOBBY_SLINE_H
#define LOBBY_SLINE_H

#include <stdbool.h>
#include <stddef.h>

/*
 * Every client of the wire (the terminal client's link, roster and
 * screen, the example bot) learns what a server line is from here, so
 * that they cannot disagree. The formats are those of common/proto.h.
 * Nicks are compared ignoring case, as the server compares them. No
 * system calls, no allocation: the parse points into the caller's line.
 */

/* What a line is. */
enum sline_kind {
	SLINE_OTHER,		/* none of the below */
	SLINE_CHAT,		/* <nick> text */
	SLINE_ACTION,		/* * nick text (/me) */
	SLINE_PM,		/* [pm] <nick> text: to us */
	SLINE_PM_SENT,		/* -> *nick* text: the client's echo of /msg */
	SLINE_WELCOME,		/* *** welcome to lobby, you are NICK (N online; ... */
	SLINE_JOINED,		/* *** NICK joined */
	SLINE_LEFT,		/* *** NICK left, or *** NICK left (REASON) */
	SLINE_RENAMED,		/* *** OLD is now NEW */
	SLINE_WHO,		/* *** N online: a b c */
	SLINE_HIST_BEGIN,	/* *** last K message(s): */
	SLINE_HIST_END,		/* *** end of history */
	SLINE_SHUTDOWN,		/* *** server shutting down */
	SLINE_MOVED,		/* *** you are now in ROOM (K online) */
	SLINE_WENT,		/* *** NICK went to ROOM */
	SLINE_TOPIC,		/* *** topic: TEXT */
	SLINE_NO_TOPIC,		/* *** no topic */
	SLINE_TOPIC_SET,	/* *** NICK set the topic: TEXT */
	SLINE_ROOMS,		/* *** K rooms: ROOM (N) ROOM (N) ... */
	SLINE_NOTICE,		/* any other *** line */
	SLINE_NOUSER,		/* !!! no such user: NICK */
	SLINE_ALREADY_IN,	/* !!! you are already in ROOM */
	SLINE_BAD_ROOM,		/* !!! bad room name: NAME */
	SLINE_TOO_MANY_ROOMS,	/* !!! too many rooms */
	SLINE_ERROR,		/* any other !!! line */
};

/*
 * One parsed line. The pointers point into the line given to
 * sline_parse() and stay valid as long as it does; lengths are in bytes.
 * What a field holds depends on the kind; a field a kind does not use is
 * NULL / 0.
 */
struct sline {
	enum sline_kind	 kind;		/* what the line is */
	size_t		 stamp;		/* bytes of a history "[HH:MM] " first */
	size_t		 head;		/* bytes (after the stamp) of the sender
					   part: "<nick>", "* nick", "[pm] <nick>",
					   "-> *nick*"; all of a notice or error */
	const char	*nick;		/* sender, joiner, leaver, old nick, our
					   nick (welcome), the /msg target, the
					   mover (went), the topic's setter */
	size_t		 nlen;		/* bytes at nick */
	const char	*nick2;		/* the new nick of a rename */
	size_t		 n2len;		/* bytes at nick2 */
	const char	*text;		/* chat text; the names of /who; the
					   list of /rooms; a topic; the
					   reason of a leave (NULL: none); any
					   other notice's or error's text after
					   its "*** " / "!!! " */
	size_t		 tlen;		/* bytes at text */
	const char	*room;		/* the room of moved, went, already in;
					   the name refused by bad room name
					   (any bytes) */
	size_t		 rlen;		/* bytes at room */
	size_t		 count;		/* N online (welcome, who), K (history),
					   K online (moved), K rooms */
};

/*
 * Parse the line s[0..n) (without its LF, cleaned or not) into *sl. A
 * chat or /me line may carry a history stamp ("[HH:MM] " or
 * "[YYYY-MM-DD HH:MM] "): its bytes are sl->stamp, and the rest is parsed
 * after it. Returns sl->kind.
 */
enum sline_kind	sline_parse(struct sline *sl, const char *s, size_t n);

/* Is the kind a notice ("*** ...") or an error ("!!! ...")? */
bool	sline_is_notice(enum sline_kind k);
bool	sline_is_error(enum sline_kind k);

/* Is nick[0..len) the NUL-terminated name, ignoring case? */
bool	sline_nick_is(const char *nick, size_t len, const char *name);

/*
 * Walk the names of a /who line: *p and *n are the rest of sl->text
 * (start with sl->text, sl->tlen). Each call gives the next valid nick at
 * *nick, *len bytes, and returns true; false when none is left. Words
 * that are not nicks are skipped.
 */
bool	sline_who_next(const char **p, size_t *n, const char **nick,
	    size_t *len);

/*
 * Walk the rooms of a /rooms line, as sline_who_next() the names of a
 * /who: *p and *n start as sl->text, sl->tlen. Each call gives the next
 * "NAME (N)" whose NAME is a valid room name, at *name, *len bytes, with
 * N in *members, and returns true; false when none is left. Anything
 * else is skipped.
 */
bool	sline_rooms_next(const char **p, size_t *n, const char **name,
	    size_t *len, size_t *members);

#endif /* LOBBY_SLINE_H */
