/*
 * The per-connection fid table, identities, and the descriptor budget.
 * Fids are refcounted: Tclunk unlinks the entry, requests that already
 * hold the fid keep it alive, and the last fid_put releases its file.
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
fd_budget_init(struct p9srv *s)
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
		fprintf(stderr, "%s: the descriptor limit (RLIMIT_NOFILE %lu) allows %lu "
		    "connections of %lu descriptors each: --max-conns lowered from %u to %lu\n",
		    s->cfg.ident, limit, conns, per_conn, s->cfg.max_conns, conns);
		s->cfg.max_conns = (unsigned)conns;
	}
	s->fd_guarantee = FD_GUARANTEE;
	s->fd_pool = (unsigned)(limit - fixed - per_conn * s->cfg.max_conns);
	atomic_init(&s->fd_pool_used, 0);
	return 0;
}

bool
p9srv_acct_take(struct p9srv_conn *pc)
{
	struct conn *c = (struct conn *)pc;
	struct p9srv *s = c->srv;
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
p9srv_acct_give(struct p9srv_conn *pc)
{
	struct conn *c = (struct conn *)pc;

	pthread_mutex_lock(&c->fd_lock);
	if (c->fd_used > c->srv->fd_guarantee)
		atomic_fetch_sub(&c->srv->fd_pool_used, 1);
	c->fd_used--;
	pthread_mutex_unlock(&c->fd_lock);
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

struct fid *
fid_new(struct conn *c, uint32_t num, enum fid_kind kind, void *file, uint8_t qtype,
    struct ident *id)
{
	struct fid *f = calloc(1, sizeof(*f));

	if (f == NULL)
		return NULL;
	f->num = num;
	atomic_init(&f->refs, 1);
	f->conn = c;
	f->id = ident_ref(id);
	f->kind = kind;
	f->file = file;
	atomic_init(&f->qtype, qtype);
	atomic_init(&f->open, false);
	pthread_mutex_init(&f->lock, NULL);
	return f;
}

int
fid_insert(struct fid *f)
{
	struct conn *c = f->conn;
	struct fid *g;
	unsigned b = bucket(f->num);

	if (f->num == P9_NOFID) {
		fid_put(f);
		return EINVAL;
	}
	pthread_mutex_lock(&c->fid_lock);
	for (g = c->fids[b]; g != NULL; g = g->hnext)
		if (g->num == f->num)
			break;
	if (g != NULL || c->nfids >= c->srv->cfg.max_fids) {
		pthread_mutex_unlock(&c->fid_lock);
		fid_put(f);
		return g != NULL ? EINVAL : EMFILE;
	}
	f->hnext = c->fids[b];
	c->fids[b] = f;
	c->nfids++;
	pthread_mutex_unlock(&c->fid_lock);
	return 0;
}

int
fid_replace(struct fid *old, struct fid *nf, bool if_closed)
{
	struct conn *c = old->conn;
	struct fid **pp;
	int err = EBADF;

	pthread_mutex_lock(&c->fid_lock);
	for (pp = &c->fids[bucket(old->num)]; *pp != NULL; pp = &(*pp)->hnext) {
		if (*pp != old)
			continue;
		if (if_closed && atomic_load(&old->open)) {
			err = EINVAL;	/* opened meanwhile */
			break;
		}
		nf->hnext = old->hnext;
		*pp = nf;
		err = 0;
		break;
	}
	pthread_mutex_unlock(&c->fid_lock);
	fid_put(err == 0 ? old : nf);
	return err;
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
	if (f->file != NULL)
		f->conn->srv->be->release(f->file);
	ident_put(f->id);
	free(f->xname);
	free(f->xbuf);
	pthread_mutex_destroy(&f->lock);
	free(f);
}

void
fid_table_clear(struct conn *c)
{
	struct fid *list = NULL, *f;
	unsigned i, left;

	/* Unlink under the lock, release outside it (release may close fds
	 * and commit xattrs). */
	pthread_mutex_lock(&c->fid_lock);
	left = c->nfids;	/* most tables are nearly empty: stop once all are out */
	for (i = 0; i < FID_BUCKETS && left > 0; i++) {
		while ((f = c->fids[i]) != NULL) {
			c->fids[i] = f->hnext;
			f->hnext = list;
			list = f;
			left--;
		}
	}
	c->nfids = 0;
	pthread_mutex_unlock(&c->fid_lock);
	while ((f = list) != NULL) {
		list = f->hnext;
		fid_put(f);
	}
}
