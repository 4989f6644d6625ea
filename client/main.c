/* lobby: the line-mode client: options into a config, then a session. */
#include <errno.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "link.h"
#include "proto.h"
#include "session.h"
#include "version.h"

#define LOBBY_HOST	"localhost"
#define LOBBY_TLS_PORT	"6697"		/* with --tls: IRC's TLS port */

/* ------------------------------------------------------------------ */
/* Command line                                                        */
/* ------------------------------------------------------------------ */

static void
usage(FILE *f)
{
	fprintf(f, "usage: lobby [-n NICK] [-u PATH] [-p PORT] [--no-color] "
	    "[--timestamps]\n"
	    "             [--quiet-notices] [--max-line BYTES]\n"
	    "             [--tls [--ca FILE | --insecure]] [HOST [PORT]]\n"
	    "       lobby --help | --version\n"
	    "\n"
	    "  -n, --nick NICK       take this nick on joining (/nick NICK)\n"
	    "  -u, --unix PATH       connect to the Unix-domain socket PATH\n"
	    "  -p, --port PORT       the server's port (as the PORT argument)\n"
	    "      --no-color        no colours (also: NO_COLOR set)\n"
	    "      --timestamps      show HH:MM before each line\n"
	    "      --quiet-notices   hide others' joins, leaves and renames "
	    "(/notices)\n"
	    "      --max-line BYTES  the server's longest line (default "
	    PROTO_XSTR(PROTO_MAX_LINE) ");\n"
	    "                        longer ones are not sent\n"
	    "      --tls             connect over TLS (default port "
	    LOBBY_TLS_PORT "), checking\n"
	    "                        the server's certificate and name\n"
	    "      --ca FILE         trust the CAs in FILE (PEM) instead of "
	    "the system's\n"
	    "      --insecure        with --tls: check nothing (said on "
	    "stderr)\n"
	    "  HOST [PORT]           server name or address; default "
	    LOBBY_HOST " " PROTO_PORT_STR "\n");
}

/*
 * The value of option opt at argv[*i]: "-n NICK", "-nNICK", "--nick NICK"
 * or "--nick=NICK". NULL (after a message) when it is missing.
 */
static const char *
opt_value(int argc, char **argv, int *i, const char *eq)
{
	if (eq != NULL)
		return eq;
	if (*i + 1 >= argc) {
		fprintf(stderr, "lobby: option %s needs a value\n", argv[*i]);
		return NULL;
	}
	return argv[++*i];
}

/* Is s a TCP port number 1-65535 when it is numeric at all? */
static bool
port_ok(const char *s)
{
	char *end;
	long v;

	if (s[0] == '\0')
		return false;
	if (strspn(s, "0123456789") != strlen(s))
		return true;	/* a service name: getaddrinfo() decides */
	errno = 0;
	v = strtol(s, &end, 10);
	return errno == 0 && *end == '\0' && v >= 1 && v <= 65535;
}

/* Is s a number lo-hi? It goes to *v. */
static bool
size_ok(const char *s, unsigned long lo, unsigned long hi, size_t *v)
{
	unsigned long n;
	char *end;

	if (s[0] < '0' || s[0] > '9')
		return false;
	errno = 0;
	n = strtoul(s, &end, 10);
	if (errno != 0 || *end != '\0' || n < lo || n > hi)
		return false;
	*v = (size_t)n;
	return true;
}

