/* hostport: the "HOST:PORT", "[V6]:PORT" and "unix:PATH" of options. */
#include "hostport.h"

#include <string.h>

#define HOSTPORT_UNIX_PREFIX	"unix:"

/* A port of decimal digits only, up to 65535; -1 if s is not one. */
static long
hostport_port(const char *s)
{
	long v = 0;

	if (*s == '\0')
		return -1;
	for (; *s != '\0'; s++) {
		if (*s < '0' || *s > '9')
			return -1;
		v = v * 10 + (*s - '0');
		if (v > 65535)
			return -1;
	}
	return v;
}

int
hostport_parse(const char *text, int flags, struct hostport *hp,
    const char **why)
{
	const size_t plen = strlen(HOSTPORT_UNIX_PREFIX);
	const char *colon, *host, *end;
	size_t hlen;
	long port;

	memset(hp, 0, sizeof *hp);
	if ((flags & HOSTPORT_UNIX) &&
	    strncmp(text, HOSTPORT_UNIX_PREFIX, plen) == 0) {
		if (text[plen] == '\0') {
			*why = "unix: needs a socket path";
			return -1;
		}
		if (strlen(text + plen) > HOSTPORT_PATH_MAX) {
			*why = "the socket path is too long";
			return -1;
		}
		hp->is_unix = true;
		strcpy(hp->path, text + plen);
		return 0;
	}
	if (text[0] == '[') {
		host = text + 1;
		if ((end = strchr(host, ']')) == NULL || end[1] != ':') {
			*why = "an IPv6 address is written [ADDR]:PORT";
			return -1;
		}
		colon = end + 1;
		hp->bracketed = true;
	} else {
		host = text;
		if ((colon = strchr(text, ':')) == NULL) {
			*why = flags & HOSTPORT_UNIX ?
			    "expected HOST:PORT, [V6]:PORT or unix:PATH" :
			    "expected HOST:PORT or [V6]:PORT";
			return -1;
		}
		if (strchr(colon + 1, ':') != NULL) {
			*why = "an IPv6 address is written [ADDR]:PORT";
			return -1;
		}
		end = colon;
	}
	hlen = (size_t)(end - host);
	if (hlen == 0 || hlen > HOSTPORT_HOST_MAX) {
		*why = hlen == 0 ? "the host is empty" : "the host is too long";
		return -1;
	}
	port = hostport_port(colon + 1);
	if (port == -1 || (port == 0 && !(flags & HOSTPORT_PORT0))) {
		*why = flags & HOSTPORT_PORT0 ?
		    "the port must be a number from 0 to 65535" :
		    "the port must be a number from 1 to 65535";
		return -1;
	}
	memcpy(hp->host, host, hlen);
	hp->host[hlen] = '\0';
	hp->port = (unsigned)port;
	return 0;
}
