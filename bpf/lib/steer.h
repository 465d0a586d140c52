/* SPDX-License-Identifier: GPL-2.0 */
/* LVS-DR style steering of VIP:port traffic: keep a flow on its backend,
 * honour client persistence, otherwise pick from the weighted slot table
 * that user space precomputes. Local backend: pass to our stack (the VIP is
 * on lo). Remote backend: rewrite the MACs and send the frame back out. */
#ifndef XVIP_BPF_STEER_H
#define XVIP_BPF_STEER_H

#define NS_PER_SEC 1000000000ULL

static __always_inline struct backend *backend_get(__u32 svc_id, __u32 idx)
{
	__u32 key;

	if (svc_id >= XVIP_MAX_SERVICES || idx >= XVIP_MAX_BACKENDS)
		return 0;
	key = svc_id * XVIP_MAX_BACKENDS + idx;
	return bpf_map_lookup_elem(&backends, &key);
}

static __always_inline int backend_usable(struct backend *b)
{
	return b && b->healthy;
}

/* The backend of an established flow, if it is still usable. A failover
 * service moves every flow when user space bumps the generation (a new
 * writer), so no connection keeps writing to the old one. */
static __always_inline __u32 connection_table_lookup(const struct flow_key *fk,
						     const struct svc_entry *svc, __u64 now)
{
	struct flow_entry *fe = bpf_map_lookup_elem(&conns, fk);

	if (!fe)
		return XVIP_NO_BACKEND;
	if (svc->sched == XVIP_SCHED_FO && fe->generation != svc->generation)
		return XVIP_NO_BACKEND;
	if (!backend_usable(backend_get(svc->id, fe->backend)))
		return XVIP_NO_BACKEND;
	fe->last_seen_ns = now;
	return fe->backend;
}

static __always_inline __u32 persistence_lookup(const struct persist_key *pk,
						const struct svc_entry *svc, __u64 now)
{
	struct persist_entry *pe;

	if (!svc->persistence_s || svc->sched == XVIP_SCHED_FO)
		return XVIP_NO_BACKEND;
	pe = bpf_map_lookup_elem(&persist, pk);
	if (!pe || now - pe->last_seen_ns > (__u64)svc->persistence_s * NS_PER_SEC)
		return XVIP_NO_BACKEND;
	if (!backend_usable(backend_get(svc->id, pe->backend)))
		return XVIP_NO_BACKEND;
	pe->last_seen_ns = now;
	return pe->backend;
}

static __always_inline __u32 slot_pick(const struct svc_entry *svc, __be32 saddr, __be16 sport)
{
	__u32 key = svc->id * XVIP_SLOTS + xvip_flow_hash(saddr, sport) % XVIP_SLOTS;
	struct slot *s;

	if (svc->id >= XVIP_MAX_SERVICES)
		return XVIP_NO_BACKEND;
	s = bpf_map_lookup_elem(&slots, &key);
	if (!s || !backend_usable(backend_get(svc->id, s->backend)))
		return XVIP_NO_BACKEND;
	return s->backend;
}

static __always_inline int handle_service(struct xdp_md *ctx, struct ethhdr *eth,
					  const struct l3_info *l3, void *data_end)
{
	struct iphdr *iph = l3->iph;
	__be16 *ports = l3->l4;
	struct svc_counters *sc;
	struct svc_entry *svc;
	struct backend *b;
	__u64 now;
	__u32 idx;

	if (l3->is_fragment)
		return verdict(XVIP_R_IP_FRAGMENT, XDP_PASS);
	if (l3->l4_len < 4 || (void *)(ports + 2) > data_end)
		return verdict(XVIP_R_L4_TRUNC, XDP_PASS);

	struct svc_key sk = { .vip = iph->daddr, .port = ports[1], .proto = iph->protocol };
	svc = bpf_map_lookup_elem(&services, &sk);
	if (!svc)
		return verdict(XVIP_R_PASS_OTHER, XDP_PASS);

	now = bpf_ktime_get_ns();
	/* Only the VIP's owner steers. Elsewhere the frame was already steered
	 * here by the owner (LVS-DR): deliver it, never send it on again, so
	 * two nodes can never bounce a frame between them. */
	struct vip_key vk = { .addr = iph->daddr };
	struct vip_entry *vip = bpf_map_lookup_elem(&vips, &vk);

	if (!vip || !vip_lease_fresh(vip, now))
		return verdict(XVIP_R_SVC_NOT_OWNER, XDP_PASS);

	struct flow_key fk = {
		.saddr = iph->saddr, .daddr = iph->daddr,
		.sport = ports[0], .dport = ports[1], .proto = iph->protocol,
	};
	struct persist_key pk = {
		.client = iph->saddr, .vip = iph->daddr, .port = ports[1], .proto = iph->protocol,
	};
	__u32 sid = svc->id;
	sc = bpf_map_lookup_elem(&svc_stats, &sid);
	if (sc) {
		sc->packets++;
		sc->bytes += (void *)(long)ctx->data_end - (void *)(long)ctx->data;
	}

	idx = connection_table_lookup(&fk, svc, now);
	if (idx == XVIP_NO_BACKEND) {
		idx = persistence_lookup(&pk, svc, now);
		if (idx == XVIP_NO_BACKEND)
			idx = slot_pick(svc, iph->saddr, ports[0]);
		if (idx == XVIP_NO_BACKEND) {
			if (sc)
				sc->no_backend++;
			return verdict(XVIP_R_SVC_NO_BACKEND, XDP_PASS);
		}
		struct flow_entry fe = { .backend = idx, .generation = svc->generation,
					 .last_seen_ns = now };
		bpf_map_update_elem(&conns, &fk, &fe, BPF_ANY);
		if (svc->persistence_s && svc->sched != XVIP_SCHED_FO) {
			struct persist_entry pe = { .backend = idx, .last_seen_ns = now };
			bpf_map_update_elem(&persist, &pk, &pe, BPF_ANY);
		}
		if (sc)
			sc->new_flows++;
	}

	b = backend_get(sid, idx);
	if (!b)
		return verdict(XVIP_R_SVC_NO_BACKEND, XDP_PASS);
	if (b->local) {
		if (sc)
			sc->to_local++;
		return verdict(XVIP_R_SVC_LOCAL, XDP_PASS);
	}
	/* The frame came to us as the VIP owner: we become its source, the
	 * backend (which has the VIP on lo) its destination. */
	__builtin_memcpy(eth->h_source, eth->h_dest, 6);
	__builtin_memcpy(eth->h_dest, b->mac, 6);
	if (sc)
		sc->to_remote++;
	return verdict(XVIP_R_SVC_REMOTE, XDP_TX);
}

#endif
