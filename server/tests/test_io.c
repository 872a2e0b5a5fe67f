/*
 * p9d I/O family against a real server on a temporary export: Tlopen,
 * Tlcreate, Tread, Twrite, Treaddir, Tfsync, Tstatfs. Results are checked
 * through 9P and on the host side. Each test starts its own server.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/statvfs.h>
#include <sys/xattr.h>
#include <time.h>
#include <unistd.h>

#include "t9.h"

#define ROOT	0u	/* the attach fid of every test */

struct fx {
	struct t9srv	s;
	struct t9c	c;
	struct p9_qid	rootqid;
};

static struct fx *
fx_start(void **state, uint32_t msize, const char *const *args)
{
	struct fx *x = calloc(1, sizeof(*x));

	assert_non_null(x);
	t9_start(&x->s, args);
	t9_connect(&x->s, &x->c, msize);
	assert_int_equal(t9_attach(&x->c, ROOT, "", (uint32_t)geteuid(), &x->rootqid), 0);
	*state = x;
	return x;
}

static int
setup(void **state)
{
	fx_start(state, 0, NULL);
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

/* Host-side helpers. */

static void
host_write_bytes(const char *path, const uint8_t *buf, size_t len)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);

	assert_true(fd >= 0);
	assert_int_equal(write(fd, buf, len), (ssize_t)len);
	assert_int_equal(close(fd), 0);
}

static uint8_t *
host_read_bytes(const char *path, size_t *len)
{
	struct stat st;
	uint8_t *buf;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	assert_true(fd >= 0);
	assert_int_equal(fstat(fd, &st), 0);
	buf = malloc((size_t)st.st_size + 1);
	assert_non_null(buf);
	assert_int_equal(pread(fd, buf, (size_t)st.st_size, 0), (ssize_t)st.st_size);
	close(fd);
	*len = (size_t)st.st_size;
	return buf;
}

static void
host_str_equal(const char *path, const char *want)
{
	char *got = t9_read_file(path);

	assert_non_null(got);
	assert_string_equal(got, want);
	free(got);
}

static void
pattern(uint8_t *buf, size_t len, unsigned seed)
{
	size_t i;

	for (i = 0; i < len; i++)
		buf[i] = (uint8_t)((i * 131 + seed * 7 + (i >> 8)) & 0xff);
}

/* Walk root -> path into fid and open it; returns the Rlopen error. */
static int
open_at(struct fx *x, uint32_t fid, const char *path, uint32_t flags, struct p9_qid *qid)
{
	uint32_t iounit = 1;
	int e = t9_walk(&x->c, ROOT, fid, path, NULL);

	assert_int_equal(e, 0);
	e = t9_lopen(&x->c, fid, flags, qid, &iounit);
	if (e == 0)
		assert_int_equal(iounit, 0);
	return e;
}

static int
do_readdir(struct t9c *c, uint32_t fid, uint64_t off, uint32_t count, struct p9_data *data)
{
	struct p9_msg t = { .type = P9_TREADDIR }, r;
	int e;

	t.treaddir.fid = fid;
	t.treaddir.offset = off;
	t.treaddir.count = count;
	e = t9_rpc(c, &t, &r);
	if (e == 0) {
		*data = r.rreaddir.data;
		assert_true(data->len <= count);
	}
	return e;
}

static int
do_fsync(struct t9c *c, uint32_t fid, uint32_t datasync)
{
	struct p9_msg t = { .type = P9_TFSYNC }, r;

	t.tfsync.fid = fid;
	t.tfsync.datasync = datasync;
	return t9_rpc(c, &t, &r);
}

static int
do_statfs(struct t9c *c, uint32_t fid, struct p9_rstatfs *out)
{
	struct p9_msg t = { .type = P9_TSTATFS }, r;
	int e;

	t.tstatfs.fid = fid;
	e = t9_rpc(c, &t, &r);
	if (e == 0)
		*out = r.rstatfs;
	return e;
}

/* One listed entry, copied out of the reply. */
struct ent {
	char		name[256];
	uint64_t	cookie;
	uint8_t		type;
	struct p9_qid	qid;
};

/* Decode a Rreaddir payload, appending to ents[*n..max). Returns the
 * number of entries it held. */
static int
parse_ents(struct p9_data data, struct ent *ents, int *n, int max)
{
	struct p9_dirent_iter it;
	struct p9_dirent d;
	int k = 0, rc;

	p9_dirent_iter_init(&it, data);
	while ((rc = p9_dirent_next(&it, &d)) == 1) {
		assert_true(*n < max);
		assert_true(d.name.len > 0 && d.name.len < sizeof(ents[0].name));
		memcpy(ents[*n].name, d.name.ptr, d.name.len);
		ents[*n].name[d.name.len] = '\0';
		ents[*n].cookie = d.offset;
		ents[*n].type = d.type;
		ents[*n].qid = d.qid;
		(*n)++;
		k++;
	}
	assert_int_equal(rc, 0);
	return k;
}

/* List a whole opened directory from `start` with Treaddir of `count`;
 * bounded by `max` entries. Returns the number of entries. */
static int
list_dir(struct t9c *c, uint32_t fid, uint64_t start, uint32_t count, struct ent *ents, int max)
{
	struct p9_data data;
	uint64_t off = start;
	int n = 0, rounds;

	for (rounds = 0; rounds <= max + 1; rounds++) {
		assert_int_equal(do_readdir(c, fid, off, count, &data), 0);
		if (data.len == 0)
			return n;
		assert_true(parse_ents(data, ents, &n, max) > 0);
		off = ents[n - 1].cookie;
	}
	fail_msg("readdir did not reach the end");
	return -1;
}

static const struct ent *
find_ent(const struct ent *ents, int n, const char *name)
{
	int i;

	for (i = 0; i < n; i++)
		if (strcmp(ents[i].name, name) == 0)
			return &ents[i];
	return NULL;
}

/* Tlopen */

static void
test_lopen_rdonly(void **state)
{
	struct fx *x = *state;
	struct p9_qid wq, oq;
	char buf[64];

	t9_write_file(t9_path(&x->s, "f"), "hello world");
	assert_int_equal(t9_walk(&x->c, ROOT, 1, "f", &wq), 0);
	assert_int_equal(t9_lopen(&x->c, 1, P9_DOTL_RDONLY | P9_DOTL_LARGEFILE, &oq, NULL), 0);
	assert_int_equal(oq.type, P9_QTFILE);
	assert_true(oq.path == wq.path);
	assert_int_equal(t9_read(&x->c, 1, 0, buf, sizeof(buf)), 11);
	assert_memory_equal(buf, "hello world", 11);
	assert_int_equal(t9_read(&x->c, 1, 6, buf, 3), 3);
	assert_memory_equal(buf, "wor", 3);
	/* Write on an O_RDONLY fid. */
	assert_int_equal(t9_write(&x->c, 1, 0, "x", 1), -EBADF);
	host_str_equal(t9_path(&x->s, "f"), "hello world");
	/* Already open. */
	assert_int_equal(t9_lopen(&x->c, 1, P9_DOTL_RDONLY, NULL, NULL), EINVAL);
	assert_int_equal(t9_read(&x->c, 1, 0, buf, 5), 5);
}

