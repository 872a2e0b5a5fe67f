/*
 * p9d and flush(5) ordering, on one connection, with requests pipelined
 * behind their Tflush (nothing waits between the two sends):
 *
 *  - The Rflush always arrives. If the flushed request's own reply comes
 *    at all, it comes before the Rflush, never after; a cancelled request
 *    has no effect (a cancelled Twalk creates no newfid).
 *  - A Tflush for a request already answered, for a tag never used, or
 *    for its own tag is answered at once.
 *  - Several Tflushes for one request (and a Tflush of a Tflush) are
 *    answered in the order they were sent.
 *
 * The client core (p9_client.h) does the bookkeeping: once the Rflush is
 * in, the flushed tag is free, so a late reply to it is refused
 * (P9_ERR_TAG) or, the tag having been reused by the next round's
 * request of the other type, fails the type check (P9_ERR_RTYPE); either
 * way t9_recv fails the test. Rounds alternate Tread and Twalk for that.
 * Which way each race went (answered then flushed, or cancelled unrun)
 * is counted and printed, never asserted: the assertions hold for both.
 */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>

#include <cmocka.h>

#include "t9.h"

#define ROOT	0u		/* attach fid */
#define BIG	1u		/* "big", opened for reading */
#define NEWFID	2u		/* Twalk's newfid */
#define BIGSIZE	(1u << 20)	/* 1 MiB */
#define MSIZE	(1u << 20)	/* so that one Tread asks for almost all of it */
#define ROUNDS	300

struct fx {
	struct t9srv	s;
	struct t9c	c;
	uint32_t	count;	/* Tread count: msize - 24 */
};

static uint8_t
pattern(uint32_t off)
{
	return (uint8_t)(off * 7u + (off >> 11));
}

static int
setup(void **state)
{
	struct fx *x = calloc(1, sizeof(*x));
	uint8_t *buf = malloc(BIGSIZE);
	uint32_t i;
	int fd;

	assert_non_null(x);
	assert_non_null(buf);
	t9_start(&x->s, NULL);
	for (i = 0; i < BIGSIZE; i++)
		buf[i] = pattern(i);
	fd = open(t9_path(&x->s, "big"), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, buf, BIGSIZE), (ssize_t)BIGSIZE);
	assert_int_equal(close(fd), 0);
	free(buf);
	assert_int_equal(mkdir(t9_path(&x->s, "d"), 0755), 0);

	t9_connect(&x->s, &x->c, MSIZE);
	assert_int_equal(x->c.msize, MSIZE);
	x->count = x->c.msize - 24;
	assert_int_equal(t9_attach(&x->c, ROOT, "", (uint32_t)geteuid(), NULL), 0);
	assert_int_equal(t9_walk(&x->c, ROOT, BIG, "big", NULL), 0);
	assert_int_equal(t9_lopen(&x->c, BIG, P9_DOTL_RDONLY, NULL, NULL), 0);
	*state = x;
	return 0;
}

static int
teardown(void **state)
{
	struct fx *x = *state;

	t9_close(&x->c);
	assert_int_equal(t9_stop(&x->s), 0);
	free(x);
	return 0;
}

static uint16_t
send_flush(struct t9c *c, uint16_t oldtag)
{
	struct p9_msg t = { .type = P9_TFLUSH };

	t.tflush.oldtag = oldtag;
	return t9_send(c, &t);
}

static uint16_t
send_read(struct fx *x)
{
	struct p9_msg t = { .type = P9_TREAD };

	t.tread.fid = BIG;
	t.tread.offset = 0;
	t.tread.count = x->count;
	return t9_send(&x->c, &t);
}

static uint16_t
send_walk(struct fx *x)
{
	struct p9_msg t = { .type = P9_TWALK };
	static char d[] = "d", dotdot[] = "..";

	t.twalk.fid = ROOT;
	t.twalk.newfid = NEWFID;
	t.twalk.wname.n = 4;
	t.twalk.wname.s[0] = (struct p9_str){ d, 1 };
	t.twalk.wname.s[1] = (struct p9_str){ dotdot, 2 };
	t.twalk.wname.s[2] = (struct p9_str){ d, 1 };
	t.twalk.wname.s[3] = (struct p9_str){ dotdot, 2 };
	return t9_send(&x->c, &t);
}

