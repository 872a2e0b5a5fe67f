/*
 * fuzz_frame: p9_frame_need, the stream framing helper, on a byte stream
 * cut into arbitrary chunks.
 *
 * Input: byte 0 picks msize (from a small set, or the next 4 bytes), byte
 * 1 seeds the chunking, the rest is the stream.
 *
 * Invariants:
 * - nothing is read outside what the reader has (every call gets an
 *   exact-size heap copy of exactly the bytes received so far);
 * - while fewer than 4 bytes are there it asks for 4; a frame it reports
 *   complete has 7 <= size <= msize; errors are only P9_ERR_UNDERSIZE or
 *   P9_ERR_TOOBIG and come from the size field alone;
 * - whole-buffer framing and a reader that receives the stream in
 *   arbitrary chunks (1 byte, a few, many) produce the same frames (same
 *   bytes, same order), stop at the same error, and keep the same
 *   incomplete tail.
 */
#include "fuzz.h"
#include "p9.h"

#define MAXFRAMES	4096

struct framing {
	size_t	 off[MAXFRAMES], len[MAXFRAMES];
	size_t	 n;
	int	 err;
	size_t	 tail;		/* bytes left unframed at the end */
};

static int
need_of(const uint8_t *p, size_t have, uint32_t msize, size_t *need)
{
	uint8_t *copy = fz_dup(p, have);
	int rc = p9_frame_need(copy, have, msize, need);

	free(copy);
	if (have < 4)
		FZ_CHECK(rc == 0 && *need == 4);
	if (rc != 0)
		FZ_CHECK(rc == P9_ERR_UNDERSIZE || rc == P9_ERR_TOOBIG);
	else if (have >= 4)
		FZ_CHECK(*need >= P9_HDRSZ && *need <= msize);
	return rc;
}

static void
whole(const uint8_t *s, size_t len, uint32_t msize, struct framing *f)
{
	size_t off = 0, need;

	f->n = 0;
	f->err = 0;
	while (f->n < MAXFRAMES) {
		f->err = need_of(s + off, len - off, msize, &need);
		if (f->err != 0 || len - off < need)
			break;
		f->off[f->n] = off;
		f->len[f->n] = need;
		f->n++;
		off += need;
	}
	f->tail = len - off;
}

static uint32_t
rng(uint32_t *x)
{
	*x ^= *x << 13;
	*x ^= *x >> 17;
	*x ^= *x << 5;
	return *x;
}

static void
chunked(const uint8_t *s, size_t len, uint32_t msize, uint32_t seed,
    const struct framing *ref)
{
	uint8_t *acc = malloc(len + 1);
	size_t have = 0, fed = 0, nframes = 0, consumed = 0, need;
	uint32_t x = seed * 2654435761u + 1;
	int err = 0;

	FZ_CHECK(acc != NULL);
	while (fed < len && err == 0 && nframes < MAXFRAMES) {
		uint32_t r = rng(&x);
		size_t chunk = (r & 3) == 0 ? 1 : (r & 3) == 1 ? 1 + (r >> 8) % 7 :
		    (r & 3) == 2 ? 1 + (r >> 8) % 64 : 1 + (r >> 8) % 4096;

		if (chunk > len - fed)
			chunk = len - fed;
		memcpy(acc + have, s + fed, chunk);
		have += chunk;
		fed += chunk;
		/* Take every frame now complete. */
		while (nframes < MAXFRAMES) {
			err = need_of(acc, have, msize, &need);
			if (err != 0 || have < need)
				break;
			FZ_CHECK(nframes < ref->n);
			FZ_CHECK(ref->off[nframes] == consumed && ref->len[nframes] == need);
			FZ_CHECK(memcmp(acc, s + consumed, need) == 0);
			/* The frame alone frames as itself. */
			{
				size_t self;

				FZ_CHECK(need_of(acc, need, msize, &self) == 0 && self == need);
			}
			nframes++;
			consumed += need;
			memmove(acc, acc + need, have - need);
			have -= need;
		}
	}
	FZ_CHECK(nframes == ref->n);
	FZ_CHECK(err == ref->err);
	if (err == 0 && nframes < MAXFRAMES)
		FZ_CHECK(have == ref->tail);
	free(acc);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const uint32_t msizes[] = {
		0, 6, 7, 8, 11, 64, 4096, 8192, 65536, 1u << 20, 0xffffffffu,
	};
	static struct framing ref;
	uint8_t *in = fz_dup(data, size);
	size_t hdr = 2;
	uint32_t msize, seed;

	if (size < 2)
		goto out;
	if (in[0] < 0xf0) {
		msize = msizes[in[0] % (sizeof(msizes) / sizeof(msizes[0]))];
	} else {
		if (size < 6)
			goto out;
		msize = (uint32_t)in[2] | (uint32_t)in[3] << 8 | (uint32_t)in[4] << 16 |
		    (uint32_t)in[5] << 24;
		hdr = 6;
	}
	seed = in[1];
	whole(in + hdr, size - hdr, msize, &ref);
	chunked(in + hdr, size - hdr, msize, seed, &ref);
	/* All at once is one more chunking: seed with every chunk 1 byte
	 * is covered by the generator above; here, a second seed. */
	chunked(in + hdr, size - hdr, msize, seed ^ 0x5a5a, &ref);
out:
	free(in);
	return 0;
}
