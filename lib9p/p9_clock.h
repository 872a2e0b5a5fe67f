/*
 * p9_clock.h: the clock of every bounded wait and timing in the tree,
 * CLOCK_MONOTONIC in milliseconds (p9c's timeouts, p9conform's receive
 * deadlines, the server tests' fixture) or nanoseconds (the server's
 * timing of usually-quick calls, p9bench). An internal header beside
 * p9c.c: not installed, not part of lib9pl's API; the one copy of this
 * helper.
 */
#ifndef P9_CLOCK_H
#define P9_CLOCK_H

#include <time.h>

/* Milliseconds since an arbitrary fixed point; never goes backwards. */
static inline long
p9_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* The same clock in nanoseconds (the server's timing of quick calls,
 * p9bench). */
static inline unsigned long long
p9_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (unsigned long long)ts.tv_sec * 1000000000u + (unsigned long long)ts.tv_nsec;
}

#endif /* P9_CLOCK_H */
