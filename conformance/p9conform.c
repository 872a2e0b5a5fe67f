/*
 * p9conform: run conformance traces against any 9P2000.L server, or record
 * a session as a trace (README.md). The runner makes each trace's fixtures
 * through 9p in a fresh directory under the attach root, runs the trace on
 * its own connections, removes the directory and prints TAP (and JUnit XML
 * with --junit) and a closing "N passed, N failed" line.
 */
#include <errno.h>
#include <getopt.h>
#include <ctype.h>
#include <pwd.h>
#include <signal.h>
#include <stdarg.h>
#include <sys/stat.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/wait.h>

#include "conform.h"
#include "p9c.h"

#ifndef P9CONFORM_TRACES
#define P9CONFORM_TRACES "/usr/local/share/p9conform/traces"
#endif

#define RAWMAX		(16u << 20)	/* frame bound before msize is negotiated */
#define SYNC_TAG	0xfff0		/* tags the runner itself uses on trace connections */

struct opts {
	const char	*addr;
	const char	*aname;
	const char	*uname;
	uint32_t	 n_uname;
	uint32_t	 msize;
	int		 timeout_ms;
	bool		 verbose;
	const char	*junit;
	const char	*known;
	const char	*known_section;	/* --known-section: rows under "## NAME" only */
	const char	*only[64];
	int		 nonly;
	int		 wait_s;
	const char	*pcap_dir;	/* --pcap-dir: captures of failing traces */
	const char	*server_cmd;	/* --server-cmd: start (and restart) the server */
	long		 server_pid;	/* --server-pid: the server's process */
	const char	*report;	/* --report: one TSV line per trace */
	const char	*exchange_dir;	/* --exchange-dir: the exchange of failing traces */
	int		 retries;	/* --retry: run a failing trace again, up to N times */
};

static struct opts O = {
	.aname = "", .msize = 65536, .timeout_ms = 5000,
};

/* Point *s at a C string (our strings are short; an overlong one becomes ""). */
static void
setstr(struct p9_str *s, const char *cstr)
{
	if (p9_str_set(s, cstr) != 0)
		*s = (struct p9_str){ "", 0 };
}

/* --- legacy Rerror and "not implemented" ------------------------------------ */

/*
 * 9P2000's Rerror (type 107: size[4] type[1] tag[2] ename[s], and in
 * 9P2000.u errno[4] after it) is no 9P2000.L message and lib9p does not
 * decode it; a server that answers with it still means an error, so the
 * runner reads it here to say what it was. nfs-ganesha 4.3 sends a third
 * form: type 107 with Rlerror's body, ecode[4] (an 11-byte frame whose
 * "ename length" would be the errno's low half and whose "ename" its high
 * half, two NUL bytes for any errno below 65536).
 */
#define LEGACY_RERROR	107
#define RC_RERROR	(-3)	/* an rpc got a legacy Rerror without errno */

struct rerror {
	uint16_t	 tag;
	long		 ecode;		/* errno[4] of 9P2000.u or ecode[4], -1 without */
	bool		 lbody;		/* type 107 with Rlerror's body, ecode[4] */
	char		 ename[200];
};

static bool
legacy_rerror(const uint8_t *f, size_t n, struct rerror *e)
{
	size_t len, i, o = 0;

	if (n < 9 || f[4] != LEGACY_RERROR)
		return false;
	len = (size_t)(f[7] | f[8] << 8);
	e->tag = (uint16_t)(f[5] | f[6] << 8);
	e->lbody = false;
	if (n == 11 && (len != 2 || f[9] < 0x20 || f[9] >= 0x7f || f[10] < 0x20 || f[10] >= 0x7f)) {
		e->lbody = true;
		e->ename[0] = '\0';
		e->ecode = (long)((uint32_t)f[7] | (uint32_t)f[8] << 8 | (uint32_t)f[9] << 16 |
		    (uint32_t)f[10] << 24);
		return true;
	}
	if (n != 9 + len && n != 9 + len + 4)
		return false;
	for (i = 0; i < len && o + 1 < sizeof(e->ename); i++) {
		unsigned char ch = f[9 + i];

		e->ename[o++] = ch >= 0x20 && ch < 0x7f && ch != '"' && ch != '\\' ? (char)ch : '?';
	}
	e->ename[o] = '\0';
	e->ecode = n == 9 + len + 4 ? (long)((uint32_t)f[9 + len] | (uint32_t)f[10 + len] << 8 |
	    (uint32_t)f[11 + len] << 16 | (uint32_t)f[12 + len] << 24) : -1;
	return true;
}

/* "Rerror tag=N ename="..." [errno=N(NAME)]": the reply as the report shows it. */
static void
rerror_text(const struct rerror *e, char *buf, size_t len)
{
	const char *name = e->ecode >= 0 ? p9_errno_name((uint32_t)e->ecode) : NULL;
	int n;

	if (e->lbody) {
		snprintf(buf, len, "Rerror tag=%u with Rlerror's body ecode=%ld%s%s%s", e->tag,
		    e->ecode, name ? "(" : "", name ? name : "", name ? ")" : "");
		return;
	}
	n = snprintf(buf, len, "Rerror tag=%u ename=\"%s\"", e->tag, e->ename);

	if (e->ecode >= 0 && n >= 0 && (size_t)n < len)
		snprintf(buf + n, len - (size_t)n, " errno=%ld%s%s%s", e->ecode,
		    name ? "(" : "", name ? name : "", name ? ")" : "");
}

/* Does this text say the operation is not supported? (case-insensitive) */
static bool
says_unsupported(const char *s)
{
	static const char *const words[] = { "not supported", "not implemented",
	    "unsupported", "notsupp", "nosys", "not available", "unknown message" };
	char low[256];
	size_t i;

	for (i = 0; s[i] != '\0' && i + 1 < sizeof(low); i++)
		low[i] = (char)tolower((unsigned char)s[i]);
	low[i] = '\0';
	for (i = 0; i < sizeof(words) / sizeof(words[0]); i++)
		if (strstr(low, words[i]) != NULL)
			return true;
	return false;
}

/* EOPNOTSUPP (= ENOTSUP on Linux) and ENOSYS: the server says it lacks the operation. */
static bool
ecode_unsupported(long ecode)
{
	return ecode == EOPNOTSUPP || ecode == ENOSYS || ecode == ENOTSUP;
}

/* The last error an rpc of the runner's own (setup, fixtures) got: its
 * return value and, for a legacy Rerror, the reply as text. */
static int last_rc;
static char last_rerror[300];

/* " (ENOENT)", " (Rerror ...)" or " (-1)": an rpc result for a message. */
static const char *
rc_text(int rc, char *buf, size_t len)
{
	const char *name = rc > 0 ? p9_errno_name((uint32_t)rc) : NULL;

	if (rc == RC_RERROR || (rc > 0 && last_rc == rc && last_rerror[0] != '\0'))
		snprintf(buf, len, " (legacy %s)", last_rerror);
	else if (rc > 0)
		snprintf(buf, len, " (%d%s%s)", rc, name ? " " : "", name ? name : "");
	else
		snprintf(buf, len, " (%d)", rc);
	return buf;
}

/* Did an rpc of the runner's own fail because the server lacks the operation? */
static bool
rc_unsupported(int rc)
{
	return (rc > 0 && ecode_unsupported(rc)) ||
	    ((rc == RC_RERROR || rc > 0) && last_rerror[0] != '\0' && says_unsupported(last_rerror));
}

/* Decode a reply of the runner's own: 0 for the expected type, the ecode
 * of an Rlerror or of a 9P2000.u Rerror, RC_RERROR for a 9P2000 Rerror,
 * -1 otherwise. */
static int
decode_rpc_reply(const uint8_t *f, size_t n, uint16_t tag, uint8_t ttype, struct p9_msg *r)
{
	struct rerror e;
	int rc;

	last_rerror[0] = '\0';
	if (legacy_rerror(f, n, &e) && e.tag == tag) {
		rerror_text(&e, last_rerror, sizeof(last_rerror));
		rc = e.ecode > 0 && e.ecode < 4096 ? (int)e.ecode : RC_RERROR;
	} else if (p9_msg_decode(f, n, r) != 0 || r->tag != tag)
		rc = -1;
	else if (r->type == P9_RLERROR)
		rc = (int)r->rlerror.ecode;
	else
		rc = r->type == ttype + 1 ? 0 : -1;
	last_rc = rc;
	return rc;
}

/* --- a simple synchronous 9p client for fixtures and cleanup ---------------- */

/*
 * On lib9p's blocking client (p9c.h), with frames sent and received raw:
 * the server under test may answer in a legacy dialect (Rerror), which
 * decode_rpc_reply reads and p9c's own calls would refuse.
 */
struct adm {
	struct p9c	*p;
	uint32_t	 msize;
	uint8_t		*tbuf;
	uint8_t		*rbuf;
	uint32_t	 nextfid;
	uint32_t	 gid;
	struct p9_qid	 rootqid;
};

/* One RPC: 0 for the expected reply, the ecode for Rlerror, -1 otherwise. */
static int
adm_rpc(struct adm *a, struct p9_msg *t, struct p9_msg *r)
{
	const uint8_t *f;
	long n;

	t->tag = t->type == P9_TVERSION ? P9_NOTAG : 1;
	n = p9_msg_encode(t, a->tbuf, (size_t)a->msize + 64);
	if (n < 0 || p9c_send_raw(a->p, a->tbuf, (size_t)n) != 0)
		return -1;
	n = p9c_recv_raw(a->p, &f);
	if (n <= 0)
		return -1;
	memcpy(a->rbuf, f, (size_t)n);	/* r's views outlive the next receive */
	return decode_rpc_reply(a->rbuf, (size_t)n, t->tag, t->type, r);
}

static void
adm_close(struct adm *a)
{
	p9c_close(a->p);
	a->p = NULL;
	free(a->tbuf);
	free(a->rbuf);
	a->tbuf = a->rbuf = NULL;
}

