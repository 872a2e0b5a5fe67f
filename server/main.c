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
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#include "p9srv.h"
#include "p9srv_posix.h"


/* The command line's ranges (p9d.8 and --help state them). */
#define MAX_LISTEN	16		/* -l, and --listen-fd, each */
#define SD_LISTEN_FDS_START	3	/* sd_listen_fds(3): the first activated socket */
#define MIN_MSIZE	P9SRV_MSIZE_MIN
#define MAX_MSIZE	(16u << 20)
#define MAX_THREADS	1024
#define MAX_FIDS	(1u << 24)
#define MAX_INFLIGHT	65535
#define MAX_CONNS	(1u << 20)
#define MAX_RECORD_MIB	(1u << 20)	/* --record-limit */
#define RECORD_MIB	1024		/* its default */

static const char usage_text[] =
"usage: p9d -e DIR [-l ADDR]... [options]\n"
"\n"
"Export the directory DIR over 9P2000.L. Runs in the foreground until\n"
"SIGINT or SIGTERM, then finishes or cancels the requests in flight,\n"
"closes every connection and exits 0. A bad option or a failure to start\n"
"is one line on stderr naming what failed and why, and exit status 2.\n"
"\n"
"Where to serve (any mix; at least one):\n"
"  -l, --listen ADDR       listen on ADDR: HOST:PORT (IPv4 or [IPv6]:PORT; port\n"
"                          0 to 65535, 0 lets the kernel pick) or unix:PATH (a\n"
"                          file at PATH is never replaced, except a socket no\n"
"                          one listens on); up to 16. Each listener's address\n"
"                          is printed on stderr.\n"
"      --listen-fd N       accept connections on an inherited listening socket\n"
"                          (systemd socket activation, tests); up to 16\n"
"      --fd N              serve one already-connected socket (inetd style);\n"
"                          exits when it closes and no listener is left\n"
"      --stdio             serve one connection on stdin/stdout (pipes)\n"
"With none of these, p9d serves the listening sockets of systemd socket\n"
"activation: LISTEN_PID its pid, LISTEN_FDS 1 to 16 descriptors from 3.\n"
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
"\n";
/* In two parts: C17 promises string literals of 4095 bytes only. */
static const char usage_text2[] =
"Limits (a client that hits one gets a clear error or is refused; everyone\n"
"else keeps being served). N is decimal digits, nothing else:\n"
"  -m, --msize N           largest msize granted: 4096 to 16777216 (default\n"
"                          1048576)\n"
"  -w, --threads N         worker threads: 1 to 1024 (default 2 x CPUs, at\n"
"                          least 4)\n"
"      --active N          workers woken to run requests at once; more wake\n"
"                          when those block: 1 to 1024 (default the CPUs)\n"
"      --loops N           event loops, connections spread over them: 1 to\n"
"                          64 (default one per CPU)\n"
"      --no-pin            loops run on any CPU, a connection goes to the one\n"
"                          serving the fewest (default, with a loop per CPU:\n"
"                          loop i pinned to the i-th CPU, a connection to\n"
"                          the loop of the CPU it came in on)\n"
"      --no-dircache       list every directory from the file system (default:\n"
"                          listings of large directories on local file systems\n"
"                          are kept in memory while inotify reports no change)\n"
"      --io ENGINE         how the loops wait and do their I/O: epoll or\n"
"                          uring (io_uring; falls back to epoll where it\n"
"                          cannot be had). Default: $P9SRV_IO, else epoll\n"
"      --spin-us N         a loop about to sleep checks for new requests for\n"
"                          up to N microseconds first, while they keep coming\n"
"                          that soon and no other thread wants the CPU:\n"
"                          0 (never) to 10000 (default 50)\n"
"      --max-fids N        fids per connection, then EMFILE: 1 to 16777216\n"
"                          (default 16384)\n"
"      --max-inflight N    requests in flight per connection: 1 to 65535\n"
"                          (default 64; the server stops reading from that\n"
"                          client until some finish)\n"
"      --max-conns N       connections at once, then refused: 1 to 1048576\n"
"                          (default 256)\n"
"\n"
"Other:\n"
"  -d, --debug             print every message, in lib9p's text form, on stderr:\n"
"                          'p9d SECONDS.MICROS cN < MESSAGE' (> for replies;\n"
"                          seconds since start, N the connection's number)\n"
"      --record FILE       debugging: write every connection's frames, both\n"
"                          directions, to FILE (created mode 0600, replaced)\n"
"                          as a libpcap capture for Wireshark's 9P dissector;\n"
"                          each connection is a synthetic TCP stream to port\n"
"                          564 with its own client port. It holds file data\n"
"                          and costs a write per frame: not for production\n"
"      --record-limit MIB  stop recording once FILE would pass MIB MiB: 1 to\n"
"                          1048576 (default 1024); said once on stderr\n"
"  -f, --foreground        accepted for diod compatibility (always foreground)\n"
"  -n, --no-auth           accepted for diod compatibility (Tauth is refused)\n"
"  -h, --help              this text\n"
"  -V, --version           print the version\n";

