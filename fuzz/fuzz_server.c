/*
 * fuzz_server: a live p9d session. The server engine and its POSIX
 * backend (server/, through the public p9srv.h and p9srv_posix.h) run
 * in-process on a small export; each input becomes one connection to it
 * (a socket pair). By default the server has no threads: the harness
 * turns its loop itself (p9srv_poll) whenever it waits for a reply, so
 * a run is one thread and depends only on its input.
 *
 * Input: a compact op language, one selector byte per op, so that the
 * fuzzer gets past Tversion/Tattach and reaches deep states. The harness
 * itself sends Tversion (msize 65536) and Tattach (fid 0) first, and waits
 * for their replies; then:
 *   0x00-0xdf  a T-message of the table (selector % number of T types),
 *              fields from the next bytes (fill.h): fids from 0..7, names
 *              from a set that matches the export ("a", "d", "l", "..",
 *              "abs", xattr names, the export's path, ...), tags from the
 *              lib9p client (p9_client), so they are always valid; up to
 *              12 requests are pipelined, so flushes and out-of-order
 *              replies happen;
 *   0xe0-0xee  wait for every reply;
 *   0xef       vanish: close the socket at once, replies unread, requests
 *              in flight (the server's writes then fail), and end there;
 *   0xf0-0xf7  a raw frame: length byte, bytes, size field prefixed;
 *   0xf8-0xff  raw bytes (length byte, bytes) with no framing.
 * A raw op "taints" the session: replies are then only checked for being
 * well-formed, since the frames may have reused the client's tags,
 * reset the session (Tversion) or broken the stream.
 *
 * Export (fresh for every run: emptied and rebuilt after each one that
 * changed it, as inotify tells):
 *   export/a  export/d/f  export/d/e/  export/l -> ../outside
 *   export/abs -> <base>/outside/secret
 * and beside it, never reachable: <base>/outside/{secret,sdir/sfile}.
 *
 * Invariants:
 * - nothing crashes (ASan, UBSan) and the server never hangs: each reply
 *   comes within 10 s, and after the client's EOF the server closes and
 *   releases the connection (all its requests finished) within 10 s; so
 *   it does after a client that vanished;
 * - every byte the server sends is a well-formed frame below msize that
 *   decodes strictly (an Rreaddir's data is whole dirents: the iterator
 *   walks it to exactly its end);
 * - untainted: every reply answers an outstanding request of its tag with
 *   a type that answers it (p9_client_reply accepts it), the server never
 *   closes the connection first, and at EOF every request was answered;
 *   a Tversion (sent with requests outstanding) aborts them: after its
 *   reply none of them may answer;
 * - after each run nothing outside the export changed (checked when
 *   inotify reported an event outside it, or lost one): the base
 *   directory (mode, owner, times, entries) and every file under outside/
 *   (type, mode, owner, size, link count, times, inode, contents or link
 *   target) are exactly as before the first run;
 * - inside the export nothing is a hard link to a file outside, and
 *   nothing is on another device.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <grp.h>
#include <pwd.h>
#include <limits.h>
#include <poll.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdbool.h>
#include <time.h>
#include <unistd.h>
#include <sys/inotify.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/xattr.h>

#include "fill.h"
#include "fuzz.h"
#include "p9.h"
#include "p9_client.h"
#include "p9_clock.h"
#include "server_names.h"
#include "p9srv.h"
#ifdef FZ_MEMFS
#include "memfs.h"
#else
#include "p9srv_posix.h"
#endif

#define MSIZE		65536
#define NFIDS		8
#define PIPELINE	12
#define MAXOPS		256
#define TIMEOUT_MS	10000

static char base[PATH_MAX - 64], export_dir[PATH_MAX], outside_dir[PATH_MAX];
static char abs_secret[PATH_MAX + 16], long255[256], long256[257];
static pid_t init_pid;
static const char *names[FZN_COUNT];
static unsigned nnames;
static struct fz_fill fill;

/* The server runs every request on its loop thread, one at a time
 * (threads 0): deterministic, so that an input covers the same code each
 * time. P9FUZZ_THREADS=N (1..64) gives it N workers instead, for the races
 * between requests (flush of a running request, concurrent fids). */
static unsigned
server_threads(void)
{
	const char *e = getenv("P9FUZZ_THREADS");
	char *end;
	unsigned long n;

	if (e == NULL || *e == '\0')
		return 0;
	n = strtoul(e, &end, 10);
	if (*end != '\0' || n > 64) {
		fprintf(stderr, "P9FUZZ_THREADS=%s: want a number of worker threads, 0 to 64\n", e);
		abort();
	}
	return (unsigned)n;
}

