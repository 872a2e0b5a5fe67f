/*
 * The rest of the public API: framing, the in-place Rread/Rreaddir
 * builders, dirents, strictness (counts, NULs, types, sizes), names as
 * bytes, type names, p9_strerror and the view helpers. Byte vectors are
 * written by hand from doc/PROTOCOL.md; decodes read guard-page
 * copies inside no-allocation regions.
 */
#include <limits.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "p9.h"
#include "testutil.h"

static int
frame_need(const uint8_t *buf, size_t have, uint32_t msize, size_t *need)
{
	uint8_t *g = guarded_copy(buf, have);
	int err;

	*need = 0xdeadbeef;
	P9_NO_ALLOC_BEGIN();
	err = p9_frame_need(g, have, msize, need);
	P9_NO_ALLOC_END();
	guarded_free(g, have);
	return err;
}

/* Expect decode of a hand-written frame to fail with err at errpos. */
static void
expect_decode_error(const char *ctx, const uint8_t *b, size_t len, int err, size_t errpos)
{
	struct p9_msg m;
	size_t pos;
	int got = decode_guarded(b, len, 0, &m, &pos, NULL);

	if (got != err || pos != errpos)
		test_fail("%s: decode gave %d (%s) at %zu, want %d (%s) at %zu", ctx, got,
		    p9_strerror(got), pos, err, p9_strerror(err), errpos);
	/* Tolerance is about trailing bytes only. */
	got = decode_guarded(b, len, P9_DEC_TOLERANT, &m, &pos, NULL);
	if (got != err || pos != errpos)
		test_fail("%s: tolerant decode gave %d at %zu, want %d at %zu", ctx, got, pos,
		    err, errpos);
}

/* ---- framing ---- */

/* Tclunk, Rclunk, Tflush, Rlerror back to back (spec 1.9). */
static const uint8_t stream[] = {
	0x0b, 0x00, 0x00, 0x00, 0x78, 0x02, 0x00, 0x01, 0x00, 0x00, 0x00, /* Tclunk 11 */
	0x07, 0x00, 0x00, 0x00, 0x79, 0x02, 0x00,			/* Rclunk 7 */
	0x09, 0x00, 0x00, 0x00, 0x6c, 0x03, 0x00, 0x01, 0x00,		/* Tflush 9 */
	0x0b, 0x00, 0x00, 0x00, 0x07, 0x01, 0x00, 0x02, 0x00, 0x00, 0x00, /* Rlerror 11 */
};

static void
t_frame_need_header(void **state)
{
	uint8_t b[8];
	size_t have, need;
	uint32_t size;

	(void)state;
	/* Fewer than 4 bytes: the size field is incomplete, whatever they are. */
	memset(b, 0xff, sizeof(b));
	for (have = 0; have < 4; have++) {
		assert_int_equal(frame_need(b, have, 8192, &need), 0);
		assert_int_equal(need, 4);
	}
	/* A size below the 7-byte header is refused as soon as it is known. */
	for (size = 0; size < 7; size++) {
		put_le32(b, size);
		assert_int_equal(frame_need(b, 4, 8192, &need), P9_ERR_UNDERSIZE);
		assert_int_equal(frame_need(b, 8, 8192, &need), P9_ERR_UNDERSIZE);
	}
	/* 7 is the smallest frame. */
	put_le32(b, 7);
	assert_int_equal(frame_need(b, 4, 8192, &need), 0);
	assert_int_equal(need, 7);
}

static void
t_frame_need_msize(void **state)
{
	uint8_t b[4];
	size_t need;

	(void)state;
	b[0] = 0x00; b[1] = 0x20; b[2] = 0x00; b[3] = 0x00;	/* 8192 */
	assert_int_equal(frame_need(b, 4, 8192, &need), 0);
	assert_int_equal(need, 8192);
	b[0] = 0x01;						/* 8193 */
	assert_int_equal(frame_need(b, 4, 8192, &need), P9_ERR_TOOBIG);
	assert_int_equal(frame_need(b, 4, 8193, &need), 0);
	assert_int_equal(need, 8193);
	b[0] = 0xff; b[1] = 0xff; b[2] = 0xff; b[3] = 0xff;	/* 0xffffffff */
	assert_int_equal(frame_need(b, 4, 131072, &need), P9_ERR_TOOBIG);
	assert_int_equal(frame_need(b, 4, 0xfffffffe, &need), P9_ERR_TOOBIG);
	assert_int_equal(frame_need(b, 4, 0xffffffff, &need), 0);
	assert_int_equal(need, 0xffffffffu);
	/* Little-endian: 00 00 02 00 is 131072, not 512. */
	b[0] = 0x00; b[1] = 0x00; b[2] = 0x02; b[3] = 0x00;
	assert_int_equal(frame_need(b, 4, 131071, &need), P9_ERR_TOOBIG);
	assert_int_equal(frame_need(b, 4, 131072, &need), 0);
	assert_int_equal(need, 131072);
}

/* Walk a stream frame by frame, as it arrives one byte at a time. */
static void
t_frame_need_stream(void **state)
{
	static const size_t ends[] = { 11, 18, 27, 38 };
	static const uint8_t types[] = { P9_TCLUNK, P9_RCLUNK, P9_TFLUSH, P9_RLERROR };
	size_t arrived;

	(void)state;
	for (arrived = 0; arrived <= sizeof(stream); arrived++) {
		size_t off = 0, nframes = 0, want = 0, need;

		while (want < 4 && ends[want] <= arrived)
			want++;
		for (;;) {
			struct p9_msg m;
			size_t errpos;

			assert_int_equal(frame_need(stream + off, arrived - off, 8192, &need), 0);
			if (arrived - off < need || need < 7)
				break;
			assert_int_equal(decode_guarded(stream + off, need, 0, &m, &errpos, NULL), 0);
			assert_int_equal(m.type, types[nframes]);
			off += need;
			nframes++;
			assert_int_equal(off, ends[nframes - 1]);
		}
		assert_int_equal(nframes, want);
		/* need is 4 at a frame boundary, else the pending frame's size. */
		if (arrived - off < 4)
			assert_int_equal(need, 4);
		else
			assert_int_equal(need, ends[nframes] - off);
	}
}

/* ---- Rread / Rreaddir builders ---- */

