/*
 * File-system helpers: qids, name validation, one-step walks, reopening a
 * node for I/O. Confinement lives here: every lookup is an openat of one
 * validated name relative to its parent's O_PATH descriptor, without
 * following symlinks, and ".." never leaves the export root.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "srv.h"

struct p9_qid
fs_qid(const struct srv *s, const struct stat *st)
{
	struct p9_qid q;

	/* (dev, ino) identify a file; fold dev in so that several file
	 * systems below the export do not collide on the root's device. */
	q.path = (uint64_t)st->st_ino;
	if (st->st_dev != s->root_dev)
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

	if (n->parent == NULL && n->name == NULL && n->fd == n->srv->root_fd)
		return true;
	if (fstat(n->fd, &st) != 0)
		return false;
	return st.st_dev == n->srv->root_dev && st.st_ino == n->srv->root_ino;
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
fs_node_at(struct node *dir, const char *name, struct node **out)
{
	struct stat st;
	int fd = open_path(dir->fd, name, 0, &st);

	if (fd < 0)
		return -fd;
	*out = node_new(dir->srv, fd, &st, dir, name);
	return *out != NULL ? 0 : EMFILE;
}

static int
walk_up(struct node *dir, struct node **out)
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
	*out = node_new(dir->srv, fd, &st, NULL, NULL);
	return *out != NULL ? 0 : EMFILE;
}

int
fs_walk1(struct node *dir, const char *name, struct node **out)
{
	if (!S_ISDIR(dir->mode))
		return ENOTDIR;
	if (strcmp(name, "..") == 0)
		return walk_up(dir, out);
	if (strcmp(name, ".") == 0) {
		*out = node_ref(dir);
		return 0;
	}
	return fs_node_at(dir, name, out);
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
