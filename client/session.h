/* session: the state of one run of the client, shared by its modules. */
#ifndef LOBBY_SESSION_H
#define LOBBY_SESSION_H

#include <stdbool.h>
#include <stddef.h>

#include "editor.h"
#include "line.h"
#include "link.h"
#include "roster.h"
#include "screen.h"

#define SESS_PROMPT	"> "
#define SESS_RUNNING	(-1)	/* status while the run goes on */
#define SESS_PASTE_ASK	5	/* a paste of more lines asks first */
#define SESS_WHO_MAX	64	/* /who answers awaited at once */
#define SESS_SEEN	16	/* chat lines remembered against replays */
#define SESS_WHO_SHOW	0	/* a /who whose answer shows */
#define SESS_WHO_PROBE	1	/* a /who after a /msg: its answer is the
				   /msg's delivery, and does not show */
#define SESS_WHO_QUIET	2	/* a /who after a move to another room: it
				   fills the roster, and does not show */

/* What the command line asked for. */
struct sess_options {
	const char	*nick;		/* -n: sent as /nick first, or NULL */
	const char	*unix_path;	/* -u: Unix socket instead of TCP */
	const char	*host;		/* host name or address */
	const char	*port;		/* port number or service name */
	bool		 color;		/* colours wanted (on a terminal) */
	bool		 stamps;	/* --timestamps */
	bool		 quiet;		/* --quiet-notices */
	size_t		 max_line;	/* --max-line: the server's limit */
	struct link_tls	 tls;		/* --tls, --ca, --insecure */
};

/*
 * One run: the connection, the screen, and the input side (the editor on
 * a terminal, a line framer for stdin otherwise). session.c sets it up and
 * runs the loop; input.c turns keys and lines into sends and echoes.
 */
struct session {
	struct link	 link;		/* the server */
	struct screen	 scr;		/* stdout */
	struct editor	 ed;		/* the input line, on a terminal */
	struct line	 keys;		/* frames stdin lines when not a tty */
	struct roster	 roster;	/* who is in the room, for Tab */
	struct roster	 rooms;		/* the rooms heard of, for Tab after
					   /join: /rooms, moves, went to */
	char		 landing[PROTO_ROOM_MAX + 1]; /* the landing room, the
					   first of /rooms, or "" */
	char		 rejoin[PROTO_ROOM_MAX + 1]; /* the room a reconnect
					   goes back to, until the /join's
					   answer; or "" */
	char		 prompt_room[PROTO_ROOM_MAX + 1]; /* the room the prompt
					   names: the last known, kept while
					   (re)connecting */
	size_t		 rooms_quiet;	/* /rooms answers awaited that do not
					   show (the one sent at connect) */
	bool		 skipping;	/* holding the landing room's history
					   in held while a reconnect goes back
					   to another room */
	bool		 parked;	/* that history is all in held, until
					   the /join's answer says whose it is */
	char		*clean;		/* text_clean() room for one line */
	size_t		 cleancap;	/* bytes at clean */
	size_t		 max_line;	/* longest line the server takes */
	struct buf	 paste;		/* a long paste waiting for a yes */
	size_t		 paste_lines;	/* lines in paste */
	bool		 confirming;	/* asking whether to send paste */
	bool		 reconnect;	/* /reconnect asked: do it this pass */
	long long	 keys_at;	/* ms when keys last came, for Esc */
	const char	*host;		/* where to reconnect: as for link_open() */
	const char	*port;		/* its port */
	const char	*unix_path;	/* or its Unix socket, or NULL */
	const struct link_tls *tls;	/* how to do TLS (the options') */
	const char	*opt_nick;	/* -n NICK, or NULL */
	char		 histfile[4096]; /* the history file, or "" for none */
	bool		 tty;		/* interactive: raw mode and the editor */
	bool		 stdin_open;	/* stdin may still give lines */
	long long	 deadline;	/* ms when waiting for the close ends */
	unsigned char	 whoq[SESS_WHO_MAX]; /* /who answers awaited, in order */
	size_t		 whoq_n;	/* entries in whoq */
	struct buf	 msgq;		/* echoes of /msg awaiting their probe,
					   each NUL-terminated, oldest first */
	bool		 msg_failed;	/* the oldest awaited /msg got an error */
	unsigned long	 seen[SESS_SEEN]; /* hashes of the last chat and /me
					   lines shown, a ring */
	size_t		 nseen;		/* lines ever put in seen */
	bool		 holding;	/* a history replay is being held */
	struct buf	 held;		/* its lines, each NUL-terminated */
	long long	 retry_at;	/* ms of the next reconnect, or 0 */
	long long	 retry_ms;	/* the wait after the next failure */
	char		 nick[PROTO_NICK_MAX + 1]; /* the nick to reconnect as */
	int		 status;	/* exit status, SESS_RUNNING meanwhile */
	int		 sig;		/* the signal that ends us, or 0 */
};

/*
 * Connect as o says, run the session until it ends (the user quits, the
 * server goes, a signal), and clean up. Returns the exit status: 0 or 1.
 * A terminal is restored on every way out; a signal that ends the run
 * is raised again after the cleanup, so the process dies of it.
 */
int	sess_run(const struct sess_options *o);

/*
 * Out of memory somewhere in the run: note it on stderr and end the run
 * with status 1 (the loop stops at the end of the pass). Never exits.
 */
void	sess_nomem(struct session *s);

/*
 * Stop the process (Ctrl-Z, SIGTSTP) with the terminal as it was while
 * stopped; when continued, raw mode again and a redraw.
 */
void	sess_stop(struct session *s);

/*
 * A /who was sent (probe: right after a /msg, whose echo, copied from
 * echo[0..n), waits for it). Returns false when too many are awaited
 * (the caller then shows the echo at once, and sends no probe).
 */
bool	sess_who_expect(struct session *s, int kind, const char *echo,
	    size_t n);

/* A chat or /me line, text[0..n) without a stamp, was shown. */
void	sess_seen(struct session *s, const char *text, size_t n);

/*
 * Show a message of the client itself (see screen_notice()); out of
 * memory ends the run.
 */
void	sess_notice(struct session *s, const char *text);

#endif /* LOBBY_SESSION_H */
