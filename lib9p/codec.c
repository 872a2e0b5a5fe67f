/*
 * Decode, encode, size and names of every message, expanded from
 * p9_msgs.def. Nothing here knows a layout; the table does.
 */
#include "p9_cursor.h"

/* Per-message body decoders, encoders and sizers. */
#define F(kind, name)	p9_rd_##kind(rd, &m->name);
#define P9_PAIR(UP, lo, num, tf, rf) \
	static void dec_t##lo(struct p9_rd *rd, struct p9_t##lo *m) { (void)rd; (void)m; tf } \
	static void dec_r##lo(struct p9_rd *rd, struct p9_r##lo *m) { (void)rd; (void)m; rf }
#define P9_RONLY(UP, lo, num, rf) \
	static void dec_r##lo(struct p9_rd *rd, struct p9_r##lo *m) { (void)rd; (void)m; rf }
#include "p9_msgs.def"
#undef P9_PAIR
#undef P9_RONLY
#undef F

#define F(kind, name)	p9_wr_##kind(wr, &m->name);
#define P9_PAIR(UP, lo, num, tf, rf) \
	static void enc_t##lo(struct p9_wr *wr, const struct p9_t##lo *m) { (void)wr; (void)m; tf } \
	static void enc_r##lo(struct p9_wr *wr, const struct p9_r##lo *m) { (void)wr; (void)m; rf }
#define P9_RONLY(UP, lo, num, rf) \
	static void enc_r##lo(struct p9_wr *wr, const struct p9_r##lo *m) { (void)wr; (void)m; rf }
#include "p9_msgs.def"
#undef P9_PAIR
#undef P9_RONLY
#undef F

#define F(kind, name)	+ p9_sz_##kind(&m->name)
#define P9_PAIR(UP, lo, num, tf, rf) \
	static size_t sz_t##lo(const struct p9_t##lo *m) { (void)m; return P9_HDRSZ tf; } \
	static size_t sz_r##lo(const struct p9_r##lo *m) { (void)m; return P9_HDRSZ rf; }
#define P9_RONLY(UP, lo, num, rf) \
	static size_t sz_r##lo(const struct p9_r##lo *m) { (void)m; return P9_HDRSZ rf; }
#include "p9_msgs.def"
#undef P9_PAIR
#undef P9_RONLY
#undef F

static const char *const type_names[256] = {
#define P9_PAIR(UP, lo, num, tf, rf)	[(num)] = "T" #lo, [(num) + 1] = "R" #lo,
#define P9_RONLY(UP, lo, num, rf)	[(num)] = "R" #lo,
#include "p9_msgs.def"
#undef P9_PAIR
#undef P9_RONLY
};

const char *
p9_type_name(int type)
{
	if (type < 0 || type > 255)
		return NULL;
	return type_names[type];
}

int
p9_type_from_name(const char *name, size_t len)
{
	int t;

	for (t = 0; t < 256; t++) {
		const char *n = type_names[t];

		if (n != NULL && strlen(n) == len && memcmp(n, name, len) == 0)
			return t;
	}
	return -1;
}

/* Returns 0 or P9_ERR_TYPE. */
static int
dec_body(struct p9_rd *rd, struct p9_msg *m)
{
	switch (m->type) {
#define P9_PAIR(UP, lo, num, tf, rf) \
	case P9_T##UP: dec_t##lo(rd, &m->t##lo); return 0; \
	case P9_R##UP: dec_r##lo(rd, &m->r##lo); return 0;
#define P9_RONLY(UP, lo, num, rf) \
	case P9_R##UP: dec_r##lo(rd, &m->r##lo); return 0;
#include "p9_msgs.def"
#undef P9_PAIR
#undef P9_RONLY
	default:
		return P9_ERR_TYPE;
	}
}

int
p9_msg_decode_ex(const uint8_t *buf, size_t len, unsigned flags, struct p9_msg *m,
    size_t *errpos)
{
	struct p9_rd rd = { .base = buf, .len = len, .flags = flags };
	uint32_t size;
	uint16_t tag;
	int err;

	p9_rd_u32(&rd, &size);
	if (rd.err == 0 && size < P9_HDRSZ)
		p9_rd_fail(&rd, P9_ERR_UNDERSIZE, 0);
	else if (rd.err == 0 && size != len)
		p9_rd_fail(&rd, P9_ERR_SIZE, 0);
	p9_rd_u8(&rd, &m->type);
	p9_rd_u16(&rd, &tag);
	if (rd.err == 0) {
		m->tag = tag;
		err = dec_body(&rd, m);
		if (err != 0)
			p9_rd_fail(&rd, err, 4);
	}
	/* The one payload with a structure the table does not spell out. It
	 * lies before any trailing byte, so its error comes first. */
	if (rd.err == 0 && m->type == P9_RREADDIR)
		p9_rd_dirents(&rd, &m->rreaddir.data);
	if (rd.err == 0 && rd.pos != rd.len && !(flags & P9_DEC_TOLERANT))
		p9_rd_fail(&rd, P9_ERR_TRAILING, rd.pos);
	if (errpos != NULL)
		*errpos = rd.err != 0 ? rd.err_pos : 0;
	return rd.err;
}

int
p9_msg_decode(const uint8_t *buf, size_t len, struct p9_msg *m)
{
	return p9_msg_decode_ex(buf, len, 0, m, NULL);
}

size_t
p9_msg_size(const struct p9_msg *m)
{
	switch (m->type) {
#define P9_PAIR(UP, lo, num, tf, rf) \
	case P9_T##UP: return sz_t##lo(&m->t##lo); \
	case P9_R##UP: return sz_r##lo(&m->r##lo);
#define P9_RONLY(UP, lo, num, rf) \
	case P9_R##UP: return sz_r##lo(&m->r##lo);
#include "p9_msgs.def"
#undef P9_PAIR
#undef P9_RONLY
	default:
		return 0;
	}
}

/* Returns 0 or P9_ERR_TYPE. */
static int
enc_body(struct p9_wr *wr, const struct p9_msg *m)
{
	switch (m->type) {
#define P9_PAIR(UP, lo, num, tf, rf) \
	case P9_T##UP: enc_t##lo(wr, &m->t##lo); return 0; \
	case P9_R##UP: enc_r##lo(wr, &m->r##lo); return 0;
#define P9_RONLY(UP, lo, num, rf) \
	case P9_R##UP: enc_r##lo(wr, &m->r##lo); return 0;
#include "p9_msgs.def"
#undef P9_PAIR
#undef P9_RONLY
	default:
		return P9_ERR_TYPE;
	}
}

long
p9_msg_encode(const struct p9_msg *m, uint8_t *buf, size_t cap)
{
	struct p9_wr wr = { .base = buf, .cap = cap };
	uint8_t *size_field;
	size_t at;
	int err;

	/* Refused before anything is written, like decode would refuse it. */
	if (m->type == P9_RREADDIR) {
		err = p9_dirents_check(m->rreaddir.data.ptr, m->rreaddir.data.len, &at);
		if (err != 0)
			return err;
	}
	/* The size field is patched last: no separate size pass. */
	size_field = p9_wr_put(&wr, 4);
	p9_wr_u8(&wr, &m->type);
	p9_wr_u16(&wr, &m->tag);
	err = enc_body(&wr, m);
	if (err != 0)
		return err;
	if (wr.err != 0)
		return wr.err;
	if (wr.pos > UINT32_MAX)
		return P9_ERR_TOOBIG;
	p9_put_le32(size_field, (uint32_t)wr.pos);
	return (long)wr.pos;
}
