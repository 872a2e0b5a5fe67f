/*
 * p9c, the blocking client (p9c.h), against a scripted server: a thread on
 * the other end of a socketpair (or of a Unix or TCP socket it accepts on)
 * that reads each request, checks its type, keeps its bytes and answers
 * with canned bytes, optionally late, cut in two, or followed by a close.
 * Every public function is called; the error paths are Rlerror, size
 * fields out of range, wrong tag and type, the peer closing mid-reply,
 * timeouts (with the late reply matched and dropped afterwards), and the
 * argument checks with their messages.
 */
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/un.h>

#include <cmocka.h>

#include "p9c.h"

#define MAXSTEPS	40
#define FRAMECAP	2048

struct step {
	uint8_t		 expect;	/* T type to read first; 0: read nothing */
	uint8_t		 reply[FRAMECAP];
	size_t		 len;		/* reply bytes to send */
	size_t		 split;		/* send this many, pause pause_ms, then the rest */
	int		 delay_ms;	/* before replying */
	int		 pause_ms;
	bool		 close;		/* close the connection after the reply */
};

struct fake {
	int		 fd;		/* the server's end */
	int		 lfd;		/* listening socket to accept on, or -1 */
	pthread_t	 th;
	int		 n;
	struct step	 steps[MAXSTEPS];
	uint8_t		 req[MAXSTEPS][FRAMECAP];	/* requests as received */
	size_t		 reqlen[MAXSTEPS];
	char		 bad[256];	/* first thing that went wrong, or "" */
};

static void
sleep_ms(int ms)
{
	struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) != 0)
		;
}

static bool
read_full(int fd, uint8_t *p, size_t n)
{
	while (n > 0) {
		ssize_t r = read(fd, p, n);

		if (r <= 0)
			return false;
		p += r;
		n -= (size_t)r;
	}
	return true;
}

static bool
write_full(int fd, const uint8_t *p, size_t n)
{
	while (n > 0) {
		ssize_t w = send(fd, p, n, MSG_NOSIGNAL);

		if (w <= 0)
			return false;
		p += w;
		n -= (size_t)w;
	}
	return true;
}

static void *
serve(void *arg)
{
	struct fake *f = arg;
	uint8_t sink[256];
	int i;

	if (f->lfd >= 0) {
		f->fd = accept(f->lfd, NULL, NULL);
		if (f->fd < 0) {
			snprintf(f->bad, sizeof(f->bad), "accept: %s", strerror(errno));
			return NULL;
		}
	}
	for (i = 0; i < f->n; i++) {
		struct step *s = &f->steps[i];

		if (s->expect != 0) {
			uint8_t *q = f->req[i];
			uint32_t size;

			if (!read_full(f->fd, q, 4)) {
				snprintf(f->bad, sizeof(f->bad), "step %d: no request", i);
				break;
			}
			size = (uint32_t)q[0] | (uint32_t)q[1] << 8 | (uint32_t)q[2] << 16 |
			    (uint32_t)q[3] << 24;
			if (size < 7 || size > FRAMECAP || !read_full(f->fd, q + 4, size - 4)) {
				snprintf(f->bad, sizeof(f->bad), "step %d: bad request size %u", i, size);
				break;
			}
			f->reqlen[i] = size;
			if (q[4] != s->expect) {
				snprintf(f->bad, sizeof(f->bad), "step %d: got type %u, expected %u", i,
				    q[4], s->expect);
				break;
			}
		}
		if (s->delay_ms > 0)
			sleep_ms(s->delay_ms);
		if (s->split > 0) {
			if (!write_full(f->fd, s->reply, s->split))
				break;
			sleep_ms(s->pause_ms);
			if (!write_full(f->fd, s->reply + s->split, s->len - s->split))
				break;
		} else if (s->len > 0 && !write_full(f->fd, s->reply, s->len)) {
			break;
		}
		if (s->close) {
			close(f->fd);
			f->fd = -1;
			return NULL;
		}
	}
	/* Hold the connection until the client closes it. */
	while (f->fd >= 0 && read(f->fd, sink, sizeof(sink)) > 0)
		;
	return NULL;
}

/* A scripted server on a socketpair; *client gets the other end. */
static struct fake *
fake_pair(int *client)
{
	struct fake *f = calloc(1, sizeof(*f));
	int sv[2];

	assert_non_null(f);
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
	f->fd = sv[0];
	f->lfd = -1;
	*client = sv[1];
	return f;
}

static void
fake_start(struct fake *f)
{
	assert_int_equal(pthread_create(&f->th, NULL, serve, f), 0);
}

/* Join the thread (the client must have closed its end) and check it. */
static void
fake_end(struct fake *f)
{
	pthread_join(f->th, NULL);
	if (f->fd >= 0)
		close(f->fd);
	if (f->lfd >= 0)
		close(f->lfd);
	if (f->bad[0] != '\0')
		fail_msg("fake server: %s", f->bad);
}

static struct step *
add_bytes(struct fake *f, uint8_t expect, const void *bytes, size_t len)
{
	struct step *s = &f->steps[f->n++];

	assert_true(f->n <= MAXSTEPS && len <= FRAMECAP);
	s->expect = expect;
	memcpy(s->reply, bytes, len);
	s->len = len;
	return s;
}

/* Read a request of type expect and answer nothing (yet). */
static struct step *
add_read(struct fake *f, uint8_t expect)
{
	return add_bytes(f, expect, "", 0);
}

/* Encode *m as the canned reply (its tag as given). */
static struct step *
add(struct fake *f, uint8_t expect, const struct p9_msg *m)
{
	struct step *s = &f->steps[f->n++];
	long n;

	assert_true(f->n <= MAXSTEPS);
	s->expect = expect;
	n = p9_msg_encode(m, s->reply, sizeof(s->reply));
	assert_true(n > 0);
	s->len = (size_t)n;
	return s;
}

static struct step *
add_version(struct fake *f, uint32_t msize, const char *version)
{
	struct p9_msg m = { .type = P9_RVERSION, .tag = P9_NOTAG };

	m.rversion.msize = msize;
	assert_int_equal(p9_str_set(&m.rversion.version, version), 0);
	return add(f, P9_TVERSION, &m);
}

static struct step *
add_empty(struct fake *f, uint8_t expect, uint8_t rtype, uint16_t tag)
{
	struct p9_msg m = { .type = rtype, .tag = tag };

	return add(f, expect, &m);
}

static struct step *
add_lerror(struct fake *f, uint8_t expect, uint32_t ecode)
{
	struct p9_msg m = { .type = P9_RLERROR, .tag = 0 };

	m.rlerror.ecode = ecode;
	return add(f, expect, &m);
}

