/*
 * lib9plsrv: the 9P2000.L server engine, for programs that serve their own
 * file system over 9P. p9d is this engine with the POSIX backend.
 *
 * The engine owns everything of the protocol: connections, Tversion and
 * msize, tags, Tflush (a flushed request that has not started never runs),
 * the fid table of each connection, Tattach's user, walks (fid and newfid,
 * partial walks), Tclunk, Txattrwalk/Txattrcreate buffers, limits (fids,
 * requests in flight, connections, msize), backpressure and the threads.
 * A backend implements the file operations, one callback per T-message,
 * and sees resolved fids: the file object it made for each.
 *
 * Files. A backend's file is a `void *` it makes (attach, walk, clone) and
 * the engine stores in one fid; the engine hands it back to every callback
 * for that fid and calls `release` once when the fid is gone (Tclunk,
 * Tremove, Tversion, the connection closing). Each fid has its own file:
 * `clone` makes a second one for a new fid naming the same file system
 * object. Several requests on one fid may run at once (Linux sends
 * concurrent reads on one fid), so a file's mutable state needs the
 * backend's own locking; release runs after every callback on it returned.
 *
 * What the engine checks before a callback runs (ops.def has the table):
 * every fid field names a fid of this connection (else EBADF); a fid used
 * as a directory has a directory qid (ENOTDIR); Tread/Twrite/Treaddir/
 * Tfsync/Tlock/Tgetlock need a fid opened by Tlopen/Tlcreate (EBADF);
 * Tlopen/Tlcreate need one not yet opened (EINVAL); messages that change
 * the file system get EROFS on a read-only server (Tlopen only when it
 * asks for write access or truncation); xattr fids reach no callback:
 * the engine serves Tread/Twrite of their buffer, and answers EINVAL to
 * any other message that needs a file.
 *
 * Callbacks. Each returns 0 with *out filled (tag and type are the
 * engine's), or a positive errno that the engine sends as Rlerror. Views in
 * *in (names, data) point into the request and are valid until the
 * callback returns. Views put in *out are encoded after the callback
 * returns, so they must outlive it: put them in p9srv_req_scratch (or,
 * for Rread/Rreaddir, p9srv_req_rdata), which stay the request's until
 * its reply is written, or in memory the backend keeps longer. A NULL
 * callback answers EOPNOTSUPP. Callbacks run on a worker thread, or on the
 * loop thread that read the request when the backend says the operation
 * never blocks (nonblock below); with P9SRV_BACKEND_CREDS they run with the
 * attaching user's fs uid, gid and groups already applied.
 */
#ifndef P9SRV_H
#define P9SRV_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "p9.h"

