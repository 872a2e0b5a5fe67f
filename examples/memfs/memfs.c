/*
 * memfs: a file system in memory, served by the lib9plsrv engine (memfs.h).
 *
 * The tree. A node (struct mnode) is an inode: its kind and attributes,
 * and a regular file's bytes, a symlink's target or a directory's entries.
 * A directory entry (struct dent) is a name: it names one node and is held
 * by one directory, hashed by name and kept in a list ordered by a per-
 * directory id that only grows. The ids are the readdir cookies: a listing
 * resumes after the id it was given, so entries made or removed between
 * two Treaddirs never make a reader skip or repeat one that stays.
 *
 * Files. Each fid's file (struct mfid) holds a reference to its node and,
 * for what is not a directory, to the entry it was reached by. A rename
 * moves the entry itself, so the fids of a renamed file follow it and
 * Tremove/Trename of such a fid act on where the file is now; an entry that
 * was unlinked or replaced is dead (dir NULL) and stays allocated while a
 * fid holds it. A directory has exactly one name (n->self), so its fids
 * need none of their own. A node lives while it has a name (nlink) or a
 * fid (refs): unlinked-but-open files keep working, as on Unix.
 *
 * Concurrency: one mutex (fs->mu) guards the whole tree and every fid.
 * Every operation is a few memory operations under it; nothing blocks with
 * it held. The program's control-file callbacks are the exception: they
 * run with the mutex released (they may call back into memfs), on a fid
 * and node that the fid's reference keeps alive.
 *
 * Memory: every allocation the tree makes is charged to fs->used before it
 * is made, and what would pass max_bytes is ENOSPC, so a client cannot
 * grow the process past the cap. Fids are not charged: the engine bounds
 * them per connection (max_fids).
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE	/* clock_gettime, getgroups, DT_* (the build defines it too) */
#endif

#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/stat.h>

#include "memfs.h"

#define DEFAULT_MAX	((uint64_t)64 << 20)
#define NAME_LEN_MAX	255		/* NAME_MAX of Linux */
#define TARGET_LEN_MAX	4095		/* PATH_MAX - 1: the longest symlink Linux stores */
#define FILE_SIZE_MAX	((uint64_t)INT64_MAX)	/* off_t: what a client can address */
#define XNAME_LEN_MAX	255		/* XATTR_NAME_MAX */
#define XVALUE_MAX	65536		/* XATTR_SIZE_MAX */
#define LOCK_ID_MAX	64		/* client_id bytes kept per lock */
#define LOCK_END	((uint64_t)INT64_MAX)	/* a lock's end "to end of file" */
#define V9FS_MAGIC	0x01021997u
#define BLOCK_SIZE	4096u		/* what statfs and getattr report */
#define DIRENT_BOGO	20		/* a directory's "size" per entry, as tmpfs */
#define CTL_FIRST	4096		/* first buffer offered to a control read */
#define CTL_TRIES	4		/* a control file growing between calls */

/* Readdir cookies: "." and ".." come first, then entry ids. */
#define COOKIE_DOT	1
#define COOKIE_DOTDOT	2
#define COOKIE_FIRST	3

/* Permission bits asked for (as in the mode's rwx triplets). */
#define MAY_R	4
#define MAY_W	2
#define MAY_X	1

struct mnode;
struct mfid;

struct dent {
	struct dent	*hnext;		/* hash chain of its directory */
	struct dent	*next, *prev;	/* its directory's entries, by id */
	struct mnode	*dir;		/* the directory holding it; NULL once dead */
	struct mnode	*node;		/* what it names (counted in node->nlink while alive) */
	uint64_t	 id;		/* readdir cookie, unique in dir */
	unsigned	 refs;		/* fids and readdir positions holding it */
	uint16_t	 len;
	char		*name;		/* len bytes, NUL-terminated; replaced by a rename */
};

struct mxattr {
	struct mxattr	*next;
	size_t		 size;
	uint16_t	 len;
	char		*value;
	char		 name[];	/* NUL-terminated */
};

/* One granted range of one owner; an owner's ranges never overlap. */
struct mlock {
	struct mlock	*next;
	const struct p9srv_conn *conn;	/* owner: connection, proc_id, client_id */
	uint32_t	 proc_id;
	uint16_t	 idlen;
	char		 id[LOCK_ID_MAX];
	uint64_t	 start, end;	/* inclusive */
	uint8_t		 type;		/* P9_LOCK_TYPE_RDLCK or P9_LOCK_TYPE_WRLCK */
};

struct mnode {
	uint64_t	 ino;		/* qid.path */
	uint64_t	 version;	/* bumped by every change of contents */
	mode_t		 mode;
	uid_t		 uid;
	gid_t		 gid;
	uint32_t	 nlink;		/* live names; a directory: 1 while linked */
	unsigned	 refs;		/* fids */
	uint64_t	 rdev;		/* Linux's encoding of a device number */
	struct timespec	 atime, mtime, ctime, btime;
	struct mxattr	*xattrs;
	struct mlock	*locks;
	struct mfid	*opened;	/* fids opened on it */
	/* Regular files. */
	uint8_t		*data;
	uint64_t	 size, cap;	/* cap is what is allocated and charged */
	const struct memfs_ctl *ctl;	/* a control file: contents made by the program */
	void		*ctl_arg;
	/* Symlinks. */
	char		*target;	/* NUL-terminated; the size is strlen */
	/* Directories. */
	struct dent	*self;		/* its name; NULL for the root and once removed */
	struct dent	*first, *last;	/* entries by id */
	struct dent	**hash;
	uint32_t	 nhash, nentries, nsubdirs;
	uint64_t	 next_id;
};

struct mfid {
	struct memfs	*fs;
	struct mnode	*node;		/* reference held */
	struct dent	*dent;		/* reference held: the name of a non-directory, or NULL */
	struct p9srv_conn *conn;	/* the connection the fid is of (lock owner) */
	struct mfid	*onext, *oprev;	/* node->opened */
	bool		 opened;
	uint32_t	 oflags;	/* Tlopen/Tlcreate flags */
	uint8_t		*snap;		/* a control file's contents at open (charged) */
	size_t		 snaplen;
	struct dent	*rdpos;		/* reference held: the last entry Treaddir sent */
};

struct memfs {
	pthread_mutex_t	 mu;
	struct memfs_config cfg;
	uint64_t	 used;
	uint64_t	 next_ino;
	struct mnode	*root;
	struct p9srv_cred self;		/* the process's user: requests without a cred */
	struct p9srv_backend backend;
};

/* --- memory, time, users -------------------------------------------------- */

static bool
charge(struct memfs *fs, uint64_t n)
{
	if (n > fs->cfg.max_bytes - fs->used)
		return false;
	fs->used += n;
	return true;
}

static void
uncharge(struct memfs *fs, uint64_t n)
{
	fs->used -= n;
}

static struct timespec
now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return ts;
}

static struct memfs *
fs_of(struct p9srv_req *r)
{
	return p9srv_ctx(p9srv_req_server(r));
}

/* The user a request runs as: the engine's, or the process's (memfs.h). */
static const struct p9srv_cred *
cred_of(struct memfs *fs, struct p9srv_req *r)
{
	const struct p9srv_cred *c = r != NULL ? p9srv_req_cred(r) : NULL;

	return c != NULL ? c : &fs->self;
}

static bool
in_group(const struct p9srv_cred *c, gid_t g)
{
	int i;

	if (c->gid == g)
		return true;
	for (i = 0; i < c->ngroups && i < 64; i++)
		if (c->groups[i] == g)
			return true;
	return false;
}

/* Unix permission check: owner, group or other bits; uid 0 passes (but, as
 * on Linux, may not execute what nobody may). 0 or EACCES. */
static int
may(const struct p9srv_cred *c, const struct mnode *n, int want)
{
	mode_t bits;

	if (c->uid == 0) {
		if ((want & MAY_X) && !S_ISDIR(n->mode) && (n->mode & 0111) == 0)
			return EACCES;
		return 0;
	}
	if (c->uid == n->uid)
		bits = (n->mode >> 6) & 7;
	else if (in_group(c, n->gid))
		bits = (n->mode >> 3) & 7;
	else
		bits = n->mode & 7;
	return ((mode_t)want & ~bits) == 0 ? 0 : EACCES;
}

static bool
owns(const struct p9srv_cred *c, const struct mnode *n)
{
	return c->uid == 0 || c->uid == n->uid;
}

/* Removing or replacing victim's name in dir: write and search permission,
 * and in a sticky directory only the owner of one of them (or root). */
static int
may_delete(const struct p9srv_cred *c, const struct mnode *dir, const struct mnode *victim)
{
	int err = may(c, dir, MAY_W | MAY_X);

	if (err == 0 && (dir->mode & S_ISVTX) && !owns(c, dir) && !owns(c, victim))
		err = EPERM;
	return err;
}

/* --- nodes ---------------------------------------------------------------- */

static struct p9_qid
qid_of(const struct mnode *n)
{
	struct p9_qid q;

	if (S_ISDIR(n->mode))
		q.type = P9_QTDIR;
	else if (S_ISLNK(n->mode))
		q.type = P9_QTSYMLINK;
	else
		q.type = P9_QTFILE;
	/* The version moves with the contents, so that a caching client
	 * sees changes; 0 would tell it to never cache. */
	q.version = (uint32_t)n->version;
	q.path = n->ino;
	return q;
}

static uint8_t
dtype_of(const struct mnode *n)
{
	return (uint8_t)IFTODT(n->mode);
}

static void
touch(struct mnode *n, bool content)
{
	n->ctime = now();
	if (content) {
		n->mtime = n->ctime;
		n->version++;
	}
}

static struct mnode *
node_new(struct memfs *fs, mode_t mode, uid_t uid, gid_t gid)
{
	struct mnode *n;

	if (!charge(fs, sizeof(*n)))
		return NULL;
	if ((n = calloc(1, sizeof(*n))) == NULL) {
		uncharge(fs, sizeof(*n));
		return NULL;
	}
	n->ino = fs->next_ino++;
	n->version = 1;
	n->mode = mode;
	n->uid = uid;
	n->gid = gid;
	n->atime = n->mtime = n->ctime = n->btime = now();
	n->next_id = COOKIE_FIRST;
	return n;
}

static void
node_free(struct memfs *fs, struct mnode *n)
{
	struct mxattr *x;
	struct mlock *l;

	while ((x = n->xattrs) != NULL) {
		n->xattrs = x->next;
		uncharge(fs, sizeof(*x) + x->len + 1 + x->size);
		free(x->value);
		free(x);
	}
	while ((l = n->locks) != NULL) {
		n->locks = l->next;
		uncharge(fs, sizeof(*l));
		free(l);
	}
	uncharge(fs, n->cap);
	free(n->data);
	if (n->target != NULL) {
		uncharge(fs, strlen(n->target) + 1);
		free(n->target);
	}
	uncharge(fs, (uint64_t)n->nhash * sizeof(*n->hash));
	free(n->hash);
	uncharge(fs, sizeof(*n));
	free(n);
}

