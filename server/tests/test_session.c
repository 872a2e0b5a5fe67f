/*
 * p9d session behaviour: version, attach, auth, walk, clunk, flush,
 * malformed input and limits, driven over a Unix socket with lib9p's client.
 */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <cmocka.h>

#include "t9.h"

static struct t9srv S;

static int
start_default(void **state)
{
	(void)state;
	t9_start(&S, NULL);
	return 0;
}

static int
stop(void **state)
{
	(void)state;
	t9_stop(&S);
	return 0;
}

static void
test_version(void **state)
{
	struct t9c c;
	struct p9_msg t = { .type = P9_TVERSION }, r;

	(void)state;
	t9_connect_raw(&S, &c);
	/* flush(5): a Tflush gets Rflush, even before Tversion. */
	t = (struct p9_msg){ .type = P9_TFLUSH };
	t.tflush.oldtag = 3;
	assert_int_equal(t9_rpc(&c, &t, &r), 0);
	assert_int_equal(r.type, P9_RFLUSH);
	/* Anything else before Tversion: EPROTO. */
	t = (struct p9_msg){ .type = P9_TCLUNK };
	t.tclunk.fid = 1;
	assert_int_equal(t9_rpc(&c, &t, &r), EPROTO);
	/* An unknown version: Rversion "unknown", not an error. */
	t = (struct p9_msg){ .type = P9_TVERSION };
	t.tversion.msize = 8192;
	t.tversion.version = (struct p9_str){ "9P2000.u", 8 };
	assert_int_equal(t9_rpc(&c, &t, &r), 0);
	assert_true(p9_str_eq(r.rversion.version, "unknown"));
	/* msize below 4096: EMSGSIZE. */
	t.tversion.version = (struct p9_str){ P9_VERSION_L, 8 };
	t.tversion.msize = 4095;
	assert_int_equal(t9_rpc(&c, &t, &r), EMSGSIZE);
	/* The server caps msize (1 MiB by default) and never raises it. */
	t.tversion.msize = 0xffffffff;
	assert_int_equal(t9_rpc(&c, &t, &r), 0);
	assert_int_equal(r.rversion.msize, 1048576);
	t.tversion.msize = 8192;
	assert_int_equal(t9_rpc(&c, &t, &r), 0);
	assert_int_equal(r.rversion.msize, 8192);
	assert_true(p9_str_eq(r.rversion.version, P9_VERSION_L));
	/* A second Tversion clunks every fid. */
	assert_int_equal(t9_attach(&c, 0, "", 0, NULL), 0);
	assert_int_equal(t9_rpc(&c, &t, &r), 0);
	assert_int_equal(t9_clunk(&c, 0), EBADF);
	t9_close(&c);
}

static void
test_attach(void **state)
{
	struct t9c c;
	struct p9_msg t = { .type = P9_TATTACH }, r;
	struct p9_qid qid;

	(void)state;
	t9_connect(&S, &c, 0);
	assert_int_equal(t9_attach(&c, 0, "", getuid(), &qid), 0);
	assert_int_equal(qid.type, P9_QTDIR);
	/* fid in use. */
	assert_int_equal(t9_attach(&c, 0, "", getuid(), NULL), EINVAL);
	/* aname: the export's path works, anything else does not. */
	t.tattach.fid = 1;
	t.tattach.afid = P9_NOFID;
	t.tattach.n_uname = getuid();
	t.tattach.aname = (struct p9_str){ S.export, (uint16_t)strlen(S.export) };
	assert_int_equal(t9_rpc(&c, &t, &r), 0);
	assert_memory_equal(&r.rattach.qid.path, &qid.path, sizeof(qid.path));
	t.tattach.fid = 2;
	t.tattach.aname = (struct p9_str){ "/elsewhere", 10 };
	assert_int_equal(t9_rpc(&c, &t, &r), ENOENT);
	/* An afid without a Tauth behind it. */
	t.tattach.aname = (struct p9_str){ "", 0 };
	t.tattach.afid = 7;
	assert_int_equal(t9_rpc(&c, &t, &r), EBADF);
	/* No authentication is configured: Tauth is refused with ENOENT,
	 * which diod's clients take for "none needed". */
	t = (struct p9_msg){ .type = P9_TAUTH };
	t.tauth.afid = 5;
	t.tauth.n_uname = getuid();
	assert_int_equal(t9_rpc(&c, &t, &r), ENOENT);
	t9_close(&c);
}

