/*
 * lib9p client core: tag allocation, request/reply matching, pipelining
 * and flush bookkeeping for one 9P2000.L connection. It moves no bytes and
 * allocates nothing: the caller owns the slot array, sends the frames that
 * p9_client_request() encodes, reads frames (p9_frame_need) and hands each
 * one to p9_client_reply(). One struct p9_client per connection; not
 * thread-safe (callers serialise access, e.g. with a mutex per connection).
 *
 * Tags: Tversion travels with NOTAG; every other request gets the lowest
 * free tag in 0..nslots-1, as the Linux client does. A tag is reused only
 * after its reply, or the Rflush that cancels it, has been matched.
 *
 * Flush (flush(5)): send a Tflush whose oldtag names an outstanding request.
 * If the original reply arrives first it completes normally but its tag
 * stays reserved until the Rflush; if the Rflush arrives first the original
 * is cancelled (reported through done->flushed_user) and any later reply to
 * it is refused as P9_ERR_TAG.
 */
#ifndef P9_CLIENT_H
#define P9_CLIENT_H

#include "p9.h"

#ifdef __cplusplus
extern "C" {
#endif

/* One outstanding-request slot; the slot's index is its tag. Opaque. */
struct p9_creq {
	uint8_t		 state;
	uint8_t		 ttype;		/* the T-message type sent */
	uint8_t		 linked;	/* Tflush: oldtag was outstanding when sent */
	uint16_t	 oldtag;	/* Tflush: the tag it targets */
	uint16_t	 flushers;	/* Tflushes outstanding against this tag */
	void		*user;
};

struct p9_client {
	struct p9_creq	*slots;
	uint16_t	 nslots;
	uint16_t	 inflight;	/* slots not free */
	uint32_t	 msize;		/* proposed, then negotiated by Rversion */
	struct p9_creq	 version;	/* the Tversion slot (tag NOTAG) */
};

/* What a matched reply completed. */
struct p9_client_done {
	uint16_t	 tag;
	uint8_t		 ttype;		/* type of the request it answers */
	void		*user;		/* that request's user pointer */
	int		 flushed;	/* Rflush: 1 if it cancelled oldtag's request */
	void		*flushed_user;	/* and that request's user pointer */
};

/*
 * Set up a client with slots[0..nslots) (nslots <= 65535; NOTAG is never a
 * slot) and the msize it will propose. Every slot starts free.
 */
void p9_client_init(struct p9_client *c, struct p9_creq *slots, uint16_t nslots,
    uint32_t msize);

/*
 * Start request *t: assign its tag (t->tag is set: NOTAG for Tversion, the
 * lowest free slot otherwise), encode it into buf[0..cap) and record it as
 * outstanding with `user`. Returns the frame's length, or a negative
 * P9_ERR_*: P9_ERR_TYPE (not a T-message), P9_ERR_NOTAG (every tag in use,
 * or a Tversion already outstanding), P9_ERR_TOOBIG (frame above msize),
 * or an encode error. On error no tag is consumed.
 */
P9_MUST_USE long p9_client_request(struct p9_client *c, struct p9_msg *t, void *user,
    uint8_t *buf, size_t cap);

/*
 * Match one received frame (buf/len, size field included). Decodes it into
 * *r (views into buf, valid while buf is), finds the request by tag and
 * checks the reply's type: the request's R type, or Rlerror (never for
 * Tflush). On success frees the tag (see flush above), fills *done and
 * returns 0. An Rversion accepting "9P2000.L" also sets c->msize to
 * min(proposed, server's); one answering "unknown" leaves it.
 * Errors: decode errors, P9_ERR_TOOBIG (frame not below msize: the Linux
 * client's rule), P9_ERR_TAG (no outstanding request has that tag),
 * P9_ERR_RTYPE (type does not answer that request); on error the client's
 * state is unchanged.
 */
P9_MUST_USE int p9_client_reply(struct p9_client *c, const uint8_t *buf, size_t len,
    struct p9_msg *r, struct p9_client_done *done);

/* Requests outstanding (Tversion included). */
unsigned p9_client_inflight(const struct p9_client *c);

/* Forget every outstanding request (after a connection is lost or a new
 * Tversion resets the session). */
void p9_client_reset(struct p9_client *c);

#ifdef __cplusplus
}
#endif

#endif /* P9_CLIENT_H */
