/* input: what the user types, as keys on a terminal or lines from a pipe. */
#ifndef LOBBY_INPUT_H
#define LOBBY_INPUT_H

#include "session.h"

#define INPUT_KEYS	4096	/* bytes per read() of the keyboard */
#define INPUT_MAXLINE	(64 * 1024) /* a line of stdin, when not a tty,
				       unless --max-line is more */

/*
 * stdin is readable: read once. On a terminal the bytes are keys for the
 * editor; a finished line is echoed and sent. Otherwise each line is sent
 * as it is. At end of input, /quit.
 */
void	input_read(struct session *s);

/* No key came for EDITOR_ESC_MS after a lone Esc: it is an Esc. */
void	input_timeout(struct session *s);

/* Leave at the user's wish: /quit to the server, then wait for the close. */
void	input_quit(struct session *s);

#endif /* LOBBY_INPUT_H */
