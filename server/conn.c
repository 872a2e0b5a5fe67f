/*
 * One connection: frames in, requests through the pool, replies out.
 *
 * Lock order: c->lock (tags, request states) -> c->fid_lock -> fid->lock;
 * c->wlock (socket write side) is taken alone, never with another held,
 * except --record's capture lock (a leaf, inside p9pcap_write): replies are
 * recorded under c->wlock, so in the order they are written.
 *
 * Request lifetime (c->lock): the loop thread decodes a frame, registers
 * its tag in c->inflight (QUEUED) and pushes it to the pool. A worker
 * moves it to RUNNING, runs the handler with no lock held, then, under
 * c->lock, takes it out of c->inflight (DONE) along with the Tflushes that
 * wait for it, and sends the reply followed by their Rflushes. Tflush of a
 * QUEUED request marks it CANCELLED: the worker drops it unrun, and the
 * Rflush goes out at once. So no reply follows its Rflush, and an Rflush
 * never precedes the reply of a request that ran (flush(5)).
 *
 * Memory stays bounded: at most max_inflight requests per connection
 * (the loop stops reading beyond that) and at most OUTQ_MAX bytes of
 * replies the peer has not read (likewise).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/fsuid.h>
#include <sys/socket.h>
#include <sys/syscall.h>

#include "conn.h"
#include "p9_clock.h"
#include "p9_loop.h"

#define RBUF_LEN	(64 * 1024)	/* frames larger than this are read into their own buffer */
#define REQ_INLINE	8192		/* frame buffer kept with a recycled request */
#define OUTQ_MAX	(4u << 20)	/* unread reply bytes before we stop reading */
#define FREEBIG_MAX	4		/* large request buffers kept per connection */
#define MIN_MSIZE	P9SRV_MSIZE_MIN

struct conn *
conn_new(struct p9srv *s, int fd, int wfd)
{
	struct conn *c = calloc(1, sizeof(*c));

	if (c == NULL)
		return NULL;
	c->kind = EV_CONN;
	c->srv = s;
	c->fd = fd;
	c->wfd = wfd;
	c->id = atomic_fetch_add(&s->conn_ids, 1) + 1;
	atomic_init(&c->refs, 1);
	c->rcap = RBUF_LEN;
	c->rbuf = malloc(c->rcap);
	c->inflight = calloc(s->cfg.max_inflight, sizeof(*c->inflight));
	if (c->rbuf == NULL || c->inflight == NULL) {
		free(c->rbuf);
		free(c->inflight);
		free(c);
		return NULL;
	}
	c->msize = s->cfg.msize_max;
	c->reading = true;
	pthread_mutex_init(&c->lock, NULL);
	pthread_mutex_init(&c->fid_lock, NULL);
	pthread_mutex_init(&c->fd_lock, NULL);
	pthread_mutex_init(&c->wlock, NULL);
	c->outq_tail = &c->outq;
	if (__builtin_expect(s->rec != NULL, 0))
		p9pcap_stream_open(s->rec, &c->rec);
	return c;
}

void
conn_put(struct conn *c)
{
	struct p9srv_req *r;
	struct outbuf *o;

	if (atomic_fetch_sub(&c->refs, 1) != 1)
		return;
	/* Last reference: no request and no worker can reach c any more. */
	fid_table_clear(c);
	while ((r = c->freereqs) != NULL || (r = c->freebig) != NULL) {
		if (r == c->freereqs)
			c->freereqs = r->next;
		else
			c->freebig = r->next;
		free(r->frame);
		free(r);
	}
	while ((o = c->outq) != NULL) {
		c->outq = o->next;
		free(o);
	}
	if (c->wfd != c->fd)
		close(c->wfd);
	close(c->fd);
	free(c->rbuf);
	free(c->inflight);
	pthread_mutex_destroy(&c->lock);
	pthread_mutex_destroy(&c->fid_lock);
	pthread_mutex_destroy(&c->fd_lock);
	pthread_mutex_destroy(&c->wlock);
	if (__builtin_expect(c->srv->rec != NULL, 0))
		p9pcap_stream_close(c->srv->rec, &c->rec);
	atomic_fetch_sub(&c->srv->nconns, 1);
	if (c->io != NULL)
		atomic_fetch_sub(&c->io->conns, 1);
	free(c);
}

/*
 * A request with room for a frame of len bytes, recycled when possible:
 * no allocation per request in the steady state, large Twrites included
 * (a few large buffers are kept per connection, at most FREEBIG_MAX x msize).
 */
static struct p9srv_req *
req_alloc(struct conn *c, size_t len)
{
	struct p9srv_req *r = NULL, **pp;

	pthread_mutex_lock(&c->lock);
	if (len <= REQ_INLINE) {
		if ((r = c->freereqs) != NULL)
			c->freereqs = r->next;
	} else {
		for (pp = &c->freebig; (r = *pp) != NULL; pp = &r->next) {
			if (r->framecap >= len) {
				*pp = r->next;
				c->nfreebig--;
				break;
			}
		}
	}
	pthread_mutex_unlock(&c->lock);
	if (r == NULL) {
		r = calloc(1, sizeof(*r));
		if (r == NULL)
			return NULL;
		r->framecap = len > REQ_INLINE ? len : REQ_INLINE;
		r->frame = malloc(r->framecap);
		if (r->frame == NULL) {
			free(r);
			return NULL;
		}
	}
	r->conn = c;
	r->next = NULL;
	r->flushes = NULL;
	r->dropped = false;
	r->framelen = 0;
	r->id = NULL;
	return r;
}

/* Give a finished request back (any thread); drops its connection ref. */
static void
req_free(struct p9srv_req *r)
{
	struct conn *c = r->conn;

	pthread_mutex_lock(&c->lock);
	if (r->framecap <= REQ_INLINE) {
		r->next = c->freereqs;
		c->freereqs = r;
		r = NULL;
	} else if (c->nfreebig < FREEBIG_MAX) {
		r->next = c->freebig;
		c->freebig = r;
		c->nfreebig++;
		r = NULL;
	}
	pthread_mutex_unlock(&c->lock);
	if (r != NULL) {
		free(r->frame);
		free(r);
	}
	conn_put(c);
}

/* Write a whole reply, or queue what the socket does not take now. */
/*
 * Replies of requests the loop thread runs itself (nonblocking callbacks,
 * or a server without workers) are gathered per connection while it works
 * through what one read brought (conn_on_readable), and written with one
 * system call per P9_LOOP_REPLIES_PER_WRITE replies and at the end (so
 * that the client can start on the first ones): `gathering` is the
 * connection the loop thread is working on, its loop's gbuf what its
 * replies wrote so far. Other threads write at once. Order stays right: a
 * reply and the Rflush or Rversion that must follow it are either both
 * gathered, in order, or written by the worker that ran the request, in
 * order.
 */
static _Thread_local struct conn *gathering;

