/*
 * p9pcap: 9P traffic as a libpcap capture of synthetic TCP/IPv4 (p9pcap.h).
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "p9pcap.h"

#define ETH_LEN		14
#define IP_LEN		20
#define TCP_LEN		20
#define TCP_OPT_LEN	4		/* SYN only: NOP, window scale */
#define HDR_MAX		(ETH_LEN + IP_LEN + TCP_LEN + TCP_OPT_LEN)
#define REC_LEN		16		/* a packet record's header */
#define LINKTYPE_ETHERNET 1
#define SERVER_IP	0x0a000001u	/* 10.0.0.1 */
#define CLIENT_IP	0x0a000002u	/* 10.0.0.2, then 10.0.0.3 ... */
#define CLIENT_PORT	40000
#define PORTS		20000		/* client ports 40000..59999 per address */
#define ISN_C		1000u		/* initial sequence numbers */
#define ISN_S		5000u
#define COUNTER_EPOCH	946684800	/* 2000-01-01 00:00:00 UTC */

#define TH_FIN	0x01
#define TH_SYN	0x02
#define TH_PSH	0x08
#define TH_ACK	0x10

static void
put16(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static void
put32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

/* The ones'-complement sum of len bytes (big-endian 16-bit words). */
static uint32_t
sum16(uint32_t sum, const uint8_t *p, size_t len)
{
	size_t i;

	for (i = 0; i + 1 < len; i += 2)
		sum += (uint32_t)(p[i] << 8 | p[i + 1]);
	if (i < len)
		sum += (uint32_t)p[i] << 8;
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return sum;
}

static void
out(struct p9pcap *p, const void *buf, size_t len)
{
	if (!p->error && len > 0 && fwrite(buf, 1, len, p->f) != len) {
		p->error = true;
		if (p->warn != NULL)
			fprintf(stderr, "%swrite error: %s: nothing more is recorded\n", p->warn,
			    strerror(errno));
	}
}

/* One TCP segment (under p->lock). */
static void
segment(struct p9pcap *p, struct p9pcap_stream *s, enum p9pcap_dir dir, unsigned flags,
    const uint8_t *data, size_t len)
{
	uint8_t h[REC_LEN + HDR_MAX], *eth = h + REC_LEN, *ip = eth + ETH_LEN, *tcp = ip + IP_LEN;
	size_t tcplen = TCP_LEN + ((flags & TH_SYN) ? TCP_OPT_LEN : 0);
	size_t hlen = ETH_LEN + IP_LEN + tcplen;
	uint32_t src = dir == P9PCAP_C2S ? s->client_ip : SERVER_IP;
	uint32_t dst = dir == P9PCAP_C2S ? SERVER_IP : s->client_ip;
	uint32_t sec, usec, sum;
	uint8_t pseudo[12];

	if (p->error || p->full)
		return;
	if (p->limit != 0 && p->size + REC_LEN + hlen + len > p->limit) {
		p->full = true;
		if (p->warn != NULL)
			fprintf(stderr, "%sthe capture reached its limit (%" PRIu64
			    " bytes): nothing more is recorded\n", p->warn, p->limit);
		return;
	}
	if (p->clock == P9PCAP_CLOCK_COUNTER) {
		sec = (uint32_t)(COUNTER_EPOCH + p->tick / 1000);
		usec = (uint32_t)(p->tick % 1000) * 1000;
		p->tick++;
	} else {
		struct timespec ts;

		clock_gettime(CLOCK_REALTIME, &ts);
		sec = (uint32_t)ts.tv_sec;
		usec = (uint32_t)(ts.tv_nsec / 1000);
	}
	/* The record header: this machine's byte order, like the file's. */
	memcpy(h, &sec, 4);
	memcpy(h + 4, &usec, 4);
	sum = (uint32_t)(hlen + len);
	memcpy(h + 8, &sum, 4);
	memcpy(h + 12, &sum, 4);

	/* Ethernet: locally administered addresses, 02:...:01 the server. */
	memset(eth, 0, ETH_LEN);
	eth[0] = eth[6] = 0x02;
	eth[5] = dir == P9PCAP_C2S ? 1 : 2;
	eth[11] = dir == P9PCAP_C2S ? 2 : 1;
	put16(eth + 12, 0x0800);

	memset(ip, 0, IP_LEN);
	ip[0] = 0x45;
	put16(ip + 2, (uint32_t)(IP_LEN + tcplen + len));
	put16(ip + 4, (uint32_t)p->packets);
	put16(ip + 6, 0x4000);		/* don't fragment */
	ip[8] = 64;
	ip[9] = 6;			/* TCP */
	put32(ip + 12, src);
	put32(ip + 16, dst);
	put16(ip + 10, ~sum16(0, ip, IP_LEN) & 0xffff);

	memset(tcp, 0, tcplen);
	put16(tcp, dir == P9PCAP_C2S ? s->client_port : P9PCAP_PORT);
	put16(tcp + 2, dir == P9PCAP_C2S ? P9PCAP_PORT : s->client_port);
	put32(tcp + 4, s->seq[dir]);
	put32(tcp + 8, (flags & TH_ACK) ? s->seq[!dir] : 0);
	tcp[12] = (uint8_t)((tcplen / 4) << 4);
	tcp[13] = (uint8_t)flags;
	put16(tcp + 14, 65535);		/* scaled by 2^14 (the SYN's option) */
	if (flags & TH_SYN) {
		tcp[20] = 1;		/* NOP */
		tcp[21] = 3;		/* window scale, length 3, shift 14 */
		tcp[22] = 3;
		tcp[23] = 14;
	}
	put32(pseudo, src);
	put32(pseudo + 4, dst);
	pseudo[8] = 0;
	pseudo[9] = 6;
	put16(pseudo + 10, (uint32_t)(tcplen + len));
	sum = sum16(0, pseudo, sizeof(pseudo));
	sum = sum16(sum, tcp, tcplen);
	/* tcplen is even: the data's words line up after it. */
	sum = sum16(sum, data, len);
	put16(tcp + 16, ~sum & 0xffff);

	out(p, h, REC_LEN + hlen);
	out(p, data, len);
	if (p->flush && !p->error && fflush(p->f) != 0) {
		p->error = true;
		if (p->warn != NULL)
			fprintf(stderr, "%swrite error: %s: nothing more is recorded\n", p->warn,
			    strerror(errno));
	}
	if (!p->error) {
		p->size += REC_LEN + hlen + len;
		p->packets++;
	}
	s->seq[dir] += (uint32_t)len + ((flags & (TH_SYN | TH_FIN)) ? 1 : 0);
}

int
p9pcap_open(struct p9pcap *p, const char *path, unsigned mode, enum p9pcap_clock clock,
    uint64_t limit, bool flush)
{
	uint32_t magic = 0xa1b2c3d4, snaplen = 262144, linktype = LINKTYPE_ETHERNET, zero = 0;
	uint16_t major = 2, minor = 4;

	int fd;

	memset(p, 0, sizeof(*p));
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, (mode_t)mode);
	if (fd < 0)
		return -1;
	p->f = fdopen(fd, "wb");
	if (p->f == NULL) {
		int e = errno;

		close(fd);
		errno = e;
		return -1;
	}
	pthread_mutex_init(&p->lock, NULL);
	p->clock = clock;
	p->limit = limit;
	p->flush = flush;
	out(p, &magic, 4);
	out(p, &major, 2);
	out(p, &minor, 2);
	out(p, &zero, 4);		/* thiszone */
	out(p, &zero, 4);		/* sigfigs */
	out(p, &snaplen, 4);
	out(p, &linktype, 4);
	if (flush && !p->error && fflush(p->f) != 0)
		p->error = true;
	p->size = 24;
	if (p->error) {
		int e = errno;

		fclose(p->f);
		pthread_mutex_destroy(&p->lock);
		errno = e;
		return -1;
	}
	return 0;
}

