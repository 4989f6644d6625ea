/* mix: the mixing step of the server's keyed hash tables (peers, rooms). */
#ifndef LOBBY_MIX_H
#define LOBBY_MIX_H

#include <stdint.h>

/* Mix a 64-bit word (the splitmix64 finaliser): every bit counts. */
static inline uint64_t
mix64(uint64_t x)
{
	x ^= x >> 30;
	x *= UINT64_C(0xbf58476d1ce4e5b9);
	x ^= x >> 27;
	x *= UINT64_C(0x94d049bb133111eb);
	x ^= x >> 31;
	return x;
}

#endif
