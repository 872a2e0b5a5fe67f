/*
 * Bounded cursors over wire bytes, and the field-kind primitives that the
 * message table expands into. Private to lib9p: this is the only code that
 * indexes raw buffers.
 *
 * Read cursor: a sticky error. A read past the end sets err (first error
 * wins, with the offset where it happened) and yields zero / an empty view
 * without moving. Values that steer a loop or memory are checked inside
 * the primitive that reads them (nwname, nwqid, string and data counts), so
 * generated code never branches. Bounds are compared as lengths, never as
 * pointers (base + pos + n can overflow).
 *
 * Write cursor: the same with a capacity; running out sets P9_ERR_NOSPACE.
 * Encoders refuse what the decoder would refuse (NUL in a string, more
 * than 16 names or qids, an Rreaddir payload that is not whole dirents),
 * so whatever we encode decodes again.
 */
#ifndef P9_CURSOR_H
#define P9_CURSOR_H

#include <string.h>

#include "p9.h"

struct p9_rd {
	const uint8_t	*base;
	size_t		 len;		/* the frame's bytes */
	size_t		 pos;		/* invariant: pos <= len */
	int		 err;		/* 0 or the first P9_ERR_*; sticky */
	size_t		 err_pos;	/* where it first went wrong */
	unsigned	 flags;		/* P9_DEC_* */
};

struct p9_wr {
	uint8_t		*base;
	size_t		 cap;
	size_t		 pos;		/* invariant: pos <= cap */
	int		 err;
};

/*
 * ACSL contracts, proven with Frama-C/WP (proofs/README.md). They live in
 * comments and change nothing in the compiled code.
 *
 * A valid read cursor: the struct is writable, pos <= len, the frame's
 * bytes base[0..len) are readable, and the struct does not lie inside
 * them. A valid write cursor: likewise, base[0..cap) writable.
 * Every function keeps its cursor valid; base, len and cap never change, so
 * nothing outside [base, base + len) is read nor outside [base, base + cap)
 * written (the assigns clauses bound every write). The first error is
 * sticky: once err is set, err, err_pos and pos stay as they are.
 * p9_wr_moved is the part of p9_wr_kept about pos and err; the writers'
 * loops state only it (their loop assigns keep base and cap), so that Eva
 * can check the invariant with a capacity it knows as an interval.
 */
/*@ predicate p9_rd_ok(struct p9_rd *rd) =
	\valid(rd) && rd->pos <= rd->len &&
	\valid_read(rd->base + (0 .. rd->len - 1)) &&
	\separated(rd, rd->base + (0 .. rd->len - 1));

    predicate p9_wr_ok(struct p9_wr *wr) =
	\valid(wr) && wr->pos <= wr->cap &&
	\valid(wr->base + (0 .. wr->cap - 1)) &&
	\separated(wr, wr->base + (0 .. wr->cap - 1));

    predicate p9_rd_kept{L1, L2}(struct p9_rd *rd) =
	\at(rd->base, L1) == \at(rd->base, L2) &&
	\at(rd->len, L1) == \at(rd->len, L2) &&
	\at(rd->flags, L1) == \at(rd->flags, L2) &&
	\at(rd->pos, L1) <= \at(rd->pos, L2) &&
	(\at(rd->err, L1) != 0 ==>
	    \at(rd->err, L2) == \at(rd->err, L1) &&
	    \at(rd->err_pos, L2) == \at(rd->err_pos, L1) &&
	    \at(rd->pos, L2) == \at(rd->pos, L1));

    predicate p9_wr_moved{L1, L2}(struct p9_wr *wr) =
	\at(wr->pos, L1) <= \at(wr->pos, L2) &&
	(\at(wr->err, L1) != 0 ==>
	    \at(wr->err, L2) == \at(wr->err, L1) &&
	    \at(wr->pos, L2) == \at(wr->pos, L1));

    predicate p9_wr_kept{L1, L2}(struct p9_wr *wr) =
	\at(wr->base, L1) == \at(wr->base, L2) &&
	\at(wr->cap, L1) == \at(wr->cap, L2) &&
	p9_wr_moved{L1, L2}(wr);

    // A NUL error names a string whose length field lies at err_pos, and
    // a NUL byte after that field, inside the frame (p9_dirents_check).
    predicate p9_rd_nul(struct p9_rd *rd) =
	rd->err == P9_ERR_NUL ==> rd->err_pos + 2 <= rd->len &&
	    \exists uint8_t *z; rd->base + rd->err_pos + 2 <= z &&
		z < rd->base + rd->len && *z == 0;
*/

