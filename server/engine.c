/*
 * The engine's side of the protocol: the server object (p9srv_new ...
 * p9srv_free), the accessors callbacks use, and the messages the engine
 * answers itself once the dispatcher (conn.c) has resolved their fids:
 * Tauth, Tattach, Twalk, Tclunk, Tremove, Txattrwalk, Txattrcreate and the
 * Tread/Twrite of an xattr fid's buffer. Tversion and Tflush are answered
 * in conn.c as they arrive.
 *
 * Extended attributes (spec 3.16): Txattrwalk snapshots one value, or the
 * NUL-separated name list, through the backend's xattr_get into a new read
 * fid that Treads copy from. Txattrcreate puts in the fid's place a
 * zero-filled write buffer (CVE-2016-9103) that Twrites fill and Tclunk
 * hands to xattr_set. A fid's buffer is guarded by its lock, held across a
 * memcpy only.
 */
#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "conn.h"

#define XV_MAX		65536u		/* XATTR_SIZE_MAX: largest value */
#define XL_MAX		(1u << 20)	/* our bound on a name list */
#define XN_MAX		255		/* XATTR_NAME_MAX: longest name */
#define X_TRIES		8		/* size races tolerated per snapshot */
#define NAME_LEN_MAX	255		/* longest name walk1 is given */

/* The server object. */

struct p9srv *
p9srv_new(const struct p9srv_config *cfg, const struct p9srv_backend *b, void *ctx, char *why,
    size_t whylen)
{
	struct p9srv *s;
	int n;

	if (b == NULL || b->attach == NULL || b->clone == NULL || b->release == NULL ||
	    (b->walk1 == NULL && b->walk == NULL)) {
		snprintf(why, whylen, "backend %s: attach, clone, release and walk1 or walk "
		    "are required", b != NULL && b->name != NULL ? b->name : "(null)");
		errno = EINVAL;
		return NULL;
	}
	if (cfg->max_fids == 0 || cfg->max_inflight == 0 ||
	    cfg->max_conns == 0 || cfg->msize_max < P9SRV_MSIZE_MIN) {
		snprintf(why, whylen, "configuration: max_fids, max_inflight and "
		    "max_conns must be at least 1 (are %u, %u, %u) and msize_max at least %u "
		    "(is %u)", cfg->max_fids, cfg->max_inflight, cfg->max_conns,
		    P9SRV_MSIZE_MIN, cfg->msize_max);
		errno = EINVAL;
		return NULL;
	}
	if (cfg->loops > P9SRV_MAX_LOOPS) {
		snprintf(why, whylen, "configuration: loops at most %u (is %u)",
		    P9SRV_MAX_LOOPS, cfg->loops);
		errno = EINVAL;
		return NULL;
	}
	if (cfg->spin_us > P9SRV_SPIN_MAX_US) {
		snprintf(why, whylen, "configuration: spin_us at most %u (is %u)",
		    P9SRV_SPIN_MAX_US, cfg->spin_us);
		errno = EINVAL;
		return NULL;
	}
	if ((s = calloc(1, sizeof(*s))) == NULL) {
		snprintf(why, whylen, "out of memory");
		return NULL;
	}
	s->cfg = *cfg;
	s->cfg.record = NULL;		/* the caller's string: not kept */
	if (s->cfg.ident == NULL)
		s->cfg.ident = "p9srv";
	if (s->cfg.loops == 0)
		s->cfg.loops = 1;
	s->be = b;
	s->ctx = ctx;
	s->as_root = geteuid() == 0;
	s->self.uid = geteuid();
	s->self.gid = getegid();
	n = getgroups((int)(sizeof(s->self.groups) / sizeof(s->self.groups[0])), s->self.groups);
	s->self.ngroups = n > 0 ? n : 0;	/* more than fit: the primary group only */
	atomic_init(&s->nconns, 0);
	atomic_init(&s->conn_ids, 0);
	clock_gettime(CLOCK_MONOTONIC, &s->t0);
	signal(SIGPIPE, SIG_IGN);
	if (fd_budget_init(s) != 0)
		goto fail;
	if (cfg->record != NULL) {
		if ((s->rec = calloc(1, sizeof(*s->rec))) == NULL ||
		    p9pcap_open(s->rec, cfg->record, 0600, P9PCAP_CLOCK_REAL, cfg->record_limit,
		    true) != 0) {
			snprintf(s->why, sizeof(s->why), "record %s: %s", cfg->record,
			    strerror(errno));
			free(s->rec);
			s->rec = NULL;
			goto fail;
		}
		snprintf(s->recwarn, sizeof(s->recwarn), "%s: record: ", s->cfg.ident);
		s->rec->warn = s->recwarn;
	}
	if (loop_setup(s) != 0)
		goto fail;
	if (pool_start(s, s->cfg.threads) != 0) {
		snprintf(s->why, sizeof(s->why), "cannot start %u worker threads: %s",
		    s->cfg.threads, strerror(errno));
		goto fail;
	}
	if (loop_start_threads(s) != 0)
		goto fail;
	return s;
fail:
	snprintf(why, whylen, "%s", s->why);
	p9srv_free(s);
	return NULL;
}

