/*
 * The event loop: one thread, epoll, level-triggered. It accepts
 * connections, reads frames and starts requests (conn.c), writes replies
 * the socket would not take at once, and re-evaluates a connection's
 * interest when a worker asks (loop_wake_conn: a reply was queued, or a
 * request finished while reading was paused at the in-flight limit).
 * SIGINT and SIGTERM arrive through a signalfd and end the loop.
 *
 * With io_uring (cfg.io, built with liburing) the loop waits on a ring
 * instead: each connection has a read of its input submitted while it may
 * read (its completion brings the bytes: no readiness event, then read),
 * and a poll for room while replies wait in its queue; the wake-up
 * eventfd is read, and the signalfd and listeners polled, through the
 * ring. What a turn prepared is submitted by the same io_uring_enter that
 * waits. Replies are written as with epoll (write, by whoever made them,
 * when nothing waits before them): handing them to the ring instead was
 * measured slower for large replies (a reply made while the ring's write
 * was in flight had to be copied into the queue; 64 KiB Treads at 32 in
 * flight ran at a third of the rate).
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#ifdef P9SRV_HAVE_URING
#include <liburing.h>
#endif

#include "conn.h"
#include "p9_loop.h"

struct listener {
	enum ev_kind	 kind;		/* EV_LISTENER */
	struct p9srv	*srv;
	int		 fd;
	struct listener	*next;
};

struct loop {
	struct loop_io	 io;		/* conn.c and pool.c use it (srv.h) */
	struct p9srv	*srv;
	unsigned	 index;		/* 0: the one p9srv_run/p9srv_poll turns */
	int		 epfd;
	int		 wakefd;
	int		 sigfd;		/* loop 0 */
	int		 spare;		/* loop 0: any descriptor, closed to refuse a connection at EMFILE */
	struct listener	*listeners;	/* loop 0 */
	struct conn	*conns;
	/* The CPU it runs on (cfg.pin_loops), -1 when not pinned: loops 1..
	 * from their start, loop 0 while p9srv_run turns it (pin_cpu). */
	int		 cpu;
	int		 pin_cpu;	/* the CPU planned for it, or -1 */
	pthread_mutex_t	 wake_lock;
	struct conn	*wake_list;
	struct conn	*adopt;		/* handed over, not yet ours (wake_lock) */
	/* Loop 0: held while p9srv_run or p9srv_poll turns it, so that
	 * p9srv_serve_fd knows to hand its connection over then. */
	pthread_mutex_t	 turn_lock;
	struct conn	*closed;	/* removed during this epoll batch: freed after it */
	atomic_bool	 stop;		/* srv_stop: the loop ends at its next wake-up */
	pthread_t	 thread;	/* loops 1..: their own */
	bool		 threaded;
	struct p9_spin	 spin;		/* busy-polling (cfg.spin_us, p9_loop.h) */
#ifdef P9SRV_HAVE_URING
	bool		 uring;		/* this loop runs on ring, not epfd */
	struct io_uring	 ring;
	unsigned	 ops;		/* connection operations submitted, not completed */
	uint64_t	 wakeval;	/* the wake-up eventfd's read lands here */
#endif
};

/* Sentinels for the two internal fds. */
static int wake_tag, sig_tag;

#ifdef P9SRV_HAVE_URING
/*
 * io_uring. A completion's user_data is a pointer (connections and
 * listeners come from calloc: 16-aligned) with the operation in its low
 * bits, or an operation alone.
 */
enum {
	K_READ = 1,	/* a connection's input (struct conn) */
	K_LISTEN,	/* a listener is readable (struct listener; multishot) */
	K_WAKE,		/* the wake-up eventfd's counter was read */
	K_SIG,		/* the signalfd is readable */
	K_WRPOLL,	/* a connection's socket takes output again (struct conn) */
	K_IGNORE,	/* cancellations, polls linked before a retried read */
};
#define UD(p, k)	((uint64_t)(uintptr_t)(p) | (uint64_t)(k))
#define UD_KIND(ud)	((unsigned)((ud) & 7))
#define UD_PTR(ud)	((void *)(uintptr_t)((ud) & ~(uint64_t)7))
#define RING_ENTRIES	256

/* A submission entry; NULL only when the ring cannot submit at all. */
static struct io_uring_sqe *
ring_sqe(struct loop *L)
{
	struct io_uring_sqe *sqe = io_uring_get_sqe(&L->ring);

	if (sqe == NULL && io_uring_submit(&L->ring) >= 0)
		sqe = io_uring_get_sqe(&L->ring);
	return sqe;
}

/* Read len bytes of fd into p; after an EAGAIN (kernels that do not wait
 * on an O_NONBLOCK descriptor), behind a poll for input. */
static bool
ring_read(struct loop *L, int fd, void *p, size_t len, uint64_t ud, bool poll_first)
{
	struct io_uring_sqe *sqe;

	if (poll_first) {
		if ((sqe = ring_sqe(L)) == NULL)
			return false;
		io_uring_prep_poll_add(sqe, fd, POLLIN);
		sqe->flags |= IOSQE_IO_LINK;
		sqe->user_data = UD(NULL, K_IGNORE);
	}
	if ((sqe = ring_sqe(L)) == NULL)
		return false;
	io_uring_prep_read(sqe, fd, p, (unsigned)len, (uint64_t)-1);
	sqe->user_data = ud;
	return true;
}

static bool
ring_poll(struct loop *L, int fd, uint64_t ud, bool multishot)
{
	struct io_uring_sqe *sqe = ring_sqe(L);

	if (sqe == NULL)
		return false;
	if (multishot)
		io_uring_prep_poll_multishot(sqe, fd, POLLIN);
	else
		io_uring_prep_poll_add(sqe, fd, POLLIN);
	sqe->user_data = ud;
	return true;
}