static void
test_lopen_wronly_rdwr(void **state)
{
	struct fx *x = *state;
	char buf[64];

	t9_write_file(t9_path(&x->s, "f"), "abcdef");
	assert_int_equal(open_at(x, 1, "f", P9_DOTL_WRONLY, NULL), 0);
	assert_int_equal(t9_write(&x->c, 1, 2, "XY", 2), 2);
	host_str_equal(t9_path(&x->s, "f"), "abXYef");
	/* Read on a write-only fid. */
	assert_int_equal(t9_read(&x->c, 1, 0, buf, 4), -EBADF);

	assert_int_equal(open_at(x, 2, "f", P9_DOTL_RDWR, NULL), 0);
	assert_int_equal(t9_write(&x->c, 2, 6, "gh", 2), 2);
	assert_int_equal(t9_read(&x->c, 2, 0, buf, sizeof(buf)), 8);
	assert_memory_equal(buf, "abXYefgh", 8);
	host_str_equal(t9_path(&x->s, "f"), "abXYefgh");
	/* A zero-length write is a zero count, not an error. */
	assert_int_equal(t9_write(&x->c, 2, 0, "", 0), 0);
}

static void
test_lopen_append_trunc(void **state)
{
	struct fx *x = *state;

	t9_write_file(t9_path(&x->s, "a"), "head");
	assert_int_equal(open_at(x, 1, "a", P9_DOTL_WRONLY | P9_DOTL_APPEND, NULL), 0);
	/* The offset is ignored: an O_APPEND descriptor appends. */
	assert_int_equal(t9_write(&x->c, 1, 0, "-tail", 5), 5);
	assert_int_equal(t9_write(&x->c, 1, 1, "!", 1), 1);
	host_str_equal(t9_path(&x->s, "a"), "head-tail!");

	t9_write_file(t9_path(&x->s, "t"), "to be truncated");
	assert_int_equal(open_at(x, 2, "t", P9_DOTL_WRONLY | P9_DOTL_TRUNC, NULL), 0);
	host_str_equal(t9_path(&x->s, "t"), "");
	assert_int_equal(t9_write(&x->c, 2, 0, "new", 3), 3);
	host_str_equal(t9_path(&x->s, "t"), "new");
}

static void
test_lopen_dir(void **state)
{
	struct fx *x = *state;
	struct p9_qid wq, oq;
	char buf[16];

	assert_int_equal(mkdir(t9_path(&x->s, "d"), 0755), 0);
	t9_write_file(t9_path(&x->s, "f"), "x");
	/* What Linux sends for a directory: 02304000. */
	assert_int_equal(t9_walk(&x->c, ROOT, 1, "d", &wq), 0);
	assert_int_equal(t9_lopen(&x->c, 1, P9_DOTL_RDONLY | P9_DOTL_DIRECTORY |
	    P9_DOTL_NONBLOCK | P9_DOTL_LARGEFILE | P9_DOTL_CLOEXEC, &oq, NULL), 0);
	assert_int_equal(oq.type, P9_QTDIR);
	assert_true(oq.path == wq.path);
	assert_int_equal(t9_read(&x->c, 1, 0, buf, sizeof(buf)), -EISDIR);
	/* The root itself. */
	assert_int_equal(open_at(x, 2, "", P9_DOTL_RDONLY | P9_DOTL_DIRECTORY, &oq), 0);
	assert_true(oq.path == x->rootqid.path);
	/* A directory for writing; DIRECTORY on a file. */
	assert_int_equal(open_at(x, 3, "d", P9_DOTL_WRONLY, NULL), EISDIR);
	assert_int_equal(open_at(x, 4, "d", P9_DOTL_RDWR, NULL), EISDIR);
	assert_int_equal(open_at(x, 5, "f", P9_DOTL_RDONLY | P9_DOTL_DIRECTORY, NULL), ENOTDIR);
	/* The failed fid is unchanged and still opens. */
	assert_int_equal(t9_lopen(&x->c, 5, P9_DOTL_RDONLY, NULL, NULL), 0);
}

static void
test_lopen_errors(void **state)
{
	struct fx *x = *state;
	char buf[8];

	assert_int_equal(t9_lopen(&x->c, 77, P9_DOTL_RDONLY, NULL, NULL), EBADF);
	/* A symlink node is never opened (its target could be anywhere). */
	assert_int_equal(symlink("/etc/passwd", t9_path(&x->s, "l")), 0);
	assert_int_equal(open_at(x, 1, "l", P9_DOTL_RDONLY, NULL), ELOOP);
	/* Nor a FIFO (it would block or reach a host device). */
	assert_int_equal(mkfifo(t9_path(&x->s, "p"), 0644), 0);
	assert_int_equal(open_at(x, 2, "p", P9_DOTL_RDONLY, NULL), EPERM);
	/* I/O on unopened or unknown fids. */
	t9_write_file(t9_path(&x->s, "f"), "data");
	assert_int_equal(t9_walk(&x->c, ROOT, 3, "f", NULL), 0);
	assert_int_equal(t9_read(&x->c, 3, 0, buf, sizeof(buf)), -EBADF);
	assert_int_equal(t9_write(&x->c, 3, 0, "z", 1), -EBADF);
	assert_int_equal(t9_read(&x->c, 99, 0, buf, sizeof(buf)), -EBADF);
	assert_int_equal(t9_write(&x->c, 99, 0, "z", 1), -EBADF);
	host_str_equal(t9_path(&x->s, "f"), "data");
}

