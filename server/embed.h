/*
 * p9d in-process: run the server engine (event loop thread + worker pool)
 * inside another program, for the fuzz harness and for embedders' tests.
 *
 * The engine keeps all of a server's state in its struct p9srv, so a program
 * may run several (p9srv.h: p9srv_new, p9srv_run, p9srv_stop, p9srv_free); this
 * convenience wrapper runs one per process, until exit.
 * p9d_embed_start() gives the loop a private listening socket (an abstract
 * AF_UNIX name) before the loop thread exists; p9d_embed_connect() then
 * connects to it from any thread, and the loop accepts on its own thread
 * exactly as for a network client: no engine function is ever called from
 * a thread other than the loop's.
 */
#ifndef P9D_EMBED_H
#define P9D_EMBED_H

#include <stdbool.h>
#include <stdint.h>

struct p9d_embed_config {
	const char	*export_path;	/* directory to export (required) */
	bool		 readonly;
	/* 0: p9d's default (p9srv_config_defaults: 2 x CPUs but at least 4
	 * threads, msize 1 MiB, 16384 fids, 64 in flight) */
	unsigned	 threads;	/* worker threads */
	bool		 inline_requests; /* no worker threads at all (threads 0:
					 * every request on the loop thread) */
	uint32_t	 msize_max;
	unsigned	 max_fids;	/* per connection */
	unsigned	 max_inflight;	/* per connection */
	int		 debug;		/* trace every message to stderr */
};

/* Start the one embedded server. Returns 0, or -1 with errno set (also if
 * it was started already). Sets the process umask to 0 (as p9d does) and
 * ignores SIGPIPE. */
int p9d_embed_start(const struct p9d_embed_config *cfg);

/* A new connection to the embedded server: a connected stream socket
 * (blocking, close-on-exec), or -1 with errno set. Thread-safe. */
int p9d_embed_connect(void);

/* Connections the server still holds: a connection counts until its last
 * request has finished and its memory is released, so 0 after the client
 * closed means the server has fully let go of that session. */
unsigned p9d_embed_conns(void);

#endif /* P9D_EMBED_H */
