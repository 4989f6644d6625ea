/* sha1: the SHA-1 digest (FIPS 180-4), for the WebSocket handshake only. */
#ifndef LOBBY_SHA1_H
#define LOBBY_SHA1_H

#include <stddef.h>
#include <stdint.h>

#define SHA1_LEN	20	/* bytes in a digest */

/*
 * SHA-1 is broken for collision resistance; RFC 6455 uses it only to prove
 * that the server read the handshake, which needs no secrecy at all.
 */
struct sha1 {
	uint32_t	h[5];		/* the running hash state */
	uint64_t	len;		/* bytes hashed so far */
	unsigned char	block[64];	/* a partial block */
	size_t		used;		/* bytes in block */
};

/* Start a new digest. */
void	sha1_init(struct sha1 *s);

/* Hash n more bytes. */
void	sha1_update(struct sha1 *s, const void *p, size_t n);

/* Finish: write the digest to out. s must be initialised again for reuse. */
void	sha1_final(struct sha1 *s, unsigned char out[SHA1_LEN]);

/* The digest of p[0..n) in one call. */
void	sha1_digest(const void *p, size_t n, unsigned char out[SHA1_LEN]);

#endif /* LOBBY_SHA1_H */
