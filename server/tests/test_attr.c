/*
 * p9d attribute family against a real server on a temporary export:
 * Tgetattr, Tsetattr, Txattrwalk, Txattrcreate, and Tread/Twrite/Tclunk on
 * xattr fids. Results are checked through 9P and against the host's lstat
 * and l*xattr. Each test starts its own server.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <time.h>
#include <unistd.h>
#include <linux/fs.h>

#include "t9.h"

#define ROOT	0u	/* the attach fid of every test */
#define F1	1u
#define F2	2u
#define F3	3u
#define F4	4u

struct fx {
	struct t9srv	s;
	struct t9c	c;
	struct p9_qid	rootqid;
	uint32_t	chunk;		/* xset/xget Twrite/Tread size; 0: msize - 24 */
};

static struct fx *
fx_start(void **state, const char *const *args)
{
	struct fx *x = calloc(1, sizeof(*x));

	assert_non_null(x);
	t9_start(&x->s, args);
	t9_connect(&x->s, &x->c, 0);
	assert_int_equal(t9_attach(&x->c, ROOT, "", (uint32_t)geteuid(), &x->rootqid), 0);
	*state = x;
	return x;
}

static int
setup(void **state)
{
	fx_start(state, NULL);
	return 0;
}

static int
setup_ro(void **state)
{
	static const char *const args[] = { "--read-only", NULL };

	fx_start(state, args);
	return 0;
}

static int
teardown(void **state)
{
	struct fx *x = *state;

	t9_close(&x->c);
	assert_int_equal(t9_stop(&x->s), 0);
	free(x);
	return 0;
}

/* 9P helpers for the messages t9.h has no shorthand for. */

struct sa {
	uint32_t valid, mode, uid, gid;
	uint64_t size, atime_sec, atime_nsec, mtime_sec, mtime_nsec;
};

static int
setattr(struct fx *x, uint32_t fid, const struct sa *a)
{
	struct p9_msg t = { .type = P9_TSETATTR }, r;

	t.tsetattr.fid = fid;
	t.tsetattr.valid = a->valid;
	t.tsetattr.mode = a->mode;
	t.tsetattr.uid = a->uid;
	t.tsetattr.gid = a->gid;
	t.tsetattr.size = a->size;
	t.tsetattr.atime_sec = a->atime_sec;
	t.tsetattr.atime_nsec = a->atime_nsec;
	t.tsetattr.mtime_sec = a->mtime_sec;
	t.tsetattr.mtime_nsec = a->mtime_nsec;
	return t9_rpc(&x->c, &t, &r);
}

static int
xwalk(struct fx *x, uint32_t fid, uint32_t newfid, const char *name, uint64_t *size)
{
	struct p9_msg t = { .type = P9_TXATTRWALK }, r;
	int err;

	t.txattrwalk.fid = fid;
	t.txattrwalk.newfid = newfid;
	assert_int_equal(p9_str_set(&t.txattrwalk.name, name), 0);
	err = t9_rpc(&x->c, &t, &r);
	/* *size is set on failure too (0): a caller may read it after an
	 * assertion on err that the compiler cannot tell stops the test. */
	if (size != NULL)
		*size = err == 0 ? r.rxattrwalk.size : 0;
	return err;
}

static int
xcreate(struct fx *x, uint32_t fid, const char *name, uint64_t size, uint32_t flags)
{
	struct p9_msg t = { .type = P9_TXATTRCREATE }, r;

	t.txattrcreate.fid = fid;
	assert_int_equal(p9_str_set(&t.txattrcreate.name, name), 0);
	t.txattrcreate.attr_size = size;
	t.txattrcreate.flags = flags;
	return t9_rpc(&x->c, &t, &r);
}

/* setxattr through 9P: clone fid into tmp, create, write in chunks, clunk.
 * Returns the clunk's result. */
static int
xset(struct fx *x, uint32_t fid, uint32_t tmp, const char *name, const void *val,
    uint32_t len, uint32_t flags)
{
	uint32_t chunk = x->chunk != 0 ? x->chunk : x->c.msize - P9_IOHDRSZ, off;

	assert_int_equal(t9_walk(&x->c, fid, tmp, "", NULL), 0);
	assert_int_equal(xcreate(x, tmp, name, len, flags), 0);
	for (off = 0; off < len; off += chunk) {
		uint32_t n = len - off < chunk ? len - off : chunk;

		assert_int_equal(t9_write(&x->c, tmp, off, (const uint8_t *)val + off, n), (long)n);
	}
	return t9_clunk(&x->c, tmp);
}

/* getxattr through 9P into a malloc'd buffer; returns the ecode or 0. */
static int
xget(struct fx *x, uint32_t fid, uint32_t tmp, const char *name, uint8_t **val,
    uint64_t *len)
{
	uint32_t chunk = x->chunk != 0 ? x->chunk : x->c.msize - P9_IOHDRSZ;
	uint64_t size, off = 0;
	uint8_t *buf;
	int err = xwalk(x, fid, tmp, name, &size);

	if (err != 0)
		return err;
	buf = calloc(1, size + 1);
	assert_non_null(buf);
	while (off < size) {
		long n = t9_read(&x->c, tmp, off, buf + off, chunk);

		assert_true(n > 0);
		off += (uint64_t)n;
	}
	/* At the end: nothing more. */
	assert_int_equal(t9_read(&x->c, tmp, size, buf, chunk), 0);
	assert_int_equal(t9_clunk(&x->c, tmp), 0);
	*val = buf;
	*len = size;
	return 0;
}

/* Host-side helpers. */

static struct stat
host_lstat(const char *path)
{
	struct stat st;

	assert_int_equal(lstat(path, &st), 0);
	return st;
}

/* Does the temporary tree's file system take user.* xattrs? */
static bool
user_xattrs_ok(struct fx *x)
{
	const char *p = t9_path(&x->s, ".probe");
	bool ok;

	t9_write_file(p, "");
	ok = setxattr(p, "user.probe", "1", 1, 0) == 0;
	unlink(p);
	return ok;
}

#define NEED_USER_XATTRS(x) do { \
	if (!user_xattrs_ok(x)) { \
		print_message("skipped: %s does not support user.* xattrs\n", (x)->s.dir); \
		skip(); \
	} \
} while (0)

static void
assert_time(uint64_t sec, uint64_t nsec, struct timespec ts)
{
	assert_int_equal(sec, (uint64_t)ts.tv_sec);
	assert_int_equal(nsec, (uint64_t)ts.tv_nsec);
}

