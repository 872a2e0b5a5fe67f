/*
 * fuzz_text: p9_msg_parse and p9_msg_print (lib9p/TEXT.md) on any text,
 * plus p9_msg_encode/p9_msg_decode of what parses.
 *
 * Invariants:
 * - nothing is read outside the text (exact-size heap copy, no NUL
 *   terminator) and the scratch buffer is never overrun (exact size too);
 * - a rejected line gives one of the parser's errors (P9_ERR_TXT_*,
 *   P9_ERR_NUL, or P9_ERR_DIRENT for Rreaddir data that is not whole
 *   dirents) and an error position inside the text;
 * - an accepted line prints to a canonical line, which is one line (no
 *   byte below 0x20, no DEL) and reparses to a message that prints the
 *   same line again (print(parse(print(m))) == print(m));
 * - if the parsed message encodes, the reparsed one encodes to the same
 *   bytes, and those bytes decode to a message that prints the same line.
 */
#include "fuzz.h"
#include "p9.h"

static int
is_text_err(int rc)
{
	switch (rc) {
	case P9_ERR_TXT_NAME:
	case P9_ERR_TXT_FIELD:
	case P9_ERR_TXT_VALUE:
	case P9_ERR_TXT_ESCAPE:
	case P9_ERR_TXT_TRAILING:
	case P9_ERR_TXT_SCRATCH:
	case P9_ERR_NUL:
	case P9_ERR_DIRENT:
		return 1;
	default:
		return 0;
	}
}

static char *
print_alloc(const struct p9_msg *m, long *len)
{
	long n = p9_msg_print(m, NULL, 0);
	char *line;

	FZ_CHECK(n > 0);
	line = malloc((size_t)n + 1);
	FZ_CHECK(line != NULL);
	FZ_CHECK(p9_msg_print(m, line, (size_t)n + 1) == n);
	*len = n;
	return line;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = (char *)fz_dup(data, size);
	uint8_t *scratch = fz_dup(data, size);	/* as long as the text: always enough */
	struct p9_msg m, back;
	size_t errpos = 0, i;
	long n, n2;
	char *line, *line2, *scratch2;
	int rc;

	rc = p9_msg_parse(text, size, &m, scratch, size, &errpos);
	if (rc != 0) {
		FZ_CHECK(is_text_err(rc));
		FZ_CHECK(rc != P9_ERR_TXT_SCRATCH);
		FZ_CHECK(errpos <= size);
		goto out;
	}
	FZ_CHECK(errpos == 0);
	if (m.type == P9_RREADDIR)
		FZ_CHECK(fz_dirents_whole(m.rreaddir.data));
	line = print_alloc(&m, &n);
	for (i = 0; i < (size_t)n; i++)
		FZ_CHECK((unsigned char)line[i] >= 0x20 && (unsigned char)line[i] != 0x7f);
	scratch2 = malloc((size_t)n + 1);
	FZ_CHECK(scratch2 != NULL);
	rc = p9_msg_parse(line, (size_t)n, &back, (uint8_t *)scratch2, (size_t)n, &errpos);
	if (rc != 0)
		fprintf(stderr, "line: %s\nparse: %s at %zu\n", line, p9_strerror(rc), errpos);
	FZ_CHECK(rc == 0);
	line2 = print_alloc(&back, &n2);
	FZ_CHECK(n2 == n && memcmp(line, line2, (size_t)n) == 0);
	{
		size_t sz = p9_msg_size(&m);
		uint8_t *a = malloc(sz), *b = malloc(sz);
		long ea, eb;

		FZ_CHECK(a != NULL && b != NULL && sz >= P9_HDRSZ);
		FZ_CHECK(p9_msg_size(&back) == sz);
		ea = p9_msg_encode(&m, a, sz);
		eb = p9_msg_encode(&back, b, sz);
		FZ_CHECK(ea == eb);
		/* What parses encodes: the parser refuses NULs in strings,
		 * lists longer than 16 and Rreaddir data that is not whole
		 * dirents, as the encoder does. */
		FZ_CHECK(ea > 0);
		{
			struct p9_msg d;
			char *line3;
			long n3;

			FZ_CHECK((size_t)ea == sz && memcmp(a, b, sz) == 0);
			FZ_CHECK(p9_msg_decode(a, sz, &d) == 0);
			line3 = print_alloc(&d, &n3);
			FZ_CHECK(n3 == n && memcmp(line3, line, (size_t)n) == 0);
			free(line3);
		}
		free(a);
		free(b);
	}
	free(line2);
	free(scratch2);
	free(line);
out:
	free(text);
	free(scratch);
	return 0;
}
