/* SPDX-License-Identifier: GPL-2.0 */
/* VRRP adverts (IP protocol 112): validate, count per VRID, hand valid ones
 * to the daemon through the ring buffer. The packet always passes: the
 * daemon's own checks (authentication, interval) come after ours. */
#ifndef XVIP_BPF_VRRP_H
#define XVIP_BPF_VRRP_H

#include "vrrp_wire.h"

#define CARP_LEN 36
#define CARP_AUTHLEN 7

/* Internet checksum over the VRRP payload; len is even (8 + 4n [+ 8]). */
static __always_inline __u32 vrrp_sum(void *vrrp, __u32 len, void *data_end)
{
	__u32 sum = 0;

	for (__u32 i = 0; i < VRRP_MAX_LEN / 2; i++) {
		__u16 *w = vrrp + i * 2;

		if (i * 2 >= len || (void *)(w + 1) > data_end)
			break;
		sum += *w;
	}
	return sum;
}

/* The checksum of the VRRP message, its first len bytes (an xvip
 * authentication trailer after it is not covered). */
static __always_inline int vrrp_checksum_ok(const struct l3_info *l3, __u32 len, void *data_end)
{
	__u32 sum = vrrp_sum(l3->l4, len, data_end);
	__u32 pseudo;
	__u8 version = *(__u8 *)l3->l4 >> 4;

	if (csum_fold32(sum) == 0xffff)
		return 1; /* v2, or v3 as some keepalived versions send it */
	if (version != 3)
		return 0;
	pseudo = (l3->iph->saddr & 0xffff) + (l3->iph->saddr >> 16) +
		 (l3->iph->daddr & 0xffff) + (l3->iph->daddr >> 16) +
		 bpf_htons(VRRP_IPPROTO) + bpf_htons((__u16)len);
	return csum_fold32(sum + pseudo) == 0xffff;
}

/* Whether the payload is an advert of expected bytes and a trailer. */
static __always_inline int vrrp_auth_trailer(__u8 *vh, __u32 expected, __u32 l4_len, void *data_end)
{
	__u8 *t;

	if (l4_len != expected + XVIP_AUTH_TRAILER_LEN || expected > VRRP_MAX_LEN)
		return 0;
	t = vh + expected;
	if ((void *)(t + 4) > data_end)
		return 0;
	return t[0] == (XVIP_AUTH_MAGIC >> 24) && t[1] == ((XVIP_AUTH_MAGIC >> 16) & 0xff) &&
	       t[2] == ((XVIP_AUTH_MAGIC >> 8) & 0xff) && t[3] == (XVIP_AUTH_MAGIC & 0xff);
}

static __always_inline int handle_vrrp(const struct l3_info *l3, void *data_end)
{
	__u8 *vh = l3->l4;
	struct vrrp_stats *st;
	__u32 vrid, expected;
	__u8 version, type, prio, count;
	__u16 adver_int;

	if (l3->is_fragment)
		return verdict(XVIP_R_IP_FRAGMENT, XDP_PASS);
	if (l3->l4_len < VRRP_HDR_LEN || (void *)(vh + VRRP_HDR_LEN) > data_end)
		return verdict(XVIP_R_VRRP_TRUNC, XDP_PASS);

	version = vh[0] >> 4;
	type = vh[0] & 0x0f;
	count = vh[3];
	/* CARP shares protocol 112: version 2, 36 bytes, authlen 7 where VRRP
	 * has its address count. Not ours, and not an error either. */
	if (version == 2 && l3->l4_len == CARP_LEN && count == CARP_AUTHLEN)
		return verdict(XVIP_R_CARP, XDP_PASS);

	vrid = vh[1];
	st = bpf_map_lookup_elem(&vrrp_stats, &vrid);
	if (!st)
		return verdict(XVIP_R_VRRP_INVALID, XDP_PASS);

	if (version != 2 && version != 3) {
		__sync_fetch_and_add(&st->bad_version, 1);
		return verdict(XVIP_R_VRRP_INVALID, XDP_PASS);
	}
	if (type != VRRP_TYPE_ADVERT) {
		__sync_fetch_and_add(&st->bad_type, 1);
		return verdict(XVIP_R_VRRP_INVALID, XDP_PASS);
	}
	expected = VRRP_HDR_LEN + 4 * (__u32)count + (version == 2 ? VRRP_AUTH_LEN : 0);
	/* an advert of xvipd's authenticated mode carries a trailer (include/
	 * vrrp_wire.h); its tag is the daemon's to check */
	if (l3->l4_len != expected && !vrrp_auth_trailer(vh, expected, l3->l4_len, data_end)) {
		__sync_fetch_and_add(&st->bad_length, 1);
		return verdict(XVIP_R_VRRP_INVALID, XDP_PASS);
	}
	if (l3->iph->ttl != 255) {
		__sync_fetch_and_add(&st->bad_ttl, 1);
		return verdict(XVIP_R_VRRP_INVALID, XDP_PASS);
	}
	if (!vrrp_checksum_ok(l3, expected, data_end)) {
		__sync_fetch_and_add(&st->bad_checksum, 1);
		return verdict(XVIP_R_VRRP_INVALID, XDP_PASS);
	}

	prio = vh[2];
	adver_int = version == 2 ? vh[5] : (((__u16)(vh[4] & 0x0f) << 8) | vh[5]);
	__sync_fetch_and_add(&st->adverts, 1);
	if (prio == 0)
		__sync_fetch_and_add(&st->prio_zero, 1);
	st->last_seen_ns = bpf_ktime_get_ns();
	st->last_sender = l3->iph->saddr;
	st->last_priority = prio;
	st->last_version = version;
	st->last_adver_int = adver_int;
	/* no event: the daemon's own socket reads the advert; one per frame
	 * here only woke it for nothing and could crowd out claims */
	return verdict(XVIP_R_VRRP_VALID, XDP_PASS);
}

#endif