/* Every basic field of an Rgetattr against the host's lstat. */
static void
assert_attr_is(const struct p9_rgetattr *a, const struct stat *st)
{
	assert_int_equal(a->valid & P9_GETATTR_BASIC, P9_GETATTR_BASIC);
	assert_int_equal(a->mode, st->st_mode);
	assert_int_equal(a->uid, st->st_uid);
	assert_int_equal(a->gid, st->st_gid);
	assert_int_equal(a->nlink, st->st_nlink);
	assert_int_equal(a->size, (uint64_t)st->st_size);
	assert_int_equal(a->blksize, (uint64_t)st->st_blksize);
	assert_int_equal(a->blocks, (uint64_t)st->st_blocks);
	assert_time(a->atime_sec, a->atime_nsec, st->st_atim);
	assert_time(a->mtime_sec, a->mtime_nsec, st->st_mtim);
	assert_time(a->ctime_sec, a->ctime_nsec, st->st_ctim);
	assert_int_equal(a->data_version, 0);
	assert_int_equal(a->valid & P9_GETATTR_DATA_VERSION, 0);
}

/* btime against the host's statx, when the file system has one. */
static void
assert_btime_is(const struct p9_rgetattr *a, const char *path)
{
	struct statx sx;

	assert_int_equal(statx(AT_FDCWD, path, AT_SYMLINK_NOFOLLOW, STATX_BTIME, &sx), 0);
	if (!(sx.stx_mask & STATX_BTIME)) {
		assert_int_equal(a->valid & P9_GETATTR_BTIME, 0);
		return;
	}
	assert_int_equal(a->valid & P9_GETATTR_BTIME, P9_GETATTR_BTIME);
	assert_int_equal(a->btime_sec, (uint64_t)sx.stx_btime.tv_sec);
	assert_int_equal(a->btime_nsec, (uint64_t)sx.stx_btime.tv_nsec);
}

/* Tgetattr */

static void
getattr_file(void **state)
{
	struct fx *x = *state;
	struct p9_rgetattr a;
	struct p9_qid q;
	struct stat st;
	int fd;

	t9_write_file(t9_path(&x->s, "f"), "hello");
	assert_int_equal(t9_walk(&x->c, ROOT, F1, "f", &q), 0);
	assert_int_equal(t9_getattr(&x->c, F1, P9_GETATTR_ALL, &a), 0);
	st = host_lstat(t9_path(&x->s, "f"));
	assert_attr_is(&a, &st);
	assert_true(S_ISREG(a.mode));
	assert_int_equal(a.size, 5);
	assert_int_equal(a.nlink, 1);
	assert_int_equal(a.rdev, 0);
	assert_int_equal(a.qid.type, P9_QTFILE);
	assert_int_equal(a.qid.path, q.path);
	assert_btime_is(&a, t9_path(&x->s, "f"));

	/* GEN, where the file system keeps generations, is the host's. */
	fd = open(t9_path(&x->s, "f"), O_RDONLY);
	assert_true(fd >= 0);
	{
		union { long l; uint32_t u; } v = { 0 };

		if (ioctl(fd, FS_IOC_GETVERSION, &v) == 0) {
			assert_int_equal(a.valid & P9_GETATTR_GEN, P9_GETATTR_GEN);
			assert_int_equal(a.gen, v.u);
		} else {
			assert_int_equal(a.valid & P9_GETATTR_GEN, 0);
		}
	}
	close(fd);

	/* Not asked for GEN: not claimed. */
	assert_int_equal(t9_getattr(&x->c, F1, P9_GETATTR_BASIC, &a), 0);
	assert_int_equal(a.valid & P9_GETATTR_GEN, 0);
	assert_attr_is(&a, &st);

	/* An unknown fid. */
	assert_int_equal(t9_getattr(&x->c, 99, P9_GETATTR_ALL, &a), EBADF);
}

static void
getattr_dir(void **state)
{
	struct fx *x = *state;
	struct p9_rgetattr a;
	struct stat st;

	assert_int_equal(mkdir(t9_path(&x->s, "d"), 0750), 0);
	assert_int_equal(mkdir(t9_path(&x->s, "d/sub"), 0700), 0);
	assert_int_equal(t9_walk(&x->c, ROOT, F1, "d", NULL), 0);
	assert_int_equal(t9_getattr(&x->c, F1, P9_GETATTR_ALL, &a), 0);
	st = host_lstat(t9_path(&x->s, "d"));
	assert_attr_is(&a, &st);
	assert_true(S_ISDIR(a.mode));
	assert_int_equal(a.mode & 07777, 0750);
	assert_int_equal(a.nlink, 3);
	assert_int_equal(a.qid.type, P9_QTDIR);

	/* The export root too. */
	assert_int_equal(t9_getattr(&x->c, ROOT, P9_GETATTR_BASIC, &a), 0);
	st = host_lstat(x->s.export);
	assert_attr_is(&a, &st);
	assert_int_equal(a.qid.path, x->rootqid.path);
}

static void
getattr_symlink(void **state)
{
	struct fx *x = *state;
	char target[600];
	struct p9_rgetattr a;
	struct stat st;

	/* A link to a file inside and one to a file outside: lstat semantics. */
	t9_write_file(t9_path(&x->s, "f"), "hello");
	assert_int_equal(symlink("f", t9_path(&x->s, "in")), 0);
	snprintf(target, sizeof(target), "%s/secret", x->s.outside);
	assert_int_equal(symlink(target, t9_path(&x->s, "out")), 0);

	assert_int_equal(t9_walk(&x->c, ROOT, F1, "in", NULL), 0);
	assert_int_equal(t9_getattr(&x->c, F1, P9_GETATTR_ALL, &a), 0);
	st = host_lstat(t9_path(&x->s, "in"));
	assert_attr_is(&a, &st);
	assert_true(S_ISLNK(a.mode));
	assert_int_equal(a.size, 1);
	assert_int_equal(a.qid.type, P9_QTSYMLINK);

	assert_int_equal(t9_walk(&x->c, ROOT, F2, "out", NULL), 0);
	assert_int_equal(t9_getattr(&x->c, F2, P9_GETATTR_ALL, &a), 0);
	st = host_lstat(t9_path(&x->s, "out"));
	assert_attr_is(&a, &st);
	assert_true(S_ISLNK(a.mode));
	assert_int_equal(a.size, strlen(target));
}

static void
getattr_special(void **state)
{
	struct fx *x = *state;
	struct p9_rgetattr a;
	struct stat st;

	assert_int_equal(mkfifo(t9_path(&x->s, "fifo"), 0600), 0);
	assert_int_equal(t9_walk(&x->c, ROOT, F1, "fifo", NULL), 0);
	/* GEN asked: a fifo is never opened for it (that would block). */
	assert_int_equal(t9_getattr(&x->c, F1, P9_GETATTR_ALL, &a), 0);
	st = host_lstat(t9_path(&x->s, "fifo"));
	assert_attr_is(&a, &st);
	assert_true(S_ISFIFO(a.mode));
	assert_int_equal(a.valid & P9_GETATTR_GEN, 0);

	/* rdev in the Linux encoding (as root: a character device). */
	if (geteuid() == 0 && mknod(t9_path(&x->s, "null"), S_IFCHR | 0600, makedev(1, 3)) == 0) {
		assert_int_equal(t9_walk(&x->c, ROOT, F2, "null", NULL), 0);
		assert_int_equal(t9_getattr(&x->c, F2, P9_GETATTR_ALL, &a), 0);
		assert_true(S_ISCHR(a.mode));
		assert_int_equal(a.rdev, (1u << 8) | 3u);
		assert_int_equal(a.valid & P9_GETATTR_GEN, 0);
	}
}

