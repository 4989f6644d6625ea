/* motd: the message of the day, read once at start and cleaned like chat. */
#include "motd.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "text.h"

/* Keep one more cleaned line (len bytes at text); -1 on ENOMEM. */
static int
motd_add(struct motd *m, const char *text, size_t len)
{
	char **lines, *clean;
	size_t n;

	if ((clean = malloc(TEXT_CLEAN_MAX(len) + 1)) == NULL)
		return -1;
	n = text_clean(text, len, clean);
	if (text_is_blank(clean, n)) {
		free(clean);
		return 0;
	}
	clean[n] = '\0';
	if ((lines = realloc(m->lines, (m->n + 1) * sizeof *lines)) == NULL) {
		free(clean);
		return -1;
	}
	m->lines = lines;
	m->lines[m->n++] = clean;
	return 0;
}

int
motd_load(struct motd *m, const char *path, size_t max_line, char *err,
    size_t errlen)
{
	FILE *f;
	char *line = NULL;
	size_t cap = 0, len, nlines = 0;
	ssize_t got;
	int rc = -1;

	m->lines = NULL;
	m->n = 0;
	if ((f = fopen(path, "r")) == NULL) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	errno = 0;
	while ((got = getline(&line, &cap, f)) != -1) {
		len = (size_t)got;
		if (len > 0 && line[len - 1] == '\n')
			len--;
		if (len > 0 && line[len - 1] == '\r')
			len--;
		if (++nlines > MOTD_MAX_LINES) {
			snprintf(err, errlen, "%s: more than %d lines", path,
			    MOTD_MAX_LINES);
			goto out;
		}
		if (len > max_line) {
			snprintf(err, errlen, "%s: line %zu is longer than "
			    "%zu bytes", path, nlines, max_line);
			goto out;
		}
		if (motd_add(m, line, len) == -1) {
			snprintf(err, errlen, "%s: out of memory", path);
			goto out;
		}
		errno = 0;
	}
	if (ferror(f) || errno != 0) {
		snprintf(err, errlen, "%s: %s", path,
		    strerror(errno != 0 ? errno : EIO));
		goto out;
	}
	rc = 0;
out:
	free(line);
	fclose(f);
	if (rc == -1)
		motd_free(m);
	return rc;
}

void
motd_free(struct motd *m)
{
	size_t i;

	for (i = 0; i < m->n; i++)
		free(m->lines[i]);
	free(m->lines);
	m->lines = NULL;
	m->n = 0;
}
