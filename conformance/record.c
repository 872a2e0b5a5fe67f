/*
 * Record mode: a proxy between 9p clients and a server that writes what
 * passes through as a trace. Requests are written as they are; replies are
 * turned into patterns where correct servers may differ (README.md,
 * "Recording").
 */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/socket.h>

#include "conform.h"

#define MAXPAIR		8
#define FRAMEMAX	(16u << 20)

struct pair {
	struct cf_conn	 cli, srv;
	int		 n;	/* connection number in the trace, 1-based */
};

/* A name as the text form writes a string (bare or quoted and escaped):
 * printed through lib9p's own printer, so it parses back exactly. */
static void
put_name(FILE *f, struct p9_str name)
{
	struct p9_msg m = { .type = P9_RREADLINK };
	char buf[4 * 256 + 64];
	const char *v;

	m.rreadlink.target = name;
	if (p9_msg_print(&m, buf, sizeof(buf)) < (long)sizeof(buf) &&
	    (v = strstr(buf, " target=")) != NULL)
		fputs(v + 8, f);
	else
		fputs("\"\"", f);
}

static void
put_qid(FILE *f, struct p9_qid q, struct cf_vars *qids, int *nq)
{
	char key[32], name[16];
	const char *have;

	snprintf(key, sizeof(key), "%llu", (unsigned long long)q.path);
	have = cf_var_get(qids, key, strlen(key));
	if (have == NULL) {
		snprintf(name, sizeof(name), "q%d", ++*nq);
		cf_var_set(qids, key, strlen(key), name, strlen(name));
		have = cf_var_get(qids, key, strlen(key));
	}
	fprintf(f, "(0x%x,*,$%s)", q.type, have);
}

char *
cf_patternize(const struct p9_msg *m, struct cf_vars *qids, int *nq)
{
	char *out = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&out, &len);
	const char *name = p9_type_name(m->type);

	if (f == NULL)
		return NULL;
	fprintf(f, "%s tag=%u", name ? name : "?", m->tag);
	switch (m->type) {
	case P9_RVERSION:
		fprintf(f, " msize<=%u version=%.*s", m->rversion.msize,
		    (int)m->rversion.version.len, m->rversion.version.ptr);
		break;
	case P9_RLERROR: {
		const char *e = p9_errno_name(m->rlerror.ecode);

		if (e != NULL)
			fprintf(f, " ecode=%s", e);
		else
			fprintf(f, " ecode=%u", m->rlerror.ecode);
		break;
	}
	case P9_RATTACH:
	case P9_RMKDIR:
	case P9_RSYMLINK:
	case P9_RMKNOD:
	case P9_RAUTH:
		fputs(m->type == P9_RAUTH ? " aqid=" : " qid=", f);
		put_qid(f, m->type == P9_RAUTH ? m->rauth.aqid : m->rattach.qid, qids, nq);
		break;
	case P9_RLOPEN:
	case P9_RLCREATE:
		fputs(" qid=", f);
		put_qid(f, m->rlopen.qid, qids, nq);
		fputs(" iounit=*", f);
		break;
	case P9_RWALK:
		fputs(" wqid=[", f);
		for (int i = 0; i < m->rwalk.wqid.n; i++) {
			if (i)
				fputc(',', f);
			put_qid(f, m->rwalk.wqid.q[i], qids, nq);
		}
		fputc(']', f);
		break;
	case P9_RGETATTR:
		fputs(" qid=", f);
		put_qid(f, m->rgetattr.qid, qids, nq);
		fprintf(f, " mode=0%o", m->rgetattr.mode);
		if ((m->rgetattr.mode & 0170000) != 0040000)
			fprintf(f, " size=%llu", (unsigned long long)m->rgetattr.size);
		break;
	case P9_RSTATFS:
		break;
	case P9_RREADDIR: {
		struct p9_dirent_iter it;
		struct p9_dirent d;
		int first = 1;

		/* "At least these names": a replay runs beside other entries
		 * (the runner's own fixture directory, for one). */
		fputs(" data=dirents[", f);
		p9_dirent_iter_init(&it, m->rreaddir.data);
		while (p9_dirent_next(&it, &d) == 1) {
			if ((d.name.len == 1 && d.name.ptr[0] == '.') ||
			    (d.name.len == 2 && memcmp(d.name.ptr, "..", 2) == 0))
				continue;
			if (!first)
				fputc(',', f);
			put_name(f, d.name);
			first = 0;
		}
		fputs(first ? "...]" : ",...]", f);
		break;
	}
	case P9_RREAD:
		if (m->rread.data.len > 256) {
			fprintf(f, " data=#%u", m->rread.data.len);
		} else {
			char *s = cf_print(m), *d = s ? strstr(s, " data=") : NULL;

			if (d != NULL)
				fputs(d, f);
			free(s);
		}
		break;
	default: {
		/* every other reply: the canonical line, which has no varying field */
		char *s = cf_print(m), *sp = s ? strchr(s, ' ') : NULL;

		sp = sp ? strchr(sp + 1, ' ') : NULL;	/* after "Name tag=N" */
		if (sp != NULL)
			fputs(sp, f);
		free(s);
		break;
	}
	}
	fclose(f);
	return out;
}

static void
write_frame_line(FILE *out, struct pair *p, const uint8_t *buf, size_t n, int from_client,
    struct cf_vars *qids, int *nq)
{
	struct p9_msg m;
	char *line;
	const char *pre = "";
	char prefix[16] = "";

