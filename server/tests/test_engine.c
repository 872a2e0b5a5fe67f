/*
 * The engine without process globals: two servers in one process, each
 * with its own export, options, loop, pool and root, served at the same
 * time over socket pairs, stopped two ways (p9srv_stop, and the last
 * connection ending), freed, and a third made on an export already served.
 * Only the public API (p9srv.h, p9srv_posix.h) is used, as an embedder would
 * (and, from lib9p's internal p9_loop.h and the POSIX backend's posix.h,
 * the constant that test_gather_early expects and the rules that
 * test_spin_rule and test_atime_rule check).
 * Under AddressSanitizer, LeakSanitizer checks at exit that starting,
 * stopping and freeing left nothing behind.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <netinet/in.h>
#include <sys/fsuid.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <time.h>

#include <cmocka.h>

#include "p9srv.h"
#include "p9srv_posix.h"
#include "t9.h"
#include "p9_loop.h"	/* P9_LOOP_REPLIES_PER_WRITE, p9_spin_warm */
#include "posix.h"	/* px_atime_due */

struct one {
	struct p9srv	*s;
	struct posix_fs	*fs;
	pthread_t	 thread;
	struct t9c	 c;
};

static char base[64];

static void *
run(void *arg)
{
	struct p9srv *s = arg;

	if (p9srv_run(s) != 0)
		abort();
	return NULL;
}

/* Set up, start on one socket pair and connect (attach as fid 0). */
static void
start(struct one *o, const char *export, bool readonly, unsigned threads, unsigned max_fids)
{
	struct p9srv_config cfg;
	char why[256];
	int sv[2];

	p9srv_config_defaults(&cfg);
	cfg.readonly = readonly;
	cfg.threads = threads;
	cfg.max_fids = max_fids;
	cfg.debug = getenv("T9_DEBUG") != NULL;
	o->fs = posix_new(export, why, sizeof(why));
	if (o->fs == NULL)
		fail_msg("posix_new: %s", why);
	o->s = p9srv_new(&cfg, &posix_backend, o->fs, why, sizeof(why));
	if (o->s == NULL)
		fail_msg("p9srv_new: %s", why);
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
	assert_int_equal(p9srv_serve_fd(o->s, sv[0], sv[0]), 0);
	assert_int_equal(pthread_create(&o->thread, NULL, run, o->s), 0);
	t9_connect_fd(&o->c, sv[1], 0);
	assert_int_equal(t9_attach(&o->c, 0, "", (uint32_t)geteuid(), NULL), 0);
}

/* Stop on request (the client still connected), free, disconnect. */
static void
stop(struct one *o)
{
	p9srv_stop(o->s);
	assert_int_equal(pthread_join(o->thread, NULL), 0);
	p9srv_free(o->s);
	posix_free(o->fs);
	t9_close(&o->c);
}

static void
read_is(struct t9c *c, uint32_t fid, const char *path, const char *want)
{
	char buf[64];
	long n;

	assert_int_equal(t9_walk(c, 0, fid, path, NULL), 0);
	assert_int_equal(t9_lopen(c, fid, 0, NULL, NULL), 0);
	n = t9_read(c, fid, 0, buf, sizeof(buf));
	assert_int_equal(n, (long)strlen(want));
	assert_memory_equal(buf, want, (size_t)n);
	assert_int_equal(t9_clunk(c, fid), 0);
}

static int
rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st; (void)flag; (void)ftw;
	return remove(path);
}