static void
t_rdata_rread(void **state)
{
	static const uint8_t hdr[] = {
		0x00, 0x00, 0x00, 0x00,	/* size, patched by seal */
		0x75,			/* type 117 Rread */
		0xef, 0xbe,		/* tag 0xbeef */
		0x00, 0x00, 0x00, 0x00,	/* count, patched by seal */
	};
	static const uint8_t sealed[] = {
		0x10, 0x00, 0x00, 0x00,	/* size 16 */
		0x75,			/* type 117 Rread */
		0xef, 0xbe,		/* tag 0xbeef */
		0x05, 0x00, 0x00, 0x00,	/* count 5 */
		0x68, 0x65, 0x6c, 0x6c, 0x6f, /* "hello" */
	};
	uint8_t buf[64];
	uint8_t *data, *g;
	uint32_t room;
	size_t len, k;
	struct p9_msg m;
	int err;

	(void)state;
	memset(buf, 0xa5, sizeof(buf));
	P9_NO_ALLOC_BEGIN();
	data = p9_rdata_begin(buf, sizeof(buf), P9_RREAD, 0xbeef, 1000, &room);
	P9_NO_ALLOC_END();
	assert_ptr_equal(data, buf + 11);
	assert_int_equal(room, sizeof(buf) - 11);
	bytes_equal("Rread header", buf, hdr, sizeof(hdr));
	for (k = 11; k < sizeof(buf); k++)
		assert_int_equal(buf[k], 0xa5);

	memcpy(data, "hello", 5);
	P9_NO_ALLOC_BEGIN();
	len = p9_rdata_seal(buf, 5);
	P9_NO_ALLOC_END();
	assert_int_equal(len, sizeof(sealed));
	bytes_equal("sealed Rread", buf, sealed, sizeof(sealed));

	g = guarded_copy(buf, len);
	P9_NO_ALLOC_BEGIN();
	err = p9_msg_decode(g, len, &m);
	P9_NO_ALLOC_END();
	assert_int_equal(err, 0);
	assert_int_equal(m.type, P9_RREAD);
	assert_int_equal(m.tag, 0xbeef);
	assert_int_equal(m.rread.data.len, 5);
	assert_ptr_equal(m.rread.data.ptr, g + 11);
	guarded_free(g, len);

	/* room is min(cap - 11, count). */
	data = p9_rdata_begin(buf, sizeof(buf), P9_RREAD, 1, 7, &room);
	assert_ptr_equal(data, buf + 11);
	assert_int_equal(room, 7);
	data = p9_rdata_begin(buf, sizeof(buf), P9_RREAD, 1, 53, &room);
	assert_int_equal(room, 53);
	data = p9_rdata_begin(buf, sizeof(buf), P9_RREAD, 1, 54, &room);
	assert_int_equal(room, 53);
	data = p9_rdata_begin(buf, 11, P9_RREAD, 1, 54, &room);
	assert_ptr_equal(data, buf + 11);
	assert_int_equal(room, 0);
	/* An empty read seals to the 11-byte end-of-file reply. */
	assert_int_equal(p9_rdata_seal(buf, 0), 11);
	assert_int_equal(buf[0], 11);
	assert_int_equal(buf[7], 0);

	/* Below 11 bytes there is no room for the header: NULL, nothing written. */
	for (k = 0; k < 11; k++) {
		uint8_t small[16];

		memset(small, 0xa5, sizeof(small));
		room = 12345;
		assert_null(p9_rdata_begin(small, k, P9_RREAD, 1, 100, &room));
		for (size_t j = 0; j < sizeof(small); j++)
			assert_int_equal(small[j], 0xa5);
	}
}

/* ---- dirents ---- */

/* Three entries: qid[13] offset[8] type[1] name[s]; 25 + 26 + 30 bytes. */
static const uint8_t dirents[] = {
	/* "." at 0 */
	0x80, 0x01, 0x02, 0x03, 0x04,	/* qid QTDIR version 0x04030201 */
	0x05, 0x06, 0x07, 0x08, 0x09, 0x0a, 0x0b, 0x0c, /* path 0x0c0b0a0908070605 */
	0x0d, 0x0e, 0x0f, 0x10, 0x11, 0x12, 0x13, 0x14, /* offset 0x14131211100f0e0d */
	0x04,				/* type DT_DIR */
	0x01, 0x00, 0x2e,		/* name "." */
	/* ".." at 25 */
	0x80, 0x21, 0x22, 0x23, 0x24,	/* qid QTDIR version 0x24232221 */
	0x25, 0x26, 0x27, 0x28, 0x29, 0x2a, 0x2b, 0x2c, /* path 0x2c2b2a2928272625 */
	0x2d, 0x2e, 0x2f, 0x30, 0x31, 0x32, 0x33, 0x34, /* offset 0x34333231302f2e2d */
	0x04,				/* type DT_DIR */
	0x02, 0x00, 0x2e, 0x2e,		/* name ".." */
	/* "file.c" at 51 */
	0x00, 0x41, 0x42, 0x43, 0x44,	/* qid QTFILE version 0x44434241 */
	0x45, 0x46, 0x47, 0x48, 0x49, 0x4a, 0x4b, 0x4c, /* path 0x4c4b4a4948474645 */
	0x4d, 0x4e, 0x4f, 0x50, 0x51, 0x52, 0x53, 0x54, /* offset 0x54535251504f4e4d */
	0x08,				/* type DT_REG */
	0x06, 0x00, 0x66, 0x69, 0x6c, 0x65, 0x2e, 0x63, /* name "file.c" */
};
static const uint32_t dirent_at[] = { 0, 25, 51, 81 };

static const struct p9_dirent dents[] = {
	{ { 0x80, 0x04030201, 0x0c0b0a0908070605 }, 0x14131211100f0e0d, 4, { ".", 1 } },
	{ { 0x80, 0x24232221, 0x2c2b2a2928272625 }, 0x34333231302f2e2d, 4, { "..", 2 } },
	{ { 0x00, 0x44434241, 0x4c4b4a4948474645 }, 0x54535251504f4e4d, 8, { "file.c", 6 } },
};

static void
cmp_dirent(const struct p9_dirent *got, const struct p9_dirent *want)
{
	assert_int_equal(got->qid.type, want->qid.type);
	assert_int_equal(got->qid.version, want->qid.version);
	assert_true(got->qid.path == want->qid.path);
	assert_true(got->offset == want->offset);
	assert_int_equal(got->type, want->type);
	assert_int_equal(got->name.len, want->name.len);
	assert_memory_equal(got->name.ptr, want->name.ptr, want->name.len);
}

static int
dirent_next(struct p9_dirent_iter *it, struct p9_dirent *d)
{
	int r;

	P9_NO_ALLOC_BEGIN();
	r = p9_dirent_next(it, d);
	P9_NO_ALLOC_END();
	return r;
}

static void
t_dirent_size(void **state)
{
	struct p9_dirent d = dents[0];

	(void)state;
	assert_int_equal(p9_dirent_size(&dents[0]), 25);
	assert_int_equal(p9_dirent_size(&dents[1]), 26);
	assert_int_equal(p9_dirent_size(&dents[2]), 30);
	d.name.ptr = "";
	d.name.len = 0;
	assert_int_equal(p9_dirent_size(&d), 24);
	d.name.len = 65535;	/* size only looks at the length */
	assert_int_equal(p9_dirent_size(&d), 24 + 65535);
}

static void
t_dirent_put(void **state)
{
	uint8_t buf[128];
	uint32_t used = 0, cap;
	size_t i, k;

	(void)state;
	/* All three fill exactly 81 bytes, as written by hand. */
	memset(buf, 0xa5, sizeof(buf));
	for (i = 0; i < 3; i++) {
		int err;

		P9_NO_ALLOC_BEGIN();
		err = p9_dirent_put(buf, sizeof(dirents), &used, &dents[i]);
		P9_NO_ALLOC_END();
		assert_int_equal(err, 0);
		assert_int_equal(used, dirent_at[i + 1]);
	}
	bytes_equal("packed dirents", buf, dirents, sizeof(dirents));
	assert_int_equal(p9_dirent_put(buf, sizeof(dirents), &used, &dents[0]), P9_ERR_NOSPACE);
	assert_int_equal(used, 81);

	/* Put until full at every capacity: whole entries only, nothing past them. */
	for (cap = 0; cap <= sizeof(dirents) + 5; cap++) {
		memset(buf, 0xa5, sizeof(buf));
		used = 0;
		for (i = 0; i < 3; i++) {
			uint32_t before = used;
			int err;

			P9_NO_ALLOC_BEGIN();
			err = p9_dirent_put(buf, cap, &used, &dents[i]);
			P9_NO_ALLOC_END();
			if (dirent_at[i + 1] <= cap) {
				assert_int_equal(err, 0);
				assert_int_equal(used, dirent_at[i + 1]);
				continue;
			}
			assert_int_equal(err, P9_ERR_NOSPACE);
			assert_int_equal(used, before);
			for (k = before; k < sizeof(buf); k++)
				assert_int_equal(buf[k], 0xa5);
			break;
		}
		bytes_equal("dirents so far", buf, dirents, used);
	}

	/* *used beyond cap is refused, not wrapped around. */
	used = 100;
	assert_int_equal(p9_dirent_put(buf, 50, &used, &dents[0]), P9_ERR_NOSPACE);
	assert_int_equal(used, 100);
}