/* A reply to the flushed request: check it is the whole, right answer. */
static void
check_original(struct fx *x, const struct p9_msg *r, bool is_read)
{
	if (is_read) {
		uint32_t off;

		assert_int_equal(r->type, P9_RREAD);
		assert_int_equal(r->rread.data.len, x->count);
		for (off = 0; off < x->count; off += 4093)
			assert_int_equal(r->rread.data.ptr[off], pattern(off));
		assert_int_equal(r->rread.data.ptr[x->count - 1], pattern(x->count - 1));
	} else {
		assert_int_equal(r->type, P9_RWALK);
		assert_int_equal(r->rwalk.wqid.n, 4);
	}
}

/*
 * 300 rounds of: Tread (count msize - 24) or Twalk, then at once Tflush
 * of it; then both replies. The request's reply, if any, precedes the
 * Rflush; a Twalk that was answered created newfid, one that was
 * cancelled did not.
 */
static void
test_flush_race(void **state)
{
	struct fx *x = *state;
	unsigned answered[2] = { 0, 0 }, cancelled[2] = { 0, 0 };
	int round;

	for (round = 0; round < ROUNDS; round++) {
		bool is_read = round % 2 == 0;
		uint16_t otag = is_read ? send_read(x) : send_walk(x);
		uint16_t ftag = send_flush(&x->c, otag);
		bool got_original = false;
		struct p9_msg r;
		uint16_t tag;

		/* The client core refuses a reply for otag once its Rflush is in. */
		while ((tag = t9_recv(&x->c, &r)) != ftag) {
			if (tag != otag)
				fail_msg("round %d: reply to unexpected tag %u", round, tag);
			if (got_original)
				fail_msg("round %d: two replies to tag %u", round, tag);
			got_original = true;
			check_original(x, &r, is_read);
		}
		assert_int_equal(r.type, P9_RFLUSH);
		if (got_original)
			answered[is_read]++;
		else
			cancelled[is_read]++;
		if (!is_read) {
			/* flush(5): a walk that answered happened, one that was
			 * cancelled never did. */
			assert_int_equal(t9_clunk(&x->c, NEWFID), got_original ? 0 : EBADF);
		}
		assert_int_equal(p9_client_inflight(x->c.cl), 0);
	}
	/* Nothing late in the pipe: the next reply is the next request's. */
	assert_int_equal(t9_clunk(&x->c, 77), EBADF);
	print_message("flush race, %d rounds: Tread answered then flushed %u, cancelled %u; "
	    "Twalk answered then flushed %u, cancelled %u\n", ROUNDS,
	    answered[1], cancelled[1], answered[0], cancelled[0]);
	assert_int_equal(answered[0] + answered[1] + cancelled[0] + cancelled[1], ROUNDS);
}

/*
 * Many requests queued at once, then a Tflush for each: with 4 workers
 * and 1 MiB reads most of them are still queued when their Tflush
 * arrives. Every Rflush comes; each read's reply, if any, precedes its
 * Rflush. The replies (up to 30 MiB) pass the server's limit of unread
 * reply bytes, so it stops reading from us with frames still in its
 * buffer, and must resume once we read.
 */
static void
test_flush_queued(void **state)
{
	enum { N = 30, BATCHES = 10 };
	struct fx *x = *state;
	unsigned answered = 0;
	int b, i;

	for (b = 0; b < BATCHES; b++) {
		uint16_t otags[N], ftags[N];
		bool got[N] = { false }, flushed[N] = { false };
		int nflushed = 0;

		for (i = 0; i < N; i++)
			otags[i] = send_read(x);
		for (i = 0; i < N; i++)
			ftags[i] = send_flush(&x->c, otags[i]);
		/* All 2N tags are distinct and none is reused: nothing new is sent. */
		while (nflushed < N) {
			struct p9_msg r;
			uint16_t tag = t9_recv(&x->c, &r);

			for (i = 0; i < N && tag != otags[i] && tag != ftags[i]; i++)
				;
			if (i == N)
				fail_msg("reply to unexpected tag %u", tag);
			if (tag == otags[i]) {
				if (got[i] || flushed[i])
					fail_msg("read %d: a reply %s", i,
					    got[i] ? "twice" : "after its Rflush");
				check_original(x, &r, true);
				got[i] = true;
				answered++;
			} else {
				assert_int_equal(r.type, P9_RFLUSH);
				assert_false(flushed[i]);
				flushed[i] = true;
				nflushed++;
			}
		}
		assert_int_equal(p9_client_inflight(x->c.cl), 0);
	}
	print_message("%d queued reads flushed: answered then flushed %u, cancelled %u\n",
	    N * BATCHES, answered, N * BATCHES - answered);
	assert_int_equal(t9_clunk(&x->c, 77), EBADF);
}

