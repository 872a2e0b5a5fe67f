/*
 * p9load: a load generator for 9P2000.L servers (p9load.1).
 *
 * Setup (the fixture, each connection's version/attach/walks) uses the
 * blocking client p9c; the measured traffic is driven directly on the
 * sans-I/O client core (p9_client.h): each connection is one thread that
 * keeps --depth operations in flight, encodes every request that is ready
 * into one send buffer, writes it with one send() and reads replies in
 * batches with one recv(). Connections are spread over --procs processes.
 *
 * An operation is a short chain of RPCs (a workload's unit: one Tgetattr,
 * or Twalk+Tclunk, ...); latency is measured per operation, from the moment
 * its first request is queued to the moment its last reply is matched.
 * Only operations and replies that complete inside the measured window
 * (after --warmup, for --duration) count.
 */
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <math.h>
#include <poll.h>
#include <pthread.h>
#include <pwd.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <getopt.h>
#include <sys/socket.h>
#include <sys/wait.h>

#include "p9.h"
#include "p9_client.h"
#include "p9c.h"

#ifndef P9LOAD_VERSION
#define P9LOAD_VERSION "unknown"
#endif

#define MAX_CONNS	1024
#define MAX_PROCS	64
#define MAX_DEPTH	1024
#define FID_BASE	0x10000000u	/* per-operation fids: FID_BASE + slot */
#define DRAIN_NS	(10ll * 1000000000ll)	/* after the window, for ops in flight */
#define SETUP_TIMEOUT_MS 10000
#define MAX_CLEAN	100000		/* entries removed from one directory */

/* Latency histogram: exact below 64 ns, then 64 buckets per power of two
 * (at most 1.6% error), up to 2^43 ns (2.4 hours). */
#define HSUB	64
#define HBITS	6
#define HMAXE	42
#define HN	((HMAXE - 4) * HSUB)

enum wl {
	W_GETATTR, W_GETATTR_ALL, W_WALK, W_OPENREAD, W_READ, W_WRITE, W_READDIR,
	W_CREATE, W_MIXED, W_FLUSH, W_N
};

static const struct {
	const char	*name;
	const char	*what;
} wls[W_N] = {
	{ "getattr", "Tgetattr, basic mask 0x7ff, on a file fid never opened" },
	{ "getattr-all", "Tgetattr, the mask Linux sends (0x3fff), on a file fid never opened" },
	{ "walk-clunk", "Twalk to the file, Tclunk" },
	{ "open-read", "Twalk, Tlopen, Treads of msize chunks to the end of the file, Tclunk" },
	{ "read", "Tread of an msize chunk through an open fid, offsets cycling over the file" },
	{ "write", "Twrite of an msize chunk through an open fid, offsets cycling over --file-size" },
	{ "readdir", "Twalk, Tlopen, Treaddirs to the end of the large directory, Tclunk" },
	{ "create", "Twalk, Tlcreate, Twrite of --small-size bytes, Tclunk, Tunlinkat" },
	{ "mixed", "in turn: stat by path, lookup of a missing name, getattr, statfs, create+unlink" },
	{ "flush", "Tgetattr and a Tflush of it sent together; ends with the Rflush" },
};

static struct {
	const char	*addr;
	unsigned	 conns, procs, depth;
	uint32_t	 msize;
	double		 duration, warmup;
	const char	*aname, *uname;
	uint32_t	 n_uname, gid;
	long		 server_pid;
	int		 json;
	const char	*label;
	uint64_t	 file_size;
	unsigned	 dir_entries;
	uint32_t	 small_size;
	const char	*dir;
	int		 run[W_N];
	int		 use_remove;	/* the server refuses Tunlinkat: Tremove instead */
	/* set up by main */
	char		 scratch[128];	/* scratch directory's name */
	char		 spath[4200];	/* its path from the attach root */
} O = {
	.conns = 1, .procs = 1, .depth = 1, .msize = 131072, .duration = 5, .warmup = 1,
	.aname = "", .n_uname = P9_NONUNAME, .server_pid = 0, .label = "",
	.file_size = 1048576, .dir_entries = 1000, .small_size = 4096, .dir = "",
};

struct stats {
	uint64_t	 ops, rpcs, bytes, errors;
	uint64_t	 hist[HN];
	char		 err[240];	/* the first error, "" if none */
};

/* --- small helpers ------------------------------------------------------------ */

static int64_t
mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000ll + ts.tv_nsec;
}

static void
sleep_until(int64_t t)
{
	for (int i = 0; i < 100000; i++) {	/* bounded: EINTR only */
		int64_t d = t - mono_ns();
		struct timespec ts;

		if (d <= 0)
			return;
		ts.tv_sec = (time_t)(d / 1000000000ll);
		ts.tv_nsec = (long)(d % 1000000000ll);
		if (nanosleep(&ts, NULL) == 0)
			return;
	}
}

