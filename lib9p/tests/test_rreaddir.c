/*
 * Rreaddir's data, checked by the codec: decode (strict and tolerant),
 * encode and parse accept exactly the payloads that are whole dirents
 * (qid[13] offset[8] type[1] name[s], the last one ending at the payload's
 * end) with no NUL in a name. Every frame is written out byte by byte;
 * decodes read guard-page copies inside no-allocation regions, and each
 * refusal is checked for its code and the offset of the offending byte:
 *
 *   P9_ERR_DIRENT  the first byte of the dirent field that the end of the
 *                  data cuts (the data's end when it falls between fields);
 *   P9_ERR_NUL     the dirent's name, i.e. its length field (entry + 22),
 *                  as for every other string;
 *
 * both as frame offsets, so the payload's first byte is at 11.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "p9.h"
#include "testutil.h"

/* The entry "ab" of the golden Rreaddir, then "c": 26 + 25 bytes. */
#define ENT_AB \
	0x80,			/* qid.type QTDIR */ \
	0x01, 0x02, 0x03, 0x04,	/* qid.version */ \
	0x05, 0x06, 0x07, 0x08, 0x09, 0x0a, 0x0b, 0x0c, /* qid.path */ \
	0x0d, 0x0e, 0x0f, 0x10, 0x11, 0x12, 0x13, 0x14, /* offset */ \
	0x04,			/* type DT_DIR */ \
	0x02, 0x00, 0x61, 0x62	/* name "ab" */
#define ENT_C \
	0x00,			/* qid.type QTFILE */ \
	0x00, 0x00, 0x00, 0x00,	/* qid.version */ \
	0x2a, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, /* qid.path 42 */ \
	0x02, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, /* offset 2 */ \
	0x08,			/* type DT_REG */ \
	0x01, 0x00, 0x63	/* name "c" */

static const uint8_t ent_ab[] = { ENT_AB };

/* Decode from a guard-page copy, strict then tolerant: both give err at
 * errpos (tolerance is about trailing bytes only). */
static void
expect_error(const char *ctx, const uint8_t *b, size_t len, int err, size_t errpos)
{
	struct p9_msg m;
	size_t pos;
	int got;

	got = decode_guarded(b, len, 0, &m, &pos, NULL);
	if (got != err || pos != errpos)
		test_fail("%s: decode gave %d (%s) at %zu, want %d (%s) at %zu", ctx, got,
		    p9_strerror(got), pos, err, p9_strerror(err), errpos);
	got = decode_guarded(b, len, P9_DEC_TOLERANT, &m, &pos, NULL);
	if (got != err || pos != errpos)
		test_fail("%s: tolerant decode gave %d at %zu, want %d at %zu", ctx, got,
		    pos, err, errpos);
	/* The plain entry point agrees. */
	assert_int_equal(p9_msg_decode(b, len, &m), err);
}

/* Decode a good frame; its data must be the len bytes at offset 11 and
 * iterate, without allocating, to exactly its end in n entries. */
static void
expect_ok(const char *ctx, const uint8_t *b, size_t len, uint32_t count, int n)
{
	struct p9_dirent_iter it;
	struct p9_dirent d;
	struct p9_msg m;
	size_t pos = 99;
	uint8_t *g;
	int err, i = 0, r;

	err = decode_guarded(b, len, 0, &m, &pos, &g);
	if (err != 0)
		test_fail("%s: decode: %s at %zu", ctx, p9_strerror(err), pos);
	assert_int_equal(pos, 0);
	assert_int_equal(m.type, P9_RREADDIR);
	assert_int_equal(m.rreaddir.data.len, count);
	assert_ptr_equal(m.rreaddir.data.ptr, g + 11);
	p9_dirent_iter_init(&it, m.rreaddir.data);
	for (;;) {
		P9_NO_ALLOC_BEGIN();
		r = p9_dirent_next(&it, &d);
		P9_NO_ALLOC_END();
		if (r != 1)
			break;
		assert_ptr_equal(d.name.ptr + d.name.len, (const char *)g + 11 + it.pos);
		i++;
	}
	assert_int_equal(r, 0);
	assert_int_equal(it.pos, count);
	assert_int_equal(i, n);
	guarded_free(g, len);
}

