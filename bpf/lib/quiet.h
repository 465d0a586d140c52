/* SPDX-License-Identifier: GPL-2.0 */
/* Backups that sleep (include/xvip.h, "backups that sleep"): the socket
 * filter of the daemon's VRRP socket. An advert identical to the template
 * the daemon wrote for its VRID is dropped for that socket, and the VRID's
 * master down timer re-armed; the timer's expiry is the only thing that
 * wakes the daemon. Everything else passes untouched. */
#ifndef XVIP_BPF_QUIET_H
#define XVIP_BPF_QUIET_H

#define QUIET_KEEP 0xffff /* a socket filter's "keep the whole packet" */
#define CLOCK_MONOTONIC_ 1
#define EBUSY_ 16

/* The timer ran out: the master was silent for down_ns. Report it once; a
 * template written since (another gen) or removed says nothing any more. */
static int quiet_expired(void *map, __u32 *key, struct vrrp_quiet_rt *rt)
{
	struct vrrp_quiet *q = bpf_map_lookup_elem(&vrrp_quiet, key);
	struct xvip_event *ev;

	(void)map;
	if (!q || q->gen != rt->gen)
		return 0;
	__sync_fetch_and_add(&rt->fired, 1);
	ev = bpf_ringbuf_reserve(&events, sizeof(*ev), 0);
	if (!ev) {
		/* the daemon's own backstop timer catches it later */
		verdict(XVIP_R_RINGBUF_FULL, 0);
		return 0;
	}
	__builtin_memset(ev, 0, sizeof(*ev));
	ev->ts_ns = bpf_ktime_get_ns();
	ev->type = XVIP_EV_MASTER_DOWN;
	ev->ifindex = q->ifindex;
	ev->saddr = q->saddr;
	ev->daddr = q->daddr;
	ev->vrid = (__u8)*key;
	bpf_ringbuf_submit(ev, BPF_RB_FORCE_WAKEUP);
	return 0;
}

/* Arm (or re-arm) the VRID's timer for template q. */
static __always_inline int quiet_arm(struct vrrp_quiet_rt *rt, const struct vrrp_quiet *q)
{
	if (!rt->timer_ready || rt->gen != q->gen) {
		long rc = bpf_timer_init(&rt->timer, &vrrp_quiet_rt, CLOCK_MONOTONIC_);

		if (rc && rc != -EBUSY_)
			return -1;
		if (bpf_timer_set_callback(&rt->timer, quiet_expired))
			return -1;
		rt->gen = q->gen;
		rt->timer_ready = 1;
	}
	if (bpf_timer_start(&rt->timer, q->down_ns, 0))
		return -1;
	return 0;
}

static __always_inline int quiet_filter(struct __sk_buff *skb)
{
	struct iphdr iph;
	struct vrrp_quiet *q;
	struct vrrp_quiet_rt *rt;
	__u8 vrid8;
	__u32 vrid, hl, len; /* len: of the VRRP payload, by the IP header */

	/* a raw socket's filter sees the packet from its IP header on */
	if (bpf_skb_load_bytes(skb, 0, &iph, sizeof(iph)) < 0)
		return QUIET_KEEP;
	hl = (__u32)iph.ihl * 4;
	if (hl < sizeof(iph) || iph.protocol != VRRP_IPPROTO ||
	    (iph.frag_off & bpf_htons(0x3fff)))
		return QUIET_KEEP;
	if (bpf_skb_load_bytes(skb, hl + 1, &vrid8, 1) < 0)
		return QUIET_KEEP;
	vrid = vrid8;
	q = bpf_map_lookup_elem(&vrrp_quiet, &vrid);
	rt = bpf_map_lookup_elem(&vrrp_quiet_rt, &vrid);
	if (!q || !rt)
		return QUIET_KEEP;
	if (skb->ifindex != q->ifindex || iph.saddr != q->saddr || iph.daddr != q->daddr ||
	    iph.ttl != q->ttl || bpf_ntohs(iph.tot_len) != hl + q->len)
		goto differs;
	len = q->len;
	/* VRRP payloads are whole 32-bit words (8 + 4n [+ 8]): compare word
	 * by word, each load of a constant size */
	if (len == 0 || len > XVIP_QUIET_MAX || (len & 3))
		goto differs;
	for (__u32 i = 0; i < XVIP_QUIET_MAX / 4; i++) {
		__u32 w, t;

		if (i * 4 >= len)
			break;
		if (bpf_skb_load_bytes(skb, hl + i * 4, &w, 4) < 0)
			goto differs;
		__builtin_memcpy(&t, &q->vrrp[i * 4], 4);
		if (w != t)
			goto differs;
	}
	if (quiet_arm(rt, q) < 0) {
		__sync_fetch_and_add(&rt->timer_errors, 1);
		return QUIET_KEEP; /* the daemon's own timer decides */
	}
	rt->last_ns = bpf_ktime_get_ns();
	__sync_fetch_and_add(&rt->absorbed, 1);
	return 0;
differs:
	__sync_fetch_and_add(&rt->passed, 1);
	return QUIET_KEEP;
}

#endif
