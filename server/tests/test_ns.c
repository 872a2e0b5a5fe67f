/*
 * p9d name-space and lock families against a real server on a temporary
 * export: Tmkdir, Tsymlink, Tmknod, Tlink, Treadlink, Trename, Trenameat,
 * Tunlinkat, Tremove, Tlock, Tgetlock. Results are checked through 9P and
 * on the host side; the confinement tests plant symlinks to the sibling
 * directory t9srv.outside and prove nothing there changes. Each test
 * starts its own server.
 */
#include <setjmp.h>
#include <stdarg.h>
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
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <time.h>
#include <unistd.h>

#include "t9.h"

#define ROOT	0u	/* the attach fid of every test */
#define NOBODY	65534u	/* an unprivileged uid for the tests that run as root */

struct fx {
	struct t9srv	s;
	struct t9c	c;
	struct p9_qid	rootqid;
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

/* 9P shorthands not in t9.h. Each returns 0 or the Rlerror ecode. */

static struct p9_str
S(const char *s)
{
	return (struct p9_str){ s, (uint16_t)strlen(s) };
}

static int
mkdir9(struct t9c *c, uint32_t dfid, const char *name, uint32_t mode, uint32_t gid,
    struct p9_qid *qid)
{
	struct p9_msg t = { .type = P9_TMKDIR }, r;
	int err;

	t.tmkdir.dfid = dfid;
	t.tmkdir.name = S(name);
	t.tmkdir.mode = mode;
	t.tmkdir.gid = gid;
	err = t9_rpc(c, &t, &r);
	if (err == 0 && qid != NULL)
		*qid = r.rmkdir.qid;
	return err;
}

static int
symlink9(struct t9c *c, uint32_t dfid, const char *name, const char *target, uint32_t gid,
    struct p9_qid *qid)
{
	struct p9_msg t = { .type = P9_TSYMLINK }, r;
	int err;

	t.tsymlink.fid = dfid;
	t.tsymlink.name = S(name);
	t.tsymlink.symtgt = S(target);
	t.tsymlink.gid = gid;
	err = t9_rpc(c, &t, &r);
	if (err == 0 && qid != NULL)
		*qid = r.rsymlink.qid;
	return err;
}

static int
mknod9g(struct t9c *c, uint32_t dfid, const char *name, uint32_t mode, uint32_t major,
    uint32_t minor, uint32_t gid, struct p9_qid *qid)
{
	struct p9_msg t = { .type = P9_TMKNOD }, r;
	int err;

	t.tmknod.dfid = dfid;
	t.tmknod.name = S(name);
	t.tmknod.mode = mode;
	t.tmknod.major = major;
	t.tmknod.minor = minor;
	t.tmknod.gid = gid;
	err = t9_rpc(c, &t, &r);
	if (err == 0 && qid != NULL)
		*qid = r.rmknod.qid;
	return err;
}

static int
mknod9(struct t9c *c, uint32_t dfid, const char *name, uint32_t mode, uint32_t major,
    uint32_t minor, struct p9_qid *qid)
{
	return mknod9g(c, dfid, name, mode, major, minor, (uint32_t)getegid(), qid);
}

static int
link9(struct t9c *c, uint32_t dfid, uint32_t fid, const char *name)
{
	struct p9_msg t = { .type = P9_TLINK }, r;

	t.tlink.dfid = dfid;
	t.tlink.fid = fid;
	t.tlink.name = S(name);
	return t9_rpc(c, &t, &r);
}

/* Treadlink into buf (NUL-terminated). */
static int
readlink9(struct t9c *c, uint32_t fid, char *buf, size_t cap)
{
	struct p9_msg t = { .type = P9_TREADLINK }, r;
	int err;

	t.treadlink.fid = fid;
	err = t9_rpc(c, &t, &r);
	if (err == 0) {
		assert_true(r.rreadlink.target.len < cap);
		memcpy(buf, r.rreadlink.target.ptr, r.rreadlink.target.len);
		buf[r.rreadlink.target.len] = '\0';
	}
	return err;
}

static int
rename9(struct t9c *c, uint32_t fid, uint32_t dfid, const char *name)
{
	struct p9_msg t = { .type = P9_TRENAME }, r;

	t.trename.fid = fid;
	t.trename.dfid = dfid;
	t.trename.name = S(name);
	return t9_rpc(c, &t, &r);
}

static int
renameat9(struct t9c *c, uint32_t odfid, const char *oname, uint32_t ndfid, const char *nname)
{
	struct p9_msg t = { .type = P9_TRENAMEAT }, r;

	t.trenameat.olddirfid = odfid;
	t.trenameat.oldname = S(oname);
	t.trenameat.newdirfid = ndfid;
	t.trenameat.newname = S(nname);
	return t9_rpc(c, &t, &r);
}

static int
unlinkat9(struct t9c *c, uint32_t dfid, const char *name, uint32_t flags)
{
	struct p9_msg t = { .type = P9_TUNLINKAT }, r;

	t.tunlinkat.dirfid = dfid;
	t.tunlinkat.name = S(name);
	t.tunlinkat.flags = flags;
	return t9_rpc(c, &t, &r);
}

static int
remove9(struct t9c *c, uint32_t fid)
{
	struct p9_msg t = { .type = P9_TREMOVE }, r;

	t.tremove.fid = fid;
	return t9_rpc(c, &t, &r);
}

/* Tlock; *status gets Rlock's status. */
static int
lock9(struct t9c *c, uint32_t fid, uint8_t type, uint32_t flags, uint64_t start,
    uint64_t length, uint32_t proc_id, const char *client_id, uint8_t *status)
{
	struct p9_msg t = { .type = P9_TLOCK }, r;
	int err;

	t.tlock.fid = fid;
	t.tlock.type = type;
	t.tlock.flags = flags;
	t.tlock.start = start;
	t.tlock.length = length;
	t.tlock.proc_id = proc_id;
	t.tlock.client_id = S(client_id);
	*status = 0xff;
	err = t9_rpc(c, &t, &r);
	if (err == 0)
		*status = r.rlock.status;
	return err;
}

/* Tlock that must be answered with a status (not Rlerror). */
static uint8_t
lock_status(struct t9c *c, uint32_t fid, uint8_t type, uint64_t start, uint64_t length,
    uint32_t proc_id, const char *client_id)
{
	uint8_t status;

	assert_int_equal(lock9(c, fid, type, 0, start, length, proc_id, client_id, &status), 0);
	return status;
}

struct glk {
	uint8_t		type;
	uint64_t	start, length;
	uint32_t	proc_id;
	char		client_id[256];
};

static int
getlock9(struct t9c *c, uint32_t fid, uint8_t type, uint64_t start, uint64_t length,
    struct glk *g)
{
	struct p9_msg t = { .type = P9_TGETLOCK }, r;
	int err;

