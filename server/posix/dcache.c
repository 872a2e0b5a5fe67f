/*
 * Listings of large directories, kept while the kernel says they did not
 * change (posix.h, "directory listings").
 *
 * A listing of a directory from its start is recorded as getdents64 gives
 * it (the records, with the file system's own d_off cookies) and kept
 * while an inotify watch on the directory reports nothing. The watch is
 * added, and the directory's event count read, before the recording
 * stream's first getdents64: a change the listing may have missed comes
 * after the count was read, so it shows as a different count when the
 * listing ends, and the recording is dropped. The kernel queues an entry
 * change's event before the system call that made it returns, and every
 * use of a kept listing first reads the queue: a change completed before
 * a Treaddir arrived is never missed. Only file systems whose changes all
 * pass through this kernel are kept (not NFS, FUSE, 9p: another host's
 * change sends no event), and never on a strictatime mount (each listing
 * must write the access time); on a relatime one a listing is kept for at
 * most DC_AGE_S, far below the day after which relatime writes the access
 * time again, and a change (which makes the next listing due an access
 * time) drops it at once.
 *
 * What is kept are the directory's names, types and inode numbers; the
 * qids of its directories (mount points) are still looked up at each
 * listing (io.c, entry_qid), as for a listing read from the kernel.
 *
 * Bounds: DC_SLOTS directories (inotify watches), DC_MAX_ONE bytes per
 * listing, DC_MAX_ALL bytes kept in all and as much again in recordings
 * under way; the least recently used listing goes first.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/inotify.h>

#include "posix.h"

#define DC_SLOTS	64	/* DC_MIN: posix.h */
#define DC_MAX_ONE	(1u << 20)
#define DC_MAX_ALL	(16u << 20)
#define DC_AGE_S	60
#define DC_EVENTS	(IN_CREATE | IN_DELETE | IN_MOVED_FROM | IN_MOVED_TO | \
	IN_DELETE_SELF | IN_MOVE_SELF | IN_ONLYDIR)

/* f_type of the file systems a listing is kept for: local ones, whose
 * every change goes through this kernel's fsnotify. */
bool
dc_local_fs(long type)
{
	switch ((unsigned long)type) {
	case 0xEF53:		/* ext2, ext3, ext4 */
	case 0x58465342:	/* xfs */
	case 0x9123683E:	/* btrfs */
	case 0x01021994:	/* tmpfs */
	case 0xF2F52010:	/* f2fs */
		return true;
	default:
		return false;
	}
}

struct dc_slot {
	int		 wd;		/* -1: free */
	dev_t		 dev;
	ino_t		 ino;
	uint64_t	 events;	/* events seen on wd */
	struct dc_list	*list;		/* kept listing, or NULL */
	time_t		 made;		/* when list was recorded */
	uint64_t	 used;		/* last use, for eviction */
};

struct dcache {
	pthread_mutex_t	 mu;
	int		 ifd;		/* inotify; -1: nothing is kept */
	uint64_t	 tick;
	uint64_t	 epoch;		/* bumped when ifd changes: older recordings are void */
	size_t		 kept;		/* bytes of the kept listings */
	_Atomic size_t	 recording;	/* bytes of the recordings under way */
	struct dc_stats	 st;
	struct dc_slot	 slot[DC_SLOTS];
};

struct dcache *
dc_new(void)
{
	struct dcache *dc = calloc(1, sizeof(*dc));

	if (dc == NULL)
		return NULL;
	pthread_mutex_init(&dc->mu, NULL);
	for (unsigned i = 0; i < DC_SLOTS; i++)
		dc->slot[i].wd = -1;
	dc->ifd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
	return dc;
}

void
dc_list_put(struct dc_list *l)
{
	if (l != NULL && atomic_fetch_sub_explicit(&l->refs, 1, memory_order_acq_rel) == 1)
		free(l);
}

static void
drop_list(struct dcache *dc, struct dc_slot *s)
{
	if (s->list != NULL) {
		dc->kept -= s->list->len;
		dc_list_put(s->list);
		s->list = NULL;
	}
}

void
dc_free(struct dcache *dc)
{
	if (dc == NULL)
		return;
	for (unsigned i = 0; i < DC_SLOTS; i++)
		drop_list(dc, &dc->slot[i]);
	if (dc->ifd >= 0)
		close(dc->ifd);
	pthread_mutex_destroy(&dc->mu);
	free(dc);
}

