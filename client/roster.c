/* roster: who is in the room, as the server's lines tell it, for Tab. */
#include "roster.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "link.h"
#include "proto.h"

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

int
roster_add(struct roster *r, const char *nick)
{
	char **grown, *copy;
	bool found;
	size_t at = roster_find(r, nick, &found);

	if (found) {
		/* The case may have changed: keep the newest spelling. */
		if (strcmp(r->names[at], nick) != 0 &&
		    strlen(r->names[at]) == strlen(nick))
			memcpy(r->names[at], nick, strlen(nick));
		return 0;
	}
	if (r->n == r->cap) {
		grown = realloc(r->names, (r->cap ? r->cap * 2 : 16) *
		    sizeof *grown);
		if (grown == NULL)
			return -1;
		r->names = grown;
		r->cap = r->cap ? r->cap * 2 : 16;
	}
	if ((copy = strdup(nick)) == NULL)
		return -1;
	memmove(r->names + at + 1, r->names + at, (r->n - at) * sizeof *r->names);
	r->names[at] = copy;
	r->n++;
	return 0;
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

/* Copy the word s[0..n) up to a blank (or stop) into w; is it a nick? */
static bool
roster_word(const char *s, size_t n, const char *stop, char *w, size_t *len)
{
	size_t k = 0;

	while (k < n && strchr(stop, s[k]) == NULL && k <= PROTO_NICK_MAX)
		k++;
	if (k == 0 || k > PROTO_NICK_MAX)
		return false;
	memcpy(w, s, k);
	w[k] = '\0';
	*len = k;
	return link_nick_valid(w);
}

/* Does s[0..n) start with the NUL-terminated p? */
static bool
roster_starts(const char *s, size_t n, const char *p)
{
	size_t k = strlen(p);

	return n >= k && memcmp(s, p, k) == 0;
}

/* "*** N online: a b c": the whole room, replacing what we knew. */
static int
roster_who(struct roster *r, const char *s, size_t n)
{
	char w[PROTO_NICK_MAX + 2];
	size_t k;
	int rc = 0;

	roster_free(r);
	while (n > 0) {
		while (n > 0 && *s == ' ') {
			s++;
			n--;
		}
		if (n == 0)
			break;
		if (roster_word(s, n, " ", w, &k) && roster_add(r, w) == -1)
			rc = -1;
		while (n > 0 && *s != ' ') {
			s++;
			n--;
		}
	}
	return rc;
}

int
roster_update(struct roster *r, const char *s, size_t n)
{
	char a[PROTO_NICK_MAX + 2], b[PROTO_NICK_MAX + 2];
	const char *p;
	size_t k, j;

	if (roster_starts(s, n, "*** welcome to lobby, you are "))
		return roster_word(s + 30, n - 30, " (", a, &k) ?
		    roster_add(r, a) : 0;
	if (roster_starts(s, n, "*** ")) {
		s += 4;
		n -= 4;
		if ((p = memchr(s, ' ', n)) != NULL &&
		    roster_starts(p, n - (size_t)(p - s), " online: "))
			return roster_who(r, p + 9,
			    n - (size_t)(p - s) - 9);
		if (!roster_word(s, n, " ", a, &k))
			return 0;
		if (roster_starts(s + k, n - k, " joined") && n == k + 7)
			return roster_add(r, a);
		if (roster_starts(s + k, n - k, " left")) {
			roster_remove(r, a);
			return 0;
		}
		if (roster_starts(s + k, n - k, " is now ") &&
		    roster_word(s + k + 8, n - k - 8, " ", b, &j) &&
		    n == k + 8 + j) {
			roster_remove(r, a);
			return roster_add(r, b);
		}
		return 0;
	}
	/* Whoever talks is in the room. */
	if (roster_starts(s, n, "[pm] <"))
		return roster_word(s + 6, n - 6, ">", a, &k) ?
		    roster_add(r, a) : 0;
	if (roster_starts(s, n, "<"))
		return roster_word(s + 1, n - 1, ">", a, &k) ?
		    roster_add(r, a) : 0;
	if (roster_starts(s, n, "* "))
		return roster_word(s + 2, n - 2, " ", a, &k) ?
		    roster_add(r, a) : 0;
	return 0;
}