/* Write buf[len] now, or queue what the socket does not take (c->wlock
 * held). Sets *wake when the loop must look at the connection. */
static void
send_locked(struct conn *c, const uint8_t *buf, size_t len, bool *wake)
{
	struct outbuf *o;
	size_t off = 0;

	if (__builtin_expect(c->srv->rec != NULL, 0))
		p9pcap_write(c->srv->rec, &c->rec, P9PCAP_S2C, buf, len);
	while (c->outq == NULL && off < len) {
		ssize_t n = write(c->wfd, buf + off, len - off);

		if (n > 0) {
			off += (size_t)n;
		} else if (n < 0 && errno == EINTR) {
			continue;
		} else if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
			break;
		} else {
			/* The peer is gone (EPIPE, ECONNRESET): the loop must
			 * close the connection, and may not be watching it
			 * (reading paused, nothing queued to write). */
			c->dead = *wake = true;
			return;
		}
	}
	if (off < len) {
		o = malloc(sizeof(*o) + len - off);
		if (o == NULL) {
			c->dead = *wake = true;
			return;
		}
		o->next = NULL;
		o->len = len - off;
		o->off = 0;
		memcpy(o->data, buf + off, len - off);
		*wake = *wake || c->outq == NULL;
		*c->outq_tail = o;
		c->outq_tail = &o->next;
		c->outq_bytes += o->len;
	}
}

/* Write what was gathered (c->wlock held). The buffer is c's loop's:
 * only that loop's thread gathers, one connection at a time. */
static void
cork_flush_locked(struct conn *c, bool *wake)
{
	struct loop_io *io = c->io;

	if (io->glen > 0 && !c->dead)
		send_locked(c, io->gbuf, io->glen, wake);
	io->glen = 0;
	io->gcount = 0;
}

static void
conn_send(struct conn *c, const uint8_t *buf, size_t len)
{
	bool wake = false;

	pthread_mutex_lock(&c->wlock);
	if (c->dead)
		goto out;
	if (gathering == c && buf == c->io->gbuf + c->io->glen) {
		c->io->glen += len;	/* made in place (conn_reply_area) */
		goto gathered;
	}
	if (gathering == c && len <= P9SRV_GATHER_CAP) {
		struct loop_io *io = c->io;

		if (io->glen + len > P9SRV_GATHER_CAP)
			cork_flush_locked(c, &wake);	/* what came first goes first */
		memcpy(io->gbuf + io->glen, buf, len);
		io->glen += len;
		goto gathered;
	}
	if (gathering == c)
		cork_flush_locked(c, &wake);
	if (!c->dead)
		send_locked(c, buf, len, &wake);
	goto out;
gathered:
	if (++c->io->gcount >= P9_LOOP_REPLIES_PER_WRITE)
		cork_flush_locked(c, &wake);
out:
	pthread_mutex_unlock(&c->wlock);
	if (wake)
		loop_wake_conn(c);
}

/* Give the pipe's n bytes back to nobody (the reply will not go this way). */
static void
pipe_drain(int fd, size_t n, uint8_t *buf, size_t cap)
{
	while (n > 0) {
		ssize_t m = read(fd, buf, n < cap ? n : cap);

		if (m < 0 && errno == EINTR)
			continue;
		if (m <= 0)
			break;
		n -= (size_t)m;
	}
}

/* The thread's pipe pair, made now if need be: as large as a reply's data
 * may be, else as large as the system lets us. */
static bool
pipe_ready(int p[2], size_t want)
{
	int sz;

	if (p[0] >= 0)
		return true;
	if (pipe2(p, O_NONBLOCK | O_CLOEXEC) != 0) {
		p[0] = p[1] = -1;
		return false;
	}
	for (sz = want > (1u << 20) ? 1 << 20 : (int)want; sz > 65536; sz /= 2)
		if (fcntl(p[1], F_SETPIPE_SZ, sz) >= 0)
			break;
	return true;
}

/* p9srv_reply_fd after it marked r REPLYING (c->wlock released): the
 * reply will not go this way after all. Empty the pipe, give r back to
 * the usual way, wake the loop if writing what was gathered asked for it. */
static long
splice_refused(struct conn *c, struct p9srv_req *r, size_t n, bool wake)
{
	pipe_drain(r->pipe[0], n, r->scratch, r->scratch_len);
	pthread_mutex_lock(&c->lock);
	r->state = REQ_RUNNING;
	pthread_mutex_unlock(&c->lock);
	if (wake)
		loop_wake_conn(c);
	return -EAGAIN;
}

