/*
 * gen_seeds: the seed corpus of every harness, generated from real
 * message sequences: the hand-written golden vectors of
 * lib9p/tests/golden.h (decode, text, frame, dirent, client) and
 * sessions written in the server harness's op language (server).
 *
 * Writes OUTDIR/<harness>/<label> for every seed; fuzz/gen_corpus.sh
 * copies them into corpus/<harness>/ named by the sha256 of their content.
 *
 * With a directory of conformance traces (conformance/traces), every
 * trace also becomes seeds: its requests (and its replies and raw frames
 * where they are concrete) one frame each for decode, its request lines
 * for text, each file's frames as one stream for frame, and the whole
 * trace as an op-language session for server.
 *
 * The op-language seeds are produced by the inverse of fill.h ("unfill"):
 * a message's fields become the selector bytes that fill.h turns back
 * into those very fields, so a seed is a readable list of messages here.
 *
 * usage: gen_seeds OUTDIR [TRACEDIR]
 */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "conform.h"
#include "fill.h"
#include "golden.h"
#include "p9.h"
#include "p9_client.h"
#include "server_names.h"

struct wbuf {
	uint8_t	 b[1 << 17];
	size_t	 n;
};

static const char *outdir;
static unsigned nwritten;

static void
put8(struct wbuf *w, uint8_t v)
{
	if (w->n < sizeof(w->b))
		w->b[w->n++] = v;
}

static void
putle(struct wbuf *w, uint64_t v, unsigned width)
{
	unsigned i;

	for (i = 0; i < width; i++)
		put8(w, (uint8_t)(v >> (8 * i)));
}

static void
putmem(struct wbuf *w, const void *p, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		put8(w, ((const uint8_t *)p)[i]);
}

static void
save(const char *harness, const char *label, const void *p, size_t n)
{
	char path[4096];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", outdir, harness);
	if (mkdir(path, 0755) != 0 && errno != EEXIST) {
		perror(path);
		exit(1);
	}
	snprintf(path, sizeof(path), "%s/%s/%s", outdir, harness, label);
	f = fopen(path, "wb");
	if (f == NULL || fwrite(p, 1, n, f) != n || fclose(f) != 0) {
		perror(path);
		exit(1);
	}
	nwritten++;
}

/* ---- unfill: fields -> the selector bytes fill.h reads back ---- */

struct names {
	const char *const *v;
	unsigned n;
};

static void
un_int(struct wbuf *w, uint64_t v, unsigned width)
{
	if (v < 0x40) {
		put8(w, (uint8_t)(0x40 + v));
	} else {
		put8(w, 0x80);
		putle(w, v, width);
	}
}

static void
un_str(struct wbuf *w, const struct names *nm, struct p9_str s)
{
	unsigned i;

	for (i = 0; i < nm->n && i < 0xc0; i++) {
		if (nm->v[i] != NULL && strlen(nm->v[i]) == s.len &&
		    memcmp(nm->v[i], s.ptr, s.len) == 0) {
			put8(w, (uint8_t)i);
			return;
		}
	}
	put8(w, 0xc0);
	put8(w, (uint8_t)(s.len < 64 ? s.len : 63));
	putmem(w, s.ptr, s.len < 64 ? s.len : 63);
}

#define UN_INT(kind, T, width) \
	static void un_##kind(struct wbuf *w, const struct names *nm, const char *name, const T *v) \
	{ (void)nm; (void)name; un_int(w, *v, width); }
UN_INT(u8, uint8_t, 1)
UN_INT(u16, uint16_t, 2)
UN_INT(u64, uint64_t, 8)
UN_INT(x32, uint32_t, 4)
UN_INT(x64, uint64_t, 8)
UN_INT(o32, uint32_t, 4)
UN_INT(opt32, uint32_t, 4)

UN_INT(u32, uint32_t, 4)

/* The inverse of fz_fill_fid. */
static void
un_fid(struct wbuf *w, const struct names *nm, const char *name, const uint32_t *v)
{
	(void)nm; (void)name;
	if (*v == P9_NOFID) {
		put8(w, 0xff);
	} else if (*v < 8) {
		put8(w, (uint8_t)*v);
	} else {
		put8(w, 0xfe);
		putle(w, *v, 4);
	}
}

static void
un_str_f(struct wbuf *w, const struct names *nm, const char *name, const struct p9_str *v)
{
	(void)name;
	un_str(w, nm, *v);
}

