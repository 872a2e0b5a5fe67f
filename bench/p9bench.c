/*
 * p9bench: codec micro-benchmark. For each message of a realistic mix
 * (Twalk of 3 names, Rgetattr, Tread, Rread of 4 KiB, Twrite of 4 KiB,
 * Rreaddir of 32 entries, Rlerror) and for the whole mix, time decode and
 * encode over several rounds and print ns per message (median and min of
 * the rounds) and messages per second (from the median).
 *
 * Decode is p9_msg_decode of a ready frame; for Rreaddir it also walks the
 * 32 dirents, since a client has to. Encode is p9_msg_encode of a filled
 * struct (copying the 4 KiB payloads); Rreaddir is built the way a server
 * does it, with p9_rdata_begin / p9_dirent_put / p9_rdata_seal.
 * Every result feeds a checksum that is printed, so no work can be elided.
 */
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "p9_clock.h"
#include "p9.h"

#define NMSG		7
#define PAYLOAD		4096
#define NDIRENT		32
#define MAXROUNDS	99
#define FRAME_CAP	(PAYLOAD + 64)

struct sample {
	const char	*name;
	struct p9_msg	 msg;		/* filled struct, the input of encode */
	uint8_t		 frame[FRAME_CAP];	/* its wire form, the input of decode */
	size_t		 len;
};

static struct sample samples[NMSG];
static uint8_t payload[PAYLOAD];
static char dirent_names[NDIRENT][16];
static uint8_t out[FRAME_CAP];
static uint64_t checksum;

static void
die(const char *what, long err)
{
	fprintf(stderr, "p9bench: %s: %s\n", what, p9_strerror((int)err));
	exit(1);
}

static void
setstr(struct p9_str *s, const char *cstr)
{
	if (p9_str_set(s, cstr) != 0)
		die("p9_str_set", P9_ERR_STRLEN);
}

/* The Rreaddir of 32 entries, as a server builds it. Returns its length. */
static size_t
build_readdir(uint8_t *buf, size_t cap, uint16_t tag)
{
	struct p9_dirent d = { .qid = { .type = P9_QTFILE, .version = 1 }, .type = 8 };
	uint32_t room, used = 0;
	uint8_t *data = p9_rdata_begin(buf, cap, P9_RREADDIR, tag, 8192, &room);
	int i;

	if (data == NULL)
		die("p9_rdata_begin", P9_ERR_NOSPACE);
	for (i = 0; i < NDIRENT; i++) {
		d.qid.path = 1000u + (uint64_t)i;
		d.offset = (uint64_t)i + 1;
		d.name.ptr = dirent_names[i];
		d.name.len = (uint16_t)strlen(dirent_names[i]);
		if (p9_dirent_put(data, room, &used, &d) != 0)
			die("p9_dirent_put", P9_ERR_NOSPACE);
	}
	return p9_rdata_seal(buf, used);
}

static void
setup(void)
{
	struct p9_msg *m;
	long n;
	int i;

	for (i = 0; i < PAYLOAD; i++)
		payload[i] = (uint8_t)(i * 31 + 7);
	for (i = 0; i < NDIRENT; i++)
		snprintf(dirent_names[i], sizeof(dirent_names[i]), "file-%04d.txt", i);

	samples[0].name = "Twalk(3)";
	m = &samples[0].msg;
	m->type = P9_TWALK;
	m->twalk = (struct p9_twalk){ .tag = 1, .fid = 1, .newfid = 2, .wname.n = 3 };
	setstr(&m->twalk.wname.s[0], "usr");
	setstr(&m->twalk.wname.s[1], "share");
	setstr(&m->twalk.wname.s[2], "dict");

	samples[1].name = "Rgetattr";
	m = &samples[1].msg;
	m->type = P9_RGETATTR;
	m->rgetattr = (struct p9_rgetattr){ .tag = 2, .valid = P9_GETATTR_BASIC,
	    .qid = { .type = P9_QTFILE, .version = 3, .path = 123456 },
	    .mode = 0100644, .uid = 1000, .gid = 1000, .nlink = 1, .size = 65536,
	    .blksize = 4096, .blocks = 128, .atime_sec = 1700000000,
	    .mtime_sec = 1700000000, .ctime_sec = 1700000000 };

	samples[2].name = "Tread";
	m = &samples[2].msg;
	m->type = P9_TREAD;
	m->tread = (struct p9_tread){ .tag = 3, .fid = 2, .offset = 8192, .count = PAYLOAD };

	samples[3].name = "Rread(4K)";
	m = &samples[3].msg;
	m->type = P9_RREAD;
	m->rread = (struct p9_rread){ .tag = 3, .data = { payload, PAYLOAD } };

	samples[4].name = "Twrite(4K)";
	m = &samples[4].msg;
	m->type = P9_TWRITE;
	m->twrite = (struct p9_twrite){ .tag = 4, .fid = 2, .offset = 0,
	    .data = { payload, PAYLOAD } };

	/* Rreaddir: the frame comes from the builder; decode fills the struct. */
	samples[5].name = "Rreaddir(32)";
	samples[5].len = build_readdir(samples[5].frame, FRAME_CAP, 5);
	n = p9_msg_decode(samples[5].frame, samples[5].len, &samples[5].msg);
	if (n != 0)
		die("decode Rreaddir", n);

	samples[6].name = "Rlerror";
	m = &samples[6].msg;
	m->type = P9_RLERROR;
	m->rlerror = (struct p9_rlerror){ .tag = 6, .ecode = 2 };

	for (i = 0; i < NMSG; i++) {
		if (samples[i].len != 0)
			continue;
		n = p9_msg_encode(&samples[i].msg, samples[i].frame, FRAME_CAP);
		if (n < 0)
			die(samples[i].name, n);
		samples[i].len = (size_t)n;
	}
}