/* A node goes when it has neither a name nor a fid. */
static void
node_maybe_free(struct memfs *fs, struct mnode *n)
{
	if (n->nlink == 0 && n->refs == 0)
		node_free(fs, n);
}

static void
node_put(struct memfs *fs, struct mnode *n)
{
	n->refs--;
	node_maybe_free(fs, n);
}

/*
 * Make a regular file's allocation at least `want` bytes (charged), or
 * shrink it when much is unused. Growth is by half again, so that a file
 * written in small pieces is not copied at every write, unless the cap
 * only allows the exact size. Bytes between size and want are not
 * touched: the caller zeroes or fills them.
 */
static int
reg_reserve(struct memfs *fs, struct mnode *n, uint64_t want)
{
	uint64_t cap = n->cap;
	uint8_t *p;

	if (want == 0) {
		free(n->data);
		n->data = NULL;
		uncharge(fs, n->cap);
		n->cap = 0;
		return 0;
	}
	if (want <= cap) {
		if (want >= cap / 4 || cap < 4096)
			return 0;
		/* Give back most of a file truncated far down. */
		if ((p = realloc(n->data, (size_t)want)) != NULL) {
			n->data = p;
			uncharge(fs, cap - want);
			n->cap = want;
		}
		return 0;
	}
	if (want > fs->cfg.max_bytes || want > SIZE_MAX)
		return ENOSPC;
	cap = cap + cap / 2 > want ? cap + cap / 2 : want;
	if (cap < 64)
		cap = 64;
	if (cap > SIZE_MAX || !charge(fs, cap - n->cap)) {
		cap = want;
		if (!charge(fs, cap - n->cap))
			return ENOSPC;
	}
	if ((p = realloc(n->data, (size_t)cap)) == NULL) {
		uncharge(fs, cap - n->cap);
		return ENOMEM;
	}
	n->data = p;
	n->cap = cap;
	return 0;
}

/* Set a regular file's size: truncate, or extend with zeros. */
static int
reg_resize(struct memfs *fs, struct mnode *n, uint64_t size)
{
	int err;

	if (size > n->size) {
		if ((err = reg_reserve(fs, n, size)) != 0)
			return err;
		memset(n->data + n->size, 0, (size_t)(size - n->size));
		n->size = size;
		return 0;
	}
	n->size = size;
	return reg_reserve(fs, n, size);
}

/* --- directories ------------------------------------------------------------ */

static uint32_t
name_hash(const char *s, size_t len)
{
	uint32_t h = 2166136261u;	/* FNV-1a */

	while (len-- > 0)
		h = (h ^ (uint8_t)*s++) * 16777619u;
	return h;
}

static struct dent *
dir_lookup(const struct mnode *dir, const char *name, size_t len)
{
	struct dent *d;

	if (dir->nhash == 0)
		return NULL;
	for (d = dir->hash[name_hash(name, len) & (dir->nhash - 1)]; d != NULL; d = d->hnext)
		if (d->len == len && memcmp(d->name, name, len) == 0)
			return d;
	return NULL;
}

/* Room in dir's hash for one more entry: chains stay short by doubling
 * the table (charged) once it holds two entries per bucket. */
static int
dir_reserve(struct memfs *fs, struct mnode *dir)
{
	uint32_t n = dir->nhash != 0 ? dir->nhash * 2 : 8, i;
	struct dent **h, *d, *next;

	if (dir->nentries + 1 <= dir->nhash * 2)
		return 0;
	if (n == 0 || !charge(fs, (uint64_t)n * sizeof(*h)))
		return ENOSPC;
	if ((h = calloc(n, sizeof(*h))) == NULL) {
		uncharge(fs, (uint64_t)n * sizeof(*h));
		return ENOMEM;
	}
	for (i = 0; i < dir->nhash; i++) {
		for (d = dir->hash[i]; d != NULL; d = next) {
			next = d->hnext;
			d->hnext = h[name_hash(d->name, d->len) & (n - 1)];
			h[name_hash(d->name, d->len) & (n - 1)] = d;
		}
	}
	uncharge(fs, (uint64_t)dir->nhash * sizeof(*h));
	free(dir->hash);
	dir->hash = h;
	dir->nhash = n;
	return 0;
}

static void
hash_add(struct mnode *dir, struct dent *d)
{
	struct dent **b = &dir->hash[name_hash(d->name, d->len) & (dir->nhash - 1)];

	d->hnext = *b;
	*b = d;
}

static void
hash_del(struct mnode *dir, struct dent *d)
{
	struct dent **pp = &dir->hash[name_hash(d->name, d->len) & (dir->nhash - 1)];

	while (*pp != d)
		pp = &(*pp)->hnext;
	*pp = d->hnext;
	d->hnext = NULL;
}

static struct dent *
dent_new(struct memfs *fs, const char *name, size_t len)
{
	struct dent *d;

	if (!charge(fs, sizeof(*d) + len + 1))
		return NULL;
	d = calloc(1, sizeof(*d));
	if (d == NULL || (d->name = malloc(len + 1)) == NULL) {
		free(d);
		uncharge(fs, sizeof(*d) + len + 1);
		return NULL;
	}
	memcpy(d->name, name, len);
	d->name[len] = '\0';
	d->len = (uint16_t)len;
	return d;
}

static void
dent_free(struct memfs *fs, struct dent *d)
{
	uncharge(fs, sizeof(*d) + d->len + 1);
	free(d->name);
	free(d);
}

static void
dent_put(struct memfs *fs, struct dent *d)
{
	if (d != NULL && --d->refs == 0 && d->dir == NULL)
		dent_free(fs, d);
}

/* Link d (naming d->node) into dir at the end of its order, with a new
 * id. dir_reserve must have succeeded. */
static void
dir_link(struct mnode *dir, struct dent *d)
{
	d->dir = dir;
	d->id = dir->next_id++;
	d->next = NULL;
	d->prev = dir->last;
	if (dir->last != NULL)
		dir->last->next = d;
	else
		dir->first = d;
	dir->last = d;
	hash_add(dir, d);
	dir->nentries++;
	if (S_ISDIR(d->node->mode)) {
		dir->nsubdirs++;
		d->node->self = d;
		d->node->nlink = 1;
	} else {
		d->node->nlink++;
	}
}

/* Take d out of its directory (it keeps its node pointer). */
static void
dir_unlink(struct mnode *dir, struct dent *d)
{
	hash_del(dir, d);
	if (d->prev != NULL)
		d->prev->next = d->next;
	else
		dir->first = d->next;
	if (d->next != NULL)
		d->next->prev = d->prev;
	else
		dir->last = d->prev;
	d->next = d->prev = NULL;
	dir->nentries--;
	if (S_ISDIR(d->node->mode))
		dir->nsubdirs--;
	d->dir = NULL;
}

/* Remove the name d: the node loses a link and goes if nothing holds it;
 * the entry goes unless a fid or a readdir position holds it. */
static void
dent_kill(struct memfs *fs, struct dent *d)
{
	struct mnode *dir = d->dir, *n = d->node;

	dir_unlink(dir, d);
	touch(dir, true);
	if (S_ISDIR(n->mode)) {
		n->self = NULL;
		n->nlink = 0;
	} else {
		n->nlink--;
	}
	n->ctime = dir->ctime;
	if (d->refs == 0)
		dent_free(fs, d);
	node_maybe_free(fs, n);
}

/* Is a (a directory) b or above it? */
static bool
is_ancestor(const struct mnode *a, const struct mnode *b)
{
	while (b != NULL) {
		if (a == b)
			return true;
		b = b->self != NULL ? b->self->dir : NULL;
	}
	return false;
}

/* --- names ------------------------------------------------------------------ */

/* A name from the wire (spec 1.3): non-empty, no '/', at most 255 bytes. */
static int
check_name(struct p9_str s)
{
	if (s.len == 0 || memchr(s.ptr, '/', s.len) != NULL)
		return ENOENT;
	if (s.len > NAME_LEN_MAX)
		return ENAMETOOLONG;
	return 0;
}

static bool
is_dots(struct p9_str s)
{
	return (s.len == 1 && s.ptr[0] == '.') || (s.len == 2 && s.ptr[0] == '.' && s.ptr[1] == '.');
}

/* The group of a new node in dir: a setgid directory's own (BSD rule);
 * else the one the client asked for if the user may use it; else the
 * user's. */
static gid_t
new_gid(const struct p9srv_cred *c, const struct mnode *dir, uint32_t want)
{
	if (dir->mode & S_ISGID)
		return dir->gid;
	if (want != (uint32_t)-1 && (c->uid == 0 || in_group(c, (gid_t)want)))
		return (gid_t)want;
	return c->gid;
}

/*
 * Create name in dir as a new node of the given mode (type and permission
 * bits), owned by c; c NULL is the program (no permission check, owned by
 * the configured user). Returns 0 with *out (and *dout, its entry) or an
 * errno; nothing is changed on failure.
 */
static int
create(struct memfs *fs, const struct p9srv_cred *c, struct mnode *dir, struct p9_str name,
    mode_t mode, uint32_t gid, struct mnode **out, struct dent **dout)
{
	struct mnode *n;
	struct dent *d;
	int err;

	if (!S_ISDIR(dir->mode))
		return ENOTDIR;
	if ((err = check_name(name)) != 0)
		return err;
	if (is_dots(name))
		return EEXIST;
	if (c != NULL && (err = may(c, dir, MAY_X)) != 0)
		return err;
	if (dir_lookup(dir, name.ptr, name.len) != NULL)
		return EEXIST;
	if (dir != fs->root && dir->nlink == 0)
		return ENOENT;		/* a removed directory takes no new names */
	if (c != NULL && (err = may(c, dir, MAY_W)) != 0)
		return err;
	if (c != NULL)
		n = node_new(fs, mode, c->uid, new_gid(c, dir, gid));
	else
		n = node_new(fs, mode, fs->cfg.uid, fs->cfg.gid);
	if (n == NULL)
		return ENOSPC;
	if (S_ISDIR(mode) && (dir->mode & S_ISGID))
		n->mode |= S_ISGID;
	if ((d = dent_new(fs, name.ptr, name.len)) == NULL) {
		node_free(fs, n);
		return ENOSPC;
	}
	if ((err = dir_reserve(fs, dir)) != 0) {
		dent_free(fs, d);
		node_free(fs, n);
		return err;
	}
	d->node = n;
	dir_link(dir, d);
	touch(dir, true);
	*out = n;
	if (dout != NULL)
		*dout = d;
	return 0;
}

/* --- files (fids) ------------------------------------------------------------ */

static struct mfid *
fid_new(struct memfs *fs, struct p9srv_conn *conn, struct mnode *n, struct dent *d)
{
	struct mfid *f = calloc(1, sizeof(*f));

	if (f == NULL)
		return NULL;
	f->fs = fs;
	f->conn = conn;
	f->node = n;
	n->refs++;
	if (!S_ISDIR(n->mode) && d != NULL) {
		f->dent = d;
		d->refs++;
	}
	return f;
}