/* open; unlink; fstat and ftruncate through the open fid (diod #19, #47). */
static void
getattr_open_unlinked(void **state)
{
	struct fx *x = *state;
	struct sa sz = { .valid = P9_SETATTR_SIZE | P9_SETATTR_MTIME | P9_SETATTR_CTIME };
	struct p9_rgetattr a;

	t9_write_file(t9_path(&x->s, "f"), "hello");
	assert_int_equal(t9_walk(&x->c, ROOT, F1, "f", NULL), 0);
	assert_int_equal(t9_lopen(&x->c, F1, P9_DOTL_RDWR, NULL, NULL), 0);
	assert_int_equal(unlink(t9_path(&x->s, "f")), 0);

	assert_int_equal(t9_getattr(&x->c, F1, P9_GETATTR_ALL, &a), 0);
	assert_true(S_ISREG(a.mode));
	assert_int_equal(a.size, 5);
	assert_int_equal(a.nlink, 0);

	sz.size = 2;
	assert_int_equal(setattr(x, F1, &sz), 0);
	assert_int_equal(t9_getattr(&x->c, F1, P9_GETATTR_BASIC, &a), 0);
	assert_int_equal(a.size, 2);

	/* An unopened fid of an unlinked file works too (its O_PATH fd). */
	t9_write_file(t9_path(&x->s, "g"), "abc");
	assert_int_equal(t9_walk(&x->c, ROOT, F2, "g", NULL), 0);
	assert_int_equal(unlink(t9_path(&x->s, "g")), 0);
	assert_int_equal(t9_getattr(&x->c, F2, P9_GETATTR_BASIC, &a), 0);
	assert_int_equal(a.size, 3);
	assert_int_equal(a.nlink, 0);
}

/* Tsetattr */

static void
setattr_chmod(void **state)
{
	struct fx *x = *state;
	/* chmod(2) -> MODE|CTIME, with the file-type bits in mode (3.11). */
	struct sa m = { .valid = P9_SETATTR_MODE | P9_SETATTR_CTIME, .uid = ~0u, .gid = ~0u };
	struct p9_rgetattr a;

	t9_write_file(t9_path(&x->s, "f"), "hello");
	assert_int_equal(chmod(t9_path(&x->s, "f"), 0644), 0);
	assert_int_equal(t9_walk(&x->c, ROOT, F1, "f", NULL), 0);
	m.mode = S_IFREG | 04751;
	assert_int_equal(setattr(x, F1, &m), 0);
	assert_int_equal(host_lstat(t9_path(&x->s, "f")).st_mode, S_IFREG | 04751);
	assert_int_equal(t9_getattr(&x->c, F1, P9_GETATTR_BASIC, &a), 0);
	assert_int_equal(a.mode, S_IFREG | 04751);

	/* A directory (Linux sends 040000 for chmod 0). */
	assert_int_equal(mkdir(t9_path(&x->s, "d"), 0755), 0);
	assert_int_equal(t9_walk(&x->c, ROOT, F2, "d", NULL), 0);
	m.mode = S_IFDIR | 0700;
	assert_int_equal(setattr(x, F2, &m), 0);
	assert_int_equal(host_lstat(t9_path(&x->s, "d")).st_mode, S_IFDIR | 0700);

	/* An opened fid (fchmod on the open descriptor). */
	assert_int_equal(t9_walk(&x->c, ROOT, F3, "f", NULL), 0);
	assert_int_equal(t9_lopen(&x->c, F3, P9_DOTL_RDONLY, NULL, NULL), 0);
	m.mode = 0600;
	assert_int_equal(setattr(x, F3, &m), 0);
	assert_int_equal(host_lstat(t9_path(&x->s, "f")).st_mode, S_IFREG | 0600);

	/* An unknown fid. */
	assert_int_equal(setattr(x, 99, &m), EBADF);
}

static void
setattr_chown(void **state)
{
	struct fx *x = *state;
	struct sa o = { .valid = P9_SETATTR_UID | P9_SETATTR_GID | P9_SETATTR_CTIME };
	struct stat st;

	t9_write_file(t9_path(&x->s, "f"), "hello");
	assert_int_equal(t9_walk(&x->c, ROOT, F1, "f", NULL), 0);
	o.uid = geteuid();
	o.gid = getegid();
	assert_int_equal(setattr(x, F1, &o), 0);
	st = host_lstat(t9_path(&x->s, "f"));
	assert_int_equal(st.st_uid, geteuid());
	assert_int_equal(st.st_gid, getegid());
	if (geteuid() != 0) {
		print_message("not root: chown to another uid not tried\n");
		return;
	}
	o.uid = 12345;
	o.gid = 23456;
	assert_int_equal(setattr(x, F1, &o), 0);
	st = host_lstat(t9_path(&x->s, "f"));
	assert_int_equal(st.st_uid, 12345);
	assert_int_equal(st.st_gid, 23456);

	/* UID alone leaves the group (uid/gid fields of clear bits are garbage). */
	o.valid = P9_SETATTR_UID;
	o.uid = 777;
	o.gid = 0;
	assert_int_equal(setattr(x, F1, &o), 0);
	st = host_lstat(t9_path(&x->s, "f"));
	assert_int_equal(st.st_uid, 777);
	assert_int_equal(st.st_gid, 23456);

	/* A symlink's own owner (lchown), not its target's. */
	assert_int_equal(symlink("f", t9_path(&x->s, "l")), 0);
	assert_int_equal(t9_walk(&x->c, ROOT, F2, "l", NULL), 0);
	o.valid = P9_SETATTR_UID | P9_SETATTR_GID;
	o.uid = 4242;
	o.gid = 4343;
	assert_int_equal(setattr(x, F2, &o), 0);
	st = host_lstat(t9_path(&x->s, "l"));
	assert_int_equal(st.st_uid, 4242);
	assert_int_equal(st.st_gid, 4343);
	st = host_lstat(t9_path(&x->s, "f"));
	assert_int_equal(st.st_uid, 777);
}