static void
test_walk(void **state)
{
	struct t9c c;
	struct p9_msg t = { .type = P9_TWALK }, r;
	struct p9_qid root, q, q2;
	char path[64];
	int i;

	(void)state;
	assert_int_equal(mkdir(t9_path(&S, "a"), 0755), 0);
	assert_int_equal(mkdir(t9_path(&S, "a/b"), 0755), 0);
	t9_write_file(t9_path(&S, "a/b/f"), "x");
	assert_int_equal(symlink("b", t9_path(&S, "a/lnk")), 0);
	t9_connect(&S, &c, 0);
	assert_int_equal(t9_attach(&c, 0, "", getuid(), &root), 0);
	/* Clone with nwname 0. */
	assert_int_equal(t9_walk(&c, 0, 1, "", NULL), 0);
	assert_int_equal(t9_clunk(&c, 1), 0);
	/* A full walk. */
	assert_int_equal(t9_walk(&c, 0, 1, "a/b/f", &q), 0);
	assert_int_equal(q.type, P9_QTFILE);
	/* newfid in use. */
	assert_int_equal(t9_walk(&c, 0, 1, "a", NULL), EINVAL);
	/* First element missing: an error, newfid not created. */
	assert_int_equal(t9_walk(&c, 0, 2, "nope", NULL), ENOENT);
	assert_int_equal(t9_clunk(&c, 2), EBADF);
	/* A later element missing: a short Rwalk, newfid not created. */
	assert_int_equal(t9_walk(&c, 0, 2, "a/b/nope", NULL), -2);
	assert_int_equal(t9_clunk(&c, 2), EBADF);
	/* Through a file: ENOTDIR at the first element, short walk later. */
	assert_int_equal(t9_walk(&c, 1, 2, "x", NULL), ENOTDIR);
	/* Symlinks are not followed: a symlink qid, and no walking through. */
	assert_int_equal(t9_walk(&c, 0, 2, "a/lnk", &q2), 0);
	assert_int_equal(q2.type, P9_QTSYMLINK);
	assert_int_equal(t9_clunk(&c, 2), 0);
	assert_int_equal(t9_walk(&c, 0, 2, "a/lnk/f", NULL), -2);
	/* ".." at the root stays at the root, also in chains. */
	assert_int_equal(t9_walk(&c, 0, 2, "..", &q2), 0);
	assert_memory_equal(&q2.path, &root.path, sizeof(root.path));
	assert_int_equal(t9_clunk(&c, 2), 0);
	assert_int_equal(t9_walk(&c, 0, 2, "a/../../../..", &q2), 0);
	assert_memory_equal(&q2.path, &root.path, sizeof(root.path));
	assert_int_equal(t9_clunk(&c, 2), 0);
	assert_int_equal(t9_walk(&c, 0, 2, "a/b/../..", &q2), 0);
	assert_memory_equal(&q2.path, &root.path, sizeof(root.path));
	/* newfid == fid moves the fid itself. */
	assert_int_equal(t9_walk(&c, 2, 2, "a/b", &q2), 0);
	assert_int_equal(t9_walk(&c, 2, 3, "f", &q), 0);
	assert_int_equal(t9_clunk(&c, 3), 0);
	assert_int_equal(t9_clunk(&c, 2), 0);
	/* Names with '/' or empty are refused. */
	t.twalk.fid = 0;
	t.twalk.newfid = 2;
	t.twalk.wname.n = 1;
	t.twalk.wname.s[0] = (struct p9_str){ "a/b", 3 };
	assert_int_equal(t9_rpc(&c, &t, &r), ENOENT);
	t.twalk.wname.s[0] = (struct p9_str){ "", 0 };
	assert_int_equal(t9_rpc(&c, &t, &r), ENOENT);
	/* 16 names are fine ("." is the same directory). */
	path[0] = '\0';
	for (i = 0; i < 16; i++)
		strcat(path, i == 0 ? "a" : "/.");
	assert_int_equal(t9_walk(&c, 0, 2, path, NULL), 0);
	assert_int_equal(t9_clunk(&c, 2), 0);
	/* An unknown fid. */
	assert_int_equal(t9_walk(&c, 99, 2, "a", NULL), EBADF);
	assert_int_equal(t9_clunk(&c, 1), 0);
	assert_int_equal(t9_clunk(&c, 1), EBADF);
	t9_close(&c);
}

