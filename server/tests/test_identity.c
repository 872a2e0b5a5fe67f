/*
 * p9d identity: who a request runs as, checked on the host. As root, p9d
 * runs each request with the attaching user's fs credentials (n_uname, or
 * uname looked up when n_uname is NONUNAME); --allsquash and --squashuser
 * run everything as one user. Uses the system users nobody and daemon
 * (never creates users), so the tests need root and skip otherwise.
 * Also: a read-only export (--read-only) refuses every mutation with
 * EROFS and leaves the host tree untouched, while reads work.
 */
#include <errno.h>
#include <fcntl.h>
#include <pwd.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>

#include <cmocka.h>

#include "t9.h"

#define ROOTFID	0u	/* attached as root */
#define USERFID	1u	/* attached as an ordinary user */

struct user {
	uid_t	uid;
	gid_t	gid;
};

static struct user nobody, daemon_u;

/* Root only (CI runs as root); nobody and daemon must exist. */
static int
need_root(void)
{
	struct passwd *pw;

	if (geteuid() != 0)
		return 0;
	if ((pw = getpwnam("nobody")) == NULL)
		return 0;
	nobody = (struct user){ pw->pw_uid, pw->pw_gid };
	if ((pw = getpwnam("daemon")) == NULL)
		return 0;
	daemon_u = (struct user){ pw->pw_uid, pw->pw_gid };
	return 1;
}

#define REQUIRE_ROOT() do { \
	if (!need_root()) { \
		print_message("not root (or no nobody/daemon user): skipped\n"); \
		skip(); \
	} \
} while (0)

/* Host setup shared by the identity tests: a world-writable "pub", a
 * root-only file, a file anyone can read. */
static void
host_tree(struct t9srv *s)
{
	assert_int_equal(mkdir(t9_path(s, "pub"), 0777), 0);
	assert_int_equal(chmod(t9_path(s, "pub"), 0777), 0);
	t9_write_file(t9_path(s, "secret"), "root only\n");
	assert_int_equal(chmod(t9_path(s, "secret"), 0600), 0);
	t9_write_file(t9_path(s, "public"), "anyone\n");
	assert_int_equal(chmod(t9_path(s, "public"), 0644), 0);
}

static void
host_owner(struct t9srv *s, const char *rel, uid_t uid, gid_t gid)
{
	struct stat st;

	if (lstat(t9_path(s, rel), &st) != 0)
		fail_msg("%s does not exist on the host: %s", rel, strerror(errno));
	if (st.st_uid != uid || st.st_gid != gid)
		fail_msg("%s is owned by %u:%u, expected %u:%u", rel, (unsigned)st.st_uid,
		    (unsigned)st.st_gid, (unsigned)uid, (unsigned)gid);
}

static int
attach_name(struct t9c *c, uint32_t fid, const char *uname)
{
	return t9_attach(c, fid, uname, P9_NONUNAME, NULL);
}

/* Tlcreate with an explicit gid (t9_lcreate sends the test's own). */
static int
lcreate_gid(struct t9c *c, uint32_t dfid, const char *name, uint32_t mode, uint32_t gid)
{
	struct p9_msg t = { .type = P9_TLCREATE }, r;

	t.tlcreate.fid = dfid;
	t.tlcreate.name = (struct p9_str){ name, (uint16_t)strlen(name) };
	t.tlcreate.flags = P9_DOTL_RDWR;
	t.tlcreate.mode = mode;
	t.tlcreate.gid = gid;
	return t9_rpc(c, &t, &r);
}

static int
mkdir_gid(struct t9c *c, uint32_t dfid, const char *name, uint32_t gid)
{
	struct p9_msg t = { .type = P9_TMKDIR }, r;

	t.tmkdir.dfid = dfid;
	t.tmkdir.name = (struct p9_str){ name, (uint16_t)strlen(name) };
	t.tmkdir.mode = 0755;
	t.tmkdir.gid = gid;
	return t9_rpc(c, &t, &r);
}

/* Walk from `from` to `path` into fid `to`, lopen read-only, read it into
 * buf; returns 0 or the first error (the fid is clunked either way). */