static void
setattr_truncate(void **state)
{
	struct fx *x = *state;
	/* truncate(2) by path -> SIZE on an unopened fid. */
	struct sa t = { .valid = P9_SETATTR_SIZE };
	/* ftruncate / open(O_TRUNC) -> SIZE|MTIME|CTIME on the open fid. */
	struct sa ft = { .valid = P9_SETATTR_SIZE | P9_SETATTR_MTIME | P9_SETATTR_CTIME };
	char *s;

	t9_write_file(t9_path(&x->s, "f"), "hello world");
	assert_int_equal(t9_walk(&x->c, ROOT, F1, "f", NULL), 0);
	t.size = 5;
	assert_int_equal(setattr(x, F1, &t), 0);
	s = t9_read_file(t9_path(&x->s, "f"));
	assert_string_equal(s, "hello");
	free(s);
	t.size = 100;
	assert_int_equal(setattr(x, F1, &t), 0);
	assert_int_equal(host_lstat(t9_path(&x->s, "f")).st_size, 100);

	/* The open fid (write-only), and a read-only one (reopened to write). */
	assert_int_equal(t9_walk(&x->c, ROOT, F2, "f", NULL), 0);
	assert_int_equal(t9_lopen(&x->c, F2, P9_DOTL_WRONLY, NULL, NULL), 0);
	ft.size = 0;
	assert_int_equal(setattr(x, F2, &ft), 0);
	assert_int_equal(host_lstat(t9_path(&x->s, "f")).st_size, 0);
	assert_int_equal(t9_walk(&x->c, ROOT, F3, "f", NULL), 0);
	assert_int_equal(t9_lopen(&x->c, F3, P9_DOTL_RDONLY, NULL, NULL), 0);
	ft.size = 7;
	assert_int_equal(setattr(x, F3, &ft), 0);
	assert_int_equal(host_lstat(t9_path(&x->s, "f")).st_size, 7);

	/* Not a regular file. */
	assert_int_equal(mkdir(t9_path(&x->s, "d"), 0755), 0);
	assert_int_equal(t9_walk(&x->c, ROOT, F4, "d", NULL), 0);
	assert_int_equal(setattr(x, F4, &t), EISDIR);
	assert_int_equal(mkfifo(t9_path(&x->s, "fifo"), 0600), 0);
	assert_int_equal(t9_walk(&x->c, ROOT, 5, "fifo", NULL), 0);
	assert_int_equal(setattr(x, 5, &t), EINVAL);
	assert_int_equal(symlink("f", t9_path(&x->s, "l")), 0);
	assert_int_equal(t9_walk(&x->c, ROOT, 6, "l", NULL), 0);
	assert_int_equal(setattr(x, 6, &t), EINVAL);
	assert_int_equal(host_lstat(t9_path(&x->s, "f")).st_size, 7);
}

static void
setattr_times_explicit(void **state)
{
	struct fx *x = *state;
	/* utimensat with both times given -> 0x1f0. */
	struct sa u = {
		.valid = P9_SETATTR_ATIME | P9_SETATTR_MTIME | P9_SETATTR_CTIME |
		    P9_SETATTR_ATIME_SET | P9_SETATTR_MTIME_SET,
		.atime_sec = 1000000000, .atime_nsec = 123456789,
		.mtime_sec = 1200000000, .mtime_nsec = 987654321,
	};
	struct p9_rgetattr a;
	struct stat st;

	assert_int_equal(u.valid, 0x1f0);
	t9_write_file(t9_path(&x->s, "f"), "hello");
	assert_int_equal(t9_walk(&x->c, ROOT, F1, "f", NULL), 0);
	assert_int_equal(setattr(x, F1, &u), 0);
	st = host_lstat(t9_path(&x->s, "f"));
	assert_int_equal(st.st_atim.tv_sec, 1000000000);
	assert_int_equal(st.st_atim.tv_nsec, 123456789);
	assert_int_equal(st.st_mtim.tv_sec, 1200000000);
	assert_int_equal(st.st_mtim.tv_nsec, 987654321);
	assert_int_equal(t9_getattr(&x->c, F1, P9_GETATTR_BASIC, &a), 0);
	assert_int_equal(a.atime_sec, 1000000000);
	assert_int_equal(a.atime_nsec, 123456789);
	assert_int_equal(a.mtime_sec, 1200000000);
	assert_int_equal(a.mtime_nsec, 987654321);

	/* A nanosecond field out of range is refused, nothing changes. */
	u.mtime_nsec = 1000000000;
	u.mtime_sec = 5;
	assert_int_equal(setattr(x, F1, &u), EINVAL);
	st = host_lstat(t9_path(&x->s, "f"));
	assert_int_equal(st.st_mtim.tv_sec, 1200000000);

	/* A directory. */
	assert_int_equal(mkdir(t9_path(&x->s, "d"), 0755), 0);
	assert_int_equal(t9_walk(&x->c, ROOT, F2, "d", NULL), 0);
	u.mtime_sec = 1300000000;
	u.mtime_nsec = 1;
	assert_int_equal(setattr(x, F2, &u), 0);
	st = host_lstat(t9_path(&x->s, "d"));
	assert_int_equal(st.st_mtim.tv_sec, 1300000000);
	assert_int_equal(st.st_mtim.tv_nsec, 1);
}

static void
setattr_times_now(void **state)
{
	struct fx *x = *state;
	/* utimensat(NULL) -> ATIME|MTIME|CTIME (0x70): both to the server's now. */
	struct sa u = { .valid = P9_SETATTR_ATIME | P9_SETATTR_MTIME | P9_SETATTR_CTIME };
	struct timespec old[2] = { { 1000, 0 }, { 2000, 0 } }, before, after;
	struct stat st;

	t9_write_file(t9_path(&x->s, "f"), "hello");
	assert_int_equal(utimensat(AT_FDCWD, t9_path(&x->s, "f"), old, 0), 0);
	assert_int_equal(t9_walk(&x->c, ROOT, F1, "f", NULL), 0);
	clock_gettime(CLOCK_REALTIME, &before);
	assert_int_equal(setattr(x, F1, &u), 0);
	clock_gettime(CLOCK_REALTIME, &after);
	st = host_lstat(t9_path(&x->s, "f"));
	/* File times come from a coarse clock: allow it a second of lag. */
	assert_true(st.st_atim.tv_sec >= before.tv_sec - 1 && st.st_atim.tv_sec <= after.tv_sec);
	assert_true(st.st_mtim.tv_sec >= before.tv_sec - 1 && st.st_mtim.tv_sec <= after.tv_sec);
}