static void
t_dirent_put_nul(void **state)
{
	static const char bad[] = { 'a', '\0', 'b' };
	struct p9_dirent d = dents[2];
	uint8_t buf[64], before[64];
	uint32_t used = 7;
	int err;

	(void)state;
	memset(buf, 0xa5, sizeof(buf));
	memcpy(before, buf, sizeof(buf));
	d.name.ptr = bad;
	d.name.len = sizeof(bad);
	P9_NO_ALLOC_BEGIN();
	err = p9_dirent_put(buf, sizeof(buf), &used, &d);
	P9_NO_ALLOC_END();
	assert_int_equal(err, P9_ERR_NUL);
	assert_int_equal(used, 7);
	assert_memory_equal(buf, before, sizeof(buf));	/* nothing written */
	/* An empty name is the codec's business no more than '/' is: it packs. */
	d.name.ptr = "";
	d.name.len = 0;
	assert_int_equal(p9_dirent_put(buf, sizeof(buf), &used, &d), 0);
	assert_int_equal(used, 7 + 24);
	assert_int_equal(buf[7 + 22], 0);
	assert_int_equal(buf[7 + 23], 0);
}

static void
t_dirent_iter(void **state)
{
	uint8_t *g = guarded_copy(dirents, sizeof(dirents));
	struct p9_dirent_iter it;
	struct p9_dirent d;
	size_t i;

	(void)state;
	p9_dirent_iter_init(&it, (struct p9_data){ g, sizeof(dirents) });
	for (i = 0; i < 3; i++) {
		assert_int_equal(it.pos, dirent_at[i]);
		assert_int_equal(dirent_next(&it, &d), 1);
		cmp_dirent(&d, &dents[i]);
		/* The name is a view into the payload, right after its length. */
		assert_ptr_equal(d.name.ptr, (const char *)g + dirent_at[i + 1] - d.name.len);
	}
	assert_int_equal(dirent_next(&it, &d), 0);
	assert_int_equal(dirent_next(&it, &d), 0);
	assert_int_equal(it.pos, sizeof(dirents));
	guarded_free(g, sizeof(dirents));

	/* Empty payloads, with or without a pointer, hold no entries. */
	p9_dirent_iter_init(&it, (struct p9_data){ NULL, 0 });
	assert_int_equal(dirent_next(&it, &d), 0);
	p9_dirent_iter_init(&it, (struct p9_data){ NULL, 5 });
	assert_int_equal(dirent_next(&it, &d), 0);
	p9_dirent_iter_init(&it, (struct p9_data){ dirents, 0 });
	assert_int_equal(dirent_next(&it, &d), 0);
}

/* Cut the payload at every length: inside an entry is P9_ERR_DIRENT, sticky. */
static void
t_dirent_iter_cut(void **state)
{
	uint32_t L;

	(void)state;
	for (L = 0; L <= sizeof(dirents); L++) {
		uint8_t *g = guarded_copy(dirents, L);
		struct p9_dirent_iter it;
		struct p9_dirent d;
		size_t whole = 0;
		int r;

		while (whole < 3 && dirent_at[whole + 1] <= L)
			whole++;
		p9_dirent_iter_init(&it, (struct p9_data){ g, L });
		while ((r = dirent_next(&it, &d)) == 1)
			;
		assert_int_equal(it.pos, dirent_at[whole]);
		if (L == dirent_at[whole]) {
			assert_int_equal(r, 0);
		} else {
			if (r != P9_ERR_DIRENT)
				test_fail("payload cut to %u: %d, want P9_ERR_DIRENT", L, r);
			assert_int_equal(dirent_next(&it, &d), P9_ERR_DIRENT);
			assert_int_equal(it.pos, dirent_at[whole]);
		}
		guarded_free(g, L);
	}
}

static void
t_dirent_iter_nul(void **state)
{
	uint8_t bad[sizeof(dirents)];
	struct p9_dirent_iter it;
	struct p9_dirent d;
	uint8_t *g;

	(void)state;
	memcpy(bad, dirents, sizeof(dirents));
	bad[25 + 24 + 1] = 0x00;	/* ".." becomes ".\0" */
	g = guarded_copy(bad, sizeof(bad));
	p9_dirent_iter_init(&it, (struct p9_data){ g, sizeof(bad) });
	assert_int_equal(dirent_next(&it, &d), 1);
	cmp_dirent(&d, &dents[0]);
	assert_int_equal(dirent_next(&it, &d), P9_ERR_NUL);
	assert_int_equal(it.pos, 25);
	/* Sticky: the good third entry is not reached. */
	assert_int_equal(dirent_next(&it, &d), P9_ERR_NUL);
	assert_int_equal(it.pos, 25);
	guarded_free(g, sizeof(bad));
}

/*
 * p9_dirent_iter_checked: the same entries, views and positions as
 * p9_dirent_iter_init; cut short at any length, the same error at the same
 * place (bounds are still checked: the payload sits at the end of a
 * guarded page); a name holding NUL passes (the decoder checked names).
 */
static void
t_dirent_iter_checked(void **state)
{
	uint8_t bad[sizeof(dirents)];
	struct p9_dirent_iter a, b;
	struct p9_dirent da, db;
	uint32_t L;
	uint8_t *g;
	int ra, rb;

	(void)state;
	for (L = 0; L <= sizeof(dirents); L++) {
		g = guarded_copy(dirents, L);
		p9_dirent_iter_init(&a, (struct p9_data){ g, L });
		p9_dirent_iter_checked(&b, (struct p9_data){ g, L });
		do {
			ra = dirent_next(&a, &da);
			rb = dirent_next(&b, &db);
			assert_int_equal(rb, ra);
			assert_int_equal(b.pos, a.pos);
			if (ra == 1) {
				cmp_dirent(&db, &da);
				assert_ptr_equal(db.name.ptr, da.name.ptr);
			}
		} while (ra == 1);
		if (ra != 0)	/* sticky too */
			assert_int_equal(dirent_next(&b, &db), ra);
		guarded_free(g, L);
	}

	memcpy(bad, dirents, sizeof(dirents));
	bad[25 + 24 + 1] = 0x00;	/* ".." becomes ".\0" */
	g = guarded_copy(bad, sizeof(bad));
	p9_dirent_iter_checked(&b, (struct p9_data){ g, sizeof(bad) });
	assert_int_equal(dirent_next(&b, &db), 1);
	assert_int_equal(dirent_next(&b, &db), 1);
	assert_int_equal(db.name.len, 2);
	assert_memory_equal(db.name.ptr, ".\0", 2);
	assert_int_equal(dirent_next(&b, &db), 1);
	assert_int_equal(dirent_next(&b, &db), 0);
	guarded_free(g, sizeof(bad));
}

