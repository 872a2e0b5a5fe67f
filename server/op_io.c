/*
 * op_io.c: opening, creating, reading, writing, listing, syncing files,
 * and statfs. Every I/O goes through the descriptor Tlopen/Tlcreate put
 * in the fid, with positioned calls (pread/pwrite), since Linux sends
 * concurrent requests on one fid (spec 1.7).
 *
 * iounit: we always answer 0 ("no hint"); the Linux client then caps each
 * Tread/Twrite/Treaddir at msize - 24, which is what we can serve anyway.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/statfs.h>
#include <unistd.h>

#include "srv.h"

/* Tlcreate gives up after this many create/open races on one name. */
#define LCREATE_TRIES	4

static bool
wants_write(uint32_t flags)
{
	uint32_t acc = flags & 3;

	return acc == P9_DOTL_WRONLY || acc == P9_DOTL_RDWR || (flags & P9_DOTL_TRUNC) != 0;
}

/* The fid's open descriptor and kind, read under its lock. The descriptor
 * stays valid while we hold the fid: it is set once and closed only by
 * the last fid_put. */
static int
fid_open_fd(struct fid *f, enum fid_kind *kind)
{
	int fd;

	pthread_mutex_lock(&f->lock);
	fd = f->open_fd;
	*kind = f->kind;
	pthread_mutex_unlock(&f->lock);
	return fd;
}

/* Tlopen: prepare a fid for I/O (spec 3.6). */
int
op_lopen(struct req *r, const struct p9_tlopen *in, struct p9_rlopen *out)
{
	struct fid *f = fid_get(r->conn, in->fid);
	struct node *n;
	struct stat st;
	int fd, err = 0;

	if (f == NULL)
		return EBADF;
	pthread_mutex_lock(&f->lock);
	if (f->kind != FID_FILE || f->open_fd >= 0)
		err = EINVAL;	/* spec 3.5: already open */
	n = node_ref(f->node);
	pthread_mutex_unlock(&f->lock);
	if (err == 0 && wants_write(in->flags))
		err = srv_check_writable(r);
	if (err == 0 && !fd_take(r->conn))
		err = EMFILE;	/* the open descriptor is over the budget */
	if (err != 0)
		goto out;
	/* fs_reopen opens the node's own inode (never a symlink target) and
	 * refuses specials; the host refuses a directory opened for write
	 * (EISDIR) and DIRECTORY on a non-directory (ENOTDIR). */
	fd = fs_reopen(n, fs_open_flags(in->flags));
	if (fd < 0) {
		err = -fd;
		fd_give(r->conn);
		goto out;
	}
	if (fstat(fd, &st) != 0) {
		err = errno;
		close(fd);
		fd_give(r->conn);
		goto out;
	}
	/* Another Tlopen/Tlcreate, a Txattrcreate or an in-place walk may
	 * have changed the fid meanwhile: the first to commit wins. */
	pthread_mutex_lock(&f->lock);
	if (f->kind != FID_FILE || f->open_fd >= 0 || f->node != n) {
		err = EINVAL;
	} else {
		f->open_fd = fd;
		f->open_flags = in->flags;
	}
	pthread_mutex_unlock(&f->lock);
	if (err != 0) {
		close(fd);
		fd_give(r->conn);
		goto out;
	}
	out->qid = fs_qid(req_srv(r), &st);
	out->iounit = 0;
out:
	node_put(n);
	fid_put(f);
	return err;
}

/* A node for the file that fd (just created as `name` in dir) has open.
 * The O_PATH descriptor comes from the open file itself, through its
 * magic link, so a rename or a replacement of `name` in the meantime
 * cannot give the fid a different file than the one we opened. */
static int
node_of_fd(struct node *dir, const char *name, int fd, const struct stat *st,
    struct node **out)
{
	char path[FS_FDPATH_LEN];
	int pfd;

	fs_fdpath(fd, path);
	pfd = open(path, O_PATH | O_CLOEXEC);
	if (pfd < 0)
		return errno;
	*out = node_new(dir->srv, pfd, st, dir, name);
	return *out != NULL ? 0 : EMFILE;
}

/*
 * Open an existing `name` in dir as Tlcreate without EXCL does (like
 * open(O_CREAT) of an existing file), but only a regular file: the entry
 * is looked up without following symlinks (ELOOP, as O_NOFOLLOW would
 * answer), a directory is EISDIR, and specials are refused by fs_reopen
 * (spec 3.6, CVE-2023-2861). Returns 0 with *fd and *node, or an errno.
 */
static int
open_existing(struct node *dir, const char *name, int host, int *fd, struct node **node)
{
	struct node *n;
	int err = fs_node_at(dir, name, &n);

	if (err != 0)
		return err;
	if (S_ISDIR(n->mode)) {
		node_put(n);
		return EISDIR;
	}
	*fd = fs_reopen(n, host);
	if (*fd < 0) {
		node_put(n);
		return -*fd;
	}
	*node = n;
	return 0;
}

