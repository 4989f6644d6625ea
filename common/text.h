/* text: telnet IAC removal, UTF-8 repair and control-character removal. */
#ifndef LOBBY_TEXT_H
#define LOBBY_TEXT_H

#include <stdbool.h>
#include <stddef.h>

/*
 * Telnet negotiation is removed from the raw byte stream before framing.
 * The state lives across calls, so a sequence may be split over reads.
 */
struct telnet {
	unsigned char	state;	/* where in a sequence (values in text.c) */
};

#define TELNET_INIT { 0 }

/*
 * Remove telnet sequences from buf[0..n) in place: IAC IAC becomes one 0xFF
 * byte; IAC WILL/WONT/DO/DONT x, IAC SB ... IAC SE and any other IAC x go.
 * Returns the number of bytes left at the front of buf.
 */
size_t	telnet_strip(struct telnet *t, char *buf, size_t n);

/* Room text_clean() needs for n input bytes: each may become U+FFFD. */
#define TEXT_CLEAN_MAX(n)	((n) * 3)

/*
 * Write the clean form of in[0..n) to out, which must have room for
 * TEXT_CLEAN_MAX(n) bytes: valid UTF-8 is copied, each maximal ill-formed
 * subpart becomes one U+FFFD, and the code points U+0000-U+001F except TAB,
 * U+007F, U+0080-U+009F, the bidirectional controls U+202A-U+202E and
 * U+2066-U+2069, and the separators U+2028 and U+2029 are dropped.
 * Returns the bytes written.
 * out must not overlap in.
 */
size_t	text_clean(const char *in, size_t n, char *out);

/*
 * The fewest bytes a line could have had before text_clean() made the
 * clean text s[0..n) of it: what --max-line counts, for text that comes
 * already cleaned. That is n, less two for each U+FFFD (one ill-formed
 * byte may have become it); everything else is copied as it was, and what
 * cleaning drops only made the line longer.
 */
size_t	text_clean_source_min(const char *s, size_t n);

/*
 * How many bytes at the start of s[0..n) are printable ASCII (0x20-0x7e),
 * which text_clean() copies as they are.
 */
size_t	text_plain_span(const char *s, size_t n);

/* True when s[0..n) is empty or only spaces and TABs. */
bool	text_is_blank(const char *s, size_t n);

#endif /* LOBBY_TEXT_H */