#endif

static void remove_conn(struct conn *c);
static void release_closed(struct loop *L);
static void on_accept(struct listener *l);

#ifdef P9SRV_HAVE_URING
static bool
use_uring(struct loop *L)
{
	return L->uring;
}
#else
#define use_uring(L)	((void)(L), false)
#endif

/*
 * The engine loop L runs on: io_uring when asked for (cfg.io, or with
 * P9SRV_IO_DEFAULT the environment's P9SRV_IO=uring) and it can be had;
 * else epoll. Says why on stderr when io_uring was asked for by name and
 * cannot be had.
 */
static void
choose_io(struct loop *L)
{
	struct p9srv *s = L->srv;
	unsigned want = s->cfg.io;

	if (want == P9SRV_IO_DEFAULT) {
		const char *env = getenv("P9SRV_IO");

		want = env != NULL && strcmp(env, "uring") == 0 ? P9SRV_IO_URING : P9SRV_IO_EPOLL;
	}
	if (want != P9SRV_IO_URING)
		return;
#ifdef P9SRV_HAVE_URING
	{
		int rc = io_uring_queue_init(RING_ENTRIES, &L->ring, 0);

		if (rc == 0) {
			L->uring = true;
			return;
		}
		if (L->index == 0)
			fprintf(stderr, "%s: io_uring: %s: using epoll\n", s->cfg.ident,
			    strerror(-rc));
	}
#else
	if (L->index == 0)
		fprintf(stderr, "%s: io_uring: not built in (liburing was not found): using epoll\n",
		    s->cfg.ident);
#endif
}

static int
loop_init(struct p9srv *s, unsigned index)
{
	struct epoll_event ev = { .events = EPOLLIN };
	struct loop *L = calloc(1, sizeof(*L));
	sigset_t set;

	if (L == NULL)
		return -1;
	s->loops[index] = L;
	L->srv = s;
	L->index = index;
	L->epfd = L->wakefd = L->sigfd = L->spare = -1;
	L->cpu = L->pin_cpu = -1;
	L->io.pipe[0] = L->io.pipe[1] = -1;
	atomic_init(&L->io.conns, 0);
	pthread_mutex_init(&L->wake_lock, NULL);
	pthread_mutex_init(&L->turn_lock, NULL);
	atomic_init(&L->stop, false);
	L->io.gbuf = malloc(P9SRV_GATHER_CAP);
	L->io.reply = malloc(s->cfg.msize_max);
	L->io.scratch = malloc(P9SRV_SCRATCH_LEN);
	if (L->io.gbuf == NULL || L->io.reply == NULL || L->io.scratch == NULL)
		return -1;
	choose_io(L);
	/* Busy-polling on epoll only. On io_uring a spin (checking the
	 * completion ring, with or without io_uring_get_events) left
	 * synchronous Tgetattr between 9% slower and 6% faster, at 1.6-2.1x
	 * the CPU per RPC: the read's completion costs what a wake-up does. */
	L->spin.ns = (uint64_t)s->cfg.spin_us * 1000u;
#ifdef P9SRV_HAVE_URING
	if (L->uring)
		L->spin.ns = 0;
#endif
	L->wakefd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (L->wakefd < 0)
		return -1;
#ifdef P9SRV_HAVE_URING
	if (L->uring && !ring_read(L, L->wakefd, &L->wakeval, sizeof(L->wakeval),
	    UD(NULL, K_WAKE), false))
		return -1;
#endif
	if (!use_uring(L)) {
		L->epfd = epoll_create1(EPOLL_CLOEXEC);
		if (L->epfd < 0)
			return -1;
		ev.data.ptr = &wake_tag;
		if (epoll_ctl(L->epfd, EPOLL_CTL_ADD, L->wakefd, &ev) != 0)
			return -1;
	}
	if (index > 0)
		return 0;
	if ((L->spare = eventfd(0, EFD_CLOEXEC)) < 0)
		return -1;
	if (!s->cfg.signals)
		return 0;
	/* Blocked in this thread, and so in the loops and workers it starts
	 * next: SIGINT and SIGTERM arrive through loop 0's signalfd. */
	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	L->sigfd = signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC);
	if (L->sigfd < 0)
		return -1;
#ifdef P9SRV_HAVE_URING
	if (L->uring)
		return ring_poll(L, L->sigfd, UD(NULL, K_SIG), false) ? 0 : -1;
#endif
	ev.data.ptr = &sig_tag;
	return epoll_ctl(L->epfd, EPOLL_CTL_ADD, L->sigfd, &ev);
}

/* Close what loop_init opened (any part of it) and free the loops. */
static void
loop_free(struct p9srv *s)
{
	unsigned i;

	for (i = 0; s->loops != NULL && i < s->nloops; i++) {
		struct loop *L = s->loops[i];

		if (L == NULL)
			continue;
		if (L->epfd >= 0)
			close(L->epfd);
		if (L->wakefd >= 0)
			close(L->wakefd);
		if (L->sigfd >= 0)
			close(L->sigfd);
		if (L->spare >= 0)
			close(L->spare);
		if (L->io.pipe[0] >= 0) {
			close(L->io.pipe[0]);
			close(L->io.pipe[1]);
		}
#ifdef P9SRV_HAVE_URING
		if (L->uring)
			io_uring_queue_exit(&L->ring);
#endif
		pthread_mutex_destroy(&L->wake_lock);
		pthread_mutex_destroy(&L->turn_lock);
		free(L->io.gbuf);
		free(L->io.reply);
		free(L->io.scratch);
		free(L);
	}
	free(s->loops);
	s->loops = NULL;
	s->loop = NULL;
}

