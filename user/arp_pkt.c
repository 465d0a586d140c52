/*
 * arp_pkt.c - gratuitous ARP builder and ARP frame parser.  See arp_pkt.h.
 *
 * Frame layout (RFC 826 over Ethernet II):
 *   0: dst MAC  6: src MAC  12: EtherType 0x0806
 *   14: htype 1  16: ptype 0x0800  18: hlen 6  19: plen 4  20: op
 *   22: sha  28: spa  32: tha  38: tpa  (42 bytes)
 */
#include "arp_pkt.h"

#include <string.h>

#define ETH_P_ARP_ 0x0806
#define ETH_P_IP_ 0x0800
#define ARP_HTYPE_ETHER 1

static void put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static uint16_t get16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

int arp_build_request(uint8_t *buf, size_t len, const uint8_t mac[ARP_ETH_ALEN], uint32_t spa,
		      uint32_t tpa)
{
	if (!buf || !mac || len < ARP_FRAME_MIN_LEN)
		return -1;
	/* zero first: the padding and the all-zero target MAC come for free */
	memset(buf, 0, ARP_FRAME_MIN_LEN);
	memset(buf, 0xff, ARP_ETH_ALEN);
	memcpy(buf + 6, mac, ARP_ETH_ALEN);
	put16(buf + 12, ETH_P_ARP_);
	put16(buf + 14, ARP_HTYPE_ETHER);
	put16(buf + 16, ETH_P_IP_);
	buf[18] = ARP_ETH_ALEN;
	buf[19] = 4;
	put16(buf + 20, ARP_OP_REQUEST);
	memcpy(buf + 22, mac, ARP_ETH_ALEN);
	memcpy(buf + 28, &spa, 4);
	memcpy(buf + 38, &tpa, 4);
	return ARP_FRAME_MIN_LEN;
}

/* A request rather than a reply: that is what keepalived sends, and every
 * neighbour updates an existing cache entry on either. */
int arp_build_garp(uint8_t *buf, size_t len, const uint8_t mac[ARP_ETH_ALEN],
		   uint32_t vip)
{
	return arp_build_request(buf, len, mac, vip, vip);
}

int arp_parse(const uint8_t *f, size_t len, struct arp_info *out)
{
	if (!f || !out)
		return ARP_ERR_INVALID_ARG;
	memset(out, 0, sizeof(*out));
	if (len < ARP_FRAME_LEN)
		return ARP_ERR_TRUNCATED;
	if (get16(f + 12) != ETH_P_ARP_)
		return ARP_ERR_NOT_ARP;
	if (get16(f + 14) != ARP_HTYPE_ETHER || get16(f + 16) != ETH_P_IP_ ||
	    f[18] != ARP_ETH_ALEN || f[19] != 4)
		return ARP_ERR_BAD_FORMAT;
	memcpy(out->eth_dst, f, ARP_ETH_ALEN);
	memcpy(out->eth_src, f + 6, ARP_ETH_ALEN);
	out->op = get16(f + 20);
	memcpy(out->sha, f + 22, ARP_ETH_ALEN);
	memcpy(&out->spa, f + 28, 4);
	memcpy(out->tha, f + 32, ARP_ETH_ALEN);
	memcpy(&out->tpa, f + 38, 4);
	return ARP_OK;
}

bool arp_is_gratuitous(const struct arp_info *a)
{
	return a && a->spa == a->tpa;
}