static void
test_readonly_export(void **state)
{
	static const char *const ro[] = { "--read-only", NULL };
	struct fx *x = fx_start(state, 0, ro);
	char buf[16];

	t9_write_file(t9_path(&x->s, "f"), "keep");
	assert_int_equal(open_at(x, 1, "f", P9_DOTL_WRONLY, NULL), EROFS);
	assert_int_equal(open_at(x, 2, "f", P9_DOTL_RDWR, NULL), EROFS);
	assert_int_equal(open_at(x, 3, "f", P9_DOTL_RDONLY | P9_DOTL_TRUNC, NULL), EROFS);
	assert_int_equal(open_at(x, 4, "f", P9_DOTL_RDONLY, NULL), 0);
	assert_int_equal(t9_read(&x->c, 4, 0, buf, sizeof(buf)), 4);
	assert_int_equal(t9_write(&x->c, 4, 0, "x", 1), -EROFS);
	assert_int_equal(do_fsync(&x->c, 4, 0), 0);
	assert_int_equal(t9_walk(&x->c, ROOT, 5, "", NULL), 0);
	assert_int_equal(t9_lcreate(&x->c, 5, "new", P9_DOTL_RDWR, 0644, NULL), EROFS);
	assert_int_equal(t9_lcreate(&x->c, 5, "f", P9_DOTL_RDONLY, 0644, NULL), EROFS);
	assert_int_equal(access(t9_path(&x->s, "new"), F_OK), -1);
	host_str_equal(t9_path(&x->s, "f"), "keep");
}

/* Tlcreate */

static void
test_lcreate_new(void **state)
{
	struct fx *x = *state;
	struct p9_qid cq, wq, oq;
	struct stat st;
	char buf[16];

	assert_int_equal(t9_walk(&x->c, ROOT, 1, "", NULL), 0);
	/* Linux passes S_IFREG in the mode: only 07777 applies. */
	assert_int_equal(t9_lcreate(&x->c, 1, "new", P9_DOTL_RDWR | P9_DOTL_CREATE,
	    0100640, &cq), 0);
	assert_int_equal(cq.type, P9_QTFILE);
	assert_int_equal(lstat(t9_path(&x->s, "new"), &st), 0);
	assert_true(S_ISREG(st.st_mode));
	assert_int_equal(st.st_mode & 07777, 0640);
	/* The fid is now the new file, opened. */
	assert_int_equal(t9_write(&x->c, 1, 0, "hello", 5), 5);
	assert_int_equal(t9_read(&x->c, 1, 1, buf, sizeof(buf)), 4);
	assert_memory_equal(buf, "ello", 4);
	host_str_equal(t9_path(&x->s, "new"), "hello");
	assert_int_equal(t9_lopen(&x->c, 1, P9_DOTL_RDONLY, NULL, NULL), EINVAL);
	assert_int_equal(t9_lcreate(&x->c, 1, "again", P9_DOTL_RDWR, 0644, NULL), EINVAL);
	/* A walk to the name finds the same file. */
	assert_int_equal(t9_walk(&x->c, ROOT, 2, "new", &wq), 0);
	assert_true(wq.path == cq.path);
	assert_int_equal(t9_lopen(&x->c, 2, P9_DOTL_RDONLY, &oq, NULL), 0);
	assert_true(oq.path == cq.path);

	/* Odd modes go in exactly (umask 0). */
	assert_int_equal(t9_walk(&x->c, ROOT, 3, "", NULL), 0);
	assert_int_equal(t9_lcreate(&x->c, 3, "odd", P9_DOTL_WRONLY, 0604, NULL), 0);
	assert_int_equal(lstat(t9_path(&x->s, "odd"), &st), 0);
	assert_int_equal(st.st_mode & 07777, 0604);
	/* The gid we already have is accepted as is. */
	assert_int_equal(t9_walk(&x->c, ROOT, 4, "", NULL), 0);
	{
		struct p9_msg t = { .type = P9_TLCREATE }, r;

		t.tlcreate.fid = 4;
		assert_int_equal(p9_str_set(&t.tlcreate.name, "withgid"), 0);
		t.tlcreate.flags = P9_DOTL_WRONLY;
		t.tlcreate.mode = 0600;
		t.tlcreate.gid = (uint32_t)getegid();
		assert_int_equal(t9_rpc(&x->c, &t, &r), 0);
	}
	assert_int_equal(lstat(t9_path(&x->s, "withgid"), &st), 0);
	assert_int_equal(st.st_gid, getegid());
	assert_int_equal(st.st_mode & 07777, 0600);
	/* Another gid is applied when the server may (it runs as root and
	 * we attached as root); otherwise the file keeps the group it got. */
	assert_int_equal(t9_walk(&x->c, ROOT, 5, "", NULL), 0);
	{
		struct p9_msg t = { .type = P9_TLCREATE }, r;

		t.tlcreate.fid = 5;
		assert_int_equal(p9_str_set(&t.tlcreate.name, "othergid"), 0);
		t.tlcreate.flags = P9_DOTL_WRONLY;
		t.tlcreate.mode = 0640;
		t.tlcreate.gid = 12345;
		assert_int_equal(t9_rpc(&x->c, &t, &r), 0);
	}
	assert_int_equal(lstat(t9_path(&x->s, "othergid"), &st), 0);
	assert_int_equal(st.st_gid, geteuid() == 0 ? 12345 : getegid());
	assert_int_equal(st.st_mode & 07777, 0640);
}

/* Open fids keep working after the name is unlinked or renamed on the
 * host (spec 3.5). */
static void
test_io_after_unlink(void **state)
{
	struct fx *x = *state;
	char buf[16];

	t9_write_file(t9_path(&x->s, "gone"), "abc");
	assert_int_equal(open_at(x, 1, "gone", P9_DOTL_RDWR, NULL), 0);
	assert_int_equal(unlink(t9_path(&x->s, "gone")), 0);
	assert_int_equal(t9_write(&x->c, 1, 3, "def", 3), 3);
	assert_int_equal(t9_read(&x->c, 1, 0, buf, sizeof(buf)), 6);
	assert_memory_equal(buf, "abcdef", 6);
	assert_int_equal(do_fsync(&x->c, 1, 0), 0);

	assert_int_equal(t9_walk(&x->c, ROOT, 2, "", NULL), 0);
	assert_int_equal(t9_lcreate(&x->c, 2, "moved", P9_DOTL_RDWR, 0644, NULL), 0);
	assert_int_equal(rename(t9_path(&x->s, "moved"), t9_path(&x->s, "there")), 0);
	assert_int_equal(t9_write(&x->c, 2, 0, "hi", 2), 2);
	host_str_equal(t9_path(&x->s, "there"), "hi");
}