static int
read_as(struct t9c *c, uint32_t from, uint32_t to, const char *path, char *buf, size_t cap)
{
	long n;
	int err;

	err = t9_walk(c, from, to, path, NULL);
	if (err != 0)
		return err;
	err = t9_lopen(c, to, P9_DOTL_RDONLY, NULL, NULL);
	if (err == 0) {
		n = t9_read(c, to, 0, buf, (uint32_t)cap - 1);
		if (n < 0)
			err = (int)-n;
		else
			buf[n] = '\0';
	}
	assert_int_equal(t9_clunk(c, to), 0);
	return err;
}

/* An ordinary user (nobody, by n_uname) creates files and directories
 * owned by it, and meets the host's permission checks; root on the same
 * connection does not. */
/* p9d with args over host_tree, one connection with ROOTFID attached as
 * root and USERFID as nobody. */
static void
two_users(struct t9srv *s, struct t9c *c, const char *const *args)
{
	t9_start(s, args);
	host_tree(s);
	t9_connect(s, c, 0);
	assert_int_equal(t9_attach(c, ROOTFID, "", 0, NULL), 0);
	assert_int_equal(t9_attach(c, USERFID, "", nobody.uid, NULL), 0);
}

static void
test_user_by_uid(void **state)
{
	struct t9srv s;
	struct t9c c;
	char buf[64];

	(void)state;
	REQUIRE_ROOT();
	two_users(&s, &c, NULL);

	/* Creation: owner and group are the user's. */
	assert_int_equal(t9_walk(&c, USERFID, 10, "pub", NULL), 0);
	assert_int_equal(lcreate_gid(&c, 10, "made-by-nobody", 0640, nobody.gid), 0);
	assert_int_equal(t9_write(&c, 10, 0, "n", 1), 1);
	assert_int_equal(t9_clunk(&c, 10), 0);
	host_owner(&s, "pub/made-by-nobody", nobody.uid, nobody.gid);
	/* Asking for a group the user is not in keeps the user's own. */
	assert_int_equal(t9_walk(&c, USERFID, 10, "pub", NULL), 0);
	assert_int_equal(lcreate_gid(&c, 10, "gid0-by-nobody", 0640, 0), 0);
	assert_int_equal(t9_clunk(&c, 10), 0);
	host_owner(&s, "pub/gid0-by-nobody", nobody.uid, nobody.gid);
	assert_int_equal(t9_walk(&c, USERFID, 10, "pub", NULL), 0);
	assert_int_equal(mkdir_gid(&c, 10, "dir-by-nobody", nobody.gid), 0);
	assert_int_equal(t9_clunk(&c, 10), 0);
	host_owner(&s, "pub/dir-by-nobody", nobody.uid, nobody.gid);
	/* Root, on the same connection, creates as root. */
	assert_int_equal(t9_walk(&c, ROOTFID, 11, "pub", NULL), 0);
	assert_int_equal(lcreate_gid(&c, 11, "made-by-root", 0644, 0), 0);
	assert_int_equal(t9_clunk(&c, 11), 0);
	host_owner(&s, "pub/made-by-root", 0, 0);

	/* Permissions are the host's: nobody cannot create in the export's
	 * root (0755 root), cannot read a 0600 root file, can read 0644. */
	assert_int_equal(t9_walk(&c, USERFID, 12, "", NULL), 0);
	assert_int_equal(lcreate_gid(&c, 12, "denied", 0644, nobody.gid), EACCES);
	assert_int_equal(t9_clunk(&c, 12), 0);
	assert_int_equal(access(t9_path(&s, "denied"), F_OK), -1);
	assert_int_equal(read_as(&c, USERFID, 13, "secret", buf, sizeof(buf)), EACCES);
	assert_int_equal(read_as(&c, USERFID, 13, "public", buf, sizeof(buf)), 0);
	assert_string_equal(buf, "anyone\n");
	assert_int_equal(read_as(&c, ROOTFID, 13, "secret", buf, sizeof(buf)), 0);
	assert_string_equal(buf, "root only\n");
	/* Nor change the mode of a file it does not own. */
	{
		struct p9_msg t = { .type = P9_TSETATTR }, r;
		struct stat st;

		assert_int_equal(t9_walk(&c, USERFID, 14, "public", NULL), 0);
		t.tsetattr.fid = 14;
		t.tsetattr.valid = P9_SETATTR_MODE;
		t.tsetattr.mode = 0666;
		assert_int_equal(t9_rpc(&c, &t, &r), EPERM);
		assert_int_equal(t9_clunk(&c, 14), 0);
		assert_int_equal(stat(t9_path(&s, "public"), &st), 0);
		assert_int_equal(st.st_mode & 07777, 0644);
	}
	t9_close(&c);
	t9_stop(&s);
}

