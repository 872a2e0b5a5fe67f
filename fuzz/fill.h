/*
 * Structure-aware message building: turn input bytes into a well-formed
 * struct p9_msg of a given type, field by field, from the table
 * (p9_msgs.def), so that the client and server harnesses (and gen_seeds)
 * produce frames that pass decoding and reach the code behind it.
 *
 * Each field takes one selector byte (more for raw values):
 * - fid fields (fid, dfid, newfid, afid, olddirfid, newdirfid, dirfid):
 *   one of a small set of fids (0..nfids-1), 0xff NOFID, 0xfe a raw u32;
 * - other integers: < 0x40 an interesting value, < 0x80 a small number,
 *   otherwise raw bytes of the field's width;
 * - str: < 0xc0 a name of the caller's set, otherwise raw bytes (length
 *   from the next byte, up to 63);
 * - data: length from the next byte (0xff: two bytes), then raw bytes
 *   (Rreaddir's too: p9_msg_encode refuses a built Rreaddir unless they
 *   happen to be whole dirents, so raw frames are what reach the
 *   decoder's refusal);
 * - strs/qids: 0..4 items (0xff: 16).
 * Past the end of the input every byte reads as 0.
 */
#ifndef FUZZ_FILL_H
#define FUZZ_FILL_H

#include <stdint.h>
#include <string.h>

#include "p9.h"

struct fz_src {
	const uint8_t	*p;
	size_t		 n, pos;
};

struct fz_fill {
	const char *const *names;	/* str fields pick from these */
	unsigned	 nnames;
	uint32_t	 nfids;		/* fid fields pick 0..nfids-1 */
};

__attribute__((unused))
static uint8_t
fz_u8(struct fz_src *s)
{
	return s->pos < s->n ? s->p[s->pos++] : 0;
}

__attribute__((unused))
static uint64_t
fz_raw(struct fz_src *s, unsigned bytes)
{
	uint64_t v = 0;
	unsigned i;

	for (i = 0; i < bytes; i++)
		v |= (uint64_t)fz_u8(s) << (8 * i);
	return v;
}

/* Up to want bytes of the input as a view; *got is how many. */
__attribute__((unused))
static const uint8_t *
fz_take(struct fz_src *s, size_t want, size_t *got)
{
	size_t left = s->n - s->pos;
	const uint8_t *p = s->p + s->pos;

	*got = want < left ? want : left;
	s->pos += *got;
	return p;
}

static const uint64_t fz_interesting[] = {
	0, 1, 2, 3, 4, 7, 8, 16, 24, 100, 255, 256, 4095, 4096, 8168, 8192,
	65535, 65536, 0x7fffffff, 0x80000000u, 0xfffffffeu, 0xffffffffu,
	0xffffffffffffffffull, 0x8000000000000000ull, 0x7fffffffffffffffull,
	0x3fff, 0x7ff, 0x1ff, 0644, 0755, 0777, 01777,
	0100644, 040755, 0120777, 010644, 020644, 060644, 0140777, 04755,
	0x8000, 0x8002, 0x8001, 0x241, 0x242, 0xc1, 0x200, 0x400,
	0x10000, 0x20000, 0x100000, 0x1000, 0x800, 0x100, 0x40, 0x80,
	65534, 1000, 0x10, 0x18, 0x3f, 0x1e7, 0x1800000, 5,
};

__attribute__((unused))
static uint64_t
fz_int(struct fz_src *s, unsigned bytes)
{
	uint8_t b = fz_u8(s);
	uint64_t mask = bytes >= 8 ? ~0ull : (1ull << (8 * bytes)) - 1;

	if (b < 0x40)
		return fz_interesting[b % (sizeof(fz_interesting) / sizeof(fz_interesting[0]))] & mask;
	if (b < 0x80)
		return (uint64_t)(b - 0x40) & mask;
	return fz_raw(s, bytes);
}

static void
fz_str(struct fz_src *s, const struct fz_fill *f, struct p9_str *out)
{
	uint8_t b = fz_u8(s);

	if (b < 0xc0 && f->nnames > 0) {
		const char *n = f->names[b % f->nnames];

		out->ptr = n;
		out->len = (uint16_t)strlen(n);
	} else {
		size_t got;

		out->ptr = (const char *)fz_take(s, fz_u8(s) % 64, &got);
		out->len = (uint16_t)got;
	}
}

#define FZ_FILL_INT(kind, T, bytes) \
	__attribute__((unused)) static void \
	fz_fill_##kind(struct fz_src *s, const struct fz_fill *f, const char *name, T *v) \
	{ \
		(void)f; (void)name; \
		*v = (T)fz_int(s, bytes); \
	}