static void
test_lcreate_existing(void **state)
{
	struct fx *x = *state;
	struct p9_qid wq, cq;
	struct stat st;
	char buf[16];

	t9_write_file(t9_path(&x->s, "e"), "data");
	assert_int_equal(chmod(t9_path(&x->s, "e"), 0600), 0);
	assert_int_equal(t9_walk(&x->c, ROOT, 9, "e", &wq), 0);
	/* EXCL: refused, and the fid stays the unopened directory. */
	assert_int_equal(t9_walk(&x->c, ROOT, 1, "", NULL), 0);
	assert_int_equal(t9_lcreate(&x->c, 1, "e", P9_DOTL_RDWR | P9_DOTL_EXCL, 0644, NULL),
	    EEXIST);
	host_str_equal(t9_path(&x->s, "e"), "data");
	/* Without EXCL the existing file is opened, its mode untouched. */
	assert_int_equal(t9_lcreate(&x->c, 1, "e", P9_DOTL_RDONLY, 0644, &cq), 0);
	assert_true(cq.path == wq.path);
	assert_int_equal(t9_read(&x->c, 1, 0, buf, sizeof(buf)), 4);
	assert_memory_equal(buf, "data", 4);
	assert_int_equal(lstat(t9_path(&x->s, "e"), &st), 0);
	assert_int_equal(st.st_mode & 07777, 0600);
	/* With TRUNC it is truncated. */
	assert_int_equal(t9_walk(&x->c, ROOT, 2, "", NULL), 0);
	assert_int_equal(t9_lcreate(&x->c, 2, "e", P9_DOTL_WRONLY | P9_DOTL_TRUNC, 0644, NULL), 0);
	host_str_equal(t9_path(&x->s, "e"), "");
	/* An existing directory or FIFO is not opened by lcreate. */
	assert_int_equal(mkdir(t9_path(&x->s, "d"), 0755), 0);
	assert_int_equal(mkfifo(t9_path(&x->s, "p"), 0644), 0);
	assert_int_equal(t9_walk(&x->c, ROOT, 3, "", NULL), 0);
	assert_int_equal(t9_lcreate(&x->c, 3, "d", P9_DOTL_RDONLY, 0644, NULL), EISDIR);
	assert_int_equal(t9_lcreate(&x->c, 3, "p", P9_DOTL_RDONLY, 0644, NULL), EPERM);
	assert_int_equal(t9_lcreate(&x->c, 3, "ok", P9_DOTL_RDWR, 0644, NULL), 0);
}

static void
test_lcreate_bad(void **state)
{
	struct fx *x = *state;
	char longname[300];

	memset(longname, 'n', 256);
	longname[256] = '\0';
	t9_write_file(t9_path(&x->s, "f"), "");
	assert_int_equal(t9_lcreate(&x->c, 55, "x", P9_DOTL_RDWR, 0644, NULL), EBADF);
	assert_int_equal(t9_walk(&x->c, ROOT, 1, "", NULL), 0);
	assert_int_equal(t9_lcreate(&x->c, 1, "", P9_DOTL_RDWR, 0644, NULL), ENOENT);
	assert_int_equal(t9_lcreate(&x->c, 1, "a/b", P9_DOTL_RDWR, 0644, NULL), ENOENT);
	assert_int_equal(t9_lcreate(&x->c, 1, "/", P9_DOTL_RDWR, 0644, NULL), ENOENT);
	assert_int_equal(t9_lcreate(&x->c, 1, ".", P9_DOTL_RDWR, 0644, NULL), EEXIST);
	assert_int_equal(t9_lcreate(&x->c, 1, "..", P9_DOTL_RDWR, 0644, NULL), EEXIST);
	assert_int_equal(t9_lcreate(&x->c, 1, longname, P9_DOTL_RDWR, 0644, NULL), ENAMETOOLONG);
	/* Not a directory; an opened directory. */
	assert_int_equal(t9_walk(&x->c, ROOT, 2, "f", NULL), 0);
	assert_int_equal(t9_lcreate(&x->c, 2, "x", P9_DOTL_RDWR, 0644, NULL), ENOTDIR);
	assert_int_equal(open_at(x, 3, "", P9_DOTL_RDONLY | P9_DOTL_DIRECTORY, NULL), 0);
	assert_int_equal(t9_lcreate(&x->c, 3, "x", P9_DOTL_RDWR, 0644, NULL), EINVAL);
	assert_int_equal(access(t9_path(&x->s, "x"), F_OK), -1);
	/* After all that the first fid is still the directory. */
	assert_int_equal(t9_lcreate(&x->c, 1, "fine", P9_DOTL_RDWR, 0644, NULL), 0);
	assert_int_equal(access(t9_path(&x->s, "fine"), F_OK), 0);
}

static void
test_lcreate_symlink(void **state)
{
	struct fx *x = *state;
	char target[400], existing[400];
	struct stat st;

	/* Links planted in the export, pointing outside. */
	snprintf(target, sizeof(target), "%s/created", x->s.outside);
	snprintf(existing, sizeof(existing), "%s/mine", x->s.outside);
	t9_write_file(existing, "mine");
	assert_int_equal(symlink(target, t9_path(&x->s, "dangling")), 0);
	assert_int_equal(symlink(existing, t9_path(&x->s, "toexisting")), 0);

	assert_int_equal(t9_walk(&x->c, ROOT, 1, "", NULL), 0);
	assert_int_equal(t9_lcreate(&x->c, 1, "dangling", P9_DOTL_RDWR, 0644, NULL), ELOOP);
	assert_int_equal(t9_lcreate(&x->c, 1, "dangling", P9_DOTL_RDWR | P9_DOTL_EXCL,
	    0644, NULL), EEXIST);
	assert_int_equal(t9_lcreate(&x->c, 1, "toexisting",
	    P9_DOTL_WRONLY | P9_DOTL_TRUNC, 0644, NULL), ELOOP);
	assert_int_equal(lstat(target, &st), -1);
	assert_int_equal(errno, ENOENT);
	host_str_equal(existing, "mine");
	/* The links themselves are untouched and the fid still works. */
	assert_int_equal(lstat(t9_path(&x->s, "dangling"), &st), 0);
	assert_true(S_ISLNK(st.st_mode));
	assert_int_equal(t9_lcreate(&x->c, 1, "real", P9_DOTL_RDWR, 0644, NULL), 0);
}

/* Tread / Twrite */

