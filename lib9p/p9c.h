/*
 * p9c: a blocking 9P2000.L client on top of the sans-I/O core
 * (p9_client.h). One struct p9c is one connection: a socket, its send and
 * receive buffers, the core's tag slots and the fids it handed out.
 *
 *	struct p9c *c = p9c_new();
 *	uint32_t root, fid;
 *
 *	if (c == NULL || p9c_dial(c, "tcp:server:564") < 0 ||
 *	    p9c_version(c, 0) < 0 ||
 *	    p9c_attach(c, "me", P9_NONUNAME, "", &root, NULL) < 0 ||
 *	    p9c_walk_path(c, root, "etc/motd", &fid, NULL) < 0 || ...)
 *		fprintf(stderr, "%s\n", c ? p9c_error(c) : "out of memory");
 *	p9c_close(c);
 *
 * Contract shared by every function here:
 * - Errors are negative errno values (<errno.h>); success is 0, or a count
 *   or tag (>= 0) where a function says so. An Rlerror's ecode E comes
 *   back as -E. Transport failures: -ECONNRESET (the server closed the
 *   connection), -ETIMEDOUT (no whole reply within the receive timeout),
 *   -EPROTO (a reply that is not 9P2000.L: bad size field, undecodable,
 *   wrong tag or type), or the errno of the failing system call.
 * - After a failure p9c_error() describes it in one line: what failed and
 *   why, with the address, the value and the allowed range where there is
 *   one. Success leaves the text as it was (like errno).
 * - A failure that loses the stream's framing (a send cut short, a size
 *   field out of range, the server closing) leaves the connection broken:
 *   every later call on it fails with the same code. A timeout does not:
 *   the bytes of a late reply are kept and it is matched (and dropped) by
 *   a later call.
 * - No global state. A connection is used by one thread at a time (callers
 *   serialise, e.g. with a mutex); distinct connections are independent.
 * - Views in a reply (strings, data, dirent names) point into the
 *   connection's receive buffer and are valid until the next call that
 *   receives on that connection.
 * - Fids: p9c_attach and p9c_walk* allocate the new fid (the lowest
 *   number not in use, from 0 up) and p9c_clunk frees it; a new Tversion
 *   frees them all. Fids named in messages sent through p9c_rpc/p9c_send
 *   are not tracked: callers that mix the two should use numbers the
 *   allocator will not reach (e.g. from 0x10000000 up).
 * - Nothing raises SIGPIPE on a socket (MSG_NOSIGNAL); an fd that is not a
 *   socket (p9c_adopt of a pipe, say) is written with write().
 */
#ifndef P9C_H
#define P9C_H

#include "p9.h"
#include "p9_client.h"

