#include "testutil.h"

#include <stdarg.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cmocka.h>

#include "p9.h"

int no_alloc_depth;
unsigned long forbidden_allocs;

void *__real_malloc(size_t n);
void *__real_calloc(size_t n, size_t m);
void *__real_realloc(void *p, size_t n);
void *__wrap_malloc(size_t n);
void *__wrap_calloc(size_t n, size_t m);
void *__wrap_realloc(void *p, size_t n);

static void
alloc_check(const char *what)
{
	if (no_alloc_depth > 0) {
		forbidden_allocs++;
		fail_msg("%s called inside a no-allocation region", what);
	}
}

void *
__wrap_malloc(size_t n)
{
	alloc_check("malloc");
	return __real_malloc(n);
}

void *
__wrap_calloc(size_t n, size_t m)
{
	alloc_check("calloc");
	return __real_calloc(n, m);
}

void *
__wrap_realloc(void *p, size_t n)
{
	alloc_check("realloc");
	return __real_realloc(p, n);
}

static size_t
pages_for(size_t len)
{
	size_t pg = (size_t)sysconf(_SC_PAGESIZE);

	return (len + pg - 1) / pg * pg + pg;
}

uint8_t *
guarded_copy(const void *src, size_t len)
{
	size_t pg = (size_t)sysconf(_SC_PAGESIZE);
	size_t total = pages_for(len);
	uint8_t *base = mmap(NULL, total, PROT_READ | PROT_WRITE,
	    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (base == MAP_FAILED)
		abort();
	if (mprotect(base + total - pg, pg, PROT_NONE) != 0)
		abort();
	if (len > 0)
		memcpy(base + total - pg - len, src, len);
	return base + total - pg - len;
}

void
guarded_free(uint8_t *p, size_t len)
{
	size_t pg = (size_t)sysconf(_SC_PAGESIZE);
	size_t total = pages_for(len);
	uint8_t *base = p + len + pg - total;

	munmap(base, total);
}

void
test_fail(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vprint_error(fmt, ap);
	va_end(ap);
	print_error("\n");
	fail();
}

void
bytes_equal(const char *ctx, const uint8_t *got, const uint8_t *want, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		if (got[i] != want[i])
			test_fail("%s: byte %zu is 0x%02x, want 0x%02x", ctx, i,
			    got[i], want[i]);
	}
}

void
put_le32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
	p[2] = (uint8_t)(v >> 16);
	p[3] = (uint8_t)(v >> 24);
}

int
decode_guarded(const uint8_t *src, size_t len, unsigned flags, struct p9_msg *m,
    size_t *errpos, uint8_t **copy)
{
	uint8_t *g = guarded_copy(src, len);
	int err;

	*errpos = 0xdeadbeef;
	P9_NO_ALLOC_BEGIN();
	err = p9_msg_decode_ex(g, len, flags, m, errpos);
	P9_NO_ALLOC_END();
	if (copy != NULL)
		*copy = g;
	else
		guarded_free(g, len);
	return err;
}

long
encode_noalloc(const struct p9_msg *m, uint8_t *buf, size_t cap)
{
	long n;

	P9_NO_ALLOC_BEGIN();
	n = p9_msg_encode(m, buf, cap);
	P9_NO_ALLOC_END();
	return n;
}
