/* harness: start the real lobbyd on -p 0 and talk to it over real sockets. */
#include "harness.h"

#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <setjmp.h>
#include <cmocka.h>

#include "hostport.h"
#include "ltime.h"

#define H_MAX_ARGS	64
#define H_SERVERS	16	/* most lobbyd one test runs at once */
#define H_CHILDREN	8	/* most other children one test starts */

static void	h_start_failed(struct h_server *);
static char	*h_log_report(const char *);

long long
h_now_ms(void)
{
	return ltime_mono_ms();
}

void
h_sleep_ms(int ms)
{
	struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000 };

	while (nanosleep(&ts, &ts) == -1 && errno == EINTR)
		;
}

/* 5000, scaled by $LOBBY_TIMEOUT_SCALE (1 to 100) when that is set. */
int
h_timeout_ms(void)
{
	const char *e = getenv("LOBBY_TIMEOUT_SCALE");
	int scale = e != NULL ? atoi(e) : 1;

	if (scale < 1 || scale > 100)
		scale = 1;
	return 5000 * scale;
}

const char *
h_lobbyd_path(void)
{
	const char *p = getenv("LOBBYD");

	return p != NULL ? p : "lobbyd";
}

const char *
h_loop(void)
{
	const char *p = getenv("LOBBY_LOOP");

	return p != NULL && *p != '\0' ? p : NULL;
}

/* The lobby client to run: $LOBBY, else "lobby" from the PATH. */
const char *
h_lobby_path(void)
{
	const char *p = getenv("LOBBY");

	return p != NULL ? p : "lobby";
}

char *
h_log(struct h_server *s)
{
	FILE *f = fopen(s->logpath, "r");
	char *text;
	long n;

	if (f == NULL)
		return strdup("");
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	fseek(f, 0, SEEK_SET);
	if (n < 0)
		n = 0;
	text = calloc(1, (size_t)n + 1);
	if (text != NULL && n > 0)
		n = (long)fread(text, 1, (size_t)n, f);
	if (text != NULL)
		text[n] = '\0';
	fclose(f);
	return text;
}

bool
h_log_after(struct h_server *s, const char *key, int nth, char *out,
    size_t size, int ms)
{
	long long end = h_now_ms() + ms;

	for (;;) {
		char *text = h_log(s), *p = text;
		const char *nl = NULL;
		int i;

		for (i = 0; i <= nth && p != NULL; i++)
			if ((p = strstr(p, key)) != NULL)
				p += strlen(key);
		/* Only a whole line: one still being written is the last. */
		if (p != NULL && (nl = strchr(p, '\n')) != NULL)
			snprintf(out, size, "%.*s", (int)(nl - p), p);
		free(text);
		if (nl != NULL)
			return true;
		if (h_now_ms() >= end)
			return false;
		h_sleep_ms(10);
	}
}

bool
h_log_has(struct h_server *s, const char *needle, int ms)
{
	long long end = h_now_ms() + ms;
	char *text;
	bool found;

	for (;;) {
		text = h_log(s);
		found = text != NULL && strstr(text, needle) != NULL;
		free(text);
		if (found || h_now_ms() >= end)
			return found;
		h_sleep_ms(10);
	}
}

/* Read the listening lines out of the log; 1 when all are there. */
static int
h_parse_listening(struct h_server *s, int want)
{
	char *text = h_log(s), *p, addr[512];
	struct hostport hp;
	const char *why;
	int seen = 0;

	s->port = s->port6 = 0;
	s->unix_path[0] = '\0';
	for (p = text; p != NULL && (p = strstr(p, "listening on ")) != NULL;
	    p++) {
		const char *a = p + strlen("listening on ");
		size_t n = strcspn(a, "\n");

		/* A line still being written (stderr is unbuffered: under
		 * valgrind its pieces come apart) is not seen yet. */
		if (a[n] != '\n')
			break;
		seen++;
		/* HOST:PORT, [V6]:PORT or unix:PATH; a web listener's URL
		 * (http://...) is none of them. */
		if (n >= sizeof addr)
			continue;
		memcpy(addr, a, n);
		addr[n] = '\0';
		if (hostport_parse(addr, HOSTPORT_UNIX | HOSTPORT_PORT0, &hp,
		    &why) == -1)
			continue;
		if (hp.is_unix) {
			if (strlen(hp.path) < sizeof s->unix_path)
				strcpy(s->unix_path, hp.path);
		} else if (hp.bracketed) {
			if (s->port6 == 0)
				s->port6 = hp.port;
			if (s->port == 0 && strcmp(hp.host, "::1") != 0)
				s->port = hp.port;
		} else if (s->port == 0)
			s->port = hp.port;
	}
	free(text);
	return seen >= want;
}

/* How many listeners the arguments ask for: one per -b or -u, else 2. */
static int
h_listeners_wanted(const char *const *args)
{
	int b = 0, u = 0;

	for (; *args != NULL; args++) {
		if (strcmp(*args, "-b") == 0 || strncmp(*args, "--bind", 6) == 0)
			b++;
		else if (strcmp(*args, "-u") == 0)
			u++;
	}
	return (b ? b : 1) + u;
}

int
h_startv(struct h_server *s, const char *const *args)
{
	const char *argv[H_MAX_ARGS];
	long long end;
	int n = 0, fd, want;
	bool loop = true;

	memset(s, 0, sizeof *s);
	s->pid = -1;
	snprintf(s->logpath, sizeof s->logpath, "/tmp/lobbyd-test-XXXXXX");
	if ((fd = mkstemp(s->logpath)) == -1)
		return -1;
	argv[n++] = h_lobbyd_path();
	argv[n++] = "-p";
	argv[n++] = "0";
	for (; *args != NULL && n < H_MAX_ARGS - 3; args++) {
		if (strncmp(*args, "--loop", 6) == 0)
			loop = false;
		argv[n++] = *args;
	}
	/* The backend the run asks for, unless the test chose one. */
	if (loop && h_loop() != NULL) {
		argv[n++] = "--loop";
		argv[n++] = h_loop();
	}
	argv[n] = NULL;
	want = h_listeners_wanted(argv + 3);
	fflush(NULL);
	if ((s->pid = fork()) == -1) {
		close(fd);
		return -1;
	}
	if (s->pid == 0) {
		dup2(fd, STDERR_FILENO);
		close(fd);
		execv(argv[0], (char *const *)argv);
		fprintf(stderr, "cannot run %s: %s\n", argv[0],
		    strerror(errno));
		_exit(127);
	}
	close(fd);
	h_track(s);
	/* Without -b the ::1 listener may be missing: then 1 line will do. */
	end = h_now_ms() + H_TIMEOUT_MS;
	while (h_now_ms() < end) {
		if (h_parse_listening(s, want))
			return 0;
		if (waitpid(s->pid, &s->status, WNOHANG) == s->pid) {
			s->pid = -1;
			h_start_failed(s);
			return -1;
		}
		if (want == 2 && h_log_has(s, "no IPv6 loopback", 0) &&
		    h_parse_listening(s, 1))
			return 0;
		h_sleep_ms(5);
	}
	(void)h_stop_sig(s, SIGKILL);
	h_start_failed(s);
	return -1;
}

