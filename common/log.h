/* log: timestamped, levelled log lines on stderr. */
#ifndef LOBBY_LOG_H
#define LOBBY_LOG_H

enum log_level {
	LOG_LEVEL_ERROR,	/* something failed that should not have */
	LOG_LEVEL_WARN,		/* a limit was hit, or a degraded start */
	LOG_LEVEL_INFO,		/* connects, leaves, nick changes */
	LOG_LEVEL_DEBUG,	/* everything else worth seeing with -v */
};

/* Name the program in every line and show levels up to max. */
void	log_init(const char *prog, enum log_level max);

/*
 * One line: "2026-11-23T23:04:05.123Z lobbyd: info: text". errno is kept,
 * so a caller may log and then still report errno.
 */
void	log_msg(enum log_level level, const char *fmt, ...)
	    __attribute__((format(printf, 2, 3)));

#define log_error(...)	log_msg(LOG_LEVEL_ERROR, __VA_ARGS__)
#define log_warn(...)	log_msg(LOG_LEVEL_WARN, __VA_ARGS__)
#define log_info(...)	log_msg(LOG_LEVEL_INFO, __VA_ARGS__)
#define log_debug(...)	log_msg(LOG_LEVEL_DEBUG, __VA_ARGS__)

#endif /* LOBBY_LOG_H */
