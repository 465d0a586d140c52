/* SPDX-License-Identifier: GPL-2.0 */
/* ARP for virtual IPs: answer while we own the VIP and its lease is fresh,
 * drop requests for a VIP we do not own (so nothing else here answers), and
 * report anyone else claiming a VIP we own. */
#ifndef XVIP_BPF_ARP_H
#define XVIP_BPF_ARP_H

/* An owned VIP answers only while the daemon keeps refreshing the lease:
 * if the daemon dies, the data plane falls silent on its own. */
static __always_inline int vip_lease_fresh(const struct vip_entry *v, __u64 now)
{
	struct xvipd_life *life;
	__u32 zero = 0;

	if (!v->owner || now >= v->lease_expires_ns)
		return 0;
	if (!v->life)
		return 1;
	/* fenced by its daemon's life too: written by a daemon that lives */
	life = bpf_map_lookup_elem(&xvipd_life, &zero);
	return life && life->token == v->life && !life->dead_ns;
}

static __always_inline struct vip_counters *vip_counters_get(__be32 addr)
{
	struct vip_key key = { .addr = addr };
	struct vip_counters *c = bpf_map_lookup_elem(&vip_stats, &key);

	if (c)
		return c;
	struct vip_counters zero = {};
	bpf_map_update_elem(&vip_stats, &key, &zero, BPF_NOEXIST);
	return bpf_map_lookup_elem(&vip_stats, &key);
}

static __always_inline void report_conflict(struct xdp_md *ctx, const struct arp_eth *arp,
					    const struct vip_entry *v)
{
	struct xvip_event *ev = bpf_ringbuf_reserve(&events, sizeof(*ev), 0);

	if (!ev) {
		verdict(XVIP_R_RINGBUF_FULL, 0);
		return;
	}
	__builtin_memset(ev, 0, sizeof(*ev));
	ev->ts_ns = bpf_ktime_get_ns();
	ev->type = XVIP_EV_CONFLICT;
	ev->ifindex = ctx->ingress_ifindex;
	ev->saddr = arp->spa;
	ev->daddr = arp->tpa;
	__builtin_memcpy(ev->mac, arp->sha, 6);
	ev->vrid = v->vrid;
	bpf_ringbuf_submit(ev, 0);
}

/* At most one event per VIP every XVIP_CLAIM_EVENT_GAP_NS; the others are
 * counted in vip_claims (two CPUs may both send one at the gap's edge). */
static __always_inline int claim_event_due(const struct vip_key *key, __u64 now)
{
	struct vip_claims *cl = bpf_map_lookup_elem(&vip_claims, key);

	if (!cl) {
		struct vip_claims first = { .last_event_ns = now, .events = 1 };

		bpf_map_update_elem(&vip_claims, key, &first, BPF_NOEXIST);
		return 1;
	}
	if (now - cl->last_event_ns < XVIP_CLAIM_EVENT_GAP_NS) {
		__sync_fetch_and_add(&cl->suppressed, 1);
		return 0;
	}
	cl->last_event_ns = now;
	__sync_fetch_and_add(&cl->events, 1);
	return 1;
}

/* Another MAC says it has a VIP we own: split brain, seen in the data plane.
 * Counted and reported; the frame still passes, the daemon resolves it. */
static __always_inline int check_conflict(struct xdp_md *ctx, const struct arp_eth *arp,
					  __u64 now)
{
	struct vip_key key = { .addr = arp->spa };
	struct vip_entry *v = bpf_map_lookup_elem(&vips, &key);
	struct vip_counters *c;

	if (!v || !vip_lease_fresh(v, now) || mac_equal(v->mac, arp->sha))
		return verdict(XVIP_R_ARP_PASS, XDP_PASS);
	c = vip_counters_get(arp->spa);
	if (c)
		c->conflicts++;
	if (claim_event_due(&key, now))
		report_conflict(ctx, arp, v);
	return verdict(XVIP_R_ARP_CONFLICT, XDP_PASS);
}

/* Turn the request into its reply in place and send it back out. */
static __always_inline int arp_reply(struct ethhdr *eth, struct arp_eth *arp,
				     const struct vip_entry *v)
{
	__be32 vip = arp->tpa;

	__builtin_memcpy(eth->h_dest, eth->h_source, 6);
	__builtin_memcpy(eth->h_source, v->mac, 6);
	arp->op = bpf_htons(ARPOP_REPLY);
	__builtin_memcpy(arp->tha, arp->sha, 6);
	arp->tpa = arp->spa;
	__builtin_memcpy(arp->sha, v->mac, 6);
	arp->spa = vip;
	return XDP_TX;
}

static __always_inline int handle_arp(struct xdp_md *ctx, struct ethhdr *eth, void *data_end)
{
	struct arp_eth *arp = (void *)(eth + 1);
	struct vip_counters *c;
	struct vip_entry *v;
	struct vip_key key;
	__u64 now;

	if ((void *)(arp + 1) > data_end)
		return verdict(XVIP_R_ARP_MALFORMED, XDP_PASS);
	if (arp->htype != bpf_htons(ARPHRD_ETHER) || arp->ptype != bpf_htons(ETH_P_IP) ||
	    arp->hlen != 6 || arp->plen != 4)
		return verdict(XVIP_R_ARP_MALFORMED, XDP_PASS);

	now = bpf_ktime_get_ns();
	if (arp->op != bpf_htons(ARPOP_REQUEST))
		return check_conflict(ctx, arp, now);

	key.addr = arp->tpa;
	v = bpf_map_lookup_elem(&vips, &key);
	if (!v)
		return check_conflict(ctx, arp, now);
	/* A gratuitous request (sender = target = VIP) from someone else is a
	 * claim, not a question. */
	if (arp->spa == arp->tpa && !mac_equal(arp->sha, v->mac))
		return check_conflict(ctx, arp, now);

	c = vip_counters_get(key.addr);
	if (vip_lease_fresh(v, now)) {
		/* only on the VIP's own interface (not the stack's either:
		 * the VIP may sit on lo), and never to a group address: a
		 * reply would go to every host, or to a forged sender */
		if (v->ifindex && v->ifindex != ctx->ingress_ifindex)
			return verdict(XVIP_R_ARP_OTHER_IFACE, XDP_DROP);
		if ((eth->h_source[0] & 1) || (arp->sha[0] & 1))
			return verdict(XVIP_R_ARP_BAD_SENDER, XDP_DROP);
		if (c)
			c->arp_replies++;
		return verdict(XVIP_R_ARP_REPLY, arp_reply(eth, arp, v));
	}
	if (v->owner) {
		if (c)
			c->arp_drop_expired++;
		return verdict(XVIP_R_ARP_DROP_EXPIRED, XDP_DROP);
	}
	if (c)
		c->arp_drop_not_owner++;
	return verdict(XVIP_R_ARP_DROP_NOT_OWNER, XDP_DROP);
}

#endif
