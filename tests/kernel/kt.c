/*
 * kt: the guest side of the kernel-client test (tests/kernel/run.sh).
 * Built static; runs as /bin/kt in the initramfs, and on the host for the
 * host-side checks (kt sum, kt stat).
 *
 *   kt run DIR DIR2 LABEL [mmapw,loose] the workload in DIR (created here); DIR2
 *                                   is the same directory through a second
 *                                   mount (locks meet only at the server)
 *   kt verify DIR LABEL             after a remount: what "run" left survived
 *   kt sum FILE                     print the checksum kt uses
 *   kt stat FILE                    print "mode uid gid size mtime.ns"
 *   kt blocks FILE                  print "size blocks"
 *   kt quickack IFNAME              route 10.0.2.0/24 via IFNAME with quickack
 *
 * Every step prints one line: "STEP LABEL/NAME ok", "STEP LABEL/NAME skip
 * (why)" or "STEP LABEL/NAME FAIL errno=N (strerror) what". Exit status is
 * the number of failed steps (capped).
 */
#include <dirent.h>
#include <arpa/inet.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <net/if.h>
#include <sys/socket.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <sys/file.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/statfs.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <sys/xattr.h>
#include <time.h>
#include <unistd.h>

#define V9FS_MAGIC 0x01021997

static const char *label = "host";
static char why[512];
static int failed;
static int mmapw;
static int loose; /* cache=loose: fstat answers from the client's cache */

/* Record why a step fails; errno is kept for the report. */
static int
bad(const char *fmt, ...)
{
	int e = errno;
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, sizeof(why), fmt, ap);
	va_end(ap);
	errno = e;
	return -1;
}

/* CHECK(cond, fmt, ...): fail the step with errno as it is now. */
#define CHECK(c, ...)                         \
	do {                                  \
		if (!(c)) {                   \
			return bad(__VA_ARGS__); \
		}                             \
	} while (0)
/* EXPECT: a condition that is not a system call failing: errno 0. */
#define EXPECT(c, ...)                        \
	do {                                  \
		if (!(c)) {                   \
			errno = 0;            \
			return bad(__VA_ARGS__); \
		}                             \
	} while (0)

static void
run_step_here(const char *name, int (*fn)(void))
{
	struct timespec t0, t1;
	double dt;
	int rc;

	why[0] = 0;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	errno = 0;
	rc = fn();
	{
		int e = errno;

		clock_gettime(CLOCK_MONOTONIC, &t1);
		dt = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
		if (dt >= 0.5)
			printf("INFO %s/%s took %.1fs\n", label, name, dt);
		errno = e;
	}
	if (rc == 0)
		printf("STEP %s/%s ok\n", label, name);
	else if (rc > 0)
		printf("STEP %s/%s skip (%s)\n", label, name, why);
	else {
		int e = errno;
		printf("STEP %s/%s FAIL errno=%d (%s) %s\n", label, name, e,
		    e ? strerror(e) : "-", why);
		failed++;
	}
	fflush(stdout);
}

/* Each step runs in a child so that a step the server never answers fails
 * after KT_STEP_TIMEOUT seconds (default 120) and the next one still runs. */
static void
run_step(const char *name, int (*fn)(void))
{
	const char *t = getenv("KT_STEP_TIMEOUT");
	long limit_ms = (t && atoi(t) > 0 ? atoi(t) : 120) * 1000L, waited = 0;
	int status;
	pid_t pid;

	fflush(stdout);
	pid = fork();
	if (pid < 0) {
		run_step_here(name, fn);
		return;
	}
	if (pid == 0) {
		failed = 0;
		run_step_here(name, fn);
		_exit(failed ? 1 : 0);
	}
	for (;;) {
		struct timespec ten_ms = { 0, 10000000 };
		pid_t r = waitpid(pid, &status, WNOHANG);

		if (r == pid)
			break;
		if (r < 0 && errno != EINTR) {
			status = 1 << 8;
			break;
		}
		if (waited >= limit_ms) {
			kill(pid, SIGKILL);
			printf("STEP %s/%s FAIL errno=%d (%s) no answer within %lds: killed\n", label,
			    name, ETIMEDOUT, strerror(ETIMEDOUT), limit_ms / 1000);
			fflush(stdout);
			failed++;
			(void)waitpid(pid, &status, 0);
			return;
		}
		nanosleep(&ten_ms, NULL);
		waited += 10;
	}
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		if (!WIFEXITED(status))
			printf("STEP %s/%s FAIL errno=0 (-) killed by signal %d\n", label, name,
			    WTERMSIG(status));
		failed++;
	}
}

/* chown and mknod of devices need root in the guest and a server running
 * as root (run.sh sets KT_SERVER_ROOT=0 when it is not). */
static int
privileged(void)
{
	const char *e = getenv("KT_SERVER_ROOT");

	return geteuid() == 0 && !(e && strcmp(e, "0") == 0);
}

/* ---- data helpers ---- */

static void
fill(unsigned char *p, size_t n, uint64_t seed)
{
	uint64_t x = seed * 0x9E3779B97F4A7C15ull + 1;
	size_t i;

	for (i = 0; i < n; i++) {
		if ((i & 7) == 0) {
			x ^= x << 13;
			x ^= x >> 7;
			x ^= x << 17;
		}
		p[i] = (unsigned char)(x >> ((i & 7) * 8));
	}
}

static uint64_t
sum_update(uint64_t h, const unsigned char *p, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		h = (h ^ p[i]) * 0x100000001b3ull;
	return h;
}

#define SUM_INIT 0xcbf29ce484222325ull

static int
file_sum(const char *path, uint64_t *out, off_t *size)
{
	static unsigned char buf[1 << 16];
	uint64_t h = SUM_INIT;
	off_t total = 0;
	ssize_t n;
	int fd = open(path, O_RDONLY);

	if (fd < 0)
		return -1;
	while ((n = read(fd, buf, sizeof(buf))) > 0) {
		h = sum_update(h, buf, (size_t)n);
		total += n;
	}
	close(fd);
	if (n < 0)
		return -1;
	*out = h;
	*size = total;
	return 0;
}

static int
write_all(int fd, const void *p, size_t n)
{
	const char *c = p;

	while (n > 0) {
		ssize_t w = write(fd, c, n);

		if (w < 0)
			return -1;
		if (w == 0) {
			errno = EIO;
			return -1;
		}
		c += w;
		n -= (size_t)w;
	}
	return 0;
}

static ssize_t
read_all(int fd, void *p, size_t n)
{
	char *c = p;
	size_t got = 0;

	while (got < n) {
		ssize_t r = read(fd, c + got, n - got);

		if (r < 0)
			return -1;
		if (r == 0)
			break;
		got += (size_t)r;
	}
	return (ssize_t)got;
}

static int
put_file(const char *path, const void *p, size_t n, mode_t mode)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, mode);

	if (fd < 0)
		return -1;
	if (write_all(fd, p, n) < 0) {
		int e = errno;

		close(fd);
		errno = e;
		return -1;
	}
	return close(fd);
}

/* Read the whole file (up to cap bytes) into buf; returns its length. */
static ssize_t
get_file(const char *path, void *buf, size_t cap)
{
	int fd = open(path, O_RDONLY);
	ssize_t n;

	if (fd < 0)
		return -1;
	n = read_all(fd, buf, cap);
	close(fd);
	return n;
}

static int
same_file(const char *path, const void *want, size_t n)
{
	static char buf[1 << 20];
	ssize_t got;

	if (n > sizeof(buf)) {
		errno = EFBIG;
		return -1;
	}
	got = get_file(path, buf, sizeof(buf));
	if (got < 0)
		return -1;
	if ((size_t)got != n || memcmp(buf, want, n) != 0) {
		errno = 0;
		return -2;
	}
	return 0;
}

/* ---- the workload; every path is relative to the test directory ---- */

static char d2[4096]; /* the same directory through the second mount */

static int
st_mkdir(void)
{
	struct stat st;

	CHECK(mkdir("d", 0755) == 0, "mkdir d");
	CHECK(mkdir("d/a", 0700) == 0, "mkdir d/a");
	CHECK(mkdir("d/a/b", 0755) == 0, "mkdir d/a/b");
	CHECK(stat("d/a", &st) == 0, "stat d/a");
	EXPECT(S_ISDIR(st.st_mode) && (st.st_mode & 07777) == 0700,
	    "d/a mode %o", (unsigned)st.st_mode);
	errno = 0;
	CHECK(mkdir("d/a", 0755) < 0 && errno == EEXIST, "mkdir existing: want EEXIST");
	return 0;
}

static int
st_create_write_read(void)
{
	static unsigned char data[100000];
	unsigned char back[sizeof(data)];
	struct stat st;
	int fd, r;

	fill(data, sizeof(data), 1);
	fd = open("f1", O_WRONLY | O_CREAT | O_EXCL, 0644);
	CHECK(fd >= 0, "create f1");
	CHECK(write_all(fd, data, sizeof(data)) == 0, "write f1");
	CHECK(close(fd) == 0, "close f1");
	CHECK(stat("f1", &st) == 0, "stat f1");
	EXPECT(st.st_size == (off_t)sizeof(data) && S_ISREG(st.st_mode) &&
	    (st.st_mode & 0777) == 0644, "f1 size %lld mode %o", (long long)st.st_size,
	    (unsigned)st.st_mode);
	r = same_file("f1", data, sizeof(data));
	CHECK(r != -1, "read f1");
	EXPECT(r == 0, "f1 reads back different bytes");
	fd = open("f1", O_RDONLY);
	CHECK(fd >= 0, "open f1");
	CHECK(read_all(fd, back, 10) == 10, "read 10");
	close(fd);
	errno = 0;
	CHECK(open("f1", O_WRONLY | O_CREAT | O_EXCL, 0644) < 0 && errno == EEXIST,
	    "O_EXCL on existing: want EEXIST");
	return 0;
}

