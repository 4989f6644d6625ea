/* base64: the RFC 4648 base64 alphabet, padded, for the WebSocket keys. */
#ifndef LOBBY_BASE64_H
#define LOBBY_BASE64_H

#include <stddef.h>

/* Characters base64_encode() writes for n bytes, without the NUL. */
#define BASE64_LEN(n)	(((n) + 2) / 3 * 4)

/*
 * Write the padded base64 form of in[0..n) and a NUL to out, which must
 * hold BASE64_LEN(n) + 1 bytes. Returns the length written.
 */
size_t	base64_encode(const void *in, size_t n, char *out);

/*
 * Decode the padded base64 text in[0..n) into out (room for n / 4 * 3
 * bytes). Strict, as a handshake check should be: the length must be a
 * multiple of 4, padding only at the end, no whitespace, and the unused
 * bits of the last group zero. Returns the bytes written, or -1.
 */
long	base64_decode(const char *in, size_t n, void *out);

#endif /* LOBBY_BASE64_H */
