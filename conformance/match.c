/*
 * The trace pattern matcher. An expected line is a message line in lib9p's
 * text form in which a field's "=value" may be replaced by a pattern
 * (README.md, "Patterns"). It is split into name + fields and compared
 * field by field with the received message as lib9p prints it; the field
 * kinds come from p9_msgs.def.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conform.h"

enum fkind { FK_NUM, FK_QID, FK_STR, FK_DATA, FK_STRS, FK_QIDS };

#define FK_u8	FK_NUM
#define FK_u16	FK_NUM
#define FK_u32	FK_NUM
#define FK_u64	FK_NUM
#define FK_x32	FK_NUM
#define FK_fid	FK_NUM
#define FK_x64	FK_NUM
#define FK_o32	FK_NUM
#define FK_opt32 FK_NUM
#define FK_str	FK_STR
#define FK_qid	FK_QID
#define FK_data	FK_DATA
#define FK_strs	FK_STRS
#define FK_qids	FK_QIDS

struct fdesc {
	const char	*name;
	enum fkind	 kind;
};

#define F(kind, name)	{ #name, FK_##kind },
#define P9_PAIR(UP, lo, num, tf, rf) \
	static const struct fdesc fd_t##lo[] = { { "tag", FK_NUM }, tf }; \
	static const struct fdesc fd_r##lo[] = { { "tag", FK_NUM }, rf };
#define P9_RONLY(UP, lo, num, rf) \
	static const struct fdesc fd_r##lo[] = { { "tag", FK_NUM }, rf };
#include "p9_msgs.def"
#undef P9_PAIR
#undef P9_RONLY
#undef F

struct mdesc {
	int			 type;
	const struct fdesc	*f;
	size_t			 n;
};

static const struct mdesc mdescs[] = {
#define P9_PAIR(UP, lo, num, tf, rf) \
	{ P9_T##UP, fd_t##lo, sizeof(fd_t##lo) / sizeof(fd_t##lo[0]) }, \
	{ P9_R##UP, fd_r##lo, sizeof(fd_r##lo) / sizeof(fd_r##lo[0]) },
#define P9_RONLY(UP, lo, num, rf) \
	{ P9_R##UP, fd_r##lo, sizeof(fd_r##lo) / sizeof(fd_r##lo[0]) },
#include "p9_msgs.def"
#undef P9_PAIR
#undef P9_RONLY
};

static const struct mdesc *
mdesc_of(int type)
{
	for (size_t i = 0; i < sizeof(mdescs) / sizeof(mdescs[0]); i++)
		if (mdescs[i].type == type)
			return &mdescs[i];
	return NULL;
}

/* --- variables -------------------------------------------------------------- */

const char *
cf_var_get(const struct cf_vars *v, const char *name, size_t len)
{
	for (int i = 0; i < v->n; i++)
		if (strlen(v->name[i]) == len && memcmp(v->name[i], name, len) == 0)
			return v->val[i];
	return NULL;
}

void
cf_var_set(struct cf_vars *v, const char *name, size_t len, const char *val, size_t vlen)
{
	int i;

	for (i = 0; i < v->n; i++)
		if (strlen(v->name[i]) == len && memcmp(v->name[i], name, len) == 0)
			break;
	if (i == v->n) {
		if (v->n == CF_MAXVARS)
			return;
		v->name[i] = strndup(name, len);
		v->n++;
	} else {
		free(v->val[i]);
	}
	v->val[i] = strndup(val, vlen);
}

static void
vars_truncate(struct cf_vars *v, int n)
{
	while (v->n > n) {
		v->n--;
		free(v->name[v->n]);
		free(v->val[v->n]);
	}
}

void
cf_vars_free(struct cf_vars *v)
{
	vars_truncate(v, 0);
}

/* --- a growing string ------------------------------------------------------- */

struct sb {
	char	*p;
	size_t	 len, cap;
	int	 oom;
};

static void
sb_add(struct sb *b, const char *s, size_t n)
{
	if (b->oom)
		return;
	if (b->len + n + 1 > b->cap) {
		size_t cap = b->cap ? b->cap : 256;
		char *p;

		while (cap < b->len + n + 1)
			cap *= 2;
		p = realloc(b->p, cap);
		if (p == NULL) {
			b->oom = 1;
			return;
		}
		b->p = p;
		b->cap = cap;
	}
	memcpy(b->p + b->len, s, n);
	b->len += n;
	b->p[b->len] = '\0';
}

