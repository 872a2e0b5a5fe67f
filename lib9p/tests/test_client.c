/*
 * The client core: tag allocation, matching, type checks, msize, flush.
 * Replies are written as bytes by hand, not produced by the code under test.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "p9_client.h"
#include "testutil.h"

#define NSLOTS 4

struct fixture {
	struct p9_client	c;
	struct p9_creq		slots[NSLOTS];
	uint8_t			buf[8192];
	int			users[8];
};

static struct fixture fx;

static int
setup(void **state)
{
	memset(&fx, 0, sizeof(fx));
	p9_client_init(&fx.c, fx.slots, NSLOTS, 8192);
	*state = &fx;
	return 0;
}

static uint16_t
send_clunk(uint32_t fid, void *user)
{
	struct p9_msg t = { .type = P9_TCLUNK };
	long n;

	t.tclunk.fid = fid;
	P9_NO_ALLOC_BEGIN();
	n = p9_client_request(&fx.c, &t, user, fx.buf, sizeof(fx.buf));
	P9_NO_ALLOC_END();
	assert_int_equal(n, 11);
	assert_int_equal(fx.buf[4], P9_TCLUNK);
	assert_int_equal(fx.buf[5] | fx.buf[6] << 8, t.tag);
	return t.tag;
}

static uint16_t
send_flush(uint16_t oldtag, void *user)
{
	struct p9_msg t = { .type = P9_TFLUSH };
	long n;

	t.tflush.oldtag = oldtag;
	n = p9_client_request(&fx.c, &t, user, fx.buf, sizeof(fx.buf));
	assert_int_equal(n, 9);
	return t.tag;
}

/* Feed a header-only reply (Rclunk, Rflush, ...) with `type` and `tag`. */
static int
feed7(uint8_t type, uint16_t tag, struct p9_client_done *d)
{
	uint8_t f[7] = { 7, 0, 0, 0, type, (uint8_t)tag, (uint8_t)(tag >> 8) };
	struct p9_msg r;
	int err;

	P9_NO_ALLOC_BEGIN();
	err = p9_client_reply(&fx.c, f, sizeof(f), &r, d);
	P9_NO_ALLOC_END();
	return err;
}

static int
feed_lerror(uint16_t tag, uint32_t ecode, struct p9_client_done *d)
{
	uint8_t f[11] = { 11, 0, 0, 0, P9_RLERROR, (uint8_t)tag, (uint8_t)(tag >> 8),
	    (uint8_t)ecode, 0, 0, 0 };
	struct p9_msg r;
	int err = p9_client_reply(&fx.c, f, sizeof(f), &r, d);

	if (err == 0)
		assert_int_equal(r.rlerror.ecode, ecode);
	return err;
}

static void
test_version(void **state)
{
	/* Tversion NOTAG msize=8192 "9P2000.L", then the spec's Rversion shape. */
	static const uint8_t tv[] = { 0x15, 0, 0, 0, 0x64, 0xff, 0xff, 0x00, 0x20, 0, 0,
	    8, 0, '9', 'P', '2', '0', '0', '0', '.', 'L' };
	static const uint8_t rv[] = { 0x15, 0, 0, 0, 0x65, 0xff, 0xff, 0x00, 0x10, 0, 0,
	    8, 0, '9', 'P', '2', '0', '0', '0', '.', 'L' };
	struct p9_msg t = { .type = P9_TVERSION }, r;
	struct p9_client_done d;
	long n;

	(void)state;
	t.tversion.msize = 8192;
	assert_int_equal(p9_str_set(&t.tversion.version, P9_VERSION_L), 0);
	n = p9_client_request(&fx.c, &t, &fx.users[0], fx.buf, sizeof(fx.buf));
	assert_int_equal(n, sizeof(tv));
	assert_memory_equal(fx.buf, tv, sizeof(tv));
	assert_int_equal(t.tag, P9_NOTAG);
	assert_int_equal(p9_client_inflight(&fx.c), 1);
	/* A second Tversion while one is outstanding has no tag to use. */
	assert_int_equal(p9_client_request(&fx.c, &t, NULL, fx.buf, sizeof(fx.buf)),
	    P9_ERR_NOTAG);
	assert_int_equal(p9_client_reply(&fx.c, rv, sizeof(rv), &r, &d), 0);
	assert_ptr_equal(d.user, &fx.users[0]);
	assert_int_equal(d.ttype, P9_TVERSION);
	assert_int_equal(fx.c.msize, 4096);
	assert_int_equal(p9_client_inflight(&fx.c), 0);
	/* A second Rversion has nothing to answer. */
	assert_int_equal(p9_client_reply(&fx.c, rv, sizeof(rv), &r, &d), P9_ERR_TAG);
}

