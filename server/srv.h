/*
 * The engine's internals: the types shared by loop.c conn.c pool.c fid.c
 * engine.c (and main.c, which reaches a few of them). Backends never
 * include this: they see p9srv.h only.
 *
 * Lock order (never take a later lock while holding an earlier-listed one
 * in reverse): conn->lock (tags, state) -> conn->fid_lock (fid table) ->
 * fid->lock (one fid's xattr buffer). No engine lock is held across a
 * backend callback.
 */
#ifndef P9D_SRV_H
#define P9D_SRV_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>
#include <time.h>

#include "p9.h"
#include "p9srv.h"

struct conn;

/* Who a request runs as: fixed at attach, inherited by every derived fid. */
struct ident {
	atomic_uint	 refs;
	struct p9srv_cred cred;
};

enum fid_kind {
	FID_FILE,		/* a backend file */
	FID_XATTR_READ,		/* Txattrwalk: a snapshot to read */
	FID_XATTR_WRITE,	/* Txattrcreate: a buffer applied at clunk */
};

/*
 * One fid. What it names never changes: a walk in place or a Txattrcreate
 * puts a new struct fid in the table under the same number (fid_replace),
 * and requests still holding the old one finish with it. So `file`,
 * `kind` and `id` are read without a lock.
 */
struct fid {
	uint32_t	 num;
	atomic_uint	 refs;
	struct conn	*conn;
	struct fid	*hnext;		/* fid table chain (conn->fid_lock) */
	struct ident	*id;		/* reference held, or NULL */
	enum fid_kind	 kind;
	void		*file;		/* the backend's (FILE, XATTR_WRITE), released at the last put */
	atomic_uchar	 qtype;		/* qid.type of the file (P9_QTDIR...) */
	atomic_bool	 open;		/* Tlopen/Tlcreate succeeded */
	/* xattr fids */
	pthread_mutex_t	 lock;		/* guards the buffer */
	char		*xname;		/* write fids: attribute name (NUL-terminated) */
	uint8_t		*xbuf;		/* value (zero-filled at allocation) */
	uint64_t	 xsize;		/* size of xbuf */
	uint64_t	 xfilled;	/* write fids: highest byte written */
	uint32_t	 xflags;	/* write fids: XATTR_CREATE/REPLACE */
};

/*
 * One request, from its frame being read until its reply is on the wire.
 * state (under conn->lock): QUEUED -> RUNNING -> REPLYING -> DONE, or
 * QUEUED -> CANCELLED by Tflush or by the connection closing.
 */
enum req_state {
	REQ_QUEUED,
	REQ_RUNNING,
	REQ_REPLYING,	/* reply being written: its tag may already be reused */
	REQ_DONE,
	REQ_CANCELLED,
};

#define REQ_MAXFIDS	2	/* fid fields a T-message has at most */

struct p9srv_req {
	struct conn	*conn;
	struct p9srv_req *next;		/* worker queue / free list */
	enum req_state	 state;
	uint16_t	 tag;
	bool		 dropped;	/* answer suppressed (Tversion reset, connection closed) */
	bool		 on_loop;	/* running on the loop thread (pool_run_here) */
	struct p9srv_req *flushes;	/* Tflush requests to answer after our reply */
	struct p9_msg	 in;		/* decoded request: views into frame */
	uint8_t		*frame;
	size_t		 framelen;
	size_t		 framecap;
	/* Set by the dispatcher for the handler: */
	struct fid	*fids[REQ_MAXFIDS];	/* resolved fid fields, references held */
	struct ident	*id;		/* credentials the request runs with, or NULL */
	uint8_t		*rdata;		/* Rread/Rreaddir data area */
	uint32_t	 rroom;
	uint8_t		*scratch;	/* per-thread scratch for out views */
	size_t		 scratch_len;
	int		*pipe;		/* the thread's pipe pair for p9srv_reply_fd */
	bool		 replied;	/* p9srv_reply_fd sent the reply */
};

struct loop;
struct pool;

/* One server: its configuration and all of its state. Nothing of a server
 * lives outside this struct, so that a program may run several at once. */
struct p9srv {
	struct p9srv_config cfg;
	const struct p9srv_backend *be;
	void		*ctx;		/* the backend's (p9srv_ctx) */
	bool		 as_root;	/* switch fs credentials per request */
	struct p9srv_cred self;		/* the server's own user (p9srv_req_cred) */
	atomic_uint	 nconns;
	/* The descriptor budget (p9srv_acct_take): every connection may
	 * hold fd_guarantee descriptors of files whatever the others do,
	 * and shares fd_pool more with them (at most fd_pool / connections
	 * each, first come first served). Sized from RLIMIT_NOFILE so that
	 * the process itself never runs out. */
	char		 why[256];	/* p9srv_new's reason when it fails (else "") */
	unsigned	 fd_guarantee;
	unsigned	 fd_pool;
	atomic_uint	 fd_pool_used;
	/* --record: the capture every connection's frames go to (p9pcap.h),
	 * or NULL (the usual case: one predictable branch per frame). */
	struct p9pcap	*rec;
	char		 recwarn[64];	/* its warning prefix */
	/* --debug: each line carries the seconds since t0 (CLOCK_MONOTONIC,
	 * p9srv_new) and the connection's number (from 1, in accept order). */
	struct timespec	 t0;
	atomic_uint	 conn_ids;
	/* The event loops (loop.c): loop 0 runs in p9srv_run/p9srv_poll
	 * and owns the listeners and the signals; loops 1.. run on threads
	 * of their own. Loop 0 hands each accepted connection to a loop
	 * (place_conn: cfg.pin_loops); a connection stays on its loop for
	 * its life. */
	struct loop	*loop;		/* loops[0] */
	struct loop	**loops;
	unsigned	 nloops;
	unsigned	 next_loop;	/* loop 0's thread only */
	struct pool	*pool;		/* pool.c */
};

