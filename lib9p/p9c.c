/*
 * p9c: the blocking client (p9c.h). Bytes move here; tags and matching
 * are the core's (client.c).
 *
 * Receiving reads exactly one frame (its size field, then the rest), so
 * the socket never holds bytes of a later frame in our buffer: a caller may
 * read or write the fd itself between calls. A frame cut short by a timeout
 * stays in rbuf (rhave bytes) and the next receive goes on with it.
 */
#include <errno.h>
#include <limits.h>
#include <netdb.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <sys/un.h>

#include "p9_clock.h"
#include "p9c.h"

#define NSLOTS	256

struct p9c {
	int			 fd;
	int			 timeout_ms;	/* < 0: none */
	int			 broken;	/* 0, or the code every call returns */
	int			 ctag;		/* the tag p9c_rpc waits for, or -1 */
	uint32_t		 limit;		/* p9c_set_msize */
	size_t			 cap;		/* of tbuf and rbuf */
	uint8_t			*tbuf;
	uint8_t			*rbuf;
	size_t			 rhave;		/* bytes of the frame being received */
	size_t			 rdone;		/* length of the frame delivered last, or 0 */
	struct p9_client	 cl;
	struct p9_creq		 slots[NSLOTS];
	uint8_t			 abandoned[NSLOTS]; /* waits that timed out */
	uint64_t		*fids;		/* bitmap of allocated fids */
	size_t			 nfidwords;
	char			 err[320];
};

struct p9c_dir {
	struct p9c		*c;
	uint32_t		 fid;
	uint64_t		 offset;
	int			 eof;
	struct p9_dirent_iter	 it;
	uint8_t			*buf;
	size_t			 cap;
};

#if defined(__GNUC__) || defined(__clang__)
__attribute__((format(printf, 3, 0)))
#endif
static int
vfail(struct p9c *c, int code, const char *fmt, va_list ap)
{
	vsnprintf(c->err, sizeof(c->err), fmt, ap);
	return code;
}

#if defined(__GNUC__) || defined(__clang__)
__attribute__((format(printf, 3, 4)))
#endif
static int
fail(struct p9c *c, int code, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	code = vfail(c, code, fmt, ap);
	va_end(ap);
	return code;
}

/* A failure after which the stream cannot be trusted. */
#if defined(__GNUC__) || defined(__clang__)
__attribute__((format(printf, 3, 4)))
#endif
static int
fail_broken(struct p9c *c, int code, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	c->broken = vfail(c, code, fmt, ap);
	va_end(ap);
	return code;
}

static int
usable(struct p9c *c)
{
	if (c->fd < 0)
		return fail(c, -ENOTCONN, "not connected");
	if (c->broken != 0) {
		char prev[sizeof(c->err)];

		if (strncmp(c->err, "connection unusable: ", 21) == 0)
			return c->broken;
		memcpy(prev, c->err, sizeof(prev));
		return fail(c, c->broken, "connection unusable: %.*s", 290, prev);
	}
	return 0;
}

static long
deadline_of(const struct p9c *c)
{
	return c->timeout_ms < 0 ? -1 : p9_now_ms() + c->timeout_ms;
}

/* Wait for events on the fd until deadline (-1: forever). 1 ready, 0 timed
 * out, -errno. */
static int
wait_fd(struct p9c *c, short events, long deadline)
{
	for (;;) {
		struct pollfd pfd = { .fd = c->fd, .events = events };
		long left = -1;
		int n;

		if (deadline >= 0) {
			left = deadline - p9_now_ms();
			if (left < 0)
				left = 0;
			if (left > INT_MAX)
				left = INT_MAX;
		}
		n = poll(&pfd, 1, (int)left);
		if (n > 0)
			return 1;
		if (n == 0)
			return 0;
		if (errno != EINTR)
			return -errno;
	}
}

/* --- buffers, fids ----------------------------------------------------------- */

static int
grow(struct p9c *c, size_t cap)
{
	uint8_t *t, *r;

	if (cap <= c->cap)
		return 0;
	t = realloc(c->tbuf, cap);
	if (t == NULL)
		return fail(c, -ENOMEM, "out of memory for %zu-byte buffers", cap);
	c->tbuf = t;
	r = realloc(c->rbuf, cap);
	if (r == NULL)
		return fail(c, -ENOMEM, "out of memory for %zu-byte buffers", cap);
	c->rbuf = r;
	c->cap = cap;
	return 0;
}