static void
test_two_servers(void **state)
{
	struct one *a = calloc(1, sizeof(*a)), *b = calloc(1, sizeof(*b));
	char ea[128], eb[128], path[160];
	uint32_t i;
	int err;

	(void)state;
	assert_non_null(a);
	assert_non_null(b);
	snprintf(base, sizeof(base), "/tmp/t9e.XXXXXX");
	assert_non_null(mkdtemp(base));
	snprintf(ea, sizeof(ea), "%s/a", base);
	snprintf(eb, sizeof(eb), "%s/b", base);
	assert_int_equal(mkdir(ea, 0755), 0);
	assert_int_equal(mkdir(eb, 0755), 0);
	snprintf(path, sizeof(path), "%s/only-a", ea);
	t9_write_file(path, "AAA");
	snprintf(path, sizeof(path), "%s/only-b", eb);
	t9_write_file(path, "BB");

	/* A: read-only, 2 threads, many fids; B: read-write, 3 threads, 4 fids. */
	start(a, ea, true, 2, 1000);
	start(b, eb, false, 3, 4);

	/* Each serves its own export, and only it. */
	read_is(&a->c, 1, "only-a", "AAA");
	read_is(&b->c, 1, "only-b", "BB");
	assert_int_equal(t9_walk(&a->c, 0, 2, "only-b", NULL), ENOENT);
	assert_int_equal(t9_walk(&b->c, 0, 2, "only-a", NULL), ENOENT);

	/* Each with its own options: A refuses to create, B creates. */
	assert_int_equal(t9_lcreate(&a->c, 0, "new", 0 /* O_RDONLY */, 0644, NULL), EROFS);
	assert_int_equal(t9_walk(&b->c, 0, 3, "", NULL), 0);
	assert_int_equal(t9_lcreate(&b->c, 3, "new", 1 /* O_WRONLY */, 0644, NULL), 0);
	assert_int_equal(t9_write(&b->c, 3, 0, "made", 4), 4);
	assert_int_equal(t9_clunk(&b->c, 3), 0);
	snprintf(path, sizeof(path), "%s/new", eb);
	assert_int_equal(access(path, F_OK), 0);
	snprintf(path, sizeof(path), "%s/new", ea);
	assert_int_equal(access(path, F_OK), -1);
	/* B's --max-fids 4: attach + 3 more, then EMFILE; A goes on. */
	for (i = 10; i < 13; i++)
		assert_int_equal(t9_walk(&b->c, 0, i, "", NULL), 0);
	assert_int_equal(t9_walk(&b->c, 0, 13, "", NULL), EMFILE);
	assert_int_equal(t9_clunk(&b->c, 12), 0);
	for (i = 10; i < 20; i++)
		assert_int_equal(t9_walk(&a->c, 0, i, "", NULL), 0);

	/* A stops on request with its client still connected; B's loop
	 * ends by itself when its only connection does. */
	p9srv_stop(a->s);
	assert_int_equal(pthread_join(a->thread, NULL), 0);
	read_is(&b->c, 1, "new", "made");	/* B still serves */
	t9_close(&b->c);
	assert_int_equal(pthread_join(b->thread, NULL), 0);
	/* The connection counts until its last reference goes (a worker may
	 * drop it just after the loop returned): bounded wait for 0. */
	for (i = 0; p9srv_conns(b->s) != 0 && i < 10000; i++) {
		struct timespec ms = { 0, 1000000 };

		nanosleep(&ms, NULL);
	}
	assert_int_equal(p9srv_conns(b->s), 0);
	p9srv_free(b->s);
	posix_free(b->fs);
	p9srv_free(a->s);	/* with its client still connected */
	posix_free(a->fs);
	t9_close(&a->c);

	/* A new server on B's export, after the others were freed, with no
	 * worker threads: every request runs on its loop thread. */
	start(a, eb, false, 0, 16);
	read_is(&a->c, 1, "new", "made");
	err = t9_walk(&a->c, 0, 2, "only-a", NULL);
	assert_int_equal(err, ENOENT);
	stop(a);

	free(a);
	free(b);
	nftw(base, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

/*
 * A backend of its own, "gate": files are empty, Tgetattr waits at a gate
 * the test opens, and the backend counts what it was asked. It shows what
 * the engine guarantees a backend: a request flushed while still queued
 * never reaches it, and an operation marked never-blocking runs on the
 * loop thread.
 */
struct gate {
	pthread_mutex_t	 mu;
	pthread_cond_t	 cv;
	bool		 open;		/* Tgetattr may return */
	int		 getattrs;	/* Tgetattr callbacks entered */
	int		 files;		/* files alive */
	pthread_t	 walker;	/* the thread walk1 ran on last */
	int		 walk_cpu;	/* the CPU it ran on */
	int		 walk_ncpus;	/* the CPUs that thread may run on */
	uid_t		 walk_fsuid;	/* its file-system uid then */
	pthread_t	 reader;	/* the thread read ran on last */
	int		 deferred;	/* reads that returned P9SRV_BLOCKS */
	int		 splice_fd;	/* splice_read's file */
	long		 spliced;	/* what p9srv_reply_fd said last */
	uid_t		 attach_uid;	/* p9srv_req_cred at Tattach */
	pthread_t	 opener;	/* the thread lopen ran on last */
	pthread_t	 openers[8];	/* ... and on each call (n-th at n % 8) */
	int		 opens;
	int		 slow_us;	/* lopen's next call takes this long (once) */
};

static void *
gate_file(struct gate *g)
{
	pthread_mutex_lock(&g->mu);
	g->files++;
	pthread_mutex_unlock(&g->mu);
	return g;
}

static int
gate_attach(struct p9srv_req *r, const struct p9_tattach *in, void **root, struct p9_qid *qid)
{
	struct gate *g = p9srv_ctx(p9srv_req_server(r));

	(void)in;
	pthread_mutex_lock(&g->mu);
	g->attach_uid = p9srv_req_cred(r)->uid;
	pthread_mutex_unlock(&g->mu);
	*root = gate_file(g);
	*qid = (struct p9_qid){ .type = P9_QTDIR, .path = 1 };
	return 0;
}

static int
gate_walk1(struct p9srv_req *r, void *dir, const char *name, void **next, struct p9_qid *qid)
{
	struct gate *g = dir;
	cpu_set_t set;

	(void)r;
	if (sched_getaffinity(0, sizeof(set), &set) != 0)
		CPU_ZERO(&set);
	pthread_mutex_lock(&g->mu);
	g->walker = pthread_self();
	g->walk_cpu = sched_getcpu();
	g->walk_ncpus = CPU_COUNT(&set);
	g->walk_fsuid = (uid_t)setfsuid((uid_t)-1);	/* -1: only asks */
	pthread_mutex_unlock(&g->mu);
	if (strcmp(name, "f") != 0)
		return ENOENT;
	*next = gate_file(g);
	*qid = (struct p9_qid){ .type = P9_QTFILE, .path = 2 };
	return 0;
}

static void *
gate_clone(struct p9srv_req *r, void *file)
{
	(void)r;
	return gate_file(file);
}

static void
gate_release(void *file)
{
	struct gate *g = file;

	pthread_mutex_lock(&g->mu);
	g->files--;
	pthread_mutex_unlock(&g->mu);
}

static int
gate_getattr(struct p9srv_req *r, void *file, const struct p9_tgetattr *in,
    struct p9_rgetattr *out)
{
	struct gate *g = file;

	(void)r; (void)in;
	pthread_mutex_lock(&g->mu);
	g->getattrs++;
	pthread_cond_broadcast(&g->cv);
	while (!g->open)
		pthread_cond_wait(&g->cv, &g->mu);
	pthread_mutex_unlock(&g->mu);
	out->valid = P9_GETATTR_BASIC;
	out->qid = (struct p9_qid){ .type = P9_QTFILE, .path = 2 };
	out->mode = 0100644;
	return 0;
}

static int
gate_lopen(struct p9srv_req *r, void *file, const struct p9_tlopen *in, struct p9_rlopen *out)
{
	struct gate *g = file;
	int slow;

	(void)r; (void)in;
	pthread_mutex_lock(&g->mu);
	g->opener = pthread_self();
	g->openers[g->opens++ % 8] = g->opener;
	slow = g->slow_us;
	g->slow_us = 0;
	pthread_mutex_unlock(&g->mu);
	if (slow > 0) {
		struct timespec ts = { 0, (long)slow * 1000 };

		nanosleep(&ts, NULL);	/* a call that took long: the point here */
	}
	out->qid = (struct p9_qid){ .type = P9_QTFILE, .path = 2 };
	return 0;
}

/* A read that "would block" on the loop thread: the engine runs it again
 * on a worker. */
static int
gate_read(struct p9srv_req *r, void *file, const struct p9_tread *in, struct p9_rread *out)
{
	struct gate *g = file;
	uint32_t room;
	uint8_t *buf = p9srv_req_rdata(r, &room);

	(void)in;
	pthread_mutex_lock(&g->mu);
	if (p9srv_req_can_defer(r)) {
		g->deferred++;
		pthread_mutex_unlock(&g->mu);
		return P9SRV_BLOCKS;
	}
	g->reader = pthread_self();
	pthread_mutex_unlock(&g->mu);
	assert_true(room >= 4);
	memcpy(buf, "gate", 4);
	out->data = (struct p9_data){ buf, 4 };
	return 0;
}

/* Read what the backend recorded (under its lock: the callbacks ran on
 * the server's threads). */
#define GATE_GET(g, field) \
	__extension__({ __typeof__((g)->field) v_; pthread_mutex_lock(&(g)->mu); \
	v_ = (g)->field; pthread_mutex_unlock(&(g)->mu); v_; })

/* A gate, its gate open or shut; gate_end checks that every file the
 * backend made was released (the server is freed by then). */
static void
gate_begin(struct gate *g, bool open)
{
	*g = (struct gate){ .open = open };
	pthread_mutex_init(&g->mu, NULL);
	pthread_cond_init(&g->cv, NULL);
}

static void
gate_end(struct gate *g)
{
	assert_int_equal(g->files, 0);
	pthread_cond_destroy(&g->cv);
	pthread_mutex_destroy(&g->mu);
}

/* Open the gate: the Tgetattrs waiting at it return. */
static void
gate_open(struct gate *g)
{
	pthread_mutex_lock(&g->mu);
	g->open = true;
	pthread_cond_broadcast(&g->cv);
	pthread_mutex_unlock(&g->mu);
}

/* Wait (bounded) until the backend entered n Tgetattr callbacks. */
static void
gate_wait_entered(struct gate *g, int n)
{
	struct timespec until;
	int entered;

	clock_gettime(CLOCK_REALTIME, &until);
	until.tv_sec += T9_TIMEOUT_MS / 1000;
	pthread_mutex_lock(&g->mu);
	while (g->getattrs < n)
		if (pthread_cond_timedwait(&g->cv, &g->mu, &until) != 0)
			break;
	entered = g->getattrs;
	pthread_mutex_unlock(&g->mu);
	assert_int_equal(entered, n);
}

/* The gate backend's table (tests add nonblock bits to their copy). */
static const struct p9srv_backend gate_backend = {
	.name = "gate",
	.attach = gate_attach,
	.walk1 = gate_walk1,
	.clone = gate_clone,
	.release = gate_release,
	.getattr = gate_getattr,
	.lopen = gate_lopen,
	.read = gate_read,
};

/* A socket pair whose end sv[0] s serves; sv[1] is the client's. */
static void
serve_pair(struct p9srv *s, int sv[2])
{
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
	assert_int_equal(p9srv_serve_fd(s, sv[0], sv[0]), 0);
}

/* Connect c on the client's end fd and attach fid 0 as ourselves. */
static void
connect_attach(struct t9c *c, int fd)
{
	t9_connect_fd(c, fd, 0);
	assert_int_equal(t9_attach(c, 0, "", (uint32_t)geteuid(), NULL), 0);
}

/* Start a gate server with cfg on n socket pairs (served before the
 * loop runs, as p9srv_serve_fd asks); connect and attach each of c[n]. */
static struct p9srv *
gate_start_n(struct gate *g, struct p9srv_backend *be, struct p9srv_config *cfg,
    pthread_t *loop, struct t9c *c, int n)
{
	struct p9srv *s;
	char why[256];
	int sv[4][2], i;

	assert_true(n >= 1 && n <= 4);
	s = p9srv_new(cfg, be, g, why, sizeof(why));
	if (s == NULL)
		fail_msg("p9srv_new: %s", why);
	for (i = 0; i < n; i++)
		serve_pair(s, sv[i]);
	assert_int_equal(pthread_create(loop, NULL, run, s), 0);
	for (i = 0; i < n; i++)
		connect_attach(&c[i], sv[i][1]);
	return s;
}

/* One connection. */
static struct p9srv *
gate_start(struct gate *g, struct p9srv_backend *be, struct p9srv_config *cfg,
    pthread_t *loop, struct t9c *c)
{
	return gate_start_n(g, be, cfg, loop, c, 1);
}

/* gate_start's undoing: close, stop, join the loop, free. */
static void
gate_stop(struct gate *g, struct p9srv *s, pthread_t loop, struct t9c *c)
{
	t9_close(c);
	p9srv_stop(s);
	assert_int_equal(pthread_join(loop, NULL), 0);
	p9srv_free(s);
	gate_end(g);
}

static void
test_flush_queued_never_runs(void **state)
{
	struct gate g;
	struct p9srv_backend be = gate_backend;
	struct p9srv_config cfg;
	struct p9_msg t, rep;
	struct p9srv *s;
	pthread_t loop;
	struct t9c c;
	uint16_t ta, tb, tf, tag;
	int i;

	(void)state;
	gate_begin(&g, false);
	p9srv_backend_nonblock(&be, P9_TWALK);	/* walk1 runs on the loop thread */
	p9srv_backend_nonblock(&be, P9_TREAD);	/* and read tries to */
	p9srv_config_defaults(&cfg);
	cfg.threads = 1;	/* one worker: a second Tgetattr waits in the queue */
	s = gate_start(&g, &be, &cfg, &loop, &c);
	/* Root maps the attaching user (n_uname), anyone else serves as
	 * itself: the same uid either way here. */
	assert_int_equal(GATE_GET(&g, attach_uid), geteuid());
	assert_int_equal(t9_walk(&c, 0, 1, "f", NULL), 0);
	assert_true(pthread_equal(GATE_GET(&g, walker), loop));
	assert_int_equal(t9_walk(&c, 0, 2, "nothing", NULL), ENOENT);

	/* A runs and waits at the gate; B is queued behind it. */
	t = (struct p9_msg){ .type = P9_TGETATTR };
	t.tgetattr.fid = 1;
	t.tgetattr.request_mask = P9_GETATTR_BASIC;
	ta = t9_send(&c, &t);
	gate_wait_entered(&g, 1);
	tb = t9_send(&c, &t);
	/* Flush B: answered at once, while A still holds the only worker. */
	t = (struct p9_msg){ .type = P9_TFLUSH };
	t.tflush.oldtag = tb;
	tf = t9_send(&c, &t);
	tag = t9_recv(&c, &rep);
	assert_int_equal(tag, tf);
	assert_int_equal(rep.type, P9_RFLUSH);
	/* Open the gate: A's reply, and nothing for B. */
	gate_open(&g);
	tag = t9_recv(&c, &rep);
	assert_int_equal(tag, ta);
	assert_int_equal(rep.type, P9_RGETATTR);
	/* A later request goes through: the backend saw A and it, never B. */
	t = (struct p9_msg){ .type = P9_TGETATTR };
	t.tgetattr.fid = 1;
	t.tgetattr.request_mask = P9_GETATTR_BASIC;
	assert_int_equal(t9_rpc(&c, &t, &rep), 0);
	pthread_mutex_lock(&g.mu);
	i = g.getattrs;
	pthread_mutex_unlock(&g.mu);
	assert_int_equal(i, 2);

	/* A read that would block on the loop runs again on the worker. */
	{
		char buf[8];

		assert_int_equal(t9_lopen(&c, 1, P9_DOTL_RDONLY, NULL, NULL), 0);
		assert_int_equal(t9_read(&c, 1, 0, buf, sizeof(buf)), 4);
		assert_memory_equal(buf, "gate", 4);
		assert_int_equal(GATE_GET(&g, deferred), 1);
		assert_false(pthread_equal(GATE_GET(&g, reader), loop));
	}

	/* A callback the backend leaves unset answers EOPNOTSUPP. */
	t = (struct p9_msg){ .type = P9_TREADLINK };
	t.treadlink.fid = 1;
	assert_int_equal(t9_rpc(&c, &t, &rep), EOPNOTSUPP);

	t9_close(&c);
	assert_int_equal(pthread_join(loop, NULL), 0);
	p9srv_free(s);
	gate_end(&g);	/* every file the backend made was released */
}

/*
 * cfg.active: with one worker woken at a time, a request queued behind
 * one that blocks in the backend is not left waiting for it: when no
 * queued request was taken for a millisecond, the pool wakes one more
 * worker (never sooner: the push alone does not).
 */
static void
test_stalled_workers(void **state)
{
	struct gate g;
	struct p9srv_backend be = gate_backend;
	struct p9srv_config cfg;
	struct p9_msg t, rep;
	struct p9srv *s;
	pthread_t loop;
	struct t9c c;
	uint16_t ta, tb, tag1, tag2;
	struct timespec t0, t1;
	long us;

	(void)state;
	gate_begin(&g, false);
	p9srv_config_defaults(&cfg);
	cfg.threads = 2;
	cfg.active = 1;
	s = gate_start(&g, &be, &cfg, &loop, &c);
	assert_int_equal(t9_walk(&c, 0, 1, "f", NULL), 0);
	t = (struct p9_msg){ .type = P9_TGETATTR };
	t.tgetattr.fid = 1;
	t.tgetattr.request_mask = P9_GETATTR_BASIC;
	ta = t9_send(&c, &t);
	gate_wait_entered(&g, 1);	/* A holds the one active worker */
	clock_gettime(CLOCK_MONOTONIC, &t0);
	tb = t9_send(&c, &t);
	gate_wait_entered(&g, 2);	/* B ran on the second worker ... */
	clock_gettime(CLOCK_MONOTONIC, &t1);
	us = (t1.tv_sec - t0.tv_sec) * 1000000L + (t1.tv_nsec - t0.tv_nsec) / 1000;
	assert_true(us >= 1000);	/* ... woken by the stall, not by the push */
	gate_open(&g);
	tag1 = t9_recv(&c, &rep);
	assert_int_equal(rep.type, P9_RGETATTR);
	tag2 = t9_recv(&c, &rep);
	assert_int_equal(rep.type, P9_RGETATTR);
	assert_true((tag1 == ta && tag2 == tb) || (tag1 == tb && tag2 == ta));
	gate_stop(&g, s, loop, &c);
}

/*
 * p9srv_poll drives a server with no threads of its own from the test's
 * thread: every callback runs there, p9srv_fd polls readable exactly when
 * there is work, replies come only when the test polls, and the server
 * says P9SRV_DONE when its last connection is over, or after p9srv_stop.
 */
static size_t
put_msg(uint8_t *buf, size_t off, size_t cap, struct p9_msg *m)
{
	long n = p9_msg_encode(m, buf + off, cap - off);

	assert_true(n > 0);
	return off + (size_t)n;
}

/* Tversion (msize 8192) and Tattach of fid 0 as n_uname (tag 1), put
 * after buf[0..off): a session's start in one write. */
static size_t
put_start(uint8_t *buf, size_t off, size_t cap, uint32_t n_uname)
{
	struct p9_msg t = { .type = P9_TVERSION, .tag = P9_NOTAG };

	t.tversion.msize = 8192;
	t.tversion.version = (struct p9_str){ P9_VERSION_L, 8 };
	off = put_msg(buf, off, cap, &t);
	t = (struct p9_msg){ .type = P9_TATTACH, .tag = 1 };
	t.tattach.afid = P9_NOFID;
	t.tattach.n_uname = n_uname;
	return put_msg(buf, off, cap, &t);
}

static bool
fd_readable(int fd)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };

	return poll(&p, 1, 0) == 1 && (p.revents & POLLIN) != 0;
}