static int
st_append(void)
{
	char buf[64];
	int fd;
	ssize_t n;

	CHECK(put_file("ap", "start", 5, 0644) == 0, "create ap");
	fd = open("ap", O_WRONLY | O_APPEND);
	CHECK(fd >= 0, "open O_APPEND");
	CHECK(lseek(fd, 0, SEEK_SET) == 0, "lseek");
	CHECK(write_all(fd, "-one", 4) == 0, "append 1");
	CHECK(write_all(fd, "-two", 4) == 0, "append 2");
	close(fd);
	n = get_file("ap", buf, sizeof(buf));
	CHECK(n >= 0, "read ap");
	EXPECT(n == 13 && memcmp(buf, "start-one-two", 13) == 0, "ap is '%.*s'", (int)n, buf);
	return 0;
}

static int
st_truncate(void)
{
	unsigned char data[8192], back[8192];
	struct stat st;
	int i;

	fill(data, sizeof(data), 2);
	CHECK(put_file("tr", data, sizeof(data), 0644) == 0, "create tr");
	CHECK(truncate("tr", 100) == 0, "truncate to 100");
	CHECK(stat("tr", &st) == 0, "stat");
	EXPECT(st.st_size == 100, "size %lld after truncate(100)", (long long)st.st_size);
	CHECK(truncate("tr", 5000) == 0, "truncate to 5000");
	CHECK(get_file("tr", back, sizeof(back)) == 5000, "read 5000");
	EXPECT(memcmp(back, data, 100) == 0, "first 100 bytes changed");
	for (i = 100; i < 5000; i++)
		EXPECT(back[i] == 0, "byte %d not zero after growing", i);
	return 0;
}

static int
st_ftruncate(void)
{
	unsigned char data[8192], back[8192];
	struct stat st;
	int fd;

	fill(data, sizeof(data), 3);
	fd = open("ftr", O_RDWR | O_CREAT | O_TRUNC, 0644);
	CHECK(fd >= 0, "create ftr");
	CHECK(write_all(fd, data, sizeof(data)) == 0, "write");
	CHECK(ftruncate(fd, 10) == 0, "ftruncate 10");
	CHECK(fstat(fd, &st) == 0, "fstat");
	EXPECT(st.st_size == 10, "size %lld after ftruncate(10)", (long long)st.st_size);
	CHECK(ftruncate(fd, 3000) == 0, "ftruncate 3000");
	CHECK(pread(fd, back, sizeof(back), 0) == 3000, "pread 3000");
	EXPECT(memcmp(back, data, 10) == 0 && back[10] == 0 && back[2999] == 0,
	    "content after ftruncate");
	close(fd);
	/* O_TRUNC on open */
	fd = open("ftr", O_WRONLY | O_TRUNC);
	CHECK(fd >= 0, "open O_TRUNC");
	close(fd);
	CHECK(stat("ftr", &st) == 0, "stat");
	EXPECT(st.st_size == 0, "size %lld after O_TRUNC", (long long)st.st_size);
	return 0;
}

static int
st_rename_same_dir(void)
{
	struct stat st;
	int r;

	CHECK(put_file("rn1", "rename-me", 9, 0644) == 0, "create rn1");
	CHECK(rename("rn1", "rn2") == 0, "rename rn1 rn2");
	errno = 0;
	CHECK(stat("rn1", &st) < 0 && errno == ENOENT, "rn1 still there");
	r = same_file("rn2", "rename-me", 9);
	CHECK(r != -1, "read rn2");
	EXPECT(r == 0, "rn2 content");
	return 0;
}

static int
st_rename_across(void)
{
	struct stat st;
	int r;

	CHECK(mkdir("ra", 0755) == 0 && mkdir("rb", 0755) == 0, "mkdir ra rb");
	CHECK(put_file("ra/x", "across", 6, 0644) == 0, "create ra/x");
	CHECK(rename("ra/x", "rb/y") == 0, "rename ra/x rb/y");
	errno = 0;
	CHECK(stat("ra/x", &st) < 0 && errno == ENOENT, "ra/x still there");
	r = same_file("rb/y", "across", 6);
	CHECK(r != -1, "read rb/y");
	EXPECT(r == 0, "rb/y content");
	/* a directory across directories, with content */
	CHECK(mkdir("ra/sub", 0755) == 0, "mkdir ra/sub");
	CHECK(put_file("ra/sub/in", "in", 2, 0644) == 0, "create ra/sub/in");
	CHECK(rename("ra/sub", "rb/sub2") == 0, "rename ra/sub rb/sub2");
	r = same_file("rb/sub2/in", "in", 2);
	CHECK(r != -1, "read rb/sub2/in");
	EXPECT(r == 0, "rb/sub2/in content");
	return 0;
}

static int
st_rename_over_file(void)
{
	struct stat st;
	int r;

	CHECK(put_file("ro_src", "new", 3, 0644) == 0, "create ro_src");
	CHECK(put_file("ro_dst", "old-content", 11, 0644) == 0, "create ro_dst");
	CHECK(rename("ro_src", "ro_dst") == 0, "rename over existing");
	errno = 0;
	CHECK(stat("ro_src", &st) < 0 && errno == ENOENT, "ro_src still there");
	r = same_file("ro_dst", "new", 3);
	CHECK(r != -1, "read ro_dst");
	EXPECT(r == 0, "ro_dst has the old content");
	/* across directories, over an existing file */
	CHECK(put_file("ra/over", "across-new", 10, 0644) == 0, "create ra/over");
	CHECK(put_file("rb/over", "x", 1, 0644) == 0, "create rb/over");
	CHECK(rename("ra/over", "rb/over") == 0, "rename ra/over rb/over");
	r = same_file("rb/over", "across-new", 10);
	CHECK(r != -1, "read rb/over");
	EXPECT(r == 0, "rb/over content");
	return 0;
}

static int
st_rename_over_dir(void)
{
	struct stat st;
	int r;

	CHECK(mkdir("rd_src", 0755) == 0 && mkdir("rd_dst", 0755) == 0, "mkdir");
	CHECK(put_file("rd_src/f", "dirfile", 7, 0644) == 0, "create rd_src/f");
	CHECK(rename("rd_src", "rd_dst") == 0, "rename dir over empty dir");
	errno = 0;
	CHECK(stat("rd_src", &st) < 0 && errno == ENOENT, "rd_src still there");
	r = same_file("rd_dst/f", "dirfile", 7);
	CHECK(r != -1, "read rd_dst/f");
	EXPECT(r == 0, "rd_dst/f content");
	/* over a non-empty directory: refused */
	CHECK(mkdir("rd_x", 0755) == 0, "mkdir rd_x");
	errno = 0;
	CHECK(rename("rd_x", "rd_dst") < 0 && (errno == ENOTEMPTY || errno == EEXIST),
	    "rename over non-empty dir: want ENOTEMPTY");
	/* a file over a directory, a directory over a file: refused */
	errno = 0;
	CHECK(rename("rn2", "rd_x") < 0 && errno == EISDIR, "file over dir: want EISDIR");
	errno = 0;
	CHECK(rename("rd_x", "rn2") < 0 && errno == ENOTDIR, "dir over file: want ENOTDIR");
	return 0;
}

static int
st_hardlink(void)
{
	struct stat a, b;
	int fd, r;

	CHECK(put_file("hl1", "linked", 6, 0644) == 0, "create hl1");
	CHECK(link("hl1", "hl2") == 0, "link hl1 hl2");
	CHECK(mkdir("hld", 0755) == 0 && link("hl1", "hld/hl3") == 0, "link into subdir");
	CHECK(stat("hl1", &a) == 0 && stat("hl2", &b) == 0, "stat");
	EXPECT(a.st_ino == b.st_ino && a.st_nlink == 3 && b.st_nlink == 3,
	    "ino %llu/%llu nlink %lu/%lu", (unsigned long long)a.st_ino,
	    (unsigned long long)b.st_ino, (unsigned long)a.st_nlink, (unsigned long)b.st_nlink);
	fd = open("hl2", O_WRONLY | O_APPEND);
	CHECK(fd >= 0, "open hl2");
	CHECK(write_all(fd, "+more", 5) == 0, "write hl2");
	close(fd);
	r = same_file("hld/hl3", "linked+more", 11);
	CHECK(r != -1, "read hld/hl3");
	EXPECT(r == 0, "write through one link not seen through another");
	CHECK(unlink("hl1") == 0, "unlink hl1");
	CHECK(stat("hl2", &b) == 0, "stat hl2");
	EXPECT(b.st_nlink == 2, "nlink %lu after unlink", (unsigned long)b.st_nlink);
	errno = 0;
	CHECK(link("hl2", "hl2") < 0 && errno == EEXIST, "link over existing: want EEXIST");
	return 0;
}