/* An empty payload holds no entries: valid, and it encodes back. */
static void
t_empty(void **state)
{
	static const uint8_t b[] = {
		0x0b, 0x00, 0x00, 0x00,	/* size 11 */
		0x29,			/* Rreaddir */
		0x01, 0x00,		/* tag 1 */
		0x00, 0x00, 0x00, 0x00,	/* count 0 */
	};
	uint8_t out[16];
	struct p9_msg m;

	(void)state;
	expect_ok("empty", b, sizeof(b), 0, 0);
	memset(&m, 0, sizeof(m));
	m.type = P9_RREADDIR;
	m.tag = 1;
	assert_int_equal(encode_noalloc(&m, out, sizeof(out)), sizeof(b));
	bytes_equal("empty Rreaddir", out, b, sizeof(b));
}

/* Entries that end exactly at the payload's end; an empty name too. */
static void
t_exact_end(void **state)
{
	static const uint8_t one[] = {
		0x25, 0x00, 0x00, 0x00,	/* size 37 */
		0x29,			/* Rreaddir */
		0x01, 0x00,		/* tag 1 */
		0x1a, 0x00, 0x00, 0x00,	/* count 26 */
		ENT_AB,			/* 11..36, the last byte of the frame */
	};
	static const uint8_t two[] = {
		0x3e, 0x00, 0x00, 0x00,	/* size 62 */
		0x29,			/* Rreaddir */
		0x01, 0x00,		/* tag 1 */
		0x33, 0x00, 0x00, 0x00,	/* count 51 */
		ENT_AB,			/* 11..36 */
		ENT_C,			/* 37..61 */
	};
	static const uint8_t noname[] = {
		0x23, 0x00, 0x00, 0x00,	/* size 35 */
		0x29,			/* Rreaddir */
		0x01, 0x00,		/* tag 1 */
		0x18, 0x00, 0x00, 0x00,	/* count 24 */
		0x00, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, /* qid */
		0, 0, 0, 0, 0, 0, 0, 0,	/* offset */
		0x00,			/* type */
		0x00, 0x00,		/* name "": the codec leaves names to the caller */
	};
	uint8_t out[64];
	struct p9_msg m;

	(void)state;
	expect_ok("one entry", one, sizeof(one), 26, 1);
	expect_ok("two entries", two, sizeof(two), 51, 2);
	expect_ok("empty name", noname, sizeof(noname), 24, 1);
	/* What decodes encodes to the same bytes. */
	assert_int_equal(p9_msg_decode(two, sizeof(two), &m), 0);
	assert_int_equal(encode_noalloc(&m, out, sizeof(out)), sizeof(two));
	bytes_equal("two entries", out, two, sizeof(two));
}

