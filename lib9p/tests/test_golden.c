/*
 * Golden bytes for every message of p9_msgs.def (golden.h), checked both
 * ways: decode(bytes) gives the hand-filled message field by field, and
 * encode(message) gives the bytes. Every decode reads from a guard-page
 * copy and runs inside a no-allocation region; every decoded view must
 * point into the input. Each vector is also cut short at every length,
 * given one trailing byte, and encoded into every too-small capacity.
 */
#include <inttypes.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "p9.h"
#include "testutil.h"
#include "golden.h"

#define MAXVEC	256	/* larger than every golden vector */

/* ---- field comparison, one function per field kind ---- */

static void
cmp_num(const char *ctx, const char *field, uint64_t got, uint64_t want)
{
	if (got != want)
		test_fail("%s: %s is 0x%" PRIx64 ", want 0x%" PRIx64, ctx, field, got, want);
}

#define cmp_u8(c, f, a, e)	cmp_num((c), (f), *(a), *(e))
#define cmp_u16(c, f, a, e)	cmp_num((c), (f), *(a), *(e))
#define cmp_u32(c, f, a, e)	cmp_num((c), (f), *(a), *(e))
#define cmp_u64(c, f, a, e)	cmp_num((c), (f), *(a), *(e))
#define cmp_x32(c, f, a, e)	cmp_num((c), (f), *(a), *(e))
#define cmp_fid(c, f, a, e)	cmp_num((c), (f), *(a), *(e))
#define cmp_x64(c, f, a, e)	cmp_num((c), (f), *(a), *(e))
#define cmp_o32(c, f, a, e)	cmp_num((c), (f), *(a), *(e))
#define cmp_opt32(c, f, a, e)	cmp_num((c), (f), *(a), *(e))

static void
cmp_str(const char *ctx, const char *field, const struct p9_str *got,
    const struct p9_str *want)
{
	if (got->len != want->len)
		test_fail("%s: %s has length %u, want %u", ctx, field, got->len, want->len);
	if (got->len > 0 && memcmp(got->ptr, want->ptr, got->len) != 0)
		test_fail("%s: %s is \"%.*s\", want \"%.*s\"", ctx, field, (int)got->len,
		    got->ptr, (int)want->len, want->ptr);
}

static void
cmp_data(const char *ctx, const char *field, const struct p9_data *got,
    const struct p9_data *want)
{
	if (got->len != want->len)
		test_fail("%s: %s has length %" PRIu32 ", want %" PRIu32, ctx, field,
		    got->len, want->len);
	if (got->len > 0)
		bytes_equal(ctx, got->ptr, want->ptr, got->len);
}

static void
cmp_qid(const char *ctx, const char *field, const struct p9_qid *got,
    const struct p9_qid *want)
{
	cmp_num(ctx, field, got->type, want->type);
	cmp_num(ctx, field, got->version, want->version);
	cmp_num(ctx, field, got->path, want->path);
}

static void
cmp_strs(const char *ctx, const char *field, const struct p9_strs *got,
    const struct p9_strs *want)
{
	uint16_t i;

	cmp_num(ctx, field, got->n, want->n);
	for (i = 0; i < got->n; i++)
		cmp_str(ctx, field, &got->s[i], &want->s[i]);
}

static void
cmp_qids(const char *ctx, const char *field, const struct p9_qids *got,
    const struct p9_qids *want)
{
	uint16_t i;

	cmp_num(ctx, field, got->n, want->n);
	for (i = 0; i < got->n; i++)
		cmp_qid(ctx, field, &got->q[i], &want->q[i]);
}

#define F(kind, name)	cmp_##kind(ctx, #name, &got->name, &want->name);
#define P9_PAIR(UP, lo, num, tf, rf) \
	static void cmp_t##lo(const char *ctx, const struct p9_t##lo *got, \
	    const struct p9_t##lo *want) { (void)ctx; (void)got; (void)want; tf } \
	static void cmp_r##lo(const char *ctx, const struct p9_r##lo *got, \
	    const struct p9_r##lo *want) { (void)ctx; (void)got; (void)want; rf }