/* Build an Rreaddir in place, seal it, decode it, iterate it. */
static void
t_rdata_rreaddir(void **state)
{
	static const uint8_t open_hdr[] = {
		0x00, 0x00, 0x00, 0x00,	/* size, patched by seal */
		0x29,			/* type 41 Rreaddir */
		0x0b, 0x0a,		/* tag 0x0a0b */
		0x00, 0x00, 0x00, 0x00,	/* count, patched by seal */
	};
	static const uint8_t hdr[] = {
		0x3e, 0x00, 0x00, 0x00,	/* size 62 */
		0x29,			/* type 41 Rreaddir */
		0x0b, 0x0a,		/* tag 0x0a0b */
		0x33, 0x00, 0x00, 0x00,	/* count 51 */
	};
	uint8_t buf[200];
	uint8_t *data, *g;
	uint32_t room, used = 0;
	struct p9_dirent_iter it;
	struct p9_dirent d;
	struct p9_msg m;
	size_t len, i;
	int err;

	(void)state;
	memset(buf, 0xa5, sizeof(buf));
	data = p9_rdata_begin(buf, sizeof(buf), P9_RREADDIR, 0x0a0b, 60, &room);
	assert_ptr_equal(data, buf + 11);
	assert_int_equal(room, 60);
	bytes_equal("open Rreaddir header", buf, open_hdr, sizeof(open_hdr));
	assert_int_equal(buf[11], 0xa5);
	/* room is min(cap - 11, count) here too; below 11 bytes, NULL. */
	assert_non_null(p9_rdata_begin(buf, 40, P9_RREADDIR, 0x0a0b, 60, &room));
	assert_int_equal(room, 29);
	assert_null(p9_rdata_begin(buf, 10, P9_RREADDIR, 0x0a0b, 60, &room));
	memset(buf, 0xa5, sizeof(buf));
	data = p9_rdata_begin(buf, sizeof(buf), P9_RREADDIR, 0x0a0b, 60, &room);
	for (i = 0; i < 3; i++) {
		err = p9_dirent_put(data, room, &used, &dents[i]);
		if (err != 0)
			break;
	}
	assert_int_equal(i, 2);
	assert_int_equal(err, P9_ERR_NOSPACE);
	assert_int_equal(used, 51);
	len = p9_rdata_seal(buf, used);
	assert_int_equal(len, 62);
	bytes_equal("Rreaddir header", buf, hdr, sizeof(hdr));
	bytes_equal("Rreaddir payload", buf + 11, dirents, 51);

	g = guarded_copy(buf, len);
	P9_NO_ALLOC_BEGIN();
	err = p9_msg_decode(g, len, &m);
	P9_NO_ALLOC_END();
	assert_int_equal(err, 0);
	assert_int_equal(m.type, P9_RREADDIR);
	assert_int_equal(m.tag, 0x0a0b);
	assert_ptr_equal(m.rreaddir.data.ptr, g + 11);
	assert_int_equal(m.rreaddir.data.len, 51);
	p9_dirent_iter_init(&it, m.rreaddir.data);
	assert_int_equal(dirent_next(&it, &d), 1);
	cmp_dirent(&d, &dents[0]);
	assert_int_equal(dirent_next(&it, &d), 1);
	cmp_dirent(&d, &dents[1]);
	assert_int_equal(dirent_next(&it, &d), 0);
	guarded_free(g, len);
}

/* ---- strictness ---- */

static void
t_nwname(void **state)
{
	uint8_t b[17 + 17 * 3];
	struct p9_msg m;
	uint8_t out[128];
	size_t i;

	(void)state;
	/* Twalk with 17 one-byte names: everything fits, only the count is wrong. */
	memcpy(b, (const uint8_t[]){
		0x44, 0x00, 0x00, 0x00,	/* size 68 */
		0x6e,			/* type 110 Twalk */
		0x01, 0x00,		/* tag 1 */
		0x01, 0x00, 0x00, 0x00,	/* fid 1 */
		0x02, 0x00, 0x00, 0x00,	/* newfid 2 */
		0x11, 0x00,		/* nwname 17 */
	}, 17);
	for (i = 0; i < 17; i++) {
		b[17 + 3 * i] = 0x01;
		b[17 + 3 * i + 1] = 0x00;
		b[17 + 3 * i + 2] = (uint8_t)('a' + i);
	}
	expect_decode_error("nwname 17", b, sizeof(b), P9_ERR_NWNAME, 15);
	b[15] = 0xff;
	b[16] = 0xff;		/* nwname 65535 */
	expect_decode_error("nwname 65535", b, sizeof(b), P9_ERR_NWNAME, 15);

	memset(&m, 0, sizeof(m));
	m.type = P9_TWALK;
	m.twalk.wname.n = 17;
	for (i = 0; i < P9_MAXWELEM; i++)
		m.twalk.wname.s[i] = (struct p9_str){ "x", 1 };
	assert_int_equal(encode_noalloc(&m, out, sizeof(out)), P9_ERR_NWNAME);
	/* The first error wins: the header already does not fit in 3 bytes. */
	assert_int_equal(encode_noalloc(&m, out, 3), P9_ERR_NOSPACE);
	/* size is only an estimate here, but must not read past the array. */
	assert_true(p9_msg_size(&m) >= 17 + 16 * 3);
	m.twalk.wname.n = 16;
	assert_int_equal(encode_noalloc(&m, out, sizeof(out)), 17 + 16 * 3);
}

static void
t_nwqid(void **state)
{
	uint8_t b[9 + 17 * 13];
	struct p9_msg m;
	uint8_t out[256];
	size_t i;

	(void)state;
	memcpy(b, (const uint8_t[]){
		0xe6, 0x00, 0x00, 0x00,	/* size 230 */
		0x6f,			/* type 111 Rwalk */
		0x01, 0x00,		/* tag 1 */
		0x11, 0x00,		/* nwqid 17 */
	}, 9);
	memset(b + 9, 0x80, sizeof(b) - 9);	/* 17 complete qids */
	expect_decode_error("nwqid 17", b, sizeof(b), P9_ERR_NWQID, 7);

	memset(&m, 0, sizeof(m));
	m.type = P9_RWALK;
	m.rwalk.wqid.n = 17;
	assert_int_equal(encode_noalloc(&m, out, sizeof(out)), P9_ERR_NWQID);
	assert_int_equal(encode_noalloc(&m, out, 3), P9_ERR_NOSPACE);
	assert_int_equal(p9_msg_size(&m), 9 + 16 * 13);
	m.rwalk.wqid.n = 16;
	assert_int_equal(encode_noalloc(&m, out, sizeof(out)), 9 + 16 * 13);
	for (i = 0; i < 16; i++)
		assert_int_equal(out[9 + 13 * i], 0);
}