void
p9srv_config_defaults(struct p9srv_config *cfg)
{
	unsigned ncpu = srv_usable_cpus();

	*cfg = (struct p9srv_config){ 0 };
	cfg->msize_max = 1048576;	/* the Linux client's largest on TCP */
	/* Twice the CPUs, at least 4: handlers block in the file system. */
	cfg->threads = ncpu > 512 ? 1024 : ncpu > 2 ? ncpu * 2 : 4;
	/* One event loop per CPU we may run on. On a 2-CPU machine with
	 * p9load on the same CPUs (2026-12-07, 5 interleaved rounds of 1 s,
	 * medians), two loops against one at 4 and 16 connections: 64 KiB
	 * Treads 1.57x and 1.50x the rate at 0.76x and 0.75x the CPU per
	 * RPC, walk+clunk 1.55x and 1.29x, the mixed workload 1.40x and
	 * 1.31x, Tgetattr 1.43x at 4 connections but 0.96x (1.21x the CPU)
	 * at 16. (On an earlier machine, before requests ran on the loops, a
	 * second loop cost more CPU than it gave.) */
	cfg->loops = ncpu > P9SRV_MAX_LOOPS ? P9SRV_MAX_LOOPS : ncpu;
	/* Busy-polling (p9srv.h, spin_us), against none, same machine and
	 * rounds as above: one connection, synchronous, Tgetattr 16.7k ->
	 * 55.0k/s at 17.8 instead of 21.4 us of CPU per RPC, walk+clunk 3.4x,
	 * 64 KiB Treads 1.5x (at 1.5x the CPU: the spin outlasts the client's
	 * copy), create 1.9x; 32 in flight Tgetattr 1.55x; 4 and 16
	 * connections within the rounds' spread. */
	cfg->spin_us = P9SRV_SPIN_DEFAULT_US;
	/* Loops pinned, connections to the loop of their client's CPU
	 * (p9srv.h, pin_loops): measured at place_conn. */
	cfg->pin_loops = true;
	cfg->max_fids = 16384;
	cfg->max_inflight = 64;
	cfg->max_conns = 256;
}

/* cfg.pin_loops: loop i goes to the i-th CPU this thread may run on,
 * modulo their number; only when every one of those CPUs gets a loop.
 * Fewer loops (one, say) stay unpinned: pinned to the first CPUs, the
 * loops of every server on the machine would share those. */
static void
plan_cpus(struct p9srv *s)
{
	cpu_set_t set;
	unsigned i, n;
	int cpu;

	if (sched_getaffinity(0, sizeof(set), &set) != 0 || (n = (unsigned)CPU_COUNT(&set)) == 0 ||
	    s->nloops < n)
		return;
	for (i = 0; i < s->nloops; i++) {
		unsigned k = i % n;

		for (cpu = 0; cpu < CPU_SETSIZE; cpu++)
			if (CPU_ISSET(cpu, &set) && k-- == 0)
				break;
		s->loops[i]->pin_cpu = cpu < CPU_SETSIZE ? cpu : -1;
	}
}

int
loop_setup(struct p9srv *s)
{
	unsigned i;

	s->nloops = s->cfg.loops;
	s->loops = calloc(s->nloops, sizeof(*s->loops));
	for (i = 0; s->loops != NULL && i < s->nloops; i++)
		if (loop_init(s, i) != 0)
			break;
	if (s->loops == NULL || i < s->nloops) {
		snprintf(s->why, sizeof(s->why), "cannot set up event loop %u: %s",
		    i, strerror(errno));
		return -1;
	}
	s->loop = s->loops[0];
	if (s->cfg.pin_loops)
		plan_cpus(s);
	return 0;
}

void
loop_teardown(struct p9srv *s)
{
	if (s->loop != NULL)
		loop_shutdown(s);
	pool_stop(s);
	loop_free(s);
}

static void
loop_wake(struct loop *L)
{
	uint64_t one = 1;

	if (write(L->wakefd, &one, sizeof(one)) < 0)
		(void)0;	/* the counter is non-zero already: the loop will look */
}

void
srv_stop(struct p9srv *s)
{
	unsigned i;

	for (i = 0; i < s->nloops; i++) {
		atomic_store(&s->loops[i]->stop, true);
		loop_wake(s->loops[i]);
	}
}

int
loop_add_listener(struct p9srv *s, int fd)
{
	struct listener *l = calloc(1, sizeof(*l));
	struct epoll_event ev = { .events = EPOLLIN };
	struct loop *L = s->loop;

	if (l == NULL)
		return -1;
	l->kind = EV_LISTENER;
	l->srv = s;
	l->fd = fd;
	fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
	ev.data.ptr = l;
#ifdef P9SRV_HAVE_URING
	if (L->uring && !ring_poll(L, fd, UD(l, K_LISTEN), true)) {
		free(l);
		errno = EBUSY;
		return -1;
	}
#endif
	if (!use_uring(L) && epoll_ctl(L->epfd, EPOLL_CTL_ADD, fd, &ev) != 0) {
		free(l);
		return -1;
	}
	l->next = L->listeners;
	L->listeners = l;
	return 0;
}

#ifdef P9SRV_HAVE_URING
/* An operation of c's was submitted: it holds a reference to c until its
 * completion (uring_read_done, uring_writable). */
static void
uring_op_begin(struct conn *c)
{
	atomic_fetch_add(&c->refs, 1);
	c->loop->ops++;
}

/* Submit the read of c's input, unless one is already submitted. */
static bool
uring_arm_read(struct conn *c, bool poll_first)
{
	struct loop *L = c->loop;
	uint8_t *p;
	size_t len;

	if (c->rd_armed)
		return true;
	if (!conn_rd_window(c, &p, &len) ||
	    !ring_read(L, c->fd, p, len, UD(c, K_READ), poll_first))
		return false;
	c->rd_armed = true;
	uring_op_begin(c);
	return true;
}