static void
test_poll_single_thread(void **state)
{
	struct gate g;
	struct p9srv_backend be = gate_backend;
	struct p9srv_config cfg;
	struct p9srv *s;
	struct p9_msg t, r;
	uint8_t buf[4096];
	size_t len = 0, off, need;
	char why[256];
	int sv[2], turns, replies = 0;
	ssize_t n;

	(void)state;
	gate_begin(&g, true);
	p9srv_backend_nonblock(&be, P9_TREAD);	/* may defer: not without workers */
	be.flags |= P9SRV_BACKEND_CREDS;	/* callbacks run as the user */
	p9srv_config_defaults(&cfg);
	cfg.threads = 0;
	s = p9srv_new(&cfg, &be, &g, why, sizeof(why));
	if (s == NULL)
		fail_msg("p9srv_new: %s", why);
	assert_true(p9srv_fd(s) >= 0);
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
	assert_int_equal(p9srv_serve_fd(s, sv[0], sv[0]), 0);
	/* Nothing sent: nothing to do. */
	assert_false(fd_readable(p9srv_fd(s)));
	assert_int_equal(p9srv_poll(s, 0), 0);

	/* A whole session in one write: version, attach, walk, getattr,
	 * open, read (which would defer, but there is no worker). */
	len = put_start(buf, len, sizeof(buf), geteuid() == 0 ? 12345 : (uint32_t)geteuid());
	t = (struct p9_msg){ .type = P9_TWALK, .tag = 2 };
	t.twalk.newfid = 1;
	t.twalk.wname.n = 1;
	t.twalk.wname.s[0] = (struct p9_str){ "f", 1 };
	len = put_msg(buf, len, sizeof(buf), &t);
	t = (struct p9_msg){ .type = P9_TGETATTR, .tag = 3 };
	t.tgetattr.fid = 1;
	t.tgetattr.request_mask = P9_GETATTR_BASIC;
	len = put_msg(buf, len, sizeof(buf), &t);
	t = (struct p9_msg){ .type = P9_TLOPEN, .tag = 4 };
	t.tlopen.fid = 1;
	len = put_msg(buf, len, sizeof(buf), &t);
	t = (struct p9_msg){ .type = P9_TREAD, .tag = 5 };
	t.tread.fid = 1;
	t.tread.count = 100;
	len = put_msg(buf, len, sizeof(buf), &t);
	t9_write_all(sv[1], buf, len);

	/* Nothing answers until the test polls; then everything does. */
	assert_false(fd_readable(sv[1]));
	assert_true(fd_readable(p9srv_fd(s)));
	for (turns = 0; turns < 100 && p9srv_poll(s, 0) > 0; turns++)
		continue;
	assert_true(turns >= 1 && turns < 100);
	assert_false(fd_readable(p9srv_fd(s)));
	assert_int_equal(GATE_GET(&g, getattrs), 1);
	assert_int_equal(GATE_GET(&g, deferred), 0);
	assert_true(pthread_equal(GATE_GET(&g, walker), pthread_self()));
	assert_true(pthread_equal(GATE_GET(&g, reader), pthread_self()));
	/* The walk ran as the attaching user (root maps n_uname); the
	 * thread is back to its own identity once p9srv_poll returned. */
	assert_int_equal(GATE_GET(&g, walk_fsuid), geteuid() == 0 ? 12345 : geteuid());
	assert_int_equal(setfsuid((uid_t)-1), (int)geteuid());
	len = 0;
	while ((n = recv(sv[1], buf + len, sizeof(buf) - len, MSG_DONTWAIT)) > 0)
		len += (size_t)n;
	/* Every reply, in order (one thread ran them in order). */
	for (off = 0; off < len; off += need) {
		static const uint8_t want[] = { P9_RVERSION, P9_RATTACH, P9_RWALK,
			P9_RGETATTR, P9_RLOPEN, P9_RREAD };

		assert_int_equal(p9_frame_need(buf + off, len - off, 8192, &need), 0);
		assert_true(need <= len - off);
		assert_int_equal(p9_msg_decode(buf + off, need, &r), 0);
		assert_true(replies < 6);
		assert_int_equal(r.type, want[replies]);
		replies++;
		if (r.type == P9_RREAD)
			assert_memory_equal(r.rread.data.ptr, "gate", 4);
	}
	assert_int_equal(off, len);
	assert_int_equal(replies, 6);

	/* The client goes: the server lets go of everything and is done. */
	close(sv[1]);
	for (turns = 0; turns < 100 && p9srv_poll(s, 0) != P9SRV_DONE; turns++)
		continue;
	assert_true(turns < 100);
	assert_int_equal(p9srv_conns(s), 0);
	assert_int_equal(GATE_GET(&g, files), 0);
	p9srv_free(s);

	/* p9srv_stop ends polling too, with a connection still open. */
	s = p9srv_new(&cfg, &be, &g, why, sizeof(why));
	assert_non_null(s);
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
	assert_int_equal(p9srv_serve_fd(s, sv[0], sv[0]), 0);
	p9srv_stop(s);
	assert_int_equal(p9srv_poll(s, 1000), P9SRV_DONE);
	p9srv_free(s);
	close(sv[1]);
	gate_end(&g);
}

/* Tlopens of fids 1 and 2 (walked here) in one write; both answered,
 * then clunked. */
static void
send_two_lopens(struct t9c *c)
{
	struct p9_msg t[2], r;
	uint8_t buf[64], in[48];
	size_t len = 0, got = 0;
	int i;

	assert_int_equal(t9_walk(c, 0, 1, "f", NULL), 0);
	assert_int_equal(t9_walk(c, 0, 2, "f", NULL), 0);
	for (i = 0; i < 2; i++) {
		long n;

		t[i] = (struct p9_msg){ .type = P9_TLOPEN };
		t[i].tlopen.fid = 1 + (uint32_t)i;
		t[i].tlopen.flags = P9_DOTL_RDONLY;
		t[i].tag = (uint16_t)(100 + i);
		n = p9_msg_encode(&t[i], buf + len, sizeof(buf) - len);
		assert_true(n > 0);
		len += (size_t)n;
	}
	assert_int_equal(t9_send_raw(c, buf, len), 0);
	/* Two Rlopens (each 24 bytes), read off the socket. */
	while (got < sizeof(in)) {
		struct pollfd pfd = { .fd = c->fd, .events = POLLIN };
		ssize_t n;

		assert_int_equal(poll(&pfd, 1, T9_TIMEOUT_MS), 1);
		n = read(c->fd, in + got, sizeof(in) - got);
		assert_true(n > 0);
		got += (size_t)n;
	}
	for (i = 0; i < 2; i++) {
		assert_int_equal(p9_msg_decode(in + 24 * i, 24, &r), 0);
		assert_int_equal(r.type, P9_RLOPEN);
	}
	assert_int_equal(t9_clunk(c, 1), 0);
	assert_int_equal(t9_clunk(c, 2), 0);
}

/*
 * p9srv_backend_quick: a usually-quick callback (here lopen) runs on the
 * loop thread when nothing else is ready there; when other requests came
 * with it, on the loop too while its type's calls there were short (a
 * fast lopen), on a worker once they took longer (lopens of 200 us:
 * above the engine's 50 us); one that took longer than
 * P9SRV_QUICK_MAX_US sends its type to the workers for
 * P9SRV_QUICK_BACKOFF_MS.
 */
static void
test_quick(void **state)
{
	struct gate g;
	struct p9srv_backend be = gate_backend;
	struct p9srv_config cfg;
	pthread_t loop;
	struct t9c c;
	struct p9srv *s;
	int i;

	(void)state;
	gate_begin(&g, true);
	assert_false(p9srv_quick(&be, P9_TLOPEN));
	p9srv_backend_quick(&be, P9_TLOPEN);
	assert_true(p9srv_quick(&be, P9_TLOPEN));
	assert_false(p9srv_quick(&be, P9_TLCREATE));
	assert_false(p9srv_nonblocking(&be, P9_TLOPEN));
	p9srv_config_defaults(&cfg);
	cfg.threads = 2;
	s = gate_start(&g, &be, &cfg, &loop, &c);
	/* One at a time: on the loop. 16 of them: one call counts for at
	 * most 2 ms (P9SRV_QUICK_MAX_US, beyond which the backoff would fail
	 * this test anyway), 1/8 of it in the mean, under 50 us after 13. */
	for (i = 0; i < 16; i++) {
		assert_int_equal(t9_walk(&c, 0, 1, "f", NULL), 0);
		assert_int_equal(t9_lopen(&c, 1, P9_DOTL_RDONLY, NULL, NULL), 0);
		assert_true(pthread_equal(GATE_GET(&g, opener), loop));
		assert_int_equal(t9_clunk(&c, 1), 0);
	}
	/* Two fast Tlopens in one write: the first comes with more ready,
	 * and runs on the loop as the second does (calls 17 and 18, at
	 * openers[0] and [1]). */
	send_two_lopens(&c);
	pthread_mutex_lock(&g.mu);
	assert_int_equal(g.opens, 18);
	assert_true(pthread_equal(g.openers[0], loop) && pthread_equal(g.openers[1], loop));
	pthread_mutex_unlock(&g.mu);
	/* Lopens of 200 us, one at a time (on the loop), until their mean
	 * there passes 50 us: 200 * (1 - (7/8)^n) > 50 from n = 3. */
	for (i = 0; i < 3; i++) {
		pthread_mutex_lock(&g.mu);
		g.slow_us = 200;	/* the next call only */
		pthread_mutex_unlock(&g.mu);
		assert_int_equal(t9_walk(&c, 0, 1, "f", NULL), 0);
		assert_int_equal(t9_lopen(&c, 1, P9_DOTL_RDONLY, NULL, NULL), 0);
		assert_true(pthread_equal(GATE_GET(&g, opener), loop));
		assert_int_equal(t9_clunk(&c, 1), 0);
	}
	/* Now the first of two goes to a worker (the last may run here);
	 * calls 22 and 23, at openers[5] and [6]. */
	send_two_lopens(&c);
	pthread_mutex_lock(&g.mu);
	assert_int_equal(g.opens, 23);
	assert_false(pthread_equal(g.openers[5], loop) && pthread_equal(g.openers[6], loop));
	pthread_mutex_unlock(&g.mu);
	/* One slow call (on the loop): then Tlopen goes to the workers. */
	pthread_mutex_lock(&g.mu);
	g.slow_us = P9SRV_QUICK_MAX_US * 3;
	pthread_mutex_unlock(&g.mu);
	assert_int_equal(t9_walk(&c, 0, 1, "f", NULL), 0);
	assert_int_equal(t9_lopen(&c, 1, P9_DOTL_RDONLY, NULL, NULL), 0);
	assert_true(pthread_equal(GATE_GET(&g, opener), loop));
	assert_int_equal(t9_clunk(&c, 1), 0);
	/* The next one, well within the backoff (1 s), runs on a worker. */
	assert_int_equal(t9_walk(&c, 0, 1, "f", NULL), 0);
	assert_int_equal(t9_lopen(&c, 1, P9_DOTL_RDONLY, NULL, NULL), 0);
	assert_false(pthread_equal(GATE_GET(&g, opener), loop));
	assert_int_equal(t9_clunk(&c, 1), 0);
	gate_stop(&g, s, loop, &c);
}

/*
 * A quick call runs on the loop even when other connections are ready in
 * the same turn (each then waits for the one before it, as with never-
 * blocking calls): a hand-off to a worker costs more than the call. The
 * loop is held in a never-blocking Tgetattr of connection a while b and c
 * each send a Tlopen; when the gate opens, one turn finds both ready, and
 * the loop runs both Tlopens itself.
 */
static void
test_quick_others_ready(void **state)
{
	struct gate g;
	struct p9srv_backend be = gate_backend;
	struct p9srv_config cfg;
	struct p9_msg t, rep;
	pthread_t loop;
	struct t9c c[3];	/* a, then b and c */
	struct p9srv *s;
	uint16_t tags[2];
	int i;

	(void)state;
	gate_begin(&g, false);
	p9srv_backend_quick(&be, P9_TLOPEN);
	p9srv_backend_nonblock(&be, P9_TGETATTR);
	p9srv_config_defaults(&cfg);
	cfg.threads = 2;
	cfg.loops = 1;
	s = gate_start_n(&g, &be, &cfg, &loop, c, 3);
	for (i = 1; i < 3; i++)
		assert_int_equal(t9_walk(&c[i], 0, 1, "f", NULL), 0);
	t = (struct p9_msg){ .type = P9_TGETATTR };
	t.tgetattr.request_mask = P9_GETATTR_BASIC;
	(void)t9_send(&c[0], &t);
	gate_wait_entered(&g, 1);	/* the loop is in it */
	for (i = 0; i < 2; i++) {
		t = (struct p9_msg){ .type = P9_TLOPEN };
		t.tlopen.fid = 1;
		t.tlopen.flags = P9_DOTL_RDONLY;
		tags[i] = t9_send(&c[1 + i], &t);
	}
	gate_open(&g);
	(void)t9_recv(&c[0], &rep);
	assert_int_equal(rep.type, P9_RGETATTR);
	for (i = 0; i < 2; i++) {
		assert_int_equal(t9_recv(&c[1 + i], &rep), tags[i]);
		assert_int_equal(rep.type, P9_RLOPEN);
	}
	pthread_mutex_lock(&g.mu);
	assert_int_equal(g.opens, 2);
	assert_true(pthread_equal(g.openers[0], loop));
	assert_true(pthread_equal(g.openers[1], loop));
	pthread_mutex_unlock(&g.mu);
	for (i = 0; i < 2; i++) {
		assert_int_equal(t9_clunk(&c[1 + i], 1), 0);
		t9_close(&c[1 + i]);
	}
	gate_stop(&g, s, loop, &c[0]);
}

