/*
 * The POSIX backend's name space: mkdir, symlink, mknod, link, readlink, rename,
 * renameat, unlinkat, remove (spec 3.9, 3.14, 3.15).
 *
 * Confinement: every operation names an entry as (a directory node's
 * O_PATH descriptor, one validated name) and uses an *at call that never
 * follows a symlink in that name: mkdirat, symlinkat, mknodat, linkat
 * without AT_SYMLINK_FOLLOW, renameat, unlinkat. Directory nodes come from
 * walks, which never cross a symlink, so a symlink planted in the export
 * (or a directory swapped for one) cannot redirect anything outside: a fid
 * that reached a symlink has a symlink node and is refused as a directory
 * (ENOTDIR), and a fid that reached a directory keeps that directory
 * wherever it is moved.
 *
 * The engine has checked the fids (file fids of this connection, and a
 * directory qid where a directory is wanted) and the read-only flag.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "posix.h"

static bool
is_dot(const char *name)
{
	return strcmp(name, ".") == 0 || strcmp(name, "..") == 0;
}

/* A name for a new entry: spec 3.14, "." and ".." exist (CVE-2016-7116). */
static int
new_name(struct p9_str s, char buf[])
{
	int err = fs_name(s, buf);

	return err == 0 && is_dot(buf) ? EEXIST : err;
}

/* A name for either side of a rename: spec 3.15, "." and ".." -> EISDIR. */
static int
rename_name(struct p9_str s, char buf[])
{
	int err = fs_name(s, buf);

	return err == 0 && is_dot(buf) ? EISDIR : err;
}

/*
 * After a create: the qid of (dfd, name), and the creator's group applied
 * to that very object (through its own O_PATH descriptor, so a swap of the
 * name for a symlink cannot redirect the chown). As in Tlcreate, a server
 * that may not give the object that group (EPERM, EINVAL for an unmapped
 * gid) keeps the group it got: the object exists, and failing the request
 * would tell the client it does not.
 */
static int
created(const struct posix_fs *fs, int dfd, const char *name, uint32_t gid, struct p9_qid *qid)
{
	struct stat st;
	int fd = openat(dfd, name, O_PATH | O_NOFOLLOW | O_CLOEXEC);
	int err = 0;

	if (fd < 0)
		return errno;
	if (fstat(fd, &st) != 0) {
		err = errno;
	} else {
		if (gid != (uint32_t)-1 && st.st_gid != (gid_t)gid &&
		    fchownat(fd, "", (uid_t)-1, (gid_t)gid, AT_EMPTY_PATH) != 0 &&
		    errno != EPERM && errno != EINVAL)
			err = errno;
		*qid = fs_qid(fs, &st);
	}
	close(fd);
	return err;
}

/* Tmkdir: spec 3.14. The server runs with umask 0 (the client applied the
 * caller's); mkdir itself keeps only the permission and sticky bits and
 * inherits setgid from the parent. */
int
px_mkdir(struct p9srv_req *r, void *dfile, const struct p9_tmkdir *in, struct p9_rmkdir *out)
{
	char name[NAME_MAX + 1];
	struct node *dir = pfid_node(dfile);
	int err;

	(void)r;
	err = new_name(in->name, name);
	if (err == 0 && mkdirat(dir->fd, name, (mode_t)(in->mode & 07777)) != 0)
		err = errno;
	if (err == 0)
		err = created(dir->fs, dir->fd, name, in->gid, &out->qid);
	node_put(dir);
	return err;
}

/* Tsymlink: spec 3.14. The target is stored verbatim and never followed
 * by the server; it may name anything, since nothing here resolves it. */
int
px_symlink(struct p9srv_req *r, void *dfile, const struct p9_tsymlink *in,
    struct p9_rsymlink *out)
{
	char name[NAME_MAX + 1], target[PATH_MAX];
	struct node *dir = pfid_node(dfile);
	int err;