#ifdef __cplusplus
extern "C" {
#endif

/* What the library exports (it is built with hidden visibility). */
#if defined(__GNUC__)
#define P9SRV_API	__attribute__((visibility("default")))
#else
#define P9SRV_API
#endif

struct p9srv;		/* one server: its configuration and all of its state */
struct p9srv_req;	/* one request while a callback serves it */
struct p9srv_conn;	/* one client connection */

/* Who a request runs as: fixed at Tattach, inherited by every fid walked
 * from that attach. */
struct p9srv_cred {
	uid_t		 uid;
	gid_t		 gid;
	int		 ngroups;
	gid_t		 groups[64];
};

/* The smallest msize a server accepts (and offers at least). */
#define P9SRV_MSIZE_MIN	4096

struct p9srv_config {
	bool		 readonly;	/* refuse every mutation with EROFS */
	/* Worker threads. 0: none; every request runs on the loop thread,
	 * one at a time, in the order it arrived: deterministic (the fuzz
	 * harnesses run so), and right for a backend that never blocks. */
	unsigned	 threads;
	uint32_t	 msize_max;	/* msize cap */
	unsigned	 max_fids;	/* fids per connection */
	unsigned	 max_inflight;	/* requests in flight per connection */
	unsigned	 max_conns;	/* connections at once */
	/* SIGINT/SIGTERM stop p9srv_run (a program's one server only):
	 * p9srv_new blocks them in the calling thread (and so in every
	 * thread it starts); a program's other threads must block them too. */
	bool		 signals;
	bool		 squash;	/* every attach runs as squash_uid/gid */
	uid_t		 squash_uid;
	gid_t		 squash_gid;
	int		 debug;		/* 1: trace every message to stderr */
	const char	*record;	/* capture every frame to this pcap file, or NULL */
	uint64_t	 record_limit;	/* stop capturing after this many bytes (0: no limit) */
	const char	*ident;		/* what the server's stderr lines begin with
					 * ("p9srv"); kept: must outlive the server */
	/* Event loops: loop 0 runs in p9srv_run (or p9srv_poll) and accepts;
	 * loops 1.. run on threads of their own from p9srv_new on, and each
	 * accepted connection goes to one of them (pin_loops says which;
	 * p9srv_serve_fd's to loop 0). Requests marked nonblock run on their
	 * connection's loop. 0 counts as 1; at most P9SRV_MAX_LOOPS. Default:
	 * one per CPU the process may run on (an embedder that wants every
	 * connection on the thread that calls p9srv_poll sets 1). */
	unsigned	 loops;
	/* How the loops wait and do their I/O: P9SRV_IO_EPOLL (readiness,
	 * read and write), P9SRV_IO_URING (completions: a connection's reads
	 * and writes are submitted to an io_uring, one system call a turn
	 * submits and waits), or P9SRV_IO_DEFAULT (0): the environment's
	 * P9SRV_IO ("epoll" or "uring"), else epoll. io_uring falls back to
	 * epoll where the build has no liburing or the kernel refuses it
	 * (saying so on stderr); p9srv_io_name tells which runs. */
	unsigned	 io;
	/* Busy-polling: a loop about to sleep right after handling events
	 * first checks for new ones for up to spin_us microseconds, yielding
	 * the CPU in between, as long as events have been coming within that
	 * time (a spin that finds nothing lets the loop sleep until a sleep
	 * ends with events within four times that). It spares a synchronous
	 * client's every request a sleep and a wake-up on each side. Loops
	 * on epoll only (on io_uring it measured no gain). 0: never; at most
	 * P9SRV_SPIN_MAX_US. Default P9SRV_SPIN_DEFAULT_US. */
	unsigned	 spin_us;
	/* Workers woken to run queued requests at once (of `threads`); the
	 * others wake one at a time while no queued request was taken for
	 * a millisecond (those running are then likely blocked in the file
	 * system). 0: as many as the CPUs the process may run on. At least
	 * `threads`: every worker as soon as there is work. (Added last:
	 * the fields before it keep their offsets.) */
	unsigned	 active;
	/* Pin each event loop to a CPU: loop i to the i-th of the CPUs the
	 * process may run on at p9srv_new (modulo their number; loop 0 only
	 * while p9srv_run turns it, the caller's affinity restored when it
	 * returns, never in p9srv_poll), when there are at least as many
	 * loops as those CPUs (fewer stay unpinned); and give each accepted
	 * connection to the loop of the CPU that received it (on loopback,
	 * its client's), unless that loop already serves twice as many
	 * connections as the least loaded one, plus two. A client's thread
	 * and its loop then share a CPU, and a reply wakes the client there
	 * instead of on another CPU. false (0): no pinning, each connection
	 * to the loop serving the fewest, in turn among equals (as with a
	 * connection whose CPU is unknown: a Unix socket's). Default true.
	 * (Added last.) */
	bool		 pin_loops;
};
#define P9SRV_SPIN_MAX_US	10000
#define P9SRV_SPIN_DEFAULT_US	50
#define P9SRV_MAX_LOOPS	64
#define P9SRV_IO_DEFAULT	0
#define P9SRV_IO_EPOLL		1
#define P9SRV_IO_URING		2

/*
 * What a callback running on the loop thread returns instead of blocking:
 * the engine then runs the request again, from the start, on a worker.
 * Only when p9srv_req_can_defer(r) said yes, and before the callback
 * changed anything (e.g. a read that would wait for the disk: preadv2 with
 * RWF_NOWAIT said EAGAIN). Anywhere else it is answered as EIO.
 */
#define P9SRV_BLOCKS	(-1)

/*
 * Tread callbacks: send up to count bytes of fd at offset as r's Rread
 * without copying them through the server: the kernel moves references to
 * the page cache's pages into a pipe of the thread's and from it into the
 * socket (splice). Returns the count sent, 0 excluded: the reply is on its
 * way, and the callback returns P9SRV_REPLIED. Returns -EAGAIN, having sent
 * nothing, when it cannot be done so now: the connection has replies
 * waiting before this one, is a pipe pair, is captured (--record) or
 * traced (--debug); fd cannot be spliced or is at its end; the pipe cannot
 * be had. The callback then answers as usual (a read into p9srv_req_rdata),
 * which also reports what a read of fd fails with. It may block in the
 * file system as a read would: on the loop thread, call it only for data
 * the page cache holds. What the client receives is what the pages hold
 * when the socket sends them, which may be later than the call (as with
 * sendfile).
 */
P9SRV_API long p9srv_reply_fd(struct p9srv_req *r, int fd, uint64_t offset, uint32_t count);
#define P9SRV_REPLIED	(-3)

/* Backend flags. */
#define P9SRV_BACKEND_CREDS	0x1	/* apply the user's fs credentials around each
					 * callback when the server runs as root */

struct p9srv_backend {
	const char	*name;		/* for messages: "posix", "memfs" */
	unsigned	 flags;		/* P9SRV_BACKEND_* */
	/* A bit per T-message type whose callbacks never block: the engine
	 * runs the whole request on the loop thread, with no hand-off to a
	 * worker (p9srv_backend_nonblock). For messages the engine answers
	 * the bit covers the callbacks they make: Tattach (attach), Twalk
	 * (walk1 or walk, clone, release), Tclunk (release, xattr_set),
	 * Tremove (remove, release), Txattrwalk (xattr_get), Txattrcreate
	 * (clone). The engine reads the table through the const pointer
	 * given to p9srv_new: a backend whose bits depend on its
	 * configuration gives each server its own copy. */
	uint64_t	 nonblock[4];

	/* Tattach: the file of the tree aname names, for a new fid. The
	 * user is p9srv_req_cred(r). Required. */
	int (*attach)(struct p9srv_req *r, const struct p9_tattach *in, void **root,
	    struct p9_qid *qid);
	/* Walks: either walk1, which the engine calls once per name (the
	 * name NUL-terminated, non-empty, without '/', at most 255 bytes;
	 * "." and ".." included: what they mean is the backend's, and ".."
	 * must not leave the tree), or walk, which answers the whole Twalk:
	 * it fills out->wqid with one qid per name reached and sets *to to a
	 * new file for the last one when all were (else NULL). The engine
	 * does the rest: the first name failing is an error, a later one a
	 * short Rwalk; newfid, or fid itself, gets *to. */
	int (*walk1)(struct p9srv_req *r, void *dir, const char *name, void **next,
	    struct p9_qid *qid);
	int (*walk)(struct p9srv_req *r, void *from, const struct p9_twalk *in, void **to,
	    struct p9_rwalk *out);
	/* A new file for a new fid naming what `file` names (a walk of no
	 * names). Returns NULL when out of memory or of a resource
	 * (the engine answers ENOMEM; p9srv_req can say EMFILE: see
	 * p9srv_acct_take). Required. */
	void *(*clone)(struct p9srv_req *r, void *file);
	/* The fid holding `file` is gone; no callback on it runs any more.
	 * Any thread; must not block for long. Required. */
	void (*release)(void *file);

	int (*statfs)(struct p9srv_req *r, void *file, const struct p9_tstatfs *in,
	    struct p9_rstatfs *out);
	int (*lopen)(struct p9srv_req *r, void *file, const struct p9_tlopen *in,
	    struct p9_rlopen *out);
	/* Tlcreate: create `in->name` in directory `dir` and turn `dir` (the
	 * fid's file) into that new file, opened, in place; on failure `dir`
	 * must be left as it was. The engine takes the fid's new qid type
	 * from out->qid. */
	int (*lcreate)(struct p9srv_req *r, void *dir, const struct p9_tlcreate *in,
	    struct p9_rlcreate *out);
	int (*symlink)(struct p9srv_req *r, void *dir, const struct p9_tsymlink *in,
	    struct p9_rsymlink *out);
	int (*mknod)(struct p9srv_req *r, void *dir, const struct p9_tmknod *in,
	    struct p9_rmknod *out);
	int (*rename)(struct p9srv_req *r, void *file, void *dir, const struct p9_trename *in,
	    struct p9_rrename *out);
	int (*readlink)(struct p9srv_req *r, void *file, const struct p9_treadlink *in,
	    struct p9_rreadlink *out);
	int (*getattr)(struct p9srv_req *r, void *file, const struct p9_tgetattr *in,
	    struct p9_rgetattr *out);
	int (*setattr)(struct p9srv_req *r, void *file, const struct p9_tsetattr *in,
	    struct p9_rsetattr *out);
	/* Tread/Treaddir: put the data in p9srv_req_rdata and point
	 * out->data at it. Treaddir packs entries with p9_dirent_put. */
	int (*readdir)(struct p9srv_req *r, void *file, const struct p9_treaddir *in,
	    struct p9_rreaddir *out);
	int (*fsync)(struct p9srv_req *r, void *file, const struct p9_tfsync *in,
	    struct p9_rfsync *out);
	int (*lock)(struct p9srv_req *r, void *file, const struct p9_tlock *in,
	    struct p9_rlock *out);
	int (*getlock)(struct p9srv_req *r, void *file, const struct p9_tgetlock *in,
	    struct p9_rgetlock *out);
	int (*link)(struct p9srv_req *r, void *dir, void *file, const struct p9_tlink *in,
	    struct p9_rlink *out);
	int (*mkdir)(struct p9srv_req *r, void *dir, const struct p9_tmkdir *in,
	    struct p9_rmkdir *out);
	int (*renameat)(struct p9srv_req *r, void *olddir, void *newdir,
	    const struct p9_trenameat *in, struct p9_rrenameat *out);
	int (*unlinkat)(struct p9srv_req *r, void *dir, const struct p9_tunlinkat *in,
	    struct p9_runlinkat *out);
	int (*read)(struct p9srv_req *r, void *file, const struct p9_tread *in,
	    struct p9_rread *out);
	int (*write)(struct p9srv_req *r, void *file, const struct p9_twrite *in,
	    struct p9_rwrite *out);
	/* Tremove: the fid is clunked afterwards whatever this returns. */
	int (*remove)(struct p9srv_req *r, void *file, const struct p9_tremove *in,
	    struct p9_rremove *out);
	/* Extended attributes; the engine keeps Txattrwalk's snapshot and
	 * Txattrcreate's buffer. xattr_get copies the value of `name` (or,
	 * name NULL, the list of names, each NUL-terminated) into buf[size]
	 * and returns its length, or with size 0 only returns the length;
	 * -errno on failure (ERANGE when it does not fit). The engine asks
	 * the size, then the bytes, and asks again (8 times at most) when
	 * the value changed in between (ERANGE); values are at most 65536
	 * bytes (E2BIG), name lists 1 MiB. xattr_set applies
	 * a Txattrcreate at its Tclunk: value[size] with flags XATTR_CREATE/
	 * XATTR_REPLACE, or, value NULL, removes the attribute. */
	long (*xattr_get)(struct p9srv_req *r, void *file, const char *name, void *buf,
	    size_t size);
	int (*xattr_set)(struct p9srv_req *r, void *file, const char *name, const void *value,
	    size_t size, uint32_t flags);

	/* A bit per T-message type whose callbacks usually take microseconds
	 * but may block now and then: metadata work on a local file system,
	 * which reads from the disk what is not in the cache. The engine runs
	 * such a request on the loop thread (as nonblock ones) when no other
	 * request of its connection follows it in the buffer, so that a
	 * client waiting for each reply pays no hand-off to a worker (other
	 * connections ready meanwhile wait for it); when others follow, only
	 * while that type's calls on that loop took under 50 us on average
	 * (a hand-off costs about that), else a pipelining client's requests
	 * go to the workers, which run them side by side. One that took
	 * longer than P9SRV_QUICK_MAX_US sends its type to the workers on
	 * that loop for the next P9SRV_QUICK_BACKOFF_MS.
	 * Never for callbacks that can wait without bound (a fifo, a lock that
	 * waits). After nonblock so that this field's offset is the only new
	 * one (p9srv_backend_quick). */
	uint64_t	 quick[4];
};

#define P9SRV_QUICK_MAX_US	2000
#define P9SRV_QUICK_BACKOFF_MS	1000

/* Mark T-message `type` (P9_T...) as never blocking in b. */
static inline void
p9srv_backend_nonblock(struct p9srv_backend *b, uint8_t type)
{
	b->nonblock[type >> 6] |= (uint64_t)1 << (type & 63);
}

/* Mark T-message `type` as usually quick in b (see quick above). */
static inline void
p9srv_backend_quick(struct p9srv_backend *b, uint8_t type)
{
	b->quick[type >> 6] |= (uint64_t)1 << (type & 63);
}

/* Is T-message `type`'s callback marked usually quick in b? */
static inline bool
p9srv_quick(const struct p9srv_backend *b, uint8_t type)
{
	return (b->quick[type >> 6] >> (type & 63) & 1) != 0;
}

/* Is T-message `type`'s callback marked never blocking in b? */
static inline bool
p9srv_nonblocking(const struct p9srv_backend *b, uint8_t type)
{
	return (b->nonblock[type >> 6] >> (type & 63) & 1) != 0;
}

/* The defaults of every option (p9d's too). */
P9SRV_API void p9srv_config_defaults(struct p9srv_config *cfg);

/*
 * A server for backend b (which must outlive it) with backend context ctx
 * (p9srv_ctx). Sizes the descriptor budget from RLIMIT_NOFILE (raising the
 * soft limit to the hard one; may lower cfg->max_conns, saying so on
 * stderr), ignores SIGPIPE, starts cfg->threads workers. Returns the
 * server, or NULL with why[whylen] saying what failed.
 */
P9SRV_API struct p9srv *p9srv_new(const struct p9srv_config *cfg, const struct p9srv_backend *b,
    void *ctx, char *why, size_t whylen);
/* Serve clients accepted on listening socket fd (the server closes it when
 * freed; a Unix socket's file stays its creator's to remove). Both
 * return 0, or -1 with errno set; call both before p9srv_run, or between
 * p9srv_poll calls on the thread that turns the loop. */
P9SRV_API int p9srv_listen(struct p9srv *s, int fd);
/* Serve one connected socket, or a pipe pair (rfd, wfd); the server closes
 * them. Unlike p9srv_listen, from any thread at any time until p9srv_stop:
 * while p9srv_run or p9srv_poll turns the loop (in another thread, or in
 * a callback of this server), the connection is handed to the loop, which
 * takes it at once; a failure to watch it then closes it. */
P9SRV_API int p9srv_serve_fd(struct p9srv *s, int rfd, int wfd);
/* Run the server on this thread until p9srv_stop, a signal (cfg.signals),
 * or nothing is left to serve. Returns 0, or -1 if epoll fails. */
P9SRV_API int p9srv_run(struct p9srv *s);
/*
 * One turn of p9srv_run, on the calling thread, for a program that runs
 * its own loop (with p9srv_fd) or must decide what runs when (a server
 * with cfg.threads 0 then does everything, every callback included, on
 * this thread, in an order that depends only on what its peers sent):
 * waits up to timeout_ms (0: not at all, -1: no limit) for events and
 * handles them. Returns how many it handled (0: none came in time),
 * P9SRV_DONE when p9srv_run would have returned (p9srv_stop, a signal,
 * nothing left to serve), or -1 with errno set if epoll fails. Never
 * concurrently with itself or p9srv_run. Requests run as their users
 * (p9srv_req_cred): the thread's file-system identity (fsuid, fsgid,
 * groups) is set back to the server's own (at p9srv_new) before it
 * returns.
 */
#define P9SRV_DONE	(-2)
P9SRV_API int p9srv_poll(struct p9srv *s, int timeout_ms);
/* A descriptor that polls readable when p9srv_poll has work (the
 * server's epoll set, or its io_uring). Valid until p9srv_free; do not close or read it. */
P9SRV_API int p9srv_fd(const struct p9srv *s);
/* The I/O engine the server's loops run on: "epoll" or "io_uring". */
P9SRV_API const char *p9srv_io_name(const struct p9srv *s);
/* Any thread: make p9srv_run return at its next turn. */
P9SRV_API void p9srv_stop(struct p9srv *s);
/* After p9srv_run returned (or before it ever ran): close everything,
 * stop the workers (running callbacks finish, their replies are dropped),
 * release every file, free s. */
P9SRV_API void p9srv_free(struct p9srv *s);
/* Connections s holds now (each until its last request is done). */
P9SRV_API unsigned p9srv_conns(const struct p9srv *s);

/* For callbacks. */
P9SRV_API void *p9srv_ctx(const struct p9srv *s);
P9SRV_API struct p9srv *p9srv_req_server(const struct p9srv_req *r);
/* The user the request runs as: the attaching user, mapped as Tattach
 * says (spec 3.2), when the server runs as root or squashes; otherwise
 * the server's own user (effective uid, gid and groups at p9srv_new).
 * Never NULL. */
P9SRV_API const struct p9srv_cred *p9srv_req_cred(const struct p9srv_req *r);
/* Rread/Rreaddir: the reply's data area, room for *room bytes (already
 * at most the request's count and what msize allows). NULL for others. */
P9SRV_API uint8_t *p9srv_req_rdata(struct p9srv_req *r, uint32_t *room);
/* A per-thread scratch area for views put in *out (e.g. a readlink
 * target, an Rgetlock client_id), of *len bytes: at least 65536. */
P9SRV_API uint8_t *p9srv_req_scratch(struct p9srv_req *r, size_t *len);
/* Is r running on the loop thread (its type marked nonblock, or quick) of a server
 * with workers, as a message other than Tclunk and Tremove (which have
 * acted before their callbacks run)? Then a callback may return
 * P9SRV_BLOCKS rather than block. */
P9SRV_API bool p9srv_req_can_defer(const struct p9srv_req *r);
/* The connection a request came on (a budget account, see below). It
 * may also serve as an identity key for per-connection state (lock
 * owners): it stays valid, and no other connection gets the same
 * pointer, until every file made by its requests has been released.
 * A callback is not told when its request is flushed: Tflush waits for
 * a running callback to return. */
P9SRV_API struct p9srv_conn *p9srv_req_conn(const struct p9srv_req *r);

/*
 * The descriptor budget: a backend that keeps descriptors (or any scarce
 * resource) per file charges each to the connection whose request made
 * it, so that one client cannot exhaust the process for the others.
 * p9srv_acct_take returns false past the connection's share (answer
 * EMFILE); p9srv_acct_give returns one. A connection stays valid until
 * every file made by its requests has been released.
 */
P9SRV_API bool p9srv_acct_take(struct p9srv_conn *c);
P9SRV_API void p9srv_acct_give(struct p9srv_conn *c);

#ifdef __cplusplus
}
#endif

#endif /* P9SRV_H */