static void
test_walk_confined(void **state)
{
	struct t9c c;
	struct p9_qid q;

	(void)state;
	/* Symlinks out of the export, absolute and relative, and a chain. */
	assert_int_equal(symlink(S.outside, t9_path(&S, "abs")), 0);
	assert_int_equal(symlink("../outside", t9_path(&S, "rel")), 0);
	assert_int_equal(mkdir(t9_path(&S, "d"), 0755), 0);
	t9_connect(&S, &c, 0);
	assert_int_equal(t9_attach(&c, 0, "", getuid(), NULL), 0);
	/* The symlink itself is walked to (a short Rwalk of 1); nothing
	 * goes through it. */
	assert_int_equal(t9_walk(&c, 0, 1, "abs/secret", NULL), -1);
	assert_int_equal(t9_walk(&c, 0, 1, "rel/secret", NULL), -1);
	assert_int_equal(t9_walk(&c, 0, 1, "abs", &q), 0);
	assert_int_equal(q.type, P9_QTSYMLINK);
	assert_int_equal(t9_walk(&c, 1, 2, "secret", NULL), ENOTDIR);
	assert_int_equal(t9_clunk(&c, 1), 0);
	/* ".." chains end at the root, where "outside" does not exist. */
	assert_int_equal(t9_walk(&c, 0, 1, "d/../../outside/secret", NULL), -3);
	assert_int_equal(t9_walk(&c, 0, 1, "../outside", NULL), -1);
	/* A directory swapped for a symlink between two requests: the held
	 * fid keeps naming the real directory, a new walk sees a symlink. */
	assert_int_equal(t9_walk(&c, 0, 2, "d", NULL), 0);
	assert_int_equal(rename(t9_path(&S, "d"), t9_path(&S, "d.moved")), 0);
	assert_int_equal(symlink(S.outside, t9_path(&S, "d")), 0);
	t9_write_file(t9_path(&S, "d.moved/inner"), "in");
	assert_int_equal(t9_walk(&c, 2, 3, "inner", NULL), 0);
	assert_int_equal(t9_walk(&c, 2, 4, "secret", NULL), ENOENT);
	assert_int_equal(t9_walk(&c, 0, 4, "d/secret", NULL), -1);
	t9_close(&c);
}