static void
roundtrip(uint32_t msize)
{
	void *st = NULL;
	struct fx *x = fx_start(&st, msize, NULL);
	size_t len = 3 * (size_t)msize + 123, got = 0, hlen;
	uint8_t *data = malloc(len), *back = malloc(msize + 64), *host;
	uint32_t maxw = msize - 23, maxr = msize - 11;
	long n;
	int rounds;

	assert_non_null(data);
	assert_non_null(back);
	pattern(data, len, msize);
	assert_int_equal(x->c.msize, msize);
	assert_int_equal(t9_walk(&x->c, ROOT, 1, "", NULL), 0);
	assert_int_equal(t9_lcreate(&x->c, 1, "big", P9_DOTL_RDWR, 0644, NULL), 0);
	/* Write in the largest chunks a frame holds (msize - 23). */
	for (rounds = 0; got < len && rounds < 16; rounds++) {
		uint32_t c = len - got < maxw ? (uint32_t)(len - got) : maxw;

		n = t9_write(&x->c, 1, got, data + got, c);
		assert_true(n > 0 && n <= (long)c);
		got += (size_t)n;
	}
	assert_int_equal(got, len);
	host = host_read_bytes(t9_path(&x->s, "big"), &hlen);
	assert_int_equal(hlen, len);
	assert_memory_equal(host, data, len);
	free(host);

	/* Linux's read size (msize - 24) is served whole. */
	assert_int_equal(t9_read(&x->c, 1, 0, back, msize - 24), msize - 24);
	assert_memory_equal(back, data, msize - 24);
	/* A count above what fits is cut so that the reply stays below
	 * msize (spec 1.6). */
	n = t9_read(&x->c, 1, 5, back, msize);
	assert_true(n > 0 && n <= (long)maxr - 1);
	assert_memory_equal(back, data + 5, (size_t)n);
	/* Read everything back in maximal reads. */
	for (got = 0, rounds = 0; rounds < 16; rounds++) {
		n = t9_read(&x->c, 1, got, back, maxr);
		assert_true(n >= 0);
		if (n == 0)
			break;
		assert_memory_equal(back, data + got, (size_t)n);
		got += (size_t)n;
	}
	assert_int_equal(got, len);
	/* At and beyond the end: 0. */
	assert_int_equal(t9_read(&x->c, 1, len, back, 100), 0);
	assert_int_equal(t9_read(&x->c, 1, len + 100000, back, 100), 0);
	free(data);
	free(back);
	teardown(&st);
}

static void
test_rw_msize_8192(void **state)
{
	(void)state;
	roundtrip(8192);
}

static void
test_rw_msize_65536(void **state)
{
	(void)state;
	roundtrip(65536);
}

static void
test_sparse(void **state)
{
	struct fx *x = *state;
	uint8_t buf[4096], zero[4096];
	struct stat st;
	uint64_t off;
	int i;

	memset(zero, 0, sizeof(zero));
	assert_int_equal(t9_walk(&x->c, ROOT, 1, "", NULL), 0);
	assert_int_equal(t9_lcreate(&x->c, 1, "sparse", P9_DOTL_RDWR, 0644, NULL), 0);
	assert_int_equal(t9_write(&x->c, 1, 100000, "end", 3), 3);
	assert_int_equal(stat(t9_path(&x->s, "sparse"), &st), 0);
	assert_int_equal(st.st_size, 100003);
	/* The hole reads as zeros, through 9P. */
	for (i = 0, off = 0; off < 100000 && i < 64; i++) {
		long want = 100000 - off < sizeof(buf) ? (long)(100000 - off) : (long)sizeof(buf);

		assert_int_equal(t9_read(&x->c, 1, off, buf, (uint32_t)want), want);
		assert_memory_equal(buf, zero, (size_t)want);
		off += (uint64_t)want;
	}
	assert_int_equal(off, 100000);
	assert_int_equal(t9_read(&x->c, 1, 99999, buf, 10), 4);
	assert_memory_equal(buf, "\0end", 4);
	/* Offsets beyond what the host can represent. */
	assert_int_equal(t9_write(&x->c, 1, UINT64_MAX - 1, "x", 1), -EFBIG);
	assert_int_equal(t9_read(&x->c, 1, UINT64_MAX, buf, 1), -EINVAL);
}

/* Concurrent reads on one fid are positioned: pipeline several. */
static void
test_pipelined_reads(void **state)
{
	struct fx *x = *state;
	uint8_t data[8000];
	uint16_t tags[8];
	int seen = 0, i, j;

	pattern(data, sizeof(data), 3);
	host_write_bytes(t9_path(&x->s, "p"), data, sizeof(data));
	assert_int_equal(open_at(x, 1, "p", P9_DOTL_RDONLY, NULL), 0);
	for (i = 0; i < 8; i++) {
		struct p9_msg t = { .type = P9_TREAD };

		t.tread.fid = 1;
		t.tread.offset = (uint64_t)i * 1000;
		t.tread.count = 1000;
		tags[i] = t9_send(&x->c, &t);
	}
	for (i = 0; i < 8; i++) {
		struct p9_msg r;
		uint16_t tag = t9_recv(&x->c, &r);

		assert_int_equal(r.type, P9_RREAD);
		for (j = 0; j < 8; j++)
			if (tags[j] == tag)
				break;
		assert_true(j < 8);
		assert_false(seen & (1 << j));
		seen |= 1 << j;
		assert_int_equal(r.rread.data.len, 1000);
		assert_memory_equal(r.rread.data.ptr, data + j * 1000, 1000);
	}
	assert_int_equal(seen, 0xff);
}

/*
 * A Tread updates the file's access time as a local read would (the POSIX
 * backend leaves such a read to a worker: the update may wait for the
 * file system's journal), and leaves alone one that is not due. On a
 * relatime export (the usual), a read of a file whose access time is
 * years old moves it; after a utimensat that put it ahead of every
 * change, a read keeps it (on strictatime it would move: not checked).
 * On a noatime or read-only export neither moves.
 */
static void
test_read_atime(void **state)
{
	struct fx *x = *state;
	const char *path = t9_path(&x->s, "at");
	struct timespec old[2] = { { 1000000000, 0 }, { 0, UTIME_OMIT } };
	struct statvfs sv;
	struct stat st;
	char buf[16];
	bool updates, relatime;

	t9_write_file(path, "atime test");
	assert_int_equal(statvfs(path, &sv), 0);
	updates = (sv.f_flag & (ST_NOATIME | ST_RDONLY)) == 0;
	relatime = updates && (sv.f_flag & ST_RELATIME) != 0;
	assert_int_equal(utimensat(AT_FDCWD, path, old, 0), 0);
	assert_int_equal(open_at(x, 1, "at", P9_DOTL_RDONLY, NULL), 0);
	assert_int_equal(t9_read(&x->c, 1, 0, buf, sizeof(buf)), 10);
	assert_int_equal(stat(path, &st), 0);
	if (updates)
		assert_true(st.st_atim.tv_sec > old[0].tv_sec);
	else
		assert_true(st.st_atim.tv_sec == old[0].tv_sec);
	if (updates && !relatime)
		return;		/* strictatime: every read updates it */
	/* Ahead of the change utimensat makes: no update due. */
	old[0].tv_sec = time(NULL) + 3600;
	assert_int_equal(utimensat(AT_FDCWD, path, old, 0), 0);
	assert_int_equal(t9_read(&x->c, 1, 0, buf, sizeof(buf)), 10);
	assert_int_equal(t9_read(&x->c, 1, 5, buf, sizeof(buf)), 5);
	assert_int_equal(stat(path, &st), 0);
	assert_true(st.st_atim.tv_sec == old[0].tv_sec);
}

