/* commands: what a client's line means: chat, or one of the / commands. */
#include "commands.h"

#include <stdbool.h>
#include <string.h>

#include "accounts.h"
#include "cmdline.h"
#include "text.h"

/* The part of a line after a word: where the next word starts. */
struct cmd_rest {
	const char	*p;	/* first byte after the word and its blanks */
	size_t		 n;	/* bytes left */
};

/* ---------------------------------------------------------------------
 * The commands. Each gets the member and the text after the command word.
 * ------------------------------------------------------------------- */

static void
cmd_nick(struct room *r, struct client *c, struct cmd_rest *a)
{
	struct cmd_rest after;
	const char *nick;
	size_t len;

	nick = cmdline_word(a->p, a->n, &len, &after.p, &after.n);
	if (len == 0 || !text_is_blank(after.p, after.n)) {
		room_sendf(r, c, PROTO_USAGE_NICK);
		return;
	}
	if (!proto_nick_valid(nick, len)) {
		room_sendf(r, c, PROTO_BAD_NICK, (int)len, nick);
		return;
	}
	if (strlen(c->nick) == len && memcmp(c->nick, nick, len) == 0) {
		room_sendf(r, c, PROTO_ALREADY, c->nick);
		return;
	}
	if (!accounts_nick_ok(r->accounts, r, c, nick, len))
		return;
	room_nick(r, c, nick, len);
}

static void
cmd_who(struct room *r, struct client *c, struct cmd_rest *a)
{
	(void)a;
	room_who(r, c);
}

/* A /me that says something is said (commands_says()): this one has
 * nothing to say. */
static void
cmd_me(struct room *r, struct client *c, struct cmd_rest *a)
{
	(void)a;
	room_sendf(r, c, PROTO_USAGE_ME);
}

static void
cmd_msg(struct room *r, struct client *c, struct cmd_rest *a)
{
	struct cmd_rest text;
	const char *nick;
	size_t len;

	nick = cmdline_word(a->p, a->n, &len, &text.p, &text.n);
	if (len == 0 || text_is_blank(text.p, text.n)) {
		room_sendf(r, c, PROTO_USAGE_MSG);
		return;
	}
	room_msg(r, c, nick, len, text.p, text.n);
}

static void
cmd_quit(struct room *r, struct client *c, struct cmd_rest *a)
{
	/* The rest runs to the end of the line, which is NUL-terminated.
	 * A muted member's reason is not said to the room. */
	room_leave(r, c, text_is_blank(a->p, a->n) ||
	    accounts_muted(r->accounts, c) ? NULL : a->p, "quit");
}

static void
cmd_join(struct room *r, struct client *c, struct cmd_rest *a)
{
	struct cmd_rest after;
	const char *name;
	size_t len;

	name = cmdline_word(a->p, a->n, &len, &after.p, &after.n);
	if (len == 0 || !text_is_blank(after.p, after.n)) {
		room_sendf(r, c, PROTO_USAGE_JOIN);
		return;
	}
	if (!proto_room_valid(name, len)) {
		room_sendf(r, c, PROTO_BAD_ROOM, (int)len, name);
		return;
	}
	room_go(r, c, name, len);
}

static void
cmd_part(struct room *r, struct client *c, struct cmd_rest *a)
{
	const struct room *to;

	/* Back to the landing room: what follows /part is not read. */
	(void)a;
	to = r->reg != NULL ? r->reg->landing : r;
	room_go(r, c, to->name, strlen(to->name));
}

static void
cmd_rooms(struct room *r, struct client *c, struct cmd_rest *a)
{
	(void)a;
	room_list(r, c);
}

static void
cmd_topic(struct room *r, struct client *c, struct cmd_rest *a)
{
	if (text_is_blank(a->p, a->n)) {
		room_topic(r, c, NULL, 0);
		return;
	}
	/* Setting it speaks to the room: a muted member may not. */
	if (!accounts_say_ok(r->accounts, r, c))
		return;
	if (a->n > PROTO_TOPIC_MAX) {
		room_sendf(r, c, PROTO_TOPIC_LONG);
		return;
	}
	room_topic(r, c, a->p, a->n);
}

static void
cmd_help(struct room *r, struct client *c, struct cmd_rest *a)
{
	static const char *const help[] = { PROTO_HELP };
	const char *const *more;
	size_t i;

	(void)a;
	for (i = 0; i < sizeof help / sizeof help[0]; i++)
		room_send(r, c, help[i], strlen(help[i]));
	/* With accounts on: /register, /login, and an operator's commands. */
	more = accounts_help(r->accounts, c);
	for (i = 0; more != NULL && more[i] != NULL; i++)
		room_send(r, c, more[i], strlen(more[i]));
}