/*
 * Create (or, without EXCL, open) `name` in dir for Tlcreate. First try an
 * exclusive create; if the name exists and the client did not ask for
 * EXCL, open what is there. A name removed between those two steps sends
 * us round again, a bounded number of times. O_NOFOLLOW on the create and
 * the no-follow lookup in open_existing keep a planted symlink from
 * creating or opening anything outside the export (spec 3.7).
 */
static int
create_or_open(struct node *dir, const char *name, const struct p9_tlcreate *in,
    int *fd, struct node **node, struct stat *st)
{
	/* Tlcreate makes regular files: DIRECTORY has no meaning here. */
	int host = fs_open_flags(in->flags) & ~O_DIRECTORY;
	int err = EEXIST, i;

	for (i = 0; i < LCREATE_TRIES; i++) {
		*fd = openat(dir->fd, name, host | O_CREAT | O_EXCL | O_NOFOLLOW,
		    (mode_t)(in->mode & 07777));
		if (*fd >= 0)
			break;
		err = errno;
		if (err != EEXIST || (host & O_EXCL) != 0)
			return err;
		err = open_existing(dir, name, host, fd, node);
		if (err == 0)
			return fstat(*fd, st) == 0 ? 0 : errno;
		if (err != ENOENT)
			return err;
	}
	if (i == LCREATE_TRIES)
		return err;
	/* We created it: the mode went in exactly (the server runs with
	 * umask 0, spec 3.7); apply the creator's group. An unprivileged
	 * server may not chown to a group it is not in: keep the file with
	 * the group it got (diod does the same). */
	if (fstat(*fd, st) != 0)
		return errno;
	if (in->gid != (uint32_t)-1 && st->st_gid != (gid_t)in->gid) {
		if (fchown(*fd, (uid_t)-1, (gid_t)in->gid) == 0)
			st->st_gid = (gid_t)in->gid;
		else if (errno != EPERM && errno != EINVAL)
			return errno;
	}
	return node_of_fd(dir, name, *fd, st, node);
}

/* Tlcreate: create a regular file in the directory fid and turn the fid
 * into that file, opened (spec 3.5, 3.7). On error the fid is unchanged;
 * the file may exist if the failure came after its creation. */
int
op_lcreate(struct req *r, const struct p9_tlcreate *in, struct p9_rlcreate *out)
{
	struct fid *f = fid_get(r->conn, in->fid);
	struct node *dir, *nn = NULL, *old = NULL;
	char name[NAME_MAX + 1];
	struct stat st;
	int fd = -1, err;
	bool charged = false;

	if (f == NULL)
		return EBADF;
	err = srv_check_writable(r);
	pthread_mutex_lock(&f->lock);
	if (err == 0 && (f->kind != FID_FILE || f->open_fd >= 0))
		err = EINVAL;
	dir = node_ref(f->node);
	pthread_mutex_unlock(&f->lock);
	if (err == 0 && !S_ISDIR(dir->mode))
		err = ENOTDIR;
	if (err == 0)
		err = fs_name(in->name, name);
	if (err == 0 && (strcmp(name, ".") == 0 || strcmp(name, "..") == 0))
		err = EEXIST;	/* CVE-2016-7116 */
	/* The open descriptor is charged before anything is created (the
	 * new node is charged by node_new, after: the file then exists). */
	if (err == 0 && !fd_take(r->conn))
		err = EMFILE;
	else if (err == 0)
		charged = true;
	if (err == 0)
		err = create_or_open(dir, name, in, &fd, &nn, &st);
	if (err != 0)
		goto fail;
	/* Switch node and open state in one critical section, so nobody sees
	 * the new file unopened; whoever changed the fid first wins. */
	pthread_mutex_lock(&f->lock);
	if (f->kind != FID_FILE || f->open_fd >= 0 || f->node != dir) {
		err = EINVAL;
	} else {
		old = f->node;
		f->node = nn;
		f->open_fd = fd;
		f->open_flags = in->flags;
	}
	pthread_mutex_unlock(&f->lock);
	if (err != 0)
		goto fail;
	node_put(old);
	out->qid = fs_qid(req_srv(r), &st);
	out->iounit = 0;
	node_put(dir);
	fid_put(f);
	return 0;
fail:
	if (fd >= 0)
		close(fd);
	if (charged)
		fd_give(r->conn);
	node_put(nn);
	node_put(dir);
	fid_put(f);
	return err;
}

/* Tread: pread straight into the reply (spec 3.8). The host checks the
 * access mode (EBADF on a write-only fd) and answers EISDIR for a
 * directory. A short read is legal; 0 is end of file. */