/* A Tflush for a request already answered, for a tag never used, for
 * NOTAG and for itself: Rflush at once, and nothing else changes. */
static void
test_flush_idle(void **state)
{
	struct fx *x = *state;
	struct p9_msg t, r;
	uint16_t tag;

	tag = send_walk(x);
	assert_int_equal(t9_recv(&x->c, &r), tag);
	assert_int_equal(r.type, P9_RWALK);
	t = (struct p9_msg){ .type = P9_TFLUSH };
	t.tflush.oldtag = tag;
	assert_int_equal(t9_rpc(&x->c, &t, &r), 0);
	assert_int_equal(r.type, P9_RFLUSH);
	/* The walk happened and stays done. */
	assert_int_equal(t9_clunk(&x->c, NEWFID), 0);

	t.tflush.oldtag = 4321;
	assert_int_equal(t9_rpc(&x->c, &t, &r), 0);
	assert_int_equal(r.type, P9_RFLUSH);
	t.tflush.oldtag = P9_NOTAG;
	assert_int_equal(t9_rpc(&x->c, &t, &r), 0);
	assert_int_equal(r.type, P9_RFLUSH);
	/* Nothing is outstanding, so the client core gives the Tflush the
	 * lowest tag, 0: a Tflush of itself. */
	t.tflush.oldtag = 0;
	assert_int_equal(t9_send(&x->c, &t), 0);
	assert_int_equal(t9_recv(&x->c, &r), 0);
	assert_int_equal(r.type, P9_RFLUSH);
	/* The connection goes on. */
	assert_int_equal(t9_read(&x->c, BIG, BIGSIZE - 3, (char[8]){ 0 }, 8), 3);
}

/*
 * Two Tflushes for one request, and a third flushing the second: the
 * request's reply (if any) first, then the Rflushes in the order sent.
 */
static void
test_flush_twice(void **state)
{
	struct fx *x = *state;
	unsigned answered = 0, cancelled = 0;
	int round;

	for (round = 0; round < 100; round++) {
		bool is_read = round % 2 == 0;
		uint16_t otag = is_read ? send_read(x) : send_walk(x);
		uint16_t f1 = send_flush(&x->c, otag);
		uint16_t f2 = send_flush(&x->c, otag);
		uint16_t f3 = send_flush(&x->c, f2);
		uint16_t order[3] = { f1, f2, f3 };
		bool got_original = false;
		struct p9_msg r;
		int next = 0;

		while (next < 3) {
			uint16_t tag = t9_recv(&x->c, &r);

			if (tag == otag && !got_original && next == 0) {
				got_original = true;
				check_original(x, &r, is_read);
				continue;
			}
			if (tag != order[next])
				fail_msg("round %d: got tag %u, expected the Rflush of tag %u "
				    "(flushes %u %u %u of %u)", round, tag, order[next], f1, f2,
				    f3, otag);
			assert_int_equal(r.type, P9_RFLUSH);
			next++;
		}
		if (got_original)
			answered++;
		else
			cancelled++;
		if (!is_read)
			assert_int_equal(t9_clunk(&x->c, NEWFID), got_original ? 0 : EBADF);
		assert_int_equal(p9_client_inflight(x->c.cl), 0);
	}
	print_message("double flush, 100 rounds: answered then flushed %u, cancelled %u\n",
	    answered, cancelled);
	assert_int_equal(t9_clunk(&x->c, 77), EBADF);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_flush_race, setup, teardown),
		cmocka_unit_test_setup_teardown(test_flush_queued, setup, teardown),
		cmocka_unit_test_setup_teardown(test_flush_idle, setup, teardown),
		cmocka_unit_test_setup_teardown(test_flush_twice, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
