/*
 * WP target: every function of lib9p/p9_cursor.h (static inline: this file
 * only makes Frama-C parse them; WP proves each function from its body and
 * contract, whoever calls it).
 *
 * memchr and memcpy are replaced by declarations whose contracts state the
 * C standard's memory footprint on bytes (read s[0..n), write d[0..n)).
 * Frama-C 25's own libc contracts for them add \initialized and \dangling
 * preconditions, which WP of that version cannot decide; initialisation is
 * checked by the Eva harnesses instead (proofs/README.md).
 */
#include <stddef.h>
#include <stdint.h>

/*@ requires \valid_read((const uint8_t *)s + (0 .. n - 1));
    assigns \result \from s, c, ((const uint8_t *)s)[0 .. n - 1];
    ensures \result == \null || \base_addr(\result) == \base_addr(s);
    ensures \result != \null ==> (const uint8_t *)s <= (const uint8_t *)\result &&
	(const uint8_t *)\result < (const uint8_t *)s + n &&
	*(const uint8_t *)\result == (uint8_t)c;
    ensures (\exists uint8_t *z; (const uint8_t *)s <= z &&
	z < (const uint8_t *)s + n && *z == (uint8_t)c) ==> \result != \null;
*/
const void *p9_proof_memchr(const void *s, int c, size_t n);

/*@ requires \valid((uint8_t *)d + (0 .. n - 1));
    requires \valid_read((const uint8_t *)s + (0 .. n - 1));
    requires \separated((uint8_t *)d + (0 .. n - 1), (const uint8_t *)s + (0 .. n - 1));
    assigns ((uint8_t *)d)[0 .. n - 1] \from ((const uint8_t *)s)[0 .. n - 1];
    ensures \result == d;
*/
void *p9_proof_memcpy(void *d, const void *s, size_t n);

#include <string.h>
#define memchr p9_proof_memchr
#define memcpy p9_proof_memcpy
#include "p9_cursor.h"