static void
test_flush_and_garbage(void **state)
{
	struct t9c c, c2;
	struct p9_msg t = { .type = P9_TFLUSH }, r;
	/* nwname 17: a sane header, a malformed body. */
	uint8_t walk17[7 + 10 + 17 * 3];
	static const uint8_t rclunk[] = { 7, 0, 0, 0, P9_RCLUNK, 9, 0 };
	static const uint8_t type99[] = { 7, 0, 0, 0, 99, 9, 0 };
	static const uint8_t tiny[] = { 6, 0, 0, 0, P9_TCLUNK, 9 };
	size_t i;

	(void)state;
	t9_connect(&S, &c, 0);
	assert_int_equal(t9_attach(&c, 0, "", getuid(), NULL), 0);
	/* Flush of an unknown tag: Rflush at once, never an error. */
	t.tflush.oldtag = 1234;
	assert_int_equal(t9_rpc(&c, &t, &r), 0);
	assert_int_equal(r.type, P9_RFLUSH);
	/* Client-sent R-messages and unknown types: EOPNOTSUPP, and the
	 * connection goes on. */
	memset(walk17, 0, sizeof(walk17));
	walk17[0] = sizeof(walk17);
	walk17[4] = P9_TWALK;
	walk17[5] = 9;
	walk17[15] = 17;
	for (i = 17; i + 3 <= sizeof(walk17); i += 3)
		walk17[i] = 1, walk17[i + 2] = 'x';
	p9_client_reset(c.cl);
	for (i = 0; i < 3; i++) {
		const uint8_t *f = i == 0 ? rclunk : i == 1 ? type99 : walk17;
		size_t n = i == 0 ? sizeof(rclunk) : i == 1 ? sizeof(type99) : sizeof(walk17);
		uint8_t hdr[11];

		assert_int_equal(t9_send_raw(&c, f, n), 0);
		assert_int_equal(read(c.fd, hdr, sizeof(hdr)), 11);
		assert_int_equal(hdr[4], P9_RLERROR);
		assert_int_equal(hdr[7], i == 2 ? EINVAL : EOPNOTSUPP);
	}
	assert_int_equal(t9_clunk(&c, 0), 0);
	/* A frame below 7 bytes or above msize closes the connection. */
	assert_int_equal(t9_send_raw(&c, tiny, sizeof(tiny)), 0);
	assert_true(t9_wait_closed(&c));
	t9_close(&c);
	t9_connect(&S, &c2, 8192);
	{
		uint8_t big[16] = { 0x01, 0x20, 0, 0, P9_TWRITE };	/* size 8193 */

		assert_int_equal(t9_send_raw(&c2, big, sizeof(big)), 0);
		assert_true(t9_wait_closed(&c2));
	}
	t9_close(&c2);
	/* The server still serves new connections. */
	t9_connect(&S, &c, 0);
	assert_int_equal(t9_attach(&c, 0, "", getuid(), NULL), 0);
	t9_close(&c);
}

static void
test_pipelined(void **state)
{
	struct t9c c;
	struct p9_msg t, r;
	int seen[64] = { 0 };
	int i;

	(void)state;
	t9_connect(&S, &c, 0);
	assert_int_equal(t9_attach(&c, 0, "", getuid(), NULL), 0);
	/* 40 walks in flight at once; replies may come in any order. */
	for (i = 0; i < 40; i++) {
		t = (struct p9_msg){ .type = P9_TWALK };
		t.twalk.fid = 0;
		t.twalk.newfid = (uint32_t)(100 + i);
		t9_send(&c, &t);
	}
	for (i = 0; i < 40; i++) {
		uint16_t tag = t9_recv(&c, &r);

		assert_int_equal(r.type, P9_RWALK);
		assert_true(tag < 64);
		seen[tag]++;
	}
	for (i = 0; i < 40; i++)
		assert_int_equal(seen[i], 1);
	for (i = 0; i < 40; i++)
		assert_int_equal(t9_clunk(&c, (uint32_t)(100 + i)), 0);
	t9_close(&c);
}

/*
 * version(5): a Tversion aborts what is outstanding. Its Rversion comes
 * only once the aborted requests are over: no reply of the old session
 * after it, and no fid that an aborted Twalk was still making lingers in
 * the new session. Each round sends 8 walks, waits for some of their
 * replies (so that the rest are queued, running or replying), then sends
 * Tversion; after Rversion every old tag is forgotten (a late reply then
 * fails t9_recv), and the new session must be able to use every newfid.
 */