static bool
is_name_char(int c)
{
	return isalnum(c) || c == '_';
}

/* Skip a quoted string starting at s[i] == '"'; returns the index after it. */
static size_t
skip_quoted(const char *s, size_t i, size_t n)
{
	for (i++; i < n && s[i] != '"'; i++)
		if (s[i] == '\\' && i + 1 < n)
			i++;
	return i < n ? i + 1 : n;
}

static char *
expand_vars(const char *line, const struct cf_vars *v, bool keep_unbound, const char **err)
{
	struct sb b = { 0 };
	size_t n = strlen(line), i = 0;

	sb_add(&b, "", 0);
	while (i < n) {
		if (line[i] == '"') {
			size_t j = skip_quoted(line, i, n);

			sb_add(&b, line + i, j - i);
			i = j;
		} else if (line[i] == '$' && i + 1 < n && line[i + 1] == '(') {
			/* $(name+N) / $(name-N) / $(name) */
			size_t j = i + 2, k;
			const char *val;
			long long add = 0;
			char num[32];

			while (j < n && is_name_char((unsigned char)line[j]))
				j++;
			val = cf_var_get(v, line + i + 2, j - i - 2);
			k = j;
			if (k < n && (line[k] == '+' || line[k] == '-')) {
				char *end;

				add = strtoll(line + k + 1, &end, 0);
				if (line[k] == '-')
					add = -add;
				k = (size_t)(end - line);
			}
			if (k >= n || line[k] != ')' || val == NULL) {
				*err = val == NULL ? "unbound variable in $(...)" : "bad $(...)";
				free(b.p);
				return NULL;
			}
			snprintf(num, sizeof(num), "%llu",
			    (unsigned long long)(strtoull(val, NULL, 0) + (unsigned long long)add));
			sb_add(&b, num, strlen(num));
			i = k + 1;
		} else if (line[i] == '$' && i + 1 < n && is_name_char((unsigned char)line[i + 1])) {
			size_t j = i + 1;
			const char *val;

			while (j < n && is_name_char((unsigned char)line[j]))
				j++;
			val = cf_var_get(v, line + i + 1, j - i - 1);
			if (val != NULL) {
				sb_add(&b, val, strlen(val));
			} else if (keep_unbound) {
				sb_add(&b, line + i, j - i);
			} else {
				*err = "unbound variable";
				free(b.p);
				return NULL;
			}
			i = j;
		} else {
			sb_add(&b, line + i, 1);
			i++;
		}
	}
	if (b.oom) {
		free(b.p);
		*err = "out of memory";
		return NULL;
	}
	return b.p;
}

static char *
expand_fill(char *s, const char **err)
{
	struct sb b = { 0 };
	size_t n = strlen(s), i = 0;

	sb_add(&b, "", 0);
	while (i < n) {
		if (s[i] == '"') {
			size_t j = skip_quoted(s, i, n);

			sb_add(&b, s + i, j - i);
			i = j;
		} else if (strncmp(s + i, "fill(", 5) == 0) {
			char *end;
			unsigned long cnt = strtoul(s + i + 5, &end, 0);
			char chunk[64];

			if (*end != ')' || cnt > (16u << 20)) {
				*err = "bad fill(N)";
				free(b.p);
				free(s);
				return NULL;
			}
			sb_add(&b, "\"", 1);
			for (unsigned long k = 0; k < cnt;) {
				size_t m = 0;

				for (; m < sizeof(chunk) && k < cnt; m++, k++)
					chunk[m] = (char)('a' + k % 26);
				sb_add(&b, chunk, m);
			}
			sb_add(&b, "\"", 1);
			i = (size_t)(end - s) + 1;
		} else {
			sb_add(&b, s + i, 1);
			i++;
		}
	}
	free(s);
	if (b.oom) {
		free(b.p);
		*err = "out of memory";
		return NULL;
	}
	return b.p;
}

char *
cf_expand(const char *line, const struct cf_vars *v, bool keep_unbound, const char **err)
{
	char *s = expand_vars(line, v, keep_unbound, err);

	return s == NULL ? NULL : expand_fill(s, err);
}