static void
un_qid(struct wbuf *w, const struct names *nm, const char *name, const struct p9_qid *v)
{
	(void)nm; (void)name;
	un_int(w, v->type, 1);
	un_int(w, v->version, 4);
	un_int(w, v->path, 8);
}

static void
un_data(struct wbuf *w, const struct names *nm, const char *name, const struct p9_data *v)
{
	uint32_t len = v->len < 65535 ? v->len : 65535;

	(void)nm; (void)name;
	if (len < 0xff) {
		put8(w, (uint8_t)len);
	} else {
		put8(w, 0xff);
		putle(w, len, 2);
	}
	putmem(w, v->ptr, len);
}

static void
un_strs(struct wbuf *w, const struct names *nm, const char *name, const struct p9_strs *v)
{
	unsigned i, n = v->n == 16 ? 16 : v->n < 5 ? v->n : 4;

	(void)name;
	put8(w, n == 16 ? 0xff : (uint8_t)n);
	for (i = 0; i < n; i++)
		un_str(w, nm, v->s[i]);
}

static void
un_qids(struct wbuf *w, const struct names *nm, const char *name, const struct p9_qids *v)
{
	unsigned i, n = v->n == 16 ? 16 : v->n < 5 ? v->n : 4;

	put8(w, n == 16 ? 0xff : (uint8_t)n);
	for (i = 0; i < n; i++)
		un_qid(w, nm, name, &v->q[i]);
}

#define un_str	un_str_f
static void
unfill(struct wbuf *w, const struct names *nm, const struct p9_msg *m)
{
	switch (m->type) {
#define F(kind, name)	un_##kind(w, nm, #name, &x->name);
#define P9_PAIR(UP, lo, num, tf, rf) \
	case P9_T##UP: { const struct p9_t##lo *x = &m->t##lo; (void)x; tf } break; \
	case P9_R##UP: { const struct p9_r##lo *x = &m->r##lo; (void)x; rf } break;
#define P9_RONLY(UP, lo, num, rf) \
	case P9_R##UP: { const struct p9_r##lo *x = &m->r##lo; (void)x; rf } break;
#include "p9_msgs.def"
#undef P9_PAIR
#undef P9_RONLY
#undef F
	default:
		break;
	}
}
#undef un_str

static uint8_t
tindex(uint8_t type)
{
	size_t i;

	for (i = 0; i < FZ_NTTYPES; i++)
		if (fz_ttypes[i] == type)
			return (uint8_t)i;
	abort();
}

static uint8_t
rindex_of(uint8_t type)
{
	size_t i;

	for (i = 0; i < FZ_NRTYPES; i++)
		if (fz_rtypes[i] == type)
			return (uint8_t)i;
	abort();
}

/* ---- codec harnesses: the golden vectors ---- */

static void
codec_seeds(void)
{
	static uint8_t cat[1 << 17];
	size_t i, n = 0;

	for (i = 0; i < NGOLDEN; i++) {
		const struct golden *g = &golden[i];
		char line[70000];
		long len;

		save("decode", g->name, g->bytes, g->len);
		len = p9_msg_print(&g->m, line, sizeof(line));
		if (len > 0 && (size_t)len < sizeof(line))
			save("text", g->name, line, (size_t)len);
		if (g->len <= 8192 && n + g->len <= sizeof(cat)) {
			memcpy(cat + n, g->bytes, g->len);
			n += g->len;
		}
	}
	/* The frame harness: [msize selector][chunk seed] stream. */
	{
		static uint8_t buf[sizeof(cat) + 2];
		unsigned seed;

		for (seed = 0; seed < 4; seed++) {
			char label[32];

			buf[0] = 7;	/* msize 8192 */
			buf[1] = (uint8_t)(seed * 61);
			memcpy(buf + 2, cat, n);
			snprintf(label, sizeof(label), "golden_stream_%u", seed);
			save("frame", label, buf, n + 2);
		}
		buf[0] = 4;	/* msize 11: most frames too big */
		buf[1] = 9;
		memcpy(buf + 2, cat, 200);
		save("frame", "small_msize", buf, 202);
		buf[0] = 7;
		buf[1] = 3;
		memcpy(buf + 2, cat, 101);	/* ends inside a frame */
		save("frame", "tail", buf, 103);
	}
	/* The dirent harness: packed entries, and the golden Rreaddir's. */
	{
		static const char *const dn[] = { ".", "..", "a", "some dir", "x" };
		uint8_t pay[512];
		uint32_t used = 0;

		for (i = 0; i < 5; i++) {
			struct p9_dirent d = {
				.qid = { (uint8_t)(i < 2 || i == 3 ? P9_QTDIR : 0), (uint32_t)i, 100 + i },
				.offset = i + 1, .type = (uint8_t)(i < 2 || i == 3 ? 4 : 8),
			};

			if (p9_str_set(&d.name, dn[i]) != 0 || p9_dirent_put(pay, sizeof(pay), &used, &d) != 0)
				abort();
		}
		save("dirent", "five", pay, used);
		save("dirent", "cut", pay, used - 3);
		for (i = 0; i < NGOLDEN; i++)
			if (golden[i].m.type == P9_RREADDIR)
				save("dirent", golden[i].name, golden[i].m.rreaddir.data.ptr,
				    golden[i].m.rreaddir.data.len);
	}
}

