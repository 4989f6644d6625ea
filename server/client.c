/* client: one connection: its socket, input framer, output queue, nick. */
#include "client.h"

#include <stdio.h>
#include <stdlib.h>

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
