/* roster: who is in the room, as the server's lines tell it, for Tab. */
#include "roster.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "proto.h"
#include "sline.h"

void
roster_init(struct roster *r)
{
	r->names = NULL;
	r->n = 0;
	r->cap = 0;
}

void
roster_free(struct roster *r)
{
	size_t i;

	for (i = 0; i < r->n; i++)
		free(r->names[i]);
	free(r->names);
	roster_init(r);
}

/* Where nick is, or would go, in the sorted names; *found if there. */
static size_t
roster_find(const struct roster *r, const char *nick, bool *found)
{
	size_t lo = 0, hi = r->n, mid;
	int c;

	*found = false;
	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		c = strcasecmp(nick, r->names[mid]);
		if (c == 0) {
			*found = true;
			return mid;
		}
		if (c < 0)
			hi = mid;
		else
			lo = mid + 1;
	}
	return lo;
}

/* Room for one more name. Returns 0, or -1 out of memory. */
static int
roster_grow(struct roster *r)
{
	char **grown;

	if (r->n < r->cap)
		return 0;
	grown = realloc(r->names, (r->cap ? r->cap * 2 : 16) * sizeof *grown);
	if (grown == NULL)
		return -1;
	r->names = grown;
	r->cap = r->cap ? r->cap * 2 : 16;
	return 0;
}

int
roster_add(struct roster *r, const char *nick)
{
	char *copy;
	bool found;
	size_t at = roster_find(r, nick, &found);

	if (found) {
		/* The case may have changed: keep the newest spelling. */
		if (strcmp(r->names[at], nick) != 0 &&
		    strlen(r->names[at]) == strlen(nick))
			memcpy(r->names[at], nick, strlen(nick));
		return 0;
	}
	if (roster_grow(r) == -1 || (copy = strdup(nick)) == NULL)
		return -1;
	memmove(r->names + at + 1, r->names + at, (r->n - at) * sizeof *r->names);
	r->names[at] = copy;
	r->n++;
	return 0;
}

int
roster_append(struct roster *r, const char *p, size_t len)
{
	char *copy;

	if (roster_grow(r) == -1 || (copy = malloc(len + 1)) == NULL)
		return -1;
	memcpy(copy, p, len);
	copy[len] = '\0';
	r->names[r->n++] = copy;
	return 0;
}

/* qsort() order of two names: ignoring case. */
static int
roster_cmp(const void *a, const void *b)
{
	return strcasecmp(*(char *const *)a, *(char *const *)b);
}

void
roster_sort(struct roster *r)
{
	size_t i, k = 0;

	if (r->n == 0)
		return;
	qsort(r->names, r->n, sizeof *r->names, roster_cmp);
	for (i = 1; i < r->n; i++) {
		if (strcasecmp(r->names[i], r->names[k]) == 0)
			free(r->names[i]);
		else
			r->names[++k] = r->names[i];
	}
	r->n = k + 1;
}

void
roster_remove(struct roster *r, const char *nick)
{
	bool found;
	size_t at = roster_find(r, nick, &found);

	if (!found)
		return;
	free(r->names[at]);
	memmove(r->names + at, r->names + at + 1,
	    (r->n - at - 1) * sizeof *r->names);
	r->n--;
}

/* Add the nick at p, len bytes (valid: sline checked it). */
static int
roster_add_n(struct roster *r, const char *p, size_t len)
{
	char w[PROTO_NICK_MAX + 1];

	memcpy(w, p, len);
	w[len] = '\0';
	return roster_add(r, w);
}

/* "*** N online: a b c": the whole room, replacing what we knew. */
static int
roster_who(struct roster *r, const struct sline *sl)
{
	const char *p = sl->text, *nick;
	size_t n = sl->tlen, len;
	int rc = 0;

	/* In join order: sorted once at the end, not name by name. */
	roster_free(r);
	while (sline_who_next(&p, &n, &nick, &len))
		if (roster_append(r, nick, len) == -1)
			rc = -1;
	roster_sort(r);
	return rc;
}

int
roster_update(struct roster *r, const char *s, size_t n)
{
	char w[PROTO_NICK_MAX + 1];
	struct sline sl;

	switch (sline_parse(&sl, s, n)) {
	case SLINE_WHO:
		return roster_who(r, &sl);
	case SLINE_MOVED:
		/* Another room: nobody known until its /who answers. */
		roster_free(r);
		return 0;
	case SLINE_LEFT:
	case SLINE_WENT:
		memcpy(w, sl.nick, sl.nlen);
		w[sl.nlen] = '\0';
		roster_remove(r, w);
		return 0;
	case SLINE_RENAMED:
		memcpy(w, sl.nick, sl.nlen);
		w[sl.nlen] = '\0';
		roster_remove(r, w);
		return roster_add_n(r, sl.nick2, sl.n2len);
	case SLINE_WELCOME:
	case SLINE_JOINED:
		return roster_add_n(r, sl.nick, sl.nlen);
	case SLINE_CHAT:
	case SLINE_ACTION:
	case SLINE_PM:
		/* Whoever talks is in the room (history: whoever talked). */
		return sl.stamp > 0 ? 0 : roster_add_n(r, sl.nick, sl.nlen);
	default:
		return 0;
	}
}
