/*
 * canned9p: the ceiling server of ci/loadbench.sh. It answers every
 * 9P2000.L request p9load sends with a fixed valid reply and keeps no file
 * system and no state beyond each connection's buffers: one thread, one
 * epoll loop, nonblocking sockets, the replies of a batch of requests
 * written with one send() per 8, busy-polling as p9d does (--spin-us,
 * default 50; both rules from p9_loop.h and p9srv.h, as p9d's). What it
 * costs per request is the transport and the codec, nothing else: the
 * most any server could reach on this path.
 *
 * Replies: Rversion (msize capped at --msize), Rattach, Rwalk (a qid per
 * name; Rlerror ENOENT if the first name starts with "nonexistent"),
 * Rlopen, Rlcreate, Rmkdir, Rgetattr (a regular file of --file-size
 * bytes), Rstatfs, Rread (count bytes up to --file-size), Rwrite (all of
 * it), Rreaddir (--dir-entries entries named from the offset cookie, so
 * listing it to the end takes the Treaddirs a real directory takes),
 * Rclunk, Runlinkat, Rflush, Rsetattr, Rfsync; Rlerror EOPNOTSUPP for
 * anything else.
 *
 *	canned9p -l tcp:127.0.0.1:0 [--file-size N] [--dir-entries N] [--msize N]
 *	         [--spin-us N]
 */
#include <errno.h>
#include <inttypes.h>
#include <netdb.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <getopt.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/un.h>

#include "p9.h"
#include "p9_loop.h"
#include "p9srv.h"	/* p9d's spin_us default and bound */

#define MAX_CONNS	4096

struct cconn {
	int		 fd;
	uint8_t		*in, *out;
	size_t		 icap, ihave, ocap, ohead, otail;
	int		 want_out;	/* EPOLLOUT armed */
};

static uint32_t max_msize = 1048576;
static uint64_t file_size = 1048576;
static uint32_t dir_entries = 1000;
static volatile sig_atomic_t stop;
static char unix_path[108];

static void
on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

static void
die(const char *what, const char *why)
{
	fprintf(stderr, "canned9p: %s: %s\n", what, why);
	if (unix_path[0] != '\0')
		unlink(unix_path);
	exit(2);
}

static uint64_t
number(const char *s, const char *opt, uint64_t lo, uint64_t hi)
{
	char *end;
	unsigned long long v;

	errno = 0;
	v = strtoull(s, &end, 10);
	if (s[0] < '0' || s[0] > '9' || *end != '\0' || errno != 0 || v < lo || v > hi) {
		fprintf(stderr, "canned9p: %s %s: out of range %" PRIu64 " to %" PRIu64 "\n", opt,
		    s, lo, hi);
		exit(2);
	}
	return v;
}

static int
listen_on(const char *addr)
{
	int fd, one = 1;

	if (strncmp(addr, "unix:", 5) == 0) {
		struct sockaddr_un sun = { .sun_family = AF_UNIX };
		size_t len = strlen(addr + 5);

		if (len == 0 || len >= sizeof(sun.sun_path))
			die(addr, "Unix socket path empty or longer than 107 bytes");
		memcpy(sun.sun_path, addr + 5, len + 1);
		fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
		if (fd < 0 || bind(fd, (struct sockaddr *)&sun, sizeof(sun)) != 0)
			die(addr, strerror(errno));
		memcpy(unix_path, sun.sun_path, len + 1);
		if (listen(fd, 128) != 0)
			die(addr, strerror(errno));
		fprintf(stderr, "canned9p: listening on %s\n", addr);
	} else {
		const char *hp = strncmp(addr, "tcp:", 4) == 0 ? addr + 4 : addr;
		const char *colon = strrchr(hp, ':');
		struct sockaddr_in sin = { .sin_family = AF_INET };
		socklen_t sl = sizeof(sin);
		char host[64];

		if (colon == NULL || (size_t)(colon - hp) >= sizeof(host))
			die(addr, "not tcp:IPV4:PORT or unix:PATH");
		memcpy(host, hp, (size_t)(colon - hp));
		host[colon - hp] = '\0';
		if (inet_pton(AF_INET, host, &sin.sin_addr) != 1)
			die(addr, "the host is not an IPv4 address");
		sin.sin_port = htons((uint16_t)number(colon + 1, "port", 0, 65535));
		fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
		if (fd < 0)
			die(addr, strerror(errno));
		(void)setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
		if (bind(fd, (struct sockaddr *)&sin, sizeof(sin)) != 0 || listen(fd, 128) != 0 ||
		    getsockname(fd, (struct sockaddr *)&sin, &sl) != 0)
			die(addr, strerror(errno));
		fprintf(stderr, "canned9p: listening on tcp:%s:%u\n", host, ntohs(sin.sin_port));
	}
	return fd;
}