/* The entry naming f's file now: a directory's own, or the one the fid
 * was reached by; NULL for the root. */
static struct dent *
fid_name(const struct mfid *f)
{
	return S_ISDIR(f->node->mode) ? f->node->self : f->dent;
}

static bool
acc_reads(uint32_t flags)
{
	return (flags & 3) == P9_DOTL_RDONLY || (flags & 3) == P9_DOTL_RDWR;
}

static bool
acc_writes(uint32_t flags)
{
	return (flags & 3) == P9_DOTL_WRONLY || (flags & 3) == P9_DOTL_RDWR;
}

/* Drop the locks that conn's owners hold on n, once conn has no other
 * opened fid on it: POSIX locks belong to a process, not to one
 * descriptor, but they all go when the process (connection) lets go of
 * the file. */
static void
locks_drop_conn(struct memfs *fs, struct mnode *n, const struct p9srv_conn *conn)
{
	struct mlock **pp = &n->locks, *l;
	struct mfid *o;

	for (o = n->opened; o != NULL; o = o->onext)
		if (o->conn == conn)
			return;
	while ((l = *pp) != NULL) {
		if (l->conn == conn) {
			*pp = l->next;
			uncharge(fs, sizeof(*l));
			free(l);
		} else {
			pp = &l->next;
		}
	}
}

static void *
mf_clone(struct p9srv_req *r, void *file)
{
	struct mfid *f = file, *nf;
	struct memfs *fs = f->fs;

	pthread_mutex_lock(&fs->mu);
	nf = fid_new(fs, p9srv_req_conn(r), f->node, f->dent);
	pthread_mutex_unlock(&fs->mu);
	return nf;
}

static void
mf_release(void *file)
{
	struct mfid *f = file;
	struct memfs *fs = f->fs;
	struct mnode *n = f->node;

	pthread_mutex_lock(&fs->mu);
	if (f->opened) {
		if (f->oprev != NULL)
			f->oprev->onext = f->onext;
		else
			n->opened = f->onext;
		if (f->onext != NULL)
			f->onext->oprev = f->oprev;
		if (n->locks != NULL)
			locks_drop_conn(fs, n, f->conn);
	}
	if (f->snap != NULL) {
		uncharge(fs, f->snaplen);
		free(f->snap);
	}
	dent_put(fs, f->rdpos);
	dent_put(fs, f->dent);
	node_put(fs, n);
	pthread_mutex_unlock(&fs->mu);
	free(f);
}

/* Tattach: the whole tree, whoever asks; aname may be empty or "/". */
static int
mf_attach(struct p9srv_req *r, const struct p9_tattach *in, void **root, struct p9_qid *qid)
{
	struct memfs *fs = fs_of(r);
	struct mfid *f;

	if (in->aname.len != 0 && !p9_str_eq(in->aname, "/"))
		return ENOENT;
	pthread_mutex_lock(&fs->mu);
	f = fid_new(fs, p9srv_req_conn(r), fs->root, NULL);
	if (f != NULL)
		*qid = qid_of(fs->root);
	pthread_mutex_unlock(&fs->mu);
	if (f == NULL)
		return ENOMEM;
	*root = f;
	return 0;
}

/* One name of a Twalk. ".." of the root is the root; symlinks are names
 * like any other (never followed). */
static int
mf_walk1(struct p9srv_req *r, void *dir, const char *name, void **next, struct p9_qid *qid)
{
	struct mfid *f = dir, *nf;
	struct memfs *fs = f->fs;
	struct mnode *d = f->node, *n = NULL;
	struct dent *de = NULL;
	int err;

	pthread_mutex_lock(&fs->mu);
	if (!S_ISDIR(d->mode))
		err = ENOTDIR;
	else
		err = may(cred_of(fs, r), d, MAY_X);
	if (err == 0) {
		if (strcmp(name, ".") == 0) {
			n = d;
		} else if (strcmp(name, "..") == 0) {
			if (d == fs->root)
				n = d;
			else if (d->self == NULL)
				err = ENOENT;	/* removed: no parent any more */
			else
				n = d->self->dir;
		} else if ((de = dir_lookup(d, name, strlen(name))) != NULL) {
			n = de->node;
		} else {
			err = ENOENT;
		}
	}
	if (err == 0) {
		if ((nf = fid_new(fs, p9srv_req_conn(r), n, de)) == NULL) {
			err = ENOMEM;
		} else {
			*qid = qid_of(n);
			*next = nf;
		}
	}
	pthread_mutex_unlock(&fs->mu);
	return err;
}

/* --- open, create, read, write ---------------------------------------------- */

/* Can c open n with these Tlopen flags? (open(2)'s checks, in its order.) */
static int
open_check(const struct p9srv_cred *c, const struct mnode *n, uint32_t flags)
{
	int want;

	if (S_ISLNK(n->mode))
		return ELOOP;		/* servers open with O_NOFOLLOW (spec 3.6) */
	if ((flags & P9_DOTL_DIRECTORY) && !S_ISDIR(n->mode))
		return ENOTDIR;
	if (!S_ISDIR(n->mode) && !S_ISREG(n->mode))
		return EPERM;		/* device, fifo and socket nodes are never opened */
	if (S_ISDIR(n->mode) && (acc_writes(flags) || (flags & P9_DOTL_TRUNC)))
		return EISDIR;
	want = 0;
	if ((flags & 3) != P9_DOTL_WRONLY)
		want |= MAY_R;
	if ((flags & 3) != P9_DOTL_RDONLY || (flags & P9_DOTL_TRUNC))
		want |= MAY_W;
	if (n->ctl != NULL && (((want & MAY_R) && n->ctl->read == NULL) ||
	    ((want & MAY_W) && n->ctl->write == NULL)))
		return EACCES;
	return may(c, n, want);
}

/*
 * A control file's contents, made by the program's read callback without
 * fs->mu held: *buf (malloc'd) holds *len bytes. The callback tells the
 * whole length; if the buffer was short it is called again with one that
 * large (a few times, for contents that grow meanwhile).
 */
static int
ctl_fill(const struct memfs_ctl *ops, void *arg, uint8_t **buf, size_t *len)
{
	size_t cap = CTL_FIRST;
	uint8_t *p = NULL, *np;
	long got = 0;
	int i;

	for (i = 0; i < CTL_TRIES; i++) {
		if ((np = realloc(p, cap)) == NULL) {
			free(p);
			return ENOMEM;
		}
		p = np;
		got = ops->read(arg, (char *)p, cap);
		if (got < 0) {
			free(p);
			return (int)-got;
		}
		if ((size_t)got <= cap)
			break;
		cap = (size_t)got;
	}
	if ((size_t)got > cap) {
		free(p);
		return EAGAIN;
	}
	*buf = p;
	*len = (size_t)got;
	return 0;
}

/* Make f an opened fid of n (held by f) with flags; snap is a control
 * file's contents (charged here). With fs->mu held. */
static int
open_commit(struct memfs *fs, struct mfid *f, uint32_t flags, uint8_t *snap, size_t snaplen)
{
	struct mnode *n = f->node;
	int err;

	if (snap != NULL && !charge(fs, snaplen))
		return ENOSPC;
	/* O_TRUNC empties a regular file; a control file ignores it, as
	 * /proc files do, so that "echo x > ctl" works. */
	if ((flags & P9_DOTL_TRUNC) && S_ISREG(n->mode) && n->ctl == NULL) {
		if ((err = reg_resize(fs, n, 0)) != 0) {
			if (snap != NULL)
				uncharge(fs, snaplen);
			return err;
		}
		touch(n, true);
	}
	f->snap = snap;
	f->snaplen = snaplen;
	f->opened = true;
	f->oflags = flags;
	f->oprev = NULL;
	f->onext = n->opened;
	if (n->opened != NULL)
		n->opened->oprev = f;
	n->opened = f;
	return 0;
}

/* If n is a control file opened for reading, fill *snap with fs->mu
 * released (n stays alive: the caller holds a reference). */
static int
ctl_snapshot(struct memfs *fs, struct mnode *n, uint32_t flags, uint8_t **snap, size_t *len)
{
	int err;

	*snap = NULL;
	*len = 0;
	if (n->ctl == NULL || !acc_reads(flags))
		return 0;
	pthread_mutex_unlock(&fs->mu);
	err = ctl_fill(n->ctl, n->ctl_arg, snap, len);
	pthread_mutex_lock(&fs->mu);
	return err;
}

/* Tlopen (spec 3.6). */
static int
mf_lopen(struct p9srv_req *r, void *file, const struct p9_tlopen *in, struct p9_rlopen *out)
{
	struct mfid *f = file;
	struct memfs *fs = f->fs;
	struct mnode *n = f->node;
	uint8_t *snap = NULL;
	size_t len = 0;
	int err;

	pthread_mutex_lock(&fs->mu);
	err = f->opened ? EINVAL : open_check(cred_of(fs, r), n, in->flags);
	if (err == 0)
		err = ctl_snapshot(fs, n, in->flags, &snap, &len);
	/* A second Tlopen on the fid may have won while the lock was free. */
	if (err == 0 && f->opened)
		err = EINVAL;
	if (err == 0)
		err = open_commit(fs, f, in->flags, snap, len);
	if (err == 0) {
		out->qid = qid_of(n);
		out->iounit = 0;	/* no hint: the client uses msize - 24 */
	} else {
		free(snap);
	}
	pthread_mutex_unlock(&fs->mu);
	return err;
}

/*
 * Tlcreate (spec 3.7): create a regular file and make the fid that file,
 * opened. Without EXCL an existing regular file is opened instead, as
 * open(O_CREAT) does; an existing symlink is never followed (ELOOP). A
 * new file is opened whatever its mode says, as open(2) allows its
 * creator.
 */
static int
mf_lcreate(struct p9srv_req *r, void *file, const struct p9_tlcreate *in,
    struct p9_rlcreate *out)
{
	struct mfid *f = file;
	struct memfs *fs = f->fs;
	const struct p9srv_cred *c = cred_of(fs, r);
	struct mnode *dir = f->node, *n = NULL;
	struct dent *d = NULL;
	uint8_t *snap = NULL;
	size_t len = 0;
	int err;

