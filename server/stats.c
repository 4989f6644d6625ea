/* stats: the server's counters, and their one-line and per-field forms. */
#include "stats.h"

#include <stdio.h>
#include <string.h>

void
stats_init(struct stats *s, int64_t now)
{
	memset(s, 0, sizeof *s);
	s->started = now;
}

void
stats_join(struct stats *s)
{
	if (++s->clients > s->peak)
		s->peak = s->clients;
}

void
stats_leave(struct stats *s)
{
	if (s->clients > 0)
		s->clients--;
}

void
stats_written(struct stats *s, size_t bytes, uint64_t lines)
{
	s->bytes_out += bytes;
	s->lines_out += lines;
}

void
stats_sent(struct stats *s, const void *p, size_t n)
{
	const char *q = p, *end = q + n;

	s->bytes_out += n;
	while (q < end && (q = memchr(q, '\n', (size_t)(end - q))) != NULL) {
		s->lines_out++;
		q++;
	}
}

void
stats_snapshot(const struct stats *s, int64_t now,
    struct stats_field out[STATS_NFIELDS])
{
	const struct stats_field f[STATS_NFIELDS] = {
		{ "clients", STATS_GAUGE, "Members connected now.",
		    s->clients },
		{ "peak", STATS_GAUGE, "Most members at once since start.",
		    s->peak },
		{ "accepted", STATS_COUNTER, "Connections accepted.",
		    s->accepted },
		{ "refused_full", STATS_COUNTER,
		    "Connections refused: server full.", s->refused_full },
		{ "refused_per_ip", STATS_COUNTER,
		    "Connections refused: too many from one address.",
		    s->refused_per_ip },
		{ "lines_in", STATS_COUNTER, "Lines received from members.",
		    s->lines_in },
		{ "bytes_in", STATS_COUNTER, "Bytes received from members.",
		    s->bytes_in },
		{ "lines_out", STATS_COUNTER, "Lines delivered to members.",
		    s->lines_out },
		{ "bytes_out", STATS_COUNTER, "Bytes delivered to members.",
		    s->bytes_out },
		{ "dropped_slow", STATS_COUNTER,
		    "Members dropped as too slow.", s->dropped_slow },
		{ "dropped_idle", STATS_COUNTER, "Members dropped as idle.",
		    s->dropped_idle },
		{ "flood_held", STATS_COUNTER,
		    "Times a member was held back by --flood.", s->flood_held },
		{ "uptime", STATS_GAUGE, "Seconds since start.",
		    now > s->started ? (uint64_t)(now - s->started) / 1000 : 0 },
	};

	memcpy(out, f, sizeof f);
}

size_t
stats_format(const struct stats *s, int64_t now, char *out, size_t outlen)
{
	struct stats_field f[STATS_NFIELDS];
	size_t len = 0, i;
	int n;

	stats_snapshot(s, now, f);
	if (outlen > 0)
		out[0] = '\0';
	for (i = 0; i < STATS_NFIELDS; i++) {
		n = snprintf(out + (len < outlen ? len : outlen),
		    len < outlen ? outlen - len : 0, "%s%s=%llu",
		    i > 0 ? " " : "", f[i].key,
		    (unsigned long long)f[i].value);
		if (n > 0)
			len += (size_t)n;
	}
	return len;
}