/* n_uname = NONUNAME: the uname is looked up on the server. */
static void
test_user_by_name(void **state)
{
	struct t9srv s;
	struct t9c c;
	char buf[64];

	(void)state;
	REQUIRE_ROOT();
	t9_start(&s, NULL);
	host_tree(&s);
	t9_connect(&s, &c, 0);
	assert_int_equal(attach_name(&c, USERFID, "daemon"), 0);
	assert_int_equal(t9_walk(&c, USERFID, 10, "pub", NULL), 0);
	assert_int_equal(lcreate_gid(&c, 10, "made-by-daemon", 0644, daemon_u.gid), 0);
	assert_int_equal(t9_clunk(&c, 10), 0);
	host_owner(&s, "pub/made-by-daemon", daemon_u.uid, daemon_u.gid);
	assert_int_equal(read_as(&c, USERFID, 11, "secret", buf, sizeof(buf)), EACCES);
	/* A name the server does not know, and an empty one: refused, and
	 * no fid is created. */
	assert_int_not_equal(attach_name(&c, 2, "no-such-user-p9d"), 0);
	assert_int_equal(t9_clunk(&c, 2), EBADF);
	assert_int_not_equal(attach_name(&c, 3, ""), 0);
	assert_int_equal(t9_clunk(&c, 3), EBADF);
	/* "root" by name is root. */
	assert_int_equal(attach_name(&c, ROOTFID, "root"), 0);
	assert_int_equal(read_as(&c, ROOTFID, 11, "secret", buf, sizeof(buf)), 0);
	t9_close(&c);
	t9_stop(&s);
}

/* Credentials are per request: pipelined requests of root and nobody on
 * one connection, run by several workers at once, each get their own. */
static void
test_interleaved(void **state)
{
	enum { PAIRS = 30 };
	struct t9srv s;
	struct t9c c;
	struct p9_msg t, r;
	uint16_t tags[2 * PAIRS];
	int i, k, okroot = 0, denied = 0;
	char name[32];

	(void)state;
	REQUIRE_ROOT();
	two_users(&s, &c, NULL);
	for (k = 0; k < 3; k++) {
		/* Round 0: opens of the root-only file; rounds 1-2: creates. */
		for (i = 0; i < 2 * PAIRS; i++)
			assert_int_equal(t9_walk(&c, (uint32_t)(i & 1), (uint32_t)(100 + i),
			    k == 0 ? "secret" : "pub", NULL), 0);
		for (i = 0; i < 2 * PAIRS; i++) {
			if (k == 0) {
				t = (struct p9_msg){ .type = P9_TLOPEN };
				t.tlopen.fid = (uint32_t)(100 + i);
				t.tlopen.flags = P9_DOTL_RDONLY;
			} else {
				snprintf(name, sizeof(name), "%s-%d-%d", i & 1 ? "n" : "r", k, i);
				t = (struct p9_msg){ .type = P9_TLCREATE };
				t.tlcreate.fid = (uint32_t)(100 + i);
				t.tlcreate.name = (struct p9_str){ name, (uint16_t)strlen(name) };
				t.tlcreate.flags = P9_DOTL_WRONLY;
				t.tlcreate.mode = 0600;
				t.tlcreate.gid = P9_NONUNAME;
			}
			tags[i] = t9_send(&c, &t);	/* name is encoded now */
		}
		for (i = 0; i < 2 * PAIRS; i++) {
			uint16_t tag = t9_recv(&c, &r);
			int j;

			for (j = 0; j < 2 * PAIRS && tags[j] != tag; j++)
				;
			assert_true(j < 2 * PAIRS);
			if (j & 1) {	/* nobody's */
				if (k == 0) {
					assert_int_equal(r.type, P9_RLERROR);
					assert_int_equal(r.rlerror.ecode, EACCES);
					denied++;
				} else {
					assert_int_equal(r.type, P9_RLCREATE);
				}
			} else {
				assert_int_equal(r.type, k == 0 ? P9_RLOPEN : P9_RLCREATE);
				okroot++;
			}
		}
		for (i = 0; i < 2 * PAIRS; i++)
			assert_int_equal(t9_clunk(&c, (uint32_t)(100 + i)), 0);
	}
	assert_int_equal(denied, PAIRS);
	assert_int_equal(okroot, 3 * PAIRS);
	for (k = 1; k < 3; k++) {
		for (i = 0; i < 2 * PAIRS; i++) {
			snprintf(name, sizeof(name), "pub/%s-%d-%d", i & 1 ? "n" : "r", k, i);
			if (i & 1)
				host_owner(&s, name, nobody.uid, nobody.gid);
			else
				host_owner(&s, name, 0, 0);
		}
	}
	t9_close(&c);
	t9_stop(&s);
}