/*
 * p9srv_serve_fd while p9srv_run turns the loop: from another thread,
 * with the loop held inside a callback (it turns for sure), the
 * connection is handed over and served once the loop goes on; and with
 * the loop asleep. (Code that added it to the loop's set from this
 * thread passes here too, but ThreadSanitizer reports its races.)
 */
static void
test_serve_running(void **state)
{
	struct gate g;
	struct p9srv_backend be = gate_backend;
	struct p9srv_config cfg;
	struct p9_msg t, rep;
	pthread_t loop;
	struct t9c c[2];
	struct p9srv *s;
	int sv[2];

	(void)state;
	gate_begin(&g, false);
	p9srv_backend_nonblock(&be, P9_TGETATTR);	/* held on the loop thread */
	p9srv_config_defaults(&cfg);
	cfg.threads = 1;
	cfg.loops = 1;
	s = gate_start(&g, &be, &cfg, &loop, &c[0]);
	t = (struct p9_msg){ .type = P9_TGETATTR };
	t.tgetattr.request_mask = P9_GETATTR_BASIC;
	(void)t9_send(&c[0], &t);
	gate_wait_entered(&g, 1);
	serve_pair(s, sv);
	assert_int_equal(p9srv_conns(s), 2);
	gate_open(&g);
	(void)t9_recv(&c[0], &rep);
	assert_int_equal(rep.type, P9_RGETATTR);
	connect_attach(&c[1], sv[1]);
	assert_int_equal(t9_walk(&c[1], 0, 1, "f", NULL), 0);
	assert_int_equal(t9_clunk(&c[1], 1), 0);
	t9_close(&c[1]);
	serve_pair(s, sv);	/* the loop idle now */
	connect_attach(&c[1], sv[1]);
	t9_close(&c[1]);
	gate_stop(&g, s, loop, &c[0]);
}

/*
 * cfg.spin_us: at most P9SRV_SPIN_MAX_US, default P9SRV_SPIN_DEFAULT_US.
 * A loop that spins serves every request, and an idle one stops spinning:
 * after requests, with the longest spin (10 ms), the loop thread uses at
 * most about one spin of CPU time over 300 ms of silence (a loop that
 * kept spinning would use most of them).
 */
static void
test_spin(void **state)
{
	struct gate g;
	struct p9srv_backend be = gate_backend;
	struct p9srv_config cfg;
	struct timespec idle = { 0, 300 * 1000000L }, c0, c1;
	clockid_t cid;
	pthread_t loop;
	struct t9c c;
	struct p9srv *s;
	char why[256];
	long used_ms;
	int i;

	(void)state;
	gate_begin(&g, true);
	p9srv_config_defaults(&cfg);
	assert_int_equal(cfg.spin_us, P9SRV_SPIN_DEFAULT_US);
	cfg.threads = 1;
	cfg.spin_us = P9SRV_SPIN_MAX_US + 1;
	assert_null(p9srv_new(&cfg, &be, &g, why, sizeof(why)));
	assert_non_null(strstr(why, "spin_us at most 10000 (is 10001)"));
	cfg.spin_us = P9SRV_SPIN_MAX_US;
	s = gate_start(&g, &be, &cfg, &loop, &c);
	for (i = 0; i < 50; i++) {
		assert_int_equal(t9_walk(&c, 0, 1, "f", NULL), 0);
		assert_int_equal(t9_clunk(&c, 1), 0);
	}
	assert_int_equal(pthread_getcpuclockid(loop, &cid), 0);
	assert_int_equal(clock_gettime(cid, &c0), 0);
	nanosleep(&idle, NULL);		/* silence: what it measures */
	assert_int_equal(clock_gettime(cid, &c1), 0);
	used_ms = (c1.tv_sec - c0.tv_sec) * 1000 + (c1.tv_nsec - c0.tv_nsec) / 1000000;
	if (used_ms > 60)
		fail_msg("the idle loop used %ld ms of CPU in 300 ms (spin_us 10000)", used_ms);
	/* Cold again, then a burst: still served. */
	for (i = 0; i < 50; i++) {
		assert_int_equal(t9_walk(&c, 0, 1, "f", NULL), 0);
		assert_int_equal(t9_clunk(&c, 1), 0);
	}
	gate_stop(&g, s, loop, &c);
}

/*
 * The busy-polling rule (p9_loop.h, p9_spin_warm): a warm loop stays warm
 * when events came within one spin of the wait's start; a cold one (it
 * slept, its wake-up counted) warms again when they came within
 * P9_SPIN_REWARM spins; a wait with no events, or whose spin gave way to
 * another thread, leaves the loop cold.
 */
static void
test_spin_rule(void **state)
{
	const uint64_t ns = 50000;

	(void)state;
	assert_true(p9_spin_warm(true, false, 1, 0, ns));
	assert_true(p9_spin_warm(true, false, 1, ns - 1, ns));
	assert_false(p9_spin_warm(true, false, 1, ns, ns));	/* the spin found nothing */
	assert_false(p9_spin_warm(true, false, 64, 2 * ns, ns));
	assert_true(p9_spin_warm(false, false, 1, ns, ns));
	assert_true(p9_spin_warm(false, false, 3, P9_SPIN_REWARM * ns - 1, ns));
	assert_false(p9_spin_warm(false, false, 1, P9_SPIN_REWARM * ns, ns));
	assert_false(p9_spin_warm(true, true, 1, 0, ns));
	assert_false(p9_spin_warm(false, true, 1, 0, ns));
	assert_false(p9_spin_warm(true, false, 0, 0, ns));
	assert_false(p9_spin_warm(false, false, 0, ns, ns));
}

/*
 * When a read would make the host write the access time (posix.h,
 * px_atime_due), which the POSIX backend's Tread leaves to a worker: on a
 * relatime mount when the access time is not after the last modification
 * or change, or is a day old; never on noatime; always on strictatime.
 */
static void
test_atime_rule(void **state)
{
	const time_t now = 1800000000;
	struct stat st;

	(void)state;
	memset(&st, 0, sizeof(st));
	st.st_atim.tv_sec = now - 10;
	st.st_mtim.tv_sec = now - 20;
	st.st_ctim.tv_sec = now - 20;
	assert_false(px_atime_due(PX_ATIME_RELATIME, &st, now));
	assert_true(px_atime_due(PX_ATIME_ALWAYS, &st, now));
	st.st_mtim.tv_sec = now - 5;	/* modified since */
	assert_true(px_atime_due(PX_ATIME_RELATIME, &st, now));
	assert_false(px_atime_due(PX_ATIME_NEVER, &st, now));
	st.st_mtim = st.st_atim;	/* in the same tick */
	assert_true(px_atime_due(PX_ATIME_RELATIME, &st, now));
	st.st_atim.tv_nsec = 1;
	assert_false(px_atime_due(PX_ATIME_RELATIME, &st, now));
	st.st_ctim.tv_sec = now - 1;	/* changed since (chmod, link) */
	assert_true(px_atime_due(PX_ATIME_RELATIME, &st, now));
	st.st_ctim.tv_sec = now - 20;
	st.st_atim.tv_sec = now - 24 * 60 * 60 + 1;
	st.st_mtim.tv_sec = st.st_ctim.tv_sec = now - 2 * 24 * 60 * 60;
	assert_false(px_atime_due(PX_ATIME_RELATIME, &st, now));
	st.st_atim.tv_sec = now - 24 * 60 * 60;	/* a day old */
	assert_true(px_atime_due(PX_ATIME_RELATIME, &st, now));
}

/*
 * Replies gathered in one loop turn are written P9_LOOP_REPLIES_PER_WRITE
 * (8) at a time, not all at the end of the turn: the client starts on the
 * first ones while the server runs the rest. A SOCK_SEQPACKET pair keeps
 * the server's writes apart (one record per write): 22 requests in one
 * record come back in records of 8, 8 and 6 replies, in order.
 */
#define GATHER_EARLY	P9_LOOP_REPLIES_PER_WRITE
_Static_assert(2 * GATHER_EARLY < 22 && 22 - 2 * GATHER_EARLY <= GATHER_EARLY,
    "test_gather_early expects three records");

static void
test_gather_early(void **state)
{
	struct gate g;
	struct p9srv_backend be = gate_backend;
	struct p9srv_config cfg;
	struct p9srv *s;
	struct p9_msg t, r;
	uint8_t buf[8192];
	size_t len = 0, off, need;
	char why[256];
	int sv[2], turns, i, records = 0, replies = 0, per[8] = { 0 };
	ssize_t n;

	(void)state;
	gate_begin(&g, true);
	p9srv_config_defaults(&cfg);
	cfg.threads = 0;
	s = p9srv_new(&cfg, &be, &g, why, sizeof(why));
	if (s == NULL)
		fail_msg("p9srv_new: %s", why);
	assert_int_equal(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv), 0);
	assert_int_equal(p9srv_serve_fd(s, sv[0], sv[0]), 0);
	len = put_start(buf, len, sizeof(buf), (uint32_t)geteuid());
	for (i = 0; i < 20; i++) {
		t = (struct p9_msg){ .type = P9_TGETATTR, .tag = (uint16_t)(10 + i) };
		t.tgetattr.fid = 0;
		t.tgetattr.request_mask = P9_GETATTR_BASIC;
		len = put_msg(buf, len, sizeof(buf), &t);
	}
	assert_int_equal(send(sv[1], buf, len, 0), (ssize_t)len);
	for (turns = 0; turns < 100 && p9srv_poll(s, 0) > 0; turns++)
		continue;
	assert_true(turns < 100);
	assert_int_equal(GATE_GET(&g, getattrs), 20);
	while ((n = recv(sv[1], buf, sizeof(buf), MSG_DONTWAIT)) > 0) {
		int in_record = 0;

		for (off = 0; off < (size_t)n; off += need) {
			assert_int_equal(p9_frame_need(buf + off, (size_t)n - off, 8192, &need), 0);
			assert_true(need <= (size_t)n - off);	/* no reply split */
			assert_int_equal(p9_msg_decode(buf + off, need, &r), 0);
			assert_int_equal(r.type, replies == 0 ? P9_RVERSION :
			    replies == 1 ? P9_RATTACH : P9_RGETATTR);
			if (replies >= 2)
				assert_int_equal(r.tag, 10 + replies - 2);
			replies++;
			in_record++;
		}
		assert_true(records < 8);
		per[records++] = in_record;
	}
	assert_int_equal(replies, 22);
	assert_int_equal(records, 3);
	assert_int_equal(per[0], GATHER_EARLY);
	assert_int_equal(per[1], GATHER_EARLY);
	assert_int_equal(per[2], 22 - 2 * GATHER_EARLY);

	close(sv[1]);
	for (turns = 0; turns < 100 && p9srv_poll(s, 0) != P9SRV_DONE; turns++)
		continue;
	assert_true(turns < 100);
	p9srv_free(s);
	gate_end(&g);
}

/*
 * cfg.loops: connections accepted on a listener go to the loops in turn,
 * each loop on a thread of its own, and a nonblock callback runs on its
 * connection's loop: three connections to a server of three loops are
 * served by three different threads, none of them p9srv_run's for the
 * second and third. p9srv_new refuses more than P9SRV_MAX_LOOPS; the
 * default is one per CPU the process may run on.
 */