static const struct cmd {
	const char	*name;		/* without the slash */
	void		(*run)(struct room *, struct client *,
			    struct cmd_rest *);
} cmd_table[] = {
	{ "nick",	cmd_nick },
	{ "who",	cmd_who },
	{ "me",		cmd_me },
	{ "msg",	cmd_msg },
	{ "join",	cmd_join },
	{ "part",	cmd_part },
	{ "rooms",	cmd_rooms },
	{ "topic",	cmd_topic },
	{ "quit",	cmd_quit },
	{ "help",	cmd_help },
};

/* Run the command cl, split from a member's line. */
static void
commands_run(struct room *r, struct client *c, const struct cmdline *cl)
{
	struct cmd_rest rest = { cl->rest, cl->rlen };
	size_t i;

	/* The account and operator commands live in accounts.c. */
	if (accounts_command(r->accounts, r, c, cl))
		return;
	for (i = 0; i < sizeof cmd_table / sizeof cmd_table[0]; i++) {
		if (cmdline_is(cl, cmd_table[i].name)) {
			cmd_table[i].run(r, c, &rest);
			return;
		}
	}
	room_sendf(r, c, PROTO_UNKNOWN_CMD,
	    (int)cl->nlen, cl->name);
}

unsigned
commands_cost(const char *text, size_t len)
{
	static const char *const lists[] = { "who", "help", "rooms", "bans" };
	struct cmdline cl;
	size_t i;

	cmdline_split(text, len, &cl);
	for (i = 0; i < sizeof lists / sizeof lists[0]; i++)
		if (cmdline_is(&cl, lists[i]))
			return COMMANDS_LIST_COST;
	return 1;
}

bool
commands_says(const struct cmdline *cl, enum room_say *kind,
    const char **said, size_t *slen)
{
	if (cl->kind == CMDLINE_CHAT)
		*kind = ROOM_SAY_CHAT;
	else if (cmdline_is(cl, "me"))
		*kind = ROOM_SAY_ACTION;
	else
		return false;
	*said = cl->rest;
	*slen = cl->rlen;
	return !text_is_blank(cl->rest, cl->rlen);
}

/* A run's lines go to the log in steps of at most this much text: */
#define COMMANDS_RUN_BYTES	4096

size_t
commands_chat_run(struct room *r, struct client *c, const struct line *framer,
    const char *data, size_t n, size_t most, size_t *lines)
{
	const char *text[ROOM_RUN_LINES], *p = data, *end = data + n;
	size_t len[ROOM_RUN_LINES], used, k, bytes, span, total = 0;
	bool stop = false;

	*lines = 0;
	/* A muted member is told so line by line: the ordinary way. */
	if (!room_says_here(r, c) || !accounts_none_muted(r->accounts))
		return 0;
	while (!stop && total < most) {
		for (k = bytes = 0; k < ROOM_RUN_LINES && total + k < most &&
		    bytes < COMMANDS_RUN_BYTES; k++) {
			/* One pass finds the plain text and, right after
			 * it, the line's end. */
			span = text_plain_span(p, (size_t)(end - p));
			used = line_whole(framer, p, (size_t)(end - p), span,
			    &len[k]);
			if (used == 0 || span < len[k] ||
			    !cmdline_plain_chat(p, len[k]) ||
			    text_is_blank(p, len[k])) {
				stop = true;
				break;
			}
			text[k] = p;
			bytes += len[k];
			p += used;
		}
		if (k > 0)
			room_chat_lines(r, c, ROOM_SAY_CHAT, text, len, k);
		total += k;
	}
	*lines = total;
	return (size_t)(p - data);
}

void
commands_input(struct room *r, struct client *c, const char *text,
    size_t len)
{
	struct cmdline cl;
	enum room_say kind;
	const char *said;
	size_t slen;

	/* A joiner waiting for its welcome (through Redis): held. */
	if (room_hold(r, c, text, len))
		return;
	/* Split once: what it says, else the command it runs. */
	cmdline_split(text, len, &cl);
	/* Chat or /me: to the others, through the room's backend. */
	if (commands_says(&cl, &kind, &said, &slen)) {
		if (accounts_say_ok(r->accounts, r, c))
			room_say(r, c, kind, said, slen);
		return;
	}
	/* Any other command; chat with nothing to say is nothing. */
	if (cl.kind == CMDLINE_COMMAND)
		commands_run(r, c, &cl);
}