int
op_read(struct req *r, const struct p9_tread *in, struct p9_rread *out)
{
	struct fid *f = fid_get(r->conn, in->fid);
	enum fid_kind kind;
	ssize_t n;
	int fd, err = 0;

	if (f == NULL)
		return EBADF;
	fd = fid_open_fd(f, &kind);
	if (kind == FID_XATTR_READ) {
		err = xattr_read(r, f, in, out);
		fid_put(f);
		return err;
	}
	if (kind != FID_FILE || fd < 0)
		err = EBADF;
	else if (in->offset > (uint64_t)INT64_MAX)
		err = EINVAL;
	if (err == 0) {
		do
			n = pread(fd, r->rdata, r->rroom, (off_t)in->offset);
		while (n < 0 && errno == EINTR);
		if (n < 0) {
			err = errno;
		} else {
			out->data.ptr = r->rdata;
			out->data.len = (uint32_t)n;
		}
	}
	fid_put(f);
	return err;
}

/* Write all of buf at off; returns the count written, or -errno if nothing
 * was. A host write of 0 bytes becomes ENOSPC: an Rwrite of 0 for a
 * non-empty request makes the Linux client retry forever (spec 3.8). */
static long
write_all(int fd, const uint8_t *buf, uint32_t len, uint64_t off)
{
	uint32_t done = 0;

	while (done < len) {
		/* With an O_APPEND descriptor Linux's pwrite appends and
		 * ignores the offset, which is what APPEND asks for. */
		ssize_t n = pwrite(fd, buf + done, len - done, (off_t)(off + done));

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			if (done > 0)
				break;
			return n == 0 ? -ENOSPC : -errno;
		}
		done += (uint32_t)n;
	}
	return (long)done;
}

/* Twrite: pwrite the request's data (spec 3.8). */
int
op_write(struct req *r, const struct p9_twrite *in, struct p9_rwrite *out)
{
	struct fid *f = fid_get(r->conn, in->fid);
	enum fid_kind kind;
	long n;
	int fd, err;

	if (f == NULL)
		return EBADF;
	err = srv_check_writable(r);
	fd = fid_open_fd(f, &kind);
	if (err == 0 && kind == FID_XATTR_WRITE) {
		err = xattr_write(r, f, in, out);
		fid_put(f);
		return err;
	}
	if (err == 0 && (kind != FID_FILE || fd < 0))
		err = EBADF;
	if (err == 0 && (in->offset > (uint64_t)INT64_MAX ||
	    in->data.len > (uint64_t)INT64_MAX - in->offset))
		err = EFBIG;
	if (err == 0) {
		n = write_all(fd, in->data.ptr, in->data.len, in->offset);
		if (n < 0)
			err = (int)-n;
		else
			out->count = (uint32_t)n;
	}
	fid_put(f);
	return err;
}

/*
 * The qid and type of one directory entry (spec 3.12). qid.path must be
 * what a walk to the name gives, so the entry is looked up as walk does
 * (no symlink following, crossing into whatever is mounted there); ".."
 * at the export root is the root itself, as walk clamps it. If the entry
 * cannot be looked up (a directory we may list but not search), fall back
 * to the host's d_ino on the directory's device. Returns 0, or ENOENT if
 * the entry vanished since it was listed (the caller skips it).
 */
static int
entry_qid(const struct srv *s, DIR *d, const struct dirent *de, bool at_root,
    struct p9_qid *qid, uint8_t *type)
{
	struct stat st;
	int dfd = dirfd(d);

	if (at_root && strcmp(de->d_name, "..") == 0) {
		if (fstat(dfd, &st) != 0)
			return errno;
	} else if (fstatat(dfd, de->d_name, &st, AT_SYMLINK_NOFOLLOW) != 0) {
		if (errno == ENOENT)
			return ENOENT;
		if (fstat(dfd, &st) != 0)
			return errno;
		st.st_ino = de->d_ino;
		st.st_mode = de->d_type != DT_UNKNOWN ? DTTOIF(de->d_type) : S_IFREG;
		st.st_size = 0;
		st.st_mtim.tv_sec = 0;
		st.st_mtim.tv_nsec = 0;
	}
	*qid = fs_qid(s, &st);
	*type = de->d_type != DT_UNKNOWN ? de->d_type : (uint8_t)IFTODT(st.st_mode);
	if (at_root && strcmp(de->d_name, "..") == 0)
		*type = DT_DIR;
	return 0;
}

/*
 * Pack whole entries from the fid's directory stream, starting at cookie
 * `offset`, into buf[0..room). Called with f->lock held: the stream's
 * position is shared state, and holding the lock across getdents is the
 * one exception srv.h allows. Each entry's offset is the stream position
 * after it (telldir), which seekdir accepts for the life of the stream.
 */