static struct p9_qid
qid_of(const struct p9_str *name)
{
	struct p9_qid q = { .type = P9_QTFILE, .version = 0, .path = 2 };

	if (name != NULL && (p9_str_eq(*name, "dir") ||
	    (name->len >= 6 && memcmp(name->ptr, "p9load", 6) == 0))) {
		q.type = P9_QTDIR;
		q.path = 3;
	}
	return q;
}

/* Encode the reply to request t at out[0..cap); returns its length, or a
 * negative P9_ERR_*. */
static long
reply(const struct p9_msg *t, uint8_t *out, size_t cap, uint32_t msize)
{
	struct p9_msg r;
	struct p9_qid dq = { .type = P9_QTDIR, .version = 0, .path = 1 };

	memset(&r, 0, sizeof(r));
	r.type = (uint8_t)(t->type + 1);
	r.tag = t->tag;
	switch (t->type) {
	case P9_TVERSION:
		r.rversion.msize = t->tversion.msize < msize ? t->tversion.msize : msize;
		r.rversion.version.ptr = t->tversion.version.len >= 8 &&
		    memcmp(t->tversion.version.ptr, P9_VERSION_L, 8) == 0 ? P9_VERSION_L : "unknown";
		r.rversion.version.len = (uint16_t)strlen(r.rversion.version.ptr);
		break;
	case P9_TATTACH:
		r.rattach.qid = dq;
		break;
	case P9_TWALK:
		if (t->twalk.wname.n > 0 && t->twalk.wname.s[0].len >= 11 &&
		    memcmp(t->twalk.wname.s[0].ptr, "nonexistent", 11) == 0)
			goto enoent;
		r.rwalk.wqid.n = t->twalk.wname.n;
		for (unsigned i = 0; i < t->twalk.wname.n; i++)
			r.rwalk.wqid.q[i] = qid_of(&t->twalk.wname.s[i]);
		break;
	case P9_TLOPEN:
		r.rlopen.qid = qid_of(NULL);
		break;
	case P9_TLCREATE:
		r.rlcreate.qid = qid_of(NULL);
		break;
	case P9_TMKDIR:
		r.rmkdir.qid = dq;
		break;
	case P9_TGETATTR:
		r.rgetattr.valid = P9_GETATTR_BASIC;
		r.rgetattr.qid = qid_of(NULL);
		r.rgetattr.mode = 0100644;
		r.rgetattr.nlink = 1;
		r.rgetattr.size = file_size;
		r.rgetattr.blksize = 4096;
		r.rgetattr.blocks = (file_size + 511) / 512;
		break;
	case P9_TSTATFS:
		r.rstatfs.type = 0x01021997;
		r.rstatfs.bsize = 4096;
		r.rstatfs.blocks = r.rstatfs.bfree = r.rstatfs.bavail = 1u << 20;
		r.rstatfs.files = r.rstatfs.ffree = 1u << 20;
		r.rstatfs.namelen = 255;
		break;
	case P9_TREAD: {
		uint32_t room, n = 0;

		if (p9_rdata_begin(out, cap, P9_RREAD, t->tag, t->tread.count, &room) == NULL)
			return P9_ERR_NOSPACE;
		if (room > msize - 1 - P9_RDATA_HDRSZ)
			room = msize - 1 - P9_RDATA_HDRSZ;
		if (t->tread.offset < file_size)
			n = file_size - t->tread.offset < room ? (uint32_t)(file_size -
			    t->tread.offset) : room;
		/* the data: whatever the buffer held (it is initialised) */
		return (long)p9_rdata_seal(out, n);
	}
	case P9_TREADDIR: {
		uint32_t room, used = 0;
		uint8_t *data = p9_rdata_begin(out, cap, P9_RREADDIR, t->tag, t->treaddir.count,
		    &room);

		if (data == NULL)
			return P9_ERR_NOSPACE;
		if (room > msize - 1 - P9_RDATA_HDRSZ)
			room = msize - 1 - P9_RDATA_HDRSZ;
		for (uint64_t i = t->treaddir.offset; i < dir_entries; i++) {
			char name[24];
			struct p9_dirent d = { .qid = { .type = P9_QTFILE, .path = 100 + i },
			    .offset = i + 1, .type = 8 };

			d.name.ptr = name;
			d.name.len = (uint16_t)snprintf(name, sizeof(name), "entry.%07" PRIu64, i);
			if (p9_dirent_put(data, room, &used, &d) != 0)
				break;
		}
		return (long)p9_rdata_seal(out, used);
	}
	case P9_TWRITE:
		r.rwrite.count = t->twrite.data.len;
		break;
	case P9_TCLUNK: case P9_TUNLINKAT: case P9_TFLUSH: case P9_TSETATTR: case P9_TFSYNC:
	case P9_TREMOVE: case P9_TRENAMEAT:
		break;
	default:
		r.type = P9_RLERROR;
		r.rlerror.ecode = 95;	/* EOPNOTSUPP */
		break;
	}
	return p9_msg_encode(&r, out, cap);
enoent:
	r.type = P9_RLERROR;
	r.rlerror.ecode = 2;
	return p9_msg_encode(&r, out, cap);
}

