/*
 * Extended attributes of the POSIX backend: the engine keeps the buffers
 * of Txattrwalk and Txattrcreate (engine.c) and asks here for a value or
 * the name list (px_xattr_get) and, at Tclunk, to set or remove one
 * (px_xattr_set).
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

#include "posix.h"

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

long
px_xattr_get(struct p9srv_req *r, void *file, const char *name, void *buf, size_t size)
{
	struct node *n = pfid_node(file);
	struct xpath p;
	ssize_t got;
	int err;

	(void)r;
	err = xpath_of(n, &p);
	node_put(n);
	if (err != 0)
		return -err;
	got = x_fetch(&p, name, buf, size);
	return got >= 0 ? (long)got : -errno;
}

int
px_xattr_set(struct p9srv_req *r, void *file, const char *name, const void *value,
    size_t size, uint32_t wflags)
{
	struct node *n = pfid_node(file);
	struct xpath p;
	int flags = 0, rc, err;

	(void)r;
	if (wflags & P9_XATTR_CREATE)
		flags |= XATTR_CREATE;
	if (wflags & P9_XATTR_REPLACE)
		flags |= XATTR_REPLACE;
	err = xpath_of(n, &p);
	if (err == 0) {
		if (value == NULL)
			rc = p.l ? lremovexattr(p.path, name) : removexattr(p.path, name);
		else if (p.l)
			rc = lsetxattr(p.path, name, value, size, flags);
		else
			rc = setxattr(p.path, name, value, size, flags);
		err = rc == 0 ? 0 : errno;
	}
	node_put(n);
	return err;
}
