/*
 * p9conform: the conformance runner's internal interfaces (see README.md
 * for the trace format). Nothing here is installed.
 */
#ifndef CONFORM_H
#define CONFORM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "p9.h"
#include "p9pcap.h"

#define CF_MAXCONN	8	/* connections per trace: c1 .. c8 */
#define CF_MAXVARS	128

/* --- variables ---------------------------------------------------------- */

/* Name -> canonical text of a value (a number, a qid "(t,v,p)", a string). */
struct cf_vars {
	int	 n;
	char	*name[CF_MAXVARS];
	char	*val[CF_MAXVARS];
};

const char *cf_var_get(const struct cf_vars *v, const char *name, size_t len);
void cf_var_set(struct cf_vars *v, const char *name, size_t len, const char *val,
    size_t vlen);
void cf_vars_free(struct cf_vars *v);

/*
 * Expand a line before it is parsed: $(name+N) / $(name-N) (arithmetic on
 * a numeric variable), $name (its text) and fill(N) (a quoted data value
 * of N bytes). With `keep_unbound` an unbound $name is left as it is (the
 * matcher binds it); otherwise it is an error. Returns a malloc'd string or
 * NULL with *err set to a message.
 */
char *cf_expand(const char *line, const struct cf_vars *v, bool keep_unbound,
    const char **err);

/* --- matching ----------------------------------------------------------- */

/*
 * Match received message *m against the expected line `pat` (already
 * expanded). Binds unbound variables into *v on success (and only then).
 * Returns true on a match; otherwise writes why into why[0..whylen).
 */
bool cf_match(const char *pat, const struct p9_msg *m, struct cf_vars *v,
    char *why, size_t whylen);

/* The tag a pattern line names (its tag= field), or -1 if the pattern does
 * not fix it (tag=* or a variable). */
long cf_pattern_tag(const char *pat);

/* Errno names in traces (ecode=ENOENT) are lib9p's: p9_errno_value and
 * p9_errno_name. */

/* Print *m into a malloc'd canonical line (NULL on error). */
char *cf_print(const struct p9_msg *m);

/* --- traces ------------------------------------------------------------- */

enum cf_class { CF_MUST, CF_SHOULD, CF_IMPL };

enum cf_op {
	CF_SEND,	/* a T line: encode and send */
	CF_EXPECT,	/* an R line: wait for a reply with its tag, match */
	CF_RAW,		/* raw HEX: send bytes as they are */
	CF_CLOSED,	/* closed: the server must close the connection */
	CF_CONN,	/* conn N [raw|version] [msize=N]: connection setup */
	CF_FIXTURE,	/* fixture KIND PATH [ARG]: made through 9p before the trace */
	CF_READDIR_ALL,	/* readdir-all FID COUNT [names]: loop Treaddir to the end */
	CF_DISCONNECT,	/* disconnect: close the connection from our side */
};

struct cf_line {
	enum cf_op	 op;
	int		 conn;		/* 0-based */
	int		 lineno;
	bool		 optional;	/* "? R...": may arrive or not, never after its successor */
	bool		 or_closed;	/* "closed|R...": the reply, or the connection closes */
	char		*text;		/* the message / arguments */
};

struct cf_trace {
	char		*name;
	char		*file;
	enum cf_class	 cls;
	char		*why;		/* the "# spec:" or "why" line, if any */
	int		 lineno;
	int		 nlines;
	struct cf_line	*lines;
};

struct cf_traces {
	int		 n;
	struct cf_trace	*t;
};

/* Load one trace file (several traces) and append to *ts. Returns 0 or -1
 * with a message on stderr. */
int cf_load(const char *path, struct cf_traces *ts);
/* A .trace file, or every *.trace of a directory in name order. 0 or -1. */
int cf_load_path(const char *path, struct cf_traces *ts);
/* The bytes of a `raw` line ("0b000000 78 ..."; spaces anywhere between
 * byte pairs): how many, or -1 for a bad digit, an odd one or more than cap. */
long cf_unhex(const char *s, uint8_t *out, size_t cap);
void cf_traces_free(struct cf_traces *ts);
const char *cf_class_name(enum cf_class c);

/* --- network ------------------------------------------------------------ */

struct cf_conn {
	int		 fd;
	uint8_t		*buf;		/* received, not yet consumed */
	size_t		 len, cap;
	bool		 eof;
	/* --pcap-dir: the capture this connection's traffic goes to (NULL:
	 * none), its stream, and how many bytes at buf are recorded already. */
	struct p9pcap	*pcap;
	struct p9pcap_stream pstream;
	size_t		 recorded;
};

/* Connect to "HOST:PORT" or "unix:PATH" (or any other form p9c_dial
 * takes: p9c.h). Returns an fd or -1 (errno). */
int cf_dial(const char *addr);
/* Listen on "HOST:PORT" (port 0 allowed) or "unix:PATH". Returns an fd or -1. */
int cf_listen(const char *addr);

void cf_conn_init(struct cf_conn *c, int fd);
/* Record c's traffic into p from now on, as its own TCP stream: what
 * cf_send sends, each frame cf_recv_frame returns (one packet each), and
 * at cf_conn_close whatever arrived that was no whole frame. */
void cf_conn_capture(struct cf_conn *c, struct p9pcap *p);
void cf_conn_close(struct cf_conn *c);
int cf_send(struct cf_conn *c, const void *buf, size_t len);

/*
 * Wait at most timeout_ms for one whole frame. Returns its length (> 0)
 * with the frame at c->buf (consume it with cf_consume), 0 for EOF, -1 for
 * a timeout, -2 for an invalid size field (the stream cannot be framed).
 */
long cf_recv_frame(struct cf_conn *c, int timeout_ms, uint32_t maxsize);
void cf_consume(struct cf_conn *c, size_t n);

/* --- record mode ---------------------------------------------------------- */

int cf_record(const char *out, const char *listen_addr, const char *server_addr,
    int max_sessions);

/* Turn a reply line into a pattern line for record mode (in place of the
 * fields that vary between correct servers). `qids` maps qid paths to names. */
char *cf_patternize(const struct p9_msg *m, struct cf_vars *qids, int *nq);

#endif /* CONFORM_H */