/*
 * What each loop keeps for the requests it runs itself (loop.c makes it;
 * conn.c and pool.c use it on that loop's thread only): the replies it
 * gathers for the connection it is working on (conn.c: conn_gather; an
 * inline Rread or Rreaddir is made there in place, conn_reply_area), and
 * the reply buffer and scratch area of its other inline requests. The
 * gather buffer holds seven 64 KiB Rreads, so that a batch of them costs
 * one write per seven replies and no copy. Measured (64 KiB Treads, quiet
 * machine, 5 to 7 interleaved rounds, medians, against the 64 KiB buffer
 * replies were copied into before): 32 in flight 42.6k -> 48.6k reads/s,
 * 23.3 -> 20.5 us CPU per RPC; synchronous 17.8k -> 19.2k, 37.8 -> 29.7 us;
 * 4 connections 30.8k -> 32.5k. In place with 256 KiB it was slower than
 * before at 32 in flight (38.9k against 43.4k). -DP9SRV_GATHER_CAP=N to
 * measure another size.
 */
#ifndef P9SRV_GATHER_CAP
#define P9SRV_GATHER_CAP	(512 * 1024)
#endif
#define P9SRV_SCRATCH_LEN	(64 * 1024 + 8192)
struct loop_io {
	uint8_t		*gbuf;
	size_t		 glen;
	unsigned	 gcount;	/* replies in gbuf (P9_LOOP_REPLIES_PER_WRITE) */
	uint8_t		*reply;		/* cfg.msize_max bytes */
	uint8_t		*scratch;	/* P9SRV_SCRATCH_LEN bytes */
	int		 pipe[2];	/* p9srv_reply_fd's, made at its first use (or -1) */
	uint64_t	 quick_after[256];	/* per type: slow once, to workers until (ns) */
	uint32_t	 quick_ns[256];	/* per type: its calls here, running mean (ns, 1/8) */
	atomic_uint	 conns;		/* connections given to this loop, until freed */
};

/* fid.c: the per-connection fid table. All return fids with a reference. */
struct fid *fid_get(struct conn *c, uint32_t num);		/* NULL if unknown */
/* A new fid (not yet in the table) of kind, holding file (the fid now owns
 * it) and a reference to id. NULL when out of memory. */
struct fid *fid_new(struct conn *c, uint32_t num, enum fid_kind kind, void *file,
    uint8_t qtype, struct ident *id);
/* Put f in the table: EINVAL if its number is in use, EMFILE at the
 * per-connection limit (f is then freed). The table takes the caller's
 * reference. */
int fid_insert(struct fid *f);
/* Put nf in old's place (same number) if old is still there and, with
 * if_closed, not opened: EBADF or EINVAL otherwise (nf is then freed). The
 * table takes nf's reference and drops old's. */
int fid_replace(struct fid *old, struct fid *nf, bool if_closed);
struct fid *fid_remove(struct conn *c, uint32_t num);		/* unlinks; NULL if unknown */
void fid_put(struct fid *f);					/* last put releases */
struct ident *ident_ref(struct ident *id);
void ident_put(struct ident *id);

/* engine.c: the messages the engine answers itself. */
#define ENGINE_OP(lo) \
	int eng_##lo(struct p9srv_req *r, const struct p9_t##lo *in, struct p9_r##lo *out);
ENGINE_OP(attach)
ENGINE_OP(auth)
ENGINE_OP(walk)
ENGINE_OP(clunk)
ENGINE_OP(remove)
ENGINE_OP(xattrwalk)
ENGINE_OP(xattrcreate)
#undef ENGINE_OP
/* conn.c: the request runs as id from now on (the request takes the
 * caller's reference): for Tattach, whose user the engine makes. */
void req_set_ident(struct p9srv_req *r, struct ident *id);
/* Tread/Twrite of an xattr fid's buffer. */
int xattr_read(struct p9srv_req *r, struct fid *f, const struct p9_tread *in,
    struct p9_rread *out);
int xattr_write(struct p9srv_req *r, struct fid *f, const struct p9_twrite *in,
    struct p9_rwrite *out);

#endif /* P9D_SRV_H */
