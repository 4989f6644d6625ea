/* commands: what a client's line means: chat, or one of the / commands. */
#include "commands.h"

#include <stdbool.h>
#include <string.h>
#include <strings.h>

/* The part of a line after a word: where the next word starts. */
struct cmd_rest {
	const char	*p;	/* first byte after the word and its blanks */
	size_t		 n;	/* bytes left */
};

static bool
cmd_blank(char ch)
{
	return ch == ' ' || ch == '\t';
}

/*
 * Split s[0..n) into its first word (returned, with its length in *wlen)
 * and what follows the blanks after it (in *rest). Leading blanks are
 * skipped. The rest is kept as sent, trailing blanks and all.
 */
static const char *
cmd_word(const char *s, size_t n, size_t *wlen, struct cmd_rest *rest)
{
	size_t i = 0, start;

	while (i < n && cmd_blank(s[i]))
		i++;
	start = i;
	while (i < n && !cmd_blank(s[i]))
		i++;
	*wlen = i - start;
	while (i < n && cmd_blank(s[i]))
		i++;
	rest->p = s + i;
	rest->n = n - i;
	return s + start;
}

/* True when rest holds nothing but blanks. */
static bool
cmd_empty(const struct cmd_rest *rest)
{
	size_t i;

	for (i = 0; i < rest->n; i++)
		if (!cmd_blank(rest->p[i]))
			return false;
	return true;
}

/* ---------------------------------------------------------------------
 * The commands. Each gets the member and the text after the command word.
 * ------------------------------------------------------------------- */

static void
cmd_nick(struct room *r, struct client *c, struct cmd_rest *a)
{
	struct cmd_rest after;
	const char *nick;
	size_t len;

	nick = cmd_word(a->p, a->n, &len, &after);
	if (len == 0 || !cmd_empty(&after)) {
		room_sendf(r, c, "!!! usage: /nick NAME");
		return;
	}
	if (!proto_nick_valid(nick, len)) {
		room_sendf(r, c, "!!! invalid nick: %.*s (" PROTO_NICK_RULE
		    ")", (int)len, nick);
		return;
	}
	if (strlen(c->nick) == len && memcmp(c->nick, nick, len) == 0) {
		room_sendf(r, c, "!!! you are already %s", c->nick);
		return;
	}
	room_nick(r, c, nick, len);
}

static void
cmd_who(struct room *r, struct client *c, struct cmd_rest *a)
{
	(void)a;
	room_who(r, c);
}

static void
cmd_me(struct room *r, struct client *c, struct cmd_rest *a)
{
	if (cmd_empty(a)) {
		room_sendf(r, c, "!!! usage: /me TEXT");
		return;
	}
	room_say(r, c, ROOM_SAY_ACTION, a->p, a->n);
}

static void
cmd_msg(struct room *r, struct client *c, struct cmd_rest *a)
{
	struct cmd_rest text;
	const char *nick;
	size_t len;

	nick = cmd_word(a->p, a->n, &len, &text);
	if (len == 0 || cmd_empty(&text)) {
		room_sendf(r, c, "!!! usage: /msg NICK TEXT");
		return;
	}
	room_msg(r, c, nick, len, text.p, text.n);
}

static void
cmd_quit(struct room *r, struct client *c, struct cmd_rest *a)
{
	/* The rest runs to the end of the line, which is NUL-terminated. */
	room_leave(r, c, cmd_empty(a) ? NULL : a->p, "quit");
}

static void
cmd_help(struct room *r, struct client *c, struct cmd_rest *a)
{
	static const char *const help[] = {
		"*** commands:",
		"***   /nick NAME       change your nick (" PROTO_NICK_RULE
		    ")",
		"***   /who             list who is online",
		"***   /me TEXT         act: others see * NICK TEXT",
		"***   /msg NICK TEXT   send TEXT to NICK alone",
		"***   /quit [REASON]   leave",
		"***   /help            this list",
		"***   //TEXT           send a chat line that starts with /",
	};
	size_t i;

	(void)a;
	for (i = 0; i < sizeof help / sizeof help[0]; i++)
		room_send(r, c, help[i], strlen(help[i]));
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
	{ "quit",	cmd_quit },
	{ "help",	cmd_help },
};

/* Run the command line text[0..len), which starts with one "/". */
static void
commands_run(struct room *r, struct client *c, const char *text, size_t len)
{
	struct cmd_rest rest;
	const char *name;
	size_t nlen, i;

	name = cmd_word(text + 1, len - 1, &nlen, &rest);
	/* "/ who": the command word must touch the slash. */
	if (name != text + 1)
		nlen = 0;
	for (i = 0; nlen > 0 && i < sizeof cmd_table / sizeof cmd_table[0];
	    i++) {
		if (strlen(cmd_table[i].name) == nlen &&
		    strncasecmp(cmd_table[i].name, name, nlen) == 0) {
			cmd_table[i].run(r, c, &rest);
			return;
		}
	}
	room_sendf(r, c, "!!! unknown command /%.*s (try /help)", (int)nlen,
	    name);
}

unsigned
commands_cost(const char *text, size_t len)
{
	static const char *const lists[] = { "who", "help", "rooms" };
	struct cmd_rest rest;
	const char *name;
	size_t nlen, i;

	if (len < 2 || text[0] != '/' || text[1] == '/')
		return 1;
	name = cmd_word(text + 1, len - 1, &nlen, &rest);
	if (name != text + 1)
		return 1;
	for (i = 0; i < sizeof lists / sizeof lists[0]; i++)
		if (strlen(lists[i]) == nlen &&
		    strncasecmp(lists[i], name, nlen) == 0)
			return COMMANDS_LIST_COST;
	return 1;
}

/* A chat line from c: to the others, through the room's backend. */
static void
commands_chat(struct room *r, struct client *c, const char *text,
    size_t len)
{
	room_say(r, c, ROOM_SAY_CHAT, text, len);
}

void
commands_input(struct room *r, struct client *c, const char *text,
    size_t len)
{
	/* A joiner waiting for its welcome (through Redis): held. */
	if (room_hold(r, c, text, len))
		return;
	if (len > 0 && text[0] == '/') {
		if (len > 1 && text[1] == '/')
			commands_chat(r, c, text + 1, len - 1);
		else
			commands_run(r, c, text, len);
	} else
		commands_chat(r, c, text, len);
}
