/*
 * test_vrrp_pkt.c - VRRP codec: golden packets, round trips, every rejection
 * reason, keepalived checksum compatibility, timer helpers.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <string.h>

#include "csum.h"
#include "vrrp_pkt.h"

static uint32_t ip4(unsigned a, unsigned b, unsigned c, unsigned d)
{
	return htonl(a << 24 | b << 16 | c << 8 | d);
}

/*
 * Golden packets.  The checksums were computed independently of this code
 * (by hand, and cross-checked with a few lines of Python summing 16-bit
 * big-endian words), so a regression in csum.h or in the pseudo-header
 * would show here.
 */

/* v2, VRID 51, prio 100, 1 address 192.168.1.100, PASS "secret", 1 s.
 * Words: 2133 6401 0101 0000 c0a8 0164 7365 6372 6574 0000
 * sum 0x2848c -> 0x848e -> ~ 0x7b71 */
static const uint8_t golden_v2[] = {
	0x21, 0x33, 0x64, 0x01, 0x01, 0x01, 0x7b, 0x71,
	0xc0, 0xa8, 0x01, 0x64,
	's', 'e', 'c', 'r', 'e', 't', 0x00, 0x00,
};

/* v3, VRID 51, prio 100, 1 address 10.0.0.100, 100 cs, from 10.0.0.1 to
 * 224.0.0.18.  Pseudo-header words: 0a00 0001 e000 0012 0070 000c = ea8f;
 * VRRP words: 3133 6401 0064 0000 0a00 0064 = 9ffc;
 * sum 0x18a8b -> 0x8a8c -> ~ 0x7573 (without pseudo-header: 0x6003) */
static const uint8_t golden_v3[] = {
	0x31, 0x33, 0x64, 0x01, 0x00, 0x64, 0x75, 0x73,
	0x0a, 0x00, 0x00, 0x64,
};

static void golden_v2_advert(struct vrrp_advert *a)
{
	memset(a, 0, sizeof(*a));
	a->version = 2;
	a->vrid = 51;
	a->priority = 100;
	a->auth_type = VRRP_AUTH_PASS;
	vrrp_set_password(a->auth_data, "secret");
	a->adver_int_us = 1000000;
	a->src = ip4(192, 168, 1, 10);
	a->dst = ip4(224, 0, 0, 18);
	a->naddr = 1;
	a->addrs[0] = ip4(192, 168, 1, 100);
}

static void golden_v3_advert(struct vrrp_advert *a)
{
	memset(a, 0, sizeof(*a));
	a->version = 3;
	a->vrid = 51;
	a->priority = 100;
	a->adver_int_us = 1000000;
	a->src = ip4(10, 0, 0, 1);
	a->dst = ip4(224, 0, 0, 18);
	a->naddr = 1;
	a->addrs[0] = ip4(10, 0, 0, 100);
}

/* Options matching the golden adverts. */
static void opts_for(const struct vrrp_advert *a, struct vrrp_parse_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->version = a->version;
	o->vrid = a->vrid;
	o->auth_type = a->auth_type;
	memcpy(o->auth_data, a->auth_data, VRRP_AUTH_LEN);
	o->adver_int_us = a->adver_int_us;
	o->naddr = a->naddr;
	o->addrs = a->addrs;
}

/* Wrap a VRRP payload in an IPv4 header, as a raw socket delivers it. */
static size_t make_ip(uint8_t *pkt, const uint8_t *vrrp, size_t vlen,
		      uint32_t src, uint32_t dst, uint8_t ttl)
{
	size_t tot = 20 + vlen;

	memset(pkt, 0, 20);
	pkt[0] = 0x45;
	pkt[1] = 0xc0;
	pkt[2] = (uint8_t)(tot >> 8);
	pkt[3] = (uint8_t)tot;
	pkt[5] = 1;    /* id */
	pkt[8] = ttl;
	pkt[9] = VRRP_IPPROTO;
	memcpy(pkt + 12, &src, 4);
	memcpy(pkt + 16, &dst, 4);
	csum_store_be16(pkt + 10, csum_buf(pkt, 20));
	memcpy(pkt + 20, vrrp, vlen);
	return tot;
}

/* Recompute the VRRP checksum of a packet built by make_ip() after a test
 * changed a field, so that the intended check is the one that fails. */
