/*
 * lock.c: Tlock and Tgetlock, POSIX byte-range locks (spec 3.17).
 *
 * Locks are open-file-description (OFD) locks on the fid's open
 * descriptor. The owner is thus the fid: two fids conflict with each other
 * whether they belong to one connection or two, as the protocol wants
 * (plain fcntl locks would all belong to this one process and never
 * conflict). Closing the fid's descriptor, at its release, drops its
 * locks; so does the connection closing, which releases every fid.
 *
 * The server never waits for a lock: F_OFD_SETLK only, and a conflict is
 * answered BLOCKED, after which the Linux client sleeps and retries
 * (a worker stuck in F_OFD_SETLKW could not be flushed).
 *
 * OFD locks report no holder (F_OFD_GETLK gives l_pid -1), but Rgetlock
 * should name one, so a table mirrors every granted lock with the proc_id
 * and client_id it was asked for. The table is the export's (struct
 * posix_fs: lock_mu, lock_head), and a leaf lock: its mutex is held
 * across F_OFD_SETLK and F_OFD_GETLK, which
 * never block, so that the table changes in the same order as the
 * kernel's locks and a lookup sees the state the kernel answered from.
 * Locks taken by host processes are not in it: their holder is reported
 * as proc_id 0 with an empty client_id.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "posix.h"

#define LOCK_ID_MAX	64		/* client_id bytes kept and replied (spec 3.17: keep it short) */
#define LOCK_RECS_MAX	65536		/* beyond this, holders go unrecorded */
#define LOCK_OFF_MAX	((uint64_t)INT64_MAX)

/* One granted range of one owner. An owner's records never overlap. */
struct lockrec {
	struct lockrec	*next;
	const struct pfid *owner;
	dev_t		 dev;
	ino_t		 ino;
	uint64_t	 start, end;	/* inclusive; end LOCK_OFF_MAX: to end of file */
	short		 type;		/* F_RDLCK or F_WRLCK */
	uint32_t	 proc_id;
	uint16_t	 idlen;
	char		 client_id[LOCK_ID_MAX];
};

/* The fid's open descriptor (the engine checked that it is opened): set
 * once by Tlopen/Tlcreate, closed at release. */
static int
open_fd_of(struct pfid *f)
{
	int fd;

	pthread_mutex_lock(&f->lock);
	fd = f->open_fd;
	pthread_mutex_unlock(&f->lock);
	return fd;
}

/* Wire type to fcntl type; -1 if unknown. */
static short
host_type(uint8_t type)
{
	switch (type) {
	case P9_LOCK_TYPE_RDLCK:
		return F_RDLCK;
	case P9_LOCK_TYPE_WRLCK:
		return F_WRLCK;
	case P9_LOCK_TYPE_UNLCK:
		return F_UNLCK;
	default:
		return -1;
	}
}

/* The range as a struct flock. start is absolute and length 0 runs to the
 * end of file (spec 3.17); both, and the last byte, must fit off_t. */
static int
range(uint64_t start, uint64_t length, short type, struct flock *fl)
{
	if (start > LOCK_OFF_MAX || length > LOCK_OFF_MAX ||
	    (length != 0 && length - 1 > LOCK_OFF_MAX - start))
		return EINVAL;
	memset(fl, 0, sizeof(*fl));	/* OFD locks want l_pid 0 */
	fl->l_type = type;
	fl->l_whence = SEEK_SET;
	fl->l_start = (off_t)start;
	fl->l_len = (off_t)length;
	return 0;
}

static uint64_t
range_end(uint64_t start, uint64_t length)
{
	return length == 0 ? LOCK_OFF_MAX : start + length - 1;
}

/* Remove [start, end] from owner's records of (dev, ino), splitting a
 * record that straddles it. Caller holds s->lock_mu. */