void
p9srv_free(struct p9srv *s)
{
	if (s == NULL)
		return;
	loop_teardown(s);
	if (s->rec != NULL) {
		if (p9pcap_close(s->rec) != 0)
			fprintf(stderr, "%s: record: %s\n", s->cfg.ident, strerror(errno));
		free(s->rec);
	}
	free(s);
}

int
p9srv_listen(struct p9srv *s, int fd)
{
	return loop_add_listener(s, fd);
}

int
p9srv_serve_fd(struct p9srv *s, int rfd, int wfd)
{
	return loop_add_conn(s, rfd, wfd);
}

int
p9srv_run(struct p9srv *s)
{
	return loop_run(s);
}

int
p9srv_poll(struct p9srv *s, int timeout_ms)
{
	int n = loop_poll(s, timeout_ms);

	creds_restore(&s->self);
	return n == LOOP_STOP ? P9SRV_DONE : n;
}

int
p9srv_fd(const struct p9srv *s)
{
	return loop_fd(s);
}

const char *
p9srv_io_name(const struct p9srv *s)
{
	return loop_io_name(s);
}

void
p9srv_stop(struct p9srv *s)
{
	srv_stop(s);
}

unsigned
p9srv_conns(const struct p9srv *s)
{
	return atomic_load(&s->nconns);
}

void *
p9srv_ctx(const struct p9srv *s)
{
	return s->ctx;
}

struct p9srv *
p9srv_req_server(const struct p9srv_req *r)
{
	return r->conn->srv;
}

const struct p9srv_cred *
p9srv_req_cred(const struct p9srv_req *r)
{
	return r->id != NULL ? &r->id->cred : &r->conn->srv->self;
}

uint8_t *
p9srv_req_rdata(struct p9srv_req *r, uint32_t *room)
{
	*room = r->rdata != NULL ? r->rroom : 0;
	return r->rdata;
}

uint8_t *
p9srv_req_scratch(struct p9srv_req *r, size_t *len)
{
	*len = r->scratch_len;
	return r->scratch;
}

bool
p9srv_req_can_defer(const struct p9srv_req *r)
{
	return r->on_loop && r->conn->srv->cfg.threads > 0 && r->in.type != P9_TCLUNK &&
	    r->in.type != P9_TREMOVE;
}

struct p9srv_conn *
p9srv_req_conn(const struct p9srv_req *r)
{
	return (struct p9srv_conn *)r->conn;
}

/* Tauth, Tattach. */

int
eng_auth(struct p9srv_req *r, const struct p9_tauth *in, struct p9_rauth *out)
{
	(void)r; (void)in; (void)out;
	/*
	 * attach(5): a server that needs no authentication refuses Tauth.
	 * ENOENT is diod's answer, and diod's client library (diodls,
	 * diodcat, ...) reads exactly that as "no authentication needed";
	 * other errors make those tools give up. Linux never sends Tauth.
	 */
	return ENOENT;
}

/* Who the attaching user is: n_uname wins, uname otherwise (spec 3.2). */
static int
make_ident(const struct p9srv *s, const struct p9_tattach *in, struct ident **out)
{
	struct ident *id = calloc(1, sizeof(*id));
	struct passwd pw, *res = NULL;
	char name[256], buf[4096];
	int n;

	if (id == NULL)
		return ENOMEM;
	atomic_init(&id->refs, 1);
	if (s->cfg.squash) {
		id->cred.uid = s->cfg.squash_uid;
		id->cred.gid = s->cfg.squash_gid;
		*out = id;
		return 0;
	}
	if (in->n_uname != P9_NONUNAME) {
		getpwuid_r(in->n_uname, &pw, buf, sizeof(buf), &res);
		id->cred.uid = in->n_uname;
		id->cred.gid = res != NULL ? res->pw_gid : in->n_uname;
	} else {
		if (in->uname.len == 0 || in->uname.len >= sizeof(name)) {
			free(id);
			return EINVAL;
		}
		memcpy(name, in->uname.ptr, in->uname.len);
		name[in->uname.len] = '\0';
		getpwnam_r(name, &pw, buf, sizeof(buf), &res);
		if (res == NULL) {
			free(id);
			return EPERM;	/* no such user here */
		}
		id->cred.uid = res->pw_uid;
		id->cred.gid = res->pw_gid;
	}
	if (res != NULL) {
		n = (int)(sizeof(id->cred.groups) / sizeof(id->cred.groups[0]));
		if (getgrouplist(res->pw_name, res->pw_gid, id->cred.groups, &n) < 0)
			n = (int)(sizeof(id->cred.groups) / sizeof(id->cred.groups[0]));
		id->cred.ngroups = n;
	}
	*out = id;
	return 0;
}

