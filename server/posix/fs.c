/*
 * The POSIX backend's confinement, in one file: how a client's names
 * become host objects, and why none of them is outside the export.
 *
 * 1. The export is opened once (posix_new) as an O_PATH directory
 *    descriptor; nothing after that resolves a path string from the
 *    export's path.
 * 2. Every fid names a node, and every node holds an O_PATH | O_NOFOLLOW
 *    descriptor of its object. Nodes are made only here: the root, and
 *    fs_walk1/fs_node_at, which open one validated name (non-empty, no
 *    '/', not "." or ".." except as below) relative to a directory node's
 *    descriptor, never following a symlink: a walk cannot cross a symlink
 *    or leave the directory it starts from by a name.
 * 3. ".." is the one name that goes up: at the export root it is the root
 *    (fs_is_root compares device and inode, so a bind mount or a moved
 *    directory cannot fool it), elsewhere the parent directory's entry.
 * 4. Opening a node for I/O (fs_reopen) goes through /proc/self/fd/N of its
 *    own descriptor (fs_fdpath, the one place such a path is made): the
 *    magic link resolves to the inode itself, so a rename or a planted
 *    symlink cannot redirect it; symlinks, devices, fifos and sockets are
 *    never opened (CVE-2023-2861).
 * 5. The other files of the backend only use nodes: *at calls relative to
 *    a directory node with one validated name and no symlink following
 *    (ns.c: mkdirat, symlinkat, mknodat, linkat without AT_SYMLINK_FOLLOW,
 *    renameat, unlinkat), f-calls on descriptors (io.c, attr.c, lock.c),
 *    and the magic link of a node for calls without an f-variant that
 *    takes an O_PATH descriptor (attr.c, xattr.c, ns.c's link). ns.c's
 *    relocate is the one place that reads a path back from the kernel
 *    (readlink of a magic link) and it walks it again from the root's
 *    descriptor, one name at a time, with the rules of point 2.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>

#include "posix.h"

struct p9_qid
fs_qid(const struct posix_fs *fs, const struct stat *st)
{
	struct p9_qid q;

	/* (dev, ino) identify a file; fold dev in so that several file
	 * systems below the export do not collide on the root's device. */
	q.path = (uint64_t)st->st_ino;
	if (st->st_dev != fs->root_dev)
		q.path ^= (uint64_t)st->st_dev << 40 | (uint64_t)1 << 63;
	/* Version changes with content (QEMU's policy): it lets cached
	 * clients see changes; 0 would disable the Linux page cache. */
	q.version = (uint32_t)(st->st_mtim.tv_sec ^ st->st_mtim.tv_nsec ^
	    ((uint64_t)st->st_size << 8));
	if (S_ISDIR(st->st_mode))
		q.type = P9_QTDIR;
	else if (S_ISLNK(st->st_mode))
		q.type = P9_QTSYMLINK;
	else
		q.type = P9_QTFILE;
	return q;
}

int
fs_name(struct p9_str s, char buf[])
{
	/* spec 1.3: names are non-empty and hold no '/' (the codec already
	 * refused NUL); CVE-2016-7116. */
	if (s.len == 0 || memchr(s.ptr, '/', s.len) != NULL)
		return ENOENT;
	if (s.len > NAME_MAX)
		return ENAMETOOLONG;
	memcpy(buf, s.ptr, s.len);
	buf[s.len] = '\0';
	return 0;
}

bool
fs_is_root(const struct node *n)
{
	struct stat st;

	if (n->parent == NULL && n->name == NULL && n->fd == n->fs->root_fd)
		return true;
	if (fstat(n->fd, &st) != 0)
		return false;
	return st.st_dev == n->fs->root_dev && st.st_ino == n->fs->root_ino;
}

/* An O_PATH descriptor of (dirfd, name), never following a symlink, and its
 * stat: the fd, or -errno. */
static int
open_path(int dirfd, const char *name, int extra, struct stat *st)
{
	int fd = openat(dirfd, name, O_PATH | O_NOFOLLOW | O_CLOEXEC | extra);
	int err;

	if (fd < 0)
		return -errno;
	if (fstat(fd, st) != 0) {
		err = errno;
		close(fd);
		return -err;
	}
	return fd;
}

int
fs_node_at(struct node *dir, struct p9srv_conn *acct, const char *name, struct node **out)
{
	struct stat st;
	int fd = open_path(dir->fd, name, 0, &st);

	if (fd < 0)
		return -fd;
	*out = node_new(dir->fs, acct, fd, &st, dir, name);
	return *out != NULL ? 0 : EMFILE;
}

