/*
 * Integration-test harness for p9d: start a server on a fresh temporary
 * export, talk to it with lib9p's blocking client (p9c.h) over a Unix
 * socket, stop it.
 *
 * No sleeps: the test binds the listening socket itself and hands it to
 * p9d with --listen-fd, so connect() succeeds as soon as the socket exists
 * (the kernel queues the connection until p9d accepts it). Every wait is
 * bounded (T9_TIMEOUT_MS per reply). The server binary's path comes from
 * the environment variable P9D (meson sets it).
 */
#ifndef T9_H
#define T9_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "p9.h"
#include "p9_client.h"
#include "p9c.h"

#define T9_TIMEOUT_MS	10000
#define T9_MSIZE	65536

struct t9srv {
	pid_t	pid;
	char	dir[256];	/* temporary directory, removed by t9_stop */
	char	export[300];	/* dir/export: the exported tree (created empty) */
	char	outside[300];	/* dir/outside: a sibling the server must never reach */
	char	sock[300];	/* dir/sock: the Unix socket */
};

/*
 * Create the temp dirs, bind and listen on the socket, spawn p9d
 * (-e export --listen-fd N plus `args`, a NULL-terminated list or NULL).
 * Fails the test on error.
 */
void t9_start(struct t9srv *s, const char *const *args);
/* The same, with p9d's RLIMIT_NOFILE (soft and hard) set to nofile. */
void t9_start_nofile(struct t9srv *s, const char *const *args, unsigned nofile);

/* SIGTERM the server, wait for it (bounded), assert it exited 0, remove the
 * temp dir. Returns the exit status. */
int t9_stop(struct t9srv *s);

/* Path helper: snprintf into a static rotating buffer "export/rel". */
const char *t9_path(struct t9srv *s, const char *rel);

/*
 * One client connection: a p9c (lib9p/p9c.h) with T9_TIMEOUT_MS as its
 * timeout; every call below fails the test on a transport error.
 */
struct t9c {
	struct p9c		*p;	/* the connection: use p9c_* on it freely */
	/* p9c_fd(p), for tests that read, write or shut down the socket
	 * themselves (p9c never reads past the frame it returns). A test that
	 * closes it sets fd to -1, and t9_close then leaves it alone. */
	int			 fd;
	uint32_t		 msize;	/* negotiated; T9_MSIZE after t9_connect_raw */
	struct p9_client	*cl;	/* p9c_core(p): tags in flight; reset it after raw traffic */
};

/* Connect to s and negotiate Tversion with msize (0: T9_MSIZE). Fails the test on error. */
void t9_connect(struct t9srv *s, struct t9c *c, uint32_t msize);
/* Connect without Tversion (for version tests); frames up to 2 MiB may be
 * sent until a Tversion lowers the limit. */
void t9_connect_raw(struct t9srv *s, struct t9c *c);
/* Take over a connected socket (TCP, say) and negotiate Tversion as above. */
void t9_connect_fd(struct t9c *c, int fd, uint32_t msize);
void t9_close(struct t9c *c);

/*
 * Send *t (its tag is assigned) and wait for its reply into *r (views into
 * the connection's buffer, valid until the next call on c). Returns 0 for
 * a reply of the expected type, or the ecode of an Rlerror (> 0). Fails
 * the test on protocol errors (an ecode of 0 too), a closed connection or a
 * timeout.
 */
int t9_rpc(struct t9c *c, struct p9_msg *t, struct p9_msg *r);

/* Pipelining: send without waiting, then receive replies in any order. */
uint16_t t9_send(struct t9c *c, struct p9_msg *t);		/* returns the tag */
/* Receive one reply (any tag), bounded by T9_TIMEOUT_MS; returns its tag. */
uint16_t t9_recv(struct t9c *c, struct p9_msg *r);
/* Write all n bytes to any fd (blocking; EINTR retried); fails the test on error. */
void t9_write_all(int fd, const void *buf, size_t n);
/* CLOCK_MONOTONIC in milliseconds, for bounded waits (p9_now_ms). */
long t9_now_ms(void);
/* Write raw bytes (malformed frames), bounded; returns 0 or errno. */
int t9_send_raw(struct t9c *c, const void *buf, size_t len);
/* Wait (bounded) until the server closes the connection, discarding what
 * it sends meanwhile; true if it did. */
bool t9_wait_closed(struct t9c *c);

/* Shorthands, each an RPC; they return 0 or the Rlerror ecode. */
int t9_attach(struct t9c *c, uint32_t fid, const char *uname, uint32_t n_uname,
    struct p9_qid *qid);
/* Walk a '/'-separated path ("" clones); returns 0, an ecode, or -k for a
 * partial walk of k qids. */
int t9_walk(struct t9c *c, uint32_t fid, uint32_t newfid, const char *path,
    struct p9_qid *last);
int t9_clunk(struct t9c *c, uint32_t fid);
int t9_lopen(struct t9c *c, uint32_t fid, uint32_t flags, struct p9_qid *qid,
    uint32_t *iounit);
int t9_lcreate(struct t9c *c, uint32_t dfid, const char *name, uint32_t flags,
    uint32_t mode, struct p9_qid *qid);
/* Read up to count bytes at offset into buf; returns bytes read or -ecode. */
long t9_read(struct t9c *c, uint32_t fid, uint64_t offset, void *buf, uint32_t count);
/* Write; returns bytes written or -ecode. */
long t9_write(struct t9c *c, uint32_t fid, uint64_t offset, const void *buf, uint32_t count);
int t9_getattr(struct t9c *c, uint32_t fid, uint64_t mask, struct p9_rgetattr *out);
int t9_mkdir(struct t9c *c, uint32_t dfid, const char *name, uint32_t mode, struct p9_qid *qid);

/* Host-side helpers on the temp tree (test setup and checks). */
void t9_write_file(const char *path, const char *content);
char *t9_read_file(const char *path);	/* malloc'd, NUL-terminated, NULL if absent */

#endif /* T9_H */