static int
st_symlink(void)
{
	char buf[256];
	struct stat st;
	ssize_t n;
	int r;

	CHECK(symlink("no/such/target", "sl_dangling") == 0, "symlink dangling");
	n = readlink("sl_dangling", buf, sizeof(buf));
	CHECK(n >= 0, "readlink");
	EXPECT(n == 14 && memcmp(buf, "no/such/target", 14) == 0, "readlink '%.*s'", (int)n, buf);
	CHECK(lstat("sl_dangling", &st) == 0, "lstat");
	EXPECT(S_ISLNK(st.st_mode) && st.st_size == 14, "lstat mode %o size %lld",
	    (unsigned)st.st_mode, (long long)st.st_size);
	errno = 0;
	CHECK(stat("sl_dangling", &st) < 0 && errno == ENOENT, "stat dangling: want ENOENT");
	CHECK(symlink("rn2", "sl_file") == 0, "symlink to file");
	r = same_file("sl_file", "rename-me", 9);
	CHECK(r != -1, "read through symlink");
	EXPECT(r == 0, "content through symlink");
	CHECK(symlink("../rb", "d/sl_dir") == 0, "symlink to dir");
	r = same_file("d/sl_dir/y", "across", 6);
	CHECK(r != -1, "read through dir symlink");
	EXPECT(r == 0, "content through dir symlink");
	return 0;
}

static int
st_unlink_rmdir(void)
{
	struct stat st;

	CHECK(put_file("ul", "x", 1, 0644) == 0, "create ul");
	CHECK(unlink("ul") == 0, "unlink ul");
	errno = 0;
	CHECK(stat("ul", &st) < 0 && errno == ENOENT, "ul after unlink: want ENOENT");
	errno = 0;
	CHECK(unlink("ul") < 0 && errno == ENOENT, "unlink again: want ENOENT");
	CHECK(mkdir("rmd", 0755) == 0, "mkdir rmd");
	CHECK(put_file("rmd/f", "x", 1, 0644) == 0, "create rmd/f");
	errno = 0;
	CHECK(rmdir("rmd") < 0 && (errno == ENOTEMPTY || errno == EEXIST),
	    "rmdir non-empty: want ENOTEMPTY");
	errno = 0;
	CHECK(unlink("rmd") < 0 && (errno == EISDIR || errno == EPERM), "unlink dir: want EISDIR");
	errno = 0;
	CHECK(rmdir("rmd/f") < 0 && errno == ENOTDIR, "rmdir file: want ENOTDIR");
	CHECK(unlink("rmd/f") == 0, "unlink rmd/f");
	CHECK(rmdir("rmd") == 0, "rmdir rmd");
	errno = 0;
	CHECK(stat("rmd", &st) < 0 && errno == ENOENT, "rmd after rmdir: want ENOENT");
	CHECK(unlink("sl_dangling") == 0, "unlink a symlink");
	return 0;
}

/* mkfifo and mknod (Tmknod): type, mode and device number survive */
static int
st_mknod(void)
{
	struct stat st;

	CHECK(mkfifo("fifo", 0640) == 0, "mkfifo");
	CHECK(lstat("fifo", &st) == 0, "lstat fifo");
	EXPECT(S_ISFIFO(st.st_mode) && (st.st_mode & 07777) == 0640, "fifo mode %o",
	    (unsigned)st.st_mode);
	if (privileged()) {
		CHECK(mknod("chr", S_IFCHR | 0600, makedev(1, 3)) == 0, "mknod chr 1,3");
		CHECK(lstat("chr", &st) == 0, "lstat chr");
		EXPECT(S_ISCHR(st.st_mode) && major(st.st_rdev) == 1 && minor(st.st_rdev) == 3,
		    "chr mode %o rdev %u,%u", (unsigned)st.st_mode, major(st.st_rdev),
		    minor(st.st_rdev));
	}
	CHECK(unlink("fifo") == 0, "unlink fifo");
	return 0;
}

/* A directory renamed while a file inside it is open: the open file keeps
 * working and the new path sees its writes (spec 4.6). */
static int
st_rename_dir_open_inside(void)
{
	char buf[32];
	struct stat st;
	int fd, r;

	CHECK(mkdir("od1", 0755) == 0 && mkdir("od1/sub", 0755) == 0, "mkdir od1/sub");
	fd = open("od1/sub/f", O_RDWR | O_CREAT, 0644);
	CHECK(fd >= 0, "create od1/sub/f");
	CHECK(write_all(fd, "one", 3) == 0, "write");
	CHECK(rename("od1", "od2") == 0, "rename od1 od2 with a file open inside");
	CHECK(write_all(fd, "+two", 4) == 0, "write after the rename");
	CHECK(fstat(fd, &st) == 0, "fstat after the rename");
	EXPECT(st.st_size == 7, "size %lld", (long long)st.st_size);
	CHECK(fsync(fd) == 0, "fsync");
	r = same_file("od2/sub/f", "one+two", 7);
	CHECK(r != -1, "read od2/sub/f");
	EXPECT(r == 0, "od2/sub/f content");
	CHECK(mkdir("od2/sub/new", 0755) == 0, "mkdir inside the renamed dir");
	CHECK(close(fd) == 0, "close");
	CHECK(get_file("od2/sub/f", buf, sizeof(buf)) == 7, "read again");
	return 0;
}

#define NBIG 400

static int
st_bigdir(void)
{
	static char seen[NBIG];
	char name[300];
	DIR *dir;
	struct dirent *de;
	struct stat st;
	int i, n = 0, dots = 0, fd;

	CHECK(mkdir("big", 0755) == 0, "mkdir big");
	for (i = 0; i < NBIG; i++) {
		snprintf(name, sizeof(name), "big/entry-with-a-longish-name-%04d", i);
		fd = open(name, O_WRONLY | O_CREAT | O_EXCL, 0644);
		CHECK(fd >= 0, "create %s", name);
		close(fd);
	}
	memset(seen, 0, sizeof(seen));
	dir = opendir("big");
	CHECK(dir != NULL, "opendir big");
	errno = 0;
	while ((de = readdir(dir)) != NULL) {
		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0) {
			dots++;
			continue;
		}
		if (sscanf(de->d_name, "entry-with-a-longish-name-%d", &i) != 1 || i < 0 ||
		    i >= NBIG || seen[i]) {
			closedir(dir);
			errno = 0;
			return bad("unexpected or repeated entry '%s'", de->d_name);
		}
		seen[i] = 1;
		n++;
		snprintf(name, sizeof(name), "big/%s", de->d_name);
		if (lstat(name, &st) != 0) {
			closedir(dir);
			return bad("lstat %s", name);
		}
		if (de->d_ino != st.st_ino) {
			closedir(dir);
			errno = 0;
			return bad("%s: d_ino %llu != st_ino %llu", name,
			    (unsigned long long)de->d_ino, (unsigned long long)st.st_ino);
		}
	}
	CHECK(errno == 0, "readdir");
	closedir(dir);
	EXPECT(n == NBIG && dots == 2, "readdir saw %d entries and %d dots, want %d and 2",
	    n, dots, NBIG);
	return 0;
}

static int
st_chmod(void)
{
	struct stat st;
	static const mode_t modes[] = { 0600, 0755, 04755, 02711, 01777, 0 };
	size_t i;
	int fd;

	CHECK(put_file("cm", "x", 1, 0644) == 0, "create cm");
	for (i = 0; i < sizeof(modes) / sizeof(modes[0]); i++) {
		CHECK(chmod("cm", modes[i]) == 0, "chmod %o", (unsigned)modes[i]);
		CHECK(stat("cm", &st) == 0, "stat");
		EXPECT((st.st_mode & 07777) == modes[i], "mode %o after chmod %o",
		    (unsigned)(st.st_mode & 07777), (unsigned)modes[i]);
	}
	fd = open("cm", O_RDONLY);
	CHECK(fd >= 0, "open cm (mode 0, as root)");
	CHECK(fchmod(fd, 0640) == 0, "fchmod");
	CHECK(fstat(fd, &st) == 0, "fstat");
	close(fd);
	EXPECT((st.st_mode & 07777) == 0640, "mode %o after fchmod", (unsigned)st.st_mode);
	CHECK(chmod("d/a", 0750) == 0, "chmod dir");
	CHECK(stat("d/a", &st) == 0 && (st.st_mode & 07777) == 0750, "dir mode");
	return 0;
}

