/* net: listening, accepting and connecting sockets; address formatting. */
#include "net.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define NET_BACKLOG	511	/* what the kernel caps somaxconn at anyway */

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
net_listen_tcp(const char *addr, unsigned port, char *name, size_t namelen)
{
	union net_addr a;
	socklen_t alen;
	int fd, on = 1, v6only;

	memset(&a, 0, sizeof a);
	if (inet_pton(AF_INET, addr, &a.in.sin_addr) == 1) {
		a.in.sin_family = AF_INET;
		a.in.sin_port = htons((unsigned short)port);
		alen = sizeof a.in;
	} else if (inet_pton(AF_INET6, addr, &a.in6.sin6_addr) == 1) {
		a.in6.sin6_family = AF_INET6;
		a.in6.sin6_port = htons((unsigned short)port);
		alen = sizeof a.in6;
	} else {
		errno = EINVAL;
		return -1;
	}
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

/* Is a server answering on the Unix socket at a? 1 yes, 0 no (stale). */
static int
net_unix_live(const union net_addr *a)
{
	int fd, live;

	if ((fd = socket(AF_UNIX, SOCK_STREAM, 0)) == -1)
		return -1;
	live = connect(fd, &a->sa, sizeof a->un) == 0 || errno == EAGAIN;
	close(fd);
	return live;
}

int
net_listen_unix(const char *path)
{
	union net_addr a;
	struct stat st;
	int fd, live;

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
		if ((live = net_unix_live(&a)) == -1)
			return -1;
		if (live) {
			errno = EADDRINUSE;
			return -1;
		}
		if (unlink(path) == -1)
			return -1;
	}
	if ((fd = socket(AF_UNIX, SOCK_STREAM, 0)) == -1)
		return -1;
	if (net_nonblock(fd) == -1 || bind(fd, &a.sa, sizeof a.un) == -1 ||
	    listen(fd, NET_BACKLOG) == -1) {
		net_close_keep_errno(fd);
		return -1;
	}
	return fd;
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

void
net_addr_format(const union net_addr *a, char *out, size_t outlen)
{
	char host[INET6_ADDRSTRLEN];

	switch (a->sa.sa_family) {
	case AF_INET:
		inet_ntop(AF_INET, &a->in.sin_addr, host, sizeof host);
		snprintf(out, outlen, "%s:%u", host, ntohs(a->in.sin_port));
		break;
	case AF_INET6:
		inet_ntop(AF_INET6, &a->in6.sin6_addr, host, sizeof host);
		snprintf(out, outlen, "[%s]:%u", host,
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
		snprintf(err, errlen, "cannot resolve %s: %s", host,
		    gai_strerror(rc));
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
