/* harness: start the real lobbyd on -p 0 and talk to it over real sockets. */
#ifndef LOBBY_HARNESS_H
#define LOBBY_HARNESS_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

/*
 * Every wait in here is bounded: a test that goes wrong fails within
 * seconds instead of hanging. The server's stderr goes to a temporary file
 * (a pipe could fill up and stall a chatty server), which the harness reads
 * for the "listening on" lines and for log checks.
 */
#define H_TIMEOUT_MS	h_timeout_ms()	/* the longest one wait may take */

/*
 * 5000 ms, times $LOBBY_TIMEOUT_SCALE when set (tests/valgrind.sh sets 4:
 * under memcheck lobbyd runs some 20 times slower).
 */
int	 h_timeout_ms(void);

/* A wait of ms, longer when lobbyd runs slower (under valgrind). */
#define SCALED(ms)	((ms) * h_timeout_ms() / 5000)

struct h_server {
	pid_t	 pid;			/* the lobbyd we started, or -1 */
	unsigned port;			/* port of the first TCP listener */
	unsigned port6;			/* port of the [::1] listener, or 0 */
	char	 unix_path[108];	/* path of the unix listener, or "" */
	char	 logpath[64];		/* temporary file holding its stderr */
	int	 status;		/* wait status once it has exited */
};

struct h_conn {
	int	 fd;			/* the socket, or -1 once closed */
	char	 in[1 << 17];		/* bytes read and not yet returned */
	size_t	 inlen;			/* bytes at in */
	char	 line[1 << 17];		/* the line h_line() returned last */
};

/* The lobbyd to run: $LOBBYD, set by the meson test definitions. */
const char	*h_lobbyd_path(void);
/*
 * The multiplexer every lobbyd runs on: $LOBBY_LOOP (select, poll or
 * epoll), or NULL for lobbyd's default. h_start() appends "--loop" and it
 * to the arguments unless the test gave --loop itself; a test that runs
 * lobbyd by hand should do the same.
 */
const char	*h_loop(void);
/* The lobby client to run: $LOBBY, set by the meson test definitions. */
const char	*h_lobby_path(void);

/*
 * Start lobbyd with -p 0 and the NULL-terminated extra arguments (which
 * may bind other addresses with -b, and may add -u). Waits until it has
 * printed every "listening on" line. Returns 0, or -1 if it did not start.
 */
int	 h_start(struct h_server *s, ...);
int	 h_startv(struct h_server *s, const char *const *args);

/*
 * The fixture. Every lobbyd a test starts (h_start(), h_startv(),
 * h_track()) and every other child it names (h_track_child()) is
 * recorded, wherever its struct h_server lives; so a test that fails
 * half-way leaves nothing running, and no lobbyd goes unchecked.
 *
 * Each lobbyd is checked where it stops: a lobbyd stopped by h_stop(), or
 * by the teardown, must exit 0 after SIGTERM; and whatever way it ended
 * (even an exit the test expected to fail), its stderr must hold no
 * sanitizer report ("runtime error:", "ERROR: AddressSanitizer", ...).
 * A failed check fails the test, quoting the report. Under ASan a leak
 * makes lobbyd exit non-zero, and under tests/valgrind.sh memcheck does:
 * so a leak fails the test that caused it.
 *
 * Every test of an integration suite uses the fixture: h_test(fn) in the
 * test table, or h_finish() from a suite's own teardown.
 */
#define h_test(fn) \
	cmocka_unit_test_setup_teardown(fn, h_setup, h_teardown)
/* The same, with the fixture's lobbyd already started without options. */
#define h_test_started(fn) \
	cmocka_unit_test_setup_teardown(fn, h_setup_started, h_teardown)

/*
 * Fixture setup: a zeroed, not yet started h_server (pid -1), malloc'd,
 * in *state, and an empty record of servers and children.
 */
int	 h_setup(void **state);

/* h_setup(), then h_start() the server with no options. */
int	 h_setup_started(void **state);

/* Fixture teardown: h_finish(), then free *state. */
int	 h_teardown(void **state);