/*@ requires \valid(rd);
    assigns rd->err, rd->err_pos;
    ensures \old(rd->err) != 0 ==> rd->err == \old(rd->err) && rd->err_pos == \old(rd->err_pos);
    ensures \old(rd->err) == 0 ==> rd->err == err && rd->err_pos == at;
*/
static inline void
p9_rd_fail(struct p9_rd *rd, int err, size_t at)
{
	if (rd->err == 0) {
		rd->err = err;
		rd->err_pos = at;
	}
}

/* The one bounds gate for reading. */
/*@ requires p9_rd_ok(rd);
    assigns rd->pos, rd->err, rd->err_pos;
    assigns \result \from rd->base, rd->pos, rd->len, rd->err, n;
    ensures p9_rd_ok(rd) && p9_rd_kept{Pre, Post}(rd);
    ensures \result == \null || \result == rd->base + \old(rd->pos);
    behavior taken:
	assumes rd->err == 0 && n <= rd->len - rd->pos;
	ensures rd->err == 0 && rd->pos == \old(rd->pos) + n;
	ensures \result == rd->base + \old(rd->pos);
	ensures \valid_read(\result + (0 .. n - 1));
    behavior refused:
	assumes rd->err != 0 || n > rd->len - rd->pos;
	ensures \result == \null && rd->err != 0 && rd->pos == \old(rd->pos);
	ensures \old(rd->err) == 0 ==>
	    rd->err == P9_ERR_SHORT && rd->err_pos == \old(rd->pos);
    complete behaviors;
    disjoint behaviors;
*/
static inline const uint8_t *
p9_rd_take(struct p9_rd *rd, size_t n)
{
	const uint8_t *p;

	if (rd->err != 0)
		return NULL;
	if (n > rd->len - rd->pos) {
		p9_rd_fail(rd, P9_ERR_SHORT, rd->pos);
		return NULL;
	}
	p = rd->base + rd->pos;
	rd->pos += n;
	return p;
}

/*@ requires p9_rd_ok(rd) && \valid(v);
    requires \separated(v, rd, rd->base + (0 .. rd->len - 1));
    assigns rd->pos, rd->err, rd->err_pos, *v;
    ensures p9_rd_ok(rd) && p9_rd_kept{Pre, Post}(rd);
    ensures rd->err == 0 ==> rd->pos == \old(rd->pos) + 1;
    ensures \old(rd->err) == 0 ==> rd->err == 0 || rd->err == P9_ERR_SHORT;
*/
static inline void
p9_rd_u8(struct p9_rd *rd, uint8_t *v)
{
	const uint8_t *p = p9_rd_take(rd, 1);

	*v = p != NULL ? p[0] : 0;
}

/*@ requires p9_rd_ok(rd) && \valid(v);
    requires \separated(v, rd, rd->base + (0 .. rd->len - 1));
    assigns rd->pos, rd->err, rd->err_pos, *v;
    ensures p9_rd_ok(rd) && p9_rd_kept{Pre, Post}(rd);
    ensures rd->err == 0 ==> rd->pos == \old(rd->pos) + 2;
    ensures \old(rd->err) == 0 ==> rd->err == 0 || rd->err == P9_ERR_SHORT;
*/
static inline void
p9_rd_u16(struct p9_rd *rd, uint16_t *v)
{
	const uint8_t *p = p9_rd_take(rd, 2);

	*v = p != NULL ? (uint16_t)(p[0] | (unsigned)p[1] << 8) : 0;
}

/*@ requires \valid_read(p + (0 .. 3));
    assigns \nothing;
*/
static inline uint32_t
p9_le32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
	    (uint32_t)p[3] << 24;
}

/*@ requires p9_rd_ok(rd) && \valid(v);
    requires \separated(v, rd, rd->base + (0 .. rd->len - 1));
    assigns rd->pos, rd->err, rd->err_pos, *v;
    ensures p9_rd_ok(rd) && p9_rd_kept{Pre, Post}(rd);
    ensures rd->err == 0 ==> rd->pos == \old(rd->pos) + 4;
*/
static inline void
p9_rd_u32(struct p9_rd *rd, uint32_t *v)
{
	const uint8_t *p = p9_rd_take(rd, 4);

	*v = p != NULL ? p9_le32(p) : 0;
}

/*@ requires p9_rd_ok(rd) && \valid(v);
    requires \separated(v, rd, rd->base + (0 .. rd->len - 1));
    assigns rd->pos, rd->err, rd->err_pos, *v;
    ensures p9_rd_ok(rd) && p9_rd_kept{Pre, Post}(rd);
    ensures rd->err == 0 ==> rd->pos == \old(rd->pos) + 8;
    ensures \old(rd->err) == 0 ==> rd->err == 0 || rd->err == P9_ERR_SHORT;
*/
static inline void
p9_rd_u64(struct p9_rd *rd, uint64_t *v)
{
	const uint8_t *p = p9_rd_take(rd, 8);

	*v = p != NULL ? (uint64_t)p9_le32(p) | (uint64_t)p9_le32(p + 4) << 32 : 0;
}