static void
carve(const struct pfid *owner, dev_t dev, ino_t ino, uint64_t start, uint64_t end)
{
	struct posix_fs *s = owner->fs;
	struct lockrec **pp = &s->lock_head, *l;

	while ((l = *pp) != NULL) {
		if (l->owner != owner || l->dev != dev || l->ino != ino ||
		    l->end < start || l->start > end) {
			pp = &l->next;
			continue;
		}
		if (l->start < start && l->end > end) {
			struct lockrec *tail = s->lock_n < LOCK_RECS_MAX ?
			    malloc(sizeof(*tail)) : NULL;

			/* Without room the tail goes unrecorded (its holder
			 * is then reported as unknown). */
			if (tail != NULL) {
				*tail = *l;
				tail->start = end + 1;
				l->next = tail;
				s->lock_n++;
			}
			l->end = start - 1;
			pp = &l->next;
		} else if (l->start < start) {
			l->end = start - 1;
			pp = &l->next;
		} else if (l->end > end) {
			l->start = end + 1;
			pp = &l->next;
		} else {
			*pp = l->next;
			free(l);
			s->lock_n--;
		}
	}
}

/* Record a granted Tlock (POSIX semantics: the new range replaces whatever
 * the owner held there). Caller holds s->lock_mu. */
static void
record(const struct pfid *owner, const struct stat *st, const struct p9_tlock *in,
    short type)
{
	struct posix_fs *s = owner->fs;
	uint64_t end = range_end(in->start, in->length);
	struct lockrec *l;

	carve(owner, st->st_dev, st->st_ino, in->start, end);
	if (type == F_UNLCK || s->lock_n >= LOCK_RECS_MAX ||
	    (l = malloc(sizeof(*l))) == NULL)
		return;
	l->owner = owner;
	l->dev = st->st_dev;
	l->ino = st->st_ino;
	l->start = in->start;
	l->end = end;
	l->type = type;
	l->proc_id = in->proc_id;
	l->idlen = in->client_id.len < LOCK_ID_MAX ? in->client_id.len : LOCK_ID_MAX;
	memcpy(l->client_id, in->client_id.ptr, l->idlen);
	l->next = s->lock_head;
	s->lock_head = l;
	s->lock_n++;
}

void
lock_released(struct pfid *f)
{
	struct posix_fs *s = f->fs;
	struct lockrec **pp, *l, *dead = NULL;

	pthread_mutex_lock(&s->lock_mu);
	for (pp = &s->lock_head; (l = *pp) != NULL;) {
		if (l->owner == f) {
			*pp = l->next;
			l->next = dead;
			dead = l;
			s->lock_n--;
		} else {
			pp = &l->next;
		}
	}
	pthread_mutex_unlock(&s->lock_mu);
	while ((l = dead) != NULL) {
		dead = l->next;
		free(l);
	}
}

/*
 * Tlock: set or clear a range, never waiting (spec 3.17). SUCCESS, or
 * BLOCKED on a conflict, or ERROR for other host failures (ENOLCK...).
 * A read lock on a descriptor not open for reading, or a write lock on one
 * not open for writing, is the caller's mistake, as in fcntl: Rlerror
 * EBADF rather than a status.
 */
int
px_lock(struct p9srv_req *r, void *file, const struct p9_tlock *in, struct p9_rlock *out)
{
	struct pfid *f = file;
	struct posix_fs *s = f->fs;
	short type = host_type(in->type);
	struct flock fl;
	struct stat st;
	int fd = open_fd_of(f), err = 0;

	(void)r;
	if ((type < 0 ||
	    (in->flags & ~(uint32_t)(P9_LOCK_FLAGS_BLOCK | P9_LOCK_FLAGS_RECLAIM)) != 0))
		err = EINVAL;
	if (err == 0)
		err = range(in->start, in->length, type, &fl);
	if (err == 0 && fstat(fd, &st) != 0)
		err = errno;
	if (err != 0)
		return err;
	pthread_mutex_lock(&s->lock_mu);
	if (fcntl(fd, F_OFD_SETLK, &fl) == 0) {
		record(f, &st, in, type);
		out->status = P9_LOCK_SUCCESS;
	} else if (errno == EAGAIN || errno == EACCES) {
		out->status = P9_LOCK_BLOCKED;
	} else if (errno == EBADF) {
		err = EBADF;
	} else {
		out->status = P9_LOCK_ERROR;
	}
	pthread_mutex_unlock(&s->lock_mu);
	return err;
}

