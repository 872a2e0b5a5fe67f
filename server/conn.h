/*
 * Engine internals: connections, the worker pool, the event loop. Op
 * handlers do not include this.
 */
#ifndef P9D_CONN_H
#define P9D_CONN_H

#include "p9pcap.h"
#include "srv.h"

#define FID_BUCKETS	256

/* Reply bytes waiting for the socket to accept them. */
struct outbuf {
	struct outbuf	*next;
	size_t		 len, off;
	uint8_t		 data[];
};

/* What an epoll event points at: both kinds begin with this. */
enum ev_kind { EV_LISTENER, EV_CONN };

struct conn {
	enum ev_kind	 kind;		/* EV_CONN */
	struct p9srv	*srv;
	struct loop	*loop;		/* the loop that serves it (for its life) */
	struct loop_io	*io;		/* that loop's buffers */
	int		 fd;		/* read side (and write side for sockets) */
	int		 wfd;		/* write side: fd, or another fd for pipes (--stdio) */
	unsigned	 id;		/* 1, 2, ... in accept order: --debug's cN */
	uint32_t	 evmask;	/* epoll interest now registered (loop thread) */
	bool		 eof;		/* peer finished sending: close once idle (written under lock) */
	bool		 registered;	/* in the loop's epoll set (loop thread) */
	bool		 rd_hup;	/* pipe pair: the writer of our input is gone (loop thread) */
	bool		 rd_parked;	/* pipe pair: fd taken out of the epoll set meanwhile */
	bool		 wake_pending;	/* on the loop's wake list (loop's wake lock) */
	/* io_uring (loop thread): a read of our input is submitted (into
	 * the window conn_rd_window gave: nothing else may move rbuf or the
	 * partial frame meanwhile); a poll for room to write is submitted;
	 * the partial frame a cancelled read may still fill, freed at its
	 * completion. Each submitted operation holds a reference to c. */
	bool		 rd_armed;
	bool		 wr_armed;
	struct p9srv_req	*rd_orphan;
	struct conn	*wake_next;
	atomic_uint	 refs;		/* the loop's + one per live request */
	struct conn	*next;		/* server's list of connections */

	/* Read side: the loop thread only. */
	uint8_t		*rbuf;
	size_t		 rlen, rcap;
	struct p9srv_req	*partial;	/* a large frame being read straight into its req */
	bool		 reading;	/* EPOLLIN armed */

	pthread_mutex_t	 lock;		/* tags and request states, below */
	uint32_t	 msize;
	bool		 versioned;
	bool		 closing;
	bool		 paused;	/* the loop stopped reading at the in-flight limit */
	struct p9srv_req	*version;	/* a Tversion waiting for the requests it aborted */
	struct p9srv_req	**inflight;	/* requests not yet answered, max_inflight of them */
	unsigned	 ninflight;
	struct p9srv_req	*freereqs;	/* recycled requests with small frame buffers */
	struct p9srv_req	*freebig;	/* and a few with large ones (big Twrites) */
	unsigned	 nfreebig;

	pthread_mutex_t	 fd_lock;	/* fd_used (a leaf lock) */
	unsigned	 fd_used;	/* descriptors charged (fd_take) */

	pthread_mutex_t	 fid_lock;	/* the fid table */
	struct fid	*fids[FID_BUCKETS];
	unsigned	 nfids;

	pthread_mutex_t	 wlock;		/* the socket's write side and outq */
	struct outbuf	*outq, **outq_tail;
	size_t		 outq_bytes;
	bool		 dead;		/* write failed: drop every later reply */

	struct p9pcap_stream rec;	/* --record: this connection's TCP stream */
};

/* fid.c */
void fid_table_clear(struct conn *c);	/* drop every fid (Tversion, close) */
/* Size the descriptor budget of s from RLIMIT_NOFILE (raising the soft
 * limit to the hard one first); may lower s->cfg.max_conns so that every
 * connection keeps its guarantee, saying so on stderr. Returns 0, or -1
 * when the limit leaves no room for even one connection (s->why says so). */
int fd_budget_init(struct p9srv *s);

/* conn.c */
struct conn *conn_new(struct p9srv *s, int fd, int wfd);
/* Read what the socket has and start the requests it completes. Returns 1
 * to go on, 0 at end of input (close once idle), -1 to close now. */
