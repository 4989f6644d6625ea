/* session: the state of one run of the client, shared by its modules. */
#ifndef LOBBY_SESSION_H
#define LOBBY_SESSION_H

#include <stdbool.h>

#include "editor.h"
#include "line.h"
#include "link.h"
#include "screen.h"

#define SESS_PROMPT	"> "
#define SESS_RUNNING	(-1)	/* status while the run goes on */

/*
 * One run: the connection, the screen, and the input side (the editor on
 * a terminal, a line framer for stdin otherwise). main.c owns it and runs
 * the loop; input.c turns keys and lines into sends and echoes.
 */
struct session {
	struct link	 link;		/* the server */
	struct screen	 scr;		/* stdout */
	struct editor	 ed;		/* the input line, on a terminal */
	struct line	 keys;		/* frames stdin lines when not a tty */
	char		*clean;		/* text_clean() room for one line */
	bool		 tty;		/* interactive: raw mode and the editor */
	bool		 stdin_open;	/* stdin may still give lines */
	long long	 deadline;	/* ms when waiting for the close ends */
	int		 status;	/* exit status, SESS_RUNNING meanwhile */
	int		 sig;		/* the signal that ends us, or 0 */
};

/*
 * Out of memory somewhere in the run: note it on stderr and end the run
 * with status 1 (the loop stops at the end of the pass). Never exits.
 */
void	sess_nomem(struct session *s);

#endif /* LOBBY_SESSION_H */
