/*
 * The POSIX backend: opening, creating, reading, writing, listing, syncing files,
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
#include <stdlib.h>
#include <string.h>
#include <stdatomic.h>
#include <stdint.h>
#include <sys/statfs.h>
#include <sys/statvfs.h>	/* ST_NOATIME, ST_RDONLY, ST_RELATIME: statfs's f_flags */
#include <sys/syscall.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#include "posix.h"

/* Tlcreate gives up after this many create/open races on one name. */
#define LCREATE_TRIES	4

/* The file's open descriptor and the PX_ATIME_* of its mount, read under
 * its lock. The descriptor stays valid while a callback runs: it is set
 * once and closed only at release. */
static int
open_fd_atime(struct pfid *f, int *atime)
{
	int fd;

	pthread_mutex_lock(&f->lock);
	fd = f->open_fd;
	*atime = f->atime;
	pthread_mutex_unlock(&f->lock);
	return fd;
}

static int
open_fd(struct pfid *f)
{
	int atime;

	return open_fd_atime(f, &atime);
}

/* PX_ATIME_* of the mount fd is on (posix.h): from statfs's mount flags;
 * unknown counts as always. *keeps: whether listings of directories on
 * that file system may be kept (dcache.c). */
static int
mount_atime(int fd, bool *keeps)
{
	struct statfs sfs;

	*keeps = false;
	if (fstatfs(fd, &sfs) != 0)
		return PX_ATIME_ALWAYS;
	*keeps = dc_local_fs((long)sfs.f_type);
	if (sfs.f_flags & (ST_NOATIME | ST_RDONLY))
		return PX_ATIME_NEVER;
	return sfs.f_flags & ST_RELATIME ? PX_ATIME_RELATIME : PX_ATIME_ALWAYS;
}

/* Tlopen: prepare a fid for I/O (spec 3.6). */
int
px_lopen(struct p9srv_req *r, void *file, const struct p9_tlopen *in, struct p9_rlopen *out)
{
	struct pfid *f = file;
	struct node *n = pfid_node(f);
	struct stat st;
	int fd, atime, err = 0;
	bool keeps;

	(void)r;
	if (!p9srv_acct_take(f->acct)) {
		err = EMFILE;	/* the open descriptor is over the budget */
		goto out;
	}
	/* fs_reopen opens the node's own inode (never a symlink target) and
	 * refuses specials; the host refuses a directory opened for write
	 * (EISDIR) and DIRECTORY on a non-directory (ENOTDIR). */
	fd = fs_reopen(n, fs_open_flags(in->flags));
	if (fd < 0) {
		err = -fd;
		p9srv_acct_give(f->acct);
		goto out;
	}
	if (fstat(fd, &st) != 0) {
		err = errno;
		close(fd);
		p9srv_acct_give(f->acct);
		goto out;
	}
	atime = mount_atime(fd, &keeps);
	/* Another Tlopen/Tlcreate on the fid may have committed meanwhile:
	 * the first wins. */
	pthread_mutex_lock(&f->lock);
	if (f->open_fd >= 0 || f->node != n) {
		err = EINVAL;
	} else {
		f->open_fd = fd;
		f->open_flags = in->flags;
		f->atime = (uint8_t)atime;
		f->keeps = keeps;
	}
	pthread_mutex_unlock(&f->lock);
	if (err != 0) {
		close(fd);
		p9srv_acct_give(f->acct);
		goto out;
	}
	out->qid = fs_qid(f->fs, &st);
	out->iounit = 0;
out:
	node_put(n);
	return err;
}

/* A node for the file that fd (just created as `name` in dir) has open.
 * The O_PATH descriptor comes from the open file itself, through its
 * magic link, so a rename or a replacement of `name` in the meantime
 * cannot give the fid a different file than the one we opened. */
