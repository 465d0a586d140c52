// SPDX-License-Identifier: GPL-2.0
/* xvip data plane, attached to the service interface: bounds check -> parse
 * -> per-protocol handler -> count the verdict. The logic is in lib/. */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>
#include "xvip.h"
#include "lib/maps.h"
#include "lib/parse.h"
#include "lib/arp.h"
#include "lib/vrrp.h"
#include "lib/steer.h"
#include "lib/liveness.h"
#include "lib/quiet.h"

#define IPPROTO_TCP_ 6
#define IPPROTO_UDP_ 17

static __always_inline int handle_ipv4(struct xdp_md *ctx, struct ethhdr *eth, void *data_end)
{
	struct l3_info l3 = {};

	if (parse_ipv4(eth + 1, data_end, &l3) < 0)
		return verdict(XVIP_R_IP_MALFORMED, XDP_PASS);
	switch (l3.iph->protocol) {
	case VRRP_IPPROTO:
		return handle_vrrp(&l3, data_end);
	case IPPROTO_UDP_: {
		int rc = handle_liveness(ctx, eth, &l3, data_end);

		if (rc != LIV_NOT_OURS)
			return rc;
		return handle_service(ctx, eth, &l3, data_end);
	}
	case IPPROTO_TCP_:
		return handle_service(ctx, eth, &l3, data_end);
	default:
		return verdict(XVIP_R_PASS_OTHER, XDP_PASS);
	}
}

SEC("xdp")
int xvip_xdp(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	struct ethhdr *eth = data;

	if ((void *)(eth + 1) > data_end)
		return verdict(XVIP_R_ETH_TRUNC, XDP_PASS);
	switch (eth->h_proto) {
	case bpf_htons(ETH_P_ARP):
		return handle_arp(ctx, eth, data_end);
	case bpf_htons(ETH_P_IP):
		return handle_ipv4(ctx, eth, data_end);
	case bpf_htons(ETH_P_8021Q):
	case bpf_htons(ETH_P_8021AD):
		/* Tagged frames belong to a VLAN device; attach there instead. */
		return verdict(XVIP_R_PASS_VLAN, XDP_PASS);
	default:
		return verdict(XVIP_R_PASS_OTHER, XDP_PASS);
	}
}

/* The socket filter of the daemon's VRRP sockets (lib/quiet.h). */
SEC("socket")
int xvip_vrrp_sock(struct __sk_buff *skb)
{
	return quiet_filter(skb);
}

char LICENSE[] SEC("license") = "GPL";