/* Treaddir */

#define NENTS	300

static void
make_300(struct fx *x)
{
	char name[64];
	int i;

	assert_int_equal(mkdir(t9_path(&x->s, "big"), 0755), 0);
	for (i = 0; i < NENTS; i++) {
		/* Varied name lengths exercise packing at every boundary. */
		snprintf(name, sizeof(name), "big/entry-%d-%.*s", i, i % 23, "abcdefghijklmnopqrstuvw");
		if (i % 50 == 7)
			assert_int_equal(mkdir(t9_path(&x->s, name), 0755), 0);
		else if (i % 50 == 9)
			assert_int_equal(symlink("nowhere", t9_path(&x->s, name)), 0);
		else
			t9_write_file(t9_path(&x->s, name), "");
	}
}

static void
check_300(struct ent *ents, int n)
{
	char name[64];
	int i, j;

	assert_int_equal(n, NENTS + 2);
	assert_non_null(find_ent(ents, n, "."));
	assert_non_null(find_ent(ents, n, ".."));
	for (i = 0; i < NENTS; i++) {
		const struct ent *e;

		snprintf(name, sizeof(name), "entry-%d-%.*s", i, i % 23, "abcdefghijklmnopqrstuvw");
		e = find_ent(ents, n, name);
		if (e == NULL)
			fail_msg("missing %s", name);
		assert_int_equal(e->type, i % 50 == 7 ? DT_DIR : i % 50 == 9 ? DT_LNK : DT_REG);
	}
	/* Exactly once: names are distinct. */
	for (i = 0; i < n; i++)
		for (j = i + 1; j < n; j++)
			if (strcmp(ents[i].name, ents[j].name) == 0)
				fail_msg("listed twice: %s", ents[i].name);
}

static void
test_readdir_counts(void **state)
{
	static const uint32_t counts[] = { 128, 256, 512, 8000, 65536 };
	struct fx *x = *state;
	struct ent *ents = calloc(NENTS + 8, sizeof(*ents));
	size_t k;

	assert_non_null(ents);
	make_300(x);
	for (k = 0; k < sizeof(counts) / sizeof(counts[0]); k++) {
		uint32_t fid = 10 + (uint32_t)k;
		int n;

		assert_int_equal(open_at(x, fid, "big", P9_DOTL_RDONLY | P9_DOTL_DIRECTORY, NULL), 0);
		n = list_dir(&x->c, fid, 0, counts[k], ents, NENTS + 8);
		check_300(ents, n);
		/* Again from 0 on the same fid: the whole listing again. */
		n = list_dir(&x->c, fid, 0, counts[k], ents, NENTS + 8);
		check_300(ents, n);
		assert_int_equal(t9_clunk(&x->c, fid), 0);
	}
	free(ents);
}

static void
test_readdir_restart(void **state)
{
	struct fx *x = *state;
	struct ent *all = calloc(NENTS + 8, sizeof(*all));
	struct ent *rest = calloc(NENTS + 8, sizeof(*rest));
	int n, m, i, k;

	assert_non_null(all);
	assert_non_null(rest);
	make_300(x);
	assert_int_equal(open_at(x, 1, "big", P9_DOTL_RDONLY | P9_DOTL_DIRECTORY, NULL), 0);
	n = list_dir(&x->c, 1, 0, 512, all, NENTS + 8);
	check_300(all, n);
	/* Restart from a few cookies, in any order, on the same fid: the
	 * rest of the listing, exactly. */
	for (k = 0; k < 4; k++) {
		int from = (int[]){ n / 2, 17, n - 2, 0 }[k];

		m = list_dir(&x->c, 1, all[from].cookie, 256, rest, NENTS + 8);
		assert_int_equal(m, n - from - 1);
		for (i = 0; i < m; i++) {
			assert_string_equal(rest[i].name, all[from + 1 + i].name);
			assert_true(rest[i].cookie == all[from + 1 + i].cookie);
		}
	}
	/* The last cookie is the end. */
	m = list_dir(&x->c, 1, all[n - 1].cookie, 512, rest, NENTS + 8);
	assert_int_equal(m, 0);
	/* A listing left midway (the server holds the entry that did not
	 * fit for a Treaddir that goes on from the last cookie), then a
	 * restart elsewhere: that entry is not sent there. */
	for (k = 0; k < 3; k++) {
		struct p9_data data;
		int from = (int[]){ 17, 0, n - 2 }[k];

		assert_int_equal(do_readdir(&x->c, 1, 0, 256, &data), 0);
		assert_true(data.len > 0);
		m = list_dir(&x->c, 1, all[from].cookie, 200, rest, NENTS + 8);
		assert_int_equal(m, n - from - 1);
		for (i = 0; i < m; i++)
			assert_string_equal(rest[i].name, all[from + 1 + i].name);
	}
	free(all);
	free(rest);
}

