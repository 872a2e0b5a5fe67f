/*
 * The one-line text form (p9_msg_print, p9_msg_parse; grammar in TEXT.md).
 *
 * - round trip: every row of p9_msgs.def (expanded here, so a new row is
 *   covered without touching this file) with hostile field values: print,
 *   check the line is one safe line, parse, encode both and compare, print
 *   again and compare (Rreaddir's data is packed dirents with hostile
 *   names: the codec refuses anything else there);
 * - canonical lines written by hand, one or more per message type: parse
 *   then print gives the same line; some also encode to the worked bytes
 *   of doc/PROTOCOL.md 1.9;
 * - every parse error with its code and offset; print errors;
 * - snprintf semantics at every buffer size, with a canary.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "p9.h"
#include "testutil.h"

#define LINE_MAX_	65536
#define SCRATCH_MAX	65536
#define FRAME_MAX	65536

static char line[LINE_MAX_], line2[LINE_MAX_];
static uint8_t scratch[SCRATCH_MAX];
static uint8_t frame1[FRAME_MAX], frame2[FRAME_MAX];

/* Strings that exercise every rule of the str/data grammar. None holds a
 * NUL: a 9P string cannot. */
static const char *const nasty[] = {
	"",
	"plain.name-1+2/:@%~",
	"a b",
	"q\"uote",
	"back\\slash",
	"new\nline\ttab\rcr",
	"bad\xffutf8\xfe",
	"caf\xc3\xa9",
	"\xe6\x97\xa5\xe6\x9c\xac",
	"c1\xc2\x85nel\xc2\x80\xc2\x9f",
	"ls\xe2\x80\xa8ps\xe2\x80\xa9",
	"\x7f\x01\x1b",
	"over\xc0\xaflong\xe0\x80\xaf",
	"surr\xed\xa0\x80",
	"big\xf4\x90\x80\x80",
	"trunc\xe6\x97",
	"\xe6",
	"emoji\xf0\x9f\x98\x80",
	"nbsp\xc2\xa0",
	"\xe2\x80\xa7\xe2\x80\xaa",
	"\xef\xbf\xbf\xf4\x8f\xbf\xbf",
	"\x80\xbf",
	",]=()[ \"",
	"9P2000.L",
};
#define NNASTY	(sizeof(nasty) / sizeof(nasty[0]))

/* How to fill a message: variant 0 maxima and full lists, 1 zeros and
 * empties, 2 other values, 3 every string is nasty[s]. */
struct gen {
	int		 variant;
	size_t		 s;
	unsigned	 k;		/* advances per field so neighbours differ */
};

static uint8_t bin[256];
static const uint8_t mixed[] = { 'a', 0, 'b', 0xff, '"', '\\', '\n', 0xc2, 0x85,
	0xe6, 0x97, 0xa5, 0xc3, 0xa9, 0x00, 0x7f, 0xe2, 0x80, 0xa8 };

static uint64_t
gen_num(struct gen *g, uint64_t max)
{
	g->k++;
	switch (g->variant) {
	case 0:
		return max - (g->k & 1);
	case 1:
		return 0;
	default:
		return (g->k * 0x9e3779b97f4a7c15ull + g->s) & max;
	}
}

static void fill_u8(struct gen *g, uint8_t *v) { *v = (uint8_t)gen_num(g, UINT8_MAX); }
static void fill_u16(struct gen *g, uint16_t *v) { *v = (uint16_t)gen_num(g, UINT16_MAX); }
static void fill_u32(struct gen *g, uint32_t *v) { *v = (uint32_t)gen_num(g, UINT32_MAX); }
static void fill_u64(struct gen *g, uint64_t *v) { *v = gen_num(g, UINT64_MAX); }
static void fill_x32(struct gen *g, uint32_t *v) { fill_u32(g, v); }
static void fill_fid(struct gen *g, uint32_t *v) { fill_u32(g, v); }
static void fill_x64(struct gen *g, uint64_t *v) { fill_u64(g, v); }
static void fill_o32(struct gen *g, uint32_t *v) { fill_u32(g, v); }
static void fill_opt32(struct gen *g, uint32_t *v) { fill_u32(g, v); }

static void
fill_str(struct gen *g, struct p9_str *v)
{
	const char *s;

	g->k++;
	if (g->variant == 1)
		s = "";
	else if (g->variant == 3)
		s = nasty[g->s];
	else
		s = nasty[(g->k + (unsigned)g->variant * 7) % NNASTY];
	assert_int_equal(p9_str_set(v, s), 0);
}

static void
fill_qid(struct gen *g, struct p9_qid *v)
{
	v->type = (uint8_t)gen_num(g, UINT8_MAX);
	v->version = (uint32_t)gen_num(g, UINT32_MAX);
	v->path = gen_num(g, UINT64_MAX);
}

static void
fill_data(struct gen *g, struct p9_data *v)
{
	switch (g->variant) {
	case 0:
		v->ptr = bin;
		v->len = sizeof(bin);
		break;
	case 1:
		v->ptr = NULL;
		v->len = 0;
		break;
	case 2:
		v->ptr = mixed;
		v->len = sizeof(mixed);
		break;
	default:
		v->ptr = (const uint8_t *)nasty[g->s];
		v->len = (uint32_t)strlen(nasty[g->s]);
		break;
	}
}

/*
 * Rreaddir's data: whole dirents (encode refuses anything else). Variant 0
 * one entry per nasty name with maximal numbers, 1 none, 2 two entries, 3
 * one entry named nasty[s].
 */
static void
fill_dirents(struct gen *g, struct p9_data *v)
{
	static uint8_t buf[4096];
	static const size_t entries[] = { NNASTY, 0, 2, 1 };
	size_t i, n = entries[g->variant];
	uint32_t used = 0;

	for (i = 0; i < n; i++) {
		struct p9_dirent d;

		fill_qid(g, &d.qid);
		fill_u64(g, &d.offset);
		fill_u8(g, &d.type);
		assert_int_equal(p9_str_set(&d.name, g->variant == 3 ? nasty[g->s] :
		    nasty[(i + g->k) % NNASTY]), 0);
		assert_int_equal(p9_dirent_put(buf, sizeof(buf), &used, &d), 0);
	}
	v->ptr = n > 0 ? buf : NULL;
	v->len = used;
}

