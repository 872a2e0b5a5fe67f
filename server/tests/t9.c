/* The p9d integration-test harness (see t9.h). */
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>

#include <cmocka.h>

#include "p9_clock.h"
#include "t9.h"

#define BUFCAP	(1u << 21)	/* frame limit of t9_connect_raw until a Tversion */

long
t9_now_ms(void)
{
	return p9_now_ms();
}

void
t9_start(struct t9srv *s, const char *const *args)
{
	t9_start_nofile(s, args, 0);
}

void
t9_start_nofile(struct t9srv *s, const char *const *args, unsigned nofile)
{
	const char *p9d = getenv("P9D");
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	const char *argv[64];
	char fdarg[16];
	sigset_t set, old;
	int lfd, n = 0;

	if (p9d == NULL)
		fail_msg("P9D is not set (meson sets it to the p9d binary)");
	snprintf(s->dir, sizeof(s->dir), "/tmp/t9.XXXXXX");
	if (mkdtemp(s->dir) == NULL)
		fail_msg("mkdtemp: %s", strerror(errno));
	snprintf(s->export, sizeof(s->export), "%s/export", s->dir);
	snprintf(s->outside, sizeof(s->outside), "%s/outside", s->dir);
	snprintf(s->sock, sizeof(s->sock), "%s/sock", s->dir);
	if (mkdir(s->export, 0755) != 0 || mkdir(s->outside, 0755) != 0)
		fail_msg("mkdir: %s", strerror(errno));
	t9_write_file(t9_path(s, "../outside/secret"), "outside");

	lfd = socket(AF_UNIX, SOCK_STREAM, 0);
	memcpy(sun.sun_path, s->sock, strlen(s->sock) + 1);
	if (lfd < 0 || bind(lfd, (struct sockaddr *)&sun, sizeof(sun)) != 0 ||
	    listen(lfd, 64) != 0)
		fail_msg("listen: %s", strerror(errno));
	snprintf(fdarg, sizeof(fdarg), "%d", lfd);
	argv[n++] = p9d;
	argv[n++] = "-e";
	argv[n++] = s->export;
	argv[n++] = "--listen-fd";
	argv[n++] = fdarg;
	argv[n++] = "-w";
	argv[n++] = "4";
	for (; args != NULL && *args != NULL && n < 62; args++)
		argv[n++] = *args;
	argv[n] = NULL;
	/* Block SIGTERM/SIGINT across fork and exec (the mask survives both):
	 * one sent before p9d's own setup then waits for its signalfd
	 * instead of killing the child. */
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigprocmask(SIG_BLOCK, &set, &old);
	s->pid = fork();
	if (s->pid == 0) {
		struct rlimit rl = { nofile, nofile };

		if (nofile != 0 && setrlimit(RLIMIT_NOFILE, &rl) != 0)
			_exit(126);
		execv(p9d, (char *const *)argv);
		_exit(127);
	}
	sigprocmask(SIG_SETMASK, &old, NULL);
	if (s->pid < 0)
		fail_msg("fork: %s", strerror(errno));
	close(lfd);
}

static int
rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st; (void)flag; (void)ftw;
	chmod(path, 0700);
	return remove(path);
}