static struct p9_qid
qid(uint8_t type, uint64_t path)
{
	return (struct p9_qid){ .type = type, .version = 1, .path = path };
}

static struct step *
add_walk(struct fake *f, unsigned nq, uint64_t path0)
{
	struct p9_msg m = { .type = P9_RWALK, .tag = 0 };
	unsigned i;

	m.rwalk.wqid.n = (uint16_t)nq;
	for (i = 0; i < nq; i++)
		m.rwalk.wqid.q[i] = qid(i + 1 < nq ? P9_QTDIR : P9_QTFILE, path0 + i);
	return add(f, P9_TWALK, &m);
}

static struct p9c *
adopt(int fd)
{
	struct p9c *c = p9c_new();

	assert_non_null(c);
	assert_int_equal(p9c_adopt(c, fd), 0);
	p9c_set_timeout(c, 10000);
	return c;
}

static void
has(const char *text, const char *want)
{
	if (strstr(text, want) == NULL)
		fail_msg("\"%s\" does not mention \"%s\"", text, want);
}

static uint32_t
le32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

/* ------------------------------------------------------------------------- */

static void
test_unconnected(void **state)
{
	struct p9c *c = p9c_new();
	struct p9_msg t = { .type = P9_TCLUNK }, r;
	const uint8_t *frame;
	uint32_t fid;

	(void)state;
	assert_non_null(c);
	assert_string_equal(p9c_error(c), "");
	assert_int_equal(p9c_fd(c), -1);
	assert_int_equal(p9c_msize(c), P9C_MSIZE);
	assert_int_equal(p9_client_inflight(p9c_core(c)), 0);
	assert_int_equal(p9c_version(c, 0), -ENOTCONN);
	has(p9c_error(c), "not connected");
	assert_int_equal(p9c_attach(c, "u", P9_NONUNAME, NULL, &fid, NULL), -ENOTCONN);
	assert_int_equal(p9c_rpc(c, &t, &r), -ENOTCONN);
	assert_int_equal(r.type, 0);
	assert_int_equal(p9c_send(c, &t), -ENOTCONN);
	assert_int_equal(p9c_recv(c, &r), -ENOTCONN);
	assert_int_equal(p9c_send_raw(c, "x", 1), -ENOTCONN);
	assert_int_equal(p9c_recv_raw(c, &frame), -ENOTCONN);
	assert_int_equal(p9c_detach(c), -ENOTCONN);
	assert_int_equal(p9c_adopt(c, -1), -EBADF);
	has(p9c_error(c), "fd -1");
	assert_int_equal(p9c_set_msize(c, 100), -EINVAL);
	has(p9c_error(c), "msize 100 out of range 256..1073741824");
	assert_int_equal(p9c_set_msize(c, P9C_MSIZE_MAX + 1u), -EINVAL);
	assert_int_equal(p9c_set_msize(c, 512), 0);
	assert_int_equal(p9c_msize(c), 512);
	p9c_close(c);
	p9c_close(NULL);
}

static void
test_dial_errors(void **state)
{
	struct p9c *c = p9c_new();
	char longpath[200];

	(void)state;
	assert_non_null(c);
	assert_int_equal(p9c_dial(c, "nocolon"), -EINVAL);
	has(p9c_error(c), "nocolon: not HOST:PORT");
	assert_int_equal(p9c_dial(c, "tcp:127.0.0.1:"), -EINVAL);
	assert_int_equal(p9c_dial(c, "tcp::564"), -EINVAL);
	assert_int_equal(p9c_dial(c, "tcp:127.0.0.1:0"), -EINVAL);
	has(p9c_error(c), "port 0 out of range 1..65535");
	assert_int_equal(p9c_dial(c, "127.0.0.1:70000"), -EINVAL);
	has(p9c_error(c), "127.0.0.1:70000: port 70000 out of range 1..65535");
	assert_int_equal(p9c_dial(c, "[::1:564"), -EINVAL);
	has(p9c_error(c), "unterminated");
	assert_int_equal(p9c_dial(c, "127.0.0.1:no-such-service-p9c"), -EHOSTUNREACH);
	has(p9c_error(c), "cannot resolve 127.0.0.1 port no-such-service-p9c");
	memset(longpath, 'a', sizeof(longpath));
	memcpy(longpath, "unix:/", 6);
	longpath[sizeof(longpath) - 1] = '\0';
	assert_int_equal(p9c_dial(c, longpath), -ENAMETOOLONG);
	has(p9c_error(c), "Unix socket path of 194 bytes, at most 107 allowed");
	assert_int_equal(p9c_dial(c, "unix:"), -EINVAL);
	assert_int_equal(p9c_dial(c, "unix:/nonexistent-p9c/sock"), -ENOENT);
	has(p9c_error(c), "unix:/nonexistent-p9c/sock: connect: ");
	assert_int_equal(p9c_dial(c, "/nonexistent-p9c/sock"), -ENOENT);
	assert_int_equal(p9c_fd(c), -1);
	/* A host name longer than any: refused before resolving. */
	{
		char host[400];

		memcpy(host, "tcp:", 4);
		memset(host + 4, 'h', 260);
		memcpy(host + 264, ":564", 5);
		assert_int_equal(p9c_dial(c, host), -EINVAL);
		has(p9c_error(c), "host name of 260 bytes, at most");
	}
	/* A bracketed IPv6 address nothing listens on (port 1): the
	 * connect error, or the socket's where IPv6 is off. */
	assert_true(p9c_dial(c, "tcp:[::1]:1") < 0);
	has(p9c_error(c), "tcp:[::1]:1: ");
	assert_int_equal(p9c_fd(c), -1);
	p9c_close(c);
}

/* A descriptor that is not a socket (a pipe): send/recv fall back to
 * write/read; reading the write end is an error that breaks the client. */
static void
test_pipe_fd(void **state)
{
	static const uint8_t tclunk[] = { 11, 0, 0, 0, P9_TCLUNK, 1, 0, 5, 0, 0, 0 };
	struct p9c *c = p9c_new();
	const uint8_t *f;
	uint8_t buf[16];
	int p[2];

	(void)state;
	assert_non_null(c);
	assert_int_equal(pipe(p), 0);
	assert_int_equal(p9c_adopt(c, p[1]), 0);
	assert_int_equal(p9c_send_raw(c, tclunk, sizeof(tclunk)), 0);
	assert_int_equal(read(p[0], buf, sizeof(buf)), (ssize_t)sizeof(tclunk));
	assert_memory_equal(buf, tclunk, sizeof(tclunk));
	assert_true(p9c_recv_raw(c, &f) < 0);
	has(p9c_error(c), "receiving: ");
	close(p[0]);
	p9c_close(c);
}