int
h_start(struct h_server *s, ...)
{
	const char *args[H_MAX_ARGS];
	va_list ap;
	int n = 0;

	va_start(ap, s);
	while (n < H_MAX_ARGS - 1 && (args[n] = va_arg(ap, const char *)) != NULL)
		n++;
	va_end(ap);
	args[n] = NULL;
	return h_startv(s, args);
}

/*
 * The fixture's record of one test: each lobbyd it started (by its log,
 * which is unique) and each other child. Cleared by h_setup(), checked
 * and emptied by h_finish(). The harness's only state beyond a test's.
 */
static struct {
	struct {
		pid_t	 pid;		/* running, or -1 once reaped */
		int	 status;	/* wait status once reaped */
		char	 logpath[64];	/* its stderr; "" for a free slot */
	} server[H_SERVERS];
	pid_t	 child[H_CHILDREN];	/* children to kill, or 0 */
	bool	 bad;			/* a report seen already */
} h_rec;

/* Markers a sanitizer's report starts with, in lobbyd's stderr. */
static const char *const h_report_marks[] = {
	"runtime error: ",		/* UndefinedBehaviorSanitizer */
	"ERROR: AddressSanitizer",
	"ERROR: LeakSanitizer",
	"WARNING: AddressSanitizer",
	"ERROR: UndefinedBehaviorSanitizer",
	"SUMMARY: ",			/* every sanitizer's last line */
};

/* Note that pid was reaped with status, should it be a lobbyd or child. */
static void
h_reaped(pid_t pid, int status)
{
	size_t i;

	for (i = 0; i < H_SERVERS; i++)
		if (h_rec.server[i].logpath[0] != '\0' &&
		    h_rec.server[i].pid == pid) {
			h_rec.server[i].pid = -1;
			h_rec.server[i].status = status;
		}
	for (i = 0; i < H_CHILDREN; i++)
		if (h_rec.child[i] == pid)
			h_rec.child[i] = 0;
}

/* Record s, just started; fails the test if the record is full. */
void
h_track(struct h_server *s)
{
	size_t i;

	for (i = 0; i < H_SERVERS; i++)
		if (h_rec.server[i].logpath[0] == '\0') {
			h_rec.server[i].pid = s->pid;
			h_rec.server[i].status = 0;
			snprintf(h_rec.server[i].logpath,
			    sizeof h_rec.server[i].logpath, "%s", s->logpath);
			return;
		}
	/* Not left running unwatched: the test fails, and lobbyd goes. */
	h_kill_child(&s->pid, &s->status);
	fail_msg("more than %d lobbyd running in one test", H_SERVERS);
}

/*
 * A lobbyd that did not start has exited: its status is the test's to
 * check, and its log stays for the test to read; a sanitizer report in
 * it is quoted now and fails the test at h_finish(). It is forgotten.
 */
static void
h_start_failed(struct h_server *s)
{
	char *report = h_log_report(s->logpath);
	size_t i;

	if (report != NULL) {
		print_error("lobbyd, failing to start, left a sanitizer "
		    "report:\n%s\n", report);
		free(report);
		h_rec.bad = true;
	}
	for (i = 0; i < H_SERVERS; i++)
		if (strcmp(h_rec.server[i].logpath, s->logpath) == 0)
			h_rec.server[i].logpath[0] = '\0';
}

/* Record a child for h_finish() to kill. */
void
h_track_child(pid_t pid)
{
	size_t i;

	for (i = 0; i < H_CHILDREN; i++)
		if (h_rec.child[i] == 0) {
			h_rec.child[i] = pid;
			return;
		}
	fail_msg("more than %d children in one test", H_CHILDREN);
}

/* Where the first sanitizer report in text starts (its line), or NULL. */
static const char *
h_find_report(const char *text)
{
	const char *at = NULL, *p;
	size_t i;

	for (i = 0; i < sizeof h_report_marks / sizeof h_report_marks[0]; i++)
		if ((p = strstr(text, h_report_marks[i])) != NULL &&
		    (at == NULL || p < at))
			at = p;
	while (at != NULL && at > text && at[-1] != '\n')
		at--;
	return at;
}

/*
 * The first sanitizer report in the log at path, from its first line on
 * (at most 4 KiB), malloc'd; NULL when there is none.
 */
static char *
h_log_report(const char *path)
{
	struct h_server tmp;
	const char *at;
	char *text, *r = NULL;

	memset(&tmp, 0, sizeof tmp);
	snprintf(tmp.logpath, sizeof tmp.logpath, "%s", path);
	if ((text = h_log(&tmp)) == NULL)
		return NULL;
	if ((at = h_find_report(text)) != NULL)
		r = strndup(at, 4096);
	free(text);
	return r;
}

/* Fail at file:line, quoting it, when text holds a sanitizer report. */
void
h_no_report_at(const char *text, const char *file, int line)
{
	const char *at = h_find_report(text);

	if (at == NULL)
		return;
	print_error("%s:%d: lobbyd's stderr holds a sanitizer report:\n"
	    "%.4096s\n", file, line, at);
	_fail(file, line);
}

/*
 * Check the recorded server with log path and forget it: its exit status
 * when it was stopped by SIGTERM here (want_exit), and its log. Returns 0,
 * or -1 after printing what is wrong (at file:line when file is set).
 */
