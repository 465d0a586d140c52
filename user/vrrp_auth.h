/*
 * vrrp_auth.h - xvip's authenticated mode between xvipd peers
 * (auth_key_file; docs/security.md says which construction and why).
 *
 * Each advert carries a trailer after its VRRP message (include/
 * vrrp_wire.h): magic "XVA1", a 64-bit sequence number and a 128-bit tag,
 *   HMAC-SHA-256(key, "xvip-vrrp-auth-1" | IP src | IP dst | VRRP message |
 *                magic | sequence)  truncated to its first 16 bytes.
 * The sequence is the sender's CLOCK_REALTIME in ns (or one more than the
 * last it sent): a receiver accepts from each peer only sequences above the
 * last it accepted, and the first one from a peer only within
 * VRRP_AUTH_WINDOW_NS of its own clock, so a captured advert cannot be
 * played back.
 *
 * Pure code but for vrrp_auth_load_key (the file) and OpenSSL's HMAC.
 */
#ifndef XVIP_VRRP_AUTH_H
#define XVIP_VRRP_AUTH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <linux/types.h>

#include "vrrp_wire.h"

#define VRRP_AUTH_KEY_MIN 16   /* bytes: 128 bits at least */
#define VRRP_AUTH_KEY_MAX 256
#define VRRP_AUTH_PEERS 8      /* peers remembered per instance */
#define VRRP_AUTH_WINDOW_NS (30ull * 1000000000ull)

struct vrrp_auth_key {
	uint8_t b[VRRP_AUTH_KEY_MAX];
	size_t len; /* 0: no key, the mode is off */
};

/* Read an auth_key_file: its bytes, without one final newline, are the key.
 * Refused (-1, *why says why) unless it is a regular file of xvipd's uid,
 * closed to others and to any group but root's, with 16..256 bytes. */
int vrrp_auth_load_key(const char *path, struct vrrp_auth_key *k, char *why, size_t whylen);

/* Wipe a key (explicit_bzero). */
void vrrp_auth_key_wipe(struct vrrp_auth_key *k);

/* The fast liveness key of an auth_key_file key (include/xvip.h, struct
 * liv_auth): the first 16 bytes of HMAC-SHA-256(key, "xvip-liveness-1")
 * as SipHash's (k0, k1), little-endian. 0, or -1 if there is no key. */
int vrrp_auth_liv_key(const struct vrrp_auth_key *k, __u64 out[2]);

/* The next sequence number to send: now, or one more than the last. */
uint64_t vrrp_auth_next_seq(uint64_t *last, uint64_t now_real_ns);

/* Append the trailer to the VRRP message vrrp[0, len) built for src -> dst
 * (network order), in a buffer of cap bytes. Returns the new length, or -1
 * (no key, no room). */
int vrrp_auth_sign(uint8_t *vrrp, size_t len, size_t cap, uint32_t src, uint32_t dst,
		   uint64_t seq, const struct vrrp_auth_key *k);

/*
 * Look at the trailer of a received IPv4 packet (as a raw socket delivers
 * it) before vrrp_parse_advert() judges the rest. With a key (k->len > 0):
 * a packet without a trailer is VRRP_REJ_AUTH_MISSING, one with a tag made
 * by neither k nor k2 (may be NULL: none) VRRP_REJ_AUTH_BAD_MAC; a good one
 * has its trailer cut off (the IP total
 * length and header checksum are rewritten in place) and *seq set. Without
 * a key, a packet with a trailer is VRRP_REJ_AUTH_UNEXPECTED. Anything that
 * is not shaped like an advert returns 0 untouched: the parser says why.
 */
int vrrp_auth_check(uint8_t *ip_pkt, size_t len, const struct vrrp_auth_key *k,
		    const struct vrrp_auth_key *k2, uint64_t *seq);

/* Sequence numbers accepted from each peer of an instance. */
struct vrrp_auth_peer {
	uint32_t src;
	uint64_t last_seq;
	uint64_t used; /* for replacement: the least recently accepted goes */
};
struct vrrp_auth_peers {
	struct vrrp_auth_peer p[VRRP_AUTH_PEERS];
	unsigned n;
	uint64_t tick;
};

/* What to keep of an accepted seq across restarts (vrrp_auth_seq): seq, but
 * never more than the window ahead of our clock. */
uint64_t vrrp_auth_floor(uint64_t seq, uint64_t now_real_ns);

/* Whether src is in the table. */
bool vrrp_auth_knows(const struct vrrp_auth_peers *t, uint32_t src);

/* After a good tag (and the parser's checks): accept seq from src, or
 * VRRP_REJ_AUTH_REPLAY (not above the last accepted from src) or
 * VRRP_REJ_AUTH_STALE (a first advert further than the window from our
 * clock). *last (may be NULL) gets the sequence the peer was judged by.
 * remembered (0: none) is the last sequence accepted from src before the
 * table knew it (kept in the vrrp_auth_seq map across restarts): an
 * unknown src must be above it as well as within the window. */
int vrrp_auth_accept(struct vrrp_auth_peers *t, uint32_t src, uint64_t seq,
		     uint64_t now_real_ns, uint64_t remembered, uint64_t *last);

#endif /* XVIP_VRRP_AUTH_H */
