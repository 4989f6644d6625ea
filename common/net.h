/* net: listening, accepting and connecting sockets; address formatting. */
#ifndef LOBBY_NET_H
#define LOBBY_NET_H

#include <stdbool.h>
#include <stddef.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <sys/un.h>

/* Any address lobby deals with: IPv4, IPv6 or a Unix-domain path. */
union net_addr {
	struct sockaddr		sa;	/* the family is here */
	struct sockaddr_in	in;	/* AF_INET */
	struct sockaddr_in6	in6;	/* AF_INET6 */
	struct sockaddr_un	un;	/* AF_UNIX */
	struct sockaddr_storage	ss;	/* room for any of them */
};

/* Which file a path named when it was created: device and inode. */
struct net_file {
	dev_t		 dev;		/* st_dev */
	ino_t		 ino;		/* st_ino */
};

/* Longest text net_addr_format() writes: "[v6 address]:65535" or a path. */
#define NET_ADDRSTRLEN	(sizeof(((struct sockaddr_un *)0)->sun_path) + 8)

/* Make fd non-blocking and close-on-exec. Returns 0 or -1 with errno. */
int	net_nonblock(int fd);

/*
 * Parse a numeric address: dotted IPv4 ("127.0.0.1", all four parts), or
 * IPv6 with an optional scope, an interface name or index ("::1",
 * "fe80::1%eth0", "fe80::1%2"), with port into *out (unless out is NULL).
 * Returns 0, or -1 with errno EINVAL when addr is not one of those (an
 * unknown interface included).
 */
int	net_addr_parse(const char *addr, unsigned port, union net_addr *out);

/*
 * Why listening on addr failed with errno err, in words: strerror(err),
 * or a plainer reason where err alone would mislead (an address that does
 * not parse; a link-local IPv6 address without its interface). The text
 * is static.
 */
const char	*net_listen_why(const char *addr, int err);

/*
 * Listen on TCP at the numeric address addr (as net_addr_parse() takes:
 * "127.0.0.1", "::1", "::", "0.0.0.0", "fe80::1%eth0") and port (0: the
 * kernel picks one). "::" is dual-stack, any other IPv6 address
 * IPv6-only. The socket is non-blocking and close-on-exec. On success
 * returns the fd and writes the bound address ("127.0.0.1:12580",
 * "[::1]:12580", "[fe80::1%eth0]:12580") to name. On failure returns -1
 * with errno (EAFNOSUPPORT/EADDRNOTAVAIL where the address family or the
 * address is missing; EINVAL for an address that does not parse, or one
 * bind() refuses); net_listen_why() turns it into words.
 */
int	net_listen_tcp(const char *addr, unsigned port, char *name,
	    size_t namelen);

/*
 * Listen on a Unix-domain socket at path. A socket file there is replaced
 * only when it is stale: connecting to it is refused (ECONNREFUSED). Any
 * other answer leaves it alone and fails: EADDRINUSE when a server answers
 * (even with its backlog full), ETIMEDOUT when nothing answers within a
 * short non-blocking wait, or connect()'s reason (EACCES, EPROTOTYPE for a
 * datagram socket...). A path that exists but is not a socket fails with
 * EEXIST. Returns the fd (non-blocking, close-on-exec) or -1 with errno.
 * The socket file's device and inode go to *id, for net_unlink_unix().
 */
int	net_listen_unix(const char *path, struct net_file *id);

/*
 * Remove the socket file at path if it is still the one id names (same
 * device and inode, still a socket): a file that replaced it since, or
 * another server's socket, stays. Returns 0 if removed, else -1.
 */
int	net_unlink_unix(const char *path, const struct net_file *id);

/*
 * Accept one connection: the new fd is non-blocking and close-on-exec,
 * and TCP_NODELAY is set on TCP. Returns the fd or -1 with errno
 * (EAGAIN when nobody is waiting).
 */
int	net_accept(int lfd, union net_addr *peer);

/*
 * The host of a, in network order, into out: an IPv4 address as its 4
 * bytes, an IPv4-mapped IPv6 address (::ffff:1.2.3.4, what a dual-stack
 * listener reports for an IPv4 client) as that IPv4 address's 4, any
 * other IPv6 address as its 16 (the scope is not part of it). Returns how
 * many bytes, 0 for a Unix-domain address. One host is one value however
 * it came in or is spelt: whatever compares hosts compares these.
 */
size_t	net_addr_host(const union net_addr *a, unsigned char out[16]);

/*
 * Write the canonical text of the numeric host address text (IPv4 or
 * IPv6, no scope, no port) into out: the host net_addr_host() gives, as
 * inet_ntop() prints it, so that "::ffff:127.0.0.4" is "127.0.0.4" and
 * "0:0:0:0:0:0:0:1" is "::1". Returns 0, or -1 with errno EINVAL when text
 * is not such an address or out is too short.
 */
int	net_host_canon(const char *text, char *out, size_t outlen);

/* Write a printable form of a: "1.2.3.4:5", "[::1]:5" or "unix:PATH". */
void	net_addr_format(const union net_addr *a, char *out, size_t outlen);

/* Write the local address fd is bound to, as net_addr_format() does. */
void	net_sock_name(int fd, char *out, size_t outlen);

/*
 * Connect to host (name or numeric address) and port, trying each
 * address getaddrinfo() gives in turn; or, with host NULL, to the
 * Unix-domain socket at port. Blocks until connected. The fd returned is
 * close-on-exec and still blocking; TCP_NODELAY is set on TCP. On failure
 * returns -1 and writes the reason to err.
 */
int	net_connect(const char *host, const char *port, char *err,
	    size_t errlen);

#endif /* LOBBY_NET_H */