static int
fid_alloc(struct p9c *c, uint32_t *fid)
{
	size_t w;
	uint64_t *n;

	for (w = 0; w < c->nfidwords; w++) {
		if (c->fids[w] != UINT64_MAX) {
			unsigned b = 0;

			while (c->fids[w] & (1ull << b))
				b++;
			c->fids[w] |= 1ull << b;
			*fid = (uint32_t)(w * 64 + b);
			return 0;
		}
	}
	if (c->nfidwords >= (P9_NOFID / 64))
		return fail(c, -EMFILE, "every fid number is in use");
	n = realloc(c->fids, (c->nfidwords + 4) * sizeof(*n));
	if (n == NULL)
		return fail(c, -ENOMEM, "out of memory for the fid table");
	memset(n + c->nfidwords, 0, 4 * sizeof(*n));
	c->fids = n;
	c->nfidwords += 4;
	return fid_alloc(c, fid);
}

static void
fid_free(struct p9c *c, uint32_t fid)
{
	if (fid / 64 < c->nfidwords)
		c->fids[fid / 64] &= ~(1ull << (fid % 64));
}

static void
forget_session(struct p9c *c)
{
	p9_client_reset(&c->cl);
	memset(c->abandoned, 0, sizeof(c->abandoned));
	if (c->fids != NULL)
		memset(c->fids, 0, c->nfidwords * sizeof(*c->fids));
	c->ctag = -1;
}

/* --- connection ------------------------------------------------------------- */

struct p9c *
p9c_new(void)
{
	struct p9c *c = calloc(1, sizeof(*c));

	if (c == NULL)
		return NULL;
	c->fd = -1;
	c->timeout_ms = -1;
	c->ctag = -1;
	c->limit = P9C_MSIZE;
	p9_client_init(&c->cl, c->slots, NSLOTS, P9C_MSIZE);
	if (grow(c, P9C_MSIZE) != 0) {
		p9c_close(c);
		return NULL;
	}
	return c;
}

static void
connected(struct p9c *c, int fd)
{
	c->fd = fd;
	c->broken = 0;
	c->rhave = c->rdone = 0;
	forget_session(c);
	c->cl.msize = c->limit;
}

static int
dial_unix(struct p9c *c, const char *addr, const char *path)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	size_t len = strlen(path);
	int fd;

	if (len == 0)
		return fail(c, -EINVAL, "%s: empty Unix socket path", addr);
	if (len >= sizeof(sun.sun_path))
		return fail(c, -ENAMETOOLONG,
		    "%s: Unix socket path of %zu bytes, at most %zu allowed", addr, len,
		    sizeof(sun.sun_path) - 1);
	memcpy(sun.sun_path, path, len + 1);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return fail(c, -errno, "%s: socket: %s", addr, strerror(errno));
	if (connect(fd, (struct sockaddr *)&sun, sizeof(sun)) != 0) {
		int e = errno;

		close(fd);
		return fail(c, -e, "%s: connect: %s", addr, strerror(e));
	}
	connected(c, fd);
	return 0;
}

