/*
 * lib9p: a zero-copy codec for 9P2000.L.
 *
 * The one public header: protocol constants, the views a decoded message
 * hands out, one struct per message (generated from p9_msgs.def), and the
 * codec API: decode, encode, size, names, framing, Rread/Rreaddir builders,
 * the dirent iterator and the one-line text form.
 *
 * Contract shared by every function here:
 * - No function allocates memory, touches files or sockets, or keeps state
 *   between calls; all are reentrant and thread-safe on distinct arguments.
 * - Errors are negative values of enum p9_err (0 is success); p9_strerror()
 *   names them. File-system errors (errno values in Rlerror) are a separate
 *   world and never appear as return values here.
 * - Strings and data in a decoded message are views (pointer + length) into
 *   the buffer that was decoded: nothing is copied, and the views are valid
 *   exactly as long as that buffer is. Strings are not NUL-terminated.
 */
#ifndef P9_H
#define P9_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#if defined(__GNUC__) || defined(__clang__)
#define P9_MUST_USE __attribute__((warn_unused_result))
#else
#define P9_MUST_USE
#endif

/* Protocol constants (doc/PROTOCOL.md 1.5). */
#define P9_NOTAG	0xFFFFu
#define P9_NOFID	0xFFFFFFFFu
#define P9_NONUNAME	0xFFFFFFFFu
#define P9_MAXWELEM	16		/* names per Twalk, qids per Rwalk */
#define P9_HDRSZ	7		/* size[4] type[1] tag[2] */
#define P9_IOHDRSZ	24		/* room the Linux client keeps for Twrite/Rread headers */
#define P9_READDIRHDRSZ	24
#define P9_RDATA_HDRSZ	11		/* Rread/Rreaddir header: size type tag count */
#define P9_QIDSZ	13
#define P9_VERSION_L	"9P2000.L"

/* qid.type bits */
#define P9_QTDIR	0x80
#define P9_QTAPPEND	0x40
#define P9_QTEXCL	0x20
#define P9_QTMOUNT	0x10
#define P9_QTAUTH	0x08
#define P9_QTTMP	0x04
#define P9_QTSYMLINK	0x02
#define P9_QTLINK	0x01
#define P9_QTFILE	0x00

/* Tgetattr request_mask / Rgetattr valid */
#define P9_GETATTR_MODE		0x00000001ull
#define P9_GETATTR_NLINK	0x00000002ull
#define P9_GETATTR_UID		0x00000004ull
#define P9_GETATTR_GID		0x00000008ull
#define P9_GETATTR_RDEV		0x00000010ull
#define P9_GETATTR_ATIME	0x00000020ull
#define P9_GETATTR_MTIME	0x00000040ull
#define P9_GETATTR_CTIME	0x00000080ull
#define P9_GETATTR_INO		0x00000100ull
#define P9_GETATTR_SIZE		0x00000200ull
#define P9_GETATTR_BLOCKS	0x00000400ull
#define P9_GETATTR_BTIME	0x00000800ull
#define P9_GETATTR_GEN		0x00001000ull
#define P9_GETATTR_DATA_VERSION	0x00002000ull
#define P9_GETATTR_BASIC	0x000007ffull
#define P9_GETATTR_ALL		0x00003fffull

/* Tsetattr valid */
#define P9_SETATTR_MODE		0x001
#define P9_SETATTR_UID		0x002
#define P9_SETATTR_GID		0x004
#define P9_SETATTR_SIZE		0x008
#define P9_SETATTR_ATIME	0x010
#define P9_SETATTR_MTIME	0x020
#define P9_SETATTR_CTIME	0x040
#define P9_SETATTR_ATIME_SET	0x080
#define P9_SETATTR_MTIME_SET	0x100

/* Tlopen/Tlcreate flags: Linux x86 numbering, fixed on the wire */
#define P9_DOTL_RDONLY		000000000
#define P9_DOTL_WRONLY		000000001
#define P9_DOTL_RDWR		000000002
#define P9_DOTL_NOACCESS	000000003
#define P9_DOTL_CREATE		000000100
#define P9_DOTL_EXCL		000000200
#define P9_DOTL_NOCTTY		000000400
#define P9_DOTL_TRUNC		000001000
#define P9_DOTL_APPEND		000002000
#define P9_DOTL_NONBLOCK	000004000
#define P9_DOTL_DSYNC		000010000
#define P9_DOTL_FASYNC		000020000
#define P9_DOTL_DIRECT		000040000
#define P9_DOTL_LARGEFILE	000100000
#define P9_DOTL_DIRECTORY	000200000
#define P9_DOTL_NOFOLLOW	000400000
#define P9_DOTL_NOATIME		001000000
#define P9_DOTL_CLOEXEC		002000000
#define P9_DOTL_SYNC		004000000