static int
h_check(const char *path, bool want_exit, int status, const char *file,
    int line)
{
	char *report = h_log_report(path);
	char where[256];
	int bad = 0;
	size_t i;

	if (file != NULL)
		snprintf(where, sizeof where, "%s:%d", file, line);
	else
		snprintf(where, sizeof where, "at teardown");
	if (want_exit && (status == -1 || !WIFEXITED(status) ||
	    WEXITSTATUS(status) != 0)) {
		if (status != -1 && WIFSIGNALED(status))
			print_error("%s: lobbyd was killed by signal %d, "
			    "not a clean exit 0\n", where, WTERMSIG(status));
		else if (status != -1)
			print_error("%s: lobbyd exited %d after SIGTERM, "
			    "not 0\n", where, WEXITSTATUS(status));
		else
			print_error("%s: lobbyd did not exit after SIGTERM\n",
			    where);
		bad = 1;
	}
	if (report != NULL) {
		print_error("%s: lobbyd's stderr holds a sanitizer "
		    "report:\n%s\n", where, report);
		free(report);
		bad = 1;
	}
	/* Unlinked first: path may be the record's own copy, cleared next. */
	if (getenv("H_KEEP_LOG") == NULL)
		unlink(path);
	for (i = 0; i < H_SERVERS; i++)
		if (strcmp(h_rec.server[i].logpath, path) == 0)
			h_rec.server[i].logpath[0] = '\0';
	return bad ? -1 : 0;
}

/* Wait (bounded) for pid to exit; 0 once it is reaped, -1 if not. */
int
h_wait_pid(pid_t pid, int *status, int ms)
{
	long long end = h_now_ms() + ms;
	int st = 0;
	pid_t r;

	for (;;) {
		r = waitpid(pid, &st, WNOHANG);
		if (r == pid) {
			h_reaped(pid, st);
			if (status != NULL)
				*status = st;
			return 0;
		}
		if ((r == -1 && errno != EINTR) || h_now_ms() >= end)
			return -1;
		h_sleep_ms(5);
	}
}

/* Kill a child and reap it at once; *pid is -1 afterwards. */
void
h_kill_child(pid_t *pid, int *status)
{
	int st = 0;

	if (*pid > 0) {
		kill(*pid, SIGKILL);
		if (waitpid(*pid, &st, 0) == *pid)
			h_reaped(*pid, st);
		if (status != NULL)
			*status = st;
	}
	*pid = -1;
}

/* Signal the server and wait for it; its wait status, or -1 (killed). */
int
h_stop_sig(struct h_server *s, int sig)
{
	if (s->pid <= 0)
		return -1;
	kill(s->pid, sig);
	if (h_wait_pid(s->pid, &s->status, H_TIMEOUT_MS) == 0) {
		s->pid = -1;
		return s->status;
	}
	h_kill_child(&s->pid, &s->status);
	return -1;
}

/* The server's own exit, awaited; fails the test if it does not come. */
int
h_wait_exit(struct h_server *s, int ms)
{
	if (h_wait_pid(s->pid, &s->status, ms) == -1)
		fail_msg("lobbyd did not exit within %d ms", ms);
	s->pid = -1;
	return s->status;
}

/* SIGTERM, a clean exit 0 and a clean log, or the test fails here. */
void
h_stop_at(struct h_server *s, const char *file, int line)
{
	bool running = s->pid > 0;
	int status = 0;

	if (running)
		status = h_stop_sig(s, SIGTERM);
	if (s->logpath[0] == '\0')
		return;
	if (h_check(s->logpath, running, status, file, line) == -1) {
		s->logpath[0] = '\0';
		_fail(file, line);
	}
	s->logpath[0] = '\0';
}

/* A fresh server for the test in *state; -1 when out of memory. */
int
h_setup(void **state)
{
	struct h_server *s;

	memset(&h_rec, 0, sizeof h_rec);
	if ((s = calloc(1, sizeof *s)) == NULL)
		return -1;
	s->pid = -1;
	*state = s;
	return 0;
}

/* A fresh server, started with no options; -1 if it did not start. */
int
h_setup_started(void **state)
{
	if (h_setup(state) == -1)
		return -1;
	return h_start(*state, NULL);
}

/* Kill the children left, stop and check every lobbyd of the test. */
int
h_finish(void)
{
	int bad = h_rec.bad, status;
	size_t i;

	for (i = 0; i < H_CHILDREN; i++)
		if (h_rec.child[i] > 0) {
			pid_t pid = h_rec.child[i];

			h_kill_child(&pid, NULL);
		}
	for (i = 0; i < H_SERVERS; i++) {
		bool running;

		if (h_rec.server[i].logpath[0] == '\0')
			continue;
		running = h_rec.server[i].pid > 0;
		status = h_rec.server[i].status;
		if (running) {
			/* A test that stopped lobbyd (SIGSTOP) may have
			 * failed before waking it. */
			(void)kill(h_rec.server[i].pid, SIGCONT);
			(void)kill(h_rec.server[i].pid, SIGTERM);
			if (h_wait_pid(h_rec.server[i].pid, &status,
			    H_TIMEOUT_MS) == -1) {
				pid_t pid = h_rec.server[i].pid;

				h_kill_child(&pid, NULL);
				status = -1;
			}
		}
		if (h_check(h_rec.server[i].logpath, running, status, NULL,
		    0) == -1)
			bad = 1;
	}
	memset(&h_rec, 0, sizeof h_rec);
	return bad ? -1 : 0;
}

/* h_finish(), then free the server of h_setup(). */
int
h_teardown(void **state)
{
	int r = h_finish();

	free(*state);
	*state = NULL;
	return r;
}

static struct h_conn *
h_conn_new(int fd)
{
	struct h_conn *c;

	if (fd == -1)
		return NULL;
	if ((c = calloc(1, sizeof *c)) == NULL) {
		close(fd);
		return NULL;
	}
	c->fd = fd;
	return c;
}

/*
 * Fill *a with the numeric address addr and port; returns its length, or
 * 0 when addr is neither IPv4 nor IPv6.
 */
static socklen_t
tcp_addr(const char *addr, unsigned port, struct sockaddr_storage *a)
{
	struct sockaddr_in6 *a6 = (struct sockaddr_in6 *)a;
	struct sockaddr_in *a4 = (struct sockaddr_in *)a;

	memset(a, 0, sizeof *a);
	if (inet_pton(AF_INET, addr, &a4->sin_addr) == 1) {
		a4->sin_family = AF_INET;
		a4->sin_port = htons((uint16_t)port);
		return sizeof *a4;
	}
	if (inet_pton(AF_INET6, addr, &a6->sin6_addr) == 1) {
		a6->sin6_family = AF_INET6;
		a6->sin6_port = htons((uint16_t)port);
		return sizeof *a6;
	}
	return 0;
}