/* The data ends inside the first entry's header, one case per field. */
static void
t_cut_header(void **state)
{
	static const uint8_t in_qid[] = {
		0x10, 0x00, 0x00, 0x00,	/* size 16 */
		0x29,			/* Rreaddir */
		0x01, 0x00,		/* tag 1 */
		0x05, 0x00, 0x00, 0x00,	/* count 5 */
		0x80, 0x01, 0x02, 0x03, 0x04, /* 5 of the qid's 13 bytes, at 11 */
	};
	static const uint8_t in_offset[] = {
		0x1b, 0x00, 0x00, 0x00,	/* size 27 */
		0x29,			/* Rreaddir */
		0x01, 0x00,		/* tag 1 */
		0x10, 0x00, 0x00, 0x00,	/* count 16 */
		0x80, 0x01, 0x02, 0x03, 0x04,
		0x05, 0x06, 0x07, 0x08, 0x09, 0x0a, 0x0b, 0x0c, /* qid */
		0x0d, 0x0e, 0x0f,	/* 3 of the offset's 8 bytes, at 24 */
	};
	static const uint8_t before_type[] = {
		0x20, 0x00, 0x00, 0x00,	/* size 32 */
		0x29,			/* Rreaddir */
		0x01, 0x00,		/* tag 1 */
		0x15, 0x00, 0x00, 0x00,	/* count 21 */
		0x80, 0x01, 0x02, 0x03, 0x04,
		0x05, 0x06, 0x07, 0x08, 0x09, 0x0a, 0x0b, 0x0c, /* qid */
		0x0d, 0x0e, 0x0f, 0x10, 0x11, 0x12, 0x13, 0x14, /* offset */
					/* the data ends where type (32) would be */
	};
	static const uint8_t in_namelen[] = {
		0x22, 0x00, 0x00, 0x00,	/* size 34 */
		0x29,			/* Rreaddir */
		0x01, 0x00,		/* tag 1 */
		0x17, 0x00, 0x00, 0x00,	/* count 23 */
		0x80, 0x01, 0x02, 0x03, 0x04,
		0x05, 0x06, 0x07, 0x08, 0x09, 0x0a, 0x0b, 0x0c, /* qid */
		0x0d, 0x0e, 0x0f, 0x10, 0x11, 0x12, 0x13, 0x14, /* offset */
		0x04,			/* type */
		0x02,			/* 1 of the name length's 2 bytes, at 33 */
	};

	(void)state;
	expect_error("cut in qid", in_qid, sizeof(in_qid), P9_ERR_DIRENT, 11);
	expect_error("cut in offset", in_offset, sizeof(in_offset), P9_ERR_DIRENT, 24);
	expect_error("cut before type", before_type, sizeof(before_type),
	    P9_ERR_DIRENT, 32);
	expect_error("cut in name length", in_namelen, sizeof(in_namelen),
	    P9_ERR_DIRENT, 33);
}

/*
 * The data cut at every length, in the first and in the second entry:
 * whole entries decode, anything else fails at the field that is cut.
 * The frame's size and count always match, so only the dirents are wrong.
 */
static void
t_cut_everywhere(void **state)
{
	static const uint8_t two[] = { ENT_AB, ENT_C };
	/* Start of the field that holds byte k of an entry: qid 0, offset 13,
	 * type 21, name length 22, name 24. */
	static const uint8_t field_at[] = {
		0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
		13, 13, 13, 13, 13, 13, 13, 13, 21, 22, 22, 24, 24,
	};
	uint8_t b[11 + sizeof(two)];
	uint32_t L;

	(void)state;
	for (L = 0; L <= sizeof(two); L++) {
		char ctx[48];
		uint32_t ent = L < 26 ? 0 : 26, k = L - ent;

		put_le32(b, 11 + L);
		b[4] = P9_RREADDIR;
		b[5] = 0x01;
		b[6] = 0x00;
		put_le32(b + 7, L);
		memcpy(b + 11, two, L);
		snprintf(ctx, sizeof(ctx), "data cut to %u", L);
		if (L == 0 || L == 26 || L == sizeof(two))
			expect_ok(ctx, b, 11 + L, L, L == 0 ? 0 : L == 26 ? 1 : 2);
		else
			expect_error(ctx, b, 11 + L, P9_ERR_DIRENT, 11 + ent + field_at[k]);
	}
}

