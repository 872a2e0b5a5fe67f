/* op_io.c: placeholder handlers until this family lands. */
#include <errno.h>

#include "srv.h"

int
op_lopen(struct req *r, const struct p9_tlopen *in, struct p9_rlopen *out)
{
	(void)r; (void)in; (void)out;
	return EOPNOTSUPP;
}

int
op_lcreate(struct req *r, const struct p9_tlcreate *in, struct p9_rlcreate *out)
{
	(void)r; (void)in; (void)out;
	return EOPNOTSUPP;
}

int
op_read(struct req *r, const struct p9_tread *in, struct p9_rread *out)
{
	(void)r; (void)in; (void)out;
	return EOPNOTSUPP;
}

int
op_write(struct req *r, const struct p9_twrite *in, struct p9_rwrite *out)
{
	(void)r; (void)in; (void)out;
	return EOPNOTSUPP;
}

int
op_readdir(struct req *r, const struct p9_treaddir *in, struct p9_rreaddir *out)
{
	(void)r; (void)in; (void)out;
	return EOPNOTSUPP;
}

int
op_fsync(struct req *r, const struct p9_tfsync *in, struct p9_rfsync *out)
{
	(void)r; (void)in; (void)out;
	return EOPNOTSUPP;
}

int
op_statfs(struct req *r, const struct p9_tstatfs *in, struct p9_rstatfs *out)
{
	(void)r; (void)in; (void)out;
	return EOPNOTSUPP;
}
