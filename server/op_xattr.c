/*
 * Extended attributes (spec 3.16). Txattrwalk snapshots one value, or the
 * NUL-separated name list, into a new read fid that Treads copy from.
 * Txattrcreate turns a fid into a zero-filled write buffer (CVE-2016-9103)
 * that Twrites fill and Tclunk applies (xattr_commit). A fid's buffer is
 * guarded by its lock, held across a memcpy only.
 *
 * The host calls are the path-based ones, since f*xattr refuse O_PATH
 * descriptors. A non-symlink is named by the /proc magic link of its
 * node's descriptor, which resolves to the inode itself, never to a name a
 * client could swap for a symlink. A symlink is named by its parent's
 * magic link plus its own name, with the l* calls (never followed), after
 * checking that the name still names this link.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "srv.h"

#define XV_MAX		65536u		/* XATTR_SIZE_MAX: largest value */
#define XL_MAX		(1u << 20)	/* our bound on a name list */
#define XN_MAX		255		/* XATTR_NAME_MAX: longest name */
#define X_TRIES		8		/* size races tolerated per snapshot */

struct xpath {
	char	 path[FS_FDPATH_LEN + NAME_MAX + 1];
	bool	 l;			/* use lgetxattr & co. */
};

static int
xpath_of(const struct node *n, struct xpath *p)
{
	struct stat a, b;

	if (!S_ISLNK(n->mode)) {
		fs_fdpath(n->fd, p->path);
		p->l = false;
		return 0;
	}
	if (n->parent == NULL || n->name == NULL)
		return EOPNOTSUPP;	/* reached through "..": no name to use */
	if (fstatat(n->parent->fd, n->name, &a, AT_SYMLINK_NOFOLLOW) != 0)
		return errno == ENOENT ? ESTALE : errno;
	if (fstat(n->fd, &b) != 0)
		return errno;
	/* Renamed away or replaced since the walk: not this link any more. */
	if (a.st_dev != b.st_dev || a.st_ino != b.st_ino)
		return ESTALE;
	fs_fdpath(n->parent->fd, p->path);
	/* The link's name in its directory, through the directory's magic link. */
	snprintf(p->path + strlen(p->path), sizeof(p->path) - strlen(p->path), "/%s", n->name);
	p->l = true;
	return 0;
}

/* getxattr (name != NULL) or listxattr; size 0 asks for the size. */
static ssize_t
x_fetch(const struct xpath *p, const char *name, void *buf, size_t size)
{
	if (name != NULL)
		return p->l ? lgetxattr(p->path, name, buf, size) :
		    getxattr(p->path, name, buf, size);
	return p->l ? llistxattr(p->path, buf, size) : listxattr(p->path, buf, size);
}

/*
 * Snapshot a value (name != NULL) or the name list into a zero-filled
 * malloc'd buffer. The attribute can change between the size query and
 * the fetch (ERANGE, or a size 0 that is no longer 0): ask again, a bounded
 * number of times. Returns 0 with *bufp (free it) and *sizep, or an errno.
 */
static int
x_snapshot(const struct xpath *p, const char *name, uint8_t **bufp, uint64_t *sizep)
{
	size_t max = name != NULL ? XV_MAX : XL_MAX;
	int tries, err = ERANGE;

	for (tries = 0; tries < X_TRIES; tries++) {
		ssize_t want = x_fetch(p, name, NULL, 0), got;
		uint8_t *buf;

		if (want < 0)
			return errno;
		if ((size_t)want > max)
			return E2BIG;
		buf = calloc(1, (size_t)want + 1);
		if (buf == NULL)
			return ENOMEM;
		/* A size-0 fetch would be another size query: done already. */
		got = want == 0 ? 0 : x_fetch(p, name, buf, (size_t)want);
		if (got >= 0 && got <= want) {
			*bufp = buf;
			*sizep = (uint64_t)got;
			return 0;
		}
		err = got < 0 ? errno : ERANGE;
		free(buf);
		if (err != ERANGE)
			return err;
	}
	/* Still changing: ERANGE makes getxattr(2) callers ask again. */
	return err;
}