/* The Unix sockets this process created: removed at exit, each only if the
 * file at its path is still that socket. Someone may have replaced it, and
 * file systems reuse a freed inode number at once: the birth time, where
 * the file system keeps one, tells a new socket from ours. */
struct sock_id {
	uint64_t	 dev_major, dev_minor, ino;
	int64_t		 btime_sec;
	uint32_t	 btime_nsec;
	bool		 has_btime;
};

static struct {
	const char	*path;
	struct sock_id	 id;
} made[MAX_LISTEN];
static int nmade;

/* The identity of the socket file at path: 0, or -1 if there is none (or
 * something else is there). Never follows a symbolic link. */
static int
sock_id(const char *path, struct sock_id *id)
{
	struct statx stx;

	if (statx(AT_FDCWD, path, AT_SYMLINK_NOFOLLOW, STATX_TYPE | STATX_INO | STATX_BTIME, &stx) != 0 ||
	    !S_ISSOCK(stx.stx_mode))
		return -1;
	id->dev_major = stx.stx_dev_major;
	id->dev_minor = stx.stx_dev_minor;
	id->ino = stx.stx_ino;
	id->has_btime = (stx.stx_mask & STATX_BTIME) != 0;
	id->btime_sec = id->has_btime ? stx.stx_btime.tv_sec : 0;
	id->btime_nsec = id->has_btime ? stx.stx_btime.tv_nsec : 0;
	return 0;
}

static bool
same_sock(const struct sock_id *a, const struct sock_id *b)
{
	return a->dev_major == b->dev_major && a->dev_minor == b->dev_minor &&
	    a->ino == b->ino && a->has_btime == b->has_btime &&
	    a->btime_sec == b->btime_sec && a->btime_nsec == b->btime_nsec;
}

static void
remove_made_sockets(void)
{
	struct sock_id now;
	int i;

	for (i = 0; i < nmade; i++)
		if (sock_id(made[i].path, &now) == 0 && same_sock(&now, &made[i].id))
			unlink(made[i].path);
	nmade = 0;
}

/* Every start-up error: one line on stderr, naming what failed and why;
 * exit 2. */
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
	remove_made_sockets();
	exit(2);
}

/* A decimal number from min to max: digits only (no sign, no space, no
 * suffix), any overflow is out of range. */
static unsigned long
number(const char *s, const char *what, unsigned long min, unsigned long max)
{
	const char *p;
	unsigned long v = 0;
	bool big = false;

	for (p = s; *p != '\0'; p++) {
		unsigned d = (unsigned)(*p - '0');

		if (d > 9)
			break;
		if (v > (ULONG_MAX - d) / 10)
			big = true;
		else
			v = v * 10 + d;
	}
	if (p == s || *p != '\0')
		die("%s '%s': not a decimal number (want %lu to %lu)", what, s, min, max);
	if (big || v < min || v > max)
		die("%s %s: out of range (want %lu to %lu)", what, s, min, max);
	return v;
}

