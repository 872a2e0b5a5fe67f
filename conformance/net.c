/*
 * Sockets for the runner, the recorder and fake9p: dial (p9c_dial), listen,
 * framed receive with a deadline. The frame I/O stays here rather than on
 * p9c_send_raw/p9c_recv_raw: callers read and consume c->buf themselves,
 * the recorder fills it from the socket directly and forwards a partial
 * frame at the end, frames are bounded by any maxsize (16 MiB before a
 * Tversion, whatever msize a server answered) where p9c allows
 * P9C_MSIZE_MIN..P9C_MSIZE_MAX, and a capture records the bytes of a frame
 * cut short, which p9c keeps to itself.
 */
#include <errno.h>
#include <netdb.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/un.h>

#include "conform.h"
#include "p9_clock.h"
#include "p9c.h"

static int
unix_addr(const char *path, struct sockaddr_un *sun)
{
	memset(sun, 0, sizeof(*sun));
	sun->sun_family = AF_UNIX;
	if (strlen(path) >= sizeof(sun->sun_path)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	memcpy(sun->sun_path, path, strlen(path) + 1);
	return 0;
}

/* HOST:PORT (HOST may be a bracketed IPv6 address) for a passive socket. */
static struct addrinfo *
tcp_addr(const char *addr)
{
	struct addrinfo hints = { .ai_socktype = SOCK_STREAM, .ai_flags = AI_PASSIVE }, *ai = NULL;
	char host[256];
	const char *colon = strrchr(addr, ':');
	size_t hl;

	if (colon == NULL || colon == addr) {
		errno = EINVAL;
		return NULL;
	}
	hl = (size_t)(colon - addr);
	if (addr[0] == '[' && hl >= 2 && addr[hl - 1] == ']') {
		addr++;
		hl -= 2;
	}
	if (hl >= sizeof(host)) {
		errno = EINVAL;
		return NULL;
	}
	memcpy(host, addr, hl);
	host[hl] = '\0';
	if (getaddrinfo(host, colon + 1, &hints, &ai) != 0) {
		errno = EHOSTUNREACH;
		return NULL;
	}
	return ai;
}

/* Dialling is p9c's (p9c_dial): the same address forms and errors as every
 * other lib9p tool; the socket is then ours. */
int
cf_dial(const char *addr)
{
	struct p9c *c = p9c_new();
	int rc, fd;

	if (c == NULL) {
		errno = ENOMEM;
		return -1;
	}
	rc = p9c_dial(c, addr);
	fd = rc == 0 ? p9c_detach(c) : -1;
	p9c_close(c);
	if (rc != 0)
		errno = -rc;
	return fd;
}

int
cf_listen(const char *addr)
{
	int fd, one = 1;

	if (strncmp(addr, "unix:", 5) == 0) {
		struct sockaddr_un sun;

		if (unix_addr(addr + 5, &sun) != 0)
			return -1;
		(void)unlink(addr + 5);
		fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
		if (fd >= 0 && (bind(fd, (struct sockaddr *)&sun, sizeof(sun)) != 0 ||
		    listen(fd, 16) != 0)) {
			close(fd);
			return -1;
		}
		return fd;
	}
	struct addrinfo *ai = tcp_addr(addr);

	if (ai == NULL)
		return -1;
	fd = socket(ai->ai_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd >= 0) {
		(void)setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
		if (bind(fd, ai->ai_addr, ai->ai_addrlen) != 0 || listen(fd, 16) != 0) {
			close(fd);
			fd = -1;
		}
	}
	freeaddrinfo(ai);
	return fd;
}

void
cf_conn_init(struct cf_conn *c, int fd)
{
	memset(c, 0, sizeof(*c));
	c->fd = fd;
}

void
cf_conn_capture(struct cf_conn *c, struct p9pcap *p)
{
	c->pcap = p;
	c->recorded = 0;
	p9pcap_stream_open(p, &c->pstream);
}

void
cf_conn_close(struct cf_conn *c)
{
	if (c->pcap != NULL) {
		if (c->len > c->recorded)
			p9pcap_write(c->pcap, &c->pstream, P9PCAP_S2C, c->buf + c->recorded,
			    c->len - c->recorded);
		p9pcap_stream_close(c->pcap, &c->pstream);
	}
	if (c->fd >= 0)
		close(c->fd);
	free(c->buf);
	memset(c, 0, sizeof(*c));
	c->fd = -1;
}

int
cf_send(struct cf_conn *c, const void *buf, size_t len)
{
	const uint8_t *p = buf;

	while (len > 0) {
		ssize_t w = send(c->fd, p, len, MSG_NOSIGNAL);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return -1;
		p += w;
		len -= (size_t)w;
	}
	/* Recorded once all of it went out: a capture shows what was sent. */
	if (c->pcap != NULL)
		p9pcap_write(c->pcap, &c->pstream, P9PCAP_C2S, buf, (size_t)(p - (const uint8_t *)buf));
	return 0;
}

long
cf_recv_frame(struct cf_conn *c, int timeout_ms, uint32_t maxsize)
{
	long deadline = p9_now_ms() + timeout_ms;

	for (;;) {
		size_t need;
		int rc = p9_frame_need(c->buf, c->len, maxsize, &need);

		if (rc != 0)
			return -2;
		if (need >= 7 && c->len >= need) {
			if (c->pcap != NULL && c->recorded < need) {
				p9pcap_write(c->pcap, &c->pstream, P9PCAP_S2C, c->buf + c->recorded,
				    need - c->recorded);
				c->recorded = need;
			}
			return (long)need;
		}
		if (c->eof || c->fd < 0)
			return 0;
		if (c->cap < need || c->cap - c->len < 4096) {
			size_t cap = c->cap ? c->cap : 65536;
			uint8_t *p;

			while (cap < need || cap - c->len < 4096)
				cap *= 2;
			p = realloc(c->buf, cap);
			if (p == NULL)
				return -2;
			c->buf = p;
			c->cap = cap;
		}
		long left = deadline - p9_now_ms();
		struct pollfd pfd = { .fd = c->fd, .events = POLLIN };

		if (left <= 0)
			return -1;
		rc = poll(&pfd, 1, (int)left);
		if (rc < 0 && errno == EINTR)
			continue;
		if (rc == 0)
			return -1;
		ssize_t r = recv(c->fd, c->buf + c->len, c->cap - c->len, 0);

		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			c->eof = true;
		else
			c->len += (size_t)r;
	}
}

void
cf_consume(struct cf_conn *c, size_t n)
{
	memmove(c->buf, c->buf + n, c->len - n);
	c->len -= n;
	c->recorded = c->recorded > n ? c->recorded - n : 0;
}