static void
test_version_aborts(void **state)
{
	struct t9c c;
	struct p9_msg t, r;
	unsigned round, i, seen_rversion = 0;

	(void)state;
	t9_connect(&S, &c, 0);
	for (round = 0; round < 300; round++) {
		uint16_t vtag = 0, tag;
		unsigned wait_for = round % 9, got = 0;

		assert_int_equal(t9_attach(&c, 0, "", getuid(), NULL), 0);
		for (i = 0; i < 8; i++) {
			t = (struct p9_msg){ .type = P9_TWALK };
			t.twalk.fid = 0;
			t.twalk.newfid = 10 + i;
			t9_send(&c, &t);
		}
		for (; got < wait_for; got++) {
			t9_recv(&c, &r);
			assert_int_equal(r.type, P9_RWALK);
		}
		t = (struct p9_msg){ .type = P9_TVERSION };
		t.tversion.msize = T9_MSIZE;
		t.tversion.version = (struct p9_str){ P9_VERSION_L, 8 };
		vtag = t9_send(&c, &t);
		/* Replies of walks that were already replying may come first;
		 * then the Rversion. */
		for (;;) {
			tag = t9_recv(&c, &r);
			if (tag == vtag)
				break;
			assert_int_equal(r.type, P9_RWALK);
			assert_true(++got <= 8);
		}
		assert_int_equal(r.type, P9_RVERSION);
		seen_rversion++;
		p9_client_reset(c.cl);
		/* The new session: no fid of the old one. */
		assert_int_equal(t9_clunk(&c, 0), EBADF);
		assert_int_equal(t9_attach(&c, 0, "", getuid(), NULL), 0);
		for (i = 0; i < 8; i++)
			assert_int_equal(t9_walk(&c, 0, 10 + i, "", NULL), 0);
		t = (struct p9_msg){ .type = P9_TVERSION };
		t.tversion.msize = T9_MSIZE;
		t.tversion.version = (struct p9_str){ P9_VERSION_L, 8 };
		assert_int_equal(t9_rpc(&c, &t, &r), 0);
	}
	assert_int_equal(seen_rversion, 300);
	t9_close(&c);
}

/* A client that sends its requests and then shuts down its sending side
 * still gets every reply, and then the server closes (this once hung:
 * nothing told the loop that the last request had finished). */
static void
test_half_close(void **state)
{
	struct t9c c;
	struct p9_msg t, r;
	int i;

	(void)state;
	t9_connect(&S, &c, 0);
	assert_int_equal(t9_attach(&c, 0, "", getuid(), NULL), 0);
	for (i = 0; i < 30; i++) {
		t = (struct p9_msg){ .type = P9_TWALK };
		t.twalk.fid = 0;
		t.twalk.newfid = (uint32_t)(10 + i);
		t9_send(&c, &t);
	}
	assert_int_equal(shutdown(c.fd, SHUT_WR), 0);
	for (i = 0; i < 30; i++) {
		t9_recv(&c, &r);
		assert_int_equal(r.type, P9_RWALK);
	}
	assert_true(t9_wait_closed(&c));
	t9_close(&c);
}

/* --stdio serves one connection over a pipe pair and exits 0 when the
 * peer closes it (inetd style; --fd is the same code with one socket). */
static void
test_stdio(void **state)
{
	static const uint8_t tversion[] = { 21, 0, 0, 0, P9_TVERSION, 0xff, 0xff,
	    0x00, 0x20, 0, 0, 8, 0, '9', 'P', '2', '0', '0', '0', '.', 'L' };
	const char *p9d = getenv("P9D");
	int to[2], from[2], status;
	uint8_t reply[64];
	size_t got = 0;
	pid_t pid;

	(void)state;
	assert_non_null(p9d);
	assert_int_equal(pipe(to), 0);
	assert_int_equal(pipe(from), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		dup2(to[0], 0);
		dup2(from[1], 1);
		close(to[1]);
		close(from[0]);
		execl(p9d, p9d, "-e", S.export, "--stdio", (char *)NULL);
		_exit(127);
	}
	close(to[0]);
	close(from[1]);
	assert_int_equal(write(to[1], tversion, sizeof(tversion)), (ssize_t)sizeof(tversion));
	while (got < 21) {
		ssize_t n = read(from[0], reply + got, sizeof(reply) - got);

		assert_true(n > 0);
		got += (size_t)n;
	}
	assert_int_equal(reply[4], P9_RVERSION);
	assert_memory_equal(reply + 13, "9P2000.L", 8);
	close(to[1]);	/* end of input: p9d answers what it has and exits */
	assert_int_equal(read(from[0], reply, sizeof(reply)), 0);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
	close(from[0]);
}

/* SIGTERM with requests in flight and replies unread: p9d finishes or
 * cancels them and exits 0 (t9_stop checks, bounded), leak-free under LSan. */