static void
decode_one(const struct sample *s)
{
	struct p9_msg m;
	int err = p9_msg_decode(s->frame, s->len, &m);

	if (err != 0)
		die("decode", err);
	checksum += m.type + m.tag;
	if (m.type == P9_RREADDIR) {
		struct p9_dirent_iter it;
		struct p9_dirent d;

		/* The decoder checked the dirents: the walk need not again. */
		p9_dirent_iter_checked(&it, m.rreaddir.data);
		while ((err = p9_dirent_next(&it, &d)) == 1)
			checksum += d.offset + d.name.len;
		if (err != 0)
			die("dirent", err);
	}
}

static void
encode_one(const struct sample *s)
{
	long n;

	if (s->msg.type == P9_RREADDIR)
		n = (long)build_readdir(out, sizeof(out), s->msg.tag);
	else
		n = p9_msg_encode(&s->msg, out, sizeof(out));
	if (n < 0)
		die("encode", n);
	checksum += (uint64_t)n + out[n - 1];
}

/* Run `iters` times over messages [first, first + count); return ns per message. */
static double
run(int encode, int first, int count, uint64_t iters)
{
	uint64_t t0, i;
	int k;

	t0 = p9_now_ns();
	for (i = 0; i < iters; i++)
		for (k = first; k < first + count; k++)
			encode ? encode_one(&samples[k]) : decode_one(&samples[k]);
	return (double)(p9_now_ns() - t0) / (double)(iters * (uint64_t)count);
}

static int
cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

struct result {
	const char	*op;
	const char	*name;
	size_t		 bytes;		/* frame length; 0 for the mix */
	double		 median, min;
};

static struct result
measure(int encode, int first, int count, const char *name, int rounds, double ms)
{
	double ns[MAXROUNDS], est;
	uint64_t iters;
	int r;

	/* Calibrate: enough iterations for about `ms` milliseconds per round. */
	est = run(encode, first, count, 1000);
	iters = (uint64_t)(ms * 1e6 / (est * count));
	if (iters < 1000)
		iters = 1000;
	for (r = 0; r < rounds; r++)
		ns[r] = run(encode, first, count, iters);
	qsort(ns, (size_t)rounds, sizeof(ns[0]), cmp_double);
	return (struct result){ encode ? "encode" : "decode", name,
	    count == 1 ? samples[first].len : 0, ns[rounds / 2], ns[0] };
}

static void
usage(FILE *f)
{
	fputs(
"usage: p9bench [--rounds N] [--ms N] [--json]\n"
"\n"
"Time lib9p's decode and encode of a realistic message mix and print ns per\n"
"message (median and min over the rounds) and messages per second.\n"
"\n"
"  -r, --rounds N  rounds per measurement, 1..99 (default 7)\n"
"  -t, --ms N      target milliseconds per round (default 20)\n"
"  -j, --json      print JSON instead of a table\n"
"  -h, --help      print this help\n"
"\n"
"Build it optimized for meaningful figures: ci/bench.sh does.\n", f);
}

int
main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "rounds", required_argument, NULL, 'r' },
		{ "ms", required_argument, NULL, 't' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct result res[2 * (NMSG + 1)];
	int c, op, i, nres = 0, rounds = 7, json = 0;
	double ms = 20;

	while ((c = getopt_long(argc, argv, "r:t:jh", opts, NULL)) != -1) {
		switch (c) {
		case 'r':
			rounds = atoi(optarg);
			if (rounds < 1 || rounds > MAXROUNDS) {
				fprintf(stderr, "p9bench: --rounds wants 1..%d\n", MAXROUNDS);
				return 2;
			}
			break;
		case 't':
			ms = atof(optarg);
			if (!(ms > 0 && ms <= 60000)) {
				fprintf(stderr, "p9bench: --ms wants a positive number\n");
				return 2;
			}
			break;
		case 'j':
			json = 1;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (optind != argc) {
		usage(stderr);
		return 2;
	}

	setup();
	for (op = 0; op < 2; op++) {
		for (i = 0; i < NMSG; i++)
			res[nres++] = measure(op, i, 1, samples[i].name, rounds, ms);
		res[nres++] = measure(op, 0, NMSG, "mix", rounds, ms);
	}

	if (json) {
		printf("{\"rounds\": %d, \"results\": [\n", rounds);
		for (i = 0; i < nres; i++)
			printf("  {\"op\": \"%s\", \"msg\": \"%s\", \"ns_median\": %.2f, "
			    "\"ns_min\": %.2f, \"msgs_per_sec\": %.0f}%s\n",
			    res[i].op, res[i].name, res[i].median, res[i].min,
			    1e9 / res[i].median, i + 1 < nres ? "," : "");
		printf("], \"checksum\": \"%016" PRIx64 "\"}\n", checksum);
		return 0;
	}
	printf("p9bench: %d rounds; ns per message (median, min) and messages/s (median)\n",
	    rounds);
	printf("%-7s %-13s %6s %10s %10s %14s\n", "op", "message", "bytes", "median", "min",
	    "msgs/s");
	for (i = 0; i < nres; i++) {
		char bytes[24] = "";

		if (res[i].bytes != 0)
			snprintf(bytes, sizeof(bytes), "%zu", res[i].bytes);
		printf("%-7s %-13s %6s %10.1f %10.1f %14.0f\n", res[i].op, res[i].name, bytes,
		    res[i].median, res[i].min, 1e9 / res[i].median);
	}
	printf("checksum %016" PRIx64 "\n", checksum);
	return 0;
}