#define P9_RONLY(UP, lo, num, rf) \
	static void cmp_r##lo(const char *ctx, const struct p9_r##lo *got, \
	    const struct p9_r##lo *want) { (void)ctx; (void)got; (void)want; rf }
#include "p9_msgs.def"
#undef P9_PAIR
#undef P9_RONLY
#undef F

/* Every field of got equals want's (views by content). */
static void
cmp_msg(const char *ctx, const struct p9_msg *got, const struct p9_msg *want)
{
	cmp_num(ctx, "type", got->type, want->type);
	cmp_num(ctx, "tag", got->tag, want->tag);
	switch (want->type) {
#define P9_PAIR(UP, lo, num, tf, rf) \
	case P9_T##UP: cmp_t##lo(ctx, &got->t##lo, &want->t##lo); break; \
	case P9_R##UP: cmp_r##lo(ctx, &got->r##lo, &want->r##lo); break;
#define P9_RONLY(UP, lo, num, rf) \
	case P9_R##UP: cmp_r##lo(ctx, &got->r##lo, &want->r##lo); break;
#include "p9_msgs.def"
#undef P9_PAIR
#undef P9_RONLY
	default:
		test_fail("%s: type %d is not in the table", ctx, want->type);
	}
}

/* ---- zero copy: every non-empty view points into [buf, buf + len) ---- */

static void
view_in(const char *ctx, const char *field, const void *ptr, size_t n,
    const uint8_t *buf, size_t len)
{
	uintptr_t p = (uintptr_t)ptr, b = (uintptr_t)buf;

	if (n == 0)
		return;
	if (p < b || p - b > len || n > len - (p - b))
		test_fail("%s: %s (%zu bytes) does not point into the input", ctx, field, n);
}

#define view_u8(c, f, v, b, l)		((void)0)
#define view_u16(c, f, v, b, l)		((void)0)
#define view_u32(c, f, v, b, l)		((void)0)
#define view_u64(c, f, v, b, l)		((void)0)
#define view_x32(c, f, v, b, l)		((void)0)
#define view_fid(c, f, v, b, l)		((void)0)
#define view_x64(c, f, v, b, l)		((void)0)
#define view_o32(c, f, v, b, l)		((void)0)
#define view_opt32(c, f, v, b, l)	((void)0)
#define view_qid(c, f, v, b, l)		((void)0)
#define view_qids(c, f, v, b, l)	((void)0)
#define view_str(c, f, v, b, l)		view_in((c), (f), (v)->ptr, (v)->len, (b), (l))
#define view_data(c, f, v, b, l)	view_in((c), (f), (v)->ptr, (v)->len, (b), (l))

static void
view_strs(const char *ctx, const char *field, const struct p9_strs *v,
    const uint8_t *buf, size_t len)
{
	uint16_t i;

	for (i = 0; i < v->n && i < P9_MAXWELEM; i++)
		view_in(ctx, field, v->s[i].ptr, v->s[i].len, buf, len);
}

#define F(kind, name)	view_##kind(ctx, #name, &got->name, buf, len);
#define P9_PAIR(UP, lo, num, tf, rf) \
	static void views_t##lo(const char *ctx, const struct p9_t##lo *got, \
	    const uint8_t *buf, size_t len) { (void)ctx; (void)got; (void)buf; (void)len; tf } \
	static void views_r##lo(const char *ctx, const struct p9_r##lo *got, \
	    const uint8_t *buf, size_t len) { (void)ctx; (void)got; (void)buf; (void)len; rf }
#define P9_RONLY(UP, lo, num, rf) \
	static void views_r##lo(const char *ctx, const struct p9_r##lo *got, \
	    const uint8_t *buf, size_t len) { (void)ctx; (void)got; (void)buf; (void)len; rf }
#include "p9_msgs.def"
#undef P9_PAIR
#undef P9_RONLY
#undef F