/*
 * A request with no identity (Tflush, or one whose fid does not exist)
 * leaves a thread's identity as it was (no switch: nothing it runs needs
 * one), and the next request still runs as its own user. One worker, so
 * that every request runs on the same thread in order.
 */
static void
test_idless_between(void **state)
{
	static const char *const args[] = { "--threads", "1", NULL };
	struct t9srv s;
	struct t9c c;
	struct p9_msg t, r;
	char name[32];
	int i;

	(void)state;
	REQUIRE_ROOT();
	two_users(&s, &c, args);
	for (i = 0; i < 6; i++) {
		uint32_t who = i % 3 == 2 ? ROOTFID : USERFID;

		assert_int_equal(t9_walk(&c, who, 10, "pub", NULL), 0);
		if (i % 2 == 0) {
			t = (struct p9_msg){ .type = P9_TFLUSH };
			t.tflush.oldtag = 4321;		/* nothing outstanding: Rflush */
			assert_int_equal(t9_rpc(&c, &t, &r), 0);
			assert_int_equal(r.type, P9_RFLUSH);
		} else {
			/* a fid that does not exist: EBADF, no backend call */
			assert_int_equal(t9_walk(&c, 77, 78, "pub", NULL), EBADF);
		}
		snprintf(name, sizeof(name), "f%d", i);
		assert_int_equal(t9_lcreate(&c, 10, name, P9_DOTL_WRONLY, 0600, NULL), 0);
		assert_int_equal(t9_clunk(&c, 10), 0);
		snprintf(name, sizeof(name), "pub/f%d", i);
		if (who == ROOTFID)
			host_owner(&s, name, 0, 0);
		else
			host_owner(&s, name, nobody.uid, nobody.gid);
	}
	t9_close(&c);
	t9_stop(&s);
}

/* --allsquash: even a root attach runs as nobody. */
static void
test_allsquash(void **state)
{
	static const char *const args[] = { "--allsquash", NULL };
	struct t9srv s;
	struct t9c c;
	char buf[64];

	(void)state;
	REQUIRE_ROOT();
	t9_start(&s, args);
	host_tree(&s);
	t9_connect(&s, &c, 0);
	assert_int_equal(t9_attach(&c, ROOTFID, "", 0, NULL), 0);
	assert_int_equal(attach_name(&c, USERFID, "root"), 0);
	assert_int_equal(t9_walk(&c, ROOTFID, 10, "pub", NULL), 0);
	assert_int_equal(lcreate_gid(&c, 10, "squashed", 0644, 0), 0);
	assert_int_equal(t9_clunk(&c, 10), 0);
	host_owner(&s, "pub/squashed", nobody.uid, nobody.gid);
	assert_int_equal(t9_walk(&c, USERFID, 10, "pub", NULL), 0);
	assert_int_equal(mkdir_gid(&c, 10, "squashed-dir", 0), 0);
	assert_int_equal(t9_clunk(&c, 10), 0);
	host_owner(&s, "pub/squashed-dir", nobody.uid, nobody.gid);
	assert_int_equal(read_as(&c, ROOTFID, 11, "secret", buf, sizeof(buf)), EACCES);
	assert_int_equal(read_as(&c, ROOTFID, 11, "public", buf, sizeof(buf)), 0);
	/* A uid or a name the host does not know: squashed all the same. */
	assert_int_equal(t9_attach(&c, 2, "", 4000000, NULL), 0);
	assert_int_equal(attach_name(&c, 3, "no-such-user-p9d"), 0);
	assert_int_equal(t9_walk(&c, 3, 10, "pub", NULL), 0);
	assert_int_equal(lcreate_gid(&c, 10, "squashed-unknown", 0644, P9_NONUNAME), 0);
	assert_int_equal(t9_clunk(&c, 10), 0);
	host_owner(&s, "pub/squashed-unknown", nobody.uid, nobody.gid);
	t9_close(&c);
	t9_stop(&s);
}

