/*
 * Eva harness: p9_msg_decode_ex, strict and tolerant, on every frame of
 * 0..P9_PROOF_MAXLEN arbitrary bytes, of any type; built with
 * -DP9_PROOF_LONG, on every frame of P9_PROOF_MAXLEN + 1 ..
 * P9_PROOF_LONGLEN bytes of the three types whose fixed fields alone are
 * longer (Rstatfs, Tsetattr: 67 bytes; Rgetattr: 160). The frame lies at
 * the very end of an array of the largest length, so a read past its end
 * is out of bounds.
 *
 * Every byte is arbitrary; splits only make Eva look at cases one by one,
 * and the cases together are every frame:
 *   - the length, and the type byte (each of the 256 values);
 *   - for Rreaddir, the data count (bytes 7..10): each value that fits in
 *     the frame on its own, every larger value as one case. The payload's
 *     dirents are checked by p9_dirents_check, whose body is analysed by
 *     eva_dirent.c and proven by WP.
 * Why these sizes cover every path: proofs/README.md.
 */
#include "__fc_builtin.h"
#include "p9.h"

#ifndef P9_PROOF_MAXLEN
#define P9_PROOF_MAXLEN 48
#endif
#ifndef P9_PROOF_LONGLEN
#define P9_PROOF_LONGLEN 168
#endif

#ifdef P9_PROOF_LONG
#define P9_PROOF_ARRAY P9_PROOF_LONGLEN
#else
#define P9_PROOF_ARRAY P9_PROOF_MAXLEN
#endif

static uint8_t frame[P9_PROOF_ARRAY];

static const uint8_t long_types[] = { P9_RSTATFS, P9_TSETATTR, P9_RGETATTR };

int
main(void)
{
#ifdef P9_PROOF_LONG
	size_t len = Frama_C_size_t_interval(P9_PROOF_MAXLEN + 1, P9_PROOF_LONGLEN);
#else
	size_t len = Frama_C_size_t_interval(0, P9_PROOF_MAXLEN);
#endif
	unsigned flags = Frama_C_unsigned_int_interval(0, 1) ? P9_DEC_TOLERANT : 0;
	struct p9_msg m;
	size_t at;
	uint8_t *f;
	uint8_t type;

	for (size_t i = 0; i < P9_PROOF_ARRAY; i++)
		frame[i] = Frama_C_unsigned_char_interval(0, 255);
	//@ split len;
	f = frame + P9_PROOF_ARRAY - len;
	if (len > P9_PROOF_MAXLEN) {
		unsigned i = Frama_C_unsigned_int_interval(0, 2);

		//@ split i;
		f[4] = long_types[i];
	} else if (len > 4) {
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
	return p9_msg_decode_ex(f, len, flags, &m, &at);
}