/* Display variants: same wire form, other text form. */
/*@ requires p9_rd_ok(rd) && \valid(v);
    requires \separated(v, rd, rd->base + (0 .. rd->len - 1));
    assigns rd->pos, rd->err, rd->err_pos, *v;
    ensures p9_rd_ok(rd) && p9_rd_kept{Pre, Post}(rd);
    ensures rd->err == 0 ==> rd->pos == \old(rd->pos) + 4;
*/
static inline void p9_rd_x32(struct p9_rd *rd, uint32_t *v) { p9_rd_u32(rd, v); }
/*@ requires p9_rd_ok(rd) && \valid(v);
    requires \separated(v, rd, rd->base + (0 .. rd->len - 1));
    assigns rd->pos, rd->err, rd->err_pos, *v;
    ensures p9_rd_ok(rd) && p9_rd_kept{Pre, Post}(rd);
    ensures rd->err == 0 ==> rd->pos == \old(rd->pos) + 4;
*/
static inline void p9_rd_fid(struct p9_rd *rd, uint32_t *v) { p9_rd_u32(rd, v); }
/*@ requires p9_rd_ok(rd) && \valid(v);
    requires \separated(v, rd, rd->base + (0 .. rd->len - 1));
    assigns rd->pos, rd->err, rd->err_pos, *v;
    ensures p9_rd_ok(rd) && p9_rd_kept{Pre, Post}(rd);
    ensures rd->err == 0 ==> rd->pos == \old(rd->pos) + 8;
*/
static inline void p9_rd_x64(struct p9_rd *rd, uint64_t *v) { p9_rd_u64(rd, v); }
/*@ requires p9_rd_ok(rd) && \valid(v);
    requires \separated(v, rd, rd->base + (0 .. rd->len - 1));
    assigns rd->pos, rd->err, rd->err_pos, *v;
    ensures p9_rd_ok(rd) && p9_rd_kept{Pre, Post}(rd);
    ensures rd->err == 0 ==> rd->pos == \old(rd->pos) + 4;
*/
static inline void p9_rd_o32(struct p9_rd *rd, uint32_t *v) { p9_rd_u32(rd, v); }

/*
 * A u32 that older senders omit at the very end of the frame (Tfsync
 * datasync). Tolerant decoding ignores trailing bytes, so there fewer than
 * 4 bytes left are trailing bytes after an omitted field.
 */
/*@ requires p9_rd_ok(rd) && \valid(v);
    requires \separated(v, rd, rd->base + (0 .. rd->len - 1));
    assigns rd->pos, rd->err, rd->err_pos, *v;
    ensures p9_rd_ok(rd) && p9_rd_kept{Pre, Post}(rd);
*/
static inline void
p9_rd_opt32(struct p9_rd *rd, uint32_t *v)
{
	size_t left = rd->len - rd->pos;

	if (rd->err == 0 && (left == 0 || (left < 4 && (rd->flags & P9_DEC_TOLERANT))))
		*v = 0;
	else
		p9_rd_u32(rd, v);
}

/*@ requires p9_rd_ok(rd) && \valid(v);
    requires \separated(v, rd, rd->base + (0 .. rd->len - 1));
    assigns rd->pos, rd->err, rd->err_pos, *v;
    ensures p9_rd_ok(rd) && p9_rd_kept{Pre, Post}(rd);
    ensures \initialized(&v->ptr) && \initialized(&v->len);
    ensures rd->err == 0 ==> rd->pos == \old(rd->pos) + 2 + v->len;
    ensures \old(rd->err) == 0 ==> p9_rd_nul(rd);
*/
static inline void
p9_rd_str(struct p9_rd *rd, struct p9_str *v)
{
	size_t at = rd->pos;
	uint16_t n;
	const uint8_t *p;

	p9_rd_u16(rd, &n);
	p = p9_rd_take(rd, n);
	v->ptr = "";
	v->len = 0;
	if (p == NULL)
		return;
	if (memchr(p, 0, n) != NULL) {
		p9_rd_fail(rd, P9_ERR_NUL, at);
		return;
	}
	v->ptr = (const char *)p;
	v->len = n;
}