/* --squashuser daemon: every request as daemon. */
static void
test_squashuser(void **state)
{
	static const char *const args[] = { "--squashuser", "daemon", NULL };
	struct t9srv s;
	struct t9c c;

	(void)state;
	REQUIRE_ROOT();
	t9_start(&s, args);
	host_tree(&s);
	t9_connect(&s, &c, 0);
	assert_int_equal(t9_attach(&c, ROOTFID, "", 0, NULL), 0);
	assert_int_equal(t9_walk(&c, ROOTFID, 10, "pub", NULL), 0);
	assert_int_equal(lcreate_gid(&c, 10, "as-daemon", 0644, P9_NONUNAME), 0);
	assert_int_equal(t9_clunk(&c, 10), 0);
	host_owner(&s, "pub/as-daemon", daemon_u.uid, daemon_u.gid);
	t9_close(&c);
	t9_stop(&s);
}

/* --read-only: every mutation is EROFS and changes nothing; reads work.
 * Runs as any user. */
static void
test_read_only(void **state)
{
	static const char *const args[] = { "--read-only", NULL };
	static const uint32_t wflags[] = {
		P9_DOTL_WRONLY, P9_DOTL_RDWR, P9_DOTL_RDONLY | P9_DOTL_TRUNC,
		P9_DOTL_WRONLY | P9_DOTL_APPEND, P9_DOTL_RDWR | P9_DOTL_CREATE,
	};
	struct t9srv s;
	struct t9c c;
	struct p9_msg t, r;
	struct stat before, after;
	char buf[64];
	size_t i;
	int err;

	(void)state;
	t9_start(&s, args);
	assert_int_equal(mkdir(t9_path(&s, "d"), 0755), 0);
	t9_write_file(t9_path(&s, "f"), "keep me\n");
	assert_int_equal(chmod(t9_path(&s, "f"), 0644), 0);
	assert_int_equal(symlink("f", t9_path(&s, "lnk")), 0);
	/* A user xattr to read back (tmpfs and ext4 have them; skip if not). */
	bool have_xattr = setxattr(t9_path(&s, "f"), "user.p9d", "v", 1, 0) == 0;
	assert_int_equal(stat(t9_path(&s, "f"), &before), 0);

	t9_connect(&s, &c, 0);
	assert_int_equal(t9_attach(&c, ROOTFID, "", geteuid(), NULL), 0);
	assert_int_equal(t9_walk(&c, ROOTFID, 2, "f", NULL), 0);	/* the file */
	assert_int_equal(t9_walk(&c, ROOTFID, 3, "d", NULL), 0);	/* a directory */

#define EXPECT_EROFS(what) do { \
	err = t9_rpc(&c, &t, &r); \
	if (err != EROFS) \
		fail_msg("%s on a read-only export: %s (%d), expected EROFS", what, \
		    err == 0 ? "success" : strerror(err), err); \
} while (0)

	t = (struct p9_msg){ .type = P9_TLCREATE };
	t.tlcreate.fid = 3;
	t.tlcreate.name = (struct p9_str){ "new", 3 };
	t.tlcreate.flags = P9_DOTL_RDWR;
	t.tlcreate.mode = 0644;
	t.tlcreate.gid = P9_NONUNAME;
	EXPECT_EROFS("Tlcreate");
	t = (struct p9_msg){ .type = P9_TMKDIR };
	t.tmkdir.dfid = 3;
	t.tmkdir.name = (struct p9_str){ "new", 3 };
	t.tmkdir.mode = 0755;
	t.tmkdir.gid = P9_NONUNAME;
	EXPECT_EROFS("Tmkdir");
	for (i = 0; i < sizeof(wflags) / sizeof(wflags[0]); i++) {
		t = (struct p9_msg){ .type = P9_TLOPEN };
		t.tlopen.fid = 2;
		t.tlopen.flags = wflags[i];
		EXPECT_EROFS("Tlopen for writing");
	}
	t = (struct p9_msg){ .type = P9_TSETATTR };
	t.tsetattr.fid = 2;
	t.tsetattr.valid = P9_SETATTR_MODE;
	t.tsetattr.mode = 0600;
	EXPECT_EROFS("Tsetattr mode");
	t.tsetattr.valid = P9_SETATTR_SIZE;
	t.tsetattr.size = 0;
	EXPECT_EROFS("Tsetattr size");
	t.tsetattr.valid = P9_SETATTR_MTIME | P9_SETATTR_ATIME;
	EXPECT_EROFS("Tsetattr times");
	t.tsetattr.valid = P9_SETATTR_UID | P9_SETATTR_GID;
	t.tsetattr.uid = geteuid();
	t.tsetattr.gid = getegid();
	EXPECT_EROFS("Tsetattr owner");
	t = (struct p9_msg){ .type = P9_TUNLINKAT };
	t.tunlinkat.dirfid = ROOTFID;
	t.tunlinkat.name = (struct p9_str){ "f", 1 };
	EXPECT_EROFS("Tunlinkat");
	t.tunlinkat.name = (struct p9_str){ "d", 1 };
	t.tunlinkat.flags = P9_AT_REMOVEDIR;
	EXPECT_EROFS("Tunlinkat(AT_REMOVEDIR)");
	t = (struct p9_msg){ .type = P9_TRENAMEAT };
	t.trenameat.olddirfid = ROOTFID;
	t.trenameat.oldname = (struct p9_str){ "f", 1 };
	t.trenameat.newdirfid = 3;
	t.trenameat.newname = (struct p9_str){ "g", 1 };
	EXPECT_EROFS("Trenameat");
	t = (struct p9_msg){ .type = P9_TRENAME };
	t.trename.fid = 2;
	t.trename.dfid = 3;
	t.trename.name = (struct p9_str){ "g", 1 };
	EXPECT_EROFS("Trename");
	t = (struct p9_msg){ .type = P9_TXATTRCREATE };
	t.txattrcreate.fid = 2;
	t.txattrcreate.name = (struct p9_str){ "user.new", 8 };
	t.txattrcreate.attr_size = 1;
	EXPECT_EROFS("Txattrcreate");
	t = (struct p9_msg){ .type = P9_TSYMLINK };
	t.tsymlink.fid = 3;
	t.tsymlink.name = (struct p9_str){ "sl", 2 };
	t.tsymlink.symtgt = (struct p9_str){ "f", 1 };
	t.tsymlink.gid = P9_NONUNAME;
	EXPECT_EROFS("Tsymlink");
	t = (struct p9_msg){ .type = P9_TLINK };
	t.tlink.dfid = 3;
	t.tlink.fid = 2;
	t.tlink.name = (struct p9_str){ "hl", 2 };
	EXPECT_EROFS("Tlink");
	t = (struct p9_msg){ .type = P9_TMKNOD };
	t.tmknod.dfid = 3;
	t.tmknod.name = (struct p9_str){ "fifo", 4 };
	t.tmknod.mode = S_IFIFO | 0644;
	t.tmknod.gid = P9_NONUNAME;
	EXPECT_EROFS("Tmknod");
	/* Twrite on a fid opened for reading: EROFS too. */
	assert_int_equal(t9_walk(&c, ROOTFID, 4, "f", NULL), 0);
	assert_int_equal(t9_lopen(&c, 4, P9_DOTL_RDONLY, NULL, NULL), 0);
	t = (struct p9_msg){ .type = P9_TWRITE };
	t.twrite.fid = 4;
	t.twrite.data = (struct p9_data){ (const uint8_t *)"x", 1 };
	EXPECT_EROFS("Twrite");
	/* Tremove: refused, and the fid is gone all the same (remove(5)). */
	assert_int_equal(t9_walk(&c, ROOTFID, 5, "f", NULL), 0);
	t = (struct p9_msg){ .type = P9_TREMOVE };
	t.tremove.fid = 5;
	EXPECT_EROFS("Tremove");
	assert_int_equal(t9_clunk(&c, 5), EBADF);
