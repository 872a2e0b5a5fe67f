/*
 * Eva harness: p9_msg_parse on every text of 0..P9_PROOF_MAXLEN arbitrary
 * bytes, lying at the very end of an array of that size, with a scratch
 * area of every size 0..P9_PROOF_MAXLEN at the very end of another. Not yet
 * at 0 alarms (proofs/README.md).
 */
#include "__fc_builtin.h"
#include "p9.h"

#ifndef P9_PROOF_MAXLEN
#define P9_PROOF_MAXLEN 12
#endif

static char text[P9_PROOF_MAXLEN];
static uint8_t scratch[P9_PROOF_MAXLEN];

int
main(void)
{
	size_t len = Frama_C_size_t_interval(0, P9_PROOF_MAXLEN);
	size_t slen = Frama_C_size_t_interval(0, P9_PROOF_MAXLEN);
	struct p9_msg m;
	size_t at;

	for (size_t i = 0; i < P9_PROOF_MAXLEN; i++)
		text[i] = (char)Frama_C_unsigned_char_interval(0, 255);
	//@ split len;
	//@ split slen;
	return p9_msg_parse(text + P9_PROOF_MAXLEN - len, len, &m,
	    scratch + P9_PROOF_MAXLEN - slen, slen, &at);
}