static int
node_of_fd(struct node *dir, struct p9srv_conn *acct, const char *name, int fd,
    const struct stat *st, struct node **out)
{
	char path[FS_FDPATH_LEN];
	int pfd;

	fs_fdpath(fd, path);
	pfd = open(path, O_PATH | O_CLOEXEC);
	if (pfd < 0)
		return errno;
	*out = node_new(dir->fs, acct, pfd, st, dir, name);
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
open_existing(struct node *dir, struct p9srv_conn *acct, const char *name, int host, int *fd,
    struct node **node)
{
	struct node *n;
	int err = fs_node_at(dir, acct, name, &n);

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
create_or_open(struct node *dir, struct p9srv_conn *acct, const char *name,
    const struct p9_tlcreate *in, int *fd, struct node **node, struct stat *st)
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
		err = open_existing(dir, acct, name, host, fd, node);
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
	return node_of_fd(dir, acct, name, *fd, st, node);
}

/* Tlcreate: create a regular file in the directory fid and turn the fid
 * into that file, opened (spec 3.5, 3.7). On error the fid is unchanged;
 * the file may exist if the failure came after its creation. */
int
px_lcreate(struct p9srv_req *r, void *file, const struct p9_tlcreate *in, struct p9_rlcreate *out)
{
	struct pfid *f = file;
	struct node *dir = pfid_node(f), *nn = NULL, *old = NULL;
	char name[NAME_MAX + 1];
	struct stat st;
	int fd = -1, atime, err;
	bool charged = false, keeps;

	(void)r;
	err = fs_name(in->name, name);
	if (err == 0 && (strcmp(name, ".") == 0 || strcmp(name, "..") == 0))
		err = EEXIST;	/* CVE-2016-7116 */
	/* The open descriptor is charged before anything is created (the
	 * new node is charged by node_new, after: the file then exists). */
	if (err == 0 && !p9srv_acct_take(f->acct))
		err = EMFILE;
	else if (err == 0)
		charged = true;
	if (err == 0)
		err = create_or_open(dir, f->acct, name, in, &fd, &nn, &st);
	if (err != 0)
		goto fail;
	atime = mount_atime(fd, &keeps);
	/* Switch node and open state in one critical section, so nobody sees
	 * the new file unopened; whoever changed the fid first wins. */
	pthread_mutex_lock(&f->lock);
	if (f->open_fd >= 0 || f->node != dir) {
		err = EINVAL;
	} else {
		old = f->node;
		f->node = nn;
		f->open_fd = fd;
		f->open_flags = in->flags;
		f->atime = (uint8_t)atime;
		f->keeps = keeps;
	}
	pthread_mutex_unlock(&f->lock);
	if (err != 0)
		goto fail;
	node_put(old);
	out->qid = fs_qid(f->fs, &st);
	out->iounit = 0;
	node_put(dir);
	return 0;
fail:
	if (fd >= 0)
		close(fd);
	if (charged)
		p9srv_acct_give(f->acct);
	node_put(nn);
	node_put(dir);
	return err;
}

/*
 * Reads of at least this many bytes go to the client by splice
 * (p9srv_reply_fd: no copy through the server); smaller ones are copied,
 * which costs less than the pipe's round.
 */
#ifndef SPLICE_MIN
#define SPLICE_MIN	(256 * 1024)
#endif

/* cachestat(2) (Linux 6.5), declared here: older headers lack it. */
#ifndef SYS_cachestat
#define SYS_cachestat	451
#endif
struct px_cachestat_range {
	uint64_t	off, len;
};
struct px_cachestat {
	uint64_t	nr_cache, nr_dirty, nr_writeback, nr_evicted, nr_recently_evicted;
};
static atomic_bool no_cachestat;	/* the kernel has none: never ask again */

/* Does the page cache hold every page of [off, off + len) of fd (so that
 * splicing it cannot wait for the disk)? False when it cannot tell. */
static bool
all_cached(int fd, uint64_t off, uint32_t len)
{
	struct px_cachestat_range range = { off & ~(uint64_t)4095, 0 };
	struct px_cachestat cs = { 0 };
	uint64_t end = off + len;

	if (atomic_load_explicit(&no_cachestat, memory_order_relaxed))
		return false;
	range.len = ((end + 4095) & ~(uint64_t)4095) - range.off;
	if (syscall(SYS_cachestat, fd, &range, &cs, 0) != 0) {
		if (errno == ENOSYS)
			atomic_store_explicit(&no_cachestat, true, memory_order_relaxed);
		return false;
	}
	return cs.nr_cache == range.len / 4096;
}

/* Tread: pread straight into the reply (spec 3.8), or for a large read of
 * a regular file, splice from the page cache to the socket. The host
 * checks the access mode (EBADF on a write-only fd) and answers EISDIR for
 * a directory. A short read is legal; 0 is end of file. */
int
px_read(struct p9srv_req *r, void *file, const struct p9_tread *in, struct p9_rread *out)
{
	uint32_t room;
	uint8_t *data = p9srv_req_rdata(r, &room);
	int atime, fd = open_fd_atime(file, &atime);
	struct stat st;
	ssize_t n;

	if (in->offset > (uint64_t)INT64_MAX)
		return EINVAL;
	/* On the loop thread, a read that would write the access time may
	 * wait for the journal: a worker reads it. */
	if (p9srv_req_can_defer(r) && atime != PX_ATIME_NEVER &&
	    (fstat(fd, &st) != 0 || px_atime_due(atime, &st, time(NULL))))
		return P9SRV_BLOCKS;
	/* On the loop thread only what the page cache holds (a read at
	 * the end of the file counts pages past it as missing: it is
	 * copied). The engine answers -EAGAIN when it cannot splice. */
	if (room >= SPLICE_MIN && (!p9srv_req_can_defer(r) || all_cached(fd, in->offset, room)) &&
	    p9srv_reply_fd(r, fd, in->offset, room) > 0)
		return P9SRV_REPLIED;
	if (p9srv_req_can_defer(r)) {
		/* On the loop thread: only what the page cache holds. */
		struct iovec iov = { data, room };

		do
			n = preadv2(fd, &iov, 1, (off_t)in->offset, RWF_NOWAIT);
		while (n < 0 && errno == EINTR);
		if (n < 0 && (errno == EAGAIN || errno == EOPNOTSUPP))
			return P9SRV_BLOCKS;	/* a worker reads it */
		if (n < 0)
			return errno;
		out->data.ptr = data;
		out->data.len = (uint32_t)n;
		return 0;
	}
	do
		n = pread(fd, data, room, (off_t)in->offset);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return errno;
	out->data.ptr = data;
	out->data.len = (uint32_t)n;
	return 0;
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
px_write(struct p9srv_req *r, void *file, const struct p9_twrite *in, struct p9_rwrite *out)
{
	long n;

	(void)r;
	if (in->offset > (uint64_t)INT64_MAX || in->data.len > (uint64_t)INT64_MAX - in->offset)
		return EFBIG;
	n = write_all(open_fd(file), in->data.ptr, in->data.len, in->offset);
	if (n < 0)
		return (int)-n;
	out->count = (uint32_t)n;
	return 0;
}

/* A record getdents64 returns (the kernel's struct linux_dirent64). */
struct dirent64_rec {
	uint64_t	 d_ino;
	int64_t		 d_off;		/* the stream position after this entry */
	uint16_t	 d_reclen;
	uint8_t		 d_type;
	char		 d_name[];	/* NUL-terminated, padded to 8 bytes */
};

/*
 * The qid and type of one directory entry (spec 3.12). qid.path must be
 * what a walk to the name gives. For an entry the host says is not a
 * directory, that is its d_ino on the directory's own device (dir_dev):
 * no lookup, which is most of a large listing's cost. A directory may be a
 * mount point (its d_ino is then the covered directory's, not what a walk
 * reaches), so directories, entries of unknown type and ".." are looked up
 * as walk does (no symlink following, crossing into whatever is mounted
 * there); ".." at the export root is the root itself, as walk clamps it.
 * If the entry cannot be looked up (a directory we may list but not
 * search), fall back to d_ino. qid.version of a listing is 0 unless looked
 * up (clients take only the path and type from a dirent). Returns 0, or
 * ENOENT if the entry vanished since it was listed (the caller skips it).
 */
static int
entry_qid(const struct posix_fs *fs, int dfd, dev_t dir_dev, const struct dirent64_rec *de,
    bool at_root, struct p9_qid *qid, uint8_t *type)
{
	struct stat st;
	bool dotdot = strcmp(de->d_name, "..") == 0;

	if (de->d_type != DT_UNKNOWN && de->d_type != DT_DIR) {
		st = (struct stat){ .st_dev = dir_dev, .st_ino = de->d_ino,
		    .st_mode = DTTOIF(de->d_type) };
	} else if (at_root && dotdot) {
		if (fstat(dfd, &st) != 0)
			return errno;
	} else if (fstatat(dfd, de->d_name, &st, AT_SYMLINK_NOFOLLOW) != 0) {
		if (errno == ENOENT)
			return ENOENT;
		st = (struct stat){ .st_dev = dir_dev, .st_ino = de->d_ino,
		    .st_mode = de->d_type != DT_UNKNOWN ? DTTOIF(de->d_type) : S_IFREG };
	}
	*qid = fs_qid(fs, &st);
	*type = de->d_type != DT_UNKNOWN ? de->d_type : (uint8_t)IFTODT(st.st_mode);
	if (at_root && dotdot)
		*type = DT_DIR;
	return 0;
}

/* The fid's directory stream, made at its first Treaddir. */
static int
dir_open(struct pfid *f)
{
	struct pdir *pd;
	struct stat st;
	int fd, err;

	if (!p9srv_acct_take(f->acct))
		return EMFILE;	/* the stream's descriptor is over the budget */
	if ((pd = calloc(1, sizeof(*pd))) == NULL) {
		p9srv_acct_give(f->acct);
		return ENOMEM;
	}
	fd = fcntl(f->open_fd, F_DUPFD_CLOEXEC, 0);
	if (fd < 0 || fstat(fd, &st) != 0) {
		err = errno;
		if (fd >= 0)
			close(fd);
		free(pd);
		p9srv_acct_give(f->acct);
		return err;
	}
	pd->fd = fd;
	pd->dev = st.st_dev;
	pd->ino = st.st_ino;
	pd->rec.wd = -1;
	pd->keepable = st.st_size >= DC_MIN && f->keeps && f->atime != PX_ATIME_ALWAYS;
	f->dir = pd;
	return 0;
}

/* The stream no longer records its listing nor reads a kept one. */
static void
dir_unkeep(struct posix_fs *fs, struct pdir *pd)
{
	dc_rec_end(fs->dc, &pd->rec, false);
	dc_list_put(pd->list);
	pd->list = NULL;
	pd->lpos = 0;
}

/* Release a directory stream (at the fid's release). */
void
dir_close(struct posix_fs *fs, struct pdir *pd)
{
	dir_unkeep(fs, pd);
	close(pd->fd);	/* a dup of open_fd */
	free(pd);
}

/* The stream's next entry, or NULL at its end (*err 0) or on an error
 * (*err set). Records come from getdents64 straight into pd->buf: no
 * lock and no copy per entry, as readdir(3) and telldir(3) would cost. */
static const struct dirent64_rec *
dir_next(struct posix_fs *fs, struct pdir *pd, int *err)
{
	const struct dirent64_rec *de;

	*err = 0;
	if (pd->list != NULL) {
		/* A kept listing (dcache.c): its records, in order. */
		if (pd->lpos >= pd->list->len)
			return NULL;
		de = (const void *)((const uint8_t *)pd->list->recs + pd->lpos);
		pd->lpos += de->d_reclen;
		return de;
	}
	if (pd->pos >= pd->end) {
		long n = syscall(SYS_getdents64, pd->fd, pd->buf, sizeof(pd->buf));

		if (n <= 0) {
			*err = n < 0 ? errno : 0;
			dc_rec_end(fs->dc, &pd->rec, n == 0);
			return NULL;
		}
		dc_rec_add(fs->dc, &pd->rec, pd->buf, (size_t)n);
		pd->pos = 0;
		pd->end = (uint32_t)n;
	}
	de = (const void *)((const uint8_t *)pd->buf + pd->pos);
	pd->pos += de->d_reclen;
	return de;
}

/*
 * Pack whole entries from the fid's directory stream, starting at cookie
 * `offset`, into buf[0..room). Called with f->lock held: the stream's
 * position is shared state, and holding the lock across getdents is the
 * one exception srv.h allows. Each entry's offset is the stream position
 * after it (its d_off), which lseek accepts for the life of the stream.
 */
static int
dir_fill(struct pfid *f, uint64_t offset, uint8_t *buf, uint32_t room, uint32_t *used)
{
	bool at_root = fs_is_root(f->node);
	const struct dirent64_rec *de;
	struct p9_dirent ent;
	struct pdir *pd;
	int err;

	if (f->dir == NULL && (err = dir_open(f)) != 0)
		return err;
	pd = f->dir;
	/* The cookies we hand out are d_off values, never above INT64_MAX
	 * (an off_t): a larger one is no position of this stream. */
	if (offset > (uint64_t)INT64_MAX)
		return EINVAL;
	if (!pd->cont || offset != pd->resume) {
		/* Elsewhere: seek (the client may restart from any cookie);
		 * one the file system refuses is EINVAL, not the old place. */
		pd->pos = pd->end = 0;
		pd->held_ok = false;
		pd->cont = false;
		dir_unkeep(f->fs, pd);
		/* From the start: the kept listing if there is one, else
		 * the kernel's, recorded to be kept. */
		if (offset == 0 && pd->keepable)
			pd->list = dc_get(f->fs->dc, pd->dev, pd->ino);
		if (pd->list == NULL) {
			if (lseek(pd->fd, (off_t)offset, SEEK_SET) < 0)
				return errno;
			if (offset == 0 && pd->keepable)
				dc_rec_begin(f->fs->dc, &pd->rec, pd->fd, pd->dev, pd->ino);
		}
	} else if (pd->list != NULL && !dc_valid(f->fs->dc, pd->list, pd->dev, pd->ino)) {
		/* The directory changed since its kept listing was recorded:
		 * go on from the kernel's, at the same cookie (what was held
		 * comes again, if it is still there). */
		dir_unkeep(f->fs, pd);
		pd->held_ok = false;
		if (lseek(pd->fd, (off_t)offset, SEEK_SET) < 0) {
			pd->cont = false;
			return errno;
		}
	}
	pd->cont = true;
	pd->resume = offset;
	if (pd->held_ok) {
		ent = (struct p9_dirent){ .qid = pd->held_qid, .offset = pd->held_off,
		    .type = pd->held_type, .name = { pd->held_name, pd->held_len } };
		if (p9_dirent_put(buf, room, used, &ent) != 0)
			return EINVAL;	/* not even one entry fits (spec 3.12); still held */
		pd->held_ok = false;
		pd->resume = ent.offset;
	}
	for (;;) {
		de = dir_next(f->fs, pd, &err);
		if (de == NULL) {
			/* An error after some entries: send those; the next
			 * Treaddir meets the error again (after a seek). */
			if (err != 0) {
				pd->cont = false;
				return *used == 0 ? err : 0;
			}
			return 0;
		}
		err = entry_qid(f->fs, pd->fd, pd->dev, de, at_root, &ent.qid, &ent.type);
		if (err == ENOENT)
			continue;
		if (err != 0) {
			pd->cont = false;
			return *used == 0 ? err : 0;
		}
		ent.offset = (uint64_t)de->d_off;
		ent.name.ptr = de->d_name;
		ent.name.len = (uint16_t)strlen(de->d_name);
		if (p9_dirent_put(buf, room, used, &ent) != 0) {
			/* Read but not sent: held for the next Treaddir, which
			 * brings the last cookie we sent. spec 3.12: not even
			 * one entry fits -> EINVAL. */
			pd->held_ok = true;
			pd->held_qid = ent.qid;
			pd->held_type = ent.type;
			pd->held_off = ent.offset;
			pd->held_len = ent.name.len;
			memcpy(pd->held_name, ent.name.ptr, ent.name.len);
			return *used == 0 ? EINVAL : 0;
		}
		pd->resume = ent.offset;
	}
}

/* Treaddir: list an opened directory (spec 3.12). Requests on one fid are
 * serialised by its lock, held for the whole operation. */
int
px_readdir(struct p9srv_req *r, void *file, const struct p9_treaddir *in,
    struct p9_rreaddir *out)
{
	struct pfid *f = file;
	uint32_t room, used = 0;
	uint8_t *data = p9srv_req_rdata(r, &room);
	int err;

	pthread_mutex_lock(&f->lock);
	if (!S_ISDIR(f->node->mode))
		err = ENOTDIR;
	else
		err = dir_fill(f, in->offset, data, room, &used);
	pthread_mutex_unlock(&f->lock);
	if (err != 0)
		return err;
	out->data.ptr = data;
	out->data.len = used;
	return 0;
}

/* Tfsync: flush an opened file to stable storage (spec 3.18). Xattr fids
 * are not opened files and answer EBADF, like unopened ones: their value
 * reaches the file only at clunk. */
int
px_fsync(struct p9srv_req *r, void *file, const struct p9_tfsync *in, struct p9_rfsync *out)
{
	int fd = open_fd(file);

	(void)r; (void)out;
	return (in->datasync != 0 ? fdatasync(fd) : fsync(fd)) == 0 ? 0 : errno;
}

/* Tstatfs: the host file system holding the fid's file (spec 3.13), with
 * the host's values unchanged, on any fid, opened or not. */
int
px_statfs(struct p9srv_req *r, void *file, const struct p9_tstatfs *in, struct p9_rstatfs *out)
{
	struct node *n = pfid_node(file);
	struct statfs sf;
	int err = 0;

	(void)r; (void)in;
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
	return err;
}