static void
test_readdir_qids(void **state)
{
	struct fx *x = *state;
	struct ent ents[16];
	const struct ent *e;
	struct p9_qid q;
	int n;

	t9_write_file(t9_path(&x->s, "f"), "x");
	assert_int_equal(mkdir(t9_path(&x->s, "d"), 0755), 0);
	assert_int_equal(symlink("f", t9_path(&x->s, "l")), 0);
	t9_write_file(t9_path(&x->s, "d/inner"), "y");
	assert_int_equal(open_at(x, 1, "", P9_DOTL_RDONLY | P9_DOTL_DIRECTORY, NULL), 0);
	n = list_dir(&x->c, 1, 0, 4096, ents, 16);
	assert_int_equal(n, 5);

	assert_non_null(e = find_ent(ents, n, "f"));
	assert_int_equal(e->type, DT_REG);
	assert_int_equal(t9_walk(&x->c, ROOT, 2, "f", &q), 0);
	assert_true(e->qid.path == q.path);
	assert_int_equal(e->qid.type, P9_QTFILE);

	assert_non_null(e = find_ent(ents, n, "d"));
	assert_int_equal(e->type, DT_DIR);
	assert_int_equal(t9_walk(&x->c, ROOT, 3, "d", &q), 0);
	assert_true(e->qid.path == q.path);
	assert_int_equal(e->qid.type, P9_QTDIR);

	assert_non_null(e = find_ent(ents, n, "l"));
	assert_int_equal(e->type, DT_LNK);
	assert_int_equal(t9_walk(&x->c, ROOT, 4, "l", &q), 0);
	assert_true(e->qid.path == q.path);
	assert_int_equal(e->qid.type, P9_QTSYMLINK);

	/* At the root, "." and ".." are both the root. */
	assert_non_null(e = find_ent(ents, n, "."));
	assert_true(e->qid.path == x->rootqid.path);
	assert_int_equal(e->type, DT_DIR);
	assert_non_null(e = find_ent(ents, n, ".."));
	assert_true(e->qid.path == x->rootqid.path);
	assert_int_equal(e->type, DT_DIR);

	/* In a subdirectory, ".." is the root, and "." the directory. */
	assert_int_equal(open_at(x, 5, "d", P9_DOTL_RDONLY | P9_DOTL_DIRECTORY, &q), 0);
	n = list_dir(&x->c, 5, 0, 4096, ents, 16);
	assert_int_equal(n, 3);
	assert_non_null(e = find_ent(ents, n, ".."));
	assert_true(e->qid.path == x->rootqid.path);
	assert_non_null(e = find_ent(ents, n, "."));
	assert_true(e->qid.path == q.path);
	assert_non_null(e = find_ent(ents, n, "inner"));
	assert_int_equal(t9_walk(&x->c, ROOT, 6, "d/inner", &q), 0);
	assert_true(e->qid.path == q.path);
}

static void
test_readdir_errors(void **state)
{
	struct fx *x = *state;
	struct p9_data data;
	struct ent ents[4];
	int n = 0;

	t9_write_file(t9_path(&x->s, "f"), "x");
	assert_int_equal(do_readdir(&x->c, 99, 0, 512, &data), EBADF);
	/* Not opened; opened but not a directory. */
	assert_int_equal(t9_walk(&x->c, ROOT, 1, "", NULL), 0);
	assert_int_equal(do_readdir(&x->c, 1, 0, 512, &data), EBADF);
	assert_int_equal(open_at(x, 2, "f", P9_DOTL_RDONLY, NULL), 0);
	assert_int_equal(do_readdir(&x->c, 2, 0, 512, &data), ENOTDIR);
	/* Too small for one entry (24 bytes + name): EINVAL, then a proper
	 * count still starts at the beginning. */
	assert_int_equal(open_at(x, 3, "", P9_DOTL_RDONLY | P9_DOTL_DIRECTORY, NULL), 0);
	assert_int_equal(do_readdir(&x->c, 3, 0, 0, &data), EINVAL);
	assert_int_equal(do_readdir(&x->c, 3, 0, 10, &data), EINVAL);
	assert_int_equal(do_readdir(&x->c, 3, 0, 24, &data), EINVAL);
	/* A cookie no directory stream can have handed out. */
	assert_int_equal(do_readdir(&x->c, 3, UINT64_MAX, 4096, &data), EINVAL);
	assert_int_equal(do_readdir(&x->c, 3, 0, 4096, &data), 0);
	assert_int_equal(parse_ents(data, ents, &n, 4), 3);
}

/* Concurrent Treaddir on one fid are serialised: each sees a consistent
 * stream. */
static void
test_readdir_pipelined(void **state)
{
	struct fx *x = *state;
	struct ent *ents = calloc(NENTS + 8, sizeof(*ents));
	uint64_t cookies[6];
	uint16_t tags[6];
	int n, i, j, seen = 0;

	assert_non_null(ents);
	make_300(x);
	assert_int_equal(open_at(x, 1, "big", P9_DOTL_RDONLY | P9_DOTL_DIRECTORY, NULL), 0);
	n = list_dir(&x->c, 1, 0, 512, ents, NENTS + 8);
	check_300(ents, n);
	for (i = 0; i < 6; i++) {
		struct p9_msg t = { .type = P9_TREADDIR };

		cookies[i] = i == 0 ? 0 : ents[i * 40].cookie;
		t.treaddir.fid = 1;
		t.treaddir.offset = cookies[i];
		t.treaddir.count = 300;
		tags[i] = t9_send(&x->c, &t);
	}
	for (i = 0; i < 6; i++) {
		struct p9_msg r;
		struct p9_dirent_iter it;
		struct p9_dirent d;
		uint16_t tag = t9_recv(&x->c, &r);
		int first;

		assert_int_equal(r.type, P9_RREADDIR);
		for (j = 0; j < 6; j++)
			if (tags[j] == tag)
				break;
		assert_true(j < 6);
		assert_false(seen & (1 << j));
		seen |= 1 << j;
		/* The first entry is the one after the cookie. */
		first = j == 0 ? 0 : j * 40 + 1;
		p9_dirent_iter_init(&it, r.rreaddir.data);
		assert_int_equal(p9_dirent_next(&it, &d), 1);
		assert_true(p9_str_eq(d.name, ents[first].name));
		assert_true(d.offset == ents[first].cookie);
	}
	free(ents);
}

/* Tfsync */

static void
test_fsync(void **state)
{
	struct fx *x = *state;

	t9_write_file(t9_path(&x->s, "f"), "x");
	assert_int_equal(do_fsync(&x->c, 99, 0), EBADF);
	assert_int_equal(t9_walk(&x->c, ROOT, 1, "f", NULL), 0);
	assert_int_equal(do_fsync(&x->c, 1, 0), EBADF);
	assert_int_equal(t9_lopen(&x->c, 1, P9_DOTL_RDWR, NULL, NULL), 0);
	assert_int_equal(t9_write(&x->c, 1, 1, "yz", 2), 2);
	assert_int_equal(do_fsync(&x->c, 1, 0), 0);
	assert_int_equal(do_fsync(&x->c, 1, 1), 0);
	host_str_equal(t9_path(&x->s, "f"), "xyz");
	/* A read-only fid and a directory sync too. */
	assert_int_equal(open_at(x, 2, "f", P9_DOTL_RDONLY, NULL), 0);
	assert_int_equal(do_fsync(&x->c, 2, 1), 0);
	assert_int_equal(open_at(x, 3, "", P9_DOTL_RDONLY | P9_DOTL_DIRECTORY, NULL), 0);
	assert_int_equal(do_fsync(&x->c, 3, 0), 0);
}