/* ---- client harness ---- */

static void
client_seeds(void)
{
	static const char *const cn[] = { "a", "b", "9P2000.L", "", "..", "x y" };
	const struct names nm = { cn, 6 };
	struct wbuf *w = calloc(1, sizeof(*w));
	size_t i;

	if (w == NULL)
		abort();
	/* For every T golden: request it, then its golden reply, built. */
	for (i = 0; i < NGOLDEN; i++) {
		const struct golden *g = &golden[i], *rg = NULL;
		struct p9_msg t = g->m;
		size_t j;

		if ((g->m.type & 1) != 0)
			continue;
		for (j = 0; j < NGOLDEN; j++)
			if (golden[j].m.type == g->m.type + 1)
				rg = &golden[j];
		if (t.type == P9_TWALK && t.twalk.wname.n > 4)
			continue;
		w->n = 0;
		put8(w, 3);		/* 4 slots */
		put8(w, 1);		/* msize 8192 */
		put8(w, 0);		/* request */
		put8(w, tindex(t.type));
		unfill(w, &nm, &t);
		if (rg != NULL) {
			put8(w, 3);	/* built reply */
			put8(w, 0);	/* to the first outstanding request */
			put8(w, 2);	/* of the right type */
			unfill(w, &nm, &rg->m);
		}
		put8(w, 3);		/* and an Rlerror to nothing */
		put8(w, 0);
		put8(w, 0);
		put8(w, 0x45);
		save("client", g->name, w->b, w->n);
	}
	/* A flush race: Tread, Tflush of it, Rflush, then the late Rread. */
	{
		struct p9_msg m = { .type = P9_TREAD };

		w->n = 0;
		put8(w, 3);
		put8(w, 1);
		m.tread.fid = 1;
		m.tread.count = 100;
		put8(w, 0);
		put8(w, tindex(P9_TREAD));
		unfill(w, &nm, &m);
		m = (struct p9_msg){ .type = P9_TFLUSH };
		m.tflush.oldtag = 0;
		put8(w, 0);
		put8(w, tindex(P9_TFLUSH));
		unfill(w, &nm, &m);
		put8(w, 3);
		put8(w, 1);	/* the second outstanding: the Tflush */
		put8(w, 2);
		m = (struct p9_msg){ .type = P9_RFLUSH };
		unfill(w, &nm, &m);
		put8(w, 3);
		put8(w, 0xf0);	/* raw tag 0 */
		putle(w, 0, 2);
		put8(w, 1);
		put8(w, rindex_of(P9_RREAD));
		m = (struct p9_msg){ .type = P9_RREAD };
		unfill(w, &nm, &m);
		save("client", "flush_race", w->b, w->n);
	}
	/* Raw golden replies to a client with one request out. */
	w->n = 0;
	put8(w, 15);
	put8(w, 5);
	put8(w, 0);
	put8(w, tindex(P9_TVERSION));
	{
		struct p9_msg m = { .type = P9_TVERSION };

		m.tversion.msize = 65536;
		m.tversion.version = (struct p9_str){ "9P2000.L", 8 };
		unfill(w, &nm, &m);
	}
	for (i = 0; i < NGOLDEN; i++) {
		if ((golden[i].m.type & 1) == 0 || golden[i].len > 255)
			continue;
		put8(w, 7);
		put8(w, (uint8_t)golden[i].len);
		putmem(w, golden[i].bytes, golden[i].len);
	}
	save("client", "raw_replies", w->b, w->n);
	free(w);
}