static const char *
file_kind(mode_t mode)
{
	switch (mode & S_IFMT) {
	case S_IFREG:	return "a regular file";
	case S_IFDIR:	return "a directory";
	case S_IFLNK:	return "a symbolic link";
	case S_IFIFO:	return "a FIFO";
	case S_IFCHR:	return "a character device";
	case S_IFBLK:	return "a block device";
	case S_IFSOCK:	return "a socket";
	}
	return "a file of unknown type";
}

/* Can the event loop poll fd? 0, or -1 with errno set (EPERM: a regular
 * file, a directory, /dev/null). */
static int
pollable(int fd)
{
	struct epoll_event ev = { .events = EPOLLIN };
	int ep = epoll_create1(EPOLL_CLOEXEC), rc, e;

	if (ep < 0)
		return -1;
	rc = epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev);
	e = errno;
	close(ep);
	errno = e;
	return rc;
}

/* Check an inherited descriptor before the loop takes it: what is the
 * descriptor given as "what n" (--listen-fd, --fd, or --stdio's standard
 * input or output), and can it serve as one? */
static void
check_fd(const char *what, int fd, bool listener)
{
	struct stat st;
	int v = 0;
	socklen_t len = sizeof(v);

	if (fstat(fd, &st) != 0)
		die("%s: %s", what, errno == EBADF ? "not an open file descriptor" : strerror(errno));
	if (listener || S_ISSOCK(st.st_mode)) {
		if (!S_ISSOCK(st.st_mode))
			die("%s: %s, not a listening socket", what, file_kind(st.st_mode));
		if (getsockopt(fd, SOL_SOCKET, SO_TYPE, &v, &len) != 0 || v != SOCK_STREAM)
			die("%s: not a stream socket", what);
		len = sizeof(v);
		if (getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &v, &len) != 0)
			die("%s: %s", what, strerror(errno));
		if (listener && v == 0)
			die("%s: the socket is not listening", what);
		if (!listener && v != 0)
			die("%s: a listening socket, not a connection (that is --listen-fd)", what);
	}
	if (pollable(fd) != 0)
		die("%s: %s, which the event loop cannot poll: %s (give a socket or a pipe)",
		    what, file_kind(st.st_mode), errno == EPERM ? "epoll refuses it" : strerror(errno));
}

/*
 * systemd socket activation, the sd_listen_fds(3) protocol without
 * libsystemd: LISTEN_PID is our pid and LISTEN_FDS = N hands us N listening
 * sockets, descriptors 3 to 3 + N - 1. main uses it only when no -l,
 * --listen-fd, --fd or --stdio is given. LISTEN_PID, LISTEN_FDS and
 * LISTEN_FDNAMES are unset, so that nothing p9d starts inherits them.
 * Appends the sockets to fds[*n]; returns how many (0 without LISTEN_FDS).
 */