	pthread_mutex_lock(&fs->mu);
	if (f->opened)
		err = EINVAL;
	else if ((err = check_name(in->name)) == 0 && is_dots(in->name))
		err = EEXIST;
	else if (err == 0)
		err = may(c, dir, MAY_X);
	if (err == 0 && (d = dir_lookup(dir, in->name.ptr, in->name.len)) != NULL) {
		n = d->node;
		if (in->flags & P9_DOTL_EXCL)
			err = EEXIST;
		else if (S_ISDIR(n->mode))
			err = EISDIR;
		else
			err = open_check(c, n, in->flags & ~(uint32_t)P9_DOTL_DIRECTORY);
		if (err == 0) {
			/* Hold both across the control file's callback. */
			n->refs++;
			d->refs++;
			err = ctl_snapshot(fs, n, in->flags, &snap, &len);
			if (err == 0 && (f->opened || f->node != dir))
				err = EINVAL;
			if (err != 0) {
				dent_put(fs, d);
				node_put(fs, n);
			}
		}
	} else if (err == 0) {
		err = create(fs, c, dir, in->name, S_IFREG | (mode_t)(in->mode & 07777), in->gid,
		    &n, &d);
		if (err == 0) {
			n->refs++;
			d->refs++;
		}
	}
	if (err == 0) {
		/* The fid becomes the file: it holds the references taken. */
		f->node = n;
		f->dent = d;
		err = open_commit(fs, f, in->flags & ~(uint32_t)P9_DOTL_DIRECTORY, snap, len);
		if (err != 0) {
			f->node = dir;
			f->dent = NULL;
			dent_put(fs, d);
			node_put(fs, n);
			free(snap);
		} else {
			node_put(fs, dir);
			out->qid = qid_of(n);
			out->iounit = 0;
		}
	} else {
		free(snap);
	}
	pthread_mutex_unlock(&fs->mu);
	return err;
}

/* Tread (spec 3.8): a regular file's bytes, or a control file's
 * contents as they were at open. */
static int
mf_read(struct p9srv_req *r, void *file, const struct p9_tread *in, struct p9_rread *out)
{
	struct mfid *f = file;
	struct memfs *fs = f->fs;
	struct mnode *n = f->node;
	uint32_t room;
	uint8_t *data = p9srv_req_rdata(r, &room);
	const uint8_t *src;
	uint64_t size;
	int err = 0;

	pthread_mutex_lock(&fs->mu);
	if (S_ISDIR(n->mode)) {
		err = EISDIR;
	} else if (!acc_reads(f->oflags)) {
		err = EBADF;
	} else {
		src = n->ctl != NULL ? f->snap : n->data;
		size = n->ctl != NULL ? f->snaplen : n->size;
		out->data.ptr = data;
		out->data.len = 0;
		if (in->offset < size) {
			out->data.len = size - in->offset < room ? (uint32_t)(size - in->offset) : room;
			memcpy(data, src + in->offset, out->data.len);
		}
		if (!(f->oflags & P9_DOTL_NOATIME))
			n->atime = now();
	}
	pthread_mutex_unlock(&fs->mu);
	return err;
}

/* A control file's write: the program's callback, with fs->mu released. */
static int
ctl_write(struct memfs *fs, struct mnode *n, const struct p9_twrite *in, struct p9_rwrite *out)
{
	const struct memfs_ctl *ops = n->ctl;
	long got;

	pthread_mutex_unlock(&fs->mu);
	got = ops->write(n->ctl_arg, in->offset, in->data.ptr, in->data.len);
	pthread_mutex_lock(&fs->mu);
	if (got < 0)
		return (int)-got;
	out->count = (uint32_t)got > in->data.len ? in->data.len : (uint32_t)got;
	return 0;
}

/* Twrite (spec 3.8). All or nothing: a write that the cap refuses is
 * ENOSPC, never a short count of 0 (the Linux client would retry it
 * forever). */
static int
mf_write(struct p9srv_req *r, void *file, const struct p9_twrite *in, struct p9_rwrite *out)
{
	struct mfid *f = file;
	struct memfs *fs = f->fs;
	struct mnode *n = f->node;
	const struct p9srv_cred *c = cred_of(fs, r);
	uint64_t off = in->offset, len = in->data.len;
	int err = 0;

	pthread_mutex_lock(&fs->mu);
	if (!acc_writes(f->oflags) || !S_ISREG(n->mode)) {
		err = EBADF;
	} else if (n->ctl != NULL) {
		err = ctl_write(fs, n, in, out);
	} else {
		if (f->oflags & P9_DOTL_APPEND)
			off = n->size;
		if (off > FILE_SIZE_MAX || len > FILE_SIZE_MAX - off)
			err = EFBIG;
		else if (len > 0 && off + len > n->size)
			err = reg_reserve(fs, n, off + len);
		if (err == 0 && len > 0) {
			if (off > n->size)
				memset(n->data + n->size, 0, (size_t)(off - n->size));
			memcpy(n->data + off, in->data.ptr, (size_t)len);
			if (off + len > n->size)
				n->size = off + len;
			/* Writing drops setuid, and setgid of a group-executable
			 * file, unless root writes (Linux's file_remove_privs). */
			if (c->uid != 0)
				n->mode &= ~(mode_t)((n->mode & S_IXGRP) ? S_ISUID | S_ISGID :
				    S_ISUID);
			touch(n, true);
		}
		out->count = (uint32_t)len;
	}
	pthread_mutex_unlock(&fs->mu);
	return err;
}

/* Treaddir (spec 3.12): ".", "..", then the entries whose id is above
 * the offset, each entry's offset its id. */
static int
mf_readdir(struct p9srv_req *r, void *file, const struct p9_treaddir *in,
    struct p9_rreaddir *out)
{
	struct mfid *f = file;
	struct memfs *fs = f->fs;
	struct mnode *dir = f->node, *up;
	uint32_t room, used = 0;
	uint8_t *buf = p9srv_req_rdata(r, &room);
	struct p9_dirent e;
	struct dent *d, *last = NULL;
	bool full = false;
	int err = 0;

	pthread_mutex_lock(&fs->mu);
	if (!S_ISDIR(dir->mode)) {
		err = ENOTDIR;
		goto out;
	}
	up = dir->self != NULL ? dir->self->dir : dir;
	if (in->offset < COOKIE_DOT) {
		e = (struct p9_dirent){ qid_of(dir), COOKIE_DOT, DT_DIR, { ".", 1 } };
		full = p9_dirent_put(buf, room, &used, &e) != 0;
	}
	if (!full && in->offset < COOKIE_DOTDOT) {
		e = (struct p9_dirent){ qid_of(up), COOKIE_DOTDOT, DT_DIR, { "..", 2 } };
		full = p9_dirent_put(buf, room, &used, &e) != 0;
	}
	/* Resume after the entry the last reply ended with when that is the
	 * cookie asked for (the usual sequential listing); else search. */
	if (f->rdpos != NULL && f->rdpos->dir == dir && f->rdpos->id == in->offset)
		d = f->rdpos->next;
	else
		for (d = dir->first; d != NULL && d->id <= in->offset; d = d->next)
			continue;
	for (; !full && d != NULL; d = d->next) {
		e.qid = qid_of(d->node);
		e.offset = d->id;
		e.type = dtype_of(d->node);
		e.name.ptr = d->name;
		e.name.len = d->len;
		if (p9_dirent_put(buf, room, &used, &e) != 0)
			full = true;
		else
			last = d;
	}
	/* spec 3.12: not even one entry fits. */
	if (full && used == 0) {
		err = EINVAL;
		goto out;
	}
	if (last != NULL) {
		last->refs++;
		dent_put(fs, f->rdpos);
		f->rdpos = last;
	}
	if (!(f->oflags & P9_DOTL_NOATIME))
		dir->atime = now();
	out->data.ptr = buf;
	out->data.len = used;
out:
	pthread_mutex_unlock(&fs->mu);
	return err;
}

/* Tfsync: memory is as stable as it gets. */
static int
mf_fsync(struct p9srv_req *r, void *file, const struct p9_tfsync *in, struct p9_rfsync *out)
{
	(void)r; (void)file; (void)in; (void)out;
	return 0;
}

/* Tstatfs (spec 3.13): the cap as the disk, blocks of 4 KiB; "inodes" as
 * many nodes as the free memory could hold. */
static int
mf_statfs(struct p9srv_req *r, void *file, const struct p9_tstatfs *in, struct p9_rstatfs *out)
{
	struct mfid *f = file;
	struct memfs *fs = f->fs;
	uint64_t freeb;

	(void)r; (void)in;
	pthread_mutex_lock(&fs->mu);
	freeb = fs->cfg.max_bytes - fs->used;
	out->type = V9FS_MAGIC;
	out->bsize = BLOCK_SIZE;
	out->blocks = fs->cfg.max_bytes / BLOCK_SIZE;
	out->bfree = freeb / BLOCK_SIZE;
	out->bavail = out->bfree;
	out->files = fs->cfg.max_bytes / sizeof(struct mnode);
	out->ffree = freeb / sizeof(struct mnode);
	/* Any number that stays the same while fs lives (not its address:
	 * clients need not learn where the server's heap is). */
	out->fsid = (uint64_t)fs->root->btime.tv_sec << 20 ^ (uint64_t)fs->root->btime.tv_nsec;
	out->namelen = NAME_LEN_MAX;
	pthread_mutex_unlock(&fs->mu);
	return 0;
}

/* --- attributes --------------------------------------------------------------- */

/* Tgetattr (spec 3.10): everything is known, so everything is filled,
 * whatever the mask asks. */
static int
mf_getattr(struct p9srv_req *r, void *file, const struct p9_tgetattr *in,
    struct p9_rgetattr *out)
{
	struct mfid *f = file;
	struct memfs *fs = f->fs;
	struct mnode *n = f->node;

	(void)r; (void)in;
	pthread_mutex_lock(&fs->mu);
	out->valid = P9_GETATTR_ALL;
	out->qid = qid_of(n);
	out->mode = n->mode;
	out->uid = n->uid;
	out->gid = n->gid;
	if (S_ISDIR(n->mode))
		out->nlink = n->nlink != 0 || n == fs->root ? 2 + (uint64_t)n->nsubdirs : 0;
	else
		out->nlink = n->nlink;
	out->rdev = n->rdev;
	if (S_ISREG(n->mode))
		out->size = n->ctl != NULL ? 0 : n->size;
	else if (S_ISLNK(n->mode))
		out->size = strlen(n->target);
	else if (S_ISDIR(n->mode))
		out->size = (uint64_t)(n->nentries + 2) * DIRENT_BOGO;
	else
		out->size = 0;
	out->blksize = BLOCK_SIZE;
	out->blocks = (n->cap + 511) / 512;
	out->atime_sec = (uint64_t)n->atime.tv_sec;
	out->atime_nsec = (uint64_t)n->atime.tv_nsec;
	out->mtime_sec = (uint64_t)n->mtime.tv_sec;
	out->mtime_nsec = (uint64_t)n->mtime.tv_nsec;
	out->ctime_sec = (uint64_t)n->ctime.tv_sec;
	out->ctime_nsec = (uint64_t)n->ctime.tv_nsec;
	out->btime_sec = (uint64_t)n->btime.tv_sec;
	out->btime_nsec = (uint64_t)n->btime.tv_nsec;
	out->gen = 0;
	out->data_version = n->version;
	pthread_mutex_unlock(&fs->mu);
	return 0;
}

