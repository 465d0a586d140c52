/* SPDX-License-Identifier: GPL-2.0 */
/* Fast liveness (include/xvip.h): a master answers its backups' echoes in
 * place while its VIP lease is fresh; a backup records its master's answers
 * for the daemon. Only admitted peers are answered, each within a rate
 * bound, and an answer is never bigger than the echo: the reflector cannot
 * amplify, and it answers only the Ethernet sender. */
#ifndef XVIP_BPF_LIVENESS_H
#define XVIP_BPF_LIVENESS_H

#include "siphash.h"

#define LIV_LEARN_EVENT_GAP_NS 100000000ull /* one admission event per VRID per 100 ms */
#define LIV_NOT_OURS (-1)

struct udp_hdr {
	__be16 source;
	__be16 dest;
	__be16 len;
	__be16 check;
};

static __always_inline int liv_auth_equal(const __u8 *a, const __u8 *b)
{
	__u32 a0, a1, b0, b1;

	__builtin_memcpy(&a0, a, 4);
	__builtin_memcpy(&a1, a + 4, 4);
	__builtin_memcpy(&b0, b, 4);
	__builtin_memcpy(&b1, b + 4, 4);
	return a0 == b0 && a1 == b1;
}

/* An echo from an address that is not a peer yet: tell the daemon (it
 * decides whether to admit it), at most once per VRID per 100 ms. */
static __always_inline void liv_learn_event(struct xdp_md *ctx, struct ethhdr *eth,
					    const struct l3_info *l3, __u32 vrid, __u64 now)
{
	struct liv_state *st = bpf_map_lookup_elem(&liv_state, &vrid);
	struct xvip_event *ev;

	if (!st || now - st->learn_event_ns < LIV_LEARN_EVENT_GAP_NS)
		return;
	st->learn_event_ns = now;
	ev = bpf_ringbuf_reserve(&events, sizeof(*ev), 0);
	if (!ev) {
		verdict(XVIP_R_RINGBUF_FULL, 0);
		return;
	}
	__builtin_memset(ev, 0, sizeof(*ev));
	ev->ts_ns = now;
	ev->type = XVIP_EV_LIV_PEER;
	ev->ifindex = ctx->ingress_ifindex;
	ev->saddr = l3->iph->saddr;
	ev->daddr = l3->iph->daddr;
	__builtin_memcpy(ev->mac, eth->h_source, 6);
	ev->vrid = (__u8)vrid;
	bpf_ringbuf_submit(ev, 0);
}

/* Token bucket of one peer; 1 when an answer may go. Updates from two CPUs
 * may race: the bound is approximate by a token or two, never unbounded. */
static __always_inline int liv_take_token(struct liv_peer *p, const struct liv_cfg *c, __u64 now)
{
	__u64 elapsed = now - p->tokens_at_ns;
	__u64 add = c->rate_per_s ? elapsed * c->rate_per_s / 1000000000ull : 0;

	if (elapsed > 1000000000ull)
		add = c->burst; /* idle for a second: a full bucket (no overflow) */
	if (add) {
		__u64 t = p->tokens + add;

		p->tokens = t > c->burst ? c->burst : (__u32)t;
		p->tokens_at_ns = now;
	}
	if (!p->tokens)
		return 0;
	p->tokens--;
	return 1;
}

/* Keyed (auth_key_file): the tag of the frame as it is now, its IP
 * addresses included. `w` and the nonce after it are within the packet. */
static __always_inline __u64 liv_frame_tag(const __u64 key[2], const struct l3_info *l3,
					   const struct liv_wire *w, __u64 nonce)
{
	__u64 addrs;

	__builtin_memcpy(&addrs, &l3->iph->saddr, 8);
	return xvip_liv_tag(key, w, nonce, addrs);
}

/* Which key's tag the frame carries, 0 or 1, or -1 for none. */
static __always_inline int liv_tag_key(const struct liv_auth *k, const struct l3_info *l3,
				       const struct liv_wire *w, __u64 nonce)
{
	__u64 tag;

	__builtin_memcpy(&tag, w->auth, 8);
	if (liv_frame_tag(k->key[0], l3, w, nonce) == tag)
		return 0;
	if (k->nkeys > 1 && liv_frame_tag(k->key[1], l3, w, nonce) == tag)
		return 1;
	return -1;
}

/* A keyed peer's nonce must be above the last one answered, and not more
 * than XVIP_LIV_NONCE_AHEAD_NS ahead of our wall clock (a peer whose clock
 * ran ahead would otherwise leave its echoes refused until ours caught up,
 * once its clock is set right); 1 when it is (and then it is the last). */