struct h_conn *
h_connect_tcp_from(const char *addr, unsigned port, const char *from)
{
	struct sockaddr_storage to, src;
	socklen_t tolen, srclen = 0;
	int fd;

	if ((tolen = tcp_addr(addr, port, &to)) == 0 ||
	    (from != NULL && (srclen = tcp_addr(from, 0, &src)) == 0))
		return h_conn_new(-1);
	if ((fd = socket(to.ss_family, SOCK_STREAM, 0)) == -1)
		return h_conn_new(-1);
	if ((from != NULL && bind(fd, (struct sockaddr *)&src,
	    srclen) == -1) || connect(fd, (struct sockaddr *)&to,
	    tolen) == -1) {
		close(fd);
		fd = -1;
	}
	return h_conn_new(fd);
}

struct h_conn *
h_connect_tcp(const char *addr, unsigned port)
{
	return h_connect_tcp_from(addr, port, NULL);
}

/* A TCP connection to 127.0.0.1:port, without an h_conn; sockflags
 * adds SOCK_NONBLOCK for one left under way. */
static int
raw_connect(unsigned port, int sockflags)
{
	struct sockaddr_in a;
	int fd;

	memset(&a, 0, sizeof a);
	a.sin_family = AF_INET;
	a.sin_port = htons((uint16_t)port);
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if ((fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | sockflags,
	    0)) == -1)
		return -1;
	if (connect(fd, (struct sockaddr *)&a, sizeof a) == -1 &&
	    !((sockflags & SOCK_NONBLOCK) && errno == EINPROGRESS)) {
		close(fd);
		return -1;
	}
	return fd;
}

int
h_raw_connect(unsigned port)
{
	return raw_connect(port, 0);
}

int
h_raw_connect_nb(unsigned port)
{
	return raw_connect(port, SOCK_NONBLOCK);
}

int
h_raw_connect_tiny(unsigned port, int rcvbuf)
{
	struct sockaddr_in a;
	int fd, mss = 536;

	memset(&a, 0, sizeof a);
	a.sin_family = AF_INET;
	a.sin_port = htons((uint16_t)port);
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	assert_true(fd != -1);
	assert_int_equal(setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf,
	    sizeof rcvbuf), 0);
	assert_int_equal(setsockopt(fd, IPPROTO_TCP, TCP_MAXSEG, &mss,
	    sizeof mss), 0);
	assert_int_equal(connect(fd, (struct sockaddr *)&a, sizeof a), 0);
	return fd;
}

/*
 * Read fd's first line into line (NUL-terminated, no LF), byte by byte so
 * nothing after it is consumed. Returns its length, or -1 on EOF or timeout.
 */
int
h_first_line(int fd, char *line, size_t size, int ms)
{
	long long end = h_now_ms() + ms;
	struct pollfd p = { fd, POLLIN, 0 };
	size_t n = 0;
	ssize_t r;

	while (n + 1 < size) {
		if (poll(&p, 1, (int)(end - h_now_ms())) <= 0)
			return -1;
		if ((r = recv(fd, line + n, 1, MSG_DONTWAIT)) == -1 &&
		    (errno == EAGAIN || errno == EINTR))
			continue;
		if (r <= 0)
			return -1;
		if (line[n] == '\n')
			break;
		n++;
	}
	line[n] = '\0';
	return (int)n;
}


/*
 * How many fds lobbyd holds below limit (its fd limit, or FD_SETSIZE):
 * each leaves one fewer for clients, whoever opened it. Under valgrind
 * that includes valgrind's log file (--log-file leaves a copy at a low
 * fd); valgrind's other fds are above lobbyd's limit and not counted.
 */
int
h_fds_below(pid_t pid, long limit)
{
	char path[64], *end;
	struct dirent *e;
	DIR *d;
	long fd;
	int n = 0;

	snprintf(path, sizeof path, "/proc/%ld/fd", (long)pid);
	d = opendir(path);
	assert_non_null(d);
	while ((e = readdir(d)) != NULL) {
		if (e->d_name[0] == '.')
			continue;
		fd = strtol(e->d_name, &end, 10);
		assert_true(*end == '\0');
		if (fd < limit)
			n++;
	}
	closedir(d);
	return n;
}


long
h_cpu_ticks(pid_t pid)
{
	char path[64], buf[1024], *p;
	unsigned long ut = 0, st = 0;
	FILE *f;
	size_t n;

	snprintf(path, sizeof path, "/proc/%ld/stat", (long)pid);
	f = fopen(path, "r");
	assert_non_null(f);
	n = fread(buf, 1, sizeof buf - 1, f);
	fclose(f);
	buf[n] = '\0';
	/* Fields after the command name, which may hold spaces: from ')'. */
	p = strrchr(buf, ')');
	assert_non_null(p);
	assert_int_equal(sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u "
	    "%*u %*u %lu %lu", &ut, &st), 2);
	return (long)(ut + st);
}

/* pid's run delay in ns (pid 0: this process), or 0 when unknown. */
static unsigned long long
h_run_delay_ns(pid_t pid)
{
	char path[64];
	unsigned long long run = 0, wait = 0;
	FILE *f;
	int n;

	if (pid == 0)
		snprintf(path, sizeof path, "/proc/self/schedstat");
	else
		snprintf(path, sizeof path, "/proc/%ld/schedstat", (long)pid);
	if ((f = fopen(path, "r")) == NULL)
		return 0;
	/* Time on a CPU, time waiting for one (ns), timeslices. */
	n = fscanf(f, "%llu %llu", &run, &wait);
	fclose(f);
	return n == 2 ? wait : 0;
}

long long
h_run_delay_ms(pid_t pid)
{
	return (long long)(h_run_delay_ns(pid) / 1000000);
}

void
h_span_start(struct h_span *sp, pid_t pid)
{
	sp->pid = pid;
	sp->waited0 = (long long)((h_run_delay_ns(0) + h_run_delay_ns(pid)) /
	    1000);
	sp->t0 = h_now_ms();
}

long long
h_span_ms(const struct h_span *sp)
{
	long long t = h_now_ms() - sp->t0;
	long long waited = ((long long)((h_run_delay_ns(0) +
	    h_run_delay_ns(sp->pid)) / 1000) - sp->waited0) / 1000;

	if (waited <= 0)
		return t;
	return t > waited ? t - waited : 0;
}

