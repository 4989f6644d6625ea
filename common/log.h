/* log: timestamped, levelled log lines on stderr, or the journal's form. */
#ifndef LOBBY_LOG_H
#define LOBBY_LOG_H

#include <stdbool.h>
#include <stddef.h>

enum log_level {
	LOG_LEVEL_ERROR,	/* something failed that should not have */
	LOG_LEVEL_WARN,		/* a limit was hit, or a degraded start */
	LOG_LEVEL_INFO,		/* connects, leaves, nick changes */
	LOG_LEVEL_DEBUG,	/* everything else worth seeing with -v */
};

/*
 * Name the program in every line and show levels up to max. Also looks at
 * JOURNAL_STREAM: when it names stderr, lines take the journal's form.
 */
void	log_init(const char *prog, enum log_level max);

/*
 * Whether env, a JOURNAL_STREAM value ("DEVICE:INODE", as systemd sets
 * it), names the file open on fd: then fd is connected to the journal.
 */
bool	log_journal_stream(const char *env, int fd);

/*
 * Copy the string in to out (outlen bytes, NUL included), writing each C0
 * control byte, DEL and each UTF-8 encoded C1 control as \xNN, so that no
 * text can end a log line early or drive the terminal that shows it. What
 * does not fit is cut. Returns the length written.
 */
size_t	log_escape(const char *in, char *out, size_t outlen);

/*
 * One line: "2026-11-23T23:04:05.123Z lobbyd: info: text"; under systemd
 * (stderr is the journal) "<6>lobbyd: info: text", the syslog priority
 * first and no timestamp, which the journal adds. Control bytes in the
 * text are escaped (log_escape()). errno is kept, so a caller may log and
 * then still report errno.
 */
void	log_msg(enum log_level level, const char *fmt, ...)
	    __attribute__((format(printf, 2, 3)));

/*
 * Like log_msg(), but written whatever the threshold: for what the
 * operator asked for (a signal asking for the counters), also under -q.
 */
void	log_always(enum log_level level, const char *fmt, ...)
	    __attribute__((format(printf, 2, 3)));

/*
 * "PROG: text" on stderr as it stands: no timestamp, no level word, no
 * escaping, and whatever the threshold. For the lines scripts and
 * operators read as they are: "lobbyd: listening on ..." and the reasons
 * lobbyd cannot start. Under the journal the line starts with the
 * priority of level ("<3>lobbyd: ..."), as every log line does.
 */
void	log_bare(enum log_level level, const char *fmt, ...)
	    __attribute__((format(printf, 2, 3)));

#define log_error(...)	log_msg(LOG_LEVEL_ERROR, __VA_ARGS__)
#define log_warn(...)	log_msg(LOG_LEVEL_WARN, __VA_ARGS__)
#define log_info(...)	log_msg(LOG_LEVEL_INFO, __VA_ARGS__)
#define log_debug(...)	log_msg(LOG_LEVEL_DEBUG, __VA_ARGS__)

#endif /* LOBBY_LOG_H */