/* A clear bit leaves its time alone (UTIME_OMIT). */
static void
setattr_times_omit(void **state)
{
	struct fx *x = *state;
	struct timespec old[2] = { { 1000, 111 }, { 2000, 222 } };
	struct sa a_only = {
		.valid = P9_SETATTR_ATIME | P9_SETATTR_ATIME_SET | P9_SETATTR_CTIME,
		.atime_sec = 3000, .atime_nsec = 333,
		.mtime_sec = 9, .mtime_nsec = 9,	/* garbage: bit clear */
	};
	struct sa m_only = {
		.valid = P9_SETATTR_MTIME | P9_SETATTR_MTIME_SET | P9_SETATTR_CTIME,
		.atime_sec = 9, .atime_nsec = 9,
		.mtime_sec = 4000, .mtime_nsec = 444,
	};
	/* *_SET without its bit means nothing. */
	struct sa set_only = {
		.valid = P9_SETATTR_ATIME_SET | P9_SETATTR_MTIME_SET,
		.atime_sec = 9, .mtime_sec = 9,
	};
	struct stat st;

	t9_write_file(t9_path(&x->s, "f"), "hello");
	assert_int_equal(utimensat(AT_FDCWD, t9_path(&x->s, "f"), old, 0), 0);
	assert_int_equal(t9_walk(&x->c, ROOT, F1, "f", NULL), 0);

	assert_int_equal(setattr(x, F1, &a_only), 0);
	st = host_lstat(t9_path(&x->s, "f"));
	assert_int_equal(st.st_atim.tv_sec, 3000);
	assert_int_equal(st.st_atim.tv_nsec, 333);
	assert_int_equal(st.st_mtim.tv_sec, 2000);
	assert_int_equal(st.st_mtim.tv_nsec, 222);

	assert_int_equal(setattr(x, F1, &m_only), 0);
	st = host_lstat(t9_path(&x->s, "f"));
	assert_int_equal(st.st_atim.tv_sec, 3000);
	assert_int_equal(st.st_atim.tv_nsec, 333);
	assert_int_equal(st.st_mtim.tv_sec, 4000);
	assert_int_equal(st.st_mtim.tv_nsec, 444);

	assert_int_equal(setattr(x, F1, &set_only), 0);
	st = host_lstat(t9_path(&x->s, "f"));
	assert_int_equal(st.st_atim.tv_sec, 3000);
	assert_int_equal(st.st_mtim.tv_sec, 4000);
}

/* CTIME alone: succeeds and changes nothing but ctime. */
static void
setattr_ctime_only(void **state)
{
	struct fx *x = *state;
	struct sa c = { .valid = P9_SETATTR_CTIME, .uid = 1, .gid = 1, .mode = 0, .size = 0 };
	struct timespec old[2] = { { 1000, 0 }, { 2000, 0 } };
	struct stat st0, st;

	t9_write_file(t9_path(&x->s, "f"), "hello");
	assert_int_equal(utimensat(AT_FDCWD, t9_path(&x->s, "f"), old, 0), 0);
	st0 = host_lstat(t9_path(&x->s, "f"));
	assert_int_equal(t9_walk(&x->c, ROOT, F1, "f", NULL), 0);
	assert_int_equal(setattr(x, F1, &c), 0);
	st = host_lstat(t9_path(&x->s, "f"));
	assert_int_equal(st.st_mode, st0.st_mode);
	assert_int_equal(st.st_uid, st0.st_uid);
	assert_int_equal(st.st_gid, st0.st_gid);
	assert_int_equal(st.st_size, 5);
	assert_int_equal(st.st_mtim.tv_sec, 2000);
	assert_int_equal(st.st_atim.tv_sec, 1000);
	assert_true(st.st_ctim.tv_sec > st0.st_ctim.tv_sec ||
	    (st.st_ctim.tv_sec == st0.st_ctim.tv_sec && st.st_ctim.tv_nsec >= st0.st_ctim.tv_nsec));

	/* No bits at all: a no-op. */
	c.valid = 0;
	assert_int_equal(setattr(x, F1, &c), 0);
}

/*
 * A symlink planted in the export pointing at a file outside: every
 * setattr acts on the link itself or is refused; the outside file keeps
 * its mode, size, times and owner.
 */
static void
setattr_symlink_confined(void **state)
{
	struct fx *x = *state;
	char target[600];
	struct sa m = { .valid = P9_SETATTR_MODE | P9_SETATTR_CTIME, .mode = 0777 };
	struct sa t = { .valid = P9_SETATTR_SIZE, .size = 0 };
	struct sa u = {
		.valid = P9_SETATTR_ATIME | P9_SETATTR_MTIME | P9_SETATTR_CTIME |
		    P9_SETATTR_ATIME_SET | P9_SETATTR_MTIME_SET,
		.atime_sec = 1111, .mtime_sec = 2222, .mtime_nsec = 5,
	};
	struct sa now = { .valid = P9_SETATTR_ATIME | P9_SETATTR_MTIME };
	struct stat out0, out, l;
	char *s;

	snprintf(target, sizeof(target), "%s/secret", x->s.outside);
	assert_int_equal(chmod(target, 0640), 0);
	out0 = host_lstat(target);
	assert_int_equal(symlink(target, t9_path(&x->s, "esc")), 0);
	assert_int_equal(t9_walk(&x->c, ROOT, F1, "esc", NULL), 0);

	/* Linux has no symlink modes. */
	assert_int_equal(setattr(x, F1, &m), EOPNOTSUPP);
	assert_int_equal(setattr(x, F1, &t), EINVAL);
	assert_int_equal(setattr(x, F1, &u), 0);
	l = host_lstat(t9_path(&x->s, "esc"));
	assert_int_equal(l.st_atim.tv_sec, 1111);
	assert_int_equal(l.st_mtim.tv_sec, 2222);
	assert_int_equal(l.st_mtim.tv_nsec, 5);
	assert_int_equal(setattr(x, F1, &now), 0);
	if (geteuid() == 0) {
		struct sa o = { .valid = P9_SETATTR_UID | P9_SETATTR_GID, .uid = 4242, .gid = 4343 };

		assert_int_equal(setattr(x, F1, &o), 0);
		assert_int_equal(host_lstat(t9_path(&x->s, "esc")).st_uid, 4242);
	}

	out = host_lstat(target);
	assert_int_equal(out.st_mode, out0.st_mode);
	assert_int_equal(out.st_uid, out0.st_uid);
	assert_int_equal(out.st_gid, out0.st_gid);
	assert_int_equal(out.st_size, out0.st_size);
	assert_int_equal(out.st_mtim.tv_sec, out0.st_mtim.tv_sec);
	assert_int_equal(out.st_mtim.tv_nsec, out0.st_mtim.tv_nsec);
	assert_int_equal(out.st_atim.tv_sec, out0.st_atim.tv_sec);
	assert_int_equal(out.st_atim.tv_nsec, out0.st_atim.tv_nsec);
	s = t9_read_file(target);
	assert_string_equal(s, "outside");
	free(s);
}

/*
 * Root only: a second attach as an unprivileged uid. The server drops to
 * that uid's fs credentials, so the host's checks apply: the owner may
 * chmod, set times and truncate; a stranger may not. This also proves the
 * /proc/self/fd paths work under switched credentials.
 */