static uint16_t
gen_count(struct gen *g)
{
	static const uint16_t n[] = { P9_MAXWELEM, 0, 1, 2 };

	return n[g->variant];
}

static void
fill_strs(struct gen *g, struct p9_strs *v)
{
	uint16_t i;

	v->n = gen_count(g);
	for (i = 0; i < v->n; i++)
		fill_str(g, &v->s[i]);
}

static void
fill_qids(struct gen *g, struct p9_qids *v)
{
	uint16_t i;

	v->n = gen_count(g);
	for (i = 0; i < v->n; i++)
		fill_qid(g, &v->q[i]);
}

#define F(kind, name)	fill_##kind(g, &m->name);
#define P9_PAIR(UP, lo, num, tf, rf) \
	static void fill_t##lo(struct gen *g, struct p9_msg *msg) \
	    { struct p9_t##lo *m = &msg->t##lo; (void)g; (void)m; tf } \
	static void fill_r##lo(struct gen *g, struct p9_msg *msg) \
	    { struct p9_r##lo *m = &msg->r##lo; (void)g; (void)m; rf }
#define P9_RONLY(UP, lo, num, rf) \
	static void fill_r##lo(struct gen *g, struct p9_msg *msg) \
	    { struct p9_r##lo *m = &msg->r##lo; (void)g; (void)m; rf }
#include "p9_msgs.def"
#undef P9_PAIR
#undef P9_RONLY
#undef F

static const struct row {
	int	 type;
	void	 (*fill)(struct gen *, struct p9_msg *);
} rows[] = {
#define P9_PAIR(UP, lo, num, tf, rf)	{ P9_T##UP, fill_t##lo }, { P9_R##UP, fill_r##lo },
#define P9_RONLY(UP, lo, num, rf)	{ P9_R##UP, fill_r##lo },
#include "p9_msgs.def"
#undef P9_PAIR
#undef P9_RONLY
};
#define NROWS	(sizeof(rows) / sizeof(rows[0]))

/*
 * One line, safe under any line-splitting rule: no byte below 0x20, no
 * DEL, and every byte >= 0x80 part of well-formed UTF-8 that is not a C1
 * control or U+2028/U+2029. Written independently of text.c's check.
 */
static void
assert_one_line(const char *s, size_t n)
{
	const uint8_t *p = (const uint8_t *)s;
	size_t i = 0, k, j;
	uint32_t cp;

	assert_int_equal(strlen(s), n);
	while (i < n) {
		assert_true(p[i] >= 0x20 && p[i] != 0x7f);
		if (p[i] < 0x80) {
			i++;
			continue;
		}
		if (p[i] >= 0xc2 && p[i] <= 0xdf) {
			k = 2;
			cp = p[i] & 0x1f;
		} else if (p[i] >= 0xe0 && p[i] <= 0xef) {
			k = 3;
			cp = p[i] & 0x0f;
		} else {
			assert_true(p[i] >= 0xf0 && p[i] <= 0xf4);
			k = 4;
			cp = p[i] & 0x07;
		}
		assert_true(i + k <= n);
		for (j = 1; j < k; j++) {
			assert_int_equal(p[i + j] & 0xc0, 0x80);
			cp = cp << 6 | (p[i + j] & 0x3f);
		}
		assert_true(k != 3 || cp >= 0x800);
		assert_true(k != 4 || (cp >= 0x10000 && cp <= 0x10ffff));
		assert_false(cp >= 0xd800 && cp <= 0xdfff);
		assert_false(cp >= 0x80 && cp <= 0x9f);
		assert_false(cp == 0x2028 || cp == 0x2029);
		i += k;
	}
}

static long
print_noalloc(const struct p9_msg *m, char *buf, size_t cap)
{
	long n;

	P9_NO_ALLOC_BEGIN();
	n = p9_msg_print(m, buf, cap);
	P9_NO_ALLOC_END();
	return n;
}

static int
parse_noalloc(const char *text, size_t len, struct p9_msg *m, size_t scratch_len,
    size_t *errpos)
{
	int err;

	P9_NO_ALLOC_BEGIN();
	err = p9_msg_parse(text, len, m, scratch, scratch_len, errpos);
	P9_NO_ALLOC_END();
	return err;
}

/* print, check, parse, encode both, print again. */
static void
roundtrip(const struct p9_msg *m)
{
	struct p9_msg m2;
	long n, n2, e1, e2;
	size_t errpos = 99;

	n = print_noalloc(m, line, sizeof(line));
	assert_true(n > 0 && (size_t)n < sizeof(line));
	assert_one_line(line, (size_t)n);
	assert_non_null(strstr(line, " tag="));
	assert_int_equal(parse_noalloc(line, (size_t)n, &m2, sizeof(scratch), &errpos), 0);
	assert_int_equal(errpos, 0);
	assert_int_equal(m2.type, m->type);
	e1 = p9_msg_encode(m, frame1, sizeof(frame1));
	e2 = p9_msg_encode(&m2, frame2, sizeof(frame2));
	assert_true(e1 > 0);
	assert_int_equal(e1, e2);
	assert_memory_equal(frame1, frame2, (size_t)e1);
	n2 = print_noalloc(&m2, line2, sizeof(line2));
	assert_int_equal(n2, n);
	assert_string_equal(line2, line);
}

static void
t_roundtrip_every_row(void **state)
{
	struct p9_msg m;
	struct gen g;
	size_t r, s;
	int v;

	(void)state;
	for (r = 0; r < sizeof(bin); r++)
		bin[r] = (uint8_t)r;
	for (r = 0; r < NROWS; r++) {
		for (v = 0; v < 4; v++) {
			for (s = 0; s < (v == 3 ? NNASTY : 1); s++) {
				memset(&m, 0, sizeof(m));
				g = (struct gen){ .variant = v, .s = s, .k = (unsigned)r };
				m.type = (uint8_t)rows[r].type;
				rows[r].fill(&g, &m);
				if (m.type == P9_RREADDIR)
					fill_dirents(&g, &m.rreaddir.data);
				m.tag = v == 0 ? P9_NOTAG : v == 1 ? 0 : (uint16_t)(r + s);
				roundtrip(&m);
			}
		}
	}
}

/* Canonical lines, written by hand. */
static const char *const canon[] = {
	"Rlerror tag=1 ecode=2(ENOENT)",
	"Rlerror tag=2 ecode=95(EOPNOTSUPP)",
	"Rlerror tag=3 ecode=4095",
	"Rlerror tag=4 ecode=0",
	"Tstatfs tag=1 fid=7",
	"Rstatfs tag=1 type=0x1021997 bsize=4096 blocks=1000 bfree=500 bavail=400 "
	    "files=100 ffree=50 fsid=0xdeadbeefcafe namelen=255",
	"Tlopen tag=2 fid=7 flags=0x8002",
	"Rlopen tag=2 qid=(0x0,3,77) iounit=8168",
	"Tlcreate tag=3 fid=7 name=new.txt flags=0x8241 mode=0100644 gid=1000",
	"Rlcreate tag=3 qid=(0x0,0,78) iounit=0",
	"Tsymlink tag=4 fid=7 name=link symtgt=../target gid=0",
	"Rsymlink tag=4 qid=(0x2,0,79)",
	"Tmknod tag=5 dfid=7 name=fifo mode=010644 major=0 minor=0 gid=100",
	"Rmknod tag=5 qid=(0x0,0,80)",
	"Trename tag=6 fid=8 dfid=7 name=\"new name\"",
	"Rrename tag=6",
	"Treadlink tag=7 fid=9",
	"Rreadlink tag=7 target=/usr/lib/x",
	"Tgetattr tag=8 fid=7 request_mask=0x3fff",
	"Rgetattr tag=8 valid=0x7ff qid=(0x80,1,2) mode=040755 uid=1000 gid=1000 "
	    "nlink=2 rdev=0 size=4096 blksize=4096 blocks=8 atime_sec=1700000000 "
	    "atime_nsec=123 mtime_sec=1700000001 mtime_nsec=0 ctime_sec=1700000002 "
	    "ctime_nsec=999999999 btime_sec=0 btime_nsec=0 gen=0 data_version=0",
	"Tsetattr tag=9 fid=7 valid=0x1 mode=0600 uid=0 gid=0 size=0 atime_sec=0 "
	    "atime_nsec=0 mtime_sec=0 mtime_nsec=0",
	"Rsetattr tag=9",
	"Txattrwalk tag=10 fid=7 newfid=8 name=user.comment",
	"Rxattrwalk tag=10 size=18446744073709551615",
	"Txattrcreate tag=11 fid=8 name=security.selinux attr_size=32 flags=0x1",
	"Rxattrcreate tag=11",
	"Treaddir tag=12 fid=7 offset=0 count=8168",
	/* one dirent: qid (0x80,0,2), offset 1, type 4 (DT_DIR), name "." */
	"Rreaddir tag=12 data=\"\\x80\\x00\\x00\\x00\\x00\\x02\\x00\\x00\\x00\\x00"
	    "\\x00\\x00\\x00\\x01\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x04\\x01\\x00.\"",
	"Tfsync tag=13 fid=7 datasync=1",
	"Rfsync tag=13",
	"Tlock tag=14 fid=7 type=1 flags=0x1 start=0 length=0 proc_id=4242 client_id=host-a",
	"Rlock tag=14 status=0",
	"Tgetlock tag=15 fid=7 type=0 start=100 length=50 proc_id=1 client_id=\"\"",
	"Rgetlock tag=15 type=2 start=100 length=50 proc_id=1 client_id=\"client \\\"b\\\"\"",
	"Tlink tag=16 dfid=7 fid=9 name=hard",
	"Rlink tag=16",
	"Tmkdir tag=17 dfid=7 name=dir mode=0755 gid=1000",
	"Rmkdir tag=17 qid=(0x80,0,81)",
	"Trenameat tag=18 olddirfid=7 oldname=a newdirfid=7 newname=\"caf\xc3\xa9\"",
	"Rrenameat tag=18",
	"Tunlinkat tag=19 dirfid=7 name=dir flags=0x200",
	"Runlinkat tag=19",
	"Tversion tag=65535 msize=131072 version=9P2000.L",
	"Rversion tag=65535 msize=131072 version=unknown",
	"Tauth tag=20 afid=10 uname=glenda aname=/ n_uname=1000",
	"Rauth tag=20 aqid=(0x8,0,0)",
	"Tattach tag=0 fid=0 afid=4294967295 uname=nobody aname=\"\" n_uname=4294967295",
	"Rattach tag=0 qid=(0x80,0,2)",
	"Tflush tag=3 oldtag=1",
	"Rflush tag=3",
	"Twalk tag=1 fid=0 newfid=1 wname=[foo]",
	"Twalk tag=1 fid=0 newfid=1 wname=[]",
	"Twalk tag=3 fid=0 newfid=1 wname=[a,\"b c\",\"\",\"\\\\\",\"x\\xc2\\x85\"]",
	"Rwalk tag=1 wqid=[(0x0,0,4660)]",
	"Rwalk tag=1 wqid=[]",
	"Rwalk tag=1 wqid=[(0x80,0,2),(0x0,0,5)]",
	"Tread tag=21 fid=1 offset=18446744073709551615 count=4294967295",
	"Rread tag=21 data=\"hello\\n\\x00\\xff\xe6\x97\xa5\\t\\r\\\"\\\\\\x7f\\xe2\\x80\\xa8\"",
	"Twrite tag=22 fid=1 offset=4096 data=\"\"",
	"Rwrite tag=22 count=0",
	"Tclunk tag=2 fid=1",
	"Rclunk tag=2",
	"Tremove tag=23 fid=1",
	"Rremove tag=23",
};

static void
t_canonical_lines(void **state)
{
	static int seen[256];
	struct p9_msg m;
	size_t i;
	long n;

	(void)state;
	for (i = 0; i < sizeof(canon) / sizeof(canon[0]); i++) {
		size_t len = strlen(canon[i]);
		uint8_t *g = guarded_copy(canon[i], len);

		assert_int_equal(parse_noalloc((const char *)g, len, &m, sizeof(scratch),
		    NULL), 0);
		n = print_noalloc(&m, line, sizeof(line));
		assert_int_equal(n, (long)len);
		assert_string_equal(line, canon[i]);
		seen[m.type] = 1;
		guarded_free(g, len);
	}
	/* Every row of the table has a hand-written line. */
	for (i = 0; i < NROWS; i++) {
		if (!seen[rows[i].type])
			fail_msg("no canonical line for %s", p9_type_name(rows[i].type));
	}
}

/* doc/PROTOCOL.md 1.9, as text. */
static const struct {
	const char	*text;
	size_t		 len;
	uint8_t		 bytes[32];
} worked[] = {
	{ "Tversion tag=65535 msize=131072 version=9P2000.L", 21,
	  { 0x15, 0x00, 0x00, 0x00, 0x64, 0xff, 0xff, 0x00, 0x00, 0x02, 0x00, 0x08,
	    0x00, 0x39, 0x50, 0x32, 0x30, 0x30, 0x30, 0x2e, 0x4c } },
	{ "Rversion tag=65535 msize=131072 version=unknown", 20,
	  { 0x14, 0x00, 0x00, 0x00, 0x65, 0xff, 0xff, 0x00, 0x00, 0x02, 0x00, 0x07,
	    0x00, 0x75, 0x6e, 0x6b, 0x6e, 0x6f, 0x77, 0x6e } },
	{ "Tattach tag=0 fid=0 afid=4294967295 uname=nobody aname=\"\" n_uname=4294967295", 29,
	  { 0x1d, 0x00, 0x00, 0x00, 0x68, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0xff,
	    0xff, 0xff, 0xff, 0x06, 0x00, 0x6e, 0x6f, 0x62, 0x6f, 0x64, 0x79, 0x00,
	    0x00, 0xff, 0xff, 0xff, 0xff } },
	{ "Rattach tag=0 qid=(0x80,0,2)", 20,
	  { 0x14, 0x00, 0x00, 0x00, 0x69, 0x00, 0x00, 0x80, 0x00, 0x00, 0x00, 0x00,
	    0x02, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00 } },
	{ "Twalk tag=1 fid=0 newfid=1 wname=[foo]", 22,
	  { 0x16, 0x00, 0x00, 0x00, 0x6e, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01,
	    0x00, 0x00, 0x00, 0x01, 0x00, 0x03, 0x00, 0x66, 0x6f, 0x6f } },
	{ "Rwalk tag=1 wqid=[(0x0,0,4660)]", 22,
	  { 0x16, 0x00, 0x00, 0x00, 0x6f, 0x01, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00,
	    0x00, 0x00, 0x34, 0x12, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00 } },
	{ "Rlerror tag=1 ecode=2(ENOENT)", 11,
	  { 0x0b, 0x00, 0x00, 0x00, 0x07, 0x01, 0x00, 0x02, 0x00, 0x00, 0x00 } },
	{ "Tflush tag=3 oldtag=1", 9,
	  { 0x09, 0x00, 0x00, 0x00, 0x6c, 0x03, 0x00, 0x01, 0x00 } },
	{ "Rflush tag=3", 7, { 0x07, 0x00, 0x00, 0x00, 0x6d, 0x03, 0x00 } },
	{ "Tclunk tag=2 fid=1", 11,
	  { 0x0b, 0x00, 0x00, 0x00, 0x78, 0x02, 0x00, 0x01, 0x00, 0x00, 0x00 } },
	{ "Rclunk tag=2", 7, { 0x07, 0x00, 0x00, 0x00, 0x79, 0x02, 0x00 } },
};

static void
t_worked_bytes(void **state)
{
	struct p9_msg m, d;
	size_t i;
	long n;

	(void)state;
	for (i = 0; i < sizeof(worked) / sizeof(worked[0]); i++) {
		assert_int_equal(parse_noalloc(worked[i].text, strlen(worked[i].text),
		    &m, sizeof(scratch), NULL), 0);
		n = p9_msg_encode(&m, frame1, sizeof(frame1));
		assert_int_equal(n, (long)worked[i].len);
		assert_memory_equal(frame1, worked[i].bytes, worked[i].len);
		/* and the other way: bytes -> decode -> print */
		assert_int_equal(p9_msg_decode(worked[i].bytes, worked[i].len, &d), 0);
		assert_true(print_noalloc(&d, line, sizeof(line)) > 0);
		assert_string_equal(line, worked[i].text);
	}
}

/* Accepted but not canonical: other number bases, needless quotes and
 * escapes, raw bytes inside quotes. */
static void
t_noncanonical_accepted(void **state)
{
	static const struct {
		const char	*in;
		const char	*out;
	} cases[] = {
		{ "Tclunk tag=0x10 fid=010", "Tclunk tag=16 fid=8" },
		{ "Rlerror tag=1 ecode=2", "Rlerror tag=1 ecode=2(ENOENT)" },
		{ "Rlerror tag=1 ecode=0x1e(EROFS)", "Rlerror tag=1 ecode=30(EROFS)" },
		{ "Tclunk tag=0X1F fid=0", "Tclunk tag=31 fid=0" },
		{ "Tclunk tag=00 fid=0x0", "Tclunk tag=0 fid=0" },
		{ "Rlock tag=1 status=0xff", "Rlock tag=1 status=255" },
		{ "Rxattrwalk tag=1 size=0xffffffffffffffff",
		  "Rxattrwalk tag=1 size=18446744073709551615" },
		{ "Rxattrwalk tag=1 size=01777777777777777777777",
		  "Rxattrwalk tag=1 size=18446744073709551615" },
		{ "Tlopen tag=1 fid=1 flags=32770", "Tlopen tag=1 fid=1 flags=0x8002" },
		{ "Tmkdir tag=1 dfid=1 name=d mode=493 gid=0",
		  "Tmkdir tag=1 dfid=1 name=d mode=0755 gid=0" },
		{ "Tmkdir tag=1 dfid=1 name=d mode=0x0 gid=0",
		  "Tmkdir tag=1 dfid=1 name=d mode=0 gid=0" },
		{ "Rreadlink tag=1 target=\"abc\"", "Rreadlink tag=1 target=abc" },
		{ "Rreadlink tag=1 target=\"\\x41\\xC3\\xA9\"",
		  "Rreadlink tag=1 target=\"A\xc3\xa9\"" },
		{ "Rreadlink tag=1 target=\"a\nb\xc2\x85\"",
		  "Rreadlink tag=1 target=\"a\\nb\\xc2\\x85\"" },
		{ "Rattach tag=0 qid=(128,0x0,0x2)", "Rattach tag=0 qid=(0x80,0,2)" },
		{ "Twalk tag=1 fid=0 newfid=1 wname=[\"a\",b]",
		  "Twalk tag=1 fid=0 newfid=1 wname=[a,b]" },
	};
	struct p9_msg m;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		assert_int_equal(parse_noalloc(cases[i].in, strlen(cases[i].in), &m,
		    sizeof(scratch), NULL), 0);
		assert_true(print_noalloc(&m, line, sizeof(line)) > 0);
		assert_string_equal(line, cases[i].out);
	}
}

/* Where the views of a parsed message point. */
static void
t_views(void **state)
{
	static const char text[] =
	    "Trenameat tag=1 olddirfid=2 oldname=bare newdirfid=3 newname=\"q u\"";
	static const char esc[] =
	    "Trenameat tag=1 olddirfid=2 oldname=\"a\\tb\" newdirfid=3 newname=\"c\\nd\"";
	struct p9_msg m;

	(void)state;
	/* No escapes: both views point into the text; no scratch needed. */
	assert_int_equal(p9_msg_parse(text, strlen(text), &m, NULL, 0, NULL), 0);
	assert_ptr_equal(m.trenameat.oldname.ptr, strstr(text, "bare"));
	assert_int_equal(m.trenameat.oldname.len, 4);
	assert_ptr_equal(m.trenameat.newname.ptr, strstr(text, "q u"));
	assert_int_equal(m.trenameat.newname.len, 3);

	/* Escapes: unescaped bytes are packed one after the other in scratch. */
	assert_int_equal(p9_msg_parse(esc, strlen(esc), &m, scratch, 6, NULL), 0);
	assert_ptr_equal(m.trenameat.oldname.ptr, (const char *)scratch);
	assert_memory_equal(m.trenameat.oldname.ptr, "a\tb", 3);
	assert_ptr_equal(m.trenameat.newname.ptr, (const char *)scratch + 3);
	assert_memory_equal(m.trenameat.newname.ptr, "c\nd", 3);
}

struct bad {
	const char	*text;
	int		 err;
	size_t		 pos;
};

static void
check_bad(const char *text, size_t len, int err, size_t pos, size_t scratch_len)
{
	struct p9_msg m;
	size_t errpos = 12345;
	uint8_t *g = guarded_copy(text, len);
	int got;

	/* The text ends just before a PROT_NONE page: no over-read. */
	got = parse_noalloc((const char *)g, len, &m, scratch_len, &errpos);
	if (got != err || errpos != pos)
		fail_msg("\"%.*s\": got %d at %zu, want %d at %zu", (int)len, text,
		    got, errpos, err, pos);
	/* errpos is optional */
	assert_int_equal(parse_noalloc((const char *)g, len, &m, scratch_len, NULL), err);
	guarded_free(g, len);
}

static void
t_parse_errors(void **state)
{
	static const struct bad cases[] = {
		/* names */
		{ "", P9_ERR_TXT_NAME, 0 },
		{ "Tbogus tag=1", P9_ERR_TXT_NAME, 0 },
		{ "tclunk tag=1 fid=1", P9_ERR_TXT_NAME, 0 },
		{ "Tlerror tag=1 ecode=2", P9_ERR_TXT_NAME, 0 },
		{ " Tclunk tag=1 fid=1", P9_ERR_TXT_NAME, 0 },
		/* fields: missing, misnamed, misordered, separators */
		{ "Tclunk", P9_ERR_TXT_FIELD, 6 },
		{ "Tclunk ", P9_ERR_TXT_FIELD, 7 },
		{ "Tclunk tag=1", P9_ERR_TXT_FIELD, 12 },
		{ "Tclunk fid=1 tag=1", P9_ERR_TXT_FIELD, 7 },
		{ "Twalk tag=1 newfid=1 fid=0 wname=[]", P9_ERR_TXT_FIELD, 12 },
		{ "Tclunk tag=1 fd=1", P9_ERR_TXT_FIELD, 13 },
		{ "Tclunk tag=1 fidx=1", P9_ERR_TXT_FIELD, 13 },
		{ "Tclunk tag=1 fid", P9_ERR_TXT_FIELD, 13 },
		{ "Tclunk tag=1 fid 1", P9_ERR_TXT_FIELD, 13 },
		{ "Tclunk tag=1  fid=1", P9_ERR_TXT_FIELD, 13 },
		{ "Tclunk  tag=1 fid=1", P9_ERR_TXT_FIELD, 7 },
		{ "Tclunk tag=1\tfid=1", P9_ERR_TXT_FIELD, 12 },
		{ "Rgetattr tag=1 valid=0x1 qid=(0x0,0,0) mode=0 uid=0 gid=0 nlink=0",
		  P9_ERR_TXT_FIELD, 65 },
		/* trailing */
		{ "Tclunk tag=1 fid=1 ", P9_ERR_TXT_TRAILING, 18 },
		{ "Tclunk tag=1 fid=1 extra=2", P9_ERR_TXT_TRAILING, 18 },
		{ "Rclunk tag=1 fid=1", P9_ERR_TXT_TRAILING, 12 },
		{ "Tclunk tag=1 fid=1\n", P9_ERR_TXT_TRAILING, 18 },
		{ "Rreadlink tag=1 target=a=b", P9_ERR_TXT_TRAILING, 24 },
		{ "Rreadlink tag=1 target=\"a\"b", P9_ERR_TXT_TRAILING, 26 },
		/* Rlerror's errno name: only the one p9_errno_name gives */
		{ "Rlerror tag=1 ecode=2(EPERM)", P9_ERR_TXT_VALUE, 22 },
		{ "Rlerror tag=1 ecode=2(enoent)", P9_ERR_TXT_VALUE, 22 },
		{ "Rlerror tag=1 ecode=2(ENOENT", P9_ERR_TXT_VALUE, 22 },
		{ "Rlerror tag=1 ecode=2()", P9_ERR_TXT_VALUE, 22 },
		{ "Rlerror tag=1 ecode=95(ENOTSUP)", P9_ERR_TXT_VALUE, 23 },
		{ "Rlerror tag=1 ecode=4095(E4095)", P9_ERR_TXT_VALUE, 25 },
		{ "Rlerror tag=1 ecode=0()", P9_ERR_TXT_VALUE, 22 },
		{ "Rlerror tag=1 ecode=(ENOENT)", P9_ERR_TXT_VALUE, 20 },
		{ "Rlerror tag=1 ecode=2 (ENOENT)", P9_ERR_TXT_TRAILING, 21 },
		{ "Rlerror tag=1 ecode=2(ENOENT) ", P9_ERR_TXT_TRAILING, 29 },
		{ "Rlerror tag=1 ecode=2(ENOENT)(ENOENT)", P9_ERR_TXT_TRAILING, 29 },
		/* numbers */
		{ "Tclunk tag= fid=1", P9_ERR_TXT_VALUE, 11 },
		{ "Tclunk tag=1 fid=", P9_ERR_TXT_VALUE, 17 },
		{ "Tclunk tag=1 fid=-1", P9_ERR_TXT_VALUE, 17 },
		{ "Tclunk tag=1 fid=+1", P9_ERR_TXT_VALUE, 17 },
		{ "Tclunk tag=1 fid=1x", P9_ERR_TXT_VALUE, 17 },
		{ "Tclunk tag=1 fid=0x", P9_ERR_TXT_VALUE, 17 },
		{ "Tclunk tag=1 fid=0xg", P9_ERR_TXT_VALUE, 17 },
		{ "Tclunk tag=1 fid=0x1g", P9_ERR_TXT_VALUE, 17 },
		{ "Tclunk tag=1 fid=08", P9_ERR_TXT_VALUE, 17 },
		{ "Tclunk tag=1 fid=1a", P9_ERR_TXT_VALUE, 17 },
		{ "Tclunk tag=1 fid=0b1", P9_ERR_TXT_VALUE, 17 },
		{ "Trename tag=1 fid=1 dfid=x name=a", P9_ERR_TXT_VALUE, 25 },
		{ "Tclunk tag=1 fid=4294967296", P9_ERR_TXT_VALUE, 17 },
		{ "Tclunk tag=1 fid=0x100000000", P9_ERR_TXT_VALUE, 17 },
		{ "Tclunk tag=1 fid=040000000000", P9_ERR_TXT_VALUE, 17 },
		{ "Tclunk tag=1 fid=99999999999999999999999", P9_ERR_TXT_VALUE, 17 },
		{ "Rlock tag=1 status=256", P9_ERR_TXT_VALUE, 19 },
		{ "Rlock tag=1 status=0x100", P9_ERR_TXT_VALUE, 19 },
		{ "Tflush tag=65536 oldtag=1", P9_ERR_TXT_VALUE, 11 },
		{ "Tflush tag=1 oldtag=0200000", P9_ERR_TXT_VALUE, 20 },
		{ "Rxattrwalk tag=1 size=18446744073709551616", P9_ERR_TXT_VALUE, 22 },
		{ "Rxattrwalk tag=1 size=0x10000000000000000", P9_ERR_TXT_VALUE, 22 },
		{ "Rxattrwalk tag=1 size=02000000000000000000000", P9_ERR_TXT_VALUE, 22 },
		{ "Tgetattr tag=1 fid=1 request_mask=0x1ffffffffffffffff", P9_ERR_TXT_VALUE, 34 },
		/* qids */
		{ "Rattach tag=0 qid=0x80,0,2)", P9_ERR_TXT_VALUE, 18 },
		{ "Rattach tag=0 qid=(0x100,0,2)", P9_ERR_TXT_VALUE, 19 },
		{ "Rattach tag=0 qid=(0x80;0,2)", P9_ERR_TXT_VALUE, 23 },
		{ "Rattach tag=0 qid=(0x80,0,2", P9_ERR_TXT_VALUE, 27 },
		{ "Rattach tag=0 qid=(0x80,0,2,3)", P9_ERR_TXT_VALUE, 27 },
		{ "Rattach tag=0 qid=(0x80,,2)", P9_ERR_TXT_VALUE, 24 },
		/* strings */
		{ "Rreadlink tag=1 target=", P9_ERR_TXT_VALUE, 23 },
		{ "Rreadlink tag=1 target= x", P9_ERR_TXT_VALUE, 23 },
		{ "Rreadlink tag=1 target=\"a\\qb\"", P9_ERR_TXT_ESCAPE, 25 },
		{ "Rreadlink tag=1 target=\"a\\x4\"", P9_ERR_TXT_ESCAPE, 25 },
		{ "Rreadlink tag=1 target=\"a\\xg0\"", P9_ERR_TXT_ESCAPE, 25 },
		{ "Rreadlink tag=1 target=\"a\\x0g\"", P9_ERR_TXT_ESCAPE, 25 },
		{ "Rreadlink tag=1 target=\"a\\x\"", P9_ERR_TXT_ESCAPE, 25 },
		{ "Rreadlink tag=1 target=\"a\\", P9_ERR_TXT_ESCAPE, 25 },
		{ "Rreadlink tag=1 target=\"a\\'\"", P9_ERR_TXT_ESCAPE, 25 },
		{ "Rreadlink tag=1 target=\"a\\0\"", P9_ERR_TXT_ESCAPE, 25 },
		{ "Rreadlink tag=1 target=\"abc", P9_ERR_TXT_ESCAPE, 23 },
		{ "Rreadlink tag=1 target=\"", P9_ERR_TXT_ESCAPE, 23 },
		{ "Rreadlink tag=1 target=\"ab\\\"", P9_ERR_TXT_ESCAPE, 23 },
		{ "Rreadlink tag=1 target=\"a\\x00\"", P9_ERR_NUL, 25 },
		{ "Twalk tag=1 fid=0 newfid=1 wname=[a,\"\\x00\"]", P9_ERR_NUL, 37 },
		/* data */
		{ "Rread tag=1 data=abc", P9_ERR_TXT_VALUE, 17 },
		{ "Rread tag=1 data=", P9_ERR_TXT_VALUE, 17 },
		{ "Rread tag=1 data=\"\\xzz\"", P9_ERR_TXT_ESCAPE, 18 },
		{ "Rread tag=1 data=\"abc", P9_ERR_TXT_ESCAPE, 17 },
		/* lists */
		{ "Twalk tag=1 fid=0 newfid=1 wname=a", P9_ERR_TXT_VALUE, 33 },
		{ "Twalk tag=1 fid=0 newfid=1 wname=", P9_ERR_TXT_VALUE, 33 },
		{ "Twalk tag=1 fid=0 newfid=1 wname=[", P9_ERR_TXT_VALUE, 34 },
		{ "Twalk tag=1 fid=0 newfid=1 wname=[a", P9_ERR_TXT_VALUE, 35 },
		{ "Twalk tag=1 fid=0 newfid=1 wname=[a,]", P9_ERR_TXT_VALUE, 36 },
		{ "Twalk tag=1 fid=0 newfid=1 wname=[,a]", P9_ERR_TXT_VALUE, 34 },
		{ "Twalk tag=1 fid=0 newfid=1 wname=[a b]", P9_ERR_TXT_VALUE, 35 },
		{ "Twalk tag=1 fid=0 newfid=1 wname=[a,,b]", P9_ERR_TXT_VALUE, 36 },
		{ "Twalk tag=1 fid=0 newfid=1 wname=[a]]", P9_ERR_TXT_TRAILING, 36 },
		{ "Rwalk tag=1 wqid=[(0x0,0,1)(0x0,0,2)]", P9_ERR_TXT_VALUE, 27 },
		{ "Rwalk tag=1 wqid=[(0x0,0,1),]", P9_ERR_TXT_VALUE, 28 },
		{ "Rwalk tag=1 wqid=(0x0,0,1)", P9_ERR_TXT_VALUE, 17 },
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		check_bad(cases[i].text, strlen(cases[i].text), cases[i].err,
		    cases[i].pos, sizeof(scratch));
}

static void
t_parse_errors_special(void **state)
{
	static const char rawnul[] = "Rreadlink tag=1 target=\"a\0b\"";
	static const char rawnul_data[] = "Rread tag=1 data=\"a\0b\"";
	static const char esc[] = "Rreadlink tag=1 target=\"a\\nb\"";
	static const char sc1[] = "Rread tag=1 data=\"\\x00\\x01\"";
	static const char sc2[] = "Twalk tag=1 fid=0 newfid=1 wname=[\"\\n\",\"\\t\"]";
	char walk[256], qids[512];
	size_t n, at17 = 0;
	struct p9_msg m;
	int i;

	(void)state;
	/* A raw NUL inside quotes: still refused in a str, kept in data. */
	check_bad(rawnul, sizeof(rawnul) - 1, P9_ERR_NUL, 25, sizeof(scratch));
	assert_int_equal(p9_msg_parse(rawnul_data, sizeof(rawnul_data) - 1, &m,
	    NULL, 0, NULL), 0);
	assert_int_equal(m.rread.data.len, 3);
	assert_memory_equal(m.rread.data.ptr, "a\0b", 3);
	/* A bare NUL ends a bare string, and then the line is not over. */
	check_bad("Rreadlink tag=1 target=a\0b", 26, P9_ERR_TXT_TRAILING, 24,
	    sizeof(scratch));

	/* Scratch: 3 bytes are needed, 2 are too few, even 0 for no escapes. */
	check_bad(esc, strlen(esc), P9_ERR_TXT_SCRATCH, 23, 2);
	check_bad(esc, strlen(esc), P9_ERR_TXT_SCRATCH, 23, 0);
	assert_int_equal(parse_noalloc(esc, strlen(esc), &m, 3, NULL), 0);
	check_bad(sc1, strlen(sc1), P9_ERR_TXT_SCRATCH, 17, 1);
	check_bad(sc2, strlen(sc2), P9_ERR_TXT_SCRATCH, 39, 1);

	/* 16 walk names parse, 17 do not; the error points at the 17th. */
	n = (size_t)snprintf(walk, sizeof(walk), "Twalk tag=1 fid=0 newfid=1 wname=[");
	for (i = 0; i < 17; i++) {
		if (i == 16)
			at17 = n + 1;
		n += (size_t)snprintf(walk + n, sizeof(walk) - n, "%sn%d", i ? "," : "", i);
	}
	n += (size_t)snprintf(walk + n, sizeof(walk) - n, "]");
	check_bad(walk, n, P9_ERR_TXT_VALUE, at17, sizeof(scratch));
	memcpy(walk + at17 - 1, "]", 2);
	assert_int_equal(parse_noalloc(walk, at17, &m, sizeof(scratch), NULL), 0);
	assert_int_equal(m.twalk.wname.n, 16);

	n = (size_t)snprintf(qids, sizeof(qids), "Rwalk tag=1 wqid=[");
	for (i = 0; i < 17; i++) {
		if (i == 16)
			at17 = n + 1;
		n += (size_t)snprintf(qids + n, sizeof(qids) - n, "%s(0x0,0,%d)", i ? "," : "", i);
	}
	n += (size_t)snprintf(qids + n, sizeof(qids) - n, "]");
	check_bad(qids, n, P9_ERR_TXT_VALUE, at17, sizeof(scratch));
	memcpy(qids + at17 - 1, "]", 2);
	assert_int_equal(parse_noalloc(qids, at17, &m, sizeof(scratch), NULL), 0);
	assert_int_equal(m.rwalk.wqid.n, 16);

	/* The text is len bytes, not a C string: a shorter len cuts it. */
	check_bad("Tclunk tag=1 fid=1", 17, P9_ERR_TXT_VALUE, 17, 0);
	assert_int_equal(p9_msg_parse(NULL, 0, &m, NULL, 0, NULL), P9_ERR_TXT_NAME);
}

/* A string of 65535 bytes is the longest a str can hold, bare or quoted. */
static void
t_long_strings(void **state)
{
	static const char head[] = "Rreadlink tag=1 target=";
	size_t hl = sizeof(head) - 1;
	char *t = malloc(hl + 65538);
	struct p9_msg m;

	(void)state;
	assert_non_null(t);
	memcpy(t, head, hl);
	memset(t + hl, 'a', 65538);
	check_bad(t, hl + 65536, P9_ERR_TXT_VALUE, hl, 0);
	assert_int_equal(parse_noalloc(t, hl + 65535, &m, 0, NULL), 0);
	assert_int_equal(m.rreadlink.target.len, 65535);
	assert_int_equal(print_noalloc(&m, NULL, 0), (long)(hl + 65535));

	t[hl] = '"';
	t[hl + 65537] = '"';
	check_bad(t, hl + 65538, P9_ERR_TXT_VALUE, hl, 0);
	t[hl + 65536] = '"';
	assert_int_equal(parse_noalloc(t, hl + 65537, &m, 0, NULL), 0);
	assert_int_equal(m.rreadlink.target.len, 65535);
	free(t);
}

static void
t_print_errors(void **state)
{
	struct p9_msg m;
	char buf[64];
	int t;

	(void)state;
	/* Every type the table does not define. */
	for (t = 0; t < 256; t++) {
		if (p9_type_name(t) != NULL)
			continue;
		memset(&m, 0, sizeof(m));
		m.type = (uint8_t)t;
		memset(buf, 'x', sizeof(buf));
		assert_int_equal(print_noalloc(&m, buf, sizeof(buf)), P9_ERR_TYPE);
		assert_int_equal(buf[0], '\0');
		assert_int_equal(print_noalloc(&m, NULL, 0), P9_ERR_TYPE);
	}

	memset(&m, 0, sizeof(m));
	m.type = P9_TWALK;
	m.twalk.wname.n = P9_MAXWELEM + 1;
	memset(buf, 'x', sizeof(buf));
	assert_int_equal(print_noalloc(&m, buf, sizeof(buf)), P9_ERR_NWNAME);
	assert_int_equal(buf[0], '\0');
	assert_int_equal(print_noalloc(&m, NULL, 0), P9_ERR_NWNAME);

	memset(&m, 0, sizeof(m));
	m.type = P9_RWALK;
	m.rwalk.wqid.n = UINT16_MAX;
	assert_int_equal(print_noalloc(&m, buf, sizeof(buf)), P9_ERR_NWQID);
	assert_int_equal(buf[0], '\0');

	/* A NUL in a str prints (as \x00, so a log shows it) but does not parse. */
	memset(&m, 0, sizeof(m));
	m.type = P9_RREADLINK;
	m.rreadlink.target.ptr = "a\0b";
	m.rreadlink.target.len = 3;
	assert_true(print_noalloc(&m, buf, sizeof(buf)) > 0);
	assert_string_equal(buf, "Rreadlink tag=0 target=\"a\\x00b\"");
}

/* snprintf semantics: every capacity from 0 to the full length + 1. */
static void
check_truncation(const struct p9_msg *m)
{
	static char full[LINE_MAX_], buf[LINE_MAX_ + 16];
	long n = print_noalloc(m, NULL, 0);
	size_t cap, want, i;

	assert_true(n > 0);
	assert_int_equal(print_noalloc(m, full, sizeof(full)), n);
	assert_int_equal(strlen(full), (size_t)n);
	for (cap = 0; cap <= (size_t)n + 1; cap++) {
		memset(buf, 0xa5, (size_t)n + 16);
		assert_int_equal(print_noalloc(m, buf, cap), n);
		for (i = cap; i < (size_t)n + 16; i++)
			assert_int_equal((uint8_t)buf[i], 0xa5);
		if (cap == 0)
			continue;
		want = (size_t)n < cap - 1 ? (size_t)n : cap - 1;
		assert_int_equal(buf[want], '\0');
		assert_memory_equal(buf, full, want);
	}
}

static void
t_snprintf_semantics(void **state)
{
	struct p9_msg m;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(canon) / sizeof(canon[0]); i++) {
		assert_int_equal(p9_msg_parse(canon[i], strlen(canon[i]), &m,
		    scratch, sizeof(scratch), NULL), 0);
		check_truncation(&m);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(t_roundtrip_every_row),
		cmocka_unit_test(t_canonical_lines),
		cmocka_unit_test(t_worked_bytes),
		cmocka_unit_test(t_noncanonical_accepted),
		cmocka_unit_test(t_views),
		cmocka_unit_test(t_parse_errors),
		cmocka_unit_test(t_parse_errors_special),
		cmocka_unit_test(t_long_strings),
		cmocka_unit_test(t_print_errors),
		cmocka_unit_test(t_snprintf_semantics),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