/* A NUL inside a string, in several messages and positions. */
static void
t_nul_decode(void **state)
{
	static const uint8_t uname_first[] = {
		0x1a, 0x00, 0x00, 0x00,	/* size 26 */
		0x68,			/* Tattach */
		0x02, 0x01,		/* tag */
		0x11, 0x00, 0x00, 0x00,	/* fid */
		0xff, 0xff, 0xff, 0xff,	/* afid */
		0x03, 0x00, 0x00, 0x6f, 0x62, /* uname "\0ob" at 15 */
		0x00, 0x00,		/* aname "" */
		0x00, 0x00, 0x00, 0x00,	/* n_uname */
	};
	static const uint8_t aname_last[] = {
		0x1e, 0x00, 0x00, 0x00,	/* size 30 */
		0x68,			/* Tattach */
		0x02, 0x01,		/* tag */
		0x11, 0x00, 0x00, 0x00,	/* fid */
		0xff, 0xff, 0xff, 0xff,	/* afid */
		0x03, 0x00, 0x62, 0x6f, 0x62, /* uname "bob" */
		0x04, 0x00, 0x2f, 0x65, 0x78, 0x00, /* aname "/ex\0" at 20 */
		0x00, 0x00, 0x00, 0x00,	/* n_uname */
	};
	static const uint8_t wname_middle[] = {
		0x1d, 0x00, 0x00, 0x00,	/* size 29 */
		0x6e,			/* Twalk */
		0x03, 0x00,		/* tag */
		0x01, 0x00, 0x00, 0x00,	/* fid */
		0x02, 0x00, 0x00, 0x00,	/* newfid */
		0x02, 0x00,		/* nwname 2 */
		0x03, 0x00, 0x75, 0x73, 0x72, /* wname[0] "usr" */
		0x05, 0x00, 0x6c, 0x6f, 0x00, 0x61, 0x6c, /* wname[1] "lo\0al" at 22 */
	};
	static const uint8_t client_id_only[] = {
		0x27, 0x00, 0x00, 0x00,	/* size 39 */
		0x34,			/* Tlock */
		0x04, 0x00,		/* tag */
		0x01, 0x00, 0x00, 0x00,	/* fid */
		0x00,			/* type */
		0x00, 0x00, 0x00, 0x00,	/* flags */
		0, 0, 0, 0, 0, 0, 0, 0,	/* start */
		0, 0, 0, 0, 0, 0, 0, 0,	/* length */
		0x01, 0x00, 0x00, 0x00,	/* proc_id */
		0x01, 0x00, 0x00,	/* client_id "\0" at 36 */
	};
	static const uint8_t target[] = {
		0x0b, 0x00, 0x00, 0x00,	/* size 11 */
		0x17,			/* Rreadlink */
		0x05, 0x00,		/* tag */
		0x02, 0x00, 0x61, 0x00,	/* target "a\0" at 7 */
	};
	static const uint8_t newname[] = {
		0x19, 0x00, 0x00, 0x00,	/* size 25 */
		0x4a,			/* Trenameat */
		0x06, 0x00,		/* tag */
		0x01, 0x00, 0x00, 0x00,	/* olddirfid */
		0x03, 0x00, 0x6f, 0x6c, 0x64, /* oldname "old" */
		0x02, 0x00, 0x00, 0x00,	/* newdirfid */
		0x03, 0x00, 0x6e, 0x00, 0x77, /* newname "n\0w" at 20 */
	};

	(void)state;
	expect_decode_error("Tattach uname", uname_first, sizeof(uname_first), P9_ERR_NUL, 15);
	expect_decode_error("Tattach aname", aname_last, sizeof(aname_last), P9_ERR_NUL, 20);
	expect_decode_error("Twalk wname[1]", wname_middle, sizeof(wname_middle), P9_ERR_NUL, 22);
	expect_decode_error("Tlock client_id", client_id_only, sizeof(client_id_only),
	    P9_ERR_NUL, 36);
	expect_decode_error("Rreadlink target", target, sizeof(target), P9_ERR_NUL, 7);
	expect_decode_error("Trenameat newname", newname, sizeof(newname), P9_ERR_NUL, 20);
}

static void
t_nul_encode(void **state)
{
	static const char nul_mid[] = { 'a', '\0', 'b' };
	static const char nul_first[] = { '\0', 'x' };
	static const char nul_last[] = { 'x', 'y', '\0' };
	const struct p9_str mid = { nul_mid, 3 }, first = { nul_first, 2 },
	    last = { nul_last, 3 }, ok = { "ok", 2 };
	uint8_t out[256];
	struct p9_msg m;

	(void)state;
	memset(&m, 0, sizeof(m));
	m.type = P9_TATTACH;
	m.tattach.uname = first;
	m.tattach.aname = ok;
	assert_int_equal(encode_noalloc(&m, out, sizeof(out)), P9_ERR_NUL);
	m.tattach.uname = ok;
	m.tattach.aname = last;
	assert_int_equal(encode_noalloc(&m, out, sizeof(out)), P9_ERR_NUL);
	m.tattach.aname = ok;
	assert_int_equal(encode_noalloc(&m, out, sizeof(out)), 23 + 4);

	memset(&m, 0, sizeof(m));
	m.type = P9_TWALK;
	m.twalk.wname.n = 3;
	m.twalk.wname.s[0] = ok;
	m.twalk.wname.s[1] = mid;
	m.twalk.wname.s[2] = ok;
	assert_int_equal(encode_noalloc(&m, out, sizeof(out)), P9_ERR_NUL);

	memset(&m, 0, sizeof(m));
	m.type = P9_TLOCK;
	m.tlock.client_id = mid;
	assert_int_equal(encode_noalloc(&m, out, sizeof(out)), P9_ERR_NUL);

	memset(&m, 0, sizeof(m));
	m.type = P9_RREADLINK;
	m.rreadlink.target = last;
	assert_int_equal(encode_noalloc(&m, out, sizeof(out)), P9_ERR_NUL);

	memset(&m, 0, sizeof(m));
	m.type = P9_TRENAMEAT;
	m.trenameat.oldname = ok;
	m.trenameat.newname = first;
	assert_int_equal(encode_noalloc(&m, out, sizeof(out)), P9_ERR_NUL);

	memset(&m, 0, sizeof(m));
	m.type = P9_TVERSION;
	m.tversion.version = mid;
	assert_int_equal(encode_noalloc(&m, out, sizeof(out)), P9_ERR_NUL);

	/* Data is not a string: NUL bytes are fine there. */
	memset(&m, 0, sizeof(m));
	m.type = P9_TWRITE;
	m.twrite.data = (struct p9_data){ (const uint8_t *)nul_mid, 3 };
	assert_int_equal(encode_noalloc(&m, out, sizeof(out)), 23 + 3);
}

static int
in_table(int type)
{
	switch (type) {
#define P9_PAIR(UP, lo, num, tf, rf)	case P9_T##UP: case P9_R##UP:
#define P9_RONLY(UP, lo, num, rf)	case P9_R##UP:
#include "p9_msgs.def"
#undef P9_PAIR
#undef P9_RONLY
		return 1;
	default:
		return 0;
	}
}