/*
 * The server of a run. Without workers (the default) nothing of it runs
 * on a thread of its own: the harness turns its loop (p9srv_poll) when it
 * waits for replies, so one thread does everything, in an order that
 * depends only on the input. With P9FUZZ_THREADS a loop thread serves
 * each run's connection, and returns when that connection is over.
 */
static struct p9srv *srv;
static bool threaded;
static pthread_t loop_thread;

static void *
loop_main(void *arg)
{
	FZ_CHECK(p9srv_run(arg) == 0);
	return NULL;
}

/* One turn of the server's loop: what it can do now (single-threaded
 * mode; pump's poll says when there is more). */
static void
server_turn(void)
{
	int n;

	if (threaded)
		return;
	n = p9srv_poll(srv, 0);
	FZ_CHECK(n >= 0 || n == P9SRV_DONE);
}

/* A new connection to srv: the harness's end of a socket pair. */
static int
server_connect(void)
{
	int sv[2];

	FZ_CHECK(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) == 0);
	FZ_CHECK(p9srv_serve_fd(srv, sv[0], sv[0]) == 0);
	if (threaded)
		FZ_CHECK(pthread_create(&loop_thread, NULL, loop_main, srv) == 0);
	return sv[1];
}

/* The run's connection is over: its loop thread ended. */
static void
server_joined(void)
{
	if (threaded)
		FZ_CHECK(pthread_join(loop_thread, NULL) == 0);
}

static void
server_config(struct p9srv_config *cfg, const char *ident)
{
	static bool grouped;

	/* Run as root with root's groups, as from a login shell: then a
	 * session attached as root (most are) has the server's own
	 * identity, and p9srv_poll need not switch back after each turn. */
	if (!grouped && geteuid() == 0) {
		struct passwd *pw = getpwuid(0);
		gid_t groups[64];
		int n = 64;

		grouped = true;
		if (pw != NULL && getgrouplist(pw->pw_name, pw->pw_gid, groups, &n) >= 0)
			FZ_CHECK(setgroups((size_t)n, groups) == 0);
	}
	p9srv_config_defaults(cfg);
	cfg->threads = server_threads();
	cfg->loops = 1;		/* p9srv_poll turns loop 0: no other loop thread */
	cfg->spin_us = 0;	/* the harness waits in poll, not the loop */
	cfg->msize_max = MSIZE;
	cfg->max_fids = 64;
	cfg->max_inflight = 8;	/* below PIPELINE: the server pauses reading */
	cfg->debug = getenv("P9FUZZ_DEBUG") != NULL;
	cfg->ident = ident;
	threaded = cfg->threads > 0;
}

static void
set_names(void)
{
	static const char *const fixed[] = {
#define X(id, str)	str,
		FZ_SERVER_NAMES(X)
#undef X
	};

	memset(long255, 'n', 255);
	memset(long256, 'm', 256);
	memcpy(names, fixed, sizeof(fixed));
	nnames = FZN_COUNT;
	names[FZN_ABS_SECRET] = abs_secret;
	names[FZN_OUTSIDE_DIR] = outside_dir;
	names[FZN_EXPORT_DIR] = export_dir;
	names[FZN_LONG255] = long255;
	names[FZN_LONG256] = long256;
	fill = (struct fz_fill){ names, nnames, NFIDS };
}

#ifndef FZ_MEMFS
static char *snapshot0;
static dev_t export_dev;
static ino_t outside_inos[16];
static unsigned noutside_inos;

/* ---- the world outside the export ---- */

struct sbuf {
	char	*p;
	size_t	 len, cap;
};

__attribute__((format(printf, 2, 3)))
static void
sb_add(struct sbuf *b, const char *fmt, ...)
{
	va_list ap;
	int n;

	for (;;) {
		va_start(ap, fmt);
		n = vsnprintf(b->p + b->len, b->cap - b->len, fmt, ap);
		va_end(ap);
		FZ_CHECK(n >= 0);
		if ((size_t)n < b->cap - b->len)
			break;
		b->cap = (b->cap + (size_t)n) * 2;
		b->p = realloc(b->p, b->cap);
		FZ_CHECK(b->p != NULL);
	}
	b->len += (size_t)n;
}

