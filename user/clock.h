/* The daemon's clocks, one of each. */
#ifndef XVIP_CLOCK_H
#define XVIP_CLOCK_H

#include <stdint.h>

/* CLOCK_MONOTONIC in microseconds: timers, deadlines, durations. */
uint64_t now_us(void);
/* CLOCK_MONOTONIC in nanoseconds: the clock bpf_ktime_get_ns() reads
 * (the leases in the vips map). */
uint64_t mono_ns(void);
/* CLOCK_REALTIME in milliseconds: timestamps for humans. */
int64_t realtime_ms(void);
/* CLOCK_REALTIME in microseconds: for lining events up with other
 * processes' clocks (make bench's failover timeline). */
int64_t realtime_us(void);
/* CLOCK_REALTIME in nanoseconds: auth_key_file's sequence numbers. */
uint64_t realtime_ns(void);

#endif
