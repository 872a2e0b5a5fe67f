/*
 * fuzz_decode: p9_msg_decode, p9_msg_decode_ex (strict and
 * P9_DEC_TOLERANT), p9_msg_size, p9_msg_encode, p9_msg_print and
 * p9_msg_parse on any bytes taken as one frame.
 *
 * Invariants:
 * - nothing is read outside the input (it is an exact-size heap copy);
 * - a rejected frame gives one of the codec's decode errors (a defined
 *   P9_ERR_* with a name) and an error position inside the frame;
 * - an accepted frame re-encodes to the identical bytes, and p9_msg_size
 *   says that length; the one exception is the legacy 11-byte Tfsync
 *   (no datasync), which decodes with datasync 0 and re-encodes to the
 *   15-byte form;
 * - the tolerant decoder accepts everything the strict one does, with the
 *   same result, and what it accepts re-encodes to a prefix of the input
 *   (the size field apart); what it refuses, the strict one refuses with
 *   the same error at the same position;
 * - an accepted frame prints to one line, which parses back to a message
 *   that encodes to the same bytes;
 * - Rreaddir against the dirent iterator: an accepted Rreaddir's data
 *   iterates to exactly its end; when the header and count are good, the
 *   data is accepted iff the iterator walks it to its end, and otherwise
 *   refused with the iterator's error inside the entry where it stopped
 *   (a NUL at that entry's name, 22 bytes in; a cut field from the entry's
 *   start up to the data's end).
 */
#include "fuzz.h"
#include "p9.h"

static int
is_decode_err(int rc)
{
	switch (rc) {
	case P9_ERR_SHORT:
	case P9_ERR_TRAILING:
	case P9_ERR_SIZE:
	case P9_ERR_UNDERSIZE:
	case P9_ERR_TOOBIG:
	case P9_ERR_TYPE:
	case P9_ERR_NUL:
	case P9_ERR_NWNAME:
	case P9_ERR_NWQID:
	case P9_ERR_DIRENT:
		return 1;
	default:
		return 0;
	}
}

/* enc[0..n) equals the input apart from the size field (first 4 bytes). */
static void
check_reencode(const struct p9_msg *m, const uint8_t *in, size_t len, int tolerant)
{
	size_t sz = p9_msg_size(m);
	uint8_t *out = malloc(sz + 1);
	long n;

	FZ_CHECK(out != NULL);
	FZ_CHECK(sz >= P9_HDRSZ);
	n = p9_msg_encode(m, out, sz);
	FZ_CHECK(n > 0 && (size_t)n == sz);
	if (!tolerant && !(m->type == P9_TFSYNC && len == 11)) {
		FZ_CHECK(sz == len);
		FZ_CHECK(memcmp(out, in, len) == 0);
	} else if (m->type == P9_TFSYNC && len == 11 && !tolerant) {
		FZ_CHECK(sz == 15);
		FZ_CHECK(m->tfsync.datasync == 0);
		FZ_CHECK(memcmp(out + 4, in + 4, 7) == 0);
	} else {
		/* Tolerant: the fields are a prefix of the frame's body
		 * (a legacy Tfsync encodes 4 bytes more than it had). */
		size_t body = m->type == P9_TFSYNC && sz == 15 && len < 15 ? 11 : sz;

		FZ_CHECK(body <= len);
		FZ_CHECK(memcmp(out + 4, in + 4, body - 4) == 0);
	}
	/* Too small a buffer is refused, never overrun. */
	n = p9_msg_encode(m, out, sz - 1);
	FZ_CHECK(n == P9_ERR_NOSPACE);
	free(out);
}