static void
t_unknown_types(void **state)
{
	/* Tlerror, Terror/Rerror, Topen, Tstat, 0, 255 and the gap at 10. */
	static const int named[] = { 0, 6, 106, 107, 112, 124, 255, 10 };
	uint8_t b[] = {
		0x0b, 0x00, 0x00, 0x00,	/* size 11 */
		0x00,			/* type, set below */
		0x07, 0x00,		/* tag 7 */
		0x01, 0x00, 0x00, 0x00,	/* a fid, as if Tclunk */
	};
	uint8_t out[64];
	struct p9_msg m;
	size_t i;
	int t, n = 0;

	(void)state;
	for (i = 0; i < sizeof(named) / sizeof(named[0]); i++) {
		char ctx[32];

		assert_false(in_table(named[i]));
		snprintf(ctx, sizeof(ctx), "type %d", named[i]);
		b[4] = (uint8_t)named[i];
		expect_decode_error(ctx, b, sizeof(b), P9_ERR_TYPE, 4);
		expect_decode_error(ctx, (const uint8_t[]){ 0x07, 0x00, 0x00, 0x00,
		    (uint8_t)named[i], 0x07, 0x00 }, 7, P9_ERR_TYPE, 4);
	}
	/* Every type outside the table, both ways. */
	for (t = 0; t < 256; t++) {
		if (in_table(t))
			continue;
		n++;
		b[4] = (uint8_t)t;
		expect_decode_error("unused type", b, sizeof(b), P9_ERR_TYPE, 4);
		memset(&m, 0, sizeof(m));
		m.type = (uint8_t)t;
		assert_int_equal(encode_noalloc(&m, out, sizeof(out)), P9_ERR_TYPE);
		assert_int_equal(p9_msg_size(&m), 0);
	}
	assert_int_equal(n, 256 - 57);
}

static void
t_size_mismatch(void **state)
{
	uint8_t b[] = {
		0x0b, 0x00, 0x00, 0x00,	/* size 11 */
		0x78,			/* Tclunk */
		0x02, 0x00,		/* tag 2 */
		0x01, 0x00, 0x00, 0x00,	/* fid 1 */
		0x00,			/* one spare byte */
	};
	struct p9_msg m;
	size_t errpos;

	(void)state;
	assert_int_equal(decode_guarded(b, 11, 0, &m, &errpos, NULL), 0);
	/* The frame is 12 bytes, the size says 11 (and then 10, 13, 0xffffffff). */
	expect_decode_error("size 11 of 12", b, 12, P9_ERR_SIZE, 0);
	b[0] = 10;
	expect_decode_error("size 10 of 11", b, 11, P9_ERR_SIZE, 0);
	b[0] = 13;
	expect_decode_error("size 13 of 12", b, 12, P9_ERR_SIZE, 0);
	b[0] = 0xff; b[1] = 0xff; b[2] = 0xff; b[3] = 0xff;
	expect_decode_error("size 0xffffffff", b, 12, P9_ERR_SIZE, 0);
	/* An undersize field is reported as such even if it matches nothing. */
	b[0] = 6; b[1] = 0; b[2] = 0; b[3] = 0;
	expect_decode_error("size 6 of 12", b, 12, P9_ERR_UNDERSIZE, 0);
	b[0] = 0;
	expect_decode_error("size 0 of 12", b, 12, P9_ERR_UNDERSIZE, 0);
	/* Without errpos. */
	b[0] = 10;
	assert_int_equal(p9_msg_decode(b, 11, &m), P9_ERR_SIZE);
	assert_int_equal(p9_msg_decode_ex(b, 11, P9_DEC_TOLERANT, &m, NULL), P9_ERR_SIZE);
}

static void
t_counts_past_end(void **state)
{
	static const uint8_t str_long[] = {
		0x15, 0x00, 0x00, 0x00,	/* size 21 */
		0x64,			/* Tversion */
		0xff, 0xff,		/* tag NOTAG */
		0x00, 0x20, 0x00, 0x00,	/* msize 8192 */
		0x09, 0x00,		/* version len 9, but 8 bytes follow */
		0x39, 0x50, 0x32, 0x30, 0x30, 0x30, 0x2e, 0x4c,
	};
	static const uint8_t str_huge[] = {
		0x0b, 0x00, 0x00, 0x00,	/* size 11 */
		0x17,			/* Rreadlink */
		0x01, 0x00,		/* tag 1 */
		0xff, 0xff,		/* target len 65535 */
		0x61, 0x62,		/* 2 bytes */
	};
	static const uint8_t rread_huge[] = {
		0x0e, 0x00, 0x00, 0x00,	/* size 14 */
		0x75,			/* Rread */
		0x01, 0x00,		/* tag 1 */
		0xff, 0xff, 0xff, 0xff,	/* count 0xffffffff */
		0x61, 0x62, 0x63,	/* 3 bytes */
	};
	static const uint8_t twrite_huge[] = {
		0x1a, 0x00, 0x00, 0x00,	/* size 26 */
		0x76,			/* Twrite */
		0x01, 0x00,		/* tag 1 */
		0x01, 0x00, 0x00, 0x00,	/* fid 1 */
		0, 0, 0, 0, 0, 0, 0, 0,	/* offset 0 */
		0xff, 0xff, 0xff, 0xff,	/* count 0xffffffff */
		0x61, 0x62, 0x63,	/* 3 bytes */
	};
	static const uint8_t twrite_one_over[] = {
		0x1a, 0x00, 0x00, 0x00,	/* size 26 */
		0x76,			/* Twrite */
		0x01, 0x00,		/* tag 1 */
		0x01, 0x00, 0x00, 0x00,	/* fid 1 */
		0, 0, 0, 0, 0, 0, 0, 0,	/* offset 0 */
		0x04, 0x00, 0x00, 0x00,	/* count 4, but 3 bytes follow */
		0x61, 0x62, 0x63,
	};
	static const uint8_t twalk_names_short[] = {
		0x13, 0x00, 0x00, 0x00,	/* size 19 */
		0x6e,			/* Twalk */
		0x01, 0x00,		/* tag 1 */
		0x01, 0x00, 0x00, 0x00,	/* fid 1 */
		0x02, 0x00, 0x00, 0x00,	/* newfid 2 */
		0x02, 0x00,		/* nwname 2, but one name follows */
		0x00, 0x00,		/* wname[0] "" */
	};

	(void)state;
	/* A count running past the end fails where its bytes were to start. */
	expect_decode_error("string len 9 of 8", str_long, sizeof(str_long), P9_ERR_SHORT, 13);
	expect_decode_error("string len 65535", str_huge, sizeof(str_huge), P9_ERR_SHORT, 9);
	expect_decode_error("Rread count 0xffffffff", rread_huge, sizeof(rread_huge),
	    P9_ERR_SHORT, 11);
	expect_decode_error("Twrite count 0xffffffff", twrite_huge, sizeof(twrite_huge),
	    P9_ERR_SHORT, 23);
	expect_decode_error("Twrite count 4 of 3", twrite_one_over, sizeof(twrite_one_over),
	    P9_ERR_SHORT, 23);
	expect_decode_error("Twalk 2 names, 1 present", twalk_names_short,
	    sizeof(twalk_names_short), P9_ERR_SHORT, 19);
}

