/*
 * fwd PORT: qemu's guestfwd helper for tests/kernel/run.sh. qemu runs it for
 * each guest connection with the connection on stdin/stdout; it connects to
 * 127.0.0.1:PORT (and nowhere else) and copies both ways with poll() and
 * large buffers until both directions have ended.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define BUFSZ (1 << 20)

struct pipe_dir {
	int in, out;
	char *buf;
	size_t off, len;
	int eof; /* read side ended */
	int done; /* everything written and the write side shut */
};

static void
nonblock(int fd)
{
	int fl = fcntl(fd, F_GETFL);

	if (fl >= 0)
		(void)fcntl(fd, F_SETFL, fl | O_NONBLOCK);
}

static void
shut_write(int fd)
{
	if (shutdown(fd, SHUT_WR) != 0 && errno == ENOTSOCK)
		close(fd);
}

/* Move what can be moved without blocking; -1 on a hard error. */
static int
pump(struct pipe_dir *d, short rev_in, short rev_out)
{
	if (d->done)
		return 0;
	if (d->len == 0 && !d->eof && (rev_in & (POLLIN | POLLHUP | POLLERR))) {
		ssize_t n = read(d->in, d->buf, BUFSZ);

		if (n > 0) {
			d->off = 0;
			d->len = (size_t)n;
		} else if (n == 0 || (errno != EAGAIN && errno != EINTR)) {
			d->eof = 1;
		}
	}
	(void)rev_out;
	if (d->len > 0) {
		ssize_t n = write(d->out, d->buf + d->off, d->len);

		if (n > 0) {
			d->off += (size_t)n;
			d->len -= (size_t)n;
		} else if (n < 0 && errno != EAGAIN && errno != EINTR) {
			return -1;
		}
	}
	if (d->eof && d->len == 0) {
		shut_write(d->out);
		d->done = 1;
	}
	return 0;
}

int
main(int argc, char **argv)
{
	struct sockaddr_in sa;
	struct pipe_dir up, down; /* guest->server, server->guest */
	long port;
	int s, one = 1;

	if (argc != 2 || (port = strtol(argv[1], NULL, 10)) <= 0 || port > 65535) {
		fprintf(stderr, "usage: fwd PORT (connects to 127.0.0.1:PORT)\n");
		return 2;
	}
	signal(SIGPIPE, SIG_IGN);
	s = socket(AF_INET, SOCK_STREAM, 0);
	if (s < 0)
		return 1;
	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_port = htons((unsigned short)port);
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (connect(s, (struct sockaddr *)&sa, sizeof(sa)) != 0) {
		perror("fwd: connect 127.0.0.1");
		return 1;
	}
	(void)setsockopt(s, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	nonblock(0);
	nonblock(1);
	nonblock(s);
	up = (struct pipe_dir){ .in = 0, .out = s, .buf = malloc(BUFSZ) };
	down = (struct pipe_dir){ .in = s, .out = 1, .buf = malloc(BUFSZ) };
	if (!up.buf || !down.buf)
		return 1;
	while (!up.done || !down.done) {
		struct pollfd p[4];

		/* 0: guest in, 1: server out, 2: server in, 3: guest out */
		p[0] = (struct pollfd){ .fd = (!up.done && !up.eof && up.len == 0) ? 0 : -1,
			.events = POLLIN };
		p[1] = (struct pollfd){ .fd = (!up.done && up.len > 0) ? s : -1, .events = POLLOUT };
		p[2] = (struct pollfd){ .fd = (!down.done && !down.eof && down.len == 0) ? s : -1,
			.events = POLLIN };
		p[3] = (struct pollfd){ .fd = (!down.done && down.len > 0) ? 1 : -1,
			.events = POLLOUT };
		if (poll(p, 4, -1) < 0) {
			if (errno == EINTR)
				continue;
			return 1;
		}
		if (pump(&up, p[0].revents, p[1].revents) < 0 ||
		    pump(&down, p[2].revents, p[3].revents) < 0)
			return 1;
		if (up.done && down.eof && down.len == 0)
			down.done = 1;
	}
	return 0;
}
