/*
 * The worker pool: a FIFO of requests and N threads. Each worker owns a
 * reply buffer of msize_max bytes and a scratch area, reused for every
 * request it runs: nothing is allocated per request here.
 *
 * At most `active` workers are woken to run queued requests at once
 * (p9srv_config.active; default the CPUs the server may run on): more
 * than the CPUs only take turns on them, each turn a context switch and
 * a futex wake-up more. A worker that finishes a request takes the next
 * queued one itself. The others sleep until fewer run, unless the queue
 * stalls: when requests wait and none was taken off the queue for
 * STALL_US, those running are likely blocked in the file system (a cold
 * read, an fsync), and a monitor thread wakes one more worker, again
 * after each STALL_US without progress, up to all N. With active >= N
 * every push may wake a worker and there is no monitor, as before.
 */
#include <errno.h>
#include <sched.h>
#include <stdint.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include "conn.h"

#define SCRATCH_LEN	P9SRV_SCRATCH_LEN
#define STALL_US	1000

struct worker {
	struct pool	*pool;
	pthread_t	 thread;
	pthread_cond_t	 cond;		/* waits here while idle */
	bool		 woken;		/* taken off the idle stack to run */
	struct worker	*next_idle;
};

struct pool {
	pthread_mutex_t	 lock;
	struct p9srv_req	*head, **tail;
	bool		 stop;
	struct worker	*workers;
	unsigned	 n;
	size_t		 replycap;
	unsigned	 active;	/* workers woken for the queue at once */
	unsigned	 running;	/* workers not idle (counting those woken) */
	/* Idle workers, the last to go idle on top: woken first, it is the
	 * one whose stack and buffers are likeliest still in a cache. */
	struct worker	*idle;
	uint64_t	 taken;		/* requests taken off the queue: progress */
	bool		 has_monitor;
	bool		 monitor_waits;	/* the monitor sleeps until a request waits */
	pthread_cond_t	 mcond;
	pthread_t	 monitor;
};

/* Called with the lock held: take an idle worker to run (the caller
 * signals its cond after the unlock), or NULL if none is idle. */
static struct worker *
grant_wake(struct pool *pool)
{
	struct worker *w = pool->idle;

	if (w == NULL)
		return NULL;
	pool->idle = w->next_idle;
	w->woken = true;
	pool->running++;
	return w;
}

static void *
worker(void *arg)
{
	struct worker *self = arg;
	struct pool *pool = self->pool;
	size_t cap = pool->replycap;
	uint8_t *reply = malloc(cap);
	uint8_t *scratch = malloc(SCRATCH_LEN);
	int pipefd[2] = { -1, -1 };	/* p9srv_reply_fd's, made at its first use */
	struct p9srv_req *r;

	if (reply == NULL || scratch == NULL)
		abort();
	pthread_mutex_lock(&pool->lock);
	for (;;) {
		/* Here this worker is not counted in running. It runs what
		 * is queued if fewer than `active` run (all, when stopping),
		 * else it goes idle until a grant or the stop. */
		if (pool->head == NULL || (pool->running >= pool->active && !pool->stop)) {
			if (pool->stop)
				break;	/* stopping and drained */
			self->woken = false;
			self->next_idle = pool->idle;
			pool->idle = self;
			/* Requests wait and a worker is idle now: the monitor,
			 * asleep while none was, must time the queue (a worker
			 * that starts late comes here with requests queued). */
			if (pool->head != NULL && pool->monitor_waits) {
				pool->monitor_waits = false;
				pthread_cond_signal(&pool->mcond);
			}
			while (!self->woken && !pool->stop)
				pthread_cond_wait(&self->cond, &pool->lock);
			if (!self->woken)
				continue;	/* stopping: pool_stop emptied the stack */
			/* woken: counted in running by its granter */
		} else {
			pool->running++;
		}
		while ((r = pool->head) != NULL) {
			pool->head = r->next;
			if (pool->head == NULL)
				pool->tail = &pool->head;
			pool->taken++;
			pthread_mutex_unlock(&pool->lock);
			r->next = NULL;
			r->on_loop = false;
			req_run(r, reply, cap, scratch, SCRATCH_LEN, pipefd);
			pthread_mutex_lock(&pool->lock);
		}
		pool->running--;
	}
	pthread_mutex_unlock(&pool->lock);
	free(reply);
	free(scratch);
	if (pipefd[0] >= 0) {
		close(pipefd[0]);
		close(pipefd[1]);
	}
	return NULL;
}

/* Wakes one more worker whenever requests wait and none was taken off
 * the queue for STALL_US (the file header). Sleeps while the queue is
 * empty or no worker is idle. */