static void
describe(struct sbuf *b, const char *path, const char *rel, bool recurse)
{
	struct stat st;

	if (lstat(path, &st) != 0) {
		sb_add(b, "%s missing\n", rel);
		return;
	}
	sb_add(b, "%s mode=%o uid=%u gid=%u nlink=%lu size=%lld ino=%lu mtime=%lld.%ld ctime=%lld.%ld",
	    rel, st.st_mode, st.st_uid, st.st_gid, (unsigned long)st.st_nlink,
	    (long long)st.st_size, (unsigned long)st.st_ino, (long long)st.st_mtim.tv_sec,
	    st.st_mtim.tv_nsec, (long long)st.st_ctim.tv_sec, st.st_ctim.tv_nsec);
	if (S_ISREG(st.st_mode)) {
		char data[4096];
		int fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
		ssize_t n = fd >= 0 ? read(fd, data, sizeof(data)) : -1;
		uint64_t h = 1469598103934665603ull;
		ssize_t i;

		for (i = 0; i < n; i++)
			h = (h ^ (uint8_t)data[i]) * 1099511628211ull;
		if (fd >= 0)
			close(fd);
		sb_add(b, " data=%zd:%016llx", n, (unsigned long long)h);
	} else if (S_ISLNK(st.st_mode)) {
		char t[PATH_MAX];
		ssize_t n = readlink(path, t, sizeof(t) - 1);

		t[n > 0 ? n : 0] = '\0';
		sb_add(b, " target=%s", t);
	}
	sb_add(b, "\n");
	if (S_ISDIR(st.st_mode)) {
		struct dirent **ents;
		int n = scandir(path, &ents, NULL, alphasort), i;

		for (i = 0; i < n; i++) {
			const char *e = ents[i]->d_name;
			char p2[PATH_MAX], r2[PATH_MAX];

			if (strcmp(e, ".") != 0 && strcmp(e, "..") != 0) {
				snprintf(p2, sizeof(p2), "%s/%s", path, e);
				snprintf(r2, sizeof(r2), "%s/%s", rel, e);
				/* The export's own contents are the fuzzer's:
				 * only its name is checked here. */
				if (recurse && strcmp(p2, export_dir) != 0)
					describe(b, p2, r2, true);
				else
					sb_add(b, "%s entry\n", r2);
			}
			free(ents[i]);
		}
		if (n >= 0)
			free(ents);
	}
}

static char *
snapshot(void)
{
	struct sbuf b = { NULL, 0, 0 };

	b.cap = 4096;
	b.p = malloc(b.cap);
	FZ_CHECK(b.p != NULL);
	b.p[0] = '\0';
	describe(&b, base, "base", true);
	return b.p;
}

/* ---- the export ---- */

static void
write_file(const char *path, const char *text, mode_t mode)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);

	FZ_CHECK(fd >= 0);
	FZ_CHECK(write(fd, text, strlen(text)) == (ssize_t)strlen(text));
	close(fd);
}

static int
rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	if (ftw->level == 0)
		return 0;
	if (flag == FTW_DP || flag == FTW_D)
		return rmdir(path) != 0 ? (fprintf(stderr, "rmdir %s: %s\n", path, strerror(errno)), 1) : 0;
	return unlink(path) != 0 ? (fprintf(stderr, "unlink %s: %s\n", path, strerror(errno)), 1) : 0;
}

static int
open_up(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)ftw;
	if (flag == FTW_D || flag == FTW_DNR || (flag == FTW_F && S_ISDIR(st->st_mode)))
		chmod(path, 0700);
	return 0;
}

static int
check_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	unsigned i;

	(void)flag; (void)ftw;
	if (st->st_dev != export_dev)
		fprintf(stderr, "%s: on another device\n", path);
	FZ_CHECK(st->st_dev == export_dev);
	for (i = 0; i < noutside_inos; i++) {
		if (st->st_ino == outside_inos[i] && !S_ISDIR(st->st_mode))
			fprintf(stderr, "%s: a link to a file outside the export\n", path);
		FZ_CHECK(st->st_ino != outside_inos[i] || S_ISDIR(st->st_mode));
	}
	return 0;
}

