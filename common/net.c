/* net: listening, accepting and connecting sockets; address formatting. */
#include "net.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <net/if.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ltime.h"

#define NET_BACKLOG	511	/* what the kernel caps somaxconn at anyway */
#define NET_LIVE_MS	500	/* how long a socket file has to answer */

int
net_nonblock(int fd)
{
	int fl;

	if ((fl = fcntl(fd, F_GETFL)) == -1 ||
	    fcntl(fd, F_SETFL, fl | O_NONBLOCK) == -1)
		return -1;
	if ((fl = fcntl(fd, F_GETFD)) == -1 ||
	    fcntl(fd, F_SETFD, fl | FD_CLOEXEC) == -1)
		return -1;
	return 0;
}

/* Close fd without touching errno: the caller reports the first error. */
static void
net_close_keep_errno(int fd)
{
	int saved = errno;

	close(fd);
	errno = saved;
}

int
net_addr_parse(const char *addr, unsigned port, union net_addr *out)
{
	union net_addr a;
	char host[INET6_ADDRSTRLEN];
	const char *pct = strchr(addr, '%');
	unsigned long scope = 0;
	size_t n = pct != NULL ? (size_t)(pct - addr) : strlen(addr);
	char *end;

	memset(&a, 0, sizeof a);
	if (pct == NULL && inet_pton(AF_INET, addr, &a.in.sin_addr) == 1) {
		a.in.sin_family = AF_INET;
		a.in.sin_port = htons((unsigned short)port);
		goto done;
	}
	if (n >= sizeof host)
		goto bad;
	memcpy(host, addr, n);
	host[n] = '\0';
	if (inet_pton(AF_INET6, host, &a.in6.sin6_addr) != 1)
		goto bad;
	if (pct != NULL) {
		/* "%eth0" names an interface, "%2" gives its index. */
		if (pct[1] >= '0' && pct[1] <= '9') {
			errno = 0;
			scope = strtoul(pct + 1, &end, 10);
			if (*end != '\0' || errno != 0 || scope > UINT32_MAX)
				goto bad;
		} else if (pct[1] == '\0' ||
		    (scope = if_nametoindex(pct + 1)) == 0)
			goto bad;
	}
	a.in6.sin6_family = AF_INET6;
	a.in6.sin6_port = htons((unsigned short)port);
	a.in6.sin6_scope_id = (uint32_t)scope;
done:
	if (out != NULL)
		*out = a;
	return 0;
bad:
	errno = EINVAL;
	return -1;
}

const char *
net_listen_why(const char *addr, int err)
{
	union net_addr a;

	if (err == EINVAL && net_addr_parse(addr, 0, &a) == -1)
		return "not a numeric IPv4 or IPv6 address";
	if (err == EINVAL && a.sa.sa_family == AF_INET6 &&
	    IN6_IS_ADDR_LINKLOCAL(&a.in6.sin6_addr) &&
	    a.in6.sin6_scope_id == 0)
		return "a link-local address needs an interface, as in "
		    "fe80::1%eth0";
	return strerror(err);
}

int
net_listen_tcp(const char *addr, unsigned port, char *name, size_t namelen)
{
	union net_addr a;
	socklen_t alen;
	int fd, on = 1, v6only;

	if (net_addr_parse(addr, port, &a) == -1)
		return -1;
	alen = a.sa.sa_family == AF_INET ? sizeof a.in : sizeof a.in6;
	if ((fd = socket(a.sa.sa_family, SOCK_STREAM, 0)) == -1)
		return -1;
	if (net_nonblock(fd) == -1)
		goto fail;
	if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof on) == -1)
		goto fail;
	if (a.sa.sa_family == AF_INET6) {
		/* "::" means every address, v4 included; anything else is v6. */
		v6only = !IN6_IS_ADDR_UNSPECIFIED(&a.in6.sin6_addr);
		if (setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &v6only,
		    sizeof v6only) == -1)
			goto fail;
	}
	if (bind(fd, &a.sa, alen) == -1 || listen(fd, NET_BACKLOG) == -1)
		goto fail;
	net_sock_name(fd, name, namelen);
	return fd;
fail:
	net_close_keep_errno(fd);
	return -1;
}

/*
 * Whether the socket file at a is stale, so that it may be replaced: only
 * when connecting to it is refused (ECONNREFUSED: nobody listens there).
 * The connect is non-blocking and waits at most NET_LIVE_MS, so a server
 * with a full backlog cannot stall the start. Returns 0 when stale, else
 * -1 with errno: EADDRINUSE when a server answers (or its backlog is
 * full), ETIMEDOUT when nothing answers in time, or connect()'s own
 * reason (EACCES: another user's socket; EPROTOTYPE: not a stream one).
 */
