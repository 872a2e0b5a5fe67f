/*
 * Eva harness: the Rreaddir payload readers on every payload of
 * 0..P9_PROOF_MAXLEN arbitrary bytes, lying at the very end of an array of
 * that size (a read past the payload's end is out of bounds):
 *   - the iterator: p9_dirent_iter_init, then p9_dirent_next until the end
 *     or an error; the same with p9_dirent_iter_checked (no NUL scan, the
 *     bounds still checked: arbitrary bytes here, not a checked payload);
 *   - p9_dirents_check, the check that decode, encode and parse share
 *     (eva_decode.c uses its contract).
 * A dirent takes 24 bytes at least, so 52 bytes hold two entries and cut
 * the second one at every field boundary: every path of the loop from a
 * non-zero offset (an entry after an entry, cut short at each field, a
 * name with NUL, the end exactly at an entry's end) is taken.
 * p9_dirents_check is analysed from its body; p9_dirent_put has its own
 * harness (eva_dirent_put.c).
 */
#include "__fc_builtin.h"
#include "p9_cursor.h"

#ifndef P9_PROOF_MAXLEN
#define P9_PROOF_MAXLEN 52
#endif

static uint8_t payload[P9_PROOF_MAXLEN];

int
main(void)
{
	uint32_t len = Frama_C_unsigned_int_interval(0, P9_PROOF_MAXLEN);
	struct p9_dirent_iter it;
	struct p9_dirent d;
	struct p9_data pl;
	size_t at;
	int r;

	for (size_t i = 0; i < P9_PROOF_MAXLEN; i++)
		payload[i] = Frama_C_unsigned_char_interval(0, 255);
	//@ split len;
	pl.ptr = payload + P9_PROOF_MAXLEN - len;
	pl.len = len;
	p9_dirent_iter_init(&it, pl);
	while ((r = p9_dirent_next(&it, &d)) == 1)
		;
	p9_dirent_iter_checked(&it, pl);
	while ((r = p9_dirent_next(&it, &d)) == 1)
		;
	r |= p9_dirents_check(pl.ptr, len, &at);
	return r;
}
