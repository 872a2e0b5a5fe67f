/*
 * Eva harness: p9_dirent_put of any dirent (any qid, offset and type, a
 * name of 0..P9_PROOF_MAXLEN arbitrary bytes) into a buffer of
 * P9_PROOF_MAXLEN bytes at any fill level *used (every uint32_t: each of
 * 0..P9_PROOF_MAXLEN on its own, every larger value as one case). Only the
 * room left, cap - *used, steers p9_dirent_put, and it takes every value
 * 0..P9_PROOF_MAXLEN here. The name and the buffer each lie at the very
 * end of an array of the bound's size, so a read past the name or a write
 * past cap is out of bounds. A dirent takes 24 bytes plus its name, so
 * with 52 bytes the entry fits with a name of 0..28 bytes, fits exactly,
 * and misses by every margin.
 */
#include "__fc_builtin.h"
#include "p9.h"

#ifndef P9_PROOF_MAXLEN
#define P9_PROOF_MAXLEN 52
#endif

static uint8_t out[P9_PROOF_MAXLEN];
static char name[P9_PROOF_MAXLEN];

int
main(void)
{
	uint16_t nlen = (uint16_t)Frama_C_unsigned_int_interval(0, P9_PROOF_MAXLEN);
	uint32_t k = Frama_C_unsigned_int_interval(0, P9_PROOF_MAXLEN + 1);
	uint32_t used;
	struct p9_dirent d;

	for (size_t i = 0; i < P9_PROOF_MAXLEN; i++)
		name[i] = (char)Frama_C_unsigned_char_interval(0, 255);
	d.qid.type = Frama_C_unsigned_char_interval(0, 255);
	d.qid.version = Frama_C_unsigned_int_interval(0, UINT32_MAX);
	d.qid.path = Frama_C_unsigned_long_long_interval(0, UINT64_MAX);
	d.offset = Frama_C_unsigned_long_long_interval(0, UINT64_MAX);
	d.type = Frama_C_unsigned_char_interval(0, 255);
	//@ split nlen;
	//@ split k;
	used = k <= P9_PROOF_MAXLEN ? k :
	    Frama_C_unsigned_int_interval(P9_PROOF_MAXLEN + 1, UINT32_MAX);
	d.name.ptr = name + P9_PROOF_MAXLEN - nlen;
	d.name.len = nlen;
	return p9_dirent_put(out, P9_PROOF_MAXLEN, &used, &d);
}
