/*
 * arp_pkt.h - Ethernet/IPv4 ARP frames: build a gratuitous ARP the way
 * keepalived sends it, and decode received ARP frames.
 *
 * Pure code.  IPv4 addresses in network byte order, MACs as 6 bytes.
 */
#ifndef XVIP_ARP_PKT_H
#define XVIP_ARP_PKT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define ARP_ETH_ALEN 6
#define ARP_FRAME_LEN 42      /* 14 Ethernet + 28 ARP */
#define ARP_FRAME_MIN_LEN 60  /* Ethernet minimum without FCS: we pad */

#define ARP_OP_REQUEST 1
#define ARP_OP_REPLY 2

/* Decoded ARP frame. */
struct arp_info {
	uint8_t eth_dst[ARP_ETH_ALEN];
	uint8_t eth_src[ARP_ETH_ALEN];
	uint16_t op;                 /* ARP_OP_*, host order */
	uint8_t sha[ARP_ETH_ALEN];   /* sender hardware address */
	uint32_t spa;                /* sender protocol address */
	uint8_t tha[ARP_ETH_ALEN];   /* target hardware address */
	uint32_t tpa;                /* target protocol address */
};

enum arp_parse_err {
	ARP_OK = 0,
	ARP_ERR_INVALID_ARG = -1,
	ARP_ERR_TRUNCATED = -2,      /* shorter than 42 bytes */
	ARP_ERR_NOT_ARP = -3,        /* EtherType is not 0x0806 */
	ARP_ERR_BAD_FORMAT = -4,     /* not Ethernet/IPv4 with lengths 6/4 */
};

/*
 * Gratuitous ARP announcing vip at mac: Ethernet broadcast from mac, ARP
 * request with sender = target = vip, sender MAC = mac, target MAC all
 * zero (as keepalived sends it), zero padded to 60 bytes.  len must be at
 * least ARP_FRAME_MIN_LEN.  Returns ARP_FRAME_MIN_LEN or -1.
 */
int arp_build_garp(uint8_t *buf, size_t len, const uint8_t mac[ARP_ETH_ALEN],
		   uint32_t vip);

/* ARP request "who has tpa? tell spa" broadcast from mac (sender MAC mac,
 * target MAC zero), padded to 60 bytes. Same length rules as above. */
int arp_build_request(uint8_t *buf, size_t len, const uint8_t mac[ARP_ETH_ALEN], uint32_t spa,
		      uint32_t tpa);

/* Decode an Ethernet frame carrying ARP (no VLAN tag).  Trailing padding is
 * ignored.  Returns ARP_OK or a negative enum arp_parse_err. */
int arp_parse(const uint8_t *frame, size_t len, struct arp_info *out);

/* Gratuitous: the sender announces its own address (spa == tpa). */
bool arp_is_gratuitous(const struct arp_info *a);

#endif /* XVIP_ARP_PKT_H */
