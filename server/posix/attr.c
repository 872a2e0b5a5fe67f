/*
 * Tgetattr and Tsetattr (spec 3.10, 3.11). Both act on the object the fid
 * names, never on a symlink's target. An unopened fid is reached through
 * its node's O_PATH | O_NOFOLLOW descriptor (fstat of it is lstat of the
 * node); an opened one through its open descriptor, so that open; unlink;
 * fstat and open; unlink; ftruncate keep working (diod #19, #47).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>
#include <linux/fs.h>

#include "posix.h"

/* What a request works on: the fid's node and, if the fid is opened, its
 * open descriptor (valid while a callback runs: it is set once and closed
 * only at release). */
struct target {
	struct node	*node;		/* reference held */
	int		 open_fd;	/* -1 if not opened */
	uint32_t	 open_flags;	/* wire flags of the open */
};

static void
target_get(struct pfid *f, struct target *t)
{
	pthread_mutex_lock(&f->lock);
	t->node = node_ref(f->node);
	t->open_fd = f->open_fd;
	t->open_flags = f->open_flags;
	pthread_mutex_unlock(&f->lock);
}

/*
 * Stat fd itself (AT_EMPTY_PATH: a symlink's O_PATH descriptor gives the
 * link). One statx call yields the basic fields and btime where the file
 * system records one; without statx (old kernel, seccomp) fstat, no btime.
 */
static int
stat_fd(int fd, struct stat *st, struct timespec *btime, bool *has_btime)
{
	struct statx sx;

	*has_btime = false;
	if (statx(fd, "", AT_EMPTY_PATH | AT_SYMLINK_NOFOLLOW | AT_STATX_SYNC_AS_STAT,
	    STATX_BASIC_STATS | STATX_BTIME, &sx) != 0) {
		if (errno != ENOSYS && errno != EPERM)
			return errno;
		return fstat(fd, st) == 0 ? 0 : errno;
	}
	memset(st, 0, sizeof(*st));
	st->st_dev = makedev(sx.stx_dev_major, sx.stx_dev_minor);
	st->st_ino = sx.stx_ino;
	st->st_mode = sx.stx_mode;
	st->st_nlink = sx.stx_nlink;
	st->st_uid = sx.stx_uid;
	st->st_gid = sx.stx_gid;
	st->st_rdev = makedev(sx.stx_rdev_major, sx.stx_rdev_minor);
	st->st_size = (off_t)sx.stx_size;
	st->st_blksize = (blksize_t)sx.stx_blksize;
	st->st_blocks = (blkcnt_t)sx.stx_blocks;
	st->st_atim.tv_sec = sx.stx_atime.tv_sec;
	st->st_atim.tv_nsec = sx.stx_atime.tv_nsec;
	st->st_mtim.tv_sec = sx.stx_mtime.tv_sec;
	st->st_mtim.tv_nsec = sx.stx_mtime.tv_nsec;
	st->st_ctim.tv_sec = sx.stx_ctime.tv_sec;
	st->st_ctim.tv_nsec = sx.stx_ctime.tv_nsec;
	if (sx.stx_mask & STATX_BTIME) {
		btime->tv_sec = sx.stx_btime.tv_sec;
		btime->tv_nsec = sx.stx_btime.tv_nsec;
		*has_btime = true;
	}
	return 0;
}

/* The Linux dev_t wire encoding (new_encode_dev), which v9fs decodes with
 * new_decode_dev(); independent of the host's dev_t layout. */
static uint64_t
linux_dev(dev_t d)
{
	uint64_t ma = major(d), mi = minor(d);

	return (mi & 0xff) | (ma & 0xfff) << 8 | (mi & ~(uint64_t)0xff) << 12;
}

/*
 * The inode generation for cached clients (spec 4.4). FS_IOC_GETVERSION
 * needs a real descriptor: the fid's own if opened, else a short read-only
 * open of a regular file or directory (QEMU's policy). Specials are never
 * opened (CVE-2023-2861). False where the file system has no generation or
 * the open is refused. Read once per node (node->gen1).
 */
static bool
get_gen(const struct target *t, const struct stat *st, uint64_t *gen)
{
	union {
		long		l;	/* room for a long, in case */
		uint32_t	u;	/* file systems store an int */
	} v = { 0 };
	int fd = t->open_fd;
	uint64_t known = atomic_load_explicit(&t->node->gen1, memory_order_relaxed);
	bool ok;

	if (known != 0) {
		*gen = known - 1;
		return true;
	}
	if (fd < 0) {
		if (!S_ISREG(st->st_mode) && !S_ISDIR(st->st_mode))
			return false;
		fd = fs_reopen(t->node, O_RDONLY | O_NONBLOCK);
		if (fd < 0)
			return false;
	}
	ok = ioctl(fd, FS_IOC_GETVERSION, &v) == 0;
	if (fd != t->open_fd)
		close(fd);
	*gen = v.u;
	/* Only a success is kept: a refused open may be this user's. */
	if (ok)
		atomic_store_explicit(&t->node->gen1, (uint64_t)v.u + 1, memory_order_relaxed);
	return ok;
}