/*
 * Kill (SIGKILL) and reap each child of h_track_child() still running,
 * then stop each lobbyd still running (waking it first, should the test
 * have stopped it with SIGSTOP) with SIGTERM, and check every lobbyd of
 * the test as said above; remove their logs. Returns 0, or -1 (printing
 * why) when a check failed, which fails the test.
 */
int	 h_finish(void);

/* Record a lobbyd the test started by other means than h_start(). */
void	 h_track(struct h_server *s);

/* Record a child (a lobby, a bot) for h_finish() to kill if it is left. */
void	 h_track_child(pid_t pid);

/*
 * SIGTERM (if it is still running) and wait, bounded. Fails the test at
 * the caller's line unless lobbyd exited 0 (when it was running) and its
 * log holds no sanitizer report; then removes its log. Safe to call
 * twice, and on a server that has exited by itself (then only the log
 * is checked, the exit status being the test's to check).
 */
#define h_stop(s)	h_stop_at((s), __FILE__, __LINE__)
void	 h_stop_at(struct h_server *s, const char *file, int line);

/*
 * For a lobbyd a test runs by hand, its stderr in text: fail the test at
 * the caller's line, quoting the report, if it holds a sanitizer report.
 */
#define h_no_report(text)	h_no_report_at((text), __FILE__, __LINE__)
void	 h_no_report_at(const char *text, const char *file, int line);

/* Send sig to the server, wait (bounded) for it to exit; returns the wait
 * status, or -1 when it did not exit in time (then it is killed). */
int	 h_stop_sig(struct h_server *s, int sig);

/* Wait up to ms for child pid to exit and reap it; its wait status goes
 * to status (if not NULL). Returns 0, or -1 when it is still running. */
int	 h_wait_pid(pid_t pid, int *status, int ms);

/* Wait up to ms for the server to exit by itself; returns its wait
 * status. Fails the test when it does not exit in time. */
int	 h_wait_exit(struct h_server *s, int ms);

/* Kill (SIGKILL) and reap *pid if it is above 0, then set it to -1; the
 * wait status goes to status (if not NULL). */
void	 h_kill_child(pid_t *pid, int *status);

/* True once the server's stderr contains needle (waits up to ms). */
bool	 h_log_has(struct h_server *s, const char *needle, int ms);

/*
 * The rest of the nth (from 0) line of s's stderr that holds key, after
 * key, into out (size bytes), once that line is whole (unbuffered stderr
 * comes in pieces under valgrind): waits up to ms; false if it never came.
 */
bool	 h_log_after(struct h_server *s, const char *key, int nth, char *out,
	    size_t size, int ms);

/* The whole of the server's stderr so far, malloc'd (caller frees). */
char	*h_log(struct h_server *s);

/* Connect to 127.0.0.1 on the server's port; reads nothing. */
struct h_conn	*h_connect(const struct h_server *s);
/* Connect to a TCP address ("127.0.0.1", "::1") and port. */
struct h_conn	*h_connect_tcp(const char *addr, unsigned port);
/* The same from local address from ("127.0.0.4"), the peer address the
 * server sees. */
struct h_conn	*h_connect_tcp_from(const char *addr, unsigned port,
		    const char *from);
/* Connect to a Unix-domain socket. */
struct h_conn	*h_connect_unix(const char *path);
/* Connect to a Unix-domain socket from a socket bound to the path from
 * (which the server then sees as the peer's address; the caller removes
 * the file). */
struct h_conn	*h_connect_unix_from(const char *path, const char *from);

/*
 * Connect and read the welcome line; the nick it gives is written to nick
 * (at least 32 bytes) when nick is not NULL. Fails the test on a bad
 * welcome.
 */
struct h_conn	*h_join(const struct h_server *s, char *nick);

/* Send the NUL-terminated text as it is. Fails the test on error. */
void	 h_send(struct h_conn *c, const char *text);
/* Send n raw bytes. Returns 0, or -1 with errno. */
int	 h_send_raw(struct h_conn *c, const void *p, size_t n);

/*
 * The next line (without its LF), waiting up to ms; NULL on timeout or
 * end of stream. Valid until the next call on c.
 */
