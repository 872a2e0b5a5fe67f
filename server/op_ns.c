/* op_ns.c: placeholder handlers until this family lands. */
#include <errno.h>

#include "srv.h"

int
op_symlink(struct req *r, const struct p9_tsymlink *in, struct p9_rsymlink *out)
{
	(void)r; (void)in; (void)out;
	return EOPNOTSUPP;
}

int
op_mknod(struct req *r, const struct p9_tmknod *in, struct p9_rmknod *out)
{
	(void)r; (void)in; (void)out;
	return EOPNOTSUPP;
}

int
op_rename(struct req *r, const struct p9_trename *in, struct p9_rrename *out)
{
	(void)r; (void)in; (void)out;
	return EOPNOTSUPP;
}

int
op_readlink(struct req *r, const struct p9_treadlink *in, struct p9_rreadlink *out)
{
	(void)r; (void)in; (void)out;
	return EOPNOTSUPP;
}

int
op_link(struct req *r, const struct p9_tlink *in, struct p9_rlink *out)
{
	(void)r; (void)in; (void)out;
	return EOPNOTSUPP;
}

int
op_mkdir(struct req *r, const struct p9_tmkdir *in, struct p9_rmkdir *out)
{
	(void)r; (void)in; (void)out;
	return EOPNOTSUPP;
}

int
op_renameat(struct req *r, const struct p9_trenameat *in, struct p9_rrenameat *out)
{
	(void)r; (void)in; (void)out;
	return EOPNOTSUPP;
}

int
op_unlinkat(struct req *r, const struct p9_tunlinkat *in, struct p9_runlinkat *out)
{
	(void)r; (void)in; (void)out;
	return EOPNOTSUPP;
}

int
op_remove(struct req *r, const struct p9_tremove *in, struct p9_rremove *out)
{
	(void)r; (void)in; (void)out;
	return EOPNOTSUPP;
}