#if defined(__GNUC__) || defined(__clang__)
__attribute__((format(printf, 1, 2), noreturn))
#endif
static void
usage_error(const char *fmt, ...)
{
	va_list ap;

	fputs("p9load: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputs(" (p9load --help lists the options)\n", stderr);
	exit(2);
}

#if defined(__GNUC__) || defined(__clang__)
__attribute__((format(printf, 3, 4)))
#endif
static void
set_err(char *buf, size_t cap, const char *fmt, ...)
{
	va_list ap;

	if (buf[0] != '\0')
		return;		/* keep the first */
	va_start(ap, fmt);
	vsnprintf(buf, cap, fmt, ap);
	va_end(ap);
}

static uint64_t
number(const char *s, const char *opt, uint64_t lo, uint64_t hi)
{
	char *end;
	unsigned long long v;

	if (s[0] < '0' || s[0] > '9')
		usage_error("%s %s: not a decimal number (allowed: %" PRIu64 " to %" PRIu64 ")",
		    opt, s, lo, hi);
	errno = 0;
	v = strtoull(s, &end, 10);
	if (*end != '\0' || errno != 0 || v < lo || v > hi)
		usage_error("%s %s: out of range %" PRIu64 " to %" PRIu64, opt, s, lo, hi);
	return v;
}

static double
seconds(const char *s, const char *opt, double lo, double hi)
{
	char *end;
	double v;

	errno = 0;
	v = strtod(s, &end);
	if (end == s || *end != '\0' || errno != 0 || !isfinite(v) || v < lo || v > hi)
		usage_error("%s %s: not a number of seconds in %g to %g", opt, s, lo, hi);
	return v;
}

static struct p9_str
S(const char *s)
{
	struct p9_str r = { s, (uint16_t)strlen(s) };

	return r;
}

static unsigned
hidx(uint64_t v)
{
	int e;

	if (v < HSUB)
		return (unsigned)v;
	e = 63 - __builtin_clzll(v);
	if (e > HMAXE) {
		e = HMAXE;
		v = (2ull << HMAXE) - 1;
	}
	return (unsigned)((e - HBITS + 1) * HSUB + (int)((v >> (e - HBITS)) & (HSUB - 1)));
}

/* The middle of bucket i, in ns. */
static double
hval(unsigned i)
{
	unsigned e, sub;

	if (i < HSUB)
		return i;
	e = i / HSUB + HBITS - 1;
	sub = i % HSUB;
	return (double)((uint64_t)(HSUB + sub) << (e - HBITS)) +
	    (double)(1ull << (e - HBITS)) / 2;
}

/* The q-quantile (0 < q <= 1) in microseconds, 0 if empty. */
static double
quantile_us(const uint64_t *h, uint64_t n, double q)
{
	uint64_t rank = (uint64_t)ceil(q * (double)n), cum = 0;

	if (n == 0)
		return 0;
	if (rank < 1)
		rank = 1;
	for (unsigned i = 0; i < HN; i++) {
		cum += h[i];
		if (cum >= rank)
			return hval(i) / 1000.0;
	}
	return hval(HN - 1) / 1000.0;
}

/* --- one connection's load loop ----------------------------------------------- */

struct conn;

struct slot {
	struct conn	*cn;
	uint32_t	 idx, nfid;
	int		 step, kind, busy, npend;
	int64_t		 t0;
	uint64_t	 seq, off, got, entries, rdoff;
	uint16_t	 otag;
	struct p9_msg	 pend[2];
	char		 name[64];
};

struct conn {
	unsigned	 gidx;		/* over every process */
	enum wl		 w;
	int		 fd;
	uint32_t	 msize, chunk, rdchunk;
	uint32_t	 root, sfid, ffid, rfid, wfid;
	struct p9c	*c;
	struct p9_client cl;
	struct p9_creq	*creqs;
	uint8_t		*obuf, *ibuf, *wdata;
	size_t		 ocap, ohead, otail, icap, ihave;
	struct slot	*slots;
	struct slot	**fifo;
	unsigned	 nslots, fhead, fn, active;
	int		 stopping, failed, inwin;
	int64_t		 now, t1, t2;
	struct stats	 st;
	pthread_t	 th;
	struct proc	*pr;
};

#if defined(__GNUC__) || defined(__clang__)
__attribute__((format(printf, 2, 3)))
#endif
static void
conn_fail(struct conn *cn, const char *fmt, ...)
{
	va_list ap;
	char msg[200];

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	cn->st.errors++;
	set_err(cn->st.err, sizeof(cn->st.err), "connection %u (%s, %s): %s", cn->gidx,
	    O.addr, wls[cn->w].name, msg);
	cn->failed = 1;
}

static void
m_walk(struct p9_msg *m, uint32_t fid, uint32_t newfid, const char *name)
{
	memset(m, 0, sizeof(*m));
	m->type = P9_TWALK;
	m->twalk.fid = fid;
	m->twalk.newfid = newfid;
	if (name != NULL) {
		m->twalk.wname.n = 1;
		m->twalk.wname.s[0] = S(name);
	}
}

static void
m_fid(struct p9_msg *m, uint8_t type, uint32_t fid)
{
	memset(m, 0, sizeof(*m));
	m->type = type;
	switch (type) {
	case P9_TCLUNK: m->tclunk.fid = fid; break;
	case P9_TSTATFS: m->tstatfs.fid = fid; break;
	case P9_TREMOVE: m->tremove.fid = fid; break;
	default: break;
	}
}

static void
m_getattr(struct p9_msg *m, uint32_t fid, uint64_t mask)
{
	memset(m, 0, sizeof(*m));
	m->type = P9_TGETATTR;
	m->tgetattr.fid = fid;
	m->tgetattr.request_mask = mask;
}

static void
m_lopen(struct p9_msg *m, uint32_t fid, uint32_t flags)
{
	memset(m, 0, sizeof(*m));
	m->type = P9_TLOPEN;
	m->tlopen.fid = fid;
	m->tlopen.flags = flags;
}

static void
m_read(struct p9_msg *m, uint8_t type, uint32_t fid, uint64_t off, uint32_t count)
{
	memset(m, 0, sizeof(*m));
	m->type = type;
	if (type == P9_TREAD) {
		m->tread.fid = fid;
		m->tread.offset = off;
		m->tread.count = count;
	} else {
		m->treaddir.fid = fid;
		m->treaddir.offset = off;
		m->treaddir.count = count;
	}
}

static void
m_write(struct p9_msg *m, uint32_t fid, uint64_t off, const uint8_t *p, uint32_t n)
{
	memset(m, 0, sizeof(*m));
	m->type = P9_TWRITE;
	m->twrite.fid = fid;
	m->twrite.offset = off;
	m->twrite.data.ptr = p;
	m->twrite.data.len = n;
}

static void
m_lcreate(struct p9_msg *m, uint32_t fid, const char *name)
{
	memset(m, 0, sizeof(*m));
	m->type = P9_TLCREATE;
	m->tlcreate.fid = fid;
	m->tlcreate.name = S(name);
	m->tlcreate.flags = P9_DOTL_WRONLY;
	m->tlcreate.mode = 0644;
	m->tlcreate.gid = O.gid;
}

static void
m_unlink(struct p9_msg *m, uint32_t dfid, const char *name, uint32_t flags)
{
	memset(m, 0, sizeof(*m));
	m->type = P9_TUNLINKAT;
	m->tunlinkat.dirfid = dfid;
	m->tunlinkat.name = S(name);
	m->tunlinkat.flags = flags;
}

/* Encode the queued slots' requests while they fit; a slot's requests go
 * out together (a Tflush with the request it flushes). */
static void
pump(struct conn *cn)
{
	while (cn->fn > 0 && !cn->failed) {
		struct slot *s = cn->fifo[cn->fhead];
		size_t need = 0;

		for (int i = 0; i < s->npend; i++)
			need += p9_msg_size(&s->pend[i]);
		if (cn->ocap - cn->otail < need && cn->ohead > 0) {
			memmove(cn->obuf, cn->obuf + cn->ohead, cn->otail - cn->ohead);
			cn->otail -= cn->ohead;
			cn->ohead = 0;
		}
		if (cn->ocap - cn->otail < need)
			return;
		for (int i = 0; i < s->npend; i++) {
			struct p9_msg *m = &s->pend[i];
			long n;

			if (m->type == P9_TFLUSH)
				m->tflush.oldtag = s->otag;
			n = p9_client_request(&cn->cl, m, s, cn->obuf + cn->otail,
			    cn->ocap - cn->otail);
			if (n < 0) {
				conn_fail(cn, "encoding %s: %s", p9_type_name(m->type),
				    p9_strerror((int)n));
				return;
			}
			s->otag = m->tag;
			cn->otail += (size_t)n;
		}
		s->npend = 0;
		cn->fhead = (cn->fhead + 1) % cn->nslots;
		cn->fn--;
	}
}

static void
submit(struct conn *cn, struct slot *s, const struct p9_msg *m, int n)
{
	for (int i = 0; i < n; i++)
		s->pend[i] = m[i];
	s->npend = n;
	cn->fifo[(cn->fhead + cn->fn) % cn->nslots] = s;
	cn->fn++;
}

static void
start_op(struct conn *cn, struct slot *s)
{
	struct p9_msg m[2];
	int n = 1;

	s->t0 = cn->now;
	s->step = 0;
	s->busy = 1;
	cn->active++;
	s->seq++;
	switch (cn->w) {
	case W_GETATTR:
		m_getattr(&m[0], cn->ffid, P9_GETATTR_BASIC);
		break;
	case W_GETATTR_ALL:
		m_getattr(&m[0], cn->ffid, P9_GETATTR_ALL);
		break;
	case W_WALK:
	case W_OPENREAD:
		m_walk(&m[0], cn->sfid, s->nfid, "file");
		break;
	case W_READ:
	case W_WRITE:
		if (s->off + cn->chunk > O.file_size)
			s->off = 0;
		if (cn->w == W_READ)
			m_read(&m[0], P9_TREAD, cn->rfid, s->off, cn->chunk);
		else
			m_write(&m[0], cn->wfid, s->off, cn->wdata,
			    (uint32_t)(O.file_size < cn->chunk ? O.file_size : cn->chunk));
		s->off += cn->chunk;
		break;
	case W_READDIR:
		m_walk(&m[0], cn->sfid, s->nfid, "dir");
		break;
	case W_CREATE:
		snprintf(s->name, sizeof(s->name), "c.%u.%u.%" PRIu64, cn->gidx, s->idx, s->seq);
		m_walk(&m[0], cn->sfid, s->nfid, NULL);
		break;
	case W_MIXED:
		s->kind = (int)((s->seq + s->idx) % 5);
		switch (s->kind) {
		case 0:
			m_walk(&m[0], cn->sfid, s->nfid, "file");
			break;
		case 1:
			snprintf(s->name, sizeof(s->name), "nonexistent.%u", s->idx);
			m_walk(&m[0], cn->sfid, s->nfid, s->name);
			break;
		case 2:
			m_getattr(&m[0], cn->ffid, P9_GETATTR_ALL);
			break;
		case 3:
			m_fid(&m[0], P9_TSTATFS, cn->sfid);
			break;
		default:
			snprintf(s->name, sizeof(s->name), "m.%u.%u.%" PRIu64, cn->gidx, s->idx,
			    s->seq);
			m_walk(&m[0], cn->sfid, s->nfid, NULL);
			break;
		}
		break;
	case W_FLUSH:
		m_getattr(&m[0], cn->ffid, P9_GETATTR_BASIC);
		memset(&m[1], 0, sizeof(m[1]));
		m[1].type = P9_TFLUSH;	/* oldtag: set when m[0] is encoded */
		n = 2;
		break;
	default:
		break;
	}
	submit(cn, s, m, n);
}

static void
finish_op(struct conn *cn, struct slot *s)
{
	s->busy = 0;
	cn->active--;
	if (cn->inwin) {
		int64_t d = cn->now - s->t0;

		cn->st.ops++;
		cn->st.hist[hidx(d < 0 ? 0 : (uint64_t)d)]++;
	}
	if (!cn->stopping && !cn->failed)
		start_op(cn, s);
}

static const char *
ename(uint32_t e)
{
	const char *n = p9_errno_name(e);

	return n != NULL ? n : "an unknown errno";
}

/* The next step of slot s's operation, given the reply r to its request of
 * type ttype. */
static void
step(struct conn *cn, struct slot *s, const struct p9_msg *r, uint8_t ttype)
{
	struct p9_msg m;
	int k = s->step++;

	if (r->type == P9_RLERROR) {
		if (cn->w == W_MIXED && s->kind == 1 && r->rlerror.ecode == 2) {
			finish_op(cn, s);	/* the missing name: ENOENT expected */
			return;
		}
		conn_fail(cn, "%s: Rlerror %s (%u)", p9_type_name(ttype), ename(r->rlerror.ecode),
		    (unsigned)r->rlerror.ecode);
		return;
	}
	switch (cn->w) {
	case W_GETATTR:
	case W_GETATTR_ALL:
	case W_READ:
		if (cn->w == W_READ && r->rread.data.len == 0) {
			conn_fail(cn, "Tread at offset %" PRIu64 " of a %" PRIu64
			    "-byte file returned nothing", s->off - cn->chunk, O.file_size);
			return;
		}
		if (cn->w == W_READ && cn->inwin)
			cn->st.bytes += r->rread.data.len;
		finish_op(cn, s);
		return;
	case W_WRITE:
		if (r->rwrite.count == 0) {
			conn_fail(cn, "Twrite returned a count of 0");
			return;
		}
		if (cn->inwin)
			cn->st.bytes += r->rwrite.count;
		finish_op(cn, s);
		return;
	case W_WALK:
		if (k == 0) {
			m_fid(&m, P9_TCLUNK, s->nfid);
			submit(cn, s, &m, 1);
		} else
			finish_op(cn, s);
		return;
	case W_OPENREAD:
		if (k == 0) {
			m_lopen(&m, s->nfid, P9_DOTL_RDONLY);
		} else if (k == 1) {
			s->got = 0;
			m_read(&m, P9_TREAD, s->nfid, 0, cn->chunk);
		} else if (ttype == P9_TREAD) {
			uint32_t len = r->rread.data.len;

			s->got += len;
			if (cn->inwin)
				cn->st.bytes += len;
			if (len == 0 || s->got >= O.file_size)
				m_fid(&m, P9_TCLUNK, s->nfid);
			else
				m_read(&m, P9_TREAD, s->nfid, s->got, cn->chunk);
		} else {
			finish_op(cn, s);
			return;
		}
		submit(cn, s, &m, 1);
		return;
	case W_READDIR:
		if (k == 0) {
			m_lopen(&m, s->nfid, P9_DOTL_RDONLY | P9_DOTL_DIRECTORY);
		} else if (k == 1) {
			s->entries = 0;
			s->rdoff = 0;
			m_read(&m, P9_TREADDIR, s->nfid, 0, cn->rdchunk);
		} else if (ttype == P9_TREADDIR) {
			struct p9_dirent_iter it;
			struct p9_dirent d;
			int rc;

			if (cn->inwin)
				cn->st.bytes += r->rreaddir.data.len;
			if (r->rreaddir.data.len == 0) {
				if (s->entries < O.dir_entries) {
					conn_fail(cn, "readdir listed %" PRIu64
					    " entries, expected at least %u", s->entries, O.dir_entries);
					return;
				}
				m_fid(&m, P9_TCLUNK, s->nfid);
				submit(cn, s, &m, 1);
				return;
			}
			p9_dirent_iter_init(&it, r->rreaddir.data);
			for (unsigned i = 0; i < cn->rdchunk && (rc = p9_dirent_next(&it, &d)) > 0; i++) {
				s->entries++;
				s->rdoff = d.offset;
			}
			if (s->entries > 4ull * O.dir_entries + 1000) {
				conn_fail(cn, "readdir did not end after %" PRIu64 " entries (%u expected)",
				    s->entries, O.dir_entries);
				return;
			}
			m_read(&m, P9_TREADDIR, s->nfid, s->rdoff, cn->rdchunk);
		} else {
			finish_op(cn, s);
			return;
		}
		submit(cn, s, &m, 1);
		return;
	case W_CREATE:
	case W_MIXED:
		if (cn->w == W_MIXED && s->kind != 4) {
			if (s->kind == 0 && k == 0)
				m_getattr(&m, s->nfid, P9_GETATTR_ALL);
			else if (s->kind == 0 && k == 1)
				m_fid(&m, P9_TCLUNK, s->nfid);
			else if (s->kind == 1) {
				conn_fail(cn, "Twalk to the missing name %s succeeded", s->name);
				return;
			} else {
				finish_op(cn, s);
				return;
			}
			submit(cn, s, &m, 1);
			return;
		}
		/* create: walk(clone) lcreate [write] clunk unlinkat */
		if (k == 0)
			m_lcreate(&m, s->nfid, s->name);
		else if (k == 1 && cn->w == W_CREATE && O.small_size > 0)
			m_write(&m, s->nfid, 0, cn->wdata, O.small_size);
		else if (ttype == P9_TLCREATE || ttype == P9_TWRITE) {
			if (ttype == P9_TWRITE && cn->inwin)
				cn->st.bytes += r->rwrite.count;
			/* Tremove clunks the fid too, as Linux's fallback does */
			m_fid(&m, O.use_remove ? P9_TREMOVE : P9_TCLUNK, s->nfid);
		} else if (ttype == P9_TCLUNK)
			m_unlink(&m, cn->sfid, s->name, 0);
		else {
			finish_op(cn, s);
			return;
		}
		submit(cn, s, &m, 1);
		return;
	default:
		conn_fail(cn, "unexpected reply %s", p9_type_name(r->type));
		return;
	}
}

static void
on_frame(struct conn *cn, const uint8_t *f, size_t len)
{
	struct p9_msg r;
	struct p9_client_done d;
	struct slot *s;
	int rc = p9_client_reply(&cn->cl, f, len, &r, &d);

	if (rc < 0) {
		conn_fail(cn, "a %zu-byte reply of type %u tag %u: %s", len, f[4],
		    (unsigned)f[5] | (unsigned)f[6] << 8, p9_strerror(rc));
		return;
	}
	if (cn->inwin)
		cn->st.rpcs += 1 + (d.flushed ? 1 : 0);
	s = d.user;
	if (d.ttype == P9_TFLUSH) {
		finish_op(cn, s);
		return;
	}
	if (cn->w == W_FLUSH) {		/* the flushed Tgetattr answered first */
		if (r.type == P9_RLERROR)
			conn_fail(cn, "Tgetattr (flushed): Rlerror %s", ename(r.rlerror.ecode));
		return;
	}
	step(cn, s, &r, d.ttype);
}

static void
load_loop(struct conn *cn)
{
	long iter;
	const long max_iter = 4000000000l;

	cn->now = mono_ns();
	cn->inwin = 0;
	for (unsigned i = 0; i < cn->nslots; i++)
		start_op(cn, &cn->slots[i]);
	pump(cn);
	for (iter = 0; iter < max_iter && !cn->failed; iter++) {
		ssize_t n;

		if (cn->otail > cn->ohead) {
			n = send(cn->fd, cn->obuf + cn->ohead, cn->otail - cn->ohead,
			    MSG_DONTWAIT | MSG_NOSIGNAL);
			if (n > 0) {
				cn->ohead += (size_t)n;
				if (cn->ohead == cn->otail)
					cn->ohead = cn->otail = 0;
				pump(cn);
			} else if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK &&
			    errno != EINTR) {
				conn_fail(cn, "send: %s", strerror(errno));
				break;
			}
		}
		cn->now = mono_ns();
		if (!cn->stopping && cn->now >= cn->t2)
			cn->stopping = 1;
		if (cn->stopping && cn->active == 0)
			break;
		if (cn->now >= cn->t2 + DRAIN_NS) {
			conn_fail(cn, "%u operations still without a reply %lld s after the end",
			    cn->active, DRAIN_NS / 1000000000ll);
			break;
		}
		if (cn->otail > cn->ohead) {
			struct pollfd p = { .fd = cn->fd, .events = POLLIN | POLLOUT };

			if (poll(&p, 1, 100) <= 0 || !(p.revents & (POLLIN | POLLHUP | POLLERR)))
				continue;
		}
		n = recv(cn->fd, cn->ibuf + cn->ihave, cn->icap - cn->ihave, 0);
		if (n < 0) {
			if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)
				continue;	/* SO_RCVTIMEO: check the clock */
			conn_fail(cn, "recv: %s", strerror(errno));
			break;
		}
		if (n == 0) {
			conn_fail(cn, "the server closed the connection with %u operations in flight",
			    cn->active);
			break;
		}
		cn->ihave += (size_t)n;
		cn->now = mono_ns();
		cn->inwin = cn->now >= cn->t1 && cn->now < cn->t2;
		{
			size_t pos = 0, need;

			while (!cn->failed && cn->ihave - pos >= 4) {
				int rc = p9_frame_need(cn->ibuf + pos, cn->ihave - pos, cn->msize, &need);

				if (rc != 0) {
					conn_fail(cn, "a reply's size field: %s (msize %u)",
					    p9_strerror(rc), cn->msize);
					break;
				}
				if (cn->ihave - pos < need)
					break;
				on_frame(cn, cn->ibuf + pos, need);
				pos += need;
			}
			if (pos > 0) {
				memmove(cn->ibuf, cn->ibuf + pos, cn->ihave - pos);
				cn->ihave -= pos;
			}
		}
		pump(cn);
	}
}

