/* p9cat ADDR ANAME PATH: print a file of a 9P2000.L server (lib9p's p9c.h). */
#include <stdio.h>
#include <unistd.h>
#include <p9c.h>	/* lib9pl: pkg-config --cflags --libs 9pl */

int
main(int argc, char **argv)
{
	static char buf[65536];
	struct p9c *c = p9c_new();
	uint32_t root, fid;
	uint64_t off = 0;
	long n;

	if (argc != 4) {
		fprintf(stderr, "usage: p9cat tcp:HOST:PORT|unix:PATH ANAME PATH\n");
		return 2;
	}
	if (c == NULL || p9c_dial(c, argv[1]) < 0 || p9c_version(c, 0) < 0 ||
	    p9c_attach(c, NULL, (uint32_t)getuid(), argv[2], &root, NULL) < 0 ||
	    p9c_walk_path(c, root, argv[3], &fid, NULL) < 0 ||
	    p9c_open(c, fid, P9_DOTL_RDONLY, NULL, NULL) < 0) {
		fprintf(stderr, "p9cat: %s\n", c ? p9c_error(c) : "out of memory");
		p9c_close(c);
		return 1;
	}
	while ((n = p9c_read(c, fid, off, buf, sizeof buf)) > 0) {
		if (fwrite(buf, 1, (size_t)n, stdout) != (size_t)n)
			break;
		off += (uint64_t)n;
	}
	if (n < 0)
		fprintf(stderr, "p9cat: %s\n", p9c_error(c));
	p9c_close(c);
	return n < 0 || fflush(stdout) != 0 ? 1 : 0;
}
