/*
 * The worker pool: a FIFO of requests and N threads. Each worker owns a
 * reply buffer of msize_max bytes and a scratch area, reused for every
 * request it runs: nothing is allocated per request here.
 */
#include <errno.h>
#include <stdlib.h>
#include <unistd.h>

#include "conn.h"

#define SCRATCH_LEN	P9SRV_SCRATCH_LEN

struct pool {
	pthread_mutex_t	 lock;
	pthread_cond_t	 cond;
	struct p9srv_req	*head, **tail;
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
	int pipefd[2] = { -1, -1 };	/* p9srv_reply_fd's, made at its first use */
	struct p9srv_req *r;

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
		r->on_loop = false;
		req_run(r, reply, cap, scratch, SCRATCH_LEN, pipefd);
	}
	free(reply);
	free(scratch);
	if (pipefd[0] >= 0) {
		close(pipefd[0]);
		close(pipefd[1]);
	}
	return NULL;
}

int
pool_start(struct p9srv *s, unsigned nthreads)
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
	pool->threads = calloc(nthreads > 0 ? nthreads : 1, sizeof(*pool->threads));
	if (pool->threads == NULL) {
		errno = ENOMEM;
		return -1;
	}
	for (i = 0; i < nthreads; i++) {
		int err = pthread_create(&pool->threads[i], NULL, worker, pool);

		if (err != 0) {
			errno = err;
			return -1;
		}
		pool->n++;
	}
	return 0;
}

void
pool_run_here(struct p9srv_req *r)
{
	struct loop_io *io = r->conn->io;
	uint8_t *reply;
	size_t cap;

	r->on_loop = true;
	conn_reply_area(r, &reply, &cap);
	req_run(r, reply, cap, io->scratch, SCRATCH_LEN, io->pipe);
}

void
pool_push(struct p9srv_req *r)
{
	struct pool *pool = r->conn->srv->pool;

	r->next = NULL;
	pthread_mutex_lock(&pool->lock);
	*pool->tail = r;
	pool->tail = &r->next;
	pthread_mutex_unlock(&pool->lock);
	/* After the unlock: a worker woken while we still held the lock
	 * would wake only to sleep on it (a futex wait and wake more). */
	pthread_cond_signal(&pool->cond);
}

void
pool_stop(struct p9srv *s)
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
