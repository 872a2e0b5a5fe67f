/*
 * Eva harness: p9_msg_parse on every text of 0..P9_PROOF_MAXLEN arbitrary
 * bytes, lying at the very end of an array of that size, with a scratch
 * area of every size 0..P9_PROOF_MAXLEN at the very end of another.
 * ci/prove.sh has Eva use the WP-proven contracts of the field parsers
 * (proofs/wp_text.c) in place of their bodies (proofs/README.md).
 *
 * p9_errno_name's contract (its names are strings) is assumed by WP in
 * pa_errno_name's proof; Eva checks it here on its body for every value.
 */
#include <string.h>

#include "__fc_builtin.h"
#include "p9.h"

#ifndef P9_PROOF_MAXLEN
#define P9_PROOF_MAXLEN 16
#endif

/*@ assigns \result \from ecode;
    ensures \result == \null || valid_read_string(\result);
*/
const char *p9_errno_name(uint32_t ecode);

static char text[P9_PROOF_MAXLEN];
static uint8_t scratch[P9_PROOF_MAXLEN];

int
main(void)
{
	size_t len = Frama_C_size_t_interval(0, P9_PROOF_MAXLEN);
	size_t slen = Frama_C_size_t_interval(0, P9_PROOF_MAXLEN);
	uint32_t ecode = Frama_C_unsigned_int_interval(0, 134);
	struct p9_msg m;
	size_t at;

	/* Every u32: 0..134 one by one (the table has 134 entries), then the rest. */
	//@ split ecode;
	(void)p9_errno_name(ecode);
	//@ merge ecode;
	(void)p9_errno_name(Frama_C_unsigned_int_interval(134, UINT32_MAX));
	for (size_t i = 0; i < P9_PROOF_MAXLEN; i++)
		text[i] = (char)Frama_C_unsigned_char_interval(0, 255);
	//@ split len;
	//@ split slen;
	return p9_msg_parse(text + P9_PROOF_MAXLEN - len, len, &m,
	    scratch + P9_PROOF_MAXLEN - slen, slen, &at);
}