/* Submit a poll for room in c's socket when replies wait for it, unless
 * one is submitted (c->wlock held). */
static bool
uring_arm_write_locked(struct conn *c)
{
	struct loop *L = c->loop;
	struct io_uring_sqe *sqe;

	if (c->wr_armed || c->outq == NULL || c->dead)
		return true;
	if ((sqe = ring_sqe(L)) == NULL)
		return false;
	io_uring_prep_poll_add(sqe, c->wfd, POLLOUT);
	sqe->user_data = UD(c, K_WRPOLL);
	c->wr_armed = true;
	uring_op_begin(c);
	return true;
}

/* Read when c may, write what waits: or close c. */
static void
uring_settle(struct conn *c)
{
	bool ok = true;

	if (!c->eof && !c->rd_armed && conn_want_read(c))
		ok = uring_arm_read(c, false);
	pthread_mutex_lock(&c->wlock);
	if (ok)
		ok = uring_arm_write_locked(c);
	pthread_mutex_unlock(&c->wlock);
	if (!ok)
		remove_conn(c);
}

/* What service() is with epoll: after a completion or a wake-up. */
static void
uring_service(struct conn *c)
{
	if (conn_dead(c)) {
		remove_conn(c);
		return;
	}
	/* Frames left in our buffer by a pause: no read announces them.
	 * (While a read is submitted the buffer holds no whole frame.) */
	if (!c->rd_armed && c->rlen > 0 && conn_want_read(c) && conn_on_input(c, 0) < 0) {
		remove_conn(c);
		return;
	}
	if (c->eof && conn_idle(c)) {
		remove_conn(c);
		return;
	}
	uring_settle(c);
}

static void
uring_read_done(struct conn *c, int res)
{
	struct loop *L = c->loop;

	L->ops--;
	c->rd_armed = false;
	if (!c->registered) {
		/* Closed meanwhile: the frame the read could fill may go now. */
		if (c->rd_orphan != NULL)
			conn_req_free(c->rd_orphan);
		c->rd_orphan = NULL;
	} else if (res == -EAGAIN || res == -EINTR) {
		if (!uring_arm_read(c, true))
			remove_conn(c);
	} else if (res < 0) {
		remove_conn(c);		/* a reset, or any other error */
	} else if (res == 0) {
		/* End of input: a frame cut short closes at once. */
		if (c->partial != NULL || c->rlen > 0) {
			remove_conn(c);
		} else {
			conn_set_eof(c);
			uring_service(c);
		}
	} else if (conn_on_input(c, (size_t)res) < 0) {
		remove_conn(c);
	} else {
		uring_service(c);
	}
	conn_put(c);
}

/* c's socket has room (or an error to report): write what waits. */
static void
uring_writable(struct conn *c)
{
	struct loop *L = c->loop;

	L->ops--;
	pthread_mutex_lock(&c->wlock);
	c->wr_armed = false;
	pthread_mutex_unlock(&c->wlock);
	if (c->registered) {
		if (!conn_on_writable(c))
			remove_conn(c);
		else
			uring_service(c);
	}
	conn_put(c);
}

static void on_wake(struct loop *L, bool drain);

/*
 * One turn of an io_uring loop: submit what the last turn prepared, wait
 * up to timeout_ms for a completion, handle those that came.
 */
static int
uring_turn(struct loop *L, int timeout_ms)
{
	struct io_uring_cqe *cqe;
	int rc, n = 0;
	bool stop = false;

	if (timeout_ms < 0) {
		rc = io_uring_submit_and_wait(&L->ring, 1);
	} else {
		struct __kernel_timespec ts = {
			.tv_sec = timeout_ms / 1000,
			.tv_nsec = (long long)(timeout_ms % 1000) * 1000000,
		};

		rc = io_uring_submit_and_wait_timeout(&L->ring, &cqe, 1, &ts, NULL);
	}
	if (rc < 0 && rc != -ETIME && rc != -EINTR && rc != -EBUSY) {
		errno = -rc;
		return -1;
	}
	/* At most a ring's worth: completions that keep coming wait for
	 * the next turn, which submits what these prepared. Writes first,
	 * as with epoll (service): a reply that can go out now goes before
	 * the requests that came meanwhile make more. */
	{
		struct { uint64_t ud; int res; unsigned flags; } got[RING_ENTRIES];
		int i, pass;

		while (n < RING_ENTRIES && io_uring_peek_cqe(&L->ring, &cqe) == 0) {
			got[n].ud = cqe->user_data;
			got[n].res = cqe->res;
			got[n].flags = cqe->flags;
			io_uring_cqe_seen(&L->ring, cqe);
			n++;
		}
		for (pass = 0; pass < 2; pass++) {
			for (i = 0; i < n; i++) {
				uint64_t ud = got[i].ud;
				int res = got[i].res;
				unsigned kind = UD_KIND(ud);
				bool wr = kind == K_WRPOLL;

				if (wr != (pass == 0))
					continue;
				switch (kind) {
				case K_READ:
					uring_read_done(UD_PTR(ud), res);
					break;
				case K_WRPOLL:
					uring_writable(UD_PTR(ud));
					break;
				case K_LISTEN: {
					struct listener *l = UD_PTR(ud);

					if (!(got[i].flags & IORING_CQE_F_MORE) && !ring_poll(L, l->fd, ud, true))
						fprintf(stderr, "%s: cannot poll a listener: %s\n",
						    L->srv->cfg.ident, strerror(ENOMEM));
					on_accept(l);
					break;
				}
				case K_WAKE:
					on_wake(L, false);
					if (!ring_read(L, L->wakefd, &L->wakeval, sizeof(L->wakeval),
					    UD(NULL, K_WAKE), res == -EAGAIN)) {
						errno = EBUSY;
						return -1;
					}
					if (atomic_load(&L->stop))
						stop = true;
					break;
				case K_SIG:
					stop = true;
					break;
				default:
					break;
				}
			}
		}
	}
	release_closed(L);
	return stop ? LOOP_STOP : n;
}