static void fix_vrrp_csum(uint8_t *pkt)
{
	size_t tot = (size_t)pkt[2] << 8 | pkt[3];
	uint8_t *v = pkt + 20;
	size_t vlen = tot - 20;

	v[6] = v[7] = 0;
	if (v[0] >> 4 == 3) {
		uint8_t ph[12];

		memcpy(ph, pkt + 12, 8);
		ph[8] = 0;
		ph[9] = VRRP_IPPROTO;
		ph[10] = (uint8_t)(vlen >> 8);
		ph[11] = (uint8_t)vlen;
		csum_store_be16(v + 6, csum_finish(csum_add(csum_add(0, ph, 12),
							    v, vlen)));
	} else {
		csum_store_be16(v + 6, csum_buf(v, vlen));
	}
}

/* Golden v2 advert wrapped in IP, plus matching options. */
struct fixture {
	uint8_t pkt[1600];
	size_t len;
	struct vrrp_advert a;
	struct vrrp_parse_opts o;
	struct vrrp_advert out;
};

static void fixture_v2(struct fixture *f)
{
	memset(f, 0, sizeof(*f));
	golden_v2_advert(&f->a);
	opts_for(&f->a, &f->o);
	f->len = make_ip(f->pkt, golden_v2, sizeof(golden_v2), f->a.src,
			 f->a.dst, 255);
}

static void fixture_v3(struct fixture *f)
{
	memset(f, 0, sizeof(*f));
	golden_v3_advert(&f->a);
	opts_for(&f->a, &f->o);
	f->len = make_ip(f->pkt, golden_v3, sizeof(golden_v3), f->a.src,
			 f->a.dst, 255);
}

static int parse(struct fixture *f)
{
	return vrrp_parse_advert(f->pkt, f->len, &f->o, &f->out);
}

/* --- building ------------------------------------------------------------ */

static void test_build_golden_v2(void **state)
{
	struct vrrp_advert a;
	uint8_t buf[64];

	(void)state;
	golden_v2_advert(&a);
	assert_int_equal(vrrp_build_advert(buf, sizeof(buf), &a), sizeof(golden_v2));
	assert_memory_equal(buf, golden_v2, sizeof(golden_v2));
}

static void test_build_golden_v3(void **state)
{
	struct vrrp_advert a;
	uint8_t buf[64];

	(void)state;
	golden_v3_advert(&a);
	assert_int_equal(vrrp_build_advert(buf, sizeof(buf), &a), sizeof(golden_v3));
	assert_memory_equal(buf, golden_v3, sizeof(golden_v3));
}

static void test_build_v2_no_auth_has_zero_auth_bytes(void **state)
{
	struct vrrp_advert a;
	uint8_t buf[64];
	static const uint8_t zero[8];

	(void)state;
	golden_v2_advert(&a);
	a.auth_type = VRRP_AUTH_NONE; /* auth_data still holds "secret" */
	assert_int_equal(vrrp_build_advert(buf, sizeof(buf), &a), 20);
	assert_int_equal(buf[4], 0);
	assert_memory_equal(buf + 12, zero, 8);
	assert_int_equal(csum_buf(buf, 20), 0);
}

static void test_build_rejects_bad_input(void **state)
{
	struct vrrp_advert a;
	uint8_t buf[64];

	(void)state;
	golden_v2_advert(&a);
	assert_int_equal(vrrp_build_advert(buf, 19, &a), -1);   /* too small */
	assert_int_equal(vrrp_build_advert(NULL, 64, &a), -1);
	assert_int_equal(vrrp_build_advert(buf, 64, NULL), -1);
	a.adver_int_us = 1500000;                               /* not whole s */
	assert_int_equal(vrrp_build_advert(buf, 64, &a), -1);
	a.adver_int_us = 256000000;                             /* > 255 s */
	assert_int_equal(vrrp_build_advert(buf, 64, &a), -1);
	golden_v2_advert(&a);
	a.auth_type = 2;                                        /* AH: unsupported */
	assert_int_equal(vrrp_build_advert(buf, 64, &a), -1);
	golden_v2_advert(&a);
	a.vrid = 0;
	assert_int_equal(vrrp_build_advert(buf, 64, &a), -1);
	golden_v3_advert(&a);
	a.adver_int_us = 15000;                                 /* not whole cs */
	assert_int_equal(vrrp_build_advert(buf, 64, &a), -1);
	a.adver_int_us = 0;
	assert_int_equal(vrrp_build_advert(buf, 64, &a), -1);
	a.adver_int_us = 40960000;                              /* 4096 cs */
	assert_int_equal(vrrp_build_advert(buf, 64, &a), -1);
	a.adver_int_us = 40950000;                              /* 4095 cs: max */
	assert_int_equal(vrrp_build_advert(buf, 64, &a), 12);
	assert_int_equal(buf[4], 0x0f);
	assert_int_equal(buf[5], 0xff);
	a.version = 4;
	assert_int_equal(vrrp_build_advert(buf, 64, &a), -1);
}

