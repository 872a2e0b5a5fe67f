/*
 * Session operations: auth, attach, walk, clunk. Tversion and Tflush are
 * handled by the engine (conn.c) before any worker sees them.
 */
#include <errno.h>
#include <grp.h>
#include <limits.h>
#include <pwd.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "conn.h"

int
session_init(struct srv *s)
{
	struct stat st;

	if (fstat(s->root_fd, &st) != 0)
		return -1;
	s->root = node_new(s, s->root_fd, &st, NULL, NULL);	/* shared by every attach */
	return 0;
}

void
session_fini(struct srv *s)
{
	node_put(s->root);
	s->root = NULL;
}

int
op_version(struct req *r, const struct p9_tversion *in, struct p9_rversion *out)
{
	(void)r; (void)in; (void)out;
	return EPROTO;		/* conn.c answers Tversion itself */
}

int
op_flush(struct req *r, const struct p9_tflush *in, struct p9_rflush *out)
{
	(void)r; (void)in; (void)out;
	return EPROTO;		/* conn.c answers Tflush itself */
}

int
op_auth(struct req *r, const struct p9_tauth *in, struct p9_rauth *out)
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
make_ident(const struct srv *s, const struct p9_tattach *in, struct ident **out)
{
	struct ident *id = calloc(1, sizeof(*id));
	struct passwd pw, *res = NULL;
	char name[256], buf[4096];
	int n;

	if (id == NULL)
		return ENOMEM;
	atomic_init(&id->refs, 1);
	if (s->cfg.squash) {
		id->uid = s->cfg.squash_uid;
		id->gid = s->cfg.squash_gid;
		*out = id;
		return 0;
	}
	if (in->n_uname != P9_NONUNAME) {
		getpwuid_r(in->n_uname, &pw, buf, sizeof(buf), &res);
		id->uid = in->n_uname;
		id->gid = res != NULL ? res->pw_gid : in->n_uname;
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
		id->uid = res->pw_uid;
		id->gid = res->pw_gid;
	}
	if (res != NULL) {
		n = (int)(sizeof(id->groups) / sizeof(id->groups[0]));
		if (getgrouplist(res->pw_name, res->pw_gid, id->groups, &n) < 0)
			n = (int)(sizeof(id->groups) / sizeof(id->groups[0]));
		id->ngroups = n;
	}
	*out = id;
	return 0;
}

/* Is aname the path e (trailing slashes aside)? */
static bool
same_path(struct p9_str aname, const char *e)
{
	size_t n = strlen(e);

	while (n > 1 && e[n - 1] == '/')
		n--;
	while (aname.len > 1 && aname.ptr[aname.len - 1] == '/')
		aname.len--;
	return aname.len == n && memcmp(aname.ptr, e, n) == 0;
}

/* aname selects the export: empty, the export's path as given to -e, or
 * its absolute path with symlinks resolved (what diod's tools send). */
static bool
aname_ok(const struct srv *s, struct p9_str aname)
{
	return aname.len == 0 || same_path(aname, s->cfg.export_path) ||
	    same_path(aname, s->export_real);
}

int
op_attach(struct req *r, const struct p9_tattach *in, struct p9_rattach *out)
{
	struct srv *s = req_srv(r);
	struct ident *id = NULL;
	struct stat st;
	int err;

	if (in->afid != P9_NOFID)
		return EBADF;	/* no Tauth ever succeeded */
	if (!aname_ok(s, in->aname))
		return ENOENT;
	if (s->as_root || s->cfg.squash) {
		err = make_ident(s, in, &id);
		if (err != 0)
			return err;
	}
	err = fid_create(r->conn, in->fid, s->root, id, NULL);
	ident_put(id);
	if (err != 0)
		return err;
	if (fstat(s->root->fd, &st) != 0)
		return errno;
	out->qid = fs_qid(s, &st);
	return 0;
}

/*
 * walk(5): elements in order, no symlink following (fs_walk1); the first
 * failure is an error, a later one a short Rwalk with nothing changed;
 * full success creates newfid (or moves fid when equal).
 */
int
op_walk(struct req *r, const struct p9_twalk *in, struct p9_rwalk *out)
{
	struct fid *f = fid_get(r->conn, in->fid), *nf;
	struct node *cur, *next;
	char name[NAME_MAX + 1];
	uint16_t i;
	int err = 0;

	if (f == NULL)
		return EBADF;
	if (f->kind != FID_FILE) {
		fid_put(f);
		return EINVAL;
	}
	if (in->newfid != in->fid) {
		nf = fid_get(r->conn, in->newfid);
		if (nf != NULL) {
			fid_put(nf);
			fid_put(f);
			return EINVAL;	/* newfid in use */
		}
	} else {
		bool opened;

		pthread_mutex_lock(&f->lock);
		opened = f->open_fd >= 0;
		pthread_mutex_unlock(&f->lock);
		if (opened) {
			fid_put(f);
			return EINVAL;	/* an open fid cannot move (QEMU's rule) */
		}
	}
	cur = fid_node(f);
	for (i = 0; i < in->wname.n; i++) {
		err = fs_name(in->wname.s[i], name);
		if (err == 0)
			err = fs_walk1(cur, name, &next);
		if (err != 0)
			break;
		out->wqid.q[i] = next->qid;
		node_put(cur);
		cur = next;
	}
	out->wqid.n = i;
	if (err != 0 && i == 0)
		goto done;
	err = 0;
	if (i == in->wname.n) {
		if (in->newfid == in->fid)
			fid_set_node(f, cur);
		else
			err = fid_create(r->conn, in->newfid, cur, f->id, NULL);
	}
done:
	node_put(cur);
	fid_put(f);
	return err;
}

/* Tclunk: forget the fid; an xattr write is applied now (spec 3.16) and
 * its error reported, but the fid is gone either way. */
int
op_clunk(struct req *r, const struct p9_tclunk *in, struct p9_rclunk *out)
{
	struct fid *f = fid_remove(r->conn, in->fid);
	int err = 0;

	(void)out;
	if (f == NULL)
		return EBADF;
	/* xattr_commit checks the kind under f->lock itself and applies a
	 * write fid's buffer once; other kinds are left alone. */
	err = xattr_commit(f);
	fid_put(f);
	return err;
}