/* --- a process of connections ----------------------------------------------- */

struct proc {
	pthread_barrier_t bar;
	int64_t		 t1, t2;
	enum wl		 w;
};

static int
walk_open(struct conn *cn, const char *name, uint32_t flags, uint32_t *fid)
{
	int rc = p9c_walk_path(cn->c, cn->sfid, name, fid, NULL);

	if (rc == 0 && flags != UINT32_MAX)
		rc = p9c_open(cn->c, *fid, flags, NULL, NULL);
	return rc;
}

/* Connect, attach and prepare the workload's fids with the blocking client. */
static int
conn_prepare(struct conn *cn)
{
	struct timeval tv = { .tv_sec = 0, .tv_usec = 100000 };
	char wname[32];
	int rc;

	cn->c = p9c_new();
	if (cn->c == NULL) {
		conn_fail(cn, "out of memory");
		return -1;
	}
	p9c_set_timeout(cn->c, SETUP_TIMEOUT_MS);
	if ((rc = p9c_set_msize(cn->c, O.msize)) < 0 || (rc = p9c_dial(cn->c, O.addr)) < 0 ||
	    (rc = p9c_version(cn->c, 0)) < 0 ||
	    (rc = p9c_attach(cn->c, O.uname, O.n_uname, O.aname, &cn->root, NULL)) < 0 ||
	    (rc = p9c_walk_path(cn->c, cn->root, O.spath, &cn->sfid, NULL)) < 0)
		goto fail;
	cn->msize = p9c_msize(cn->c);
	if (cn->msize <= P9_IOHDRSZ + 64) {
		conn_fail(cn, "negotiated msize %u is too small (at least %u)", cn->msize,
		    P9_IOHDRSZ + 65);
		return -1;
	}
	cn->chunk = cn->msize - P9_IOHDRSZ;
	cn->rdchunk = cn->msize - P9_READDIRHDRSZ;
	switch (cn->w) {
	case W_GETATTR: case W_GETATTR_ALL: case W_MIXED: case W_FLUSH:
		rc = walk_open(cn, "file", UINT32_MAX, &cn->ffid);
		break;
	case W_READ:
		rc = walk_open(cn, "file", P9_DOTL_RDONLY, &cn->rfid);
		break;
	case W_WRITE:
		snprintf(wname, sizeof(wname), "w.%u", cn->gidx);
		rc = walk_open(cn, wname, P9_DOTL_WRONLY, &cn->wfid);
		break;
	default:
		rc = 0;
		break;
	}
	if (rc < 0)
		goto fail;
	cn->nslots = O.depth;
	cn->creqs = calloc(2 * (size_t)O.depth + 2, sizeof(*cn->creqs));
	cn->slots = calloc(cn->nslots, sizeof(*cn->slots));
	cn->fifo = calloc(cn->nslots, sizeof(*cn->fifo));
	cn->ocap = 2 * (size_t)cn->msize + 65536;
	cn->icap = 2 * (size_t)cn->msize + 65536;
	cn->obuf = malloc(cn->ocap);
	cn->ibuf = malloc(cn->icap);
	cn->wdata = malloc(cn->msize);
	if (cn->creqs == NULL || cn->slots == NULL || cn->fifo == NULL || cn->obuf == NULL ||
	    cn->ibuf == NULL || cn->wdata == NULL) {
		conn_fail(cn, "out of memory for buffers of msize %u", cn->msize);
		return -1;
	}
	for (uint32_t i = 0; i < cn->msize; i++)
		cn->wdata[i] = (uint8_t)('a' + i % 26);
	for (unsigned i = 0; i < cn->nslots; i++) {
		cn->slots[i].cn = cn;
		cn->slots[i].idx = i;
		cn->slots[i].nfid = FID_BASE + i;
		cn->slots[i].off = (uint64_t)i * cn->chunk % (O.file_size > 0 ? O.file_size : 1);
	}
	/* Two tags per operation: a Tflush and the request it flushes. */
	p9_client_init(&cn->cl, cn->creqs, (uint16_t)(2 * O.depth + 2), cn->msize);
	cn->fd = p9c_detach(cn->c);
	(void)setsockopt(cn->fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	return 0;
fail:
	conn_fail(cn, "setup: %s", p9c_error(cn->c));
	return -1;
}

static void *
conn_thread(void *arg)
{
	struct conn *cn = arg;
	int ok = conn_prepare(cn) == 0;

	pthread_barrier_wait(&cn->pr->bar);	/* all prepared */
	pthread_barrier_wait(&cn->pr->bar);	/* t1, t2 set */
	cn->t1 = cn->pr->t1;
	cn->t2 = cn->pr->t2;
	if (ok)
		load_loop(cn);
	if (cn->fd >= 0)
		close(cn->fd);
	cn->fd = -1;
	p9c_close(cn->c);
	free(cn->creqs);
	free(cn->slots);
	free(cn->fifo);
	free(cn->obuf);
	free(cn->ibuf);
	free(cn->wdata);
	return NULL;
}

static int
read_full(int fd, void *buf, size_t len)
{
	uint8_t *p = buf;

	while (len > 0) {
		ssize_t n = read(fd, p, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

static int
write_full(int fd, const void *buf, size_t len)
{
	const uint8_t *p = buf;

	while (len > 0) {
		ssize_t n = write(fd, p, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

static void
merge(struct stats *into, const struct stats *s)
{
	into->ops += s->ops;
	into->rpcs += s->rpcs;
	into->bytes += s->bytes;
	into->errors += s->errors;
	for (unsigned i = 0; i < HN; i++)
		into->hist[i] += s->hist[i];
	if (s->err[0] != '\0')
		set_err(into->err, sizeof(into->err), "%s", s->err);
}

/* A worker process: nconn connections numbered from g0. */
static void
run_proc(enum wl w, unsigned g0, unsigned nconn, int ready_fd, int go_fd, int res_fd)
{
	struct proc pr = { .w = w };
	struct conn *cns = calloc(nconn, sizeof(*cns));
	struct stats *tot = calloc(1, sizeof(*tot));
	int64_t t[2];
	unsigned started = 0;

	if (cns == NULL || tot == NULL)
		_exit(3);
	pthread_barrier_init(&pr.bar, NULL, nconn + 1);
	for (unsigned i = 0; i < nconn; i++) {
		cns[i].gidx = g0 + i;
		cns[i].w = w;
		cns[i].fd = -1;
		cns[i].pr = &pr;
		if (pthread_create(&cns[i].th, NULL, conn_thread, &cns[i]) != 0) {
			fprintf(stderr, "p9load: cannot start thread %u of %u\n", i + 1, nconn);
			_exit(3);
		}
		started++;
	}
	pthread_barrier_wait(&pr.bar);
	if (write_full(ready_fd, "r", 1) != 0 || read_full(go_fd, t, sizeof(t)) != 0) {
		t[0] = t[1] = mono_ns();	/* the parent went away: stop at once */
	}
	pr.t1 = t[0];
	pr.t2 = t[1];
	pthread_barrier_wait(&pr.bar);
	for (unsigned i = 0; i < started; i++) {
		pthread_join(cns[i].th, NULL);
		merge(tot, &cns[i].st);
	}
	(void)write_full(res_fd, tot, sizeof(*tot));
	_exit(0);
}

/* --- server CPU ------------------------------------------------------------- */

/* utime + stime of pid in microseconds, or -1 (err says why). */
static double
proc_cpu_us(long pid, char *err, size_t cap)
{
	char path[64], buf[1024], *p;
	unsigned long long ut, st;
	FILE *f;
	size_t n;

	snprintf(path, sizeof(path), "/proc/%ld/stat", pid);
	f = fopen(path, "r");
	if (f == NULL) {
		snprintf(err, cap, "--server-pid %ld: %s: %s", pid, path, strerror(errno));
		return -1;
	}
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	p = strrchr(buf, ')');
	/* after "pid (comm)": state is field 3, utime 14, stime 15 */
	if (p == NULL || sscanf(p + 1, " %*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu",
	    &ut, &st) != 2) {
		snprintf(err, cap, "--server-pid %ld: %s: no utime and stime fields", pid, path);
		return -1;
	}
	return (double)(ut + st) * 1e6 / (double)sysconf(_SC_CLK_TCK);
}

/* --- one workload over every process ------------------------------------------ */

struct result {
	struct stats	 st;
	double		 secs, srv_us;	/* srv_us < 0: not measured */
};

static int
run_workload(enum wl w, struct result *res)
{
	pid_t pids[MAX_PROCS];
	int rd[MAX_PROCS], go[MAX_PROCS], rs[MAX_PROCS];
	unsigned g = 0, np = O.procs;
	int64_t t[2];
	double c0 = -1, c1 = -1;
	char cerr[200] = "";
	int bad = 0;

	memset(res, 0, sizeof(*res));
	res->srv_us = -1;
	for (unsigned i = 0; i < np; i++) {
		int p1[2], p2[2], p3[2];
		unsigned n = O.conns / np + (i < O.conns % np ? 1 : 0);

		if (pipe(p1) != 0 || pipe(p2) != 0 || pipe(p3) != 0) {
			fprintf(stderr, "p9load: pipe: %s\n", strerror(errno));
			return -1;
		}
		fflush(NULL);
		pids[i] = fork();
		if (pids[i] < 0) {
			fprintf(stderr, "p9load: fork of process %u of %u: %s\n", i + 1, np,
			    strerror(errno));
			return -1;
		}
		if (pids[i] == 0) {
			close(p1[0]);
			close(p2[1]);
			close(p3[0]);
			for (unsigned j = 0; j < i; j++) {
				close(rd[j]);
				close(go[j]);
				close(rs[j]);
			}
			run_proc(w, g, n, p1[1], p2[0], p3[1]);
		}
		close(p1[1]);
		close(p2[0]);
		close(p3[1]);
		rd[i] = p1[0];
		go[i] = p2[1];
		rs[i] = p3[0];
		g += n;
	}
	for (unsigned i = 0; i < np; i++) {
		char c;

		if (read_full(rd[i], &c, 1) != 0) {
			fprintf(stderr, "p9load: process %u of %u ended before it was ready\n", i + 1,
			    np);
			bad = 1;
		}
	}
	t[0] = mono_ns() + 1000000 + (int64_t)(O.warmup * 1e9);
	t[1] = t[0] + (int64_t)(O.duration * 1e9);
	for (unsigned i = 0; i < np; i++)
		(void)write_full(go[i], t, sizeof(t));
	if (O.server_pid > 0 && !bad) {
		sleep_until(t[0]);
		c0 = proc_cpu_us(O.server_pid, cerr, sizeof(cerr));
		sleep_until(t[1]);
		c1 = proc_cpu_us(O.server_pid, cerr, sizeof(cerr));
	}
	for (unsigned i = 0; i < np; i++) {
		struct stats *s = malloc(sizeof(*s));
		int status;

		if (s != NULL && read_full(rs[i], s, sizeof(*s)) == 0)
			merge(&res->st, s);
		else {
			fprintf(stderr, "p9load: process %u of %u gave no result\n", i + 1, np);
			bad = 1;
		}
		free(s);
		close(rd[i]);
		close(go[i]);
		close(rs[i]);
		while (waitpid(pids[i], &status, 0) < 0 && errno == EINTR)
			;
	}
	res->secs = O.duration;
	if (c0 >= 0 && c1 >= 0)
		res->srv_us = c1 - c0;
	else if (O.server_pid > 0 && cerr[0] != '\0')
		fprintf(stderr, "p9load: %s\n", cerr);
	return bad ? -1 : 0;
}

/* --- fixture ------------------------------------------------------------------ */

static int
rpc_name(struct p9c *c, uint8_t type, uint32_t dfid, const char *name, uint32_t arg)
{
	struct p9_msg t, r;

	memset(&t, 0, sizeof(t));
	t.type = type;
	if (type == P9_TMKDIR) {
		t.tmkdir.dfid = dfid;
		t.tmkdir.name = S(name);
		t.tmkdir.mode = arg;
		t.tmkdir.gid = O.gid;
	} else {
		t.tunlinkat.dirfid = dfid;
		t.tunlinkat.name = S(name);
		t.tunlinkat.flags = arg;
	}
	return p9c_rpc(c, &t, &r);
}

/* Remove name from directory dfid: Tunlinkat, or where the server answers
 * it EOPNOTSUPP (diod), Twalk to it and Tremove, as the Linux client does;
 * O.use_remove remembers which. */
static int
remove_name(struct p9c *c, uint32_t dfid, const char *name, uint32_t flags)
{
	struct p9_msg t, r;
	uint32_t f;
	int rc;

	if (!O.use_remove) {
		rc = rpc_name(c, P9_TUNLINKAT, dfid, name, flags);
		if (rc != -EOPNOTSUPP)
			return rc;
		O.use_remove = 1;
	}
	rc = p9c_walk_path(c, dfid, name, &f, NULL);
	if (rc < 0)
		return rc;
	memset(&t, 0, sizeof(t));
	t.type = P9_TREMOVE;
	t.tremove.fid = f;
	rc = p9c_rpc(c, &t, &r);
	(void)p9c_clunk(c, f);	/* gone on the server whatever the reply; frees the number */
	return rc;
}

static int
create_file(struct p9c *c, uint32_t dfid, const char *name, uint64_t size, uint32_t msize)
{
	uint32_t f;
	int rc = p9c_walk(c, dfid, 0, NULL, &f, NULL);
	uint8_t *buf = NULL;

	if (rc < 0)
		return rc;
	rc = p9c_create(c, f, name, P9_DOTL_WRONLY, 0644, O.gid, NULL, NULL);
	if (rc == 0 && size > 0) {
		uint32_t chunk = msize - P9_IOHDRSZ;

		buf = malloc(chunk);
		if (buf == NULL)
			rc = -ENOMEM;
		for (uint64_t off = 0; rc == 0 && off < size; off += chunk) {
			size_t n = size - off < chunk ? (size_t)(size - off) : chunk;
			long w;

			for (size_t i = 0; i < n; i++)
				buf[i] = (uint8_t)('A' + (off + i) % 26);
			w = p9c_write(c, f, off, buf, n);
			if (w < 0)
				rc = (int)w;
			else if ((size_t)w != n)
				rc = -EIO;
		}
		free(buf);
	}
	(void)p9c_clunk(c, f);
	return rc;
}

/* Remove everything under directory fid dfid (depth levels of
 * subdirectories at most), then nothing else. Returns 0 or the first error. */
static int
remove_tree(struct p9c *c, uint32_t dfid, int depth)
{
	struct p9c_dir *d = NULL;
	struct p9_dirent e;
	uint32_t f;
	char **names = NULL;
	unsigned char *isdir = NULL;
	size_t n = 0, cap = 0;
	int rc, first = 0;

	rc = p9c_walk(c, dfid, 0, NULL, &f, NULL);
	if (rc < 0)
		return rc;
	rc = p9c_open(c, f, P9_DOTL_RDONLY | P9_DOTL_DIRECTORY, NULL, NULL);
	if (rc == 0)
		rc = p9c_opendir(c, f, &d);
	while (rc == 0 && n < MAX_CLEAN && (rc = p9c_readdir(d, &e)) > 0) {
		rc = 0;
		if ((e.name.len == 1 && e.name.ptr[0] == '.') ||
		    (e.name.len == 2 && memcmp(e.name.ptr, "..", 2) == 0))
			continue;
		if (n == cap) {
			size_t nc = cap ? 2 * cap : 64;
			char **nn = realloc(names, nc * sizeof(*nn));
			unsigned char *nd;

			if (nn == NULL) {
				rc = -ENOMEM;
				break;
			}
			names = nn;
			nd = realloc(isdir, nc);
			if (nd == NULL) {
				rc = -ENOMEM;
				break;
			}
			isdir = nd;
			cap = nc;
		}
		names[n] = strndup(e.name.ptr, e.name.len);
		if (names[n] == NULL) {
			rc = -ENOMEM;
			break;
		}
		isdir[n++] = e.type == 4 /* DT_DIR */;
	}
	p9c_closedir(d);
	(void)p9c_clunk(c, f);
	for (size_t i = 0; i < n; i++) {
		int r2 = 0;

		if (isdir[i] && depth > 0) {
			uint32_t sub;

			r2 = p9c_walk_path(c, dfid, names[i], &sub, NULL);
			if (r2 == 0) {
				r2 = remove_tree(c, sub, depth - 1);
				(void)p9c_clunk(c, sub);
			}
		}
		if (r2 == 0)
			r2 = remove_name(c, dfid, names[i], isdir[i] ? P9_AT_REMOVEDIR : 0);
		if (r2 < 0 && r2 != -ENOENT && first == 0)
			first = r2;
		free(names[i]);
	}
	free(names);
	free(isdir);
	return rc < 0 ? rc : first;
}

static const char *
pluralise(unsigned n, const char *one, const char *many)
{
	return n == 1 ? one : many;
}

/* --- output ------------------------------------------------------------------- */

static void
json_str(const char *s)
{
	putchar('"');
	for (; *s != '\0'; s++) {
		unsigned char ch = (unsigned char)*s;

		if (ch == '"' || ch == '\\')
			printf("\\%c", ch);
		else if (ch < 0x20)
			printf("\\u%04x", ch);
		else
			putchar(ch);
	}
	putchar('"');
}

static void
print_result(enum wl w, const struct result *r, uint32_t msize)
{
	const struct stats *s = &r->st;
	double ops = (double)s->ops / r->secs, rpcs = (double)s->rpcs / r->secs;
	double mib = (double)s->bytes / r->secs / 1048576.0;
	double p50 = quantile_us(s->hist, s->ops, 0.5), p99 = quantile_us(s->hist, s->ops, 0.99);
	double p999 = quantile_us(s->hist, s->ops, 0.999);
	double srv = r->srv_us >= 0 && s->rpcs > 0 ? r->srv_us / (double)s->rpcs : -1;

	if (O.json) {
		printf("{\"workload\":\"%s\",\"label\":", wls[w].name);
		json_str(O.label);
		printf(",\"address\":");
		json_str(O.addr);
		printf(",\"remove\":\"%s\"", O.use_remove ? "Tremove" : "Tunlinkat");
		printf(",\"conns\":%u,\"procs\":%u,\"depth\":%u,\"msize\":%u,\"duration_s\":%.3f,"
		    "\"ops\":%" PRIu64 ",\"rpcs\":%" PRIu64 ",\"bytes\":%" PRIu64 ","
		    "\"ops_per_s\":%.1f,\"rpcs_per_s\":%.1f,\"mib_per_s\":%.3f,"
		    "\"latency\":\"op\",\"lat_p50_us\":%.1f,\"lat_p99_us\":%.1f,\"lat_p999_us\":%.1f,",
		    O.conns, O.procs, O.depth, msize, r->secs, s->ops, s->rpcs, s->bytes, ops, rpcs,
		    mib, p50, p99, p999);
		if (srv >= 0)
			printf("\"server_cpu_us_per_rpc\":%.2f,\"server_cpu_util\":%.3f,", srv,
			    r->srv_us / 1e6 / r->secs);
		else
			printf("\"server_cpu_us_per_rpc\":null,\"server_cpu_util\":null,");
		printf("\"errors\":%" PRIu64 ",\"error\":", s->errors);
		json_str(s->err);
		printf("}\n");
	} else {
		printf("%-12s %10.0f %10.0f %8.1f %8.1f %8.1f %9.1f ", wls[w].name, ops, rpcs, mib,
		    p50, p99, p999);
		if (srv >= 0)
			printf("%10.2f", srv);
		else
			printf("%10s", "-");
		printf(" %6" PRIu64 "\n", s->errors);
		if (s->err[0] != '\0')
			printf("  error: %s\n", s->err);
	}
	fflush(stdout);
}

/* --- options ------------------------------------------------------------------ */

static const char usage_text[] =
"usage: p9load [OPTIONS] ADDRESS\n"
"\n"
"Load a 9P2000.L server at ADDRESS (tcp:HOST:PORT, HOST:PORT or unix:PATH) and\n"
"print, per workload, operations/s, RPCs/s, MiB/s, latency per operation\n"
"(p50, p99, p99.9) and the server's CPU time per RPC. p9load creates a scratch\n"
"directory (p9load.PID.N) with its fixture through 9P and removes it at the\n"
"end. Exit status 0 if every workload ran without an error, 1 if one failed,\n"
"2 for a bad option.\n"
"\n"
"Load:\n"
"  -w, --workload LIST     comma-separated workloads, or all (default all):\n"
"                          getattr getattr-all walk-clunk open-read read write\n"
"                          readdir create mixed flush (see p9load(1))\n"
"  -c, --conns N           connections, one thread each: 1 to 1024 (default 1)\n"
"  -P, --procs N           processes the connections are spread over: 1 to 64,\n"
"                          at most --conns (default 1)\n"
"  -d, --depth N           operations in flight per connection, pipelined on\n"
"                          distinct tags: 1 to 1024 (default 1, synchronous)\n"
"  -m, --msize N           msize to propose: 4096 to 16777216 (default 131072);\n"
"                          reads and writes move msize - 24 bytes\n"
"  -t, --duration SECS     measured time per workload: 0.05 to 86400 (default 5)\n"
"  -W, --warmup SECS       load before measuring: 0 to 3600 (default 1)\n"
"\n"
"Session:\n"
"  -a, --aname NAME        attach name (default empty: the server's default tree)\n"
"  -u, --uname NAME        user name to attach as (default: this process's user)\n"
"  -n, --n-uname N         numeric user id to attach as: 0 to 4294967294\n"
"                          (default: this process's uid)\n"
"  -D, --dir PATH          where to create the scratch directory, from the attach\n"
"                          root (default: the root)\n"
"\n"
"Fixture:\n"
"      --file-size BYTES   the file read, written and walked to: 1 to 1073741824\n"
"                          (default 1048576)\n"
"      --dir-entries N     entries of the large directory: 1 to 100000\n"
"                          (default 1000)\n"
"      --small-size BYTES  bytes written per file by create: 0 to 1048576\n"
"                          (default 4096; at most msize - 24)\n"
"\n"
"Output:\n"
"  -p, --server-pid PID    the server's pid (same machine): report its CPU time\n"
"                          (utime + stime from /proc/PID/stat) per RPC\n"
"  -j, --json              one JSON object per workload and line, not a table\n"
"  -l, --label TEXT        a label copied into each JSON line\n"
"  -h, --help              this text\n"
"  -V, --version           print the version\n";

static int
parse_workloads(const char *list)
{
	const char *p = list;
	int any = 0;

	memset(O.run, 0, sizeof(O.run));
	for (int guard = 0; guard < 256 && *p != '\0'; guard++) {
		size_t len = strcspn(p, ",");
		int found = 0;

		if (len == 3 && strncmp(p, "all", 3) == 0) {
			for (int i = 0; i < W_N; i++)
				O.run[i] = 1;
			found = 1;
		}
		for (int i = 0; i < W_N && !found; i++) {
			if (strlen(wls[i].name) == len && strncmp(p, wls[i].name, len) == 0) {
				O.run[i] = 1;
				found = 1;
			}
		}
		if (!found)
			usage_error("--workload %s: unknown workload '%.*s' (allowed: all, getattr, "
			    "getattr-all, walk-clunk, open-read, read, write, readdir, create, mixed, "
			    "flush)", list, (int)len, p);
		any = 1;
		p += len;
		if (*p == ',')
			p++;
	}
	return any;
}

static void
parse_args(int argc, char **argv)
{
	static const struct option lo[] = {
		{ "workload", required_argument, NULL, 'w' },
		{ "conns", required_argument, NULL, 'c' },
		{ "procs", required_argument, NULL, 'P' },
		{ "depth", required_argument, NULL, 'd' },
		{ "msize", required_argument, NULL, 'm' },
		{ "duration", required_argument, NULL, 't' },
		{ "warmup", required_argument, NULL, 'W' },
		{ "aname", required_argument, NULL, 'a' },
		{ "uname", required_argument, NULL, 'u' },
		{ "n-uname", required_argument, NULL, 'n' },
		{ "dir", required_argument, NULL, 'D' },
		{ "file-size", required_argument, NULL, 1 },
		{ "dir-entries", required_argument, NULL, 2 },
		{ "small-size", required_argument, NULL, 3 },
		{ "server-pid", required_argument, NULL, 'p' },
		{ "json", no_argument, NULL, 'j' },
		{ "label", required_argument, NULL, 'l' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	int ch, small_set = 0;

	for (int i = 0; i < W_N; i++)
		O.run[i] = 1;
	while ((ch = getopt_long(argc, argv, "w:c:P:d:m:t:W:a:u:n:D:p:jl:hV", lo, NULL)) != -1) {
		switch (ch) {
		case 'w': parse_workloads(optarg); break;
		case 'c': O.conns = (unsigned)number(optarg, "--conns", 1, MAX_CONNS); break;
		case 'P': O.procs = (unsigned)number(optarg, "--procs", 1, MAX_PROCS); break;
		case 'd': O.depth = (unsigned)number(optarg, "--depth", 1, MAX_DEPTH); break;
		case 'm': O.msize = (uint32_t)number(optarg, "--msize", 4096, 16777216); break;
		case 't': O.duration = seconds(optarg, "--duration", 0.05, 86400); break;
		case 'W': O.warmup = seconds(optarg, "--warmup", 0, 3600); break;
		case 'a': O.aname = optarg; break;
		case 'u': O.uname = optarg; break;
		case 'n': O.n_uname = (uint32_t)number(optarg, "--n-uname", 0, 4294967294u); break;
		case 'D': O.dir = optarg; break;
		case 1: O.file_size = number(optarg, "--file-size", 1, 1u << 30); break;
		case 2: O.dir_entries = (unsigned)number(optarg, "--dir-entries", 1, 100000); break;
		case 3:
			O.small_size = (uint32_t)number(optarg, "--small-size", 0, 1u << 20);
			small_set = 1;
			break;
		case 'p': O.server_pid = (long)number(optarg, "--server-pid", 1, INT_MAX); break;
		case 'j': O.json = 1; break;
		case 'l': O.label = optarg; break;
		case 'h': fputs(usage_text, stdout); exit(0);
		case 'V': printf("p9load (lib9p) %s\n", P9LOAD_VERSION); exit(0);
		default: usage_error("bad option");
		}
	}
	if (optind != argc - 1)
		usage_error(optind >= argc ? "no ADDRESS given" : "more than one ADDRESS given");
	O.addr = argv[optind];
	if (O.procs > O.conns)
		usage_error("--procs %u: more processes than the %u connection%s", O.procs,
		    O.conns, O.conns == 1 ? "" : "s");
	if (O.small_size > O.msize - P9_IOHDRSZ) {
		if (small_set)
			usage_error("--small-size %u: above msize - 24 = %u", O.small_size,
			    O.msize - P9_IOHDRSZ);
		O.small_size = O.msize - P9_IOHDRSZ;
	}
	if (O.uname == NULL) {
		struct passwd *pw = getpwuid(getuid());

		O.uname = pw != NULL ? pw->pw_name : "nobody";
		if (O.n_uname == P9_NONUNAME)
			O.n_uname = (uint32_t)getuid();
	}
	O.gid = (uint32_t)getgid();
}

int
main(int argc, char **argv)
{
	struct p9c *c;
	uint32_t root, bfid, sfid, dfid = P9_NOFID;
	int rc, failed = 0, setup_failed = 0, need_file = 0, need_dir = 0;
	uint32_t msize;

	parse_args(argc, argv);
	signal(SIGPIPE, SIG_IGN);
	for (int i = 0; i < W_N; i++)
		if (O.run[i] && i != W_READDIR && i != W_CREATE && i != W_WRITE)
			need_file = 1;
	need_dir = O.run[W_READDIR];
	snprintf(O.scratch, sizeof(O.scratch), "p9load.%ld.%lld", (long)getpid(),
	    (long long)(mono_ns() % 1000000000ll));
	snprintf(O.spath, sizeof(O.spath), "%s%s%s", O.dir,
	    O.dir[0] != '\0' && O.dir[strlen(O.dir) - 1] != '/' ? "/" : "", O.scratch);

	c = p9c_new();
	if (c == NULL) {
		fprintf(stderr, "p9load: out of memory\n");
		return 1;
	}
	p9c_set_timeout(c, SETUP_TIMEOUT_MS);
	if (p9c_set_msize(c, O.msize) < 0 || p9c_dial(c, O.addr) < 0 || p9c_version(c, 0) < 0 ||
	    p9c_attach(c, O.uname, O.n_uname, O.aname, &root, NULL) < 0 ||
	    p9c_walk_path(c, root, O.dir, &bfid, NULL) < 0) {
		fprintf(stderr, "p9load: %s\n", p9c_error(c));
		p9c_close(c);
		return 1;
	}
	msize = p9c_msize(c);
	if (msize <= P9_IOHDRSZ + 64) {
		fprintf(stderr, "p9load: %s: negotiated msize %u is too small (at least %u)\n",
		    O.addr, msize, P9_IOHDRSZ + 65);
		return 1;
	}
	if (O.small_size > msize - P9_IOHDRSZ)
		O.small_size = msize - P9_IOHDRSZ;
	if ((rc = rpc_name(c, P9_TMKDIR, bfid, O.scratch, 0755)) < 0 ||
	    (rc = p9c_walk_path(c, bfid, O.scratch, &sfid, NULL)) < 0) {
		fprintf(stderr, "p9load: creating the scratch directory %s: %s\n", O.spath,
		    p9c_error(c));
		p9c_close(c);
		return 1;
	}
	rc = 0;
	if (need_file)
		rc = create_file(c, sfid, "file", O.file_size, msize);
	for (unsigned i = 0; rc == 0 && O.run[W_WRITE] && i < O.conns; i++) {
		char name[32];

		snprintf(name, sizeof(name), "w.%u", i);
		rc = create_file(c, sfid, name, 0, msize);
	}
	if (rc == 0 && need_dir) {
		rc = rpc_name(c, P9_TMKDIR, sfid, "dir", 0755);
		if (rc == 0)
			rc = p9c_walk_path(c, sfid, "dir", &dfid, NULL);
		for (unsigned i = 0; rc == 0 && i < O.dir_entries; i++) {
			char name[32];

			snprintf(name, sizeof(name), "entry.%07u", i);
			rc = create_file(c, dfid, name, 0, msize);
		}
	}
	if (rc == 0 && (O.run[W_CREATE] || O.run[W_MIXED])) {
		/* Does the server take Tunlinkat? (remove_name sets use_remove) */
		rc = create_file(c, sfid, "probe", 0, msize);
		if (rc == 0)
			rc = remove_name(c, sfid, "probe", 0);
	}
	if (rc < 0) {
		fprintf(stderr, "p9load: preparing the fixture in %s: %s\n", O.spath, p9c_error(c));
		failed = setup_failed = 1;
	}
	if (!setup_failed && !O.json) {
		printf("p9load %s: %s, msize %u, %u connection%s in %u process%s, %u in flight "
		    "each, %.2f s after %.2f s warm-up; latency per operation\n",
		    P9LOAD_VERSION, O.addr, msize, O.conns, pluralise(O.conns, "", "s"), O.procs,
		    pluralise(O.procs, "", "es"), O.depth, O.duration, O.warmup);
		if (O.use_remove)
			printf("the server answers Tunlinkat EOPNOTSUPP: create and mixed remove "
			    "with Tremove of the open fid instead of Tclunk + Tunlinkat\n");
		printf("%-12s %10s %10s %8s %8s %8s %9s %10s %6s\n", "workload", "ops/s", "RPC/s",
		    "MiB/s", "p50 us", "p99 us", "p99.9 us", "srv us/RPC", "errors");
		fflush(stdout);
	}
	/* A workload that fails does not stop the next ones (exit status 1). */
	for (int i = 0; i < W_N && !setup_failed; i++) {
		struct result r;

		if (!O.run[i])
			continue;
		if (run_workload((enum wl)i, &r) < 0)
			failed = 1;
		print_result((enum wl)i, &r, msize);
		if (r.st.errors > 0 || r.st.ops == 0) {
			if (r.st.ops == 0 && r.st.errors == 0)
				fprintf(stderr, "p9load: %s: no operation completed in %.2f s\n",
				    wls[i].name, O.duration);
			failed = 1;
		}
	}
	/* Clean up through the setup connection (still open, idle). */
	rc = remove_tree(c, sfid, 2);
	(void)p9c_clunk(c, sfid);
	if (rc == 0)
		rc = remove_name(c, bfid, O.scratch, P9_AT_REMOVEDIR);
	if (rc < 0) {
		fprintf(stderr, "p9load: removing the scratch directory %s: %s\n", O.spath,
		    p9c_error(c));
		failed = 1;
	}
	p9c_close(c);
	return failed ? 1 : 0;
}
