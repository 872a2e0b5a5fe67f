/*
 * memfsd [-rd] [-m BYTES] [-l unix:PATH | -l tcp:HOST:PORT]: serve a memfs
 * with a small demo tree over 9P2000.L, the example to copy when embedding
 * the engine: make the file system, put the program's files in it, make
 * the server, give it a listening socket, run. The default address is
 * tcp:127.0.0.1:0 (a free port); the one bound is printed as "listening on
 * tcp:127.0.0.1:PORT" once clients may connect. SIGINT/SIGTERM stop it.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE	/* getaddrinfo, clock_gettime (the build defines it too) */
#endif

#include <errno.h>
#include <netdb.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/socket.h>
#include <sys/un.h>

#include "memfs.h"

static const char readme[] = "memfs: a file system in memfsd's memory. /ctl/uptime: seconds\n"
    "up; /ctl/counter: grows at every read; /ctl/echo: says back what you write.\n";

static struct timespec started;
static atomic_long reads;
static pthread_mutex_t echo_mu = PTHREAD_MUTEX_INITIALIZER;
static char echo[4096];
static size_t echo_len;

/* Control files: read fills buf[cap] and returns the whole length. This
 * one is /ctl/uptime (arg NULL) and /ctl/counter (arg: its count). */
static long
number_read(void *arg, char *buf, size_t cap)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	if (arg != NULL)
		return snprintf(buf, cap, "%ld\n", atomic_fetch_add((atomic_long *)arg, 1) + 1);
	return snprintf(buf, cap, "%lld\n", (long long)(now.tv_sec - started.tv_sec));
}

static long
echo_read(void *arg, char *buf, size_t cap)
{
	size_t len;

	(void)arg;
	pthread_mutex_lock(&echo_mu);
	len = echo_len;
	memcpy(buf, echo, len < cap ? len : cap);
	pthread_mutex_unlock(&echo_mu);
	return (long)len;
}

/* A write at offset 0 starts a new text; later offsets continue it. */
static long
echo_write(void *arg, uint64_t off, const void *data, size_t len)
{
	(void)arg;
	if (off > sizeof(echo) || len > sizeof(echo) - off)
		return -EFBIG;
	pthread_mutex_lock(&echo_mu);
	memcpy(echo + off, data, len);
	echo_len = off + len;
	pthread_mutex_unlock(&echo_mu);
	return (long)len;
}

static const struct memfs_ctl number_ctl = { number_read, NULL };
static const struct memfs_ctl echo_ctl = { echo_read, echo_write };

/* A listening socket for "unix:PATH" or "tcp:HOST:PORT"; shown[] gets the
 * address bound (the port the kernel chose for port 0). */
static int
listen_on(const char *addr, char *shown, size_t len)
{
	struct addrinfo hints = { .ai_socktype = SOCK_STREAM, .ai_flags = AI_PASSIVE }, *ai;
	struct sockaddr_storage ss = { 0 };
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	socklen_t sl = sizeof(ss);
	char host[256], port[16];
	const char *colon = strrchr(addr, ':'), *path = addr + 5;
	int fd, one = 1, br;

	if (strncmp(addr, "unix:", 5) == 0) {
		if (strnlen(path, sizeof(sun.sun_path)) == sizeof(sun.sun_path)) {
			errno = ENAMETOOLONG;
			return -1;
		}
		memcpy(sun.sun_path, path, strlen(path) + 1);
		memcpy(&ss, &sun, sizeof(sun));
		sl = sizeof(sun);
	} else if (strncmp(addr, "tcp:", 4) == 0 && colon > addr + 4) {
		br = addr[4] == '[';	/* tcp:[::1]:564 */
		if (snprintf(host, sizeof(host), "%.*s", (int)(colon - addr - 4 - 2 * br),
		    addr + 4 + br) <= 0 || getaddrinfo(host, colon + 1, &hints, &ai) != 0) {
			errno = EINVAL;
			return -1;
		}
		memcpy(&ss, ai->ai_addr, ai->ai_addrlen);
		sl = ai->ai_addrlen;
		freeaddrinfo(ai);
	} else {
		errno = EINVAL;
		return -1;
	}
	if ((fd = socket(ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0)) < 0)
		return -1;
	(void)setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(fd, (struct sockaddr *)&ss, sl) != 0 || listen(fd, 64) != 0) {
		close(fd);
		return -1;
	}
	snprintf(shown, len, "%s", addr);
	if (ss.ss_family != AF_UNIX && getsockname(fd, (struct sockaddr *)&ss, &sl) == 0 &&
	    getnameinfo((struct sockaddr *)&ss, sl, host, sizeof(host), port, sizeof(port),
	    NI_NUMERICHOST | NI_NUMERICSERV) == 0)
		snprintf(shown, len, "tcp:%s%s%s:%s", ss.ss_family == AF_INET6 ? "[" : "", host,
		    ss.ss_family == AF_INET6 ? "]" : "", port);
	return fd;
}

int
main(int argc, char **argv)
{
	const char *addr = "tcp:127.0.0.1:0";
	struct p9srv_config cfg;
	struct memfs_config mcfg;
	struct memfs *fs;
	struct p9srv *s;
	char why[256], shown[300], *end;
	int c, fd;

	p9srv_config_defaults(&cfg);
	memfs_config_defaults(&mcfg);
	while ((c = getopt(argc, argv, "dl:m:r")) != -1) {
		switch (c) {
		case 'd': cfg.debug = 1; break;
		case 'l': addr = optarg; break;
		case 'm':
			if ((mcfg.max_bytes = strtoull(optarg, &end, 0)) == 0 || *end != '\0')
				goto usage;
			break;
		case 'r': cfg.readonly = true; break;
		default:
		usage:
			fprintf(stderr, "usage: memfsd [-rd] [-m BYTES] [-l unix:PATH | -l tcp:HOST:PORT]\n");
			return 2;
		}
	}
	clock_gettime(CLOCK_MONOTONIC, &started);
	if ((fs = memfs_new(&mcfg)) == NULL ||
	    memfs_add_file(fs, "/README", 0444, readme, sizeof(readme) - 1) != 0 ||
	    memfs_add_ctl(fs, "/ctl/uptime", 0444, &number_ctl, NULL) != 0 ||
	    memfs_add_ctl(fs, "/ctl/counter", 0444, &number_ctl, &reads) != 0 ||
	    memfs_add_ctl(fs, "/ctl/echo", 0666, &echo_ctl, NULL) != 0) {
		fprintf(stderr, "memfsd: cannot make the demo tree (is -m too small?)\n");
		return 1;
	}
	cfg.signals = true;	/* SIGINT/SIGTERM end p9srv_run */
	if ((s = p9srv_new(&cfg, memfs_backend(fs), fs, why, sizeof(why))) == NULL) {
		fprintf(stderr, "memfsd: %s\n", why);
		return 1;
	}
	if ((fd = listen_on(addr, shown, sizeof(shown))) < 0 || p9srv_listen(s, fd) != 0) {
		fprintf(stderr, "memfsd: cannot listen on %s: %s\n", addr, strerror(errno));
		return 1;
	}
	printf("listening on %s\n", shown);
	fflush(stdout);
	c = p9srv_run(s);
	p9srv_free(s);
	memfs_free(fs);
	if (strncmp(addr, "unix:", 5) == 0)
		unlink(addr + 5);	/* the socket we made */
	return c == 0 ? 0 : 1;
}