static void test_set_password(void **state)
{
	uint8_t pw[8];

	(void)state;
	vrrp_set_password(pw, "longpassword");
	assert_memory_equal(pw, "longpass", 8);
	vrrp_set_password(pw, "ab");
	assert_memory_equal(pw, "ab\0\0\0\0\0\0", 8);
	vrrp_set_password(pw, NULL);
	assert_memory_equal(pw, "\0\0\0\0\0\0\0\0", 8);
}

/* --- parsing: accepted ---------------------------------------------------- */

static void test_parse_golden_v2(void **state)
{
	struct fixture f;

	(void)state;
	fixture_v2(&f);
	assert_int_equal(parse(&f), VRRP_OK);
	assert_int_equal(f.out.version, 2);
	assert_int_equal(f.out.vrid, 51);
	assert_int_equal(f.out.priority, 100);
	assert_int_equal(f.out.auth_type, VRRP_AUTH_PASS);
	assert_memory_equal(f.out.auth_data, "secret\0\0", 8);
	assert_int_equal(f.out.adver_int_us, 1000000);
	assert_int_equal(f.out.naddr, 1);
	assert_int_equal(f.out.addrs[0], ip4(192, 168, 1, 100));
	assert_int_equal(f.out.src, ip4(192, 168, 1, 10));
	assert_int_equal(f.out.dst, ip4(224, 0, 0, 18));
	assert_int_equal(f.out.ttl, 255);
	assert_int_equal(f.out.flags, 0);
}

static void test_parse_golden_v3(void **state)
{
	struct fixture f;

	(void)state;
	fixture_v3(&f);
	assert_int_equal(parse(&f), VRRP_OK);
	assert_int_equal(f.out.version, 3);
	assert_int_equal(f.out.vrid, 51);
	assert_int_equal(f.out.priority, 100);
	assert_int_equal(f.out.adver_int_us, 1000000);
	assert_int_equal(f.out.naddr, 1);
	assert_int_equal(f.out.addrs[0], ip4(10, 0, 0, 100));
	assert_int_equal(f.out.flags, 0);
}

static void test_roundtrip_v2_pass(void **state)
{
	struct vrrp_advert a, out;
	struct vrrp_parse_opts o;
	uint8_t v[VRRP_MAX_LEN], pkt[1600];
	int n;
	size_t len;

	(void)state;
	golden_v2_advert(&a);
	a.vrid = 200;
	a.priority = 254;
	a.adver_int_us = 3000000;
	vrrp_set_password(a.auth_data, "12345678");
	a.naddr = 3;
	a.addrs[1] = ip4(192, 168, 1, 101);
	a.addrs[2] = ip4(192, 168, 1, 102);
	n = vrrp_build_advert(v, sizeof(v), &a);
	assert_int_equal(n, 8 + 12 + 8);
	opts_for(&a, &o);
	len = make_ip(pkt, v, (size_t)n, a.src, a.dst, 255);
	assert_int_equal(vrrp_parse_advert(pkt, len, &o, &out), VRRP_OK);
	assert_int_equal(out.vrid, 200);
	assert_int_equal(out.priority, 254);
	assert_int_equal(out.adver_int_us, 3000000);
	assert_memory_equal(out.auth_data, "12345678", 8);
	assert_int_equal(out.naddr, 3);
	assert_memory_equal(out.addrs, a.addrs, 3 * sizeof(uint32_t));
	assert_int_equal(out.flags, 0);
}