/* ---- server harness: sessions in the op language ---- */

static const char *const sn[] = {
#define X(id, s)	s,
	FZ_SERVER_NAMES(X)
#undef X
};
static const struct names snm = { sn, FZN_COUNT };
static struct wbuf sw;

static struct p9_str
S(const char *s)
{
	struct p9_str v = { s, (uint16_t)strlen(s) };

	return v;
}

/* One request, then wait for its reply (workers run pipelined requests
 * in any order: a seed should mean one thing). */
static bool pipelined;

static void
op(struct p9_msg m)
{
	put8(&sw, tindex(m.type));
	unfill(&sw, &snm, &m);
	if (!pipelined)
		put8(&sw, FZ_OP_SYNC);
}

static void
sync_op(void)
{
	put8(&sw, FZ_OP_SYNC);
}

static void
walk(uint32_t fid, uint32_t newfid, unsigned n, const char *a, const char *b)
{
	struct p9_msg m = { .type = P9_TWALK };

	m.twalk.fid = fid;
	m.twalk.newfid = newfid;
	m.twalk.wname.n = (uint16_t)n;
	if (n > 0)
		m.twalk.wname.s[0] = S(a);
	if (n > 1)
		m.twalk.wname.s[1] = S(b);
	op(m);
}

#define MSG(T, ...)	((struct p9_msg){ .type = P9_##T, __VA_ARGS__ })

static void
server_save(const char *label)
{
	save("server", label, sw.b, sw.n);
	sw.n = 0;
}