/* Strings above 65535 bytes are refused before anything is sent. */
static void
test_long_strings(void **state)
{
	struct p9c *c = p9c_new();
	const char *names[1];
	char *big = malloc(70000);
	uint32_t fid;

	(void)state;
	assert_non_null(c);
	assert_non_null(big);
	memset(big, 'x', 69999);
	big[69999] = '\0';
	names[0] = big;
	assert_int_equal(p9c_walk(c, 0, 1, names, &fid, NULL), -ENAMETOOLONG);
	has(p9c_error(c), "Twalk: name 1 of 69999 bytes, at most 65535 allowed");
	assert_int_equal(p9c_walk_path(c, 0, big, &fid, NULL), -ENAMETOOLONG);
	has(p9c_error(c), "Twalk: a name of 69999 bytes");
	assert_int_equal(p9c_attach(c, big, P9_NONUNAME, NULL, &fid, NULL), -ENAMETOOLONG);
	has(p9c_error(c), "uname of 69999 bytes, at most 65535 allowed");
	assert_int_equal(p9c_create(c, 0, big, P9_DOTL_RDWR, 0644, 0, NULL, NULL), -ENAMETOOLONG);
	has(p9c_error(c), "Tlcreate: name of 69999 bytes");
	free(big);
	p9c_close(c);
}

/* Tversion then Tattach, the script of the dial tests. */
static void
script_hello(struct fake *f)
{
	struct p9_msg m = { .type = P9_RATTACH, .tag = 0 };

	add_version(f, 8192, P9_VERSION_L);
	m.rattach.qid = qid(P9_QTDIR, 1);
	add(f, P9_TATTACH, &m);
}

static void
hello(struct p9c *c)
{
	struct p9_qid q;
	uint32_t fid = 99;

	assert_int_equal(p9c_version(c, 8192), 0);
	assert_int_equal(p9c_attach(c, "me", 1000, "/srv", &fid, &q), 0);
	assert_int_equal(fid, 0);
	assert_int_equal(q.type, P9_QTDIR);
	assert_int_equal(q.path, 1);
}

static void
test_dial_unix(void **state)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	char dir[] = "/tmp/p9c.XXXXXX", path[64], addr[80];
	int round;

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/sock", dir);
	memcpy(sun.sun_path, path, strlen(path) + 1);
	for (round = 0; round < 2; round++) {
		struct fake *f = calloc(1, sizeof(*f));
		struct p9c *c = p9c_new();

		assert_non_null(f);
		assert_non_null(c);
		f->fd = -1;
		f->lfd = socket(AF_UNIX, SOCK_STREAM, 0);
		unlink(path);
		assert_int_equal(bind(f->lfd, (struct sockaddr *)&sun, sizeof(sun)), 0);
		assert_int_equal(listen(f->lfd, 1), 0);
		script_hello(f);
		fake_start(f);
		/* "unix:PATH" and a bare path. */
		snprintf(addr, sizeof(addr), "%s%s", round == 0 ? "unix:" : "", path);
		assert_int_equal(p9c_dial(c, addr), 0);
		assert_true(p9c_fd(c) >= 0);
		assert_int_equal(p9c_dial(c, addr), -EISCONN);
		has(p9c_error(c), "already connected");
		assert_int_equal(p9c_adopt(c, 0), -EISCONN);
		hello(c);
		p9c_close(c);
		fake_end(f);
		free(f);
	}
	unlink(path);
	rmdir(dir);
}

static void
test_dial_tcp(void **state)
{
	int round;

	(void)state;
	for (round = 0; round < 2; round++) {
		struct sockaddr_in sin = { .sin_family = AF_INET };
		socklen_t len = sizeof(sin);
		struct fake *f = calloc(1, sizeof(*f));
		struct p9c *c = p9c_new();
		char addr[64];

		assert_non_null(f);
		assert_non_null(c);
		f->fd = -1;
		f->lfd = socket(AF_INET, SOCK_STREAM, 0);
		sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		assert_int_equal(bind(f->lfd, (struct sockaddr *)&sin, sizeof(sin)), 0);
		assert_int_equal(listen(f->lfd, 1), 0);
		assert_int_equal(getsockname(f->lfd, (struct sockaddr *)&sin, &len), 0);
		script_hello(f);
		fake_start(f);
		snprintf(addr, sizeof(addr), "%s127.0.0.1:%u", round == 0 ? "tcp:" : "",
		    ntohs(sin.sin_port));
		assert_int_equal(p9c_dial(c, addr), 0);
		hello(c);
		p9c_close(c);
		fake_end(f);
		free(f);
	}
}

static void
test_version(void **state)
{
	static const uint8_t want[] = {
		21, 0, 0, 0, P9_TVERSION, 0xff, 0xff, 0x00, 0x20, 0, 0,
		8, 0, '9', 'P', '2', '0', '0', '0', '.', 'L',
	};
	static const uint8_t rversion[] = {
		21, 0, 0, 0, P9_RVERSION, 0xff, 0xff, 0x00, 0x10, 0, 0,
		8, 0, '9', 'P', '2', '0', '0', '0', '.', 'L',
	};
	struct fake *f;
	struct p9c *c;
	int fd;

	(void)state;
	f = fake_pair(&fd);
	add_bytes(f, P9_TVERSION, rversion, sizeof(rversion));	/* msize 4096 */
	add_version(f, 8192, "unknown");
	add_version(f, 100, P9_VERSION_L);
	add_version(f, 65536, P9_VERSION_L);	/* above the proposal: ignored */
	fake_start(f);
	c = adopt(fd);
	assert_int_equal(p9c_fd(c), fd);
	assert_int_equal(p9c_version(c, 100), -EINVAL);
	has(p9c_error(c), "msize 100 out of range 256..1073741824");
	assert_int_equal(p9c_version(c, 8192), 0);
	assert_int_equal(p9c_msize(c), 4096);
	assert_int_equal(p9c_version(c, 8192), -EPROTONOSUPPORT);
	has(p9c_error(c), "the server answered \"unknown\", not 9P2000.L");
	assert_int_equal(p9c_version(c, 8192), -EPROTO);
	has(p9c_error(c), "msize 100 is below the 256");
	assert_int_equal(p9c_set_msize(c, 16384), 0);
	assert_int_equal(p9c_version(c, 0), 0);	/* proposes the limit, 16384 */
	assert_int_equal(p9c_msize(c), 16384);
	p9c_close(c);
	fake_end(f);
	assert_int_equal(f->reqlen[0], sizeof(want));
	assert_memory_equal(f->req[0], want, sizeof(want));
	assert_int_equal(le32(f->req[3] + 7), 16384);
	free(f);
}

