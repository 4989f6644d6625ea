/* sha1: the SHA-1 digest (FIPS 180-4), for the WebSocket handshake only. */
#include "sha1.h"

#include <string.h>

/* Rotate x left by n bits (0 < n < 32). */
static uint32_t
sha1_rol(uint32_t x, unsigned n)
{
	return x << n | x >> (32 - n);
}

/* Mix one 64-byte block into the state (FIPS 180-4, 6.1.2). */
static void
sha1_block(uint32_t h[5], const unsigned char *p)
{
	uint32_t w[80], a, b, c, d, e, f, k, t;
	unsigned i;

	for (i = 0; i < 16; i++)
		w[i] = (uint32_t)p[4 * i] << 24 | (uint32_t)p[4 * i + 1] << 16 |
		    (uint32_t)p[4 * i + 2] << 8 | (uint32_t)p[4 * i + 3];
	for (i = 16; i < 80; i++)
		w[i] = sha1_rol(w[i - 3] ^ w[i - 8] ^ w[i - 14] ^ w[i - 16], 1);
	a = h[0];
	b = h[1];
	c = h[2];
	d = h[3];
	e = h[4];
	for (i = 0; i < 80; i++) {
		if (i < 20) {
			f = (b & c) | (~b & d);
			k = 0x5a827999;
		} else if (i < 40) {
			f = b ^ c ^ d;
			k = 0x6ed9eba1;
		} else if (i < 60) {
			f = (b & c) | (b & d) | (c & d);
			k = 0x8f1bbcdc;
		} else {
			f = b ^ c ^ d;
			k = 0xca62c1d6;
		}
		t = sha1_rol(a, 5) + f + e + k + w[i];
		e = d;
		d = c;
		c = sha1_rol(b, 30);
		b = a;
		a = t;
	}
	h[0] += a;
	h[1] += b;
	h[2] += c;
	h[3] += d;
	h[4] += e;
}

void
sha1_init(struct sha1 *s)
{
	s->h[0] = 0x67452301;
	s->h[1] = 0xefcdab89;
	s->h[2] = 0x98badcfe;
	s->h[3] = 0x10325476;
	s->h[4] = 0xc3d2e1f0;
	s->len = 0;
	s->used = 0;
}

void
sha1_update(struct sha1 *s, const void *p, size_t n)
{
	const unsigned char *b = p;
	size_t take;

	s->len += n;
	while (n > 0) {
		if (s->used == 0 && n >= sizeof s->block) {
			/* Whole blocks straight from the input, no copy. */
			sha1_block(s->h, b);
			b += sizeof s->block;
			n -= sizeof s->block;
			continue;
		}
		take = sizeof s->block - s->used;
		if (take > n)
			take = n;
		memcpy(s->block + s->used, b, take);
		s->used += take;
		b += take;
		n -= take;
		if (s->used == sizeof s->block) {
			sha1_block(s->h, s->block);
			s->used = 0;
		}
	}
}

void
sha1_final(struct sha1 *s, unsigned char out[SHA1_LEN])
{
	uint64_t bits = s->len * 8;
	unsigned i;

	/* Padding: 0x80, zeros up to 56 mod 64, the length in bits. */
	s->block[s->used++] = 0x80;
	if (s->used > 56) {
		memset(s->block + s->used, 0, sizeof s->block - s->used);
		sha1_block(s->h, s->block);
		s->used = 0;
	}
	memset(s->block + s->used, 0, 56 - s->used);
	for (i = 0; i < 8; i++)
		s->block[56 + i] = (unsigned char)(bits >> (56 - 8 * i));
	sha1_block(s->h, s->block);
	for (i = 0; i < SHA1_LEN; i++)
		out[i] = (unsigned char)(s->h[i / 4] >> (24 - 8 * (i % 4)));
}

void
sha1_digest(const void *p, size_t n, unsigned char out[SHA1_LEN])
{
	struct sha1 s;

	sha1_init(&s);
	sha1_update(&s, p, n);
	sha1_final(&s, out);
}