/* Tlock/Tgetlock */
#define P9_LOCK_TYPE_RDLCK	0
#define P9_LOCK_TYPE_WRLCK	1
#define P9_LOCK_TYPE_UNLCK	2
#define P9_LOCK_FLAGS_BLOCK	1
#define P9_LOCK_FLAGS_RECLAIM	2
#define P9_LOCK_SUCCESS		0
#define P9_LOCK_BLOCKED		1
#define P9_LOCK_ERROR		2
#define P9_LOCK_GRACE		3

/* Tunlinkat flags, Txattrcreate flags */
#define P9_AT_REMOVEDIR		0x200
#define P9_XATTR_CREATE		1
#define P9_XATTR_REPLACE	2

/* Codec errors: negative, one per reason. */
enum p9_err {
	P9_OK = 0,
	P9_ERR_SHORT = -1,	/* the frame ends inside a field */
	P9_ERR_TRAILING = -2,	/* bytes left after the last field */
	P9_ERR_SIZE = -3,	/* size field differs from the frame's length */
	P9_ERR_UNDERSIZE = -4,	/* size field below the 7-byte header */
	P9_ERR_TOOBIG = -5,	/* size field above msize */
	P9_ERR_TYPE = -6,	/* unknown or unused message type */
	P9_ERR_NUL = -7,	/* a string holds a NUL byte */
	P9_ERR_NWNAME = -8,	/* Twalk nwname above 16 */
	P9_ERR_NWQID = -9,	/* Rwalk nwqid above 16 */
	P9_ERR_NOSPACE = -10,	/* output buffer too small */
	P9_ERR_STRLEN = -11,	/* a C string longer than 65535 bytes */
	P9_ERR_TXT_NAME = -12,	/* text: unknown message name */
	P9_ERR_TXT_FIELD = -13,	/* text: missing, misnamed or misordered field */
	P9_ERR_TXT_VALUE = -14,	/* text: malformed or out-of-range value */
	P9_ERR_TXT_ESCAPE = -15, /* text: bad escape sequence or unterminated quote */
	P9_ERR_TXT_TRAILING = -16, /* text: something after the last field */
	P9_ERR_TXT_SCRATCH = -17, /* text: scratch buffer too small for strings/data */
	P9_ERR_DIRENT = -18,	/* a dirent is cut short by the end of its payload */
	P9_ERR_NOTAG = -19,	/* client: every tag is in use */
	P9_ERR_TAG = -20,	/* client: reply to a tag with no outstanding request */
	P9_ERR_RTYPE = -21,	/* client: reply type does not answer the request */
	P9_ERR__LAST = -21
};

/* A short human-readable text for a p9_err (or "unknown error"). */
const char *p9_strerror(int err);

/*
 * The name of a Linux errno value as carried by Rlerror ("ENOENT" for 2),
 * or NULL for 0 and for a value Linux does not define. p9_errno_value is
 * the reverse: the value of name[0..len) ("ENOTSUP" and the other aliases
 * included), or -1.
 */
const char *p9_errno_name(uint32_t ecode);
long p9_errno_value(const char *name, size_t len);

/* Views. Not NUL-terminated; valid as long as the buffer they point into. */
struct p9_str {
	const char	*ptr;
	uint16_t	 len;
};

struct p9_data {
	const uint8_t	*ptr;
	uint32_t	 len;
};

struct p9_qid {
	uint8_t		 type;
	uint32_t	 version;
	uint64_t	 path;
};

struct p9_strs {
	uint16_t	 n;		/* <= P9_MAXWELEM */
	struct p9_str	 s[P9_MAXWELEM];
};

struct p9_qids {
	uint16_t	 n;		/* <= P9_MAXWELEM */
	struct p9_qid	 q[P9_MAXWELEM];
};

/* The C type of each field kind of p9_msgs.def. */
#define P9_CTYPE_u8	uint8_t
#define P9_CTYPE_u16	uint16_t
#define P9_CTYPE_u32	uint32_t
#define P9_CTYPE_u64	uint64_t
#define P9_CTYPE_x32	uint32_t
#define P9_CTYPE_fid	uint32_t
#define P9_CTYPE_x64	uint64_t
#define P9_CTYPE_o32	uint32_t
#define P9_CTYPE_opt32	uint32_t
#define P9_CTYPE_str	struct p9_str
#define P9_CTYPE_qid	struct p9_qid
#define P9_CTYPE_data	struct p9_data
#define P9_CTYPE_strs	struct p9_strs
#define P9_CTYPE_qids	struct p9_qids

/* Message types: P9_TWALK = 110, P9_RWALK = 111, ... */
enum p9_type {
#define P9_PAIR(UP, lo, num, tf, rf)	P9_T##UP = (num), P9_R##UP = (num) + 1,
#define P9_RONLY(UP, lo, num, rf)	P9_R##UP = (num),
#include "p9_msgs.def"
#undef P9_PAIR
#undef P9_RONLY
};