static void
test_attach_walk_clunk(void **state)
{
	static const char *const two[] = { "usr", "bin" };
	const char *many[20];
	struct p9_qid qs[20], q = { 0 };
	struct p9_msg m;
	struct fake *f;
	struct p9c *c;
	uint32_t root, a, b, d, e;
	int fd, i;

	(void)state;
	for (i = 0; i < 20; i++)
		many[i] = "d";
	f = fake_pair(&fd);
	add_version(f, 8192, P9_VERSION_L);
	m = (struct p9_msg){ .type = P9_RATTACH, .tag = 0 };
	m.rattach.qid = qid(P9_QTDIR, 1);
	add(f, P9_TATTACH, &m);		/* 1: root = fid 0 */
	add_walk(f, 2, 10);		/* 2: usr/bin: fid 1 */
	add_walk(f, 3, 20);		/* 3: a/b//c/: fid 2 */
	add_walk(f, 1, 30);		/* 4: x/missing: partial, fid 3 not made */
	add_lerror(f, P9_TWALK, 2);	/* 5: missing: ENOENT */
	add_walk(f, 0, 0);		/* 6: clone: fid 3 */
	add_empty(f, P9_TCLUNK, P9_RCLUNK, 0);	/* 7: clunk 1 */
	add_walk(f, 16, 100);		/* 8: 20 names: fid 1 again, 16 ... */
	add_walk(f, 4, 116);		/* 9: ... then 4 in place */
	add_walk(f, 16, 200);		/* 10: 20 names again: fid 4, 16 ... */
	add_walk(f, 2, 216);		/* 11: ... then 2 of 4: ENOENT */
	add_empty(f, P9_TCLUNK, P9_RCLUNK, 0);	/* 12: clunk of the half-walked fid 4 */
	add_lerror(f, P9_TCLUNK, 9);	/* 13: clunk 3: EBADF, gone anyway */
	add_walk(f, 0, 0);		/* 14: clone: fid 3 again */
	fake_start(f);
	c = adopt(fd);
	assert_int_equal(p9c_version(c, 8192), 0);
	assert_int_equal(p9c_attach(c, NULL, P9_NONUNAME, NULL, &root, NULL), 0);
	assert_int_equal(root, 0);
	assert_int_equal(p9c_walk(c, root, 2, two, &a, qs), 0);
	assert_int_equal(a, 1);
	assert_int_equal(qs[0].path, 10);
	assert_int_equal(qs[1].path, 11);
	assert_int_equal(p9c_walk_path(c, root, "a/b//c/", &b, &q), 0);
	assert_int_equal(b, 2);
	assert_int_equal(q.path, 22);
	assert_int_equal(p9c_walk_path(c, root, "x/missing", &d, &q), -ENOENT);
	has(p9c_error(c), "name 2 (\"missing\") not found");
	assert_int_equal(p9c_walk_path(c, root, "missing", &d, NULL), -ENOENT);
	has(p9c_error(c), "No such file or directory (ENOENT)");
	q.path = 777;
	assert_int_equal(p9c_walk_path(c, root, "/", &d, &q), 0);
	assert_int_equal(d, 3);
	assert_int_equal(q.path, 777);	/* a clone leaves *qid alone */
	assert_int_equal(p9c_clunk(c, a), 0);
	assert_int_equal(p9c_walk(c, root, 20, many, &a, qs), 0);
	assert_int_equal(a, 1);
	assert_int_equal(qs[0].path, 100);
	assert_int_equal(qs[19].path, 119);
	assert_int_equal(p9c_walk(c, root, 20, many, &e, NULL), -ENOENT);
	has(p9c_error(c), "name 19 (\"d\") not found");
	assert_int_equal(p9c_clunk(c, d), -EBADF);
	assert_int_equal(p9c_walk(c, root, 0, NULL, &e, NULL), 0);
	assert_int_equal(e, 3);
	p9c_close(c);
	fake_end(f);
	/* Tattach fid 0 afid NOFID uname "" aname "" n_uname NONUNAME. */
	assert_int_equal(le32(f->req[1] + 7), 0);
	assert_int_equal(le32(f->req[1] + 11), P9_NOFID);
	assert_int_equal(f->reqlen[1], 7 + 4 + 4 + 2 + 2 + 4);
	/* Twalk 0 -> 2, three names. */
	assert_int_equal(le32(f->req[3] + 11), 2);
	assert_int_equal(f->req[3][15], 3);
	/* The long walk: 0 -> 1 (16 names), then 1 -> 1 (4). */
	assert_int_equal(le32(f->req[8] + 7), 0);
	assert_int_equal(le32(f->req[8] + 11), 1);
	assert_int_equal(f->req[8][15], 16);
	assert_int_equal(le32(f->req[9] + 7), 1);
	assert_int_equal(le32(f->req[9] + 11), 1);
	assert_int_equal(f->req[9][15], 4);
	assert_int_equal(le32(f->req[12] + 7), 4);
	free(f);
}

