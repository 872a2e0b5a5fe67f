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

/*
 * Linux errno names, by the values that travel in Rlerror (the same on
 * every architecture on the wire: doc/PROTOCOL.md 1.8). 41 and 58 are
 * unassigned; EWOULDBLOCK, EDEADLOCK and ENOTSUP are aliases of 11, 35
 * and 95 (p9_errno_value accepts them, p9_errno_name gives the first name).
 */
static const char *const errno_names[] = {
	[1] = "EPERM", [2] = "ENOENT", [3] = "ESRCH", [4] = "EINTR",
	[5] = "EIO", [6] = "ENXIO", [7] = "E2BIG", [8] = "ENOEXEC",
	[9] = "EBADF", [10] = "ECHILD", [11] = "EAGAIN", [12] = "ENOMEM",
	[13] = "EACCES", [14] = "EFAULT", [15] = "ENOTBLK", [16] = "EBUSY",
	[17] = "EEXIST", [18] = "EXDEV", [19] = "ENODEV", [20] = "ENOTDIR",
	[21] = "EISDIR", [22] = "EINVAL", [23] = "ENFILE", [24] = "EMFILE",
	[25] = "ENOTTY", [26] = "ETXTBSY", [27] = "EFBIG", [28] = "ENOSPC",
	[29] = "ESPIPE", [30] = "EROFS", [31] = "EMLINK", [32] = "EPIPE",
	[33] = "EDOM", [34] = "ERANGE", [35] = "EDEADLK",
	[36] = "ENAMETOOLONG", [37] = "ENOLCK", [38] = "ENOSYS",
	[39] = "ENOTEMPTY", [40] = "ELOOP", [42] = "ENOMSG", [43] = "EIDRM",
	[44] = "ECHRNG", [45] = "EL2NSYNC", [46] = "EL3HLT", [47] = "EL3RST",
	[48] = "ELNRNG", [49] = "EUNATCH", [50] = "ENOCSI", [51] = "EL2HLT",
	[52] = "EBADE", [53] = "EBADR", [54] = "EXFULL", [55] = "ENOANO",
	[56] = "EBADRQC", [57] = "EBADSLT", [59] = "EBFONT", [60] = "ENOSTR",
	[61] = "ENODATA", [62] = "ETIME", [63] = "ENOSR", [64] = "ENONET",
	[65] = "ENOPKG", [66] = "EREMOTE", [67] = "ENOLINK", [68] = "EADV",
	[69] = "ESRMNT", [70] = "ECOMM", [71] = "EPROTO", [72] = "EMULTIHOP",
	[73] = "EDOTDOT", [74] = "EBADMSG", [75] = "EOVERFLOW",
	[76] = "ENOTUNIQ", [77] = "EBADFD", [78] = "EREMCHG", [79] = "ELIBACC",
	[80] = "ELIBBAD", [81] = "ELIBSCN", [82] = "ELIBMAX",
	[83] = "ELIBEXEC", [84] = "EILSEQ", [85] = "ERESTART",
	[86] = "ESTRPIPE", [87] = "EUSERS", [88] = "ENOTSOCK",
	[89] = "EDESTADDRREQ", [90] = "EMSGSIZE", [91] = "EPROTOTYPE",
	[92] = "ENOPROTOOPT", [93] = "EPROTONOSUPPORT",
	[94] = "ESOCKTNOSUPPORT", [95] = "EOPNOTSUPP", [96] = "EPFNOSUPPORT",
	[97] = "EAFNOSUPPORT", [98] = "EADDRINUSE", [99] = "EADDRNOTAVAIL",
	[100] = "ENETDOWN", [101] = "ENETUNREACH", [102] = "ENETRESET",
	[103] = "ECONNABORTED", [104] = "ECONNRESET", [105] = "ENOBUFS",
	[106] = "EISCONN", [107] = "ENOTCONN", [108] = "ESHUTDOWN",
	[109] = "ETOOMANYREFS", [110] = "ETIMEDOUT", [111] = "ECONNREFUSED",
	[112] = "EHOSTDOWN", [113] = "EHOSTUNREACH", [114] = "EALREADY",
	[115] = "EINPROGRESS", [116] = "ESTALE", [117] = "EUCLEAN",
	[118] = "ENOTNAM", [119] = "ENAVAIL", [120] = "EISNAM",
	[121] = "EREMOTEIO", [122] = "EDQUOT", [123] = "ENOMEDIUM",
	[124] = "EMEDIUMTYPE", [125] = "ECANCELED", [126] = "ENOKEY",
	[127] = "EKEYEXPIRED", [128] = "EKEYREVOKED", [129] = "EKEYREJECTED",
	[130] = "EOWNERDEAD", [131] = "ENOTRECOVERABLE", [132] = "ERFKILL",
	[133] = "EHWPOISON",
};

static const struct {
	const char	*name;
	uint32_t	 val;
} errno_aliases[] = {
	{ "EWOULDBLOCK", 11 }, { "EDEADLOCK", 35 }, { "ENOTSUP", 95 },
};

const char *
p9_errno_name(uint32_t ecode)
{
	if (ecode >= sizeof(errno_names) / sizeof(errno_names[0]))
		return NULL;
	return errno_names[ecode];
}

long
p9_errno_value(const char *name, size_t len)
{
	for (size_t i = 1; i < sizeof(errno_names) / sizeof(errno_names[0]); i++)
		if (errno_names[i] != NULL && strlen(errno_names[i]) == len &&
		    memcmp(errno_names[i], name, len) == 0)
			return (long)i;
	for (size_t i = 0; i < sizeof(errno_aliases) / sizeof(errno_aliases[0]); i++)
		if (strlen(errno_aliases[i].name) == len &&
		    memcmp(errno_aliases[i].name, name, len) == 0)
			return (long)errno_aliases[i].val;
	return -1;
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