static void
views_inside(const char *ctx, const struct p9_msg *got, const uint8_t *buf, size_t len)
{
	switch (got->type) {
#define P9_PAIR(UP, lo, num, tf, rf) \
	case P9_T##UP: views_t##lo(ctx, &got->t##lo, buf, len); break; \
	case P9_R##UP: views_r##lo(ctx, &got->r##lo, buf, len); break;
#define P9_RONLY(UP, lo, num, rf) \
	case P9_R##UP: views_r##lo(ctx, &got->r##lo, buf, len); break;
#include "p9_msgs.def"
#undef P9_PAIR
#undef P9_RONLY
	default:
		test_fail("%s: decoded type %d is not in the table", ctx, got->type);
	}
}

/* ---- helpers ---- */

/* Every type of the table, enumerated from p9_msgs.def. */
static const int table_types[] = {
#define P9_PAIR(UP, lo, num, tf, rf)	P9_T##UP, P9_R##UP,
#define P9_RONLY(UP, lo, num, rf)	P9_R##UP,
#include "p9_msgs.def"
#undef P9_PAIR
#undef P9_RONLY
};
#define NTYPES	(sizeof(table_types) / sizeof(table_types[0]))

/* ---- tests ---- */

/* The vectors cover exactly the types of the table: a new row needs a vector. */
static void
t_types_covered(void **state)
{
	size_t i, j;

	(void)state;
	assert_int_equal(NTYPES, 57);
	for (i = 0; i < NTYPES; i++) {
		int n = 0;

		for (j = 0; j < NGOLDEN; j++)
			n += golden[j].m.type == table_types[i];
		if (n == 0)
			test_fail("type %d (%s) has no golden vector", table_types[i],
			    p9_type_name(table_types[i]));
	}
	for (j = 0; j < NGOLDEN; j++) {
		int found = 0;

		for (i = 0; i < NTYPES; i++)
			found |= golden[j].m.type == table_types[i];
		if (!found)
			test_fail("%s: type %d is not in the table", golden[j].name,
			    golden[j].m.type);
		/* The type byte of the vector is its message's type. */
		cmp_num(golden[j].name, "type byte", golden[j].bytes[4], golden[j].m.type);
		assert_true(golden[j].len <= MAXVEC);
	}
}

static void
t_decode(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < NGOLDEN; i++) {
		const struct golden *g = &golden[i];
		struct p9_msg m;
		size_t errpos;
		uint8_t *buf;
		int err;

		memset(&m, 0xa5, sizeof(m));
		err = decode_guarded(g->bytes, g->len, 0, &m, &errpos, &buf);
		if (err != 0)
			test_fail("%s: decode: %s at %zu", g->name, p9_strerror(err), errpos);
		cmp_num(g->name, "errpos", errpos, 0);
		cmp_msg(g->name, &m, &g->m);
		views_inside(g->name, &m, buf, g->len);

		/* The plain entry point agrees. */
		memset(&m, 0x5a, sizeof(m));
		P9_NO_ALLOC_BEGIN();
		err = p9_msg_decode(buf, g->len, &m);
		P9_NO_ALLOC_END();
		assert_int_equal(err, 0);
		cmp_msg(g->name, &m, &g->m);
		views_inside(g->name, &m, buf, g->len);
		guarded_free(buf, g->len);
	}
}

static void
t_encode(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < NGOLDEN; i++) {
		const struct golden *g = &golden[i];
		uint8_t out[MAXVEC + 16];
		long n;

		if (g->flags & GOLDEN_DECODE_ONLY)
			continue;
		cmp_num(g->name, "p9_msg_size", p9_msg_size(&g->m), g->len);

		memset(out, 0xa5, sizeof(out));
		n = encode_noalloc(&g->m, out, sizeof(out));
		if (n < 0)
			test_fail("%s: encode: %s", g->name, p9_strerror((int)n));
		cmp_num(g->name, "encoded length", (uint64_t)n, g->len);
		bytes_equal(g->name, out, g->bytes, g->len);
		for (size_t k = g->len; k < sizeof(out); k++)
			cmp_num(g->name, "byte past the frame", out[k], 0xa5);

		/* A capacity of exactly the frame's length is enough. */
		memset(out, 0, sizeof(out));
		n = encode_noalloc(&g->m, out, g->len);
		cmp_num(g->name, "encoded length (exact cap)", (uint64_t)n, g->len);
		bytes_equal(g->name, out, g->bytes, g->len);
	}
}

