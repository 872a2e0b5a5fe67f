/*
 * Nodes, identities and the per-connection fid table. Fids are
 * refcounted: Tclunk unlinks the entry, requests that already hold the fid
 * keep it alive, and the last fid_put closes its descriptors.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/resource.h>

#include "conn.h"

/*
 * The descriptor budget. Out of RLIMIT_NOFILE, FD_FIXED descriptors stay
 * for the process itself (standard streams, epoll, eventfd, signalfd, the
 * export root, up to 32 listeners) and FD_PER_WORKER for each worker's short-lived
 * descriptors (a reopen for Tgetattr, a create before its node exists, a
 * descriptor refused by fd_take). Each connection then costs its socket
 * plus FD_GUARANTEE descriptors it can always have; what is left is the
 * pool the connections share.
 */
#define FD_FIXED	64
#define FD_PER_WORKER	8
#define FD_GUARANTEE	32

int
fd_budget_init(struct srv *s)
{
	struct rlimit rl;
	unsigned long limit, fixed, per_conn, conns;

	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		(void)setrlimit(RLIMIT_NOFILE, &rl);	/* if refused, the limit stays */
	}
	if (getrlimit(RLIMIT_NOFILE, &rl) != 0)
		return -1;
	limit = rl.rlim_cur == RLIM_INFINITY || rl.rlim_cur > (1u << 30) ?
	    (1u << 30) : (unsigned long)rl.rlim_cur;
	fixed = FD_FIXED + (unsigned long)FD_PER_WORKER * s->cfg.threads;
	per_conn = 1 + FD_GUARANTEE;
	conns = limit > fixed ? (limit - fixed) / per_conn : 0;
	if (conns == 0) {
		snprintf(s->why, sizeof(s->why), "the descriptor limit (RLIMIT_NOFILE %lu) leaves "
		    "no room for a connection: %lu are needed with %u worker threads (%u + %u per "
		    "thread + %lu per connection); raise it (ulimit -n) or use fewer threads",
		    limit, fixed + per_conn, s->cfg.threads, FD_FIXED, FD_PER_WORKER, per_conn);
		return -1;
	}
	if (conns < s->cfg.max_conns) {
		fprintf(stderr, "p9d: the descriptor limit (RLIMIT_NOFILE %lu) allows %lu "
		    "connections of %lu descriptors each: --max-conns lowered from %u to %lu\n",
		    limit, conns, per_conn, s->cfg.max_conns, conns);
		s->cfg.max_conns = (unsigned)conns;
	}
	s->fd_guarantee = FD_GUARANTEE;
	s->fd_pool = (unsigned)(limit - fixed - per_conn * s->cfg.max_conns);
	atomic_init(&s->fd_pool_used, 0);
	return 0;
}

static _Thread_local struct conn *fd_cur;

void
fd_set_current(struct conn *c)
{
	fd_cur = c;
}

struct conn *
fd_current(void)
{
	return fd_cur;
}

bool
fd_take(struct conn *c)
{
	struct srv *s = c->srv;
	bool ok = true;

	pthread_mutex_lock(&c->fd_lock);
	if (c->fd_used >= s->fd_guarantee) {
		/* From the pool: at most an equal part of it per connection
		 * now connected, and only while the pool lasts. */
		unsigned n = atomic_load(&s->nconns);
		unsigned share = s->fd_pool / (n > 0 ? n : 1);
		unsigned used = atomic_load(&s->fd_pool_used);

		ok = c->fd_used - s->fd_guarantee < share;
		while (ok) {
			if (used >= s->fd_pool)
				ok = false;
			else if (atomic_compare_exchange_weak(&s->fd_pool_used, &used, used + 1))
				break;
		}
	}
	if (ok)
		c->fd_used++;
	pthread_mutex_unlock(&c->fd_lock);
	return ok;
}

void
fd_give(struct conn *c)
{
	pthread_mutex_lock(&c->fd_lock);
	if (c->fd_used > c->srv->fd_guarantee)
		atomic_fetch_sub(&c->srv->fd_pool_used, 1);
	c->fd_used--;
	pthread_mutex_unlock(&c->fd_lock);
}

struct node *
node_new(struct srv *s, int fd, const struct stat *st, struct node *parent, const char *name)
{
	struct conn *acct = fd_cur;
	struct node *n;

	if (acct != NULL && !fd_take(acct)) {
		close(fd);
		return NULL;
	}
	n = calloc(1, sizeof(*n));
	if (n == NULL)
		abort();
	n->acct = acct;
	atomic_init(&n->refs, 1);
	n->fd = fd;
	n->srv = s;
	n->qid = fs_qid(s, st);
	n->mode = st->st_mode & S_IFMT;
	n->parent = parent != NULL ? node_ref(parent) : NULL;
	if (name != NULL && (n->name = strdup(name)) == NULL)
		abort();
	return n;
}