static void
reset_export(void)
{
	char p[PATH_MAX + 16];
	char list[4096];
	ssize_t n;

	/* The root itself may have been chmod/chown'ed or given xattrs. */
	FZ_CHECK(chown(export_dir, getuid(), getgid()) == 0);
	FZ_CHECK(chmod(export_dir, 0755) == 0);
	n = listxattr(export_dir, list, sizeof(list));
	for (ssize_t off = 0; n > 0 && off < n; off += (ssize_t)strlen(list + off) + 1)
		removexattr(export_dir, list + off);
	if (geteuid() != 0)
		nftw(export_dir, open_up, 16, FTW_PHYS);
	FZ_CHECK(nftw(export_dir, rm_one, 16, FTW_DEPTH | FTW_PHYS) == 0);

	snprintf(p, sizeof(p), "%s/a", export_dir);
	write_file(p, "hello\n", 0644);
	snprintf(p, sizeof(p), "%s/d", export_dir);
	FZ_CHECK(mkdir(p, 0755) == 0);
	snprintf(p, sizeof(p), "%s/d/f", export_dir);
	write_file(p, "in d\n", 0644);
	snprintf(p, sizeof(p), "%s/d/e", export_dir);
	FZ_CHECK(mkdir(p, 0755) == 0);
	snprintf(p, sizeof(p), "%s/l", export_dir);
	FZ_CHECK(symlink("../outside", p) == 0);
	snprintf(p, sizeof(p), "%s/abs", export_dir);
	FZ_CHECK(symlink(abs_secret, p) == 0);
}

/*
 * What changed, told by inotify: the checks and the rebuild after a run
 * cost about 100 system calls, and most runs change nothing on disk.
 * Watched: every directory of the world (each reports its entries'
 * changes, whatever path made them) and the files outside (their own
 * inodes: a write through a hard link made elsewhere is reported too).
 * A run whose queue stays empty changed nothing that the snapshot or
 * check_one could see; any event, or a lost one (IN_Q_OVERFLOW), and
 * the full checks run as before.
 */
#define WATCHED	(IN_ATTRIB | IN_MODIFY | IN_CREATE | IN_DELETE | IN_MOVED_FROM | \
	IN_MOVED_TO | IN_DELETE_SELF | IN_MOVE_SELF | IN_CLOSE_WRITE)
enum { CH_OUTSIDE = 1, CH_EXPORT = 2 };

static int ino_fd = -1;
static int wd_base, wd_outside[4];
static unsigned nwd_outside;

static int
watch(const char *dir, const char *rel)
{
	char p[PATH_MAX + 16];
	int wd;

	snprintf(p, sizeof(p), "%s%s%s", dir, rel[0] != '\0' ? "/" : "", rel);
	wd = inotify_add_watch(ino_fd, p, WATCHED | IN_DONT_FOLLOW);
	FZ_CHECK(wd >= 0);
	return wd;
}

static void
watch_world(void)
{
	FZ_CHECK((ino_fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC)) >= 0);
	wd_base = watch(base, "");
	wd_outside[nwd_outside++] = watch(outside_dir, "");
	wd_outside[nwd_outside++] = watch(outside_dir, "secret");
	wd_outside[nwd_outside++] = watch(outside_dir, "sdir");
	wd_outside[nwd_outside++] = watch(outside_dir, "sdir/sfile");
}

/* The export's directories, as reset_export makes them (again after
 * each rebuild: d and d/e are new inodes then). */
static void
watch_export(void)
{
	(void)watch(export_dir, "");
	(void)watch(export_dir, "d");
	(void)watch(export_dir, "d/e");
}

/* What changed since the last call. */
static unsigned
changes(void)
{
	unsigned ch = 0;

	for (;;) {
		char buf[4096] __attribute__((aligned(__alignof__(struct inotify_event))));
		ssize_t n = read(ino_fd, buf, sizeof(buf));

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			FZ_CHECK(n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK));
			return ch;
		}
		for (ssize_t off = 0; off < n;) {
			const struct inotify_event *e = (const void *)(buf + off);
			bool out = false;

			off += (ssize_t)(sizeof(*e) + e->len);
			if ((e->mask & IN_Q_OVERFLOW) != 0) {
				ch |= CH_OUTSIDE | CH_EXPORT;
				continue;
			}
			if ((e->mask & IN_IGNORED) != 0)
				continue;	/* a watch of a removed directory */
			for (unsigned i = 0; i < nwd_outside; i++)
				out |= e->wd == wd_outside[i];
			/* In base, the export's own attributes (chmod, xattrs of
			 * the root) are the export's; any other entry, or the
			 * export's name itself moved or removed, is outside. */
			if (e->wd == wd_base)
				out = !(e->len > 0 && strcmp(e->name, "export") == 0 &&
				    (e->mask & (IN_ATTRIB | IN_MODIFY | IN_CLOSE_WRITE)) != 0);
			ch |= out ? CH_OUTSIDE : CH_EXPORT;
		}
	}
}