static void
server_seeds(void)
{
	static const uint8_t hi[] = "hi there\n";
	size_t i;

	/* Read a file. */
	walk(0, 1, 2, "d", "f");
	op(MSG(TLOPEN, .tlopen = { .fid = 1, .flags = P9_DOTL_RDONLY }));
	op(MSG(TREAD, .tread = { .fid = 1, .offset = 0, .count = 100 }));
	op(MSG(TGETATTR, .tgetattr = { .fid = 1, .request_mask = P9_GETATTR_ALL }));
	op(MSG(TCLUNK, .tclunk = { .fid = 1 }));
	server_save("read_file");

	/* Create, write, sync, truncate, remove. */
	walk(0, 1, 0, NULL, NULL);
	op(MSG(TLCREATE, .tlcreate = { .fid = 1, .name = S("new"),
	    .flags = P9_DOTL_RDWR | P9_DOTL_CREATE, .mode = 0644 }));
	op(MSG(TWRITE, .twrite = { .fid = 1, .data = { hi, sizeof(hi) - 1 } }));
	op(MSG(TFSYNC, .tfsync = { .fid = 1, .datasync = 1 }));
	op(MSG(TSETATTR, .tsetattr = { .fid = 1, .valid = P9_SETATTR_SIZE | P9_SETATTR_MODE,
	    .mode = 0600, .size = 3 }));
	op(MSG(TREAD, .tread = { .fid = 1, .count = 50 }));
	op(MSG(TREMOVE, .tremove = { .fid = 1 }));
	server_save("create_write_remove");

	/* Directories: mkdir, readdir, unlinkat. */
	op(MSG(TMKDIR, .tmkdir = { .dfid = 0, .name = S("x"), .mode = 0755 }));
	walk(0, 2, 0, NULL, NULL);
	op(MSG(TLOPEN, .tlopen = { .fid = 2, .flags = P9_DOTL_RDONLY | P9_DOTL_DIRECTORY }));
	op(MSG(TREADDIR, .treaddir = { .fid = 2, .offset = 0, .count = 4096 }));
	op(MSG(TREADDIR, .treaddir = { .fid = 2, .offset = 3, .count = 40 }));
	op(MSG(TUNLINKAT, .tunlinkat = { .dirfid = 0, .name = S("x"), .flags = P9_AT_REMOVEDIR }));
	op(MSG(TSTATFS, .tstatfs = { .fid = 0 }));
	server_save("dirs");

	/* Names: symlink, readlink, link, rename, renameat, mknod. */
	op(MSG(TSYMLINK, .tsymlink = { .fid = 0, .name = S("x"), .symtgt = S("../outside/secret") }));
	walk(0, 3, 1, "x", NULL);
	op(MSG(TREADLINK, .treadlink = { .fid = 3 }));
	walk(0, 4, 1, "a", NULL);
	op(MSG(TLINK, .tlink = { .dfid = 0, .fid = 4, .name = S("new") }));
	walk(0, 5, 1, "d", NULL);
	op(MSG(TRENAME, .trename = { .fid = 4, .dfid = 5, .name = S("e") }));
	op(MSG(TRENAMEAT, .trenameat = { .olddirfid = 0, .oldname = S("new"), .newdirfid = 5,
	    .newname = S("x") }));
	op(MSG(TMKNOD, .tmknod = { .dfid = 0, .name = S("f"), .mode = 010644 }));
	walk(0, 6, 1, "f", NULL);
	op(MSG(TLOPEN, .tlopen = { .fid = 6, .flags = P9_DOTL_RDONLY }));
	server_save("names");

	/* Extended attributes. */
	walk(0, 1, 1, "a", NULL);
	op(MSG(TXATTRCREATE, .txattrcreate = { .fid = 1, .name = S("user.x"), .attr_size = 9 }));
	op(MSG(TWRITE, .twrite = { .fid = 1, .data = { hi, 9 } }));
	op(MSG(TCLUNK, .tclunk = { .fid = 1 }));
	sync_op();
	walk(0, 1, 1, "a", NULL);
	op(MSG(TXATTRWALK, .txattrwalk = { .fid = 1, .newfid = 2, .name = S("user.x") }));
	op(MSG(TREAD, .tread = { .fid = 2, .count = 100 }));
	op(MSG(TXATTRWALK, .txattrwalk = { .fid = 1, .newfid = 3, .name = S("") }));
	op(MSG(TREAD, .tread = { .fid = 3, .count = 100 }));
	server_save("xattr");

	/* Locks and a pipelined flush. */
	walk(0, 1, 1, "a", NULL);
	op(MSG(TLOPEN, .tlopen = { .fid = 1, .flags = P9_DOTL_RDWR }));
	op(MSG(TLOCK, .tlock = { .fid = 1, .type = P9_LOCK_TYPE_WRLCK, .length = 10,
	    .proc_id = 7, .client_id = S("x") }));
	walk(0, 2, 1, "a", NULL);
	op(MSG(TLOPEN, .tlopen = { .fid = 2, .flags = P9_DOTL_RDWR }));
	op(MSG(TGETLOCK, .tgetlock = { .fid = 2, .type = P9_LOCK_TYPE_WRLCK, .length = 5,
	    .proc_id = 8, .client_id = S("new") }));
	pipelined = true;
	op(MSG(TREAD, .tread = { .fid = 1, .count = 64 }));
	op(MSG(TFLUSH, .tflush = { .oldtag = 0 }));
	pipelined = false;
	op(MSG(TLOCK, .tlock = { .fid = 1, .type = P9_LOCK_TYPE_UNLCK, .proc_id = 7,
	    .client_id = S("x") }));
	server_save("locks_flush");

	/* The ways out that must stay shut. */
	walk(0, 1, 2, "..", "..");
	walk(0, 2, 1, "l", NULL);
	op(MSG(TLOPEN, .tlopen = { .fid = 2, .flags = P9_DOTL_RDONLY }));
	walk(0, 3, 2, "l", "secret");
	walk(0, 4, 1, "abs", NULL);
	op(MSG(TREADLINK, .treadlink = { .fid = 4 }));
	op(MSG(TLCREATE, .tlcreate = { .fid = 4, .name = S("x"), .flags = P9_DOTL_RDWR, .mode = 0644 }));
	op(MSG(TSETATTR, .tsetattr = { .fid = 4, .valid = P9_SETATTR_MODE, .mode = 0777 }));
	op(MSG(TMKDIR, .tmkdir = { .dfid = 1, .name = S(".."), .mode = 0755 }));
	op(MSG(TUNLINKAT, .tunlinkat = { .dirfid = 1, .name = S(".."), .flags = P9_AT_REMOVEDIR }));
	op(MSG(TRENAMEAT, .trenameat = { .olddirfid = 0, .oldname = S("a"), .newdirfid = 1,
	    .newname = S("../outside") }));
	server_save("escapes");

	/* Session: re-version, attach again, auth, a second attach. */
	op(MSG(TVERSION, .tversion = { .msize = 8192, .version = S("9P2000.L") }));
	op(MSG(TATTACH, .tattach = { .fid = 1, .afid = P9_NOFID, .uname = S("nobody"),
	    .aname = S(""), .n_uname = 65534 }));
	op(MSG(TAUTH, .tauth = { .afid = 2, .uname = S("root"), .aname = S(""), .n_uname = 0 }));
	op(MSG(TATTACH, .tattach = { .fid = 3, .afid = P9_NOFID, .uname = S("root"),
	    .aname = S("/"), .n_uname = P9_NONUNAME }));
	op(MSG(TGETATTR, .tgetattr = { .fid = 1, .request_mask = P9_GETATTR_BASIC }));
	server_save("session");

	/* Replies bigger than the socket holds: a 1 MiB sparse file read
	 * 64 KiB at a time, 11 requests pipelined and unread (the server's
	 * output queue), then one 64 KiB write. */
	{
		static uint8_t big[65000];

		walk(0, 1, 1, "a", NULL);
		op(MSG(TSETATTR, .tsetattr = { .fid = 1, .valid = P9_SETATTR_SIZE, .size = 0x100000 }));
		op(MSG(TLOPEN, .tlopen = { .fid = 1, .flags = P9_DOTL_RDWR }));
		pipelined = true;
		for (i = 0; i < 11; i++)
			op(MSG(TREAD, .tread = { .fid = 1, .offset = i * 65536, .count = 65536 }));
		pipelined = false;
		sync_op();
		memset(big, 'b', sizeof(big));
		op(MSG(TWRITE, .twrite = { .fid = 1, .offset = 4096, .data = { big, sizeof(big) } }));
		server_save("big_replies");
	}

	/* Byte-range locks: split a lock by unlocking its middle, ask who
	 * holds what through a second open, conflict and share. */
	walk(0, 1, 1, "a", NULL);
	op(MSG(TLOPEN, .tlopen = { .fid = 1, .flags = P9_DOTL_RDWR }));
	walk(0, 2, 1, "a", NULL);
	op(MSG(TLOPEN, .tlopen = { .fid = 2, .flags = P9_DOTL_RDWR }));
	op(MSG(TLOCK, .tlock = { .fid = 1, .type = P9_LOCK_TYPE_WRLCK, .start = 0, .length = 100,
	    .proc_id = 7, .client_id = S("x") }));
	op(MSG(TLOCK, .tlock = { .fid = 1, .type = P9_LOCK_TYPE_UNLCK, .start = 10, .length = 10,
	    .proc_id = 7, .client_id = S("x") }));
	op(MSG(TGETLOCK, .tgetlock = { .fid = 2, .type = P9_LOCK_TYPE_WRLCK, .start = 0, .length = 0,
	    .proc_id = 8, .client_id = S("new") }));
	op(MSG(TGETLOCK, .tgetlock = { .fid = 2, .type = P9_LOCK_TYPE_RDLCK, .start = 50, .length = 1,
	    .proc_id = 8, .client_id = S("new") }));
	op(MSG(TLOCK, .tlock = { .fid = 2, .type = P9_LOCK_TYPE_RDLCK, .start = 12, .length = 3,
	    .proc_id = 8, .client_id = S("new") }));
	op(MSG(TLOCK, .tlock = { .fid = 1, .type = P9_LOCK_TYPE_WRLCK, .start = 0, .length = 0,
	    .proc_id = 7, .client_id = S("x") }));
	op(MSG(TGETLOCK, .tgetlock = { .fid = 1, .type = P9_LOCK_TYPE_WRLCK, .start = 11, .length = 2,
	    .proc_id = 7, .client_id = S("x") }));
	op(MSG(TCLUNK, .tclunk = { .fid = 2 }));
	op(MSG(TGETLOCK, .tgetlock = { .fid = 1, .type = P9_LOCK_TYPE_UNLCK, .start = 0, .length = 0,
	    .proc_id = 7, .client_id = S("x") }));
	server_save("lock_ranges");

	/* Extended attributes of a symlink (by its name in its parent),
	 * and of a walk through "..". */
	walk(0, 1, 1, "l", NULL);
	op(MSG(TXATTRWALK, .txattrwalk = { .fid = 1, .newfid = 2, .name = S("") }));
	op(MSG(TXATTRCREATE, .txattrcreate = { .fid = 1, .name = S("trusted.x"), .attr_size = 2 }));
	op(MSG(TWRITE, .twrite = { .fid = 1, .data = { hi, 2 } }));
	op(MSG(TCLUNK, .tclunk = { .fid = 1 }));
	walk(0, 3, 2, "d", "..");
	op(MSG(TXATTRWALK, .txattrwalk = { .fid = 3, .newfid = 4, .name = S("user.x") }));
	server_save("xattr_links");

	/* Raw: every golden T-message as a frame of its own. */
	for (i = 0; i < NGOLDEN; i++) {
		const struct golden *g = &golden[i];

		if ((g->m.type & 1) != 0 || g->len - 4 > 255)
			continue;
		put8(&sw, FZ_OP_RAWFRAME);
		put8(&sw, (uint8_t)(g->len - 4));
		putmem(&sw, g->bytes + 4, g->len - 4);
	}
	server_save("raw_golden");
}

