/* cmdline: a member's line as chat, "//text" or "/name args", one rule. */
#include "cmdline.h"

#include <string.h>
#include <strings.h>

/* The blanks between words: what text_is_blank() skips too. */
static bool
cmdline_blank(char ch)
{
	return ch == ' ' || ch == '\t';
}

const char *
cmdline_word(const char *s, size_t n, size_t *wlen, const char **rest,
    size_t *rlen)
{
	size_t i = 0, start;

	while (i < n && cmdline_blank(s[i]))
		i++;
	start = i;
	while (i < n && !cmdline_blank(s[i]))
		i++;
	*wlen = i - start;
	while (i < n && cmdline_blank(s[i]))
		i++;
	*rest = s + i;
	*rlen = n - i;
	return s + start;
}

void
cmdline_split(const char *s, size_t n, struct cmdline *cl)
{
	memset(cl, 0, sizeof *cl);
	if (n == 0 || cmdline_plain_chat(s, n) || (n > 1 && s[1] == '/')) {
		/* Chat; "//text" sends "/text". */
		cl->kind = CMDLINE_CHAT;
		cl->rest = n > 1 && s[0] == '/' ? s + 1 : s;
		cl->rlen = n > 1 && s[0] == '/' ? n - 1 : n;
		return;
	}
	cl->kind = CMDLINE_COMMAND;
	cl->name = cmdline_word(s + 1, n - 1, &cl->nlen, &cl->rest,
	    &cl->rlen);
	/* "/ who": the command word must touch the slash. */
	if (cl->name != s + 1) {
		cl->name = s + 1;
		cl->nlen = 0;
	}
}

bool
cmdline_is(const struct cmdline *cl, const char *name)
{
	return cl->kind == CMDLINE_COMMAND && cl->nlen > 0 &&
	    cl->nlen == strlen(name) &&
	    strncasecmp(cl->name, name, cl->nlen) == 0;
}