const char	*h_line(struct h_conn *c, int ms);

/* Read the next line and fail the test unless it equals want. */
#define h_expect(c, want)	h_expect_at((c), (want), __FILE__, __LINE__)
void	 h_expect_at(struct h_conn *c, const char *want, const char *file,
	    int line);

/*
 * Whether l is a history line: "[HH:MM] " stamped with this minute or
 * the one before (local time; the minute may turn over while a test
 * runs), then exactly text.
 */
bool	 h_is_history(const char *l, const char *text);

/* Read the next line and fail the test unless h_is_history(it, text). */
#define h_expect_history(c, text) \
	h_expect_history_at((c), (text), __FILE__, __LINE__)
void	 h_expect_history_at(struct h_conn *c, const char *text,
	    const char *file, int line);

/*
 * Lines 0 to n-1 of a numbered burst in one string: each is fmt (a
 * printf format with one int conversion and no LF) given its number,
 * then LF. Free it after.
 */
char	*h_numbered(const char *fmt, int n);

/* Expect lines 0 to n-1 of fmt (as h_numbered, without LFs) on c, in order. */
#define h_expect_numbered(c, fmt, n) \
	h_expect_numbered_at((c), (fmt), (n), __FILE__, __LINE__)
void	 h_expect_numbered_at(struct h_conn *c, const char *fmt, int n,
	    const char *file, int line);

/* One row of a table of cases: a line to send, and the one line back. */
struct h_case {
	const char	*send;	/* without its LF */
	const char	*want;	/* the reply, without its LF */
};

/*
 * Send each row's line on c in turn; the next line back must be the
 * row's want. Every failing row is reported (its number, what was sent,
 * wanted and got) before the test fails at the caller's line.
 */
#define h_cases(c, cases) \
	h_cases_at((c), (cases), sizeof (cases) / sizeof (cases)[0], \
	    __FILE__, __LINE__)
void	 h_cases_at(struct h_conn *c, const struct h_case *cases, size_t n,
	    const char *file, int line);

/* Skip lines until one equals want (fails after H_TIMEOUT_MS; after ms
 * in all, within). */
#define h_expect_skip(c, want)	h_expect_skip_at((c), (want), __FILE__, __LINE__)
void	 h_expect_skip_at(struct h_conn *c, const char *want,
	    const char *file, int line);
#define h_expect_skip_within(c, want, ms) \
	h_expect_skip_within_at((c), (want), (ms), __FILE__, __LINE__)
void	 h_expect_skip_within_at(struct h_conn *c, const char *want, int ms,
	    const char *file, int line);

/* Skip lines until the notice that nick took its nick ("... is now
 * nick"): for the last newcomer's, which other members get later. */
#define h_settle(c, nick)	h_settle_at((c), (nick), __FILE__, __LINE__)
void	 h_settle_at(struct h_conn *c, const char *nick, const char *file,
	    int line);

/*
 * "Nothing arrives", checked with a barrier rather than a timeout: send
 * /who on c, and fail the test at the caller's line unless the very next
 * line is its answer ("*** N online: ..."). lobbyd handles a connection's
 * lines in order and queues what a line causes before it reads the next,
 * so anything owed to c by then would have come first. What was sent on
 * another connection must have been handled first: the test saw its
 * effect, or called h_sync() on that connection.
 */
#define h_nothing(c)	h_nothing_at((c), __FILE__, __LINE__)
void	 h_nothing_at(struct h_conn *c, const char *file, int line);

/*
 * Send /who on c and read up to its answer, skipping what comes before:
 * afterwards lobbyd has handled every line c sent before. Fails the test
 * at the caller's line when no answer comes.
 */
#define h_sync(c)	h_sync_at((c), __FILE__, __LINE__)
void	 h_sync_at(struct h_conn *c, const char *file, int line);

/*
 * True when no line arrives within ms. Only for what no barrier can
 * order: another process's non-reaction (a bot), or a signal's.
 */
bool	 h_silent(struct h_conn *c, int ms);

/* True when the server closes the connection within ms (lines before the
 * close are skipped); with ms 0, whether it has closed it already. */