/*
 * Tgetattr: every field is filled from one stat of the object. valid is
 * always BASIC (like QEMU, regardless of request_mask: the client copies
 * what valid names), plus BTIME when the file system records it and GEN
 * when asked for and available. data_version is never valid.
 */
int
px_getattr(struct p9srv_req *r, void *file, const struct p9_tgetattr *in,
    struct p9_rgetattr *out)
{
	struct target t;
	struct stat st;
	struct timespec btime = { 0, 0 };
	bool has_btime;
	uint64_t gen = 0;
	int err;

	(void)r;
	target_get(file, &t);
	err = stat_fd(t.open_fd >= 0 ? t.open_fd : t.node->fd, &st, &btime, &has_btime);
	if (err == 0) {
		out->valid = P9_GETATTR_BASIC;
		if (has_btime)
			out->valid |= P9_GETATTR_BTIME;
		if ((in->request_mask & P9_GETATTR_GEN) && get_gen(&t, &st, &gen))
			out->valid |= P9_GETATTR_GEN;
		out->qid = fs_qid(t.node->fs, &st);
		out->mode = st.st_mode;
		out->uid = st.st_uid;
		out->gid = st.st_gid;
		out->nlink = st.st_nlink;
		out->rdev = linux_dev(st.st_rdev);
		out->size = (uint64_t)st.st_size;
		out->blksize = (uint64_t)st.st_blksize;
		out->blocks = (uint64_t)st.st_blocks;	/* 512-byte units on Linux */
		out->atime_sec = (uint64_t)st.st_atim.tv_sec;
		out->atime_nsec = (uint64_t)st.st_atim.tv_nsec;
		out->mtime_sec = (uint64_t)st.st_mtim.tv_sec;
		out->mtime_nsec = (uint64_t)st.st_mtim.tv_nsec;
		out->ctime_sec = (uint64_t)st.st_ctim.tv_sec;
		out->ctime_nsec = (uint64_t)st.st_ctim.tv_nsec;
		out->btime_sec = (uint64_t)btime.tv_sec;
		out->btime_nsec = (uint64_t)btime.tv_nsec;
		out->gen = gen;
		out->data_version = 0;
	}
	node_put(t.node);
	return err;
}

/* fchownat with AT_EMPTY_PATH works on O_PATH descriptors and, with
 * AT_SYMLINK_NOFOLLOW, changes a symlink itself (lchown). */
static int
set_owner(const struct target *t, uid_t uid, gid_t gid)
{
	if (fchownat(t->node->fd, "", uid, gid, AT_EMPTY_PATH | AT_SYMLINK_NOFOLLOW) != 0)
		return errno;
	return 0;
}

static int
set_mode(const struct target *t, mode_t mode)
{
	char path[FS_FDPATH_LEN];

	if (t->open_fd >= 0)
		return fchmod(t->open_fd, mode) == 0 ? 0 : errno;
	/* Linux symlinks have no mode of their own (lchmod is EOPNOTSUPP). */
	if (S_ISLNK(t->node->mode))
		return EOPNOTSUPP;
	/* fchmod refuses O_PATH descriptors; the magic link resolves to the
	 * inode itself, not to a name that could be swapped for a symlink. */
	fs_fdpath(t->node->fd, path);
	return chmod(path, mode) == 0 ? 0 : errno;
}

static int
set_size(const struct target *t, uint64_t size)
{
	uint32_t acc = t->open_flags & 3;
	int fd, err = 0;

	if (S_ISDIR(t->node->mode))
		return EISDIR;
	/* Never truncate through a symlink, never open a special file. */
	if (!S_ISREG(t->node->mode) || size > INT64_MAX)
		return EINVAL;
	/* Tsetattr on the open fid is how ftruncate and open(O_TRUNC)
	 * arrive (4.3); it must work after the name is gone. */
	if (t->open_fd >= 0 && (acc == P9_DOTL_WRONLY || acc == P9_DOTL_RDWR))
		return ftruncate(t->open_fd, (off_t)size) == 0 ? 0 : errno;
	/* truncate(2) by path: needs write permission, which the open checks
	 * with the request's credentials. */
	fd = fs_reopen(t->node, O_WRONLY | O_NONBLOCK);
	if (fd < 0)
		return -fd;
	if (ftruncate(fd, (off_t)size) != 0)
		err = errno;
	close(fd);
	return err;
}