/* A Tsetattr time (spec 3.11): the given one with *_SET, else now. */
static int
set_time(uint32_t valid, uint32_t setbit, uint64_t sec, uint64_t nsec, struct timespec *ts)
{
	if (!(valid & setbit)) {
		*ts = now();
		return 0;
	}
	if (nsec >= 1000000000)
		return EINVAL;
	ts->tv_sec = (time_t)(int64_t)sec;	/* before 1970 arrives as two's complement */
	ts->tv_nsec = (long)nsec;
	return 0;
}

/*
 * What chown, chmod, truncate and utimensat would refuse, checked for the
 * whole Tsetattr before anything changes, so that a refused request
 * changes nothing (only ENOSPC of a growth can still stop it, and that
 * is tried first).
 */
static int
setattr_check(const struct p9srv_cred *c, const struct mfid *f, const struct p9_tsetattr *in)
{
	const struct mnode *n = f->node;
	uint32_t v = in->valid;
	int err;

	if (v & (P9_SETATTR_UID | P9_SETATTR_GID)) {
		/* chown(2): root may do anything; the owner may only give
		 * the file a group of its own, and keep its uid. */
		if (c->uid != 0 && ((v & P9_SETATTR_UID) && (uid_t)in->uid != n->uid))
			return EPERM;
		if (c->uid != 0 && (v & P9_SETATTR_GID) && (c->uid != n->uid ||
		    ((gid_t)in->gid != n->gid && !in_group(c, (gid_t)in->gid))))
			return EPERM;
		if (c->uid != 0 && !(v & P9_SETATTR_GID) && c->uid != n->uid)
			return EPERM;
	}
	if (v & P9_SETATTR_MODE) {
		if (S_ISLNK(n->mode))
			return EOPNOTSUPP;	/* Linux symlinks have no mode of their own */
		if (!owns(c, n))
			return EPERM;
	}
	if (v & P9_SETATTR_SIZE) {
		if (S_ISDIR(n->mode))
			return EISDIR;
		if (!S_ISREG(n->mode) || in->size > FILE_SIZE_MAX)
			return EINVAL;
		/* ftruncate on a descriptor opened for writing needs no
		 * permission; truncate(2) by name needs write permission. */
		if (!(f->opened && acc_writes(f->oflags)) && (err = may(c, n, MAY_W)) != 0)
			return err;
	}
	if (v & (P9_SETATTR_ATIME | P9_SETATTR_MTIME)) {
		/* utimensat: explicit times need the owner; "now" needs the
		 * owner or write permission. */
		bool explicit = ((v & P9_SETATTR_ATIME) && (v & P9_SETATTR_ATIME_SET)) ||
		    ((v & P9_SETATTR_MTIME) && (v & P9_SETATTR_MTIME_SET));

		if (explicit && !owns(c, n))
			return EPERM;
		if (!explicit && !owns(c, n) && may(c, n, MAY_W) != 0)
			return EACCES;
	}
	return 0;
}

/* Tsetattr (spec 3.11): owner, mode, size, times, in that order. */
static int
mf_setattr(struct p9srv_req *r, void *file, const struct p9_tsetattr *in,
    struct p9_rsetattr *out)
{
	struct mfid *f = file;
	struct memfs *fs = f->fs;
	const struct p9srv_cred *c = cred_of(fs, r);
	struct mnode *n = f->node;
	uint32_t v = in->valid;
	struct timespec at = { 0, 0 }, mt = { 0, 0 };
	int err;

	(void)out;
	pthread_mutex_lock(&fs->mu);
	err = setattr_check(c, f, in);
	if (err == 0 && (v & P9_SETATTR_ATIME))
		err = set_time(v, P9_SETATTR_ATIME_SET, in->atime_sec, in->atime_nsec, &at);
	if (err == 0 && (v & P9_SETATTR_MTIME))
		err = set_time(v, P9_SETATTR_MTIME_SET, in->mtime_sec, in->mtime_nsec, &mt);
	/* A control file takes O_TRUNC's truncation as a no-op (open_commit). */
	if (err == 0 && (v & P9_SETATTR_SIZE) && n->ctl == NULL) {
		if ((err = reg_resize(fs, n, in->size)) == 0)
			touch(n, true);
	}
	if (err != 0)
		goto out;
	if (v & (P9_SETATTR_UID | P9_SETATTR_GID)) {
		if (v & P9_SETATTR_UID)
			n->uid = (uid_t)in->uid;
		if (v & P9_SETATTR_GID)
			n->gid = (gid_t)in->gid;
		/* chown drops setuid, and setgid where it means "run as
		 * group" (group-executable), of anything but a directory. */
		if (!S_ISDIR(n->mode))
			n->mode &= ~(mode_t)((n->mode & S_IXGRP) ? S_ISUID | S_ISGID : S_ISUID);
	}
	if (v & P9_SETATTR_MODE) {
		mode_t m = (mode_t)in->mode & 07777;

		/* Linux sends the type bits too; they are not the client's
		 * to change. A user outside the group cannot set setgid. */
		if (c->uid != 0 && !in_group(c, n->gid))
			m &= ~(mode_t)S_ISGID;
		n->mode = (n->mode & S_IFMT) | m;
	}
	if (v & P9_SETATTR_ATIME)
		n->atime = at;
	if (v & P9_SETATTR_MTIME)
		n->mtime = mt;
	/* Any change, or CTIME alone, moves ctime. */
	if (v != 0)
		n->ctime = now();
out:
	pthread_mutex_unlock(&fs->mu);
	return err;
}

/* --- the name space ------------------------------------------------------------ */

/* Tmkdir (spec 3.14): the mode as given (the client applied the umask);
 * the type bits Linux sends are ignored. */
static int
mf_mkdir(struct p9srv_req *r, void *dfile, const struct p9_tmkdir *in, struct p9_rmkdir *out)
{
	struct mfid *df = dfile;
	struct memfs *fs = df->fs;
	struct mnode *n;
	int err;

	pthread_mutex_lock(&fs->mu);
	err = create(fs, cred_of(fs, r), df->node, in->name, S_IFDIR | (mode_t)(in->mode & 07777),
	    in->gid, &n, NULL);
	if (err == 0)
		out->qid = qid_of(n);
	pthread_mutex_unlock(&fs->mu);
	return err;
}

/* Tsymlink (spec 3.14): the target is kept verbatim and never followed. */
static int
mf_symlink(struct p9srv_req *r, void *dfile, const struct p9_tsymlink *in,
    struct p9_rsymlink *out)
{
	struct mfid *df = dfile;
	struct memfs *fs = df->fs;
	struct mnode *n;
	char *t;
	int err;

	if (in->symtgt.len == 0)
		return ENOENT;		/* symlink(2) with an empty target */
	if (in->symtgt.len > TARGET_LEN_MAX)
		return ENAMETOOLONG;
	pthread_mutex_lock(&fs->mu);
	if (!charge(fs, (uint64_t)in->symtgt.len + 1)) {
		err = ENOSPC;
	} else if ((t = malloc((size_t)in->symtgt.len + 1)) == NULL) {
		uncharge(fs, (uint64_t)in->symtgt.len + 1);
		err = ENOMEM;
	} else {
		memcpy(t, in->symtgt.ptr, in->symtgt.len);
		t[in->symtgt.len] = '\0';
		err = create(fs, cred_of(fs, r), df->node, in->name, S_IFLNK | 0777, in->gid,
		    &n, NULL);
		if (err == 0) {
			n->target = t;
			out->qid = qid_of(n);
		} else {
			uncharge(fs, (uint64_t)in->symtgt.len + 1);
			free(t);
		}
	}
	pthread_mutex_unlock(&fs->mu);
	return err;
}

/* Linux's dev_t wire encoding (new_encode_dev), which v9fs decodes. */
static uint64_t
linux_dev(uint32_t ma, uint32_t mi)
{
	return (mi & 0xff) | ((uint64_t)ma & 0xfff) << 8 | ((uint64_t)mi & ~0xffu) << 12;
}

/* Tmknod (spec 3.14): fifos, sockets, regular files, and device nodes
 * (root only, as CAP_MKNOD). They are names with attributes: memfs never
 * opens a special node (a client opens fifos and devices on its side). */
static int
mf_mknod(struct p9srv_req *r, void *dfile, const struct p9_tmknod *in, struct p9_rmknod *out)
{
	struct mfid *df = dfile;
	struct memfs *fs = df->fs;
	const struct p9srv_cred *c = cred_of(fs, r);
	mode_t type = (mode_t)in->mode & S_IFMT;
	struct mnode *n;
	int err;

	if (type == 0)
		type = S_IFREG;		/* mknod(2): type 0 is a regular file */
	if (type == S_IFDIR)
		return EPERM;
	if (type != S_IFREG && type != S_IFIFO && type != S_IFSOCK && type != S_IFCHR &&
	    type != S_IFBLK)
		return EINVAL;
	if ((type == S_IFCHR || type == S_IFBLK) && c->uid != 0)
		return EPERM;
	pthread_mutex_lock(&fs->mu);
	err = create(fs, c, df->node, in->name, type | (mode_t)(in->mode & 07777), in->gid, &n,
	    NULL);
	if (err == 0) {
		if (type == S_IFCHR || type == S_IFBLK)
			n->rdev = linux_dev(in->major, in->minor);
		out->qid = qid_of(n);
	}
	pthread_mutex_unlock(&fs->mu);
	return err;
}

/* Treadlink (spec 3.14): EINVAL for anything but a symlink. */
static int
mf_readlink(struct p9srv_req *r, void *file, const struct p9_treadlink *in,
    struct p9_rreadlink *out)
{
	struct mfid *f = file;
	struct memfs *fs = f->fs;
	size_t cap, len;
	char *buf = (char *)p9srv_req_scratch(r, &cap);
	int err = 0;

	(void)in;
	pthread_mutex_lock(&fs->mu);
	if (!S_ISLNK(f->node->mode)) {
		err = EINVAL;
	} else if ((len = strlen(f->node->target)) > cap) {
		err = ENAMETOOLONG;
	} else {
		memcpy(buf, f->node->target, len);
		out->target = (struct p9_str){ buf, (uint16_t)len };
	}
	pthread_mutex_unlock(&fs->mu);
	return err;
}

/* Tlink dfid fid name (spec 3.14): a new name for fid's file. */
static int
mf_link(struct p9srv_req *r, void *dfile, void *file, const struct p9_tlink *in,
    struct p9_rlink *out)
{
	struct mfid *df = dfile, *f = file;
	struct memfs *fs = df->fs;
	const struct p9srv_cred *c = cred_of(fs, r);
	struct mnode *dir = df->node, *n = f->node;
	struct dent *d;
	int err;