static int
net_unix_stale(const union net_addr *a)
{
	struct pollfd p;
	int64_t left = NET_LIVE_MS, start;
	socklen_t len;
	int fd, err, rc;

	if ((fd = socket(AF_UNIX, SOCK_STREAM, 0)) == -1)
		return -1;
	if (net_nonblock(fd) == -1) {
		net_close_keep_errno(fd);
		return -1;
	}
	if (connect(fd, &a->sa, sizeof a->un) == 0)
		err = EADDRINUSE;
	else if (errno == EAGAIN || errno == EWOULDBLOCK)
		err = EADDRINUSE;	/* Linux: a live server, backlog full */
	else if (errno != EINPROGRESS && errno != EINTR)
		err = errno;
	else {
		/* Wait for the answer, however many signals come meanwhile. */
		start = ltime_mono_ms();
		p.fd = fd;
		p.events = POLLOUT;
		do {
			rc = poll(&p, 1, (int)left);
			left = NET_LIVE_MS - (ltime_mono_ms() - start);
		} while (rc == -1 && errno == EINTR && left > 0);
		len = sizeof err;
		if (rc == 1 && getsockopt(fd, SOL_SOCKET, SO_ERROR, &err,
		    &len) == -1)
			err = errno;
		else if (rc == 1)
			err = err == 0 ? EADDRINUSE : err;
		else
			err = rc == 0 || errno == EINTR ? ETIMEDOUT : errno;
	}
	close(fd);
	if (err == ECONNREFUSED)
		return 0;
	errno = err;
	return -1;
}

int
net_listen_unix(const char *path, struct net_file *id)
{
	union net_addr a;
	struct stat st;
	int fd;

	memset(&a, 0, sizeof a);
	if (strlen(path) >= sizeof a.un.sun_path) {
		errno = ENAMETOOLONG;
		return -1;
	}
	a.un.sun_family = AF_UNIX;
	memcpy(a.un.sun_path, path, strlen(path) + 1);
	if (lstat(path, &st) == 0) {
		if (!S_ISSOCK(st.st_mode)) {
			errno = EEXIST;
			return -1;
		}
		if (net_unix_stale(&a) == -1 || unlink(path) == -1)
			return -1;
	}
	if ((fd = socket(AF_UNIX, SOCK_STREAM, 0)) == -1)
		return -1;
	if (net_nonblock(fd) == -1 || bind(fd, &a.sa, sizeof a.un) == -1) {
		net_close_keep_errno(fd);
		return -1;
	}
	/* The file bind() made: the one to remove at exit, and no other. */
	if (lstat(path, &st) == -1) {
		net_close_keep_errno(fd);
		return -1;
	}
	id->dev = st.st_dev;
	id->ino = st.st_ino;
	if (listen(fd, NET_BACKLOG) == -1) {
		net_close_keep_errno(fd);
		(void)net_unlink_unix(path, id);
		return -1;
	}
	return fd;
}

int
net_unlink_unix(const char *path, const struct net_file *id)
{
	struct stat st;
	int saved = errno;

	if (lstat(path, &st) == -1 || !S_ISSOCK(st.st_mode) ||
	    st.st_dev != id->dev || st.st_ino != id->ino) {
		errno = saved;
		return -1;
	}
	return unlink(path);
}

int
net_accept(int lfd, union net_addr *peer)
{
	socklen_t len = sizeof *peer;
	int fd, on = 1;

	memset(peer, 0, sizeof *peer);
	if ((fd = accept(lfd, &peer->sa, &len)) == -1)
		return -1;
	if (net_nonblock(fd) == -1) {
		net_close_keep_errno(fd);
		return -1;
	}
	if (peer->sa.sa_family == AF_INET || peer->sa.sa_family == AF_INET6)
		(void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &on, sizeof on);
	return fd;
}

size_t
net_addr_host(const union net_addr *a, unsigned char out[16])
{
	static const unsigned char mapped[12] = {
		0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff
	};
	const unsigned char *b;

	switch (a->sa.sa_family) {
	case AF_INET:
		memcpy(out, &a->in.sin_addr, 4);
		return 4;
	case AF_INET6:
		b = a->in6.sin6_addr.s6_addr;
		if (memcmp(b, mapped, sizeof mapped) == 0) {
			memcpy(out, b + 12, 4);
			return 4;
		}
		memcpy(out, b, 16);
		return 16;
	default:
		return 0;
	}
}

