/* history: the editor's history kept in a file across runs. */
#include "history.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "text.h"

int
history_path(char *path, size_t size)
{
	const char *state = getenv("XDG_STATE_HOME");
	const char *home = getenv("HOME");
	int n;

	/* The XDG rule: a relative path is invalid and ignored. */
	if (state != NULL && state[0] == '/')
		n = snprintf(path, size, "%s/lobby/history", state);
	else if (home != NULL && home[0] != '\0')
		n = snprintf(path, size, "%s/.local/state/lobby/history", home);
	else
		return -1;
	return n > 0 && (size_t)n < size ? 0 : -1;
}

int
history_load(struct editor *e, const char *path)
{
	char line[EDITOR_MAX + 2], clean[TEXT_CLEAN_MAX(EDITOR_MAX + 2)];
	FILE *f;
	size_t n;

	if ((f = fopen(path, "r")) == NULL)
		return errno == ENOENT ? 0 : -1;
	while (fgets(line, sizeof line, f) != NULL) {
		n = strlen(line);
		if (n == 0 || line[n - 1] != '\n') {
			/* Too long: skip the rest of it. */
			int c;

			while ((c = getc(f)) != EOF && c != '\n')
				;
			continue;
		}
		line[--n] = '\0';
		/* Only what the editor itself could have typed. */
		if (text_clean(line, n, clean) != n ||
		    memcmp(clean, line, n) != 0)
			continue;
		if (editor_hist_add(e, line) == -1)
			break;
	}
	fclose(f);
	return 0;
}

/* Make the folder that holds path, and those above it, mode 0700. */
static int
history_mkdirs(const char *path)
{
	char dir[4096];
	size_t i, n = strlen(path);

	if (n >= sizeof dir)
		return -1;
	memcpy(dir, path, n + 1);
	for (i = 1; i < n; i++) {
		if (dir[i] != '/')
			continue;
		dir[i] = '\0';
		if (mkdir(dir, 0700) == -1 && errno != EEXIST)
			return -1;
		dir[i] = '/';
	}
	return 0;
}

int
history_save(const struct editor *e, const char *path)
{
	char tmp[4096 + 8];
	FILE *f;
	size_t i;
	int fd, saved;

	if (history_mkdirs(path) == -1 ||
	    snprintf(tmp, sizeof tmp, "%s.new", path) >= (int)sizeof tmp)
		return -1;
	if ((fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC,
	    0600)) == -1)
		return -1;
	/* Whatever the umask, and should the file have been there. */
	if (fchmod(fd, 0600) == -1 || (f = fdopen(fd, "w")) == NULL) {
		saved = errno;
		close(fd);
		unlink(tmp);
		errno = saved;
		return -1;
	}
	for (i = 0; i < e->nhist; i++)
		fprintf(f, "%s\n", e->hist[i]);
	if (fflush(f) == EOF || fsync(fd) == -1) {
		saved = errno;
		fclose(f);
		unlink(tmp);
		errno = saved;
		return -1;
	}
	if (fclose(f) == EOF || rename(tmp, path) == -1) {
		saved = errno;
		unlink(tmp);
		errno = saved;
		return -1;
	}
	return 0;
}