char *
cf_print(const struct p9_msg *m)
{
	long n = p9_msg_print(m, NULL, 0);
	char *s;

	if (n < 0)
		return NULL;
	s = malloc((size_t)n + 1);
	if (s != NULL)
		(void)p9_msg_print(m, s, (size_t)n + 1);
	return s;
}

/* --- tokens ------------------------------------------------------------------- */

struct tok {
	const char	*p;
	size_t		 n;
};

struct field {
	struct tok	 name;
	char		 op[3];		/* "=", "<=", ">=", "<", ">", "!=" */
	struct tok	 val;
};

#define MAXF	32

/* The end of a value starting at s[i]: the first space at depth 0 outside quotes. */
static size_t
value_end(const char *s, size_t i, size_t n)
{
	int depth = 0;

	while (i < n) {
		char c = s[i];

		if (c == '"') {
			i = skip_quoted(s, i, n);
			continue;
		}
		if (c == '(' || c == '[' || c == '{')
			depth++;
		else if ((c == ')' || c == ']' || c == '}') && depth > 0)
			depth--;
		else if (c == ' ' && depth == 0)
			break;
		i++;
	}
	return i;
}

/* Split "Name f=v f<=v ..." into name and fields. Returns the field count or -1. */
static int
split_line(const char *s, struct tok *name, struct field *f)
{
	size_t n = strlen(s), i = 0;
	int nf = 0;

	while (i < n && s[i] != ' ')
		i++;
	*name = (struct tok){ s, i };
	while (i < n) {
		size_t j;

		while (i < n && s[i] == ' ')
			i++;
		if (i >= n)
			break;
		if (nf == MAXF)
			return -1;
		j = i;
		while (j < n && is_name_char((unsigned char)s[j]))
			j++;
		if (j == i || j >= n)
			return -1;
		f[nf].name = (struct tok){ s + i, j - i };
		memset(f[nf].op, 0, sizeof(f[nf].op));
		if (s[j] == '=') {
			f[nf].op[0] = '=';
			j++;
		} else if ((s[j] == '<' || s[j] == '>' || s[j] == '!' || s[j] == '&') &&
		    j + 1 < n && s[j + 1] == '=') {
			f[nf].op[0] = s[j];
			f[nf].op[1] = '=';
			j += 2;
		} else if (s[j] == '<' || s[j] == '>') {
			f[nf].op[0] = s[j];
			j++;
		} else {
			return -1;
		}
		i = value_end(s, j, n);
		f[nf].val = (struct tok){ s + j, i - j };
		nf++;
	}
	return nf;
}

/* Split a list body (inside brackets) at top-level commas. */
static int
split_list(struct tok t, struct tok *out, int max)
{
	size_t i = 0, start = 0;
	int depth = 0, k = 0;

	if (t.n == 0)
		return 0;
	while (i <= t.n) {
		if (i == t.n || (t.p[i] == ',' && depth == 0)) {
			if (k == max)
				return -1;
			out[k++] = (struct tok){ t.p + start, i - start };
			start = i + 1;
			i++;
			continue;
		}
		if (t.p[i] == '"') {
			i = skip_quoted(t.p, i, t.n);
			continue;
		}
		if (t.p[i] == '(' || t.p[i] == '[' || t.p[i] == '{')
			depth++;
		else if (t.p[i] == ')' || t.p[i] == ']' || t.p[i] == '}')
			depth--;
		i++;
	}
	return k;
}

static bool
tok_eq(struct tok t, const char *s)
{
	return strlen(s) == t.n && memcmp(t.p, s, t.n) == 0;
}

/* Unescape a str token (bare or quoted) into out (cap bytes). Returns length or -1. */
static long
unescape(struct tok t, char *out, size_t cap)
{
	size_t k = 0;

	if (t.n == 0 || t.p[0] != '"') {
		if (t.n > cap)
			return -1;
		memcpy(out, t.p, t.n);
		return (long)t.n;
	}
	if (t.n < 2 || t.p[t.n - 1] != '"')
		return -1;
	for (size_t i = 1; i + 1 < t.n; i++) {
		char c = t.p[i];

		if (k >= cap)
			return -1;
		if (c == '\\' && i + 2 < t.n) {
			char e = t.p[++i];

			if (e == 'n')
				c = '\n';
			else if (e == 't')
				c = '\t';
			else if (e == 'r')
				c = '\r';
			else if (e == 'x' && i + 2 < t.n) {
				char hex[3] = { t.p[i + 1], t.p[i + 2], 0 };

				c = (char)strtoul(hex, NULL, 16);
				i += 2;
			} else
				c = e;
		}
		out[k++] = c;
	}
	return (long)k;
}

