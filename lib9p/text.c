/*
 * The one-line text form (grammar in TEXT.md): print and parse, expanded
 * from p9_msgs.def. Each field kind has one printer and one parser here;
 * the per-message functions are generated from the table rows, so nothing
 * in this file knows a layout.
 *
 * Both sides keep a sticky error like the wire cursors: a failing primitive
 * records the first error and where it happened, later ones do nothing,
 * and the generated code is a flat list of field calls.
 */
#include "p9_cursor.h"

/* Output: snprintf semantics. len counts every byte of the line, even the
 * ones that did not fit; at most cap - 1 are stored, leaving room for NUL. */
struct p9_out {
	char		*buf;
	size_t		 cap;
	size_t		 len;
	int		 err;
};

static void
out_put(struct p9_out *o, const char *s, size_t n)
{
	if (o->cap > 0 && o->len < o->cap - 1) {
		size_t room = o->cap - 1 - o->len;

		memcpy(o->buf + o->len, s, n < room ? n : room);
	}
	o->len += n;
}

static void
out_cstr(struct p9_out *o, const char *s)
{
	out_put(o, s, strlen(s));
}

static const char hexdig[] = "0123456789abcdef";

static void
out_num(struct p9_out *o, const char *prefix, uint64_t v, unsigned base)
{
	char d[24];
	size_t i = sizeof(d);

	do {
		d[--i] = hexdig[v % base];
		v /= base;
	} while (v != 0);
	out_cstr(o, prefix);
	out_put(o, d + i, sizeof(d) - i);
}

static void pr_u8(struct p9_out *o, const uint8_t *v) { out_num(o, "", *v, 10); }
static void pr_u16(struct p9_out *o, const uint16_t *v) { out_num(o, "", *v, 10); }
static void pr_u32(struct p9_out *o, const uint32_t *v) { out_num(o, "", *v, 10); }
static void pr_u64(struct p9_out *o, const uint64_t *v) { out_num(o, "", *v, 10); }
static void pr_opt32(struct p9_out *o, const uint32_t *v) { out_num(o, "", *v, 10); }
static void pr_fid(struct p9_out *o, const uint32_t *v) { out_num(o, "", *v, 10); }
static void pr_x32(struct p9_out *o, const uint32_t *v) { out_num(o, "0x", *v, 16); }
static void pr_x64(struct p9_out *o, const uint64_t *v) { out_num(o, "0x", *v, 16); }

/* Modes read best in octal; the leading 0 is C's marker, and 0 is just "0". */
static void
pr_o32(struct p9_out *o, const uint32_t *v)
{
	out_num(o, *v != 0 ? "0" : "", *v, 8);
}

/* Characters a string may hold and still print without quotes: none of
 * them is a delimiter of the grammar (space = , [ ] ( ) " \). */