long
p9srv_reply_fd(struct p9srv_req *r, int fd, uint64_t offset, uint32_t count)
{
	struct conn *c = r->conn;
	loff_t off = (loff_t)offset;
	uint8_t hdr[P9_RDATA_HDRSZ];
	uint32_t room;
	size_t moved = 0, hlen;
	ssize_t n, m;
	bool wake = false, dropped, dead, busy;

	if (r->in.type != P9_TREAD || r->pipe == NULL || r->replied || c->wfd != c->fd ||
	    c->srv->rec != NULL || c->srv->cfg.debug || offset > (uint64_t)INT64_MAX)
		return -EAGAIN;
	/* A reply made in place in the gather buffer (conn_reply_area)
	 * stays there: writing what is gathered first would pull it away
	 * from under the copy that answers if this cannot go on. */
	if (gathering == c && r->rdata >= c->io->gbuf &&
	    r->rdata < c->io->gbuf + P9SRV_GATHER_CAP)
		return -EAGAIN;
	if (count > r->rroom)
		count = r->rroom;	/* the reply stays below msize */
	if (count == 0 || !pipe_ready(r->pipe, r->rroom))
		return -EAGAIN;
	/* Replies waiting already: this one would be copied into the queue
	 * behind them (looked at again below, when it counts). */
	pthread_mutex_lock(&c->wlock);
	busy = c->outq != NULL;
	pthread_mutex_unlock(&c->wlock);
	if (busy)
		return -EAGAIN;
	do
		n = splice(fd, &off, r->pipe[1], NULL, count, SPLICE_F_NONBLOCK);
	while (n < 0 && errno == EINTR);
	if (n <= 0)
		return -EAGAIN;	/* end of file, or no splice: the usual way says */
	p9_rdata_begin(hdr, sizeof(hdr) + (size_t)n, P9_RREAD, r->tag, (uint32_t)n, &room);
	hlen = p9_rdata_seal(hdr, (uint32_t)n) - (size_t)n;
	pthread_mutex_lock(&c->lock);
	dropped = r->dropped;
	if (!dropped)
		r->state = REQ_REPLYING;	/* as retire: the tag may come back now */
	pthread_mutex_unlock(&c->lock);
	pthread_mutex_lock(&c->wlock);
	if (gathering == c)
		cork_flush_locked(c, &wake);	/* what came first goes first */
	if (dropped || c->dead) {
		/* Nothing goes out (a Tversion reset, a closing peer). */
		pthread_mutex_unlock(&c->wlock);
		pipe_drain(r->pipe[0], (size_t)n, r->scratch, r->scratch_len);
		r->replied = true;
		if (wake)
			loop_wake_conn(c);
		return n;
	}
	if (c->outq != NULL) {
		/* Writing what was gathered left some of it queued. */
		pthread_mutex_unlock(&c->wlock);
		return splice_refused(c, r, (size_t)n, wake);
	}
	m = send(c->wfd, hdr, hlen, MSG_MORE | MSG_DONTWAIT | MSG_NOSIGNAL);
	if (m < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
		/* The socket is full: the usual way queues the reply. */
		pthread_mutex_unlock(&c->wlock);
		return splice_refused(c, r, (size_t)n, wake);
	}
	r->replied = true;
	if (m < 0) {
		c->dead = wake = true;
	} else {
		size_t hsent = (size_t)m;

		while (hsent == hlen && moved < (size_t)n) {
			m = splice(r->pipe[0], NULL, c->wfd, NULL, (size_t)n - moved,
			    SPLICE_F_NONBLOCK);
			if (m > 0)
				moved += (size_t)m;
			else if (m < 0 && errno == EINTR)
				continue;
			else if (m < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
				break;
			else {
				c->dead = wake = true;
				break;
			}
		}
		if (!c->dead && (hsent < hlen || moved < (size_t)n)) {
			/* The socket filled up: what is left waits in the
			 * queue, as any reply the socket would not take. */
			size_t rest = hlen - hsent + (size_t)n - moved;
			struct outbuf *o = malloc(sizeof(*o) + rest);
			size_t got = hlen - hsent;

			if (o == NULL) {
				c->dead = wake = true;
			} else {
				memcpy(o->data, hdr + hsent, hlen - hsent);
				while (got < rest) {
					m = read(r->pipe[0], o->data + got, rest - got);
					if (m < 0 && errno == EINTR)
						continue;
					if (m <= 0)
						break;
					got += (size_t)m;
				}
				if (got < rest) {
					free(o);
					c->dead = wake = true;
				} else {
					o->next = NULL;
					o->len = rest;
					o->off = 0;
					*c->outq_tail = o;
					c->outq_tail = &o->next;
					c->outq_bytes += rest;
					wake = true;
				}
			}
		}
	}
	dead = c->dead;
	pthread_mutex_unlock(&c->wlock);
	if (dead)
		pipe_drain(r->pipe[0], (size_t)n - moved, r->scratch, r->scratch_len);
	if (wake)
		loop_wake_conn(c);
	return n;
}

/*
 * Loop thread: an Rread or Rreaddir made inline goes straight into the
 * gather buffer, after what is gathered already, when its largest size
 * fits what is left (after writing what is gathered, if that makes room):
 * its data is then copied neither into a reply buffer nor from it.
 * Anything else, or when c's replies are not being gathered, is made in
 * the loop's reply buffer and copied (small replies) or written.
 */
void
conn_reply_area(struct p9srv_req *r, uint8_t **buf, size_t *cap)
{
	struct conn *c = r->conn;
	struct loop_io *io = c->io;
	size_t need;

	*buf = io->reply;
	*cap = c->srv->cfg.msize_max;
	if (gathering != c || (r->in.type != P9_TREAD && r->in.type != P9_TREADDIR))
		return;
	need = (size_t)(r->in.type == P9_TREAD ? r->in.tread.count : r->in.treaddir.count) +
	    P9_RDATA_HDRSZ;
	pthread_mutex_lock(&c->lock);
	if (need > c->msize - 1)
		need = c->msize - 1;	/* replies stay below msize (req_run) */
	pthread_mutex_unlock(&c->lock);
	if (need > P9SRV_GATHER_CAP)
		return;
	if (io->glen + need > P9SRV_GATHER_CAP) {
		bool wake = false;

		pthread_mutex_lock(&c->wlock);
		cork_flush_locked(c, &wake);
		pthread_mutex_unlock(&c->wlock);
		if (wake)
			loop_wake_conn(c);
	}
	*buf = io->gbuf + io->glen;
	*cap = P9SRV_GATHER_CAP - io->glen;
}

/* Loop thread: gather the replies of what c's input starts, until
 * conn_ungather writes them. */
static void
conn_gather(struct conn *c)
{
	gathering = c;
}

static void
conn_ungather(struct conn *c)
{
	bool wake = false;

	gathering = NULL;
	pthread_mutex_lock(&c->wlock);
	cork_flush_locked(c, &wake);
	pthread_mutex_unlock(&c->wlock);
	if (wake)
		loop_wake_conn(c);
}

bool
conn_on_writable(struct conn *c)
{
	struct outbuf *o;
	bool ok = true;

	pthread_mutex_lock(&c->wlock);
	while ((o = c->outq) != NULL && !c->dead) {
		ssize_t n = write(c->wfd, o->data + o->off, o->len - o->off);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			break;
		if (n <= 0) {
			c->dead = true;
			break;
		}
		o->off += (size_t)n;
		c->outq_bytes -= (size_t)n;
		if (o->off == o->len) {
			c->outq = o->next;
			if (c->outq == NULL)
				c->outq_tail = &c->outq;
			free(o);
		}
	}
	ok = !c->dead;
	pthread_mutex_unlock(&c->wlock);
	return ok;
}

bool
conn_want_write(struct conn *c)
{
	bool want;

	pthread_mutex_lock(&c->wlock);
	want = c->outq != NULL && !c->dead;
	pthread_mutex_unlock(&c->wlock);
	return want;
}

bool
conn_want_read(struct conn *c)
{
	bool open, want;

	pthread_mutex_lock(&c->lock);
	/* While a Tversion waits, nothing more is read: a client sends
	 * nothing until Rversion, and what follows belongs to the new
	 * session (conn_settle resumes). */
	open = !c->closing && c->version == NULL;
	want = open && c->ninflight < c->srv->cfg.max_inflight;
	if (open && !want)
		c->paused = true;	/* whoever frees a slot wakes the loop (untrack) */
	pthread_mutex_unlock(&c->lock);
	if (want) {
		pthread_mutex_lock(&c->wlock);
		want = c->outq_bytes < OUTQ_MAX && !c->dead;
		pthread_mutex_unlock(&c->wlock);
	}
	return want;
}

/* cfg.debug: "IDENT 12.345678 c3 < Twalk tag=1 ...": seconds since start
 * (monotonic), the connection's number, the direction (< in, > out), the
 * message in the text form (cut at 511 bytes, then "..."). */
static void
trace(const struct conn *c, const char *dir, const struct p9_msg *m)
{
	char line[512];
	long n = p9_msg_print(m, line, sizeof(line));
	struct timespec now;
	long long sec;
	long usec;

	if (n < 0)
		return;
	clock_gettime(CLOCK_MONOTONIC, &now);
	sec = (long long)(now.tv_sec - c->srv->t0.tv_sec);
	usec = (now.tv_nsec - c->srv->t0.tv_nsec) / 1000;
	if (usec < 0) {
		sec--;
		usec += 1000000;
	}
	fprintf(stderr, "%s %lld.%06ld c%u %s %s%s\n", c->srv->cfg.ident, sec, usec, c->id, dir, line,
	    (size_t)n >= sizeof(line) ? "..." : "");
}

/* Encode and send a small reply from the loop thread (errors, Rflush, Rversion). */
static void
send_msg(struct conn *c, struct p9_msg *m)
{
	uint8_t buf[256];
	long n = p9_msg_encode(m, buf, sizeof(buf));

	if (c->srv->cfg.debug)
		trace(c, ">", m);
	if (n > 0)
		conn_send(c, buf, (size_t)n);
}

static void
send_lerror(struct conn *c, uint16_t tag, uint32_t ecode)
{
	struct p9_msg m = { .type = P9_RLERROR };

	m.tag = tag;
	m.rlerror.ecode = ecode;
	send_msg(c, &m);
}

static void
send_rflush(struct conn *c, uint16_t tag)
{
	struct p9_msg m = { .type = P9_RFLUSH };

	m.tag = tag;
	send_msg(c, &m);
}

/*
 * The outstanding request with this tag (under c->lock). A request whose
 * reply is being written (REPLYING) no longer owns its tag: the client
 * may have the reply and reuse the tag already. With `replying`, such a
 * request is returned when no other has the tag (a Tflush for it must
 * wait until the reply is out).
 */
static struct p9srv_req *
find_tag(struct conn *c, uint16_t tag, bool replying)
{
	struct p9srv_req *found = NULL;
	unsigned i;

	for (i = 0; i < c->ninflight; i++) {
		struct p9srv_req *r = c->inflight[i];

		if (r->tag != tag)
			continue;
		if (r->state != REQ_REPLYING)
			return r;
		if (replying)
			found = r;
	}
	return found;
}

/*
 * Take r out of the in-flight set (under c->lock). Returns true when the
 * loop had stopped reading at the in-flight limit and now may go on, or
 * r was the last request a waiting Tversion aborted: the caller must then
 * wake the loop (loop_wake_conn), as nothing else will.
 */
static bool
untrack(struct conn *c, struct p9srv_req *r)
{
	unsigned i;

	for (i = 0; i < c->ninflight; i++) {
		if (c->inflight[i] == r) {
			c->inflight[i] = c->inflight[--c->ninflight];
			break;
		}
	}
	if (c->paused && c->ninflight < c->srv->cfg.max_inflight) {
		c->paused = false;
		return true;
	}
	return c->version != NULL && c->ninflight == 0;
}

/*
 * Answer r and retire it (any thread): its reply is reply[0..len), or with
 * reply NULL r is a Tflush and its answer an Rflush; nothing goes out if r
 * was dropped. r stays in flight (REPLYING) while its answer is written, so
 * that a Tflush arriving meanwhile attaches to it and the loop never sees
 * the connection idle with an answer still to go. Then the Tflushes that
 * waited for r are answered, in the order they came, after it (flush(5)),
 * and r is freed. The loop is woken when it has something to do: reading
 * was paused at the in-flight limit, a Tversion waited for this one, or
 * the peer is gone and this was the last request.
 */
static void
retire(struct conn *c, struct p9srv_req *r, const uint8_t *reply, size_t len)
{
	struct p9srv_req *f, *next;
	bool dropped, wake;

	pthread_mutex_lock(&c->lock);
	r->state = REQ_REPLYING;
	dropped = r->dropped;
	pthread_mutex_unlock(&c->lock);
	if (!dropped && reply == NULL)
		send_rflush(c, r->tag);
	else if (!dropped && len > 0)
		conn_send(c, reply, len);
	pthread_mutex_lock(&c->lock);
	r->state = REQ_DONE;
	wake = untrack(c, r);
	f = r->flushes;
	r->flushes = NULL;
	pthread_mutex_unlock(&c->lock);
	for (; f != NULL; f = next) {
		next = f->next;
		retire(c, f, NULL, 0);	/* and the flushes of that flush */
	}
	pthread_mutex_lock(&c->lock);
	wake = wake || (c->eof && c->ninflight == 0);
	pthread_mutex_unlock(&c->lock);
	if (wake)
		loop_wake_conn(c);
	req_free(r);
}

static void
do_flush(struct conn *c, struct p9srv_req *f)
{
	uint16_t oldtag = f->in.tflush.oldtag;
	struct p9srv_req *old, **pp;
	bool answer_now = true;

	pthread_mutex_lock(&c->lock);
	old = oldtag != f->tag ? find_tag(c, oldtag, true) : NULL;
	if (old != NULL && old->state == REQ_QUEUED) {
		/* flush(5): not started, so it never happens and never replies.
		 * (We are the loop: no wake-up needed to go on reading.) */
		old->state = REQ_CANCELLED;
		(void)untrack(c, old);
	} else if (old != NULL) {
		/* Running, replying, or a waiting Tflush: answer after its
		 * reply, in order. */
		for (pp = &old->flushes; *pp != NULL; pp = &(*pp)->next)
			;
		f->next = NULL;
		f->state = REQ_RUNNING;
		*pp = f;
		c->inflight[c->ninflight++] = f;
		answer_now = false;
	}
	pthread_mutex_unlock(&c->lock);
	if (answer_now) {
		send_rflush(c, f->tag);
		req_free(f);
	}
}

/* Drop every outstanding request: queued ones never run, running ones
 * finish but send nothing. Under c->lock. With `wait`, the running ones
 * (and Tflushes waiting for them) stay in flight until they finish, so
 * that a Tversion can be answered only after them. */
static void
drop_all(struct conn *c, bool wait)
{
	unsigned i = 0;

	while (i < c->ninflight) {
		struct p9srv_req *r = c->inflight[i];

		r->dropped = true;
		if (r->state == REQ_QUEUED) {
			r->state = REQ_CANCELLED;
			if (wait) {
				c->inflight[i] = c->inflight[--c->ninflight];
				continue;
			}
		}
		i++;
	}
	if (!wait)
		c->ninflight = 0;
	c->paused = false;
}

/* The Rversion, once nothing from the old session can run or reply any
 * more: its fids go, then the new session starts (loop thread). */
static void
finish_version(struct conn *c, struct p9srv_req *r)
{
	const struct p9_tversion *in = &r->in.tversion;
	struct p9_msg m = { .type = P9_RVERSION };

	fid_table_clear(c);
	m.tag = r->tag;
	m.rversion.msize = in->msize < c->srv->cfg.msize_max ? in->msize : c->srv->cfg.msize_max;
	if (!p9_str_eq(in->version, P9_VERSION_L)) {
		m.rversion.version = (struct p9_str){ "unknown", 7 };
	} else if (in->msize < MIN_MSIZE) {
		send_lerror(c, r->tag, EMSGSIZE);
		req_free(r);
		return;
	} else {
		m.rversion.version = (struct p9_str){ P9_VERSION_L, 8 };
		pthread_mutex_lock(&c->lock);
		c->msize = m.rversion.msize;
		c->versioned = true;
		pthread_mutex_unlock(&c->lock);
	}
	send_msg(c, &m);
	req_free(r);
}

/*
 * version(5): a Tversion aborts everything and clunks every fid. Queued
 * requests never run; running ones finish (their effects may happen) but
 * reply nothing, and the Rversion waits until the last of them is done,
 * so that no reply and no fid of the old session comes after it.
 */
static void
do_version(struct conn *c, struct p9srv_req *r)
{
	bool wait;

	pthread_mutex_lock(&c->lock);
	drop_all(c, true);
	c->versioned = false;
	wait = c->ninflight > 0;
	if (wait)
		c->version = r;	/* conn_settle answers it */
	pthread_mutex_unlock(&c->lock);
	if (!wait)
		finish_version(c, r);
}

void
conn_settle(struct conn *c)
{
	struct p9srv_req *r = NULL;

	pthread_mutex_lock(&c->lock);
	if (c->version != NULL && c->ninflight == 0) {
		r = c->version;
		c->version = NULL;
	}
	pthread_mutex_unlock(&c->lock);
	if (r != NULL)
		finish_version(c, r);
}

/*
 * A quick call with other requests of its connection behind it runs on
 * the loop while its type's calls there took less than this on average:
 * a hand-off to a worker costs about as much CPU (futex, wake-up, context
 * switch). Longer ones (a large directory's Treaddir) go to the workers,
 * which run them side by side. Measured (p9d, 1 connection, 32 in flight,
 * 5 interleaved rounds of 1 s, medians, against sending every call that
 * has others behind it to the workers), export on tmpfs:
 * create+write+clunk+unlink 2.55x the rate at 10.2 -> 3.3 us of CPU per
 * RPC, the mixed workload 2.09x at 6.6 -> 2.6 us; on ext4 (whose inode
 * allocator made create's rounds spread 3.4k-41k/s) walk+open+read+clunk
 * 1.35x and 1.37x in two runs, 64 KiB Twrites 1.01x, Treaddir of the
 * 1000-entry directory 1.02x (it stays with the workers: run on the loop
 * too, it measured 0.69x).
 */
#define QUICK_INLINE_NS	50000u

/* Run a usually-quick request (p9srv_backend's quick) on this loop? Not
 * when its type has been slow lately on this loop; when other requests of
 * its connection follow in the buffer, only while its type's calls here
 * are short (QUICK_INLINE_NS). Other connections ready in the same turn
 * wait for it, as for a never-blocking call: a hand-off to a worker costs
 * more than the call (4 connections, synchronous, against also sending it
 * to a worker when another connection was ready in the turn: 64 KiB
 * Twrites 38.7k -> 63.5k/s, readdir 5.3k -> 7.0k listings/s;
 * server/README.md). */
static bool
quick_here(struct conn *c, uint8_t type, bool more)
{
	struct loop_io *io = c->io;

	if (io->quick_after[type] != 0) {
		if (p9_now_ns() < io->quick_after[type])
			return false;	/* slow lately */
		io->quick_after[type] = 0;
	}
	return !more || io->quick_ns[type] < QUICK_INLINE_NS;
}

static void
run_quick(struct loop_io *io, struct p9srv_req *r)
{
	uint8_t type = r->in.type;
	uint64_t t0 = p9_now_ns(), t1, d;

	pool_run_here(r);	/* r may be gone after it */
	t1 = p9_now_ns();
	d = t1 - t0;
	if (d > (uint64_t)P9SRV_QUICK_MAX_US * 1000u) {
		io->quick_after[type] = t1 + (uint64_t)P9SRV_QUICK_BACKOFF_MS * 1000000u;
		d = (uint64_t)P9SRV_QUICK_MAX_US * 1000u;	/* counts for that much */
	}
	/* The running mean, 1/8 of the way to the new call. */
	io->quick_ns[type] = (uint32_t)(((uint64_t)io->quick_ns[type] * 7 + d) / 8);
}

/*
 * A complete frame has arrived (loop thread). Broken frames were refused
 * by the framing check already; here a frame with a sane header but a bad
 * body gets Rlerror on its tag, a duplicate tag closes the connection.
 * Returns false to close.
 */
static bool
start_req(struct conn *c, struct p9srv_req *r, bool more)
{
	int err;
	bool versioned;

	if (__builtin_expect(c->srv->rec != NULL, 0))
		p9pcap_write(c->srv->rec, &c->rec, P9PCAP_C2S, r->frame, r->framelen);
	err = p9_msg_decode_ex(r->frame, r->framelen, P9_DEC_TOLERANT, &r->in, NULL);

	r->tag = r->in.tag;
	if (err == P9_ERR_SHORT && r->framelen < P9_HDRSZ) {
		req_free(r);
		return false;
	}
	if (err != 0) {
		/* Unknown types and R-messages: EOPNOTSUPP (spec 2.1); a
		 * malformed body: EINVAL. */
		send_lerror(c, r->tag, err == P9_ERR_TYPE ? EOPNOTSUPP : EINVAL);
		req_free(r);
		return true;
	}
	if (c->srv->cfg.debug)
		trace(c, "<", &r->in);
	if (r->in.type == P9_TVERSION) {
		do_version(c, r);
		return true;
	}
	pthread_mutex_lock(&c->lock);
	versioned = c->versioned;
	if (versioned && find_tag(c, r->tag, false) != NULL) {
		pthread_mutex_unlock(&c->lock);
		req_free(r);
		return false;	/* a tag in use: the client is broken */
	}
	pthread_mutex_unlock(&c->lock);
	/* flush(5): a Tflush is always answered with Rflush, even before a
	 * session exists (nothing is outstanding then: it is answered at once). */
	if (r->in.type == P9_TFLUSH) {
		do_flush(c, r);
		return true;
	}
	if (!versioned || (r->in.type & 1) != 0 || r->in.type == P9_RLERROR) {
		send_lerror(c, r->tag, versioned ? EOPNOTSUPP : EPROTO);
		req_free(r);
		return true;
	}
	pthread_mutex_lock(&c->lock);
	r->state = REQ_QUEUED;
	c->inflight[c->ninflight++] = r;
	pthread_mutex_unlock(&c->lock);
	if (c->srv->cfg.threads == 0 || p9srv_nonblocking(c->srv->be, r->in.type))
		pool_run_here(r);	/* no workers, or never blocks: no hand-off */
	else if (p9srv_quick(c->srv->be, r->in.type) && quick_here(c, r->in.type, more))
		run_quick(c->io, r);
	else
		pool_push(r);
	return true;
}

/* Feed the buffered bytes to start_req while the limits allow. */
static bool
process_buffer(struct conn *c)
{
	size_t off = 0, need, have;
	int err;
	bool ok = true;

	while (ok && conn_want_read(c)) {
		struct p9srv_req *r;

		have = c->rlen - off;
		err = p9_frame_need(c->rbuf + off, have, c->msize, &need);
		if (err != 0) {
			ok = false;	/* size < 7 or > msize: a broken stream */
			break;
		}
		if (need > have && need <= c->rcap)
			break;	/* wait for more */
		r = req_alloc(c, need);
		if (r == NULL) {
			ok = false;
			break;
		}
		atomic_fetch_add(&c->refs, 1);
		if (need > have) {
			/* Larger than our buffer: read the rest straight into it. */
			memcpy(r->frame, c->rbuf + off, have);
			r->framelen = have;
			c->partial = r;
			off += have;
			break;
		}
		memcpy(r->frame, c->rbuf + off, need);
		r->framelen = need;
		off += need;
		/* more: the start of another request follows this one */
		ok = start_req(c, r, c->rlen - off >= 4);
	}
	if (off > 0) {
		memmove(c->rbuf, c->rbuf + off, c->rlen - off);
		c->rlen -= off;
	}
	return ok;
}

void
conn_set_eof(struct conn *c)
{
	/* Under c->lock, so that a worker finishing the last request sees it
	 * and wakes the loop to close (req_run). */
	pthread_mutex_lock(&c->lock);
	c->eof = true;
	pthread_mutex_unlock(&c->lock);
}

bool
conn_dead(struct conn *c)
{
	bool dead;

	pthread_mutex_lock(&c->wlock);
	dead = c->dead;
	pthread_mutex_unlock(&c->wlock);
	return dead;
}

bool
conn_idle(struct conn *c)
{
	bool idle;

	pthread_mutex_lock(&c->lock);
	idle = c->ninflight == 0;
	pthread_mutex_unlock(&c->lock);
	if (idle) {
		pthread_mutex_lock(&c->wlock);
		idle = c->outq == NULL || c->dead;
		pthread_mutex_unlock(&c->wlock);
	}
	return idle;
}

/*
 * Where the next read of c's input goes: the rest of a large frame read
 * straight into its request, or the free end of rbuf.
 */
bool
conn_rd_window(struct conn *c, uint8_t **p, size_t *len)
{
	if (c->partial != NULL) {
		struct p9srv_req *r = c->partial;
		size_t need;

		if (p9_frame_need(r->frame, r->framelen, c->msize, &need) != 0)
			return false;
		*p = r->frame + r->framelen;
		*len = need - r->framelen;
		return true;
	}
	if (c->rlen == c->rcap)
		return false;	/* cannot happen: frames <= rcap are consumed */
	*p = c->rbuf + c->rlen;
	*len = c->rcap - c->rlen;
	return true;
}

/* n bytes arrived at the window: account them; a large frame complete
 * starts. False when the stream is broken. */
static bool
rd_arrived(struct conn *c, size_t n)
{
	struct p9srv_req *r = c->partial;
	size_t need;

	if (r == NULL) {
		c->rlen += n;
		return true;
	}
	r->framelen += n;
	if (p9_frame_need(r->frame, r->framelen, c->msize, &need) != 0)
		return false;
	if (r->framelen < need)
		return true;
	c->partial = NULL;
	return start_req(c, r, false);
}

int
conn_on_input(struct conn *c, size_t n)
{
	bool ok;

	conn_gather(c);
	ok = (n == 0 || rd_arrived(c, n)) && process_buffer(c);
	conn_ungather(c);
	return ok ? 1 : -1;
}

void
conn_req_free(struct p9srv_req *r)
{
	req_free(r);
}

static int on_readable(struct conn *c);

int
conn_on_readable(struct conn *c)
{
	int rc;

	conn_gather(c);
	rc = on_readable(c);
	conn_ungather(c);
	return rc;
}

/*
 * Read and start what the socket holds. A read that returns less than it
 * asked for emptied the socket: the next read would say EAGAIN, so the
 * loop waits for epoll (level-triggered: it reports data or EOF that came
 * meanwhile) instead of asking. That is one system call fewer per batch
 * of requests, a fifth of a synchronous client's.
 */
static int
on_readable(struct conn *c)
{
	bool drained = false;

	if (c->eof)
		return process_buffer(c) ? 0 : -1;
	for (;;) {
		uint8_t *p;
		size_t ask;
		ssize_t n;

		if (!process_buffer(c))
			return -1;
		if (!conn_want_read(c) || drained)
			return 1;
		if (!conn_rd_window(c, &p, &ask))
			return -1;
		n = read(c->fd, p, ask);
		if (n > 0) {
			if (!rd_arrived(c, (size_t)n))
				return -1;
			drained = (size_t)n < ask;
			continue;
		}
		if (n == 0)
			return c->partial != NULL || c->rlen > 0 ? -1 : 0;
		if (errno == EINTR)
			continue;
		return errno == EAGAIN || errno == EWOULDBLOCK ? 1 : -1;
	}
}

void
conn_close(struct conn *c)
{
	struct p9srv_req *version;

	pthread_mutex_lock(&c->lock);
	c->closing = true;
	drop_all(c, false);
	version = c->version;
	c->version = NULL;
	pthread_mutex_unlock(&c->lock);
	if (version != NULL)
		req_free(version);
	pthread_mutex_lock(&c->wlock);
	c->dead = true;		/* nothing more goes out; the fd closes at the last put */
	pthread_mutex_unlock(&c->wlock);
	/* A large frame half read into its own request: it holds a
	 * reference to c, so it must go now, not at the last put. */
	if (c->partial != NULL) {
		struct p9srv_req *r = c->partial;

		c->partial = NULL;
		req_free(r);
	}
	/* Release fids (and so locks) before the peer sees the close, so a
	 * client that saw EOF finds them gone unless a request still runs. */
	fid_table_clear(c);
	shutdown(c->fd, SHUT_RDWR);
	conn_put(c);
}

/*
 * Credentials: per thread (raw syscalls; glibc would apply setgroups to
 * every thread of the process). A thread keeps the identity of its last
 * request and switches only when the next one differs: a client's
 * requests mostly come as one user, and a switch is 3 system calls. A
 * request with no identity (no fid: Tversion, Tflush; or a fid that did
 * not resolve, answered without the backend) leaves the identity as it
 * is: nothing it runs depends on one.
 */
static _Thread_local struct {
	bool	 set;		/* false: the thread's own identity, not recorded */
	uid_t	 uid;
	gid_t	 gid;
	int	 ngroups;
	gid_t	 groups[64];
} creds_now;

/* Is this thread's identity cr already? */
static bool
creds_are(const struct p9srv_cred *cr)
{
	return creds_now.set && creds_now.uid == cr->uid && creds_now.gid == cr->gid &&
	    creds_now.ngroups == cr->ngroups &&
	    memcmp(creds_now.groups, cr->groups, (size_t)cr->ngroups * sizeof(gid_t)) == 0;
}

static void
creds_set(const struct p9srv_cred *cr)
{
	/* Groups first, fsuid last: CAP_SETGID and CAP_SETUID are not among
	 * the capabilities a non-zero fsuid drops, so this works from root
	 * and from another user alike. */
	syscall(SYS_setgroups, (size_t)cr->ngroups, cr->groups);
	setfsgid(cr->gid);
	setfsuid(cr->uid);
	creds_now.set = true;
	creds_now.uid = cr->uid;
	creds_now.gid = cr->gid;
	creds_now.ngroups = cr->ngroups;
	memcpy(creds_now.groups, cr->groups, (size_t)cr->ngroups * sizeof(gid_t));
}

static void
creds_switch(const struct ident *id)
{
	if (id != NULL && !creds_are(&id->cred))
		creds_set(&id->cred);
}

/* Back to cr (p9srv_poll: the caller's thread leaves with the identity
 * it had at p9srv_new, not the last request's). The thread then keeps
 * cr as its recorded identity: a next request as cr (a session attached
 * as the caller's own user) switches nothing, nor does the next restore. */
void
creds_restore(const struct p9srv_cred *cr)
{
	if (!creds_now.set || creds_are(cr))
		return;		/* never changed, or already cr */
	creds_set(cr);
}

/*
 * The dispatch table (ops.def): for each T-message, who answers it, whether
 * it mutates, and what each of its fid fields must name.
 */
enum how { NOT_SERVED, ENGINE, BACKEND };
#define MUT	1
enum role { R_FILE, R_DIR, R_CLOSED, R_CDIR, R_OPEN, R_READ, R_WRITE, R_ANY, R_NEW, R_AFID };

struct op_row {
	uint8_t		 how;
	uint8_t		 flags;
	uint8_t		 nroles;
	uint8_t		 roles[REQ_MAXFIDS];
};

#define R1(a)		1, { a }
#define R2(a, b)	2, { a, b }
#define OP(UP, lo, how, flags, roles)	[P9_T##UP] = { how, flags, roles },
static const struct op_row op_rows[256] = {
#include "ops.def"
};
#undef OP
#undef R1
#undef R2

/* The fid fields of each T-message, counted from p9_msgs.def's field
 * kinds; ops.def must give each of them a role, in the same order. */
#define FC_fid	1
#define FC_u8	0
#define FC_u16	0
#define FC_u32	0
#define FC_u64	0
#define FC_x32	0
#define FC_x64	0
#define FC_o32	0
#define FC_opt32 0
#define FC_str	0
#define FC_qid	0
#define FC_data	0
#define FC_strs	0
#define FC_qids	0
#define F(kind, name)	+ FC_##kind
#define P9_PAIR(UP, lo, num, tf, rf)	NFIDS_##UP = 0 tf,
#define P9_RONLY(UP, lo, num, rf)
enum {
#include "p9_msgs.def"
};
#undef P9_PAIR
#undef P9_RONLY
#undef F
#define R1(a)		1
#define R2(a, b)	2
#define OP(UP, lo, how, flags, roles) \
	_Static_assert(NFIDS_##UP == (roles), "ops.def: T" #lo " needs one role per fid field");
#include "ops.def"
#undef OP
_Static_assert(REQ_MAXFIDS == 2, "ops.def has rows of at most two fids");

/* The fid fields of m, in order (at most REQ_MAXFIDS). */
static inline bool fid_of_fid(const uint32_t *v, uint32_t *out) { *out = *v; return true; }
#define NOT_FID(kind, T) \
	__attribute__((unused)) static inline bool \
	fid_of_##kind(const T *v, uint32_t *out) { (void)v; (void)out; return false; }
NOT_FID(u8, uint8_t)
NOT_FID(u16, uint16_t)
NOT_FID(u32, uint32_t)
NOT_FID(u64, uint64_t)
NOT_FID(x32, uint32_t)
NOT_FID(x64, uint64_t)
NOT_FID(o32, uint32_t)
NOT_FID(opt32, uint32_t)
NOT_FID(str, struct p9_str)
NOT_FID(qid, struct p9_qid)
NOT_FID(data, struct p9_data)
NOT_FID(strs, struct p9_strs)
NOT_FID(qids, struct p9_qids)

static unsigned
fid_fields(const struct p9_msg *m, uint32_t nums[REQ_MAXFIDS])
{
	unsigned n = 0;
	uint32_t v;

	switch (m->type) {
#define F(kind, name) \
	if (fid_of_##kind(&x->name, &v) && n < REQ_MAXFIDS) nums[n++] = v;
#define P9_PAIR(UP, lo, num, tf, rf) \
	case P9_T##UP: { const struct p9_t##lo *x = &m->t##lo; (void)x; tf } break;
#define P9_RONLY(UP, lo, num, rf)
#include "p9_msgs.def"
#undef P9_PAIR
#undef P9_RONLY
#undef F
	default:
		break;
	}
	return n;
}

/* Does f fit role? 0, or the error to answer. */
static int
role_check(const struct fid *f, enum role role)
{
	bool file = f->kind == FID_FILE, open = file && atomic_load(&f->open);
	bool dir = (atomic_load(&f->qtype) & P9_QTDIR) != 0;

	switch (role) {
	case R_ANY:
		return 0;
	case R_FILE:
		return file ? 0 : EINVAL;	/* an xattr fid names no file */
	case R_DIR:
		return !file ? EINVAL : dir ? 0 : ENOTDIR;
	case R_CLOSED:
		return file && !open ? 0 : EINVAL;	/* spec 3.5: already open */
	case R_CDIR:
		return !file || open ? EINVAL : dir ? 0 : ENOTDIR;
	case R_OPEN:
		return open ? 0 : EBADF;
	case R_READ:
		return open || f->kind == FID_XATTR_READ ? 0 : EBADF;
	case R_WRITE:
		return open || f->kind == FID_XATTR_WRITE ? 0 : EBADF;
	default:
		return EBADF;
	}
}

/* Tlopen changes the file system when it writes or truncates. */
static bool
lopen_writes(uint32_t flags)
{
	uint32_t acc = flags & 3;

	return acc == P9_DOTL_WRONLY || acc == P9_DOTL_RDWR || (flags & P9_DOTL_TRUNC) != 0;
}

/* Credentials: a worker keeps the identity of its last request (conn.c:
 * creds_switch); the engine applies them only for a backend that asks
 * and a server that may switch. */
void
req_set_ident(struct p9srv_req *r, struct ident *id)
{
	const struct p9srv *s = r->conn->srv;

	ident_put(r->id);
	r->id = id;
	if (s->as_root && (s->be->flags & P9SRV_BACKEND_CREDS) != 0)
		creds_switch(id);
}

/* Resolve r's fids (references in r->fids), check them against the row,
 * and set the credentials: those of the first fid resolved. */
static int
resolve(struct p9srv_req *r, const struct op_row *row)
{
	struct conn *c = r->conn;
	uint32_t nums[REQ_MAXFIDS];
	struct ident *id = NULL;
	unsigned i, n = fid_fields(&r->in, nums);
	int err = 0;

	if ((row->flags & MUT) != 0 && c->srv->cfg.readonly && r->in.type != P9_TLOPEN)
		return EROFS;
	for (i = 0; i < row->nroles && i < n && err == 0; i++) {
		struct fid *f;

		if (row->roles[i] == R_NEW)
			continue;
		if (row->roles[i] == R_AFID) {
			if (nums[i] != P9_NOFID)
				err = EBADF;	/* no Tauth ever succeeded */
			continue;
		}
		if ((f = fid_get(c, nums[i])) == NULL) {
			err = EBADF;
			break;
		}
		r->fids[i] = f;
		if (id == NULL)
			id = f->id;
		err = role_check(f, row->roles[i]);
	}
	if (err == 0 && r->in.type == P9_TLOPEN && c->srv->cfg.readonly &&
	    lopen_writes(r->in.tlopen.flags))
		err = EROFS;
	req_set_ident(r, ident_ref(id));
	return err;
}

#define CALL_ENGINE(lo, n)	eng_##lo(r, &r->in.t##lo, &out->r##lo)
#define CALL_BACKEND(lo, n)	CALL_B_(lo, n)
#define CALL_B_(lo, n)		CALL_B##n(lo)
#define CALL_B1(lo)	(be->lo == NULL ? EOPNOTSUPP : \
	be->lo(r, r->fids[0]->file, &r->in.t##lo, &out->r##lo))
#define CALL_B2(lo)	(be->lo == NULL ? EOPNOTSUPP : \
	be->lo(r, r->fids[0]->file, r->fids[1]->file, &r->in.t##lo, &out->r##lo))

static int
dispatch(struct p9srv_req *r, struct p9_msg *out)
{
	const struct p9srv_backend *be = r->conn->srv->be;
	const struct op_row *row = &op_rows[r->in.type];
	int err;

	if (row->how == NOT_SERVED)
		return EOPNOTSUPP;
	if ((err = resolve(r, row)) != 0)
		return err;
	/* An xattr fid's buffer is the engine's. */
	if (r->in.type == P9_TREAD && r->fids[0]->kind == FID_XATTR_READ)
		return xattr_read(r, r->fids[0], &r->in.tread, &out->rread);
	if (r->in.type == P9_TWRITE && r->fids[0]->kind == FID_XATTR_WRITE)
		return xattr_write(r, r->fids[0], &r->in.twrite, &out->rwrite);
	switch (r->in.type) {
#define OP(UP, lo, how, flags, roles) \
	case P9_T##UP: err = CALL_##how(lo, roles); break;
#include "ops.def"
#undef OP
	default:
		return EOPNOTSUPP;
	}
	if (err != 0)
		return err;
	if (r->in.type == P9_TLOPEN) {
		atomic_store(&r->fids[0]->open, true);
	} else if (r->in.type == P9_TLCREATE) {
		atomic_store(&r->fids[0]->qtype, out->rlcreate.qid.type);
		atomic_store(&r->fids[0]->open, true);
	}
	return 0;
}
#undef R1
#undef R2

void
req_run(struct p9srv_req *r, uint8_t *reply, size_t replycap, uint8_t *scratch,
    size_t scratch_len, int pipefd[2])
{
	struct conn *c = r->conn;
	struct p9_msg out;
	struct p9_data *od;
	uint32_t msize;
	size_t cap;
	long len;
	int err;

	pthread_mutex_lock(&c->lock);
	if (r->state == REQ_CANCELLED) {
		pthread_mutex_unlock(&c->lock);
		req_free(r);
		return;
	}
	r->state = REQ_RUNNING;
	msize = c->msize;
	pthread_mutex_unlock(&c->lock);

	/* Replies stay strictly below msize: Linux refuses size >= msize. */
	cap = msize - 1 < replycap ? msize - 1 : replycap;
	memset(&out, 0, sizeof(out));
	out.type = (uint8_t)(r->in.type + 1);
	out.tag = r->tag;
	r->scratch = scratch;
	r->scratch_len = scratch_len;
	r->pipe = pipefd;
	r->replied = false;
	r->rdata = NULL;
	r->rroom = 0;
	if (r->in.type == P9_TREAD || r->in.type == P9_TREADDIR) {
		uint32_t count = r->in.type == P9_TREAD ? r->in.tread.count : r->in.treaddir.count;

		r->rdata = p9_rdata_begin(reply, cap, out.type, r->tag, count, &r->rroom);
	}
	r->id = NULL;
	r->fids[0] = r->fids[1] = NULL;
	err = dispatch(r, &out);
	fid_put(r->fids[0]);
	fid_put(r->fids[1]);
	r->fids[0] = r->fids[1] = NULL;
	ident_put(r->id);
	r->id = NULL;
	if (r->replied) {
		/* p9srv_reply_fd wrote the Rread (whatever the callback
		 * returned then): what is left is the bookkeeping and the
		 * Tflushes that wait for it. */
		retire(c, r, reply, 0);
		return;
	}
	if (err == P9SRV_REPLIED)
		err = EIO;	/* a backend bug: it sent nothing */
	if (err == P9SRV_BLOCKS) {
		if (p9srv_req_can_defer(r)) {
			/* It would block the loop: run it again on a worker. No
			 * Tflush of it can have come meanwhile (the loop was here). */
			pthread_mutex_lock(&c->lock);
			r->state = REQ_QUEUED;
			pthread_mutex_unlock(&c->lock);
			pool_push(r);
			return;
		}
		err = EIO;	/* a backend bug: it may not defer here */
	}

	len = 0;
	od = out.type == P9_RREAD ? &out.rread.data : &out.rreaddir.data;
	if (err == 0 && r->rdata != NULL && od->ptr == r->rdata) {
		/* Rread/Rreaddir data is already in place after its header. */
		len = (long)p9_rdata_seal(reply, od->len);
	} else if (err == 0) {
		len = p9_msg_encode(&out, reply, cap);
		if (len < 0)
			err = EMSGSIZE;	/* the reply does not fit msize */
	}
	if (err != 0) {
		memset(&out, 0, sizeof(out));
		out.type = P9_RLERROR;
		out.tag = r->tag;
		out.rlerror.ecode = err > 0 && err < 4096 ? (uint32_t)err : EIO;
		len = p9_msg_encode(&out, reply, cap);
	}
	if (c->srv->cfg.debug) {
		struct p9_msg shown;

		if (p9_msg_decode(reply, (size_t)len, &shown) == 0)
			trace(c, ">", &shown);
	}

	retire(c, r, reply, len > 0 ? (size_t)len : 0);
}