/* ---- seeds from the conformance traces ---- */

/* A trace line with the runner's variables given fixed values (the
 * harness's own: uid 0 as root, msize 65536, the trace directory is the
 * export's root). NULL if it names a variable bound only from a reply. */
static char *
trace_expand(const char *text)
{
	static const char *const fixed[][2] = {
		{ "dir", "." }, { "uname", "root" }, { "aname", "" }, { "n_uname", "0" },
		{ "gid", "0" }, { "msize", "65536" }, { "readdir_last", "0" },
	};
	struct cf_vars v = { 0 };
	const char *err;
	char *x;
	size_t i;

	for (i = 0; i < sizeof(fixed) / sizeof(fixed[0]); i++)
		cf_var_set(&v, fixed[i][0], strlen(fixed[i][0]), fixed[i][1], strlen(fixed[i][1]));
	x = cf_expand(text, &v, false, &err);
	cf_vars_free(&v);
	return x;
}

/* Parse a line in the text form into *m. The views of *m point into *keep
 * (the expanded text and the parser's scratch), the caller's to free. */
static bool
trace_parse(const char *text, struct p9_msg *m, uint8_t **keep)
{
	char *x = trace_expand(text);
	size_t n;

	*keep = NULL;
	if (x == NULL)
		return false;
	n = strlen(x) + 1;
	*keep = malloc(2 * n);
	if (*keep == NULL)
		abort();
	memcpy(*keep, x, n);
	free(x);
	return p9_msg_parse((char *)*keep, n - 1, m, *keep + n, n, NULL) == 0;
}

