/*
 * Framing, and the in-place builders for the two hot replies (Rread,
 * Rreaddir) with the dirent encoder and iterator of Rreaddir payloads.
 */
#include "p9_cursor.h"

int
p9_frame_need(const uint8_t *buf, size_t have, uint32_t msize, size_t *need)
{
	uint32_t size;

	if (have < 4) {
		*need = 4;
		return 0;
	}
	size = p9_le32(buf);
	if (size < P9_HDRSZ)
		return P9_ERR_UNDERSIZE;
	if (size > msize)
		return P9_ERR_TOOBIG;
	*need = size;
	return 0;
}

uint8_t *
p9_rdata_begin(uint8_t *buf, size_t cap, uint8_t type, uint16_t tag, uint32_t count,
    uint32_t *room)
{
	struct p9_wr wr = { .base = buf, .cap = cap };
	uint32_t zero = 0;
	size_t avail;

	if (cap < P9_RDATA_HDRSZ)
		return NULL;
	p9_wr_u32(&wr, &zero);
	p9_wr_u8(&wr, &type);
	p9_wr_u16(&wr, &tag);
	p9_wr_u32(&wr, &zero);
	avail = cap - P9_RDATA_HDRSZ;
	*room = avail < count ? (uint32_t)avail : count;
	return buf + P9_RDATA_HDRSZ;
}

size_t
p9_rdata_seal(uint8_t *buf, uint32_t used)
{
	size_t len = (size_t)P9_RDATA_HDRSZ + used;

	p9_put_le32(buf, (uint32_t)len);
	p9_put_le32(buf + 7, used);
	return len;
}

size_t
p9_dirent_size(const struct p9_dirent *d)
{
	return P9_QIDSZ + 8 + 1 + p9_sz_str(&d->name);
}

int
p9_dirent_put(uint8_t *buf, uint32_t cap, uint32_t *used, const struct p9_dirent *d)
{
	struct p9_wr wr = { .base = buf, .cap = cap, .pos = *used };

	/* Whole entries only: the client fails a split entry with EIO. With
	 * the room checked here the writes below cannot fail. */
	if (*used > cap || p9_dirent_size(d) > cap - *used)
		return P9_ERR_NOSPACE;
	/* Refuse before writing: on error nothing is written. */
	if (d->name.len > 0 && memchr(d->name.ptr, 0, d->name.len) != NULL)
		return P9_ERR_NUL;
	p9_wr_qid(&wr, &d->qid);
	p9_wr_u64(&wr, &d->offset);
	p9_wr_u8(&wr, &d->type);
	p9_wr_u16(&wr, &d->name.len);	/* name checked above: no second scan */
	p9_wr_bytes(&wr, d->name.ptr, d->name.len);
	*used = (uint32_t)wr.pos;
	return 0;
}

void
p9_dirent_iter_init(struct p9_dirent_iter *it, struct p9_data payload)
{
	it->base = payload.ptr;
	it->len = payload.ptr != NULL ? payload.len : 0;
	it->pos = 0;
	it->err = 0;
	it->checked = 0;
}

void
p9_dirent_iter_checked(struct p9_dirent_iter *it, struct p9_data payload)
{
	p9_dirent_iter_init(it, payload);
	it->checked = 1;
}

int
p9_dirent_next(struct p9_dirent_iter *it, struct p9_dirent *d)
{
	struct p9_rd rd = { .base = it->base, .len = it->len, .pos = it->pos };

	if (it->err != 0)
		return it->err;
	if (it->pos == it->len)
		return 0;
	if (it->checked) {
		/* Bounds still checked; names were checked for NUL already. */
		const uint8_t *p = p9_rd_take(&rd, 24), *name = NULL;
		uint16_t n = 0;

		if (p != NULL) {
			n = (uint16_t)(p[22] | (unsigned)p[23] << 8);
			name = p9_rd_take(&rd, n);
		}
		if (name != NULL) {
			d->qid.type = p[0];
			d->qid.version = p9_le32(p + 1);
			d->qid.path = (uint64_t)p9_le32(p + 5) | (uint64_t)p9_le32(p + 9) << 32;
			d->offset = (uint64_t)p9_le32(p + 13) | (uint64_t)p9_le32(p + 17) << 32;
			d->type = p[21];
			d->name.ptr = (const char *)name;
			d->name.len = n;
			it->pos = (uint32_t)rd.pos;
			return 1;
		}
		/* Not what it was said to be: the full reading says why. */
		rd = (struct p9_rd){ .base = it->base, .len = it->len, .pos = it->pos };
	}
	p9_rd_dirent(&rd, d);
	if (rd.err != 0) {
		it->err = rd.err == P9_ERR_SHORT ? P9_ERR_DIRENT : rd.err;
		return it->err;
	}
	it->pos = (uint32_t)rd.pos;
	return 1;
}
