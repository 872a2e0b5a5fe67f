/*
 * p9d internals: the types shared by the engine (loop.c conn.c pool.c
 * fid.c main.c) and the operation handlers (op_*.c), and the contract
 * between them.
 *
 * Handlers: one per T-message, generated prototypes (see bottom):
 *
 *	int op_walk(struct req *r, const struct p9_twalk *in, struct p9_rwalk *out);
 *
 * A handler runs on a worker thread with the attaching user's fs
 * credentials already applied (when the server runs as root). It fills
 * *out (tag and type are set by the dispatcher) and returns 0, or returns
 * a positive host errno, which the dispatcher sends as Rlerror. A handler
 * never sends anything itself, and every request is answered exactly once.
 * Views in *in point into the request's frame and stay valid until the
 * handler returns. Views a handler puts in *out must stay valid until it
 * returns too (use r->scratch, or for Rread/Rreaddir the reply data area).
 *
 * Rread and Rreaddir are built in place: r->rdata is the data area of the
 * reply buffer (its header already reserved) with room for r->rroom bytes
 * (already min(count, msize - 11)). A handler preads or packs dirents
 * straight into it and sets out->data = { r->rdata, n }.
 *
 * Lock order (never take a later lock while holding an earlier-listed one
 * in reverse): conn->lock (tags, state) -> conn->fid_lock (fid table) ->
 * fid->lock (one fid's mutable state). No lock is held across a blocking
 * syscall except fid->lock around a directory stream (readdir) and xattr
 * buffers, which serialise requests on that one fid only.
 */
#ifndef P9D_SRV_H
#define P9D_SRV_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <dirent.h>
#include <time.h>

#include "p9.h"

struct conn;
struct srv;

struct srv_config {
	const char	*export_path;	/* directory to export */
	bool		 readonly;	/* refuse every mutation with EROFS */
	unsigned	 threads;	/* worker threads */
	uint32_t	 msize_max;	/* msize cap */
	unsigned	 max_fids;	/* fids per connection */
	unsigned	 max_inflight;	/* requests in flight per connection */
	unsigned	 max_conns;	/* connections at once */
	bool		 signals;	/* SIGINT/SIGTERM stop loop_run (a program's one server only) */
	bool		 squash;	/* run every request as squash_uid/gid */
	uid_t		 squash_uid;
	gid_t		 squash_gid;
	int		 debug;		/* 1: trace every message to stderr */
};

/* Who a request runs as: fixed at attach, inherited by every derived fid. */
struct ident {
	atomic_uint	 refs;
	uid_t		 uid;
	gid_t		 gid;
	int		 ngroups;
	gid_t		 groups[64];
};

/*
 * A file the server holds open: an O_PATH descriptor (never a path string),
 * the qid, and where it was reached from (parent node + name), which
 * Tremove and Trename need. The export root has parent NULL. A node
 * reached through ".." has parent NULL and name NULL too (remove/rename of
 * it answer EBUSY). Nodes are immutable after creation and refcounted;
 * a fid points to one node and may be switched to another (walk in place,
 * lcreate) under fid->lock.
 */
struct node {
	atomic_uint	 refs;
	int		 fd;		/* O_PATH | O_NOFOLLOW */
	struct p9_qid	 qid;
	mode_t		 mode;		/* S_IFMT bits of the file */
	struct node	*parent;	/* reference held, or NULL */
	char		*name;		/* NUL-terminated copy, or NULL */
	struct conn	*acct;		/* whose descriptor budget fd counts against (NULL: the root) */
	struct srv	*srv;		/* the server whose export it is in */
	/* The inode's generation (FS_IOC_GETVERSION) + 1 once read, 0 until
	 * then: it never changes in the inode's life, so Tgetattr asks the
	 * file system once per node, not once per request. */
	_Atomic uint64_t gen1;
};

enum fid_kind {
	FID_FILE,		/* a file-system object (node) */
	FID_XATTR_READ,		/* Txattrwalk: a snapshot to read */
	FID_XATTR_WRITE,	/* Txattrcreate: a buffer applied at clunk */
	FID_AUTH,		/* not used: Tauth is refused */
};

