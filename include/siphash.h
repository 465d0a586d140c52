/* SPDX-License-Identifier: GPL-2.0 */
/* SipHash-2-4 (Aumasson and Bernstein, 2012) of whole 64-bit words, shared
 * by the XDP program and user space so that both compute the same tag: the
 * fast liveness echoes' tag with auth_key_file (include/xvip.h, struct
 * liv_wire_key). The words are the message's bytes read as little-endian
 * 64-bit integers, so for a message of n * 8 bytes the result is the
 * standard SipHash-2-4 (tests/unit/test_vrrp_auth.c checks it against
 * OpenSSL's). A 128-bit key, a 64-bit tag: a keyed PRF that costs about
 * 200 BPF instructions for a 40-byte message, where HMAC-SHA-256 has no
 * helper in XDP. */
#ifndef XVIP_SIPHASH_H
#define XVIP_SIPHASH_H

#ifndef __bpf__
#include <linux/types.h>
#endif

#ifndef __always_inline
#define __always_inline inline __attribute__((always_inline))
#endif

#define XVIP_SIP_ROTL(x, b) (((x) << (b)) | ((x) >> (64 - (b))))

struct xvip_sip {
	__u64 v0, v1, v2, v3;
};

static __always_inline void xvip_sip_round(struct xvip_sip *s)
{
	s->v0 += s->v1;
	s->v1 = XVIP_SIP_ROTL(s->v1, 13);
	s->v1 ^= s->v0;
	s->v0 = XVIP_SIP_ROTL(s->v0, 32);
	s->v2 += s->v3;
	s->v3 = XVIP_SIP_ROTL(s->v3, 16);
	s->v3 ^= s->v2;
	s->v0 += s->v3;
	s->v3 = XVIP_SIP_ROTL(s->v3, 21);
	s->v3 ^= s->v0;
	s->v2 += s->v1;
	s->v1 = XVIP_SIP_ROTL(s->v1, 17);
	s->v1 ^= s->v2;
	s->v2 = XVIP_SIP_ROTL(s->v2, 32);
}

static __always_inline void xvip_sip_init(struct xvip_sip *s, __u64 k0, __u64 k1)
{
	s->v0 = k0 ^ 0x736f6d6570736575ull;
	s->v1 = k1 ^ 0x646f72616e646f6dull;
	s->v2 = k0 ^ 0x6c7967656e657261ull;
	s->v3 = k1 ^ 0x7465646279746573ull;
}

/* one message word: two compression rounds */
static __always_inline void xvip_sip_word(struct xvip_sip *s, __u64 m)
{
	s->v3 ^= m;
	xvip_sip_round(s);
	xvip_sip_round(s);
	s->v0 ^= m;
}

/* the last block (the length in bytes in its top byte; no tail bytes, the
 * message being whole words) and four finalization rounds */
static __always_inline __u64 xvip_sip_final(struct xvip_sip *s, __u32 nwords)
{
	xvip_sip_word(s, (__u64)(nwords * 8) << 56);
	s->v2 ^= 0xff;
	xvip_sip_round(s);
	xvip_sip_round(s);
	xvip_sip_round(s);
	xvip_sip_round(s);
	return s->v0 ^ s->v1 ^ s->v2 ^ s->v3;
}

/* The fast liveness tag (include/xvip.h, struct liv_wire_key): the first
 * 24 bytes of the liv_wire, the nonce, and `addrs`, the IP header's 8
 * bytes of source then destination address as one word. */
static __always_inline __u64 xvip_liv_tag(const __u64 key[2], const void *wire24, __u64 nonce,
					  __u64 addrs)
{
	struct xvip_sip s;
	__u64 m0, m1, m2;

	__builtin_memcpy(&m0, wire24, 8);
	__builtin_memcpy(&m1, (const __u8 *)wire24 + 8, 8);
	__builtin_memcpy(&m2, (const __u8 *)wire24 + 16, 8);
	xvip_sip_init(&s, key[0], key[1]);
	xvip_sip_word(&s, m0);
	xvip_sip_word(&s, m1);
	xvip_sip_word(&s, m2);
	xvip_sip_word(&s, nonce);
	xvip_sip_word(&s, addrs);
	return xvip_sip_final(&s, 5);
}

#endif