long
h_cpu_settled(pid_t pid)
{
	long long end = h_now_ms() + 5000;
	long t = h_cpu_ticks(pid), was;

	do {
		was = t;
		h_sleep_ms(100);
		t = h_cpu_ticks(pid);
	} while (t != was && h_now_ms() < end);
	return t;
}

long
h_burst_ticks(pid_t pid, struct h_conn *c, const char *buf, size_t len,
    size_t lines)
{
	long long end = h_now_ms() + 120000;
	long t0 = h_cpu_ticks(pid);
	size_t off = 0, got = 0, i;
	char in[65536];
	ssize_t r;

	while (got < lines && h_now_ms() < end) {
		if (off < len && (r = send(c->fd, buf + off, len - off,
		    MSG_DONTWAIT | MSG_NOSIGNAL)) > 0)
			off += (size_t)r;
		r = recv(c->fd, in, sizeof in, MSG_DONTWAIT);
		if (r == 0)
			fail_msg("lobbyd closed the connection");
		for (i = 0; r > 0 && i < (size_t)r; i++)
			got += in[i] == '\n';
		if (r <= 0) {
			struct pollfd p = { c->fd, POLLIN, 0 };

			if (off < len)
				p.events |= POLLOUT;
			(void)poll(&p, 1, 10);
		}
	}
	assert_int_equal(got, lines);
	return h_cpu_ticks(pid) - t0;
}

struct h_conn *
h_connect(const struct h_server *s)
{
	return h_connect_tcp("127.0.0.1", s->port);
}

struct h_conn *
h_connect_unix_from(const char *path, const char *from)
{
	struct sockaddr_un a;
	int fd;

	memset(&a, 0, sizeof a);
	a.sun_family = AF_UNIX;
	if (strlen(from) >= sizeof a.sun_path)
		return NULL;
	memcpy(a.sun_path, from, strlen(from));
	if ((fd = socket(AF_UNIX, SOCK_STREAM, 0)) == -1)
		return NULL;
	if (bind(fd, (struct sockaddr *)&a, sizeof a) == -1) {
		close(fd);
		return NULL;
	}
	memset(&a, 0, sizeof a);
	a.sun_family = AF_UNIX;
	snprintf(a.sun_path, sizeof a.sun_path, "%s", path);
	if (connect(fd, (struct sockaddr *)&a, sizeof a) == -1) {
		close(fd);
		return NULL;
	}
	return h_conn_new(fd);
}

struct h_conn *
h_connect_unix(const char *path)
{
	struct sockaddr_un a;
	int fd;

	memset(&a, 0, sizeof a);
	a.sun_family = AF_UNIX;
	snprintf(a.sun_path, sizeof a.sun_path, "%s", path);
	if ((fd = socket(AF_UNIX, SOCK_STREAM, 0)) == -1)
		return NULL;
	if (connect(fd, (struct sockaddr *)&a, sizeof a) == -1) {
		close(fd);
		return NULL;
	}
	return h_conn_new(fd);
}

struct h_conn *
h_join(const struct h_server *s, char *nick)
{
	struct h_conn *c = h_connect(s);
	const char *l, *prefix = "*** welcome to lobby, you are ";
	size_t n;

	assert_non_null(c);
	l = h_line(c, H_TIMEOUT_MS);
	assert_non_null(l);
	if (strncmp(l, prefix, strlen(prefix)) != 0)
		fail_msg("unexpected welcome: %s", l);
	if (nick != NULL) {
		n = strcspn(l + strlen(prefix), " ");
		assert_true(n < 32);
		memcpy(nick, l + strlen(prefix), n);
		nick[n] = '\0';
	}
	return c;
}

/* /nick, then read until the line that ends " is now NICK". */
struct h_conn *
h_rename(struct h_conn *c, const char *nick)
{
	char cmd[64], want[96];
	const char *l;
	size_t n;

	snprintf(cmd, sizeof cmd, "/nick %s\n", nick);
	snprintf(want, sizeof want, " is now %s", nick);
	n = strlen(want);
	h_send(c, cmd);
	while ((l = h_line(c, H_TIMEOUT_MS)) != NULL)
		if (strlen(l) > n && strcmp(l + strlen(l) - n, want) == 0)
			return c;
	fail_msg("no rename to %s", nick);
	return NULL;
}

/* Join, then rename to nick. */
struct h_conn *
h_join_as(const struct h_server *s, const char *nick)
{
	return h_rename(h_join(s, NULL), nick);
}

/* Join with a small receive buffer and MSS, then rename to nick. */
struct h_conn *
h_join_stalled(const struct h_server *s, const char *nick)
{
	struct h_conn *c;
	const char *l;

	c = calloc(1, sizeof *c);
	assert_non_null(c);
	c->fd = h_raw_connect_tiny(s->port, 1024);
	l = h_line(c, H_TIMEOUT_MS);
	assert_non_null(l);
	assert_memory_equal(l, "*** welcome", 11);
	return h_rename(c, nick);
}

int
h_send_raw(struct h_conn *c, const void *p, size_t n)
{
	const char *b = p;
	long long end = h_now_ms() + H_TIMEOUT_MS;
	struct pollfd pfd;
	ssize_t w;

	while (n > 0) {
		pfd.fd = c->fd;
		pfd.events = POLLOUT;
		if (poll(&pfd, 1, (int)(end - h_now_ms())) <= 0) {
			errno = ETIMEDOUT;
			return -1;
		}
		w = send(c->fd, b, n, MSG_NOSIGNAL | MSG_DONTWAIT);
		if (w == -1) {
			if (errno == EINTR || errno == EAGAIN)
				continue;
			return -1;
		}
		b += w;
		n -= (size_t)w;
	}
	return 0;
}

void
h_send(struct h_conn *c, const char *text)
{
	if (h_send_raw(c, text, strlen(text)) == -1)
		fail_msg("send failed: %s", strerror(errno));
}