static void
test_loops(void **state)
{
	struct gate g;
	struct p9srv_backend be = gate_backend;
	struct p9srv_config cfg;
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	socklen_t salen;
	pthread_t loop, seen[3];
	struct t9c c[3];
	struct p9srv *s;
	char why[256];
	cpu_set_t set;
	long ncpu;
	int lfd, i, j;

	(void)state;
	gate_begin(&g, true);
	p9srv_backend_nonblock(&be, P9_TWALK);	/* walk1 runs on the loop */
	p9srv_config_defaults(&cfg);
	/* The default: one loop per CPU this process may run on, 1 to
	 * P9SRV_MAX_LOOPS. */
	assert_int_equal(sched_getaffinity(0, sizeof(set), &set), 0);
	ncpu = CPU_COUNT(&set);
	assert_int_equal(cfg.loops, ncpu < 1 ? 1 : ncpu > P9SRV_MAX_LOOPS ? P9SRV_MAX_LOOPS : ncpu);
	cfg.threads = 1;
	cfg.loops = P9SRV_MAX_LOOPS + 1;
	assert_null(p9srv_new(&cfg, &be, &g, why, sizeof(why)));
	assert_non_null(strstr(why, "loops at most 64 (is 65)"));
	cfg.loops = 3;
	s = p9srv_new(&cfg, &be, &g, why, sizeof(why));
	if (s == NULL)
		fail_msg("p9srv_new: %s", why);
	/* An abstract Unix socket: nothing on disk. */
	snprintf(sa.sun_path + 1, sizeof(sa.sun_path) - 1, "p9srv-loops-%ld", (long)getpid());
	salen = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + 1 + strlen(sa.sun_path + 1));
	lfd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	assert_true(lfd >= 0);
	assert_int_equal(bind(lfd, (struct sockaddr *)&sa, salen), 0);
	assert_int_equal(listen(lfd, 8), 0);
	assert_int_equal(p9srv_listen(s, lfd), 0);
	assert_int_equal(pthread_create(&loop, NULL, run, s), 0);
	for (i = 0; i < 3; i++) {
		int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

		assert_true(fd >= 0);
		assert_int_equal(connect(fd, (struct sockaddr *)&sa, salen), 0);
		t9_connect_fd(&c[i], fd, 0);
		assert_int_equal(t9_attach(&c[i], 0, "", (uint32_t)geteuid(), NULL), 0);
		assert_int_equal(t9_walk(&c[i], 0, 1, "f", NULL), 0);
		seen[i] = GATE_GET(&g, walker);
	}
	assert_true(pthread_equal(seen[0], loop));
	for (i = 0; i < 3; i++)
		for (j = i + 1; j < 3; j++)
			assert_false(pthread_equal(seen[i], seen[j]));
	/* Each connection keeps its loop. */
	for (i = 2; i >= 0; i--) {
		assert_int_equal(t9_walk(&c[i], 0, 2, "f", NULL), 0);
		assert_true(pthread_equal(GATE_GET(&g, walker), seen[i]));
	}
	assert_int_equal(p9srv_conns(s), 3);
	for (i = 0; i < 3; i++)
		t9_close(&c[i]);
	p9srv_stop(s);
	assert_int_equal(pthread_join(loop, NULL), 0);
	p9srv_free(s);
	gate_end(&g);
}

/* p9srv_run on a thread of its own, which also notes the CPUs it may run
 * on before and after: p9srv_run gives back the affinity it pinned. */
struct run_pinned {
	struct p9srv	*s;
	cpu_set_t	 before, after;
};

static void *
run_pinned(void *arg)
{
	struct run_pinned *rp = arg;

	assert_int_equal(sched_getaffinity(0, sizeof(rp->before), &rp->before), 0);
	if (p9srv_run(rp->s) != 0)
		abort();
	assert_int_equal(sched_getaffinity(0, sizeof(rp->after), &rp->after), 0);
	return NULL;
}

/* This thread runs on cpu only (-1: wherever set allows). */
static void
pin_self(int cpu, const cpu_set_t *set)
{
	cpu_set_t one;

	CPU_ZERO(&one);
	if (cpu >= 0)
		CPU_SET(cpu, &one);
	assert_int_equal(sched_setaffinity(0, sizeof(one), cpu >= 0 ? &one : set), 0);
}

/*
 * cfg.pin_loops (the default), with a loop per CPU: loop i runs on the
 * i-th CPU the process may run on, loop 0 only while p9srv_run turns it
 * (the affinity of p9srv_run's caller is the same after as before), and a
 * TCP connection goes to the loop of the CPU it came in on: a client
 * thread pinned to a CPU connects over loopback and its walks run on that
 * CPU's loop, the second CPU's first, the first CPU's (loop 0,
 * p9srv_run's) next, though in turn the first would have gone to loop 0.
 * With a loop fewer than the CPUs, or pin_loops false, no loop is pinned
 * and connections go to the loops in turn: two from one CPU are served
 * by two loops (if there are two). Needs two CPUs, and at most
 * P9SRV_MAX_LOOPS.
 */
static void
test_pin(void **state)
{
	struct gate g;
	struct p9srv_backend be = gate_backend;
	struct p9srv_config cfg;
	struct sockaddr_in sa = { .sin_family = AF_INET };
	socklen_t salen = sizeof(sa);
	struct run_pinned rp;
	cpu_set_t mine;
	pthread_t loop, seen[2];
	struct t9c c[2];
	char why[256];
	int cpus[2], n = 0, cpu, mode, i;

	(void)state;
	assert_int_equal(sched_getaffinity(0, sizeof(mine), &mine), 0);
	for (cpu = 0; cpu < CPU_SETSIZE && n < 2; cpu++)
		if (CPU_ISSET(cpu, &mine))
			cpus[n++] = cpu;
	if (n < 2 || CPU_COUNT(&mine) > P9SRV_MAX_LOOPS) {
		print_message("%d CPUs: no loop per CPU to pin\n", CPU_COUNT(&mine));
		skip();
	}
	/* Mode 0: pinned; 1: pin_loops, but a loop fewer than the CPUs;
	 * 2: pin_loops false. */
	for (mode = 0; mode < 3; mode++) {
		bool pin = mode == 0;
		int lfd;

		gate_begin(&g, true);
		be = gate_backend;
		p9srv_backend_nonblock(&be, P9_TWALK);	/* walk1 runs on the loop */
		p9srv_config_defaults(&cfg);
		assert_true(cfg.pin_loops);
		cfg.pin_loops = mode < 2;
		cfg.threads = 1;
		cfg.loops = (unsigned)CPU_COUNT(&mine) - (mode == 1);
		rp.s = p9srv_new(&cfg, &be, &g, why, sizeof(why));
		if (rp.s == NULL)
			fail_msg("p9srv_new: %s", why);
		sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		sa.sin_port = 0;
		lfd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
		assert_true(lfd >= 0);
		assert_int_equal(bind(lfd, (struct sockaddr *)&sa, sizeof(sa)), 0);
		assert_int_equal(getsockname(lfd, (struct sockaddr *)&sa, &salen), 0);
		assert_int_equal(listen(lfd, 8), 0);
		assert_int_equal(p9srv_listen(rp.s, lfd), 0);
		assert_int_equal(pthread_create(&loop, NULL, run_pinned, &rp), 0);
		for (i = 0; i < 2; i++) {
			/* Pinned: from the second CPU, then the first. */
			int from = pin ? cpus[1 - i] : cpus[0];
			int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

			assert_true(fd >= 0);
			pin_self(from, &mine);
			assert_int_equal(connect(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
			t9_connect_fd(&c[i], fd, 0);
			assert_int_equal(t9_attach(&c[i], 0, "", (uint32_t)geteuid(), NULL), 0);
			assert_int_equal(t9_walk(&c[i], 0, 1, "f", NULL), 0);
			pin_self(-1, &mine);
			seen[i] = GATE_GET(&g, walker);
			if (pin) {
				assert_int_equal(GATE_GET(&g, walk_cpu), from);
				assert_int_equal(GATE_GET(&g, walk_ncpus), 1);
			} else {
				assert_int_equal(GATE_GET(&g, walk_ncpus), CPU_COUNT(&mine));
			}
		}
		/* Pinned, the second connection (from the first CPU) is loop
		 * 0's, p9srv_run's; in turn, the first is. */
		assert_true(pthread_equal(seen[pin ? 1 : 0], loop));
		if (cfg.loops > 1)
			assert_false(pthread_equal(seen[0], seen[1]));
		for (i = 0; i < 2; i++)
			t9_close(&c[i]);
		p9srv_stop(rp.s);
		assert_int_equal(pthread_join(loop, NULL), 0);
		assert_true(CPU_EQUAL(&rp.before, &rp.after));
		assert_true(CPU_EQUAL(&rp.before, &mine));
		p9srv_free(rp.s);
		gate_end(&g);
	}
}

/*
 * p9_loop_place (p9_loop.h), the rule behind pin_loops: the loop of the
 * connection's CPU, the least loaded if several, while it serves fewer
 * than twice the least loaded loop's connections plus two; else the
 * least loaded, the first from next on a tie.
 */
static void
test_place_rule(void **state)
{
	const int cpus[3] = { 4, 7, 4 }, none[3] = { -1, -1, -1 };
	const unsigned zero[3] = { 0, 0, 0 }, some[3] = { 5, 2, 3 }, many[3] = { 6, 2, 9 };
	const unsigned near[3] = { 2, 5, 9 };

	(void)state;
	assert_int_equal(p9_loop_place(cpus, zero, 3, 7, 0), 1);
	assert_int_equal(p9_loop_place(cpus, zero, 3, 4, 1), 2);	/* CPU 4's first from next */
	assert_int_equal(p9_loop_place(cpus, some, 3, 4, 0), 2);	/* its least loaded */
	assert_int_equal(p9_loop_place(cpus, many, 3, 4, 0), 1);	/* 6 < 2 * 2 + 2: no */
	assert_int_equal(p9_loop_place(cpus, near, 3, 7, 0), 1);	/* 5 < 2 * 2 + 2 */
	assert_int_equal(p9_loop_place(cpus, zero, 3, 5, 2), 2);	/* no loop on CPU 5: in turn */
	assert_int_equal(p9_loop_place(cpus, zero, 3, -1, 4), 1);
	assert_int_equal(p9_loop_place(none, zero, 3, 4, 0), 0);	/* nothing pinned */
	assert_int_equal(p9_loop_place(none, some, 3, 4, 0), 1);
	assert_int_equal(p9_loop_place(cpus, zero, 1, 7, 3), 0);
}

/* Can this process have an io_uring at all? (Kernels refuse it when too
 * old, or by /proc/sys/kernel/io_uring_disabled, or seccomp.) */
static bool
kernel_has_uring(void)
{
#ifdef SYS_io_uring_setup
	uint8_t params[120] = { 0 };	/* struct io_uring_params */
	long fd = syscall(SYS_io_uring_setup, 2, params);

	if (fd >= 0)
		close((int)fd);
	return fd >= 0;
#else
	return false;
#endif
}

/*
 * cfg.io: each engine serves the same session: a file written in frames
 * larger than the engine's read buffer (read straight into their request)
 * and read back whole, 32 requests in flight at once, a connection that
 * leaves in the middle of a large frame, and one that is still in the
 * middle of one when the server stops (with io_uring a read is still
 * submitted into that frame: the frame may go only once the read is
 * cancelled, which ASan checks). p9srv_io_name says which engine runs:
 * io_uring when asked for and the build and the kernel have it.
 */
static void
test_io_engines(void **state)
{
	static const unsigned ios[] = { P9SRV_IO_EPOLL, P9SRV_IO_URING };
	static const char *const names[] = { "epoll", "io_uring" };
	enum { BIG = 200 * 1024, SPL = 768 * 1024, NSPL = 8 };
	uint8_t *data = malloc(SPL), *back = malloc(SPL);
	char dir[64];
	unsigned k;

	(void)state;
	assert_non_null(data);
	assert_non_null(back);
	for (k = 0; k < SPL; k++)
		data[k] = (uint8_t)(k * 2654435761u >> 13);
	snprintf(dir, sizeof(dir), "/tmp/t9io.XXXXXX");
	assert_non_null(mkdtemp(dir));
	for (k = 0; k < 2; k++) {
		struct p9srv_config cfg;
		struct posix_fs *fs;
		struct p9srv *s;
		struct t9c c, q, q2;
		struct p9_msg t, r;
		pthread_t thread;
		uint16_t tags[32];
		char why[256], name[32];
		size_t off;
		long n;
		int sv[2], sq[2], sq2[2], i, turns;

		p9srv_config_defaults(&cfg);
		cfg.io = ios[k];
		cfg.debug = getenv("T9_DEBUG") != NULL;
		cfg.threads = 2;
		fs = posix_new(dir, why, sizeof(why));
		if (fs == NULL)
			fail_msg("posix_new: %s", why);
		s = p9srv_new(&cfg, &posix_backend, fs, why, sizeof(why));
		if (s == NULL)
			fail_msg("p9srv_new: %s", why);
#ifdef P9SRV_TEST_URING
		if (ios[k] == P9SRV_IO_URING && !kernel_has_uring())
			assert_string_equal(p9srv_io_name(s), "epoll");
		else
			assert_string_equal(p9srv_io_name(s), names[k]);
#else
		assert_string_equal(p9srv_io_name(s), "epoll");
		(void)names;
		(void)kernel_has_uring;
#endif
		/* Both connections now: p9srv_serve_fd is not for another
		 * thread while p9srv_run runs. */
		assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
		assert_int_equal(p9srv_serve_fd(s, sv[0], sv[0]), 0);
		assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sq), 0);
		assert_int_equal(p9srv_serve_fd(s, sq[0], sq[0]), 0);
		assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sq2), 0);
		assert_int_equal(p9srv_serve_fd(s, sq2[0], sq2[0]), 0);
		assert_int_equal(pthread_create(&thread, NULL, run, s), 0);
		t9_connect_fd(&c, sv[1], 1024 * 1024);
		assert_int_equal(t9_attach(&c, 0, "", (uint32_t)geteuid(), NULL), 0);
		snprintf(name, sizeof(name), "big%u", k);
		assert_int_equal(t9_walk(&c, 0, 1, "", NULL), 0);
		assert_int_equal(t9_lcreate(&c, 1, name, 2 /* O_RDWR */, 0644, NULL), 0);
		for (off = 0; off < BIG; off += (size_t)n) {
			n = t9_write(&c, 1, off, data + off, (uint32_t)(BIG - off));
			assert_true(n > 64 * 1024 || (size_t)n == BIG - off);
		}
		for (off = 0; off < BIG; off += (size_t)n) {
			n = t9_read(&c, 1, off, back + off, (uint32_t)(BIG - off));
			assert_true(n > 0);
		}
		assert_memory_equal(back, data, BIG);
		/* Reads of 768 KiB go by splice (p9srv_reply_fd): one alone,
		 * then NSPL at once that the client reads only once all are
		 * sent, so that the socket fills: a reply cut short waits in
		 * the queue, and those made while it waits are copied. */
		for (off = 0; off < SPL; off += (size_t)n) {
			n = t9_write(&c, 1, off, data + off, (uint32_t)(SPL - off));
			assert_true(n > 0);
		}
		n = t9_read(&c, 1, 0, back, SPL);
		assert_int_equal(n, SPL);
		assert_memory_equal(back, data, SPL);
		for (i = 0; i < NSPL; i++) {
			t = (struct p9_msg){ .type = P9_TREAD };
			t.tread.fid = 1;
			t.tread.offset = (uint64_t)i * 4096;
			t.tread.count = SPL - (uint32_t)i * 4096;
			tags[i] = t9_send(&c, &t);
		}
		for (i = 0; i < NSPL; i++) {
			uint16_t tag = t9_recv(&c, &r);
			int j;

			for (j = 0; j < NSPL && tags[j] != tag; j++)
				continue;
			assert_true(j < NSPL);
			tags[j] = P9_NOTAG;
			assert_int_equal(r.type, P9_RREAD);
			assert_int_equal(r.rread.data.len, SPL - (size_t)j * 4096);
			assert_memory_equal(r.rread.data.ptr, data + (size_t)j * 4096,
			    r.rread.data.len);
		}
		/* 32 Treads of 60000 bytes in flight: their replies are made
		 * in place in the loop's gather buffer (conn_reply_area),
		 * several to a write. */
		for (i = 0; i < 32; i++) {
			t = (struct p9_msg){ .type = P9_TREAD };
			t.tread.fid = 1;
			t.tread.offset = (uint64_t)i * 20000;
			t.tread.count = 60000;
			tags[i] = t9_send(&c, &t);
		}
		for (i = 0; i < 32; i++) {
			uint16_t tag = t9_recv(&c, &r);
			int j;

			for (j = 0; j < 32 && tags[j] != tag; j++)
				continue;
			assert_true(j < 32);
			tags[j] = P9_NOTAG;
			assert_int_equal(r.type, P9_RREAD);
			assert_int_equal(r.rread.data.len, 60000);
			assert_memory_equal(r.rread.data.ptr, data + (size_t)j * 20000, 60000);
		}
		/* 32 Tgetattr in flight, all answered. */
		for (i = 0; i < 32; i++) {
			t = (struct p9_msg){ .type = P9_TGETATTR };
			t.tgetattr.fid = 1;
			t.tgetattr.request_mask = P9_GETATTR_BASIC;
			tags[i] = t9_send(&c, &t);
		}
		for (i = 0; i < 32; i++) {
			uint16_t tag = t9_recv(&c, &r);
			int j;

			assert_int_equal(r.type, P9_RGETATTR);
			assert_int_equal(r.rgetattr.size, SPL);
			for (j = 0; j < 32 && tags[j] != tag; j++)
				continue;
			assert_true(j < 32);
			tags[j] = P9_NOTAG;
		}
		/* The second connection sends half of a 200 KiB Twrite and
		 * goes; the third does the same and stays, until the server
		 * is stopped and freed under it. */
		for (i = 0; i < 2; i++) {
			struct t9c *x = i == 0 ? &q : &q2;
			uint8_t hdr[23];
			uint32_t size = 23 + BIG;

			t9_connect_fd(x, i == 0 ? sq[1] : sq2[1], 256 * 1024);
			assert_int_equal(t9_attach(x, 0, "", (uint32_t)geteuid(), NULL), 0);
			memset(hdr, 0, sizeof(hdr));
			memcpy(hdr, &size, 4);	/* little-endian hosts: the size field */
			hdr[4] = P9_TWRITE;
			hdr[5] = 7;		/* tag 7, fid 0, offset 0 */
			size = BIG;
			memcpy(hdr + 19, &size, 4);
			assert_int_equal(t9_send_raw(x, hdr, sizeof(hdr)), 0);
			assert_int_equal(t9_send_raw(x, data, BIG / 2), 0);
		}
		assert_int_equal(p9srv_conns(s), 3);
		t9_close(&q);
		for (turns = 0; turns < 500 && p9srv_conns(s) != 2; turns++)
			usleep(10000);
		assert_int_equal(p9srv_conns(s), 2);
		assert_int_equal(t9_clunk(&c, 1), 0);
		t9_close(&c);
		p9srv_stop(s);
		assert_int_equal(pthread_join(thread, NULL), 0);
		p9srv_free(s);
		posix_free(fs);
		t9_close(&q2);
	}
	{
		char path[128];

		snprintf(path, sizeof(path), "%s/big0", dir);
		unlink(path);
		snprintf(path, sizeof(path), "%s/big1", dir);
		unlink(path);
	}
	assert_int_equal(rmdir(dir), 0);
	free(data);
	free(back);
}

