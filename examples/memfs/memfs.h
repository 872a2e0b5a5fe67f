/*
 * memfs: a file system in memory, as a backend of the lib9plsrv engine
 * (p9srv.h). A RAM disk that 9P clients may change (directories, regular
 * files, symlinks, device and fifo nodes that are never opened, hard
 * links, user.* extended attributes, byte-range locks), into which the
 * program that serves it puts files of its own: files whose contents it
 * sets (memfs_add_file, memfs_set_file), and control files whose contents
 * it makes when a client opens them and whose writes it receives
 * (memfs_add_ctl), as /proc or /sys files.
 *
 * Every operation is a few memory operations under one mutex: the backend
 * marks them all as never blocking (the engine runs them on its loop
 * thread), unless a control file's callbacks may block (memfs_config.
 * ctl_blocks). Memory is bounded: everything the tree holds (nodes, names,
 * contents, targets, attributes, locks, control-file snapshots) is charged
 * against max_bytes, and what would pass it fails with ENOSPC, so a client
 * cannot exhaust the process.
 *
 * Permissions are checked as a Unix file system does (owner, group, other;
 * uid 0 passes) against the user of the request (p9srv_req_cred); when the
 * engine gives no user (a server that is not root and does not squash),
 * every request runs as the process's user.
 */
#ifndef MEMFS_H
#define MEMFS_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "p9srv.h"

#ifdef __cplusplus
extern "C" {
#endif

struct memfs;

struct memfs_config {
	uint64_t	 max_bytes;	/* memory cap (0: 64 MiB) */
	mode_t		 root_mode;	/* permissions of / (0: 0755) */
	uid_t		 uid;		/* owner of / and of the program's files */
	gid_t		 gid;
	int		 ctl_blocks;	/* control-file callbacks may block: Tlopen,
					 * Tlcreate and Twrite (the messages that
					 * call them) then run on workers */
};

/* The defaults: 64 MiB, 0755, owned by the process's effective user. */
void memfs_config_defaults(struct memfs_config *cfg);

/* A new, empty file system (cfg NULL: the defaults), or NULL (ENOMEM). */
struct memfs *memfs_new(const struct memfs_config *cfg);
/* After the server using it was freed (p9srv_free). */
void memfs_free(struct memfs *fs);
/* The backend to give p9srv_new, with fs as its context:
 *   p9srv_new(&cfg, memfs_backend(fs), fs, why, sizeof(why)) */
const struct p9srv_backend *memfs_backend(struct memfs *fs);
/* Bytes charged now (at most max_bytes). */
uint64_t memfs_used(struct memfs *fs);

/*
 * The program's side. Paths are absolute ("/etc/motd"); missing parent
 * directories are made (mode 0755). Each returns 0 or an errno value
 * (EEXIST, ENOENT, ENOTDIR, EINVAL for a bad path, ENOSPC past the cap).
 * Thread-safe, also while the server runs.
 */
int memfs_mkdir(struct memfs *fs, const char *path, mode_t mode);
/* A regular file holding a copy of data[len]. Clients may change it
 * unless mode forbids. */
int memfs_add_file(struct memfs *fs, const char *path, mode_t mode, const void *data,
    size_t len);
/* Replace the contents of the regular file at path by a copy of data[len]. */
int memfs_set_file(struct memfs *fs, const char *path, const void *data, size_t len);
/* Copy up to cap bytes of the file at path into buf; *len gets its size. */
int memfs_get_file(struct memfs *fs, const char *path, void *buf, size_t cap, size_t *len);
int memfs_symlink(struct memfs *fs, const char *path, const char *target);
/* Unlink path (a directory must be empty). */
int memfs_remove(struct memfs *fs, const char *path);

/*
 * A control file: a regular file whose contents the program makes. When a
 * client opens it for reading, `read` is called (without memfs's lock
 * held) to fill buf[cap] and returns the length of the whole contents, or
 * -errno; if that is more than cap it is called again with a buffer that
 * large. Reads of that fid are served from this snapshot, so a client sees
 * one consistent text however it reads it (as a /proc seq_file). Each
 * Twrite on the file calls `write` with its data (the offset is the
 * client's) and returns the count written or -errno. Either may be NULL
 * (EACCES: not readable / not writable). Getattr reports size 0.
 * Callbacks run on whatever thread serves the request, with no lock of
 * memfs held: they may call any memfs function.
 */
struct memfs_ctl {
	long	(*read)(void *arg, char *buf, size_t cap);
	long	(*write)(void *arg, uint64_t offset, const void *data, size_t len);
};

/* ops (and arg) must stay valid until memfs_free. */
int memfs_add_ctl(struct memfs *fs, const char *path, mode_t mode, const struct memfs_ctl *ops,
    void *arg);

#ifdef __cplusplus
}
#endif

#endif /* MEMFS_H */