	(void)r;
	err = new_name(in->name, name);
	if (err == 0 && in->symtgt.len >= sizeof(target))
		err = ENAMETOOLONG;
	if (err == 0) {
		memcpy(target, in->symtgt.ptr, in->symtgt.len);
		target[in->symtgt.len] = '\0';
		if (symlinkat(target, dir->fd, name) != 0)
			err = errno;
	}
	if (err == 0)
		err = created(dir->fs, dir->fd, name, in->gid, &out->qid);
	node_put(dir);
	return err;
}

/* Tmknod: spec 3.14. The type bits choose the node; device nodes need
 * privilege on the host (EPERM otherwise), and none of these is ever
 * opened by the server (fs_reopen, CVE-2023-2861). */
int
px_mknod(struct p9srv_req *r, void *dfile, const struct p9_tmknod *in, struct p9_rmknod *out)
{
	char name[NAME_MAX + 1];
	mode_t type = (mode_t)in->mode & S_IFMT;
	struct node *dir = pfid_node(dfile);
	int err;

	(void)r;
	err = new_name(in->name, name);
	if (err == 0 && type != S_IFREG && type != S_IFIFO && type != S_IFSOCK &&
	    type != S_IFCHR && type != S_IFBLK)
		err = EINVAL;
	if (err == 0 && mknodat(dir->fd, name, type | (mode_t)(in->mode & 07777),
	    makedev(in->major, in->minor)) != 0)
		err = errno;
	if (err == 0)
		err = created(dir->fs, dir->fd, name, in->gid, &out->qid);
	node_put(dir);
	return err;
}

/*
 * Link the object behind an O_PATH descriptor (never a name, so nothing
 * can be swapped in) as (dfd, name). AT_EMPTY_PATH needs
 * CAP_DAC_READ_SEARCH (ENOENT without it); the fallback links through the
 * descriptor's magic link, which resolves to the inode itself, even for a
 * symlink (it links the symlink, not its target). protected_hardlinks
 * still applies there (EPERM for someone else's file).
 */
static int
link_fd(int fd, int dfd, const char *name)
{
	char path[FS_FDPATH_LEN];

	if (linkat(fd, "", dfd, name, AT_EMPTY_PATH) == 0)
		return 0;
	if (errno != ENOENT && errno != EPERM)
		return errno;
	fs_fdpath(fd, path);
	return linkat(AT_FDCWD, path, dfd, name, AT_SYMLINK_FOLLOW) == 0 ? 0 : errno;
}

/* Tlink dfid fid name: a new name in dfid for fid's file (spec 3.14). */
int
px_link(struct p9srv_req *r, void *dfile, void *file, const struct p9_tlink *in,
    struct p9_rlink *out)
{
	char name[NAME_MAX + 1];
	struct node *dir = pfid_node(dfile), *src = pfid_node(file);
	int err;

	(void)r; (void)out;
	err = new_name(in->name, name);
	if (err == 0 && S_ISDIR(src->mode))
		err = EPERM;	/* spec 3.14: directories cannot be hard-linked */
	if (err == 0)
		err = link_fd(src->fd, dir->fd, name);
	node_put(src);
	node_put(dir);
	return err;
}

/* Treadlink: the target of the fid's symlink, read through its O_PATH
 * descriptor (spec 3.14). The reply views r->scratch. */
int
px_readlink(struct p9srv_req *r, void *file, const struct p9_treadlink *in,
    struct p9_rreadlink *out)
{
	size_t cap;
	char *buf = (char *)p9srv_req_scratch(r, &cap);
	struct node *n = pfid_node(file);
	ssize_t len;
	int err;

	(void)in;
	if (cap > PATH_MAX)
		cap = PATH_MAX;
	if (!S_ISLNK(n->mode)) {
		node_put(n);
		return EINVAL;
	}
	len = readlinkat(n->fd, "", buf, cap);
	err = len < 0 ? errno : (size_t)len >= cap ? ENAMETOOLONG : 0;
	node_put(n);
	if (err == 0)
		out->target = (struct p9_str){ buf, (uint16_t)len };
	return err;
}