/* The recorded holder of the lock the kernel reported as conflicting with
 * self's request: another owner's record of that type overlapping the
 * range, preferably starting where it does. Caller holds s->lock_mu. */
static const struct lockrec *
holder(const struct pfid *self, const struct stat *st, const struct flock *fl)
{
	const struct posix_fs *s = self->fs;
	uint64_t start = (uint64_t)fl->l_start;
	uint64_t end = range_end(start, (uint64_t)fl->l_len);
	const struct lockrec *l, *best = NULL;

	for (l = s->lock_head; l != NULL; l = l->next) {
		if (l->owner == self || l->dev != st->st_dev || l->ino != st->st_ino ||
		    l->type != fl->l_type || l->end < start || l->start > end)
			continue;
		if (l->start == start)
			return l;
		if (best == NULL)
			best = l;
	}
	return best;
}

/* Copy at most LOCK_ID_MAX bytes of a client_id into the request's scratch. */
static struct p9_str
reply_id(struct p9srv_req *r, const char *id, size_t len)
{
	size_t room;
	uint8_t *scratch = p9srv_req_scratch(r, &room);

	if (len > LOCK_ID_MAX)
		len = LOCK_ID_MAX;
	if (len > room)
		len = room;
	if (len > 0)
		memcpy(scratch, id, len);
	return (struct p9_str){ (const char *)scratch, (uint16_t)len };
}

/*
 * Tgetlock: would this lock be granted? (spec 3.17). Linux always asks
 * with type UNLCK, which cannot tell a read test from a write test: test
 * the stricter, a write lock. No conflict: type UNLCK and the request's
 * own range, proc_id and client_id echoed. Otherwise the conflicting
 * lock's type and range (length 0: to end of file) and its recorded
 * holder.
 */
int
px_getlock(struct p9srv_req *r, void *file, const struct p9_tgetlock *in,
    struct p9_rgetlock *out)
{
	struct pfid *f = file;
	struct posix_fs *s = f->fs;
	short type = host_type(in->type);
	const struct lockrec *l;
	struct flock fl;
	struct stat st;
	int fd = open_fd_of(f), err = 0;

	if (type < 0)
		err = EINVAL;
	if (err == 0)
		err = range(in->start, in->length, type == F_UNLCK ? F_WRLCK : type, &fl);
	if (err == 0 && fstat(fd, &st) != 0)
		err = errno;
	if (err != 0)
		return err;
	pthread_mutex_lock(&s->lock_mu);
	if (fcntl(fd, F_OFD_GETLK, &fl) != 0) {
		err = errno;
	} else if (fl.l_type == F_UNLCK) {
		out->type = P9_LOCK_TYPE_UNLCK;
		out->start = in->start;
		out->length = in->length;
		out->proc_id = in->proc_id;
		out->client_id = reply_id(r, in->client_id.ptr, in->client_id.len);
	} else {
		out->type = fl.l_type == F_RDLCK ? P9_LOCK_TYPE_RDLCK : P9_LOCK_TYPE_WRLCK;
		out->start = (uint64_t)fl.l_start;
		out->length = (uint64_t)fl.l_len;
		l = holder(f, &st, &fl);
		out->proc_id = l != NULL ? l->proc_id : 0;
		out->client_id = l != NULL ? reply_id(r, l->client_id, l->idlen) :
		    (struct p9_str){ "", 0 };
	}
	pthread_mutex_unlock(&s->lock_mu);
	return err;
}
