/* log: timestamped, levelled log lines on stderr. */
#include "log.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <time.h>

/*
 * The one piece of process-wide state outside main.c: every module may log,
 * and threading a logger through each call would only add noise.
 */
static const char	*log_prog = "lobby";
static enum log_level	 log_max = LOG_LEVEL_INFO;

static const char *const log_names[] = { "error", "warn", "info", "debug" };

void
log_init(const char *prog, enum log_level max)
{
	log_prog = prog;
	log_max = max;
}

void
log_msg(enum log_level level, const char *fmt, ...)
{
	int saved = errno;
	char stamp[32], line[1024];
	struct timespec ts;
	struct tm tm;
	va_list ap;

	if (level > log_max) {
		errno = saved;
		return;
	}
	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	strftime(stamp, sizeof stamp, "%Y-%m-%dT%H:%M:%S", &tm);
	va_start(ap, fmt);
	vsnprintf(line, sizeof line, fmt, ap);
	va_end(ap);
	/* One fprintf per line keeps lines whole when stderr is shared. */
	fprintf(stderr, "%s.%03ldZ %s: %s: %s\n", stamp,
	    (long)(ts.tv_nsec / 1000000), log_prog, log_names[level], line);
	errno = saved;
}
