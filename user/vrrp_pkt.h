/*
 * vrrp_pkt.h - VRRP advertisement codec (RFC 3768 v2, RFC 5798 v3, IPv4),
 * wire-compatible with keepalived 2.2.
 *
 * Pure code: no sockets, no clock, no allocation.  IPv4 addresses are kept in
 * network byte order everywhere (like struct in_addr.s_addr and the BPF maps);
 * times are microseconds.
 */
#ifndef XVIP_VRRP_PKT_H
#define XVIP_VRRP_PKT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "vrrp_wire.h"

#define VRRP_USEC_PER_SEC 1000000ull
#define VRRP_USEC_PER_CS 10000ull
#define VRRP_V3_MAX_ADVER_INT_CS 4095 /* 12-bit field */

enum vrrp_auth_type {
	VRRP_AUTH_NONE = 0,
	VRRP_AUTH_PASS = 1, /* cleartext password, 8 bytes, zero padded */
};

/* flags reported by the parser: accepted, but worth a log line / counter */
#define VRRP_ADVERT_F_ADDR_MISMATCH 0x01u /* address list differs from ours */
#define VRRP_ADVERT_F_CSUM_NO_PSEUDO 0x02u /* v3 checksum without pseudo-header */
#define VRRP_ADVERT_F_CSUM_MCAST_DST 0x04u /* v3 pseudo-header used 224.0.0.18
					    * although sent to another address */

/* One advertisement, decoded (parse) or to encode (build). */
struct vrrp_advert {
	uint8_t version;       /* 2 or 3 */
	uint8_t vrid;          /* 1..255 */
	uint8_t priority;      /* 0 = stop, 255 = owner */
	uint8_t auth_type;     /* v2 only: enum vrrp_auth_type */
	uint8_t auth_data[VRRP_AUTH_LEN]; /* v2 PASS password, zero padded */
	uint64_t adver_int_us; /* v2: whole seconds; v3: whole centiseconds */
	uint32_t src;          /* IPv4 source (v3 pseudo-header; parse: IP src) */
	uint32_t dst;          /* IPv4 destination (same) */
	uint8_t ttl;           /* parse only: IP TTL */
	uint32_t flags;        /* parse only: VRRP_ADVERT_F_* */
	uint16_t naddr;        /* number of addresses, <= VRRP_MAX_ADDRS */
	uint32_t addrs[VRRP_MAX_ADDRS];
};

/* What the receiving instance expects. */
struct vrrp_parse_opts {
	uint8_t version;       /* 2 or 3 */
	uint8_t vrid;
	uint8_t auth_type;     /* v2: enum vrrp_auth_type */
	uint8_t auth_data[VRRP_AUTH_LEN]; /* v2 PASS password, zero padded */
	uint64_t adver_int_us; /* v2: must match the advert's exactly */
	bool unicast;          /* unicast peers (the checksum may cover 224.0.0.18) */
	bool skip_ttl;         /* routed unicast peers (unicast_ttl < 255): TTL not checked */
	uint16_t naddr;        /* our virtual addresses, for the mismatch flag; */
	const uint32_t *addrs; /* NULL: do not compare */
};

/*
 * Rejection reasons.  vrrp_parse_advert() returns 0 or one of these negative
 * values; -reason indexes a counter array of VRRP_REJ_NR entries.
 */