static void
test_open_create_getattr(void **state)
{
	struct p9_rgetattr ga;
	struct p9_msg m;
	struct p9_qid q;
	struct fake *f;
	struct p9c *c;
	uint32_t iounit = 0;
	int fd;

	(void)state;
	f = fake_pair(&fd);
	m = (struct p9_msg){ .type = P9_RLOPEN, .tag = 0 };
	m.rlopen.qid = qid(P9_QTFILE, 5);
	m.rlopen.iounit = 4000;
	add(f, P9_TLOPEN, &m);
	m = (struct p9_msg){ .type = P9_RLCREATE, .tag = 0 };
	m.rlcreate.qid = qid(P9_QTFILE, 6);
	m.rlcreate.iounit = 123;
	add(f, P9_TLCREATE, &m);
	m = (struct p9_msg){ .type = P9_RGETATTR, .tag = 0 };
	m.rgetattr.valid = P9_GETATTR_BASIC;
	m.rgetattr.size = 12345;
	m.rgetattr.mode = 0100644;
	add(f, P9_TGETATTR, &m);
	add_lerror(f, P9_TLOPEN, 13);
	fake_start(f);
	c = adopt(fd);
	assert_int_equal(p9c_open(c, 7, P9_DOTL_RDWR, &q, &iounit), 0);
	assert_int_equal(q.path, 5);
	assert_int_equal(iounit, 4000);
	assert_int_equal(p9c_create(c, 7, "new", P9_DOTL_WRONLY | P9_DOTL_CREATE, 0640, 50, &q,
	    &iounit), 0);
	assert_int_equal(q.path, 6);
	assert_int_equal(iounit, 123);
	assert_int_equal(p9c_getattr(c, 7, P9_GETATTR_ALL, &ga), 0);
	assert_int_equal(ga.size, 12345);
	assert_int_equal(ga.mode, 0100644);
	assert_int_equal(p9c_open(c, 7, 0, NULL, NULL), -EACCES);
	has(p9c_error(c), "Tlopen: Permission denied (EACCES)");
	p9c_close(c);
	fake_end(f);
	/* Tlopen fid 7 flags 2; Tlcreate fid name flags mode gid; Tgetattr mask. */
	assert_int_equal(le32(f->req[0] + 7), 7);
	assert_int_equal(le32(f->req[0] + 11), P9_DOTL_RDWR);
	assert_int_equal(f->reqlen[1], 7 + 4 + 2 + 3 + 4 + 4 + 4);
	assert_memory_equal(f->req[1] + 13, "new", 3);
	assert_int_equal(le32(f->req[1] + 16), P9_DOTL_WRONLY | P9_DOTL_CREATE);
	assert_int_equal(le32(f->req[1] + 20), 0640);
	assert_int_equal(le32(f->req[1] + 24), 50);
	assert_int_equal(le32(f->req[2] + 11), (uint32_t)P9_GETATTR_ALL);
	free(f);
}

static void
add_rread(struct fake *f, const uint8_t *data, uint32_t n)
{
	struct p9_msg m = { .type = P9_RREAD, .tag = 0 };

	m.rread.data = (struct p9_data){ data, n };
	add(f, P9_TREAD, &m);
}

static void
add_rwrite(struct fake *f, uint32_t n)
{
	struct p9_msg m = { .type = P9_RWRITE, .tag = 0 };

	m.rwrite.count = n;
	add(f, P9_TWRITE, &m);
}

/* msize 256: Treads and Twrites of at most 232 bytes. */
static void
test_read_write(void **state)
{
	uint8_t data[1000], buf[1000];
	struct fake *f;
	struct p9c *c;
	int fd, i;

	(void)state;
	for (i = 0; i < (int)sizeof(data); i++)
		data[i] = (uint8_t)(i * 13 + 1);
	f = fake_pair(&fd);
	add_version(f, 256, P9_VERSION_L);
	add_rread(f, data, 232);
	add_rread(f, data + 232, 232);
	add_rread(f, data + 464, 100);	/* short: end of file */
	add_rread(f, data, 0);		/* at end of file */
	add_rread(f, data, 233);	/* more than asked */
	add_lerror(f, P9_TREAD, 5);
	add_rread(f, data, 232);	/* then EIO after some bytes */
	add_lerror(f, P9_TREAD, 5);
	add_rwrite(f, 232);
	add_rwrite(f, 100);		/* partial: the rest is sent again */
	add_rwrite(f, 132);		/* of 168 */
	add_rwrite(f, 36);
	add_rwrite(f, 0);
	add_rwrite(f, 10);		/* more than sent */
	add_lerror(f, P9_TWRITE, 28);
	fake_start(f);
	c = adopt(fd);
	assert_int_equal(p9c_version(c, 256), 0);
	assert_int_equal(p9c_read(c, 3, 1000, buf, 600), 564);
	assert_memory_equal(buf, data, 564);
	assert_int_equal(p9c_read(c, 3, 1564, buf, 600), 0);
	assert_int_equal(p9c_read(c, 3, 0, buf, 10), -EPROTO);
	has(p9c_error(c), "Rread of 233 bytes for a count of 10");
	assert_int_equal(p9c_read(c, 3, 0, buf, 10), -EIO);
	assert_int_equal(p9c_read(c, 3, 0, buf, 600), 232);
	assert_int_equal(p9c_write(c, 3, 50, data, 500), 500);
	assert_int_equal(p9c_write(c, 3, 0, data, 5), -EIO);
	has(p9c_error(c), "the server wrote 0 of 5 bytes");
	assert_int_equal(p9c_write(c, 3, 0, data, 5), -EPROTO);
	has(p9c_error(c), "Rwrite count 10 above the 5 bytes sent");
	assert_int_equal(p9c_write(c, 3, 0, data, 5), -ENOSPC);
	p9c_close(c);
	fake_end(f);
	/* Treads: offsets 1000, 1232, 1464, counts 232, 232, 136. */
	assert_int_equal(le32(f->req[1] + 11), 1000);
	assert_int_equal(le32(f->req[1] + 19), 232);
	assert_int_equal(le32(f->req[2] + 11), 1232);
	assert_int_equal(le32(f->req[3] + 11), 1464);
	assert_int_equal(le32(f->req[3] + 19), 136);
	/* Twrites: 232 at 50, 232 at 282 (100 taken), 168 at 382 (132 taken),
	 * 36 at 514. */
	assert_int_equal(le32(f->req[9] + 11), 50);
	assert_int_equal(le32(f->req[9] + 19), 232);
	assert_memory_equal(f->req[9] + 23, data, 232);
	assert_int_equal(le32(f->req[10] + 11), 282);
	assert_int_equal(le32(f->req[11] + 11), 382);
	assert_int_equal(le32(f->req[11] + 19), 168);
	assert_memory_equal(f->req[11] + 23, data + 332, 168);
	assert_int_equal(le32(f->req[12] + 11), 514);
	assert_int_equal(le32(f->req[12] + 19), 36);
	free(f);
}

static void
add_rreaddir(struct fake *f, const char *const *names, unsigned n, uint64_t off0)
{
	struct p9_msg m = { .type = P9_RREADDIR, .tag = 0 };
	static uint8_t payload[8][FRAMECAP];
	static int next;
	uint8_t *p = payload[next++ % 8];
	uint32_t used = 0;
	unsigned i;

	for (i = 0; i < n; i++) {
		struct p9_dirent d = { .qid = qid(P9_QTFILE, off0 + i), .offset = off0 + i + 1,
		    .type = 8 };

		assert_int_equal(p9_str_set(&d.name, names[i]), 0);
		assert_int_equal(p9_dirent_put(p, FRAMECAP, &used, &d), 0);
	}
	m.rreaddir.data = (struct p9_data){ p, used };
	add(f, P9_TREADDIR, &m);
}

