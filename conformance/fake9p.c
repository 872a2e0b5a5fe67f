/*
 * fake9p: a deliberately wrong 9p server for the runner's self-test. It
 * forwards to a real server and corrupts replies, so must traces that
 * check those fields have to fail (run_selftest.sh).
 *
 *   fake9p LISTEN SERVER MODE     MODE: qidpath | ecode | msize | none
 */
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/socket.h>

#include "conform.h"

static void
corrupt(uint8_t *f, size_t n, const char *mode)
{
	uint8_t type = f[4];

	if (strcmp(mode, "qidpath") == 0 && (type == P9_RWALK || type == P9_RATTACH ||
	    type == P9_RGETATTR) && n >= 20)
		f[n - 1] ^= 0x40;	/* last byte: the high byte of a qid path, or data_version */
	else if (strcmp(mode, "ecode") == 0 && type == P9_RLERROR)
		f[7] = 5;		/* every error becomes EIO... */
	else if (strcmp(mode, "ecode") == 0 && type == P9_RWALK && n > 9)
		f[4] = P9_RLERROR, f[7] = 5, f[8] = f[9] = f[10] = 0, f[0] = 11;	/* ...and walks fail */
	else if (strcmp(mode, "msize") == 0 && type == P9_RVERSION)
		f[10] = 0x7f;		/* msize far above any proposal */
}

int
main(int argc, char **argv)
{
	int lfd;

	if (argc != 4)
		return 2;
	signal(SIGPIPE, SIG_IGN);
	lfd = cf_listen(argv[1]);
	if (lfd < 0)
		return 1;
	for (;;) {
		int cfd = accept(lfd, NULL, NULL);
		struct cf_conn c, s;

		if (cfd < 0)
			continue;
		if (fork() != 0) {
			close(cfd);
			continue;
		}
		close(lfd);
		cf_conn_init(&c, cfd);
		cf_conn_init(&s, cf_dial(argv[2]));
		for (;;) {
			struct pollfd p[2] = { { c.fd, POLLIN, 0 }, { s.fd, POLLIN, 0 } };
			long n;

			if (poll(p, 2, -1) < 0)
				_exit(0);
			while ((n = cf_recv_frame(&c, p[0].revents ? 1 : 0, 1u << 24)) > 0) {
				(void)cf_send(&s, c.buf, (size_t)n);
				cf_consume(&c, (size_t)n);
			}
			if (n == 0 || n == -2)
				_exit(0);
			while ((n = cf_recv_frame(&s, p[1].revents ? 1 : 0, 1u << 24)) > 0) {
				size_t len = (size_t)n;

				corrupt(s.buf, len, argv[3]);
				(void)cf_send(&c, s.buf, s.buf[0] == 11 && s.buf[4] == P9_RLERROR ? 11 : len);
				cf_consume(&s, len);
			}
			if (n == 0 || n == -2)
				_exit(0);
		}
	}
}