static void test_roundtrip_v3_unicast_10ms(void **state)
{
	struct vrrp_advert a, out;
	struct vrrp_parse_opts o;
	uint8_t v[VRRP_MAX_LEN], pkt[1600];
	int n;
	size_t len;

	(void)state;
	golden_v3_advert(&a);
	a.vrid = 7;
	a.priority = 90;
	a.adver_int_us = 10000;
	a.src = ip4(10, 0, 0, 2);
	a.dst = ip4(10, 0, 0, 1); /* unicast peer */
	a.naddr = 2;
	a.addrs[1] = ip4(10, 0, 0, 101);
	n = vrrp_build_advert(v, sizeof(v), &a);
	assert_int_equal(n, 16);
	/* independently computed (see golden comment): 0x4ba9 */
	assert_int_equal(v[6], 0x4b);
	assert_int_equal(v[7], 0xa9);
	opts_for(&a, &o);
	o.unicast = true;
	len = make_ip(pkt, v, (size_t)n, a.src, a.dst, 64); /* routed: TTL < 255 */
	assert_int_equal(vrrp_parse_advert(pkt, len, &o, &out), VRRP_REJ_BAD_TTL);
	o.skip_ttl = true; /* unicast_ttl below 255: peers are routed */
	assert_int_equal(vrrp_parse_advert(pkt, len, &o, &out), VRRP_OK);
	assert_int_equal(out.priority, 90);
	assert_int_equal(out.adver_int_us, 10000);
	assert_int_equal(out.naddr, 2);
	assert_int_equal(out.addrs[1], ip4(10, 0, 0, 101));
	assert_int_equal(out.flags, 0);
}

static void test_roundtrip_all_priorities_and_counts(void **state)
{
	struct vrrp_advert a, out;
	struct vrrp_parse_opts o;
	uint8_t v[VRRP_MAX_LEN], pkt[1600];
	size_t len;

	(void)state;
	for (unsigned ver = 2; ver <= 3; ver++) {
		for (unsigned count = 0; count <= VRRP_MAX_ADDRS; count += 17) {
			ver == 2 ? golden_v2_advert(&a) : golden_v3_advert(&a);
			a.naddr = (uint16_t)count;
			for (unsigned i = 0; i < count; i++)
				a.addrs[i] = ip4(10, 1, i / 256, i % 256);
			for (unsigned prio = 0; prio <= 255; prio += 15) {
				int n;

				a.priority = (uint8_t)prio;
				n = vrrp_build_advert(v, sizeof(v), &a);
				assert_int_equal(n, vrrp_advert_len((uint8_t)ver, count));
				opts_for(&a, &o);
				len = make_ip(pkt, v, (size_t)n, a.src, a.dst, 255);
				assert_int_equal(vrrp_parse_advert(pkt, len, &o, &out), VRRP_OK);
				assert_int_equal(out.priority, prio);
				assert_int_equal(out.naddr, count);
				assert_int_equal(out.flags, 0);
			}
		}
	}
}

static void test_parse_ignores_ethernet_padding(void **state)
{
	struct fixture f;

	(void)state;
	fixture_v3(&f);
	/* 20 + 12 = 32 bytes of IP in a 60-byte frame: 14 bytes of padding */
	memset(f.pkt + f.len, 0xaa, 14);
	f.len += 14;
	assert_int_equal(parse(&f), VRRP_OK);
}

static void test_parse_accepts_df_and_ip_options(void **state)
{
	struct fixture f;
	uint8_t opt_pkt[128];

	(void)state;
	fixture_v2(&f);
	f.pkt[6] = 0x40; /* DF */
	assert_int_equal(parse(&f), VRRP_OK);

	/* ihl 6: one 4-byte option (NOPs) before the payload */
	fixture_v2(&f);
	memcpy(opt_pkt, f.pkt, 20);
	memset(opt_pkt + 20, 1, 4);
	memcpy(opt_pkt + 24, f.pkt + 20, f.len - 20);
	opt_pkt[0] = 0x46;
	opt_pkt[3] = (uint8_t)(f.len + 4);
	assert_int_equal(vrrp_parse_advert(opt_pkt, f.len + 4, &f.o, &f.out), VRRP_OK);
}

/* --- parsing: every rejection ---------------------------------------------- */

static void test_reject_invalid_arg(void **state)
{
	struct fixture f;

	(void)state;
	fixture_v2(&f);
	assert_int_equal(vrrp_parse_advert(NULL, f.len, &f.o, &f.out), VRRP_REJ_INVALID_ARG);
	assert_int_equal(vrrp_parse_advert(f.pkt, f.len, NULL, &f.out), VRRP_REJ_INVALID_ARG);
	assert_int_equal(vrrp_parse_advert(f.pkt, f.len, &f.o, NULL), VRRP_REJ_INVALID_ARG);
	f.o.version = 4;
	assert_int_equal(parse(&f), VRRP_REJ_INVALID_ARG);
	f.o.version = 2;
	f.o.addrs = NULL; /* naddr 1 but no list */
	assert_int_equal(parse(&f), VRRP_REJ_INVALID_ARG);
}

