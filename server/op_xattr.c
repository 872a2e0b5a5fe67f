/* op_xattr.c: placeholder handlers until this family lands. */
#include <errno.h>

#include "srv.h"

int
op_xattrwalk(struct req *r, const struct p9_txattrwalk *in, struct p9_rxattrwalk *out)
{
	(void)r; (void)in; (void)out;
	return EOPNOTSUPP;
}

int
op_xattrcreate(struct req *r, const struct p9_txattrcreate *in, struct p9_rxattrcreate *out)
{
	(void)r; (void)in; (void)out;
	return EOPNOTSUPP;
}

int
xattr_read(struct req *r, struct fid *f, const struct p9_tread *in, struct p9_rread *out)
{
	(void)r; (void)f; (void)in; (void)out;
	return EOPNOTSUPP;
}

int
xattr_write(struct req *r, struct fid *f, const struct p9_twrite *in, struct p9_rwrite *out)
{
	(void)r; (void)f; (void)in; (void)out;
	return EOPNOTSUPP;
}

int
xattr_commit(struct fid *f)
{
	(void)f;
	return 0;
}