static void
cleanup(void)
{
	if (getpid() == init_pid && base[0] != '\0') {
		nftw(base, rm_one, 16, FTW_DEPTH | FTW_PHYS);
		rmdir(base);
	}
}

static void
init(void)
{
	const char *tmp = getenv("TMPDIR");
	struct p9srv_config cfg;
	struct posix_fs *fs;
	char p[PATH_MAX + 16], why[512];
	struct stat st;

	init_pid = getpid();
	snprintf(base, sizeof(base), "%s/p9fuzz.XXXXXX", tmp != NULL && *tmp != '\0' ? tmp : "/tmp");
	FZ_CHECK(mkdtemp(base) != NULL);
	atexit(cleanup);
	snprintf(export_dir, sizeof(export_dir), "%s/export", base);
	snprintf(outside_dir, sizeof(outside_dir), "%s/outside", base);
	FZ_CHECK(mkdir(export_dir, 0755) == 0 && mkdir(outside_dir, 0755) == 0);
	snprintf(abs_secret, sizeof(abs_secret), "%s/secret", outside_dir);
	write_file(abs_secret, "outside\n", 0644);
	snprintf(p, sizeof(p), "%s/sdir", outside_dir);
	FZ_CHECK(mkdir(p, 0755) == 0);
	snprintf(p, sizeof(p), "%s/sdir/sfile", outside_dir);
	write_file(p, "deeper\n", 0600);
	FZ_CHECK(stat(abs_secret, &st) == 0);
	outside_inos[noutside_inos++] = st.st_ino;
	FZ_CHECK(stat(p, &st) == 0);
	outside_inos[noutside_inos++] = st.st_ino;
	FZ_CHECK(stat(export_dir, &st) == 0);
	export_dev = st.st_dev;
	set_names();

	server_config(&cfg, "fuzz_server");
	if ((fs = posix_new(export_dir, why, sizeof(why))) == NULL ||
	    (srv = p9srv_new(&cfg, &posix_backend, fs, why, sizeof(why))) == NULL)
		fprintf(stderr, "fuzz_server: %s\n", why);
	FZ_CHECK(srv != NULL);
	reset_export();
	snapshot0 = snapshot();
	watch_world();
	watch_export();
}

/* The world of one run: a connection to the one server, and after it,
 * nothing outside the export changed. */
static void world_begin(void) { }

static void
world_end(void)
{
	unsigned ch;

	server_joined();
	ch = changes();
	if ((ch & CH_OUTSIDE) != 0) {
		char *snap = snapshot();

		if (strcmp(snap, snapshot0) != 0)
			fprintf(stderr, "outside the export changed:\nbefore:\n%safter:\n%s",
			    snapshot0, snap);
		FZ_CHECK(strcmp(snap, snapshot0) == 0);
		free(snap);
	}
	if ((ch & CH_EXPORT) != 0) {
		FZ_CHECK(nftw(export_dir, check_one, 16, FTW_PHYS) == 0);
		reset_export();
		watch_export();
		(void)changes();	/* the rebuild's own */
	}
}

#else /* FZ_MEMFS */

/*
 * fuzz_memfs: the same sessions against the engine with the in-memory
 * backend of examples/memfs, a fresh server and file system per run (so
 * every run also starts and frees a whole server): /a, /d/f, /d/e/,
 * /l -> ../outside, /abs -> an absolute path, /ctl/echo (a control file).
 * After each run the file system holds at most its memory cap and the
 * server frees everything (LeakSanitizer).
 */
#define MEMFS_CAP	(1u << 20)

static struct memfs *mfs;
static char echo_text[256];
static size_t echo_len;
static pthread_mutex_t echo_mu = PTHREAD_MUTEX_INITIALIZER;

static long
echo_read(void *arg, char *buf, size_t cap)
{
	size_t n;

	(void)arg;
	pthread_mutex_lock(&echo_mu);
	n = echo_len < cap ? echo_len : cap;
	memcpy(buf, echo_text, n);
	pthread_mutex_unlock(&echo_mu);
	return (long)n;
}

static long
echo_write(void *arg, uint64_t off, const void *data, size_t len)
{
	(void)arg; (void)off;
	pthread_mutex_lock(&echo_mu);
	echo_len = len < sizeof(echo_text) ? len : sizeof(echo_text);
	memcpy(echo_text, data, echo_len);
	pthread_mutex_unlock(&echo_mu);
	return (long)len;
}

