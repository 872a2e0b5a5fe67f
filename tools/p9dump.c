/*
 * p9dump: print a raw 9P2000.L byte stream, one message per line.
 *
 * The input is concatenated frames (one direction of a connection, or both
 * interleaved, e.g. extracted from a capture). Each line is the frame's byte
 * offset in the stream, a space, and the message's text form. The stream is
 * read one frame at a time, so memory stays bounded by --msize.
 *
 * Exit status: 0 success, 1 malformed or truncated stream (or a --check
 * mismatch), 2 usage or I/O error.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "p9.h"
#include "p9pcap.h"

#define EXIT_BAD	1
#define EXIT_USAGE	2

#define DEFAULT_MSIZE	(16u << 20)
#define DATA_SHOWN	64		/* data bytes printed without --full */

struct dump {
	FILE		*in;
	const char	*in_name;
	uint32_t	 msize;
	int		 check;
	int		 full;		/* --full: print data payloads whole */
	uint8_t		*frame;		/* the current frame; room for msize bytes once grown */
	size_t		 frame_cap;
	uint8_t		*enc;		/* --check: the re-encoded frame */
	size_t		 enc_cap;
	char		*text;		/* the current line */
	size_t		 text_cap;
	struct p9pcap	*pcap;		/* --pcap: the capture being written, or NULL */
	struct p9pcap_stream pstream;
};

static void
usage(FILE *f)
{
	fputs(
"usage: p9dump [--check] [--full] [--msize N] [--pcap OUT] [FILE]\n"
"       p9dump --help | --version\n"
"\n"
"Read a raw 9P2000.L byte stream (concatenated frames of one or both\n"
"directions of a connection) from FILE, or from standard input if FILE is\n"
"absent or \"-\", and print one line per message: the frame's byte offset\n"
"in the stream (decimal), a space, and the message in lib9p's text form.\n"
"Decoding is strict: the size field must match, the type must be known,\n"
"every field must fit, nothing may trail, strings hold no NUL, and an\n"
"Rreaddir's data must be whole directory entries.\n"
"\n"
"The data of Twrite, Rread and Rreaddir (the last field of each) shows\n"
"its first 64 bytes, then ...(N bytes) with the whole count when it is\n"
"longer: data=\"...\"...(78000 bytes). --full prints it whole.\n"
"\n"
"options:\n"
"  -c, --check    re-encode every decoded message and fail unless the bytes\n"
"                 are identical to the input frame\n"
"  -f, --full     print data payloads whole, not cut at 64 bytes\n"
"  -m, --msize N  largest frame accepted, in bytes (default 16777216)\n"
"  -p, --pcap OUT also write the stream to OUT as a libpcap capture that\n"
"                 Wireshark's 9P dissector decodes: one synthetic TCP\n"
"                 connection to port 564, T-messages from the client and\n"
"                 R-messages from the server, one packet per frame, 1 ms\n"
"                 apart from 2000-01-01 (the same input makes the same\n"
"                 file). The frames before an error are written.\n"
"  -h, --help     print this help and exit\n"
"  -V, --version  print p9dump's version and exit\n"
"\n"
"On a malformed frame or a stream that ends inside a frame, p9dump prints\n"
"  <offset>: error: <reason> (at byte <position>)\n"
"to standard error, where <offset> is the frame's offset and <position> the\n"
"stream offset of the offending byte, and exits with status 1.\n"
"\n"
"exit status: 0 success, 1 malformed or truncated stream or --check\n"
"mismatch, 2 usage or I/O error.\n", f);
}

static void *
xrealloc(void *p, size_t n)
{
	void *q = realloc(p, n);

	if (q == NULL) {
		fprintf(stderr, "p9dump: out of memory (%zu bytes)\n", n);
		exit(EXIT_USAGE);
	}
	return q;
}