/* The node of a file fid (reference), or EINVAL for an xattr fid. */
static int
file_node(struct fid *f, struct node **n)
{
	int err = 0;

	pthread_mutex_lock(&f->lock);
	if (f->kind == FID_FILE)
		*n = node_ref(f->node);
	else
		err = EINVAL;
	pthread_mutex_unlock(&f->lock);
	return err;
}

/* An attribute name from the wire: 1..255 bytes (setxattr(2) answers
 * ERANGE otherwise); the codec has refused NUL. */
static int
x_name(struct p9_str s, char buf[XN_MAX + 1])
{
	if (s.len == 0 || s.len > XN_MAX)
		return ERANGE;
	memcpy(buf, s.ptr, s.len);
	buf[s.len] = '\0';
	return 0;
}

/* The snapshot for Txattrwalk: the list for an empty name, else one value. */
static int
walk_snapshot(struct node *n, struct p9_str wname, uint8_t **buf, uint64_t *size)
{
	char name[XN_MAX + 1];
	struct xpath p;
	int err;

	if (wname.len != 0 && (err = x_name(wname, name)) != 0)
		return err;
	if ((err = xpath_of(n, &p)) != 0)
		return err;
	return x_snapshot(&p, wname.len != 0 ? name : NULL, buf, size);
}

int
op_xattrwalk(struct req *r, const struct p9_txattrwalk *in, struct p9_rxattrwalk *out)
{
	struct fid *f, *nf;
	struct node *n;
	uint8_t *buf = NULL;
	uint64_t size = 0;
	int err;

	if ((f = fid_get(r->conn, in->fid)) == NULL)
		return EBADF;
	if ((err = file_node(f, &n)) != 0) {
		fid_put(f);
		return err;
	}
	/* spec 3.16: newfid must be unused (EINVAL, as QEMU). Checked first
	 * so that this error wins over the host's; fid_create checks again. */
	if ((nf = fid_get(r->conn, in->newfid)) != NULL) {
		fid_put(nf);
		err = EINVAL;
	}
	if (err == 0)
		err = walk_snapshot(n, in->name, &buf, &size);
	if (err == 0)
		err = fid_create(r->conn, in->newfid, n, f->id, &nf);
	if (err == 0) {
		pthread_mutex_lock(&nf->lock);
		nf->kind = FID_XATTR_READ;
		nf->xbuf = buf;
		nf->xsize = size;
		pthread_mutex_unlock(&nf->lock);
		buf = NULL;
		fid_put(nf);
		out->size = size;
	}
	free(buf);
	node_put(n);
	fid_put(f);
	return err;
}

int
op_xattrcreate(struct req *r, const struct p9_txattrcreate *in, struct p9_rxattrcreate *out)
{
	char name[XN_MAX + 1];
	struct fid *f;
	char *xname = NULL;
	uint8_t *xbuf = NULL;
	int err;

	(void)out;
	if ((err = srv_check_writable(r)) != 0)
		return err;
	if ((f = fid_get(r->conn, in->fid)) == NULL)
		return EBADF;
	/* spec 3.16: setxattr(2) flags only; at most XATTR_SIZE_MAX bytes. */
	if (in->flags & ~(uint32_t)(P9_XATTR_CREATE | P9_XATTR_REPLACE))
		err = EINVAL;
	else if (in->attr_size > XV_MAX)
		err = E2BIG;
	else
		err = x_name(in->name, name);
	if (err == 0) {
		xname = strdup(name);
		xbuf = calloc(1, (size_t)in->attr_size + 1);
		if (xname == NULL || xbuf == NULL)
			err = ENOMEM;
	}
	if (err == 0) {
		pthread_mutex_lock(&f->lock);
		/* Only an unopened file fid becomes a write buffer. */
		if (f->kind != FID_FILE || f->open_fd >= 0) {
			err = EINVAL;
		} else {
			f->kind = FID_XATTR_WRITE;
			f->xname = xname;
			f->xbuf = xbuf;
			f->xsize = in->attr_size;
			f->xfilled = 0;
			f->xflags = in->flags;
			xname = NULL;
			xbuf = NULL;
		}
		pthread_mutex_unlock(&f->lock);
	}
	free(xname);
	free(xbuf);
	fid_put(f);
	return err;
}

