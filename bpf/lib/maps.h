/* SPDX-License-Identifier: GPL-2.0 */
/* Every map of the data plane, BTF-typed and pinned by name (the loader sets
 * the pin root). Layouts live in include/xvip.h; docs/maps.md documents them. */
#ifndef XVIP_BPF_MAPS_H
#define XVIP_BPF_MAPS_H

/* VIP -> ownership and lease: decides who answers ARP */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, XVIP_MAX_VIPS);
	__type(key, struct vip_key);
	__type(value, struct vip_entry);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} vips SEC(".maps");

#include "lib/life_map.h"

/* VIP -> per-CPU ARP counters */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_HASH);
	__uint(max_entries, XVIP_MAX_VIPS);
	__type(key, struct vip_key);
	__type(value, struct vip_counters);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} vip_stats SEC(".maps");

/* VIP -> claims by other MACs, and how many the daemon heard of */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, XVIP_MAX_VIPS);
	__type(key, struct vip_key);
	__type(value, struct vip_claims);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} vip_claims SEC(".maps");

/* VRID -> advert counters, last advert seen, rejections by reason */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 256);
	__type(key, __u32);
	__type(value, struct vrrp_stats);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} vrrp_stats SEC(".maps");

/* (VIP, port, proto) -> service id, persistence, scheduler */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, XVIP_MAX_SERVICES);
	__type(key, struct svc_key);
	__type(value, struct svc_entry);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} services SEC(".maps");

/* svc id * XVIP_MAX_BACKENDS + i -> backend MAC, address, health */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, XVIP_MAX_SERVICES * XVIP_MAX_BACKENDS);
	__type(key, __u32);
	__type(value, struct backend);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} backends SEC(".maps");

/* svc id * XVIP_SLOTS + slot -> backend index (weighted, from user space) */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, XVIP_MAX_SERVICES * XVIP_SLOTS);
	__type(key, __u32);
	__type(value, struct slot);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} slots SEC(".maps");

/* 5-tuple -> backend: keeps established flows where they are */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, XVIP_MAX_CONNS);
	__type(key, struct flow_key);
	__type(value, struct flow_entry);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} conns SEC(".maps");

/* (client, VIP, port, proto) -> backend, for persistence_timeout */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, XVIP_MAX_PERSIST);
	__type(key, struct persist_key);
	__type(value, struct persist_entry);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} persist SEC(".maps");

/* svc id -> per-CPU traffic counters */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, XVIP_MAX_SERVICES);
	__type(key, __u32);
	__type(value, struct svc_counters);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} svc_stats SEC(".maps");

/* enum xvip_reason -> per-CPU packet count: every verdict has a reason */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, XVIP_R_MAX);
	__type(key, __u32);
	__type(value, __u64);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} counters SEC(".maps");

/* conflicts (rate-bound, vip_claims) and liveness peers for the daemon
 * (struct xvip_event) */
struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, XVIP_RINGBUF_BYTES);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} events SEC(".maps");

/* VRID -> fast liveness settings of the reflector (struct liv_cfg) */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 256);
	__type(key, __u32);
	__type(value, struct liv_cfg);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} liv_cfg SEC(".maps");

/* VRID -> the watched master's answers (struct liv_state) */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 256);
	__type(key, __u32);
	__type(value, struct liv_state);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} liv_state SEC(".maps");

/* (VRID, address) -> admitted echo peer: rate bound, counts */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, XVIP_LIV_PEERS_ENTRIES);
	__type(key, struct liv_peer_key);
	__type(value, struct liv_peer);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} liv_peers SEC(".maps");

/* VRID -> keys of a keyed instance (auth_key_file), struct liv_auth */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 256);
	__type(key, __u32);
	__type(value, struct liv_auth);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} liv_auth SEC(".maps");

/* (VRID, address) -> the highest nonce answered to a keyed peer */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, XVIP_LIV_PEERS_ENTRIES);
	__type(key, struct liv_peer_key);
	__type(value, struct liv_nonce);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} liv_nonce SEC(".maps");

/* VRID -> a sleeping backup's template (struct vrrp_quiet): replaced whole
 * by the daemon, so the socket filter never sees half of one */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 256);
	__type(key, __u32);
	__type(value, struct vrrp_quiet);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} vrrp_quiet SEC(".maps");

/* VRID -> its master down timer and counts (struct vrrp_quiet_rt) */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 256);
	__type(key, __u32);
	__type(value, struct vrrp_quiet_rt);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} vrrp_quiet_rt SEC(".maps");

/* (VRID, peer) -> the last auth_key_file sequence accepted from it; the
 * daemon's alone (struct vrrp_auth_seq), kept across its restarts */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 4096);
	__type(key, struct vrrp_auth_seq_key);
	__type(value, struct vrrp_auth_seq);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} vrrp_auth_seq SEC(".maps");

static __always_inline int verdict(__u32 reason, int action)
{
	__u64 *n = bpf_map_lookup_elem(&counters, &reason);

	if (n)
		*n += 1;
	return action;
}

#endif