/* Fill o from argv. Returns 0, 1 when done (help, version), -1 on error. */
static int
parse_args(int argc, char **argv, struct sess_options *o)
{
	const char *pos[2], *a, *eq, **dst, *maxline = NULL, *port = NULL;
	char name[16];
	int i, npos = 0;
	bool opts = true;
	size_t k;

	for (i = 1; i < argc; i++) {
		a = argv[i];
		if (!opts || a[0] != '-' || a[1] == '\0') {
			if (npos == 2) {
				fprintf(stderr, "lobby: too many arguments\n");
				return -1;
			}
			pos[npos++] = a;
			continue;
		}
		if (strcmp(a, "--") == 0) {
			opts = false;
			continue;
		}
		/* Split "--opt=value" and "-xvalue". */
		eq = NULL;
		if (a[1] == '-') {
			k = strcspn(a, "=");
			if (a[k] == '=')
				eq = a + k + 1;
		} else {
			k = 2;
			if (a[2] != '\0')
				eq = a + 2;
		}
		if (k >= sizeof name)
			k = sizeof name - 1;
		memcpy(name, a, k);
		name[k] = '\0';
		dst = NULL;
		if (strcmp(name, "-n") == 0 || strcmp(name, "--nick") == 0)
			dst = &o->nick;
		else if (strcmp(name, "-u") == 0 ||
		    strcmp(name, "--unix") == 0)
			dst = &o->unix_path;
		else if (strcmp(name, "-p") == 0 ||
		    strcmp(name, "--port") == 0)
			dst = &port;
		else if (strcmp(name, "--max-line") == 0)
			dst = &maxline;
		else if (strcmp(name, "--ca") == 0)
			dst = &o->tls.ca;
		else if (eq == NULL && strcmp(a, "--tls") == 0)
			o->tls.on = true;
		else if (eq == NULL && strcmp(a, "--insecure") == 0)
			o->tls.insecure = true;
		else if (eq == NULL && strcmp(a, "--quiet-notices") == 0)
			o->quiet = true;
		else if (eq == NULL && strcmp(a, "--no-color") == 0)
			o->color = false;
		else if (eq == NULL && strcmp(a, "--timestamps") == 0)
			o->stamps = true;
		else if (eq == NULL && (strcmp(a, "--help") == 0 ||
		    strcmp(a, "-h") == 0)) {
			usage(stdout);
			return 1;
		} else if (eq == NULL && (strcmp(a, "--version") == 0 ||
		    strcmp(a, "-V") == 0)) {
			printf("lobby %s\n", LOBBY_VERSION);
			return 1;
		} else {
			fprintf(stderr, "lobby: unknown option %s\n", a);
			return -1;
		}
		if (dst != NULL && (*dst = opt_value(argc, argv, &i, eq)) ==
		    NULL)
			return -1;
	}
	if (o->unix_path != NULL && npos > 0) {
		fprintf(stderr, "lobby: -u and HOST do not go together\n");
		return -1;
	}
	if ((o->tls.ca != NULL || o->tls.insecure) && !o->tls.on) {
		fprintf(stderr, "lobby: --ca and --insecure go with --tls\n");
		return -1;
	}
	if (o->tls.ca != NULL && o->tls.insecure) {
		fprintf(stderr, "lobby: --ca and --insecure do not go "
		    "together\n");
		return -1;
	}
	if (o->tls.on && o->unix_path != NULL) {
		fprintf(stderr, "lobby: --tls and -u do not go together\n");
		return -1;
	}
	if (o->tls.on && !link_tls_built()) {
		fprintf(stderr, "lobby: --tls: built without TLS support "
		    "(OpenSSL)\n");
		return -1;
	}
	if (o->tls.on)
		o->port = LOBBY_TLS_PORT;
	if (npos > 0)
		o->host = pos[0];
	if (npos > 1 && port != NULL) {
		fprintf(stderr, "lobby: -p and PORT do not go together\n");
		return -1;
	}
	if (npos > 1)
		o->port = pos[1];
	if (port != NULL)
		o->port = port;
	if (o->nick != NULL && !link_nick_valid(o->nick)) {
		fprintf(stderr, "lobby: invalid nick: %s ("
		    PROTO_NICK_RULE ")\n", o->nick);
		return -1;
	}
	if (maxline != NULL && !size_ok(maxline, 1, 1048576, &o->max_line)) {
		fprintf(stderr, "lobby: invalid --max-line: %s (1-1048576 "
		    "bytes)\n", maxline);
		return -1;
	}
	if (!port_ok(o->port)) {
		fprintf(stderr, "lobby: invalid port: %s\n", o->port);
		return -1;
	}
	return 0;
}

int
main(int argc, char **argv)
{
	struct sess_options o = { NULL, NULL, LOBBY_HOST, PROTO_PORT_STR, true,
	    false, false, PROTO_MAX_LINE, { false, NULL, false } };
	const char *nc = getenv("NO_COLOR");
	int r;

	/* https://no-color.org: set and not empty means no colour. */
	if (nc != NULL && nc[0] != '\0')
		o.color = false;
	if ((r = parse_args(argc, argv, &o)) != 0) {
		if (r == -1) {
			usage(stderr);
			return 2;
		}
		/* --help or --version: all of it written, or say why not. */
		if (fflush(stdout) == 0 && !ferror(stdout))
			return 0;
		fprintf(stderr, "lobby: cannot write to standard output: %s\n",
		    strerror(errno));
		return 1;
	}
	if (o.tls.insecure)
		fprintf(stderr, "lobby: --insecure: the server's certificate "
		    "is not checked: anyone between could read and change "
		    "everything\n");
	/* A dead socket or reader shows up as EPIPE, not as death. */
	signal(SIGPIPE, SIG_IGN);
	return sess_run(&o);
}