/*@ requires p9_rd_ok(rd) && \valid(v);
    requires \separated(v, rd, rd->base + (0 .. rd->len - 1));
    assigns rd->pos, rd->err, rd->err_pos, *v;
    ensures p9_rd_ok(rd) && p9_rd_kept{Pre, Post}(rd);
    ensures v->len == 0 || \valid_read(v->ptr + (0 .. v->len - 1));
    ensures rd->err == 0 ==> rd->pos == \old(rd->pos) + 4 + v->len &&
	v->ptr == rd->base + \old(rd->pos) + 4;
*/
static inline void
p9_rd_data(struct p9_rd *rd, struct p9_data *v)
{
	uint32_t n;
	const uint8_t *p;

	p9_rd_u32(rd, &n);
	p = p9_rd_take(rd, n);
	v->ptr = p;
	v->len = p != NULL ? n : 0;
}

/*@ requires p9_rd_ok(rd) && \valid(v);
    requires \separated(v, rd, rd->base + (0 .. rd->len - 1));
    assigns rd->pos, rd->err, rd->err_pos, *v;
    ensures p9_rd_ok(rd) && p9_rd_kept{Pre, Post}(rd);
    ensures rd->err == 0 ==> rd->pos == \old(rd->pos) + P9_QIDSZ;
    ensures \old(rd->err) == 0 ==> rd->err == 0 || rd->err == P9_ERR_SHORT;
*/
static inline void
p9_rd_qid(struct p9_rd *rd, struct p9_qid *v)
{
	const uint8_t *p = p9_rd_take(rd, P9_QIDSZ);

	if (p == NULL) {
		v->type = 0;
		v->version = 0;
		v->path = 0;
		return;
	}
	v->type = p[0];
	v->version = p9_le32(p + 1);
	v->path = (uint64_t)p9_le32(p + 5) | (uint64_t)p9_le32(p + 9) << 32;
}

/*@ requires p9_rd_ok(rd) && \valid(v);
    requires \separated(v, rd, rd->base + (0 .. rd->len - 1));
    assigns rd->pos, rd->err, rd->err_pos, *v;
    ensures p9_rd_ok(rd) && p9_rd_kept{Pre, Post}(rd);
    ensures v->n <= P9_MAXWELEM;
*/
static inline void
p9_rd_strs(struct p9_rd *rd, struct p9_strs *v)
{
	size_t at = rd->pos;
	uint16_t n, i;

	p9_rd_u16(rd, &n);
	v->n = 0;
	if (n > P9_MAXWELEM) {
		p9_rd_fail(rd, P9_ERR_NWNAME, at);
		return;
	}
	/*@ loop invariant 0 <= i <= n;
	    loop invariant p9_rd_ok(rd) && p9_rd_kept{Pre, Here}(rd);
	    loop assigns i, rd->pos, rd->err, rd->err_pos, v->s[0 .. P9_MAXWELEM - 1];
	    loop variant n - i;
	*/
	for (i = 0; i < n; i++)
		p9_rd_str(rd, &v->s[i]);
	if (rd->err == 0)
		v->n = n;
}

/*@ requires p9_rd_ok(rd) && \valid(v);
    requires \separated(v, rd, rd->base + (0 .. rd->len - 1));
    assigns rd->pos, rd->err, rd->err_pos, *v;
    ensures p9_rd_ok(rd) && p9_rd_kept{Pre, Post}(rd);
    ensures v->n <= P9_MAXWELEM;
*/
static inline void
p9_rd_qids(struct p9_rd *rd, struct p9_qids *v)
{
	size_t at = rd->pos;
	uint16_t n, i;

	p9_rd_u16(rd, &n);
	v->n = 0;
	if (n > P9_MAXWELEM) {
		p9_rd_fail(rd, P9_ERR_NWQID, at);
		return;
	}
	/*@ loop invariant 0 <= i <= n;
	    loop invariant p9_rd_ok(rd) && p9_rd_kept{Pre, Here}(rd);
	    loop assigns i, rd->pos, rd->err, rd->err_pos, v->q[0 .. P9_MAXWELEM - 1];
	    loop variant n - i;
	*/
	for (i = 0; i < n; i++)
		p9_rd_qid(rd, &v->q[i]);
	if (rd->err == 0)
		v->n = n;
}

/*
 * One dirent of an Rreaddir payload: qid[13] offset[8] type[1] name[s],
 * read with the primitives above: a field that does not fit fails with
 * P9_ERR_SHORT where it starts, a name holding NUL with P9_ERR_NUL where
 * the name (its length) starts.
 */