	if (p->n > 1) {
		snprintf(prefix, sizeof(prefix), "c%d ", p->n);
		pre = prefix;
	}
	if (p9_msg_decode(buf, n, &m) != 0) {
		if (from_client) {
			fprintf(out, "%sraw ", pre);
			for (size_t i = 0; i < n; i++)
				fprintf(out, "%02x", buf[i]);
			fputc('\n', out);
		} else {
			fprintf(out, "# %sundecodable reply of %zu bytes\n", pre, n);
		}
		return;
	}
	line = from_client ? cf_print(&m) : cf_patternize(&m, qids, nq);
	if (line != NULL)
		fprintf(out, "%s%s\n", pre, line);
	free(line);
}

/* Forward every whole frame from `from` to `to`, logging each. -1 when done. */
static int
pump(FILE *out, struct pair *p, struct cf_conn *from, struct cf_conn *to, int from_client,
    struct cf_vars *qids, int *nq)
{
	for (;;) {
		long n = cf_recv_frame(from, 0, FRAMEMAX);

		if (n == -1)
			return 0;
		if (n <= 0) {
			/* EOF or an unframeable stream: pass what is left and stop */
			if (from->len > 0)
				(void)cf_send(to, from->buf, from->len);
			return -1;
		}
		write_frame_line(out, p, from->buf, (size_t)n, from_client, qids, nq);
		fflush(out);
		if (cf_send(to, from->buf, (size_t)n) != 0)
			return -1;
		cf_consume(from, (size_t)n);
	}
}

int
cf_record(const char *outpath, const char *listen_addr, const char *server_addr, int max_sessions)
{
	struct pair pairs[MAXPAIR];
	struct cf_vars qids = { 0 };
	int lfd = cf_listen(listen_addr), npairs = 0, started = 0, nq = 0;
	FILE *out;

	if (lfd < 0) {
		fprintf(stderr, "p9conform: cannot listen on %s: %s\n", listen_addr, strerror(errno));
		return -1;
	}
	out = strcmp(outpath, "-") == 0 ? stdout : fopen(outpath, "w");
	if (out == NULL) {
		perror(outpath);
		close(lfd);
		return -1;
	}
	fprintf(out, "# recorded by p9conform --record from %s\n"
	    "trace recorded must\n", server_addr);
	fprintf(stderr, "p9conform: recording on %s\n", listen_addr);
	while (started < max_sessions || npairs > 0) {
		struct pollfd pfd[1 + 2 * MAXPAIR];
		int n = 0;

		if (started < max_sessions && npairs < MAXPAIR)
			pfd[n++] = (struct pollfd){ .fd = lfd, .events = POLLIN };
		for (int i = 0; i < npairs; i++) {
			pfd[n++] = (struct pollfd){ .fd = pairs[i].cli.fd, .events = POLLIN };
			pfd[n++] = (struct pollfd){ .fd = pairs[i].srv.fd, .events = POLLIN };
		}
		if (poll(pfd, (nfds_t)n, -1) < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		n = 0;
		if (started < max_sessions && npairs < MAXPAIR && (pfd[n++].revents & POLLIN)) {
			int cfd = accept(lfd, NULL, NULL), sfd;

			if (cfd >= 0) {
				sfd = cf_dial(server_addr);
				if (sfd < 0) {
					fprintf(stderr, "p9conform: cannot connect to %s: %s\n",
					    server_addr, strerror(errno));
					close(cfd);
				} else {
					struct pair *p = &pairs[npairs++];

					cf_conn_init(&p->cli, cfd);
					cf_conn_init(&p->srv, sfd);
					p->n = ++started;
					if (p->n > 1)
						fprintf(out, "c%d conn raw\n", p->n);
					else
						fprintf(out, "conn raw\n");
				}
			}
		}
		for (int i = 0; i < npairs; i++, n += 2) {
			struct pair *p = &pairs[i];
			int done = 0;

			if (pfd[n].revents & (POLLIN | POLLHUP | POLLERR)) {
				ssize_t r;

				if (p->cli.cap - p->cli.len < 65536) {
					uint8_t *b = realloc(p->cli.buf, p->cli.cap + 262144);

					if (b == NULL)
						return -1;
					p->cli.buf = b;
					p->cli.cap += 262144;
				}
				r = recv(p->cli.fd, p->cli.buf + p->cli.len, p->cli.cap - p->cli.len, 0);
				if (r <= 0)
					p->cli.eof = true;
				else
					p->cli.len += (size_t)r;
				done |= pump(out, p, &p->cli, &p->srv, 1, &qids, &nq) < 0;
			}
			if (pfd[n + 1].revents & (POLLIN | POLLHUP | POLLERR)) {
				ssize_t r;

				if (p->srv.cap - p->srv.len < 65536) {
					uint8_t *b = realloc(p->srv.buf, p->srv.cap + 262144);

					if (b == NULL)
						return -1;
					p->srv.buf = b;
					p->srv.cap += 262144;
				}
				r = recv(p->srv.fd, p->srv.buf + p->srv.len, p->srv.cap - p->srv.len, 0);
				if (r <= 0)
					p->srv.eof = true;
				else
					p->srv.len += (size_t)r;
				done |= pump(out, p, &p->srv, &p->cli, 0, &qids, &nq) < 0;
			}
			if (done) {
				if (p->srv.eof && !p->cli.eof && p->n > 1)
					fprintf(out, "c%d closed\n", p->n);
				else if (p->srv.eof && !p->cli.eof)
					fprintf(out, "closed\n");
				cf_conn_close(&p->cli);
				cf_conn_close(&p->srv);
				pairs[i] = pairs[--npairs];
				i--;
				n -= 2;
				/* pfd indices shift: re-poll to stay simple */
				break;
			}
		}
	}
	fprintf(out, "# end of recording\n");
	if (out != stdout)
		fclose(out);
	close(lfd);
	cf_vars_free(&qids);
	return 0;
}