int
p9pcap_close(struct p9pcap *p)
{
	bool bad = p->error;

	if (fclose(p->f) != 0)
		bad = true;
	p->f = NULL;
	pthread_mutex_destroy(&p->lock);
	if (bad && errno == 0)
		errno = EIO;
	return bad ? -1 : 0;
}

void
p9pcap_stream_open(struct p9pcap *p, struct p9pcap_stream *s)
{
	uint32_t n;

	pthread_mutex_lock(&p->lock);
	n = p->nstreams++;
	s->client_ip = CLIENT_IP + n / PORTS;
	s->client_port = (uint16_t)(CLIENT_PORT + n % PORTS);
	s->seq[P9PCAP_C2S] = ISN_C;
	s->seq[P9PCAP_S2C] = ISN_S;
	s->open = true;
	segment(p, s, P9PCAP_C2S, TH_SYN, NULL, 0);
	segment(p, s, P9PCAP_S2C, TH_SYN | TH_ACK, NULL, 0);
	segment(p, s, P9PCAP_C2S, TH_ACK, NULL, 0);
	pthread_mutex_unlock(&p->lock);
}

void
p9pcap_write(struct p9pcap *p, struct p9pcap_stream *s, enum p9pcap_dir dir,
    const void *data, size_t len)
{
	const uint8_t *d = data;

	pthread_mutex_lock(&p->lock);
	while (s->open && len > 0) {
		size_t n = len > P9PCAP_MAXSEG ? P9PCAP_MAXSEG : len;

		segment(p, s, dir, TH_ACK | TH_PSH, d, n);
		d += n;
		len -= n;
	}
	pthread_mutex_unlock(&p->lock);
}

void
p9pcap_stream_close(struct p9pcap *p, struct p9pcap_stream *s)
{
	pthread_mutex_lock(&p->lock);
	if (s->open) {
		segment(p, s, P9PCAP_C2S, TH_FIN | TH_ACK, NULL, 0);
		segment(p, s, P9PCAP_S2C, TH_FIN | TH_ACK, NULL, 0);
		segment(p, s, P9PCAP_C2S, TH_ACK, NULL, 0);
		s->open = false;
	}
	pthread_mutex_unlock(&p->lock);
}

bool
p9pcap_full(struct p9pcap *p)
{
	bool full;

	pthread_mutex_lock(&p->lock);
	full = p->full;
	pthread_mutex_unlock(&p->lock);
	return full;
}