int
dc_enable(struct dcache *dc, bool on)
{
	int err = 0;

	pthread_mutex_lock(&dc->mu);
	if (!on && dc->ifd >= 0) {
		for (unsigned i = 0; i < DC_SLOTS; i++) {
			drop_list(dc, &dc->slot[i]);
			dc->slot[i].wd = -1;
		}
		close(dc->ifd);	/* removes every watch */
		dc->ifd = -1;
		dc->epoch++;
	} else if (on && dc->ifd < 0 && (dc->ifd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC)) < 0) {
		err = errno;
	}
	pthread_mutex_unlock(&dc->mu);
	return err;
}

struct dc_stats
dc_stats(struct dcache *dc)
{
	struct dc_stats st;

	pthread_mutex_lock(&dc->mu);
	st = dc->st;
	st.kept_bytes = dc->kept;
	pthread_mutex_unlock(&dc->mu);
	return st;
}

static struct dc_slot *
slot_of_wd(struct dcache *dc, int wd)
{
	for (unsigned i = 0; i < DC_SLOTS; i++)
		if (dc->slot[i].wd == wd)
			return &dc->slot[i];
	return NULL;
}

/* Forget slot s and its watch (whose IN_IGNORED, read later, then matches
 * no slot: inotify does not hand out a removed wd again soon, and a slot
 * is also checked against its directory's dev and inode). */
static void
slot_free(struct dcache *dc, struct dc_slot *s, bool rm_watch)
{
	drop_list(dc, s);
	if (rm_watch && s->wd >= 0)
		(void)inotify_rm_watch(dc->ifd, s->wd);
	s->wd = -1;
}

/* Read every queued event: each one drops its directory's listing. With
 * dc->mu held. */
static void
drain(struct dcache *dc)
{
	char buf[4096] __attribute__((aligned(__alignof__(struct inotify_event))));

	for (;;) {
		ssize_t n = read(dc->ifd, buf, sizeof(buf));

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return;	/* EAGAIN: the queue is empty */
		for (ssize_t off = 0; off < n;) {
			const struct inotify_event *e = (const void *)(buf + off);
			struct dc_slot *s;

			off += (ssize_t)(sizeof(*e) + e->len);
			if ((e->mask & IN_Q_OVERFLOW) != 0) {
				/* Events were lost: every listing goes. */
				for (unsigned i = 0; i < DC_SLOTS; i++) {
					dc->slot[i].events++;
					drop_list(dc, &dc->slot[i]);
				}
				dc->st.dropped++;
				continue;
			}
			if ((s = slot_of_wd(dc, e->wd)) == NULL)
				continue;
			s->events++;
			if (s->list != NULL)
				dc->st.dropped++;
			drop_list(dc, s);
			if ((e->mask & IN_IGNORED) != 0)
				slot_free(dc, s, false);	/* the watch is gone */
		}
	}
}

static struct dc_slot *
slot_of_dir(struct dcache *dc, dev_t dev, ino_t ino)
{
	for (unsigned i = 0; i < DC_SLOTS; i++) {
		struct dc_slot *s = &dc->slot[i];

		if (s->wd >= 0 && s->dev == dev && s->ino == ino)
			return s;
	}
	return NULL;
}

/* The slot of directory (dev, ino) once every queued event has been read
 * (what it keeps is then current), or NULL. With dc->mu held. */
static struct dc_slot *
current_slot(struct dcache *dc, dev_t dev, ino_t ino)
{
	if (dc->ifd < 0)
		return NULL;
	drain(dc);
	return slot_of_dir(dc, dev, ino);
}

struct dc_list *
dc_get(struct dcache *dc, dev_t dev, ino_t ino)
{
	struct dc_list *l = NULL;
	struct dc_slot *s;

	pthread_mutex_lock(&dc->mu);
	s = current_slot(dc, dev, ino);
	if (s != NULL && s->list != NULL && time(NULL) - s->made >= DC_AGE_S) {
		dc->st.dropped++;
		drop_list(dc, s);
	}
	if (s != NULL && s->list != NULL) {
		l = s->list;
		atomic_fetch_add_explicit(&l->refs, 1, memory_order_relaxed);
		s->used = ++dc->tick;
		dc->st.hits++;
	}
	pthread_mutex_unlock(&dc->mu);
	return l;
}

bool
dc_valid(struct dcache *dc, const struct dc_list *l, dev_t dev, ino_t ino)
{
	struct dc_slot *s;
	bool ok;

	pthread_mutex_lock(&dc->mu);
	ok = (s = current_slot(dc, dev, ino)) != NULL && s->list == l;
	pthread_mutex_unlock(&dc->mu);
	return ok;
}

/* The least recently used slot in use (with a kept listing, if
 * `kept`), or NULL. With dc->mu held. */