	(void)out;
	pthread_mutex_lock(&fs->mu);
	if ((err = check_name(in->name)) == 0 && is_dots(in->name))
		err = EEXIST;
	if (err == 0 && S_ISDIR(n->mode))
		err = EPERM;		/* directories have one name */
	if (err == 0 && (err = may(c, dir, MAY_X)) == 0 &&
	    dir_lookup(dir, in->name.ptr, in->name.len) != NULL)
		err = EEXIST;
	if (err == 0 && n->nlink == 0)
		err = ENOENT;		/* linkat(2) of an unlinked file */
	if (err == 0 && dir != fs->root && dir->nlink == 0)
		err = ENOENT;
	if (err == 0)
		err = may(c, dir, MAY_W);
	if (err == 0 && n->nlink == UINT32_MAX)
		err = EMLINK;
	if (err == 0) {
		if ((d = dent_new(fs, in->name.ptr, in->name.len)) == NULL) {
			err = ENOSPC;
		} else if ((err = dir_reserve(fs, dir)) != 0) {
			dent_free(fs, d);
		} else {
			d->node = n;
			dir_link(dir, d);
			touch(dir, true);
			n->ctime = dir->ctime;
		}
	}
	pthread_mutex_unlock(&fs->mu);
	return err;
}

/*
 * Move the entry src to newdir/name, as rename(2): a name already there
 * is replaced (a directory only by a directory, and only an empty one); a
 * directory cannot move below itself; renaming a name onto another name
 * of the same file does nothing. The entry moves itself, so every fid of
 * the file follows it. With fs->mu held.
 */
static int
do_rename(struct memfs *fs, const struct p9srv_cred *c, struct dent *src, struct mnode *newdir,
    struct p9_str name)
{
	struct mnode *olddir = src->dir, *n = src->node;
	struct dent *dst;
	char *nn = NULL;
	int err;

	if ((err = check_name(name)) != 0)
		return err;
	if (is_dots(name))
		return EISDIR;
	if ((err = may_delete(c, olddir, n)) != 0 || (err = may(c, newdir, MAY_W | MAY_X)) != 0)
		return err;
	if (newdir != fs->root && newdir->nlink == 0)
		return ENOENT;
	dst = dir_lookup(newdir, name.ptr, name.len);
	if (dst == src || (dst != NULL && dst->node == n))
		return 0;
	if (S_ISDIR(n->mode)) {
		if (is_ancestor(n, newdir))
			return EINVAL;
		/* Its ".." changes: that is a write to the directory. */
		if (newdir != olddir && (err = may(c, n, MAY_W)) != 0)
			return err;
	}
	if (dst != NULL) {
		if ((err = may_delete(c, newdir, dst->node)) != 0)
			return err;
		if (S_ISDIR(n->mode) && !S_ISDIR(dst->node->mode))
			return ENOTDIR;
		if (!S_ISDIR(n->mode) && S_ISDIR(dst->node->mode))
			return EISDIR;
		if (S_ISDIR(dst->node->mode) && dst->node->nentries != 0)
			return ENOTEMPTY;
	}
	/* The new name's storage first: past this point nothing fails. */
	if (name.len != src->len) {
		if (!charge(fs, name.len))
			return ENOSPC;
		if ((nn = malloc((size_t)name.len + 1)) == NULL) {
			uncharge(fs, name.len);
			return ENOMEM;
		}
	}
	if (newdir != olddir && dst == NULL && (err = dir_reserve(fs, newdir)) != 0) {
		if (nn != NULL) {
			uncharge(fs, name.len);
			free(nn);
		}
		return err;
	}
	if (dst != NULL)
		dent_kill(fs, dst);
	/* Same directory: the entry keeps its id and place, so a listing in
	 * progress neither loses nor repeats it. Else it is new there. */
	if (newdir == olddir) {
		hash_del(olddir, src);
	} else {
		dir_unlink(olddir, src);
		if (S_ISDIR(n->mode))
			n->nlink = 0;	/* dir_link counts it again */
		else
			n->nlink--;
	}
	if (nn != NULL) {
		uncharge(fs, src->len);	/* the new length was charged above */
		free(src->name);
		src->name = nn;
	}
	memcpy(src->name, name.ptr, name.len);
	src->name[name.len] = '\0';
	src->len = name.len;
	if (newdir == olddir) {
		hash_add(olddir, src);
	} else {
		src->node = n;
		dir_link(newdir, src);
		touch(olddir, true);
	}
	touch(newdir, true);
	n->ctime = newdir->ctime;
	return 0;
}

/* The entry naming fid f's file, to remove or rename it: EBUSY for the
 * root, ENOENT once the name is gone. */
static int
named(struct memfs *fs, const struct mfid *f, struct dent **out)
{
	struct dent *d = fid_name(f);

	if (f->node == fs->root)
		return EBUSY;
	if (d == NULL || d->dir == NULL)
		return ENOENT;
	*out = d;
	return 0;
}

/* Trename fid dfid name (spec 3.15): fid's file moves, fid follows. */
static int
mf_rename(struct p9srv_req *r, void *file, void *dfile, const struct p9_trename *in,
    struct p9_rrename *out)
{
	struct mfid *f = file, *df = dfile;
	struct memfs *fs = f->fs;
	struct dent *src;
	int err;

	(void)out;
	pthread_mutex_lock(&fs->mu);
	if ((err = named(fs, f, &src)) == 0)
		err = do_rename(fs, cred_of(fs, r), src, df->node, in->name);
	pthread_mutex_unlock(&fs->mu);
	return err;
}

/* Trenameat (spec 3.15): rename(2) of olddir/oldname to newdir/newname. */
static int
mf_renameat(struct p9srv_req *r, void *olddir, void *newdir, const struct p9_trenameat *in,
    struct p9_rrenameat *out)
{
	struct mfid *of = olddir, *nf = newdir;
	struct memfs *fs = of->fs;
	const struct p9srv_cred *c = cred_of(fs, r);
	struct dent *src = NULL;
	int err;

	(void)out;
	pthread_mutex_lock(&fs->mu);
	if ((err = check_name(in->oldname)) == 0 && is_dots(in->oldname))
		err = EISDIR;
	if (err == 0)
		err = may(c, of->node, MAY_X);
	if (err == 0 && (src = dir_lookup(of->node, in->oldname.ptr, in->oldname.len)) == NULL)
		err = ENOENT;
	if (err == 0)
		err = do_rename(fs, c, src, nf->node, in->newname);
	pthread_mutex_unlock(&fs->mu);
	return err;
}

/* Remove the name d, as unlink(2) (removedir false) or rmdir(2). */
static int
do_unlink(struct memfs *fs, const struct p9srv_cred *c, struct dent *d, bool removedir)
{
	struct mnode *n = d->node;
	int err;

	if (removedir && !S_ISDIR(n->mode))
		return ENOTDIR;
	if (!removedir && S_ISDIR(n->mode))
		return EISDIR;
	if ((err = may_delete(c, d->dir, n)) != 0)
		return err;
	if (S_ISDIR(n->mode) && n->nentries != 0)
		return ENOTEMPTY;
	dent_kill(fs, d);
	return 0;
}

/* Tunlinkat (spec 3.15). Fids of the file keep it (it lives on unnamed
 * while any holds it). */
static int
mf_unlinkat(struct p9srv_req *r, void *dfile, const struct p9_tunlinkat *in,
    struct p9_runlinkat *out)
{
	struct mfid *df = dfile;
	struct memfs *fs = df->fs;
	const struct p9srv_cred *c = cred_of(fs, r);
	struct dent *d = NULL;
	int err;

	(void)out;
	if ((in->flags & ~(uint32_t)P9_AT_REMOVEDIR) != 0)
		return EINVAL;
	if ((err = check_name(in->name)) != 0)
		return err;
	if (p9_str_eq(in->name, "."))
		return EINVAL;		/* rmdir(".") */
	if (p9_str_eq(in->name, ".."))
		return ENOTEMPTY;	/* rmdir("..") */
	pthread_mutex_lock(&fs->mu);
	err = may(c, df->node, MAY_X);
	if (err == 0 && (d = dir_lookup(df->node, in->name.ptr, in->name.len)) == NULL)
		err = ENOENT;
	if (err == 0)
		err = do_unlink(fs, c, d, (in->flags & P9_AT_REMOVEDIR) != 0);
	pthread_mutex_unlock(&fs->mu);
	return err;
}

/* Tremove (spec 3.9): the name the fid's file has now; the engine clunks
 * the fid whatever happens. */
static int
mf_remove(struct p9srv_req *r, void *file, const struct p9_tremove *in, struct p9_rremove *out)
{
	struct mfid *f = file;
	struct memfs *fs = f->fs;
	struct dent *d;
	int err;

	(void)in; (void)out;
	pthread_mutex_lock(&fs->mu);
	if ((err = named(fs, f, &d)) == 0)
		err = do_unlink(fs, cred_of(fs, r), d, S_ISDIR(f->node->mode));
	pthread_mutex_unlock(&fs->mu);
	return err;
}

/* --- locks ------------------------------------------------------------------ */

/*
 * Tlock/Tgetlock (spec 3.17) as POSIX record locks, never waiting: a lock
 * belongs to (connection, proc_id, client_id), the process that asked,
 * on whichever fid of that connection; a conflict is answered BLOCKED
 * and the Linux client sleeps and asks again. A connection's locks on a
 * file go when its last opened fid of that file is clunked (release).
 */

static int
lock_range(uint64_t start, uint64_t length, uint64_t *end)
{
	if (start > LOCK_END || length > LOCK_END ||
	    (length != 0 && length - 1 > LOCK_END - start))
		return EINVAL;
	*end = length == 0 ? LOCK_END : start + length - 1;
	return 0;
}

static bool
lock_owner_is(const struct mlock *l, const struct p9srv_conn *conn, uint32_t proc_id,
    struct p9_str id)
{
	size_t len = id.len < LOCK_ID_MAX ? id.len : LOCK_ID_MAX;

	return l->conn == conn && l->proc_id == proc_id && l->idlen == len &&
	    memcmp(l->id, id.ptr, len) == 0;
}

/* The first lock of another owner that a lock of `type` on [start, end]
 * would conflict with, or NULL. */
static const struct mlock *
lock_conflict(const struct mnode *n, const struct p9srv_conn *conn, uint32_t proc_id,
    struct p9_str id, uint8_t type, uint64_t start, uint64_t end)
{
	const struct mlock *l;

	for (l = n->locks; l != NULL; l = l->next)
		if (!lock_owner_is(l, conn, proc_id, id) && l->start <= end && start <= l->end &&
		    (type == P9_LOCK_TYPE_WRLCK || l->type == P9_LOCK_TYPE_WRLCK))
			return l;
	return NULL;
}

static struct mlock *
lock_alloc(struct memfs *fs)
{
	struct mlock *l;

	if (!charge(fs, sizeof(*l)))
		return NULL;
	if ((l = calloc(1, sizeof(*l))) == NULL)
		uncharge(fs, sizeof(*l));
	return l;
}

/* Remove [start, end] from the owner's locks, splitting one that straddles
 * it with *spare (which is then consumed: *spare set NULL). */
static void
lock_carve(struct memfs *fs, struct mnode *n, const struct p9srv_conn *conn, uint32_t proc_id,
    struct p9_str id, uint64_t start, uint64_t end, struct mlock **spare)
{
	struct mlock **pp = &n->locks, *l;