int conn_on_readable(struct conn *c);
/* The same for a completion-based loop: n bytes (n > 0) arrived at the
 * window conn_rd_window gave, or none (n == 0: take up frames already
 * buffered). Same return values. */
int conn_on_input(struct conn *c, size_t n);
/* Where the next read goes, and how much it may bring: false when the
 * stream is broken (close now). */
bool conn_rd_window(struct conn *c, uint8_t **p, size_t *len);
/* Free a request whose frame a cancelled read held (loop thread). */
void conn_req_free(struct p9srv_req *r);
/* A write to the peer failed: nothing can reach it any more, close now. */
bool conn_dead(struct conn *c);
/* No request in flight and no reply waiting to be written. */
bool conn_idle(struct conn *c);
/* Loop thread: the peer finished sending. */
void conn_set_eof(struct conn *c);
bool conn_on_writable(struct conn *c);
void conn_close(struct conn *c);	/* loop thread: cancel, release, drop ref */
void conn_put(struct conn *c);
/* Does the loop want to read more now (backpressure)? */
bool conn_want_read(struct conn *c);
/* Loop thread, on a wake-up: answer a Tversion whose aborted requests
 * have all finished (the last of them wakes the loop: untrack). */
void conn_settle(struct conn *c);
bool conn_want_write(struct conn *c);

/* pool.c: s's worker threads (p9srv_new starts them; loop_teardown stops them). */
int pool_start(struct p9srv *s, unsigned nthreads);
void pool_push(struct p9srv_req *r);
/* Run r now on the loop thread, with the pool's loop buffers (an
 * operation the backend says never blocks). */
void pool_run_here(struct p9srv_req *r);
/* Workers finish what is queued (cancelled requests are dropped unrun) and
 * exit; the pool is freed. Nothing for a server without a pool. */
void pool_stop(struct p9srv *s);
/* The CPUs this process may run on (its affinity mask), at least 1. */
unsigned srv_usable_cpus(void);
/* Loop thread: where an inline request's reply is made (conn.c): in place
 * in the gather buffer when it fits there, else the loop's reply buffer. */
void conn_reply_area(struct p9srv_req *r, uint8_t **buf, size_t *cap);
/* Run one request (worker thread); defined in conn.c. */
void req_run(struct p9srv_req *r, uint8_t *replybuf, size_t replycap, uint8_t *scratch,
    size_t scratch_len, int pipefd[2]);

/* loop.c */
void loop_wake_conn(struct conn *c);	/* re-evaluate a connection's interest (any thread) */
/* io_uring: hand c's loop's gather buffer (io->glen bytes) to c's output
 * queue whole and give the loop another; false when none can be had (the
 * caller writes it as usual). c->wlock held, loop thread. */

/* Make s's event loop (s->why says why not). */
int loop_setup(struct p9srv *s);
/* Close listeners and connections, stop the pool (running requests
 * finish, their replies are dropped), free the loop. */
void loop_teardown(struct p9srv *s);
/* Accept on listening socket fd (the loop closes it at shutdown; a Unix
 * socket's file is its creator's to remove). */
int loop_add_listener(struct p9srv *s, int fd);
int loop_add_conn(struct p9srv *s, int fd, int wfd);	/* serve an already-connected fd (pair) */
/* Run s's loop on this thread until srv_stop, SIGINT/SIGTERM (with
 * cfg.signals), or until nothing is left to serve (no listener and no
 * connection). Returns 0, or -1 if epoll fails. */
int loop_run(struct p9srv *s);
/* One turn of it (p9srv_poll): events handled, 0, LOOP_STOP or -1. */
#define LOOP_STOP	(-2)
int loop_poll(struct p9srv *s, int timeout_ms);
int loop_fd(const struct p9srv *s);	/* the epoll descriptor, or the ring's */
const char *loop_io_name(const struct p9srv *s);	/* "epoll" or "io_uring" */
/* Start the threads of loops 1.. (p9srv_new, once the pool runs). */
int loop_start_threads(struct p9srv *s);
/* This thread's file-system identity back to cr, if a request changed it. */
void creds_restore(const struct p9srv_cred *cr);
/* Any thread: make loop_run return at its next turn. */
void srv_stop(struct p9srv *s);
/* Once loop_run has returned: close listeners and connections. */
void loop_shutdown(struct p9srv *s);

#endif /* P9D_CONN_H */
