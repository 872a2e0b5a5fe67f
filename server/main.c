/*
 * p9d: flags, configuration, listeners, signals; nothing else.
 * The command line follows diod's where they overlap (-e, -l, -w, -S, -U,
 * -d, -f, -n), so users can switch.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <netdb.h>
#include <pwd.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <sys/socket.h>
#include <sys/un.h>

#include "conn.h"

struct srv *g_srv;

#define MAX_LISTEN	16

static const char usage_text[] =
"usage: p9d -e DIR [-l ADDR]... [options]\n"
"\n"
"Export the directory DIR over 9P2000.L. Runs in the foreground until\n"
"SIGINT or SIGTERM, then finishes or cancels the requests in flight,\n"
"closes every connection and exits 0.\n"
"\n"
"Where to serve (any mix; at least one):\n"
"  -l, --listen ADDR       listen on ADDR: HOST:PORT (IPv4 or [IPv6]:PORT; port 0\n"
"                          lets the kernel pick) or unix:PATH; may be repeated.\n"
"                          Each listener's address is printed on stderr.\n"
"      --listen-fd N       accept connections on an inherited listening socket\n"
"                          (systemd socket activation, tests); may be repeated\n"
"      --fd N              serve one already-connected socket (inetd style);\n"
"                          exits when it closes and no listener is left\n"
"      --stdio             serve one connection on stdin/stdout (pipes)\n"
"\n"
"What to export:\n"
"  -e, --export DIR        the directory to export (required). A Tattach whose\n"
"                          aname is empty, DIR, or DIR's absolute path with\n"
"                          symlinks resolved attaches to its root.\n"
"  -r, --read-only         refuse every mutation with EROFS\n"
"\n"
"Identity:\n"
"  As an ordinary user every operation happens as that user. As root, each\n"
"  request runs with the attaching user's fs credentials (n_uname, or uname\n"
"  looked up in the password database), unless squashing is asked for.\n"
"  -S, --allsquash         run every request as one user (default nobody)\n"
"  -U, --squashuser USER   the user to squash to (implies --allsquash)\n"
"\n"
"Limits (a client that hits one gets a clear error or is refused; everyone\n"
"else keeps being served):\n"
"  -m, --msize N           largest msize granted (default 1048576, min 4096)\n"
"  -w, --threads N         worker threads (default 2 x CPUs, at least 4)\n"
"      --max-fids N        fids per connection (default 16384; then EMFILE)\n"
"      --max-inflight N    requests in flight per connection (default 64; the\n"
"                          server stops reading from that client until some finish)\n"
"      --max-conns N       connections at once (default 256; then refused)\n"
"\n"
"Other:\n"
"  -d, --debug             print every message, in lib9p's text form, on stderr\n"
"  -f, --foreground        accepted for diod compatibility (always foreground)\n"
"  -n, --no-auth           accepted for diod compatibility (Tauth is refused)\n"
"  -h, --help              this text\n"
"  -V, --version           print the version\n";

__attribute__((format(printf, 1, 2), noreturn))
static void
die(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "p9d: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(2);
}

static unsigned long
number(const char *s, const char *what, unsigned long min, unsigned long max)
{
	char *end;
	unsigned long v;

	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno != 0 || end == s || *end != '\0' || v < min || v > max)
		die("bad %s", what);
	return v;
}

static void
print_addr(int fd, const char *spec)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);
	char host[INET6_ADDRSTRLEN] = "?";
	int port = 0;

	if (getsockname(fd, (struct sockaddr *)&ss, &len) != 0)
		return;
	if (ss.ss_family == AF_INET) {
		struct sockaddr_in *in = (struct sockaddr_in *)&ss;

		inet_ntop(AF_INET, &in->sin_addr, host, sizeof(host));
		port = ntohs(in->sin_port);
		fprintf(stderr, "p9d: listening on %s:%d\n", host, port);
	} else if (ss.ss_family == AF_INET6) {
		struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)&ss;

		inet_ntop(AF_INET6, &in6->sin6_addr, host, sizeof(host));
		port = ntohs(in6->sin6_port);
		fprintf(stderr, "p9d: listening on [%s]:%d\n", host, port);
	} else {
		fprintf(stderr, "p9d: listening on %s\n", spec);
	}
}

static int
listen_unix(const char *path)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	int fd;

	if (strlen(path) >= sizeof(sun.sun_path))
		die("unix socket path too long: %s", path);
	memcpy(sun.sun_path, path, strlen(path) + 1);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		die("socket: %s", strerror(errno));
	unlink(path);	/* a stale socket from an earlier run */
	if (bind(fd, (struct sockaddr *)&sun, sizeof(sun)) != 0 || listen(fd, 128) != 0)
		die("cannot listen on unix socket: %s", strerror(errno));
	return fd;
}

