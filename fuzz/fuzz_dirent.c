/*
 * fuzz_dirent: the Rreaddir payload iterator (p9_dirent_iter_init,
 * p9_dirent_next) and its inverse (p9_dirent_size, p9_dirent_put,
 * p9_rdata_begin, p9_rdata_seal) on any payload, and the codec's own check
 * of Rreaddir data (p9_msg_decode_ex, p9_msg_encode, p9_msg_parse) on the
 * same payload.
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
 *   built in place from them decodes to the same payload;
 * - the whole payload as an Rreaddir (an exact-size frame) decodes, strict
 *   and tolerant, iff the iterator reaches the end; otherwise both refuse
 *   it with the iterator's error, inside the entry where the iterator
 *   stopped (a NUL at the entry's name, 22 bytes in; a cut field from the
 *   entry's start up to the payload's end). p9_msg_encode agrees (the
 *   same frame, or the same error), and so does p9_msg_parse of the line
 *   p9_msg_print writes, for payloads up to 512 bytes.
 */
#include "fuzz.h"
#include "p9.h"

/* The payload in[0..len) as an Rreaddir, through decode, encode and text;
 * rc is the iterator's verdict (0: whole dirents), stop where it stopped. */
static void
check_codec(const uint8_t *in, uint32_t len, int rc, uint32_t stop)
{
	size_t flen = P9_RDATA_HDRSZ + (size_t)len, errpos, want_lo, want_hi;
	uint8_t *frame = malloc(flen), *enc = malloc(flen);
	struct p9_msg m, r;
	uint32_t room;
	int flags;
	long n;

	FZ_CHECK(frame != NULL && enc != NULL);
	FZ_CHECK(p9_rdata_begin(frame, flen, P9_RREADDIR, 0x0102, len, &room) ==
	    frame + P9_RDATA_HDRSZ && room == len);
	if (len > 0)
		memcpy(frame + P9_RDATA_HDRSZ, in, len);
	FZ_CHECK(p9_rdata_seal(frame, len) == flen);
	/* Where the decoder must point: the NUL's name, or a cut field. */
	want_lo = P9_RDATA_HDRSZ + (size_t)stop;
	want_hi = rc == P9_ERR_NUL ? want_lo + P9_QIDSZ + 8 + 1 : flen;
	if (rc == P9_ERR_NUL)
		want_lo = want_hi;
	for (flags = 0; flags <= P9_DEC_TOLERANT; flags += P9_DEC_TOLERANT) {
		int drc = p9_msg_decode_ex(frame, flen, (unsigned)flags, &m, &errpos);

		FZ_CHECK(drc == rc);
		if (rc == 0) {
			FZ_CHECK(errpos == 0);
			FZ_CHECK(m.type == P9_RREADDIR && m.tag == 0x0102);
			FZ_CHECK(m.rreaddir.data.ptr == frame + P9_RDATA_HDRSZ);
			FZ_CHECK(m.rreaddir.data.len == len);
			FZ_CHECK(fz_dirents_whole(m.rreaddir.data));
		} else {
			FZ_CHECK(errpos >= want_lo && errpos <= want_hi);
		}
	}

	memset(&m, 0, sizeof(m));
	m.type = P9_RREADDIR;
	m.tag = 0x0102;
	m.rreaddir.data = (struct p9_data){ in, len };
	n = p9_msg_encode(&m, enc, flen);
	if (rc == 0) {
		FZ_CHECK(n == (long)flen);
		FZ_CHECK(memcmp(enc, frame, flen) == 0);
	} else {
		FZ_CHECK(n == rc);
	}

	/* The text form: print always works; parse agrees with decode. Small
	 * payloads only: printing and parsing cost more than all the rest
	 * (up to 512 bytes: 10k exec/s against 4k for up to 4096). */
	if (len <= 512) {
		long tn = p9_msg_print(&m, NULL, 0);
		char *line = malloc((size_t)tn + 1);
		uint8_t *scratch = malloc((size_t)tn + 1);
		int prc;

		FZ_CHECK(tn > 0 && line != NULL && scratch != NULL);
		FZ_CHECK(p9_msg_print(&m, line, (size_t)tn + 1) == tn);
		prc = p9_msg_parse(line, (size_t)tn, &r, scratch, (size_t)tn + 1, &errpos);
		FZ_CHECK(prc == rc);
		if (rc == 0) {
			FZ_CHECK(r.type == P9_RREADDIR && r.rreaddir.data.len == len);
			FZ_CHECK(len == 0 || memcmp(r.rreaddir.data.ptr, in, len) == 0);
		} else {
			/* Inside the data value, its closing quote at most. */
			FZ_CHECK(errpos > strlen("Rreaddir tag=258 data=") &&
			    errpos < (size_t)tn);
		}
		free(line);
		free(scratch);
	}
	free(frame);
	free(enc);
}

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
	check_codec(in, len, rc, it.pos);
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