bool	 h_eof(struct h_conn *c, int ms);

/*
 * Read c until the server ends the connection, within H_TIMEOUT_MS; each
 * complete line goes to fn. Returns 0 at EOF, or the errno that ended it
 * (ECONNRESET: a reset, which destroys what the server's kernel still
 * held for c).
 */
int	 h_read_to_end(struct h_conn *c, void (*fn)(void *, const char *),
	    void *arg);

/* Close and free. */
void	 h_close(struct h_conn *c);

/* Take nick with /nick, reading up to the rename notice; returns c.
 * Fails the test when no notice comes. */
struct h_conn	*h_rename(struct h_conn *c, const char *nick);

/* h_join() and take nick; the joins and renames of others are left
 * unread. */
struct h_conn	*h_join_as(const struct h_server *s, const char *nick);

/*
 * Connect a reader that will not read, and join it as nick. Its receive
 * buffer and segment size are made small before it connects: loopback's
 * 64 KiB segments would otherwise let lobbyd's kernel buffer megabytes for
 * it, and what lobbyd itself queues would show late or not at all.
 */
struct h_conn	*h_join_stalled(const struct h_server *s, const char *nick);

/* Skip whatever c has been sent so far (until 100 ms pass in silence,
 * times $LOBBY_TIMEOUT_SCALE). */
void	 h_drain(struct h_conn *c);

/* A plain blocking TCP connection to 127.0.0.1 on port (close-on-exec),
 * with no h_conn around it; the fd, or -1. */
int	 h_raw_connect(unsigned port);

/* The same, non-blocking and still under way (EINPROGRESS); the fd, or
 * -1. */
int	 h_raw_connect_nb(unsigned port);

/*
 * A blocking TCP connection to 127.0.0.1 on port whose receive buffer is
 * rcvbuf bytes and segments 536, set before connecting: a tiny window
 * from the start, so that a client that stops reading stalls the server
 * after kilobytes, not the megabytes socket buffers take. Fails the test
 * if it cannot connect.
 */
int	 h_raw_connect_tiny(unsigned port, int rcvbuf);

/*
 * Read fd's first line into line (NUL-terminated, no LF), byte by byte so
 * nothing after it is consumed. Returns its length, or -1 on EOF or
 * when ms pass.
 */
int	 h_first_line(int fd, char *line, size_t size, int ms);

/*
 * How many fds process pid holds below limit (its fd limit, FD_SETSIZE,
 * or 1024 for "its own, numbered from 0 up"): each leaves one fewer for
 * clients, whoever opened it. Under valgrind that includes valgrind's log
 * file (--log-file leaves a copy at a low fd); valgrind's other fds sit
 * near the top of the hard limit and are not counted.
 */
int	 h_fds_below(pid_t pid, long limit);

/* CPU time process pid has used, user and system, in clock ticks. */
long	 h_cpu_ticks(pid_t pid);

/*
 * How long process pid (0: this test) has waited for a CPU while it could
 * run, in ms, since it started: its first thread's run delay, from
 * /proc/PID/schedstat; 0 where the kernel does not say.
 */
long long	 h_run_delay_ms(pid_t pid);

/*
 * A span of wall time the test measures for "lobbyd answers at once" (a
 * round trip, a latency): h_span_start() at its start, h_span_ms() for
 * the ms since, less what this test and lobbyd (pid) waited for a CPU
 * meanwhile. A loaded machine that held either up is not lobbyd taking
 * its time; lobbyd at work (or blocked) counts in full.
 */
struct h_span {
	long long	 t0;		/* h_now_ms() at the start */
	long long	 waited0;	/* both run delays at the start, us */
	pid_t		 pid;		/* lobbyd's */
};
void		 h_span_start(struct h_span *sp, pid_t pid);
long long	 h_span_ms(const struct h_span *sp);

/*
 * h_cpu_ticks() once pid has settled: its count unchanged over 100 ms
 * (at most 5 s), so that the work of its start (with --redis, the
 * account worker's first hash) is not counted with what comes next.
 */
long	 h_cpu_settled(pid_t pid);

