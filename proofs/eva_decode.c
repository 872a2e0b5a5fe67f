/*
 * Eva harness: p9_msg_decode_ex, strict and tolerant, on every frame of
 * 0..P9_PROOF_MAXLEN arbitrary bytes. The frame lies at the very end of a
 * P9_PROOF_MAXLEN-byte array, so a read past its end is out of bounds.
 */
#include "__fc_builtin.h"
#include "p9.h"

#ifndef P9_PROOF_MAXLEN
#define P9_PROOF_MAXLEN 48
#endif

static uint8_t frame[P9_PROOF_MAXLEN];

int
main(void)
{
	size_t len = Frama_C_size_t_interval(0, P9_PROOF_MAXLEN);
	unsigned flags = Frama_C_unsigned_int_interval(0, 1) ? P9_DEC_TOLERANT : 0;
	struct p9_msg m;
	size_t at;

	for (size_t i = 0; i < P9_PROOF_MAXLEN; i++)
		frame[i] = Frama_C_unsigned_char_interval(0, 255);
	//@ split len;
	return p9_msg_decode_ex(frame + P9_PROOF_MAXLEN - len, len, flags, &m, &at);
}
