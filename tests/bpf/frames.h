/*
 * frames.h - builders for the golden-frame tests (tests/bpf/test_golden.c).
 *
 * Everything is written byte by byte in network order, independent of the
 * data plane's own headers, so that a test compares the program against an
 * outside description of the wire format. Addresses are passed as host-order
 * numbers (0x0a000064 = 10.0.0.100) and written big-endian.
 */
#ifndef XVIP_TEST_FRAMES_H
#define XVIP_TEST_FRAMES_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "csum.h" /* RFC 1071 sums: user/csum.h */

#define FR_ETH_LEN 14
#define FR_ARP_LEN 28
#define FR_IP_LEN 20

#define ETHT_IP 0x0800
#define ETHT_ARP 0x0806
#define ETHT_VLAN 0x8100
#define ETHT_QINQ 0x88a8
#define ETHT_IPV6 0x86dd

static inline uint8_t *fr_put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
	return p + 2;
}

static inline uint8_t *fr_put32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
	return p + 4;
}

static inline uint8_t *fr_put_mac(uint8_t *p, const uint8_t mac[6])
{
	memcpy(p, mac, 6);
	return p + 6;
}

static inline uint8_t *fr_eth(uint8_t *p, const uint8_t dst[6], const uint8_t src[6],
			      uint16_t type)
{
	p = fr_put_mac(p, dst);
	p = fr_put_mac(p, src);
	return fr_put16(p, type);
}

/* The 28-byte Ethernet/IPv4 ARP body. */
static inline uint8_t *fr_arp(uint8_t *p, uint16_t op, const uint8_t sha[6], uint32_t spa,
			      const uint8_t tha[6], uint32_t tpa)
{
	p = fr_put16(p, 1);      /* htype Ethernet */
	p = fr_put16(p, 0x0800); /* ptype IPv4 */
	*p++ = 6;
	*p++ = 4;
	p = fr_put16(p, op);
	p = fr_put_mac(p, sha);
	p = fr_put32(p, spa);
	p = fr_put_mac(p, tha);
	return fr_put32(p, tpa);
}

/* A whole ARP frame; pad_to > 42 appends `pad_byte` up to that length. */
static inline size_t fr_arp_frame(uint8_t *buf, const uint8_t eth_dst[6],
				  const uint8_t eth_src[6], uint16_t op, const uint8_t sha[6],
				  uint32_t spa, const uint8_t tha[6], uint32_t tpa, size_t pad_to,
				  uint8_t pad_byte)
{
	uint8_t *p = fr_eth(buf, eth_dst, eth_src, ETHT_ARP);
	size_t len;

	p = fr_arp(p, op, sha, spa, tha, tpa);
	len = (size_t)(p - buf);
	if (pad_to > len) {
		memset(p, pad_byte, pad_to - len);
		len = pad_to;
	}
	return len;
}

/* IPv4 header parameters; fields left 0 take the defaults noted. */
struct fr_ip {
	uint32_t saddr, daddr;
	uint8_t proto;
	uint8_t ttl;            /* 0 -> 64 */
	uint8_t ihl;            /* 0 -> 5 + options_len / 4 */
	uint16_t frag_off;      /* flags and offset, host order */
	const uint8_t *options; /* options_len bytes after the fixed header */
	size_t options_len;
	int tot_len_delta;      /* added to the correct total length */
	uint8_t version;        /* 0 -> 4 */
};

/* IPv4 header (with a correct header checksum) + payload; pad_to pads the
 * frame with zeros (Ethernet padding, not counted in tot_len). */