const char *
h_line(struct h_conn *c, int ms)
{
	long long end = h_now_ms() + ms;
	struct pollfd pfd;
	char *lf;
	size_t n;
	ssize_t r;
	int left;

	for (;;) {
		lf = memchr(c->in, '\n', c->inlen);
		if (lf != NULL) {
			n = (size_t)(lf - c->in);
			memcpy(c->line, c->in, n);
			c->line[n] = '\0';
			memmove(c->in, lf + 1, c->inlen - n - 1);
			c->inlen -= n + 1;
			return c->line;
		}
		if (c->inlen == sizeof c->in)	/* a line too long to hold */
			return NULL;
		left = (int)(end - h_now_ms());
		if (left < 0)
			left = 0;
		pfd.fd = c->fd;
		pfd.events = POLLIN;
		r = poll(&pfd, 1, left);
		if (r == 0)
			return NULL;
		if (r == -1) {
			if (errno == EINTR)
				continue;
			return NULL;
		}
		r = recv(c->fd, c->in + c->inlen, sizeof c->in - c->inlen,
		    MSG_DONTWAIT);
		if (r == -1 && (errno == EINTR || errno == EAGAIN))
			continue;
		if (r <= 0)
			return NULL;
		c->inlen += (size_t)r;
	}
}

int
h_read_to_end(struct h_conn *c, void (*fn)(void *, const char *), void *arg)
{
	long long end = h_now_ms() + H_TIMEOUT_MS;
	struct pollfd pfd = { c->fd, POLLIN, 0 };
	ssize_t r;
	char *lf;
	size_t n;

	for (;;) {
		assert_true(h_now_ms() < end);
		if (poll(&pfd, 1, (int)(end - h_now_ms())) <= 0)
			continue;
		assert_true(c->inlen < sizeof c->in);
		r = recv(c->fd, c->in + c->inlen, sizeof c->in - c->inlen,
		    MSG_DONTWAIT);
		if (r == 0)
			return 0;
		if (r == -1) {
			if (errno == EAGAIN || errno == EINTR)
				continue;
			return errno;
		}
		c->inlen += (size_t)r;
		while ((lf = memchr(c->in, '\n', c->inlen)) != NULL) {
			n = (size_t)(lf - c->in);
			memcpy(c->line, c->in, n);
			c->line[n] = '\0';
			memmove(c->in, lf + 1, c->inlen - n - 1);
			c->inlen -= n + 1;
			fn(arg, c->line);
		}
	}
}

void
h_expect_at(struct h_conn *c, const char *want, const char *file, int line)
{
	const char *got = h_line(c, H_TIMEOUT_MS);

	if (got == NULL) {
		print_error("%s:%d: expected \"%s\", got nothing\n", file, line,
		    want);
		_fail(file, line);
	}
	if (strcmp(got, want) != 0) {
		print_error("%s:%d: expected \"%s\", got \"%s\"\n", file, line,
		    want, got);
		_fail(file, line);
	}
}

bool
h_is_history(const char *l, const char *text)
{
	char now[16], before[16];
	time_t t = time(NULL), t0 = t - 60;
	struct tm tm;

	if (l == NULL || strlen(l) < 8)
		return false;
	strftime(now, sizeof now, "[%H:%M] ", localtime_r(&t, &tm));
	strftime(before, sizeof before, "[%H:%M] ", localtime_r(&t0, &tm));
	if (strncmp(l, now, 8) != 0 && strncmp(l, before, 8) != 0)
		return false;
	return strcmp(l + 8, text) == 0;
}

void
h_expect_history_at(struct h_conn *c, const char *text, const char *file,
    int line)
{
	const char *got = h_line(c, H_TIMEOUT_MS);

	if (!h_is_history(got, text)) {
		print_error("%s:%d: expected \"[HH:MM] %s\" (within the last "
		    "minute), got \"%s\"\n", file, line, text,
		    got != NULL ? got : "nothing");
		_fail(file, line);
	}
}

char *
h_numbered(const char *fmt, int n)
{
	size_t size = 1, len = 0;
	char *buf;
	int i, k;

	for (i = 0; i < n; i++)
		size += (size_t)snprintf(NULL, 0, fmt, i) + 1;
	assert_non_null(buf = malloc(size));
	buf[0] = '\0';
	for (i = 0; i < n; i++) {
		k = snprintf(buf + len, size - len, fmt, i);
		len += (size_t)k;
		buf[len++] = '\n';
		buf[len] = '\0';
	}
	return buf;
}

void
h_expect_numbered_at(struct h_conn *c, const char *fmt, int n,
    const char *file, int line)
{
	char want[1100];	/* a line of the default --max-line, and more */
	int i;

	for (i = 0; i < n; i++) {
		snprintf(want, sizeof want, fmt, i);
		h_expect_at(c, want, file, line);
	}
}

/* Each row sent, each reply compared; every failing row reported. */
void
h_cases_at(struct h_conn *c, const struct h_case *cases, size_t n,
    const char *file, int line)
{
	const char *got;
	size_t i, bad = 0;

	for (i = 0; i < n; i++) {
		h_send(c, cases[i].send);
		h_send(c, "\n");
		got = h_line(c, H_TIMEOUT_MS);
		if (got != NULL && strcmp(got, cases[i].want) == 0)
			continue;
		print_error("%s:%d: row %zu, \"%s\": expected \"%s\", got "
		    "%s%s%s\n", file, line, i, cases[i].send, cases[i].want,
		    got != NULL ? "\"" : "", got != NULL ? got : "nothing",
		    got != NULL ? "\"" : "");
		bad++;
	}
	if (bad > 0) {
		print_error("%s:%d: %zu of %zu rows failed\n", file, line, bad,
		    n);
		_fail(file, line);
	}
}

/* Read c until a line equal to want (ending with it, with suffix) comes,
 * for at most ms in all; false if none did. */
static bool
h_skip_until(struct h_conn *c, const char *want, bool suffix, int ms)
{
	long long end = h_now_ms() + ms;
	size_t k = strlen(want), n;
	const char *got;

	while (h_now_ms() < end &&
	    (got = h_line(c, (int)(end - h_now_ms()))) != NULL) {
		n = strlen(got);
		if (suffix ? n >= k && strcmp(got + n - k, want) == 0 :
		    strcmp(got, want) == 0)
			return true;
	}
	return false;
}

void
h_expect_skip_within_at(struct h_conn *c, const char *want, int ms,
    const char *file, int line)
{
	if (h_skip_until(c, want, false, ms))
		return;
	print_error("%s:%d: no \"%s\" within %d ms\n", file, line, want, ms);
	_fail(file, line);
}

void
h_expect_skip_at(struct h_conn *c, const char *want, const char *file,
    int line)
{
	h_expect_skip_within_at(c, want, H_TIMEOUT_MS, file, line);
}

