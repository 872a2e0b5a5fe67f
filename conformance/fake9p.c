/*
 * fake9p: a deliberately wrong 9p server for the runner's self-test. It
 * forwards to a real server and corrupts replies, so must traces that
 * check those fields have to fail (run_selftest.sh).
 *
 *   fake9p LISTEN SERVER MODE
 *
 * MODE: none (forward as is) | qidpath | ecode | msize (corrupt a field) |
 * rerror (every Rlerror becomes 9P2000.u's Rerror: ename, errno) |
 * notsupp (Trenameat is answered Rlerror EOPNOTSUPP, not forwarded) |
 * crash (at a Trenameat the whole server dies by SIGSEGV, no core).
 */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/resource.h>
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

/* Send an Rlerror as 9P2000.u's Rerror: tag, ename (strerror), errno. */
static void
send_rerror(struct cf_conn *c, const uint8_t *f)
{
	uint32_t ecode = (uint32_t)f[7] | (uint32_t)f[8] << 8 | (uint32_t)f[9] << 16 |
	    (uint32_t)f[10] << 24;
	const char *msg = strerror((int)ecode);
	size_t len = strlen(msg) > 200 ? 200 : strlen(msg), n = 9 + len + 4;
	uint8_t out[256];

	out[0] = (uint8_t)n, out[1] = out[2] = out[3] = 0;
	out[4] = 107;			/* Rerror */
	out[5] = f[5], out[6] = f[6];	/* tag */
	out[7] = (uint8_t)len, out[8] = 0;
	memcpy(out + 9, msg, len);
	memcpy(out + 9 + len, f + 7, 4);
	(void)cf_send(c, out, n);
}

/* A client request the fake answers or dies at instead of forwarding. 1: handled. */
static int
intercept(struct cf_conn *c, const uint8_t *f, size_t n, const char *mode)
{
	if (n < 7 || f[4] != P9_TRENAMEAT)
		return 0;
	if (strcmp(mode, "crash") == 0) {
		(void)kill(0, SIGSEGV);	/* its group: listener and connections, gone */
		_exit(1);
	}
	if (strcmp(mode, "notsupp") == 0) {
		uint8_t r[11] = { 11, 0, 0, 0, P9_RLERROR, f[5], f[6], EOPNOTSUPP, 0, 0, 0 };

		(void)cf_send(c, r, sizeof(r));
		return 1;
	}
	return 0;
}

int
main(int argc, char **argv)
{
	int lfd;

	if (argc != 4)
		return 2;
	signal(SIGPIPE, SIG_IGN);
	(void)setrlimit(RLIMIT_CORE, &(struct rlimit){ 0, 0 });	/* crash mode: no core file */
	if (strcmp(argv[3], "crash") == 0) {
		(void)setpgid(0, 0);	/* what dies at the crash: this server, not our parent */
		/*
		 * Die of the signal even under a sanitizer, whose SIGSEGV handler
		 * would report and exit(1) instead; forked connections inherit it.
		 */
		(void)signal(SIGSEGV, SIG_DFL);
	}
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
				if (!intercept(&c, c.buf, (size_t)n, argv[3]))
					(void)cf_send(&s, c.buf, (size_t)n);
				cf_consume(&c, (size_t)n);
			}
			if (n == 0 || n == -2)
				_exit(0);
			while ((n = cf_recv_frame(&s, p[1].revents ? 1 : 0, 1u << 24)) > 0) {
				size_t len = (size_t)n;

				corrupt(s.buf, len, argv[3]);
				if (strcmp(argv[3], "rerror") == 0 && len == 11 && s.buf[4] == P9_RLERROR)
					send_rerror(&c, s.buf);
				else
					(void)cf_send(&c, s.buf, s.buf[0] == 11 && s.buf[4] == P9_RLERROR ? 11 : len);
				cf_consume(&s, len);
			}
			if (n == 0 || n == -2)
				_exit(0);
		}
	}
}