/* Shutdown: wait for the completions of every connection's operations
 * (they hold references), ignoring everything else. Bounded: 5 s. */
static void
uring_drain(struct loop *L)
{
	int i;

	for (i = 0; i < 50 && L->ops > 0; i++) {
		struct __kernel_timespec ts = { .tv_sec = 0, .tv_nsec = 100000000 };
		struct io_uring_cqe *cqe;

		io_uring_submit_and_wait_timeout(&L->ring, &cqe, 1, &ts, NULL);
		while (io_uring_peek_cqe(&L->ring, &cqe) == 0) {
			uint64_t ud = cqe->user_data;
			int res = cqe->res;

			io_uring_cqe_seen(&L->ring, cqe);
			if (UD_KIND(ud) == K_READ)
				uring_read_done(UD_PTR(ud), res);
			else if (UD_KIND(ud) == K_WRPOLL)
				uring_writable(UD_PTR(ud));
		}
		release_closed(L);
	}
}
#endif /* P9SRV_HAVE_URING */

static void
set_interest(struct conn *c)
{
	struct loop *L = c->loop;
	uint32_t want = 0;

	if (!c->eof && conn_want_read(c))
		want |= EPOLLIN;
	if (conn_want_write(c))
		want |= EPOLLOUT;
	if (c->wfd != c->fd) {
		/* A pipe pair: read interest on fd, write interest on wfd. A
		 * pipe whose writer is gone reports EPOLLHUP whatever the
		 * interest: while reading is paused, fd leaves the set (or
		 * the loop would spin) and comes back when reading resumes. */
		struct epoll_event r = { .events = want & EPOLLIN, .data.ptr = c };
		struct epoll_event w = { .events = want & EPOLLOUT, .data.ptr = c };
		bool park = c->rd_hup && !(want & EPOLLIN);

		if (park != c->rd_parked) {
			epoll_ctl(L->epfd, park ? EPOLL_CTL_DEL : EPOLL_CTL_ADD, c->fd, &r);
			c->rd_parked = park;
		} else if (want != c->evmask && !park) {
			epoll_ctl(L->epfd, EPOLL_CTL_MOD, c->fd, &r);
		}
		if (want != c->evmask)
			epoll_ctl(L->epfd, EPOLL_CTL_MOD, c->wfd, &w);
	} else if (want != c->evmask) {
		struct epoll_event ev = { .events = want, .data.ptr = c };

		epoll_ctl(L->epfd, EPOLL_CTL_MOD, c->fd, &ev);
	}
	c->evmask = want;
}

static int
add_conn(struct conn *c)
{
	struct epoll_event ev = { .events = EPOLLIN, .data.ptr = c };
	struct loop *L = c->loop;

#ifdef P9SRV_HAVE_URING
	if (L->uring) {
		if (!uring_arm_read(c, false))
			return -1;
		goto listed;
	}
#endif
	if (epoll_ctl(L->epfd, EPOLL_CTL_ADD, c->fd, &ev) != 0)
		return -1;
	if (c->wfd != c->fd) {
		ev.events = 0;
		if (epoll_ctl(L->epfd, EPOLL_CTL_ADD, c->wfd, &ev) != 0) {
			epoll_ctl(L->epfd, EPOLL_CTL_DEL, c->fd, NULL);
			return -1;
		}
	}
	c->evmask = EPOLLIN;
#ifdef P9SRV_HAVE_URING
listed:
#endif
	c->registered = true;
	c->next = L->conns;
	L->conns = c;
	return 0;
}

/*
 * p9srv_serve_fd. While no thread turns loop 0, the connection joins its
 * set here. While one does (p9srv_run, a p9srv_poll, or a callback that
 * runs in either), only that thread may touch the set: the connection is
 * handed over as loop 0 hands accepted ones to the other loops, and the
 * loop takes it at its next wake-up.
 */
int
loop_add_conn(struct p9srv *s, int fd, int wfd)
{
	struct loop *L = s->loop;
	struct conn *c;
	int err = 0;

	fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
	if (wfd != fd)
		fcntl(wfd, F_SETFL, fcntl(wfd, F_GETFL) | O_NONBLOCK);
	atomic_fetch_add(&s->nconns, 1);
	c = conn_new(s, fd, wfd);
	if (c != NULL) {
		c->loop = L;
		c->io = &L->io;
		atomic_fetch_add(&L->io.conns, 1);
	}
	if (c != NULL && (err = pthread_mutex_trylock(&L->turn_lock)) != 0) {
		if (err != EBUSY) {
			conn_put(c);
			errno = err;
			return -1;
		}
		pthread_mutex_lock(&L->wake_lock);
		c->next = L->adopt;
		L->adopt = c;
		pthread_mutex_unlock(&L->wake_lock);
		loop_wake(L);
		return 0;
	}
	if (c != NULL) {
		err = add_conn(c);
		pthread_mutex_unlock(&L->turn_lock);
	}
	if (c == NULL || err != 0) {
		/* conn_put gives back the count (and closes fd) for a made c. */
		if (c != NULL)
			conn_put(c);
		else
			atomic_fetch_sub(&s->nconns, 1);
		return -1;
	}
	return 0;
}