/*@ requires p9_rd_ok(rd) && \valid(d);
    requires \separated(d, rd, rd->base + (0 .. rd->len - 1));
    assigns rd->pos, rd->err, rd->err_pos, *d;
    ensures p9_rd_ok(rd) && p9_rd_kept{Pre, Post}(rd);
    ensures rd->err == 0 ==> rd->pos > \old(rd->pos);
    ensures \old(rd->err) == 0 ==> p9_rd_nul(rd);
*/
static inline void
p9_rd_dirent(struct p9_rd *rd, struct p9_dirent *d)
{
	p9_rd_qid(rd, &d->qid);
	p9_rd_u64(rd, &d->offset);
	p9_rd_u8(rd, &d->type);
	p9_rd_str(rd, &d->name);
}

/*
 * Check an Rreaddir payload p[0..len) in place: whole dirents, the last
 * one ending exactly at len, no NUL in a name. Returns 0, P9_ERR_DIRENT
 * for an entry that the payload's end cuts short (*at: the first byte of
 * the field that does not fit, which is len when the end falls between
 * two fields), or P9_ERR_NUL (*at: the name's length field). *at counts
 * from p, and is 0 on success. Decode, encode and parse share it, so the
 * three agree.
 */
/*@ requires \valid_read(p + (0 .. len - 1));
    requires \valid(at) && \separated(at, p + (0 .. len - 1));
    assigns *at;
    ensures \initialized(at);
    ensures \result == P9_ERR_NUL ==> *at + 2 <= len &&
	\exists uint8_t *z; p + *at + 2 <= z && z < p + len && *z == 0;
*/
static inline int
p9_dirents_check(const uint8_t *p, uint32_t len, size_t *at)
{
	struct p9_rd rd = { .base = p, .len = len };
	struct p9_dirent d;

	/*@ loop invariant p9_rd_ok(&rd) && rd.base == p && rd.len == len;
	    loop invariant rd.err == 0;
	    loop assigns rd.pos, rd.err, rd.err_pos, d;
	    loop variant rd.len - rd.pos;
	*/
	while (rd.pos < rd.len) {
		p9_rd_dirent(&rd, &d);
		if (rd.err != 0)
			break;
	}
	*at = rd.err != 0 ? rd.err_pos : 0;
	return rd.err == P9_ERR_SHORT ? P9_ERR_DIRENT : rd.err;
}

/*
 * Rreaddir's data, already taken by p9_rd_data (a view into rd's buffer):
 * check its dirents, failing at the offending byte's offset in the frame.
 */
/*@ requires p9_rd_ok(rd) && \valid_read(v);
    requires \separated(v, rd);
    requires rd->len <= PTRDIFF_MAX;
    requires rd->err != 0 || v->len == 0 ||
	(\base_addr(v->ptr) == \base_addr(rd->base) &&
	 rd->base <= v->ptr && v->ptr + v->len <= rd->base + rd->len);
    assigns rd->err, rd->err_pos;
    ensures p9_rd_ok(rd) && p9_rd_kept{Pre, Post}(rd);
*/
static inline void
p9_rd_dirents(struct p9_rd *rd, const struct p9_data *v)
{
	size_t at;
	int err;

	if (rd->err != 0 || v->len == 0)
		return;
	err = p9_dirents_check(v->ptr, v->len, &at);
	if (err != 0)
		p9_rd_fail(rd, err, (size_t)(v->ptr - rd->base) + at);
}

/* The one bounds gate for writing. */
/*@ requires p9_wr_ok(wr);
    assigns wr->pos, wr->err;
    assigns \result \from wr->base, wr->pos, wr->cap, wr->err, n;
    ensures p9_wr_ok(wr) && p9_wr_kept{Pre, Post}(wr);
    behavior placed:
	assumes wr->err == 0 && n <= wr->cap - wr->pos;
	ensures wr->err == 0 && wr->pos == \old(wr->pos) + n;
	ensures \result == wr->base + \old(wr->pos);
	ensures \valid(\result + (0 .. n - 1));
    behavior refused:
	assumes wr->err != 0 || n > wr->cap - wr->pos;
	ensures \result == \null && wr->err != 0 && wr->pos == \old(wr->pos);
	ensures \old(wr->err) == 0 ==> wr->err == P9_ERR_NOSPACE;
    complete behaviors;
    disjoint behaviors;
*/
static inline uint8_t *
p9_wr_put(struct p9_wr *wr, size_t n)
{
	uint8_t *p;

	if (wr->err != 0)
		return NULL;
	if (n > wr->cap - wr->pos) {
		wr->err = P9_ERR_NOSPACE;
		return NULL;
	}
	p = wr->base + wr->pos;
	wr->pos += n;
	return p;
}

