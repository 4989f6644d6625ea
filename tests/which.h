/* which: find a program on PATH, for the tests that start one. */
#ifndef LOBBY_TESTS_WHICH_H
#define LOBBY_TESTS_WHICH_H

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/*
 * The first executable prog in a folder of $PATH, its path into out[n];
 * false when there is none (the test then skips: the program is absent).
 */
static inline bool
t_which(const char *prog, char *out, size_t n)
{
	const char *path = getenv("PATH");
	size_t k;

	while (path != NULL && *path != '\0') {
		k = strcspn(path, ":");
		snprintf(out, n, "%.*s/%s", (int)k, path, prog);
		if (access(out, X_OK) == 0)
			return true;
		path += k + (path[k] == ':');
	}
	return false;
}

#endif /* LOBBY_TESTS_WHICH_H */
