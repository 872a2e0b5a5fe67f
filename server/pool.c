/*
 * The worker pool: a FIFO of requests and N threads. Each worker owns a
 * reply buffer of msize_max bytes and a scratch area, reused for every
 * request it runs: nothing is allocated per request here.
 */
#include <stdlib.h>

#include "conn.h"

#define SCRATCH_LEN	(64 * 1024 + 8192)

struct pool {
	pthread_mutex_t	 lock;
	pthread_cond_t	 cond;
	struct req	*head, **tail;
	bool		 stop;
	pthread_t	*threads;
	unsigned	 n;
	size_t		 replycap;
};

static void *
worker(void *arg)
{
	struct pool *pool = arg;
	size_t cap = pool->replycap;
	uint8_t *reply = malloc(cap);
	uint8_t *scratch = malloc(SCRATCH_LEN);
	struct req *r;

	if (reply == NULL || scratch == NULL)
		abort();
	for (;;) {
		pthread_mutex_lock(&pool->lock);
		while (pool->head == NULL && !pool->stop)
			pthread_cond_wait(&pool->cond, &pool->lock);
		r = pool->head;
		if (r == NULL) {	/* stopping and drained */
			pthread_mutex_unlock(&pool->lock);
			break;
		}
		pool->head = r->next;
		if (pool->head == NULL)
			pool->tail = &pool->head;
		pthread_mutex_unlock(&pool->lock);
		r->next = NULL;
		req_run(r, reply, cap, scratch, SCRATCH_LEN);
	}
	free(reply);
	free(scratch);
	return NULL;
}

int
pool_start(struct srv *s, unsigned nthreads)
{
	struct pool *pool = calloc(1, sizeof(*pool));
	unsigned i;

	if (pool == NULL)
		return -1;
	s->pool = pool;
	pthread_mutex_init(&pool->lock, NULL);
	pthread_cond_init(&pool->cond, NULL);
	pool->tail = &pool->head;
	pool->replycap = s->cfg.msize_max;
	pool->threads = calloc(nthreads, sizeof(*pool->threads));
	if (pool->threads == NULL)
		return -1;
	for (i = 0; i < nthreads; i++) {
		if (pthread_create(&pool->threads[i], NULL, worker, pool) != 0)
			break;
		pool->n++;
	}
	return pool->n == nthreads ? 0 : -1;
}

void
pool_push(struct req *r)
{
	struct pool *pool = r->conn->srv->pool;

	r->next = NULL;
	pthread_mutex_lock(&pool->lock);
	*pool->tail = r;
	pool->tail = &r->next;
	pthread_cond_signal(&pool->cond);
	pthread_mutex_unlock(&pool->lock);
}

void
pool_stop(struct srv *s)
{
	struct pool *pool = s->pool;
	unsigned i;

	if (pool == NULL)
		return;
	pthread_mutex_lock(&pool->lock);
	pool->stop = true;
	pthread_cond_broadcast(&pool->cond);
	pthread_mutex_unlock(&pool->lock);
	for (i = 0; i < pool->n; i++)
		pthread_join(pool->threads[i], NULL);
	free(pool->threads);
	pthread_mutex_destroy(&pool->lock);
	pthread_cond_destroy(&pool->cond);
	free(pool);
	s->pool = NULL;
}