static __always_inline int liv_nonce_fresh(const struct liv_peer_key *pk,
					   const struct liv_auth *ka, __u64 nonce, __u64 now)
{
	struct liv_nonce *n = bpf_map_lookup_elem(&liv_nonce, pk);
	struct liv_nonce fresh = { .last = nonce };
	__u64 real = now + (__u64)ka->real_offset_ns;

	if (ka->real_offset_ns && nonce > real + XVIP_LIV_NONCE_AHEAD_NS) {
		if (n)
			__sync_fetch_and_add(&n->ahead, 1);
		return 0;
	}
	if (!n)
		return bpf_map_update_elem(&liv_nonce, pk, &fresh, BPF_NOEXIST) == 0;
	if (nonce <= n->last) {
		__sync_fetch_and_add(&n->replayed, 1);
		return 0;
	}
	n->last = nonce;
	return 1;
}

static __always_inline void liv_bad_tag(const struct liv_peer_key *pk)
{
	struct liv_nonce *n = bpf_map_lookup_elem(&liv_nonce, pk);

	if (n)
		__sync_fetch_and_add(&n->bad_tag, 1);
}

static __always_inline int liv_echo(struct xdp_md *ctx, struct ethhdr *eth,
				    const struct l3_info *l3, struct udp_hdr *udp,
				    struct liv_wire *w, const struct liv_auth *ka, __u64 nonce)
{
	__u32 vrid = w->vrid;
	struct liv_cfg *c = bpf_map_lookup_elem(&liv_cfg, &vrid);
	struct liv_peer_key pk = { .addr = l3->iph->saddr, .vrid = w->vrid };
	struct liv_peer *p;
	struct vip_entry *v;
	struct vip_key vk;
	__u64 now = bpf_ktime_get_ns();
	__u8 mac[6];
	__be32 a;
	__be16 port;
	int key = 0;

	if (!c || !c->on)
		return verdict(XVIP_R_LIV_OFF, XDP_DROP);
	if (ka) {
		key = liv_tag_key(ka, l3, w, nonce);
		if (key < 0) {
			liv_bad_tag(&pk);
			return verdict(XVIP_R_LIV_BAD_AUTH, XDP_DROP);
		}
	} else if (c->auth_type && !liv_auth_equal(w->auth, c->auth)) {
		return verdict(XVIP_R_LIV_BAD_AUTH, XDP_DROP);
	}
	p = bpf_map_lookup_elem(&liv_peers, &pk);
	if (!p) {
		if (c->learn)
			liv_learn_event(ctx, eth, l3, vrid, now);
		return verdict(XVIP_R_LIV_NOT_PEER, XDP_DROP);
	}
	vk.addr = c->vip;
	v = bpf_map_lookup_elem(&vips, &vk);
	if (!v || !vip_lease_fresh(v, now) || v->vrid != w->vrid ||
	    (v->ifindex && v->ifindex != ctx->ingress_ifindex))
		return verdict(XVIP_R_LIV_NO_LEASE, XDP_DROP);
	/* keyed: each echo is answered once, so a replayed one cannot spend
	 * the peer's answers (before the bucket) */
	if (ka && !liv_nonce_fresh(&pk, ka, nonce, now))
		return verdict(XVIP_R_LIV_BAD_AUTH, XDP_DROP);
	if (!liv_take_token(p, c, now)) {
		__sync_fetch_and_add(&p->limited, 1);
		return verdict(XVIP_R_LIV_RATE, XDP_DROP);
	}
	__sync_fetch_and_add(&p->answered, 1);

	/* In place: the same bytes back to the Ethernet sender. Swapping the
	 * addresses and the ports leaves the IP checksum as it was; the UDP
	 * checksum goes to 0 (none, allowed over IPv4) as the type changes. */
	__builtin_memcpy(mac, eth->h_source, 6);
	__builtin_memcpy(eth->h_source, eth->h_dest, 6);
	__builtin_memcpy(eth->h_dest, mac, 6);
	a = l3->iph->saddr;
	l3->iph->saddr = l3->iph->daddr;
	l3->iph->daddr = a;
	port = udp->source;
	udp->source = udp->dest;
	udp->dest = port;
	udp->check = 0;
	w->type = XVIP_LIV_REPLY;
	if (ka) {
		/* retagged: the answer's type and addresses are in its tag,
		 * so only a key holder can make one */
		__u64 tag = liv_frame_tag(key ? ka->key[1] : ka->key[0], l3, w, nonce);

		__builtin_memcpy(w->auth, &tag, 8);
	}
	return verdict(XVIP_R_LIV_REFLECTED, XDP_TX);
}