static int
st_chown(void)
{
	struct stat st;
	int fd;

	if (!privileged()) {
		snprintf(why, sizeof(why), "the server does not run as root");
		return 1;
	}
	CHECK(put_file("co", "x", 1, 0644) == 0, "create co");
	CHECK(chown("co", 1234, 5678) == 0, "chown 1234:5678");
	CHECK(stat("co", &st) == 0, "stat");
	EXPECT(st.st_uid == 1234 && st.st_gid == 5678, "owner %u:%u", (unsigned)st.st_uid,
	    (unsigned)st.st_gid);
	CHECK(chown("co", (uid_t)-1, 42) == 0, "chgrp 42");
	CHECK(stat("co", &st) == 0, "stat");
	EXPECT(st.st_uid == 1234 && st.st_gid == 42, "owner %u:%u after chgrp",
	    (unsigned)st.st_uid, (unsigned)st.st_gid);
	fd = open("co", O_RDONLY);
	CHECK(fd >= 0, "open");
	CHECK(fchown(fd, 0, 0) == 0, "fchown 0:0");
	CHECK(fstat(fd, &st) == 0, "fstat");
	close(fd);
	EXPECT(st.st_uid == 0 && st.st_gid == 0, "owner %u:%u after fchown", (unsigned)st.st_uid,
	    (unsigned)st.st_gid);
	CHECK(symlink("co", "co_link") == 0, "symlink");
	CHECK(lchown("co_link", 777, 888) == 0, "lchown");
	CHECK(lstat("co_link", &st) == 0, "lstat");
	EXPECT(st.st_uid == 777 && st.st_gid == 888, "link owner %u:%u", (unsigned)st.st_uid,
	    (unsigned)st.st_gid);
	CHECK(stat("co", &st) == 0 && st.st_uid == 0, "lchown followed the link");
	return 0;
}

/* Times the client may send: exactly what was asked, or truncated to the
 * second (Linux 6.1 has no s_time_gran for v9fs). */
static int
time_ok(const struct timespec *got, const struct timespec *want)
{
	return got->tv_sec == want->tv_sec &&
	    (got->tv_nsec == want->tv_nsec || got->tv_nsec == 0);
}

static int
st_utimensat(void)
{
	struct timespec ts[2] = { { 1000000000, 123456789 }, { 1500000000, 987654321 } };
	struct timespec om[2] = { { 0, UTIME_OMIT }, { 1600000000, 5 } };
	struct stat st;
	int fd;

	CHECK(put_file("ut", "x", 1, 0644) == 0, "create ut");
	CHECK(utimensat(AT_FDCWD, "ut", ts, 0) == 0, "utimensat");
	CHECK(stat("ut", &st) == 0, "stat");
	EXPECT(time_ok(&st.st_atim, &ts[0]) && time_ok(&st.st_mtim, &ts[1]),
	    "atime %lld.%09ld mtime %lld.%09ld", (long long)st.st_atim.tv_sec,
	    st.st_atim.tv_nsec, (long long)st.st_mtim.tv_sec, st.st_mtim.tv_nsec);
	printf("INFO %s/utimensat sent mtime 1500000000.987654321, got %lld.%09ld\n", label,
	    (long long)st.st_mtim.tv_sec, st.st_mtim.tv_nsec);
	CHECK(utimensat(AT_FDCWD, "ut", om, 0) == 0, "utimensat OMIT");
	CHECK(stat("ut", &st) == 0, "stat");
	EXPECT(time_ok(&st.st_atim, &ts[0]) && time_ok(&st.st_mtim, &om[1]),
	    "after OMIT: atime %lld.%09ld mtime %lld.%09ld", (long long)st.st_atim.tv_sec,
	    st.st_atim.tv_nsec, (long long)st.st_mtim.tv_sec, st.st_mtim.tv_nsec);
	fd = open("ut", O_RDONLY);
	CHECK(fd >= 0, "open");
	CHECK(futimens(fd, ts) == 0, "futimens");
	CHECK(fstat(fd, &st) == 0, "fstat");
	close(fd);
	EXPECT(time_ok(&st.st_mtim, &ts[1]), "futimens mtime %lld.%09ld",
	    (long long)st.st_mtim.tv_sec, st.st_mtim.tv_nsec);
	CHECK(utimensat(AT_FDCWD, "ut", NULL, 0) == 0, "utimensat NOW");
	CHECK(stat("ut", &st) == 0, "stat");
	EXPECT(st.st_mtim.tv_sec > 1600000000, "mtime %lld after NOW",
	    (long long)st.st_mtim.tv_sec);
	CHECK(symlink("ut", "ut_link") == 0, "symlink");
	CHECK(utimensat(AT_FDCWD, "ut_link", ts, AT_SYMLINK_NOFOLLOW) == 0,
	    "utimensat NOFOLLOW");
	CHECK(lstat("ut_link", &st) == 0, "lstat");
	EXPECT(time_ok(&st.st_mtim, &ts[1]), "link mtime %lld", (long long)st.st_mtim.tv_sec);
	return 0;
}

static int
st_statfs(void)
{
	struct statfs sf;

	CHECK(statfs(".", &sf) == 0, "statfs");
	/* spec: diod answers V9FS_MAGIC, QEMU the host's f_type; both are fine */
	printf("INFO %s/statfs f_type 0x%lx%s bsize %ld blocks %llu files %llu\n", label,
	    (unsigned long)sf.f_type, sf.f_type == V9FS_MAGIC ? " (V9FS_MAGIC)" : "",
	    (long)sf.f_bsize, (unsigned long long)sf.f_blocks, (unsigned long long)sf.f_files);
	EXPECT(sf.f_type != 0, "f_type 0");
	EXPECT(sf.f_bsize > 0 && sf.f_blocks > 0 && sf.f_bfree <= sf.f_blocks &&
	    sf.f_namelen >= 255, "bsize %ld blocks %llu bfree %llu namelen %ld",
	    (long)sf.f_bsize, (unsigned long long)sf.f_blocks,
	    (unsigned long long)sf.f_bfree, (long)sf.f_namelen);
	return 0;
}

static int
st_xattr(void)
{
	char big[3000], buf[4096];
	ssize_t n;
	int fd;

	CHECK(put_file("xa", "x", 1, 0644) == 0, "create xa");
	CHECK(setxattr("xa", "user.one", "value-1", 7, 0) == 0, "setxattr user.one");
	fill((unsigned char *)big, sizeof(big), 7);
	CHECK(setxattr("xa", "user.big", big, sizeof(big), XATTR_CREATE) == 0,
	    "setxattr user.big (3000 bytes)");
	n = getxattr("xa", "user.one", buf, sizeof(buf));
	CHECK(n >= 0, "getxattr user.one");
	EXPECT(n == 7 && memcmp(buf, "value-1", 7) == 0, "user.one is '%.*s'", (int)n, buf);
	n = getxattr("xa", "user.big", NULL, 0);
	CHECK(n >= 0, "getxattr size of user.big");
	EXPECT(n == (ssize_t)sizeof(big), "user.big size %zd", n);
	n = getxattr("xa", "user.big", buf, sizeof(buf));
	CHECK(n >= 0, "getxattr user.big");
	EXPECT(n == (ssize_t)sizeof(big) && memcmp(buf, big, sizeof(big)) == 0,
	    "user.big differs (%zd bytes)", n);
	errno = 0;
	CHECK(setxattr("xa", "user.one", "v", 1, XATTR_CREATE) < 0 && errno == EEXIST,
	    "XATTR_CREATE on existing: want EEXIST");
	errno = 0;
	CHECK(setxattr("xa", "user.none", "v", 1, XATTR_REPLACE) < 0 && errno == ENODATA,
	    "XATTR_REPLACE on missing: want ENODATA");
	CHECK(setxattr("xa", "user.one", "replaced", 8, XATTR_REPLACE) == 0, "XATTR_REPLACE");
	n = getxattr("xa", "user.one", buf, sizeof(buf));
	EXPECT(n == 8 && memcmp(buf, "replaced", 8) == 0, "user.one after replace");
	n = listxattr("xa", buf, sizeof(buf));
	CHECK(n >= 0, "listxattr");
	{
		int one = 0, bg = 0;
		ssize_t i = 0;

		while (i < n) {
			const char *nm = buf + i;

			one |= strcmp(nm, "user.one") == 0;
			bg |= strcmp(nm, "user.big") == 0;
			i += (ssize_t)strlen(nm) + 1;
		}
		EXPECT(one && bg, "listxattr lacks a name (%zd bytes)", n);
	}
	CHECK(removexattr("xa", "user.one") == 0, "removexattr");
	errno = 0;
	CHECK(getxattr("xa", "user.one", buf, sizeof(buf)) < 0 && errno == ENODATA,
	    "getxattr removed: want ENODATA");
	errno = 0;
	CHECK(removexattr("xa", "user.one") < 0 && errno == ENODATA,
	    "removexattr missing: want ENODATA");
	errno = 0;
	CHECK(getxattr("xa", "user.big", buf, 10) < 0 && errno == ERANGE,
	    "small buffer: want ERANGE");
	fd = open("xa", O_RDONLY);
	CHECK(fd >= 0, "open");
	CHECK(fsetxattr(fd, "user.f", "fd", 2, 0) == 0, "fsetxattr");
	n = fgetxattr(fd, "user.f", buf, sizeof(buf));
	close(fd);
	EXPECT(n == 2 && memcmp(buf, "fd", 2) == 0, "fgetxattr");
	CHECK(setxattr("d", "user.dir", "on-a-dir", 8, 0) == 0, "setxattr on a directory");
	n = getxattr("d", "user.dir", buf, sizeof(buf));
	EXPECT(n == 8 && memcmp(buf, "on-a-dir", 8) == 0, "getxattr on a directory");
	return 0;
}

/* ---- two processes: the child runs fn and reports through its status ---- */

static int pipe_rd[2] = { -1, -1 }, pipe_wr[2] = { -1, -1 }; /* parent->child, child->parent */