/* Tread/Twrite on xattr fids go to the engine's buffers; other I/O on them is EBADF. */
static void
test_xattr_fids(void **state)
{
	struct fx *x = *state;
	struct p9_msg t, r;
	struct p9_data data;
	char buf[64];

	t9_write_file(t9_path(&x->s, "f"), "x");
	if (setxattr(t9_path(&x->s, "f"), "user.k", "value", 5, 0) != 0) {
		assert_int_equal(errno, ENOTSUP);
		skip();
	}
	assert_int_equal(t9_walk(&x->c, ROOT, 1, "f", NULL), 0);
	memset(&t, 0, sizeof(t));
	t.type = P9_TXATTRWALK;
	t.txattrwalk.fid = 1;
	t.txattrwalk.newfid = 2;
	assert_int_equal(p9_str_set(&t.txattrwalk.name, "user.k"), 0);
	assert_int_equal(t9_rpc(&x->c, &t, &r), 0);
	assert_int_equal(r.rxattrwalk.size, 5);
	assert_int_equal(t9_read(&x->c, 2, 0, buf, sizeof(buf)), 5);
	assert_memory_equal(buf, "value", 5);
	assert_int_equal(t9_write(&x->c, 2, 0, "z", 1), -EBADF);
	assert_int_equal(do_fsync(&x->c, 2, 0), EBADF);
	assert_int_equal(do_readdir(&x->c, 2, 0, 512, &data), EBADF);
	assert_int_equal(t9_lopen(&x->c, 2, P9_DOTL_RDONLY, NULL, NULL), EINVAL);

	assert_int_equal(t9_walk(&x->c, ROOT, 3, "f", NULL), 0);
	memset(&t, 0, sizeof(t));
	t.type = P9_TXATTRCREATE;
	t.txattrcreate.fid = 3;
	assert_int_equal(p9_str_set(&t.txattrcreate.name, "user.n"), 0);
	t.txattrcreate.attr_size = 3;
	assert_int_equal(t9_rpc(&x->c, &t, &r), 0);
	assert_int_equal(t9_write(&x->c, 3, 0, "abc", 3), 3);
	assert_int_equal(t9_read(&x->c, 3, 0, buf, sizeof(buf)), -EBADF);
	assert_int_equal(do_fsync(&x->c, 3, 1), EBADF);
	assert_int_equal(t9_clunk(&x->c, 3), 0);
	assert_int_equal(getxattr(t9_path(&x->s, "f"), "user.n", buf, sizeof(buf)), 3);
	assert_memory_equal(buf, "abc", 3);
}

/* Tstatfs */

static void
statfs_matches(const struct p9_rstatfs *got, const struct statfs *want)
{
	uint64_t fsid = (uint64_t)(uint32_t)want->f_fsid.__val[0] |
	    (uint64_t)(uint32_t)want->f_fsid.__val[1] << 32;
	/* Free counts move while other tests run on the same file system. */
	uint64_t slack = want->f_blocks / 20 + 64, fslack = want->f_files / 20 + 64;

	assert_int_equal(got->type, (uint32_t)want->f_type);
	assert_int_equal(got->bsize, (uint32_t)want->f_bsize);
	assert_int_equal(got->blocks, want->f_blocks);
	assert_int_equal(got->files, want->f_files);
	assert_true(got->fsid == fsid);
	assert_int_equal(got->namelen, (uint32_t)want->f_namelen);
	assert_true(got->bfree + slack >= want->f_bfree && got->bfree <= want->f_bfree + slack);
	assert_true(got->bavail + slack >= want->f_bavail && got->bavail <= want->f_bavail + slack);
	assert_true(got->ffree + fslack >= want->f_ffree && got->ffree <= want->f_ffree + fslack);
	assert_true(got->bavail <= got->blocks && got->bfree <= got->blocks);
}

static void
test_statfs(void **state)
{
	struct fx *x = *state;
	struct p9_rstatfs got;
	struct statfs want;

	t9_write_file(t9_path(&x->s, "f"), "x");
	assert_int_equal(do_statfs(&x->c, 99, &got), EBADF);
	/* The root (unopened), a file, an opened file. */
	assert_int_equal(do_statfs(&x->c, ROOT, &got), 0);
	assert_int_equal(statfs(x->s.export, &want), 0);
	statfs_matches(&got, &want);
	assert_int_equal(t9_walk(&x->c, ROOT, 1, "f", NULL), 0);
	assert_int_equal(do_statfs(&x->c, 1, &got), 0);
	statfs_matches(&got, &want);
	assert_int_equal(t9_lopen(&x->c, 1, P9_DOTL_RDONLY, NULL, NULL), 0);
	assert_int_equal(do_statfs(&x->c, 1, &got), 0);
	statfs_matches(&got, &want);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_lopen_rdonly, setup, teardown),
		cmocka_unit_test_setup_teardown(test_lopen_wronly_rdwr, setup, teardown),
		cmocka_unit_test_setup_teardown(test_lopen_append_trunc, setup, teardown),
		cmocka_unit_test_setup_teardown(test_lopen_dir, setup, teardown),
		cmocka_unit_test_setup_teardown(test_lopen_errors, setup, teardown),
		cmocka_unit_test_teardown(test_readonly_export, teardown),
		cmocka_unit_test_setup_teardown(test_lcreate_new, setup, teardown),
		cmocka_unit_test_setup_teardown(test_lcreate_existing, setup, teardown),
		cmocka_unit_test_setup_teardown(test_lcreate_bad, setup, teardown),
		cmocka_unit_test_setup_teardown(test_lcreate_symlink, setup, teardown),
		cmocka_unit_test_setup_teardown(test_io_after_unlink, setup, teardown),
		cmocka_unit_test(test_rw_msize_8192),
		cmocka_unit_test(test_rw_msize_65536),
		cmocka_unit_test_setup_teardown(test_sparse, setup, teardown),
		cmocka_unit_test_setup_teardown(test_pipelined_reads, setup, teardown),
		cmocka_unit_test_setup_teardown(test_read_atime, setup, teardown),
		cmocka_unit_test_setup_teardown(test_readdir_counts, setup, teardown),
		cmocka_unit_test_setup_teardown(test_readdir_restart, setup, teardown),
		cmocka_unit_test_setup_teardown(test_readdir_qids, setup, teardown),
		cmocka_unit_test_setup_teardown(test_readdir_errors, setup, teardown),
		cmocka_unit_test_setup_teardown(test_readdir_pipelined, setup, teardown),
		cmocka_unit_test_setup_teardown(test_fsync, setup, teardown),
		cmocka_unit_test_setup_teardown(test_xattr_fids, setup, teardown),
		cmocka_unit_test_setup_teardown(test_statfs, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
