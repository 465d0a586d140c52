/* VRRP on the wire (RFC 3768 v2, RFC 5798 v3): the numbers both the XDP
 * program (bpf/lib/vrrp.h) and the daemon's codec (user/vrrp_pkt.h) use. */
#ifndef XVIP_VRRP_WIRE_H
#define XVIP_VRRP_WIRE_H

#define VRRP_IPPROTO 112
#define VRRP_TTL 255
#define VRRP_MCAST_GROUP 0xe0000012u /* 224.0.0.18, host order */
#define VRRP_TYPE_ADVERT 1
#define VRRP_HDR_LEN 8
#define VRRP_AUTH_LEN 8           /* v2 only: always present on the wire */
#define VRRP_MAX_ADDRS 255        /* the count field is 8 bits */
#define VRRP_PRIO_STOP 0          /* master is leaving */
#define VRRP_PRIO_OWNER 255       /* address owner */
#define VRRP_MAX_LEN (VRRP_HDR_LEN + 4 * VRRP_MAX_ADDRS + VRRP_AUTH_LEN)

/* xvip's authenticated mode between xvipd peers (auth_key_file,
 * docs/security.md): a trailer after the advert, outside its checksum:
 * magic "XVA1", a 64-bit sequence number, a 128-bit tag (HMAC-SHA-256 of
 * the addresses, the advert, the magic and the sequence, truncated). */
#define XVIP_AUTH_MAGIC 0x58564131u /* "XVA1", network order on the wire */
#define XVIP_AUTH_TAG_LEN 16
#define XVIP_AUTH_TRAILER_LEN (4 + 8 + XVIP_AUTH_TAG_LEN)

#endif
