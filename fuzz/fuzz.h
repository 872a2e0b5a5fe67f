/*
 * Shared by the harnesses: the libFuzzer entry point's prototype, the
 * invariant check (a failed check aborts, which every engine reports as a
 * crash, with the broken invariant on stderr), exact-size input copies,
 * and the check that an Rreaddir payload is whole dirents.
 */
#ifndef FUZZ_H
#define FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "p9.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

__attribute__((noreturn, unused))
static void
fz_fail(const char *file, int line, const char *what)
{
	fprintf(stderr, "%s:%d: invariant broken: %s\n", file, line, what);
	fflush(stderr);
	abort();
}

#define FZ_CHECK(cond)	do { if (!(cond)) fz_fail(__FILE__, __LINE__, #cond); } while (0)

/* A heap copy of exactly len bytes (at least one byte allocated, so that
 * malloc(0) never returns NULL): a read past len is a heap overflow that
 * ASan reports. */
__attribute__((unused))
static uint8_t *
fz_dup(const uint8_t *p, size_t len)
{
	uint8_t *q = malloc(len != 0 ? len : 1);

	if (q == NULL)
		abort();
	q[0] = 0;
	if (len != 0)
		memcpy(q, p, len);
	return q;
}

/*
 * 1 if the dirent iterator walks payload to exactly its end: every entry
 * inside it, its name a view ending where the next entry starts. What
 * decodes as an Rreaddir must pass this.
 */
__attribute__((unused))
static int
fz_dirents_whole(struct p9_data payload)
{
	struct p9_dirent_iter it;
	struct p9_dirent d;
	uint32_t before;
	int rc;

	p9_dirent_iter_init(&it, payload);
	for (;;) {
		before = it.pos;
		rc = p9_dirent_next(&it, &d);
		if (rc != 1)
			break;
		if (it.pos <= before || it.pos > payload.len ||
		    it.pos - before != p9_dirent_size(&d) ||
		    (d.name.len > 0 && (const uint8_t *)d.name.ptr + d.name.len !=
		    payload.ptr + it.pos))
			return 0;
	}
	return rc == 0 && it.pos == payload.len;
}

#endif /* FUZZ_H */