/* A number token: decimal/hex/octal, an errno name, NOFID or NOTAG. */
static bool
parse_num(struct tok t, uint64_t *out)
{
	char buf[32], *end;
	long e;

	if (t.n == 0 || t.n >= sizeof(buf))
		return false;
	if (tok_eq(t, "NOFID") || tok_eq(t, "NONUNAME")) {
		*out = P9_NOFID;
		return true;
	}
	if (tok_eq(t, "NOTAG")) {
		*out = P9_NOTAG;
		return true;
	}
	if ((e = p9_errno_value(t.p, t.n)) >= 0) {
		*out = (uint64_t)e;
		return true;
	}
	if (!isdigit((unsigned char)t.p[0]))
		return false;
	memcpy(buf, t.p, t.n);
	buf[t.n] = '\0';
	*out = strtoull(buf, &end, 0);
	if (*end == '(' && t.n > 2 && t.p[t.n - 1] == ')') {
		/* Rlerror's printed form: ecode=2(ENOENT) (lib9p/TEXT.md). */
		const char *name = *out <= UINT32_MAX ? p9_errno_name((uint32_t)*out) : NULL;
		size_t at = (size_t)(end - buf) + 1, n = t.n - at - 1;

		return name != NULL && strlen(name) == n && memcmp(t.p + at, name, n) == 0;
	}
	return *end == '\0';
}

struct mctx {
	struct cf_vars		*v;
	const struct p9_msg	*m;
	struct p9_data		 data;		/* the message's data field, if any */
	char			*why;
	size_t			 whylen;
};

static bool match_value(struct mctx *x, enum fkind k, const char *op, struct tok p, struct tok r);

static bool
cmp_num(const char *op, uint64_t a, uint64_t b)
{
	if (strcmp(op, "=") == 0)
		return a == b;
	if (strcmp(op, "!=") == 0)
		return a != b;
	if (strcmp(op, "<=") == 0)
		return a <= b;
	if (strcmp(op, ">=") == 0)
		return a >= b;
	if (strcmp(op, "&=") == 0)
		return (a & b) == b;
	if (strcmp(op, "<") == 0)
		return a < b;
	if (strcmp(op, ">") == 0)
		return a > b;
	return false;
}

static bool
match_dirents(struct mctx *x, struct tok p)
{
	struct p9_dirent_iter it;
	struct p9_dirent d;
	struct tok want[64];
	bool seen[64] = { false };
	bool more = false;
	int nw = -1, rc;

	if (p.n > 7) {
		struct tok body = { p.p + 8, p.n - 9 };

		if (p.p[7] != '[' || p.p[p.n - 1] != ']' ||
		    (nw = split_list(body, want, 64)) < 0)
			return false;
		if (nw > 0 && tok_eq(want[nw - 1], "...")) {
			more = true;
			nw--;
		}
	}
	p9_dirent_iter_init(&it, x->data);
	while ((rc = p9_dirent_next(&it, &d)) == 1) {
		int i;

		if (nw < 0 || (d.name.len == 1 && d.name.ptr[0] == '.') ||
		    (d.name.len == 2 && memcmp(d.name.ptr, "..", 2) == 0))
			continue;
		for (i = 0; i < nw; i++) {
			char buf[512];
			long l = unescape(want[i], buf, sizeof(buf));

			if (!seen[i] && l == d.name.len && memcmp(buf, d.name.ptr, (size_t)l) == 0)
				break;
		}
		if (i < nw)
			seen[i] = true;
		else if (!more)
			return false;
	}
	if (rc < 0)
		return false;
	for (int i = 0; i < nw; i++)
		if (!seen[i])
			return false;
	return true;
}