static int
dir_fill(struct fid *f, uint64_t offset, uint8_t *buf, uint32_t room, uint32_t *used)
{
	bool at_root = fs_is_root(f->node);
	struct dirent *de;
	struct p9_dirent ent;

	if (f->dir == NULL) {
		int fd, err;

		if (!fd_take(f->conn))
			return EMFILE;	/* the stream's descriptor is over the budget */
		fd = fcntl(f->open_fd, F_DUPFD_CLOEXEC, 0);
		if (fd < 0) {
			err = errno;
			fd_give(f->conn);
			return err;
		}
		if ((f->dir = fdopendir(fd)) == NULL) {
			err = errno;
			close(fd);
			fd_give(f->conn);
			return err;
		}
	}
	/* Seek every time: the stream may have read ahead past the last
	 * entry we sent, and the client may restart from any cookie. No
	 * cookie we hand out is above INT64_MAX (telldir is a long), and
	 * glibc's seekdir would silently keep the old position for one. */
	if (offset > (uint64_t)INT64_MAX)
		return EINVAL;
	if (offset == 0)
		rewinddir(f->dir);
	else
		seekdir(f->dir, (long)offset);
	for (;;) {
		int err;

		errno = 0;
		de = readdir(f->dir);
		if (de == NULL) {
			/* An error after some entries: send those; the next
			 * Treaddir meets the error again. */
			if (errno != 0 && *used == 0)
				return errno;
			return 0;
		}
		err = entry_qid(fid_srv(f), f->dir, de, at_root, &ent.qid, &ent.type);
		if (err == ENOENT)
			continue;
		if (err != 0)
			return *used == 0 ? err : 0;
		ent.offset = (uint64_t)telldir(f->dir);
		ent.name.ptr = de->d_name;
		ent.name.len = (uint16_t)strlen(de->d_name);
		if (p9_dirent_put(buf, room, used, &ent) != 0) {
			/* spec 3.12: not even one entry fits -> EINVAL. The
			 * next Treaddir brings the last cookie we sent. */
			return *used == 0 ? EINVAL : 0;
		}
	}
}

/* Treaddir: list an opened directory (spec 3.12). Requests on one fid are
 * serialised by its lock, held for the whole operation. */
int
op_readdir(struct req *r, const struct p9_treaddir *in, struct p9_rreaddir *out)
{
	struct fid *f = fid_get(r->conn, in->fid);
	uint32_t room, used = 0;
	int err;

	if (f == NULL)
		return EBADF;
	room = r->rroom < in->count ? r->rroom : in->count;
	pthread_mutex_lock(&f->lock);
	if (f->kind != FID_FILE || f->open_fd < 0)
		err = EBADF;
	else if (!S_ISDIR(f->node->mode))
		err = ENOTDIR;
	else
		err = dir_fill(f, in->offset, r->rdata, room, &used);
	pthread_mutex_unlock(&f->lock);
	fid_put(f);
	if (err != 0)
		return err;
	out->data.ptr = r->rdata;
	out->data.len = used;
	return 0;
}

/* Tfsync: flush an opened file to stable storage (spec 3.18). Xattr fids
 * are not opened files and answer EBADF, like unopened ones: their value
 * reaches the file only at clunk. */
int
op_fsync(struct req *r, const struct p9_tfsync *in, struct p9_rfsync *out)
{
	struct fid *f = fid_get(r->conn, in->fid);
	enum fid_kind kind;
	int fd, err = 0;

	(void)out;
	if (f == NULL)
		return EBADF;
	fd = fid_open_fd(f, &kind);
	if (kind != FID_FILE || fd < 0)
		err = EBADF;
	else if ((in->datasync != 0 ? fdatasync(fd) : fsync(fd)) != 0)
		err = errno;
	fid_put(f);
	return err;
}

/* Tstatfs: the host file system holding the fid's file (spec 3.13), with
 * the host's values unchanged, on any fid, opened or not. */
int
op_statfs(struct req *r, const struct p9_tstatfs *in, struct p9_rstatfs *out)
{
	struct fid *f = fid_get(r->conn, in->fid);
	struct node *n;
	struct statfs sf;
	int err = 0;

	if (f == NULL)
		return EBADF;
	n = fid_node(f);
	if (fstatfs(n->fd, &sf) != 0) {
		err = errno;
	} else {
		out->type = (uint32_t)sf.f_type;
		out->bsize = (uint32_t)sf.f_bsize;
		out->blocks = sf.f_blocks;
		out->bfree = sf.f_bfree;
		out->bavail = sf.f_bavail;
		out->files = sf.f_files;
		out->ffree = sf.f_ffree;
		out->fsid = (uint64_t)(uint32_t)sf.f_fsid.__val[0] |
		    (uint64_t)(uint32_t)sf.f_fsid.__val[1] << 32;
		out->namelen = (uint32_t)sf.f_namelen;
	}
	node_put(n);
	fid_put(f);
	return err;
}