FZ_FILL_INT(u8, uint8_t, 1)
FZ_FILL_INT(u16, uint16_t, 2)
FZ_FILL_INT(u64, uint64_t, 8)
FZ_FILL_INT(x32, uint32_t, 4)
FZ_FILL_INT(x64, uint64_t, 8)
FZ_FILL_INT(o32, uint32_t, 4)
FZ_FILL_INT(opt32, uint32_t, 4)
#undef FZ_FILL_INT

/* A fid field (kind fid in p9_msgs.def): mostly one of the fids the
 * harness made, sometimes NOFID or any value. */
__attribute__((unused))
static void
fz_fill_fid(struct fz_src *s, const struct fz_fill *f, const char *name, uint32_t *v)
{
	uint8_t b;

	(void)name;
	if (f->nfids == 0) {
		*v = (uint32_t)fz_int(s, 4);
		return;
	}
	b = fz_u8(s);
	if (b == 0xff)
		*v = P9_NOFID;
	else if (b == 0xfe)
		*v = (uint32_t)fz_raw(s, 4);
	else
		*v = b % f->nfids;
}

__attribute__((unused))
static void
fz_fill_u32(struct fz_src *s, const struct fz_fill *f, const char *name, uint32_t *v)
{
	(void)f; (void)name;
	*v = (uint32_t)fz_int(s, 4);
}

__attribute__((unused))
static void
fz_fill_str(struct fz_src *s, const struct fz_fill *f, const char *name, struct p9_str *v)
{
	(void)name;
	fz_str(s, f, v);
}

__attribute__((unused))
static void
fz_fill_qid(struct fz_src *s, const struct fz_fill *f, const char *name, struct p9_qid *v)
{
	(void)f; (void)name;
	v->type = (uint8_t)fz_int(s, 1);
	v->version = (uint32_t)fz_int(s, 4);
	v->path = fz_int(s, 8);
}

__attribute__((unused))
static void
fz_fill_data(struct fz_src *s, const struct fz_fill *f, const char *name, struct p9_data *v)
{
	uint8_t b = fz_u8(s);
	size_t want = b == 0xff ? (size_t)fz_raw(s, 2) : b, got;

	(void)f; (void)name;
	v->ptr = fz_take(s, want, &got);
	v->len = (uint32_t)got;
}

__attribute__((unused))
static void
fz_fill_strs(struct fz_src *s, const struct fz_fill *f, const char *name, struct p9_strs *v)
{
	uint8_t b = fz_u8(s);
	unsigned i;

	(void)name;
	v->n = b == 0xff ? P9_MAXWELEM : b % 5;
	for (i = 0; i < v->n; i++)
		fz_str(s, f, &v->s[i]);
}

__attribute__((unused))
static void
fz_fill_qids(struct fz_src *s, const struct fz_fill *f, const char *name, struct p9_qids *v)
{
	uint8_t b = fz_u8(s);
	unsigned i;

	v->n = b == 0xff ? P9_MAXWELEM : b % 5;
	for (i = 0; i < v->n; i++)
		fz_fill_qid(s, f, name, &v->q[i]);
}

/* Fill *m as a message of `type` (which must be in the table). */
__attribute__((unused))
static void
fz_fill_msg(struct p9_msg *m, uint8_t type, struct fz_src *s, const struct fz_fill *f)
{
	memset(m, 0, sizeof(*m));
	m->type = type;
	switch (type) {
#define F(kind, name)	fz_fill_##kind(s, f, #name, &x->name);
#define P9_PAIR(UP, lo, num, tf, rf) \
	case P9_T##UP: { struct p9_t##lo *x = &m->t##lo; (void)x; tf } break; \
	case P9_R##UP: { struct p9_r##lo *x = &m->r##lo; (void)x; rf } break;
#define P9_RONLY(UP, lo, num, rf) \
	case P9_R##UP: { struct p9_r##lo *x = &m->r##lo; (void)x; rf } break;
#include "p9_msgs.def"
#undef P9_PAIR
#undef P9_RONLY
#undef F
	default:
		break;
	}
}

/* Every T type of the table, in table order (fz_ntypes of them). */
__attribute__((unused)) static const uint8_t fz_ttypes[] = {
#define P9_PAIR(UP, lo, num, tf, rf)	P9_T##UP,
#define P9_RONLY(UP, lo, num, rf)
#include "p9_msgs.def"
#undef P9_PAIR
#undef P9_RONLY
};
#define FZ_NTTYPES	(sizeof(fz_ttypes) / sizeof(fz_ttypes[0]))

/* Every R type (Rlerror included). */
__attribute__((unused)) static const uint8_t fz_rtypes[] = {
#define P9_PAIR(UP, lo, num, tf, rf)	P9_R##UP,
#define P9_RONLY(UP, lo, num, rf)	P9_R##UP,
#include "p9_msgs.def"
#undef P9_PAIR
#undef P9_RONLY
};
#define FZ_NRTYPES	(sizeof(fz_rtypes) / sizeof(fz_rtypes[0]))

#endif /* FUZZ_FILL_H */