static void
remove_conn(struct conn *c)
{
	struct loop *L = c->loop;
	struct conn **pp;

	for (pp = &L->conns; *pp != NULL; pp = &(*pp)->next) {
		if (*pp == c) {
			*pp = c->next;
			break;
		}
	}
#ifdef P9SRV_HAVE_URING
	if (L->uring) {
		struct io_uring_sqe *sqe;

		/* A read still submitted may fill the large frame it was
		 * given: that frame is freed when the read completes. Both
		 * operations are cancelled (for a socket, conn_close's
		 * shutdown ends them too). */
		if (c->rd_armed && c->partial != NULL) {
			c->rd_orphan = c->partial;
			c->partial = NULL;
		}
		if (c->rd_armed && (sqe = ring_sqe(L)) != NULL) {
			io_uring_prep_cancel64(sqe, UD(c, K_READ), 0);
			sqe->user_data = UD(NULL, K_IGNORE);
		}
		if (c->wr_armed && (sqe = ring_sqe(L)) != NULL) {
			io_uring_prep_cancel64(sqe, UD(c, K_WRPOLL), 0);
			sqe->user_data = UD(NULL, K_IGNORE);
		}
	}
#endif
	if (!use_uring(L)) {
		epoll_ctl(L->epfd, EPOLL_CTL_DEL, c->fd, NULL);
		if (c->wfd != c->fd)
			epoll_ctl(L->epfd, EPOLL_CTL_DEL, c->wfd, NULL);
	}
	c->registered = false;
	/* Later events of this batch may still point at c: keep it alive
	 * until the batch is over (loop_run). */
	atomic_fetch_add(&c->refs, 1);
	c->next = L->closed;
	L->closed = c;
	conn_close(c);
}

static void
release_closed(struct loop *L)
{
	struct conn *c;

	while ((c = L->closed) != NULL) {
		L->closed = c->next;
		conn_put(c);
	}
}

/*
 * The loop an accepted connection goes to (p9_loop_place): with the loops
 * pinned, the one on the CPU that received it (SO_INCOMING_CPU; -1 on a
 * Unix socket) within the bound; else the least loaded, in turn on a tie.
 * Measured (2-CPU VM, p9load on the same CPUs, 7 interleaved rounds of
 * 1 s, medians, against unpinned loops taking connections in turn): 4
 * connections, one request each in flight: Tgetattr 1.74x the rate at
 * 4.4 instead of 7.7 us of CPU per RPC, walk+clunk 1.53x, 64 KiB Treads
 * 1.40x, Twrite 1.30x, mixed 1.28x, open+read 1.07x; 16 connections
 * 1.18x to 1.43x; one connection (synchronous or 32 in flight) 0.97x to
 * 1.16x. Unpinned, the rounds were bimodal (Tgetattr at 4 connections
 * 110k or 250k/s): in the slow mode a third of all CPU time went to
 * waking clients on the other CPU (sock_def_readable, under the reply's
 * write). Each half alone gained less and unevenly (16 connections,
 * Tgetattr, walk+clunk, reads): pinning with connections in turn 1.02x,
 * 0.88x, 0.98x; this placement with unpinned loops 1.35x, 1.06x, 1.06x.
 */
static struct loop *
place_conn(struct p9srv *s, int fd)
{
	int cpus[P9SRV_MAX_LOOPS], cpu = -1;
	unsigned conns[P9SRV_MAX_LOOPS], i;

	if (s->nloops == 1)
		return s->loops[0];
#ifdef SO_INCOMING_CPU
	{
		socklen_t len = sizeof(cpu);

		if (getsockopt(fd, SOL_SOCKET, SO_INCOMING_CPU, &cpu, &len) != 0)
			cpu = -1;
	}
#else
	(void)fd;
#endif
	for (i = 0; i < s->nloops; i++) {
		cpus[i] = s->loops[i]->cpu;
		conns[i] = atomic_load_explicit(&s->loops[i]->io.conns, memory_order_relaxed);
	}
	return s->loops[p9_loop_place(cpus, conns, s->nloops, cpu, s->next_loop++)];
}

