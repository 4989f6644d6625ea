/* commands: what a client's line means: chat, or one of the / commands. */
#ifndef LOBBY_COMMANDS_H
#define LOBBY_COMMANDS_H

#include <stdbool.h>
#include <stddef.h>

#include "client.h"
#include "cmdline.h"
#include "room.h"

/*
 * Act on one line from member c: text[0..len) is already clean (valid
 * UTF-8, no control characters), not blank, and text[len] is NUL. A chat
 * line is broadcast to the others; a command is run, its replies and
 * errors queued for c. After /quit, c is flagged CLIENT_CLOSING and the
 * caller must feed it no more lines; nor once c is CLIENT_SLOW. Members
 * the line took over the send queue are only flagged CLIENT_SLOW: the
 * caller settles the room (room_settle()) once it has written out what
 * the sockets take.
 */
void	commands_input(struct room *r, struct client *c, const char *text,
	    size_t len);

/*
 * What the clean line split into cl (cmdline_split()) says to the room,
 * as commands_input() takes it: chat (ROOM_SAY_CHAT; "//x" says "/x") or
 * a /me with something to say (ROOM_SAY_ACTION, in any case, after any
 * blanks). Returns true with the kind in *kind and the text said in
 * *said, *slen (pointing into the line); false for any other line: a
 * command, or a /me or chat line with nothing but blanks to say.
 */
bool	commands_says(const struct cmdline *cl, enum room_say *kind,
	    const char **said, size_t *slen);

/*
 * The lines at data[0..n) that commands_input() would take as chat
 * as they stand, a run of them at once: whole lines (framer's
 * line_whole()) of printable ASCII, not blank, not starting with '/',
 * at most most of them, while c's chat goes straight into the room's
 * log (room_says_here()) and nobody is muted. Returns the bytes taken,
 * 0 for none, and the lines in *lines; the caller frames the rest.
 */
size_t	commands_chat_run(struct room *r, struct client *c,
	    const struct line *framer, const char *data, size_t n,
	    size_t most, size_t *lines);

/* What a listing command counts toward --flood: its answer is many lines. */
#define COMMANDS_LIST_COST	10

/*
 * How many lines the clean line text[0..len) counts as toward --flood:
 * COMMANDS_LIST_COST for a command whose answer grows with the room
 * (/who, /help, /rooms), 1 for anything else.
 */
unsigned	commands_cost(const char *text, size_t len);

#endif /* LOBBY_COMMANDS_H */
