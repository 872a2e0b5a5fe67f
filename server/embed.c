/*
 * p9d in-process (embed.h), on the public API only: posix_new and
 * p9srv_new as main.c does, one listener on an abstract Unix socket, and
 * p9srv_run on a thread of its own.
 */
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <sys/socket.h>
#include <sys/un.h>

#include "embed.h"
#include "p9srv.h"
#include "p9srv_posix.h"

static struct p9srv *embed_srv;
static struct sockaddr_un embed_addr;
static socklen_t embed_addrlen;
static pthread_t embed_loop;
static atomic_bool embed_started;

static void *
loop_thread(void *arg)
{
	p9srv_run(arg);
	return NULL;
}

int
p9d_embed_start(const struct p9d_embed_config *cfg)
{
	static atomic_uint seq;
	struct p9srv_config sc;
	struct posix_fs *fs;
	char why[512];
	int lfd;

	if (atomic_exchange(&embed_started, true)) {
		errno = EBUSY;
		return -1;
	}
	if (cfg->export_path == NULL) {
		errno = EINVAL;
		return -1;
	}
	p9srv_config_defaults(&sc);
	sc.readonly = cfg->readonly;
	if (cfg->threads != 0)
		sc.threads = cfg->threads;
	if (cfg->inline_requests)
		sc.threads = 0;
	if (cfg->msize_max != 0)
		sc.msize_max = cfg->msize_max;
	if (cfg->max_fids != 0)
		sc.max_fids = cfg->max_fids;
	if (cfg->max_inflight != 0)
		sc.max_inflight = cfg->max_inflight;
	sc.debug = cfg->debug;
	sc.ident = "p9d-embed";
	if ((fs = posix_new(cfg->export_path, why, sizeof(why))) == NULL)
		return -1;
	if ((embed_srv = p9srv_new(&sc, &posix_backend, fs, why, sizeof(why))) == NULL) {
		fprintf(stderr, "p9d_embed_start: %s\n", why);
		return -1;
	}

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
	    listen(lfd, 64) != 0 || p9srv_listen(embed_srv, lfd) != 0) {
		close(lfd);
		return -1;
	}
	errno = pthread_create(&embed_loop, NULL, loop_thread, embed_srv);
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
	return atomic_load(&embed_started) ? p9srv_conns(embed_srv) : 0;
}