/* Names are bytes: everything but NUL passes through the codec untouched. */
static void
t_names_are_bytes(void **state)
{
	uint8_t b[17 + 2 + 255];
	uint8_t out[sizeof(b)];
	struct p9_msg m;
	size_t errpos;
	uint8_t *g;
	int i, err;

	(void)state;
	memcpy(b, (const uint8_t[]){
		0x12, 0x01, 0x00, 0x00,	/* size 274 */
		0x6e,			/* Twalk */
		0x09, 0x00,		/* tag 9 */
		0x01, 0x00, 0x00, 0x00,	/* fid 1 */
		0x02, 0x00, 0x00, 0x00,	/* newfid 2 */
		0x01, 0x00,		/* nwname 1 */
		0xff, 0x00,		/* wname[0] len 255 */
	}, 19);
	for (i = 1; i <= 255; i++)
		b[18 + i] = (uint8_t)i;	/* every byte value but NUL: '/', ' ', 0x80-0xff */

	g = guarded_copy(b, sizeof(b));
	P9_NO_ALLOC_BEGIN();
	err = p9_msg_decode_ex(g, sizeof(b), 0, &m, &errpos);
	P9_NO_ALLOC_END();
	assert_int_equal(err, 0);
	assert_int_equal(errpos, 0);
	assert_int_equal(m.twalk.wname.n, 1);
	assert_int_equal(m.twalk.wname.s[0].len, 255);
	assert_ptr_equal(m.twalk.wname.s[0].ptr, (const char *)g + 19);
	for (i = 1; i <= 255; i++)
		assert_int_equal((uint8_t)m.twalk.wname.s[0].ptr[i - 1], i);
	assert_int_equal(p9_msg_size(&m), sizeof(b));
	assert_int_equal(encode_noalloc(&m, out, sizeof(out)), sizeof(b));
	bytes_equal("255-byte name", out, b, sizeof(b));
	guarded_free(g, sizeof(b));

	/* Path-like and invalid UTF-8 names in every slot of a full walk. */
	{
		static const char *const names[P9_MAXWELEM] = {
			"..", ".", "/", "a/b", " ", " lead", "trail ", "\xff\xfe",
			"\xc0\xaf", "\xed\xa0\x80", "\x80", "\x01\x02\x1f", "%s%n",
			"\\", "\"q\"", "\x7f",
		};
		uint8_t wire[512];
		long n;

		memset(&m, 0, sizeof(m));
		m.type = P9_TWALK;
		m.tag = 0x0102;
		m.twalk.wname.n = P9_MAXWELEM;
		for (i = 0; i < P9_MAXWELEM; i++)
			assert_int_equal(p9_str_set(&m.twalk.wname.s[i], names[i]), 0);
		n = encode_noalloc(&m, wire, sizeof(wire));
		assert_true(n > 0);
		assert_int_equal((size_t)n, p9_msg_size(&m));
		memset(&m, 0, sizeof(m));
		g = guarded_copy(wire, (size_t)n);
		P9_NO_ALLOC_BEGIN();
		err = p9_msg_decode(g, (size_t)n, &m);
		P9_NO_ALLOC_END();
		assert_int_equal(err, 0);
		assert_int_equal(m.twalk.wname.n, P9_MAXWELEM);
		for (i = 0; i < P9_MAXWELEM; i++)
			assert_true(p9_str_eq(m.twalk.wname.s[i], names[i]));
		guarded_free(g, (size_t)n);
	}
}

/* ---- names of types, errors, views ---- */

static const struct {
	int		 type;
	const char	*name;
} type_names[] = {
	{ 7, "Rlerror" },
	{ 8, "Tstatfs" }, { 9, "Rstatfs" },
	{ 12, "Tlopen" }, { 13, "Rlopen" },
	{ 14, "Tlcreate" }, { 15, "Rlcreate" },
	{ 16, "Tsymlink" }, { 17, "Rsymlink" },
	{ 18, "Tmknod" }, { 19, "Rmknod" },
	{ 20, "Trename" }, { 21, "Rrename" },
	{ 22, "Treadlink" }, { 23, "Rreadlink" },
	{ 24, "Tgetattr" }, { 25, "Rgetattr" },
	{ 26, "Tsetattr" }, { 27, "Rsetattr" },
	{ 30, "Txattrwalk" }, { 31, "Rxattrwalk" },
	{ 32, "Txattrcreate" }, { 33, "Rxattrcreate" },
	{ 40, "Treaddir" }, { 41, "Rreaddir" },
	{ 50, "Tfsync" }, { 51, "Rfsync" },
	{ 52, "Tlock" }, { 53, "Rlock" },
	{ 54, "Tgetlock" }, { 55, "Rgetlock" },
	{ 70, "Tlink" }, { 71, "Rlink" },
	{ 72, "Tmkdir" }, { 73, "Rmkdir" },
	{ 74, "Trenameat" }, { 75, "Rrenameat" },
	{ 76, "Tunlinkat" }, { 77, "Runlinkat" },
	{ 100, "Tversion" }, { 101, "Rversion" },
	{ 102, "Tauth" }, { 103, "Rauth" },
	{ 104, "Tattach" }, { 105, "Rattach" },
	{ 108, "Tflush" }, { 109, "Rflush" },
	{ 110, "Twalk" }, { 111, "Rwalk" },
	{ 116, "Tread" }, { 117, "Rread" },
	{ 118, "Twrite" }, { 119, "Rwrite" },
	{ 120, "Tclunk" }, { 121, "Rclunk" },
	{ 122, "Tremove" }, { 123, "Rremove" },
};
#define NTYPENAMES	(sizeof(type_names) / sizeof(type_names[0]))

static void
t_type_name(void **state)
{
	size_t i;
	int t, named = 0;

	(void)state;
	assert_int_equal(NTYPENAMES, 57);
	for (i = 0; i < NTYPENAMES; i++) {
		const char *n = p9_type_name(type_names[i].type);

		assert_true(in_table(type_names[i].type));
		assert_non_null(n);
		assert_string_equal(n, type_names[i].name);
	}
	for (t = 0; t < 256; t++) {
		if (p9_type_name(t) != NULL) {
			named++;
			assert_true(in_table(t));
		} else {
			assert_false(in_table(t));
		}
	}
	assert_int_equal(named, 57);
	assert_null(p9_type_name(-1));
	assert_null(p9_type_name(256));
	assert_null(p9_type_name(INT_MIN));
	assert_null(p9_type_name(INT_MAX));
}

static void
t_type_from_name(void **state)
{
	static const char *const unknown[] = {
		"", "T", "R", "Tclu", "Tclunkx", "tclunk", "TCLUNK", "Tlerror", "Terror",
		"Rerror", "Topen", "Ropen", "Tcreate", "Tstat", "Twstat", "clunk",
		" Tclunk", "Tclunk ",
	};
	size_t i;

	(void)state;
	for (i = 0; i < NTYPENAMES; i++) {
		const char *n = type_names[i].name;

		assert_int_equal(p9_type_from_name(n, strlen(n)), type_names[i].type);
		assert_int_equal(p9_type_from_name(p9_type_name(type_names[i].type),
		    strlen(n)), type_names[i].type);
	}
	for (i = 0; i < sizeof(unknown) / sizeof(unknown[0]); i++)
		assert_int_equal(p9_type_from_name(unknown[i], strlen(unknown[i])), -1);
	/* The name is name[0..len): no terminator needed, none looked at. */
	assert_int_equal(p9_type_from_name("TclunkXYZ", 6), P9_TCLUNK);
	assert_int_equal(p9_type_from_name("Rwalk=1", 5), P9_RWALK);
	assert_int_equal(p9_type_from_name("Tread", 4), -1);
	assert_int_equal(p9_type_from_name("Treaddir", 5), P9_TREAD);
}

/* Linux errno names: the values doc/PROTOCOL.md 1.8 lists, written by
 * hand, then every value against the C library where it can say. */