/* Is the entry (dirfd, name) the object n? */
static bool
entry_is(int dirfd, const char *name, const struct node *n)
{
	struct stat at, self;

	return fstatat(dirfd, name, &at, AT_SYMLINK_NOFOLLOW) == 0 &&
	    fstat(n->fd, &self) == 0 && at.st_dev == self.st_dev && at.st_ino == self.st_ino;
}

/*
 * Where n is now, after it was renamed behind its fid (Trenameat, or on the
 * host): the kernel's current path of n's descriptor, which must lie inside
 * the export, walked again from the export root one name at a time without
 * following symlinks. Sets *dirfd (a new descriptor, the caller's to close)
 * and name[NAME_MAX + 1]. ENOENT when n has no name in the export any more.
 */
static int
relocate(const struct node *n, int *dirfd, char *name)
{
	char proc[FS_FDPATH_LEN], path[PATH_MAX], *p, *slash;
	const char *root = n->fs->export_real;
	size_t rootlen = strlen(root);
	ssize_t len;
	int fd, next;

	fs_fdpath(n->fd, proc);
	len = readlink(proc, path, sizeof(path) - 1);
	if (len <= 0 || (size_t)len >= sizeof(path) - 1)
		return ENOENT;
	path[len] = '\0';
	if (rootlen == 1)
		rootlen = 0;	/* the export is "/" */
	if (strncmp(path, root, rootlen) != 0 || path[rootlen] != '/' || path[rootlen + 1] == '\0')
		return ENOENT;	/* outside the export, or its root */
	p = path + rootlen + 1;
	fd = fcntl(n->fs->root_fd, F_DUPFD_CLOEXEC, 0);
	if (fd < 0)
		return errno;
	while ((slash = strchr(p, '/')) != NULL) {
		*slash = '\0';
		next = openat(fd, p, O_PATH | O_NOFOLLOW | O_DIRECTORY | O_CLOEXEC);
		close(fd);
		if (next < 0)
			return ENOENT;
		fd = next;
		p = slash + 1;
	}
	/* A deleted file reads as "name (deleted)", which names nothing
	 * that is n: entry_is says so. */
	if (strlen(p) > NAME_MAX || strcmp(p, "..") == 0 || strcmp(p, ".") == 0 ||
	    !entry_is(fd, p, n)) {
		close(fd);
		return ENOENT;
	}
	strcpy(name, p);
	*dirfd = fd;
	return 0;
}

/*
 * The entry that names n now, to remove or rename it: *dirfd and name.
 * The export root and nodes reached through ".." have none: EBUSY. A
 * node's parent and name are where it was reached from; when they no
 * longer name n (renamed or replaced behind it), relocate() finds where n
 * went, and otherwise the answer is ENOENT, never whatever has the old
 * name now. *dirfd is n's parent's descriptor (borrowed) or a new one:
 * release it with put_dirfd().
 */
static int
named_node(const struct node *n, int *dirfd, char *name)
{
	if (n->parent == NULL || n->name == NULL || fs_is_root(n))
		return EBUSY;
	if (entry_is(n->parent->fd, n->name, n)) {
		*dirfd = n->parent->fd;
		strcpy(name, n->name);
		return 0;
	}
	return relocate(n, dirfd, name);
}

static void
put_dirfd(const struct node *n, int dirfd)
{
	if (dirfd != n->parent->fd)
		close(dirfd);
}

/*
 * After Trename, point f at the node for the new location, so that a later
 * Tremove or Trename uses the new name (spec 3.5). The new node shares the
 * old one's inode (a dup of its descriptor, not a lookup of the name, which
 * may already name something else). If f was switched meanwhile (a walk in
 * place), the newer node stays. If the dup fails, f keeps the stale node:
 * the rename itself has happened.
 */
