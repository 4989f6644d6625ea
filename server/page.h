/* page: the chat page served at "/", generated from web/index.html. */
#ifndef LOBBY_PAGE_H
#define LOBBY_PAGE_H

#include <stddef.h>

/* The page's bytes (UTF-8 HTML), as in the source file. */
extern const unsigned char	page_html[];
/* How many bytes page_html holds. */
extern const size_t		page_html_len;
/* The Content-Security-Policy the page is served with: its own inline
 * script and style only, WebSocket to its own origin. */
extern const char		page_csp[];

#endif /* LOBBY_PAGE_H */