/* A name that runs past the payload: by one byte, and with length 0xffff. */
static void
t_name_past_end(void **state)
{
	static const uint8_t by_one[] = {
		0x25, 0x00, 0x00, 0x00,	/* size 37 */
		0x29,			/* Rreaddir */
		0x01, 0x00,		/* tag 1 */
		0x1a, 0x00, 0x00, 0x00,	/* count 26 */
		0x80, 0x01, 0x02, 0x03, 0x04,
		0x05, 0x06, 0x07, 0x08, 0x09, 0x0a, 0x0b, 0x0c, /* qid */
		0x0d, 0x0e, 0x0f, 0x10, 0x11, 0x12, 0x13, 0x14, /* offset */
		0x04,			/* type */
		0x03, 0x00, 0x61, 0x62,	/* name length 3, 2 bytes left: at 35 */
	};
	static const uint8_t ffff[] = {
		0x25, 0x00, 0x00, 0x00,	/* size 37 */
		0x29,			/* Rreaddir */
		0x01, 0x00,		/* tag 1 */
		0x1a, 0x00, 0x00, 0x00,	/* count 26 */
		0x80, 0x01, 0x02, 0x03, 0x04,
		0x05, 0x06, 0x07, 0x08, 0x09, 0x0a, 0x0b, 0x0c, /* qid */
		0x0d, 0x0e, 0x0f, 0x10, 0x11, 0x12, 0x13, 0x14, /* offset */
		0x04,			/* type */
		0xff, 0xff, 0x61, 0x62,	/* name length 65535, 2 bytes left: at 35 */
	};
	static const uint8_t second[] = {
		0x3e, 0x00, 0x00, 0x00,	/* size 62 */
		0x29,			/* Rreaddir */
		0x01, 0x00,		/* tag 1 */
		0x33, 0x00, 0x00, 0x00,	/* count 51 */
		ENT_AB,			/* 11..36 */
		0x00, 0x00, 0x00, 0x00, 0x00,
		0x2a, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, /* qid */
		0x02, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, /* offset */
		0x08,			/* type */
		0x02, 0x00, 0x63,	/* name length 2, 1 byte left: at 61 */
	};
	/* The data stops one byte short of the name, but the frame goes on:
	 * the byte after the data is not the name's, it is trailing. */
	static const uint8_t short_count[] = {
		0x25, 0x00, 0x00, 0x00,	/* size 37 */
		0x29,			/* Rreaddir */
		0x01, 0x00,		/* tag 1 */
		0x19, 0x00, 0x00, 0x00,	/* count 25 */
		0x80, 0x01, 0x02, 0x03, 0x04,
		0x05, 0x06, 0x07, 0x08, 0x09, 0x0a, 0x0b, 0x0c, /* qid */
		0x0d, 0x0e, 0x0f, 0x10, 0x11, 0x12, 0x13, 0x14, /* offset */
		0x04,			/* type */
		0x02, 0x00, 0x61,	/* name length 2, 1 byte of data left: at 35 */
		0x62,			/* trailing byte 36 */
	};

	(void)state;
	expect_error("name 1 byte past", by_one, sizeof(by_one), P9_ERR_DIRENT, 35);
	expect_error("name length 0xffff", ffff, sizeof(ffff), P9_ERR_DIRENT, 35);
	expect_error("second name past", second, sizeof(second), P9_ERR_DIRENT, 61);
	expect_error("count one short", short_count, sizeof(short_count),
	    P9_ERR_DIRENT, 35);
}