static void test_reject_truncated(void **state)
{
	struct fixture f;

	(void)state;
	fixture_v2(&f);
	f.len = 19;                            /* not even an IP header */
	assert_int_equal(parse(&f), VRRP_REJ_TRUNCATED);
	fixture_v2(&f);
	f.len -= 1;                            /* shorter than total length */
	assert_int_equal(parse(&f), VRRP_REJ_TRUNCATED);
	fixture_v2(&f);
	f.pkt[3] = 20 + 7;                     /* VRRP header cut short */
	f.len = 27;
	assert_int_equal(parse(&f), VRRP_REJ_TRUNCATED);
}

static void test_reject_bad_ip_header(void **state)
{
	struct fixture f;

	(void)state;
	fixture_v2(&f);
	f.pkt[0] = 0x65;                       /* IPv6 version nibble */
	assert_int_equal(parse(&f), VRRP_REJ_BAD_IP_HEADER);
	fixture_v2(&f);
	f.pkt[0] = 0x44;                       /* ihl 4 */
	assert_int_equal(parse(&f), VRRP_REJ_BAD_IP_HEADER);
	fixture_v2(&f);
	f.pkt[2] = 0;
	f.pkt[3] = 16;                         /* total length < ihl */
	assert_int_equal(parse(&f), VRRP_REJ_BAD_IP_HEADER);
}

static void test_reject_fragment(void **state)
{
	struct fixture f;

	(void)state;
	fixture_v2(&f);
	f.pkt[6] = 0x20;                       /* MF */
	assert_int_equal(parse(&f), VRRP_REJ_FRAGMENT);
	fixture_v2(&f);
	f.pkt[7] = 0x01;                       /* offset 8 */
	assert_int_equal(parse(&f), VRRP_REJ_FRAGMENT);
}

static void test_reject_bad_protocol(void **state)
{
	struct fixture f;

	(void)state;
	fixture_v2(&f);
	f.pkt[9] = 51;                         /* AH */
	assert_int_equal(parse(&f), VRRP_REJ_BAD_PROTOCOL);
}

static void test_reject_bad_ttl(void **state)
{
	struct fixture f;

	(void)state;
	fixture_v2(&f);
	f.pkt[8] = 254;
	assert_int_equal(parse(&f), VRRP_REJ_BAD_TTL);
	f.o.unicast = true;                    /* unicast peers: still checked */
	assert_int_equal(parse(&f), VRRP_REJ_BAD_TTL);
	f.o.skip_ttl = true;                   /* routed peers (unicast_ttl < 255) */
	assert_int_equal(parse(&f), VRRP_OK);
}

static void test_reject_bad_version(void **state)
{
	struct fixture f;

	(void)state;
	fixture_v3(&f);
	f.o.version = 2;                       /* v3 advert, v2 instance */
	assert_int_equal(parse(&f), VRRP_REJ_BAD_VERSION);
	fixture_v2(&f);
	f.o.version = 3;
	assert_int_equal(parse(&f), VRRP_REJ_BAD_VERSION);
}

static void test_reject_bad_type(void **state)
{
	struct fixture f;

	(void)state;
	fixture_v2(&f);
	f.pkt[20] = 0x22;                      /* type 2 */
	fix_vrrp_csum(f.pkt);
	assert_int_equal(parse(&f), VRRP_REJ_BAD_TYPE);
}

static void test_reject_bad_length(void **state)
{
	struct fixture f;
	uint8_t v[64];
	size_t vlen = sizeof(golden_v3) + 4;

	(void)state;
	fixture_v2(&f);
	f.pkt[23] = 2;                         /* count 2, one address sent */
	fix_vrrp_csum(f.pkt);
	assert_int_equal(parse(&f), VRRP_REJ_BAD_LENGTH);

	/* v3 with 4 extra bytes inside the IP total length */
	memcpy(v, golden_v3, sizeof(golden_v3));
	memset(v + sizeof(golden_v3), 0, 4);
	fixture_v3(&f);
	f.len = make_ip(f.pkt, v, vlen, f.a.src, f.a.dst, 255);
	fix_vrrp_csum(f.pkt);
	assert_int_equal(parse(&f), VRRP_REJ_BAD_LENGTH);

	/* a v2 advert without its 8 auth bytes (as a v3 one would be) */
	fixture_v2(&f);
	f.pkt[3] -= 8;
	f.len -= 8;
	fix_vrrp_csum(f.pkt);
	assert_int_equal(parse(&f), VRRP_REJ_BAD_LENGTH);
}