static bool
match_data(struct mctx *x, const char *op, struct tok p)
{
	if (p.n > 0 && p.p[0] == '#') {
		struct tok num = { p.p + 1, p.n - 1 };
		char op2[3] = "=";
		uint64_t want;

		(void)op;
		if (num.n > 0 && (num.p[0] == '<' || num.p[0] == '>' || num.p[0] == '!')) {
			size_t k = num.n > 1 && num.p[1] == '=' ? 2 : 1;

			memcpy(op2, num.p, k);
			op2[k] = '\0';
			num.p += k;
			num.n -= k;
		}
		return parse_num(num, &want) && cmp_num(op2, x->data.len, want);
	}
	if (p.n >= 7 && memcmp(p.p, "dirents", 7) == 0)
		return match_dirents(x, p);
	if (p.n > 0 && p.p[0] == '"') {
		char *buf = malloc(p.n);
		long l = buf ? unescape(p, buf, p.n) : -1;
		bool ok = l >= 0 && (uint32_t)l == x->data.len &&
		    memcmp(buf, x->data.ptr, (size_t)l) == 0;

		free(buf);
		return ok;
	}
	return false;
}

static bool
match_value(struct mctx *x, enum fkind k, const char *op, struct tok p, struct tok r)
{
	struct tok alt[32];
	int n;

	if (tok_eq(p, "*"))
		return true;
	if (p.n > 0 && p.p[0] == '!' && strcmp(op, "=") == 0)
		return !match_value(x, k, op, (struct tok){ p.p + 1, p.n - 1 }, r);
	/* a & b: both */
	for (size_t i = 0, depth = 0; i < p.n; i++) {
		if (p.p[i] == '"') {
			i = skip_quoted(p.p, i, p.n) - 1;
			continue;
		}
		if (p.p[i] == '(' || p.p[i] == '[' || p.p[i] == '{')
			depth++;
		else if (p.p[i] == ')' || p.p[i] == ']' || p.p[i] == '}')
			depth--;
		else if (p.p[i] == '&' && depth == 0)
			return match_value(x, k, op, (struct tok){ p.p, i }, r) &&
			    match_value(x, k, op, (struct tok){ p.p + i + 1, p.n - i - 1 }, r);
	}
	if (p.n >= 2 && p.p[0] == '{' && p.p[p.n - 1] == '}') {
		n = split_list((struct tok){ p.p + 1, p.n - 2 }, alt, 32);
		for (int i = 0; i < n; i++)
			if (match_value(x, k, op, alt[i], r))
				return true;
		return false;
	}
	if (p.n > 1 && p.p[0] == '$') {
		const char *val = cf_var_get(x->v, p.p + 1, p.n - 1);

		if (val == NULL) {
			if (strcmp(op, "=") != 0)
				return false;
			cf_var_set(x->v, p.p + 1, p.n - 1, r.p, r.n);
			return true;
		}
		p = (struct tok){ val, strlen(val) };
	}
	switch (k) {
	case FK_NUM: {
		uint64_t a, b;

		return parse_num(r, &a) && parse_num(p, &b) && cmp_num(op, a, b);
	}
	case FK_QID:
	case FK_STRS:
	case FK_QIDS: {
		struct tok pe[P9_MAXWELEM + 1], re[P9_MAXWELEM + 1];
		enum fkind ek = k == FK_QID ? FK_NUM : k == FK_STRS ? FK_STR : FK_QID;
		char open = k == FK_QID ? '(' : '[', close = k == FK_QID ? ')' : ']';
		int np, nr;

		if (p.n < 2 || p.p[0] != open || p.p[p.n - 1] != close || r.n < 2)
			return false;
		np = split_list((struct tok){ p.p + 1, p.n - 2 }, pe, P9_MAXWELEM + 1);
		nr = split_list((struct tok){ r.p + 1, r.n - 2 }, re, P9_MAXWELEM + 1);
		if (np < 0 || nr < 0 || np != nr)
			return false;
		for (int i = 0; i < np; i++)
			if (!match_value(x, ek, "=", pe[i], re[i]))
				return false;
		return true;
	}
	case FK_STR: {
		char a[1024], b[1024];
		long la = unescape(p, a, sizeof(a)), lb = unescape(r, b, sizeof(b));
		bool eq = la >= 0 && la == lb && memcmp(a, b, (size_t)la) == 0;

		return strcmp(op, "!=") == 0 ? !eq : eq;
	}
	case FK_DATA:
		return match_data(x, op, p);
	}
	return false;
}

