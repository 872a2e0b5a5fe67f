/* Trace files: parse "trace NAME CLASS" blocks into lines (README.md, "Trace files"). */
#include <ctype.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "conform.h"

const char *
cf_class_name(enum cf_class c)
{
	return c == CF_MUST ? "must" : c == CF_SHOULD ? "should" : "implementation-defined";
}

static void
trace_free(struct cf_trace *t)
{
	for (int i = 0; i < t->nlines; i++)
		free(t->lines[i].text);
	free(t->lines);
	free(t->name);
	free(t->file);
	free(t->why);
}

void
cf_traces_free(struct cf_traces *ts)
{
	for (int i = 0; i < ts->n; i++)
		trace_free(&ts->t[i]);
	free(ts->t);
	ts->t = NULL;
	ts->n = 0;
}

static int
add_line(struct cf_trace *t, struct cf_line l)
{
	struct cf_line *p = realloc(t->lines, sizeof(*p) * (size_t)(t->nlines + 1));

	if (p == NULL)
		return -1;
	t->lines = p;
	t->lines[t->nlines++] = l;
	return 0;
}

static int
bad(const char *path, int lineno, const char *msg)
{
	fprintf(stderr, "p9conform: %s:%d: %s\n", path, lineno, msg);
	return -1;
}

/* One body line of a trace: [cN ] then a message or a directive. */
static int
parse_body(const char *path, int lineno, char *s, struct cf_trace *t)
{
	struct cf_line l = { .lineno = lineno };

	if (s[0] == 'c' && isdigit((unsigned char)s[1])) {
		char *end;
		long n = strtol(s + 1, &end, 10);

		if (*end != ' ' || n < 1 || n > CF_MAXCONN)
			return bad(path, lineno, "connection must be c1..c8");
		l.conn = (int)n - 1;
		s = end + 1;
	}
	if (s[0] == '?' && s[1] == ' ') {
		l.optional = true;
		s += 2;
	} else if (strncmp(s, "closed|", 7) == 0) {
		l.or_closed = true;
		s += 7;
	}
	if (s[0] == 'T')
		l.op = CF_SEND;
	else if (s[0] == 'R' || s[0] == '{')
		l.op = CF_EXPECT;
	else if (strncmp(s, "raw ", 4) == 0) {
		l.op = CF_RAW;
		s += 4;
	} else if (strcmp(s, "closed") == 0)
		l.op = CF_CLOSED;
	else if (strcmp(s, "disconnect") == 0)
		l.op = CF_DISCONNECT;
	else if (strncmp(s, "conn", 4) == 0 && (s[4] == '\0' || s[4] == ' ')) {
		l.op = CF_CONN;
		s += 4;
		while (*s == ' ')
			s++;
	} else if (strncmp(s, "fixture ", 8) == 0) {
		l.op = CF_FIXTURE;
		s += 8;
	} else if (strncmp(s, "readdir-all ", 12) == 0) {
		l.op = CF_READDIR_ALL;
		s += 12;
	} else
		return bad(path, lineno, "expected a T or R line or a directive");
	if ((l.optional || l.or_closed) && l.op != CF_EXPECT)
		return bad(path, lineno, "'?' and 'closed|' apply to R lines only");
	l.text = strdup(s);
	if (l.text == NULL || add_line(t, l) != 0) {
		free(l.text);
		return -1;
	}
	return 0;
}

int
cf_load(const char *path, struct cf_traces *ts)
{
	FILE *f = fopen(path, "r");
	char *line = NULL;
	size_t cap = 0;
	ssize_t n;
	int lineno = 0, rc = 0;
	struct cf_trace *cur = NULL;

	if (f == NULL) {
		perror(path);
		return -1;
	}
	while ((n = getline(&line, &cap, f)) >= 0) {
		char *s = line;

		lineno++;
		while (n > 0 && (s[n - 1] == '\n' || s[n - 1] == '\r' || s[n - 1] == ' '))
			s[--n] = '\0';
		while (*s == ' ' || *s == '\t')
			s++;
		if (*s == '\0' || *s == '#')
			continue;
		if (strncmp(s, "trace ", 6) == 0) {
			char name[256], cls[64];
			struct cf_trace *p;

			if (sscanf(s + 6, "%255s %63s", name, cls) != 2) {
				rc = bad(path, lineno, "trace NAME must|should|implementation-defined");
				break;
			}
			p = realloc(ts->t, sizeof(*p) * (size_t)(ts->n + 1));
			if (p == NULL) {
				rc = -1;
				break;
			}
			ts->t = p;
			cur = &ts->t[ts->n++];
			memset(cur, 0, sizeof(*cur));
			cur->name = strdup(name);
			cur->file = strdup(path);
			cur->lineno = lineno;
			if (strcmp(cls, "must") == 0)
				cur->cls = CF_MUST;
			else if (strcmp(cls, "should") == 0)
				cur->cls = CF_SHOULD;
			else if (strcmp(cls, "implementation-defined") == 0 || strcmp(cls, "impl") == 0)
				cur->cls = CF_IMPL;
			else {
				rc = bad(path, lineno, "class must be must, should or implementation-defined");
				break;
			}
			continue;
		}
		if (cur == NULL) {
			rc = bad(path, lineno, "line outside a trace");
			break;
		}
		if (strncmp(s, "spec ", 5) == 0) {
			free(cur->why);
			cur->why = strdup(s + 5);
			continue;
		}
		if (parse_body(path, lineno, s, cur) != 0) {
			rc = -1;
			break;
		}
	}
	free(line);
	fclose(f);
	return rc;
}

int
cf_load_path(const char *path, struct cf_traces *ts)
{
	struct stat st;
	struct dirent **ents;
	int n, rc = 0;

	if (stat(path, &st) != 0) {
		perror(path);
		return -1;
	}
	if (!S_ISDIR(st.st_mode))
		return cf_load(path, ts);
	n = scandir(path, &ents, NULL, alphasort);
	if (n < 0) {
		perror(path);
		return -1;
	}
	for (int i = 0; i < n; i++) {
		size_t l = strlen(ents[i]->d_name);

		if (rc == 0 && l > 6 && strcmp(ents[i]->d_name + l - 6, ".trace") == 0) {
			char full[4096];

			snprintf(full, sizeof(full), "%s/%s", path, ents[i]->d_name);
			rc = cf_load(full, ts);
		}
		free(ents[i]);
	}
	free(ents);
	return rc;
}

long
cf_unhex(const char *s, uint8_t *out, size_t cap)
{
	size_t n = 0;

	while (*s != '\0') {
		unsigned v;

		if (*s == ' ') {
			s++;
			continue;
		}
		if (n == cap || !isxdigit((unsigned char)s[0]) || !isxdigit((unsigned char)s[1]) ||
		    sscanf(s, "%2x", &v) != 1)
			return -1;
		out[n++] = (uint8_t)v;
		s += 2;
	}
	return (long)n;
}