static void test_reject_bad_checksum(void **state)
{
	struct fixture f;

	(void)state;
	fixture_v2(&f);
	f.pkt[20 + 8] ^= 0x01;                 /* address changed in flight */
	assert_int_equal(parse(&f), VRRP_REJ_BAD_CHECKSUM);
	fixture_v3(&f);
	f.pkt[20 + 7] ^= 0x80;
	assert_int_equal(parse(&f), VRRP_REJ_BAD_CHECKSUM);
	/* v3 checksummed for another source address */
	fixture_v3(&f);
	f.pkt[15] = 9;
	assert_int_equal(parse(&f), VRRP_REJ_BAD_CHECKSUM);
}

static void test_reject_vrid_mismatch(void **state)
{
	struct fixture f;

	(void)state;
	fixture_v2(&f);
	f.o.vrid = 52;
	assert_int_equal(parse(&f), VRRP_REJ_VRID_MISMATCH);
	fixture_v3(&f);
	f.o.vrid = 1;
	assert_int_equal(parse(&f), VRRP_REJ_VRID_MISMATCH);
	/* VRID 0 is no router's (RFC 5798: 1-255), even asked for: the
	 * parser took it when the options said 0, and the builder refused
	 * what had parsed (fuzz_vrrp, CI) */
	fixture_v3(&f);
	f.pkt[20 + 1] = 0;
	fix_vrrp_csum(f.pkt);
	f.o.vrid = 0;
	assert_int_equal(parse(&f), VRRP_REJ_VRID_MISMATCH);
	fixture_v2(&f);
	f.pkt[20 + 1] = 0;
	fix_vrrp_csum(f.pkt);
	f.o.vrid = 0;
	assert_int_equal(parse(&f), VRRP_REJ_VRID_MISMATCH);
}

static void test_reject_auth_type_mismatch(void **state)
{
	struct fixture f;

	(void)state;
	fixture_v2(&f);
	f.o.auth_type = VRRP_AUTH_NONE;        /* we expect none, PASS sent */
	assert_int_equal(parse(&f), VRRP_REJ_AUTH_TYPE_MISMATCH);
	fixture_v2(&f);
	f.pkt[24] = 2;                         /* AH type in a VRRP packet */
	fix_vrrp_csum(f.pkt);
	assert_int_equal(parse(&f), VRRP_REJ_AUTH_TYPE_MISMATCH);
}

static void test_reject_auth_failed(void **state)
{
	struct fixture f;

	(void)state;
	fixture_v2(&f);
	vrrp_set_password(f.o.auth_data, "secreT");
	assert_int_equal(parse(&f), VRRP_REJ_AUTH_FAILED);
	/* all 8 bytes count: garbage after the NUL is a different password */
	fixture_v2(&f);
	f.o.auth_data[7] = 'x';
	assert_int_equal(parse(&f), VRRP_REJ_AUTH_FAILED);
}

static void test_reject_interval_mismatch(void **state)
{
	struct fixture f;

	(void)state;
	fixture_v2(&f);
	f.o.adver_int_us = 2000000;
	assert_int_equal(parse(&f), VRRP_REJ_INTERVAL_MISMATCH);
	/* v3: the backup adopts the master's interval instead */
	fixture_v3(&f);
	f.o.adver_int_us = 2000000;
	assert_int_equal(parse(&f), VRRP_OK);
	assert_int_equal(f.out.adver_int_us, 1000000);
}

static void test_reject_bad_interval(void **state)
{
	struct fixture f;

	(void)state;
	fixture_v3(&f);
	f.pkt[24] = 0xf0;                      /* rsvd bits set, interval 0 */
	f.pkt[25] = 0;
	fix_vrrp_csum(f.pkt);
	assert_int_equal(parse(&f), VRRP_REJ_BAD_INTERVAL);
	/* reserved bits are ignored otherwise */
	f.pkt[25] = 100;
	fix_vrrp_csum(f.pkt);
	assert_int_equal(parse(&f), VRRP_OK);
	assert_int_equal(f.out.adver_int_us, 1000000);
}