/* A name holding NUL, wherever it is: P9_ERR_NUL at the name. */
static void
t_name_nul(void **state)
{
	static const uint8_t last[] = {
		0x25, 0x00, 0x00, 0x00,	/* size 37 */
		0x29,			/* Rreaddir */
		0x01, 0x00,		/* tag 1 */
		0x1a, 0x00, 0x00, 0x00,	/* count 26 */
		0x80, 0x01, 0x02, 0x03, 0x04,
		0x05, 0x06, 0x07, 0x08, 0x09, 0x0a, 0x0b, 0x0c, /* qid */
		0x0d, 0x0e, 0x0f, 0x10, 0x11, 0x12, 0x13, 0x14, /* offset */
		0x04,			/* type */
		0x02, 0x00, 0x61, 0x00,	/* name "a\0" at 33 */
	};
	static const uint8_t first[] = {
		0x25, 0x00, 0x00, 0x00,	/* size 37 */
		0x29,			/* Rreaddir */
		0x01, 0x00,		/* tag 1 */
		0x1a, 0x00, 0x00, 0x00,	/* count 26 */
		0x80, 0x01, 0x02, 0x03, 0x04,
		0x05, 0x06, 0x07, 0x08, 0x09, 0x0a, 0x0b, 0x0c, /* qid */
		0x0d, 0x0e, 0x0f, 0x10, 0x11, 0x12, 0x13, 0x14, /* offset */
		0x04,			/* type */
		0x02, 0x00, 0x00, 0x62,	/* name "\0b" at 33 */
	};
	static const uint8_t second[] = {
		0x3e, 0x00, 0x00, 0x00,	/* size 62 */
		0x29,			/* Rreaddir */
		0x01, 0x00,		/* tag 1 */
		0x33, 0x00, 0x00, 0x00,	/* count 51 */
		ENT_AB,			/* 11..36 */
		0x00, 0x00, 0x00, 0x00, 0x00,
		0x2a, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, /* qid */
		0x02, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, /* offset */
		0x08,			/* type */
		0x01, 0x00, 0x00,	/* name "\0" at 59 */
	};
	/* A bad name before a cut entry: the first fault is the one reported. */
	static const uint8_t nul_then_cut[] = {
		0x2a, 0x00, 0x00, 0x00,	/* size 42 */
		0x29,			/* Rreaddir */
		0x01, 0x00,		/* tag 1 */
		0x1f, 0x00, 0x00, 0x00,	/* count 31 */
		0x80, 0x01, 0x02, 0x03, 0x04,
		0x05, 0x06, 0x07, 0x08, 0x09, 0x0a, 0x0b, 0x0c, /* qid */
		0x0d, 0x0e, 0x0f, 0x10, 0x11, 0x12, 0x13, 0x14, /* offset */
		0x04,			/* type */
		0x02, 0x00, 0x00, 0x62,	/* name "\0b" at 33 */
		0x00, 0x00, 0x00, 0x00, 0x00, /* 5 bytes of a second qid */
	};

	(void)state;
	expect_error("NUL last", last, sizeof(last), P9_ERR_NUL, 33);
	expect_error("NUL first", first, sizeof(first), P9_ERR_NUL, 33);
	expect_error("NUL in the second entry", second, sizeof(second), P9_ERR_NUL, 59);
	expect_error("NUL, then a cut entry", nul_then_cut, sizeof(nul_then_cut),
	    P9_ERR_NUL, 33);
}

/*
 * How the dirent check sits among the frame's other checks: a count past
 * the frame fails first (the data is never walked); bad dirents come before
 * trailing bytes, in both modes; good dirents with a trailing byte are
 * P9_ERR_TRAILING strictly and fine tolerantly; Rread's data is opaque.
 */