enum vrrp_reject {
	VRRP_OK = 0,
	VRRP_REJ_INVALID_ARG = -1,       /* NULL pointer or bad opts (our bug) */
	VRRP_REJ_TRUNCATED = -2,         /* buffer shorter than the headers say */
	VRRP_REJ_BAD_IP_HEADER = -3,     /* not IPv4, ihl < 5, bad total length */
	VRRP_REJ_FRAGMENT = -4,          /* MF set or fragment offset != 0 */
	VRRP_REJ_BAD_PROTOCOL = -5,      /* IP protocol is not 112 */
	VRRP_REJ_BAD_TTL = -6,           /* TTL != 255 (multicast only) */
	VRRP_REJ_BAD_VERSION = -7,       /* VRRP version != the instance's */
	VRRP_REJ_BAD_TYPE = -8,          /* not an advertisement */
	VRRP_REJ_BAD_LENGTH = -9,        /* length != header + 4*count (+ auth) */
	VRRP_REJ_BAD_CHECKSUM = -10,
	VRRP_REJ_VRID_MISMATCH = -11,    /* another virtual router on the LAN */
	VRRP_REJ_AUTH_TYPE_MISMATCH = -12, /* v2 auth type differs (or unknown) */
	VRRP_REJ_AUTH_FAILED = -13,      /* v2 PASS password differs */
	VRRP_REJ_INTERVAL_MISMATCH = -14, /* v2 advert_int differs from ours */
	VRRP_REJ_BAD_INTERVAL = -15,     /* v3 max_adver_int of 0 */
	/* auth_key_file (vrrp_auth.h) */
	VRRP_REJ_AUTH_MISSING = -16,     /* no trailer: not xvipd, or no key there */
	VRRP_REJ_AUTH_BAD_MAC = -17,     /* a trailer with a wrong tag (another key) */
	VRRP_REJ_AUTH_REPLAY = -18,      /* sequence not above the last accepted */
	VRRP_REJ_AUTH_STALE = -19,       /* a first sequence far from our clock */
	VRRP_REJ_AUTH_UNEXPECTED = -20,  /* a trailer, and we have no key */
};
#define VRRP_REJ_NR 21 /* counters[-reason], index 0 = accepted */

/* Name of a vrrp_parse_advert() result ("ok", "bad_checksum", ...). */
const char *vrrp_reject_str(int reason);

/* Length of the VRRP payload for a version and address count. */
size_t vrrp_advert_len(uint8_t version, size_t naddr);

/* Copy a configured password into the 8-byte field, zero padded; longer
 * passwords are truncated to 8 bytes, as keepalived does. */
void vrrp_set_password(uint8_t out[VRRP_AUTH_LEN], const char *password);

/*
 * Encode the VRRP payload (what follows the IPv4 header; the kernel adds the
 * IP header on a raw IPPROTO_VRRP socket).  v3 needs a->src and a->dst for
 * the checksum pseudo-header: use the address the socket sends from and the
 * group (or unicast peer) it sends to.  The adver_int must be representable
 * (v2: 1..255 s, v3: 1..4095 cs).  Returns the number of bytes written, or
 * -1 if an argument is invalid or len is too small.
 */
int vrrp_build_advert(uint8_t *buf, size_t len, const struct vrrp_advert *a);

/*
 * Validate and decode a received advertisement.  ip_pkt is the whole IPv4
 * packet as a raw socket delivers it; bytes after the IP total length (e.g.
 * Ethernet padding in a copied frame) are ignored.  Returns 0 and fills *out,
 * or a negative enum vrrp_reject (out is then partially filled, for logs).
 */
int vrrp_parse_advert(const uint8_t *ip_pkt, size_t len,
		      const struct vrrp_parse_opts *opts, struct vrrp_advert *out);

/*
 * Same checks on the VRRP payload alone, when the IP header has already been
 * checked by someone else (the XDP program's ring buffer event carries the
 * addresses and TTL but not the header).  src/dst are network byte order.
 */
int vrrp_parse_payload(const uint8_t *vrrp, size_t len, uint32_t src,
		       uint32_t dst, uint8_t ttl,
		       const struct vrrp_parse_opts *opts, struct vrrp_advert *out);

/*
 * Timers (RFC 3768 section 6.1, RFC 5798 section 6.1), in microseconds.
 * v2: Skew_Time = (256 - prio) / 256 s, whatever the interval.
 * v3: Skew_Time = ((256 - prio) * Master_Adver_Interval) / 256.
 * Master_Down_Interval = 3 * Master_Adver_Interval + Skew_Time.
 * Computed in microseconds, not in keepalived's centiseconds, so that a 10 ms
 * v3 interval still gives different priorities different skews.
 */
uint64_t vrrp_skew_time_us(uint8_t version, uint8_t prio,
			   uint64_t master_adver_int_us);
uint64_t vrrp_master_down_us(uint8_t version, uint8_t prio,
			     uint64_t master_adver_int_us);

#endif /* XVIP_VRRP_PKT_H */