static int
child_wait(pid_t pid)
{
	int status;

	if (waitpid(pid, &status, 0) < 0)
		return -1;
	return WIFEXITED(status) ? WEXITSTATUS(status) : 255;
}

/* End a two-process step: wait for the child, close every pipe end still
 * open and fd. Returns the child's exit status. */
static int
pair_end(pid_t pid, int fd)
{
	int rc = child_wait(pid), i;

	for (i = 0; i < 2; i++) {
		if (pipe_rd[i] >= 0)
			close(pipe_rd[i]);
		if (pipe_wr[i] >= 0)
			close(pipe_wr[i]);
		pipe_rd[i] = pipe_wr[i] = -1;
	}
	close(fd);
	return rc;
}

static void
sync_send(int fd)
{
	char c = 1;

	if (write(fd, &c, 1) != 1)
		_exit(250);
}

static void
sync_recv(int fd)
{
	char c;

	if (read(fd, &c, 1) != 1)
		_exit(251);
}

static int
setlk(int fd, short type, off_t start, off_t len, int cmd)
{
	struct flock fl = { .l_type = type, .l_whence = SEEK_SET, .l_start = start, .l_len = len };

	return fcntl(fd, cmd, &fl);
}

/* Child: in DIR (the mount the child uses), checks against the parent's
 * write lock on [0,100) of "lk". Exit codes name the failed check. */
static int
lock_child(const char *dir, pid_t parent)
{
	char path[4200];
	struct flock fl;
	int fd;

	snprintf(path, sizeof(path), "%s/lk", dir);
	fd = open(path, O_RDWR);
	if (fd < 0)
		return 10;
	if (setlk(fd, F_WRLCK, 100, 100, F_SETLK) != 0)
		return 11; /* non-overlapping range refused */
	errno = 0;
	if (setlk(fd, F_WRLCK, 50, 100, F_SETLK) == 0)
		return 12; /* overlapping range granted */
	if (errno != EAGAIN && errno != EACCES)
		return 13;
	errno = 0;
	if (setlk(fd, F_RDLCK, 0, 1, F_SETLK) == 0)
		return 14; /* read lock under a write lock granted */
	fl = (struct flock){ .l_type = F_WRLCK, .l_whence = SEEK_SET, .l_start = 50, .l_len = 10 };
	if (fcntl(fd, F_GETLK, &fl) != 0)
		return 15;
	if (fl.l_type != F_WRLCK)
		return 16; /* holder not reported */
	if (fl.l_start != 0 || fl.l_len != 100)
		return 17;
	if (fl.l_pid != parent && fl.l_pid != -parent)
		return 18;
	fl = (struct flock){ .l_type = F_WRLCK, .l_whence = SEEK_SET, .l_start = 300, .l_len = 10 };
	if (fcntl(fd, F_GETLK, &fl) != 0 || fl.l_type != F_UNLCK)
		return 19; /* a free range reported as held */
	sync_send(pipe_wr[1]);
	sync_recv(pipe_rd[0]); /* parent released */
	if (setlk(fd, F_WRLCK, 0, 100, F_SETLK) != 0)
		return 20; /* released range not granted */
	if (setlk(fd, F_UNLCK, 0, 0, F_SETLK) != 0)
		return 21;
	close(fd);
	return 0;
}

static const char *const lock_msgs[] = {
	[10] = "child: open",
	[11] = "non-overlapping range refused",
	[12] = "overlapping range granted",
	[13] = "overlap refused with an errno other than EAGAIN/EACCES",
	[14] = "read lock inside a write-locked range granted",
	[15] = "F_GETLK failed",
	[16] = "F_GETLK did not report the holder's write lock",
	[17] = "F_GETLK reported the wrong range",
	[18] = "F_GETLK reported the wrong pid",
	[19] = "F_GETLK reported a free range as locked",
	[20] = "range not granted after the holder released it",
	[21] = "unlock failed",
	[250] = "sync pipe",
	[251] = "sync pipe",
};

static int
lock_pair(const char *childdir)
{
	pid_t pid, me = getpid();
	int fd, rc;

	fd = open("lk", O_RDWR | O_CREAT, 0644);
	CHECK(fd >= 0, "create lk");
	CHECK(ftruncate(fd, 1000) == 0, "ftruncate lk");
	CHECK(setlk(fd, F_WRLCK, 0, 100, F_SETLK) == 0, "parent F_SETLK [0,100)");
	CHECK(pipe(pipe_rd) == 0 && pipe(pipe_wr) == 0, "pipe");
	fflush(stdout);
	pid = fork();
	CHECK(pid >= 0, "fork");
	if (pid == 0) {
		close(pipe_rd[1]);
		close(pipe_wr[0]);
		_exit(lock_child(childdir, me));
	}
	/* only the child writes pipe_wr: its exit ends the parent's read */
	close(pipe_wr[1]);
	close(pipe_rd[0]);
	pipe_wr[1] = pipe_rd[0] = -1;
	/* wait for the child's checks, release, let it take the range */
	{
		char c;

		if (read(pipe_wr[0], &c, 1) != 1) {
			rc = pair_end(pid, fd);
			errno = 0;
			return bad("child: %s (exit %d)",
			    rc < (int)(sizeof(lock_msgs) / sizeof(lock_msgs[0])) && lock_msgs[rc] ?
				lock_msgs[rc] : "?", rc);
		}
	}
	rc = setlk(fd, F_UNLCK, 0, 100, F_SETLK);
	if (write(pipe_rd[1], "", 1) != 1) {
		/* the child is gone already; its exit status tells why */
	}
	{
		int crc = pair_end(pid, fd);

		CHECK(rc == 0, "parent unlock");
		errno = 0;
		EXPECT(crc == 0, "child: %s (exit %d)",
		    crc < (int)(sizeof(lock_msgs) / sizeof(lock_msgs[0])) && lock_msgs[crc] ?
			lock_msgs[crc] : "?", crc);
	}
	return 0;
}

static int
st_posix_lock(void)
{
	return lock_pair(".");
}

static int
st_posix_lock_2mounts(void)
{
	return lock_pair(d2);
}

/* F_SETLKW through the second mount while the parent holds the range
 * through the first: the server answers BLOCKED (the client retries every
 * locktimeout seconds) or holds the Tlock; either way the child must get the
 * lock once the parent releases it, and not before. */
static int
st_posix_lock_wait_2mounts(void)
{
	char path[4200];
	struct timespec half = { 0, 500000000 };
	pid_t pid;
	int fd, rc, crc;

	fd = open("lkw", O_RDWR | O_CREAT, 0644);
	CHECK(fd >= 0, "create lkw");
	CHECK(setlk(fd, F_WRLCK, 0, 100, F_SETLK) == 0, "parent F_SETLK [0,100)");
	CHECK(pipe(pipe_wr) == 0, "pipe");
	snprintf(path, sizeof(path), "%s/lkw", d2);
	fflush(stdout);
	pid = fork();
	CHECK(pid >= 0, "fork");
	if (pid == 0) {
		struct timespec a, b;
		int cfd;

		close(pipe_wr[0]);
		cfd = open(path, O_RDWR);
		if (cfd < 0)
			_exit(10);
		sync_send(pipe_wr[1]);
		clock_gettime(CLOCK_MONOTONIC, &a);
		if (setlk(cfd, F_WRLCK, 10, 10, F_SETLKW) != 0)
			_exit(11);
		clock_gettime(CLOCK_MONOTONIC, &b);
		if ((b.tv_sec - a.tv_sec) * 1000 + (b.tv_nsec - a.tv_nsec) / 1000000 < 300)
			_exit(12);
		_exit(setlk(cfd, F_UNLCK, 0, 0, F_SETLK) == 0 ? 0 : 13);
	}
	close(pipe_wr[1]);
	pipe_wr[1] = -1;
	{
		char c;

		if (read(pipe_wr[0], &c, 1) != 1) { /* the child failed to open */
			crc = pair_end(pid, fd);
			errno = 0;
			return bad("child exit %d before F_SETLKW (10: open)", crc);
		}
	}
	nanosleep(&half, NULL);
	nanosleep(&half, NULL);
	rc = setlk(fd, F_UNLCK, 0, 100, F_SETLK);
	crc = pair_end(pid, fd);
	CHECK(rc == 0, "parent unlock");
	errno = 0;
	EXPECT(crc == 0, "child exit %d (10 open, 11 F_SETLKW failed, 12 granted while the "
	    "parent held the range, 13 unlock)", crc);
	return 0;
}