/* A read callback that answers with p9srv_reply_fd when it can: from the
 * file the gate names (gate.splice_fd), else as gate_read. With a bad
 * descriptor it claims P9SRV_REPLIED anyway: a backend bug. */
static int
splice_read(struct p9srv_req *r, void *file, const struct p9_tread *in, struct p9_rread *out)
{
	struct gate *g = file;
	int fd = GATE_GET(g, splice_fd);
	long n = p9srv_reply_fd(r, fd, in->offset, in->count);

	pthread_mutex_lock(&g->mu);
	g->spliced = n;
	pthread_mutex_unlock(&g->mu);
	if (n > 0 || fd < 0)
		return P9SRV_REPLIED;
	return gate_read(r, file, in, out);
}

/*
 * p9srv_reply_fd: what it sends is the Rread a copy would have made; it
 * says -EAGAIN and sends nothing for a descriptor it cannot splice, for
 * Tread traced with --debug; a callback that returns P9SRV_REPLIED without
 * a reply sent is answered EIO.
 */
static void
test_reply_fd(void **state)
{
	struct gate g;
	struct p9srv_backend be = gate_backend;
	struct p9srv_config cfg;
	struct p9srv *s;
	pthread_t loop;
	struct t9c c;
	char path[64], buf[64];
	int dbg;

	(void)state;
	for (dbg = 0; dbg < 2; dbg++) {
		gate_begin(&g, true);
		snprintf(path, sizeof(path), "/tmp/t9e-splice.XXXXXX");
		g.splice_fd = mkstemp(path);
		assert_true(g.splice_fd >= 0);
		unlink(path);
		assert_int_equal(write(g.splice_fd, "spliced!", 8), 8);
		be.read = splice_read;
		p9srv_config_defaults(&cfg);
		cfg.threads = 1;
		cfg.debug = dbg;	/* traced: refused, the copy answers */
		cfg.ident = "test_engine";
		s = gate_start(&g, &be, &cfg, &loop, &c);
		assert_int_equal(t9_walk(&c, 0, 1, "f", NULL), 0);
		assert_int_equal(t9_lopen(&c, 1, P9_DOTL_RDONLY, NULL, NULL), 0);
		assert_int_equal(t9_read(&c, 1, 2, buf, sizeof(buf)), dbg ? 4 : 6);
		/* ("gate" is what the copy answers; what p9srv_reply_fd
		 * returned is recorded only after it sent the reply.) */
		assert_memory_equal(buf, dbg ? "gate" : "liced!", dbg ? 4 : 6);
		if (dbg)
			assert_int_equal(GATE_GET(&g, spliced), -EAGAIN);
		/* At the end of the file: nothing to splice, the copy says. */
		assert_int_equal(t9_read(&c, 1, 8, buf, sizeof(buf)), 4);
		assert_int_equal(GATE_GET(&g, spliced), -EAGAIN);
		/* No descriptor, and the callback claims a reply all the same. */
		pthread_mutex_lock(&g.mu);
		close(g.splice_fd);
		g.splice_fd = -1;
		pthread_mutex_unlock(&g.mu);
		assert_int_equal(t9_read(&c, 1, 0, buf, sizeof(buf)), -EIO);
		assert_int_equal(GATE_GET(&g, spliced), -EAGAIN);
		t9_close(&c);
		assert_int_equal(pthread_join(loop, NULL), 0);
		p9srv_free(s);
		gate_end(&g);
	}
}

/* A Twalk of one name given as it is (t9_walk splits on '/'). */
static int
walk_raw(struct t9c *c, uint32_t fid, uint32_t newfid, const char *name, size_t len)
{
	struct p9_msg t = { .type = P9_TWALK }, r;

	t.twalk.fid = fid;
	t.twalk.newfid = newfid;
	t.twalk.wname.n = 1;
	t.twalk.wname.s[0] = (struct p9_str){ name, (uint16_t)len };
	return t9_rpc(c, &t, &r);
}

/*
 * Listings of a large directory kept in memory (posix_set_dircache).
 * A listing from the start is served from memory while nothing changed,
 * and is never stale: after each change made on the host, behind the
 * server's back (create, unlink, rename in, out and within, a hard link,
 * mkdir, rmdir), the next listing over 9P is exactly the host's, and the
 * kept one was dropped. A stream that began on a kept listing goes on from
 * the kernel's after a change, a Treaddir from another cookie seeks the
 * kernel's stream to the same cookies, and with the cache off nothing is
 * served from memory.
 */
#define DC_FILES	600
#define DC_MAXENT	(DC_FILES + 64)

/* Teardown of the listing tests, which keep their server in *state
 * while it runs: after a failure too, stop it and remove the export. */
static int
dc_teardown(void **state)
{
	struct one *o = *state;

	if (o != NULL) {
		stop(o);
		free(o);
		*state = NULL;
	}
	if (base[0] != '\0')
		nftw(base, rm_one, 16, FTW_DEPTH | FTW_PHYS);
	base[0] = '\0';
	return 0;
}

/* Checks of what was kept, where listings are kept at all. */
#define KEEPS_EQ(a, b)	do { if (keeps) assert_int_equal((a), (b)); } while (0)
#define KEEPS_TRUE(a)	do { if (keeps) assert_true(a); } while (0)

struct dc_ent {
	char		 name[64];
	uint64_t	 cookie;
};

static int
dc_cmp(const void *a, const void *b)
{
	return strcmp(((const struct dc_ent *)a)->name, ((const struct dc_ent *)b)->name);
}

/* One Treaddir of fid from off into ents[*n..]: the number of entries. */
static int
dc_readdir(struct t9c *c, uint32_t fid, uint64_t off, uint32_t count, struct dc_ent *ents, int *n)
{
	struct p9_msg t = { .type = P9_TREADDIR }, r;
	struct p9_dirent_iter it;
	struct p9_dirent d;
	int k = 0, rc;

	t.treaddir.fid = fid;
	t.treaddir.offset = off;
	t.treaddir.count = count;
	assert_int_equal(t9_rpc(c, &t, &r), 0);
	p9_dirent_iter_init(&it, r.rreaddir.data);
	while ((rc = p9_dirent_next(&it, &d)) == 1) {
		assert_true(*n < DC_MAXENT);
		assert_true(d.name.len > 0 && d.name.len < sizeof(ents[0].name));
		memcpy(ents[*n].name, d.name.ptr, d.name.len);
		ents[*n].name[d.name.len] = '\0';
		ents[*n].cookie = d.offset;
		(*n)++;
		k++;
	}
	assert_int_equal(rc, 0);
	return k;
}

/* List directory `dir` over 9P from cookie `from` on a new fid, in
 * Treaddirs of `count` bytes, to the end. Returns the number of entries. */