static void
on_accept(struct listener *l)
{
	struct p9srv *s = l->srv;
	struct loop *L = s->loop;

	for (;;) {
		int one = 1;
		int fd = accept4(l->fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		struct conn *c;

		if (fd < 0 && (errno == EMFILE || errno == ENFILE) && L->spare >= 0) {
			/* Out of descriptors (the budget keeps p9d's own use
			 * below its limit, so the system's ran out): the
			 * pending connection would keep the listener readable
			 * and the loop spinning. Refuse it with the spare. */
			int err = errno;

			close(L->spare);
			fd = accept4(l->fd, NULL, NULL, SOCK_CLOEXEC);
			if (fd >= 0)
				close(fd);
			L->spare = eventfd(0, EFD_CLOEXEC);
			fprintf(stderr, "%s: refused a connection: %s\n", s->cfg.ident, strerror(err));
			continue;
		}
		if (fd < 0)
			return;		/* EAGAIN, or a transient error: retry on the next event */
		/* The connection limit refuses the newcomer and keeps everyone else. */
		if (atomic_fetch_add(&s->nconns, 1) >= s->cfg.max_conns) {
			atomic_fetch_sub(&s->nconns, 1);
			close(fd);
			continue;
		}
		setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
		c = conn_new(s, fd, fd);
		if (c != NULL) {
			/* Another loop's thread takes it into its epoll set
			 * itself (on_wake). */
			struct loop *to = place_conn(s, fd);

			c->loop = to;
			c->io = &to->io;
			atomic_fetch_add(&to->io.conns, 1);
			if (to != L) {
				pthread_mutex_lock(&to->wake_lock);
				c->next = to->adopt;
				to->adopt = c;
				pthread_mutex_unlock(&to->wake_lock);
				loop_wake(to);
				continue;
			}
		}
		if (c == NULL || add_conn(c) != 0) {
			/* conn_put gives back the count and closes fd for a made c. */
			if (c != NULL) {
				conn_put(c);
			} else {
				atomic_fetch_sub(&s->nconns, 1);
				close(fd);
			}
		}
	}
}

/* A connection had an event, or a wake: read, write, re-arm or close. */
static void
service(struct conn *c, uint32_t events)
{
	int rd = 1;

	/* The peer is gone: a reset or error (EPOLLERR: for a pipe pair,
	 * the reader of our output went away), a socket shut both ways
	 * (EPOLLHUP), or a worker's write failed. Nothing can be answered,
	 * so nothing more is read: close at once, whether or not reading
	 * was paused (level-triggered, these events would fire forever). */
	if ((events & EPOLLERR) || ((events & EPOLLHUP) && c->wfd == c->fd) ||
	    conn_dead(c)) {
		remove_conn(c);
		return;
	}
	if ((events & EPOLLHUP) && c->wfd != c->fd)
		c->rd_hup = true;
	if (events & EPOLLOUT) {
		if (!conn_on_writable(c)) {
			remove_conn(c);
			return;
		}
	}
	/* Frames already in our buffer announce themselves to no one: after
	 * a pause (too many unread replies, just drained above) take them up
	 * here. */
	if (events & (EPOLLIN | EPOLLHUP | EPOLLERR) || c->eof ||
	    ((c->rlen > 0 || c->partial != NULL) && conn_want_read(c))) {
		rd = conn_on_readable(c);
		if (rd < 0) {
			remove_conn(c);
			return;
		}
		if (rd == 0)
			conn_set_eof(c);
	}
	if (c->eof && conn_idle(c)) {
		remove_conn(c);
		return;
	}
	set_interest(c);
}

void
loop_wake_conn(struct conn *c)
{
	struct loop *L = c->loop;
	uint64_t one = 1;
	bool write_it = false;

	pthread_mutex_lock(&L->wake_lock);
	if (!c->wake_pending) {
		c->wake_pending = true;
		atomic_fetch_add(&c->refs, 1);
		c->wake_next = L->wake_list;
		write_it = L->wake_list == NULL;
		L->wake_list = c;
	}
	pthread_mutex_unlock(&L->wake_lock);
	if (write_it && write(L->wakefd, &one, sizeof(one)) < 0)
		(void)0;	/* the counter is already non-zero: the loop will look */
}

/* Take the connections loop 0 handed to L into L's epoll set; at
 * shutdown (take false), close them. */
static void
adopt_conns(struct loop *L, bool take)
{
	struct conn *list, *c;

	pthread_mutex_lock(&L->wake_lock);
	list = L->adopt;
	L->adopt = NULL;
	pthread_mutex_unlock(&L->wake_lock);
	while ((c = list) != NULL) {
		list = c->next;
		c->next = NULL;
		/* conn_put gives back the count and closes fd. */
		if (!take || add_conn(c) != 0)
			conn_put(c);
	}
}

/* The wake-up eventfd was written: read it (with io_uring the ring did,
 * drain false), then adopt, and look at every connection on the list. */
static void
on_wake(struct loop *L, bool drain)
{
	struct conn *list, *c;
	uint64_t n;

	if (drain && read(L->wakefd, &n, sizeof(n)) < 0)
		(void)0;
	adopt_conns(L, true);
	pthread_mutex_lock(&L->wake_lock);
	list = L->wake_list;
	L->wake_list = NULL;
	pthread_mutex_unlock(&L->wake_lock);
	while (list != NULL) {
		/* Take c off our list and let it be woken again in one step:
		 * a worker's loop_wake_conn rewrites wake_next once
		 * wake_pending is false. */
		pthread_mutex_lock(&L->wake_lock);
		c = list;
		list = c->wake_next;
		c->wake_pending = false;
		pthread_mutex_unlock(&L->wake_lock);
		/* Resuming after a pause or a Tversion's wait: frames may wait
		 * in our own buffer, which no epoll event announces. */
		if (c->registered) {
			conn_settle(c);
#ifdef P9SRV_HAVE_URING
			if (L->uring)
				uring_service(c);
			else
#endif
				service(c, conn_want_read(c) ? EPOLLIN : 0);
		}
		conn_put(c);
	}
}

/*
 * One turn of loop L: wait up to timeout_ms (-1: no limit) for events,
 * handle them. Returns how many it handled, LOOP_STOP when the loop
 * should end (a signal, srv_stop), or -1 with errno set.
 */
static int
loop_turn(struct loop *L, int timeout_ms)
{
	struct epoll_event evs[64];
	uint64_t t0;
	int i, n;

#ifdef P9SRV_HAVE_URING
	if (L->uring)
		return uring_turn(L, timeout_ms);
#endif
	t0 = p9_spin_begin(&L->spin, timeout_ms);
	n = 0;
	if (p9_spin_wanted(&L->spin, t0))
		while ((n = epoll_wait(L->epfd, evs, 64, 0)) == 0 && p9_spin_more(&L->spin, t0))
			;
	if (n == 0)
		n = epoll_wait(L->epfd, evs, 64, timeout_ms);
	p9_spin_end(&L->spin, t0, n);
	if (n < 0)
		return errno == EINTR ? 0 : -1;
	for (i = 0; i < n; i++) {
		void *p = evs[i].data.ptr;

		if (p == &sig_tag) {
			n = LOOP_STOP;
			break;
		}
		if (p == &wake_tag) {
			on_wake(L, true);
			if (atomic_load(&L->stop)) {
				n = LOOP_STOP;
				break;
			}
			continue;
		}
		if (*(enum ev_kind *)p == EV_LISTENER)
			on_accept(p);
		else if (((struct conn *)p)->registered)
			service(p, evs[i].events);
	}
	release_closed(L);
	return n;
}

/* A connection p9srv_serve_fd handed over waits to be taken. */
static bool
handed_over(struct loop *L)
{
	bool any;

	pthread_mutex_lock(&L->wake_lock);
	any = L->adopt != NULL;
	pthread_mutex_unlock(&L->wake_lock);
	return any;
}

/*
 * One turn of loop 0 (p9srv_poll): as loop_turn, and LOOP_STOP also when
 * nothing is left to serve (no listener and no connection on it).
 */
static int
poll_once(struct p9srv *s, int timeout_ms)
{
	struct loop *L = s->loop;

	if (L->listeners == NULL && L->conns == NULL && !handed_over(L)) {
		/* --fd: the one connection is over. A wake-up of it that is
		 * still pending (its last reply's write failed while it was
		 * closing) holds a reference: drop it, so that the
		 * connection is freed before we return. */
		on_wake(L, true);
		return LOOP_STOP;
	}
	return loop_turn(L, timeout_ms);
}

int
loop_poll(struct p9srv *s, int timeout_ms)
{
	int n;

	pthread_mutex_lock(&s->loop->turn_lock);
	n = poll_once(s, timeout_ms);

#ifdef P9SRV_HAVE_URING
	/* A foreign loop waits on p9srv_fd, the ring: what this turn
	 * prepared must be submitted before it waits. */
	if (n >= 0 && s->loop->uring && io_uring_sq_ready(&s->loop->ring) > 0)
		io_uring_submit(&s->loop->ring);
#endif
	pthread_mutex_unlock(&s->loop->turn_lock);
	return n;
}

int
loop_run(struct p9srv *s)
{
	struct loop *L = s->loop;
	cpu_set_t saved, one;
	bool pinned = false;
	int n;

	pthread_mutex_lock(&L->turn_lock);
	/* Loop 0 runs on the caller's thread: pinned for as long as it
	 * turns, then the caller's affinity is given back. */
	if (L->pin_cpu >= 0 && pthread_getaffinity_np(pthread_self(), sizeof(saved), &saved) == 0) {
		CPU_ZERO(&one);
		CPU_SET(L->pin_cpu, &one);
		pinned = pthread_setaffinity_np(pthread_self(), sizeof(one), &one) == 0;
		if (pinned)
			L->cpu = L->pin_cpu;
	}
	while ((n = poll_once(s, -1)) >= 0)
		continue;
	if (pinned) {
		L->cpu = -1;
		pthread_setaffinity_np(pthread_self(), sizeof(saved), &saved);
	}
	pthread_mutex_unlock(&L->turn_lock);
	return n == LOOP_STOP ? 0 : -1;
}

int
loop_fd(const struct p9srv *s)
{
#ifdef P9SRV_HAVE_URING
	if (s->loop->uring)
		return s->loop->ring.ring_fd;
#endif
	return s->loop->epfd;
}

const char *
loop_io_name(const struct p9srv *s)
{
	return use_uring(s->loop) ? "io_uring" : "epoll";
}

/* Loops 1..: until srv_stop (p9srv_stop, p9srv_free). */
static void *
loop_main(void *arg)
{
	struct loop *L = arg;
	int n;

	while ((n = loop_turn(L, -1)) >= 0)
		continue;
	if (n != LOOP_STOP)
		fprintf(stderr, "%s: event loop %u: %s\n", L->srv->cfg.ident, L->index,
		    strerror(errno));
	return NULL;
}

int
loop_start_threads(struct p9srv *s)
{
	unsigned i;

	for (i = 1; i < s->nloops; i++) {
		struct loop *L = s->loops[i];
		int err = EINVAL;

		if (L->pin_cpu >= 0) {
			pthread_attr_t attr;
			cpu_set_t one;

			CPU_ZERO(&one);
			CPU_SET(L->pin_cpu, &one);
			if (pthread_attr_init(&attr) == 0) {
				if (pthread_attr_setaffinity_np(&attr, sizeof(one), &one) == 0)
					err = pthread_create(&L->thread, &attr, loop_main, L);
				pthread_attr_destroy(&attr);
			}
			if (err == 0)
				L->cpu = L->pin_cpu;
		}
		/* Not pinned, or the CPU refused (gone offline, taken out of
		 * the cpuset): the loop runs anywhere. */
		if (err == EINVAL)
			err = pthread_create(&L->thread, NULL, loop_main, L);
		if (err != 0) {
			snprintf(s->why, sizeof(s->why), "cannot start event loop %u: %s",
			    i, strerror(err));
			return -1;
		}
		s->loops[i]->threaded = true;
	}
	return 0;
}

void
loop_shutdown(struct p9srv *s)
{
	struct listener *l;
	struct conn *c;
	unsigned i;

	/* The other loops end first: then their connections are ours. */
	for (i = 1; i < s->nloops; i++) {
		struct loop *L = s->loops[i];

		atomic_store(&L->stop, true);
		loop_wake(L);
		if (L->threaded)
			pthread_join(L->thread, NULL);
		L->threaded = false;
	}
	while ((l = s->loop->listeners) != NULL) {
		s->loop->listeners = l->next;
		close(l->fd);
		free(l);
	}
	for (i = 0; i < s->nloops; i++) {
		struct loop *L = s->loops[i];

		adopt_conns(L, false);
		while ((c = L->conns) != NULL)
			remove_conn(c);
		release_closed(L);
#ifdef P9SRV_HAVE_URING
		if (L->uring)
			uring_drain(L);
#endif
	}
	/* Workers finish what they run (replies go nowhere) and free the
	 * cancelled rest; then every connection's last reference drops. */
	pool_stop(s);
	for (i = 0; i < s->nloops; i++)
		on_wake(s->loops[i], true);
}