static int
flock_pair(const char *childdir)
{
	char path[4200];
	pid_t pid;
	int fd, rc;

	fd = open("fl", O_RDWR | O_CREAT, 0644);
	CHECK(fd >= 0, "create fl");
	CHECK(flock(fd, LOCK_EX) == 0, "flock LOCK_EX");
	CHECK(pipe(pipe_rd) == 0 && pipe(pipe_wr) == 0, "pipe");
	snprintf(path, sizeof(path), "%s/fl", childdir);
	fflush(stdout);
	pid = fork();
	CHECK(pid >= 0, "fork");
	if (pid == 0) {
		int cfd;

		close(pipe_rd[1]);
		close(pipe_wr[0]);
		cfd = open(path, O_RDWR);
		if (cfd < 0)
			_exit(10);
		if (flock(cfd, LOCK_EX | LOCK_NB) == 0)
			_exit(12);
		if (errno != EWOULDBLOCK)
			_exit(13);
		if (flock(cfd, LOCK_SH | LOCK_NB) == 0)
			_exit(14);
		sync_send(pipe_wr[1]);
		sync_recv(pipe_rd[0]);
		if (flock(cfd, LOCK_EX | LOCK_NB) != 0)
			_exit(20);
		if (flock(cfd, LOCK_UN) != 0)
			_exit(21);
		_exit(0);
	}
	close(pipe_wr[1]);
	close(pipe_rd[0]);
	pipe_wr[1] = pipe_rd[0] = -1;
	{
		char c;
		ssize_t n = read(pipe_wr[0], &c, 1);

		rc = n == 1 ? flock(fd, LOCK_UN) : 0;
		if (write(pipe_rd[1], "", 1) != 1) {
			/* the child is gone already; its exit status tells why */
		}
		n = pair_end(pid, fd);
		CHECK(rc == 0, "flock LOCK_UN");
		errno = 0;
		EXPECT(n == 0, "child exit %d (10 open, 12 second LOCK_EX granted, 13 errno, "
		    "14 LOCK_SH granted, 20 not granted after unlock)", (int)n);
	}
	return 0;
}

static int
st_flock(void)
{
	return flock_pair(".");
}

static int
st_flock_2mounts(void)
{
	return flock_pair(d2);
}

static int
st_fsync(void)
{
	unsigned char data[20000];
	int fd, r;

	fill(data, sizeof(data), 9);
	fd = open("fs", O_RDWR | O_CREAT | O_TRUNC, 0644);
	CHECK(fd >= 0, "create fs");
	CHECK(write_all(fd, data, 10000) == 0, "write");
	CHECK(fsync(fd) == 0, "fsync");
	CHECK(write_all(fd, data + 10000, 10000) == 0, "write");
	CHECK(fdatasync(fd) == 0, "fdatasync");
	close(fd);
	r = same_file("fs", data, sizeof(data));
	CHECK(r != -1, "read fs");
	EXPECT(r == 0, "fs content");
	fd = open("d", O_RDONLY | O_DIRECTORY);
	CHECK(fd >= 0, "open dir");
	CHECK(fsync(fd) == 0, "fsync on a directory");
	close(fd);
	return 0;
}

static int
st_pread_pwrite(void)
{
	unsigned char a[5000], b[5000];
	int fd;

	fill(a, sizeof(a), 11);
	fd = open("pp", O_RDWR | O_CREAT | O_TRUNC, 0644);
	CHECK(fd >= 0, "create pp");
	CHECK(pwrite(fd, a, 3000, 2000) == 3000, "pwrite at 2000");
	CHECK(pwrite(fd, a + 3000, 2000, 0) == 2000, "pwrite at 0");
	CHECK(lseek(fd, 0, SEEK_CUR) == 0, "offset moved by pwrite");
	CHECK(pread(fd, b, 1000, 4000) == 1000, "pread at 4000");
	EXPECT(memcmp(b, a + 2000, 1000) == 0, "pread at 4000 content");
	CHECK(pread(fd, b, sizeof(b), 0) == 5000, "pread all");
	EXPECT(memcmp(b, a + 3000, 2000) == 0 && memcmp(b + 2000, a, 3000) == 0,
	    "pread all content");
	CHECK(pread(fd, b, 10, 5000) == 0, "pread at EOF not 0");
	close(fd);
	return 0;
}

static int
st_sparse(void)
{
	static unsigned char buf[1 << 16];
	struct stat st;
	off_t hole = 64 << 20, off;
	int fd;
	ssize_t n;
	size_t i;

	fd = open("sp", O_RDWR | O_CREAT | O_TRUNC, 0644);
	CHECK(fd >= 0, "create sp");
	CHECK(pwrite(fd, "head", 4, 0) == 4, "pwrite head");
	CHECK(pwrite(fd, "tail", 4, hole) == 4, "pwrite past a hole");
	CHECK(fstat(fd, &st) == 0, "fstat");
	EXPECT(st.st_size == hole + 4, "size %lld", (long long)st.st_size);
	/* with cache=loose st_blocks is the client's estimate from the size; the
	 * host checks the export's file (HOSTSPARSE) in every mode */
	if (!loose)
		EXPECT((long long)st.st_blocks * 512 < hole / 2, "not sparse: %lld blocks",
		    (long long)st.st_blocks);
	/* a few windows of the hole read as zeros */
	for (off = 4096; off < hole; off += 8 << 20) {
		n = pread(fd, buf, sizeof(buf), off);
		CHECK(n == (ssize_t)sizeof(buf), "pread in hole at %lld", (long long)off);
		for (i = 0; i < sizeof(buf); i++)
			EXPECT(buf[i] == 0, "non-zero byte in the hole at %lld",
			    (long long)(off + (off_t)i));
	}
	CHECK(pread(fd, buf, 8, hole - 4) == 8, "pread across the end of the hole");
	EXPECT(memcmp(buf, "\0\0\0\0tail", 8) == 0, "tail content");
	close(fd);
	printf("HOSTSPARSE %s sp %lld\n", label, (long long)(hole + 4));
	return 0;
}

static int
st_open_unlinked(void)
{
	char buf[64];
	struct stat st;
	int fd;

	fd = open("ou", O_RDWR | O_CREAT | O_TRUNC, 0644);
	CHECK(fd >= 0, "create ou");
	CHECK(write_all(fd, "before-unlink", 13) == 0, "write");
	CHECK(unlink("ou") == 0, "unlink ou");
	errno = 0;
	CHECK(access("ou", F_OK) < 0 && errno == ENOENT, "ou still visible");
	CHECK(pread(fd, buf, sizeof(buf), 0) == 13, "pread after unlink");
	EXPECT(memcmp(buf, "before-unlink", 13) == 0, "content after unlink");
	CHECK(pwrite(fd, "+after", 6, 13) == 6, "pwrite after unlink");
	CHECK(fstat(fd, &st) == 0, "fstat after unlink");
	EXPECT(st.st_size == 19 && st.st_nlink == 0, "fstat size %lld nlink %lu",
	    (long long)st.st_size, (unsigned long)st.st_nlink);
	CHECK(pread(fd, buf, sizeof(buf), 0) == 19, "pread");
	EXPECT(memcmp(buf, "before-unlink+after", 19) == 0, "content after write");
	CHECK(ftruncate(fd, 6) == 0, "ftruncate after unlink");
	CHECK(fstat(fd, &st) == 0, "fstat");
	EXPECT(st.st_size == 6, "size %lld after ftruncate", (long long)st.st_size);
	CHECK(fchmod(fd, 0600) == 0, "fchmod after unlink");
	CHECK(fsync(fd) == 0, "fsync after unlink");
	CHECK(close(fd) == 0, "close");
	return 0;
}

static int
st_mmap_read(void)
{
	static unsigned char data[300000];
	unsigned char *p;
	int fd;

	fill(data, sizeof(data), 13);
	CHECK(put_file("mr", data, sizeof(data), 0644) == 0, "create mr");
	fd = open("mr", O_RDONLY);
	CHECK(fd >= 0, "open");
	p = mmap(NULL, sizeof(data), PROT_READ, MAP_SHARED, fd, 0);
	CHECK(p != MAP_FAILED, "mmap MAP_SHARED PROT_READ");
	EXPECT(memcmp(p, data, sizeof(data)) == 0, "mapped content differs");
	munmap(p, sizeof(data));
	p = mmap(NULL, sizeof(data), PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 4096);
	CHECK(p != MAP_FAILED, "mmap MAP_PRIVATE at 4096");
	EXPECT(memcmp(p, data + 4096, sizeof(data) - 4096) == 0, "private map differs");
	p[0] ^= 1; /* copy-on-write, never reaches the file */
	munmap(p, sizeof(data));
	close(fd);
	{
		int r = same_file("mr", data, sizeof(data));

		CHECK(r != -1, "read mr");
		EXPECT(r == 0, "a MAP_PRIVATE write reached the file");
	}
	return 0;
}