	while ((l = *pp) != NULL) {
		if (!lock_owner_is(l, conn, proc_id, id) || l->end < start || l->start > end) {
			pp = &l->next;
		} else if (l->start < start && l->end > end) {
			struct mlock *tail = *spare;

			*spare = NULL;
			*tail = *l;
			tail->start = end + 1;
			l->end = start - 1;
			l->next = tail;
			pp = &tail->next;
		} else if (l->start < start) {
			l->end = start - 1;
			pp = &l->next;
		} else if (l->end > end) {
			l->start = end + 1;
			pp = &l->next;
		} else {
			*pp = l->next;
			uncharge(fs, sizeof(*l));
			free(l);
		}
	}
}

static int
mf_lock(struct p9srv_req *r, void *file, const struct p9_tlock *in, struct p9_rlock *out)
{
	struct mfid *f = file;
	struct memfs *fs = f->fs;
	struct mnode *n = f->node;
	struct p9srv_conn *conn = p9srv_req_conn(r);
	struct mlock *spare = NULL, *nl = NULL;
	uint64_t end;
	int err;

	if (in->type > P9_LOCK_TYPE_UNLCK ||
	    (in->flags & ~(uint32_t)(P9_LOCK_FLAGS_BLOCK | P9_LOCK_FLAGS_RECLAIM)) != 0)
		return EINVAL;
	if ((err = lock_range(in->start, in->length, &end)) != 0)
		return err;
	pthread_mutex_lock(&fs->mu);
	/* As fcntl: a read lock needs a descriptor open for reading, a write
	 * lock one open for writing. */
	if ((in->type == P9_LOCK_TYPE_RDLCK && !acc_reads(f->oflags)) ||
	    (in->type == P9_LOCK_TYPE_WRLCK && !acc_writes(f->oflags))) {
		err = EBADF;
		goto out;
	}
	if (in->type != P9_LOCK_TYPE_UNLCK &&
	    lock_conflict(n, conn, in->proc_id, in->client_id, in->type, in->start, end) != NULL) {
		out->status = P9_LOCK_BLOCKED;
		goto out;
	}
	/* At most one split and one new range: allocate both first, so the
	 * change is all or nothing (ENOLCK is the status ERROR). */
	spare = lock_alloc(fs);
	if (in->type != P9_LOCK_TYPE_UNLCK)
		nl = lock_alloc(fs);
	if (spare == NULL || (in->type != P9_LOCK_TYPE_UNLCK && nl == NULL)) {
		out->status = P9_LOCK_ERROR;
		goto out;
	}
	lock_carve(fs, n, conn, in->proc_id, in->client_id, in->start, end, &spare);
	if (nl != NULL) {
		nl->conn = conn;
		nl->proc_id = in->proc_id;
		nl->idlen = in->client_id.len < LOCK_ID_MAX ? in->client_id.len : LOCK_ID_MAX;
		memcpy(nl->id, in->client_id.ptr, nl->idlen);
		nl->start = in->start;
		nl->end = end;
		nl->type = in->type;
		nl->next = n->locks;
		n->locks = nl;
		nl = NULL;
	}
	out->status = P9_LOCK_SUCCESS;
out:
	if (spare != NULL) {
		uncharge(fs, sizeof(*spare));
		free(spare);
	}
	if (nl != NULL) {
		uncharge(fs, sizeof(*nl));
		free(nl);
	}
	pthread_mutex_unlock(&fs->mu);
	return err;
}

/* Tgetlock: would this lock be granted? Linux asks with type UNLCK, which
 * cannot tell a read test from a write test: test the stricter one. */
static int
mf_getlock(struct p9srv_req *r, void *file, const struct p9_tgetlock *in,
    struct p9_rgetlock *out)
{
	struct mfid *f = file;
	struct memfs *fs = f->fs;
	size_t room;
	char *scratch = (char *)p9srv_req_scratch(r, &room);
	const struct mlock *l;
	uint8_t type = in->type == P9_LOCK_TYPE_UNLCK ? P9_LOCK_TYPE_WRLCK : in->type;
	const char *id = in->client_id.ptr;
	size_t idlen = in->client_id.len;
	uint64_t end;
	int err;

	if (in->type > P9_LOCK_TYPE_UNLCK)
		return EINVAL;
	if ((err = lock_range(in->start, in->length, &end)) != 0)
		return err;
	pthread_mutex_lock(&fs->mu);
	l = lock_conflict(f->node, p9srv_req_conn(r), in->proc_id, in->client_id, type,
	    in->start, end);
	if (l == NULL) {
		out->type = P9_LOCK_TYPE_UNLCK;
		out->start = in->start;
		out->length = in->length;
		out->proc_id = in->proc_id;
	} else {
		out->type = l->type;
		out->start = l->start;
		out->length = l->end == LOCK_END ? 0 : l->end - l->start + 1;
		out->proc_id = l->proc_id;
		id = l->id;
		idlen = l->idlen;
	}
	/* The reply's client_id views the scratch area: the lock may go as
	 * soon as the mutex is released. */
	if (idlen > LOCK_ID_MAX)
		idlen = LOCK_ID_MAX;
	if (idlen > room)
		idlen = room;
	memcpy(scratch, id, idlen);
	out->client_id = (struct p9_str){ scratch, (uint16_t)idlen };
	pthread_mutex_unlock(&fs->mu);
	return 0;
}

/* --- extended attributes ------------------------------------------------------- */

/*
 * user.* attributes only, as tmpfs offers them to users: on regular files
 * and directories (EPERM elsewhere, as Linux), read with read permission,
 * written with write permission. Other namespaces (security., trusted.,
 * system.) are EOPNOTSUPP: memfs has no ACLs, capabilities or labels.
 */
static bool
user_ns(const char *name)
{
	return strncmp(name, "user.", 5) == 0;
}

static struct mxattr **
xattr_find(struct mnode *n, const char *name)
{
	struct mxattr **pp;

	for (pp = &n->xattrs; *pp != NULL; pp = &(*pp)->next)
		if (strcmp((*pp)->name, name) == 0)
			return pp;
	return pp;
}

static long
mf_xattr_get(struct p9srv_req *r, void *file, const char *name, void *buf, size_t size)
{
	struct mfid *f = file;
	struct memfs *fs = f->fs;
	struct mnode *n = f->node;
	struct mxattr *x;
	size_t len = 0;
	long ret;
	int err;

	pthread_mutex_lock(&fs->mu);
	if (name == NULL) {
		/* listxattr(2) needs no permission. */
		for (x = n->xattrs; x != NULL; x = x->next)
			len += (size_t)x->len + 1;
		ret = (long)len;
		if (size != 0 && len > size) {
			ret = -ERANGE;
		} else if (size != 0) {
			for (x = n->xattrs, len = 0; x != NULL; x = x->next) {
				memcpy((char *)buf + len, x->name, (size_t)x->len + 1);
				len += (size_t)x->len + 1;
			}
		}
	} else if (!user_ns(name)) {
		ret = -EOPNOTSUPP;
	} else if ((err = may(cred_of(fs, r), n, MAY_R)) != 0) {
		ret = -err;
	} else if ((x = *xattr_find(n, name)) == NULL) {
		ret = -ENODATA;
	} else if (size != 0 && x->size > size) {
		ret = -ERANGE;
	} else {
		if (size != 0)
			memcpy(buf, x->value, x->size);
		ret = (long)x->size;
	}
	pthread_mutex_unlock(&fs->mu);
	return ret;
}

static int
mf_xattr_set(struct p9srv_req *r, void *file, const char *name, const void *value, size_t size,
    uint32_t flags)
{
	struct mfid *f = file;
	struct memfs *fs = f->fs;
	struct mnode *n = f->node;
	const struct p9srv_cred *c = cred_of(fs, r);
	struct mxattr **pp, *x;
	size_t len = strlen(name);
	char *v = NULL;
	int err = 0;

	if (!user_ns(name))
		return EOPNOTSUPP;
	if (len > XNAME_LEN_MAX)
		return ERANGE;
	if (size > XVALUE_MAX)
		return E2BIG;
	if ((flags & ~(uint32_t)(P9_XATTR_CREATE | P9_XATTR_REPLACE)) != 0)
		return EINVAL;
	pthread_mutex_lock(&fs->mu);
	pp = xattr_find(n, name);
	if (!S_ISREG(n->mode) && !S_ISDIR(n->mode))
		err = EPERM;
	else if ((n->mode & S_ISVTX) && S_ISDIR(n->mode) && !owns(c, n))
		err = EPERM;	/* user.* of a sticky directory: its owner's */
	else
		err = may(c, n, MAY_W);
	if (err != 0)
		goto out;
	if (value == NULL) {
		if ((x = *pp) == NULL) {
			err = ENODATA;
		} else {
			*pp = x->next;
			uncharge(fs, sizeof(*x) + x->len + 1 + x->size);
			free(x->value);
			free(x);
			touch(n, false);
		}
		goto out;
	}
	if ((flags & P9_XATTR_CREATE) && *pp != NULL) {
		err = EEXIST;
		goto out;
	}
	if ((flags & P9_XATTR_REPLACE) && *pp == NULL) {
		err = ENODATA;
		goto out;
	}
	if (!charge(fs, size)) {
		err = ENOSPC;
		goto out;
	}
	if (size != 0 && (v = malloc(size)) == NULL) {
		uncharge(fs, size);
		err = ENOMEM;
		goto out;
	}
	if (size != 0)
		memcpy(v, value, size);
	if ((x = *pp) != NULL) {
		uncharge(fs, x->size);
		free(x->value);
	} else {
		if (!charge(fs, sizeof(*x) + len + 1)) {
			err = ENOSPC;
		} else if ((x = calloc(1, sizeof(*x) + len + 1)) == NULL) {
			uncharge(fs, sizeof(*x) + len + 1);
			err = ENOMEM;
		}
		if (err != 0) {
			uncharge(fs, size);
			free(v);
			goto out;
		}
		memcpy(x->name, name, len + 1);
		x->len = (uint16_t)len;
		*pp = x;	/* at the end: listxattr keeps creation order */
	}
	x->value = v;
	x->size = size;
	touch(n, false);
out:
	pthread_mutex_unlock(&fs->mu);
	return err;
}

/* --- the file system ------------------------------------------------------------ */

static const struct p9srv_backend memfs_ops = {
	.name = "memfs",
	.flags = 0,		/* no host files: nothing to run as the user */
	.attach = mf_attach,
	.walk1 = mf_walk1,
	.clone = mf_clone,
	.release = mf_release,
	.statfs = mf_statfs,
	.lopen = mf_lopen,
	.lcreate = mf_lcreate,
	.symlink = mf_symlink,
	.mknod = mf_mknod,
	.rename = mf_rename,
	.readlink = mf_readlink,
	.getattr = mf_getattr,
	.setattr = mf_setattr,
	.readdir = mf_readdir,
	.fsync = mf_fsync,
	.lock = mf_lock,
	.getlock = mf_getlock,
	.link = mf_link,
	.mkdir = mf_mkdir,
	.renameat = mf_renameat,
	.unlinkat = mf_unlinkat,
	.read = mf_read,
	.write = mf_write,
	.remove = mf_remove,
	.xattr_get = mf_xattr_get,
	.xattr_set = mf_xattr_set,
};