/* One struct per message, fields as in the table, each starting with tag. */
#define F(kind, name)	P9_CTYPE_##kind name;
#define P9_PAIR(UP, lo, num, tf, rf) \
	struct p9_t##lo { uint16_t tag; tf }; \
	struct p9_r##lo { uint16_t tag; rf };
#define P9_RONLY(UP, lo, num, rf) \
	struct p9_r##lo { uint16_t tag; rf };
#include "p9_msgs.def"
#undef P9_PAIR
#undef P9_RONLY
#undef F

/*
 * Any message. `type` selects the union member (P9_TWALK -> twalk); `tag`
 * aliases the tag of every member (they all begin with it).
 */
struct p9_msg {
	uint8_t		type;
	union {
		uint16_t tag;
#define P9_PAIR(UP, lo, num, tf, rf)	struct p9_t##lo t##lo; struct p9_r##lo r##lo;
#define P9_RONLY(UP, lo, num, rf)	struct p9_r##lo r##lo;
#include "p9_msgs.def"
#undef P9_PAIR
#undef P9_RONLY
	};
};

/* "Twalk" for P9_TWALK, NULL for a type that 9P2000.L does not define. */
const char *p9_type_name(int type);

/* The type whose name is name[0..len), or -1. */
int p9_type_from_name(const char *name, size_t len);

/* Decoding options. */
#define P9_DEC_TOLERANT	0x1	/* ignore bytes after the last field (QEMU/diod behaviour) */

/*
 * Decode exactly one message. buf/len is the whole frame, size field
 * included; the size field must equal len. Strict by default: every field
 * must fit, nothing may trail (unless P9_DEC_TOLERANT), strings hold no NUL,
 * nwname/nwqid are at most 16, data counts stay inside the frame, and an
 * Rreaddir's data is a sequence of whole dirents whose names hold no NUL
 * (P9_DEC_TOLERANT forgives trailing bytes only, never a bad dirent). Tfsync
 * without its datasync field (older clients) decodes with datasync 0.
 * On success *m holds views into buf (valid until buf is released); nothing
 * is copied or allocated. Returns 0 or a negative P9_ERR_*; on error *m is
 * unspecified. If errpos is not NULL it receives the byte offset in buf
 * where decoding went wrong (0 on success): the first byte of the field
 * that does not fit (P9_ERR_SHORT; P9_ERR_DIRENT for a dirent field that
 * the end of the Rreaddir data cuts, the data's end if it falls between two
 * fields), the start (length field) of a string or dirent name holding
 * NUL, the count of more than 16 names or qids, 4 for the type, 0 for the
 * size field, or the first trailing byte.
 */
P9_MUST_USE int p9_msg_decode(const uint8_t *buf, size_t len, struct p9_msg *m);
P9_MUST_USE int p9_msg_decode_ex(const uint8_t *buf, size_t len, unsigned flags,
    struct p9_msg *m, size_t *errpos);

/*
 * The encoded size of *m in bytes (size field included), or 0 if m->type
 * is unknown. Does not validate the fields (p9_msg_encode does).
 */
size_t p9_msg_size(const struct p9_msg *m);

/*
 * Encode *m into buf[0..cap). Writes nothing past cap. Refuses what decode
 * would refuse: unknown type (P9_ERR_TYPE), more than 16 names or qids
 * (P9_ERR_NWNAME / P9_ERR_NWQID), a NUL inside a string (P9_ERR_NUL), an
 * Rreaddir whose data is not whole dirents (P9_ERR_DIRENT, or P9_ERR_NUL
 * for a name holding NUL; checked before anything is written).
 * Returns the frame's length (> 0) or a negative P9_ERR_* (P9_ERR_NOSPACE
 * if cap is too small); on error buf's contents are unspecified.
 */
P9_MUST_USE long p9_msg_encode(const struct p9_msg *m, uint8_t *buf, size_t cap);

/*
 * Framing. Given the first `have` bytes received of a stream, tell how long
 * the next frame is. Returns 0 and sets *need to the number of bytes the
 * caller must have before the frame is complete: 4 while the size field is
 * incomplete, then the frame's size. Returns P9_ERR_UNDERSIZE for a size
 * below 7 and P9_ERR_TOOBIG for a size above msize, before the caller reads
 * or allocates anything more. The frame is complete when have >= *need
 * (and *need >= 7).
 */
P9_MUST_USE int p9_frame_need(const uint8_t *buf, size_t have, uint32_t msize, size_t *need);