/*@ requires \valid(p + (0 .. 3));
    assigns p[0 .. 3];
*/
static inline void
p9_put_le32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
	p[2] = (uint8_t)(v >> 16);
	p[3] = (uint8_t)(v >> 24);
}

/*@ requires p9_wr_ok(wr) && \valid_read(v);
    requires \separated(v, wr, wr->base + (0 .. wr->cap - 1));
    assigns wr->pos, wr->err, wr->base[wr->pos .. wr->cap - 1];
    ensures p9_wr_ok(wr) && p9_wr_kept{Pre, Post}(wr);
*/
static inline void
p9_wr_u8(struct p9_wr *wr, const uint8_t *v)
{
	uint8_t *p = p9_wr_put(wr, 1);

	if (p != NULL)
		p[0] = *v;
}

/*@ requires p9_wr_ok(wr) && \valid_read(v);
    requires \separated(v, wr, wr->base + (0 .. wr->cap - 1));
    assigns wr->pos, wr->err, wr->base[wr->pos .. wr->cap - 1];
    ensures p9_wr_ok(wr) && p9_wr_kept{Pre, Post}(wr);
*/
static inline void
p9_wr_u16(struct p9_wr *wr, const uint16_t *v)
{
	uint8_t *p = p9_wr_put(wr, 2);

	if (p != NULL) {
		p[0] = (uint8_t)*v;
		p[1] = (uint8_t)(*v >> 8);
	}
}

/*@ requires p9_wr_ok(wr) && \valid_read(v);
    requires \separated(v, wr, wr->base + (0 .. wr->cap - 1));
    assigns wr->pos, wr->err, wr->base[wr->pos .. wr->cap - 1];
    ensures p9_wr_ok(wr) && p9_wr_kept{Pre, Post}(wr);
*/
static inline void
p9_wr_u32(struct p9_wr *wr, const uint32_t *v)
{
	uint8_t *p = p9_wr_put(wr, 4);

	if (p != NULL)
		p9_put_le32(p, *v);
}

/*@ requires p9_wr_ok(wr) && \valid_read(v);
    requires \separated(v, wr, wr->base + (0 .. wr->cap - 1));
    assigns wr->pos, wr->err, wr->base[wr->pos .. wr->cap - 1];
    ensures p9_wr_ok(wr) && p9_wr_kept{Pre, Post}(wr);
*/
static inline void
p9_wr_u64(struct p9_wr *wr, const uint64_t *v)
{
	uint8_t *p = p9_wr_put(wr, 8);

	if (p != NULL) {
		p9_put_le32(p, (uint32_t)*v);
		p9_put_le32(p + 4, (uint32_t)(*v >> 32));
	}
}

/*@ requires p9_wr_ok(wr) && \valid_read(v);
    requires \separated(v, wr, wr->base + (0 .. wr->cap - 1));
    assigns wr->pos, wr->err, wr->base[wr->pos .. wr->cap - 1];
    ensures p9_wr_ok(wr) && p9_wr_kept{Pre, Post}(wr);
*/
static inline void p9_wr_x32(struct p9_wr *wr, const uint32_t *v) { p9_wr_u32(wr, v); }
/*@ requires p9_wr_ok(wr) && \valid_read(v);
    requires \separated(v, wr, wr->base + (0 .. wr->cap - 1));
    assigns wr->pos, wr->err, wr->base[wr->pos .. wr->cap - 1];
    ensures p9_wr_ok(wr) && p9_wr_kept{Pre, Post}(wr);
*/
static inline void p9_wr_fid(struct p9_wr *wr, const uint32_t *v) { p9_wr_u32(wr, v); }
/*@ requires p9_wr_ok(wr) && \valid_read(v);
    requires \separated(v, wr, wr->base + (0 .. wr->cap - 1));
    assigns wr->pos, wr->err, wr->base[wr->pos .. wr->cap - 1];
    ensures p9_wr_ok(wr) && p9_wr_kept{Pre, Post}(wr);
*/
static inline void p9_wr_x64(struct p9_wr *wr, const uint64_t *v) { p9_wr_u64(wr, v); }
/*@ requires p9_wr_ok(wr) && \valid_read(v);
    requires \separated(v, wr, wr->base + (0 .. wr->cap - 1));
    assigns wr->pos, wr->err, wr->base[wr->pos .. wr->cap - 1];
    ensures p9_wr_ok(wr) && p9_wr_kept{Pre, Post}(wr);
*/
static inline void p9_wr_o32(struct p9_wr *wr, const uint32_t *v) { p9_wr_u32(wr, v); }
/*@ requires p9_wr_ok(wr) && \valid_read(v);
    requires \separated(v, wr, wr->base + (0 .. wr->cap - 1));
    assigns wr->pos, wr->err, wr->base[wr->pos .. wr->cap - 1];
    ensures p9_wr_ok(wr) && p9_wr_kept{Pre, Post}(wr);
*/
static inline void p9_wr_opt32(struct p9_wr *wr, const uint32_t *v) { p9_wr_u32(wr, v); }