/*
 * Send buf[0..len) from c as fast as lobbyd takes it, reading what comes
 * back meanwhile, until lines lines have come (at most 120 s; fewer
 * fail the test). Returns the CPU ticks lobbyd (pid) spent meanwhile.
 */
long	 h_burst_ticks(pid_t pid, struct h_conn *c, const char *buf,
	    size_t len, size_t lines);

/* Close with a reset (SO_LINGER 0) instead of a FIN, and free. */
void	 h_reset(struct h_conn *c);

/* Number of open fds of process pid, from /proc; -1 if unknown. */
int	 h_fd_count(pid_t pid);

/* Wait until the server has fds open fds again; fails the test when it
 * has not after H_TIMEOUT_MS. */
void	 h_fds_back_to(const struct h_server *s, int fds);

/* Resident set size of pid in KiB, from /proc; -1 if unknown. */
long	 h_rss_kib(pid_t pid);

/* The peak of that (VmHWM) so far, the same way. */
long	 h_peak_kib(pid_t pid);

/*
 * Whether RSS figures mean anything: under valgrind (tests/valgrind.sh)
 * freed memory is held back on purpose, and memcheck checks for leaks.
 */
bool	 h_rss_meaningful(void);

/*
 * AddressSanitizer keeps freed memory in quarantine, up to 256 MB, on
 * purpose: RSS would then measure the quarantine, not lobbyd. This asks
 * for a small one in ASAN_OPTIONS for every lobbyd started afterwards,
 * which keeps memory checks meaningful under it. Call it from main.
 */
void	 h_small_quarantine(void);

/*
 * Skip the running test, saying why on a line "skipped: WHY" that .ci/run
 * reports. Only for a component this machine lacks, or a measurement the
 * run distorts (see h_under_valgrind()).
 */
void	 h_skip(const char *why);

/*
 * Run path (lobby or lobbyd) with --help, then with --version, stdout on
 * /dev/full (stderr on /dev/null, stdin from /dev/null, 5 s at most):
 * fail the test at the caller's line unless each exits 1. Skips the test
 * when this machine has no /dev/full.
 */
#define h_stdout_full(path)	h_stdout_full_at((path), __FILE__, __LINE__)
void	 h_stdout_full_at(const char *path, const char *file, int line);

/* Whether every lobbyd runs under valgrind (tests/valgrind.sh). */
bool	 h_under_valgrind(void);

/* Whether this machine has an IPv6 loopback (::1 can be bound). */
bool	 h_have_ipv6(void);

/* Sleep for ms milliseconds. */
void	 h_sleep_ms(int ms);

/* Milliseconds on a monotonic clock. */
long long	 h_now_ms(void);

/*
 * WebSocket members, for suites that need one beside their line members
 * (test_web has finer helpers of its own). h_web_port(): the port of the
 * nth (from 0) "listening on http://" line of s, waiting for it; 0 if
 * there is none.
 */
unsigned	 h_web_port(struct h_server *s, int nth);

/*
 * Open a WebSocket to /ws on 127.0.0.1:port and read its welcome frame;
 * the nick it gives is written to nick (at least 32 bytes) when nick is
 * not NULL. Returns the fd (the caller closes it). Fails the test on a
 * refused handshake or a welcome that is not one.
 */
int	 h_ws_join(unsigned port, char *nick);

/*
 * The payload of the next frame from the server, NUL-terminated, valid
 * until the next call; NULL on timeout or end of stream after ms. Fails
 * the test at the caller's line unless the frame is a whole, unmasked
 * text frame whose payload is valid UTF-8 (as RFC 6455 requires).
 */
#define h_ws_text(fd, ms)	h_ws_text_at((fd), (ms), __FILE__, __LINE__)
const char	*h_ws_text_at(int fd, int ms, const char *file, int line);

/*
 * Whether p[0..n) is valid UTF-8: shortest forms, no surrogates, nothing
 * past U+10FFFF. Written apart from common/text.c, so that a mistake
 * there cannot hide.
 */
bool	 h_utf8_valid(const char *p, size_t n);

#endif /* LOBBY_HARNESS_H */