static void
t_order(void **state)
{
	static const uint8_t count_past[] = {
		0x25, 0x00, 0x00, 0x00,	/* size 37 */
		0x29,			/* Rreaddir */
		0x01, 0x00,		/* tag 1 */
		0x1b, 0x00, 0x00, 0x00,	/* count 27, 26 bytes follow */
		ENT_AB,
	};
	static const uint8_t bad_then_trailing[] = {
		0x26, 0x00, 0x00, 0x00,	/* size 38 */
		0x29,			/* Rreaddir */
		0x01, 0x00,		/* tag 1 */
		0x1a, 0x00, 0x00, 0x00,	/* count 26 */
		0x80, 0x01, 0x02, 0x03, 0x04,
		0x05, 0x06, 0x07, 0x08, 0x09, 0x0a, 0x0b, 0x0c, /* qid */
		0x0d, 0x0e, 0x0f, 0x10, 0x11, 0x12, 0x13, 0x14, /* offset */
		0x04,			/* type */
		0x03, 0x00, 0x61, 0x62,	/* name length 3, 2 bytes of data left: at 35 */
		0x63,			/* trailing byte 37 */
	};
	static const uint8_t good_then_trailing[] = {
		0x26, 0x00, 0x00, 0x00,	/* size 38 */
		0x29,			/* Rreaddir */
		0x01, 0x00,		/* tag 1 */
		0x1a, 0x00, 0x00, 0x00,	/* count 26 */
		ENT_AB,
		0xff,			/* trailing byte 37 */
	};
	static const uint8_t rread[] = {
		0x10, 0x00, 0x00, 0x00,	/* size 16 */
		0x75,			/* Rread */
		0x01, 0x00,		/* tag 1 */
		0x05, 0x00, 0x00, 0x00,	/* count 5 */
		0x80, 0x01, 0x02, 0x03, 0x04, /* what would be a cut qid */
	};
	struct p9_msg m;
	size_t pos;
	uint8_t *g;

	(void)state;
	expect_error("count past the frame", count_past, sizeof(count_past),
	    P9_ERR_SHORT, 11);
	expect_error("bad dirent, then trailing", bad_then_trailing,
	    sizeof(bad_then_trailing), P9_ERR_DIRENT, 35);
	assert_int_equal(decode_guarded(good_then_trailing, sizeof(good_then_trailing), 0,
	    &m, &pos, NULL), P9_ERR_TRAILING);
	assert_int_equal(pos, 37);
	assert_int_equal(decode_guarded(good_then_trailing, sizeof(good_then_trailing),
	    P9_DEC_TOLERANT, &m, &pos, &g), 0);
	assert_int_equal(pos, 0);
	assert_int_equal(m.rreaddir.data.len, 26);
	assert_ptr_equal(m.rreaddir.data.ptr, g + 11);
	guarded_free(g, sizeof(good_then_trailing));
	assert_int_equal(decode_guarded(rread, sizeof(rread), 0, &m, &pos, NULL), 0);
	assert_int_equal(m.rread.data.len, 5);
}

/* Encode refuses what decode refuses, before writing a byte. */
static void
t_encode(void **state)
{
	static const uint8_t cut[] = { 0x80, 0x01, 0x02, 0x03, 0x04 };
	static const uint8_t past[] = {
		0x80, 0x01, 0x02, 0x03, 0x04,
		0x05, 0x06, 0x07, 0x08, 0x09, 0x0a, 0x0b, 0x0c,
		0x0d, 0x0e, 0x0f, 0x10, 0x11, 0x12, 0x13, 0x14,
		0x04,
		0xff, 0xff, 0x61, 0x62,	/* name length 65535 */
	};
	static const uint8_t nul[] = {
		ENT_AB,
		0x00, 0x00, 0x00, 0x00, 0x00,
		0x2a, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
		0x02, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
		0x08,
		0x01, 0x00, 0x00,	/* name "\0" */
	};
	static const uint8_t good[] = {
		0x25, 0x00, 0x00, 0x00,	/* size 37 */
		0x29,			/* Rreaddir */
		0x07, 0x00,		/* tag 7 */
		0x1a, 0x00, 0x00, 0x00,	/* count 26 */
		ENT_AB,
	};
	uint8_t out[128], before[128];
	struct p9_msg m;

	(void)state;
	memset(&m, 0, sizeof(m));
	m.type = P9_RREADDIR;
	m.tag = 7;
	memset(out, 0xa5, sizeof(out));
	memcpy(before, out, sizeof(out));
	m.rreaddir.data = (struct p9_data){ cut, sizeof(cut) };
	assert_int_equal(encode_noalloc(&m, out, sizeof(out)), P9_ERR_DIRENT);
	m.rreaddir.data = (struct p9_data){ past, sizeof(past) };
	assert_int_equal(encode_noalloc(&m, out, sizeof(out)), P9_ERR_DIRENT);
	m.rreaddir.data = (struct p9_data){ nul, sizeof(nul) };
	assert_int_equal(encode_noalloc(&m, out, sizeof(out)), P9_ERR_NUL);
	/* Even with too little room: the data is refused first. */
	assert_int_equal(encode_noalloc(&m, out, 3), P9_ERR_NUL);
	assert_memory_equal(out, before, sizeof(out));
	/* The size is not a validation. */
	assert_int_equal(p9_msg_size(&m), 11 + sizeof(nul));

	m.rreaddir.data = (struct p9_data){ ent_ab, sizeof(ent_ab) };
	assert_int_equal(encode_noalloc(&m, out, sizeof(out)), sizeof(good));
	bytes_equal("good Rreaddir", out, good, sizeof(good));
	/* The same bytes as Rread data are nobody's business. */
	memset(&m, 0, sizeof(m));
	m.type = P9_RREAD;
	m.rread.data = (struct p9_data){ nul, sizeof(nul) };
	assert_int_equal(encode_noalloc(&m, out, sizeof(out)), 11 + sizeof(nul));
}

