/*
 * fuzz_client: the client core (p9_client_init, p9_client_request,
 * p9_client_reply, p9_client_inflight) fed an arbitrary interleaving of
 * requests and R-message streams: replies built from the table for a tag
 * in use (right type, Rlerror, or any R type), and raw frames.
 *
 * Input: byte 0 picks the number of slots (1..16), byte 1 the msize; then
 * ops, one selector byte each: issue a request (type and fields from the
 * input, fill.h), a built reply, or a raw frame (length byte + bytes).
 *
 * Invariants (a shadow model records every request the harness issued):
 * - nothing crashes, and nothing is read outside a frame (exact-size copies);
 * - a request gets NOTAG iff it is Tversion, else a tag below nslots that
 *   no outstanding request of the shadow holds;
 * - a reply completes only a request that was issued and not completed
 *   before, with the reply's tag, the right ttype, and a type that answers
 *   it (its R type, or Rlerror but never for Tflush); done->user is that
 *   request's;
 * - an Rflush that cancels (done->flushed) names the not yet completed
 *   request whose tag the Tflush targeted;
 * - a refused reply or request (any error) leaves the client unchanged;
 * - the Rversion msize never raises the client's msize;
 * - an accepted Rreaddir's data is whole dirents: the iterator walks it to
 *   exactly its end.
 */
#include "fill.h"
#include "fuzz.h"
#include "p9.h"
#include "p9_client.h"

#define MAXREQ	512

struct shadow {
	int		 issued, done;
	uint16_t	 tag, oldtag;
	uint8_t		 ttype;
};

static struct shadow sh[MAXREQ];
static unsigned nsh;

static const char *const names[] = { "a", "b", "9P2000.L", "", "..", "x y" };
static const struct fz_fill fill = { names, 6, 4 };

struct state {
	struct p9_client c;
	struct p9_creq	 slots[16];
};

static void
snap(const struct state *s, struct state *out)
{
	memset(out, 0, sizeof(*out));
	out->c.slots = s->c.slots;
	out->c.nslots = s->c.nslots;
	out->c.inflight = s->c.inflight;
	out->c.msize = s->c.msize;
	out->c.version = s->c.version;
	memcpy(out->slots, s->slots, sizeof(s->slots));
}

static int
creq_eq(const struct p9_creq *a, const struct p9_creq *b)
{
	return a->state == b->state && a->ttype == b->ttype && a->linked == b->linked &&
	    a->oldtag == b->oldtag && a->flushers == b->flushers && a->user == b->user;
}

static void
check_unchanged(const struct state *before, const struct state *now)
{
	unsigned i;

	FZ_CHECK(before->c.nslots == now->c.nslots && before->c.inflight == now->c.inflight &&
	    before->c.msize == now->c.msize && creq_eq(&before->c.version, &now->c.version));
	for (i = 0; i < 16; i++)
		FZ_CHECK(creq_eq(&before->slots[i], &now->slots[i]));
}

static struct shadow *
shadow_of(void *user)
{
	struct shadow *e = user;

	FZ_CHECK(e >= sh && e < sh + nsh);
	return e;
}

static void
feed(struct state *s, const uint8_t *frame, size_t len)
{
	uint8_t *f = fz_dup(frame, len);
	struct state before;
	struct p9_msg r;
	struct p9_client_done done;
	uint32_t msize = s->c.msize;
	int rc;

	snap(s, &before);
	memset(&done, 0, sizeof(done));
	rc = p9_client_reply(&s->c, f, len, &r, &done);
	if (rc != 0) {
		FZ_CHECK(rc < 0 && rc >= P9_ERR__LAST);
		check_unchanged(&before, s);
	} else {
		struct shadow *e = shadow_of(done.user);

		FZ_CHECK(len >= P9_HDRSZ && len < msize);
		FZ_CHECK(r.tag == done.tag);
		FZ_CHECK((uint16_t)(f[5] | f[6] << 8) == r.tag);
		FZ_CHECK(e->issued && !e->done);
		FZ_CHECK(e->tag == done.tag);
		FZ_CHECK(e->ttype == done.ttype);
		FZ_CHECK(r.type == e->ttype + 1 ||
		    (r.type == P9_RLERROR && e->ttype != P9_TFLUSH));
		e->done = 1;
		if (r.type == P9_RREADDIR)
			FZ_CHECK(fz_dirents_whole(r.rreaddir.data));
		if (done.flushed) {
			struct shadow *o = shadow_of(done.flushed_user);

			FZ_CHECK(e->ttype == P9_TFLUSH);
			FZ_CHECK(o != e && o->issued && !o->done);
			FZ_CHECK(o->tag == e->oldtag);
			o->done = 1;
		}
		if (r.type == P9_RVERSION)
			FZ_CHECK(s->c.msize <= msize);
		else
			FZ_CHECK(s->c.msize == msize);
	}
	free(f);
}