int
eng_attach(struct p9srv_req *r, const struct p9_tattach *in, struct p9_rattach *out)
{
	struct p9srv *s = r->conn->srv;
	struct ident *id = NULL;
	struct fid *f;
	void *root = NULL;
	int err;

	if (s->as_root || s->cfg.squash) {
		if ((err = make_ident(s, in, &id)) != 0)
			return err;
		req_set_ident(r, id);	/* the request's reference */
	}
	if ((err = s->be->attach(r, in, &root, &out->qid)) != 0)
		return err;
	if ((f = fid_new(r->conn, in->fid, FID_FILE, root, out->qid.type, id)) == NULL) {
		s->be->release(root);
		return ENOMEM;
	}
	return fid_insert(f);
}

/* Twalk (walk(5)): the first name failing is an error, a later one a
 * short Rwalk with nothing changed; a full walk makes newfid (or moves fid
 * itself when they are equal). */

/* A name from the wire for walk1: non-empty, no '/' (spec 1.3; the codec
 * refused NUL already; CVE-2016-7116), at most 255 bytes. */
static int
walk_name(struct p9_str s, char buf[NAME_LEN_MAX + 1])
{
	if (s.len == 0 || memchr(s.ptr, '/', s.len) != NULL)
		return ENOENT;
	if (s.len > NAME_LEN_MAX)
		return ENAMETOOLONG;
	memcpy(buf, s.ptr, s.len);
	buf[s.len] = '\0';
	return 0;
}

/* Walk name by name with walk1. Returns 0 with *to (a new file) when every
 * name was reached, 0 with *to NULL for a partial walk, or the error of
 * the first name. */
static int
walk_names(struct p9srv_req *r, void *from, const struct p9_twalk *in, void **to,
    struct p9_rwalk *out)
{
	const struct p9srv_backend *be = r->conn->srv->be;
	char name[NAME_LEN_MAX + 1];
	void *cur = from, *next;
	bool owned = false;	/* cur is a file walk1 made (not the fid's): release it */
	uint16_t i;
	int err = 0;

	/* Ownership, not pointers, decides what to release: a backend may
	 * hand out the same pointer for several files (a refcounted object). */
	for (i = 0; i < in->wname.n; i++) {
		if ((err = walk_name(in->wname.s[i], name)) != 0 ||
		    (err = be->walk1(r, cur, name, &next, &out->wqid.q[i])) != 0)
			break;
		if (owned)
			be->release(cur);
		cur = next;
		owned = true;
	}
	out->wqid.n = i;
	*to = NULL;
	if (err == 0 && i == in->wname.n) {
		*to = cur;
		return 0;
	}
	if (owned)
		be->release(cur);
	if (err == P9SRV_BLOCKS)
		return err;	/* the request runs again on a worker */
	return i == 0 ? err : 0;
}

int
eng_walk(struct p9srv_req *r, const struct p9_twalk *in, struct p9_rwalk *out)
{
	const struct p9srv_backend *be = r->conn->srv->be;
	struct fid *f = r->fids[0], *nf;
	void *to = NULL;
	uint8_t qtype;
	int err;

	if (in->newfid != in->fid) {
		if ((nf = fid_get(r->conn, in->newfid)) != NULL) {
			fid_put(nf);
			return EINVAL;	/* newfid in use */
		}
	} else if (atomic_load(&f->open)) {
		return EINVAL;		/* an open fid cannot move (QEMU's rule) */
	}
	if (in->wname.n == 0) {
		if ((to = be->clone(r, f->file)) == NULL)
			return ENOMEM;
		qtype = atomic_load(&f->qtype);
	} else {
		out->wqid.n = 0;
		err = be->walk != NULL ? be->walk(r, f->file, in, &to, out) :
		    walk_names(r, f->file, in, &to, out);
		if (err == P9SRV_BLOCKS || (err != 0 && out->wqid.n == 0)) {
			if (to != NULL)
				be->release(to);
			return err;
		}
		if (out->wqid.n < in->wname.n || to == NULL) {
			if (to != NULL)
				be->release(to);
			return 0;	/* partial: nothing changes */
		}
		qtype = out->wqid.q[in->wname.n - 1].type;
	}
	if ((nf = fid_new(r->conn, in->newfid, FID_FILE, to, qtype, f->id)) == NULL) {
		be->release(to);
		return ENOMEM;
	}
	return in->newfid == in->fid ? fid_replace(f, nf, true) : fid_insert(nf);
}