static int
listen_tcp(const char *spec)
{
	char host[256];
	const char *colon = strrchr(spec, ':');
	struct addrinfo hints = { .ai_socktype = SOCK_STREAM, .ai_flags = AI_PASSIVE | AI_NUMERICSERV };
	struct addrinfo *ai;
	size_t hl;
	int fd, one = 1, rc;

	if (colon == NULL || colon == spec || colon[1] == '\0')
		die("listen address must be HOST:PORT or unix:PATH: %s", spec);
	hl = (size_t)(colon - spec);
	if (spec[0] == '[' && hl >= 2 && spec[hl - 1] == ']') {
		spec++;
		hl -= 2;
	}
	if (hl >= sizeof(host))
		die("host name too long: %s", spec);
	memcpy(host, spec, hl);
	host[hl] = '\0';
	rc = getaddrinfo(host, colon + 1, &hints, &ai);
	if (rc != 0)
		die("cannot resolve listen address: %s", gai_strerror(rc));
	fd = socket(ai->ai_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		die("socket: %s", strerror(errno));
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(fd, ai->ai_addr, ai->ai_addrlen) != 0 || listen(fd, 128) != 0)
		die("cannot listen: %s", strerror(errno));
	freeaddrinfo(ai);
	return fd;
}

int
main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "export", required_argument, NULL, 'e' },
		{ "listen", required_argument, NULL, 'l' },
		{ "listen-fd", required_argument, NULL, 'L' },
		{ "fd", required_argument, NULL, 'F' },
		{ "stdio", no_argument, NULL, 'I' },
		{ "read-only", no_argument, NULL, 'r' },
		{ "allsquash", no_argument, NULL, 'S' },
		{ "squashuser", required_argument, NULL, 'U' },
		{ "msize", required_argument, NULL, 'm' },
		{ "threads", required_argument, NULL, 'w' },
		{ "max-fids", required_argument, NULL, 'X' },
		{ "max-inflight", required_argument, NULL, 'Q' },
		{ "max-conns", required_argument, NULL, 'C' },
		{ "debug", no_argument, NULL, 'd' },
		{ "foreground", no_argument, NULL, 'f' },
		{ "no-auth", no_argument, NULL, 'n' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	static struct srv srv;
	const char *listen_specs[MAX_LISTEN], *squash_user = "nobody";
	int listen_fds[MAX_LISTEN], conn_fd = -1, nlisten = 0, nlfd = 0, i, opt;
	bool use_stdio = false;
	char real[PATH_MAX];
	sigset_t set;
	long ncpu = sysconf(_SC_NPROCESSORS_ONLN);

	/* First of all: SIGINT/SIGTERM wait for the loop's signalfd, so a
	 * signal during start-up ends us cleanly too. Workers inherit it. */
	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	pthread_sigmask(SIG_BLOCK, &set, NULL);

	srv.cfg.msize_max = 1048576;
	srv.cfg.threads = ncpu > 2 ? (unsigned)ncpu * 2 : 4;
	srv.cfg.max_fids = 16384;
	srv.cfg.max_inflight = 64;
	srv.cfg.max_conns = 256;
	while ((opt = getopt_long(argc, argv, "e:l:rSU:m:w:dfnhV", opts, NULL)) != -1) {
		switch (opt) {
		case 'e':
			srv.cfg.export_path = optarg;
			break;
		case 'l':
			if (nlisten == MAX_LISTEN)
				die("too many listeners");
			listen_specs[nlisten++] = optarg;
			break;
		case 'L':
			if (nlfd == MAX_LISTEN)
				die("too many listeners");
			listen_fds[nlfd++] = (int)number(optarg, "--listen-fd", 0, INT_MAX);
			break;
		case 'F':
			conn_fd = (int)number(optarg, "--fd", 0, INT_MAX);
			break;
		case 'I':
			use_stdio = true;
			break;
		case 'r':
			srv.cfg.readonly = true;
			break;
		case 'U':
			squash_user = optarg;
			/* fall through */
		case 'S':
			srv.cfg.squash = true;
			break;
		case 'm':
			srv.cfg.msize_max = (uint32_t)number(optarg, "--msize", 4096, 16u << 20);
			break;
		case 'w':
			srv.cfg.threads = (unsigned)number(optarg, "--threads", 1, 1024);
			break;
		case 'X':
			srv.cfg.max_fids = (unsigned)number(optarg, "--max-fids", 1, 1u << 24);
			break;
		case 'Q':
			srv.cfg.max_inflight = (unsigned)number(optarg, "--max-inflight", 1, 65535);
			break;
		case 'C':
			srv.cfg.max_conns = (unsigned)number(optarg, "--max-conns", 1, 1u << 20);
			break;
		case 'd':
			srv.cfg.debug = 1;
			break;
		case 'f':
		case 'n':
			break;
		case 'h':
			fputs(usage_text, stdout);
			return 0;
		case 'V':
			printf("p9d (lib9p) %s\n", P9D_VERSION);
			return 0;
		default:
			fputs(usage_text, stderr);
			return 2;
		}
	}
	if (optind != argc || srv.cfg.export_path == NULL) {
		fputs(usage_text, stderr);
		return 2;
	}
	if (nlisten == 0 && nlfd == 0 && conn_fd < 0 && !use_stdio)
		die("nothing to serve: give -l ADDR, --listen-fd, --fd or --stdio");

	if (srv_init(&srv, real) != 0)
		die("cannot export %s: %s", srv.cfg.export_path, strerror(errno));
	if (srv.cfg.squash) {
		struct passwd *pw = getpwnam(squash_user);

		if (pw == NULL)
			die("no such user: %s", squash_user);
		srv.cfg.squash_uid = pw->pw_uid;
		srv.cfg.squash_gid = pw->pw_gid;
		if (!srv.as_root)
			fprintf(stderr, "p9d: not root: squashing has no effect\n");
	}

	for (i = 0; i < nlisten; i++) {
		const char *spec = listen_specs[i];
		bool is_unix = strncmp(spec, "unix:", 5) == 0;
		int fd = is_unix ? listen_unix(spec + 5) : listen_tcp(spec);

		if (loop_add_listener(fd, is_unix ? spec + 5 : NULL) != 0)
			die("cannot listen on %s", spec);
		print_addr(fd, spec);
	}
	for (i = 0; i < nlfd; i++)
		if (loop_add_listener(listen_fds[i], NULL) != 0)
			die("bad --listen-fd");
	if (conn_fd >= 0 && loop_add_conn(conn_fd, conn_fd) != 0)
		die("bad --fd");
	if (use_stdio && loop_add_conn(0, 1) != 0)
		die("cannot serve stdin/stdout");
	if (pool_start(srv.cfg.threads) != 0)
		die("cannot start worker threads");
	fprintf(stderr, "p9d: exporting %s%s\n", real, srv.cfg.readonly ? " (read-only)" : "");

	loop_run();
	loop_shutdown();
	session_fini();
	close(srv.root_fd);
	return 0;
}