static int
socket_activation(int *fds, int *n)
{
	const char *nfds = getenv("LISTEN_FDS"), *pid = getenv("LISTEN_PID");
	unsigned long count, owner;
	char what[64];
	int i;

	if (nfds == NULL)
		return 0;
	if (pid == NULL)
		die("LISTEN_FDS is set but LISTEN_PID is not (socket activation sets both)");
	owner = number(pid, "LISTEN_PID", 1, INT_MAX);
	if (owner != (unsigned long)getpid())
		die("LISTEN_PID %s: not p9d's pid %ld, so LISTEN_FDS is not for p9d "
		    "(and nothing else to serve)", pid, (long)getpid());
	count = number(nfds, "LISTEN_FDS", 1, MAX_LISTEN);
	unsetenv("LISTEN_PID");
	unsetenv("LISTEN_FDS");
	unsetenv("LISTEN_FDNAMES");
	for (i = 0; i < (int)count; i++) {
		int fd = SD_LISTEN_FDS_START + i;

		snprintf(what, sizeof(what), "LISTEN_FDS: descriptor %d", fd);
		check_fd(what, fd, true);
		if (fcntl(fd, F_SETFD, FD_CLOEXEC) != 0)
			die("%s: %s", what, strerror(errno));
		fds[(*n)++] = fd;
	}
	return (int)count;
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

/* Does a server answer on the socket file at sun? 1 yes, 0 no (a stale
 * socket: connect() is refused), -1 with errno set if we cannot tell. */
static int
unix_live(const struct sockaddr_un *sun)
{
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	int rc, e;

	if (fd < 0)
		return -1;
	rc = connect(fd, (const struct sockaddr *)sun, sizeof(*sun));
	e = errno;
	close(fd);
	/* EAGAIN: its backlog is full; EPROTOTYPE: a live socket of another
	 * type. Both are someone's. */
	if (rc == 0 || e == EAGAIN || e == EPROTOTYPE)
		return 1;
	if (e == ECONNREFUSED)
		return 0;
	errno = e;
	return -1;
}

/* Listen on the Unix socket path. Whatever is at path stays, unless it is
 * a socket nobody listens on (left by a process that died): that one is
 * replaced. A symbolic link is never followed. */
static int
listen_unix(const char *path)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	struct stat st;
	struct sock_id probed, now;
	size_t len = strlen(path);
	int fd, tries;

	if (len == 0)
		die("cannot listen on unix:: no path (want unix:PATH)");
	if (len >= sizeof(sun.sun_path))
		die("cannot listen on unix:%s: the path is %zu bytes long; a Unix socket's path holds at most %zu",
		    path, len, sizeof(sun.sun_path) - 1);
	memcpy(sun.sun_path, path, len + 1);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		die("cannot listen on unix:%s: socket: %s", path, strerror(errno));
	/* bind() never replaces a file. If one is there, look at it; a few
	 * rounds in case it changes under us (bounded: then it is in use). */
	for (tries = 0; bind(fd, (struct sockaddr *)&sun, sizeof(sun)) != 0; tries++) {
		if (errno != EADDRINUSE || tries == 3)
			die("cannot listen on unix:%s: %s", path, strerror(errno));
		if (lstat(path, &st) != 0) {
			if (errno == ENOENT)
				continue;	/* gone meanwhile */
			die("cannot listen on unix:%s: %s", path, strerror(errno));
		}
		if (!S_ISSOCK(st.st_mode))
			die("cannot listen on unix:%s: %s is there (p9d replaces only a stale socket)",
			    path, file_kind(st.st_mode));
		if (sock_id(path, &probed) != 0)
			continue;	/* changed meanwhile */
		switch (unix_live(&sun)) {
		case 1:
			die("cannot listen on unix:%s: a server is listening on that socket", path);
		case -1:
			if (errno == ENOENT)
				continue;
			die("cannot listen on unix:%s: cannot tell whether the socket there is in use: %s",
			    path, strerror(errno));
		}
		/* Stale. Remove it only if it is still the socket just probed. */
		if (sock_id(path, &now) != 0 || !same_sock(&now, &probed))
			continue;
		if (unlink(path) != 0 && errno != ENOENT)
			die("cannot listen on unix:%s: cannot remove the stale socket there: %s",
			    path, strerror(errno));
	}
	if (listen(fd, 128) != 0)
		die("cannot listen on unix:%s: %s", path, strerror(errno));
	if (nmade < MAX_LISTEN && sock_id(path, &made[nmade].id) == 0)
		made[nmade++].path = path;
	return fd;
}

/* Listen on HOST:PORT or [IPv6]:PORT; PORT is 0 to 65535, 0 lets the
 * kernel pick. */