/* spec 3.11: bit clear -> UTIME_OMIT; bit without *_SET -> UTIME_NOW;
 * with *_SET -> the given time. */
static int
wire_time(uint32_t valid, uint32_t bit, uint32_t setbit, uint64_t sec, uint64_t nsec,
    struct timespec *ts)
{
	ts->tv_sec = 0;
	if (!(valid & bit)) {
		ts->tv_nsec = UTIME_OMIT;
		return 0;
	}
	if (!(valid & setbit)) {
		ts->tv_nsec = UTIME_NOW;
		return 0;
	}
	/* A nanosecond field must not smuggle in UTIME_NOW/UTIME_OMIT. */
	if (nsec >= 1000000000)
		return EINVAL;
	ts->tv_sec = (time_t)(int64_t)sec;
	ts->tv_nsec = (long)nsec;
	return 0;
}

static int
set_times(const struct target *t, const struct p9_tsetattr *in)
{
	struct timespec ts[2];
	char path[FS_FDPATH_LEN];
	int err;

	err = wire_time(in->valid, P9_SETATTR_ATIME, P9_SETATTR_ATIME_SET,
	    in->atime_sec, in->atime_nsec, &ts[0]);
	if (err == 0)
		err = wire_time(in->valid, P9_SETATTR_MTIME, P9_SETATTR_MTIME_SET,
		    in->mtime_sec, in->mtime_nsec, &ts[1]);
	if (err != 0)
		return err;
	if (!S_ISLNK(t->node->mode)) {
		/* futimens refuses O_PATH descriptors; see set_mode. */
		fs_fdpath(t->node->fd, path);
		return utimensat(AT_FDCWD, path, ts, 0) == 0 ? 0 : errno;
	}
	/* A symlink's own times: AT_EMPTY_PATH names the link itself with no
	 * name to race on. Kernels that refuse AT_EMPTY_PATH here (EINVAL)
	 * get the link by its parent and name, never followed. */
	if (utimensat(t->node->fd, "", ts, AT_EMPTY_PATH | AT_SYMLINK_NOFOLLOW) == 0)
		return 0;
	if (errno != EINVAL)
		return errno;
	if (t->node->parent == NULL || t->node->name == NULL)
		return EOPNOTSUPP;
	if (utimensat(t->node->parent->fd, t->node->name, ts, AT_SYMLINK_NOFOLLOW) != 0)
		return errno;
	return 0;
}

#define SETATTR_CHANGES	(P9_SETATTR_MODE | P9_SETATTR_UID | P9_SETATTR_GID | \
	P9_SETATTR_SIZE | P9_SETATTR_ATIME | P9_SETATTR_MTIME)

/*
 * Owner, then mode, then size, then times (spec 3.11's recommendation:
 * chown may clear setuid bits the new mode sets again, and truncation
 * would overwrite an explicit mtime). Not atomic: the first failure is
 * returned and earlier changes stay.
 */
static int
setattr_apply(const struct target *t, const struct p9_tsetattr *in)
{
	uint32_t v = in->valid;
	int err = 0;

	if (v & (P9_SETATTR_UID | P9_SETATTR_GID))
		err = set_owner(t, (v & P9_SETATTR_UID) ? (uid_t)in->uid : (uid_t)-1,
		    (v & P9_SETATTR_GID) ? (gid_t)in->gid : (gid_t)-1);
	if (err == 0 && (v & P9_SETATTR_MODE))
		err = set_mode(t, (mode_t)(in->mode & 07777));	/* Linux sends type bits too */
	if (err == 0 && (v & P9_SETATTR_SIZE))
		err = set_size(t, in->size);
	if (err == 0 && (v & (P9_SETATTR_ATIME | P9_SETATTR_MTIME)))
		err = set_times(t, in);
	/* CTIME alone: ctime cannot be set directly; a no-op chown bumps it
	 * (QEMU, diod). Any change above has moved it already. */
	if (err == 0 && (v & P9_SETATTR_CTIME) && !(v & SETATTR_CHANGES))
		err = set_owner(t, (uid_t)-1, (gid_t)-1);
	return err;
}

int
px_setattr(struct p9srv_req *r, void *file, const struct p9_tsetattr *in,
    struct p9_rsetattr *out)
{
	struct target t;
	int err;

	(void)r; (void)out;
	target_get(file, &t);
	err = setattr_apply(&t, in);
	node_put(t.node);
	return err;
}
