/* log: timestamped, levelled log lines on stderr, or the journal's form. */
#include "log.h"

#include <errno.h>
#include <poll.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "ltime.h"

/*
 * The one piece of process-wide state outside main.c: every module may log,
 * and threading a logger through each call would only add noise.
 */
static const char	*log_prog = "lobby";
static enum log_level	 log_max = LOG_LEVEL_INFO;
static bool		 log_journal;	/* stderr is systemd's journal */

static const char *const log_names[] = { "error", "warn", "info", "debug" };
/* syslog(3) priorities of the levels: LOG_ERR, LOG_WARNING, ... */
static const int log_prios[] = { 3, 4, 6, 7 };

bool
log_journal_stream(const char *env, int fd)
{
	unsigned long long dev, ino;
	struct stat st;
	char tail;

	if (env == NULL || sscanf(env, "%llu:%llu%c", &dev, &ino,
	    &tail) != 2 || fstat(fd, &st) == -1)
		return false;
	return (unsigned long long)st.st_dev == dev &&
	    (unsigned long long)st.st_ino == ino;
}

void
log_init(const char *prog, enum log_level max)
{
	log_prog = prog;
	log_max = max;
	log_journal = log_journal_stream(getenv("JOURNAL_STREAM"),
	    STDERR_FILENO);
}

size_t
log_escape(const char *in, char *out, size_t outlen)
{
	static const char hex[] = "0123456789abcdef";
	const unsigned char *p = (const unsigned char *)in;
	size_t o = 0;

	if (outlen == 0)
		return 0;
	for (; *p != '\0'; p++) {
		/*
		 * C0 controls and DEL become \xNN; so does a C1 control
		 * (U+0080-U+009F, which some terminals obey) written as
		 * UTF-8, byte by byte. A backslash stays a backslash.
		 */
		bool esc = *p < 0x20 || *p == 0x7f ||
		    (*p == 0xc2 && p[1] >= 0x80 && p[1] <= 0x9f);

		if (!esc) {
			if (o + 1 >= outlen)
				break;
			out[o++] = (char)*p;
			continue;
		}
		if (o + (*p == 0xc2 ? 8 : 4) >= outlen)
			break;
		if (*p == 0xc2) {
			memcpy(out + o, "\\xc2", 4);
			o += 4;
			p++;
		}
		out[o++] = '\\';
		out[o++] = 'x';
		out[o++] = hex[*p >> 4];
		out[o++] = hex[*p & 0xf];
	}
	out[o] = '\0';
	return o;
}

/*
 * Whether stderr takes a line now. A pipe or socket nobody reads (a
 * stalled journal, a shell pipeline stopped) must not stop the process:
 * poll(2) without waiting says whether a write of one line would block
 * (a pipe with a free buffer, a socket under its send buffer's quarter,
 * take a line this size whole). A file always takes it.
 */
static bool
log_ready(void)
{
	struct pollfd p;

	p.fd = STDERR_FILENO;
	p.events = POLLOUT;
	p.revents = 0;
	/* An error or hang-up is the write's to find (EPIPE: no signal). */
	return poll(&p, 1, 0) != 0;
}

/* Put text[0..n), whole lines, out with one write(2): lines stay whole
 * when stderr is shared. */
static void
log_put(const char *text, size_t n)
{
	ssize_t k;

	do
		k = write(STDERR_FILENO, text, n);
	while (k == -1 && errno == EINTR);
}

/* Format one line of level with text (escaped) into out. */
static size_t
log_format(enum log_level level, const char *text, char *out, size_t size)
{
	char stamp[32];
	int64_t now;
	struct tm tm;
	time_t t;
	int n;

	if (log_journal) {
		/* The journal stamps each line itself and reads <N> as the
		 * priority. */
		n = snprintf(out, size, "<%d>%s: %s: %s\n", log_prios[level],
		    log_prog, log_names[level], text);
	} else {
		now = ltime_wall_ms();
		t = (time_t)(now / 1000);
		gmtime_r(&t, &tm);
		strftime(stamp, sizeof stamp, "%Y-%m-%dT%H:%M:%S", &tm);
		n = snprintf(out, size, "%s.%03ldZ %s: %s: %s\n", stamp,
		    (long)(now % 1000), log_prog, log_names[level], text);
	}
	if (n < 0)
		return 0;
	if ((size_t)n >= size) {
		/* Cut, but still a line. */
		out[size - 2] = '\n';
		return size - 1;
	}
	return (size_t)n;
}

/*
 * Write one line at level, whatever the -v/-q threshold. While stderr
 * does not take lines, those below error are dropped and counted; the
 * count is logged before the next line that goes out, in the same
 * write(2): poll(2) promised room for one write (log_ready()), not two,
 * and another writer of stderr cannot come between them. Both fit in
 * PIPE_BUF (4096) bytes, what a pipe with room takes whole. An error is
 * written whatever it costs: it is rare, and often the last word.
 */
static void
log_vwrite(enum log_level level, const char *fmt, va_list ap)
{
	static unsigned long dropped;
	char line[1024], safe[1024], out[1400], note[64];
	size_t n = 0;

	if (level > LOG_LEVEL_ERROR && !log_ready()) {
		dropped++;
		return;
	}
	if (dropped > 0) {
		/* Under 200 bytes: the line keeps its 1200. */
		snprintf(note, sizeof note, "%lu log lines dropped: stderr was "
		    "not read", dropped);
		n = log_format(LOG_LEVEL_WARN, note, out, 200);
		dropped = 0;
	}
	vsnprintf(line, sizeof line, fmt, ap);
	/* Whatever a client chose (a Unix peer path...) cannot end the line. */
	log_escape(line, safe, sizeof safe);
	n += log_format(level, safe, out + n, sizeof out - n);
	log_put(out, n);
}

void
log_msg(enum log_level level, const char *fmt, ...)
{
	int saved = errno;
	va_list ap;

	if (level <= log_max) {
		va_start(ap, fmt);
		log_vwrite(level, fmt, ap);
		va_end(ap);
	}
	errno = saved;
}

void
log_always(enum log_level level, const char *fmt, ...)
{
	int saved = errno;
	va_list ap;

	va_start(ap, fmt);
	log_vwrite(level, fmt, ap);
	va_end(ap);
	errno = saved;
}

void
log_bare(enum log_level level, const char *fmt, ...)
{
	int saved = errno, k = 0, n;
	char out[8192];
	va_list ap;

	if (log_journal)
		k = snprintf(out, sizeof out, "<%d>", log_prios[level]);
	k += snprintf(out + k, sizeof out - (size_t)k, "%s: ", log_prog);
	va_start(ap, fmt);
	n = vsnprintf(out + k, sizeof out - (size_t)k, fmt, ap);
	va_end(ap);
	/* A text too long for one line is cut, but still ends it. */
	k = n < 0 ? k : (size_t)(k + n) < sizeof out - 1 ? k + n :
	    (int)sizeof out - 2;
	out[k++] = '\n';
	log_put(out, (size_t)k);
	errno = saved;
}
