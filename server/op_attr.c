/* op_attr.c: placeholder handlers until this family lands. */
#include <errno.h>

#include "srv.h"

int
op_getattr(struct req *r, const struct p9_tgetattr *in, struct p9_rgetattr *out)
{
	(void)r; (void)in; (void)out;
	return EOPNOTSUPP;
}

int
op_setattr(struct req *r, const struct p9_tsetattr *in, struct p9_rsetattr *out)
{
	(void)r; (void)in; (void)out;
	return EOPNOTSUPP;
}