static int
dc_list_at(struct t9c *c, const char *dir, uint64_t from, uint32_t count, struct dc_ent *ents)
{
	uint64_t off = from;
	int n = 0;

	assert_int_equal(t9_walk(c, 0, 7, dir, NULL), 0);
	assert_int_equal(t9_lopen(c, 7, 0, NULL, NULL), 0);
	for (int rounds = 0; rounds < DC_MAXENT; rounds++) {
		if (dc_readdir(c, 7, off, count, ents, &n) == 0) {
			assert_int_equal(t9_clunk(c, 7), 0);
			return n;
		}
		off = ents[n - 1].cookie;
	}
	fail_msg("readdir of %s did not end", dir);
	return -1;
}

static int
dc_list(struct t9c *c, uint64_t from, uint32_t count, struct dc_ent *ents)
{
	return dc_list_at(c, "big", from, count, ents);
}

static int
dc_list_dir(struct t9c *c, const char *dir, struct dc_ent *ents)
{
	return dc_list_at(c, dir, 0, 65536, ents);
}

/* The host's listing of dir, sorted, against a 9P listing (sorted here). */
static void
dc_same(const char *dir, struct dc_ent *ents, int n)
{
	static struct dc_ent host[DC_MAXENT];
	DIR *d = opendir(dir);
	struct dirent *e;
	int m = 0;

	assert_non_null(d);
	while ((e = readdir(d)) != NULL) {
		assert_true(m < DC_MAXENT);
		assert_true(strlen(e->d_name) < sizeof(host[0].name));
		memcpy(host[m++].name, e->d_name, strlen(e->d_name) + 1);
	}
	closedir(d);
	qsort(host, (size_t)m, sizeof(host[0]), dc_cmp);
	qsort(ents, (size_t)n, sizeof(ents[0]), dc_cmp);
	assert_int_equal(n, m);
	for (int i = 0; i < n; i++)
		assert_string_equal(ents[i].name, host[i].name);
}

static void
test_dircache(void **state)
{
	static struct dc_ent ents[DC_MAXENT], rest[DC_MAXENT];
	struct posix_dircache_stats st0, st;
	struct one *o = calloc(1, sizeof(*o));
	char exp[128], big[160], p[256], q[256];
	int n, k, i;
	bool keeps = false;

	assert_non_null(o);
	snprintf(base, sizeof(base), "/tmp/t9d.XXXXXX");
	assert_non_null(mkdtemp(base));
	snprintf(exp, sizeof(exp), "%s/e", base);
	snprintf(big, sizeof(big), "%s/big", exp);
	assert_int_equal(mkdir(exp, 0755), 0);
	assert_int_equal(mkdir(big, 0755), 0);
	for (i = 0; i < DC_FILES; i++) {
		snprintf(p, sizeof(p), "%s/file-%04d", big, i);
		t9_write_file(p, "");
	}
	start(o, exp, false, 2, 64);
	*state = o;	/* dc_teardown stops it */
	/* Listings are kept only on local file systems: elsewhere (an
	 * overlayfs /tmp in a container) only what is listed is checked. */
	{
		struct statfs sf;

		assert_int_equal(statfs(big, &sf), 0);
		switch ((unsigned long)sf.f_type) {
		case 0xEF53: case 0x58465342: case 0x9123683E: case 0x01021994: case 0xF2F52010:
			keeps = true;
			break;
		default:
			print_message("test_dircache: %s is on file system type 0x%lx, where "
			    "listings are not kept: checking the listings only\n", big,
			    (unsigned long)sf.f_type);
		}
	}

	/* The first listing is recorded and kept, the next ones served from
	 * it, in any Treaddir size. */
	posix_dircache_stats(o->fs, &st0);
	n = dc_list(&o->c, 0, 65536, ents);
	dc_same(big, ents, n);
	posix_dircache_stats(o->fs, &st);
	KEEPS_EQ(st.kept, st0.kept + 1);
	KEEPS_TRUE(st.bytes >= DC_MIN);
	n = dc_list(&o->c, 0, 65536, ents);
	dc_same(big, ents, n);
	n = dc_list(&o->c, 0, 777, ents);
	dc_same(big, ents, n);
	posix_dircache_stats(o->fs, &st);
	KEEPS_EQ(st.hits, st0.hits + 2);

	/* Each change on the host: the next listing is the host's. */
	for (i = 0; i < 24; i++) {
		struct posix_dircache_stats before;

		posix_dircache_stats(o->fs, &before);
		snprintf(p, sizeof(p), "%s/file-%04d", big, i);
		snprintf(q, sizeof(q), "%s/moved-%04d", big, i);
		switch (i % 8) {
		case 0: t9_write_file(q, "new"); break;				/* create */
		case 1: assert_int_equal(unlink(p), 0); break;			/* unlink */
		case 2: assert_int_equal(rename(p, q), 0); break;		/* rename within */
		case 3: snprintf(q, sizeof(q), "%s/out-%04d", exp, i);	/* rename out */
			assert_int_equal(rename(p, q), 0); break;
		case 4: snprintf(q, sizeof(q), "%s/in-%04d", exp, i);	/* rename in */
			t9_write_file(q, "in");
			snprintf(p, sizeof(p), "%s/came-%04d", big, i);
			assert_int_equal(rename(q, p), 0); break;
		case 5: assert_int_equal(link(p, q), 0); break;			/* hard link */
		case 6: assert_int_equal(mkdir(q, 0755), 0); break;		/* mkdir */
		case 7: snprintf(q, sizeof(q), "%s/moved-%04d", big, i - 1);	/* rmdir */
			assert_int_equal(rmdir(q), 0); break;
		}
		n = dc_list(&o->c, 0, i % 2 == 0 ? 65536 : 1000, ents);
		dc_same(big, ents, n);
		posix_dircache_stats(o->fs, &st);
		KEEPS_TRUE(st.dropped > before.dropped);	/* the kept one went */
		KEEPS_EQ(st.hits, before.hits);		/* and was not used */
		n = dc_list(&o->c, 0, 65536, ents);		/* kept again, and used */
		dc_same(big, ents, n);
		posix_dircache_stats(o->fs, &st);
		KEEPS_EQ(st.hits, before.hits + 1);
	}

	/* Changes made through p9d itself, and on the host, in a random
	 * order (fixed seed), each followed by a listing from memory or not:
	 * every listing is the host's. */
	srand(9);
	assert_int_equal(t9_walk(&o->c, 0, 10, "big", NULL), 0);	/* the directory's fid */
	for (i = 0; i < 60; i++) {
		struct p9_msg t = { .type = P9_TUNLINKAT }, r;
		int pick = rand() % 40, what = rand() % 5;
		char nm[16];

		snprintf(nm, sizeof(nm), "p9-%04d", pick);
		snprintf(p, sizeof(p), "%s/%s", big, nm);
		switch (what) {
		case 0:	/* Tlcreate (or it exists), then clunk the opened fid */
			assert_int_equal(t9_walk(&o->c, 10, 11, "", NULL), 0);
			if (t9_lcreate(&o->c, 11, nm, 1 /* O_WRONLY */, 0644, NULL) == 0)
				assert_int_equal(access(p, F_OK), 0);
			assert_int_equal(t9_clunk(&o->c, 11), 0);
			break;
		case 1:	/* Tmkdir, or EEXIST */
			(void)t9_mkdir(&o->c, 10, nm, 0755, NULL);
			break;
		case 2:	/* Tunlinkat of a file or a directory, or ENOENT */
			t.tunlinkat.dirfid = 10;
			t.tunlinkat.name = (struct p9_str){ nm, (uint16_t)strlen(nm) };
			t.tunlinkat.flags = 0;
			if (t9_rpc(&o->c, &t, &r) == EISDIR) {
				t.tunlinkat.flags = P9_AT_REMOVEDIR;
				assert_int_equal(t9_rpc(&o->c, &t, &r), 0);
			}
			break;
		case 3: {	/* on the host: a file of the same kind of name */
			int hfd = open(p, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);

			if (hfd >= 0)
				close(hfd);
			break;
		}
		default:	/* on the host: remove it, whatever it is */
			(void)remove(p);
			break;
		}
		n = dc_list(&o->c, 0, rand() % 2 == 0 ? 65536 : 3000, ents);
		dc_same(big, ents, n);
		if (rand() % 2 == 0) {	/* and again, from memory where kept */
			n = dc_list(&o->c, 0, 65536, ents);
			dc_same(big, ents, n);
		}
	}
	assert_int_equal(t9_clunk(&o->c, 10), 0);

	/* A stream that began on the kept listing, then a change: it goes on
	 * from the kernel's at the same cookie, to the end, no name twice. */
	(void)dc_list(&o->c, 0, 65536, ents);	/* kept */
	n = 0;
	assert_int_equal(t9_walk(&o->c, 0, 8, "big", NULL), 0);
	assert_int_equal(t9_lopen(&o->c, 8, 0, NULL, NULL), 0);
	posix_dircache_stats(o->fs, &st0);
	assert_true(dc_readdir(&o->c, 8, 0, 2000, ents, &n) > 0);
	posix_dircache_stats(o->fs, &st);
	KEEPS_EQ(st.hits, st0.hits + 1);
	snprintf(p, sizeof(p), "%s/late", big);
	t9_write_file(p, "late");
	while ((k = dc_readdir(&o->c, 8, ents[n - 1].cookie, 2000, ents, &n)) > 0)
		assert_true(n < DC_MAXENT);
	assert_int_equal(t9_clunk(&o->c, 8), 0);
	qsort(ents, (size_t)n, sizeof(ents[0]), dc_cmp);
	for (i = 1; i < n; i++)
		assert_true(strcmp(ents[i - 1].name, ents[i].name) != 0);
	assert_true(n >= DC_FILES - 8);

	/* A change while a listing is being recorded: it is not kept, and
	 * the next listing is the host's (and is kept). */
	posix_dircache_stats(o->fs, &st0);
	n = 0;
	assert_int_equal(t9_walk(&o->c, 0, 9, "big", NULL), 0);
	assert_int_equal(t9_lopen(&o->c, 9, 0, NULL, NULL), 0);
	assert_true(dc_readdir(&o->c, 9, 0, 2000, ents, &n) > 0);
	snprintf(p, sizeof(p), "%s/during", big);
	t9_write_file(p, "during");
	while ((k = dc_readdir(&o->c, 9, ents[n - 1].cookie, 2000, ents, &n)) > 0)
		assert_true(n < DC_MAXENT);
	assert_int_equal(t9_clunk(&o->c, 9), 0);
	posix_dircache_stats(o->fs, &st);
	KEEPS_EQ(st.kept, st0.kept);
	KEEPS_EQ(st.hits, st0.hits);
	n = dc_list(&o->c, 0, 65536, ents);
	dc_same(big, ents, n);
	posix_dircache_stats(o->fs, &st);
	KEEPS_EQ(st.kept, st0.kept + 1);

	/* From a cookie of a kept listing, on a new fid: the kernel's stream
	 * at that cookie gives the rest of the same listing. */
	n = dc_list(&o->c, 0, 65536, ents);	/* from memory: order as listed */
	k = dc_list(&o->c, ents[99].cookie, 4096, rest);
	assert_int_equal(k, n - 100);
	for (i = 0; i < k; i++) {
		assert_string_equal(rest[i].name, ents[100 + i].name);
		assert_int_equal(rest[i].cookie, ents[100 + i].cookie);
	}

	/* Off: every listing from the file system, still right. */
	assert_int_equal(posix_set_dircache(o->fs, false), 0);
	posix_dircache_stats(o->fs, &st0);
	KEEPS_EQ(st0.bytes, 0);
	for (i = 0; i < 3; i++) {
		n = dc_list(&o->c, 0, 65536, ents);
		dc_same(big, ents, n);
	}
	posix_dircache_stats(o->fs, &st);
	KEEPS_EQ(st.hits, st0.hits);
	KEEPS_EQ(st.kept, st0.kept);
	/* On again. */
	assert_int_equal(posix_set_dircache(o->fs, true), 0);
	(void)dc_list(&o->c, 0, 65536, ents);
	n = dc_list(&o->c, 0, 65536, ents);
	dc_same(big, ents, n);
	posix_dircache_stats(o->fs, &st);
	KEEPS_EQ(st.hits, st0.hits + 1);

	(void)dc_teardown(state);
}

