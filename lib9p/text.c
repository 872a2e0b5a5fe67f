/* The one-line text form: placeholder until text.c lands. */
#include "p9_cursor.h"

long
p9_msg_print(const struct p9_msg *m, char *buf, size_t cap)
{
	(void)m; (void)buf; (void)cap;
	return P9_ERR_TYPE;
}

int
p9_msg_parse(const char *text, size_t len, struct p9_msg *m, uint8_t *scratch,
    size_t scratch_len, size_t *errpos)
{
	(void)text; (void)len; (void)m; (void)scratch; (void)scratch_len; (void)errpos;
	return P9_ERR_TXT_NAME;
}
