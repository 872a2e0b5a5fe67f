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

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

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

/*
 * Listings of large directories (8 KiB and more of entries) are kept in
 * memory while the kernel reports no change to them (inotify), on local
 * file systems (ext2-4, xfs, btrfs, tmpfs, f2fs) and mounts that are not
 * strictatime: a listing from the start is then served without the file
 * system. At most 64 directories and 16 MiB, each kept at most 60 s. On
 * by default; posix_set_dircache(fs, false) drops them and keeps none.
 * Returns 0, or an errno when it cannot be turned on (no inotify).
 */
P9SRV_API int posix_set_dircache(struct posix_fs *fs, bool on);
struct posix_dircache_stats {
	uint64_t	 hits;		/* listings served from memory */
	uint64_t	 kept;		/* listings recorded and kept */
	uint64_t	 dropped;	/* kept listings dropped: a change, their age, lost events */
	uint64_t	 bytes;		/* bytes kept now */
};
P9SRV_API void posix_dircache_stats(struct posix_fs *fs, struct posix_dircache_stats *out);

#endif /* P9SRV_POSIX_H */