static int
walk_up(struct node *dir, struct p9srv_conn *acct, struct node **out)
{
	struct stat st;
	int fd;

	/* walk(5): ".." at the root is the root. */
	if (fs_is_root(dir)) {
		*out = node_ref(dir);
		return 0;
	}
	fd = open_path(dir->fd, "..", O_DIRECTORY, &st);
	if (fd < 0)
		return -fd;
	/* The cached parent keeps its own parent and name (for remove and
	 * rename) if it is still the real parent. */
	if (dir->parent != NULL) {
		struct stat pst;

		if (fstat(dir->parent->fd, &pst) == 0 && pst.st_dev == st.st_dev &&
		    pst.st_ino == st.st_ino) {
			close(fd);
			*out = node_ref(dir->parent);
			return 0;
		}
	}
	*out = node_new(dir->fs, acct, fd, &st, NULL, NULL);
	return *out != NULL ? 0 : EMFILE;
}

int
fs_walk1(struct node *dir, struct p9srv_conn *acct, const char *name, struct node **out)
{
	if (!S_ISDIR(dir->mode))
		return ENOTDIR;
	if (strcmp(name, "..") == 0)
		return walk_up(dir, acct, out);
	if (strcmp(name, ".") == 0) {
		*out = node_ref(dir);
		return 0;
	}
	return fs_node_at(dir, acct, name, out);
}

void
fs_fdpath(int fd, char buf[FS_FDPATH_LEN])
{
	snprintf(buf, FS_FDPATH_LEN, "/proc/self/fd/%d", fd);
}

int
fs_reopen(const struct node *n, int host_flags)
{
	char path[FS_FDPATH_LEN];
	int fd;

	if (S_ISLNK(n->mode))
		return -ELOOP;
	/* CVE-2023-2861: never open devices, fifos or sockets on the host. */
	if (!S_ISREG(n->mode) && !S_ISDIR(n->mode))
		return -EPERM;
	/* The magic link names the inode itself, never a path: reopening
	 * through it cannot be redirected by renames or planted symlinks. */
	fs_fdpath(n->fd, path);
	fd = open(path, (host_flags & ~(O_CREAT | O_NOFOLLOW)) | O_CLOEXEC);
	return fd >= 0 ? fd : -errno;
}

int
fs_open_flags(uint32_t wire)
{
	static const struct {
		uint32_t wire;
		int host;
	} map[] = {
		{ P9_DOTL_EXCL, O_EXCL },
		{ P9_DOTL_TRUNC, O_TRUNC },
		{ P9_DOTL_APPEND, O_APPEND },
		{ P9_DOTL_NONBLOCK, O_NONBLOCK },
		{ P9_DOTL_DSYNC, O_DSYNC },
		{ P9_DOTL_LARGEFILE, O_LARGEFILE },
		{ P9_DOTL_DIRECTORY, O_DIRECTORY },
		{ P9_DOTL_SYNC, O_SYNC },
	};
	int host;
	size_t i;

	/* Wire flags are x86 numbering; map explicitly so other hosts work.
	 * CREATE, NOCTTY, FASYNC, DIRECT (alignment trouble, diod #110),
	 * NOATIME (EPERM for non-owners) and CLOEXEC are dropped. */
	switch (wire & 3) {
	case P9_DOTL_WRONLY:
		host = O_WRONLY;
		break;
	case P9_DOTL_RDWR:
		host = O_RDWR;
		break;
	default:
		host = O_RDONLY;
		break;
	}
	for (i = 0; i < sizeof(map) / sizeof(map[0]); i++)
		if (wire & map[i].wire)
			host |= map[i].host;
	return host | O_CLOEXEC;
}

/* Nodes. */

struct node *
node_new(struct posix_fs *fs, struct p9srv_conn *acct, int fd, const struct stat *st,
    struct node *parent, const char *name)
{
	struct node *n;

	if (acct != NULL && !p9srv_acct_take(acct)) {
		close(fd);
		return NULL;
	}
	n = calloc(1, sizeof(*n));
	if (n == NULL)
		abort();
	n->acct = acct;
	atomic_init(&n->refs, 1);
	n->fd = fd;
	n->fs = fs;
	n->qid = fs_qid(fs, st);
	n->mode = st->st_mode & S_IFMT;
	n->parent = parent != NULL ? node_ref(parent) : NULL;
	if (name != NULL && (n->name = strdup(name)) == NULL)
		abort();
	return n;
}

