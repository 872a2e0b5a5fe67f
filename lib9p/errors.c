/* p9_strerror() and the small helpers on views. */
#include "p9_cursor.h"

static const char *const err_text[] = {
	[0] = "success",
	[-P9_ERR_SHORT] = "frame ends inside a field",
	[-P9_ERR_TRAILING] = "bytes left after the last field",
	[-P9_ERR_SIZE] = "size field differs from the frame's length",
	[-P9_ERR_UNDERSIZE] = "size field below the 7-byte header",
	[-P9_ERR_TOOBIG] = "size field above msize",
	[-P9_ERR_TYPE] = "unknown or unused message type",
	[-P9_ERR_NUL] = "string holds a NUL byte",
	[-P9_ERR_NWNAME] = "more than 16 walk names",
	[-P9_ERR_NWQID] = "more than 16 walk qids",
	[-P9_ERR_NOSPACE] = "output buffer too small",
	[-P9_ERR_STRLEN] = "string longer than 65535 bytes",
	[-P9_ERR_TXT_NAME] = "text: unknown message name",
	[-P9_ERR_TXT_FIELD] = "text: missing, misnamed or misordered field",
	[-P9_ERR_TXT_VALUE] = "text: malformed or out-of-range value",
	[-P9_ERR_TXT_ESCAPE] = "text: bad escape or unterminated quote",
	[-P9_ERR_TXT_TRAILING] = "text: unexpected input after the last field",
	[-P9_ERR_TXT_SCRATCH] = "text: scratch buffer too small",
	[-P9_ERR_DIRENT] = "directory entry cut short",
	[-P9_ERR_NOTAG] = "no free tag",
	[-P9_ERR_TAG] = "reply to a tag with no outstanding request",
	[-P9_ERR_RTYPE] = "reply type does not answer the request",
};

const char *
p9_strerror(int err)
{
	if (err > 0 || err < P9_ERR__LAST)
		return "unknown error";
	return err_text[-err];
}

int
p9_str_eq(struct p9_str s, const char *cstr)
{
	size_t n = strlen(cstr);

	return n == s.len && (n == 0 || memcmp(s.ptr, cstr, n) == 0);
}

int
p9_str_set(struct p9_str *s, const char *cstr)
{
	size_t n = strlen(cstr);

	if (n > UINT16_MAX)
		return P9_ERR_STRLEN;
	s->ptr = cstr;
	s->len = (uint16_t)n;
	return 0;
}