static void
test_sigterm_busy(void **state)
{
	struct t9c c;
	struct p9_msg t;
	int i;

	(void)state;
	t9_connect(&S, &c, 0);
	assert_int_equal(t9_attach(&c, 0, "", getuid(), NULL), 0);
	for (i = 0; i < 60; i++) {
		t = (struct p9_msg){ .type = P9_TWALK };
		t.twalk.fid = 0;
		t.twalk.newfid = (uint32_t)(10 + i);
		t9_send(&c, &t);
	}
	t9_stop(&S);
	t9_close(&c);
	t9_start(&S, NULL);	/* for the teardown's stop */
}

static void
test_limits(void **state)
{
	static const char *const args[] = { "--max-fids", "4", "--max-conns", "2",
	    "--max-inflight", "8", NULL };
	struct t9srv s2;
	struct t9c a, b, x;
	uint8_t frame[11] = { 11, 0, 0, 0, P9_TCLUNK, 0, 0, 0xff, 0xff, 0, 0 };
	int i, flooded = 0, replies = 0;

	(void)state;
	t9_start(&s2, args);
	t9_connect(&s2, &a, 0);
	/* Fids per connection: the fifth is EMFILE, the others still work. */
	assert_int_equal(t9_attach(&a, 0, "", getuid(), NULL), 0);
	for (i = 1; i < 4; i++)
		assert_int_equal(t9_walk(&a, 0, (uint32_t)i, "", NULL), 0);
	assert_int_equal(t9_walk(&a, 0, 4, "", NULL), EMFILE);
	assert_int_equal(t9_clunk(&a, 3), 0);
	assert_int_equal(t9_walk(&a, 0, 4, "", NULL), 0);
	/* Connections: the third is refused, the first two keep working. */
	t9_connect(&s2, &b, 0);
	t9_connect_raw(&s2, &x);
	assert_true(t9_wait_closed(&x));
	t9_close(&x);
	assert_int_equal(t9_attach(&b, 0, "", getuid(), NULL), 0);
	/* A client that floods requests without reading replies: the server
	 * stops reading from it (memory stays bounded) and serves the other. */
	fcntl(a.fd, F_SETFL, fcntl(a.fd, F_GETFL) | O_NONBLOCK);
	for (i = 0; i < 1000000; i++) {
		frame[5] = (uint8_t)i;
		frame[6] = (uint8_t)(i >> 8);
		if (write(a.fd, frame, sizeof(frame)) != (ssize_t)sizeof(frame))
			break;
		flooded++;
	}
	assert_true(flooded < 1000000);
	assert_int_equal(t9_walk(&b, 0, 1, "", NULL), 0);
	assert_int_equal(t9_clunk(&b, 1), 0);
	/* Every flooded request is answered once the client reads. */
	fcntl(a.fd, F_SETFL, fcntl(a.fd, F_GETFL) & ~O_NONBLOCK);
	for (replies = 0; replies < flooded; replies++) {
		uint8_t hdr[11];
		ssize_t got = 0;

		while (got < 11) {
			ssize_t n = read(a.fd, hdr + got, (size_t)(11 - got));

			assert_true(n > 0);
			got += n;
		}
		assert_int_equal(hdr[4], P9_RLERROR);	/* fid 0xffff: EBADF */
	}
	t9_close(&a);
	t9_close(&b);
	t9_stop(&s2);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_version, start_default, stop),
		cmocka_unit_test_setup_teardown(test_attach, start_default, stop),
		cmocka_unit_test_setup_teardown(test_walk, start_default, stop),
		cmocka_unit_test_setup_teardown(test_walk_confined, start_default, stop),
		cmocka_unit_test_setup_teardown(test_flush_and_garbage, start_default, stop),
		cmocka_unit_test_setup_teardown(test_pipelined, start_default, stop),
		cmocka_unit_test_setup_teardown(test_version_aborts, start_default, stop),
		cmocka_unit_test_setup_teardown(test_half_close, start_default, stop),
		cmocka_unit_test_setup_teardown(test_stdio, start_default, stop),
		cmocka_unit_test_setup_teardown(test_sigterm_busy, start_default, stop),
		cmocka_unit_test(test_limits),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
