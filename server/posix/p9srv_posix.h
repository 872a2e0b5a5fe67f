/*
 * The POSIX backend of p9d, for programs that embed it: export a host
 * directory through the engine (p9srv.h).
 *
 *	struct posix_fs *fs = posix_new("/srv/data", why, sizeof(why));
 *	struct p9srv *s = p9srv_new(&cfg, &posix_backend, fs, why, sizeof(why));
 *	... p9srv_listen, p9srv_run, p9srv_free(s) ...
 *	posix_free(fs);
 */
#ifndef P9SRV_POSIX_H
#define P9SRV_POSIX_H

#include <stddef.h>

#include "p9srv.h"

struct posix_fs;

extern P9SRV_API const struct p9srv_backend posix_backend;

/* Open the export (a directory; symlinks in its path are resolved once,
 * here) and set the process umask to 0: creation modes arrive already
 * masked by the client. Returns NULL with errno set, and why[whylen]
 * naming the path and the reason. */
P9SRV_API struct posix_fs *posix_new(const char *export_path, char *why, size_t whylen);
/* After every server using fs is freed. */
P9SRV_API void posix_free(struct posix_fs *fs);
/* The export as resolved (realpath). */
P9SRV_API const char *posix_export(const struct posix_fs *fs);

#endif /* P9SRV_POSIX_H */
