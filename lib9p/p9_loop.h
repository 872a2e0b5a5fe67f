/*
 * p9_loop.h: how an event loop of this project waits and writes, shared by
 * the server engine and canned9p, the ceiling of ci/loadbench.sh, so that
 * the ceiling follows the engine's rules: busy-polling (cfg.spin_us, p9d
 * --spin-us) and replies per write (P9_LOOP_REPLIES_PER_WRITE). An
 * internal header: not installed, not part of lib9pl's API.
 *
 * Busy-polling.
 * A loop that just handled events and is about to sleep first checks for
 * new ones for up to ns nanoseconds, yielding the CPU between checks: a
 * synchronous client's next request then finds the loop awake, with no
 * sleep, wake-up or migration between CPUs on either side. It spins only
 * while warm: while events came within the spin (a spin that caught one);
 * a spin that finds nothing sends the loop to sleep cold, so an idle or
 * slow client costs at most one spin, and a cold loop warms again when a
 * sleep ended with events within P9_SPIN_REWARM spins. And it gives way:
 * when a yield let another thread run (the CPU is wanted: by a client, a
 * worker, another loop), the spin ends and the loop goes cold, so that it
 * never holds a CPU others wait for.
 *
 *	uint64_t t0 = p9_spin_begin(&sp, timeout_ms);
 *	n = 0;
 *	if (p9_spin_wanted(&sp, t0))
 *		while ((n = CHECK()) == 0 && p9_spin_more(&sp, t0))
 *			;
 *	if (n == 0)
 *		n = WAIT(timeout_ms);
 *	p9_spin_end(&sp, t0, n);
 */
#ifndef P9_LOOP_H
#define P9_LOOP_H

#include <sched.h>
#include <stdbool.h>
#include <stdint.h>

#include "p9_clock.h"

/* A yield that took longer than this let another thread run. */
#define P9_SPIN_GAVE_WAY_NS	5000

/*
 * A cold loop warms again when a sleep ended with events within this many
 * spins of the wait's start. The sleep's time counts the loop's own
 * wake-up, which on a VM (an idle vCPU the host put aside) can take
 * longer than the client's whole turn: held to one spin, as a warm loop
 * is, a loop that went cold once (one late request) mostly stayed cold
 * while its client kept asking every 20 us. Measured (p9d, 2-CPU VM,
 * 1 connection, synchronous, 5 interleaved rounds of 1 s, medians,
 * against one spin): Tgetattr 1.67x and walk+clunk 1.74x the rate, at
 * 0.88x and 0.86x the CPU per RPC, with the rounds' spread 52% -> 8%
 * and 49% -> 10%; 64 KiB Treads 1.18x, open+read 1.25x (at 1.07x the
 * CPU: the spin now catches the client's copy); 16 connections within the
 * rounds' spread. The cost: a client that asks every 1 to 4 spins finds
 * the loop warm every other request, one spin spent in vain each time.
 */
#ifndef P9_SPIN_REWARM
#define P9_SPIN_REWARM	4
#endif

struct p9_spin {
	uint64_t	 ns;		/* the longest spin; 0: never */
	bool		 warm;
	bool		 gave_way;	/* this wait's spin yielded to another thread */
};

/* A wait begins: its start time, or 0 when it will not spin (spinning
 * off, or a wait that does not sleep). */
static inline uint64_t
p9_spin_begin(const struct p9_spin *sp, int timeout_ms)
{
	return sp->ns == 0 || timeout_ms == 0 ? 0 : (uint64_t)p9_now_ns();
}

static inline bool
p9_spin_wanted(const struct p9_spin *sp, uint64_t t0)
{
	return t0 != 0 && sp->warm;
}

/* Go on spinning? Yields first; false once the spin is over. */
static inline bool
p9_spin_more(struct p9_spin *sp, uint64_t t0)
{
	uint64_t t = (uint64_t)p9_now_ns();

	if (t - t0 >= sp->ns)
		return false;
	sched_yield();
	if ((uint64_t)p9_now_ns() - t > P9_SPIN_GAVE_WAY_NS) {
		sp->warm = false;
		sp->gave_way = true;
		return false;
	}
	return true;
}

/* How warm a loop is after a wait of waited ns that ended with n events,
 * warm before it, its spin (if any) having given way or not. */
static inline bool
p9_spin_warm(bool warm, bool gave_way, int n, uint64_t waited, uint64_t ns)
{
	return n > 0 && !gave_way && waited < (warm ? ns : P9_SPIN_REWARM * ns);
}

/* The wait that began at t0 ended with n events (p9_spin_warm). */
static inline void
p9_spin_end(struct p9_spin *sp, uint64_t t0, int n)
{
	if (t0 == 0)
		return;
	sp->warm = p9_spin_warm(sp->warm, sp->gave_way, n, (uint64_t)p9_now_ns() - t0, sp->ns);
	sp->gave_way = false;
}

/*
 * Replies per write: a loop that works through a batch of pipelined
 * requests writes their replies as soon as it has this many, not only at
 * the end of the batch: the client then works on the first ones while the
 * loop runs the rest, instead of the two taking turns. Measured (p9d, one
 * connection, 32 in flight, 5 interleaved rounds of 1 s, medians, release
 * builds, against writing once per batch): Tgetattr 506k -> 998k/s at 1.7
 * -> 1.0 us of server CPU per RPC, walk+clunk 235k -> 378k ops/s, Tflush
 * 477k -> 721k, the other workloads within the rounds' spread; 4 and 16
 * connections: Tgetattr 1.17x and 1.24x. In other runs 16 gave 1.15x and
 * 12 1.36x where 8 gave 1.97x, and 4 cost 64 KiB Treads 25%.
 * -DP9_LOOP_REPLIES_PER_WRITE=N to measure another count.
 */
#ifndef P9_LOOP_REPLIES_PER_WRITE
#define P9_LOOP_REPLIES_PER_WRITE	8
#endif

/*
 * Which loop an accepted connection goes to, among n loops: loop i is
 * pinned to CPU cpus[i] (-1: not pinned) and serves conns[i] connections.
 * The connection goes to the loop pinned to the CPU that received it (cpu,
 * SO_INCOMING_CPU: on loopback its client's; -1 if unknown), the least
 * loaded of those if several, while that loop serves fewer than twice as
 * many as the least loaded loop, plus two; otherwise to the least loaded
 * loop, the first from `next` (round robin) on a tie. The client's
 * thread and the loop then share a CPU: a reply wakes the client where it
 * runs instead of on another CPU (on a VM, a cross-CPU wake-up is an
 * interrupt through the host). The bound keeps connections that all come
 * in on one CPU (one client thread opening many, a NIC with one queue)
 * from piling onto one loop: no loop gets more than twice another's
 * count, plus two. A tighter bound (a quarter more, plus one) measured no
 * better than round robin: the scheduler spreads a client's threads
 * unevenly (5 and 12 of 17 on the two CPUs), and following them is what
 * gains.
 */
static inline unsigned
p9_loop_place(const int *cpus, const unsigned *conns, unsigned n, int cpu, unsigned next)
{
	unsigned i, least = next % n, mine = n;

	for (i = 0; i < n; i++) {
		unsigned k = (next + i) % n;

		if (conns[k] < conns[least])
			least = k;
		if (cpu >= 0 && cpus[k] == cpu && (mine == n || conns[k] < conns[mine]))
			mine = k;
	}
	if (mine < n && conns[mine] < 2 * conns[least] + 2)
		return mine;
	return least;
}

#endif /* P9_LOOP_H */