/*
 * "Rreaddir tag=1 data=" and payload[0..len) written as \xHH each: byte k
 * of the payload is at 21 + 4k in the line, its closing quote at 21 + 4len.
 */
static size_t
rreaddir_line(char *line, size_t cap, const uint8_t *p, size_t len)
{
	size_t n = (size_t)snprintf(line, cap, "Rreaddir tag=1 data=\""), i;

	for (i = 0; i < len; i++)
		n += (size_t)snprintf(line + n, cap - n, "\\x%02x", p[i]);
	n += (size_t)snprintf(line + n, cap - n, "\"");
	return n;
}

static void
expect_parse(const char *ctx, const uint8_t *p, size_t len, int err, size_t errpos)
{
	static char line[1024];
	static uint8_t scratch[1024];
	size_t n = rreaddir_line(line, sizeof(line), p, len), pos = 12345;
	struct p9_msg m;
	int got;

	assert_true(n < sizeof(line));
	P9_NO_ALLOC_BEGIN();
	got = p9_msg_parse(line, n, &m, scratch, sizeof(scratch), &pos);
	P9_NO_ALLOC_END();
	if (got != err || pos != errpos)
		test_fail("%s: parse gave %d (%s) at %zu, want %d (%s) at %zu", ctx, got,
		    p9_strerror(got), pos, err, p9_strerror(err), errpos);
}

/*
 * Parse refuses what encode refuses, pointing into the data value: at the
 * escape of the byte the decoder names, at the NUL itself for a name (as
 * for a str), at the closing quote when the data ends between two fields.
 */
