// SPDX-License-Identifier: GPL-2.0
/* Test helper: attach to the peer end of a veth so that frames sent there
 * with XDP_TX are delivered (veth drops them when the peer has no XDP). */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>

SEC("xdp")
int xdp_pass(struct xdp_md *ctx)
{
	return XDP_PASS;
}

char LICENSE[] SEC("license") = "GPL";