static int
st_mmap_write(void)
{
	static unsigned char data[200000];
	unsigned char *p;
	int fd, r;

	fill(data, sizeof(data), 14);
	fd = open("mw", O_RDWR | O_CREAT | O_TRUNC, 0644);
	CHECK(fd >= 0, "create mw");
	CHECK(ftruncate(fd, sizeof(data)) == 0, "ftruncate");
	p = mmap(NULL, sizeof(data), PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (!mmapw) {
		/* cache=none: the 6.1 client refuses shared writable maps */
		if (p == MAP_FAILED) {
			snprintf(why, sizeof(why), "shared writable mmap refused by the client "
			    "with this cache mode: errno=%d", errno);
			close(fd);
			return 1;
		}
	}
	CHECK(p != MAP_FAILED, "mmap MAP_SHARED PROT_WRITE");
	memcpy(p, data, sizeof(data));
	CHECK(msync(p, sizeof(data), MS_SYNC) == 0, "msync");
	munmap(p, sizeof(data));
	CHECK(close(fd) == 0, "close");
	r = same_file("mw", data, sizeof(data));
	CHECK(r != -1, "read mw");
	EXPECT(r == 0, "mmap writes not in the file");
	return 0;
}

/* KT_BIG_MB (default 6): the size of the checksummed file, in MiB */
static unsigned big_size = 6u << 20;
#define BIG_SIZE big_size

static int
st_bigfile(void)
{
	static unsigned char buf[1 << 20];
	uint64_t h = SUM_INIT, h2;
	off_t size;
	unsigned i;
	int fd;

	fd = open("bigfile", O_WRONLY | O_CREAT | O_TRUNC, 0644);
	CHECK(fd >= 0, "create bigfile");
	for (i = 0; i < BIG_SIZE / sizeof(buf); i++) {
		fill(buf, sizeof(buf), 100 + i);
		h = sum_update(h, buf, sizeof(buf));
		CHECK(write_all(fd, buf, sizeof(buf)) == 0, "write chunk %u", i);
	}
	CHECK(fsync(fd) == 0, "fsync");
	CHECK(close(fd) == 0, "close");
	CHECK(file_sum("bigfile", &h2, &size) == 0, "read bigfile");
	EXPECT(size == BIG_SIZE && h2 == h, "read back %lld bytes sum %016" PRIx64
	    ", wrote %u sum %016" PRIx64, (long long)size, h2, BIG_SIZE, h);
	printf("HOSTSUM %s bigfile %u %016" PRIx64 "\n", label, BIG_SIZE, h);
	return 0;
}

#define NW 4
#define NR 2
#define CW_SIZE (512u << 10)

static int
st_concurrent(void)
{
	static unsigned char buf[CW_SIZE], back[CW_SIZE];
	pid_t pids[NW + NR];
	char name[64];
	int i, fd, bad_child = -1, bad_rc = 0;

	/* readers read bigfile (from st_bigfile) while writers write */
	for (i = 0; i < NW + NR; i++) {
		fflush(stdout);
		pids[i] = fork();
		CHECK(pids[i] >= 0, "fork");
		if (pids[i] != 0)
			continue;
		if (i < NW) {
			/* each writer: its own file, and its stripe of a shared one */
			fill(buf, sizeof(buf), 200 + (uint64_t)i);
			snprintf(name, sizeof(name), "cw%d", i);
			if (put_file(name, buf, sizeof(buf), 0644) != 0)
				_exit(1);
			fd = open("cshared", O_WRONLY | O_CREAT, 0644);
			if (fd < 0)
				_exit(2);
			for (unsigned k = 0; k < CW_SIZE / 4096; k += NW)
				if (pwrite(fd, buf + (k + (unsigned)i) % (CW_SIZE / 4096) * 4096,
				    4096, (off_t)(k + (unsigned)i) * 4096) != 4096)
					_exit(3);
			_exit(close(fd) == 0 ? 0 : 4);
		} else {
			uint64_t h;
			off_t size;
			int k;

			for (k = 0; k < 2; k++)
				if (file_sum("bigfile", &h, &size) != 0 || size != BIG_SIZE)
					_exit(5);
			_exit(0);
		}
	}
	for (i = 0; i < NW + NR; i++) {
		int rc = child_wait(pids[i]);

		if (rc != 0 && bad_child < 0) {
			bad_child = i;
			bad_rc = rc;
		}
	}
	errno = 0;
	EXPECT(bad_child < 0, "child %d exit %d (1-4 writer, 5 reader)", bad_child, bad_rc);
	for (i = 0; i < NW; i++) {
		int r;

		fill(buf, sizeof(buf), 200 + (uint64_t)i);
		snprintf(name, sizeof(name), "cw%d", i);
		r = same_file(name, buf, sizeof(buf));
		CHECK(r != -1, "read %s", name);
		EXPECT(r == 0, "%s content", name);
	}
	CHECK(get_file("cshared", back, sizeof(back)) == (ssize_t)CW_SIZE, "read cshared");
	for (unsigned k = 0; k < CW_SIZE / 4096; k++) {
		fill(buf, sizeof(buf), 200 + k % NW);
		EXPECT(memcmp(back + k * 4096, buf + k * 4096, 4096) == 0,
		    "cshared page %u", k);
	}
	return 0;
}

static int
st_names(void)
{
	char longname[256], toolong[257], path[600];
	static const char *const uni[] = {
		"\xc3\xbcn\xc3\xaf\x63\xc3\xb8\x64\xc3\xa9",          /* ünïcødé */
		"\xe5\x90\x8d\xe5\x89\x8d-\xf0\x9f\x99\x82",          /* 名前-🙂 */
		"sp ace, 'quote' \"dq\" $dollar \\back",
		"\xd0\xbf\xd1\x80\xd0\xb8\xd0\xb2\xd0\xb5\xd1\x82", /* привет */
	};
	int found[4] = { 0 }, lfound = 0, r;
	size_t i;
	DIR *dir;
	struct dirent *de;

	memset(longname, 'L', 255);
	longname[255] = 0;
	memset(toolong, 'T', 256);
	toolong[256] = 0;
	CHECK(mkdir("nm", 0755) == 0, "mkdir nm");
	snprintf(path, sizeof(path), "nm/%s", longname);
	CHECK(put_file(path, "long", 4, 0644) == 0, "create a 255-byte name");
	r = same_file(path, "long", 4);
	CHECK(r != -1, "read the 255-byte name");
	snprintf(path, sizeof(path), "nm/%s", toolong);
	errno = 0;
	CHECK(open(path, O_WRONLY | O_CREAT, 0644) < 0 && errno == ENAMETOOLONG,
	    "256-byte name: want ENAMETOOLONG");
	for (i = 0; i < 4; i++) {
		snprintf(path, sizeof(path), "nm/%s", uni[i]);
		CHECK(put_file(path, uni[i], strlen(uni[i]), 0644) == 0, "create '%s'", uni[i]);
		r = same_file(path, uni[i], strlen(uni[i]));
		CHECK(r != -1, "read '%s'", uni[i]);
		EXPECT(r == 0, "content of '%s'", uni[i]);
	}
	dir = opendir("nm");
	CHECK(dir != NULL, "opendir nm");
	while ((de = readdir(dir)) != NULL) {
		for (i = 0; i < 4; i++)
			found[i] |= strcmp(de->d_name, uni[i]) == 0;
		lfound |= strcmp(de->d_name, longname) == 0;
	}
	closedir(dir);
	EXPECT(found[0] && found[1] && found[2] && found[3] && lfound,
	    "readdir lost a name (%d%d%d%d long %d)", found[0], found[1], found[2], found[3],
	    lfound);
	{
		char from[600], to[600];

		snprintf(from, sizeof(from), "nm/%s", uni[0]);
		snprintf(to, sizeof(to), "nm/%s-\xe2\x86\x92", uni[3]);
		CHECK(rename(from, to) == 0, "rename non-ASCII");
		r = same_file(to, uni[0], strlen(uni[0]));
		CHECK(r != -1, "read renamed");
		EXPECT(r == 0, "renamed content");
		CHECK(mkdir("nm/\xe7\x9b\xae\xe5\xbd\x95", 0755) == 0, "mkdir non-ASCII");
		CHECK(symlink(uni[1], "nm/\xe7\x9b\xae\xe5\xbd\x95/ln") == 0, "symlink non-ASCII");
	}
	return 0;
}

/* What survives a remount; "verify" checks it. */
static const struct timespec persist_times[2] = { { 1234567890, 111111111 },
	{ 1333333333, 222222222 } };

static int
st_persist_setup(void)
{
	unsigned char data[50000];

	fill(data, sizeof(data), 21);
	CHECK(mkdir("keep", 0750) == 0, "mkdir keep");
	CHECK(put_file("keep/file", data, sizeof(data), 0640) == 0, "create keep/file");
	CHECK(chmod("keep/file", 0641) == 0, "chmod");
	if (privileged())
		CHECK(chown("keep/file", 4321, 8765) == 0, "chown");
	CHECK(utimensat(AT_FDCWD, "keep/file", persist_times, 0) == 0, "utimensat");
	CHECK(symlink("file", "keep/link") == 0, "symlink");
	CHECK(link("keep/file", "keep/hard") == 0, "link");
	CHECK(setxattr("keep/file", "user.keep", "kept", 4, 0) == 0, "setxattr");
	CHECK(chmod("keep", 0751) == 0, "chmod dir");
	return 0;
}

static int
st_persist_verify(void)
{
	unsigned char data[50000];
	char buf[16];
	struct stat st, hard;
	ssize_t n;
	int r;

	fill(data, sizeof(data), 21);
	CHECK(stat("keep/file", &st) == 0, "stat keep/file");
	r = same_file("keep/file", data, sizeof(data));
	CHECK(r != -1, "read keep/file");
	EXPECT(r == 0, "keep/file content");
	EXPECT((st.st_mode & 07777) == 0641 && S_ISREG(st.st_mode), "mode %o",
	    (unsigned)st.st_mode);
	if (privileged())
		EXPECT(st.st_uid == 4321 && st.st_gid == 8765, "owner %u:%u",
		    (unsigned)st.st_uid, (unsigned)st.st_gid);
	EXPECT(time_ok(&st.st_atim, &persist_times[0]) &&
	    time_ok(&st.st_mtim, &persist_times[1]),
	    "atime %lld.%09ld mtime %lld.%09ld", (long long)st.st_atim.tv_sec,
	    st.st_atim.tv_nsec, (long long)st.st_mtim.tv_sec, st.st_mtim.tv_nsec);
	CHECK(stat("keep/hard", &hard) == 0, "stat keep/hard");
	EXPECT(hard.st_ino == st.st_ino && st.st_nlink == 2, "hard link ino/nlink");
	n = readlink("keep/link", buf, sizeof(buf));
	EXPECT(n == 4 && memcmp(buf, "file", 4) == 0, "readlink keep/link");
	n = getxattr("keep/file", "user.keep", buf, sizeof(buf));
	EXPECT(n == 4 && memcmp(buf, "kept", 4) == 0, "xattr user.keep");
	CHECK(stat("keep", &st) == 0, "stat keep");
	EXPECT(S_ISDIR(st.st_mode) && (st.st_mode & 07777) == 0751, "dir mode %o",
	    (unsigned)st.st_mode);
	CHECK(stat("f1", &st) == 0, "stat f1");
	EXPECT(st.st_size == 100000, "f1 size");
	errno = 0;
	CHECK(access("big", F_OK) < 0 && errno == ENOENT, "big is back after rm -rf");
	CHECK(stat("keep/file", &st) == 0, "stat keep/file");
	/* the host compares this with its own stat of the export */
	printf("HOSTSTAT %s keep/file %o %u %u %lld %lld.%09ld\n", label,
	    (unsigned)(st.st_mode & 07777), (unsigned)st.st_uid, (unsigned)st.st_gid,
	    (long long)st.st_size, (long long)st.st_mtim.tv_sec, st.st_mtim.tv_nsec);
	return 0;
}

/* kt quickack IFNAME: add the route 10.0.2.0/24 dev IFNAME with RTAX_QUICKACK
 * (busybox ip lacks "quickack"): no delayed ACKs towards slirp, whose Nagle
 * otherwise holds small replies for the guest's 40 ms delayed ACK. */
static int
quickack_route(const char *ifname)
{
	struct {
		struct nlmsghdr nh;
		struct rtmsg rt;
		char attrs[128];
	} req;
	struct rtattr *a;
	unsigned idx = if_nametoindex(ifname);
	uint32_t dst = htonl(0x0a000200u), one = 1;
	char ack[256];
	int fd;

	if (idx == 0)
		return -1;
	memset(&req, 0, sizeof(req));
	req.nh.nlmsg_len = NLMSG_LENGTH(sizeof(struct rtmsg));
	req.nh.nlmsg_type = RTM_NEWROUTE;
	req.nh.nlmsg_flags = NLM_F_REQUEST | NLM_F_CREATE | NLM_F_REPLACE | NLM_F_ACK;
	req.rt.rtm_family = AF_INET;
	req.rt.rtm_dst_len = 24;
	req.rt.rtm_table = RT_TABLE_MAIN;
	req.rt.rtm_protocol = RTPROT_KERNEL;
	req.rt.rtm_scope = RT_SCOPE_LINK;
	req.rt.rtm_type = RTN_UNICAST;
#define ADD_ATTR(type, data, len)                                                      \
	do {                                                                           \
		a = (struct rtattr *)((char *)&req + NLMSG_ALIGN(req.nh.nlmsg_len));   \
		a->rta_type = (type);                                                  \
		a->rta_len = (unsigned short)RTA_LENGTH(len);                          \
		memcpy(RTA_DATA(a), (data), (len));                                    \
		req.nh.nlmsg_len = NLMSG_ALIGN(req.nh.nlmsg_len) + RTA_ALIGN(a->rta_len); \
	} while (0)
	ADD_ATTR(RTA_DST, &dst, 4);
	ADD_ATTR(RTA_OIF, &idx, 4);
	{
		struct {
			struct rtattr hdr;
			uint32_t v;
		} m = { { (unsigned short)RTA_LENGTH(4), RTAX_QUICKACK }, 1 };

		(void)one;
		ADD_ATTR(RTA_METRICS, &m, sizeof(m));
	}
	fd = socket(AF_NETLINK, SOCK_RAW, NETLINK_ROUTE);
	if (fd < 0)
		return -1;
	if (send(fd, &req, req.nh.nlmsg_len, 0) < 0) {
		close(fd);
		return -1;
	}
	if (recv(fd, ack, sizeof(ack), 0) < 0) {
		close(fd);
		return -1;
	}
	close(fd);
	{
		struct nlmsghdr *h = (struct nlmsghdr *)(void *)ack;

		if (h->nlmsg_type == NLMSG_ERROR) {
			int e = ((struct nlmsgerr *)NLMSG_DATA(h))->error;

			if (e != 0) {
				errno = -e;
				return -1;
			}
		}
	}
	return 0;
}

static int
usage(void)
{
	fprintf(stderr, "usage: kt run DIR DIR2 LABEL [mmapw,loose] | kt verify DIR LABEL | "
	    "kt sum FILE | kt stat FILE\n");
	return 2;
}

int
main(int argc, char **argv)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	signal(SIGPIPE, SIG_IGN);
	if (argc == 3 && strcmp(argv[1], "sum") == 0) {
		uint64_t h;
		off_t size;

		if (file_sum(argv[2], &h, &size) != 0) {
			perror(argv[2]);
			return 1;
		}
		printf("%lld %016" PRIx64 "\n", (long long)size, h);
		return 0;
	}
	if (argc == 3 && strcmp(argv[1], "quickack") == 0) {
		if (quickack_route(argv[2]) != 0) {
			printf("KT quickack route failed: errno=%d (%s)\n", errno, strerror(errno));
			return 1;
		}
		return 0;
	}
	if (argc == 3 && strcmp(argv[1], "blocks") == 0) {
		struct stat st;

		if (stat(argv[2], &st) != 0) {
			perror(argv[2]);
			return 1;
		}
		printf("%lld %lld\n", (long long)st.st_size, (long long)st.st_blocks);
		return 0;
	}
	if (argc == 3 && strcmp(argv[1], "stat") == 0) {
		struct stat st;

		if (stat(argv[2], &st) != 0) {
			perror(argv[2]);
			return 1;
		}
		printf("%o %u %u %lld %lld.%09ld\n", (unsigned)(st.st_mode & 07777),
		    (unsigned)st.st_uid, (unsigned)st.st_gid, (long long)st.st_size,
		    (long long)st.st_mtim.tv_sec, st.st_mtim.tv_nsec);
		return 0;
	}
	if (argc >= 5 && strcmp(argv[1], "run") == 0) {
		label = argv[4];
		mmapw = argc > 5 && strstr(argv[5], "mmapw") != NULL;
		loose = argc > 5 && strstr(argv[5], "loose") != NULL;
		if (getenv("KT_BIG_MB") && atoi(getenv("KT_BIG_MB")) > 0)
			big_size = (unsigned)atoi(getenv("KT_BIG_MB")) << 20;
		if (mkdir(argv[2], 0755) != 0 || chdir(argv[2]) != 0) {
			printf("STEP %s/setup FAIL errno=%d (%s) mkdir+chdir %s\n", label, errno,
			    strerror(errno), argv[2]);
			return 1;
		}
		snprintf(d2, sizeof(d2), "%s", argv[3]);
		run_step("mkdir", st_mkdir);
		run_step("create_write_read", st_create_write_read);
		run_step("append", st_append);
		run_step("truncate", st_truncate);
		run_step("ftruncate", st_ftruncate);
		run_step("rename_same_dir", st_rename_same_dir);
		run_step("rename_across_dirs", st_rename_across);
		run_step("rename_over_file", st_rename_over_file);
		run_step("rename_over_empty_dir", st_rename_over_dir);
		run_step("rename_dir_open_inside", st_rename_dir_open_inside);
		run_step("hardlink", st_hardlink);
		run_step("symlink_readlink", st_symlink);
		run_step("unlink_rmdir", st_unlink_rmdir);
		run_step("mknod_mkfifo", st_mknod);
		run_step("bigdir_readdir", st_bigdir);
		run_step("chmod", st_chmod);
		run_step("chown", st_chown);
		run_step("utimensat", st_utimensat);
		run_step("statfs", st_statfs);
		run_step("xattr", st_xattr);
		run_step("posix_lock", st_posix_lock);
		run_step("posix_lock_2mounts", st_posix_lock_2mounts);
		run_step("posix_lock_wait_2mounts", st_posix_lock_wait_2mounts);
		run_step("flock", st_flock);
		run_step("flock_2mounts", st_flock_2mounts);
		run_step("fsync_fdatasync", st_fsync);
		run_step("pread_pwrite", st_pread_pwrite);
		run_step("sparse", st_sparse);
		run_step("open_unlinked", st_open_unlinked);
		run_step("mmap_read", st_mmap_read);
		run_step("mmap_write", st_mmap_write);
		run_step("bigfile_checksum", st_bigfile);
		run_step("concurrent", st_concurrent);
		run_step("names_long_nonascii", st_names);
		run_step("persist_setup", st_persist_setup);
		return failed > 100 ? 100 : failed;
	}
	if (argc == 4 && strcmp(argv[1], "verify") == 0) {
		label = argv[3];
		if (chdir(argv[2]) != 0) {
			printf("STEP %s/remount_verify FAIL errno=%d (%s) chdir %s\n", label, errno,
			    strerror(errno), argv[2]);
			return 1;
		}
		run_step("remount_verify", st_persist_verify);
		return failed;
	}
	return usage();
}