/*
 * Skip what c has been sent up to the notice that nick took its nick
 * (the last newcomer's, when the test's members joined): from then on
 * every line c gets is one the test asks for. Through Redis that notice
 * reaches another instance's members later than the newcomer's own
 * answer, so neither a pause nor a /who barrier would do.
 */
void
h_settle_at(struct h_conn *c, const char *nick, const char *file, int line)
{
	char want[64];

	snprintf(want, sizeof want, " is now %s", nick);
	if (h_skip_until(c, want, true, H_TIMEOUT_MS))
		return;
	print_error("%s:%d: never got \"...%s\"\n", file, line, want);
	_fail(file, line);
}

/* Whether l is the answer to /who. */
static bool
h_is_who(const char *l)
{
	return strncmp(l, "*** ", 4) == 0 && strstr(l, " online:") != NULL;
}

/* /who, and its answer must be the next line. */
void
h_nothing_at(struct h_conn *c, const char *file, int line)
{
	const char *got;

	h_send(c, "/who\n");
	got = h_line(c, H_TIMEOUT_MS);
	if (got == NULL) {
		print_error("%s:%d: no answer to /who\n", file, line);
		_fail(file, line);
	}
	if (!h_is_who(got)) {
		print_error("%s:%d: expected nothing, got \"%s\"\n", file,
		    line, got);
		_fail(file, line);
	}
}

/* /who, and read up to its answer. */
void
h_sync_at(struct h_conn *c, const char *file, int line)
{
	long long end = h_now_ms() + H_TIMEOUT_MS;
	const char *got;

	h_send(c, "/who\n");
	while (h_now_ms() < end) {
		got = h_line(c, (int)(end - h_now_ms()));
		if (got == NULL)
			break;
		if (h_is_who(got))
			return;
	}
	print_error("%s:%d: no answer to /who\n", file, line);
	_fail(file, line);
}

bool
h_silent(struct h_conn *c, int ms)
{
	const char *l = h_line(c, ms);

	if (l != NULL)
		print_message("unexpected line: %s\n", l);
	return l == NULL;
}

bool
h_eof(struct h_conn *c, int ms)
{
	long long end = h_now_ms() + ms;
	struct pollfd pfd;
	char tmp[4096];
	ssize_t r;
	int more = 0;

	c->inlen = 0;
	/* Looked at once at least, and read on through what waits already
	 * (a close may follow the last line; at most 256 KiB of it): h_eof(c,
	 * 0) is "closed already?". */
	do {
		long long left = end - h_now_ms();

		pfd.fd = c->fd;
		pfd.events = POLLIN;
		r = -1;
		if (poll(&pfd, 1, left > 0 ? (int)left : 0) <= 0)
			continue;
		r = recv(c->fd, tmp, sizeof tmp, MSG_DONTWAIT);
		if (r == 0 || (r == -1 && errno == ECONNRESET))
			return true;
	} while (h_now_ms() < end || (r > 0 && ++more < 64));
	return false;
}

/* Read and drop lines until none comes for 100 ms. */
void
h_drain(struct h_conn *c)
{
	int quiet = H_TIMEOUT_MS / 50;	/* 100 ms, scaled with the rest */

	while (h_line(c, quiet) != NULL)
		;
}

void
h_close(struct h_conn *c)
{
	if (c == NULL)
		return;
	if (c->fd != -1)
		close(c->fd);
	free(c);
}

void
h_reset(struct h_conn *c)
{
	struct linger lg = { 1, 0 };

	if (c == NULL)
		return;
	setsockopt(c->fd, SOL_SOCKET, SO_LINGER, &lg, sizeof lg);
	h_close(c);
}

int
h_fd_count(pid_t pid)
{
	char path[64];
	struct dirent *e;
	DIR *d;
	int n = 0;

	snprintf(path, sizeof path, "/proc/%ld/fd", (long)pid);
	if ((d = opendir(path)) == NULL)
		return -1;
	while ((e = readdir(d)) != NULL)
		if (e->d_name[0] != '.')
			n++;
	closedir(d);
	return n;
}

/* Poll the server's fd count until it is fds again, bounded. */
void
h_fds_back_to(const struct h_server *s, int fds)
{
	long long end = h_now_ms() + H_TIMEOUT_MS;

	while (h_fd_count(s->pid) != fds && h_now_ms() < end)
		h_sleep_ms(10);
	assert_int_equal(h_fd_count(s->pid), fds);
}

/* The KiB figure of /proc/PID/status's line fmt ("VmRSS: %ld"), or -1. */
static long
h_status_kib(pid_t pid, const char *fmt)
{
	char path[64], line[256];
	long kib = -1;
	FILE *f;

	snprintf(path, sizeof path, "/proc/%ld/status", (long)pid);
	if ((f = fopen(path, "r")) == NULL)
		return -1;
	while (fgets(line, sizeof line, f) != NULL)
		if (sscanf(line, fmt, &kib) == 1)
			break;
	fclose(f);
	return kib;
}

long
h_rss_kib(pid_t pid)
{
	return h_status_kib(pid, "VmRSS: %ld");
}

long
h_peak_kib(pid_t pid)
{
	return h_status_kib(pid, "VmHWM: %ld");
}

/* True when tests/valgrind.sh runs the test ($LOBBY_VALGRIND is set). */
bool
h_under_valgrind(void)
{
	return getenv("LOBBY_VALGRIND") != NULL;
}

/* False under valgrind, where RSS says little. */
bool
h_rss_meaningful(void)
{
	return !h_under_valgrind();
}

/* Say why on stdout, then skip the test (cmocka unwinds from here). */
void
h_skip(const char *why)
{
	print_message("skipped: %s\n", why);
	skip();
}

void
h_stdout_full_at(const char *path, const char *file, int line)
{
	const char *const flags[] = { "--help", "--version" };
	char cmd[1024];
	size_t i;
	int st;

	if (access("/dev/full", W_OK) != 0)
		h_skip("no /dev/full here");
	for (i = 0; i < sizeof flags / sizeof flags[0]; i++) {
		snprintf(cmd, sizeof cmd, "timeout 5 '%s' %s >/dev/full "
		    "2>/dev/null </dev/null", path, flags[i]);
		st = system(cmd);
		if (!WIFEXITED(st) || WEXITSTATUS(st) != 1) {
			print_error("%s:%d: %s %s on a full stdout: wait "
			    "status %#x, not an exit 1\n", file, line, path,
			    flags[i], (unsigned)st);
			_fail(file, line);
		}
	}
}