static int
listen_tcp(const char *spec)
{
	char host[256], port[8];
	const char *colon = strrchr(spec, ':'), *h, *p;
	struct addrinfo hints = { .ai_socktype = SOCK_STREAM, .ai_flags = AI_PASSIVE | AI_NUMERICSERV };
	struct addrinfo *ai;
	unsigned long v = 0;
	size_t hl;
	int fd, one = 1, rc;

	if (colon == NULL)
		die("cannot listen on %s: no port (want HOST:PORT, [IPv6]:PORT or unix:PATH)", spec);
	for (p = colon + 1; *p >= '0' && *p <= '9'; p++)
		if (v <= 65535)		/* saturates: no overflow */
			v = v * 10 + (unsigned long)(*p - '0');
	if (p == colon + 1 && *p == '\0')
		die("cannot listen on %s: no port after the ':' (want 0 to 65535)", spec);
	if (p == colon + 1 || *p != '\0')
		die("cannot listen on %s: port '%s' is not a decimal number (want 0 to 65535)",
		    spec, colon + 1);
	if (v > 65535)
		die("cannot listen on %s: port %s is out of range (want 0 to 65535)", spec, colon + 1);
	snprintf(port, sizeof(port), "%lu", v);
	h = spec;
	hl = (size_t)(colon - spec);
	if (h[0] == '[') {
		if (hl < 2 || h[hl - 1] != ']')
			die("cannot listen on %s: no ']' before the port (want [IPv6]:PORT)", spec);
		h++;
		hl -= 2;
	} else if (memchr(h, ':', hl) != NULL) {
		die("cannot listen on %s: an IPv6 address goes in brackets (want [IPv6]:PORT)", spec);
	}
	if (hl == 0)
		die("cannot listen on %s: no host (want HOST:PORT; 0.0.0.0 or [::] for every address)", spec);
	if (hl >= sizeof(host))
		die("cannot listen on %s: the host is %zu bytes, at most %zu", spec, hl, sizeof(host) - 1);
	memcpy(host, h, hl);
	host[hl] = '\0';
	rc = getaddrinfo(host, port, &hints, &ai);
	if (rc != 0)
		die("cannot listen on %s: cannot resolve %s: %s", spec, host,
		    rc == EAI_SYSTEM ? strerror(errno) : gai_strerror(rc));
	fd = socket(ai->ai_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		die("cannot listen on %s: socket: %s", spec, strerror(errno));
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(fd, ai->ai_addr, ai->ai_addrlen) != 0 || listen(fd, 128) != 0)
		die("cannot listen on %s: %s", spec, strerror(errno));
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
		{ "active", required_argument, NULL, 'A' },
		{ "loops", required_argument, NULL, 'O' },
		{ "io", required_argument, NULL, 'E' },
		{ "spin-us", required_argument, NULL, 'Y' },
		{ "no-pin", no_argument, NULL, 'P' },
		{ "no-dircache", no_argument, NULL, 'D' },
		{ "max-fids", required_argument, NULL, 'X' },
		{ "max-inflight", required_argument, NULL, 'Q' },
		{ "max-conns", required_argument, NULL, 'C' },
		{ "debug", no_argument, NULL, 'd' },
		{ "record", required_argument, NULL, 'c' },
		{ "record-limit", required_argument, NULL, 'M' },
		{ "foreground", no_argument, NULL, 'f' },
		{ "no-auth", no_argument, NULL, 'n' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	struct p9srv_config cfg;
	struct p9srv *srv;
	struct posix_fs *fs;
	const char *export_path = NULL;
	char why[512];
	const char *listen_specs[MAX_LISTEN], *squash_user = "nobody";
	const char *squash_opt = "--allsquash: user";
	int listen_fds[MAX_LISTEN], lfds[MAX_LISTEN], conn_fd = -1, nlisten = 0, nlfd = 0, i, j, opt;
	int nactivated = 0;
	char what[64];
	bool use_stdio = false, no_dircache = false;
	int rc;
	const char *record = NULL;
	unsigned long record_mib = RECORD_MIB;
	sigset_t set;

	/* First of all: SIGINT/SIGTERM wait for the loop's signalfd, so a
	 * signal during start-up ends us cleanly too. Workers inherit it. */
	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	pthread_sigmask(SIG_BLOCK, &set, NULL);

	p9srv_config_defaults(&cfg);
	cfg.signals = true;
	cfg.ident = "p9d";
	/* getopt's own messages are one line each and name the option; they
	 * start with argv[0], which may be a long path. */
	argv[0] = (char *)"p9d";
	while ((opt = getopt_long(argc, argv, "e:l:rSU:m:w:dfnhV", opts, NULL)) != -1) {
		switch (opt) {
		case 'e':
			export_path = optarg;
			break;
		case 'l':
			if (nlisten == MAX_LISTEN)
				die("-l %s: too many listen addresses (at most %d)", optarg, MAX_LISTEN);
			listen_specs[nlisten++] = optarg;
			break;
		case 'L':
			if (nlfd == MAX_LISTEN)
				die("--listen-fd %s: too many inherited listeners (at most %d)", optarg, MAX_LISTEN);
			listen_fds[nlfd++] = (int)number(optarg, "--listen-fd", 0, INT_MAX);
			break;
		case 'F':
			if (conn_fd >= 0)
				die("--fd %s: --fd given twice (p9d serves one)", optarg);
			conn_fd = (int)number(optarg, "--fd", 0, INT_MAX);
			break;
		case 'I':
			use_stdio = true;
			break;
		case 'r':
			cfg.readonly = true;
			break;
		case 'U':
			squash_user = optarg;
			squash_opt = "--squashuser";
			/* fall through */
		case 'S':
			cfg.squash = true;
			break;
		case 'm':
			cfg.msize_max = (uint32_t)number(optarg, "--msize", MIN_MSIZE, MAX_MSIZE);
			break;
		case 'w':
			cfg.threads = (unsigned)number(optarg, "--threads", 1, MAX_THREADS);
			break;
		case 'A':
			cfg.active = (unsigned)number(optarg, "--active", 1, MAX_THREADS);
			break;
		case 'O':
			cfg.loops = (unsigned)number(optarg, "--loops", 1, P9SRV_MAX_LOOPS);
			break;
		case 'Y':
			cfg.spin_us = (unsigned)number(optarg, "--spin-us", 0, P9SRV_SPIN_MAX_US);
			break;
		case 'P':
			cfg.pin_loops = false;
			break;
		case 'D':
			no_dircache = true;
			break;
		case 'E':
			if (strcmp(optarg, "epoll") == 0)
				cfg.io = P9SRV_IO_EPOLL;
			else if (strcmp(optarg, "uring") == 0)
				cfg.io = P9SRV_IO_URING;
			else
				die("--io %s: unknown engine (want epoll or uring)", optarg);
			break;
		case 'X':
			cfg.max_fids = (unsigned)number(optarg, "--max-fids", 1, MAX_FIDS);
			break;
		case 'Q':
			cfg.max_inflight = (unsigned)number(optarg, "--max-inflight", 1, MAX_INFLIGHT);
			break;
		case 'C':
			cfg.max_conns = (unsigned)number(optarg, "--max-conns", 1, MAX_CONNS);
			break;
		case 'd':
			cfg.debug = 1;
			break;
		case 'c':
			record = optarg;
			break;
		case 'M':
			record_mib = number(optarg, "--record-limit", 1, MAX_RECORD_MIB);
			break;
		case 'f':
		case 'n':
			break;
		case 'h':
			fputs(usage_text, stdout);
			fputs(usage_text2, stdout);
			return 0;
		case 'V':
			printf("p9d (lib9p) %s\n", P9D_VERSION);
			return 0;
		default:	/* getopt said what (one line) */
			exit(2);
		}
	}
	if (optind != argc)
		die("unexpected argument '%s' (p9d takes options only; see p9d --help)", argv[optind]);
	if (export_path == NULL)
		die("nothing to export: give -e DIR (see p9d --help)");
	if (nlisten == 0 && nlfd == 0 && conn_fd < 0 && !use_stdio)
		nactivated = socket_activation(listen_fds, &nlfd);
	if (nlisten == 0 && nlfd == 0 && conn_fd < 0 && !use_stdio)
		die("nothing to serve: give -l ADDR, --listen-fd N, --fd N or --stdio "
		    "(or start p9d by socket activation: LISTEN_FDS)");
	/* Inherited descriptors: each used once, and of a kind the loop can
	 * serve. */
	for (i = 0; i < nlfd; i++)
		for (j = 0; j < i; j++)
			if (listen_fds[j] == listen_fds[i])
				die("--listen-fd %d: given twice", listen_fds[i]);
	for (j = 0; j < nlfd; j++) {
		if (listen_fds[j] == conn_fd)
			die("--fd %d: also given as --listen-fd", conn_fd);
		if (use_stdio && listen_fds[j] <= 1)
			die("--listen-fd %d: also served by --stdio", listen_fds[j]);
	}
	if (use_stdio && conn_fd >= 0 && conn_fd <= 1)
		die("--fd %d: also served by --stdio", conn_fd);
	for (i = 0; i < nlfd; i++) {
		snprintf(what, sizeof(what), "--listen-fd %d", listen_fds[i]);
		check_fd(what, listen_fds[i], true);
	}
	if (conn_fd >= 0) {
		snprintf(what, sizeof(what), "--fd %d", conn_fd);
		check_fd(what, conn_fd, false);
	}
	if (use_stdio) {
		check_fd("--stdio: standard input", 0, false);
		check_fd("--stdio: standard output", 1, false);
	}
	if (cfg.squash) {
		struct passwd *pw;

		errno = 0;
		pw = getpwnam(squash_user);
		if (pw == NULL)
			die("%s %s: %s", squash_opt, squash_user,
			    errno != 0 ? strerror(errno) : "no such user");
		cfg.squash_uid = pw->pw_uid;
		cfg.squash_gid = pw->pw_gid;
	}

	if (record != NULL) {
		cfg.record = record;
		cfg.record_limit = (uint64_t)record_mib << 20;
	}
	/* The export first: its errors name the path. */
	if ((fs = posix_new(export_path, why, sizeof(why))) == NULL)
		die("cannot %s", why);
	if (no_dircache)
		(void)posix_set_dircache(fs, false);	/* turning off cannot fail */
	if ((srv = p9srv_new(&cfg, &posix_backend, fs, why, sizeof(why))) == NULL)
		die("%s", why);

	/* The addresses are printed once every listener works: a failure
	 * says one line. */
	for (i = 0; i < nlisten; i++) {
		const char *spec = listen_specs[i];

		lfds[i] = strncmp(spec, "unix:", 5) == 0 ? listen_unix(spec + 5) : listen_tcp(spec);
		/* The socket file is ours to remove (remove_made_sockets), not
		 * the loop's. */
		if (p9srv_listen(srv, lfds[i]) != 0)
			die("cannot listen on %s: %s", spec, strerror(errno));
	}
	for (i = 0; i < nlfd; i++)
		if (p9srv_listen(srv, listen_fds[i]) != 0)
			die("--listen-fd %d: %s", listen_fds[i], strerror(errno));
	if (conn_fd >= 0 && p9srv_serve_fd(srv, conn_fd, conn_fd) != 0)
		die("--fd %d: %s", conn_fd, strerror(errno));
	if (use_stdio && p9srv_serve_fd(srv, 0, 1) != 0)
		die("--stdio: cannot serve standard input and output: %s", strerror(errno));
	if (cfg.squash && geteuid() != 0)
		fprintf(stderr, "p9d: not root: squashing has no effect\n");
	for (i = 0; i < nlisten; i++)
		print_addr(lfds[i], listen_specs[i]);
	for (i = nlfd - nactivated; i < nlfd; i++) {
		snprintf(what, sizeof(what), "descriptor %d (LISTEN_FDS)", listen_fds[i]);
		print_addr(listen_fds[i], what);
	}
	fprintf(stderr, "p9d: exporting %s%s\n", posix_export(fs), cfg.readonly ? " (read-only)" : "");

	rc = p9srv_run(srv);
	if (rc != 0)
		fprintf(stderr, "p9d: the event loop failed: %s\n", strerror(errno));
	p9srv_free(srv);
	posix_free(fs);
	remove_made_sockets();
	return rc != 0 ? 1 : 0;
}
