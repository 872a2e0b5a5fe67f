/*
 * The POSIX backend: a directory of the host exported read-write through
 * the engine's backend interface (p9srv.h). Internal to this folder; a
 * program makes one with posix_new (p9srv_posix.h) and serves it with
 * p9srv_new(cfg, &posix_backend, fs, ...).
 *
 * Files: each fid's file is a struct pfid: the node it names, and once
 * opened its descriptor (and for a directory its stream). Nodes are the
 * host objects: an O_PATH descriptor (never a path string), the qid, and
 * where the node was reached from (parent node + name), which Tremove and
 * Trename need. fs.c holds the confinement: every lookup is an openat of
 * one validated name relative to its parent's O_PATH descriptor, without
 * following symlinks, and ".." never leaves the export root.
 *
 * Lock order: pfid->lock, then the fs's lock table mutex (lock.c) or the
 * directory cache's (dcache.c: held across its inotify calls, which do
 * not wait). No lock is held across a blocking call except pfid->lock
 * around a directory stream (readdir), which serialises requests on that
 * one fid.
 */
#ifndef P9D_POSIX_H
#define P9D_POSIX_H

#include <dirent.h>
#include <limits.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <time.h>

#include "p9srv.h"
#include "p9srv_posix.h"

struct lockrec;
struct dcache;

struct posix_fs {
	char		 export_path[PATH_MAX];	/* as given */
	char		 export_real[PATH_MAX];	/* resolved (realpath) */
	int		 root_fd;	/* O_PATH | O_DIRECTORY of the export */
	dev_t		 root_dev;
	ino_t		 root_ino;
	struct node	*root;		/* shared by every attach */
	bool		 as_root;	/* attach maps users (we can switch fs creds) */
	bool		 squash;
	uid_t		 squash_uid;
	gid_t		 squash_gid;
	/* lock.c: the holders of the locks granted through this export */
	pthread_mutex_t	 lock_mu;
	struct lockrec	*lock_head;
	unsigned	 lock_n;
	struct dcache	*dc;		/* dcache.c: kept directory listings */
};

/* An immutable, refcounted host object. A node reached through ".." has
 * parent NULL and name NULL (remove/rename of it answer EBUSY). */
struct node {
	atomic_uint	 refs;
	int		 fd;		/* O_PATH | O_NOFOLLOW */
	struct p9_qid	 qid;
	mode_t		 mode;		/* S_IFMT bits of the file */
	struct node	*parent;	/* reference held, or NULL */
	char		*name;		/* NUL-terminated copy, or NULL */
	struct p9srv_conn *acct;	/* whose descriptor budget fd counts against (NULL: the root) */
	struct posix_fs	*fs;
	/* The inode's generation (FS_IOC_GETVERSION) + 1 once read, 0 until
	 * then: it never changes in the inode's life. */
	_Atomic uint64_t gen1;
};

/* One fid's file. */
/*
 * A directory stream and where it stands. A Treaddir that continues where
 * the last one ended (its offset is the cookie of the last entry sent)
 * reads on without a seek: a seek drops the buffered records and makes
 * ext4 rebuild its hash-order tree of the directory, on every Treaddir of
 * a large directory. The entry read but not sent (it did not fit) is held
 * for the next one.
 */
#define PDIR_BUF	32768	/* getdents64's buffer: about 1000 short names */

/*
 * Directory listings (dcache.c). A listing of a large directory (its
 * st_size and the listing's records DC_MIN bytes or more: on ext4 two
 * blocks or more, where the hash-order index begins) from its start is recorded as getdents64 returns it and
 * kept while an inotify watch on the directory reports no change; a
 * stream that starts at cookie 0 then reads the kept records instead of
 * the kernel's, which on ext4 rebuild a hash-order tree of the whole
 * directory for every listing. The records keep the file system's
 * cookies: a Treaddir elsewhere seeks the kernel's stream as before.
 */
#define DC_MIN	8192

/* Records of a whole listing, as getdents64 gave them. Immutable once
 * kept; refcounted (a stream reading it holds a reference). */
struct dc_list {
	atomic_uint	 refs;
	uint32_t	 len;		/* bytes of recs */
	uint64_t	 recs[];	/* linux_dirent64 records, 8-aligned */
};

/* A recording under way (one per stream; wd -1: none). */
struct dc_rec {
	int		 wd;
	dev_t		 dev;
	ino_t		 ino;
	uint64_t	 events;	/* the watch's event count when it began */
	uint64_t	 epoch;		/* the cache's inotify instance then */
	struct dc_list	*list;
	size_t		 cap;		/* bytes allocated after list's header */
};

struct dc_stats {
	uint64_t	 hits;		/* listings read from kept records */
	uint64_t	 kept;		/* recordings kept */
	uint64_t	 dropped;	/* kept listings dropped: a change, age, lost events */
	size_t		 kept_bytes;	/* bytes kept now */
};