static void test_reject_str_names_every_reason(void **state)
{
	(void)state;
	assert_string_equal(vrrp_reject_str(VRRP_OK), "ok");
	assert_string_equal(vrrp_reject_str(VRRP_REJ_TRUNCATED), "truncated");
	assert_string_equal(vrrp_reject_str(VRRP_REJ_BAD_CHECKSUM), "bad_checksum");
	assert_string_equal(vrrp_reject_str(VRRP_REJ_INTERVAL_MISMATCH),
			    "interval_mismatch");
	for (int r = 0; r > -VRRP_REJ_NR; r--) {
		const char *s = vrrp_reject_str(r);

		assert_string_not_equal(s, "unknown");
		for (int q = 0; q > r; q--)
			assert_string_not_equal(s, vrrp_reject_str(q));
	}
	assert_string_equal(vrrp_reject_str(-VRRP_REJ_NR), "unknown");
	assert_string_equal(vrrp_reject_str(1), "unknown");
}

/* --- flags: accepted with a remark ------------------------------------------ */

static void test_address_list_differences_are_flagged(void **state)
{
	struct fixture f;
	uint32_t ours[2];

	(void)state;
	fixture_v2(&f);
	ours[0] = ip4(192, 168, 1, 200);
	f.o.addrs = ours;
	f.o.naddr = 1;
	assert_int_equal(parse(&f), VRRP_OK);
	assert_true(f.out.flags & VRRP_ADVERT_F_ADDR_MISMATCH);

	ours[0] = ip4(192, 168, 1, 100);
	ours[1] = ip4(192, 168, 1, 101);
	f.o.naddr = 2;                         /* we have one more VIP */
	assert_int_equal(parse(&f), VRRP_OK);
	assert_true(f.out.flags & VRRP_ADVERT_F_ADDR_MISMATCH);

	f.o.addrs = NULL;                      /* not compared */
	f.o.naddr = 0;
	assert_int_equal(parse(&f), VRRP_OK);
	assert_int_equal(f.out.flags, 0);
}

static void test_address_order_does_not_matter(void **state)
{
	struct vrrp_advert a, out;
	struct vrrp_parse_opts o;
	uint8_t v[64], pkt[128];
	uint32_t ours[2];
	size_t len;
	int n;

	(void)state;
	golden_v3_advert(&a);
	a.naddr = 2;
	a.addrs[1] = ip4(10, 0, 0, 101);
	n = vrrp_build_advert(v, sizeof(v), &a);
	opts_for(&a, &o);
	ours[0] = a.addrs[1];
	ours[1] = a.addrs[0];
	o.addrs = ours;
	len = make_ip(pkt, v, (size_t)n, a.src, a.dst, 255);
	assert_int_equal(vrrp_parse_advert(pkt, len, &o, &out), VRRP_OK);
	assert_int_equal(out.flags, 0);
}

static void test_v3_accepts_v2_style_checksum(void **state)
{
	struct fixture f;

	(void)state;
	fixture_v3(&f);
	/* checksum over the VRRP bytes only, as some keepalived versions send
	 * in v3: 0x6003 (see the golden comment) */
	f.pkt[26] = 0x60;
	f.pkt[27] = 0x03;
	assert_int_equal(parse(&f), VRRP_OK);
	assert_int_equal(f.out.flags, VRRP_ADVERT_F_CSUM_NO_PSEUDO);
}

static void test_v3_accepts_mcast_group_in_pseudo_header(void **state)
{
	struct fixture f;

	(void)state;
	/* the golden checksum covers dst 224.0.0.18; deliver it unicast, as
	 * keepalived's old unicast v3 checksums look */
	fixture_v3(&f);
	f.o.unicast = true;
	f.len = make_ip(f.pkt, golden_v3, sizeof(golden_v3), f.a.src,
			ip4(10, 0, 0, 2), 255);
	assert_int_equal(parse(&f), VRRP_OK);
	assert_int_equal(f.out.flags, VRRP_ADVERT_F_CSUM_MCAST_DST);
}

static void test_parse_payload_alone(void **state)
{
	struct vrrp_advert a, out;
	struct vrrp_parse_opts o;

	(void)state;
	golden_v3_advert(&a);
	opts_for(&a, &o);
	assert_int_equal(vrrp_parse_payload(golden_v3, sizeof(golden_v3), a.src,
					    a.dst, 255, &o, &out), VRRP_OK);
	assert_int_equal(out.priority, 100);
	assert_int_equal(vrrp_parse_payload(golden_v3, sizeof(golden_v3), a.src,
					    a.dst, 1, &o, &out), VRRP_REJ_BAD_TTL);
	assert_int_equal(vrrp_parse_payload(golden_v3, 7, a.src, a.dst, 255, &o,
					    &out), VRRP_REJ_TRUNCATED);
}

