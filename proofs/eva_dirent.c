/*
 * Eva harness: the dirent iterator (p9_dirent_iter_init, p9_dirent_next
 * until the end or an error) on every payload of 0..P9_PROOF_MAXLEN
 * arbitrary bytes, lying at the very end of an array of that size.
 * Then p9_dirent_put of each entry it returned into a buffer of every
 * capacity up to the same size.
 */
#include "__fc_builtin.h"
#include "p9.h"

#ifndef P9_PROOF_MAXLEN
#define P9_PROOF_MAXLEN 52
#endif

static uint8_t payload[P9_PROOF_MAXLEN];
static uint8_t out[P9_PROOF_MAXLEN];

int
main(void)
{
	uint32_t len = Frama_C_unsigned_int_interval(0, P9_PROOF_MAXLEN);
	uint32_t cap = Frama_C_unsigned_int_interval(0, P9_PROOF_MAXLEN);
	uint32_t used = 0;
	struct p9_dirent_iter it;
	struct p9_dirent d;
	struct p9_data pl;
	int r;

	for (size_t i = 0; i < P9_PROOF_MAXLEN; i++)
		payload[i] = Frama_C_unsigned_char_interval(0, 255);
	//@ split len;
	pl.ptr = payload + P9_PROOF_MAXLEN - len;
	pl.len = len;
	p9_dirent_iter_init(&it, pl);
	while ((r = p9_dirent_next(&it, &d)) == 1) {
		if (p9_dirent_put(out + P9_PROOF_MAXLEN - cap, cap, &used, &d) != 0)
			break;
	}
	return r;
}