static void
conn_close(int ep, struct cconn *c)
{
	epoll_ctl(ep, EPOLL_CTL_DEL, c->fd, NULL);
	close(c->fd);
	free(c->in);
	free(c->out);
	free(c);
}

/* Send what is queued. 0, or -1 if the connection is to be closed. */
static int
flush_out(int ep, struct cconn *c)
{
	while (c->otail > c->ohead) {
		ssize_t n = send(c->fd, c->out + c->ohead, c->otail - c->ohead,
		    MSG_DONTWAIT | MSG_NOSIGNAL);

		if (n > 0) {
			c->ohead += (size_t)n;
			continue;
		}
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			break;
		return -1;
	}
	if (c->ohead == c->otail)
		c->ohead = c->otail = 0;
	{
		int want = c->otail > c->ohead;

		if (want != c->want_out) {
			struct epoll_event ev = { .events = want ? EPOLLOUT : EPOLLIN,
			    .data.ptr = c };

			if (epoll_ctl(ep, EPOLL_CTL_MOD, c->fd, &ev) != 0)
				return -1;
			c->want_out = want;
		}
	}
	return 0;
}

/* Answer up to P9_LOOP_REPLIES_PER_WRITE whole frames of c->in while the
 * output has room for a reply of msize. The count answered, or -1 to
 * close. */
static long
serve(struct cconn *c)
{
	size_t pos = 0, need;
	long done = 0;

	while (c->ihave - pos >= 4 && done < P9_LOOP_REPLIES_PER_WRITE) {
		struct p9_msg t;
		long n;

		if (p9_frame_need(c->in + pos, c->ihave - pos, max_msize, &need) != 0)
			return -1;
		if (c->ihave - pos < need)
			break;
		if (c->ocap - c->otail < max_msize) {
			if (c->ohead > 0) {
				memmove(c->out, c->out + c->ohead, c->otail - c->ohead);
				c->otail -= c->ohead;
				c->ohead = 0;
			}
			if (c->ocap - c->otail < max_msize)
				break;	/* backpressure: send first */
		}
		if (p9_msg_decode(c->in + pos, need, &t) != 0)
			return -1;
		n = reply(&t, c->out + c->otail, c->ocap - c->otail, max_msize);
		if (n < 0)
			return -1;
		c->otail += (size_t)n;
		pos += need;
		done++;
	}
	if (pos > 0) {
		memmove(c->in, c->in + pos, c->ihave - pos);
		c->ihave -= pos;
	}
	return done;
}