/*
 * In-place Rread and Rreaddir. p9_rdata_begin() writes an 11-byte header
 * for `type` (P9_RREAD or P9_RREADDIR) and `tag` at buf, and returns the
 * data area (buf + 11) with its usable room in *room: min(cap - 11, count).
 * The caller fills the data area (pread straight into it, or append
 * dirents with p9_dirent_put), then calls p9_rdata_seal() with the number
 * of bytes used, which patches the size and count fields and returns the
 * frame's length. Returns NULL if cap < 11.
 */
uint8_t *p9_rdata_begin(uint8_t *buf, size_t cap, uint8_t type, uint16_t tag,
    uint32_t count, uint32_t *room);
size_t p9_rdata_seal(uint8_t *buf, uint32_t used);

/* A directory entry of an Rreaddir payload: qid[13] offset[8] type[1] name[s]. */
struct p9_dirent {
	struct p9_qid	qid;
	uint64_t	offset;		/* cookie of the position after this entry */
	uint8_t		type;		/* Linux d_type */
	struct p9_str	name;		/* view, valid as long as the payload */
};

/* The encoded size of a dirent: 24 + name length. */
size_t p9_dirent_size(const struct p9_dirent *d);

/*
 * Append one whole dirent to buf[*used .. cap). Returns 0 and advances
 * *used, or P9_ERR_NOSPACE (nothing written, *used unchanged) if it does not
 * fit, or P9_ERR_NUL if the name holds a NUL byte.
 */
P9_MUST_USE int p9_dirent_put(uint8_t *buf, uint32_t cap, uint32_t *used,
    const struct p9_dirent *d);

/* Iterator over the packed dirents of an Rreaddir payload. */
struct p9_dirent_iter {
	const uint8_t	*base;
	uint32_t	 len;
	uint32_t	 pos;
	int		 err;
	uint32_t	 checked;	/* p9_dirent_iter_checked */
};

void p9_dirent_iter_init(struct p9_dirent_iter *it, struct p9_data payload);
/*
 * The same, for the data of an Rreaddir that p9_msg_decode (or
 * p9_msg_parse) accepted: every entry's name was checked then, so
 * p9_dirent_next does not scan the names for NUL again (it still checks
 * every bound, and an entry that turns out short fails as it would with
 * p9_dirent_iter_init). A payload that was not checked is read safely
 * but may give names holding NUL.
 */
void p9_dirent_iter_checked(struct p9_dirent_iter *it, struct p9_data payload);

/*
 * Decode the next entry into *d (its name is a view into the payload).
 * Returns 1 for an entry, 0 at the end of the payload, or a negative
 * P9_ERR_* (P9_ERR_DIRENT for an entry cut short, P9_ERR_NUL for a name
 * holding NUL); an error is sticky. The offset of the failing entry is
 * it->pos. The data of a decoded Rreaddir was checked by the decoder with
 * the same rules: it iterates to its end without an error.
 */
P9_MUST_USE int p9_dirent_next(struct p9_dirent_iter *it, struct p9_dirent *d);

/*
 * Text form: one canonical line per message, e.g.
 *   Twalk tag=3 fid=0 newfid=1 wname=[a,"b c"]
 * See lib9p/TEXT.md for the grammar.
 *
 * p9_msg_print writes the line (no newline) and a NUL terminator into
 * buf[0..cap) and returns the line's length; if that is >= cap the output
 * was truncated (snprintf-style), and a buffer of the returned length + 1
 * holds it. Returns a negative P9_ERR_TYPE for an unknown type, or
 * P9_ERR_NWNAME / P9_ERR_NWQID for more than 16 names or qids (buf then
 * holds "").
 */
long p9_msg_print(const struct p9_msg *m, char *buf, size_t cap);

/*
 * Parse one line (text[0..len), no newline) into *m. Unescaped bytes of
 * strings and data are stored in scratch[0..scratch_len) and *m's views
 * point there or into text; both must outlive *m. Returns 0 or a negative
 * P9_ERR_TXT_* (P9_ERR_TXT_SCRATCH if scratch is too small), P9_ERR_NUL
 * for a string or dirent name holding NUL, or P9_ERR_DIRENT for Rreaddir
 * data that is not whole dirents (what parses, encodes); if errpos is not
 * NULL it receives the offset in text where parsing failed (0 on success).
 */
P9_MUST_USE int p9_msg_parse(const char *text, size_t len, struct p9_msg *m,
    uint8_t *scratch, size_t scratch_len, size_t *errpos);

/* Helpers on views. */
int p9_str_eq(struct p9_str s, const char *cstr);	/* 1 if the same bytes */

/* Point *s at the C string cstr. Returns 0, or P9_ERR_STRLEN (and *s is
 * left unchanged) if cstr is longer than 65535 bytes. */
P9_MUST_USE int p9_str_set(struct p9_str *s, const char *cstr);

#ifdef __cplusplus
}
#endif

#endif /* P9_H */