static void
follow_rename(struct pfid *f, struct node *old, struct node *dir, const char *name)
{
	struct node *nn, *drop = NULL;
	struct stat st;
	int fd = fcntl(old->fd, F_DUPFD_CLOEXEC, 0);

	if (fd < 0)
		return;
	if (fstat(fd, &st) != 0) {
		close(fd);
		return;
	}
	nn = node_new(dir->fs, f->acct, fd, &st, dir, name);
	if (nn == NULL)
		return;		/* over the descriptor budget: keep the stale node */
	pthread_mutex_lock(&f->lock);
	if (f->node == old) {
		drop = f->node;
		f->node = nn;
	} else {
		drop = nn;
	}
	pthread_mutex_unlock(&f->lock);
	node_put(drop);
}

/* Trename fid dfid name: move fid's file into dfid as name; fid follows
 * it (spec 3.15). Opened fids may be renamed: their descriptors do not
 * care. */
int
px_rename(struct p9srv_req *r, void *file, void *dfile, const struct p9_trename *in,
    struct p9_rrename *out)
{
	char name[NAME_MAX + 1], oldname[NAME_MAX + 1];
	struct pfid *f = file;
	struct node *n = pfid_node(f), *dir = pfid_node(dfile);
	int err, from;

	(void)r; (void)out;
	err = rename_name(in->name, name);
	if (err == 0 && (err = named_node(n, &from, oldname)) == 0) {
		if (renameat(from, oldname, dir->fd, name) != 0)
			err = errno;
		put_dirfd(n, from);
	}
	if (err == 0)
		follow_rename(f, n, dir, name);
	node_put(dir);
	node_put(n);
	return err;
}

/* Trenameat: POSIX rename of olddir/oldname to newdir/newname (spec 3.15).
 * Fids of the moved object keep it (they hold descriptors); their stored
 * parent and name go stale, which named_node detects. */
int
px_renameat(struct p9srv_req *r, void *olddir, void *newdir, const struct p9_trenameat *in,
    struct p9_rrenameat *out)
{
	char oldname[NAME_MAX + 1], newname[NAME_MAX + 1];
	struct node *od = pfid_node(olddir), *nd = pfid_node(newdir);
	int err;

	(void)r; (void)out;
	err = rename_name(in->oldname, oldname);
	if (err == 0)
		err = rename_name(in->newname, newname);
	if (err == 0 && renameat(od->fd, oldname, nd->fd, newname) != 0)
		err = errno;
	node_put(nd);
	node_put(od);
	return err;
}

/* Tunlinkat: spec 3.15. Linux's unlink answers EISDIR for a directory and
 * rmdir ENOTDIR for anything else, as the spec wants. */
int
px_unlinkat(struct p9srv_req *r, void *dfile, const struct p9_tunlinkat *in,
    struct p9_runlinkat *out)
{
	char name[NAME_MAX + 1];
	struct node *dir;
	int err;

	(void)r; (void)out;
	if ((in->flags & ~(uint32_t)P9_AT_REMOVEDIR) != 0)
		return EINVAL;
	dir = pfid_node(dfile);
	err = fs_name(in->name, name);
	if (err == 0 && strcmp(name, ".") == 0)
		err = EINVAL;
	else if (err == 0 && strcmp(name, "..") == 0)
		err = ENOTEMPTY;
	if (err == 0 && unlinkat(dir->fd, name,
	    (in->flags & P9_AT_REMOVEDIR) != 0 ? AT_REMOVEDIR : 0) != 0)
		err = errno;
	node_put(dir);
	return err;
}

/* Tremove: remove fid's file (spec 3.9); the engine clunks the fid. */
int
px_remove(struct p9srv_req *r, void *file, const struct p9_tremove *in, struct p9_rremove *out)
{
	char name[NAME_MAX + 1];
	struct node *n = pfid_node(file);
	int dirfd, err;

	(void)r; (void)in; (void)out;
	if ((err = named_node(n, &dirfd, name)) == 0) {
		if (unlinkat(dirfd, name, S_ISDIR(n->mode) ? AT_REMOVEDIR : 0) != 0)
			err = errno;
		put_dirfd(n, dirfd);
	}
	node_put(n);
	return err;
}