static void
test_version_unknown(void **state)
{
	/* Rversion msize=11 "unknown": refused, so msize stays as proposed. */
	static const uint8_t rv[] = { 0x14, 0, 0, 0, 0x65, 0xff, 0xff, 11, 0, 0, 0,
	    7, 0, 'u', 'n', 'k', 'n', 'o', 'w', 'n' };
	struct p9_msg t = { .type = P9_TVERSION }, r;
	struct p9_client_done d;

	(void)state;
	t.tversion.msize = 8192;
	assert_int_equal(p9_str_set(&t.tversion.version, "9P2000.u"), 0);
	assert_true(p9_client_request(&fx.c, &t, NULL, fx.buf, sizeof(fx.buf)) > 0);
	assert_int_equal(p9_client_reply(&fx.c, rv, sizeof(rv), &r, &d), 0);
	assert_true(p9_str_eq(r.rversion.version, "unknown"));
	assert_int_equal(fx.c.msize, 8192);
}

static void
test_tags_lowest_free(void **state)
{
	struct p9_client_done d;
	struct p9_msg t = { .type = P9_TCLUNK };

	(void)state;
	assert_int_equal(send_clunk(1, &fx.users[0]), 0);
	assert_int_equal(send_clunk(2, &fx.users[1]), 1);
	assert_int_equal(send_clunk(3, &fx.users[2]), 2);
	assert_int_equal(send_clunk(4, &fx.users[3]), 3);
	assert_int_equal(p9_client_inflight(&fx.c), 4);
	assert_int_equal(p9_client_request(&fx.c, &t, NULL, fx.buf, sizeof(fx.buf)),
	    P9_ERR_NOTAG);
	/* Out-of-order completion; the freed tag is reused first. */
	assert_int_equal(feed7(P9_RCLUNK, 2, &d), 0);
	assert_ptr_equal(d.user, &fx.users[2]);
	assert_int_equal(d.tag, 2);
	assert_int_equal(d.flushed, 0);
	assert_int_equal(send_clunk(5, NULL), 2);
	assert_int_equal(feed_lerror(0, 2, &d), 0);
	assert_ptr_equal(d.user, &fx.users[0]);
	assert_int_equal(p9_client_inflight(&fx.c), 3);
	/* The same tag again: already answered. */
	assert_int_equal(feed7(P9_RCLUNK, 0, &d), P9_ERR_TAG);
	/* Tags outside the slot range, and NOTAG with no Tversion. */
	assert_int_equal(feed7(P9_RCLUNK, NSLOTS, &d), P9_ERR_TAG);
	assert_int_equal(feed7(P9_RCLUNK, P9_NOTAG, &d), P9_ERR_TAG);
	p9_client_reset(&fx.c);
	assert_int_equal(p9_client_inflight(&fx.c), 0);
	assert_int_equal(feed7(P9_RCLUNK, 1, &d), P9_ERR_TAG);
}

static void
test_wrong_type(void **state)
{
	struct p9_client_done d;
	uint16_t tag;

	(void)state;
	tag = send_clunk(7, &fx.users[0]);
	/* Rremove does not answer Tclunk; the request stays outstanding. */
	assert_int_equal(feed7(P9_RREMOVE, tag, &d), P9_ERR_RTYPE);
	{
		/* A T-message coming back is no reply either. */
		uint8_t f[11] = { 11, 0, 0, 0, P9_TCLUNK, (uint8_t)tag, 0, 1, 0, 0, 0 };
		struct p9_msg r;

		assert_int_equal(p9_client_reply(&fx.c, f, sizeof(f), &r, &d),
		    P9_ERR_RTYPE);
	}
	assert_int_equal(p9_client_inflight(&fx.c), 1);
	assert_int_equal(feed7(P9_RCLUNK, tag, &d), 0);
	/* A broken frame is a decode error and changes nothing. */
	tag = send_clunk(8, NULL);
	{
		uint8_t f[8] = { 8, 0, 0, 0, P9_RCLUNK, (uint8_t)tag, 0, 0 };
		struct p9_msg r;

		assert_int_equal(p9_client_reply(&fx.c, f, sizeof(f), &r, &d),
		    P9_ERR_TRAILING);
	}
	assert_int_equal(p9_client_inflight(&fx.c), 1);
}

/*
 * An Rreaddir whose data is not whole dirents is a decode error: the
 * Treaddir stays outstanding, and a good reply then completes it with data
 * that iterates to its end.
 */