static const struct memfs_ctl echo_ops = { echo_read, echo_write };

static void
init(void)
{
	init_pid = getpid();
	snprintf(base, sizeof(base), "/p9fuzz");
	snprintf(export_dir, sizeof(export_dir), "/");
	snprintf(outside_dir, sizeof(outside_dir), "/p9fuzz/outside");
	snprintf(abs_secret, sizeof(abs_secret), "/p9fuzz/outside/secret");
	set_names();
}

static void
world_begin(void)
{
	struct memfs_config mc;
	struct p9srv_config cfg;
	char why[256];

	memfs_config_defaults(&mc);
	mc.max_bytes = MEMFS_CAP;
	FZ_CHECK((mfs = memfs_new(&mc)) != NULL);
	FZ_CHECK(memfs_add_file(mfs, "/a", 0644, "a\n", 2) == 0);
	FZ_CHECK(memfs_add_file(mfs, "/d/f", 0644, "f\n", 2) == 0);
	FZ_CHECK(memfs_mkdir(mfs, "/d/e", 0755) == 0);
	FZ_CHECK(memfs_symlink(mfs, "/l", "../outside") == 0);
	FZ_CHECK(memfs_symlink(mfs, "/abs", abs_secret) == 0);
	FZ_CHECK(memfs_add_ctl(mfs, "/ctl/echo", 0666, &echo_ops, NULL) == 0);
	server_config(&cfg, "fuzz_memfs");
	srv = p9srv_new(&cfg, memfs_backend(mfs), mfs, why, sizeof(why));
	if (srv == NULL)
		fprintf(stderr, "p9srv_new: %s\n", why);
	FZ_CHECK(srv != NULL);
}

static void
world_end(void)
{
	server_joined();
	FZ_CHECK(memfs_used(mfs) <= MEMFS_CAP);
	p9srv_free(srv);
	memfs_free(mfs);
	srv = NULL;
	mfs = NULL;
}
#endif /* FZ_MEMFS */

/* ---- one session ---- */

struct sess {
	int		 fd;
	bool		 tainted;	/* raw bytes were sent */
	bool		 eof;		/* the server closed */
	bool		 closing;	/* we sent our EOF */
	struct p9_client c;
	struct p9_creq	 slots[16];
	uint8_t		 rbuf[2 * MSIZE];
	size_t		 rlen;
	uint8_t		 obuf[4 * MSIZE];	/* requests not sent yet */
	size_t		 olen;
};

static struct sess S;

/* Take the complete frames out of rbuf. */
static void
frames(struct sess *s)
{
	size_t off = 0, need;

	while (s->rlen - off >= 4) {
		struct p9_msg r;
		struct p9_client_done done;
		int rc = p9_frame_need(s->rbuf + off, s->rlen - off, s->c.msize, &need);

		if (rc != 0)
			fprintf(stderr, "server sent a frame of size %u (msize %u)\n",
			    (unsigned)(s->rbuf[off] | s->rbuf[off + 1] << 8 | s->rbuf[off + 2] << 16 |
			    (unsigned)s->rbuf[off + 3] << 24), s->c.msize);
		FZ_CHECK(rc == 0 || s->tainted);
		if (rc != 0) {
			/* A tainted session may have set a smaller msize
			 * behind the client's back: only the frame matters. */
			rc = p9_frame_need(s->rbuf + off, s->rlen - off, MSIZE, &need);
			FZ_CHECK(rc == 0);
		}
		if (s->rlen - off < need)
			break;
		{
			uint8_t *f = fz_dup(s->rbuf + off, need);

			rc = p9_msg_decode(f, need, &r);
			if (rc != 0)
				fprintf(stderr, "server sent a bad frame: %s\n", p9_strerror(rc));
			FZ_CHECK(rc == 0);
			FZ_CHECK((r.type & 1) == 1);	/* an R-message */
			if (r.type == P9_RREADDIR)
				FZ_CHECK(fz_dirents_whole(r.rreaddir.data));
			rc = p9_client_reply(&s->c, f, need, &r, &done);
			/* version(5): a Tversion aborted everything before it;
			 * nothing of the old session may answer after its
			 * reply (a late reply then fails as an unknown tag). */
			if (rc == 0 && done.ttype == P9_TVERSION)
				p9_client_reset(&s->c);
			if (rc != 0 && !s->tainted) {
				char line[256];
				long n = p9_msg_print(&r, line, sizeof(line));

				fprintf(stderr, "reply refused by the client (%s): %s\n",
				    p9_strerror(rc), n > 0 ? line : "?");
			}
			FZ_CHECK(rc == 0 || s->tainted);
			free(f);
		}
		off += need;
	}
	memmove(s->rbuf, s->rbuf + off, s->rlen - off);
	s->rlen -= off;
}