int
net_host_canon(const char *text, char *out, size_t outlen)
{
	union net_addr a;
	unsigned char host[16];
	size_t n;

	if (strchr(text, '%') != NULL || net_addr_parse(text, 0, &a) == -1)
		goto bad;
	n = net_addr_host(&a, host);
	if (inet_ntop(n == 4 ? AF_INET : AF_INET6, host, out,
	    (socklen_t)outlen) == NULL)
		goto bad;
	return 0;
bad:
	errno = EINVAL;
	return -1;
}

void
net_addr_format(const union net_addr *a, char *out, size_t outlen)
{
	char host[INET6_ADDRSTRLEN], scope[IF_NAMESIZE + 12];

	switch (a->sa.sa_family) {
	case AF_INET:
		inet_ntop(AF_INET, &a->in.sin_addr, host, sizeof host);
		snprintf(out, outlen, "%s:%u", host, ntohs(a->in.sin_port));
		break;
	case AF_INET6:
		inet_ntop(AF_INET6, &a->in6.sin6_addr, host, sizeof host);
		scope[0] = '\0';
		if (a->in6.sin6_scope_id != 0 &&
		    if_indextoname(a->in6.sin6_scope_id, scope + 1) != NULL)
			scope[0] = '%';
		else if (a->in6.sin6_scope_id != 0)
			snprintf(scope, sizeof scope, "%%%u",
			    (unsigned)a->in6.sin6_scope_id);
		snprintf(out, outlen, "[%s%s]:%u", host, scope,
		    ntohs(a->in6.sin6_port));
		break;
	case AF_UNIX:
		snprintf(out, outlen, "unix:%s", a->un.sun_path);
		break;
	default:
		snprintf(out, outlen, "unknown");
		break;
	}
}

void
net_sock_name(int fd, char *out, size_t outlen)
{
	union net_addr a;
	socklen_t len = sizeof a;

	memset(&a, 0, sizeof a);
	if (getsockname(fd, &a.sa, &len) == -1) {
		snprintf(out, outlen, "unknown");
		return;
	}
	net_addr_format(&a, out, outlen);
}

/* Connect a fresh socket of ai's family; -1 with errno on failure. */
static int
net_connect_one(int family, const struct sockaddr *sa, socklen_t len)
{
	int fd, on = 1, fl;

	if ((fd = socket(family, SOCK_STREAM, 0)) == -1)
		return -1;
	if ((fl = fcntl(fd, F_GETFD)) != -1)
		(void)fcntl(fd, F_SETFD, fl | FD_CLOEXEC);
	while (connect(fd, sa, len) == -1) {
		if (errno != EINTR) {
			net_close_keep_errno(fd);
			return -1;
		}
	}
	if (family != AF_UNIX)
		(void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &on, sizeof on);
	return fd;
}

int
net_connect(const char *host, const char *port, char *err, size_t errlen)
{
	struct addrinfo hints, *res, *ai;
	union net_addr a;
	int fd = -1, rc;

	if (host == NULL) {
		memset(&a, 0, sizeof a);
		if (strlen(port) >= sizeof a.un.sun_path) {
			snprintf(err, errlen, "%s: path too long", port);
			return -1;
		}
		a.un.sun_family = AF_UNIX;
		memcpy(a.un.sun_path, port, strlen(port) + 1);
		if ((fd = net_connect_one(AF_UNIX, &a.sa, sizeof a.un)) == -1)
			snprintf(err, errlen, "cannot connect to unix:%s: %s",
			    port, strerror(errno));
		return fd;
	}
	memset(&hints, 0, sizeof hints);
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	if ((rc = getaddrinfo(host, port, &hints, &res)) != 0) {
		/* The port may be the word it failed on: both are named. */
		snprintf(err, errlen, "cannot resolve %s port %s: %s", host,
		    port, gai_strerror(rc));
		return -1;
	}
	for (ai = res; ai != NULL; ai = ai->ai_next) {
		fd = net_connect_one(ai->ai_family, ai->ai_addr,
		    ai->ai_addrlen);
		if (fd != -1)
			break;
		snprintf(err, errlen, "cannot connect to %s port %s: %s",
		    host, port, strerror(errno));
	}
	freeaddrinfo(res);
	return fd;
}
