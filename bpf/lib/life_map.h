/* SPDX-License-Identifier: GPL-2.0 */
/* The daemon whose death silences its fast-liveness VIPs at once (one
 * entry, written by xvipd at start and by bpf/xvipd_life.bpf.c when it
 * dies): shared by the XDP program (through maps.h) and the tracepoints. */
#ifndef XVIP_BPF_LIFE_MAP_H
#define XVIP_BPF_LIFE_MAP_H

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct xvipd_life);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} xvipd_life SEC(".maps");

#endif /* XVIP_BPF_LIFE_MAP_H */
