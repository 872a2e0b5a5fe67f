/*
 * fuzz_dirent: the Rreaddir payload iterator (p9_dirent_iter_init,
 * p9_dirent_next) and its inverse (p9_dirent_size, p9_dirent_put,
 * p9_rdata_begin, p9_rdata_seal) on any payload.
 *
 * Invariants:
 * - nothing is read outside the payload (exact-size heap copy);
 * - every entry lies inside the payload: its name is a view into it,
 *   and the iterator advances by exactly p9_dirent_size() per entry;
 * - the end (0) comes exactly at the payload's end; errors are only
 *   P9_ERR_DIRENT or P9_ERR_NUL, leave pos at the failing entry, and are
 *   sticky (every later call returns the same error, pos unchanged), as
 *   is the end;
 * - p9_dirent_put re-packs the entries to the identical bytes, refuses
 *   (P9_ERR_NOSPACE, nothing written) when one byte short, and an Rreaddir
 *   built in place from them decodes to the same payload.
 */
#include "fuzz.h"
#include "p9.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t *in = fz_dup(data, size);
	uint8_t *out, *frame;
	struct p9_dirent_iter it;
	struct p9_dirent d;
	uint32_t used = 0, len = (uint32_t)size, room;
	int rc, i;

	if (size > 1u << 20)
		goto done;
	out = malloc(size + 1);
	FZ_CHECK(out != NULL);
	p9_dirent_iter_init(&it, (struct p9_data){ in, len });
	for (;;) {
		uint32_t before = it.pos;

		rc = p9_dirent_next(&it, &d);
		if (rc != 1)
			break;
		FZ_CHECK(it.pos > before && it.pos <= len);
		FZ_CHECK(p9_dirent_size(&d) == 24 + (size_t)d.name.len);
		FZ_CHECK(it.pos - before == p9_dirent_size(&d));
		FZ_CHECK(d.name.len == 0 ||
		    ((const uint8_t *)d.name.ptr >= in + before + 24 &&
		    (const uint8_t *)d.name.ptr + d.name.len == in + it.pos));
		FZ_CHECK(d.name.len == 0 || memchr(d.name.ptr, 0, d.name.len) == NULL);
		/* One byte short: refused, nothing written. */
		{
			uint32_t u = used;

			FZ_CHECK(p9_dirent_put(out, used + (uint32_t)p9_dirent_size(&d) - 1, &u,
			    &d) == P9_ERR_NOSPACE);
			FZ_CHECK(u == used);
		}
		FZ_CHECK(p9_dirent_put(out, len, &used, &d) == 0);
		FZ_CHECK(used == it.pos);
		FZ_CHECK(memcmp(out + before, in + before, it.pos - before) == 0);
	}
	if (rc == 0) {
		FZ_CHECK(it.pos == len);
	} else {
		FZ_CHECK(rc == P9_ERR_DIRENT || rc == P9_ERR_NUL);
		FZ_CHECK(it.pos < len);
		FZ_CHECK(used == it.pos);
	}
	/* Sticky, whichever way it ended. */
	for (i = 0; i < 3; i++) {
		uint32_t pos = it.pos;

		FZ_CHECK(p9_dirent_next(&it, &d) == rc);
		FZ_CHECK(it.pos == pos);
	}
	/* The re-packed entries as an Rreaddir built in place. */
	frame = malloc(P9_RDATA_HDRSZ + (size_t)used);
	FZ_CHECK(frame != NULL);
	{
		uint8_t *area = p9_rdata_begin(frame, P9_RDATA_HDRSZ + (size_t)used, P9_RREADDIR,
		    0x1234, 0xffffffffu, &room);
		struct p9_msg m;
		size_t flen;

		FZ_CHECK(area == frame + P9_RDATA_HDRSZ && room == used);
		if (used > 0)
			memcpy(area, out, used);
		flen = p9_rdata_seal(frame, used);
		FZ_CHECK(flen == P9_RDATA_HDRSZ + (size_t)used);
		FZ_CHECK(p9_msg_decode(frame, flen, &m) == 0);
		FZ_CHECK(m.type == P9_RREADDIR && m.tag == 0x1234);
		FZ_CHECK(m.rreaddir.data.len == used);
		FZ_CHECK(used == 0 || memcmp(m.rreaddir.data.ptr, in, used) == 0);
	}
	free(frame);
	free(out);
done:
	free(in);
	return 0;
}
