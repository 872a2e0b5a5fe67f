/*
 * The event loop: one thread, epoll, level-triggered. It accepts
 * connections, reads frames and starts requests (conn.c), writes replies
 * the socket would not take at once, and re-evaluates a connection's
 * interest when a worker asks (loop_wake_conn: a reply was queued, or a
 * request finished while reading was paused at the in-flight limit).
 * SIGINT and SIGTERM arrive through a signalfd and end the loop.
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
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/signalfd.h>
#include <sys/socket.h>

#include "conn.h"

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
	unsigned	 nconns;
	pthread_mutex_t	 wake_lock;
	struct conn	*wake_list;
	struct conn	*adopt;		/* handed over by loop 0, not yet ours (wake_lock) */
	struct conn	*closed;	/* removed during this epoll batch: freed after it */
	atomic_bool	 stop;		/* srv_stop: the loop ends at its next wake-up */
	pthread_t	 thread;	/* loops 1..: their own */
	bool		 threaded;
};

/* Sentinels for the two internal fds. */
static int wake_tag, sig_tag;

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
	pthread_mutex_init(&L->wake_lock, NULL);
	atomic_init(&L->stop, false);
	L->io.gbuf = malloc(P9SRV_GATHER_CAP);
	L->io.reply = malloc(s->cfg.msize_max);
	L->io.scratch = malloc(P9SRV_SCRATCH_LEN);
	if (L->io.gbuf == NULL || L->io.reply == NULL || L->io.scratch == NULL)
		return -1;
	L->epfd = epoll_create1(EPOLL_CLOEXEC);
	L->wakefd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (L->epfd < 0 || L->wakefd < 0)
		return -1;
	ev.data.ptr = &wake_tag;
	if (epoll_ctl(L->epfd, EPOLL_CTL_ADD, L->wakefd, &ev) != 0)
		return -1;
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
		pthread_mutex_destroy(&L->wake_lock);
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
	long ncpu = sysconf(_SC_NPROCESSORS_ONLN);

	*cfg = (struct p9srv_config){ 0 };
	cfg->msize_max = 1048576;	/* the Linux client's largest on TCP */
	/* Twice the CPUs, at least 4: handlers block in the file system. */
	cfg->threads = ncpu > 512 ? 1024 : ncpu > 2 ? (unsigned)ncpu * 2 : 4;
	/* One event loop: on the 2-CPU machine this was measured on (p9load
	 * on the same CPUs, medians of 3 rounds), two loops served 16
	 * connections of Tgetattr no faster (57.0k against 56.7k RPC/s) for
	 * more CPU (17.8 us per RPC against 15.4; with another job busy on
	 * one CPU, 21.4 against 17.4). */
	cfg->loops = 1;
	cfg->max_fids = 16384;
	cfg->max_inflight = 64;
	cfg->max_conns = 256;
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
	if (epoll_ctl(L->epfd, EPOLL_CTL_ADD, fd, &ev) != 0) {
		free(l);
		return -1;
	}
	l->next = L->listeners;
	L->listeners = l;
	return 0;
}

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
	c->registered = true;
	c->next = L->conns;
	L->conns = c;
	L->nconns++;
	return 0;
}

int
loop_add_conn(struct p9srv *s, int fd, int wfd)
{
	struct conn *c;

	fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
	if (wfd != fd)
		fcntl(wfd, F_SETFL, fcntl(wfd, F_GETFL) | O_NONBLOCK);
	atomic_fetch_add(&s->nconns, 1);
	c = conn_new(s, fd, wfd);
	if (c != NULL) {
		c->loop = s->loop;
		c->io = &s->loop->io;
	}
	if (c == NULL || add_conn(c) != 0) {
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
	L->nconns--;
	epoll_ctl(L->epfd, EPOLL_CTL_DEL, c->fd, NULL);
	if (c->wfd != c->fd)
		epoll_ctl(L->epfd, EPOLL_CTL_DEL, c->wfd, NULL);
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
			/* The next loop in turn; another loop's thread takes it
			 * into its epoll set itself (on_wake). */
			struct loop *to = s->loops[s->next_loop++ % s->nloops];

			c->loop = to;
			c->io = &to->io;
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

static void
on_wake(struct loop *L)
{
	struct conn *list, *c;
	uint64_t n;

	if (read(L->wakefd, &n, sizeof(n)) < 0)
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
	int i, n;

	n = epoll_wait(L->epfd, evs, 64, timeout_ms);
	if (n < 0)
		return errno == EINTR ? 0 : -1;
	for (i = 0; i < n; i++) {
		void *p = evs[i].data.ptr;

		if (p == &sig_tag) {
			n = LOOP_STOP;
			break;
		}
		if (p == &wake_tag) {
			on_wake(L);
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

/*
 * One turn of loop 0 (p9srv_poll): as loop_turn, and LOOP_STOP also when
 * nothing is left to serve (no listener and no connection on it).
 */
int
loop_poll(struct p9srv *s, int timeout_ms)
{
	struct loop *L = s->loop;

	if (L->listeners == NULL && L->conns == NULL) {
		/* --fd: the one connection is over. A wake-up of it that is
		 * still pending (its last reply's write failed while it was
		 * closing) holds a reference: drop it, so that the
		 * connection is freed before we return. */
		on_wake(L);
		return LOOP_STOP;
	}
	return loop_turn(L, timeout_ms);
}

int
loop_run(struct p9srv *s)
{
	int n;

	while ((n = loop_poll(s, -1)) >= 0)
		continue;
	return n == LOOP_STOP ? 0 : -1;
}

int
loop_fd(const struct p9srv *s)
{
	return s->loop->epfd;
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
		int err = pthread_create(&s->loops[i]->thread, NULL, loop_main, s->loops[i]);

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
	}
	/* Workers finish what they run (replies go nowhere) and free the
	 * cancelled rest; then every connection's last reference drops. */
	pool_stop(s);
	for (i = 0; i < s->nloops; i++)
		on_wake(s->loops[i]);
}