static void
test_readdir(void **state)
{
	static const char *const first[] = { ".", "..", "alpha" };
	static const char *const second[] = { "beta" };
	struct p9_dirent ent;
	struct p9c_dir *d = NULL;
	struct p9_msg m;
	struct fake *f;
	struct p9c *c;
	int fd;

	(void)state;
	f = fake_pair(&fd);
	add_rreaddir(f, first, 3, 0);
	m = (struct p9_msg){ .type = P9_RGETATTR, .tag = 0 };
	add(f, P9_TGETATTR, &m);	/* between entries: the names stay valid */
	add_rreaddir(f, second, 1, 3);
	add_rreaddir(f, NULL, 0, 0);
	add_lerror(f, P9_TREADDIR, 20);	/* ENOTDIR */
	fake_start(f);
	c = adopt(fd);
	assert_int_equal(p9c_opendir(c, 4, &d), 0);
	assert_int_equal(p9c_readdir(d, &ent), 1);
	assert_true(p9_str_eq(ent.name, "."));
	assert_int_equal(p9c_readdir(d, &ent), 1);
	assert_true(p9_str_eq(ent.name, ".."));
	assert_int_equal(p9c_getattr(c, 4, P9_GETATTR_BASIC, NULL), 0);
	assert_true(p9_str_eq(ent.name, ".."));
	assert_int_equal(p9c_readdir(d, &ent), 1);
	assert_true(p9_str_eq(ent.name, "alpha"));
	assert_int_equal(ent.offset, 3);
	assert_int_equal(ent.type, 8);
	assert_int_equal(p9c_readdir(d, &ent), 1);
	assert_true(p9_str_eq(ent.name, "beta"));
	assert_int_equal(ent.qid.path, 3);
	assert_int_equal(p9c_readdir(d, &ent), 0);
	assert_int_equal(p9c_readdir(d, &ent), 0);	/* stays at the end, sends nothing */
	p9c_closedir(d);
	p9c_closedir(NULL);
	assert_int_equal(p9c_opendir(c, 9, &d), 0);
	assert_int_equal(p9c_readdir(d, &ent), -ENOTDIR);
	p9c_closedir(d);
	p9c_close(c);
	fake_end(f);
	/* Treaddir fid 4 offset 0, then offset 3 (alpha's cookie); count msize - 24. */
	assert_int_equal(le32(f->req[0] + 7), 4);
	assert_int_equal(le32(f->req[0] + 11), 0);
	assert_int_equal(le32(f->req[0] + 19), P9C_MSIZE - P9_READDIRHDRSZ);
	assert_int_equal(le32(f->req[2] + 11), 3);
	assert_int_equal(le32(f->req[3] + 11), 4);
	free(f);
}

static void
test_rlerror(void **state)
{
	struct p9_msg t = { .type = P9_TCLUNK }, r;
	struct fake *f;
	struct p9c *c;
	int fd;

	(void)state;
	f = fake_pair(&fd);
	add_lerror(f, P9_TCLUNK, 2);
	add_lerror(f, P9_TCLUNK, 0);
	add_lerror(f, P9_TCLUNK, 0x80000000u);
	add_lerror(f, P9_TCLUNK, 4000);	/* no errno name: still -4000 */
	fake_start(f);
	c = adopt(fd);
	t.tclunk.fid = 1;
	assert_int_equal(p9c_rpc(c, &t, &r), -ENOENT);
	assert_int_equal(r.type, P9_RLERROR);
	assert_int_equal(r.rlerror.ecode, ENOENT);
	has(p9c_error(c), "Tclunk: No such file or directory (ENOENT)");
	assert_int_equal(p9c_rpc(c, &t, &r), -EIO);
	has(p9c_error(c), "Rlerror with ecode 0");
	assert_int_equal(p9c_rpc(c, &t, &r), -EIO);
	has(p9c_error(c), "ecode 2147483648 (valid: 1..2147483647)");
	assert_int_equal(p9c_rpc(c, &t, &r), -4000);
	has(p9c_error(c), "unknown errno");
	p9c_close(c);
	fake_end(f);
	free(f);
}

/* A size field below 7 or above msize: the stream is lost, the connection
 * broken for good. */
static void
test_bad_size(void **state)
{
	static const uint8_t tiny[] = { 5, 0, 0, 0, P9_RCLUNK };
	static const uint8_t huge[] = { 0x01, 0x20, 0, 0, P9_RREAD, 0, 0 };	/* 8193 */
	int round;

	(void)state;
	for (round = 0; round < 2; round++) {
		struct p9_msg t = { .type = P9_TCLUNK }, r;
		struct fake *f;
		struct p9c *c;
		int fd;

		f = fake_pair(&fd);
		add_version(f, 8192, P9_VERSION_L);
		if (round == 0)
			add_bytes(f, P9_TCLUNK, tiny, sizeof(tiny));
		else
			add_bytes(f, P9_TCLUNK, huge, sizeof(huge));
		fake_start(f);
		c = adopt(fd);
		assert_int_equal(p9c_version(c, 8192), 0);
		assert_int_equal(p9c_rpc(c, &t, &r), -EPROTO);
		has(p9c_error(c), round == 0 ? "reply size field 5 below the 7-byte header" :
		    "reply size field 8193 above the 8192-byte msize");
		assert_int_equal(p9c_clunk(c, 1), -EPROTO);
		has(p9c_error(c), "connection unusable: reply size field");
		assert_int_equal(p9c_send_raw(c, tiny, sizeof(tiny)), -EPROTO);
		p9c_close(c);
		fake_end(f);
		free(f);
	}
}

/* Wrong tag, wrong type, undecodable, exactly msize: the frame is dropped,
 * the connection goes on. */
