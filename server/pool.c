/*
 * The worker pool: a FIFO of requests and N threads. Each worker owns a
 * reply buffer of msize_max bytes and a scratch area, reused for every
 * request it runs: nothing is allocated per request here.
 */
#include <stdlib.h>

#include "conn.h"

#define SCRATCH_LEN	(64 * 1024 + 8192)

static struct {
	pthread_mutex_t	 lock;
	pthread_cond_t	 cond;
	struct req	*head, **tail;
	bool		 stop;
	pthread_t	*threads;
	unsigned	 n;
} pool = {
	.lock = PTHREAD_MUTEX_INITIALIZER,
	.cond = PTHREAD_COND_INITIALIZER,
};

static void *
worker(void *arg)
{
	size_t cap = g_srv->cfg.msize_max;
	uint8_t *reply = malloc(cap);
	uint8_t *scratch = malloc(SCRATCH_LEN);
	struct req *r;

	(void)arg;
	if (reply == NULL || scratch == NULL)
		abort();
	for (;;) {
		pthread_mutex_lock(&pool.lock);
		while (pool.head == NULL && !pool.stop)
			pthread_cond_wait(&pool.cond, &pool.lock);
		r = pool.head;
		if (r == NULL) {	/* stopping and drained */
			pthread_mutex_unlock(&pool.lock);
			break;
		}
		pool.head = r->next;
		if (pool.head == NULL)
			pool.tail = &pool.head;
		pthread_mutex_unlock(&pool.lock);
		r->next = NULL;
		req_run(r, reply, cap, scratch, SCRATCH_LEN);
	}
	free(reply);
	free(scratch);
	return NULL;
}

int
pool_start(unsigned nthreads)
{
	unsigned i;

	pool.tail = &pool.head;
	pool.threads = calloc(nthreads, sizeof(*pool.threads));
	if (pool.threads == NULL)
		return -1;
	for (i = 0; i < nthreads; i++) {
		if (pthread_create(&pool.threads[i], NULL, worker, NULL) != 0)
			break;
		pool.n++;
	}
	return pool.n == nthreads ? 0 : -1;
}

void
pool_push(struct req *r)
{
	r->next = NULL;
	pthread_mutex_lock(&pool.lock);
	*pool.tail = r;
	pool.tail = &r->next;
	pthread_cond_signal(&pool.cond);
	pthread_mutex_unlock(&pool.lock);
}

void
pool_stop(void)
{
	unsigned i;

	pthread_mutex_lock(&pool.lock);
	pool.stop = true;
	pthread_cond_broadcast(&pool.cond);
	pthread_mutex_unlock(&pool.lock);
	for (i = 0; i < pool.n; i++)
		pthread_join(pool.threads[i], NULL);
	free(pool.threads);
	pool.threads = NULL;
	pool.n = 0;
}