static void
grow(uint8_t **buf, size_t *cap, size_t need)
{
	if (*cap < need) {
		*buf = xrealloc(*buf, need);
		*cap = need;
	}
}

static int
bad(uint64_t off, const char *why, uint64_t at)
{
	fflush(stdout);
	fprintf(stderr, "%" PRIu64 ": error: %s (at byte %" PRIu64 ")\n", off, why, at);
	return EXIT_BAD;
}

/*
 * Read up to n bytes into buf. Returns how many arrived; fewer than n means
 * end of input. An I/O error exits.
 */
static size_t
fill(struct dump *d, uint8_t *buf, size_t n)
{
	size_t got = fread(buf, 1, n, d->in);

	if (got < n && ferror(d->in)) {
		fprintf(stderr, "p9dump: %s: read error: %s\n", d->in_name, strerror(errno));
		exit(EXIT_USAGE);
	}
	return got;
}

/* Re-encode m and compare with the frame it came from. */
static int
check_frame(struct dump *d, const struct p9_msg *m, size_t len, uint64_t off)
{
	size_t want = p9_msg_size(m), i;
	long n;

	grow(&d->enc, &d->enc_cap, want > len ? want : len);
	n = p9_msg_encode(m, d->enc, d->enc_cap);
	if (n < 0)
		return bad(off, p9_strerror((int)n), off);
	for (i = 0; i < len && i < (size_t)n; i++)
		if (d->enc[i] != d->frame[i])
			break;
	if (i < len || (size_t)n != len)
		return bad(off, "re-encoded bytes differ", off + i);
	return 0;
}

/* The data field of m if it has one (always its last field), else NULL. */
static struct p9_data *
data_field(struct p9_msg *m)
{
	switch (m->type) {
	case P9_TWRITE:
		return &m->twrite.data;
	case P9_RREAD:
		return &m->rread.data;
	case P9_RREADDIR:
		return &m->rreaddir.data;
	default:
		return NULL;
	}
}

/* Print "<off> <text form>\n", growing the line buffer as needed. Without
 * --full, a data field longer than DATA_SHOWN bytes shows that many and
 * "...(N bytes)" after its closing quote. */
static int
print_msg(struct dump *d, const struct p9_msg *orig, uint64_t off)
{
	struct p9_msg shown = *orig, *m = &shown;
	struct p9_data *data = d->full ? NULL : data_field(m);
	uint32_t total = 0;
	long n;

	if (data != NULL && data->len > DATA_SHOWN) {
		total = data->len;
		data->len = DATA_SHOWN;
	}
	n = p9_msg_print(m, d->text, d->text_cap);

	if (n >= 0 && (size_t)n >= d->text_cap) {
		d->text_cap = (size_t)n + 1;
		d->text = xrealloc(d->text, d->text_cap);
		n = p9_msg_print(m, d->text, d->text_cap);
	}
	if (n < 0)
		return bad(off, p9_strerror((int)n), off);
	if (total > 0)
		printf("%" PRIu64 " %.*s...(%" PRIu32 " bytes)\n", off, (int)n, d->text, total);
	else
		printf("%" PRIu64 " %.*s\n", off, (int)n, d->text);
	return 0;
}

/* Dump every frame of the stream. Returns an exit status. */
static int
dump_stream(struct dump *d)
{
	uint64_t off = 0;
	struct p9_msg m;
	size_t need, got, errpos;
	int err;

	grow(&d->frame, &d->frame_cap, P9_HDRSZ);
	for (;;) {
		got = fill(d, d->frame, 4);
		if (got == 0)
			return 0;
		if (got < 4)
			return bad(off, p9_strerror(P9_ERR_SHORT), off + got);
		err = p9_frame_need(d->frame, got, d->msize, &need);
		if (err != 0)
			return bad(off, p9_strerror(err), off);
		grow(&d->frame, &d->frame_cap, need);
		got += fill(d, d->frame + 4, need - 4);
		if (got < need)
			return bad(off, p9_strerror(P9_ERR_SHORT), off + got);
		err = p9_msg_decode_ex(d->frame, need, 0, &m, &errpos);
		if (err != 0)
			return bad(off, p9_strerror(err), off + errpos);
		if (d->check && (err = check_frame(d, &m, need, off)) != 0)
			return err;
		if (d->pcap != NULL)
			p9pcap_write(d->pcap, &d->pstream,
			    (m.type & 1) ? P9PCAP_S2C : P9PCAP_C2S, d->frame, need);
		if ((err = print_msg(d, &m, off)) != 0)
			return err;
		off += need;
	}
}