struct fid {
	uint32_t	 num;
	atomic_uint	 refs;
	struct conn	*conn;
	struct fid	*hnext;		/* fid table chain (conn->fid_lock) */
	struct ident	*id;		/* reference held */
	pthread_mutex_t	 lock;		/* guards everything below */
	enum fid_kind	 kind;
	struct node	*node;		/* reference held (the file; for xattr fids the file they belong to) */
	int		 open_fd;	/* -1 until Tlopen/Tlcreate; then set once */
	uint32_t	 open_flags;	/* wire flags of that open */
	DIR		*dir;		/* readdir stream: fdopendir(dup(open_fd)), lazily made */
	/* xattr fids */
	char		*xname;		/* attribute name (NUL-terminated) */
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

struct req {
	struct conn	*conn;
	struct req	*next;		/* worker queue / free list */
	enum req_state	 state;
	uint16_t	 tag;
	bool		 dropped;	/* answer suppressed (Tversion reset, connection closed) */
	struct req	*flushes;	/* Tflush requests to answer after our reply */
	struct p9_msg	 in;		/* decoded request: views into frame */
	uint8_t		*frame;
	size_t		 framelen;
	size_t		 framecap;
	/* Set by the worker for the handler: */
	struct ident	*id;		/* credentials the request runs with, or NULL */
	uint8_t		*rdata;		/* Rread/Rreaddir data area */
	uint32_t	 rroom;
	uint8_t		*scratch;	/* per-worker scratch for out views */
	size_t		 scratch_len;
};

struct loop;
struct pool;
struct lockrec;

/* The defaults of every option, in one place (main.c and embed.c start
 * from them). */
void srv_config_defaults(struct srv_config *cfg);

/* One server: its configuration and all of its state. Nothing of a server
 * lives outside this struct, so that a program may run several at once. */
struct srv {
	struct srv_config cfg;
	const char	*export_real;	/* export_path resolved (realpath) */
	int		 root_fd;	/* O_PATH | O_DIRECTORY of the export */
	dev_t		 root_dev;
	ino_t		 root_ino;
	bool		 as_root;	/* switch fs credentials per request */
	atomic_uint	 nconns;
	/* The descriptor budget (fd_take): every connection may hold
	 * fd_guarantee descriptors of files whatever the others do, and
	 * shares fd_pool more with them (at most fd_pool / connections
	 * each, first come first served). srv_init sizes both from
	 * RLIMIT_NOFILE so that the process itself never runs out. */
	char		 why[256];	/* srv_init's reason when it fails before the export (else "") */
	unsigned	 fd_guarantee;
	unsigned	 fd_pool;
	atomic_uint	 fd_pool_used;
	/* --record: the capture every connection's frames go to (p9pcap.h),
	 * or NULL (the usual case: one predictable branch per frame). */
	struct p9pcap	*rec;
	/* --debug: each line carries the seconds since t0 (CLOCK_MONOTONIC,
	 * srv_init) and the connection's number (from 1, in accept order). */
	struct timespec	 t0;
	atomic_uint	 conn_ids;
	struct node	*root;		/* the export root, shared by every attach */
	struct loop	*loop;		/* loop.c */
	struct pool	*pool;		/* pool.c */
	/* op_lock.c: the holders of the locks granted through this server */
	pthread_mutex_t	 lock_mu;
	struct lockrec	*lock_head;
	unsigned	 lock_n;
};

/* fid.c: the per-connection fid table. All return fids with a reference. */
struct fid *fid_get(struct conn *c, uint32_t num);		/* NULL if unknown */
/* Create fid `num` holding node (reference taken) and id; EINVAL if in use,
 * EMFILE at the per-connection limit. On success *out (if not NULL) gets a
 * reference. */
int fid_create(struct conn *c, uint32_t num, struct node *node, struct ident *id,
    struct fid **out);
struct fid *fid_remove(struct conn *c, uint32_t num);		/* unlinks; NULL if unknown */
void fid_put(struct fid *f);					/* last put frees */
/* A reference to f's current node (taken under f->lock). */
struct node *fid_node(struct fid *f);
/* Replace f's node (walk in place, lcreate); takes a new reference. */
void fid_set_node(struct fid *f, struct node *n);

/*
 * The descriptor budget. A descriptor a fid keeps (its node's O_PATH fd,
 * its open file, its directory stream) counts against the connection of
 * the request that made it; fd_take charges one, fd_give returns it.
 * fd_take fails (the handler answers EMFILE) past the connection's share:
 * its guarantee plus its part of the shared pool. Descriptors a handler
 * opens and closes within the request are not charged (srv_init keeps a
 * reserve for them).
 */
bool fd_take(struct conn *c);
void fd_give(struct conn *c);
/* The connection of the request this worker runs (set by the engine
 * around each handler), or NULL outside one. */
struct conn *fd_current(void);

/* Nodes and identities. node_new charges the new node's descriptor to the
 * current request's connection (fd_current): past its budget it closes fd
 * and returns NULL, and the caller answers EMFILE. Outside a request (the
 * export root) nothing is charged and it never fails. */
struct node *node_new(struct srv *s, int fd, const struct stat *st, struct node *parent,
    const char *name);
struct node *node_ref(struct node *n);
void node_put(struct node *n);
struct ident *ident_ref(struct ident *id);
void ident_put(struct ident *id);

/* fs_posix.c: the file-system helpers (the only file making fs syscalls
 * besides the op handlers that need one specific call). */
/* qid of a stat: path from (dev, ino), type from the mode. */
struct p9_qid fs_qid(const struct srv *s, const struct stat *st);
/* Check a name from the wire (non-empty, no '/', no NUL, not longer than
 * NAME_MAX) and copy it NUL-terminated into buf[NAME_MAX + 1].
 * Returns 0 or an errno (ENOENT for empty or '/', ENAMETOOLONG). */
int fs_name(struct p9_str s, char buf[]);
/* Walk one validated name from dir: "..": the parent, clamped at the
 * export root; otherwise openat(O_PATH | O_NOFOLLOW) of that entry.
 * Returns 0 and a new node in *out, or an errno. */
int fs_walk1(struct node *dir, const char *name, struct node **out);
/* The magic link of descriptor fd ("/proc/self/fd/N") into buf: it names
 * the open inode itself, never a path, so going through it cannot be
 * redirected by a rename or a planted symlink. Every /proc/self/fd path
 * of the server is made here. */
#define FS_FDPATH_LEN	32
void fs_fdpath(int fd, char buf[FS_FDPATH_LEN]);
/* Is this node the export root? */
bool fs_is_root(const struct node *n);
/* Open the node for I/O with host open flags (O_NOFOLLOW semantics: the
 * node itself, never a symlink target), through /proc/self/fd. Refuses
 * anything but regular files and directories (EPERM for specials, ELOOP
 * for symlinks). Returns an fd or -errno. */
int fs_reopen(const struct node *n, int host_flags);
/* Translate Tlopen/Tlcreate wire flags to host open flags: explicit map,
 * CREATE/NOCTTY/FASYNC/DIRECT/NOATIME/CLOEXEC dropped, O_CLOEXEC added;
 * callers add O_NOFOLLOW where they open by name. */
int fs_open_flags(uint32_t wire);
/* lstat/fstat a node and make a fresh node for (dirfd, name) after a create. */
int fs_node_at(struct node *dir, const char *name, struct node **out);

/* The server a request, or a fid, belongs to. */
struct srv *req_srv(const struct req *r);
struct srv *fid_srv(const struct fid *f);

/* EROFS if the export is read-only (for every mutating handler). */
int srv_check_writable(const struct req *r);

/* op_xattr.c: Tread/Twrite on xattr fids (op_read/op_write dispatch to these).
 * The caller holds a reference to f and not f->lock; these take f->lock and
 * recheck f->kind under it (EBADF for the wrong kind). */
int xattr_read(struct req *r, struct fid *f, const struct p9_tread *in, struct p9_rread *out);
int xattr_write(struct req *r, struct fid *f, const struct p9_twrite *in, struct p9_rwrite *out);
/* op_xattr.c: apply a write fid's buffer at clunk (setxattr or removexattr).
 * Same locking as above; the buffer is taken out under f->lock, so it is
 * applied at most once (0 if f is not, or no longer, a pending write). */
int xattr_commit(struct fid *f);

/* op_lock.c: forget the lock records (Rgetlock's holders) of f, whose
 * locks the kernel drops when its open descriptor closes. Call once, at
 * f's last fid_put, before or after closing open_fd. Takes a leaf mutex. */
void lock_fid_released(struct fid *f);

/* Handler prototypes, one per T-message of the table. */
#define P9_PAIR(UP, lo, num, tf, rf) \
	int op_##lo(struct req *r, const struct p9_t##lo *in, struct p9_r##lo *out);
#define P9_RONLY(UP, lo, num, rf)
#include "p9_msgs.def"
#undef P9_PAIR
#undef P9_RONLY

#endif /* P9D_SRV_H */