/*@ requires p9_wr_ok(wr);
    requires \valid_read((uint8_t *)src + (0 .. n - 1));
    requires \separated((uint8_t *)src + (0 .. n - 1), wr, wr->base + (0 .. wr->cap - 1));
    assigns wr->pos, wr->err, wr->base[wr->pos .. wr->cap - 1];
    ensures p9_wr_ok(wr) && p9_wr_kept{Pre, Post}(wr);
*/
static inline void
p9_wr_bytes(struct p9_wr *wr, const void *src, size_t n)
{
	uint8_t *p = p9_wr_put(wr, n);

	if (p != NULL && n > 0)
		memcpy(p, src, n);
}

/*@ requires p9_wr_ok(wr) && \valid_read(v);
    requires \separated(v, wr, wr->base + (0 .. wr->cap - 1));
    requires \valid_read(v->ptr + (0 .. v->len - 1));
    requires \separated(v->ptr + (0 .. v->len - 1), wr, wr->base + (0 .. wr->cap - 1));
    assigns wr->pos, wr->err, wr->base[wr->pos .. wr->cap - 1];
    ensures p9_wr_ok(wr) && p9_wr_kept{Pre, Post}(wr);
*/
static inline void
p9_wr_str(struct p9_wr *wr, const struct p9_str *v)
{
	if (wr->err == 0 && v->len > 0 && memchr(v->ptr, 0, v->len) != NULL) {
		wr->err = P9_ERR_NUL;
		return;
	}
	p9_wr_u16(wr, &v->len);
	p9_wr_bytes(wr, v->ptr, v->len);
}

/*@ requires p9_wr_ok(wr) && \valid_read(v);
    requires \separated(v, wr, wr->base + (0 .. wr->cap - 1));
    requires \valid_read(v->ptr + (0 .. v->len - 1));
    requires \separated(v->ptr + (0 .. v->len - 1), wr, wr->base + (0 .. wr->cap - 1));
    assigns wr->pos, wr->err, wr->base[wr->pos .. wr->cap - 1];
    ensures p9_wr_ok(wr) && p9_wr_kept{Pre, Post}(wr);
*/
static inline void
p9_wr_data(struct p9_wr *wr, const struct p9_data *v)
{
	p9_wr_u32(wr, &v->len);
	p9_wr_bytes(wr, v->ptr, v->len);
}

/*@ requires p9_wr_ok(wr) && \valid_read(v);
    requires \separated(v, wr, wr->base + (0 .. wr->cap - 1));
    assigns wr->pos, wr->err, wr->base[wr->pos .. wr->cap - 1];
    ensures p9_wr_ok(wr) && p9_wr_kept{Pre, Post}(wr);
*/
static inline void
p9_wr_qid(struct p9_wr *wr, const struct p9_qid *v)
{
	uint8_t *p = p9_wr_put(wr, P9_QIDSZ);

	if (p != NULL) {
		p[0] = v->type;
		p9_put_le32(p + 1, v->version);
		p9_put_le32(p + 5, (uint32_t)v->path);
		p9_put_le32(p + 9, (uint32_t)(v->path >> 32));
	}
}

/*@ requires p9_wr_ok(wr) && \valid_read(v);
    requires \separated(v, wr, wr->base + (0 .. wr->cap - 1));
    requires \forall integer i; 0 <= i < v->n && i < P9_MAXWELEM ==>
	\valid_read(v->s[i].ptr + (0 .. v->s[i].len - 1)) &&
	\separated(v->s[i].ptr + (0 .. v->s[i].len - 1), wr, wr->base + (0 .. wr->cap - 1));
    assigns wr->pos, wr->err, wr->base[wr->pos .. wr->cap - 1];
    ensures p9_wr_ok(wr) && p9_wr_kept{Pre, Post}(wr);
*/
static inline void
p9_wr_strs(struct p9_wr *wr, const struct p9_strs *v)
{
	uint16_t i;

	if (v->n > P9_MAXWELEM) {
		if (wr->err == 0)
			wr->err = P9_ERR_NWNAME;
		return;
	}
	p9_wr_u16(wr, &v->n);
	/*@ loop invariant 0 <= i <= v->n;
	    loop invariant p9_wr_ok(wr) && p9_wr_moved{Pre, Here}(wr);
	    loop assigns i, wr->pos, wr->err, wr->base[\at(wr->pos, Pre) .. wr->cap - 1];
	    loop variant v->n - i;
	*/
	for (i = 0; i < v->n; i++)
		p9_wr_str(wr, &v->s[i]);
}