/* Tclunk, Tremove. */

/* Apply a Txattrcreate buffer (spec 3.16): size 0 removes the attribute;
 * a buffer not filled up to attr_size fails (QEMU). Once only: a Twrite
 * racing the clunk then finds no buffer (xattr_write). */
static int
xattr_commit(struct p9srv_req *r, struct fid *f)
{
	const struct p9srv_backend *be = r->conn->srv->be;
	char *name;
	uint8_t *buf;
	uint64_t size, filled;
	int err;

	pthread_mutex_lock(&f->lock);
	name = f->xname;
	buf = f->xbuf;
	size = f->xsize;
	filled = f->xfilled;
	f->xname = NULL;
	f->xbuf = NULL;
	f->xsize = 0;
	pthread_mutex_unlock(&f->lock);
	if (name == NULL)
		return 0;
	if (size != 0 && filled < size)
		err = EINVAL;
	else if (be->xattr_set == NULL)
		err = EOPNOTSUPP;
	else
		err = be->xattr_set(r, f->file, name, size != 0 ? buf : NULL, (size_t)size,
		    f->xflags);
	free(name);
	free(buf);
	return err;
}

/* The fid is forgotten whatever happens; an xattr write is applied now and
 * its error reported. */
int
eng_clunk(struct p9srv_req *r, const struct p9_tclunk *in, struct p9_rclunk *out)
{
	struct fid *f = fid_remove(r->conn, in->fid);
	int err = 0;

	(void)out;
	if (f == NULL)
		return EBADF;	/* clunked meanwhile */
	if (f->kind == FID_XATTR_WRITE)
		err = xattr_commit(r, f);
	fid_put(f);
	return err;
}

/* The fid is clunked whatever remove answers. */
int
eng_remove(struct p9srv_req *r, const struct p9_tremove *in, struct p9_rremove *out)
{
	const struct p9srv *s = r->conn->srv;
	struct fid *f = fid_remove(r->conn, in->fid);
	int err;

	if (f == NULL)
		return EBADF;
	if (f->kind != FID_FILE)
		err = EINVAL;
	else if (s->cfg.readonly)
		err = EROFS;
	else if (s->be->remove == NULL)
		err = EOPNOTSUPP;
	else
		err = s->be->remove(r, f->file, in, out);
	fid_put(f);
	return err;
}

/* Extended attributes. */

/* An attribute name from the wire: 1..255 bytes (setxattr(2) answers
 * ERANGE otherwise); the codec has refused NUL. */
static int
x_name(struct p9_str s, char buf[XN_MAX + 1])
{
	if (s.len == 0 || s.len > XN_MAX)
		return ERANGE;
	memcpy(buf, s.ptr, s.len);
	buf[s.len] = '\0';
	return 0;
}

/*
 * Snapshot a value (name != NULL) or the name list into a zero-filled
 * buffer. The attribute can change between the size query and the fetch
 * (ERANGE, or a size 0 that is no longer 0): ask again, a bounded number
 * of times. Returns 0 with *bufp (free it) and *sizep, or an errno.
 */
static int
x_snapshot(struct p9srv_req *r, void *file, const char *name, uint8_t **bufp,
    uint64_t *sizep)
{
	const struct p9srv_backend *be = r->conn->srv->be;
	size_t max = name != NULL ? XV_MAX : XL_MAX;
	int tries, err = ERANGE;

	if (be->xattr_get == NULL)
		return EOPNOTSUPP;
	for (tries = 0; tries < X_TRIES; tries++) {
		long want = be->xattr_get(r, file, name, NULL, 0), got;
		uint8_t *buf;

		if (want < 0)
			return (int)-want;
		if ((unsigned long)want > max)
			return E2BIG;
		if ((buf = calloc(1, (size_t)want + 1)) == NULL)
			return ENOMEM;
		/* A size-0 fetch would be another size query: done already. */
		got = want == 0 ? 0 : be->xattr_get(r, file, name, buf, (size_t)want);
		if (got >= 0 && got <= want) {
			*bufp = buf;
			*sizep = (uint64_t)got;
			return 0;
		}
		err = got < 0 ? (int)-got : ERANGE;
		free(buf);
		if (err != ERANGE)
			return err;
	}
	/* Still changing: ERANGE makes getxattr(2) callers ask again. */
	return err;
}