/*@ assigns \nothing; */
static int
is_bare(uint8_t c)
{
	if ((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'))
		return 1;
	switch (c) {
	case '.': case '_': case '-': case '+': case '/': case ':': case '@':
	case '%': case '~':
		return 1;
	default:
		return 0;
	}
}

/*
 * The length of the well-formed UTF-8 sequence (2 to 4 bytes) starting at
 * p[0..n), with its code point in *cp; 0 if there is none. Overlong forms,
 * surrogates and code points above U+10FFFF are not well-formed.
 */
static size_t
utf8_seq(const uint8_t *p, size_t n, uint32_t *cp)
{
	static const uint32_t min[] = { 0, 0, 0x80, 0x800, 0x10000 };
	size_t k, i;
	uint32_t c;

	if ((p[0] & 0xe0) == 0xc0) {
		k = 2;
		c = p[0] & 0x1f;
	} else if ((p[0] & 0xf0) == 0xe0) {
		k = 3;
		c = p[0] & 0x0f;
	} else if ((p[0] & 0xf8) == 0xf0) {
		k = 4;
		c = p[0] & 0x07;
	} else
		return 0;
	if (k > n)
		return 0;
	for (i = 1; i < k; i++) {
		if ((p[i] & 0xc0) != 0x80)
			return 0;
		c = c << 6 | (p[i] & 0x3f);
	}
	if (c < min[k] || c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff))
		return 0;
	*cp = c;
	return k;
}

/*
 * A quoted string. Raw bytes are only printable ASCII and well-formed
 * UTF-8 that no line-splitting rule treats as a break: C1 controls (NEL
 * is U+0085) and U+2028/U+2029 are escaped byte by byte, so one message
 * is one line whoever reads it.
 */
static void
out_quoted(struct p9_out *o, const uint8_t *p, size_t n)
{
	size_t i = 0, k;
	uint32_t cp;
	char esc[4];

	out_put(o, "\"", 1);
	while (i < n) {
		uint8_t c = p[i];

		if (c == '"' || c == '\\') {
			esc[0] = '\\';
			esc[1] = (char)c;
			out_put(o, esc, 2);
		} else if (c == '\n')
			out_put(o, "\\n", 2);
		else if (c == '\t')
			out_put(o, "\\t", 2);
		else if (c == '\r')
			out_put(o, "\\r", 2);
		else if (c >= 0x20 && c < 0x7f)
			out_put(o, (const char *)p + i, 1);
		else if ((k = utf8_seq(p + i, n - i, &cp)) != 0 &&
		    !(cp >= 0x80 && cp <= 0x9f) && cp != 0x2028 && cp != 0x2029) {
			out_put(o, (const char *)p + i, k);
			i += k;
			continue;
		} else {
			esc[0] = '\\';
			esc[1] = 'x';
			esc[2] = hexdig[c >> 4];
			esc[3] = hexdig[c & 0xf];
			out_put(o, esc, 4);
		}
		i++;
	}
	out_put(o, "\"", 1);
}

static void
pr_str(struct p9_out *o, const struct p9_str *v)
{
	const uint8_t *p = (const uint8_t *)v->ptr;
	uint16_t i;

	for (i = 0; i < v->len && is_bare(p[i]); i++)
		;
	if (v->len > 0 && i == v->len)
		out_put(o, v->ptr, v->len);
	else
		out_quoted(o, p, v->len);
}

static void
pr_data(struct p9_out *o, const struct p9_data *v)
{
	out_quoted(o, v->ptr, v->len);
}

static void
pr_qid(struct p9_out *o, const struct p9_qid *v)
{
	out_num(o, "(0x", v->type, 16);
	out_num(o, ",", v->version, 10);
	out_num(o, ",", v->path, 10);
	out_put(o, ")", 1);
}

static void
pr_strs(struct p9_out *o, const struct p9_strs *v)
{
	uint16_t i;

	if (v->n > P9_MAXWELEM) {
		if (o->err == 0)
			o->err = P9_ERR_NWNAME;
		return;
	}
	out_put(o, "[", 1);
	for (i = 0; i < v->n; i++) {
		if (i > 0)
			out_put(o, ",", 1);
		pr_str(o, &v->s[i]);
	}
	out_put(o, "]", 1);
}

static void
pr_qids(struct p9_out *o, const struct p9_qids *v)
{
	uint16_t i;

	if (v->n > P9_MAXWELEM) {
		if (o->err == 0)
			o->err = P9_ERR_NWQID;
		return;
	}
	out_put(o, "[", 1);
	for (i = 0; i < v->n; i++) {
		if (i > 0)
			out_put(o, ",", 1);
		pr_qid(o, &v->q[i]);
	}
	out_put(o, "]", 1);
}

/* Rlerror's ecode is followed by its name when Linux defines one:
 * "ecode=2(ENOENT)" (TEXT.md). */
static void
pr_errno_name(struct p9_out *o, uint32_t ecode)
{
	const char *name = p9_errno_name(ecode);

	if (name != NULL) {
		out_put(o, "(", 1);
		out_cstr(o, name);
		out_put(o, ")", 1);
	}
}

/* Per-message printers. */
#define F(kind, name)	out_cstr(o, " " #name "="); pr_##kind(o, &m->name);
#define P9_PAIR(UP, lo, num, tf, rf) \
	static void pr_t##lo(struct p9_out *o, const struct p9_msg *msg) \
	    { const struct p9_t##lo *m = &msg->t##lo; (void)o; (void)m; tf } \
	static void pr_r##lo(struct p9_out *o, const struct p9_msg *msg) \
	    { const struct p9_r##lo *m = &msg->r##lo; (void)o; (void)m; rf }
#define P9_RONLY(UP, lo, num, rf) \
	static void pr_r##lo(struct p9_out *o, const struct p9_msg *msg) \
	    { const struct p9_r##lo *m = &msg->r##lo; (void)o; (void)m; rf }
#include "p9_msgs.def"
#undef P9_PAIR
#undef P9_RONLY
#undef F

static void (*const printers[256])(struct p9_out *, const struct p9_msg *) = {
#define P9_PAIR(UP, lo, num, tf, rf)	[(num)] = pr_t##lo, [(num) + 1] = pr_r##lo,
#define P9_RONLY(UP, lo, num, rf)	[(num)] = pr_r##lo,
#include "p9_msgs.def"
#undef P9_PAIR
#undef P9_RONLY
};

long
p9_msg_print(const struct p9_msg *m, char *buf, size_t cap)
{
	struct p9_out o = { .buf = buf, .cap = cap };

	if (cap > 0)
		buf[0] = '\0';
	if (printers[m->type] == NULL)
		return P9_ERR_TYPE;
	out_cstr(&o, p9_type_name(m->type));
	out_num(&o, " tag=", m->tag, 10);
	printers[m->type](&o, m);
	if (m->type == P9_RLERROR)
		pr_errno_name(&o, m->rlerror.ecode);
	if (o.err != 0) {
		if (cap > 0)
			buf[0] = '\0';
		return o.err;
	}
	if (cap > 0)
		buf[o.len < cap ? o.len : cap - 1] = '\0';
	return (long)o.len;
}

/* Input: the text, a sticky error, and the scratch area for unescaped bytes. */
struct p9_in {
	const char	*s;
	size_t		 len;
	size_t		 pos;		/* invariant: pos <= len */
	int		 err;
	size_t		 err_pos;
	uint8_t		*scratch;
	size_t		 scratch_len;
	size_t		 scratch_used;
	int		 dirents;	/* Rreaddir: data must be whole dirents */
};

/*
 * ACSL contracts of the parser's helpers, proven with Frama-C/WP
 * (proofs/README.md); comments only, the compiled code is unchanged.
 * A valid input: the struct is writable, pos <= len, the text s[0..len)
 * is readable, scratch[0..scratch_len) writable with scratch_used inside
 * it, and the three do not overlap. Every helper keeps it valid; s, len,
 * scratch and scratch_len never change (no assigns clause names them).
 * pos never goes back, and once err is set, err, err_pos and pos stay.
 */
/*@ predicate p9_in_ok(struct p9_in *in) =
	\valid(in) && in->pos <= in->len &&
	\valid_read(in->s + (0 .. in->len - 1)) &&
	in->scratch_used <= in->scratch_len &&
	\valid(in->scratch + (0 .. in->scratch_len - 1)) &&
	\separated(in, in->s + (0 .. in->len - 1),
	    in->scratch + (0 .. in->scratch_len - 1));

    predicate p9_in_kept{L1, L2}(struct p9_in *in) =
	\at(in->pos, L1) <= \at(in->pos, L2) &&
	\at(in->scratch_used, L1) <= \at(in->scratch_used, L2) &&
	(\at(in->err, L1) != 0 ==>
	    \at(in->err, L2) == \at(in->err, L1) &&
	    \at(in->err_pos, L2) == \at(in->err_pos, L1) &&
	    \at(in->pos, L2) == \at(in->pos, L1));

    predicate p9_in_out{L}(struct p9_in *in, void *v, integer size) =
	\valid((char *)v + (0 .. size - 1)) &&
	\separated((char *)v + (0 .. size - 1), in, in->s + (0 .. in->len - 1),
	    in->scratch + (0 .. in->scratch_len - 1));
*/

/*@ requires \valid(in) && err != 0;
    assigns in->err, in->err_pos;
    ensures in->err != 0;
    ensures \old(in->err) != 0 ==>
	in->err == \old(in->err) && in->err_pos == \old(in->err_pos);
    ensures \old(in->err) == 0 ==> in->err == err && in->err_pos == at;
*/
static void
in_fail(struct p9_in *in, int err, size_t at)
{
	if (in->err == 0) {
		in->err = err;
		in->err_pos = at;
	}
}

/* Take c if it is next; otherwise fail with err where c was expected. */
/*@ requires p9_in_ok(in) && err != 0;
    assigns in->pos, in->err, in->err_pos;
    ensures p9_in_ok(in) && p9_in_kept{Pre, Post}(in);
    ensures \result != 0 ==> \old(in->err) == 0 && in->err == 0 &&
	in->pos == \old(in->pos) + 1;
    ensures \result == 0 ==> in->err != 0;
*/
static int
in_expect(struct p9_in *in, char c, int err)
{
	if (in->err != 0)
		return 0;
	if (in->pos == in->len || in->s[in->pos] != c) {
		in_fail(in, err, in->pos);
		return 0;
	}
	in->pos++;
	return 1;
}

/*@ assigns \nothing;
    ensures -1 <= \result <= 35;
*/
static int
digit_value(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'Z')
		return c - 'A' + 10;
	return -1;
}

/*
 * A number: the maximal run of letters and digits, read as decimal,
 * 0x/0X hex or leading-0 octal, at most max. No signs or spaces (what
 * strtoull would quietly take). Errors point at the number's first byte.
 */
/*@ requires p9_in_ok(in);
    assigns in->pos, in->err, in->err_pos;
    ensures p9_in_ok(in) && p9_in_kept{Pre, Post}(in);
*/
static uint64_t
pa_num(struct p9_in *in, uint64_t max)
{
	size_t at = in->pos, end = in->pos, i;
	unsigned base = 10;
	uint64_t v = 0;

	if (in->err != 0)
		return 0;
	/*@ loop invariant at <= end <= in->len;
	    loop assigns end;
	    loop variant in->len - end;
	*/
	while (end < in->len && digit_value(in->s[end]) >= 0)
		end++;
	i = at;
	if (end - at >= 2 && in->s[at] == '0' &&
	    (in->s[at + 1] == 'x' || in->s[at + 1] == 'X')) {
		base = 16;
		i += 2;
	} else if (end - at >= 2 && in->s[at] == '0') {
		base = 8;
		i++;
	}
	if (i == end)
		goto bad;
	/*@ loop invariant at <= i <= end;
	    loop assigns i, v;
	    loop variant end - i;
	*/
	for (; i < end; i++) {
		int d = digit_value(in->s[i]);

		if (d < 0 || (unsigned)d >= base || v > (max - (unsigned)d) / base)
			goto bad;
		v = v * base + (unsigned)d;
	}
	in->pos = end;
	return v;
bad:
	in_fail(in, P9_ERR_TXT_VALUE, at);
	return 0;
}

/*@ requires p9_in_ok(in) && \valid(v) && \separated(v, in);
    assigns in->pos, in->err, in->err_pos, *v;
    ensures p9_in_ok(in) && p9_in_kept{Pre, Post}(in);
*/
static void pa_u8(struct p9_in *in, uint8_t *v) { *v = (uint8_t)pa_num(in, UINT8_MAX); }
static void pa_u16(struct p9_in *in, uint16_t *v) { *v = (uint16_t)pa_num(in, UINT16_MAX); }
static void pa_u32(struct p9_in *in, uint32_t *v) { *v = (uint32_t)pa_num(in, UINT32_MAX); }
static void pa_u64(struct p9_in *in, uint64_t *v) { *v = pa_num(in, UINT64_MAX); }
static void pa_x32(struct p9_in *in, uint32_t *v) { pa_u32(in, v); }
static void pa_fid(struct p9_in *in, uint32_t *v) { pa_u32(in, v); }
static void pa_x64(struct p9_in *in, uint64_t *v) { pa_u64(in, v); }
static void pa_o32(struct p9_in *in, uint32_t *v) { pa_u32(in, v); }
static void pa_opt32(struct p9_in *in, uint32_t *v) { pa_u32(in, v); }

/*
 * One escape at s[i] (a backslash). Returns its length and the byte it
 * stands for in *b, or 0 if it is not one of \\ \" \n \t \r \xHH.
 */
/*@ requires i < len && \valid_read(s + (0 .. len - 1));
    requires \valid(b) && \separated(b, s + (0 .. len - 1));
    assigns *b;
    ensures \result == 0 || (2 <= \result <= len - i);
*/
static size_t
unescape(const char *s, size_t len, size_t i, uint8_t *b)
{
	int hi, lo;

	if (len - i < 2)
		return 0;
	switch (s[i + 1]) {
	case '\\':
	case '"':
		*b = (uint8_t)s[i + 1];
		return 2;
	case 'n':
		*b = '\n';
		return 2;
	case 't':
		*b = '\t';
		return 2;
	case 'r':
		*b = '\r';
		return 2;
	case 'x':
		if (len - i < 4)
			return 0;
		hi = digit_value(s[i + 2]);
		lo = digit_value(s[i + 3]);
		if (hi < 0 || hi > 15 || lo < 0 || lo > 15)
			return 0;
		*b = (uint8_t)((unsigned)hi << 4 | (unsigned)lo);
		return 4;
	default:
		return 0;
	}
}

/*
 * Step through the bytes of a quoted value from s[*pos] (after its opening
 * quote), each a raw byte or an escape, storing them in out[] unless out
 * is NULL. Stops at the closing quote, at the end of the text, or after
 * limit bytes, with *pos where it stopped and *cnt the bytes stepped over;
 * returns 0 then. Returns P9_ERR_TXT_ESCAPE for a bad escape and, unless
 * nul_ok, P9_ERR_NUL for a NUL byte, with *pos at it.
 */
/*@ requires \valid(pos) && \valid(cnt) && *pos <= len;
    requires \valid_read(s + (0 .. len - 1));
    requires \separated(pos, cnt, s + (0 .. len - 1));
    requires out == \null || (\valid(out + (0 .. limit - 1)) &&
	\separated(out + (0 .. limit - 1), pos, cnt, s + (0 .. len - 1)));
    assigns *pos, *cnt, out[0 .. (out == \null ? -1 : limit - 1)];
    ensures \old(*pos) <= *pos <= len;
    ensures *cnt <= limit && *cnt <= *pos - \old(*pos);
    ensures \result == 0 ==> *pos == len || s[*pos] == '"' || *cnt == limit;
    ensures \result != 0 ==> *pos < len;
*/
static int
qscan(const char *s, size_t len, size_t *pos, size_t limit, int nul_ok,
    uint8_t *out, size_t *cnt)
{
	size_t i = *pos, n = 0, k;
	uint8_t b;
	int err = 0;

	/*@ loop invariant \at(*pos, Pre) <= i <= len;
	    loop invariant n <= limit && n <= i - \at(*pos, Pre);
	    loop invariant err == 0;
	    loop assigns i, n, k, b, err, out[0 .. (out == \null ? -1 : limit - 1)];
	    loop variant len - i;
	*/
	while (n < limit && i < len && s[i] != '"') {
		k = 1;
		b = (uint8_t)s[i];
		if (b == '\\' && (k = unescape(s, len, i, &b)) == 0) {
			err = P9_ERR_TXT_ESCAPE;
			break;
		}
		if (b == 0 && !nul_ok) {
			err = P9_ERR_NUL;
			break;
		}
		if (out != NULL)
			out[n] = b;
		i += k;
		n++;
	}
	*pos = i;
	*cnt = n;
	return err;
}

/*
 * A quoted string at in->pos, its bytes in *ptr and *n. Without escapes the
 * view points into the text; otherwise the bytes are unescaped into the
 * scratch area. The first pass finds the end, checks every escape and
 * counts, so scratch is used only when the whole value is good. A str
 * (nul_ok == 0) may not hold NUL; max bounds the count.
 */
/*@ requires p9_in_ok(in) && \valid(ptr) && \valid(n);
    requires \separated(ptr, n, in, in->s + (0 .. in->len - 1),
	in->scratch + (0 .. in->scratch_len - 1));
    assigns in->pos, in->err, in->err_pos, in->scratch_used,
	in->scratch[0 .. in->scratch_len - 1], *ptr, *n;
    ensures p9_in_ok(in) && p9_in_kept{Pre, Post}(in);
    ensures *n <= max && \valid_read(*ptr + (0 .. *n - 1));
    ensures in->err == 0 ==> \old(in->pos) < in->pos;
*/
static void
pa_quoted(struct p9_in *in, int nul_ok, size_t max, const uint8_t **ptr, size_t *n)
{
	size_t q = in->pos, i, cnt, end, done;
	int err;
	uint8_t *out;

	*ptr = (const uint8_t *)"";
	*n = 0;
	if (!in_expect(in, '"', P9_ERR_TXT_VALUE))
		return;
	i = q + 1;
	err = qscan(in->s, in->len, &i, SIZE_MAX, nul_ok, NULL, &cnt);
	if (err != 0) {
		in_fail(in, err, i);
		return;
	}
	if (i == in->len) {
		in_fail(in, P9_ERR_TXT_ESCAPE, q);
		return;
	}
	if (cnt > max) {
		in_fail(in, P9_ERR_TXT_VALUE, q);
		return;
	}
	in->pos = i + 1;
	if (i - (q + 1) == cnt) {	/* no escape: every byte stands for itself */
		*ptr = (const uint8_t *)in->s + q + 1;
		*n = cnt;
		return;
	}
	if (cnt > in->scratch_len - in->scratch_used) {
		in_fail(in, P9_ERR_TXT_SCRATCH, q);
		return;
	}
	out = in->scratch + in->scratch_used;
	*ptr = out;
	*n = cnt;
	in->scratch_used += cnt;
	/* The same steps again, storing the cnt bytes; no error this time. */
	end = q + 1;
	(void)qscan(in->s, in->len, &end, cnt, nul_ok, out, &done);
}

/*@ requires p9_in_ok(in) && p9_in_out(in, v, sizeof(struct p9_str));
    assigns in->pos, in->err, in->err_pos, in->scratch_used,
	in->scratch[0 .. in->scratch_len - 1], *v;
    ensures p9_in_ok(in) && p9_in_kept{Pre, Post}(in);
    ensures \initialized(&v->ptr) && \initialized(&v->len);
    ensures \valid_read(v->ptr + (0 .. v->len - 1));
*/
static void
pa_str(struct p9_in *in, struct p9_str *v)
{
	size_t at = in->pos, end = in->pos, n;
	const uint8_t *p;

	v->ptr = "";
	v->len = 0;
	if (in->err != 0)
		return;
	if (at < in->len && in->s[at] == '"') {
		pa_quoted(in, 0, UINT16_MAX, &p, &n);
		v->ptr = (const char *)p;
		v->len = (uint16_t)n;
		return;
	}
	/*@ loop invariant at <= end <= in->len;
	    loop assigns end;
	    loop variant in->len - end;
	*/
	while (end < in->len && is_bare((uint8_t)in->s[end]))
		end++;
	if (end == at || end - at > UINT16_MAX) {
		in_fail(in, P9_ERR_TXT_VALUE, at);
		return;
	}
	v->ptr = in->s + at;
	v->len = (uint16_t)(end - at);
	in->pos = end;
}

/*
 * Rreaddir's data (parsed, its opening quote at q) must be whole dirents
 * with no NUL in a name, as encode and decode want it. The error points at
 * the text of the byte the decoder names (for a NUL, the NUL itself, as in
 * a str), found by stepping through the quoted value again: it parsed, so
 * every escape in it is good.
 */
/*@ requires p9_in_ok(in) && \valid_read(v);
    requires \valid_read(v->ptr + (0 .. v->len - 1));
    requires in->err == 0 ==> q < in->len;
    assigns in->err, in->err_pos;
    ensures p9_in_ok(in) && p9_in_kept{Pre, Post}(in);
*/
static void
pa_dirents(struct p9_in *in, const struct p9_data *v, size_t q)
{
	size_t at, i, n;
	int err;

	if (in->err != 0)
		return;
	err = p9_dirents_check(v->ptr, v->len, &at);
	if (err == 0)
		return;
	if (err == P9_ERR_NUL) {
		/* at is the name's length field; the first NUL after it lies
		 * in the name (the checker found one there). */
		at += 2;
		at += (size_t)((const uint8_t *)memchr(v->ptr + at, 0, v->len - at) -
		    (v->ptr + at));
	}
	i = q + 1;
	(void)qscan(in->s, in->len, &i, at, 1, NULL, &n);
	in_fail(in, err, i);
}

/*@ requires p9_in_ok(in) && p9_in_out(in, v, sizeof(struct p9_data));
    assigns in->pos, in->err, in->err_pos, in->scratch_used,
	in->scratch[0 .. in->scratch_len - 1], *v;
    ensures p9_in_ok(in) && p9_in_kept{Pre, Post}(in);
    ensures \initialized(&v->ptr) && \initialized(&v->len);
    ensures \valid_read(v->ptr + (0 .. v->len - 1));
*/
static void
pa_data(struct p9_in *in, struct p9_data *v)
{
	size_t q = in->pos, n;
	const uint8_t *p;

	pa_quoted(in, 1, UINT32_MAX, &p, &n);
	v->ptr = p;
	v->len = (uint32_t)n;
	if (in->dirents)
		pa_dirents(in, v, q);
}

/*@ requires p9_in_ok(in) && p9_in_out(in, v, sizeof(struct p9_qid));
    assigns in->pos, in->err, in->err_pos, *v;
    ensures p9_in_ok(in) && p9_in_kept{Pre, Post}(in);
*/
static void
pa_qid(struct p9_in *in, struct p9_qid *v)
{
	in_expect(in, '(', P9_ERR_TXT_VALUE);
	v->type = (uint8_t)pa_num(in, UINT8_MAX);
	in_expect(in, ',', P9_ERR_TXT_VALUE);
	v->version = (uint32_t)pa_num(in, UINT32_MAX);
	in_expect(in, ',', P9_ERR_TXT_VALUE);
	v->path = pa_num(in, UINT64_MAX);
	in_expect(in, ')', P9_ERR_TXT_VALUE);
}

/*
 * Lists (strs, qids): "[" item ("," item)* "]" or "[]", at most
 * P9_MAXWELEM items as on the wire. Called before item i; consumes the
 * separator and returns 1 if item i follows, 0 at the end or on error.
 */
/*@ requires p9_in_ok(in) && i <= P9_MAXWELEM;
    assigns in->pos, in->err, in->err_pos;
    ensures p9_in_ok(in) && p9_in_kept{Pre, Post}(in);
    ensures \result != 0 ==> i < P9_MAXWELEM;
*/
static int
pa_list_next(struct p9_in *in, uint16_t i)
{
	if (i == 0 && !in_expect(in, '[', P9_ERR_TXT_VALUE))
		return 0;
	if (in->err != 0)
		return 0;
	if (in->pos < in->len && in->s[in->pos] == ']') {
		in->pos++;
		return 0;
	}
	if (i > 0 && !in_expect(in, ',', P9_ERR_TXT_VALUE))
		return 0;
	if (i == P9_MAXWELEM) {
		in_fail(in, P9_ERR_TXT_VALUE, in->pos);
		return 0;
	}
	return 1;
}

/*@ requires p9_in_ok(in) && p9_in_out(in, v, sizeof(struct p9_strs));
    assigns in->pos, in->err, in->err_pos, in->scratch_used,
	in->scratch[0 .. in->scratch_len - 1], *v;
    ensures p9_in_ok(in) && p9_in_kept{Pre, Post}(in);
    ensures v->n <= P9_MAXWELEM;
*/
static void
pa_strs(struct p9_in *in, struct p9_strs *v)
{
	uint16_t i;

	/*@ loop invariant 0 <= i <= P9_MAXWELEM;
	    loop invariant p9_in_ok(in) && p9_in_kept{Pre, Here}(in);
	    loop assigns i, in->pos, in->err, in->err_pos, in->scratch_used,
		in->scratch[0 .. in->scratch_len - 1], v->s[0 .. P9_MAXWELEM - 1];
	    loop variant P9_MAXWELEM - i;
	*/
	for (i = 0; pa_list_next(in, i); i++)
		pa_str(in, &v->s[i]);
	v->n = in->err == 0 ? i : 0;
}

/*@ requires p9_in_ok(in) && p9_in_out(in, v, sizeof(struct p9_qids));
    assigns in->pos, in->err, in->err_pos, *v;
    ensures p9_in_ok(in) && p9_in_kept{Pre, Post}(in);
    ensures v->n <= P9_MAXWELEM;
*/
static void
pa_qids(struct p9_in *in, struct p9_qids *v)
{
	uint16_t i;

	/*@ loop invariant 0 <= i <= P9_MAXWELEM;
	    loop invariant p9_in_ok(in) && p9_in_kept{Pre, Here}(in);
	    loop assigns i, in->pos, in->err, in->err_pos, v->q[0 .. P9_MAXWELEM - 1];
	    loop variant P9_MAXWELEM - i;
	*/
	for (i = 0; pa_list_next(in, i); i++)
		pa_qid(in, &v->q[i]);
	v->n = in->err == 0 ? i : 0;
}

/* " name=": a single space, then this field's name (n bytes), in table order. */
/*@ requires p9_in_ok(in) && \valid_read(name + (0 .. n - 1));
    assigns in->pos, in->err, in->err_pos;
    ensures p9_in_ok(in) && p9_in_kept{Pre, Post}(in);
*/
static void
pa_field(struct p9_in *in, const char *name, size_t n)
{
	if (!in_expect(in, ' ', P9_ERR_TXT_FIELD))
		return;
	if (in->len - in->pos <= n || memcmp(in->s + in->pos, name, n) != 0 ||
	    in->s[in->pos + n] != '=') {
		in_fail(in, P9_ERR_TXT_FIELD, in->pos);
		return;
	}
	in->pos += n + 1;
}

/* After Rlerror's ecode, an optional "(NAME)": NAME must be the name
 * p9_errno_name gives that value, nothing else. */
/*@ requires p9_in_ok(in);
    assigns in->pos, in->err, in->err_pos;
    ensures p9_in_ok(in) && p9_in_kept{Pre, Post}(in);
*/
static void
pa_errno_name(struct p9_in *in, uint32_t ecode)
{
	const char *name = p9_errno_name(ecode);
	size_t start, n;

	if (in->err != 0 || in->pos >= in->len || in->s[in->pos] != '(')
		return;
	start = ++in->pos;
	/*@ loop invariant start <= in->pos <= in->len;
	    loop assigns in->pos;
	    loop variant in->len - in->pos;
	*/
	while (in->pos < in->len && in->s[in->pos] != ')')
		in->pos++;
	n = in->pos - start;
	if (in->pos == in->len || name == NULL || strlen(name) != n ||
	    memcmp(in->s + start, name, n) != 0) {
		in_fail(in, P9_ERR_TXT_VALUE, start);
		return;
	}
	in->pos++;
}

/* Per-message parsers. */
#define F(kind, name)	pa_field(in, #name, sizeof(#name) - 1); pa_##kind(in, &m->name);
#define P9_PAIR(UP, lo, num, tf, rf) \
	static void pa_t##lo(struct p9_in *in, struct p9_msg *msg) \
	    { struct p9_t##lo *m = &msg->t##lo; (void)in; (void)m; tf } \
	static void pa_r##lo(struct p9_in *in, struct p9_msg *msg) \
	    { struct p9_r##lo *m = &msg->r##lo; (void)in; (void)m; rf }
#define P9_RONLY(UP, lo, num, rf) \
	static void pa_r##lo(struct p9_in *in, struct p9_msg *msg) \
	    { struct p9_r##lo *m = &msg->r##lo; (void)in; (void)m; rf }
#include "p9_msgs.def"
#undef P9_PAIR
#undef P9_RONLY
#undef F

/* The fields after the tag, by m->type (one the table defines). */
static void
pa_body(struct p9_in *in, struct p9_msg *m)
{
	switch (m->type) {
#define P9_PAIR(UP, lo, num, tf, rf) \
	case P9_T##UP: pa_t##lo(in, m); break; \
	case P9_R##UP: pa_r##lo(in, m); break;
#define P9_RONLY(UP, lo, num, rf) \
	case P9_R##UP: pa_r##lo(in, m); break;
#include "p9_msgs.def"
#undef P9_PAIR
#undef P9_RONLY
	}
}

int
p9_msg_parse(const char *text, size_t len, struct p9_msg *m, uint8_t *scratch,
    size_t scratch_len, size_t *errpos)
{
	struct p9_in in = { .s = text, .len = len, .scratch = scratch,
	    .scratch_len = scratch_len };
	size_t n = 0;
	int type;

	memset(m, 0, sizeof(*m));
	while (n < len && text[n] != ' ')
		n++;
	type = p9_type_from_name(text, n);
	if (type < 0)
		in_fail(&in, P9_ERR_TXT_NAME, 0);
	else {
		in.pos = n;
		in.dirents = type == P9_RREADDIR;
		m->type = (uint8_t)type;
		pa_field(&in, "tag", sizeof("tag") - 1);
		m->tag = (uint16_t)pa_num(&in, UINT16_MAX);
		pa_body(&in, m);
		if (type == P9_RLERROR)
			pa_errno_name(&in, m->rlerror.ecode);
		if (in.err == 0 && in.pos != in.len)
			in_fail(&in, P9_ERR_TXT_TRAILING, in.pos);
	}
	if (errpos != NULL)
		*errpos = in.err != 0 ? in.err_pos : 0;
	return in.err;
}
