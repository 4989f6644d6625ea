/* client: one connection: its socket, input framer, output queue, nick. */
#include "client.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct client *
client_new(int fd, unsigned id, const char *addr, size_t max_line)
{
	struct client *c;

	if ((c = calloc(1, sizeof *c)) == NULL)
		return NULL;
	c->fd = fd;
	c->id = id;
	snprintf(c->addr, sizeof c->addr, "%s", addr);
	line_init(&c->line, max_line);
	return c;
}

void
client_free(struct client *c)
{
	if (c == NULL)
		return;
	line_free(&c->line);
	rlog_release(&c->rd);
	buf_free(&c->held);
	free(c);
}

int
client_held_front(struct client *c, const char *lines, size_t n)
{
	struct buf b = BUF_INIT;
	char kind = CLIENT_HELD_RUN;
	size_t len;

	while (n > 0) {
		len = strlen(lines);
		if (buf_append(&b, &kind, 1) == -1 ||
		    buf_append(&b, lines, len) == -1 ||
		    buf_append(&b, "\n", 1) == -1)
			goto fail;
		lines += len + 1;
		n -= len + 1;
	}
	if (buf_append(&b, buf_peek(&c->held), buf_used(&c->held)) == -1)
		goto fail;
	buf_free(&c->held);
	c->held = b;
	return 0;
fail:
	buf_free(&b);
	return -1;
}
