/* cmdline: a member's line as chat, "//text" or "/name args", one rule. */
#ifndef LOBBY_CMDLINE_H
#define LOBBY_CMDLINE_H

#include <stdbool.h>
#include <stddef.h>

enum cmdline_kind {
	CMDLINE_CHAT,		/* text for the room */
	CMDLINE_COMMAND,	/* a slash, a command word, its arguments */
};

/*
 * A line split: pointers into the caller's line, valid as long as it is.
 * "//text" is chat whose text is "/text"; "/name args" a command.
 */
struct cmdline {
	enum cmdline_kind kind;		/* which of the two */
	const char	*name;		/* COMMAND: the word after the slash */
	size_t		 nlen;		/* its length; 0 for "/" or "/ x" */
	const char	*rest;		/* COMMAND: after the word and its
					 * blanks, as sent; CHAT: the text */
	size_t		 rlen;		/* bytes in rest */
};

/*
 * True when s[0..n) is chat as it stands: not empty, and no '/' at its
 * start to make it a command or to be dropped ("//text").
 */
static inline bool
cmdline_plain_chat(const char *s, size_t n)
{
	return n > 0 && s[0] != '/';
}

/* Split the line s[0..n) (no line end) into cl. */
void	cmdline_split(const char *s, size_t n, struct cmdline *cl);

/* Whether cl is the command name (without its slash, not empty), in
 * any case. */
bool	cmdline_is(const struct cmdline *cl, const char *name);

/*
 * The first word of s[0..n) after any blanks (spaces and tabs), its
 * length in *wlen (0 when there is none); what follows the blanks after
 * it goes to *rest and *rlen, kept as sent, trailing blanks and all.
 */
const char *cmdline_word(const char *s, size_t n, size_t *wlen,
	    const char **rest, size_t *rlen);

#endif /* LOBBY_CMDLINE_H */