#undef EXPECT_EROFS

	/* Reads work: walk, getattr, read, readdir, readlink, xattr, statfs. */
	assert_int_equal(read_as(&c, ROOTFID, 6, "f", buf, sizeof(buf)), 0);
	assert_string_equal(buf, "keep me\n");
	assert_int_equal(t9_getattr(&c, 2, P9_GETATTR_BASIC, NULL), 0);
	assert_int_equal(t9_lopen(&c, 3, P9_DOTL_RDONLY, NULL, NULL), 0);
	t = (struct p9_msg){ .type = P9_TREADDIR };
	t.treaddir.fid = 3;
	t.treaddir.count = 4096;
	assert_int_equal(t9_rpc(&c, &t, &r), 0);
	assert_true(r.rreaddir.data.len > 0);	/* "." and ".." at least */
	assert_int_equal(t9_walk(&c, ROOTFID, 7, "lnk", NULL), 0);
	t = (struct p9_msg){ .type = P9_TREADLINK };
	t.treadlink.fid = 7;
	assert_int_equal(t9_rpc(&c, &t, &r), 0);
	assert_true(p9_str_eq(r.rreadlink.target, "f"));
	t = (struct p9_msg){ .type = P9_TSTATFS };
	t.tstatfs.fid = ROOTFID;
	assert_int_equal(t9_rpc(&c, &t, &r), 0);
	if (have_xattr) {
		t = (struct p9_msg){ .type = P9_TXATTRWALK };
		t.txattrwalk.fid = 2;
		t.txattrwalk.newfid = 8;
		t.txattrwalk.name = (struct p9_str){ "user.p9d", 8 };
		assert_int_equal(t9_rpc(&c, &t, &r), 0);
		assert_int_equal(r.rxattrwalk.size, 1);
		assert_int_equal(t9_read(&c, 8, 0, buf, sizeof(buf)), 1);
		assert_int_equal(buf[0], 'v');
		assert_int_equal(t9_clunk(&c, 8), 0);
	}

	/* Nothing changed on the host. */
	assert_int_equal(stat(t9_path(&s, "f"), &after), 0);
	assert_int_equal(after.st_mode, before.st_mode);
	assert_int_equal(after.st_size, before.st_size);
	assert_int_equal(after.st_mtim.tv_sec, before.st_mtim.tv_sec);
	assert_int_equal(after.st_mtim.tv_nsec, before.st_mtim.tv_nsec);
	assert_int_equal(after.st_nlink, 1);
	{
		char *content = t9_read_file(t9_path(&s, "f"));

		assert_string_equal(content, "keep me\n");
		free(content);
	}
	assert_int_equal(access(t9_path(&s, "d"), F_OK), 0);
	assert_int_equal(access(t9_path(&s, "new"), F_OK), -1);
	assert_int_equal(access(t9_path(&s, "g"), F_OK), -1);
	assert_int_equal(access(t9_path(&s, "d/new"), F_OK), -1);
	assert_int_equal(access(t9_path(&s, "d/g"), F_OK), -1);
	assert_int_equal(access(t9_path(&s, "d/sl"), F_OK), -1);
	assert_int_equal(access(t9_path(&s, "d/hl"), F_OK), -1);
	assert_int_equal(access(t9_path(&s, "d/fifo"), F_OK), -1);
	assert_int_equal(getxattr(t9_path(&s, "f"), "user.new", buf, sizeof(buf)), -1);
	t9_close(&c);
	t9_stop(&s);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_user_by_uid),
		cmocka_unit_test(test_user_by_name),
		cmocka_unit_test(test_interleaved),
		cmocka_unit_test(test_idless_between),
		cmocka_unit_test(test_allsquash),
		cmocka_unit_test(test_squashuser),
		cmocka_unit_test(test_read_only),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