/* Tfsync without datasync decodes with 0 and re-encodes in the 15-byte form. */
static void
t_fsync_legacy_reencode(void **state)
{
	static const uint8_t want[] = {
		0x0f, 0x00, 0x00, 0x00,	/* size 15 */
		0x32,			/* type 50 Tfsync */
		0x1a, 0x1b,		/* tag 0x1b1a */
		0x2c, 0x2d, 0x2e, 0x2f,	/* fid 0x2f2e2d2c */
		0x00, 0x00, 0x00, 0x00,	/* datasync 0 */
	};
	uint8_t out[32];
	size_t i;
	int seen = 0;

	(void)state;
	for (i = 0; i < NGOLDEN; i++) {
		const struct golden *g = &golden[i];
		long n;

		if (!(g->flags & GOLDEN_DECODE_ONLY))
			continue;
		seen++;
		assert_int_equal(g->m.type, P9_TFSYNC);
		assert_int_equal(g->len, 11);
		assert_int_equal(p9_msg_size(&g->m), sizeof(want));
		n = encode_noalloc(&g->m, out, sizeof(out));
		assert_int_equal(n, sizeof(want));
		bytes_equal(g->name, out, want, sizeof(want));
	}
	assert_int_equal(seen, 1);
}

/*
 * Cut at every length with the size field rewritten to match: the header
 * itself is short below 4, undersized below 7, then a field is short.
 */
static void
t_truncate(void **state)
{
	size_t i, L;

	(void)state;
	for (i = 0; i < NGOLDEN; i++) {
		const struct golden *g = &golden[i];
		size_t last_errpos = 0;

		for (L = 0; L < g->len; L++) {
			uint8_t tmp[MAXVEC];
			char ctx[80];
			struct p9_msg m;
			size_t errpos;
			int err;

			snprintf(ctx, sizeof(ctx), "%s cut to %zu", g->name, L);
			memcpy(tmp, g->bytes, L);
			if (L >= 4)
				put_le32(tmp, (uint32_t)L);
			err = decode_guarded(tmp, L, 0, &m, &errpos, NULL);
			if (g->m.type == P9_TFSYNC && g->len == 15 && L == 11) {
				/* The legacy form: datasync absent reads as 0. */
				cmp_num(ctx, "err", (uint64_t)-err, 0);
				cmp_num(ctx, "fid", m.tfsync.fid, g->m.tfsync.fid);
				cmp_num(ctx, "datasync", m.tfsync.datasync, 0);
				continue;
			}
			if (L < 4) {
				cmp_num(ctx, "err", (uint64_t)-err, (uint64_t)-P9_ERR_SHORT);
				cmp_num(ctx, "errpos", errpos, 0);
			} else if (L < 7) {
				cmp_num(ctx, "err", (uint64_t)-err, (uint64_t)-P9_ERR_UNDERSIZE);
				cmp_num(ctx, "errpos", errpos, 0);
			} else {
				cmp_num(ctx, "err", (uint64_t)-err, (uint64_t)-P9_ERR_SHORT);
				/* The failing field starts after the header, inside the cut. */
				if (errpos < 7 || errpos > L || errpos < last_errpos)
					test_fail("%s: errpos %zu (previous %zu)", ctx, errpos,
					    last_errpos);
				last_errpos = errpos;
			}
		}
	}
}