struct node *
node_ref(struct node *n)
{
	atomic_fetch_add(&n->refs, 1);
	return n;
}

void
node_put(struct node *n)
{
	while (n != NULL && atomic_fetch_sub(&n->refs, 1) == 1) {
		struct node *parent = n->parent;

		if (n->fd != n->srv->root_fd)
			close(n->fd);
		if (n->acct != NULL)
			fd_give(n->acct);
		free(n->name);
		free(n);
		n = parent;
	}
}

struct ident *
ident_ref(struct ident *id)
{
	if (id != NULL)
		atomic_fetch_add(&id->refs, 1);
	return id;
}

void
ident_put(struct ident *id)
{
	if (id != NULL && atomic_fetch_sub(&id->refs, 1) == 1)
		free(id);
}

static unsigned
bucket(uint32_t num)
{
	return (num * 2654435761u) >> 24;	/* FID_BUCKETS == 256 */
}

struct fid *
fid_get(struct conn *c, uint32_t num)
{
	struct fid *f;

	pthread_mutex_lock(&c->fid_lock);
	for (f = c->fids[bucket(num)]; f != NULL; f = f->hnext)
		if (f->num == num)
			break;
	if (f != NULL)
		atomic_fetch_add(&f->refs, 1);
	pthread_mutex_unlock(&c->fid_lock);
	return f;
}

int
fid_create(struct conn *c, uint32_t num, struct node *node, struct ident *id,
    struct fid **out)
{
	struct fid *f, *g;
	unsigned b = bucket(num);

	if (num == P9_NOFID)
		return EINVAL;
	f = calloc(1, sizeof(*f));
	if (f == NULL)
		return ENOMEM;
	f->num = num;
	atomic_init(&f->refs, out != NULL ? 2 : 1);
	f->conn = c;
	f->id = ident_ref(id);
	pthread_mutex_init(&f->lock, NULL);
	f->kind = FID_FILE;
	f->node = node_ref(node);
	f->open_fd = -1;

	pthread_mutex_lock(&c->fid_lock);
	for (g = c->fids[b]; g != NULL; g = g->hnext)
		if (g->num == num)
			break;
	if (g != NULL || c->nfids >= c->srv->cfg.max_fids) {
		pthread_mutex_unlock(&c->fid_lock);
		ident_put(f->id);
		node_put(f->node);
		pthread_mutex_destroy(&f->lock);
		free(f);
		return g != NULL ? EINVAL : EMFILE;
	}
	f->hnext = c->fids[b];
	c->fids[b] = f;
	c->nfids++;
	pthread_mutex_unlock(&c->fid_lock);
	if (out != NULL)
		*out = f;
	return 0;
}

struct fid *
fid_remove(struct conn *c, uint32_t num)
{
	struct fid **pp, *f;

	pthread_mutex_lock(&c->fid_lock);
	for (pp = &c->fids[bucket(num)]; (f = *pp) != NULL; pp = &f->hnext) {
		if (f->num == num) {
			*pp = f->hnext;
			c->nfids--;
			break;
		}
	}
	pthread_mutex_unlock(&c->fid_lock);
	return f;
}

void
fid_put(struct fid *f)
{
	if (f == NULL || atomic_fetch_sub(&f->refs, 1) != 1)
		return;
	if (f->open_fd >= 0)
		lock_fid_released(f);	/* its OFD locks die with open_fd below */
	if (f->dir != NULL) {
		closedir(f->dir);	/* made from a dup of open_fd */
		fd_give(f->conn);
	}
	if (f->open_fd >= 0) {
		close(f->open_fd);
		fd_give(f->conn);
	}
	node_put(f->node);
	ident_put(f->id);
	free(f->xname);
	free(f->xbuf);
	pthread_mutex_destroy(&f->lock);
	free(f);
}

struct node *
fid_node(struct fid *f)
{
	struct node *n;

	pthread_mutex_lock(&f->lock);
	n = node_ref(f->node);
	pthread_mutex_unlock(&f->lock);
	return n;
}

void
fid_set_node(struct fid *f, struct node *n)
{
	struct node *old;

	pthread_mutex_lock(&f->lock);
	old = f->node;
	f->node = node_ref(n);
	pthread_mutex_unlock(&f->lock);
	node_put(old);
}

void
fid_table_clear(struct conn *c)
{
	struct fid *list = NULL, *f;
	unsigned i;

	/* Unlink under the lock, release outside it (release may close fds
	 * and commit xattrs). */
	pthread_mutex_lock(&c->fid_lock);
	for (i = 0; i < FID_BUCKETS; i++) {
		while ((f = c->fids[i]) != NULL) {
			c->fids[i] = f->hnext;
			f->hnext = list;
			list = f;
		}
	}
	c->nfids = 0;
	pthread_mutex_unlock(&c->fid_lock);
	while ((f = list) != NULL) {
		list = f->hnext;
		fid_put(f);
	}
}