static inline size_t fr_ipv4_frame(uint8_t *buf, const uint8_t eth_dst[6],
				   const uint8_t eth_src[6], const struct fr_ip *ip,
				   const uint8_t *payload, size_t payload_len, size_t pad_to)
{
	uint8_t *p = fr_eth(buf, eth_dst, eth_src, ETHT_IP);
	uint8_t *iph = p;
	size_t hlen = FR_IP_LEN + ip->options_len;
	uint8_t ihl = ip->ihl ? ip->ihl : (uint8_t)(hlen / 4);
	size_t len;

	*p++ = (uint8_t)((ip->version ? ip->version : 4) << 4 | (ihl & 0x0f));
	*p++ = 0xc0; /* DSCP CS6, as VRRP senders use */
	p = fr_put16(p, (uint16_t)((int)(hlen + payload_len) + ip->tot_len_delta));
	p = fr_put16(p, 0x1234); /* id */
	p = fr_put16(p, ip->frag_off);
	*p++ = ip->ttl ? ip->ttl : 64;
	*p++ = ip->proto;
	p = fr_put16(p, 0);
	p = fr_put32(p, ip->saddr);
	p = fr_put32(p, ip->daddr);
	if (ip->options_len) {
		memcpy(p, ip->options, ip->options_len);
		p += ip->options_len;
	}
	fr_put16(iph + 10, csum_buf(iph, hlen));
	memcpy(p, payload, payload_len);
	p += payload_len;
	len = (size_t)(p - buf);
	if (pad_to > len) {
		memset(p, 0, pad_to - len);
		len = pad_to;
	}
	return len;
}

/* VRRP v2 advert (RFC 3768): header, addresses, 8 bytes of auth data, with
 * a correct checksum over the VRRP message unless bad_csum. */
static inline size_t fr_vrrp2(uint8_t *p, uint8_t vrid, uint8_t prio, uint8_t count,
			      const uint32_t *addrs, uint8_t auth_type, const char *auth,
			      uint8_t adver_int)
{
	uint8_t *start = p;
	size_t len;

	*p++ = 0x21; /* version 2, type 1 (advertisement) */
	*p++ = vrid;
	*p++ = prio;
	*p++ = count;
	*p++ = auth_type;
	*p++ = adver_int;
	p = fr_put16(p, 0);
	for (unsigned i = 0; i < count; i++)
		p = fr_put32(p, addrs[i]);
	memset(p, 0, 8);
	if (auth)
		memcpy(p, auth, strnlen(auth, 8));
	p += 8;
	len = (size_t)(p - start);
	fr_put16(start + 6, csum_buf(start, len));
	return len;
}

/* VRRP v3 advert (RFC 5798): 12-bit max advert interval in centiseconds;
 * pseudo: include the IPv4 pseudo-header in the checksum (the RFC), else
 * checksum the VRRP message alone (as some keepalived versions do). */
static inline size_t fr_vrrp3(uint8_t *p, uint8_t vrid, uint8_t prio, uint8_t count,
			      const uint32_t *addrs, uint16_t adver_cs, uint32_t saddr,
			      uint32_t daddr, int pseudo)
{
	uint8_t *start = p;
	uint8_t ph[12];
	uint64_t sum = 0;
	size_t len;

	*p++ = 0x31; /* version 3, type 1 */
	*p++ = vrid;
	*p++ = prio;
	*p++ = count;
	*p++ = (uint8_t)((adver_cs >> 8) & 0x0f); /* rsvd 0, high 4 bits */
	*p++ = (uint8_t)adver_cs;
	p = fr_put16(p, 0);
	for (unsigned i = 0; i < count; i++)
		p = fr_put32(p, addrs[i]);
	len = (size_t)(p - start);
	if (pseudo) {
		fr_put32(ph, saddr);
		fr_put32(ph + 4, daddr);
		ph[8] = 0;
		ph[9] = 112;
		fr_put16(ph + 10, (uint16_t)len);
		sum = csum_add(0, ph, sizeof(ph));
	}
	fr_put16(start + 6, csum_finish(csum_add(sum, start, len)));
	return len;
}

/* 20-byte TCP header (SYN), checksum left 0: the data plane never reads it. */
static inline size_t fr_tcp(uint8_t *p, uint16_t sport, uint16_t dport)
{
	memset(p, 0, 20);
	fr_put16(p, sport);
	fr_put16(p + 2, dport);
	fr_put32(p + 4, 0x01020304); /* seq */
	p[12] = 5 << 4;              /* data offset */
	p[13] = 0x02;                /* SYN */
	fr_put16(p + 14, 64240);     /* window */
	return 20;
}

/* 8-byte UDP header followed by `data_len` bytes of 0xab. */
static inline size_t fr_udp(uint8_t *p, uint16_t sport, uint16_t dport, size_t data_len)
{
	fr_put16(p, sport);
	fr_put16(p + 2, dport);
	fr_put16(p + 4, (uint16_t)(8 + data_len));
	fr_put16(p + 6, 0);
	memset(p + 8, 0xab, data_len);
	return 8 + data_len;
}

#endif