static void
setattr_as_user(void **state)
{
	struct fx *x = *state;
	const uid_t u = 54321;	/* no passwd entry: gid = uid */
	struct sa m = { .valid = P9_SETATTR_MODE | P9_SETATTR_CTIME, .mode = 0600 };
	struct sa t = { .valid = P9_SETATTR_SIZE, .size = 2 };
	struct sa ts = {
		.valid = P9_SETATTR_ATIME | P9_SETATTR_MTIME | P9_SETATTR_ATIME_SET |
		    P9_SETATTR_MTIME_SET,
		.atime_sec = 1000, .mtime_sec = 2000,
	};
	struct sa now = { .valid = P9_SETATTR_ATIME | P9_SETATTR_MTIME };
	struct sa own = { .valid = P9_SETATTR_UID, .uid = 0 };
	struct sa grp = { .valid = P9_SETATTR_GID, .gid = 54321 };
	struct p9_rgetattr a;
	uint8_t *val;
	uint64_t len;
	struct stat st;

	if (geteuid() != 0) {
		print_message("skipped: switching credentials needs a root server\n");
		skip();
	}
	t9_write_file(t9_path(&x->s, "mine"), "hello");
	assert_int_equal(chown(t9_path(&x->s, "mine"), u, u), 0);
	assert_int_equal(chmod(t9_path(&x->s, "mine"), 0644), 0);
	t9_write_file(t9_path(&x->s, "theirs"), "hello");
	assert_int_equal(chmod(t9_path(&x->s, "theirs"), 0644), 0);
	assert_int_equal(t9_attach(&x->c, 10, "", u, NULL), 0);

	assert_int_equal(t9_walk(&x->c, 10, 11, "mine", NULL), 0);
	assert_int_equal(setattr(x, 11, &m), 0);
	assert_int_equal(setattr(x, 11, &ts), 0);
	assert_int_equal(setattr(x, 11, &now), 0);
	assert_int_equal(setattr(x, 11, &t), 0);
	assert_int_equal(setattr(x, 11, &grp), 0);
	assert_int_equal(setattr(x, 11, &own), EPERM);
	st = host_lstat(t9_path(&x->s, "mine"));
	assert_int_equal(st.st_mode, S_IFREG | 0600);
	assert_int_equal(st.st_size, 2);
	assert_int_equal(st.st_uid, u);
	if (user_xattrs_ok(x)) {
		assert_int_equal(xset(x, 11, 12, "user.u", "v", 1, 0), 0);
		assert_int_equal(xget(x, 11, 12, "user.u", &val, &len), 0);
		assert_int_equal(len, 1);
		free(val);
	}

	assert_int_equal(t9_walk(&x->c, 10, 13, "theirs", NULL), 0);
	assert_int_equal(t9_getattr(&x->c, 13, P9_GETATTR_ALL, &a), 0);
	assert_int_equal(a.uid, 0);
	assert_int_equal(setattr(x, 13, &m), EPERM);
	assert_int_equal(setattr(x, 13, &ts), EPERM);
	assert_int_equal(setattr(x, 13, &now), EACCES);
	assert_int_equal(setattr(x, 13, &t), EACCES);
	if (user_xattrs_ok(x))
		assert_int_equal(xset(x, 13, 12, "user.u", "v", 1, 0), EACCES);
	st = host_lstat(t9_path(&x->s, "theirs"));
	assert_int_equal(st.st_mode, S_IFREG | 0644);
	assert_int_equal(st.st_size, 5);
}

/* Txattrwalk, Txattrcreate */

static void
xattr_round_trip(void **state)
{
	struct fx *x = *state;
	char host[128];
	uint8_t *val;
	uint64_t len, size;
	ssize_t n;

	NEED_USER_XATTRS(x);
	t9_write_file(t9_path(&x->s, "f"), "data");
	assert_int_equal(t9_walk(&x->c, ROOT, F1, "f", NULL), 0);

	/* set */
	assert_int_equal(xset(x, F1, F2, "user.test", "hello", 5, 0), 0);
	n = lgetxattr(t9_path(&x->s, "f"), "user.test", host, sizeof(host));
	assert_int_equal(n, 5);
	assert_memory_equal(host, "hello", 5);

	/* get */
	assert_int_equal(xget(x, F1, F3, "user.test", &val, &len), 0);
	assert_int_equal(len, 5);
	assert_memory_equal(val, "hello", 5);
	free(val);

	/* replace, and a second attribute */
	assert_int_equal(xset(x, F1, F2, "user.test", "bye", 3, P9_XATTR_REPLACE), 0);
	assert_int_equal(xset(x, F1, F2, "user.other", "x", 1, P9_XATTR_CREATE), 0);
	n = lgetxattr(t9_path(&x->s, "f"), "user.test", host, sizeof(host));
	assert_int_equal(n, 3);
	assert_memory_equal(host, "bye", 3);

	/* list: the host's list, byte for byte */
	assert_int_equal(xget(x, F1, F3, "", &val, &len), 0);
	n = llistxattr(t9_path(&x->s, "f"), host, sizeof(host));
	assert_true(n > 0);
	assert_int_equal(len, (uint64_t)n);
	assert_memory_equal(val, host, (size_t)n);
	assert_non_null(memmem(val, len, "user.test\0", 10));
	assert_non_null(memmem(val, len, "user.other\0", 11));
	free(val);

	/* remove: size 0 (Linux sends XATTR_REPLACE) */
	assert_int_equal(t9_walk(&x->c, F1, F2, "", NULL), 0);
	assert_int_equal(xcreate(x, F2, "user.test", 0, P9_XATTR_REPLACE), 0);
	assert_int_equal(t9_clunk(&x->c, F2), 0);
	assert_int_equal(lgetxattr(t9_path(&x->s, "f"), "user.test", host, sizeof(host)), -1);
	assert_int_equal(errno, ENODATA);
	assert_int_equal(xwalk(x, F1, F3, "user.test", &size), ENODATA);
	/* the failed walk created no fid: F3 is free */
	assert_int_equal(t9_walk(&x->c, F1, F3, "", NULL), 0);
	assert_int_equal(t9_clunk(&x->c, F3), 0);

	/* on a directory, and through an opened fid */
	assert_int_equal(mkdir(t9_path(&x->s, "d"), 0755), 0);
	assert_int_equal(t9_walk(&x->c, ROOT, F4, "d", NULL), 0);
	assert_int_equal(xset(x, F4, F2, "user.dir", "D", 1, 0), 0);
	assert_int_equal(lgetxattr(t9_path(&x->s, "d"), "user.dir", host, sizeof(host)), 1);
	assert_int_equal(t9_lopen(&x->c, F4, P9_DOTL_RDONLY | P9_DOTL_DIRECTORY, NULL, NULL), 0);
	assert_int_equal(xget(x, F4, F3, "user.dir", &val, &len), 0);
	assert_int_equal(len, 1);
	assert_int_equal(val[0], 'D');
	free(val);
}

/*
 * A value of XATTR_SIZE_MAX, written and read back in msize-bounded chunks.
 * Where the host keeps smaller values only (ext4 without ea_inode: one
 * block), the largest size it takes, in small chunks.
 */