static void
test_bad_reply(void **state)
{
	static const uint8_t badbody[] = { 8, 0, 0, 0, P9_RCLUNK, 0, 0, 0 };	/* trailing */
	struct p9_msg t = { .type = P9_TCLUNK }, r;
	uint8_t full[256] = { 0 };
	struct fake *f;
	struct p9c *c;
	int fd;

	(void)state;
	full[0] = 0;
	full[1] = 1;		/* size 256 = msize */
	full[4] = P9_RREAD;
	full[7] = 256 - 11;
	f = fake_pair(&fd);
	add_version(f, 256, P9_VERSION_L);
	add_empty(f, P9_TCLUNK, P9_RCLUNK, 7);	/* tag 7: nobody's */
	add_empty(f, 0, P9_RCLUNK, 0);		/* then the right one */
	add_empty(f, P9_TCLUNK, P9_RGETATTR, 0);	/* a type that does not answer */
	add_empty(f, 0, P9_RCLUNK, 0);
	add_bytes(f, P9_TCLUNK, badbody, sizeof(badbody));
	add_empty(f, 0, P9_RCLUNK, 0);
	add_bytes(f, P9_TREAD, full, sizeof(full));
	add_rread(f, full, 3);
	f->steps[f->n - 1].expect = 0;
	fake_start(f);
	c = adopt(fd);
	assert_int_equal(p9c_version(c, 256), 0);
	t.tclunk.fid = 1;
	assert_int_equal(p9c_rpc(c, &t, &r), -EPROTO);
	has(p9c_error(c), "reply Rclunk with tag 7, which no outstanding request has");
	assert_int_equal(p9c_recv(c, &r), 0);	/* the real reply, still awaited */
	assert_int_equal(r.type, P9_RCLUNK);
	assert_int_equal(p9c_rpc(c, &t, &r), -EPROTO);
	has(p9c_error(c), "reply Rgetattr (type 25) to tag 0 does not answer its request");
	assert_int_equal(p9c_recv(c, &r), 0);
	assert_int_equal(p9c_rpc(c, &t, &r), -EPROTO);
	has(p9c_error(c), "undecodable reply Rclunk of 8 bytes");
	assert_int_equal(p9c_recv(c, &r), 0);
	assert_int_equal(p9c_read(c, 1, 0, full, 200), -EPROTO);
	has(p9c_error(c), "reply of 256 bytes not below the 256-byte msize");
	assert_int_equal(p9c_recv(c, &r), 0);
	assert_int_equal(r.type, P9_RREAD);
	p9c_close(c);
	fake_end(f);
	free(f);
}

static void
test_peer_close(void **state)
{
	int round;

	(void)state;
	for (round = 0; round < 2; round++) {
		struct fake *f;
		struct p9c *c;
		struct step *s;
		int fd;

		f = fake_pair(&fd);
		s = add_empty(f, P9_TCLUNK, P9_RCLUNK, 0);
		s->len = round == 0 ? 0 : 5;
		s->close = true;
		fake_start(f);
		c = adopt(fd);
		assert_int_equal(p9c_clunk(c, 1), -ECONNRESET);
		has(p9c_error(c), round == 0 ? "the server closed the connection" :
		    "the server closed the connection after 5 bytes of a reply");
		assert_int_equal(p9c_clunk(c, 1), -ECONNRESET);
		has(p9c_error(c), "connection unusable");
		p9c_close(c);
		fake_end(f);
		free(f);
	}
}

static void
test_timeout(void **state)
{
	struct p9_msg t = { .type = P9_TCLUNK }, r;
	struct fake *f;
	struct p9c *c;
	struct step *s;
	int fd;

	(void)state;
	f = fake_pair(&fd);
	s = add_empty(f, P9_TCLUNK, P9_RCLUNK, 0);
	s->delay_ms = 300;		/* late: the wait gives up, tag 0 abandoned */
	add_empty(f, P9_TCLUNK, P9_RCLUNK, 1);	/* the next request has tag 1 */
	s = add_lerror(f, P9_TCLUNK, 2);
	s->split = 5;			/* half a frame, then a pause */
	s->pause_ms = 300;
	add_empty(f, P9_TCLUNK, P9_RCLUNK, 0);
	fake_start(f);
	c = adopt(fd);
	p9c_set_timeout(c, 50);
	t.tclunk.fid = 1;
	assert_int_equal(p9c_rpc(c, &t, &r), -ETIMEDOUT);
	has(p9c_error(c), "no reply within 50 ms");
	assert_int_equal(p9_client_inflight(p9c_core(c)), 1);
	p9c_set_timeout(c, 5000);
	/* Tag 1; the late Rclunk of tag 0 comes first and is dropped. */
	assert_int_equal(p9c_rpc(c, &t, &r), 0);
	assert_int_equal(r.tag, 1);
	assert_int_equal(p9_client_inflight(p9c_core(c)), 0);
	/* A reply cut by the timeout goes on with the next receive. */
	p9c_set_timeout(c, 50);
	assert_int_equal(p9c_send(c, &t), 0);
	assert_int_equal(p9c_recv(c, &r), -ETIMEDOUT);
	has(p9c_error(c), "reply incomplete after 50 ms (5 of 11 bytes)");
	p9c_set_timeout(c, -1);
	assert_int_equal(p9c_recv(c, &r), 0);
	assert_int_equal(r.type, P9_RLERROR);
	assert_int_equal(p9c_clunk(c, 1), 0);
	p9c_close(c);
	fake_end(f);
	free(f);
}

static void
test_pipeline_raw(void **state)
{
	static const uint8_t tclunk[] = { 11, 0, 0, 0, P9_TCLUNK, 0x34, 0x12, 9, 0, 0, 0 };
	static const uint8_t rclunk[] = { 7, 0, 0, 0, P9_RCLUNK, 0x34, 0x12 };
	struct p9_msg t = { .type = P9_TCLUNK }, r;
	const uint8_t *frame = NULL;
	uint8_t big[600] = { 0 };
	struct fake *f;
	struct p9c *c;
	int fd;

	(void)state;
	f = fake_pair(&fd);
	add_read(f, P9_TCLUNK);				/* tag 0's request, no reply */
	add_empty(f, P9_TCLUNK, P9_RCLUNK, 1);		/* tag 1 first ... */
	add_empty(f, 0, P9_RCLUNK, 0);			/* ... then tag 0 */
	add_read(f, P9_TCLUNK);				/* tag 0 again, unanswered yet */
	add_empty(f, P9_TREMOVE, P9_RCLUNK, 0);		/* p9c_rpc meets tag 0's reply */
	add_empty(f, 0, P9_RREMOVE, 1);
	add_bytes(f, P9_TCLUNK, rclunk, sizeof(rclunk));	/* raw */
	add_rwrite(f, 488);
	add_rwrite(f, 112);
	fake_start(f);
	c = adopt(fd);
	t.tclunk.fid = 1;
	assert_int_equal(p9c_send(c, &t), 0);
	assert_int_equal(p9c_send(c, &t), 1);
	assert_int_equal(p9_client_inflight(p9c_core(c)), 2);
	assert_int_equal(p9c_recv(c, &r), 1);
	assert_int_equal(p9c_recv(c, &r), 0);
	assert_int_equal(r.type, P9_RCLUNK);
	assert_int_equal(p9_client_inflight(p9c_core(c)), 0);
	assert_int_equal(p9c_send(c, &t), 0);
	t = (struct p9_msg){ .type = P9_TREMOVE };
	assert_int_equal(p9c_rpc(c, &t, &r), -EBUSY);
	has(p9c_error(c), "reply to tag 0 (a request from p9c_send) came while Tremove tag 1");
	assert_int_equal(r.type, 0);
	assert_int_equal(p9c_recv(c, &r), 1);
	assert_int_equal(r.type, P9_RREMOVE);
	/* Raw bytes both ways, no bookkeeping. */
	assert_int_equal(p9c_send_raw(c, tclunk, sizeof(tclunk)), 0);
	assert_int_equal(p9c_recv_raw(c, &frame), (long)sizeof(rclunk));
	assert_memory_equal(frame, rclunk, sizeof(rclunk));
	/* Not a request; too big for msize (set_msize 512). */
	t = (struct p9_msg){ .type = P9_RCLUNK };
	assert_int_equal(p9c_send(c, &t), -EINVAL);
	has(p9c_error(c), "message type 121 is not a request");
	assert_int_equal(p9c_set_msize(c, 512), 0);
	assert_int_equal(p9c_write(c, 1, 0, big, 600), 600);
	p9c_close(c);
	fake_end(f);
	assert_int_equal(f->reqlen[6], sizeof(tclunk));
	assert_int_equal(f->reqlen[7], 23 + 488);
	assert_int_equal(le32(f->req[8] + 11), 488);
	assert_int_equal(le32(f->req[8] + 19), 112);
	free(f);
}