/* A cache with its own inotify instance (none, if inotify fails: then
 * nothing is kept). NULL only when out of memory. */
struct dcache *dc_new(void);
void dc_free(struct dcache *dc);
/* Off: drop everything and keep nothing more. On: again (errno if inotify
 * cannot be had). */
int dc_enable(struct dcache *dc, bool on);
struct dc_stats dc_stats(struct dcache *dc);
/* May listings of directories on a file system of statfs f_type be kept
 * (every change to it passes through this kernel)? */
bool dc_local_fs(long f_type);
/* The kept listing of directory (dev, ino), referenced, or NULL. */
struct dc_list *dc_get(struct dcache *dc, dev_t dev, ino_t ino);
void dc_list_put(struct dc_list *l);
/* Is l still the kept listing of (dev, ino): nothing changed since? */
bool dc_valid(struct dcache *dc, const struct dc_list *l, dev_t dev, ino_t ino);
/* Record the listing of fd (the directory dev, ino) that starts now: call
 * before its first getdents64, add what each one returns, and end it:
 * complete when getdents64 returned 0 after the whole directory. */
void dc_rec_begin(struct dcache *dc, struct dc_rec *rec, int fd, dev_t dev, ino_t ino);
void dc_rec_add(struct dcache *dc, struct dc_rec *rec, const void *recs, size_t n);
void dc_rec_end(struct dcache *dc, struct dc_rec *rec, bool complete);

struct pdir {
	int		 fd;		/* dup(open_fd): the stream's position */
	uint32_t	 pos, end;	/* the unread entries: buf[pos..end) */
	dev_t		 dev;		/* the directory's, for the entries' qids */
	ino_t		 ino;
	bool		 keepable;	/* its listings may be kept (dcache.c) */
	struct dc_list	*list;		/* the stream reads this kept listing */
	uint32_t	 lpos;		/* its next record */
	struct dc_rec	 rec;		/* the stream's recording, from cookie 0 */
	bool		 cont;		/* the stream stands at `resume` (after `held`) */
	bool		 held_ok;	/* held is an entry read, not sent */
	uint64_t	 resume;	/* the cookie a continuing Treaddir brings */
	struct p9_qid	 held_qid;
	uint8_t		 held_type;
	uint64_t	 held_off;
	uint16_t	 held_len;
	char		 held_name[256];
	uint64_t	 buf[PDIR_BUF / 8];	/* linux_dirent64 records, 8-aligned */
};

/*
 * Whether a read makes the host write the file's access time, which on a
 * journalling file system means a journal handle that may wait for the
 * journal's commit (preadv2 with RWF_NOWAIT waits for it too: the kernel
 * does not skip the update). A loop thread reads only where it will not:
 * on a noatime or read-only mount never; on a relatime one while the
 * access time is after the last change and less than a day old (the
 * kernel's rule, relatime_need_update); on a strictatime one always.
 * (A lazytime mount, which statfs does not tell apart, or a file with
 * the noatime attribute, counts as relatime: their due reads go to a
 * worker without need.)
 */
enum { PX_ATIME_NEVER, PX_ATIME_RELATIME, PX_ATIME_ALWAYS };

/* a at or after b */
static inline bool
px_ts_ge(struct timespec a, struct timespec b)
{
	return a.tv_sec > b.tv_sec || (a.tv_sec == b.tv_sec && a.tv_nsec >= b.tv_nsec);
}

static inline bool
px_atime_due(int mode, const struct stat *st, time_t now)
{
	if (mode == PX_ATIME_NEVER)
		return false;
	if (mode != PX_ATIME_RELATIME)
		return true;
	return px_ts_ge(st->st_mtim, st->st_atim) || px_ts_ge(st->st_ctim, st->st_atim) ||
	    now - st->st_atim.tv_sec >= 24 * 60 * 60;
}

struct pfid {
	pthread_mutex_t	 lock;		/* guards everything below */
	struct node	*node;		/* reference held; switched by Tlcreate, Trename */
	int		 open_fd;	/* -1 until Tlopen/Tlcreate; then set once */
	uint32_t	 open_flags;	/* wire flags of that open */
	uint8_t		 atime;		/* PX_ATIME_*: the mount's, learned at the open */
	bool		 keeps;		/* its file system's listings may be kept (dc_local_fs) */
	struct pdir	*dir;		/* readdir stream, lazily made */
	struct p9srv_conn *acct;	/* whose budget open_fd and dir count against */
	struct posix_fs	*fs;
};

/* The fs of a request. */
struct posix_fs *px_fs(const struct p9srv_req *r);

/* fs.c: nodes. node_new charges the new node's descriptor to acct
 * (p9srv_acct_take): past its budget it closes fd and returns NULL, and
 * the caller answers EMFILE. With acct NULL (the export root) nothing is
 * charged and it never fails. */
struct node *node_new(struct posix_fs *fs, struct p9srv_conn *acct, int fd,
    const struct stat *st, struct node *parent, const char *name);