static int
parse_msize(const char *s, uint32_t *v)
{
	unsigned long long n;
	char *end;

	errno = 0;
	n = strtoull(s, &end, 0);
	if (errno != 0 || end == s || *end != '\0' || s[0] == '-' ||
	    n < P9_HDRSZ || n > UINT32_MAX)
		return -1;
	*v = (uint32_t)n;
	return 0;
}

int
main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "check", no_argument, NULL, 'c' },
		{ "full", no_argument, NULL, 'f' },
		{ "msize", required_argument, NULL, 'm' },
		{ "pcap", required_argument, NULL, 'p' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	struct dump d = { .in = stdin, .in_name = "<stdin>", .msize = DEFAULT_MSIZE };
	struct p9pcap pcap;
	const char *pcap_path = NULL;
	int c, rc;

	while ((c = getopt_long(argc, argv, "cfm:p:hV", opts, NULL)) != -1) {
		switch (c) {
		case 'c':
			d.check = 1;
			break;
		case 'f':
			d.full = 1;
			break;
		case 'm':
			if (parse_msize(optarg, &d.msize) != 0) {
				fprintf(stderr, "p9dump: bad --msize '%s' (want 7..4294967295)\n",
				    optarg);
				return EXIT_USAGE;
			}
			break;
		case 'p':
			pcap_path = optarg;
			break;
		case 'h':
			usage(stdout);
			return 0;
		case 'V':
			printf("p9dump (lib9p) %s\n", P9DUMP_VERSION);
			return 0;
		default:
			usage(stderr);
			return EXIT_USAGE;
		}
	}
	if (argc - optind > 1) {
		usage(stderr);
		return EXIT_USAGE;
	}
	if (optind < argc && strcmp(argv[optind], "-") != 0) {
		d.in_name = argv[optind];
		d.in = fopen(d.in_name, "rb");
		if (d.in == NULL) {
			fprintf(stderr, "p9dump: %s: %s\n", d.in_name, strerror(errno));
			return EXIT_USAGE;
		}
	}
	if (pcap_path != NULL) {
		if (p9pcap_open(&pcap, pcap_path, 0666, P9PCAP_CLOCK_COUNTER, 0, false) != 0) {
			fprintf(stderr, "p9dump: %s: %s\n", pcap_path, strerror(errno));
			return EXIT_USAGE;
		}
		d.pcap = &pcap;
		p9pcap_stream_open(&pcap, &d.pstream);
	}
	d.text_cap = 1 << 16;
	d.text = xrealloc(NULL, d.text_cap);
	rc = dump_stream(&d);
	if (d.pcap != NULL) {
		p9pcap_stream_close(d.pcap, &d.pstream);
		if (p9pcap_close(d.pcap) != 0) {
			fprintf(stderr, "p9dump: %s: write error: %s\n", pcap_path, strerror(errno));
			rc = EXIT_USAGE;
		}
	}
	if (fflush(stdout) != 0 || ferror(stdout)) {
		fprintf(stderr, "p9dump: write error: %s\n", strerror(errno));
		rc = EXIT_USAGE;
	}
	if (d.in != stdin)
		fclose(d.in);
	free(d.frame);
	free(d.enc);
	free(d.text);
	return rc;
}
