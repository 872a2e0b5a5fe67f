/*
 * p9pcap (lib9p/p9pcap.h), without tshark: the file header, every
 * packet's lengths, IPv4 and TCP checksums, sequence and acknowledgement
 * numbers, the split of a long write, counter timestamps, distinct
 * streams and the byte limit. tools/tests/test_pcap.sh decodes real
 * captures with tshark.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "p9pcap.h"

struct pkt {
	uint32_t	 sec, usec, len;
	const uint8_t	*eth, *ip, *tcp, *data;
	size_t		 datalen;
	unsigned	 flags;
	uint32_t	 seq, ack, src, dst;
	uint16_t	 sport, dport;
};

static uint32_t
get16(const uint8_t *p)
{
	return (uint32_t)(p[0] << 8 | p[1]);
}

static uint32_t
get32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static uint32_t
sum16(uint32_t sum, const uint8_t *p, size_t len)
{
	size_t i;

	for (i = 0; i + 1 < len; i += 2)
		sum += get16(p + i);
	if (i < len)
		sum += (uint32_t)p[i] << 8;
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return sum;
}

static char *
tmpname(void)
{
	static char path[64];
	int fd;

	strcpy(path, "/tmp/test_pcap.XXXXXX");
	fd = mkstemp(path);
	assert_true(fd >= 0);
	close(fd);
	return path;
}

static uint8_t *
slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	uint8_t *buf;
	long n;

	assert_non_null(f);
	assert_int_equal(fseek(f, 0, SEEK_END), 0);
	n = ftell(f);
	assert_true(n >= 0);
	rewind(f);
	buf = malloc((size_t)n + 1);
	assert_non_null(buf);
	assert_int_equal(fread(buf, 1, (size_t)n, f), (size_t)n);
	fclose(f);
	*len = (size_t)n;
	return buf;
}

/* Parse the packets of a capture, checking each one's structure. */
static int
parse(const uint8_t *f, size_t len, struct pkt *out, int max)
{
	uint32_t u32;
	uint16_t u16;
	size_t off = 24;
	int n = 0;

	assert_true(len >= 24);
	memcpy(&u32, f, 4);
	assert_int_equal(u32, 0xa1b2c3d4);
	memcpy(&u16, f + 4, 2);
	assert_int_equal(u16, 2);
	memcpy(&u16, f + 6, 2);
	assert_int_equal(u16, 4);
	memcpy(&u32, f + 20, 4);
	assert_int_equal(u32, 1);		/* LINKTYPE_ETHERNET */
	while (off < len) {
		struct pkt *p = &out[n];
		uint32_t orig, iplen, tcplen, sum;
		uint8_t pseudo[12];

		assert_true(n < max);
		assert_true(off + 16 <= len);
		memcpy(&p->sec, f + off, 4);
		memcpy(&p->usec, f + off + 4, 4);
		memcpy(&p->len, f + off + 8, 4);
		memcpy(&orig, f + off + 12, 4);
		assert_int_equal(p->len, orig);
		assert_true(off + 16 + p->len <= len);
		p->eth = f + off + 16;
		p->ip = p->eth + 14;
		assert_int_equal(get16(p->eth + 12), 0x0800);
		assert_int_equal(p->ip[0], 0x45);
		assert_int_equal(p->ip[9], 6);
		iplen = get16(p->ip + 2);
		assert_int_equal(iplen, p->len - 14);
		assert_int_equal(sum16(0, p->ip, 20), 0xffff);
		p->tcp = p->ip + 20;
		tcplen = (uint32_t)(p->tcp[12] >> 4) * 4;
		assert_true(tcplen == 20 || tcplen == 24);
		p->data = p->tcp + tcplen;
		p->datalen = iplen - 20 - tcplen;
		assert_true(p->datalen <= P9PCAP_MAXSEG);
		p->src = get32(p->ip + 12);
		p->dst = get32(p->ip + 16);
		memcpy(pseudo, p->ip + 12, 8);
		pseudo[8] = 0;
		pseudo[9] = 6;
		pseudo[10] = (uint8_t)((iplen - 20) >> 8);
		pseudo[11] = (uint8_t)(iplen - 20);
		sum = sum16(sum16(0, pseudo, 12), p->tcp, iplen - 20);
		assert_int_equal(sum, 0xffff);
		p->sport = (uint16_t)get16(p->tcp);
		p->dport = (uint16_t)get16(p->tcp + 2);
		p->seq = get32(p->tcp + 4);
		p->ack = get32(p->tcp + 8);
		p->flags = p->tcp[13];
		off += 16 + p->len;
		n++;
	}
	return n;
}