	t.tgetlock.fid = fid;
	t.tgetlock.type = type;
	t.tgetlock.start = start;
	t.tgetlock.length = length;
	t.tgetlock.proc_id = 4242;
	t.tgetlock.client_id = S("asker");
	err = t9_rpc(c, &t, &r);
	if (err == 0) {
		g->type = r.rgetlock.type;
		g->start = r.rgetlock.start;
		g->length = r.rgetlock.length;
		g->proc_id = r.rgetlock.proc_id;
		assert_true(r.rgetlock.client_id.len < sizeof(g->client_id));
		memcpy(g->client_id, r.rgetlock.client_id.ptr, r.rgetlock.client_id.len);
		g->client_id[r.rgetlock.client_id.len] = '\0';
	}
	return err;
}

/* Host-side helpers. */

static bool
host_lstat(struct fx *x, const char *rel, struct stat *st)
{
	return lstat(t9_path(&x->s, rel), st) == 0;
}

static bool
host_exists(struct fx *x, const char *rel)
{
	struct stat st;

	return host_lstat(x, rel, &st);
}

static void
host_mkdir(struct fx *x, const char *rel)
{
	assert_int_equal(mkdir(t9_path(&x->s, rel), 0755), 0);
}

static void
host_file(struct fx *x, const char *rel, const char *content)
{
	t9_write_file(t9_path(&x->s, rel), content);
}

static void
host_symlink(struct fx *x, const char *target, const char *rel)
{
	assert_int_equal(symlink(target, t9_path(&x->s, rel)), 0);
}

static int
byname(const struct dirent **a, const struct dirent **b)
{
	return strcmp((*a)->d_name, (*b)->d_name);
}

/* Append a recursive listing of dir (name, type, size, links, owner and,
 * for symlinks, target) to *out, which grows. */
static void
listing_rec(const char *dir, const char *prefix, char **out, size_t *len)
{
	struct dirent **ents;
	int n = scandir(dir, &ents, NULL, byname), i;

	assert_true(n >= 0);
	for (i = 0; i < n; i++) {
		char path[1024], rel[1024], line[2300], tgt[600] = "";
		struct stat st;

		if (strcmp(ents[i]->d_name, ".") == 0 || strcmp(ents[i]->d_name, "..") == 0) {
			free(ents[i]);
			continue;
		}
		snprintf(path, sizeof(path), "%s/%s", dir, ents[i]->d_name);
		snprintf(rel, sizeof(rel), "%s%s", prefix, ents[i]->d_name);
		assert_int_equal(lstat(path, &st), 0);
		if (S_ISLNK(st.st_mode))
			assert_true(readlink(path, tgt, sizeof(tgt) - 1) >= 0);
		snprintf(line, sizeof(line), "%s %o %lld %lu %u:%u %s\n", rel,
		    (unsigned)st.st_mode, (long long)st.st_size, (unsigned long)st.st_nlink,
		    (unsigned)st.st_uid, (unsigned)st.st_gid, tgt);
		*out = realloc(*out, *len + strlen(line) + 1);
		assert_non_null(*out);
		memcpy(*out + *len, line, strlen(line) + 1);
		*len += strlen(line);
		if (S_ISDIR(st.st_mode)) {
			strcat(rel, "/");
			listing_rec(path, rel, out, len);
		}
		free(ents[i]);
	}
	free(ents);
}

/* The whole outside tree as text (malloc'd). */
static char *
outside_listing(struct fx *x)
{
	char *out = calloc(1, 1);
	size_t len = 0;

	assert_non_null(out);
	listing_rec(x->s.outside, "", &out, &len);
	return out;
}

/* Give outside some shape: secret (made by t9_start), a subdirectory with
 * a file, a file that a hard link could target. */
static void
outside_populate(struct fx *x)
{
	char p[600];

	snprintf(p, sizeof(p), "%s/sub", x->s.outside);
	assert_int_equal(mkdir(p, 0755), 0);
	snprintf(p, sizeof(p), "%s/sub/inner", x->s.outside);
	t9_write_file(p, "inner");
}

/* ---- mkdir ---- */

static void
test_mkdir(void **state)
{
	struct fx *x = *state;
	struct p9_qid q;
	struct stat st;

	assert_int_equal(mkdir9(&x->c, ROOT, "d", 040750, (uint32_t)getegid(), &q), 0);
	assert_int_equal(q.type, P9_QTDIR);
	assert_true(host_lstat(x, "d", &st));
	assert_true(S_ISDIR(st.st_mode));
	assert_int_equal(st.st_mode & 07777, 0750);	/* the server runs with umask 0 */
	assert_int_equal(q.path, (uint64_t)st.st_ino);

	/* A nested one through a walked fid; the directory fid is unchanged. */
	assert_int_equal(t9_walk(&x->c, ROOT, 1, "d", NULL), 0);
	assert_int_equal(mkdir9(&x->c, 1, "e", 0755, (uint32_t)-1, &q), 0);
	assert_int_equal(mkdir9(&x->c, 1, "e2", 0700, (uint32_t)-1, NULL), 0);
	assert_true(host_lstat(x, "d/e", &st) && S_ISDIR(st.st_mode));
	assert_true(host_lstat(x, "d/e2", &st) && S_ISDIR(st.st_mode));

	/* Errors. */
	assert_int_equal(mkdir9(&x->c, ROOT, "d", 0755, (uint32_t)-1, NULL), EEXIST);
	assert_int_equal(mkdir9(&x->c, 99, "z", 0755, (uint32_t)-1, NULL), EBADF);
	host_file(x, "f", "x");
	assert_int_equal(t9_walk(&x->c, ROOT, 2, "f", NULL), 0);
	assert_int_equal(mkdir9(&x->c, 2, "z", 0755, (uint32_t)-1, NULL), ENOTDIR);
	/* The directory fid's directory went away: ENOENT. */
	assert_int_equal(rmdir(t9_path(&x->s, "d/e2")), 0);
	assert_int_equal(t9_walk(&x->c, ROOT, 3, "d/e", NULL), 0);
	assert_int_equal(rmdir(t9_path(&x->s, "d/e")), 0);
	assert_int_equal(mkdir9(&x->c, 3, "z", 0755, (uint32_t)-1, NULL), ENOENT);
	assert_false(host_exists(x, "z"));
}

/* The creator's group is applied (when the server may chown). */
static void
test_mkdir_gid(void **state)
{
	struct fx *x = *state;
	struct stat st;

	if (geteuid() != 0)
		skip();
	assert_int_equal(mkdir9(&x->c, ROOT, "g", 0755, 4242, NULL), 0);
	assert_true(host_lstat(x, "g", &st));
	assert_int_equal(st.st_gid, 4242);
	assert_int_equal(symlink9(&x->c, ROOT, "gl", "nowhere", 4243, NULL), 0);
	assert_true(host_lstat(x, "gl", &st));
	assert_true(S_ISLNK(st.st_mode));
	assert_int_equal(st.st_gid, 4243);
	assert_int_equal(mknod9g(&x->c, ROOT, "gf", S_IFIFO | 0600, 0, 0, 4244, NULL), 0);
	assert_true(host_lstat(x, "gf", &st));
	assert_true(S_ISFIFO(st.st_mode));
	assert_int_equal(st.st_gid, 4244);
}

/* Names: "" and "a/b" do not name an entry; "." and ".." exist; over
 * NAME_MAX is too long. Same for every create. */
static void
test_create_names(void **state)
{
	struct fx *x = *state;
	char longname[300];
	int i;

	host_file(x, "f", "x");
	assert_int_equal(t9_walk(&x->c, ROOT, 1, "f", NULL), 0);
	memset(longname, 'n', 256);
	longname[256] = '\0';
	static const struct {
		const char *name;
		int err;
	} cases[] = {
		{ "", ENOENT }, { "a/b", ENOENT }, { "/", ENOENT }, { "a/", ENOENT },
		{ ".", EEXIST }, { "..", EEXIST },
	};
	for (i = 0; i < (int)(sizeof(cases) / sizeof(cases[0])); i++) {
		const char *n = cases[i].name;

		assert_int_equal(mkdir9(&x->c, ROOT, n, 0755, (uint32_t)-1, NULL), cases[i].err);
		assert_int_equal(symlink9(&x->c, ROOT, n, "t", (uint32_t)-1, NULL), cases[i].err);
		assert_int_equal(mknod9(&x->c, ROOT, n, S_IFIFO | 0644, 0, 0, NULL), cases[i].err);
		assert_int_equal(link9(&x->c, ROOT, 1, n), cases[i].err);
	}
	assert_int_equal(mkdir9(&x->c, ROOT, longname, 0755, (uint32_t)-1, NULL), ENAMETOOLONG);
	assert_int_equal(symlink9(&x->c, ROOT, longname, "t", (uint32_t)-1, NULL), ENAMETOOLONG);
	assert_int_equal(mknod9(&x->c, ROOT, longname, S_IFIFO | 0644, 0, 0, NULL), ENAMETOOLONG);
	assert_int_equal(link9(&x->c, ROOT, 1, longname), ENAMETOOLONG);
	longname[255] = '\0';	/* NAME_MAX itself is fine */
	assert_int_equal(mkdir9(&x->c, ROOT, longname, 0755, (uint32_t)-1, NULL), 0);
	assert_true(host_exists(x, longname));
	assert_false(host_exists(x, "a"));
}

/* ---- symlink, readlink ---- */

static void
test_symlink_readlink(void **state)
{
	struct fx *x = *state;
	char buf[5000], big[5000];
	struct p9_qid q;
	struct stat st;
	ssize_t n;

	assert_int_equal(symlink9(&x->c, ROOT, "abs", "/etc/passwd", (uint32_t)-1, &q), 0);
	assert_int_equal(q.type, P9_QTSYMLINK);
	n = readlink(t9_path(&x->s, "abs"), buf, sizeof(buf));
	assert_int_equal(n, 11);
	assert_memory_equal(buf, "/etc/passwd", 11);
	/* Stored verbatim: relative, dotted, dangling. */
	assert_int_equal(symlink9(&x->c, ROOT, "rel", "../../x/./y//", (uint32_t)-1, NULL), 0);
	n = readlink(t9_path(&x->s, "rel"), buf, sizeof(buf));
	assert_int_equal(n, 13);
	assert_memory_equal(buf, "../../x/./y//", 13);

	/* Treadlink through a walked fid. */
	assert_int_equal(t9_walk(&x->c, ROOT, 1, "rel", &q), 0);
	assert_int_equal(q.type, P9_QTSYMLINK);
	assert_int_equal(readlink9(&x->c, 1, buf, sizeof(buf)), 0);
	assert_string_equal(buf, "../../x/./y//");
	/* A long target round-trips. */
	memset(big, 'a', 4000);
	big[4000] = '\0';
	assert_int_equal(symlink9(&x->c, ROOT, "long", big, (uint32_t)-1, NULL), 0);
	assert_int_equal(t9_walk(&x->c, ROOT, 2, "long", NULL), 0);
	assert_int_equal(readlink9(&x->c, 2, buf, sizeof(buf)), 0);
	assert_string_equal(buf, big);

	/* Errors. */
	memset(big, 'b', 4999);
	big[4999] = '\0';
	assert_int_equal(symlink9(&x->c, ROOT, "toolong", big, (uint32_t)-1, NULL), ENAMETOOLONG);
	assert_false(host_exists(x, "toolong"));
	assert_int_equal(symlink9(&x->c, ROOT, "empty", "", (uint32_t)-1, NULL), ENOENT);
	assert_int_equal(symlink9(&x->c, ROOT, "abs", "x", (uint32_t)-1, NULL), EEXIST);
	assert_int_equal(symlink9(&x->c, 77, "y", "x", (uint32_t)-1, NULL), EBADF);
	assert_int_equal(symlink9(&x->c, 1, "y", "x", (uint32_t)-1, NULL), ENOTDIR);
	host_file(x, "f", "x");
	assert_int_equal(t9_walk(&x->c, ROOT, 3, "f", NULL), 0);
	assert_int_equal(readlink9(&x->c, 3, buf, sizeof(buf)), EINVAL);
	assert_int_equal(readlink9(&x->c, ROOT, buf, sizeof(buf)), EINVAL);
	assert_int_equal(readlink9(&x->c, 78, buf, sizeof(buf)), EBADF);
	assert_true(host_lstat(x, "abs", &st) && S_ISLNK(st.st_mode));
}

/* ---- mknod ---- */

static void
test_mknod(void **state)
{
	struct fx *x = *state;
	struct p9_qid q;
	struct stat st;
	int err;

	assert_int_equal(mknod9(&x->c, ROOT, "fifo", S_IFIFO | 0640, 0, 0, &q), 0);
	assert_int_equal(q.type, P9_QTFILE);
	assert_true(host_lstat(x, "fifo", &st) && S_ISFIFO(st.st_mode));
	assert_int_equal(st.st_mode & 07777, 0640);
	assert_int_equal(mknod9(&x->c, ROOT, "reg", S_IFREG | 0604, 0, 0, NULL), 0);
	assert_true(host_lstat(x, "reg", &st) && S_ISREG(st.st_mode));
	assert_int_equal(st.st_size, 0);
	assert_int_equal(st.st_mode & 07777, 0604);
	assert_int_equal(mknod9(&x->c, ROOT, "sock", S_IFSOCK | 0600, 0, 0, NULL), 0);
	assert_true(host_lstat(x, "sock", &st) && S_ISSOCK(st.st_mode));

	/* Devices need privilege on the host. */
	err = mknod9(&x->c, ROOT, "null", S_IFCHR | 0600, 1, 3, NULL);
	if (err == 0) {
		assert_true(host_lstat(x, "null", &st) && S_ISCHR(st.st_mode));
		assert_int_equal(st.st_rdev, makedev(1, 3));
		/* Created, but never opened by the server (CVE-2023-2861). */
		assert_int_equal(t9_walk(&x->c, ROOT, 1, "null", NULL), 0);
		assert_int_not_equal(t9_lopen(&x->c, 1, P9_DOTL_RDONLY, NULL, NULL), 0);
	} else {
		assert_int_equal(err, EPERM);
		assert_false(host_exists(x, "null"));
	}
	err = mknod9(&x->c, ROOT, "blk", S_IFBLK | 0600, 7, 0, NULL);
	if (err == 0) {
		assert_true(host_lstat(x, "blk", &st) && S_ISBLK(st.st_mode));
		assert_int_equal(st.st_rdev, makedev(7, 0));
	} else {
		assert_int_equal(err, EPERM);
		assert_false(host_exists(x, "blk"));
	}

	/* Types a mknod cannot make. */
	assert_int_equal(mknod9(&x->c, ROOT, "dir", S_IFDIR | 0755, 0, 0, NULL), EINVAL);
	assert_int_equal(mknod9(&x->c, ROOT, "lnk", S_IFLNK | 0777, 0, 0, NULL), EINVAL);
	assert_int_equal(mknod9(&x->c, ROOT, "none", 0644, 0, 0, NULL), EINVAL);
	assert_false(host_exists(x, "dir") || host_exists(x, "lnk") || host_exists(x, "none"));
	assert_int_equal(mknod9(&x->c, ROOT, "fifo", S_IFIFO | 0640, 0, 0, NULL), EEXIST);
	assert_int_equal(mknod9(&x->c, 5, "x", S_IFIFO | 0640, 0, 0, NULL), EBADF);
	assert_int_equal(t9_walk(&x->c, ROOT, 2, "reg", NULL), 0);
	assert_int_equal(mknod9(&x->c, 2, "x", S_IFIFO | 0640, 0, 0, NULL), ENOTDIR);
}

/* ---- link ---- */

static void
test_link(void **state)
{
	struct fx *x = *state;
	struct stat a, b;

	host_file(x, "f", "data");
	host_mkdir(x, "d");
	assert_int_equal(t9_walk(&x->c, ROOT, 1, "f", NULL), 0);
	assert_int_equal(t9_walk(&x->c, ROOT, 2, "d", NULL), 0);
	assert_int_equal(link9(&x->c, 2, 1, "g"), 0);
	assert_true(host_lstat(x, "f", &a) && host_lstat(x, "d/g", &b));
	assert_int_equal(a.st_ino, b.st_ino);
	assert_int_equal(a.st_nlink, 2);

	/* The file is linked by its descriptor, not its name: after a host
	 * rename of f, the fid still links the same file. */
	assert_int_equal(rename(t9_path(&x->s, "f"), t9_path(&x->s, "f.moved")), 0);
	host_file(x, "f", "impostor");
	assert_int_equal(link9(&x->c, ROOT, 1, "h"), 0);
	assert_true(host_lstat(x, "h", &b));
	assert_int_equal(a.st_ino, b.st_ino);

	/* A symlink is linked as itself, never followed. */
	host_symlink(x, x->s.outside, "sl");
	assert_int_equal(t9_walk(&x->c, ROOT, 3, "sl", NULL), 0);
	assert_int_equal(link9(&x->c, ROOT, 3, "sl2"), 0);
	assert_true(host_lstat(x, "sl2", &b) && S_ISLNK(b.st_mode));

	/* Errors. */
	assert_int_equal(link9(&x->c, ROOT, 2, "dirlink"), EPERM);	/* a directory */
	assert_int_equal(link9(&x->c, ROOT, 1, "h"), EEXIST);
	assert_int_equal(link9(&x->c, ROOT, 88, "z"), EBADF);
	assert_int_equal(link9(&x->c, 88, 1, "z"), EBADF);
	assert_int_equal(link9(&x->c, 1, 1, "z"), ENOTDIR);	/* dfid is a file */
	assert_int_equal(link9(&x->c, 3, 1, "z"), ENOTDIR);	/* dfid is a symlink */
	assert_false(host_exists(x, "dirlink") || host_exists(x, "z"));
}

/* Without CAP_DAC_READ_SEARCH (a server acting for an ordinary user) the
 * link goes through the descriptor's /proc magic link; the host's
 * protected_hardlinks rules still apply. */
static void
test_link_unprivileged(void **state)
{
	struct fx *x = *state;
	struct t9c c2;
	struct stat st;
	char *prot;

	if (geteuid() != 0)
		skip();
	host_mkdir(x, "pub");
	assert_int_equal(chmod(t9_path(&x->s, "pub"), 0777), 0);
	host_file(x, "pub/mine", "m");
	assert_int_equal(chown(t9_path(&x->s, "pub/mine"), NOBODY, NOBODY), 0);
	host_file(x, "pub/roots", "r");
	assert_int_equal(chmod(t9_path(&x->s, "pub/roots"), 0600), 0);

	t9_connect(&x->s, &c2, 0);
	assert_int_equal(t9_attach(&c2, ROOT, "", NOBODY, NULL), 0);
	assert_int_equal(t9_walk(&c2, ROOT, 1, "pub", NULL), 0);
	assert_int_equal(t9_walk(&c2, ROOT, 2, "pub/mine", NULL), 0);
	assert_int_equal(t9_walk(&c2, ROOT, 3, "pub/roots", NULL), 0);
	assert_int_equal(link9(&c2, 1, 2, "mine2"), 0);
	assert_true(host_lstat(x, "pub/mine2", &st));
	assert_int_equal(st.st_nlink, 2);
	prot = t9_read_file("/proc/sys/fs/protected_hardlinks");
	if (prot != NULL && prot[0] == '1') {
		assert_int_equal(link9(&c2, 1, 3, "roots2"), EPERM);
		assert_false(host_exists(x, "pub/roots2"));
	}
	free(prot);
	/* And a directory made for that user is that user's. */
	assert_int_equal(mkdir9(&c2, 1, "nd", 0755, NOBODY, NULL), 0);
	assert_true(host_lstat(x, "pub/nd", &st));
	assert_int_equal(st.st_uid, NOBODY);
	t9_close(&c2);
}

/* ---- rename ---- */

static void
test_rename(void **state)
{
	struct fx *x = *state;
	char buf[16];
	char *s;

	host_file(x, "a", "A");
	host_mkdir(x, "d");
	assert_int_equal(t9_walk(&x->c, ROOT, 1, "a", NULL), 0);
	assert_int_equal(t9_walk(&x->c, ROOT, 2, "d", NULL), 0);
	assert_int_equal(rename9(&x->c, 1, 2, "b"), 0);
	assert_false(host_exists(x, "a"));
	s = t9_read_file(t9_path(&x->s, "d/b"));
	assert_string_equal(s, "A");
	free(s);
	/* The fid follows the file: a second rename and a remove use the new
	 * name. */
	assert_int_equal(rename9(&x->c, 1, ROOT, "c"), 0);
	assert_false(host_exists(x, "d/b"));
	assert_true(host_exists(x, "c"));
	/* Replace an existing file atomically. */
	host_file(x, "victim", "V");
	assert_int_equal(rename9(&x->c, 1, ROOT, "victim"), 0);
	s = t9_read_file(t9_path(&x->s, "victim"));
	assert_string_equal(s, "A");
	free(s);
	assert_int_equal(remove9(&x->c, 1), 0);
	assert_false(host_exists(x, "victim") || host_exists(x, "c"));

	/* A directory, with a fid inside it, and an opened fid being renamed. */
	host_file(x, "d/in", "IN");
	assert_int_equal(t9_walk(&x->c, ROOT, 3, "d/in", NULL), 0);
	assert_int_equal(t9_lopen(&x->c, 3, P9_DOTL_RDONLY, NULL, NULL), 0);
	assert_int_equal(rename9(&x->c, 2, ROOT, "d2"), 0);
	assert_true(host_exists(x, "d2/in"));
	assert_int_equal(t9_read(&x->c, 3, 0, buf, sizeof(buf)), 2);
	assert_memory_equal(buf, "IN", 2);
	assert_int_equal(t9_walk(&x->c, ROOT, 4, "d2/in", NULL), 0);
	assert_int_equal(rename9(&x->c, 4, 2, "in2"), 0);	/* 2 is d2 now */
	assert_true(host_exists(x, "d2/in2"));

	/* Errors. */
	assert_int_equal(rename9(&x->c, ROOT, 2, "r"), EBUSY);	/* the root */
	assert_int_equal(t9_walk(&x->c, ROOT, 5, "..", NULL), 0);	/* the root too */
	assert_int_equal(rename9(&x->c, 5, 2, "r"), EBUSY);
	assert_int_equal(rename9(&x->c, 66, ROOT, "r"), EBADF);
	assert_int_equal(rename9(&x->c, 4, 66, "r"), EBADF);
	assert_int_equal(rename9(&x->c, 4, 3, "r"), ENOTDIR);
	assert_int_equal(rename9(&x->c, 4, ROOT, ""), ENOENT);
	assert_int_equal(rename9(&x->c, 4, ROOT, "a/b"), ENOENT);
	assert_int_equal(rename9(&x->c, 4, ROOT, "."), EISDIR);
	assert_int_equal(rename9(&x->c, 4, ROOT, ".."), EISDIR);
	assert_int_equal(rename9(&x->c, 2, 2, "sub"), EINVAL);	/* into itself */
	host_mkdir(x, "full");
	host_file(x, "full/x", "x");
	assert_int_equal(rename9(&x->c, 2, ROOT, "full"), ENOTEMPTY);
	/* The name was changed behind the fid's back (into another
	 * directory): Trename follows the file, and whatever now has the old
	 * name is left alone. */
	assert_int_equal(rename(t9_path(&x->s, "d2/in2"), t9_path(&x->s, "elsewhere")), 0);
	host_file(x, "d2/in2", "new");
	assert_int_equal(rename9(&x->c, 4, ROOT, "r"), 0);
	assert_true(host_exists(x, "d2/in2") && host_exists(x, "r"));
	assert_false(host_exists(x, "elsewhere"));
	/* And from there on it uses the new name. */
	assert_int_equal(rename9(&x->c, 4, 2, "r2"), 0);
	assert_true(host_exists(x, "d2/r2"));
	assert_false(host_exists(x, "r"));
	/* Unlinked behind its back: nothing names it any more, ENOENT. */
	assert_int_equal(unlink(t9_path(&x->s, "d2/r2")), 0);
	assert_int_equal(rename9(&x->c, 4, ROOT, "r3"), ENOENT);
	assert_false(host_exists(x, "r3"));
}

/* ---- renameat ---- */

static void
test_renameat(void **state)
{
	struct fx *x = *state;
	char buf[16];
	char *s;

	host_file(x, "a", "A");
	host_mkdir(x, "d");
	host_mkdir(x, "e");
	assert_int_equal(t9_walk(&x->c, ROOT, 1, "d", NULL), 0);
	assert_int_equal(t9_walk(&x->c, ROOT, 2, "a", NULL), 0);
	assert_int_equal(t9_lopen(&x->c, 2, P9_DOTL_RDWR, NULL, NULL), 0);
	assert_int_equal(renameat9(&x->c, ROOT, "a", 1, "b"), 0);
	assert_false(host_exists(x, "a"));
	assert_true(host_exists(x, "d/b"));
	/* An open fid keeps working on the moved file. */
	assert_int_equal(t9_write(&x->c, 2, 1, "Z", 1), 1);
	assert_int_equal(t9_read(&x->c, 2, 0, buf, sizeof(buf)), 2);
	assert_memory_equal(buf, "AZ", 2);
	s = t9_read_file(t9_path(&x->s, "d/b"));
	assert_string_equal(s, "AZ");
	free(s);
	/* Atomic replace; same directory; directories. */
	host_file(x, "d/c", "C");
	assert_int_equal(renameat9(&x->c, 1, "b", 1, "c"), 0);
	s = t9_read_file(t9_path(&x->s, "d/c"));
	assert_string_equal(s, "AZ");
	free(s);
	assert_int_equal(renameat9(&x->c, ROOT, "e", 1, "e"), 0);
	assert_true(host_exists(x, "d/e"));
	/* The directory fid follows its directory too. */
	assert_int_equal(renameat9(&x->c, ROOT, "d", ROOT, "dd"), 0);
	assert_int_equal(renameat9(&x->c, 1, "c", 1, "c2"), 0);
	assert_true(host_exists(x, "dd/c2"));

	/* Errors. */
	host_file(x, "f", "F");
	host_mkdir(x, "full");
	host_file(x, "full/x", "x");
	host_mkdir(x, "empty");
	assert_int_equal(renameat9(&x->c, ROOT, "missing", ROOT, "m"), ENOENT);
	assert_int_equal(renameat9(&x->c, ROOT, "f", ROOT, "full"), EISDIR);
	assert_int_equal(renameat9(&x->c, ROOT, "empty", ROOT, "f"), ENOTDIR);
	assert_int_equal(renameat9(&x->c, ROOT, "empty", ROOT, "full"), ENOTEMPTY);
	assert_int_equal(renameat9(&x->c, ROOT, "dd", 1, "inside"), EINVAL);
	assert_int_equal(renameat9(&x->c, 2, "x", ROOT, "y"), ENOTDIR);
	assert_int_equal(renameat9(&x->c, ROOT, "f", 2, "y"), ENOTDIR);
	assert_int_equal(renameat9(&x->c, 55, "f", ROOT, "y"), EBADF);
	assert_int_equal(renameat9(&x->c, ROOT, "f", 55, "y"), EBADF);
	assert_int_equal(renameat9(&x->c, ROOT, ".", ROOT, "y"), EISDIR);
	assert_int_equal(renameat9(&x->c, ROOT, "..", ROOT, "y"), EISDIR);
	assert_int_equal(renameat9(&x->c, ROOT, "f", ROOT, "."), EISDIR);
	assert_int_equal(renameat9(&x->c, ROOT, "f", ROOT, ".."), EISDIR);
	assert_int_equal(renameat9(&x->c, ROOT, "", ROOT, "y"), ENOENT);
	assert_int_equal(renameat9(&x->c, ROOT, "f", ROOT, ""), ENOENT);
	assert_int_equal(renameat9(&x->c, ROOT, "dd/c2", ROOT, "y"), ENOENT);
	assert_int_equal(renameat9(&x->c, ROOT, "f", ROOT, "dd/y"), ENOENT);
	assert_true(host_exists(x, "f") && host_exists(x, "dd/c2"));
	assert_false(host_exists(x, "y") || host_exists(x, "dd/y"));
}

/* ---- unlinkat ---- */

static void
test_unlinkat(void **state)
{
	struct fx *x = *state;
	char buf[8];

	host_file(x, "f", "F");
	host_mkdir(x, "d");
	host_mkdir(x, "full");
	host_file(x, "full/x", "x");
	host_symlink(x, "d", "sl");
	assert_int_equal(t9_walk(&x->c, ROOT, 1, "f", NULL), 0);
	assert_int_equal(t9_lopen(&x->c, 1, P9_DOTL_RDWR, NULL, NULL), 0);

	assert_int_equal(unlinkat9(&x->c, ROOT, "d", 0), EISDIR);
	assert_int_equal(unlinkat9(&x->c, ROOT, "f", P9_AT_REMOVEDIR), ENOTDIR);
	assert_int_equal(unlinkat9(&x->c, ROOT, "sl", P9_AT_REMOVEDIR), ENOTDIR);
	assert_int_equal(unlinkat9(&x->c, ROOT, "full", P9_AT_REMOVEDIR), ENOTEMPTY);
	assert_int_equal(unlinkat9(&x->c, ROOT, "f", 1), EINVAL);
	assert_int_equal(unlinkat9(&x->c, ROOT, "f", P9_AT_REMOVEDIR | 0x100), EINVAL);
	assert_int_equal(unlinkat9(&x->c, ROOT, ".", 0), EINVAL);
	assert_int_equal(unlinkat9(&x->c, ROOT, ".", P9_AT_REMOVEDIR), EINVAL);
	assert_int_equal(unlinkat9(&x->c, ROOT, "..", P9_AT_REMOVEDIR), ENOTEMPTY);
	assert_int_equal(unlinkat9(&x->c, ROOT, "", 0), ENOENT);
	assert_int_equal(unlinkat9(&x->c, ROOT, "full/x", 0), ENOENT);
	assert_int_equal(unlinkat9(&x->c, ROOT, "missing", 0), ENOENT);
	assert_int_equal(unlinkat9(&x->c, 44, "f", 0), EBADF);
	assert_int_equal(unlinkat9(&x->c, 1, "x", 0), ENOTDIR);
	assert_true(host_exists(x, "f") && host_exists(x, "d") && host_exists(x, "full/x"));

	/* Success; a symlink goes, not its target; the open fid still works
	 * (write after unlink, spec 3.5). */
	assert_int_equal(unlinkat9(&x->c, ROOT, "sl", 0), 0);
	assert_true(host_exists(x, "d"));
	assert_int_equal(unlinkat9(&x->c, ROOT, "d", P9_AT_REMOVEDIR), 0);
	assert_int_equal(unlinkat9(&x->c, ROOT, "f", 0), 0);
	assert_false(host_exists(x, "f") || host_exists(x, "d") || host_exists(x, "sl"));
	assert_int_equal(t9_write(&x->c, 1, 0, "gone", 4), 4);
	assert_int_equal(t9_read(&x->c, 1, 0, buf, sizeof(buf)), 4);
	assert_memory_equal(buf, "gone", 4);
	assert_int_equal(t9_walk(&x->c, ROOT, 2, "full", NULL), 0);
	assert_int_equal(unlinkat9(&x->c, 2, "x", 0), 0);
	assert_int_equal(unlinkat9(&x->c, ROOT, "full", P9_AT_REMOVEDIR), 0);
	/* The fid of the removed directory: its entries are gone. */
	assert_int_equal(unlinkat9(&x->c, 2, "x", 0), ENOENT);
	assert_int_equal(mkdir9(&x->c, 2, "x", 0755, (uint32_t)-1, NULL), ENOENT);
}

/* ---- remove ---- */

static void
test_remove(void **state)
{
	struct fx *x = *state;

	host_file(x, "f", "F");
	host_mkdir(x, "d");
	host_mkdir(x, "full");
	host_file(x, "full/x", "x");
	host_symlink(x, x->s.outside, "sl");
	assert_int_equal(t9_walk(&x->c, ROOT, 1, "f", NULL), 0);
	assert_int_equal(remove9(&x->c, 1), 0);
	assert_false(host_exists(x, "f"));
	assert_int_equal(t9_clunk(&x->c, 1), EBADF);	/* the fid is gone */
	assert_int_equal(t9_walk(&x->c, ROOT, 1, "d", NULL), 0);
	assert_int_equal(remove9(&x->c, 1), 0);
	assert_false(host_exists(x, "d"));
	assert_int_equal(t9_walk(&x->c, ROOT, 1, "sl", NULL), 0);
	assert_int_equal(remove9(&x->c, 1), 0);
	assert_false(host_exists(x, "sl"));
	assert_true(access(x->s.outside, F_OK) == 0);

	/* A failed remove clunks the fid all the same (spec 3.9). */
	assert_int_equal(t9_walk(&x->c, ROOT, 1, "full", NULL), 0);
	assert_int_equal(remove9(&x->c, 1), ENOTEMPTY);
	assert_int_equal(t9_clunk(&x->c, 1), EBADF);
	assert_true(host_exists(x, "full/x"));
	/* The root cannot go: EBUSY, and the fid (a clone) is gone. */
	assert_int_equal(t9_walk(&x->c, ROOT, 2, "", NULL), 0);
	assert_int_equal(remove9(&x->c, 2), EBUSY);
	assert_int_equal(t9_clunk(&x->c, 2), EBADF);
	assert_int_equal(t9_walk(&x->c, ROOT, 2, "..", NULL), 0);
	assert_int_equal(remove9(&x->c, 2), EBUSY);
	assert_int_equal(remove9(&x->c, 2), EBADF);
	assert_int_equal(remove9(&x->c, 99), EBADF);
	/* Renamed behind the fid's back: Tremove removes the file the fid
	 * is (by its new name); the new holder of the old name stays. */
	host_file(x, "g", "G");
	assert_int_equal(t9_walk(&x->c, ROOT, 3, "g", NULL), 0);
	assert_int_equal(rename(t9_path(&x->s, "g"), t9_path(&x->s, "g2")), 0);
	host_file(x, "g", "impostor");
	assert_int_equal(remove9(&x->c, 3), 0);
	assert_true(host_exists(x, "g"));
	assert_false(host_exists(x, "g2"));
	/* Renamed through 9P (Trenameat), into a directory: the same. */
	host_file(x, "h", "H");
	assert_int_equal(t9_walk(&x->c, ROOT, 4, "h", NULL), 0);
	assert_int_equal(renameat9(&x->c, ROOT, "h", ROOT, "full/h3"), ENOENT);	/* a name, not a path */
	assert_int_equal(t9_walk(&x->c, ROOT, 7, "full", NULL), 0);
	assert_int_equal(renameat9(&x->c, ROOT, "h", 7, "h3"), 0);
	assert_int_equal(remove9(&x->c, 4), 0);
	assert_false(host_exists(x, "full/h3"));
	/* Unlinked behind its back: nothing names it, ENOENT, and nothing
	 * else goes. */
	host_file(x, "k", "K");
	assert_int_equal(t9_walk(&x->c, ROOT, 4, "k", NULL), 0);
	assert_int_equal(unlink(t9_path(&x->s, "k")), 0);
	host_file(x, "k", "new k");
	assert_int_equal(remove9(&x->c, 4), ENOENT);
	assert_true(host_exists(x, "k"));
	/* Moved out of the export on the host: out of reach, ENOENT, and
	 * the file outside stays. */
	{
		char out[PATH_MAX];

		host_file(x, "m", "M");
		assert_int_equal(t9_walk(&x->c, ROOT, 4, "m", NULL), 0);
		snprintf(out, sizeof(out), "%s/m-moved", x->s.outside);
		assert_int_equal(rename(t9_path(&x->s, "m"), out), 0);
		assert_int_equal(remove9(&x->c, 4), ENOENT);
		assert_int_equal(access(out, F_OK), 0);
		assert_int_equal(unlink(out), 0);
	}
	/* An open fid can be removed. */
	host_file(x, "g3", "G3");
	assert_int_equal(t9_walk(&x->c, ROOT, 5, "g3", NULL), 0);
	assert_int_equal(t9_lopen(&x->c, 5, P9_DOTL_RDONLY, NULL, NULL), 0);
	assert_int_equal(remove9(&x->c, 5), 0);
	assert_false(host_exists(x, "g3"));
	/* The root fid is still fine. */
	assert_int_equal(t9_walk(&x->c, ROOT, 6, "g", NULL), 0);
}

/* Tremove on xattr fids: they name no file. The fid is freed, a pending
 * Txattrcreate is not applied, and the answer is EINVAL. */
static void
test_remove_xattr_fid(void **state)
{
	struct fx *x = *state;
	struct p9_msg t, r;
	char v[8];

	host_file(x, "f", "F");
	if (setxattr(t9_path(&x->s, "f"), "user.probe", "1", 1, 0) != 0)
		skip();
	assert_int_equal(t9_walk(&x->c, ROOT, 1, "f", NULL), 0);

	memset(&t, 0, sizeof(t));
	t.type = P9_TXATTRWALK;
	t.txattrwalk.fid = 1;
	t.txattrwalk.newfid = 2;
	t.txattrwalk.name = S("user.probe");
	assert_int_equal(t9_rpc(&x->c, &t, &r), 0);
	assert_int_equal(remove9(&x->c, 2), EINVAL);
	assert_int_equal(t9_clunk(&x->c, 2), EBADF);

	assert_int_equal(t9_walk(&x->c, 1, 3, "", NULL), 0);
	memset(&t, 0, sizeof(t));
	t.type = P9_TXATTRCREATE;
	t.txattrcreate.fid = 3;
	t.txattrcreate.name = S("user.new");
	t.txattrcreate.attr_size = 2;
	assert_int_equal(t9_rpc(&x->c, &t, &r), 0);
	assert_int_equal(t9_write(&x->c, 3, 0, "ab", 2), 2);
	assert_int_equal(remove9(&x->c, 3), EINVAL);
	assert_int_equal(t9_clunk(&x->c, 3), EBADF);
	assert_true(getxattr(t9_path(&x->s, "f"), "user.new", v, sizeof(v)) < 0);
	assert_int_equal(errno, ENODATA);
	assert_true(host_exists(x, "f"));
}

/* ---- read-only export ---- */

static void
test_readonly(void **state)
{
	struct fx *x = *state;
	char buf[64];
	uint8_t status;
	char *before, *after;

	host_file(x, "f", "F");
	host_mkdir(x, "d");
	host_symlink(x, "f", "sl");
	before = calloc(1, 1);
	{
		size_t len = 0;

		listing_rec(x->s.export, "", &before, &len);
	}
	assert_int_equal(t9_walk(&x->c, ROOT, 1, "f", NULL), 0);
	assert_int_equal(t9_walk(&x->c, ROOT, 2, "d", NULL), 0);
	assert_int_equal(t9_walk(&x->c, ROOT, 3, "sl", NULL), 0);
	assert_int_equal(mkdir9(&x->c, ROOT, "n", 0755, (uint32_t)-1, NULL), EROFS);
	assert_int_equal(symlink9(&x->c, ROOT, "n", "t", (uint32_t)-1, NULL), EROFS);
	assert_int_equal(mknod9(&x->c, ROOT, "n", S_IFIFO | 0644, 0, 0, NULL), EROFS);
	assert_int_equal(link9(&x->c, ROOT, 1, "n"), EROFS);
	assert_int_equal(rename9(&x->c, 1, 2, "n"), EROFS);
	assert_int_equal(renameat9(&x->c, ROOT, "f", ROOT, "n"), EROFS);
	assert_int_equal(unlinkat9(&x->c, ROOT, "f", 0), EROFS);
	assert_int_equal(unlinkat9(&x->c, ROOT, "d", P9_AT_REMOVEDIR), EROFS);
	assert_int_equal(remove9(&x->c, 1), EROFS);
	assert_int_equal(t9_clunk(&x->c, 1), EBADF);	/* clunked anyway */
	/* Reading is fine: readlink, and read locks on a read-only open. */
	assert_int_equal(readlink9(&x->c, 3, buf, sizeof(buf)), 0);
	assert_string_equal(buf, "f");
	assert_int_equal(t9_walk(&x->c, ROOT, 4, "f", NULL), 0);
	assert_int_equal(t9_lopen(&x->c, 4, P9_DOTL_RDONLY, NULL, NULL), 0);
	assert_int_equal(lock9(&x->c, 4, P9_LOCK_TYPE_RDLCK, 0, 0, 0, 1, "h", &status), 0);
	assert_int_equal(status, P9_LOCK_SUCCESS);

	after = calloc(1, 1);
	{
		size_t len = 0;

		listing_rec(x->s.export, "", &after, &len);
	}
	assert_string_equal(before, after);
	free(before);
	free(after);
}

/* ---- confinement ---- */

/*
 * Symlinks to the outside directory (absolute and relative) are entries
 * like any other: a walk never crosses them, and their fids are refused
 * as directories, so nothing can be created, linked, renamed or removed
 * through them.
 */
static void
test_confine_symlinks(void **state)
{
	struct fx *x = *state;
	static const char *const links[] = { "abs", "rel" };
	struct p9_qid q;
	char *before, *after;
	char buf[600];
	int i;

	outside_populate(x);
	host_symlink(x, x->s.outside, "abs");
	host_symlink(x, "../outside", "rel");
	snprintf(buf, sizeof(buf), "%s/secret", x->s.outside);
	host_symlink(x, buf, "fsl");
	host_file(x, "f", "F");
	host_mkdir(x, "d");
	before = outside_listing(x);

	assert_int_equal(t9_walk(&x->c, ROOT, 1, "f", NULL), 0);
	assert_int_equal(t9_walk(&x->c, ROOT, 2, "d", NULL), 0);
	for (i = 0; i < 2; i++) {
		const char *l = links[i];
		char path[64];

		/* The walk stops at the symlink. */
		snprintf(path, sizeof(path), "%s/secret", l);
		assert_int_not_equal(t9_walk(&x->c, ROOT, 10, path, NULL), 0);
		snprintf(path, sizeof(path), "%s/sub", l);
		assert_int_not_equal(t9_walk(&x->c, ROOT, 10, path, NULL), 0);
		snprintf(path, sizeof(path), "%s/..", l);
		assert_int_not_equal(t9_walk(&x->c, ROOT, 10, path, NULL), 0);
		assert_int_equal(t9_walk(&x->c, ROOT, 10, l, &q), 0);
		assert_int_equal(q.type, P9_QTSYMLINK);

		/* Its own fid is not a directory. */
		assert_int_equal(mkdir9(&x->c, 10, "new", 0755, (uint32_t)-1, NULL), ENOTDIR);
		assert_int_equal(symlink9(&x->c, 10, "new", "t", (uint32_t)-1, NULL), ENOTDIR);
		assert_int_equal(mknod9(&x->c, 10, "new", S_IFIFO | 0644, 0, 0, NULL), ENOTDIR);
		assert_int_equal(mknod9(&x->c, 10, "new", S_IFREG | 0644, 0, 0, NULL), ENOTDIR);
		assert_int_equal(link9(&x->c, 10, 1, "new"), ENOTDIR);
		assert_int_equal(rename9(&x->c, 1, 10, "new"), ENOTDIR);
		assert_int_equal(rename9(&x->c, 2, 10, "new"), ENOTDIR);
		assert_int_equal(renameat9(&x->c, 10, "secret", ROOT, "stolen"), ENOTDIR);
		assert_int_equal(renameat9(&x->c, 10, "sub", ROOT, "stolen"), ENOTDIR);
		assert_int_equal(renameat9(&x->c, ROOT, "f", 10, "new"), ENOTDIR);
		assert_int_equal(unlinkat9(&x->c, 10, "secret", 0), ENOTDIR);
		assert_int_equal(unlinkat9(&x->c, 10, "sub", P9_AT_REMOVEDIR), ENOTDIR);
		assert_int_equal(readlink9(&x->c, 10, buf, sizeof(buf)), 0);
		assert_int_equal(t9_clunk(&x->c, 10), 0);
	}
	/* Names with a '/' never reach a syscall. */
	assert_int_equal(renameat9(&x->c, ROOT, "abs/secret", ROOT, "stolen"), ENOENT);
	assert_int_equal(renameat9(&x->c, ROOT, "f", ROOT, "abs/f"), ENOENT);
	assert_int_equal(unlinkat9(&x->c, ROOT, "abs/secret", 0), ENOENT);
	assert_int_equal(mkdir9(&x->c, ROOT, "rel/new", 0755, (uint32_t)-1, NULL), ENOENT);
	assert_int_equal(symlink9(&x->c, ROOT, "abs/new", "t", (uint32_t)-1, NULL), ENOENT);
	assert_int_equal(mknod9(&x->c, ROOT, "abs/new", S_IFREG | 0644, 0, 0, NULL), ENOENT);
	assert_int_equal(link9(&x->c, ROOT, 1, "abs/new"), ENOENT);
	assert_int_equal(rename9(&x->c, 1, ROOT, "rel/new"), ENOENT);

	/* Operations on the symlinks themselves touch only the links. */
	assert_int_equal(t9_walk(&x->c, ROOT, 11, "fsl", NULL), 0);
	assert_int_equal(link9(&x->c, ROOT, 11, "fsl2"), 0);	/* links the symlink */
	assert_int_equal(rename9(&x->c, 11, 2, "moved"), 0);
	assert_int_equal(renameat9(&x->c, ROOT, "abs", 2, "abs2"), 0);
	assert_int_equal(unlinkat9(&x->c, ROOT, "rel", 0), 0);
	assert_int_equal(unlinkat9(&x->c, 2, "abs2", P9_AT_REMOVEDIR), ENOTDIR);
	assert_int_equal(remove9(&x->c, 11), 0);
	assert_false(host_exists(x, "d/moved"));
	/* A symlink pointing out may be created: it is never followed. */
	assert_int_equal(symlink9(&x->c, ROOT, "mine", x->s.outside, (uint32_t)-1, NULL), 0);
	assert_int_not_equal(t9_walk(&x->c, ROOT, 12, "mine/secret", NULL), 0);

	after = outside_listing(x);
	assert_string_equal(before, after);
	free(before);
	free(after);
}

/* ".." from the root is the root: renames and links through it stay in
 * the export. */
static void
test_confine_dotdot(void **state)
{
	struct fx *x = *state;
	struct p9_qid q;
	char *before, *after;

	outside_populate(x);
	before = outside_listing(x);
	host_file(x, "f", "F");
	host_mkdir(x, "d");
	host_file(x, "d/g", "G");
	assert_int_equal(t9_walk(&x->c, ROOT, 1, "..", &q), 0);
	assert_int_equal(q.path, x->rootqid.path);
	assert_int_equal(t9_walk(&x->c, ROOT, 2, "../../..", &q), 0);
	assert_int_equal(q.path, x->rootqid.path);
	assert_int_not_equal(t9_walk(&x->c, ROOT, 9, "../outside", NULL), 0);
	assert_int_not_equal(t9_walk(&x->c, ROOT, 9, "d/../../outside", NULL), 0);

	assert_int_equal(t9_walk(&x->c, ROOT, 3, "d/g", NULL), 0);
	assert_int_equal(rename9(&x->c, 3, 1, "up"), 0);
	assert_true(host_exists(x, "up"));
	assert_int_equal(renameat9(&x->c, 2, "f", 1, "outside"), 0);
	assert_true(host_exists(x, "outside"));	/* export/outside, a plain file */
	assert_int_equal(link9(&x->c, 1, 3, "hl"), 0);
	assert_true(host_exists(x, "hl"));
	assert_int_equal(mkdir9(&x->c, 2, "secret", 0755, (uint32_t)-1, NULL), 0);
	assert_true(host_exists(x, "secret"));
	assert_int_equal(symlink9(&x->c, 1, "s", "t", (uint32_t)-1, NULL), 0);
	assert_int_equal(unlinkat9(&x->c, 1, "s", 0), 0);
	assert_int_equal(unlinkat9(&x->c, 2, "secret", P9_AT_REMOVEDIR), 0);
	/* Via a subdirectory's "..": the parent, i.e. the root. */
	assert_int_equal(t9_walk(&x->c, ROOT, 4, "d/..", &q), 0);
	assert_int_equal(q.path, x->rootqid.path);
	assert_int_equal(renameat9(&x->c, 4, "outside", 4, "secret"), 0);
	assert_true(host_exists(x, "secret"));

	after = outside_listing(x);
	assert_string_equal(before, after);
	free(before);
	free(after);
}

/*
 * A directory swapped for a symlink between two requests: the fid taken
 * before the swap holds the real directory (wherever it went); a fresh
 * walk finds the symlink and cannot use it as a directory.
 */
static void
test_confine_swap(void **state)
{
	struct fx *x = *state;
	struct p9_qid q;
	char *before, *after;
	struct stat st;

	outside_populate(x);
	before = outside_listing(x);
	host_mkdir(x, "d");
	host_file(x, "d/f", "F");
	host_file(x, "d/secret", "mine");
	assert_int_equal(t9_walk(&x->c, ROOT, 1, "d", NULL), 0);
	assert_int_equal(t9_walk(&x->c, ROOT, 2, "d/f", NULL), 0);
	assert_int_equal(t9_walk(&x->c, ROOT, 3, "d/secret", NULL), 0);

	assert_int_equal(rename(t9_path(&x->s, "d"), t9_path(&x->s, "moved")), 0);
	host_symlink(x, x->s.outside, "d");

	/* Old fids act on the moved directory. */
	assert_int_equal(mkdir9(&x->c, 1, "new", 0755, (uint32_t)-1, NULL), 0);
	assert_true(host_lstat(x, "moved/new", &st) && S_ISDIR(st.st_mode));
	assert_int_equal(symlink9(&x->c, 1, "sl", "t", (uint32_t)-1, NULL), 0);
	assert_true(host_exists(x, "moved/sl"));
	assert_int_equal(mknod9(&x->c, 1, "fifo", S_IFIFO | 0600, 0, 0, NULL), 0);
	assert_true(host_exists(x, "moved/fifo"));
	assert_int_equal(link9(&x->c, 1, 2, "f2"), 0);
	assert_true(host_exists(x, "moved/f2"));
	assert_int_equal(renameat9(&x->c, 1, "f2", 1, "f3"), 0);
	assert_true(host_exists(x, "moved/f3"));
	assert_int_equal(unlinkat9(&x->c, 1, "secret", 0), 0);	/* moved/secret, not outside/secret */
	assert_false(host_exists(x, "moved/secret"));
	assert_int_equal(unlinkat9(&x->c, 1, "new", P9_AT_REMOVEDIR), 0);
	assert_int_equal(unlinkat9(&x->c, 1, "sub", P9_AT_REMOVEDIR), ENOENT);
	/* Fids below it keep their parent: remove and rename act inside. */
	assert_int_equal(rename9(&x->c, 2, 1, "f4"), 0);
	assert_true(host_exists(x, "moved/f4"));
	assert_int_equal(remove9(&x->c, 2), 0);
	assert_false(host_exists(x, "moved/f4"));
	assert_int_equal(remove9(&x->c, 3), ENOENT);	/* already unlinked above */

	/* A fresh walk sees the symlink and cannot go through or use it. */
	assert_int_equal(t9_walk(&x->c, ROOT, 4, "d", &q), 0);
	assert_int_equal(q.type, P9_QTSYMLINK);
	assert_int_not_equal(t9_walk(&x->c, ROOT, 5, "d/secret", NULL), 0);
	assert_int_equal(mkdir9(&x->c, 4, "new", 0755, (uint32_t)-1, NULL), ENOTDIR);
	assert_int_equal(unlinkat9(&x->c, 4, "secret", 0), ENOTDIR);
	assert_int_equal(renameat9(&x->c, 4, "secret", ROOT, "stolen"), ENOTDIR);

	/* By its own name the old directory fid is stale: "d" is the symlink
	 * now. Trename and Tremove act on the directory itself, where it
	 * went ("moved"), never on the symlink or through it. */
	assert_int_equal(rename9(&x->c, 1, ROOT, "back"), 0);
	assert_true(host_lstat(x, "back", &st) && S_ISDIR(st.st_mode));
	assert_false(host_exists(x, "moved"));
	assert_int_equal(remove9(&x->c, 1), ENOTEMPTY);
	assert_true(host_lstat(x, "d", &st) && S_ISLNK(st.st_mode));
	assert_true(host_lstat(x, "back/f3", &st) && S_ISREG(st.st_mode));

	after = outside_listing(x);
	assert_string_equal(before, after);
	free(before);
	free(after);
}

/* ---- locks ---- */

/* Open "f" for fid `fid` on a connection (attached at ROOT). */
static void
open_f(struct t9c *c, uint32_t fid, uint32_t flags)
{
	assert_int_equal(t9_walk(c, ROOT, fid, "f", NULL), 0);
	assert_int_equal(t9_lopen(c, fid, flags, NULL, NULL), 0);
}

static void
second_conn(struct fx *x, struct t9c *c2)
{
	t9_connect(&x->s, c2, 0);
	assert_int_equal(t9_attach(c2, ROOT, "", (uint32_t)geteuid(), NULL), 0);
}

static void
test_lock_two_conns(void **state)
{
	struct fx *x = *state;
	struct t9c c2;
	struct glk g;

	host_file(x, "f", "0123456789");
	second_conn(x, &c2);
	open_f(&x->c, 1, P9_DOTL_RDWR);
	open_f(&c2, 1, P9_DOTL_RDWR);

	/* Non-overlapping write locks: both granted. */
	assert_int_equal(lock_status(&x->c, 1, P9_LOCK_TYPE_WRLCK, 0, 100, 111, "host-a"),
	    P9_LOCK_SUCCESS);
	assert_int_equal(lock_status(&c2, 1, P9_LOCK_TYPE_WRLCK, 100, 100, 222, "host-b"),
	    P9_LOCK_SUCCESS);
	/* Overlapping: BLOCKED, whatever the type; the server never waits,
	 * even with BLOCK. */
	assert_int_equal(lock_status(&c2, 1, P9_LOCK_TYPE_WRLCK, 50, 10, 222, "host-b"),
	    P9_LOCK_BLOCKED);
	assert_int_equal(lock_status(&c2, 1, P9_LOCK_TYPE_RDLCK, 99, 2, 222, "host-b"),
	    P9_LOCK_BLOCKED);
	{
		uint8_t st;

		assert_int_equal(lock9(&c2, 1, P9_LOCK_TYPE_WRLCK, P9_LOCK_FLAGS_BLOCK, 0, 0,
		    222, "host-b", &st), 0);
		assert_int_equal(st, P9_LOCK_BLOCKED);
	}

	/* Tgetlock as Linux sends it (UNLCK): the holder and its range. */
	assert_int_equal(getlock9(&c2, 1, P9_LOCK_TYPE_UNLCK, 0, 0, &g), 0);
	assert_int_equal(g.type, P9_LOCK_TYPE_WRLCK);
	assert_int_equal(g.start, 0);
	assert_int_equal(g.length, 100);
	assert_int_equal(g.proc_id, 111);
	assert_string_equal(g.client_id, "host-a");
	assert_int_equal(getlock9(&x->c, 1, P9_LOCK_TYPE_UNLCK, 150, 1, &g), 0);
	assert_int_equal(g.type, P9_LOCK_TYPE_WRLCK);
	assert_int_equal(g.start, 100);
	assert_int_equal(g.length, 100);
	assert_int_equal(g.proc_id, 222);
	assert_string_equal(g.client_id, "host-b");
	/* Its own locks never conflict with a fid; free ranges answer UNLCK
	 * with the request echoed. */
	assert_int_equal(getlock9(&x->c, 1, P9_LOCK_TYPE_WRLCK, 0, 100, &g), 0);
	assert_int_equal(g.type, P9_LOCK_TYPE_UNLCK);
	assert_int_equal(getlock9(&c2, 1, P9_LOCK_TYPE_RDLCK, 200, 0, &g), 0);
	assert_int_equal(g.type, P9_LOCK_TYPE_UNLCK);
	assert_int_equal(g.start, 200);
	assert_int_equal(g.length, 0);
	assert_int_equal(g.proc_id, 4242);
	assert_string_equal(g.client_id, "asker");

	/* Unlock, then the other side gets it. */
	assert_int_equal(lock_status(&x->c, 1, P9_LOCK_TYPE_UNLCK, 0, 100, 111, "host-a"),
	    P9_LOCK_SUCCESS);
	assert_int_equal(lock_status(&c2, 1, P9_LOCK_TYPE_WRLCK, 50, 10, 222, "host-b"),
	    P9_LOCK_SUCCESS);
	assert_int_equal(getlock9(&x->c, 1, P9_LOCK_TYPE_UNLCK, 0, 0, &g), 0);
	assert_int_equal(g.type, P9_LOCK_TYPE_WRLCK);
	assert_int_equal(g.start, 50);
	assert_int_equal(g.length, 10);
	assert_int_equal(g.proc_id, 222);

	/* Read + read share; a write test sees the other's read lock. */
	assert_int_equal(lock_status(&x->c, 1, P9_LOCK_TYPE_RDLCK, 1000, 10, 111, "host-a"),
	    P9_LOCK_SUCCESS);
	assert_int_equal(lock_status(&c2, 1, P9_LOCK_TYPE_RDLCK, 1000, 10, 222, "host-b"),
	    P9_LOCK_SUCCESS);
	assert_int_equal(getlock9(&c2, 1, P9_LOCK_TYPE_RDLCK, 1000, 10, &g), 0);
	assert_int_equal(g.type, P9_LOCK_TYPE_UNLCK);
	assert_int_equal(getlock9(&c2, 1, P9_LOCK_TYPE_UNLCK, 1000, 10, &g), 0);
	assert_int_equal(g.type, P9_LOCK_TYPE_RDLCK);
	assert_int_equal(g.proc_id, 111);
	assert_string_equal(g.client_id, "host-a");
	assert_int_equal(lock_status(&x->c, 1, P9_LOCK_TYPE_WRLCK, 1005, 1, 111, "host-a"),
	    P9_LOCK_BLOCKED);

	t9_close(&c2);
}

/* Ranges: splitting by a partial unlock, to-end-of-file, upgrades, and two
 * fids of one connection conflicting (OFD locks: the owner is the fid). */
static void
test_lock_ranges(void **state)
{
	struct fx *x = *state;
	char id[201];
	struct glk g;

	host_file(x, "f", "data");
	open_f(&x->c, 1, P9_DOTL_RDWR);
	open_f(&x->c, 2, P9_DOTL_RDWR);

	assert_int_equal(lock_status(&x->c, 1, P9_LOCK_TYPE_WRLCK, 0, 100, 7, "seven"),
	    P9_LOCK_SUCCESS);
	assert_int_equal(lock_status(&x->c, 2, P9_LOCK_TYPE_WRLCK, 10, 1, 8, "eight"),
	    P9_LOCK_BLOCKED);
	assert_int_equal(lock_status(&x->c, 1, P9_LOCK_TYPE_UNLCK, 40, 20, 7, "seven"),
	    P9_LOCK_SUCCESS);
	assert_int_equal(getlock9(&x->c, 2, P9_LOCK_TYPE_UNLCK, 40, 20, &g), 0);
	assert_int_equal(g.type, P9_LOCK_TYPE_UNLCK);
	assert_int_equal(getlock9(&x->c, 2, P9_LOCK_TYPE_UNLCK, 0, 0, &g), 0);
	assert_int_equal(g.type, P9_LOCK_TYPE_WRLCK);
	assert_int_equal(g.start, 0);
	assert_int_equal(g.length, 40);
	assert_int_equal(g.proc_id, 7);
	assert_int_equal(getlock9(&x->c, 2, P9_LOCK_TYPE_UNLCK, 50, 0, &g), 0);
	assert_int_equal(g.type, P9_LOCK_TYPE_WRLCK);
	assert_int_equal(g.start, 60);
	assert_int_equal(g.length, 40);
	assert_int_equal(g.proc_id, 7);
	assert_string_equal(g.client_id, "seven");
	assert_int_equal(lock_status(&x->c, 2, P9_LOCK_TYPE_WRLCK, 45, 10, 8, "eight"),
	    P9_LOCK_SUCCESS);
	/* Downgrade part of fid 1's range to a read lock: fid 2 may then
	 * read-lock it, not write-lock it. */
	assert_int_equal(lock_status(&x->c, 1, P9_LOCK_TYPE_RDLCK, 0, 40, 7, "seven"),
	    P9_LOCK_SUCCESS);
	assert_int_equal(lock_status(&x->c, 2, P9_LOCK_TYPE_RDLCK, 0, 10, 8, "eight"),
	    P9_LOCK_SUCCESS);
	assert_int_equal(lock_status(&x->c, 2, P9_LOCK_TYPE_WRLCK, 20, 1, 8, "eight"),
	    P9_LOCK_BLOCKED);
	assert_int_equal(getlock9(&x->c, 2, P9_LOCK_TYPE_UNLCK, 20, 1, &g), 0);
	assert_int_equal(g.type, P9_LOCK_TYPE_RDLCK);
	assert_int_equal(g.proc_id, 7);

	/* Length 0: to end of file, whatever its size. */
	assert_int_equal(lock_status(&x->c, 1, P9_LOCK_TYPE_WRLCK, 1000, 0, 9, "nine"),
	    P9_LOCK_SUCCESS);
	assert_int_equal(lock_status(&x->c, 2, P9_LOCK_TYPE_RDLCK, (uint64_t)1 << 40, 1, 8,
	    "eight"), P9_LOCK_BLOCKED);
	assert_int_equal(getlock9(&x->c, 2, P9_LOCK_TYPE_UNLCK, 5000, 0, &g), 0);
	assert_int_equal(g.type, P9_LOCK_TYPE_WRLCK);
	assert_int_equal(g.start, 1000);
	assert_int_equal(g.length, 0);
	assert_int_equal(g.proc_id, 9);
	/* The largest range that fits: start INT64_MAX, one byte. */
	assert_int_equal(lock_status(&x->c, 2, P9_LOCK_TYPE_UNLCK, INT64_MAX, 1, 8, "eight"),
	    P9_LOCK_SUCCESS);

	/* Long client_ids are kept short in replies. */
	memset(id, 'c', 200);
	id[200] = '\0';
	assert_int_equal(lock_status(&x->c, 2, P9_LOCK_TYPE_WRLCK, 500, 1, 8, id),
	    P9_LOCK_SUCCESS);
	assert_int_equal(getlock9(&x->c, 1, P9_LOCK_TYPE_UNLCK, 500, 1, &g), 0);
	assert_int_equal(g.proc_id, 8);
	assert_true(strlen(g.client_id) > 0 && strlen(g.client_id) <= 64);
	assert_memory_equal(g.client_id, id, strlen(g.client_id));

	/* Clunking a fid drops its locks (its open description closes). */
	assert_int_equal(t9_clunk(&x->c, 1), 0);
	assert_int_equal(getlock9(&x->c, 2, P9_LOCK_TYPE_UNLCK, 0, 0, &g), 0);
	assert_int_equal(g.type, P9_LOCK_TYPE_UNLCK);
	open_f(&x->c, 3, P9_DOTL_RDWR);
	assert_int_equal(lock_status(&x->c, 3, P9_LOCK_TYPE_WRLCK, 0, 10, 10, "ten"),
	    P9_LOCK_BLOCKED);	/* fid 2's read lock on 0..9 */
	assert_int_equal(lock_status(&x->c, 3, P9_LOCK_TYPE_WRLCK, 20, 10, 10, "ten"),
	    P9_LOCK_SUCCESS);	/* fid 1's are gone */
	assert_int_equal(getlock9(&x->c, 2, P9_LOCK_TYPE_UNLCK, 20, 1, &g), 0);
	assert_int_equal(g.proc_id, 10);
	assert_string_equal(g.client_id, "ten");
}

/*
 * Many Tlocks in flight at once on one connection (the workers run them
 * concurrently and may answer out of order) over disjoint ranges, then
 * unlocks of every other one; the table of holders must end up exactly
 * right whatever the order.
 */
#define PIPE_N		120
#define PIPE_BATCH	40

static void
pipeline_locks(struct t9c *c, uint32_t fid, uint8_t type, int from, int step)
{
	struct p9_msg t, r;
	int i, sent = 0, got;

	for (i = from; i < PIPE_N; i += step * PIPE_BATCH) {
		int j;

		for (j = i, sent = 0; j < PIPE_N && sent < PIPE_BATCH; j += step, sent++) {
			memset(&t, 0, sizeof(t));
			t.type = P9_TLOCK;
			t.tlock.fid = fid;
			t.tlock.type = type;
			t.tlock.start = (uint64_t)j * 10;
			t.tlock.length = 5;
			t.tlock.proc_id = 1000 + (uint32_t)j;
			t.tlock.client_id = S("pipe");
			t9_send(c, &t);
		}
		for (got = 0; got < sent; got++) {
			t9_recv(c, &r);
			assert_int_equal(r.type, P9_RLOCK);
			assert_int_equal(r.rlock.status, P9_LOCK_SUCCESS);
		}
	}
}

static void
test_lock_pipelined(void **state)
{
	struct fx *x = *state;
	struct glk g;
	int i;

	host_file(x, "f", "data");
	open_f(&x->c, 1, P9_DOTL_RDWR);
	open_f(&x->c, 2, P9_DOTL_RDWR);
	pipeline_locks(&x->c, 1, P9_LOCK_TYPE_WRLCK, 0, 1);
	pipeline_locks(&x->c, 1, P9_LOCK_TYPE_UNLCK, 0, 2);
	for (i = 0; i < PIPE_N; i++) {
		assert_int_equal(getlock9(&x->c, 2, P9_LOCK_TYPE_UNLCK, (uint64_t)i * 10, 10, &g), 0);
		if (i % 2 == 0) {
			assert_int_equal(g.type, P9_LOCK_TYPE_UNLCK);
		} else {
			assert_int_equal(g.type, P9_LOCK_TYPE_WRLCK);
			assert_int_equal(g.start, (uint64_t)i * 10);
			assert_int_equal(g.length, 5);
			assert_int_equal(g.proc_id, 1000 + (uint32_t)i);
		}
	}
}

static long
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Closing a connection releases its locks. The server handles the close
 * asynchronously, so the other connection polls with Tlock (each try a
 * round trip, no sleeping) within the harness's reply timeout. */
static void
test_lock_conn_close(void **state)
{
	struct fx *x = *state;
	struct t9c c2;
	long deadline;
	uint8_t st = P9_LOCK_BLOCKED;
	struct glk g;

	host_file(x, "f", "data");
	second_conn(x, &c2);
	open_f(&x->c, 1, P9_DOTL_RDWR);
	open_f(&c2, 1, P9_DOTL_RDWR);
	assert_int_equal(lock_status(&c2, 1, P9_LOCK_TYPE_WRLCK, 0, 0, 5, "gone"),
	    P9_LOCK_SUCCESS);
	assert_int_equal(lock_status(&x->c, 1, P9_LOCK_TYPE_WRLCK, 0, 1, 6, "here"),
	    P9_LOCK_BLOCKED);
	t9_close(&c2);
	deadline = now_ms() + T9_TIMEOUT_MS;
	while (st == P9_LOCK_BLOCKED && now_ms() < deadline)
		st = lock_status(&x->c, 1, P9_LOCK_TYPE_WRLCK, 0, 1, 6, "here");
	assert_int_equal(st, P9_LOCK_SUCCESS);
	assert_int_equal(getlock9(&x->c, 1, P9_LOCK_TYPE_UNLCK, 0, 0, &g), 0);
	assert_int_equal(g.type, P9_LOCK_TYPE_UNLCK);
}

static void
test_lock_errors(void **state)
{
	struct fx *x = *state;
	uint8_t st;
	struct glk g;

	host_file(x, "f", "data");
	assert_int_equal(lock9(&x->c, 9, P9_LOCK_TYPE_WRLCK, 0, 0, 0, 1, "h", &st), EBADF);
	assert_int_equal(getlock9(&x->c, 9, P9_LOCK_TYPE_UNLCK, 0, 0, &g), EBADF);
	/* Not opened: EBADF. */
	assert_int_equal(t9_walk(&x->c, ROOT, 1, "f", NULL), 0);
	assert_int_equal(lock9(&x->c, 1, P9_LOCK_TYPE_RDLCK, 0, 0, 0, 1, "h", &st), EBADF);
	assert_int_equal(getlock9(&x->c, 1, P9_LOCK_TYPE_UNLCK, 0, 0, &g), EBADF);
	assert_int_equal(lock9(&x->c, ROOT, P9_LOCK_TYPE_RDLCK, 0, 0, 0, 1, "h", &st), EBADF);

	assert_int_equal(t9_lopen(&x->c, 1, P9_DOTL_RDWR, NULL, NULL), 0);
	assert_int_equal(lock9(&x->c, 1, 3, 0, 0, 0, 1, "h", &st), EINVAL);
	assert_int_equal(lock9(&x->c, 1, 255, 0, 0, 0, 1, "h", &st), EINVAL);
	assert_int_equal(getlock9(&x->c, 1, 3, 0, 0, &g), EINVAL);
	assert_int_equal(lock9(&x->c, 1, P9_LOCK_TYPE_WRLCK, 4, 0, 0, 1, "h", &st), EINVAL);
	assert_int_equal(lock9(&x->c, 1, P9_LOCK_TYPE_WRLCK, 0x80000000u, 0, 0, 1, "h", &st),
	    EINVAL);
	assert_int_equal(lock9(&x->c, 1, P9_LOCK_TYPE_WRLCK, P9_LOCK_FLAGS_RECLAIM, 0, 0, 1,
	    "h", &st), 0);
	assert_int_equal(st, P9_LOCK_SUCCESS);
	/* Ranges beyond off_t. */
	assert_int_equal(lock9(&x->c, 1, P9_LOCK_TYPE_WRLCK, 0, (uint64_t)1 << 63, 0, 1, "h",
	    &st), EINVAL);
	assert_int_equal(lock9(&x->c, 1, P9_LOCK_TYPE_WRLCK, 0, 0, (uint64_t)1 << 63, 1, "h",
	    &st), EINVAL);
	assert_int_equal(lock9(&x->c, 1, P9_LOCK_TYPE_WRLCK, 0, INT64_MAX, 2, 1, "h", &st),
	    EINVAL);
	assert_int_equal(lock9(&x->c, 1, P9_LOCK_TYPE_WRLCK, 0, UINT64_MAX, 0, 1, "h", &st),
	    EINVAL);
	assert_int_equal(getlock9(&x->c, 1, P9_LOCK_TYPE_UNLCK, (uint64_t)1 << 63, 0, &g), EINVAL);

	/* The lock type must suit the open mode, as with fcntl. */
	assert_int_equal(t9_walk(&x->c, ROOT, 2, "f", NULL), 0);
	assert_int_equal(t9_lopen(&x->c, 2, P9_DOTL_RDONLY, NULL, NULL), 0);
	assert_int_equal(lock9(&x->c, 2, P9_LOCK_TYPE_WRLCK, 0, 0, 0, 1, "h", &st), EBADF);
	assert_int_equal(t9_walk(&x->c, ROOT, 3, "f", NULL), 0);
	assert_int_equal(t9_lopen(&x->c, 3, P9_DOTL_WRONLY, NULL, NULL), 0);
	assert_int_equal(lock9(&x->c, 3, P9_LOCK_TYPE_RDLCK, 0, 0, 0, 1, "h", &st), EBADF);
	/* Testing needs no particular mode. */
	assert_int_equal(getlock9(&x->c, 2, P9_LOCK_TYPE_UNLCK, 0, 0, &g), 0);
	assert_int_equal(g.type, P9_LOCK_TYPE_WRLCK);
	assert_int_equal(g.proc_id, 1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_mkdir, setup, teardown),
		cmocka_unit_test_setup_teardown(test_mkdir_gid, setup, teardown),
		cmocka_unit_test_setup_teardown(test_create_names, setup, teardown),
		cmocka_unit_test_setup_teardown(test_symlink_readlink, setup, teardown),
		cmocka_unit_test_setup_teardown(test_mknod, setup, teardown),
		cmocka_unit_test_setup_teardown(test_link, setup, teardown),
		cmocka_unit_test_setup_teardown(test_link_unprivileged, setup, teardown),
		cmocka_unit_test_setup_teardown(test_rename, setup, teardown),
		cmocka_unit_test_setup_teardown(test_renameat, setup, teardown),
		cmocka_unit_test_setup_teardown(test_unlinkat, setup, teardown),
		cmocka_unit_test_setup_teardown(test_remove, setup, teardown),
		cmocka_unit_test_setup_teardown(test_remove_xattr_fid, setup, teardown),
		cmocka_unit_test_setup_teardown(test_readonly, setup_ro, teardown),
		cmocka_unit_test_setup_teardown(test_confine_symlinks, setup, teardown),
		cmocka_unit_test_setup_teardown(test_confine_dotdot, setup, teardown),
		cmocka_unit_test_setup_teardown(test_confine_swap, setup, teardown),
		cmocka_unit_test_setup_teardown(test_lock_two_conns, setup, teardown),
		cmocka_unit_test_setup_teardown(test_lock_ranges, setup, teardown),
		cmocka_unit_test_setup_teardown(test_lock_pipelined, setup, teardown),
		cmocka_unit_test_setup_teardown(test_lock_conn_close, setup, teardown),
		cmocka_unit_test_setup_teardown(test_lock_errors, setup, teardown),
	};

	return cmocka_run_group_tests_name("p9d name space and locks", tests, NULL, NULL);
}
