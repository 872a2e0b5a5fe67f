/*
 * p9d in-process (embed.h). Nothing here changes the engine: it starts the
 * server as main.c does (srv_init), adds one listener before the loop runs,
 * and runs loop_run() on a thread of its own.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#include "conn.h"
#include "embed.h"

static struct srv embed_srv;
static char embed_real[PATH_MAX];
static struct sockaddr_un embed_addr;
static socklen_t embed_addrlen;
static pthread_t embed_loop;
static atomic_bool embed_started;

static void *
loop_thread(void *arg)
{
	loop_run(arg);
	return NULL;
}

int
p9d_embed_start(const struct p9d_embed_config *cfg)
{
	static atomic_uint seq;
	struct srv *s = &embed_srv;
	int lfd;

	if (atomic_exchange(&embed_started, true)) {
		errno = EBUSY;
		return -1;
	}
	if (cfg->export_path == NULL) {
		errno = EINVAL;
		return -1;
	}
	srv_config_defaults(&s->cfg);
	s->cfg.export_path = cfg->export_path;
	s->cfg.readonly = cfg->readonly;
	if (cfg->threads != 0)
		s->cfg.threads = cfg->threads;
	if (cfg->msize_max != 0)
		s->cfg.msize_max = cfg->msize_max;
	if (cfg->max_fids != 0)
		s->cfg.max_fids = cfg->max_fids;
	if (cfg->max_inflight != 0)
		s->cfg.max_inflight = cfg->max_inflight;
	s->cfg.debug = cfg->debug;
	if (srv_init(s, embed_real) != 0)
		return -1;

	/* An abstract socket name: nothing on disk, gone with the process. */
	embed_addr.sun_family = AF_UNIX;
	snprintf(embed_addr.sun_path + 1, sizeof(embed_addr.sun_path) - 1,
	    "p9d-embed-%ld-%u", (long)getpid(), atomic_fetch_add(&seq, 1));
	embed_addrlen = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + 1 +
	    strlen(embed_addr.sun_path + 1));
	lfd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (lfd < 0)
		return -1;
	if (bind(lfd, (struct sockaddr *)&embed_addr, embed_addrlen) != 0 ||
	    listen(lfd, 64) != 0 || loop_add_listener(s, lfd) != 0) {
		close(lfd);
		return -1;
	}
	if (pool_start(s, s->cfg.threads) != 0)
		return -1;
	errno = pthread_create(&embed_loop, NULL, loop_thread, s);
	return errno == 0 ? 0 : -1;
}

int
p9d_embed_connect(void)
{
	int fd;

	if (!atomic_load(&embed_started)) {
		errno = ENOTCONN;
		return -1;
	}
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	if (connect(fd, (struct sockaddr *)&embed_addr, embed_addrlen) != 0) {
		close(fd);
		return -1;
	}
	return fd;
}

unsigned
p9d_embed_conns(void)
{
	return atomic_load(&embed_started) ? atomic_load(&embed_srv.nconns) : 0;
}