static void
test_readdir_reply(void **state)
{
	uint8_t past[] = {
		0x25, 0x00, 0x00, 0x00,	/* size 37 */
		0x29,			/* Rreaddir */
		0x00, 0x00,		/* tag, set below */
		0x1a, 0x00, 0x00, 0x00,	/* count 26 */
		0x80, 0x01, 0x02, 0x03, 0x04,
		0x05, 0x06, 0x07, 0x08, 0x09, 0x0a, 0x0b, 0x0c, /* qid */
		0x0d, 0x0e, 0x0f, 0x10, 0x11, 0x12, 0x13, 0x14, /* offset */
		0x04,			/* type */
		0x03, 0x00, 0x61, 0x62,	/* name length 3, 2 bytes left */
	};
	uint8_t nul[sizeof(past)], good[sizeof(past)];
	struct p9_msg t = { .type = P9_TREADDIR }, r;
	struct p9_client_done d;
	struct p9_dirent_iter it;
	struct p9_dirent e;
	int err;

	(void)state;
	t.treaddir.fid = 3;
	t.treaddir.count = 4096;
	assert_int_equal(p9_client_request(&fx.c, &t, &fx.users[1], fx.buf, sizeof(fx.buf)),
	    23);
	past[5] = (uint8_t)t.tag;
	memcpy(nul, past, sizeof(past));
	nul[33] = 0x02;
	nul[36] = 0x00;			/* name "a\0" */
	memcpy(good, past, sizeof(past));
	good[33] = 0x02;		/* name "ab" */
	P9_NO_ALLOC_BEGIN();
	err = p9_client_reply(&fx.c, past, sizeof(past), &r, &d);
	P9_NO_ALLOC_END();
	assert_int_equal(err, P9_ERR_DIRENT);
	assert_int_equal(p9_client_reply(&fx.c, nul, sizeof(nul), &r, &d), P9_ERR_NUL);
	assert_int_equal(p9_client_inflight(&fx.c), 1);
	assert_int_equal(p9_client_reply(&fx.c, good, sizeof(good), &r, &d), 0);
	assert_ptr_equal(d.user, &fx.users[1]);
	assert_int_equal(d.ttype, P9_TREADDIR);
	assert_int_equal(p9_client_inflight(&fx.c), 0);
	p9_dirent_iter_init(&it, r.rreaddir.data);
	assert_int_equal(p9_dirent_next(&it, &e), 1);
	assert_true(p9_str_eq(e.name, "ab"));
	assert_int_equal(p9_dirent_next(&it, &e), 0);
	assert_int_equal(it.pos, 26);
}

static void
test_request_errors(void **state)
{
	struct p9_msg t = { .type = P9_RCLUNK };
	static char big[6000];
	uint8_t small[10];

	(void)state;
	assert_int_equal(p9_client_request(&fx.c, &t, NULL, fx.buf, sizeof(fx.buf)),
	    P9_ERR_TYPE);
	t.type = P9_RLERROR;
	assert_int_equal(p9_client_request(&fx.c, &t, NULL, fx.buf, sizeof(fx.buf)),
	    P9_ERR_TYPE);
	t.type = 6;	/* Tlerror: never sent */
	assert_int_equal(p9_client_request(&fx.c, &t, NULL, fx.buf, sizeof(fx.buf)),
	    P9_ERR_TYPE);
	/* Too big for msize (8192), even though the buffer is larger. */
	memset(big, 'a', sizeof(big));
	t = (struct p9_msg){ .type = P9_TWRITE };
	t.twrite.data.ptr = (const uint8_t *)big;
	t.twrite.data.len = sizeof(big);
	fx.c.msize = 4096;
	assert_int_equal(p9_client_request(&fx.c, &t, NULL, fx.buf, sizeof(fx.buf)),
	    P9_ERR_TOOBIG);
	/* Too big for the buffer. */
	t = (struct p9_msg){ .type = P9_TCLUNK };
	assert_int_equal(p9_client_request(&fx.c, &t, NULL, small, sizeof(small)),
	    P9_ERR_NOSPACE);
	assert_int_equal(p9_client_inflight(&fx.c), 0);
}

static void
test_reply_too_big(void **state)
{
	struct p9_client_done d;
	uint16_t tag;
	uint8_t f[4096 + 11] = { 0 };
	struct p9_msg r;

	(void)state;
	fx.c.msize = 4096;
	tag = send_clunk(1, NULL);
	/* Linux refuses a reply whose size is >= msize. */
	f[0] = 0x00;
	f[1] = 0x10;
	f[4] = P9_RREAD;
	f[5] = (uint8_t)tag;
	assert_int_equal(p9_client_reply(&fx.c, f, 4096, &r, &d), P9_ERR_TOOBIG);
	assert_int_equal(feed7(P9_RCLUNK, tag, &d), 0);
}