int
eng_xattrwalk(struct p9srv_req *r, const struct p9_txattrwalk *in, struct p9_rxattrwalk *out)
{
	struct fid *f = r->fids[0], *nf;
	char name[XN_MAX + 1];
	uint8_t *buf = NULL;
	uint64_t size = 0;
	int err;

	/* spec 3.16: newfid must be unused (EINVAL, as QEMU). Checked first
	 * so that this error wins over the backend's; fid_insert checks again. */
	if ((nf = fid_get(r->conn, in->newfid)) != NULL) {
		fid_put(nf);
		return EINVAL;
	}
	if (in->name.len != 0 && (err = x_name(in->name, name)) != 0)
		return err;
	if ((err = x_snapshot(r, f->file, in->name.len != 0 ? name : NULL, &buf, &size)) != 0)
		return err;
	if ((nf = fid_new(r->conn, in->newfid, FID_XATTR_READ, NULL, 0, f->id)) == NULL) {
		free(buf);
		return ENOMEM;
	}
	nf->xbuf = buf;
	nf->xsize = size;
	if ((err = fid_insert(nf)) == 0)
		out->size = size;
	return err;
}

int
eng_xattrcreate(struct p9srv_req *r, const struct p9_txattrcreate *in,
    struct p9_rxattrcreate *out)
{
	const struct p9srv_backend *be = r->conn->srv->be;
	struct fid *f = r->fids[0], *nf;
	char name[XN_MAX + 1];
	void *file;
	int err;

	(void)out;
	/* spec 3.16: setxattr(2) flags only; at most XATTR_SIZE_MAX bytes. */
	if (in->flags & ~(uint32_t)(P9_XATTR_CREATE | P9_XATTR_REPLACE))
		return EINVAL;
	if (in->attr_size > XV_MAX)
		return E2BIG;
	if ((err = x_name(in->name, name)) != 0)
		return err;
	if ((file = be->clone(r, f->file)) == NULL)
		return ENOMEM;
	if ((nf = fid_new(r->conn, f->num, FID_XATTR_WRITE, file, atomic_load(&f->qtype),
	    f->id)) == NULL) {
		be->release(file);
		return ENOMEM;
	}
	nf->xname = strdup(name);
	nf->xbuf = calloc(1, (size_t)in->attr_size + 1);
	if (nf->xname == NULL || nf->xbuf == NULL) {
		fid_put(nf);
		return ENOMEM;
	}
	nf->xsize = in->attr_size;
	nf->xflags = in->flags;
	/* Only an unopened fid becomes a write buffer. */
	return fid_replace(f, nf, true);
}

int
xattr_read(struct p9srv_req *r, struct fid *f, const struct p9_tread *in, struct p9_rread *out)
{
	uint64_t n = 0;

	pthread_mutex_lock(&f->lock);
	if (in->offset < f->xsize) {
		/* offset < xsize before subtracting (CVE-2016-9104); at or past
		 * the end there is nothing left: 0 bytes, as QEMU. */
		n = f->xsize - in->offset;
		if (n > r->rroom)
			n = r->rroom;
		memcpy(r->rdata, f->xbuf + in->offset, (size_t)n);
	}
	pthread_mutex_unlock(&f->lock);
	out->data.ptr = r->rdata;
	out->data.len = (uint32_t)n;
	return 0;
}

int
xattr_write(struct p9srv_req *r, struct fid *f, const struct p9_twrite *in, struct p9_rwrite *out)
{
	uint64_t count = in->data.len;
	int err = 0;

	(void)r;
	pthread_mutex_lock(&f->lock);
	if (f->xname == NULL) {
		err = EBADF;	/* already committed */
	} else if (in->offset > f->xsize || count > f->xsize - in->offset) {
		err = EINVAL;	/* beyond attr_size (diod), no overflow */
	} else {
		memcpy(f->xbuf + in->offset, in->data.ptr, (size_t)count);
		if (in->offset + count > f->xfilled)
			f->xfilled = in->offset + count;
	}
	pthread_mutex_unlock(&f->lock);
	if (err == 0)
		out->count = in->data.len;
	return err;
}