/* Every message whose callbacks memfs serves; all are memory operations
 * under fs->mu, except where a control file's callbacks may run: at open
 * (Tlopen, or Tlcreate of an existing name) and at Twrite. Tread of a
 * control file is served from the fid's snapshot. */
static const uint8_t memfs_types[] = {
	P9_TSTATFS, P9_TSYMLINK, P9_TMKNOD, P9_TRENAME, P9_TREADLINK, P9_TGETATTR,
	P9_TSETATTR, P9_TXATTRWALK, P9_TXATTRCREATE, P9_TREADDIR, P9_TFSYNC, P9_TLOCK,
	P9_TGETLOCK, P9_TLINK, P9_TMKDIR, P9_TRENAMEAT, P9_TUNLINKAT, P9_TATTACH, P9_TWALK,
	P9_TREAD, P9_TCLUNK, P9_TREMOVE,
};
static const uint8_t memfs_ctl_types[] = { P9_TLOPEN, P9_TLCREATE, P9_TWRITE };

void
memfs_config_defaults(struct memfs_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->max_bytes = DEFAULT_MAX;
	cfg->root_mode = 0755;
	cfg->uid = geteuid();
	cfg->gid = getegid();
	cfg->ctl_blocks = 0;
}

struct memfs *
memfs_new(const struct memfs_config *cfg)
{
	struct memfs *fs = calloc(1, sizeof(*fs));
	size_t i;
	int n;

	if (fs == NULL)
		return NULL;
	if (cfg != NULL)
		fs->cfg = *cfg;
	else
		memfs_config_defaults(&fs->cfg);
	if (fs->cfg.max_bytes == 0)
		fs->cfg.max_bytes = DEFAULT_MAX;
	if ((fs->cfg.root_mode & 07777) == 0)
		fs->cfg.root_mode = 0755;
	pthread_mutex_init(&fs->mu, NULL);
	fs->self.uid = geteuid();
	fs->self.gid = getegid();
	n = getgroups(64, fs->self.groups);
	fs->self.ngroups = n > 0 ? n : 0;
	fs->next_ino = 1;
	fs->root = node_new(fs, S_IFDIR | (fs->cfg.root_mode & 07777), fs->cfg.uid, fs->cfg.gid);
	if (fs->root == NULL) {
		pthread_mutex_destroy(&fs->mu);
		free(fs);
		return NULL;
	}
	fs->root->nlink = 1;	/* named by the attach; never unlinked */
	fs->backend = memfs_ops;
	for (i = 0; i < sizeof(memfs_types); i++)
		p9srv_backend_nonblock(&fs->backend, memfs_types[i]);
	if (!fs->cfg.ctl_blocks)
		for (i = 0; i < sizeof(memfs_ctl_types); i++)
			p9srv_backend_nonblock(&fs->backend, memfs_ctl_types[i]);
	return fs;
}

/* Free the tree depth first without recursion (a client may have made
 * it as deep as memory allows). Fids are all released by now. */
void
memfs_free(struct memfs *fs)
{
	struct mnode *cur, *n;
	struct dent *d;

	if (fs == NULL)
		return;
	cur = fs->root;
	for (;;) {
		if ((d = cur->first) != NULL) {
			n = d->node;
			if (S_ISDIR(n->mode) && n->first != NULL) {
				cur = n;
				continue;
			}
			dir_unlink(cur, d);
			dent_free(fs, d);
			if (S_ISDIR(n->mode) || --n->nlink == 0)
				node_free(fs, n);
			continue;
		}
		if (cur == fs->root)
			break;
		n = cur;
		d = n->self;
		cur = d->dir;
		dir_unlink(cur, d);
		dent_free(fs, d);
		node_free(fs, n);
	}
	node_free(fs, fs->root);
	pthread_mutex_destroy(&fs->mu);
	free(fs);
}

const struct p9srv_backend *
memfs_backend(struct memfs *fs)
{
	return &fs->backend;
}

uint64_t
memfs_used(struct memfs *fs)
{
	uint64_t used;

	pthread_mutex_lock(&fs->mu);
	used = fs->used;
	pthread_mutex_unlock(&fs->mu);
	return used;
}

/* --- the program's side -------------------------------------------------------- */

/*
 * Walk an absolute path's directories from the root, making missing ones
 * (0755) when make is set, and leave the directory holding the last name
 * in *dir and that name in *last (a view into path). With fs->mu held.
 */
static int
resolve(struct memfs *fs, const char *path, bool make, struct mnode **dir, struct p9_str *last)
{
	struct mnode *cur = fs->root, *n;
	struct p9_str comp;
	const char *p = path, *e;
	struct dent *d;
	size_t len;
	int err;

	if (path == NULL || path[0] != '/')
		return EINVAL;
	for (;;) {
		while (*p == '/')
			p++;
		if (*p == '\0')
			return EINVAL;		/* "/" itself names no entry */
		e = strchr(p, '/');
		len = e != NULL ? (size_t)(e - p) : strlen(p);
		if (len > NAME_LEN_MAX)
			return ENAMETOOLONG;
		comp = (struct p9_str){ p, (uint16_t)len };
		if (is_dots(comp))
			return EINVAL;
		p += len;
		while (*p == '/')
			p++;
		if (*p == '\0') {
			*dir = cur;
			*last = comp;
			return 0;
		}
		if ((d = dir_lookup(cur, comp.ptr, comp.len)) != NULL) {
			n = d->node;
			if (!S_ISDIR(n->mode))
				return ENOTDIR;
		} else if (!make) {
			return ENOENT;
		} else if ((err = create(fs, NULL, cur, comp, S_IFDIR | 0755, 0, &n, NULL)) != 0) {
			return err;
		}
		cur = n;
	}
}

/* The node at path, for the functions that change an existing one. */
static int
lookup_path(struct memfs *fs, const char *path, struct dent **out)
{
	struct mnode *dir;
	struct p9_str name;
	int err = resolve(fs, path, false, &dir, &name);

	if (err == 0 && (*out = dir_lookup(dir, name.ptr, name.len)) == NULL)
		err = ENOENT;
	return err;
}

/* Create a node at path (parents made as needed). With fs->mu held. */
static int
make_at(struct memfs *fs, const char *path, mode_t mode, struct mnode **n, struct dent **d)
{
	struct mnode *dir;
	struct p9_str name;
	int err = resolve(fs, path, true, &dir, &name);

	if (err == 0)
		err = create(fs, NULL, dir, name, mode, 0, n, d);
	return err;
}

int
memfs_mkdir(struct memfs *fs, const char *path, mode_t mode)
{
	struct mnode *n;
	int err;

	pthread_mutex_lock(&fs->mu);
	err = make_at(fs, path, S_IFDIR | (mode & 07777), &n, NULL);
	pthread_mutex_unlock(&fs->mu);
	return err;
}

/* Replace a regular file's contents, all or nothing. With fs->mu held. */
static int
set_contents(struct memfs *fs, struct mnode *n, const void *data, size_t len)
{
	int err;

	if (len > n->cap && (err = reg_reserve(fs, n, len)) != 0)
		return err;
	if (len > 0)
		memcpy(n->data, data, len);
	n->size = len;
	(void)reg_reserve(fs, n, len);	/* only gives memory back */
	touch(n, true);
	return 0;
}

int
memfs_add_file(struct memfs *fs, const char *path, mode_t mode, const void *data, size_t len)
{
	struct mnode *n;
	struct dent *d;
	int err;

	pthread_mutex_lock(&fs->mu);
	err = make_at(fs, path, S_IFREG | (mode & 07777), &n, &d);
	if (err == 0 && (err = set_contents(fs, n, data, len)) != 0)
		dent_kill(fs, d);	/* no half-made file */
	pthread_mutex_unlock(&fs->mu);
	return err;
}

int
memfs_set_file(struct memfs *fs, const char *path, const void *data, size_t len)
{
	struct dent *d;
	int err;

	pthread_mutex_lock(&fs->mu);
	if ((err = lookup_path(fs, path, &d)) == 0) {
		if (S_ISDIR(d->node->mode))
			err = EISDIR;
		else if (!S_ISREG(d->node->mode) || d->node->ctl != NULL)
			err = EINVAL;
		else
			err = set_contents(fs, d->node, data, len);
	}
	pthread_mutex_unlock(&fs->mu);
	return err;
}

int
memfs_get_file(struct memfs *fs, const char *path, void *buf, size_t cap, size_t *len)
{
	struct dent *d;
	struct mnode *n;
	int err;

	pthread_mutex_lock(&fs->mu);
	if ((err = lookup_path(fs, path, &d)) == 0) {
		n = d->node;
		if (S_ISDIR(n->mode)) {
			err = EISDIR;
		} else if (!S_ISREG(n->mode) || n->ctl != NULL) {
			err = EINVAL;
		} else {
			if (n->size > 0)
				memcpy(buf, n->data, n->size < cap ? (size_t)n->size : cap);
			*len = (size_t)n->size;
		}
	}
	pthread_mutex_unlock(&fs->mu);
	return err;
}

int
memfs_symlink(struct memfs *fs, const char *path, const char *target)
{
	size_t len = target != NULL ? strlen(target) : 0;
	struct mnode *n;
	char *t;
	int err;

	if (len == 0 || len > TARGET_LEN_MAX)
		return EINVAL;
	pthread_mutex_lock(&fs->mu);
	if (!charge(fs, len + 1)) {
		err = ENOSPC;
	} else if ((t = strdup(target)) == NULL) {
		uncharge(fs, len + 1);
		err = ENOMEM;
	} else if ((err = make_at(fs, path, S_IFLNK | 0777, &n, NULL)) != 0) {
		uncharge(fs, len + 1);
		free(t);
	} else {
		n->target = t;
	}
	pthread_mutex_unlock(&fs->mu);
	return err;
}

int
memfs_remove(struct memfs *fs, const char *path)
{
	struct dent *d;
	int err;

	pthread_mutex_lock(&fs->mu);
	if ((err = lookup_path(fs, path, &d)) == 0) {
		if (S_ISDIR(d->node->mode) && d->node->nentries != 0)
			err = ENOTEMPTY;
		else
			dent_kill(fs, d);
	}
	pthread_mutex_unlock(&fs->mu);
	return err;
}

int
memfs_add_ctl(struct memfs *fs, const char *path, mode_t mode, const struct memfs_ctl *ops,
    void *arg)
{
	struct mnode *n;
	int err;

	if (ops == NULL)
		return EINVAL;
	pthread_mutex_lock(&fs->mu);
	if ((err = make_at(fs, path, S_IFREG | (mode & 07777), &n, NULL)) == 0) {
		n->ctl = ops;
		n->ctl_arg = arg;
	}
	pthread_mutex_unlock(&fs->mu);
	return err;
}
