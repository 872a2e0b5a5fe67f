/*
 * p9pcap: write 9P traffic as a classic libpcap capture that Wireshark's
 * (and tshark's) 9P dissector decodes.
 *
 * An internal helper shared by p9dump (--pcap), p9conform (--pcap-dir) and
 * p9d (--record); it is not part of lib9pl and not installed. It is built
 * once, as the static library p9pcap (lib9p/meson.build), so each tool
 * links the same code.
 *
 * The file: magic 0xa1b2c3d4 (microsecond timestamps, this machine's byte
 * order), version 2.4, LINKTYPE_ETHERNET. Every packet is a synthetic
 * Ethernet + IPv4 + TCP segment with correct lengths and checksums. Each
 * stream is one TCP connection from a client (10.0.0.2 and up, port 40000
 * and up, distinct per stream) to the server 10.0.0.1 port 564 (9pfs,
 * where Wireshark looks for 9P): a SYN handshake when the stream opens,
 * then one segment per write (a 9P frame, normally), with sequence and
 * acknowledgement numbers kept per direction, and a FIN exchange when it
 * closes. A write larger than P9PCAP_MAXSEG bytes becomes several
 * segments (Wireshark reassembles the 9P frame).
 *
 * Thread safety: every call on one p9pcap takes its mutex, so several
 * threads may write streams of the same file. A capture is bounded: past
 * its limit (bytes of file) no packet is written any more and
 * p9pcap_full() says so.
 */
#ifndef P9PCAP_H
#define P9PCAP_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define P9PCAP_PORT	564		/* the server's port: 9pfs */
#define P9PCAP_MAXSEG	65000		/* TCP payload per packet at most */

/* Timestamps: the wall clock, or a counter (1 ms per packet from
 * 2000-01-01 00:00:00 UTC) so that the same input always makes the same
 * file. */
enum p9pcap_clock { P9PCAP_CLOCK_REAL, P9PCAP_CLOCK_COUNTER };

struct p9pcap {
	pthread_mutex_t	 lock;
	FILE		*f;
	enum p9pcap_clock clock;
	bool		 flush;		/* fflush after every packet (a live capture) */
	bool		 full;		/* the limit was reached: nothing more is written */
	bool		 error;		/* a write failed: nothing more is written */
	uint64_t	 limit;		/* bytes of file at most (0: no limit) */
	uint64_t	 size;		/* bytes written so far */
	uint64_t	 packets;
	uint64_t	 tick;		/* P9PCAP_CLOCK_COUNTER: packets stamped so far */
	uint32_t	 nstreams;	/* streams opened: the next one's number */
	const char	*warn;		/* not NULL: say once on stderr, after this
					 * prefix, why recording stopped */
};

/* Directions of a stream. */
enum p9pcap_dir { P9PCAP_C2S = 0, P9PCAP_S2C = 1 };

/* One synthetic TCP connection of a capture (p9pcap_stream_open fills it). */
struct p9pcap_stream {
	uint32_t	 client_ip;	/* host order */
	uint16_t	 client_port;
	uint32_t	 seq[2];	/* the next sequence number of each direction */
	bool		 open;
};

/* Create (truncate) path with mode (before the umask) and write the file
 * header. Returns 0, or -1 with errno set. limit: bytes of file at most, 0
 * for none. Set p->warn afterwards to hear when recording stops. */
int p9pcap_open(struct p9pcap *p, const char *path, unsigned mode,
    enum p9pcap_clock clock, uint64_t limit, bool flush);
/* Flush and close. Returns 0, or -1 (errno set) if any write failed. */
int p9pcap_close(struct p9pcap *p);
/* Stream number p->nstreams (then incremented): its own client address
 * and port; writes the SYN handshake. */
void p9pcap_stream_open(struct p9pcap *p, struct p9pcap_stream *s);
/* The bytes one side sent: one or more TCP segments. */
void p9pcap_write(struct p9pcap *p, struct p9pcap_stream *s, enum p9pcap_dir dir,
    const void *data, size_t len);
/* The FIN exchange; s is closed (further writes on it are dropped). */
void p9pcap_stream_close(struct p9pcap *p, struct p9pcap_stream *s);
/* Has the limit stopped the capture? */
bool p9pcap_full(struct p9pcap *p);

#endif /* P9PCAP_H */