/*
 * The cache's bounds: more large directories than it keeps (64) are all
 * listed right, the least recently used giving way (the first directory's
 * listing is recorded again), and a listing over 1 MiB is not kept but
 * listed whole. (The 16 MiB bound on all kept listings would take more
 * than 16 directories of 1 MiB: not reached here.)
 */
#define DCB_DIRS	70
#define DCB_FILES	300

static void
test_dircache_bounds(void **state)
{
	static struct dc_ent ents[DC_MAXENT];
	struct posix_dircache_stats st0, st;
	struct one *o = calloc(1, sizeof(*o));
	char exp[128], p[512], name[16];
	char longname[201];
	struct statfs sf;
	bool keeps;
	int d, i, n, fd;

	assert_non_null(o);
	snprintf(base, sizeof(base), "/tmp/t9b.XXXXXX");
	assert_non_null(mkdtemp(base));
	snprintf(exp, sizeof(exp), "%s/e", base);
	assert_int_equal(mkdir(exp, 0755), 0);
	for (d = 0; d < DCB_DIRS; d++) {
		snprintf(p, sizeof(p), "%s/d%02d", exp, d);
		assert_int_equal(mkdir(p, 0755), 0);
		for (i = 0; i < DCB_FILES; i++) {
			snprintf(p, sizeof(p), "%s/d%02d/entry-%05d", exp, d, i);
			assert_true((fd = open(p, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644)) >= 0);
			close(fd);
		}
	}
	/* 5500 entries of 199-byte names: about 1.2 MiB of records. */
	memset(longname, 'x', 194);
	longname[194] = '\0';
	snprintf(p, sizeof(p), "%s/huge", exp);
	assert_int_equal(mkdir(p, 0755), 0);
	for (i = 0; i < 5500; i++) {
		snprintf(p, sizeof(p), "%s/huge/%s%05d", exp, longname, i);
		assert_true((fd = open(p, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644)) >= 0);
		close(fd);
	}
	assert_int_equal(statfs(exp, &sf), 0);
	keeps = sf.f_type == 0xEF53 || sf.f_type == 0x58465342 || sf.f_type == 0x9123683E ||
	    sf.f_type == 0x01021994 || sf.f_type == 0xF2F52010;
	start(o, exp, false, 2, 64);
	*state = o;	/* dc_teardown stops it */

	posix_dircache_stats(o->fs, &st0);
	for (d = 0; d < DCB_DIRS; d++) {
		snprintf(name, sizeof(name), "d%02d", d);
		n = dc_list_dir(&o->c, name, ents);
		snprintf(p, sizeof(p), "%s/%s", exp, name);
		dc_same(p, ents, n);
		assert_int_equal(n, DCB_FILES + 2);
	}
	posix_dircache_stats(o->fs, &st);
	KEEPS_EQ(st.kept, st0.kept + DCB_DIRS);
	/* d00 gave way: recorded again, not served from memory. */
	n = dc_list_dir(&o->c, "d00", ents);
	assert_int_equal(n, DCB_FILES + 2);
	posix_dircache_stats(o->fs, &st0);
	KEEPS_EQ(st0.kept, st.kept + 1);
	KEEPS_EQ(st0.hits, st.hits);
	/* d69 did not: from memory. */
	n = dc_list_dir(&o->c, "d69", ents);
	assert_int_equal(n, DCB_FILES + 2);
	posix_dircache_stats(o->fs, &st);
	KEEPS_EQ(st.hits, st0.hits + 1);

	/* Over 1 MiB: listed whole, twice, never kept. */
	for (i = 0; i < 2; i++) {
		uint64_t off = 0;
		int m = 0;

		assert_int_equal(t9_walk(&o->c, 0, 7, "huge", NULL), 0);
		assert_int_equal(t9_lopen(&o->c, 7, 0, NULL, NULL), 0);
		for (int rounds = 0; rounds < 5600; rounds++) {
			struct p9_msg t = { .type = P9_TREADDIR }, r;
			struct p9_dirent_iter it;
			struct p9_dirent de;
			int k = 0;

			t.treaddir.fid = 7;
			t.treaddir.offset = off;
			t.treaddir.count = 65536;
			assert_int_equal(t9_rpc(&o->c, &t, &r), 0);
			p9_dirent_iter_init(&it, r.rreaddir.data);
			while (p9_dirent_next(&it, &de) == 1) {
				assert_true(m++ < 5600);
				off = de.offset;
				k++;
			}
			if (k == 0)
				break;
		}
		assert_int_equal(t9_clunk(&o->c, 7), 0);
		assert_int_equal(m, 5502);
	}
	posix_dircache_stats(o->fs, &st0);
	KEEPS_EQ(st0.kept, st.kept);
	KEEPS_EQ(st0.hits, st.hits);

	(void)dc_teardown(state);
}

/*
 * What p9srv_new refuses, and what the engine answers for a backend that
 * leaves callbacks unset, and the engine's own walk and xattr errors.
 */
static void
test_engine_errors(void **state)
{
	struct gate g;
	struct p9srv_backend be = gate_backend, bad = be;
	struct p9srv_config cfg, c2;
	struct p9_msg t, r;
	struct p9srv *s;
	pthread_t loop;
	struct t9c c;
	char why[256], rec[64], longname[300];
	int fd;

	(void)state;
	gate_begin(&g, true);
	p9srv_config_defaults(&cfg);
	cfg.threads = 1;

	/* p9srv_new: what is required, the limits, a capture it cannot make. */
	bad.attach = NULL;
	assert_null(p9srv_new(&cfg, &bad, &g, why, sizeof(why)));
	assert_non_null(strstr(why, "backend gate: attach, clone, release and walk1 or walk are required"));
	bad = be;
	bad.walk1 = NULL;
	assert_null(p9srv_new(&cfg, &bad, &g, why, sizeof(why)));
	assert_null(p9srv_new(&cfg, NULL, &g, why, sizeof(why)));
	assert_non_null(strstr(why, "(null)"));
	c2 = cfg;
	c2.max_fids = 0;
	assert_null(p9srv_new(&c2, &be, &g, why, sizeof(why)));
	assert_non_null(strstr(why, "max_fids, max_inflight and max_conns must be at least 1 (are 0,"));
	c2 = cfg;
	c2.msize_max = 100;
	assert_null(p9srv_new(&c2, &be, &g, why, sizeof(why)));
	assert_non_null(strstr(why, "msize_max at least 4096 (is 100)"));
	c2 = cfg;
	c2.record = "/nonexistent-p9srv-dir/cap.pcap";
	assert_null(p9srv_new(&c2, &be, &g, why, sizeof(why)));
	assert_non_null(strstr(why, "record /nonexistent-p9srv-dir/cap.pcap: No such file or directory"));
	p9srv_free(NULL);

	/* A server that records its session, and the engine's own errors. */
	snprintf(rec, sizeof(rec), "/tmp/t9e-rec.XXXXXX");
	fd = mkstemp(rec);
	assert_true(fd >= 0);
	close(fd);
	c2 = cfg;
	c2.record = rec;
	c2.ident = "test_engine";
	c2.debug = 1;	/* every message traced on stderr */
	s = gate_start(&g, &be, &c2, &loop, &c);

	/* Walk names the engine refuses before walk1 sees them. */
	assert_int_equal(walk_raw(&c, 0, 1, "", 0), ENOENT);
	assert_int_equal(walk_raw(&c, 0, 1, "a/b", 3), ENOENT);
	memset(longname, 'n', sizeof(longname));
	assert_int_equal(walk_raw(&c, 0, 1, longname, 256), ENAMETOOLONG);
	/* A partial walk changes nothing; a full one makes newfid; newfid
	 * in use; an open fid cannot move; a clone of it can be made. */
	assert_int_equal(t9_walk(&c, 0, 1, "f/nothing", NULL), -1);
	assert_int_equal(t9_clunk(&c, 1), EBADF);
	assert_int_equal(t9_walk(&c, 0, 1, "f", NULL), 0);
	assert_int_equal(t9_walk(&c, 0, 1, "f", NULL), EINVAL);
	assert_int_equal(t9_lopen(&c, 1, P9_DOTL_RDONLY, NULL, NULL), 0);
	assert_int_equal(t9_walk(&c, 1, 1, "", NULL), EINVAL);
	assert_int_equal(t9_walk(&c, 1, 2, "", NULL), 0);
	assert_int_equal(t9_clunk(&c, 2), 0);
	/* Tlopen of an open fid; an unknown fid. */
	assert_int_equal(t9_lopen(&c, 1, P9_DOTL_RDONLY, NULL, NULL), EINVAL);
	assert_int_equal(t9_getattr(&c, 42, P9_GETATTR_BASIC, NULL), EBADF);

	/* No xattr callbacks: Txattrwalk EOPNOTSUPP; a Txattrcreate
	 * buffer is made by the engine, and its Tclunk answers EOPNOTSUPP. */
	t = (struct p9_msg){ .type = P9_TXATTRWALK };
	t.txattrwalk.fid = 0;
	t.txattrwalk.newfid = 3;
	t.txattrwalk.name = (struct p9_str){ "user.a", 6 };
	assert_int_equal(t9_rpc(&c, &t, &r), EOPNOTSUPP);
	t.txattrwalk.newfid = 1;	/* in use: refused first */
	assert_int_equal(t9_rpc(&c, &t, &r), EINVAL);
	assert_int_equal(t9_walk(&c, 0, 4, "f", NULL), 0);
	t = (struct p9_msg){ .type = P9_TXATTRCREATE };
	t.txattrcreate.fid = 4;
	t.txattrcreate.name = (struct p9_str){ "user.a", 6 };
	t.txattrcreate.attr_size = 2;
	t.txattrcreate.flags = 4;	/* not a setxattr flag */
	assert_int_equal(t9_rpc(&c, &t, &r), EINVAL);
	t.txattrcreate.flags = 0;
	t.txattrcreate.attr_size = 65537;
	assert_int_equal(t9_rpc(&c, &t, &r), E2BIG);
	t.txattrcreate.attr_size = 2;
	t.txattrcreate.name = (struct p9_str){ "", 0 };
	assert_int_equal(t9_rpc(&c, &t, &r), ERANGE);
	t.txattrcreate.name = (struct p9_str){ "user.a", 6 };
	assert_int_equal(t9_rpc(&c, &t, &r), 0);
	assert_int_equal(t9_write(&c, 4, 0, "xy", 2), 2);
	assert_int_equal(t9_write(&c, 4, 1, "xy", 2), -EINVAL);	/* past attr_size */
	assert_int_equal(t9_getattr(&c, 4, P9_GETATTR_BASIC, NULL), EINVAL);
	assert_int_equal(t9_clunk(&c, 4), EOPNOTSUPP);
	/* A buffer not filled up to attr_size fails its Tclunk. */
	assert_int_equal(t9_walk(&c, 0, 4, "f", NULL), 0);
	assert_int_equal(t9_rpc(&c, &t, &r), 0);
	assert_int_equal(t9_clunk(&c, 4), EINVAL);

	/* No remove callback: EOPNOTSUPP, and the fid is gone anyway. */
	assert_int_equal(t9_walk(&c, 0, 5, "f", NULL), 0);
	t = (struct p9_msg){ .type = P9_TREMOVE };
	t.tremove.fid = 5;
	assert_int_equal(t9_rpc(&c, &t, &r), EOPNOTSUPP);
	assert_int_equal(t9_clunk(&c, 5), EBADF);

	t9_close(&c);
	assert_int_equal(pthread_join(loop, NULL), 0);
	p9srv_free(s);
	{
		struct stat st;

		assert_int_equal(stat(rec, &st), 0);
		assert_true(st.st_size > 24);	/* a pcap header and packets */
		unlink(rec);
	}
	gate_end(&g);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_two_servers),
		cmocka_unit_test(test_flush_queued_never_runs),
		cmocka_unit_test(test_stalled_workers),
		cmocka_unit_test(test_engine_errors),
		cmocka_unit_test(test_poll_single_thread),
		cmocka_unit_test(test_gather_early),
		cmocka_unit_test(test_loops),
		cmocka_unit_test(test_pin),
		cmocka_unit_test(test_place_rule),
		cmocka_unit_test(test_spin),
		cmocka_unit_test(test_spin_rule),
		cmocka_unit_test(test_atime_rule),
		cmocka_unit_test(test_quick),
		cmocka_unit_test(test_quick_others_ready),
		cmocka_unit_test(test_serve_running),
		cmocka_unit_test(test_io_engines),
		cmocka_unit_test(test_reply_fd),
		cmocka_unit_test_teardown(test_dircache, dc_teardown),
		cmocka_unit_test_teardown(test_dircache_bounds, dc_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