static void
t_parse(void **state)
{
	static const uint8_t two[] = { ENT_AB, ENT_C };
	static const uint8_t nul[] = {
		ENT_AB,
		0x00, 0x00, 0x00, 0x00, 0x00,
		0x2a, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
		0x02, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
		0x08,
		0x02, 0x00, 0x63, 0x00,	/* name "c\0": the NUL is payload byte 51 */
	};
	/* "ab" raw: one column per byte. Then 1 byte of a second qid. */
	static const char raw[] =
	    "Rreaddir tag=1 data=\"\\x80\\x01\\x02\\x03\\x04\\x05\\x06\\x07\\x08\\x09"
	    "\\x0a\\x0b\\x0c\\x0d\\x0e\\x0f\\x10\\x11\\x12\\x13\\x14\\x04\\x02\\x00ab"
	    "\\x00\"";
	uint8_t scratch[64];
	struct p9_msg m;
	char line[256];
	const char *mixed;
	size_t n, pos;

	(void)state;
	expect_parse("whole", two, sizeof(two), 0, 0);
	expect_parse("empty", two, 0, 0, 0);
	expect_parse("cut in qid", two, 5, P9_ERR_DIRENT, 21);
	expect_parse("cut before type", two, 21, P9_ERR_DIRENT, 21 + 4 * 21);
	expect_parse("name past end", two, 25, P9_ERR_DIRENT, 21 + 4 * 24);
	expect_parse("second entry cut", two, 30, P9_ERR_DIRENT, 21 + 4 * 26);
	expect_parse("NUL in name", nul, sizeof(nul), P9_ERR_NUL, 21 + 4 * 51);
	/* The second entry starts at payload byte 26, after 24 escapes and
	 * 2 raw bytes: at 21 + 4 * 24 + 2. Scratch is checked first. */
	assert_int_equal(p9_msg_parse(raw, strlen(raw), &m, NULL, 0, &pos),
	    P9_ERR_TXT_SCRATCH);
	assert_int_equal(pos, 20);
	assert_int_equal(p9_msg_parse(raw, strlen(raw), &m, scratch, sizeof(scratch), &pos),
	    P9_ERR_DIRENT);
	assert_int_equal(pos, 21 + 4 * 24 + 2);
	/* Raw and escaped bytes mixed: 22 raw bytes of qid, offset and type at
	 * 21..42, the name's length escaped at 43, then a name "a\0\0": the
	 * error is the first NUL of the name, at 52. A name cut short by the
	 * end fails where its bytes start (after the length field), at 51. */
	mixed = "Rreaddir tag=1 data=\"AAAAAAAAAAAAAAAAAAAAAA\\x03\\x00a\\x00\\x00\"";
	assert_int_equal(p9_msg_parse(mixed, strlen(mixed), &m, scratch, sizeof(scratch),
	    &pos), P9_ERR_NUL);
	assert_int_equal(pos, 52);
	mixed = "Rreaddir tag=1 data=\"AAAAAAAAAAAAAAAAAAAAAA\\x05\\x00ab\"";
	assert_int_equal(p9_msg_parse(mixed, strlen(mixed), &m, scratch, sizeof(scratch),
	    &pos), P9_ERR_DIRENT);
	assert_int_equal(pos, 51);
	/* A bad dirent comes before anything trailing the line. */
	n = rreaddir_line(line, sizeof(line), two, 5);
	memcpy(line + n, " x", 3);
	assert_int_equal(p9_msg_parse(line, n + 2, &m, scratch, sizeof(scratch), &pos),
	    P9_ERR_DIRENT);
	assert_int_equal(pos, 21);
}

/* Print shows a bad payload (for logs), and its line parses to the same
 * refusal the decoder gives. */
static void
t_print_bad(void **state)
{
	static const uint8_t nul[] = {
		0x00, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
		0, 0, 0, 0, 0, 0, 0, 0,
		0x08,
		0x01, 0x00, 0x00,	/* name "\0" */
	};
	char line[256];
	uint8_t scratch[256];
	struct p9_msg m, back;
	long n;
	size_t pos;

	(void)state;
	memset(&m, 0, sizeof(m));
	m.type = P9_RREADDIR;
	m.tag = 3;
	m.rreaddir.data = (struct p9_data){ nul, sizeof(nul) };
	n = p9_msg_print(&m, line, sizeof(line));
	assert_true(n > 0 && (size_t)n < sizeof(line));
	assert_int_equal(p9_msg_parse(line, (size_t)n, &back, scratch, sizeof(scratch),
	    &pos), P9_ERR_NUL);
	assert_string_equal(line + pos, "\\x00\"");
	m.rreaddir.data = (struct p9_data){ nul, 3 };
	n = p9_msg_print(&m, line, sizeof(line));
	assert_true(n > 0 && (size_t)n < sizeof(line));
	assert_int_equal(p9_msg_parse(line, (size_t)n, &back, scratch, sizeof(scratch),
	    &pos), P9_ERR_DIRENT);
	assert_int_equal(pos, strlen("Rreaddir tag=3 data=\""));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(t_empty),
		cmocka_unit_test(t_exact_end),
		cmocka_unit_test(t_cut_header),
		cmocka_unit_test(t_cut_everywhere),
		cmocka_unit_test(t_name_past_end),
		cmocka_unit_test(t_name_nul),
		cmocka_unit_test(t_order),
		cmocka_unit_test(t_encode),
		cmocka_unit_test(t_parse),
		cmocka_unit_test(t_print_bad),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