static void
xattr_large(void **state)
{
	static const size_t sizes[] = { 65536, 16384, 4000, 3000, 2000, 1000 };
	struct fx *x = *state;
	uint8_t *big = malloc(65536), *val, *host = malloc(65536);
	const char *f;
	uint64_t len;
	size_t i, n = 0;

	assert_non_null(big);
	assert_non_null(host);
	NEED_USER_XATTRS(x);
	for (i = 0; i < 65536; i++)
		big[i] = (uint8_t)(i * 7 + i / 256);
	f = t9_path(&x->s, "f");
	t9_write_file(f, "");
	for (i = 0; i < sizeof(sizes) / sizeof(sizes[0]) && n == 0; i++)
		if (setxattr(f, "user.probe", big, sizes[i], 0) == 0)
			n = sizes[i];
	assert_true(n > 0);
	assert_int_equal(removexattr(f, "user.probe"), 0);
	if (n < 65536) {
		print_message("host takes xattr values up to %zu bytes here; "
		    "testing %zu in 300-byte chunks\n", n, n);
		x->chunk = 300;
	}
	assert_int_equal(t9_walk(&x->c, ROOT, F1, "f", NULL), 0);
	assert_int_equal(xset(x, F1, F2, "user.big", big, (uint32_t)n, 0), 0);
	assert_int_equal(lgetxattr(f, "user.big", host, 65536), (ssize_t)n);
	assert_memory_equal(host, big, n);
	assert_int_equal(xget(x, F1, F3, "user.big", &val, &len), 0);
	assert_int_equal(len, n);
	assert_memory_equal(val, big, n);
	free(val);
	free(big);
	free(host);
}

static void
xattr_read_offsets(void **state)
{
	struct fx *x = *state;
	uint8_t buf[64];
	uint64_t size;

	NEED_USER_XATTRS(x);
	t9_write_file(t9_path(&x->s, "f"), "");
	assert_int_equal(setxattr(t9_path(&x->s, "f"), "user.v", "0123456789", 10, 0), 0);
	assert_int_equal(t9_walk(&x->c, ROOT, F1, "f", NULL), 0);
	assert_int_equal(xwalk(x, F1, F2, "user.v", &size), 0);
	assert_int_equal(size, 10);
	/* The snapshot is taken at the walk: later host changes do not show. */
	assert_int_equal(setxattr(t9_path(&x->s, "f"), "user.v", "abc", 3, 0), 0);

	assert_int_equal(t9_read(&x->c, F2, 0, buf, 4), 4);
	assert_memory_equal(buf, "0123", 4);
	assert_int_equal(t9_read(&x->c, F2, 5, buf, sizeof(buf)), 5);
	assert_memory_equal(buf, "56789", 5);
	assert_int_equal(t9_read(&x->c, F2, 9, buf, 1), 1);
	assert_int_equal(buf[0], '9');
	/* at the end, past it, far past it (no size - offset wrap): 0 bytes */
	assert_int_equal(t9_read(&x->c, F2, 10, buf, sizeof(buf)), 0);
	assert_int_equal(t9_read(&x->c, F2, 11, buf, sizeof(buf)), 0);
	assert_int_equal(t9_read(&x->c, F2, UINT64_MAX, buf, sizeof(buf)), 0);
	/* A read fid takes no writes, and is no file. */
	assert_int_equal(t9_write(&x->c, F2, 0, "x", 1), -EBADF);
	assert_int_equal(t9_lopen(&x->c, F2, P9_DOTL_RDONLY, NULL, NULL) != 0, 1);
	assert_int_equal(t9_clunk(&x->c, F2), 0);

	/* An empty list reads as 0 bytes. */
	assert_int_equal(removexattr(t9_path(&x->s, "f"), "user.v"), 0);
	assert_int_equal(xwalk(x, F1, F3, "", &size), 0);
	if (size == 0)
		assert_int_equal(t9_read(&x->c, F3, 0, buf, sizeof(buf)), 0);
	assert_int_equal(t9_clunk(&x->c, F3), 0);
}

static void
xattr_errors(void **state)
{
	struct fx *x = *state;
	char longname[300];
	char host[16];

	NEED_USER_XATTRS(x);
	t9_write_file(t9_path(&x->s, "f"), "");
	assert_int_equal(t9_walk(&x->c, ROOT, F1, "f", NULL), 0);

	/* A missing attribute; an unknown fid; newfid in use (EINVAL). */
	assert_int_equal(xwalk(x, F1, F2, "user.missing", NULL), ENODATA);
	assert_int_equal(xwalk(x, 99, F2, "", NULL), EBADF);
	assert_int_equal(xwalk(x, F1, ROOT, "", NULL), EINVAL);
	assert_int_equal(xwalk(x, F1, F1, "", NULL), EINVAL);
	/* Names longer than XATTR_NAME_MAX. */
	memset(longname, 'a', sizeof(longname));
	memcpy(longname, "user.", 5);
	longname[256] = '\0';
	assert_int_equal(xwalk(x, F1, F2, longname, NULL), ERANGE);

	/* Txattrcreate refusals leave the fid a plain file fid. */
	assert_int_equal(t9_walk(&x->c, F1, F2, "", NULL), 0);
	assert_int_equal(xcreate(x, F2, "user.a", 65537, 0), E2BIG);
	assert_int_equal(xcreate(x, F2, "user.a", 1, 4), EINVAL);
	assert_int_equal(xcreate(x, F2, "user.a", 1, 0x100), EINVAL);
	assert_int_equal(xcreate(x, F2, longname, 1, 0), ERANGE);
	assert_int_equal(xcreate(x, F2, "", 1, 0), ERANGE);
	assert_int_equal(xcreate(x, 99, "user.a", 1, 0), EBADF);

	/* A partly written buffer fails at clunk; nothing is set. */
	assert_int_equal(xcreate(x, F2, "user.a", 10, 0), 0);
	/* ... twice on one fid: no longer a file fid */
	assert_int_equal(xcreate(x, F2, "user.b", 1, 0), EINVAL);
	assert_int_equal(t9_write(&x->c, F2, 0, "01234", 5), 5);
	/* beyond attr_size, and an offset that would wrap */
	assert_int_equal(t9_write(&x->c, F2, 8, "abc", 3), -EINVAL);
	assert_int_equal(t9_write(&x->c, F2, 11, "a", 1), -EINVAL);
	assert_int_equal(t9_write(&x->c, F2, UINT64_MAX, "a", 1), -EINVAL);
	/* a write fid cannot be read */
	assert_int_equal(t9_read(&x->c, F2, 0, host, 1), -EBADF);
	assert_int_equal(t9_clunk(&x->c, F2), EINVAL);
	assert_int_equal(lgetxattr(t9_path(&x->s, "f"), "user.a", host, sizeof(host)), -1);
	assert_int_equal(errno, ENODATA);
	/* the clunk freed the fid anyway */
	assert_int_equal(t9_clunk(&x->c, F2), EBADF);

	/* XATTR_CREATE of an existing one, XATTR_REPLACE of a missing one:
	 * the host's errors, at clunk. */
	assert_int_equal(setxattr(t9_path(&x->s, "f"), "user.e", "1", 1, 0), 0);
	assert_int_equal(xset(x, F1, F2, "user.e", "2", 1, P9_XATTR_CREATE), EEXIST);
	assert_int_equal(xset(x, F1, F2, "user.none", "2", 1, P9_XATTR_REPLACE), ENODATA);
	assert_int_equal(lgetxattr(t9_path(&x->s, "f"), "user.e", host, sizeof(host)), 1);
	assert_int_equal(host[0], '1');
	/* Removing a missing attribute. */
	assert_int_equal(t9_walk(&x->c, F1, F2, "", NULL), 0);
	assert_int_equal(xcreate(x, F2, "user.none", 0, P9_XATTR_REPLACE), 0);
	assert_int_equal(t9_clunk(&x->c, F2), ENODATA);

	/* An opened fid cannot become a write buffer. */
	assert_int_equal(t9_walk(&x->c, F1, F3, "", NULL), 0);
	assert_int_equal(t9_lopen(&x->c, F3, P9_DOTL_RDONLY, NULL, NULL), 0);
	assert_int_equal(xcreate(x, F3, "user.a", 1, 0), EINVAL);
	/* An xattr fid is not a file: no getattr/setattr/xattrwalk on it. */
	assert_int_equal(xwalk(x, F1, F4, "user.e", NULL), 0);
	{
		struct p9_rgetattr a;
		struct sa m = { .valid = P9_SETATTR_MODE, .mode = 0600 };

		assert_int_equal(t9_getattr(&x->c, F4, P9_GETATTR_BASIC, &a), EINVAL);
		assert_int_equal(setattr(x, F4, &m), EINVAL);
		assert_int_equal(xwalk(x, F4, 7, "", NULL), EINVAL);
	}
}