static struct dc_slot *
lru_slot(struct dcache *dc, bool kept)
{
	struct dc_slot *lru = NULL;

	for (unsigned i = 0; i < DC_SLOTS; i++) {
		struct dc_slot *s = &dc->slot[i];

		if (s->wd >= 0 && (!kept || s->list != NULL) && (lru == NULL || s->used < lru->used))
			lru = s;
	}
	return lru;
}


void
dc_rec_begin(struct dcache *dc, struct dc_rec *rec, int fd, dev_t dev, ino_t ino)
{
	char path[FS_FDPATH_LEN];
	struct dc_slot *s;
	int wd;

	memset(rec, 0, sizeof(*rec));
	rec->wd = -1;
	/* Through the descriptor's magic link: the open directory itself. */
	fs_fdpath(fd, path);
	pthread_mutex_lock(&dc->mu);
	if (dc->ifd < 0 || (wd = inotify_add_watch(dc->ifd, path, DC_EVENTS)) < 0) {
		pthread_mutex_unlock(&dc->mu);
		return;
	}
	drain(dc);
	if ((s = slot_of_wd(dc, wd)) != NULL && (s->dev != dev || s->ino != ino))
		slot_free(dc, s, false);	/* a wd handed out again: not that slot's */
	if (s == NULL && (s = slot_of_wd(dc, -1)) == NULL) {
		s = lru_slot(dc, false);	/* every slot in use: the least recently used goes */
		slot_free(dc, s, true);
	}
	if (s->wd < 0)
		*s = (struct dc_slot){ .wd = wd, .dev = dev, .ino = ino };
	s->used = ++dc->tick;
	rec->wd = wd;
	rec->dev = dev;
	rec->ino = ino;
	rec->events = s->events;
	rec->epoch = dc->epoch;
	pthread_mutex_unlock(&dc->mu);
}

void
dc_rec_add(struct dcache *dc, struct dc_rec *rec, const void *recs, size_t n)
{
	size_t need, cap;

	if (rec->wd < 0)
		return;
	need = (rec->list != NULL ? rec->list->len : 0) + n;
	if (need > DC_MAX_ONE) {
		dc_rec_end(dc, rec, false);	/* too large to keep */
		return;
	}
	cap = rec->cap;
	while (cap < need)
		cap = cap == 0 ? 65536 : cap * 2;
	if (cap > DC_MAX_ONE)
		cap = DC_MAX_ONE;
	if (cap != rec->cap) {
		struct dc_list *l;

		if (atomic_fetch_add(&dc->recording, cap - rec->cap) + (cap - rec->cap) > DC_MAX_ALL ||
		    (l = realloc(rec->list, sizeof(*l) + cap)) == NULL) {
			atomic_fetch_sub(&dc->recording, cap - rec->cap);
			dc_rec_end(dc, rec, false);
			return;
		}
		if (rec->list == NULL)
			l->len = 0;
		rec->list = l;
		rec->cap = cap;
	}
	memcpy((uint8_t *)rec->list->recs + rec->list->len, recs, n);
	rec->list->len = (uint32_t)need;
}

void
dc_rec_end(struct dcache *dc, struct dc_rec *rec, bool complete)
{
	struct dc_list *l = rec->list, *shrunk;
	struct dc_slot *s, *old;
	int wd = rec->wd;

	if (wd < 0)
		return;
	atomic_fetch_sub(&dc->recording, rec->cap);
	rec->wd = -1;
	rec->list = NULL;
	rec->cap = 0;
	pthread_mutex_lock(&dc->mu);
	s = NULL;
	if (dc->ifd >= 0 && rec->epoch == dc->epoch) {
		drain(dc);
		s = slot_of_wd(dc, wd);
		if (s != NULL && (s->dev != rec->dev || s->ino != rec->ino))
			s = NULL;
	}
	if (s != NULL && s->events == rec->events && complete && l != NULL && l->len >= DC_MIN) {
		/* Nothing changed since the recording began: keep it, in
		 * place of an older one, within DC_MAX_ALL. */
		if ((shrunk = realloc(l, sizeof(*l) + l->len)) != NULL)
			l = shrunk;
		drop_list(dc, s);
		while (dc->kept + l->len > DC_MAX_ALL && (old = lru_slot(dc, true)) != NULL)
			drop_list(dc, old);
		atomic_init(&l->refs, 1);
		s->list = l;
		s->made = time(NULL);
		s->used = ++dc->tick;
		dc->kept += l->len;
		dc->st.kept++;
		l = NULL;
	} else if (s != NULL && s->list == NULL) {
		slot_free(dc, s, true);	/* nothing kept: the watch goes */
	}
	pthread_mutex_unlock(&dc->mu);
	free(l);
}