/* Cut at every length, size field left alone (it claims more than we have). */
static void
t_truncate_keep_size(void **state)
{
	size_t i, L;

	(void)state;
	for (i = 0; i < NGOLDEN; i++) {
		const struct golden *g = &golden[i];

		for (L = 0; L < g->len; L++) {
			char ctx[80];
			struct p9_msg m;
			size_t errpos;
			int err;

			snprintf(ctx, sizeof(ctx), "%s cut to %zu, size kept", g->name, L);
			err = decode_guarded(g->bytes, L, 0, &m, &errpos, NULL);
			/*
			 * Below 4 the size field itself is cut; from 4 on the
			 * size field is complete and differs from the length
			 * (for 4..6 too: the size, not the cut, is >= 7).
			 */
			cmp_num(ctx, "err", (uint64_t)-err,
			    (uint64_t)-(L < 4 ? P9_ERR_SHORT : P9_ERR_SIZE));
			cmp_num(ctx, "errpos", errpos, 0);
		}
	}
}

/* One byte too many: strict decode refuses it, tolerant decode ignores it. */
static void
t_trailing(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < NGOLDEN; i++) {
		const struct golden *g = &golden[i];
		uint8_t tmp[MAXVEC + 1];
		size_t n = g->len + 1;
		struct p9_msg m;
		size_t errpos;
		uint8_t *buf;
		int err;

		memcpy(tmp, g->bytes, g->len);
		tmp[g->len] = 0;
		put_le32(tmp, (uint32_t)n);

		if (g->flags & GOLDEN_DECODE_ONLY) {
			/*
			 * Legacy Tfsync plus one byte is, strictly, a 12-byte
			 * Tfsync whose datasync is cut short; tolerant decoding
			 * reads it as the legacy form plus one trailing byte.
			 */
			err = decode_guarded(tmp, n, 0, &m, &errpos, NULL);
			cmp_num(g->name, "err", (uint64_t)-err, (uint64_t)-P9_ERR_SHORT);
			cmp_num(g->name, "errpos", errpos, g->len);
			err = decode_guarded(tmp, n, P9_DEC_TOLERANT, &m, &errpos, &buf);
			cmp_num(g->name, "err (tolerant)", (uint64_t)-err, 0);
			cmp_msg(g->name, &m, &g->m);
			guarded_free(buf, n);
			continue;
		}

		err = decode_guarded(tmp, n, 0, &m, &errpos, NULL);
		cmp_num(g->name, "err", (uint64_t)-err, (uint64_t)-P9_ERR_TRAILING);
		cmp_num(g->name, "errpos", errpos, g->len);

		memset(&m, 0xa5, sizeof(m));
		err = decode_guarded(tmp, n, P9_DEC_TOLERANT, &m, &errpos, &buf);
		if (err != 0)
			test_fail("%s: tolerant decode: %s", g->name, p9_strerror(err));
		cmp_num(g->name, "errpos", errpos, 0);
		cmp_msg(g->name, &m, &g->m);
		views_inside(g->name, &m, buf, n);
		guarded_free(buf, n);
	}
}

/* Encoding into any capacity below the frame's length fails and stays inside cap. */
static void
t_encode_nospace(void **state)
{
	static const uint8_t canaries[] = { 0xa5, 0x5a };
	size_t i, cap, c, k;

	(void)state;
	for (i = 0; i < NGOLDEN; i++) {
		const struct golden *g = &golden[i];
		size_t len = p9_msg_size(&g->m);

		for (cap = 0; cap < len; cap++) {
			for (c = 0; c < sizeof(canaries); c++) {
				uint8_t out[MAXVEC + 16];
				char ctx[80];
				long n;

				snprintf(ctx, sizeof(ctx), "%s into %zu bytes", g->name, cap);
				memset(out, canaries[c], sizeof(out));
				n = encode_noalloc(&g->m, out, cap);
				cmp_num(ctx, "result", (uint64_t)-n, (uint64_t)-P9_ERR_NOSPACE);
				for (k = cap; k < sizeof(out); k++)
					cmp_num(ctx, "byte past cap", out[k], canaries[c]);
			}
		}
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(t_types_covered),
		cmocka_unit_test(t_decode),
		cmocka_unit_test(t_encode),
		cmocka_unit_test(t_fsync_legacy_reencode),
		cmocka_unit_test(t_truncate),
		cmocka_unit_test(t_truncate_keep_size),
		cmocka_unit_test(t_trailing),
		cmocka_unit_test(t_encode_nospace),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