/*
 * p9c_wait_closed: a server that stays open times it out (the connection
 * still works: nothing was discarded); one that answers, sends junk and
 * half a frame and then closes is seen closing, also after the junk broke
 * the framing; once closed, every call says so.
 */
static void
test_wait_closed(void **state)
{
	static const uint8_t junk[] = { 0xff, 0xff, 0xff, 0x7f, 1, 2, 3, 4, 5 };
	int round;

	(void)state;
	for (round = 0; round < 2; round++) {
		struct p9_msg t = { .type = P9_TCLUNK }, r;
		struct fake *f;
		struct p9c *c;
		struct step *s;
		int fd;

		f = fake_pair(&fd);
		add_empty(f, P9_TCLUNK, P9_RCLUNK, 0);
		s = add_bytes(f, P9_TCLUNK, junk, sizeof(junk));
		s->split = 4;			/* a size field, then the rest later */
		s->pause_ms = round == 0 ? 300 : 0;
		s->close = true;
		fake_start(f);
		c = adopt(fd);
		p9c_set_timeout(c, 30);
		t.tclunk.fid = 1;
		if (round == 0) {
			/* Nothing sent yet: times out, usable afterwards. */
			assert_int_equal(p9c_wait_closed(c), -ETIMEDOUT);
			has(p9c_error(c), "the server did not close the connection within 30 ms");
			p9c_set_timeout(c, 10000);
			assert_int_equal(p9c_rpc(c, &t, &r), 0);
			/* The size field arrives (poll sees it), the rest 300 ms
			 * later: 4 bytes discarded, then the timeout breaks the
			 * connection. */
			assert_int_equal(p9c_send(c, &t), 0);
			assert_int_equal(poll(&(struct pollfd){ .fd = p9c_fd(c), .events = POLLIN }, 1,
			    10000), 1);
			p9c_set_timeout(c, 30);
			assert_int_equal(p9c_wait_closed(c), -ETIMEDOUT);
			has(p9c_error(c), "(4 bytes discarded)");
			assert_int_equal(p9c_clunk(c, 1), -ETIMEDOUT);
			has(p9c_error(c), "connection unusable");
		} else {
			/* A size field above msize breaks the framing first. */
			assert_int_equal(p9c_rpc(c, &t, &r), 0);
			assert_int_equal(p9c_rpc(c, &t, &r), -EPROTO);
			has(p9c_error(c), "above the 131072-byte msize");
		}
		p9c_set_timeout(c, 10000);
		assert_int_equal(p9c_wait_closed(c), 0);
		has(p9c_error(c), "the server closed the connection");
		assert_int_equal(p9c_wait_closed(c), 0);
		assert_int_equal(p9c_clunk(c, 1), -ECONNRESET);
		has(p9c_error(c), "connection unusable: the server closed the connection");
		p9c_close(c);
		fake_end(f);
		free(f);
	}
	/* Not connected. */
	{
		struct p9c *c = p9c_new();

		assert_non_null(c);
		assert_int_equal(p9c_wait_closed(c), -ENOTCONN);
		p9c_close(c);
	}
}

/* Twrite above msize is refused before anything is sent, and a full tag
 * table: p9c_send -EBUSY. */
static void
test_limits(void **state)
{
	struct p9_msg t = { .type = P9_TWRITE }, r;
	static uint8_t big[1000];
	struct fake *f;
	struct p9c *c;
	int fd, i;

	(void)state;
	f = fake_pair(&fd);
	fake_start(f);
	c = adopt(fd);
	assert_int_equal(p9c_set_msize(c, 512), 0);
	t.twrite.data = (struct p9_data){ big, sizeof(big) };
	assert_int_equal(p9c_rpc(c, &t, &r), -EMSGSIZE);
	has(p9c_error(c), "Twrite of 1023 bytes above the 512-byte msize");
	t = (struct p9_msg){ .type = P9_TCLUNK };
	for (i = 0; i < 256; i++)
		assert_int_equal(p9c_send(c, &t), i);
	assert_int_equal(p9c_send(c, &t), -EBUSY);
	has(p9c_error(c), "all 256 tags are in use");
	p9_client_reset(p9c_core(c));
	fd = p9c_detach(c);
	assert_true(fd >= 0);
	assert_int_equal(p9c_fd(c), -1);
	assert_int_equal(p9_client_inflight(p9c_core(c)), 0);
	close(fd);
	p9c_close(c);
	fake_end(f);
	free(f);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_unconnected),
		cmocka_unit_test(test_dial_errors),
		cmocka_unit_test(test_long_strings),
		cmocka_unit_test(test_pipe_fd),
		cmocka_unit_test(test_dial_unix),
		cmocka_unit_test(test_dial_tcp),
		cmocka_unit_test(test_version),
		cmocka_unit_test(test_attach_walk_clunk),
		cmocka_unit_test(test_open_create_getattr),
		cmocka_unit_test(test_read_write),
		cmocka_unit_test(test_readdir),
		cmocka_unit_test(test_rlerror),
		cmocka_unit_test(test_bad_size),
		cmocka_unit_test(test_bad_reply),
		cmocka_unit_test(test_peer_close),
		cmocka_unit_test(test_timeout),
		cmocka_unit_test(test_pipeline_raw),
		cmocka_unit_test(test_limits),
		cmocka_unit_test(test_wait_closed),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
