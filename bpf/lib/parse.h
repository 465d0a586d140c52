/* SPDX-License-Identifier: GPL-2.0 */
/* Header parsing: each helper checks bounds against data_end before it
 * reads, and reports what it found; nothing here decides a verdict. */
#ifndef XVIP_BPF_PARSE_H
#define XVIP_BPF_PARSE_H

#define ETH_P_IP 0x0800
#define ETH_P_ARP 0x0806
#define ETH_P_8021Q 0x8100
#define ETH_P_8021AD 0x88A8
#define ARPHRD_ETHER 1
#define ARPOP_REQUEST 1
#define ARPOP_REPLY 2
#define IP_MF 0x2000
#define IP_OFFSET 0x1FFF

/* The Ethernet/IPv4 ARP body (RFC 826), packed as on the wire. */
struct arp_eth {
	__be16 htype;
	__be16 ptype;
	__u8 hlen;
	__u8 plen;
	__be16 op;
	__u8 sha[6];
	__be32 spa;
	__u8 tha[6];
	__be32 tpa;
} __attribute__((packed));

/* What parse_ipv4 found: the L4 payload and its length per the IP header. */
struct l3_info {
	struct iphdr *iph;
	void *l4;
	__u32 l4_len;
	__u8 is_fragment;
};

/* 0 on success; the caller counts XVIP_R_IP_MALFORMED otherwise. IP options
 * are skipped (ihl up to 15), not rejected: they change nothing we do. */
static __always_inline int parse_ipv4(void *l3, void *data_end, struct l3_info *out)
{
	struct iphdr *iph = l3;
	__u32 hdr_len, tot_len;

	if ((void *)(iph + 1) > data_end)
		return -1;
	if (iph->version != 4 || iph->ihl < 5)
		return -1;
	hdr_len = iph->ihl * 4;
	tot_len = bpf_ntohs(iph->tot_len);
	if (tot_len < hdr_len)
		return -1;
	if ((void *)l3 + hdr_len > data_end)
		return -1;
	/* Ethernet padding may follow tot_len; a short frame may not. */
	if ((void *)l3 + tot_len > data_end)
		return -1;
	out->iph = iph;
	out->l4 = l3 + hdr_len;
	out->l4_len = tot_len - hdr_len;
	out->is_fragment = (bpf_ntohs(iph->frag_off) & (IP_MF | IP_OFFSET)) != 0;
	return 0;
}

static __always_inline int mac_equal(const __u8 *a, const __u8 *b)
{
	return a[0] == b[0] && a[1] == b[1] && a[2] == b[2] && a[3] == b[3] &&
	       a[4] == b[4] && a[5] == b[5];
}

static __always_inline __u16 csum_fold32(__u32 sum)
{
	sum = (sum & 0xffff) + (sum >> 16);
	sum = (sum & 0xffff) + (sum >> 16);
	return (__u16)sum;
}

#endif
