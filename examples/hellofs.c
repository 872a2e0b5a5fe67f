/* hellofs SOCKET: serve one read-only file, /hello, over 9P2000.L on a
 * Unix socket, with the lib9plsrv engine (pkg-config --cflags --libs 9plsrv). */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <p9srv.h>

static const char text[] = "hello, world\n";
static const uint64_t root = 1, hello = 2;	/* a file is its qid path */

static struct p9_qid
qid(const void *f)
{
	return (struct p9_qid){ .type = f == &root ? P9_QTDIR : P9_QTFILE, .path = *(const uint64_t *)f };
}

static int
h_attach(struct p9srv_req *r, const struct p9_tattach *in, void **f, struct p9_qid *q)
{
	(void)r; (void)in;
	*f = (void *)&root;
	*q = qid(&root);
	return 0;
}

static int
h_walk1(struct p9srv_req *r, void *dir, const char *name, void **next, struct p9_qid *q)
{
	(void)r;
	if (dir != &root)
		return ENOTDIR;
	*next = strcmp(name, "hello") == 0 ? (void *)&hello :
	    strcmp(name, ".") == 0 || strcmp(name, "..") == 0 ? (void *)&root : NULL;
	if (*next == NULL)
		return ENOENT;
	*q = qid(*next);
	return 0;
}

static void *h_clone(struct p9srv_req *r, void *f) { (void)r; return f; }	/* files are static */
static void h_release(void *f) { (void)f; }

static int
h_getattr(struct p9srv_req *r, void *f, const struct p9_tgetattr *in, struct p9_rgetattr *out)
{
	(void)r; (void)in;
	out->valid = P9_GETATTR_BASIC;
	out->qid = qid(f);
	out->mode = f == &root ? 040555 : 0100444;
	out->nlink = 1;
	out->size = f == &root ? 0 : sizeof(text) - 1;
	return 0;
}

static int
h_lopen(struct p9srv_req *r, void *f, const struct p9_tlopen *in, struct p9_rlopen *out)
{
	(void)r;
	if ((in->flags & 3) != P9_DOTL_RDONLY)
		return EACCES;
	out->qid = qid(f);
	return 0;
}

static int
h_read(struct p9srv_req *r, void *f, const struct p9_tread *in, struct p9_rread *out)
{
	uint32_t room, n = 0;
	uint8_t *buf = p9srv_req_rdata(r, &room);

	if (f != &hello)
		return EISDIR;
	if (in->offset < sizeof(text) - 1)
		n = (uint32_t)(sizeof(text) - 1 - in->offset);
	n = n < room ? n : room;
	if (n != 0)
		memcpy(buf, text + in->offset, n);
	out->data = (struct p9_data){ buf, n };
	return 0;
}

int
main(int argc, char **argv)
{
	struct p9srv_backend be = { .name = "hello", .attach = h_attach, .walk1 = h_walk1,
	    .clone = h_clone, .release = h_release, .getattr = h_getattr, .lopen = h_lopen,
	    .read = h_read };
	struct sockaddr_un a = { .sun_family = AF_UNIX };
	struct p9srv_config cfg;
	struct p9srv *s;
	char why[256];
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

	if (argc != 2 || strlen(argv[1]) >= sizeof(a.sun_path)) {
		fprintf(stderr, "usage: hellofs SOCKET (a path of at most 107 bytes)\n");
		return 2;
	}
	for (int t = P9_TSTATFS; t <= P9_TREMOVE; t++)
		p9srv_backend_nonblock(&be, (uint8_t)t);	/* nothing here blocks */
	p9srv_config_defaults(&cfg);
	cfg.threads = 1;
	cfg.signals = true;	/* SIGINT and SIGTERM end p9srv_run */
	strcpy(a.sun_path, argv[1]);
	if (fd < 0 || bind(fd, (struct sockaddr *)&a, sizeof(a)) != 0 || listen(fd, 16) != 0) {
		fprintf(stderr, "hellofs: %s: %s\n", argv[1], strerror(errno));
		return 1;
	}
	if ((s = p9srv_new(&cfg, &be, NULL, why, sizeof(why))) == NULL || p9srv_listen(s, fd) != 0) {
		fprintf(stderr, "hellofs: %s\n", s == NULL ? why : strerror(errno));
		return 1;
	}
	fprintf(stderr, "hellofs: serving /hello on unix:%s\n", argv[1]);
	p9srv_run(s);
	p9srv_free(s);
	unlink(argv[1]);
	return 0;
}