/*@ requires p9_wr_ok(wr) && \valid_read(v);
    requires \separated(v, wr, wr->base + (0 .. wr->cap - 1));
    assigns wr->pos, wr->err, wr->base[wr->pos .. wr->cap - 1];
    ensures p9_wr_ok(wr) && p9_wr_kept{Pre, Post}(wr);
*/
static inline void
p9_wr_qids(struct p9_wr *wr, const struct p9_qids *v)
{
	uint16_t i;

	if (v->n > P9_MAXWELEM) {
		if (wr->err == 0)
			wr->err = P9_ERR_NWQID;
		return;
	}
	p9_wr_u16(wr, &v->n);
	/*@ loop invariant 0 <= i <= v->n;
	    loop invariant p9_wr_ok(wr) && p9_wr_moved{Pre, Here}(wr);
	    loop assigns i, wr->pos, wr->err, wr->base[\at(wr->pos, Pre) .. wr->cap - 1];
	    loop variant v->n - i;
	*/
	for (i = 0; i < v->n; i++)
		p9_wr_qid(wr, &v->q[i]);
}

/* Encoded sizes. Counts above 16 are clamped here; encode refuses them. */
/*@ requires \valid_read(v); assigns \nothing; ensures \result == 1; */
static inline size_t p9_sz_u8(const uint8_t *v) { (void)v; return 1; }
/*@ requires \valid_read(v); assigns \nothing; ensures \result == 2; */
static inline size_t p9_sz_u16(const uint16_t *v) { (void)v; return 2; }
/*@ requires \valid_read(v); assigns \nothing; ensures \result == 4; */
static inline size_t p9_sz_u32(const uint32_t *v) { (void)v; return 4; }
/*@ requires \valid_read(v); assigns \nothing; ensures \result == 8; */
static inline size_t p9_sz_u64(const uint64_t *v) { (void)v; return 8; }
/*@ requires \valid_read(v); assigns \nothing; ensures \result == 4; */
static inline size_t p9_sz_x32(const uint32_t *v) { (void)v; return 4; }
/*@ requires \valid_read(v); assigns \nothing; ensures \result == 4; */
static inline size_t p9_sz_fid(const uint32_t *v) { (void)v; return 4; }
/*@ requires \valid_read(v); assigns \nothing; ensures \result == 8; */
static inline size_t p9_sz_x64(const uint64_t *v) { (void)v; return 8; }
/*@ requires \valid_read(v); assigns \nothing; ensures \result == 4; */
static inline size_t p9_sz_o32(const uint32_t *v) { (void)v; return 4; }
/*@ requires \valid_read(v); assigns \nothing; ensures \result == 4; */
static inline size_t p9_sz_opt32(const uint32_t *v) { (void)v; return 4; }
/*@ requires \valid_read(v); assigns \nothing; ensures \result == 2 + v->len; */
static inline size_t p9_sz_str(const struct p9_str *v) { return 2 + (size_t)v->len; }
/*@ requires \valid_read(v); assigns \nothing; ensures \result == 4 + v->len; */
static inline size_t p9_sz_data(const struct p9_data *v) { return 4 + (size_t)v->len; }
/*@ requires \valid_read(v); assigns \nothing; ensures \result == P9_QIDSZ; */
static inline size_t p9_sz_qid(const struct p9_qid *v) { (void)v; return P9_QIDSZ; }

/*@ requires \valid_read(v);
    assigns \nothing;
    ensures 2 <= \result <= 2 + P9_MAXWELEM * (2 + 65535);
*/
static inline size_t
p9_sz_strs(const struct p9_strs *v)
{
	size_t n = 2;
	uint16_t i;

	/*@ loop invariant 0 <= i <= P9_MAXWELEM;
	    loop invariant 2 <= n <= 2 + i * (2 + 65535);
	    loop assigns i, n;
	    loop variant P9_MAXWELEM - i;
	*/
	for (i = 0; i < v->n && i < P9_MAXWELEM; i++)
		n += p9_sz_str(&v->s[i]);
	return n;
}

/*@ requires \valid_read(v);
    assigns \nothing;
    ensures 2 <= \result <= 2 + P9_MAXWELEM * P9_QIDSZ;
*/
static inline size_t
p9_sz_qids(const struct p9_qids *v)
{
	return 2 + (size_t)P9_QIDSZ * (v->n < P9_MAXWELEM ? v->n : P9_MAXWELEM);
}

#endif /* P9_CURSOR_H */