static void
why_field(struct mctx *x, const struct field *f, struct tok r)
{
	snprintf(x->why, x->whylen, "field %.*s: expected %.*s%s%.*s, got %.*s",
	    (int)f->name.n, f->name.p, (int)f->name.n, f->name.p, f->op,
	    (int)(f->val.n > 200 ? 200 : f->val.n), f->val.p,
	    (int)(r.n > 200 ? 200 : r.n), r.p);
}

bool
cf_match(const char *pat, const struct p9_msg *m, struct cf_vars *v, char *why, size_t whylen)
{
	struct field pf[MAXF], rf[MAXF];
	struct tok pname, rname;
	struct mctx x = { v, m, { NULL, 0 }, why, whylen };
	int np, nr, saved = v->n;
	const struct mdesc *md = mdesc_of(m->type);
	char *recv = cf_print(m);
	bool ok = false;

	why[0] = '\0';
	if (recv == NULL || md == NULL) {
		snprintf(why, whylen, "cannot print the received message");
		goto out;
	}
	if (m->type == P9_RREAD)
		x.data = m->rread.data;
	else if (m->type == P9_RREADDIR)
		x.data = m->rreaddir.data;
	np = split_line(pat, &pname, pf);
	nr = split_line(recv, &rname, rf);
	if (np < 0 || nr < 0) {
		snprintf(why, whylen, "malformed expected line");
		goto out;
	}
	if (pname.n > 2 && pname.p[0] == '{' && pname.p[pname.n - 1] == '}') {
		/* {Rsetattr,Rlerror}: any of these replies */
		struct tok alt[8];
		int na = split_list((struct tok){ pname.p + 1, pname.n - 2 }, alt, 8), k;

		for (k = 0; k < na; k++)
			if (alt[k].n == rname.n && memcmp(alt[k].p, rname.p, rname.n) == 0)
				break;
		if (k == na || na < 0) {
			snprintf(why, whylen, "expected one of %.*s, got %.*s", (int)pname.n,
			    pname.p, (int)rname.n, rname.p);
			goto out;
		}
	} else if (pname.n != rname.n || memcmp(pname.p, rname.p, pname.n) != 0) {
		snprintf(why, whylen, "expected %.*s, got %.*s", (int)pname.n, pname.p,
		    (int)rname.n, rname.p);
		goto out;
	}
	for (int i = 0; i < np; i++) {
		int j;
		size_t fi;

		for (j = 0; j < nr; j++)
			if (rf[j].name.n == pf[i].name.n &&
			    memcmp(rf[j].name.p, pf[i].name.p, pf[i].name.n) == 0)
				break;
		for (fi = 0; fi < md->n; fi++)
			if (tok_eq(pf[i].name, md->f[fi].name))
				break;
		if (j == nr || fi == md->n) {
			snprintf(why, whylen, "%.*s has no field %.*s", (int)rname.n, rname.p,
			    (int)pf[i].name.n, pf[i].name.p);
			goto out;
		}
		if (!match_value(&x, md->f[fi].kind, pf[i].op, pf[i].val, rf[j].val)) {
			why_field(&x, &pf[i], rf[j].val);
			goto out;
		}
	}
	if (m->type == P9_RREADDIR) {
		/* readdir(3.12): whole entries only; remember the last cookie. */
		struct p9_dirent_iter it;
		struct p9_dirent d;
		int rc;
		char num[32];
		uint64_t last = 0;
		bool any = false;

		p9_dirent_iter_init(&it, x.data);
		while ((rc = p9_dirent_next(&it, &d)) == 1) {
			last = d.offset;
			any = true;
		}
		if (rc < 0) {
			snprintf(why, whylen, "Rreaddir payload holds a truncated or bad entry");
			goto out;
		}
		if (any) {
			snprintf(num, sizeof(num), "%llu", (unsigned long long)last);
			cf_var_set(v, "readdir_last", 12, num, strlen(num));
		}
	}
	ok = true;
out:
	if (!ok)
		vars_truncate(v, saved);
	free(recv);
	return ok;
}

long
cf_pattern_tag(const char *pat)
{
	struct field f[MAXF];
	struct tok name;
	int n = split_line(pat, &name, f);
	uint64_t t;

	for (int i = 0; i < n; i++)
		if (tok_eq(f[i].name, "tag") && strcmp(f[i].op, "=") == 0 &&
		    parse_num(f[i].val, &t) && t <= 0xffff)
			return (long)t;
	return -1;
}