static void flush(struct sess *s);

/* Read what is there (wait up to ms for something). */
static void
pump(struct sess *s, int ms)
{
	struct pollfd pfd[2] = {
		{ .fd = s->fd, .events = POLLIN },
		{ .fd = threaded ? -1 : p9srv_fd(srv), .events = POLLIN },
	};

	if (s->eof)
		return;
	flush(s);
	server_turn();
	if (poll(pfd, 2, ms) <= 0)
		return;
	if (pfd[0].revents == 0) {
		server_turn();	/* only the server had work: read next time */
		return;
	}
	for (;;) {
		ssize_t n = recv(s->fd, s->rbuf + s->rlen, sizeof(s->rbuf) - s->rlen, MSG_DONTWAIT);

		if (n > 0) {
			size_t room = sizeof(s->rbuf) - s->rlen;

			s->rlen += (size_t)n;
			frames(s);
			FZ_CHECK(s->rlen < sizeof(s->rbuf));
			if ((size_t)n < room)
				return;	/* all there was: poll says when more comes */
			continue;
		}
		if (n < 0 && errno == EINTR)
			continue;
		if (n == 0 || (errno != EAGAIN && errno != EWOULDBLOCK)) {
			s->eof = true;
			if (!s->tainted && !s->closing)
				fprintf(stderr, "server closed an untainted session\n");
			FZ_CHECK(s->tainted || s->closing);
			FZ_CHECK(s->tainted || s->rlen == 0);
		}
		return;
	}
}

/* Wait until fewer than `max` requests are outstanding (untainted). */
static void
drain(struct sess *s, unsigned max)
{
	long t0 = p9_now_ms();

	while (!s->tainted && !s->eof && p9_client_inflight(&s->c) > max) {
		if (p9_now_ms() - t0 > TIMEOUT_MS) {
			fprintf(stderr, "server did not answer within %d ms (%u outstanding)\n",
			    TIMEOUT_MS, p9_client_inflight(&s->c));
			FZ_CHECK(!"server hangs");
		}
		pump(s, 100);
	}
	if (s->tainted)
		pump(s, 0);
}

static void
send_all(struct sess *s, const uint8_t *p, size_t len)
{
	long t0 = p9_now_ms();

	while (len > 0 && !s->eof) {
		ssize_t n = send(s->fd, p, len, MSG_DONTWAIT | MSG_NOSIGNAL);

		if (n > 0) {
			p += n;
			len -= (size_t)n;
			continue;
		}
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
			struct pollfd pfd = { .fd = s->fd, .events = POLLIN | POLLOUT };

			FZ_CHECK(p9_now_ms() - t0 < TIMEOUT_MS);
			server_turn();
			if (poll(&pfd, 1, threaded ? 100 : 0) > 0 && (pfd.revents & (POLLIN | POLLHUP)))
				pump(s, 0);
			continue;
		}
		/* EPIPE, ECONNRESET: the server closed. */
		FZ_CHECK(s->tainted);
		s->eof = true;
	}
}

/*
 * Send what request() queued. Without server threads nothing can read
 * it before the harness turns the server's loop anyway, so requests go
 * out in one write when the harness next waits (pump) instead of one
 * each: the same bytes in the same order, fewer system calls.
 */
static void
flush(struct sess *s)
{
	size_t len = s->olen;

	s->olen = 0;
	if (len > 0)
		send_all(s, s->obuf, len);
}

/* Issue one request through the client (tag assigned there). */
static bool
request(struct sess *s, struct p9_msg *m)
{
	long n;

	drain(s, PIPELINE - 1);
	if (sizeof(s->obuf) - s->olen < MSIZE)
		flush(s);
	n = p9_client_request(&s->c, m, NULL, s->obuf + s->olen, MSIZE);
	if (n == P9_ERR_NOTAG) {
		drain(s, 0);
		n = p9_client_request(&s->c, m, NULL, s->obuf + s->olen, MSIZE);
	}
	if (n < 0)
		return false;
	s->olen += (size_t)n;
	if (threaded)
		flush(s);	/* the server runs meanwhile: one at a time */
	return true;
}

