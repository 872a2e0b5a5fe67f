/* op_lock.c: placeholder handlers until this family lands. */
#include <errno.h>

#include "srv.h"

int
op_lock(struct req *r, const struct p9_tlock *in, struct p9_rlock *out)
{
	(void)r; (void)in; (void)out;
	return EOPNOTSUPP;
}

int
op_getlock(struct req *r, const struct p9_tgetlock *in, struct p9_rgetlock *out)
{
	(void)r; (void)in; (void)out;
	return EOPNOTSUPP;
}