int
main(int argc, char **argv)
{
	static const struct option lo[] = {
		{ "listen", required_argument, NULL, 'l' },
		{ "file-size", required_argument, NULL, 1 },
		{ "dir-entries", required_argument, NULL, 2 },
		{ "msize", required_argument, NULL, 'm' },
		{ "spin-us", required_argument, NULL, 3 },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *addr = NULL;
	int ch, lfd, ep;
	unsigned nconns = 0;
	struct sigaction sa = { .sa_handler = on_signal };
	/* Busy-polling as p9d's loops do by default, so that the ceiling
	 * stays one for a client that waits for each reply. */
	struct p9_spin spin = { .ns = P9SRV_SPIN_DEFAULT_US * 1000u };

	while ((ch = getopt_long(argc, argv, "l:m:h", lo, NULL)) != -1) {
		switch (ch) {
		case 'l': addr = optarg; break;
		case 1: file_size = number(optarg, "--file-size", 1, 1u << 30); break;
		case 2: dir_entries = (uint32_t)number(optarg, "--dir-entries", 1, 100000); break;
		case 'm': max_msize = (uint32_t)number(optarg, "--msize", 4096, 16777216); break;
		case 3: spin.ns = number(optarg, "--spin-us", 0, P9SRV_SPIN_MAX_US) * 1000u; break;
		case 'h':
			puts("usage: canned9p -l tcp:IPV4:PORT|unix:PATH [--file-size N] "
			    "[--dir-entries N] [--msize N] [--spin-us N]");
			return 0;
		default:
			return 2;
		}
	}
	if (addr == NULL || optind != argc) {
		fprintf(stderr, "usage: canned9p -l tcp:IPV4:PORT|unix:PATH [--file-size N] "
		    "[--dir-entries N] [--msize N] [--spin-us N]\n");
		return 2;
	}
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	lfd = listen_on(addr);
	ep = epoll_create1(EPOLL_CLOEXEC);
	if (ep < 0)
		die("epoll_create1", strerror(errno));
	{
		struct epoll_event ev = { .events = EPOLLIN, .data.ptr = NULL };

		if (epoll_ctl(ep, EPOLL_CTL_ADD, lfd, &ev) != 0)
			die("epoll_ctl", strerror(errno));
	}
	while (!stop) {		/* until SIGINT or SIGTERM */
		struct epoll_event evs[64];
		uint64_t t0 = p9_spin_begin(&spin, 500);
		int n = 0;

		if (p9_spin_wanted(&spin, t0))
			while ((n = epoll_wait(ep, evs, 64, 0)) == 0 && p9_spin_more(&spin, t0))
				;
		if (n == 0)
			n = epoll_wait(ep, evs, 64, 500);
		p9_spin_end(&spin, t0, n);

		for (int i = 0; i < n; i++) {
			struct cconn *c = evs[i].data.ptr;

			if (c == NULL) {	/* the listener */
				for (int k = 0; k < 64; k++) {
					int fd = accept4(lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
					int one = 1;
					struct epoll_event ev = { .events = EPOLLIN };

					if (fd < 0)
						break;
					c = calloc(1, sizeof(*c));
					if (c == NULL || nconns >= MAX_CONNS) {
						fprintf(stderr, "canned9p: refusing a connection: %s\n",
						    c == NULL ? "out of memory" : "too many connections");
						free(c);
						close(fd);
						continue;
					}
					(void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
					c->fd = fd;
					c->icap = 2 * (size_t)max_msize + 65536;
					c->ocap = 4 * (size_t)max_msize + 65536;
					c->in = calloc(1, c->icap);
					c->out = calloc(1, c->ocap);
					ev.data.ptr = c;
					if (c->in == NULL || c->out == NULL ||
					    epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev) != 0) {
						close(fd);
						free(c->in);
						free(c->out);
						free(c);
						continue;
					}
					nconns++;
				}
				continue;
			}
			if (evs[i].events & (EPOLLIN | EPOLLHUP | EPOLLERR)) {
				ssize_t r = recv(c->fd, c->in + c->ihave, c->icap - c->ihave, 0);

				if (r == 0 || (r < 0 && errno != EAGAIN && errno != EINTR)) {
					conn_close(ep, c);
					nconns--;
					continue;
				}
				if (r > 0)
					c->ihave += (size_t)r;
			}
			/* Answer and send, P9_LOOP_REPLIES_PER_WRITE at a time,
			 * while that makes progress (a full output waits for
			 * EPOLLOUT). */
			for (;;) {
				long done = serve(c);

				if (done < 0 || flush_out(ep, c) != 0) {
					conn_close(ep, c);
					nconns--;
					break;
				}
				if (done == 0 || c->ihave < 4)
					break;
			}
		}
		if (n < 0 && errno != EINTR)
			die("epoll_wait", strerror(errno));
	}
	if (unix_path[0] != '\0')
		unlink(unix_path);
	return 0;
}
