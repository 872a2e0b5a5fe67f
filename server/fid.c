/*
 * Nodes, identities and the per-connection fid table. Fids are
 * refcounted: Tclunk unlinks the entry, requests that already hold the fid
 * keep it alive, and the last fid_put closes its descriptors.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "conn.h"

struct node *
node_new(int fd, const struct stat *st, struct node *parent, const char *name)
{
	struct node *n = calloc(1, sizeof(*n));

	if (n == NULL)
		abort();
	atomic_init(&n->refs, 1);
	n->fd = fd;
	n->qid = fs_qid(st);
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

		if (n->fd != g_srv->root_fd)
			close(n->fd);
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
	if (f->dir != NULL)
		closedir(f->dir);	/* made from a dup of open_fd */
	if (f->open_fd >= 0)
		close(f->open_fd);
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