/* Add quarantine_size_mb=1 to ASAN_OPTIONS, keeping what is there. */
void
h_small_quarantine(void)
{
	const char *old = getenv("ASAN_OPTIONS");
	char opts[1024];

	snprintf(opts, sizeof opts, "%s%squarantine_size_mb=1",
	    old != NULL ? old : "", old != NULL && *old != '\0' ? ":" : "");
	setenv("ASAN_OPTIONS", opts, 1);
}

bool
h_have_ipv6(void)
{
	struct sockaddr_in6 a;
	int fd, ok;

	memset(&a, 0, sizeof a);
	a.sin6_family = AF_INET6;
	a.sin6_addr = in6addr_loopback;
	if ((fd = socket(AF_INET6, SOCK_STREAM, 0)) == -1)
		return false;
	ok = bind(fd, (struct sockaddr *)&a, sizeof a) == 0;
	close(fd);
	return ok;
}

/* ---------------------------------------------------------------------
 * WebSocket members
 * ------------------------------------------------------------------- */

unsigned
h_web_port(struct h_server *s, int nth)
{
	char rest[256], *p = rest;

	if (!h_log_after(s, "listening on http://", nth, rest, sizeof rest,
	    H_TIMEOUT_MS))
		return 0;
	/* After the address: ":PORT/" (an IPv6 address is bracketed). */
	if (*p == '[')
		p = strchr(p, ']');
	if (p == NULL || (p = strchr(p, ':')) == NULL)
		return 0;
	return (unsigned)strtoul(p + 1, NULL, 10);
}

/* Read exactly n bytes from fd, waiting at most until end; false if not. */
static bool
h_read_n(int fd, void *p, size_t n, long long end)
{
	struct pollfd pf = { fd, POLLIN, 0 };
	char *b = p;
	ssize_t k;

	while (n > 0) {
		long long left = end - h_now_ms();

		if (left <= 0 || poll(&pf, 1, (int)left) != 1)
			return false;
		if ((k = read(fd, b, n)) <= 0)
			return false;
		b += k;
		n -= (size_t)k;
	}
	return true;
}

int
h_ws_join(unsigned port, char *nick)
{
	static const char key[] = "dGhlIHNhbXBsZSBub25jZQ==";
	long long end = h_now_ms() + H_TIMEOUT_MS;
	char req[512], head[1024];
	const char *l;
	size_t n = 0;
	int fd;

	if ((fd = h_raw_connect(port)) == -1)
		fail_msg("no connection to the web port %u", port);
	snprintf(req, sizeof req, "GET /ws HTTP/1.1\r\nHost: 127.0.0.1:%u\r\n"
	    "Upgrade: websocket\r\nConnection: Upgrade\r\n"
	    "Sec-WebSocket-Key: %s\r\nSec-WebSocket-Version: 13\r\n\r\n",
	    port, key);
	if (send(fd, req, strlen(req), MSG_NOSIGNAL) != (ssize_t)strlen(req))
		fail_msg("handshake not sent");
	/* The head byte by byte: the first frame may follow it at once. */
	while (n < sizeof head - 1 && h_read_n(fd, head + n, 1, end)) {
		head[++n] = '\0';
		if (n >= 4 && memcmp(head + n - 4, "\r\n\r\n", 4) == 0)
			break;
	}
	head[n] = '\0';
	if (strncmp(head, "HTTP/1.1 101 ", 13) != 0)
		fail_msg("handshake refused: %s", head);
	l = h_ws_text(fd, H_TIMEOUT_MS);
	if (l == NULL || strncmp(l, "*** welcome to ", 15) != 0)
		fail_msg("no welcome frame: %s", l != NULL ? l : "(none)");
	if (nick != NULL && sscanf(l, "*** welcome to %*s you are %31[^ ]",
	    nick) != 1)
		fail_msg("no nick in the welcome: %s", l);
	return fd;
}

const char *
h_ws_text_at(int fd, int ms, const char *file, int line)
{
	static char data[1 << 17];
	long long end = h_now_ms() + ms;
	unsigned char h[8];
	uint64_t len;
	size_t i, k;

	if (!h_read_n(fd, h, 2, end))
		return NULL;
	if (h[0] != 0x81 || (h[1] & 0x80) != 0) {
		print_error("%s:%d: frame 0x%02x 0x%02x: not a whole unmasked "
		    "text frame\n", file, line, h[0], h[1]);
		_fail(file, line);
	}
	len = h[1] & 0x7f;
	k = len == 126 ? 2 : len == 127 ? 8 : 0;
	if (k > 0) {
		if (!h_read_n(fd, h, k, end))
			return NULL;
		for (len = 0, i = 0; i < k; i++)
			len = len << 8 | h[i];
	}
	if (len >= sizeof data) {
		print_error("%s:%d: a frame of %llu bytes\n", file, line,
		    (unsigned long long)len);
		_fail(file, line);
	}
	if (!h_read_n(fd, data, (size_t)len, end))
		return NULL;
	data[len] = '\0';
	if (!h_utf8_valid(data, (size_t)len)) {
		print_error("%s:%d: a text frame that is not UTF-8: %s\n",
		    file, line, data);
		_fail(file, line);
	}
	return data;
}

bool
h_utf8_valid(const char *p, size_t n)
{
	const unsigned char *s = (const unsigned char *)p;
	size_t i = 0, k, j;
	uint32_t cp, min;

	while (i < n) {
		if (s[i] < 0x80) {
			i++;
			continue;
		}
		if ((s[i] & 0xe0) == 0xc0) {
			k = 1, cp = s[i] & 0x1f, min = 0x80;
		} else if ((s[i] & 0xf0) == 0xe0) {
			k = 2, cp = s[i] & 0x0f, min = 0x800;
		} else if ((s[i] & 0xf8) == 0xf0) {
			k = 3, cp = s[i] & 0x07, min = 0x10000;
		} else
			return false;
		if (n - i <= k)
			return false;
		for (j = 1; j <= k; j++) {
			if ((s[i + j] & 0xc0) != 0x80)
				return false;
			cp = cp << 6 | (s[i + j] & 0x3f);
		}
		if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
			return false;
		i += k + 1;
	}
	return true;
}