/* --- timers ------------------------------------------------------------------ */

static void test_skew_and_master_down(void **state)
{
	(void)state;
	/* v2: (256 - prio) / 256 s */
	assert_int_equal(vrrp_skew_time_us(2, 100, 1000000), 609375);  /* 156/256 */
	assert_int_equal(vrrp_skew_time_us(2, 90, 1000000), 648437);   /* 166/256 */
	assert_int_equal(vrrp_master_down_us(2, 100, 1000000), 3609375);
	assert_int_equal(vrrp_master_down_us(2, 90, 1000000), 3648437);
	/* v2 skew does not depend on the interval */
	assert_int_equal(vrrp_skew_time_us(2, 100, 3000000), 609375);
	assert_int_equal(vrrp_master_down_us(2, 100, 3000000), 9609375);

	/* v3: (256 - prio) * Master_Adver_Interval / 256 */
	assert_int_equal(vrrp_skew_time_us(3, 100, 1000000), 609375);
	assert_int_equal(vrrp_skew_time_us(3, 90, 1000000), 648437);
	assert_int_equal(vrrp_master_down_us(3, 100, 1000000), 3609375);
	assert_int_equal(vrrp_master_down_us(3, 90, 1000000), 3648437);
	assert_int_equal(vrrp_skew_time_us(3, 100, 10000), 6093);      /* 6093.75 */
	assert_int_equal(vrrp_skew_time_us(3, 90, 10000), 6484);       /* 6484.375 */
	assert_int_equal(vrrp_master_down_us(3, 100, 10000), 36093);
	assert_int_equal(vrrp_master_down_us(3, 90, 10000), 36484);

	/* the higher priority always has the shorter master down interval */
	assert_true(vrrp_master_down_us(3, 100, 10000) <
		    vrrp_master_down_us(3, 90, 10000));
	/* owner: skew 1/256 */
	assert_int_equal(vrrp_skew_time_us(2, 255, 1000000), 3906);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_build_golden_v2),
		cmocka_unit_test(test_build_golden_v3),
		cmocka_unit_test(test_build_v2_no_auth_has_zero_auth_bytes),
		cmocka_unit_test(test_build_rejects_bad_input),
		cmocka_unit_test(test_set_password),
		cmocka_unit_test(test_parse_golden_v2),
		cmocka_unit_test(test_parse_golden_v3),
		cmocka_unit_test(test_roundtrip_v2_pass),
		cmocka_unit_test(test_roundtrip_v3_unicast_10ms),
		cmocka_unit_test(test_roundtrip_all_priorities_and_counts),
		cmocka_unit_test(test_parse_ignores_ethernet_padding),
		cmocka_unit_test(test_parse_accepts_df_and_ip_options),
		cmocka_unit_test(test_reject_invalid_arg),
		cmocka_unit_test(test_reject_truncated),
		cmocka_unit_test(test_reject_bad_ip_header),
		cmocka_unit_test(test_reject_fragment),
		cmocka_unit_test(test_reject_bad_protocol),
		cmocka_unit_test(test_reject_bad_ttl),
		cmocka_unit_test(test_reject_bad_version),
		cmocka_unit_test(test_reject_bad_type),
		cmocka_unit_test(test_reject_bad_length),
		cmocka_unit_test(test_reject_bad_checksum),
		cmocka_unit_test(test_reject_vrid_mismatch),
		cmocka_unit_test(test_reject_auth_type_mismatch),
		cmocka_unit_test(test_reject_auth_failed),
		cmocka_unit_test(test_reject_interval_mismatch),
		cmocka_unit_test(test_reject_bad_interval),
		cmocka_unit_test(test_reject_str_names_every_reason),
		cmocka_unit_test(test_address_list_differences_are_flagged),
		cmocka_unit_test(test_address_order_does_not_matter),
		cmocka_unit_test(test_v3_accepts_v2_style_checksum),
		cmocka_unit_test(test_v3_accepts_mcast_group_in_pseudo_header),
		cmocka_unit_test(test_parse_payload_alone),
		cmocka_unit_test(test_skew_and_master_down),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