int
t9_stop(struct t9srv *s)
{
	long deadline = t9_now_ms() + T9_TIMEOUT_MS;
	int status = -1;
	pid_t w = 0;

	if (s->pid > 0) {
		kill(s->pid, SIGTERM);
		/* Bounded wait: poll waitpid, no sleeping for correctness. */
		while ((w = waitpid(s->pid, &status, WNOHANG)) == 0 && t9_now_ms() < deadline) {
			struct timespec ts = { 0, 2000000 };

			nanosleep(&ts, NULL);
		}
		if (w == 0) {
			kill(s->pid, SIGKILL);
			waitpid(s->pid, &status, 0);
			fail_msg("p9d did not exit within %d ms of SIGTERM", T9_TIMEOUT_MS);
		}
		s->pid = 0;
	}
	nftw(s->dir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
		fail_msg("p9d exited with status 0x%x", status);
	return status;
}

const char *
t9_path(struct t9srv *s, const char *rel)
{
	static char bufs[8][600];
	static int next;
	char *b = bufs[next++ % 8];

	snprintf(b, sizeof(bufs[0]), "%s/%s", s->export, rel);
	return b;
}

static const char *
tname(uint8_t type)
{
	const char *n = p9_type_name(type);

	return n != NULL ? n : "a message of unknown type";
}

/* A new p9c with the fixture's timeout, not connected yet. */
static void
conn_new(struct t9c *c)
{
	memset(c, 0, sizeof(*c));
	c->fd = -1;
	c->p = p9c_new();
	if (c->p == NULL)
		fail_msg("p9c_new: out of memory");
	p9c_set_timeout(c->p, T9_TIMEOUT_MS);
	c->cl = p9c_core(c->p);
}

static void
conn_dial(struct t9srv *s, struct t9c *c)
{
	conn_new(c);
	if (p9c_dial(c->p, s->sock) != 0)
		fail_msg("connect: %s", p9c_error(c->p));
	c->fd = p9c_fd(c->p);
}

/* Tversion with msize (0: T9_MSIZE). */
static void
negotiate(struct t9c *c, uint32_t msize)
{
	if (p9c_version(c->p, msize != 0 ? msize : T9_MSIZE) != 0)
		fail_msg("Tversion failed: %s", p9c_error(c->p));
	c->msize = p9c_msize(c->p);
}

void
t9_connect_raw(struct t9srv *s, struct t9c *c)
{
	conn_dial(s, c);
	if (p9c_set_msize(c->p, BUFCAP) != 0)
		fail_msg("%s", p9c_error(c->p));
	c->msize = T9_MSIZE;
}

void
t9_connect(struct t9srv *s, struct t9c *c, uint32_t msize)
{
	conn_dial(s, c);
	negotiate(c, msize);
}

void
t9_connect_fd(struct t9c *c, int fd, uint32_t msize)
{
	conn_new(c);
	if (p9c_adopt(c->p, fd) != 0)
		fail_msg("%s", p9c_error(c->p));
	c->fd = fd;
	negotiate(c, msize);
}

void
t9_close(struct t9c *c)
{
	if (c->p == NULL)
		return;
	if (c->fd < 0 && p9c_fd(c->p) >= 0)
		(void)p9c_detach(c->p);		/* the test closed it already */
	p9c_close(c->p);
	c->p = NULL;
	c->cl = NULL;
	c->fd = -1;
}

void
t9_write_all(int fd, const void *buf, size_t n)
{
	const uint8_t *p = buf;

	while (n > 0) {
		ssize_t w = write(fd, p, n);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			fail_msg("write to server: %s", strerror(errno));
		p += w;
		n -= (size_t)w;
	}
}

uint16_t
t9_send(struct t9c *c, struct p9_msg *t)
{
	int tag = p9c_send(c->p, t);

	if (tag < 0)
		fail_msg("send %s: %s", tname(t->type), p9c_error(c->p));
	return (uint16_t)tag;
}

uint16_t
t9_recv(struct t9c *c, struct p9_msg *r)
{
	int tag = p9c_recv(c->p, r);

	if (tag < 0)
		fail_msg("receive: %s", p9c_error(c->p));
	return (uint16_t)tag;
}

int
t9_rpc(struct t9c *c, struct p9_msg *t, struct p9_msg *r)
{
	int rc = p9c_rpc(c->p, t, r);

	if (rc == 0)
		return 0;
	if (r->type != P9_RLERROR || r->rlerror.ecode == 0 || r->rlerror.ecode > INT_MAX)
		fail_msg("%s: %s", tname(t->type), p9c_error(c->p));
	return (int)r->rlerror.ecode;
}

int
t9_send_raw(struct t9c *c, const void *buf, size_t len)
{
	return -p9c_send_raw(c->p, buf, len);
}

bool
t9_wait_closed(struct t9c *c)
{
	return p9c_wait_closed(c->p) == 0;
}

int
t9_attach(struct t9c *c, uint32_t fid, const char *uname, uint32_t n_uname,
    struct p9_qid *qid)
{
	struct p9_msg t = { .type = P9_TATTACH }, r;
	int err;

	t.tattach.fid = fid;
	t.tattach.afid = P9_NOFID;
	t.tattach.uname = (struct p9_str){ uname, (uint16_t)strlen(uname) };
	t.tattach.aname = (struct p9_str){ "", 0 };
	t.tattach.n_uname = n_uname;
	err = t9_rpc(c, &t, &r);
	if (err == 0 && qid != NULL)
		*qid = r.rattach.qid;
	return err;
}

int
t9_walk(struct t9c *c, uint32_t fid, uint32_t newfid, const char *path,
    struct p9_qid *last)
{
	struct p9_msg t = { .type = P9_TWALK }, r;
	char *copy = strdup(path), *save = NULL, *tok;
	int err;

	t.twalk.fid = fid;
	t.twalk.newfid = newfid;
	for (tok = strtok_r(copy, "/", &save); tok != NULL; tok = strtok_r(NULL, "/", &save)) {
		if (t.twalk.wname.n == P9_MAXWELEM)
			fail_msg("path too deep for one walk");
		t.twalk.wname.s[t.twalk.wname.n++] = (struct p9_str){ tok, (uint16_t)strlen(tok) };
	}
	err = t9_rpc(c, &t, &r);
	free(copy);
	if (err != 0)
		return err;
	if (r.rwalk.wqid.n < t.twalk.wname.n)
		return -(int)r.rwalk.wqid.n;
	if (last != NULL && r.rwalk.wqid.n > 0)
		*last = r.rwalk.wqid.q[r.rwalk.wqid.n - 1];
	return 0;
}

int
t9_clunk(struct t9c *c, uint32_t fid)
{
	struct p9_msg t = { .type = P9_TCLUNK }, r;

	t.tclunk.fid = fid;
	return t9_rpc(c, &t, &r);
}

int
t9_lopen(struct t9c *c, uint32_t fid, uint32_t flags, struct p9_qid *qid,
    uint32_t *iounit)
{
	struct p9_msg t = { .type = P9_TLOPEN }, r;
	int err;

	t.tlopen.fid = fid;
	t.tlopen.flags = flags;
	err = t9_rpc(c, &t, &r);
	if (err == 0 && qid != NULL)
		*qid = r.rlopen.qid;
	if (err == 0 && iounit != NULL)
		*iounit = r.rlopen.iounit;
	return err;
}

int
t9_lcreate(struct t9c *c, uint32_t dfid, const char *name, uint32_t flags,
    uint32_t mode, struct p9_qid *qid)
{
	struct p9_msg t = { .type = P9_TLCREATE }, r;
	int err;

	t.tlcreate.fid = dfid;
	t.tlcreate.name = (struct p9_str){ name, (uint16_t)strlen(name) };
	t.tlcreate.flags = flags;
	t.tlcreate.mode = mode;
	t.tlcreate.gid = getgid();
	err = t9_rpc(c, &t, &r);
	if (err == 0 && qid != NULL)
		*qid = r.rlcreate.qid;
	return err;
}

long
t9_read(struct t9c *c, uint32_t fid, uint64_t offset, void *buf, uint32_t count)
{
	struct p9_msg t = { .type = P9_TREAD }, r;
	int err;

	t.tread.fid = fid;
	t.tread.offset = offset;
	t.tread.count = count;
	err = t9_rpc(c, &t, &r);
	if (err != 0)
		return -err;
	if (r.rread.data.len > count)
		fail_msg("Rread returned %u bytes for a count of %u", r.rread.data.len, count);
	if (r.rread.data.len > 0)
		memcpy(buf, r.rread.data.ptr, r.rread.data.len);
	return r.rread.data.len;
}

long
t9_write(struct t9c *c, uint32_t fid, uint64_t offset, const void *buf, uint32_t count)
{
	struct p9_msg t = { .type = P9_TWRITE }, r;
	int err;

	t.twrite.fid = fid;
	t.twrite.offset = offset;
	t.twrite.data = (struct p9_data){ buf, count };
	err = t9_rpc(c, &t, &r);
	return err != 0 ? -err : (long)r.rwrite.count;
}

int
t9_getattr(struct t9c *c, uint32_t fid, uint64_t mask, struct p9_rgetattr *out)
{
	struct p9_msg t = { .type = P9_TGETATTR }, r;
	int err;

	t.tgetattr.fid = fid;
	t.tgetattr.request_mask = mask;
	err = t9_rpc(c, &t, &r);
	if (err == 0 && out != NULL)
		*out = r.rgetattr;
	return err;
}

int
t9_mkdir(struct t9c *c, uint32_t dfid, const char *name, uint32_t mode, struct p9_qid *qid)
{
	struct p9_msg t = { .type = P9_TMKDIR }, r;
	int err;

	t.tmkdir.dfid = dfid;
	t.tmkdir.name = (struct p9_str){ name, (uint16_t)strlen(name) };
	t.tmkdir.mode = mode;
	t.tmkdir.gid = getgid();
	err = t9_rpc(c, &t, &r);
	if (err == 0 && qid != NULL)
		*qid = r.rmkdir.qid;
	return err;
}

void
t9_write_file(const char *path, const char *content)
{
	FILE *f = fopen(path, "w");

	if (f == NULL)
		fail_msg("create %s: %s", path, strerror(errno));
	fputs(content, f);
	fclose(f);
}

char *
t9_read_file(const char *path)
{
	FILE *f = fopen(path, "r");
	char *buf;
	long n;

	if (f == NULL)
		return NULL;
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	fseek(f, 0, SEEK_SET);
	buf = malloc((size_t)n + 1);
	if (buf == NULL || fread(buf, 1, (size_t)n, f) != (size_t)n)
		fail_msg("read %s", path);
	buf[n] = '\0';
	fclose(f);
	return buf;
}