#ifdef __cplusplus
extern "C" {
#endif

#define P9C_MSIZE	131072u		/* default msize proposal and frame limit */
#define P9C_MSIZE_MIN	256u		/* smallest msize p9c accepts or proposes */
#define P9C_MSIZE_MAX	(1u << 30)

/* One connection. Opaque. */
struct p9c;

/* --- connection ---------------------------------------------------------- */

/*
 * A new, unconnected client: no timeout, frame limit P9C_MSIZE. Returns
 * NULL only when out of memory. Release it with p9c_close().
 */
struct p9c *p9c_new(void);

/*
 * Connect to addr: "tcp:HOST:PORT" or "HOST:PORT" (HOST a name, an IPv4
 * address or a bracketed IPv6 one, PORT a number 1..65535 or a service
 * name; TCP_NODELAY is set), "unix:PATH" or a PATH holding a '/' (a Unix
 * stream socket). Every address HOST resolves to is tried in turn.
 * Returns 0, -EINVAL (a malformed address), -ENAMETOOLONG (a Unix path
 * too long for sockaddr_un), -EHOSTUNREACH (HOST does not resolve),
 * -EISCONN (c is connected already) or connect()'s errno.
 */
P9_MUST_USE int p9c_dial(struct p9c *c, const char *addr);

/* Use fd, a connected stream socket, from now on; c owns it and closes it.
 * Returns 0, -EBADF (fd < 0) or -EISCONN. */
P9_MUST_USE int p9c_adopt(struct p9c *c, int fd);

/*
 * Give the socket back: returns the fd (or -ENOTCONN) and leaves c
 * unconnected, with every outstanding request and fid forgotten. The
 * caller then owns the fd.
 */
int p9c_detach(struct p9c *c);

/* Close the socket (if any) and free c and everything it holds. NULL is a
 * no-op. Fids are not clunked: closing the connection ends them. */
void p9c_close(struct p9c *c);

/*
 * Receive timeout: each call waits at most ms milliseconds for its reply
 * (and for room to send its request); ms < 0 (the default) waits forever.
 */
void p9c_set_timeout(struct p9c *c, int ms);

/*
 * The msize in force until a Tversion negotiates one (frames above it are
 * refused: -EPROTO for a reply, -EMSGSIZE for a request), and what
 * p9c_version(c, 0) proposes. Default P9C_MSIZE. Also replaces the msize
 * in force after a Tversion. Returns 0, -EINVAL (outside
 * P9C_MSIZE_MIN..P9C_MSIZE_MAX) or -ENOMEM.
 */
P9_MUST_USE int p9c_set_msize(struct p9c *c, uint32_t msize);

/* The connection's socket, or -1. For poll() and for tools that shut down
 * or inspect it; reading it directly skips p9c's framing. */
int p9c_fd(const struct p9c *c);

/* The msize in force: negotiated by the last Tversion, else the limit. */
uint32_t p9c_msize(const struct p9c *c);

/* The last failure in one line (never NULL; "" before any). Valid until
 * the next call on c. */
const char *p9c_error(const struct p9c *c);

/*
 * The client core that matches tags (p9_client.h), to read
 * p9_client_inflight() or to p9_client_reset() it after raw traffic. Do
 * not send through it directly.
 */
struct p9_client *p9c_core(struct p9c *c);

/* --- session ------------------------------------------------------------- */

/*
 * Tversion "9P2000.L" proposing msize (0: the limit, P9C_MSIZE unless
 * p9c_set_msize changed it). Starts a new session: every outstanding
 * request and every fid is forgotten first. Returns 0 with p9c_msize() the
 * negotiated value, -EINVAL (msize outside P9C_MSIZE_MIN..P9C_MSIZE_MAX),
 * -EPROTONOSUPPORT (the server answered another version, e.g. "unknown"),
 * -EPROTO (the server's msize is below P9C_MSIZE_MIN), or an error of the
 * exchange.
 */
P9_MUST_USE int p9c_version(struct p9c *c, uint32_t msize);

/*
 * Tattach with no auth fid: uname (NULL: ""), n_uname (a uid, or
 * P9_NONUNAME) and aname (NULL: "", the server's default tree). On success
 * *fid is the new root fid and *qid (if not NULL) its qid. Returns 0 or a
 * negative errno.
 */
P9_MUST_USE int p9c_attach(struct p9c *c, const char *uname, uint32_t n_uname,
    const char *aname, uint32_t *fid, struct p9_qid *qid);

/* --- files --------------------------------------------------------------- */

/*
 * Walk from fid through names[0..n) to a new fid (*newfid). n = 0 clones
 * fid. n may exceed P9_MAXWELEM: the walk then takes several Twalks (the
 * later ones walking the new fid in place). qids, if not NULL, has room
 * for n and receives one qid per name. Returns 0; -ENOENT (with no new
 * fid) if the server stopped before the last name, p9c_error() naming
 * which; -ENAMETOOLONG for a name above 65535 bytes; or a negative errno.
 */
P9_MUST_USE int p9c_walk(struct p9c *c, uint32_t fid, unsigned n,
    const char *const *names, uint32_t *newfid, struct p9_qid *qids);

/* The same with a '/'-separated path ("a/b/c"; empty components are
 * skipped, so "" and "/" clone). *qid (if not NULL) gets the last name's
 * qid and is left alone by a clone. */
P9_MUST_USE int p9c_walk_path(struct p9c *c, uint32_t fid, const char *path,
    uint32_t *newfid, struct p9_qid *qid);

/* Tlopen fid with P9_DOTL_* flags; *qid and *iounit may be NULL. Returns 0
 * or a negative errno. */
P9_MUST_USE int p9c_open(struct p9c *c, uint32_t fid, uint32_t flags,
    struct p9_qid *qid, uint32_t *iounit);

/* Tlcreate: create name in directory fid, which then stands for the new
 * file, open with flags. Returns 0 or a negative errno. */
P9_MUST_USE int p9c_create(struct p9c *c, uint32_t fid, const char *name,
    uint32_t flags, uint32_t mode, uint32_t gid, struct p9_qid *qid,
    uint32_t *iounit);

/*
 * Read up to count bytes at offset from open fid into buf, in Treads of
 * at most msize - P9_IOHDRSZ bytes, until count bytes came or a Tread
 * returned less than it asked (end of file). Returns the number of bytes
 * read (0 at end of file), or a negative errno if the first Tread failed;
 * a later failure returns what was read before it.
 */
P9_MUST_USE long p9c_read(struct p9c *c, uint32_t fid, uint64_t offset, void *buf,
    size_t count);

/*
 * Write count bytes from buf at offset to open fid, in Twrites of at most
 * msize - P9_IOHDRSZ bytes, until all are written. Returns count, or a
 * negative errno if nothing was written (-EIO for an Rwrite of 0 bytes,
 * -EPROTO for one above what was sent); a failure after some bytes
 * returns their number.
 */
P9_MUST_USE long p9c_write(struct p9c *c, uint32_t fid, uint64_t offset,
    const void *buf, size_t count);

/* Tgetattr with request_mask (P9_GETATTR_*); *attr (if not NULL) gets the
 * whole Rgetattr (it holds no views). Returns 0 or a negative errno. */
P9_MUST_USE int p9c_getattr(struct p9c *c, uint32_t fid, uint64_t mask,
    struct p9_rgetattr *attr);

/* Tclunk. The fid is gone afterwards whatever the reply (clunk(5)), and
 * p9c may hand its number out again. Returns 0 or a negative errno. */
int p9c_clunk(struct p9c *c, uint32_t fid);

/*
 * Directory listing. p9c_opendir prepares to list fid, a directory
 * opened for reading (p9c_open with P9_DOTL_RDONLY | P9_DOTL_DIRECTORY),
 * from offset 0; it sends nothing. Returns 0 with *dir set, or -ENOMEM.
 * p9c_readdir stores the next entry in *ent and returns 1, or 0 at the
 * end, or a negative errno. It sends a Treaddir when the last batch is
 * used up and keeps a copy of the reply: ent->name is valid until the
 * next p9c_readdir or p9c_closedir on dir, whatever else is sent on the
 * connection meanwhile. p9c_closedir frees dir (NULL is a no-op); it does
 * not clunk the fid.
 */
struct p9c_dir;
P9_MUST_USE int p9c_opendir(struct p9c *c, uint32_t fid, struct p9c_dir **dir);
P9_MUST_USE int p9c_readdir(struct p9c_dir *dir, struct p9_dirent *ent);
void p9c_closedir(struct p9c_dir *dir);

/* --- any message, raw frames ---------------------------------------------- */

/*
 * Send *t (its tag is assigned: t->tag) and wait for its reply into *r.
 * Returns 0 for the expected R-message, -ecode for an Rlerror (then
 * r->type is P9_RLERROR; an ecode of 0 or above INT_MAX gives -EIO), or
 * another negative errno (r->type is then 0). Replies to requests whose
 * wait timed out are matched and dropped on the way; a reply to a request
 * sent with p9c_send fails with -EBUSY (receive those with p9c_recv
 * first). A Tversion sent here does not reset fids or buffers (p9c_version
 * does), but its Rversion ends every other outstanding request.
 */
P9_MUST_USE int p9c_rpc(struct p9c *c, struct p9_msg *t, struct p9_msg *r);

/* Pipelining: send *t without waiting (t->tag is set). Returns the tag
 * (0..65535; P9_NOTAG for Tversion) or a negative errno. */
P9_MUST_USE int p9c_send(struct p9c *c, struct p9_msg *t);

/*
 * Receive one reply to any outstanding request into *r. Returns its tag,
 * or a negative errno. *r may be an Rlerror. An Rflush also completes the
 * requests it cancelled (p9_client.h).
 */
P9_MUST_USE int p9c_recv(struct p9c *c, struct p9_msg *r);

/* Send len bytes exactly as they are (no tag bookkeeping). 0 or a negative
 * errno. */
P9_MUST_USE int p9c_send_raw(struct p9c *c, const void *frame, size_t len);

/*
 * Receive one whole frame of any content (size field at least 7 and at
 * most p9c_msize()), unmatched and undecoded. Returns its length with *frame pointing at it (valid until
 * the next receive), or a negative errno.
 */
P9_MUST_USE long p9c_recv_raw(struct p9c *c, const uint8_t **frame);

/*
 * Wait for the server to close the connection (after a request that must
 * end the session, say), reading and discarding whatever it sends first,
 * frames or not, including the rest of a frame a timeout cut short. One
 * deadline, the receive timeout, bounds the whole wait. Works on a broken
 * connection too (discarding needs no framing). Returns 0 once the server
 * closed (end of stream or a reset; the connection is then broken with
 * -ECONNRESET, which p9c_error() says, and a second call returns 0 at once), -ETIMEDOUT if it did
 * not (the connection is then broken if any bytes were discarded, since the
 * framing is lost, and usable otherwise), -ENOTCONN, or the errno of a
 * failing poll() or recv().
 */
P9_MUST_USE int p9c_wait_closed(struct p9c *c);

#ifdef __cplusplus
}
#endif

#endif /* P9C_H */