static void
t_errno_names(void **state)
{
	static const struct {
		uint32_t	 val;
		const char	*name;
	} linux_values[] = {
		{ 1, "EPERM" }, { 2, "ENOENT" }, { 5, "EIO" }, { 7, "E2BIG" },
		{ 9, "EBADF" }, { 11, "EAGAIN" }, { 13, "EACCES" }, { 17, "EEXIST" },
		{ 18, "EXDEV" }, { 20, "ENOTDIR" }, { 21, "EISDIR" }, { 22, "EINVAL" },
		{ 24, "EMFILE" }, { 28, "ENOSPC" }, { 30, "EROFS" },
		{ 36, "ENAMETOOLONG" }, { 37, "ENOLCK" }, { 38, "ENOSYS" },
		{ 39, "ENOTEMPTY" }, { 40, "ELOOP" }, { 61, "ENODATA" },
		{ 71, "EPROTO" }, { 90, "EMSGSIZE" }, { 95, "EOPNOTSUPP" },
		{ 121, "EREMOTEIO" }, { 122, "EDQUOT" }, { 133, "EHWPOISON" },
	};
	static const uint32_t unknown[] = { 0, 41, 58, 134, 4095, 65536, UINT32_MAX };
	size_t i;
	uint32_t e;
	int named = 0;

	(void)state;
	for (i = 0; i < sizeof(linux_values) / sizeof(linux_values[0]); i++) {
		assert_string_equal(p9_errno_name(linux_values[i].val), linux_values[i].name);
		assert_int_equal(p9_errno_value(linux_values[i].name,
		    strlen(linux_values[i].name)), linux_values[i].val);
	}
	for (i = 0; i < sizeof(unknown) / sizeof(unknown[0]); i++)
		assert_null(p9_errno_name(unknown[i]));
	/* Every name maps back to its value, and no two values share one. */
	for (e = 1; e < 200; e++) {
		const char *n = p9_errno_name(e);

		if (n == NULL)
			continue;
		named++;
		assert_int_equal(p9_errno_value(n, strlen(n)), e);
	}
	assert_int_equal(named, 131);
	/* Aliases: accepted by name, never printed. */
	assert_int_equal(p9_errno_value("ENOTSUP", 7), 95);
	assert_int_equal(p9_errno_value("EWOULDBLOCK", 11), 11);
	assert_int_equal(p9_errno_value("EDEADLOCK", 9), 35);
	assert_string_equal(p9_errno_name(35), "EDEADLK");
	/* Exact, case-sensitive, length-bounded. */
	assert_int_equal(p9_errno_value("", 0), -1);
	assert_int_equal(p9_errno_value("enoent", 6), -1);
	assert_int_equal(p9_errno_value("ENOEN", 5), -1);
	assert_int_equal(p9_errno_value("ENOENTX", 7), -1);
	assert_int_equal(p9_errno_value("ENOENTX", 6), 2);
	assert_int_equal(p9_errno_value("E", 1), -1);
#if defined(__linux__) && defined(__GLIBC__) && \
    (__GLIBC__ > 2 || (__GLIBC__ == 2 && __GLIBC_MINOR__ >= 32))
	/* On Linux the host's values are the wire's. */
	for (e = 1; e < 200; e++) {
		const char *host = strerrorname_np((int)e);

		if (host == NULL)
			assert_null(p9_errno_name(e));
		else
			assert_string_equal(p9_errno_name(e), host);
	}
#endif
}

static void
t_strerror(void **state)
{
	const char *seen[64];
	int e, f;

	(void)state;
	assert_true(-P9_ERR__LAST < 64);
	assert_true(P9_ERR__LAST <= P9_ERR_DIRENT);
	for (e = 0; e >= P9_ERR__LAST; e--) {
		const char *s = p9_strerror(e);

		assert_non_null(s);
		assert_true(strlen(s) > 0);
		if (strcmp(s, "unknown error") == 0)
			test_fail("p9_strerror(%d) is \"unknown error\"", e);
		for (f = 0; f > e; f--) {
			if (strcmp(seen[-f], s) == 0)
				test_fail("p9_strerror(%d) == p9_strerror(%d): %s", e, f, s);
		}
		seen[-e] = s;
	}
	assert_string_equal(p9_strerror(1), "unknown error");
	assert_string_equal(p9_strerror(P9_ERR__LAST - 1), "unknown error");
	assert_string_equal(p9_strerror(INT_MIN), "unknown error");
	assert_string_equal(p9_strerror(INT_MAX), "unknown error");
	assert_string_equal(p9_strerror(0), "success");
}

static void
t_str_eq(void **state)
{
	static const char buf[] = "abcdef";

	(void)state;
	assert_true(p9_str_eq((struct p9_str){ "abc", 3 }, "abc"));
	assert_true(p9_str_eq((struct p9_str){ buf, 3 }, "abc"));	/* a prefix view */
	assert_false(p9_str_eq((struct p9_str){ buf, 3 }, "abcd"));
	assert_false(p9_str_eq((struct p9_str){ buf, 4 }, "abc"));
	assert_false(p9_str_eq((struct p9_str){ "abd", 3 }, "abc"));
	assert_false(p9_str_eq((struct p9_str){ "xbc", 3 }, "abc"));
	assert_true(p9_str_eq((struct p9_str){ "", 0 }, ""));
	assert_true(p9_str_eq((struct p9_str){ NULL, 0 }, ""));
	assert_false(p9_str_eq((struct p9_str){ NULL, 0 }, "a"));
	assert_false(p9_str_eq((struct p9_str){ "a", 1 }, ""));
	/* A view holding NUL never equals a C string. */
	assert_false(p9_str_eq((struct p9_str){ "a\0b", 3 }, "a"));
}

static void
t_str_set(void **state)
{
	static char big[65537];
	struct p9_str s = { "keep", 4 };

	(void)state;
	assert_int_equal(p9_str_set(&s, "hello"), 0);
	assert_string_equal(s.ptr, "hello");
	assert_int_equal(s.len, 5);
	assert_int_equal(p9_str_set(&s, ""), 0);
	assert_int_equal(s.len, 0);

	memset(big, 'x', 65535);
	big[65535] = '\0';
	assert_int_equal(p9_str_set(&s, big), 0);
	assert_ptr_equal(s.ptr, big);
	assert_int_equal(s.len, 65535);

	s = (struct p9_str){ "keep", 4 };
	big[65535] = 'x';
	big[65536] = '\0';
	assert_int_equal(p9_str_set(&s, big), P9_ERR_STRLEN);
	assert_string_equal(s.ptr, "keep");
	assert_int_equal(s.len, 4);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(t_frame_need_header),
		cmocka_unit_test(t_frame_need_msize),
		cmocka_unit_test(t_frame_need_stream),
		cmocka_unit_test(t_rdata_rread),
		cmocka_unit_test(t_rdata_rreaddir),
		cmocka_unit_test(t_dirent_size),
		cmocka_unit_test(t_dirent_put),
		cmocka_unit_test(t_dirent_put_nul),
		cmocka_unit_test(t_dirent_iter),
		cmocka_unit_test(t_dirent_iter_cut),
		cmocka_unit_test(t_dirent_iter_nul),
		cmocka_unit_test(t_dirent_iter_checked),
		cmocka_unit_test(t_nwname),
		cmocka_unit_test(t_nwqid),
		cmocka_unit_test(t_nul_decode),
		cmocka_unit_test(t_nul_encode),
		cmocka_unit_test(t_unknown_types),
		cmocka_unit_test(t_size_mismatch),
		cmocka_unit_test(t_counts_past_end),
		cmocka_unit_test(t_names_are_bytes),
		cmocka_unit_test(t_type_name),
		cmocka_unit_test(t_type_from_name),
		cmocka_unit_test(t_strerror),
		cmocka_unit_test(t_errno_names),
		cmocka_unit_test(t_str_eq),
		cmocka_unit_test(t_str_set),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
