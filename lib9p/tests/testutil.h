/* Shared helpers of the lib9p tests. */
#ifndef P9_TESTUTIL_H
#define P9_TESTUTIL_H

#include <stddef.h>
#include <stdint.h>

/*
 * Allocation guard: while no_alloc_depth > 0, any malloc/calloc/realloc
 * reached through the linker wrappers fails the test. Tests bracket codec
 * calls with P9_NO_ALLOC_BEGIN / P9_NO_ALLOC_END.
 */
extern int no_alloc_depth;
extern unsigned long forbidden_allocs;
#define P9_NO_ALLOC_BEGIN()	(no_alloc_depth++)
#define P9_NO_ALLOC_END()	(no_alloc_depth--)

/*
 * Guard-page buffers: guarded_copy() places len bytes so that they end
 * exactly at the end of a read-write page followed by a PROT_NONE page;
 * a one-byte over-read faults. guarded_free() releases it. Never NULL
 * (aborts on mmap failure).
 */
uint8_t *guarded_copy(const void *src, size_t len);
void guarded_free(uint8_t *p, size_t len);

/*
 * Fail the current cmocka test with a printf-style message (cmocka's
 * fail_msg needs a literal format and a GNU comma extension).
 */
#if defined(__GNUC__) || defined(__clang__)
__attribute__((format(printf, 1, 2)))
#endif
void test_fail(const char *fmt, ...);

/*
 * Compare n bytes; on a difference, fail naming ctx and the first
 * differing offset with both bytes.
 */
void bytes_equal(const char *ctx, const uint8_t *got, const uint8_t *want, size_t n);

struct p9_msg;

/* Little-endian store, for patching size fields of test frames. */
void put_le32(uint8_t *p, uint32_t v);

/*
 * Decode src[0..len) from a guard-page copy with no allocation allowed.
 * *errpos is poisoned first so a decoder that forgets it is caught. If
 * copy is not NULL the guarded copy is kept there (release it with
 * guarded_free) so views can be checked against it.
 */
int decode_guarded(const uint8_t *src, size_t len, unsigned flags, struct p9_msg *m,
    size_t *errpos, uint8_t **copy);

/* p9_msg_encode with no allocation allowed. */
long encode_noalloc(const struct p9_msg *m, uint8_t *buf, size_t cap);

#endif
