/* proto: the wire contract shared by lobbyd and lobby: nicks, port, lines. */
#include "proto.h"

#include <strings.h>

/* Whether s[0..len) is 1 to max of A-Z a-z 0-9 _ -. */
static bool
proto_word_valid(const char *s, size_t len, size_t max)
{
	size_t i;

	if (len < 1 || len > max)
		return false;
	for (i = 0; i < len; i++) {
		char ch = s[i];

		if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
		    (ch >= '0' && ch <= '9') || ch == '_' || ch == '-'))
			return false;
	}
	return true;
}

bool
proto_nick_valid(const char *nick, size_t len)
{
	return proto_word_valid(nick, len, PROTO_NICK_MAX);
}

bool
proto_room_valid(const char *name, size_t len)
{
	return proto_word_valid(name, len, PROTO_ROOM_MAX);
}

size_t
proto_guest_number(const char *nick, size_t max)
{
	size_t n = 0, k = sizeof PROTO_GUEST - 1;
	const char *p;

	if (strncasecmp(nick, PROTO_GUEST, k) != 0 || nick[k] < '1' ||
	    nick[k] > '9')
		return 0;
	for (p = nick + k; *p != '\0'; p++) {
		if (*p < '0' || *p > '9')
			return 0;
		n = n * 10 + (size_t)(*p - '0');
		if (n > max)
			return 0;
	}
	return n;
}