static void
test_flush_before_reply(void **state)
{
	struct p9_client_done d;
	uint16_t tag, ftag;

	(void)state;
	tag = send_clunk(1, &fx.users[0]);
	ftag = send_flush(tag, &fx.users[1]);
	assert_int_equal(ftag, 1);
	/* Rlerror never answers Tflush. */
	assert_int_equal(feed_lerror(ftag, 5, &d), P9_ERR_RTYPE);
	assert_int_equal(feed7(P9_RFLUSH, ftag, &d), 0);
	assert_ptr_equal(d.user, &fx.users[1]);
	assert_int_equal(d.flushed, 1);
	assert_ptr_equal(d.flushed_user, &fx.users[0]);
	assert_int_equal(p9_client_inflight(&fx.c), 0);
	/* No reply for the cancelled tag may follow its Rflush. */
	assert_int_equal(feed7(P9_RCLUNK, tag, &d), P9_ERR_TAG);
}

static void
test_flush_after_reply(void **state)
{
	struct p9_client_done d;
	uint16_t tag, ftag, other;

	(void)state;
	tag = send_clunk(1, &fx.users[0]);
	ftag = send_flush(tag, &fx.users[1]);
	/* The original reply wins the race: it completes normally ... */
	assert_int_equal(feed7(P9_RCLUNK, tag, &d), 0);
	assert_ptr_equal(d.user, &fx.users[0]);
	/* ... but its tag is not reused before the Rflush. */
	other = send_clunk(2, NULL);
	assert_int_not_equal(other, tag);
	assert_int_equal(feed7(P9_RCLUNK, tag, &d), P9_ERR_TAG);
	assert_int_equal(feed7(P9_RFLUSH, ftag, &d), 0);
	assert_int_equal(d.flushed, 0);
	assert_int_equal(send_clunk(3, NULL), tag);
}

static void
test_flush_twice_and_unknown(void **state)
{
	struct p9_client_done d;
	uint16_t tag, f1, f2, f3;

	(void)state;
	tag = send_clunk(1, &fx.users[0]);
	f1 = send_flush(tag, NULL);
	f2 = send_flush(tag, NULL);
	/* Rflushes may come in order; the first cancels, the last frees. */
	assert_int_equal(feed7(P9_RFLUSH, f1, &d), 0);
	assert_int_equal(d.flushed, 1);
	assert_int_equal(feed7(P9_RCLUNK, tag, &d), P9_ERR_TAG);
	assert_int_equal(p9_client_inflight(&fx.c), 2);
	assert_int_equal(feed7(P9_RFLUSH, f2, &d), 0);
	assert_int_equal(d.flushed, 0);
	assert_int_equal(p9_client_inflight(&fx.c), 0);
	/* Flushing a tag that is not outstanding is legal; the Rflush
	 * must not disturb a later request that got that tag. */
	f3 = send_flush(3, NULL);
	assert_int_equal(f3, 0);
	assert_int_equal(send_clunk(9, &fx.users[2]), 1);
	assert_int_equal(send_clunk(9, &fx.users[3]), 2);
	assert_int_equal(send_clunk(9, &fx.users[4]), 3);
	assert_int_equal(feed7(P9_RFLUSH, f3, &d), 0);
	assert_int_equal(d.flushed, 0);
	assert_int_equal(feed7(P9_RCLUNK, 3, &d), 0);
	assert_ptr_equal(d.user, &fx.users[4]);
	/* A flush of itself is legal too (oldtag == its own tag). */
	f3 = send_flush(0, NULL);
	assert_int_equal(f3, 0);
	assert_int_equal(feed7(P9_RFLUSH, 0, &d), 0);
	assert_int_equal(d.flushed, 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_version, setup),
		cmocka_unit_test_setup(test_version_unknown, setup),
		cmocka_unit_test_setup(test_tags_lowest_free, setup),
		cmocka_unit_test_setup(test_wrong_type, setup),
		cmocka_unit_test_setup(test_readdir_reply, setup),
		cmocka_unit_test_setup(test_request_errors, setup),
		cmocka_unit_test_setup(test_reply_too_big, setup),
		cmocka_unit_test_setup(test_flush_before_reply, setup),
		cmocka_unit_test_setup(test_flush_after_reply, setup),
		cmocka_unit_test_setup(test_flush_twice_and_unknown, setup),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
