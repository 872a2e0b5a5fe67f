/*
 * Eva harness (not yet at 0 alarms: proofs/README.md): p9_msg_encode of a
 * decoded message. Every frame of 0..P9_PROOF_MAXLEN arbitrary bytes is
 * decoded (strict and tolerant, as in eva_decode.c, with the same splits);
 * when it decodes, the message is encoded into out[0 .. cap) for every
 * cap in 0..P9_PROOF_MAXLEN (a buffer as big as the frame it came from,
 * and every smaller one). The buffer starts at out, so Eva itself only
 * sees writes past the array; writes past cap are excluded by the WP
 * contracts of the writers, whose p9_wr_ok precondition Eva checks.
 */
#include "__fc_builtin.h"
#include "p9.h"

#ifndef P9_PROOF_MAXLEN
#define P9_PROOF_MAXLEN 24
#endif

static uint8_t frame[P9_PROOF_MAXLEN];
static uint8_t out[P9_PROOF_MAXLEN];

int
main(void)
{
	size_t len = Frama_C_size_t_interval(0, P9_PROOF_MAXLEN);
	size_t cap = Frama_C_size_t_interval(0, P9_PROOF_MAXLEN);
	unsigned flags = Frama_C_unsigned_int_interval(0, 1) ? P9_DEC_TOLERANT : 0;
	struct p9_msg m;
	size_t at;
	uint8_t *f;
	uint8_t type;

	for (size_t i = 0; i < P9_PROOF_MAXLEN; i++)
		frame[i] = Frama_C_unsigned_char_interval(0, 255);
	//@ split len;
	f = frame + P9_PROOF_MAXLEN - len;
	if (len > 4) {
		type = Frama_C_unsigned_char_interval(0, 255);
		//@ split type;
		f[4] = type;
		if (type == P9_RREADDIR && len >= 11) {
			uint32_t room = (uint32_t)len - 11;
			uint32_t k = Frama_C_unsigned_int_interval(0, room + 1);
			uint32_t n;

			//@ split k;
			n = k <= room ? k : Frama_C_unsigned_int_interval(room + 1, UINT32_MAX);
			f[7] = (uint8_t)n;
			f[8] = (uint8_t)(n >> 8);
			f[9] = (uint8_t)(n >> 16);
			f[10] = (uint8_t)(n >> 24);
		}
	}
	if (p9_msg_decode_ex(f, len, flags, &m, &at) != 0)
		return 0;
	return p9_msg_encode(&m, out, cap) < 0;
}