static int
adm_open(struct adm *a, char *err, size_t errlen)
{
	char rb[320];
	struct p9_msg t = { .type = P9_TVERSION }, r;
	int rc;

	memset(a, 0, sizeof(*a));
	if ((a->p = p9c_new()) == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	if ((rc = p9c_dial(a->p, O.addr)) < 0) {
		snprintf(err, errlen, "cannot connect to %s: %s", O.addr, strerror(-rc));
		adm_close(a);
		return -1;
	}
	p9c_set_timeout(a->p, O.timeout_ms);
	/* Frames up to what this Tversion proposes, until it is answered. */
	if (p9c_set_msize(a->p, O.msize) != 0) {
		snprintf(err, errlen, "msize %u: outside what the client takes", O.msize);
		adm_close(a);
		return -1;
	}
	a->msize = O.msize;
	a->tbuf = malloc(O.msize + 64);
	a->rbuf = malloc(RAWMAX);
	a->nextfid = 100;
	if (a->tbuf == NULL || a->rbuf == NULL)
		goto fail;
	t.tversion.msize = O.msize;
	setstr(&t.tversion.version, P9_VERSION_L);
	if ((rc = adm_rpc(a, &t, &r)) != 0 || !p9_str_eq(r.rversion.version, P9_VERSION_L)) {
		snprintf(err, errlen, "fixture connection: Tversion failed%s", rc_text(rc, rb, sizeof(rb)));
		goto fail;
	}
	/* A server may not raise msize (spec 3.1); the fixtures keep to ours. */
	a->msize = r.rversion.msize < O.msize ? r.rversion.msize : O.msize;
	if (p9c_set_msize(a->p, a->msize) != 0) {
		snprintf(err, errlen, "fixture connection: Rversion msize %u: below %u, too small",
		    r.rversion.msize, P9C_MSIZE_MIN);
		goto fail;
	}
	t = (struct p9_msg){ .type = P9_TATTACH };
	t.tattach.fid = 0;
	t.tattach.afid = P9_NOFID;
	setstr(&t.tattach.uname, O.uname);
	setstr(&t.tattach.aname, O.aname);
	t.tattach.n_uname = O.n_uname;
	if ((rc = adm_rpc(a, &t, &r)) != 0) {
		snprintf(err, errlen, "fixture connection: Tattach failed%s", rc_text(rc, rb, sizeof(rb)));
		goto fail;
	}
	a->rootqid = r.rattach.qid;
	t = (struct p9_msg){ .type = P9_TGETATTR };
	t.tgetattr.fid = 0;
	t.tgetattr.request_mask = P9_GETATTR_BASIC;
	if (adm_rpc(a, &t, &r) == 0)
		a->gid = r.rgetattr.gid;
	return 0;
fail:
	if (err[0] == '\0')
		snprintf(err, errlen, "fixture connection failed");
	adm_close(a);
	return -1;
}

static int
adm_clunk(struct adm *a, uint32_t fid)
{
	struct p9_msg t = { .type = P9_TCLUNK }, r;

	t.tclunk.fid = fid;
	return adm_rpc(a, &t, &r);
}

/* Walk from fid along the first `n` elements of '/'-separated path into a new fid. */
static int
adm_walk(struct adm *a, uint32_t fid, const char *path, int skip_last, uint32_t *newfid,
    const char **last)
{
	struct p9_msg t = { .type = P9_TWALK }, r;
	char *copy = strdup(path), *save = NULL, *tok;
	int rc;

	t.twalk.fid = fid;
	t.twalk.newfid = *newfid = a->nextfid++;
	for (tok = strtok_r(copy, "/", &save); tok != NULL; tok = strtok_r(NULL, "/", &save)) {
		if (t.twalk.wname.n == P9_MAXWELEM)
			break;
		setstr(&t.twalk.wname.s[t.twalk.wname.n++], tok);
	}
	if (skip_last && t.twalk.wname.n > 0) {
		struct p9_str l = t.twalk.wname.s[--t.twalk.wname.n];

		*last = path + (l.ptr - copy);
	}
	rc = adm_rpc(a, &t, &r);
	if (rc == 0 && r.rwalk.wqid.n != t.twalk.wname.n)
		rc = ENOENT;
	free(copy);
	return rc;
}

/* Parse a data argument ("quoted", bare or fill(N)) with lib9p's text parser. */
static int
parse_data(const char *arg, struct p9_msg *m, uint8_t **scratch, char **line)
{
	const char *err;
	char *x = cf_expand(arg, &(struct cf_vars){ 0 }, false, &err);
	size_t n;

	*scratch = NULL;
	*line = NULL;
	if (x == NULL)
		return -1;
	n = strlen(x) + 64;
	*line = malloc(n);
	*scratch = malloc(n);
	if (*line == NULL || *scratch == NULL) {
		free(x);
		return -1;
	}
	snprintf(*line, n, "Twrite tag=0 fid=0 offset=0 data=%s", x[0] == '"' ? x : "\"\"");
	if (x[0] != '"') {
		/* a bare word is its own bytes */
		free(*line);
		*line = malloc(n + 2);
		if (*line == NULL) {
			free(x);
			return -1;
		}
		snprintf(*line, n + 2, "Twrite tag=0 fid=0 offset=0 data=\"%s\"", x);
	}
	free(x);
	return p9_msg_parse(*line, strlen(*line), m, *scratch, n, NULL) == 0 ? 0 : -1;
}

/* fixture KIND PATH [ARG] relative to dirfid. Returns 0 or a message in err. */
static int
make_fixture(struct adm *a, uint32_t dirfid, const char *spec, char *err, size_t errlen,
    bool *unsup)
{
	char rb[320];
	char kind[16], path[512], arg[1024] = "";
	struct p9_msg t, r;
	const char *last = NULL;
	uint32_t pfid;
	int rc, n;

	n = sscanf(spec, "%15s %511s %1023[^\n]", kind, path, arg);
	if (n < 2) {
		snprintf(err, errlen, "bad fixture line");
		return -1;
	}
	*unsup = false;
	if ((rc = adm_walk(a, dirfid, path, 1, &pfid, &last)) != 0) {
		*unsup = rc_unsupported(rc);
		snprintf(err, errlen, "fixture %.200s: walk to parent failed%.250s", path,
		    rc_text(rc, rb, sizeof(rb)));
		return -1;
	}
	if (strcmp(kind, "dir") == 0) {
		t = (struct p9_msg){ .type = P9_TMKDIR };
		t.tmkdir.dfid = pfid;
		setstr(&t.tmkdir.name, last);
		t.tmkdir.mode = n == 3 ? (uint32_t)strtoul(arg, NULL, 8) : 0755;
		t.tmkdir.gid = a->gid;
		rc = adm_rpc(a, &t, &r);
	} else if (strcmp(kind, "file") == 0) {
		struct p9_msg d;
		uint8_t *scratch;
		char *line;
		uint32_t off = 0;

		t = (struct p9_msg){ .type = P9_TLCREATE };
		t.tlcreate.fid = pfid;
		setstr(&t.tlcreate.name, last);
		t.tlcreate.flags = P9_DOTL_RDWR | P9_DOTL_CREATE;
		t.tlcreate.mode = 0644;
		t.tlcreate.gid = a->gid;
		rc = adm_rpc(a, &t, &r);
		if (rc == 0 && n == 3) {
			if (parse_data(arg, &d, &scratch, &line) != 0)
				rc = -1;
			while (rc == 0 && off < d.twrite.data.len) {
				uint32_t chunk = d.twrite.data.len - off;

				if (chunk > a->msize - 24)
					chunk = a->msize - 24;
				t = (struct p9_msg){ .type = P9_TWRITE };
				t.twrite.fid = pfid;
				t.twrite.offset = off;
				t.twrite.data = (struct p9_data){ d.twrite.data.ptr + off, chunk };
				rc = adm_rpc(a, &t, &r);
				if (rc == 0 && r.rwrite.count == 0)
					rc = EIO;
				if (rc == 0)
					off += r.rwrite.count;
			}
			free(scratch);
			free(line);
		}
	} else if (strcmp(kind, "symlink") == 0) {
		t = (struct p9_msg){ .type = P9_TSYMLINK };
		t.tsymlink.fid = pfid;
		setstr(&t.tsymlink.name, last);
		setstr(&t.tsymlink.symtgt, arg);
		t.tsymlink.gid = a->gid;
		rc = adm_rpc(a, &t, &r);
	} else {
		snprintf(err, errlen, "unknown fixture kind %s", kind);
		(void)adm_clunk(a, pfid);
		return -1;
	}
	if (rc != 0) {
		*unsup = rc_unsupported(rc);
		snprintf(err, errlen, "fixture %s %.200s failed%.250s", kind, path, rc_text(rc, rb, sizeof(rb)));
	}
	(void)adm_clunk(a, pfid);
	if (rc != 0) {
		return -1;
	}
	return 0;
}

/* Remove dirfid/name and everything below it, through 9p. */
static int
rm_tree(struct adm *a, uint32_t dirfid, const char *name, int depth)
{
	struct p9_msg t, r;
	uint32_t f, g;
	const char *last;
	bool isdir = false;
	int rc;

	if (depth > 32 || adm_walk(a, dirfid, name, 0, &f, &last) != 0)
		return -1;
	t = (struct p9_msg){ .type = P9_TGETATTR };
	t.tgetattr.fid = f;
	t.tgetattr.request_mask = P9_GETATTR_BASIC;
	if (adm_rpc(a, &t, &r) == 0)
		isdir = (r.rgetattr.mode & 0170000) == 0040000;
	if (isdir) {
		char **names = NULL;
		size_t nn = 0;
		uint64_t off = 0;

		t = (struct p9_msg){ .type = P9_TSETATTR };
		t.tsetattr.fid = f;
		t.tsetattr.valid = P9_SETATTR_MODE;
		t.tsetattr.mode = 0700;
		(void)adm_rpc(a, &t, &r);
		if (adm_walk(a, f, "", 0, &g, &last) == 0) {
			t = (struct p9_msg){ .type = P9_TLOPEN };
			t.tlopen.fid = g;
			t.tlopen.flags = P9_DOTL_RDONLY | P9_DOTL_DIRECTORY;
			rc = adm_rpc(a, &t, &r);
			for (int i = 0; rc == 0 && i < 10000; i++) {
				struct p9_dirent_iter it;
				struct p9_dirent d;
				int got = 0;

				t = (struct p9_msg){ .type = P9_TREADDIR };
				t.treaddir.fid = g;
				t.treaddir.offset = off;
				t.treaddir.count = a->msize - 24;
				if (adm_rpc(a, &t, &r) != 0)
					break;
				p9_dirent_iter_init(&it, r.rreaddir.data);
				while (p9_dirent_next(&it, &d) == 1) {
					char **p;

					got = 1;
					off = d.offset;
					if ((d.name.len == 1 && d.name.ptr[0] == '.') ||
					    (d.name.len == 2 && memcmp(d.name.ptr, "..", 2) == 0))
						continue;
					p = realloc(names, sizeof(*names) * (nn + 1));
					if (p == NULL)
						break;
					names = p;
					names[nn++] = strndup(d.name.ptr, d.name.len);
				}
				if (!got)
					break;
			}
			(void)adm_clunk(a, g);
		}
		for (size_t i = 0; i < nn; i++) {
			if (names[i] != NULL && strchr(names[i], '/') == NULL)
				(void)rm_tree(a, f, names[i], depth + 1);
			free(names[i]);
		}
		free(names);
	}
	t = (struct p9_msg){ .type = P9_TUNLINKAT };
	t.tunlinkat.dirfid = dirfid;
	setstr(&t.tunlinkat.name, name);
	t.tunlinkat.flags = isdir ? P9_AT_REMOVEDIR : 0;
	rc = adm_rpc(a, &t, &r);
	if (rc != 0) {
		/* servers without Tunlinkat: Tremove, which clunks f */
		t = (struct p9_msg){ .type = P9_TREMOVE };
		t.tremove.fid = f;
		rc = adm_rpc(a, &t, &r);
	} else {
		(void)adm_clunk(a, f);
	}
	return rc;
}

/* --- running a trace ---------------------------------------------------------------- */

struct pend {
	uint16_t	 tag;
	char		*pat;
	int		 lineno;
};

struct tconn {
	struct cf_conn	 c;
	bool		 open;
	uint32_t	 msize;
	uint8_t		*frames[64];	/* received, not yet matched (copies) */
	size_t		 flen[64];
	int		 nframes;
	struct pend	 opt[16];	/* "? R" lines waiting */
	int		 nopt;
	uint16_t	 forbidden[64];	/* tags whose reply must not come any more */
	int		 nforbidden;
	struct { uint16_t tag; uint8_t type; } sent[64];	/* last requests, by tag */
	int		 nsent;
};

/*
 * A trace's verdict: it passed; it failed; the server lacks an operation
 * the trace needs (Rlerror EOPNOTSUPP or ENOSYS, or a legacy Rerror that
 * says so, for a request of the trace or of its setup); the server died
 * during the trace (or was found gone when it started); or it did not run
 * because the server had died before and could not be restarted.
 */
enum verdict { V_PASS, V_FAIL, V_NOTIMPL, V_CRASH, V_NOTRUN };

static const char *const verdict_name[] = {
	[V_PASS] = "pass", [V_FAIL] = "fail", [V_NOTIMPL] = "not-implemented",
	[V_CRASH] = "crash", [V_NOTRUN] = "not-run",
};

/*
 * One row of a trace's exchange, side by side: the trace's line (expanded:
 * what was sent, or the reply pattern) and what went or came over the
 * wire (the reply in lib9p's text form, or what happened instead). state:
 * "sent", "ok" (matched), "differs" (where the trace failed), "extra" (a
 * reply no line expected), "not-reached" (after the failure).
 */
struct xrow {
	int		 lineno;
	int		 conn;		/* 1-based; 0: the runner itself */
	const char	*state;
	char		*exp;
	char		*got;
};

#define XTEXT_MAX	400	/* longer cells are cut, their length said */

struct result {
	bool	 	 ok;
	enum verdict	 v;		/* V_PASS while ok */
	int		 lineno;
	char		 why[1024];
	char		*expected;
	char		*received;
	struct xrow	*xr;		/* the exchange, in the order it happened */
	int		 nxr;
	int		 capxr;
};

struct run {
	const struct cf_trace	*t;
	struct tconn		 conn[CF_MAXCONN];
	struct cf_vars		 v;
	struct result		*res;
	char			 dirname[128];
	struct p9pcap		*pcap;		/* --pcap-dir: this trace's capture */
};

static bool failf(struct run *x, int lineno, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static bool notimplf(struct run *x, int lineno, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Fail with verdict not-implemented (when nothing failed before). */
static bool
notimplf(struct run *x, int lineno, const char *fmt, ...)
{
	va_list ap;

	if (!x->res->ok)
		return false;
	x->res->ok = false;
	x->res->v = V_NOTIMPL;
	x->res->lineno = lineno;
	va_start(ap, fmt);
	vsnprintf(x->res->why, sizeof(x->res->why), fmt, ap);
	va_end(ap);
	return false;
}

static bool
failf(struct run *x, int lineno, const char *fmt, ...)
{
	va_list ap;

	if (!x->res->ok)
		return false;
	x->res->ok = false;
	x->res->v = V_FAIL;
	x->res->lineno = lineno;
	va_start(ap, fmt);
	vsnprintf(x->res->why, sizeof(x->res->why), fmt, ap);
	va_end(ap);
	return false;
}

/* A copy of s cut to XTEXT_MAX bytes, tabs and newlines made spaces. */
static char *
xtext(const char *s)
{
	size_t n = s ? strlen(s) : 0, keep = n > XTEXT_MAX ? XTEXT_MAX : n;
	char *d = malloc(keep + 48);

	if (d == NULL)
		return NULL;
	for (size_t i = 0; i < keep; i++)
		d[i] = s[i] == '\t' || s[i] == '\n' || s[i] == '\r' ? ' ' : s[i];
	if (keep < n)
		snprintf(d + keep, 48, "... (%zu bytes more)", n - keep);
	else
		d[keep] = '\0';
	return d;
}

/* Add a row to the trace's exchange. */
static void
xrec(struct result *res, int lineno, int conn, const char *state, const char *exp,
    const char *got)
{
	if (res->nxr == res->capxr) {
		int cap = res->capxr ? res->capxr * 2 : 16;
		struct xrow *p = realloc(res->xr, sizeof(*p) * (size_t)cap);

		if (p == NULL)
			return;
		res->xr = p;
		res->capxr = cap;
	}
	res->xr[res->nxr++] = (struct xrow){ lineno, conn, state, xtext(exp), xtext(got) };
}

static void
xfree(struct result *res)
{
	for (int i = 0; i < res->nxr; i++) {
		free(res->xr[i].exp);
		free(res->xr[i].got);
	}
	free(res->xr);
	res->xr = NULL;
	res->nxr = res->capxr = 0;
}

/* A trace line as written (without its cN prefix); "" for T and R lines
 * whose text is given separately. */
static const char *
line_prefix(const struct cf_line *l)
{
	switch (l->op) {
	case CF_EXPECT: return l->optional ? "? " : l->or_closed ? "closed|" : "";
	case CF_RAW: return "raw ";
	case CF_CONN: return "conn ";
	case CF_FIXTURE: return "fixture ";
	case CF_READDIR_ALL: return "readdir-all ";
	default: return "";
	}
}

static void
xrec_line(struct result *res, const struct cf_line *l, const char *text, const char *state,
    const char *got)
{
	size_t n = strlen(line_prefix(l)) + strlen(text ? text : "") + 1;
	char *e = malloc(n);

	if (e != NULL)
		snprintf(e, n, "%s%s", line_prefix(l), text ? text : "");
	xrec(res, l->lineno, l->conn + 1, state, e, got);
	free(e);
}

/* A failure of the runner's own rpc: not-implemented when the server said
 * it lacks the operation. */
#define SETUP_FAIL(x, rc, ...) \
	(rc_unsupported(rc) ? notimplf((x), __VA_ARGS__) : failf((x), __VA_ARGS__))

/* Remember which request went out with a tag (for "Tx not implemented"). */
static void
note_sent(struct tconn *c, uint16_t tag, uint8_t type)
{
	for (int i = 0; i < c->nsent; i++)
		if (c->sent[i].tag == tag) {
			c->sent[i].type = type;
			return;
		}
	if (c->nsent == 64)
		memmove(&c->sent[0], &c->sent[1], sizeof(c->sent[0]) * 63), c->nsent--;
	c->sent[c->nsent].tag = tag;
	c->sent[c->nsent++].type = type;
}

/* The name of the request last sent with tag ("the request" if unknown). */
static const char *
sent_name(const struct tconn *c, uint16_t tag)
{
	for (int i = 0; i < c->nsent; i++)
		if (c->sent[i].tag == tag) {
			const char *n = p9_type_name(c->sent[i].type);

			return n != NULL ? n : "the request";
		}
	return "the request";
}

static void
tconn_close(struct tconn *c)
{
	for (int i = 0; i < c->nframes; i++)
		free(c->frames[i]);
	for (int i = 0; i < c->nopt; i++)
		free(c->opt[i].pat);
	cf_conn_close(&c->c);
	memset(c, 0, sizeof(*c));
	c->c.fd = -1;
}

static bool
send_line(struct run *x, struct tconn *c, const char *text, int lineno)
{
	const char *err = NULL;
	char *s = cf_expand(text, &x->v, false, &err);
	struct p9_msg m;
	uint8_t *scratch, *buf;
	size_t errpos = 0, cap;
	long n;
	int rc;

	if (s == NULL)
		return failf(x, lineno, "trace error: %s", err);
	scratch = malloc(strlen(s) + 1);
	rc = scratch ? p9_msg_parse(s, strlen(s), &m, scratch, strlen(s) + 1, &errpos) : -1;
	if (rc != 0) {
		failf(x, lineno, "trace error: %s at column %zu of: %.200s", p9_strerror(rc),
		    errpos, s);
		free(scratch);
		free(s);
		return false;
	}
	cap = p9_msg_size(&m) + 16;
	buf = malloc(cap);
	n = buf ? p9_msg_encode(&m, buf, cap) : -1;
	if (n < 0)
		failf(x, lineno, "trace error: cannot encode: %s", p9_strerror((int)n));
	else if (cf_send(&c->c, buf, (size_t)n) != 0)
		failf(x, lineno, "send failed: %s (the server closed the connection?)",
		    strerror(errno));
	for (int i = 0; n >= 0 && i < c->nforbidden; i++)
		if (c->forbidden[i] == m.tag)
			c->forbidden[i] = c->forbidden[--c->nforbidden];
	if (n >= 0)
		note_sent(c, m.tag, m.type);
	free(buf);
	free(scratch);
	free(s);
	return x->res->ok;
}

/* Receive one frame into c->frames. 1: got one, 0: EOF, -1: timeout, -2: bad frame. */
static int
pull(struct tconn *c, int timeout_ms)
{
	long n = cf_recv_frame(&c->c, timeout_ms, c->msize ? c->msize : RAWMAX);
	uint8_t *f;

	if (n <= 0)
		return (int)(n == 0 ? 0 : n);
	if (c->nframes == 64)
		return -2;
	f = malloc((size_t)n);
	if (f == NULL)
		return -2;
	memcpy(f, c->c.buf, (size_t)n);
	cf_consume(&c->c, (size_t)n);
	c->frames[c->nframes] = f;
	c->flen[c->nframes++] = (size_t)n;
	return 1;
}

static void
drop_frame(struct tconn *c, int i)
{
	free(c->frames[i]);
	memmove(&c->frames[i], &c->frames[i + 1], sizeof(c->frames[0]) * (size_t)(c->nframes - i - 1));
	memmove(&c->flen[i], &c->flen[i + 1], sizeof(c->flen[0]) * (size_t)(c->nframes - i - 1));
	c->nframes--;
}

static uint16_t
frame_tag(const uint8_t *f)
{
	return (uint16_t)(f[5] | f[6] << 8);
}

/* The connection's number in the trace (c1 is 1). */
#define XCONN(x, c)	((int)((c) - (x)->conn) + 1)

/* Match frame i against pattern; on failure record expected/received. */
static bool
match_frame(struct run *x, struct tconn *c, int i, const char *pat, int lineno)
{
	struct p9_msg m;
	char why[512];
	int rc = p9_msg_decode(c->frames[i], c->flen[i], &m);

	struct rerror e;
	size_t plen = strcspn(pat, " \t");

	if (rc != 0 && legacy_rerror(c->frames[i], c->flen[i], &e)) {
		char txt[300];
		const char *req = sent_name(c, e.tag);

		rerror_text(&e, txt, sizeof(txt));
		if ((e.ecode >= 0 && ecode_unsupported(e.ecode)) || says_unsupported(e.ename))
			notimplf(x, lineno, "%s not implemented: the server answered a legacy %s",
			    req, txt);
		else if (plen == 7 && strncmp(pat, "Rlerror", 7) == 0) {
			struct p9_msg l = { .type = P9_RLERROR, .tag = e.tag };
			char w2[300] = "";
			bool same = false;

			if (e.ecode >= 0) {
				l.rlerror.ecode = (uint32_t)e.ecode;
				same = cf_match(pat, &l, &x->v, w2, sizeof(w2));
			}
			failf(x, lineno, "legacy %s to %s where 9P2000.L wants Rlerror (type 7; "
			    "Rerror, type 107, is 9P2000's error reply)%s%.200s", txt, req,
			    same ? ": the errno is right, the message type is not" :
			    e.ecode >= 0 ? "; the errno differs too: " : "", same ? "" : w2);
		}
		else
			failf(x, lineno, "expected %.*s, got a legacy %s to %s (9P2000's error "
			    "reply; 9P2000.L answers errors with Rlerror)", (int)plen, pat, txt, req);
		free(x->res->expected);
		free(x->res->received);
		x->res->expected = strdup(pat);
		x->res->received = strdup(txt);
		xrec(x->res, lineno, XCONN(x, c), "differs", pat, txt);
		drop_frame(c, i);
		return false;
	}
	if (rc != 0) {
		char hex[160];
		size_t k;

		failf(x, lineno, "undecodable reply (%s), type %u, %zu bytes", p9_strerror(rc),
		    c->frames[i][4], c->flen[i]);
		k = (size_t)snprintf(hex, sizeof(hex), "undecodable frame (%s), %zu bytes:",
		    p9_strerror(rc), c->flen[i]);
		for (size_t b = 0; b < c->flen[i] && k + 4 < sizeof(hex); b++)
			k += (size_t)snprintf(hex + k, sizeof(hex) - k, " %02x", c->frames[i][b]);
		xrec(x->res, lineno, XCONN(x, c), "differs", pat, hex);
		drop_frame(c, i);
		return false;
	}
	if (!cf_match(pat, &m, &x->v, why, sizeof(why))) {
		if (m.type == P9_RLERROR && ecode_unsupported((long)m.rlerror.ecode))
			notimplf(x, lineno, "%s not implemented: Rlerror %s (%s)", sent_name(c, m.tag),
			    p9_errno_name(m.rlerror.ecode) ? p9_errno_name(m.rlerror.ecode) : "?", why);
		else
			failf(x, lineno, "%s", why);
		free(x->res->expected);
		free(x->res->received);
		x->res->expected = strdup(pat);
		x->res->received = cf_print(&m);
		xrec(x->res, lineno, XCONN(x, c), "differs", pat, x->res->received);
		drop_frame(c, i);
		return false;
	}
	{
		char *got = cf_print(&m);

		xrec(x->res, lineno, XCONN(x, c), "ok", pat, got ? got : "?");
		free(got);
	}
	drop_frame(c, i);
	return true;
}

/* Look at buffered frames: handle optional and forbidden tags. Returns false on failure. */
static bool
sweep(struct run *x, struct tconn *c)
{
	for (int i = 0; i < c->nframes;) {
		uint16_t tag = frame_tag(c->frames[i]);
		int k;

		for (k = 0; k < c->nforbidden; k++)
			if (c->forbidden[k] == tag) {
				struct p9_msg m;
				char *s = p9_msg_decode(c->frames[i], c->flen[i], &m) == 0 ?
				    cf_print(&m) : NULL;

				xrec(x->res, 0, XCONN(x, c), "differs", "(no reply: superseded)",
				    s ? s : "an undecodable frame");
				free(s);
				return failf(x, 0, "a reply with tag %u arrived after its request was "
				    "superseded (after Rflush, or after the reply that had to follow it)", tag);
			}
		for (k = 0; k < c->nopt; k++)
			if (c->opt[k].tag == tag)
				break;
		if (k < c->nopt) {
			struct pend p = c->opt[k];

			c->opt[k] = c->opt[--c->nopt];
			if (!match_frame(x, c, i, p.pat, p.lineno)) {
				free(p.pat);
				return false;
			}
			free(p.pat);
			continue;
		}
		i++;
	}
	return true;
}

static bool
expect_line(struct run *x, struct tconn *c, const struct cf_line *l)
{
	const char *err = NULL;
	char *pat = cf_expand(l->text, &x->v, true, &err);
	long tag;
	bool ok = false;

	if (pat == NULL)
		return failf(x, l->lineno, "trace error: %s", err);
	tag = cf_pattern_tag(pat);
	if (l->optional) {
		if (tag < 0 || c->nopt == 16) {
			free(pat);
			return failf(x, l->lineno, "trace error: '?' lines need a fixed tag");
		}
		c->opt[c->nopt++] = (struct pend){ (uint16_t)tag, pat, l->lineno };
		return sweep(x, c);
	}
	for (;;) {
		int i, rc;

		if (!sweep(x, c))
			goto out;
		for (i = 0; i < c->nframes; i++)
			if (tag < 0 || frame_tag(c->frames[i]) == tag)
				break;
		if (i < c->nframes) {
			ok = match_frame(x, c, i, pat, l->lineno);
			break;
		}
		rc = pull(c, O.timeout_ms);
		if (rc == 1)
			continue;
		if (rc == 0 && l->or_closed) {
			xrec_line(x->res, l, pat, "ok", "(the server closed the connection)");
			ok = true;
			break;
		}
		if (rc == 0)
			failf(x, l->lineno, "the server closed the connection");
		else if (rc == -1)
			failf(x, l->lineno, "no reply within %d ms", O.timeout_ms);
		else
			failf(x, l->lineno, "reply frame with an invalid size (larger than msize %u?)",
			    c->msize);
		{
			char got[96];

			if (rc == -1)
				snprintf(got, sizeof(got), "(no reply within %d ms)", O.timeout_ms);
			else
				snprintf(got, sizeof(got), "%s", rc == 0 ? "(the server closed the "
				    "connection)" : "(a frame with an invalid size)");
			xrec_line(x->res, l, pat, "differs", got);
		}
		free(x->res->expected);
		x->res->expected = strdup(pat);
		goto out;
	}
	/* optional replies that did not come before this one must never come */
	while (ok && c->nopt > 0 && c->nforbidden < 64) {
		c->forbidden[c->nforbidden++] = c->opt[--c->nopt].tag;
		xrec(x->res, c->opt[c->nopt].lineno, XCONN(x, c), "ok",
		    c->opt[c->nopt].pat, "(none: optional, did not come)");
		free(c->opt[c->nopt].pat);
	}
out:
	free(pat);
	return ok && x->res->ok;
}

static bool
expect_closed(struct run *x, struct tconn *c, int lineno)
{
	for (;;) {
		char got[96];
		int rc;

		if (!sweep(x, c))
			return false;
		if (c->nframes > 0) {
			char *s = NULL;
			struct p9_msg m;

			if (p9_msg_decode(c->frames[0], c->flen[0], &m) == 0)
				s = cf_print(&m);
			failf(x, lineno, "expected the connection to close, got %s", s ? s : "a frame");
			xrec(x->res, lineno, XCONN(x, c), "differs", "closed", s ? s : "a frame");
			free(s);
			return false;
		}
		rc = pull(c, O.timeout_ms);
		if (rc == 0 || rc == -2) {
			xrec(x->res, lineno, XCONN(x, c), "ok", "closed", rc == 0 ?
			    "(the server closed the connection)" :
			    "(a frame with an invalid size: the connection is unusable)");
			return true;
		}
		if (rc == -1) {
			snprintf(got, sizeof(got), "(still open after %d ms)", O.timeout_ms);
			xrec(x->res, lineno, XCONN(x, c), "differs", "closed", got);
			return failf(x, lineno, "the connection stayed open for %d ms", O.timeout_ms);
		}
	}
}

/* Runner-side RPC on a trace connection (setup, readdir-all). */
static int
conn_rpc(struct run *x, struct tconn *c, struct p9_msg *t, uint8_t **frame, struct p9_msg *r)
{
	uint8_t *buf;
	size_t cap = p9_msg_size(t) + 16;
	long n;
	int rc;

	*frame = NULL;
	buf = malloc(cap);
	n = buf ? p9_msg_encode(t, buf, cap) : -1;
	rc = n > 0 ? cf_send(&c->c, buf, (size_t)n) : -1;
	free(buf);
	if (rc != 0)
		return -1;
	for (;;) {
		int i;

		for (i = 0; i < c->nframes; i++)
			if (frame_tag(c->frames[i]) == t->tag)
				break;
		if (i < c->nframes) {
			*frame = c->frames[i];
			n = (long)c->flen[i];
			memmove(&c->frames[i], &c->frames[i + 1], sizeof(c->frames[0]) * (size_t)(c->nframes - i - 1));
			memmove(&c->flen[i], &c->flen[i + 1], sizeof(c->flen[0]) * (size_t)(c->nframes - i - 1));
			c->nframes--;
			break;
		}
		if (pull(c, O.timeout_ms) != 1)
			return -1;
	}
	(void)x;
	return decode_rpc_reply(*frame, (size_t)n, t->tag, t->type, r);
}

/* Bind NAMEqid to a qid's text and NAMEpath to its path. */
static void
bind_qid(struct run *x, const char *name, struct p9_qid q)
{
	char s[96], n[64];

	snprintf(s, sizeof(s), "(0x%x,%u,%llu)", q.type, q.version, (unsigned long long)q.path);
	snprintf(n, sizeof(n), "%sqid", name);
	cf_var_set(&x->v, n, strlen(n), s, strlen(s));
	snprintf(s, sizeof(s), "%llu", (unsigned long long)q.path);
	snprintf(n, sizeof(n), "%spath", name);
	cf_var_set(&x->v, n, strlen(n), s, strlen(s));
}

/* conn N [raw|version] [msize=N] or the implicit setup: version, attach fid 0, walk fid 1 to the trace dir. */
static bool
open_conn(struct run *x, int idx, const char *args, int lineno)
{
	char rb[320];
	struct tconn *c = &x->conn[idx];
	uint32_t msize = O.msize;
	bool raw = false, version_only = false;
	const char *p;
	struct p9_msg t, r;
	uint8_t *frame = NULL;
	int fd, rc;
	char num[32];

	if (c->open)
		tconn_close(c);
	if (args != NULL) {
		char first[16] = "";

		(void)sscanf(args, "%*d %15s", first);
		raw = strstr(args, " raw") != NULL;
		version_only = strstr(args, " version") != NULL;
		if ((p = strstr(args, "msize=")) != NULL)
			msize = (uint32_t)strtoul(p + 6, NULL, 0);
	}
	fd = cf_dial(O.addr);
	if (fd < 0)
		return failf(x, lineno, "cannot connect: %s", strerror(errno));
	cf_conn_init(&c->c, fd);
	if (x->pcap != NULL)
		cf_conn_capture(&c->c, x->pcap);
	c->open = true;
	c->msize = 0;
	if (raw)
		return true;
	t = (struct p9_msg){ .type = P9_TVERSION };
	t.tag = P9_NOTAG;
	t.tversion.msize = msize;
	setstr(&t.tversion.version, P9_VERSION_L);
	rc = conn_rpc(x, c, &t, &frame, &r);
	if (rc != 0 || !p9_str_eq(r.rversion.version, P9_VERSION_L)) {
		free(frame);
		return SETUP_FAIL(x, rc, lineno, "setup of c%d: Tversion failed%s", idx + 1,
		    rc_text(rc, rb, sizeof(rb)));
	}
	c->msize = r.rversion.msize;
	snprintf(num, sizeof(num), "%u", c->msize);
	cf_var_set(&x->v, "msize", 5, num, strlen(num));
	free(frame);
	if (version_only)
		return true;
	t = (struct p9_msg){ .type = P9_TATTACH };
	t.tag = SYNC_TAG;
	t.tattach.fid = 0;
	t.tattach.afid = P9_NOFID;
	setstr(&t.tattach.uname, O.uname);
	setstr(&t.tattach.aname, O.aname);
	t.tattach.n_uname = O.n_uname;
	rc = conn_rpc(x, c, &t, &frame, &r);
	if (rc != 0) {
		free(frame);
		return SETUP_FAIL(x, rc, lineno, "setup of c%d: Tattach failed%s", idx + 1,
		    rc_text(rc, rb, sizeof(rb)));
	}
	bind_qid(x, "root", r.rattach.qid);
	free(frame);
	t = (struct p9_msg){ .type = P9_TWALK };
	t.tag = SYNC_TAG;
	t.twalk.fid = 0;
	t.twalk.newfid = 1;
	t.twalk.wname.n = 1;
	setstr(&t.twalk.wname.s[0], x->dirname);
	rc = conn_rpc(x, c, &t, &frame, &r);
	if (rc != 0 || r.rwalk.wqid.n != 1) {
		free(frame);
		return SETUP_FAIL(x, rc, lineno, "setup of c%d: Twalk to the trace directory failed%s",
		    idx + 1, rc_text(rc, rb, sizeof(rb)));
	}
	bind_qid(x, "dir", r.rwalk.wqid.q[0]);
	free(frame);
	return true;
}

/* What a connection's setup got, for the exchange (a static buffer). */
static const char *
conn_text(struct run *x, int idx, const char *args)
{
	static char buf[400];
	const char *ms = cf_var_get(&x->v, "msize", 5), *rq = cf_var_get(&x->v, "rootqid", 7),
	    *dq = cf_var_get(&x->v, "dirqid", 6);

	if (args != NULL && strstr(args, " raw") != NULL)
		snprintf(buf, sizeof(buf), "(c%d connected, nothing sent)", idx + 1);
	else if (args != NULL && strstr(args, " version") != NULL)
		snprintf(buf, sizeof(buf), "(Rversion msize=%s)", ms ? ms : "?");
	else
		snprintf(buf, sizeof(buf), "(Rversion msize=%s; Rattach qid=%s; Rwalk wqid=[%s])",
		    ms ? ms : "?", rq ? rq : "?", dq ? dq : "?");
	return buf;
}

/* readdir-all FID COUNT [names]: Treaddir from 0 until an empty reply. */
static bool
readdir_all(struct run *x, struct tconn *c, const char *args, int lineno)
{
	char rb[320];
	uint32_t fid, count;
	char names[2048] = "", got[8192] = "";
	uint64_t off = 0;
	int nseen = 0;
	char *pat;
	bool ok = true;

	if (sscanf(args, "%u %u %2047[^\n]", &fid, &count, names) < 2)
		return failf(x, lineno, "trace error: readdir-all FID COUNT [names]");
	for (int i = 0; i < 4096; i++) {
		struct p9_msg t = { .type = P9_TREADDIR }, r;
		struct p9_dirent_iter it;
		struct p9_dirent d;
		uint8_t *frame;
		int rc, n = 0;

		t.tag = SYNC_TAG;
		t.treaddir.fid = fid;
		t.treaddir.offset = off;
		t.treaddir.count = count;
		rc = conn_rpc(x, c, &t, &frame, &r);
		if (rc != 0) {
			free(frame);
			return failf(x, lineno, "Treaddir offset=%llu count=%u failed%s",
			    (unsigned long long)off, count, rc_text(rc, rb, sizeof(rb)));
		}
		if (r.rreaddir.data.len > count) {
			free(frame);
			return failf(x, lineno, "Rreaddir count %u above the %u asked for",
			    r.rreaddir.data.len, count);
		}
		p9_dirent_iter_init(&it, r.rreaddir.data);
		while ((rc = p9_dirent_next(&it, &d)) == 1) {
			char one[300];

			n++;
			off = d.offset;
			if ((d.name.len == 1 && d.name.ptr[0] == '.') ||
			    (d.name.len == 2 && memcmp(d.name.ptr, "..", 2) == 0))
				continue;
			snprintf(one, sizeof(one), ",%.*s,", (int)d.name.len, d.name.ptr);
			if (strstr(got, one) != NULL)
				ok = failf(x, lineno, "entry %.*s listed twice (cookies not stable?)",
				    (int)d.name.len, d.name.ptr);
			if (strlen(got) + strlen(one) < sizeof(got))
				strcat(got, one + (got[0] ? 1 : 0));
			nseen++;
		}
		free(frame);
		if (rc < 0)
			return failf(x, lineno, "Rreaddir holds a truncated entry");
		if (n == 0)
			break;
	}
	if (!ok || names[0] == '\0')
		return ok;
	/* compare as a set: build an Rreaddir-free check with the dirents pattern syntax */
	pat = strdup(names);
	if (pat != NULL) {
		char *save = NULL;
		int want = 0;

		for (char *tok = strtok_r(pat + (pat[0] == '[' ? 1 : 0), ",]", &save); tok != NULL;
		    tok = strtok_r(NULL, ",]", &save)) {
			char one[300];

			snprintf(one, sizeof(one), ",%s,", tok);
			want++;
			{
				char wrapped[8200];

				snprintf(wrapped, sizeof(wrapped), ",%s,", got);
				if (strstr(wrapped, one) == NULL)
					ok = failf(x, lineno, "entry %s missing from the listing [%s]", tok, got);
			}
		}
		if (ok && want != nseen)
			ok = failf(x, lineno, "listing [%s] has %d entries, expected %d", got, nseen, want);
		free(pat);
	}
	return ok;
}

/* DIR/NAME.EXT, where NAME is the trace's name with every character
 * other than [A-Za-z0-9._-] ('/' first of all) made '_'. */
static void
trace_file(char *buf, size_t len, const char *dir, const char *trace, const char *ext)
{
	int n = snprintf(buf, len, "%s/", dir);
	size_t elen = strlen(ext) + 2;

	for (const char *p = trace; *p != '\0' && n >= 0 && (size_t)n + elen < len; p++) {
		char ch = *p;

		if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
		    (ch >= '0' && ch <= '9') || ch == '.' || ch == '_' || ch == '-'))
			ch = '_';
		buf[n++] = ch;
	}
	if (n >= 0 && (size_t)n + elen <= len)
		snprintf(buf + n, elen, ".%s", ext);
}

static void
pcap_name(char *buf, size_t len, const char *trace)
{
	trace_file(buf, len, O.pcap_dir, trace, "pcap");
}

/* --- the server under test: crashes and restarts ------------------------------ */

static pid_t srv_child = -1;	/* started by --server-cmd (leader of its group) */
static bool srv_down;		/* found gone and not (yet) back */
static char srv_down_at[300];	/* the trace at which it went */
static int nrestarts;
static int ncrashes;

/* Run --server-cmd with sh -c in a process group of its own, its stdout to
 * our stderr (stdout is TAP). */
static int
server_start(void)
{
	pid_t p = fork();

	if (p < 0)
		return -1;
	if (p == 0) {
		(void)setpgid(0, 0);
		(void)dup2(2, 1);
		signal(SIGPIPE, SIG_DFL);
		execl("/bin/sh", "sh", "-c", O.server_cmd, (char *)NULL);
		_exit(127);
	}
	(void)setpgid(p, p);
	srv_child = p;
	return 0;
}

static void
server_stop(void)
{
	int st;

	if (srv_child <= 0)
		return;
	(void)kill(-srv_child, SIGTERM);
	(void)kill(srv_child, SIGTERM);
	for (int i = 0; i < 150; i++) {	/* 15 s: ganesha takes a few to shut down */
		if (waitpid(srv_child, &st, WNOHANG) == srv_child) {
			(void)kill(-srv_child, SIGKILL);	/* whatever it left in its group */
			srv_child = -1;
			return;
		}
		nanosleep(&(struct timespec){ 0, 100000000 }, NULL);
	}
	(void)kill(-srv_child, SIGKILL);
	(void)kill(srv_child, SIGKILL);
	(void)waitpid(srv_child, &st, 0);
	srv_child = -1;
}

static void
on_signal(int sig)
{
	if (srv_child > 0) {
		(void)kill(-srv_child, SIGKILL);
		(void)kill(srv_child, SIGKILL);
	}
	_exit(128 + sig);
}

/* How a child ended, as text. */
static void
wait_text(int st, char *how, size_t len)
{
	if (WIFSIGNALED(st))
		snprintf(how, len, "killed by signal %d (%s)%s", WTERMSIG(st), strsignal(WTERMSIG(st)),
		    WCOREDUMP(st) ? ", core dumped" : "");
	else
		snprintf(how, len, "exited with status %d", WEXITSTATUS(st));
}

/* Has the server process ended (the one --server-cmd started, or the
 * --server-pid one)? Then how[] says so. */
static bool
server_process_gone(char *how, size_t len)
{
	int st;

	if (srv_child > 0 && waitpid(srv_child, &st, WNOHANG) == srv_child) {
		char w[200];

		wait_text(st, w, sizeof(w));
		snprintf(how, len, "the server process (pid %d, --server-cmd) %s", (int)srv_child, w);
		(void)kill(-srv_child, SIGKILL);
		srv_child = -1;
		return true;
	}
	if (O.server_pid > 0) {
		char path[64], stat[512] = "", *rp;
		FILE *f;

		snprintf(path, sizeof(path), "/proc/%ld/stat", O.server_pid);
		if ((f = fopen(path, "r")) != NULL) {
			if (fgets(stat, sizeof(stat), f) == NULL)
				stat[0] = '\0';
			fclose(f);
		}
		rp = strrchr(stat, ')');
		if ((kill((pid_t)O.server_pid, 0) != 0 && errno == ESRCH) ||
		    (rp != NULL && (rp[2] == 'Z' || rp[2] == 'X'))) {
			snprintf(how, len, "the server process (pid %ld, --server-pid) is gone",
			    O.server_pid);
			return true;
		}
	}
	return false;
}

/* Is the server gone? Its process (--server-cmd's child or --server-pid)
 * has ended, or connecting is refused (it was reachable before). Tries
 * for up to wait_ms: a dying process can hold its socket a while. */
static bool
server_gone(char *how, size_t len, int wait_ms)
{
	for (int waited = 0;; waited += 100) {
		int fd;

		if (server_process_gone(how, len))
			return true;
		fd = cf_dial(O.addr);
		if (fd >= 0)
			close(fd);
		else if (errno == ECONNREFUSED || errno == ENOENT || errno == ECONNRESET ||
		    errno == ECONNABORTED) {
			int err = errno;

			/* A server process we know of whose socket is gone is most
			 * likely dying: give its end a moment (up to 2 s) to show,
			 * so that the report can say how it ended. */
			for (int i = 0; (srv_child > 0 || O.server_pid > 0) && i < 40; i++) {
				if (server_process_gone(how, len))
					return true;
				nanosleep(&(struct timespec){ 0, 50000000 }, NULL);
			}
			snprintf(how, len, "connecting to %s now fails: %s", O.addr, strerror(err));
			return true;
		}
		if (waited >= wait_ms)
			return false;
		nanosleep(&(struct timespec){ 0, 100000000 }, NULL);
	}
}

/* Connect until the server answers, for up to secs seconds. 0 or -1. */
static int
server_wait(int secs, char *how, size_t len)
{
	for (int s = 0; s <= secs * 10; s++) {
		int fd = cf_dial(O.addr), st;

		if (fd >= 0) {
			close(fd);
			return 0;
		}
		snprintf(how, len, "cannot connect to %s: %s", O.addr, strerror(errno));
		if (srv_child > 0 && waitpid(srv_child, &st, WNOHANG) == srv_child) {
			char w[200];

			wait_text(st, w, sizeof(w));
			snprintf(how, len, "the server command %.150s", w);
			srv_child = -1;
			return -1;
		}
		if (s < secs * 10)
			nanosleep(&(struct timespec){ 0, 100000000 }, NULL);
	}
	return -1;
}

/* Does this failure look like the server went away (worth waiting for)? */
static bool
looks_lost(const struct result *res)
{
	return !res->ok && (strstr(res->why, "closed the connection") != NULL ||
	    strstr(res->why, "no reply within") != NULL || strstr(res->why, "cannot connect") != NULL ||
	    strstr(res->why, "send failed") != NULL || strstr(res->why, "failed (-1)") != NULL);
}

/* After a trace: if the server died, the verdict is crash (the line that
 * was running is kept) and, with --server-cmd, the server is restarted. */
static void
check_server(const struct cf_trace *t, struct result *res, bool at_start)
{
	char how[400], prev[sizeof(res->why)], w[300];

	if (!server_gone(how, sizeof(how), looks_lost(res) ? 1000 : 0))
		return;
	ncrashes++;
	snprintf(prev, sizeof(prev), "%s", res->ok ? "" : res->why);
	res->ok = false;
	res->v = V_CRASH;
	if (at_start)
		snprintf(res->why, sizeof(res->why), "the server died as this trace started "
		    "(%.300s): %.400s", prev, how);
	else
		snprintf(res->why, sizeof(res->why), "the server died during this trace: %.400s%s%.400s",
		    how, prev[0] ? "; the trace had: " : "", prev);
	snprintf(srv_down_at, sizeof(srv_down_at), "%s", t->name);
	srv_down = true;
	printf("# the server crashed at trace %s: %s\n", t->name, how);
	if (O.server_cmd == NULL)
		return;
	server_stop();
	if (server_start() == 0 && server_wait(O.wait_s > 0 ? O.wait_s : 10, w, sizeof(w)) == 0) {
		nrestarts++;
		srv_down = false;
		printf("# restarted the server (--server-cmd), restart %d\n", nrestarts);
	} else
		printf("# could not restart the server: %s\n", srv_child > 0 ? "it does not answer" : w);
	fflush(stdout);
}

static void
run_trace(const struct cf_trace *t, int index, struct result *res)
{
	char rb[320];
	struct run x = { .t = t, .res = res };
	struct adm a;
	struct p9_msg m, r;
	struct p9pcap pcap;
	char err[512] = "", pcap_path[4096];
	uint32_t dirfid;
	const char *last;
	char num[32];
	int rc;

	res->ok = true;
	for (int i = 0; i < CF_MAXCONN; i++)
		x.conn[i].c.fd = -1;
	snprintf(x.dirname, sizeof(x.dirname), "p9conform.%d.%d", (int)getpid(), index);
	if (srv_down) {
		char how[300];

		if (server_gone(how, sizeof(how), 0)) {
			res->ok = false;
			res->v = V_NOTRUN;
			res->lineno = t->lineno;
			snprintf(res->why, sizeof(res->why), "not run: the server is gone since it "
			    "crashed at trace %s%s", srv_down_at, O.server_cmd ? " (restart failed)" :
			    " (give --server-cmd to restart it)");
			return;
		}
		srv_down = false;
	}
	if (adm_open(&a, err, sizeof(err)) != 0) {
		failf(&x, t->lineno, "%s", err);
		xrec(res, t->lineno, 0, "differs", "(setup: the runner's connection: Tversion, "
		    "Tattach)", err);
		check_server(t, res, true);
		return;
	}
	m = (struct p9_msg){ .type = P9_TMKDIR };
	m.tmkdir.dfid = 0;
	setstr(&m.tmkdir.name, x.dirname);
	m.tmkdir.mode = 0777;
	m.tmkdir.gid = a.gid;
	if ((rc = adm_rpc(&a, &m, &r)) != 0) {
		SETUP_FAIL(&x, rc, t->lineno, "cannot make the trace directory %s%s", x.dirname,
		    rc_text(rc, rb, sizeof(rb)));
		xrec(res, t->lineno, 0, "differs", "(setup: Tmkdir of the trace directory)",
		    res->why);
		adm_close(&a);
		return;
	}
	cf_var_set(&x.v, "dir", 3, x.dirname, strlen(x.dirname));
	cf_var_set(&x.v, "uname", 5, O.uname, strlen(O.uname));
	cf_var_set(&x.v, "aname", 5, O.aname[0] ? O.aname : "\"\"", strlen(O.aname[0] ? O.aname : "\"\""));
	snprintf(num, sizeof(num), "%u", O.n_uname);
	cf_var_set(&x.v, "n_uname", 7, num, strlen(num));
	snprintf(num, sizeof(num), "%u", a.gid);
	cf_var_set(&x.v, "gid", 3, num, strlen(num));
	snprintf(num, sizeof(num), "%u", O.msize);
	cf_var_set(&x.v, "msize", 5, num, strlen(num));
	if (adm_walk(&a, 0, x.dirname, 0, &dirfid, &last) != 0) {
		failf(&x, t->lineno, "cannot walk to the trace directory");
		xrec(res, t->lineno, 0, "differs", "(setup: walk to the trace directory)", res->why);
	} else {
		for (int i = 0; i < t->nlines && res->ok; i++) {
			bool unsup = false;

			if (t->lines[i].op != CF_FIXTURE)
				continue;
			if (make_fixture(&a, dirfid, t->lines[i].text, err, sizeof(err), &unsup) != 0) {
				(void)(unsup ? notimplf(&x, t->lines[i].lineno, "%s", err) :
				    failf(&x, t->lines[i].lineno, "%s", err));
				xrec_line(res, &t->lines[i], t->lines[i].text, "differs", err);
			} else
				xrec_line(res, &t->lines[i], t->lines[i].text, "ok", "(made through 9p)");
		}
		(void)adm_clunk(&a, dirfid);
	}
	if (O.pcap_dir != NULL && res->ok) {
		pcap_name(pcap_path, sizeof(pcap_path), t->name);
		if (p9pcap_open(&pcap, pcap_path, 0666, P9PCAP_CLOCK_REAL, 0, false) == 0)
			x.pcap = &pcap;
		else
			fprintf(stderr, "p9conform: %s: %s\n", pcap_path, strerror(errno));
	}
	int reached = 0;

	for (int i = 0; i < t->nlines && res->ok; i++) {
		const struct cf_line *l = &t->lines[i];
		struct tconn *c = &x.conn[l->conn];

		reached = i + 1;
		if (l->op == CF_FIXTURE)
			continue;
		if (l->op == CF_CONN) {
			char args[256];

			snprintf(args, sizeof(args), "%d %s", l->conn + 1, l->text);
			if (open_conn(&x, l->conn, args, l->lineno))
				xrec_line(res, l, l->text, "ok", conn_text(&x, l->conn, args));
			else
				xrec_line(res, l, l->text, "differs", res->why);
			continue;
		}
		if (!c->open) {
			bool up = open_conn(&x, l->conn, NULL, l->lineno);

			xrec(res, l->lineno, l->conn + 1, up ? "ok" : "differs", "(connect: Tversion, "
			    "Tattach fid 0, Twalk fid 1 to $dir)", up ? conn_text(&x, l->conn, NULL) :
			    res->why);
			if (!up)
				break;
		}
		switch (l->op) {
		case CF_SEND: {
			const char *xerr = NULL;
			char *e = cf_expand(l->text, &x.v, false, &xerr);

			(void)send_line(&x, c, l->text, l->lineno);
			xrec_line(res, l, e ? e : l->text, res->ok ? "sent" : "differs",
			    res->ok ? "(sent)" : res->why);
			free(e);
			break;
		}
		case CF_EXPECT:
			(void)expect_line(&x, c, l);
			break;
		case CF_RAW: {
			uint8_t buf[8192];
			long n = cf_unhex(l->text, buf, sizeof(buf));

			if (n < 0)
				failf(&x, l->lineno, "trace error: bad hex");
			else if (cf_send(&c->c, buf, (size_t)n) != 0)
				failf(&x, l->lineno, "send failed: %s", strerror(errno));
			else if (n >= 7)
				note_sent(c, (uint16_t)(buf[5] | buf[6] << 8), buf[4]);
			if (res->ok) {
				struct p9_msg mm;
				char *s = p9_msg_decode(buf, (size_t)n, &mm) == 0 ? cf_print(&mm) : NULL;
				char got[160];

				snprintf(got, sizeof(got), "(sent %ld bytes%s%.100s)", n, s ? ": " : "",
				    s ? s : "");
				xrec_line(res, l, l->text, "sent", got);
				free(s);
			} else
				xrec_line(res, l, l->text, "differs", res->why);
			break;
		}
		case CF_CLOSED:
			(void)expect_closed(&x, c, l->lineno);
			break;
		case CF_DISCONNECT:
			tconn_close(c);
			xrec_line(res, l, l->text, "sent", "(closed our side)");
			break;
		case CF_READDIR_ALL:
			(void)readdir_all(&x, c, l->text, l->lineno);
			xrec_line(res, l, l->text, res->ok ? "ok" : "differs",
			    res->ok ? "(every Rreaddir as expected)" : res->why);
			break;
		default:
			break;
		}
	}
	/* the trace's lines after a failure: kept, so the exchange is the whole trace */
	for (int i = reached; !res->ok && i < t->nlines; i++)
		if (t->lines[i].op != CF_FIXTURE)
			xrec_line(res, &t->lines[i], t->lines[i].text, "not-reached", "");
	for (int i = 0; i < CF_MAXCONN; i++) {
		struct tconn *c = &x.conn[i];

		/* after a failure: the replies that had come and no line took */
		for (int k = 0; !res->ok && c->open && k < c->nframes; k++) {
			struct p9_msg mm;
			char *s = p9_msg_decode(c->frames[k], c->flen[k], &mm) == 0 ?
			    cf_print(&mm) : NULL;

			xrec(res, 0, i + 1, "extra", "(not matched: the trace had stopped)",
			    s ? s : "an undecodable frame");
			free(s);
		}
		if (res->ok && c->open) {
			(void)sweep(&x, c);
			if (res->ok && c->nframes > 0) {
				struct p9_msg mm;
				char *s = NULL;

				if (p9_msg_decode(c->frames[0], c->flen[0], &mm) == 0)
					s = cf_print(&mm);
				failf(&x, t->lines[t->nlines - 1].lineno,
				    "c%d: a reply no line expected: %s", i + 1, s ? s : "?");
				xrec(res, t->lines[t->nlines - 1].lineno, i + 1, "extra",
				    "(no line expects a reply)", s ? s : "an undecodable frame");
				free(s);
			}
		}
		tconn_close(c);
	}
	/* The capture of a failing trace stays (a differing
	 * implementation-defined one and a known difference too). */
	if (x.pcap != NULL) {
		if (p9pcap_close(x.pcap) != 0)
			fprintf(stderr, "p9conform: %s: write error: %s\n", pcap_path, strerror(errno));
		if (res->ok)
			(void)unlink(pcap_path);
	}
	check_server(t, res, false);
	/* cleanup through 9p; reconnect if the trace broke the fixture connection */
	if (srv_down) {
		adm_close(&a);
		cf_vars_free(&x.v);
		return;
	}
	if (rm_tree(&a, 0, x.dirname, 0) != 0) {
		adm_close(&a);
		if (adm_open(&a, err, sizeof(err)) == 0 && rm_tree(&a, 0, x.dirname, 0) != 0)
			fprintf(stderr, "p9conform: %s: could not remove %s\n", t->name, x.dirname);
	}
	adm_close(&a);
	cf_vars_free(&x.v);
	/* the cleanup's own requests can kill a server too: that is this trace's crash */
	if (res->v != V_CRASH) {
		struct result before = *res;

		res->ok = true;
		res->why[0] = '\0';
		check_server(t, res, false);
		if (res->v == V_CRASH) {
			size_t n = strlen(res->why);

			snprintf(res->why + n, sizeof(res->why) - n, " (found gone after the runner "
			    "removed the trace directory: this trace's last requests, its disconnects "
			    "or the removal's requests%s%.300s)", before.ok ? "" :
			    "; the trace had failed: ", before.ok ? "" : before.why);
		} else
			*res = before;
	}
}

/* --- output ---------------------------------------------------------------- */

static bool
selected(const struct cf_trace *t)
{
	if (O.nonly == 0)
		return true;
	for (int i = 0; i < O.nonly; i++)
		if (strcmp(O.only[i], t->name) == 0 ||
		    (O.only[i][strlen(O.only[i]) - 1] == '*' &&
		    strncmp(O.only[i], t->name, strlen(O.only[i]) - 1) == 0))
			return true;
	return false;
}

/* Names listed in a known-differences file: every "| `name` |" table row
 * (with a section: only the rows under the heading "## SECTION", up to the
 * next "## " heading). */
static char *
load_known(const char *path, const char *section)
{
	bool in = section == NULL, seen = section == NULL;
	FILE *f = fopen(path, "r");
	char line[1024];
	size_t len = 1, cap = 4096;
	char *out = malloc(cap);

	if (f == NULL || out == NULL) {
		fprintf(stderr, "p9conform: --known %s: %s\n", path, strerror(errno));
		if (f)
			fclose(f);
		free(out);
		return NULL;
	}
	strcpy(out, ",");
	while (fgets(line, sizeof(line), f) != NULL) {
		char *e;

		if (section != NULL && strncmp(line, "## ", 3) == 0) {
			size_t n = strlen(section);

			in = strncmp(line + 3, section, n) == 0 && strchr(" \t\r\n", line[3 + n]);
			seen = seen || in;
			continue;
		}
		if (!in || strncmp(line, "| `", 3) != 0 || (e = strchr(line + 3, '`')) == NULL)
			continue;
		*e = '\0';
		if (len + strlen(line + 3) + 2 > cap) {
			char *p = realloc(out, cap *= 2);

			if (p == NULL)
				break;
			out = p;
		}
		strcat(out, line + 3);
		strcat(out, ",");
		len = strlen(out);
	}
	fclose(f);
	if (!seen) {
		fprintf(stderr, "p9conform: --known %s: no heading \"## %s\" (--known-section)\n",
		    path, section);
		free(out);
		return NULL;
	}
	return out;
}

static bool
is_known(const char *known, const char *name)
{
	char key[300];

	if (known == NULL)
		return false;
	snprintf(key, sizeof(key), ",%s,", name);
	return strstr(known, key) != NULL;
}

/*
 * --exchange-dir: DIR/NAME.tsv, the trace's exchange side by side. Comment
 * lines (#) say the trace, its verdict and reason, how to run it alone;
 * then a header and one row per line of the trace or frame received:
 * line, connection, state, expected (the trace), received (the server).
 */
static int
write_exchange(const struct cf_trace *t, const struct result *res, const char *verdict)
{
	char path[4096];
	FILE *f;

	trace_file(path, sizeof(path), O.exchange_dir, t->name, "tsv");
	if ((f = fopen(path, "w")) == NULL) {
		fprintf(stderr, "p9conform: --exchange-dir: cannot write %s: %s\n", path,
		    strerror(errno));
		return -1;
	}
	fprintf(f, "# trace: %s (%s) %s:%d\n", t->name, cf_class_name(t->cls), t->file,
	    t->lineno);
	fprintf(f, "# verdict: %s at line %d: ", verdict, res->lineno);
	for (const char *p = res->why; *p != '\0'; p++)
		fputc(*p == '\t' || *p == '\n' ? ' ' : *p, f);
	fputc('\n', f);
	if (t->why != NULL)
		fprintf(f, "# spec: %s\n", t->why);
	fprintf(f, "# reproduce: p9conform -a '%s' -u '%s' -N %u -o '%s' %s %s\n", O.aname,
	    O.uname, O.n_uname, t->name, O.addr, t->file);
	fputs("line\tconn\tstate\texpected (the trace)\treceived (the server)\n", f);
	for (int i = 0; i < res->nxr; i++) {
		const struct xrow *r = &res->xr[i];

		if (r->conn > 0)
			fprintf(f, "%d\tc%d\t%s\t%s\t%s\n", r->lineno, r->conn, r->state,
			    r->exp ? r->exp : "", r->got ? r->got : "");
		else
			fprintf(f, "%d\t-\t%s\t%s\t%s\n", r->lineno, r->state,
			    r->exp ? r->exp : "", r->got ? r->got : "");
	}
	if (fclose(f) != 0) {
		fprintf(stderr, "p9conform: --exchange-dir: write error on %s: %s\n", path,
		    strerror(errno));
		return -1;
	}
	return 0;
}

/* --verbose: the exchange as two columns in the TAP diagnostics. */
static void
print_exchange(const struct result *res)
{
	int w = 20;

	for (int i = 0; i < res->nxr; i++) {
		int n = res->xr[i].exp ? (int)strlen(res->xr[i].exp) : 0;

		if (n > w)
			w = n > 60 ? 60 : n;
	}
	printf("  exchange: |\n    %-5s %-4s %-11s %-*s  %s\n", "line", "conn", "state", w,
	    "expected (the trace)", "received (the server)");
	for (int i = 0; i < res->nxr; i++) {
		const struct xrow *r = &res->xr[i];
		const char *e = r->exp ? r->exp : "", *g = r->got ? r->got : "";
		char conn[16] = "-";

		if (r->conn > 0)
			snprintf(conn, sizeof(conn), "c%d", r->conn);
		if ((int)strlen(e) > w)
			printf("    %-5d %-4s %-11s %s\n    %-5s %-4s %-11s %-*s  %s\n", r->lineno,
			    conn, r->state, e, "", "", "", w, "", g);
		else if (*g == '\0')
			printf("    %-5d %-4s %-11s %s\n", r->lineno, conn, r->state, e);
		else
			printf("    %-5d %-4s %-11s %-*s  %s\n", r->lineno, conn, r->state, w, e, g);
	}
}

static void
xml_escape(FILE *f, const char *s)
{
	for (; s && *s; s++) {
		if (*s == '<')
			fputs("&lt;", f);
		else if (*s == '>')
			fputs("&gt;", f);
		else if (*s == '&')
			fputs("&amp;", f);
		else if (*s == '"')
			fputs("&quot;", f);
		else if ((unsigned char)*s < 0x20 && *s != '\n' && *s != '\t')
			fputc('?', f);
		else
			fputc(*s, f);
	}
}

static void
usage(FILE *f)
{
	fputs("usage: p9conform [options] ADDR [TRACES...]\n"
	    "       p9conform --record OUT --listen ADDR --server ADDR [--sessions N]\n"
	    "\n"
	    "Run conformance traces against the 9P2000.L server at ADDR (HOST:PORT or\n"
	    "unix:PATH). TRACES are .trace files or directories (default: "
	    P9CONFORM_TRACES ").\n"
	    "Each trace runs in a fresh directory made through 9p under the attach root\n"
	    "and removed afterwards. Prints TAP and a closing 'N passed, N failed' line;\n"
	    "exits 0 when no must or should trace failed.\n"
	    "\n"
	    "  -a, --aname NAME      aname of every attach (default \"\")\n"
	    "  -u, --uname NAME      uname (default: the current user)\n"
	    "  -N, --n-uname N       n_uname (default: the current uid)\n"
	    "  -m, --msize N         msize proposed by each connection (default 65536)\n"
	    "  -t, --timeout MS      bound on every receive (default 5000)\n"
	    "  -o, --only NAME       run only this trace (NAME* for a prefix); repeatable\n"
	    "  -k, --known FILE      traces listed in FILE (rows \"| `name` |\") are expected\n"
	    "                        to fail: reported as TODO, not counted as failures\n"
	    "      --known-section NAME  only the rows under the heading \"## NAME\" of\n"
	    "                        --known FILE (RESULTS.md has one per server)\n"
	    "  -j, --junit FILE      also write JUnit XML to FILE\n"
	    "  -w, --wait SECONDS    retry connecting for up to SECONDS before starting\n"
	    "      --pcap-dir DIR    write DIR/NAME.pcap (made if missing; '/' in NAME\n"
	    "                        becomes '_') for every trace that fails or differs:\n"
	    "                        its connections' traffic as sent and received, a\n"
	    "                        libpcap capture for Wireshark's 9P dissector\n"
	    "      --server-cmd CMD  start the server with sh -c CMD (its own process\n"
	    "                        group; exec it so that its pid is the server's),\n"
	    "                        stop it at the end and restart it after a crash\n"
	    "      --server-pid PID  the server's pid: a crash is also its process gone\n"
	    "      --report FILE     write one line per trace to FILE: name, class,\n"
	    "                        verdict (pass, fail, not-implemented, crash,\n"
	    "                        not-run), file:line and reason, tab-separated\n"
	    "      --exchange-dir DIR  write DIR/NAME.tsv (made if missing) for every\n"
	    "                        trace that does not pass or differs: its exchange\n"
	    "                        side by side, the trace's lines and what the server\n"
	    "                        sent, tab-separated (a crash's is its reproducer)\n"
	    "      --retry N         run a trace that fails (not a crash, not known)\n"
	    "                        again, up to N times: it passes if a retry passes\n"
	    "                        (said in a # line); for servers with races\n"
	    "  -v, --verbose         show the expected and received lines of a failure\n"
	    "                        and its exchange side by side\n"
	    "  -l, --list            list the traces and exit\n"
	    "      --record OUT      proxy mode: write the sessions as a trace to OUT\n"
	    "      --listen ADDR     proxy mode: where clients connect\n"
	    "      --server ADDR     proxy mode: the server to forward to\n"
	    "      --sessions N      proxy mode: stop after N client sessions (default 1)\n"
	    "  -h, --help            this text\n"
	    "  -V, --version         print p9conform's version and exit\n", f);
}

int
main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "aname", required_argument, NULL, 'a' },
		{ "uname", required_argument, NULL, 'u' },
		{ "n-uname", required_argument, NULL, 'N' },
		{ "msize", required_argument, NULL, 'm' },
		{ "timeout", required_argument, NULL, 't' },
		{ "only", required_argument, NULL, 'o' },
		{ "known", required_argument, NULL, 'k' },
		{ "known-section", required_argument, NULL, 'K' },
		{ "junit", required_argument, NULL, 'j' },
		{ "wait", required_argument, NULL, 'w' },
		{ "pcap-dir", required_argument, NULL, 'P' },
		{ "server-cmd", required_argument, NULL, 'C' },
		{ "server-pid", required_argument, NULL, 'p' },
		{ "report", required_argument, NULL, 'r' },
		{ "exchange-dir", required_argument, NULL, 'X' },
		{ "retry", required_argument, NULL, 'Y' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "list", no_argument, NULL, 'l' },
		{ "record", required_argument, NULL, 'R' },
		{ "listen", required_argument, NULL, 'L' },
		{ "server", required_argument, NULL, 'S' },
		{ "sessions", required_argument, NULL, 'E' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	const char *record = NULL, *listen_addr = NULL, *server_addr = NULL;
	struct cf_traces ts = { 0 };
	struct passwd *pw = getpwuid(getuid());
	int opt, sessions = 1, npass = 0, nfail = 0, nknown = 0, nimpl = 0, nshouldf = 0;
	int nv[V_NOTRUN + 1] = { 0 }, nbad = 0, nretried = 0;
	FILE *report = NULL;
	bool list = false, n_uname_set = false;
	char *known = NULL;
	FILE *junit = NULL;

	O.uname = pw != NULL ? pw->pw_name : "nobody";
	while ((opt = getopt_long(argc, argv, "a:u:N:m:t:o:k:j:w:vlhV", longopts, NULL)) != -1) {
		switch (opt) {
		case 'a': O.aname = optarg; break;
		case 'u': O.uname = optarg; break;
		case 'N': O.n_uname = (uint32_t)strtoul(optarg, NULL, 0); n_uname_set = true; break;
		case 'm': O.msize = (uint32_t)strtoul(optarg, NULL, 0); break;
		case 't': O.timeout_ms = atoi(optarg); break;
		case 'o':
			if (O.nonly < 64)
				O.only[O.nonly++] = optarg;
			break;
		case 'k': O.known = optarg; break;
		case 'K': O.known_section = optarg; break;
		case 'j': O.junit = optarg; break;
		case 'w': O.wait_s = atoi(optarg); break;
		case 'P': O.pcap_dir = optarg; break;
		case 'C': O.server_cmd = optarg; break;
		case 'p': O.server_pid = strtol(optarg, NULL, 10); break;
		case 'r': O.report = optarg; break;
		case 'X': O.exchange_dir = optarg; break;
		case 'Y': O.retries = atoi(optarg); break;
		case 'v': O.verbose = true; break;
		case 'l': list = true; break;
		case 'R': record = optarg; break;
		case 'L': listen_addr = optarg; break;
		case 'S': server_addr = optarg; break;
		case 'E': sessions = atoi(optarg); break;
		case 'h': usage(stdout); return 0;
		case 'V': printf("p9conform (lib9p) %s\n", P9CONFORM_VERSION); return 0;
		default: usage(stderr); return 2;
		}
	}
	if (!n_uname_set)
		O.n_uname = (uint32_t)getuid();
	if (O.msize < 4096 || O.timeout_ms <= 0) {
		fprintf(stderr, "p9conform: --msize must be >= 4096 and --timeout > 0\n");
		return 2;
	}
	if (record != NULL) {
		if (listen_addr == NULL || server_addr == NULL) {
			usage(stderr);
			return 2;
		}
		return cf_record(record, listen_addr, server_addr, sessions) == 0 ? 0 : 1;
	}
	if (!list && optind >= argc) {
		usage(stderr);
		return 2;
	}
	if (!list)
		O.addr = argv[optind++];
	if (optind >= argc) {
		if (cf_load_path(P9CONFORM_TRACES, &ts) != 0)
			return 2;
	}
	for (; optind < argc; optind++)
		if (cf_load_path(argv[optind], &ts) != 0) {
			cf_traces_free(&ts);
			return 2;
		}
	if (list) {
		for (int i = 0; i < ts.n; i++)
			printf("%s %s\n", ts.t[i].name, cf_class_name(ts.t[i].cls));
		cf_traces_free(&ts);
		return 0;
	}
	if (O.pcap_dir != NULL && mkdir(O.pcap_dir, 0777) != 0 && errno != EEXIST) {
		fprintf(stderr, "p9conform: --pcap-dir %s: %s\n", O.pcap_dir, strerror(errno));
		cf_traces_free(&ts);
		return 2;
	}
	if (O.exchange_dir != NULL && mkdir(O.exchange_dir, 0777) != 0 && errno != EEXIST) {
		fprintf(stderr, "p9conform: --exchange-dir %s: %s\n", O.exchange_dir,
		    strerror(errno));
		cf_traces_free(&ts);
		return 2;
	}
	signal(SIGPIPE, SIG_IGN);
	if (O.server_cmd != NULL) {
		signal(SIGINT, on_signal);
		signal(SIGTERM, on_signal);
		signal(SIGHUP, on_signal);
		if (O.wait_s == 0)
			O.wait_s = 10;
		if (server_start() != 0) {
			fprintf(stderr, "p9conform: --server-cmd: %s\n", strerror(errno));
			cf_traces_free(&ts);
			return 2;
		}
	}
	{
		char how[300];

		if (server_wait(O.wait_s, how, sizeof(how)) != 0) {
			fprintf(stderr, "p9conform: %s\n", how);
			server_stop();
			cf_traces_free(&ts);
			return 2;
		}
	}
	if (O.report != NULL && (report = fopen(O.report, "w")) == NULL) {
		perror(O.report);
		server_stop();
		cf_traces_free(&ts);
		return 2;
	}
	if (O.known_section != NULL && O.known == NULL) {
		fprintf(stderr, "p9conform: --known-section needs --known FILE\n");
		server_stop();
		cf_traces_free(&ts);
		return 2;
	}
	if (O.known != NULL && (known = load_known(O.known, O.known_section)) == NULL) {
		server_stop();
		cf_traces_free(&ts);
		return 2;
	}
	if (O.junit != NULL && (junit = fopen(O.junit, "w")) == NULL) {
		perror(O.junit);
		free(known);
		cf_traces_free(&ts);
		return 2;
	}
	int nsel = 0;

	for (int i = 0; i < ts.n; i++)
		nsel += selected(&ts.t[i]);
	printf("TAP version 13\n1..%d\n", nsel);
	if (junit != NULL)
		fprintf(junit, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
		    "<testsuite name=\"p9conform\" tests=\"%d\">\n", nsel);
	for (int i = 0, k = 0; i < ts.n; i++) {
		const struct cf_trace *t = &ts.t[i];
		struct result res = { 0 };
		bool kn;

		if (!selected(t))
			continue;
		k++;
		run_trace(t, i, &res);
		kn = is_known(known, t->name);
		/* --retry: a plain failure (not a crash, not known) may be a race of the server's */
		for (int r = 1; r <= O.retries && !res.ok && res.v == V_FAIL && !kn &&
		    t->cls != CF_IMPL; r++) {
			struct result again = { 0 };

			run_trace(t, ts.n * r + i, &again);
			if (!again.ok) {
				free(again.expected);
				free(again.received);
				xfree(&again);
				continue;
			}
			printf("# %s failed, then passed on retry %d (--retry): %s\n", t->name, r,
			    res.why);
			nretried++;
			free(res.expected);
			free(res.received);
			xfree(&res);
			res = again;
		}
		nv[res.v]++;
		if (res.v == V_CRASH)
			xrec(&res, res.lineno, 0, "crash", "(the server keeps serving)", res.why);
		if (O.exchange_dir != NULL && !res.ok && res.v != V_NOTRUN)
			(void)write_exchange(t, &res, t->cls == CF_IMPL && res.v == V_FAIL ?
			    "pass (implementation-defined, differs)" : verdict_name[res.v]);
		if (report != NULL) {
			const char *base = strrchr(t->file, '/');

			/* an implementation-defined trace that differs passes, as in TAP */
			fprintf(report, "%s\t%s\t%s\t%s:%d\t", t->name, cf_class_name(t->cls),
			    verdict_name[t->cls == CF_IMPL && res.v == V_FAIL ? V_PASS : res.v],
			    base ? base + 1 : t->file, res.ok ? t->lineno : res.lineno);
			if (!res.ok && t->cls == CF_IMPL && res.v == V_FAIL)
				fputs("implementation-defined, differs: ", report);
			for (const char *p = res.ok ? "" : res.why; *p != '\0'; p++)
				fputc(*p == '\t' || *p == '\n' ? ' ' : *p, report);
			fputc('\n', report);
			fflush(report);
		}
		if (res.ok) {
			npass++;
			printf("ok %d - %s (%s)%s\n", k, t->name, cf_class_name(t->cls),
			    kn ? " # TODO listed as a known difference, but passes" : "");
		} else if (t->cls == CF_IMPL && res.v != V_CRASH) {
			npass++;
			nimpl++;
			printf("ok %d - %s (%s) # SKIP differs: %s\n", k, t->name,
			    cf_class_name(t->cls), res.why);
		} else if (kn) {
			nknown++;
			printf("not ok %d - %s (%s) # TODO known difference: %s%s%s\n", k, t->name,
			    cf_class_name(t->cls), res.v != V_FAIL ? verdict_name[res.v] : "",
			    res.v != V_FAIL ? ": " : "", res.why);
		} else if (res.v == V_NOTIMPL) {
			nbad += t->cls != CF_IMPL;
			printf("ok %d - %s (%s) # SKIP not implemented: %s\n", k, t->name,
			    cf_class_name(t->cls), res.why);
		} else {
			nfail++;
			nbad++;
			nshouldf += t->cls == CF_SHOULD;
			printf("not ok %d - %s (%s)%s%s\n", k, t->name, cf_class_name(t->cls),
			    res.v == V_CRASH ? " - the server crashed" : "",
			    res.v == V_NOTRUN ? " - not run" : "");
			printf("  ---\n  verdict: %s\n  at: %s:%d\n  why: %s\n", verdict_name[res.v],
			    t->file, res.lineno, res.why);
			if (t->why)
				printf("  spec: %s\n", t->why);
			if (O.verbose) {
				printf("  expected: %s\n", res.expected ? res.expected : "-");
				printf("  received: %.2000s\n", res.received ? res.received : "-");
				print_exchange(&res);
			}
			printf("  ...\n");
		}
		if (junit != NULL) {
			fprintf(junit, "  <testcase classname=\"%s\" name=\"", cf_class_name(t->cls));
			xml_escape(junit, t->name);
			fputs("\">", junit);
			if (!res.ok && ((t->cls == CF_IMPL && res.v != V_CRASH) || kn ||
			    res.v == V_NOTIMPL)) {
				fputs("<skipped message=\"", junit);
				xml_escape(junit, res.why);
				fputs("\"/>", junit);
			} else if (!res.ok) {
				fputs("<failure message=\"", junit);
				xml_escape(junit, res.why);
				fputs("\">expected: ", junit);
				xml_escape(junit, res.expected);
				fputs("\nreceived: ", junit);
				xml_escape(junit, res.received);
				fputs("</failure>", junit);
			}
			fputs("</testcase>\n", junit);
		}
		fflush(stdout);
		free(res.expected);
		free(res.received);
		xfree(&res);
	}
	if (junit != NULL) {
		fputs("</testsuite>\n", junit);
		fclose(junit);
	}
	server_stop();
	if (report != NULL)
		fclose(report);
	printf("# %d must and %d should traces failed; %d implementation-defined traces differ;"
	    " %d known differences\n", nfail - nshouldf, nshouldf, nimpl, nknown);
	printf("# verdicts: %d pass, %d fail, %d not-implemented, %d crash, %d not-run;"
	    " server crashes %d, restarts %d\n", nv[V_PASS], nv[V_FAIL], nv[V_NOTIMPL],
	    nv[V_CRASH], nv[V_NOTRUN], ncrashes, nrestarts);
	if (nretried > 0)
		printf("# %d traces failed, then passed on a retry (--retry)\n", nretried);
	if (nv[V_NOTIMPL] > 0)
		printf("%d passed, %d failed, %d skipped\n", npass, nfail, nv[V_NOTIMPL]);
	else
		printf("%d passed, %d failed\n", npass, nfail);
	free(known);
	cf_traces_free(&ts);
	return nbad == 0 ? 0 : 1;
}