struct node *
node_ref(struct node *n)
{
	atomic_fetch_add(&n->refs, 1);
	return n;
}

void
node_put(struct node *n)
{
	while (n != NULL && atomic_fetch_sub(&n->refs, 1) == 1) {
		struct node *parent = n->parent;

		if (n->fd != n->fs->root_fd)
			close(n->fd);
		if (n->acct != NULL)
			p9srv_acct_give(n->acct);
		free(n->name);
		free(n);
		n = parent;
	}
}

struct node *
pfid_node(struct pfid *f)
{
	struct node *n;

	pthread_mutex_lock(&f->lock);
	n = node_ref(f->node);
	pthread_mutex_unlock(&f->lock);
	return n;
}

struct posix_fs *
px_fs(const struct p9srv_req *r)
{
	return p9srv_ctx(p9srv_req_server(r));
}

/* The export. */

struct posix_fs *
posix_new(const char *export_path, char *why, size_t whylen)
{
	struct posix_fs *fs = calloc(1, sizeof(*fs));
	struct stat st;
	int err;

	if (fs == NULL) {
		snprintf(why, whylen, "out of memory");
		return NULL;
	}
	fs->root_fd = -1;
	pthread_mutex_init(&fs->lock_mu, NULL);
	if ((fs->dc = dc_new()) == NULL) {
		errno = ENOMEM;
		goto fail;
	}
	if (strlen(export_path) >= sizeof(fs->export_path)) {
		errno = ENAMETOOLONG;
		goto fail;
	}
	strcpy(fs->export_path, export_path);
	if (realpath(export_path, fs->export_real) == NULL)
		goto fail;
	fs->root_fd = open(fs->export_real, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (fs->root_fd < 0 || fstat(fs->root_fd, &st) != 0)
		goto fail;
	fs->root_dev = st.st_dev;
	fs->root_ino = st.st_ino;
	fs->root = node_new(fs, NULL, fs->root_fd, &st, NULL, NULL);
	umask(0);
	return fs;
fail:
	err = errno;
	snprintf(why, whylen, "export %s: %s", export_path, strerror(err));
	posix_free(fs);
	errno = err;
	return NULL;
}

void
posix_free(struct posix_fs *fs)
{
	if (fs == NULL)
		return;
	node_put(fs->root);
	if (fs->root_fd >= 0)
		close(fs->root_fd);
	pthread_mutex_destroy(&fs->lock_mu);
	dc_free(fs->dc);
	free(fs);
}

const char *
posix_export(const struct posix_fs *fs)
{
	return fs->export_real;
}

int
posix_set_dircache(struct posix_fs *fs, bool on)
{
	return dc_enable(fs->dc, on);
}

void
posix_dircache_stats(struct posix_fs *fs, struct posix_dircache_stats *out)
{
	struct dc_stats st = dc_stats(fs->dc);

	*out = (struct posix_dircache_stats){ .hits = st.hits, .kept = st.kept,
	    .dropped = st.dropped, .bytes = st.kept_bytes };
}

/* Files: one struct pfid per fid. */

static struct pfid *
pfid_new(struct posix_fs *fs, struct p9srv_conn *acct, struct node *n)
{
	struct pfid *f = calloc(1, sizeof(*f));

	if (f == NULL)
		return NULL;
	pthread_mutex_init(&f->lock, NULL);
	f->node = n;		/* the caller's reference */
	f->open_fd = -1;
	f->acct = acct;
	f->fs = fs;
	return f;
}

static void *
px_clone(struct p9srv_req *r, void *file)
{
	struct pfid *f = file, *nf;
	struct node *n = pfid_node(f);

	if ((nf = pfid_new(f->fs, p9srv_req_conn(r), n)) == NULL)
		node_put(n);
	return nf;
}

static void
px_release(void *file)
{
	struct pfid *f = file;

	if (f->open_fd >= 0)
		lock_released(f);	/* its OFD locks die with open_fd below */
	if (f->dir != NULL) {
		dir_close(f->fs, f->dir);
		p9srv_acct_give(f->acct);
	}
	if (f->open_fd >= 0) {
		close(f->open_fd);
		p9srv_acct_give(f->acct);
	}
	node_put(f->node);
	pthread_mutex_destroy(&f->lock);
	free(f);
}

/* Is aname the path e (trailing slashes aside)? */
static bool
same_path(struct p9_str aname, const char *e)
{
	size_t n = strlen(e);

	while (n > 1 && e[n - 1] == '/')
		n--;
	while (aname.len > 1 && aname.ptr[aname.len - 1] == '/')
		aname.len--;
	return aname.len == n && memcmp(aname.ptr, e, n) == 0;
}

/* Tattach: aname selects the export: empty, the export's path as given,
 * or its absolute path with symlinks resolved (what diod's tools send). */
static int
px_attach(struct p9srv_req *r, const struct p9_tattach *in, void **root, struct p9_qid *qid)
{
	struct posix_fs *fs = px_fs(r);
	struct stat st;
	struct pfid *f;

	if (in->aname.len != 0 && !same_path(in->aname, fs->export_path) &&
	    !same_path(in->aname, fs->export_real))
		return ENOENT;
	if (fstat(fs->root->fd, &st) != 0)
		return errno;
	if ((f = pfid_new(fs, p9srv_req_conn(r), node_ref(fs->root))) == NULL) {
		node_put(fs->root);
		return ENOMEM;
	}
	*qid = fs_qid(fs, &st);
	*root = f;
	return 0;
}

/* One name of a Twalk (walk(5)): no symlink following (fs_walk1). */
static int
px_walk1(struct p9srv_req *r, void *dir, const char *name, void **next, struct p9_qid *qid)
{
	struct pfid *d = dir, *f;
	struct node *cur = pfid_node(d), *n;
	int err = fs_walk1(cur, p9srv_req_conn(r), name, &n);

	node_put(cur);
	if (err != 0)
		return err;
	if ((f = pfid_new(d->fs, p9srv_req_conn(r), n)) == NULL) {
		node_put(n);
		return ENOMEM;
	}
	*qid = n->qid;
	*next = f;
	return 0;
}

/*
 * What runs on the loop thread, with no hand-off to a worker: walks (one
 * openat per name), Tgetattr (one statx) and Tclunk (closing descriptors)
 * on a local file system take microseconds; Tread tries the page cache
 * (RWF_NOWAIT) and goes to a worker when the data is not there.
 */
#define NB(t)	((uint64_t)1 << ((t) & 63))
_Static_assert(P9_TGETATTR < 64 && P9_TWALK >= 64 && P9_TREAD >= 64 && P9_TCLUNK >= 64 &&
    P9_TCLUNK < 128, "nonblock words");
_Static_assert(P9_TSETATTR < 64 && P9_TREADDIR < 64 && P9_TLINK >= 64 && P9_TUNLINKAT < 128 &&
    P9_TWRITE >= 64 && P9_TWRITE < 128, "quick words");

const struct p9srv_backend posix_backend = {
	.name = "posix",
	.flags = P9SRV_BACKEND_CREDS,
	.nonblock = { NB(P9_TGETATTR), NB(P9_TWALK) | NB(P9_TREAD) | NB(P9_TCLUNK) },
	.quick = { NB(P9_TSTATFS) | NB(P9_TLOPEN) | NB(P9_TLCREATE) | NB(P9_TSYMLINK) |
	    NB(P9_TMKNOD) | NB(P9_TREADLINK) | NB(P9_TSETATTR) | NB(P9_TXATTRWALK) |
	    NB(P9_TREADDIR),
	    NB(P9_TLINK) | NB(P9_TMKDIR) | NB(P9_TRENAMEAT) | NB(P9_TUNLINKAT) | NB(P9_TWRITE) },
	.attach = px_attach,
	.walk1 = px_walk1,
	.clone = px_clone,
	.release = px_release,
	.statfs = px_statfs,
	.lopen = px_lopen,
	.lcreate = px_lcreate,
	.symlink = px_symlink,
	.mknod = px_mknod,
	.rename = px_rename,
	.readlink = px_readlink,
	.getattr = px_getattr,
	.setattr = px_setattr,
	.readdir = px_readdir,
	.fsync = px_fsync,
	.lock = px_lock,
	.getlock = px_getlock,
	.link = px_link,
	.mkdir = px_mkdir,
	.renameat = px_renameat,
	.unlinkat = px_unlinkat,
	.read = px_read,
	.write = px_write,
	.remove = px_remove,
	.xattr_get = px_xattr_get,
	.xattr_set = px_xattr_set,
};