/* Root only: trusted.* can be set on a symlink itself; one planted to a
 * file outside leaves that file untouched. */
static void
xattr_symlink_confined(void **state)
{
	struct fx *x = *state;
	char target[600], host[16];
	uint8_t *val;
	uint64_t len;

	if (geteuid() != 0) {
		print_message("skipped: trusted.* xattrs on symlinks need root\n");
		skip();
	}
	snprintf(target, sizeof(target), "%s/secret", x->s.outside);
	assert_int_equal(symlink(target, t9_path(&x->s, "esc")), 0);
	if (lsetxattr(t9_path(&x->s, "esc"), "trusted.probe", "1", 1, 0) != 0) {
		print_message("skipped: no trusted.* xattrs on symlinks here (%s)\n",
		    strerror(errno));
		skip();
	}
	assert_int_equal(t9_walk(&x->c, ROOT, F1, "esc", NULL), 0);
	assert_int_equal(xset(x, F1, F2, "trusted.t", "link", 4, 0), 0);
	assert_int_equal(lgetxattr(t9_path(&x->s, "esc"), "trusted.t", host, sizeof(host)), 4);
	assert_int_equal(lgetxattr(target, "trusted.t", host, sizeof(host)), -1);
	assert_int_equal(errno, ENODATA);
	assert_int_equal(xget(x, F1, F3, "trusted.t", &val, &len), 0);
	assert_int_equal(len, 4);
	assert_memory_equal(val, "link", 4);
	free(val);

	/* The link renamed away under the fid: refused, never misapplied. */
	assert_int_equal(rename(t9_path(&x->s, "esc"), t9_path(&x->s, "esc2")), 0);
	assert_int_equal(symlink(target, t9_path(&x->s, "esc")), 0);
	assert_int_equal(xwalk(x, F1, F3, "trusted.t", NULL), ESTALE);
	assert_int_equal(lgetxattr(target, "trusted.t", host, sizeof(host)), -1);
}

/* A read-only export refuses every mutation, and still answers reads. */
static void
readonly_export(void **state)
{
	struct fx *x = *state;
	struct sa m = { .valid = P9_SETATTR_MODE | P9_SETATTR_CTIME, .mode = 0600 };
	struct sa t = { .valid = P9_SETATTR_SIZE };
	struct p9_rgetattr a;
	uint64_t size;
	char *s;

	t9_write_file(t9_path(&x->s, "f"), "hello");
	assert_int_equal(chmod(t9_path(&x->s, "f"), 0644), 0);
	assert_int_equal(t9_walk(&x->c, ROOT, F1, "f", NULL), 0);
	assert_int_equal(setattr(x, F1, &m), EROFS);
	assert_int_equal(setattr(x, F1, &t), EROFS);
	assert_int_equal(t9_walk(&x->c, F1, F2, "", NULL), 0);
	assert_int_equal(xcreate(x, F2, "user.a", 1, 0), EROFS);
	assert_int_equal(host_lstat(t9_path(&x->s, "f")).st_mode, S_IFREG | 0644);
	s = t9_read_file(t9_path(&x->s, "f"));
	assert_string_equal(s, "hello");
	free(s);

	assert_int_equal(t9_getattr(&x->c, F1, P9_GETATTR_ALL, &a), 0);
	assert_int_equal(a.size, 5);
	if (user_xattrs_ok(x)) {
		assert_int_equal(setxattr(t9_path(&x->s, "f"), "user.r", "ro", 2, 0), 0);
		assert_int_equal(xwalk(x, F1, F3, "user.r", &size), 0);
		assert_int_equal(size, 2);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(getattr_file, setup, teardown),
		cmocka_unit_test_setup_teardown(getattr_dir, setup, teardown),
		cmocka_unit_test_setup_teardown(getattr_symlink, setup, teardown),
		cmocka_unit_test_setup_teardown(getattr_special, setup, teardown),
		cmocka_unit_test_setup_teardown(getattr_open_unlinked, setup, teardown),
		cmocka_unit_test_setup_teardown(setattr_chmod, setup, teardown),
		cmocka_unit_test_setup_teardown(setattr_chown, setup, teardown),
		cmocka_unit_test_setup_teardown(setattr_truncate, setup, teardown),
		cmocka_unit_test_setup_teardown(setattr_times_explicit, setup, teardown),
		cmocka_unit_test_setup_teardown(setattr_times_now, setup, teardown),
		cmocka_unit_test_setup_teardown(setattr_times_omit, setup, teardown),
		cmocka_unit_test_setup_teardown(setattr_ctime_only, setup, teardown),
		cmocka_unit_test_setup_teardown(setattr_symlink_confined, setup, teardown),
		cmocka_unit_test_setup_teardown(setattr_as_user, setup, teardown),
		cmocka_unit_test_setup_teardown(xattr_round_trip, setup, teardown),
		cmocka_unit_test_setup_teardown(xattr_large, setup, teardown),
		cmocka_unit_test_setup_teardown(xattr_read_offsets, setup, teardown),
		cmocka_unit_test_setup_teardown(xattr_errors, setup, teardown),
		cmocka_unit_test_setup_teardown(xattr_symlink_confined, setup, teardown),
		cmocka_unit_test_setup_teardown(readonly_export, setup_ro, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