/* A walk from fid 1 (the trace directory) to the parent of PATH, as fid 7;
 * returns PATH's last element. */
static const char *
trace_walk_parent(char *path)
{
	struct p9_msg m = { .type = P9_TWALK };
	char *slash, *p = path;

	m.twalk.fid = 1;
	m.twalk.newfid = 7;
	while ((slash = strchr(p, '/')) != NULL && m.twalk.wname.n < 4) {
		*slash = '\0';
		m.twalk.wname.s[m.twalk.wname.n++] = S(p);
		p = slash + 1;
	}
	op(m);
	return p;
}

/* fixture KIND PATH [ARG], made as the runner makes it: through 9p. */
static void
trace_fixture(const char *spec)
{
	char kind[16], path[512], arg[1024] = "", line[1100];
	struct p9_msg m, d;
	uint8_t *scratch = NULL;
	const char *last;
	int n = sscanf(spec, "%15s %511s %1023[^\n]", kind, path, arg);

	if (n < 2)
		return;
	last = trace_walk_parent(path);
	if (strcmp(kind, "dir") == 0) {
		m = MSG(TMKDIR, .tmkdir = { .dfid = 7, .name = S(last),
		    .mode = n == 3 ? (uint32_t)strtoul(arg, NULL, 8) : 0755 });
		op(m);
	} else if (strcmp(kind, "file") == 0) {
		op(MSG(TLCREATE, .tlcreate = { .fid = 7, .name = S(last),
		    .flags = P9_DOTL_RDWR | P9_DOTL_CREATE, .mode = 0644 }));
		if (n == 3) {
			snprintf(line, sizeof(line), "Twrite tag=0 fid=7 offset=0 data=%s", arg);
			if (trace_parse(line, &d, &scratch))
				op(d);
			free(scratch);
		}
	} else if (strcmp(kind, "symlink") == 0) {
		op(MSG(TSYMLINK, .tsymlink = { .fid = 7, .name = S(last), .symtgt = S(arg) }));
	}
	op(MSG(TCLUNK, .tclunk = { .fid = 7 }));
}

static void
trace_label(char *label, size_t cap, const char *name, const char *what, int lineno)
{
	size_t i;

	snprintf(label, cap, "trace_%s_%s%d", name, what, lineno);
	for (i = 0; label[i] != '\0'; i++)
		if (label[i] == '/')
			label[i] = '_';
}

