/*
 * Client core: tags, matching, flush bookkeeping. The caller moves bytes.
 *
 * Slot states: FREE -> SENT on request; SENT -> FREE on its reply;
 * SENT -> FLUSHING when a Tflush targets it; FLUSHING -> ANSWERED when its
 * reply still arrives (tag held until the Rflush); FLUSHING or ANSWERED ->
 * FREE when the last Rflush against it arrives.
 */
#include "p9_client.h"

enum {
	SLOT_FREE = 0,
	SLOT_SENT,
	SLOT_FLUSHING,
	SLOT_ANSWERED,
};

void
p9_client_init(struct p9_client *c, struct p9_creq *slots, uint16_t nslots,
    uint32_t msize)
{
	c->slots = slots;
	c->nslots = nslots;
	c->msize = msize;
	p9_client_reset(c);
}

void
p9_client_reset(struct p9_client *c)
{
	uint16_t i;

	for (i = 0; i < c->nslots; i++)
		c->slots[i] = (struct p9_creq){ .state = SLOT_FREE };
	c->version = (struct p9_creq){ .state = SLOT_FREE };
	c->inflight = 0;
}

unsigned
p9_client_inflight(const struct p9_client *c)
{
	return c->inflight + (c->version.state != SLOT_FREE);
}

static struct p9_creq *
slot_of(struct p9_client *c, uint16_t tag)
{
	if (tag == P9_NOTAG)
		return &c->version;
	if (tag >= c->nslots)
		return NULL;
	return &c->slots[tag];
}

static int
is_request(uint8_t type)
{
	return type != P9_RLERROR && (type & 1) == 0 && p9_type_name(type) != NULL;
}

static long
find_tag(struct p9_client *c, uint8_t type, uint16_t *tag)
{
	uint16_t i;

	if (type == P9_TVERSION) {
		if (c->version.state != SLOT_FREE)
			return P9_ERR_NOTAG;
		*tag = P9_NOTAG;
		return 0;
	}
	for (i = 0; i < c->nslots; i++) {
		if (c->slots[i].state == SLOT_FREE) {
			*tag = i;
			return 0;
		}
	}
	return P9_ERR_NOTAG;
}

long
p9_client_request(struct p9_client *c, struct p9_msg *t, void *user, uint8_t *buf,
    size_t cap)
{
	struct p9_creq *s, *old;
	uint16_t tag;
	long n;

	if (!is_request(t->type))
		return P9_ERR_TYPE;
	n = find_tag(c, t->type, &tag);
	if (n != 0)
		return n;
	t->tag = tag;
	n = p9_msg_encode(t, buf, cap < c->msize ? cap : c->msize);
	if (n == P9_ERR_NOSPACE && p9_msg_size(t) > c->msize)
		return P9_ERR_TOOBIG;
	if (n < 0)
		return n;
	s = slot_of(c, tag);
	*s = (struct p9_creq){ .state = SLOT_SENT, .ttype = t->type, .user = user };
	if (tag != P9_NOTAG)
		c->inflight++;
	if (t->type == P9_TFLUSH) {
		/* flush(5): flushing an unknown or answered tag is legal. */
		s->oldtag = t->tflush.oldtag;
		old = slot_of(c, s->oldtag);
		if (old != NULL && old != s && old->state != SLOT_FREE) {
			if (old->state == SLOT_SENT)
				old->state = SLOT_FLUSHING;
			old->flushers++;
			s->linked = 1;
		}
	}
	return n;
}

static int
answers(uint8_t ttype, uint8_t rtype)
{
	if (rtype == ttype + 1)
		return 1;
	/* flush(5): Tflush is never answered with an error. */
	return rtype == P9_RLERROR && ttype != P9_TFLUSH;
}

static void
release(struct p9_client *c, struct p9_creq *s)
{
	if (s != &c->version)
		c->inflight--;
	*s = (struct p9_creq){ .state = SLOT_FREE };
}

/* The last Rflush against *old frees it; the first one cancels it. */
static void
flush_done(struct p9_client *c, struct p9_creq *old, struct p9_client_done *done)
{
	if (old->state == SLOT_FLUSHING) {
		done->flushed = 1;
		done->flushed_user = old->user;
		old->state = SLOT_ANSWERED;
	}
	if (--old->flushers == 0)
		release(c, old);
}

int
p9_client_reply(struct p9_client *c, const uint8_t *buf, size_t len, struct p9_msg *r,
    struct p9_client_done *done)
{
	struct p9_creq *s, *old = NULL;
	int err;

	if (len >= c->msize)
		return P9_ERR_TOOBIG;
	err = p9_msg_decode(buf, len, r);
	if (err != 0)
		return err;
	s = slot_of(c, r->tag);
	if (s == NULL || s->state == SLOT_FREE || s->state == SLOT_ANSWERED)
		return P9_ERR_TAG;
	if (!answers(s->ttype, r->type))
		return P9_ERR_RTYPE;
	if (s->ttype == P9_TFLUSH && s->linked)
		old = slot_of(c, s->oldtag);
	*done = (struct p9_client_done){
		.tag = r->tag, .ttype = s->ttype, .user = s->user,
	};
	/* Only an accepted version negotiates msize; "unknown" leaves it. */
	if (r->type == P9_RVERSION && p9_str_eq(r->rversion.version, P9_VERSION_L) &&
	    r->rversion.msize < c->msize)
		c->msize = r->rversion.msize;
	if (s->state == SLOT_FLUSHING)
		s->state = SLOT_ANSWERED;	/* tag held until the Rflush */
	else
		release(c, s);
	if (old != NULL)
		flush_done(c, old, done);
	return 0;
}
