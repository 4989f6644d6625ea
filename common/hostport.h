/* hostport: the "HOST:PORT", "[V6]:PORT" and "unix:PATH" of options. */
#ifndef LOBBY_HOSTPORT_H
#define LOBBY_HOSTPORT_H

#include <stdbool.h>

#define HOSTPORT_HOST_MAX	255	/* a DNS name's longest */
#define HOSTPORT_PATH_MAX	107	/* sun_path on Linux, NUL excluded */

/* An address as an option gives it; only host or only path is set. */
struct hostport {
	bool		 is_unix;	/* path is set, not host and port */
	bool		 bracketed;	/* host was written in [ ] */
	char		 host[HOSTPORT_HOST_MAX + 1]; /* no brackets */
	unsigned	 port;		/* 0-65535; 0 only with HOSTPORT_PORT0 */
	char		 path[HOSTPORT_PATH_MAX + 1]; /* Unix socket path */
};

/* What hostport_parse() accepts beyond HOST:PORT and [V6]:PORT. */
#define HOSTPORT_UNIX	0x1	/* "unix:PATH" */
#define HOSTPORT_PORT0	0x2	/* port 0: the system picks one */

/*
 * Parse text into hp. A host with a colon in it (IPv6) must be in
 * brackets; the port is decimal digits only. The host is not looked up
 * nor checked further: that is the caller's to do. Returns 0, or -1 with
 * *why saying what is wrong (a static string, for a usage error).
 */
int	hostport_parse(const char *text, int flags, struct hostport *hp,
	    const char **why);

#endif /* LOBBY_HOSTPORT_H */