static int
dial_tcp(struct p9c *c, const char *addr, const char *hostport)
{
	struct addrinfo hints = { .ai_socktype = SOCK_STREAM }, *ai = NULL, *a;
	const char *colon = strrchr(hostport, ':'), *port, *h = hostport;
	char host[256];
	size_t hl;
	int fd = -1, e = 0, rc, one = 1;

	if (colon == NULL || colon == hostport || colon[1] == '\0')
		return fail(c, -EINVAL, "%s: not HOST:PORT, unix:PATH or a path", addr);
	port = colon + 1;
	hl = (size_t)(colon - hostport);
	if (h[0] == '[') {
		if (hl < 3 || h[hl - 1] != ']')
			return fail(c, -EINVAL, "%s: unterminated [IPv6 address]", addr);
		h++;
		hl -= 2;
	}
	if (hl >= sizeof(host))
		return fail(c, -EINVAL, "%s: host name of %zu bytes, at most %zu allowed", addr,
		    hl, sizeof(host) - 1);
	memcpy(host, h, hl);
	host[hl] = '\0';
	if (port[strspn(port, "0123456789")] == '\0') {
		char *end;
		unsigned long p = strtoul(port, &end, 10);

		if (strlen(port) > 5 || p < 1 || p > 65535)
			return fail(c, -EINVAL, "%s: port %s out of range 1..65535", addr, port);
	}
	rc = getaddrinfo(host, port, &hints, &ai);
	if (rc != 0)
		return fail(c, -EHOSTUNREACH, "%s: cannot resolve %s port %s: %s", addr, host,
		    port, gai_strerror(rc));
	for (a = ai; a != NULL; a = a->ai_next) {
		fd = socket(a->ai_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
		if (fd < 0) {
			e = errno;
			continue;
		}
		if (connect(fd, a->ai_addr, a->ai_addrlen) == 0)
			break;
		e = errno;
		close(fd);
		fd = -1;
	}
	freeaddrinfo(ai);
	if (fd < 0)
		return fail(c, -e, "%s: connect: %s", addr, strerror(e));
	(void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	connected(c, fd);
	return 0;
}

int
p9c_dial(struct p9c *c, const char *addr)
{
	if (c->fd >= 0)
		return fail(c, -EISCONN, "%s: already connected", addr);
	if (strncmp(addr, "unix:", 5) == 0)
		return dial_unix(c, addr, addr + 5);
	if (strncmp(addr, "tcp:", 4) == 0)
		return dial_tcp(c, addr, addr + 4);
	if (strchr(addr, '/') != NULL)
		return dial_unix(c, addr, addr);
	return dial_tcp(c, addr, addr);
}

int
p9c_adopt(struct p9c *c, int fd)
{
	if (fd < 0)
		return fail(c, -EBADF, "adopt: fd %d is not a descriptor", fd);
	if (c->fd >= 0)
		return fail(c, -EISCONN, "adopt: already connected (fd %d)", c->fd);
	connected(c, fd);
	return 0;
}

int
p9c_detach(struct p9c *c)
{
	int fd = c->fd;

	if (fd < 0)
		return fail(c, -ENOTCONN, "detach: not connected");
	c->fd = -1;
	c->rhave = c->rdone = 0;
	forget_session(c);
	return fd;
}

void
p9c_close(struct p9c *c)
{
	if (c == NULL)
		return;
	if (c->fd >= 0)
		close(c->fd);
	free(c->tbuf);
	free(c->rbuf);
	free(c->fids);
	free(c);
}

void
p9c_set_timeout(struct p9c *c, int ms)
{
	c->timeout_ms = ms < 0 ? -1 : ms;
}

int
p9c_set_msize(struct p9c *c, uint32_t msize)
{
	int rc;

	if (msize < P9C_MSIZE_MIN || msize > P9C_MSIZE_MAX)
		return fail(c, -EINVAL, "msize %u out of range %u..%u", msize, P9C_MSIZE_MIN,
		    P9C_MSIZE_MAX);
	rc = grow(c, msize);
	if (rc != 0)
		return rc;
	c->limit = msize;
	c->cl.msize = msize;
	return 0;
}

int
p9c_fd(const struct p9c *c)
{
	return c->fd;
}

uint32_t
p9c_msize(const struct p9c *c)
{
	return c->cl.msize;
}

const char *
p9c_error(const struct p9c *c)
{
	return c->err;
}

struct p9_client *
p9c_core(struct p9c *c)
{
	return &c->cl;
}

/* --- moving bytes ------------------------------------------------------------ */

static int
send_all(struct p9c *c, const uint8_t *p, size_t len, const char *what)
{
	long deadline = deadline_of(c);
	size_t total = len;
	int rc;

	while (len > 0) {
		ssize_t w = send(c->fd, p, len, MSG_NOSIGNAL | MSG_DONTWAIT);

		if (w < 0 && errno == ENOTSOCK)
			w = write(c->fd, p, len);
		if (w > 0) {
			p += w;
			len -= (size_t)w;
			continue;
		}
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
			rc = wait_fd(c, POLLOUT, deadline);
			if (rc == 0)
				return fail_broken(c, -ETIMEDOUT,
				    "sending %s: %zu of %zu bytes sent in %d ms", what, total - len,
				    total, c->timeout_ms);
			if (rc < 0)
				return fail_broken(c, rc, "sending %s: poll: %s", what, strerror(-rc));
			continue;
		}
		rc = w < 0 ? -errno : -EIO;
		return fail_broken(c, rc, "sending %s: %s after %zu of %zu bytes", what,
		    w < 0 ? strerror(errno) : "nothing written", total - len, total);
	}
	return 0;
}

/*
 * Receive one whole frame of at most `limit` bytes into rbuf. Returns its
 * length or a negative errno.
 */
static long
recv_frame(struct p9c *c, uint32_t limit)
{
	long deadline = deadline_of(c);
	size_t need = 4;
	int rc;

	if (c->rdone != 0) {
		c->rdone = 0;
		c->rhave = 0;
	}
	for (;;) {
		ssize_t r;

		if (c->rhave >= 4) {
			rc = p9_frame_need(c->rbuf, c->rhave, limit, &need);
			if (rc == P9_ERR_UNDERSIZE)
				return fail_broken(c, -EPROTO,
				    "reply size field %u below the 7-byte header",
				    (unsigned)c->rbuf[0] | (unsigned)c->rbuf[1] << 8 |
				    (unsigned)c->rbuf[2] << 16 | (unsigned)c->rbuf[3] << 24);
			if (rc != 0)
				return fail_broken(c, -EPROTO,
				    "reply size field %u above the %u-byte msize",
				    (unsigned)c->rbuf[0] | (unsigned)c->rbuf[1] << 8 |
				    (unsigned)c->rbuf[2] << 16 | (unsigned)c->rbuf[3] << 24, limit);
			if (need > c->cap)
				return fail_broken(c, -EPROTO,
				    "reply of %zu bytes above the %zu-byte buffer", need, c->cap);
			if (c->rhave >= need) {
				c->rdone = need;
				return (long)need;
			}
		}
		r = recv(c->fd, c->rbuf + c->rhave, need - c->rhave, MSG_DONTWAIT);
		if (r < 0 && errno == ENOTSOCK)
			r = read(c->fd, c->rbuf + c->rhave, need - c->rhave);
		if (r > 0) {
			c->rhave += (size_t)r;
			continue;
		}
		if (r == 0) {
			if (c->rhave == 0)
				return fail_broken(c, -ECONNRESET, "the server closed the connection");
			return fail_broken(c, -ECONNRESET,
			    "the server closed the connection after %zu bytes of a reply",
			    c->rhave);
		}
		if (errno == EINTR)
			continue;
		if (errno != EAGAIN && errno != EWOULDBLOCK) {
			rc = -errno;
			return fail_broken(c, rc, "receiving: %s", strerror(-rc));
		}
		rc = wait_fd(c, POLLIN, deadline);
		if (rc < 0)
			return fail_broken(c, rc, "receiving: poll: %s", strerror(-rc));
		if (rc == 0) {
			if (c->rhave == 0)
				return fail(c, -ETIMEDOUT, "no reply within %d ms", c->timeout_ms);
			return fail(c, -ETIMEDOUT, "reply incomplete after %d ms (%zu of %zu bytes)",
			    c->timeout_ms, c->rhave, need);
		}
	}
}

static const char *
tname(int type)
{
	const char *n = p9_type_name(type);

	return n != NULL ? n : "unknown type";
}

/*
 * Receive and match one reply. Replies to abandoned requests are dropped.
 * Returns the tag, or a negative errno.
 */
static int
recv_reply(struct p9c *c, struct p9_msg *r)
{
	for (;;) {
		struct p9_client_done done;
		long len = recv_frame(c, c->cl.msize);
		int rc;

		if (len < 0)
			return (int)len;
		rc = p9_client_reply(&c->cl, c->rbuf, (size_t)len, r, &done);
		if (rc == P9_ERR_TAG)
			return fail(c, -EPROTO, "reply %s with tag %u, which no outstanding request has",
			    tname(c->rbuf[4]), (unsigned)(c->rbuf[5] | c->rbuf[6] << 8));
		if (rc == P9_ERR_RTYPE)
			return fail(c, -EPROTO, "reply %s (type %u) to tag %u does not answer its request",
			    tname(c->rbuf[4]), c->rbuf[4], (unsigned)(c->rbuf[5] | c->rbuf[6] << 8));
		if (rc == P9_ERR_TOOBIG)
			return fail(c, -EPROTO, "reply of %ld bytes not below the %u-byte msize", len,
			    c->cl.msize);
		if (rc != 0)
			return fail(c, -EPROTO, "undecodable reply %s of %ld bytes: %s",
			    tname(c->rbuf[4]), len, p9_strerror(rc));
		if (r->type == P9_RVERSION)
			forget_session(c);	/* version(5): every other request is aborted */
		if (done.tag != P9_NOTAG && c->abandoned[done.tag] && done.tag != c->ctag) {
			c->abandoned[done.tag] = 0;
			continue;
		}
		if (done.tag != P9_NOTAG)
			c->abandoned[done.tag] = 0;
		return done.tag;
	}
}

static int
send_msg(struct p9c *c, struct p9_msg *t)
{
	long n;
	int rc;

	rc = usable(c);
	if (rc != 0)
		return rc;
	n = p9_client_request(&c->cl, t, NULL, c->tbuf, c->cap);
	if (n == P9_ERR_NOTAG)
		return fail(c, -EBUSY, "%s: all %u tags are in use", tname(t->type), NSLOTS);
	if (n == P9_ERR_TOOBIG || n == P9_ERR_NOSPACE)
		return fail(c, -EMSGSIZE, "%s of %zu bytes above the %u-byte msize", tname(t->type),
		    p9_msg_size(t), c->cl.msize);
	if (n == P9_ERR_TYPE)
		return fail(c, -EINVAL, "message type %u is not a request", t->type);
	if (n == P9_ERR_STRLEN)
		return fail(c, -ENAMETOOLONG, "%s: a string above 65535 bytes", tname(t->type));
	if (n < 0)
		return fail(c, -EINVAL, "%s cannot be encoded: %s", tname(t->type),
		    p9_strerror((int)n));
	rc = send_all(c, c->tbuf, (size_t)n, tname(t->type));
	if (rc != 0)
		return rc;
	if (t->tag != P9_NOTAG)
		c->abandoned[t->tag] = 0;
	return t->tag;
}

int
p9c_send(struct p9c *c, struct p9_msg *t)
{
	return send_msg(c, t);
}

int
p9c_recv(struct p9c *c, struct p9_msg *r)
{
	int rc = usable(c);

	if (rc != 0)
		return rc;
	return recv_reply(c, r);
}

int
p9c_rpc(struct p9c *c, struct p9_msg *t, struct p9_msg *r)
{
	uint8_t ttype = t->type;
	int tag, got;

	r->type = 0;
	tag = send_msg(c, t);
	if (tag < 0)
		return tag;
	c->ctag = tag;
	for (;;) {
		got = recv_reply(c, r);
		if (got < 0) {
			if (got == -ETIMEDOUT && tag != P9_NOTAG)
				c->abandoned[tag] = 1;
			c->ctag = -1;
			r->type = 0;
			return got;
		}
		if (got == tag)
			break;
		if (r->type == P9_RVERSION) {
			c->ctag = -1;
			r->type = 0;
			return fail(c, -ECANCELED, "%s tag %d: an Rversion aborted it", tname(ttype),
			    tag);
		}
		c->ctag = -1;
		r->type = 0;
		return fail(c, -EBUSY, "reply to tag %d (a request from p9c_send) came while "
		    "%s tag %d waited: receive those with p9c_recv first", got, tname(ttype), tag);
	}
	c->ctag = -1;
	if (r->type == P9_RLERROR) {
		uint32_t e = r->rlerror.ecode;
		const char *name = p9_errno_name(e);

		if (e == 0 || e > INT_MAX)
			return fail(c, -EIO, "%s: Rlerror with ecode %u (valid: 1..%d)", tname(ttype),
			    e, INT_MAX);
		fail(c, -(int)e, "%s: %s (%s)", tname(ttype), strerror((int)e),
		    name != NULL ? name : "unknown errno");
		return -(int)e;
	}
	return 0;
}

int
p9c_send_raw(struct p9c *c, const void *frame, size_t len)
{
	int rc = usable(c);

	if (rc != 0)
		return rc;
	return send_all(c, frame, len, "a raw frame");
}

long
p9c_recv_raw(struct p9c *c, const uint8_t **frame)
{
	long n;
	int rc = usable(c);

	if (rc != 0)
		return rc;
	n = recv_frame(c, c->cl.msize);
	if (n >= 0)
		*frame = c->rbuf;
	return n;
}

int
p9c_wait_closed(struct p9c *c)
{
	long deadline = deadline_of(c);
	size_t dropped = c->rdone != 0 ? 0 : c->rhave;	/* a frame cut short */

	if (c->fd < 0)
		return fail(c, -ENOTCONN, "not connected");
	if (c->broken == -ECONNRESET)
		return 0;
	c->rhave = c->rdone = 0;
	for (;;) {
		int rc = wait_fd(c, POLLIN, deadline);
		ssize_t r;

		if (rc < 0)
			return fail_broken(c, rc, "waiting for the close: poll: %s", strerror(-rc));
		if (rc == 0) {
			if (dropped == 0)
				return fail(c, -ETIMEDOUT,
				    "the server did not close the connection within %d ms",
				    c->timeout_ms);
			return fail_broken(c, -ETIMEDOUT, "the server did not close the connection "
			    "within %d ms (%zu bytes discarded)", c->timeout_ms, dropped);
		}
		r = recv(c->fd, c->rbuf, c->cap, MSG_DONTWAIT);
		if (r < 0 && errno == ENOTSOCK)
			r = read(c->fd, c->rbuf, c->cap);
		if (r > 0) {
			dropped += (size_t)r;
			continue;
		}
		if (r == 0 || errno == ECONNRESET) {
			fail_broken(c, -ECONNRESET, "the server closed the connection");
			return 0;
		}
		if (errno != EINTR && errno != EAGAIN && errno != EWOULDBLOCK) {
			rc = -errno;
			return fail_broken(c, rc, "waiting for the close: %s", strerror(-rc));
		}
	}
}

/* --- session ----------------------------------------------------------------- */

int
p9c_version(struct p9c *c, uint32_t msize)
{
	struct p9_msg t = { .type = P9_TVERSION }, r;
	int rc;

	if (msize == 0)
		msize = c->limit;
	if (msize < P9C_MSIZE_MIN || msize > P9C_MSIZE_MAX)
		return fail(c, -EINVAL, "Tversion: msize %u out of range %u..%u", msize,
		    P9C_MSIZE_MIN, P9C_MSIZE_MAX);
	rc = usable(c);
	if (rc != 0)
		return rc;
	rc = grow(c, msize);
	if (rc != 0)
		return rc;
	forget_session(c);
	c->cl.msize = msize;
	t.tversion.msize = msize;
	t.tversion.version = (struct p9_str){ P9_VERSION_L, sizeof(P9_VERSION_L) - 1 };
	rc = p9c_rpc(c, &t, &r);
	if (rc != 0)
		return rc;
	if (!p9_str_eq(r.rversion.version, P9_VERSION_L))
		return fail(c, -EPROTONOSUPPORT, "Tversion: the server answered \"%.*s\", not %s",
		    (int)r.rversion.version.len, r.rversion.version.ptr, P9_VERSION_L);
	if (r.rversion.msize < P9C_MSIZE_MIN)
		return fail(c, -EPROTO, "Tversion: the server's msize %u is below the %u p9c needs",
		    r.rversion.msize, P9C_MSIZE_MIN);
	return 0;
}

static int
str_of(struct p9c *c, struct p9_str *s, const char *cstr, const char *what)
{
	if (p9_str_set(s, cstr != NULL ? cstr : "") != 0)
		return fail(c, -ENAMETOOLONG, "%s of %zu bytes, at most 65535 allowed", what,
		    strlen(cstr));
	return 0;
}

int
p9c_attach(struct p9c *c, const char *uname, uint32_t n_uname, const char *aname,
    uint32_t *fid, struct p9_qid *qid)
{
	struct p9_msg t = { .type = P9_TATTACH }, r;
	int rc;

	if ((rc = str_of(c, &t.tattach.uname, uname, "uname")) != 0 ||
	    (rc = str_of(c, &t.tattach.aname, aname, "aname")) != 0 ||
	    (rc = usable(c)) != 0 || (rc = fid_alloc(c, &t.tattach.fid)) != 0)
		return rc;
	t.tattach.afid = P9_NOFID;
	t.tattach.n_uname = n_uname;
	rc = p9c_rpc(c, &t, &r);
	if (rc != 0) {
		fid_free(c, t.tattach.fid);
		return rc;
	}
	*fid = t.tattach.fid;
	if (qid != NULL)
		*qid = r.rattach.qid;
	return 0;
}

/* --- files ------------------------------------------------------------------- */

/* One Twalk of n <= 16 names. Returns 0, -ENOENT for a partial walk, or an
 * error; on success copies the qids. */
static int
walk1(struct p9c *c, uint32_t fid, uint32_t newfid, const struct p9_str *names,
    unsigned n, unsigned done, struct p9_qid *qids)
{
	struct p9_msg t = { .type = P9_TWALK }, r;
	unsigned i;
	int rc;

	t.twalk.fid = fid;
	t.twalk.newfid = newfid;
	t.twalk.wname.n = (uint16_t)n;
	for (i = 0; i < n; i++)
		t.twalk.wname.s[i] = names[i];
	rc = p9c_rpc(c, &t, &r);
	if (rc != 0)
		return rc;
	if (r.rwalk.wqid.n > n)
		return fail(c, -EPROTO, "Twalk: Rwalk with %u qids for %u names", r.rwalk.wqid.n, n);
	if (r.rwalk.wqid.n < n)
		return fail(c, -ENOENT, "Twalk: name %u (\"%.*s\") not found",
		    done + r.rwalk.wqid.n + 1, (int)names[r.rwalk.wqid.n].len,
		    names[r.rwalk.wqid.n].ptr);
	if (qids != NULL)
		for (i = 0; i < n; i++)
			qids[done + i] = r.rwalk.wqid.q[i];
	return 0;
}

/* Walk through names in batches of 16. */
static int
walk_strs(struct p9c *c, uint32_t fid, const struct p9_str *names, unsigned n,
    uint32_t *newfid, struct p9_qid *qids)
{
	unsigned done = 0, k;
	uint32_t nf;
	int rc;

	if ((rc = usable(c)) != 0 || (rc = fid_alloc(c, &nf)) != 0)
		return rc;
	do {
		k = n - done > P9_MAXWELEM ? P9_MAXWELEM : n - done;
		rc = walk1(c, done == 0 ? fid : nf, nf, names + done, k, done, qids);
		if (rc != 0) {
			if (done > 0) {
				/* The earlier Twalks made nf: clunk it, keep the walk's error. */
				char why[sizeof(c->err)];

				memcpy(why, c->err, sizeof(why));
				(void)p9c_clunk(c, nf);
				memcpy(c->err, why, sizeof(why));
			}
			fid_free(c, nf);
			return rc;
		}
		done += k;
	} while (done < n);
	*newfid = nf;
	return 0;
}

int
p9c_walk(struct p9c *c, uint32_t fid, unsigned n, const char *const *names,
    uint32_t *newfid, struct p9_qid *qids)
{
	struct p9_str *s;
	unsigned i;
	int rc;

	s = calloc(n > 0 ? n : 1, sizeof(*s));
	if (s == NULL)
		return fail(c, -ENOMEM, "Twalk: out of memory for %u names", n);
	for (i = 0; i < n; i++) {
		if (p9_str_set(&s[i], names[i]) != 0) {
			free(s);
			return fail(c, -ENAMETOOLONG, "Twalk: name %u of %zu bytes, at most 65535 allowed",
			    i + 1, strlen(names[i]));
		}
	}
	rc = walk_strs(c, fid, s, n, newfid, qids);
	free(s);
	return rc;
}

int
p9c_walk_path(struct p9c *c, uint32_t fid, const char *path, uint32_t *newfid,
    struct p9_qid *qid)
{
	struct p9_str *s;
	struct p9_qid *q;
	const char *p = path;
	unsigned n = 0, max = 1;
	int rc;

	for (; *p != '\0'; p++)
		max += *p == '/';
	s = calloc(max, sizeof(*s));
	q = calloc(max, sizeof(*q));
	if (s == NULL || q == NULL) {
		free(s);
		free(q);
		return fail(c, -ENOMEM, "Twalk: out of memory for %u names", max);
	}
	for (p = path; *p != '\0';) {
		size_t len = strcspn(p, "/");

		if (len > 65535) {
			free(s);
			free(q);
			return fail(c, -ENAMETOOLONG, "Twalk: a name of %zu bytes in %s, at most 65535 allowed",
			    len, path);
		}
		if (len > 0)
			s[n++] = (struct p9_str){ p, (uint16_t)len };
		p += len;
		if (*p == '/')
			p++;
	}
	rc = walk_strs(c, fid, s, n, newfid, q);
	if (rc == 0 && n > 0 && qid != NULL)
		*qid = q[n - 1];
	free(s);
	free(q);
	return rc;
}

int
p9c_open(struct p9c *c, uint32_t fid, uint32_t flags, struct p9_qid *qid,
    uint32_t *iounit)
{
	struct p9_msg t = { .type = P9_TLOPEN }, r;
	int rc;

	t.tlopen.fid = fid;
	t.tlopen.flags = flags;
	rc = p9c_rpc(c, &t, &r);
	if (rc != 0)
		return rc;
	if (qid != NULL)
		*qid = r.rlopen.qid;
	if (iounit != NULL)
		*iounit = r.rlopen.iounit;
	return 0;
}

int
p9c_create(struct p9c *c, uint32_t fid, const char *name, uint32_t flags,
    uint32_t mode, uint32_t gid, struct p9_qid *qid, uint32_t *iounit)
{
	struct p9_msg t = { .type = P9_TLCREATE }, r;
	int rc;

	if ((rc = str_of(c, &t.tlcreate.name, name, "Tlcreate: name")) != 0)
		return rc;
	t.tlcreate.fid = fid;
	t.tlcreate.flags = flags;
	t.tlcreate.mode = mode;
	t.tlcreate.gid = gid;
	rc = p9c_rpc(c, &t, &r);
	if (rc != 0)
		return rc;
	if (qid != NULL)
		*qid = r.rlcreate.qid;
	if (iounit != NULL)
		*iounit = r.rlcreate.iounit;
	return 0;
}

static uint32_t
io_chunk(const struct p9c *c, size_t left)
{
	uint32_t max = c->cl.msize - P9_IOHDRSZ;

	return left < max ? (uint32_t)left : max;
}

long
p9c_read(struct p9c *c, uint32_t fid, uint64_t offset, void *buf, size_t count)
{
	uint8_t *p = buf;
	size_t done = 0;

	if (count > LONG_MAX)
		count = LONG_MAX;
	while (done < count) {
		struct p9_msg t = { .type = P9_TREAD }, r;
		uint32_t chunk = io_chunk(c, count - done);
		int rc;

		t.tread.fid = fid;
		t.tread.offset = offset + done;
		t.tread.count = chunk;
		rc = p9c_rpc(c, &t, &r);
		if (rc == 0 && r.rread.data.len > chunk)
			rc = fail(c, -EPROTO, "Tread: Rread of %u bytes for a count of %u",
			    r.rread.data.len, chunk);
		if (rc != 0)
			return done > 0 ? (long)done : rc;
		memcpy(p + done, r.rread.data.ptr, r.rread.data.len);
		done += r.rread.data.len;
		if (r.rread.data.len < chunk)
			break;
	}
	return (long)done;
}

long
p9c_write(struct p9c *c, uint32_t fid, uint64_t offset, const void *buf, size_t count)
{
	const uint8_t *p = buf;
	size_t done = 0;

	if (count > LONG_MAX)
		count = LONG_MAX;
	while (done < count) {
		struct p9_msg t = { .type = P9_TWRITE }, r;
		uint32_t chunk = io_chunk(c, count - done);
		int rc;

		t.twrite.fid = fid;
		t.twrite.offset = offset + done;
		t.twrite.data = (struct p9_data){ p + done, chunk };
		rc = p9c_rpc(c, &t, &r);
		if (rc == 0 && r.rwrite.count == 0)
			rc = fail(c, -EIO, "Twrite: the server wrote 0 of %u bytes", chunk);
		if (rc == 0 && r.rwrite.count > chunk)
			rc = fail(c, -EPROTO, "Twrite: Rwrite count %u above the %u bytes sent",
			    r.rwrite.count, chunk);
		if (rc != 0)
			return done > 0 ? (long)done : rc;
		done += r.rwrite.count;
	}
	return (long)done;
}

int
p9c_getattr(struct p9c *c, uint32_t fid, uint64_t mask, struct p9_rgetattr *attr)
{
	struct p9_msg t = { .type = P9_TGETATTR }, r;
	int rc;

	t.tgetattr.fid = fid;
	t.tgetattr.request_mask = mask;
	rc = p9c_rpc(c, &t, &r);
	if (rc == 0 && attr != NULL)
		*attr = r.rgetattr;
	return rc;
}

int
p9c_clunk(struct p9c *c, uint32_t fid)
{
	struct p9_msg t = { .type = P9_TCLUNK }, r;
	int rc;

	t.tclunk.fid = fid;
	rc = p9c_rpc(c, &t, &r);
	/* clunk(5): the fid is gone even when the reply is an error; not when
	 * the request never reached the server. */
	if (rc == 0 || r.type == P9_RLERROR)
		fid_free(c, fid);
	return rc;
}

int
p9c_opendir(struct p9c *c, uint32_t fid, struct p9c_dir **dir)
{
	struct p9c_dir *d = calloc(1, sizeof(*d));

	if (d == NULL)
		return fail(c, -ENOMEM, "opendir: out of memory");
	d->c = c;
	d->fid = fid;
	p9_dirent_iter_init(&d->it, (struct p9_data){ NULL, 0 });
	*dir = d;
	return 0;
}

int
p9c_readdir(struct p9c_dir *d, struct p9_dirent *ent)
{
	struct p9c *c = d->c;
	int rc;

	for (;;) {
		struct p9_msg t = { .type = P9_TREADDIR }, r;

		rc = p9_dirent_next(&d->it, ent);
		if (rc > 0) {
			d->offset = ent->offset;
			return 1;
		}
		if (rc < 0)
			return fail(c, -EPROTO, "Treaddir: entry at byte %u of the reply: %s",
			    d->it.pos, p9_strerror(rc));
		if (d->eof)
			return 0;
		t.treaddir.fid = d->fid;
		t.treaddir.offset = d->offset;
		t.treaddir.count = c->cl.msize - P9_READDIRHDRSZ;
		rc = p9c_rpc(c, &t, &r);
		if (rc != 0)
			return rc;
		if (r.rreaddir.data.len > t.treaddir.count)
			return fail(c, -EPROTO, "Treaddir: Rreaddir of %u bytes for a count of %u",
			    r.rreaddir.data.len, t.treaddir.count);
		if (r.rreaddir.data.len == 0) {
			d->eof = 1;
			return 0;
		}
		if (d->cap < r.rreaddir.data.len) {
			uint8_t *b = realloc(d->buf, r.rreaddir.data.len);

			if (b == NULL)
				return fail(c, -ENOMEM, "Treaddir: out of memory for %u bytes",
				    r.rreaddir.data.len);
			d->buf = b;
			d->cap = r.rreaddir.data.len;
		}
		memcpy(d->buf, r.rreaddir.data.ptr, r.rreaddir.data.len);
		/* A copy of what p9_msg_decode checked. */
		p9_dirent_iter_checked(&d->it, (struct p9_data){ d->buf, r.rreaddir.data.len });
	}
}

void
p9c_closedir(struct p9c_dir *d)
{
	if (d == NULL)
		return;
	free(d->buf);
	free(d);
}