static void *
monitor(void *arg)
{
	struct pool *pool = arg;

	pthread_mutex_lock(&pool->lock);
	while (!pool->stop) {
		struct timespec until;
		uint64_t seen;

		struct worker *w;

		if (pool->head == NULL || pool->idle == NULL) {
			pool->monitor_waits = true;
			pthread_cond_wait(&pool->mcond, &pool->lock);
			pool->monitor_waits = false;
			continue;
		}
		seen = pool->taken;
		clock_gettime(CLOCK_MONOTONIC, &until);
		until.tv_nsec += STALL_US * 1000L;
		if (until.tv_nsec >= 1000000000L) {
			until.tv_sec++;
			until.tv_nsec -= 1000000000L;
		}
		while (!pool->stop && pthread_cond_timedwait(&pool->mcond, &pool->lock, &until) == 0)
			;	/* woken early (stop, or a spurious wake-up) */
		if (!pool->stop && pool->head != NULL && pool->taken == seen &&
		    (w = grant_wake(pool)) != NULL)
			pthread_cond_signal(&w->cond);
	}
	pthread_mutex_unlock(&pool->lock);
	return NULL;
}

unsigned
srv_usable_cpus(void)
{
	cpu_set_t set;
	long n;

	if (sched_getaffinity(0, sizeof(set), &set) == 0 && CPU_COUNT(&set) > 0)
		return (unsigned)CPU_COUNT(&set);
	n = sysconf(_SC_NPROCESSORS_ONLN);
	return n > 0 ? (unsigned)n : 1;
}

int
pool_start(struct p9srv *s, unsigned nthreads)
{
	struct pool *pool = calloc(1, sizeof(*pool));
	pthread_condattr_t ca;
	unsigned i;

	if (pool == NULL)
		return -1;
	s->pool = pool;
	pthread_mutex_init(&pool->lock, NULL);
	pool->tail = &pool->head;
	pool->replycap = s->cfg.msize_max;
	pool->active = s->cfg.active != 0 ? s->cfg.active : srv_usable_cpus();
	/* CLOCK_MONOTONIC for the monitor's waits: a clock set back must
	 * not stretch them. */
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&pool->mcond, &ca);
	pthread_condattr_destroy(&ca);
	pool->workers = calloc(nthreads > 0 ? nthreads : 1, sizeof(*pool->workers));
	if (pool->workers == NULL) {
		errno = ENOMEM;
		return -1;
	}
	for (i = 0; i < nthreads; i++) {
		struct worker *w = &pool->workers[i];
		int err;

		w->pool = pool;
		pthread_cond_init(&w->cond, NULL);
		if ((err = pthread_create(&w->thread, NULL, worker, w)) != 0) {
			pthread_cond_destroy(&w->cond);
			errno = err;
			return -1;
		}
		pool->n++;
	}
	if (pool->active < nthreads) {
		int err = pthread_create(&pool->monitor, NULL, monitor, pool);

		if (err != 0) {
			errno = err;
			return -1;
		}
		pool->has_monitor = true;
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
	struct worker *w = NULL;
	bool tell_monitor;

	r->next = NULL;
	pthread_mutex_lock(&pool->lock);
	*pool->tail = r;
	pool->tail = &r->next;
	if (pool->running < pool->active)
		w = grant_wake(pool);
	tell_monitor = w == NULL && pool->monitor_waits;
	if (tell_monitor)
		pool->monitor_waits = false;	/* one signal is enough */
	pthread_mutex_unlock(&pool->lock);
	/* After the unlock: a worker woken while we still held the lock
	 * would wake only to sleep on it (a futex wait and wake more). */
	if (w != NULL)
		pthread_cond_signal(&w->cond);
	if (tell_monitor)
		pthread_cond_signal(&pool->mcond);
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
	pool->idle = NULL;	/* each wakes by its stop, not by a grant */
	for (i = 0; i < pool->n; i++)
		pthread_cond_signal(&pool->workers[i].cond);
	pthread_cond_broadcast(&pool->mcond);
	pthread_mutex_unlock(&pool->lock);
	for (i = 0; i < pool->n; i++) {
		pthread_join(pool->workers[i].thread, NULL);
		pthread_cond_destroy(&pool->workers[i].cond);
	}
	if (pool->has_monitor)
		pthread_join(pool->monitor, NULL);
	free(pool->workers);
	pthread_mutex_destroy(&pool->lock);
	pthread_cond_destroy(&pool->mcond);
	free(pool);
	s->pool = NULL;
}