/* One trace: frames for decode (into *stream too), lines for text, and
 * the session for server. */
static void
trace_one(const struct cf_trace *t, struct wbuf *stream)
{
	static uint8_t frame[1 << 17];
	char label[256];
	int i;

	sw.n = 0;
	/* fid 1 is the trace's directory: here, the export's root. */
	walk(0, 1, 0, NULL, NULL);
	for (i = 0; i < t->nlines; i++) {
		const struct cf_line *l = &t->lines[i];

		if (l->op == CF_FIXTURE)
			trace_fixture(l->text);
	}
	for (i = 0; i < t->nlines; i++) {
		const struct cf_line *l = &t->lines[i];
		struct p9_msg m;
		uint8_t *scratch = NULL;
		long len;

		trace_label(label, sizeof(label), t->name, "line", l->lineno);
		switch (l->op) {
		case CF_SEND:
		case CF_EXPECT:
			if (!trace_parse(l->text, &m, &scratch)) {
				free(scratch);
				break;
			}
			len = p9_msg_encode(&m, frame, sizeof(frame));
			if (len > 0) {
				save("decode", label, frame, (size_t)len);
				if (stream->n + (size_t)len <= sizeof(stream->b) / 2)
					putmem(stream, frame, (size_t)len);
			}
			if (l->op == CF_SEND) {
				/* The line as expanded, which heads *scratch. */
				save("text", label, scratch, strlen((const char *)scratch));
				/* Pipelined as in the trace: wait only where it
				 * waits for a reply. */
				pipelined = i + 1 < t->nlines && t->lines[i + 1].op == CF_SEND;
				op(m);
			}
			free(scratch);
			break;
		case CF_RAW:
			/* (A raw op carries at most 255 bytes.) */
			len = cf_unhex(l->text, frame, sizeof(frame));
			if (len < 0)
				break;
			if (len > 255)
				len = 255;
			trace_label(label, sizeof(label), t->name, "raw", l->lineno);
			save("decode", label, frame, (size_t)len);
			put8(&sw, FZ_OP_RAWBYTES);
			put8(&sw, (uint8_t)len);
			putmem(&sw, frame, (size_t)len);
			break;
		case CF_READDIR_ALL: {
			unsigned fid = 0, count = 0;

			if (sscanf(l->text, "%u %u", &fid, &count) == 2)
				op(MSG(TREADDIR, .treaddir = { .fid = fid, .count = count }));
			break;
		}
		default:
			break;
		}
	}
	pipelined = false;
	sync_op();
	trace_label(label, sizeof(label), t->name, "session", 0);
	server_save(label);
}

/* Every trace of DIR; the frame harness gets one stream per trace file:
 * [msize selector][chunk seed] and the file's frames. */
static void
trace_seeds(const char *dir)
{
	struct wbuf *stream = calloc(1, sizeof(*stream));
	struct cf_traces ts = { 0 };
	unsigned nfiles = 0;
	int j;

	if (stream == NULL || cf_load_path(dir, &ts) != 0) {
		fprintf(stderr, "gen_seeds: cannot load the traces of %s\n", dir);
		exit(1);
	}
	for (j = 0; j < ts.n; j++) {
		const char *file = ts.t[j].file;

		if (j == 0 || strcmp(file, ts.t[j - 1].file) != 0) {
			stream->n = 0;
			put8(stream, 7);
			put8(stream, (uint8_t)(nfiles++ * 37));
		}
		trace_one(&ts.t[j], stream);
		if (j + 1 == ts.n || strcmp(file, ts.t[j + 1].file) != 0) {
			const char *base = strrchr(file, '/');
			char label[300];

			snprintf(label, sizeof(label), "trace_file_%s", base != NULL ? base + 1 : file);
			save("frame", label, stream->b, stream->n);
		}
	}
	cf_traces_free(&ts);
	free(stream);
}

int
main(int argc, char **argv)
{
	if (argc != 2 && argc != 3) {
		fprintf(stderr, "usage: gen_seeds OUTDIR [TRACEDIR]\n");
		return 2;
	}
	outdir = argv[1];
	codec_seeds();
	client_seeds();
	server_seeds();
	if (argc == 3)
		trace_seeds(argv[2]);
	printf("gen_seeds: %u seeds in %s\n", nwritten, outdir);
	return 0;
}