struct node *node_ref(struct node *n);
void node_put(struct node *n);
/* A reference to f's current node (taken under f->lock). */
struct node *pfid_node(struct pfid *f);

/* fs.c: confinement. */
struct p9_qid fs_qid(const struct posix_fs *fs, const struct stat *st);
/* Copy a checked name (the engine refused empty, '/', too long) from the
 * wire NUL-terminated into buf[NAME_MAX + 1]. Returns 0 or an errno
 * (ENOENT for empty or '/', ENAMETOOLONG). */
int fs_name(struct p9_str s, char buf[]);
/* Walk one name from dir: "..": the parent, clamped at the export root;
 * ".": dir; otherwise openat(O_PATH | O_NOFOLLOW) of that entry. */
int fs_walk1(struct node *dir, struct p9srv_conn *acct, const char *name, struct node **out);
/* The magic link of descriptor fd ("/proc/self/fd/N") into buf: it names
 * the open inode itself, never a path, so going through it cannot be
 * redirected by a rename or a planted symlink. Every /proc/self/fd path
 * of the server is made here. */
#define FS_FDPATH_LEN	32
void fs_fdpath(int fd, char buf[FS_FDPATH_LEN]);
bool fs_is_root(const struct node *n);
/* Open the node for I/O with host flags, through its magic link: the node
 * itself, never a symlink target; anything but regular files and
 * directories is refused (EPERM for specials, ELOOP for symlinks).
 * Returns an fd or -errno. */
int fs_reopen(const struct node *n, int host_flags);
/* Tlopen/Tlcreate wire flags to host open flags. */
int fs_open_flags(uint32_t wire);
/* A fresh node for (dir, name) after a create. */
int fs_node_at(struct node *dir, struct p9srv_conn *acct, const char *name, struct node **out);

/* io.c: release a fid's directory stream. */
void dir_close(struct posix_fs *fs, struct pdir *pd);

/* lock.c: forget f's lock records (Rgetlock's holders), whose locks the
 * kernel drops when its open descriptor closes. Called at release. */
void lock_released(struct pfid *f);

/* The backend's callbacks, one file per family. */
int px_statfs(struct p9srv_req *r, void *file, const struct p9_tstatfs *in, struct p9_rstatfs *out);
int px_lopen(struct p9srv_req *r, void *file, const struct p9_tlopen *in, struct p9_rlopen *out);
int px_lcreate(struct p9srv_req *r, void *dir, const struct p9_tlcreate *in, struct p9_rlcreate *out);
int px_symlink(struct p9srv_req *r, void *dir, const struct p9_tsymlink *in, struct p9_rsymlink *out);
int px_mknod(struct p9srv_req *r, void *dir, const struct p9_tmknod *in, struct p9_rmknod *out);
int px_rename(struct p9srv_req *r, void *file, void *dir, const struct p9_trename *in,
    struct p9_rrename *out);
int px_readlink(struct p9srv_req *r, void *file, const struct p9_treadlink *in,
    struct p9_rreadlink *out);
int px_getattr(struct p9srv_req *r, void *file, const struct p9_tgetattr *in,
    struct p9_rgetattr *out);
int px_setattr(struct p9srv_req *r, void *file, const struct p9_tsetattr *in,
    struct p9_rsetattr *out);
int px_readdir(struct p9srv_req *r, void *file, const struct p9_treaddir *in,
    struct p9_rreaddir *out);
int px_fsync(struct p9srv_req *r, void *file, const struct p9_tfsync *in, struct p9_rfsync *out);
int px_lock(struct p9srv_req *r, void *file, const struct p9_tlock *in, struct p9_rlock *out);
int px_getlock(struct p9srv_req *r, void *file, const struct p9_tgetlock *in,
    struct p9_rgetlock *out);
int px_link(struct p9srv_req *r, void *dir, void *file, const struct p9_tlink *in,
    struct p9_rlink *out);
int px_mkdir(struct p9srv_req *r, void *dir, const struct p9_tmkdir *in, struct p9_rmkdir *out);
int px_renameat(struct p9srv_req *r, void *olddir, void *newdir, const struct p9_trenameat *in,
    struct p9_rrenameat *out);
int px_unlinkat(struct p9srv_req *r, void *dir, const struct p9_tunlinkat *in,
    struct p9_runlinkat *out);
int px_read(struct p9srv_req *r, void *file, const struct p9_tread *in, struct p9_rread *out);
int px_write(struct p9srv_req *r, void *file, const struct p9_twrite *in, struct p9_rwrite *out);
int px_remove(struct p9srv_req *r, void *file, const struct p9_tremove *in,
    struct p9_rremove *out);
long px_xattr_get(struct p9srv_req *r, void *file, const char *name, void *buf, size_t size);
int px_xattr_set(struct p9srv_req *r, void *file, const char *name, const void *value,
    size_t size, uint32_t flags);

#endif /* P9D_POSIX_H */