static void
request(struct state *s, struct fz_src *src)
{
	uint8_t type = fz_ttypes[fz_u8(src) % FZ_NTTYPES];
	struct p9_msg m;
	struct state before;
	struct shadow *e;
	uint8_t buf[8192];
	long n;
	unsigned i;

	if (nsh == MAXREQ)
		return;
	fz_fill_msg(&m, type, src, &fill);
	e = &sh[nsh++];
	memset(e, 0, sizeof(*e));
	snap(s, &before);
	n = p9_client_request(&s->c, &m, e, buf, sizeof(buf));
	if (n < 0) {
		check_unchanged(&before, s);
		return;
	}
	FZ_CHECK((size_t)n <= sizeof(buf) && n >= P9_HDRSZ);
	FZ_CHECK((uint16_t)(buf[5] | buf[6] << 8) == m.tag);
	if (type == P9_TVERSION) {
		FZ_CHECK(m.tag == P9_NOTAG);
	} else {
		FZ_CHECK(m.tag < s->c.nslots);
	}
	for (i = 0; i + 1 < nsh; i++)
		FZ_CHECK(!(sh[i].issued && !sh[i].done && sh[i].tag == m.tag));
	FZ_CHECK(p9_client_inflight(&s->c) == p9_client_inflight(&before.c) + 1);
	e->issued = 1;
	e->tag = m.tag;
	e->ttype = type;
	if (type == P9_TFLUSH)
		e->oldtag = m.tflush.oldtag;
}

/* A reply built from the table: for an outstanding request, mostly. */
static void
built_reply(struct state *s, struct fz_src *src)
{
	uint8_t sel = fz_u8(src), how = fz_u8(src), type;
	uint16_t tag;
	struct p9_msg m;
	uint8_t buf[8192];
	long n;
	unsigned i, live = 0;
	struct shadow *target = NULL;

	for (i = 0; i < nsh; i++)
		if (sh[i].issued && !sh[i].done && live++ == sel % 16)
			target = &sh[i];
	if (target == NULL) {
		for (i = 0; i < nsh; i++)
			if (sh[i].issued && !sh[i].done) {
				target = &sh[i];
				break;
			}
	}
	tag = target != NULL && sel < 0xf0 ? target->tag : (uint16_t)fz_raw(src, 2);
	if (how % 4 == 0)
		type = P9_RLERROR;
	else if (how % 4 == 1 || target == NULL)
		type = fz_rtypes[fz_u8(src) % FZ_NRTYPES];
	else
		type = (uint8_t)(target->ttype + 1);
	fz_fill_msg(&m, type, src, &fill);
	m.tag = tag;
	n = p9_msg_encode(&m, buf, sizeof(buf));
	if (n > 0)
		feed(s, buf, (size_t)n);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const uint32_t msizes[] = { 4096, 8192, 64, 7, 20, 65536 };
	struct fz_src src = { data, size, 0 };
	struct state s;
	int ops = 0;

	memset(&s, 0, sizeof(s));
	nsh = 0;
	{
		uint16_t nslots = (uint16_t)(1 + fz_u8(&src) % 16);
		uint32_t msize = msizes[fz_u8(&src) % 6];

		p9_client_init(&s.c, s.slots, nslots, msize);
	}
	FZ_CHECK(p9_client_inflight(&s.c) == 0);
	while (src.pos < src.n && ops++ < 1000) {
		uint8_t op = fz_u8(&src);

		switch (op % 8) {
		case 0: case 1: case 2:
			request(&s, &src);
			break;
		case 3: case 4: case 5: case 6:
			built_reply(&s, &src);
			break;
		default: {
			size_t got;
			const uint8_t *p = fz_take(&src, fz_u8(&src), &got);

			feed(&s, p, got);
			break;
		}
		}
	}
	/* The count of outstanding requests never goes wrong: every issued
	 * request not completed still holds a tag. */
	{
		unsigned i, open = 0;

		for (i = 0; i < nsh; i++)
			open += sh[i].issued && !sh[i].done;
		FZ_CHECK(p9_client_inflight(&s.c) >= open);
	}
	p9_client_reset(&s.c);
	FZ_CHECK(p9_client_inflight(&s.c) == 0);
	return 0;
}
