/* server: lobbyd's configuration, and server_run() that serves it. */
#ifndef LOBBY_SERVER_H
#define LOBBY_SERVER_H

#include <stddef.h>

#include "flood.h"
#include "loop.h"
#include "motd.h"

#define SERVER_MAX_LISTENERS	16	/* -b given more often is an error */
#define SERVER_MAX_ORIGINS	16	/* --web-origin given more often: error */
#define SERVER_WEB_ADDRLEN	64	/* longest --web address, scope included */
#define SERVER_MAX_OPS		64	/* --op given more often is an error */

/* One --web listener: a numeric address and a port (0 picks one). */
struct server_web {
	char		 addr[SERVER_WEB_ADDRLEN]; /* without [] for IPv6 */
	unsigned	 port;		/* 0: the kernel picks */
};

/* What the command line decided; read-only to the server. */
struct server_config {
	const char	*binds[SERVER_MAX_LISTENERS]; /* -b addresses */
	size_t		 nbinds;	/* 0: 127.0.0.1 and ::1 */
	unsigned	 port;		/* for every TCP listener; 0 picks */
	const char	*unix_path;	/* -u, or NULL */
	int		 fds[SERVER_MAX_LISTENERS]; /* inherited listeners */
	size_t		 nfds;		/* how many (socket activation) */
	size_t		 max_clients;	/* members, before the fd limits */
	size_t		 max_http;	/* --max-http: HTTP not yet members */
	size_t		 max_line;	/* longest input line, in bytes */
	size_t		 sendq;		/* most output queued per client */
	unsigned	 idle_timeout;	/* seconds; 0 is off */
	struct server_web webs[SERVER_MAX_LISTENERS]; /* --web listeners */
	size_t		 nwebs;		/* how many */
	struct server_web tls[SERVER_MAX_LISTENERS]; /* --tls listeners */
	size_t		 ntls;		/* how many */
	struct server_web web_tls[SERVER_MAX_LISTENERS]; /* --web-tls */
	size_t		 nweb_tls;	/* how many */
	const char	*tls_cert;	/* --tls-cert FILE (chain, leaf first) */
	const char	*tls_key;	/* --tls-key FILE */
	const char	*web_origins[SERVER_MAX_ORIGINS]; /* --web-origin */
	size_t		 nweb_origins;	/* how many */
	const char	*redis;		/* --redis ADDR, or NULL: one server */
	const char	*room;		/* --room NAME: the landing room, or
					   NULL: PROTO_ROOM_DEFAULT */
	size_t		 max_rooms;	/* --max-rooms: most rooms at once */
	size_t		 history;	/* --history: chat lines kept */
	struct flood_rate flood;	/* --flood; rate 0 is off */
	unsigned	 max_per_ip;	/* --max-per-ip; 0 is off */
	const struct motd *motd;	/* --motd lines, or NULL */
	const char	*accounts;	/* --accounts PATH (SQLite), or NULL */
	const char	*ops[SERVER_MAX_OPS]; /* --op nicks */
	size_t		 nops;		/* how many */
	enum loop_kind	 loop;		/* --loop: the multiplexer */
};

/*
 * Listen, serve until SIGINT or SIGTERM, shut down. Returns the process
 * exit status: 0 after a clean shutdown, 1 when it could not start.
 */
int	server_run(const struct server_config *cfg);

#endif /* LOBBY_SERVER_H */