static __always_inline int liv_reply(const struct l3_info *l3, struct liv_wire *w,
				     struct liv_auth *ka, __u64 nonce)
{
	__u32 vrid = w->vrid;
	struct liv_state *st = bpf_map_lookup_elem(&liv_state, &vrid);
	struct liv_cfg *c = bpf_map_lookup_elem(&liv_cfg, &vrid);
	__u64 now = bpf_ktime_get_ns();
	__u32 seq;

	if (!st || !c)
		return verdict(XVIP_R_LIV_UNEXPECTED, XDP_DROP);
	if (!st->master || st->master != l3->iph->saddr) {
		__sync_fetch_and_add(&st->unexpected, 1);
		return verdict(XVIP_R_LIV_UNEXPECTED, XDP_DROP);
	}
	if (ka) {
		/* an answer to an echo of this daemon's: tagged by a key
		 * holder, not older than the daemon's start */
		if (liv_tag_key(ka, l3, w, nonce) < 0 || nonce < ka->min_nonce ||
		    nonce <= ka->last_answer)
			return verdict(XVIP_R_LIV_BAD_AUTH, XDP_DROP);
		/* newer than any answer taken: a recorded one is never taken
		 * again, whatever its echo number (numbers start again at a
		 * reload with other settings, and wrap) */
		ka->last_answer = nonce;
	} else if (c->auth_type && !liv_auth_equal(w->auth, c->auth)) {
		return verdict(XVIP_R_LIV_BAD_AUTH, XDP_DROP);
	}
	seq = bpf_ntohl(w->seq);
	if ((__s32)(seq - st->last_seq) > 0 || !st->replies) {
		st->last_seq = seq;
		if (w->sent_ns && w->sent_ns <= now)
			st->last_rtt_ns = now - w->sent_ns;
	}
	st->last_reply_ns = now;
	__sync_fetch_and_add(&st->replies, 1);
	return verdict(XVIP_R_LIV_REPLY, XDP_DROP);
}

/* LIV_NOT_OURS unless the frame is a liveness echo or answer. */
static __always_inline int handle_liveness(struct xdp_md *ctx, struct ethhdr *eth,
					   const struct l3_info *l3, void *data_end)
{
	struct udp_hdr *udp = l3->l4;
	struct liv_auth *ka;
	struct liv_wire *w;
	__u64 nonce = 0;
	__u32 ulen, vrid;

	if (l3->is_fragment || (void *)(udp + 1) > data_end || l3->l4_len < sizeof(*udp))
		return LIV_NOT_OURS; /* fragments: the service path counts them */
	if (udp->dest != bpf_htons(XVIP_LIV_PORT) && udp->source != bpf_htons(XVIP_LIV_PORT))
		return LIV_NOT_OURS;
	w = (void *)(udp + 1);
	if ((void *)w + sizeof(w->magic) > data_end || w->magic != bpf_htonl(XVIP_LIV_MAGIC))
		return LIV_NOT_OURS; /* another user of the port, or too short to tell */
	ulen = bpf_ntohs(udp->len);
	if ((void *)(w + 1) > data_end || l3->l4_len < sizeof(*udp) + sizeof(*w) || ulen < sizeof(*udp) + sizeof(*w) ||
	    ulen > l3->l4_len)
		return verdict(XVIP_R_LIV_MALFORMED, XDP_DROP);
	if (w->type != XVIP_LIV_ECHO && w->type != XVIP_LIV_REPLY)
		return verdict(XVIP_R_LIV_MALFORMED, XDP_DROP);
	vrid = w->vrid;
	ka = bpf_map_lookup_elem(&liv_auth, &vrid);
	if (ka && !ka->nkeys)
		ka = NULL;
	if (ka) {
		/* keyed: the nonce follows; without it, not authenticated */
		struct liv_wire_key *wk = (void *)(w + 1);

		if ((void *)(wk + 1) > data_end || ulen < sizeof(*udp) + XVIP_LIV_KEYED_LEN)
			return verdict(XVIP_R_LIV_BAD_AUTH, XDP_DROP);
		nonce = wk->nonce;
	}
	if (w->type == XVIP_LIV_ECHO && udp->dest == bpf_htons(XVIP_LIV_PORT))
		return liv_echo(ctx, eth, l3, udp, w, ka, nonce);
	if (w->type == XVIP_LIV_REPLY && udp->source == bpf_htons(XVIP_LIV_PORT))
		return liv_reply(l3, w, ka, nonce);
	return verdict(XVIP_R_LIV_MALFORMED, XDP_DROP);
}

#endif