static void
test_stream(void **state)
{
	static const uint8_t tclunk[] = { 11, 0, 0, 0, 120, 2, 0, 1, 0, 0, 0 };
	char *path = tmpname();
	struct p9pcap cap;
	struct p9pcap_stream s;
	struct pkt pk[16];
	uint8_t *big = malloc(70001), *f;
	size_t len;
	int n, i;

	(void)state;
	assert_non_null(big);
	for (i = 0; i < 70001; i++)
		big[i] = (uint8_t)(i * 7);
	assert_int_equal(p9pcap_open(&cap, path, 0600, P9PCAP_CLOCK_COUNTER, 0, false), 0);
	p9pcap_stream_open(&cap, &s);
	p9pcap_write(&cap, &s, P9PCAP_C2S, tclunk, sizeof(tclunk));
	p9pcap_write(&cap, &s, P9PCAP_S2C, big, 70001);	/* 65000 + 5001 (odd) */
	p9pcap_write(&cap, &s, P9PCAP_C2S, big, 3);
	p9pcap_stream_close(&cap, &s);
	assert_false(p9pcap_full(&cap));
	assert_int_equal(p9pcap_close(&cap), 0);

	f = slurp(path, &len);
	n = parse(f, len, pk, 16);
	assert_int_equal(n, 3 + 1 + 2 + 1 + 3);
	/* SYN, SYN+ACK, ACK */
	assert_int_equal(pk[0].flags, 0x02);
	assert_int_equal(pk[1].flags, 0x12);
	assert_int_equal(pk[2].flags, 0x10);
	assert_int_equal(pk[1].ack, pk[0].seq + 1);
	assert_int_equal(pk[2].seq, pk[0].seq + 1);
	assert_int_equal(pk[2].ack, pk[1].seq + 1);
	/* client 10.0.0.2:40000 -> server 10.0.0.1:564 */
	assert_int_equal(pk[0].src, 0x0a000002);
	assert_int_equal(pk[0].dst, 0x0a000001);
	assert_int_equal(pk[0].sport, 40000);
	assert_int_equal(pk[0].dport, 564);
	assert_int_equal(pk[1].sport, 564);
	/* the Tclunk, whole */
	assert_int_equal(pk[3].datalen, sizeof(tclunk));
	assert_memory_equal(pk[3].data, tclunk, sizeof(tclunk));
	assert_int_equal(pk[3].flags, 0x18);
	/* the long write: two segments, in sequence, the bytes intact */
	assert_int_equal(pk[4].datalen, 65000);
	assert_int_equal(pk[5].datalen, 5001);
	assert_int_equal(pk[5].seq, pk[4].seq + 65000);
	assert_int_equal(pk[4].ack, pk[3].seq + sizeof(tclunk));
	assert_memory_equal(pk[4].data, big, 65000);
	assert_memory_equal(pk[5].data, big + 65000, 5001);
	assert_int_equal(pk[6].seq, pk[3].seq + sizeof(tclunk));
	assert_int_equal(pk[6].ack, pk[5].seq + 5001);
	/* FIN+ACK both ways, then the last ACK */
	assert_int_equal(pk[7].flags, 0x11);
	assert_int_equal(pk[8].flags, 0x11);
	assert_int_equal(pk[9].flags, 0x10);
	assert_int_equal(pk[7].seq, pk[6].seq + 3);
	assert_int_equal(pk[9].ack, pk[8].seq + 1);
	/* counter timestamps: 1 ms apart from 2000-01-01 */
	for (i = 0; i < n; i++) {
		assert_int_equal(pk[i].sec, 946684800 + (uint32_t)i / 1000);
		assert_int_equal(pk[i].usec, (uint32_t)i * 1000);
	}
	free(f);
	free(big);
	unlink(path);
}

static void
test_streams_and_limit(void **state)
{
	static const uint8_t tclunk[] = { 11, 0, 0, 0, 120, 2, 0, 1, 0, 0, 0 };
	char *path = tmpname();
	struct p9pcap cap;
	struct p9pcap_stream a, b;
	struct pkt pk[16];
	uint8_t *f;
	size_t len;
	int n;

	(void)state;
	/* Room for the file header and the two handshakes (2 x (74 + 74 +
	 * 70) bytes) and not for the Tclunk after them (81 bytes). */
	assert_int_equal(p9pcap_open(&cap, path, 0600, P9PCAP_CLOCK_REAL, 24 + 2 * 218 + 80,
	    true), 0);
	p9pcap_stream_open(&cap, &a);
	p9pcap_stream_open(&cap, &b);
	assert_int_equal(a.client_port, 40000);
	assert_int_equal(b.client_port, 40001);
	assert_false(p9pcap_full(&cap));
	p9pcap_write(&cap, &b, P9PCAP_C2S, tclunk, sizeof(tclunk));
	assert_true(p9pcap_full(&cap));
	p9pcap_stream_close(&cap, &a);
	p9pcap_stream_close(&cap, &b);
	assert_int_equal(p9pcap_close(&cap), 0);
	f = slurp(path, &len);
	assert_int_equal(len, 24 + 2 * 218);
	n = parse(f, len, pk, 16);
	assert_int_equal(n, 6);
	assert_int_equal(pk[3].sport, 40001);
	free(f);
	unlink(path);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_stream),
		cmocka_unit_test(test_streams_and_limit),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