int
xattr_read(struct req *r, struct fid *f, const struct p9_tread *in, struct p9_rread *out)
{
	uint64_t n = 0;
	int err = 0;

	pthread_mutex_lock(&f->lock);
	if (f->kind != FID_XATTR_READ) {
		err = EBADF;
	} else if (in->offset < f->xsize) {
		/* offset < xsize before subtracting (CVE-2016-9104); at or past
		 * the end there is nothing left: 0 bytes, as QEMU. */
		n = f->xsize - in->offset;
		if (n > r->rroom)
			n = r->rroom;
		memcpy(r->rdata, f->xbuf + in->offset, (size_t)n);
	}
	pthread_mutex_unlock(&f->lock);
	out->data.ptr = r->rdata;
	out->data.len = (uint32_t)n;
	return err;
}

int
xattr_write(struct req *r, struct fid *f, const struct p9_twrite *in, struct p9_rwrite *out)
{
	uint64_t count = in->data.len;
	int err = 0;

	(void)r;
	pthread_mutex_lock(&f->lock);
	if (f->kind != FID_XATTR_WRITE || f->xname == NULL) {
		err = EBADF;	/* not a write buffer, or already committed */
	} else if (in->offset > f->xsize || count > f->xsize - in->offset) {
		err = EINVAL;	/* beyond attr_size (diod), no overflow */
	} else {
		memcpy(f->xbuf + in->offset, in->data.ptr, (size_t)count);
		if (in->offset + count > f->xfilled)
			f->xfilled = in->offset + count;
	}
	pthread_mutex_unlock(&f->lock);
	if (err == 0)
		out->count = in->data.len;
	return err;
}

/* spec 3.16: size 0 removes the attribute (so an empty value cannot be
 * created); anything else sets it. */
static int
x_apply(const struct node *n, const char *name, const uint8_t *buf, uint64_t size,
    int flags)
{
	struct xpath p;
	int rc, err;

	if ((err = xpath_of(n, &p)) != 0)
		return err;
	if (size == 0)
		rc = p.l ? lremovexattr(p.path, name) : removexattr(p.path, name);
	else if (p.l)
		rc = lsetxattr(p.path, name, buf, (size_t)size, flags);
	else
		rc = setxattr(p.path, name, buf, (size_t)size, flags);
	return rc == 0 ? 0 : errno;
}

int
xattr_commit(struct fid *f)
{
	struct node *n;
	char *name;
	uint8_t *buf;
	uint64_t size, filled;
	uint32_t wflags;
	int flags = 0, err;

	/* Take the buffer out under the lock: the commit happens once, and a
	 * Twrite racing the clunk then finds no buffer (xattr_write). */
	pthread_mutex_lock(&f->lock);
	if (f->kind != FID_XATTR_WRITE || f->xname == NULL) {
		pthread_mutex_unlock(&f->lock);
		return 0;
	}
	name = f->xname;
	buf = f->xbuf;
	size = f->xsize;
	filled = f->xfilled;
	wflags = f->xflags;
	f->xname = NULL;
	f->xbuf = NULL;
	f->xsize = 0;
	n = node_ref(f->node);
	pthread_mutex_unlock(&f->lock);

	if (wflags & P9_XATTR_CREATE)
		flags |= XATTR_CREATE;
	if (wflags & P9_XATTR_REPLACE)
		flags |= XATTR_REPLACE;
	/* A buffer not filled up to attr_size fails the clunk (QEMU). */
	err = size != 0 && filled < size ? EINVAL : x_apply(n, name, buf, size, flags);
	free(name);
	free(buf);
	node_put(n);
	return err;
}
