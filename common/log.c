/* log: timestamped, levelled log lines on stderr, or the journal's form. */
#include "log.h"

#include <errno.h>
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

/* Write one line at level, whatever the -v/-q threshold. */
static void
log_vwrite(enum log_level level, const char *fmt, va_list ap)
{
	char stamp[32], line[1024], safe[1024];
	int64_t now;
	struct tm tm;
	time_t t;

	vsnprintf(line, sizeof line, fmt, ap);
	/* Whatever a client chose (a Unix peer path...) cannot end the line. */
	log_escape(line, safe, sizeof safe);
	/* One fprintf per line keeps lines whole when stderr is shared. */
	if (log_journal) {
		/* The journal stamps each line itself and reads <N> as the
		 * priority. */
		fprintf(stderr, "<%d>%s: %s: %s\n", log_prios[level],
		    log_prog, log_names[level], safe);
	} else {
		now = ltime_wall_ms();
		t = (time_t)(now / 1000);
		gmtime_r(&t, &tm);
		strftime(stamp, sizeof stamp, "%Y-%m-%dT%H:%M:%S", &tm);
		fprintf(stderr, "%s.%03ldZ %s: %s: %s\n", stamp,
		    (long)(now % 1000), log_prog, log_names[level], safe);
	}
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