static void
check_text(const struct p9_msg *m)
{
	long n = p9_msg_print(m, NULL, 0), n2;
	char *line;
	uint8_t *scratch, *a, *b;
	struct p9_msg back;
	size_t sz = p9_msg_size(m), errpos = 0;
	int rc;

	FZ_CHECK(n > 0);
	line = malloc((size_t)n + 1);
	scratch = malloc((size_t)n + 1);
	FZ_CHECK(line != NULL && scratch != NULL);
	n2 = p9_msg_print(m, line, (size_t)n + 1);
	FZ_CHECK(n2 == n);
	FZ_CHECK(strlen(line) == (size_t)n);
	rc = p9_msg_parse(line, (size_t)n, &back, scratch, (size_t)n + 1, &errpos);
	if (rc != 0)
		fprintf(stderr, "line: %s\nparse: %s at %zu\n", line, p9_strerror(rc), errpos);
	FZ_CHECK(rc == 0);
	FZ_CHECK(back.type == m->type);
	FZ_CHECK(p9_msg_size(&back) == sz);
	a = malloc(sz);
	b = malloc(sz);
	FZ_CHECK(a != NULL && b != NULL);
	FZ_CHECK(p9_msg_encode(m, a, sz) == (long)sz);
	FZ_CHECK(p9_msg_encode(&back, b, sz) == (long)sz);
	FZ_CHECK(memcmp(a, b, sz) == 0);
	free(a);
	free(b);
	free(line);
	free(scratch);
}

static uint32_t
le32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
	    (uint32_t)p[3] << 24;
}

/*
 * A frame typed Rreaddir, checked against the dirent iterator. Below a
 * whole header, with a size field that differs from the length, or with a
 * count past the frame, decoding fails before the data: nothing to say.
 */
static void
check_rreaddir(const uint8_t *in, size_t size, int rc, size_t errpos)
{
	struct p9_dirent_iter it;
	struct p9_dirent d;
	uint32_t count;
	size_t start;
	int r;

	if (size < P9_RDATA_HDRSZ || in[4] != P9_RREADDIR || le32(in) != size)
		return;
	count = le32(in + 7);
	if (count > size - P9_RDATA_HDRSZ)
		return;
	p9_dirent_iter_init(&it, (struct p9_data){ in + P9_RDATA_HDRSZ, count });
	while ((r = p9_dirent_next(&it, &d)) == 1)
		;
	if (r == 0) {
		/* Whole dirents: only trailing bytes can fail the frame. */
		FZ_CHECK(rc == 0 ||
		    (rc == P9_ERR_TRAILING && errpos == P9_RDATA_HDRSZ + (size_t)count));
		return;
	}
	FZ_CHECK(rc == r);
	start = P9_RDATA_HDRSZ + (size_t)it.pos;
	if (r == P9_ERR_NUL)
		FZ_CHECK(errpos == start + P9_QIDSZ + 8 + 1);
	else
		FZ_CHECK(errpos >= start && errpos <= P9_RDATA_HDRSZ + (size_t)count);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t *in = fz_dup(data, size);
	struct p9_msg m, t;
	size_t errpos = 0, terrpos = 0;
	int rc, trc;

	rc = p9_msg_decode_ex(in, size, 0, &m, &errpos);
	trc = p9_msg_decode_ex(in, size, P9_DEC_TOLERANT, &t, &terrpos);
	if (rc == 0) {
		FZ_CHECK(errpos == 0);
		check_reencode(&m, in, size, 0);
		check_text(&m);
		/* The plain entry point agrees. */
		{
			struct p9_msg m2;

			FZ_CHECK(p9_msg_decode(in, size, &m2) == 0);
			FZ_CHECK(m2.type == m.type && m2.tag == m.tag);
		}
		FZ_CHECK(trc == 0);
		FZ_CHECK(t.type == m.type && t.tag == m.tag);
		FZ_CHECK(p9_msg_size(&t) == p9_msg_size(&m));
		if (m.type == P9_RREADDIR)
			FZ_CHECK(fz_dirents_whole(m.rreaddir.data));
	} else {
		FZ_CHECK(is_decode_err(rc));
		FZ_CHECK(strcmp(p9_strerror(rc), "unknown error") != 0);
		FZ_CHECK(errpos <= size);
	}
	check_rreaddir(in, size, rc, errpos);
	if (trc == 0) {
		check_reencode(&t, in, size, 1);
		check_text(&t);
		if (t.type == P9_RREADDIR)
			FZ_CHECK(fz_dirents_whole(t.rreaddir.data));
	} else {
		FZ_CHECK(is_decode_err(trc));
		FZ_CHECK(terrpos <= size);
		/* Tolerance only forgives trailing bytes: anything else fails
		 * both ways, with the same error at the same place. */
		FZ_CHECK(rc == trc && errpos == terrpos);
	}
	free(in);
	return 0;
}