/* Until the server let go of everything (requests still running after a
 * Tversion dropped them, or after the client vanished, included). */
static void
wait_released(void)
{
	long t0 = p9_now_ms();

	while (p9srv_conns(srv) != 0) {
		struct timespec ts = { 0, 100000 };

		if (p9_now_ms() - t0 > TIMEOUT_MS)
			fprintf(stderr, "server never released the connection\n");
		FZ_CHECK(p9_now_ms() - t0 <= TIMEOUT_MS);
		if (threaded)
			nanosleep(&ts, NULL);
		else if (p9srv_poll(srv, 100) == P9SRV_DONE)
			break;
	}
	FZ_CHECK(p9srv_conns(srv) == 0);
}

static void
session(const uint8_t *data, size_t size)
{
	struct sess *s = &S;
	struct fz_src src = { data, size, 0 };
	struct p9_msg m;
	int ops = 0;
	long t0;

	s->fd = server_connect();
	FZ_CHECK(s->fd >= 0);
	s->tainted = false;
	s->eof = false;
	s->closing = false;
	s->rlen = 0;
	s->olen = 0;
	p9_client_init(&s->c, s->slots, 16, MSIZE);

	/* The prefix every session starts with. */
	memset(&m, 0, sizeof(m));
	m.type = P9_TVERSION;
	m.tversion.msize = MSIZE;
	m.tversion.version = (struct p9_str){ P9_VERSION_L, 8 };
	FZ_CHECK(request(s, &m));
	drain(s, 0);
	memset(&m, 0, sizeof(m));
	m.type = P9_TATTACH;
	m.tattach.fid = 0;
	m.tattach.afid = P9_NOFID;
	m.tattach.uname = (struct p9_str){ "root", 4 };
	m.tattach.aname = (struct p9_str){ "", 0 };
	m.tattach.n_uname = (uint32_t)getuid();
	FZ_CHECK(request(s, &m));
	/* A client uses fid 0 only once Rattach came: the server may run
	 * requests of other tags concurrently, so a walk sent before it
	 * would race the attach (EBADF in some runs, not others). */
	drain(s, 0);

	while (src.pos < src.n && ops++ < MAXOPS && !s->eof) {
		uint8_t op = fz_u8(&src);

		if (op < FZ_OP_SYNC) {
			uint8_t type = fz_ttypes[op % FZ_NTTYPES];

			fz_fill_msg(&m, type, &src, &fill);
			request(s, &m);
			if (type == P9_TVERSION)
				drain(s, 0);	/* a client waits for Rversion */
		} else if (op == FZ_OP_VANISH) {
			flush(s);
			close(s->fd);
			s->fd = -1;
			wait_released();
			return;
		} else if (op < FZ_OP_RAWFRAME) {
			drain(s, 0);
		} else {
			size_t got;
			const uint8_t *p = fz_take(&src, fz_u8(&src), &got);

			drain(s, 0);
			s->tainted = true;
			if (op < FZ_OP_RAWBYTES) {
				uint8_t hdr[4];
				uint32_t sz = (uint32_t)got + 4;

				hdr[0] = (uint8_t)sz;
				hdr[1] = (uint8_t)(sz >> 8);
				hdr[2] = (uint8_t)(sz >> 16);
				hdr[3] = (uint8_t)(sz >> 24);
				send_all(s, hdr, 4);
			}
			send_all(s, p, got);
		}
	}

	/* The end: everything answered, then the server closes. */
	drain(s, 0);
	s->closing = true;
	shutdown(s->fd, SHUT_WR);
	t0 = p9_now_ms();
	while (!s->eof) {
		if (p9_now_ms() - t0 > TIMEOUT_MS)
			fprintf(stderr, "server did not close after EOF (%u outstanding)\n",
			    p9_client_inflight(&s->c));
		FZ_CHECK(p9_now_ms() - t0 <= TIMEOUT_MS);
		pump(s, 100);
	}
	if (!s->tainted)
		FZ_CHECK(p9_client_inflight(&s->c) == 0);
	close(s->fd);
	wait_released();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* AFL++'s driver may run a warm-up input before its fork server
	 * forks: start the server threads only for real inputs, and never
	 * in a process that forked after starting them. */
	if (size < 8)
		return 0;
	if (init_pid == 0)
		init();
	if (getpid() != init_pid) {
		fprintf(stderr, "fuzz_server: the server was started before a fork\n");
		abort();
	}
	world_begin();
	session(data, size);
	world_end();
	return 0;
}
