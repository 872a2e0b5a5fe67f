/*
 * Eva harness: p9_frame_need on every prefix of 0..8 arbitrary bytes of a
 * stream and every msize. The bytes lie at the very end of an 8-byte array,
 * so a read past `have` is out of bounds. 8 covers every path: below 4
 * bytes (size incomplete) and from 4 on (the size field is all it reads).
 */
#include "__fc_builtin.h"
#include "p9.h"

#define P9_PROOF_MAXLEN 8

static uint8_t stream[P9_PROOF_MAXLEN];

int
main(void)
{
	size_t have = Frama_C_size_t_interval(0, P9_PROOF_MAXLEN);
	uint32_t msize = Frama_C_unsigned_int_interval(0, UINT32_MAX);
	size_t need;

	for (size_t i = 0; i < P9_PROOF_MAXLEN; i++)
		stream[i] = Frama_C_unsigned_char_interval(0, 255);
	//@ split have;
	return p9_frame_need(stream + P9_PROOF_MAXLEN - have, have, msize, &need);
}
