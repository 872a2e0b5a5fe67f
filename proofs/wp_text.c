/*
 * WP target: the text parser's helpers in lib9p/text.c (pa_*, qscan,
 * unescape, in_*), proven from their bodies against their contracts, for
 * every text of every length. ci/prove.sh names the functions (-wp-fct).
 *
 * As in wp_cursor.c, memchr, memcmp and memcpy are replaced by
 * declarations whose contracts state the C standard's memory footprint on
 * bytes (and, for memchr, what it returns). p9_errno_name gets the
 * contract that its names are strings; eva_parse.c checks that contract
 * on its body for every value.
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

/*@ requires \valid_read((const uint8_t *)a + (0 .. n - 1));
    requires \valid_read((const uint8_t *)b + (0 .. n - 1));
    assigns \result \from ((const uint8_t *)a)[0 .. n - 1], ((const uint8_t *)b)[0 .. n - 1];
*/
int p9_proof_memcmp(const void *a, const void *b, size_t n);

/*@ requires \valid((uint8_t *)d + (0 .. n - 1));
    requires \valid_read((const uint8_t *)s + (0 .. n - 1));
    requires \separated((uint8_t *)d + (0 .. n - 1), (const uint8_t *)s + (0 .. n - 1));
    assigns ((uint8_t *)d)[0 .. n - 1] \from ((const uint8_t *)s)[0 .. n - 1];
    ensures \result == d;
*/
void *p9_proof_memcpy(void *d, const void *s, size_t n);

#include <string.h>
#define memchr p9_proof_memchr
#define memcmp p9_proof_memcmp
#define memcpy p9_proof_memcpy

/*@ assigns \result \from ecode;
    ensures \result == \null || valid_read_string(\result);
*/
const char *p9_errno_name(uint32_t ecode);

#include "text.c"
